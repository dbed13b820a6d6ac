"""Robustness benchmark (issue #11): fuzz inputs and injected faults; counts crashes and data lost (both must be 0).

Two halves, one harness (the tests ``tests/test_fuzz_*.py`` and ``tests/test_faults_index.py`` run the same
code at small counts):

* **fuzz** — the hypothesis properties of ``tests/test_fuzz_parsers.py`` and ``tests/test_fuzz_query.py``
  with random seeds and ``--examples`` examples each (``LEGALRET_FUZZ_EXAMPLES``); every input tried is
  counted; a crash is any exception other than legalret's own errors (a failing property);
* **faults** — on a small BM25-only index (``model='none'``, articles of the 민법 fixture): ``index add`` and
  ``index build`` killed with SIGKILL at *every* file event they make (each open-for-write, rename, fsync,
  unlink, mkdir, rmtree — counted in a dry run), the same events failing with ``ENOSPC`` (disk full), a
  second writer while one holds the lock, and readers loading the index in a loop while a writer works.
  After each fault the index must load with full checksum verification and hold exactly the old or the
  new generation: anything else is *data lost*.

The faults run in ``os.fork()``-ed children of one process that has the libraries loaded, so a few hundred
kills take seconds. (The children never tokenize: the new generation only drops articles, whose tokens
are reused — Kiwi's thread pool does not survive ``fork``.)

Usage::

    .venv/bin/python benchmarks/robustness.py                       # → benchmarks/results/robustness.{json,md}
    .venv/bin/python benchmarks/robustness.py --examples 2000 --readers 400
    .venv/bin/python benchmarks/robustness.py --skip-fuzz           # faults only (~1 min)
"""

from __future__ import annotations

import argparse
import builtins
import errno
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
FIXTURE_LAW = REPO / "tests" / "fixtures" / "ingest" / "markdown" / "민법"


# ---- the corpus: an old and a new version of a small index ------------------------------------------
def corpus():
    """(v1, v2): the 민법 fixture articles, and the same minus its last two (tokens are all reused)."""
    from legalret.ingest import ingest

    v1 = list(ingest([FIXTURE_LAW]).articles)
    return v1, v1[:-2]


def fingerprint(index_dir: Path):
    """What the live generation holds, loaded with full checksum verification; 'none' when there is no index.

    Raises whatever loading raises: a fault test treats that as data lost."""
    from legalret.errors import IndexError_
    from legalret.index.store import load_index

    try:
        data = load_index(index_dir, verify="full")
    except IndexError_ as e:
        if "no index at" in str(e):
            return "none"
        raise
    hashes = getattr(data, "row_hashes", None)
    if hashes is None:
        hashes = getattr(data, "hashes", [])
    return (tuple(data.keys), tuple(hashes))


# ---- fault injection --------------------------------------------------------------------------------
@dataclass
class FaultPlan:
    """Counts file events; at event ``at`` does ``action``: 'kill' (SIGKILL self), 'enospc' (raise) or None.

    ``slow``: seconds to sleep at every event (makes a write last long enough for readers to race it)."""

    action: str | None = None
    at: int = 0
    slow: float = 0.0
    count: int = 0
    fired: str = ""
    _undo: list = field(default_factory=list)

    def event(self, what: str) -> None:
        self.count += 1
        if self.slow:
            time.sleep(self.slow)
        if self.action and self.count == self.at:
            self.fired = what
            if self.action == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if self.action == "enospc":
                raise OSError(errno.ENOSPC, "No space left on device (injected)")

    @contextmanager
    def installed(self):
        """Patch the stdlib file operations the index writer uses (module attributes, so every caller sees
        them)."""
        plan = self
        real_open = builtins.open

        def fault_open(file, mode="r", *args, **kwargs):
            if any(c in mode for c in "wax+"):
                plan.event(f"open({Path(str(file)).name!r}, {mode!r})")
            return real_open(file, mode, *args, **kwargs)

        def wrap(module, name):
            real = getattr(module, name)

            def patched(*args, **kwargs):
                plan.event(f"{name}({', '.join(Path(str(a)).name for a in args[:2])})")
                return real(*args, **kwargs)

            setattr(module, name, patched)
            self._undo.append((module, name, real))

        self._undo.append((builtins, "open", real_open))
        builtins.open = fault_open
        for name in ("replace", "rename", "fsync", "unlink", "remove", "mkdir", "makedirs", "rmdir", "symlink"):
            wrap(os, name)
        wrap(shutil, "rmtree")
        try:
            yield self
        finally:
            for module, name, real in reversed(self._undo):
                setattr(module, name, real)
            self._undo.clear()


