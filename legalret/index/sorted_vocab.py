"""A vocabulary (term → id) that opens without parsing or hashing every term: the terms' UTF-8 bytes, sorted,
searched by bisection.

A one-query process (a cold ``legalret search``) looks up a few dozen query tokens, yet a ``dict`` of the
vocabulary costs its whole build: on the all-law index ~0.2 s for the three BM25 vocabularies (162k article
terms, 158k holding terms, 433k facts n-grams) on top of parsing their JSON. Written beside a BM25 index at
build time (``vocab.sorted.npz``: the sorted terms as one byte string, their offsets, their ids), it loads in
about a millisecond; a lookup is ~20 byte-string comparisons (a few µs), remembered for the next query. The
full ``dict`` is made only for what iterates the vocabulary (saving, bm25s' own model).

Usage::

    from legalret.index.sorted_vocab import SortedVocab

    SortedVocab.write("bm25/vocab.sorted.npz", ["물건", "점유", "타인"])   # the terms in id order
    vocab = SortedVocab.load("bm25/vocab.sorted.npz")
    vocab["점유"], "없는말" in vocab, vocab.get("없는말")                # 1, False, None
"""

from __future__ import annotations

import bisect
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from legalret.atomic import atomic_path

#: The most distinct lookups remembered (a server sees the same query words again and again; unknown words
#: are remembered too, so the memory is capped).
MEMO_LIMIT = 1 << 16


class _SortedTerms(Sequence[bytes]):
    """The i-th smallest term as UTF-8 bytes (what :func:`bisect.bisect_left` searches)."""

    def __init__(self, blob: bytes, offsets: np.ndarray):
        self.blob, self.offsets = blob, offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i):  # type: ignore[override]
        return self.blob[int(self.offsets[i]) : int(self.offsets[i + 1])]


class SortedVocab(Mapping[str, int]):
    """term → id from sorted UTF-8 bytes (see the module docstring): lookups bisect, iteration makes a dict."""

    def __init__(self, blob: bytes, offsets: np.ndarray, ids: np.ndarray):
        self._terms = _SortedTerms(blob, offsets)
        self._ids = ids
        self._memo: dict[str, int | None] = {}
        self._dict: dict[str, int] | None = None

    # ---- persistence -------------------------------------------------------------------------------
    @staticmethod
    def write(path: str | Path, terms: Sequence[str]) -> None:
        """Write ``terms`` (term ``i`` has id ``i``; distinct) sorted by their UTF-8 bytes — the order of their
        code points, so bisecting bytes finds what bisecting strings would."""
        encoded = [t.encode("utf-8", "surrogatepass") for t in terms]
        order = sorted(range(len(encoded)), key=encoded.__getitem__)
        if any(encoded[a] == encoded[b] for a, b in zip(order, order[1:])):
            raise ValueError(f"{path}: the vocabulary repeats a term")
        lengths = np.fromiter((len(encoded[i]) for i in order), dtype=np.int64, count=len(order))
        offsets = np.zeros(len(order) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        blob = b"".join(encoded[i] for i in order)
        with atomic_path(Path(path)) as tmp, open(tmp, "wb") as f:
            np.savez(f, terms=np.frombuffer(blob, dtype=np.uint8), offsets=offsets,
                     ids=np.asarray(order, dtype=np.int64 if len(order) >= 2**31 else np.int32))

    @classmethod
    def load(cls, path: str | Path) -> SortedVocab:
        """Open a written vocabulary (ValueError when the file is not one)."""
        try:
            with np.load(path, allow_pickle=False) as z:
                blob, offsets, ids = z["terms"].tobytes(), z["offsets"], z["ids"]
        except (KeyError, EOFError, ValueError, zipfile.BadZipFile) as e:  # (not a zip: numpy's pickle refusal)
            raise ValueError(f"{path}: not a sorted vocabulary ({type(e).__name__}: {e})") from e
        if len(offsets) != len(ids) + 1 or (len(offsets) and int(offsets[-1]) != len(blob)):
            raise ValueError(f"{path}: {len(ids)} term ids for {len(offsets) - 1} terms of {len(blob)} bytes")
        return cls(blob, offsets, ids)

    # ---- lookups -----------------------------------------------------------------------------------
    def get(self, term: str, default=None):  # type: ignore[override]
        memo = self._memo
        if term in memo:
            found = memo[term]
        else:
            key = term.encode("utf-8", "surrogatepass")
            at = bisect.bisect_left(self._terms, key)
            found = int(self._ids[at]) if at < len(self._terms) and self._terms[at] == key else None
            if len(memo) < MEMO_LIMIT:
                memo[term] = found
        return default if found is None else found

    def __getitem__(self, term: str) -> int:
        found = self.get(term)
        if found is None:
            raise KeyError(term)
        return found

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.get(term) is not None

    def __len__(self) -> int:
        return len(self._ids)

    def terms(self) -> list[str]:
        """Every term in id order."""
        out: list[str] = [""] * len(self._ids)
        for i, term_id in enumerate(self._ids.tolist()):
            out[term_id] = self._terms[i].decode("utf-8", "surrogatepass")
        return out

    def as_dict(self) -> dict[str, int]:
        """The whole vocabulary as a dict, in id order (made once, on first use)."""
        if self._dict is None:
            terms = self.terms()
            self._dict = dict(zip(terms, range(len(terms))))
        return self._dict

    def __iter__(self) -> Iterator[str]:
        return iter(self.as_dict())

    def keys(self):  # type: ignore[override]
        return self.as_dict().keys()

    def values(self):  # type: ignore[override]
        return self.as_dict().values()

    def items(self):  # type: ignore[override]
        return self.as_dict().items()
