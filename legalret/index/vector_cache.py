"""A passage vector cache: the vectors of passages already encoded, keyed by text hash, reused across builds.

After the tokenization cache (:mod:`legalret.index.token_cache`), encoding passages is what a later build
spends its time on: the main job's articles 45–150 s, all acts and decrees ~40 minutes on 2 cores. A rebuild
into the *same* index folder already reuses the vectors of unchanged texts (from the previous generation); a
build into a new folder, a second index of the same laws, and ``index add`` on another index did not — they
re-encoded every passage. Here every vector the build encodes is also kept on disk and read back by any later
build or ``index add`` on this machine that encodes the same text with the same encoder.

Validity: a cache directory holds vectors for exactly one **encoder fingerprint** (:func:`encoder_fingerprint`):
the encoder's own fingerprint (model spec and weights hash, a LoRA adapter's fingerprint, the passage-token
cut — :func:`~legalret.models.encoder.load_encoder` composes it, and indexes record it), what runs the model
(torch in bf16 or fp32 and on which kind of device — bf16 vectors differ from fp32 ones in the 4th digit —, or
an ONNX Runtime variant) with that library's version, the dimension and the normalisation. A query adapter
maps query vectors only, so passages encoded for indexes with and without one share the cache. The key of a
vector is the text hash (:func:`~legalret.index.dense.text_hash`) of the exact text given to
``encode_passages`` — the hash the index keeps for each row; the encoder cuts that text at the passage-token
limit itself, which is why the cut is in the fingerprint and not applied to the key.

Layout: ``$LEGALRET_HOME/cache/vectors/<fingerprint digest>/`` (``$LEGALRET_VECTOR_CACHE``: another folder, or
``off``) holding ``fingerprint.json`` and ``chunk-*.npz`` files, each one encoding batch's text hashes and
float32 vectors (1.5 KB a passage for a 384-dimensional encoder; float32 so that a vector read back is
bit-identical to the one the encoder gave). Chunks are written under a temporary name and renamed into place
(:class:`~legalret.index.token_cache.ChunkedCache`, shared with the token cache): a build killed mid-encoding
leaves whole chunks only, and the rerun reads back every batch that was finished; two processes writing at
once write distinct chunk names. A chunk that cannot be read — cut, overwritten (the zip's CRC), with the
wrong shape, or with a vector that is not a unit vector — is ignored with a warning, and those passages are
encoded again: the cache never supplies a vector it cannot vouch for.

Usage::

    from legalret.index.vector_cache import VectorCache

    cache = VectorCache.for_encoder(encoder)          # None when $LEGALRET_VECTOR_CACHE=off (or no fingerprint)
    vectors, found = cache.get_many(hashes)           # float32[n, dim], bool[n]
    cache.put_many(new_hashes, new_vectors)           # one chunk, atomically
    cache.size()                                      # {'path': …, 'chunks': 117, 'rows': 2263, 'bytes': …}

The same fingerprint keys the other reuse of vectors: an index records it (``manifest["encoder"]["passages"]``),
a rebuild into the same folder takes the previous generation's vectors only when it is equal
(:func:`same_vectors`), and ``index add`` refuses to add vectors of another runtime (precision or ONNX variant)
to an index (:mod:`legalret.index.build`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from legalret.index.token_cache import ChunkedCache, cache_folder

#: Bumped when the chunk format changes (part of the fingerprint, so old chunks are never misread).
FORMAT = 1
#: How far a cached vector's norm may be from 1 (the encoders return unit rows, re-normalised in float32).
NORM_TOLERANCE = 1e-3


def cache_root() -> Path | None:
    """Where vector caches live: ``$LEGALRET_VECTOR_CACHE`` (``off`` disables), else ``$LEGALRET_HOME/cache/vectors``."""
    from legalret.config import env_vector_cache

    return cache_folder(env_vector_cache(), "vectors")


def encoder_fingerprint(encoder: Any) -> dict | None:
    """Everything a passage vector depends on besides its text (None for an encoder without a fingerprint):
    the encoder's fingerprint (weights, LoRA adapter, passage-token cut), the runtime — ``onnx-<variant>`` for
    an :class:`~legalret.models.onnx.OnnxPassageEncoder`, else ``torch-<precision>`` on a device kind (with, for
    bf16 on a CPU, whether the CPU does bf16 natively — emulated kernels round differently —, and a GPU's name)
    — its library version, the dimension and the normalisation."""
    fingerprint = getattr(encoder, "fingerprint", None)
    if not fingerprint:
        return None
    variant = getattr(encoder, "variant", None)
    if variant is not None:  # an ONNX passage encoder (its precision is the torch base's, not what runs)
        import onnxruntime

        runtime, library, device = f"onnx-{variant}", f"onnxruntime {onnxruntime.__version__}", "cpu"
    else:
        import torch

        precision = getattr(encoder, "precision", None) or "unknown"
        runtime, library = f"torch-{precision}", f"torch {torch.__version__}"
        device = str(getattr(encoder, "device", "cpu")).split(":")[0]
        if device == "cpu" and precision == "bf16":
            from legalret.hardware import cpu_has_native_bf16

            device = "cpu-native-bf16" if cpu_has_native_bf16() else "cpu-emulated-bf16"
        elif device == "cuda":  # another GPU generation may pick other kernels
            device = f"cuda {torch.cuda.get_device_name()}"
    return {
        "format": FORMAT,
        "encoder": str(fingerprint),
        "passage_max_tokens": getattr(encoder, "passage_max_tokens", None),  # in the fingerprint too; readable here
        "runtime": runtime,
        "library": library,
        "device": device,
        "dim": int(encoder.dim),
        "normalization": "l2, float32",
    }


def recorded_fingerprint(info: dict | None) -> dict | None:
    """The passage fingerprint an index's manifest records (its ``encoder`` section's ``passages``: what
    :func:`encoder_fingerprint` said when the index was built), None for an index without vectors.

    An index written before the record was kept is taken to be what builds made by default then — torch at the
    recorded precision (ONNX passages were opt-in) — marked ``inferred``: :func:`same_vectors` then compares
    only what it names (encoder fingerprint, runtime, dimension)."""
    if not info:
        return None
    if info.get("passages"):
        return dict(info["passages"])
    if not info.get("precision"):
        return None
    return {"encoder": str(info["fingerprint"]), "runtime": f"torch-{info['precision']}", "dim": int(info["dim"]),
            "inferred": True}


def same_vectors(recorded: dict | None, current: dict | None) -> bool:
    """True when vectors made under the ``recorded`` fingerprint are what ``current`` makes (every field equal;
    an ``inferred`` record: the fields it names)."""
    if recorded is None or current is None:
        return False
    keys = recorded.keys() - {"inferred"} if recorded.get("inferred") else recorded.keys() | current.keys()
    return all(recorded.get(k) == current.get(k) for k in keys)


class VectorCache(ChunkedCache):
    """Passage vectors by text hash for one encoder fingerprint, in ``root/<digest>/`` (see the module docstring)."""

    what = "vector"

    def __init__(self, root, fingerprint: dict):
        super().__init__(root, fingerprint)
        self.dim = int(fingerprint["dim"])

    @classmethod
    def for_encoder(cls, encoder: Any) -> "VectorCache | None":
        """The cache for ``encoder``'s passage vectors (None when disabled or the encoder has no fingerprint)."""
        root = cache_root()
        fingerprint = encoder_fingerprint(encoder) if root is not None else None
        if fingerprint is None:
            return None
        return cls.open(root, fingerprint)

    # ---- reading ---------------------------------------------------------------------------------------------
    def get_many(self, hashes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(vectors float32[n, dim], found bool[n])`` for ``hashes``; rows not found are zeros.

        Each chunk holding some of them is read once (a later build asks for most of the cache at once)."""
        where = self._index()
        vectors = np.zeros((len(hashes), self.dim), dtype=np.float32)
        found = np.zeros(len(hashes), dtype=bool)
        by_chunk: dict[str, list[tuple[int, int]]] = {}
        for i, h in enumerate(hashes):
            hit = where.get(h)
            if hit is not None:
                by_chunk.setdefault(hit[0], []).append((i, hit[1]))
        for name, wanted in by_chunk.items():
            chunk = self._valid_chunk(name)
            if chunk is None:
                continue
            chunk_hashes, chunk_vectors = chunk
            for i, row in wanted:
                if row < len(chunk_hashes) and chunk_hashes[row] == hashes[i]:  # never a neighbour's vector
                    vectors[i] = chunk_vectors[row]
                    found[i] = True
        return vectors, found

    def _valid_chunk(self, name: str) -> tuple[list[str], np.ndarray] | None:
        """A chunk's hashes and vectors, or None (with a warning) unless every vector is a finite unit vector."""
        arrays = self._read_chunk(name, "hashes", "vectors")
        if arrays is None:
            return None
        hashes = [h.decode("ascii") if isinstance(h, bytes) else str(h) for h in arrays["hashes"].tolist()]
        vectors = arrays["vectors"]
        if vectors.dtype != np.float32 or vectors.shape != (len(hashes), self.dim):
            self._damaged(name, f"vectors {vectors.dtype}{list(vectors.shape)} for {len(hashes)} hashes of dimension {self.dim}")
            return None
        norms = np.linalg.norm(vectors, axis=1) if len(vectors) else np.ones(0)
        if not np.all(np.abs(norms - 1) <= NORM_TOLERANCE):  # NaN fails this too
            self._damaged(name, "a vector is not a unit vector")
            return None
        return hashes, vectors

    # ---- writing ---------------------------------------------------------------------------------------------
    def put_many(self, hashes: Sequence[str], vectors: np.ndarray) -> int:
        """Cache ``vectors`` (rows aligned with ``hashes``) as one chunk file, written atomically; returns how
        many. Hashes already cached are not written again; a refusing disk only stops the caching."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(hashes), self.dim):
            raise ValueError(f"{vectors.shape[0]} vectors of dimension {vectors.shape[1:]} for {len(hashes)} hashes of dimension {self.dim}")
        where = self._index()
        unit = np.abs(np.linalg.norm(vectors, axis=1) - 1) <= NORM_TOLERANCE  # a zero vector is not cached
        keep: dict[str, int] = {}
        for i, h in enumerate(hashes):
            if unit[i] and h not in where and h not in keep:
                keep[h] = i
        if not keep:
            return 0
        rows = vectors[list(keep.values())]
        # not compressed: float vectors shrink by a few per cent and cost CPU to pack
        return len(keep) if self._write_chunk(list(keep), compress=False, vectors=rows) else 0
