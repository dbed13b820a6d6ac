"""Measure the query tokens without party names (``legalret.search.prepare.PARTY_MARKERS``), paired per query.

The default search (``Searcher.search``, the shipped re-ranker) runs every query twice in one process: with the
party names (갑/을/병, 甲/乙/丙/丁) dropped from the tokens BM25, the memories and the article profiles read (what
ships), and with them kept (``PARTY_MARKERS`` emptied). Questions of ``--split`` (only decisions before
``--before`` vote) and optionally holdings (``legalret pairs`` queries with ``date``/``case_no``: only earlier,
other decisions vote), a seeded sample of ``--holdings-limit`` decided on or after ``--holdings-since``.
recall@10 / MRR@10 per style, paired bootstrap intervals.

    LEGALRET_HOME=… .venv/bin/python experiments/party_tokens.py --index IDX --split tune \\
        --holdings /tmp/q_pairs/train_queries.jsonl --holdings-since 2010-01-01 --holdings-limit 300   # tuning
    LEGALRET_HOME=… .venv/bin/python experiments/party_tokens.py --index IDX --split report \\
        --holdings /tmp/q_pairs/dev_queries.jsonl --holdings-limit 600 --out …                          # report

(The tuning run above drew its 300 train holdings from all of 2010–2019; the re-ranker was trained on other
train holdings, the query adapter on all of them, so holdings numbers there are optimistic in level, not in
the difference.)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--questions", default=str(REPO / "benchmarks" / "queries" / "user_questions.jsonl"))
    ap.add_argument("--split", default="tune", choices=("tune", "report", "all"))
    ap.add_argument("--before", default="2020-01-01", help="memory cut-off for the (undated) questions")
    ap.add_argument("--holdings", help="holdings with date/case_no (legalret pairs *_queries.jsonl)")
    ap.add_argument("--holdings-since", default="", help="only holdings decided on or after this date")
    ap.add_argument("--holdings-limit", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="write the table as JSON here")
    args = ap.parse_args(argv)

    import legalret.search.prepare as prepare_module
    import legalret.search.searcher as searcher_module
    from legalret.evaluate.metrics import paired_bootstrap_diff
    from style_eval import load_sets

    queries = load_sets(args.questions, args.split, None, None, args.seed)
    runs = [(q.query, q.gold, args.before, None, q.extra["style"]) for q in queries]
    if args.holdings:
        if args.holdings_since:  # all of them, then a seeded sample of the late ones
            held = [q for q in load_sets(args.questions, "none", args.holdings, None, args.seed)
                    if str(q.extra.get("date", "")) >= args.holdings_since]
            held = [held[i] for i in sorted(np.random.default_rng(args.seed).permutation(len(held))[: args.holdings_limit])]
        else:  # the sample benchmarks/style_eval.py scores
            held = load_sets(args.questions, "none", args.holdings, args.holdings_limit or None, args.seed)
        runs += [(q.query, q.gold, q.extra.get("date"), q.extra.get("case_no"), "holding") for q in held]
    searcher = searcher_module.Searcher(args.index)
    keys = set(searcher.keys)
    runs = [(text, [g for g in gold if g in keys], b, e, style) for text, gold, b, e, style in runs]
    runs = [r for r in runs if r[1]]
    shipped = prepare_module.PARTY_MARKERS

    def measure(markers) -> tuple[np.ndarray, np.ndarray]:
        prepare_module.PARTY_MARKERS = markers
        recall, mrr = [], []
        for text, gold, before, exclude, _ in runs:
            top = [h.key for h in searcher.search(text, k=10, before=before, exclude=exclude)]
            recall.append(len(set(gold) & set(top)) / len(gold))
            mrr.append(next((1.0 / (i + 1) for i, key in enumerate(top) if key in gold), 0.0))
        return np.array(recall), np.array(mrr)

    kept, dropped = measure(frozenset()), measure(shipped)
    prepare_module.PARTY_MARKERS = shipped
    styles = [r[4] for r in runs]
    table = {}
    for style in sorted(set(styles)):
        idx = [i for i, s in enumerate(styles) if s == style]
        table[style] = {"n": len(idx)}
        for m, (a, b) in {"recall@10": (dropped[0], kept[0]), "mrr@10": (dropped[1], kept[1])}.items():
            diff = paired_bootstrap_diff(a[idx].tolist(), b[idx].tolist())
            table[style][m] = {"kept": float(b[idx].mean()), "dropped": float(a[idx].mean()), "diff": diff}
            print(f"{style:9s} n={len(idx):4d} {m:9s} kept {b[idx].mean():.3f}  dropped {a[idx].mean():.3f}  "
                  f"diff {diff['mean']:+.4f} [{diff['ci_low']:+.4f}, {diff['ci_high']:+.4f}]", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(table, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
