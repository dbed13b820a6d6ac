"""The precedent memory store: holding items of precedents with their resolved current-law article keys,
searchable by BM25 (the article index's Kiwi tokens + :class:`~legalret.index.bm25.BM25Engine`) and,
optionally, dense vectors (the article index's encoder + :class:`~legalret.index.dense.DenseIndex`).

One :class:`MemoryItem` per holding item (판시사항 ``[1]``, ``[2]`` …) that cites at least one article the
memory keeps when it is added. Once stored, an item is never dropped because its articles are gone: after
an update it may cite nothing live and then simply does not vote, until they come back (:meth:`reresolve`).

The memory is built from the same parts as the article index — a :class:`~legalret.index.bm25.TokenStore`,
the vectorized BM25 engine, a dense index — and is written *inside* an index generation (it is a
:class:`~legalret.index.store.GenerationPart`: same atomic commit, lock and checksums as the articles;
see :mod:`legalret.pipeline`). Everything a search needs is computed when it is written: loading opens a
few small files and memory-maps the BM25 matrix; item texts are parsed only when a query shows them.

Usage::

    from legalret.precedents.parse import read_precedents
    from legalret.memory.store import PrecedentMemory

    memory = PrecedentMemory.build(read_precedents(["precedent-kr.zip"]),
                                   encoder=None,                     # BM25 only; pass an Encoder for dense
                                   keep_keys=article_keys)           # only keys the article index has
    memory.add(read_precedents(["new-decisions/"]))                  # incremental, by 사건번호
    memory.reresolve(catalog)                                        # after the articles changed
    memory.save("some/dir"); memory = PrecedentMemory.load("some/dir", encoder=encoder)
    memory.bm25_scores(query_tokens)       # np.ndarray over items
    memory.dense_search(query_vec, k, allowed=mask)

Precedents may be :class:`legalret.precedents.parse.Precedent` objects or plain dicts with the same
fields (``case_no``, ``decided``, ``holdings: [{index, text, summary, keys, citations}]`` …).

On disk (``write`` into an empty directory; ``save`` replaces a directory atomically)::

    meta.json          format version, counts, settings (BM25 parameters, vote/weight settings), encoder
                       fingerprint, decision-date range, case-number count
    items.jsonl        one MemoryItem per line (case_no, decided, holding index, text, summary, keys, citations)
    items.offsets.npy  byte offset of every line (items are parsed when shown, not at load)
    decided.npy        decision date (ordinal) of every item: the leakage filter without parsing
    cases.json         the 사건번호 field of every item (exclusion by case number)
    keys.*             the article keys of every item (ids, offsets, key list): votes are counted without
                       parsing items.jsonl (memories written before these files parse the items instead)
    tokens/            the BM25 tokens of every item (TokenStore)
    bm25/              the BM25 score matrix (bm25s layout, memory-mapped at load)
    dense.faiss        item vectors (only when built with an encoder)
"""

from __future__ import annotations

import json
import math
import os
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator, Sequence

import numpy as np

from legalret.atomic import atomic_dir
from legalret.errors import IndexError_, SourceError
from legalret.index.bm25 import BM25Engine, BM25Params, TokenStore
from legalret.index.dense import DenseIndex
from legalret.progress import track
from legalret.text import normalize

FORMAT_VERSION = 2
#: The index generation part that holds the memory (``<generation>/memory/``, ``manifest["memory"]``).
MEMORY_PART = "memory"
META, ITEMS, OFFSETS, DECIDED, CASES, TOKENS, BM25_DIR, DENSE = (
    "meta.json", "items.jsonl", "items.offsets.npy", "decided.npy", "cases.json", "tokens", "bm25", "dense.faiss",
)
#: The article keys each item votes for, without parsing items: key ids (CSR over items) and the key list.
KEY_IDS, KEY_OFFSETS, KEY_VOCAB = "keys.ids.npy", "keys.offsets.npy", "keys.vocab.json"
#: The memory's own BM25 parameters: those :class:`~legalret.memory.retriever.VoteConfig` was tuned with
#: (``benchmarks/memory_eval.py --tune``; bm25s' defaults, not the article index's k1 = 1.2).
MEMORY_BM25 = BM25Params(k1=1.5, b=0.75, method="lucene")
#: Above this many items the dense index would be partitioned; the memory keeps exact search.
_EXACT = 1 << 62


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
        d = asdict(self)
        d["decided"] = self.decided.isoformat()
        for name in ("citations", "cited"):
            if not d[name]:
                del d[name]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> MemoryItem:
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}  # format 1 stored "tokens" here
        d["decided"] = _as_date(d["decided"])
        return cls(**d)


