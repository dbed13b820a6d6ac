"""Run the app under uvicorn, with safe defaults (loopback only unless asked, optional bearer token).

Usage::

    from legalret.serve.server import run
    run("idx/", host="127.0.0.1", port=8000, token=None)   # blocks; Ctrl+C stops
    run("idx/", workers=2)                                   # two processes answering on one socket

``workers`` > 1: uvicorn's process supervisor runs that many worker processes on the one listening socket
(the kernel hands each connection to one of them). Each worker opens the same generation: the precedent
memories' arrays (the bulk of an index) are memory-mapped read-only, so their pages sit once in the page cache,
shared by every worker; what each worker holds alone is the Python heap, Kiwi's model and the query encoder
(measured: ``benchmarks/serve_load.py --workers 1,2``). Each worker follows ``CURRENT`` itself
(:class:`~legalret.serve.live.LiveSearcher`): after ``legalret index add`` every worker swaps its searcher in
one assignment, so a request is answered wholly from the old or wholly from the new generation, never a mix
(the workers may switch a moment apart; ``/healthz`` says which generation answered). The search lock is per
generation, so per worker: two workers search two queries at once.

``idle_timeout`` (seconds) stops the server after that long without a request: the resident server that
``legalret search`` may start for itself (see :mod:`legalret.serve.resident`) goes away on its own.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from legalret.errors import LegalretError
from legalret.processes import legalret_command


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_server(index_dir, *, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
                 idle_timeout: float | None = None, log_level: str = "warning", warm: bool = True):
    """A configured ``uvicorn.Server`` (not started). Loads and warms the index first (errors surface here)."""
    import uvicorn

    from legalret.serve.app import create_app
    from legalret.serve.protocol import MAX_REQUEST_BYTES, JsonErrorProtocol

    app = create_app(index_dir, token=token, warm=warm)
    if idle_timeout:
        _add_idle_tracker(app)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False,
                            server_header=False, timeout_graceful_shutdown=5, lifespan="off",
                            http=JsonErrorProtocol, h11_max_incomplete_event_size=MAX_REQUEST_BYTES)
    server = uvicorn.Server(config)
    if idle_timeout:
        _watch_idle(server, app, idle_timeout)
    return server


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one), or a one-line error (port in use …).

    Bound here rather than by uvicorn, which logs and calls ``sys.exit`` on a busy port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit TCP_NODELAY on Linux. Without it a keep-alive client waits ~40 ms per request
    # (Nagle + delayed ACK: uvicorn writes headers and body separately): measured 42–50 ms on every other request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise LegalretError(listen_error(host, port, e)) from e
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def listen_error(host: str, port: int, e: OSError) -> str:
    """The one line for a socket that cannot listen on ``host:port``, with a hint per cause: the address in use
    (another server there? try --port), a host that does not resolve or is not this machine's (check --host), a port
    that needs privileges."""
    import errno

    if isinstance(e, socket.gaierror):
        hint = "check --host: a name or address of this machine, such as 127.0.0.1 or 0.0.0.0"
    elif e.errno == errno.EADDRINUSE:
        hint = "another server there? try --port"
    elif e.errno == errno.EADDRNOTAVAIL:
        hint = "check --host: not an address of this machine"
    elif e.errno == errno.EACCES:
        hint = "ports below 1024 need privileges: try --port 8000" if port < 1024 else "not allowed here: try --port"
    else:
        hint = ""
    shown = f"[{host}]" if ":" in host else host
    return f"cannot listen on {shown}:{port}: {e.strerror or e}" + (f" ({hint})" if hint else "")


def run(index_dir, *, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
        idle_timeout: float | None = None, log_level: str = "warning", on_ready=None, workers: int = 1) -> None:
    """Serve ``index_dir`` until interrupted (or idle for ``idle_timeout`` seconds; one worker only).

    ``on_ready(port)`` is called once the index is loaded (by every worker) and the socket listens (the
    resident server writes its state file there)."""
    if not is_loopback(host) and not token:
        logging.getLogger("legalret.serve").warning(
            "serving on %s without a token: anyone who can reach this address can search (set --token or LEGALRET_TOKEN)", host)
    if workers < 1:
        raise LegalretError(f"--workers: {workers}; give 1 or more")
    if workers > 1 and idle_timeout:
        raise LegalretError("--idle-timeout works with one worker only (the resident server's mode)")
    sock = bind(host, port)  # before the (slow) index load: a busy port fails at once
    if workers > 1:
        _run_workers(index_dir, sock, workers=workers, token=token, log_level=log_level, on_ready=on_ready)
        return
    server = build_server(index_dir, host=host, port=port, token=token, idle_timeout=idle_timeout, log_level=log_level)
    if on_ready is not None:
        on_ready(sock.getsockname()[1])
    server.run(sockets=[sock])


def _run_workers(index_dir, sock: socket.socket, *, workers: int, token: str | None, log_level: str, on_ready) -> None:
    """``workers`` uvicorn worker processes on ``sock``, each creating the app (and opening the index) itself."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from legalret.index.store import current_generation
    from legalret.serve.protocol import MAX_REQUEST_BYTES, JsonErrorProtocol

    current_generation(index_dir)  # a missing index: one line here, not a traceback from every worker
    # The factory is pickled to each spawned worker: a partial of a module-level function pickles by name.
    factory = functools.partial(worker_app, str(Path(index_dir)), token=token, supervisor=os.getpid())
    config = uvicorn.Config(factory, factory=True, workers=workers, log_level=log_level, access_log=False,
                            server_header=False, timeout_graceful_shutdown=5, lifespan="off",
                            http=JsonErrorProtocol, h11_max_incomplete_event_size=MAX_REQUEST_BYTES)
    # A worker answers the supervisor's health pings from a thread while it loads; give the load time.
    config.timeout_worker_healthcheck = max(getattr(config, "timeout_worker_healthcheck", 5), 30)
    port = sock.getsockname()[1]

    class Workers(Multiprocess):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            # uvicorn only queues a signal for its main loop, which runs after start-up: Ctrl+C while the
            # workers load the index would wait for them. Stop the wait at once (the loop then shuts down).
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda signum, frame: (self.signal_queue.append(signum), self.should_exit.set()))

        def init_processes(self) -> None:
            super().init_processes()
            # ready = every worker has loaded the index and serves (or one failed: the supervisor stops)
            if all(p.wait_until_ready(WORKER_START_TIMEOUT_S, self.should_exit) for p in self.processes):
                if on_ready is not None:
                    on_ready(port)

    Workers(config, sockets=[sock]).run()


