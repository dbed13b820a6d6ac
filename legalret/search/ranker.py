"""Learned fusion: a small linear re-ranker over the hybrid's candidates, scored with plain numpy.

The hand-set memory gate trusts the precedent memory as much on a user's scenario as on a court's own
holding, where its votes are strong. This re-ranker learns from data how much each signal counts, and
when: per candidate it reads each retriever's rank and score, their agreement, and query signals (length,
갑/을 parties, numbers — the marks of a scenario) crossed with the retrievers' ranks, and scores them with
one weight vector (logistic regression, fitted by :mod:`legalret.train.ranker`). The query path stays
light: one ``hybrid`` search (whose hits carry every retriever's rank and score), a feature matrix of a
few hundred numbers, one matrix–vector product.

Usage::

    from legalret.search.ranker import Ranker, RankerRetriever
    from legalret.search.searcher import Searcher

    searcher = Searcher("index/")
    ranker = Ranker.load("ranker.json")
    hits = searcher.search(query, k=ranker.depth, mode="hybrid", before=…, exclude=…)
    ranked = ranker.rerank(query, hits)                 # [(key, score)], best first
    ranker.explain(query, hits, "민법 제750조")          # {feature: contribution} for one candidate

    RankerRetriever(searcher, ranker).search_batch(queries, 10, before=[…], exclude=[…])  # evaluate protocol

Exact citations in the query (hits ranked by ``citation``) keep their place at the top.

The facts memory (``facts``, :mod:`legalret.memory.facts`) adds its rank, score, vote share and support
(and those of the holdings memory) as features. A ranker file trained before them lists fewer features:
it still loads and scores with exactly the features it was trained on (a named subset of
:data:`FEATURES`); retrain it to use the new ones (:mod:`legalret.train.ranker`).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from legalret.errors import LegalretError

SCHEMA = "legalret.ranker/1"
SIGNALS = ("bm25", "dense", "memory")
#: Signals added after the first shipped ranker: their features sit after the original ones.
EXTRA_SIGNALS = ("facts",)
#: Memories whose votes carry (share, support) per article: see :func:`vote_features`.
VOTING = ("memory", "facts")
#: Support counts are capped here (VoteConfig.max_support keeps at most 5 supporting decisions).
MAX_SUPPORT = 5
#: Candidates read per query (the hybrid's top ``depth``).
DEFAULT_DEPTH = 100
#: The rank a candidate gets from a retriever whose list it is not in: beyond any list a Searcher returns.
ABSENT_RANK = 1000
_PARTY = re.compile(r"(?:^|[\s,(])[갑을병정](?:[은는이가의에과와도]|에게|\s|,|\))")
_NUMBER = re.compile(r"\d")


def query_signals(query: str) -> dict[str, float]:
    """Query-level signals: length, parties (갑/을/병 …), numbers (dates, amounts), a question mark."""
    return {
        "log_len": math.log1p(len(query)),
        "parties": float(bool(_PARTY.search(query))),
        "numbers": float(bool(_NUMBER.search(query))),
        "question": float("?" in query),
    }


def _base_features() -> list[str]:
    names = []
    for s in (*SIGNALS, "fused"):
        names += [f"{s}_in", f"{s}_rr", f"{s}_logrank", f"{s}_score"]
    names += ["agree_top10", "agree_all", "memory_top", "memory_mass"]
    names += list(query_signals(""))
    # how much a rank counts depends on the kind of question: rank × query-signal crosses
    for s in (*SIGNALS, "fused"):
        for qs in ("log_len", "parties", "numbers"):
            names.append(f"{s}_rr*{qs}")
    names += ["memory_rr*memory_top", "memory_score*memory_top"]
    # the facts memory, and the vote share / support of both memories (appended: older files keep their order)
    for s in EXTRA_SIGNALS:
        names += [f"{s}_in", f"{s}_rr", f"{s}_logrank", f"{s}_score", f"{s}_top", f"{s}_mass"]
        names += [f"{s}_rr*{qs}" for qs in ("log_len", "parties", "numbers")]
    for s in VOTING:
        names += [f"{s}_share", f"{s}_support"]
    names += ["agree_memories_top10"]
    return names


FEATURES: tuple[str, ...] = tuple(_base_features())


def _norm(values: dict[str, float]) -> dict[str, float]:
    """Min–max within one query's candidates of one retriever (1 = its best)."""
    if not values:
        return {}
    lo, hi = min(values.values()), max(values.values())
    if hi - lo < 1e-12:
        return {k: 1.0 for k in values}
    return {k: (v - lo) / (hi - lo) for k, v in values.items()}


def vote_features(result: Any) -> dict[str, tuple[float, int]]:
    """``{key: (vote share, supporting decisions)}`` of a memory result (:class:`~legalret.memory.retriever.MemoryResult`)."""
    if result is None:
        return {}
    return {v.key: (float(v.share), len({h.case_no for h in v.support})) for v in result.votes}


