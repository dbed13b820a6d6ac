"""The on-disk hybrid index: Kiwi tokens → bm25s, passage embeddings → FAISS, one atomic manifest.

Usage::

    from legalret.index import build_index, add_to_index, load_index, KiwiTokenizer
    from legalret.index.store import rollback

    report = build_index(articles, "index/")                 # default encoder (bundled:me5-small)
    report = build_index(articles, "index/", model="none")   # BM25 only
    report = add_to_index(amended_articles, "index/")        # re-encodes only changed articles
    print(report.summary())
    rollback("index/")                                       # the previous generation is live again

With a precedent memory, build and update through :mod:`legalret.pipeline` (it writes the memory into
the same generation and keeps it consistent with the articles).

Modules: :mod:`~legalret.index.tokenize` (Kiwi, mixed decompounding), :mod:`~legalret.index.ngram_tokenize`
(character n-grams: the facts memory's), :mod:`~legalret.index.bm25`
(bm25s engine + token store), :mod:`~legalret.index.dense` (FAISS + embedding cache),
:mod:`~legalret.index.store` (layout, manifest, atomic generations, lock), :mod:`~legalret.index.build`.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Where each name of this package lives. Imported on first use (PEP 562), not with the package: a cold
#: ``legalret search`` imports ``legalret.index.tokenize`` before anything else (to start Kiwi in another process,
#: :class:`~legalret.index.tokenize.TokensAhead`), and the builder's imports would delay that start.
_EXPORTS = {
    "NO_ENCODER": "build", "BuildReport": "build", "add_to_index": "build", "build_index": "build",
    "SCHEMA_VERSION": "store", "GenerationPart": "store", "IndexData": "store", "load_index": "store",
    "read_manifest": "store", "rollback": "store",
    "NgramSettings": "ngram_tokenize", "NgramTokenizer": "ngram_tokenize",
    "KiwiTokenizer": "tokenize", "TokenizerSettings": "tokenize",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "NO_ENCODER",
    "SCHEMA_VERSION",
    "BuildReport",
    "GenerationPart",
    "IndexData",
    "KiwiTokenizer",
    "NgramSettings",
    "NgramTokenizer",
    "TokenizerSettings",
    "add_to_index",
    "build_index",
    "load_index",
    "read_manifest",
    "rollback",
]
