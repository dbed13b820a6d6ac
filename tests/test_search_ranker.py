"""The learned fusion re-ranker: features, save/load, a ranker trained on a tiny fixture moves the ranking,
and training refuses leaky data (legalret.search.ranker, legalret.train.ranker)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from legalret.errors import LegalretError
from legalret.config import SHIPPED_RANKER
from legalret.search.ranker import (
    FEATURE_GROUPS,
    FEATURES,
    Ranker,
    RerankedSearch,
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
    assert json.loads(path.read_text(encoding="utf-8"))["schema"] == "legalret.ranker/3"  # weights keyed by feature name


def test_citations_stay_first():
    ranker = Ranker(coef=np.ones(len(FEATURES)), mean=np.zeros(len(FEATURES)), scale=np.ones(len(FEATURES)))
    hits = [FakeHit("민법 제750조", 5.0, {"citation": 1}), FakeHit("a", 0.9, {"bm25": 1}, {"bm25": 3.0})]
    assert [k for k, _ in ranker.rerank("민법 750조 손해배상", hits)] == ["민법 제750조", "a"]


def test_bad_ranker_files_are_refused(tmp_path):
    p = tmp_path / "r.json"
    p.write_text('{"schema": "other"}', encoding="utf-8")
    with pytest.raises(LegalretError, match="not a legalret.ranker/3 file"):
        Ranker.load(p)
    d = Ranker(coef=np.zeros(len(FEATURES)), mean=np.zeros(len(FEATURES)), scale=np.ones(len(FEATURES))).to_dict()
    d["features"]["lawrouter_rr"] = d["features"].pop("bm25_rr")  # trained with a retriever this legalret lacks
    p.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(LegalretError, match=r"r\.json: ranker features \['lawrouter_rr'\] are not computed .*retrain") as e:
        Ranker.load(p)
    assert "\n" not in str(e.value)  # one line, naming the file and the feature
    positional = {"schema": "legalret.ranker/1", "features": ["bm25_rr"], "coef": [1.0, 2.0], "mean": [0.0], "scale": [1.0]}
    with pytest.raises(LegalretError, match="retrain"):  # an older positional file with arrays that do not fit
        Ranker.from_dict(positional)
    with pytest.raises(LegalretError, match="not found"):
        Ranker.load(tmp_path / "none.json")


def test_training_on_undated_holdings_with_a_memory_is_refused(tmp_path):
    """collect() plans leakage like a benchmark: undated queries on a memory index are refused."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
    from datetime import date

    import index_support as sup

    from legalret.evaluate.leakage import LeakageError
    from legalret.evaluate.quality import EvalQuery
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
    q = EvalQuery(qid="a", query="임차인이 보증금 반환을 거절할 수 있는지", gold=["민법 제618조"])
    with pytest.raises(LeakageError):
        collect(searcher, [q], source="holdings")
    rows = collect(searcher, [EvalQuery(qid="b", query=q.query, gold=q.gold, extra={"date": "2020-06-01", "case_no": "2020다1"})],
                   source="holdings", depth=20)
    assert rows.queries == 1 and rows.x.shape[1] == len(FEATURES) and rows.y.sum() == 1
    # the retriever protocol passes the filters through
    ranker = Ranker(coef=np.ones(len(FEATURES)), mean=np.zeros(len(FEATURES)), scale=np.ones(len(FEATURES)), depth=20)
    out = RerankedSearch(searcher, ranker).search_batch([q.query], 5, before=["2019-01-01"], exclude=[None])
    assert len(out) == 1 and len(out[0]) <= 5


# ---- the vectorized features, the first shipped file, listwise and hidden-layer rankers ----------------------
FIRST_RANKER = Path(__file__).parent / "fixtures" / "ranker" / "fusion_ranker_v1.json"  # shipped before the second


