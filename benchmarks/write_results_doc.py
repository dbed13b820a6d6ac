"""Assemble ``docs/results.md`` (the README's "Results" section) from ``benchmarks/results/*.json``.

Every number in the document comes from a result file written by ``benchmarks/run_quality.py`` or
``benchmarks/run_speed.py``; nothing is typed by hand. Each section names the command that produced it.

Usage::

    .venv/bin/python benchmarks/write_results_doc.py            # → docs/results.md
    .venv/bin/python benchmarks/write_results_doc.py --out -    # print instead
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from legalret.evaluate.report import quality_markdown, speed_markdown, write_text  # noqa: E402

INTRO = """\
## Results

All numbers below are reproduced by the scripts in `benchmarks/` from the shared data (statutes:
legalize-kr mirror of law.go.kr, 2026-04; precedents: 72,535 decisions up to 2022). Result files
(JSON, Markdown, PNG) are in `benchmarks/results/`; this section is generated from them by
`benchmarks/write_results_doc.py`. To reproduce all of it: `bash benchmarks/run_all.sh` (it builds the
indexes under `$LEGALRET_HOME/bench`; the command shown per section names the index that run used).

**Dev set.** `legalret pairs` turns every 2020–2022 decision's holdings (판시사항) into a query whose gold
answers are the articles its 참조조문 cite (resolved to current article keys); training uses only decisions
before 2020. Any JSONL file of `{"qid", "query", "gold": [keys]}` can be evaluated the same way with
`legalret bench quality`.

**The dev set's gold articles are all in 민법 or 상법** (the corpus `legalret pairs` was run on), so the
every-법률+시행령 run asks the same questions among ~132k searchable articles instead of ~2.3k.

