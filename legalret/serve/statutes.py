"""What an agent or a RAG framework asks of an index — search, one article, a citation check, the laws — as
plain dicts, with the same rules and one-line errors as the HTTP API.

The MCP server (:mod:`legalret.serve.mcp_server`) and the LangChain retriever
(:mod:`legalret.integrations.langchain`) both answer through this one class, so an agent and a RAG chain see
the same hits, the same precedents and the same errors as ``/api/search``.

Usage::

    from legalret.serve.statutes import StatuteService
    svc = StatuteService("idx/")                       # follows the index's CURRENT generation, like the server
    svc.search("유치권 간접점유", k=5)["hits"][0]["precedents"]    # 사건번호, 선고일자, matched text
    svc.article("민법 750")["title"]                   # '불법행위의 내용'  ("민법750", "상법 제651조의2" work too)
    svc.check_citations("민법 제750조와 민법 제9999조에 따라")  # exists / deleted / title, one per citation
    svc.check_citations("대법원 2016다248806 판결")           # and each decision cited: known here, its holdings
    svc.laws()                                         # {'laws': [{'law': '민법', 'articles': 1193}, …], …}
    svc.laws(name='근로', limit=20)                     # the 20 largest laws whose name holds 근로

Every error is a :class:`~legalret.errors.LegalretError` whose message is one line naming the field.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from legalret.config import search_mode
from legalret.errors import LegalretError
from legalret.hanja import has_hanja, read_hanja
from legalret.keys import article_url, decision_url, format_key, law_aliases
from legalret.search.cases import named_decisions
from legalret.search.citations import (citation_forms, find_citations, reversed_item_range_notice,
                                       unresolved_citations)
from legalret.search.prepare import SHORT_NAMES_READ, renamed_names_notice, short_names_notice
from legalret.search.response import article_json, citation, request_error, search_response
from legalret.search.results import (MAX_RANGE, Hit, cited_range, item_exists, item_number, mark_not_in_force,
                                     missing_part, paragraph_exists, range_size_notice, reversed_range_notice)
from legalret.serve.live import LiveSearcher
from legalret.text import normalize


class StatuteService:
    """Search, article lookup and citation checks over one index (a directory or a shared :class:`LiveSearcher`).

    ``warm``: run one query at start so the first real one is fast (the encoder and Kiwi load then)."""

    def __init__(self, index: str | os.PathLike | LiveSearcher, *, warm: bool = True):
        self.live = index if isinstance(index, LiveSearcher) else LiveSearcher(Path(index), warm=warm)

    # ---- search ---------------------------------------------------------------------------------
    def search(self, query: str, *, k: int = 10, law: str | None = None, kind: str | None = None,
               mode: str = "hybrid", explain: bool = True) -> dict[str, Any]:
        """The ``/api/search`` answer as a dict: ``query``, ``mode``, ``generation``, ``hits``, ``notices``, ``terms``.

        ``law`` / ``kind``: one name or several, comma-separated. With ``explain`` (the default here: an agent
        wants the reasons) each hit carries ``precedents`` — the earlier decisions that voted for it."""
        mode = search_mode(mode)
        problem = request_error(query, k, mode, query_field="query", law=law, kind=kind)  # the API's check and words
        if problem:
            raise LegalretError(problem)
        query = query.strip()
        gen = self.live.get()
        s = gen.searcher
        mode = s.resolve_mode(mode)
        with gen.lock:  # the server's rule: one search at a time per generation (Kiwi, the encoder's first load)
            results = s.search(query, k=k, mode=mode, laws=law or None, kinds=kind or None, explain=explain)
        return search_response(results, mode, notices=s.notices, generation=gen.name)

    # ---- articles -------------------------------------------------------------------------------
    def article(self, key: str) -> dict[str, Any]:
        """One article by key, written as a person would: "민법 750", "민법 제750조", "상법 제651조의2"."""
        gen = self.live.get()
        found, why = find_article(gen.searcher, key)
        if found is None:
            raise LegalretError(f"key: {why}")
        # how the key was read, a 제N항 (or 제N호) it names that the article lacks, a text not in force yet: said
        return article_answer(gen.searcher, key, found, gen.name)

    # ---- citation check -------------------------------------------------------------------------
    def check_citations(self, text: str) -> dict[str, Any]:
        """Each statute citation in ``text``: does the article exist here, is it deleted (삭제), its title.

        ``citations``: one entry per article cited (in order), ``unresolved``: references the parser found but
        could not tie to a law in this index (a law it does not have, ``같은 법`` with no law before it). The passage
        is read as a search reads a query (:meth:`~legalret.search.prepare.QueryPreparer.readable`: 民法 第750條,
        mis-encoded text, 민법 §750, 근기법 — a citation ``cited`` as written so reads as the search reads it), and
        ``notices`` say what was read so — a short name left as written included (:func:`short_names_read`) — and
        which cited articles' text is not in force yet (the search's "not yet in force: …")."""
        text = text or ""
        if not text.strip():
            raise LegalretError("text: empty; paste the passage whose citations to check")
        if len(text) > 100_000:
            raise LegalretError(f"text: {len(text)} characters; check at most 100000 at a time")
        gen = self.live.get()
        s = gen.searcher
        text, notices = s.prepare.readable(text, cut=False)
        out, today = [], s.in_force_on()

        def entry(key: str, law: str, cited: str, article: Any) -> dict[str, Any]:
            return {"cited": cited, "key": key, "law": law, "exists": article is not None,
                    "deleted": bool(article is not None and article.deleted),
                    "title": article.title if article is not None else None,
                    "citation": citation(article) if article is not None else None,
                    "url": article_url(article.key) if article is not None else None,
                    # the day its text takes effect, when it is not in force yet (Article.takes_effect)
                    "takes_effect": article.takes_effect(today) if article is not None else None}

        cites = find_citations(text, s.law_names)
        for c in cites:
            if c.range_start is not None:  # 제750조 내지 제752조 cites 제751조 too (as the search lists it)
                span, between = cited_range(c, s.data)
                if c.range_written:  # 제752조 내지 제750조: read as 제750조–제752조, and said (as the search says it)
                    notices.append(reversed_range_notice(c, span))
                out += [entry(key, c.law, f"{span} (within the range)", s.article(key)) for key in between[:MAX_RANGE]]
                if len(between) > MAX_RANGE:  # said, and counted, as the search says it (one count for both)
                    notices.append(range_size_notice(span, between, s.data, MAX_RANGE,
                                                     "are checked; cite a shorter range for the rest"))
            article = s.article(c.key)
            if c.item_range_written:  # 제3호 내지 제1호: read as 제1호–제3호, and said (as for a range of articles)
                notices.append(reversed_item_range_notice(c))
            # 제1호 내지 제3호 cites the article's 제1호의2 and 제2호의2 too (the finder cites 제2호; the branches are the
            # article's own): each listed, where it stands
            out += [{**entry(c.key, c.law, c.raw, article), **part_checks(article, one)}
                    for one in branch_items_between(article, c)]
            out.append({**entry(c.key, c.law, c.raw, article), **part_checks(article, c)})
        short_names_read(s, cites, notices)
        # a text not in force yet: its takes_effect, and the search's notice (the README promises it with every answer)
        pending = {e["key"]: s.article(e["key"]) for e in out if e["takes_effect"]}
        mark_not_in_force([Hit(key, 0.0, article) for key, article in pending.items()], today, notices)
        return {"generation": gen.name, "citations": out, "unresolved": unresolved_citations(text, s.law_names),
                "decisions": decisions_json(text, s), "notices": notices}

    # ---- laws -----------------------------------------------------------------------------------
    def laws(self, name: str | None = None, limit: int | None = None) -> dict[str, Any]:
        """The laws in this index with their article counts (what ``law=`` accepts), and the kinds. ``name``: only
        laws whose name holds it (spaces ignored); ``limit``: the laws with most articles first, at most that many
        (``matching`` says how many there were); ``notices``: an old name of a renamed law that ``name`` matches
        (:func:`renamed_matches`), or why nothing matched, as a ``law=`` filter of that name says it (형법: not in this
        index, with the command that adds it). ``name`` is read as a filter reads it: 民法 is 민법, 근기법 근로기준법."""
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            # (limit=0 had answered no laws, "matching" many, without a word; MCP's list_laws refuses it)
            raise LegalretError(f"limit: a number of laws of 1 or more, got {limit!r}")
        gen = self.live.get()
        s = gen.searcher
        counts = dict.fromkeys(s.laws, 0)
        for law in s.data.column("laws"):
            if law in counts:
                counts[law] += 1
        laws = list(counts.items())
        if name and name.strip():
            name = read_hanja(name)[0] if has_hanja(name) else name  # (民法 had matched nothing, unsaid)
            part = "".join(name.split())
            full = law_aliases().get(name.strip())  # a short name (근기법) names its law, which the substring misses
            laws = [(law, n) for law, n in laws if part in law.replace(" ", "") or law == full]
        matching, notices = len(laws), renamed_matches(s, name, laws)
        if name and name.strip() and not laws and not notices:
            # (형법 had answered an empty list and no notice, where a search's law= filter says why)
            notices = [why for why in [_filter_refusal(s, name)] if why]
        if limit is not None:
            laws = sorted(laws, key=lambda item: -item[1])[:limit]
        return {"generation": gen.name, "laws": [{"law": law, "articles": n} for law, n in laws],
                "kinds": list(s.kinds), "matching": matching, "notices": notices}


def _filter_refusal(searcher: Any, name: str) -> str:
    """What a ``law=`` filter of ``name`` says when the index holds no such law ("'형법': not in this index (… add it
    with `legalret index add criminal`)", did-you-means included); "" where the filter would take it."""
    try:
        searcher.resolve_laws([name])
    except LegalretError as e:
        return str(e).removeprefix("unknown law filter ")
    return ""


