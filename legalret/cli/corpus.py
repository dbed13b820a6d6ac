"""``legalret corpus pull|list`` — corpora named by manifests, pulled from a mirror, GitHub or law.go.kr.

Examples::

    legalret corpus list
    legalret corpus pull --out corpus.jsonl                                # civil-commercial, local mirror
    legalret corpus pull all-acts --mirror ~/legalize-kr.zip --out acts.jsonl
    legalret corpus pull 민법 "상법 시행령" --source github --out civil.jsonl
    LAW_OC=key legalret corpus pull 개인정보보호법 --source lawgo --out pipa.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from legalret.progress import console, report_console

corpus_app = typer.Typer(help="Corpus manifests: list them, pull their statutes into an articles JSONL.",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(corpus_app, name="corpus")


@corpus_app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="Print as JSON on stdout.")) -> None:
    """Show the corpus manifests (names, kinds, laws, measured build time and index size)."""
    from rich.console import Console

    from legalret.corpus.manifest import list_manifests

    manifests = list_manifests()
    _note_bad_settings(manifests)
    if as_json:
        sys.stdout.write(json.dumps([{"name": m.name, "laws": m.laws or "all", "kinds": m.kinds,
                                      "description": m.description, "measured": m.measured, "tokenizer": m.tokenizer,
                                      "areas": m.areas,
                                      "path": str(m.path)}
                                     for m in manifests],
                                    ensure_ascii=False, indent=2) + "\n")
        return
    print_listing(manifests, Console(emoji=False))  # the listing is the command's output: stdout


#: The listing's columns: (header, kept on one line). The name is what `index build` takes and a size ("318 MB") is
#: one value: never wrapped. The others wrap at spaces only (see :func:`print_listing`); no header wraps.
LISTING_COLUMNS = (("name", True), ("kinds", False), ("laws", False), ("about", False), ("build (2 cores)", False),
                   ("size", True))


#: The fewest cells a wrapping column of the table gets (its whole text when shorter): below it the blocks read
#: better. At ~100 columns the table had fit with every word whole but "build (2 cores)" 14 cells wide, its header
#: broken in two ("build (2" over "cores)"), and the laws, about and build texts 6–9 lines of 2–3 words each.
MIN_WRAPPING_WIDTH = 20


def _cells(m) -> list[str]:
    """A manifest's row of the listing, one text per :data:`LISTING_COLUMNS`."""
    laws = ", ".join(m.laws[:6]) + (" …" if len(m.laws) > 6 else "") if m.laws else "all"
    # a setting the corpus builds with is part of what it is (all-acts-decrees: articles at Kiwi's cutoff 3.0),
    # written as in the manifest: "article_cutoff: 3.0" has words of 15 cells at most, "article_cutoff=3.0" was
    # one of 18 — too wide for the table to fit 80 columns with every word whole
    about = (m.description + "".join(f"; {k}: {_setting_text(v)}" for k, v in m.tokenizer.items())
             + (f"; areas: {', '.join(m.areas)}" if m.areas else ""))  # (what --law 노동법 is read as)
    return [m.name, ", ".join(m.kinds) or "all", laws, about, m.measured.get("build", "not measured"),
            m.measured.get("size", "–")]


