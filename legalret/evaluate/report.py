"""Write benchmark reports: JSON (the record), Markdown tables (for the README), PNG plots.

Usage::

    from legalret.evaluate.report import write_quality_report, write_speed_report

    paths = write_quality_report(report, "benchmarks/results", name="quality-civil-commercial")
    # {'json': …/quality-civil-commercial.json, 'markdown': ….md, 'plot': ….png, 'per_query': ….jsonl}

Plots use matplotlib's Agg backend (no display needed). Every file is written atomically.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Callable, Mapping

from legalret.atomic import atomic_path
from legalret.evaluate.quality import ENCODING_MODES, Interval, QualityReport

#: Per-law rows shown in Markdown (the JSON holds every law).
MARKDOWN_LAWS = 12


# ---- atomic writing ---------------------------------------------------------------------------------
def _atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    with atomic_path(path) as tmp:
        write(tmp)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    return _atomic_write(Path(path), lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: str | os.PathLike, data: Any) -> Path:
    return write_text(path, json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n")


def write_result(out_dir: str | os.PathLike, name: str, result: Any, markdown: str) -> tuple[Path, Path]:
    """``<out_dir>/<name>.json`` and ``<name>.md`` of a benchmark that renders its own Markdown section."""
    out = Path(out_dir)
    paths = write_json(out / f"{name}.json", result), write_text(out / f"{name}.md", markdown)
    print(f"wrote {out / name}.{{json,md}}")
    return paths


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


# ---- Markdown helpers -----------------------------------------------------------------------------
def _table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> str:
    align = align or ["left"] + ["right"] * (len(header) - 1)
    sep = ["---:" if a == "right" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _fmt_ci(m: Interval | None, digits: int = 3) -> str:
    if not m:
        return "–"
    mean, low, high = m.mean, m.ci_low, m.ci_high
    if low is None or high is None or (isinstance(low, float) and math.isnan(low)) or low == high:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ({low:.{digits}f}–{high:.{digits}f})"


def _fmt(v: Any, digits: int = 2) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        if math.isnan(v):
            return "–"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        return f"{v:.{digits}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


# ---- quality ----------------------------------------------------------------------------------------
def _quality(report: QualityReport | Mapping[str, Any]) -> QualityReport:
    """A report from :func:`~legalret.evaluate.quality.evaluate`, or one read back from its JSON file."""
    return report if isinstance(report, QualityReport) else QualityReport.from_dict(report)


def quality_markdown(report: QualityReport | Mapping[str, Any], title: str | None = None) -> str:
    """Markdown: overall table (mean and 95% CI per metric per mode), mode comparisons, per-law recall, per-style
    recall and MRR (where the query lines carry ``style``)."""
    r = _quality(report)
    s, q, idx = r.settings, r.queries, r.index
    names = s.metrics
    out: list[str] = []
    if title:
        out.append(f"### {title}\n")
    if s.leakage_label:
        out.append(f"**{s.leakage_label}**\n")
    qfile = Path(q.file).name if q.file else "queries"
    half = f"the \"{s.extra['split']}\" lines of " if s.extra.get("split") else ""
    out.append(
        f"{q.count:,} queries from {half}`{qfile}` ({q.evaluated:,} with gold, {q.empty_gold:,} without, "
        f"{q.error_count:,} unreadable lines); mean with {int(s.confidence * 100)}% bootstrap interval "
        f"({s.n_resamples} resamples, seed {s.seed}); ties broken by {s.ties}; gold: {s.gold_filter}."
    )
    mg = idx.missing_gold
    if mg is not None:
        out.append(
            f"Index: {idx.articles:,} searchable articles. Gold keys not among them: {mg.keys:,} distinct "
            f"({mg.occurrences:,} occurrences in {mg.queries:,} queries; {mg.queries_all_missing:,} queries "
            f"have no reachable gold"
            + (f"; {mg.deleted_in_index:,} of the missing keys are deleted (삭제) articles" if mg.deleted_in_index else "")
            + ")."
        )
    out.append("")
    rows = [[mode] + [_fmt_ci(m.overall.metrics.get(n)) for n in names] for mode, m in r.modes.items()]
    out.append(_table(["mode"] + names, rows))

    if r.comparisons:
        out.append("\nPaired differences (bootstrap over the same queries):\n")
        key_metrics = [n for n in names if n == "recall@10" or n.startswith(("mrr@", "ndcg@", "f2@"))]
        crow = []
        for label, per in r.comparisons.items():
            crow.append([label] + [f"{per[n].mean:+.3f} ({per[n].ci_low:+.3f}…{per[n].ci_high:+.3f})" for n in key_metrics])
        out.append(_table(["comparison"] + key_metrics, crow))

    # Per law: recall@10-ish for the most frequent laws.
    first_mode = next(iter(r.modes.values()))
    laws = list(first_mode.per_law)[:MARKDOWN_LAWS]
    if laws:
        rk = f"recall@{10 if 10 in s.ks else s.ks[-1]}"
        out.append(f"\nPer law ({rk}; a query counts for every law among its gold keys; top {len(laws)} by query count):\n")
        rows = []
        for law in laws:
            n = first_mode.per_law[law].evaluated
            rows.append([law, f"{n:,}"] + [_fmt_ci(m.per_law[law].metrics.get(rk) if law in m.per_law else None)
                                           for m in r.modes.values()])
        out.append(_table(["law", "queries"] + list(r.modes), rows))

    styles = list(first_mode.per_style)
    if styles:
        rk = f"recall@{10 if 10 in s.ks else s.ks[-1]}"
        mrr = f"mrr@{s.rank_k}"
        out.append(f"\nPer question style ({rk} · {mrr}; the query lines' \"style\"):\n")
        rows = []
        for style in styles:
            n = first_mode.per_style[style].evaluated
            rows.append([style, f"{n:,}"] + [" · ".join(_fmt_ci(m.per_style[style].metrics.get(name)) for name in (rk, mrr))
                                             if style in m.per_style else "–" for m in r.modes.values()])
        out.append(_table(["style", "queries"] + list(r.modes), rows))

    if mg and mg.listed:
        shown = mg.listed[:10]
        out.append("\nMost frequent gold keys missing from the index: " + ", ".join(f"{m.key} ({m.queries})" for m in shown))
    speed = ", ".join(f"{mode} {m.queries_per_second} q/s" for mode, m in r.modes.items() if m.queries_per_second)
    if speed:
        encoders = [mode for mode in r.modes if mode in ENCODING_MODES]
        later = encoders[1:]
        shared = (f" The query vectors were encoded once, by {encoders[0]}: {', '.join(later)} reused them, so "
                  f"{'its rate leaves' if len(later) == 1 else 'their rates leave'} out encoding (time one mode alone "
                  "for its own rate)." if r.settings.query_vectors_shared and later else "")
        out.append(f"\nThroughput during evaluation (batched): {speed}.{shared}")
    return "\n".join(out) + "\n"


def plot_recall(report: QualityReport | Mapping[str, Any], path: str | os.PathLike, title: str | None = None) -> Path:
    """PNG: recall@k (with bootstrap interval band) per mode/retriever."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = _quality(report)
    ks = r.settings.ks
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    for mode, m in r.modes.items():
        ms = [m.overall.metrics.get(f"recall@{k}") for k in ks]
        if not all(ms):
            continue
        ax.plot(ks, [i.mean for i in ms], marker="o", label=mode)
        ax.fill_between(ks, [i.ci_low for i in ms], [i.ci_high for i in ms], alpha=0.15)
    ax.set_xscale("log")
    ax.set_xticks(ks)
    ax.set_xticklabels([str(k) for k in ks])
    ax.set_xlabel("k")
    ax.set_ylabel("recall@k")
    ax.set_ylim(0, 1)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    n = r.queries.evaluated
    heading = title or f"recall@k ({n:,} queries, 95% CI)"
    if r.settings.leakage_label:
        heading = "LEAKAGE NOT PREVENTED — " + heading
    ax.set_title(heading)
    fig.tight_layout()
    try:
        return _atomic_write(Path(path), lambda p: fig.savefig(p, format="png"))
    finally:
        plt.close(fig)


