"""Repair Korean mojibake: UTF-8 text that was decoded as cp1252 or latin-1, lossless or lossy.

``상법 제651조`` stored as UTF-8 and read back as cp1252 becomes ``ìƒë²• ì œ651ì¡°``. Two cases:

* **lossless** — every byte survived (latin-1 keeps bytes 0x80–0x9F as C1 control characters, ftfy's
  "sloppy" cp1252 too). :mod:`ftfy` undoes this exactly (``method='ftfy'``).
* **lossy** — the common real case. cp1252 has no characters for bytes 0x81 0x8D 0x8F 0x90 0x9D, so a
  decoder with ``errors='ignore'`` drops them (15.8% of Hangul syllables contain one: 상 의 인 원 점 …);
  a latin-1 text whose C1 controls were stripped loses every byte 0x80–0x9F; NBSP (0xA0) may have become
  a plain space; ``errors='replace'`` leaves ``\\ufffd`` for the byte. Such text can only be *guessed*:
  every UTF-8 character whose bytes could have produced what we see is a candidate, and a character
  n-gram language model learned from clean legal prose (statutes and precedent holdings/facts) chooses
  among them by a beam search over the whole span (``method='lossy-lm'``). Each repaired span carries
  the posterior probability of its least certain character as ``confidence``; below
  :data:`LOW_CONFIDENCE` it is reported as ``low-confidence``.

Nothing is dropped silently: a span that looks like Korean mojibake but cannot be decoded is reported
with ``method='unrepaired'`` and left as it was.

Usage::

    >>> from legalret.ingest.mojibake import repair_mojibake, looks_like_mojibake, corrupt
    >>> broken = corrupt("상법 제651조")          # UTF-8 read as cp1252, undefined bytes dropped
    >>> repair_mojibake(broken).text
    '상법 제651조'
    >>> looks_like_mojibake("민법 제1조"), looks_like_mojibake("café Müller")
    (False, False)

Call it on the raw text of a file *before* :func:`legalret.text.normalize` or ``str.splitlines()``: both
treat U+0085 (byte 0x85 of a latin-1 decode, as in 안 = EC 95 88) as whitespace or a line break, and
normalizing turns NBSP into a space, which is repairable but lossier.

On clean text :func:`repair_mojibake` is one regular-expression scan (no model is loaded). The model
(``legalret/data/mojibake_lm.npz``, built by ``scripts/mojibake_build_model.py``) is loaded lazily.

Modules: :mod:`.alphabet` (bytes ↔ characters, detection, corruption), :mod:`.model` (the character
n-gram model), :mod:`.decoder` (span finding, lattice, beam search, the public repairers),
:mod:`.corpus` (training/benchmark text and its held-out splits).
"""

from legalret.ingest.mojibake.alphabet import (
    CP1252_UNDEFINED,
    LATIN1_C1,
    LOW_CONFIDENCE,
    REPLACEMENT,
    corrupt,
    looks_like_mojibake,
)
from legalret.ingest.mojibake.corpus import (
    HELD_OUT_BUCKET,
    holding_lines,
    is_held_out,
    precedent_lines,
    statute_lines,
)
from legalret.ingest.mojibake.decoder import (
    DEFAULT_MODEL_PATH,
    MojibakeRepairer,
    Repair,
    RepairResult,
    repair_mojibake,
)
from legalret.ingest.mojibake.model import CharNgramModel

__all__ = [
    "CP1252_UNDEFINED",
    "CharNgramModel",
    "DEFAULT_MODEL_PATH",
    "HELD_OUT_BUCKET",
    "LATIN1_C1",
    "LOW_CONFIDENCE",
    "MojibakeRepairer",
    "REPLACEMENT",
    "Repair",
    "RepairResult",
    "corrupt",
    "holding_lines",
    "is_held_out",
    "looks_like_mojibake",
    "precedent_lines",
    "repair_mojibake",
    "statute_lines",
]
