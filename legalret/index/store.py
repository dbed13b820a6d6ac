"""The on-disk index: a versioned manifest, the article store, the BM25 and FAISS indexes — swapped atomically.

Layout::

    <index>/
      CURRENT              {"generation": "gen-000003"}   ← replaced atomically (os.replace): the swap
      .lock                held (flock) by the one process writing a new generation
      gen-000001 … 000002  the previous generations (``keep``, default 3 in all), for ``legalret index rollback``
      gen-000003/
        manifest.json      schema version, encoder (spec, fingerprint, adapter, dim), tokenizer and BM25
                           settings, fusion settings, counts, laws, per-file size + sha256, stage timings
        articles.jsonl     every article (deleted ones too: citations to them must say "deleted")
        catalog.json       key, law, kind, … of every article: what loading needs without parsing the JSONL
                           (:mod:`legalret.index.article_store`; generations written before it are read whole)
        rows.json          searchable rows → article position, and each row's text hash
        tokens/            the Kiwi tokens of every row (re-used by ``index add``)
        bm25/              the bm25s index
        dense.faiss        FAISS IndexFlatIP, row i = rows.json row i (absent for a BM25-only index)
        dense.partitions.npz   k-means cells over the vectors, on large indexes (legalret.index.dense)
        memory/            optional parts written by the same commit (:class:`GenerationPart`; the precedent
                           memory of legalret.memory), listed in ``manifest["parts"]``, checksummed alike
        .verified          stamp: every file's size/mtime/ctime/inode when its sha256 last matched (not listed)

A new generation is written into ``.tmp-…`` beside the old one, verified, renamed, and only then does
``CURRENT`` point at it; a build that dies midway leaves the previous generation in place and loadable.
Loading checks the checksums cheaply: a full sha256 pass only when the ``.verified`` stamp no longer
matches the files (any write changes a file's mtime/ctime). Any error while reading becomes one
:class:`IndexError_` line naming the file and what to do (rebuild, or ``legalret index rollback``).

Usage::

    from legalret.index.store import load_index, read_manifest, rollback

    data = load_index("index/")      # IndexData: articles, rows, tokens, bm25, dense, manifest
    read_manifest("index/")["counts"]
    rollback("index/")                # the generation before the live one becomes live again
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping, NamedTuple, Protocol, Sequence

from legalret.articles import Article, read_articles
from legalret.atomic import atomic_path, fsync_tree, shareable_dir
from legalret.config import keep_generations
from legalret.errors import IndexError_, SourceError
from legalret.index.article_store import CATALOG, CATALOG_ARRAYS, ArticleStore, write_store
from legalret.index.bm25 import BM25Engine, BM25Params, TokenStore
from legalret.index.dense import DenseIndex
from legalret.index.folder import not_an_index_message
from legalret.text import compact

#: Bump when the layout or the meaning of a stored file changes; older indexes must be rebuilt.
SCHEMA_VERSION = 2  # 2: optional parts (the precedent memory) inside the generation
#: Versions this legalret reads (1 has no parts: its memory, if any, sat beside the generations).
READABLE_SCHEMAS = frozenset({1, 2})

CURRENT = "CURRENT"
LOCK = ".lock"
MANIFEST = "manifest.json"
ARTICLES = "articles.jsonl"
ROWS = "rows.json"
TOKENS = "tokens"
BM25_DIR = "bm25"
DENSE = "dense.faiss"
STAMP = ".verified"
#: The manifest field holding the sha256 of the rest of the manifest (:func:`manifest_checksum`).
CHECKSUM = "checksum"
#: Where an index written before schema 2 kept its precedent memory (beside the generations).
LEGACY_MEMORY_DIR = "memory"
_GEN = re.compile(r"^gen-(\d{6})$")
#: What to tell the user when a generation cannot be read.
ADVICE = "rebuild (legalret index build) or restore (legalret index rollback)"


class GenerationPart(Protocol):
    """Something written into a generation beside the articles, by the same atomic commit (the precedent
    memory). ``write`` fills ``directory`` (``<generation>/<name>``, created empty) and returns the
    manifest section stored under ``manifest[name]``."""

    def write(self, directory: Path) -> dict: ...


@dataclass
class IndexData:
    """Everything one generation holds, in memory."""

    manifest: dict
    articles: Sequence[Article]  # an ArticleStore when loaded; new Articles / StoredArticle refs when built
    rows: list[int]  # row → position in ``articles`` (deleted articles have no row)
    row_hashes: list[str]
    tokens: TokenStore
    bm25: BM25Engine
    dense: DenseIndex | None
    path: Path | None = None  # the generation directory it was loaded from
    parts: list[str] = field(default_factory=list)  # sub-directories written as GenerationParts
    by_key: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        if not self.by_key:
            keys = self.keys
            self.by_key = dict(zip(keys, range(len(keys))))  # (the dict comprehension's dict, ~2x faster: 140k keys)

    @property
    def keys(self) -> list[str]:
        """The key of every article (from the catalog: nothing is parsed)."""
        if isinstance(self.articles, ArticleStore):
            return self.articles.keys
        return [a.key for a in self.articles]

    def column(self, name: str) -> list:
        """``laws`` / ``kinds`` / ``deleted`` … of every article, without parsing a loaded store."""
        if isinstance(self.articles, ArticleStore):
            return list(getattr(self.articles, name))
        attr = {"keys": "key", "laws": "law", "kinds": "kind", "law_ids": "law_id",
                "effective_dates": "effective_date", "deleted": "deleted"}[name]
        return [getattr(a, attr) for a in self.articles]

    @property
    def row_keys(self) -> list[str]:
        keys = self.keys
        return [keys[i] for i in self.rows]


# ---- locking ------------------------------------------------------------------------------------
#: The lock descriptors this process holds. A forked child (a build's read-ahead, legalret.memory.update) closes
#: its copies at once: a flock belongs to the open file, so a child outliving a killed writer would otherwise keep
#: the index locked. (Closing, never unlocking: LOCK_UN from the child would release the parent's lock too.)
_HELD: set[int] = set()


def _close_held_in_child() -> None:
    for fd in _HELD:
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_in_child)


class IndexLock:
    """Exclusive, non-blocking writer lock on an index directory (``flock`` on ``<index>/.lock``)."""

    def __init__(self, index_dir: str | Path):
        self.path = Path(index_dir) / LOCK
        self._fd: int | None = None

    def __enter__(self) -> "IndexLock":
        where = self.path.parent
        if where.exists() and not where.is_dir():
            raise IndexError_(f"{where} is a file, not an index directory; choose another --index")
        try:
            where.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise IndexError_(f"{where}: cannot create the index directory ({e.strerror or e})") from None
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:  # (a read-only index folder: a PermissionError traceback)
            raise IndexError_(f"{where}: cannot write here ({e.strerror or e}; read-only?) — an index is changed by a "
                              "user who may write its folder") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise IndexError_(f"{self.path.parent}: index is locked by another build or add (pid {holder}); try again when it finishes") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        _HELD.add(fd)
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            _HELD.discard(self._fd)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


# ---- reading ------------------------------------------------------------------------------------
def no_index_message(index_dir: Path) -> str:
    """Why there is no index at ``index_dir``: a folder of other files says so (never "build one" among them)."""
    return not_an_index_message(index_dir) or f"no index at {index_dir}: build one with `legalret index build SOURCES --index {index_dir}`"


def pointer_stamp(pointer: str | os.PathLike) -> tuple | None:
    """What identifies the version of an index's ``CURRENT`` file (``pointer``, its path): (inode, size, mtime_ns);
    None when it is missing. ``CURRENT`` is replaced with ``os.replace`` on every new generation, so the inode changes
    even when two writes land within one mtime tick. (One ``stat``: a searcher asks on every search, a server on every
    request — :class:`~legalret.serve.live.LiveSearcher`, :meth:`~legalret.search.searcher.Searcher.moved_on`.)"""
    try:
        st = os.stat(pointer)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def current_generation(index_dir: str | Path) -> Path:
    """The directory of the live generation, or :class:`IndexError_` when there is no index here."""
    index_dir = Path(index_dir)
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexError_(f"{index_dir} is a file, not an index directory; choose another --index")
    pointer = index_dir / CURRENT
    if not pointer.is_file():
        if not index_dir.exists() or not generations(index_dir):
            raise IndexError_(no_index_message(index_dir))
        raise IndexError_(f"{pointer}: missing pointer to the live generation; {ADVICE}")
    try:
        gen = json.loads(pointer.read_text(encoding="utf-8"))["generation"]
    except (ValueError, KeyError, TypeError) as e:  # UnicodeDecodeError is a ValueError
        raise IndexError_(f"{pointer}: corrupted index pointer ({type(e).__name__}); {ADVICE}") from e
    if not isinstance(gen, str) or not _GEN.match(gen) or not (index_dir / gen).is_dir():
        raise IndexError_(f"{pointer}: points to a missing generation {gen!r}; {ADVICE}")
    return index_dir / gen


def generations(index_dir: str | Path) -> list[Path]:
    """Every complete generation directory, oldest first."""
    index_dir = Path(index_dir)
    if not index_dir.is_dir():
        return []
    return sorted((p for p in index_dir.iterdir() if _GEN.match(p.name) and p.is_dir()), key=lambda p: p.name)


def read_manifest(index_dir: str | Path, gen: Path | None = None) -> dict:
    """The manifest of the live generation (or of ``gen``), checked for the schema version."""
    gen = gen if gen is not None else current_generation(index_dir)
    path = gen / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexError_(f"{path}: manifest missing; {ADVICE}") from None
    except ValueError as e:
        raise IndexError_(f"{path}: corrupted manifest ({type(e).__name__}); {ADVICE}") from e
    version = manifest.get("schema_version") if isinstance(manifest, dict) else None
    if version not in READABLE_SCHEMAS:
        raise IndexError_(
            f"{path}: index schema version {version!r}, this legalret reads versions {sorted(READABLE_SCHEMAS)}; "
            "rebuild it with `legalret index build`"
        )
    return manifest


#: The manifest's record of the laws ``index add --rename`` indexed under a new name: old name → the name now.
RENAMED = "renamed"


def law_renames(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Old name → the held law's name now, for each law ``index add --rename`` renamed (the manifest's
    :data:`RENAMED`), as far as it applies to this generation: a name held again as a law of its own is that law, and
    a law no longer held (``index remove``) is no name to read another as. What the precedent memory's citations of
    the old name (a holding's 주택임대차보호법 제3조) and a query's resolve to: the new name's articles — a renamed law
    had dropped every citation of it, and its holdings had stopped voting."""
    laws = manifest.get("laws") or {}
    return {old: new for old, new in (manifest.get(RENAMED) or {}).items() if new in laws and old not in laws}


