"""The precedent memory records the archives its decisions came from, and an add of a law reads them again for it.

The memory keeps only the holdings citing an article of the index as it was when the decisions were read: after
``index add`` of 형법 into a 민법 index, the decisions citing 형법 were not in it until the user gave them again by
hand (on the real data, 형사 questions recall@10 0.695 → 0.927 once they were). The memory now records each archive
(path, size and time, the laws the index held), and an add that brings in a law reads the recorded archives again for
the decisions citing it, with their facts — unless an archive is gone or changed (said, never read silently) or the
user says ``--no-reread-decisions``. ``pipeline.build`` over an index with a memory and no precedents is refused, as
the CLI refused it.

Fixture: ``tests/fixtures/multilaw`` (real articles of 형법, 형사소송법, 근로기준법, 민법 …; nine hand-written
decisions, three citing 형법).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from legalret import pipeline
from legalret.cli import app
from legalret.errors import LegalretError
from legalret.index.store import read_manifest
from legalret.ingest import ingest
from legalret.memory.sources import DecisionSources, SourceRecord, laws_not_read, reread_plan
from legalret.precedents.facts import read_facts
from legalret.precedents.parse import read_precedents
from legalret.search.searcher import Searcher

MULTILAW = Path(__file__).parent / "fixtures" / "multilaw"
QUESTION = "사기죄에서 기망행위의 의미와 재산상 이익의 취득"
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "400"}

#: the facts of two decisions: one citing 형법 (joins only once 형법 is read for), one citing 민법
FACTS = [
    {"판례일련번호": "910002", "사건번호": "2016도1102", "선고일자": "2016-05-12", "법원등급": "대법원", "사건종류": "형사",
     "이유": "피고인은 중고차를 팔 생각이 없으면서도 피해자에게 차를 넘겨주겠다고 속여 계약금 명목으로 돈을 받았다."},
    {"판례일련번호": "910001", "사건번호": "2017다4403", "선고일자": "2017-03-14", "법원등급": "대법원", "사건종류": "민사",
     "이유": "원고는 피고에게 주택을 빌려 주었는데 피고가 두 달 치 차임을 내지 않아 계약을 해지한다고 통지하였다."},
]


@pytest.fixture()
def archives(tmp_path: Path) -> DecisionSources:
    """A copy of the fixture's decisions (a folder) and a facts JSONL, which the tests change or remove."""
    decisions = tmp_path / "decisions"
    shutil.copytree(MULTILAW / "precedents", decisions)
    facts = tmp_path / "facts.jsonl"
    facts.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in FACTS), encoding="utf-8")
    return DecisionSources((str(decisions),), (str(facts),))


def _statutes(*laws: str):
    return ingest([MULTILAW / "statutes"], laws=list(laws))


def _civil_index(tmp_path: Path, given: DecisionSources) -> Path:
    index = tmp_path / "idx"
    pipeline.build(_statutes("민법").articles, index, model="none", precedents=read_precedents(given.precedents),
                   facts=read_facts(given.facts), decision_sources=given)
    return index


def _memory(index: Path) -> dict:
    return read_manifest(index)["memory"]


def test_a_build_records_each_archive_with_the_laws_it_was_read_for(tmp_path, archives):
    index = _civil_index(tmp_path, archives)
    records = [SourceRecord.from_dict(d) for d in _memory(index)["sources"]]
    assert [(r.kind, r.path, r.laws) for r in records] == [
        ("precedents", str(Path(archives.precedents[0]).resolve()), ["민법"]),
        ("facts", str(Path(archives.facts[0]).resolve()), ["민법"])]
    assert records[0].stamp["files"] == 9 and all(r.problem() is None for r in records)
    assert laws_not_read(records, ["민법", "형법"]) == {"형법"}
    assert read_manifest(index)["facts"]["items"] == 1  # 2016도1102 cites only 형법 / 형사소송법: not yet


