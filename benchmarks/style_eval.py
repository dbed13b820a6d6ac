"""Per-style retrieval quality: every retriever on each style of the dev questions (and dev holdings).

Retrievers (one index, public Searcher API only):

* ``bm25``, ``dense``, ``memory`` — each signal alone (``Searcher.search(mode=…)``);
* ``facts`` — the facts memory alone (an index built with ``--facts``: its MemoryVoter, same
  ``before``/``exclude`` filters); ``memories`` — the holdings and facts memories' vote shares summed
  (the memory "over both texts");
* ``convex-nofacts`` / ``default-nofacts`` — the same fused modes with the facts memory switched off
  (``Searcher(index, facts=False)``), to see what the facts add;
* ``two-way`` — BM25 + dense fused by the index's hybrid settings with the memory switched off
  (``Searcher(index, memory=False)``, mode ``hybrid``): the plain hybrid the default extends;
* ``default`` — what ``legalret search`` does: ``hybrid`` (the learned re-ranker over the three lists);
* ``convex`` — the hand-set fusion the re-ranker replaced: the memory's gated weight (mode ``convex``);
* ``rrf`` — reciprocal-rank fusion of all three (for comparison);
* ``ranker`` — with ``--ranker model.json``: the learned fusion re-ranker (legalret.search.ranker).

Honest by construction: user questions carry no date, so ``--before`` (default 2020-01-01) lets only
decisions before the dev period vote; holdings (``legalret pairs`` dev_queries.jsonl) carry their own
``date``/``case_no`` (only earlier, other decisions vote). Metrics: recall@10, MRR@10, recall@100 per
style, mean with a 95% bootstrap interval (1,000 resamples over questions), plus the paired difference
default − two-way per style; each query's own metrics are kept too (``per_query``), so that two runs — a variant
and its baseline — compare question by question with ``benchmarks/compare_runs.py``.

    .venv/bin/python benchmarks/style_eval.py --index /tmp/q_idx --split report \\
        --holdings /tmp/q_pairs/dev_queries.jsonl --holdings-limit 600 --name style_report

writes ``benchmarks/results/<name>.{json,md,png}`` and prints the Markdown.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "benchmarks"))  # index_names, when this is imported rather than run

from index_names import index_label, index_name, portable_path, recorded_command  # noqa: E402

from legalret.errors import LegalretError, SourceError  # noqa: E402
from legalret.ingest.output import check_output_path  # noqa: E402

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(var, "2")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

METRICS = ("recall@10", "mrr@10", "recall@100")
RETRIEVERS = ("bm25", "dense", "memory", "facts", "memories", "two-way", "convex-nofacts", "convex", "rrf",
              "default-nofacts", "default")
STYLE_ORDER = ("short", "scenario", "keyword", "all questions", "holding")


def load_sets(questions: str, split: str, holdings: str | None, holdings_limit: int | None, seed: int):
    """EvalQuery objects with ``extra['style']``: the user questions of ``split`` and (optionally) dev holdings
    (:func:`read_holdings`: strictly, none sharing a question's qid)."""
    from legalret.evaluate.quality import EvalQuery
    from legalret.evaluate.questions import read_questions

    read = read_questions(questions)
    qs = [
        EvalQuery(qid=q.qid, query=q.query, gold=list(q.gold), line=q.line, extra={"style": q.style, "split": q.split})
        for q in read
        if split == "all" or q.split == split
    ]
    if holdings:
        hs = read_holdings(holdings, {q.qid: f"{questions}:{q.line}" for q in read})
        if holdings_limit and holdings_limit < len(hs):  # the sample load_queries(limit=) draws; 0 = all
            hs = [hs[i] for i in sorted(random.Random(seed).sample(range(len(hs)), holdings_limit))]
        for h in hs:
            h.extra["style"] = "holding"
        qs += hs
    return qs


def read_holdings(path: str, taken: dict[str, str]) -> list:
    """Every holding of ``path`` (``legalret pairs`` JSONL), read strictly: an unreadable line, a repeated qid or
    a qid in ``taken`` (qid → ``file:line`` of a question) is a :class:`SourceError` naming ``file:line``.

    Read leniently, a broken line was dropped without a word, and a holding with a question's qid (``user-002``)
    was scored twice under one qid — ``compare_runs.py`` then failed on the result ("appears twice")."""
    from legalret.evaluate.quality import load_queries, unusable_lines

    qs = load_queries(path)
    if qs.errors:  # not strict=True: its message offers a --skip-bad that this script does not have
        raise unusable_lines(path, qs.errors, qs.total_lines, what="holdings lines")
    clashes = [h for h in qs if h.qid in taken]
    if clashes:
        h = clashes[0]
        more = f" (and {len(clashes) - 1} more holdings)" if len(clashes) > 1 else ""
        raise SourceError(path, f"{h.qid!r} is also the qid of the question at {taken[h.qid]}{more}: holdings and "
                                "questions need distinct qids (is this a question file?)", line=h.line, field="qid")
    return list(qs)


class MemoriesRetriever:
    """Holdings and facts memories together: each article's vote shares summed (``weights``), the
    evaluation protocol (``search_batch(queries, k, before=, exclude=)``); ``memory`` = the holdings memory,
    whose date range the leakage plan reads."""

    def __init__(self, retrievers, weights=None):
        self.retrievers = list(retrievers)
        self.weights = weights or [1.0 / len(self.retrievers)] * len(self.retrievers)
        self.memory = self.retrievers[0].memory

    def search(self, query: str, k: int = 10, *, before=None, exclude=None, **_):
        total: dict[str, float] = defaultdict(float)
        for r, w in zip(self.retrievers, self.weights):
            for v in r.explain(query, None, before=before, exclude=exclude).votes:
                total[v.key] += w * v.share
        return sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:k]

    def search_batch(self, queries, k: int = 10, *, before=None, exclude=None, **_):
        befores = before if isinstance(before, (list, tuple)) else [before] * len(queries)
        excludes = exclude if isinstance(exclude, (list, tuple)) else [exclude] * len(queries)
        return [self.search(q, k, before=b, exclude=e) for q, b, e in zip(queries, befores, excludes)]


