"""A question that names an area of law — 노동법상, 세법상, 행정법 — on an index that holds none of its laws: a notice.

"노동법상 해고 요건" on the main job's index (민법 + 상법) had been answered with 민법 articles and no word: 노동법 is no
law's name, so the notice for a named law the index lacks (:mod:`legalret.search.citations`) passes it over, as it
must ("방법", "위법" end in 법 too). The areas are the ones the corpus manifests list (``areas:`` —
:func:`legalret.corpus.manifest.area_corpus`: 노동, 형사, 세법, 조세, 임대차, 부동산, 가족, 가사, 행정, 민사절차), written as
a word with 법 (노동법, 조세법령) and followed by a particle, a space or the end — 형사법원 names a court, not the area;
not the areas 민법 itself governs in large part (:data:`SHARED_WITH_CIVIL`: 가족법, 부동산법, 임대차법).

No notice when the index holds any law of the area's corpus (the question is then about laws it has), or when a notice
already says a law is missing (a crime's, a named law's). The notice changes no hit and no relevance.

A question that names neither a law nor an area but uses an area's own words — 해고, 퇴직금 (노동); 권리금, 확정일자, the
words only 임대차's special acts use — gets the same kind of notice (:func:`area_word_notes`, :data:`AREA_QUESTION_WORDS`).

Usage::

    area_notes("노동법상 해고 요건", law_names)
    # ["노동법 names an area of law, not one law: the corpus labor lists its laws (근로기준법, 최저임금법 … 12 laws);
    #   add them with `legalret index add labor`"]
"""

from __future__ import annotations

import re
from functools import cache
from typing import Iterable

from legalret.corpus.manifest import first_laws, area_corpus, area_hint, index_option, listed_areas
from legalret.keys import LawNames, laws_named


#: Areas 민법 itself governs in large part — 가족법 is 민법's 친족·상속 편 as much as 가사소송법, 부동산법 its 물권 편,
#: 임대차법 its 임대차 as much as 주택임대차보호법 — so a question naming them is no sign that the 민법+상법 index lacks
#: its answer ("가족법상 입양": 민법 제866조 …): the filter's hint names their corpora (--law 가족법), no query notice does.
SHARED_WITH_CIVIL = frozenset({"가족", "가사", "부동산", "임대차"})


#: What follows an area's word: a particle, a space, a closing mark or the end (형사법원 names a court, not the area).
_AFTER_WORD = r"(?=상|에|의|과|와|을|를|이|가|은|는|으로|도|만|[\s?.,!)」』]|$)"


@cache
def _area_words() -> re.Pattern | None:
    """The manifests' areas written as a word with 법 ("노동법", "조세법령"; an area ending in 법 as it is: "세법") — then a
    particle, a space or the end."""
    areas = {a for _, listed, _ in listed_areas() for a in listed} - SHARED_WITH_CIVIL
    words = sorted({w for a in areas for w in ((a, a + "령") if a.endswith("법") else (a + "법", a + "법령"))},
                   key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<![가-힣])(" + "|".join(map(re.escape, words)) + r")" + _AFTER_WORD)


#: Any word ending in 법 (or 법령) as an area's word ends: only a question holding one that is no law of the index
#: reads the manifests' areas (~20 ms of YAML, once per process: a cold search's first question mostly has none, or
#: names a held law — "민법상").
_LAW_LIKE = re.compile(r"(?<![가-힣])([가-힣]{1,8}(?:법령|법))" + _AFTER_WORD)


def held_area_laws(name: str, law_names: LawNames) -> tuple[str, list[str]] | None:
    """(the corpus, the laws of it this index holds, in the corpus's order) when ``name`` names an area of law
    (:func:`area_corpus`: 노동법 → labor's 근로기준법, 최저임금법 …); None when it names none. What a question naming the
    area (:func:`area_notes`: no notice where some are held) and a law filter naming it
    (:meth:`legalret.search.filters.Filters.area_laws`: read as the held ones) both ask."""
    found = area_corpus(name) if name.strip() else None
    if found is None:
        return None
    return found[0], [held for law in found[2] if (held := law_names.resolve(law)) is not None]


