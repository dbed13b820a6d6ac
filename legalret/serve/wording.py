"""The search answer in a lawyer's words: what the page shows instead of retriever names and raw scores.

Added to each hit of ``/api/search`` (``signals`` and ``contributions`` with ``explain=1``):

=================  ===================================================================================
``relevance``      0–100, or None for a nearest guess — the searcher's own, passed on as it is
                   (:mod:`legalret.search.relevance`: one rule, applied in one place, for the Python API, the CLI,
                   the API, the page, MCP and LangChain)
``signals``        each retriever's rank in Korean — 조문 본문 일치 3위, 의미 유사도 순위 밖, 유사 판례 투표 1위
``contributions``  what moved the article up or down in the re-ranker, grouped by retriever, largest first,
                   with ``share`` (of the largest, 0–1) for a bar and ``direction`` (+1 up, −1 down)
=================  ===================================================================================

and to each precedent ``excerpt``: its text from where the facts start (a decision's reasons open with
"상고이유를 판단한다." and the like, which says nothing about the case).

Usage::

    from legalret.serve.wording import lawyer_view
    hits = lawyer_view([hit_json(h) for h in results])
    hits[0]["relevance"], hits[0]["signals"][0]["label"]          # 56, '유사 판례 투표'

The re-ranker's contributions are summed from the hit's ``feature_contributions`` (the searcher's data behind its
``learned fusion: memory_score*memory_top +7.97, bm25_rr +1.20, …`` explain line; see legalret.search.response).
"""

from __future__ import annotations

import re
from typing import Any

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


def lawyer_view(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``hits`` (``hit_json`` dicts, in answer order) with ``signals`` and ``contributions`` added (explain), and each
    precedent's ``excerpt``.

    Each hit's ``relevance`` is the searcher's (``Hit.relevance``, set by :func:`legalret.search.relevance.rate`) and is
    not read or touched here: the rule is applied in that one place (this had rated again any dict that came without
    it, which only tests' hand-made hits did)."""
    for hit in hits:
        if hit.get("reasons"):
            hit["signals"] = signals(hit)
            hit["contributions"] = contributions(hit.get("feature_contributions") or [])
        for p in hit.get("precedents") or []:
            p["excerpt"] = facts_excerpt(p["text"]) if p.get("matched") == "facts" else p["text"]
    return hits


#: The characters of a precedent's text an agent gets (MCP's ``search_statutes``, the LangChain retriever): a 판시사항
#: item runs to ~100–300, a facts excerpt to ~1,500 — five hits' precedents had made a k=5 MCP answer ~24,000
#: characters, 90% of it precedents, of an agent's context. The decision's ``url`` has the whole text.
AGENT_PRECEDENT_CHARS = 400
#: The fields of a precedent as agents get it, in this order.
AGENT_PRECEDENT_FIELDS = ("case_no", "decided", "matched", "text", "similarity", "url")
_SENTENCE_END = re.compile(r"[.?!](?=\s)")  # (a sentence ends where its stop meets a space or the end)


def agent_precedent(p: dict[str, Any], max_chars: int | None = AGENT_PRECEDENT_CHARS) -> dict[str, Any]:
    """A hit's precedent (the searcher's dict) as agents get it — the same in MCP and LangChain, in process or behind
    a server: :data:`AGENT_PRECEDENT_FIELDS`, ``text`` being the page's excerpt (matched facts from where the facts
    start) cut to ``max_chars`` (None: whole) at the last sentence end — else the last space — with "…" after, and
    ``cut`` true when it was (the searcher's ``index``, a row number of its memory, is no agent's business)."""
    text = p.get("excerpt") or (facts_excerpt(p["text"]) if p.get("matched") == "facts" else p["text"])
    out = {f: p.get(f) for f in AGENT_PRECEDENT_FIELDS} | {"text": text, "cut": False}
    if max_chars is not None and len(text) > max_chars:
        head = text[:max_chars]
        ends = [m.end() for m in _SENTENCE_END.finditer(head + " ")]
        space = head.rfind(" ")
        # (a sentence end in the second half, else a space there, else the hard cut: never a stub of a few words)
        at = ends[-1] if ends and ends[-1] >= max_chars // 2 else space if space >= max_chars // 2 else max_chars
        out |= {"text": head[:at].rstrip() + " …", "cut": True}
    return out


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
