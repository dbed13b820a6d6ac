"""Learned fusion: a small re-ranker over the hybrid's candidates, scored with plain numpy.

The hand-set memory gate trusts the precedent memory as much on a user's scenario as on a court's own
holding, where its votes are strong. This re-ranker learns from data how much each signal counts, and
when: per candidate it reads each retriever's rank and score, their agreement, and query signals (length,
갑/을 parties, numbers — the marks of a scenario) crossed with the retrievers' ranks, and scores them with
one weight vector (logistic regression or a listwise linear model, fitted by :mod:`legalret.train.ranker`),
optionally plus one small tanh hidden layer (schema ``legalret.ranker/2``). The query path stays light:
one ``hybrid`` search (whose hits carry every retriever's rank and score), a feature matrix built with
whole-column numpy operations (:func:`candidate_features`, ~0.3–0.6 ms for 100 candidates on this
machine's CPU, 3–4× faster than the first per-candidate loop, the same values bit for bit), one
matrix–vector product. ``explain``/``contributions`` attribute a score to features: exactly ``coef · z``
for a linear model, integrated gradients from the training mean for one with a hidden layer.

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
:data:`FEATURES`); retrain it to use the new ones (:mod:`legalret.train.ranker`). The same holds for
:data:`SECOND_FEATURES` (vote shares relative to the best and their ranks, the best rank of any list) and
:data:`THIRD_FEATURES`: each candidate's rank and score among the holdings memory's article profiles
(:mod:`legalret.memory.profiles`), which the Searcher sets on the fused candidates (``ranks['profile']``).
The shipped ranker reads the first and the profile groups (:data:`FEATURE_GROUPS`).
"""

from __future__ import annotations

import itertools
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
#: A ranker with a hidden layer: a new schema, so that a legalret that knows only linear files refuses it.
SCHEMA_MLP = "legalret.ranker/2"
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
    names += list(SECOND_FEATURES)
    names += list(THIRD_FEATURES)
    return names


#: Features added with the second ranker (appended: files trained before them score without them).
#: ``*_share_rel``: a memory's vote share over its largest among the candidates; ``*_share_rr``: 1 / the rank
#: of that share among the candidates; ``best_rr``: the best reciprocal rank any list gives. (Features of the
#: article's law — 상법 or not, named in the query — were measured too, no gain; nothing here names a law.)
SECOND_FEATURES = ("memory_share_rel", "facts_share_rel", "memory_share_rr", "facts_share_rr", "shares_sum",
                   "best_rr")


#: Signals of the third ranker: not fused lists but a rank and score on each fused candidate — the holdings
#: memory's article profiles (:mod:`legalret.memory.profiles`; the Searcher sets them on hybrid candidates).
CANDIDATE_SIGNALS = ("profile",)
THIRD_FEATURES = tuple(f"{s}_{kind}" for s in CANDIDATE_SIGNALS for kind in ("in", "rr", "logrank", "score")) + tuple(
    f"{s}_rr*{qs}" for s in CANDIDATE_SIGNALS for qs in ("log_len", "parties", "numbers"))


FEATURES: tuple[str, ...] = tuple(_base_features())
#: Named groups of :data:`FEATURES`, in order, for training on a subset (``python -m legalret.train.ranker
#: --features first,profile``: the shipped ranker's).
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "first": FEATURES[: FEATURES.index(SECOND_FEATURES[0])],
    "second": SECOND_FEATURES,
    "profile": THIRD_FEATURES,
}


def vote_features(result: Any) -> dict[str, tuple[float, int]]:
    """``{key: (vote share, supporting decisions)}`` of a memory result (:class:`~legalret.memory.retriever.MemoryResult`)."""
    if result is None:
        return {}
    if hasattr(result, "shares_and_support"):  # a MemoryResult: from its lists, no vote or holding objects made
        return result.shares_and_support()
    return {v.key: (float(v.share), len({h.case_no for h in v.support})) for v in result.votes}


#: log1p of every rank a list can give (ranks are small integers: a table lookup, the same values as math.log1p).
_LOG1P = np.array([math.log1p(r) for r in range(ABSENT_RANK + 1)])
_COL = {name: i for i, name in enumerate(FEATURES)}


