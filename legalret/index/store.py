"""The on-disk index: a versioned manifest, the article store, the BM25 and FAISS indexes — swapped atomically.

Layout::

    <index>/
      CURRENT              {"generation": "gen-000003"}   ← replaced atomically (os.replace): the swap
      .lock                held (flock) by the one process writing a new generation
      memory/              optional precedent memory (legalret.memory), loaded by the searcher if present
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

A new generation is written into ``.tmp-…`` beside the old one, verified, renamed, and only then does
``CURRENT`` point at it; a build that dies midway leaves the previous generation in place and loadable.

Usage::

    from legalret.index.store import load_index, read_manifest

    data = load_index("index/")      # IndexData: articles, rows, tokens, bm25, dense, manifest
    read_manifest("index/")["counts"]
"""

from __future__ import annotations

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
from typing import Any, Sequence


from legalret.articles import Article, read_articles
from legalret.index.article_store import CATALOG, ArticleStore, write_store
from legalret.atomic import atomic_path
from legalret.errors import IndexError_, SourceError
from legalret.index.bm25 import BM25Engine, BM25Params, TokenStore
from legalret.index.dense import DenseIndex

#: Bump when the layout or the meaning of a stored file changes; older indexes must be rebuilt.
SCHEMA_VERSION = 1

CURRENT = "CURRENT"
LOCK = ".lock"
MANIFEST = "manifest.json"
ARTICLES = "articles.jsonl"
ROWS = "rows.json"
TOKENS = "tokens"
BM25_DIR = "bm25"
DENSE = "dense.faiss"
MEMORY_DIR = "memory"
_GEN = re.compile(r"^gen-(\d{6})$")


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
    by_key: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        if not self.by_key:
            self.by_key = {key: i for i, key in enumerate(self.keys)}

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
class IndexLock:
    """Exclusive, non-blocking writer lock on an index directory (``flock`` on ``<index>/.lock``)."""

    def __init__(self, index_dir: str | Path):
        self.path = Path(index_dir) / LOCK
        self._fd: int | None = None

    def __enter__(self) -> "IndexLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise IndexError_(f"{self.path.parent}: index is locked by another build or add (pid {holder}); try again when it finishes") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


# ---- reading ------------------------------------------------------------------------------------
def current_generation(index_dir: str | Path) -> Path:
    """The directory of the live generation, or :class:`IndexError_` when there is no index here."""
    index_dir = Path(index_dir)
    pointer = index_dir / CURRENT
    if not pointer.is_file():
        if not index_dir.exists():
            raise IndexError_(f"{index_dir}: no index here (build one with `legalret index build SOURCES --index DIR`)")
        raise IndexError_(f"{index_dir}: not a legalret index (no {CURRENT} file)")
    try:
        gen = json.loads(pointer.read_text(encoding="utf-8"))["generation"]
    except (ValueError, KeyError, TypeError) as e:
        raise IndexError_(f"{pointer}: corrupted index pointer ({e})") from e
    if not isinstance(gen, str) or not _GEN.match(gen) or not (index_dir / gen).is_dir():
        raise IndexError_(f"{pointer}: points to a missing generation {gen!r}; rebuild the index")
    return index_dir / gen


def read_manifest(index_dir: str | Path) -> dict:
    """The manifest of the live generation, checked for the schema version."""
    gen = current_generation(index_dir)
    path = gen / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexError_(f"{path}: manifest missing; the index is corrupted, rebuild it") from None
    except ValueError as e:
        raise IndexError_(f"{path}: corrupted manifest ({e}); rebuild the index") from e
    version = manifest.get("schema_version") if isinstance(manifest, dict) else None
    if version != SCHEMA_VERSION:
        raise IndexError_(
            f"{path}: index schema version {version!r}, this legalret reads version {SCHEMA_VERSION}; "
            "rebuild it with `legalret index build`"
        )
    return manifest


