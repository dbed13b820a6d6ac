"""The ``legalret`` command line (typer).

Each area owns one module here with a ``register(app)`` function that adds its commands:

=================  =========================================================
module             commands
=================  =========================================================
``ingest``         ``legalret ingest``
``fixtext``        ``legalret fix-text``
``corpus``         ``legalret corpus pull|list``
``model``          ``legalret model build|info``
``index``          ``legalret index build|add|info``
``search``         ``legalret search``
``pairs``          ``legalret pairs``
``train``          ``legalret train``
``bench``          ``legalret bench quality|speed``
``doctor``         ``legalret doctor``
``serve``          ``legalret serve``
``server``         ``legalret server status|stop`` (the resident search servers)
``mcp``            ``legalret mcp``
=================  =========================================================

:class:`legalret.errors.LegalretError` raised by any command is printed as one red line, exit code 1. Every ``--help``
keeps its options' names whole at any width (:func:`_keep_option_names_whole`), shows no type for a flag
(:func:`_flags_without_type`) and wraps its text at the terminal's width (:func:`reflowed`).
"""

from __future__ import annotations

import importlib
import json
import sys

import typer
from rich.markup import escape

from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperCommand, TyperGroup

from legalret.errors import LegalretError
from legalret.progress import console

app = typer.Typer(
    name="legalret",
    help="Korean statute retrieval: ingest statutes, build a hybrid index, search, train, benchmark.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        from legalret import __version__

        typer.echo(f"legalret {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                          help="Print legalret's version and exit.")) -> None:
    # (`legalret --version` had been "No such option"; a bug report wants the version first)
    pass


def _keep_option_names_whole() -> None:
    """Make typer's option tables (``typer.rich_utils._print_options_panel``: the Arguments and Options panels of
    every ``--help``) keep each option's name whole and let the help text wrap instead. Typer's table puts the long
    name, the short one, the ``--no-`` name, its short one, the type and the help in six columns that rich squeezes
    alike when they do not fit: at 80 columns (any pipe, a default terminal) ``legalret index add --help`` showed
    ``--reread-decisio…  --no-reread-dec…`` and ``--accept-uncerta…`` — names no one can type from the help. Here the
    ``--no-`` name goes under its option's name in the same cell (beside it, the two took half of 80 columns), the
    name columns never wrap, and the type and help columns wrap in the width they leave. Idempotent; typer's own
    table is printed when its layout is not the one this expects (another typer version)."""
    from typer import rich_utils

    print_panel = rich_utils._print_options_panel
    if getattr(print_panel, "names_whole", False):
        return

    def _print_options_panel(*, console, **kwargs) -> None:
        print_panel(console=_WholeNames(console), **kwargs)

    _print_options_panel.names_whole = True
    rich_utils._print_options_panel = _print_options_panel


def _flags_without_type() -> None:
    """Show no type for a flag in an options panel: typer's rich help gave every flag one, ``--json <bool>``,
    ``--help <bool>``, as if it took a value (``--json true``), where its plain help (``get_help_record``) gives a flag
    (and a counter) none. Idempotent."""
    from typer.core import TyperOption

    display_type_rich = TyperOption.display_type_rich
    if getattr(display_type_rich, "flags_without_type", False):
        return

    def flag_display_type_rich(self, ctx):
        return None if self.is_flag or self.count else display_type_rich(self, ctx)

    flag_display_type_rich.flags_without_type = True
    TyperOption.display_type_rich = flag_display_type_rich


class _WholeNames:
    """The console typer prints an options panel on, whose table is laid out again (:func:`_names_whole`)."""

    def __init__(self, console) -> None:
        self._console = console

    def __getattr__(self, name: str):
        return getattr(self._console, name)

    def print(self, *objects, **kwargs) -> None:
        self._console.print(*map(_names_whole, objects), **kwargs)


def _names_whole(panel):
    """``panel`` (typer's options panel) with its table's name cells stacked and never wrapped (see
    :func:`_keep_option_names_whole`); anything else, or a table of another shape, as it is."""
    import copy

    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    table = panel.renderable if isinstance(panel, Panel) else None
    # typer's columns: [required marker], long name, short name, --no- name, its short name, type, help
    if not isinstance(table, Table) or len(table.columns) not in (6, 7):
        return panel
    cells = [list(column.cells) for column in table.columns]
    *required, long, short, no_long, no_short, types, helps = cells
    if not all(isinstance(cell, Text) for column in (long, short, no_long, no_short) for cell in column):
        return panel

    def stacked(name: Text, no_name: Text) -> Text:
        return Text("\n").join([t for t in (name, no_name) if t.plain]) if no_name.plain else name

    out = copy.copy(table)  # (typer's box, padding and styles)
    out.columns, out.rows = [], []
    for _ in required:
        out.add_column(no_wrap=True)
    out.add_column(no_wrap=True, overflow="fold")  # (fold, not "…", should a name alone not fit the screen)
    out.add_column(no_wrap=True, overflow="fold")
    # the type and the help wrap: rich narrows the widest of them first, the help, to what the names leave (a ratio
    # giving the help all of it had left it one column wide at 50 columns, the types kept whole beside it)
    out.add_column(overflow="fold")
    out.add_column(overflow="fold")
    for i in range(len(long)):
        out.add_row(*(column[i] for column in required), stacked(long[i], no_long[i]), stacked(short[i], no_short[i]),
                    types[i], helps[i])
    panel = copy.copy(panel)
    panel.renderable = out
    return panel


def reflowed(text: str) -> str:
    """``text`` with each paragraph's lines joined: typer's rich help keeps a docstring's line breaks, so a paragraph
    wrapped at 118 columns in the source broke mid-sentence at 80 ("started on first use (a one-line⏎notice; …").
    No command's help has indented lines or lists (blank lines part its paragraphs), so joining is all it takes."""
    return "\n\n".join(" ".join(line.strip() for line in para.splitlines()) for para in text.split("\n\n"))


def _names_whole_in(format_help):
    """``format_help`` (typer's command's or group's) after :func:`_keep_option_names_whole`: done when a help is
    shown, not when the CLI is imported — ``typer.rich_utils`` costs ~0.1 s that a search does not pay."""

    def format_help_names_whole(self, ctx, formatter) -> None:
        _keep_option_names_whole()
        _flags_without_type()
        if self.help:
            self.help = reflowed(self.help)
        return format_help(self, ctx, formatter)

    format_help_names_whole.names_whole = True
    return format_help_names_whole


for _cls in (TyperCommand, TyperGroup):
    if not getattr(_cls.format_help, "names_whole", False):  # (once, should this module be imported again)
        _cls.format_help = _names_whole_in(_cls.format_help)

_MODULES = ("ingest", "fixtext", "corpus", "model", "index", "search", "pairs", "train", "bench", "doctor", "serve", "server", "mcp")
for _name in _MODULES:
    importlib.import_module(f"legalret.cli.{_name}").register(app)


def _json_error(message: str, code: int) -> None:
    """With ``--json`` among the options (before a ``--``, after which it is the question's text), the failure as one
    JSON line on stdout too, ``{"error": ..., "exit": code}``, beside the red line on stderr: a script reading stdout
    gets it, not an empty stream — a usage error (exit 2) as a failure of the command (exit 1)."""
    args = sys.argv[1:]
    if "--json" in (args[: args.index("--")] if "--" in args else args):
        sys.stdout.write(json.dumps({"error": message, "exit": code}, ensure_ascii=False) + "\n")


def main() -> None:
    try:
        # not standalone: typer would draw a usage error as a box of five lines; here it is one, like every other
        code = app(standalone_mode=False)
    except UsageError as e:
        if isinstance(e, NoArgsIsHelpError):  # `legalret index` alone: its help, as typer shows it
            from typer.rich_utils import rich_format_error  # (rich's layout: not imported on a search's path)

            rich_format_error(e)
            sys.exit(e.exit_code)
        where = f" (see `{e.ctx.command_path} --help`)" if e.ctx is not None else ""
        console.print(f"[bold red]error:[/] {escape(e.format_message())}{where}", highlight=False, soft_wrap=True)
        _json_error(e.format_message(), e.exit_code)  # (`search --json -k abc` had left stdout empty, exit 2)
        sys.exit(e.exit_code)
    except ClickException as e:
        console.print(f"[bold red]error:[/] {escape(e.format_message())}", highlight=False, soft_wrap=True)
        _json_error(e.format_message(), e.exit_code)
        sys.exit(e.exit_code)
    except typer.Abort:
        console.print("aborted", highlight=False)
        sys.exit(1)
    except LegalretError as e:
        console.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False, soft_wrap=True)
        _json_error(str(e), 1)
        sys.exit(1)
    if code == 130:  # Ctrl-C: typer returns 130 without a word (a bench run had simply stopped, nothing said)
        console.print("[yellow]interrupted[/] (Ctrl-C)", highlight=False)
    sys.exit(code or 0)  # a command's `typer.Exit(code)` (commands return nothing)
