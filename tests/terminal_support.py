"""Run ``legalret`` as a person at a terminal (a real pseudo-terminal) and as a script in a pipe.

``legalret search`` behaves differently by where its stdout goes — at a terminal it goes through a resident
server (:mod:`legalret.serve.resident`), in a pipe it searches in-process — so "the same at a terminal and in a
pipe" can only be checked with a real terminal: python's :mod:`pty`. Used by ``tests/test_search_cli.py`` and
``benchmarks/robustness.py`` (its terminal-vs-pipe section).

Usage::

    env = shell_env(home)                                   # a person's shell: not under pytest or CI
    rc, output = at_terminal(["search", "민법 750", "--json"], env)
    rc, output = in_pipe(["search", "민법 750", "--json"], env)
    json_hits(output), notes(output)
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Variables of the calling process that must not reach the shell a person types in.
NOT_IN_A_SHELL = ("PYTEST_CURRENT_TEST", "CI", "LEGALRET_SERVER", "LEGALRET_RANKER", "LEGALRET_RESIDENT")


def shell_env(home: Path, **extra: str) -> dict:
    """The environment of a person's shell with its own ``LEGALRET_HOME`` (resident servers' state files)."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_IN_A_SHELL}
    env.update({"LEGALRET_HOME": str(home), "LEGALRET_RESIDENT_IDLE": "300", "COLUMNS": "200", "TERM": "dumb",
                "LEGALRET_PROGRESS": "off", "PYTHONPATH": str(REPO)})
    env.update(extra)
    return env


def at_terminal(args: list[str], env: dict, timeout: float = 300) -> tuple[int, str]:
    """``legalret ARGS`` with stdin, stdout and stderr on a pseudo-terminal: (exit code, everything it printed)."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "legalret", *args], stdin=slave, stdout=slave, stderr=slave,
                            env=env, close_fds=True)
    os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
    finally:
        os.close(master)
    try:
        rc = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    return rc, out.decode("utf-8", "replace").replace("\r\n", "\n")


def in_pipe(args: list[str], env: dict, timeout: float = 300) -> tuple[int, str]:
    """``legalret ARGS`` with stdout and stderr on pipes (a script): (exit code, stdout + stderr)."""
    proc = subprocess.run([sys.executable, "-m", "legalret", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def json_hits(output: str) -> list[tuple[str, float]]:
    """``(key, score)`` of the JSON lines ``legalret search --json`` printed, scores rounded to 4 places. A line that
    is no hit is skipped: no hits is one line ``{"hits": 0, "notices": [...]}``, a failure ``{"error": ...}``."""
    lines = map(json.loads, (l for l in output.splitlines() if l.startswith("{")))
    return [(h["key"], round(h["score"], 4)) for h in lines if "key" in h]


def notes(output: str) -> list[str]:
    """The ``note:`` lines, without the prefix (one line each: the CLI does not wrap them)."""
    return [line.split("note:", 1)[1].strip() for line in output.splitlines() if "note:" in line]


def plain(output: str) -> str:
    """``output`` without terminal colour codes, whitespace collapsed (for ``in`` checks across wrapped lines)."""
    return " ".join(re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", output).replace("│", " ").split())