def candidate_features(query: str, hits: Sequence[Any], depth: int | None = None,
                       votes: dict[str, dict[str, tuple[float, int]]] | None = None) -> tuple[list[str], np.ndarray]:
    """Keys and the ``(n, len(FEATURES))`` feature matrix of one query's hybrid hits.

    ``hits``: objects with ``.key``, ``.score``, ``.ranks`` and ``.scores`` (Searcher hits), in fused
    order; ``votes`` (``{memory|facts: {key: (share, support)}}``) or else each hit's ``.votes``
    (``{memory|facts: (share, support)}``) give the memories' vote shares and support. Exact-citation hits
    are skipped (see :meth:`Ranker.rerank`)."""
    cands = [h for h in hits if "citation" not in (h.ranks or {})]
    if depth is not None:
        cands = cands[:depth]
    keys = [h.key for h in cands]
    n = len(cands)
    x = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if not n:
        return keys, x
    col = {name: i for i, name in enumerate(FEATURES)}
    absent = math.log1p(ABSENT_RANK)
    signals = (*SIGNALS, *EXTRA_SIGNALS)
    per_signal_scores = {s: _norm({h.key: float(h.scores[s]) for h in cands if s in (h.scores or {})}) for s in signals}
    fused_scores = _norm({h.key: float(h.score) for h in cands})
    raw_memory = [float(h.scores["memory"]) for h in cands if "memory" in (h.scores or {})]
    memory_top = max(raw_memory) if raw_memory else 0.0
    memory_mass = sum(raw_memory)
    extra_top, extra_mass = {}, {}
    for s in EXTRA_SIGNALS:
        raw = [float(h.scores[s]) for h in cands if s in (h.scores or {})]
        extra_top[s], extra_mass[s] = (max(raw) if raw else 0.0), sum(raw)
    q = query_signals(query)
    for i, h in enumerate(cands):
        ranks = dict(h.ranks or {})
        ranks["fused"] = i + 1
        row = x[i]
        for s in (*SIGNALS, "fused"):
            r = ranks.get(s)
            if r is None:
                row[col[f"{s}_logrank"]] = absent
                continue
            row[col[f"{s}_in"]] = 1.0
            row[col[f"{s}_rr"]] = 1.0 / r
            row[col[f"{s}_logrank"]] = math.log1p(r)
            row[col[f"{s}_score"]] = fused_scores[h.key] if s == "fused" else per_signal_scores[s].get(h.key, 0.0)
        row[col["agree_top10"]] = sum(1 for s in SIGNALS if ranks.get(s) is not None and ranks[s] <= 10)
        row[col["agree_all"]] = sum(1 for s in SIGNALS if ranks.get(s) is not None)
        row[col["memory_top"]] = memory_top
        row[col["memory_mass"]] = memory_mass
        for name, v in q.items():
            row[col[name]] = v
        for s in (*SIGNALS, "fused"):
            for qs in ("log_len", "parties", "numbers"):
                row[col[f"{s}_rr*{qs}"]] = row[col[f"{s}_rr"]] * q[qs]
        row[col["memory_rr*memory_top"]] = row[col["memory_rr"]] * memory_top
        row[col["memory_score*memory_top"]] = row[col["memory_score"]] * memory_top
        for s in EXTRA_SIGNALS:
            r = ranks.get(s)
            if r is None:
                row[col[f"{s}_logrank"]] = absent
            else:
                row[col[f"{s}_in"]] = 1.0
                row[col[f"{s}_rr"]] = 1.0 / r
                row[col[f"{s}_logrank"]] = math.log1p(r)
                row[col[f"{s}_score"]] = per_signal_scores[s].get(h.key, 0.0)
            row[col[f"{s}_top"]] = extra_top[s]
            row[col[f"{s}_mass"]] = extra_mass[s]
            for qs in ("log_len", "parties", "numbers"):
                row[col[f"{s}_rr*{qs}"]] = row[col[f"{s}_rr"]] * q[qs]
        hit_votes = getattr(h, "votes", None) or {}
        for s in VOTING:
            share, support = votes[s].get(h.key, (0.0, 0)) if votes and s in votes else hit_votes.get(s, (0.0, 0))
            row[col[f"{s}_share"]] = share
            row[col[f"{s}_support"]] = min(support, MAX_SUPPORT)
        row[col["agree_memories_top10"]] = float(all(ranks.get(s) is not None and ranks[s] <= 10 for s in VOTING))
    return keys, x


