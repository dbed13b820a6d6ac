"""Precedent memory as a third fused signal (PrecedentMemory / MemoryVoter)."""

import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup

from legalret import pipeline
from legalret.index import build_index
from legalret.index.store import current_generation, read_manifest
from legalret.index.tokenize import KiwiTokenizer
from legalret.search.searcher import Searcher

memory_builder = pytest.importorskip("legalret.memory.builder")

PRECEDENTS = [
    {"case_no": "2019다1001", "decided": date(2019, 3, 1), "source": "fixture",
     "holdings": [{"index": 1, "text": "임차인이 임차목적물을 반환할 때까지 보증금 반환을 거절할 수 있는지 여부", "keys": ["민법 제618조"]}]},
    {"case_no": "2018다2002", "decided": date(2018, 5, 2), "source": "fixture",
     "holdings": [{"index": 1, "text": "타인의 물건을 점유한 자가 그 물건에 관하여 생긴 채권으로 유치권을 주장할 수 있는지", "keys": ["민법 제320조", "민법 제192조"]}]},
    {"case_no": "2017다3003", "decided": date(2017, 1, 9), "source": "fixture",
     "holdings": [{"index": 1, "text": "보험계약자의 고지의무 위반을 이유로 보험자가 계약을 해지할 수 있는 기간", "keys": ["상법 제651조"]}]},
]


@pytest.fixture(scope="module")
def index_with_memory(tmp_path_factory):
    d = tmp_path_factory.mktemp("mem") / "idx"
    pipeline.build(sup.articles(), d, encoder=sup.tiny_encoder(), precedents=PRECEDENTS)
    return d


def test_build_writes_memory_and_searcher_loads_it(index_with_memory):
    # inside the generation, in the manifest (date range and case numbers: what leakage checks need)
    assert (current_generation(index_with_memory) / "memory" / "meta.json").is_file()
    assert not (index_with_memory / "memory").exists()
    section = read_manifest(index_with_memory)["memory"]
    assert section["items"] == 3 and section["cases"] == 3 and section["case_numbers"] == 3
    assert (section["decided_min"], section["decided_max"]) == ("2017-01-09", "2019-03-01")
    assert section["bm25"]["k1"] == 1.5 and section["settings"]["votes"]["depth"] > 0
    assert any(name.startswith("memory/") for name in read_manifest(index_with_memory)["files"])
    s = Searcher(index_with_memory, encoder=sup.tiny_encoder())
    assert s.memory is not None
    hits = s.search("보험계약자의 고지의무 위반으로 인한 계약 해지 기간", k=3, mode="memory")
    assert hits[0].key == "상법 제651조" and "memory" in hits[0].ranks


def test_hybrid_fuses_memory_as_a_third_signal(index_with_memory):
    s = Searcher(index_with_memory, encoder=sup.tiny_encoder())
    hits = s.search("타인의 물건을 점유한 자가 유치권을 주장할 수 있는지", k=5, explain=True)
    assert any("memory" in h.ranks for h in hits)
    assert any(r.startswith("memory weight") for r in hits[0].reasons)
    without = Searcher(index_with_memory, encoder=sup.tiny_encoder(), memory=False)
    assert without.memory is None
    assert all("memory" not in h.ranks for h in without.search("유치권 점유", k=5))


def test_memory_object_can_be_passed_in(tmp_path):
    build_index(sup.articles(), tmp_path / "b", model="none")
    memory = memory_builder.build_memory(PRECEDENTS, encoder=None, tokenizer=KiwiTokenizer())
    s = Searcher(tmp_path / "b", memory=memory)
    assert s.search("임차인 보증금 반환 거절", k=1, mode="memory")[0].key == "민법 제618조"


# ---- memory built from precedent *files* (the CLI path) -----------------------------------------------
_DECISION = """---
판례일련번호: '900001'
사건번호: {case}
사건명: 유치권부존재확인
법원명: 대법원
법원등급: 대법원
사건종류: 민사
선고일자: {date}
---

# 유치권부존재확인

## 판시사항

[1] 유치권자가 유치물을 직접 점유하지 않고 임차인을 통하여 간접점유하는 경우에도 유치권이 성립하는지 여부

## 참조조문

[1] 민법 제194조, 제320조 제1항
"""


