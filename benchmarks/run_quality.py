"""Reproduce the README's retrieval-quality numbers from the shared data.

For each corpus: ingest it from ``../shared/data/statutes/legalize-kr.zip``, build (or reuse) an index,
evaluate the standard dev queries (``legalret pairs`` output: 2020–2022 holdings → cited articles) in every
mode, and write ``benchmarks/results/quality-<corpus>[-<tag>].{json,md,png,per_query.jsonl}``.

Usage::

    .venv/bin/python benchmarks/run_quality.py --corpus civil-commercial \\
        --queries out/pairs/dev_queries.jsonl                     # bm25, dense, hybrid with bundled:me5-small
    .venv/bin/python benchmarks/run_quality.py --corpus all-acts-decrees --mode bm25 --model none
    .venv/bin/python benchmarks/run_quality.py --corpus civil-commercial --adapter adapters/legal-lora --tag lora

``--gold`` defaults to ``indexed`` for ``civil-commercial`` (a 민법+상법 index cannot hold the 형법 articles a
query also cites; those keys are still counted and listed in the report) and to ``all`` for larger corpora.
Indexes are kept under ``--work-dir`` (default ``$LEGALRET_HOME/bench``) and reused when the corpus, model and
adapter are unchanged; ``--rebuild`` forces a fresh build.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "benchmarks"))  # index_names, when this is imported rather than run

from index_names import index_name, portable_path, recorded_command  # noqa: E402

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(var, "2")  # the benchmark machine is shared; results record the thread count
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default="civil-commercial", help="corpus manifest name (corpora/<name>.yaml)")
    p.add_argument("--queries", default=str(REPO / "out" / "pairs" / "dev_queries.jsonl"), help="query JSONL")
    p.add_argument("--mode", default="bm25,dense,hybrid")
    p.add_argument("--model", default=None, help="encoder spec (default: bundled:me5-small); 'none' = BM25 only")
    p.add_argument("--adapter", default=None)
    p.add_argument("--gold", choices=("all", "indexed"), default=None)
    p.add_argument("--limit", type=int, default=None, help="seeded sample of N queries")
    p.add_argument("--article-limit", type=int, default=None, help="index only the first N articles (quick runs)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resamples", type=int, default=1000)
    p.add_argument("--tag", default="", help="suffix for the result file names")
    p.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    p.add_argument("--work-dir", default=None)
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--index", default=None, help="evaluate this existing index of the corpus instead of building one")
    p.add_argument("--per-query", action="store_true", help="also write <name>.per_query.jsonl (large; not committed)")
    p.add_argument("--before", default=None, help="YYYY-MM-DD: undated queries let only earlier decisions vote in the memory")
    p.add_argument("--allow-leakage", action="store_true",
                   help="run even when undated queries would let the memory vote with their own decisions (labelled '-LEAKY')")
    args = p.parse_args(argv)

    from legalret.config import legalret_home
    from legalret.evaluate.quality import evaluate, load_queries
    from legalret.evaluate.report import quality_markdown, write_quality_report
    from legalret.evaluate.speed import ingest_corpus, machine_info
    from legalret.index.build import build_index
    from legalret.progress import console
    from legalret.search.searcher import Searcher

    modes = [m.strip() for m in args.mode.split(",") if m.strip()]
    if args.model == "none" and any(m != "bm25" for m in modes):
        p.error("--model none builds a BM25-only index: use --mode bm25")
    gold = args.gold or ("indexed" if args.corpus == "civil-commercial" else "all")
    work = Path(args.work_dir) if args.work_dir else legalret_home() / "bench"
    model_tag = (args.model or "default").replace("/", "_").replace(":", "_")
    adapter_tag = Path(args.adapter).name if args.adapter else "base"
    index_dir = work / (f"index-{args.corpus}-{model_tag}-{adapter_tag}" + (f"-n{args.article_limit}" if args.article_limit else ""))
    stamp = index_dir / "bench-build.json"

    build_info = None
    if args.index:
        from legalret.evaluate.speed import build_from_manifest

        index_dir = Path(args.index)
        build_info = build_from_manifest(index_dir)
        build_info["timings"] = {k: v["seconds"] for k, v in build_info["stages"].items()}
        build_info["reused_index"] = index_name(index_dir)  # not where it sat on this machine
        console.print(f"using {index_dir} ({build_info['articles']:,} articles)")
    elif args.rebuild or not stamp.exists():
        console.print(f"[bold]ingest[/] {args.corpus}")
        articles, ingest_info = ingest_corpus(args.corpus)
        if args.article_limit:
            articles = articles[: args.article_limit]
        console.print(f"[bold]build[/] {len(articles):,} articles → {index_dir}")
        t0 = time.perf_counter()
        kwargs = {"model": args.model} if args.model else {}
        if args.adapter:
            kwargs["adapter"] = args.adapter
        report = build_index(articles, index_dir, verbose=True, **kwargs)
        build_info = {"articles": len(articles), "seconds": round(time.perf_counter() - t0, 1),
                      "timings": {k: round(v, 2) for k, v in report.timings.items()}, "ingest": ingest_info}
        stamp.write_text(json.dumps(build_info, ensure_ascii=False, indent=2), encoding="utf-8")
    else:
        build_info = json.loads(stamp.read_text(encoding="utf-8"))
        console.print(f"reusing {index_dir} ({build_info['articles']:,} articles; --rebuild to rebuild)")

    queries = load_queries(args.queries, limit=args.limit, seed=args.seed)
    searcher = Searcher(index_dir, adapter=args.adapter) if args.adapter else Searcher(index_dir)
    # dated queries (legalret pairs writes date/case_no) let only earlier, other decisions vote; undated ones
    # on an index with a memory need --before, or --allow-leakage (then every output is labelled)
    result = evaluate(searcher, queries, modes=modes, gold_filter=gold, n_resamples=args.resamples, seed=args.seed,
                      default_before=args.before, allow_leakage=args.allow_leakage)
    result.settings.extra.update({
        "corpus": args.corpus, "model": args.model or "default (bundled:me5-small)",
        "adapter": args.adapter and portable_path(args.adapter),
        "limit": args.limit, "article_limit": args.article_limit,
        "command": recorded_command("run_quality.py", argv),
    })
    # evaluate() and the ingest record the files as read here
    if result.queries.file:
        result.queries.file = portable_path(result.queries.file)
    if (build_info.get("ingest") or {}).get("source"):
        build_info["ingest"]["source"] = portable_path(build_info["ingest"]["source"])
    result.extra["build"] = build_info
    result.extra["machine"] = machine_info()
    name = f"quality-{args.corpus}" + (f"-{args.tag}" if args.tag else "")
    if result.settings.leakage_label:
        name += "-LEAKY"
    title = f"Retrieval quality — {args.corpus}" + (f" ({args.tag})" if args.tag else "")
    paths = write_quality_report(result, args.out, name=name, title=title, per_query=args.per_query)
    print(quality_markdown(result, title))
    console.print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
