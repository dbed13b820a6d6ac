"""Dense retrieval: FAISS inner product over L2-normalized passage embeddings.

The encoder (``legalret.models.encoder.Encoder``) adds its own query/passage prompts and returns normalized
float32 vectors, so inner product is cosine similarity. The vectors live in a FAISS ``IndexFlatIP`` (exact, no
training). Scanning all of them is what a small index does (민법+상법, 2k rows: 0.3 ms), but on the full
corpus (132k rows, 200 MB) one exact scan takes ~19 ms on this machine — memory-bound, more than the whole
query budget. From :data:`PARTITION_MIN_ROWS` rows on, the index therefore also keeps :class:`Partitions`:
k-means cells over the vectors (IVF); a query scores the cell centroids, then exactly scores only the rows
of its :data:`DEFAULT_NPROBE` nearest cells. Scores stay exact cosines; what can be lost is a relevant row in
an unprobed cell (measured against the exact scan in ``experiments/dense_partitions.py``). Updates reuse
the trained centroids and only re-assign rows, so ``index add`` pays no k-means.

Row ``i`` of the FAISS index is row ``i`` of the index's row table (see :mod:`legalret.index.store`), which
also records each row's text hash: :class:`EmbeddingCache` uses (encoder fingerprint, text hash) to reuse
vectors, so ``index add`` encodes only new or changed articles.

Usage::

    from legalret.index.dense import DenseIndex, text_hash

    dense = DenseIndex.from_vectors(encoder.encode_passages(texts))
    rows, scores = dense.top(encoder.encode_queries(["유치권 간접점유"])[0], k=10)
    dense.save("dense.faiss"); dense = DenseIndex.load("dense.faiss")   # + dense.partitions.npz if partitioned
"""

from __future__ import annotations

import errno
import hashlib
import os
import struct
import sys
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from legalret.index.bm25 import top_k

#: Indexes with at least this many rows get :class:`Partitions` (an exact scan of 50k × 384 takes ~7 ms).
PARTITION_MIN_ROWS = 50_000
#: Cells probed per query; on the full corpus with ~1,450 cells this scans ~3 % of the rows.
DEFAULT_NPROBE = 48
#: Centroids are re-trained when the index has grown or shrunk beyond this factor since they were trained.
RETRAIN_FACTOR = 2.0


def partitions_path(path: str | Path) -> Path:
    """Where the partitions of the FAISS file ``path`` are kept (``dense.faiss`` → ``dense.partitions.npz``)."""
    path = Path(path)
    return path.with_name(path.stem + ".partitions.npz")


