"""The HTTP API and the web page, as an ASGI app (FastAPI). ``legalret serve`` runs it under uvicorn.

=================================  ====================================================================
``GET /api/search?q=…``            ``k`` (1–100), ``law`` / ``kind`` (comma-separated), ``mode``
                                   (hybrid | rrf | bm25 | dense | memory), ``explain=1`` → hits as JSON
``POST /api/search``               the same as a JSON body ``{"q", "k", "law", "kind", "mode", "explain"}``
                                   (what the CLI sends: a pasted judgment has no URL-length worries); ``law`` /
                                   ``kind`` a string (comma-separated) or a list, as GET takes them repeated
``GET /api/articles/{key}``        one article by key, URL-encoded (``/api/articles/민법%20제194조``), read as the
                                   MCP ``get_article`` reads it (``민법%20750``, ``민법750``); ``notices`` say
                                   how the key was read (``근기법%2023``: a short name), a 제N항/제N호 the article
                                   lacks (``민법%20제750조%20제2항``) and a text not in force yet
``GET /api/meta``                  the index's laws and kinds (the page's filters)
``GET /api/filters?law=…&kind=…``  the names as a search reads its filters (``民法`` → ``민법``): ``{"generation",
                                   "law": [...] | null, "kind": [...] | null}``, or the search's 400 for a name the
                                   index lacks (what the page asks before it searches a link's ``law=``)
``GET /healthz``                   generation, article count, reload state (no token needed)
``GET /``                          the web page (static files shipped in the package; no CDN)
``GET /docs``, ``/openapi.json``   OpenAPI documentation: Swagger UI from the ``swagger-ui-bundle`` package's
                                   files under ``/static/swagger/`` (no CDN), and the schema
=================================  ====================================================================

A query longer than :data:`~legalret.config.MAX_QUERY_CHARS` is cut to it with the same notice the CLI shows.

Unknown fields and parameters are refused, not passed over: ``POST /api/search {"q": "유치권", "top_k": 3}`` or
``{"q": …, "laws": "상법"}`` had been answered with the defaults — 10 hits of every law — and the client believed it
had filtered. Now it is a 400 naming the unknown field, the accepted ones and a did-you-mean (``top_k`` → ``k``,
``laws`` → ``law``; :func:`unknown_names_message`). The same holds for the query parameters of every ``/api/`` route
(``GET /api/search?q=…&laws=상법``, ``/api/articles/…?date=…``, ``/api/meta?x=1``) and for a query string on
``POST /api/search``, whose parameters go in the body (``?k=3`` had been dropped in silence). A parameter whose name
starts with ``_`` is the exception, on GET and POST alike: it is a cache-buster (jQuery's ``_=1700000000000``, a
proxy's or a script's ``_t=…``) — the convention for "not a parameter", which no misspelt field name ever is — and
it is passed over, as a careful API does with what is explicitly not addressed to it (refusing it breaks clients that
never meant to ask anything; accepting every unknown name makes a typo a silent wrong answer). ``/healthz``, the
page, its static files and ``/docs`` take no parameters and pass any over: a probe or a browser adding one must not be
turned away. (The page sends only ``q``, ``k``, ``law``, ``kind``, ``mode`` and ``explain``; the MCP tools refuse an
argument they lack the same way, :class:`legalret.serve.mcp_server.LegalretMCPServer`.) On ``GET /api/search``
``q``, ``k``, ``mode`` and ``explain`` are given once (``k=1&k=2`` had kept the last in silence:
:func:`repeated_params`); ``law`` and ``kind`` may be repeated, their values joined.

Every GET route answers HEAD too (health checks). Errors are JSON ``{"error": "<one line>", "status": <code>}``:
400 for a bad parameter (empty query, k out of range, unknown law/kind/mode, an unknown field), 401 without the bearer token when
one is configured, 404 for an unknown article or path, 405 with ``Allow``, 413 for a body over
:data:`MAX_BODY_BYTES` (read to its end first, so that a client sending it all before it reads gets the answer); a
request line too long for the server is a JSON 414 too (:mod:`legalret.serve.protocol`). Static files come from a fixed table read from the
package at start-up, so no request path ever reaches the file system.

Usage::

    from legalret.serve.app import create_app
    app = create_app("idx/", token=None)          # any ASGI server: uvicorn.run(app, host="127.0.0.1")
"""

from __future__ import annotations

import hmac
import json
import os
import time
from importlib import resources
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote_to_bytes

from fastapi import Depends, FastAPI, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from legalret.config import MAX_K, MAX_QUERY_CHARS, result_settings, search_mode
from legalret.errors import LegalretError
from legalret.search.response import request_error, search_response
from legalret.search.searcher import MODES, modes_help  # the fused modes and each registered retriever's own
from legalret.serve.client import MAX_BODY_BYTES as _MAX_BODY_BYTES
from legalret.serve.live import LiveSearcher
from legalret.serve.statutes import article_answer, decisions_json, find_article
from legalret.serve.wording import lawyer_view

