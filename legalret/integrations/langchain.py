"""A LangChain retriever over legalret: statute articles as ``Document`` s for a RAG chain.

Install with the extra: ``pip install 'legalret[langchain]'`` (``langchain-core``).

Usage::

    from legalret.integrations.langchain import LegalretRetriever

    retriever = LegalretRetriever(index="idx/", k=5, law="민법")         # in this process
    docs = retriever.invoke("임차인이 수리비를 지출했는데 집주인이 돌려주지 않는다")
    docs[0].page_content                      # "「민법」 제618조(임대차의 의의)\n임대차는 …": the citation, then the text
    "\n\n".join(d.page_content for d in docs)  # the usual format_docs: each article with the citation an LLM can quote
    LegalretRetriever(index="idx/", content="text")  # page_content the article's text alone (the citation in metadata)
    docs[0].metadata["key"], docs[0].metadata["precedents"][0]["case_no"]
    await retriever.ainvoke("유치권 간접점유")  # async: the search runs in a worker thread

    remote = LegalretRetriever(server_url="http://127.0.0.1:8000", k=5)   # a running `legalret serve`

    from legalret.serve.statutes import StatuteService
    shared = StatuteService("idx/")                  # an index opened already (one for several retrievers)
    LegalretRetriever(index=shared, law="상벚")      # LegalretError: unknown law filter '상벚': … (did you mean 상법?)

A setting that cannot work is refused when the retriever is made, in the line a search would give:
``LegalretRetriever(k=0)`` — "k must be between 1 and 100 (got 0)" — and a ``mode`` no search has, always (no index
is needed to know them); a ``law`` or ``kind`` the index does not hold only where the index is at hand (``index=`` an
opened :class:`~legalret.serve.statutes.StatuteService` or :class:`~legalret.serve.live.LiveSearcher`). A directory
or a server is not opened to check them — opening an index takes seconds and ~0.5 GB, which a retriever built
and never called (a chain's configuration, a test) must not pay —, so there the first search says it.

``page_content`` is the article's citation line, then its text — ``「민법」 제618조(임대차의 의의)\n임대차는 당사자 일방이
…`` —, so that a chain joining the documents' ``page_content`` (the tutorials' ``format_docs``) hands the LLM articles it
can cite; ``content="text"`` gives the text alone, as a chain that formats ``metadata["citation"]`` itself wants (it
had been the only form: the articles reached the LLM without their names). ``metadata`` holds ``key``, ``title``, ``law``, ``kind``, ``score``,
``relevance`` (0–100 as the page shows it: in hybrid the re-ranker's probability that the article is the answer among its
candidates, ``probability`` 0–1; None for the nearest guesses), ``rank``, ``citation``, ``deleted``, ``takes_effect`` (None, or the day a text not in force yet takes effect: a chain
must not quote it as today's law) and ``precedents`` (the earlier decisions that voted for the article, in the form
MCP gives them, in process or behind a server alike — :func:`legalret.serve.wording.agent_precedent`: 사건번호
``case_no``, 선고일자 ``decided``, what ``matched`` (holding or facts), its ``text`` (matched facts from where the facts
start, whole), ``similarity``, ``url``) and ``notices``: what the answer said of the whole
query — a cited article listed outside the law filter, "nothing in the query matched …: only the nearest guesses", a
Hanja or short-name reading — the same list on every document, so a chain can tell a guess from a match.

An answer with no documents still says why: each notice goes to the run's callbacks as text (``on_text``: a
handler's ``on_text(text, **kwargs)`` gets "cited article 민법 제9999조 is not in this index", and
``StdOutCallbackHandler`` prints it), for every answer; and when nothing was found, the notices are also logged as a
warning (logger ``legalret.integrations.langchain``), so an invented article is not mistaken for "no results"::

    class Notices(BaseCallbackHandler):                 # from langchain_core.callbacks import BaseCallbackHandler
        def __init__(self):
            self.said = []

        def on_text(self, text, **kwargs):
            self.said.append(text)

    notices = Notices()
    retriever.invoke("민법 제9999조", config={"callbacks": [notices]})    # [] — and notices.said says why

``k``, ``law``, ``kind`` and ``mode`` may be given per call (``retriever.invoke(q, k=3)``); ``k`` is read as the
server reads it (``"2"`` is 2, ``None`` the retriever's own), so an index and a server take the same values. Errors
(an empty query or one that is not text, an unknown law, an unreachable server, a setting the retriever lacks —
``LegalretRetriever(laws="상법")`` or ``invoke(q, top_k=3)``, named with a did-you-mean) are
:class:`~legalret.errors.LegalretError` with a one-line message.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from typing import Any, Literal

from pydantic import PrivateAttr, TypeAdapter, ValidationError, field_validator, model_validator

from legalret.serve.wording import agent_precedent

try:
    from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
except ImportError as e:  # pragma: no cover - depends on the installed extras
    raise ImportError("LegalretRetriever needs langchain-core: pip install 'legalret[langchain]'") from e

#: What a Document's metadata carries from a hit (besides ``rank``).
METADATA_FIELDS = ("key", "title", "law", "kind", "score", "relevance", "probability", "citation", "url", "takes_effect")
#: The settings a call may give instead of the retriever's own (``retriever.invoke(q, k=3)``).
PER_CALL = ("k", "law", "kind", "mode")
#: What a document's ``page_content`` may be (:attr:`LegalretRetriever.content`, :func:`page_content`).
CONTENT_FORMS = ("cited", "text")

log = logging.getLogger(__name__)


class LegalretRetriever(BaseRetriever):
    """Statute articles for a query, from an index (``index=``) or a running server (``server_url=``).

    ``index``: a directory, opened at the first search, or an index already opened (a
    :class:`~legalret.serve.statutes.StatuteService` or :class:`~legalret.serve.live.LiveSearcher`: searched as it is,
    and ``law`` / ``kind`` checked against it at once). ``k``: articles per query; ``law`` / ``kind``: only these
    (comma-separated); ``mode``: hybrid (default) | convex | rrf | bm25 | dense | memory; ``token``: the server's
    bearer token, if it has one. Neither ``index`` nor ``server_url``: the default index (``$LEGALRET_INDEX`` or the
    cache directory). ``content``: what a document's ``page_content`` is — ``"cited"`` (default) the citation line, then
    the text (``「민법」 제618조(임대차의 의의)`` and a line break before ``임대차는 …``: what an LLM reading the joined
    documents can quote); ``"text"`` the article's text alone (the citation stays in ``metadata["citation"]``)."""

    # (Any: an opened index is no type pydantic knows, and naming its class here would import the search stack with
    # the module; :meth:`_index_source` checks what is given)
    index: Any = None
    server_url: str | None = None
    token: str | None = None
    k: int = 5
    law: str | None = None
    kind: str | None = None
    mode: str = "hybrid"
    content: Literal["cited", "text"] = "cited"

    _service: Any = PrivateAttr(default=None)
    # one service per retriever: concurrent first calls (ainvoke gathered, batch) had each opened the index — 12
    # gathered calls opened 6, ~0.5 GB each on the 민법+상법 index, gigabytes on the all-law one
    _opening: Any = PrivateAttr(default_factory=threading.Lock)

    @model_validator(mode="before")
    @classmethod
    def _known_settings(cls, data: Any) -> Any:
        """Refuse a setting the retriever lacks, in one line with a did-you-mean (the HTTP API's,
        :func:`~legalret.serve.app.unknown_names_message`): LangChain's models pass over unknown fields, so
        ``LegalretRetriever(laws="상법", top_k=1)`` had searched every law for 5 articles without a word. A
        :class:`~legalret.errors.LegalretError`, not a ValueError, so that pydantic lets the one line through."""
        if isinstance(data, dict):
            unknown = [str(name) for name in data if name not in cls.model_fields]
            if unknown:
                from legalret.errors import LegalretError
                from legalret.serve.app import unknown_names_message

                ours = [name for name in cls.model_fields if name not in BaseRetriever.model_fields]
                accepted = ours + [name for name in cls.model_fields if name not in ours]  # (LangChain's after ours)
                raise LegalretError(unknown_names_message(unknown, accepted, "LegalretRetriever", "setting"))
        return data

    @field_validator("index", mode="before")
    @classmethod
    def _index_source(cls, value: Any) -> Any:
        """A directory (as text or a path), or an index opened already; anything else is said in one line."""
        if value is None or isinstance(value, (str, os.PathLike)):
            return value
        from legalret.errors import LegalretError
        from legalret.serve.live import LiveSearcher
        from legalret.serve.statutes import StatuteService

        if isinstance(value, (StatuteService, LiveSearcher)):
            return value
        raise LegalretError(f"index: a directory, a StatuteService or a LiveSearcher is expected, got {type(value).__name__}")

    @field_validator("law", "kind", mode="before")
    @classmethod
    def _names(cls, value: Any, info: Any) -> Any:
        """``law`` / ``kind`` as a call, MCP and the HTTP API take them: one name, comma-separated names, or a list of
        names (joined with commas; ``law=["민법", "상법"]`` had been pydantic's multi-line error). Anything else: one
        line naming the setting."""
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return ",".join(value)
        from legalret.errors import LegalretError

        raise LegalretError(f"{info.field_name}: a name, names separated by commas or a list of names, got "
                            f"{type(value).__name__}")

    @field_validator("content", mode="before")
    @classmethod
    def _content_form(cls, value: Any) -> str:
        """``content`` as one of its two forms, else one line saying both (pydantic's Literal error is several lines).
        None is the default, as for ``k``."""
        if value is None:
            return cls.model_fields["content"].default
        if isinstance(value, str) and value.strip().lower() in CONTENT_FORMS:
            return value.strip().lower()
        from legalret.errors import LegalretError

        raise LegalretError(f"content: 'cited' (the citation line, then the article's text; the default) or 'text' (the "
                            f"text alone), got {value!r}")

    @field_validator("k", mode="before")
    @classmethod
    def _k_as_a_call_reads_it(cls, value: Any) -> int:
        """``k`` read as a call's is (:func:`per_call_k`: ``"2"`` is 2, true/false refused; None the default)."""
        return per_call_k(value, cls.model_fields["k"].default)

    @model_validator(mode="after")
    def _usable(self) -> "LegalretRetriever":
        """Refuse at construction what every search would refuse: ``k=0`` had been accepted and failed at the first
        ``invoke``, far from the line that set it. ``k`` and ``mode`` need no index (:func:`settings_problem`); a
        ``law`` / ``kind`` the index lacks is checked only against an index at hand (see the module docstring)."""
        from legalret.errors import LegalretError

        if self.index is not None and self.server_url:
            raise ValueError("give index= or server_url=, not both")
        problem = settings_problem(self.k, self.mode)
        if problem:
            raise LegalretError(problem)
        if self.index is not None and not isinstance(self.index, (str, os.PathLike)):
            from legalret.serve.statutes import StatuteService

            self._service = self.index if isinstance(self.index, StatuteService) else StatuteService(self.index)
            check_filters(self._service, self.law, self.kind)
        return self

    def _search(self, query: str, **overrides: Any) -> dict[str, Any]:
        from legalret.errors import LegalretError

        if not isinstance(query, str):  # a chain's dict input had been an AttributeError deep in the search
            raise LegalretError(f"query: text is expected, got {type(query).__name__} (in a chain, pass the question "
                                "itself, e.g. itemgetter('question') | retriever)")
        unknown = sorted(set(overrides) - set(PER_CALL))
        if unknown:
            from legalret.serve.app import did_you_mean

            guess = did_you_mean(unknown[0], list(PER_CALL))  # (top_k=3 had said only what a call takes)
            hint = f" (did you mean {guess}?)" if guess else ""
            raise LegalretError(f"{unknown[0]}: not a search setting{hint}; per call give {', '.join(PER_CALL)}")
        settings = {name: overrides.get(name, getattr(self, name)) for name in PER_CALL}
        settings["k"] = per_call_k(settings["k"], self.k)
        return self._open().search(query, **settings, explain=True)

    def _open(self) -> Any:
        """The server client or the in-process service, made once (under a lock: see ``_opening``)."""
        with self._opening:
            if self._service is None:
                if self.server_url:
                    from legalret.serve.client import ServerClient

                    self._service = ServerClient(self.server_url, token=self.token, source="server_url",
                                                 hint="start it with `legalret serve`, or give the server_url it listens on")
                else:
                    from legalret.config import default_index_dir
                    from legalret.serve.statutes import StatuteService

                    self._service = StatuteService(self.index or default_index_dir())
            return self._service

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                **overrides: Any) -> list[Document]:
        answer = self._search(query, **overrides)
        docs = to_documents(answer, content=self.content)
        for notice in notices_to_report(answer, docs):
            run_manager.on_text(notice, end="\n")
        return docs

    async def _aget_relevant_documents(self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun,
                                       **overrides: Any) -> list[Document]:
        # A search is CPU work (and a blocking HTTP call for a server): off the event loop.
        answer = await asyncio.to_thread(self._search, query, **overrides)
        docs = to_documents(answer, content=self.content)
        for notice in notices_to_report(answer, docs):
            await run_manager.on_text(notice, end="\n")
        return docs


