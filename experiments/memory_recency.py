"""Should a nearer-in-time holding weigh more in the all-law memory's votes?

Every one of the nearest holdings votes for the articles its decision cites, however old the decision. On the
all-law index the memory reaches back to decisions of the 1950s–90s whose citations were resolved to today's
articles (renumbered codes, 민사소송법 → 민사집행법, amended 형법 …), and a 2021 holding's articles are more often those
a 2015 decision cited than those a 1985 one did. This tries a half-life on the vote weight: a holding decided ``a``
years before the newest of the query's nearest holdings weighs ``0.5 ** (a / half_life)`` times as much (relative
to the nearest set, so the same for a user's question today and a benchmark's cut at 2020).

Stage 1: the holdings memory alone, half-lives 5, 10 and 20 years, on the tune halves (the law and user questions per
style, 1,000 any-law dev holdings of the tune half), the memory's own query path and leakage guards
(``experiments/memory_votes_all_laws.py``'s groups and scoring). Stage 2: the best by stage 1 through the default
(every retriever, the shipped all-law re-ranker — fitted on votes without a half-life).

Rule, written before the run (2026-12-04): stage 2 passes if the default's tune mean of recall@10 and MRR@10 over the
seven groups is ≥ +0.005 above the shipped votes' and no group's recall@10 is lower by more than 0.01; then (this
session's lesson: tune gains of this size did not survive twice) the report halves are scored once and must not be
lower in that mean. Only both would make a half-life a vote setting (and the re-ranker would be refitted on it).

Outcome (2026-12-04, ``memory_recency_tune.md``): the memory alone 0.5741 → 0.5554 / 0.5671 / 0.5809 at 5 / 10 / 20
years (holdings MRR up, 민법/상법 questions down with short half-lives); the default with 20 years 0.7527 → 0.7515, law
short recall@10 −0.013: **not passed**, report not read, votes stay without a half-life.

    LEGALRET_HOME=… python experiments/memory_recency.py --index FULL_IDX --holdings PAIRS_ALL/law_holdings.jsonl

Writes ``benchmarks/results/memory_recency_tune.{json,md}`` (and ``_report`` with ``--split report --half-life H``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "experiments"))

from index_names import portable_path, recorded_command  # noqa: E402
from memory_votes_all_laws import query_set_arguments, scores, tune_queries  # noqa: E402

HALF_LIVES = (5.0, 10.0, 20.0)


def with_half_life(retriever, half_life: float | None) -> None:
    """Weigh each of ``retriever``'s nearest holdings by its age before the newest of them (``None``: as shipped)."""
    original = type(retriever)._nearest
    decided = retriever.memory.decided_ord
    if half_life is None:
        retriever.__dict__.pop("_nearest", None)
        return

    def nearest(query, tokens, allowed):
        near, top = original(retriever, query, tokens, allowed)
        if near is not None and len(near.rows):
            days = decided[near.rows]
            age = (days.max() - days) / 365.25
            near.weights = (np.asarray(near.weights) * 0.5 ** (age / half_life)).tolist()
        return near, top

    retriever._nearest = nearest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    query_set_arguments(ap)
    ap.add_argument("--half-life", type=float, help="report split: the one half-life to compare with the shipped votes")
    args = ap.parse_args(argv)
    from legalret.search.searcher import Searcher

    queries = tune_queries(args.holdings, args.holdings_limit, args.split, args.seed)
    searcher = Searcher(args.index)
    memory = searcher.memory
    print(f"{len(queries)} queries ({args.split})", flush=True)
    stage1 = []
    if args.split == "tune":
        for h in (None, *HALF_LIVES):
            with_half_life(memory, h)
            t = time.perf_counter()
            s = scores(searcher, queries, "memory")
            stage1.append({"half_life": h, "scores": s})
            print(f"  memory, half-life {h}: {s['_mean']:.4f} ({time.perf_counter() - t:.0f}s)", flush=True)
        best = max(stage1[1:], key=lambda r: r["scores"]["_mean"])["half_life"]
    else:
        best = args.half_life
    stage2 = []
    for h in (None, best):
        with_half_life(memory, h)
        t = time.perf_counter()
        s = scores(searcher, queries, "hybrid")
        stage2.append({"half_life": h, "scores": s})
        print(f"  default, half-life {h}: {s['_mean']:.4f} ({time.perf_counter() - t:.0f}s)", flush=True)
    base, new = stage2[0]["scores"], stage2[1]["scores"]
    groups = [g for g in base if not g.startswith("_")]
    worst = min(new[g]["recall@10"] - base[g]["recall@10"] for g in groups)
    delta = new["_mean"] - base["_mean"]
    passed = (delta >= 0.005 and worst >= -0.01) if args.split == "tune" else delta >= 0
    decision = f"half-life {best:g} years: mean {delta:+.4f}, worst group recall@10 {worst:+.3f} — " + \
        ("passes" if passed else "does not pass")
    result = {"index": portable_path(args.index), "split": args.split, "holdings_limit": args.holdings_limit,
              "stage1": stage1, "stage2": stage2, "decision": decision,
              "command": recorded_command("memory_recency.py", argv, folder="experiments")}
    lines = [f"### A half-life on the all-law memory's votes — {args.split} halves", "",
             "Mean of recall@10 and MRR@10 over the groups; each cell recall@10 / MRR@10.", "",
             "| list | half-life (years) | mean | " + " | ".join(f"{g} (n={base[g]['n']})" for g in groups) + " |",
             "|---|---:|---:|" + "---:|" * len(groups)]
    for part, rows in (("memory", stage1), ("default", stage2)):
        for r in rows:
            s = r["scores"]
            lines.append(f"| {part} | {r['half_life'] or 'none'} | {s['_mean']:.4f} | "
                         + " | ".join(f"{s[g]['recall@10']:.3f} / {s[g]['mrr@10']:.3f}" for g in groups) + " |")
    lines += ["", f"Decision: {decision}", "", f"Reproduce: `{result['command']}`", ""]
    out = REPO / "benchmarks" / "results" / f"memory_recency_{args.split}"
    out.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
