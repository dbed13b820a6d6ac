"""BM25 with feedback terms from dense's top articles: does it find the statute's words people do not use?

On the second question file (``law_questions_2.jsonl``) most misses are articles neither BM25 nor dense puts in its
top 100, about laws the precedents barely cover — "실업급여 받는 기간" where 고용보험법 제50조 says 구직급여, "DC형
퇴직연금 중간 인출" where the dense list finds 근로자퇴직급여 보장법 but BM25 does not. Pseudo-relevance feedback
(RM3-like, one round): the query's tokens plus the ``--terms`` tokens with the most tf·idf in the dense retriever's top
``--feedback`` articles, each at weight ``--beta``, scored by the index's own BM25 (:class:`BM25Engine` postings). Dense
understands the question; BM25 then matches the statute's own words, including articles dense ranks low.

A probe of one list, before any retriever or re-ranker is built: BM25 alone, dense alone and BM25 with feedback,
recall@10 and recall@100 on the **tune** halves of the three question files and a seeded sample of the tune-half
any-law dev holdings (``--holdings``), per style, for a small grid of settings. Nothing here reads the memories, so
no cut-off applies.

    python experiments/bm25_feedback.py --index IDX --holdings PAIRS/law_holdings.jsonl --name bm25_feedback_probe

Writes ``benchmarks/results/NAME.{json,md}``.

Outcome (2026-12-04): a lead with a limit, not built. On the all-law index (``bm25_feedback_probe.md``) feedback
lifts BM25 in every group: with 3 articles / 20 terms / 0.3, recall@10 (@100) law2 short 0.240 → 0.440 (0.480 →
0.680), law2 scenario 0.299 → 0.361 (0.465 → 0.604), law short 0.326 → 0.489, tune dev holdings 0.347 → 0.400 (0.549 →
0.589), and above dense alone on law and law2 scenarios and keywords (dense still better on 민법/상법 questions and on
short ones). On the main job's index (``bm25_feedback_probe_main.md``) it lifts BM25 on holdings (0.434 → 0.539) and
scenarios (0.429 → 0.500) but stays under dense. The limit (``--cache``, all-law index): the list's gold is already
among the re-ranker's candidates — its top 20 adds 1–5 keys to the fused top 150 and no gold but on law2 short
questions (0.740 → 0.780); its top 50 adds ~20 keys and 0.00–0.06. So it could only help as a ranking column (the
re-ranker already reads BM25's and dense's ranks, and keeps BM25's first-ranked gold below the memories' votes), not
as candidates. As a ranking column it looked worth it: the list's in / 1/rank / log rank emulated on the all-law
caches lifted the cross-validated tune mean of ``listwise-prior`` 0.7067 → 0.7137 (an exploration, not a rule run).

Then built (2026-12-04): the on-demand annotating retriever ``feedback`` (:mod:`legalret.search.retrievers.feedback`,
setting 3 / 20 / 0.3; this probe now scores through it) and its re-ranker group, refitted under rules on both
indexes (``experiments/ranker_all_laws.py``, "BM25 with the dense list's words"): not shipped — on the all-law index it
passed on tune (0.7151 vs 0.7067) but added only +0.0045 over the same refit without it on the report halves (the rule
asked +0.005); on the 민법+상법 index it lost on tune.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
RESULTS = REPO / "benchmarks" / "results"
QUESTIONS = {"law": "law_questions.jsonl", "law2": "law_questions_2.jsonl", "user": "user_questions.jsonl"}
#: (feedback articles, terms, beta): the grid, fixed before the run.
GRID = ((3, 10, 0.5), (3, 20, 0.3), (5, 10, 0.5), (5, 20, 0.3), (3, 10, 1.0))


class Feedback:
    """The feedback retriever's list (:class:`legalret.search.retrievers.feedback.FeedbackRanks`, built from this
    probe) at any setting of the grid, as keys; ``setting`` None: the query's tokens alone (BM25)."""

    def __init__(self, searcher):
        self.retriever = searcher.retriever("feedback")
        self.row_of, self.keys = self.retriever.row_of_key, self.retriever.keys

    def top(self, tokens: list[str], dense_keys: list[str], setting: tuple | None, k: int) -> list[str]:
        """The best ``k`` keys for the query's ``tokens`` with ``setting`` = (dense articles, terms, weight)."""
        import copy

        from legalret.index.bm25 import top_k
        from legalret.search.retrievers.feedback import FeedbackConfig

        retriever, rows = self.retriever, []
        if setting is not None:
            retriever = copy.copy(retriever)
            retriever.config = FeedbackConfig(articles=setting[0], terms=setting[1], weight=setting[2])
            # (a key cited in the query comes first in any mode and may be no live row: a deleted article)
            rows = [r for key in dense_keys[: setting[0]] if (r := self.row_of.get(key)) is not None]
        ids, weights = retriever.weights(tokens, rows)
        found, _ = top_k(retriever.engine.weighted_scores(ids, weights), k, positive_only=True)
        return [self.keys[r] for r in found.tolist()]