def renamed_laws(searcher: Any) -> dict[str, str]:
    """Old name → the name held now, for each law ``index add --rename`` renamed in this index (none: ``{}``)."""
    return dict(getattr(searcher.law_names, "renamed", None) or {})


def renamed_matches(searcher: Any, name: str | None, matched: list[tuple[str, int]]) -> list[str]:
    """``list_laws``' notices for a ``name`` held by the old name of a renamed law whose name now it did not match:
    "주택임대차보호법 was renamed 주택임차인보호법 (index add --rename); this index holds it under that name" —
    ``name="주택임대차보호법"`` had answered ``matching: 0`` alone, as if the index lacked the law that a search or
    ``get_article`` of that name finds."""
    part = "".join((name or "").split())
    if not part:
        return []
    found = {law for law, _ in matched}
    return [f"{old} was renamed {new} (index add --rename); this index holds it under that name"
            for old, new in renamed_laws(searcher).items() if part in old.replace(" ", "") and new not in found]


def decisions_json(text: str, searcher) -> list[dict[str, Any]]:
    """Each decision ``text`` cites by 사건번호 (once): whether this index's precedent memory holds it, and if so its
    date, 판시사항 items and the index's articles it cites (:func:`legalret.search.cases.named_decisions`)."""
    memory = searcher.memory.memory if searcher.memory is not None else None
    out: dict[str, dict[str, Any]] = {}
    for named in named_decisions(text, memory):
        if named.number in out:
            continue
        entry: dict[str, Any] = {"cited": named.raw, "case_no": named.number, "known": bool(named.rows)}
        if named.rows:
            first = memory.items[named.rows[0]]
            entry.update(case_no=first.case_no, decided=first.decided.isoformat(), url=decision_url(first.serial),
                         holdings=[memory.items[r].text for r in named.rows], articles=named.keys(memory))
        out[named.number] = entry
    return list(out.values())


