"""``legalret serve`` and ``legalret mcp --http`` when they cannot listen: one line naming the cause, exit 1,
nothing announced first (``mcp --http`` printed its address, then uvicorn's ``ERROR: [Errno 98]``, exit 3)."""

import errno
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.errors import LegalretError  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from legalret.index import build_index

    idx = tmp_path_factory.mktemp("serve_cli") / "idx"
    build_index(sup.articles(), idx, model="none")
    return idx


@pytest.fixture()
def busy_port():
    """A port something already listens on."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    yield holder.getsockname()[1]
    holder.close()


def _legalret(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "LEGALRET_RESIDENT": "off", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "COLUMNS": "300"}
    return subprocess.run([sys.executable, "-m", "legalret", *args], capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=str(REPO), stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("command", [["serve"], ["mcp", "--http"]])
def test_a_busy_port_is_one_line_exit_1(index, busy_port, command):
    r = _legalret(*command, "--index", str(index), "--port", str(busy_port))
    out = (r.stdout + r.stderr).strip()
    assert r.returncode == 1, out
    assert out == f"error: cannot listen on 127.0.0.1:{busy_port}: Address already in use (another server there? try --port)"


@pytest.mark.parametrize("command", [["serve"], ["mcp", "--http"]])
def test_a_bad_host_says_check_host(index, command):
    r = _legalret(*command, "--index", str(index), "--host", "999.1.1.1", "--port", "8799")
    out = (r.stdout + r.stderr).strip()
    assert r.returncode == 1 and "\n" not in out, out
    assert out.startswith("error: cannot listen on 999.1.1.1:8799: ") and "(check --host" in out
    assert "another server" not in out and "try --port" not in out


@pytest.mark.parametrize(
    "error, hint",
    [
        (OSError(errno.EADDRINUSE, "Address already in use"), "(another server there? try --port)"),
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "(check --host: a name or address of this machine"),
        (OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address"), "(check --host: not an address of this machine)"),
        (OSError(errno.EACCES, "Permission denied"), "(ports below 1024 need privileges: try --port 8000)"),
        (OSError(errno.EINVAL, "Invalid argument"), "Invalid argument"),  # no hint rather than a wrong one
    ],
)
def test_a_socket_that_cannot_listen_gets_the_hint_of_its_cause(monkeypatch, error, hint):
    """One wording for `legalret serve`'s pre-check and for the bind itself (listen_error)."""
    import legalret.serve.server as server_mod
    from legalret.cli.serve import check_listen

    class FailingSocket:
        def __init__(self, *a, **kw):
            pass

        def setsockopt(self, *a):
            pass

        def bind(self, address):
            raise error

        def close(self):
            pass

    monkeypatch.setattr(server_mod.socket, "socket", FailingSocket)
    with pytest.raises(LegalretError) as e:
        check_listen("127.0.0.1", 80)
    message = str(e.value)
    assert message.startswith(f"cannot listen on 127.0.0.1:80: {error.strerror}") and hint in message
    assert message.count("(") <= 1 and "\n" not in message


def test_check_listen_passes_a_free_port_and_leaves_it_free():
    from legalret.cli.serve import check_listen

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    check_listen("127.0.0.1", port)
    again = socket.socket()
    again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    again.bind(("127.0.0.1", port))  # the probe let go of it: the server binds it next
    again.close()


def test_an_idle_timeout_says_why_the_server_stops(index):
    """`--idle-timeout` ended the server without a word at the default log level (the message was at info)."""
    done = _legalret("serve", "--index", str(index), "--port", "0", "--idle-timeout", "1", timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "no request for 1 s (--idle-timeout): stopping" in done.stderr
