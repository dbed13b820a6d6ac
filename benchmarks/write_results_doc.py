"""Generate ``docs/results.md`` — the detail behind the README's results — from the stored result files.

Every number in the document is read from a JSON file under ``benchmarks/results/`` (or an adapter card under
``legalret/adapters/``), or comes from a Markdown table a benchmark script wrote next to its JSON; the prose typed
here carries no numbers (``tests/test_results_doc.py`` checks that, that the committed document is what this
script writes, and that the README's summary numbers are found in the stored results).

A section is a short text and a list of blocks; a block is one result file and the renderer for its kind
(quality report, speed report, per-style report, field table, paired differences, …). Each block names its file
and the command that produced it.

Usage::

    .venv/bin/python benchmarks/write_results_doc.py                  # → docs/results.md
    .venv/bin/python benchmarks/write_results_doc.py --out -          # print instead
    .venv/bin/python benchmarks/write_results_doc.py --check-readme   # README numbers not found in the results
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from legalret.evaluate.report import _fmt, _table, quality_markdown, speed_markdown, write_text  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
ADAPTERS = REPO / "legalret" / "adapters"  # the adapter cards record their own training runs
DOC = REPO / "docs" / "results.md"
GENERATE = "python benchmarks/write_results_doc.py"

#: Scripts that moved from benchmarks/ to experiments/ after their results were stored (their commands name the old place).
EXPERIMENTS = frozenset(p.stem for p in (REPO / "experiments").glob("*.py"))


# ---- reading and formatting ---------------------------------------------------------------------------
def _moved(text: str) -> str:
    """``benchmarks/X.py`` → ``experiments/X.py`` for the scripts that moved there."""
    return re.sub(r"benchmarks/(\w+)\.py", lambda m: f"experiments/{m[1]}.py" if m[1] in EXPERIMENTS else m[0], text)


def _command(cmd: str) -> str:
    """The command as a reader runs it: without a private ``--out`` folder (the default is benchmarks/results),
    and with a script that has since moved to experiments/ named where it is now."""
    cmd = re.sub(r"\s--note\s.*", "", cmd, flags=re.S)  # free-text notes (an adapter card's) are not the command
    return re.sub(r"\s--out\s+\S+", "", _moved(cmd)).strip()


def _get(data: Any, key: str) -> Any:
    """``data["a"]["b"][0]`` for ``key = "a/b/0"`` (``/`` because result keys contain dots and spaces); None if absent."""
    for part in key.split("/"):
        if isinstance(data, list) and re.fullmatch(r"-?\d+", part) and -len(data) <= int(part) < len(data):
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return None
    return data


def _num(v: Any, digits: int | None = None) -> str:
    """A number as the tables show it: thousands separated, floats to ``digits`` places (by default 3 below 1 —
    metrics — and 2 above), from 100 on whole."""
    if isinstance(v, float) and 0 < abs(v) < 5e-4:  # a rounding-level difference, not zero
        return f"{v:.1e}"
    if isinstance(v, float) and not math.isnan(v) and abs(v) < 100:
        return f"{v:.{digits if digits is not None else (3 if abs(v) < 1 else 2)}f}"
    return _fmt(v)


def _interval(m: dict | None, digits: int | None = 3) -> str:
    """``mean [low, high]`` from a ``{"mean", "ci_low", "ci_high"}`` record."""
    if not m:
        return "–"
    return f"{_num(m['mean'], digits)} [{_num(m['ci_low'], digits)}, {_num(m['ci_high'], digits)}]"


def _rel(path: Path) -> str:
    """A result file's path from the repository root, as the document names it."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def _link(path: Path) -> str:
    """A Markdown link from docs/ to a file in the repository."""
    return f"[`{path.name}`](../{_rel(path)})" if path.is_relative_to(REPO) else f"`{path}`"


def _recorded_command(data: dict) -> str | None:
    """The command a result file records (its own ``command`` or ``settings.command``)."""
    cmd = data.get("command") or _get(data, "settings/command") or data.get("reproduce")
    return cmd if isinstance(cmd, str) else None


def compare_command(data: dict, index: str = "IDX") -> str:
    """The ``search_latency.py --compare`` command of an alternating-processes run, from the configurations and
    rounds it recorded (those files do not record their command)."""
    names = list(data.get("configs") or {})
    variants = " --variant-dir EXPORT" if any(":" in n for n in names) else ""
    return (f"python benchmarks/search_latency.py --index {index} --memory --compare {','.join(names)}{variants} "
            f"--repeat {data.get('rounds')}")


def _footer(path: Path, data: dict, command: str | Callable[[dict], str] | None) -> str:
    """``Source: file · Command: …`` under every block; the file's recorded command wins over the block's."""
    cmd = _recorded_command(data) or (command(data) if callable(command) else command)
    return f"Source: {_link(path)}" + (f" · Command: `{_command(cmd)}`" if cmd else "") + "\n"


def _script_markdown(path: Path, top: int = 4) -> str:
    """The Markdown a benchmark script wrote next to its JSON, verbatim, its headings moved down to level ``top``."""
    text = _moved(path.read_text(encoding="utf-8")).strip() + "\n"
    levels = [len(m[1]) for m in re.finditer(r"^(#+) ", text, flags=re.M)]
    shift = top - min(levels) if levels else 0
    return re.sub(r"^(#+) ", lambda m: "#" * min(6, len(m[1]) + shift) + " ", text, flags=re.M)


def _machine(report: dict) -> str:
    m = report.get("machine") or {}
    if not m:
        return ""
    libs = ", ".join(f"{k} {val}" for k, val in m.get("versions", {}).items())
    load = m.get("load_average")
    load_text = f" Load average (last minute) when the run started: {load[0]} on {m.get('cores')} cores." if load else ""
    threads = f", {m['threads']} threads used" if m.get("threads") else ""
    return (f"Machine: {m.get('cpu')} ({m.get('cores')} cores visible{threads}), "
            f"{m.get('memory_gb')} GB RAM, {m.get('os')}, Python {m.get('python')}; {libs}.{load_text}\n")


# ---- renderers: one per kind of result file; each takes (path, data) and returns Markdown -------------------
def render_markdown(path: Path, data: dict) -> str:
    """A result whose script wrote its own Markdown table next to the JSON: that table, as written."""
    return _script_markdown(path.with_suffix(".md"))