def recall(top: list[str], gold: list[str], k: int) -> float:
    return len(set(gold) & set(top[:k])) / len(set(gold)) if gold else math.nan


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--sets", default="law,law2,user", help=f"question files of {', '.join(QUESTIONS)}")
    ap.add_argument("--holdings", help="any-law dev holdings (benchmarks/queries/law_holdings.py output): the tune half")
    ap.add_argument("--holdings-limit", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", help="ranker caches (experiments/ranker_cache.py: SET.pkl per question file) of this "
                    "index: also how much gold the fused pool holds with the feedback list's top 10/20/50 added")
    ap.add_argument("--name", default="bm25_feedback_probe")
    args = ap.parse_args(argv)

    from index_names import recorded_command

    from legalret.evaluate.report import write_result
    from legalret.search.searcher import Searcher

    t0 = time.perf_counter()
    searcher = Searcher(args.index)
    fb = Feedback(searcher)
    queries = []  # (group, query, gold)
    for which in args.sets.split(","):
        for line in (REPO / "benchmarks" / "queries" / QUESTIONS[which]).read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            if q["split"] == "tune":
                queries.append((f"{which} {q['style']}", q["query"], q["gold"]))
    if args.holdings:
        rows = [json.loads(line) for line in Path(args.holdings).read_text(encoding="utf-8").splitlines()]
        rows = [r for r in rows if r.get("split") == "tune"]
        rng = np.random.default_rng(args.seed)
        for i in sorted(rng.choice(len(rows), size=min(args.holdings_limit, len(rows)), replace=False).tolist()):
            queries.append(("dev holdings (tune)", rows[i]["query"], rows[i]["gold"]))
    live = [(g, q, [k for k in gold if searcher.article(k) is not None]) for g, q, gold in queries]
    live = [(g, q, gold) for g, q, gold in live if gold]
    dense = searcher.search_batch([q for _, q, _ in live], k=100, mode="dense")
    per: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    seconds: dict[str, float] = defaultdict(float)
    for (group, text, gold), dense_hits in zip(live, dense):
        dense_keys = [h.key for h in dense_hits]
        tokens = searcher.query_tokens(text)
        t = time.perf_counter()
        plain = fb.top(tokens, dense_keys, None, 100)
        seconds["bm25"] += time.perf_counter() - t
        runs = {"bm25": plain, "dense": dense_keys}
        for setting in GRID:
            t = time.perf_counter()
            label = "feedback " + "/".join(map(str, setting))
            runs[label] = fb.top(tokens, dense_keys, setting, 100)
            seconds[label] += time.perf_counter() - t
        for label, top in runs.items():
            per[group][label].append((recall(top, gold, 10), recall(top, gold, 100)))
    table = {g: {label: {"recall@10": float(np.mean([a for a, _ in v])), "recall@100": float(np.mean([b for _, b in v])),
                         "n": len(v)} for label, v in runs_.items()} for g, runs_ in per.items()}
    pool = pool_coverage(searcher, fb, args.cache, args.sets.split(",")) if args.cache else {}
    result = {"settings": {"index": Path(args.index).name, "sets": args.sets, "holdings_limit": args.holdings_limit,
                           "grid": [list(g) for g in GRID],
                           "command": recorded_command("bm25_feedback.py", argv if argv is not None else sys.argv[1:],
                                                       folder="experiments")},
              "groups": table,
              "pool": pool,
              "ms_per_query": {k: 1000 * v / len(live) for k, v in seconds.items()},
              "seconds": round(time.perf_counter() - t0, 1)}
    write_result(RESULTS, args.name, result, markdown(result))
    print(markdown(result))
    return 0


