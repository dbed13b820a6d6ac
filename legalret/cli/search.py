"""``legalret search``: a table (or JSON lines) of the articles that govern a question.

Examples::

    legalret search "유치권 간접점유" --index idx/ -k 10 --law 민법,상법 --mode hybrid --explain
    legalret search "상법 651조의2" --json                          # JSON lines on stdout (no hits: one, the notices)
    legalret search - < scenario.txt                                 # the question from stdin, line breaks and all
    LEGALRET_SERVER=http://127.0.0.1:8000 legalret search "유치권 간접점유"   # answered by `legalret serve`

Where the search runs:

1. ``LEGALRET_SERVER`` set → that server (``legalret serve``), same table / JSON output;
2. else a *resident* server for this index (started on first use with a one-line notice, stopped after 15
   idle minutes or by ``legalret server stop``) when ``LEGALRET_RESIDENT`` says so — by default when stdout is
   a terminal (see :mod:`legalret.serve.resident`); one per value of the settings that change results
   (``LEGALRET_RANKER`` …), started with them, so it answers exactly as an in-process search;
3. else in this process (pipes, scripts, CI).

Every path applies the same limits (:data:`~legalret.config.MAX_QUERY_CHARS`: a longer query is cut with a
notice; :data:`~legalret.config.MAX_K`) and prints each notice once.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any, List, Optional

import typer
from rich.markup import escape
from rich.text import Text
from rich.table import Table
from typer._click.exceptions import BadParameter, MissingParameter, NoSuchOption, UsageError
from typer.core import TyperCommand

from legalret.config import MAX_K, k_error, search_mode
from legalret.errors import LegalretError
from legalret.progress import console


def register(app: typer.Typer) -> None:
    app.command("search", cls=SearchCommand, epilog=JSON_FIELDS)(search_command)


#: What ``--help`` says under the options about the numbers of each ``--json`` hit (:func:`json_hit`).
JSON_FIELDS = ("--json: every hit carries relevance and probability. relevance: 0–100, an integer — 100 for an article "
               "the question cites; in hybrid the re-ranker's probability (in %) that the hit is the answer among the "
               "candidates; in other modes the score as a share of the top hit's; 0 means under 1 % (the table's "
               "\"<1\"); null when withheld: the hits are only guesses (the notices say why). probability: that "
               "re-ranker's probability, 0–1, in hybrid; null for a cited article, in other modes and when withheld.")


class SearchCommand(TyperCommand):
    """``legalret search``, whose ``--mode`` help lists the registered retrievers' modes
    (:func:`legalret.search.searcher.modes_help`, what the API's documentation says too). The registry is read
    only when this help is shown: importing it costs ~1 s (scipy, numpy), which no other start of the CLI pays."""

    def format_help(self, ctx, formatter) -> None:
        from legalret.search.searcher import modes_help

        for param in self.params:
            if param.name == "mode":
                param.help = modes_help()
        super().format_help(ctx, formatter)

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        """The command line parsed; a usage error it gives where the question itself begins with a dash
        (``legalret search "-k"``, ``legalret search -x``: read as an option, which the shell's quotes cannot stop)
        says how to search it: after ``--``, which ends the options (:func:`with_dash_hint`)."""
        given = list(args)  # (the parser consumes the list it is given)
        try:
            return super().parse_args(ctx, args)
        except UsageError as e:
            message = with_dash_hint(given, e, self.get_params(ctx))
            if message is None and isinstance(e, MissingParameter) and _stdin_piped():
                # (`echo 질문 | legalret search -k 2` said only "Missing argument": the question piped in is read
                # when the query is "-")
                message = (f"{e.format_message().rstrip('.')}; to read the question from stdin, give - as the "
                           "query: legalret search - [options]")
            if message is None:
                raise
            raise UsageError(message, ctx=e.ctx) from None


def _stdin_piped() -> bool:
    """Is a pipe or a file on stdin (``echo 질문 | legalret search …``), not a terminal, nothing (/dev/null) or a test's
    stand-in? Only then does a missing question get the stdin hint."""
    import stat

    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (AttributeError, OSError, ValueError):  # (io.UnsupportedOperation is both: a test runner's BytesIO)
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


#: What follows a hint's text: the command that searches a question beginning with a dash.
AFTER_DASHES = "write it after -- (options before it): legalret search -- {}"


def with_dash_hint(args: list[str], error: UsageError, params) -> str | None:
    """``error``'s message (``args``, ``legalret search``'s, failed to parse with it) saying how to search a question
    that begins with a dash, where one may be it; None where none can. ``params`` are the command's (its options'
    names: a word that is one of them is the option, whatever else it might have been).

    * an option the command does not have (``-x``, ``-유치권``): "…; to search for text that begins with '-', write it
      after -- …" — but not a near miss click names the option meant for (``--jsn``: a typo of ``--json``);
    * one of the command's own options without its value, and no question (``"-k"`` alone, ``--json -k``, ``"-k"
      --index idx``, where -k took ``--index`` for its value): the option missing its value and the text
      ``-k`` cannot be told apart, so the one line says both: "-k needs a value; to search for the text '-k'
      instead, write it after -- …";
    * a short option with text glued on that is no value of it, alone (``"-k 유치권"``, ``-kiwi``): the hint.

    None when ``--`` was written (what follows it is never an option), and for the command's own options given
    their values (``legalret search -k 3``, ``--json``, ``--index DIR``: a missing question, click's "Missing
    argument"; the hint had offered ``legalret search -- -k``, dropping the 3), or a bad value beside a question
    (``-k many 유치권``). The text is shown quoted for a shell as needed (``-k``, ``'-유치권 성립'``)."""
    if "--" in args:
        return None
    message = error.format_message().rstrip(".")
    hint = "to search for text that begins with '-', " + AFTER_DASHES
    # (an unknown option close to one the command has, --jsn for --json, is a typo: click names the option meant)
    unknown = error.option_name if isinstance(error, NoSuchOption) and not error.possibilities else None
    dashed = next((a for a in args if unknown and a.startswith(unknown)), None)
    if dashed is not None:
        return f"{message}; {hint.format(shlex.quote(dashed))}"
    lone, glued, words = _read_options(args, params)
    if words or len(lone) + len(glued) != 1:
        return None
    if lone:
        (name,) = lone
        return (f"{name} needs a value; to search for the text '{name}' instead, "
                + AFTER_DASHES.format(shlex.quote(name)))
    (word,) = glued
    param = getattr(error, "param", None)
    if isinstance(error, BadParameter) and param is not None and word[:2] in param.opts:  # (-k3 parses: no question)
        return f"{message}; {hint.format(shlex.quote(word))}"
    return None


def _read_options(args: list[str], params) -> tuple[list[str], list[str], list[str]]:
    """``args`` read with the command's own options (``params``) as click reads them: (its options that take a value
    and were given none — at the end, or before another of its options, which click then took for the value —, its
    short options with text glued on — ``-k3``, ``-kiwi`` —, the other words: the question's)."""
    options = [p for p in params if getattr(p, "param_type_name", None) == "option"]
    takes_value = {name for p in options if not (p.is_flag or p.count) for name in p.opts}
    names = {name for p in options for name in (*p.opts, *p.secondary_opts)}

    def own(word: str) -> bool:  # one of the options, or a long one with its value (--top-k=3)
        return word in names or (word.startswith("--") and word.split("=", 1)[0] in names)

    lone, glued, words = [], [], []
    i = 0
    while i < len(args):
        word = args[i]
        if word in takes_value:
            if i + 1 < len(args) and not own(args[i + 1]):
                i += 1  # (its value)
            else:
                lone.append(word)
        elif word[:2] in takes_value and not word.startswith("--") and len(word) > 2:
            glued.append(word)
        elif not own(word):
            words.append(word)
        i += 1
    return lone, glued, words


def _default_index() -> Path:
    from legalret.config import default_index_dir

    return default_index_dir()


def search_command(
    words: List[str] = typer.Argument(..., metavar="query", help="Question or keywords, quoted or not (the words are "
                                      "joined with spaces); an exact citation such as '민법 제750조' is ranked first. "
                                      "'-' reads the question from stdin (a long scenario from a file or a pipe)."),
    index: Path = typer.Option(None, "--index", help="Index directory."),
    k: int = typer.Option(10, "-k", "--top-k", help=f"Number of hits (1–{MAX_K})."),
    law: Optional[List[str]] = typer.Option(None, "--law", help="Only these laws: comma-separated (민법,상법) or the option repeated."),
    kind: Optional[List[str]] = typer.Option(None, "--kind", help="Only these kinds: comma-separated (법률,시행령) or repeated."),
    # (the help is the retriever registry's, filled in by SearchCommand when shown; the Searcher checks the mode)
    mode: str = typer.Option("hybrid", "--mode", help="Search mode (listed from the retriever registry)."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines on stdout (one hit per line, with its relevance "
                                 "and probability — see below — and the answer's notices; no hits: one line, "
                                 "{\"hits\": 0, \"notices\": …})."),
    explain: bool = typer.Option(False, "--explain", help="Show why each hit, below the table: each retriever's rank and score, the re-ranker's weightiest features and the earlier decisions that voted for it."),
) -> None:
    """Search the index: a table of rank, key, title, snippet (matched terms highlighted) and relevance (0–100).

    In a terminal the search is answered by a resident server for the index, started on first use (a one-line
    notice; ≈0.5–0.7 GB while it runs; it stops after 15 idle minutes, LEGALRET_RESIDENT_IDLE seconds): `legalret server status` lists it,
    `legalret server stop` ends it, LEGALRET_RESIDENT=off searches in this process instead. Pipes and
    scripts always search in this process; both give the same hits."""
    # unquoted words are one question (`legalret search 유치권 간접점유` had been "unexpected extra argument")
    query = _read_query(" ".join(words))
    law, kind = _joined(law, "--law"), _joined(kind, "--kind")  # (repeated, the last one alone had been kept, without a word)
    mode = search_mode(mode)  # (--mode BM25 had been "unknown search mode"; the API reads it alike)
    if not query.strip():
        raise LegalretError("empty query: type some words or an article citation such as '민법 제750조'")
    if k_error(k):
        raise LegalretError(k_error(k))
    _check_index_folder(index)
    client = _client(index)
    if client is not None:
        res = client.search(query, k=k, law=law, kind=kind, mode=mode, explain=explain)
        res["notices"] = [*res.get("notices", []), *_settings_differ(client, res.get("settings"))]
    else:
        index = index or _default_index()
        ahead = _send_ahead(query)
        from legalret.search.response import search_response
        from legalret.search.searcher import Searcher

        searcher = Searcher(index)
        mode = searcher.resolve_mode(mode)  # (a missing ONNX export is said where the encoder loads: index.encoders)
        if ahead is not None:
            searcher.load(mode)  # the query encoder, while the other core starts Kiwi for the query's tokens
        results = searcher.search(query, k=k, mode=mode, laws=law, kinds=kind, explain=explain)
        # each hit carries its relevance (0–100) from the searcher (legalret.search.relevance), as a server's answer
        # does: a pipe and a terminal's resident server print the same JSON
        res = search_response(results, mode, notices=searcher.notices)
    render(res["query"], res["mode"], [_strip_extras(h) for h in res["hits"]], res.get("notices", []),
           res.get("terms", []), as_json=as_json, explain=explain)


def _check_index_folder(index: Path | None) -> None:
    """``--index /etc``: one line saying the folder is no index, in a pipe and at a terminal alike — the store's "no
    index at /etc: build one with `legalret index build SOURCES --index /etc`" had advised building among the
    folder's own files. The default index is checked too, unless a ``LEGALRET_SERVER`` answers for its own."""
    from legalret.cli.index import check_is_index
    from legalret.config import server_url

    if index is not None or not server_url():
        check_is_index(index or _default_index())


def _joined(values: Optional[List[str]], option: str) -> Optional[str]:
    """A repeated list option as the one comma-separated value the searcher and the server take; given but naming
    nothing (``--law ''``, ``--law ,``) is one line — it had quietly meant no filter at all."""
    if not values:
        return None
    if not any(name.strip() for value in values for name in value.split(",")):
        one, two = ("법률", "법률,시행령") if option == "--kind" else ("민법", "민법,상법")
        raise LegalretError(f"{option} names nothing: give a name ({option} {one} or {option} {two}), or leave the "
                            "option out to search every one")
    return ",".join(values)


def _read_query(query: str) -> str:
    """The question: ``query`` itself, or with ``-`` all of stdin as one question — a scenario of several lines
    with 갑/을 and dates is awkward to quote on a command line. Not UTF-8 is a one-line error naming the byte."""
    if query != "-":
        try:
            query.encode("utf-8")
        except UnicodeEncodeError as e:  # argv bytes that are not UTF-8 (a cp949 terminal) arrive as surrogates:
            # a terminal search sent them to its server and crashed, a pipe searched for what was left
            raw = query.encode("utf-8", "surrogateescape")
            at = len(query[: e.start].encode("utf-8", "surrogateescape"))
            raise LegalretError(f"the question is not UTF-8 (byte 0x{raw[at]:02x} at offset {at}); give it in UTF-8 "
                                "(a cp949 terminal: set it to UTF-8, or pipe the text through `iconv -f cp949`)") from None
        return query
    if sys.stdin.isatty():
        console.print("[dim]reading the question from stdin; end it with Ctrl-D[/]", highlight=False)
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with its byte-order mark (Windows' "Unicode" text files)
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise LegalretError("<stdin>: the question starts as UTF-16 (a byte-order mark) but is not UTF-16 text; "
                                "give it in UTF-8") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        # (it had pointed to `legalret fix-text`, which repairs text already decoded wrongly, not these bytes)
        line = data[: e.start].count(b"\n") + 1
        raise LegalretError(f"<stdin>:{line}: the question is not UTF-8 (byte 0x{data[e.start]:02x} at offset "
                            f"{e.start}); give it in UTF-8 (cp949/EUC-KR text: `iconv -f cp949 -t utf-8 FILE | "
                            "legalret search -`)") from None


def _client(index: Path | None):
    """The server that should answer, or None for in-process search: ``LEGALRET_SERVER`` unless ``--index`` names
    the index (a server does not say which index it serves), else the resident server where one is used."""
    from legalret.serve.client import ServerClient, server_from_env

    url = server_from_env()
    if url and index is not None:  # an explicit --index names what to search: the server may serve another one
        console.print(f"[yellow]note:[/] --index given: searching {escape(str(index))} here, not through "
                      f"LEGALRET_SERVER ({escape(url)}), whose index may be another", highlight=False, soft_wrap=True)
    elif url:
        from legalret.config import server_token

        return ServerClient(url, token=server_token())
    from legalret.config import use_resident

    if use_resident():
        from legalret.serve import resident

        try:
            return resident.connect(index or _default_index(),
                                    notify=lambda line: console.print(f"[dim]{escape(line)}[/]", highlight=False,
                                                                      soft_wrap=True))
        except resident.ResidentUnavailable as e:  # the same answer in this process, as a pipe gets it
            console.print(f"[yellow]note:[/] no resident search server ({escape(str(e))}); searching in this process",
                          highlight=False, soft_wrap=True)
    return None


def _send_ahead(query: str):
    """The query, as the searcher will tokenize it (QueryPreparer.query: cleaned, then cut), to the child
    :func:`legalret.__main__.start_tokenizer` started — if one runs."""
    from legalret.index.tokenize import TokensAhead

    ahead = TokensAhead.running
    if ahead is not None:
        from legalret.config import MAX_QUERY_CHARS
        from legalret.text import clean_query

        ahead.send(clean_query(query)[:MAX_QUERY_CHARS])
    return ahead


def _settings_differ(client, server_settings: dict | None) -> list[str]:
    """A notice when the server that answered runs with other result-changing settings than this shell
    (only an explicit ``LEGALRET_SERVER`` can: a resident server is started with this shell's settings)."""
    from legalret.config import RESULT_SETTINGS, result_settings

    if server_settings is None:  # an older server that does not report them
        return []
    mine = result_settings()
    differ = [name for name in RESULT_SETTINGS if mine.get(name) != server_settings.get(name)]
    if not differ:
        return []
    shown = ", ".join(f"{n}={mine.get(n, '(unset)')} here, {server_settings.get(n, '(unset)')} there" for n in differ)
    return [f"the server at {client.base_url} ranks with its own settings ({shown}); unset LEGALRET_SERVER "
            "to search with yours"]


#: What a server response adds for the page (legalret.serve.wording.lawyer_view and the citation): the CLI
#: prints what an in-process search gives, whoever answered. (``relevance`` is kept: an in-process search adds it
#: too, and a script reading ``--json`` had no 0–100 number where the API gives one.)
PAGE_FIELDS = ("citation", "signals", "contributions")


def _strip_extras(hit: dict[str, Any]) -> dict[str, Any]:
    """A response hit as ``Hit.to_dict(with_text=True)`` gives it, with its ``relevance``: the page's fields dropped,
    precedents kept only when there are some (explain), without the page's excerpt."""
    out = {key: value for key, value in hit.items() if key not in PAGE_FIELDS and (key != "precedents" or value)}
    if out.get("precedents"):
        out["precedents"] = [{k: v for k, v in p.items() if k != "excerpt"} for p in out["precedents"]]
    return out


def render(query: str, mode: str, hits: list[dict[str, Any]], notices: list[str], terms: list[str], *,
           as_json: bool = False, explain: bool = False) -> None:
    """Print hits (``Hit.to_dict(with_text=True)`` dicts) as JSON lines or a table — the same either way. Each JSON
    line carries the answer's ``notices`` (the API's list of strings, each once): the ``note:`` lines go to stderr,
    and a script reading stdout alone had taken hits to an English question or an unknown law's citation for answers.
    (On every line, not a line of their own beside the hits: each line stays one hit, as every reader of ``--json``
    takes it.) No hits is one line, ``{"hits": 0, "notices": [...]}`` — no ``key`` or ``rank``, which no reader takes
    for a hit: stdout had been empty, why nothing was found (``민법 제9999조``: not in this index) on stderr alone."""
    notices = list(dict.fromkeys(notices))  # each note once
    for note in notices:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)  # one line each, at any width
    if as_json:
        if not hits:
            sys.stdout.write(json.dumps({"hits": 0, "notices": notices}, ensure_ascii=False) + "\n")
        for rank, hit in enumerate(hits, 1):
            sys.stdout.write(json.dumps({"rank": rank, **json_hit(hit), "notices": notices}, ensure_ascii=False) + "\n")
        return
    if not hits:
        console.print("no matching articles")
        return
    table = Table(title=f"{escape(caption(query))}  [dim]({mode})[/]")
    # every column keeps a readable width at 80 columns: a long law name wraps inside its cell (it had squeezed the
    # number, title, text and score columns to nothing and cut off its own 제N조)
    table.add_column("#", justify="right", no_wrap=True, min_width=2)
    table.add_column("article", overflow="fold", min_width=12)
    table.add_column("title", min_width=6)
    table.add_column("text", overflow="fold", min_width=12)
    # the hit's 0–100 relevance as --json and the page give it, not the raw score: a fused score or the re-ranker's
    # logit (8.031, -0.073) read as points, negatives as "minus points", beside a --json that said 97 and 0
    table.add_column("relevance", justify="right", no_wrap=True)
    for rank, hit in enumerate(hits, 1):
        # (a cited article is shown from its start, as the statute prints it: a window around the first query word
        # had begun "…의 경우에 사용자 또는 감독자는" for "민법 제756조 구상권")
        cited = "citation" in (hit.get("ranks") or {})
        text = snippet(_flat(hit.get("text", "")), [] if cited else terms, highlight=terms)
        title = " ".join(t for t in (hit.get("title", ""), "[삭제]" if hit.get("deleted") else "") if t)
        table.add_row(str(rank), hit["key"], title, text, relevance_text(hit))
    table.caption, table.caption_justify = relevance_note(hits), "left"  # (one line at 80 columns)
    from rich.console import Console

    out = Console(emoji=False)
    out.print(table)
    if explain:
        print_explanations(out, hits)


#: Columns each explain line is indented by under its hit's heading (a wrapped line keeps the indent).
EXPLAIN_INDENT = 4


def print_explanations(out, hits: list[dict[str, Any]]) -> None:
    """``--explain``'s reasons, below the table: each hit's rank, key and title, then its reasons (retriever ranks,
    the re-ranker's features, the precedents) one to a line, indented, at the console's full width. In the table's
    text column they had wrapped to a word or two a line at 80 columns — some 70 lines a hit, unreadable at a
    terminal and in a pipe alike. (``--json --explain`` is unchanged: the reasons are each hit's ``reasons``.)"""
    indent = Text(" " * EXPLAIN_INDENT)
    width = max(out.width - EXPLAIN_INDENT, 20)
    for rank, hit in enumerate(hits, 1):
        if not hit.get("reasons"):
            continue
        title = f" ({hit['title']})" if hit.get("title") else ""
        out.print()
        out.print(Text(f"#{rank} {hit['key']}{title} — why:", style="bold"))
        for reason in hit["reasons"]:
            # wrapped here and each piece indented (rich's Padding would pad every line with spaces to the width)
            for line in Text(reason, style="dim").wrap(out, width, overflow="fold"):
                line.rstrip()
                out.print(indent + line, soft_wrap=True)


def json_hit(hit: dict[str, Any]) -> dict[str, Any]:
    """``hit`` as a ``--json`` line gives it: with both ``relevance`` and ``probability`` (:data:`JSON_FIELDS`), null
    where there is no such number. A hybrid hit the re-ranker ranked had carried its probability, a cited article
    (relevance 100) and every hit of another mode none at all, and a withheld guess ``"probability": null`` only where
    it had had one: a script had to tell a missing key from a null. (The API's and MCP's hits are their own: only
    this command's lines.) ``relevance`` stays the integer: 0 is the table's "<1", a share under 1 %."""
    return {**hit, "relevance": hit.get("relevance"), "probability": hit.get("probability")}


#: What the table shows for a hit whose relevance is withheld (a nearest guess: the notice says why) or not given.
NO_RELEVANCE = "—"


def relevance_text(hit: dict[str, Any]) -> str:
    """The hit's ``relevance`` as the page shows it (``relevanceText`` in legalret/serve/static/app.js): the integer,
    "<1" for a positive share that rounds to 0 (a bare 0 read as "irrelevant" for articles that plainly apply),
    :data:`NO_RELEVANCE` for none."""
    value = hit.get("relevance")
    if value is None:
        return NO_RELEVANCE
    cited = "citation" in (hit.get("ranks") or {})
    if value < 1 and not cited and (hit.get("probability") is not None or float(hit.get("score") or 0) > 0):
        return "<1"
    return str(value)


def relevance_note(hits: list[dict[str, Any]]) -> str | None:
    """One line under the table saying what its numbers are (the page's ``relevanceNote``, in the CLI's English): a
    probability in hybrid with the re-ranker, else a share of the top hit — and 100 for a cited article beside either
    (a table of 100, 72, 5 … had been explained as probabilities alone, summing to 190); for a table of "—" alone,
    that its hits are guesses (the notice saying why goes to stderr, which a reader of stdout never sees). None
    without hits."""
    numbered = [h for h in hits if h.get("relevance") is not None]
    if not numbered:
        return f"[dim]{NO_RELEVANCE}: no relevance — these hits are only guesses (the notes say why)[/]" if hits else None
    cited = [h for h in numbered if "citation" in (h.get("ranks") or {})]
    if len(cited) == len(numbered):
        return "[dim]relevance 100: an article the question cites[/]"
    first = "relevance: 100 = an article the question cites; else " if cited else "relevance: "
    if any(h.get("probability") is not None for h in numbered):
        return f"[dim]{first}the re-ranker's % chance it is the answer; joint answers split it[/]"
    return f"[dim]{first}the score as a share of the top hit's (100), not a probability[/]"


#: Characters of the query the table's caption shows (a pasted judgment of 4,000 characters filled the screen).
CAPTION_CHARS = 80


def caption(query: str) -> str:
    """The query as the table's caption: its first :data:`CAPTION_CHARS` characters, on one line."""
    one_line = " ".join(query.split())
    return one_line if len(one_line) <= CAPTION_CHARS else one_line[:CAPTION_CHARS] + "…"


def _flat(text: str) -> str:
    """The article text on one line for a table cell (what retrievers see, amendment notes removed)."""
    from legalret.text import index_text

    return index_text(text)


def snippet(text: str, terms: list[str], width: int = 110, highlight: list[str] | None = None) -> Text:
    """A window of ``text`` around the first of ``terms`` it holds (from its start when none), every word of
    ``highlight`` (default: ``terms``) highlighted. The window never starts later than the text's end allows: a text
    that fits is shown whole (민법 제194조 had been cut to "…차, 임치 기타의 관계로…" around its first match, whole
    as it fitted)."""
    start = 0
    if terms:
        m = re.search("|".join(map(re.escape, terms)), text)
        if m:
            start = max(0, min(m.start() - width // 4, len(text) - width))
    piece = text[start : start + width]
    out = Text(("…" if start > 0 else "") + piece + ("…" if start + width < len(text) else ""))
    shown = terms if highlight is None else highlight
    if shown:
        out.highlight_words(shown, style="bold yellow")
    return out
