"""``legalret ingest SOURCES… --out FILE`` — statutes from any source into one articles JSONL.

Examples::

    legalret ingest ../shared/data/statutes/legalize-kr.zip --out articles.jsonl
    legalret ingest dumps/*.json laws.txt --law 민법 --law 상법 --out civil.jsonl --strict
    legalret ingest mirror/ --kind 법률 --out acts.jsonl --json      # summary as JSON on stdout
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from legalret.cli.index import EXIT_FILES_SKIPPED
from legalret.errors import LegalretError
from legalret.progress import console, progress, report_console


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)


def ingest_command(
    sources: List[str] = typer.Argument(..., help="Files, folders, globs or zip archives (markdown, law.go.kr JSON/XML, text)."),
    out: Path = typer.Option(..., "--out", "-o", help="Articles JSONL to write (atomically)."),
    law: Optional[List[str]] = typer.Option(None, "--law", help="Keep only this law (repeatable; any spacing)."),
    kind: Optional[List[str]] = typer.Option(None, "--kind", help="Kind to keep: 법률, 시행령, 시행규칙 (repeatable)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 2 and write nothing when any file had an error, an "
                                                        "article that could not be read, or a lossy mojibake repair "
                                                        "that stayed uncertain."),
    accept_uncertain: bool = typer.Option(False, "--accept-uncertain",
                                          help="Write the articles of files whose mojibake repairs stayed uncertain "
                                               "(guessed from lost bytes, low-confidence, unrepaired, lost "
                                               "characters) too; without it they are left out, named, exit 3. "
                                               "Also spelt --accept-uncertain-repairs, as in `index add`."),
    # (index build/add's spelling, which every refusal names; hidden: at 40 columns a name this long left the option
    # table no room for its help column — every option's help vanished)
    accept_uncertain_repairs: bool = typer.Option(False, "--accept-uncertain-repairs", hidden=True),
    no_repair: bool = typer.Option(False, "--no-repair", help="Do not repair mojibake."),
    show_warnings: bool = typer.Option(False, "--warnings", help="List warnings (repaired defects) too."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
) -> None:
    """Read statutes into canonical articles; print files, laws, articles, deleted, mojibake repairs, errors.

    Exits non-zero, writing nothing, when no article was read, or with ``--strict`` (2) when any file had an
    error, an article that could not be read, or a lossy mojibake repair that stayed uncertain. Without ``--strict``
    a file skipped whole (unreadable) exits 3 after the rest is written, as ``index build`` / ``index add`` do (it had
    exited 0, and ``ingest … && next-step`` went on with a batch missing a law). A file whose mojibake repairs stayed
    uncertain is left out of the JSONL the same way, named (exit 3), unless ``--accept-uncertain-repairs``: the JSONL
    keeps no mark of a guess, so ``ingest … --out x.jsonl && index add x.jsonl`` had indexed text `index add` refuses
    from the file itself (교감 for 교각, 'ï§保'). ``--out`` is checked before anything is read."""
    from legalret.ingest.output import check_not_an_input, check_not_other_data, check_output_path, write_articles_out
    from legalret.ingest.sources import ingest, iter_sources, known_kind

    for k in kind or []:
        known_kind(k)  # a typo ('법룰') is one line now, not a run that keeps nothing
    out = check_output_path(out)
    if out.is_symlink():  # the link stays; the file it points to is written (legalret.atomic), in its own folder:
        _check_link_target(out)  # that folder is the one to check before anything is read
    check_not_an_input(out, sources)
    check_not_other_data(out)  # (a pairs or query file given as --out had been replaced by articles)
    total = _count_files(sources, iter_sources)
    with progress("reading statute files", total=total, unit="files") as bar:
        result = ingest(sources, laws=law or None, kinds=kind or None, repair=not no_repair,
                        progress=lambda src: bar.advance(1))
    report = result.report
    if not result.articles:
        print_report(report, out=None, show_warnings=show_warnings)
        raise LegalretError(f"no articles were read ({nothing_read_reason(report, law, kind)}); nothing written to {out}")
    refused = strict and report.failed
    accept_uncertain = accept_uncertain or accept_uncertain_repairs
    articles, left_out = ((result.articles, []) if accept_uncertain or refused
                          else report.without_uncertain(result.articles))
    if not articles:  # every file read holds an uncertain repair: one line, as `index add` refuses such a batch
        print_report(report, out=None, show_warnings=show_warnings, table=not as_json)
        raise LegalretError(report.uncertain_refusal(outcome=f"nothing written to {out}",
                                                     accepted="write them as repaired"))
    written = 0 if refused else write_articles_out(out, articles)
    if as_json:  # also when --strict refused: pipelines read why from the summary
        summary = report.summary() | {"out": str(out), "written": written, "strict_failed": refused,
                                      "error_list": [str(e) for e in report.errors],
                                      "uncertain_list": [str(e) for e in report.uncertain],
                                      "warning_list": [str(w) for w in report.warnings],
                                      "uncertain_files_left_out": left_out}
        if (report.errors or left_out) and not refused:
            summary["exit"] = EXIT_FILES_SKIPPED  # (as index build/add's --json says it)
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    # (with --json the summary is on stdout: the table is not said again on stderr, its problems are)
    print_report(report, out=None if refused else out, show_warnings=show_warnings, table=not as_json, written=written)
    if refused:
        console.print(f"[red]--strict:[/] {strict_reason(report)}; nothing written to {escape(str(out))}", highlight=False)
        raise typer.Exit(code=2)
    say_left_out(report, left_out)
    if report.errors or left_out:
        parts = ([f"{len(report.errors)} source file(s) that could not be read"] if report.errors else []) + (
            [f"{len(left_out)} file(s) with uncertain mojibake repairs"] if left_out else [])
        console.print(f"written without {' and '.join(parts)} (named above): exit {EXIT_FILES_SKIPPED}", highlight=False)
        raise typer.Exit(code=EXIT_FILES_SKIPPED)


def say_left_out(report, left_out: list[str]) -> None:
    """One line on stderr per file left out of the JSONL for its uncertain mojibake repairs (``ingest``, ``corpus
    pull``): the file, how many spans, and the flag that writes it anyway."""
    for path in left_out:
        n = sum(w.path == path for w in report.uncertain)
        console.print(f"[yellow]left out:[/] {escape(path)}: {n} uncertain mojibake repair(s) or lost characters (the "
                      "text may hold wrong words; warnings above); its laws are not in the JSONL — fix the file's "
                      "encoding, or pass --accept-uncertain-repairs to write it as repaired", highlight=False,
                      soft_wrap=True)


def _check_link_target(out: Path) -> None:
    """``--out LINK``: the file LINK points to (:func:`legalret.atomic.write_target`; a loop of links is one line) can
    be written — its folder is where the new file is made."""
    from legalret.atomic import write_target
    from legalret.ingest.output import OutputError, check_output_path

    try:
        target = write_target(out)
    except OSError as e:
        raise OutputError(f"--out {out}: a symbolic link that cannot be followed ({e.strerror or e})") from None
    check_output_path(target, option=f"--out {out} →")


def nothing_read_reason(report, laws=None, kinds=None) -> str:
    """Why a run produced no articles, for the one-line error (naming the filter that excluded files)."""
    parts = []
    if report.errors:
        parts.append(f"{len(report.errors)} error(s) above")
    parts.append(f"{report.files} statute file(s) read")
    if report.skipped:
        parts.append(report.skipped_by(laws, kinds))
    return ", ".join(parts)


def strict_reason(report) -> str:
    parts = []
    if report.errors:
        parts.append(f"{len(report.errors)} error(s)")
    if report.uncertain:
        parts.append(f"{len(report.uncertain)} uncertain mojibake repair(s) or lost characters")
    if report.dropped:
        laws = ", ".join(f"{law} {n}" for law, n in report.dropped.items())
        parts.append(f"{sum(report.dropped.values())} article(s) that could not be read ({laws}; --warnings lists them)")
    return " and ".join(parts)


def _count_files(sources, iter_sources) -> int | None:
    try:
        return sum(1 for _ in iter_sources(sources, errors=[]))
    except Exception:  # counting is only for the bar; ingest reports real problems
        return None


#: Uncertain mojibake repairs listed without --warnings (the rest are counted).
_SHOWN_UNCERTAIN = 10


def print_report(report, out: Path | None, show_warnings: bool = False, table: bool = True,
                 written: int | None = None) -> None:
    """The summary table (not with ``table=False``: ``--json`` has it on stdout), then every error (path:line: field:
    reason) on stderr, then "wrote N articles to OUT"; ``written``: the articles written to ``out`` (the report's
    count, by default). The table and the last line are the command's report: on stdout when articles were written
    and stdout is not the JSON's (``… --out x.jsonl > ingest.log`` keeps them), else on stderr beside the error that
    follows (nothing written)."""
    to = report_console(as_json=not table or out is None)
    if table:
        _print_table(report, to)
    _print_problems(report, out, show_warnings, written, to)


def _print_table(report, to) -> None:
    table = Table(title="ingest summary", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    s = report.summary()
    rows = [("files", s["files"]), ("laws", s["laws"]), ("articles", s["articles"]), ("deleted", s["deleted"]),
            ("mojibake repairs", s["mojibake_repairs"]), ("errors", s["errors"]), ("warnings", s["warnings"])]
    if s.get("mojibake_uncertain"):
        rows.append(("uncertain mojibake repairs", s["mojibake_uncertain"]))
    if report.skipped:
        rows.append(("skipped (filtered)", report.skipped))
    if report.duplicates:
        rows.append(("duplicate laws dropped", report.duplicates))
    rows.append(("seconds", f"{report.seconds:.1f}"))
    for name, value in rows:
        table.add_row(name, str(value))
    to.print(table)


def _print_problems(report, out: Path | None, show_warnings: bool, written: int | None = None, to=console) -> None:
    if report.repaired_files:
        console.print(f"mojibake repaired in {len(report.repaired_files)} file(s): "
                      + escape(", ".join(list(report.repaired_files)[:5])) + (" …" if len(report.repaired_files) > 5 else ""),
                      highlight=False)
    for err in report.errors:
        console.print(f"[red]error[/] {escape(str(err))}", highlight=False, soft_wrap=True)
    uncertain = getattr(report, "uncertain", [])
    if show_warnings:
        for w in report.warnings:
            console.print(f"[yellow]warning[/] {escape(str(w))}", highlight=False, soft_wrap=True)
    else:
        # uncertain mojibake guesses may have put wrong characters into the text: always shown
        for w in uncertain[:_SHOWN_UNCERTAIN]:
            console.print(f"[yellow]warning[/] {escape(str(w))}", highlight=False, soft_wrap=True)
        if len(uncertain) > _SHOWN_UNCERTAIN:
            console.print(f"… and {len(uncertain) - _SHOWN_UNCERTAIN} more uncertain mojibake repair(s)",
                          highlight=False)
        rest = len(report.warnings) - len(uncertain)  # the uncertain ones are counted above
        if rest > 0:
            console.print(f"{rest} warning(s) (repaired or skipped defects); --warnings lists them",
                          highlight=False)
    if out is not None:
        linked = f" (a link: written to {os.path.realpath(out)})" if Path(out).is_symlink() else ""
        to.print(f"wrote {report.articles if written is None else written} articles to {escape(str(out) + linked)}",
                 highlight=False, soft_wrap=True)
