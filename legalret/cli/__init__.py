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

:class:`legalret.errors.LegalretError` raised by any command is printed as one red line, exit code 1.
"""

from __future__ import annotations

import importlib
import json
import sys

import typer
from rich.markup import escape

from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from legalret.errors import LegalretError
from legalret.progress import console

app = typer.Typer(
    name="legalret",
    help="Korean statute retrieval: ingest statutes, build a hybrid index, search, train, benchmark.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

_MODULES = ("ingest", "fixtext", "corpus", "model", "index", "search", "pairs", "train", "bench", "doctor", "serve", "server", "mcp")
for _name in _MODULES:
    importlib.import_module(f"legalret.cli.{_name}").register(app)


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
        sys.exit(e.exit_code)
    except ClickException as e:
        console.print(f"[bold red]error:[/] {escape(e.format_message())}", highlight=False, soft_wrap=True)
        sys.exit(e.exit_code)
    except typer.Abort:
        console.print("aborted", highlight=False)
        sys.exit(1)
    except LegalretError as e:
        console.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False, soft_wrap=True)
        if "--json" in sys.argv[1:]:  # a script reading stdout gets the failure as JSON too, not an empty stream
            sys.stdout.write(json.dumps({"error": str(e)}, ensure_ascii=False) + "\n")
        sys.exit(1)
    if code == 130:  # Ctrl-C: typer returns 130 without a word (a bench run had simply stopped, nothing said)
        console.print("[yellow]interrupted[/] (Ctrl-C)", highlight=False)
    sys.exit(code or 0)  # a command's `typer.Exit(code)` (commands return nothing)
