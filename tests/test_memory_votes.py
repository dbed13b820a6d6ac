"""Precedent memory: vote aggregation, ties, many-article citations, leakage guards, explain data."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest

from legalret.memory import (
    MemoryVoter,
    PrecedentMemory,
    build_memory,
    WeightConfig,
    memory_weight,
)
from legalret.memory.retriever import HoldingMatch, _tie_ranks
from legalret.memory.format import MemoryItem

FIXTURE = Path(__file__).parent / "fixtures" / "memory" / "precedents.jsonl"


class SpaceTokenizer:
    """Whitespace tokens: enough for hand-made holdings whose phrases repeat verbatim."""

    def tokenize(self, text: str) -> list[str]:
        return text.split()


def load_fixture() -> list[dict]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture()
def memory() -> PrecedentMemory:
    return build_memory(load_fixture(), tokenizer=SpaceTokenizer())


def test_build_keeps_only_holdings_that_cite_articles(memory):
    ids = [it.holding_id for it in memory.items]
    assert len(ids) == 10  # 11 holdings in the fixture, one cites nothing
    assert "2012다7007#2" not in ids and "2012다7007#1" in ids
    item = memory.items[ids.index("2001다1001#1")]
    assert item.decided == date(2001, 3, 9) and item.keys == ["민법 제536조", "민법 제618조"]
    assert "동시이행관계에 있다." in item.summary  # 판결요지 kept and indexed with the holding
    assert "동시이행관계에" in memory.tokens_of(ids.index("2001다1001#1"))


def test_keep_keys_filters_citations_the_index_cannot_return():
    memory = build_memory(load_fixture(), tokenizer=SpaceTokenizer(), keep_keys=lambda key: key.startswith("상법"))
    assert {it.case_no for it in memory.items} == {"2015다4004", "2014다8008"}
    assert all(k.startswith("상법") for it in memory.items for k in it.keys)


def test_search_ranks_the_article_most_similar_holdings_cite(memory):
    retriever = MemoryVoter(memory)
    ranking = retriever.search("불법행위로 인한 손해배상청구권의 소멸시효 기산점", k=5)
    assert ranking[0][0] == "민법 제766조"
    shares = MemoryVoter(memory, score_exponent=1.0).search("불법행위로 인한 손해배상청구권의 소멸시효 기산점", k=100)
    assert abs(sum(s for _, s in shares) - 1) < 1e-6  # with exponent 1 the scores are the vote shares
    assert all(a[1] >= b[1] for a, b in zip(ranking, ranking[1:]))
    assert retriever.search("전혀 관계없는 질문", k=5) == []


def _match(case_no: str, keys: list[str], weight: float, rank: float, row: int) -> HoldingMatch:
    item = MemoryItem(case_no=case_no, decided=date(2010, 1, 1), index=row, text=f"holding {row}", keys=keys)
    return HoldingMatch(row=row, similarity=weight, raw_score=weight, rank=rank, weight=weight, case_no=case_no,
                        keys=keys, items={row: item})


def test_many_article_citation_spreads_its_vote(memory):
    twelve = [f"민법 제{n}조" for n in range(162, 174)]
    holdings = [_match("A", twelve, 1.0, 1, 0), _match("B", ["민법 제766조"], 0.5, 2, 1)]
    votes = MemoryVoter(memory, spread=1.0)._aggregate(holdings, None)
    by_key = {v.key: v.vote for v in votes}
    assert by_key["민법 제766조"] == pytest.approx(0.5)
    assert by_key["민법 제162조"] == pytest.approx(1 / 12)
    # the tuned default spread=0.5 divides by √12 instead: still below the focused holding
    tuned = {v.key: v.vote for v in MemoryVoter(memory)._aggregate(holdings, None)}
    assert tuned["민법 제162조"] == pytest.approx(1 / 12**0.5) and tuned["민법 제162조"] < tuned["민법 제766조"]
    assert votes[0].key == "민법 제766조"  # one focused holding beats a top holding that cites twelve
    # spread=0 turns the split off: every cited article gets the full weight
    flat = {v.key: v.vote for v in MemoryVoter(memory, spread=0.0)._aggregate(holdings, None)}
    assert flat["민법 제162조"] == pytest.approx(1.0)


def test_one_decision_votes_once_per_article(memory):
    holdings = [
        _match("A", ["민법 제750조"], 1.0, 1, 0),
        _match("A", ["민법 제750조"], 0.8, 2, 1),  # same decision, same article: not independent evidence
        _match("B", ["민법 제750조"], 0.5, 3, 2),
    ]
    vote = MemoryVoter(memory)._aggregate(holdings, None)[0]
    assert vote.vote == pytest.approx(1.5)
    assert [h.row for h in vote.support] == [0, 2]


def test_ties_share_ranks_and_break_deterministically(memory):
    assert _tie_ranks([1.0, 0.5, 0.5, 0.2]) == [1, 2.5, 2.5, 4]
    holdings = [_match("A", ["민법 제2조"], 0.5, 1, 0), _match("B", ["민법 제1조"], 0.5, 1, 1)]
    votes = MemoryVoter(memory)._aggregate(holdings, None)
    assert [v.key for v in votes] == ["민법 제1조", "민법 제2조"]  # equal votes, equal best rank → by key
    assert votes[0].vote == votes[1].vote
    # equal-similarity holdings in a real search get the same rank and weight, whatever their order
    result = MemoryVoter(memory).explain("소멸시효 기산점인 손해 및 가해자를 안 날", k=None)
    same = [h for h in result.holdings if h.item.case_no in ("2019다5005", "2020다6006")]
    assert len(same) == 2 and same[0].rank == same[1].rank and same[0].weight == same[1].weight


def test_before_lets_only_strictly_earlier_precedents_vote(memory):
    retriever = MemoryVoter(memory)
    query = "불법행위로 인한 손해배상청구권의 소멸시효 기산점인 손해 및 가해자를 안 날"
    assert "민법 제760조" in dict(retriever.search(query, k=20))  # cited only by 2020다6006 (2020-01-01)
    early = retriever.explain(query, k=20, before=date(2020, 1, 1))
    assert "민법 제760조" not in dict(early.ranking())
    assert all(h.item.decided < date(2020, 1, 1) for h in early.holdings)
    assert "민법 제760조" in dict(retriever.search(query, k=20, before="2020-01-02"))
    assert retriever.search(query, k=20, before=date(1999, 1, 1)) == []


def test_exclude_drops_the_query_decision_even_when_it_is_the_top_match(memory):
    retriever = MemoryVoter(memory, depth=1)
    query = "불법행위로 인한 손해배상청구권의 소멸시효 기산점인 손해 및 가해자를 안 날"
    top = retriever.explain(query, k=5)
    assert top.holdings[0].item.case_no == "2019다5005"  # tied with 2020다6006: the older decision first
    without = retriever.explain(query, k=5, exclude="2019다5005")
    # the filter applies before the depth cut: the single vote goes to the next holding, not to nothing
    assert [h.item.case_no for h in without.holdings] == ["2020다6006"]
    assert "민법 제750조" not in dict(without.ranking())
    both = retriever.explain(query, k=5, exclude=["2019다5005", "2020다6006"])
    assert both.holdings and both.holdings[0].item.case_no not in ("2019다5005", "2020다6006")
    insurance = "보험계약자의 고지의무 위반을 이유로 보험자가 보험계약을 해지할 수 있는 기간"
    batch = MemoryVoter(memory).search_batch([insurance, insurance], k=5, exclude=["2015다4004", None])
    assert batch == [[], MemoryVoter(memory).search(insurance, k=5)]


def test_exclude_matches_merged_case_numbers():
    recs = [
        {"case_no": "2000므1257(본소), 1264(반소)", "decided": "2001-01-05",
         "holdings": [{"index": 1, "text": "재판상 이혼 사유 혼인 파탄", "keys": ["민법 제840조"]}]},
        {"case_no": "2003므1", "decided": "2003-01-05",
         "holdings": [{"index": 1, "text": "재판상 이혼 사유 유책배우자", "keys": ["민법 제840조", "민법 제841조"]}]},
    ]
    memory = build_memory(recs, tokenizer=SpaceTokenizer())
    retriever = MemoryVoter(memory)
    for excluded in ("2000므1264", "2000므1257(본소), 1264(반소)"):
        res = retriever.explain("재판상 이혼 사유 혼인 파탄", exclude=excluded)
        assert [h.item.case_no for h in res.holdings] == ["2003므1"]


def test_explain_names_the_precedents_behind_each_article(memory):
    result = MemoryVoter(memory).explain("불법행위로 인한 손해배상청구권의 소멸시효 기산점", k=3)
    top = result.votes[0]
    assert top.key == "민법 제766조"
    cases = [h.item.case_no for h in top.support]
    assert set(cases) >= {"2005다2002", "2010다3003", "2019다5005"}
    for h in top.support:
        assert h.item.decided and "손해배상청구권" in h.item.text and 0 < h.similarity <= 1
    assert [h.rank for h in top.support] == sorted(h.rank for h in top.support)
    assert result.support_for("민법 제766조") == top.support and result.support_for("민법 제1조") == []
    lines = result.explain_lines("민법 제766조", limit=2, width=20)
    assert len(lines) == 2 and lines[0].startswith(f"판례 {top.support[0].item.case_no} (")
    assert "[1] " in lines[0] and "…" in lines[0] and "similarity 1.00" in lines[0]
    assert result.explain_lines("민법 제1조") == []


def test_laws_filter_keeps_only_those_laws(memory):
    ranking = MemoryVoter(memory).search("상행위로 인한 채권의 소멸시효 기간", k=20, laws=["상법"])
    assert ranking and all(key.startswith("상법 ") for key, _ in ranking)


def test_adaptive_weight_trusts_holding_like_text_more_than_a_loose_question(memory):
    retriever = MemoryVoter(memory)
    holding_like = retriever.explain("보험계약자의 고지의무 위반을 이유로 보험자가 보험계약을 해지할 수 있는 기간", k=10)
    loose = retriever.explain("보험에 들 때 병을 숨기면 회사가 계약을 언제까지 해지할 수 있는 기간이 있나", k=10)
    assert holding_like.coverage == pytest.approx(1.0)
    assert 0 < loose.coverage < 0.6
    assert memory_weight(holding_like) > memory_weight(loose) > 0
    gate = WeightConfig(max_weight=1.0, midpoint=0.5, slope=10.0)  # a stricter gate separates the two kinds
    assert memory_weight(holding_like, gate) > 0.9 > memory_weight(loose, gate)
    empty = retriever.explain("전혀 관계없는 질문", k=10)
    assert memory_weight(empty) == 0.0
    capped = WeightConfig(max_weight=0.3)
    assert memory_weight(holding_like, capped) <= 0.3


def test_score_exponent_flattens_scores_without_reordering(memory):
    query = "불법행위로 인한 손해배상청구권의 소멸시효 기산점"
    plain = MemoryVoter(memory, score_exponent=1.0).explain(query, k=None)
    flat = MemoryVoter(memory, score_exponent=0.5).explain(query, k=None)
    assert [v.key for v in plain.votes] == [v.key for v in flat.votes]
    assert sum(v.share for v in flat.votes) == pytest.approx(1.0)
    assert all(v.score == pytest.approx(v.share**0.5) for v in flat.votes)
    assert [s for _, s in flat.ranking(exponent=1.0)] == pytest.approx([s for _, s in plain.ranking()])


# ---- the vectorized hot path against the per-holding loop it replaced ---------------------------------
def _reference_aggregate(retriever: MemoryVoter, holdings, laws):
    """The dict-based vote aggregation the numpy version replaced (the oracle: same votes, same order)."""
    cfg = retriever.config
    law_prefixes = tuple(f"{law} 제" for law in laws) if laws else None
    best: dict = {}
    for h in holdings:
        keys = h.keys
        if law_prefixes is not None:
            keys = [key for key in keys if key.startswith(law_prefixes)]
        if not keys:
            continue
        part = h.weight / len(h.keys) ** cfg.spread
        for key in keys:
            by_case = best.setdefault(key, {})
            prev = by_case.get(h.case_no)
            if prev is None or part > prev[0]:
                by_case[h.case_no] = (part, h)
    votes = []
    for key, by_case in best.items():
        parts = sorted(by_case.values(), key=lambda ph: (-ph[0], ph[1].rank))
        support = sorted((h for _, h in parts), key=lambda h: (h.rank, h.row))[: cfg.max_support]
        votes.append((key, sum(p for p, _ in parts), [h.row for h in support], support[0].rank))
    votes.sort(key=lambda v: (-round(v[1], 12), v[3], v[0]))
    return [v[:3] for v in votes]


def test_vectorized_votes_equal_the_loop_they_replaced(memory):
    import random

    from legalret.memory.retriever import _tie_ranks_loop

    rng = random.Random(7)
    laws_keys = [f"민법 제{n}조" for n in range(1, 12)] + [f"상법 제{n}조" for n in range(1, 6)]
    for trial in range(300):
        n = rng.randint(0, 40)
        sims = sorted((rng.choice([1.0, 0.5, 0.5, 0.25, rng.random()]) for _ in range(n)), reverse=True)
        ranks = _tie_ranks(sims)
        assert ranks == _tie_ranks_loop(sims)
        holdings = [
            _match(rng.choice("ABCDEFG"), rng.sample(laws_keys, rng.randint(1, 4)), s**2 / math.log2(r + 1), r, row)
            for row, (s, r) in enumerate(zip(sims, ranks))
        ]
        for laws in (None, ["상법"]):
            retriever = MemoryVoter(memory, max_support=rng.choice([1, 3, 5]))
            got = [(v.key, v.vote, [h.row for h in v.support]) for v in retriever._aggregate(holdings, laws)]
            assert got == _reference_aggregate(retriever, holdings, laws)


def test_tie_ranks_groups_by_the_first_score_of_a_group():
    # each neighbour is within 1e-6 of the next, but the third is not of the first: two groups
    s = [1.0, 1.0 - 0.9e-6, 1.0 - 1.8e-6]
    assert _tie_ranks(s) == [1.5, 1.5, 3.0]
    assert _tie_ranks([]) == [] and _tie_ranks([0.3]) == [1.0]
    assert _tie_ranks([1.5e-9, 8e-10, 1e-10]) == [1.5, 1.5, 3.0]  # abs_tol 1e-9 to the group's first score


def test_a_loaded_memory_makes_votes_and_holdings_on_demand_equal_to_the_built_one(memory, tmp_path):
    """A loaded memory (key arrays) builds its result's ArticleVotes and HoldingMatches only when they are
    read; they, the ranking and the re-ranker's vote features equal those of the same memory in memory."""
    memory.write(tmp_path / "memory")
    loaded = PrecedentMemory.load(tmp_path / "memory", tokenizer=SpaceTokenizer())
    assert loaded.vote_arrays() is not None and memory.vote_arrays() is None
    queries = ["불법행위로 인한 손해배상청구권의 소멸시효 기산점", "보험계약자의 고지의무 위반을 이유로 보험자가 해지할 수 있는 기간",
               "전혀 관계없는 질문"]
    for query in queries:
        for k, laws in ((None, None), (3, None), (10, ["상법"])):
            built = MemoryVoter(memory).explain(query, k, laws=laws)
            lazy = MemoryVoter(loaded).explain(query, k, laws=laws)
            assert callable(lazy._holdings) == bool(built.holdings) and callable(lazy._votes) == bool(built.votes)  # nothing made yet
            assert lazy.ranking() == built.ranking() and lazy.vote_count == built.vote_count == len(built.votes)
            assert lazy.ranking(2, exponent=1.0) == built.ranking(2, exponent=1.0)
            assert (lazy.coverage, lazy.concentration) == (built.coverage, built.concentration)
            assert memory_weight(lazy) == memory_weight(built)
            features = {v.key: (v.share, len({h.case_no for h in v.support})) for v in built.votes}
            assert lazy.shares_and_support() == built.shares_and_support() == features
            assert [(h.row, h.similarity, h.rank, h.weight, h.case_no, h.keys) for h in lazy.holdings] == \
                   [(h.row, h.similarity, h.rank, h.weight, h.case_no, h.keys) for h in built.holdings]
            assert [(v.key, v.score, v.vote, v.share, [h.row for h in v.support]) for v in lazy.votes] == \
                   [(v.key, v.score, v.vote, v.share, [h.row for h in v.support]) for v in built.votes]
            # the support holdings are the result's own HoldingMatch objects (as in a built result)
            ids = {id(h) for h in lazy.holdings}
            assert all(id(h) in ids for v in lazy.votes for h in v.support)


def test_coverage_is_the_same_in_every_process_whatever_the_string_hashing():
    """Coverage summed idf over a set: its last bit (and the hybrid scores after it) changed with the
    process's string-hash seed. Summed in the query's own token order, every process gets the same float."""
    import os
    import subprocess
    import sys

    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import test_memory_votes as t\n"
        "from legalret.memory import MemoryVoter, build_memory\n"
        "m = build_memory(t.load_fixture(), tokenizer=t.SpaceTokenizer())\n"
        "r = MemoryVoter(m).explain('보험에 들 때 병을 숨기면 회사가 보험계약을 해지할 수 있는 기간이 있나 계약 해지 기간', k=5)\n"
        "print(repr(r.coverage))"
    )
    seen = set()
    for seed in ("1", "2", "3", "4"):
        proc = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)], capture_output=True, text=True,
                              timeout=120, env={**os.environ, "PYTHONHASHSEED": seed,
                                                "PYTHONPATH": str(Path(__file__).parents[1])})
        assert proc.returncode == 0, proc.stderr[-800:]
        seen.add(proc.stdout.strip())
    assert len(seen) == 1 and 0 < float(seen.pop()) < 1
