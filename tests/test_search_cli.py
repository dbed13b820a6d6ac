"""`legalret index build|add|info` and `legalret search` through the CLI — and `legalret search` answered by a
server (LEGALRET_SERVER, a resident server) with the same table / JSON as in-process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.articles import write_articles  # noqa: E402
from legalret.cli import app  # noqa: E402
from legalret.errors import LegalretError  # noqa: E402
from legalret.index import build_index  # noqa: E402
from legalret.serve import resident  # noqa: E402
from legalret.serve.server import BackgroundServer  # noqa: E402
from terminal_support import at_terminal, in_pipe, json_hits, notes, plain, shell_env  # noqa: E402
from ranked_s19trim import in_process  # noqa: E402

runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    index = d / "idx"
    r = runner.invoke(app, ["index", "build", str(sup.ARTICLES), "--index", str(index), "--model", str(sup.tiny_model_dir()), "--json"])
    assert r.exit_code == 0, r.output
    return d, index


def test_build_reports_counts_as_json(built):
    d, index = built
    r = runner.invoke(app, ["index", "info", "--index", str(index), "--json"])
    assert r.exit_code == 0
    manifest = json.loads(r.stdout)
    assert manifest["counts"]["articles"] == 15 and manifest["encoder"]["dim"] == sup.tiny_encoder().dim


def test_add_prints_added_changed_removed_unchanged(built):
    d, index = built
    arts = [a for a in sup.articles() if a.law == "상법"]
    arts[0] = sup.amended(arts[0], "상사에 관하여 본법에 규정이 없으면 상관습법에 의한다.")
    src = d / "amended.jsonl"
    write_articles(src, arts[:-1])  # 상법 re-ingested without its last article
    r = runner.invoke(app, ["index", "add", str(src), "--index", str(index), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert (report["added"], report["changed"], report["removed"], report["unchanged"]) == (0, 1, 1, len(arts) - 2)
    assert report["encoded"] == 1


def test_search_json_lines_and_table(built):
    d, index = built
    r = runner.invoke(app, ["search", "유치권을 행사", "--index", str(index), "-k", "3", "--mode", "bm25", "--json"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.strip().splitlines()]
    assert lines[0]["key"] == "민법 제320조" and lines[0]["rank"] == 1 and "text" in lines[0]
    r = runner.invoke(app, ["search", "민법 750조 1항", "--index", str(index), "-k", "2", "--explain"])
    assert r.exit_code == 0 and "민법 제750조" in r.stdout and "exact citation" in r.stdout
    r = runner.invoke(app, ["search", "보험 해지", "--index", str(index), "--law", "상법", "--kind", "법률"])
    assert r.exit_code == 0 and "상법" in r.stdout
    # --law repeated is both laws, as the comma-separated list is (the last one alone had been kept, without a word)
    both = ["search", "점유 보험", "--index", str(index), "--mode", "bm25", "--json", "-k", "20"]
    repeated = runner.invoke(app, [*both, "--law", "민법", "--law", "상법"])
    listed = runner.invoke(app, [*both, "--law", "민법,상법"])
    assert repeated.exit_code == listed.exit_code == 0 and repeated.stdout == listed.stdout
    assert {json.loads(line)["law"] for line in repeated.stdout.splitlines()} == {"민법", "상법"}


def test_search_dash_reads_the_question_from_stdin(built):
    """``legalret search -``: a scenario of several lines from a file or a pipe, answered as the same text given as
    an argument; bytes that are not UTF-8 are a one-line error naming the line and the byte."""
    d, index = built
    scenario = "갑은 을에게 물건을 맡겼다.\n을은 수리비를 받을 때까지\n그 물건을 돌려주지 않겠다고 한다. 유치권을 행사할 수 있는가?\n"
    args = ["--index", str(index), "-k", "3", "--json"]
    piped = runner.invoke(app, ["search", "-", *args], input=scenario.encode("utf-8"))
    given = runner.invoke(app, ["search", scenario, *args])
    assert piped.exit_code == 0 and given.exit_code == 0, piped.output
    assert json_hits(piped.stdout) == json_hits(given.stdout) and json_hits(piped.stdout)[0][0] == "민법 제320조"
    bad = runner.invoke(app, ["search", "-", *args], input="유치권\n".encode("utf-8") + b"\xff\xfe")
    assert isinstance(bad.exception, LegalretError) and str(bad.exception) == (
        "<stdin>:2: the question is not UTF-8 (byte 0xff at offset 10); give it in UTF-8 (cp949/EUC-KR text: "
        "`iconv -f cp949 -t utf-8 FILE | legalret search -`)")
    # UTF-16 with its byte-order mark (Windows' "Unicode" text) is read as such; it had been "byte 0xff … not UTF-8"
    utf16 = runner.invoke(app, ["search", "-", *args], input=scenario.encode("utf-16"))
    assert utf16.exit_code == 0 and json_hits(utf16.stdout) == json_hits(given.stdout), utf16.output
    empty = runner.invoke(app, ["search", "-", *args], input=b"  \n")
    assert isinstance(empty.exception, LegalretError) and "empty query" in str(empty.exception)


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", "   "], "empty query"),
        (["search", "유치권", "--law", "형법"], "unknown law filter"),
        (["search", "유치권", "--mode", "magic"], "unknown search mode"),
    ],
)
def test_search_errors(built, args, message):
    d, index = built
    r = runner.invoke(app, args + ["--index", str(index)])
    assert isinstance(r.exception, LegalretError) and message in str(r.exception)


def test_missing_index_is_one_line_error_exit_1(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "legalret", "search", "유치권", "--index", str(tmp_path / "nope")],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200", "LEGALRET_RESIDENT": "off"},
    )
    assert proc.returncode == 1
    # one message (rich may soft-wrap it at the terminal width), no traceback
    assert "no index" in proc.stderr.replace("\n", "") and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error:") and proc.stderr.count("error:") == 1


@pytest.mark.parametrize("args, message", [
    (["search"], "error: Missing argument 'query'. (see `python -m legalret search --help`)"),
    (["search", "-k", "many", "유치권"], "error: Invalid value for '-k' / '--top-k'"),
    (["serch", "유치권"], "error: No such command 'serch'. Did you mean 'search'"),
    (["index", "build", "--bogus"], "error: No such option: --bogus"),
])
def test_usage_errors_are_one_line_exit_2(args, message):
    """typer draws a usage error as a box; the command prints it as one line, like its other errors."""
    proc = subprocess.run([sys.executable, "-m", "legalret", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "300", "LEGALRET_RESIDENT": "off"},
                          stdin=subprocess.DEVNULL)  # (a pipe on stdin adds how to read a question from it)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(message) and proc.stderr.count("\n") == 1, proc.stderr


def test_a_group_alone_shows_its_help():
    proc = subprocess.run([sys.executable, "-m", "legalret", "index"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LEGALRET_RESIDENT": "off"})
    assert "legalret index" in proc.stdout and "build" in proc.stdout and "error" not in proc.stdout.lower()


# ---- server / resident -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    idx = tmp_path_factory.mktemp("cli") / "idx"
    build_index(sup.articles(), idx, model="none")
    return idx


@pytest.fixture(scope="module")
def server(index):
    with BackgroundServer(index, token="tok") as srv:
        yield srv


def _run(args, env):
    full = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "160", **env}
    return runner.invoke(app, args, env=full, catch_exceptions=False)


@pytest.mark.parametrize("extra", [["--json"], ["--json", "--explain"], [], ["--explain"], ["--law", "민법", "-k", "2"]])
def test_server_output_equals_in_process(index, server, extra):
    args = ["search", "간접점유 점유권", *extra]
    local = _run([*args, "--index", str(index)], {})
    # the server answers when no --index names another index (LEGALRET_INDEX is the same index here)
    remote = _run(args, {"LEGALRET_SERVER": server.url, "LEGALRET_TOKEN": "tok", "LEGALRET_INDEX": str(index)})
    assert local.exit_code == 0 and remote.exit_code == 0, (local.output, remote.output)
    assert remote.output == local.output
    assert "민법 제194조" in local.output
    if "--json" in extra:
        first = json.loads(local.output.splitlines()[0])
        assert first["rank"] == 1 and first["key"] == "민법 제194조" and "citation" not in first


def test_an_explicit_index_is_searched_here_not_through_the_server(index, server):
    """LEGALRET_SERVER answered for whatever --index said (a server does not say which index it serves): now an
    explicit --index is searched in-process, with a note. The wrong token proves the server was not asked."""
    args = ["search", "간접점유 점유권", "--index", str(index), "--json"]
    r = runner.invoke(app, args, env={"LEGALRET_SERVER": server.url, "LEGALRET_TOKEN": "wrong", "LEGALRET_RESIDENT": "off"})
    assert r.exit_code == 0, r.output
    assert "--index given: searching" in r.stderr and "not through LEGALRET_SERVER" in r.stderr
    assert json.loads(r.stdout.splitlines()[0])["key"] == "민법 제194조"


def _error(args, env) -> str:
    full = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", **env}
    r = runner.invoke(app, args, env=full)
    assert isinstance(r.exception, LegalretError), r.output  # main() prints it as one red line, exit 1
    message = str(r.exception)
    assert "\n" not in message
    return message


def test_server_errors_are_one_line(index, server):
    msg = _error(["search", "점유", "--law", "형법"], {"LEGALRET_SERVER": server.url, "LEGALRET_TOKEN": "tok"})
    assert "unknown law filter '형법'" in msg and "HTTP 400" in msg
    msg = _error(["search", "점유"], {"LEGALRET_SERVER": server.url, "LEGALRET_TOKEN": "wrong"})
    assert "bearer token" in msg and "HTTP 401" in msg
    msg = _error(["search", "점유"], {"LEGALRET_SERVER": "http://127.0.0.1:9"})
    assert "cannot reach the legalret server at http://127.0.0.1:9" in msg and "unset LEGALRET_SERVER" in msg
    from legalret.integrations.langchain import LegalretRetriever

    with pytest.raises(LegalretError) as e:  # the URL came from the argument: no environment variable to unset
        LegalretRetriever(server_url="http://127.0.0.1:9").invoke("점유")
    assert "give the server_url it listens on" in str(e.value) and "LEGALRET_SERVER" not in str(e.value)


#: Over the query limit, cut right after a space (4,000 = 500 × 8: the in-process cut keeps the space, which a server
#: strips from a text sent cut) and in the middle of a word; megabytes, over the server's body limit.
LONG_QUERIES = {"after a space": "임대차 보증금 " * 150_000, "in a word": "간접점유 점유권 " * 600}


@pytest.mark.parametrize("name", list(LONG_QUERIES))
def test_a_query_over_the_limit_through_a_server_is_answered_as_in_process(index, server, name):
    """A pasted megabyte through LEGALRET_SERVER, a terminal's resident server or a LangChain ``server_url`` met the
    server's body limit and read "cannot reach the legalret server … the resident search server stopped", where a
    pipe searched its first 4,000 characters with a notice. The client cuts it as the searcher does: same hits,
    same notices, same text searched."""
    from legalret.config import MAX_QUERY_CHARS, query_cut_note
    from legalret.integrations.langchain import LegalretRetriever
    from legalret.serve.client import ServerClient
    from legalret.serve.statutes import StatuteService

    query = LONG_QUERIES[name]
    args = ["search", "-", "-k", "3", "--json"]
    env = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "160"}
    local = runner.invoke(app, [*args, "--index", str(index)], input=query.encode("utf-8"), env=env)
    remote = runner.invoke(app, args, input=query.encode("utf-8"), env={
        **env, "LEGALRET_SERVER": server.url, "LEGALRET_TOKEN": "tok", "LEGALRET_INDEX": str(index)})
    assert local.exit_code == 0 and remote.exit_code == 0, (local.output[-500:], remote.output[-500:])
    assert remote.output == local.output and json_hits(local.stdout)
    cut = query_cut_note(len(" ".join(query.split())))
    assert f"note: {cut}" in local.stderr and local.stderr.count("query cut to its first") == 1

    answer = ServerClient(server.url, token="tok").search(query, k=3, explain=True)
    here = StatuteService(index, warm=False).search(query, k=3, explain=True)
    for field in ("query", "mode", "notices", "terms"):
        assert answer[field] == here[field], field
    assert [(h["key"], h["score"], h["ranks"]) for h in answer["hits"]] == [
        (h["key"], h["score"], h["ranks"]) for h in here["hits"]]
    assert answer["notices"][0] == cut and len(answer["query"]) == MAX_QUERY_CHARS

    docs = [LegalretRetriever(server_url=server.url, token="tok", k=3).invoke(query),
            LegalretRetriever(index=index, k=3).invoke(query)]
    assert [[(d.id, d.metadata["score"], d.metadata["notices"]) for d in found] for found in docs] == [
        [(d.id, d.metadata["score"], d.metadata["notices"]) for d in docs[1]]] * 2


def test_a_request_too_large_for_the_server_says_so(server):
    """A body still over the server's limit (a law list of megabytes) was a connection reset: "cannot reach the
    server … the resident search server stopped". The server now reads and drops the rest before its 413, and the
    client says what was too large — also when an older server resets the connection under the body."""
    import urllib.error
    import urllib.request

    from legalret.serve.client import MAX_BODY_BYTES, RESIDENT_HINT, ServerClient, ServerError

    laws = ",".join(["민법"] * 400_000)  # 2.8 MB of JSON
    request = urllib.request.Request(server.url + "/api/search", data=b'{"q": "' + b"a" * 3 * MAX_BODY_BYTES + b'"}',
                                     headers={"Content-Type": "application/json", "Authorization": "Bearer tok"})
    with pytest.raises(urllib.error.HTTPError) as refused:  # plain urllib (Connection: close) reads the 413 now
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 413 and "request body over 1,048,576 bytes" in refused.value.read().decode()

    for hint, where in ((None, f" at {server.url}"), (RESIDENT_HINT, "")):
        with pytest.raises(ServerError) as e:
            ServerClient(server.url, token="tok", hint=hint).search("점유", law=laws)
        assert e.value.status == 413 and str(e.value).startswith(
            f"the request is too large for the legalret server{where}: 2,800,0")
        assert "its law and kind filters are 1,199,999 characters long" in str(e.value)
        assert "cannot reach" not in str(e.value) and "stopped" not in str(e.value) and "\n" not in str(e.value)

    # a server that refuses before reading and closes at once (an older legalret; a proxy): the connection is reset
    # under the body being sent
    import socket
    import struct
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def reset_each():
        for _ in range(2):
            conn, _ = listener.accept()
            conn.recv(1024)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    thread = threading.Thread(target=reset_each, daemon=True)
    thread.start()
    try:
        with pytest.raises(ServerError) as e:
            ServerClient(f"127.0.0.1:{port}").search("점유", law=laws)
        assert str(e.value).startswith(f"the request is too large for the legalret server at http://127.0.0.1:{port}")
        with pytest.raises(LegalretError) as e:  # a small request reset so is what it was
            ServerClient(f"127.0.0.1:{port}").search("점유")
        assert str(e.value).startswith(f"cannot reach the legalret server at http://127.0.0.1:{port}")
    finally:
        thread.join(10)
        listener.close()


@pytest.mark.parametrize("url, why", [
    ("not a url", "it holds a space or a control character"),
    ("http://[::1", "its IPv6 host is not one address in brackets ([::1])"),
    ("ftp://127.0.0.1:8000", "its scheme is ftp://, not http:// or https://"),
    ("http://127.0.0.1:99999", "its port is not between 1 and 65535"),
    ("http://127.0.0.1:0", "its port is not between 1 and 65535"),
    ("127.0.0.1:80x", "its port is not a number"),
    ("http://:8000", "it names no host"),
    ("http://127.0.0.1:8000/?q=점유", "a server URL has no ?query or #fragment"),
])
def test_a_server_url_that_is_no_url_is_one_line_naming_it(url, why):
    """LEGALRET_SERVER="not a url" was an http.client.InvalidURL traceback, server_url="http://[::1" a bare
    "ValueError: Invalid IPv6 URL", ftp:// was asked as HTTP and port 99999 was "Connection refused"."""
    from legalret.integrations.langchain import LegalretRetriever

    msg = _error(["search", "유치권"], {"LEGALRET_SERVER": url})
    assert msg == f"LEGALRET_SERVER={url!r} is not a server URL: {why}; give one such as http://127.0.0.1:8000"
    with pytest.raises(LegalretError) as e:
        LegalretRetriever(server_url=url).invoke("유치권")
    assert str(e.value) == f"server_url={url!r} is not a server URL: {why}; give one such as http://127.0.0.1:8000"


