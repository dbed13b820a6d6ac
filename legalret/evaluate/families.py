"""Law families: which area of law a statute, an article key or a dev query belongs to, for per-family tables.

A question about 형법 and one about 근로기준법 are different tasks for a retriever (different vocabularies,
different memories, a 시행령 next to the act), so quality is reported per family as well as per style.
The families, in the order tables print them::

    형사 · 노동 · 임대차 · 민사절차 · 행정 · 세법 · 가족 · 민사·상사 (민법, 상법) · 기타

The mapping lives here and only here (the dev sets, their checker and the reports all call it):

* a 시행령 / 시행규칙 belongs to its act's family (``근로기준법 시행령`` → 노동);
* 민사·상사 is 민법 and 상법 only — the main job's corpus; every other private-law statute is 기타 unless a
  rule below claims it (임대차 special acts, 민사절차);
* 행정 is *general* administrative law: procedure, remedies, state liability, disclosure, officials
  (행정소송법, 행정심판법, 행정절차법, 행정기본법, 국가배상법, 정보공개법, 토지보상법, 공무원법 …); the
  sector regulators (건축법, 의료법, 식품위생법 …) are 기타;
* 도로교통법 and 교통사고처리 특례법 are 형사 (their decisions are mostly traffic crimes);
* names are matched without spaces or middle dots, so ``남녀고용평등과 일ㆍ가정 …`` and
  ``남녀고용평등과일·가정…`` agree.

A query's family comes from its gold keys: the most frequent family among them, where 민사·상사 counts only when
no other family is present (``주택임대차보호법 제3조`` + ``민법 제621조`` is an 임대차 question); ties go to the
family of the earliest gold key.

Usage::

    from legalret.evaluate.families import FAMILIES, family_of_law, family_of_keys

    family_of_law("근로기준법 시행령")                        # '노동'
    family_of_keys(["주택임대차보호법 제3조", "민법 제621조"])   # '임대차'
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from legalret.keys import law_of
from legalret.text import compact

__all__ = ["FAMILIES", "CIVIL_COMMERCIAL", "OTHER", "family_of_law", "family_of_key", "family_of_keys"]

CIVIL_COMMERCIAL = "민사·상사"
OTHER = "기타"
FAMILIES = ("형사", "노동", "임대차", "민사절차", "행정", "세법", "가족", CIVIL_COMMERCIAL, OTHER)

#: Whole names (compact form) that no keyword below would place right.
_EXACT: dict[str, str] = {
    "민법": CIVIL_COMMERCIAL,
    "상법": CIVIL_COMMERCIAL,
    "형법": "형사",
    "군형법": "형사",
    "도로교통법": "형사",
    "교통사고처리특례법": "형사",
    "통신비밀보호법": "형사",
    "국가배상법": "행정",
    "지방자치법": "행정",
    "중재법": "민사절차",
    "부동산등기법": "민사절차",
    "국제사법": OTHER,
    "헌법재판소법": OTHER,  # constitutional, not administrative, review
}

#: (substring of the compact name, family), tried in order: the first match wins. 세법 comes before 형사
#: (조세범 처벌법 is a tax statute), 임대차 before 행정 (no overlap today, but a lease act is never 행정).
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("세법", "세법"), ("조세", "세법"), ("국세", "세법"), ("지방세", "세법"), ("세무사", "세법"),
    ("임대차", "임대차"), ("임대주택", "임대차"), ("전세사기", "임대차"),
    ("근로", "노동"), ("노동", "노동"), ("고용", "노동"), ("최저임금", "노동"), ("산업재해", "노동"),
    ("산업안전", "노동"), ("임금채권", "노동"),
    ("가사소송", "가족"), ("가족관계", "가족"), ("입양", "가족"),
    ("민사소송", "민사절차"), ("민사집행", "민사절차"), ("민사조정", "민사절차"), ("회생및파산", "민사절차"),
    ("소송촉진", "민사절차"), ("비송사건", "민사절차"), ("소액사건", "민사절차"), ("인지법", "민사절차"),
    ("형사", "형사"), ("처벌", "형사"), ("범죄", "형사"), ("형의집행", "형사"), ("마약류", "형사"),
    ("성보호", "형사"), ("보호관찰", "형사"),
    ("행정", "행정"), ("정보공개", "행정"), ("토지등의취득및보상", "행정"), ("공무원법", "행정"),
)

_SUBORDINATE = re.compile(r"\s*시행(?:령|규칙)$")


def family_of_law(law: str) -> str:
    """The family of a statute name (an act, or its 시행령 / 시행규칙 through the act)."""
    name = compact(_SUBORDINATE.sub("", law.strip()))
    if name in _EXACT:
        return _EXACT[name]
    for needle, family in _KEYWORDS:
        if needle in name:
            return family
    return OTHER


def family_of_key(key: str) -> str:
    """The family of an article key (``근로기준법 시행령 제6조`` → 노동)."""
    return family_of_law(law_of(key))


def family_of_keys(keys: Iterable[str]) -> str:
    """A query's family from its gold keys (see the module docstring); :data:`OTHER` for no keys."""
    families = [family_of_key(k) for k in keys]
    specific = [f for f in families if f != CIVIL_COMMERCIAL] or families
    if not specific:
        return OTHER
    counts = Counter(specific)
    top = max(counts.values())
    return next(f for f in specific if counts[f] == top)
