"""``legalret mcp``: the index as a Model Context Protocol server, for LLM agents (Claude Desktop, Cursor, …).

Built on the official Python SDK (``mcp``, :class:`mcp.server.mcpserver.MCPServer`). Four tools, each with a
typed, documented input schema and a structured (JSON) result:

=====================  ===============================================================================
``search_statutes``    articles for a question: key, title, text, a score, and the precedents that voted
                       (사건번호, 선고일자, the matched 판시사항 or facts)
``get_article``        one article by key as people write it: "민법 750", "상법 제651조의2"
``check_citation``     each statute citation in a passage: exists here? deleted (삭제)? its title
                       — the check against an LLM's invented articles
``list_laws``          the laws (and article counts) the index holds
=====================  ===============================================================================

A bad input (empty query, ``k`` out of range, an unknown article) comes back as an MCP tool error
(``isError: true``) whose text is one line, ``field: what is wrong`` (:class:`LegalretMCPServer`); no traceback ever
reaches the client. A request the protocol refuses (a
line that is not JSON-RPC, params that are not an object, a call before ``initialize``) gets a JSON-RPC error whose
message says what was wrong, with the request's id whenever the line has one (:func:`read_line`,
:class:`ParamsInOneLine`).

Usage::

    from legalret.serve.mcp_server import create_mcp_server
    server = create_mcp_server("idx/")
    server.run()                                   # stdio (what an MCP client starts)
    server.run("streamable-http", host="127.0.0.1", port=8001)    # http://127.0.0.1:8001/mcp

The server follows the index like ``legalret serve`` does: after ``legalret index add`` the next call sees
the new generation (:class:`legalret.serve.live.LiveSearcher`). With ``missing_ok`` (``legalret mcp`` always) it also
starts over an index that is missing, damaged or still being built — an MCP client shows a server that exits at start
as "disconnected", and nothing more: it answers ``initialize`` and lists its tools, every tool call is a one-line
tool error saying what is wrong and how to fix it (``no index at …: build one with …``), and the first call after
the index is there is answered from it, with no restart (:func:`index_problem`). A ``problem`` known before the index
is looked at (``legalret mcp`` with ``LEGALRET_HOME`` a file) is answered the same way, for as long as the server runs
(:class:`Unservable`).
"""

import contextlib
import inspect
import io
import json
import logging
import math
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Iterator, Literal

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage
from mcp.types import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    PARSE_ERROR,
    CallToolResult,
    ErrorData,
    JSONRPCError,
    JSONRPCNotification,
    TextContent,
    ToolAnnotations,
    jsonrpc_message_adapter,
)
from pydantic import BaseModel, BeforeValidator, Field, ValidationError
from pydantic_core import PydanticCustomError

from legalret.errors import LegalretError
from legalret.config import MAX_K, MAX_QUERY_CHARS
from legalret.index.folder import not_an_index_message
from legalret.index.store import ADVICE, CURRENT, LOCK, generations, live_generation
from legalret.search.searcher import MODES
from legalret.serve.app import _version, k_or_default, names_or_list, unknown_names_message
from legalret.serve.live import LiveSearcher, NoGeneration
from legalret.serve.statutes import StatuteService
from legalret.serve.wording import AGENT_PRECEDENT_CHARS, agent_precedent

SERVER_NAME = "legalret"
#: The ``initialize`` instructions; ``{laws}`` is what the served index holds (:func:`instructions`).
USAGE = (
    "Use search_statutes to find the articles that "
    "govern a question (Korean works best; a citation such as '민법 제750조' is answered exactly), get_article "
    "to read one article, check_citation to verify that the articles a text cites exist and are in force, and "
    "list_laws to see which laws this index holds."
)
INSTRUCTIONS = "Korean statute retrieval over a local index of {laws}. " + USAGE
#: The instructions when the server started with no index to serve (``{problem}``: :func:`index_problem`'s line).
NO_INDEX_INSTRUCTIONS = (
    "Korean statute retrieval over a local index of Korean laws, which is not ready: {problem}. Until it is, every "
    "tool answers with that error; once the index is there the tools answer from it, with no restart. " + USAGE
)
#: The instructions when no index can be served by this process (:class:`Unservable`: ``{problem}``, its line).
UNSERVABLE_INSTRUCTIONS = (
    "Korean statute retrieval over a local index of Korean laws, which this server cannot serve: {problem}. Every tool "
    "answers with that error until the server is started again with that put right. " + USAGE
)
#: How many law names the instructions spell out (the largest first); list_laws gives the rest.
INSTRUCTION_LAWS = 5


def index_laws(largest: list[str], total: int) -> str:
    """The laws of the served index in a few words — ``largest``, the first few of them by article count (what
    :meth:`~legalret.serve.statutes.StatuteService.laws` lists first), of ``total``: "3 laws (민법, 상법, 민법 시행령)",
    "3,195 laws (민법, 상법, 형법, 민사소송법, 근로기준법, and 3,190 more)". The instructions had said "(민법, 상법, …)"
    whatever the index held (근로기준법 alone, say)."""
    if not total:
        return "no laws"
    more = f", and {total - len(largest):,} more" if total > len(largest) else ""
    return f"{total:,} law{'s' if total != 1 else ''} ({', '.join(largest)}{more})"


def instructions(service: StatuteService) -> str:
    """The ``initialize`` instructions for the index ``service`` serves: its largest laws named (the order list_laws
    gives them in, :func:`index_laws`) — or, with no generation to serve yet, what is wrong
    (:data:`NO_INDEX_INSTRUCTIONS`)."""
    if isinstance(service.live, Unservable):
        return UNSERVABLE_INSTRUCTIONS.format(problem=index_problem(service.live, then=False))
    if service.live.current is None:
        return NO_INDEX_INSTRUCTIONS.format(problem=index_problem(service.live, then=False))
    try:
        got = service.laws(limit=INSTRUCTION_LAWS)
    except NoGeneration:  # (cannot be: a served generation is never taken back; said all the same)
        return NO_INDEX_INSTRUCTIONS.format(problem=index_problem(service.live, then=False))
    return INSTRUCTIONS.format(laws=index_laws([entry["law"] for entry in got["laws"]], got["matching"]))


