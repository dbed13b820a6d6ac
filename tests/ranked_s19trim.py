"""What the terminal-vs-pipe tests of ``tests/test_search_cli.py`` and ``tests/test_cli_output_s16.py`` share.

* :func:`ranked_index`: the fixture statutes with BM25, dense (the tiny encoder) and a precedent memory — hybrid is
  re-ranked. Both modules searched the same build of it, each its own (a pipeline build with the torch encoder:
  10–30 s); neither writes to it, so one build serves the session.
* :func:`in_process`: ``legalret ARGS`` as :func:`terminal_support.in_pipe` runs it — a person's shell whose stdout
  is no terminal, so the CLI decides itself to search in-process — but in this process: a fresh ``python -m
  legalret`` paid a 5–30 s cold start (torch, Kiwi, the encoder) for the in-process answer the terminal's is
  compared with, where the pytest process has them loaded.

Usage::

    index = ranked_index(tmp_path_factory)
    rc, output = in_process(["search", "유치권", "--index", str(index), "--json"], shell_env(home))
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from terminal_support import NOT_IN_A_SHELL

_BUILT: list[Path] = []


def ranked_index(tmp_path_factory) -> Path:
    """The session's one re-ranked fixture index (built on first use, under the session's temporary folder)."""
    if not _BUILT:
        import index_support as sup
        from test_search_memory import PRECEDENTS

        from legalret import pipeline

        index = tmp_path_factory.mktemp("ranked") / "idx"
        pipeline.build(sup.articles(), index, model=str(sup.tiny_model_dir()), precedents=PRECEDENTS)
        _BUILT.append(index)
    return _BUILT[0]


def in_process(args: list[str], env: dict) -> tuple[int, str]:
    """(exit code, stdout + stderr) of ``legalret ARGS`` run here with the shell's environment ``env``: the variables
    a person's shell lacks (:data:`terminal_support.NOT_IN_A_SHELL`, pytest's own among them) are unset while it
    runs, so that whether to search in-process is the CLI's own decision, as in a pipe (stdout is no terminal)."""
    from legalret.cli import app

    full = {**{name: None for name in NOT_IN_A_SHELL}, **env}
    r = CliRunner().invoke(app, args, env=full)
    return r.exit_code, r.output
