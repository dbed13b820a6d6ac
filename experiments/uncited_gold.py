"""Does the default search miss the articles no earlier holding cites? Gold split by its citations before the cut-off.

The all-law default scores much lower on ``law_questions_3.jsonl`` (short questions recall@10 0.250) than on the first
question set. Its gold is different: most of it is articles that no holding decided before 2020 cites (new acts such
as 스토킹처벌법 or 중대재해처벌법, newly added articles, 시행령 rules), while the re-ranker's fitting queries are
mostly holdings — whose gold is, by construction, what courts cite. This measures (it chooses nothing) per question
file: the share of gold keys with no citation by a holding decided before ``--before`` (the memory's own counts,
:class:`legalret.search.ranker.BaseRates`), and for cited and uncited gold apart the share the default search puts in
its top 10 and the share in the fused top 150 (the re-ranker's candidates); plus the uncited share among the gold of
``--train-cache``'s holdings (``ranker_cache.py`` output: each holding's gold counted before its own date).

    python experiments/uncited_gold.py --index IDX --train-cache RK/train.pkl --name uncited_gold

Writes ``benchmarks/results/NAME.{json,md}``.

Outcome (2026-12-04, all-law index): uncited gold is 22 % of the first file's, 32 % of the second's, 53 % of the
third's, 2 % of the 민법/상법 questions' and 9 % of the fitting holdings'. The default puts cited gold in its top 10 at
0.79 / 0.63 / 0.62 on the three law files and uncited gold at 0.39 / 0.30 / 0.32; of the uncited gold in the
candidates only about half reaches the top 10 (``uncited_gold.md``). A lead for the re-ranker (fit on queries whose gold is uncited — the question files' tune
halves, or questions written from uncited articles — or weigh the base-rate columns by what the memories know of the
candidate's law), not built.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from datetime import date
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
RESULTS = REPO / "benchmarks" / "results"
FILES = ("law_questions.jsonl", "law_questions_2.jsonl", "law_questions_3.jsonl", "user_questions.jsonl")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--before", default="2020-01-01", help="the questions' memory cut-off (as every benchmark)")
    ap.add_argument("--train-cache", help="ranker_cache.py holdings cache: the uncited share of the fitting gold")
    ap.add_argument("--name", default="uncited_gold")
    args = ap.parse_args(argv)

    from index_names import recorded_command

    from legalret.evaluate.report import write_result
    from legalret.search.searcher import Searcher

    searcher = Searcher(args.index)
    rates, cut = searcher.base_rates(), date.fromisoformat(args.before)
    rows = {}
    for name in FILES:
        questions = [json.loads(line) for line in (REPO / "benchmarks" / "queries" / name).read_text(encoding="utf-8").splitlines()]
        texts = [q["query"] for q in questions]
        top = searcher.search_batch(texts, k=10, before=cut)
        pool = searcher.search_batch(texts, k=150, mode="convex", before=cut)
        found: dict[bool, list[tuple[bool, bool]]] = {True: [], False: []}
        for q, hits, candidates in zip(questions, top, pool):
            gold = [key for key in q["gold"] if searcher.article(key) is not None]
            counts, _ = rates.counts(gold, cut)
            shown, pooled = {h.key for h in hits}, {h.key for h in candidates}
            for key, n in zip(gold, counts.tolist()):
                found[n > 0].append((key in shown, key in pooled))
        rows[name] = {"gold": sum(len(v) for v in found.values()), "uncited_share": len(found[False]) / max(1, sum(len(v) for v in found.values())),
                      **{label: {"n": len(found[c]), "top10": float(np.mean([a for a, _ in found[c]])) if found[c] else None,
                                 "pool150": float(np.mean([b for _, b in found[c]])) if found[c] else None}
                         for label, c in (("cited", True), ("uncited", False))}}
    train = None
    if args.train_cache:
        with open(args.train_cache, "rb") as f:
            cached = pickle.load(f)
        zero = []
        for d in cached:
            when = date.fromisoformat(str(d["date"])[:10]) if d.get("date") else None
            counts, _ = rates.counts(d["gold"], when)
            zero += (counts == 0).tolist()
        train = {"holdings": len(cached), "gold": len(zero), "uncited_share": float(np.mean(zero))}
    result = {"index": Path(args.index).name, "before": args.before, "files": rows, "train": train,
              "command": recorded_command("uncited_gold.py", argv if argv is not None else sys.argv[1:], folder="experiments")}
    write_result(RESULTS, args.name, result, markdown(result))
    print(markdown(result))
    return 0


def markdown(result: dict) -> str:
    lines = [f"### Gold cited / not cited by a holding before {result['before']} (`{result['index']}`, default search)", "",
             "| question file | gold | uncited share | cited: in top 10 · in fused top 150 | uncited: in top 10 · in fused top 150 |",
             "|---|---:|---:|---|---|"]
    for name, r in result["files"].items():
        cells = [f"{r[c]['top10']:.3f} · {r[c]['pool150']:.3f} (n={r[c]['n']})" if r[c]["n"] else "–" for c in ("cited", "uncited")]
        lines.append(f"| {name} | {r['gold']} | {r['uncited_share']:.2f} | {cells[0]} | {cells[1]} |")
    if result.get("train"):
        t = result["train"]
        lines += ["", f"Fitting holdings (train cache, {t['holdings']} holdings, {t['gold']} gold keys, each counted before "
                  f"its own date): uncited share {t['uncited_share']:.2f}."]
    lines += ["", f"Reproduce: `{result['command']}`", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
