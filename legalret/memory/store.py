"""The precedent memory: holding items of precedents with their resolved current-law article keys, searchable
by BM25 (the article index's Kiwi tokens + :class:`~legalret.index.bm25.BM25Engine`) and, optionally, dense
vectors (the article index's encoder + :class:`~legalret.index.dense.DenseIndex`).

One :class:`~legalret.memory.format.MemoryItem` per holding item (판시사항 ``[1]``, ``[2]`` …) that cites at
least one article the memory keeps when it is added. Once stored, an item is never dropped because its
articles are gone: after an update it may cite nothing live and then simply does not vote, until they come back.

Three modules, one concept each:

* :mod:`legalret.memory.format` — the files of a written memory, one item, the item file;
* this module — :class:`PrecedentMemory`: installs items + tokens + vectors, writes and loads them (it is a
  :class:`~legalret.index.store.GenerationPart`: written inside an index generation by the same atomic
  commit, lock and checksums as the articles); the query side is :mod:`legalret.memory.query`;
* :mod:`legalret.memory.builder` — build, add, re-resolve, migrate the old layout, and update the memory
  parts of a new generation (what :mod:`legalret.pipeline` calls).

Everything a search needs is computed when it is written: loading opens a few small files and memory-maps
the BM25 matrix; item texts are parsed only when a query shows them.

Usage::

    from legalret.memory.builder import build_memory, add_precedents
    from legalret.memory.store import PrecedentMemory

    memory = build_memory(read_precedents(["precedent-kr.zip"]), keep_keys=article_keys)
    memory.save("some/dir")
    memory = PrecedentMemory.load("some/dir", tokenizer=tokenizer, query_encoder=slot)  # slot.get(): encoder
    memory.bm25_scores(query_tokens)       # np.ndarray over items
    memory.dense_search(memory.encode_query("…"), k, allowed=mask)
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from legalret.atomic import atomic_dir
from legalret.errors import IndexError_, SourceError
from legalret.index.bm25 import BM25Engine, BM25Params, TokenStore
from legalret.index.dense import DenseIndex
from legalret.index.ngram_tokenize import tokenizer_from_settings
from legalret.memory.format import (  # noqa: F401 — MEMORY_PART, MEMORY_BM25 and MemoryItem: their old home
    BM25_DIR,
    CASE_IDS,
    CASES,
    DECIDED,
    DENSE,
    FORMAT_VERSION,
    ITEMS,
    KEY_IDS,
    KEY_OFFSETS,
    KEY_VOCAB,
    MEMORY_BM25,
    MEMORY_PART,
    META,
    OFFSETS,
    TOKENS,
    ItemStore,
    MemoryItem,
    case_numbers_of,
)
from legalret.memory.query import MemoryQueries, VoteArrays, case_ids_of, sort_ranks  # noqa: F401 — sort_ranks: its old home
from legalret.memory.sources import SourceRecord

#: Above this many items the dense index would be partitioned; the memory keeps exact search.
_EXACT = 1 << 62


def _default_tokenizer():
    from legalret.index.tokenize import KiwiTokenizer  # the same tokens as the article BM25

    return KiwiTokenizer()


class PrecedentMemory(MemoryQueries):
    """Holding items + their BM25 index (+ optional dense vectors). Made by
    :func:`~legalret.memory.builder.build_memory` or :meth:`load`; queried through :class:`MemoryQueries`."""

    def __init__(
        self,
        items: Sequence[MemoryItem] = (),
        tokens: TokenStore | Sequence[list[str]] | None = None,
        vectors: np.ndarray | None = None,
        *,
        tokenizer=None,
        encoder=None,
        encoder_fingerprint: str | None = None,
        with_summary: bool = True,
        params: BM25Params = MEMORY_BM25,
        max_tokens: int | None = None,
        kind: str = "holdings",
    ):
        """Items with their BM25 tokens (one list per item, already cut to ``max_tokens``) and vectors;
        :func:`~legalret.memory.builder.memory_from_items` tokenizes items for you."""
        self._tokenizer = tokenizer
        self.max_tokens = max_tokens  # BM25 sees only the first N tokens of an item (None: all)
        self.kind = kind  # 'holdings' (the memory part) | 'facts' (the facts part): what the items are
        self.encoder = encoder  # a loaded encoder: adding to a dense memory needs it, queries may use it
        self.query_encoder: Any = None  # or one loaded on the first dense query (``get()``): see encode_query
        self.encoder_fingerprint = encoder_fingerprint
        self.with_summary = with_summary
        self.params = params
        self.settings: dict = {}  # retrieval settings stored with the memory (votes, weights): see retriever
        self.sources: list[SourceRecord] = []  # the archives its decisions were read from (memory.sources)
        self.errors: list[SourceError] = []  # bad precedent records skipped by the builder
        self.keep_keys: frozenset[str] | None = None  # saved with the memory, so adding after `load` filters alike
        self.keep_key = None  # the predicate the builder keeps citations with (keep_keys.__contains__ or given)
        if not isinstance(tokens, TokenStore):
            tokens = TokenStore.from_lists(list(tokens or []))
        self.install(list(items), tokens, vectors)

    def install(self, items: Sequence[MemoryItem], tokens: TokenStore, vectors: np.ndarray | None) -> None:
        """Install items, their tokens and vectors; build the BM25 matrix, dates and dense index."""
        n = len(items)
        if len(tokens) != n or (vectors is not None and len(vectors) != n):
            raise IndexError_(f"memory has {n} holdings but {len(tokens)} token lists / "
                              f"{None if vectors is None else len(vectors)} vectors")
        self.items: Sequence[MemoryItem] = items
        self.tokens = tokens
        # the holdings keep their term counts: the article profiles pool them per query token (memory.profiles)
        self.bm25: BM25Engine | None = BM25Engine.build(tokens, self.params, counts=self.kind == "holdings") if n else None
        self.dense: DenseIndex | None = (
            DenseIndex.from_vectors(vectors, partition_min_rows=_EXACT) if vectors is not None and n else None
        )
        self.decided_ord = np.array([it.decided.toordinal() for it in items], dtype=np.int64)
        self._case_nos: list[str] = [it.case_no for it in items]
        self._case_ids: np.ndarray | None = None  # (numbered when votes are first counted)
        self._keys: tuple[np.ndarray, np.ndarray, list[str]] | None = None  # the items are in memory: read theirs
        self._vote_arrays: VoteArrays | None = None
        self._voting: np.ndarray | None = None
        self._indexes = None
        self._df = None

    def replace_keys(self, items: Sequence[MemoryItem]) -> None:
        """The same rows with new article keys (after re-resolution): tokens, BM25 and vectors stay; votes are
        read from these items until the memory is written again."""
        if len(items) != len(self.items):
            raise IndexError_(f"re-resolved {len(items)} items for a memory of {len(self.items)}")
        self.items = items
        self._keys = None
        self._vote_arrays = None
        self._voting = None

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            self._tokenizer = _default_tokenizer()
        return self._tokenizer

    @tokenizer.setter
    def tokenizer(self, value) -> None:
        self._tokenizer = value

    @property
    def embeddings(self) -> np.ndarray | None:
        """The item vectors (a view of the dense index), or None for a BM25-only memory."""
        return self.dense.vectors if self.dense is not None else None

    # ---- persistence ------------------------------------------------------------------------------
    def summary(self) -> dict:
        """What an index manifest records about the memory (``manifest["memory"]``): counts, the
        decision-date range and the number of case numbers (so an evaluation can detect leakage), and
        the settings the memory is searched with."""
        numbers = set()
        for case_no in set(self._case_nos):
            numbers |= case_numbers_of(case_no)
        decided = self.decided_ord
        return {
            "format": "legalret-precedent-memory",
            "version": FORMAT_VERSION,
            "kind": self.kind,
            "max_tokens": self.max_tokens,
            "items": len(self.items),
            "cases": len(set(self._case_nos)),
            "case_numbers": len(numbers),
            "decided_min": date.fromordinal(int(decided.min())).isoformat() if len(decided) else None,
            "decided_max": date.fromordinal(int(decided.max())).isoformat() if len(decided) else None,
            "with_summary": self.with_summary,
            "bm25": self.params.to_dict(),
            "settings": self.settings,
            "encoder_fingerprint": self.encoder_fingerprint if self.dense is not None else None,
            "dim": self.dense.dim if self.dense is not None else None,
            "tokenizer": f"{type(self.tokenizer).__module__}.{type(self.tokenizer).__qualname__}",
            # what the items were tokenized with: load() cuts queries the same way (a facts memory's n-grams)
            "tokenizer_settings": self.tokenizer.settings.to_dict() if hasattr(self.tokenizer, "settings") else None,
            "keep_keys": sorted(self.keep_keys) if self.keep_keys is not None else None,
            "sources": [r.to_dict() for r in self.sources],
        }

    def write(self, directory: str | os.PathLike) -> dict:
        """Write the memory into the (empty or new) ``directory``; returns :meth:`summary` (the manifest
        section). This is the :class:`~legalret.index.store.GenerationPart` protocol."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        offsets = np.zeros(len(self.items) + 1, dtype=np.int64)
        with open(d / ITEMS, "wb") as f:
            raw = self.items.raw if isinstance(self.items, ItemStore) else None
            for row in range(len(self.items)):
                # lines of a loaded, unmodified memory are copied byte for byte (never parsed)
                line = raw(row) if raw is not None else (
                    json.dumps(self.items[row].to_dict(), ensure_ascii=False) + "\n").encode("utf-8")
                f.write(line)
                offsets[row + 1] = offsets[row] + len(line)
        np.save(d / OFFSETS, offsets)
        vocab: dict[str, int] = {}
        key_ids: list[int] = []
        key_offsets = np.zeros(len(self.items) + 1, dtype=np.int64)
        for row in range(len(self.items)):
            key_ids.extend(vocab.setdefault(key, len(vocab)) for key in self.keys_of(row))
            key_offsets[row + 1] = len(key_ids)
        np.save(d / KEY_IDS, np.asarray(key_ids, dtype=np.int32))
        np.save(d / KEY_OFFSETS, key_offsets)
        (d / KEY_VOCAB).write_text(json.dumps(list(vocab), ensure_ascii=False), encoding="utf-8")
        np.save(d / DECIDED, self.decided_ord)
        (d / CASES).write_text(json.dumps(self._case_nos, ensure_ascii=False), encoding="utf-8")
        np.save(d / CASE_IDS, case_ids_of(self._case_nos).astype(np.int32))
        self.tokens.save(d / TOKENS)
        if self.bm25 is not None:
            self.bm25.save(d / BM25_DIR)
        if self.dense is not None:
            self.dense.save(d / DENSE)
        meta = self.summary()
        (d / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        return {k: v for k, v in meta.items() if k != "keep_keys"}

    def save(self, directory: str | os.PathLike) -> Path:
        """Write the memory to ``directory`` on its own (outside an index), replacing it atomically."""
        directory = Path(directory)
        with atomic_dir(directory) as tmp:
            self.write(tmp)
        return directory

    @classmethod
    def load(cls, directory: str | os.PathLike, encoder=None, tokenizer=None, *, query_encoder=None) -> PrecedentMemory:
        """Open a written memory: nothing is re-indexed (the BM25 matrix is memory-mapped, items are parsed
        when shown). ``tokenizer``: the index's Kiwi tokenizer — a memory tokenized otherwise (its ``meta.json``
        says so: the facts memory's n-grams) gets its own. Pass the article index's ``encoder`` to search its dense vectors — or ``query_encoder``,
        whose ``get()`` loads it on the first dense query (a searcher's slot); its fingerprint must match the
        one the vectors were made with (else :class:`IndexError_`). A memory in an older format is refused
        with the command that migrates it (:func:`legalret.memory.builder.migrate_legacy`)."""
        d = Path(directory)
        meta_path = d / META
        if not meta_path.is_file():
            raise IndexError_(f"{d}: not a precedent memory (no meta.json)")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError as e:
            raise IndexError_(f"{meta_path}: corrupted ({type(e).__name__}: {e})") from e
        if meta.get("format") != "legalret-precedent-memory" or meta.get("version") != FORMAT_VERSION:
            raise IndexError_(f"{meta_path}: unsupported memory format {meta.get('format')!r} v{meta.get('version')}; "
                              "rebuild the index with --precedents (or run `legalret index add --index DIR` to migrate)")
        fingerprint = meta.get("encoder_fingerprint")
        if (d / DENSE).is_file() and encoder is not None and encoder.fingerprint != fingerprint:
            raise IndexError_(
                f"{d}: memory vectors were made by {fingerprint!r}, but the encoder is {encoder.fingerprint!r}; rebuild the memory"
            )
        memory = cls.__new__(cls)
        # the tokenizer the items were tokenized with (n-grams: its own; Kiwi, or a memory written before the
        # settings were stored: the index's ``tokenizer``); an unknown one is refused here, not mis-queried
        memory._tokenizer = tokenizer_from_settings(meta.get("tokenizer_settings"), kiwi=tokenizer)
        memory.with_summary = bool(meta.get("with_summary", True))
        memory.max_tokens = meta.get("max_tokens")
        memory.kind = meta.get("kind", "holdings")
        memory.params = BM25Params.from_dict(meta.get("bm25"))
        memory.settings = dict(meta.get("settings") or {})
        memory.sources = [SourceRecord.from_dict(d) for d in meta.get("sources") or []]
        memory.encoder_fingerprint = fingerprint
        memory.errors = []
        memory.keep_keys = frozenset(meta["keep_keys"]) if meta.get("keep_keys") is not None else None
        memory.keep_key = memory.keep_keys.__contains__ if memory.keep_keys is not None else None
        memory.items = ItemStore(d / ITEMS, np.load(d / OFFSETS))
        n = len(memory.items)
        if n != meta.get("items"):
            raise IndexError_(f"{d}: meta.json says {meta.get('items')} holdings, {ITEMS} has {n}")
        memory.tokens = TokenStore.load(d / TOKENS)
        # built from this token store (same term order): a memory written before vocab.sorted.npz reads the store's
        # vocabulary list, which parses 4x faster than vocab.index.json
        store = memory.tokens
        memory.bm25 = BM25Engine.load(d / BM25_DIR, memory.params, mmap=True, vocab=lambda: store.vocab) if n else None
        memory.dense = DenseIndex.load(d / DENSE) if (d / DENSE).is_file() else None
        memory.encoder = encoder if memory.dense is not None else None
        memory.query_encoder = query_encoder if memory.dense is not None else None
        memory.decided_ord = np.load(d / DECIDED)
        memory._case_nos = json.loads((d / CASES).read_text(encoding="utf-8"))
        memory._case_ids = np.load(d / CASE_IDS) if (d / CASE_IDS).is_file() else None
        memory._keys = None
        if (d / KEY_IDS).is_file():
            key_offsets = np.load(d / KEY_OFFSETS)
            if len(key_offsets) != n + 1:
                raise IndexError_(f"{d}: inconsistent precedent memory ({KEY_OFFSETS} has {len(key_offsets) - 1} items, not {n})")
            memory._keys = (np.load(d / KEY_IDS), key_offsets, json.loads((d / KEY_VOCAB).read_text(encoding="utf-8")))
        memory._vote_arrays = None
        memory._voting = None
        memory._indexes = None
        memory._df = None
        if not (len(memory.tokens) == len(memory.decided_ord) == len(memory._case_nos) == n) or (
            memory._case_ids is not None and len(memory._case_ids) != n) or (
            int(memory.items.offsets[-1]) != (d / ITEMS).stat().st_size) or (
            memory.bm25 is not None and memory.bm25.num_docs != n) or (memory.dense is not None and len(memory.dense) != n):
            raise IndexError_(f"{d}: inconsistent precedent memory (files disagree on the number of holdings)")
        return memory