def area_notes(text: str, law_names: LawNames, said: Iterable[str] = ()) -> list[str]:
    """At most one notice per area ``text`` names whose corpus has no law in this index (``[]`` otherwise; see the
    module docstring). ``said``: the notices the query has already."""
    if not any(law_names.resolve(m.group(1)) is None for m in _LAW_LIKE.finditer(text)):
        return []
    words = _area_words()
    if words is None or any("is not in this index" in n for n in said):
        return []
    notes: list[str] = []
    seen: set[str] = set()
    for m in words.finditer(text):
        area = held_area_laws(m.group(1), law_names)
        if area is None or area[0] in seen:
            continue
        seen.add(area[0])
        if area[1]:
            continue  # (a question about laws the index holds)
        hint = area_hint(m.group(1), law_names.index_dir)
        if hint:
            notes.append(hint)
    return notes


#: Words of a question about an area that names neither the area nor a law (:func:`area_word_notes`), by the area a
#: manifest lists — as :data:`legalret.search.crime.CRIME_WORDS` are for 형법. "회사에서 부당하게 해고당했어요" on the main
#: job's index had been answered with 민법 제750조 at 34 and no word that 근로기준법 is missing (an agent developer's
#: report). Each must start a word (고임금 is no 임금). On the five question files (both halves; the words were chosen
#: reading them, so these counts are no held-out measurement): a notice for 44 of the 78 questions whose gold cites a law
#: of the labour corpus, for none of the 491 whose gold is 민법/상법, and for 1 of 482 about other laws (a 중대재해처벌법
#: scenario of a 근로자's death). 사용자 (민법's 사용자책임) and 파업 (a cancelled trip) are not among them. 임대차's are the
#: words only its special acts use (권리금, 확정일자, 소액임차인 …: "상가 임대차 권리금 회수기회 보호" had got 민법 제618조 at
#: 93), not those 민법 shares (묵시적 갱신 is its 제639조 as well): 29 of the 97 questions citing a tenancy law, 1 of the
#: 491 민법/상법 ones (an 영업양도 scenario's 권리금).
AREA_QUESTION_WORDS = {
    "노동": re.compile(r"(?<![가-힣])(?:부당\s*해고|해고|임금\s*체불|체불\s*임금|퇴직금|연차\s*휴가|연차|최저\s*임금|주휴\s*수당"
                      r"|연장\s*근로|야간\s*근로|휴일\s*근로|산재|산업\s*재해|근로\s*계약|직장\s*내\s*괴롭힘|육아\s*휴직"
                      r"|출산\s*휴가|실업\s*급여|노동\s*조합|노조|단체\s*교섭|근로자|통상\s*임금|평균\s*임금|수습\s*기간"
                      r"|권고\s*사직|임금)"),
    "임대차": re.compile(r"(?<![가-힣])(?:권리금|확정\s*일자|전입\s*신고|소액\s*임차인|최우선\s*변제|임차권\s*등기\s*명령"
                       r"|계약\s*갱신\s*요구|갱신\s*요구권|상가\s*임대차|주택\s*임대차|보증금\s*증액|차임\s*증액\s*청구)"),
}


def area_word_notes(text: str, law_names: LawNames, said: Iterable[str] = ()) -> list[str]:
    """At most one notice per area of :data:`AREA_QUESTION_WORDS` whose words ``text`` uses, when the index holds none
    of the area's corpus's laws — "'해고': a question about 노동 — the corpus labor (근로기준법, 최저임금법 … 12 laws) is
    not in this index; add it with `legalret index add labor`" — and the question names no law the index holds, and no
    earlier notice says a law or an area is missing. It changes no hit."""
    if any("is not in this index" in n or "names an area of law" in n for n in said):
        return []
    notes: list[str] = []
    for area, words in AREA_QUESTION_WORDS.items():
        found = [" ".join(m.group().split()) for m in words.finditer(text)]
        if not found:
            continue
        held = held_area_laws(area, law_names)
        if held is None or held[1] or any(laws_named(text, law_names.canonical())):
            continue
        corpus, _, laws = area_corpus(area)
        shown = ", ".join(dict.fromkeys(found[:3]))
        notes.append(f"'{shown}': a question about {area} — the corpus {corpus} ({first_laws(laws)}) is not in this "
                     f"index; add it with `legalret index add {corpus}{index_option(law_names.index_dir)}`")
    return notes
