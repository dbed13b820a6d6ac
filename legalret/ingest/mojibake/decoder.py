"""The repair itself: find broken spans, build each span's candidate lattice, and beam-search it with
the character language model (:mod:`.model`); ftfy first for the lossless case.

>>> from legalret.ingest.mojibake import corrupt, repair_mojibake
>>> repair_mojibake(corrupt("상법 제651조")).text
'상법 제651조'
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Iterator

from legalret.ingest.mojibake.alphabet import (
    _CHAR_TO_BYTE,
    _CP1252_SPECIAL,
    _HANGUL_UNIT,
    _LINE,
    _SUSPECT,
    _WORD,
    CP1252_UNDEFINED,
    LATIN1_C1,
    LOW_CONFIDENCE,
    REPLACEMENT,
    _is_alphabet,
)
from legalret.ingest.mojibake.model import BOS, EOS, CharNgramModel

#: The bundled model (ships in the package; ``scripts/mojibake_build_model.py`` rebuilds it).
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent.parent / "data" / "mojibake_lm.npz"

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
    every character chosen with probability below 0.99 (alternatives: best other readings), and for every
    character in ``guessed``.

    ``guessed``: the offsets (in ``fixed``) of characters rebuilt from bytes the wrong decoding lost, where other
    real syllables fit the same bytes (교각 → '교감', 생사 → '상사', 라 → '끼'). The model's choice among them can be
    wrong however sure it is, so such a span is never a certain repair (status 'guessed'), whatever its confidence.
    """

    start: int
    end: int
    broken: str
    fixed: str
    confidence: float
    method: str  # 'ftfy' (lossless) | 'lossy-lm' (reconstructed, LM-chosen) | 'unrepaired'
    uncertain: tuple[tuple[int, str, float, tuple[str, ...]], ...] = field(default=())
    guessed: tuple[int, ...] = field(default=())

    @property
    def status(self) -> str:
        """'repaired' (certain), 'low-confidence' (confidence < LOW_CONFIDENCE), 'guessed' (some character rebuilt
        from lost bytes where other real syllables fit: uncertain however high the confidence) or 'unrepaired'."""
        if self.method == "unrepaired":
            return "unrepaired"
        if self.confidence < LOW_CONFIDENCE:
            return "low-confidence"
        return "guessed" if self.guessed else "repaired"

    def to_dict(self) -> dict:
        return {
            "start": self.start, "end": self.end, "broken": self.broken, "fixed": self.fixed,
            "confidence": round(self.confidence, 4), "method": self.method, "status": self.status,
            "guessed": list(self.guessed),
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

    @property
    def lost(self) -> int:
        """U+FFFD left outside the repaired spans: characters lost before the text came here (UTF-8 read as CP949,
        or cut, and saved again), which no repair can know (those inside a span are its own ``unrepaired`` report)."""
        return self.text.count(REPLACEMENT) - sum(r.fixed.count(REPLACEMENT) for r in self.repairs)


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
    rebuilt: bool = False  # some of its bytes were lost and put back (a guess, unless nothing else fits)


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
    ``keep_undecoded``: a guess in which some bytes decoded to nothing (left as the mojibake characters they
    were, confidence 0) and what did decode is not Korean text (any character but ASCII, Hangul syllables and
    CJK punctuation: invented — '°üÇÏ¿© ¡¸¹Î¹ý¡¹' → '°üÇϿ© ¡¸¹ιý¡¹', CP949 bytes read as UTF-8's) is not
    applied; the span is kept as it was and reported as ``unrepaired`` (``legalret fix-text``'s default; ingest
    applies it and warns). 'ìƒë²• ¡¡¡' → '상법 ¡¡¡' is still applied (low-confidence).
    """

    def __init__(self, model: CharNgramModel | str | Path | None = None, *, beam: int = 12, max_candidates: int = 40,
                 min_confidence: float = LOW_CONFIDENCE, keep_low_confidence: bool = True, use_ftfy: bool = True,
                 keep_undecoded: bool = False):
        self._model = model if isinstance(model, CharNgramModel) else None
        self._model_path = Path(model) if isinstance(model, (str, Path)) else DEFAULT_MODEL_PATH
        self.beam = beam
        self.max_candidates = max_candidates
        self.min_confidence = min_confidence
        self.keep_low_confidence = keep_low_confidence
        self.keep_undecoded = keep_undecoded
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
        fixed, confidence, uncertain, literal_left, guessed = self._decode(span, left, right)
        if fixed == span:
            return Repair(start, end, span, span, 0.0, "unrepaired", uncertain)
        # literal_left: some bytes explained nothing (kept as they were, listed in ``uncertain`` with
        # probability 0); the rest is repaired. Confidence 0 marks the span for a human.
        if (confidence < self.min_confidence and not self.keep_low_confidence) or (
                literal_left and self.keep_undecoded and _invented(fixed, uncertain)):
            return Repair(start, end, span, span, confidence, "unrepaired", uncertain)
        return Repair(start, end, span, fixed, confidence, "lossy-lm", uncertain, guessed)

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
                    rebuilt = len(observed) < need or _WILD in observed
                    for ch in chars:
                        found.setdefault((end, ch), _Edge(end, ch, 0.0, False, rebuilt))
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
            return span, 0.0, (), True, ()
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
        guessed = []
        offset = 0  # of this character in the fixed text
        for pos, k in path:
            e = edges[pos][k]
            if e.literal:
                literal_left = True
                confidence = 0.0
                uncertain.append((offset, e.char, 0.0, ()))
            elif len(edges[pos]) > 1:
                p = min(1.0, posterior.get((pos, e.end, e.char), 0.0))
                confidence = min(confidence, p)
                if e.rebuilt or p < 0.99:
                    alts = sorted(
                        ((posterior.get((pos, o.end, o.char), 0.0), o.char) for o in edges[pos] if o is not e),
                        reverse=True,
                    )
                    # A character rebuilt from lost bytes where other syllables of real text fit the same bytes is a
                    # guess, however sure the model is (교각 → 교감 at 0.98, 생사 → 상사 at 0.99+): it is listed with
                    # those syllables, even the unlikely ones, and makes its span uncertain.
                    rivals = [c for _, c in alts if c != e.char and _real_syllable(c, lm)] if e.rebuilt else []
                    if rivals:
                        guessed.append(offset)
                        uncertain.append((offset, e.char, p, tuple(dict.fromkeys(rivals))[:3]))
                    elif p < 0.99:
                        uncertain.append((offset, e.char, p, tuple(c for q, c in alts[:3] if q > 0.001)))
            chars.append(e.char)
            offset += len(e.char)
        return "".join(chars), confidence, tuple(uncertain), literal_left, tuple(guessed)


def _invented(fixed: str, uncertain) -> bool:
    """Whether a guess that left bytes undecoded (``uncertain`` entries of probability 0, the characters kept as they
    were) decoded any of the others to something Korean text does not hold: then the bytes were not UTF-8's at all
    (CP949 read as Latin-1, whole-text decoded by ``ingest``'s reader, not here) and the guess is invented."""
    kept = {offset for offset, _, probability, _ in uncertain if probability == 0.0}
    hangul = statute_marks = 0
    for i, ch in enumerate(fixed):
        if i in kept or ch.isascii() or ch == "\u00b7":
            continue
        if "\uac00" <= ch <= "\ud7a3":
            hangul += 1
            continue
        if "\u2010" <= ch <= "\u303f" and unicodedata.category(ch).startswith("P"):  # 「」·‘’“”… and the like
            continue
        if _STATUTE_MARK.match(ch):
            statute_marks += 1
            continue
        return True
    # hanja and paragraph marks are a statute's own ('갱신거절(ï¤新拒絶)', '⑥'): in Korean prose they are no invention —
    # a whole paragraph had been left in mojibake by fix-text for one lost compatibility hanja, which ingest repairs.
    # A span of them with little Hangul is still CP949 bytes decoded as UTF-8's ('… 美').
    return statute_marks > 0 and hangul < 4 * statute_marks


#: Characters a Korean statute holds besides Hangul: CJK ideographs (hanja, compatibility hanja too), circled and
#: parenthesized numbers and letters (①, ㉠), compatibility jamo (ㆍ).
_STATUTE_MARK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u2460-\u24ff\u3200-\u32ff\u3131-\u318e]")


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


def _real_syllable(ch: str, lm: CharNgramModel) -> bool:
    """A reading a rebuilt character could really have had: a character legal prose holds (the model saw it).
    Syllables no text uses ('뼝', '뼐') are no rival for a rebuilt one."""
    return lm.knows(ch) and ch >= "\x80"


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


