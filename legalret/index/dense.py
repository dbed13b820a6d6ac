"""Dense retrieval: FAISS exact inner product over L2-normalized passage embeddings.

The encoder (``legalret.models.encoder.Encoder``) adds its own query/passage prompts and returns normalized
float32 vectors, so inner product is cosine similarity. ``IndexFlatIP`` is exact and needs no training;
141k × 384 floats is ~210 MB and one query is a single matrix-vector product (a few ms on 2 cores).

Row ``i`` of the FAISS index is row ``i`` of the index's row table (see :mod:`legalret.index.store`), which
also records each row's text hash: :class:`EmbeddingCache` uses (encoder fingerprint, text hash) to reuse
vectors, so ``index add`` encodes only new or changed articles.

Usage::

    from legalret.index.dense import DenseIndex, text_hash

    dense = DenseIndex.from_vectors(encoder.encode_passages(texts))
    rows, scores = dense.top(encoder.encode_queries(["유치권 간접점유"])[0], k=10)
    dense.save("dense.faiss"); dense = DenseIndex.load("dense.faiss")
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from legalret.index.bm25 import top_k


def text_hash(text: str) -> str:
    """Stable identity of an encoded text (what the encoder saw, before its prompt)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class DenseIndex:
    """A ``faiss.IndexFlatIP`` with numpy access to its vectors (for filtered search and vector reuse)."""

    def __init__(self, index):
        import faiss

        self.index = index
        self.dim: int = int(index.d)
        n = int(index.ntotal)
        # A zero-copy view of the stored vectors: filtered search and the embedding cache read it directly.
        if n:
            self.vectors = faiss.rev_swig_ptr(index.get_xb(), n * self.dim).reshape(n, self.dim)
        else:
            self.vectors = np.zeros((0, self.dim), dtype=np.float32)

    @classmethod
    def from_vectors(cls, vectors: np.ndarray, dim: int | None = None) -> "DenseIndex":
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        d = int(vectors.shape[1]) if vectors.ndim == 2 and vectors.shape[0] else int(dim or 0)
        if d <= 0:
            raise ValueError("cannot infer the embedding dimension of an empty index; pass dim=")
        index = faiss.IndexFlatIP(d)
        if len(vectors):
            index.add(vectors)
        return cls(index)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def save(self, path: str | Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: str | Path) -> "DenseIndex":
        import faiss

        return cls(faiss.read_index(str(path)))

    # ---- search --------------------------------------------------------------------------------
    def scores(self, query_vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of every row to one normalized query vector."""
        return self.vectors @ np.asarray(query_vector, dtype=np.float32)

    def top(self, query_vector: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, scores)`` of the ``k`` nearest rows, best first; ``mask`` restricts candidates."""
        if len(self) == 0 or k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        if mask is None:
            q = np.ascontiguousarray(np.asarray(query_vector, dtype=np.float32).reshape(1, -1))
            scores, rows = self.index.search(q, min(k, len(self)))
            keep = rows[0] >= 0
            return rows[0][keep].astype(np.int64), scores[0][keep]
        return top_k(self.scores(query_vector), k, mask)

    def top_batch(self, query_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Unfiltered top-k for many queries at once: ``(rows[q, k], scores[q, k])`` (rows -1 = none)."""
        q = np.ascontiguousarray(np.asarray(query_vectors, dtype=np.float32))
        scores, rows = self.index.search(q, min(k, len(self)))
        return rows, scores


class EmbeddingCache:
    """Passage vectors keyed by text hash, valid for exactly one encoder fingerprint.

    Filled from an existing index (``from_index``) and used by :func:`encode_with_cache`, which encodes
    only the texts whose hash is not in the cache.
    """

    def __init__(self, fingerprint: str, dim: int):
        self.fingerprint, self.dim = fingerprint, dim
        self._matrix = np.zeros((0, dim), dtype=np.float32)
        self._row_of: dict[str, int] = {}

    @classmethod
    def from_index(cls, fingerprint: str, dense: DenseIndex, hashes: Sequence[str]) -> "EmbeddingCache":
        if len(hashes) != len(dense):
            raise ValueError(f"{len(hashes)} row hashes for {len(dense)} vectors")
        cache = cls(fingerprint, dense.dim)
        # A copy: the cache must outlive the FAISS index whose memory ``dense.vectors`` points into.
        cache._matrix = np.array(dense.vectors, dtype=np.float32, copy=True)
        cache._row_of = {h: row for row, h in enumerate(hashes)}
        return cache

    def __len__(self) -> int:
        return len(self._row_of)

    def get(self, h: str) -> np.ndarray | None:
        row = self._row_of.get(h)
        return None if row is None else self._matrix[row]


def encode_with_cache(
    texts: Sequence[str],
    hashes: Sequence[str],
    encode: Callable[[list[str]], np.ndarray],
    dim: int,
    cache: EmbeddingCache | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` (rows aligned), calling ``encode`` only on cache misses.

    Returns ``(vectors float32[n, dim], number_encoded)``. Identical texts in one call are encoded once.
    """
    out = np.zeros((len(texts), dim), dtype=np.float32)
    todo: dict[str, list[int]] = {}
    for i, h in enumerate(hashes):
        v = cache.get(h) if cache is not None else None
        if v is not None:
            out[i] = v
        else:
            todo.setdefault(h, []).append(i)
    if todo:
        first = [rows[0] for rows in todo.values()]
        vecs = np.asarray(encode([texts[i] for i in first]), dtype=np.float32)
        if vecs.shape != (len(first), dim):
            raise ValueError(f"encoder returned shape {vecs.shape}, expected ({len(first)}, {dim})")
        for vec, rows in zip(vecs, todo.values()):
            out[rows] = vec
    return out, len(todo)