#: The page's files: name → content type. Nothing else under /static is ever served.
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
}
#: Swagger UI's files for /docs (from the ``swagger-ui-bundle`` package): name → content type, served under
#: /static/swagger/ from a fixed table like the page's, so /docs works without internet (an air-gapped office).
SWAGGER_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
SWAGGER_PREFIX = "/static/swagger/"
#: The schema /docs reads: /openapi.json written as OpenAPI 3.0, because the packaged Swagger UI (4.15) renders
#: only 3.0 ("Unable to render this definition" for FastAPI's 3.1). /openapi.json itself stays 3.1.
DOCS_SCHEMA_URL = "/openapi-3.0.json"

# '판례 2019다5005 (2019-12-31) [1] 불법행위로 … (similarity 1.00)' — the memory's explain line


class HitModel(BaseModel):
    """One hit: ``Hit.to_dict(with_text=True)`` (what ``legalret search --json`` prints) + citation, precedents."""

    key: str = Field(examples=["민법 제194조"])
    title: str
    law: str
    kind: str = ""
    score: float
    text: str
    ranks: dict[str, float] = Field(description="1-based rank per retriever ('profile': among the memory's article profiles; "
                                                "'citation' for an exact citation)")
    scores: dict[str, float] = {}
    reasons: list[str] = Field(description="explain lines (with explain=1): retriever ranks, precedents; a cited "
                                           "article's one line ('exact citation …', 'cited by decision …') always")
    deleted: bool = Field(False, description="the article is deleted (삭제): its key stays, its text is gone")
    takes_effect: str | None = Field(None, description="ISO date its text takes effect, when that is after today (the "
                                                       "text in force today may differ); null for a text in force")
    citation: str = Field(examples=["「민법」 제194조(간접점유)"])
    precedents: list[dict[str, Any]] = Field(description=(
        "with explain=1: the earlier decisions behind the hit — case_no (사건번호), decided (선고일자), index (the "
        "판시사항 item), text, similarity (1 = best), matched ('holding': its 판시사항 resembled the query; "
        "'facts': the facts the court found did), excerpt (the text from where the facts start)"))
    feature_contributions: list[dict[str, Any]] = Field([], description=(
        "with explain=1, when the learned re-ranker ranked the hit: the features of its 'learned fusion' explain line "
        "as data — feature, group (the retriever it reads, 'agreement' or 'question') and value (its share of the score)"))
    probability: float | None = Field(None, description="hybrid, re-ranked hits: the re-ranker's probability that this "
                                                        "article is the answer among the candidates it scored (its "
                                                        "softmax share over them; benchmarks/results/relevance_calibration.md); "
                                                        "null for a cited article, in other modes and for a withheld guess")
    relevance: int | None = Field(None, description="0–100 (100 × probability in hybrid, or the score as a share of the "
                                                     "best; 100 for an exact citation; null for the nearest guesses)")
    signals: list[dict[str, Any]] = Field([], description="with explain=1: each retriever's rank, labelled in Korean")
    contributions: list[dict[str, Any]] = Field([], description="with explain=1: what moved the hit in the re-ranker, per "
                                                                "retriever (label, value, share of the largest, direction)")


class SearchModel(BaseModel):
    query: str
    mode: str
    generation: str
    hits: list[HitModel]
    notices: list[str]
    terms: list[str] = Field(description="query terms to highlight")
    decisions: list[dict[str, Any]] = Field(default_factory=list, description=(
        "the decisions the query names by 사건번호 that the index's precedents hold: case_no, decided, url, holdings "
        "(판시사항), articles (the index's articles they cite, which come first among the hits)"))
    took_ms: float
    settings: dict[str, str] = Field(description="the server's settings that change results (LEGALRET_RANKER …)")


def k_not_a_boolean(value):
    """``k`` as a JSON client sent it, checked before pydantic reads ``true`` as 1 — a mistake, not a number of hits
    (the HTTP API and the MCP tools alike)."""
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a number of hits (1–{max_k}), not true or false",
                                  {"max_k": MAX_K})
    return value


#: The API's number of hits when a request gives none (or null).
API_DEFAULT_K = 10
#: ``GET /api/search``'s query parameters (any other is refused, one starting with ``_`` aside: :func:`unknown_params`).
SEARCH_PARAMS = ("q", "k", "law", "kind", "mode", "explain")


def k_or_default(default: int) -> Callable[[Any], Any]:
    """A ``k`` check (before pydantic's) where null means ``default`` — many JSON and LLM clients send null for an
    optional argument they leave out — and true/false is refused (:func:`k_not_a_boolean`)."""
    return lambda value: default if value is None else k_not_a_boolean(value)


def names_or_list(what: str) -> Callable[[Any], Any]:
    """A ``law`` / ``kind`` check (before pydantic's) for a JSON client: one name, names comma-separated
    (``"민법,상법"``) or a list of names (``["민법", "상법"]``, what GET's repeated ``law=`` is) — a list is joined with
    commas, as GET joins its repeated values, so both reach the search as one string; anything else is one line
    (it had been "Input should be a valid string" for a list). An empty list is no filter, as an empty string is."""

    def check(value):
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return ",".join(value) or None
        raise PydanticCustomError(
            "names_type", "Input should be a {what} name, names comma-separated, or a list of names such as {example}",
            {"what": what, "example": '["민법", "상법"]' if what == "law" else '["법률", "시행령"]'})

    return check


