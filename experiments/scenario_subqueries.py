"""Does a scenario's second issue surface when each of its sentences is also searched on its own?

A long scenario ("갑은 … 임차하여 … 공사비를 들였다. 계약이 끝나자 … 비워주지 않겠다고 한다. 갑의 주장은 받아들여지는가?")
often needs two or three articles; the default ranks the one its words weigh most and the second issue's
article sinks (a tester's labor/criminal scenarios: some gold in the top 5 in 12 of 12, all of it in 3 of 12).
Variant: the question is searched whole (the default, top ``--depth``) and each of its sentences alone (the
default, top ``--sub-depth``); the lists are fused by weighted reciprocal rank,

    score(a) = 1 / (c + rank_whole(a)) + w · Σ_sentences 1 / (c + rank_s(a)) / n_sentences,

only for queries of two or more sentences (every other query keeps its list). Grid: ``w`` × ``c``.

Rule written before any result (2026-12-07): on the main job's index, tune halves of the two 민법/상법
question files (short, scenario, keyword) + 600 train holdings, the best grid point must raise the mean of
recall@10 and MRR@10 over the four groups by ≥ 0.005 with no group's recall@10 down by more than 0.01; then the
report halves + 600 dev holdings are read once with that point, under the same limits (mean not below the
default, no group's recall@10 down > 0.01). Only then would it be built (and its latency measured: it runs
the default once per sentence).

    .venv/bin/python experiments/scenario_subqueries.py --index /tmp/qs21_home/index --split tune \\
        --holdings /tmp/pairs-cc/train_queries.jsonl --name scenario_subqueries_tune
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

QUESTION_FILES = ("benchmarks/queries/user_questions.jsonl", "benchmarks/queries/user_questions_2.jsonl")
# a sentence ends where a Hangul syllable is followed by . ? or ! and a space ("…들였다. 계약이…");
# a date's "2022. 5. 2." follows digits, so it does not split
SENTENCE_END = re.compile(r"(?<=[가-힣][.?!])\s+")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if len(s.strip()) >= 4]


def load(split: str, holdings: str, limit: int, seed: int):
    from legalret.evaluate.quality import load_queries
    from legalret.evaluate.questions import read_questions

    qs = []
    for f in QUESTION_FILES:
        for q in read_questions(str(REPO / f)):
            if q.split == split:
                qs.append({"qid": q.qid, "query": q.query, "gold": list(q.gold), "group": q.style,
                           "before": "2020-01-01", "exclude": None})
    hs = list(load_queries(holdings))
    hs = [hs[i] for i in sorted(random.Random(seed).sample(range(len(hs)), limit))]
    for h in hs:
        qs.append({"qid": h.qid, "query": h.query, "gold": list(h.gold), "group": "holding",
                   "before": h.extra.get("date"), "exclude": h.extra.get("case_no")})
    return qs


def metrics(ranked: list[str], gold: set[str]) -> tuple[float, float]:
    top = ranked[:10]
    recall = len(gold & set(top)) / len(gold)
    mrr = next((1.0 / (i + 1) for i, key in enumerate(top) if key in gold), 0.0)
    return recall, mrr


def fuse(whole: list[str], subs: list[list[str]], w: float, c: float) -> list[str]:
    score: dict[str, float] = defaultdict(float)
    for r, key in enumerate(whole):
        score[key] += 1.0 / (c + r + 1)
    for lst in subs:
        for r, key in enumerate(lst):
            score[key] += w / len(subs) / (c + r + 1)
    return sorted(score, key=lambda key: -score[key])


def summary(rows: list[dict], ranked: dict[str, list[str]]) -> dict:
    groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for q in rows:
        groups[q["group"]].append(metrics(ranked[q["qid"]], q["gold_in"]))
    out = {g: {"n": len(v), "recall@10": sum(x for x, _ in v) / len(v), "mrr@10": sum(y for _, y in v) / len(v)}
           for g, v in groups.items()}
    out["mean"] = sum(g["recall@10"] + g["mrr@10"] for g in out.values()) / (2 * len(groups))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--split", choices=("tune", "report"), required=True)
    ap.add_argument("--holdings", required=True, help="pairs JSONL: train_queries for tune, dev_queries for report")
    ap.add_argument("--holdings-limit", type=int, default=600)
    ap.add_argument("--depth", type=int, default=100)
    ap.add_argument("--sub-depth", type=int, default=30)
    ap.add_argument("--grid", default="0.25:10,0.25:60,0.5:10,0.5:60,1:10,1:60,2:60",
                    help="w:c points; 'w:c' alone (report) reads one")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--name", required=True)
    args = ap.parse_args()

    from legalret.search.searcher import Searcher

    s = Searcher(args.index)
    keys = set(s.keys) if hasattr(s, "keys") else None
    rows = load(args.split, args.holdings, args.holdings_limit, args.seed)
    for q in rows:
        q["gold_in"] = {g for g in q["gold"] if keys is None or g in keys}
    rows = [q for q in rows if q["gold_in"]]
    t = time.perf_counter()
    whole, subs = {}, {}
    for i, q in enumerate(rows):
        kw = {"before": q["before"], "exclude": q["exclude"]}
        whole[q["qid"]] = s.search(q["query"], k=args.depth, **kw).keys
        parts = sentences(q["query"])
        if len(parts) >= 2:
            subs[q["qid"]] = [r.keys
                              for r in s.search_batch(parts, k=args.sub_depth, before=[q["before"]] * len(parts),
                                                      exclude=[q["exclude"]] * len(parts))]
        if i % 100 == 0:
            print(f"  {i}/{len(rows)} {time.perf_counter() - t:.0f}s", flush=True)
    multi = {g: sum(1 for q in rows if q["group"] == g and q["qid"] in subs) for g in {q["group"] for q in rows}}
    result = {"index": args.index, "split": args.split, "n": len(rows), "multi_sentence": multi,
              "default": summary(rows, whole), "variants": {}}
    for point in args.grid.split(","):
        w, c = (float(x) for x in point.split(":"))
        ranked = {qid: fuse(lst, subs[qid], w, c) if qid in subs else lst for qid, lst in whole.items()}
        result["variants"][point] = summary(rows, ranked)
    out = REPO / "benchmarks" / "results" / f"{args.name}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    base = result["default"]
    print(f"multi-sentence queries per group: {multi}")
    print(f"default mean {base['mean']:.4f}  " + "  ".join(
        f"{g} {v['recall@10']:.3f}/{v['mrr@10']:.3f}" for g, v in base.items() if g != "mean"))
    for point, v in result["variants"].items():
        print(f"{point:>8} mean {v['mean']:.4f} ({v['mean'] - base['mean']:+.4f})  " + "  ".join(
            f"{g} {x['recall@10']:.3f}/{x['mrr@10']:.3f}" for g, x in v.items() if g != "mean"))


if __name__ == "__main__":
    main()