def run_retrievers(index: str, queries, names, *, before: str, ranker: str | None, n_resamples: int, seed: int,
                   ranker_without_facts: bool = False):
    """{retriever: [per-query metrics dict or None]} (aligned with ``queries``) and timings."""
    from legalret.evaluate.quality import evaluate, index_keys_of
    from legalret.search.searcher import Searcher

    full = Searcher(index)
    out: dict[str, list] = {}
    seconds: dict[str, float] = {}
    plans: dict[str, dict] = {}
    modes = {"bm25": "bm25", "dense": "dense", "memory": "memory", "default": "hybrid", "convex": "convex", "rrf": "rrf"}
    wanted = [n for n in names if n in modes]
    if wanted:
        t = time.perf_counter()
        rep = _evaluate(full, queries, modes=[modes[n] for n in wanted], ks=(1, 10, 100), rank_k=10,
                       gold_filter="indexed", n_resamples=0, seed=seed, default_before=before)
        for n in wanted:
            out[n] = _metrics(rep, modes[n], queries)
            seconds[n] = rep["modes"][modes[n]]["seconds"]
        plans["searcher"] = rep["settings"]["leakage"]
        print(f"  searcher modes {wanted}: {time.perf_counter() - t:.0f}s", flush=True)
    memories = {}
    if "facts" in names or "memories" in names:
        if full.facts is None:
            raise LegalretError(f"{index}: no facts memory (build the index with --facts) for retrievers facts/memories")
        memories = {"facts": MemoriesRetriever([full.facts], [1.0]), "memories": MemoriesRetriever([full.memory, full.facts])}
        memories["facts"].memory = full.facts.memory
    for n in [n for n in ("facts", "memories") if n in names]:
        t = time.perf_counter()
        rep = _evaluate({n: memories[n]}, queries, modes=(n,), ks=(1, 10, 100), rank_k=10, index_keys=index_keys_of(full),
                       gold_filter="indexed", n_resamples=0, seed=seed, default_before=before)
        out[n] = _metrics(rep, n, queries)
        seconds[n] = rep["modes"][n]["seconds"]
        plans[n] = rep["settings"]["leakage"]
        print(f"  {n}: {time.perf_counter() - t:.0f}s", flush=True)
    nofacts = [n for n in ("convex-nofacts", "default-nofacts") if n in names]
    if nofacts:
        enc = full.encoder if full.has_dense else None
        plain = Searcher(index, facts=False, encoder=enc) if enc is not None else Searcher(index, facts=False)
        nf_modes = {"convex-nofacts": "convex", "default-nofacts": "hybrid"}
        rep = _evaluate(plain, queries, modes=[nf_modes[n] for n in nofacts], ks=(1, 10, 100), rank_k=10,
                       gold_filter="indexed", n_resamples=0, seed=seed, default_before=before)
        for n in nofacts:
            out[n] = _metrics(rep, nf_modes[n], queries)
            seconds[n] = rep["modes"][nf_modes[n]]["seconds"]
    if "two-way" in names:
        enc = full.encoder if full.has_dense else None  # the same encoder: no second load
        two = Searcher(index, memory=False, encoder=enc) if enc is not None else Searcher(index, memory=False)
        rep = _evaluate(two, queries, modes=("hybrid",), ks=(1, 10, 100), rank_k=10, gold_filter="indexed",
                       n_resamples=0, seed=seed)
        out["two-way"] = _metrics(rep, "hybrid", queries)
        seconds["two-way"] = rep["modes"]["hybrid"]["seconds"]
    if ranker:
        from legalret.search.ranker import Ranker, RerankedSearch

        base = Searcher(index, facts=False) if ranker_without_facts else full
        rr = RerankedSearch(base, Ranker.load(ranker))
        rep = _evaluate({"ranker": rr}, queries, modes=("ranker",), ks=(1, 10, 100), rank_k=10, index_keys=index_keys_of(full),
                       gold_filter="indexed", n_resamples=0, seed=seed, default_before=before)
        out["ranker"] = _metrics(rep, "ranker", queries)
        seconds["ranker"] = rep["modes"]["ranker"]["seconds"]
        plans["ranker"] = rep["settings"]["leakage"]
    return out, seconds, plans


