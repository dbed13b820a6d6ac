"""The precedent memory's on-disk format: file names and version, one stored item, and the item file.

A memory is written *inside* an index generation — part ``memory/`` for the holdings, ``facts/`` for the
facts memory — by :meth:`legalret.memory.store.PrecedentMemory.write`, one directory per part::

    meta.json          format version, counts, settings (BM25 parameters, vote/weight settings), encoder
                       fingerprint, decision-date range, case-number count
    items.jsonl        one MemoryItem per line (case_no, decided, holding index, text, summary, keys, citations)
    items.offsets.npy  byte offset of every line (items are parsed when shown, not at load)
    decided.npy        decision date (ordinal) of every item: the leakage filter without parsing
    cases.json         the 사건번호 field of every item (exclusion by case number)
    cases.ids.npy      those fields numbered in order of first appearance (one decision, one vote; memories
                       written before it number them at the first query)
    keys.*             the article keys of every item (ids, offsets, key list): votes are counted without
                       parsing items.jsonl (memories written before these files parse the items instead)
    tokens/            the BM25 tokens of every item (TokenStore)
    bm25/              the BM25 score matrix (bm25s layout, memory-mapped at load)
    dense.faiss        item vectors (only when built with an encoder)

Format 1 (``meta.json`` + ``items.jsonl`` in ``<index>/memory``, beside the generations) is read only by
:func:`legalret.memory.builder.migrate_legacy`, the one place that knows it.

Usage::

    from legalret.memory.format import ITEMS, OFFSETS, ItemStore, MemoryItem

    item = MemoryItem.from_dict(json.loads(line))       # one line of items.jsonl
    items = ItemStore(part / ITEMS, np.load(part / OFFSETS))
    items[3].holding_id                                 # '2000다7936#1' (parsed when asked for, then cached)
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from legalret.errors import IndexError_, SourceError
from legalret.index.bm25 import BM25Params
from legalret.index.store import LEGACY_MEMORY_DIR
from legalret.text import normalize

FORMAT_VERSION = 2
#: The index generation part that holds the memory (``<generation>/memory/``, ``manifest["memory"]``).
MEMORY_PART = "memory"
#: The part that holds the facts memory (``<generation>/facts/``, ``manifest["facts"]``; :mod:`legalret.memory.facts`).
FACTS_PART = "facts"
META, ITEMS, OFFSETS, DECIDED, CASES, TOKENS, BM25_DIR, DENSE = (
    "meta.json", "items.jsonl", "items.offsets.npy", "decided.npy", "cases.json", "tokens", "bm25", "dense.faiss",
)
#: The article keys each item votes for, without parsing items: key ids (CSR over items) and the key list.
KEY_IDS, KEY_OFFSETS, KEY_VOCAB = "keys.ids.npy", "keys.offsets.npy", "keys.vocab.json"
#: The items' 사건번호 fields as numbers (:func:`legalret.memory.query.case_ids_of`).
CASE_IDS = "cases.ids.npy"
#: The memory's own BM25 parameters: those :class:`~legalret.memory.retriever.VoteConfig` was tuned with
#: (``benchmarks/memory_eval.py --tune``; bm25s' defaults, not the article index's k1 = 1.2).
MEMORY_BM25 = BM25Params(k1=1.5, b=0.75, method="lucene")



@dataclass
class MemoryItem:
    """One holding item of one precedent, with the article keys it cites."""

    case_no: str  # 사건번호, e.g. '2000다7936'
    decided: date  # 선고일자
    index: int  # holding number within the decision ([1] → 1); 0 when not numbered
    text: str  # the holding (판시사항 item) — what explain shows
    keys: list[str]  # resolved current-law article keys it cites
    summary: str = ""  # the aligned 판결요지 item, if any
    case_name: str = ""
    court: str = ""
    serial: str = ""  # 판례일련번호
    citations: list[dict] = field(default_factory=list, repr=False)  # 참조조문 as parsed: re-resolved on update
    #: the keys a record without parsed citations was read with, once some of them are not live: re-resolution
    #: looks them up again, so an article that comes back gets its votes back (empty: ``keys`` are all of them)
    cited: list[str] = field(default_factory=list, repr=False)

    @property
    def holding_id(self) -> str:
        return f"{self.case_no}#{self.index}"

    def search_text(self, with_summary: bool) -> str:
        return normalize(f"{self.text} {self.summary}") if with_summary and self.summary else normalize(self.text)

    def to_dict(self) -> dict:
        # field by field rather than dataclasses.asdict, whose deep copies of the citation dicts took ~3 s of
        # a main-job build's write (33k holdings); the lists are still copies, as asdict's were
        d = {name: getattr(self, name) for name in _ITEM_FIELDS}
        d["decided"] = self.decided.isoformat()
        d["keys"] = list(self.keys)
        d["citations"] = [dict(c) for c in self.citations]
        d["cited"] = list(self.cited)
        for name in ("citations", "cited"):
            if not d[name]:
                del d[name]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> MemoryItem:
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}  # format 1 stored "tokens" here
        d["decided"] = as_date(d["decided"])
        return cls(**d)


_ITEM_FIELDS = tuple(f.name for f in fields(MemoryItem))


def as_date(value: Any) -> date:
    """A date from a date or an ISO string (its first 10 characters); ValueError otherwise."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass  # (the message named the input cut to 10 characters: '2019. 8. 1')
    raise ValueError(f"not a YYYY-MM-DD date: {value!r}")


