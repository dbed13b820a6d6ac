"""The article store of an index generation: every article as one JSON line, parsed only when used.

The full corpus holds ~140k articles (110 MB of JSON). Parsing all of them costs seconds on every
``legalret search`` start and every ``index add``, yet a search shows ten articles and an update changes one
law. So a generation keeps, beside ``articles.jsonl``, a small ``catalog.json`` with the columns that are
needed for *every* article (key, law, kind, law id, effective date, deleted); :class:`ArticleStore` reads the
catalog and the raw bytes, and parses an article the first time it is asked for.

Generations written since ``catalog.npz`` was added hold the same columns there too, in a form that opens
without a JSON parse (~10 ms instead of ~0.1 s for the all-law index's 140k articles): each text column as its
distinct values joined by newlines plus a code per article, the keys joined by newlines, and the byte offset
of every line of ``articles.jsonl`` (not found by scanning the file). ``catalog.json`` stays beside it, what
older generations have and older legalret versions read.

An update writes a new generation from a mix of new :class:`~legalret.articles.Article` objects and
:class:`StoredArticle` references to lines of the previous store, which are copied byte for byte — the
unchanged 139k articles of an amended-law update are never parsed or re-serialized.

Usage::

    from legalret.index.article_store import ArticleStore, write_store

    store = ArticleStore.open(gen_dir)      # reads catalog.json, maps articles.jsonl
    store.keys[0], store.laws[0]            # columns: no JSON parsed
    store[0]                                # an Article, parsed on first access
    write_store(new_dir, [store.ref(0), new_article])   # copies line 0, serializes the new one
"""

from __future__ import annotations

import json
import mmap
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence, Union

import numpy as np

from legalret.articles import Article, ArticleFieldError, not_utf8
from legalret.errors import SourceError

ARTICLES = "articles.jsonl"
CATALOG = "catalog.json"
#: The catalog's columns and the line offsets as arrays (generations written since it was added).
CATALOG_ARRAYS = "catalog.npz"
#: The per-article columns of ``catalog.json`` (each a list with one entry per article, in store order).
COLUMNS = ("keys", "laws", "kinds", "law_ids", "effective_dates", "deleted")


@dataclass(frozen=True)
class StoredArticle:
    """A reference to article ``pos`` of ``store``: carried into a new generation without being parsed."""

    store: "ArticleStore"
    pos: int

    @property
    def key(self) -> str:
        return self.store.keys[self.pos]

    @property
    def law(self) -> str:
        return self.store.laws[self.pos]

    @property
    def kind(self) -> str:
        return self.store.kinds[self.pos]

    @property
    def law_id(self) -> str | None:
        return self.store.law_ids[self.pos]

    @property
    def effective_date(self) -> str | None:
        return self.store.effective_dates[self.pos]

    @property
    def deleted(self) -> bool:
        return bool(self.store.deleted[self.pos])

    def load(self) -> Article:
        return self.store[self.pos]

    def index_text(self) -> str:
        return self.load().index_text()


#: What a new generation is written from.
Entry = Union[Article, StoredArticle]


