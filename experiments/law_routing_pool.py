"""Would law-routed candidates lift the all-law pool? A probe before building a retriever for it.

On the all-law index only 0.85 (short) / 0.82 (scenario) of the gold articles of the tune questions about other
laws are among the fused top 150 that the re-ranker reads (README, "Every law"): the re-ranker cannot put the rest
in the top 10. This probe asks whether the missing gold articles sit in a law the pool already points to —
then the law is right and only the article is missing, and searching *inside* the few laws the pool points to
(dense and BM25, each filtered to one law: ``Searcher.search_batch(..., laws=[law])``) would bring them in.

For each tune-half question (law_questions.jsonl and user_questions.jsonl; the report halves are not read):

* ``pool`` — the fused top ``--depth`` (``mode="convex"``, as the re-ranker's candidates; memories vote only with
  decisions before 2020-01-01);
* the routed laws — the ``--laws`` laws with the largest sum of fused scores over the pool's top ``--route-top``
  (a law the question names comes first);
* ``routed`` — the pool's top ``depth − extra`` plus, per routed law, the dense and the BM25 top ``--per-law``
  within that law, new keys only, round-robin until the pool is back to ``depth`` keys (same size as ``pool``);
* ``union`` — the whole pool plus every routed key (a larger pool: the ceiling of the idea).

It prints gold-in-pool (recall at the pool's size) per question set and style, and for the gold keys missing from
``pool`` the share whose law is among the routed laws.

Rule, written before the first run: build law-routed candidates as a retriever if ``routed`` holds ≥ +0.03 more of
the law questions' tune gold (short and scenario together) than ``pool`` at the same size, with no 민법/상법
(user_questions) tune style losing more than 0.01.

    python experiments/law_routing_pool.py --index IDX [--depth 150 --laws 3 --per-law 10 --extra 30]

Writes ``benchmarks/results/law_routing_pool.{json,md}`` (``--name``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "results"
QUESTIONS = {"law": REPO / "benchmarks" / "queries" / "law_questions.jsonl",
             "user": REPO / "benchmarks" / "queries" / "user_questions.jsonl"}


def routed_laws(hits, named: list[str], n: int, top: int) -> list[str]:
    """The ``n`` laws the pool points to: named laws first, then by the sum of fused scores over the top ``top``."""
    score: dict[str, float] = defaultdict(float)
    for h in hits[:top]:
        score[h.article.law if h.article is not None else h.key.rsplit(" 제", 1)[0]] += max(float(h.score), 0.0)
    ordered = named + sorted(score, key=lambda law: -score[law])
    out: list[str] = []
    for law in ordered:
        if law not in out:
            out.append(law)
    return out[:n]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--depth", type=int, default=150)
    ap.add_argument("--laws", type=int, default=3)
    ap.add_argument("--route-top", type=int, default=30)
    ap.add_argument("--per-law", type=int, default=10)
    ap.add_argument("--extra", type=int, default=30)
    ap.add_argument("--before", default="2020-01-01")
    ap.add_argument("--limit", type=int, default=0, help="the first N tune questions of each file (a quick check)")
    ap.add_argument("--name", default="law_routing_pool")
    args = ap.parse_args(argv)

    from legalret.evaluate.questions import read_questions
    from legalret.keys import law_of, laws_named
    from legalret.search.searcher import Searcher

    searcher = Searcher(args.index)
    all_laws = sorted(searcher.manifest.get("laws", {}))
    rows: list[dict] = []
    t0 = time.perf_counter()
    for set_name, path in QUESTIONS.items():
        qs = [q for q in read_questions(str(path)) if q.split == "tune"][: args.limit or None]
        pools = searcher.search_batch([q.query for q in qs], args.depth, mode="convex", before=args.before)
        for q, hits in zip(qs, pools):
            named = [law for law, hit in zip(all_laws, laws_named(q.query, all_laws)) if hit]
            laws = routed_laws(list(hits), named, args.laws, args.route_top)
            lists = []
            for law in laws:
                for mode in ("dense", "bm25"):
                    res = searcher.search(q.query, args.per_law, mode=mode, laws=[law], citations=False)
                    lists.append([h.key for h in res])
            pool = [h.key for h in hits]
            keep = pool[: args.depth - args.extra]
            routed, seen = list(keep), set(keep)
            for r in range(args.per_law):  # round-robin over the routed lists: each law's best first
                for lst in lists:
                    if r < len(lst) and lst[r] not in seen and len(routed) < args.depth:
                        routed.append(lst[r])
                        seen.add(lst[r])
            for key in pool[len(keep):]:  # (fewer new keys than the room: the pool's own tail fills it)
                if len(routed) >= args.depth:
                    break
                if key not in seen:
                    routed.append(key)
                    seen.add(key)
            union = set(pool) | {k for lst in lists for k in lst}
            gold = [g for g in q.gold if g in searcher.data.by_key]
            if not gold:
                continue
            missing = [g for g in gold if g not in set(pool)]
            rows.append({"set": set_name, "style": q.style, "family": q.family, "qid": q.qid, "laws": laws,
                         "pool": sum(g in set(pool) for g in gold) / len(gold),
                         "routed": sum(g in seen for g in gold) / len(gold),
                         "union": sum(g in union for g in gold) / len(gold),
                         "union_size": len(union), "missing": len(missing),
                         "missing_law_routed": sum(law_of(g) in laws for g in missing)})
        print(f"{set_name}: {len(qs)} questions, {time.perf_counter() - t0:.0f}s", flush=True)

    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[f"{r['set']} {r['style']}"].append(r)
        if r["style"] in ("short", "scenario"):
            groups[f"{r['set']} short+scenario"].append(r)
    table = {}
    for g, rs in sorted(groups.items()):
        n_missing = sum(r["missing"] for r in rs)
        table[g] = {"n": len(rs), **{m: sum(r[m] for r in rs) / len(rs) for m in ("pool", "routed", "union")},
                    "union_size": sum(r["union_size"] for r in rs) / len(rs), "missing_gold": n_missing,
                    "missing_law_routed": (sum(r["missing_law_routed"] for r in rs) / n_missing) if n_missing else None}
    out = {"settings": vars(args), "index": str(args.index), "groups": table, "rows": rows,
           "command": "python experiments/law_routing_pool.py " + " ".join(
               f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "index") + " --index IDX"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    lines = [f"# Law-routed candidates: gold in the pool of {args.depth} (tune halves)", "",
             f"routed = the fused top {args.depth - args.extra} + the dense and BM25 top {args.per_law} inside each of "
             f"the {args.laws} laws the fused top {args.route_top} point to (same size); union = the fused top "
             f"{args.depth} + every routed key.", "",
             "| group | n | pool | routed | union (mean size) | missing gold whose law is routed |", "|---|---:|---:|---:|---:|---:|"]
    for g, t in table.items():
        share = "—" if t["missing_law_routed"] is None else f"{t['missing_law_routed']:.2f} of {t['missing_gold']}"
        lines.append(f"| {g} | {t['n']} | {t['pool']:.3f} | {t['routed']:.3f} | {t['union']:.3f} ({t['union_size']:.0f}) | {share} |")
    lines += ["", f"Reproduce: `{out['command']}`", ""]
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
