"""The ``legalret`` command (``python -m legalret`` too); the commands themselves are in :mod:`legalret.cli`.

A search that will run in this process starts Kiwi in a forked child first
(:class:`~legalret.index.tokenize.TokensAhead`): Kiwi's start-up holds the GIL for over a second, so only another
process can overlap it with parsing the command line, importing, opening the index and loading the query encoder.
It is forked here, before :mod:`legalret.cli` (typer, rich and every command module: ~0.18 s of imports) is loaded,
so that Kiwi — what a cold search waits for — starts that much sooner.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def start_tokenizer(args: list[str]) -> None:
    """For ``legalret search ARGS``: fork the child unless the search will not run here (``--help``, a
    ``LEGALRET_SERVER``, a resident server) — decided from the environment alone, without importing the CLI —
    with the tokenizer settings the searched index records, so that its answer is the one the search needs.
    A setting it cannot read (a ``LEGALRET_HOME`` that is a file, ``LEGALRET_RESIDENT=bogus``) forks nothing: the
    search reads it again and reports it as the one ``error:`` line every command prints (this had been a traceback,
    raised before the CLI that prints it was loaded)."""
    from legalret.config import server_url, use_resident

    try:
        if "--help" in args or server_url() or use_resident():
            return
        recorded = index_tokenizer(args)
    except Exception as e:
        from legalret.errors import LegalretError  # (here, not above: zipfile's ~9 ms would delay the fork)

        if isinstance(e, LegalretError):
            return
        raise
    from legalret.index.tokenize import TokenizerSettings, TokensAhead

    TokensAhead.start(TokenizerSettings.from_dict(recorded) if recorded is not None else None)


def index_tokenizer(args: list[str]) -> dict | None:
    """The tokenizer settings in the manifest of the index ``args`` search (``--index``, else the default index),
    read without the index code (numpy and the rest: ~0.25 s); None when there is none to read (the search
    itself reports why). An index built before Kiwi's default dictionary was dropped records it, for one."""
    from legalret.config import default_index_dir

    index = next((a.split("=", 1)[1] for a in args if a.startswith("--index=")), None)
    if index is None and "--index" in args[:-1]:
        index = args[args.index("--index") + 1]
    folder = Path(index) if index else default_index_dir()
    try:  # (the live generation's pointer, as legalret.index.store.current_generation reads it)
        generation = json.loads((folder / "CURRENT").read_text(encoding="utf-8"))["generation"]
        recorded = json.loads((folder / str(generation) / "manifest.json").read_text(encoding="utf-8"))["tokenizer"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return recorded if isinstance(recorded, dict) else None


def main() -> None:
    if sys.argv[1:2] == ["search"]:
        start_tokenizer(sys.argv[2:])
    from legalret.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
