"""The party names of people's scenarios (갑/을/병), which no retriever should search for.

Kiwi keeps them as nouns; as query words they match nothing legal in an article and, in the memories, only
holdings that happen to name their parties so. The searcher's query tokens go without them
(:meth:`legalret.search.prepare.QueryPreparer.tokens`; its text — what the encoder and the re-ranker's 갑/을 signal
read — keeps them). Measured on the tune questions: scenario MRR@10 +0.042, other styles unchanged
(experiments/party_tokens.py). The courts' 甲/乙/丙 stay: dropped too, they moved holdings' MRR@10 by −0.006 on 300
train holdings; 정/무 are ordinary words as well (무권대리 …).

A memory that cuts the query with a tokenizer of its own (the facts memory's character n-grams) drops the
party-name *words* before cutting: n-grams of ``갑은``, ``을에게`` are rare in the decisions' facts (``갑은`` in 31 of
21,235), so they would weigh as much as a rare legal term.

Usage::

    from legalret.search.parties import PARTY_MARKERS, without_party_names

    without_party_names("갑은 을에게 돈을 빌려주었다")      # '  돈을 빌려주었다'
"""

from __future__ import annotations

import re

PARTY_MARKERS = frozenset("갑을병")
#: The particles a party name takes in a question (갑은, 을에게, 병과의 …): a marker followed by one of these is a
#: party-name word.
PARTY_PARTICLES = frozenset(["", *"은 는 이 가 을 를 에 의 와 과 도 만 로 께 랑".split(), *(
    "에게 에게서 에게는 에게도 한테 으로 이나 이랑 까지 부터 보다 과의 와의 에서 이라는 이고".split())])
_HANGUL_WORD = re.compile(r"[가-힣]+")


def without_party_names(text: str) -> str:
    """``text`` with each party-name word (a marker of :data:`PARTY_MARKERS` and a particle of
    :data:`PARTY_PARTICLES`) replaced by a space; every other word stays as it is (병원, 을지로, 갑자기)."""
    return _HANGUL_WORD.sub(lambda m: " " if m[0][0] in PARTY_MARKERS and m[0][1:] in PARTY_PARTICLES else m[0], text)
