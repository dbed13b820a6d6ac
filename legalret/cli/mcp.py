"""``legalret mcp``: the index as a Model Context Protocol server for LLM agents.

Examples::

    legalret mcp                                   # stdio: what an MCP client (Claude Desktop, Cursor …) starts
    legalret mcp --index idx/
    legalret mcp --http --port 8001                # streamable HTTP at http://127.0.0.1:8001/mcp

Tools: search_statutes, get_article, check_citation, list_laws (see :mod:`legalret.serve.mcp_server`).
On stdio, stdout carries the protocol: everything else (the one-line start message, errors) goes to stderr.

An index that is missing, damaged or still being built does not stop the server (an MCP client shows a server
that exits at start as "disconnected", and nothing more): stderr says what is wrong in one line, the server
answers ``initialize`` and lists its tools, each tool call is a tool error with that line, and the first call once
the index is there is answered from it — no restart. A damaged index is announced as one that could not be opened,
with why (``(the index could not be opened: …/rows.json: corrupted index file …)``), not as "no index yet". A
``LEGALRET_HOME`` that cannot be used (a file, a folder that cannot be made) does not stop it either: stderr says so,
and each tool call answers with that line and "then start this server again" (the setting is read at start). A bad
command line still exits 2, a busy ``--port`` 1.
"""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp_command)


def mcp_command(
    index: Path = typer.Option(None, "--index", help="Index directory (default: $LEGALRET_INDEX or the cache dir)."),
    http: bool = typer.Option(False, "--http", help="Serve streamable HTTP (at /mcp) instead of stdio."),
    host: str = typer.Option("127.0.0.1", "--host", help="With --http: address to bind (default: this machine only)."),
    port: int = typer.Option(8001, "--port", min=1, max=65535, help="With --http: TCP port."),
    log_level: str = typer.Option("warning", "--log-level", help="Server log level (stderr): warning | info | debug."),
) -> None:
    """MCP server for LLM agents: search_statutes, get_article, check_citation, list_laws (stdio by default)."""
    from rich.console import Console
    from rich.markup import escape

    from legalret.cli.serve import check_listen
    from legalret.config import default_index_dir, legalret_home
    from legalret.errors import LegalretError
    from legalret.serve.mcp_server import create_mcp_server, index_problem, serving_note
    from legalret.serve.server import is_loopback

    err = Console(stderr=True, soft_wrap=True, emoji=False)  # stdout is the protocol channel on stdio; a note is one line
    unusable = None
    if index is None:
        try:
            index = default_index_dir()
        except LegalretError as e:  # LEGALRET_HOME a file, or a folder that cannot be made: had been exit 1 at start
            unusable = str(e)
            index = legalret_home(create=False) / "index"
    if http:
        check_listen(host, port)  # a busy port or a bad --host: serve's one line (exit 1), before anything is announced
    # (an index that cannot be opened now is no exit: the client would show "disconnected" and nothing more; each
    # tool call says what is wrong, and the index is used once it is there)
    server = create_mcp_server(index, log_level=log_level.upper(), missing_ok=True, problem=unusable)
    live = server.service.live
    problem = index_problem(live)
    if problem:  # the one line a person at a terminal reads (an MCP client's log has it too)
        err.print(f"[yellow]warning:[/] {escape(problem)}", highlight=False)
    served = serving_note(live)  # the generation, "no index yet", or that the index could not be opened, and why
    if not http:
        err.print(f"legalret MCP server on stdio over {escape(str(index))} ({served})", highlight=False)
        server.run()
        return
    if not is_loopback(host):
        err.print("[yellow]note:[/] the MCP endpoint has no token: anyone who can reach this address can search", highlight=False)
    shown = f"[{host}]" if ":" in host else host
    err.print(f"legalret MCP server on http://{escape(shown)}:{port}/mcp over {escape(str(index))} ({served}; Ctrl+C "
              "stops)", highlight=False)
    server.run("streamable-http", host=host, port=port)