def test_adding_a_law_reads_the_recorded_archives_again_for_its_decisions(tmp_path, archives):
    index = _civil_index(tmp_path, archives)
    before = _memory(index)["items"]
    assert "형법 제347조" not in Searcher(index).search(QUESTION, k=10, mode="memory").keys

    report = pipeline.add(_statutes("형법"), index)
    assert report.memory["reread"]["laws"] == ["형법"] and "laws_not_read" not in report.memory
    assert report.memory["precedents_added"] == 3  # the three decisions citing 형법 (none cited 민법 too)
    memory = _memory(index)
    assert memory["items"] == before + 3  # one holding each: the other cites 형사소송법, not in this index
    assert all(sorted(d["laws"]) == ["민법", "형법"] for d in memory["sources"])
    assert "형법 제347조" in Searcher(index).search(QUESTION, k=10, mode="memory").keys
    assert read_manifest(index)["facts"]["items"] == 2 and report.memory["facts_unjoined"] == 0  # its facts joined

    again = pipeline.add(_statutes("형법"), index)  # nothing new: nothing read again
    assert not again.wrote and "reread" not in (again.memory or {})


def test_no_reread_names_the_laws_and_a_later_add_without_sources_fills_them_in(tmp_path, archives, capsys):
    index = _civil_index(tmp_path, archives)
    report = pipeline.add(_statutes("형법"), index, reread_decisions=False)
    assert report.memory["laws_not_read"] == {"형법": 0} and "reread" not in report.memory
    assert report.memory["reread_refused"] == ["--no-reread-decisions"]
    said = capsys.readouterr().err  # (the archives are there: the plain add reads them)
    assert "(--no-reread-decisions); to add the decisions citing it: legalret index add --index " in said
    # the record still lacks 형법: an add with nothing new reads the archives for it
    report = pipeline.add([], index)
    assert report.memory["reread"]["laws"] == ["형법"] and report.memory["precedents_added"] == 3


def test_a_changed_or_missing_archive_is_said_and_never_read(tmp_path, archives, capsys):
    index = _civil_index(tmp_path, archives)
    extra = Path(archives.precedents[0]) / "형사" / "대법원" / "2016도1102.md"
    extra.write_text(extra.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # one more byte: changed
    report = pipeline.add(_statutes("형법"), index)
    assert report.memory["laws_not_read"] == {"형법": 0} and "reread" not in report.memory
    assert report.memory["reread_refused"] == [f"{Path(archives.precedents[0]).resolve()} changed since it was read"]
    said = capsys.readouterr().err  # (the plain add would refuse again: the command names the archives)
    assert f"to add the decisions citing it: legalret index add --precedents {Path(archives.precedents[0]).resolve()}" in said
    assert _memory(index)["items"] == 5  # the 민법 holdings alone
    info = CliRunner().invoke(app, ["index", "info", "--index", str(index)], env=ENV).stdout
    assert "changed since it was read" in info and "`legalret index add --precedents" in info

    os.remove(archives.facts[0])
    plan = reread_plan([SourceRecord.from_dict(d) for d in _memory(index)["sources"]], ["민법", "형법"])
    assert not plan.ready and any("no longer there" in p for p in plan.problems)


def test_given_decisions_are_recorded_by_an_add(tmp_path, archives):
    index = tmp_path / "idx"
    pipeline.build(_statutes("민법").articles, index, model="none", precedents=read_precedents(archives.precedents))
    assert _memory(index)["sources"] == []  # an API build without its paths records nothing (and rereads nothing)
    report = pipeline.add(_statutes("형법"), index)
    assert "reread" not in report.memory and report.memory["laws_not_read"] == {"형법": 0}
    pipeline.add([], index, precedents=read_precedents(archives.precedents),
                 decision_sources=DecisionSources(archives.precedents))
    assert [sorted(d["laws"]) for d in _memory(index)["sources"]] == [["민법", "형법"]]


def test_the_python_api_refuses_a_rebuild_that_would_drop_the_memory(tmp_path, archives):
    index = _civil_index(tmp_path, archives)
    with pytest.raises(LegalretError, match="holds a precedent memory .* and this build has no precedents"):
        pipeline.build(_statutes("민법").articles, index, model="none")
    assert _memory(index)["items"] == 5
    pipeline.build(_statutes("민법").articles, index, model="none", drop_memory=True)  # asked for
    assert "memory" not in read_manifest(index)["parts"]


def test_the_cli_records_the_options_and_index_info_shows_them(tmp_path, archives):
    index = tmp_path / "idx"
    runner = CliRunner()
    r = runner.invoke(app, ["index", "build", str(MULTILAW / "statutes"), "--law", "민법", "--index", str(index),
                            "--model", "none", "--precedents", archives.precedents[0], "--facts", archives.facts[0]],
                      env=ENV)
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["index", "add", str(MULTILAW / "statutes"), "--law", "형법", "--index", str(index),
                            "--no-reread-decisions", "--json"], env=ENV)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.strip().splitlines()[-1])["memory"]["laws_not_read"] == {"형법": 0}
    info = runner.invoke(app, ["index", "info", "--index", str(index)], env=ENV).stdout
    assert f"decisions read from: {Path(archives.precedents[0]).resolve()} (precedents)" in info
    assert f"laws its decisions were not read for: 형법 — `legalret index add --index {index}` reads them" in info
    as_json = json.loads(runner.invoke(app, ["index", "info", "--index", str(index), "--json"], env=ENV).stdout)
    assert as_json["memory_laws_not_read"] == ["형법"]

    r = runner.invoke(app, ["index", "add", "--index", str(index), "--json"], env=ENV)
    assert r.exit_code == 0, r.output
    memory = json.loads(r.stdout.strip().splitlines()[-1])["memory"]
    assert memory["reread"]["laws"] == ["형법"] and memory["precedents_added"] == 3
    assert "reading decisions, facts.jsonl again for the decisions citing 형법" in r.stderr
    assert "not read for" not in runner.invoke(app, ["index", "info", "--index", str(index)], env=ENV).stdout


