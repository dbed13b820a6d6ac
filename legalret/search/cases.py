"""Decisions named in a query by their 사건번호 (``2016다248806``, ``대법원 2016. 5. 19. 선고 2016다248806 판결``): the
articles they cite come first, as an article citation's do.

A lawyer who pastes a case number wants the statutes that decision applied — its 참조조문 —, not the articles whose
text holds the syllable ``다``. The precedent memory knows every decision it was built from and the articles each
holding cites (resolved to the index's keys), so a case number it holds becomes citations of those articles, in the
order the decision cites them (``QueryCitation.via`` names the decision; the hit's reason says so). ``before`` and
``exclude`` apply as they do to the memory's votes: an evaluation never sees a decision from its query's future.

Only numbers with a court's case-type code (다, 도, 두, 가합 …: :data:`CASE_TYPES`) are read, not every "16억 5"
or "2010년 5" of the same shape. One the memory does not hold is said in a notice, and its syllable is no word to
search for (:func:`without_case_numbers`: "2016다999999" alone matched every holding with 다).

Usage::

    cites, notes = decision_citations("2016다248806 판결의 취지", memory)
    [c.key for c in cites]          # ['민법 제393조', '민법 제750조', '민법 제763조']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from legalret.keys import parse_key
from legalret.search.citations import QueryCitation
from legalret.text import normalize

# year (2 or 4 digits), the case-type code (1–3 syllables), the serial number: 2016다248806, 91다28719, 2012가합14553
CASE_NUMBER = re.compile(r"(?<![0-9A-Za-z])((?:19|20)?\d{2})\s?([가-힣]{1,3})\s?(\d{1,7})(?![0-9])")
#: The case-type codes of Korean courts (civil, criminal, administrative, family, patent, appeals, retrials, motions;
#: those of ≥ 5 decisions in the shared precedents and a few current ones), without the syllables that also stand
#: between two numbers in ordinary text (초, 부, 수, 사 …). A query's number of another shape is not looked up: the
#: memory's case-number table (~0.2 s to build, once) is not built for "2010년 5월".
CASE_TYPES = frozenset("""다 다카 도 누 두 나 후 노 가합 가단 가소 마 마카 구 구합 구단 므 모 허 그 스 추 르 드 드합 드단 브 느
느합 느단 카 카합 카단 카기 카담 고합 고단 고정 고약 초기 민상 민공 민재 민재항 형상 형공 형항 형비상 행상 감도 감노 호파 재다
재다카 재두 재누 재도 재노 재나 재마 재가합 재고합 타경 즈합 즈단 회합 회단 하합 하단""".split())


def _case_numbers(text: str):
    """The case numbers of a court's case type in ``text`` (matches of :data:`CASE_NUMBER`)."""
    return (m for m in CASE_NUMBER.finditer(text) if m[2] in CASE_TYPES)


@dataclass(frozen=True)
class NamedDecision:
    """A case number written in a text, and what the memory holds of that decision (``rows``: its holdings, in the
    order of the decision's 판시사항; empty when the memory lacks it)."""

    raw: str  # as written
    number: str  # 2016다248806
    start: int
    end: int
    rows: tuple[int, ...]

    def via(self, memory: Any) -> str:
        """``2016다248806 (2017-05-17)``: the decision's 사건번호 field and date."""
        item = memory.items[self.rows[0]]
        decided = item.decided.isoformat() if isinstance(item.decided, date) else str(item.decided)
        return f"{item.case_no} ({decided})"

    def keys(self, memory: Any) -> list[str]:
        """The index's articles the decision cites, in its holdings' order, each once."""
        return list(dict.fromkeys(key for row in self.rows for key in memory.keys_of(row)))


def named_decisions(text: str, memory: Any, before: Any = None, exclude: Any = None) -> list[NamedDecision]:
    """Each case number of a court's case type in ``text`` (normalized), with the holdings ``memory`` (a precedent
    memory: ``rows_of_number``, ``items``, ``allowed_mask``) holds of it that ``before``/``exclude`` allow — a
    decision from an evaluation query's future, or its own, is as if unknown."""
    if memory is None or not re.search(r"\d", text):
        return []
    text = normalize(text)
    allowed = memory.allowed_mask(before, exclude) if before is not None or exclude else None
    out = []
    for m in _case_numbers(text):
        number = "".join(m.groups())
        rows = [r for r in memory.rows_of_number(number) if allowed is None or allowed[r]]
        out.append(NamedDecision(m.group(), number, m.start(), m.end(),
                                 tuple(sorted(rows, key=lambda r: memory.items[r].index))))
    return out


def decision_citations(query: str, memory: Any, before: Any = None, exclude: Any = None,
                       *, max_keys: int = 30) -> tuple[list[QueryCitation], list[str]]:
    """The article citations of the decisions ``query`` names by 사건번호 that ``memory`` holds
    (:func:`named_decisions`), and notices for those it does not."""
    if memory is None:  # a BM25/dense-only index: say so rather than search the number's syllable
        numbers = ["".join(m.groups()) for m in _case_numbers(normalize(query))]
        return [], [f"decision {n} cannot be looked up: this index has no precedent memory (built without --precedents)"
                    for n in dict.fromkeys(numbers)]
    cites: list[QueryCitation] = []
    notes: list[str] = []
    for named in named_decisions(query, memory, before, exclude):
        if not named.rows:
            if not memory.rows_of_number(named.number):  # (a hidden one gets no notice that would leak it)
                notes.append(f"decision {named.number} is not among the precedents this index's memory holds")
            continue
        via, keys = named.via(memory), named.keys(memory)
        if not keys:
            notes.append(f"decision {via} cites no article of this index")
            continue
        if len(keys) > max_keys:
            notes.append(f"decision {via} cites {len(keys)} articles of this index: its first {max_keys} are listed")
        else:  # (said: at a terminal the reasons are not shown, and these hits are not the query's own words' best)
            notes.append(f"decision {via}: the articles of this index it cites come first ({len(keys)})")
        for key in keys[:max_keys]:
            ref = parse_key(key)
            cites.append(QueryCitation(law=ref.law, number=ref.number, branch=ref.branch, raw=named.raw,
                                       start=named.start, end=named.end, via=via))
    return cites, list(dict.fromkeys(notes))


def without_case_numbers(text: str) -> str:
    """``text`` with each case number of a known case type blanked: its syllable (다, 도 …) is no word to search for."""
    return CASE_NUMBER.sub(lambda m: " " if m[2] in CASE_TYPES else m.group(), text)
