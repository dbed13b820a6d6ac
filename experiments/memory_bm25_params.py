"""The holdings memory's BM25 parameters (k1, b): set at 1.5 / 0.75 when the memory was first built, never tuned.

The memory finds the earlier holdings nearest a query by BM25 over their Kiwi tokens (판시사항 + 판결요지) and lets them
vote; its vote settings (depth, score power, spread) were grid-searched (``benchmarks/memory_eval.py --tune``), its
BM25 saturation ``k1`` and length normalisation ``b`` were not. Holdings differ in length by an order of magnitude
(median ~300 characters with the 판결요지, a long tail past 2,000), and the queries are both short questions and whole
holdings, so ``b`` in particular may matter. The facts memory's own grid chose b 0.5 (``facts_memory_tune.md``).

Two steps on the main job's index, each memory rebuilt in memory from its stored tokens (no index is written):

* ``grid`` — the memory alone (mode ``memory``) for k1 × b, fixed before the run, on the tune halves of
  ``user_questions.jsonl`` + 600 train holdings (style_eval's seeded sample; only earlier, other decisions vote);
* ``default --k1 K --b B`` — ``benchmarks/style_eval.py`` (``memory,default``) with that setting, for
  ``benchmarks/compare_runs.py`` against the same run's shipped setting (``--k1 1.5 --b 0.75``).

    python experiments/memory_bm25_params.py grid --index IDX --holdings PAIRS/train_queries.jsonl
    python experiments/memory_bm25_params.py default --index IDX --holdings PAIRS/train_queries.jsonl --k1 1.2 --b 0.5 \\
        --name memory_bm25_tune_k1.2_b0.5

Rule, written before the first run (2026-12-05): the grid's setting with the best mean of recall@10 and MRR@10 of
the memory alone over the four tune groups goes on if that mean is ≥ +0.005 above the shipped setting's; then the
default with it must show, against the shipped setting in the same run (``compare_runs.py``), a tune mean of recall@10
and MRR@10 over the four groups ≥ +0.005 with no group more than one question net down in recall@10; read once after,
the report halves + 600 dev holdings no lower in that mean and no group more than one question net down, and
``user_questions_2.jsonl`` (both halves) no group more than one question net down. The re-ranker is not refitted.

Outcome (2026-12-05): **not passed, 1.5 / 0.75 stays** (``memory_bm25_grid.md``). The surface is flat: the memory
alone's tune mean ranges 0.716–0.725 over the twelve settings; the best, k1 1.2 / b 0.5, is 0.7253 against the
shipped 0.7221 (+0.0032, the rule asked +0.005), holdings identical (0.842 / 0.732 vs 0.839 / 0.736). The default step
was not run. The memory's ranking of holdings is not where its misses come from.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
RESULTS = REPO / "benchmarks" / "results"
#: (k1, b): the grid, fixed before the run; (1.5, 0.75) is the shipped setting.
GRID = tuple((k1, b) for k1 in (0.9, 1.2, 1.5, 2.0) for b in (0.5, 0.75, 0.9))
SHIPPED = (1.5, 0.75)


def use_params(k1: float, b: float) -> None:
    """Every holdings memory loaded from now on scores with BM25 ``k1`` / ``b`` (its engine rebuilt from its tokens)."""
    from legalret.index.bm25 import BM25Engine, BM25Params
    from legalret.memory.store import PrecedentMemory

    original = PrecedentMemory.__dict__["load"].__func__
    if not hasattr(PrecedentMemory, "_original_load"):
        PrecedentMemory._original_load = original
    original = PrecedentMemory._original_load

    def load(cls, *args, **kwargs):
        memory = original(cls, *args, **kwargs)
        if memory.kind == "holdings" and memory.bm25 is not None:
            memory.params = BM25Params(k1=k1, b=b, method=memory.params.method)
            memory.bm25 = BM25Engine.build(memory.tokens, memory.params, counts=True)
            for cached in ("_vote_arrays", "_voting", "_indexes", "_df"):
                setattr(memory, cached, None)
        return memory

    PrecedentMemory.load = classmethod(load)


def grid(args) -> int:
    import style_eval
    from style_eval import load_sets, run_retrievers

    from legalret.evaluate.report import write_result

    queries = load_sets(args.questions, "tune", args.holdings, args.holdings_limit, args.seed)
    table = {}
    for k1, b in GRID:
        use_params(k1, b)
        results, _, _ = run_retrievers(args.index, queries, ["memory"], before="2020-01-01", ranker=None,
                                       n_resamples=0, seed=args.seed)
        groups = {}
        for style in ("short", "scenario", "keyword", "holding"):
            rows = [r for q, r in zip(queries, results["memory"]) if q.extra["style"] == style and r is not None]
            groups[style] = {"recall@10": float(np.mean([r["recall@10"] for r in rows])),
                             "mrr@10": float(np.mean([r["mrr@10"] for r in rows])), "n": len(rows)}
        mean = float(np.mean([v[m] for v in groups.values() for m in ("recall@10", "mrr@10")]))
        table[f"{k1}/{b}"] = {"groups": groups, "mean": mean}
        print(f"k1 {k1} b {b}: mean {mean:.4f} " + " ".join(
            f"{s} {v['recall@10']:.3f}/{v['mrr@10']:.3f}" for s, v in groups.items()), flush=True)
    best = max(table, key=lambda s: table[s]["mean"])
    result = {"settings": {"index": Path(args.index).name, "grid": [list(g) for g in GRID], "shipped": list(SHIPPED),
                           "holdings_limit": args.holdings_limit, "seed": args.seed,
                           "command": style_eval.recorded_command("memory_bm25_params.py", sys.argv[1:], folder="experiments")},
              "table": table, "best": best}
    md = ["### The holdings memory alone by BM25 k1 / b (main job's index, tune halves + train holdings): "
          "recall@10 / MRR@10", "", "| k1 / b | mean | short | scenario | keyword | holding |", "|---|---:|---:|---:|---:|---:|"]
    for s, v in table.items():
        md.append(f"| {s}{' (shipped)' if s == '%s/%s' % SHIPPED else ''} | {v['mean']:.4f} | " + " | ".join(
            f"{v['groups'][g]['recall@10']:.3f} / {v['groups'][g]['mrr@10']:.3f}" for g in ("short", "scenario", "keyword", "holding")) + " |")
    md += ["", f"Best: {best}.", "", f"Reproduce: `{result['settings']['command']}`", ""]
    write_result(RESULTS, args.name or "memory_bm25_grid", result, "\n".join(md))
    print("\n".join(md))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("grid", "default"))
    ap.add_argument("--index", required=True)
    ap.add_argument("--questions", default=str(REPO / "benchmarks" / "queries" / "user_questions.jsonl"))
    ap.add_argument("--split", default="tune", choices=("tune", "report", "all"))
    ap.add_argument("--holdings", help="holdings with date/case_no (style_eval's --holdings)")
    ap.add_argument("--holdings-limit", type=int, default=600)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--k1", type=float, default=SHIPPED[0])
    ap.add_argument("--b", type=float, default=SHIPPED[1])
    ap.add_argument("--name")
    args = ap.parse_args(argv)
    if args.what == "grid":
        return grid(args)
    import style_eval

    use_params(args.k1, args.b)
    argv = ["--index", args.index, "--questions", args.questions, "--split", args.split, "--retrievers",
            "memory,default", "--name", args.name or f"memory_bm25_{args.split}_k1{args.k1}_b{args.b}"]
    if args.holdings:
        argv += ["--holdings", args.holdings, "--holdings-limit", str(args.holdings_limit)]
    # the result records this experiment's command (style_eval runs inside it, the memory's BM25 rebuilt)
    return style_eval.main(argv, command=style_eval.recorded_command("memory_bm25_params.py", sys.argv[1:], folder="experiments"))


if __name__ == "__main__":
    raise SystemExit(main())
