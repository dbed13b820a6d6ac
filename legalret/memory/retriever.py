"""Memory retrieval: the nearest holdings vote for the articles they cite.

For a query, :class:`MemoryRetriever` finds the ``depth`` most similar stored holdings (BM25, dense, or
both) and aggregates their citations into a scored article list:

* **score- and rank-weighted votes** — holding *h* at rank *r* with similarity *s* (relative to the best
  holding) carries ``weight = rel(s)**score_power / log2(r + 1)**rank_discount``;
* **ties** — holdings with equal similarity share one (averaged) rank, so input order never decides;
  articles with equal votes are ordered by their best supporting holding, then by key;
* **many-article citations** — a holding citing *n* articles gives each ``weight / n**spread``: a holding
  that lists 12 articles is weak evidence for any one of them;
* **one decision, one vote per article** — holdings of the same decision citing the same article count
  once (the best of them): repeating a citation is not independent evidence;
* **no leakage** — ``before=date`` lets only holdings decided strictly before that date vote,
  ``exclude=case_no`` drops the query's own decision. Both filter *before* the top ``depth`` is taken.

Scores are vote shares (they sum to 1 over all voted articles) raised to ``score_exponent``: a monotone
flattening, so that min–max score fusion does not drown the memory's 2nd…10th articles.

:func:`memory_weight` turns a result into a fusion weight from how well the best holding matches the query
(idf-weighted coverage of the query's tokens; dense cosine when available) and, optionally, how
concentrated the vote is. The system is never told the query style: the weight is high when some past
holding restates the query and falls when the best holding shares little of its vocabulary.

Usage::

    retriever = MemoryRetriever(PrecedentMemory.load("index/memory"))
    retriever.search("임차인의 비용상환청구권 포기 특약의 효력", k=10)          # [(key, share), ...]
    res = retriever.explain(query, k=10, before=date(2021, 1, 1), exclude="2019다1234")
    for vote in res.votes:
        print(vote.key, vote.score, [(h.item.case_no, h.item.decided, h.item.text) for h in vote.support])
    w = memory_weight(res)                                                   # 0 … WeightConfig.max_weight
    # the Searcher fuses res.ranking() as a third retriever with weight w (legalret.search.fusion)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Iterable, Mapping, Sequence

import numpy as np

from legalret.index.bm25 import top_k
from legalret.memory.store import MemoryItem, PrecedentMemory


@dataclass
class VoteConfig:
    """How holdings become article votes.

    Defaults: grid-searched on 400 dev-split (2020–2022) holding queries, BM25 memory of train-split
    precedents, objective recall@10 + MRR@10 (``benchmarks/memory_eval.py --tune``). Dense settings
    (``dense_temperature``, ``dense_share``) are not tuned yet (no dense memory could be built on CPU in time).
    """

    depth: int = 100  # nearest holdings allowed to vote (tuned: 60 / 100 / 150 → 100)
    mode: str = "auto"  # 'bm25' | 'dense' | 'hybrid' | 'auto' (= hybrid when the memory has vectors)
    score_power: float = 2.0  # weight ∝ (similarity relative to the best holding) ** score_power (tuned: 1 / 2 / 3)
    rank_discount: float = 1.0  # weight ∝ 1 / log2(rank + 1) ** rank_discount (tuned: 0.5 / 1)
    spread: float = 0.5  # a holding citing n articles gives each 1 / n ** spread of its weight (tuned: 0.25 / 0.5 / 1)
    dense_temperature: float = 0.05  # dense relative similarity = exp((cos - best_cos) / T)
    dense_share: float = 0.5  # hybrid: holding similarity = share·dense_rel + (1 − share)·bm25_rel
    max_support: int = 5  # supporting holdings kept per article for explain
    score_exponent: float = 0.25  # reported score = vote share ** exponent: same order, flatter for min–max fusion


@dataclass
class WeightConfig:
    """Adaptive fusion weight of the memory channel: ``max_weight · σ(slope·(match − midpoint)) · conc**p``.

    ``match`` is the best holding's idf-weighted coverage of the query tokens (BM25) or, with vectors, the
    mean of that and the best holding's dense cosine mapped through ``dense_floor``. Defaults tuned on 400
    dev holding queries with D's convex fusion replayed (BM25 article index); on this data the memory is
    strong even for user questions, so the tuned gate is mostly open and only closes for queries whose
    best holding shares almost none of their (idf-weighted) words.
    """

    max_weight: float = 0.9
    midpoint: float = 0.1
    slope: float = 6.0
    concentration_power: float = 0.0
    dense_floor: float = 0.7  # cosine at or below this counts as no match (me5 cosines are compressed high)


@dataclass
class HoldingMatch:
    """A stored holding that voted: its similarity, (tie-averaged) rank and vote weight, its decision and the
    articles it cites. ``item`` (text, date, …) is read from the memory only when shown: a query's ~100
    nearest holdings per memory vote, a handful are displayed."""

    row: int
    similarity: float  # relative similarity in (0, 1]; 1 = the best holding
    raw_score: float  # channel score (BM25 score or cosine; hybrid: the combined relative similarity)
    rank: float  # 1-based; tied holdings share the average rank
    weight: float
    case_no: str
    keys: list[str]
    items: Sequence[MemoryItem] | Mapping[int, MemoryItem] = field(default=(), repr=False, compare=False)

    @property
    def item(self) -> MemoryItem:
        return self.items[self.row]


@dataclass
class ArticleVote:
    key: str
    score: float  # share ** VoteConfig.score_exponent (what fusion sees)
    vote: float  # un-normalized vote
    support: list[HoldingMatch] = field(default_factory=list)  # best supporting holdings first
    share: float = 0.0  # share of the total vote (sums to 1 over all voted articles)


@dataclass
class MemoryResult:
    """Everything one memory query produced: article votes (explain data) and confidence features."""

    query: str
    votes: list[ArticleVote]
    holdings: list[HoldingMatch]
    coverage: float = 0.0  # idf-weighted share of query tokens present in the best holding
    dense_top: float | None = None  # cosine of the best holding (dense / hybrid modes)
    concentration: float = 0.0  # share of the vote on the top article

    def ranking(self, k: int | None = None, exponent: float | None = None) -> list[tuple[str, float]]:
        """``(key, score)`` best first; ``exponent`` recomputes scores as ``share ** exponent``."""
        votes = self.votes if k is None else self.votes[:k]
        if exponent is not None:
            return [(v.key, v.share**exponent) for v in votes]
        return [(v.key, v.score) for v in votes]

    def support_for(self, key: str) -> list[HoldingMatch]:
        for v in self.votes:
            if v.key == key:
                return v.support
        return []

    def explain_lines(self, key: str, limit: int = 3, width: int = 90) -> list[str]:
        """Human-readable reasons for ``key``: the precedents whose holdings voted for it, e.g.
        ``'판례 2019다5005 (2019-12-31) [1] 불법행위로 인한 손해배상청구권의 소멸시효 … (similarity 1.00)'``.
        What ``legalret search --explain`` shows under a hit the memory supported."""
        lines = []
        for h in self.support_for(key)[:limit]:
            text = h.item.text if len(h.item.text) <= width else h.item.text[: width - 1] + "…"
            mark = f"[{h.item.index}] " if h.item.index else ""
            lines.append(f"판례 {h.item.case_no} ({h.item.decided.isoformat()}) {mark}{text} (similarity {h.similarity:.2f})")
        return lines


def _tie_ranks(scores: Sequence[float]) -> list[float]:
    """1-based ranks of scores sorted descending; equal scores get the average of their positions."""
    ranks: list[float] = []
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and math.isclose(scores[j + 1], scores[i], rel_tol=1e-6, abs_tol=1e-9):
            j += 1
        ranks.extend([(i + j) / 2 + 1] * (j - i + 1))
        i = j + 1
    return ranks


class MemoryRetriever:
    """Retriever protocol (``search(query, k)``, ``search_batch(queries, k)``) over a :class:`PrecedentMemory`."""

    name = "memory"

    def __init__(self, memory: PrecedentMemory, config: VoteConfig | None = None, **overrides):
        self.memory = memory
        self.config = replace(config or VoteConfig(), **overrides)
        if self.config.mode not in ("auto", "bm25", "dense", "hybrid"):
            raise ValueError(f"unknown memory mode {self.config.mode!r} (auto, bm25, dense, hybrid)")
        if self.config.mode in ("dense", "hybrid") and not memory.has_dense:
            raise ValueError(f"memory mode {self.config.mode!r} needs a memory built and loaded with an encoder")

    @property
    def mode(self) -> str:
        if self.config.mode == "auto":
            return "hybrid" if self.memory.has_dense else "bm25"
        return self.config.mode

    # ---- public API -------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 10,
        *,
        before: date | str | None = None,
        exclude: str | Iterable[str] | None = None,
        laws: Iterable[str] | None = None,
    ) -> list[tuple[str, float]]:
        """Top-``k`` ``(article key, vote share)``. See :meth:`explain` for the supporting holdings."""
        return self.explain(query, k, before=before, exclude=exclude, laws=laws).ranking(k)

    def search_batch(
        self,
        queries: Sequence[str],
        k: int = 10,
        *,
        before: Sequence[date | str | None] | date | str | None = None,
        exclude: Sequence[str | None] | str | None = None,
    ) -> list[list[tuple[str, float]]]:
        """``search`` for each query; ``before``/``exclude`` are one value for all or one per query."""
        befores = before if isinstance(before, (list, tuple)) else [before] * len(queries)
        excludes = exclude if isinstance(exclude, (list, tuple)) else [exclude] * len(queries)
        return [self.search(q, k, before=b, exclude=e) for q, b, e in zip(queries, befores, excludes)]

    def explain(
        self,
        query: str,
        k: int | None = 10,
        *,
        before: date | str | None = None,
        exclude: str | Iterable[str] | None = None,
        laws: Iterable[str] | None = None,
        tokens: list[str] | None = None,
    ) -> MemoryResult:
        """Full result: article votes with their supporting holdings, the voting holdings, and the
        confidence features :func:`memory_weight` reads. ``laws`` keeps only keys of those laws.
        ``tokens``: the query's tokens when the caller already has them from the memory's own tokenizer
        (the Searcher's Query.tokens), so Kiwi runs once per query."""
        allowed = self.memory.allowed_mask(before, exclude)
        tokens = self.memory.tokenize(query) if tokens is None else list(tokens)
        holdings, dense_top = self._nearest_holdings(query, tokens, allowed)
        votes = self._aggregate(holdings, laws)
        total = sum(v.vote for v in votes)
        for v in votes:
            v.share = v.vote / total if total > 0 else 0.0
            v.score = v.share**self.config.score_exponent
        result = MemoryResult(
            query=query,
            votes=votes if k is None else votes[:k],
            holdings=holdings,
            coverage=self._coverage(tokens, holdings),
            dense_top=dense_top,
            concentration=votes[0].share if votes else 0.0,
        )
        return result

    # ---- nearest holdings -------------------------------------------------------------------------
    def _nearest_holdings(
        self, query: str, tokens: list[str], allowed: np.ndarray | None
    ) -> tuple[list[HoldingMatch], float | None]:
        cfg, mem = self.config, self.memory
        depth = cfg.depth
        if not len(mem):
            return [], None
        rel: dict[int, float] = {}
        raw: dict[int, float] = {}
        dense_top = None
        mode = self.mode
        if mode in ("bm25", "hybrid"):
            scores = mem.bm25_scores(tokens)
            take = depth * (2 if mode == "hybrid" else 1)
            top, values = top_k(scores, take, allowed, positive_only=True)
            if len(top) == take:  # ties at the cut all stay: the final order decides (older decision first)
                tied = scores == values[-1]
                extra = np.setdiff1d(np.flatnonzero(tied if allowed is None else tied & allowed), top)
                top, values = np.concatenate([top, extra]), np.concatenate([values, scores[extra]])
            if len(top):
                best = float(values[0])
                share = 1.0 if mode == "bm25" else 1.0 - cfg.dense_share
                for row, s in zip(top.tolist(), values.tolist()):
                    rel[row] = share * s / best
                    raw[row] = s
        if mode in ("dense", "hybrid"):
            qvec = mem.encode_query(query)
            hits = mem.dense_search(qvec, depth * (2 if mode == "hybrid" else 1), allowed=allowed)
            if hits:
                dense_top = hits[0][1]
                share = 1.0 if mode == "dense" else cfg.dense_share
                for row, cos in hits:
                    r = share * math.exp((cos - dense_top) / cfg.dense_temperature)
                    rel[row] = rel.get(row, 0.0) + r
                    if mode == "dense":
                        raw[row] = cos
        if mode == "hybrid":
            raw = dict(rel)
        if not rel:
            return [], dense_top
        # deterministic order: similarity desc, then older decision first, then row (stable across runs)
        decided = mem.decided_ord
        order = sorted(rel, key=lambda row: (-rel[row], int(decided[row]), row))[:depth]
        best = rel[order[0]]
        sims = [rel[row] / best for row in order]
        ranks = _tie_ranks(sims)
        matches = []
        for row, sim, rank in zip(order, sims, ranks):
            weight = sim**cfg.score_power / math.log2(rank + 1) ** cfg.rank_discount
            matches.append(HoldingMatch(row, sim, raw.get(row, rel[row]), rank, weight, mem.case_no_of(row), mem.keys_of(row), mem.items))
        return matches, dense_top

    # ---- votes -------------------------------------------------------------------------------------
    def _aggregate(self, holdings: list[HoldingMatch], laws: Iterable[str] | None) -> list[ArticleVote]:
        cfg = self.config
        law_prefixes = tuple(f"{law} 제" for law in laws) if laws else None
        # key → case_no → best (contribution, holding): one decision votes once per article
        best: dict[str, dict[str, tuple[float, HoldingMatch]]] = {}
        for h in holdings:
            keys = h.keys
            if law_prefixes is not None:
                keys = [key for key in keys if key.startswith(law_prefixes)]
            if not keys:
                continue
            # spread over all cited articles (before the law filter: the holding's evidence is divided
            # by what it cites, not by what the caller wants to see)
            part = h.weight / len(h.keys) ** cfg.spread
            for key in keys:
                by_case = best.setdefault(key, {})
                prev = by_case.get(h.case_no)
                if prev is None or part > prev[0]:
                    by_case[h.case_no] = (part, h)
        votes = []
        for key, by_case in best.items():
            parts = sorted(by_case.values(), key=lambda ph: (-ph[0], ph[1].rank))
            support = sorted((h for _, h in parts), key=lambda h: (h.rank, h.row))[: cfg.max_support]
            votes.append(ArticleVote(key, 0.0, sum(p for p, _ in parts), support))
        votes.sort(key=lambda v: (-round(v.vote, 12), v.support[0].rank, v.key))
        return votes

    def _coverage(self, tokens: list[str], holdings: list[HoldingMatch]) -> float:
        """idf-weighted share of the query's distinct tokens that the best holding contains."""
        if not tokens or not holdings:
            return 0.0
        query = set(tokens)
        top_tokens = set(self.memory.tokens_of(holdings[0].row))
        idf = self.memory.idf
        total = sum(idf(t) for t in query)
        return sum(idf(t) for t in query & top_tokens) / total if total > 0 else 0.0


def match_strength(result: MemoryResult, config: WeightConfig | None = None) -> float:
    """How well the memory's best holding matches the query, in [0, 1] (see :class:`WeightConfig`)."""
    cfg = config or WeightConfig()
    if result.dense_top is None:
        return result.coverage
    dense = max(0.0, (result.dense_top - cfg.dense_floor) / (1.0 - cfg.dense_floor))
    return 0.5 * (result.coverage + min(dense, 1.0))


def memory_weight(result: MemoryResult, config: WeightConfig | None = None) -> float:
    """Fusion weight for the memory channel of this query (0 when the memory has nothing to say).

    High when the best holdings restate the query (holding-like text, coverage near 1) and the vote is
    concentrated; low for a short user question that shares only a few words with any holding.
    """
    cfg = config or WeightConfig()
    if not result.votes:
        return 0.0
    strength = match_strength(result, cfg)
    gate = 1.0 / (1.0 + math.exp(-cfg.slope * (strength - cfg.midpoint)))
    return cfg.max_weight * gate * result.concentration**cfg.concentration_power