def short_names_read(searcher: Any, cites: list[Any], notices: list[str]) -> None:
    """Add to ``notices`` the short names (근기법) of ``cites`` that the passage's reading left as written, in the
    search's wording ("short law names read in full: 근기법 → 근로기준법"), into its notice when it has one.

    The reading writes a short name out only where the passage does not also write the law's full name
    (:func:`legalret.keys.written_out`: a holding defines its short names, "채무자 회생 및 파산에 관한 법률(이하
    '채무자회생법')"), but a citation still resolves it: "근로기준법상 … 근기법 제23조 제1항" was checked as 근로기준법
    제23조 while it stayed ``cited`` as written and the notice listed the passage's other short names without it."""
    shorts: list[str] = []
    for c in cites:
        # the longest short name the citation begins with, when it is the one its law was read from
        short = max((a for a in law_aliases() if c.raw.startswith(a)), key=len, default=None)
        if short is not None and read_from(searcher, short, c.law) and short not in shorts:
            shorts.append(short)
    if not shorts:
        return
    said = short_names_notice((short, searcher.law_names.resolve(short)) for short in shorts)
    head = f"{SHORT_NAMES_READ}: "
    have = next((i for i, n in enumerate(notices) if n.startswith(head)), None)
    if have is None:
        notices.append(said)
        return
    listed = notices[have][len(head):].split(", ")
    more = [pair for pair in said[len(head):].split(", ") if pair not in listed]
    if more:
        notices[have] = ", ".join([notices[have], *more])


