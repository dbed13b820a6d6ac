"""BM25 over Kiwi tokens, with `bm25s <https://github.com/xhluca/bm25s>`_ as the engine.

bm25s precomputes every (document, term) score into a sparse matrix, so a query costs one sparse column sum
— the fastest exact BM25 in Python. This module adds what the index needs around it:

* :class:`BM25Params` — the scoring variant (``lucene`` by default; ``robertson`` reproduces rank-bm25's
  ``BM25Okapi`` exactly on a corpus where no term is in more than half the documents);
* :class:`BM25Engine` — build / save / load (memory-mapped) / score / top-k with an optional row mask;
* :class:`TokenStore` — the token lists of every row, kept on disk so ``index add`` re-tokenizes only
  changed articles (the BM25 matrix itself is rebuilt from them in seconds).

Usage::

    from legalret.index.bm25 import BM25Engine
    from legalret.index.tokenize import KiwiTokenizer

    tok = KiwiTokenizer()
    engine = BM25Engine.build(tok.tokenize_many(texts))
    rows, scores = engine.top(tok.tokenize("유치권 간접점유"), k=10)
    engine.save("bm25/"); engine = BM25Engine.load("bm25/")
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class BM25Params:
    k1: float = 1.2
    b: float = 0.75
    method: str = "lucene"  # 'lucene' | 'robertson' | 'atire' (bm25s variants)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | None) -> "BM25Params":
        d = d or {}
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def _quiet_bm25s() -> None:
    # bm25s logs at INFO for empty queries; that is normal here (a query of only particles).
    logging.getLogger("bm25s").setLevel(logging.WARNING)


class BM25Engine:
    """A bm25s index plus the row-level helpers the searcher needs."""

    def __init__(self, model, params: BM25Params):
        self.model = model
        self.params = params
        self.vocab: dict[str, int] = model.vocab_dict
        self.num_docs: int = int(model.scores["num_docs"])

    # ---- building and persistence --------------------------------------------------------------
    @classmethod
    def build(cls, token_lists: Sequence[list[str]] | "TokenStore", params: BM25Params | None = None) -> "BM25Engine":
        """Index token lists (or a :class:`TokenStore`). The score matrix is computed with vectorized numpy
        (bm25s' own builder counts terms in a Python loop per document, minutes on 141k articles); the
        result is a regular ``bm25s.BM25`` with exactly the scores bm25s would compute (tested)."""
        import bm25s

        _quiet_bm25s()
        params = params or BM25Params()
        store = token_lists if isinstance(token_lists, TokenStore) else TokenStore.from_lists(token_lists)
        model = bm25s.BM25(k1=params.k1, b=params.b, method=params.method)
        model.scores = _score_matrix(store, params, np.dtype(model.dtype), np.dtype(model.int_dtype))
        model.vocab_dict = {token: i for i, token in enumerate(store.vocab)}
        model.unique_token_ids_set = set(model.vocab_dict.values())
        model.nonoccurrence_array = None
        return cls(model, params)

    @classmethod
    def build_with_bm25s(cls, token_lists: Sequence[list[str]], params: BM25Params | None = None) -> "BM25Engine":
        """The same index built by bm25s' own ``BM25.index`` (reference for tests and benchmarks)."""
        import bm25s

        _quiet_bm25s()
        params = params or BM25Params()
        model = bm25s.BM25(k1=params.k1, b=params.b, method=params.method)
        model.index([list(t) for t in token_lists] or [[]], show_progress=False)
        return cls(model, params)

    def save(self, directory: str | Path) -> None:
        self.model.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: str | Path, params: BM25Params | None = None, *, mmap: bool = False) -> "BM25Engine":
        import bm25s

        _quiet_bm25s()
        model = bm25s.BM25.load(str(directory), mmap=mmap, show_progress=False)
        params = params or BM25Params(k1=model.k1, b=model.b, method=model.method)
        return cls(model, params)

    # ---- scoring -------------------------------------------------------------------------------
    def token_ids(self, tokens: Sequence[str]) -> list[int]:
        """Vocabulary ids of the query tokens that occur in the corpus (unknown tokens score nothing)."""
        vocab = self.vocab
        return [vocab[t] for t in tokens if t in vocab]

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row for these query tokens (float32, length ``num_docs``)."""
        ids = self.token_ids(tokens)
        if not ids:
            return np.zeros(self.num_docs, dtype=np.float32)
        return self.model.get_scores_from_ids(ids)

    def top(self, tokens: Sequence[str], k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, scores)`` of the best ``k`` rows with a positive score, best first; ``mask`` (bool per row)
        restricts the candidates (law / kind filters, deleted articles)."""
        return top_k(self.scores(tokens), k, mask, positive_only=True)


_IDF = {
    # bm25s' IDF variants (legalret.index.bm25 supports the three non-shifted ones)
    "robertson": lambda df, n: np.log(np.maximum((n - df + 0.5) / (df + 0.5), 1.0)),
    "lucene": lambda df, n: np.log(1.0 + (n - df + 0.5) / (df + 0.5)),
    "atire": lambda df, n: np.log(n / df),
}


