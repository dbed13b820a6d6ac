"""`legalret index build|add` exit 3 when a source file of the batch was skipped whole (a new user's finding: they
exited 0, and `legalret index add dir/ && deploy` could not tell that a law it gave was not indexed).

The batch still goes on (one malformed file never aborts it); the skipped files are named on stderr as before, the last
stderr line counts them, the JSON report's ``files_skipped`` says how many. A malformed record inside a file that was
read keeps exit 0, and so do the precedents and facts archives (the memory's counts say what they skipped); a batch
with nothing left to index stays an error, exit 1. By the real CLI (typer's runner), on small fixtures, with ``--model none``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from legalret.cli import app
from legalret.index.store import generations
from legalret.search.searcher import Searcher

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures"
STATUTES = FIXTURES / "ingest" / "markdown"  # 민법/법률.md, 상법/…
PRECEDENT_STATUTES = FIXTURES / "precedents" / "statutes" / "legalize-kr"
DECISIONS = FIXTURES / "precedents" / "md"


def _cli(*args: str):
    return runner.invoke(app, list(args), env={"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"})


def _report(r) -> dict:
    return json.loads(r.stdout.strip().splitlines()[-1])


def _last_line(r) -> str:
    return r.stderr.strip().splitlines()[-1]


def _bad_jsonl(where: Path) -> Path:
    bad = where / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    return bad


def _undecodable_md(where: Path) -> Path:
    """A statute file that is neither UTF-8 nor CP949: skipped whole ("not UTF-8 text")."""
    path = where / "깨진법" / "법률.md"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x80\xff\x81\xfe" * 20)
    return path


def test_build_exits_0_when_nothing_is_skipped_and_3_when_a_statute_file_is(tmp_path):
    clean = _cli("index", "build", str(STATUTES), "--index", str(tmp_path / "clean"), "--model", "none", "--json")
    assert clean.exit_code == 0, clean.output
    report = _report(clean)
    assert report["files_skipped"] == 0 and report["skipped"] == []
    assert "exit 3" not in clean.stderr
    laws = set(Searcher(tmp_path / "clean").laws)

    bad = _bad_jsonl(tmp_path)
    index = tmp_path / "idx"
    r = _cli("index", "build", str(STATUTES), str(bad), "--index", str(index), "--model", "none", "--json")
    assert r.exit_code == 3, r.output
    report = _report(r)
    assert report["wrote"] is True and report["files_skipped"] == 1
    assert len(report["skipped"]) == 1 and report["skipped"][0].startswith(f"{bad}:1: not an article record")
    assert f"skipped: {report['skipped'][0]}" in r.stderr
    assert _last_line(r) == "indexed with 1 source file skipped (named above, not in the index); exit 3"
    assert set(Searcher(index).laws) == laws and report["articles"] == _report(clean)["articles"]  # the rest: all in

    # without --json: the same exit code, and the last line points at --json's list
    r = _cli("index", "build", str(STATUTES), str(bad), "--index", str(tmp_path / "idx2"), "--model", "none")
    assert r.exit_code == 3, r.output
    assert _last_line(r) == ("indexed with 1 source file skipped (named above, not in the index; --json lists them); "
                             "exit 3")


def test_add_exits_3_when_a_file_of_the_batch_cannot_be_read_and_adds_the_rest(tmp_path):
    index = tmp_path / "idx"
    assert _cli("index", "build", str(STATUTES / "민법"), "--index", str(index), "--model", "none").exit_code == 0
    batch = tmp_path / "batch"
    shutil.copytree(STATUTES / "상법", batch / "상법")
    broken = _undecodable_md(batch)
    bad = _bad_jsonl(tmp_path)
    r = _cli("index", "add", str(batch), str(bad), "--index", str(index), "--json")
    assert r.exit_code == 3, r.output
    report = _report(r)
    assert report["files_skipped"] == 2 and report["wrote"] and report["added"] > 0
    assert sorted(line.split(":")[0] for line in report["skipped"]) == sorted([str(bad), str(broken)])
    assert _last_line(r) == "indexed with 2 source files skipped (named above, not in the index); exit 3"
    s = Searcher(index)
    assert "상법 시행령" in s.laws and "민법" in s.laws  # the good file added, the indexed law kept

    # the same batch again: nothing new to write, but the files are still not indexed — still exit 3
    r = _cli("index", "add", str(batch), str(bad), "--index", str(index))
    assert r.exit_code == 3, r.output
    assert _last_line(r) == ("nothing new written with 2 source files skipped (named above, not in the index; "
                             "--json lists them); exit 3")

    # an add of good files only: exit 0, no such line
    r = _cli("index", "add", str(STATUTES / "상법"), "--index", str(index), "--json")
    assert r.exit_code == 0 and _report(r)["files_skipped"] == 0 and "exit 3" not in r.stderr, r.output


def test_nothing_left_to_index_is_still_an_error_exit_1(tmp_path):
    index = tmp_path / "idx"
    assert _cli("index", "build", str(STATUTES / "민법"), "--index", str(index), "--model", "none").exit_code == 0
    gens = [g.name for g in generations(index)]
    bad = _bad_jsonl(tmp_path)
    for command in ("add", "build"):
        r = _cli("index", command, str(bad), "--index", str(index), "--model", "none")
        assert r.exit_code == 1 and "no articles read from" in str(r.exception), r.output
        assert "exit 3" not in r.stderr
        assert [g.name for g in generations(index)] == gens  # nothing written


def test_a_duplicate_article_inside_a_file_that_was_read_keeps_exit_0(tmp_path):
    """A malformed record inside a file that was read is a warning (reported, counted), not a skipped file."""
    index = tmp_path / "idx"
    assert _cli("index", "build", str(STATUTES / "민법"), "--index", str(index), "--model", "none").exit_code == 0
    text = (STATUTES / "민법" / "법률.md").read_text(encoding="utf-8")
    twice = "##### 제905조의2 (시험)\n\n첫째 본문\n\n##### 제905조의2 (시험)\n\n둘째 본문\n\n## 부칙"
    path = tmp_path / "dup" / "민법" / "법률.md"
    path.parent.mkdir(parents=True)
    path.write_text(text.replace("## 부칙", twice, 1), encoding="utf-8")
    r = _cli("index", "add", str(path), "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    report = _report(r)
    assert report["warnings"] and report["files_skipped"] == 0 and report["skipped"] == []


def test_precedents_and_facts_records_that_cannot_be_read_are_counted_and_keep_exit_0(tmp_path):
    """The archives hold tens of thousands of records; a few bad ones (no front matter, a file cut off, a broken facts
    line) are the data, said by the memory's own counts, not a skipped statute: exit 0."""
    index = tmp_path / "idx"
    r = _cli("index", "build", str(PRECEDENT_STATUTES), "--index", str(index), "--model", "none",
             "--precedents", str(DECISIONS), "--facts", str(FIXTURES / "facts" / "md_facts.jsonl"))
    assert r.exit_code == 0, r.output
    folder = tmp_path / "new"
    folder.mkdir()
    (folder / "notes.md").write_text("메모일 뿐이다.\n", encoding="utf-8")  # no decision
    (folder / "cut.md").write_text("---\n사건번호: 2020다1", encoding="utf-8")  # cut off before its final newline
    shutil.copy(DECISIONS / "민사" / "대법원" / "2016다7007.md", folder / "a.md")
    facts = tmp_path / "facts.jsonl"
    facts.write_text((FIXTURES / "facts" / "md_facts_more.jsonl").read_text(encoding="utf-8") + "{broken\n",
                     encoding="utf-8")
    r = _cli("index", "add", "--precedents", str(folder), "--facts", str(facts), "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    report = _report(r)
    assert report["files_skipped"] == 0 and "exit 3" not in r.stderr
    assert report["memory"]["precedents_skipped"] == 2 and report["memory"]["facts_skipped"] == 1
    assert "cut.md" in r.stderr and "notes.md" in r.stderr  # each named on its "skipped precedent" line


def test_the_help_of_build_and_add_names_exit_3():
    for command in ("build", "add"):
        r = _cli("index", command, "--help")
        assert r.exit_code == 0
        text = " ".join(r.output.split())
        assert "3 done, but a statute source file of the batch was skipped whole" in text, text
        assert "files_skipped" in text and "1 an error, nothing written" in text