class SearchRequest(BaseModel):
    """``POST /api/search``'s body: the GET parameters as JSON. A field it lacks is refused (``top_k``, ``laws``: a
    400 with the did-you-mean, :func:`unknown_names_message`); a name starting with ``_`` is passed over."""

    model_config = ConfigDict(extra="forbid")  # (the schema says so too: additionalProperties false)

    q: str = Field(description=f"The question or keywords (longer than {MAX_QUERY_CHARS} characters: cut, with a notice)")
    k: int = Field(API_DEFAULT_K, description=f"Number of hits (1–{MAX_K}; null: {API_DEFAULT_K}).")
    # (a list too: GET takes law= repeated, and a JSON client writes several names as a list)
    law: str | list[str] | None = Field(None, description="Only these laws: '민법', '민법,상법' or ['민법', '상법'].")
    kind: str | list[str] | None = Field(None, description="Only these kinds: '법률', '법률,시행령' or ['법률', '시행령'].")
    mode: str | None = "hybrid"  # null: the default (as for k; many clients send null for what they leave out)
    explain: bool | None = False

    @model_validator(mode="before")
    @classmethod
    def _pass_over_underscored(cls, data):
        """A field whose name starts with ``_`` (a cache-buster, a ``_comment``) is passed over, as in a query string."""
        if isinstance(data, dict) and any(isinstance(name, str) and name.startswith("_") for name in data):
            return {name: value for name, value in data.items() if not (isinstance(name, str) and name.startswith("_"))}
        return data

    @field_validator("k", mode="before")
    @classmethod
    def _k_not_a_boolean(cls, value):
        return k_or_default(API_DEFAULT_K)(value)

    @field_validator("law", mode="before")
    @classmethod
    def _law_names(cls, value):
        return names_or_list("law")(value)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_names(cls, value):
        return names_or_list("kind")(value)


class ErrorModel(BaseModel):
    error: str
    status: int


ERRORS = {400: {"model": ErrorModel}, 401: {"model": ErrorModel}}

#: The largest request body read (``POST /api/search``): a query is cut at ``MAX_QUERY_CHARS`` characters, so a
#: mebibyte is hundreds of times any useful body. Without a limit a client could make the server hold gigabytes.
#: (Defined with the client, which cuts a query before sending it and names this limit when a body passes it.)
MAX_BODY_BYTES = _MAX_BODY_BYTES


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes is refused with 413 — before it is read when the request
    declares its length; else (chunked) reading stops once what arrived passes the limit, the app sees the body end
    there, and its answer is replaced by the 413. Either way the rest of the body is read and dropped (for up to
    :data:`~legalret.serve.protocol.DRAIN_S`) before the 413 goes out: a client that sends the whole body before it
    reads the answer (``Connection: close``, as Python's urllib does) was reset under the unread bytes and read
    "Connection reset by peer" instead of the 413."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def refuse(ended: bool = False):  # (only for a request refused: every request passes here)
            if not ended:
                await drain(receive)
            await JSONResponse(too_large(self.limit), status_code=413)(scope, receive, send)

        declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            return await refuse()
        seen, over, ended = 0, False, False

        async def counted():
            nonlocal seen, over, ended
            if over:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                ended = not message.get("more_body", False)
                if seen > self.limit:
                    over = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            else:
                ended = True  # (http.disconnect)
            return message

        async def answer(message):
            if not over:
                await send(message)
            elif message["type"] == "http.response.start":
                await refuse(ended)
            # (the app's own answer to the cut body is dropped)

        await self.app(scope, counted, answer)


async def drain(receive, seconds: float | None = None) -> None:
    """Read and drop what is left of a request's body, for up to ``seconds`` (default
    :data:`~legalret.serve.protocol.DRAIN_S`): a gigabyte from a fast client still gets its 413 once it is gone."""
    import asyncio

    from legalret.serve.protocol import DRAIN_S

    async def rest():
        while True:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return

    try:
        await asyncio.wait_for(rest(), DRAIN_S if seconds is None else seconds)
    except asyncio.TimeoutError:
        pass  # (answered anyway: the server closes on the rest)


def too_large(limit: int) -> dict[str, Any]:
    return {"error": f"request body over {limit:,} bytes: send the question itself (it is cut at "
                     f"{MAX_QUERY_CHARS:,} characters anyway)", "status": 413}


def json_response(body: dict[str, Any]) -> Response:
    """JSON without FastAPI's response validation (a search answer is ~10 articles of text: it adds ms)."""
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                    media_type="application/json")


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def validation_message(errors: list[dict[str, Any]], content_type: str | None = None) -> str:
    """The first problem of a request FastAPI could not validate, as one line naming the field: ``k: Input should
    be a valid integer …``; a body that is not JSON says where its JSON breaks (``invalid JSON body at character 5:
    Expecting value``), and one that is not a JSON object what the API expects instead."""
    first = errors[0] if errors else {}
    loc = tuple(first.get("loc", ()))
    if first.get("type") == "json_invalid":  # FastAPI's loc is ("body", character offset): not a field
        at = f" at character {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else ""
        why = (first.get("ctx") or {}).get("error") or first.get("msg") or "not JSON"
        return f"invalid JSON body{at}: {why}"
    if loc == ("body",) and first.get("type") in ("model_attributes_type", "dict_type", "model_type"):
        ctype = (content_type or "").split(";")[0].strip().lower()
        if ctype != "application/json" and not ctype.endswith("+json"):  # FastAPI reads JSON only when labelled so
            sent = f"sent as {ctype}" if ctype else "sent without a Content-Type"
            return (f"body: {sent}, not read as JSON; send a JSON object such as {{\"q\": \"유치권\"}} "
                    "with Content-Type: application/json")
        return 'body: expected a JSON object such as {"q": "유치권", "k": 10}'
    if loc == ("body",) and first.get("type") == "missing":  # POST with no body (the query string is not read)
        return 'body: missing; POST /api/search takes a JSON object such as {"q": "유치권", "k": 10} (or use GET ?q=…)'
    if loc == ("body", "q") and first.get("type") == "missing" and isinstance(first.get("input"), dict):
        return missing_q_message(first["input"])
    # a field the body's model lacks (top_k, laws): said before any other field's problem — a misspelt name may be
    # what the client meant by it (a name starting with "_" never gets here: SearchRequest drops it)
    unknown = [str(e["loc"][1]) for e in errors
               if e.get("type") == "extra_forbidden" and len(e.get("loc", ())) == 2 and e["loc"][0] == "body"]
    if unknown:
        return unknown_names_message(unknown, list(SearchRequest.model_fields), "POST /api/search's body", "field")
    where = ".".join(str(p) for p in loc[1:]) or "request"
    return f"{where}: {first.get('msg', 'invalid')}{sent_value(first)}"