def render_quality(path: Path, data: dict) -> str:
    """``run_quality.py`` / ``legalret bench quality``: metrics with intervals per mode, per law, comparisons."""
    s = data.get("settings", {})
    parts = [quality_markdown(data)]
    if path.with_suffix(".png").exists():
        parts.append(f"![recall@k](../{_rel(path.with_suffix('.png'))})\n")
    b = data.get("build") or {}
    if b.get("articles"):
        stages = ", ".join(f"{k} {v}s" for k, v in (b.get("timings") or {}).items())
        parts.append(f"Index: {b['articles']:,} articles, built in {b.get('seconds')} s ({stages}).\n")
    if s.get("index_command"):
        parts.append(f"Index built with: `{s['index_command']}`\n")
    return "\n".join(parts + [_machine(data)])


def render_speed(path: Path, data: dict) -> str:
    """``run_speed.py``: ingest, build per stage, size, memory, warm latency per mode against rank-bm25/bm25s."""
    parts = [speed_markdown(data)]
    if path.with_suffix(".png").exists():
        parts.append(f"![latency](../{_rel(path.with_suffix('.png'))})\n")
    return "\n".join(parts + [_machine(data)])


#: The styles of a per-style report, as its columns.
STYLES = ("short", "scenario", "keyword", "all questions", "holding")


def _style_cell(data: dict, style: str, retriever: str) -> str:
    metrics = _get(data, f"styles/{style}/retrievers/{retriever}/metrics") or {}
    if "recall@10" not in metrics:
        return "–"
    return f"{_num(metrics['recall@10']['mean'], 3)} / {_num(metrics['mrr@10']['mean'], 3)}"


def _style_header(data: dict) -> list[str]:
    return [f"{s} ({_get(data, f'styles/{s}/queries')})" for s in STYLES]


def render_style_rows(rows: list[tuple[str, str, str]], results: Path) -> tuple[str, list[Path]]:
    """One recall@10 / MRR@10 table over several per-style reports: ``(file, retriever, label)`` per row."""
    table, used, header = [], [], None
    for name, retriever, label in rows:
        path = results / name
        if not path.is_file():
            continue
        data = _load(path)
        header = header or _style_header(data)
        table.append([f"{label} ({_link(path)})"] + [_style_cell(data, s, retriever) for s in STYLES])
        used.append(path)
    if not table:
        return "", used
    return _table(["retriever (file)"] + header, table) + "\n", used


def render_style_paired(path: Path, data: dict, comparisons: tuple[str, ...] = ()) -> str:
    """Paired differences of a per-style report (recall@10 and MRR@10, mean [95% interval])."""
    rows = []
    for style in STYLES:
        for name, diff in (_get(data, f"styles/{style}/paired") or {}).items():
            if not comparisons or name in comparisons:
                rows.append([name, style, _interval(diff.get("recall@10")), _interval(diff.get("mrr@10"))])
    rows.sort(key=lambda r: r[0])  # stable: each comparison's styles stay in order
    return _table(["comparison", "style", "recall@10", "MRR@10"], rows, ["left", "left", "right", "right"]) + "\n"


def render_paired(path: Path, data: dict) -> str:
    """An A/B experiment per question set: ``{set: {n, metric: {A, B, diff}}}`` → A, B and A−B with its interval."""
    rows = []
    for name, entry in data.items():
        for metric, m in entry.items():
            if not isinstance(m, dict) or "diff" not in m:
                continue
            a, b = [k for k in m if k != "diff"]
            rows.append([f"{name} ({entry.get('n')})", metric, f"{a}: {_num(m[a], 3)}", f"{b}: {_num(m[b], 3)}",
                         _interval(m["diff"])])
    return _table(["set (queries)", "metric", "A", "B", "B − A [95%]"], rows,
                  ["left", "left", "right", "right", "right"]) + "\n"


def render_fields(path: Path, data: dict, fields: tuple[tuple[str, str, str], ...]) -> str:
    """Chosen fields of a result file: ``(label, key path, unit)`` per row, in that order."""
    rows = [[label, _num(v) + unit] for label, key, unit in fields if (v := _get(data, key)) is not None]
    return _table(["what", "number"], rows) + "\n"


def _cell(v: Any) -> str | None:
    """A leaf value as a table cell; ``[mean, low, high]`` triples as an interval; None for what is not a leaf."""
    if isinstance(v, list) and len(v) == 3 and all(isinstance(x, float) for x in v):
        return f"{_num(v[0], 3)} [{_num(v[1], 3)}, {_num(v[2], 3)}]"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return _num(v)
    return None


def _records(data: dict, prefix: str = "") -> Iterator[tuple[str, dict[str, str]]]:
    """Every nested record that holds numbers, as ``(path, {field: cell})``; its sub-records follow it."""
    cells = {k: c for k, v in data.items() if (c := _cell(v)) is not None}
    if cells:
        yield prefix, cells
    for k, v in data.items():
        if isinstance(v, dict):
            yield from _records(v, f"{prefix} › {k}" if prefix else str(k))


def render_records(path: Path, data: dict, keys: tuple[str, ...] = ()) -> str:
    """The numbers of a nested result file (or of its ``keys``): one row per record, one column per field, a new
    table wherever the fields change."""
    tables: list[tuple[list[str], list[list[str]]]] = []
    for name, cells in _records({k: _get(data, k) for k in keys} if keys else data):
        if not tables or tables[-1][0] != list(cells):
            tables.append((list(cells), []))
        tables[-1][1].append([name or "—"] + list(cells.values()))
    return "\n\n".join(_table([""] + columns, rows) for columns, rows in tables) + "\n"


def render_latency(path: Path, data: dict) -> str:
    """``search_latency.py`` single run: p50/p95 per mode (wall, and process CPU) and per search stage."""
    rows = [[f"{kind}: {name}", _num(m.get("p50_ms"), 2), _num(m.get("p95_ms"), 2), _fmt(m.get("n"))]
            for kind in ("mode", "stage") for name, m in (data.get(f"{kind}s") or {}).items()]
    head = f"Index of {data['rows']:,} articles; warm, " if data.get("rows") else ""
    return (head + "milliseconds per query.\n\n"
            + _table(["mode / stage", "p50 ms", "p95 ms", "queries"], rows) + "\n")


def render_serve_memory(path: Path, data: dict) -> str:
    """``serve_load.py --memory``: the server's resident memory at start and after the questions, per run."""
    rows = [[name, str(i + 1), _num(_get(run, "rss_at_start/VmRSS"), 1), _num(_get(run, "rss_after_queries/VmRSS"), 1),
             _num(_get(run, "http/p50_ms"), 2)]
            for name, runs in (data.get("variants") or {}).items() for i, run in enumerate(runs)]
    return (f"{data.get('queries')} questions, mode `{data.get('mode')}`, {data.get('cpus')} CPUs.\n\n"
            + _table(["server", "round", "RSS at start MB", "RSS after the questions MB", "HTTP p50 ms"], rows) + "\n")


