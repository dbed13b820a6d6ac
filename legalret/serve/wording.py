"""The search answer in a lawyer's words: what the page shows instead of retriever names and raw scores.

Added to each hit of ``/api/search`` (``explain=1`` for the last three):

=================  ===================================================================================
``relevance``      0–100: hybrid, the learned re-ranker's probability that this article is the answer among the
                   candidates it scored (the hit's ``probability``: its softmax share; hits read 95–100 were right
                   ~90% of the time, ~50 about half, ~9 one time in 8: benchmarks/results/relevance_calibration.md),
                   else the score as a share of the answer's best; 100 for an exact citation; never negative;
                   None when the scores carry no such meaning — also when none of the query's words occurs
                   in the index (the hits are the nearest guesses: the notice says so), and when the query cites
                   a law the index lacks and none it holds (``근로기준법 제23조 부당해고`` on a 민법+상법 index: every
                   hit is another law's article; :func:`absent_law_guesses`)
``signals``        each retriever's rank in Korean — 조문 본문 일치 3위, 의미 유사도 순위 밖, 유사 판례 투표 1위
``contributions``  what moved the article up or down in the re-ranker, grouped by retriever, largest first,
                   with ``share`` (of the largest, 0–1) for a bar and ``direction`` (+1 up, −1 down)
=================  ===================================================================================

and to each precedent ``excerpt``: its text from where the facts start (a decision's reasons open with
"상고이유를 판단한다." and the like, which says nothing about the case).

Usage::

    from legalret.serve.wording import lawyer_view
    hits = lawyer_view([hit_json(h) for h in results], learned=True)
    hits[0]["relevance"], hits[0]["signals"][0]["label"]          # 56, '유사 판례 투표'

The re-ranker's contributions are summed from the hit's ``feature_contributions`` (the searcher's data behind its
``learned fusion: memory_score*memory_top +7.97, bm25_rr +1.20, …`` explain line; see legalret.search.response).
"""

from __future__ import annotations

import math
import re
from typing import Any, Sequence

from legalret.search.coverage import NOT_KOREAN, NOTHING_IN_FILTER, NOTHING_MATCHED

#: The retrievers (``hit["ranks"]`` keys) as the page names them.
RETRIEVER_LABELS = {
    "citation": "정확 인용",
    "bm25": "조문 본문 일치",
    "dense": "의미 유사도",
    "memory": "유사 판례 투표",
    "facts": "유사 사실관계 판례 투표",
    "profile": "판례 인용 조문과의 유사도",
    "feedback": "의미 검색 상위 조문의 용어로 본문 재검색",
}
#: A citation that came from a decision the query named by 사건번호 (its 참조조문), not from the query's own words.
DECISION_LABEL = "질의한 판례의 참조조문"
#: The re-ranker's feature groups (``feature_contributions[i]["group"]``: a retriever, or these two) in the same words.
CONTRIBUTION_LABELS = {**RETRIEVER_LABELS, "agreement": "검색기 간 일치", "question": "질문의 유형", "law": "법령 단위 신호",
                      "match": "법령명·조문 제목 일치", "prior": "인용 빈도 대비 득표"}

_NOT_IN_TOP = re.compile(r"^(?P<name>\w+): not in its top (?P<n>\d+)")

#: Openings of a decision's reasons that precede the facts: "상고이유를 판단한다.", "검사의 상고이유를 본다.",
#: "상고이유(… 보충서 …)를 판단한다.", "직권으로 판단한다." (counted over the facts file's first 20,000 decisions).
_OPENING = re.compile(
    r"^\s*(?:\d+\.\s*)?[^.\n]{0,40}?(?:재?상고이유|재?항고이유|직권)(?:\([^)]{0,200}\))?[^.\n]{0,30}?"
    r"(?:판단한다|본다|살펴본다|판단하기로 한다)\s*[.,]?\s*")
#: A short numbered heading before the facts: "1. 처분의 경위", "1. 기초 사실", "가. 사실관계" on a line of its own,
#: or a facts heading the text runs on from ("1. 인정 사실 가. 원고는 …").
_HEADING = re.compile(
    r"^\s*(?:(?:\d+|[가-하])\.\s*[^.\n]{0,30}\n"
    r"|(?:\d+|[가-하])\.\s*(?:인정\s*사실|기초\s*사실|사실\s*관계|(?:이\s*사건\s*)?처분의\s*경위|사안의\s*개요|사건의\s*경위)"
    r"\s*(?:[가-하]\.\s*)?)")


