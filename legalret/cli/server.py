"""``legalret server status|stop``: the resident search servers that ``legalret search`` starts in a terminal.

Examples::

    legalret server status                 # pid, port, memory, age, index and settings of each one running
    legalret server status --json          # the same as JSON lines
    legalret server stop                   # stop every resident server of this LEGALRET_HOME
    legalret server stop --index idx/      # … or only this index's

A resident server also stops by itself after 15 idle minutes (``LEGALRET_RESIDENT_IDLE``); see
:mod:`legalret.serve.resident`. ``legalret serve`` (a server you run yourself) is not affected.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from legalret.progress import console


def register(app: typer.Typer) -> None:
    server = typer.Typer(help="The resident search servers `legalret search` starts in a terminal: list or stop them.",
                         no_args_is_help=True)
    app.add_typer(server, name="server")
    server.command("status")(status_command)
    server.command("stop")(stop_command)


def status_command(
    index: Optional[Path] = typer.Option(None, "--index", help="Only this index's servers (default: all)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per server on stdout."),
) -> None:
    """List the resident search servers running now (none: says so, exit 0)."""
    from legalret.serve.resident import running

    servers = _servers(running, index)
    if as_json:
        for s in servers:
            sys.stdout.write(json.dumps({"pid": s.pid, "url": s.url, "index": s.index, "settings": s.settings,
                                         "rss_mb": s.rss_mb, "started": s.started, "current_code": s.current_code},
                                        ensure_ascii=False) + "\n")
        return
    if not servers:
        others = len(_servers(running, None)) if index is not None else 0
        console.print(f"no resident search server is running for {index}"
                      + (f" ({others} for other indexes: `legalret server status` lists them)" if others else "")
                      if index is not None else "no resident search server is running", highlight=False)
        return
    for s in servers:
        memory = f"{s.rss_mb:,.0f} MB" if s.rss_mb is not None else "? MB"
        age = _age(time.time() - s.started)
        settings = " " + " ".join(f"{k}={v}" for k, v in s.settings.items()) if s.settings else ""
        stale = "" if s.current_code else "  (older legalret code: the next terminal search replaces it)"
        typer.echo(f"pid {s.pid}  {s.url}  {memory}  up {age}  {s.index}{settings}{stale}")


def stop_command(
    index: Optional[Path] = typer.Option(None, "--index", help="Only this index's servers (default: every one)."),
    stop_all: bool = typer.Option(False, "--all", help="Every resident server, whatever its index (the default)."),
) -> None:
    """Stop resident search servers now (they finish the request in hand, then exit)."""
    from legalret.errors import LegalretError
    from legalret.serve.resident import stop

    if stop_all and index is not None:  # (--index had been ignored without a word)
        raise LegalretError("give --all (every resident server) or --index (this index's), not both")
    target = None if stop_all else index
    n = _servers(stop, target)
    where = f" for {target}" if target is not None else ""
    console.print(f"stopped {n} resident search server{'s' if n != 1 else ''}{where}" if n
                  else f"no resident search server was running{where}", highlight=False)


def _servers(call, index):
    """``call(index)`` — where ``$LEGALRET_HOME/serve`` cannot be made (a read-only home, a file in the way) there is
    no resident server: a one-line error, not a traceback (a search there falls back to this process)."""
    from legalret.errors import LegalretError

    try:
        return call(index)
    except OSError as e:
        raise LegalretError(f"{e.filename or '$LEGALRET_HOME/serve'}: {e.strerror or e} (no resident server can run "
                            "under this LEGALRET_HOME)") from None


def _age(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
