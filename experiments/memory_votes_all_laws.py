"""Do the holdings memory's vote settings, tuned on 33k 민법/상법 holdings, suit the all-law memory's 92k?

:class:`legalret.memory.retriever.VoteConfig` (how many nearest holdings vote, how their similarity and rank
weigh, how a holding's weight spreads over the articles it cites) was grid-searched once on 민법/상법 holdings
(``benchmarks/memory_eval.py --tune``). The all-law index's memory holds almost three times as many holdings
from every law, so its 100 nearest are a thinner slice of the relevant ones. Two stages on the tune halves, one
index (the all-law index as a user builds it today), the re-ranker as shipped:

1. the memory alone over a grid of ``depth`` × ``score_power`` × ``spread`` (the searcher's own query path,
   ``mode="memory"``, the evaluation's leakage guards: questions let only decisions before 2020 vote, holdings
   only earlier, other decisions);
2. the default (``hybrid``: every retriever + ``fusion_ranker_all_laws.json``) with the shipped settings and
   with the ``--finalists`` best settings of stage 1.

Groups: the law questions' and the user questions' tune halves per style, and ``--holdings-limit`` any-law dev
holdings of the tune half (``benchmarks/queries/law_holdings.py``). Rule, written before the run: an all-law vote
setting becomes the default for indexes with laws beyond 민법/상법 if the default's tune mean of recall@10 and
MRR@10 over the seven groups rises by ≥ +0.005 and no group's recall@10 falls by more than 0.01; then the
report halves are read once. The re-ranker was fitted on the shipped settings' memory ranks and votes, so a
memory that is better alone need not make the default better — stage 2 decides::

    LEGALRET_HOME=… python experiments/memory_votes_all_laws.py --index FULL_IDX \\
        --holdings PAIRS_ALL/law_holdings.jsonl --holdings-limit 1000 --name memory_votes_all_laws_tune

Writes ``benchmarks/results/<name>.{json,md}``.

The first grid (depth 100 / 200 / 300) found the memory alone best at the shipped depth 100 and worse with every
deeper setting, so a second run tries shallower ones (``--depths 50,70``; same powers and spreads, same rule,
written before that run)::

    LEGALRET_HOME=… python experiments/memory_votes_all_laws.py --index FULL_IDX \
        --holdings PAIRS_ALL/law_holdings.jsonl --holdings-limit 1000 --depths 50,70 --name memory_votes_all_laws_shallow_tune
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from index_names import portable_path, recorded_command  # noqa: E402
from law_eval import load_sets  # noqa: E402
from style_eval import _evaluate  # noqa: E402

QUESTIONS = {"law": REPO / "benchmarks" / "queries" / "law_questions.jsonl",
             "user": REPO / "benchmarks" / "queries" / "user_questions.jsonl"}
#: stage 1: (depth, score_power, spread) for each ``--depths`` depth; the shipped rank_discount (1.0) is kept
DEPTHS = (100, 200, 300)
POWERS, SPREADS = (2.0, 3.0), (0.5, 1.0)
METRICS = ("recall@10", "mrr@10")


def tune_queries(holdings: str, holdings_limit: int, split: str, seed: int):
    """The tune halves: questions tagged with their file (``source``), holdings with ``source=holding``."""
    queries = []
    for source, path in QUESTIONS.items():
        for q in load_sets([str(path)], split, None, split, None, seed):
            q.extra["source"] = source
            queries.append(q)
    for h in load_sets([], split, holdings, split, holdings_limit, seed):
        h.extra["source"] = "holding"
        queries.append(h)
    return queries


def group_of(q) -> str:
    return "holding" if q.extra["source"] == "holding" else f"{q.extra['source']}:{q.extra['style']}"


def scores(searcher, queries, mode: str) -> dict:
    """{group: {metric: mean}} and the per-query rows, for ``mode`` on the searcher as it is now configured."""
    rep = _evaluate(searcher, queries, modes=[mode], ks=(1, 10, 100), rank_k=10, gold_filter="indexed",
                    n_resamples=0, seed=0, default_before="2020-01-01", progress=False)
    rows = rep["per_query"][mode]
    groups: dict[str, dict[str, list]] = {}
    for q, r in zip(queries, rows):
        if "recall@10" not in r:
            continue  # no gold in the index
        g = groups.setdefault(group_of(q), {m: [] for m in METRICS})
        for m in METRICS:
            g[m].append(r[m])
    out = {g: {m: float(np.mean(v)) for m, v in ms.items()} | {"n": len(ms[METRICS[0]])} for g, ms in sorted(groups.items())}
    out["_mean"] = float(np.mean([out[g][m] for g in groups for m in METRICS]))
    return out


def label(cfg) -> str:
    return f"depth {cfg.depth}, power {cfg.score_power:g}, spread {cfg.spread:g}"


def markdown(result: dict) -> str:
    groups = [g for g in result["stage2"][0]["scores"] if not g.startswith("_")]
    lines = [f"### Memory vote settings on the all-law index — {result['split']} halves", "",
             f"Index `{result['index']}`; re-ranker as shipped. Mean of recall@10 and MRR@10 over the groups "
             "(n per group in the header). Rule: the default's mean +0.005, no group's recall@10 −0.01.", "",
             "**Stage 1 — the memory alone**", "", "| settings | mean | " + " | ".join(groups) + " |",
             "|---|---:|" + "---:|" * len(groups)]
    for row in result["stage1"]:
        s = row["scores"]
        lines.append(f"| {row['label']} | {s['_mean']:.4f} | "
                     + " | ".join(f"{s[g]['recall@10']:.3f} / {s[g]['mrr@10']:.3f}" for g in groups) + " |")
    lines += ["", "**Stage 2 — the default**", "",
              "| settings | mean | " + " | ".join(f"{g} (n={result['stage2'][0]['scores'][g]['n']})" for g in groups) + " |",
              "|---|---:|" + "---:|" * len(groups)]
    for row in result["stage2"]:
        s = row["scores"]
        lines.append(f"| {row['label']} | {s['_mean']:.4f} | "
                     + " | ".join(f"{s[g]['recall@10']:.3f} / {s[g]['mrr@10']:.3f}" for g in groups) + " |")
    lines += ["", f"Decision: {result['decision']}", "", f"Command: `{result['command']}`", ""]
    return "\n".join(lines)


def query_set_arguments(ap: argparse.ArgumentParser) -> None:
    """The index and the query set (:func:`tune_queries`): what the experiments on the all-law memory share."""
    ap.add_argument("--index", required=True)
    ap.add_argument("--holdings", required=True, help="law_holdings.jsonl (benchmarks/queries/law_holdings.py)")
    ap.add_argument("--holdings-limit", type=int, default=1000)
    ap.add_argument("--split", default="tune", choices=("tune", "report"))
    ap.add_argument("--seed", type=int, default=0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    query_set_arguments(ap)
    ap.add_argument("--finalists", type=int, default=2, help="stage-1 settings run through the default")
    ap.add_argument("--settings", default=None,
                    help="report split: the one setting to compare, 'depth,power,spread' (stage 1 is skipped)")
    ap.add_argument("--depths", default=",".join(map(str, DEPTHS)), help="stage 1: depths to grid over")
    ap.add_argument("--name", default="memory_votes_all_laws_tune")
    args = ap.parse_args(argv)

    from legalret.search.searcher import Searcher

    queries = tune_queries(args.holdings, args.holdings_limit, args.split, args.seed)
    searcher = Searcher(args.index)
    shipped = searcher.memory.config
    print(f"{len(queries)} queries; shipped votes: {label(shipped)}", flush=True)
    stage1 = []
    if args.settings:
        depth, power, spread = args.settings.split(",")
        finalists = [replace(shipped, depth=int(depth), score_power=float(power), spread=float(spread))]
    else:
        grid = itertools.product([int(d) for d in args.depths.split(",")], POWERS, SPREADS)
        for depth, power, spread in grid:
            cfg = replace(shipped, depth=depth, score_power=power, spread=spread)
            searcher.memory.config = cfg
            t = time.perf_counter()
            s = scores(searcher, queries, "memory")
            stage1.append({"label": label(cfg), "votes": asdict(cfg), "scores": s})
            print(f"  memory {label(cfg)}: {s['_mean']:.4f} ({time.perf_counter() - t:.0f}s)", flush=True)
        ranked = sorted(stage1, key=lambda r: -r["scores"]["_mean"])
        finalists = [replace(shipped, **{k: r["votes"][k] for k in ("depth", "score_power", "spread")})
                     for r in ranked if r["label"] != label(shipped)][:args.finalists]
    stage2 = []
    for cfg in [shipped, *finalists]:
        searcher.memory.config = cfg
        t = time.perf_counter()
        s = scores(searcher, queries, "hybrid")
        stage2.append({"label": label(cfg) + (" (shipped)" if cfg == shipped else ""), "votes": asdict(cfg), "scores": s})
        print(f"  default {label(cfg)}: {s['_mean']:.4f} ({time.perf_counter() - t:.0f}s)", flush=True)
    base = stage2[0]["scores"]
    verdicts = []
    for row in stage2[1:]:
        s = row["scores"]
        worst = min(s[g]["recall@10"] - base[g]["recall@10"] for g in base if not g.startswith("_"))
        passed = s["_mean"] - base["_mean"] >= 0.005 and worst >= -0.01
        verdicts.append(f"{row['label']}: mean {s['_mean'] - base['_mean']:+.4f}, worst group recall@10 "
                        f"{worst:+.3f} — {'passes' if passed else 'does not pass'}")
    result = {"schema": "legalret.experiment.memory_votes/1", "index": portable_path(args.index), "split": args.split,
              "holdings": portable_path(args.holdings), "holdings_limit": args.holdings_limit,
              "stage1": stage1, "stage2": stage2, "decision": "; ".join(verdicts) or "no finalist",
              "command": recorded_command("memory_votes_all_laws.py", argv, folder="experiments")}
    out = REPO / "benchmarks" / "results" / args.name
    out.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
