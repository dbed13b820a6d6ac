"""Would a dense holdings memory help the default? kNN over earlier holdings' query vectors, voting for their citations.

The holdings memory today is BM25 over Kiwi tokens. This measures the dense alternative offline, from the query
adapter's vector caches (``legalret train query-adapter --cache DIR`` fills them; missing texts are encoded with
the base encoder, which is slow on CPU): every train-split holding (decided < 2020) is a memory item; each dev
holding (2020–2022, all later than every item, so nothing leaks) votes over its ``--depth`` nearest items with
weight ``exp((cos − best) / T) / √(number of cited articles)``. Reported: the dense memory alone, the default's
depth-100 candidates (``experiments/ranker_cache.py``) re-ranked by the shipped re-ranker, and that order fused with
the dense memory's by reciprocal rank (``--rrf-weights``), on the same dev holdings.

    .venv/bin/python experiments/memory_dense_holdings.py --cache /tmp/qa/qcache \\
        --train-queries out/pairs/train_queries.jsonl --dev /tmp/rk/dev.pkl --dev-queries out/pairs/dev_queries.jsonl \\
        --keys /tmp/rk/keys.json

Result (2026-11-27, 600 dev holdings; the RRF weight is read on these same queries, so the gain is an upper bound):
the dense memory over adapter-mapped vectors (query and items both through ``W``) alone recall@10 0.835 (base
vectors 0.792); the default 0.866 / MRR 0.817 → fused 0.869 / 0.820 (weight 0.5), 0.869 / 0.827 (weight 1) — too little for the 40–80
CPU minutes that encoding a memory's ~30k holdings takes here. Not built (`benchmarks/results/memory_dense_holdings.json`).
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import sys
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

BASE = "bundled:me5-small@12dcfcba063d7bff"


def cached_vectors(texts: list[str], cache_root: str, max_tokens: int | None) -> np.ndarray:
    """Unit base query vectors of ``texts`` from the query adapter's cache (encoding what it lacks)."""
    from legalret.models.encoder import load_encoder
    from legalret.train.query_adapter import QueryVectorCache, _text_hash, encode_cached

    cache = QueryVectorCache(cache_root, BASE, max_tokens)
    missing = sum(_text_hash(t) not in cache.table for t in texts)
    encoder = load_encoder(BASE.split("@")[0]) if missing else None
    X, _ = encode_cached(encoder, texts, cache, max_tokens=max_tokens) if missing else (
        np.stack([cache.table[_text_hash(t)] for t in texts]).astype(np.float32), None)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def dense_votes(S: np.ndarray, item_gold: list[list[str]], depth: int, temperature: float, k: int = 100) -> list[list[str]]:
    """Per query row of similarities ``S``: the articles its ``depth`` nearest items vote for, best first."""
    out = []
    for s in S:
        top = np.argpartition(-s, depth)[:depth]
        top = top[np.argsort(-s[top])]
        votes: Counter = Counter()
        for row, w in zip(top, np.exp((s[top] - s[top[0]]) / temperature)):
            for key in item_gold[row]:
                votes[key] += w / math.sqrt(len(item_gold[row]))
        out.append([key for key, _ in votes.most_common(k)])
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", required=True, help="the query adapter's vector cache root")
    ap.add_argument("--train-queries", required=True)
    ap.add_argument("--dev", required=True, help="ranker_cache.py output for the dev holdings")
    ap.add_argument("--dev-queries", required=True, help="dev_queries.jsonl (the texts behind --dev)")
    ap.add_argument("--adapter", default=str(REPO / "legalret" / "adapters" / "me5-small-legal-qmap"))
    ap.add_argument("--ranker", default=str(REPO / "legalret" / "data" / "fusion_ranker.json"))
    ap.add_argument("--keys", default="/tmp/rk/keys.json",
                    help="JSON list of the index's article keys (as experiments/ranker_variants.py)")
    ap.add_argument("--depth", type=int, default=100)
    ap.add_argument("--temperature", type=float, default=0.02)
    ap.add_argument("--rrf-weights", default="0,0.5,1,2")
    args = ap.parse_args(argv)

    import ranker_variants as rv

    from legalret.models.query_adapter import QueryAdapter
    from legalret.search.ranker import Ranker

    train = [json.loads(line) for line in open(args.train_queries, encoding="utf-8") if line.strip()]
    items = cached_vectors([t["query"] for t in train], args.cache, 128)  # the adapter's training cut
    item_gold = [t["gold"] for t in train]
    with open(args.dev, "rb") as f:
        cached = pickle.load(f)
    text_of = {}
    for line in open(args.dev_queries, encoding="utf-8"):
        if line.strip():
            d = json.loads(line)
            text_of[d["qid"]] = d["query"]
    queries = cached_vectors([text_of[c["qid"]] for c in cached], args.cache, None)
    W = QueryAdapter.load(args.adapter)

    def recall(lists, k):
        return float(np.mean([len(set(c["gold"]) & set(lst[:k])) / len(c["gold"]) for c, lst in zip(cached, lists)]))

    report: dict = {"items": len(train), "queries": len(cached), "depth": args.depth, "temperature": args.temperature}
    lists = {}
    for name, (q, x) in {"base vectors": (queries, items), "adapter-mapped": (W.apply(queries), W.apply(items))}.items():
        lists[name] = dense_votes(q @ x.T, item_gold, args.depth, args.temperature)
        report[f"dense memory, {name}"] = {"recall@10": recall(lists[name], 10), "recall@100": recall(lists[name], 100)}

    dq = rv.load(args.dev, set(json.loads(Path(args.keys).read_text(encoding="utf-8"))))
    by_qid = dict(zip((c["qid"] for c in cached), lists["adapter-mapped"]))
    scores = rv.score(Ranker.load(args.ranker), dq)
    for weight in [float(w) for w in args.rrf_weights.split(",")]:
        fused = []
        for d, s in zip(dq, scores):
            rank = np.empty(len(s))
            rank[np.argsort(-s, kind="stable")] = np.arange(1, len(s) + 1)
            pos = {key: i + 1 for i, key in enumerate(by_qid[d["qid"]])}
            fused.append(1 / (60 + rank) + weight * np.array([1 / (60 + pos[k]) if k in pos else 0.0 for k in d["keys"]]))
        m = rv.metrics(dq, fused)
        report[f"default + dense memory, RRF weight {weight:g}"] = {k: float(v.mean()) for k, v in m.items()}
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