def read_from(searcher: Any, short: str, law: str) -> bool:
    """Is ``short`` a short name (근기법) that this index reads as ``law`` (근로기준법), or as the act of ``law`` (a
    decree: ``근기법 시행령`` is 근로기준법 시행령)?"""
    full = searcher.law_names.resolve(short)
    return bool(full) and full != short and (law == full or law.startswith(full + " "))


def article_answer(searcher: Any, written: str, article: Any, generation: str) -> dict[str, Any]:
    """One article as ``GET /api/articles/{key}`` and MCP ``get_article`` give it: :func:`article_json`, the
    ``generation``, the parts the key ``written`` names (:func:`cited_parts`) and ``notices`` — how the key was read
    (``근기법 23``: "short law names read in full: 근기법 → 근로기준법", as the search and check_citation say it), what
    it names that the article lacks, and a text not in force yet, in the search's words (:func:`mark_not_in_force`:
    ``형사소송법 제59조의3`` had come with ``takes_effect`` and ``"notices": []``, where the search, the page and MCP's
    search said "not yet in force: …")."""
    today = searcher.in_force_on()
    parts = cited_parts(searcher, written, article)
    mark_not_in_force([Hit(article.key, 0.0, article)], today, parts["notices"])
    return {**article_json(article, today), "generation": generation, **parts}


def no_article_message(searcher: Any, resolved: str) -> str:
    """What a look-up says of an article key this index lacks: "no article '민법 제9999조' in this index", and, for a law
    it holds, why (:func:`~legalret.search.results.missing_article_notice`: "민법 as indexed has no such article (its
    last is 제1118조)", as the search says it — the API had said only the first half, the CLI both)."""
    from legalret.search.results import missing_article_notice

    said = f"no article {resolved!r} in this index"
    cite = next(iter(find_citations(resolved, searcher.law_names)), None)
    if cite is None or cite.key != resolved:
        return said
    why = missing_article_notice(cite, searcher.data).partition(" is not in this index")[2]
    return said + why


def find_article(searcher, key: str | None) -> tuple[Any, str]:
    """(the article, its key) for ``key`` written as a person would — "민법 750", "민법750", "민법 제750조",
    "상법 제651조의2", "「민법」 제750조(불법행위의 내용)" — read with the query's citation rules; (None, why) when this
    index has no such article: one line, "no article '민법 제9999조' in this index …", or why the key names none here
    (a law the index lacks, text after the article: "민법 제750조2" had answered 민법 제750조).

    The one resolver of ``get_article`` (MCP, LangChain) and ``GET /api/articles/{key}`` (a 404 with the why). A key
    that is empty, longer than 200 characters, names several articles or no law ("제750조") is a
    :class:`LegalretError` naming the field (the API's 400)."""
    text = (key or "").strip()
    if not text:
        raise LegalretError("key: empty; give an article such as '민법 제750조'")
    if len(text) > 200:
        raise LegalretError(f"key: {len(text)} characters; an article key is short ('민법 제750조')")
    found = searcher.article(text)
    if found is not None:
        return found, found.key
    read, _ = searcher.prepare.readable(text)  # 民法 第750條, 근기법 23조, mis-encoded text: as a search reads them
    cites = find_citations(read, searcher.law_names)
    articles = list(dict.fromkeys(c.key for c in cites))
    if len(articles) > 1:  # (it had said "no article '민법 제750조, 민법 제751조' in this index": both are)
        raise LegalretError(_several_articles_message(searcher, cites))
    why = [] if articles else unresolved_citations(read, searcher.law_names)
    if why and ("names no law" in why[0] or "no law is named" in why[0]):  # '제750조': which law? (the request's gap)
        raise LegalretError(f"key: {why[0]}")
    if why:  # '형법 제250조' on an index without 형법: this index lacks it — why, not just "no article"
        return None, why[0]
    if not articles:
        named = law_named_alone(searcher, read)
        if named is not None:  # '민법': which article? (as '제750조' is "which law?": the request's gap, not a miss)
            raise LegalretError(f"key: {text!r} names a law, not an article: give an article, e.g. "
                                f"{example_article(searcher, named)!r}")
        return None, no_article_message(searcher, text)
    left = _left_over(citation_forms(normalize(read)), cites)
    if left:
        return None, _left_over_message(searcher, text, cites[0], left)
    article = searcher.article(articles[0])
    return (article, article.key) if article is not None else (None, no_article_message(searcher, articles[0]))


