"""A resident search server that ``legalret search`` starts on first use, reuses, and that stops when idle.

A cold ``legalret search`` spends seconds before its first answer — Kiwi's start-up alone is 3–4 s on the
project's 2-core machine — so every later search reuses one loaded process instead, the way build tools keep
a daemon. One server per index directory *and* per value of the settings that change results
(:data:`legalret.config.RESULT_SETTINGS`, e.g. ``LEGALRET_RANKER=none``): a shell with other settings gets its
own server, started with its environment, so a terminal search ranks exactly as a piped (in-process) one. For
the same reason a server started by other legalret code (before an upgrade, a ``git pull`` or an edit:
:func:`code_fingerprint`) is stopped and a new one started, with a one-line notice.
It listens on a free loopback port with a random bearer token; its address, token and settings are in
``$LEGALRET_HOME/serve/<key>.json`` (mode 0600), which it removes when it exits. It stops by itself after
:data:`IDLE_TIMEOUT_S` without a request (``LEGALRET_RESIDENT_IDLE`` overrides), or at ``legalret server
stop``; ``legalret server status`` lists the running ones. Starting one prints a one-line notice.

When the CLI uses it (:func:`legalret.config.use_resident`, from ``LEGALRET_RESIDENT``):

* ``on``  — always: start one if none is running;
* ``off`` — never (in-process search, as before);
* ``auto`` (the default) — when stdout is a terminal (a person typing), and not under CI; scripts, pipes
  and tests search in-process and never leave a process behind.

Usage::

    from legalret.serve.resident import connect, running, stop
    client = connect("idx/", notify=print)   # a running resident server, or one started now (waits until ready)
    client.search("유치권 간접점유")
    running()                                # [ResidentServer(pid, port, index, settings, rss_mb …)]
    stop("idx/")                             # ask this index's servers to stop now (SIGTERM); how many
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from legalret.errors import LegalretError
from legalret.processes import legalret_command
from legalret.serve.client import RESIDENT_HINT, ServerClient

IDLE_TIMEOUT_S = 15 * 60
#: How long the first search waits for the resident server to load the index.
START_TIMEOUT_S = 180.0
RESIDENT_ENV = "LEGALRET_RESIDENT"


def state_dir() -> Path:
    from legalret.config import legalret_home

    d = legalret_home() / "serve"
    d.mkdir(parents=True, exist_ok=True)
    return d


def state_path(index_dir: str | os.PathLike, settings: dict[str, str] | None = None) -> Path:
    """Where the resident server of ``index_dir`` under ``settings`` (default: this process's
    :func:`~legalret.config.result_settings`) keeps its state. The default settings keep the historical name."""
    from legalret.config import result_settings

    settings = result_settings() if settings is None else settings
    ident = str(Path(index_dir).expanduser().resolve())
    if settings:
        ident += "\0" + json.dumps(settings, sort_keys=True)
    key = hashlib.sha256(ident.encode("utf-8")).hexdigest()[:16]
    return state_dir() / f"{key}.json"


def code_fingerprint() -> str:
    """Which legalret code this process runs: the interpreter and every file of the package (path, size, mtime).
    A resident server records it; a search from other code — after an upgrade, a ``git pull``, an edit — does not
    reuse it (it would answer with the code it started with while a pipe answers with the new one). ~2 ms."""
    package = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(sys.executable.encode("utf-8", "surrogatepass"))
    for root, dirs, files in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            try:
                st = os.stat(os.path.join(root, name))
            except OSError:
                continue
            rel = os.path.relpath(os.path.join(root, name), package)
            h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:16]


def exports_fingerprint() -> str:
    """Which ONNX exports ``$LEGALRET_HOME/models/onnx`` holds (each folder's name and modification time). A server
    encodes queries with the export it found at its start, or with torch when there was none; after ``legalret
    index export`` writes one, a pipe encodes with it (scores differ in the 6th decimal) while the server kept
    torch, so a server started before is not reused. ~0.1 ms."""
    from legalret.config import onnx_export_root

    root = onnx_export_root()
    h = hashlib.sha256()
    try:
        folders = sorted((e for e in os.scandir(root) if not e.name.startswith(".")), key=lambda e: e.name)
    except OSError:  # no export written yet
        folders = []
    for entry in folders:  # ('.name.xyz': an export being written; it appears under its name when complete)
        try:
            h.update(f"{entry.name}\0{entry.stat().st_mtime_ns}\n".encode("utf-8", "surrogatepass"))
        except OSError:  # removed meanwhile
            continue
    return h.hexdigest()[:16]


def write_state(path: Path, *, index, port: int, token: str | None) -> None:
    """Written by the server once it listens; removed by it at exit (atexit), if still its own."""
    import atexit

    from legalret.config import result_settings

    path = Path(path)
    state = {"pid": os.getpid(), "port": port, "host": "127.0.0.1", "token": token,
             "index": str(Path(index).resolve()), "started": time.time(), "settings": result_settings(),
             "code": code_fingerprint(), "exports": exports_fingerprint(), "proc_start": _proc_start(os.getpid())}
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(state, f)
    os.replace(tmp, path)

    def cleanup():
        current = read_state(path)
        if current is not None and current.get("pid") == os.getpid():
            path.unlink(missing_ok=True)

    atexit.register(cleanup)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal under the handler it found; the
    # default handler would kill the process before atexit runs, so make SIGTERM a normal exit. Only over the
    # default: with --workers the supervisor's own handler is in place, and an exit raised inside its loop skipped
    # stopping the workers — the supervisor then waited on them for ever and they outlived it.
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))


def read_state(path: Path) -> dict | None:
    try:
        state = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and isinstance(state.get("port"), int) else None


def _proc_start(pid) -> int | None:
    """When process ``pid`` started (clock ticks since boot, Linux ``/proc``), None where unknown: with the pid it
    names one process, where a pid alone may be reused by another after the server died (a crash, a reboot)."""
    try:
        stat = Path(f"/proc/{int(pid)}/stat").read_text()
        return int(stat[stat.rindex(")") + 2 :].split()[19])  # field 22; the name in (…) may hold spaces
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid, proc_start: int | None = None) -> bool:
    """Whether ``pid`` runs — and, given the ``proc_start`` its state recorded, is still that process (a stale state
    file whose pid another program now has had been 'running': `server stop` sent that program SIGTERM)."""
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError, TypeError):
        return False
    return proc_start is None or _proc_start(pid) in (None, proc_start)


#: How long a search waits for a resident server of other code to exit before starting its own.
RETIRE_WAIT_S = 10.0


def find(index_dir, *, notify=None) -> ServerClient | None:
    """The resident server for ``index_dir`` if one is running this code and answers, else None (stale state
    removed; a server of other code — see :func:`code_fingerprint` — or of other ONNX exports —
    :func:`exports_fingerprint` — is stopped, and ``notify`` told so)."""
    path = state_path(index_dir)
    state = read_state(path)
    if state is None:
        return None
    if not _alive(state.get("pid"), state.get("proc_start")):
        path.unlink(missing_ok=True)
        return None
    outdated = ("runs the legalret code it started with, which has changed since"
                if state.get("code") != code_fingerprint() else
                "encodes queries as it did at its start, before an ONNX export was written or removed (legalret index "
                "export)" if state.get("exports") != exports_fingerprint() else None)
    if outdated is not None:
        if notify is not None:
            notify(f"the resident search server for {index_dir} {outdated}; starting it again")
        _retire(int(state["pid"]), path)
        return None
    client = ServerClient(f"http://127.0.0.1:{state['port']}", token=state.get("token"), hint=RESIDENT_HINT)
    try:
        client.health(timeout=2.0)
    except LegalretError:
        return None
    return client


def start(index_dir, *, idle_timeout: float | None = None, timeout: float = START_TIMEOUT_S,
          notify=None) -> ServerClient:
    """Start a resident server for ``index_dir`` in the background and wait until it answers.

    ``notify(line)`` is told once, when a new server is really started (not when one was already running)."""
    import fcntl

    index_dir = Path(index_dir)
    path = state_path(index_dir)
    lock_path = path.with_suffix(".lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two first searches at once start one server, not two
        client = find(index_dir)
        if client is not None:
            return client
        silent = read_state(path)
        if silent is not None and _alive(silent.get("pid"), silent.get("proc_start")):
            # alive but not answering (find's health check): asked to stop, as the state file is about to name the
            # new one — it had been left running unlisted, out of `server stop`'s reach
            try:
                os.kill(int(silent["pid"]), signal.SIGTERM)
            except (OSError, ValueError, TypeError):
                pass
        from legalret.config import resident_idle_seconds

        idle = idle_timeout or resident_idle_seconds(IDLE_TIMEOUT_S)
        log_path = path.with_suffix(".log")
        # the server runs this process's legalret, wherever it is started from (a server of other code would be
        # replaced, with a cold start and a notice, at every terminal search); the folder the state is keyed and
        # labelled by: a symlink repointed later must not move the server
        cmd, env = legalret_command("serve", "--index", str(index_dir.expanduser().resolve()), "--port", "0",
                                    "--idle-timeout", str(idle), "--state-file", str(path),
                                    env=dict(os.environ, LEGALRET_TOKEN=secrets.token_urlsafe(24),
                                             LEGALRET_RESIDENT="off"))
        if notify is not None:
            notify(start_notice(index_dir, idle))
        with open(log_path, "ab") as log:
            since = log.tell()  # the log is appended to: an exit at start quotes this start's lines, not older ones
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                    start_new_session=True, close_fds=True)
        try:
            return _wait_for(proc, path, log_path, since, timeout)
        except BaseException:  # Ctrl-C (or any failure) while it starts: a server nobody waits for is not left running
            if proc.poll() is None:  # unlisted until it listens, out of `server stop`'s reach for 15 idle minutes
                proc.terminate()
            raise


def _wait_for(proc, path: Path, log_path: Path, since: int, timeout: float) -> ServerClient:
    """The client of the server ``proc`` once it listens (its state written at ``path``) and answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = read_state(path)
        if state is not None and state.get("pid") == proc.pid:
            client = ServerClient(f"http://127.0.0.1:{state['port']}", token=state.get("token"), hint=RESIDENT_HINT)
            try:
                client.health(timeout=timeout)
                return client
            except LegalretError:
                pass
        if proc.poll() is not None:
            tail = _tail(log_path, since=since)
            raise LegalretError(f"the resident search server exited at start (code {proc.returncode}): {tail}")
        time.sleep(0.05)
    proc.terminate()
    raise LegalretError(f"the resident search server did not start within {timeout:.0f} s (log: {log_path})")


def _retire(pid: int, path: Path) -> None:
    """Stop a resident server (SIGTERM; it finishes the request in hand) and wait for it to exit, so that the one
    started next is the only one for its index."""
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        pass
    deadline = time.monotonic() + RETIRE_WAIT_S
    while _alive(pid) and time.monotonic() < deadline:
        try:  # our own child only when this process started it; otherwise this just polls
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.05)
    current = read_state(path)
    if current is not None and current.get("pid") == pid:
        path.unlink(missing_ok=True)