def test_server_urls_that_work_are_kept():
    from legalret.serve.client import ServerClient

    for given, base in (("127.0.0.1:8000", "http://127.0.0.1:8000"), (" https://example.org/legalret/ ",
                        "https://example.org/legalret"), ("http://[::1]:8000", "http://[::1]:8000"),
                        ("HTTP://localhost", "HTTP://localhost")):
        assert ServerClient(given).base_url == base


def test_resident_mode_switch(monkeypatch):
    from legalret.config import use_resident

    monkeypatch.setenv("LEGALRET_RESIDENT", "on")
    assert use_resident()
    monkeypatch.setenv("LEGALRET_RESIDENT", "off")
    assert not use_resident()
    monkeypatch.setenv("LEGALRET_RESIDENT", "auto")
    assert not use_resident()  # under pytest (and CI, and pipes): never leave a process behind


def test_a_home_where_no_resident_server_can_start_searches_in_process(index, tmp_path):
    """A read-only or full $LEGALRET_HOME: a terminal search was a PermissionError traceback (or "exited at start"),
    where the same search in a pipe worked. Now a note, and the answer from this process."""
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    env = {"LEGALRET_RESIDENT": "on", "LEGALRET_HOME": str(a_file / "home")}  # no folder can be made there
    r = runner.invoke(app, ["search", "간접점유", "--index", str(index), "--json"],
                      env={"LEGALRET_SERVER": "", "COLUMNS": "160", **env})
    assert r.exit_code == 0, r.output
    assert "no resident search server" in r.stderr and "searching in this process" in r.stderr
    assert json.loads(r.stdout.splitlines()[0])["key"] == "민법 제194조"


