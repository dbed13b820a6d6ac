"""Reproduce the README's speed numbers from the shared data, at both corpus sizes.

Runs :func:`legalret.evaluate.speed.run_speed` (ingest, index build per stage, size, RSS, warm latency
p50/p95/p99, cold ``legalret search``, rank-bm25 and bm25s references) and writes
``benchmarks/results/speed-<corpus>[-bm25][-limitN].{json,md,png}``.

Usage::

    .venv/bin/python benchmarks/run_speed.py --corpus civil-commercial                 # bm25 + dense + hybrid
    .venv/bin/python benchmarks/run_speed.py --corpus all-acts-decrees --mode bm25     # every 법률+시행령, BM25 only
    .venv/bin/python benchmarks/run_speed.py --corpus all-acts-decrees --limit 5000    # dense on a slice
    .venv/bin/python benchmarks/run_speed.py --corpus all-acts-decrees                 # everything (encodes ~141k
                                                                                       # articles: hours on 2 cores)

Threads are capped at 2 (``OMP_NUM_THREADS``) unless already set; the report records the machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "benchmarks"))  # index_names, when this is imported rather than run

from index_names import index_name, portable_path, recorded_command  # noqa: E402

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(var, "2")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default="civil-commercial")
    p.add_argument("--mode", default="bm25,dense,hybrid")
    p.add_argument("--limit", type=int, default=None, help="index only the first N articles")
    p.add_argument("--queries", default=None, help="query JSONL to time (default: dev queries if present, else synthesized)")
    p.add_argument("--n-queries", type=int, default=200)
    p.add_argument("--n-reference-queries", type=int, default=50)
    p.add_argument("--no-references", action="store_true")
    p.add_argument("--model", default=None)
    p.add_argument("--adapter", default=None)
    p.add_argument("--cold-runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    p.add_argument("--work-dir", default=None, help="where the temporary index goes (default: system temp)")
    p.add_argument("--index", default=None, help="reuse this index of the corpus (build figures from its manifest) "
                                                 "instead of building one, e.g. the one run_quality.py built")
    p.add_argument("--build-report", default=None, help="with --index: build figures from this `legalret index build --json` "
                                                        "output (for indexes updated since they were built)")
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))

    from legalret.evaluate.report import speed_markdown, write_speed_report
    from legalret.evaluate.speed import run_speed

    modes = [m.strip() for m in args.mode.split(",") if m.strip()]
    queries = args.queries
    default_queries = REPO / "out" / "pairs" / "dev_queries.jsonl"
    if queries is None and default_queries.exists():
        queries = str(default_queries)
    with tempfile.TemporaryDirectory(prefix="legalret-speed-", dir=args.work_dir) as tmp:
        report = run_speed(
            args.corpus, work_dir=tmp, modes=modes, limit=args.limit, queries_file=queries,
            n_queries=args.n_queries, n_reference_queries=args.n_reference_queries,
            references=() if args.no_references else ("rank_bm25", "bm25s"),
            model=args.model, adapter=args.adapter, cold_runs=args.cold_runs, seed=args.seed, index_dir=args.index,
            build_report=args.build_report,
        )
    report["settings"]["command"] = recorded_command("run_speed.py", argv)
    # the ingested mirror and a reused --index as a reader finds them, not where they sat on this machine
    if (report.get("ingest") or {}).get("source"):
        report["ingest"]["source"] = portable_path(report["ingest"]["source"])
    if "reused_index" in report["build"]:
        report["build"]["reused_index"] = index_name(report["build"]["reused_index"])
    name = f"speed-{args.corpus}" + ("-bm25" if modes == ["bm25"] else "") + (f"-limit{args.limit}" if args.limit else "")
    title = f"Speed — {args.corpus}" + (" (BM25 only)" if modes == ["bm25"] else "") + (f", first {args.limit:,} articles" if args.limit else "")
    paths = write_speed_report(report, args.out, name=name, title=title)
    print(speed_markdown(report, title))
    print("wrote " + ", ".join(str(p) for p in paths.values()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
