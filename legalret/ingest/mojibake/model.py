"""Character n-gram language model (interpolated Witten-Bell), stored compactly in a ``.npz``.

It chooses among the readings of a lossy mojibake span. Trained by ``scripts/mojibake_build_model.py``
(statutes + pre-2020 precedent texts); loaded by :class:`~legalret.ingest.mojibake.decoder.MojibakeRepairer`.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from legalret.errors import ModelError
from legalret.text import MIDDLE_DOTS

_DOT_VARIANTS = frozenset(MIDDLE_DOTS)

BOS, EOS, UNK = 1, 2, 0
_FIRST_ID = 3
_ID_BITS = 12  # ≤ 4093 characters; 5-grams fit exactly into 60 bits


def _lm_char(ch: str) -> str:
    """Classes the model shares statistics over: every digit is '0', every ASCII letter 'A'."""
    if "0" <= ch <= "9":
        return "0"
    if ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
        return "A"
    if ch.isspace():
        return " "
    if ch in _DOT_VARIANTS:
        return "\u00b7"  # ㆍ ・ ･ … : the training text is normalized to '·', so one class for all of them
    return ch


class CharNgramModel:
    """Character n-gram model with interpolated Witten-Bell smoothing.

    ``P(w|h) = (c(hw) + D(h)·P(w|h')) / (c(h) + D(h))`` where ``D(h)`` is the number of distinct
    characters seen after ``h`` and ``h'`` drops the oldest character of ``h``; contexts never seen (or
    pruned) back off directly. Counts are stored per order as sorted exact integer keys (12 bits per
    character), so lookups are collision-free.

    >>> lm = CharNgramModel.train(["보험자는 보험금을 지급한다.", "보험자는 해지할 수 있다."], order=3)
    >>> lm.score("보험자는") > lm.score("보헙자는")
    True
    """

    def __init__(self, order: int, vocab: str, tables: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
                 unk_chars: int = 11172):
        if order * _ID_BITS > 64:
            raise ValueError(f"order {order} too high for {_ID_BITS}-bit character ids")
        self.order = order
        self.vocab = vocab
        self.char_ids = {c: i + _FIRST_ID for i, c in enumerate(vocab)}
        self.size = len(vocab) + _FIRST_ID
        #: Probability mass of UNK is shared by this many possible unseen characters.
        self.unk_chars = unk_chars
        self._log_unk = math.log(unk_chars)
        # tables[m-1] = (sorted keys, counts, distinct continuations) of the m-grams, m = 1..order.
        # Lookups bisect plain Python lists: loading is a fast .tolist(), not a 2-million-entry dict build.
        self._tables = [(np.asarray(k, dtype=np.uint64), np.asarray(c), np.asarray(d)) for k, c, d in tables]
        self._keys = [k.tolist() for k, _, _ in self._tables]
        self._counts = [c.tolist() for _, c, _ in self._tables]
        self._distinct = [d.tolist() for _, _, d in self._tables]
        self._total = int(tables[0][1].sum())
        self._distinct0 = len(tables[0][0])
        self._cache: dict[tuple[int, ...], float] = {}

    @property
    def ngram_counts(self) -> list[int]:
        """How many m-grams are stored, m = 1..order."""
        return [len(k) for k in self._keys]

    # -- ids -----------------------------------------------------------------------------------------
    def char_id(self, ch: str) -> int:
        return self.char_ids.get(_lm_char(ch), UNK)

    def knows(self, ch: str) -> bool:
        return _lm_char(ch) in self.char_ids

    # -- probabilities -------------------------------------------------------------------------------
    def logprob(self, context: tuple[int, ...], w: int) -> float:
        """Natural-log probability of character id ``w`` after ``context`` (ids, any length)."""
        context = context[-(self.order - 1):] if self.order > 1 else ()
        key = context + (w,)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        keys, counts, distinct = self._keys, self._counts, self._distinct
        i = bisect_left(keys[0], w)
        c1 = counts[0][i] if i < len(keys[0]) and keys[0][i] == w else 0
        uniform = 1.0 / (self.size + self.unk_chars)
        p = (c1 + self._distinct0 * uniform) / (self._total + self._distinct0)
        n = len(context)
        for m in range(1, n + 1):  # context length m: the last m ids
            ctx = context[n - m:]
            ctx_key = 0
            for i in ctx:
                ctx_key = (ctx_key << _ID_BITS) | i
            table = keys[m - 1]
            i = bisect_left(table, ctx_key)
            if i == len(table) or table[i] != ctx_key:
                break  # longer contexts contain this one: unseen too
            c_h, d_h = counts[m - 1][i], distinct[m - 1][i]
            if d_h == 0:
                break
            hw, table = (ctx_key << _ID_BITS) | w, keys[m]
            i = bisect_left(table, hw)
            c_hw = counts[m][i] if i < len(table) and table[i] == hw else 0
            p = (c_hw + d_h * p) / (c_h + d_h)
        # UNK stands for every character too rare to be in the vocabulary: one of them gets a share.
        lp = math.log(p) - (self._log_unk if w == UNK else 0.0)
        if len(self._cache) > 500_000:
            self._cache.clear()
        self._cache[key] = lp
        return lp

    def score(self, text: str, *, bos: bool = True, eos: bool = False) -> float:
        """Log-probability of a whole string (for tests and diagnostics)."""
        ids = [BOS] if bos else []
        total = 0.0
        for ch in text:
            w = self.char_id(ch)
            total += self.logprob(tuple(ids), w)
            ids.append(w)
        if eos:
            total += self.logprob(tuple(ids), EOS)
        return total

    # -- training ------------------------------------------------------------------------------------
    @classmethod
    def train(cls, lines: Iterable[str], *, order: int = 5, max_vocab: int = 4000, min_char_count: int = 2,
              min_counts: Sequence[int] | None = None) -> "CharNgramModel":
        """Count n-grams of ``lines`` (each line framed by BOS … EOS) and prune rare ones.

        ``min_counts[m-1]``: keep m-grams seen at least this often (default: 1 for all orders).
        Memory: about 10 bytes per training character per order (numpy), so tens of millions of
        characters are fine on a laptop.
        """
        lines = [line for line in lines if line]
        if not lines:
            raise ValueError("CharNgramModel.train: no training text")
        # Everything vectorized: one code-point array "\x02 line \x03 \x02 line \x03 …" (STX/ETX never
        # occur in normalized text), mapped to ids through a lookup table over all of Unicode.
        text = "\x02" + "\x03\x02".join(lines) + "\x03"
        cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        del text
        classes = np.arange(0x110000, dtype=np.uint32)
        classes[ord("0"):ord("9") + 1] = ord("0")
        classes[ord("a"):ord("z") + 1] = ord("A")
        classes[ord("A"):ord("Z") + 1] = ord("A")
        for ws in "\t\n\r\f\v\xa0\u3000":
            classes[ord(ws)] = ord(" ")
        for dot in MIDDLE_DOTS:
            classes[ord(dot)] = 0xB7
        cls_cps = classes[cps]
        freq = np.bincount(cls_cps, minlength=0x110000)
        freq[[2, 3]] = 0
        max_vocab = min(max_vocab, (1 << _ID_BITS) - _FIRST_ID)
        top = np.argsort(-freq, kind="stable")[:max_vocab]
        top = top[freq[top] >= min_char_count]
        vocab = "".join(chr(int(c)) for c in top)
        lut = np.zeros(0x110000, dtype=np.uint64)  # UNK = 0
        lut[top] = np.arange(_FIRST_ID, _FIRST_ID + len(top), dtype=np.uint64)
        lut[2], lut[3] = BOS, EOS
        ids = lut[cls_cps]
        del cps, cls_cps, lut, classes
        return cls._from_stream(ids, order, vocab, min_counts)

    @classmethod
    def _from_stream(cls, ids: np.ndarray, order: int, vocab: str, min_counts: Sequence[int] | None):
        min_counts = list(min_counts or [1] * order)
        if any(b < a for a, b in zip(min_counts, min_counts[1:])):
            raise ValueError(f"min_counts must not decrease with order: {min_counts}")
        is_eos = ids == EOS
        counted: list[tuple[np.ndarray, np.ndarray]] = []
        for m in range(1, order + 1):
            n = len(ids) - m + 1
            keys = np.zeros(n, dtype=np.uint64)
            valid = np.ones(n, dtype=bool)
            for k in range(m):
                keys = (keys << np.uint64(_ID_BITS)) | ids[k:k + n]
                if k < m - 1:
                    valid &= ~is_eos[k:k + n]  # EOS only as the last character of an n-gram
            if m > 1:
                valid &= ids[1:1 + n] != BOS  # BOS only first (implied by the EOS rule, kept explicit)
            uniq, counts = np.unique(keys[valid], return_counts=True)
            counted.append((uniq, counts.astype(np.uint32)))
            del keys, valid
        tables = []
        for m in range(1, order + 1):
            keys, counts = counted[m - 1]
            if m < order:
                nxt = counted[m][0] >> np.uint64(_ID_BITS)  # prefixes of the (m+1)-grams
                pref, pref_n = np.unique(nxt, return_counts=True)
                pos = np.searchsorted(pref, keys)
                pos = np.minimum(pos, len(pref) - 1)
                distinct = np.where(pref[pos] == keys, pref_n[pos], 0).astype(np.uint32)
            else:
                distinct = np.zeros(len(keys), dtype=np.uint32)
            keep = counts >= min_counts[m - 1]
            tables.append((keys[keep], counts[keep], distinct[keep]))
        return cls(order, vocab, tables)

    # -- persistence ---------------------------------------------------------------------------------
    def save(self, path: str | Path, *, meta: dict | None = None) -> Path:
        """Write a compressed ``.npz`` atomically (sorted keys are delta-encoded: they compress well)."""
        import json

        from legalret.atomic import atomic_path

        path = Path(path)
        arrays: dict[str, np.ndarray] = {
            "order": np.array([self.order]),
            "vocab": np.frombuffer(self.vocab.encode("utf-8"), dtype=np.uint8),
            "meta": np.frombuffer(json.dumps(meta or {}, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
        }
        previous = None
        for m, (keys, counts, distinct) in enumerate(self._tables, start=1):
            if previous is None:
                arrays[f"keys{m}"] = keys
            else:
                # Trie layout: an m-gram = (row of its (m-1)-gram prefix, last character). Rows are sorted,
                # so their deltas are tiny and compress to almost nothing.
                prefix = keys >> np.uint64(_ID_BITS)
                rows = np.searchsorted(previous, prefix)
                if len(rows) and (rows.max() >= len(previous) or np.any(previous[rows] != prefix)):
                    raise ValueError("m-gram whose prefix was pruned: min_counts must not decrease with order")
                arrays[f"rows{m}"] = np.diff(rows, prepend=0).astype(np.uint32)
                arrays[f"last{m}"] = (keys & np.uint64((1 << _ID_BITS) - 1)).astype(np.uint16)
            previous = keys
            arrays[f"counts{m}"] = _pack_counts(counts)
            arrays[f"distinct{m}"] = _pack_counts(distinct)
        with atomic_path(path, suffix=".tmp.npz") as tmp:  # savez appends .npz to any other name
            np.savez_compressed(tmp, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "CharNgramModel":
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"{path}: mojibake language model not found "
                             "(build it with: python scripts/mojibake_build_model.py)")
        try:
            with np.load(path) as z:
                order = int(z["order"][0])
                vocab = bytes(z["vocab"]).decode("utf-8")
                tables = []
                keys = None
                for m in range(1, order + 1):
                    if m == 1:
                        keys = z["keys1"].astype(np.uint64)
                    else:
                        rows = np.cumsum(z[f"rows{m}"].astype(np.int64))
                        keys = (keys[rows] << np.uint64(_ID_BITS)) | z[f"last{m}"].astype(np.uint64)
                    tables.append((keys, _unpack_counts(z[f"counts{m}"]), _unpack_counts(z[f"distinct{m}"])))
        except (OSError, KeyError, ValueError) as e:
            raise ModelError(f"{path}: not a valid mojibake language model ({e})") from e
        return cls(order, vocab, tables)

    @staticmethod
    def read_meta(path: str | Path) -> dict:
        import json

        with np.load(path) as z:
            return json.loads(bytes(z["meta"]).decode("utf-8")) if "meta" in z else {}


def _pack_counts(counts: np.ndarray) -> np.ndarray:
    """uint16: exact below 32768, then log-scaled (0.07% steps) — halves the model at no cost in accuracy."""
    c = np.asarray(counts, dtype=np.float64)
    big = 32768 + np.round(np.log2(np.maximum(c, 32768) / 32768) * 1024)
    return np.where(c < 32768, c, np.minimum(big, 65535)).astype(np.uint16)


def _unpack_counts(packed: np.ndarray) -> np.ndarray:
    q = packed.astype(np.int64)
    big = np.round(32768 * np.exp2((q - 32768) / 1024)).astype(np.int64)
    return np.where(q < 32768, q, big)


