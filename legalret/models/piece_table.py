"""A SentencePiece vocabulary (piece → id) held in numpy arrays: it opens without a Python object per piece,
and finds every piece inside a text in a few array operations.

:class:`~legalret.models.onnx.CompactUnigram`'s Viterbi search asks, at each character of a text, which of the
next 1 … ``longest`` characters form a vocabulary piece. A ``dict`` answers that, but building one for
me5-small's 250k pieces (splitting them into strings, hashing each) cost 0.07–0.14 s of every cold
``legalret search`` — a tenth of the process's own work — and ~60 MB. Here the pieces are arrays: their code
points, their lengths, and a 64-bit polynomial hash of each, sorted. :meth:`PieceTable.find` hashes every
substring of up to ``longest`` characters of a text at once (one multiply-add per length), looks them all up
with one ``searchsorted`` and keeps only the hits whose code points equal the piece's: a hash collision can
never yield a wrong id, so the ids are exactly a dict's. The arrays are what a cache file stores
(:meth:`arrays` / :meth:`from_arrays`); a long text (an article, for passage encoding) is as cheap per
character as a query.

Usage::

    from legalret.models.piece_table import PieceTable

    table = PieceTable.build(["▁", "▁민법", "민", "법"])   # pieces in id order (a repeated piece: its last id)
    table.get("민"), table.get("없는"), len(table)           # 2, None, 4
    starts, ends, ids = table.find("▁민법")                 # every piece in the text, by start then end:
    # [0, 0, 1, 2], [1, 3, 2, 3], [0, 1, 2, 3]
    again = PieceTable.from_arrays(table.arrays())          # e.g. after np.savez / np.load
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: Odd 64-bit multipliers tried in turn: the first under which no two distinct pieces share a hash is kept
#: (with 250k pieces a collision has odds of ~1e-9, so the first one is always taken in practice).
MULTIPLIERS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93)


def _codes(text: str) -> np.ndarray:
    """The text's code points (one per Python character, lone surrogates included), as uint64 + 1: never 0, so
    a leading character always changes a hash."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return codes.astype(np.uint64) + np.uint64(1)


def _rolling_hashes(codes: np.ndarray, longest: int, multiplier: int):
    """For length = 1 … ``longest`` (at most ``len(codes)``): (length, h) with ``h[i]`` the hash of
    ``codes[i : i + length]`` — ``((c0 · m + c1) · m + c2) …`` modulo 2**64 (numpy's uint64 wraps)."""
    m = np.uint64(multiplier)
    h = np.zeros(len(codes), dtype=np.uint64)
    for length in range(1, min(longest, len(codes)) + 1):
        h = h[: len(codes) - length + 1] * m + codes[length - 1 :]
        yield length, h


