"""Recall@10 of BM25, dense and their fusions on the 2020–2022 dev holdings; tunes the fusion weight there.

Every retriever's top-``--candidates`` list is computed once per query (the dense queries encoded in one
batch), then each fusion setting is scored from those lists — so the whole weight grid costs one pass.
Only the dev split is used (``dev_queries.jsonl``: precedents decided 2020-01-01 … 2022-12-31); never later data.

Usage::

    python experiments/search_dev_recall.py --index /tmp/idx_cc                       # default queries file
    python experiments/search_dev_recall.py --index idx --queries out/pairs/dev_queries.jsonl --limit 500
    python experiments/search_dev_recall.py --index idx --json results.json          # also write the numbers

Prints recall@10 / hit@10 / MRR@10 per mode (citations in the query text disabled, so the retrievers are
compared on their own), the dense weight grid for convex fusion, and the best weight.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from legalret.search.fusion import convex_fusion, rrf_fusion  # noqa: E402
from legalret.search.searcher import MAX_QUERY_CHARS, Searcher  # noqa: E402
from legalret.text import normalize  # noqa: E402

GRID = [round(0.1 * i, 1) for i in range(11)]


def load_queries(path: Path, limit: int | None) -> list[dict]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                q = json.loads(line)
                if q.get("gold"):
                    out.append(q)
    return out[:limit] if limit else out


def metrics(ranked: list[str], gold: set[str], k: int) -> tuple[float, float, float]:
    top = ranked[:k]
    hits = [key in gold for key in top]
    recall = sum(hits) / len(gold)
    mrr = next((1.0 / (i + 1) for i, h in enumerate(hits) if h), 0.0)
    return recall, float(any(hits)), mrr


def evaluate(rankings: list[list[str]], golds: list[set[str]], k: int) -> dict:
    rs = [metrics(r, g, k) for r, g in zip(rankings, golds)]
    n = len(rs)
    return {f"recall@{k}": sum(r[0] for r in rs) / n, f"hit@{k}": sum(r[1] for r in rs) / n, f"mrr@{k}": sum(r[2] for r in rs) / n}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--queries", type=Path, default=REPO / "out" / "pairs" / "dev_queries.jsonl")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--candidates", type=int, default=100)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args()

    queries = load_queries(args.queries, args.limit)
    searcher = Searcher(args.index, memory=False)
    golds = [set(q["gold"]) for q in queries]
    texts = [normalize(q["query"])[:MAX_QUERY_CHARS] for q in queries]
    n = args.candidates
    keys = searcher.keys
    print(f"{len(queries)} dev queries from {args.queries}; index {args.index} ({len(keys)} searchable articles)")

    t = time.perf_counter()
    bm25_lists = []
    for text in texts:
        rows, scores = searcher.bm25.rows(searcher.tokenizer.tokenize(text), n)
        bm25_lists.append([(keys[r], s) for r, s in zip(rows.tolist(), scores.tolist())])
    t_bm25 = time.perf_counter() - t
    t = time.perf_counter()
    vectors = searcher.dense.encode(texts)
    dense_lists = []
    for vec in vectors:
        rows, scores = searcher.dense.rows(vec, n)
        dense_lists.append([(keys[r], s) for r, s in zip(rows.tolist(), scores.tolist())])
    t_dense = time.perf_counter() - t
    print(f"retrieval: bm25 {t_bm25:.1f}s, dense (encode + search) {t_dense:.1f}s")

    k = args.k
    results: dict[str, dict] = {}
    results["bm25"] = evaluate([[key for key, _ in lst] for lst in bm25_lists], golds, k)
    results["dense"] = evaluate([[key for key, _ in lst] for lst in dense_lists], golds, k)
    results["rrf"] = evaluate(
        [[it.key for it in rrf_fusion({"bm25": b, "dense": d}, k=k)] for b, d in zip(bm25_lists, dense_lists)], golds, k
    )
    grid = {}
    for w in GRID:
        fused = [[it.key for it in convex_fusion({"bm25": b, "dense": d}, {"bm25": 1 - w, "dense": w}, k=k)] for b, d in zip(bm25_lists, dense_lists)]
        grid[w] = evaluate(fused, golds, k)
    best_w = max(GRID, key=lambda w: (grid[w][f"recall@{k}"], -abs(w - 0.5)))
    current = searcher.fusion.weights.get("dense")
    results[f"hybrid (index weight dense={current})"] = grid.get(round(current, 1)) if current is not None else None
    results[f"hybrid (best dense weight={best_w})"] = grid[best_w]

    print(f"\n{'mode':<34} {'recall@' + str(k):>10} {'hit@' + str(k):>8} {'mrr@' + str(k):>8}")
    for mode, r in results.items():
        if r:
            print(f"{mode:<34} {r[f'recall@{k}']:>10.4f} {r[f'hit@{k}']:>8.4f} {r[f'mrr@{k}']:>8.4f}")
    print("\nconvex fusion, dense weight grid (recall@%d):" % k)
    print("  " + "  ".join(f"{w:.1f}:{grid[w][f'recall@{k}']:.4f}" for w in GRID))
    if args.json:
        args.json.write_text(json.dumps({"queries": len(queries), "index": str(args.index), "k": k, "results": results,
                                         "grid": {str(w): v for w, v in grid.items()}, "best_dense_weight": best_w,
                                         "encoder": searcher.manifest.get("encoder")}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