def settings_problem(k: int, mode: str) -> str | None:
    """What a search with ``k`` and ``mode`` would be refused for — the search's own one line
    (:func:`~legalret.search.response.request_error`: "k must be between 1 and 100 (got 0)", "mode: unknown search
    mode …") — or None. No index is needed to know it."""
    from legalret.config import search_mode
    from legalret.search.response import request_error

    # (request_error judges the query first: a stand-in one, so that only the settings are judged)
    return request_error("settings only", k, search_mode(mode))


def check_filters(service: Any, law: str | None, kind: str | None) -> None:
    """Refuse a ``law`` / ``kind`` filter the index of ``service`` (a
    :class:`~legalret.serve.statutes.StatuteService`) does not hold, by the resolver its searches use — the same
    :class:`~legalret.errors.LegalretError` line with its did-you-mean ("unknown law filter '상벚': not in this index
    (did you mean 상법?)") — as ``GET /api/filters`` reads them."""
    gen = service.live.get()
    with gen.lock:  # (the did-you-mean fills its table of names on first use, which a search reads: the server's rule)
        gen.searcher.resolve_laws(law or None)
        gen.searcher.resolve_kinds(kind or None)


def per_call_k(value: Any, default: int) -> int:
    """A per-call ``k`` as ``legalret serve`` reads one (pydantic's integer: ``"2"`` and ``2.0`` are 2; true/false is
    refused; None is ``default``), so that the in-process retriever takes what the server takes — ``"2"`` had been
    "k must be between 1 and 100 (got 2)" here and 2 over a server. What is no whole number is said so; the range is
    checked by the search (:func:`~legalret.config.k_error`, one message everywhere)."""
    from legalret.config import k_error
    from legalret.errors import LegalretError

    if value is None:
        return default
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        return _INT.validate_python(value)
    except (ValueError, ValidationError):
        raise LegalretError(k_error(value)) from None


