"""Retrieval quality per question style and per law family: the any-law dev sets, with bootstrap intervals.

Runs the retrievers of ``benchmarks/style_eval.py`` (same names, same honesty rules: questions let only
decisions before ``--before`` vote, holdings only earlier, other decisions) on

* the hand-written questions about any law (``benchmarks/queries/law_questions.jsonl``, one ``--split`` half;
  ``user_questions.jsonl`` or both may be given, the 민법/상법 questions are family 민사·상사), and
* optionally the any-law dev holdings (``benchmarks/queries/law_holdings.py`` output, ``--holdings-split``
  half, a seeded ``--holdings-limit`` sample),

and prints tables per style and per family (:mod:`legalret.evaluate.breakdown`): recall@10, MRR@10 and
recall@100 as mean [95% interval], plus default − two-way per group. Gold keys outside the index are not
scored, so an index without a law shows ``–`` for its family (the n in each column is what was scored)::

    .venv/bin/python benchmarks/law_eval.py --index IDX --split report \\
        --holdings out/pairs-all/law_holdings.jsonl --holdings-limit 1500 --name law_report

writes ``benchmarks/results/<name>.{json,md}`` and prints the Markdown.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from index_names import index_label, index_name, portable_path, recorded_command  # noqa: E402
from style_eval import (  # noqa: E402  (one runner, one holdings reader, one error line for both reports)
    METRICS,
    RETRIEVERS,
    USER_ERRORS,
    at_least,
    committed_result,
    error_line,
    note_replaced,
    per_query,
    print_report,
    read_holdings,
    run_retrievers,
)

from legalret.errors import LegalretError, SourceError  # noqa: E402
from legalret.ingest.output import check_output_path  # noqa: E402

DEFAULT_QUESTIONS = REPO / "benchmarks" / "queries" / "law_questions.jsonl"
DEFAULT_RETRIEVERS = ("bm25", "dense", "memory", "two-way", "default")


def load_sets(questions: list[str], split: str, holdings: str | None, holdings_split: str, holdings_limit: int | None,
              seed: int):
    """EvalQuery objects with ``extra`` style/split/family: the questions of ``split`` and the holdings of
    ``holdings_split`` (a seeded sample of ``holdings_limit``). Every qid is one query's: two question files
    sharing a qid, or a holding with a question's (``style_eval.read_holdings``, strict), are a SourceError."""
    from legalret.evaluate.quality import EvalQuery
    from legalret.evaluate.questions import read_questions

    qs, taken = [], {}
    for path in questions:
        for q in read_questions(path):
            if q.qid in taken:  # (per_query would hold it twice: compare_runs.py refuses such a result)
                raise SourceError(path, f"{q.qid!r} is also the qid of the question at {taken[q.qid]}", line=q.line,
                                  field="qid")
            taken[q.qid] = f"{path}:{q.line}"
            if split == "all" or q.split == split:
                qs.append(EvalQuery(qid=q.qid, query=q.query, gold=list(q.gold), line=q.line,
                                    extra={"style": q.style, "split": q.split, **({"family": q.family} if q.family else {})}))
    if holdings:
        hs = [h for h in read_holdings(holdings, taken)
              if holdings_split == "all" or h.extra.get("split", holdings_split) == holdings_split]
        if holdings_limit and holdings_limit < len(hs):
            import random

            hs = [hs[i] for i in sorted(random.Random(seed).sample(range(len(hs)), holdings_limit))]
        for h in hs:
            h.extra["style"] = "holding"
        qs += hs
    return qs