def sent_value(error: dict[str, Any]) -> str:
    """`` (got "maybe")``: the value a field's error is about, as sent — ``?explain=maybe`` had been answered
    "explain: Input should be a valid boolean, unable to interpret input", which leaves the client to find what it
    sent. A text or a number only (cut at 40 characters): true/false is in its message already, a list or an object
    is the client's own JSON."""
    value = error.get("input")
    if error.get("type") == "missing" or isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    shown = json.dumps(value if not isinstance(value, str) or len(value) <= 40 else value[:39] + "…",
                       ensure_ascii=False)
    return f" (got {shown})"


def missing_q_message(body: dict[str, Any]) -> str:
    """The 400 for a ``POST /api/search`` body without ``q``, naming the fields it has that the API does not read —
    ``{"query": "유치권"}`` had been answered "q: Field required" alone, and a body's unknown fields are passed over
    without a word: "q: Field required: the question goes in q; got query, which the API does not read (…)". A text
    field is named first: it is the one that looks meant."""
    unread = sorted((name for name in body if name not in SearchRequest.model_fields),
                    key=lambda name: not (isinstance(body[name], str) and body[name].strip()))
    if not unread:
        return "q: Field required"
    shown = ", ".join(name[:40] for name in unread[:5]) + (f" and {len(unread) - 5} more" if len(unread) > 5 else "")
    return (f"q: Field required: the question goes in q; got {shown}, which the API does not read "
            f"(its fields: {', '.join(SearchRequest.model_fields)})")


#: Names clients use for the API's fields (the did-you-mean of :func:`unknown_names_message`, before a spelling match):
#: other search APIs' ``top_k`` / ``limit`` / ``size`` for ``k``, a plural for the filters, ``query`` for ``q``.
FIELD_ALIASES = {
    "k": ("top_k", "topk", "top", "limit", "size", "n", "num", "count", "max_results", "num_results", "n_results",
          "results", "hits", "per_page", "page_size", "rows"),
    "law": ("laws", "law_name", "law_names", "statute", "statutes", "act", "acts", "filter", "filters"),
    "kind": ("kinds", "type", "types", "law_kind", "law_type", "category"),
    "q": ("query", "question", "text", "keyword", "keywords", "search", "term", "terms", "prompt", "input"),
    "mode": ("modes", "method", "retriever", "search_mode", "strategy"),
    "explain": ("explanation", "verbose", "debug", "reasons", "why"),
}