def index_problem(live: LiveSearcher, problem: str | None = None, *, then: bool = True) -> str | None:
    """Why ``live`` has no generation to serve, as the one line a tool call answers with (None when it has one):
    the index's own error (``no index at X: build one with `legalret index build SOURCES --index X```, a corrupted
    pointer …) and that the server needs no restart — or, while a build holds the index's lock, that it is being
    written (:func:`index_writer`). A damaged index's advice offers ``legalret index rollback`` only where an earlier
    generation is kept (:func:`rollback_or_rebuild`); a problem no call can mend (:class:`Unservable`, a bad
    ``LEGALRET_HOME``) says to start the server again. ``problem``: the line :class:`NoGeneration` gave, if there was
    one; ``then``: with what to do after (the instructions say it their own way)."""
    if live.current is not None and problem is None:
        return None
    if isinstance(live, Unservable):  # (what is wrong lies outside the index, read once at start: no call mends it)
        problem = live.fixed.rstrip(". ")
        return f"{problem}; then start this server again ({live.mend})" if then else problem
    problem = (problem or live.problem or f"no index at {live.index_dir}").rstrip(". ")
    problem = rollback_or_rebuild(live.index_dir, problem)
    if problem.startswith(HOME_PROBLEM):  # (`--index` given, the home a file: the model's folder cannot be made)
        return f"{problem}; then start this server again ({UNSERVABLE_MEND})" if then else problem
    writer = index_writer(live.index_dir)
    if writer is not None:
        problem = f"{problem}; a build (pid {writer}) is writing it now"
        return f"{problem}: call again when it finishes (no restart needed)" if then else problem
    where = Path(live.index_dir)
    if where.is_file() or not_an_index_message(where) is not None:
        # (a file, or a folder of other files — a home whose index/ is the index —: no build will ever make this path
        # one, a build refuses such a folder — "call again" had promised what never comes; the server serves the path
        # it was started with)
        return (f"{problem}; this server serves {where} for as long as it runs: start it again with --index naming "
                "the index folder") if then else problem
    return f"{problem}; then call again (this server picks it up without a restart)" if then else problem


#: How :func:`legalret.config.legalret_home`'s error begins: a setting read at start, which no call can mend.
HOME_PROBLEM = "LEGALRET_HOME "
#: What mends a problem outside the index (:class:`Unservable`), said after "then start this server again".
UNSERVABLE_MEND = "LEGALRET_HOME and the other settings are read when it starts"


def rollback_or_rebuild(index_dir: str | os.PathLike, line: str) -> str:
    """``line`` (an index's error) with its advice "rebuild … or restore (legalret index rollback)"
    (:data:`legalret.index.store.ADVICE`) kept only where a rollback can restore something — an earlier generation
    is kept (:func:`earlier_generation_kept`) —, else "rebuild it": a damaged index of one generation had been told
    to roll back, which only answers "no earlier generation to roll back to"."""
    if ADVICE not in line or earlier_generation_kept(index_dir):
        return line
    return line.replace(ADVICE, f"rebuild it (`legalret index build SOURCES --index {index_dir}`; no earlier "
                                "generation is kept to roll back to)")


def earlier_generation_kept(index_dir: str | os.PathLike) -> bool:
    """Whether ``legalret index rollback`` has a generation to go to: one older than the live one — or, where the
    pointer (``CURRENT``) is unreadable or names no generation, any kept one (a rollback rebuilds the pointer from
    them)."""
    try:
        live, broken = live_generation(index_dir)
    except (LegalretError, OSError):
        return False
    kept = generations(index_dir)
    return bool(kept) if broken else any(g.name < live.name for g in kept)


def serving_note(live: LiveSearcher) -> str:
    """What ``legalret mcp``'s start line says it serves: the generation's name; with none, "no index yet" where
    nothing is there to open — no folder, an empty one, no generation (a first build may be writing it) —, else
    that the index could not be opened and why (the problem's first clause, before its advice: "…/rows.json:
    corrupted index file (47001 bytes, manifest says 94003)"). A damaged index had been announced as "no index yet"."""
    if live.current is not None:
        return live.current.name
    then = "every tool call answers with the warning"
    where = Path(live.index_dir)
    nothing_there = (not isinstance(live, Unservable) and not where.is_file() and not (where / CURRENT).exists()
                     and not generations(where) and not_an_index_message(where) is None)
    if nothing_there:
        return f"no index yet: {then}"
    why = (live.fixed if isinstance(live, Unservable) else live.problem) or f"no index at {where}"
    return f"the index could not be opened: {why.split('; ')[0].rstrip('. ')}; {then}"


class Unservable(LiveSearcher):
    """A :class:`LiveSearcher` that serves nothing for as long as the process runs: what is wrong (``problem``, one
    line) lies outside the index — a ``LEGALRET_HOME`` that is a file, read once at start —, so no call can mend it;
    ``mend``: what does (said after "then start this server again"). Every :meth:`get` raises :class:`NoGeneration`
    with ``problem``."""

    def __init__(self, index_dir: str | os.PathLike, problem: str, mend: str = UNSERVABLE_MEND):
        self.fixed = (str(problem).strip().splitlines() or ["no index can be served"])[0]
        self.mend = mend

        def refuse(_: Any) -> Any:
            raise NoGeneration(self.fixed)

        super().__init__(index_dir, factory=refuse, warm=False, missing_ok=True)

    def get(self, wait: bool = True) -> Any:
        raise NoGeneration(self.fixed)