class Partitions:
    """Inverted lists over the rows: k-means centroids and, per cell, its rows (CSR: ``order``/``offsets``).

    Usage::

        parts = Partitions.train(vectors)                  # k-means (FAISS), ~4·√n cells, then assign
        parts = Partitions.assign(old.centroids, vectors, trained_rows=old.trained_rows)   # reuse cells
        rows = parts.candidates(query_vector, nprobe=48)   # rows to score exactly
    """

    def __init__(self, centroids: np.ndarray, order: np.ndarray, offsets: np.ndarray, trained_rows: int):
        self.centroids = np.ascontiguousarray(centroids, dtype=np.float32)
        self.order, self.offsets = order, offsets
        self.trained_rows = int(trained_rows)

    @property
    def nlist(self) -> int:
        return int(self.centroids.shape[0])

    @staticmethod
    def default_nlist(n: int) -> int:
        return max(1, int(round(4 * np.sqrt(n))))

    @classmethod
    def train(cls, vectors: np.ndarray, nlist: int | None = None, seed: int = 0) -> "Partitions":
        import faiss

        n, d = vectors.shape
        nlist = min(nlist or cls.default_nlist(n), n)
        # spherical: centroids renormalised, as the vectors are (cells by cosine, not by length)
        kmeans = faiss.Kmeans(d, nlist, niter=20, seed=seed, spherical=True, max_points_per_centroid=64, verbose=False)
        kmeans.train(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls.assign(kmeans.centroids, vectors, trained_rows=n)

    @classmethod
    def assign(cls, centroids: np.ndarray, vectors: np.ndarray, trained_rows: int) -> "Partitions":
        import faiss

        quantizer = faiss.IndexFlatIP(int(centroids.shape[1]))
        quantizer.add(np.ascontiguousarray(centroids, dtype=np.float32))
        _, cell = quantizer.search(np.ascontiguousarray(vectors, dtype=np.float32), 1)
        cell = cell[:, 0]
        order = np.argsort(cell, kind="stable").astype(np.int64)
        counts = np.bincount(cell, minlength=len(centroids))
        offsets = np.zeros(len(centroids) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return cls(centroids, order, offsets, trained_rows)

    def candidates(self, query_vector: np.ndarray, nprobe: int) -> np.ndarray:
        """Rows in the ``nprobe`` cells whose centroids are nearest the query (unsorted)."""
        sims = dot(self.centroids, query_vector)
        nprobe = min(nprobe, self.nlist)
        cells = np.argpartition(-sims, nprobe - 1)[:nprobe] if nprobe < self.nlist else np.arange(self.nlist)
        return np.concatenate([self.order[self.offsets[c] : self.offsets[c + 1]] for c in cells])

    def save(self, path: str | Path) -> None:
        with open(path, "wb") as f:  # a file object: np.savez would append '.npz' to a temp name
            np.savez(f, centroids=self.centroids, order=self.order, offsets=self.offsets, trained_rows=self.trained_rows)

    @classmethod
    def load(cls, path: str | Path) -> "Partitions":
        with np.load(path) as z:
            return cls(z["centroids"], z["order"], z["offsets"], int(z["trained_rows"]))


def text_hash(text: str) -> str:
    """Stable identity of an encoded text (what the encoder saw, before its prompt)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class DenseIndex:
    """A ``faiss.IndexFlatIP`` with numpy access to its vectors (for filtered search and vector reuse),
    plus :class:`Partitions` on large indexes (see the module docstring)."""

    def __init__(self, index, partitions: Partitions | None = None, nprobe: int = DEFAULT_NPROBE, *,
                 vectors: np.ndarray | None = None):
        """A FAISS ``index``, or (``index`` None) its ``vectors`` as read from its file (:meth:`load`): the FAISS
        index is then made from them only when something needs it (:attr:`index`: saving)."""
        self._index = index
        self.partitions = partitions
        self.nprobe = nprobe
        if index is None:
            self.dim: int = int(vectors.shape[1])
            vectors.flags.writeable = False  # nothing may change an index's vectors (FAISS's, once made)
            self.vectors = vectors
            return
        import faiss

        self.dim = int(index.d)
        n = int(index.ntotal)
        # A zero-copy view of the stored vectors: filtered search and the embedding cache read it directly.
        if n:
            self.vectors = _view(index, faiss.rev_swig_ptr(index.get_xb(), n * self.dim).reshape(n, self.dim))
        else:
            self.vectors = np.zeros((0, self.dim), dtype=np.float32)

    @property
    def index(self):
        """The ``faiss.IndexFlatIP`` (made from :attr:`vectors` on first use when they were read from a file)."""
        if self._index is None:
            import faiss

            index = faiss.IndexFlatIP(self.dim)
            if len(self.vectors):
                index.add(np.ascontiguousarray(self.vectors, dtype=np.float32))
            self._index = index
        return self._index

    @classmethod
    def from_vectors(
        cls,
        vectors: np.ndarray,
        dim: int | None = None,
        *,
        previous: "DenseIndex | None" = None,
        partition_min_rows: int = PARTITION_MIN_ROWS,
    ) -> "DenseIndex":
        """An index over ``vectors``; partitioned from ``partition_min_rows`` rows on, reusing the centroids
        of ``previous`` (an earlier generation) while the row count stays within :data:`RETRAIN_FACTOR`."""
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        d = int(vectors.shape[1]) if vectors.ndim == 2 and vectors.shape[0] else int(dim or 0)
        if d <= 0:
            raise ValueError("cannot infer the embedding dimension of an empty index; pass dim=")
        index = faiss.IndexFlatIP(d)
        if len(vectors):
            index.add(vectors)
        partitions = None
        n = len(vectors)
        if n >= partition_min_rows:
            old = previous.partitions if previous is not None and previous.dim == d else None
            if old is not None and 1 / RETRAIN_FACTOR <= n / max(old.trained_rows, 1) <= RETRAIN_FACTOR:
                partitions = Partitions.assign(old.centroids, vectors, trained_rows=old.trained_rows)
            else:
                partitions = Partitions.train(vectors)
        return cls(index, partitions)

    def __len__(self) -> int:
        return len(self.vectors)

    def save(self, path: str | Path) -> None:
        import faiss

        try:
            faiss.write_index(self.index, str(path))
        except RuntimeError as e:  # faiss says "No space left on device" in its own exception (a traceback): an
            # OSError here, which the generation writer turns into its one line, the previous generation kept
            raise OSError(errno.EIO, str(e).strip().splitlines()[-1], str(path)) from e
        if self.partitions is not None:
            self.partitions.save(partitions_path(path))

    @classmethod
    def load(cls, path: str | Path) -> "DenseIndex":
        """Open a saved index. The vectors of an ``IndexFlatIP`` file (what :meth:`save` writes) are read straight
        into a numpy array — no FAISS import, no ``read_index`` (together ~0.35 s of a cold search on the
        all-law index's 200 MB); any other FAISS file is read by FAISS."""
        parts = partitions_path(path)
        partitions = Partitions.load(parts) if parts.is_file() else None
        vectors = _read_flat_ip(Path(path))
        if vectors is not None:
            return cls(None, partitions, vectors=vectors)
        import faiss

        # Read, not memory-mapped (IO_FLAG_MMAP_IFC): the vectors sit at an odd offset in the file, and numpy's
        # unaligned paths made the probed-cell gather ~10x slower than the 0.15 s the mapping saves.
        return cls(faiss.read_index(str(path)), partitions)

    # ---- search --------------------------------------------------------------------------------
    def scores(self, query_vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of every row to one normalized query vector."""
        return dot(self.vectors, np.asarray(query_vector, dtype=np.float32).reshape(-1))

    def top(self, query_vector: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, scores)`` of the ``k`` nearest rows, best first (ties: lower row); ``mask`` restricts candidates.

        Partitioned: the rows of the probed cells (those ``mask`` allows); when fewer than ``k`` remain
        (a narrow filter), every allowed row. Otherwise every row."""
        if len(self) == 0 or k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        q = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        rows = None
        if self.partitions is not None:
            rows = self.partitions.candidates(q, self.nprobe)
            if mask is not None:
                rows = rows[mask[rows]]
            if len(rows) < k:
                rows = None
        if rows is None:
            if mask is None:
                return top_k(self.scores(q), k)
            rows = np.flatnonzero(mask)
        rows = np.sort(rows)  # so that top_k's ties by position are ties by row
        best, scores = top_k(dot(np.take(self.vectors, rows, axis=0), q), k)
        return rows[best], scores


#: The head of a ``faiss.write_index`` file of an ``IndexFlatIP`` (little-endian, packed): fourcc, d, ntotal, two
#: unused 64-bit fields, is_trained, metric type (0: inner product), then the vectors' float count and floats.
_FLAT_IP_HEAD = struct.Struct("<4siqqq?iq")


def _read_flat_ip(path: Path) -> np.ndarray | None:
    """The ``(ntotal, d)`` float32 vectors of an ``IndexFlatIP`` file, read with one ``np.fromfile`` (the FAISS
    layout checked field by field and against the file size); None for anything else (FAISS reads it)."""
    with open(path, "rb") as f:
        head = f.read(_FLAT_IP_HEAD.size)
        size = os.fstat(f.fileno()).st_size
    if len(head) != _FLAT_IP_HEAD.size or sys.byteorder != "little":
        return None
    fourcc, d, n, _, _, trained, metric, floats = _FLAT_IP_HEAD.unpack(head)
    if fourcc != b"IxFI" or metric != 0 or not trained or d <= 0 or n < 0 or floats != n * d or (
            size != _FLAT_IP_HEAD.size + 4 * n * d):
        return None
    vectors = np.fromfile(path, dtype="<f4", count=n * d, offset=_FLAT_IP_HEAD.size)
    return vectors.reshape(n, d)


class _Owned:
    """What :func:`_view` hands numpy: the FAISS index (so it lives as long as any view of its memory) and
    that memory's description (``__array_interface__``)."""

    def __init__(self, owner, array: np.ndarray):
        self.owner, self.__array_interface__ = owner, array.__array_interface__


def _view(owner, array: np.ndarray) -> np.ndarray:
    """``array`` (a view of ``owner``'s memory, from ``faiss.rev_swig_ptr``) as an array that keeps ``owner``
    alive: a bare view outlived the index it points into (``DenseIndex.load(p).vectors`` read freed memory)."""
    view = np.asarray(_Owned(owner, array))
    view.flags.writeable = False  # nothing may change an index's vectors behind FAISS's back
    return view


def dot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` on the calling thread.

    Not BLAS on purpose: a multi-threaded BLAS call leaves its worker threads spin-waiting for the next
    job, and on a 2-core machine they steal the cores that the query encoder needs next — measured on the
    full index, hybrid p50 went from 22 to 59 ms. numpy's einsum loop is single-threaded and as fast here
    (132k × 384 in ~10 ms; a probed-cell scan in well under 1 ms)."""
    return np.einsum("ij,j->i", matrix, vector)


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

    def add(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Add vectors (e.g. those a killed build spilled: :class:`VectorSpill`)."""
        new = [(h, i) for i, h in enumerate(hashes) if h not in self._row_of]
        if not new:
            return
        base = len(self._matrix)
        self._matrix = np.vstack([self._matrix, np.asarray(vectors, dtype=np.float32)[[i for _, i in new]]])
        self._row_of.update({h: base + j for j, (h, _) in enumerate(new)})


class VectorSpill:
    """Passage vectors saved chunk by chunk while a build encodes, so that a killed build keeps its
    encoding work: the next build with the same encoder reads them back (by text hash) and encodes only
    the rest. Lives in ``<index>/.vector-spill/<fingerprint digest>/``; cleared when a build succeeds.

    >>> import tempfile; spill = VectorSpill(tempfile.mkdtemp(), "enc@1", dim=2)
    >>> spill.put(["h1"], np.ones((1, 2), np.float32)); spill.load()[0]
    ['h1']
    """

    DIR = ".vector-spill"

    def __init__(self, index_dir: str | Path, fingerprint: str, dim: int):
        import hashlib

        digest = hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()[:16]
        self.path = Path(index_dir) / self.DIR / digest
        self.dim = dim
        self._n = 0

    def put(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        from legalret.atomic import atomic_path

        self._n += 1
        target = self.path / f"chunk-{os.getpid()}-{self._n:06d}.npz"
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            with atomic_path(target, suffix=".npz") as tmp:  # a kill mid-write leaves no half chunk
                np.savez(tmp, hashes=np.asarray(list(hashes)), vectors=np.asarray(vectors, dtype=np.float32))
        except OSError:
            pass  # only a cache: a full disk must not stop the build here (the generation write will say so)

    def load(self) -> tuple[list[str], np.ndarray]:
        """Every spilled (hash, vector); unreadable chunks are skipped (it is only a cache)."""
        hashes: list[str] = []
        vectors = [np.zeros((0, self.dim), dtype=np.float32)]
        for chunk in sorted(self.path.glob("chunk-*.npz")) if self.path.is_dir() else []:
            try:
                with np.load(chunk) as z:
                    h, v = [str(x) for x in z["hashes"]], np.asarray(z["vectors"], dtype=np.float32)
            except (OSError, ValueError, KeyError):
                continue
            if v.shape == (len(h), self.dim):
                hashes += h
                vectors.append(v)
        return hashes, np.vstack(vectors)

    def clear(self) -> None:
        import shutil

        shutil.rmtree(self.path.parent, ignore_errors=True)


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
