"""Read Hanja in Hangul: ``民法 第750條`` → ``민법 제750조``, ``不動産의 二重賣買`` → ``부동산의 이중매매``.

Older judgments, commentaries and many lawyers' notes write legal words in Hanja; the statutes and holdings an
index holds are in Hangul, so a query in Hanja matches no word and cites no article. :func:`read_hanja` gives each
Hanja character one Hangul syllable — the text keeps its length, so offsets found in the reading hold in the
original — with its readings from Unicode's Unihan database (``legalret/data/hanja_readings.tsv``, built by
``scripts/hanja_build_table.py``; the reading taught in schools first).

A character can have several readings (更 갱/경, 狀 상/장, 不 불/부, 率 률/율) and Korean spelling changes some at a
word's start (勞動 노동, not 로동: 두음법칙). Given ``weight`` — how common a Hangul word is, e.g. its document
frequency in the index's articles — each run of Hanja is cut into words of two to four characters whose readings
are known words, the longest cover first (變更 → 변경; 令狀 → 영장 and 不當勞動 → 부당 + 노동 where the index has those
words). Without it, or for a character no known word covers, the school reading with the spelling rules is used.

The courts' party letters (甲 乙 丙 …) stay as they are: the memories' holdings write them so. A gloss in brackets
after the Hangul word it spells (``전세(傳貰)``, common in holdings) is left as it is: read, the word would count
twice.

Usage::

    >>> read_hanja("民法 第750條")
    ('민법 제750조', [('民法', '민법'), ('第', '제'), ('條', '조')])
    >>> read_hanja("甲은 不動産을", weight={"부동산": 120}.get)[0]
    '甲은 부동산을'
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from itertools import islice, product
from pathlib import Path
from typing import Callable

TABLE = Path(__file__).resolve().parent / "data" / "hanja_readings.tsv"
#: CJK ideographs: the unified block, extension A, the compatibility block (NFC maps most of it to the unified one)
#: and extensions B–F.
HANJA = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
#: The courts' names for the parties (甲, 乙, 丙 …), left in Hanja.
PARTY_HANJA = frozenset("甲乙丙丁戊己庚辛壬癸")
#: The UTF-8 lead bytes of those blocks (E3 90–BF: U+3400–3FFF, E4–E9: U+4000–9FFF, EF A4–AB: U+F900–FAFF, F0: beyond
#: the BMP). Every query is checked, and a bytes pattern compiles in microseconds where a str class over these ranges
#: takes ~3 ms (re builds a map of the 64k BMP): the Hanja pattern itself is compiled only for a query that may hold one.
_LEAD = re.compile(rb"[\xe4-\xe9\xf0]|\xe3[\x90-\xbf]|\xef[\xa4-\xab]")

#: The longest word a run is cut into, and the most readings tried for one word (a few characters have many).
MAX_WORD = 4
MAX_COMBINATIONS = 64

_BASE, _INITIALS, _MEDIALS = 0xAC00, 19, 21
_NIEUN, _RIEUL, _IEUNG = 2, 5, 11
# medials after which an initial ㄹ (and ㄴ) becomes ㅇ at a word's start: ㅑ ㅕ ㅖ ㅛ ㅠ ㅣ (녀 → 여, 리 → 이)
_Y_MEDIALS = frozenset({2, 6, 7, 12, 17, 20})


@lru_cache(maxsize=1)
def runs() -> re.Pattern:
    """The pattern of a run of Hanja, party letters excepted."""
    return re.compile(f"(?:(?![{''.join(sorted(PARTY_HANJA))}])[{HANJA}])+")


def has_hanja(text: str) -> bool:
    """Does ``text`` hold a Hanja character other than the party letters (a scan of its UTF-8 bytes, then of the text
    only when one may)?"""
    return _LEAD.search(text.encode("utf-8", "surrogatepass")) is not None and runs().search(text) is not None


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    with open(TABLE, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                char, readings = line.rstrip("\n").split("\t")
                table[char] = tuple(readings.split())
    return table


#: Simplified and Japanese forms common in legal writing (民法 第750条, 労働, 売買) that Unihan gives no Korean reading:
#: each is read as its traditional form (働, Japan's own character, as 動: 労働 노동). (Only forms the table lacks: 権, 処, 国 … have readings of their own.)
VARIANTS = dict(zip("条项号働売続労拠関与価従発経営断対当帰属戦図区変数気検旧状称継聴読転辺徴挙悪圧囲為応欧殴穏戸税収険譲庁軽乗剰浄単弾銭残験剣齢歯",
                    "條項號動賣續勞據關與價從發經營斷對當歸屬戰圖區變數氣檢舊狀稱繼聽讀轉邊徵擧惡壓圍爲應歐毆穩戶稅收險讓廳輕乘剩淨單彈錢殘驗劍齡齒"))


def readings(char: str) -> tuple[str, ...]:
    """``char``'s Korean readings, the school reading first (``()`` for a character without one); a simplified or
    Japanese form (:data:`VARIANTS`) has its traditional form's.

    >>> readings("条"), readings("條")
    (('조',), ('조',))
    """
    table = _table()
    return table.get(char) or table.get(VARIANTS.get(char, ""), ())


def _jamo(syllable: str) -> tuple[int, int, int] | None:
    code = ord(syllable) - _BASE
    if not 0 <= code < _INITIALS * _MEDIALS * 28:
        return None
    return code // (_MEDIALS * 28), code // 28 % _MEDIALS, code % 28


def _syllable(initial: int, medial: int, final: int) -> str:
    return chr(_BASE + (initial * _MEDIALS + medial) * 28 + final)


def word_initial(syllable: str) -> str:
    """The reading at a word's start (두음법칙): 로 → 노, 리 → 이, 녀 → 여; others unchanged."""
    parts = _jamo(syllable)
    if parts is None:
        return syllable
    initial, medial, final = parts
    if initial == _RIEUL:
        return _syllable(_IEUNG if medial in _Y_MEDIALS else _NIEUN, medial, final)
    if initial == _NIEUN and medial in _Y_MEDIALS - {2, 7}:  # 녀 뇨 뉴 니 (not 냐, 녜)
        return _syllable(_IEUNG, medial, final)
    return syllable