def _reference_features(query, hits, depth=None):
    """The first ranker's features as it computed them (one Python loop per candidate): the vectorized
    :func:`candidate_features` must give exactly these values for the 52 features they share."""
    import math

    names = Ranker.load(FIRST_RANKER).features
    col = {n: i for i, n in enumerate(names)}
    cands = [h for h in hits if "citation" not in (h.ranks or {})][:depth]
    x = np.zeros((len(cands), len(names)))

    def norm(values):
        if not values:
            return {}
        lo, hi = min(values.values()), max(values.values())
        return {k: 1.0 for k in values} if hi - lo < 1e-12 else {k: (v - lo) / (hi - lo) for k, v in values.items()}

    per = {s: norm({h.key: float(h.scores[s]) for h in cands if s in (h.scores or {})}) for s in ("bm25", "dense", "memory", "facts")}
    fused = norm({h.key: float(h.score) for h in cands})
    raw = {s: [float(h.scores[s]) for h in cands if s in (h.scores or {})] for s in ("memory", "facts")}
    q = query_signals(query)
    for i, h in enumerate(cands):
        ranks = dict(h.ranks or {})
        ranks["fused"] = i + 1
        row = x[i]
        for s in ("bm25", "dense", "memory", "fused", "facts"):
            r = ranks.get(s)
            row[col[f"{s}_logrank"]] = math.log1p(r if r is not None else 1000)
            if r is not None:
                row[col[f"{s}_in"]], row[col[f"{s}_rr"]] = 1.0, 1.0 / r
                row[col[f"{s}_score"]] = fused[h.key] if s == "fused" else per[s].get(h.key, 0.0)
            for qs in ("log_len", "parties", "numbers"):
                row[col[f"{s}_rr*{qs}"]] = row[col[f"{s}_rr"]] * q[qs]
        row[col["agree_top10"]] = sum(1 for s in ("bm25", "dense", "memory") if ranks.get(s) is not None and ranks[s] <= 10)
        row[col["agree_all"]] = sum(1 for s in ("bm25", "dense", "memory") if ranks.get(s) is not None)
        for s in ("memory", "facts"):
            row[col[f"{s}_top"]] = max(raw[s]) if raw[s] else 0.0
            row[col[f"{s}_mass"]] = sum(raw[s])
            share, support = (getattr(h, "votes", None) or {}).get(s, (0.0, 0))
            row[col[f"{s}_share"]], row[col[f"{s}_support"]] = share, min(support, 5)
        for name, v in q.items():
            row[col[name]] = v
        row[col["memory_rr*memory_top"]] = row[col["memory_rr"]] * row[col["memory_top"]]
        row[col["memory_score*memory_top"]] = row[col["memory_score"]] * row[col["memory_top"]]
        row[col["agree_memories_top10"]] = float(all(ranks.get(s) is not None and ranks[s] <= 10 for s in ("memory", "facts")))
    return [h.key for h in cands], x


@dataclass
class VotedHit(FakeHit):
    votes: dict = field(default_factory=dict)


def _random_hits(rng, n=100):
    """Candidates like a search's: each list has some of them, at ranks up to 200; some have votes; one citation."""
    hits = []
    for i in range(n):
        ranks, scores, votes = {}, {}, {}
        for s, p in (("bm25", 0.7), ("dense", 0.7), ("memory", 0.4), ("facts", 0.4)):
            if rng.random() < p:
                ranks[s] = int(rng.integers(1, 200))
                scores[s] = float(rng.normal() * 5)
        for s in ("memory", "facts"):
            if s in ranks:
                votes[s] = (float(rng.random()), int(rng.integers(1, 9)))
        hits.append(VotedHit(f"{'상법' if i % 3 == 0 else '민법'} 제{i + 1}조", float(1.0 - i / n), ranks, scores, votes))
    hits.insert(3, VotedHit("민법 제750조", 9.0, {"citation": 1}, {}, {}))
    return hits


