"""`legalret index build|add|info` and `legalret search` through the CLI — and `legalret search` answered by a
server (LEGALRET_SERVER, a resident server) with the same table / JSON as in-process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.articles import write_articles  # noqa: E402
from legalret.cli import app  # noqa: E402
from legalret.errors import LegalretError  # noqa: E402
from legalret.index import build_index  # noqa: E402
from legalret.serve import resident  # noqa: E402
from legalret.serve.server import BackgroundServer  # noqa: E402

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
    args = ["search", "간접점유 점유권", "--index", str(index), *extra]
    local = _run(args, {})
    remote = _run(args, {"LEGALRET_SERVER": server.url, "LEGALRET_TOKEN": "tok"})
    assert local.exit_code == 0 and remote.exit_code == 0, (local.output, remote.output)
    assert remote.output == local.output
    assert "민법 제194조" in local.output
    if "--json" in extra:
        first = json.loads(local.output.splitlines()[0])
        assert first["rank"] == 1 and first["key"] == "민법 제194조" and "citation" not in first


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
    assert "cannot reach the legalret server at http://127.0.0.1:9" in msg


def test_resident_mode_switch(monkeypatch):
    monkeypatch.setenv("LEGALRET_RESIDENT", "on")
    assert resident.use_resident()
    monkeypatch.setenv("LEGALRET_RESIDENT", "off")
    assert not resident.use_resident()
    monkeypatch.setenv("LEGALRET_RESIDENT", "auto")
    assert not resident.use_resident()  # under pytest (and CI, and pipes): never leave a process behind


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


def test_resident_with_no_index_is_the_usual_error(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    from legalret.errors import IndexError_

    with pytest.raises(IndexError_, match="no index at"):
        resident.connect(tmp_path / "missing")
    assert not list((tmp_path / "home" / "serve").glob("*.json"))  # nothing started