def test_resident_server_starts_once_and_is_reused(index, tmp_path, monkeypatch):
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEGALRET_RESIDENT_IDLE", "60")
    assert resident.find(index) is None
    try:
        client = resident.connect(index)
        state = resident.read_state(resident.state_path(index))
        assert state["host"] == "127.0.0.1" and state["token"] and state["pid"] != os.getpid()
        assert oct(resident.state_path(index).stat().st_mode & 0o777) == "0o600"
        assert client.search("간접점유", k=1)["hits"][0]["key"] == "민법 제194조"
        with pytest.raises(LegalretError) as refused:  # worded as in a pipe: no port, no HTTP status
            client.search("간접점유", law="형법")
        assert str(refused.value).startswith("unknown law filter '형법'") and "HTTP" not in str(refused.value)
        again = resident.find(index)
        assert again is not None and again.base_url == client.base_url  # reused, not restarted
        # the CLI goes through it when asked to
        r = _run(["search", "간접점유", "--index", str(index), "--json"], {"LEGALRET_RESIDENT": "on",
                                                                         "LEGALRET_HOME": str(tmp_path / "home")})
        assert r.exit_code == 0 and json.loads(r.output.splitlines()[0])["key"] == "민법 제194조"
    finally:
        assert resident.stop(index)
    import time

    deadline = time.monotonic() + 20
    while resident.state_path(index).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not resident.state_path(index).exists()  # removed by the server on its way out
    assert resident.find(index) is None