class PieceTable:
    """piece → id for a Unigram vocabulary (see the module docstring). ``len`` counts ids (pieces in id
    order, a repeated piece each time); ``longest`` is the longest piece in characters."""

    #: The arrays :meth:`arrays` returns and :meth:`from_arrays` takes.
    ARRAYS = ("piece_codes", "piece_lengths", "hashes", "hash_ids", "multiplier")

    def __init__(self, codes: np.ndarray, lengths: np.ndarray, hashes: np.ndarray, hash_ids: np.ndarray,
                 multiplier: int):
        self._codes = codes  # every piece's code points + 1, in id order, back to back (uint64)
        self._lengths = lengths  # id → length in characters
        self._starts = np.zeros(len(lengths), dtype=np.int64)  # id → where its code points start
        np.cumsum(lengths[:-1], out=self._starts[1:])
        self._hashes = hashes  # the distinct pieces' hashes, ascending
        self._hash_ids = hash_ids  # … and the id of each (a repeated piece: its last id, as a dict keeps)
        self.multiplier = int(multiplier)
        self.longest = int(lengths.max()) if len(lengths) else 0
        self._arange = np.arange(self.longest, dtype=np.int64)

    # ---- making and storing -------------------------------------------------------------------------
    @classmethod
    def build(cls, pieces: Sequence[str]) -> PieceTable | None:
        """The table of ``pieces`` (piece ``i`` has id ``i``); None in the (astronomically unlikely) case that
        every multiplier in :data:`MULTIPLIERS` gives two distinct pieces the same hash."""
        lengths = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
        codes = _codes("".join(pieces))
        starts = np.zeros(len(pieces), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        real = np.flatnonzero(lengths > 0)  # (an empty piece is never looked up: no substring is empty)
        for multiplier in MULTIPLIERS:
            hashes = np.zeros(len(pieces), dtype=np.uint64)
            for length, h in _rolling_hashes(codes, int(lengths.max(initial=0)), multiplier):
                these = real[lengths[real] == length]
                hashes[these] = h[starts[these]]
            order = real[np.argsort(hashes[real], kind="stable")]  # equal hashes: ascending id
            ordered = hashes[order]
            same = np.flatnonzero(ordered[1:] == ordered[:-1])
            if any(pieces[order[k]] != pieces[order[k + 1]] for k in same.tolist()):
                continue  # two distinct pieces collide: the next multiplier
            last = np.ones(len(order), dtype=bool)
            last[same] = False  # of a repeated piece only its last id stays
            return cls(codes, lengths, ordered[last], order[last], multiplier)
        return None

    def arrays(self) -> dict[str, np.ndarray]:
        """The table as plain arrays (for ``np.savez``): code points stored as uint32."""
        return {"piece_codes": (self._codes - np.uint64(1)).astype(np.uint32), "piece_lengths": self._lengths,
                "hashes": self._hashes, "hash_ids": self._hash_ids,
                "multiplier": np.array(self.multiplier, dtype=np.uint64)}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> PieceTable:
        """The table :meth:`arrays` gave (ValueError when they do not fit together, e.g. a damaged file)."""
        lengths = np.asarray(arrays["piece_lengths"], dtype=np.int64)
        raw = np.asarray(arrays["piece_codes"])
        hashes = np.asarray(arrays["hashes"])
        ids = np.asarray(arrays["hash_ids"], dtype=np.int64)
        if (raw.dtype != np.uint32 or hashes.dtype != np.uint64 or len(hashes) != len(ids)
                or int(lengths.sum()) != len(raw) or (lengths < 0).any()
                or (len(ids) and (ids.min() < 0 or ids.max() >= len(lengths)))
                or (hashes[1:] <= hashes[:-1]).any()):
            raise ValueError("piece table arrays do not fit together")
        return cls(raw.astype(np.uint64) + np.uint64(1), lengths, hashes, ids, int(arrays["multiplier"]))

    # ---- lookups ------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._lengths)

    def find(self, text: str) -> tuple[list[int], list[int], np.ndarray]:
        """Every vocabulary piece inside ``text``: (starts, ends, ids) — ``text[starts[k]:ends[k]]`` is piece
        ``ids[k]`` — ordered by start, then end (the order a Viterbi search visits them)."""
        codes = _codes(text)
        if not len(self._hashes) or not len(codes):
            return [], [], np.zeros(0, dtype=np.int64)
        # every substring's hash, length and start, one after another by length (a few dozen numpy calls
        # for any text: per-length work would cost more than a query's whole Viterbi search)
        hashes, lengths = [], []
        for length, h in _rolling_hashes(codes, self.longest, self.multiplier):
            hashes.append(h)
            lengths.append(length)
        counts = len(codes) + 1 - np.array(lengths, dtype=np.int64)
        hashes = np.concatenate(hashes)
        lengths = np.repeat(np.array(lengths, dtype=np.int64), counts)
        starts = np.arange(len(hashes), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        slot = np.minimum(np.searchsorted(self._hashes, hashes), len(self._hashes) - 1)
        at = np.flatnonzero(self._hashes[slot] == hashes)
        ids, starts, lengths = self._hash_ids[slot[at]], starts[at], lengths[at]
        at = np.flatnonzero(self._lengths[ids] == lengths)  # a hash is only a candidate: the characters must be the piece's
        ids, starts, lengths = ids[at], starts[at], lengths[at]
        span = self._arange
        outside = span >= lengths[:, None]  # (compared as equal: past the piece's end)
        piece = self._codes[np.minimum(self._starts[ids, None] + span, len(self._codes) - 1)]
        here = codes[np.minimum(starts[:, None] + span, len(codes) - 1)]
        at = np.flatnonzero(((piece == here) | outside).all(axis=1))
        # (already by length, then start; wanted: by start, then length)
        order = at[np.lexsort((lengths[at], starts[at]))]
        starts = starts[order]
        return starts.tolist(), (starts + lengths[order]).tolist(), ids[order]

    def get(self, piece: str, default=None):
        """The id of ``piece`` (its last id if repeated), or ``default``."""
        if not 0 < len(piece) <= self.longest:
            return default
        starts, ends, ids = self.find(piece)
        for start, end, piece_id in zip(starts, ends, ids.tolist()):
            if start == 0 and end == len(piece):
                return piece_id
        return default
