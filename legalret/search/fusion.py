"""Fusing ranked lists from any number of named retrievers (BM25, dense, precedent memory, …).

Two methods, both generic over the retriever names:

* :func:`convex_fusion` — each retriever's scores are min–max normalized over its own candidate list
  (best → 1, worst listed → 0, unlisted → 0), then combined as ``Σ weight[name] · norm[name]``
  with the weights summing to 1. The weight is the one knob; its default was chosen on the 2020–2022
  dev holdings (``experiments/search_dev_recall.py``).
* :func:`rrf_fusion` — reciprocal-rank fusion ``Σ weight[name] / (rrf_k + rank)``: needs no score scale at all.

Usage::

    from legalret.search.fusion import convex_fusion, rrf_fusion, FusionSettings

    lists = {"bm25": [("민법 제320조", 14.2), ("민법 제194조", 11.0)],
             "dense": [("민법 제194조", 0.88), ("민법 제192조", 0.86)]}
    convex_fusion(lists, {"bm25": 0.5, "dense": 0.5})   # [FusedItem(key, score, ranks, scores, parts), ...]
    rrf_fusion(lists)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: Default weight of the dense retriever in 2-way convex fusion (BM25 gets 1 - this). Chosen on the 2020–2022
#: dev holdings with the default encoder (experiments/search_dev_recall.py: recall@10 0.435 at 0.3 vs 0.414 at 0.5).
DEFAULT_DENSE_WEIGHT = 0.3
DEFAULT_RRF_K = 60
#: How many candidates each retriever contributes before fusion.
DEFAULT_CANDIDATES = 100

Ranked = Sequence[tuple[str, float]]


@dataclass
class FusionSettings:
    """Stored in the index manifest: how ``mode='hybrid'`` combines the retrievers."""

    method: str = "convex"  # 'convex' | 'rrf'
    weights: dict[str, float] = field(default_factory=lambda: {"bm25": 1 - DEFAULT_DENSE_WEIGHT, "dense": DEFAULT_DENSE_WEIGHT})
    rrf_k: int = DEFAULT_RRF_K
    candidates: int = DEFAULT_CANDIDATES

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | None) -> FusionSettings:
        d = d or {}
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


@dataclass
class FusedItem:
    key: str
    score: float
    ranks: dict[str, int]  # 1-based rank in each retriever's list that had it
    scores: dict[str, float]  # raw score from each retriever that had it
    parts: dict[str, float]  # each retriever's weighted contribution to ``score``


def normalize_minmax(ranked: Ranked) -> dict[str, float]:
    """Scores mapped to [0, 1] over the list (best 1, worst 0); a one-item or flat list maps to 1."""
    if not ranked:
        return {}
    values = [s for _, s in ranked]
    hi, lo = max(values), min(values)
    span = hi - lo
    if span <= 0:
        return {key: 1.0 for key, _ in ranked}
    return {key: (s - lo) / span for key, s in ranked}


def _weights_for(lists: Mapping[str, Ranked], weights: Mapping[str, float] | None) -> dict[str, float]:
    """Weights for the retrievers present, renormalized to sum to 1 (missing names get an equal share)."""
    names = list(lists)
    if not names:
        return {}
    w = {n: float((weights or {}).get(n, 1.0 if not weights else 0.0)) for n in names}
    if any(v < 0 for v in w.values()):
        raise ValueError(f"fusion weights must be >= 0, got {w}")
    total = sum(w.values())
    if total <= 0:
        return {n: 1.0 / len(names) for n in names}
    return {n: v / total for n, v in w.items()}


def _collect(lists: Mapping[str, Ranked]) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
    ranks: dict[str, dict[str, int]] = {}
    raw: dict[str, dict[str, float]] = {}
    for name, ranked in lists.items():
        for rank, (key, score) in enumerate(ranked, 1):
            if name not in ranks.setdefault(key, {}):  # first occurrence counts
                ranks[key][name] = rank
                raw.setdefault(key, {})[name] = float(score)
    return ranks, raw


def _sorted(items: list[FusedItem], k: int | None) -> list[FusedItem]:
    # Deterministic: score, then best single rank, then key.
    items.sort(key=lambda it: (-it.score, min(it.ranks.values()), it.key))
    return items[:k] if k is not None else items


def convex_fusion(lists: Mapping[str, Ranked], weights: Mapping[str, float] | None = None, k: int | None = None) -> list[FusedItem]:
    """Weighted sum of min–max normalized scores (see module docstring).

    One pass over the lists; :class:`FusedItem` s are made for the first ``k`` keys only (a search fuses
    ~400 listed keys and keeps 100). A key's parts are added in list order; its rank and raw score are its
    first occurrence in a list (as :func:`_collect`), its normalized score :func:`normalize_minmax`'s."""
    w = _weights_for(lists, weights)
    # key -> [score, best rank, ranks, raw scores, parts]
    entries: dict[str, list] = {}
    get = entries.get
    for name, ranked in lists.items():
        if not ranked:
            continue
        norm = normalize_minmax(ranked)  # (a key listed twice: the score of its last occurrence)
        wn = w[name]
        for rank, (key, score) in enumerate(ranked, 1):
            part = wn * norm[key]
            e = get(key)
            if e is None:  # (its score: 0 + part, which is part)
                entries[key] = [part, rank, {name: rank}, {name: float(score)}, {name: part}]
                continue
            if name in e[2]:  # first occurrence counts
                continue
            e[2][name] = rank
            e[3][name] = float(score)
            e[4][name] = part
            e[0] = e[0] + part
            e[1] = min(e[1], rank)
    # deterministic: score, then best single rank, then key
    ordered = sorted((-e[0], e[1], key) for key, e in entries.items())
    if k is not None:
        ordered = ordered[:k]
    return [FusedItem(key, entries[key][0], *entries[key][2:]) for _, _, key in ordered]