def law_named_alone(searcher: Any, read: str) -> str | None:
    """The law this index holds that the key ``read`` (as a search reads it) names and nothing else — "민법", "民法",
    "「민법」", "근기법" where 근로기준법 is held, "민법 시행령" —, or None. ``get_article {"key": "민법"}`` had answered
    "no article '민법' in this index", as if 민법 were missing."""
    name = _KEY_NOTE.sub("", re.sub(r"[「」『』\"'“”‘’]", "", read)).strip()
    return searcher.law_names.resolve(name) if name else None


def example_article(searcher: Any, law: str) -> str:
    """An article key of ``law`` to write in an example: its 제1조 when this index holds it, else its first article
    here (a law indexed in part may start elsewhere)."""
    first = format_key(law, 1)
    if searcher.article(first) is not None:
        return first
    laws = searcher.data.column("laws")
    return next((key for key, held in zip(searcher.data.keys, laws) if held == law), first)


def _several_articles_message(searcher: Any, cites: list) -> str:
    """Why a key naming several articles names none: how many — a range counted as the search lists it (``민법
    제750조~제752조``: 제750조, 제751조 and 제752조, with :func:`~legalret.search.results.cited_range`; its two ends had
    been counted as 2) —, the first three, and where several are checked, in words for every caller of
    :func:`find_article`: a search for the citation lists each article it names in every interface; the HTTP API has
    no check_citation (it had been pointed to that MCP tool alone)."""
    keys: list[str] = []
    for c in cites:
        if c.range_start is not None:
            keys += cited_range(c, searcher.data)[1]  # the index's articles strictly between the ends
        keys.append(c.key)
    keys = list(dict.fromkeys(keys))
    return (f"key: names {len(keys)} articles ({', '.join(keys[:3])}{' …' if len(keys) > 3 else ''}); give one, "
            "or search for the citation to list each (MCP: check_citation)")


#: What may stand beside an article's citations in a key and still name it: spaces, marks, a bracketed note — the
#: title a pasted citation carries ("민법 제750조(불법행위의 내용)"), an amendment date — and the words that join its
#: parts ("민법 제750조 제1항 및 제3항").
_KEY_NOTE = re.compile(r"\s*\([^()]*\)\s*|[\s.,;:·~\-]+|(?<![가-힣])(?:및|와|과|또는|내지)(?![가-힣])")


def _left_over(read: str, cites: list) -> str:
    """The text of the key ``read`` (citation forms) outside the spans of ``cites`` (all of one article) that is not
    a note or a joining word (:data:`_KEY_NOTE`): "" for a key that names the article and nothing else."""
    outside, at = [], 0
    for c in sorted(cites, key=lambda c: c.start):
        outside.append(read[at:max(at, c.start)])
        at = max(at, c.end)
    outside.append(read[at:])
    return _KEY_NOTE.sub("", " ".join(outside)).strip()


def _left_over_message(searcher: Any, text: str, cite: Any, left: str) -> str:
    """Why a key with more than an article's citation in it names no article: "민법 제750조2" reads as 민법 제750조
    followed by '2' — and a did-you-mean when the digits make a 조의N this index holds (민법 제750조의2)."""
    said = f"no article {text!r} in this index: it reads as {cite} followed by {left!r}"
    if left.isdigit() and cite.branch == 0 and cite.paragraph is None and cite.item is None:
        branch = format_key(cite.law, cite.number, int(left))
        if searcher.article(branch) is not None:
            return f"{said} (did you mean {branch}?)"
    return f"{said}; give the article's key alone ({cite.key!r})"


