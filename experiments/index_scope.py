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
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from law_eval import load_sets
from legalret import Searcher

REPO = Path(__file__).resolve().parent.parent
Q = [str(REPO / "benchmarks" / "queries" / f) for f in ("law_questions.jsonl", "law_questions_2.jsonl", "law_questions_3.jsonl")]
qs = load_sets(Q, "all", sys.argv[3], "all", 1500, 0)  # the any-law holdings (benchmarks/queries/law_holdings.py)
small = Searcher(sys.argv[1])
keys = set(small.data.by_key)
sel = [q for q in qs if q.extra.get("family") == "형사" and set(q.gold) & keys]
print(len(sel), "queries", file=sys.stderr)
print("| index | style | n | recall@10 | MRR@10 |\n|---|---|---:|---:|---:|")
for name, s in (("small", small), ("all-law", Searcher(sys.argv[2]))):
    rows = []
    for q in sel:
        hold = q.extra.get("style") == "holding"
        before = q.extra.get("date") if hold else "2020-01-01"
        res = s.search(q.query, k=10, before=before, exclude=q.extra.get("case_no") if hold else None)
        top = [h.key for h in res]
        g = set(q.gold) & keys
        rows.append((q.extra.get("style"), len(g & set(top)) / len(g), next((1 / (i + 1) for i, k in enumerate(top) if k in g), 0.0)))
    for style in ("short", "scenario", "keyword", "holding", None):
        r = [x for x in rows if style is None or x[0] == style]
        if r:
            print(f"| {name} | {style or 'all'} | {len(r)} | {sum(x[1] for x in r) / len(r):.3f} | "
                  f"{sum(x[2] for x in r) / len(r):.3f} |")