def _after(previous: str, syllable: str) -> str:
    """A reading inside a word by the spelling rules alone: 렬/률 after a vowel or ㄴ is 열/율 (比率 비율)."""
    prev, cur = _jamo(previous), _jamo(syllable)
    if prev is None or cur is None:
        return syllable
    if _is_ryeol(syllable) and prev[2] in (0, 4):  # after no final consonant or ㄴ
        return _syllable(_IEUNG, cur[1], cur[2])
    return syllable


def _is_ryeol(syllable: str) -> bool:
    """렬 or 률."""
    return syllable in ("렬", "률")


def _options(run: str, start: int, end: int) -> list[list[str]]:
    """Every reading each character of ``run[start:end]`` may have as one word (the word's first with 두음법칙)."""
    out = []
    for k in range(start, end):
        found = list(readings(run[k])) or [run[k]]
        if k == start:
            found += [word_initial(r) for r in found]
        else:
            found += [_syllable(_IEUNG, *_jamo(r)[1:]) for r in found if _is_ryeol(r)]  # 률/율, 렬/열: the word decides
        out.append(list(dict.fromkeys(found)))
    return out


def _default(run: str, word_start: bool) -> str:
    """The run read by the school readings and the spelling rules alone."""
    out: list[str] = []
    for k, char in enumerate(run):
        found = readings(char)
        if not found:
            out.append(char)
            continue
        reading = found[0]
        if k == 0 and word_start:
            reading = word_initial(reading)
        elif out:
            reading = _after(out[-1], reading)
        out.append(reading)
    # 不 before ㄷ/ㅈ is 부 (부당, 부동산, 부정), elsewhere 불 (불법, 불능)
    for k in range(len(run) - 1):
        nxt = _jamo(out[k + 1])
        if run[k] == "不" and nxt is not None and nxt[0] in (3, 12):
            out[k] = "부"
    return "".join(out)


def _read_run(run: str, word_start: bool, weight: Callable[[str], float | int | None] | None) -> str:
    if weight is None:
        return _default(run, word_start)
    fallback = _default(run, word_start)
    n = len(run)
    # best[j]: (score, reading of run[:j]); a known word of 2–4 characters scores L² (longer words first), a character
    # no known word covers scores 0 and keeps its default reading
    best: list[tuple[float, str] | None] = [None] * (n + 1)
    best[0] = (0.0, "")
    for j in range(1, n + 1):
        for i in range(max(0, j - MAX_WORD), j):
            if best[i] is None:
                continue
            if j - i == 1:  # one character: its default reading — a lone syllable's frequency says little (更生
                word, score = fallback[i], 0.0  # would read 경생, 北韓 배한, by the commoner syllables 경, 배)
            else:
                word, score = _known_word(run, i, j, weight)
                if word is None:
                    continue
            total = best[i][0] + score
            if best[j] is None or total > best[j][0]:
                best[j] = (total, best[i][1] + word)
    return best[n][1]


def _known_word(run: str, i: int, j: int, weight: Callable) -> tuple[str | None, float]:
    """The reading of ``run[i:j]`` that is the most common known word (None when no reading is one)."""
    found, top = None, 0.0
    for combination in islice(product(*_options(run, i, j)), MAX_COMBINATIONS):
        word = "".join(combination)
        w = weight(word) or 0
        if w > top:
            found, top = word, w
    if found is None:
        return None, 0.0
    return found, (j - i) ** 2 + 0.001 * math.log1p(top)  # the cover first; among equal covers, the commoner words


def _is_gloss(text: str, start: int, end: int, reading: str) -> bool:
    """Is ``text[start:end]`` a Hanja gloss in brackets right after the Hangul word it spells (``전세(傳貰)``), read as
    ``reading`` or by the school readings?"""
    if not (text[start - 1 : start] == "(" and text[end : end + 1] == ")"):
        return False
    word = text[: start - 1].rstrip()
    return word.endswith(reading) or word.endswith(_default(text[start:end], True))


def read_hanja(text: str, weight: Callable[[str], float | int | None] | None = None) -> tuple[str, list[tuple[str, str]]]:
    """``text`` with each run of Hanja read in Hangul (one syllable a character, so the length is kept) and the
    ``(hanja, hangul)`` pairs read, in order. ``weight(word)``: how common a Hangul word is (0/None: unknown) — the
    readings that make known words win (see the module docstring). Text without Hanja comes back as it is."""
    if not has_hanja(text):
        return text, []
    out, pairs, pos = [], [], 0
    for m in runs().finditer(text):
        before = text[m.start() - 1] if m.start() else " "
        run = m.group()
        reading = _read_run(run, word_start=_jamo(before) is None, weight=weight)
        if _is_gloss(text, m.start(), m.end(), reading):
            reading = run  # 전세(傳貰): the word is there already; read, it would count twice
        else:
            pairs.append((run, reading))
        out += [text[pos:m.start()], reading]
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), pairs
