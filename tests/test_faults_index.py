"""Faults during index writes (issue #11): kill -9 at file events of ``index add`` and ``index build`` (every
2nd here, every one in the benchmark), disk full (ENOSPC) at every 3rd, two writers at once, readers racing a writer, and the real CLI killed
after a delay. After each fault the index must load with full checksum verification and hold exactly the
previous generation or the new one — never a mix, never nothing.

The harness is ``benchmarks/robustness.py`` (which runs it at larger counts); it forks children of this
process and never tokenizes in them (the new generation only drops articles, so every token is reused).
Uses only the public API (``build_index``, ``add_to_index``, ``load_index``) and the CLI."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the fault harness forks")


def _load_harness():
    spec = importlib.util.spec_from_file_location("legalret_robustness_harness", REPO / "benchmarks" / "robustness.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


R = _load_harness()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    os.environ.setdefault("LEGALRET_TOKENIZER_WORKERS", "1")
    return R.Setup.create(tmp_path_factory.mktemp("faults"))


def _no_loss(trials):
    lost = [t for t in trials if t.data_lost]
    assert not lost, "\n".join(f"{t.kind} {t.op} at event {t.at}: {t.outcome} → {t.state} {t.detail}" for t in lost)


def test_the_harness_sees_the_writes(setup):
    assert setup.events["add"] >= 10 and setup.events["build"] >= 10  # files, fsyncs, renames
    assert setup.old != setup.new and len(setup.new[0]) == len(setup.old[0]) - 2


def _points(n: int, step: int) -> list[int]:
    """Every ``step``-th file event and the last (the benchmark takes every one)."""
    return sorted(set(range(1, n + 1, step)) | {n})


@pytest.mark.parametrize("op", ["add", "build"])
def test_kill_at_file_events_keeps_the_previous_generation(setup, op):
    points = _points(setup.events[op], 2)
    trials = R.kill_trials(setup, op, points=points)
    assert len(trials) == len(points) and all(t.outcome == "killed" for t in trials)
    _no_loss(trials)
    assert {t.state for t in trials} <= {"old", "new"}


@pytest.mark.parametrize("op", ["add", "build"])
def test_the_index_takes_writes_after_a_kill(setup, op):
    """No stale lock or temp folder blocks the next writer (first, middle and last event)."""
    n = setup.events[op]
    _no_loss(R.kill_trials(setup, op, points=[1, n // 2, n], recover=True))


@pytest.mark.parametrize("op", ["add", "build"])
def test_disk_full_at_file_events_keeps_the_previous_generation(setup, op):
    trials = R.enospc_trials(setup, op, points=_points(setup.events[op], 3))
    _no_loss(trials)
    assert any(t.outcome == "error" and t.state == "old" for t in trials)


def test_disk_full_is_a_one_line_legalret_error(setup):
    trials = R.enospc_trials(setup, "add", points=[setup.events["add"] // 2])
    assert trials[0].outcome == "error" and not trials[0].detail.startswith("OSError"), trials[0].detail


@pytest.mark.parametrize("op", ["add", "build"])
def test_a_second_writer_is_refused_with_a_lock_message(setup, op):
    trial = R.lock_trial(setup, op)
    assert trial.outcome == "locked", trial.detail
    assert "locked by another build or add" in trial.detail
    assert not trial.data_lost


@pytest.mark.parametrize("op", ["add", "build"])
def test_readers_during_a_write_see_old_or_new_never_a_mix(setup, op):
    trials = R.reader_trial(setup, op, reads=20)
    _no_loss(trials)
    during = {t.state for t in trials if t.outcome == "read during write"}
    assert during and during <= {"old", "new"}
    assert trials[-1].state == "new"  # once the writer is done, readers see its generation


# ---- the real command line, killed after a delay -----------------------------------------------------
def _cli(*args, env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "legalret", *args], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_cli_killed_after_a_delay_keeps_the_index(setup, tmp_path):
    """``legalret index add`` / ``index build`` as a user runs them, SIGKILLed at a few delays."""
    from legalret.articles import write_articles

    v2 = tmp_path / "v2.jsonl"
    write_articles(v2, setup.v2)
    env = dict(os.environ, LEGALRET_PROGRESS="off")
    for command, delay in [("add", 1.0), ("build", 2.5), ("add", 4.0)]:
        index_dir = setup.fresh(f"cli-{command}-{delay}")
        extra = ["--allow-removals"] if command == "add" else ["--model", "none"]
        proc = _cli("index", command, str(v2), "--index", str(index_dir), *extra, env=env)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        state, detail = R.judge(setup, index_dir)
        assert state in ("old", "new"), f"{command} killed after {delay}s: {state} {detail}"