def _score_matrix(store: "TokenStore", params: BM25Params, dtype: np.dtype, int_dtype: np.dtype) -> dict:
    """bm25s' CSC score matrix (documents × vocabulary) from a token store, vectorized."""
    if params.method not in _IDF:
        raise ValueError(f"BM25 method must be one of {sorted(_IDF)}, not {params.method!r}")
    n_docs = max(len(store), 1)
    n_vocab = len(store.vocab)
    lengths = np.diff(store.offsets).astype(np.float64)
    if len(lengths) == 0:
        lengths = np.zeros(1)
    avgdl = float(lengths.mean()) if lengths.sum() > 0 else 1.0
    doc_of = np.repeat(np.arange(len(store), dtype=np.int64), np.diff(store.offsets))
    # one sort gives both the term frequencies and bm25s' CSC order (by term, then document)
    pairs = store.ids.astype(np.int64) * n_docs + doc_of
    uniq, tf = np.unique(pairs, return_counts=True)
    terms, docs = uniq // n_docs, uniq % n_docs
    df = np.bincount(terms, minlength=n_vocab).astype(np.float64)
    with np.errstate(divide="ignore"):
        idf = _IDF[params.method](df, float(n_docs))
    tf = tf.astype(np.float64)
    tfc = tf / (params.k1 * ((1 - params.b) + params.b * lengths[docs] / avgdl) + tf)
    if params.method == "atire":
        tfc *= params.k1 + 1
    scores = idf[terms] * tfc
    indptr = np.zeros(n_vocab + 1, dtype=np.int64)
    np.cumsum(np.bincount(terms, minlength=n_vocab), out=indptr[1:])
    return {
        "data": scores.astype(dtype),
        "indices": docs.astype(int_dtype),
        "indptr": indptr.astype(int_dtype) if indptr[-1] < np.iinfo(int_dtype).max else indptr,
        "num_docs": n_docs,
    }


def top_k(scores: np.ndarray, k: int, mask: np.ndarray | None = None, *, positive_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the ``k`` largest scores (best first, ties by lower index), honouring ``mask``."""
    if positive_only:
        # BM25: most rows score 0 — select among the matching rows only (132k → a few thousand)
        keep = scores > 0
        if mask is not None:
            keep &= mask
        candidates = np.flatnonzero(keep)
        rows, vals = top_k(scores[candidates], k)
        return candidates[rows], vals
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    n = scores.shape[0]
    k = min(k, n)
    if k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    if k < n:
        part = np.argpartition(-scores, k - 1)[:k]
    else:
        part = np.arange(n)
    # stable order: by score descending, then by row ascending (deterministic ties)
    order = np.lexsort((part, -scores[part]))
    rows = part[order]
    vals = scores[rows]
    keep = np.isfinite(vals)
    return rows[keep], vals[keep].astype(np.float32, copy=False)


class TokenStore:
    """Token lists of every row, as one vocabulary + a flat id array + offsets (compact, fast to load)."""

    VOCAB, IDS, OFFSETS = "vocab.json", "ids.npy", "offsets.npy"

    def __init__(self, vocab: list[str], ids: np.ndarray, offsets: np.ndarray):
        self.vocab, self.ids, self.offsets = vocab, ids, offsets

    @classmethod
    def from_lists(cls, token_lists: Sequence[Sequence[str]]) -> "TokenStore":
        index: dict[str, int] = {}
        flat: list[int] = []
        offsets = [0]
        for tokens in token_lists:
            for t in tokens:
                i = index.get(t)
                if i is None:
                    i = index[t] = len(index)
                flat.append(i)
            offsets.append(len(flat))
        return cls(list(index), np.asarray(flat, dtype=np.uint32), np.asarray(offsets, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def get(self, row: int) -> list[str]:
        vocab = self.vocab
        return [vocab[i] for i in self.ids[self.offsets[row] : self.offsets[row + 1]].tolist()]

    def subset(self, rows: Sequence[int]) -> "TokenStore":
        """The token lists of ``rows`` (same vocabulary; no string work)."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, ends = self.offsets[rows], self.offsets[rows + 1]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(ends - starts, out=offsets[1:])
        pieces = [self.ids[a:b] for a, b in zip(starts.tolist(), ends.tolist())]
        ids = np.concatenate(pieces).astype(np.uint32, copy=False) if pieces else np.zeros(0, dtype=np.uint32)
        return TokenStore(self.vocab, ids, offsets)

    def to_lists(self) -> list[list[str]]:
        return [self.get(r) for r in range(len(self))]

    def save(self, directory: str | Path) -> None:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        (d / self.VOCAB).write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        np.save(d / self.IDS, self.ids)
        np.save(d / self.OFFSETS, self.offsets)

    @classmethod
    def load(cls, directory: str | Path) -> "TokenStore":
        d = Path(directory)
        vocab = json.loads((d / cls.VOCAB).read_text(encoding="utf-8"))
        return cls(vocab, np.load(d / cls.IDS), np.load(d / cls.OFFSETS))