def index_writer(index_dir: str | os.PathLike) -> int | None:
    """The pid of the ``legalret index build`` (or add) that holds ``index_dir``'s lock now, where that can be told
    (Linux: the lock in ``/proc/locks``, on the lock file's inode, held by the pid the lock file names); None when
    no writer holds it, or it cannot be told. Only read: taking the lock to test it could make a build that
    starts just then fail as "locked by another build"."""
    lock = os.path.join(index_dir, LOCK)
    try:
        inode = os.stat(lock).st_ino
        with open(lock, encoding="ascii", errors="replace") as f:
            pid = int(f.read(64).strip() or 0)
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            held = f.read()
    except (OSError, ValueError):
        return None
    for line in held.splitlines():  # "1: FLOCK  ADVISORY  WRITE 30776 fe:00:5603361 0 EOF" ("1: -> FLOCK …" waits)
        fields = line.split()
        if (pid > 0 and len(fields) >= 6 and fields[1] == "FLOCK" and fields[4] == str(pid)
                and fields[5].rsplit(":", 1)[-1] == str(inode)):
            return pid
    return None


#: The API's modes as an enum in the tool's schema (``Literal`` of a tuple lists its items).
SearchMode = Literal[MODES]
#: search_statutes' number of articles when the agent gives none (or null).
DEFAULT_K = 5
#: search_statutes' earlier decisions per article when the agent gives none (or null), and the most it may ask for:
#: every voter (up to 5) had been listed, ~1,500 characters of facts each.
DEFAULT_PRECEDENTS = 3
MAX_PRECEDENTS = 10
#: list_laws' most laws in one answer: every law of an index of all acts and decrees (3,195) was ~220k characters,
#: more than an agent's context holds.
MAX_LAWS = 200


# ---- typed results (the tools' output schemas) ------------------------------------------------------
class Precedent(BaseModel):
    case_no: str = Field(description="사건번호 of the earlier decision, e.g. '2018다2002'")
    decided: str = Field(description="선고일자, ISO date")
    matched: Literal["holding", "facts"] = Field(
        description="what resembled the query: a 판시사항 item ('holding') or the facts the court found ('facts')")
    text: str = Field(description="the matched 판시사항 item, or the facts from where they start (what the web page "
                                  "shows: the decision's opening such as '상고이유를 판단한다.' left out), at most "
                                  f"{AGENT_PRECEDENT_CHARS} characters")
    similarity: float | None = Field(None, description="similarity to the query (1 = the best match)")
    url: str | None = Field(None, description="the whole decision on law.go.kr (국가법령정보센터)")
    cut: bool = Field(False, description="text was cut (ending ' …'); url has the whole decision")


def precedents_or_default(value: Any) -> Any:
    """search_statutes' ``precedents`` as a JSON client sent it, checked before pydantic's: null is the default, and
    true/false a mistake, not a number (as ``k``'s check, :func:`legalret.serve.app.k_or_default`)."""
    if value is None:
        return DEFAULT_PRECEDENTS
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a number of decisions per article (0–{most}), not true "
                                  "or false", {"most": MAX_PRECEDENTS})
    return value


def precedent(p: dict[str, Any]) -> Precedent:
    """A hit's precedent (``search_response``'s dict) as the tool returns it: the agents' form
    (:func:`legalret.serve.wording.agent_precedent`, LangChain's too) — the page's excerpt, so the facts start at the
    facts, not at "상고이유를 판단한다.", cut to :data:`~legalret.serve.wording.AGENT_PRECEDENT_CHARS`."""
    return Precedent(**agent_precedent(p))


class StatuteHit(BaseModel):
    key: str = Field(description="article key, e.g. '민법 제750조'")
    title: str
    law: str
    kind: str = Field("", description="법령구분: 법률, 시행령, …")
    text: str = Field(description="the article's text")
    score: float = Field(description="the ranker's score (higher is better; comparable within one answer only)")
    relevance: int | None = Field(None, description=(
        "0–100, as the web page and the HTTP API show it. In hybrid mode (re-ranked): 100 × the re-ranker's probability "
        "that this article is the answer among the candidates it scored (hits read 95–100 were right about 90% of the "
        "time, ~50 about half; when several articles answer together it is split between them, so an applicable one "
        "may read low). In the other modes: the score as a share of the answer's best (the top hit 100; not comparable "
        "across modes). 100 for an exact citation. null for the nearest guesses: a question in English, one none of "
        "whose words the index has, or one only citing a law this index lacks"))
    probability: float | None = Field(None, description=(
        "0–1, hybrid mode only: the re-ranker's probability that this article is the answer among the candidates it "
        "scored (relevance is 100 × it, rounded). null for an exact citation, in the other modes, and for the nearest "
        "guesses (as relevance)"))
    rank: int = Field(description="1-based position in this answer")
    citation: str = Field(description="a citation to paste into a brief: 「민법」 제750조(불법행위의 내용)")
    url: str = Field(description="the article in force on law.go.kr (국가법령정보센터)")
    deleted: bool = False
    takes_effect: str | None = Field(None, description=(
        "ISO date, only when the text shown is a law version not in force yet: it takes effect that day, and the "
        "text in force until then may differ (see url)"))
    precedents: list[Precedent] = Field(default_factory=list, description="the earlier decisions that voted for it")


class SearchResult(BaseModel):
    query: str
    mode: str
    generation: str = Field(description="index generation that answered")
    hits: list[StatuteHit]
    notices: list[str] = Field(description="what to know about the query (cut, a law not in the index, …)")


