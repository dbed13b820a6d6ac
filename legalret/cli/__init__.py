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

:class:`legalret.errors.LegalretError` raised by any command is printed as one red line, exit code 1; a usage error
too, exit code 2, ending with where to read the command's help (:func:`main`). Every ``--help`` keeps its options'
names whole at any width (:func:`_keep_option_names_whole`), shows no type for a flag (:func:`_flags_without_type`),
names its arguments in capitals on its usage line (:func:`_usage_name`) and wraps its text at the terminal's width
between words, Korean ones too (:func:`reflowed`, :func:`_folded`).
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
    name columns never wrap, and the type and help columns wrap in the width they leave. The texts of these panels
    and of a group's commands panel wrap between words, Korean ones too (:func:`_folded`). Idempotent; typer's own
    table is printed when its layout is not the one this expects (another typer version)."""
    from typer import rich_utils

    print_panel = rich_utils._print_options_panel
    if getattr(print_panel, "names_whole", False):
        return

    def _print_options_panel(*, console, **kwargs) -> None:
        print_panel(console=_Reshaped(console, lambda panel: _folded(_names_whole(panel))), **kwargs)

    _print_options_panel.names_whole = True
    rich_utils._print_options_panel = _print_options_panel

    print_commands = rich_utils._print_commands_panel  # (a group's: its commands' help, wrapped as the options')

    def _print_commands_panel(*, console, **kwargs) -> None:
        print_commands(console=_Reshaped(console, _folded), **kwargs)

    rich_utils._print_commands_panel = _print_commands_panel


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


class _Reshaped:
    """The console typer prints a help panel on, each panel laid out again by ``reshape`` first (:func:`_names_whole`,
    :func:`_folded`)."""

    def __init__(self, console, reshape) -> None:
        self._console = console
        self._reshape = reshape

    def __getattr__(self, name: str):
        return getattr(self._console, name)

    def print(self, *objects, **kwargs) -> None:
        self._console.print(*map(self._reshape, objects), **kwargs)


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


def _folded(renderable):
    """``renderable`` (a help panel) with every text in its table cells wrapped between words, a word cut only when it
    alone is wider than its column, and then folded onto the next line whole — never cut short with "…".

    Typer's cells are laid out by tables (and a cell's help, its default and ``[required]`` by a grid within it) that
    end a line too wide with "…"; and rich measures the space after a line's last word in characters, not in cells,
    where a Hangul syllable is two: a line ending with a Korean word at the column's edge kept its space, was one cell
    too wide and lost the word's end to "…" — ``--kind`` of ``legalret ingest --help`` read "법률, 시행령, 시행규 …"
    at 80 columns, as if 시행규칙 were broken in two (and ``--law`` of ``legalret search --help`` "(민법,상 …" at 40).
    Folding drops that space instead, and shows a word wider than its column whole, over two lines. (The usage line,
    the description and the epilog, printed outside any table, are folded already.)"""
    from rich.columns import Columns
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    if isinstance(renderable, Text):
        renderable.overflow = "fold"
    elif isinstance(renderable, Panel):
        _folded(renderable.renderable)
    elif isinstance(renderable, Columns):
        for item in renderable.renderables:
            _folded(item)
    elif isinstance(renderable, Table):
        for column in renderable.columns:
            column.overflow = "fold"
            for cell in column.cells:
                _folded(cell)
    return renderable


def _usage_name(argument) -> str:
    """``argument`` as the usage line names it: ``QUERY...``, ``[FILE]``, ``[SOURCES]...`` — in capitals, as click
    writes it and the CLI's own messages do (``legalret index build SOURCES --index DIR``). Typer 0.29 had put the
    argument's own name in braces, ``legalret search [OPTIONS] {query}...``, which reads as something to type."""
    name = argument.display_name_raw.upper()
    return (name if argument.required else f"[{name}]") + ("..." if argument.nargs != 1 else "")


def _usage_names() -> None:
    """Every usage line names its arguments with :func:`_usage_name`. Idempotent."""
    from typer.core import TyperArgument

    if not getattr(TyperArgument.get_usage_pieces, "usage_name", False):
        def get_usage_pieces(self, ctx) -> list[str]:
            return [_usage_name(self)]

        get_usage_pieces.usage_name = True
        TyperArgument.get_usage_pieces = get_usage_pieces


def _errors_name_their_command(parse_args):
    """``parse_args`` (typer's command's or group's) whose usage errors all carry the context of the command they are
    about: click's parser raised "Option '-k' requires an argument." without one, and :func:`main` could not say
    which command's help to read (``legalret search 유치권 -k`` lacked the "see `legalret search --help`" that an
    unknown option got)."""

    def parse_args_naming_the_command(self, ctx, args):
        try:
            return parse_args(self, ctx, args)
        except UsageError as e:
            if e.ctx is None:
                e.ctx, e.cmd = ctx, ctx.command
            raise

    parse_args_naming_the_command.names_command = True
    return parse_args_naming_the_command


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
        if self.epilog:  # (typer keeps an epilog's line breaks too)
            self.epilog = reflowed(self.epilog)
        return format_help(self, ctx, formatter)

    format_help_names_whole.names_whole = True
    return format_help_names_whole


for _cls in (TyperCommand, TyperGroup):
    if not getattr(_cls.format_help, "names_whole", False):  # (once, should this module be imported again)
        _cls.format_help = _names_whole_in(_cls.format_help)
    if not getattr(_cls.parse_args, "names_command", False):
        _cls.parse_args = _errors_name_their_command(_cls.parse_args)
_usage_names()

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


def _program_name() -> str:
    """The name the CLI was started by, as a usage error's context gives it (``legalret``, ``python -m legalret``)."""
    from typer._click.utils import _detect_program_name

    return _detect_program_name()


def main() -> None:
    try:
        # not standalone: typer would draw a usage error as a box of five lines; here it is one, like every other
        code = app(standalone_mode=False)
    except UsageError as e:
        if isinstance(e, NoArgsIsHelpError):  # `legalret index` alone: its help, as typer shows it
            from typer.rich_utils import rich_format_error  # (rich's layout: not imported on a search's path)

            rich_format_error(e)
            sys.exit(e.exit_code)
        # every usage error ends with where to read its command's help (the program's for one without a command's
        # context: _errors_name_their_command gives one to those of the parser, which had ended with nothing)
        where = e.ctx.command_path if e.ctx is not None else _program_name()
        console.print(f"[bold red]error:[/] {escape(e.format_message())} (see `{escape(where)} --help`)",
                      highlight=False, soft_wrap=True)
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
