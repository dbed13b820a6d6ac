"""The precedent memory inside the index generations: consistency on every update, precedent adds,
no memory without precedents, migration of the old layout, and a kill during the memory stage."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret import pipeline  # noqa: E402
from legalret.errors import IndexError_, LegalretError  # noqa: E402
from legalret.index.store import current_generation, generations, load_index, read_manifest  # noqa: E402
from legalret.memory.builder import build_memory  # noqa: E402
from legalret.search.searcher import MODES, Searcher  # noqa: E402

PRECEDENTS = sup.PRECEDENTS
LEASE = "임대차의 존속기간과 차임 지급"


def _build(path: Path, **kw):
    return pipeline.build(sup.articles(), path, model="none", precedents=PRECEDENTS, **kw)


def _all_modes(index: Path, query: str) -> dict[str, list[str]]:
    s = Searcher(index)
    return {mode: s.search(query, k=15, mode=mode).keys for mode in MODES if mode != "dense" or s.has_dense}


def test_build_without_precedents_has_no_memory_and_replaces_one(tmp_path):
    index = tmp_path / "idx"
    _build(index)
    assert "memory" in read_manifest(index)["parts"]
    with pytest.raises(LegalretError, match="holds a precedent memory"):  # refused unless asked for
        pipeline.build(sup.articles(), index, model="none")
    pipeline.build(sup.articles(), index, model="none", drop_memory=True)  # a rebuild without precedents: no memory left
    assert read_manifest(index)["parts"] == [] and "memory" not in read_manifest(index)
    assert not (current_generation(index) / "memory").exists()
    s = Searcher(index)
    assert s.memory is None and "memory" not in s.search(LEASE, k=5)[0].ranks
    with pytest.raises(Exception, match="no precedent memory"):
        s.search(LEASE, mode="memory")


def test_add_that_removes_renames_and_adds_articles_keeps_the_memory_consistent(tmp_path):
    index = tmp_path / "idx"
    _build(index)
    assert "민법 제618조" in _all_modes(index, LEASE)["memory"]
    # 민법 again without 제618조, with 제390조 renumbered as 제390조의2 and a new 제999조
    civil = [a for a in sup.articles() if a.law == "민법" and a.key != "민법 제618조"]
    renamed = [dataclasses.replace(a, branch=2) if a.key == "민법 제390조" else a for a in civil]
    new = dataclasses.replace(civil[0], number=999, title="새 조문")
    report = pipeline.add(renamed + [new], index, allow_removals=True)
    assert report.removed == 2 and report.added == 2
    assert report.memory["removed_citations"] == 2 and report.memory["changed"] == 1
    for mode, keys in _all_modes(index, LEASE).items():  # no KeyError, and the removed articles never surface
        assert "민법 제618조" not in keys and "민법 제390조" not in keys, mode
    assert "민법 제390조의2" not in _all_modes(index, LEASE)["memory"]  # plain records carry no citation to re-resolve
    # the whole memory went through the same commit: checksummed and verified like the articles
    data = load_index(index, verify="full")
    assert "memory" in data.parts and any(f.startswith("memory/") for f in data.manifest["files"])
    # the same 민법 back again: the article returns and its holding (kept, silent meanwhile) votes for it again
    report = pipeline.add([a for a in sup.articles() if a.law == "민법"], index, allow_removals=True)
    assert report.memory["added_citations"] == 2 and report.memory["silent_items"] == 0  # 제618조, 제390조
    assert "민법 제618조" in _all_modes(index, LEASE)["memory"]


def test_a_memory_that_lost_all_its_articles_still_searches(tmp_path):
    index = tmp_path / "idx"
    _build(index)
    commercial = [a for a in sup.articles() if a.law == "상법" and a.key != "상법 제651조"]
    report = pipeline.add(commercial, index, allow_removals=True)
    assert report.memory["silent_items"] == 1 and report.memory["items"] == 3  # kept, but it cannot vote
    for mode, keys in _all_modes(index, "보험계약자의 고지의무 위반 해지 기간").items():
        assert "상법 제651조" not in keys, mode


def test_precedent_add_round_trip(tmp_path):
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none", precedents=PRECEDENTS[1:])
    assert read_manifest(index)["memory"]["items"] == 2
    assert "민법 제618조" not in Searcher(index).search(LEASE, k=5, mode="memory").keys
    report = pipeline.add([], index, precedents=PRECEDENTS[:1])
    assert report.wrote and report.added == report.changed == report.removed == 0
    assert report.memory["precedents_added"] == 1 and report.memory["items"] == 3
    section = read_manifest(index)["memory"]
    assert section["items"] == 3 and section["decided_max"] == "2019-03-01"
    assert Searcher(index).search(LEASE, k=5, mode="memory")[0].key in {"민법 제618조", "민법 제390조"}
    # the same precedents again: the stored decision exactly, so nothing grows and no generation is written (each
    # such add had written one, pruning an older one)
    again = pipeline.add([], index, precedents=PRECEDENTS[:1])
    assert again.memory["precedents_replaced"] == 0 and not again.wrote and read_manifest(index)["memory"]["items"] == 3


def test_precedent_add_from_files(tmp_path):
    from legalret.precedents.parse import read_precedents

    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none")
    decision = textwrap.dedent("""\
        ---
        판례일련번호: '900001'
        사건번호: 2015다1111
        사건명: 유치권부존재확인
        법원명: 대법원
        법원등급: 대법원
        사건종류: 민사
        선고일자: 2015-06-11
        ---

        # 유치권부존재확인

        ## 판시사항

        [1] 유치권자가 유치물을 직접 점유하지 않고 임차인을 통하여 간접점유하는 경우에도 유치권이 성립하는지 여부

        ## 참조조문

        [1] 민법 제194조, 제320조 제1항
        """)
    (tmp_path / "prec").mkdir()
    (tmp_path / "prec" / "2015다1111.md").write_text(decision, encoding="utf-8")
    pipeline.add([], index, precedents=read_precedents([tmp_path / "prec"]))
    hits = Searcher(index).search("간접점유하는 유치권자의 유치권 성립", k=2, mode="memory")
    assert {h.key for h in hits} == {"민법 제194조", "민법 제320조"}
    # the parsed citations are stored: removing and re-adding 제194조 re-resolves them
    civil = [a for a in sup.articles() if a.law == "민법"]
    pipeline.add([a for a in civil if a.key != "민법 제194조"], index)
    assert Searcher(index).search("간접점유하는 유치권자의 유치권 성립", k=2, mode="memory").keys == ["민법 제320조"]
    report = pipeline.add(civil, index)
    assert report.memory["added_citations"] == 1
    assert {h.key for h in Searcher(index).search("간접점유하는 유치권자의 유치권 성립", k=2, mode="memory")} == {
        "민법 제194조", "민법 제320조"}


def test_old_layout_memory_is_refused_then_migrated(tmp_path):
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none")
    # what an index written before the memory moved inside the generations looked like
    (index / "memory").mkdir()
    meta = {"format": "legalret-precedent-memory", "version": 1, "items": 3, "with_summary": True}
    (index / "memory" / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    lines = [dict(it.to_dict(), tokens=it.text.split()) for it in build_memory(PRECEDENTS).items]
    (index / "memory" / "items.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    with pytest.raises(IndexError_, match="old layout.*legalret index add"):
        Searcher(index)
    assert Searcher(index, memory=False).search(LEASE, k=1)
    report = pipeline.add([], index)
    assert report.wrote and report.memory["items"] == 3
    assert not (index / "memory").exists()
    assert "민법 제618조" in Searcher(index).search(LEASE, k=5, mode="memory").keys


_KILL_SCRIPT = """
import sys, time
sys.path.insert(0, {support!r})
import index_support as sup
from legalret import pipeline

def slow():  # precedents that arrive slowly: the build sits in its memory stage
    yield {{"case_no": "2001다1", "decided": "2001-01-01", "holdings": [{{"index": 1, "text": "임대차 보증금", "keys": ["민법 제618조"]}}]}}
    print("MEMORY STAGE", flush=True)
    time.sleep(60)

pipeline.build(sup.articles(), {index!r}, model="none", precedents=slow())
"""


def test_kill_during_the_memory_stage_leaves_the_previous_generation(tmp_path):
    index = tmp_path / "idx"
    _build(index)
    before = current_generation(index).name
    script = _KILL_SCRIPT.format(support=str(Path(__file__).parent / "fixtures" / "index"), index=str(index))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 240
        line = ""
        while time.time() < deadline and "MEMORY STAGE" not in line:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                pytest.fail(f"the build ended early: {proc.stderr.read()[-2000:]}")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert current_generation(index).name == before
    (index / ".tmp-killedwriter").mkdir(exist_ok=True)  # what a kill during the write stage leaves
    s = Searcher(index, verify="full")
    assert s.search(LEASE, k=5, mode="memory").keys
    assert not list(index.glob(".tmp-*"))  # cleaned when the index was opened
    assert [g.name for g in generations(index)] == [before]