@dataclass
class Ranker:
    """A linear scorer over standardized :data:`FEATURES` (``score = Σ coef · (x − mean) / scale``)."""

    coef: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    intercept: float = 0.0
    depth: int = DEFAULT_DEPTH
    features: tuple[str, ...] = FEATURES
    info: dict = field(default_factory=dict)  # training data, sizes, settings (written to the file)

    def __post_init__(self) -> None:
        self.coef = np.asarray(self.coef, dtype=np.float64)
        self.mean = np.asarray(self.mean, dtype=np.float64)
        self.scale = np.asarray(self.scale, dtype=np.float64)
        self.features = tuple(self.features)
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown:
            raise LegalretError(f"ranker features {unknown[:3]} are not computed by this legalret "
                                f"({len(FEATURES)} features); retrain it with legalret/train/ranker.py")
        n = len(self.features)
        if not (self.coef.shape == self.mean.shape == self.scale.shape == (n,)):
            raise LegalretError(f"ranker arrays must have {n} values each (one per listed feature): a damaged file; "
                                "retrain it with legalret/train/ranker.py")
        # a file trained before newer features (e.g. the facts memory's) scores with the ones it knows
        self._columns = np.array([FEATURES.index(f) for f in self.features], dtype=np.int64)
        self._all = n == len(FEATURES) and bool((self._columns == np.arange(n)).all())

    @property
    def missing_features(self) -> list[str]:
        """Features this legalret computes that the ranker was not trained with (ignored when scoring)."""
        return [f for f in FEATURES if f not in self.features]

    # ---- scoring ----------------------------------------------------------------------------------
    def _z(self, x: np.ndarray) -> np.ndarray:
        if not self._all:
            x = x[..., self._columns]
        return (x - self.mean) / self.scale

    def scores(self, x: np.ndarray) -> np.ndarray:
        return self._z(x) @ self.coef + self.intercept

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """``(n, len(self.features))``: each of the ranker's features' share ``coef · z`` of each candidate's score."""
        return self._z(x) * self.coef

    def rerank(self, query: str, hits: Sequence[Any], k: int | None = None) -> list[tuple[str, float]]:
        """``[(key, score)]`` best first: exact citations (in their order) first, then candidates by score."""
        cited = [h.key for h in hits if "citation" in (h.ranks or {})]
        keys, x = candidate_features(query, hits, self.depth)
        s = self.scores(x) if len(keys) else np.zeros(0)
        order = np.argsort(-s, kind="stable")
        top = (max(s) + 1.0) if len(s) else 1.0
        out = [(key, float(top + len(cited) - i)) for i, key in enumerate(cited)]
        out += [(keys[j], float(s[j])) for j in order.tolist() if keys[j] not in cited]
        return out[:k] if k is not None else out

    def explain(self, query: str, hits: Sequence[Any], key: str, top: int | None = None) -> dict[str, float]:
        """Each feature's contribution ``coef · z`` to ``key``'s score (largest magnitude first)."""
        keys, x = candidate_features(query, hits, self.depth)
        if key not in keys:
            raise LegalretError(f"{key} is not among the ranker's {len(keys)} candidates for this query")
        contrib = self.contributions(x[keys.index(key)])
        items = sorted(zip(self.features, contrib.tolist()), key=lambda kv: -abs(kv[1]))
        return dict(items[:top] if top else items)

    # ---- persistence ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"schema": SCHEMA, "features": list(self.features), "coef": self.coef.tolist(),
                "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "intercept": float(self.intercept), "depth": self.depth, "info": self.info}

    def save(self, path: str | os.PathLike) -> Path:
        from legalret.atomic import atomic_path

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            Path(tmp).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, d: dict, where: str = "ranker") -> Ranker:
        if d.get("schema") != SCHEMA:
            raise LegalretError(f"{where}: not a {SCHEMA} file (schema {d.get('schema')!r})")
        try:
            return cls(coef=d["coef"], mean=d["mean"], scale=d["scale"], intercept=float(d.get("intercept", 0.0)),
                       depth=int(d.get("depth", DEFAULT_DEPTH)), features=tuple(d["features"]), info=d.get("info") or {})
        except KeyError as e:
            raise LegalretError(f"{where}: missing field {e.args[0]!r}") from None

    @classmethod
    def load(cls, path: str | os.PathLike) -> Ranker:
        path = Path(path)
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LegalretError(f"{path}: ranker file not found") from None
        except json.JSONDecodeError as e:
            raise LegalretError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
        return cls.from_dict(d, str(path))


class RankerRetriever:
    """The evaluation/retriever protocol (``search_batch(queries, k, before=, exclude=)``) over a Searcher
    whose hybrid candidates are re-ranked by ``ranker``."""

    def __init__(self, searcher: Any, ranker: Ranker):
        self.searcher = searcher
        self.ranker = ranker
        self.memory = getattr(searcher, "memory", None)  # so leakage checks see the memory that votes

    def candidates(self, queries: Sequence[str], before: Any = None, exclude: Any = None) -> list[Any]:
        return self.searcher.search_batch(list(queries), self.ranker.depth, mode="convex", before=before, exclude=exclude)

    def search_batch(self, queries: Sequence[str], k: int = 10, mode: str | None = None, *, before: Any = None,
                     exclude: Any = None) -> list[list[tuple[str, float]]]:
        results = self.candidates(queries, before, exclude)
        return [self.ranker.rerank(q, hits, k) for q, hits in zip(queries, results)]

    def search(self, query: str, k: int = 10, mode: str | None = None, *, before: Any = None, exclude: Any = None):
        return self.search_batch([query], k, before=[before], exclude=[exclude])[0]