def _evaluate(*args, **kwargs) -> dict:
    """legalret.evaluate.quality.evaluate as a plain dict (it returns a QualityReport object now)."""
    from legalret.evaluate.quality import evaluate

    return evaluate(*args, **kwargs).to_dict()


def _metrics(report: dict, mode: str, queries) -> list:
    rows = report["per_query"][mode]
    assert len(rows) == len(queries)
    return [{m: r[m] for m in METRICS} if "recall@10" in r else None for r in rows]


#: The paired differences reported per style: (system, what it is compared with).
COMPARISONS = tuple((a, "memory" if a in ("facts", "memories") else "two-way")
                    for a in ("default", "convex", "ranker", "rrf", "facts", "memories")) + (("ranker", "default"),)


def style_groups(style: str) -> tuple[str, ...]:
    """The style columns a query counts in: its own, and "all questions" for people's questions (not holdings)."""
    return (style,) if style == "holding" else (style, "all questions")


def per_style(queries, results: dict[str, list], *, n_resamples: int, seed: int,
              comparisons: tuple[tuple[str, str], ...] = COMPARISONS) -> dict:
    """{style: {retriever: aggregate}} plus the paired differences of ``comparisons`` per style; the user
    questions also form "all questions" (holdings do not)."""
    from legalret.evaluate.breakdown import breakdown

    return breakdown(queries, results, dimensions={"style": (lambda q: style_groups(q.extra["style"]), STYLE_ORDER)},
                     comparisons=comparisons, n_resamples=n_resamples, seed=seed, all_column=False)["style"]


def per_query(queries, results: dict[str, list]) -> dict:
    """Each query's metrics per retriever, kept in the result so that two runs can be compared question by question
    (``benchmarks/compare_runs.py``: paired differences and how many questions went up or down): ``{"qid": […],
    "style": […], "family": […], "metrics": METRICS, retriever: [[value per metric] or None, …]}`` aligned with
    ``qid``; None where a query had no gold key in the index."""
    from legalret.evaluate.breakdown import family_of

    table: dict = {"qid": [q.qid for q in queries], "style": [q.extra.get("style") for q in queries],
                   "family": [family_of(q) for q in queries], "metrics": list(METRICS)}
    for name, rows in results.items():
        table[name] = [None if r is None else [round(float(r[m]), 4) for m in METRICS] for r in rows]
    return table