@pytest.fixture(scope="module")
def memory_from_files(tmp_path_factory):
    """Precedents read from markdown with no catalog: `index build` must resolve their citations itself."""
    from legalret.precedents.parse import read_precedents

    root = tmp_path_factory.mktemp("prec")
    (root / "2015다1111.md").write_text(_DECISION.format(case="2015다1111", date="2015-06-11"), encoding="utf-8")
    (root / "2018다2222.md").write_text(_DECISION.format(case="2018다2222", date="2018-02-08"), encoding="utf-8")
    d = root / "idx"
    pipeline.build(sup.articles(), d, model="none", precedents=read_precedents([root]))
    return Searcher(d)


def test_build_resolves_precedent_citations_against_the_index(memory_from_files):
    hits = memory_from_files.search("유치권자가 간접점유하는 경우 유치권 성립 여부", k=2, mode="memory")
    assert {h.key for h in hits} == {"민법 제194조", "민법 제320조"}


def test_explain_names_the_precedents_behind_a_hit(memory_from_files):
    hits = memory_from_files.search("간접점유하는 유치권자의 유치권 성립", k=5, explain=True)
    supported = [h for h in hits if h.key == "민법 제320조"][0]
    lines = [r for r in supported.reasons if r.startswith("판례 ")]
    assert len(lines) == 2 and all("간접점유" in line for line in lines)
    assert {line.split(" (")[0] for line in lines} == {"판례 2015다1111", "판례 2018다2222"}
    assert any("2018다2222 (2018-02-08)" in line for line in lines)


def test_before_and_exclude_keep_later_and_same_decisions_from_voting(memory_from_files):
    q = "유치권자가 간접점유하는 경우 유치권 성립 여부"
    only_2015 = memory_from_files.search(q, k=5, mode="memory", before=date(2016, 1, 1), explain=True)
    assert only_2015 and all("2018다2222" not in r for h in only_2015 for r in h.reasons)
    assert memory_from_files.search(q, k=5, mode="memory", before=date(2015, 6, 11)) == []
    excluded = memory_from_files.search_batch([q, q], k=5, mode="memory", exclude=["2015다1111", "2018다2222"], explain=True)
    assert all("2015다1111" not in r for h in excluded[0] for r in h.reasons)
    assert all("2018다2222" not in r for h in excluded[1] for r in h.reasons)


def test_overlapped_query_encoding_gives_the_same_results(index_with_memory):
    """Encoding the query in a worker thread while BM25 and the memory run changes nothing but the timing; the
    memory read from the index's key arrays votes as the in-memory one (same keys, votes, support)."""
    s = Searcher(index_with_memory, encoder=sup.tiny_encoder())
    queries = ["유치권 간접점유", "보험계약자의 계약 해지", "민법 제320조 유치권", "손해배상"]
    s.overlap_encoding = False
    serial = [s.search(q, k=10, explain=True) for q in queries]
    s.overlap_encoding = True
    overlapped = [s.search(q, k=10, explain=True) for q in queries]
    for a, b in zip(serial, overlapped):
        assert [(h.key, h.score, h.ranks, h.scores, h.reasons, h.votes) for h in a] == \
               [(h.key, h.score, h.ranks, h.scores, h.reasons, h.votes) for h in b]
    assert s._pool is not None  # the worker thread did run
    loaded = s.memory
    assert loaded.memory.vote_arrays() is not None
    rebuilt = memory_builder.memory_from_items(list(loaded.memory.items), tokenizer=loaded.memory.tokenizer)
    assert rebuilt.vote_arrays() is None  # items in memory: votes read each holding's keys
    from legalret.memory.retriever import MemoryVoter

    other = MemoryVoter(rebuilt, loaded.config)
    assert all(loaded.explain(q, None).votes for q in queries[:2])
    for q in queries:
        a, b = loaded.explain(q, None), other.explain(q, None)
        assert [(v.key, v.vote, v.share, [h.row for h in v.support]) for v in a.votes] == \
               [(v.key, v.vote, v.share, [h.row for h in v.support]) for v in b.votes]
        assert [(h.row, h.rank, h.weight, h.keys) for h in a.holdings] == [(h.row, h.rank, h.weight, h.keys) for h in b.holdings]