def retriever_names(text: str) -> list[str]:
    """``--retrievers`` value → names, every one known to style_eval."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in RETRIEVERS]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"unknown retriever(s) {bad}; choose from {', '.join(RETRIEVERS)}")
    return names


def report_markdown(result: dict) -> str:
    """The Markdown report of a ``legalret.bench.law/1`` result (settings, then the breakdown's tables)."""
    from legalret.evaluate.breakdown import breakdown_markdown

    s = result["settings"]
    held = (f"{Path(s['holdings']).name} ({s['holdings_split']} half, sample {s['holdings_limit'] or 'all'})"
            if s["holdings"] else "— (none)")  # (not "— (report half, sample 1500)": the settings of no holdings)
    return (f"### Retrieval quality per style and law family ({s['split']} half)\n\nIndex {s['index_label']}; questions: "
            f"{', '.join(Path(p).name for p in s['questions'])}; holdings: {held}. Memory votes only with decisions before "
            f"{s['before']} for questions (holdings: earlier, other decisions). Mean [95% bootstrap interval, "
            f"{s['n_resamples']} resamples]; gold keys outside the index are not scored.\n\n"
            + breakdown_markdown(result["breakdown"], metrics=METRICS))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True, help="index with dense vectors and a precedent memory")
    ap.add_argument("--questions", action="append", help=f"question file(s) (default {DEFAULT_QUESTIONS.name})")
    ap.add_argument("--split", default="report", choices=("report", "tune", "all"))
    ap.add_argument("--holdings", help="any-law dev holdings (law_holdings.py output; with date/case_no/family/split)")
    ap.add_argument("--holdings-split", default="report", choices=("report", "tune", "all"))
    ap.add_argument("--holdings-limit", type=at_least(0), default=1500, help="seeded sample of the holdings (0 = all)")
    ap.add_argument("--before", default="2020-01-01", help="memory cut-off for the (undated) questions")
    ap.add_argument("--retrievers", type=retriever_names, default=list(DEFAULT_RETRIEVERS),
                    help=f"comma-separated, from {', '.join(RETRIEVERS)}")
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    ap.add_argument("--name", default=None, help="file stem (default law_<split>)")
    args = ap.parse_args(argv)
    try:
        return _run(args, argv)
    except USER_ERRORS as e:  # a missing index, a bad question or holdings file, an unwritable --out: one line
        print(f"error: {error_line(e)}", file=sys.stderr)
        return 1


def _run(args, argv: list[str] | None) -> int:
    from legalret.evaluate.breakdown import breakdown
    from legalret.evaluate.report import write_result

    name = args.name or f"law_{args.split}"
    check_output_path(Path(args.out) / f"{name}.json")  # before the run (minutes), not after it
    questions = args.questions or [str(DEFAULT_QUESTIONS)]
    queries = load_sets(questions, args.split, args.holdings, args.holdings_split, args.holdings_limit or None, args.seed)
    if not queries:
        raise LegalretError(f"{', '.join(questions)}: no question of the {args.split} split"
                            + (f" and no holding of the {args.holdings_split} half" if args.holdings else " (and no --holdings)"))
    print(f"{len(queries)} queries", flush=True)
    t0 = time.perf_counter()
    results, seconds, plans = run_retrievers(args.index, queries, args.retrievers, before=args.before, ranker=None,
                                             n_resamples=args.resamples, seed=args.seed)
    order = [n for n in RETRIEVERS if n in results]
    table = breakdown(queries, {n: results[n] for n in order}, comparisons=[("default", "two-way")],
                      n_resamples=args.resamples, seed=args.seed)
    result = {
        "schema": "legalret.bench.law/1",
        "settings": {"index": index_name(args.index), "index_label": index_label(args.index),
                     "questions": [portable_path(q) for q in args.questions or [DEFAULT_QUESTIONS]], "split": args.split,
                     "holdings": args.holdings and portable_path(args.holdings), "holdings_split": args.holdings_split,
                     "holdings_limit": args.holdings_limit, "before": args.before, "n_resamples": args.resamples,
                     "seed": args.seed, "leakage": plans, "seconds": round(time.perf_counter() - t0, 1),
                     "retriever_seconds": seconds,
                     "command": recorded_command("law_eval.py", argv)},
        "retrievers": order,
        "breakdown": table,
        "per_query": per_query(queries, {n: results[n] for n in order}),
    }
    md = report_markdown(result)
    committed = committed_result(args.out, name)
    write_result(args.out, name, result, md)
    print_report(md)
    note_replaced(committed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
