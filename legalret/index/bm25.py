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
from typing import Callable, Mapping, Sequence

import numpy as np

from legalret.index.sorted_vocab import SortedVocab


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


#: bm25s' file names: an index saved here loads with ``bm25s.BM25.load`` and vice versa.
DATA, INDICES, INDPTR = "data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy"
VOCAB, PARAMS = "vocab.index.json", "params.index.json"
#: Written beside bm25s' files: the vocabulary as sorted bytes, read without a parse (:mod:`legalret.index.sorted_vocab`).
SORTED_VOCAB = "vocab.sorted.npz"
#: Written when the engine keeps its term frequencies (``build(counts=True)``): aligned with the scores.
COUNTS = "counts.csc.index.npy"


class BM25Engine:
    """bm25s' precomputed score matrix (CSC: one column of document scores per vocabulary term) plus the
    row-level helpers the searcher needs.

    The arrays are held and scored here with numpy, exactly as bm25s does (the same ``np.add.at`` per query
    term, so the same float32 sums), and saved / loaded in bm25s' own file format — without importing bm25s,
    whose import (scipy.sparse, tqdm, numpy.f2py) cost ~0.3 s of every searcher start. ``model`` still gives
    a real ``bm25s.BM25`` over the same arrays for references and benchmarks.
    """

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, num_docs: int,
                 vocab: Mapping[str, int], params: BM25Params, counts: np.ndarray | None = None):
        self.data, self.indices, self.indptr = data, indices, indptr
        self.num_docs = int(num_docs)
        self.vocab = vocab
        self.params = params
        #: optional: the term frequency behind each score of ``data`` (same CSC positions) — the postings a
        #: precedent memory's article profiles pool (:mod:`legalret.memory.profiles`); None when not kept
        self.counts = counts
        self._model = None

    @classmethod
    def _from_bm25s(cls, model, params: BM25Params) -> "BM25Engine":
        s = model.scores
        engine = cls(s["data"], s["indices"], s["indptr"], s["num_docs"], model.vocab_dict, params)
        engine._model = model
        return engine

    @property
    def model(self):
        """The same index as a ``bm25s.BM25`` (imports bm25s; for references and benchmarks only)."""
        if self._model is None:
            import bm25s

            _quiet_bm25s()
            model = bm25s.BM25(k1=self.params.k1, b=self.params.b, method=self.params.method)
            model.scores = {"data": self.data, "indices": self.indices, "indptr": self.indptr, "num_docs": self.num_docs}
            vocab = self.vocab.as_dict() if isinstance(self.vocab, SortedVocab) else self.vocab
            # bm25s wants a dict, and only reads it (its index() makes a new one): no copy of one we hold
            model.vocab_dict = vocab if isinstance(vocab, dict) else dict(vocab.items())
            model.unique_token_ids_set = set(model.vocab_dict.values())
            model.nonoccurrence_array = None
            self._model = model
        return self._model

    @property
    def df(self) -> np.ndarray:
        """Document frequency of every vocabulary term (the length of its score column)."""
        return np.diff(np.asarray(self.indptr, dtype=np.int64))

    def document_frequency(self, term: str) -> int:
        """How many documents hold ``term`` (0 when none does); one term's :attr:`df` without the whole array."""
        i = self.vocab.get(term)
        return 0 if i is None else int(self.indptr[i + 1]) - int(self.indptr[i])

    # ---- building and persistence --------------------------------------------------------------
    @classmethod
    def build(cls, token_lists: Sequence[list[str]] | "TokenStore", params: BM25Params | None = None, *,
              counts: bool = False) -> "BM25Engine":
        """Index token lists (or a :class:`TokenStore`). The score matrix is computed with vectorized numpy
        (bm25s' own builder counts terms in a Python loop per document, minutes on 141k articles); the
        result holds exactly the scores bm25s would compute (tested). ``counts``: keep (and save) each
        score's term frequency too (:attr:`counts`)."""
        params = params or BM25Params()
        store = token_lists if isinstance(token_lists, TokenStore) else TokenStore.from_lists(token_lists)
        s = _score_matrix(store, params, np.dtype(np.float32), np.dtype(np.int32))  # bm25s' default dtypes
        vocab = {token: i for i, token in enumerate(store.vocab)}
        return cls(s["data"], s["indices"], s["indptr"], s["num_docs"], vocab, params, s["counts"] if counts else None)

    @classmethod
    def build_with_bm25s(cls, token_lists: Sequence[list[str]], params: BM25Params | None = None) -> "BM25Engine":
        """The same index built by bm25s' own ``BM25.index`` (reference for tests and benchmarks)."""
        import bm25s

        _quiet_bm25s()
        params = params or BM25Params()
        model = bm25s.BM25(k1=params.k1, b=params.b, method=params.method)
        model.index([list(t) for t in token_lists] or [[]], show_progress=False)
        return cls._from_bm25s(model, params)

    def save(self, directory: str | Path) -> None:
        """bm25s' layout: the three CSC arrays, ``vocab.index.json`` and ``params.index.json``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        np.save(d / DATA, np.asarray(self.data))
        np.save(d / INDICES, np.asarray(self.indices))
        np.save(d / INDPTR, np.asarray(self.indptr))
        if isinstance(self.vocab, SortedVocab):  # its terms come in id order: no dict of them, no re-listing
            terms = self.vocab.terms()
            vocab: Mapping[str, int] = dict(zip(terms, range(len(terms))))
        else:
            vocab = self.vocab
            terms = _terms_by_id(vocab)
        (d / VOCAB).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        SortedVocab.write(d / SORTED_VOCAB, terms)
        if self.counts is not None:
            np.save(d / COUNTS, np.asarray(self.counts))
        params = {"k1": self.params.k1, "b": self.params.b, "delta": 0.5, "method": self.params.method,
                  "idf_method": self.params.method, "dtype": str(np.asarray(self.data).dtype),
                  "int_dtype": str(np.asarray(self.indices).dtype), "num_docs": self.num_docs,
                  "version": _bm25s_version(), "backend": "numpy"}
        (d / PARAMS).write_text(json.dumps(params, indent=4), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path, params: BM25Params | None = None, *, mmap: bool = False,
             vocab: Sequence[str] | Callable[[], Sequence[str]] | None = None) -> "BM25Engine":
        """Open a saved index (``mmap``: the arrays stay on disk, paged in as queries touch them).

        The vocabulary is read from ``vocab.sorted.npz`` (:class:`~legalret.index.sorted_vocab.SortedVocab`:
        no term parsed until looked up) when the index has one — every index saved since it was added —, else
        from ``vocab``: the vocabulary of the :class:`TokenStore` the engine was built from (``build(store)``
        numbers terms in the store's order), or a function that returns it, to skip parsing
        ``vocab.index.json`` — a JSON object parses ~4× slower than the store's JSON list (0.10 s vs 0.025 s
        for a 72k-term precedent memory); else from ``vocab.index.json``."""
        d = Path(directory)
        stored = json.loads((d / PARAMS).read_text(encoding="utf-8"))
        if stored.get("method") not in _IDF:  # bm25l / bm25+ need bm25s' non-occurrence array: never written here
            raise ValueError(f"{d / PARAMS}: BM25 method must be one of {sorted(_IDF)}, not {stored.get('method')!r}")
        params = params or BM25Params(k1=stored["k1"], b=stored["b"], method=stored["method"])
        mode = "r" if mmap else None
        arrays = [np.load(d / name, mmap_mode=mode) for name in (DATA, INDICES, INDPTR)]
        counts = np.load(d / COUNTS, mmap_mode=mode) if (d / COUNTS).is_file() else None
        if counts is not None and counts.shape != arrays[0].shape:
            raise ValueError(f"{d / COUNTS}: {counts.shape[0]} term counts for {arrays[0].shape[0]} scores")
        terms: Mapping[str, int]
        if (d / SORTED_VOCAB).is_file():
            terms = SortedVocab.load(d / SORTED_VOCAB)
            if vocab is not None and not callable(vocab) and len(vocab) != len(terms):
                raise ValueError(f"{d}: the given vocabulary has {len(vocab)} terms, {SORTED_VOCAB} {len(terms)}")
        elif vocab is None:
            terms = json.loads((d / VOCAB).read_text(encoding="utf-8"))  # (bm25s' own may hold one more term)
        else:
            vocab = vocab() if callable(vocab) else vocab
            if len(vocab) != len(arrays[2]) - 1:
                raise ValueError(f"{d}: the given vocabulary has {len(vocab)} terms, the BM25 matrix {len(arrays[2]) - 1}")
            terms = dict(zip(vocab, range(len(vocab))))
        return cls(*arrays, stored["num_docs"], terms, params, counts)

    # ---- scoring -------------------------------------------------------------------------------
    def occurs(self, tokens: Sequence[str], mask: np.ndarray) -> list[str]:
        """The ``tokens`` some row of ``mask`` (bool per row: a law filter's) holds, in order: the coverage check of
        a filtered search (:func:`legalret.search.coverage.filtered_notes`)."""
        indptr, indices = np.asarray(self.indptr), np.asarray(self.indices)
        vocab = self.vocab
        return [t for t in tokens if t in vocab
                and bool(mask[indices[int(indptr[vocab[t]]) : int(indptr[vocab[t] + 1])]].any())]

    def token_ids(self, tokens: Sequence[str]) -> list[int]:
        """Vocabulary ids of the query tokens that occur in the corpus (unknown tokens score nothing)."""
        vocab = self.vocab
        return [vocab[t] for t in tokens if t in vocab]

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row for these query tokens (float32, length ``num_docs``)."""
        scores = np.zeros(self.num_docs, dtype=self.data.dtype)
        # plain ndarray views of memory-mapped arrays (a precedent memory's): slicing an np.memmap runs
        # Python code per slice (__array_finalize__), ~3 µs a slice, three slices per query term
        indptr, indices, data = np.asarray(self.indptr), np.asarray(self.indices), np.asarray(self.data)
        for i in self.token_ids(tokens):  # bm25s' _compute_relevance_from_scores: one add.at per query term
            start, end = int(indptr[i]), int(indptr[i + 1])
            np.add.at(scores, indices[start:end], data[start:end])
        return scores

    def top(self, tokens: Sequence[str], k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, scores)`` of the best ``k`` rows with a positive score, best first; ``mask`` (bool per row)
        restricts the candidates (law / kind filters, deleted articles)."""
        return top_k(self.scores(tokens), k, mask, positive_only=True)

    def idf(self, ids: np.ndarray) -> np.ndarray:
        """The IDF of vocabulary ids, as the score matrix was built with it (:attr:`params` ``method``)."""
        ids = np.asarray(ids, dtype=np.int64)
        indptr = np.asarray(self.indptr)
        df = (indptr[ids + 1] - indptr[ids]).astype(np.float64)
        with np.errstate(divide="ignore"):
            return _IDF[self.params.method](df, float(self.num_docs))

    def weighted_scores(self, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """BM25 score of every row for a weighted bag of vocabulary ids — each id's score column × its weight,
        summed (float64, length ``num_docs``): a query with feedback terms of its own weights (one ``bincount``
        over the ids' postings, not an ``add.at`` per id)."""
        indptr, indices, data = np.asarray(self.indptr), np.asarray(self.indices), np.asarray(self.data)
        spans = [(int(indptr[i]), int(indptr[i + 1])) for i in np.asarray(ids, dtype=np.int64).tolist()]
        if not spans:
            return np.zeros(self.num_docs)
        rows = np.concatenate([indices[a:b] for a, b in spans])
        values = np.concatenate([data[a:b] * np.float64(w) for (a, b), w in zip(spans, np.asarray(weights).tolist())])
        return np.bincount(rows, weights=values, minlength=self.num_docs)


def _terms_by_id(vocab: Mapping[str, int]) -> list[str]:
    """The terms of a term → id mapping in id order (ids 0 … n−1; a vocabulary built here is in id order)."""
    terms = list(vocab)
    if any(vocab[t] != i for i, t in enumerate(terms)):  # (bm25s' own vocabularies: any order)
        terms = [""] * len(vocab)
        for term, i in vocab.items():
            terms[i] = term
    return terms


def _bm25s_version() -> str:
    """Recorded in params.index.json as bm25s does (read from the installed metadata, no import)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bm25s")
    except PackageNotFoundError:
        return "unknown"


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
    counts = tf.astype(np.uint16 if not len(tf) or tf.max() < 2**16 else np.uint32)
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
        "counts": counts,
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

    def __init__(self, vocab: list[str] | None, ids: np.ndarray, offsets: np.ndarray, *, vocab_path: Path | None = None):
        self._vocab, self._vocab_path = vocab, vocab_path
        self.ids, self.offsets = ids, offsets

    @property
    def vocab(self) -> list[str]:
        """The token of every id (a loaded store parses its vocab.json only when a token string is needed)."""
        if self._vocab is None:
            self._vocab = json.loads(self._vocab_path.read_text(encoding="utf-8"))
        return self._vocab

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
        """Open a saved store: the id array is memory-mapped and the vocabulary parsed on first use, so opening
        costs nothing a search does not need (a searcher reads a row's tokens only to explain a hit)."""
        d = Path(directory)
        return cls(None, np.load(d / cls.IDS, mmap_mode="r"), np.load(d / cls.OFFSETS), vocab_path=d / cls.VOCAB)