def test_a_resident_server_of_other_code_is_not_reused(index, tmp_path, monkeypatch):
    """After an upgrade (or a ``git pull``, or an edit) a terminal search must not be answered by the server started
    with the code before, while a pipe answers with the new code: the server is stopped, a new one started, and the
    person told why."""
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEGALRET_RESIDENT_IDLE", "60")
    try:
        resident.connect(index)
        old = resident.read_state(resident.state_path(index))
        assert old["code"] == resident.code_fingerprint()
        assert resident.find(index) is not None  # the same code: reused
        assert [s.current_code for s in resident.running(index)] == [True]
        monkeypatch.setattr(resident, "code_fingerprint", lambda: "code-after-an-upgrade")
        assert [s.current_code for s in resident.running(index)] == [False]  # `legalret server status` says so
        told: list[str] = []
        client = resident.connect(index, notify=told.append)
        new = resident.read_state(resident.state_path(index))
        assert new["pid"] != old["pid"] and not resident._alive(old["pid"])
        assert told[0].startswith("the resident search server for") and "has changed since" in told[0]
        assert any(line.startswith("starting a resident search server") for line in told[1:])
        assert client.search("간접점유", k=1)["hits"][0]["key"] == "민법 제194조"
    finally:
        resident.stop(index)


def test_a_resident_server_started_before_an_onnx_export_is_not_reused(index, tmp_path, monkeypatch):
    """``legalret index export`` after a server started: a pipe now encodes queries with the export while the server
    kept torch (scores differ in the 6th decimal, and no note says so). The next terminal search starts it again."""
    from legalret.models.onnx import export_root

    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEGALRET_RESIDENT_IDLE", "60")
    try:
        resident.connect(index)
        old = resident.read_state(resident.state_path(index))
        assert old["exports"] == resident.exports_fingerprint() and resident.find(index) is not None
        (export_root() / ".export-being-written.x1").mkdir(parents=True)  # a temp folder: not an export yet
        assert resident.find(index) is not None
        (export_root() / "me5-small-0123456789abcdef").mkdir()  # what `index export` puts there, complete
        told: list[str] = []
        resident.connect(index, notify=told.append)
        new = resident.read_state(resident.state_path(index))
        assert new["pid"] != old["pid"] and not resident._alive(old["pid"])
        assert told[0] == (f"the resident search server for {index} encodes queries as it did at its start, before an "
                           "ONNX export was written or removed (legalret index export); starting it again")
        assert resident.find(index) is not None  # the new one knows the export: reused
    finally:
        resident.stop(index)