def in_child(fn: Callable[[], object], plan: FaultPlan | None = None, timeout: float = 120.0) -> dict:
    """Run ``fn`` in a forked child under ``plan``; {'status': completed|killed|error|timeout, …}."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_end)
        status = {"status": "completed"}
        try:
            if plan is not None:
                with plan.installed():
                    fn()
                status["events"] = plan.count
            else:
                fn()
        except BaseException as e:  # noqa: BLE001 - reported to the parent
            status = {"status": "error", "error": f"{type(e).__name__}: {e}"[:300],
                      "legalret_error": _is_legalret_error(e), "events": plan.count if plan else 0}
        os.write(write_end, json.dumps(status).encode())
        os._exit(0)
    os.close(write_end)
    deadline = time.monotonic() + timeout
    while True:
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read_end)
            return {"status": "timeout"}
        time.sleep(0.005)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    if os.WIFSIGNALED(code):
        return {"status": "killed", "signal": os.WTERMSIG(code)}
    return json.loads(b"".join(chunks) or b'{"status": "error", "error": "child said nothing"}')


def _is_legalret_error(e: BaseException) -> bool:
    from legalret.errors import LegalretError

    return isinstance(e, LegalretError)


# ---- the operations under test ----------------------------------------------------------------------
def op_add(index_dir: Path, articles) -> Callable[[], object]:
    from legalret.index.build import add_to_index

    return lambda: add_to_index(articles, index_dir, allow_removals=True)


def op_build(index_dir: Path, articles) -> Callable[[], object]:
    from legalret.index.build import build_index

    return lambda: build_index(articles, index_dir, model="none")


OPS = {"add": op_add, "build": op_build}


@dataclass
class Setup:
    """A built v1 index (the template every trial copies) and the fingerprints of v1 and v2."""

    root: Path
    template: Path
    v1: list
    v2: list
    old: object
    new: object
    events: dict  # op → file events of a fault-free run

    @classmethod
    def create(cls, root: Path) -> "Setup":
        from legalret.index.build import build_index

        v1, v2 = corpus()
        template = root / "template"
        build_index(v1, template, model="none")
        old = fingerprint(template)
        events, new = {}, None
        for name, op in OPS.items():
            trial = root / f"dry-{name}"
            shutil.copytree(template, trial, symlinks=True)
            plan = FaultPlan()
            result = in_child(op(trial, v2), plan)
            if result["status"] != "completed":
                raise RuntimeError(f"fault-free {name} failed: {result}")
            events[name] = result["events"]
            got = fingerprint(trial)
            if new is not None and got != new:
                raise RuntimeError("add and build of the same articles disagree")
            new = got
            shutil.rmtree(trial)
        if new == old:
            raise RuntimeError("v2 must differ from v1")
        return cls(root, template, v1, v2, old, new, events)

    def fresh(self, name: str) -> Path:
        trial = self.root / name
        if trial.exists():
            shutil.rmtree(trial)
        shutil.copytree(self.template, trial, symlinks=True)
        return trial


@dataclass
class Trial:
    kind: str  # kill | enospc | lock | readers
    op: str
    at: int
    outcome: str  # what the operation did: killed, completed, error …
    state: str  # old | new | lost: <why>
    detail: str = ""

    @property
    def data_lost(self) -> bool:
        return self.state.startswith("lost")


def judge(setup: Setup, index_dir: Path) -> tuple[str, str]:
    """('old'|'new'|'lost: …', detail) for the index after a fault."""
    try:
        got = fingerprint(index_dir)
    except Exception as e:  # noqa: BLE001 - anything here means the old data is not readable
        return "lost: unreadable", f"{type(e).__name__}: {e}"[:300]
    if got == setup.old:
        return "old", ""
    if got == setup.new:
        return "new", ""
    if got == "none":
        return "lost: no index", ""
    return "lost: mixed", f"{len(got[0])} articles"


def kill_trials(setup: Setup, op: str, points: list[int] | None = None, recover: bool = False) -> list[Trial]:
    """SIGKILL ``op`` at each file event in ``points`` (default: every event of a fault-free run)."""
    trials = []
    for at in points or range(1, setup.events[op] + 1):
        index_dir = setup.fresh(f"kill-{op}-{at}")
        result = in_child(OPS[op](index_dir, setup.v2), FaultPlan("kill", at))
        state, detail = judge(setup, index_dir)
        if recover and not state.startswith("lost"):  # the index still takes writes: no stale lock or temp
            again = in_child(OPS[op](index_dir, setup.v2))
            after, why = judge(setup, index_dir)
            if again["status"] != "completed" or after != "new":
                state, detail = "lost: cannot write after the kill", f"{again} {after} {why}"
        trials.append(Trial("kill", op, at, result["status"], state, detail or result.get("error", "")))
        shutil.rmtree(index_dir, ignore_errors=True)
    return trials


def enospc_trials(setup: Setup, op: str, points: list[int] | None = None) -> list[Trial]:
    """Make the ``at``-th file event fail with ENOSPC (disk full); the old generation must stay intact."""
    trials = []
    for at in points or range(1, setup.events[op] + 1):
        index_dir = setup.fresh(f"enospc-{op}-{at}")
        result = in_child(OPS[op](index_dir, setup.v2), FaultPlan("enospc", at))
        state, detail = judge(setup, index_dir)
        if result["status"] == "error" and state == "new":
            state, detail = "lost: failed but changed", result.get("error", "")
        trials.append(Trial("enospc", op, at, result["status"], state,
                            detail or result.get("error", "")))
        shutil.rmtree(index_dir, ignore_errors=True)
    return trials


def lock_trial(setup: Setup, op: str = "add") -> Trial:
    """A writer holds the index (slowed down); a second writer must fail at once with a lock message."""
    from legalret.errors import LegalretError

    index_dir = setup.fresh(f"lock-{op}")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        plan = FaultPlan(slow=0.05)
        os.write(write_end, b"go")
        try:
            with plan.installed():
                OPS[op](index_dir, setup.v2)()
        finally:
            os._exit(0)
    os.close(write_end)
    os.read(read_end, 2)
    os.close(read_end)
    time.sleep(0.3)  # the first writer has the lock by now (it takes it before any file event)
    t0 = time.monotonic()
    try:
        OPS[op](index_dir, setup.v1)()
        outcome, detail = "completed", "second writer was not stopped"
    except LegalretError as e:
        outcome, detail = ("locked" if "locked" in str(e) else "error"), str(e)
    except Exception as e:  # noqa: BLE001
        outcome, detail = "crash", f"{type(e).__name__}: {e}"
    waited = time.monotonic() - t0
    os.waitpid(pid, 0)
    state, why = judge(setup, index_dir)
    if outcome != "locked":
        state = "lost: second writer not refused" if outcome == "completed" else state
    trials = Trial("lock", op, 0, outcome, state, f"{detail} ({waited:.2f}s) {why}".strip())
    shutil.rmtree(index_dir, ignore_errors=True)
    return trials


def reader_trial(setup: Setup, op: str = "add", reads: int = 50, slow: float = 0.02) -> list[Trial]:
    """Readers load the index (full verification) in a loop while a slowed writer replaces it: at least
    ``reads`` loads, and on until the writer is done; then one more. Each must see v1 or v2 whole."""
    index_dir = setup.fresh(f"readers-{op}")
    pid = os.fork()
    if pid == 0:
        plan = FaultPlan(slow=slow)
        try:
            with plan.installed():
                OPS[op](index_dir, setup.v2)()
        finally:
            os._exit(0)
    trials = []
    writing = True
    i = 0
    while writing or i < reads:
        if writing and os.waitpid(pid, os.WNOHANG)[0]:
            writing = False
        state, detail = judge(setup, index_dir)
        trials.append(Trial("readers", op, i, "read during write" if writing else "read after write", state, detail))
        i += 1
    shutil.rmtree(index_dir, ignore_errors=True)
    return trials


# ---- fuzz (runs the property tests with random seeds) -----------------------------------------------
def run_fuzz(examples: int, out_dir: Path) -> dict:
    counts = out_dir / "fuzz-counts.json"
    counts.unlink(missing_ok=True)
    env = dict(os.environ, LEGALRET_FUZZ_EXAMPLES=str(examples), LEGALRET_FUZZ_COUNT_FILE=str(counts))
    junit = out_dir / "fuzz-junit.xml"
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
                           "tests/test_fuzz_parsers.py", "tests/test_fuzz_query.py"],
                          cwd=REPO, env=env, capture_output=True, text=True)
    seconds = time.time() - t0
    import xml.etree.ElementTree as ET

    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    failures = []
    for case in suite.iter("testcase"):
        bad = case.find("failure") if case.find("failure") is not None else case.find("error")
        if bad is not None:
            failures.append(f"{case.get('name')}: {(bad.get('message') or '').splitlines()[0][:300] if bad.get('message') else ''}")
    xfails = [case.get("name") for case in suite.iter("testcase")
              if case.find("skipped") is not None and "xfail" in (case.find("skipped").get("type", "") +
                                                                   case.find("skipped").get("message", ""))]
    tried = json.loads(counts.read_text()) if counts.exists() else {}
    return {"examples_per_property": examples, "inputs_tried": sum(tried.values()), "by_target": tried,
            "crashes": len(failures), "crash_list": failures, "known_bugs_xfailed": xfails,
            "tests": int(suite.get("tests", 0)), "seconds": round(seconds, 1),
            "pytest_tail": proc.stdout[-1500:] if failures else ""}


# ---- report -----------------------------------------------------------------------------------------
def summarize(trials: list[Trial]) -> dict:
    by_kind: dict[str, dict] = {}
    for t in trials:
        k = by_kind.setdefault(f"{t.kind} {t.op}", {"faults": 0, "old": 0, "new": 0, "data_lost": 0, "outcomes": {}})
        k["faults"] += 1
        k["data_lost"] += t.data_lost
        if t.state in ("old", "new"):
            k[t.state] += 1
        k["outcomes"][t.outcome] = k["outcomes"].get(t.outcome, 0) + 1
    return by_kind


def markdown(report: dict) -> str:
    f = report.get("fuzz")
    lines = ["# Robustness benchmark", "", f"Command: `{report['command']}`", "",
             f"**Crashes: {report['crashes']}** (must be 0) · **data lost: {report['data_lost']}** (must be 0) · "
             f"inputs tried: {report['inputs_tried']:,} · faults injected: {report['faults_injected']:,}", ""]
    if f:
        lines += ["## Fuzz (hypothesis, random seeds)", "",
                  f"{f['tests']} property tests × up to {f['examples_per_property']} examples; {f['inputs_tried']:,} "
                  f"inputs tried in {f['seconds']} s; crashes: {f['crashes']}.", "",
                  "| target | inputs |", "|---|---|"]
        lines += [f"| {k} | {v:,} |" for k, v in sorted(f["by_target"].items())]
        if f["known_bugs_xfailed"]:
            lines += ["", "Known bugs in other owners' files, marked xfail (not counted as crashes here, listed in "
                      "the issue): " + ", ".join(f"`{x}`" for x in f["known_bugs_xfailed"])]
        if f["crash_list"]:
            lines += ["", "Crashes:"] + [f"- {c}" for c in f["crash_list"]]
        lines.append("")
    lines += ["## Faults (small BM25-only index; v1 → v2)", "",
              f"File events of a fault-free run: {report['events']}.", "",
              "| fault | injected | index after: old | new | data lost | what the operation did |",
              "|---|---|---|---|---|---|"]
    for name, k in report["faults"].items():
        outcomes = ", ".join(f"{o} {n}" for o, n in sorted(k["outcomes"].items()))
        lines.append(f"| {name} | {k['faults']} | {k['old']} | {k['new']} | {k['data_lost']} | {outcomes} |")
    if report["lost_list"]:
        lines += ["", "Data lost:"] + [f"- {x}" for x in report["lost_list"][:30]]
    if report.get("raw_os_errors"):
        lines += ["", f"{report['raw_os_errors']} injected disk-full faults surfaced as a raw `OSError` from the index "
                  "writer (the previous generation stayed intact every time; the CLI shows a traceback instead of a "
                  "one-line error: to fix in legalret/index/store.py)."]
    m = report["machine"]
    lines += ["", f"{report['seconds']:.0f} s on {m['cores']} shared cores (Python {m['python']}).", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", type=int, default=500, help="hypothesis examples per fuzz property")
    ap.add_argument("--readers", type=int, default=200, help="index loads racing each writer")
    ap.add_argument("--skip-fuzz", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = ap.parse_args(argv)
    os.environ.setdefault("LEGALRET_TOKENIZER_WORKERS", "1")
    os.environ.setdefault("LEGALRET_TOKEN_CACHE", "off")  # every trial must write the same files (no warm cache)
    t0 = time.time()
    args.out.mkdir(parents=True, exist_ok=True)
    fuzz = None
    if not args.skip_fuzz:
        with tempfile.TemporaryDirectory() as tmp:
            fuzz = run_fuzz(args.examples, Path(tmp))
        print(f"fuzz: {fuzz['inputs_tried']:,} inputs, {fuzz['crashes']} crashes ({fuzz['seconds']} s)", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        setup = Setup.create(Path(tmp))
        trials: list[Trial] = []
        for op in OPS:
            trials += kill_trials(setup, op, recover=True)
            trials += enospc_trials(setup, op)
            trials.append(lock_trial(setup, op))
            trials += reader_trial(setup, op, reads=args.readers)
            print(f"faults {op}: {len(trials)} so far", file=sys.stderr)
    faults = summarize(trials)
    lost = [f"{t.kind} {t.op} at event {t.at}: {t.outcome} → {t.state} {t.detail}" for t in trials if t.data_lost]
    fault_crashes = [t for t in trials if t.outcome in ("crash", "timeout")]
    # a fault that surfaces as a raw OSError (not a one-line legalret error) is not data lost, but it is
    # a traceback at the command line: counted apart
    raw_errors = [t for t in trials if t.outcome == "error" and t.detail.startswith("OSError")]
    report = {
        "benchmark": "robustness",
        "command": ("python benchmarks/robustness.py " + " ".join(argv if argv is not None else sys.argv[1:])).strip(),
        "crashes": (fuzz["crashes"] if fuzz else 0) + len(fault_crashes),
        "data_lost": len(lost),
        "inputs_tried": fuzz["inputs_tried"] if fuzz else 0,
        "faults_injected": len(trials),
        "events": setup.events,
        "fuzz": fuzz, "faults": faults, "lost_list": lost,
        "fault_crash_list": [f"{t.kind} {t.op} {t.at}: {t.outcome} {t.detail}" for t in fault_crashes],
        "raw_os_errors": len(raw_errors),
        "seconds": time.time() - t0,
        "machine": {"python": platform.python_version(), "cores": os.cpu_count(),
                    "load_average_1m_at_end": os.getloadavg()[0]},
    }
    (args.out / "robustness.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (args.out / "robustness.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))
    return 0 if report["crashes"] == 0 and report["data_lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
