"""``legalret serve``: the index as a local web service (JSON API + web page) on a real ASGI server.

Examples::

    legalret serve --index idx/                          # http://127.0.0.1:8000/  (page), /docs (API)
    legalret serve --index idx/ --host 0.0.0.0 --token s3cret    # shared: every /api call needs the token
    LEGALRET_TOKEN=s3cret legalret serve --index idx/ --port 9000
    legalret serve --index idx/ --workers 2              # one worker process per core, one shared socket

After ``legalret index add --index idx/ …`` the server serves the new generation without a restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from legalret.progress import console


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)


def serve_command(
    index: Path = typer.Option(None, "--index", help="Index directory (default: $LEGALRET_INDEX or the cache dir)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; the default answers this machine only."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port (0: any free port)."),
    token: Optional[str] = typer.Option(None, "--token", help="Require 'Authorization: Bearer TOKEN' on /api (default: $LEGALRET_TOKEN)."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes (one per core); they share the index's memory-mapped files."),
    idle_timeout: float = typer.Option(0, "--idle-timeout", min=0, help="Stop after this many seconds without a request (0: never)."),
    state_file: Optional[Path] = typer.Option(None, "--state-file", hidden=True, help="Write pid/port here once ready (resident mode)."),
    log_level: str = typer.Option("warning", "--log-level", help="uvicorn log level: warning | info | debug."),
) -> None:
    """Serve the index: GET /api/search?q=…, /api/articles/{key}, /healthz, the web page at /, docs at /docs."""
    from legalret.config import default_index_dir
    from legalret.config import server_token
    from legalret.serve.server import is_loopback, run

    index = index or default_index_dir()
    token = token or server_token()
    if port:
        check_listen(host, port)  # a busy port or a bad --host: one line naming the cause, before the index loads

    def ready(bound_port: int) -> None:
        if state_file is not None:
            from legalret.serve.resident import write_state

            write_state(state_file, index=index, port=bound_port, token=token)
            return
        shown = f"[{host}]" if ":" in host else host
        procs = f", {workers} workers" if workers > 1 else ""
        console.print(f"serving {index} on http://{shown}:{bound_port}/{procs}  (API docs: /docs; Ctrl+C stops)", highlight=False)
        if not is_loopback(host) and not token:
            console.print("[yellow]note:[/] no --token: anyone who can reach this address can search", highlight=False)

    run(index, host=host, port=port, token=token, idle_timeout=idle_timeout or None, log_level=log_level, on_ready=ready,
        workers=workers)


def check_listen(host: str, port: int) -> None:
    """Raise the one-line :class:`LegalretError` of :func:`legalret.serve.server.listen_error` (a hint per cause)
    when ``host:port`` cannot be listened on. ``legalret serve`` and ``legalret mcp --http`` call it before they load
    the index or say where they listen; the probe socket is closed again at once."""
    from legalret.serve.server import bind

    bind(host, port).close()
