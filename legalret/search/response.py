"""The one response of a search, as the API returns it and the CLI prints it (table or JSON lines), and the
one check of a search request that the API, the MCP server and the LangChain retriever make before searching.

Usage::

    from legalret.search.response import request_error, search_response

    request_error("  ", k=10, mode="hybrid")           # "q: empty query; type some words or …" (None: fine)

    results = searcher.search("유치권 간접점유", explain=True)
    body = search_response(results, mode="hybrid", notices=searcher.notices)
    body["hits"][0]["citation"], body["terms"]        # '「민법」 제320조(유치권의 내용)', ['간접점유', '유치권']

A hit is :meth:`~legalret.search.results.Hit.to_dict` ``(with_text=True)`` plus a citation to paste and
its precedents (structured when explain is on) and, when the learned re-ranker ranked it, what moved it there:
``feature_contributions`` ``[{"feature": "memory_score*memory_top", "group": "memory", "value": 0.41}, …]``
(the ``learned fusion:`` explain line's features, as data); ``terms`` are the query words to highlight, from
the tokens the search made (no second Kiwi pass).
"""

from __future__ import annotations

from typing import Any, Sequence

from legalret.config import k_error
from legalret.keys import article_url
from legalret.search.results import SearchResults
from legalret.search.searcher import MODES


def request_error(query: str | None, k: int, mode: str, *, query_field: str = "q", law: str | None = None,
                  kind: str | None = None) -> str | None:
    """The one-line message for a search request that cannot run — an empty query (named ``query_field``, the
    caller's parameter), ``k`` out of range (:func:`~legalret.config.k_error`, as the CLI says it), a mode that
    is not one of :data:`~legalret.search.searcher.MODES`, a ``law`` or ``kind`` given but naming nothing (``" "``,
    ``","``: it had quietly meant every law; empty, as the page leaves it, is no filter) — or None when it can. (A
    query over :data:`~legalret.config.MAX_QUERY_CHARS` is not an error: the searcher cuts it, with its notice.)"""
    if not (query or "").strip():
        return f"{query_field}: empty query; type some words or an article citation such as '민법 제750조'"
    if k_error(k):
        return k_error(k)
    if mode not in MODES:
        # (the searcher's words, after the field: a terminal's resident server and a pipe had worded it apart)
        return f"mode: unknown search mode {mode!r} (choose from {', '.join(MODES)})"
    for field, value, one, two in (("law", law, "민법", "민법,상법"), ("kind", kind, "법률", "법률,시행령")):
        if isinstance(value, str) and value and not any(name.strip() for name in value.split(",")):
            # (the CLI's words for --law '')
            return (f"{field} names nothing ({value!r}): give a name ({field}={one} or {field}={two}), or leave it "
                    "out to search every one")
    return None


def search_response(results: SearchResults, mode: str, *, notices: Sequence[str] = (), **extra: Any) -> dict[str, Any]:
    """``{query, mode, hits, notices, terms}`` (+ ``extra``, e.g. the server's generation); ``notices``: the
    searcher's load-time notes, before the query's own."""
    return {"query": results.query, "mode": mode, **extra, "hits": [hit_json(h) for h in results],
            "notices": list(dict.fromkeys([*notices, *results.notices])), "terms": list(results.terms)}  # each note once


def hit_json(hit: Any) -> dict[str, Any]:
    """``Hit.to_dict(with_text=True)`` (what ``legalret search --json`` prints) + citation and precedents, and
    ``feature_contributions`` when the learned re-ranker ranked the hit and explain is on. ``probability`` is always
    there, null where there is none (a cited article, another mode than hybrid, a withheld guess)."""
    d = hit.to_dict(with_text=True)
    # (to_dict gives it only where the re-ranker gave one or withheld it: the API's citation hits and every hit of
    # bm25/dense/memory/rrf had none, and a client had to tell a missing key from a null — here, once, for the API,
    # MCP, LangChain and the CLI alike)
    d.setdefault("probability", None)
    d["citation"] = citation(hit.article)
    d["url"] = article_url(hit.key)
    d["precedents"] = hit.precedents  # structured by the searcher when explain is on; [] otherwise
    if hit.contributions:  # the learned fusion line's features as data: [{"feature", "group", "value"}]
        d["feature_contributions"] = hit.contributions
    return d


def article_json(article: Any, today: str) -> dict[str, Any]:
    """One article as the API and MCP give it; ``today`` (ISO, :meth:`Searcher.in_force_on`): whether its text is
    in force yet (``takes_effect``)."""
    d = {"key": article.key, "law": article.law, "title": article.title, "kind": article.kind,
         "text": article.body_text(), "heading": article.heading, "citation": citation(article), "url": article_url(article.key),
         "chapter": list(article.chapter or []), "effective_date": article.effective_date,
         # always there, as in a hit (False / None had been left out): the day a text not in force yet takes effect
         "deleted": bool(article.deleted), "takes_effect": article.takes_effect(today) or None}
    return d


def citation(article: Any) -> str:
    """A citation to paste into a brief: ``「민법」 제194조(간접점유)``."""
    rest = article.key[len(article.law):].strip() if article.key.startswith(article.law) else article.key
    title = f"({article.title})" if article.title else ""
    return f"「{article.law}」 {rest}{title}"