def test_a_resident_server_runs_this_legalret_from_any_working_folder(index, tmp_path, monkeypatch):
    """Searching from inside another checkout (a folder holding a legalret/ of its own): `python -m legalret` put the
    working folder first on the server's path, so the server ran that code, was found to be "of other code" and was
    replaced — a cold start and a notice at every terminal search."""
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEGALRET_RESIDENT_IDLE", "60")
    other = tmp_path / "other-checkout"
    (other / "legalret").mkdir(parents=True)
    (other / "legalret" / "__init__.py").write_text("raise ImportError('the other checkout')\n", encoding="utf-8")
    (other / "legalret" / "__main__.py").write_text("raise SystemExit('the other checkout')\n", encoding="utf-8")
    monkeypatch.chdir(other)
    try:
        told: list[str] = []
        resident.connect(index, notify=told.append)
        first = resident.read_state(resident.state_path(index))
        assert first["code"] == resident.code_fingerprint()
        assert resident.connect(index, notify=told.append).search("간접점유", k=1)["hits"][0]["key"] == "민법 제194조"
        assert resident.read_state(resident.state_path(index))["pid"] == first["pid"]  # reused, not replaced
        assert len(told) == 1 and told[0].startswith("starting a resident search server")
    finally:
        resident.stop(index)


def test_the_code_fingerprint_follows_the_package_files(tmp_path, monkeypatch):
    before = resident.code_fingerprint()
    assert before == resident.code_fingerprint() and len(before) == 16
    package = Path(resident.__file__).resolve().parent.parent
    probe = package / "data" / f".fingerprint-probe-{os.getpid()}"
    try:
        probe.write_text("x")
        assert resident.code_fingerprint() != before  # a file added (an upgrade adds, edits and removes files)
    finally:
        probe.unlink()
    assert resident.code_fingerprint() == before


def test_resident_with_no_index_is_the_usual_error(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    from legalret.errors import IndexError_

    with pytest.raises(IndexError_, match="no index at"):
        resident.connect(tmp_path / "missing")
    assert not list((tmp_path / "home" / "serve").glob("*.json"))  # nothing started


# ---- issue 21: the same behaviour at a terminal (a real pseudo-terminal, resident server) and in a pipe -------


@pytest.mark.slow  # a dozen fresh processes and a resident server: ~40 s on a quiet 2-core machine
def test_terminal_and_pipe_agree_on_long_queries_k_and_notes(index, home):
    """Issue 21 (5, 11, 13): 50,000 characters at a terminal gave a ConnectionResetError traceback, 1,500–8,000 an
    HTTP 400, and a pipe cut to 1,000 with a note; -k 100000 gave 100 hits silently. Now one rule for both."""
    env = shell_env(home)
    long_query = "간접점유 점유권 " * 5600  # 50,400 characters
    for args in (["search", long_query, "--index", str(index), "--json", "-k", "3"],
                 ["search", "퀘이사르프로브 블라쿠쿠 제753조 제753조", "--index", str(index), "--json"]):
        rc_t, tty = at_terminal(args, env)
        rc_p, pipe = in_pipe(args, env)
        assert rc_t == rc_p == 0, (tty[-2000:], pipe[-2000:])
        assert "Traceback" not in tty + pipe
        assert json_hits(tty) == json_hits(pipe)
        assert json_hits(tty) or args[1] is not long_query  # (a BM25-only index finds nothing for unseen words)
        assert notes(tty) == notes(pipe)  # (the start notice is not a note: it says what happened, once)
        assert len(set(notes(pipe))) == len(notes(pipe))  # each note once
    assert "query cut to its first 4,000 of 50,399 characters (the limit everywhere)" in notes(in_pipe(
        ["search", long_query, "--index", str(index), "--json", "-k", "3"], env)[1])
    assert any(n.startswith("nothing in the query matched") for n in notes(pipe))
    rc_t, tty = at_terminal(["search", "점유", "--index", str(index), "-k", "100000"], env)
    rc_p, pipe = in_pipe(["search", "점유", "--index", str(index), "-k", "100000"], env)
    assert rc_t == rc_p == 1
    assert "k must be between 1 and 100 (got 100000)" in tty and "k must be between 1 and 100 (got 100000)" in pipe


def test_resident_server_notice_status_stop_and_the_next_search_after_an_add(tmp_path, home):
    """Issue 21 (4, 7): the resident server started silently, nothing stopped it, and after `index add` the next
    terminal searches answered from the previous generation."""
    from legalret.index import add_to_index

    idx = tmp_path / "idx"
    arts = sup.articles()
    build_index(arts, idx, model="none")
    env = shell_env(home)
    args = ["search", "반려견 손해 배상", "--index", str(idx), "--json", "-k", "1"]
    rc, first = at_terminal(args, env)
    assert rc == 0 and "starting a resident search server for" in first and "legalret server stop" in first
    rc, again = at_terminal(args, env)
    assert rc == 0 and "starting a resident" not in again  # reused, no second notice
    rc, status = in_pipe(["server", "status", "--json"], env)
    (server,) = [json.loads(line) for line in status.splitlines() if line.startswith("{")]
    assert server["index"] == str(idx.resolve()) and server["rss_mb"] and server["settings"] == {}

    changed = [sup.amended(a, "반려견이 사람에게 손해를 가한 때에는 점유자가 배상할 책임이 있다.") if a.key == "민법 제751조" else a
               for a in arts]
    add_to_index(changed, idx)
    rc, after = at_terminal(args, env)
    (hit,) = [json.loads(line) for line in after.splitlines() if line.startswith("{")]
    assert rc == 0 and hit["key"] == "민법 제751조" and "반려견" in hit["text"]  # the very next search

    rc, stopped = in_pipe(["server", "stop", "--index", str(idx)], env)
    assert rc == 0 and "stopped 1 resident search server" in stopped
    import time

    deadline = time.monotonic() + 20
    while "no resident search server is running" not in in_pipe(["server", "status"], env)[1]:
        assert time.monotonic() < deadline, "the server did not stop"
        time.sleep(0.2)
    rc, helptext = in_pipe(["search", "--help"], env)
    assert "`legalret server stop` ends it" in plain(helptext)


@pytest.fixture(scope="module")
def index_with_ranker(tmp_path_factory):
    """An index with BM25, dense (the tiny encoder) and a memory: the learned re-ranker applies to hybrid (the one
    tests/test_cli_output_s16.py searches too: built once a session)."""
    from ranked_s19trim import ranked_index

    return ranked_index(tmp_path_factory)


@pytest.mark.slow  # three resident servers (three cold starts with the torch encoder) and three in-process searches
def test_result_settings_reach_the_terminal_search(index_with_ranker, tmp_path, home):
    """Issue 21 (6): `LEGALRET_RANKER=none legalret search …` ranked differently in a pipe and at a terminal
    (the resident server kept the environment it started with). A shell with other settings gets its own server."""
    import numpy as np

    from legalret.search.ranker import FEATURES, Ranker

    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("dense_rr")] = 1.0
    only_dense = tmp_path / "only_dense.json"
    Ranker(coef=coef, mean=np.zeros(len(FEATURES)), scale=np.ones(len(FEATURES)), depth=50).save(only_dense)
    args = ["search", "타인의 물건을 점유한 자가 유치권을 주장할 수 있는지", "--index", str(index_with_ranker), "--json", "-k", "6"]
    results = {}
    for setting in ("", "none", str(only_dense)):
        env = shell_env(home, **({"LEGALRET_RANKER": setting} if setting else {}))
        # the in-process answer in this process, not a fresh one's: each had paid a cold start of the torch encoder
        # (the terminal's three are the resident servers under test)
        rc_p, pipe = in_process(args, env)
        rc_t, tty = at_terminal(args, env)
        assert rc_t == rc_p == 0, (tty[-2000:], pipe[-2000:])
        assert json_hits(tty) == json_hits(pipe), setting
        results[setting] = json_hits(pipe)
    assert len({tuple(r) for r in results.values()}) > 1  # the settings do change the ranking here
    rc, status = in_pipe(["server", "status", "--json"], shell_env(home))
    servers = [json.loads(line) for line in status.splitlines() if line.startswith("{")]
    # (a ranker file is named with its size and modification time: an edit is another setting)
    assert sorted(s["settings"].get("LEGALRET_RANKER", "").split(" (")[0] for s in servers) == sorted(
        ["", "none", str(only_dense)])
    rc, out = in_pipe(["server", "stop", "--all"], shell_env(home))
    assert "stopped 3 resident search servers" in out