class ArticleStore(Sequence[Article]):
    """The articles of one generation (see the module docstring). Indexing parses and caches one article."""

    def __init__(self, data: bytes | mmap.mmap, starts: np.ndarray, columns: dict, path: Path | None = None):
        self._data = data
        self._starts = starts  # byte offset of every line, plus the end
        self.keys: list[str] = columns["keys"]
        self.laws: list[str] = columns["laws"]
        self.kinds: list[str] = columns["kinds"]
        self.law_ids: list[str | None] = columns["law_ids"]
        self.effective_dates: list[str | None] = columns["effective_dates"]
        self.deleted = np.asarray(columns["deleted"], dtype=bool)
        self.path = path
        self._parsed: dict[int, Article] = {}
        self._titles: dict[int, str] = {}

    @classmethod
    def open(cls, gen_dir: str | Path) -> "ArticleStore":
        gen_dir = Path(gen_dir)
        path = gen_dir / ARTICLES
        data = _map(path)
        if (gen_dir / CATALOG_ARRAYS).is_file():
            starts, columns = _read_arrays(gen_dir / CATALOG_ARRAYS)
            if len(starts) != len(columns["keys"]) + 1 or int(starts[-1]) != len(data):
                raise SourceError(str(gen_dir / CATALOG_ARRAYS), f"{len(columns['keys'])} articles ending at byte "
                                  f"{int(starts[-1])}, but {ARTICLES} has {len(data)} bytes")
            return cls(data, starts, columns, path)
        ends = []  # JSON escapes newlines inside strings: one line = one article
        find, at = data.find, data.find(b"\n")
        while at >= 0:  # (memchr per line: ~0.05 s for 132k lines, no copy of the file)
            ends.append(at + 1)
            at = find(b"\n", at + 1)
        if len(data) and (not ends or ends[-1] != len(data)):
            ends.append(len(data))
        starts = np.array([0, *ends], dtype=np.int64)
        try:
            columns = json.loads((gen_dir / CATALOG).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SourceError(str(gen_dir / CATALOG), "missing (the index is corrupted; rebuild it)") from None
        except ValueError as e:
            raise SourceError(str(gen_dir / CATALOG), f"not valid JSON ({e})") from e
        bad = [c for c in COLUMNS if not isinstance(columns.get(c), list) or len(columns[c]) != len(starts) - 1]
        if bad:
            raise SourceError(str(gen_dir / CATALOG), f"columns {bad} do not match the {len(starts) - 1} lines of {ARTICLES}")
        return cls(data, starts, columns, path)

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, pos):  # type: ignore[override]
        if isinstance(pos, slice):
            return [self[i] for i in range(*pos.indices(len(self)))]
        if pos < 0:
            pos += len(self)
        art = self._parsed.get(pos)
        if art is None:
            line = self.line(pos)
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as e:  # (json.loads of the bytes said "'utf-8' codec can't decode …")
                raise SourceError(str(self.path), not_utf8(e), line=pos + 1) from e
            try:
                art = Article.from_dict(json.loads(text))
            except ArticleFieldError as e:
                raise SourceError(str(self.path), e.reason, line=pos + 1, field=e.field) from e
            except (ValueError, TypeError, KeyError) as e:
                raise SourceError(str(self.path), f"not an article record ({e})", line=pos + 1) from e
            if art.key != self.keys[pos]:
                raise SourceError(str(self.path), f"article {art.key!r} where the catalog says {self.keys[pos]!r}", line=pos + 1)
            self._parsed[pos] = art
        return art

    def __iter__(self) -> Iterator[Article]:
        return (self[i] for i in range(len(self)))

    def title(self, pos: int) -> str:
        """Article ``pos``'s title (조문제목) without parsing the article: the re-ranker reads the titles of 100
        candidates per query (~7 µs each from the line's head, ~50 µs to parse the whole article; measured on the
        all-law index, 2,000 random articles)."""
        title = self._titles.get(pos)
        if title is None:
            if pos in self._parsed:
                title = self._parsed[pos].title
            else:
                line = self.line(pos)
                m = _TITLE.search(line, 0, line.find(b'"paragraphs"'))  # a top-level field: before the texts
                try:
                    title = json.loads(m.group(1)) if m else self[pos].title
                except ValueError:  # not UTF-8 (a raw UnicodeDecodeError in a search) or no JSON string: the
                    title = self[pos].title  # whole line is parsed, and its SourceError names the file and line
            self._titles[pos] = title
        return title

    def line(self, pos: int) -> bytes:
        """The stored JSON line of article ``pos`` (newline included)."""
        return self._data[self._starts[pos] : self._starts[pos + 1]]

    def ref(self, pos: int) -> StoredArticle:
        return StoredArticle(self, pos)

    def refs(self) -> list[StoredArticle]:
        return [StoredArticle(self, i) for i in range(len(self))]


_TITLE = re.compile(rb'"title":\s*("(?:[^"\\]|\\.)*")')


