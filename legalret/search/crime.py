"""A question about a crime, on an index that holds no criminal law: a notice that 형법 is missing.

"술자리에서 상대방을 때려서 코뼈가 부러졌으면 무슨 죄가 되나요?" on the main job's index (민법 + 상법) had been answered
with 민법 제750조 and no word that 형법 is missing; "사기죄 처벌" got 상법 제624조 (특별배임죄의 미수) at 60 (new users'
reports). A question that names a law gets the absent law's notice (:mod:`legalret.search.citations`); one about a
crime names none, but says what it is about in a few words of criminal law — :data:`CRIME_WORDS`. On the five question
files (both halves) against the main job's index, the notice comes for none of the 491 questions whose gold it holds,
for 42 of the 58 whose gold is 형법 or 형사소송법, and for 30 of the 502 about other laws it lacks (특정범죄가중법,
조세범 처벌법, 근로기준법's 처벌). 검사 (매수인의 검사의무, 유전자 검사) and 경찰 (지갑을 경찰에 신고) are not among the
words — 6 questions about 민법/상법 use them —, nor 전과 ("이전과 같이"), 구속 (구속력), 죄송 (an apology); each word
must start a word (접수사실 holds no 수사, 고소득자 no 고소). The words were chosen reading all the files' questions, so
these counts are no held-out measurement.

The notice changes no hit. It quotes no article, so the hits are not taken for guesses on its account
(:func:`legalret.search.relevance.absent_law_guesses`): 23 of 1,490 dev holdings citing 민법/상법 are criminal decisions
that get it (배임죄 of a 양도담보, 피고인 …), and the 민법 article is their answer. A short question that gets it is a
guess (:func:`legalret.search.relevance.about_absent_law`: "사기죄 처벌").

No notice when the index holds a law of the criminal corpus (``corpora/criminal.yaml``), when the question names a law
the index holds (상법상 특별배임죄: it asks about that law's penal articles), when its crime is the title of an
article the index holds (특별배임죄, 상법 제622조's), or when an earlier notice already says a law is missing.

Usage::

    notes = crime_notes("사기죄 처벌", law_names, held_crimes=lambda: title_crimes(["특별배임죄의 미수", …]))
    # ["'사기죄': a question about a crime — 형법, … is not in this index (add it with `legalret index add criminal`)"]
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

from legalret.keys import LawNames, laws_named

#: Words of a question about a crime (see the module docstring for how they were chosen), each starting a word: 죄
#: alone or ending a noun (무슨 죄가, 사기죄로) but not 죄송, 죄책감, 죄수, nor 사죄 (an apology: 사죄광고 is 민법 제764조's);
#: 처벌, 고소 (not 고소득), 형사, 벌금, 징역, 기소, 수사 (not 접수사실, 인수사실: inside a word), 피의자, 피고인, 형량, 범죄.
CRIME_WORDS = re.compile(r"(?<![가-힣])(?:[가-힣]*(?<!사)죄(?!송|책|수)|처벌|고소(?!득)|형사|벌금|징역|기소|수사|피의자|피고인"
                         r"|형량|범죄)")
#: The law a crime notice names: where crimes and their punishments are defined.
CRIMINAL_LAW = "형법"
#: The criminal corpus's laws (``corpora/criminal.yaml``): an index holding one of them answers criminal questions.
CRIMINAL_LAWS = ("형법", "형사소송법", "특정범죄 가중처벌 등에 관한 법률", "폭력행위 등 처벌에 관한 법률")
#: A crime named in an article's title (상법 제622조 "발기인, 이사 기타의 임원등의 특별배임죄"): its last word.
_TITLE_CRIME = re.compile(r"[가-힣]+죄")


def title_crimes(titles: Iterable[str]) -> frozenset[str]:
    """The crimes named in article titles (특별배임죄 of 상법 제622조's "발기인, 이사 기타의 임원등의 특별배임죄"): read
    once per index (the searcher caches them), not per question."""
    return frozenset(m.group() for title in titles for m in _TITLE_CRIME.finditer(title))


def crime_notes(text: str, law_names: LawNames, held_crimes: Callable[[], Iterable[str]] | None = None,
                said: Iterable[str] = ()) -> list[str]:
    """At most one notice that ``text`` asks about a crime and the index holds no criminal law (``[]`` otherwise; see
    the module docstring for when). ``held_crimes``: the crimes the index's article titles name (:func:`title_crimes`),
    asked only when a crime word is found; ``said``: the notices the query has already (a law said missing there is
    not said again)."""
    words = [m.group() for m in CRIME_WORDS.finditer(text)]
    if not words or any("is not in this index" in n for n in said):
        return []
    if any(law_names.resolve(law) is not None for law in CRIMINAL_LAWS):
        return []
    if any(laws_named(text, law_names.canonical())):  # (상법상 특별배임죄: about a law it holds)
        return []
    if held_crimes is not None and any(crime in text for crime in held_crimes()):
        return []
    from legalret.search.citations import absent_hint

    shown = ", ".join(dict.fromkeys(words[:3]))
    return [f"'{shown}': a question about a crime — {CRIMINAL_LAW}, where crimes and their punishments are, is not in "
            f"this index ({absent_hint(CRIMINAL_LAW, law_names)})"]