class ArticleResult(BaseModel):
    key: str
    law: str
    title: str
    kind: str = ""
    text: str
    citation: str
    url: str = Field(description="the article in force on law.go.kr (국가법령정보센터)")
    deleted: bool = False
    chapter: list[str] = Field(default_factory=list, description="편/장/절 headings above the article")
    effective_date: str | None = None
    takes_effect: str | None = Field(None, description=(
        "ISO date, only when this text is a law version not in force yet (the text in force until then may differ)"))
    generation: str
    paragraph: int | None = Field(None, description="제N항 when the key names one (as check_citation gives it)")
    paragraph_exists: bool | None = Field(None, description=(
        "with paragraph: the article has that paragraph in force; false when it lacks it or is deleted (the article "
        "is returned either way, and notices says what is missing)"))
    item: int | None = Field(None, description="제N호 when the key names one")
    item_branch: int = Field(0, description="with item: its branch — 2 for 제1호의2, 0 for a plain 제N호")
    item_exists: bool | None = Field(None, description="with item: the article (or its cited paragraph) has that 호")
    notices: list[str] = Field(default_factory=list, description=(
        "how the key was read ('short law names read in full: 근기법 → 근로기준법'), what it names that the article "
        "lacks ('cited article 민법 제750조 has no 제2항'), and a text not in force yet ('not yet in force: …')"))


class CitationCheck(BaseModel):
    cited: str = Field(description="the citation as written in the text")
    key: str = Field(description="the article key it resolves to")
    # (a short name as written stays in cited — 근기법 제23조 제1항 —: law says what it was read as)
    law: str = Field(description="the law it resolves to: a short name written out (근기법 → 근로기준법)")
    exists: bool = Field(description="the article is in this index")
    deleted: bool = Field(description="the article is deleted (삭제): cite something else")
    title: str | None = None
    citation: str | None = None
    url: str | None = Field(None, description="the article in force on law.go.kr")
    takes_effect: str | None = Field(None, description=(
        "ISO date, only when the article's text here is a law version not in force yet: cite the text in force"))
    paragraph: int | None = Field(None, description="제N항 when the text cites one")
    paragraph_exists: bool | None = Field(None, description=(
        "with paragraph: the article has that paragraph in force; false when the article is not here or is deleted "
        "(a deleted article's text is only '삭제 <…>': it has no paragraphs)"))
    item: int | None = Field(None, description="제N호 when the text cites one")
    item_branch: int = Field(0, description="with item: its branch — 2 for 제1호의2, 0 for a plain 제N호")
    item_exists: bool | None = Field(None, description=(
        "with item: the article (in its cited paragraph, when one is cited) has that 호; false when it lacks it, or "
        "the paragraph, or the article is not here or is deleted"))


class DecisionCheck(BaseModel):
    cited: str = Field(description="the case number as written")
    case_no: str = Field(description="사건번호 (the decision's own field when known, e.g. '2000므1257(본소), 1264(반소)')")
    known: bool = Field(description=(
        "the decision is among this index's precedents (decisions up to its memory's last date that cite its laws); "
        "false does not prove that no such decision exists"))
    decided: str | None = Field(None, description="선고일자, ISO date")
    url: str | None = Field(None, description="the whole decision on law.go.kr (국가법령정보센터)")
    holdings: list[str] = Field(default_factory=list, description="its 판시사항 items: what it decided")
    articles: list[str] = Field(default_factory=list, description="the articles of this index it cites (참조조문)")


class CitationReport(BaseModel):
    generation: str
    citations: list[CitationCheck]
    unresolved: list[str] = Field(description="references that name no law of this index (e.g. 형법 on a 민법 index)")
    decisions: list[DecisionCheck] = Field(default_factory=list, description="each decision cited by 사건번호")
    notices: list[str] = Field(default_factory=list, description="how the passage was read (Hanja in Hangul, a repaired "
                                                                 "encoding, short law names written out), and the "
                                                                 "cited texts not in force yet")


class LawInfo(BaseModel):
    law: str
    articles: int


class LawList(BaseModel):
    generation: str
    laws: list[LawInfo]
    kinds: list[str]
    matching: int = Field(description="how many laws of this index match the request (more than listed: narrow the "
                                      "name, or raise limit)")
    notices: list[str] = Field(default_factory=list, description="a law the name matches by its old name: renamed "
                                                                 "(index add --rename), and the name it has now")