def did_you_mean(name: str, accepted: list[str]) -> str | None:
    """The accepted field ``name`` was likely meant as: the same name in other letters' case (``K``), a name clients
    use for it (:data:`FIELD_ALIASES`: ``top_k`` → ``k``, ``laws`` → ``law``; between an alias and the field too, as
    MCP's ``query`` for ``q``), or one spelt alike (``lwa``)."""
    import difflib

    low = name.strip().lower().replace("-", "_")
    for field in accepted:
        if low == field.lower():
            return field
    for canonical, aliases in FIELD_ALIASES.items():
        group = {canonical, *aliases}
        if low in group:
            return next((field for field in accepted if field.lower() in group), None)
    close = difflib.get_close_matches(low, accepted, n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_names_message(names: list[str], accepted: list[str], where: str, what: str = "parameter") -> str:
    """The one-line 400 for fields (``what``) that ``where`` does not read: ``top_k: not a field of POST /api/search's
    body (did you mean k?); its fields: q, k, law, kind, mode, explain`` — each unknown name (at most 5 shown, cut at
    40 characters), a did-you-mean where one is close (:func:`did_you_mean`), and the names it takes (or that it
    takes none)."""
    names = list(dict.fromkeys(names))
    shown = [shown_name(name, what) for name in names[:5]]
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    guesses = [(shown_name(name, what), guess) for name in names[:5] if (guess := did_you_mean(name, accepted))]
    if len(names) == 1:
        head = f"{shown[0]}: not {'an' if what[:1] in 'aeiou' else 'a'} {what} of {where}"
        hint = f" (did you mean {guesses[0][1]}?)" if guesses else ""
    else:
        head = f"{', '.join(shown)}{more}: not {what}s of {where}"
        hint = (" (did you mean " + ", ".join(f"{guess} for {name}" for name, guess in guesses) + "?)") if guesses else ""
    takes = f"its {what}s: {', '.join(accepted)}" if accepted else f"it takes no {what}s"
    return f"{head}{hint}; {takes}"


def shown_name(name: str, what: str = "parameter") -> str:
    """A name a client sent, as a one-line message shows it: cut at 40 characters; an empty one said so (``?q=x&=1``
    had been answered ": not a parameter of …"), and one of spaces or control characters quoted, so it is seen."""
    if not name:
        return f"an empty {what} name"
    if not name.strip() or not name.isprintable():
        return repr(name[:40])
    return name[:40]


def unknown_params(request: Request, accepted: tuple[str, ...], where: str, *, body: bool = False) -> None:
    """Refuse (a 400, :func:`unknown_names_message`) the query parameters of ``request`` that ``where`` does not read —
    ``?q=…&laws=상법`` had been searched under every law without a word — except those whose name starts with ``_``:
    cache-busters (``_=1700000000000``), passed over. ``body``: the route reads a JSON body, not its query string (a
    ``?k=3`` on ``POST /api/search`` had been dropped in silence)."""
    names = [name for name in dict.fromkeys(request.query_params.keys()) if not name.startswith("_")]
    if body and names:
        fields = list(SearchRequest.model_fields)
        raise ApiError(400, f"{', '.join(shown_name(n) for n in names[:5])}: in the URL, which {where} does not read; send "
                            f"the JSON body's fields instead ({', '.join(fields)})")
    unknown = [name for name in names if name not in accepted]
    if unknown:
        raise ApiError(400, unknown_names_message(unknown, list(accepted), where))


#: ``GET /api/search``'s parameters that take one value (``law`` and ``kind`` may be repeated: their values are joined).
SINGLE_PARAMS = ("q", "k", "mode", "explain")


def repeated_params(request: Request) -> None:
    """Refuse (a 400, one line) a ``GET /api/search`` parameter of one value given more than once: FastAPI keeps the
    last — ``k=1&k=2`` had answered 2 hits, ``q=…&q=…`` searched the last question — without a word."""
    for name in SINGLE_PARAMS:
        values = request.query_params.getlist(name)
        if len(values) < 2:
            continue
        if name == "q":
            raise ApiError(400, "q: given more than once; search one question per request (POST /api/search for JSON)")
        shown = ", ".join(f"{name}={v[:40]}" for v in values[:5])
        raise ApiError(400, f"{name}: given more than once ({shown}{' …' if len(values) > 5 else ''}); give it once")


async def no_repeated_fields(request: Request) -> None:
    """Refuse a JSON body that gives a field twice (``{"q": "보험", "q": "유치권"}``, ``"k": 2, "k": 3``): JSON
    parsers keep the last without a word, where GET refuses a repeated ``q`` or ``k``. The body is read once —
    Starlette keeps it for the model — and parsed a second time here only to see its keys (a few hundred bytes); a body
    that is not JSON is left to the model's own error."""
    import json

    raw = await request.body()
    if b'"' not in raw:
        return
    repeated: list[str] = []

    def pairs(items):
        seen: set[str] = set()
        for name, _ in items:
            if name in seen and name not in repeated:
                repeated.append(name)
            seen.add(name)
        return dict(items)

    try:
        json.loads(raw, object_pairs_hook=pairs)
    except ValueError:
        return
    if repeated:
        raise ApiError(400, f"{', '.join(repeated[:5])}: given more than once in the JSON body; give each field once "
                            "(a JSON parser keeps the last without a word)")


def body_encoding_message(error: UnicodeDecodeError) -> str:
    """One line for a JSON body that is not UTF-8 (a cp949/EUC-KR file posted as is)."""
    return (f"body: not UTF-8 JSON (byte 0x{error.object[error.start]:02x} at position {error.start} is not UTF-8; "
            "cp949/EUC-KR text?); send the JSON encoded as UTF-8")


def query_encoding_message(query_string: bytes) -> str | None:
    """One line for a query string whose %-escapes are not UTF-8 (``?q=%ED%95%B4%EA``: a cut or cp949 escape), which
    Starlette decodes with replacement characters — the search had answered "해�" as if that were asked."""
    for part in query_string.split(b"&"):
        name, _, value = part.partition(b"=")
        raw = unquote_to_bytes(value.replace(b"+", b" "))
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as e:
            return (f"{unquote_to_bytes(name).decode('utf-8', 'replace')}: not UTF-8 (byte 0x{raw[e.start]:02x} at "
                    f"position {e.start} of its %-escapes; cut off, or cp949/EUC-KR?); escape the UTF-8 bytes")
    return None


def load_static() -> dict[str, tuple[bytes, str]]:
    """The page's files, read once from the package (works from a wheel or a source checkout)."""
    base = resources.files("legalret.serve") / "static"
    return {name: (base.joinpath(name).read_bytes(), ctype) for name, ctype in STATIC_FILES.items()}


def swagger_dir() -> Path | None:
    """The folder with Swagger UI's files (package ``swagger-ui-bundle``), or None when it is not installed."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    path = Path(swagger_ui_path)
    return path if all((path / name).is_file() for name in SWAGGER_FILES) else None


def create_app(index: str | os.PathLike | LiveSearcher, *, token: str | None = None, warm: bool = True) -> FastAPI:
    """The ASGI app over ``index`` (a directory, or a :class:`LiveSearcher` to share one)."""
    live = index if isinstance(index, LiveSearcher) else LiveSearcher(Path(index), warm=warm)
    static = load_static()
    app = FastAPI(
        title="legalret",
        description="Korean statute retrieval: the articles that govern a question, with the reasons.",
        version=_version(),
        docs_url=None,  # FastAPI's default /docs loads Swagger UI from a CDN: served from local files below
        redoc_url=None,
    )
    app.state.live = live
    swagger = swagger_dir()
    settings = result_settings()  # read once, as the searcher read them: reported with every answer

    def require_token(request: Request) -> None:
        if not token:
            return
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            raise ApiError(401, "missing or wrong bearer token (send 'Authorization: Bearer <token>')")

    app.add_middleware(BodyLimit)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"error": exc.message, "status": exc.status}, status_code=exc.status, headers=headers)

    @app.exception_handler(LegalretError)
    async def _legalret_error(request: Request, exc: LegalretError):
        return JSONResponse({"error": str(exc), "status": 400}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        message = validation_message(exc.errors(), request.headers.get("content-type"))
        if request.url.path == "/api/search" and request.method in ("GET", "HEAD"):
            # ?query=유치권 (no q): its unknown parameter is the line to read, not "q: Field required" alone
            # and k=1&k=x: that k was given twice, not that the last one is no number
            try:
                unknown_params(request, SEARCH_PARAMS, "GET /api/search")
                repeated_params(request)
            except ApiError as e:
                message = e.message
        return JSONResponse({"error": message, "status": 400}, status_code=400)

    @app.exception_handler(Exception)
    async def _internal_error(request: Request, exc: Exception):
        import logging

        logging.getLogger("legalret.serve").exception("error serving %s", request.url.path)
        return JSONResponse({"error": f"internal error ({type(exc).__name__}); see the server log", "status": 500}, status_code=500)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if isinstance(exc.__cause__, UnicodeDecodeError):  # FastAPI's "There was an error parsing the body"
            message = body_encoding_message(exc.__cause__)
        # keep the exception's headers: a 405 must say which methods are allowed (Allow) — HEAD with GET, and every
        # route of the path (Starlette names the first route's only: /api/search's said GET, not POST)
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            allowed = {m for route in app.router.routes if route.matches(request.scope)[0] != Match.NONE
                       for m in getattr(route, "methods", None) or ()}
            if allowed:
                headers["Allow"] = ", ".join(sorted(allowed))
        if "GET" in headers.get("Allow", "").split(", ") and "HEAD" not in headers["Allow"]:
            headers["Allow"] += ", HEAD"
        return JSONResponse({"error": message, "status": exc.status_code}, status_code=exc.status_code,
                            headers=headers or None)

    @app.middleware("http")
    async def _head_as_get(request: Request, call_next):
        """HEAD is GET without a body (RFC 9110), for every GET route: health checks use it. The server
        (uvicorn) drops the body of a response to a HEAD request; the route sees a GET."""
        if request.scope["method"] != "HEAD":
            return await call_next(request)
        request.scope["method"] = "GET"
        try:
            return await call_next(request)
        finally:
            request.scope["method"] = "HEAD"

    def run_search(q: str, k: int, law: str | None, kind: str | None, mode: str, explain: bool) -> Response:
        mode = search_mode(mode)
        problem = request_error(q, k, mode, law=law, kind=kind)
        if problem:
            raise ApiError(400, problem)
        t0 = time.perf_counter()
        gen = live.get()
        try:
            body = _search(gen, q, k, law or None, kind or None, mode, explain, t0)
        except LegalretError:
            raise
        except Exception:
            # The generation may have been replaced under us (files of a removed generation): retry once
            # on the live one rather than fail the request.
            fresh = live.reload_now()
            if fresh is gen:
                raise
            body = _search(fresh, q, k, law or None, kind or None, mode, explain, t0)
        body["settings"] = settings  # what the CLI compares with its own (LEGALRET_RANKER …)
        problem = live.last_error
        if problem:  # a terminal's resident server answered from the old generation in silence where a pipe failed
            body["notices"].append(stale_generation_note(body.get("generation", "?"), problem))
        return json_response(body)

    @app.get("/api/search", dependencies=[Depends(require_token)], summary="Search the index",
             response_class=Response, responses={200: {"model": SearchModel}, **ERRORS})
    def api_search(
        request: Request,
        q: str = Query(..., description=f"The question or keywords; longer than {MAX_QUERY_CHARS} characters: cut, with "
                                        "a notice. An exact citation such as '민법 제750조' comes first."),
        k: int = Query(API_DEFAULT_K, description=f"Number of hits (1–{MAX_K})."),
        law: list[str] | None = Query(None, description="Only these laws: comma-separated (민법,상법) or repeated."),
        kind: list[str] | None = Query(None, description="Only these kinds: comma-separated (법률,시행령) or repeated."),
        mode: str = Query("hybrid", description=modes_help()),
        explain: bool = Query(False, description="Each retriever's rank and score, and the precedents behind a hit."),
    ) -> Response:
        problem = query_encoding_message(request.scope.get("query_string") or b"")
        if problem:
            raise ApiError(400, problem)
        unknown_params(request, SEARCH_PARAMS, "GET /api/search")  # (?laws=상법 had searched every law)
        repeated_params(request)
        # repeated (law=근로기준법&law=형법), the last one alone had been kept, without a word
        return run_search(q, k, ",".join(law) if law else None, ",".join(kind) if kind else None, mode, explain)

    @app.post("/api/search", dependencies=[Depends(require_token), Depends(no_repeated_fields)],
              summary="Search the index (parameters as JSON)",
              response_class=Response, responses={200: {"model": SearchModel}, **ERRORS})
    def api_search_post(request: Request, body: SearchRequest) -> Response:
        unknown_params(request, (), "POST /api/search", body=True)
        # (law/kind: a list was joined with commas by the model's check, as GET joins law= repeated)
        return run_search(body.q, body.k, body.law, body.kind, body.mode or "hybrid", bool(body.explain))

    @app.get("/api/articles/{key:path}", dependencies=[Depends(require_token)], summary="One article by key",
             responses={404: {"model": ErrorModel}, 401: {"model": ErrorModel}})
    def api_article(request: Request, key: str) -> dict[str, Any]:
        unknown_params(request, (), "GET /api/articles/{key}")  # (the key is the path: ?law=… had been passed over)
        gen = live.get()
        if "\ufffd" in key:  # %FF in the path: bytes that are not UTF-8 (a query string's get the same 400)
            raise ApiError(400, "the article key is not UTF-8 text: percent-encode its UTF-8 bytes")
        # the MCP get_article's resolver: "민법 750", "민법750", "민법 제750조"; empty, too long or several articles: a
        # 400; an article this index lacks — a law it does not hold included (that had been a 400) — a 404 saying why
        article, why = find_article(gen.searcher, key)
        if article is None:
            raise ApiError(404, why)
        # MCP get_article's answer: how the key was read (근기법 → 근로기준법), a 제N항 (or 제N호) it names that the
        # article lacks, a text not in force yet — each in notices, as check_citation and the search say it
        return article_answer(gen.searcher, key, article, gen.name)

    @app.get("/api/meta", dependencies=[Depends(require_token)], summary="Laws and kinds in the index")
    def api_meta(request: Request) -> dict[str, Any]:
        unknown_params(request, (), "GET /api/meta")
        gen = live.get()
        s = gen.searcher
        return {"generation": gen.name, "laws": list(s.laws), "kinds": list(s.kinds),
                "modes": list(MODES), "dense": s.has_dense,
                "max_query_chars": MAX_QUERY_CHARS, "max_k": MAX_K}

    @app.get("/api/filters", dependencies=[Depends(require_token)], summary="Law and kind filters as a search reads them",
             responses=ERRORS)
    def api_filters(
        request: Request,
        law: list[str] | None = Query(None, description="Law names: comma-separated or repeated (民法, 근기법 …)."),
        kind: list[str] | None = Query(None, description="Kinds: comma-separated or repeated."),
    ) -> dict[str, Any]:
        """The index's names for a ``law`` / ``kind`` filter, read by the search's own resolver (Hanja, short names,
        spacing), or its one-line 400 with the did-you-mean: the page asks this for a link's ``law=`` that is not one
        of its list's names, so that its select shows only the index's laws — a name the index lacks had been added to
        it as if the index held it — and a name the index lacks is said before anything is searched."""
        problem = query_encoding_message(request.scope.get("query_string") or b"")
        if problem:
            raise ApiError(400, problem)
        unknown_params(request, ("law", "kind"), "GET /api/filters")
        gen = live.get()
        s = gen.searcher
        # under the generation's lock: the did-you-mean fills its table of names on first use, which a search reads
        with gen.lock:
            laws = s.resolve_laws(",".join(law) if law else None)
            kinds = s.resolve_kinds(",".join(kind) if kind else None)
        return {"generation": gen.name, "law": laws, "kind": kinds}

    @app.get("/healthz", summary="Liveness and the generation served")
    async def healthz() -> dict[str, Any]:
        # async: answered on the event loop, not in the worker threads the searches fill — under 60 concurrent long
        # searches a probe had waited 17 s for a thread (a load balancer would have taken the busy replica out)
        gen = live.get(wait=False)  # a liveness probe answers at once, also while a new generation loads
        s = gen.searcher
        return {
            "status": "ok",
            "generation": gen.name,
            "articles": len(s),
            "laws": len(s.laws),
            "dense": s.has_dense,
            "memory": s.memory is not None,
            "reloads": live.reloads,
            "reloading": live.reloading,
            "reload_error": live.last_error,
            "settings": settings,
            "version": _version(),
        }

    @app.get("/", include_in_schema=False)
    def page() -> Response:
        body, ctype = static["index.html"]
        return Response(body, media_type=ctype, headers=_STATIC_HEADERS)

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        from fastapi.openapi.docs import get_swagger_ui_html

        if swagger is None:
            raise ApiError(404, "Swagger UI is not installed here (pip install swagger-ui-bundle); the schema is at /openapi.json")
        return get_swagger_ui_html(
            openapi_url=DOCS_SCHEMA_URL, title=f"{app.title} — API",
            swagger_js_url=SWAGGER_PREFIX + "swagger-ui-bundle.js", swagger_css_url=SWAGGER_PREFIX + "swagger-ui.css",
            swagger_favicon_url=SWAGGER_PREFIX + "favicon-32x32.png",
        )

    @app.get(DOCS_SCHEMA_URL, include_in_schema=False)
    def docs_schema() -> dict[str, Any]:
        return openapi_30(app.openapi())

    @app.get(SWAGGER_PREFIX + "{name}", include_in_schema=False)
    def swagger_file(name: str) -> Response:
        if swagger is None or name not in SWAGGER_FILES:  # a fixed table, as for the page's files
            raise ApiError(404, f"no such file: {name[:60]!r}")
        from fastapi.responses import FileResponse

        return FileResponse(swagger / name, media_type=SWAGGER_FILES[name],
                            headers={"Cache-Control": "max-age=86400", "X-Content-Type-Options": "nosniff"})

    @app.get("/static/{name}", include_in_schema=False)
    def static_file(name: str) -> Response:
        if name not in static:  # a fixed table: '../x', '%2e%2e/x' and the like are simply not in it
            raise ApiError(404, f"no such file: {name[:60]!r}")
        body, ctype = static[name]
        return Response(body, media_type=ctype, headers=_STATIC_HEADERS)

    return app


_STATIC_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
                   "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'"}


def stale_generation_note(served: str, problem: str) -> str:
    """The notice of an answer from the generation a server kept because the index's newer one would not open."""
    return (f"answered from generation {served}: the index's newer generation could not be opened ({problem}); "
            "a search without the server fails with that error — fix or rebuild the index, or `legalret index "
            "rollback` to the generation answering now")


def _search(gen, q, k, law, kind, mode, explain, t0) -> dict[str, Any]:
    s = gen.searcher
    mode = s.resolve_mode(mode)
    # One search at a time per generation: Kiwi's analyser and the first load of the query encoder are not
    # known to be thread-safe (and two cores gain little from more).
    with gen.lock:
        results = s.search(q, k=k, mode=mode, laws=law, kinds=kind, explain=explain)
    body = search_response(results, mode, notices=s.notices, generation=gen.name)
    # Korean retriever names, the re-ranker's reasons as bars (legalret.serve.wording); each hit's relevance is the
    # searcher's own (legalret.search.relevance), as every interface gives it
    body["hits"] = lawyer_view(body["hits"])
    if not explain:
        # signals and contributions are explain's (the schema and README say so); lawyer_view adds them to any hit with
        # reasons, and a cited article always has its one line ("exact citation …", which the page's badge reads)
        for hit in body["hits"]:
            hit.pop("signals", None)
            hit.pop("contributions", None)
    # from the text searched (cut at MAX_QUERY_CHARS): a case number past the cut had been listed as searched
    searched, _ = s.prepare.readable(q)
    body["decisions"] = [d for d in decisions_json(searched, s) if d["known"]]  # (an unknown one has its notice)
    body["took_ms"] = round((time.perf_counter() - t0) * 1000, 2)
    return body


def openapi_30(spec: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's OpenAPI 3.1 schema written as 3.0 for Swagger UI 4: ``anyOf [X, null]`` → X + ``nullable``,
    ``type: [X, "null"]`` → ``nullable``, a JSON-Schema ``examples`` list → ``example``, ``const`` → ``enum``,
    numeric ``exclusiveMinimum``/``exclusiveMaximum`` → the 3.0 boolean form. What the API serves is unchanged."""

    def walk(node):
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v) for k, v in node.items()}
        for key in ("anyOf", "oneOf"):
            options = out.get(key)
            if isinstance(options, list) and any(o == {"type": "null"} for o in options):
                rest = [o for o in options if o != {"type": "null"}]
                del out[key]
                if len(rest) == 1 and isinstance(rest[0], dict):
                    out = {**rest[0], **out}
                elif rest:
                    out[key] = rest
                out["nullable"] = True
        if isinstance(out.get("type"), list):
            types = [t for t in out["type"] if t != "null"]
            if len(types) < len(out["type"]):
                out["nullable"] = True
            out["type"] = types[0] if len(types) == 1 else out["type"]
        if isinstance(out.get("examples"), list):
            examples = out.pop("examples")
            if examples:
                out.setdefault("example", examples[0])
        if "const" in out:
            out["enum"] = [out.pop("const")]
        for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if isinstance(out.get(bound), (int, float)) and not isinstance(out.get(bound), bool):
                out[plain] = out[bound]
                out[bound] = True
        return out

    converted = walk(spec)
    converted["openapi"] = "3.0.3"
    return converted


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("legalret")
    except Exception:
        return "dev"
