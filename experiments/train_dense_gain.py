"""Dense retrieval on the dev split: base encoder vs base + LoRA adapter, over the 민법+상법 articles.

The quick check behind ``legalret train``'s "must show": for each dev query (holdings decided 2020–2022,
``dev_queries.jsonl`` from ``legalret pairs``), rank every live 민법/상법 article by cosine similarity
(passages = ``Article.index_text()``, the same text the pairs and the index use) and report recall@k,
MRR@10 and nDCG@10 with bootstrap intervals, plus the paired difference adapter − base.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python experiments/train_dense_gain.py \\
        --pairs out/pairs --adapter legalret/adapters/me5-small-legal --out /tmp/gain.json

Embeddings are cached per encoder fingerprint in ``--cache`` (the base's never change), so re-running after a
new adapter only encodes with the adapter.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from legalret.config import shared_data_dir  # noqa: E402
from legalret.evaluate.metrics import aggregate, paired_bootstrap_diff, query_metrics  # noqa: E402
from legalret.progress import console  # noqa: E402


def load_corpus(laws=("민법", "상법")) -> tuple[list[str], list[str]]:
    """(keys, passages) of every live article of ``laws`` in the shared legalize-kr mirror."""
    from legalret.ingest.sources import ingest

    data = shared_data_dir()
    if data is None:
        raise SystemExit("shared data not found (LEGALRET_DATA)")
    result = ingest([data / "statutes" / "legalize-kr.zip"], laws=list(laws), kinds=["법률"])
    live = [a for a in result.articles if not a.deleted and a.index_text()]
    return [a.key for a in live], [a.index_text() for a in live]


def encode_cached(encoder, texts: list[str], *, kind: str, cache: Path, batch_size: int) -> np.ndarray:
    digest = hashlib.sha256(("\x00".join(texts) + f"|{kind}|{encoder.fingerprint}|{encoder.max_seq_length}").encode()).hexdigest()[:16]
    path = cache / f"{kind}-{digest}.npy"
    if path.is_file():
        return np.load(path)
    started = time.perf_counter()
    fn = encoder.encode_queries if kind == "query" else encoder.encode_passages
    emb = fn(texts, batch_size=batch_size, show_progress=True)
    console.print(f"encoded {len(texts)} {kind} texts with {encoder.fingerprint} in {time.perf_counter() - started:.0f} s")
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, emb)
    return emb


def rank(encoder, queries, keys, passages, *, cache: Path, batch_size: int, k: int = 100) -> list[list[str]]:
    P = encode_cached(encoder, passages, kind="passage", cache=cache, batch_size=batch_size)
    Q = encode_cached(encoder, [q["query"] for q in queries], kind="query", cache=cache, batch_size=batch_size)
    scores = Q @ P.T
    top = np.argsort(-scores, axis=1)[:, :k]
    return [[keys[i] for i in row] for row in top]


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", default="out/pairs", help="pairs dir with dev_queries.jsonl")
    ap.add_argument("--base", default="bundled:me5-small")
    ap.add_argument("--adapter", default=str(ROOT / "legalret/adapters/me5-small-legal"))
    ap.add_argument("--queries", type=int, default=0, help="seeded sample of dev queries (0 = all)")
    ap.add_argument("--max-seq-length", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--cache", default="/tmp/legalret-train-gain-cache")
    ap.add_argument("--only-base", action="store_true", help="encode with the base only (warm the cache)")
    ap.add_argument("--out", help="write the report JSON here")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from legalret.models.encoder import load_encoder

    queries = [json.loads(line) for line in open(Path(args.pairs) / "dev_queries.jsonl", encoding="utf-8")]
    keys, passages = load_corpus()
    key_set = set(keys)
    queries = [q for q in queries if any(g in key_set for g in q["gold"])]
    if args.queries and args.queries < len(queries):
        queries = random.Random(0).sample(queries, args.queries)
    console.print(f"{len(queries)} dev queries, {len(keys)} articles")
    cache = Path(args.cache)

    report = {"queries": len(queries), "corpus": len(keys), "max_seq_length": args.max_seq_length, "runs": {}}
    per_query = {}
    runs = [("base", None)] + ([] if args.only_base else [("adapter", args.adapter)])
    for name, adapter in runs:
        enc = load_encoder(args.base, adapter=adapter, precision=args.precision)
        enc.model.max_seq_length = args.max_seq_length
        ranked = rank(enc, queries, keys, passages, cache=cache, batch_size=args.batch_size)
        per_query[name] = [query_metrics(r, q["gold"]) for r, q in zip(ranked, queries)]
        report["runs"][name] = {"encoder": enc.fingerprint, **aggregate(per_query[name])}
        m = report["runs"][name]["metrics"]
        console.print(f"{name}: recall@10 {m['recall@10']['mean']:.4f}  MRR@10 {m['mrr@10']['mean']:.4f}")
    if "adapter" in per_query:
        report["adapter_minus_base"] = {
            metric: paired_bootstrap_diff([m[metric] for m in per_query["adapter"]], [m[metric] for m in per_query["base"]])
            for metric in ("recall@10", "mrr@10", "ndcg@10")
        }
        console.print(f"adapter − base: {json.dumps(report['adapter_minus_base'], indent=1)}")
    if args.out:
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2))
    return report


if __name__ == "__main__":
    main()