def _field(obj: Any, name: str, default: Any = None) -> Any:
    """Attribute or dict access, so both E's dataclasses and plain JSON records work."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value.strip()[:10])
    raise ValueError(f"not a date: {value!r}")


def _citation_dicts(holding: Any) -> list[dict]:
    out = []
    for c in _field(holding, "citations", None) or []:
        out.append(dict(c) if isinstance(c, dict) else asdict(c))
    return out


def items_from_precedent(precedent: Any, keep_key: Callable[[str], bool] | None = None) -> list[MemoryItem]:
    """The memory items of one precedent: its holdings that cite at least one kept article key.

    Raises :class:`SourceError` (naming the precedent's source and the field) on a malformed record.
    """
    source = str(_field(precedent, "source", "") or "<precedent>")
    case_no = _field(precedent, "case_no")
    if not case_no:
        raise SourceError(source, "missing case number", field="case_no")
    try:
        decided = _as_date(_field(precedent, "decided"))
    except ValueError as e:
        raise SourceError(source, f"{case_no}: {e}", field="decided") from e
    items = []
    for pos, holding in enumerate(_field(precedent, "holdings", None) or [], 1):
        text = normalize(_field(holding, "text", "") or "")
        keys = [k for k in dict.fromkeys(_field(holding, "keys", None) or []) if keep_key is None or keep_key(k)]
        if not text or not keys:
            continue
        items.append(
            MemoryItem(
                case_no=normalize(str(case_no)),
                decided=decided,
                index=int(_field(holding, "index", pos) or pos),
                text=text,
                keys=keys,
                summary=normalize(_field(holding, "summary", "") or ""),
                case_name=normalize(_field(precedent, "case_name", "") or ""),
                court=normalize(_field(precedent, "court", "") or ""),
                serial=str(_field(precedent, "serial", "") or ""),
                citations=_citation_dicts(holding),
            )
        )
    return items


def _case_numbers(case_no: str) -> set[str]:
    """The individual case numbers in a 사건번호 field ('2000므1257(본소), 1264(반소)' → two), so that
    excluding a merged decision by any of its numbers drops it."""
    from legalret.precedents.parse import case_numbers

    return case_numbers(case_no) | {normalize(case_no)}


def _default_tokenizer():
    from legalret.index.tokenize import KiwiTokenizer  # the same tokens as the article BM25

    return KiwiTokenizer()


def _tokenize_all(tokenizer, texts: list[str], description: str, chunk: int = 512) -> list[list[str]]:
    batch = getattr(tokenizer, "tokenize_many", None)  # KiwiTokenizer: Kiwi's own worker threads
    if batch is None or len(texts) <= 1:
        return [list(tokenizer.tokenize(t)) for t in track(texts, description)]
    # in chunks, so that progress moves: Kiwi reads its whole input at once (54k memory texts: minutes)
    chunks = [texts[i : i + chunk] for i in range(0, len(texts), chunk)]
    return [list(t) for part in track(chunks, description, total=len(texts), advance=len) for t in batch(part)]


def _keep_key_fn(keep_keys: Collection[str] | Callable[[str], bool] | None) -> Callable[[str], bool] | None:
    if keep_keys is None or callable(keep_keys):
        return keep_keys  # type: ignore[return-value]
    allowed = frozenset(keep_keys)
    return allowed.__contains__


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


def sort_ranks(strings: Sequence[str]) -> np.ndarray:
    """Each string's position in ``sorted(strings)`` (int64): ties between equal votes are broken by key, in
    the order Python sorts the keys as strings."""
    ranks = np.empty(len(strings), dtype=np.int64)
    ranks[sorted(range(len(strings)), key=strings.__getitem__)] = np.arange(len(strings))
    return ranks


class VoteArrays:
    """Per-item article keys as arrays, for counting votes in numpy: ``ids[offsets[row]:offsets[row + 1]]``
    index ``vocab``; ``vocab_rank`` orders the vocabulary as Python sorts its strings (ties between equal
    votes are broken by key); ``case_ids`` numbers the items' 사건번호 fields (one decision, one vote)."""

    def __init__(self, ids: np.ndarray, offsets: np.ndarray, vocab: list[str], case_nos: Sequence[str]):
        self.ids = np.asarray(ids, dtype=np.int64)
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.vocab = vocab
        self.vocab_rank = sort_ranks(vocab)
        numbers: dict[str, int] = {}
        self.case_ids = np.fromiter((numbers.setdefault(c, len(numbers)) for c in case_nos), dtype=np.int64,
                                    count=len(case_nos))
        self._law_masks: dict[tuple[str, ...], np.ndarray] = {}

    def law_mask(self, prefixes: tuple[str, ...]) -> np.ndarray:
        """Bool over the vocabulary: keys starting with one of ``prefixes`` (cached per filter)."""
        mask = self._law_masks.get(prefixes)
        if mask is None:
            mask = np.fromiter((key.startswith(prefixes) for key in self.vocab), dtype=bool, count=len(self.vocab))
            if len(self._law_masks) < 64:
                self._law_masks[prefixes] = mask
        return mask


class PrecedentMemory:
    """Holding items + their BM25 index (+ optional dense vectors). Build with :meth:`build` or :meth:`load`."""

    def __init__(
        self,
        items: Sequence[MemoryItem],
        *,
        tokenizer=None,
        encoder=None,
        token_lists: Sequence[list[str]] | None = None,
        embeddings: np.ndarray | None = None,
        encoder_fingerprint: str | None = None,
        with_summary: bool = True,
        params: BM25Params = MEMORY_BM25,
        max_tokens: int | None = None,
        kind: str = "holdings",
    ):
        self._tokenizer = tokenizer
        self.max_tokens = max_tokens  # BM25 sees only the first N tokens of an item (None: all)
        self.kind = kind  # 'holdings' (the memory part) | 'facts' (the facts part): what the items are
        self.encoder = encoder
        self.encoder_fingerprint = encoder_fingerprint
        self.with_summary = with_summary
        self.params = params
        self.settings: dict = {}  # retrieval settings stored with the memory (votes, weights): see retriever
        self.errors: list[SourceError] = []  # bad precedent records skipped by build/add
        self.keep_keys: frozenset[str] | None = None  # saved with the memory, so `add` after `load` filters alike
        self._keep_key: Callable[[str], bool] | None = None
        if token_lists is None:
            texts = [it.search_text(with_summary) for it in items]
            token_lists = _tokenize_all(self.tokenizer, texts, f"tokenizing {self.kind}") if texts else []
        self._set(list(items), TokenStore.from_lists(self._cut(token_lists)), embeddings)

    def _cut(self, token_lists: list[list[str]]) -> list[list[str]]:
        """Token lists cut to ``max_tokens`` (long facts texts: the opening tells the story)."""
        if not self.max_tokens:
            return token_lists
        return [t[: self.max_tokens] for t in token_lists]

    def _set(self, items: Sequence[MemoryItem], tokens: TokenStore, vectors: np.ndarray | None) -> None:
        """Install items, their tokens and vectors; build the BM25 matrix, dates and dense index."""
        n = len(items)
        if len(tokens) != n or (vectors is not None and len(vectors) != n):
            raise IndexError_(f"memory has {n} holdings but {len(tokens)} token lists / "
                              f"{None if vectors is None else len(vectors)} vectors")
        self.items: Sequence[MemoryItem] = items
        self.tokens = tokens
        self.bm25: BM25Engine | None = BM25Engine.build(tokens, self.params) if n else None
        self.dense: DenseIndex | None = (
            DenseIndex.from_vectors(vectors, partition_min_rows=_EXACT) if vectors is not None and n else None
        )
        self.decided_ord = np.array([it.decided.toordinal() for it in items], dtype=np.int64)
        self._case_nos: list[str] = [it.case_no for it in items]
        self._keys: tuple[np.ndarray, np.ndarray, list[str]] | None = None  # the items are in memory: read theirs
        self._vote_arrays: VoteArrays | None = None
        self._voting: np.ndarray | None = None
        self._indexes = None
        self._df = None

    # ---- building ---------------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        precedents: Iterable[Any],
        encoder=None,
        tokenizer=None,
        *,
        with_summary: bool = True,
        keep_keys: Collection[str] | Callable[[str], bool] | None = None,
        batch_size: int = 64,
    ) -> PrecedentMemory:
        """Index the holdings of ``precedents``.

        ``encoder`` (an :class:`~legalret.models.encoder.Encoder`) adds dense vectors; without it the memory
        is BM25 only — the setting the vote defaults were tuned in. Encoding is the expensive part: the ~31k
        train-split holdings citing 민법/상법 take hours with me5-small on 2 CPU cores, minutes on a GPU.
        ``keep_keys`` (a set of article keys or a predicate) keeps only citations the article index can
        return. ``with_summary`` indexes 판시사항 + 판결요지. A malformed precedent is skipped and recorded
        in ``memory.errors``; it never aborts the build.
        """
        memory = cls([], tokenizer=tokenizer, encoder=encoder, with_summary=with_summary)
        memory._keep_key = _keep_key_fn(keep_keys)
        if keep_keys is not None and not callable(keep_keys):
            memory.keep_keys = frozenset(keep_keys)
        memory.add(precedents, batch_size=batch_size)
        return memory

    def keep_only(self, keep_keys: Collection[str] | Callable[[str], bool] | None) -> None:
        """Keep only citations to these keys in holdings added from now on (the article index's live keys)."""
        self._keep_key = _keep_key_fn(keep_keys)
        self.keep_keys = frozenset(keep_keys) if keep_keys is not None and not callable(keep_keys) else None

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

    def add(self, precedents: Iterable[Any], *, batch_size: int = 64) -> dict[str, int]:
        """Add precedents incrementally, by case number: a new 사건번호 is appended, a known one has its
        holdings replaced (a corrected record). Only new holdings are tokenized and encoded.

        Returns counts ``{"added": cases, "replaced": cases, "items": holdings added, "skipped": bad records}``.
        """
        keep = self._keep_key
        new_items: dict[str, list[MemoryItem]] = {}
        skipped = 0
        for precedent in precedents:
            try:
                items = items_from_precedent(precedent, keep)
            except SourceError as e:
                self.errors.append(e)
                skipped += 1
                continue
            if items:
                new_items[items[0].case_no] = items  # a later record of the same case wins
        counts = self.add_items([it for items in new_items.values() for it in items], batch_size=batch_size)
        counts["skipped"] = skipped
        return counts

    def add_items(self, items: Iterable[MemoryItem], *, batch_size: int = 64) -> dict[str, int]:
        """Add ready :class:`MemoryItem` s (e.g. one facts item per decision), by case number: the items of a
        known 사건번호 replace all of its stored ones. Only the new items are tokenized and encoded."""
        new_items: dict[str, list[MemoryItem]] = {}
        for it in items:
            new_items.setdefault(it.case_no, []).append(it)
        replaced = set(self._case_nos) & new_items.keys()
        if not new_items:
            return {"added": 0, "replaced": 0, "items": 0, "skipped": 0}

        fresh = [it for items in new_items.values() for it in items]
        fresh_tokens = self._cut(_tokenize_all(self.tokenizer, [it.search_text(self.with_summary) for it in fresh], f"tokenizing {self.kind}"))
        fresh_vecs = None
        if self.encoder is not None:
            # Dense vectors embed the holding (판시사항) alone: 판결요지 triples the encoding cost on CPU
            # (measured: 64 holdings 18 s vs 56 s with me5-small on 2 busy cores) and BM25 already sees it.
            fresh_vecs = np.asarray(self.encoder.encode_passages([it.text for it in fresh], batch_size=batch_size), dtype=np.float32)
            fingerprint = self.encoder.fingerprint
            if self.dense is not None and self.encoder_fingerprint != fingerprint:
                raise IndexError_(
                    f"memory vectors were made by {self.encoder_fingerprint!r}, not by {fingerprint!r}; rebuild the memory"
                )
            self.encoder_fingerprint = fingerprint
        elif self.dense is not None:
            raise IndexError_("this memory has dense vectors: pass the same encoder to add precedents to it")

        keep_rows = [i for i, case in enumerate(self._case_nos) if case not in replaced]
        vectors = None
        if fresh_vecs is not None:
            old = self.embeddings[keep_rows] if self.embeddings is not None else np.zeros((0, fresh_vecs.shape[1]), np.float32)
            vectors = np.vstack([old, fresh_vecs]).astype(np.float32)
        self._set(
            [self.items[i] for i in keep_rows] + fresh,
            TokenStore.from_lists([self.tokens.get(i) for i in keep_rows] + fresh_tokens),
            vectors,
        )
        return {"added": len(new_items) - len(replaced), "replaced": len(replaced), "items": len(fresh), "skipped": 0}

    def reresolve(self, catalog: Any) -> dict[str, int]:
        """Re-resolve every holding's citations against ``catalog`` (an
        :class:`~legalret.precedents.citations.ArticleCatalog`: the articles of the index after an update).

        Holdings keep their parsed 참조조문 (records read with keys only keep the keys they were read with, in
        ``cited``), so a renamed, added or re-added article is picked up. **No item is ever dropped**: one left
        citing nothing live keeps its row and simply does not vote (:meth:`allowed_mask` leaves it out) until
        an article it cites comes back — re-adding an article restores exactly the votes it had. Tokens, BM25
        matrix and vectors are untouched (the rows do not change). Returns ``{"items", "changed",
        "silent_items", "removed_citations", "added_citations"}``; ``silent_items`` cite nothing live now."""
        from legalret.precedents.citations import Citation, predates_numbering, resolve

        new_items: list[MemoryItem] = []
        changed = removed = added = silent = 0
        for row in range(len(self.items)):
            item = self.items[row]
            if item.citations:
                keys, _ = resolve([Citation(**c) for c in item.citations], catalog)
                cited = []
            else:
                read_with = item.cited or item.keys
                keys = [k for k in read_with if k in catalog]
                cited = list(read_with) if keys != read_with else []
            keys = [k for k in keys if not predates_numbering(k, item.decided)]  # 의용민법 / 구 상법 numbers
            if keys != item.keys or cited != item.cited:
                changed += 1
                removed += len(set(item.keys) - set(keys))
                added += len(set(keys) - set(item.keys))
                item = MemoryItem(**{**item.__dict__, "keys": keys, "cited": cited})
            silent += not keys
            new_items.append(item)
        counts = {"items": len(new_items), "changed": changed, "silent_items": silent,
                  "removed_citations": removed, "added_citations": added}
        self._keep_key = catalog.__contains__
        self.keep_keys = None
        if changed:  # same rows: only the keys change (votes are read from the items until the next write)
            self.items = new_items
            self._keys = None
            self._vote_arrays = None
            self._voting = None
        return counts

    def voting_rows(self) -> np.ndarray | None:
        """Bool over items: those citing at least one live article (None when all do, the usual case). An
        item citing nothing live is kept (see :meth:`reresolve`) but must not take a nearest-holding slot."""
        voting = getattr(self, "_voting", None)
        if voting is None:
            if self._keys is not None:
                voting = np.diff(self._keys[1]) > 0
            else:
                voting = np.fromiter((bool(item.keys) for item in self.items), dtype=bool, count=len(self.items))
            self._voting = voting = voting if not voting.all() else np.ones(0, dtype=bool)
        return voting if len(voting) else None

    # ---- querying ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_dense(self) -> bool:
        return self.dense is not None

    def _by_case(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        if self._indexes is None:
            row_of_case: dict[str, list[int]] = {}
            rows_of_number: dict[str, list[int]] = {}
            for row, case_no in enumerate(self._case_nos):
                row_of_case.setdefault(case_no, []).append(row)
            for case_no, rows in row_of_case.items():
                for number in _case_numbers(case_no):
                    rows_of_number.setdefault(number, []).extend(rows)
            self._indexes = (row_of_case, rows_of_number)
        return self._indexes

    @property
    def case_numbers(self) -> set[str]:
        """The distinct 사건번호 fields of the stored holdings."""
        return set(self._case_nos)

    def rows_of_case(self, case_no: str) -> list[int]:
        return list(self._by_case()[0].get(normalize(case_no), []))

    def keys_of(self, row: int) -> list[str]:
        """The article keys item ``row`` votes for (from the key arrays of a loaded memory: no item parsing)."""
        if self._keys is None:
            return self.items[row].keys
        ids, offsets, vocab = self._keys
        return [vocab[i] for i in ids[offsets[row] : offsets[row + 1]].tolist()]

    def vote_arrays(self) -> VoteArrays | None:
        """The key arrays of a loaded memory with what vote counting needs besides (built on first use);
        None for a memory whose items are in memory (votes then read each holding's keys)."""
        if self._keys is None:
            return None
        arrays = self._vote_arrays
        if arrays is None:  # (two threads may both build it: the same arrays, one kept)
            arrays = self._vote_arrays = VoteArrays(*self._keys, self._case_nos)
        return arrays

    def case_no_of(self, row: int) -> str:
        return self._case_nos[row]

    def tokens_of(self, row: int) -> list[str]:
        """The BM25 tokens of item ``row``."""
        return self.tokens.get(row)

    def shared_tokens(self, row: int, tokens: set[str]) -> set[str]:
        """``tokens & set(self.tokens_of(row))``, without making the row's ~100–500 token strings: compared as
        token ids (the BM25 matrix numbers terms as the token store does). The same set, its elements added in
        the same order (CPython's intersection walks the smaller set), so it iterates in the same order."""
        store = self.tokens
        ids = np.asarray(store.ids[int(store.offsets[row]) : int(store.offsets[row + 1])])
        if self.bm25 is None or len(np.unique(ids)) <= len(tokens):  # (the row's set is walked: make it)
            return tokens & set(self.tokens_of(row))
        vocab = self.bm25.vocab
        found = np.isin(np.array([vocab.get(t, -1) for t in tokens], dtype=np.int64), ids).tolist()
        return {t for t, hit in zip(tokens, found) if hit}

    def tokenize(self, text: str) -> list[str]:
        return list(self.tokenizer.tokenize(normalize(text)))

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency over the stored holdings (0 ≤ idf; unseen tokens get the max)."""
        n = len(self.items)
        df = 0
        if self.bm25 is not None:
            if self._df is None:  # per-term document counts = the column lengths of the BM25 matrix
                self._df = self.bm25.df
            i = self.bm25.vocab.get(token)
            df = int(self._df[i]) if i is not None else 0
        return math.log(1.0 + (n + 1) / (df + 0.5))

    def bm25_scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every stored holding for the query (zeros when nothing matches)."""
        if self.bm25 is None:
            return np.zeros(len(self.items), dtype=np.float32)
        return np.asarray(self.bm25.scores(query_tokens), dtype=np.float32)

    def encode_lazily(self, load: Callable[[], Any]) -> None:
        """Load the query encoder with ``load()`` on the first dense query, not now (a Searcher starts
        without loading a model); its fingerprint is checked then."""
        self._encoder_loader = load

    def encode_query(self, query: str) -> np.ndarray:
        loader = getattr(self, "_encoder_loader", None)
        if self.encoder is None and loader is not None and self.dense is not None:
            encoder = loader()
            fingerprint = getattr(encoder, "fingerprint", None)
            if self.encoder_fingerprint is not None and fingerprint != self.encoder_fingerprint:
                raise IndexError_(f"memory vectors were made by {self.encoder_fingerprint!r}, but the encoder is "
                                  f"{fingerprint!r}; rebuild the memory")
            self.encoder = encoder
        if self.encoder is None:
            raise IndexError_("this memory was loaded without an encoder: dense search needs one")
        return np.asarray(self.encoder.encode_queries([query]), dtype=np.float32)[0]

    def dense_search(self, query_vec: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-``k`` holdings by inner product; ``allowed`` (bool mask over items) restricts the candidates
        before the top ``k`` is taken, so a leakage filter never shortens the list."""
        if self.dense is None or k <= 0:
            return []
        if allowed is not None and not allowed.any():
            return []
        rows, scores = self.dense.top(query_vec, k, allowed)
        return [(int(r), float(s)) for r, s in zip(rows.tolist(), scores.tolist())]

    def allowed_mask(self, before: date | str | None = None, exclude: str | Iterable[str] | None = None) -> np.ndarray | None:
        """Bool mask of holdings allowed to vote: decided strictly before ``before`` and not of the excluded
        case number(s) — a merged 사건번호 is excluded by any of its individual numbers — and citing at least one
        live article (:meth:`voting_rows`). None when nothing is filtered."""
        voting = self.voting_rows()
        if before is None and not exclude and voting is None:
            return None
        mask = np.ones(len(self.items), dtype=bool) if voting is None else voting.copy()
        if before is not None:
            mask &= self.decided_ord < _as_date(before).toordinal()
        if exclude:
            rows_of_number = self._by_case()[1]
            for case_no in [exclude] if isinstance(exclude, str) else exclude:
                for number in _case_numbers(case_no):
                    rows = rows_of_number.get(number)
                    if rows:
                        mask[rows] = False
        return mask

    # ---- persistence ------------------------------------------------------------------------------
    def summary(self) -> dict:
        """What an index manifest records about the memory (``manifest["memory"]``): counts, the
        decision-date range and the number of case numbers (so an evaluation can detect leakage), and
        the settings the memory is searched with."""
        numbers = set()
        for case_no in set(self._case_nos):
            numbers |= _case_numbers(case_no)
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
            "keep_keys": sorted(self.keep_keys) if self.keep_keys is not None else None,
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
    def load(cls, directory: str | os.PathLike, encoder=None, tokenizer=None) -> PrecedentMemory:
        """Open a written memory: nothing is re-indexed (the BM25 matrix is memory-mapped, items are parsed
        when shown). Pass the article index's ``encoder`` to search its dense vectors; its fingerprint
        must match the one the vectors were made with (else :class:`IndexError_`)."""
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
        memory._tokenizer = tokenizer
        memory.with_summary = bool(meta.get("with_summary", True))
        memory.max_tokens = meta.get("max_tokens")
        memory.kind = meta.get("kind", "holdings")
        memory.params = BM25Params.from_dict(meta.get("bm25"))
        memory.settings = dict(meta.get("settings") or {})
        memory.encoder_fingerprint = fingerprint
        memory.errors = []
        memory.keep_keys = frozenset(meta["keep_keys"]) if meta.get("keep_keys") is not None else None
        memory._keep_key = memory.keep_keys.__contains__ if memory.keep_keys is not None else None
        memory.items = ItemStore(d / ITEMS, np.load(d / OFFSETS))
        n = len(memory.items)
        if n != meta.get("items"):
            raise IndexError_(f"{d}: meta.json says {meta.get('items')} holdings, {ITEMS} has {n}")
        memory.tokens = TokenStore.load(d / TOKENS)
        # built from this token store (same term order): its vocabulary list parses 4x faster than vocab.index.json
        memory.bm25 = BM25Engine.load(d / BM25_DIR, memory.params, mmap=True, vocab=memory.tokens.vocab) if n else None
        memory.dense = DenseIndex.load(d / DENSE) if (d / DENSE).is_file() else None
        memory.encoder = encoder if memory.dense is not None else None
        memory.decided_ord = np.load(d / DECIDED)
        memory._case_nos = json.loads((d / CASES).read_text(encoding="utf-8"))
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
            int(memory.items.offsets[-1]) != (d / ITEMS).stat().st_size) or (
            memory.bm25 is not None and memory.bm25.num_docs != n) or (memory.dense is not None and len(memory.dense) != n):
            raise IndexError_(f"{d}: inconsistent precedent memory (files disagree on the number of holdings)")
        return memory

    @classmethod
    def load_legacy(cls, directory: str | os.PathLike, tokenizer=None) -> PrecedentMemory:
        """Read a format-1 memory (``meta.json`` + ``items.jsonl``, from before the memory lived inside the
        index generations) so it can be migrated: the holdings are re-tokenized with ``tokenizer`` (the
        index's), vectors are dropped (rebuild with ``--memory-dense`` to get them back)."""
        d = Path(directory)
        items = []
        try:
            meta = json.loads((d / META).read_text(encoding="utf-8"))
            with open(d / ITEMS, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        items.append(MemoryItem.from_dict(json.loads(line)))
        except (OSError, ValueError, TypeError, KeyError) as e:
            raise IndexError_(f"{d}: cannot read the old precedent memory ({type(e).__name__}: {e}); rebuild with --precedents") from e
        return cls(items, tokenizer=tokenizer, with_summary=bool(meta.get("with_summary", True)))
