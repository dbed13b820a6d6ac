"""A law renamed under its 법령ID, a future version's changed text, and the re-read of a law no decision cites
(findings of a new user keeping an index current, session 18).

1. A law renamed under the same 법령ID (주택임대차보호법 → 주택임차인보호법, 법령ID 001248) had become a second law: added
   3, removed 0, no word; both laws in ``index info``; "주택임대차보호법 제4조" then 주택임차인보호법 제4조 in a search, the
   same article twice. ``index add`` stops now, nothing written, exit 1 (as the removal guard), in one line naming the file, both names, the
   법령ID and the choices; ``--rename`` indexes it in the held law's place (``renamed`` in the report) and records the
   old name, so that the precedent memory's holdings citing the old name keep voting (for the new name's articles),
   a query citing the old name finds the new one, and the archives are not read again for it.
2. A version not yet in force whose article changed in text without an amendment note (제4조 2년 → 3년, 시행일자 in
   the future) was "changed in text" — and a search gave it as in force, no notice. It is stored so that
   ``Article.takes_effect`` names the version's date.
3. After an add that read the decision archives again for a law no decision cites (a made-up law), ``index info`` kept
   saying "laws its decisions were not read for: …" — and each add read them again.

By the real CLI on the multilaw fixture (real articles of the mirror, ``--model none``): typer's runner for the
reports, ``python -m legalret`` where the usage error's printing (``legalret.cli.main``) is what is tested.
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

from legalret import pipeline
from legalret.cli import app
from legalret.index.store import current_generation, generations, load_index, read_manifest
from legalret.search.filters import Filters
from legalret.search.searcher import Searcher

REPO = Path(__file__).resolve().parent.parent
MULTILAW = Path(__file__).parent / "fixtures" / "multilaw"
LEASE = MULTILAW / "statutes" / "legalize-kr" / "주택임대차보호법" / "법률.md"
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "300"}
OLD, NEW = "주택임대차보호법", "주택임차인보호법"

runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, list(args), env=ENV)


def _process(*args: str) -> subprocess.CompletedProcess:
    """``legalret ARGS`` as a user runs it (``legalret.cli.main``: an error is one line on stderr)."""
    return subprocess.run([sys.executable, "-m", "legalret", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **ENV}, cwd=REPO, stdin=subprocess.DEVNULL)


def _report(r) -> dict:
    return json.loads(r.stdout.strip().splitlines()[-1])


def _renamed_file(where: Path, name: str = NEW, law_id: str = "001248") -> Path:
    """The fixture's 주택임대차보호법 with its 제목 and heading changed to ``name`` (and its 법령ID to ``law_id``)."""
    text = LEASE.read_text(encoding="utf-8")
    text = text.replace(f"제목: {OLD}\n", f"제목: {name}\n", 1).replace(f"\n# {OLD}\n", f"\n# {name}\n", 1)
    text = text.replace("법령ID: '001248'\n", f"법령ID: '{law_id}'\n", 1)
    path = where / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def _holdings(index: Path) -> dict[str, list[list[str]]]:
    """Case number → the keys each of its holdings votes for, in the live generation's memory."""
    out: dict[str, list[list[str]]] = {}
    with open(current_generation(index) / "memory" / "items.jsonl", encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            out.setdefault(item["case_no"], []).append(item["keys"])
    return out


def built_index(tmp_path: Path, *laws: str) -> Path:
    """An index of the fixture's ``laws`` (BM25 only) at ``tmp_path/idx``, with a precedent memory of its decisions."""
    decisions = tmp_path / "decisions"
    shutil.copytree(MULTILAW / "precedents", decisions)
    path = tmp_path / "idx"
    r = _cli("index", "build", str(MULTILAW / "statutes"), *(a for law in laws for a in ("--law", law)),
             "--index", str(path), "--model", "none", "--precedents", str(decisions))
    assert r.exit_code == 0, r.output
    return path


@pytest.fixture()
def index(tmp_path: Path) -> Path:
    """민법 and 주택임대차보호법, with a precedent memory of the fixture's decisions (three cite both)."""
    return built_index(tmp_path, "민법", OLD)


# ---- 1. a renamed law ------------------------------------------------------------------------------------------
def test_a_law_renamed_under_its_id_stops_the_add_in_one_line(index, tmp_path):
    renamed = _renamed_file(tmp_path)
    before = [g.name for g in generations(index)]
    message = (f"{renamed}: {NEW} has the 법령ID 001248 of {OLD}, a law this index holds (renamed?); nothing was "
               f"written — pass --rename to index {NEW} in {OLD}'s place (citations of {OLD} then find {NEW}), or "
               "correct the law's name in the file")

    proc = _process("index", "add", str(renamed), "--index", str(index))
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().splitlines()[-1] == f"error: {message}"
    proc = _process("index", "add", str(renamed), "--index", str(index), "--json")
    assert proc.returncode == 1 and json.loads(proc.stdout) == {"error": message, "exit": 1}
    assert [g.name for g in generations(index)] == before  # nothing written (had been: added 3, removed 0)
    assert list(read_manifest(index)["laws"]) == ["민법", OLD]

    from legalret.index.build import LawRenamed

    with pytest.raises(LawRenamed):  # (the API: an IndexError_ of its own)
        pipeline.add(_read(renamed), index)


def _read(path: Path) -> list:
    from legalret.ingest import ingest

    return ingest([str(path)]).articles


def test_rename_indexes_it_in_the_held_laws_place_and_the_memory_keeps_its_votes(index, tmp_path):
    assert _holdings(index)["2018다3305"] == [[f"{OLD} 제4조", "민법 제618조"], [f"{OLD} 제4조", "민법 제635조"]]
    r = _cli("index", "add", str(_renamed_file(tmp_path)), "--index", str(index), "--rename", "--json")
    assert r.exit_code == 0, r.output
    report = _report(r)
    assert report["renamed"] == [{"from": OLD, "to": NEW, "law_id": "001248"}]
    assert report["removed_keys"] == [f"{OLD} 제4조", f"{OLD} 제6조", f"{OLD} 제10조"]
    assert report["added_keys"] == [f"{NEW} 제4조", f"{NEW} 제6조", f"{NEW} 제10조"]
    manifest = read_manifest(index)
    assert list(manifest["laws"]) == ["민법", NEW] and manifest["renamed"] == {OLD: NEW}  # in its place, one law
    # the holdings citing the old name vote for the new name's articles (they had lost those votes)
    assert report["memory"]["removed_citations"] == report["memory"]["added_citations"] == 4
    assert report["memory"]["silent_items"] == 0
    holdings = _holdings(index)
    assert holdings["2018다3305"] == [[f"{NEW} 제4조", "민법 제618조"], [f"{NEW} 제4조", "민법 제635조"]]
    assert holdings["2020다8807"] == [[f"{NEW} 제10조"], ["민법 제623조"]]
    # the archives were read for the old name: not again for the new one, and not "not read for"
    assert "reread" not in report["memory"] and "laws_not_read" not in report["memory"]
    info = _cli("index", "info", "--index", str(index))
    assert info.exit_code == 0 and "not read for" not in info.stdout
    assert f"renamed: {OLD} → {NEW}; citations of the old name read as the new one" in info.stdout.splitlines()
    assert json.loads(_cli("index", "info", "--index", str(index), "--json").stdout)["memory_laws_not_read"] == []

    # the text report says it in one line
    again = tmp_path / "again"
    shutil.copytree(index, again)
    r = _cli("index", "rollback", "--index", str(again))
    assert r.exit_code == 0, r.output
    r = _cli("index", "add", str(_renamed_file(tmp_path)), "--index", str(again), "--rename")
    assert r.exit_code == 0, r.output
    assert (f"renamed: {OLD} → {NEW} (법령ID 001248): indexed in its place; citations of {OLD} read as {NEW}"
            in r.stdout.splitlines())  # (the report: stdout)


def test_a_query_or_filter_naming_the_old_name_finds_the_new_one_once(index, tmp_path):
    pipeline.add(_read(_renamed_file(tmp_path)), index, rename=True)
    searcher = Searcher(index)
    for query in (f"{OLD} 제4조", f"{NEW} 제4조", "주임법 제4조"):  # (주임법: the registered short name of the old)
        res = searcher.search(query, k=5, mode="bm25")
        assert res.keys[0] == f"{NEW} 제4조", query
        assert not any(k.startswith(OLD) for k in res.keys)  # (had been: 주택임대차보호법 제4조, then the copy)
    assert Filters(load_index(index)).resolve_laws(OLD) == [NEW]


def test_a_re_add_of_the_new_name_is_unchanged_and_the_old_name_is_a_law_again_when_added(index, tmp_path):
    renamed = _renamed_file(tmp_path)
    assert pipeline.add(_read(renamed), index, rename=True).renamed
    again = pipeline.add(_read(renamed), index)  # (the held law is the new name now: no rename to detect)
    assert not again.wrote and again.renamed == []
    # renamed back (the old file): the record follows — the name now held is no alias of anything
    back = pipeline.add(_read(LEASE), index, rename=True)
    assert back.renamed == [{"from": NEW, "to": OLD, "law_id": "001248"}]
    manifest = read_manifest(index)
    assert list(manifest["laws"]) == ["민법", OLD] and manifest["renamed"] == {NEW: OLD}
    assert _holdings(index)["2020다8807"] == [[f"{OLD} 제10조"], ["민법 제623조"]]


def test_what_is_no_rename(index, tmp_path):
    """Another spacing is the same law (respelled, not renamed); a batch that gives the held law too is two laws
    sharing an ID, each indexed as named; a law without a 법령ID, or of another, is a new law."""
    spaced = _renamed_file(tmp_path, "주택임대차 보호법")
    report = pipeline.add(_read(spaced), index)
    assert report.renamed == [] and report.respelled and not report.wrote
    both = pipeline.add(_read(LEASE) + _read(_renamed_file(tmp_path)), index)
    assert both.renamed == [] and list(read_manifest(index)["laws"]) == ["민법", OLD, NEW]
    other = pipeline.add(_read(_renamed_file(tmp_path, "가상임대법", law_id="999999")), index)
    assert other.renamed == [] and "가상임대법" in read_manifest(index)["laws"]


def test_rename_of_a_law_the_batch_does_not_hold_whole_is_refused(index, tmp_path):
    before = [g.name for g in generations(index)]
    proc = _process("index", "add", str(_renamed_file(tmp_path)), "--index", str(index), "--rename", "--keep-missing")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f"error: {index}: {NEW} would replace {OLD} whole, but this batch does not hold it whole (--keep-missing): the "
        f"articles of {OLD} it lacks would be lost; nothing was written — give the whole law")
    assert [g.name for g in generations(index)] == before


