"""The on-disk hybrid index: Kiwi tokens → bm25s, passage embeddings → FAISS, one atomic manifest.

Usage::

    from legalret.index import build_index, add_to_index, load_index, KiwiTokenizer

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

from legalret.index.build import NO_ENCODER, BuildReport, add_to_index, build_index
from legalret.index.store import SCHEMA_VERSION, GenerationPart, IndexData, load_index, read_manifest, rollback
from legalret.index.ngram_tokenize import NgramSettings, NgramTokenizer
from legalret.index.tokenize import KiwiTokenizer, TokenizerSettings

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
