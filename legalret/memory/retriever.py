"""Memory retrieval: the nearest holdings vote for the articles they cite.

For a query, :class:`MemoryVoter` finds the ``depth`` most similar stored holdings (BM25, dense, or
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

    from legalret.index.store import current_generation
    retriever = MemoryVoter(PrecedentMemory.load(current_generation("index/") / "memory"))   # the live generation's
    retriever.search("임차인의 비용상환청구권 포기 특약의 효력", k=10)          # [(key, share), ...]
    res = retriever.explain(query, k=10, before=date(2021, 1, 1), exclude="2019다1234")
    for vote in res.votes:
        print(vote.key, vote.score, [(h.item.case_no, h.item.decided, h.item.text) for h in vote.support])
    w = memory_weight(res)                                                   # 0 … WeightConfig.max_weight
    # the Searcher fuses res.ranking() as a third retriever with weight w (legalret.search.fusion)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from legalret.index.bm25 import top_k
from legalret.memory.format import MemoryItem
from legalret.memory.query import sort_ranks
from legalret.memory.store import PrecedentMemory


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


class MemoryResult:
    """Everything one memory query produced: article votes (explain data) and confidence features.

    ``votes`` (:class:`ArticleVote` s with their supporting holdings) and ``holdings`` (every
    :class:`HoldingMatch` that voted) may be given as lists or as functions that make them — ``votes`` from the
    result's holdings, ``holdings()`` from nothing: a result of :meth:`MemoryVoter.explain` makes them on first
    access. A search reads only the ranking, the vote shares and the support counts (:meth:`ranking`,
    :meth:`shares_and_support`), kept as plain lists; the ~100 votes and ~100 holdings as objects cost ~0.4 ms per
    memory and query (half of what the memory costs) and are wanted only to explain a hit."""

    def __init__(
        self,
        query: str,
        votes: list[ArticleVote] | Callable[[], list[ArticleVote]],
        holdings: list[HoldingMatch] | Callable[[], list[HoldingMatch]],
        coverage: float = 0.0,
        dense_top: float | None = None,
        concentration: float = 0.0,
        *,
        ranked: tuple[list[str], list[float], list[float], list[int]] | None = None,
    ):
        self.query = query
        self.coverage = coverage  # idf-weighted share of query tokens present in the best holding
        self.dense_top = dense_top  # cosine of the best holding (dense / hybrid modes)
        self.concentration = concentration  # share of the vote on the top article
        self._votes, self._holdings = votes, holdings
        if ranked is None:  # votes given as objects: read the ranking from them
            votes = self.votes
            ranked = ([v.key for v in votes], [v.score for v in votes], [v.share for v in votes],
                      [len({h.case_no for h in v.support}) for v in votes])
        #: per voted article, best first: key, score, vote share, supporting decisions
        self._keys, self._scores, self._shares, self._support = ranked

    @property
    def votes(self) -> list[ArticleVote]:
        if callable(self._votes):
            self._votes = self._votes(self.holdings)
        return self._votes

    @property
    def holdings(self) -> list[HoldingMatch]:
        if callable(self._holdings):
            self._holdings = self._holdings()
        return self._holdings

    @property
    def vote_count(self) -> int:
        """The number of voted articles (in ``votes``), without making them."""
        return len(self._keys)

    def __repr__(self) -> str:
        return (f"MemoryResult(query={self.query!r}, votes={self.vote_count}, coverage={self.coverage!r}, "
                f"dense_top={self.dense_top!r}, concentration={self.concentration!r})")

    def ranking(self, k: int | None = None, exponent: float | None = None) -> list[tuple[str, float]]:
        """``(key, score)`` best first; ``exponent`` recomputes scores as ``share ** exponent``."""
        keys = self._keys if k is None else self._keys[:k]
        if exponent is not None:
            return [(key, share**exponent) for key, share in zip(keys, self._shares)]
        return list(zip(keys, self._scores))

    def shares_and_support(self) -> dict[str, tuple[float, int]]:
        """``{key: (vote share, supporting decisions)}`` of the voted articles (the re-ranker's vote features;
        the supporting decisions are those of ``votes[i].support``, at most ``VoteConfig.max_support``)."""
        return dict(zip(self._keys, zip(self._shares, self._support)))

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


@dataclass
class _Nearest:
    """The nearest holdings as arrays, best first: rows, relative similarity, raw score, rank, vote weight."""

    rows: np.ndarray
    sims: np.ndarray
    raw: np.ndarray
    ranks: list[float]
    weights: list[float]


@dataclass
class _VoteTable:
    """Votes as arrays (see :meth:`MemoryVoter._tally`): ``keys[i]`` gets ``votes[i]``; ``order`` = key
    indices best first; the supporting (key index, holding index) pairs in support order (holding index:
    position in the nearest holdings)."""

    order: np.ndarray
    keys: list[str]
    votes: np.ndarray
    support_key: np.ndarray
    support_holding: np.ndarray


def _run_starts(*columns: np.ndarray) -> np.ndarray:
    """Bool per row of sorted ``columns``: True where a run of equal rows starts (the first row, and every
    row where any column differs from the row before)."""
    starts = np.empty(len(columns[0]), dtype=bool)
    starts[:1] = True
    np.not_equal(columns[0][1:], columns[0][:-1], out=starts[1:])
    for c in columns[1:]:
        starts[1:] |= c[1:] != c[:-1]
    return starts


def _law_prefixes(laws: Iterable[str]) -> tuple[str, ...]:
    """The key prefixes of ``laws`` (``민법 제``): a key belongs to a law when it starts with one."""
    return tuple(f"{law} 제" for law in laws)


def _tie_ranks(scores: Sequence[float]) -> list[float]:
    """1-based ranks of scores sorted descending; equal scores get the average of their positions.

    "Equal" is ``math.isclose(…, rel_tol=1e-6, abs_tol=1e-9)`` to the first score of the group (a group
    starts at the first score not equal to the previous group's first). Where two neighbours differ by more
    than the largest tolerance any score has, no group spans them: only the runs between such gaps (the
    few near-ties) go through the one-by-one loop, so the groups are exactly the loop's."""
    s = np.asarray(scores, dtype=np.float64)
    n = len(s)
    if n < 2 or not (np.isfinite(s).all() and s[-1] >= 0 and (s[:-1] >= s[1:]).all()):
        return _tie_ranks_loop(list(s.tolist()))  # (not the hot path: empty, one score, or not descending ≥ 0)
    widest = max(1e-6 * float(s[0]), 1e-9)  # the tolerance of the largest score bounds every group's
    cuts = np.flatnonzero((s[:-1] - s[1:]) > widest) + 1
    ranks = np.arange(1, n + 1, dtype=np.float64)
    if len(cuts) < n - 1:  # some neighbours are near-ties
        bounds = np.concatenate(([0], cuts, [n]))
        lengths = np.diff(bounds)
        values = s.tolist()
        for start, length in zip(bounds[:-1][lengths > 1].tolist(), lengths[lengths > 1].tolist()):
            ranks[start:start + length] = np.asarray(_tie_ranks_loop(values[start:start + length])) + start
    return ranks.tolist()


def _tie_ranks_loop(scores: Sequence[float]) -> list[float]:
    ranks: list[float] = []
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and math.isclose(scores[j + 1], scores[i], rel_tol=1e-6, abs_tol=1e-9):
            j += 1
        ranks.extend([(i + j) / 2 + 1] * (j - i + 1))
        i = j + 1
    return ranks


class MemoryVoter:
    """The precedent memory's votes for a query (``search(query, k)``, ``search_batch``, ``explain``): the holdings
    nearest the query vote for the articles they cite. Wrapped as a search retriever by
    :mod:`legalret.search.retrievers.memory`."""

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
        near, dense_top = self._nearest(query, tokens, allowed)
        table, holdings = self._vote_table_of(near, laws)
        coverage = self._coverage(tokens, int(near.rows[0]) if near is not None else None)
        if table is None:
            return MemoryResult(query, [], holdings, coverage, dense_top, 0.0, ranked=([], [], [], []))
        order = table.order if k is None else table.order[:k]  # the first k articles; the total is over all
        total = sum(table.votes[table.order].tolist())
        keys = [table.keys[i] for i in order.tolist()]
        votes = table.votes[order].tolist()
        shares = [vote / total if total > 0 else 0.0 for vote in votes]
        scores = [share**self.config.score_exponent for share in shares]
        # an article's support holds one holding per decision (see _tally): its size is its decisions
        support = np.bincount(table.support_key, minlength=len(table.keys))[order].tolist()

        # made on first access from the result's own HoldingMatch objects, which the result hands in: a function
        # that read them from the result would be a cycle (result → function → result) that keeps this memory's
        # arrays alive after its searcher is replaced, until Python's cyclic collector happens to run
        article_votes = functools.partial(self._votes, table, k, shares=shares, scores=scores)
        return MemoryResult(query, article_votes, holdings, coverage, dense_top,
                            float(table.votes[table.order[0]]) / total if total > 0 else 0.0,
                            ranked=(keys, scores, shares, support))

    # ---- nearest holdings -------------------------------------------------------------------------
    # numpy over the candidate rows and their (key, decision) pairs; every float is computed with the same
    # operations in the same order as the per-holding loops this replaced (scalar ``math`` where numpy's
    # vector exp/log/pow may differ in the last bit), so the results are identical — same keys, order,
    # scores, support (benchmarks/check_hot_paths.py compares them on the dev questions and holdings).
    def _nearest(self, query: str, tokens: list[str], allowed: np.ndarray | None) -> tuple[_Nearest | None, float | None]:
        """The ``depth`` nearest holdings as arrays, best first (similarity desc, older decision, row)."""
        cfg, mem = self.config, self.memory
        depth = cfg.depth
        if not len(mem):
            return None, None
        rows_parts: list[np.ndarray] = []
        rel_parts: list[np.ndarray] = []
        raw_bm25: np.ndarray | None = None
        raw_dense: np.ndarray | None = None
        dense_top = None
        mode = self.mode
        if mode in ("bm25", "hybrid"):
            scores = mem.bm25_scores(tokens)
            take = depth * (2 if mode == "hybrid" else 1)
            # the matching (and allowed) rows: a few thousand of the memory's items
            candidates = np.flatnonzero(scores > 0 if allowed is None else (scores > 0) & allowed)
            candidate_scores = scores[candidates]
            top, values = top_k(candidate_scores, take)
            top = candidates[top]
            if len(top) == take:  # ties at the cut all stay: the final order decides (older decision first)
                tied = candidates[candidate_scores == values[-1]]  # (the cut's score is > 0: a candidate)
                # (usually every tied row is in the top already: then there is nothing to add)
                if len(tied) > np.count_nonzero(values == values[-1]):
                    extra = np.setdiff1d(tied, top)
                    top, values = np.concatenate([top, extra]), np.concatenate([values, scores[extra]])
            if len(top):
                values = np.asarray(values, dtype=np.float64)
                share = 1.0 if mode == "bm25" else 1.0 - cfg.dense_share
                rows_parts.append(np.asarray(top, dtype=np.int64))
                rel_parts.append(share * values / float(values[0]))
                raw_bm25 = values
        if mode in ("dense", "hybrid"):
            qvec = mem.encode_query(query)
            hits = mem.dense_search(qvec, depth * (2 if mode == "hybrid" else 1), allowed=allowed)
            if hits:
                dense_top = hits[0][1]
                share = 1.0 if mode == "dense" else cfg.dense_share
                cos = np.array([c for _, c in hits], dtype=np.float64)
                rows_parts.append(np.array([r for r, _ in hits], dtype=np.int64))
                rel_parts.append(np.array([share * math.exp(x) for x in ((cos - dense_top) / cfg.dense_temperature).tolist()]))
                raw_dense = cos
        if not rows_parts:
            return None, dense_top
        if len(rows_parts) == 1:
            rows, rel = rows_parts[0], rel_parts[0]
            raw = raw_bm25 if mode == "bm25" else raw_dense
        else:  # hybrid: a holding both lists found gets bm25 part + dense part (in that order)
            rows, inverse = np.unique(np.concatenate(rows_parts), return_inverse=True)
            rel = np.bincount(inverse, weights=np.concatenate(rel_parts), minlength=len(rows))
            raw = rel
        # deterministic order: similarity desc, then older decision first, then row (stable across runs)
        order = np.lexsort((rows, mem.decided_ord[rows], -rel))[:depth]
        rows, rel, raw = rows[order], rel[order], raw[order]
        sims = rel / rel[0]
        ranks = _tie_ranks(sims)
        power, discount = cfg.score_power, cfg.rank_discount
        weights = [sim**power / math.log2(rank + 1) ** discount for sim, rank in zip(sims.tolist(), ranks)]
        return _Nearest(rows, sims, raw, ranks, weights), dense_top

    def _matches(self, near: _Nearest | None, keys: list[list[str]] | None = None) -> list[HoldingMatch]:
        if near is None:
            return []
        mem = self.memory
        if keys is None:
            keys = [mem.keys_of(row) for row in near.rows.tolist()]
        case_no_of, items = mem.case_no_of, mem.items
        return [
            HoldingMatch(row, sim, score, rank, weight, case_no_of(row), row_keys, items)
            for row, sim, score, rank, weight, row_keys in zip(
                near.rows.tolist(), near.sims.tolist(), near.raw.tolist(), near.ranks, near.weights, keys)
        ]

    # ---- votes -------------------------------------------------------------------------------------
    def _aggregate(self, holdings: list[HoldingMatch], laws: Iterable[str] | None) -> list[ArticleVote]:
        """Every voted article of ``holdings``, best first (their keys as strings: see :meth:`_tally`)."""
        return self._votes(self._table_of_holdings(holdings, laws), None, holdings)

    def _table_of_holdings(self, holdings: list[HoldingMatch], laws: Iterable[str] | None) -> _VoteTable | None:
        """The vote table of ``holdings`` from their keys as strings (memories written without key arrays)."""
        law_prefixes = _law_prefixes(laws) if laws else None
        key_ids: dict[str, int] = {}
        case_ids: dict[str, int] = {}
        pair_key: list[int] = []
        pair_holding: list[int] = []
        counts: list[int] = []
        for i, h in enumerate(holdings):
            counts.append(len(h.keys))
            keys = h.keys if law_prefixes is None else [key for key in h.keys if key.startswith(law_prefixes)]
            for key in keys:
                pair_key.append(key_ids.setdefault(key, len(key_ids)))
                pair_holding.append(i)
        keys = list(key_ids)
        return self._tally(
            np.array(pair_key, dtype=np.int64), np.array(pair_holding, dtype=np.int64), counts,
            [h.weight for h in holdings], np.array([case_ids.setdefault(h.case_no, len(case_ids)) for h in holdings], dtype=np.int64),
            np.array([h.rank for h in holdings], dtype=np.float64), np.array([h.row for h in holdings], dtype=np.int64),
            keys, sort_ranks(keys))

    def _vote_table_of(self, near: _Nearest | None, laws: Iterable[str] | None
                       ) -> tuple[_VoteTable | None, list[HoldingMatch] | Callable[[], list[HoldingMatch]]]:
        """Votes of the nearest holdings read from the memory's key arrays (no strings per holding), and the
        holdings as :class:`HoldingMatch` es — from key arrays, a function that makes them when they are
        wanted (to explain a hit; see :class:`MemoryResult`). A memory without key arrays is read through
        :meth:`_table_of_holdings`."""
        if near is None:
            return None, []
        arrays = self.memory.vote_arrays()
        if arrays is None:
            holdings = self._matches(near)
            return self._table_of_holdings(holdings, laws), holdings
        rows = near.rows
        start, end = arrays.offsets[rows], arrays.offsets[rows + 1]
        counts = end - start
        flat = np.arange(int(counts.sum()), dtype=np.int64)
        pair_holding = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
        pair_key = arrays.ids[flat - np.repeat(np.cumsum(counts) - counts - start, counts)]
        vocab = arrays.vocab
        every_key = pair_key  # (before the law filter: a holding shows all the keys it cites)

        def holdings() -> list[HoldingMatch]:
            names = [vocab[i] for i in every_key.tolist()]
            bounds = np.cumsum(counts).tolist()
            return self._matches(near, [names[a:b] for a, b in zip([0, *bounds[:-1]], bounds)])

        if laws:
            keep = arrays.law_mask(_law_prefixes(laws))[pair_key]
            pair_key, pair_holding = pair_key[keep], pair_holding[keep]
        table = self._tally(pair_key, pair_holding, counts.tolist(), near.weights, arrays.case_ids[rows],
                            np.asarray(near.ranks, dtype=np.float64), rows, vocab, arrays.vocab_rank)
        return table, holdings

    def _tally(self, pk: np.ndarray, ph: np.ndarray, counts: Sequence[int], weights: Sequence[float],
               case_of: np.ndarray, rank_of: np.ndarray, row_of: np.ndarray, keys: Sequence[str],
               key_rank: np.ndarray) -> _VoteTable | None:
        """Count the votes of (key id ``pk``, holding ``ph``) pairs; per holding its key count, weight,
        decision id, rank and row; ``key_rank`` orders key ids as their strings sort.

        * a holding citing *n* articles gives each ``weight / n**spread`` (n before any law filter: its
          evidence is divided by what it cites, not by what the caller wants to see);
        * one decision, one vote per article: per (key, decision) the largest contribution counts, the
          earliest holding on equal ones;
        * an article's vote adds its decisions' contributions largest first (then by rank);
        * support: the counted holdings by (rank, row), the first ``max_support``;
        * order: vote rounded to 12 digits desc, best supporting rank, key."""
        if not len(pk):
            return None
        spread = self.config.spread
        part = np.array([w / n**spread if n else 0.0 for w, n in zip(weights, counts)], dtype=np.float64)[ph]
        case, rank, row = case_of[ph], rank_of[ph], row_of[ph]
        o = np.lexsort((ph, -part, case, pk))
        pk, ph, part, case, rank, row = pk[o], ph[o], part[o], case[o], rank[o], row[o]
        first = _run_starts(pk, case)
        pk, ph, part, rank, row = pk[first], ph[first], part[first], rank[first], row[first]
        # key ids → 0..n-1 in id order (what np.unique(pk, return_inverse=True) gives): pk is sorted already
        new_key = _run_starts(pk)
        ids, local = pk[new_key], np.cumsum(new_key) - 1
        # the vote: contributions added in (-part, rank) order within each key (bincount adds in array order)
        o = np.lexsort((rank, -part, local))
        votes = np.bincount(local[o], weights=part[o], minlength=len(ids))
        o = np.lexsort((row, rank, local))  # support order
        local, ph, rank = local[o], ph[o], rank[o]
        starts = np.flatnonzero(_run_starts(local))  # one start per key, in key order
        position = np.arange(len(local)) - np.repeat(starts, np.diff(np.append(starts, len(local))))
        keep = position < self.config.max_support
        rounded = np.array([round(v, 12) for v in votes.tolist()], dtype=np.float64)
        order = np.lexsort((key_rank[ids], rank[starts], -rounded))
        return _VoteTable(order, [keys[i] for i in ids.tolist()], votes, local[keep], ph[keep])

    def _votes(self, table: _VoteTable | None, k: int | None, holdings: list[HoldingMatch],
               shares: Sequence[float] | None = None, scores: Sequence[float] | None = None) -> list[ArticleVote]:
        """ArticleVotes of the first ``k`` articles of ``table`` (all when None), supported by ``holdings``
        (the table's holding indices); share and score as given (0 when not)."""
        if table is None:
            return []
        order = table.order if k is None else table.order[:k]
        wanted = np.zeros(len(table.keys), dtype=bool)
        wanted[order] = True
        sel = wanted[table.support_key]
        support: dict[int, list[HoldingMatch]] = {}
        for key, h in zip(table.support_key[sel].tolist(), table.support_holding[sel].tolist()):
            support.setdefault(key, []).append(holdings[h])
        keys = table.keys
        votes = [ArticleVote(keys[i], 0.0, v, support[i]) for i, v in zip(order.tolist(), table.votes[order].tolist())]
        if shares is not None:
            for vote, share, score in zip(votes, shares, scores):
                vote.share, vote.score = share, score
        return votes

    def _coverage(self, tokens: list[str], best_row: int | None) -> float:
        """idf-weighted share of the query's distinct tokens that the best holding (row ``best_row``) contains."""
        if not tokens or best_row is None:
            return 0.0
        # The distinct tokens in the query's order, so that both sums are added in an order of the query's own
        # and not of Python's per-process string hashing (a set's order): the same score in every process.
        query = list(dict.fromkeys(tokens))
        idf = self.memory.idf
        total = sum(idf(t) for t in query)
        shared = self.memory.shared_tokens(best_row, set(query))  # (without making the row's token strings)
        return sum(idf(t) for t in query if t in shared) / total if total > 0 else 0.0


#: The name before "retriever" came to mean one thing (a plug-in of :mod:`legalret.search.retrievers`);
#: kept for callers of the old name.
MemoryRetriever = MemoryVoter


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
    if not result.vote_count:
        return 0.0
    strength = match_strength(result, cfg)
    gate = 1.0 / (1.0 + math.exp(-cfg.slope * (strength - cfg.midpoint)))
    return cfg.max_weight * gate * result.concentration**cfg.concentration_power
