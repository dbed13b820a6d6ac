"""A law added to an index whose precedent memory was read without it is said, with the command that fills it in.

The memory keeps only holdings that cite an article of the index as it was when the decisions were read, so an
``index add`` of 형법 into a 민법+상법 index left 형법 with almost no votes, silently (a 형법 question then rests on
BM25 and the encoder alone). The add now reports those laws (``memory["laws_not_read"]``: law → holdings citing
it) and prints one line naming ``index add --precedents``; given the decisions again, the law's holdings join.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret import pipeline  # noqa: E402
from legalret.cli import app  # noqa: E402
from legalret.index.store import read_manifest  # noqa: E402
from legalret.search.searcher import Searcher  # noqa: E402

QUESTION = "보험계약자의 고지의무 위반을 이유로 보험자가 계약을 해지할 수 있는 기간"


def _civil_only_index(tmp_path: Path) -> Path:
    index = tmp_path / "idx"
    pipeline.build([a for a in sup.articles() if a.law == "민법"], index, model="none", precedents=sup.PRECEDENTS)
    assert read_manifest(index)["memory"]["items"] == 2  # 2017다3003 cites only 상법: not kept
    return index


def test_adding_a_law_the_memory_never_read_is_reported_and_filled_by_the_precedents(tmp_path):
    index = _civil_only_index(tmp_path)
    commercial = [a for a in sup.articles() if a.law == "상법"]
    report = pipeline.add(commercial, index)
    assert report.memory["laws_not_read"] == {"상법": 0}
    assert "상법 제651조" not in Searcher(index).search(QUESTION, k=10, mode="memory").keys

    report = pipeline.add(commercial, index, precedents=sup.PRECEDENTS)  # the documented remedy
    assert "laws_not_read" not in report.memory and report.memory["precedents_added"] == 1
    assert read_manifest(index)["memory"]["items"] == 3
    assert "상법 제651조" in Searcher(index).search(QUESTION, k=10, mode="memory").keys


def test_amending_a_law_already_indexed_says_nothing(tmp_path):
    index = _civil_only_index(tmp_path)
    civil = [a for a in sup.articles() if a.law == "민법"]
    report = pipeline.add([sup.amended(civil[0], civil[0].paragraphs[0].text + " 개정"), *civil[1:]], index)
    assert report.changed == 1 and "laws_not_read" not in report.memory


def test_the_cli_prints_one_line_with_the_command_and_json_carries_the_counts(tmp_path, monkeypatch):
    monkeypatch.setattr("legalret.config.shared_data_dir", lambda: None)  # (no archives here: placeholders)
    index = _civil_only_index(tmp_path)
    source = tmp_path / "commercial.jsonl"
    source.write_text("".join(json.dumps(a.to_dict(), ensure_ascii=False) + "\n" for a in sup.articles() if a.law == "상법"),
                      encoding="utf-8")
    env = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "400"}
    r = CliRunner().invoke(app, ["index", "add", str(source), "--index", str(index), "--json"], env=env)
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert report["memory"]["laws_not_read"] == {"상법": 0}
    line = next(ln for ln in r.stderr.splitlines() if ln.startswith("precedent memory:"))  # (a note: stderr)
    assert "before 상법 joined this index" in line and f"legalret index add --precedents DECISIONS [--facts FACTS] --index {index}" in line


def test_the_text_report_leaves_the_law_list_to_its_own_line(tmp_path):
    index = _civil_only_index(tmp_path)
    source = tmp_path / "commercial.jsonl"
    source.write_text("".join(json.dumps(a.to_dict(), ensure_ascii=False) + "\n" for a in sup.articles() if a.law == "상법"),
                      encoding="utf-8")
    env = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "400"}
    r = CliRunner().invoke(app, ["index", "add", str(source), "--index", str(index)], env=env)
    assert r.exit_code == 0, r.output
    summary = next(ln for ln in r.stdout.splitlines() if ln.startswith("precedent memory: items"))
    assert "laws not read" not in summary and "{" not in summary
    assert sum(ln.startswith("precedent memory: its decisions were read before 상법") for ln in r.stderr.splitlines()) == 1


def test_the_command_names_the_shared_archives_when_this_machine_has_them(tmp_path, monkeypatch):
    from legalret.memory.update import decision_options

    data = tmp_path / "data"
    (data / "precedents").mkdir(parents=True)
    monkeypatch.setattr("legalret.config.shared_data_dir", lambda: data)
    assert decision_options() == "--precedents DECISIONS [--facts FACTS]"  # no archive there
    (data / "precedents" / "precedent-kr.zip").write_bytes(b"PK")
    assert decision_options() == f"--precedents {data}/precedents/precedent-kr.zip"
    (data / "precedents" / "precedent-facts.zip").write_bytes(b"PK")
    assert decision_options() == (f"--precedents {data}/precedents/precedent-kr.zip "
                                   f"--facts {data}/precedents/precedent-facts.zip")