**Metrics** (binary relevance, duplicates counted once, ties broken by key): recall@k = share of a query's
gold articles in the top k; MRR@10; nDCG@10; precision@5 and F2@5 (F-beta with beta = 2 of the top-5 set,
the COLIEE statute-retrieval measure), macro-averaged over queries. Brackets are 95% bootstrap intervals
over queries (1,000 resamples, seed 0). Paired differences use the same resamples of the same queries.
"""


#: Scripts that moved from benchmarks/ to experiments/ after their results were stored (their commands name the old place).
EXPERIMENTS = frozenset(p.stem for p in (REPO / "experiments").glob("*.py"))


def _command(cmd: str) -> str:
    """The command as a reader runs it: without a private ``--out`` folder (the default is benchmarks/results),
    and with a script that has since moved to experiments/ named where it is now."""
    return re.sub(r"\s--out\s+\S+", "", _moved(cmd))


def _moved(text: str) -> str:
    """``benchmarks/X.py`` → ``experiments/X.py`` for the scripts that moved there."""
    return re.sub(r"benchmarks/(\w+)\.py", lambda m: f"experiments/{m[1]}.py" if m[1] in EXPERIMENTS else m[0], text)


def _machine(report: dict) -> str:
    m = report.get("machine") or {}
    if not m:
        return ""
    v = m.get("versions", {})
    libs = ", ".join(f"{k} {val}" for k, val in v.items())
    load = m.get("load_average")
    load_text = f" Load average when the run started: {load[0]} (1 min) on {m.get('cores')} cores." if load else ""
    return (f"Machine: {m.get('cpu')} ({m.get('cores')} cores visible, {m.get('threads') or 2} threads used), "
            f"{m.get('memory_gb')} GB RAM, {m.get('os')}, Python {m.get('python')}; {libs}.{load_text}")


#: Result files (``<name>.md``) that are complete sections of their own, in this order.
EXTRA_SECTIONS = ("dense_partitions", "index_add", "passage_length")


#: The narrative detail behind the README's results summary (every number with its command), stored beside the
#: result files it cites and included first.
DETAIL = "results_detail.md"


def build(results_dir: Path, doc_dir: Path) -> str:
    parts = [INTRO]
    if (results_dir / DETAIL).is_file():
        parts.append(_moved(re.sub(r"<!--.*?-->\n", "", (results_dir / DETAIL).read_text(encoding="utf-8"), flags=re.S))
                     .replace("## Results in detail", "### Results in detail", 1).replace("\n### ", "\n#### ")
                     .replace("(docs/queries.md)", "(queries.md)"))
    quality = sorted(results_dir.glob("quality-*.json"))
    speed = sorted(results_dir.glob("speed-*.json"))
    rel = Path("..") / results_dir.relative_to(REPO) if results_dir.is_relative_to(REPO) else results_dir

    if quality:
        parts.append("### Retrieval quality\n")
    for path in quality:
        report = json.loads(path.read_text(encoding="utf-8"))
        s = report.get("settings", {})
        title = f"{s.get('corpus', path.stem)} — model {s.get('model', '?')}" + (f", adapter {s['adapter']}" if s.get("adapter") else "")
        parts.append(f"#### {title}\n")
        parts.append(quality_markdown(report))
        png = path.with_suffix(".png")
        if png.exists():
            parts.append(f"![recall@k]({rel / png.name})\n")
        build_info = report.get("build") or {}
        if build_info.get("articles"):
            parts.append(f"Index: {build_info['articles']:,} articles, built in {build_info.get('seconds')} s "
                         f"({', '.join(f'{k} {v}s' for k, v in (build_info.get('timings') or {}).items())}).\n")
        if s.get("index_command"):
            parts.append(f"Index built with: `{s['index_command']}`\n")
        if s.get("command"):
            parts.append(f"Command: `{_command(s['command'])}`\n")
        if report.get("machine"):
            parts.append(_machine(report) + "\n")

    if speed:
        parts.append("### Speed\n")
        parts.append("Measured on a 2-core machine shared with seven other jobs (each run records the load average): "
                     "absolute times, above all the encoder's (PyTorch threads stall when the cores are oversubscribed), "
                     "are pessimistic. Compare the ratios to rank-bm25 and bm25s measured in the same run, not absolute "
                     "times across runs. When a run reuses an index, its build figures are the stage timings recorded "
                     "in that index's manifest when it was built.\n")
    for path in speed:
        report = json.loads(path.read_text(encoding="utf-8"))
        c = report.get("corpus", {})
        title = f"{c.get('name')}" + (" (BM25 only)" if report.get("settings", {}).get("modes") == ["bm25"] else "") + (
            f", first {c['limit']:,} articles" if c.get("limit") else "")
        parts.append(f"#### {title}\n")
        parts.append(speed_markdown(report))
        png = path.with_suffix(".png")
        if png.exists():
            parts.append(f"![latency]({rel / png.name})\n")
        cmd = report.get("settings", {}).get("command")
        if cmd:
            parts.append(f"Command: `{_command(cmd)}`\n")
        parts.append(_machine(report) + "\n")
    # benchmarks that write their own Markdown section: included as written
    extra = [results_dir / f"{name}.md" for name in EXTRA_SECTIONS if (results_dir / f"{name}.md").is_file()]
    if extra:
        parts.append("### Full-corpus details\n")
    for path in extra:
        parts.append(_moved(path.read_text(encoding="utf-8")).replace("### ", "#### ", 1))
    if not quality and not speed:
        parts.append("_No result files yet: run `benchmarks/run_quality.py` and `benchmarks/run_speed.py`._\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--results", default=str(REPO / "benchmarks" / "results"))
    p.add_argument("--out", default=str(REPO / "docs" / "results.md"), help="'-' prints to stdout")
    args = p.parse_args(argv)
    out = Path(args.out)
    text = build(Path(args.results).resolve(), out.parent if args.out != "-" else REPO / "docs")
    if args.out == "-":
        print(text)
    else:
        write_text(out, text)
        print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