def branch_items_between(article: Any, c: Any) -> list[Any]:
    """``c`` (a citation of ``article``, None: not in the index) as each item of the article strictly between
    ``c.item_after`` and ``c``'s own item — in a cited range of items, the branch items (제1호의2 of 제1호 내지 제2호)
    that only the article knows of — in its 항 when one is cited, else in any; [] outside a range."""
    if c.item_after is None or article is None or article.deleted:
        return []
    marks = {item_number(i.number) for p in article.paragraphs
             if c.paragraph is None or p.number == c.paragraph or (c.paragraph == 1 and p.number is None)
             for i in p.items}
    return [replace(c, item=n, item_branch=b, item_after=None, item_range_start=None, item_range_written="")
            for n, b in sorted(m for m in marks if m is not None and c.item_after < m < (c.item, c.item_branch))]


def part_checks(article: Any, c: Any) -> dict[str, Any]:
    """The fields ``check_citation`` and ``get_article`` give a citation ``c`` of ``article`` (None: not in the index)
    for the parts it names: ``paragraph`` / ``paragraph_exists`` for a 제N항 (in force; 제0항: never), ``item`` /
    ``item_branch`` / ``item_exists`` for a 제N호 — checked as the search checks it, in its 항 when one is cited
    (item_branch beside item: 제1호의2 is its own 호, and item 1 alone would read as 제1호). ``{}`` for neither."""
    one: dict[str, Any] = {}
    if c.paragraph is not None:
        one["paragraph"], one["paragraph_exists"] = c.paragraph, paragraph_exists(article, c.paragraph)
    if c.item is not None:
        one["item"], one["item_branch"] = c.item, c.item_branch
        one["item_exists"] = one.get("paragraph_exists", True) and item_exists(article, c.paragraph, c.item,
                                                                               c.item_branch)
    return one


def cited_parts(searcher: Any, written: str, article: Any) -> dict[str, Any]:
    """What an article request written with a 제N항 or 제N호 (``민법 제750조 제2항``) says of them — the article is
    answered either way, but a part it lacks had been dropped without a word. ``notices``: the short name the key
    was read from, as the search says it (``short law names read in full: 근기법 → 근로기준법``: ``근기법 23`` had
    resolved without a word of what it was read as), then one line per missing part, worded as the search's notice
    (``cited article 민법 제750조 has no 제2항``); ``paragraph`` / ``paragraph_exists``
    as ``check_citation`` gives them (and ``item`` / ``item_branch`` / ``item_exists`` for a 호: 2 / 0 for 제2호, 1 / 2
    for 제1호의2) — of the first part missing when the key names several, else of the first named. Nothing but an
    empty ``notices`` for a plain key.

    The key is read as :func:`~legalret.serve.statutes.find_article` read it (the query's citation rules)."""
    text = (written or "").strip()
    if article is None or text == article.key:
        return {"notices": []}
    read, how = searcher.prepare.readable(text)
    # of how the key was read, the short name alone is said (the search's notice for a short name of the article's
    # law: a key names one article); a Hanja or mis-encoded key's reading stays unsaid, as before (the key shows it)
    said = {short_names_notice([(a, searcher.law_names.resolve(a))]) for a in law_aliases()
            if read_from(searcher, a, article.law)}
    # and the old name of a law `index add --rename` renamed, as the search and check_citation say it: 주택임대차보호법
    # 제3조 had answered 주택임차인보호법 제3조 with no notice, as if the key had named it
    said |= {renamed_names_notice([(old, new)]) for old, new in renamed_laws(searcher).items() if new == article.law}
    how = [note for note in how if note in said]
    checked: list[tuple[dict[str, Any], str | None]] = []  # (the fields, the part missing or None), per part named
    for c in find_citations(read, searcher.law_names):
        if c.key != article.key or (c.paragraph is None and c.item is None):
            continue
        checked.append((part_checks(article, c), missing_part(article, c)))  # (worded as the search words it)
    notices = [f"cited article {article.key} is deleted (삭제): it has no {missing}" if article.deleted else
               f"cited article {article.key} has no {missing}" for _, missing in checked if missing]
    fields = next((one for one, missing in checked if missing), checked[0][0] if checked else {})
    return {**fields, "notices": list(dict.fromkeys([*how, *notices]))}