# ---- sections -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """One result file under a heading, rendered by the renderer for its kind."""

    file: str
    render: Callable[[Path, dict], str] = render_markdown
    title: str = ""
    command: str | Callable[[dict], str] | None = None  # for files that do not record their own
    note: str = ""  # what was measured or decided, in words (numbers come from the file)
    root: Path | None = None  # another folder than benchmarks/results (the adapter cards)


@dataclass(frozen=True)
class Glob:
    """Every result file matching ``pattern``, each under the heading ``title(path, data)``."""

    pattern: str
    render: Callable[[Path, dict], str]
    title: Callable[[Path, dict], str]
    command: str | None = None  # for files that do not record their own


def quality_title(path: Path, data: dict) -> str:
    s = data.get("settings", {})
    if not s.get("corpus"):  # a `legalret bench quality` run on an existing index
        return f"{Path(_get(data, 'queries/file') or '?').name} on {_fmt(_get(data, 'index/articles'))} articles ({path.stem})"
    return f"{s['corpus']} — model {s.get('model', '?')}" + (f", adapter {s['adapter']}" if s.get("adapter") else "")


def speed_title(path: Path, data: dict) -> str:
    return f"{_get(data, 'corpus/name')}" + (" (BM25 only)" if _get(data, "settings/modes") == ["bm25"] else "")


@dataclass(frozen=True)
class Section:
    title: str
    text: str = ""
    blocks: tuple[Block, ...] = ()
    style_rows: tuple[tuple[str, str, str], ...] = ()
    glob: Glob | None = None


