"""Benchmarks: retrieval quality (recall, MRR, nDCG, F2 with bootstrap intervals) and speed.

* :mod:`legalret.evaluate.metrics` — per-query metrics and their aggregation;
* :mod:`legalret.evaluate.quality` — run a searcher over a query file, overall and per law;
* :mod:`legalret.evaluate.speed` — ingest / index build / query latency, with rank-bm25 and bm25s references;
* :mod:`legalret.evaluate.report` — JSON, Markdown tables and PNG plots of either report.

Usage::

    from legalret.evaluate.quality import evaluate, load_queries
    from legalret.search.searcher import Searcher

    report = evaluate(Searcher("index/"), load_queries("dev_queries.jsonl"), modes=("bm25", "hybrid"))
    report.modes["hybrid"].overall.metrics["recall@10"]   # Interval(mean=…, ci_low=…, ci_high=…)
    report.to_dict()                                       # the JSON record (write_quality_report writes it)
"""
