"""A tokenization cache: the BM25 tokens of texts already tokenized, keyed by text hash, reused across builds.

Kiwi is most of a build's CPU time after the encoder: 민법+상법 with both memories runs ~50k holdings and facts
through it (~29 ms of CPU per 1,400-character facts text), all acts and decrees ~280k texts. The same texts
come back in every rebuild, in ``index add`` and in every memory built from the same precedents, so their
tokens are kept on disk and read back instead of re-analysed.

Validity: a cache directory holds tokens for exactly one **tokenizer fingerprint** — the tokenizer settings
(:class:`~legalret.index.tokenize.TokenizerSettings`: dictionaries, tags, stopwords, user words), the
kiwipiepy and kiwipiepy_model versions, and a hash of the token filter's source (the methods of
:class:`~legalret.index.tokenize.KiwiTokenizer` that turn morphemes into tokens). Change any of them and the
tokenizer looks in another directory: nothing stale is ever read.

Layout: ``$LEGALRET_HOME/cache/tokens/<fingerprint digest>/`` (``$LEGALRET_TOKEN_CACHE``: another folder, or
``off``) holding ``fingerprint.json`` (what the digest stands for) and ``chunk-*.npz`` files, each the tokens of
one batch of texts (their hashes, then the tokens as one UTF-8 blob). A chunk is written to a temporary name
and renamed into place, so a build killed at any moment leaves only whole chunks — and the resumed build reads
back every batch that was finished. Concurrent builds write distinct chunk names; a text cached twice is
harmless. The cache is only a cache: an unreadable chunk is skipped with a warning, a full disk only stops
the writing. That storage — a folder per fingerprint of atomically written chunks, looked up by text hash —
is :class:`ChunkedCache`, which the passage vector cache (:mod:`legalret.index.vector_cache`) shares.

Usage::

    from legalret.index.token_cache import TokenCache

    cache = TokenCache.for_tokenizer(tokenizer)       # None when $LEGALRET_TOKEN_CACHE=off
    hits = cache.get_many(hashes)                     # token lists, or None where not cached
    cache.put_many(new_hashes, new_token_lists)       # one chunk, atomically
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

import numpy as np

#: Separators in a chunk's token blob: between the texts of the chunk, and between the tokens of one text.
#: A token list holding either character is simply not cached.
TEXT_SEP, TOKEN_SEP = "\x1e", "\x1f"
#: Bumped when the chunk format changes (part of the fingerprint, so old chunks are never misread).
FORMAT = 1
#: Decoded chunks kept in memory: a rebuild asks for texts in the order it cached them, chunk after chunk.
DECODED_CHUNKS = 8
#: What reading a damaged chunk raises: a cut or overwritten zip (``BadZipFile``, also a CRC mismatch), not a
#: zip at all (``ValueError``), a missing array (``KeyError``), a short read (``EOFError``), broken UTF-8.
DAMAGED = (OSError, ValueError, KeyError, EOFError, UnicodeDecodeError, zipfile.BadZipFile)


def cache_root() -> Path | None:
    """Where token caches live: ``$LEGALRET_TOKEN_CACHE`` (``off`` disables), else ``$LEGALRET_HOME/cache/tokens``."""
    from legalret.config import env_token_cache

    return cache_folder(env_token_cache(), "tokens")


def cache_folder(setting: str | None, name: str) -> Path | None:
    """A cache's root from its setting — a folder, or ``off`` (None) — else ``$LEGALRET_HOME/cache/<name>``."""
    from legalret.config import legalret_home

    if setting is not None and setting.strip().lower() in ("off", "0", "false", "no", "none"):
        return None
    return Path(setting) if setting else legalret_home() / "cache" / name


#: Settings added after token caches existed, at the value that gives the tokens from before the setting: left out
#: of the fingerprint, so those caches stay valid.
SAME_AS_BEFORE = {"default_dict": True, "kiwi_cutoff": 8.0}


def tokenizer_fingerprint(settings_dict: dict) -> dict:
    """Everything the tokens depend on: the settings as the index manifest records them (with the kiwipiepy
    version), the Kiwi model package's version and the token filter — the source of the methods that turn
    Kiwi's morphemes into tokens and the tags they glue (an edited rule is a new fingerprint; an edited
    docstring elsewhere in the module is not)."""
    import inspect

    from legalret.index import tokenize

    try:
        import kiwipiepy_model

        model = getattr(kiwipiepy_model, "__version__", "unknown")
    except ImportError:
        model = "none"
    tok = tokenize.KiwiTokenizer
    source = "\n".join(inspect.getsource(f) for f in (tok._select, tok._flush, tok.tokenize, tok._analyse))
    source += repr((tokenize.PREFIX_TAG, tokenize.SUFFIX_TAG))
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]
    settings = {k: v for k, v in settings_dict.items()
                if k not in tokenize.NOT_READ_BY_TOKENIZER and (k not in SAME_AS_BEFORE or SAME_AS_BEFORE[k] != v)}
    return {"format": FORMAT, "settings": settings, "kiwipiepy_model": model, "filter_source": digest}


