r"""The byte alphabet of cp1252/latin-1 mojibake: which character stands for which byte, how to spot a
broken span (:func:`looks_like_mojibake`), and how real pipelines break text (:func:`corrupt`).

>>> corrupt("상법 제651조")
'ìƒë²• ì\xa0œ651ì¡°'
>>> looks_like_mojibake('ìƒë²•'), looks_like_mojibake('café Müller')
(True, False)
"""

from __future__ import annotations

import re

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
#: The bytes of a broken character a repair could not rebuild, left as they were beside Korean text: '유보(ï§保)',
#: '갱신거절(ï¤新拒絶)' (a compatibility hanja that lost a byte). Latin text beside Hangul or hanja does not end in a
#: lead + continuation pair, so this is mojibake too — an articles JSONL holding it had passed as clean.
_KOREAN_CHAR = "\uac00-\ud7a3\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LEFTOVER = re.compile(f"[{_KOREAN_CHAR}]" + _SUSPECT.pattern + "|" + _SUSPECT.pattern + f"[{_KOREAN_CHAR}]")
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
    if _HANGUL_UNIT.search(text) or _LEFTOVER.search(text):
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


