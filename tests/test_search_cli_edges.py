"""Three things a new user found at ``legalret search`` and ``--help``:

* a search with no hits (``legalret search "민법 제9999조" --json``) printed nothing on stdout, exit 0 — why nothing
  was found (the notices) went to stderr alone, each hit's line carrying them and there being no hit;
* the "question begins with a dash" hint answered the command's own options: ``legalret search --json`` (no
  question) said "write it after --: legalret search -- --json", ``legalret search -k 3`` "legalret search -- -k";
* at 80 columns (a pipe, a default terminal) ``--help`` cut long option names: ``--reread-decisio…``,
  ``--no-reread-dec…``, ``--accept-uncerta…``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.cli import app  # noqa: E402
from legalret.index import build_index  # noqa: E402
from terminal_support import at_terminal, in_pipe, json_hits, notes, shell_env  # noqa: E402

runner = CliRunner()
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}
MISSING = "Missing argument 'query'."


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """The fixture statutes, BM25 only."""
    idx = tmp_path_factory.mktemp("edges") / "idx"
    build_index(sup.articles(), idx, model="none")
    return idx


def _json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


# --- 1. no hits: one JSON line with the notices ---------------------------------------------------------------------


NOT_HERE = "cited article 민법 제9999조 is not in this index: 민법 as indexed has no such article (its last is 제751조)"


def test_no_hits_is_one_json_line_with_the_notices(index):
    r = runner.invoke(app, ["search", "민법 제9999조", "--index", str(index), "--json"], env=ENV)
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [json.dumps({"hits": 0, "notices": [NOT_HERE]}, ensure_ascii=False)]
    (line,) = _json_lines(r.stdout)
    assert "key" not in line and "rank" not in line  # (no reader takes it for a hit)
    assert json_hits(r.stdout) == [] and f"note: {NOT_HERE}" in r.stderr  # (the terminal's note, as before)
    # hits found: no such line, every line a hit as before
    r = runner.invoke(app, ["search", "민법 제750조", "--index", str(index), "--json", "-k", "2"], env=ENV)
    lines = _json_lines(r.stdout)
    assert r.exit_code == 0 and lines and all("key" in h and "rank" in h for h in lines), r.output


def test_no_hits_under_a_filter_is_a_line_saying_why(index):
    """A filter that leaves nothing (유치권 is 민법's): a script reading stdout gets the line, not an empty stream it
    cannot tell from a crash before any output — and, since the filter's own coverage is checked, why (it had been
    ``"notices": []``)."""
    r = runner.invoke(app, ["search", "유치권", "--index", str(index), "--json", "--law", "상법"], env=ENV)
    assert r.exit_code == 0, r.output
    why = ("nothing in the query matched this index within the filter (상법): no article of it contains '유치권'; any "
           "hits are only the nearest guesses — widen the filter or ask in other words")
    assert json.loads(r.stdout) == {"hits": 0, "notices": [why]} and r.stdout.count("\n") == 1
    assert notes(r.stderr) == [why]


def test_no_hits_through_a_server_is_the_same_line(index):
    from legalret.serve.server import BackgroundServer

    args = ["search", "민법 제9999조", "--json"]
    local = runner.invoke(app, [*args, "--index", str(index)], env=ENV, catch_exceptions=False)
    with BackgroundServer(index, token="tok") as srv:
        remote = runner.invoke(app, args, env={**ENV, "LEGALRET_SERVER": srv.url, "LEGALRET_TOKEN": "tok",
                                               "LEGALRET_INDEX": str(index)}, catch_exceptions=False)
    assert local.exit_code == remote.exit_code == 0 and remote.stdout == local.stdout
    assert _json_lines(local.stdout) == [{"hits": 0, "notices": [NOT_HERE]}]


def test_no_hits_at_a_terminal_and_in_a_pipe_print_the_same(index, home):
    """At a terminal the search goes through a resident server, in a pipe it runs in this process: the same line."""
    env = shell_env(home)
    args = ["search", "민법 제9999조", "--index", str(index), "--json"]
    rc_t, tty = at_terminal(args, env)
    rc_p, pipe = in_pipe(args, env)
    assert rc_t == rc_p == 0, (tty[-2000:], pipe[-2000:])
    assert "starting a resident search server" in tty  # (the terminal's path indeed)
    assert _json_lines(tty) == _json_lines(pipe) == [{"hits": 0, "notices": [NOT_HERE]}]
    assert notes(tty) == notes(pipe) == [NOT_HERE] and json_hits(tty) == json_hits(pipe) == []


def test_json_hits_skips_lines_that_are_no_hit():
    output = "\n".join(['{"rank": 1, "key": "민법 제750조", "score": 0.123456}', '{"hits": 0, "notices": []}',
                        '{"error": "no index at /x"}', "note: something"])
    assert json_hits(output) == [("민법 제750조", 0.1235)]


# --- 2. the dash hint and the command's own options -----------------------------------------------------------------


HINT = "write it after -- (options before it): legalret search --"


@pytest.mark.parametrize("args", [
    ["--json"],
    ["-k", "3"],
    ["-k3"],
    ["--top-k=3"],
    ["--index", "IDX"],
    ["--index=IDX"],
    ["--json", "--explain", "--mode", "bm25", "--law", "민법", "-k", "3", "--index", "IDX"],
])
def test_own_options_without_a_question_are_a_missing_question(index, args):
    """The options are the command's, with their values: the question is missing, click's usage error as is."""
    args = [a.replace("IDX", str(index)) for a in args]
    r = runner.invoke(app, ["search", *args], env=ENV, standalone_mode=False)
    assert type(r.exception).__name__ == "MissingParameter", r.output
    assert r.exception.format_message() == MISSING and HINT not in r.exception.format_message()


@pytest.mark.parametrize("args, message", [
    (["--json"], f"error: {MISSING}"),
    (["-k", "3"], f"error: {MISSING}"),
    (["-x"], f"error: No such option: -x; to search for text that begins with '-', {HINT} -x"),
    (["--top-k"], "error: --top-k needs a value; to search for the text '--top-k' instead, " + HINT + " --top-k"),
])
def test_the_one_line_a_person_sees(args, message):
    proc = subprocess.run([sys.executable, "-m", "legalret", "search", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **ENV}, stdin=subprocess.DEVNULL)  # (no pipe: no stdin hint)
    assert proc.returncode == 2  # (under --json the one line is on stdout too, as JSON, for a script)
    assert proc.stdout == "" if "--json" not in args else json.loads(proc.stdout) == {"error": MISSING, "exit": 2}
    assert proc.stderr.startswith(message) and proc.stderr.count("\n") == 1, proc.stderr
    if "needs a value" not in message:  # (a lone -k or --top-k is the one case both readings are said)
        assert "needs a value" not in proc.stderr


@pytest.mark.parametrize("args", [
    ["--index", "-k"],          # two of its options without values: a mistyped command, not a question
    ["-k", "-x"],               # -k took -x for its value
    ["-kiwi", "유치권"],         # glued text beside a question: a bad value, as -k many 유치권
])
def test_no_hint_where_no_single_dashed_word_can_be_the_question(index, args):
    r = runner.invoke(app, ["search", *args, "--index", str(index)], env=ENV, standalone_mode=False)
    assert r.exception is not None and r.exit_code != 0, r.output
    assert HINT not in str(getattr(r.exception, "format_message", lambda: "")())


def test_a_glued_short_option_alone_is_hinted_and_the_hint_searches_it(index):
    r = runner.invoke(app, ["search", "-kiwi", "--index", str(index)], env=ENV, standalone_mode=False)
    assert r.exception.format_message().endswith(f"; to search for text that begins with '-', {HINT} -kiwi")
    r = runner.invoke(app, ["search", "--index", str(index), "--json", "--", "-kiwi"], env=ENV)
    assert r.exit_code == 0 and _json_lines(r.stdout), r.output


# --- 3. --help keeps option names whole at 80 columns ---------------------------------------------------------------


def _help(args: list[str], width: int = 80) -> str:
    r = runner.invoke(app, [*args, "--help"], env={**ENV, "COLUMNS": str(width)}, terminal_width=width)
    assert r.exit_code == 0, r.output
    return r.stdout


def test_index_add_help_at_80_columns_shows_whole_option_names():
    out = _help(["index", "add"])
    for name in ("--reread-decisions", "--no-reread-decisions", "--accept-uncertain-repairs", "--allow-removals"):
        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", out), name
    assert "--reread-decisio…" not in out and "--accept-uncerta…" not in out
    assert max(map(len, out.splitlines())) <= 80
    # the --no- name under its option's, the help beside them in the width that is left
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if "│ --reread-decisions " in line)
    assert "--no-reread-decisions" in lines[at + 1] and "When the statutes bring in" in lines[at]


def _commands(group, path=()):
    """``(path, command)`` of every command of the app, groups' included."""
    for name, command in (group.commands if hasattr(group, "commands") else {}).items():
        yield (*path, name), command
        yield from _commands(command, (*path, name))