def test_an_explicit_server_with_other_settings_is_named(index, server):
    r = _run(["search", "간접점유", "--json"],
             {"LEGALRET_SERVER": server.url, "LEGALRET_TOKEN": "tok", "LEGALRET_RANKER": "none", "LEGALRET_INDEX": str(index)})
    assert r.exit_code == 0
    assert "ranks with its own settings (LEGALRET_RANKER=none here, (unset) there)" in r.output.replace("\n", " ")


def test_search_help_lists_the_registrys_modes_and_the_cli_starts_without_it():
    """`legalret search --help` names every mode the searcher accepts, with the API's words (one source: the
    retriever registry); `legalret --help` and `legalret search --help`'s command table never import it."""
    from legalret.search.searcher import MODES, modes_help

    r = runner.invoke(app, ["search", "--help"], env={"COLUMNS": "120"})
    assert r.exit_code == 0 and plain(modes_help()) in plain(r.output)
    assert all(f"{mode} (" in plain(r.output) for mode in MODES)
    from legalret.cli.bench import _parse_modes  # `legalret bench --mode` checks against the same registry

    assert _parse_modes("bm25, hybrid,bm25") == ["bm25", "hybrid"]
    with pytest.raises(typer.BadParameter, match="choose from " + ", ".join(MODES)):
        _parse_modes("bm25,magic")
    code = ("import sys\nfrom legalret.cli import app\ntry:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('legalret.search.retrievers' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert proc.returncode == 0 and proc.stdout.strip().splitlines()[-1] == "False", proc.stdout[-500:] + proc.stderr[-500:]


def test_index_info_and_corpus_list_print_their_report_on_stdout(index):
    """`legalret index info | grep laws` found nothing: the report went to stderr (wrapped at 80 columns in a pipe)."""
    info = runner.invoke(app, ["index", "info", "--index", str(index)], env={"COLUMNS": "80"})
    assert info.exit_code == 0, info.output
    assert "articles 15 (14 searchable)" in info.stdout and "laws: 민법" in info.stdout and "laws:" not in info.stderr
    tokenizer = next(line for line in info.stdout.splitlines() if line.startswith("tokenizer kiwi"))
    assert "BM25 {" in tokenizer and tokenizer.endswith("}")  # one line, at any width (it wrapped at 80 columns)
    listing = runner.invoke(app, ["corpus", "list"])
    assert listing.exit_code == 0 and "civil-commercial" in listing.stdout


def test_the_table_keeps_long_article_keys_and_long_queries_readable(capsys, monkeypatch):
    """At 80 columns a long law name had squeezed the number, title, text and score columns to nothing and cut off its
    own 제N조; a pasted judgment was echoed whole as the caption, pushing the hits off the screen."""
    from legalret.cli.search import CAPTION_CHARS, render

    monkeypatch.setenv("COLUMNS", "80")
    key = "공중 등 협박목적 및 대량살상무기확산을 위한 자금조달행위의 금지에 관한 법률 제5조의2"
    render("보증금 [bold]반환[/bold] " * 400, "hybrid", [{"key": key, "title": "금지행위", "text": "누구든지 …", "score": 1.0,
                                                    "relevance": 100}],
           [], [])
    out = capsys.readouterr().out
    assert "제5조의2" in out and " 100 │" in out and "금지행위" in out and "[bold]" in out  # (the query is not markup)
    assert max(len(line) for line in out.splitlines()) <= 80
    assert out.count("보증금") <= CAPTION_CHARS // 10


def test_a_search_without_the_query_encoders_export_says_so(tmp_path, monkeypatch, capsys):
    """An index built under another LEGALRET_HOME has no ONNX export here: a cold search loaded the encoder through
    torch (15–25 s) without a word — and an agent's first MCP search 52 s (s24). It is said on stderr where the torch
    load starts (:func:`legalret.index.encoders.load_query_encoder`, for every surface), once per encoder and process,
    with the command that writes the export; an encoder asked for explicitly and a home holding the export say
    nothing."""
    import legalret.index.encoders as encoders
    import legalret.models.onnx as onnx

    loaded = object()
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(encoders, "load_index_encoder", lambda info, **kw: loaded)
    monkeypatch.setattr(encoders, "index_query_adapter", lambda info, where: None)
    monkeypatch.setattr(encoders, "_SAID_NO_EXPORT", set())
    monkeypatch.setattr(onnx, "find_export", lambda fingerprint, **kw: None)
    assert encoders.load_query_encoder({"fingerprint": "abc123"}, where="idx/") is loaded
    err = capsys.readouterr().err
    assert "no ONNX export of this index's query encoder" in err and "legalret index export --index idx/" in err
    encoders.load_query_encoder({"fingerprint": "abc123"}, where="idx/")  # (a LiveSearcher's next generation)
    encoders.load_query_encoder({"fingerprint": "other"}, where="idx/", encoder=loaded)  # (asked for: no export used)
    assert capsys.readouterr().err == ""
    encoders.load_query_encoder({"fingerprint": "another"}, where="idx2/")  # (another encoder: said for it)
    assert "--index idx2/" in capsys.readouterr().err


def test_ctrl_c_says_it_was_interrupted(tmp_path):
    """Ctrl-C: typer returned 130 without a word (a `bench quality` run at a terminal simply stopped, nothing
    said). Here `search -` waits on its standard input when the signal comes."""
    import signal
    import time

    env = {**os.environ, "LEGALRET_HOME": str(tmp_path / "home")}
    # SIGINT as a terminal's shell gives it: a suite started in the background (`.ci/run &`, `nohup … &`) runs with
    # SIGINT ignored — a non-interactive shell does that to background commands — and a child inherits it (Python
    # then installs no handler: the search went on reading, in three fresh-clone CI runs)
    p = subprocess.Popen([sys.executable, "-m", "legalret", "search", "-", "--index", str(tmp_path / "none")],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    read = {"x86_64": "0", "aarch64": "63"}.get(os.uname().machine)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until it waits on fd 0 (a signal during the imports is another story)
        try:
            call = Path(f"/proc/{p.pid}/syscall").read_text().split()
        except OSError:
            call = []
        if read is None or call[:2] == [read, "0x0"]:
            break
        time.sleep(0.1)
    time.sleep(0.2 if read else 5)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=60)  # stdin stays open until it exits: closed, the read could end before the signal was handled
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130 and out == "", err
    assert err.strip().splitlines()[-1] == "interrupted (Ctrl-C)", err


def test_a_stale_state_whose_pid_another_process_now_has_is_not_a_server(tmp_path, monkeypatch):
    """A server killed -9 leaves its state file; once its pid is another program's (a crash, a reboot), `server status`
    listed that program and `server stop` sent it SIGTERM. The state records when its process started: it must match."""
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    other = subprocess.Popen(["sleep", "60"])
    try:
        path = resident.state_dir() / "0123456789abcdef.json"
        path.write_text(json.dumps({"pid": other.pid, "port": 9, "index": str(tmp_path), "settings": {},
                                    "started": 0, "code": "x", "proc_start": 1}), encoding="utf-8")
        assert resident._proc_start(other.pid) not in (None, 1)
        assert resident.running() == [] and resident.stop() == 0
        assert not path.exists() and other.poll() is None  # forgotten, and the program left alone
        assert resident._alive(other.pid, resident._proc_start(other.pid)) and resident._alive(other.pid)
    finally:
        other.kill()
        other.wait()


def test_a_resident_server_reached_through_a_symlink_serves_the_folder_it_named(index, tmp_path, monkeypatch):
    """The server was started with the path as typed (the link) but keyed and listed by the folder it pointed to:
    repointed, the link sent `--index <that folder>` searches to the other index, with no word."""
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEGALRET_RESIDENT_IDLE", "60")
    link = tmp_path / "link"
    link.symlink_to(index)
    try:
        resident.connect(link)
        state = resident.read_state(resident.state_path(link))
        cmdline = Path(f"/proc/{state['pid']}/cmdline").read_bytes().split(b"\0")
        assert str(Path(index).resolve()).encode() in cmdline and str(link).encode() not in cmdline
        assert state["index"] == str(Path(index).resolve()) and state["proc_start"] == resident._proc_start(state["pid"])
    finally:
        resident.stop(link)


def test_result_settings_name_the_ranker_file_as_it_is_now_and_the_precision(tmp_path, monkeypatch):
    """A ranker file edited in place is another setting (the resident server had kept its start's weights while a pipe
    read the new ones), and LEGALRET_PRECISION changes scores, so it is one too."""
    import time

    from legalret.config import result_settings

    ranker = tmp_path / "r.json"
    ranker.write_text("{}", encoding="utf-8")
    monkeypatch.setenv("LEGALRET_RANKER", str(ranker))
    monkeypatch.setenv("LEGALRET_PRECISION", "bf16")
    before = result_settings()
    assert before["LEGALRET_RANKER"].startswith(f"{ranker} (2 bytes, modified ") and before["LEGALRET_PRECISION"] == "bf16"
    time.sleep(0.01)
    ranker.write_text('{"x": 1}', encoding="utf-8")
    assert result_settings()["LEGALRET_RANKER"] != before["LEGALRET_RANKER"]
    assert resident.state_path(tmp_path, result_settings()) != resident.state_path(tmp_path, before)


@pytest.mark.parametrize("value", ["abc", "0", "-5", "nan", "inf"])
def test_a_resident_idle_that_is_no_duration_is_one_line(value, monkeypatch):
    from legalret.config import resident_idle_seconds

    monkeypatch.setenv("LEGALRET_RESIDENT_IDLE", value)
    with pytest.raises(LegalretError, match="LEGALRET_RESIDENT_IDLE=.*a number > 0"):
        resident_idle_seconds(900)
    monkeypatch.setenv("LEGALRET_RESIDENT_IDLE", "30")
    assert resident_idle_seconds(900) == 30.0 and "30 idle seconds" in resident.start_notice("idx", 30.0)


def test_a_question_argument_that_is_not_utf8_is_one_line(built):
    """What a cp949 terminal sends: argv bytes that are not UTF-8 arrive as surrogates. At a terminal the search sent
    them to its server and crashed (UnicodeEncodeError); in a pipe it searched for what was left."""
    query = "유치권 간접점유".encode("cp949").decode("utf-8", "surrogateescape")
    r = runner.invoke(app, ["search", query, "--index", str(built)])
    assert r.exit_code == 1 and isinstance(r.exception, LegalretError)
    assert "the question is not UTF-8 (byte 0xc0 at offset 0)" in str(r.exception)


def test_server_commands_say_what_they_did_not_do(tmp_path, index):
    """`server stop --all --index X` ignored --index without a word; `server status --index X` said "no resident
    search server is running" while others ran; a home where none can run was a FileExistsError traceback."""
    home = tmp_path / "home"
    r = runner.invoke(app, ["server", "stop", "--all", "--index", str(index)], env={"LEGALRET_HOME": str(home)})
    assert r.exit_code == 1 and "give --all (every resident server) or --index (this index's), not both" in str(r.exception)
    r = runner.invoke(app, ["server", "status", "--index", str(index)], env={"LEGALRET_HOME": str(home)})
    assert r.exit_code == 0 and f"no resident search server is running for {index}" in r.output
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    r = runner.invoke(app, ["server", "status"], env={"LEGALRET_HOME": str(a_file)})
    assert r.exit_code == 1 and f"LEGALRET_HOME {a_file}: a file, not a folder" in str(r.exception)


def test_a_server_that_exits_at_start_is_quoted_from_its_own_lines(tmp_path):
    log = tmp_path / "s.log"
    log.write_text("reload of /old failed\nold line 2\nold line 3\n", encoding="utf-8")
    since = log.stat().st_size
    with open(log, "a", encoding="utf-8") as f:
        f.write("error: LEGALRET_RESIDENT_IDLE='-5': …\n")
    assert resident._tail(log, since=since) == "error: LEGALRET_RESIDENT_IDLE='-5': …"


def test_ctrl_c_while_the_resident_server_starts_stops_it(index, tmp_path, monkeypatch):
    """Interrupted while its server loaded the index, the first search left it running: unlisted until it listened,
    out of `server stop`'s reach, and a second search at once started another (two servers, one listed)."""
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    started = []

    def interrupted(proc, *args, **kwargs):
        started.append(proc)
        raise KeyboardInterrupt

    monkeypatch.setattr(resident, "_wait_for", interrupted)
    with pytest.raises(KeyboardInterrupt):
        resident.start(index)
    assert started and started[0].wait(timeout=30) is not None  # terminated, not left to idle 15 minutes
    assert resident.running() == []


@pytest.mark.parametrize("kind", ["under a file", "a file"])
def test_an_unusable_legalret_home_is_one_line_at_a_terminal_and_in_a_pipe(built, tmp_path, kind):
    """A home that cannot be created (a read-only or mistyped LEGALRET_HOME) had given a traceback from config.py."""
    _, index = built
    (tmp_path / "home.txt").write_text("x")
    home = tmp_path / "home.txt" / "home" if kind == "under a file" else tmp_path / "home.txt"
    env = shell_env(tmp_path)
    env["LEGALRET_HOME"] = str(home)
    why = f"LEGALRET_HOME {home}: " + ("a file, not a folder" if kind == "a file" else "cannot create it")
    # The pipe's search runs in this process (in_process: the CLI decides for itself, as in a pipe; an exception is
    # an exit code other than 0): its own process paid a cold start (torch, Kiwi, the encoder) for it. Its `server
    # status` stays a process: its one line is legalret.cli.main's, which in_process does not run, and it starts
    # none of those.
    for search, status in ((at_terminal, at_terminal), (in_process, in_pipe)):
        # a search of an index whose encoder is not kept in the home still answers (at a terminal without a resident
        # server, which keeps its state there: said in a note)
        code, out = search(["search", "간접점유", "--index", str(index)], env)
        assert code == 0 and "Traceback" not in out and "제194조" in out, (search.__name__, out)
        assert (why in plain(out)) == (search is at_terminal), (search.__name__, out)
        code, out = status(["server", "status"], env)
        assert code == 1 and "Traceback" not in out and f"error: {why}" in plain(out), (status.__name__, out)


def test_unquoted_words_are_one_question(built):
    """`legalret search 유치권 간접점유` had been "Got unexpected extra argument(s) (간접점유)", exit 2."""
    _, index = built
    quoted = runner.invoke(app, ["search", "간접점유 유치권", "--index", str(index), "--json", "-k", "3"])
    unquoted = runner.invoke(app, ["search", "간접점유", "유치권", "--index", str(index), "--json", "-k", "3"])
    assert quoted.exit_code == unquoted.exit_code == 0, unquoted.output
    assert json_hits(unquoted.stdout) == json_hits(quoted.stdout) and json_hits(quoted.stdout)
    options_between = runner.invoke(app, ["search", "간접점유", "-k", "3", "유치권", "--index", str(index), "--json"])
    assert json_hits(options_between.stdout) == json_hits(quoted.stdout)
