"""The learned fusion re-ranker: features, save/load, a ranker trained on a tiny fixture moves the ranking,
and training refuses leaky data (legalret.search.ranker, legalret.train.ranker)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from legalret.errors import LegalretError
from legalret.search.ranker import (
    FEATURES,
    Ranker,
    RankerRetriever,
    candidate_features,
    query_signals,
)

FIXTURE = Path(__file__).parent / "fixtures" / "ranker" / "candidates.json"


@dataclass
class FakeHit:
    key: str
    score: float
    ranks: dict = field(default_factory=dict)
    scores: dict = field(default_factory=dict)


def _load():
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))["queries"]
    return [(q["query"], q["gold"], [FakeHit(**h) for h in q["hits"]]) for q in data]


def _rows(items):
    from legalret.train.ranker import Rows

    xs, ys, gs = [], [], []
    for i, (query, gold, hits) in enumerate(items):
        keys, x = candidate_features(query, hits)
        xs.append(x)
        ys.append(np.array([k in gold for k in keys], dtype=float))
        gs.append(np.full(len(keys), i))
    return Rows(np.vstack(xs), np.concatenate(ys), np.concatenate(gs), ["fixture"] * len(items), len(items), len(items))


def test_query_signals_tell_scenarios_apart():
    assert query_signals("갑은 을에게 2021. 3. 1. 1억 원을 빌려주었다. 언제까지 청구하나?")["parties"] == 1.0
    assert query_signals("유치권 성립 요건")["parties"] == 0.0
    assert query_signals("을지로 상가 임대차")["parties"] == 0.0  # '을' inside a word is not a party


def test_candidate_features_read_ranks_scores_and_agreement():
    hits = [FakeHit("a", 0.9, {"memory": 1}, {"memory": 0.5}),
            FakeHit("b", 0.6, {"bm25": 1, "dense": 2}, {"bm25": 12.0, "dense": 0.8}),
            FakeHit("민법 제1조", 9.0, {"citation": 1}, {}),
            FakeHit("c", 0.1, {"bm25": 30, "dense": 1, "memory": 2}, {"bm25": 4.0, "dense": 0.9, "memory": 0.1})]
    keys, x = candidate_features("갑이 을에게", hits)
    col = {n: i for i, n in enumerate(FEATURES)}
    assert keys == ["a", "b", "c"]  # exact citations are not re-ranked
    assert x.shape == (3, len(FEATURES))
    assert x[0, col["memory_rr"]] == 1.0 and x[0, col["bm25_in"]] == 0.0 and x[0, col["fused_rr"]] == 1.0
    assert x[1, col["bm25_score"]] == 1.0 and x[2, col["bm25_score"]] == 0.0  # min–max within the query
    assert x[1, col["agree_top10"]] == 2 and x[2, col["agree_top10"]] == 2 and x[2, col["agree_all"]] == 3
    assert x[0, col["memory_top"]] == 0.5 and x[2, col["memory_mass"]] == pytest.approx(0.6)
    assert x[0, col["memory_rr*parties"]] == 1.0
    assert x[0, col["bm25_logrank"]] > x[2, col["bm25_logrank"]] > x[1, col["bm25_logrank"]]  # absent ranks worst


def test_trained_ranker_moves_the_ranking_and_round_trips(tmp_path):
    from legalret.train.ranker import fit

    items = _load()
    train = items[:4] + items[6:10]  # 4 holdings-like + 4 scenarios; the rest is held out
    ranker = fit(_rows(train), c=10.0, depth=100)
    for query, gold, hits in items[4:6] + items[10:]:
        fused_top = hits[0].key
        ranked = ranker.rerank(query, hits)
        assert ranked[0][0] == gold[0], query
        if fused_top != gold[0]:  # on scenarios the ranker changed the fused order
            assert ranked.index(next(r for r in ranked if r[0] == fused_top)) > 0
    # explain: every feature's contribution; they sum to the score minus the intercept
    query, gold, hits = items[10]
    contrib = ranker.explain(query, hits, gold[0])
    assert set(contrib) == set(FEATURES)
    score = dict(ranker.rerank(query, hits))[gold[0]]
    assert sum(contrib.values()) + ranker.intercept == pytest.approx(score)
    # save / load: same scores, plain JSON
    path = ranker.save(tmp_path / "r.json")
    again = Ranker.load(path)
    assert again.rerank(query, hits) == ranker.rerank(query, hits)
    assert json.loads(path.read_text(encoding="utf-8"))["schema"] == "legalret.ranker/1"


def test_citations_stay_first():
    ranker = Ranker(coef=np.ones(len(FEATURES)), mean=np.zeros(len(FEATURES)), scale=np.ones(len(FEATURES)))
    hits = [FakeHit("민법 제750조", 5.0, {"citation": 1}), FakeHit("a", 0.9, {"bm25": 1}, {"bm25": 3.0})]
    assert [k for k, _ in ranker.rerank("민법 750조 손해배상", hits)] == ["민법 제750조", "a"]


def test_bad_ranker_files_are_refused(tmp_path):
    p = tmp_path / "r.json"
    p.write_text('{"schema": "other"}', encoding="utf-8")
    with pytest.raises(LegalretError, match="not a legalret.ranker/1 file"):
        Ranker.load(p)
    d = Ranker(coef=np.zeros(len(FEATURES)), mean=np.zeros(len(FEATURES)), scale=np.ones(len(FEATURES))).to_dict()
    d["features"] = d["features"][:-1]
    p.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(LegalretError, match="retrain"):
        Ranker.load(p)
    with pytest.raises(LegalretError, match="not found"):
        Ranker.load(tmp_path / "none.json")


def test_training_on_undated_holdings_with_a_memory_is_refused(tmp_path):
    """collect() plans leakage like a benchmark: undated queries on a memory index are refused."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
    from datetime import date

    import index_support as sup

    from legalret.evaluate.leakage import LeakageError
    from legalret.evaluate.quality import Query
    from legalret.search.searcher import Searcher
    from legalret.train.ranker import collect

    precedents = [{"case_no": "2019다1001", "decided": date(2019, 3, 1), "source": "fixture",
                   "holdings": [{"index": 1, "text": "임차인이 보증금 반환을 거절할 수 있는지", "keys": ["민법 제618조"]}]}]
    d = tmp_path / "idx"
    try:
        from legalret import pipeline
    except ImportError:
        from legalret.index import build_index

        build_index(sup.articles(), d, model="none", precedents=precedents)
    else:
        pipeline.build(sup.articles(), d, model="none", precedents=precedents)
    searcher = Searcher(d)
    q = Query(qid="a", query="임차인이 보증금 반환을 거절할 수 있는지", gold=["민법 제618조"])
    with pytest.raises(LeakageError):
        collect(searcher, [q], source="holdings")
    rows = collect(searcher, [Query(qid="b", query=q.query, gold=q.gold, extra={"date": "2020-06-01", "case_no": "2020다1"})],
                   source="holdings", depth=20)
    assert rows.queries == 1 and rows.x.shape[1] == len(FEATURES) and rows.y.sum() == 1
    # the retriever protocol passes the filters through
    ranker = Ranker(coef=np.ones(len(FEATURES)), mean=np.zeros(len(FEATURES)), scale=np.ones(len(FEATURES)), depth=20)
    out = RankerRetriever(searcher, ranker).search_batch([q.query], 5, before=["2019-01-01"], exclude=[None])
    assert len(out) == 1 and len(out[0]) <= 5
