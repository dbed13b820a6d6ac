"""``legalret ingest SOURCES… --out FILE`` — statutes from any source into one articles JSONL.

Examples::

    legalret ingest ../shared/data/statutes/legalize-kr.zip --out articles.jsonl
    legalret ingest dumps/*.json laws.txt --law 민법 --law 상법 --out civil.jsonl --strict
    legalret ingest mirror/ --kind 법률 --out acts.jsonl --json      # summary as JSON on stdout
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from legalret.errors import LegalretError
from legalret.progress import console


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)


def ingest_command(
    sources: List[str] = typer.Argument(..., help="Files, folders, globs or zip archives (markdown, law.go.kr JSON/XML, text)."),
    out: Path = typer.Option(..., "--out", "-o", help="Articles JSONL to write (atomically)."),
    law: Optional[List[str]] = typer.Option(None, "--law", help="Keep only this law (repeatable; any spacing)."),
    kind: Optional[List[str]] = typer.Option(None, "--kind", help="Keep only this kind: 법률, 시행령, 시행규칙 (repeatable)."),
    strict: bool = typer.Option(False, "--strict", help="Exit non-zero when any file had an error."),
    no_repair: bool = typer.Option(False, "--no-repair", help="Do not repair mojibake."),
    show_warnings: bool = typer.Option(False, "--warnings", help="List warnings (repaired defects) too."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
) -> None:
    """Read statutes into canonical articles; print files, laws, articles, deleted, mojibake repairs, errors."""
    from legalret.articles import write_articles
    from legalret.ingest.sources import ingest, iter_sources

    total = _count_files(sources, iter_sources)
    with _Progress(total) as advance:
        result = ingest(sources, laws=law or None, kinds=kind or None, repair=not no_repair, progress=advance)
    if not result.articles and result.report.errors:
        print_report(result.report, out=None, show_warnings=show_warnings)
        raise LegalretError(f"no articles were read ({len(result.report.errors)} error(s) above); nothing written to {out}")
    written = write_articles(out, result.articles)
    if as_json:
        summary = result.report.summary() | {"out": str(out), "written": written,
                                             "error_list": [str(e) for e in result.report.errors]}
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    print_report(result.report, out=out, show_warnings=show_warnings)
    if strict and result.report.errors:
        raise typer.Exit(code=2)


def _count_files(sources, iter_sources) -> int | None:
    try:
        return sum(1 for _ in iter_sources(sources, errors=[]))
    except Exception:  # counting is only for the bar; ingest reports real problems
        return None


class _Progress:
    """A rich progress bar fed one file at a time (silent when stderr is not a terminal)."""

    def __init__(self, total: int | None):
        self.total = total
        self._progress = None

    def __enter__(self):
        if console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), TextColumn("{task.fields[name]}"), console=console)
            self._progress.__enter__()
            self._task = self._progress.add_task("ingest", total=self.total, name="")
        return self._advance

    def _advance(self, src) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, name=src.path.parent.name[:40])

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.__exit__(*exc)


def print_report(report, out: Path | None, show_warnings: bool = False) -> None:
    """The summary table, then every error (path:line: field: reason) on stderr."""
    table = Table(title="ingest summary", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    s = report.summary()
    rows = [("files", s["files"]), ("laws", s["laws"]), ("articles", s["articles"]), ("deleted", s["deleted"]),
            ("mojibake repairs", s["mojibake_repairs"]), ("errors", s["errors"]), ("warnings", s["warnings"])]
    if report.skipped:
        rows.append(("skipped (filtered)", report.skipped))
    if report.duplicates:
        rows.append(("duplicate laws dropped", report.duplicates))
    rows.append(("seconds", f"{report.seconds:.1f}"))
    for name, value in rows:
        table.add_row(name, str(value))
    console.print(table)
    if report.repaired_files:
        console.print(f"mojibake repaired in {len(report.repaired_files)} file(s): "
                      + ", ".join(list(report.repaired_files)[:5]) + (" …" if len(report.repaired_files) > 5 else ""),
                      highlight=False)
    for err in report.errors:
        console.print(f"[red]error[/] {err}", highlight=False, soft_wrap=True)
    if show_warnings:
        for w in report.warnings:
            console.print(f"[yellow]warning[/] {w}", highlight=False, soft_wrap=True)
    elif report.warnings:
        console.print(f"{len(report.warnings)} warning(s) (repaired or skipped defects); --warnings lists them",
                      highlight=False)
    if out is not None:
        console.print(f"wrote {s['articles']} articles to {out}", highlight=False)