def test_vectorized_features_equal_the_first_rankers_loop():
    rng = np.random.default_rng(0)
    first = Ranker.load(FIRST_RANKER).features
    cols = [FEATURES.index(f) for f in first]
    cases = [(q, hits) for q, _, hits in _load()]
    cases += [("갑은 을에게 2021. 3. 1. 1억 원을 빌려주었다", _random_hits(rng)) for _ in range(20)]
    cases += [("유치권", _random_hits(rng, 1)), ("상법 회사", [VotedHit("a", 1.0, {"bm25": 1}, {"bm25": 2.0})] * 1)]
    for query, hits in cases:
        keys, x = candidate_features(query, hits, 100)
        ref_keys, ref = _reference_features(query, hits, 100)
        assert keys == ref_keys
        assert np.array_equal(x[:, cols], ref), query  # bit for bit: the first ranker scores as it was trained


def test_the_first_shipped_ranker_still_loads_and_scores_as_before():
    first = Ranker.load(FIRST_RANKER)
    assert len(first.features) == 52 and first.hidden is None and first.missing_features
    query, _, hits = _load()[0]
    _, ref = _reference_features(query, hits)
    expected = (ref - first.mean) / first.scale @ first.coef + first.intercept
    assert np.allclose([s for _, s in first.rerank(query, hits)], np.sort(expected)[::-1])


def test_second_features_read_vote_shares_and_laws():
    hits = [VotedHit("민법 제1조", 0.9, {"memory": 1}, {"memory": 0.5}, {"memory": (0.5, 3)}),
            VotedHit("상법 제2조", 0.6, {"bm25": 1, "memory": 2}, {"bm25": 3.0, "memory": 0.2}, {"memory": (0.25, 1)}),
            VotedHit("상법 제3조", 0.1, {"dense": 4}, {"dense": 0.7})]
    _, x = candidate_features("상법상 회사의 책임은?", hits)
    col = {n: i for i, n in enumerate(FEATURES)}
    assert x[:, col["memory_share_rel"]].tolist() == [1.0, 0.5, 0.0]
    assert x[:, col["memory_share_rr"]].tolist() == [1.0, 0.5, 0.0]
    assert x[:, col["best_rr"]].tolist() == [1.0, 1.0, 0.25]


def test_listwise_and_hidden_layer_rankers_move_the_ranking_and_round_trip(tmp_path):
    from legalret.train.ranker import fit_listwise

    items = _load()
    train = items[:4] + items[6:10]
    for hidden in (0, 8):
        ranker = fit_listwise(_rows(train), hidden=hidden, epochs=300, lr=0.05)
        assert ranker.kind == ("linear" if not hidden else "mlp8")
        for query, gold, hits in items[4:6] + items[10:]:
            assert ranker.rerank(query, hits)[0][0] == gold[0], (hidden, query)
        query, gold, hits = items[10]
        contrib = ranker.explain(query, hits, gold[0])
        score = dict(ranker.rerank(query, hits))[gold[0]]
        # linear: exact; hidden layer: integrated gradients from the training mean, up to quadrature error
        assert sum(contrib.values()) + ranker.baseline == pytest.approx(score, abs=1e-3 * max(1.0, abs(score)))
        path = ranker.save(tmp_path / f"r{hidden}.json")
        again = Ranker.load(path)
        before, after = ranker.rerank(query, hits), again.rerank(query, hits)
        assert [k for k, _ in after] == [k for k, _ in before]  # same order; scores up to float summation order
        assert [v for _, v in after] == pytest.approx([v for _, v in before], rel=1e-12, abs=1e-12)
        schema = json.loads(path.read_text(encoding="utf-8"))["schema"]
        assert schema == "legalret.ranker/3"


def test_damaged_hidden_layers_are_refused(tmp_path):
    n = len(FEATURES)
    d = Ranker(coef=np.zeros(n), mean=np.zeros(n), scale=np.ones(n),
               hidden={"w1": np.zeros((n, 4)), "b1": np.zeros(4), "w2": np.zeros(4), "b2": 0.0}).to_dict()
    d["hidden"]["w2"] = [0.0] * 3
    with pytest.raises(LegalretError, match="shapes"):
        Ranker.from_dict(d)
    del d["hidden"]
    with pytest.raises(LegalretError, match="hidden"):
        Ranker.from_dict(d)


