"""A replaced searcher is freed when its last request lets go of it, and a request in flight at a switch is answered
without a notice meant for Python callers (a team's server, 2026-12-07).

The server grew 0.5 → 4.3 GB over 26 index switches: every Searcher's parts held bound methods and closures of the
searcher (its encoder slot, the query preparer's title lookup), and every memory result a function reading the
result itself, so a replaced generation — memory-mapped arrays, an encoder — waited for Python's cyclic collector,
which a quiet server seldom runs. And 4 answers in the 0.4 s of a switch said "reopen it, or use
legalret.LiveSearcher" to HTTP clients of a server that is one.
"""

from __future__ import annotations

import gc
import sys
import weakref
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret import pipeline  # noqa: E402
from legalret.index import add_to_index  # noqa: E402
from legalret.precedents.facts import read_facts  # noqa: E402
from legalret.search.searcher import Searcher  # noqa: E402
from legalret.serve.live import LiveSearcher  # noqa: E402

FACTS = Path(__file__).parent / "fixtures" / "facts" / "facts.jsonl"
# words (BM25, dense, both memories), a citation read with its title (QueryPreparer.with_titles), two sentences
QUERIES = ("유치권 간접점유", "민법 제750조의 요건", "갑은 을의 자동차를 수리했다. 을이 수리비를 주지 않는다.")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    idx = tmp_path_factory.mktemp("s23_lifecycle") / "idx"
    pipeline.build(sup.articles(), idx, model=str(sup.tiny_model_dir()), precision="fp32",
                   precedents=sup.PRECEDENTS, facts=read_facts(FACTS, on_error=lambda e: None))
    first = Searcher(idx)  # (the encoder's first load imports modules that keep their importer's frames: not ours)
    for q in QUERIES:
        first.search(q, k=3)
    return idx


def _searched(searcher: Searcher) -> Searcher:
    for q in QUERIES:
        searcher.search(q, k=5, explain=True)
    searcher.search_batch(list(QUERIES), k=3)
    return searcher


def test_a_searcher_that_searched_is_freed_by_reference_counting_alone(index):
    gc.collect()
    gc.disable()  # (what a quiet server amounts to: the cyclic collector does not run)
    try:
        searcher = _searched(Searcher(index))
        assert searcher.encoders.loaded and searcher.memory is not None and searcher.facts is not None
        gone = [weakref.ref(part) for part in (searcher, searcher.memory, searcher.facts, searcher.memory.memory)]
        del searcher
        # (the memories' results had held a function reading the result itself: the memory's arrays stayed)
        assert [ref() is None for ref in gone] == [True] * 4, "a part of the searcher is in a cycle"
    finally:
        gc.enable()


def test_a_live_searcher_lets_each_replaced_generation_go(index, tmp_path):
    idx = tmp_path / "idx"
    pipeline.build(sup.articles(), idx, model="none", precedents=sup.PRECEDENTS)
    live = LiveSearcher(idx)
    gc.collect()
    gc.disable()
    try:
        replaced = []
        for n in range(3):
            gen = live.get()
            _searched(gen.searcher)
            replaced.append(weakref.ref(gen.searcher))
            del gen
            changed = [sup.amended(a, f"점유자는 {n}번째로 고친 이 조문에 따라 배상한다.") if a.key == "민법 제751조" else a
                       for a in sup.articles()]
            add_to_index(changed, idx, model="none")
            live.get()  # waits for the new generation: the old one is no longer served
        assert live.reloads == 3
        assert [ref() is None for ref in replaced] == [True, True, True]
    finally:
        gc.enable()


def test_a_request_in_flight_at_a_switch_gets_no_reopen_advice_but_a_searcher_of_ones_own_does(tmp_path):
    idx = tmp_path / "idx"
    pipeline.build(sup.articles(), idx, model="none")
    live = LiveSearcher(idx, warm=False)
    held = live.get().searcher  # a request that took the generation before the switch
    mine = Searcher(idx)
    changed = [sup.amended(a, "반려견이 사람에게 손해를 가한 때에는 점유자가 배상할 책임이 있다.") if a.key == "민법 제751조" else a
               for a in sup.articles()]
    add_to_index(changed, idx, model="none")
    assert held.search("유치권", k=2, mode="bm25").notices == []
    assert any("reopen it, or use legalret.LiveSearcher" in n for n in mine.search("유치권", k=2, mode="bm25").notices)
    assert live.get().name != held.generation  # the next request: the new generation