_OPEN: dict[str, "ChunkedCache"] = {}
_OPEN_LOCK = threading.Lock()


def _forget_open_in_child() -> None:
    """A forked child opens its own cache objects: a lock of the parent's may have been held at the fork."""
    global _OPEN_LOCK
    _OPEN.clear()
    _OPEN_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_open_in_child)


class ChunkedCache:
    """Rows keyed by text hash for one fingerprint, in ``root/<digest>/chunk-*.npz`` (see the module docstring).

    Each chunk holds a ``hashes`` array and a subclass's arrays for the same rows. :meth:`_write_chunk` writes
    one atomically under a name no other process or thread uses; :meth:`_read_chunk` reads one back, or None
    with one warning when it is damaged. The hash → (chunk, row) index is read once per object, and
    :meth:`open` keeps one object per process for each folder and fingerprint."""

    #: What the rows are, for the warning about a damaged chunk.
    what = "cached"

    def __init__(self, root: str | os.PathLike, fingerprint: dict):
        text = json.dumps(fingerprint, sort_keys=True, ensure_ascii=False)
        self.fingerprint = fingerprint
        self.digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]
        self.path = Path(root) / self.digest
        self._where: dict[str, tuple[str, int]] | None = None  # text hash -> (chunk file name, row)
        self._lock = threading.RLock()
        self._written = 0
        self._warned: set[str] = set()

    @classmethod
    def open(cls, root: str | os.PathLike, fingerprint: dict):
        """The process's one object for ``root`` and ``fingerprint`` (its index of hashes is read once)."""
        cache = cls(root, fingerprint)
        with _OPEN_LOCK:
            return _OPEN.setdefault(f"{cls.__name__}:{cache.path}", cache)

    def __len__(self) -> int:
        return len(self._index())

    def __contains__(self, text_hash: object) -> bool:
        """Does the cache hold a row for ``text_hash`` (its hash index only: a chunk gone bad is found on reading)?"""
        return text_hash in self._index()

    def size(self) -> dict:
        """What the cache holds on disk: ``{"path", "chunks", "rows", "bytes"}`` (rows: distinct text hashes)."""
        files = sorted(self.path.glob("chunk-*.npz")) if self.path.is_dir() else []
        return {"path": str(self.path), "chunks": len(files), "rows": len(self), "bytes": sum(f.stat().st_size for f in files)}

    def _index(self) -> dict[str, tuple[str, int]]:
        """Read every chunk's hashes once (only that array of each file)."""
        with self._lock:
            if self._where is None:
                where: dict[str, tuple[str, int]] = {}
                self._read_hashes(where, skip=set())
                self._where = where
            return self._where

    def refresh(self) -> int:
        """Index the chunks another process wrote since this object read its index (a build's read-ahead
        process tokenizes the holdings into the cache while the build encodes); returns how many rows that adds."""
        with self._lock:
            if self._where is None:
                return 0  # not read yet: the first lookup reads every chunk
            return self._read_hashes(self._where, skip={name for name, _ in self._where.values()} | self._warned)

    def _read_hashes(self, where: dict[str, tuple[str, int]], skip: set[str]) -> int:
        """Add the hashes of every chunk file not in ``skip`` to ``where`` (a later chunk's row wins); returns how
        many hashes were not there before."""
        added = 0
        for chunk in sorted(self.path.glob("chunk-*.npz")) if self.path.is_dir() else []:
            if chunk.name in skip:
                continue
            arrays = self._read_chunk(chunk.name, "hashes")
            for row, h in enumerate(arrays["hashes"].tolist() if arrays is not None else []):
                key = h.decode("ascii") if isinstance(h, bytes) else str(h)
                added += key not in where
                where[key] = (chunk.name, row)
        return added

    def _read_chunk(self, name: str, *arrays: str) -> dict[str, np.ndarray] | None:
        """``arrays`` of chunk ``name`` (the zip's CRC checks every byte), or None when it cannot be read."""
        try:
            with np.load(self.path / name) as z:
                return {a: z[a] for a in arrays}
        except DAMAGED as e:
            self._damaged(name, f"{type(e).__name__}: {e}")
            return None

    def _damaged(self, name: str, why: str) -> None:
        """Forget a damaged chunk and move it aside (``damaged-<name>``), with one warning: it is only a cache, so
        its rows are computed again and cached anew — not looked up in the damaged file by every later build."""
        with self._lock:
            if name in self._warned:
                return
            self._warned.add(name)
            where = self._where if self._where is not None else {}
            for h in [h for h, at in where.items() if at[0] == name]:  # in place: callers hold the dict
                del where[h]
        try:
            (self.path / name).replace(self.path / f"damaged-{name}")
            aside = f"; moved aside to damaged-{name}"
        except OSError:
            aside = ""
        from legalret.progress import console

        console.print(f"[yellow]warning:[/] ignoring the damaged {self.what} cache chunk {self.path / name} "
                      f"({why[:200]}){aside}", highlight=False, soft_wrap=True)

    def _write_chunk(self, hashes: Sequence[str], *, compress: bool, **arrays: np.ndarray) -> bool:
        """Write ``hashes`` and ``arrays`` (rows aligned) as one new chunk, atomically, and index them. False
        when the disk refuses (a read-only home, a full disk): the caller goes on without caching."""
        from legalret.atomic import atomic_path

        where = self._index()
        with self._lock:
            self._written += 1
            name = f"chunk-{os.getpid()}-{threading.get_ident() % 100000}-{self._written:06d}-{os.urandom(3).hex()}.npz"
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            marker = self.path / "fingerprint.json"
            if not marker.is_file():
                with atomic_path(marker) as tmp:
                    tmp.write_text(json.dumps(self.fingerprint, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            save = np.savez_compressed if compress else np.savez
            with atomic_path(self.path / name, suffix=".npz") as tmp:
                with open(tmp, "wb") as f:  # a file object: np.savez would append '.npz' to a temp name
                    save(f, hashes=np.asarray(list(hashes), dtype="S"), **arrays)  # S32 for text_hash
        except OSError:
            return False
        with self._lock:
            for row, h in enumerate(hashes):
                where[h] = (name, row)
        return True


class TokenCache(ChunkedCache):
    """Token lists by text hash for one tokenizer fingerprint, in ``root/<digest>/`` (see the module docstring)."""

    what = "token"

    def __init__(self, root: str | os.PathLike, fingerprint: dict):
        super().__init__(root, fingerprint)
        self._decoded: OrderedDict[str, list[str]] = OrderedDict()  # chunk name -> per-text token strings

    @classmethod
    def for_tokenizer(cls, tokenizer) -> "TokenCache | None":
        """The cache for a :class:`~legalret.index.tokenize.KiwiTokenizer`'s settings (None when disabled)."""
        root = cache_root()
        if root is None:
            return None
        return cls.open(root, tokenizer_fingerprint(tokenizer.settings.to_dict()))

    # ---- reading ---------------------------------------------------------------------------------------------
    def get_many(self, hashes: Sequence[str]) -> list[list[str] | None]:
        """Cached token lists for ``hashes`` (None where a text is not cached)."""
        where = self._index()
        out: list[list[str] | None] = [None] * len(hashes)
        for i, h in enumerate(hashes):
            hit = where.get(h)
            if hit is None:
                continue
            texts = self._chunk(hit[0])
            if texts is None:
                continue
            joined = texts[hit[1]]
            out[i] = joined.split(TOKEN_SEP) if joined else []
        return out

    def _chunk(self, name: str) -> list[str] | None:
        with self._lock:
            texts = self._decoded.get(name)
            if texts is not None:
                self._decoded.move_to_end(name)
                return texts
        arrays = self._read_chunk(name, "hashes", "tokens")
        if arrays is None:
            return None
        try:
            texts = arrays["tokens"].tobytes().decode("utf-8").split(TEXT_SEP)
        except UnicodeDecodeError as e:
            self._damaged(name, str(e))
            return None
        if len(texts) != len(arrays["hashes"]):
            self._damaged(name, f"{len(texts)} token lists for {len(arrays['hashes'])} hashes")
            return None
        with self._lock:
            self._decoded[name] = texts
            while len(self._decoded) > DECODED_CHUNKS:
                self._decoded.popitem(last=False)
        return texts

    # ---- writing ---------------------------------------------------------------------------------------------
    def put_many(self, hashes: Sequence[str], token_lists: Sequence[Sequence[str]]) -> int:
        """Cache ``token_lists`` under ``hashes`` as one chunk file (written atomically); returns how many.

        Texts already cached are not written again; an ``OSError`` (read-only home, full disk) is swallowed."""
        where = self._index()
        keep, joined = [], []
        for h, tokens in zip(hashes, token_lists):
            s = TOKEN_SEP.join(tokens)
            if h in where or TEXT_SEP in s or any(TOKEN_SEP in t for t in tokens):
                continue
            keep.append(h)
            joined.append(s)
        if not keep:
            return 0
        blob = np.frombuffer(TEXT_SEP.join(joined).encode("utf-8"), dtype=np.uint8)
        return len(keep) if self._write_chunk(keep, compress=True, tokens=blob) else 0