class LegalretMCPServer(MCPServer):
    """:class:`MCPServer` whose tool errors are one line in one form, ``field: what is wrong`` — the line the HTTP API
    and the CLI give. The SDK passes pydantic's multi-line report (with a documentation URL) for a bad argument; an
    agent reads ``k: Input should be less than or equal to 100 (got 1000)`` instead. And the SDK prefixes a tool's
    own error with ``Error executing tool search_statutes: `` (its way of naming the tool that failed in a call that
    ran others, which these tools never do): an empty query, an unknown law, a missing article had read so, a bad ``k``
    or ``mode`` not — the prefix is dropped, the answer to a call names its tool already. A request's malformed
    params, and a request before ``initialize``, say what was wrong too (:class:`ParamsInOneLine`; the SDK answered
    both "Invalid request parameters" and nothing more). An argument a tool lacks (``top_k``, ``laws``, ``q``) is a tool
    error naming it, the tool's arguments and a did-you-mean, as the HTTP API says it
    (:func:`legalret.serve.app.unknown_names_message`): the SDK had dropped it without a word — except a name starting
    with ``_`` (a client's own marker, ``_meta_hint``, ``_trace``), passed over as the HTTP API passes over ``_=…``
    (:func:`legalret.serve.app.unknown_params`). Each tool's input schema says so too: ``additionalProperties: false``
    (:meth:`add_tool`), as the HTTP API's POST body's schema does."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._lowlevel_server.middleware.append(ParamsInOneLine())
        self._instructions_for: str | None = None  # the generation the instructions describe (None: no index)

    def add_tool(self, fn: Any, name: str | None = None, *args: Any, **kwargs: Any) -> None:
        """The SDK's :meth:`~mcp.server.mcpserver.MCPServer.add_tool` (what ``@server.tool()`` calls), with the tool's
        input schema closed — ``additionalProperties: false`` on the SDK's own schema (its ``Tool.parameters``, what
        ``tools/list`` sends): a client that checks its arguments against the schema then catches ``top_k`` itself,
        and the schema says what :meth:`call_tool` does with a name the tool lacks. Its description is the docstring
        without its source indent."""
        super().add_tool(fn, name, *args, **kwargs)
        tool = self._tool_manager.get_tool(name or fn.__name__)
        tool.parameters = {**tool.parameters, "additionalProperties": False}
        if tool.description:  # the docstring as written had sent its source indent ("\n        ") on every line
            tool.description = inspect.cleandoc(tool.description)

    def follow_index(self, service: StatuteService) -> None:
        """The instructions the next ``initialize`` gives, for the generation ``service`` serves now: built once per
        generation (a server started with no index said so; once the index is there, a new session — HTTP — is told
        its laws, as after ``index add``)."""
        gen = service.live.current
        name = gen.name if gen is not None else None
        if name != self._instructions_for or name is None:
            self._lowlevel_server.instructions = instructions(service)
            self._instructions_for = name

    async def call_tool(self, name, arguments, context=None):
        tool = self._tool_manager.get_tool(name)
        if tool is None:  # (the SDK's "Unknown tool: search_statute" named none of the tools there are)
            import difflib

            tools = [t.name for t in self._tool_manager.list_tools()]
            close = difflib.get_close_matches(str(name), tools, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ToolError(f"no tool named {str(name)[:60]!r} ({hint}the tools: {', '.join(tools)})")
        if isinstance(arguments, dict):
            # an argument the tool lacks ({"query": …, "top_k": 3}, "laws") had been dropped by the SDK without a word:
            # the agent believed it had asked for 3 hits, or one law's — the HTTP API's one line, with a did-you-mean
            accepted = list((tool.parameters or {}).get("properties") or {})
            arguments = without_passed_over(arguments)
            unknown = [str(a) for a in arguments if a not in accepted]
            if unknown:
                raise ToolError(unknown_names_message(unknown, accepted, name, "argument"))
        try:
            return compact_text(await super().call_tool(name, arguments, context))
        except UnexpectedToolError:
            raise
        except ToolError as e:
            if isinstance(e.__cause__, ValidationError):
                raise ToolError(validation_line(e.__cause__)) from e.__cause__
            if isinstance(e.__cause__, ToolError):  # a tool's own line, under the SDK's "Error executing tool …: "
                raise ToolError(str(e.__cause__)) from e.__cause__
            raise

    async def run_stdio_async(self) -> None:
        """stdio, with stdin's lines read here (:func:`read_line`), not by the SDK's transport: a line that is not a
        JSON-RPC message is answered as JSON-RPC asks (parse error −32700 or invalid request −32600, one line saying
        what was wrong) with the request's id whenever the line has one — the SDK's transport dropped such a line
        without a word (a person typing into the server saw nothing), and with the line gone, so was its id (a
        client waiting on it waited for ever). Blank lines are passed over. The SDK's transport still writes the
        answers (stdout is its alone: fd 1 points at stderr meanwhile), and fd 0 points at the null device while
        this reads a copy of it, as the SDK's own reader has it (:func:`claimed_stdin`)."""
        with claimed_stdin() as stdin:
            lines = anyio.wrap_file(_UnownedText(stdin, encoding="utf-8", errors="replace"))
            async with stdio_server(stdin=_NO_LINES) as (unread, write_stream):
                unread.close()  # (nothing comes from the SDK's reader: it was given no lines)
                send, receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)

                async def read_lines() -> None:
                    async with send:
                        async for line in lines:
                            message, reply = read_line(line)
                            if message is not None:
                                await send.send(SessionMessage(message))
                            elif reply is not None:
                                await write_stream.send(SessionMessage(reply))

                async with anyio.create_task_group() as tg:
                    tg.start_soon(read_lines)
                    await self._lowlevel_server.run(receive, write_stream,
                                                    self._lowlevel_server.create_initialization_options())
                    tg.cancel_scope.cancel()


def compact_text(result: Any) -> Any:
    """A tool's answer with its text block (the structured content again, for clients that read only text: the SDK
    writes it with a 2-space indent, ~10% of a search answer in spaces) as compact JSON — the same object, in fewer
    of an agent's tokens."""
    if (isinstance(result, CallToolResult) and result.structured_content is not None and len(result.content) == 1
            and isinstance(result.content[0], TextContent)):
        text = json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":"))
        return result.model_copy(update={"content": [TextContent(type="text", text=text)]})
    return result


def without_passed_over(arguments: dict[str, Any]) -> dict[str, Any]:
    """A tool call's ``arguments`` less those whose name starts with ``_``: passed over, as the HTTP API passes over
    such query parameters and body fields (cache-busters, a client's own markers) — MCP had refused them while HTTP
    searched. (No tool has an argument starting with ``_``, so none of theirs is dropped.)"""
    return {name: value for name, value in arguments.items() if not str(name).startswith("_")}