def _load(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise SystemExit(f"{_rel(path)}:{e.lineno}: not valid JSON ({e.msg})") from None


def F(file: str, fields: tuple[tuple[str, str, str], ...], **kw: Any) -> Block:
    """A block showing chosen ``fields`` of ``file`` (see :func:`render_fields`)."""
    return Block(file, partial(render_fields, fields=fields), **kw)


#: What ``check_hot_paths.py`` compared between two revisions.
HOT_PATH_FIELDS = (("identical", "identical", ""), ("queries", "checked/queries", ""), ("hits", "checked/hits", ""),
                   ("votes", "checked/votes", ""), ("voting holdings", "checked/holdings", ""),
                   ("largest score difference", "max_abs_score_diff", ""))

SECTIONS: tuple[Section, ...] = (
    Section(
        "Every style of question — the default system (민법+상법 main-job index)".replace("民法", "민법"),
        "Hand-written user questions in three styles (`benchmarks/queries/user_questions.jsonl`, report half; see "
        "[queries.md](queries.md)) and dev holdings. Both memories let only earlier, other decisions vote. Each cell is "
        "recall@10 / MRR@10; the files have the intervals and recall@100. Rows from older files are the defaults "
        "before the latest change, kept for comparison.",
        style_rows=(
            ("style_report.json", "bm25", "BM25"),
            ("style_report.json", "dense", "dense + query adapter (the default encoder)"),
            ("style_report.json", "memory", "precedent memory (holdings)"),
            ("style_report.json", "facts", "facts memory"),
            ("style_report.json", "two-way", "two-way hybrid (BM25 + dense)"),
            ("style_report.json", "convex", "`convex` (hand-set fusion, both memories)"),
            ("style_report.json", "rrf", "`rrf`"),
            ("style_report.json", "default-nofacts", "`hybrid` without the facts memory"),
            ("style_report.json", "default", "`hybrid` with the previous re-ranker (no article profiles)"),
            ("style_report_nbits8.json", "default", "the same with the `nbits8` query encoder"),
            ("style_report_profile.json", "ranker", "`hybrid` with the re-ranker reading article profiles"),
            ("style_report_final.json", "default", "**`hybrid` (default)**: its re-ranker retrained by its recorded command"),
            ("style_report_final_nbits8.json", "default", "**the same with the `nbits8` query encoder**"),
        ),
        blocks=(
            Block("style_report.json", partial(render_style_paired, comparisons=("default - two-way", "facts - memory")),
                  "Paired differences: the previous default vs the two-way hybrid, facts vs holdings memory"),
            Block("style_report_profile.json", partial(render_style_paired, comparisons=("ranker - default",)),
                  "Paired differences: the re-ranker reading article profiles vs the one before"),
            Block("style_report_final.json", title="The default, with intervals and recall@100"),
            Block("query_adapter.json", title="Dense alone: the query adapter vs the base encoder and the old LoRA adapter",
                  command="python experiments/query_adapter.py",
                  note="Passages stay the frozen base encoder's; queries pass through a residual linear map "
                       "fitted with a softmax over every 민법+상법 article on the train holdings' pairs "
                       "(`legalret/adapters/me5-small-legal-qmap`)."),
            Block("holdings_misses.json", partial(render_records, keys=("queries", "recall@10", "buckets")),
                  "Which gold articles the default misses on dev holdings, by how many earlier decisions cite them",
                  "python benchmarks/holdings_misses.py --index IDX --holdings DEV",
                  note="Articles that few earlier decisions cite are what the memories and profiles cannot learn;"
                       " only the article's own text finds them, so the next gain is in the article retrievers (a"
                       " stronger encoder, a cross-encoder), not in fusion."),
        ),
    ),
    Section(
        "Decisions behind the default",
        "Each measured on the tune half and held-out train holdings before deciding, then on the report half. "
        "Paired differences with their bootstrap intervals.",
        blocks=(
            Block("party_tokens_tune.json", render_paired, "Party names (갑/을/병) out of the query's words — tune half",
                  "python experiments/party_tokens.py --index IDX --split tune --holdings TRAIN",
                  note="Kiwi keeps 갑/을/병 as nouns, so BM25, the memories and the profiles searched for them; they"
                       " are dropped from the query's tokens (`PARTY_MARKERS` in `legalret/search/prepare.py`), "
                       "not from its text: the encoder and the re-ranker still read them. The courts' 甲/乙/丙/丁 "
                       "stay: dropping them cost holdings MRR."),
            Block("party_tokens_report.json", render_paired, "The same — report half and dev holdings",
                  "python experiments/party_tokens.py --index IDX --split report --holdings DEV"),
            Block("ranker_profiles_tune.json", render_paired, "The re-ranker with article-profile features — tuning data",
                  "python experiments/ranker_profiles.py --index IDX --train TRAIN --questions QUESTIONS",
                  note="Article profiles (`legalret/memory/profiles.py`): every holding in the memory that cites an "
                       "article pooled into one document, ranked by BM25; the re-ranker reads each fused candidate's "
                       "profile rank and score. No style got worse, so it ships."),
            Block("ranker_profiles_tune_final.json", render_paired, "The same on the final code (party names out)",
                  "python experiments/ranker_profiles.py --index IDX --train TRAIN --questions QUESTIONS"),
            Block("ranker_profiles_report.json", render_paired, "The same — report half and dev holdings",
                  "python experiments/ranker_profiles.py --index IDX --train TRAIN --questions QUESTIONS"),
            Block("facts_style_report.json", title="The facts memory beside the holdings memory",
                  note="The facts memory (`legalret/memory/facts.py`): the opening of each decision's reasons, "
                       "voting for everything the decision cites, under the same leakage rules. Stronger on "
                       "scenarios, weaker on holdings: one more list for the re-ranker, not a replacement."),
            Block("ranker_relations.json", render_records,
                  "Co-citation and cross-reference features for the re-ranker (mean [interval]; not shipped)",
                  "python experiments/ranker_relations.py --train TRAIN --questions QUESTIONS --order stage1 --top 5",
                  note="How often earlier decisions cite a candidate together with one of the top candidates, and"
                       " cross-references parsed from the articles, as re-ranker columns and as candidate "
                       "expansion: neither moved held-out holdings beyond noise, so neither ships."),
            Block("memory_dense_holdings.json", render_records, "A dense holdings memory (not shipped)",
                  "python experiments/memory_dense_holdings.py",
                  note="Nearest neighbours over the train holdings' adapter-mapped query vectors: not worth the "
                       "encoding it needs."),
            Block("article_cutoff_main_report_compare.json", title="Kiwi's pruned beam for the articles only, question "
                  "by question — main-job report halves and dev holdings (not kept)",
                  note="Both indexes rebuilt on one machine and read by `style_eval.py`, then paired by "
                       "`benchmarks/compare_runs.py`: the whole loss is one short question, and no question "
                       "gained. Limits written in questions or on the paired interval read this directly."),
        ),
    ),
    Section(
        "Retrieval quality per corpus",
        "Binary relevance, duplicates counted once, ties broken by key; recall@k = share of a query's gold articles "
        "in the top k, MRR@10, nDCG@10, precision@5 and F2@5 (the COLIEE statute-retrieval measure), macro-averaged; "
        "brackets are bootstrap intervals over queries, paired differences on the same resamples.",
        glob=Glob("quality-*.json", render_quality, quality_title, "legalret bench quality --index FULL_IDX --queries …"),
        blocks=(Block("passage_length.json", title="Dense passage length",
                      command="python experiments/passage_length.py --index IDX --corpus-stats"),),
    ),
    Section(
        "Start-up and cold search",
        blocks=(
            F("searcher_start.json", title="`Searcher(index)` + first hybrid query, new process (median), before → after",
              note="Before: the memory re-indexed at load. After: the memory inside the generation, memory-mapped; "
                   "BM25 opened without importing bm25s; Kiwi without its multi-word and typo dictionaries (new "
                   "indexes only). Kiwi's start is most of what remains; the resident server pays it once.",
              fields=(("before: start s", "before/start_s", " s"), ("before: of it Kiwi", "before/kiwi_s", " s"),
                      ("after: start s", "after/start_s", " s"), ("after: of it Kiwi", "after/kiwi_s", " s"),
                      ("speed-up", "speedup_start", "×"), ("after: whole process", "after/process_s", " s"))),
            F("cold_search.json", title="Cold `legalret search`, median of runs, per way of answering",
              command="python benchmarks/cold_search.py --index IDX --export --runs 3",
              fields=(("in-process, torch encoder", "variants/in-process torch/median_s", " s"),
                      ("in-process, torch: client peak RSS", "variants/in-process torch/client_peak_rss_mb", " MB"),
                      ("resident server, first search (starts it)", "variants/resident first/median_s", " s"),
                      ("resident server reused", "variants/resident reuse/median_s", " s"),
                      ("resident server reused: client peak RSS", "variants/resident reuse/client_peak_rss_mb", " MB"),
                      ("in-process ONNX: import", "stages/onnx/import", " s"),
                      ("in-process ONNX: encoder load", "stages/onnx/onnx_encoder_load_explicit", " s"),
                      ("in-process ONNX: open the index", "stages/onnx/searcher_open", " s"),
                      ("in-process ONNX: Kiwi and first BM25 query", "stages/onnx/first_bm25_query_kiwi", " s"),
                      ("warm p50, ONNX query encoder", "stages/onnx/warm_p50_ms", " ms"),
                      ("warm p50, torch query encoder", "stages/torch/warm_p50_ms", " ms"))),
        ),
    ),
    Section(
        "Warm latency",
        "Configurations alternate round by round in warm worker processes, so compare ratios within one file, not "
        "times across files (the machine is shared; each file records its load average).",
        blocks=(
            Block("latency-main-job/warm_hybrid_profiles.json", title="Main-job index: article profiles on every hybrid search",
                  command=compare_command),
            Block("latency-all-acts-decrees/warm_hybrid_profiles.json", title="Every 법률+시행령: the same",
                  command=partial(compare_command, index="FULL_IDX")),
            Block("latency-all-acts-decrees/warm_hybrid_memory.json", title="Every 법률+시행령: overlap on / off",
                  command=partial(compare_command, index="FULL_IDX")),
            *(Block(f"latency-main-job/{name}.json", title=title, command=compare_command) for name, title in (
                ("warm_hybrid_retrievers_run1", "Retrievers as plug-ins vs before (first run)"),
                ("warm_hybrid_retrievers_run2", "Retrievers as plug-ins vs before (second run)"),
                ("warm_hybrid_review", "After the review's refactor"),
                ("warm_hybrid_s4", "Lazy memory objects, plain memory-map views (first run)"),
                ("warm_hybrid_s4b", "Lazy memory objects, plain memory-map views (second run)"))),
            Block("latency-main-job/warm_hybrid_final.json", title="Vectorized votes, fusion and features; the `nbits8` "
                  "query encoder; encoding overlapped", command=compare_command,
                  note="A single query is encoded in a worker thread while BM25 and the memories run "
                       "(`Searcher.overlap_encoding`, on by default): within noise on a quiet machine (the `+serial` "
                       "rows), a help under load, and a shared server is rarely quiet."),
            Block("latency-main-job/query_int8_nbits.json", title="`nbits8` query encoder vs fp32: quality",
                  command="python experiments/query_int8.py",
                  note="`nbits8` (ONNX Runtime `MatMulNBits`) is served only on CPUs with int8 dot-product "
                       "instructions (AVX512-VNNI, AVX-VNNI, AMX), where it was measured; others keep fp32, and "
                       "`LEGALRET_QUERY_VARIANT` forces one."),
            Block("latency-main-job/query_int8_dynamic.json", title="Plain int8 dynamic quantization vs fp32: quality",
                  command="python experiments/query_int8.py"),
            Block("latency-main-job/keys-run1.json", render_latency,
                  "Memory votes from key arrays (one of three alternating runs)",
                  "python benchmarks/search_latency.py --index IDX --memory --modes hybrid"),
            Block("latency-main-job/parse-run1.json", render_latency,
                  "Memory votes by parsing the items (the same run)",
                  "python benchmarks/search_latency.py --index IDX --memory --modes hybrid"),
            Block("latency-all-acts-decrees.json", render_latency, "Every 법률+시행령, base encoder, no memory",
                  "python benchmarks/search_latency.py --index FULL_IDX"),
        ),
    ),
    Section(
        "Serving",
        blocks=(
            F("serve_load_main_job_s4.json", title="Load test on the main-job index, an `index add` swap mid-run",
              command="python benchmarks/serve_load.py --index IDX --clients 8 --duration 60 --swap-at 20",
              fields=(("clients", "clients", ""), ("requests", "load/requests", ""), ("errors", "load/errors", ""),
                      ("throughput", "load/throughput_rps", " req/s"), ("p50", "load/p50_ms", " ms"),
                      ("p95", "load/p95_ms", " ms"), ("p99", "load/p99_ms", " ms"),
                      ("swap started at", "swap/started_at_s", " s"), ("new generation served at", "swap/served_at_s", " s"),
                      ("sequential HTTP overhead p50", "sequential/http_overhead_p50_ms", " ms"),
                      ("server RSS after the swap", "server_rss_mb", " MB"))),
            F("serve_load.json", title="The same on an earlier index, on a busier machine",
              command="python benchmarks/serve_load.py --clients 8 --duration 60 --swap-at 20",
              fields=(("requests", "load/requests", ""), ("errors", "load/errors", ""),
                      ("throughput", "load/throughput_rps", " req/s"), ("p50", "load/p50_ms", " ms"),
                      ("p95", "load/p95_ms", " ms"), ("p99", "load/p99_ms", " ms"),
                      ("sequential HTTP overhead p50", "sequential/http_overhead_p50_ms", " ms"))),
            Block("serve_memory_profiles.json", render_serve_memory, "Server memory: before → with the article profiles",
                  "python benchmarks/serve_load.py --index IDX --memory --rounds 2 --sequential 60 --before-code OLD --before-home HOME"),
            Block("serve_load_memory_main_job_nbits8.json", render_serve_memory, "Server memory, `nbits8` query encoder",
                  "python benchmarks/serve_load.py --index IDX --memory --rounds 1 --sequential 60"),
            Block("serve_load_memory_main_job.json", render_serve_memory, "Server memory, memory items read with `pread`",
                  "python benchmarks/serve_load.py --index IDX --memory --rounds 1 --sequential 60"),
            Block("serve_load_memory_main_job_366.json", render_serve_memory, "The same after all the questions",
                  "python benchmarks/serve_load.py --index IDX --memory --rounds 1 --sequential 366"),
            Block("serve_load_memory.json", render_serve_memory, "Server memory, previous index: before → lean query encoder",
                  "python benchmarks/serve_load.py --index IDX --memory --before-code OLD --before-home OLD_HOME"),
        ),
    ),
    Section(
        "Robustness and identical results",
        blocks=(
            Block("robustness.json", title="Fuzzed inputs and injected faults"),
            Block("robustness_interface.json", title="At a terminal vs in a pipe"),
            Block("robustness_index_add.json", title="Partial and full `index add`"),
            F("check_hot_paths_retrievers.json", title="Retrievers as plug-ins: every hit, score, vote identical",
              command="python benchmarks/check_hot_paths.py --index IDX --holdings DEV --rev ce38dad",
              fields=HOT_PATH_FIELDS),
            F("latency-main-job/check_hot_paths.json", title="Vectorized votes, fusion and features: identical",
              command="python benchmarks/check_hot_paths.py --index IDX --holdings DEV --rev OLD",
              fields=HOT_PATH_FIELDS),
        ),
    ),
    Section(
        "Training",
        "The adapters' cards record their data, settings, time and dev metrics; the LoRA adapter is the old default "
        "encoder's, the query adapter the default's now.",
        blocks=(
            F("me5-small-legal/legalret_adapter.json", title="LoRA adapter `me5-small-legal`", root=ADAPTERS,
              fields=(("train pairs used", "data/train_pairs", ""), ("train pairs available", "data/train_pairs_total", ""),
                      ("dev queries", "data/dev_queries", ""), ("steps", "steps", ""),
                      ("training time", "train_seconds", " s"), ("pairs per second", "pairs_per_second", ""),
                      ("first loss", "losses/0/1", ""), ("last loss", "losses/-1/1", ""),
                      ("dev recall@10, base", "base_dev_metrics/dev_cosine_recall@10", ""),
                      ("dev recall@10, adapter", "dev_metrics/dev_cosine_recall@10", ""),
                      ("hybrid dense weight (tuned on dev)", "fusion/dense_weight", ""))),
            F("me5-small-legal-qmap/legalret_adapter.json", title="Query adapter `me5-small-legal-qmap`", root=ADAPTERS,
              command="bash scripts/train_query_adapter.sh",
              fields=(("train holdings", "data/train_queries", ""), ("train pairs", "data/train_pairs", ""),
                      ("candidate articles (negatives per pair)", "data/candidate_articles", ""),
                      ("fit time", "timing/fit_seconds", " s"), ("pairs per second", "timing/fit_pairs_per_second", ""),
                      ("dev recall@10, base", "dev_metrics/dev dev_queries.jsonl/base/recall@10", ""),
                      ("dev recall@10, adapted", "dev_metrics/dev dev_queries.jsonl/adapted/recall@10", ""))),
            Block("train_dense_gain.json", partial(render_records, keys=("queries", "corpus", "adapter_minus_base")),
                  "What the LoRA adapter adds to dense retrieval (adapter − base, mean and interval)",
                  "python experiments/train_dense_gain.py"),
        ),
    ),
    Section(
        "Ingestion and mojibake repair",
        blocks=(
            F("ingest_throughput.json", title="Ingest of the whole legalize-kr mirror",
              command="python benchmarks/ingest_throughput.py --json benchmarks/results/ingest_throughput.json",
              fields=(("files", "runs/0/files", ""), ("laws", "runs/0/laws", ""), ("articles", "runs/0/articles", ""),
                      ("법률 articles", "runs/0/kinds/법률", ""), ("시행령 articles", "runs/0/kinds/시행령", ""),
                      ("deleted articles", "runs/0/deleted", ""), ("errors", "runs/0/errors", ""),
                      ("CPU", "runs/0/cpu_s", " s"), ("articles per CPU second", "runs/0/articles_per_s_cpu", ""))),
            Block("mojibake.json", title="Mojibake repair"),
        ),
    ),
    Section(
        "Every 법률+시행령: build, update, dense partitions",
        blocks=(
            Block("build-all-acts-decrees.json", partial(render_records, keys=("articles", "searchable", "laws", "timings",
                                                                              "cpu_timings")),
                  "Full build with the base encoder, seconds per stage (wall, then CPU)",
                  "legalret index build all-acts-decrees --index FULL_IDX --json"),
            Block("build-all-acts-decrees-later.json", partial(render_records, keys=("generation", "searchable", "encoded",
                                                                                    "tokenized", "memory", "timings",
                                                                                    "cpu_timings", "conditions")),
                  "A later build into the same folder (vectors reused, Kiwi tokens cached, n-gram facts), seconds per stage"),
            Block("index_add.json", title="Re-indexing one amended law",
                  command="python benchmarks/search_index_add.py --index FULL_IDX --law 민법"),
            Block("dense_partitions.json", title="Dense partitions vs the exact scan",
                  command="python experiments/dense_partitions.py --index FULL_IDX"),
        ),
    ),
    Section(
        "Build speed",
        "Variants alternated in one run on the shared cores, so CPU seconds are the numbers to compare.",
        blocks=tuple(Block(f"build-speed/{n}.json", title=t, command=f"python benchmarks/build_stages.py {c}")
                     for n, t, c in (("kiwi", "Kiwi: threads, processes, the tokenization cache", "kiwi"),
                                     ("memory-600-decisions", "The memory stage with the tokenization cache", "memory"),
                                     ("encode", "Passage encoding: torch vs ONNX Runtime", "encode"),
                                     ("quality", "Passage encoders: dev quality", "encode"),
                                     ("estimate", "Estimated build stages, every 법률+시행령", "estimate"),
                                     ("estimate-main-job", "Estimated build stages, main job", "estimate"))),
    ),
    Section(
        "Encoder and cross-encoder",
        blocks=(
            Block("encoder_speed.json", title="Encoder throughput and latency", command="python benchmarks/encoder_speed.py"),
            Block("cross_encoder_latency_n20_256.json", title="Cross-encoder latency, fp32"),
            Block("cross_encoder_latency_me5_int8_n20_128.json", title="Cross-encoder latency, int8"),
            Block("cross_encoder_latency_me5_int8_n20_64.json", title="Cross-encoder latency, int8, shorter pairs"),
            Block("memory.json", title="Precedent memory alone vs hybrids",
                  command="python benchmarks/memory_eval.py --model bundled:me5-small --limit 300"),
        ),
    ),
    Section(
        "Every law: questions and holdings about any law (all-law index)",
        "The all-acts-decrees index as a user builds it today (n-gram facts), its default re-ranker "
        "(`fusion_ranker_all_laws.json`). Questions: `benchmarks/queries/law_questions.jsonl` (any law, with a family) and "
        "`user_questions.jsonl` (민법/상법, family 민사·상사), report halves; holdings: a seeded sample of the report half of "
        "`law_holdings.jsonl`. Then the re-ranker and query-adapter choices, each on identical cached candidates.",
        blocks=(
            Block("law_report_all_law_index_prior.json", title="Every retriever per style and per law family (report halves), the default re-ranker with base rates",
                  note="Built on a Xeon with AMX as a user builds it today; `fusion_ranker_all_laws.json` with the base-rate group."),
            Block("law_questions_2_all_law_index_prior.json", title="The second question set (all of it), the same index and default",
                  note="Written after every earlier choice: an outside check until something is tuned on its tune half."),
            Block("law_report_all_law_index_nodict.json", title="Every retriever per style and per law family (report halves)",
                  note="Built as a user builds it today: Kiwi without its default dictionary (`TokenizerSettings.default_dict`)."),
            Block("law_report_all_law_index.json", title="The same, on the index built with Kiwi's default dictionary",
                  note="The tokens the all-law re-ranker was fitted on (the default until the dictionary was dropped)."),
            Block("ranker_all_laws_ng.json", title="Re-rankers on the index as built today (n-gram facts)",
                  note="The all-law re-ranker shipped before (fitted on the first build's candidates, Kiwi facts) against "
                       "the same recipes refitted on these candidates: it kept the best tune mean then."),
            Block("ranker_all_laws_depth150.json", title="The shipped all-law re-ranker: the fused top candidates widened, "
                  "with word matches",
                  note="Fitted and cross-validated on candidates cached at the depth it reads; the report halves were "
                       "scored once, after the choice (`experiments/ranker_all_laws.py --depth`)."),
            Block("ranker_all_laws_trees.json", title="Boosted trees (LambdaMART) against the listwise recipe: tune halves",
                  note="Three tree settings fixed before the run, cross-validated on identical candidates; the best passed "
                       "the rule on the tune halves."),
            Block("ranker_all_laws_trees_report.json", title="Boosted trees: the report halves, scored once",
                  note="The report halves did not confirm the tune gain (lower MRR in most question groups, 민법/상법 "
                       "short questions lower), so the listwise file stays."),
            Block("ranker_all_laws_facts.json", title="The courts' facts as extra training queries for the all-law re-ranker",
                  note="Facts of train-split decisions added as a third source of fitting queries: the cross-validated "
                       "tune mean fell, so the shipped re-ranker is fitted without them."),
            Block("ranker_all_laws_pools.json", title="How many candidates the all-law re-ranker reads (emulated pools)",
                  note="Pools emulated on deeper cached candidates, tune groups only: a wider fused top beat adding each "
                       "list's own top to it, and the word matches added most at the wider depth."),
            Block("ranker_all_laws.json", title="Re-rankers on the first build (Kiwi facts): how the all-law re-ranker was chosen"),
            Block("query_adapter_all_laws.json", title="A query adapter fitted on every law's pairs: dense alone",
                  note="The map fitted on every train holding of any law, with every article of the index as a candidate, "
                       "lifts the dense list on other laws and on holdings, and lowers it on 민법/상법 scenarios."),
            Block("ranker_all_laws_qa.json", title="The same re-rankers with the all-law query adapter (fused)",
                  note="On the tune halves the whole default is no better with the all-law map than with the shipped "
                       "one (the mean of recall@10 and MRR@10 over held-out holdings and the three styles is the same "
                       "to the third decimal): the memories and the re-ranker make up what the dense list lacks, so the "
                       "shipped map stays."),
        ),
    ),
    Section(
        "Speed per corpus",
        "Absolute times on a shared machine are pessimistic; compare the ratios to rank-bm25 and bm25s measured in the "
        "same run. A run that reuses an index reports the stage timings recorded in its manifest.",
        glob=Glob("speed-*.json", render_speed, speed_title),
    ),
)

#: Measurements that have no stored result file, so this document cannot show them: what and the command that
#: would store one. (Their numbers were typed by hand before; they are left out rather than kept unchecked.)
NOT_STORED = (
    ("the main job's index built three times (before the tokenization cache, filling it, a later build)",
     "legalret index build civil-commercial --index … --adapter legalret/adapters/me5-small-legal-qmap --precedents … "
     "--facts … --json"),
    ("the default on every 법률+시행령: its build report", "legalret index build all-acts-decrees --index FULL_IDX "
     "--adapter legalret/adapters/me5-small-legal-qmap --precedents … --facts … --json"),
    ("the re-ranker's training run (time, candidate rows)", "python -m legalret.train.ranker --index IDX --holdings "
     "TRAIN --questions QUESTIONS --features first,profile --out legalret/data/fusion_ranker.json"),
    ("re-ranker variants compared offline (listwise, MLP, more features)",
     "python experiments/ranker_cache.py … && python experiments/ranker_variants.py …"),
    ("honest vs leaky evaluation on dev holdings", "legalret bench quality --index IDX --queries DEV --allow-leakage"),
    ("the GPU run's input file (pairs, negatives, size)", "python -m legalret.train.gpu_prepare --index IDX --pairs "
     "PAIRS --negatives default,bm25 --default-sample 3000 --budget-min 8 --out inputs.zip"),
)

INTRO = """\
# Results in detail

_Generated by `{generate}` from `benchmarks/results/` (and the adapter cards); do not edit by hand — change a
result file and regenerate. `tests/test_results_doc.py` fails when this file and the results disagree._

The README's [Results](../README.md#results) has the summary, each number with its command. Here: the full tables
behind it, each under the file it comes from and the command that wrote that file. `IDX` is the main job's
index (민법+상법 with both memories), `FULL_IDX` one of every 법률+시행령, `DEV` the dev holdings of
`legalret pairs` (`dev_queries.jsonl`), `TRAIN` its train holdings, `QUESTIONS` `benchmarks/queries/user_questions.jsonl`.
The scripts: [benchmarks/README.md](../benchmarks/README.md) and [experiments/README.md](../experiments/README.md).
"""


def _render(path: Path, data: dict, render: Callable[[Path, dict], str], title: str, note: str,
            command: str | Callable[[dict], str] | None) -> str:
    """One result under its heading and note (they replace the heading a script wrote atop its table), then its
    source and command."""
    body = render(path, data).strip()
    if title:
        body = f"#### {title}\n\n" + (f"{note}\n\n" if note else "") + re.sub(r"\A#+ [^\n]*\n+", "", body)
    return body + "\n\n" + _footer(path, data, command)


def _section(section: Section, results: Path) -> tuple[str, list[Path]]:
    parts, used = [f"### {section.title}\n"], []
    if section.text:
        parts.append(section.text + "\n")
    if section.style_rows:
        table, files = render_style_rows(list(section.style_rows), results)
        parts.append(table)
        used += files
    if section.glob:
        g = section.glob
        for path in sorted(results.glob(g.pattern)):
            data = _load(path)
            parts.append(_render(path, data, g.render, g.title(path, data), "", g.command))
            used.append(path)
    for b in section.blocks:
        path = (b.root or results) / b.file
        if path.is_file():
            parts.append(_render(path, _load(path), b.render, b.title, b.note, b.command))
            used.append(path)
    return "\n".join(parts), used


def build(results: Path = RESULTS) -> str:
    """The whole document from the result files in ``results``."""
    parts, used = [INTRO.format(generate=GENERATE)], set()
    for section in SECTIONS:
        text, files = _section(section, results)
        parts.append(text)
        used.update(p.resolve() for p in files)
    parts.append("### Not stored, so not shown\n\nThese were measured once but their results were never stored as a "
                 "file; run the command to store one:\n\n"
                 + "\n".join(f"- {what}: `{_moved(cmd)}`" for what, cmd in NOT_STORED) + "\n")
    rest = sorted(p for p in results.rglob("*.json") if p.resolve() not in used)
    if rest:
        parts.append("### Other result files\n\nStored but not shown above (older runs, tuning sweeps):\n\n"
                     + "\n".join(f"- {_link(p)}" + (f" · `{_command(c)}`" if (c := _recorded_command(_load(p))) else "")
                                 for p in rest) + "\n")
    return "\n".join(parts).rstrip() + "\n"


# ---- the README's summary against the results --------------------------------------------------------------
_NUMBER = re.compile(r"(?<![\w@.\-/])[+−-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w@])|(?<![\w@.\-/,])[+−-]?\d+(?:\.\d+)?(?![\w@])")


def numbers(text: str) -> list[str]:
    """The numbers a reader sees in ``text`` (not the digits of names like recall@10, p50 or nbits8)."""
    return [m.group(0) for m in _NUMBER.finditer(text)]


def _value(token: str) -> float:
    return float(token.replace(",", "").replace("−", "-").lstrip("+"))


#: Where each row of the README's results summary comes from: the row's opening words → its result files.
README_SOURCES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cold search and first builds on a Xeon with AMX", ("cold_search_amx.json", "build-main-job-amx.json",
                                                         "build-all-acts-decrees-amx.json")),
    ("default `hybrid`", ("style_report_prior.json", "style_report_prior_before.json", "style_report_final.json",
                          "style_report_final_nbits8.json")),
    ("default vs two-way hybrid", ("style_report.json",)),
    ("dev holdings, 민법+상법", ("quality-civil-commercial.json", "quality-civil-commercial-adapter.json")),
    ("every 법률+시행령", ("law_report_all_law_index_prior.json", "law_report_all_law_index_amx.json",
                          "law_report_all_law_index_nodict.json", "law_report_all_law_index.json")),
    ("old article numbers dropped for 129 laws", ("numbering_report_compare.json", "numbering_report_compare_mrr.json",
                                                   "numbering_q3_compare.json", "numbering_report_renum.json",
                                                   "numbering_report_ranker_compare.json",
                                                   "numbering_report_ranker_compare_mrr.json",
                                                   "numbering_q3_ranker_compare.json")),
    ("dense alone on dev holdings", ("query_adapter.json", "style_report.json")),
    ("warm hybrid + both memories", ("latency-main-job/warm_hybrid_profiles.json",
                                     "latency-all-acts-decrees/warm_hybrid_memory.json",
                                     "latency-all-acts-decrees/warm_hybrid_all_law_ngram.json",
                                     "latency-all-acts-decrees/warm_hybrid_all_law_depth150.json")),
    ("cold `legalret search`", ("cold_search.json",)),
    ("cold in-process `legalret search` without Kiwi's default", ("cold_search_default_dict.json", "cold_search_early_fork.json",
                                                                  "cold_parent_early_fork.json")),  # (these two also before the
    ("cold in-process `legalret search` on an AVX2 EPYC", ("cold_search_avx2.json",)),
    ("main job's first build on an AVX2 EPYC", ("build-speed/read-ahead.json", "build-speed/read-ahead-after-load.json",
                                                "build-speed/read-ahead-process.json", "build-speed/read-ahead-tokens.json")),
    ("cold in-process `legalret search`, the parent's own", ("cold_parent_piece_table.json",)),  # row below: a prefix of them)
    ("Kiwi's default dictionary dropped", ("default_dict_on_tune.json", "default_dict_off_tune.json",
                                           "default_dict_on_report.json", "default_dict_off_report.json")),
    ("a second set of 116 questions about 민법/상법", ("user_questions_2_main_index.json", "uq1_report_retrievers.json")),
    ("Kiwi's beam cutoff for the articles only", ("article_cutoff_main_tune.json", "article_cutoff_all_tune.json",
                                                  "article_cutoff_main_report.json", "article_cutoff_main_base_report.json",
                                                  "article_cutoff_all_report.json", "article_cutoff_all_lq3.json",
                                                  "kiwi_cutoff_main_index_tune.json", "kiwi_cutoff_all_index-all_tune.json",
                                                  "kiwi_cutoff_main_index_report.json", "kiwi_cutoff_all_index-all_report.json",
                                                  "kiwi_cutoff_all_index-all_lq3.json", "article_cutoff_agreement.json",
                                                  "build-all-acts-decrees-amx-cutoff8.json",
                                                  "build-all-acts-decrees-amx-cutoff3.json")),
    ("Kiwi's beam cutoff", ("build-all-acts-decrees-amx-cutoff8.json", "build-all-acts-decrees-amx-cutoff3.json",
                            "kiwi_cutoff_main_index_tune.json", "kiwi_cutoff_main_index-cut3_tune.json",
                            "kiwi_cutoff_main_index_report.json", "kiwi_cutoff_main_index-cut3_report.json",
                            "kiwi_cutoff_all_index-all_report.json", "kiwi_cutoff_all_index-all-cut3_report.json",
                            "kiwi_cutoff_speed.json")),
    ("cold in-process `legalret search`", ("cold_search_tokens_ahead.json",)),
    ("load test", ("serve_load_main_job_s4.json",)),
    ("server resident memory", ("serve_memory_profiles.json",)),
    ("robustness: fuzzed", ("robustness.json",)),
    ("re-index one amended law", ("index_add.json",)),
    ("full build, every 법률+시행령", ("build-all-acts-decrees.json", "build-all-acts-decrees-default.json",
                                       "build-all-acts-decrees-later.json")),
    ("ingest, whole mirror", ("ingest_throughput.json",)),
    ("mojibake repair", ("mojibake.json",)),
    ("encoder throughput", ("encoder_speed.json",)),
    ("robustness at the interface", ("robustness_interface.json",)),
    ("partial then full `index add`", ("robustness_index_add.json",)),
    ("main job's index rebuilt", ()),  # only a hand-written table (build-speed/main-job-builds.md): nothing stored
)