#: The feedback setting whose list is added to the pool (the grid's best on the all-law tune halves).
POOL_SETTING = (3, 20, 0.3)


def pool_coverage(searcher, fb: Feedback, cache: str, sets: list[str]) -> dict:
    """Per tune group: the share of gold in the cached fused pool, and in the pool plus the feedback list's top
    10 / 20 / 50 (with how many keys each adds) — does the list bring gold the re-ranker never sees?"""
    import pickle

    out: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    for which in sets:
        with open(Path(cache) / f"{which}.pkl", "rb") as f:
            cached = [d for d in pickle.load(f) if d["split"] == "tune"]
        dense = searcher.search_batch([d["query"] for d in cached], k=POOL_SETTING[0], mode="dense")
        for d, hits in zip(cached, dense):
            gold = {k for k in d["gold"] if searcher.article(k) is not None}
            if not gold:
                continue
            pool = {h[0] for h in d["hits"]}
            top = fb.top(searcher.query_tokens(d["query"]), [h.key for h in hits], POOL_SETTING, 50)
            group = out[f"{which} {d['style']}"]
            group["pool"].append(len(gold & pool) / len(gold))
            for k in (10, 20, 50):
                union = pool | set(top[:k])
                group[f"+{k}"].append(len(gold & union) / len(gold))
                group[f"+{k} keys"].append(len(union) - len(pool))
    return {g: {"n": len(v["pool"]), **{k: float(np.mean(x)) for k, x in v.items()}} for g, v in out.items()}


def markdown(result: dict) -> str:
    groups = result["groups"]
    labels = list(next(iter(groups.values())))
    lines = [f"### BM25 with dense feedback terms (`{result['settings']['index']}`, tune halves): recall@10 / recall@100", "",
             "Feedback label: feedback articles / terms / weight. BM25 and dense alone for comparison.", "",
             "| group | n | " + " | ".join(labels) + " |", "|---|---:|" + "---|" * len(labels)]
    for g in sorted(groups):
        n = next(iter(groups[g].values()))["n"]
        lines.append(f"| {g} | {n} | " + " | ".join(
            f"{groups[g][lab]['recall@10']:.3f} / {groups[g][lab]['recall@100']:.3f}" for lab in labels) + " |")
    if result.get("pool"):
        lines += ["", f"Gold in the cached fused pool, and with the feedback list's top 10 / 20 / 50 added (setting "
                  f"{'/'.join(map(str, POOL_SETTING))}; keys added on average):", "",
                  "| group | n | pool | +10 | +20 | +50 |", "|---|---:|---:|---:|---:|---:|"]
        for g, v in sorted(result["pool"].items()):
            lines.append(f"| {g} | {v['n']} | {v['pool']:.3f} | " + " | ".join(
                f"{v[f'+{k}']:.3f} ({v[f'+{k} keys']:.1f})" for k in (10, 20, 50)) + " |")
    lines += ["", "Time per query (ms, the feedback retriever's weights and BM25Engine.weighted_scores): " + ", ".join(
        f"{k} {v:.1f}" for k, v in result["ms_per_query"].items()), "",
        f"Reproduce: `{result['settings']['command']}`", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
