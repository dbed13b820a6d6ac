"""Run the app under uvicorn, with safe defaults (loopback only unless asked, optional bearer token).

Usage::

    from legalret.serve.server import run
    run("idx/", host="127.0.0.1", port=8000, token=None)   # blocks; Ctrl+C stops

``idle_timeout`` (seconds) stops the server after that long without a request: the resident server that
``legalret search`` may start for itself (see :mod:`legalret.serve.resident`) goes away on its own.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time

from legalret.errors import LegalretError


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
        raise LegalretError(f"cannot listen on {host}:{port}: {e.strerror or e} (another server there? try --port)") from e
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def run(index_dir, *, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
        idle_timeout: float | None = None, log_level: str = "warning", on_ready=None) -> None:
    """Serve ``index_dir`` until interrupted (or idle for ``idle_timeout`` seconds).

    ``on_ready(port)`` is called once the index is loaded and the socket listens (the resident server
    writes its state file there)."""
    if not is_loopback(host) and not token:
        logging.getLogger("legalret.serve").warning(
            "serving on %s without a token: anyone who can reach this address can search (set --token or LEGALRET_TOKEN)", host)
    sock = bind(host, port)  # before the (slow) index load: a busy port fails at once
    server = build_server(index_dir, host=host, port=port, token=token, idle_timeout=idle_timeout, log_level=log_level)
    if on_ready is not None:
        on_ready(sock.getsockname()[1])
    server.run(sockets=[sock])


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
                logging.getLogger("legalret.serve").info("idle for %.0f s: stopping", idle_timeout)
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