def test_source_weights_shift_the_balance():
    """``source_weights`` sets each source's share of the total weight (default: equal)."""
    from legalret.train.ranker import _source_shares, fit

    assert _source_shares({"holdings": 3000, "questions": 183}, None) == {"holdings": 0.5, "questions": 0.5}
    assert _source_shares({"holdings": 3000, "questions": 183}, {"holdings": 3.0}) == {"holdings": 0.75, "questions": 0.25}
    items = _load()
    rows = _rows(items[:4] + items[6:10])
    rows.source = ["holdings"] * 4 + ["questions"] * 4
    assert fit(rows, source_weights={"holdings": 3.0}).info["source_weights"] == {"holdings": 0.75, "questions": 0.25}


def test_profile_features_read_the_candidates_profile_ranks_and_leave_older_features_alone():
    hits = [VotedHit("민법 제1조", 0.9, {"memory": 1, "profile": 2}, {"memory": 0.5, "profile": 8.0}, {"memory": (0.5, 3)}),
            VotedHit("민법 제2조", 0.6, {"bm25": 3, "profile": 1}, {"bm25": 3.0, "profile": 12.0}),
            VotedHit("민법 제3조", 0.1, {"dense": 4}, {"dense": 0.7})]
    _, x = candidate_features("갑은 을에게 물건을 맡겼다", hits)
    col = {n: i for i, n in enumerate(FEATURES)}
    assert x[:, col["profile_in"]].tolist() == [1.0, 1.0, 0.0]
    assert x[:, col["profile_rr"]].tolist() == [0.5, 1.0, 0.0]
    assert x[:, col["profile_score"]].tolist() == [0.0, 1.0, 0.0]  # min–max over the candidates it scored
    assert x[:, col["profile_rr*parties"]].tolist() == [0.5, 1.0, 0.0]
    assert x[:, col["best_rr"]].tolist() == [1.0, 1 / 3, 0.25]  # the fused lists' best rank, not the profile's
    # without profile ranks every older feature is the same
    plain = [VotedHit(h.key, h.score, {k: v for k, v in h.ranks.items() if k != "profile"},
                      {k: v for k, v in h.scores.items() if k != "profile"}, h.votes) for h in hits]
    older = [col[f] for f in FEATURES if not f.startswith("profile_")]
    assert np.array_equal(candidate_features("갑은 을에게 물건을 맡겼다", plain)[1][:, older], x[:, older])


def test_training_refuses_unknown_feature_groups(capsys):
    from legalret.train.ranker import main

    assert sum(len(g) for g in FEATURE_GROUPS.values()) == len(FEATURES)
    with pytest.raises(SystemExit):
        main(["--index", "nowhere", "--out", "x.json", "--features", "first,profiles"])
    assert "unknown group 'profiles'" in capsys.readouterr().err


def test_law_features_read_which_law_the_lists_votes_and_query_point_to():
    hits = [VotedHit("근로기준법 제23조", 0.9, {"bm25": 1, "memory": 2}, {"bm25": 9.0, "memory": 0.4}, {"memory": (0.4, 2)}),
            VotedHit("근로기준법 시행령 제9조", 0.7, {"bm25": 2}, {"bm25": 6.0}),
            VotedHit("민법 제750조", 0.6, {"memory": 1, "dense": 1}, {"memory": 0.5, "dense": 0.8}, {"memory": (0.5, 3)}),
            VotedHit("근로기준법 제24조", 0.2, {"memory": 3}, {"memory": 0.1}, {"memory": (0.1, 1)})]
    query = "근로기준법 시행령에 따르면 해고예고수당은?"
    _, x = candidate_features(query, hits)
    col = {n: i for i, n in enumerate(FEATURES)}
    assert x[:, col["law_named"]].tolist() == [1.0, 1.0, 0.0, 1.0]  # "근로기준법 시행령" names the act and its decree
    assert x[:, col["law_other_named"]].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert x[:, col["law_decree"]].tolist() == [0.0, 1.0, 0.0, 0.0]
    assert x[:, col["law_decree*asked"]].tolist() == [0.0, 1.0, 0.0, 0.0]
    assert np.allclose(x[:, col["memory_law_share"]], [0.5, 0.0, 0.5, 0.5])  # 근로기준법 0.4 + 0.1; 민법 0.5
    assert x[:, col["law_votes_rr"]].tolist() == [1.0, 0.0, 0.5, 1.0]  # tie: the first law met ranks first
    assert np.allclose(x[:, col["bm25_law_top10"]], [0.5, 0.5, 0.0, 0.5])  # bm25's top 10: one act, one decree article
    assert np.allclose(x[:, col["law_family_top10"]], [0.75, 0.75, 0.25, 0.75])  # the act and its decree: one family
    # a ranker that reads no law feature leaves them at 0 (not computed), and every other column is unchanged
    _, plain = candidate_features(query, hits, law=False)
    law_cols = [col[f] for f in FEATURE_GROUPS["law"]]
    assert not plain[:, law_cols].any()
    other = [i for i in range(len(FEATURES)) if i not in law_cols]
    assert np.array_equal(plain[:, other], x[:, other])
    assert not Ranker.load(SHIPPED_RANKER).reads_law


