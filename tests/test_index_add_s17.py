"""`legalret index add` findings of new users (session 17).

1. ``index add --index DIR`` with nothing at all to add said "unchanged", exit 0 (``index add --index DIR $NEW`` with
   $NEW empty passed for an update). It is a usage error now — exit 2, one line saying what the command takes, one
   JSON line with ``--json`` — unless the plain add has work of its own: reading the memory's recorded decision
   archives again for the laws they were read without, or migrating an old-layout memory (both still work).
2. A --precedents / --facts *file* of which no record could be read (only malformed ones) exited 0, its only trace
   ``precedents_skipped: 1``; it exits 3 now, named on stderr and in the JSON, as a statute file skipped whole does
   (``index build`` too, whose decisions a forked read-ahead process reads).
3. The exit-3 JSON report says ``"exit": 3``, as the JSON error lines say theirs; a report that exits 0 has no
   ``exit`` (no command's successful report has one).
4. ``index add --help`` says a corpus manifest name is a source, with an example.

By the real CLI on small fixtures (``--model none``): typer's runner for the reports, ``python -m legalret`` where
the usage error's printing (``legalret.cli.main``) is what is tested.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from legalret.cli import app
from legalret.index.store import generations, read_manifest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret import pipeline  # noqa: E402
from legalret.memory.builder import build_memory  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
STATUTES = FIXTURES / "precedents" / "statutes" / "legalize-kr"  # 민법, … : what the md decisions cite
DECISIONS = FIXTURES / "precedents" / "md"
MULTILAW = FIXTURES / "multilaw"
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "300"}

NOTHING = ("nothing to add: give a statute file or folder, a corpus manifest name such as criminal "
           "(`legalret corpus list`), or --precedents / --facts (without them it only reads the recorded decision "
           "archives again for laws they missed: {missed})")

runner = CliRunner()


def _cli(*args: str, **env: str):
    return runner.invoke(app, list(args), env={**ENV, **env})


def _process(*args: str) -> subprocess.CompletedProcess:
    """``legalret ARGS`` as a user runs it (``legalret.cli.main``: usage errors printed as one line, exit 2)."""
    return subprocess.run([sys.executable, "-m", "legalret", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **ENV}, cwd=REPO, stdin=subprocess.DEVNULL)


def _report(r) -> dict:
    return json.loads(r.stdout.strip().splitlines()[-1])


def _last_line(r) -> str:
    return r.stderr.strip().splitlines()[-1]


def _cut_decision(where: Path) -> Path:
    """A decision file cut off before its final newline: read as no decision (a malformed record)."""
    bad = where / "bad.md"
    bad.write_text("---\n사건번호: 2020다1", encoding="utf-8")
    return bad


@pytest.fixture()
def index(tmp_path: Path) -> Path:
    """민법 (and the other fixture laws) with a precedent memory of the md decisions."""
    path = tmp_path / "idx"
    r = _cli("index", "build", str(STATUTES), "--index", str(path), "--model", "none", "--precedents", str(DECISIONS))
    assert r.exit_code == 0, r.output
    return path


# ---- 1. nothing to add ------------------------------------------------------------------------------------------
def test_an_add_with_nothing_to_add_is_a_usage_error_in_one_line(index):
    before = [g.name for g in generations(index)]
    proc = _process("index", "add", "--index", str(index))
    assert proc.returncode == 2 and proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith("error: " + NOTHING.format(missed="none here")), line
    assert "Usage:" not in proc.stderr

    proc = _process("index", "add", "--index", str(index), "--json")
    assert proc.returncode == 2
    (line,) = proc.stdout.splitlines()
    assert json.loads(line) == {"error": NOTHING.format(missed="none here"), "exit": 2}
    assert [g.name for g in generations(index)] == before  # nothing written


def test_an_add_with_nothing_to_add_to_no_index_is_the_same_usage_error(tmp_path):
    proc = _process("index", "add", "--index", str(tmp_path / "nope"), "--json")
    assert proc.returncode == 2
    assert json.loads(proc.stdout) == {"error": NOTHING.format(missed="none here"), "exit": 2}
    assert not (tmp_path / "nope").exists()


def test_the_plain_add_still_reads_the_recorded_archives_again_and_says_when_it_will_not(tmp_path):
    """The documented plain add (``index info``: "`legalret index add --index DIR` reads them"): it reads the
    decisions for 형법 once; with --no-reread-decisions, or once read, there is nothing to do — a usage error."""
    decisions = tmp_path / "decisions"
    shutil.copytree(MULTILAW / "precedents", decisions)
    index = tmp_path / "idx"
    r = _cli("index", "build", str(MULTILAW / "statutes"), "--law", "민법", "--index", str(index), "--model", "none",
             "--precedents", str(decisions))
    assert r.exit_code == 0, r.output
    r = _cli("index", "add", str(MULTILAW / "statutes"), "--law", "형법", "--index", str(index), "--no-reread-decisions",
             "--json")
    assert r.exit_code == 0 and _report(r)["memory"]["laws_not_read"] == {"형법": 0}, r.output

    proc = _process("index", "add", "--index", str(index), "--no-reread-decisions", "--json")
    assert proc.returncode == 2, proc.stderr
    missed = "형법 here, which --no-reread-decisions turns off"
    assert json.loads(proc.stdout) == {"error": NOTHING.format(missed=missed), "exit": 2}

    r = _cli("index", "add", "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    report = _report(r)
    assert report["wrote"] and report["memory"]["reread"]["laws"] == ["형법"] and "exit" not in report
    assert report["memory"]["precedents_added"] == 3

    proc = _process("index", "add", "--index", str(index))  # read now: nothing left to do
    assert proc.returncode == 2 and proc.stderr.startswith("error: " + NOTHING.format(missed="none here"))


def test_the_plain_add_still_migrates_an_old_layout_memory(tmp_path):
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none")
    (index / "memory").mkdir()  # an index written before the memory moved inside the generations
    meta = {"format": "legalret-precedent-memory", "version": 1, "items": 3, "with_summary": True}
    (index / "memory" / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    lines = [dict(it.to_dict(), tokens=it.text.split()) for it in build_memory(sup.PRECEDENTS).items]
    (index / "memory" / "items.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines),
                                                  encoding="utf-8")
    r = _cli("index", "add", "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    assert _report(r)["wrote"] and _report(r)["memory"]["items"] == 3 and not (index / "memory").exists()


# ---- 2./3. a --precedents or --facts file skipped whole: exit 3, "exit": 3 ---------------------------------------
def test_an_add_whose_precedents_file_holds_no_readable_decision_exits_3(tmp_path, index):
    bad = _cut_decision(tmp_path)
    said = (f"{bad}: no decision could be read from this --precedents file (1 malformed record); none of it joined "
            "the precedent memory")
    r = _cli("index", "add", str(STATUTES), "--precedents", str(bad), "--index", str(index), "--json")
    assert r.exit_code == 3, r.output
    report = _report(r)
    assert report["skipped"] == [said] and report["files_skipped"] == 1 and report["exit"] == 3
    assert report["memory"]["precedents_skipped"] == 1
    assert f"skipped: {said}" in r.stderr.splitlines()
    assert _last_line(r) == "nothing new written with 1 source file skipped (named above, not in the index); exit 3"

    r = _cli("index", "add", str(STATUTES), "--precedents", str(bad), "--index", str(index))  # the same, as text
    assert r.exit_code == 3, r.output
    assert f"skipped: {said}" in r.stderr.splitlines()
    assert _last_line(r) == ("nothing new written with 1 source file skipped (named above, not in the index; "
                             "--json lists them); exit 3")


def test_the_good_files_beside_a_skipped_one_join_and_only_the_skipped_one_is_named(tmp_path, index):
    bad = _cut_decision(tmp_path)
    good = tmp_path / "2016다7007.md"
    text = (DECISIONS / "민사" / "대법원" / "2016다7007.md").read_text(encoding="utf-8")
    good.write_text(text.replace("2016다7007", "2016다7999"), encoding="utf-8")  # a decision the memory lacks
    facts = tmp_path / "facts.jsonl"
    facts.write_text("{broken\n{also broken\n", encoding="utf-8")
    r = _cli("index", "add", "--precedents", str(good), "--precedents", str(bad), "--facts", str(facts),
             "--index", str(index), "--json")
    assert r.exit_code == 3, r.output
    report = _report(r)
    assert report["wrote"] and report["memory"]["precedents_added"] == 1 and report["exit"] == 3
    assert report["skipped"] == [
        f"{bad}: no decision could be read from this --precedents file (1 malformed record); none of it joined the "
        "precedent memory",
        f"{facts}: no facts line could be read from this --facts file (2 malformed lines); none of it joined the "
        "facts memory"]
    assert _last_line(r) == "indexed with 2 source files skipped (named above, not in the index); exit 3"


def test_a_folder_with_malformed_decisions_among_its_files_keeps_exit_0(tmp_path, index):
    """The records of an archive (a folder, a zip's members) that was read: counted by the memory, exit 0."""
    folder = tmp_path / "new"
    folder.mkdir()
    _cut_decision(folder)
    shutil.copy(DECISIONS / "민사" / "대법원" / "2016다7007.md", folder / "a.md")
    r = _cli("index", "add", "--precedents", str(folder), "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    report = _report(r)
    assert report["files_skipped"] == 0 and report["skipped"] == [] and "exit" not in report
    assert report["memory"]["precedents_skipped"] == 1


@pytest.mark.parametrize("read_ahead", ["on", "off"])
def test_a_build_whose_precedents_file_holds_no_readable_decision_exits_3(tmp_path, read_ahead):
    """A build reads the decisions in a forked process (read-ahead, on two cores and more) or in its own: the file
    skipped whole is told either way."""
    bad = _cut_decision(tmp_path)
    r = _cli("index", "build", str(STATUTES), "--index", str(tmp_path / "idx"), "--model", "none",
             "--precedents", str(DECISIONS), "--precedents", str(bad), "--json", LEGALRET_READ_AHEAD=read_ahead)
    assert r.exit_code == 3, r.output
    assert ("read ahead:" in r.stderr) == (read_ahead == "on" and (os.cpu_count() or 1) >= 2)  # (forked, or not)
    report = _report(r)
    assert report["wrote"] and report["memory"]["items"] > 0
    assert report["skipped"] == [f"{bad}: no decision could be read from this --precedents file (1 malformed "
                                 "record); none of it joined the precedent memory"]
    assert report["files_skipped"] == 1 and report["exit"] == 3
    assert _last_line(r) == "indexed with 1 source file skipped (named above, not in the index); exit 3"


def test_a_statute_file_skipped_whole_says_exit_3_in_the_json_and_a_clean_build_no_exit(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    r = _cli("index", "build", str(STATUTES), str(bad), "--index", str(tmp_path / "idx"), "--model", "none", "--json")
    assert r.exit_code == 3 and _report(r)["exit"] == 3 and _report(r)["files_skipped"] == 1, r.output
    r = _cli("index", "build", str(STATUTES), "--index", str(tmp_path / "clean"), "--model", "none", "--json")
    assert r.exit_code == 0 and "exit" not in _report(r), r.output
    r = _cli("index", "add", str(bad), str(STATUTES), "--index", str(tmp_path / "clean"), "--json")
    assert r.exit_code == 3 and _report(r)["exit"] == 3, r.output
    assert read_manifest(tmp_path / "clean")["counts"]["articles"] == _report(r)["articles"]


# ---- 4. --help ---------------------------------------------------------------------------------------------------
def test_the_help_of_add_says_a_corpus_manifest_name_is_a_source_with_an_example():
    r = _cli("index", "add", "--help")
    assert r.exit_code == 0
    text = " ".join(r.output.split())
    assert "SOURCES may name a corpus manifest (`legalret corpus list`): `legalret index add criminal --index DIR`" in text
    assert "or a corpus manifest name (`legalret corpus list`: criminal, labor, tenancy …)" in text
    assert "A --precedents or --facts file of which no record could be read is skipped whole too (exit 3)" in text
