"""Metrics against hand-computed values: ties, empty gold, duplicate hits, F2, bootstrap determinism."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from legalret.evaluate.metrics import (
    aggregate,
    bootstrap_ci,
    dedupe,
    f2_at_k,
    f_beta_at_k,
    metric_names,
    mrr_at_k,
    ndcg_at_k,
    order_hits,
    paired_bootstrap_diff,
    precision_at_k,
    query_metrics,
    recall_at_k,
)

A, B, C, X, Y = "민법 제750조", "민법 제390조", "상법 제651조의2", "민법 제1조", "상법 제1조"


def test_recall_counts_gold_found_in_top_k():
    ranked = [X, A, Y, B]
    assert recall_at_k(ranked, {A, B}, 1) == 0.0
    assert recall_at_k(ranked, {A, B}, 2) == 0.5
    assert recall_at_k(ranked, {A, B}, 4) == 1.0
    assert recall_at_k(ranked, {A, B}, 100) == 1.0  # k beyond the ranking is fine
    assert recall_at_k([], {A}, 10) == 0.0


def test_mrr_is_reciprocal_rank_of_first_gold_within_k():
    assert mrr_at_k([X, Y, A, B], {A, B}, 10) == pytest.approx(1 / 3)
    assert mrr_at_k([X, Y, A], {A}, 2) == 0.0  # first gold beyond the cut-off
    assert mrr_at_k([A], {A}, 1) == 1.0


def test_ndcg_binary_relevance_hand_computed():
    # gold at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3)
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k([X, A, Y, B], {A, B}, 10) == pytest.approx(expected)
    # ideal is capped at k: 3 gold, k = 1, gold at rank 1 → perfect
    assert ndcg_at_k([A, X], {A, B, C}, 1) == 1.0
    assert ndcg_at_k([X, Y], {A}, 10) == 0.0


def test_f2_hand_computed():
    # top-5 of [A, X, Y, B, C-not-gold]: relevant 2 of 5 retrieved, 2 of 3 gold
    ranked = [A, X, Y, B, "민법 제2조"]
    p, r = 2 / 5, 2 / 3
    assert precision_at_k(ranked, {A, B, C}, 5) == pytest.approx(p)
    assert f2_at_k(ranked, {A, B, C}, 5) == pytest.approx(5 * p * r / (4 * p + r))
    # beta = 1 is the usual F1
    assert f_beta_at_k(ranked, {A, B, C}, 5, beta=1) == pytest.approx(2 * p * r / (p + r))
    # fewer hits than k: precision over what was returned (COLIEE scores the returned set)
    assert precision_at_k([A], {A}, 5) == 1.0
    assert f2_at_k([A], {A}, 5) == 1.0
    assert f2_at_k([X], {A}, 5) == 0.0
    assert f2_at_k([], {A}, 5) == 0.0


def test_duplicate_hits_count_once_and_take_no_slot():
    ranked = [A, A, A, X, B]
    assert dedupe(ranked) == [A, X, B]
    # without dedup, B would sit at rank 5 and the top-3 would be all A
    assert recall_at_k(ranked, {A, B}, 3) == 1.0
    assert mrr_at_k([X, X, A], {A}, 10) == 0.5
    assert precision_at_k([A, A], {A, B}, 5) == 1.0  # one retrieved, one relevant
    m = query_metrics([A, A, B, B], {A, B}, ks=(2,), rank_k=2, f2_k=2)
    assert m == {"recall@2": 1.0, "mrr@2": 1.0, "ndcg@2": 1.0, "precision@2": 1.0, "f2@2": 1.0}


def test_duplicate_gold_keys_count_once():
    assert recall_at_k([A], [A, A, B], 1) == 0.5


def test_empty_gold_gives_none_everywhere():
    for fn in (recall_at_k, mrr_at_k, ndcg_at_k, f2_at_k, precision_at_k):
        assert fn([A, B], [], 5) is None
    assert query_metrics([A], set()) is None


def test_bad_k_is_rejected():
    with pytest.raises(ValueError, match="positive integer"):
        recall_at_k([A], {A}, 0)


def test_ties_are_broken_by_key_whatever_the_input_order():
    hits1 = [(X, 1.0), (A, 1.0), (Y, 2.0)]
    hits2 = [(A, 1.0), (Y, 2.0), (X, 1.0)]
    assert order_hits(hits1) == order_hits(hits2) == [Y, X, A]  # '민법 제1조' < '민법 제750조'
    # hence the metric does not depend on emission order
    assert mrr_at_k(order_hits(hits1), {A}, 10) == mrr_at_k(order_hits(hits2), {A}, 10) == pytest.approx(1 / 3)


def test_pessimistic_and_optimistic_ties_bound_the_metric():
    hits = [(X, 1.0), (A, 1.0), (Y, 1.0)]
    assert order_hits(hits, gold={A}, ties="pessimistic") == [X, Y, A]
    assert order_hits(hits, gold={A}, ties="optimistic") == [A, X, Y]
    with pytest.raises(ValueError, match="ties"):
        order_hits(hits, ties="random")


def test_order_hits_accepts_hit_objects_and_keeps_best_duplicate():
    hits = [SimpleNamespace(key=A, score=0.2), SimpleNamespace(key=B, score=0.9), SimpleNamespace(key=A, score=0.95)]
    assert order_hits(hits) == [A, B]  # A's best copy (0.95) wins its position
    # keys without scores keep their order
    assert order_hits([B, A, B]) == [B, A]
    # NaN scores sort last
    assert order_hits([(A, float("nan")), (B, 0.0)]) == [B, A]
    with pytest.raises(TypeError):
        order_hits([object()])


def test_query_metrics_names_match_metric_names():
    m = query_metrics([A, X], {A}, ks=(1, 5), rank_k=10, f2_k=5)
    assert list(m) == metric_names((1, 5), 10, 5)
    assert m["recall@1"] == 1.0 and m["f2@5"] == pytest.approx(5 * 0.5 / (4 * 0.5 + 1))


def test_aggregate_excludes_empty_gold_and_counts_it():
    per_query = [
        query_metrics([A], {A}, ks=(1,)),
        query_metrics([X], {A}, ks=(1,)),
        None,
    ]
    agg = aggregate(per_query, n_resamples=200, seed=1)
    assert agg["queries"] == 3 and agg["evaluated"] == 2 and agg["empty_gold"] == 1
    r1 = agg["metrics"]["recall@1"]
    assert r1["mean"] == 0.5
    assert 0.0 <= r1["ci_low"] <= 0.5 <= r1["ci_high"] <= 1.0
    assert aggregate([None])["metrics"] == {}


def test_bootstrap_is_deterministic_for_a_seed_and_brackets_the_mean():
    vals = [0, 1, 1, 0, 1, 1, 1, 0, 1, 0.5] * 5
    a = bootstrap_ci(vals, n_resamples=500, seed=7)
    assert a == bootstrap_ci(vals, n_resamples=500, seed=7)
    assert a != bootstrap_ci(vals, n_resamples=500, seed=8)
    mean = sum(vals) / len(vals)
    assert a[0] < mean < a[1]
    assert bootstrap_ci([0.3]) == (0.3, 0.3)
    assert all(math.isnan(v) for v in bootstrap_ci([]))


def test_paired_bootstrap_diff_detects_a_clear_winner():
    a = [1.0] * 30 + [0.0] * 10
    b = [0.0] * 30 + [0.0] * 10
    d = paired_bootstrap_diff(a, b, n_resamples=300, seed=0)
    assert d["mean"] == pytest.approx(0.75)
    assert d["ci_low"] > 0 and d["p_not_better"] == 0.0
    with pytest.raises(ValueError, match="length"):
        paired_bootstrap_diff([1.0], [1.0, 2.0])
