"""Partitioned (IVF) dense search against the exact scan: what it finds, what it costs, per ``nprobe``.

On an index with dense vectors: encodes the user questions (``benchmarks/queries/user_questions.jsonl``) and a
seeded sample of the 2020–2022 dev holdings, then for each ``nprobe`` compares the partitioned top-10 with
the exact top-10 (overlap@10: the share of the exact top-10 the partitions also return) and with the gold
articles (recall@10), and times one ``DenseIndex.top`` call per query. The index's own partitions are used;
an index built without them (fewer than ``PARTITION_MIN_ROWS`` rows) gets them trained here, timed.

Usage::

    .venv/bin/python experiments/dense_partitions.py --index ~/.cache/legalret/full/index-all

Writes ``benchmarks/results/dense_partitions.{json,md}``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

K = 10


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", required=True)
    p.add_argument("--queries", default=str(REPO / "out" / "pairs" / "dev_queries.jsonl"))
    p.add_argument("--user-queries", default=str(REPO / "benchmarks" / "queries" / "user_questions.jsonl"))
    p.add_argument("--limit", type=int, default=300, help="seeded sample of dev holdings")
    p.add_argument("--nprobe", default="8,16,32,48,64,128")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = p.parse_args(argv)

    from legalret.evaluate.metrics import recall_at_k
    from legalret.evaluate.quality import load_queries
    from legalret.evaluate.report import write_result
    from legalret.evaluate.speed import machine_info, time_queries
    from legalret.index.encoders import load_index_encoder
    from legalret.index.dense import DenseIndex, Partitions
    from legalret.index.store import load_index

    data = load_index(args.index, verify="size")
    if data.dense is None:
        raise SystemExit(f"{args.index}: no dense vectors")
    keys = data.row_keys
    dense: DenseIndex = data.dense
    train_s = None
    if dense.partitions is None:
        t = time.perf_counter()
        dense.partitions = Partitions.train(dense.vectors)
        train_s = time.perf_counter() - t
    enc = load_index_encoder(data.manifest["encoder"], where=args.index)

    sets = {"user": load_queries(args.user_queries).queries}
    holdings = load_queries(args.queries).queries
    random.Random(args.seed).shuffle(holdings)
    sets["holding"] = holdings[: args.limit]

    exact_index = DenseIndex(dense.index)  # the same vectors, no partitions: the exact scan
    result = {
        "index": str(args.index), "rows": len(dense), "nlist": dense.partitions.nlist, "train_s": train_s,
        "default_nprobe": dense.nprobe, "encoder": enc.fingerprint, "machine": machine_info(), "styles": {},
    }
    for style, queries in sets.items():
        vectors = enc.encode_queries([q.query for q in queries])
        exact = [exact_index.top(v, K)[0] for v in vectors]
        exact_ms = time_queries(lambda v: exact_index.top(v, K), vectors, "exact scan")
        rows = [{
            "nprobe": "exact", "overlap@10": 1.0, "recall@10": _recall(exact, queries, keys, recall_at_k),
            "p50_ms": exact_ms["p50_ms"], "p95_ms": exact_ms["p95_ms"], "scanned": len(dense),
        }]
        for nprobe in [int(x) for x in args.nprobe.split(",")]:
            dense.nprobe = nprobe
            got = [dense.top(v, K)[0] for v in vectors]
            ms = time_queries(lambda v: dense.top(v, K), vectors, f"nprobe {nprobe}")
            overlap = np.mean([len(set(a.tolist()) & set(b.tolist())) / max(len(b), 1) for a, b in zip(got, exact)])
            scanned = np.mean([len(dense.partitions.candidates(v, nprobe)) for v in vectors])
            rows.append({
                "nprobe": nprobe, "overlap@10": float(overlap), "recall@10": _recall(got, queries, keys, recall_at_k),
                "p50_ms": ms["p50_ms"], "p95_ms": ms["p95_ms"], "scanned": float(scanned),
            })
            print(f"{style} nprobe {nprobe}: overlap {overlap:.3f}, p50 {rows[-1]['p50_ms']:.2f} ms", flush=True)
        result["styles"][style] = {"queries": len(queries), "rows": rows}

    write_result(args.out, "dense_partitions", result, _markdown(result, " ".join(["experiments/dense_partitions.py"] + (argv or sys.argv[1:]))))
    return 0


def _recall(rows_per_query, queries, keys, recall_at_k) -> float:
    values = [recall_at_k([keys[r] for r in rows.tolist()], q.gold, K) for rows, q in zip(rows_per_query, queries)]
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else float("nan")


def _markdown(r: dict, command: str) -> str:
    trained = f" (trained here in {r['train_s']:.1f} s)" if r["train_s"] is not None else ""
    lines = [
        "### Dense search: partitions (IVF) vs. the exact scan",
        "",
        f"`{r['index']}`: {r['rows']:,} vectors in {r['nlist']:,} cells{trained}; shipped default nprobe "
        f"{r['default_nprobe']}. One `DenseIndex.top(k=10)` call per query, warm, 2 threads.",
        "",
    ]
    for style, s in r["styles"].items():
        lines += [
            f"**{style} queries** ({s['queries']}):",
            "",
            "| nprobe | rows scored | overlap@10 with exact | recall@10 (gold) | p50 ms | p95 ms |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in s["rows"]:
            lines.append(
                f"| {row['nprobe']} | {row['scanned']:,.0f} | {row['overlap@10']:.3f} | {row['recall@10']:.4f} | "
                f"{row['p50_ms']:.2f} | {row['p95_ms']:.2f} |"
            )
        lines.append("")
    lines += [f"Reproduce: `.venv/bin/python {command}`", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
