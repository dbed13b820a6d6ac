"""Fusion over any number of named retrievers: convex combination of normalized scores and RRF."""

import pytest

from legalret.search.fusion import FusionSettings, convex_fusion, fuse, normalize_minmax, rrf_fusion

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