#: The notices of a citation naming a law this index lacks (legalret.search.citations.unresolved_citations), anchored on
#: the leading words the page's translations use too (static/app.js): the citation as written, quoted, then the law.
#: (A law this index has but with an article it lacks — "cited article 민법 제9999조 is not in this index" — is not one:
#: its neighbours are in the index. Nor is a typo whose suggestion this index has: "did you mean 민법?" alone.)
_ABSENT_LAW = (
    re.compile(r"^'(?P<cited>.+?)': (?!no law is named)(?P<law>.+?) is not in this index"),  # 근기법 (근로기준법) …
    re.compile(r"^'(?P<cited>.+?)': no law is named (?P<law>.+?) \(did you mean (?P<full>.+?)\? it is not in this index\)"),
    re.compile(r"^'(?P<cited>.+?)': the Constitution \((?P<law>[^)]+)\) is not in the statutes mirror"),
)
#: The notices of a citation of a law this index holds whose article (or part) it lacks or reads so
#: (legalret.search.results.citation_hits: "cited article 민법 제9999조 is not in this index", "… has no 제2항"): the
#: query cites a law the index holds, though no hit is that citation.
_HELD_LAW = re.compile(r"^cited articles? ")

#: The signals that find a hit through the query's own words (or its citation): not the dense list's nearest guess, nor
#: the facts memory, whose character n-grams match pieces of words ("가가" in "가가가가").
WORD_SIGNALS = frozenset({"citation", "bm25", "memory", "profile"})