def test_law_named_feature_is_a_whole_name_match():
    hits = [VotedHit("형법 제21조", 0.9, {"bm25": 1}, {"bm25": 9.0}),
            VotedHit("군형법 제1조", 0.8, {"bm25": 2}, {"bm25": 8.0}),
            VotedHit("민법 제761조", 0.7, {"dense": 1}, {"dense": 0.8})]
    col = {n: i for i, n in enumerate(FEATURES)}
    _, x = candidate_features("군형법상 정당방위", hits)
    assert x[:, col["law_named"]].tolist() == [0.0, 1.0, 0.0]  # 군형법 does not name 형법
    _, x = candidate_features("형법상 정당방위", hits)
    assert x[:, col["law_named"]].tolist() == [1.0, 0.0, 0.0]
    assert x[:, col["law_other_named"]].tolist() == [0.0, 1.0, 1.0]


def test_word_match_features_read_the_law_name_and_title_bigrams_the_query_holds():
    hits = [FakeHit("부가가치세법 시행령 제109조", 0.9, {"bm25": 1}, {"bm25": 9.0}),
            FakeHit("민법 제750조", 0.8, {"memory": 1}, {"memory": 0.5}),
            FakeHit("개인정보 보호법 제15조", 0.7, {"dense": 1}, {"dense": 0.8})]
    titles = {"부가가치세법 시행령 제109조": "간이과세의 적용 범위", "민법 제750조": "불법행위의 내용",
              "개인정보 보호법 제15조": "개인정보의 수집ㆍ이용"}
    query = "부가가치세 간이과세자가 되려면?"
    _, x = candidate_features(query, hits, titles=titles.get)
    col = {n: i for i, n in enumerate(FEATURES)}
    # 부가가치세법 시행령 → 부가 가가 가치 치세 (the decree reads as its act, the closing 법 left out): all found
    assert x[:, col["law_name_share"]].tolist() == [1.0, 0.0, 0.0]  # 민법 → 민법; 개인정보 보호법 → 개인 인정 정보 보호
    assert x[:, col["law_name_share_rel"]].tolist() == [1.0, 0.0, 0.0]
    # "간이과세의 적용 범위" → 간이 이과 과세 적용 범위: 3 of 5 in the query; "불법행위의 내용": none
    assert np.allclose(x[:, col["title_share"]], [0.6, 0.0, 0.0])
    assert np.allclose(x[:, col["title_found"]], [np.log1p(3), 0.0, 0.0])
    assert np.allclose(x[:, col["title_share_rel"]], [1.0, 0.0, 0.0])
    _, x = candidate_features("개인정보를 함부로 수집한 회사", hits, titles=titles.get)
    assert np.allclose(x[:, col["law_name_share"]], [0.0, 0.0, 0.75])  # 개인 인정 정보 found, 보호 not
    assert np.allclose(x[:, col["title_share"]], [0.0, 0.0, 0.8])  # 개인 인정 정보 수집 이용: all but 이용
    # a search's hits carry their article: its title is read when no titles are given
    @dataclass
    class WithArticle(FakeHit):
        article: object = None

    class Art:
        def __init__(self, title):
            self.title = title

    carried = [WithArticle(h.key, h.score, h.ranks, h.scores, Art(titles[h.key])) for h in hits]
    assert np.array_equal(candidate_features(query, carried)[1], candidate_features(query, hits, titles=titles.get)[1])
    # a ranker that reads no match feature leaves them at 0, every other column unchanged
    _, plain = candidate_features(query, hits, titles=titles.get, match=False)
    match_cols = [col[f] for f in FEATURE_GROUPS["match"]]
    assert not plain[:, match_cols].any()
    other = [i for i in range(len(FEATURES)) if i not in match_cols]
    assert np.array_equal(plain[:, other], candidate_features(query, hits, titles=titles.get)[1][:, other])
    assert not Ranker.load(SHIPPED_RANKER).reads_match


