"""Repair Korean mojibake: UTF-8 text that was decoded as cp1252 or latin-1, lossless or lossy.

``상법 제651조`` stored as UTF-8 and read back as cp1252 becomes ``ìƒë²• ì œ651ì¡°``. Two cases:

* **lossless** — every byte survived (latin-1 keeps bytes 0x80–0x9F as C1 control characters, ftfy's
  "sloppy" cp1252 too). :mod:`ftfy` undoes this exactly; we use it (``method='ftfy'``).
* **lossy** — the common real case. cp1252 has no characters for bytes 0x81 0x8D 0x8F 0x90 0x9D, so a
  decoder with ``errors='ignore'`` drops them (15.8% of Hangul syllables contain one: 상 의 인 원 점 …);
  a latin-1 text whose C1 controls were stripped loses every byte 0x80–0x9F; NBSP (0xA0) may have become
  a plain space; ``errors='replace'`` leaves ``\\ufffd`` for the byte. Here the text cannot be decoded,
  only *guessed*: every UTF-8 character whose bytes could have produced what we see is a candidate, and
  a character n-gram language model learned from clean statute text chooses among them, by a beam search
  over the whole span (``method='lossy-lm'``). Each repaired span carries the model's posterior
  probability for its least certain character as ``confidence``.

Nothing is dropped silently: a span that looks like Korean mojibake but cannot be decoded is reported
with ``method='unrepaired'`` and left as it was.

Usage::

    >>> from legalret.ingest.mojibake import repair_mojibake, looks_like_mojibake
    >>> broken = "상법 제651조".encode("utf-8").decode("cp1252", errors="ignore")
    >>> broken
    'ìƒë²• ì\\xa0œ651ì¡°'
    >>> result = repair_mojibake(broken)
    >>> result.text
    '상법 제651조'
    >>> [(r.broken, r.fixed, r.method) for r in result.repairs]      # doctest: +SKIP
    [('ìƒë²• ì\\xa0œ651ì¡°', '상법 제651조', 'lossy-lm')]
    >>> looks_like_mojibake("민법 제1조"), looks_like_mojibake("café Müller")
    (False, False)

Call it on the raw text of a file *before* :func:`legalret.text.normalize` or ``str.splitlines()``: both
treat U+0085 (byte 0x85 of a latin-1 decode, as in 안 = EC 95 88) as whitespace or a line break, and
normalizing turns NBSP into a space, which is repairable but lossier.

On clean text :func:`repair_mojibake` is one regular-expression scan (no model is loaded), so it is
safe to run on every ingested string. The language model (``legalret/data/mojibake_lm.npz``, built by
``scripts/mojibake_build_model.py``) is loaded lazily the first time a broken span is met.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import unicodedata
import zipfile
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from legalret.errors import ModelError

__all__ = [
    "Repair",
    "RepairResult",
    "repair_mojibake",
    "looks_like_mojibake",
    "MojibakeRepairer",
    "CharNgramModel",
    "corrupt",
    "DEFAULT_MODEL_PATH",
]

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "mojibake_lm.npz"

# ---------------------------------------------------------------------------------------------------
# Byte alphabet: which character stands for which byte after a cp1252 / latin-1 decode
# ---------------------------------------------------------------------------------------------------

#: Bytes that cp1252 leaves undefined: a lossy decoder drops them.
CP1252_UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
#: Bytes a latin-1 decode turns into C1 control characters (often stripped afterwards).
LATIN1_C1 = tuple(range(0x80, 0xA0))

_CHAR_TO_BYTE: dict[str, int] = {chr(b): b for b in range(0x80, 0x100)}  # latin-1 (incl. C1 controls)
_CP1252_SPECIAL: dict[str, int] = {}
for _b in range(0x80, 0xA0):
    if _b not in CP1252_UNDEFINED:
        _CP1252_SPECIAL[bytes([_b]).decode("cp1252")] = _b
_CHAR_TO_BYTE.update(_CP1252_SPECIAL)

_CONT_CHARS = "".join(c for c, b in _CHAR_TO_BYTE.items() if 0x80 <= b <= 0xBF)
_CONT_CLASS = "[" + re.escape(_CONT_CHARS) + "]"
#: A UTF-8 lead byte of a multi-byte character (as a latin-1 character) followed by a continuation byte:
#: the fingerprint of mojibake. Legitimate Latin text almost never has it ("café", "Müller": no).
_SUSPECT = re.compile("[\u00c2-\u00f4]" + _CONT_CLASS)
#: The same, restricted to the lead bytes of Hangul syllables (0xEA–0xED: ê ë ì í).
_HANGUL_UNIT = re.compile("[\u00ea-\u00ed]" + _CONT_CLASS)
# Words split on ASCII whitespace only: NBSP (U+00A0) is byte 0xA0 of a broken character, not a space.
_WORD = re.compile(r"[^ \t\n\r\f\v]+")
_LINE = re.compile(r"[^\n\r]+")
REPLACEMENT = "\ufffd"
#: Repairs less certain than this are reported as 'low-confidence'.
LOW_CONFIDENCE = 0.9


def _is_alphabet(ch: str) -> bool:
    """A character that can stand for one byte of broken UTF-8 (or for a lost byte: U+FFFD)."""
    return ch in _CHAR_TO_BYTE or ch == REPLACEMENT


def looks_like_mojibake(text: str) -> bool:
    """True when ``text`` contains UTF-8 decoded as cp1252/latin-1 (Korean or otherwise).

    Fast: one regex scan; clean Korean, English and accented Latin text ("café", "Müller") give False.
    """
    if not _SUSPECT.search(text):
        return False
    if _HANGUL_UNIT.search(text):
        return True
    import ftfy.badness

    return bool(ftfy.badness.is_bad(text))


# ---------------------------------------------------------------------------------------------------
# Corruption (used by tests and the benchmark; documents exactly what we repair)
# ---------------------------------------------------------------------------------------------------


def corrupt(text: str, *, encoding: str = "cp1252", drop: bool = True, nbsp_to_space: bool = False,
            replace: bool = False) -> str:
    """Make mojibake the way real pipelines do: UTF-8 bytes decoded as ``encoding``.

    * ``encoding='cp1252', drop=True``: undefined bytes (0x81 0x8D 0x8F 0x90 0x9D) vanish (lossy).
    * ``encoding='cp1252', replace=True``: they become U+FFFD (lossy, position known).
    * ``encoding='cp1252', drop=False``: they become C1 controls (ftfy's "sloppy-windows-1252"; lossless).
    * ``encoding='latin-1', drop=False``: lossless; ``drop=True`` strips the C1 controls (lossy).
    * ``nbsp_to_space``: NBSP (byte 0xA0) becomes a plain space afterwards.
    """
    raw = text.encode("utf-8")
    if encoding in ("cp1252", "windows-1252"):
        if replace:
            out = raw.decode("cp1252", errors="replace")
        elif drop:
            out = raw.decode("cp1252", errors="ignore")
        else:
            out = "".join(chr(b) if b in CP1252_UNDEFINED else bytes([b]).decode("cp1252") for b in raw)
    elif encoding in ("latin-1", "latin1", "iso-8859-1"):
        out = raw.decode("latin-1")
        if drop:
            out = "".join(c for c in out if not "\x80" <= c <= "\x9f")
    else:
        raise ValueError(f"corrupt(): unsupported encoding {encoding!r} (use 'cp1252' or 'latin-1')")
    if nbsp_to_space:
        out = out.replace("\xa0", " ")
    return out


# ---------------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Repair:
    """One repaired (or unrepairable) span of the input.

    ``start``/``end`` are offsets into the *input* text; ``broken`` is ``input[start:end]``; ``fixed`` is
    what replaced it in :attr:`RepairResult.text` (equal to ``broken`` when ``method='unrepaired'``).
    ``confidence`` is 1.0 for lossless repairs and the posterior probability of the least certain
    character otherwise. ``uncertain`` lists ``(offset in fixed, char, probability, alternatives)`` for
    every character chosen with probability below 0.99 (alternatives: best other readings).
    """

    start: int
    end: int
    broken: str
    fixed: str
    confidence: float
    method: str  # 'ftfy' (lossless) | 'lossy-lm' (reconstructed, LM-chosen) | 'unrepaired'
    uncertain: tuple[tuple[int, str, float, tuple[str, ...]], ...] = field(default=())

    @property
    def status(self) -> str:
        """'repaired', 'low-confidence' (confidence < LOW_CONFIDENCE) or 'unrepaired'."""
        if self.method == "unrepaired":
            return "unrepaired"
        return "repaired" if self.confidence >= LOW_CONFIDENCE else "low-confidence"

    def to_dict(self) -> dict:
        return {
            "start": self.start, "end": self.end, "broken": self.broken, "fixed": self.fixed,
            "confidence": round(self.confidence, 4), "method": self.method, "status": self.status,
            "uncertain": [
                {"offset": o, "char": c, "probability": round(p, 4), "alternatives": list(a)}
                for o, c, p, a in self.uncertain
            ],
        }


@dataclass(frozen=True)
class RepairResult:
    """The repaired text and every span that was touched (empty list: the text was clean)."""

    text: str
    repairs: list[Repair]

    @property
    def changed(self) -> bool:
        return any(r.fixed != r.broken for r in self.repairs)


# ---------------------------------------------------------------------------------------------------
# Character n-gram language model (Witten-Bell interpolation), stored compactly
# ---------------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------------
# Candidate lattice and beam search
# ---------------------------------------------------------------------------------------------------

_LITERAL_PENALTY = -25.0  # keeping a mojibake character as it is: only when nothing decodes
_SPACE, _WILD = -1, -2  # token kinds besides plain byte values


def _utf8_need(lead: int) -> int:
    if 0xC2 <= lead <= 0xDF:
        return 1
    if 0xE0 <= lead <= 0xEF:
        return 2
    if 0xF0 <= lead <= 0xF4:
        return 3
    return -1


@dataclass
class _Edge:
    end: int  # token index after this edge
    char: str
    penalty: float
    literal: bool  # a mojibake character kept as it is (nothing decoded)


_LOADED: dict[Path, CharNgramModel] = {}
_LOAD_LOCK = threading.Lock()


class MojibakeRepairer:
    """Finds broken spans and repairs them; holds the language model and search settings.

    >>> repairer = MojibakeRepairer()             # default bundled model, loaded on first use
    >>> repairer.repair("ì¡°").text               # doctest: +SKIP
    '조'

    ``beam``: states kept per position; ``max_candidates``: readings kept per broken character;
    ``min_confidence``: repairs whose confidence is lower are
    still applied (the best guess beats garbage for retrieval) unless ``keep_low_confidence=False``,
    in which case the broken text is kept and the span reported as ``unrepaired``.
    """

    def __init__(self, model: CharNgramModel | str | Path | None = None, *, beam: int = 12, max_candidates: int = 40,
                 min_confidence: float = LOW_CONFIDENCE, keep_low_confidence: bool = True, use_ftfy: bool = True):
        self._model = model if isinstance(model, CharNgramModel) else None
        self._model_path = Path(model) if isinstance(model, (str, Path)) else DEFAULT_MODEL_PATH
        self.beam = beam
        self.max_candidates = max_candidates
        self.min_confidence = min_confidence
        self.keep_low_confidence = keep_low_confidence
        self.use_ftfy = use_ftfy
        # (lead, observed bytes, need, dropped set) → plausible characters: the same few hundred
        # broken syllables recur everywhere, so candidate generation is done once per pattern.
        self._candidates: dict[tuple, tuple[str, ...]] = {}

    @property
    def model(self) -> CharNgramModel:
        if self._model is None:
            with _LOAD_LOCK:
                key = self._model_path.resolve()
                if key not in _LOADED:  # one copy per file per process, however many repairers
                    _LOADED[key] = CharNgramModel.load(key)
                self._model = _LOADED[key]
        return self._model

    # -- public --------------------------------------------------------------------------------------
    def repair(self, text: str) -> RepairResult:
        if not _SUSPECT.search(text):  # the fast path: clean text, no model touched
            return RepairResult(text, [])
        out: list[str] = []
        repairs: list[Repair] = []
        pos = 0
        for start, end in self._spans(text):
            out.append(text[pos:start])
            left = (out[-2] if len(out) > 1 else "") + out[-1]  # enough left context (≥ one word)
            repair = self._repair_span(text[start:end], start, left[-16:], text[end:end + 16])
            if repair is not None:
                repairs.append(repair)
                out.append(repair.fixed)
            else:
                out.append(text[start:end])
            pos = end
        out.append(text[pos:])
        return RepairResult("".join(out), repairs)

    # -- span detection ------------------------------------------------------------------------------
    def _spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Maximal runs of broken words on one line (ASCII/mojibake words between them included)."""
        for line in _LINE.finditer(text):
            if not _SUSPECT.search(line.group()):
                continue
            words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text, line.start(), line.end())]
            kinds = []
            for _, _, w in words:
                if _SUSPECT.search(w):
                    kinds.append("M")  # has a lead byte + continuation byte
                elif all(c < "\x80" for c in w):
                    kinds.append("A")
                elif all(c < "\x80" or _is_alphabet(c) for c in w):
                    kinds.append("W")  # mojibake alphabet only (e.g. one broken syllable, 'ì')
                else:
                    kinds.append("O")  # real Hangul, CJK, …: never part of a span's edge
            i = 0
            while i < len(words):
                if kinds[i] != "M":
                    i += 1
                    continue
                j = i
                # absorb W words just before (a syllable split by NBSP → space)
                while j > 0 and kinds[j - 1] == "W":
                    j -= 1
                k = i
                while True:
                    nxt = k + 1
                    while nxt < len(words) and kinds[nxt] in ("A", "W"):
                        nxt += 1
                    if nxt < len(words) and kinds[nxt] == "M":
                        k = nxt
                        continue
                    break
                # trailing W words (not A): a last syllable broken by NBSP → space
                while k + 1 < len(words) and kinds[k + 1] == "W":
                    k += 1
                end = words[k][1]
                if end < line.end() and text[end] == " ":
                    end += 1  # the space after a span may be the NBSP byte of its last character
                yield words[j][0], end
                i = k + 1

    # -- one span ------------------------------------------------------------------------------------
    def _repair_span(self, span: str, start: int, left: str, right: str) -> Repair | None:
        end = start + len(span)
        is_korean = bool(_HANGUL_UNIT.search(span))
        if self.use_ftfy:
            fixed = _ftfy_fix(span)
            if fixed is not None:
                return Repair(start, end, span, fixed, 1.0, "ftfy")
        if not is_korean:
            # Non-Korean mojibake that ftfy could not fix: report it only if ftfy calls it bad.
            import ftfy.badness

            if ftfy.badness.is_bad(span):
                return Repair(start, end, span, span, 0.0, "unrepaired")
            return None
        fixed, confidence, uncertain, literal_left = self._decode(span, left, right)
        if fixed == span:
            return Repair(start, end, span, span, 0.0, "unrepaired", uncertain)
        # literal_left: some bytes explained nothing (kept as they were, listed in ``uncertain`` with
        # probability 0); the rest is repaired. Confidence 0 marks the span for a human.
        if confidence < self.min_confidence and not self.keep_low_confidence:
            return Repair(start, end, span, span, confidence, "unrepaired", uncertain)
        return Repair(start, end, span, fixed, confidence, "lossy-lm", uncertain)

    def _tokens(self, span: str) -> tuple[list[int], tuple[int, ...], bool]:
        """Span characters → byte values (or _SPACE/_WILD); the dropped-byte set; NBSP→space possible?"""
        tokens = []
        for ch in span:
            if ch == " ":
                tokens.append(_SPACE)
            elif ch == REPLACEMENT:
                tokens.append(_WILD)
            elif ch < "\x80":
                tokens.append(ord(ch))
            elif ch in _CHAR_TO_BYTE:
                tokens.append(_CHAR_TO_BYTE[ch])
            else:
                tokens.append(-1000 - ord(ch))  # a character outside the alphabet (kept literally)
        # cp1252 characters for 0x80–0x9F (€ ‚ ƒ … ž Ÿ) prove a cp1252 decode: only its 5 holes were lost.
        # Otherwise (latin-1 with C1 controls stripped) any byte 0x80–0x9F may be missing.
        has_cp1252 = any(ch in _CP1252_SPECIAL for ch in span)
        dropped = CP1252_UNDEFINED if has_cp1252 else LATIN1_C1
        nbsp_possible = "\xa0" not in span  # a surviving NBSP means spaces are real spaces
        return tokens, dropped, nbsp_possible

    def _edges(self, span: str, tokens: list[int], dropped: tuple[int, ...], nbsp: bool) -> list[list[_Edge]]:
        lm = self.model
        n = len(tokens)
        edges: list[list[_Edge]] = [[] for _ in range(n)]
        for i, tok in enumerate(tokens):
            if tok == _SPACE:
                edges[i].append(_Edge(i + 1, " ", 0.0, False))
                continue
            if tok <= -1000:
                edges[i].append(_Edge(i + 1, chr(-1000 - tok), 0.0, False))
                continue
            if tok == _WILD:
                edges[i].append(_Edge(i + 1, REPLACEMENT, _LITERAL_PENALTY, True))
                continue
            if tok < 0x80:
                edges[i].append(_Edge(i + 1, chr(tok), 0.0, False))
                continue
            need = _utf8_need(tok)
            found: dict[tuple[int, str], _Edge] = {}
            if need > 0:
                for end, observed in _continuations(tokens, i + 1, need, nbsp):
                    key = (tok, tuple(observed), need, dropped)
                    chars = self._candidates.get(key)
                    if chars is None:
                        # All bytes present: an exact decode, no guess; any printable character will do
                        # (a rare hanja like 纖 must come back). Guessed bytes: only plausible characters.
                        exact = len(observed) == need and _WILD not in observed
                        chars = tuple(dict.fromkeys(c for c in _complete(tok, observed, need, dropped)
                                                    if _plausible(c, lm) or (exact and _printable(c))))
                        self._candidates[key] = chars
                    for ch in chars:
                        found.setdefault((end, ch), _Edge(end, ch, 0.0, False))
            if len(found) > self.max_candidates:
                # Heavy loss (latin-1 with every byte 0x80–0x9F stripped leaves hundreds of readings):
                # keep the characters the model finds most common; context decides among those.
                ranked = sorted(found.values(), key=lambda e: lm.logprob((), lm.char_id(e.char)), reverse=True)
                found = {(e.end, e.char): e for e in ranked[: self.max_candidates]}
            if found:
                edges[i].extend(found.values())
            else:  # a stray continuation byte, or a lead byte nothing plausible decodes from: keep it
                edges[i].append(_Edge(i + 1, span[i], _LITERAL_PENALTY, True))
        return edges

    def _decode(self, span: str, left: str, right: str):
        """Forward (Viterbi + sum) over the lattice, backward for posteriors; best path and confidences."""
        lm = self.model
        tokens, dropped, nbsp = self._tokens(span)
        edges = self._edges(span, tokens, dropped, nbsp)
        n = len(tokens)
        hist = max(lm.order - 1, 0)
        left = re.split(r"[\n\r]", left)[-1]
        left_ids = ((BOS,) + tuple(lm.char_id(c) for c in left))[-hist:] if hist else ()
        # states[pos]: ctx -> index into the arrays below
        states: list[dict[tuple[int, ...], int]] = [dict() for _ in range(n + 1)]
        alpha: list[float] = []
        delta: list[float] = []
        back: list[tuple[int, int, int] | None] = []  # (prev state, token pos, edge idx)
        incoming: list[list[tuple[int, float, int, int]]] = []  # per state: (src, w, pos, edge idx)
        ctxs: list[tuple[int, ...]] = []

        def add_state(pos: int, ctx: tuple[int, ...]) -> int:
            idx = len(alpha)
            states[pos][ctx] = idx
            alpha.append(-math.inf)
            delta.append(-math.inf)
            back.append(None)
            incoming.append([])
            ctxs.append(ctx)
            return idx

        s0 = add_state(0, left_ids)
        alpha[s0] = delta[s0] = 0.0
        furthest = 0  # the furthest token position any state has reached
        char_ids = lm.char_ids
        for pos in range(n):
            live = list(states[pos].values())
            if not live:
                continue
            if len(live) > self.beam:
                live.sort(key=lambda s: delta[s], reverse=True)
                for s in live[self.beam:]:
                    del states[pos][ctxs[s]]
                live = live[: self.beam]
            # A cut: one state, one way on, and nothing reached beyond it yet. Every complete path takes
            # this edge, so its score is a constant that changes no decision: skip the model there.
            cut = len(live) == 1 and len(edges[pos]) == 1 and furthest <= pos + 1
            for s in live:
                ctx = ctxs[s]
                for k, e in enumerate(edges[pos]):
                    w_id = char_ids.get(e.char)
                    if w_id is None:
                        w_id = lm.char_id(e.char)
                    w = e.penalty if cut else lm.logprob(ctx, w_id) + e.penalty
                    if e.end > furthest:
                        furthest = e.end
                    nctx = (ctx + (w_id,))[-hist:] if hist else ()
                    t = states[e.end].get(nctx)
                    if t is None:
                        t = add_state(e.end, nctx)
                    incoming[t].append((s, w, pos, k))
                    a = alpha[s] + w
                    alpha[t] = _logaddexp(alpha[t], a)
                    d = delta[s] + w
                    if d > delta[t]:
                        delta[t] = d
                        back[t] = (s, pos, k)
        finals = list(states[n].values())
        if not finals:
            return span, 0.0, (), True
        # right context: the characters after the span (or end of line) still have to fit
        beta: dict[int, float] = {}
        for s in finals:
            ctx = ctxs[s]
            score = 0.0
            for ch in right[: hist or 1]:
                if ch in "\n\r":
                    score += lm.logprob(ctx, EOS)
                    break
                w_id = lm.char_id(ch)
                score += lm.logprob(ctx, w_id)
                ctx = (ctx + (w_id,))[-hist:] if hist else ()
            else:
                if not right:
                    score += lm.logprob(ctx, EOS)
            beta[s] = score
        best_final = max(finals, key=lambda s: delta[s] + beta[s])
        log_z = -math.inf
        for s in finals:
            log_z = _logaddexp(log_z, alpha[s] + beta[s])
        # backward pass over recorded edges (states in decreasing creation order are topological)
        for t in range(len(alpha) - 1, -1, -1):
            if t not in beta:
                continue
            for s, w, _, _ in incoming[t]:
                beta[s] = _logaddexp(beta.get(s, -math.inf), w + beta[t])
        # edge-label posteriors: (token pos, edge idx) → probability
        posterior: dict[tuple[int, int], float] = {}
        for t, inc in enumerate(incoming):
            if t not in beta:
                continue
            for s, w, pos, k in inc:
                p = math.exp(alpha[s] + w + beta[t] - log_z)
                key = (pos, edges[pos][k].end, edges[pos][k].char)
                posterior[key] = posterior.get(key, 0.0) + p
        # best path
        path: list[tuple[int, int]] = []
        t = best_final
        while back[t] is not None:
            s, pos, k = back[t]
            path.append((pos, k))
            t = s
        path.reverse()
        chars: list[str] = []
        confidence = 1.0
        uncertain = []
        literal_left = False
        for pos, k in path:
            e = edges[pos][k]
            if e.literal:
                literal_left = True
                confidence = 0.0
                uncertain.append((len("".join(chars)), e.char, 0.0, ()))
            elif len(edges[pos]) > 1:
                p = min(1.0, posterior.get((pos, e.end, e.char), 0.0))
                confidence = min(confidence, p)
                if p < 0.99:
                    alts = sorted(
                        ((posterior.get((pos, o.end, o.char), 0.0), o.char) for o in edges[pos] if o is not e),
                        reverse=True,
                    )
                    uncertain.append((len("".join(chars)), e.char, p, tuple(c for q, c in alts[:3] if q > 0.001)))
            chars.append(e.char)
        return "".join(chars), confidence, tuple(uncertain), literal_left