def worker_app(index_dir: str, *, token: str | None, supervisor: int):
    """The app of one ``--workers`` worker (uvicorn calls this factory in each worker it spawns). The worker first
    asks for SIGTERM when its supervisor dies: a ``kill -9`` of the supervisor had left its workers serving the port,
    reparented to init (SIGTERM and Ctrl+C were always passed on)."""
    from legalret.processes import die_with_parent
    from legalret.serve.app import create_app

    die_with_parent(signal.SIGTERM, parent=supervisor)
    return create_app(index_dir, token=token)


#: How long ``--workers`` waits for each worker to load the index before it reports ready.
WORKER_START_TIMEOUT_S = 300.0


def _add_idle_tracker(app) -> None:
    app.state.last_request = time.monotonic()

    @app.middleware("http")
    async def _touch(request, call_next):
        app.state.last_request = time.monotonic()
        try:
            return await call_next(request)
        finally:
            app.state.last_request = time.monotonic()


def _watch_idle(server, app, idle_timeout: float) -> None:
    def watch():
        while not server.should_exit:
            time.sleep(min(5.0, idle_timeout / 4))
            if time.monotonic() - app.state.last_request > idle_timeout:
                # (at warning level: the default log level showed nothing, and the server just ended)
                logging.getLogger("legalret.serve").warning("no request for %.0f s (--idle-timeout): stopping",
                                                            idle_timeout)
                server.should_exit = True

    threading.Thread(target=watch, name="legalret-idle", daemon=True).start()



class BackgroundServer:
    """A real uvicorn server on a free loopback port in a thread (tests, benchmarks).

    Usage::

        with BackgroundServer("idx/") as srv:
            httpx.get(srv.url + "/healthz")
    """

    def __init__(self, index_dir, *, token: str | None = None, host: str = "127.0.0.1", warm: bool = True):
        self.sock = bind(host, 0)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self.server = build_server(index_dir, host=host, port=self.port, token=token, warm=warm)
        self.server.config.install_signal_handlers = False  # not the main thread
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, name="legalret-serve", daemon=True)

    @property
    def app(self):
        return self.server.config.app

    def start(self, timeout: float = 30.0) -> "BackgroundServer":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class ServerProcess:
    """``legalret serve`` in a child process (tests, benchmarks: ``--workers`` needs a process of its own).

    Usage::

        with ServerProcess("idx/", workers=2) as srv:      # returns once every worker serves
            httpx.get(srv.url + "/healthz")
            srv.worker_pids()                               # the worker processes (for RSS)
    """

    def __init__(self, index_dir, *, workers: int = 1, token: str | None = None, env: dict | None = None,
                 timeout: float = WORKER_START_TIMEOUT_S):
        self.index_dir, self.workers, self.timeout = Path(index_dir), workers, timeout
        self._tmp = tempfile.TemporaryDirectory(prefix="legalret-serve-")
        self.state = Path(self._tmp.name) / "state.json"
        self.log = Path(self._tmp.name) / "server.log"
        self._env = {**os.environ, "LEGALRET_RESIDENT": "off", **(env or {})}
        if token:
            self._env["LEGALRET_TOKEN"] = token
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> "ServerProcess":
        cmd, env = legalret_command("serve", "--index", str(self.index_dir), "--port", "0", "--workers",
                                    str(self.workers), "--state-file", str(self.state), env=self._env)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + self.timeout
        while not self.state.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                said = self.log.read_text(errors="replace")[-2000:]  # before stop() removes the folder it is in
                self.stop()
                raise RuntimeError(f"legalret serve did not start: {said}")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{json.loads(self.state.read_text())['port']}"
        return self

    def worker_pids(self) -> list[int]:
        """The processes answering requests: the worker children with ``--workers`` > 1, else the server."""
        if self.workers == 1:
            return [self.proc.pid]
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        pids = []
        for pid in map(int, children):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            if b"resource_tracker" not in cmdline:  # multiprocessing's helper, not a worker
                pids.append(pid)
        return pids

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._tmp.cleanup()

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
