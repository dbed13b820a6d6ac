"""A command's report is on stdout (s24): ``legalret index add … > add.log`` had kept nothing.

Three users in turn had redirected ``ingest``, ``index add`` or ``index rollback`` to a log and found it empty: the
summary (what was written, added, changed, which generation is live) went to stderr with the progress and the notes.
It is the output these commands exist for, as ``index info`` and ``doctor`` already print theirs on stdout. Now:

* without ``--json``: the report on stdout; progress, notes, warnings, errors and the exit-3 line on stderr;
* with ``--json``: stdout holds the JSON alone (the human line of a rollback stays on stderr);
* a command that writes nothing (an error) keeps its context on stderr beside the error.

Run as processes: what a shell redirect sees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MARKDOWN = REPO / "tests" / "fixtures" / "ingest" / "markdown"


def _run(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "LEGALRET_HOME": str(home), "LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off",
           "LEGALRET_PROGRESS": "plain", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "legalret", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=300)


@pytest.fixture(scope="module")
def statutes(tmp_path_factory) -> tuple[Path, Path, Path]:
    """민법 alone and 민법 + 상법 (the fixture markdown) as articles JSONL, read by the real ingest; and a home."""
    root = tmp_path_factory.mktemp("reports")
    home = root / "home"
    civil, both = root / "civil.jsonl", root / "both.jsonl"
    proc = _run("ingest", str(MARKDOWN / "민법"), "--out", str(civil), home=home)
    assert proc.returncode == 0, proc.stderr
    # the summary table and the last line are stdout's, nothing of them on stderr
    assert proc.stdout.startswith("ingest summary") and f"wrote 10 articles to {civil}" in proc.stdout
    assert "ingest summary" not in proc.stderr and "wrote" not in proc.stderr
    assert _run("ingest", str(MARKDOWN), "--out", str(both), home=home).returncode == 0
    return civil, both, home


def test_ingest_with_json_keeps_stdout_for_the_json(statutes, tmp_path):
    civil, _, home = statutes
    proc = _run("ingest", str(MARKDOWN / "민법"), "--out", str(tmp_path / "x.jsonl"), "--json", home=home)
    assert proc.returncode == 0 and json.loads(proc.stdout)["written"] == 10
    assert "ingest summary" not in proc.stdout + proc.stderr


def test_an_ingest_that_writes_nothing_says_its_context_on_stderr(statutes, tmp_path):
    *_, home = statutes
    proc = _run("ingest", str(MARKDOWN / "민법"), "--law", "형법", "--out", str(tmp_path / "x.jsonl"), home=home)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "ingest summary" in proc.stderr and "error: no articles were read" in proc.stderr


def test_build_add_and_rollback_report_on_stdout(statutes, tmp_path):
    civil, both, home = statutes
    index = tmp_path / "idx"
    build = _run("index", "build", str(civil), "--index", str(index), "--model", "none", home=home)
    assert build.returncode == 0, build.stderr
    assert f"{index} (gen-000001): 10 articles" in build.stdout and "stages (wall / cpu):" in build.stdout
    assert "stages (wall / cpu):" not in build.stderr

    add = _run("index", "add", str(both), "--index", str(index), home=home)
    assert add.returncode == 0, add.stderr
    report = add.stdout.splitlines()
    assert report[0].startswith(f"{index} (gen-000002): 13 articles")
    assert any(line.startswith("added 3, changed 0") for line in report), report
    assert any(line.startswith("tokenized ") for line in report), report
    assert "added 3" not in add.stderr

    # --json: stdout is the JSON alone
    again = _run("index", "add", str(both), "--index", str(index), "--json", home=home)
    assert json.loads(again.stdout)["wrote"] is False

    back = _run("index", "rollback", "--index", str(index), home=home)
    assert back.returncode == 0 and back.stdout.startswith(f"{index}: gen-000001 is live (was gen-000002)")
    assert back.stderr == ""
    forward = _run("index", "rollback", "--index", str(index), "--to", "2", "--json", home=home)
    assert json.loads(forward.stdout)["live"] == "gen-000002"
    assert "gen-000002 is live" in forward.stderr  # (the human line beside --json: stderr's, as before)
