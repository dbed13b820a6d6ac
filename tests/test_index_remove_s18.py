"""``legalret index remove LAW [LAW...]``: a law removed whole, on purpose (session 18).

There had been no way to remove a law but a full rebuild (and ``index rollback`` keeps three generations). The
command writes a new generation through the add's own writer (``pipeline.remove`` → ``add_to_index(remove_laws=…)``),
so a rollback undoes it; the report lists the removed articles per law; the precedent memory's citations are
re-resolved — its items kept, voting again when the law comes back; a law the index does not hold is a usage error
with a "did you mean", and removing every law is refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_renamed_law_s18 import MULTILAW, _cli, _holdings, _process, _report, built_index  # (same data, same runs)

from legalret import pipeline
from legalret.errors import IndexError_
from legalret.index.store import current_generation, generations, read_manifest

LEASE = "주택임대차보호법"


@pytest.fixture()
def index(tmp_path: Path) -> Path:
    """민법, 주택임대차보호법 and 형법 (BM25 only), with a precedent memory of the fixture's decisions."""
    return built_index(tmp_path, "민법", LEASE, "형법")


def test_remove_writes_a_generation_lists_the_articles_per_law_and_a_rollback_undoes_it(index):
    before = current_generation(index).name
    holdings = _holdings(index)
    r = _cli("index", "remove", LEASE, "형법", "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    report = _report(r)
    assert report["removed_laws"] == {LEASE: [f"{LEASE} 제4조", f"{LEASE} 제6조", f"{LEASE} 제10조"],
                                      "형법": ["형법 제250조", "형법 제329조", "형법 제347조"]}
    assert (report["removed"], report["added"], report["laws"], report["wrote"]) == (6, 0, 1, True)
    assert list(read_manifest(index)["laws"]) == ["민법"]
    # the memory: no item dropped; its citations of the removed laws stop voting
    assert report["memory"]["items"] == sum(len(v) for v in holdings.values())
    assert _holdings(index)["2020다8807"] == [[], ["민법 제623조"]]
    assert report["memory"]["silent_items"] >= 1
    # undone by a rollback
    r = _cli("index", "rollback", "--index", str(index))
    assert r.exit_code == 0, r.output
    assert current_generation(index).name == before and list(read_manifest(index)["laws"]) == ["민법", LEASE, "형법"]


def test_the_text_report_names_the_removed_articles_law_by_law(index):
    r = _cli("index", "remove", "주택임대차 보호법", "--index", str(index))  # (any spacing: the held law)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()  # (the report: stdout)
    assert f"removed {LEASE} (3 articles): {LEASE} 제4조, 제6조, 제10조" in lines
    assert "added 0, changed 0, removed 3, unchanged 0" in lines
    assert not any(line.startswith("removed: ") for line in lines)  # (no second list of the same keys)


def test_a_removed_law_added_back_votes_again(index):
    holdings = _holdings(index)
    pipeline.remove([LEASE], index)
    assert _holdings(index) != holdings
    from legalret.ingest import ingest

    report = pipeline.add(ingest([str(MULTILAW / "statutes")], laws=[LEASE]).articles, index)
    assert report.added == 3 and "reread" not in (report.memory or {})  # (its decisions were read for it: kept)
    assert _holdings(index) == holdings


def test_an_unknown_law_is_a_usage_error_with_the_nearest_names(index):
    before = [g.name for g in generations(index)]
    proc = _process("index", "remove", "주택임대차법", "--index", str(index))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"error: no law '주택임대차법' in {index} (did you mean {LEASE}?); nothing was removed "
        "(see `python -m legalret index remove --help`)"]
    proc = _process("index", "remove", "상법", "--index", str(index), "--json")
    assert proc.returncode == 2
    assert json.loads(proc.stdout) == {
        "error": f"no law '상법' in {index} (it holds 3 laws; see `legalret index info --index {index}`); nothing was "
                 "removed", "exit": 2}
    assert [g.name for g in generations(index)] == before
    with pytest.raises(IndexError_, match="no law '상법' in this index"):  # (the API: the same refusal)
        pipeline.remove(["상법"], index)


def test_removing_every_law_is_refused(index):
    before = [g.name for g in generations(index)]
    proc = _process("index", "remove", "민법", LEASE, "형법", "--index", str(index), "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {
        "error": f"{index}: this would remove every law of the index (민법, {LEASE}, 형법); nothing was written — an "
                 "index holds at least one law: build a new one with `legalret index build` instead", "exit": 1}
    assert [g.name for g in generations(index)] == before


def test_remove_help_reads_as_add_help():
    r = _cli("index", "remove", "--help")
    assert r.exit_code == 0
    text = " ".join(r.stdout.split())
    assert "Usage: root index remove [OPTIONS] LAWS..." in text or "index remove [OPTIONS] LAWS..." in text
    for said in ("Remove whole laws from the index: a new generation", "`legalret index rollback` undoes it",
                 "--index", "Index directory.", "--json", "Print the report as JSON on stdout.",
                 "Exit status: 0 done; 1 an error, nothing written"):
        assert said in text, said