def markdown(result: dict) -> str:
    s = result["settings"]
    out = [f"### Retrieval quality per question style — `{Path(s['questions']).name}` ({s['split']} split)\n",
           (f"Index {s['index_label']}; memory votes only with decisions before {s['before']} for questions "
            f"(holdings: before their own date, never their own case). Mean with 95% bootstrap interval "
            f"({s['n_resamples']} resamples); gold keys outside the index are not scored.\n")]
    styles = list(result["styles"])
    names = [n for n in result["retrievers"]]
    for m in METRICS:
        out.append(f"\n**{m}**\n")
        header = ["retriever"] + [f"{st} (n={result['styles'][st]['queries']})" for st in styles]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" + "---:|" * len(styles))
        for n in names:
            cells = []
            for st in styles:
                agg = result["styles"][st]["retrievers"].get(n, {}).get("metrics", {}).get(m)
                cells.append(f"{agg['mean']:.3f} [{agg['ci_low']:.3f}, {agg['ci_high']:.3f}]" if agg else "–")
            out.append(f"| {n} | " + " | ".join(cells) + " |")
    paired = [f"| {label} | {st} | " + " | ".join(
                  f"{per[m]['mean']:+.3f} [{per[m]['ci_low']:+.3f}, {per[m]['ci_high']:+.3f}] p={per[m]['p_not_better']:.2f}"
                  for m in METRICS) + " |"
              for st in styles for label, per in result["styles"][st]["paired"].items() if per]
    if paired:  # (a run without two-way / memory has nothing to pair: no empty table under a heading)
        out.append("\n**Paired differences vs the two-way hybrid (facts/memories: vs the holdings memory) (mean [95% CI]; p = share of resamples with no gain)**\n")
        out.append("| comparison | style | " + " | ".join(METRICS) + " |")
        out.append("|---|---|" + "---:|" * len(METRICS))
        out += paired
    return "\n".join(out) + "\n"


def plot(result: dict, path: Path, metric: str = "recall@10") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    styles = list(result["styles"])
    names = list(result["retrievers"])
    fig, ax = plt.subplots(figsize=(max(6.4, 1.6 * len(styles)), 4.2), dpi=110)
    width = 0.8 / max(1, len(names))
    for j, n in enumerate(names):
        means, lo, hi = [], [], []
        for st in styles:
            agg = result["styles"][st]["retrievers"].get(n, {}).get("metrics", {}).get(metric)
            means.append(agg["mean"] if agg else np.nan)
            lo.append(agg["mean"] - agg["ci_low"] if agg else 0)
            hi.append(agg["ci_high"] - agg["mean"] if agg else 0)
        x = np.arange(len(styles)) + (j - (len(names) - 1) / 2) * width
        ax.bar(x, means, width, yerr=[lo, hi], capsize=2, label=n)
    ax.set_xticks(np.arange(len(styles)))
    ax.set_xticklabels([f"{st}\n(n={result['styles'][st]['queries']})" for st in styles])
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"{metric} (95% CI)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(ncol=min(4, len(names)), fontsize=8, loc="lower right")
    ax.set_title(f"{metric} per question style — {result['settings']['split']} split")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def at_least(low: int):
    """An argparse type: a whole number ≥ ``low`` (``--holdings-limit -5`` failed deep in random.sample; compare_runs'
    ``--resamples -5`` was accepted)."""

    def whole_number(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"a whole number ≥ {low}, not {text!r}") from None
        if n < low:
            raise argparse.ArgumentTypeError(f"a whole number ≥ {low}, not {n}")
        return n

    return whole_number


#: What a user's mistake raises in these scripts (an index or file that is not there or not readable, a bad
#: question line — legalret's errors name the file): ``main`` prints it as one ``error:`` line and exits 1.
USER_ERRORS = (LegalretError, OSError)


def print_report(markdown: str) -> None:
    """Print a report to stdout; a reader that stops early (``… | head``) ends it quietly, not with a traceback."""
    try:
        print(markdown, flush=True)
    except BrokenPipeError:
        # stdout is gone: point it at /dev/null so the interpreter's own flush at exit does not raise again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def error_line(e: BaseException) -> str:
    """``e`` as one line naming its file: an OSError as ``path: reason`` (not ``[Errno 2] … 'path'``)."""
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        return f"{e.filename}: {e.strerror}"
    return " ".join(str(e).split())


