"""Where the parent process of a cold in-process ``legalret search`` spends its time — two checkouts, one run.

A cold search in a pipe forks Kiwi into a child first (:class:`legalret.index.tokenize.TokensAhead`) and then
parses the command line, imports, opens the index and loads the query encoder; it waits for the child's
tokens, then searches. Whichever of the two paths is longer sets the wall time, and on a loaded 2-core machine
they share the cores, so the parent's CPU seconds count either way. This runs ``legalret search QUERY --index
IDX --json`` as ``python -m legalret`` does (:mod:`runpy`) in new processes — the checkout ``--before`` and this one
alternately, run by run (which goes first alternates too), each importing its own ``legalret`` — and reports
per stage the parent's CPU seconds (``time.process_time``: this process, its threads, not the child) and
wall seconds, as medians and after/before ratios:

``fork``              from the start until the child is forked (the entry's imports and ``start_tokenizer``)
``Searcher()``        opening the index (``Searcher.__init__``)
``encoder``           ``Searcher.load``: the query encoder (ONNX Runtime session, tokenizer)
``  tokenizer``       … of which the query tokenizer (``CompactUnigram.from_json``)
``to the wait``       from the start until the parent asks the child for its tokens (imports, parsing, the above)
``wait``              waiting for the child (Kiwi's start-up): 0 when the parent's path is the longer one
``child answers``     when the child's tokens were there (wall only): the child's path, whenever it is the longer
``after``             the search itself and the output, once the tokens are there
``total``             the whole search (from before ``legalret`` is run; Python's own start-up not counted)

The stages are timed by wrapping those functions (private names: a checkout without one reports no value).
The first run of each side is not counted (page cache, compiled modules, the caches a search writes).

Usage::

    git -C /work/main archive d169a3d | tar -x -C /tmp/before
    python benchmarks/cold_parent.py --before /tmp/before --index idx idx-all --runs 9 \\
        --query "임대인이 보증금을 돌려주지 않을 때" --json benchmarks/results/cold_parent.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STAGES = ("fork", "Searcher()", "encoder", "  tokenizer", "to the wait", "wait", "child answers", "after", "total")


def _timed(owner, name: str, label: str, spans: dict) -> None:
    """Wrap ``owner.name`` (a function or classmethod) so that each call adds its (wall, CPU) seconds to
    ``spans[label]``; nothing when the checkout has no such attribute."""
    raw = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
    if raw is None:
        return
    is_classmethod = isinstance(raw, classmethod)
    inner = raw.__func__ if is_classmethod else raw

    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            w, c = spans.get(label, (0.0, 0.0))
            spans[label] = (w + time.perf_counter() - wall, c + time.process_time() - cpu)

    setattr(owner, name, classmethod(wrapper) if is_classmethod else wrapper)


def measure(query: str, index: str) -> dict:
    """One cold search in this process (call first thing): {stage: [wall, CPU]}."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    spans: dict = {}
    marks: dict = {}
    import legalret.index.tokenize as tokenize  # (imported before the fork in any case)

    start = tokenize.TokensAhead.__dict__["start"].__func__

    def start_then_wrap(cls, *args, **kwargs):
        """Fork first, as the CLI does, then wrap what the parent runs (importing it here, not before the fork)."""
        ahead = start(cls, *args, **kwargs)
        marks["fork"] = (time.perf_counter() - wall0, time.process_time() - cpu0)
        import legalret.models.onnx as onnx
        import legalret.search.searcher as searcher

        _timed(searcher.Searcher, "__init__", "Searcher()", spans)
        _timed(searcher.Searcher, "load", "encoder", spans)
        _timed(onnx.CompactUnigram, "from_json", "  tokenizer", spans)
        return ahead

    tokenize.TokensAhead.start = classmethod(start_then_wrap)
    reply = getattr(tokenize.TokensAhead, "_reply", None)
    if reply is not None:
        def _reply(self):
            marks["to the wait"] = (time.perf_counter() - wall0, time.process_time() - cpu0)
            return reply(self)
        tokenize.TokensAhead._reply = _reply
        _timed(tokenize.TokensAhead, "_reply", "wait", spans)
    import runpy

    sys.argv = ["legalret", "search", query, "--index", index, "--json"]
    stdout, sys.stdout = sys.stdout, open(os.devnull, "w")
    try:
        runpy.run_module("legalret", run_name="__main__")  # as `python -m legalret` (each checkout's own entry)
    except SystemExit as e:
        if e.code:
            raise
    finally:
        sys.stdout.close()
        sys.stdout = stdout
    total = (time.perf_counter() - wall0, time.process_time() - cpu0)
    out = {**spans, **marks, "total": total}
    if "to the wait" in marks and "wait" in spans:
        out["after"] = tuple(t - a - b for t, a, b in zip(total, marks["to the wait"], spans["wait"]))
        out["child answers"] = (marks["to the wait"][0] + spans["wait"][0], None)
    return {k: [None if v is None else round(v, 4) for v in vals] for k, vals in out.items()}