def _setting_text(value) -> str:
    """A tokenizer setting as YAML writes it (``[임차권등기명령, 신의성실]``, ``false``: not Python's
    ``['임차권등기명령', …]``, ``False``)."""
    if isinstance(value, list):
        return f"[{', '.join(map(_setting_text, value))}]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def print_listing(manifests, console) -> None:
    """The manifests as a table on ``console``, every word whole: each column at least as wide as its longest word
    and the slack shared out by :func:`_fit_widths`. Rich's own squeeze narrows the widest columns alike, below the
    width of their words, which it then folds mid-word: at 80 columns ``about`` was 10 cells wide
    ("article_cu|toff"), at 60 ``kinds`` 5 ("시행|령"). (Rich's width: ``COLUMNS``, else the terminal of stdin, stdout
    or stderr, else 80 — so a pipe with no terminal at all, as in CI or cron, gets 80.) Every header stays on one
    line, and a column that wraps keeps :data:`MIN_WRAPPING_WIDTH` cells; where that does not fit side by side, each
    manifest is a short block of ``label  value`` lines instead (:func:`_print_blocks`), which wraps at spaces down to
    ~40 columns."""
    from rich.measure import Measurement
    from rich.table import Table
    from rich.text import Text

    rows = [[Text(cell) for cell in _cells(m)] for m in manifests]  # (Text: a description's "[…]" is no markup)
    least, most = [], []
    for column, (header, whole) in enumerate(LISTING_COLUMNS):
        sizes = [Measurement.get(console, console.options, cell) for cell in [Text(header)] + [r[column] for r in rows]]
        most.append(max(size.maximum for size in sizes))
        least.append(most[-1] if whole else max(sizes[0].maximum, min(most[-1], MIN_WRAPPING_WIDTH),
                                                *(size.minimum for size in sizes[1:])))
    # 3 cells between two columns (a space, the rule, a space) and a space at either edge: no outer rules, which
    # leaves the words 2 cells more (the name stays between spaces)
    widths = _fit_widths(least, most, console.width - 3 * (len(LISTING_COLUMNS) - 1) - 2)
    if widths is None:
        _print_blocks(rows, console)
        return
    table = Table(title="corpus manifests", title_justify="left", show_edge=False)
    for (header, whole), width in zip(LISTING_COLUMNS, widths):
        # "fold" splits no word here (every column holds its longest), and it crops a line's trailing space: rich
        # measures that space in characters, not cells, so with "ellipsis" a line of Korean filling its column
        # ("민법, " in 5 cells) lost its last word to "…"
        table.add_column(header, width=width, no_wrap=whole, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _fit_widths(least: list[int], most: list[int], room: int) -> list[int] | None:
    """Column widths within ``room`` cells, none below ``least`` (its longest word) nor above ``most`` (its longest
    line): the columns with most to show are narrowed level by level, as rich does, but never below a word's width.
    None when the longest words alone do not fit."""
    if sum(least) > room:
        return None
    level = max(most)
    while sum(min(hi, max(lo, level)) for lo, hi in zip(least, most)) > room:
        level -= 1  # (ends by level 0 at the latest: the sum is then sum(least))
    return [min(hi, max(lo, level)) for lo, hi in zip(least, most)]


def _print_blocks(rows, console) -> None:
    """The listing too narrow for the table: each manifest's name, then a ``label  value`` line per column."""
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    console.print("corpus manifests", highlight=False)
    for row in rows:
        console.print(Text(row[0].plain, style="bold"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")  # (a word wider than the screen: folded rather than lost)
        for (header, _), cell in zip(LISTING_COLUMNS[1:], row[1:]):
            grid.add_row(header, cell)
        console.print(Padding(grid, (0, 0, 0, 2), expand=False))  # (not padded with spaces to the console's width)


def _note_bad_settings(manifests) -> None:
    """A manifest whose ``tokenizer:`` settings `index build` would refuse (a misspelt name, a cutoff of -5) is said
    here, one line each on stderr: it had been listed as if fine (the corpus layer does not know the settings)."""
    from rich.markup import escape

    from legalret.errors import SourceError
    from legalret.index.tokenize import TokenizerSettings
    from legalret.progress import console

    for m in manifests:
        try:
            TokenizerSettings.with_overrides(m.tokenizer, str(m.path or m.name))
        except SourceError as e:
            console.print(f"[yellow]note:[/] {escape(str(e))} — `index build {escape(m.name)}` refuses it", highlight=False,
                          soft_wrap=True)


@corpus_app.command("pull")
def pull_command(
    targets: Optional[List[str]] = typer.Argument(None, help="Manifest names/paths or law names (default: civil-commercial)."),
    out: Path = typer.Option(..., "--out", "-o", help="Articles JSONL to write (atomically)."),
    source: str = typer.Option("mirror", "--source", help="mirror (local dir/zip), github (legalize-kr over HTTPS) or lawgo (law.go.kr API)."),
    mirror: Optional[Path] = typer.Option(None, "--mirror", help="Local legalize-kr directory or zip (default: LEGALRET_MIRROR or the shared data)."),
    kind: Optional[List[str]] = typer.Option(None, "--kind", help="Kinds to pull for the named laws: 법률, 시행령, 시행규칙."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="Override the GitHub raw base or the law.go.kr endpoint."),
    oc: Optional[str] = typer.Option(None, "--oc", help="law.go.kr OC key (default: LAW_OC)."),
    timeout: float = typer.Option(20.0, "--timeout", min=0.1, help="Seconds per HTTP request."),
    retries: int = typer.Option(3, "--retries", min=0, help="Retries per HTTP request (exponential backoff)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 2 and write nothing when any law failed."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
    show_warnings: bool = typer.Option(False, "--warnings", help="List warnings (repaired or skipped defects) too."),
    accept_uncertain: bool = typer.Option(False, "--accept-uncertain",
                                          help="Write the laws whose mojibake repairs stayed uncertain too; without "
                                               "it their files are left out, named, exit 3 (as `ingest`)."),
    # (index build/add's spelling, hidden as in `ingest`: at 40 columns it leaves no room for the help column)
    accept_uncertain_repairs: bool = typer.Option(False, "--accept-uncertain-repairs", hidden=True),
) -> None:
    """Get the statutes of a corpus and write them as articles.

    Exits non-zero, writing nothing, when nothing was pulled, or with ``--strict`` when any law failed. A file
    whose mojibake repairs stayed uncertain is left out, named (exit 3 after the rest is written), as ``ingest``
    leaves it out: the JSONL keeps no mark of a guess, and ``index add`` would index it unrefused."""
    from legalret.cli.index import EXIT_FILES_SKIPPED
    from legalret.cli.ingest import print_report, say_left_out, strict_reason
    from legalret.corpus.pull import HttpClient, NothingPulled, pull
    from legalret.ingest.output import check_not_an_input, check_not_other_data, check_output_path, write_articles_out

    out = check_output_path(out)
    if source == "mirror":  # '--mirror m.zip --out m.zip' had replaced the archive with its articles
        from legalret.config import default_mirror

        read_from = mirror.expanduser() if mirror else default_mirror()
        if read_from is not None:
            check_not_an_input(out, [read_from])
    check_not_other_data(out)  # (`--out train_queries.jsonl` had replaced a pairs file with articles)
    try:
        result = pull(targets, source=source, out=None, kinds=kind or None, mirror=mirror, base_url=base_url,
                      oc=oc, client=HttpClient(timeout=timeout, retries=retries),
                      accept_uncertain=accept_uncertain or accept_uncertain_repairs)
    except NothingPulled as e:
        print_report(e.result.report, out=None, show_warnings=show_warnings)
        raise
    if strict and result.report.failed:
        print_report(result.report, out=None, show_warnings=show_warnings)
        console.print(f"[red]--strict:[/] {escape(f'{strict_reason(result.report)}; nothing written to {out}')}", highlight=False)
        raise typer.Exit(code=2)
    result.out, result.written = out, write_articles_out(out, result.articles)
    if as_json:
        summary = result.report.summary() | {
            "corpus": result.manifest.name, "source": source, "out": str(out), "written": result.written,
            "requests": result.requests, "missing": result.missing,
            "error_list": [str(e) for e in result.report.errors],
            "warning_list": [str(w) for w in result.report.warnings],
            "uncertain_files_left_out": result.left_out}
        if result.left_out:
            summary["exit"] = EXIT_FILES_SKIPPED
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    # (the report: on stdout, as ingest's — on stderr under --json, whose summary is stdout's)
    report_console(as_json).print(f"corpus [bold]{escape(result.manifest.name)}[/] from {escape(str(source))}",
                                  highlight=False)
    print_report(result.report, out=out, show_warnings=show_warnings, table=not as_json, written=result.written)
    say_left_out(result.report, result.left_out)
    if result.left_out:
        console.print(f"written without {len(result.left_out)} file(s) with uncertain mojibake repairs (named above): "
                      f"exit {EXIT_FILES_SKIPPED}", highlight=False)
        raise typer.Exit(code=EXIT_FILES_SKIPPED)