def case_numbers_of(case_no: str) -> set[str]:
    """The individual case numbers in a 사건번호 field ('2000므1257(본소), 1264(반소)' → two), so that
    excluding a merged decision by any of its numbers drops it."""
    from legalret.precedents.parse import case_numbers

    return case_numbers(case_no) | {normalize(case_no)}



class ItemStore(Sequence[MemoryItem]):
    """The items of a written memory: ``items.jsonl`` read a line at a time when it is asked for.

    A server reads a few hundred scattered items per query for as long as it runs. Lines are read with
    ``os.pread`` rather than through a memory map: mapped pages count as the server's own memory once touched
    (with the kernel's read-ahead, the whole 138 MB of the main-job index's two item files after 60 queries),
    while read pages stay in the shared page cache. At most ``cache_size`` parsed items are kept (least
    recently used dropped), so memory stays flat however many queries come."""

    def __init__(self, path: Path, offsets: np.ndarray, cache_size: int = 2048):
        self.path, self.offsets, self.cache_size = path, offsets, cache_size
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self._cache: OrderedDict[int, MemoryItem] = OrderedDict()

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)
            self._fd = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def raw(self, row: int) -> bytes:
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        if hasattr(os, "pread"):
            return os.pread(self._fd, end - start, start)
        with open(self.path, "rb") as f:  # no pread (Windows)
            f.seek(start)
            return f.read(end - start)

    def __getitem__(self, row):  # type: ignore[override]
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        item = self._cache.get(row)
        if item is not None:
            self._cache.move_to_end(row)
            return item
        if not 0 <= row < len(self):
            raise IndexError(row)
        try:
            item = MemoryItem.from_dict(json.loads(self.raw(row)))
        except (ValueError, TypeError, KeyError) as e:
            raise SourceError(str(self.path), f"not a memory item ({e})", line=row + 1) from e
        self._cache[row] = item
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return item

    def __iter__(self) -> Iterator[MemoryItem]:
        return (self[i] for i in range(len(self)))


def legacy_memory(index_dir: Path) -> Path | None:
    """The format-1 memory of an index written before schema 2 (``<index>/memory``, beside the generations),
    or None. Searches refuse it (:func:`legacy_error`); ``index add`` migrates it
    (:func:`legalret.memory.builder.migrate_legacy`)."""
    path = Path(index_dir) / LEGACY_MEMORY_DIR
    return path if path.is_dir() else None


def legacy_error(index_dir: Path, legacy: Path) -> IndexError_:
    """What a search says about an index whose memory is still in the old layout: the command that moves it."""
    return IndexError_(f"{legacy}: precedent memory in the old layout (beside the generations); run "
                       f"`legalret index add --index {index_dir}` to move it into the index, or rebuild with --precedents")