def compare(before: Path, indexes: list[str], query: str, runs: int) -> dict:
    sides = {"before": before.resolve(), "after": REPO}
    from index_names import index_name, portable_path  # (the parent only: each side imports its own legalret)

    result: dict = {"before": portable_path(before), "query": query, "runs": runs, "indexes": {}}
    for index in indexes:
        got: dict = {side: [] for side in sides}
        for i in range(runs + 1):
            for side in ("before", "after") if i % 2 else ("after", "before"):
                env = dict(os.environ, PYTHONPATH=str(sides[side]), LEGALRET_RESIDENT="off")
                env.pop("PYTHONDONTWRITEBYTECODE", None)  # (compiled once, as an installed legalret is)
                proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure", query, index],
                                      env=env, cwd=str(sides[side]), capture_output=True, text=True, stdin=subprocess.DEVNULL)
                if proc.returncode != 0:
                    raise SystemExit(f"{side} on {index}: exit {proc.returncode}: {proc.stderr[-600:]}")
                if i:
                    got[side].append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(f"  {index}: run {i}/{runs}", file=sys.stderr, flush=True)
        entry: dict = {}
        for stage in STAGES:
            row: dict = {}
            for k, metric in enumerate(("wall_s", "cpu_s")):
                values = {side: [r[stage][k] for r in got[side] if stage in r and r[stage][k] is not None] for side in sides}
                if not all(values.values()):
                    continue
                med = {side: statistics.median(v) for side, v in values.items()}
                row[metric] = {"before": round(med["before"], 4), "after": round(med["after"], 4),
                               "after/before": round(med["after"] / med["before"], 3) if med["before"] > 0 else None}
            entry[stage] = row
        entry["runs"] = got
        result["indexes"][index_name(index)] = entry
        print(f"{index} (median of {runs}; CPU = the parent's own)")
        print(f"  {'stage':14s} {'CPU before':>10s} {'after':>8s} {'ratio':>6s}   {'wall before':>11s} {'after':>8s} {'ratio':>6s}")
        for stage in STAGES:
            row = entry[stage]
            if not row:
                continue
            c, w = row.get("cpu_s"), row["wall_s"]  # (no CPU for the child's answer: not the parent's)
            cpu = f"{c['before']:10.3f} {c['after']:8.3f} {c['after/before'] or 0:6.2f}" if c else f"{'-':>10s} {'-':>8s} {'-':>6s}"
            print(f"  {stage:14s} {cpu}   {w['before']:11.3f} {w['after']:8.3f} {w['after/before'] or 0:6.2f}")
    return result


def main() -> None:
    if sys.argv[1:2] == ["--measure"]:  # one side's process (its own legalret on PYTHONPATH)
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", type=Path, required=True, help="the other checkout (git archive REV | tar -x -C DIR)")
    ap.add_argument("--index", nargs="+", required=True)
    ap.add_argument("--query", default="임대인이 보증금을 돌려주지 않을 때")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    result = compare(args.before, args.index, args.query, args.runs)
    if args.json:
        from index_names import recorded_command

        result["command"] = recorded_command("cold_parent.py")
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