class UnknownLaw(IndexError_):
    """A law name the index holds no law of (:func:`held_laws_named`): ``name`` as given, ``suggestions`` (the nearest
    held names, for a "did you mean"), ``renamed_to`` (the name now held, when ``index add --rename`` renamed it) and
    ``held`` (how many laws the index holds). :meth:`hint` says it in the words every command uses."""

    def __init__(self, where: str | Path, name: str, suggestions: Sequence[str], renamed_to: str | None, held: int,
                 removed: bool = False):
        self.where, self.name, self.suggestions = where, name, list(suggestions)
        self.renamed_to, self.held, self.removed = renamed_to, held, removed
        super().__init__(f"{where}: no law {name!r} in this index ({self.hint(where)}); nothing was written")

    def hint(self, index: str | Path) -> str:
        if self.renamed_to is not None:
            return f"it was renamed {self.renamed_to} (index add --rename): remove that"
        if self.removed:
            return "it was removed already (`legalret index remove`)"
        if self.suggestions:
            return f"did you mean {', '.join(self.suggestions)}?"
        return f"it holds {self.held} laws; see `legalret index info --index {index}`"


def held_laws_named(manifest: Mapping[str, Any], names: Sequence[str], where: str | Path,
                    suggest: Callable[[str, Any], Sequence[str]] | None = None) -> list[str]:
    """The held laws ``names`` name, as the index spells them (any spacing: compared as :func:`~legalret.text.compact`
    makes names; not a short name, nor an old name of a renamed law), each once, in order — what ``index remove`` and
    :func:`legalret.index.build.add_to_index`'s ``remove_laws`` act on. A name the index does not hold raises
    :class:`UnknownLaw`, carrying the nearest held names: ``suggest(name, law_names)`` (the CLI's
    :func:`legalret.search.citations.suggested_laws`), else :meth:`legalret.keys.LawNames.closest` (three).

    A name in Hanja (民法) is read in Hangul first, as the search's law filter reads it
    (:meth:`legalret.search.filters.Filters.resolve_laws`): ``search --law 民法`` found the law that ``index remove
    民法`` called unknown, without a suggestion."""
    from legalret.hanja import has_hanja, read_hanja
    from legalret.keys import LawNames

    laws = manifest.get("laws") or {}
    held = {compact(name): name for name in laws}
    out: list[str] = []
    for given in names:
        read = read_hanja(given)[0] if has_hanja(given) else given
        law = held.get(compact(read))
        if law is None:
            known = LawNames(laws)
            close = suggest(read, known) if suggest is not None else known.closest(read, n=3)
            renamed = {compact(old): new for old, new in law_renames(manifest).items()}
            # (a name in Hanja: its reading is named, as the one the suggestions were found for)
            gone = {compact(name) for name in removed_laws(manifest)}
            raise UnknownLaw(where, given if read == given else f"{given} ({read})", close,
                             renamed.get(compact(read)), len(laws), removed=compact(read) in gone)
        out.append(law)
    return list(dict.fromkeys(out))


