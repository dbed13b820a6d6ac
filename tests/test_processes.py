"""New Python processes run *this* legalret (``legalret.processes.legalret_command``), wherever they start: a server,
its workers and a timed search had been ``python -m legalret``, which puts the working folder first on the child's
path — from inside another checkout they ran that checkout's code."""

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

import legalret  # noqa: E402
from legalret.index import build_index  # noqa: E402
from legalret.processes import legalret_command  # noqa: E402
from legalret.serve.server import ServerProcess  # noqa: E402

THIS = str(Path(legalret.__file__).resolve())


@pytest.fixture
def other_checkout(tmp_path, monkeypatch):
    """The working folder: a checkout whose legalret/ fails loudly if imported."""
    other = tmp_path / "other-checkout"
    (other / "legalret").mkdir(parents=True)
    (other / "legalret" / "__init__.py").write_text("raise ImportError('the other checkout')\n", encoding="utf-8")
    (other / "legalret" / "__main__.py").write_text("raise SystemExit('the other checkout')\n", encoding="utf-8")
    monkeypatch.chdir(other)
    return other


def test_plain_dash_m_runs_the_working_folders_legalret(other_checkout):
    """The failure the helper prevents, shown: without it the child imports the other checkout."""
    proc = subprocess.run([sys.executable, "-m", "legalret", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "the other checkout" in proc.stderr


def test_the_command_runs_this_legalret_from_another_checkout(other_checkout):
    cmd, env = legalret_command(code="import legalret, sys; print(legalret.__file__, sys.argv[1:])", env={"A": "1"})
    proc = subprocess.run([*cmd, "x", "y"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == THIS and proc.stdout.rstrip().endswith("['x', 'y']")
    assert env["A"] == "1"  # the environment given, not this process's
    cmd, env = legalret_command("search", "--help")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0 and "Usage" in proc.stdout, proc.stderr[-500:]


def test_a_server_process_started_in_another_checkout_serves(tmp_path, other_checkout):
    index = tmp_path / "idx"
    build_index(sup.articles(), index, model="none")
    with ServerProcess(index, workers=1) as srv:
        got = httpx.get(srv.url + "/api/search", params={"q": "간접점유", "mode": "bm25"}, trust_env=False).json()
        assert got["hits"][0]["key"] == "민법 제194조"
        assert json.loads(srv.state.read_text())["port"]


def test_a_server_that_does_not_start_says_why(tmp_path):
    """Its log is quoted (it had been read after the folder holding it was removed: FileNotFoundError)."""
    with pytest.raises(RuntimeError, match="did not start: .*no-such-index"):
        ServerProcess(tmp_path / "no-such-index", workers=1).start()
