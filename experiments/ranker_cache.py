"""Cache the hybrid's depth-100 candidates once, so re-ranker variants train and evaluate offline in seconds.

For each query: its hits from ``Searcher.search_batch(mode="convex", k=depth)`` under the same leakage plan a
benchmark uses (holdings: only earlier, other decisions vote; questions: only decisions before ``--before``),
kept as plain tuples ``(key, score, ranks, scores, votes)`` plus the query's gold keys, style and date.

    nice .venv/bin/python experiments/ranker_cache.py --index /tmp/final_idx_k \\
        --holdings /tmp/q_pairs/train_queries.jsonl --holdings-limit 6000 --source train --out /tmp/rk/train.pkl
    nice .venv/bin/python experiments/ranker_cache.py --index /tmp/final_idx_k \\
        --holdings /tmp/q_pairs/dev_queries.jsonl --holdings-limit 600 --source dev --out /tmp/rk/dev.pkl
    nice .venv/bin/python experiments/ranker_cache.py --index /tmp/final_idx_k --questions all --out /tmp/rk/questions.pkl

(``experiments/ranker_variants.py`` reads these files.)

``--annotate feedback`` runs the on-demand annotating retriever of that name too (its ranks in every hit's
``ranks``); with ``--from OLD.pkl`` it adds them to a cache taken before, without searching again — the same
``annotate`` the Searcher runs, over the cached candidates, each query's dense list searched anew for the rows it
reads (a fresh cache and an annotated one hold the same ranks: checked on ``law_questions_2.jsonl``, 2026-12-04).
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(var, "2")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--holdings")
    ap.add_argument("--holdings-limit", type=int, default=0)
    ap.add_argument("--facts-queries", type=int, default=0, help="this many train-split decisions' facts (600 "
                    "characters, from the index's facts memory: legalret.train.ranker.facts_queries) as the queries")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--source", default="holdings")
    ap.add_argument("--questions", help="'all' (the repo's user_questions.jsonl) or a path")
    ap.add_argument("--before", default="2020-01-01")
    ap.add_argument("--depth", type=int, default=100)
    ap.add_argument("--votes", help="the holdings memory's vote settings for this cache, e.g. depth=70,score_power=3 "
                    "(fields of legalret.memory.retriever.VoteConfig; default: as shipped)")
    ap.add_argument("--annotate", default="", help="on-demand annotating retrievers to run too, comma-separated "
                    "(feedback)")
    ap.add_argument("--from", dest="source_cache", help="add --annotate's ranks to this cache instead of searching")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    from legalret.evaluate.leakage import plan_leakage
    from legalret.evaluate.quality import EvalQuery, load_queries
    from legalret.evaluate.questions import read_questions
    from legalret.search.searcher import Searcher

    annotate = [name for name in args.annotate.split(",") if name]
    searcher = Searcher(args.index, **{name: True for name in annotate})
    if args.source_cache:
        if not annotate:
            raise SystemExit("--from needs --annotate: the retrievers whose ranks to add")
        with open(args.source_cache, "rb") as f:
            out = pickle.load(f)
        add_annotations(searcher, annotate, out)
        _save(out, args.out)
        return 0
    if args.votes:
        from dataclasses import replace

        settings = dict(kv.split("=", 1) for kv in args.votes.split(","))
        shipped = searcher.memory.config
        searcher.memory.config = replace(shipped, **{k: type(getattr(shipped, k))(v) for k, v in settings.items()})
        print("holdings memory votes:", searcher.memory.config, flush=True)
    if args.facts_queries:
        from legalret.train.ranker import facts_queries

        qs = facts_queries(searcher, args.facts_queries, before=args.before, chars=600, seed=args.seed)
        default_before = None  # (each query carries its decision's date and case number)
    elif args.holdings:
        qs = list(load_queries(args.holdings, limit=args.holdings_limit or None, seed=args.seed))
        for q in qs:
            q.extra["style"] = "holding"
        # a seeded random order, so that a checkpoint taken while it runs is a fair sample of all years
        import random

        random.Random(args.seed).shuffle(qs)
        default_before = None
    else:
        path = REPO / "benchmarks" / "queries" / "user_questions.jsonl" if args.questions in (None, "all") else args.questions
        qs = [EvalQuery(qid=q.qid, query=q.query, gold=list(q.gold), extra={"style": q.style, "split": q.split, "family": q.family})
              for q in read_questions(str(path))]
        default_before = args.before
    source = "facts" if args.facts_queries else args.source if args.holdings else "questions"
    plan = plan_leakage(searcher, qs, ("hybrid",), default_before=default_before)
    out, t0 = [], time.perf_counter()
    for start in range(0, len(qs), 64):
        idx = list(range(start, min(start + 64, len(qs))))
        res = searcher.search_batch([qs[i].query for i in idx], args.depth, mode="convex",
                                    before=[plan.before[i] for i in idx], exclude=[plan.exclude[i] for i in idx])
        for i, hits in zip(idx, res):
            q = qs[i]
            out.append({"qid": q.qid, "query": q.query, "gold": list(q.gold), "source": source,
                        "style": q.extra.get("style"), "split": q.extra.get("split"), "date": q.extra.get("date"),
                        "case_no": q.extra.get("case_no"), "family": q.extra.get("family"),
                        "hits": [(h.key, float(h.score), dict(h.ranks or {}), {k: float(v) for k, v in (h.scores or {}).items()},
                                  dict(getattr(h, "votes", None) or {})) for h in hits]})
        print(f"{len(out)}/{len(qs)} {time.perf_counter() - t0:.0f}s", flush=True)
        if len(out) % 640 == 0 or len(out) == len(qs):  # usable while it runs: a checkpoint every 10 batches
            _save(out, args.out)
    return 0


def add_annotations(searcher, names: list[str], cached: list[dict]) -> None:
    """Run the annotating retrievers ``names`` over each cached query's candidates, as a search would after fusing
    them (ranks and scores written into the cached hits' dicts)."""
    from types import SimpleNamespace

    mask = searcher.filters.mask(None, None)
    annotators = [searcher.retriever(name) for name in names]
    dense = searcher.opened.get("dense")
    t0 = time.perf_counter()
    for start in range(0, len(cached), 64):
        batch = cached[start:start + 64]
        queries = [searcher.prepare(d["query"], laws=None, mask=mask)[0] for d in batch]
        if dense is not None:
            dense.prepare(queries)
            for q in queries:
                dense.candidates(q, 3)  # (its rows, on the query: what the feedback retriever reads)
        for d, q in zip(batch, queries):
            items = [SimpleNamespace(key=key, score=score, ranks=ranks, scores=scores)
                     for key, score, ranks, scores, _ in d["hits"]]
            for annotator in annotators:
                annotator.annotate(q, items)
        print(f"{start + len(batch)}/{len(cached)} {time.perf_counter() - t0:.0f}s", flush=True)


def _save(out: list, path: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        pickle.dump(out, f)
    os.replace(tmp, path)


if __name__ == "__main__":
    raise SystemExit(main())