#: The manifest's record of the laws ``index remove`` removed, each as it was named → its 법령ID (None: the law had
#: none). A later ``index add`` of a law with that 법령ID under another name is that law renamed (``--rename`` links the
#: old name to the new one, as for a held law); a record ends when its law is held again, under either name.
REMOVED_LAWS = "removed_laws"


def removed_laws(manifest: Mapping[str, Any]) -> dict[str, str | None]:
    """The laws ``index remove`` removed that this generation does not hold (the manifest's :data:`REMOVED_LAWS`):
    name → 법령ID."""
    held = {compact(name) for name in manifest.get("laws") or {}}
    return {name: law_id for name, law_id in (manifest.get(REMOVED_LAWS) or {}).items() if compact(name) not in held}


def _file_state(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def manifest_checksum(manifest: dict) -> str:
    """sha256 of the manifest's own content (its settings: encoder, fusion weights, BM25 parameters …, and the
    file checksums), the ``checksum`` field itself left out: the manifest is covered like every file."""
    content = {k: v for k, v in manifest.items() if k != CHECKSUM}
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def verify_files(gen_dir: Path, manifest: dict, *, full: bool = True) -> None:
    """Check the manifest's own checksum, then every file listed in it: present, same size, and (``full``)
    same sha256. (Generations written before the manifest was checksummed have no ``checksum``.)"""
    if CHECKSUM in manifest and manifest[CHECKSUM] != manifest_checksum(manifest):
        raise IndexError_(f"{gen_dir / MANIFEST}: the manifest was changed after it was written (checksum "
                          f"mismatch: its settings are not the ones the index was built with); {ADVICE}")
    for rel, info in manifest.get("files", {}).items():
        path = gen_dir / rel
        if not path.is_file():
            raise IndexError_(f"{path}: missing index file; {ADVICE}")
        size = path.stat().st_size
        if size != info["bytes"]:
            raise IndexError_(f"{path}: corrupted index file ({size} bytes, manifest says {info['bytes']}); {ADVICE}")
        if full and _sha256(path) != info["sha256"]:
            raise IndexError_(f"{path}: corrupted index file (checksum mismatch); {ADVICE}")


def verify_generation(gen_dir: Path, manifest: dict) -> bool:
    """Full checksums, but only when needed: the ``.verified`` stamp records each file's size, mtime,
    ctime and inode when its sha256 last matched; any write or replacement changes one of them (ctime
    cannot be set back from user space), so an unchanged stamp proves the bytes are the verified ones.
    Returns True when the full pass ran. The stamp is written best effort (a read-only index re-hashes)."""
    files = [MANIFEST, *manifest.get("files", {})]
    stamp_path = gen_dir / STAMP
    try:
        state = {rel: _file_state(gen_dir / rel) for rel in files}
    except FileNotFoundError as e:
        raise IndexError_(f"{e.filename}: missing index file; {ADVICE}") from None
    try:
        if json.loads(stamp_path.read_text(encoding="utf-8")) == state:
            return False
    except (OSError, ValueError):
        pass
    verify_files(gen_dir, manifest, full=True)
    try:
        _write_json(stamp_path, state)
    except OSError:
        pass
    return True


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn any library error while reading ``path`` (faiss, json, numpy, bm25s, decoding) into one line."""
    try:
        yield
    except IndexError_:
        raise
    except SourceError as e:  # it names the file and the line itself: kept whole (cut at 160, the line was lost)
        where = e.path + (f":{e.line}" if e.line is not None else "") + (f":{e.column}" if e.line and e.column else "")
        what = (f"{e.field}: " if e.field else "") + (e.reason.splitlines()[0][:300] if e.reason else "")
        raise IndexError_(f"{where}: cannot read the index file ({what}); {ADVICE}") from e
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError, IndexError, AttributeError) as e:
        detail = str(e).splitlines()[0][:160] if str(e) else ""
        raise IndexError_(f"{path}: cannot read the index file ({type(e).__name__}{': ' + detail if detail else ''}); {ADVICE}") from e


#: What :func:`load_index` (and ``Searcher(verify=…)``) take.
VERIFY_MODES = ("stamp", "full", "size", "none")


def load_index(index_dir: str | Path, *, verify: str = "stamp", mmap: bool = False) -> IndexData:
    """Load the live generation. ``verify``: 'stamp' (sha256 of every file unless the verified stamp
    still matches: see :func:`verify_generation`), 'full' (always), 'size' or 'none'."""
    if verify not in VERIFY_MODES:  # ('bogus' had quietly run the 'size' check)
        raise ValueError(f"verify must be one of {', '.join(VERIFY_MODES)}, not {verify!r}")
    index_dir = Path(index_dir)
    gen = current_generation(index_dir)
    clean_stale_temps(index_dir)
    manifest = read_manifest(index_dir, gen)
    if verify == "stamp":
        verify_generation(gen, manifest)
    elif verify != "none":
        verify_files(gen, manifest, full=verify == "full")
    if (gen / CATALOG).is_file():
        with reading(gen / (CATALOG_ARRAYS if (gen / CATALOG_ARRAYS).is_file() else CATALOG)):
            articles: Sequence[Article] = ArticleStore.open(gen)
    else:
        with reading(gen / ARTICLES):
            articles = list(read_articles(gen / ARTICLES))
    with reading(gen / ROWS):
        rows_doc = json.loads((gen / ROWS).read_text(encoding="utf-8"))
        rows, hashes = [int(r) for r in rows_doc["rows"]], list(rows_doc["hashes"])
    with reading(gen / TOKENS):
        tokens = TokenStore.load(gen / TOKENS)
    with reading(gen / BM25_DIR):
        params = BM25Params.from_dict(manifest.get("bm25"))
        bm25 = BM25Engine.load(gen / BM25_DIR, params, mmap=mmap, vocab=lambda: tokens.vocab)
    dense = None
    if manifest.get("encoder"):
        with reading(gen / DENSE):
            dense = DenseIndex.load(gen / DENSE)
    n = len(rows)
    problems = []
    if len(hashes) != n:
        problems.append(f"{len(hashes)} hashes for {n} rows")
    if len(tokens) != n:
        problems.append(f"{len(tokens)} token lists for {n} rows")
    if n and bm25.num_docs != n:
        problems.append(f"BM25 has {bm25.num_docs} documents for {n} rows")
    if dense is not None:
        if len(dense) != n:
            problems.append(f"FAISS has {len(dense)} vectors for {n} rows")
        if dense.dim != manifest["encoder"].get("dim"):
            problems.append(f"FAISS dimension {dense.dim} != manifest {manifest['encoder'].get('dim')}")
    if rows and (min(rows) < 0 or max(rows) >= len(articles)):
        problems.append("rows point outside the article store")
    if problems:
        raise IndexError_(f"{gen}: inconsistent index ({'; '.join(problems)}); {ADVICE}")
    return IndexData(manifest, articles, rows, hashes, tokens, bm25, dense, path=gen, parts=list(manifest.get("parts", [])))


def clean_stale_temps(index_dir: Path) -> int:
    """Remove ``.tmp-*`` folders a killed writer left, when no writer holds the lock now (best effort:
    a reader without write permission leaves them)."""
    if not any(index_dir.glob(".tmp-*")):
        return 0
    try:
        with IndexLock(index_dir):
            return _remove_stale_temps(index_dir)
    except (IndexError_, OSError):
        return 0


# ---- writing ------------------------------------------------------------------------------------
def write_generation(
    index_dir: str | Path,
    data: IndexData,
    manifest: dict,
    parts: Mapping[str, GenerationPart] | None = None,
    *,
    keep: int | None = None,
) -> WrittenGeneration:
    """Write ``data`` (and ``parts``, each into ``<generation>/<name>/``) as a new generation and make it
    live atomically. Call with :class:`IndexLock` held.

    Files are written into ``<index>/.tmp-…``, checksummed into the manifest, fsynced, renamed to
    ``gen-NNNNNN``; then ``CURRENT`` is replaced (the atomic step) and generations beyond the newest
    ``keep`` (default :func:`legalret.config.keep_generations`) are removed. Returns the new generation's folder and
    the names of those removed (a report says them). Any exception — or a kill — before the swap leaves the previous
    generation live; the temp dir is removed now or at the next open. An ``OSError`` is one :class:`IndexError_` line
    naming the index folder, what was being written and why (:func:`_write_failure`).
    """
    index_dir = Path(index_dir)
    keep = keep_generations() if keep is None else keep  # (a bad LEGALRET_KEEP_GENERATIONS: said before the write)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(index_dir)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=index_dir))
        shareable_dir(tmp)
    except OSError as e:  # disk full or read-only before anything was written
        raise IndexError_(f"{e.filename or index_dir}: cannot start a new index generation "
                          f"({e.strerror or str(e).strip() or type(e).__name__}); the previous generation is intact and "
                          "still live") from e
    final: Path | None = None  # the renamed generation, until CURRENT points at it
    writing = "the article store"  # what is being written: a failure names it (numpy's says no file)
    try:
        write_store(tmp, data.articles)
        writing = "the row list"
        _write_json(tmp / ROWS, {"rows": data.rows, "hashes": data.row_hashes})
        writing = "the BM25 tokens"
        data.tokens.save(tmp / TOKENS)
        writing = "the BM25 index"
        data.bm25.save(tmp / BM25_DIR)
        if data.dense is not None:
            writing = "the dense vectors"
            data.dense.save(tmp / DENSE)
        manifest = dict(manifest)
        for name, part in (parts or {}).items():
            writing = _PART_NAMES.get(name, f"the {name} part")
            (tmp / name).mkdir()
            manifest[name] = part.write(tmp / name)
        writing = "the manifest"
        manifest["parts"] = sorted(parts or {})
        generation = _next_generation(index_dir)
        # the generation this one was made from (the live one now): a rollback returns to it, pruning keeps it
        manifest.update(schema_version=SCHEMA_VERSION, generation=generation, parent=_live_name(index_dir))
        manifest["files"] = {
            p.relative_to(tmp).as_posix(): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
            for p in sorted(tmp.rglob("*"))
            if p.is_file()
        }
        manifest[CHECKSUM] = manifest_checksum(manifest)
        _write_json(tmp / MANIFEST, manifest)
        writing = "the files to disk (fsync)"
        fsync_tree(tmp)
        writing = "the generation's folder (rename)"
        os.replace(tmp, index_dir / generation)
        final = index_dir / generation
        writing = f"the {CURRENT} pointer"
        _write_json(index_dir / CURRENT, {"generation": generation, "updated": _now()})  # the swap
    except OSError as e:  # disk full, permissions, I/O error: nothing changed, say so in one line
        message, full = _write_failure(e, index_dir, tmp, writing)  # (before the temp folder, and its files, is gone)
        _undo_write(index_dir, tmp, final)
        raise IndexError_(message + (_space_left(index_dir) if full else "")) from e
    except BaseException:  # Ctrl-C, SIGTERM (the CLI raises it as an interrupt), any other error
        _undo_write(index_dir, tmp, final)
        raise
    return WrittenGeneration(final, prune_generations(index_dir, keep))


class WrittenGeneration(NamedTuple):
    """What :func:`write_generation` made live, and the generations it pruned past ``keep`` (their names)."""

    path: Path
    pruned: list[str]


#: What a failure while writing a part says it was writing (:func:`write_generation`).
_PART_NAMES = {"memory": "the precedent memory", "facts": "the facts memory"}


def _undo_write(index_dir: Path, tmp: Path, final: Path | None) -> None:
    """A write that failed (or was interrupted) leaves nothing: its temp folder, and — renamed already, but ``CURRENT``
    not yet pointing at it — its generation folder (it had stayed, a complete generation no pointer named, and the
    next write numbered after it)."""
    shutil.rmtree(tmp, ignore_errors=True)
    if final is not None and _live_name(index_dir) != final.name:
        shutil.rmtree(final, ignore_errors=True)


def _write_failure(e: OSError, index_dir: Path, tmp: Path, writing: str) -> tuple[str, bool]:
    """The one line a failed write raises — the index folder (not the temp folder, deleted by then, that the error
    named), what was being written and the file, when known, and the cause in words: numpy's ``ndarray.tofile``
    raises ``OSError('Not enough free space to write N bytes after offset M')``, with no errno, strerror or filename,
    and the line had said only "(OSError)" and named the deleted temp folder — and whether the disk is full (the
    caller then adds :func:`_space_left`, once the temp folder is gone)."""
    why = e.strerror or str(e).strip() or type(e).__name__
    path = e.filename
    if isinstance(e, shutil.Error) and e.args and isinstance(e.args[0], list) and e.args[0]:
        path, why = e.args[0][0][1], str(e.args[0][0][2])  # (copytree's first failure: "(Error)" had said nothing)
    where, file = str(index_dir), None
    if path:
        try:
            file = Path(os.path.abspath(path)).relative_to(os.path.abspath(tmp)).as_posix()
        except ValueError:
            where = str(path)  # outside the temp folder (CURRENT's temp file, a cache): that file
    else:
        file = _last_written(tmp)
    line = (f"{where}: cannot write the new index generation (writing {writing}{', ' + file if file else ''}: "
            f"{why}); the previous generation is intact and still live")
    return line, e.errno == errno.ENOSPC or "space" in why.lower()


def _last_written(tmp: Path) -> str | None:
    """The file of ``tmp`` written last (the newest modification: the one a write failed in), relative to ``tmp``."""
    newest, name = -1, None
    for root, _, files in os.walk(tmp):
        for f in files:
            try:
                mtime = os.lstat(os.path.join(root, f)).st_mtime_ns
            except OSError:
                continue
            if mtime >= newest:
                newest, name = mtime, os.path.relpath(os.path.join(root, f), tmp)
    return Path(name).as_posix() if name is not None else None


def _space_left(index_dir: Path) -> str:
    """``; 212.0 MB free there, the live generation takes 329.4 MB — free some space and run it again`` ("" when the
    disk cannot be asked): what the new generation needs is about what the live one takes."""
    try:
        free = shutil.disk_usage(index_dir).free
    except OSError:
        return ""
    live = _live_name(index_dir)
    size = folder_bytes(index_dir / live) if live else 0
    return (f"; {_mb(free)} free there" + (f", the live generation takes {_mb(size)}" if size else "")
            + " — free some space and run it again")


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def prune_generations(index_dir: Path, keep: int | None = None) -> list[str]:
    """Remove all but the newest ``keep`` generations (never the live one); returns the removed names.

    **Nothing is lost by pruning**: a generation older than the ``keep`` newest is still kept when it is the
    last one holding something no later generation (nor the live one) holds — an article key, or a memory
    item (see :func:`generation_contents`). After ``index add --allow-removals`` of a partial file, the full
    generation before it is therefore kept however many adds follow, until the articles are back."""
    removed = []
    for beyond in beyond_keep(index_dir, keep):
        if not beyond.holds_alone:
            shutil.rmtree(Path(index_dir) / beyond.name, ignore_errors=True)
            removed.append(beyond.name)
    return removed


@dataclass(frozen=True)
class BeyondKeep:
    """A generation past the newest ``keep``: pruning removes it unless it ``holds_alone`` something (the
    :func:`generation_contents` no newer generation nor the live one holds: the last copy is kept); ``rolled_back_from``
    when it is no earlier state of the live generation but was made after one of them — the line a rollback left."""

    name: str
    holds_alone: frozenset[str]
    rolled_back_from: bool

    def articles_alone(self) -> list[str]:
        return sorted(item.split(" ", 1)[1] for item in self.holds_alone if item.startswith("article "))


def beyond_keep(index_dir: str | Path, keep: int | None = None) -> list[BeyondKeep]:
    """The generations past the newest ``keep`` (default :func:`legalret.config.keep_generations`), in pruning order,
    each with what it alone holds — the one rule :func:`prune_generations` removes by and ``index info`` explains
    by (a generation count above ``keep`` had been left unexplained). Reads only; raises :class:`IndexError_` when
    no generation is live."""
    index_dir = Path(index_dir)
    keep = keep_generations() if keep is None else max(1, int(keep))
    live = current_generation(index_dir)
    # the live generation's ancestors first (what a rollback returns to), then the others newest first: after a
    # rollback and an add, the generation rolled away from is the one to go, not the one the live one was made from
    line = ancestors(index_dir, live)
    newest = [g for g in generations(index_dir) if g.name != live.name][::-1]
    older = [g for name in line for g in newest if g.name == name] + [g for g in newest if g.name not in line]
    later: set[str] | None = None  # what the live and the newer generations hold (read only when needed)
    out = []
    for position, gen in enumerate(older):
        if position < keep - 1:
            continue
        if later is None:
            later = set(generation_contents(live))
            for newer in older[:position]:
                later |= generation_contents(newer)
        contents = generation_contents(gen)
        alone = frozenset(contents - later)
        later |= alone  # (the last copy is kept: an older generation's same item is no last copy)
        off_line = gen.name not in line and (gen.name > live.name or any(gen.name > name for name in line))
        out.append(BeyondKeep(gen.name, alone, rolled_back_from=off_line))
    return out


def _live_name(index_dir: Path) -> str | None:
    try:
        return current_generation(index_dir).name
    except IndexError_:
        return None


def ancestors(index_dir: Path, gen: Path) -> list[str]:
    """The generations ``gen`` was made from, nearest first, as far as each manifest names its ``parent`` and that
    generation is kept (indexes written before the field have none: the order of numbers stands for them)."""
    line: list[str] = []
    current = gen
    while True:
        try:
            parent = read_manifest(index_dir, current).get("parent")
        except (IndexError_, OSError, ValueError):
            return line
        if not parent or parent in line or parent == gen.name or not (index_dir / parent).is_dir():
            return line
        line.append(parent)
        current = index_dir / parent


def generation_contents(gen: Path) -> set[str]:
    """What a generation holds that an update could lose: ``article <key>`` for each article and
    ``<part> <사건번호> <n>`` for the n-th memory item of each decision in each part (precedent memory,
    facts). Texts are not compared: an amended article is an update, not a loss. An unreadable generation
    holds nothing (a rollback could not use it)."""
    try:
        manifest = read_manifest(gen.parent, gen)
        contents = {f"article {key}" for key in _article_keys(gen)}
        for part in manifest.get("parts", []):
            cases = gen / part / "cases.json"
            if not cases.is_file():
                continue
            seen: dict[str, int] = {}
            for case in json.loads(cases.read_text(encoding="utf-8")):
                seen[case] = seen.get(case, 0) + 1
                contents.add(f"{part} {case} {seen[case]}")
        return contents
    except (IndexError_, SourceError, OSError, ValueError, KeyError, TypeError):
        return set()


def _article_keys(gen: Path) -> list[str]:
    """The keys of a generation's articles, in its order (laws as indexed, each in article order)."""
    if (gen / CATALOG).is_file():
        return json.loads((gen / CATALOG).read_text(encoding="utf-8"))["keys"]
    return [a.key for a in read_articles(gen / ARTICLES)]


def live_generation(index_dir: str | Path) -> tuple[Path, str | None]:
    """``(live generation, None)``; when ``CURRENT`` is unreadable or points nowhere but generations are kept,
    ``(the newest kept generation, what is wrong with CURRENT)`` — what ``index info`` shows and ``index
    rollback`` repairs. Raises :class:`IndexError_` when there is no generation at all."""
    index_dir = Path(index_dir)
    try:
        return current_generation(index_dir), None
    except IndexError_ as e:
        gens = generations(index_dir)
        if not gens:
            raise
        return gens[-1], str(e)


def rollback(index_dir: str | Path, to: str | int | None = None) -> str:
    """Make an earlier generation live again (default: the one the live generation was made from — its manifest's
    ``parent``; for generations written before that field, the newest one older than the live one); it is
    verified first. When that parent is no longer kept (pruned), a plain rollback refuses in one line naming the
    kept generations rather than go to one that may not be an earlier state of the live one (``to`` still goes
    there). Returns its name. Takes the :class:`IndexLock`. Newer generations stay (a rollback can be undone by
    rolling "back" to the newer number). With an unreadable ``CURRENT`` (a garbage pointer),
    the default is the newest kept generation that verifies: the pointer is rebuilt from the generations."""
    index_dir = Path(index_dir)
    live_generation(index_dir)  # a clear error before the lock creates a directory
    with IndexLock(index_dir):
        return _rollback(index_dir, to)


def _rollback(index_dir: Path, to: str | int | None) -> str:
    live, broken = live_generation(index_dir)
    gens = generations(index_dir)
    if to is None:
        older = list(gens) if broken else [g for g in gens if g.name < live.name]
        line = [] if broken else ancestors(index_dir, live)
        if not older and not line:
            kept = ", ".join(g.name for g in gens)
            raise IndexError_(f"{index_dir}: no earlier generation to roll back to ({live.name} is the oldest kept; "
                              f"kept: {kept})")
        if not broken and not line and older:
            _refuse_a_jump_off_the_line(index_dir, live, gens)
        # the one the live generation was made from: after a rollback and an add, not the one rolled away from
        target = index_dir / line[0] if line else older[-1]
        if broken:  # the newest one that is intact (a half-damaged index may have a bad newest generation)
            for candidate in reversed(older):
                try:
                    verify_generation(candidate, read_manifest(index_dir, candidate))
                except IndexError_:
                    continue
                target = candidate
                break
    else:
        name = generation_name(to)
        target = index_dir / name
        if not _GEN.match(name) or not target.is_dir():
            kept = ", ".join(g.name for g in gens)
            raise IndexError_(f"{index_dir}: no generation {to!r} (kept: {kept})")
        if not broken and target.name == live.name:
            raise IndexError_(f"{index_dir}: {live.name} is already live")
    verify_generation(target, read_manifest(index_dir, target))
    _write_json(index_dir / CURRENT, {"generation": target.name, "updated": _now(),
                                      "rollback_from": live.name if not broken else f"unreadable {CURRENT}"})
    return target.name


def _refuse_a_jump_off_the_line(index_dir: Path, live: Path, gens: list[Path]) -> None:
    """A plain rollback goes only to an ancestor of the live generation. When its manifest names a parent that is no
    longer kept (pruned), or names none (written while no generation was live), the nearest older number may be a
    generation the user rolled away from: refuse in one line naming the kept ones and ``--to``. A live generation
    whose manifest cannot be read, or predates the ``parent`` field, keeps the old default (the nearest older one)."""
    try:
        manifest = read_manifest(index_dir, live)
    except (IndexError_, OSError, ValueError):
        return
    parent = manifest.get("parent", live.name)
    if parent and (index_dir / parent).is_dir():  # no field (an older index), or a parent still there: not this case
        return
    others = [g for g in gens if g.name != live.name]
    nearest = [g for g in others if g.name < live.name][-1]

    def made(g: Path) -> str:  # what is known of a kept generation's place (an ancestor has a lower number)
        if g.name > live.name:
            return f"{g.name}, newer than {live.name}"
        if parent and g.name > parent:
            return f"{g.name}, made before {parent} was live again (another line)"
        return f"{g.name}, older{f' than {parent}' if parent else ''} (not known to be an earlier state of {live.name})"

    if parent:
        why = f"{live.name} was made from {parent}, which is no longer kept (pruned)"
        none = f"no earlier state of {live.name} is kept" if all(g.name > parent for g in others) else \
            f"no kept generation is known to be an earlier state of {live.name}"
    else:
        why = f"{live.name} names no generation it was made from (it was written while none was live)"
        none = f"no kept generation is known to be an earlier state of {live.name}"
    raise IndexError_(
        f"{index_dir}: {why}, and {none} — kept: {'; '.join(made(g) for g in others)} — `legalret index rollback "
        f"--index {index_dir} --to {int(nearest.name.split('-')[1])}` goes to {nearest.name} anyway")


def generation_name(given: str | int) -> str:
    """A generation as a command names it — ``3``, ``"3"`` or ``"gen-000003"`` — as its folder is named
    (``gen-000003``); anything else is returned as given (the caller says no such generation is kept)."""
    return f"gen-{int(given):06d}" if str(given).isdigit() else str(given)


@dataclass(frozen=True)
class Forgotten:
    """What :func:`forget_generation` removed: the generation, the bytes its files took (those no other file shares),
    the last copies that went with it (``articles_lost``: keys; ``items_lost``: ``<part> <사건번호> <n>`` memory items)
    and whether it was the live generation's parent (the one a plain ``index rollback`` returned to)."""

    name: str
    bytes_freed: int
    articles_lost: list[str]
    items_lost: list[str]
    was_rollback_target: bool


def last_copies(index_dir: str | Path, gen: Path) -> tuple[list[str], list[str]]:
    """What ``gen`` holds that no other kept generation holds (:func:`generation_contents`: article keys, memory
    items) — what removing it would lose: ``(article keys in its order, memory items sorted)``. Texts are not
    compared, as for pruning: an older text of an article another generation holds is no last copy."""
    others: set[str] = set()
    for other in generations(index_dir):
        if other.name != gen.name:
            others |= generation_contents(other)
    alone = generation_contents(gen) - others
    # (in the generation's order: sorted as strings, 상법 제100조 came before 상법 제1조)
    articles = [key for key in _article_keys(gen) if f"article {key}" in alone] if alone else []
    return articles, sorted(item for item in alone if not item.startswith("article "))


def described_last_copies(articles: Sequence[str], items: Sequence[str] | int) -> str:
    """What a generation alone holds, in a line: ``3 article(s) (형법 제250조, 형법 제329조, 형법 제347조 … and 2
    more) and 4 precedent or facts memory item(s) (2020다8807 (memory), …)`` — ``items`` as a count names none (what
    ``index info`` and ``index forget`` say of a last copy)."""
    said = []
    if articles:
        shown = ", ".join(articles[:3]) + (f" … and {len(articles) - 3} more" if len(articles) > 3 else "")
        said.append(f"{len(articles)} article(s) ({shown})")
    if isinstance(items, int):
        said += [f"{items} precedent or facts memory item(s)"] if items else []
    elif items:
        said.append(f"{len(items)} precedent or facts memory item(s) ({described_items(items)})")
    return " and ".join(said)


def described_items(items: Sequence[str], shown: int = 3) -> str:
    """``2020다8807 (memory), 2019다1 (facts) … and 4 more``: memory items (``<part> <사건번호> <n>``) as a line names
    them — by decision."""
    named = []
    for item in items[:shown]:
        part, case, _ = item.split(" ")
        named.append(f"{case} ({part})")
    return ", ".join(named) + (f" … and {len(items) - shown} more" if len(items) > shown else "")


def forget_generation(index_dir: str | Path, which: str | int, *, allow_loss: bool = False) -> Forgotten:
    """Remove one kept generation that is not live, on purpose (``legalret index forget``): pruning never removes the
    last copy of an article or memory item, so after a deliberate removal (``index remove``, ``index add
    --allow-removals``) the generation holding it stayed, hundreds of MB, however many generations followed.

    Refused in one :class:`IndexError_` line, nothing removed: a generation not kept (the kept ones named), the live
    one, any while ``CURRENT`` is unreadable (which is live is not known: ``index rollback`` repairs it first), and —
    unless ``allow_loss`` — one holding the last copy of something (:func:`last_copies`: named, with the counts).
    Takes the :class:`IndexLock` (a build or add in progress: refused). The folder is first renamed to a ``.tmp-``
    name, then deleted: a kill midway leaves no half generation, only a leftover temp folder that the next write or
    search removes (:func:`clean_stale_temps`)."""
    index_dir = Path(index_dir)
    live_generation(index_dir)  # a clear error before the lock creates a directory
    with IndexLock(index_dir):
        live, broken = live_generation(index_dir)
        name = generation_name(which)
        gen = index_dir / name
        kept = [g.name for g in generations(index_dir)]
        if not _GEN.match(name) or not gen.is_dir():
            raise IndexError_(f"{index_dir}: no generation {str(which)!r} (kept: {', '.join(kept)}); nothing was removed")
        if broken:
            raise IndexError_(f"{index_dir}: which generation is live is not known ({broken}); nothing was removed — "
                              f"`legalret index rollback --index {index_dir}` repairs the pointer first")
        number = int(name.split("-")[1])
        if name == live.name:
            raise IndexError_(f"{index_dir}: {name} is the live generation; nothing was removed — a live generation is "
                              f"not forgotten (`legalret index rollback --index {index_dir}` makes another live first)")
        articles, items = last_copies(index_dir, gen)
        if (articles or items) and not allow_loss:
            raise IndexError_(
                f"{index_dir}: {name} holds the last copy of {described_last_copies(articles, items)} — no other kept "
                f"generation holds them; nothing was removed — pass --yes to delete them with it, or `legalret index rollback --index "
                f"{index_dir} --to {number}` makes it live")
        line = ancestors(index_dir, live)
        size = folder_bytes(gen, freed_only=True)
        doomed = index_dir / f".tmp-forget-{name}"
        try:
            os.rename(gen, doomed)  # (atomic: the generation is whole, or gone from the list)
        except OSError as e:
            raise IndexError_(f"{gen}: cannot remove it ({e.strerror or type(e).__name__}); nothing was removed") from e
        shutil.rmtree(doomed, ignore_errors=True)  # (what is left is a leftover temp folder, removed later)
    return Forgotten(name, size, articles, items, was_rollback_target=bool(line) and line[0] == name)


@dataclass(frozen=True)
class TempFolders:
    """The ``.tmp-*`` folders in an index folder (name → bytes) and whether a writer holds the index lock now: then
    they may be its work in progress (``writer``: its pid as the lock file records it); else they are leftovers of a
    write that was killed — what :func:`clean_stale_temps` removes."""

    folders: dict[str, int]
    writing: bool
    writer: str | None = None


def temp_folders(index_dir: str | Path) -> TempFolders:
    """What ``index info`` says of the ``.tmp-*`` folders (reads only: it removes nothing). The lock is probed with a
    shared, non-blocking ``flock`` released at once — as :func:`clean_stale_temps` decides, by whether a writer holds
    it — never created, so a folder without ``.lock`` had no writer."""
    index_dir = Path(index_dir)
    folders = {p.name: folder_bytes(p) for p in sorted(index_dir.glob(".tmp-*")) if p.is_dir()}
    if not folders:
        return TempFolders({}, writing=False)
    writing, holder = _lock_holder(index_dir)
    return TempFolders(folders, writing=writing, writer=holder)


def _lock_holder(index_dir: Path) -> tuple[bool, str | None]:
    """Whether a writer holds the index lock now, and its pid as the lock file records it. Probed with a shared,
    non-blocking ``flock`` released at once; the lock file is never created (none: no writer)."""
    try:
        fd = os.open(index_dir / LOCK, os.O_RDONLY)
    except OSError:
        return False, None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True, os.pread(fd, 64, 0).decode(errors="replace").strip() or None
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False, None
    finally:
        os.close(fd)


def check_unlocked(index_dir: str | Path) -> None:
    """Refuse at once, in the words of :class:`IndexLock`, when another build, add, remove or forget holds the index
    lock: a command checks before it reads its sources (a second ``index add`` had read them, printed a stage timing,
    and only then been refused). Only a probe: the write takes the lock itself, and a writer may start meanwhile."""
    index_dir = Path(index_dir)
    locked, holder = _lock_holder(index_dir)
    if locked:
        raise IndexError_(f"{index_dir}: index is locked by another build or add (pid {holder or '?'}); try again when "
                          "it finishes")


def folder_bytes(folder: str | os.PathLike, *, freed_only: bool = False) -> int:
    """The bytes of ``folder``'s files (links not followed); ``freed_only``: those that deleting it frees (a file
    linked elsewhere too, ``st_nlink`` > 1, frees nothing)."""
    total = 0
    for root, _, files in os.walk(folder):
        for f in files:
            try:
                st = os.lstat(os.path.join(root, f))
            except OSError:  # (a writer or a cleaner removing it meanwhile)
                continue
            if not freed_only or st.st_nlink == 1:
                total += st.st_size
    return total


def _next_generation(index_dir: Path) -> str:
    numbers = [int(m[1]) for p in index_dir.iterdir() if (m := _GEN.match(p.name))]
    return f"gen-{max(numbers, default=0) + 1:06d}"


def _remove_stale_temps(index_dir: Path) -> int:
    # Left by a build that was killed; safe to remove because the caller holds the lock.
    stale = list(index_dir.glob(".tmp-*"))
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)
    return len(stale)


def _write_json(path: Path, obj: Any) -> None:
    with atomic_path(path, fsync=True) as tmp, open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1 if path.name != ROWS else None)


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