def verify_files(gen_dir: Path, manifest: dict, *, full: bool = True) -> None:
    """Check every file listed in the manifest: present, same size, and (``full``) same sha256."""
    for rel, info in manifest.get("files", {}).items():
        path = gen_dir / rel
        if not path.is_file():
            raise IndexError_(f"{path}: missing index file; rebuild the index")
        size = path.stat().st_size
        if size != info["bytes"]:
            raise IndexError_(f"{path}: corrupted index file ({size} bytes, manifest says {info['bytes']}); rebuild the index")
        if full and _sha256(path) != info["sha256"]:
            raise IndexError_(f"{path}: corrupted index file (checksum mismatch); rebuild the index")


def load_index(index_dir: str | Path, *, verify: str = "full", mmap: bool = False) -> IndexData:
    """Load the live generation. ``verify``: 'full' (sha256 of every file), 'size' or 'none'."""
    gen = current_generation(index_dir)
    manifest = read_manifest(index_dir)
    if verify != "none":
        verify_files(gen, manifest, full=verify == "full")
    try:
        articles: Sequence[Article] = (
            ArticleStore.open(gen) if (gen / CATALOG).is_file() else list(read_articles(gen / ARTICLES))
        )
        rows_doc = json.loads((gen / ROWS).read_text(encoding="utf-8"))
        rows, hashes = [int(r) for r in rows_doc["rows"]], list(rows_doc["hashes"])
        tokens = TokenStore.load(gen / TOKENS)
        bm25 = BM25Engine.load(gen / BM25_DIR, BM25Params.from_dict(manifest.get("bm25")), mmap=mmap)
        dense = DenseIndex.load(gen / DENSE) if manifest.get("encoder") else None
    except IndexError_:
        raise
    except (SourceError, OSError, ValueError, KeyError, TypeError, RuntimeError) as e:
        raise IndexError_(f"{gen}: cannot read the index ({type(e).__name__}: {e}); rebuild it") from e
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
    if any(r < 0 or r >= len(articles) for r in rows):
        problems.append("rows point outside the article store")
    if problems:
        raise IndexError_(f"{gen}: inconsistent index ({'; '.join(problems)}); rebuild it")
    return IndexData(manifest, articles, rows, hashes, tokens, bm25, dense, path=gen)


# ---- writing ------------------------------------------------------------------------------------
def write_generation(index_dir: str | Path, data: IndexData, manifest: dict) -> Path:
    """Write ``data`` as a new generation and make it live atomically. Call with :class:`IndexLock` held.

    Files are written into ``<index>/.tmp-…``, checksummed into the manifest, re-verified, renamed to
    ``gen-NNNNNN``; then ``CURRENT`` is replaced (the atomic step) and older generations are removed.
    Any exception before the swap leaves the previous generation live and removes the temp dir.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(index_dir)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=index_dir))
    try:
        write_store(tmp, data.articles)
        _write_json(tmp / ROWS, {"rows": data.rows, "hashes": data.row_hashes})
        data.tokens.save(tmp / TOKENS)
        data.bm25.save(tmp / BM25_DIR)
        if data.dense is not None:
            data.dense.save(tmp / DENSE)
        generation = _next_generation(index_dir)
        manifest = dict(manifest, schema_version=SCHEMA_VERSION, generation=generation)
        manifest["files"] = {
            p.relative_to(tmp).as_posix(): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
            for p in sorted(tmp.rglob("*"))
            if p.is_file()
        }
        _write_json(tmp / MANIFEST, manifest)
        _fsync_tree(tmp)
        final = index_dir / generation
        os.replace(tmp, final)
        _write_json(index_dir / CURRENT, {"generation": generation, "updated": _now()})  # the swap
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in index_dir.iterdir():
        if _GEN.match(old.name) and old.name != generation:
            shutil.rmtree(old, ignore_errors=True)
    return final


def _next_generation(index_dir: Path) -> str:
    numbers = [int(m[1]) for p in index_dir.iterdir() if (m := _GEN.match(p.name))]
    return f"gen-{max(numbers, default=0) + 1:06d}"


def _remove_stale_temps(index_dir: Path) -> None:
    # Left by a build that was killed; safe to remove because the caller holds the lock.
    for p in index_dir.glob(".tmp-*"):
        shutil.rmtree(p, ignore_errors=True)


def _write_json(path: Path, obj: Any) -> None:
    with atomic_path(path, fsync=True) as tmp, open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1 if path.name != ROWS else None)


def _fsync_tree(root: Path) -> None:
    for p in root.rglob("*"):
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
