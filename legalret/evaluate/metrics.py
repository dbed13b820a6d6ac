"""Retrieval metrics for statute search: recall@k, MRR@k, nDCG@k, F2@k, and bootstrap intervals.

All metrics take a *ranking* (article keys, best first) and the query's *gold* keys, and use binary
relevance (an article is relevant or not). The conventions, chosen so that numbers are reproducible:

* **Duplicate hits count once.** A retriever that returns ``민법 제750조`` twice gets credit for its
  first (best) position only; later copies are removed before cutting at ``k``, so they neither earn
  credit nor take a slot.
* **Ties are broken deterministically.** When hits come with scores, :func:`order_hits` sorts by
  score (descending) and breaks ties by key (code-point order) — the same scores always give the same
  metric, whatever order the retriever happened to emit them in. ``ties="pessimistic"`` puts gold keys
  last within a tie (a lower bound), ``ties="optimistic"`` first (an upper bound).
* **Empty gold is not a zero.** A query without gold keys has no defined recall; every metric
  returns ``None`` for it, :func:`aggregate` leaves it out of the means and reports how many were left out.
* **F2@k** is the F-beta (beta = 2, recall weighted 4x precision) of the top-``k`` set, as in COLIEE
  statute retrieval: precision = relevant retrieved / retrieved (at most ``k``; 0 when nothing was
  retrieved), recall = relevant retrieved / gold. The mean over queries is macro-averaged.

Usage::

    from legalret.evaluate.metrics import query_metrics, aggregate

    ranked = ["민법 제750조", "민법 제751조", "민법 제750조", "민법 제390조"]
    query_metrics(ranked, {"민법 제390조", "민법 제750조"}, ks=(1, 10))
    # {'recall@1': 0.5, 'recall@10': 1.0, 'mrr@10': 1.0, 'ndcg@10': 0.919..., 'precision@5': 0.666..., 'f2@5': 0.909...}
    aggregate([m1, m2, None], seed=0)   # means + 95% bootstrap intervals; None = empty gold
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

#: The cut-offs reported by default (the benchmark issue's recall@1/5/10/20/100).
DEFAULT_KS: tuple[int, ...] = (1, 5, 10, 20, 100)
#: Cut-off for the rank-sensitive single-number metrics (MRR, nDCG) and F2.
DEFAULT_RANK_K = 10
DEFAULT_F2_K = 5

TIE_POLICIES = ("key", "pessimistic", "optimistic")


# ---- preparing a ranking ----------------------------------------------------------------------------
def _key_and_score(hit: Any) -> tuple[str, float | None]:
    """Accepts ``Hit``-like objects (``.key``, optional ``.score``), ``(key, score)`` pairs and bare keys."""
    if isinstance(hit, str):
        return hit, None
    if isinstance(hit, (tuple, list)) and hit and isinstance(hit[0], str):
        return hit[0], (float(hit[1]) if len(hit) > 1 and hit[1] is not None else None)
    key = getattr(hit, "key", None)
    if not isinstance(key, str):
        raise TypeError(f"a hit must be a key, a (key, score) pair or have a .key attribute: {hit!r}")
    score = getattr(hit, "score", None)
    return key, (float(score) if score is not None else None)


def order_hits(hits: Iterable[Any], gold: Iterable[str] = (), ties: str = "key") -> list[str]:
    """The ranking as a list of unique keys, best first.

    Hits with scores are sorted by score (descending; NaN counts as the lowest); ties are broken by
    ``ties``: ``"key"`` (code-point order of the key), ``"pessimistic"`` (non-gold before gold) or
    ``"optimistic"`` (gold before non-gold), then by key. Hits without scores keep the order given.
    A key seen again later is dropped (duplicates count once, at their best position).

    >>> order_hits([("b", 1.0), ("a", 1.0), ("c", 2.0), ("a", 0.5)])
    ['c', 'a', 'b']
    >>> order_hits([("b", 1.0), ("a", 1.0)], gold={"a"}, ties="pessimistic")
    ['b', 'a']
    """
    if ties not in TIE_POLICIES:
        raise ValueError(f"ties must be one of {TIE_POLICIES}, not {ties!r}")
    pairs = [_key_and_score(h) for h in hits]
    if pairs and all(score is not None for _, score in pairs):
        gold_set = set(gold)

        def sort_key(pair: tuple[str, float | None]) -> tuple:
            key, score = pair
            s = -math.inf if score is None or math.isnan(score) else score
            if ties == "pessimistic":
                return (-s, key in gold_set, key)
            if ties == "optimistic":
                return (-s, key not in gold_set, key)
            return (-s, key)

        pairs = sorted(pairs, key=sort_key)
    return dedupe(key for key, _ in pairs)


def dedupe(keys: Iterable[str]) -> list[str]:
    """Keep the first occurrence of every key, in order."""
    seen: set[str] = set()
    out: list[str] = []
    for key in keys:
        if key not in seen:
            seen.add(key)
            out.append(key)
    return out


def _prepare(ranked: Sequence[str], gold: Iterable[str]) -> tuple[list[str], set[str]]:
    return dedupe(ranked), set(gold)


def _check_k(k: int) -> None:
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, not {k!r}")


# ---- single-query metrics (None when gold is empty) -------------------------------------------------
def recall_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float | None:
    """Fraction of gold keys found in the top ``k``.

    >>> recall_at_k(["a", "x", "b"], {"a", "b"}, 2)
    0.5
    """
    _check_k(k)
    ranked, gold = _prepare(ranked, gold)
    if not gold:
        return None
    return len(gold.intersection(ranked[:k])) / len(gold)


def precision_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float | None:
    """Relevant / retrieved in the top ``k`` (denominator = hits actually returned, at most ``k``)."""
    _check_k(k)
    ranked, gold = _prepare(ranked, gold)
    if not gold:
        return None
    top = ranked[:k]
    return len(gold.intersection(top)) / len(top) if top else 0.0


def mrr_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float | None:
    """1 / rank of the first gold key within the top ``k`` (0 when none is there).

    >>> mrr_at_k(["x", "a", "a", "b"], {"a", "b"}, 10)
    0.5
    """
    _check_k(k)
    ranked, gold = _prepare(ranked, gold)
    if not gold:
        return None
    for rank, key in enumerate(ranked[:k], 1):
        if key in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float | None:
    """Binary-relevance nDCG: sum of 1/log2(rank+1) over gold hits, over the ideal (all gold first).

    >>> round(ndcg_at_k(["x", "a"], {"a"}, 10), 4)
    0.6309
    """
    _check_k(k)
    ranked, gold = _prepare(ranked, gold)
    if not gold:
        return None
    dcg = sum(1.0 / math.log2(rank + 1) for rank, key in enumerate(ranked[:k], 1) if key in gold)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def f_beta_at_k(ranked: Sequence[str], gold: Iterable[str], k: int, beta: float = 2.0) -> float | None:
    """F-beta of the top-``k`` set (COLIEE statute retrieval uses beta = 2): ``(1+b²)PR / (b²P + R)``.

    >>> f_beta_at_k(["a", "x"], {"a"}, 2)  # P = 1/2, R = 1 → 5·0.5 / (4·0.5 + 1)
    0.8333333333333334
    """
    _check_k(k)
    ranked, gold = _prepare(ranked, gold)
    if not gold:
        return None
    top = ranked[:k]
    relevant = len(gold.intersection(top))
    if relevant == 0:
        return 0.0
    p, r = relevant / len(top), relevant / len(gold)
    b2 = beta * beta
    return (1 + b2) * p * r / (b2 * p + r)


def f2_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float | None:
    """:func:`f_beta_at_k` with beta = 2."""
    return f_beta_at_k(ranked, gold, k, beta=2.0)


def metric_names(ks: Sequence[int] = DEFAULT_KS, rank_k: int = DEFAULT_RANK_K, f2_k: int = DEFAULT_F2_K) -> list[str]:
    """The names :func:`query_metrics` returns, in report order."""
    return [f"recall@{k}" for k in ks] + [f"mrr@{rank_k}", f"ndcg@{rank_k}", f"precision@{f2_k}", f"f2@{f2_k}"]


def query_metrics(
    ranked: Sequence[str],
    gold: Iterable[str],
    ks: Sequence[int] = DEFAULT_KS,
    rank_k: int = DEFAULT_RANK_K,
    f2_k: int = DEFAULT_F2_K,
) -> dict[str, float] | None:
    """Every metric for one query (see :func:`metric_names`), or None when ``gold`` is empty."""
    ranked, gold = _prepare(ranked, gold)
    if not gold:
        return None
    out = {f"recall@{k}": recall_at_k(ranked, gold, k) for k in ks}
    out[f"mrr@{rank_k}"] = mrr_at_k(ranked, gold, rank_k)
    out[f"ndcg@{rank_k}"] = ndcg_at_k(ranked, gold, rank_k)
    out[f"precision@{f2_k}"] = precision_at_k(ranked, gold, f2_k)
    out[f"f2@{f2_k}"] = f2_at_k(ranked, gold, f2_k)
    return out  # type: ignore[return-value]


# ---- aggregation --------------------------------------------------------------------------------------
def _resampled_means(arr: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """Means of ``n_resamples`` resamples (with replacement) of ``arr``; deterministic per seed."""
    rng = np.random.default_rng(seed)
    means = np.empty(n_resamples, dtype=np.float64)
    # Resample in blocks so that thousands of queries × 1000 resamples stay a few MB.
    block = max(1, 2_000_000 // arr.size)
    for start in range(0, n_resamples, block):
        stop = min(n_resamples, start + block)
        idx = rng.integers(0, arr.size, size=(stop - start, arr.size))
        means[start:stop] = arr[idx].mean(axis=1)
    return means


def bootstrap_ci(
    values: Sequence[float],
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (resampling queries with replacement).

    Deterministic for a given ``seed``. One value (or none) gives a degenerate interval.

    >>> bootstrap_ci([1.0, 1.0, 1.0])
    (1.0, 1.0)
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return (math.nan, math.nan)
    if arr.size == 1 or n_resamples < 1:
        return (float(arr.mean()), float(arr.mean()))
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), not {confidence}")
    means = _resampled_means(arr, n_resamples, seed)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return (float(low), float(high))


def aggregate(
    per_query: Sequence[Mapping[str, float] | None],
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Mean of every metric over the queries that have gold, with bootstrap intervals.

    ``per_query`` holds :func:`query_metrics` results; ``None`` entries (empty gold) are excluded
    from the means and counted. Returns::

        {"queries": 3, "evaluated": 2, "empty_gold": 1,
         "metrics": {"recall@10": {"mean": 0.75, "ci_low": 0.5, "ci_high": 1.0}, ...}}

    Every metric uses the same resampled query sets (same seed), so intervals are comparable.
    """
    scored = [m for m in per_query if m is not None]
    out: dict[str, Any] = {
        "queries": len(per_query),
        "evaluated": len(scored),
        "empty_gold": len(per_query) - len(scored),
        "metrics": {},
    }
    if not scored:
        return out
    names = list(scored[0])
    for name in names:
        vals = [m[name] for m in scored]
        low, high = bootstrap_ci(vals, n_resamples=n_resamples, confidence=confidence, seed=seed)
        out["metrics"][name] = {"mean": float(np.mean(vals)), "ci_low": low, "ci_high": high}
    out["confidence"] = confidence
    out["n_resamples"] = n_resamples
    out["seed"] = seed
    return out


def paired_bootstrap_diff(
    a: Sequence[float],
    b: Sequence[float],
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """Mean of ``a - b`` over the same queries, its interval, and the share of resamples where a ≤ b.

    Use it to say whether one retriever beats another on the same query set (``p_not_better`` is the
    one-sided bootstrap p-value of "a is better").
    """
    da, db = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if da.shape != db.shape:
        raise ValueError(f"paired values differ in length: {da.size} vs {db.size}")
    diff = da - db
    low, high = bootstrap_ci(diff, n_resamples=n_resamples, confidence=confidence, seed=seed)
    if diff.size > 1 and n_resamples >= 1:
        p = float((_resampled_means(diff, n_resamples, seed) <= 0).mean())
    else:
        p = float(diff.mean() <= 0) if diff.size else math.nan
    return {"mean": float(diff.mean()) if diff.size else math.nan, "ci_low": low, "ci_high": high, "p_not_better": p}
