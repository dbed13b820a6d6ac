"""Does reading a query's Hanja in Hangul change the holdings that hold some — and what should a gloss become?

``legalret.hanja`` reads Hanja in Hangul for questions written in it (``民法 第750條``, ``不動産의 二重賣買``: before, no
word matched and no article was cited). The holdings the benchmarks ask hold Hanja too, mostly as a gloss after the
Hangul word (``대상재산(代償財産)``, ``전세(傳貰)``) and a few words of their own (``夫``, ``空地``). This runs the default
search on every dev and train holding of ``legalret pairs`` with Hanja other than the party letters (memory before
each holding's date, its own case excluded, as ``style_eval.py``) three ways: Hanja not read (the code before),
read with glosses left as they are (shipped), and read with glosses blanked (the first version, which a quick run
of the same measurement showed moving 197 of the 217 top-10 lists). The rule: ship the reading only if recall@10 and
MRR@10 on these holdings stay within 0.005 of not reading — a change made for questions written in Hanja must not
cost the holdings.

    python experiments/hanja_holdings.py --index IDX --pairs PAIRS_DIR

Outcome (2026-12-05, main job's index, 217 holdings): not read 0.8576 / 0.7479; read, glosses kept **0.8576 /
0.7478** (15 top-10 lists change, no holding's recall); read, glosses blanked 0.8553 / 0.7427 (197 lists change:
the blank changes the text the encoder and the re-ranker read) — glosses stay as they are (``hanja_holdings.md``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
RESULTS = REPO / "benchmarks" / "results"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--pairs", required=True, help="legalret pairs output (dev_queries.jsonl, train_queries.jsonl)")
    ap.add_argument("--name", default="hanja_holdings")
    args = ap.parse_args(argv)

    from index_names import recorded_command

    import legalret.hanja as hanja
    import legalret.search.prepare as prepare
    from legalret.evaluate.report import write_result
    from legalret.search.searcher import Searcher

    searcher = Searcher(args.index)
    queries = []
    for name in ("dev_queries.jsonl", "train_queries.jsonl"):
        with open(Path(args.pairs) / name, encoding="utf-8") as f:
            queries += [q for q in map(json.loads, f) if hanja.has_hanja(q["query"])]
    queries = [q for q in queries if any(searcher.article(k) is not None for k in q["gold"])]

    def run() -> list[tuple[float, float, list[str]]]:
        out = []
        for q in queries:
            keys = searcher.search(q["query"], k=10, before=date.fromisoformat(q["date"]), exclude=q.get("case_no")).keys
            gold = {k for k in q["gold"] if searcher.article(k) is not None}
            out.append((len(gold & set(keys)) / len(gold),
                        next((1 / (i + 1) for i, k in enumerate(keys) if k in gold), 0.0), keys))
        return out

    shipped_query = prepare.hangul_query
    runs = {}
    prepare.hangul_query = lambda text, weight=None: (text, [])
    runs["not read (before)"] = run()
    prepare.hangul_query = shipped_query
    runs["read, glosses kept (shipped)"] = run()

    def blanking_query(text, weight=None):  # the variant: what Hanja the reading leaves (the glosses) → spaces
        read, notes = shipped_query(text, weight)
        return hanja.runs().sub(lambda m: " " * len(m.group()), read), notes

    prepare.hangul_query = blanking_query
    runs["read, glosses blanked"] = run()
    prepare.hangul_query = shipped_query

    base = runs["not read (before)"]
    rows = {}
    for label, got in runs.items():
        arr = np.array([g[:2] for g in got])
        rows[label] = {"recall@10": float(arr[:, 0].mean()), "mrr@10": float(arr[:, 1].mean()),
                       "lists_changed": sum(a[2] != b[2] for a, b in zip(got, base)),
                       "recall_up": int(sum(a[0] > b[0] for a, b in zip(got, base))),
                       "recall_down": int(sum(a[0] < b[0] for a, b in zip(got, base)))}
    result = {"index": Path(args.index).name, "holdings": len(queries), "rows": rows,
              "command": recorded_command("hanja_holdings.py", argv if argv is not None else sys.argv[1:], folder="experiments")}
    write_result(RESULTS, args.name, result, markdown(result))
    print(markdown(result))
    return 0


def markdown(result: dict) -> str:
    lines = [f"### Holdings with Hanja, default search (`{result['index']}`, {result['holdings']} dev + train holdings)", "",
             "| Hanja | recall@10 | MRR@10 | top-10 lists changed | recall up / down |", "|---|---:|---:|---:|---|"]
    for label, r in result["rows"].items():
        lines.append(f"| {label} | {r['recall@10']:.4f} | {r['mrr@10']:.4f} | {r['lists_changed']} | "
                     f"{r['recall_up']} / {r['recall_down']} |")
    lines += ["", f"Reproduce: `{result['command']}`", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