def main(argv: list[str] | None = None, *, command: str | None = None) -> int:
    """``command``: what the result records as its command, when an experiment runs this inside itself (with a
    retriever patched) — re-running style_eval alone would not reproduce it."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True, help="index with dense vectors and a precedent memory")
    ap.add_argument("--questions", default=str(REPO / "benchmarks" / "queries" / "user_questions.jsonl"))
    ap.add_argument("--split", default="report", choices=("report", "tune", "all"))
    ap.add_argument("--holdings", help="dev holdings (legalret pairs dev_queries.jsonl, with date/case_no)")
    ap.add_argument("--holdings-limit", type=at_least(0), default=600, help="seeded sample of the holdings (0 = all)")
    ap.add_argument("--before", default="2020-01-01", help="memory cut-off for the (undated) questions")
    ap.add_argument("--retrievers", default=",".join(RETRIEVERS))
    ap.add_argument("--ranker", help="a trained fusion ranker (legalret/train/ranker.py output) to add")
    ap.add_argument("--ranker-without-facts", action="store_true",
                    help="the --ranker re-ranks a search without the facts memory (a ranker trained --without-facts)")
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    ap.add_argument("--name", default=None, help="file stem (default style_<split>)")
    args = ap.parse_args(argv)

    names = [n.strip() for n in args.retrievers.split(",") if n.strip()]
    bad = [n for n in names if n not in RETRIEVERS]
    if bad:
        ap.error(f"unknown retriever(s) {bad}; choose from {', '.join(RETRIEVERS)}")
    try:
        return _run(args, names, argv, command)
    except USER_ERRORS as e:  # a missing index, a bad question file, an --out that cannot be written: one line
        print(f"error: {error_line(e)}", file=sys.stderr)
        return 1


def _run(args, names: list[str], argv: list[str] | None, command: str | None) -> int:
    from legalret.evaluate.report import write_result

    name = args.name or f"style_{args.split}"
    check_output_path(Path(args.out) / f"{name}.json")  # before the run (minutes), not after it
    queries = load_sets(args.questions, args.split, args.holdings, args.holdings_limit or None, args.seed)
    if not queries:
        raise LegalretError(f"{args.questions}: no question of the {args.split} split (and no --holdings)")
    print(f"{len(queries)} queries", flush=True)
    t0 = time.perf_counter()
    results, seconds, plans = run_retrievers(args.index, queries, names, before=args.before, ranker=args.ranker,
                                             n_resamples=args.resamples, seed=args.seed,
                                             ranker_without_facts=args.ranker_without_facts)
    order = [n for n in (*RETRIEVERS, "ranker") if n in results]
    result = {
        "schema": "legalret.bench.style/1",
        "settings": {"index": index_name(args.index), "index_label": index_label(args.index),
                     "questions": portable_path(args.questions), "split": args.split,
                     "holdings": args.holdings and portable_path(args.holdings),
                     "holdings_limit": args.holdings_limit, "before": args.before, "n_resamples": args.resamples,
                     "seed": args.seed, "ranker": args.ranker and portable_path(args.ranker), "leakage": plans,
                     "seconds": round(time.perf_counter() - t0, 1),
                     "retriever_seconds": seconds,
                     "command": command or recorded_command("style_eval.py", argv)},
        "retrievers": order,
        "styles": per_style(queries, {n: results[n] for n in order}, n_resamples=args.resamples, seed=args.seed),
        "per_query": per_query(queries, {n: results[n] for n in order}),
    }
    md = markdown(result)
    committed = committed_result(args.out, name)
    write_result(args.out, name, result, md)
    plot(result, Path(args.out) / f"{name}.png")
    print_report(md)
    note_replaced(committed)
    return 0


def committed_result(out: str | Path, name: str) -> str | None:
    """``benchmarks/results/<name>.json`` when this run is about to replace that committed file (None otherwise)."""
    import subprocess

    path = Path(out).resolve() / f"{name}.json"
    if path.parent != REPO / "benchmarks" / "results" or not path.exists():
        return None
    rel = str(path.relative_to(REPO))
    try:
        tracked = subprocess.run(["git", "-C", str(REPO), "ls-files", "--error-unmatch", rel],
                                 capture_output=True).returncode == 0
    except OSError:  # no git: a copy of the repository, nothing to compare with
        return None
    return rel if tracked else None


def note_replaced(rel: str | None) -> None:
    """Say that a committed result was replaced: the documented commands write into benchmarks/results, so a run with
    other settings replaced the file docs/results.md is generated from (its test then fails) without a word."""
    if rel:
        print(f"note: replaced {rel}, a committed result: `git diff` shows what changed, `python "
              f"benchmarks/write_results_doc.py` regenerates docs/results.md from it, `git checkout -- "
              f"{rel.removesuffix('.json')}.*` undoes it (--out elsewhere keeps it)", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