class ParamsInOneLine:
    """Server middleware (``Server.middleware``): a request whose params the SDK refused, or that came before
    ``initialize``, gets −32602 (the SDK's code) with one line saying what was wrong — "Invalid params: tools/call
    arguments must be an object, not a string", "tools/call before initialize: …" — where the SDK said "Invalid
    request parameters" with empty data for both."""

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        try:
            return await call_next(ctx)
        except ValidationError as e:
            # (only the request's own params: a notification is not answered, and a model the server builds — a
            # result, titled …Result — failing is no fault of the client's)
            if ctx.request_id is None or "Request" not in (e.title or ""):
                raise
            raise MCPError(code=INVALID_PARAMS, message=f"Invalid params: {ctx.method[:100]} {params_problem(e)}") from e
        except MCPError as e:
            # (the SDK's gate for a request before initialize is the one place it raises this very error itself; a
            # params check that fails reaches here as the ValidationError above)
            if (ctx.request_id is not None and e.error.code == INVALID_PARAMS
                    and e.error.message == "Invalid request parameters" and ctx.session.client_params is None):
                raise MCPError(code=INVALID_PARAMS, message=(
                    f"{ctx.method[:100]} before initialize: call initialize first (then send notifications/initialized)"
                )) from e
            raise


def params_problem(error: ValidationError) -> str:
    """A request's refused params in a few words: "arguments must be an object, not a string", "name is missing"."""
    first = error.errors()[0] if error.errors() else {}
    loc = [str(p) for p in first.get("loc", ())]
    where = ".".join(loc[1:] if loc[:1] == ["params"] else loc) or "params"
    kind = first.get("type", "")
    if kind == "missing":
        return f"{where} is missing"
    wanted = next((w for types, w in _WANTED if kind in types), None)
    if wanted is None:
        return f"{where}: {first.get('msg', 'invalid')}"[:200]
    return f"{where} must be {wanted}, not {json_kind(first.get('input'))}"


#: pydantic's error types as JSON words (:func:`params_problem`).
_WANTED = ((("dict_type", "model_type", "model_attributes_type", "dataclass_type"), "an object"),
           (("string_type",), "a string"), (("list_type", "tuple_type"), "an array"),
           (("int_type", "int_parsing", "int_from_float"), "an integer"), (("float_type", "float_parsing"), "a number"),
           (("bool_type", "bool_parsing"), "true or false"))