#: The memory a resident server holds, as its start line, ``legalret search --help`` and the README say it: measured
#: by ``legalret server status`` on the main job's index (민법+상법, 2,381 articles) at 513–556 MB over a session's
#: searches (peak RSS 596 MB after five --explain searches). The start line had said "≈1 GB".
MEMORY = "≈0.5–0.7 GB"


def start_notice(index_dir, idle_seconds: float) -> str:
    """The one line a person sees when ``legalret search`` starts a resident server."""
    idle = f"{idle_seconds / 60:.0f} idle minutes" if idle_seconds >= 90 else f"{idle_seconds:.0f} idle seconds"
    return (f"starting a resident search server for {index_dir} ({MEMORY} while it runs; it stops after {idle} — "
            "`legalret server stop` ends it now, `legalret server status` shows it, LEGALRET_RESIDENT=off searches "
            "without it)")


class ResidentUnavailable(LegalretError):
    """No resident server could be found or started (a read-only or full ``$LEGALRET_HOME``, a server that exits at
    start): the caller searches in its own process instead."""


def connect(index_dir, *, notify=None) -> ServerClient:
    """A running resident server for ``index_dir``, or a new one (``notify``: see :func:`start`).

    The index is checked first (one ``stat`` and a small JSON read): a missing index is the usual one-line
    error, and a server left over from a deleted index is stopped rather than asked. Anything else that keeps a
    server from answering is :class:`ResidentUnavailable` (a terminal search had been a PermissionError traceback
    with a read-only home, where the same search in a pipe worked)."""
    from legalret.index.store import current_generation

    try:
        current_generation(index_dir)
    except LegalretError:
        try:
            stop(index_dir)
        except OSError:
            pass
        raise
    try:
        return find(index_dir, notify=notify) or start(index_dir, notify=notify)
    except OSError as e:
        raise ResidentUnavailable(f"{e.filename or '$LEGALRET_HOME/serve'}: {e.strerror or e}") from e
    except LegalretError as e:
        raise ResidentUnavailable(str(e)) from e