def rrf_fusion(lists: Mapping[str, Ranked], weights: Mapping[str, float] | None = None, k: int | None = None, rrf_k: int = DEFAULT_RRF_K) -> list[FusedItem]:
    """Reciprocal-rank fusion; ``weights`` (optional) scale each retriever's ``1 / (rrf_k + rank)``."""
    w = _weights_for(lists, weights) if weights else {n: 1.0 for n in lists}
    ranks, raw = _collect(lists)
    items = []
    for key, rk in ranks.items():
        parts = {name: w[name] / (rrf_k + r) for name, r in rk.items()}
        items.append(FusedItem(key, sum(parts.values()), rk, raw[key], parts))
    return _sorted(items, k)


def fuse(lists: Mapping[str, Ranked], settings: FusionSettings, weights: Mapping[str, float] | None = None, k: int | None = None) -> list[FusedItem]:
    """Dispatch on ``settings.method``; ``weights`` overrides ``settings.weights`` (e.g. adaptive memory weight)."""
    w = weights if weights is not None else settings.weights
    if settings.method == "convex":
        return convex_fusion(lists, w, k)
    if settings.method == "rrf":
        return rrf_fusion(lists, w, k, settings.rrf_k)
    raise ValueError(f"unknown fusion method {settings.method!r} (use 'convex' or 'rrf')")


def gated_weights(weights: Mapping[str, float], gates: Mapping[str, float]) -> tuple[dict[str, float], list[str]]:
    """Fusion weights for one query when some retrievers gate their weight per query (the memories: how well
    their best precedents match). The gated retrievers share one channel — its weight the strongest gate,
    split in proportion to the gates — and the fixed ``weights`` share the rest. Returns the weights and the
    gated names (in order)."""
    if not gates:
        return dict(weights), []
    channel, total = max(gates.values()), sum(gates.values())
    out = {name: w * (1.0 - channel) for name, w in weights.items()}
    names, given = list(gates), 0.0
    for name in names[:-1]:
        out[name] = channel * (gates[name] / total if total > 0 else 1.0)
        given += out[name]
    out[names[-1]] = channel - given  # (the last takes the rest: the channel sums exactly)
    return out, names


def default_fusion(adapter: str | Path | None = None, dense_weight: float | None = None) -> FusionSettings:
    """Fusion settings for a new index: the defaults, with the dense weight an adapter's card recommends
    (or ``dense_weight`` when given).

    The best BM25/dense balance depends on the encoder (on the dev holdings: 0.3 for the base me5-small,
    0.6 with the shipped legal adapter), so an adapter carries its own dev-tuned weight in its card."""
    settings = FusionSettings()
    weight = dense_weight
    if weight is None and adapter is not None:
        from legalret.models.adapter import read_card, resolve_adapter_dir

        # (the shipped adapter's name or its checkout path, from any folder, as the encoder reads it)
        weight = (read_card(resolve_adapter_dir(adapter)).get("fusion") or {}).get("dense_weight")
    if weight is not None:
        settings.weights = {"bm25": round(1.0 - float(weight), 6), "dense": float(weight)}
    return settings
