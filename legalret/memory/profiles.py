"""Article profiles: each article as one document made of the holdings that cite it, ranked by BM25.

The memory's votes (:mod:`legalret.memory.retriever`) come from the holdings *nearest* the query: a word
counts only through the few holdings that resemble the query as a whole. A profile pools every stored
holding that cites an article into one bag of words — document expansion by citing text, the anchor-text
idea — so a word that goes with an article across many decisions counts even when no single holding
restates the query. The two disagree usefully: the learned re-ranker (:mod:`legalret.search.ranker`) reads
a candidate's profile rank and score beside its vote share.

Nothing is stored: the profiles are sums over the memory's own token and citation arrays, built on the
second unfiltered query into one (token × article) table of BM25 weights — an unfiltered query sums its
tokens' rows (~0.1 ms); the first pools only its own tokens' holdings (the same floats, ~10–80 ms; a few ms
where the memory keeps its term counts beside its BM25 matrix, as memories written since then do: a query
token's holdings are its column), so a one-query process, a cold ``legalret search``, never builds the table
nor imports scipy. The table, measured here: 0.3 s and +10 MB for the 33k holdings of 민법+상법, 1.2 s and
+40 MB for the 92k of every 법률+시행령. The same leakage rules as the votes hold: ``before``/``exclude``
(:meth:`~legalret.memory.store.PrecedentMemory.allowed_mask`) pool only the holdings allowed to vote —
exactly, per query, from the query tokens' columns of a (holding × token) count matrix (a few ms; built on
the first such query, for evaluation).

Usage::

    profiles = ArticleProfiles(PrecedentMemory.load("index/gen-000001/memory"))
    scores = profiles.scores(memory.tokenize("유치권자의 점유 상실"))           # one score per profiles.keys
    scores = profiles.scores(tokens, before="2021-03-04", exclude="2020다1234")  # honest evaluation
    profiles.ranking(tokens, 10)                                             # [(key, score)], best first
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Iterable

import numpy as np

from legalret.hardware import release_freed_memory
from legalret.memory.query import sort_ranks
from legalret.memory.store import PrecedentMemory

#: Tuned on held-out train-split holdings (recall@10 of the profiles alone): k1 0.8 / 1.2 / 2.0 with b
#: 0.3 / 0.5 / 0.75 / 0.9 → 2.0, 0.5 (0.799; the Lucene 1.2 / 0.75: 0.787).
@dataclass(frozen=True)
class ProfileConfig:
    """BM25 over article profiles."""

    k1: float = 2.0  # term-frequency saturation: a profile repeats a cited article's vocabulary many times
    b: float = 0.5  # length normalization: a profile's length grows with how often its article is cited


class ArticleProfiles:
    """BM25 scores of the articles a memory's holdings cite, each article's document being the tokens of
    all the holdings citing it (see module docstring). ``keys``: the articles, in score order of
    :meth:`scores`."""

    def __init__(self, memory: PrecedentMemory, config: ProfileConfig | None = None):
        self.memory = memory
        self.config = config or ProfileConfig()
        self._built = False
        self._lock = threading.RLock()  # a server's threads: one builds, the others wait for it
        #: unfiltered queries scored from their own tokens' holdings before the weight table is built (see
        #: :meth:`scores`): the first, so a one-query process (a cold ``legalret search``) never builds it
        self._direct_left = 1

    @property
    def keys(self) -> list[str]:
        """The articles the memory's holdings cite (the columns of :meth:`scores`)."""
        if not self._built:
            self._build()
        return self._keys

    # ---- the pooled arrays (built on first use) ---------------------------------------------------
    def _build(self) -> None:
        with self._lock:
            if not self._built:
                self._pool()

    def _pool(self) -> None:
        """What every query reads: the articles, each holding's cited articles (once each) and the profiles'
        lengths — numpy arrays, no sparse matrix (the weight table is :meth:`_table`)."""
        memory = self.memory
        n = len(memory)
        arrays = memory.vote_arrays()
        if arrays is not None:  # a loaded memory: its key arrays
            ids, offsets, keys = arrays.ids, arrays.offsets, list(arrays.vocab)
        else:  # items in memory: read their keys
            vocab: dict[str, int] = {}
            lists = [[vocab.setdefault(k, len(vocab)) for k in memory.keys_of(row)] for row in range(n)]
            ids = np.fromiter((i for row in lists for i in row), dtype=np.int64)
            offsets = np.concatenate([[0], np.cumsum([len(row) for row in lists])]).astype(np.int64)
            keys = list(vocab)
        self._keys = keys
        self.key_rank = sort_ranks(keys)  # ties between equal scores: by key, as Python sorts the keys
        # (holding, article) pairs, sorted, each once: a holding cites an article once, however often it lists it
        offsets = np.asarray(offsets, dtype=np.int64)
        holding = np.repeat(np.arange(n, dtype=np.int64), np.diff(offsets))
        self._cite_holding, self._cite_article = np.divmod(_distinct(holding * max(len(keys), 1) + ids), max(len(keys), 1))
        self._cite_offsets = np.searchsorted(self._cite_holding, np.arange(n + 1))
        store = memory.tokens
        self._lengths = np.diff(np.asarray(store.offsets, dtype=np.int64)).astype(np.float64)
        # every holding pooled: a profile's length (sums of whole numbers: exact in any order)
        self._all_lengths = np.bincount(self._cite_article, weights=self._lengths[self._cite_holding], minlength=len(keys))
        self._size = int(store.ids.max()) + 1 if len(store.ids) else 0  # token ids the holdings use
        self._cites = None  # holding × article (scipy), made for the table or a filtered query
        self._all_weights = None  # token × article BM25 weights, made by _table
        self._terms = None  # kept only once a filtered (evaluation) query needs it
        self._built = True

    def _cites_matrix(self):
        """Holding × article, 1 where the holding cites the article (scipy CSR)."""
        if self._cites is None:
            import scipy.sparse as sp  # (only for the table and filtered queries: ~0.2 s to import)

            ones = np.ones(len(self._cite_article))
            self._cites = sp.csr_matrix((ones, self._cite_article, self._cite_offsets), shape=(len(self.memory), len(self._keys)))
        return self._cites

    def _table(self):
        """Every holding pooled: the BM25 weight of each (token, article), so an unfiltered query sums rows."""
        if not self._built:
            self._build()
        if self._all_weights is None:
            with self._lock:
                if self._all_weights is None:
                    self._all_weights = self._weights((self._term_counts().T @ self._cites_matrix()).tocsr(), self._all_lengths)
                    release_freed_memory()  # the temporary (holding × token) matrices: not a server's resident memory
        return self._all_weights

    def _term_counts(self):
        """Holding × token counts, by column (a filtered query reads only its tokens' columns)."""
        import scipy.sparse as sp

        store = self.memory.tokens
        size = self._size
        index = np.int32 if len(store.ids) < 2**31 and size < 2**31 else np.int64  # (half the bytes of int64)
        terms = sp.csr_matrix((np.ones(len(store.ids), dtype=np.float32), np.asarray(store.ids, dtype=index),
                               np.asarray(store.offsets, dtype=index)), shape=(len(self.memory), size))
        terms.sum_duplicates()
        return terms.tocsc()

    def _weights(self, tf, lengths: np.ndarray):
        """BM25 weights of a (tokens × articles) count matrix whose profiles have ``lengths`` (see :meth:`_bm25`)."""
        import scipy.sparse as sp

        tf = tf.tocoo()
        keep = tf.data > 0
        row, col, count = tf.row[keep], tf.col[keep], tf.data[keep]
        return sp.csr_matrix((self._bm25(row, col, count, lengths, tf.shape[0]), (row, col)), shape=tf.shape)

    def _bm25(self, row: np.ndarray, col: np.ndarray, count: np.ndarray, lengths: np.ndarray, tokens: int) -> np.ndarray:
        """The BM25 weight of each (token ``row``, article ``col``) pooled ``count`` times: idf from the number of
        pooled profiles each token occurs in, saturation and length normalization per article."""
        pooled = lengths > 0
        articles, mean_length = int(pooled.sum()), float(lengths[pooled].mean()) if pooled.any() else 1.0
        k1, b = self.config.k1, self.config.b
        df = np.bincount(row, minlength=tokens)
        idf = np.log1p((articles - df + 0.5) / (df + 0.5))
        return idf[row] * count * (k1 + 1.0) / (count + k1 * (1.0 - b + b * lengths[col] / mean_length))

    def _token_ids(self, tokens: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """The query's known token ids (the memory's BM25 numbers terms as its token store) and their counts."""
        vocab = self.memory.bm25.vocab if self.memory.bm25 is not None else {}
        found = [i for i in (vocab.get(t) for t in tokens) if i is not None and i < self._size]
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        ids, counts = np.unique(np.asarray(found, dtype=np.int64), return_counts=True)
        return ids, counts.astype(np.float64)

    # ---- scoring ------------------------------------------------------------------------------------
    def scores(self, tokens: Iterable[str], *, before: date | str | None = None,
               exclude: str | Iterable[str] | None = None) -> np.ndarray:
        """BM25 score of every article in :attr:`keys` for the query ``tokens`` (the memory's tokenization),
        pooling only holdings decided before ``before`` and not of ``exclude``.

        An unfiltered query sums its tokens' rows of the weight table (:meth:`_table`); the first one, before
        the table exists, pools only its own tokens' holdings instead (:meth:`_token_scores`: the same
        numbers, without the ~0.3–1 s table build and the scipy import a one-query process would pay)."""
        size = len(self.keys)
        ids, counts = self._token_ids(tokens)
        if not len(ids):
            return np.zeros(size)
        allowed = self.memory.allowed_mask(before, exclude)
        if allowed is None:
            if self._all_weights is None and self._direct_left > 0:
                self._direct_left -= 1
                return self._token_scores(ids, counts)
            table = self._table()  # (its rows added as the sparse product adds them, without scipy's row slicing)
            return _add_rows(table.indptr, table.indices, table.data, ids, counts, size)
        else:  # the query tokens' counts among the allowed holdings only, and the profiles' lengths so pooled
            import scipy.sparse as sp

            if self._terms is None:
                with self._lock:
                    if self._terms is None:
                        self._terms = self._term_counts()
            keep = allowed.astype(np.float64)
            cites = self._cites_matrix()
            tf = (self._terms[:, ids].T @ sp.diags(keep) @ cites).tocsr()
            weights = self._weights(tf, cites.T @ (self._lengths * keep))
        return np.asarray(weights.T @ counts, dtype=np.float64).reshape(size)

    def _token_scores(self, ids: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """:meth:`scores` of an unfiltered query from its tokens' holdings alone: their counts pooled per
        article, weighted as the table weighs them and added token by token in ``ids`` order, as the table's
        ``weights.T @ counts`` adds them (so the floats are the same, bit for bit)."""
        size = len(self._keys)
        token, holding, times = self._postings(ids)  # each (query token, holding) once, with its count
        start = self._cite_offsets[holding]
        per = self._cite_offsets[holding + 1] - start
        pairs = np.repeat(np.arange(len(holding)), per)
        article = self._cite_article[np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per - start, per)]
        cell, where = np.unique(token[pairs] * size + article, return_inverse=True)
        tf = np.bincount(where.reshape(-1), weights=times[pairs].astype(np.float64), minlength=len(cell))
        row, col = np.divmod(cell, size)  # sorted by token, then article
        weight = self._bm25(row, col, tf, self._all_lengths, len(ids))
        return _add_rows(np.searchsorted(row, np.arange(len(ids) + 1)), col, weight, np.arange(len(ids)), counts, size)

    def _postings(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The holdings each of the (sorted, distinct) token ``ids`` occurs in: ``(position in ids, holding,
        count)`` per pair, sorted by position then holding. Read from the BM25 matrix's columns when the memory
        keeps its term counts (written since they were added: a few thousand entries per query), else found
        by scanning every holding's tokens (~0.1 s on the all-law memory)."""
        memory = self.memory
        bm25 = memory.bm25
        if bm25 is not None and bm25.counts is not None:
            starts = np.asarray(bm25.indptr[ids], dtype=np.int64)
            per = np.asarray(bm25.indptr[ids + 1], dtype=np.int64) - starts
            at = np.arange(int(per.sum()), dtype=np.int64) - np.repeat(np.cumsum(per) - per - starts, per)
            token = np.repeat(np.arange(len(ids), dtype=np.int64), per)
            # (a column lists its holdings in order: bm25s' CSC layout)
            return token, np.asarray(bm25.indices[at], dtype=np.int64), np.asarray(bm25.counts[at], dtype=np.int64)
        store, n = memory.tokens, len(memory)
        flat = np.asarray(store.ids)
        at = np.flatnonzero(np.isin(flat, ids))
        holding = np.searchsorted(np.asarray(store.offsets, dtype=np.int64), at, side="right") - 1
        pair, times = np.unique(np.searchsorted(ids, flat[at]) * n + holding, return_counts=True)
        token, holding = np.divmod(pair, n)
        return token, holding, times

    def order(self, scores: np.ndarray, live: np.ndarray | None = None) -> np.ndarray:
        """Positions of the articles with a positive score (and ``live``, a mask over :attr:`keys`), best
        first; equal scores by key."""
        candidates = np.flatnonzero(scores > 0 if live is None else (scores > 0) & live)
        return candidates[np.lexsort((self.key_rank[candidates], -scores[candidates]))]

    def ranks(self, scores: np.ndarray, positions: np.ndarray, live: np.ndarray | None = None) -> np.ndarray:
        """The 1-based place in :meth:`order` of each of ``positions`` (0: not ordered — no positive score, or
        not ``live``), without ordering every article: a search needs the places of ~100 candidates only."""
        ordered = scores > 0 if live is None else (scores > 0) & live
        ranked = np.sort(scores[ordered])
        mine = scores[positions]
        after = np.searchsorted(ranked, mine, side="right")
        place = len(ranked) - after + 1  # 1 + how many score higher
        for j in np.flatnonzero(after - np.searchsorted(ranked, mine, side="left") > 1):  # equal scores: by key
            same = np.flatnonzero(ordered & (scores == mine[j]))
            place[j] += int((self.key_rank[same] < self.key_rank[positions[j]]).sum())
        return np.where(ordered[positions], place, 0)

    def ranking(self, tokens: Iterable[str], k: int = 10, **filters) -> list[tuple[str, float]]:
        """The ``k`` best articles with a positive score, best first (ties by key)."""
        scores = self.scores(tokens, **filters)
        return [(self.keys[i], float(scores[i])) for i in self.order(scores)[:k].tolist()]


def _distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` (sorted, each once) by one sort: numpy 2.4's ``unique`` hashes first, ~10x slower on
    the ~170k (holding, article) pairs of the all-law memory (0.1 s of a cold search)."""
    values = np.sort(values)
    keep = np.empty(len(values), dtype=bool)
    keep[:1] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _add_rows(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, rows: np.ndarray, counts: np.ndarray,
              size: int) -> np.ndarray:
    """``Σ_j counts[j] · row rows[j]`` of a CSR (token × article) table, dense over ``size`` articles: each row's
    products added in ``rows`` order, one ``y += w · c`` per entry — what scipy's ``table[rows].T @ counts``
    (``csc_matvec``) computes, float for float (a row holds each article once)."""
    out = np.zeros(size)
    for j, r in enumerate(rows.tolist()):
        a, z = int(indptr[r]), int(indptr[r + 1])
        out[indices[a:z]] += data[a:z] * counts[j]
    return out
