"""Relevance as the re-ranker's probability among its candidates: each hybrid hit the learned re-ranker ranked carries
``probability``, its softmax share over every candidate scored for the query, and its 0–100 relevance is that share.

The sigmoid of the score had been shown: the all-law ranker is listwise (trained with a softmax over each query's
candidates), so its scores have no learned offset, and hits shown at 99–100 were right 20% of the time on a 58-law
index (6–7 of a filtered search's top 10 read 99–100, none below 50); the 민법+상법 one (logistic) read 99–100 for
hits right 63% of the time. The shares are calibrated on both (benchmarks/results/relevance_calibration.md). Scores
and order are untouched: the share is computed beside them, once per query.
"""

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
sys.path.insert(0, str(Path(__file__).parent))
import index_support as sup  # noqa: E402

from legalret.search.coverage import NOT_KOREAN  # noqa: E402
from legalret.search.ranker import Ranker  # noqa: E402
from legalret.search.relevance import relevance  # noqa: E402
from legalret.serve.wording import lawyer_view  # noqa: E402
from _relevance_hits_s19 import rated  # noqa: E402

QUERY = "유치권 점유 수리비"


def test_probabilities_are_a_stable_softmax():
    p = Ranker.probabilities(np.array([1000.0, 999.0, -1000.0]))  # exp(1000) overflows: the max is subtracted first
    assert np.all(np.isfinite(p)) and math.isclose(p.sum(), 1.0)
    assert math.isclose(p[0] / p[1], math.e) and p[2] == 0.0
    assert Ranker.probabilities(np.array([3.2])).tolist() == [1.0]
    assert Ranker.probabilities(np.zeros(0)).size == 0
    assert np.allclose(Ranker.probabilities(np.array([0.0, 0.0, 0.0, 0.0])), 0.25)


def test_relevance_is_the_probability_and_the_other_rules_stay():
    hit = {"score": 9.0, "probability": 0.456, "ranks": {"bm25": 1}}
    assert relevance(hit, learned=True, best=0) == 46  # not 100, the sigmoid of 9.0
    assert relevance({**hit, "probability": 0.0004}, learned=True, best=0) == 0
    assert relevance({**hit, "ranks": {"citation": 1}}, learned=True, best=0) == 100  # an exact citation
    assert relevance(hit, learned=False, best=18.0) == 50  # not re-ranked: the score as a share of the best
    assert relevance({"score": 2.0, "ranks": {"bm25": 1}}, learned=True, best=0) == 88  # no probability: as before
    # the guesses keep no number, whatever their probability
    view = lawyer_view(rated([{**hit, "reasons": []}, {"score": 99.0, "ranks": {"citation": 1}, "reasons": []}],
                             learned=True, notices=[f"{NOT_KOREAN} …"]))
    assert [h["relevance"] for h in view] == [None, 100]


# both memories and dense vectors (the tiny encoder): the shipped re-ranker ranks this index's hybrid
from test_serve_wording import learned_index  # noqa: E402, F401 — a fixture


@pytest.fixture(scope="module")
def searcher(learned_index):
    from legalret.search.searcher import Searcher

    s = Searcher(learned_index, encoder=sup.tiny_encoder())
    assert s.ranker is not None
    return s


def test_each_reranked_hit_carries_its_share_over_every_candidate(searcher):
    every = searcher.search(QUERY, k=searcher.ranker.depth)  # the fixture has fewer articles than the depth
    shares = [h.probability for h in every]
    assert len(every) > 3 and all(p is not None and 0 <= p <= 1 for p in shares)
    assert math.isclose(sum(shares), 1.0, abs_tol=1e-9)
    assert shares == sorted(shares, reverse=True)  # in the hits' order: the scores' order
    for h in every:  # the softmax of the scores, nothing else
        assert math.isclose(h.probability / every[0].probability, math.exp(h.score - every[0].score), rel_tol=1e-9)
    top = searcher.search(QUERY, k=3)
    # over every candidate scored, not the k shown (the top 3 alone would sum to 1)
    assert [(h.key, h.score, h.probability) for h in top] == [(h.key, h.score, h.probability) for h in every[:3]]
    assert sum(h.probability for h in top) < 1.0
    d = top[0].to_dict()
    assert d["probability"] == round(top[0].probability, 6) and d["score"] == round(top[0].score, 6)


def test_a_citation_and_the_other_modes_carry_none(searcher):
    cited, *rest = searcher.search("민법 제750조 " + QUERY, k=searcher.ranker.depth)
    assert "citation" in cited.ranks and cited.probability is None and "probability" not in cited.to_dict()
    assert rest and math.isclose(sum(h.probability for h in rest), 1.0, abs_tol=1e-9)  # the cited key is no candidate
    for mode in ("convex", "rrf", "bm25"):
        hits = searcher.search(QUERY, k=5, mode=mode)
        assert hits and all(h.probability is None and "probability" not in h.to_dict() for h in hits)


def test_api_relevance_is_the_rounded_probability(learned_index):
    from legalret.serve.app import create_app

    body = TestClient(create_app(learned_index)).get("/api/search", params={"q": "민법 제750조 " + QUERY, "k": 8}).json()
    cited, *ranked = body["hits"]
    assert body["mode"] == "hybrid" and cited["relevance"] == 100 and cited["probability"] is None
    assert ranked and all(h["relevance"] == round(100 * h["probability"]) for h in ranked)
    assert ranked[0]["relevance"] < 100  # the sigmoid of a top score had read 99–100


def test_a_guess_withholds_its_probability_too():
    """A hit whose relevance is withheld (the nearest guesses: "가가가가", an English question, a missing law's
    citation) carries no probability either: a script reading it had got 0.86 for nonsense."""
    from legalret.search.coverage import NOTHING_MATCHED
    from legalret.serve.wording import lawyer_view

    hits = [{"key": "민법 제750조", "score": 1.8, "probability": 0.86, "ranks": {"facts": 1, "dense": 1}},
            {"key": "민법 제751조", "score": 0.2, "probability": 0.14, "ranks": {"bm25": 3}}]
    view = lawyer_view(rated(hits, learned=True, notices=[f"{NOTHING_MATCHED}: no article contains '가가가가'"]))
    assert [(h["relevance"], h["probability"]) for h in view] == [(None, None), (14, 0.14)]