def test_no_help_cuts_an_option_name_at_80_columns():
    """Every command's every option name, whole in its ``--help`` at 80 columns (and at 60: still whole)."""
    import typer.main

    root = typer.main.get_command(app)
    checked = 0
    for path, command in _commands(root):
        for width in (80, 60):
            out = _help(list(path), width)
            for param in (p for p in command.params if not getattr(p, "hidden", False)):  # (serve --state-file)
                for name in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())):
                    if name.startswith("--"):
                        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", out), (path, width, name)
                        checked += 1
    assert checked > 100  # (every command was read)


def test_the_cli_does_not_import_typers_help_layout_until_a_help_is_shown():
    """The layout patch is made when a help is drawn: ``typer.rich_utils`` (~0.1 s) stays out of a search's start."""
    code = ("import sys, legalret.cli; print('typer.rich_utils' in sys.modules);"
            "from typer.testing import CliRunner; CliRunner().invoke(legalret.cli.app, ['index', '--help']);"
            "print('typer.rich_utils' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert proc.stdout.split() == ["False", "True"], proc.stderr[-2000:]


def test_a_question_piped_in_without_the_dash_is_told_how_to_read_it():
    """`echo 질문 | legalret search -k 2` said only "Missing argument 'query'": with a pipe on stdin the line says that
    the question is read from stdin when the query is "-"."""
    proc = subprocess.run([sys.executable, "-m", "legalret", "search", "-k", "2"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **ENV}, input="유치권\n")
    assert proc.returncode == 2 and proc.stdout == "" and proc.stderr.count("\n") == 1, proc.stderr
    assert "to read the question from stdin, give - as the query: legalret search - [options]" in proc.stderr