def stored_values(paths: list[Path]) -> set[float]:
    """Every number in these result files: JSON leaves (numbers, and numbers inside strings) and the Markdown
    table a script wrote next to each."""
    values: set[float] = set()

    def walk(d: Any) -> None:
        if isinstance(d, dict):
            for v in d.values():
                walk(v)
        elif isinstance(d, list):
            for v in d:
                walk(v)
        elif isinstance(d, (int, float)) and not isinstance(d, bool):
            values.add(float(d))
        elif isinstance(d, str):
            values.update(_value(t) for t in numbers(d))

    for path in paths:
        walk(_load(path))
        if path.with_suffix(".md").is_file():
            values.update(_value(t) for t in numbers(path.with_suffix(".md").read_text(encoding="utf-8")))
    return values


def _traced(token: str, unit: str, values: set[float]) -> bool:
    """A README number is traced when a stored value rounds to it at the README's precision — as a share when the
    README writes a percentage, as seconds when it writes minutes; without its sign (differences keep theirs)."""
    x = abs(_value(token))
    digits = len(token.split(".")[1]) if "." in token else 0
    tol = 0.5 * 10 ** -digits + 1e-9
    scale = {"%": 100.0, "min": 1 / 60}.get(unit, 1.0)
    return any(abs(abs(v) * scale - x) <= tol for v in values)