def test_base_rates_count_earlier_citations_and_the_searcher_reranks_with_them(tmp_path):
    """The base-rate group (PRIOR): how many holdings decided before the cut-off cite a candidate, and the lift of
    its vote share over that rate; a Searcher whose ranker reads them counts them with the query's cut-off."""
    import sys
    from datetime import date

    sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
    import index_support as sup

    from legalret import pipeline
    from legalret.search.ranker import PRIOR, BaseRates
    from legalret.search.searcher import Searcher

    extra = {"case_no": "2015다5005", "decided": date(2015, 5, 5), "source": "fixture",
             "holdings": [{"index": 1, "text": "유치권자의 점유 상실", "keys": ["민법 제320조"]}]}
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, encoder=sup.tiny_encoder(), precedents=[*sup.PRECEDENTS, extra])
    s = Searcher(index, ranker=None, encoder=sup.tiny_encoder())
    rates = s.base_rates()
    assert rates is s.base_rates()  # counted once
    counts, total = rates.counts(["민법 제320조", "상법 제651조", "민법 제999조"])
    assert counts.tolist() == [2, 1, 0] and total == 4
    counts, total = rates.counts(["민법 제320조", "상법 제651조"], before=date(2018, 1, 1))  # 2015 and 2017 only
    assert counts.tolist() == [1, 1] and total == 2
    assert rates.counts(["민법 제320조"], before="2016-01-01")[0].tolist() == [1]
    assert BaseRates(None).counts(["민법 제320조"]) == (pytest.approx([0.0]), 0)
    # the columns: log1p(count) and log1p(shares · (total + 1) / (count + 1))
    hits = [FakeHit("민법 제320조", 0.9, {"memory": 1}, {"memory": 0.5}), FakeHit("상법 제651조", 0.8, {"bm25": 1}, {"bm25": 9.0})]
    votes = {"memory": {"민법 제320조": (0.5, 2)}}
    _, x = candidate_features("유치권", hits, votes=votes, cited=rates.before(None))
    col = {n: i for i, n in enumerate(FEATURES)}
    assert np.allclose(x[:, col["cited_log"]], np.log1p([2, 1]))
    assert np.allclose(x[:, col["vote_lift"]], [np.log1p(0.5 * 5 / 3), 0.0])
    _, plain = candidate_features("유치권", hits, votes=votes)
    assert not plain[:, [col[f] for f in PRIOR]].any()
    # a ranker reading only cited_log puts the most-cited candidate first, counted before the search's cut-off
    ranker = Ranker(coef=np.array([1.0]), mean=np.array([0.0]), scale=np.array([1.0]), features=("cited_log",),
                    info={"requires": ["bm25"]})
    assert ranker.reads_prior and Ranker.load(SHIPPED_RANKER).reads_prior  # (both shipped files read them)
    s = Searcher(index, ranker=ranker, encoder=sup.tiny_encoder())
    assert s.ranker is ranker
    top = s.search("유치권 점유 보험계약 고지의무", k=3, mode="hybrid")
    assert top[0].key == "민법 제320조"
    early = s.search("유치권 점유 보험계약 고지의무", k=3, mode="hybrid", before=date(2016, 1, 1))
    assert early[0].score == pytest.approx(np.log1p(1))  # only the 2015 holding counts