def _logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    if a > b:
        return a + math.log1p(math.exp(b - a))
    return b + math.log1p(math.exp(a - b))


def _continuations(tokens: list[int], j: int, need: int, nbsp: bool) -> Iterator[tuple[int, list[int]]]:
    """Ways to take up to ``need`` continuation tokens from ``j``: (end index, observed bytes or _WILD).

    A continuation byte must be taken (it cannot start a character); a space may be an NBSP (0xA0) —
    both readings are offered; anything else ends the character (the rest was dropped).
    """
    observed: list[int] = []
    while True:
        tok = tokens[j] if j < len(tokens) else None
        if len(observed) == need or tok is None:
            yield j, list(observed)
            return
        if tok == _WILD or (tok is not None and 0x80 <= tok <= 0xBF):
            observed.append(tok)
            j += 1
            continue
        if tok == _SPACE and nbsp:
            yield j, list(observed)  # a real space: this character lost bytes
            observed.append(0xA0)
            j += 1
            continue
        yield j, list(observed)
        return


def _complete(lead: int, observed: list[int], need: int, dropped: tuple[int, ...]) -> Iterator[str]:
    """Characters whose UTF-8 bytes are ``lead`` + ``observed`` with the missing bytes (from ``dropped``)
    put back anywhere; a _WILD observed byte is any dropped byte."""
    missing = need - len(observed)
    for slots in combinations(range(need), len(observed)):
        seq: list[int | None] = [None] * need
        for slot, b in zip(slots, observed):
            seq[slot] = b
        options = [[b] if b is not None and b != _WILD else list(dropped) for b in seq]
        if missing == 0 and _WILD not in observed:
            options = [[b] for b in seq]  # type: ignore[list-item]
        yield from _expand(lead, options)