def json_kind(value: Any) -> str:
    """What a JSON value is, in JSON's words: "a string", "an object", "null", "1.5" (a number is shown)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value) if math.isfinite(value) else "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, (list, tuple)) else "an object"


class _Reply(JSONRPCError):
    """A JSON-RPC error whose id may be a fractional number: JSON-RPC's reply repeats the request's id, and MCP
    refuses that one (a request's id is a string or an integer) — the SDK's model has no room for it."""

    id: str | int | float | None


class _UnownedText(io.TextIOWrapper):
    """Text over stdin's bytes that never closes them (as the SDK's reader has it: closing ``sys.stdin.buffer`` at
    garbage collection had broken the process's stdin)."""

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            self.detach()


class _NoLines:
    """An empty stdin for the SDK's transport, which only writes here (:meth:`LegalretMCPServer.run_stdio_async`
    reads the lines)."""

    def __aiter__(self):
        return self

    async def __anext__(self):
        raise StopAsyncIteration


_NO_LINES = _NoLines()


@contextlib.contextmanager
def claimed_stdin() -> Iterator[BinaryIO]:
    """stdin's bytes for the transport alone: a copy of fd 0, with fd 0 itself pointed at the null device while it
    serves (so a handler or a child process that reads stdin reads nothing, never the protocol), and put back after —
    what the SDK's stdio transport does when it reads stdin. Where that cannot be (stdin is no file descriptor),
    ``sys.stdin``'s bytes as they are."""
    try:
        if sys.stdin.buffer.fileno() != 0:
            raise OSError("stdin is not fd 0")
        private = os.dup(0)
    except (AttributeError, OSError, ValueError):
        yield sys.stdin.buffer
        return
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        try:
            os.dup2(null, 0)
        finally:
            os.close(null)
    except OSError:
        yield sys.stdin.buffer
        return
    try:
        # (never closed: a worker thread may still wait on it when the server stops)
        yield os.fdopen(private, "rb", closefd=False)
    finally:
        with contextlib.suppress(OSError):
            os.dup2(private, 0)


def read_line(line: str) -> tuple[Any, JSONRPCError | None]:
    """One stdin line as ``(message, None)`` for the server, ``(None, reply)`` for a line answered here with a
    JSON-RPC error, or ``(None, None)`` for a blank line.

    The reply's id is the request's whenever the line has one (a string or an integer; a fractional number is
    repeated too, as JSON-RPC asks, though MCP refuses it); it is null only where none can be read: a line that is
    not JSON, not an object, no request (no ``method``), or whose id is null, true, an object …"""
    if not line.strip():
        return None, None
    try:
        return _read_line(line)
    except Exception as e:  # (the server must go on to the next line whatever this one was: JSON nested too deep …)
        return None, _reply(None, PARSE_ERROR, f"Parse error: the line could not be read ({type(e).__name__})")


def _read_line(line: str) -> tuple[Any, JSONRPCError | None]:
    try:
        message = jsonrpc_message_adapter.validate_json(line, by_name=False)
    except ValidationError as e:
        problems = e.errors()
        not_json = _reply(None, PARSE_ERROR, f"Parse error: the line is not JSON ({problems[0]['msg'] if problems else e})")
        try:
            data = json.loads(line)
        except ValueError:
            return None, not_json
        if not any(p.get("type") == "json_invalid" for p in problems):
            return None, invalid_request(data)
        # valid JSON to Python that the SDK's strict reader refuses: an escaped lone surrogate ("\ud800", valid JSON
        # but no character) is read as U+FFFD, so that the request is answered (it had got a parse error, id null);
        # anything else (NaN, Infinity) is no JSON indeed
        cleaned = without_lone_surrogates(data)
        if json.dumps(cleaned) == json.dumps(data):
            return None, not_json
        try:
            message = jsonrpc_message_adapter.validate_json(json.dumps(cleaned, ensure_ascii=False), by_name=False)
        except ValueError:
            return None, invalid_request(cleaned)
    if isinstance(message, JSONRPCNotification) and not message.method.startswith("notifications/"):
        return None, unanswerable_request(json.loads(line), message.method)
    return message, None


def _reply(rid: Any, code: int, message: str) -> _Reply:
    return _Reply(jsonrpc="2.0", id=rid, error=ErrorData(code=code, message=message[:300]))


_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(value: Any) -> Any:
    """``value`` (parsed JSON) with each lone surrogate of its strings replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [without_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    return value


def request_id(data: dict[str, Any]) -> tuple[Any, str | None]:
    """The id to answer a request (a parsed line with a ``method``) with, and what is wrong with it, if anything.

    JSON-RPC 2.0 lets an id be a string, a number or null (numbers "SHOULD NOT contain fractional parts"); MCP
    narrows it to a string or an integer, never null, and so does the SDK. A fractional id is refused but repeated in
    the reply (the client waits on it); null, true/false, an object or an array cannot be repeated as an id: null."""
    if "id" not in data:
        return None, None
    value = data["id"]
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value, None
    problem = f"id must be a string or an integer, not {json_kind(value)}"
    if isinstance(value, float) and math.isfinite(value):
        return value, problem + " (MCP takes no fractional ids)"
    return None, problem


def invalid_request(data: Any) -> _Reply:
    """The −32600 answer to a parsed line that is no JSON-RPC message the SDK reads — with the request's id when it
    has one, and the first thing wrong in a few words (jsonrpc, method, id, params)."""
    generic = "Invalid request: not a JSON-RPC 2.0 message (jsonrpc, method, id)"
    if isinstance(data, list):
        return _reply(None, INVALID_REQUEST, "Invalid request: a batch (a JSON array) is not supported; send one message per line")
    if not isinstance(data, dict) or "method" not in data:  # (a response is never answered with its own id)
        return _reply(None, INVALID_REQUEST, generic)
    rid, id_problem = request_id(data)
    method, params = data["method"], data.get("params")
    if data.get("jsonrpc") != "2.0":
        problem = (f'jsonrpc must be "2.0", not {json.dumps(data["jsonrpc"], ensure_ascii=False)[:50]}' if "jsonrpc" in data
                   else 'jsonrpc is missing (it must be "2.0")')
    elif not isinstance(method, str):
        problem = f"method must be a string, not {json_kind(method)}"
    elif id_problem:
        problem = id_problem
    elif params is not None and not isinstance(params, dict):
        problem = f"{method[:100]} params must be an object, not {json_kind(params)}"
    else:
        return _reply(rid, INVALID_REQUEST, generic)
    return _reply(rid, INVALID_REQUEST, f"Invalid request: {problem}")


def unanswerable_request(data: Any, method: str) -> _Reply:
    """The answer to a request the SDK read as a notification — its id null, missing, or neither a string nor an
    integer — which it would drop: its client would wait for ever. Only ``notifications/…`` methods go unanswered in
    MCP. A fractional id is repeated in the answer (:func:`request_id`)."""
    data = data if isinstance(data, dict) else {}
    if data.get("id") is not None:
        rid, problem = request_id(data)
        if problem:
            return _reply(rid, INVALID_REQUEST, f"Invalid request: {problem}")
    null = " (not null)" if "id" in data else ""
    return _reply(None, INVALID_REQUEST, f"Invalid request: {method[:100]} needs an id, a string or an integer{null}; "
                                         "only notifications/… go without an answer")


def validation_line(error: ValidationError) -> str:
    """The first problem of a pydantic validation error as one line: ``field: message (got value)``."""
    first = error.errors()[0] if error.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ())) or "arguments"
    got = f" (got {first['input']!r})" if "input" in first and not isinstance(first["input"], dict) else ""
    return f"{where}: {first.get('msg', 'invalid')}{got}"[:300]


def create_mcp_server(index: str | os.PathLike | LiveSearcher, *, warm: bool = True, log_level: str = "WARNING",
                      missing_ok: bool = False, problem: str | None = None):
    """The MCP server (an :class:`mcp.server.mcpserver.MCPServer`, not started) over ``index``.

    The index is opened here, so a missing or broken index fails before any client connects — unless
    ``missing_ok`` (what ``legalret mcp`` does): then the server starts without it, each tool call is a one-line tool
    error saying why (:func:`index_problem`), and the first call once the index opens is answered from it.
    ``problem`` (with ``index`` a path): why no index can be served by this process at all, known before the index
    is looked at (``legalret mcp`` with ``LEGALRET_HOME`` a file): the index is not opened, the server starts all the
    same, and every tool call answers with that line and "then start this server again" (:class:`Unservable`) — it
    had exited 1 at start, which an MCP client shows as "server disconnected" and nothing more."""
    if problem is not None and not isinstance(index, LiveSearcher):
        index = Unservable(index, problem)
    elif not isinstance(index, LiveSearcher):
        index = LiveSearcher(index, warm=warm, missing_ok=missing_ok)
    service = StatuteService(index, warm=warm)
    server = LegalretMCPServer(SERVER_NAME, version=_version(), log_level=log_level)
    # (the laws of the generation opened just now: one pass over its law column, ~10 ms for every law)
    server.follow_index(service)
    read_only = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)

    def answer(call, *args, **kwargs) -> dict[str, Any]:
        try:
            result = call(*args, **kwargs)
        except NoGeneration as e:  # no index yet (missing_ok): what is wrong, and how to fix it, in one line
            raise ToolError(index_problem(service.live, str(e).splitlines()[0] if str(e) else None)) from None
        except LegalretError as e:  # a bad input: one line for the model to read (a damaged file's: rollback or not)
            line = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise ToolError(rollback_or_rebuild(service.live.index_dir, line)) from None
        server.follow_index(service)
        return result

    @server.tool(annotations=read_only)
    def search_statutes(
        query: Annotated[str, Field(description=f"The question, keywords or a citation, in Korean (longer than {MAX_QUERY_CHARS} characters: cut, with a notice)")],
        # (int | None: the schema says null is accepted, as the description does — the check before pydantic's turns
        # it into the default — and its bounds are JSON Schema's minimum/maximum: typed int alone, pydantic had
        # written them as 'ge'/'le', which no JSON Schema validator reads)
        k: Annotated[int | None,
                     Field(ge=1, le=MAX_K, description=f"Number of articles to return (1–{MAX_K}; null: {DEFAULT_K})"),
                     BeforeValidator(k_or_default(DEFAULT_K))] = DEFAULT_K,
        # (a list too, as POST /api/search takes it: an agent writes several names as a JSON list)
        law: Annotated[str | list[str] | None,
                       Field(description="Only these laws: '민법', comma-separated '민법,상법' or a list ['민법', '상법']; "
                                         "see list_laws"),
                       BeforeValidator(names_or_list("law"))] = None,
        kind: Annotated[str | list[str] | None,
                        Field(description="Only these kinds (법률, 시행령, …): comma-separated or a list"),
                        BeforeValidator(names_or_list("kind"))] = None,
        mode: Annotated[SearchMode | None,
                        Field(description="hybrid (default, best; null: hybrid): all retrievers + the learned re-ranker; "
                                          "bm25: words; dense: meaning; memory: similar precedents only; convex, rrf: "
                                          "the retrievers fused without the re-ranker (for comparison)")] = "hybrid",
        precedents: Annotated[int | None,
                              Field(ge=0, le=MAX_PRECEDENTS,
                                    description=f"Earlier decisions listed per article, most similar first (0–"
                                                f"{MAX_PRECEDENTS}; 0: none, the smallest answer; null: "
                                                f"{DEFAULT_PRECEDENTS}); each text at most {AGENT_PRECEDENT_CHARS} "
                                                "characters"),
                              BeforeValidator(precedents_or_default)] = DEFAULT_PRECEDENTS,
    ) -> SearchResult:
        """Find the Korean statute articles that govern a question or a set of facts, best first, with the
        earlier court decisions (사건번호, 선고일자, matched text) that cited each article for similar questions.
        A query that is only a citation ('민법 제750조') answers with that article alone. The answer grows with k and
        precedents: about 6,000 characters at the defaults, over 100,000 at k=100 with precedents=10."""
        res = answer(service.search, query, k=k, law=law, kind=kind, mode=mode or "hybrid", explain=True)
        # (relevance and probability: the searcher's, the page's and the API's numbers — an agent weighing a hit reads
        # what a lawyer would see)
        hits = [StatuteHit(**{f: h.get(f) for f in ("key", "title", "law", "kind", "text", "score", "relevance",
                                                    "probability", "citation", "url")},
                           rank=i, deleted=bool(h.get("deleted")), takes_effect=h.get("takes_effect"),
                           precedents=[precedent(p) for p in h.get("precedents", [])[:precedents]])
                for i, h in enumerate(res["hits"], 1)]
        return SearchResult(query=res["query"], mode=res["mode"], generation=res["generation"], hits=hits,
                            notices=res["notices"])

    @server.tool(annotations=read_only)
    def get_article(
        key: Annotated[str, Field(description="The article: '민법 750', '민법 제750조', '상법 제651조의2'")],
    ) -> ArticleResult:
        """Read one statute article in full: its text, title, chapter, and whether it is deleted (삭제). A key naming a
        paragraph or item ('민법 제750조 제2항') returns the article, with paragraph_exists / item_exists and a notice
        when the article lacks that part; notices also say a short name read in full ('근기법 23'), an old name of a law
        renamed in this index, and a text not in force yet (takes_effect)."""
        # (a 제N항/제N호 the article lacks is in its notices: it had been dropped without a word)
        return ArticleResult(**answer(service.article, key))

    @server.tool(annotations=read_only)
    def check_citation(
        text: Annotated[str, Field(description="A passage that cites statute articles, e.g. an LLM's draft answer")],
    ) -> CitationReport:
        """Check every statute citation in a passage: does the article exist in this index, is it deleted (삭제),
        and what is its title — catches invented or outdated article numbers. A citation of a paragraph (제N항)
        also gets paragraph_exists: false when the article lacks that paragraph, is missing, or is deleted (a
        deleted article has no paragraphs; deleted: true says why); one of an item (제N호, 제N호의K) gets item /
        item_branch / item_exists likewise (checked in the cited paragraph, when one is cited). Each decision cited by
        사건번호 (2016다248806) is looked up too: whether this index's precedents hold it, its date, its 판시사항 and
        the articles it cites — a number it does not hold may still exist (the index holds decisions citing its own
        laws)."""
        return CitationReport(**answer(service.check_citations, text))

    @server.tool(annotations=read_only)
    def list_laws(
        name: Annotated[str | None, Field(description="Only laws whose name contains this (e.g. '근로', '임대차', "
                                                      "'시행령'; spaces ignored)")] = None,
        limit: Annotated[int | None, Field(ge=1, le=MAX_LAWS, description=f"At most this many laws, the largest first "
                                                                          f"(1–{MAX_LAWS}; null: {MAX_LAWS})")] = MAX_LAWS,
    ) -> LawList:
        """The laws this index holds (the largest first), with their number of articles, and the kinds (법률, 시행령,
        …). An index of every law holds thousands: give a part of the name to find one. A name that a renamed law had
        is in notices, with the name it has now."""
        return LawList(**answer(service.laws, name=name, limit=limit or MAX_LAWS))

    server.service = service  # (tests, and `legalret mcp` reporting what it serves)
    logging.getLogger("legalret.serve").debug("MCP server over %s", service.live.index_dir)
    return server
