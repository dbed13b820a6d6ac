"""Which gold articles the default search misses on dev holdings, by how often earlier decisions cited them.

The memories and the article profiles learn an article from the decisions that cited it before; an article
few earlier decisions cite can only be found by its own text (BM25, dense). This runs the default search
(``Searcher.search``: only earlier, other decisions vote) on the dev-holdings sample ``benchmarks/style_eval.py``
scores and buckets every gold article by the number of stored holdings citing it decided before the query.

    LEGALRET_HOME=… .venv/bin/python benchmarks/holdings_misses.py --index IDX \\
        --holdings /tmp/q_pairs/dev_queries.jsonl --holdings-limit 600 --out benchmarks/results/holdings_misses.json
"""

from __future__ import annotations

import argparse
import bisect
import json
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

BUCKETS = ((0, 0), (1, 4), (5, 49), (50, None))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--holdings", required=True, help="dev holdings with date/case_no (legalret pairs dev_queries.jsonl)")
    ap.add_argument("--holdings-limit", type=int, default=600)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out")
    args = ap.parse_args(argv)

    from legalret.search.searcher import Searcher
    from style_eval import load_sets

    searcher = Searcher(args.index)
    memory = searcher.memory.memory
    cited_on: dict[str, list[int]] = defaultdict(list)  # article → decision days of the holdings citing it
    for row in range(len(memory)):
        for key in set(memory.keys_of(row)):
            cited_on[key].append(int(memory.decided_ord[row]))
    for days in cited_on.values():
        days.sort()
    keys = set(searcher.keys)
    counts = {b: [0, 0] for b in BUCKETS}  # bucket → [gold, missed]
    recall = []
    for q in load_sets(str(REPO / "benchmarks" / "queries" / "user_questions.jsonl"), "none", args.holdings,
                       args.holdings_limit, args.seed):
        gold = [g for g in q.gold if g in keys]
        if not gold:
            continue
        when = q.extra["date"]
        top = {h.key for h in searcher.search(q.query, k=10, before=when, exclude=q.extra.get("case_no"))}
        recall.append(len(top & set(gold)) / len(gold))
        day = date.fromisoformat(str(when)).toordinal()
        for g in gold:
            earlier = bisect.bisect_left(cited_on.get(g, []), day)
            bucket = next(b for b in BUCKETS if earlier >= b[0] and (b[1] is None or earlier <= b[1]))
            counts[bucket][0] += 1
            counts[bucket][1] += g not in top
    table = {"queries": len(recall), "recall@10": float(np.mean(recall)), "buckets": {}}
    print(f"{len(recall)} holdings, recall@10 {np.mean(recall):.3f}")
    for (lo, hi), (n, missed) in counts.items():
        label = f"{lo}" if lo == hi else f"{lo}+" if hi is None else f"{lo}–{hi}"
        table["buckets"][label] = {"gold": n, "missed": missed, "miss_rate": missed / n if n else None}
        print(f"gold cited by {label:>5s} earlier decisions: {n:4d} gold, {missed:4d} missed"
              + (f" ({missed / n:.2f})" if n else ""))
    if args.out:
        Path(args.out).write_text(json.dumps(table, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
