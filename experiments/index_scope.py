"""Same queries, same gold: does a smaller index (민법+상법+형법 with its decisions) rank 형사 gold better than the
all-law index? Gold restricted to the keys the small index holds, on both indexes.

The small index is the main job's (scripts/quickstart.sh) after ``legalret index add legalize-kr.zip --law 형법`` and
``legalret index add --precedents precedent-kr.zip --facts precedent-facts.zip``; the all-law one is
``legalret index build all-acts-decrees`` as the README builds it. The 형사 family of the three law-question files
(both halves: nothing is tuned here) and of 1,500 any-law dev holdings (benchmarks/law_eval.py's sample), memory votes
before 2020-01-01 for questions and before each holding's own date (its case left out). Decided (2026-12-06):
nothing is shipped; it is the number behind the README's advice to add the laws one needs, with their decisions,
to the main job's index (``benchmarks/results/index_scope.md``)::

    python experiments/index_scope.py SMALL_IDX ALL_LAW_IDX law_holdings.jsonl

``--families`` takes other question families (comma-separated, or ``all``): the "practice index" run of 2026-12-06
(``benchmarks/results/index_scope_practice.md``) asked every family of the three files on the main job's index with
56 more laws added in one ``index add`` (each law named in the gold of three or more questions: a practice's laws,
read from the questions, which says what it measures — ranking among the laws one has, not choosing them), whose
memory read the decisions again for them::

    python experiments/index_scope.py PRACTICE_IDX ALL_LAW_IDX law_holdings.jsonl --families all
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from law_eval import load_sets
from legalret import Searcher

REPO = Path(__file__).resolve().parent.parent
Q = [str(REPO / "benchmarks" / "queries" / f) for f in ("law_questions.jsonl", "law_questions_2.jsonl", "law_questions_3.jsonl")]
STYLES = ("short", "scenario", "keyword", "holding", None)

ap = argparse.ArgumentParser()
ap.add_argument("small")
ap.add_argument("all_law")
ap.add_argument("holdings")
ap.add_argument("--families", default="형사", help="comma-separated question families, or 'all'")
args = ap.parse_args()
qs = load_sets(Q, "all", args.holdings, "all", 1500, 0)  # the any-law holdings (benchmarks/queries/law_holdings.py)
small = Searcher(args.small)
keys = set(small.data.by_key)
families = sorted({q.extra.get("family") for q in qs} - {None}) if args.families == "all" else args.families.split(",")
sel = [q for q in qs if q.extra.get("family") in families and set(q.gold) & keys]
print(len(sel), "queries", file=sys.stderr)
rows = {}
for name, s in (("small", small), ("all-law", Searcher(args.all_law))):
    for q in sel:
        hold = q.extra.get("style") == "holding"
        before = q.extra.get("date") if hold else "2020-01-01"
        res = s.search(q.query, k=10, before=before, exclude=q.extra.get("case_no") if hold else None)
        top = [h.key for h in res]
        g = set(q.gold) & keys
        rows.setdefault(name, []).append((q.extra.get("family"), q.extra.get("style"), len(g & set(top)) / len(g),
                                          next((1 / (i + 1) for i, k in enumerate(top) if k in g), 0.0)))
print("| family | style | n | small recall@10 | all-law recall@10 | small MRR@10 | all-law MRR@10 |")
print("|---|---|---:|---:|---:|---:|---:|")
for family in families + ([None] if len(families) > 1 else []):
    for style in STYLES:
        pick = [i for i, x in enumerate(rows["small"]) if (family is None or x[0] == family) and (style is None or x[1] == style)]
        if not pick:
            continue
        mean = {name: [sum(rows[name][i][c] for i in pick) / len(pick) for c in (2, 3)] for name in rows}
        print(f"| {family or 'all'} | {style or 'all'} | {len(pick)} | {mean['small'][0]:.3f} | {mean['all-law'][0]:.3f} | "
              f"{mean['small'][1]:.3f} | {mean['all-law'][1]:.3f} |", flush=True)
