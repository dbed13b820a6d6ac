"""Fusion over any number of named retrievers: convex combination of normalized scores and RRF."""

import pytest

from legalret.search.fusion import (
    FusionSettings,
    convex_fusion,
    fuse,
    normalize_minmax,
    rrf_fusion,
)

BM25 = [("a", 12.0), ("b", 8.0), ("c", 4.0)]
DENSE = [("c", 0.91), ("d", 0.90), ("a", 0.80)]


def test_minmax_normalization():
    assert normalize_minmax(BM25) == {"a": 1.0, "b": 0.5, "c": 0.0}
    assert normalize_minmax([("x", 3.0)]) == {"x": 1.0}
    assert normalize_minmax([]) == {}


def test_convex_weights_move_the_ranking():
    lists = {"bm25": BM25, "dense": DENSE}
    assert convex_fusion(lists, {"bm25": 1.0, "dense": 0.0})[0].key == "a"
    assert convex_fusion(lists, {"bm25": 0.0, "dense": 1.0})[0].key == "c"
    fused = convex_fusion(lists, {"bm25": 0.5, "dense": 0.5})
    by_key = {it.key: it for it in fused}
    # a: 0.5*1 + 0.5*0 ; c: 0.5*0 + 0.5*1 ; d: 0.5*(0.1/0.11) ; b: 0.5*0.5
    assert by_key["a"].score == pytest.approx(0.5)
    assert by_key["d"].score == pytest.approx(0.5 * 0.10 / 0.11)
    assert by_key["b"].score == pytest.approx(0.25)
    assert by_key["a"].ranks == {"bm25": 1, "dense": 3} and by_key["d"].ranks == {"dense": 2}
    assert by_key["a"].scores == {"bm25": 12.0, "dense": 0.80}


def test_weights_are_renormalized_and_generic_over_names():
    lists = {"bm25": BM25, "dense": DENSE, "memory": [("d", 0.7), ("e", 0.3)]}
    fused = convex_fusion(lists, {"bm25": 2, "dense": 1, "memory": 1})
    assert {it.key for it in fused} == {"a", "b", "c", "d", "e"}
    top = fused[0]
    assert sum(top.parts.values()) == pytest.approx(top.score)
    assert max(it.score for it in fused) <= 1.0 + 1e-9
    with pytest.raises(ValueError):
        convex_fusion(lists, {"bm25": -1})


def test_rrf():
    fused = rrf_fusion({"bm25": BM25, "dense": DENSE}, rrf_k=60)
    by_key = {it.key: it.score for it in fused}
    assert by_key["a"] == pytest.approx(1 / 61 + 1 / 63)
    assert by_key["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert [it.key for it in fused][:2] == ["a", "c"]  # tie broken by best rank, then key
    assert rrf_fusion({"bm25": BM25}, k=1)[0].key == "a"


def test_fuse_dispatch_and_settings_round_trip():
    s = FusionSettings(method="rrf")
    assert FusionSettings.from_dict(s.to_dict()) == s
    assert fuse({"bm25": BM25}, s)[0].key == "a"
    with pytest.raises(ValueError):
        fuse({"bm25": BM25}, FusionSettings(method="nope"))


def test_empty_lists():
    assert convex_fusion({}) == [] and rrf_fusion({"bm25": []}) == []


def _reference_convex(lists, weights=None, k=None):
    """The dict-based convex fusion the one-pass version replaced (the oracle)."""
    from legalret.search.fusion import FusedItem, _collect, _sorted, _weights_for

    w = _weights_for(lists, weights)
    norms = {name: normalize_minmax(ranked) for name, ranked in lists.items()}
    ranks, raw = _collect(lists)
    items = []
    for key in ranks:
        parts = {name: w[name] * norms[name][key] for name in ranks[key]}
        items.append(FusedItem(key, sum(parts.values()), ranks[key], raw[key], parts))
    return _sorted(items, k)


def test_convex_fusion_equals_the_dict_version_it_replaced():
    import random

    rng = random.Random(3)
    keys = [f"k{i}" for i in range(60)]
    for trial in range(300):
        lists = {}
        for name in rng.sample(["bm25", "dense", "memory", "facts"], rng.randint(1, 4)):
            n = rng.randint(0, 40)
            ranked = [(rng.choice(keys), rng.choice([1.0, 0.5, rng.random()])) for _ in range(n)]  # duplicates, ties
            lists[name] = sorted(ranked, key=lambda kv: -kv[1]) if rng.random() < 0.8 else ranked
        weights = rng.choice([None, {"bm25": 0.4, "dense": 0.3, "memory": 0.2, "facts": 0.1}, {"bm25": 1.0}])
        k = rng.choice([None, 5, 100])
        got = [(it.key, it.score, it.ranks, it.scores, it.parts) for it in convex_fusion(lists, weights, k)]
        want = [(it.key, it.score, it.ranks, it.scores, it.parts) for it in _reference_convex(lists, weights, k)]
        assert got == want