def readme_untraced(readme: Path = REPO / "README.md", results: Path = RESULTS) -> list[tuple[str, str]]:
    """``(row, number)`` for every number in the README's results table (its "number" column; targets and code
    left out) that the row's result files do not hold; ``row`` is its key in :data:`README_SOURCES` (a row without
    one: its whole first cell, and none of its numbers is traced). Checks, never rewrites."""
    text = readme.read_text(encoding="utf-8")
    section = text.split("\n## Results", 1)[1].split("\n## ", 1)[0]
    missing = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not line.startswith("|") or set(cells[1]) <= set("-: ") or cells[0] == "what":
            continue
        row, files = next(((p, f) for p, f in README_SOURCES if cells[0].startswith(p)), (cells[0], ()))
        values = stored_values([results / f for f in files if (results / f).is_file()])
        cell = re.sub(r"`[^`]*`|\btarget \d+", "", cells[1])
        for m in _NUMBER.finditer(cell):
            unit = "%" if cell[m.end():].startswith("%") else "min" if cell[m.end():].startswith(" min") else ""
            if not _traced(m.group(0), unit, values):
                missing.append((row, m.group(0)))
    return missing


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--results", default=str(RESULTS))
    p.add_argument("--out", default=str(DOC), help="'-' prints to stdout")
    p.add_argument("--check-readme", action="store_true", help="list the README summary's numbers found in no result file")
    args = p.parse_args(argv)
    if args.check_readme:
        missing = readme_untraced(results=Path(args.results))
        for row, number in missing:
            print(f"README.md Results: {number} (row '{row[:80]}') is not in the row's result files")
        return 1 if missing else 0
    if not Path(args.results).is_dir():
        raise SystemExit(f"{args.results}: no such results folder")
    text = build(Path(args.results).resolve())
    if args.out == "-":
        sys.stdout.write(text)
    else:
        write_text(args.out, text)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