def _expand(lead: int, options: list[list[int]]) -> Iterator[str]:
    buf = [lead]

    def rec(k: int) -> Iterator[str]:
        if k == len(options):
            try:
                yield bytes(buf).decode("utf-8")
            except UnicodeDecodeError:
                pass
            return
        for b in options[k]:
            buf.append(b)
            yield from rec(k + 1)
            buf.pop()

    yield from rec(0)


def _plausible(ch: str, lm: CharNgramModel) -> bool:
    """Characters a broken Korean statute may really contain: any Hangul syllable, or one the model saw."""
    return "\uac00" <= ch <= "\ud7a3" or (lm.knows(ch) and ch >= "\x80")


def _printable(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNPS"


def _ftfy_fix(span: str) -> str | None:
    """ftfy's lossless repair of ``span``, or None when it could not fix all of it."""
    import ftfy

    fixed = ftfy.fix_encoding(span)
    if fixed == span or _SUSPECT.search(fixed) or REPLACEMENT in fixed:
        return None
    if any("\x80" <= c <= "\x9f" for c in fixed):
        return None
    return fixed


# ---------------------------------------------------------------------------------------------------
# Module-level API
# ---------------------------------------------------------------------------------------------------

_default: MojibakeRepairer | None = None


def repair_mojibake(text: str) -> RepairResult:
    """Repair cp1252/latin-1 mojibake in ``text`` with the bundled model; clean text comes back as is."""
    global _default
    if not _SUSPECT.search(text):
        return RepairResult(text, [])
    if _default is None:
        _default = MojibakeRepairer()
    return _default.repair(text)


# ---------------------------------------------------------------------------------------------------
# Training/benchmark corpus: clean statute lines from the legalize-kr mirror, split by law
# ---------------------------------------------------------------------------------------------------

#: Laws whose folder name hashes into this bucket (of 10) are held out: never used to train the model,
#: only to benchmark it. ``sha1(folder name, UTF-8)[0] % 10 == 0``.
HELD_OUT_BUCKET = 0


def is_held_out(law_folder: str) -> bool:
    """True for the ~10% of laws reserved for the benchmark (deterministic, by name hash)."""
    return hashlib.sha1(law_folder.encode("utf-8")).digest()[0] % 10 == HELD_OUT_BUCKET


_MD_HEADING = re.compile(r"^#+\s*")
_MD_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MD_ESCAPE = re.compile(r"\\([.\-*_#()\[\]])")


def statute_lines(zip_path: str | Path, *, split: str = "train") -> Iterator[tuple[str, str]]:
    """``(law folder, clean line)`` for every body line of every statute in the legalize-kr zip.

    ``split='train'`` yields the laws that are not held out, ``'test'`` the held-out ones, ``'all'`` both.
    Front matter and 부칙 are skipped; markdown markup is removed; text is normalized.
    """
    from legalret.text import normalize

    with zipfile.ZipFile(zip_path) as zf:
        for name in sorted(zf.namelist()):
            if not name.endswith(".md"):
                continue
            parts = name.split("/")
            if len(parts) < 3:
                continue
            law = parts[-2]
            held = is_held_out(law)
            if (split == "train" and held) or (split == "test" and not held):
                continue
            text = zf.read(name).decode("utf-8", errors="replace")
            if text.startswith("---"):
                close = text.find("\n---", 3)
                text = text[close + 4:] if close > 0 else text
            for raw in text.splitlines():
                if raw.startswith("## 부칙"):
                    break
                line = _MD_ESCAPE.sub(r"\1", _MD_BOLD.sub(r"\1", _MD_HEADING.sub("", raw)))
                line = normalize(line)
                if line:
                    yield law, line