def write_quality_report(
    report: QualityReport | Mapping[str, Any], out_dir: str | os.PathLike, name: str = "quality", title: str | None = None,
    *, per_query: bool = True,
) -> dict[str, Path]:
    """Write ``<name>.json`` (``report.to_dict(per_query=False)``), ``<name>.md``, ``<name>.png`` and, unless
    ``per_query=False``, ``<name>.per_query.jsonl`` (one row per query and mode: gold, top hits, metrics)."""
    r = _quality(report)
    out_dir = Path(out_dir)
    paths = {
        "json": write_json(out_dir / f"{name}.json", r.to_dict(per_query=False)),
        "markdown": write_text(out_dir / f"{name}.md", quality_markdown(r, title)),
        "plot": plot_recall(r, out_dir / f"{name}.png", title),
    }
    if per_query and r.per_query:
        lines = []
        for mode, rows in r.per_query.items():
            lines += [json.dumps({"mode": mode, **row}, ensure_ascii=False) for row in rows]
        paths["per_query"] = write_text(out_dir / f"{name}.per_query.jsonl", "\n".join(lines) + "\n")
    return paths


# ---- speed ------------------------------------------------------------------------------------------
def speed_markdown(report: dict, title: str | None = None) -> str:
    """Markdown tables for a :func:`legalret.evaluate.speed.run_speed` report."""
    out: list[str] = []
    if title:
        out.append(f"### {title}\n")
    m = report.get("machine", {})
    c = report.get("corpus", {})
    out.append(
        f"Corpus `{c.get('name')}`: {_fmt(c.get('articles'))} articles from {_fmt(c.get('laws'))} laws"
        + (f" (limited to {c['limit']:,})" if c.get("limit") else "")
        # (threads: torch's, None when the run never loaded torch — it had said "? threads")
        + f". Machine: {m.get('cpu', '?')}, " + (f"{m['threads']} threads, " if m.get("threads") else "")
        + f"Python {m.get('python', '?')}."
    )
    ing = report.get("ingest")
    if ing:
        out.append("")
        out.append(
            _table(
                ["ingest", "files", "articles", "seconds", "articles/s", "MB/s"],
                [["legalret ingest", _fmt(ing.get("files")), _fmt(ing.get("articles")), _fmt(ing.get("seconds")),
                  _fmt(ing.get("articles_per_second")), _fmt(ing.get("mb_per_second"))]],
            )
        )
    b = report.get("build")
    if b:
        rows = [[stage, _fmt(v.get("seconds")), _fmt(v.get("articles_per_second"))] for stage, v in b.get("stages", {}).items()]
        rows.append(["**total**", _fmt(b.get("seconds")), _fmt(b.get("articles_per_second"))])
        out.append("\nIndex build by stage:\n")
        out.append(_table(["stage", "seconds", "articles/s"], rows))
        mem = report.get("memory") or {}
        mem_text = (
            f"not measured ({mem['error']})" if mem.get("error")
            else f"{_fmt(mem.get('rss_mb'))} MB after one query per mode (peak {_fmt(mem.get('peak_rss_mb'))} MB; "
                 f"index loaded in {_fmt(mem.get('load_s'))} s)"
        )
        out.append(f"\nIndex on disk: {_fmt(b.get('disk_mb'))} MB. Resident memory of a fresh process with the searcher: {mem_text}.")
    lat = report.get("latency")
    if lat:
        rows = [[mode, _fmt(v["p50_ms"]), _fmt(v["p95_ms"]), _fmt(v["p99_ms"]), _fmt(v["mean_ms"]), _fmt(v["queries"])] for mode, v in lat.items()]
        out.append(f"\nWarm query latency (k={report.get('settings', {}).get('k', 10)}, one query at a time):\n")
        out.append(_table(["retriever", "p50 ms", "p95 ms", "p99 ms", "mean ms", "queries"], rows))
    cold = report.get("cold_search")
    if cold and cold.get("error"):
        out.append(f"\nCold `legalret search`: not measured ({cold['error']}).")
    elif cold:
        out.append(
            f"\nCold `legalret search` (new process, load index, one query; median of {cold.get('runs')}): "
            f"{_fmt(cold.get('median_s'))} s (min {_fmt(cold.get('min_s'))} s)."
        )
    refs = report.get("references")
    if refs:
        rows = []
        for name, r in refs.get("engines", {}).items():
            rows.append([name, _fmt(r.get("build_s")), _fmt(r.get("p50_ms")), _fmt(r.get("mean_ms")), _fmt(r.get("recall@10"))])
        out.append(f"\nBM25 engines on the same tokens and {refs.get('queries')} queries ({refs.get('tokenizer')}):\n")
        out.append(_table(["engine", "build s", "p50 ms", "mean ms", "recall@10"], rows))
        ratios = refs.get("ratios", {})
        if ratios:
            out.append("\nRatios (reference ÷ legalret; >1 means legalret is faster): " + "; ".join(f"{k} {v:.2f}×" for k, v in ratios.items() if v))
    return "\n".join(out) + "\n"