def _log1p_ranks(r: np.ndarray) -> np.ndarray:
    """``log1p`` of 1-based ranks (``0`` = absent → ``log1p(ABSENT_RANK)``)."""
    r = np.where(r > 0, r, ABSENT_RANK)
    if r.max() <= ABSENT_RANK:
        return _LOG1P[r]
    return np.vectorize(math.log1p, otypes=[np.float64])(r)


#: The lists with a rank and score per candidate (``fused``: the hybrid's own order), and their columns.
_LISTS = (*SIGNALS, "fused", *EXTRA_SIGNALS, *CANDIDATE_SIGNALS)
_LIST_INDEX = {s: i for i, s in enumerate(_LISTS) if s != "fused"}  # (a hit's own ranks never name "fused")
_NAMED = np.array(list(_LIST_INDEX.values()))
_CROSSES = ("log_len", "parties", "numbers")
_LIST_COLS = {kind: np.array([_COL[f"{s}_{kind}"] for s in _LISTS]) for kind in ("in", "rr", "logrank", "score")}
_CROSS_COLS = np.array([_COL[f"{s}_rr*{qs}"] for s in _LISTS for qs in _CROSSES])
_QUERY_COLS = np.array([_COL[name] for name in query_signals("")])
_NAMED_LISTS = tuple(_LIST_INDEX)  # the lists a hit names in its ranks / scores, in column order
_RETRIEVED = np.array([_LIST_INDEX[s] for s in (*SIGNALS, *EXTRA_SIGNALS)])  # the fused lists (best_rr reads these)


def candidate_features(query: str, hits: Sequence[Any], depth: int | None = None,
                       votes: dict[str, dict[str, tuple[float, int]]] | None = None) -> tuple[list[str], np.ndarray]:
    """Keys and the ``(n, len(FEATURES))`` feature matrix of one query's hybrid hits.

    ``hits``: objects with ``.key``, ``.score``, ``.ranks`` and ``.scores`` (Searcher hits), in fused
    order; ``votes`` (``{memory|facts: {key: (share, support)}}``) or else each hit's ``.votes``
    (``{memory|facts: (share, support)}``) give the memories' vote shares and support. Exact-citation hits
    are skipped (see :meth:`Ranker.rerank`).

    One pass over the hits reads their ranks, scores and votes into arrays; every feature is then a
    whole-matrix numpy operation (a few dozen of them, whatever the number of candidates)."""
    cands = [h for h in hits if "citation" not in (h.ranks or {})]
    if depth is not None:
        cands = cands[:depth]
    keys = [h.key for h in cands]
    n = len(cands)
    x = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if not n:
        return keys, x
    col = _COL
    # the hits' dicts read one list at a time: ranks (0 = not in that list) and raw scores (NaN = not scored)
    fused = _LISTS.index("fused")
    nan = math.nan
    m = len(_LISTS)
    ranks = [h.ranks or {} for h in cands]
    raws = [h.scores or {} for h in cands]
    rank = np.empty((n, m), dtype=np.int64)
    rank[:, _NAMED] = np.array([[r.get(s, 0) for r in ranks] for s in _NAMED_LISTS], dtype=np.int64).T
    rank[:, fused] = np.arange(1, n + 1)
    raw = np.empty((n, m))
    raw[:, _NAMED] = np.array([[v.get(s, nan) for v in raws] for s in _NAMED_LISTS], dtype=np.float64).T
    raw[:, fused] = [h.score for h in cands]
    scored = ~np.isnan(raw)
    raw[~scored] = 0.0
    present = rank > 0
    rr = np.where(present, 1.0 / np.maximum(rank, 1), 0.0)
    # min–max of each list's raw scores over the candidates it scored (1 = its best; a flat list → 1)
    lo = np.where(scored, raw, np.inf).min(axis=0)
    hi = np.where(scored, raw, -np.inf).max(axis=0)
    spread = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = np.where(scored, np.where(spread < 1e-12, 1.0, (raw - lo) / spread), 0.0)
    q = query_signals(query)
    qv = np.array([q[name] for name in _CROSSES])
    x[:, _LIST_COLS["in"]] = present
    x[:, _LIST_COLS["rr"]] = rr
    x[:, _LIST_COLS["logrank"]] = _log1p_ranks(rank)
    x[:, _LIST_COLS["score"]] = norm
    x[:, _CROSS_COLS] = (rr[:, :, None] * qv).reshape(n, -1)
    x[:, _QUERY_COLS] = list(q.values())
    top10 = present & (rank <= 10)
    base = [_LIST_INDEX[s] for s in SIGNALS]
    x[:, col["agree_top10"]] = top10[:, base].sum(axis=1)
    x[:, col["agree_all"]] = present[:, base].sum(axis=1)
    for s in ("memory", *EXTRA_SIGNALS):
        c = _LIST_INDEX[s]
        values = raw[scored[:, c], c].tolist()
        x[:, col[f"{s}_top"]] = max(values) if values else 0.0
        x[:, col[f"{s}_mass"]] = sum(values)  # Python's sum, in fused order: the values the first ranker was trained on
    mem = _LIST_INDEX["memory"]
    x[:, col["memory_rr*memory_top"]] = rr[:, mem] * x[:, col["memory_top"]]
    x[:, col["memory_score*memory_top"]] = norm[:, mem] * x[:, col["memory_top"]]
    for s in VOTING:
        given = votes.get(s) if votes else None
        pairs = ([given.get(k, (0.0, 0)) for k in keys] if given is not None
                 else [(getattr(h, "votes", None) or {}).get(s, (0.0, 0)) for h in cands])
        # (flattened: numpy reads a flat iterable of numbers much faster than a list of tuples)
        share_support = np.fromiter(itertools.chain.from_iterable(pairs), dtype=np.float64, count=2 * n).reshape(n, 2)
        x[:, col[f"{s}_share"]] = share_support[:, 0]
        x[:, col[f"{s}_support"]] = np.minimum(share_support[:, 1], MAX_SUPPORT)
    x[:, col["agree_memories_top10"]] = top10[:, [_LIST_INDEX[s] for s in VOTING]].all(axis=1)
    # second-ranker features
    for s in VOTING:
        share = x[:, col[f"{s}_share"]]
        top = share.max()
        x[:, col[f"{s}_share_rel"]] = share / top if top > 0 else 0.0
        by_share = np.empty(n)
        by_share[np.argsort(-share, kind="stable")] = 1.0 / np.arange(1, n + 1)
        x[:, col[f"{s}_share_rr"]] = np.where(share > 0, by_share, 0.0)
    x[:, col["shares_sum"]] = x[:, col["memory_share"]] + x[:, col["facts_share"]]
    x[:, col["best_rr"]] = rr[:, _RETRIEVED].max(axis=1)  # (every fused list; not the fused order, not a profile)
    return keys, x


