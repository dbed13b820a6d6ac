"""``legalret bench quality`` and ``legalret bench speed``: reproducible retrieval benchmarks.

Examples::

    legalret bench quality --index ~/.cache/legalret/index --queries out/pairs/dev_queries.jsonl \\
        --mode bm25,dense,hybrid --out bench/
    legalret bench quality --index idx --queries my_queries.jsonl --limit 200 --seed 1 --gold indexed
    legalret bench speed --corpus civil-commercial --out bench/
    legalret bench speed --corpus all-acts-decrees --mode bm25 --out bench/      # BM25-only, every 법률+시행령
    legalret bench speed --corpus all-acts-decrees --limit 5000 --out bench/    # quick dense run on a slice

Each writes ``<name>.json``, ``<name>.md`` and ``<name>.png`` into ``--out`` and prints the Markdown table.
"""

from __future__ import annotations

import inspect
import tempfile
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from legalret.errors import LegalretError
from legalret.progress import console

def _parse_modes(value: str) -> list[str]:
    from legalret.search.searcher import MODES  # the registry's (read when a benchmark runs: it searches anyway)

    modes = [m.strip() for m in value.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise typer.BadParameter(f"unknown mode(s) {bad or value!r}; choose from {', '.join(MODES)} (comma-separated)")
    return list(dict.fromkeys(modes))


def _parse_ks(value: str) -> list[int]:
    try:
        ks = sorted({int(k) for k in value.split(",") if k.strip()})
    except ValueError:
        raise typer.BadParameter(f"--ks must be comma-separated positive integers, not {value!r}") from None
    if not ks or ks[0] < 1:
        raise typer.BadParameter(f"--ks must be comma-separated positive integers, not {value!r}")
    return ks


def _check_before(value: Optional[str]) -> Optional[str]:
    """``--before``: a YYYY-MM-DD date, checked whatever the modes (it had been read only when a mode let the
    precedent memory vote: ``--before 2020-13-45`` with ``--mode bm25`` ran, and its report recorded the bad date)."""
    import re
    from datetime import date

    if value is None:
        return None
    text = value.strip()
    why = "e.g. 2020-01-01"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError as e:
            why = str(e)  # month must be in 1..12, day is out of range for month
    raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date ({why})", param_hint="--before")


def open_searcher(index: Path, adapter: Optional[str] = None):
    """A :class:`Searcher` for ``index``; ``adapter`` is passed on when the searcher accepts one."""
    from legalret.search.searcher import Searcher

    if not index.exists():
        raise LegalretError(f"{index}: index not found (build one with `legalret index build`)")
    from legalret.cli.index import check_is_index

    check_is_index(index)  # a folder of other files: said so, not "build one" there
    if adapter:
        params = inspect.signature(Searcher).parameters
        if "adapter" not in params:
            raise LegalretError("this index's searcher cannot swap adapters; rebuild the index with --adapter instead")
        return Searcher(index, adapter=adapter)
    return Searcher(index)


def _check_out_folder(path: Path, option: str = "--out") -> None:
    """A report folder that cannot be written fails when the report is written, after the whole run (a traceback):
    say so first — a file, a file among its parents, a place no folder can be made (``/proc/x``)."""
    if path.exists() and not path.is_dir():
        raise typer.BadParameter(f"{path} is a file; give a folder", param_hint=option)
    made = [p for p in [path, *path.parents] if not p.exists()]
    try:  # made and removed again: a refused or failed run leaves no folder behind
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise typer.BadParameter(f"{path}: cannot make this folder ({e.strerror or e}); give another",
                                 param_hint=option) from None
    for p in made:
        p.rmdir()


def _check_name(name: Optional[str], option: str = "--name") -> None:
    """A report's file stem (or a part of it), not a path: ``--name ../../escape`` wrote its four files outside
    ``--out``."""
    if name is not None and (not name.strip() or name in (".", "..") or any(c in name for c in "/\\\0")):
        raise typer.BadParameter(f"{name!r}: a file name stem without '/' (the files go into --out)", param_hint=option)


def register(app: typer.Typer) -> None:
    bench = typer.Typer(help="Benchmarks: retrieval quality on a query file, and speed on a real corpus.", no_args_is_help=True)
    app.add_typer(bench, name="bench")

    @bench.command("quality")
    def quality(
        index: Path = typer.Option(..., "--index", help="Index directory built by `legalret index build`."),
        queries: Path = typer.Option(..., "--queries", help='JSONL: {"qid", "query", "gold": ["민법 제194조", …]} per line.'),
        mode: str = typer.Option("bm25,dense,hybrid", "--mode", help="Comma-separated search modes: bm25, dense, hybrid, convex, rrf, memory."),
        adapter: Optional[str] = typer.Option(None, "--adapter", help="Adapter for the query encoder — a query adapter (legalret/adapters/me5-small-legal-qmap, the default's) or a LoRA one; must match the index."),
        limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Evaluate a seeded random sample of N queries (of --split's lines, when given)."),
        split: Optional[str] = typer.Option(None, "--split", help='Score only the lines whose "split" is this (a question '
                                            'file\'s fixed halves: tune, report). Default: every line — a file with '
                                            'halves is then said to be read whole.'),
        out: Path = typer.Option(Path("bench-results"), "--out", help="Folder for the JSON / Markdown / PNG report."),
        name: Optional[str] = typer.Option(None, "--name", help="Report file name stem (default quality-<queries stem>[-<split>])."),
        seed: int = typer.Option(0, "--seed", help="Seed for --limit sampling and the bootstrap."),
        ks: str = typer.Option("1,5,10,20,100", "--ks", help="Recall cut-offs."),
        f2_k: int = typer.Option(5, "--f2-k", min=1, help="Cut-off for precision and F2."),
        gold: str = typer.Option("all", "--gold", help="'all': gold keys missing from the index count as misses; "
                                 "'indexed': score only gold keys the index holds (missing ones are still listed)."),
        resamples: int = typer.Option(1000, "--resamples", min=0, help="Bootstrap resamples for the intervals."),
        batch_size: int = typer.Option(32, "--batch-size", min=1),
        json_out: bool = typer.Option(False, "--json", help="Print the JSON report to stdout instead of the table."),
        before: Optional[str] = typer.Option(None, "--before", callback=_check_before,
                                             help="YYYY-MM-DD: for queries without their own 'date', only decisions "
                                             "before this date vote in the precedent memory."),
        allow_leakage: bool = typer.Option(False, "--allow-leakage", help="Run even when undated queries would let the "
                                           "memory vote with their own or later decisions (every output is labelled)."),
        skip_bad: bool = typer.Option(False, "--skip-bad", help="Go on when some query lines are unreadable or repeat a "
                                      "qid (each is listed; the report counts them). Without it such a file is refused."),
    ) -> None:
        """Recall@k, MRR@10, nDCG@10, F2 — overall and per law, with bootstrap intervals.

        Query lines may carry "date" (YYYY-MM-DD) and "case_no": then only earlier, other decisions vote in
        the precedent memory. Undated queries on an index with a memory need --before or --allow-leakage.
        A query file with unreadable lines or repeated qids is refused (file:line:column of each) unless --skip-bad."""
        from legalret.evaluate.leakage import plan_leakage
        from legalret.evaluate.quality import describe_splits, evaluate, load_queries
        from legalret.evaluate.report import quality_markdown, write_quality_report

        if gold not in ("all", "indexed"):
            raise typer.BadParameter("--gold must be 'all' or 'indexed'")
        _check_out_folder(out)  # before the evaluation: a file there was a traceback after all the work
        _check_name(name)
        _check_name(split, "--split")  # it names the report's files too
        modes = _parse_modes(mode)
        qs = load_queries(queries, limit=limit, seed=seed, strict=not skip_bad, split=split)
        for err in qs.errors[:5]:
            console.print(f"[yellow]skipped[/] {escape(str(err))}", highlight=False)
        others = {value: n for value, n in qs.splits.items() if value != split}
        if split is not None and (others.get(None) or any(v not in ("tune", "report") for v in others if v)):
            # (lines without a split, or with one that is neither half — "Report" —, had been left out unsaid)
            n = qs.splits.get(split, 0)
            console.print(f"[yellow]note[/] --split {escape(split)} scores {n:,} line{'' if n == 1 else 's'} of "
                          f"{escape(queries.name)}; left out: {escape(describe_splits(others))}", highlight=False)
        if split is None and len([v for v in qs.splits if v is not None]) > 1:
            console.print(f"[yellow]note[/] {escape(queries.name)} has halves ({escape(describe_splits(qs.splits))}), "
                          "scored together here; --split report scores the held-out half alone.", highlight=False)
        paths = None  # the lines past the fifth are in the JSON report: said so only once one is written
        try:
            searcher = open_searcher(index, adapter)
            try:  # before any searching: a leaky run is refused at once, with what to do instead
                plan = plan_leakage(searcher, list(qs), modes, default_before=before, allow_leakage=allow_leakage)
            except ValueError as e:
                raise typer.BadParameter(str(e)) from None
            if plan.label:
                console.print(f"[bold red]{plan.label}[/]", highlight=False)
            for fused in modes:  # (a BM25-only index's hybrid scores were BM25's, digit for digit, labelled hybrid)
                alone = searcher.resolve_mode(fused)
                if alone != fused:
                    console.print(f"[yellow]note[/] {escape(str(index))} has one list to fuse ({alone}: no dense vectors "
                                  f"or precedent memory): --mode {fused} scores {alone} alone", highlight=False)
            report = evaluate(
                searcher, qs, modes=modes, ks=_parse_ks(ks), f2_k=f2_k, gold_filter=gold,
                n_resamples=resamples, seed=seed, batch_size=batch_size, leakage=plan,
            )
            report.settings.extra.update({"index": str(index), "adapter": adapter, "limit": limit, "before": before,
                                          "split": split})
            stem = name or f"quality-{queries.stem}" + (f"-{split}" if split else "")
            if plan.label:
                stem += "-LEAKY"  # a leaky report never sits under the name of an honest one
            paths = write_quality_report(report, out, name=stem, title=f"Retrieval quality — {queries.name}")
            if json_out:
                import json

                typer.echo(json.dumps(report.to_dict(per_query=False), ensure_ascii=False, indent=2))
            else:
                typer.echo(quality_markdown(report))
        finally:
            if len(qs.errors) > 5:
                where = f"listed in {paths['json']}" if paths else "not listed: nothing was written"
                console.print(f"[yellow]… {len(qs.errors) - 5} more unreadable lines[/] ({escape(str(where))})",
                              highlight=False)
        console.print("wrote " + ", ".join(str(p) for p in paths.values()), highlight=False)

    @bench.command("speed")
    def speed(
        corpus: str = typer.Option("civil-commercial", "--corpus", help="Corpus manifest (`legalret corpus list`): civil-commercial, all-acts, all-acts-decrees, or a practice's — labor, criminal, tenancy …"),
        mode: str = typer.Option("bm25,dense,hybrid", "--mode", help="Modes to build and time; 'bm25' alone skips encoding."),
        limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Index only the first N articles (ingest order)."),
        queries: Optional[Path] = typer.Option(None, "--queries", help="Query JSONL to time (default: synthesized from the corpus)."),
        n_queries: int = typer.Option(200, "--n-queries", min=1, help="Queries timed per mode."),
        n_reference_queries: int = typer.Option(50, "--n-reference-queries", min=1, help="Queries for rank-bm25 / bm25s."),
        no_references: bool = typer.Option(False, "--no-references", help="Skip the rank-bm25 / bm25s references."),
        model: Optional[str] = typer.Option(None, "--model", help="Encoder spec (default: the configured model)."),
        adapter: Optional[str] = typer.Option(None, "--adapter", help="Adapter for the encoder: a query adapter (legalret/adapters/me5-small-legal-qmap) or a LoRA one."),
        cold_runs: int = typer.Option(3, "--cold-runs", min=1, help="Cold `legalret search` runs (median reported)."),
        out: Path = typer.Option(Path("bench-results"), "--out", help="Folder for the JSON / Markdown / PNG report."),
        name: Optional[str] = typer.Option(None, "--name", help="Report file name stem (default speed-<corpus>)."),
        work_dir: Optional[Path] = typer.Option(None, "--work-dir", help="Where the temporary index is built (default: a temp dir)."),
        index: Optional[Path] = typer.Option(None, "--index", help="Reuse an index of this corpus (build figures from its manifest) instead of building one."),
        seed: int = typer.Option(0, "--seed"),
    ) -> None:
        """Ingest, index build per stage, size, memory, warm/cold query latency; rank-bm25 and bm25s as references."""
        from legalret.evaluate.report import speed_markdown, write_speed_report
        from legalret.evaluate.speed import run_speed

        modes = _parse_modes(mode)
        _check_out_folder(out)
        _check_name(name)
        if work_dir is not None:
            _check_out_folder(work_dir, "--work-dir")
        if limit is not None and index is not None:
            raise typer.BadParameter("--limit builds an index of the first articles; it cannot be combined with --index")
        with tempfile.TemporaryDirectory(prefix="legalret-speed-", dir=work_dir) as tmp:
            report = run_speed(
                corpus, work_dir=tmp, modes=modes, limit=limit, queries_file=str(queries) if queries else None,
                n_queries=n_queries, n_reference_queries=n_reference_queries,
                references=() if no_references else ("rank_bm25", "bm25s"), model=model, adapter=adapter,
                cold_runs=cold_runs, seed=seed, index_dir=index,
            )
        suffix = "" if modes != ["bm25"] else "-bm25"
        stem = name or f"speed-{corpus}{suffix}" + (f"-limit{limit}" if limit else "")
        paths = write_speed_report(report, out, name=stem, title=f"Speed — {corpus}")
        typer.echo(speed_markdown(report))
        console.print("wrote " + ", ".join(str(p) for p in paths.values()), highlight=False)