def plot_latency(report: dict, path: str | os.PathLike, title: str | None = None) -> Path:
    """PNG: p50/p95/p99 warm latency per retriever (log scale), legalret and references together."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    lat = dict(report.get("latency", {}))
    for name, r in report.get("references", {}).get("engines", {}).items():
        if r.get("p50_ms") is not None and name not in lat:
            lat[name] = {"p50_ms": r["p50_ms"], "p95_ms": r.get("p95_ms"), "p99_ms": r.get("p99_ms")}
    names = list(lat)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    x = np.arange(len(names))
    width = 0.26
    for i, pct in enumerate(("p50_ms", "p95_ms", "p99_ms")):
        vals = [lat[n].get(pct) or 0 for n in names]
        ax.bar(x + (i - 1) * width, vals, width, label=pct.replace("_ms", ""))
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=20, ha="right")
    ax.set_ylabel("ms per query (log)")
    if any(lat[n].get("p50_ms") for n in names):
        ax.set_yscale("log")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend()
    c = report.get("corpus", {})
    ax.set_title(title or f"warm query latency — {c.get('name')} ({_fmt(c.get('articles'))} articles)")
    fig.tight_layout()
    try:
        return _atomic_write(Path(path), lambda p: fig.savefig(p, format="png"))
    finally:
        plt.close(fig)


def write_speed_report(report: dict, out_dir: str | os.PathLike, name: str = "speed", title: str | None = None) -> dict[str, Path]:
    """Write ``<name>.json``, ``<name>.md`` and ``<name>.png`` (latency plot)."""
    out_dir = Path(out_dir)
    paths = {
        "json": write_json(out_dir / f"{name}.json", report),
        "markdown": write_text(out_dir / f"{name}.md", speed_markdown(report, title)),
    }
    if report.get("latency") or report.get("references", {}).get("engines"):
        paths["plot"] = plot_latency(report, out_dir / f"{name}.png", title)
    return paths
