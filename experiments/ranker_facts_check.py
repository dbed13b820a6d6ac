"""Two re-ranker files on the courts' facts of 2020–2022 decisions: a larger scenario-like check than the report halves.

The base-rate re-ranker (``fusion_ranker.json`` since commit 5c0cde0) passed its rule on the 민법+상법 index, but
the report half's 56 scenario questions lost MRR@10 (0.713 → 0.678) against the file before it. Those 56 are few;
the facts memory holds thousands of decisions' facts — the nearest thing in the data to a person's own scenario —
and its 2020–2022 part is never fitted on. This measures (it tunes nothing) the default search with each file on a
seeded sample of them: each query is a decision's facts cut to ``--chars`` characters, its gold the articles the
decision cites (those in the index), and only earlier, other decisions vote (its date and case number).

    python experiments/ranker_facts_check.py --index IDX --before-file 79ec98d:legalret/data/fusion_ranker.json \\
        --queries 500 --name ranker_facts_check_main

``--before-file``: a path or ``REVISION:PATH`` (read with ``git show``); the other file is the one the index's
search uses now (``--after-file`` to name another). Writes ``benchmarks/results/NAME.{json,md}``: recall@10 and
MRR@10 per file with 95% bootstrap intervals and the paired difference.

Outcome (2026-12-04): the base-rate files stay. Main job's index, 500 facts, 79ec98d's file → the shipped one:
recall@10 0.704 → 0.721 (+0.018 [+0.006, +0.031]), MRR@10 0.670 → 0.682 (+0.012 [+0.002, +0.022]) —
``ranker_facts_check_main.md``; the report half's scenario MRR drop is not seen on these. All-law index, 500 facts of
any law, the file before bcb8f14 → the shipped one: recall@10 0.603 → 0.598 (−0.005 [−0.014, +0.004]), MRR@10 0.662 =
(``ranker_facts_check_all_law.md``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
RESULTS = REPO / "benchmarks" / "results"


def ranker_file(spec: str, folder: Path) -> str:
    """A path, or ``REVISION:PATH`` written from git into ``folder``."""
    if Path(spec).is_file() or ":" not in spec:
        return spec
    out = folder / spec.replace(":", "_").replace("/", "_")
    out.write_bytes(subprocess.run(["git", "show", spec], cwd=REPO, check=True, capture_output=True).stdout)
    return str(out)


def dev_facts(searcher, n: int, cut: str, chars: int, seed: int) -> list[tuple[str, list[str], str, str]]:
    """``(query, gold, date, case_no)`` for a seeded sample of the facts decided on or after ``cut`` whose decision
    cites an article of the index."""
    memory = searcher.facts.memory
    rows = np.flatnonzero(memory.decided_ord >= date.fromisoformat(cut).toordinal())
    rows = np.random.default_rng(seed).permutation(rows)
    out = []
    for row in rows.tolist():
        item = memory.items[row]
        gold = [k for k in item.keys if searcher.article(k) is not None]
        if gold:
            out.append((item.text[:chars], gold, item.decided.isoformat(), item.case_no))
        if len(out) == n:
            break
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True, help="an index with a facts memory")
    ap.add_argument("--before-file", required=True, help="the re-ranker before: a path or REVISION:PATH")
    ap.add_argument("--after-file", default="auto", help="the re-ranker after (default: what the index's search uses)")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--cut", default="2020-01-01", help="facts of decisions on or after this date (the dev split)")
    ap.add_argument("--chars", type=int, default=600)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--name", default="ranker_facts_check")
    args = ap.parse_args(argv)

    from index_names import recorded_command

    from legalret.evaluate.metrics import aggregate, paired_bootstrap_diff, query_metrics
    from legalret.evaluate.report import write_result
    from legalret.search.searcher import Searcher

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        files = {"before": ranker_file(args.before_file, Path(tmp)), "after": args.after_file}
        searchers = {name: Searcher(args.index, ranker=path) for name, path in files.items()}
        if searchers["after"].facts is None:
            raise SystemExit(f"{args.index}: no facts memory (build with --facts)")
        queries = dev_facts(searchers["after"], args.queries, args.cut, args.chars, args.seed)
        per_query = {name: [] for name in searchers}
        for i, (text, gold, decided, case_no) in enumerate(queries, 1):
            for name, s in searchers.items():
                hits = s.search(text, k=10, before=decided, exclude=case_no)
                per_query[name].append(query_metrics([h.key for h in hits], gold, ks=(10,), rank_k=10))
            if i % 100 == 0:
                print(f"{i}/{len(queries)} {time.perf_counter() - t0:.0f}s", flush=True)
    result = {
        "settings": {"index": Path(args.index).name, "before_file": args.before_file, "after_file": args.after_file,
                     "queries": len(queries), "cut": args.cut, "chars": args.chars, "seed": args.seed,
                     "command": recorded_command("ranker_facts_check.py", argv if argv is not None else sys.argv[1:],
                                                 folder="experiments")},
        "files": {name: aggregate(rows, seed=args.seed)["metrics"] for name, rows in per_query.items()},
        "after - before": {m: paired_bootstrap_diff([q[m] for q in per_query["after"]], [q[m] for q in per_query["before"]],
                                                    seed=args.seed) for m in ("recall@10", "mrr@10")},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write_result(RESULTS, args.name, result, markdown(result))
    print(markdown(result))
    return 0


def markdown(result: dict) -> str:
    s = result["settings"]
    lines = [f"### Re-ranker files on {s['queries']} facts of decisions from {s['cut']} on (`{s['index']}`)", "",
             f"Each query: a decision's facts, first {s['chars']} characters; gold: the articles it cites; only "
             "earlier, other decisions vote. Mean [95% bootstrap interval].", "",
             "| file | recall@10 | MRR@10 |", "|---|---:|---:|"]
    for name, label in (("before", s["before_file"]), ("after", s["after_file"])):
        m = result["files"][name]
        lines.append(f"| {name} (`{label}`) | " + " | ".join(
            f"{m[k]['mean']:.3f} [{m[k]['ci_low']:.3f}, {m[k]['ci_high']:.3f}]" for k in ("recall@10", "mrr@10")) + " |")
    d = result["after - before"]
    lines.append("| after − before | " + " | ".join(
        f"{d[k]['mean']:+.3f} [{d[k]['ci_low']:+.3f}, {d[k]['ci_high']:+.3f}]" for k in ("recall@10", "mrr@10")) + " |")
    lines += ["", f"Reproduce: `{s['command']}`", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