@dataclass
class Ranker:
    """A scorer over standardized features ``z = (x − mean) / scale`` (:data:`FEATURES`, or the named subset
    it was trained with): linear ``coef · z + intercept``, plus — when ``hidden`` is given — one hidden layer
    ``w2 · tanh(z W1 + b1) + b2`` (``hidden = {"w1": (features, units), "b1": (units,), "w2": (units,),
    "b2": float}``), still plain numpy at query time."""

    coef: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    intercept: float = 0.0
    depth: int = DEFAULT_DEPTH
    features: tuple[str, ...] = FEATURES
    info: dict = field(default_factory=dict)  # training data, sizes, settings (written to the file)
    hidden: dict | None = None  # one tanh hidden layer (see the class docs); None = linear

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
        if self.hidden is not None:
            try:
                h = {k: np.asarray(self.hidden[k], dtype=np.float64) for k in ("w1", "b1", "w2")}
                h["b2"] = float(self.hidden["b2"])
            except (KeyError, TypeError, ValueError) as e:
                raise LegalretError(f"ranker hidden layer needs w1, b1, w2, b2 ({e}): a damaged file") from None
            units = h["b1"].shape
            if h["w1"].shape != (n, *units) or h["w2"].shape != units or len(units) != 1:
                raise LegalretError(f"ranker hidden layer shapes {h['w1'].shape}/{units}/{h['w2'].shape} do not fit "
                                    f"{n} features: a damaged file; retrain it with legalret/train/ranker.py")
            self.hidden = h
        # a file trained before newer features (e.g. the facts memory's) scores with the ones it knows
        self._columns = np.array([FEATURES.index(f) for f in self.features], dtype=np.int64)
        self._all = n == len(FEATURES) and bool((self._columns == np.arange(n)).all())

    @property
    def missing_features(self) -> list[str]:
        """Features this legalret computes that the ranker was not trained with (ignored when scoring)."""
        return [f for f in FEATURES if f not in self.features]

    @property
    def kind(self) -> str:
        return "linear" if self.hidden is None else f"mlp{len(self.hidden['b1'])}"

    # ---- scoring ----------------------------------------------------------------------------------
    def _z(self, x: np.ndarray) -> np.ndarray:
        if not self._all:
            x = x[..., self._columns]
        return (x - self.mean) / self.scale

    def _score_z(self, z: np.ndarray) -> np.ndarray:
        s = z @ self.coef + self.intercept
        if self.hidden is not None:
            h = self.hidden
            s = s + np.tanh(z @ h["w1"] + h["b1"]) @ h["w2"] + h["b2"]
        return s

    def scores(self, x: np.ndarray) -> np.ndarray:
        return self._score_z(self._z(x))

    @property
    def baseline(self) -> float:
        """The score of a candidate at the training mean (every ``z = 0``): contributions sum to score − this."""
        return float(self._score_z(np.zeros(len(self.features))))

    def contributions(self, x: np.ndarray, steps: int = 32) -> np.ndarray:
        """``(n, len(self.features))``: each feature's share of each candidate's score above :attr:`baseline`.

        Linear: ``coef · z`` (exact). With a hidden layer: integrated gradients from the training mean
        (``z · mean over a ∈ (0, 1] of ∂score/∂z at a·z``, midpoint rule with ``steps`` points) — the
        contributions of a candidate sum to its score − :attr:`baseline` up to the quadrature error (≪ 1%)."""
        z = self._z(x)
        out = z * self.coef
        if self.hidden is not None:
            h = self.hidden
            alphas = (np.arange(steps) + 0.5) / steps
            pre = alphas[:, None, None] * (z @ h["w1"])[None] + h["b1"]  # (steps, n, units)
            grad_units = ((1.0 - np.tanh(pre) ** 2) * h["w2"]).mean(axis=0)  # (n, units)
            out = out + z * (grad_units @ h["w1"].T)
        return out

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
        """Each feature's contribution to ``key``'s score above :attr:`baseline` (largest magnitude first;
        see :meth:`contributions`)."""
        keys, x = candidate_features(query, hits, self.depth)
        if key not in keys:
            raise LegalretError(f"{key} is not among the ranker's {len(keys)} candidates for this query")
        contrib = self.contributions(x[keys.index(key)][None])[0]
        items = sorted(zip(self.features, contrib.tolist()), key=lambda kv: -abs(kv[1]))
        return dict(items[:top] if top else items)

    # ---- persistence ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = {"schema": SCHEMA if self.hidden is None else SCHEMA_MLP, "features": list(self.features),
             "coef": self.coef.tolist(), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
             "intercept": float(self.intercept), "depth": self.depth, "info": self.info}
        if self.hidden is not None:
            d["hidden"] = {"w1": self.hidden["w1"].tolist(), "b1": self.hidden["b1"].tolist(),
                           "w2": self.hidden["w2"].tolist(), "b2": float(self.hidden["b2"])}
        return d

    def save(self, path: str | os.PathLike) -> Path:
        from legalret.atomic import atomic_path

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            Path(tmp).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, d: dict, where: str = "ranker") -> Ranker:
        if d.get("schema") not in (SCHEMA, SCHEMA_MLP):
            raise LegalretError(f"{where}: not a {SCHEMA} file (schema {d.get('schema')!r})")
        if d["schema"] == SCHEMA_MLP and not d.get("hidden"):
            raise LegalretError(f"{where}: a {SCHEMA_MLP} file needs its 'hidden' layer")
        try:
            return cls(coef=d["coef"], mean=d["mean"], scale=d["scale"], intercept=float(d.get("intercept", 0.0)),
                       depth=int(d.get("depth", DEFAULT_DEPTH)), features=tuple(d["features"]), info=d.get("info") or {},
                       hidden=d.get("hidden") if d["schema"] == SCHEMA_MLP else None)
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