def test_the_unread_count_is_of_the_holdings_citing_the_law_once_re_resolved(tmp_path):
    """A decision citing 민법 and 주택임대차보호법 is in a 민법 index's memory with its 민법 key alone; after the add of
    주택임대차보호법 without reading again, its holdings cite the new law (re-resolved): the note counts them (it had
    said 0, counted before the re-resolution)."""
    decisions = tmp_path / "decisions"
    shutil.copytree(MULTILAW / "precedents", decisions)
    given = DecisionSources((str(decisions),))
    index = tmp_path / "idx"
    pipeline.build(_statutes("민법").articles, index, model="none", precedents=read_precedents(given.precedents),
                   decision_sources=given)
    report = pipeline.add(_statutes("주택임대차보호법"), index, reread_decisions=False)
    assert report.memory["laws_not_read"] == {"주택임대차보호법": 3}  # 2017다4403 [2], 2018다3305 [1] and [2]


def test_an_index_from_before_the_record_learns_its_archive_when_given_it_again(tmp_path, archives):
    """Given the same decisions again, nothing in the memory changes, yet the archive is recorded (a new generation
    holding only that): a later add of a law can then read it. A folder of malformed files is recorded by no add."""
    index = tmp_path / "idx"
    pipeline.build(_statutes("민법").articles, index, model="none", precedents=read_precedents(archives.precedents))
    given = DecisionSources(archives.precedents)
    report = pipeline.add([], index, precedents=read_precedents(given.precedents), decision_sources=given)
    assert report.wrote and report.memory["precedents_added"] == 0 and report.memory["items"] == 5
    assert [d["kind"] for d in _memory(index)["sources"]] == ["precedents"]
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "empty.md").write_text("", encoding="utf-8")
    report = pipeline.add([], index, precedents=read_precedents([junk], on_error=lambda e: None),
                          decision_sources=DecisionSources((str(junk),)))
    assert not report.wrote and len(_memory(index)["sources"]) == 1