def _map(path: Path) -> bytes | mmap.mmap:
    """The file's bytes, memory-mapped read-only: a search reads ten articles of a 200 MB store, so only
    their pages are read (``read_bytes`` cost ~0.5 s CPU and the whole file resident). A generation's files are
    never rewritten in place, so the mapping stays valid (a removed generation stays readable while mapped)."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return b""
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def write_store(gen_dir: str | Path, entries: Sequence[Entry]) -> None:
    """Write ``articles.jsonl`` + ``catalog.json`` into ``gen_dir`` (a new generation's temp directory).

    References are copied as bytes; new articles are serialized as :func:`legalret.articles.write_articles`
    does."""
    gen_dir = Path(gen_dir)
    if isinstance(entries, ArticleStore):
        entries = entries.refs()
    columns: dict[str, list] = {c: [] for c in COLUMNS}
    lengths: list[int] = []  # of every line: the offsets catalog.npz keeps
    with open(gen_dir / ARTICLES, "wb") as f:
        for entry in entries:
            if isinstance(entry, StoredArticle):
                line = entry.store.line(entry.pos)
            else:
                line = json.dumps(entry.to_dict(), ensure_ascii=False).encode("utf-8") + b"\n"
            f.write(line)
            lengths.append(len(line))
            columns["keys"].append(entry.key)
            columns["laws"].append(entry.law)
            columns["kinds"].append(entry.kind)
            columns["law_ids"].append(entry.law_id)
            columns["effective_dates"].append(entry.effective_date)
            columns["deleted"].append(1 if entry.deleted else 0)
    with open(gen_dir / CATALOG, "w", encoding="utf-8") as f:
        json.dump(columns, f, ensure_ascii=False, separators=(",", ":"))
    _write_arrays(gen_dir / CATALOG_ARRAYS, columns, lengths)


#: The text columns stored as codes into their distinct values (few: 2 kinds, ~3k laws, ~600 dates).
_CODED = ("laws", "kinds", "law_ids", "effective_dates")


def _write_arrays(path: Path, columns: dict[str, list], lengths: list[int]) -> None:
    """``catalog.npz`` (see the module docstring); not written when a value holds a newline (the catalog.json
    alone is read then)."""
    texts = [columns["keys"], *(columns[c] for c in _CODED)]
    if any("\n" in value for column in texts for value in column if value is not None):
        return
    arrays = {"keys": np.frombuffer("\n".join(columns["keys"]).encode("utf-8"), dtype=np.uint8),
              "deleted": np.asarray(columns["deleted"], dtype=np.uint8),
              "starts": np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype=np.int64))]).astype(np.int64)}
    for name in _CODED:
        distinct: dict[str, int] = {}
        codes = [-1 if value is None else distinct.setdefault(value, len(distinct)) for value in columns[name]]
        arrays[f"{name}_values"] = np.frombuffer("\n".join(distinct).encode("utf-8"), dtype=np.uint8)
        arrays[f"{name}_count"] = np.asarray(len(distinct), dtype=np.int64)  # (no value vs one empty value)
        arrays[f"{name}_codes"] = np.asarray(codes, dtype=np.int32)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _read_arrays(path: Path) -> tuple[np.ndarray, dict]:
    """The line offsets and the columns of a ``catalog.npz`` (as :class:`ArticleStore` takes them)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            keys = z["keys"].tobytes().decode("utf-8")
            columns: dict = {"keys": keys.split("\n") if z["starts"].shape[0] > 1 else [], "deleted": z["deleted"]}
            for name in _CODED:
                values = z[f"{name}_values"].tobytes().decode("utf-8").split("\n")[: int(z[f"{name}_count"])]
                codes = z[f"{name}_codes"]
                if len(codes) != len(columns["keys"]) or (len(codes) and (codes.min() < -1 or codes.max() >= len(values))):
                    raise ValueError(f"{name}: {len(codes)} codes into {len(values)} values for {len(columns['keys'])} articles")
                columns[name] = np.array([*values, None], dtype=object)[codes].tolist()  # (code −1: the None)
            starts = z["starts"]
    except (KeyError, EOFError, zipfile.BadZipFile, ValueError) as e:
        raise SourceError(str(path), f"not an article catalog ({type(e).__name__}: {e}); rebuild the index") from e
    if len(columns["deleted"]) != len(columns["keys"]):
        raise SourceError(str(path), f"{len(columns['deleted'])} deleted flags for {len(columns['keys'])} articles")
    return starts, columns


def as_article(entry: Entry) -> Article:
    """The article an entry stands for (a reference is parsed)."""
    return entry.load() if isinstance(entry, StoredArticle) else entry