def lawyer_view(hits: list[dict[str, Any]], *, learned: bool, notices: Sequence[str] = (),
                terms: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """``hits`` (``hit_json`` dicts, in answer order) with ``relevance``, ``signals``, ``contributions`` added.

    When the answer's ``notices`` say that none of the query's words occurs in the index's articles or earlier
    holdings, a hit that no signal on those words found (a citation, BM25, the holdings memory) gets relevance None:
    what found it is the dense list's nearest guess, or the facts memory's character n-grams (a syllable pair of
    "김치찌개 레시피" in some decision's facts) — the re-ranker's probability would read "97" for either. A query with no
    Korean (:data:`~legalret.search.coverage.NOT_KOREAN`: "What is a lien?") gets None for every hit but a citation:
    its English words ("is", "the") match holdings that quote English, and those hits had read "85"; so does one
    under a law filter whose articles hold none of its words (:data:`~legalret.search.coverage.NOTHING_IN_FILTER`).

    A query that cites a law the index lacks, and none it holds (:func:`absent_law_guesses`: "근로기준법 제23조 부당해고"
    on a 민법+상법 index), gets None for every hit, whatever its other words: each hit is an article of another law than
    the one the question is about — 민법 articles had read 72 under the notice that 근로기준법 is not in this index.

    ``terms``: the answer's ``terms`` (the query's words as the search read them), which the API and the CLI pass on.
    These rules do not read them: the absent law's rule had kept the numbers of a query with a word beyond the
    citation ("부당해고"), and so needed them; it no longer does."""
    plain = [h["score"] for h in hits if "citation" not in h.get("ranks", {})]
    best = max(plain, default=0.0)
    unmatched = any(n.startswith(NOTHING_MATCHED) for n in notices)
    foreign = any(n.startswith(NOT_KOREAN) for n in notices)
    # (under a law filter none of the words is in its articles: what the memory found, it found through other laws'
    # decisions — "보험계약자" under --law 민법 had read 95 for 민법 제105조)
    filtered = any(n.startswith(NOTHING_IN_FILTER) for n in notices)
    # (a citation hit, or a notice of a cited article of a law this index holds: the query cites something this index
    # has, and the hits beside it are its neighbours)
    held = any("citation" in h.get("ranks", {}) for h in hits) or any(_HELD_LAW.match(n) for n in notices)
    absent = not held and absent_law_guesses(notices)
    for hit in hits:
        found_by = set(hit.get("ranks", {}))
        guess = (absent or ((foreign or filtered) and "citation" not in found_by)
                 or (unmatched and not found_by & WORD_SIGNALS))
        hit["relevance"] = None if guess else relevance(hit, learned=learned, best=best)
        if guess and hit.get("probability") is not None:  # (the number withheld is withheld in every field: a script
            hit["probability"] = None                      # reading probability had got 0.86 for "가가가가")
        if hit.get("reasons"):
            hit["signals"] = signals(hit)
            hit["contributions"] = contributions(hit.get("feature_contributions") or [])
        for p in hit.get("precedents") or []:
            p["excerpt"] = facts_excerpt(p["text"]) if p.get("matched") == "facts" else p["text"]
    return hits


def answer_view(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """:func:`lawyer_view` of a search answer (``search_response``'s dict), for callers without the searcher at hand
    (MCP, LangChain): its hits say themselves whether the re-ranker ranked them (they carry its ``probability``)."""
    hits = answer.get("hits") or []
    return lawyer_view(hits, learned=any(h.get("probability") is not None for h in hits),
                       notices=answer.get("notices") or [], terms=answer.get("terms"))


def absent_law_guesses(notices: Sequence[str]) -> bool:
    """Does the query, as the answer's ``notices`` tell it, cite a law this index lacks (:data:`_ABSENT_LAW`: a law not
    in this index, a short or mistyped name of one, the Constitution)?

    Then every hit is a guess, whatever else the query says: the article the question is about is not in the index,
    and what the search found — 민법 제660조 through "해고" of "근로기준법 제23조 부당해고", 민법 제975조 through "근로",
    the 민법 articles that labour decisions cite — is another law's. (Before, a word beyond the citation kept the
    numbers: "근로기준법 제23조 부당해고" listed 민법 articles at 72, which a lawyer reads as "probably right".) A
    citation of a law the index holds as well is for the caller to check (:func:`lawyer_view`): its hits keep their
    numbers."""
    return any(rx.match(n) for n in notices for rx in _ABSENT_LAW)


def relevance(hit: dict[str, Any], *, learned: bool, best: float) -> int | None:
    """0–100 (see the module docstring); None when the scores carry no such meaning."""
    if "citation" in hit.get("ranks", {}):
        return 100
    score = float(hit["score"])
    if learned and hit.get("probability") is not None:  # the re-ranker's softmax share over its candidates
        return round(100 * float(hit["probability"]))
    if learned:  # a hit without one (a dict from elsewhere): its score read as a logit, as before
        return round(100 / (1 + math.exp(-max(min(score, 50.0), -50.0))))
    if best > 0 and score >= 0:
        return round(100 * score / best)
    return None


def signals(hit: dict[str, Any]) -> list[dict[str, Any]]:
    """Each retriever that ran: its Korean label and this article's rank in its list (None: not in its top N)."""
    via_decision = any(line.startswith("cited by decision") for line in hit.get("reasons", []))  # (search.cases)
    label = lambda name: DECISION_LABEL if name == "citation" and via_decision else RETRIEVER_LABELS.get(name, name)  # noqa: E731
    out = [{"retriever": name, "label": label(name), "rank": int(rank)} for name, rank in hit.get("ranks", {}).items()]
    for line in hit.get("reasons", []):
        m = _NOT_IN_TOP.match(line)
        if m and m["name"] not in hit.get("ranks", {}):
            out.append({"retriever": m["name"], "label": RETRIEVER_LABELS.get(m["name"], m["name"]), "rank": None,
                        "outside": int(m["n"])})
    order = list(RETRIEVER_LABELS)
    return sorted(out, key=lambda s: order.index(s["retriever"]) if s["retriever"] in order else len(order))


def contributions(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The re-ranker's feature contributions (``[{"feature", "group", "value"}]``) summed per group (``label``,
    ``value``, ``share`` of the largest |value|, ``direction``), largest first; [] when the hit was not re-ranked."""
    totals: dict[str, float] = {}
    for f in features:
        totals[f["group"]] = totals.get(f["group"], 0.0) + float(f["value"])
    largest = max((abs(v) for v in totals.values()), default=0.0)
    if not largest:
        return []
    return [{"group": g, "label": CONTRIBUTION_LABELS.get(g, g), "value": round(v, 2), "share": round(abs(v) / largest, 3),
             "direction": 1 if v > 0 else -1}
            for g, v in sorted(totals.items(), key=lambda kv: -abs(kv[1])) if abs(v) >= 0.005]


def facts_excerpt(text: str) -> str:
    """``text`` from where the facts start: procedural openings and a short heading before them dropped."""
    rest = text
    for _ in range(3):  # "1. 원고의 상고이유에 대하여\n 가. 사실관계\n…": at most a few layers
        cut = _OPENING.sub("", rest, count=1)
        cut = _HEADING.sub("", cut, count=1)
        if cut == rest:
            break
        rest = cut
    return rest.strip() or text
