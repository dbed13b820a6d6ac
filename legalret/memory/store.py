"""The precedent memory store: holding items of precedents with their resolved current-law article keys,
searchable by BM25 (the article index's Kiwi tokenizer + bm25s) and, optionally, dense vectors (the
article index's encoder + FAISS inner product).

One :class:`MemoryItem` per holding item (판시사항 ``[1]``, ``[2]`` …) that cites at least one article the
memory keeps. Holdings citing nothing resolvable cannot vote, so they are not stored.

Usage::

    from legalret.precedents.parse import read_precedents
    from legalret.memory.store import PrecedentMemory

    memory = PrecedentMemory.build(read_precedents(["precedent-kr.zip"]),
                                   encoder=None,                     # BM25 only; pass an Encoder for dense
                                   keep_keys=article_keys)           # only keys the article index has
    memory.add(read_precedents(["new-decisions/"]))                  # incremental, by 사건번호
    memory.save("index/memory"); memory = PrecedentMemory.load("index/memory", encoder=encoder)
    memory.bm25_scores(query_tokens)       # np.ndarray over items
    memory.dense_search(query_vec, k, allowed=mask)

Precedents may be :class:`legalret.precedents.parse.Precedent` objects or plain dicts with the same
fields (``case_no``, ``decided``, ``holdings: [{index, text, summary, keys}]`` …).

On disk (``save``; the directory is replaced atomically)::

    meta.json        format version, counts, settings, encoder fingerprint, tokenizer name
    items.jsonl      one MemoryItem per line (case_no, decided, holding index, text, summary, keys, tokens)
    embeddings.npy   float32 [n_items, dim], L2-normalized, of the holding text (only when built with an encoder)
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Collection, Iterable

import numpy as np

from legalret.errors import IndexError_, SourceError
from legalret.progress import track
from legalret.text import normalize

FORMAT_VERSION = 1


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
    tokens: list[str] = field(default_factory=list, repr=False)  # BM25 tokens of search_text

    @property
    def holding_id(self) -> str:
        return f"{self.case_no}#{self.index}"

    def search_text(self, with_summary: bool) -> str:
        return normalize(f"{self.text} {self.summary}") if with_summary and self.summary else normalize(self.text)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["decided"] = self.decided.isoformat()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "MemoryItem":
        d = dict(d)
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


def _tokenize_all(tokenizer, texts: list[str], description: str) -> list[list[str]]:
    batch = getattr(tokenizer, "tokenize_batch", None) or getattr(tokenizer, "tokenize_many", None)
    if batch is not None and len(texts) > 1:
        return [list(t) for t in batch(texts)]
    return [list(tokenizer.tokenize(t)) for t in track(texts, description)]


def _keep_key_fn(keep_keys: Collection[str] | Callable[[str], bool] | None) -> Callable[[str], bool] | None:
    if keep_keys is None or callable(keep_keys):
        return keep_keys  # type: ignore[return-value]
    allowed = frozenset(keep_keys)
    return allowed.__contains__


class PrecedentMemory:
    """Holding items + their BM25 index (+ optional dense vectors). Build with :meth:`build` or :meth:`load`."""

    def __init__(
        self,
        items: list[MemoryItem],
        *,
        tokenizer=None,
        encoder=None,
        embeddings: np.ndarray | None = None,
        encoder_fingerprint: str | None = None,
        with_summary: bool = True,
    ):
        self.items: list[MemoryItem] = items
        self.tokenizer = tokenizer if tokenizer is not None else _default_tokenizer()
        self.encoder = encoder
        self.embeddings = embeddings
        self.encoder_fingerprint = encoder_fingerprint
        self.with_summary = with_summary
        self.errors: list[SourceError] = []  # bad precedent records skipped by build/add
        self.keep_keys: frozenset[str] | None = None  # saved with the memory, so `add` after `load` filters alike
        self._keep_key: Callable[[str], bool] | None = None
        self._reindex()

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
    ) -> "PrecedentMemory":
        """Index the holdings of ``precedents``.

        ``encoder`` (C's :class:`Encoder`) adds dense vectors; without it the memory is BM25 only — the
        setting the benchmark defaults were tuned in. Encoding is the expensive part: the ~31k train-split
        holdings citing 민법/상법 take hours with me5-small on 2 CPU cores, minutes on a GPU.
        ``keep_keys`` (a set of article keys or a predicate) keeps only citations the article index can
        return, e.g. the keys of the 민법+상법 catalog. ``with_summary`` indexes 판시사항 + 판결요지.
        A malformed precedent is skipped and recorded in ``memory.errors``; it never aborts the build.
        """
        memory = cls([], tokenizer=tokenizer, encoder=encoder, with_summary=with_summary)
        memory._keep_key = _keep_key_fn(keep_keys)
        if keep_keys is not None and not callable(keep_keys):
            memory.keep_keys = frozenset(keep_keys)
        memory.add(precedents, batch_size=batch_size)
        return memory

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
        known = {it.case_no for it in self.items}
        replaced = known & new_items.keys()
        if not new_items:
            return {"added": 0, "replaced": 0, "items": 0, "skipped": skipped}

        fresh = [it for items in new_items.values() for it in items]
        texts = [it.search_text(self.with_summary) for it in fresh]
        for it, toks in zip(fresh, _tokenize_all(self.tokenizer, texts, "Tokenizing holdings")):
            it.tokens = toks
        fresh_vecs = None
        if self.encoder is not None:
            # Dense vectors embed the holding (판시사항) alone: 판결요지 triples the encoding cost on CPU
            # (measured: 64 holdings 18 s vs 56 s with me5-small on 2 busy cores) and BM25 already sees it.
            dense_texts = [it.text for it in fresh]
            fresh_vecs = np.asarray(self.encoder.encode_passages(dense_texts, batch_size=batch_size), dtype=np.float32)
            fingerprint = getattr(self.encoder, "fingerprint", None)
            if self.embeddings is not None and self.encoder_fingerprint != fingerprint:
                raise IndexError_(
                    f"memory vectors were made by {self.encoder_fingerprint!r}, not by {fingerprint!r}; rebuild the memory"
                )
            self.encoder_fingerprint = fingerprint
        elif self.embeddings is not None:
            raise IndexError_("this memory has dense vectors: pass the same encoder to add precedents to it")

        keep_rows = [i for i, it in enumerate(self.items) if it.case_no not in replaced]
        self.items = [self.items[i] for i in keep_rows] + fresh
        if fresh_vecs is not None:
            old = self.embeddings[keep_rows] if self.embeddings is not None else np.zeros((0, fresh_vecs.shape[1]), np.float32)
            self.embeddings = np.vstack([old, fresh_vecs]).astype(np.float32)
        self._reindex()
        return {"added": len(new_items) - len(replaced), "replaced": len(replaced), "items": len(fresh), "skipped": skipped}

    def _reindex(self) -> None:
        """(Re)build the BM25 index, document frequencies, date array and FAISS index from ``items``.

        bm25s has no incremental update; re-indexing stored tokens is cheap (seconds for 100k holdings)
        and keeps the scores exactly those of a from-scratch build.
        """
        import bm25s

        n = len(self.items)
        self.decided_ord = np.array([it.decided.toordinal() for it in self.items], dtype=np.int64)
        self._row_of_case: dict[str, list[int]] = {}
        self._rows_of_number: dict[str, list[int]] = {}
        for row, it in enumerate(self.items):
            self._row_of_case.setdefault(it.case_no, []).append(row)
            for number in _case_numbers(it.case_no):
                self._rows_of_number.setdefault(number, []).append(row)
        df: Counter[str] = Counter()
        for it in self.items:
            df.update(set(it.tokens))
        self.doc_freq = df
        self._bm25 = None
        if n and any(it.tokens for it in self.items):
            # bm25s drops empty documents' rows consistently only if every doc has a token: pad empties.
            corpus = [it.tokens or ["\u0000"] for it in self.items]
            self._bm25 = bm25s.BM25()
            self._bm25.index(corpus, show_progress=False)
        self._faiss = None
        if self.embeddings is not None and len(self.embeddings):
            import faiss

            if self.embeddings.shape[0] != n:
                raise IndexError_(f"memory has {n} holdings but {self.embeddings.shape[0]} vectors")
            self._faiss = faiss.IndexFlatIP(self.embeddings.shape[1])
            self._faiss.add(np.ascontiguousarray(self.embeddings, dtype=np.float32))

    # ---- querying ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_dense(self) -> bool:
        return self._faiss is not None

    @property
    def case_numbers(self) -> set[str]:
        return set(self._row_of_case)

    def rows_of_case(self, case_no: str) -> list[int]:
        return list(self._row_of_case.get(normalize(case_no), []))

    def tokenize(self, text: str) -> list[str]:
        return list(self.tokenizer.tokenize(normalize(text)))

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency over the stored holdings (0 ≤ idf; unseen tokens get the max)."""
        n = len(self.items)
        return math.log(1.0 + (n + 1) / (self.doc_freq.get(token, 0) + 0.5))

    def bm25_scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every stored holding for the query (zeros when nothing matches)."""
        scores = np.zeros(len(self.items), dtype=np.float32)
        if self._bm25 is None:
            return scores
        known = [t for t in query_tokens if t in self._bm25.vocab_dict]
        if not known:
            return scores
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def encode_query(self, query: str) -> np.ndarray:
        if self.encoder is None:
            raise IndexError_("this memory was loaded without an encoder: dense search needs one")
        return np.asarray(self.encoder.encode_queries([query]), dtype=np.float32)[0]

    def dense_search(self, query_vec: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top-``k`` holdings by inner product; ``allowed`` (bool mask over items) restricts the candidates
        inside FAISS (an ID-selector bitmap), so a leakage filter never shortens the list."""
        if self._faiss is None or k <= 0:
            return []
        import faiss

        x = np.ascontiguousarray(query_vec.reshape(1, -1), dtype=np.float32)
        params = None
        if allowed is not None:
            if not allowed.any():
                return []
            bits = np.packbits(allowed.astype(bool), bitorder="little")
            params = faiss.SearchParameters(sel=faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits)))
            k = min(k, int(allowed.sum()))
        scores, ids = self._faiss.search(x, min(k, len(self.items)), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def allowed_mask(self, before: date | str | None = None, exclude: str | Iterable[str] | None = None) -> np.ndarray | None:
        """Bool mask of holdings allowed to vote: decided strictly before ``before`` and not of the excluded
        case number(s) — a merged 사건번호 is excluded by any of its individual numbers. None when nothing
        is filtered."""
        if before is None and not exclude:
            return None
        mask = np.ones(len(self.items), dtype=bool)
        if before is not None:
            mask &= self.decided_ord < _as_date(before).toordinal()
        if exclude:
            for case_no in [exclude] if isinstance(exclude, str) else exclude:
                for number in _case_numbers(case_no):
                    rows = self._rows_of_number.get(number)
                    if rows:
                        mask[rows] = False
        return mask

    # ---- persistence ------------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike) -> Path:
        """Write the memory to ``directory``, replacing it atomically (temp dir in the same parent + rename)."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}.", suffix=".tmp"))
        try:
            with open(tmp / "items.jsonl", "w", encoding="utf-8") as f:
                for it in self.items:
                    f.write(json.dumps(it.to_dict(), ensure_ascii=False) + "\n")
            if self.embeddings is not None:
                np.save(tmp / "embeddings.npy", self.embeddings.astype(np.float32))
            tok = self.tokenizer
            meta = {
                "format": "legalret-precedent-memory",
                "version": FORMAT_VERSION,
                "items": len(self.items),
                "cases": len(self._row_of_case),
                "with_summary": self.with_summary,
                "encoder_fingerprint": self.encoder_fingerprint if self.embeddings is not None else None,
                "dim": int(self.embeddings.shape[1]) if self.embeddings is not None else None,
                "tokenizer": f"{type(tok).__module__}.{type(tok).__qualname__}",
                "keep_keys": sorted(self.keep_keys) if self.keep_keys is not None else None,
                "decided_min": min((it.decided for it in self.items), default=None),
                "decided_max": max((it.decided for it in self.items), default=None),
            }
            (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
            old = None
            if directory.exists():
                old = directory.with_name(f".{directory.name}.old-{os.getpid()}")
                os.replace(directory, old)
            os.replace(tmp, directory)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return directory

    @classmethod
    def load(cls, directory: str | os.PathLike, encoder=None, tokenizer=None) -> "PrecedentMemory":
        """Load a saved memory. Pass the article index's ``encoder`` to search its dense vectors; its
        fingerprint must match the one the vectors were made with (else :class:`IndexError_`)."""
        directory = Path(directory)
        meta_path = directory / "meta.json"
        if not meta_path.is_file():
            raise IndexError_(f"{directory}: not a precedent memory (no meta.json)")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError as e:
            raise IndexError_(f"{meta_path}: corrupted ({e})") from e
        if meta.get("format") != "legalret-precedent-memory" or meta.get("version") != FORMAT_VERSION:
            raise IndexError_(f"{meta_path}: unsupported memory format {meta.get('format')!r} v{meta.get('version')}")
        items = []
        with open(directory / "items.jsonl", encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if line.strip():
                    try:
                        items.append(MemoryItem.from_dict(json.loads(line)))
                    except (ValueError, TypeError, KeyError) as e:
                        raise SourceError(str(directory / "items.jsonl"), f"not a memory item ({e})", line=lineno) from e
        if len(items) != meta.get("items"):
            raise IndexError_(f"{directory}: meta.json says {meta.get('items')} holdings, items.jsonl has {len(items)}")
        embeddings = None
        fingerprint = meta.get("encoder_fingerprint")
        emb_path = directory / "embeddings.npy"
        if emb_path.is_file():
            embeddings = np.load(emb_path)
            if encoder is not None and getattr(encoder, "fingerprint", None) != fingerprint:
                raise IndexError_(
                    f"{directory}: memory vectors were made by {fingerprint!r}, "
                    f"but the encoder is {getattr(encoder, 'fingerprint', None)!r}; rebuild the memory"
                )
        memory = cls(
            items,
            tokenizer=tokenizer,
            encoder=encoder if embeddings is not None else None,
            embeddings=embeddings,
            encoder_fingerprint=fingerprint,
            with_summary=bool(meta.get("with_summary", True)),
        )
        if meta.get("keep_keys") is not None:
            memory.keep_keys = frozenset(meta["keep_keys"])
            memory._keep_key = memory.keep_keys.__contains__
        return memory