@dataclass
class ResidentServer:
    """A running resident server, as ``legalret server status`` lists it."""

    pid: int
    port: int
    index: str
    settings: dict
    started: float
    state_file: Path
    rss_mb: float | None  # resident memory now (Linux /proc), None where unknown
    current_code: bool = True  # started by the legalret code this process runs (else the next search replaces it)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def running(index_dir=None) -> list[ResidentServer]:
    """The resident servers alive now (of ``index_dir`` only, when given); stale state files are removed."""
    want = str(Path(index_dir).expanduser().resolve()) if index_dir is not None else None
    out = []
    for path in sorted(state_dir().glob("*.json")):
        state = read_state(path)
        if state is None:
            continue
        if not _alive(state.get("pid"), state.get("proc_start")):
            path.unlink(missing_ok=True)
            continue
        if want is not None and state.get("index") != want:
            continue
        out.append(ResidentServer(int(state["pid"]), state["port"], str(state.get("index", "?")),
                                  state.get("settings") or {}, float(state.get("started") or 0), path,
                                  _rss_mb(state["pid"]), state.get("code") == code_fingerprint()))
    return out


def stop(index_dir=None) -> int:
    """Ask the resident servers of ``index_dir`` (every setting; all of them when None) to stop (SIGTERM).

    Returns how many were running. Each removes its state file on its way out."""
    stopped = 0
    for server in running(index_dir):
        try:
            os.kill(server.pid, signal.SIGTERM)
            stopped += 1
        except OSError:
            pass
    return stopped


def _rss_mb(pid) -> float | None:
    try:
        for line in Path(f"/proc/{int(pid)}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _tail(path: Path, lines: int = 3, since: int = 0) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(since)
            text = f.read().decode("utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:]) or "(empty log)"