# ---- 2. a future version's changed text --------------------------------------------------------------------------
def _future(where: Path) -> Path:
    """The fixture's 주택임대차보호법 as a version promulgated 2099-01-01, in force 2099-07-01, whose 제4조 changed
    (2년 → 3년) with no amendment note; 제6조 and 제10조 unchanged but for the version's dates."""
    text = LEASE.read_text(encoding="utf-8")
    text = text.replace("공포일자: 2025-10-01", "공포일자: 2099-01-01").replace("시행일자: 2026-01-02", "시행일자: 2099-07-01")
    assert "그 기간을 2년으로 본다" in text
    text = text.replace("그 기간을 2년으로 본다", "그 기간을 3년으로 본다", 1)
    path = where / "future.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_future_versions_changed_text_without_a_note_is_not_given_as_in_force(index, tmp_path):
    future = _future(tmp_path)
    r = _cli("index", "add", str(future), "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    assert _report(r)["changed_text_keys"] == [f"{OLD} 제4조"]
    searcher = Searcher(index)
    res = searcher.search(f"{OLD} 제4조", k=1, mode="bm25")
    assert "3년으로 본다" in res[0].article.body_text()
    assert res[0].article.takes_effect("2030-01-01") == "2099-07-01"  # (had been None: read as the text in force)
    assert any("not yet in force" in n and "2099-07-01" in n for n in res.notices), res.notices
    # the articles the version did not change read as in force (their notes, as before)
    assert searcher.search(f"{OLD} 제10조", k=1, mode="bm25")[0].article.takes_effect("2030-01-01") is None
    # a re-add of the same file changes nothing (not "changed in their dates")
    again = _cli("index", "add", str(future), "--index", str(index), "--json")
    assert again.exit_code == 0 and _report(again)["wrote"] is False


# ---- 3. a law no decision cites, read for ---------------------------------------------------------------------
def test_a_law_whose_decisions_were_read_again_and_none_cite_it_is_read(index, tmp_path):
    made_up = _renamed_file(tmp_path, "가상임대법", law_id="999999")
    r = _cli("index", "add", str(made_up), "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    assert _report(r)["memory"]["reread"]["laws"] == ["가상임대법"]
    assert _report(r)["memory"]["precedents_added"] == 0  # (none cites it)
    info = _cli("index", "info", "--index", str(index))
    assert "not read for" not in info.stdout  # (had been: "laws its decisions were not read for: 가상임대법 — …")
    assert json.loads(_cli("index", "info", "--index", str(index), "--json").stdout)["memory_laws_not_read"] == []
    # nothing left to read again: the plain add is the usage error it is when there is nothing to do
    assert _process("index", "add", "--index", str(index)).returncode == 2