_INT = TypeAdapter(int)


def notices_to_report(answer: dict[str, Any], docs: list[Document]) -> list[str]:
    """The answer's notices, for the run's callbacks (``on_text``); with no documents to carry them in their metadata,
    logged as a warning too: "cited article 민법 제9999조 is not in this index" had gone without a trace, an invented
    article indistinguishable from nothing found."""
    notices = [str(n) for n in answer.get("notices") or []]
    if notices and not docs:
        query = str(answer.get("query") or "")
        log.warning("no articles for %r: %s", query if len(query) <= 80 else query[:79] + "…", "; ".join(notices))
    return notices


def page_content(hit: dict[str, Any], content: str = "cited") -> str:
    """A hit's ``page_content``: ``"cited"``, its citation (``「민법」 제618조(임대차의 의의)``; the key where a hit has
    none) on a line of its own above its text; ``"text"``, the text alone."""
    text = hit.get("text") or ""
    if content == "text":
        return text
    head = hit.get("citation") or hit.get("key") or ""
    return f"{head}\n{text}" if head and text else head or text


def to_documents(answer: dict[str, Any], content: str = "cited") -> list[Document]:
    """The hits of a ``/api/search`` answer as LangChain documents (see the module docstring); ``content``: what
    ``page_content`` is (:func:`page_content`)."""
    docs = []  # (each hit carries its relevance and probability: the searcher's, in process or behind a server)
    for rank, hit in enumerate(answer.get("hits", []), 1):
        metadata = {name: hit.get(name) for name in METADATA_FIELDS}
        metadata.update(rank=rank, deleted=bool(hit.get("deleted")),
                        # (the hit's own dicts differed: the raw text and a memory row number in process, the page's
                        # excerpt beside the text behind a server)
                        precedents=[agent_precedent(p, max_chars=None) for p in hit.get("precedents") or []],
                        generation=answer.get("generation"), notices=list(answer.get("notices") or []))
        docs.append(Document(page_content=page_content(hit, content), metadata=metadata, id=hit.get("key")))
    return docs
