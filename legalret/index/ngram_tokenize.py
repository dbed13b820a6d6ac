"""Character n-gram tokens for BM25: a memory text's words cut into overlapping syllable pairs, no analyser.

Kiwi (:mod:`legalret.index.tokenize`) is the costliest part of building the facts memory: 21,235 decision
facts of ~1,400 characters each for the main job, 58k for all laws. Character bigrams need no dictionary
and no model, and match a word whatever its ending — ``임대차보증금을`` shares ``임대``, ``대차``, ``차보``,
``보증``, ``증금`` with ``임대차보증금의`` — which is what a person's own telling of a dispute needs (a
character-bigram memory over the facts did well on scenario questions: ``experiments/facts_memory.py``).

The rules (:class:`NgramSettings`):

* the text is NFKC-normalized (full-width letters and digits, circled numbers, ``㈜``) and lower-cased;
* a **word** is a run of one script — Hangul syllables, Han characters, Latin letters or digits — so ``제1조``
  is ``제`` + ``1`` + ``조``; punctuation, spaces and everything else separate words;
* a Hangul or Han word of ``n`` or more characters gives its character ``n``-grams (``n`` = 2: bigrams), one
  shorter gives itself (``법``, ``갑``); ``words`` > 0 adds each Hangul/Han word of 2…``words`` characters
  whole (exact-word matches weigh more);
* a Latin word is one lower-cased token; digits are dropped unless ``digits`` (dates and amounts: they match
  nothing a question asks).

Usage::

    from legalret.index.ngram_tokenize import NgramTokenizer, tokenizer_from_settings

    tok = NgramTokenizer()                      # n = 2
    tok.tokenize("임차인이 보증금을")            # ['임차', '차인', '인이', '보증', '증금', '금을']
    tok.tokenize_many(texts)                    # the same per text (what a memory build calls)
    tok.settings.to_dict()                      # {'name': 'ngram', 'n': 2, …}: stored with the memory
    tokenizer_from_settings(meta["tokenizer_settings"], kiwi=index_kiwi)   # what a stored memory was cut with

There is no token cache for n-grams (:mod:`legalret.index.token_cache` is Kiwi's, keyed by Kiwi's settings):
cutting all 21,235 facts of the main job takes ~10 CPU-s (0.45 ms a text, Kiwi 24 ms), and their tokens, 2.5x as
many as Kiwi's, would take ~40 MB of cache to save those seconds.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Sequence

from legalret.errors import IndexError_

#: One word: a run of Hangul syllables, of Han characters (CJK unified + compatibility ideographs), of Latin
#: letters or of digits (after NFKC and lower-casing, so full-width forms are already ASCII).
_WORD = re.compile(r"[가-힣]+|[\u4e00-\u9fff\uf900-\ufaff]+|[a-z]+|[0-9]+")


@dataclass(frozen=True)
class NgramSettings:
    """Everything that changes the tokens; stored with a memory so its queries are cut the same way."""

    name: str = "ngram"
    n: int = 2  # characters per gram within a Hangul/Han word
    words: int = 0  # also emit Hangul/Han words of 2..words characters whole (0: never)
    digits: bool = False  # keep runs of digits as tokens
    version: int = 1  # bumped when the rules above change (a memory made by other rules is refused)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "NgramSettings":
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in known})


class NgramTokenizer:
    """Character n-gram tokenizer (see the module docstring); the interface of
    :class:`~legalret.index.tokenize.KiwiTokenizer` (``tokenize``, ``tokenize_many``, ``settings``,
    ``analysed``/``cached``). Deterministic and thread-safe."""

    def __init__(self, settings: NgramSettings | dict | None = None):
        if isinstance(settings, dict):
            settings = NgramSettings.from_dict(settings)
        self.settings: NgramSettings = settings or NgramSettings()
        s = self.settings
        if s.name != "ngram" or s.version != NgramSettings.version or s.n < 1 or s.words < 0:
            raise IndexError_(f"unsupported n-gram tokenizer settings {s.to_dict()} (this legalret cuts "
                              f"version {NgramSettings.version}, n ≥ 1); rebuild the memory")
        self.cached = 0  # (no token cache: kept for the KiwiTokenizer interface)
        self.analysed = 0  # texts tokenize_many cut

    def tokenize(self, text: str) -> list[str]:
        """Tokens of one text (a query or a memory text), in text order."""
        if not text:
            return []
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        n, whole, digits = self.settings.n, self.settings.words, self.settings.digits
        out: list[str] = []
        for word in _WORD.findall(text.lower()):
            if word[0] <= "z":  # Latin letters or digits (ASCII after NFKC)
                if word[0] > "9" or digits:
                    out.append(word)
            elif len(word) <= n:
                out.append(word)
            else:
                out.extend([word[i : i + n] for i in range(len(word) - n + 1)])
                if len(word) <= whole:
                    out.append(word)
        return out

    def tokenize_many(self, texts: Sequence[str] | Iterable[str]) -> list[list[str]]:
        """Tokens of many texts, in order."""
        out = [self.tokenize(t) for t in texts]
        self.analysed += len(out)
        return out

    __call__ = tokenize


def tokenizer_from_settings(settings: dict | None, *, kiwi: Any = None) -> Any:
    """The tokenizer a memory's stored ``settings`` describe: an :class:`NgramTokenizer`, or for Kiwi
    settings (or none: memories written before the settings were stored) ``kiwi`` — the index's own
    :class:`~legalret.index.tokenize.KiwiTokenizer`, made from ``settings`` when not given. An unknown
    tokenizer name is refused (:class:`IndexError_`), never guessed."""
    name = (settings or {}).get("name", "kiwi")
    if name == "ngram":
        return NgramTokenizer(settings)
    if name == "kiwi":
        if kiwi is not None or settings is None:
            return kiwi
        from legalret.index.tokenize import KiwiTokenizer

        return KiwiTokenizer(settings)
    raise IndexError_(f"unknown tokenizer {name!r} (this legalret knows 'kiwi' and 'ngram'); rebuild the memory")
