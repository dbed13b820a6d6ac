"""Four things a user saw in the CLI's output:

1. ``legalret search``'s table showed each hit's raw score — the fused score or the re-ranker's logit (8.031, -0.073)
   — where ``--json`` and the page give a 0–100 ``relevance`` (97, 0): the table now shows that relevance, as the page
   writes it ("<1" for a share that rounds to 0, "—" where it is withheld), at a terminal and in a pipe alike;
2. a usage error of a command given ``--json`` (``search --json -k abc 유치권``) left stdout empty, exit 2, where a
   failure of the command (exit 1) prints ``{"error": ...}`` there: both now print one JSON line with the exit code;
3. typer's rich help gave every flag a type, ``--json <bool>``, ``--help <bool>``, as if it took a value;
4. ``legalret corpus list`` at ~100 columns fit a table whose "build (2 cores)" column was 14 cells wide, its header
   broken in two and its texts wrapped every 2–3 words: narrower than a readable table, the listing is blocks.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))  # (index_support, for ranked_s19trim)

from legalret.cli import app  # noqa: E402
from ranked_s19trim import in_process, ranked_index  # noqa: E402
from terminal_support import at_terminal, shell_env  # noqa: E402

runner = CliRunner()
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}
REPO = Path(__file__).resolve().parents[1]
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


# --- 1. the table's relevance is --json's ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ranked(tmp_path_factory):
    """The fixture statutes with BM25, dense (the tiny encoder) and a precedent memory: hybrid is re-ranked, so hits
    carry the re-ranker's probability (relevance 80, 18, and shares that round to 0). (The one
    tests/test_search_cli.py searches too: built once a session.)"""
    return ranked_index(tmp_path_factory)


def table_relevance(output: str) -> list[tuple[str, str]]:
    """``(article, relevance cell)`` of each row of a search table (at 200 columns a row's first line holds both)."""
    rows = []
    for line in _ANSI.sub("", output).splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 3 and cells[1].isdigit():
            rows.append((cells[2], cells[-2]))
    return rows


def page_text(hit: dict) -> str:
    """A hit's number as the page writes it (``relevanceText``, legalret/serve/static/app.js)."""
    value = hit["relevance"]
    if value is None:
        return "—"
    positive = hit.get("probability") is not None or hit["score"] > 0
    return "<1" if value < 1 and "citation" not in hit.get("ranks", {}) and positive else str(value)


QUERIES = ["타인의 물건을 점유한 자가 유치권을 주장할 수 있는지",  # re-ranked: 80, 18, <1 …
           "What is a lien?",  # no Korean: every hit a nearest guess, its relevance withheld
           "민법 제750조"]  # a citation: 100


@pytest.mark.parametrize("query", QUERIES)
def test_the_table_shows_the_relevance_json_gives_not_the_raw_score(ranked, query):
    args = ["search", query, "--index", str(ranked), "-k", "6"]
    as_json = runner.invoke(app, [*args, "--json"], env=ENV)
    table = runner.invoke(app, args, env=ENV)
    assert as_json.exit_code == table.exit_code == 0, table.output
    hits = [json.loads(line) for line in as_json.stdout.splitlines()]
    shown = table_relevance(table.stdout)
    assert shown == [(h["key"], page_text(h)) for h in hits] and shown
    header = next(line for line in table.stdout.splitlines() if "┃ article" in line)
    assert "relevance" in header and "score" not in header
    # no raw score anywhere in the table (negative ones had read as "minus points")
    assert not any(f"{h['score']:.3f}" in table.stdout for h in hits)


def test_what_each_query_shows(ranked):
    """The three kinds of number the page shows, in the table: a probability (with "<1"), withheld, a citation."""
    got = {}
    for query in QUERIES:
        r = runner.invoke(app, ["search", query, "--index", str(ranked), "-k", "6"], env=ENV)
        got[query] = ([cell for _, cell in table_relevance(r.stdout)], _ANSI.sub("", r.stdout))
    cells, out = got[QUERIES[0]]
    assert cells[:2] == ["80", "18"] and "<1" in cells and "0" not in cells
    assert "relevance: the re-ranker's % chance it is the answer" in out
    cells, out = got[QUERIES[1]]
    assert cells and set(cells) == {"—"} and "relevance:" not in out  # (no number to explain, but the dashes:)
    assert "—: no relevance — these hits are only guesses" in out
    cells, out = got[QUERIES[2]]
    assert cells[0] == "100" and "relevance 100: an article the question cites" in out


def test_a_bm25_table_shows_shares_of_the_best(ranked):
    args = ["search", "유치권 점유", "--index", str(ranked), "--mode", "bm25", "-k", "4"]
    hits = [json.loads(line) for line in runner.invoke(app, [*args, "--json"], env=ENV).stdout.splitlines()]
    out = runner.invoke(app, args, env=ENV).stdout
    assert table_relevance(out) == [(h["key"], str(h["relevance"])) for h in hits] and hits[0]["relevance"] == 100
    assert "the score as a share of the top hit's (100), not a probability" in out


@pytest.mark.slow  # a resident server with the torch encoder: ~20 s
def test_a_terminal_and_a_pipe_print_the_same_relevance(ranked, home):
    """At a terminal the search is answered by a resident server, in a pipe in-process: the same numbers."""
    env = shell_env(home)
    args = ["search", QUERIES[0], "--index", str(ranked), "-k", "6"]
    rc_t, tty = at_terminal(args, env)
    # the pipe's in-process answers in this process: a fresh `python -m legalret` for each had cost two more cold
    # starts of the torch encoder besides the resident server's
    rc_p, pipe = in_process(args, env)
    assert rc_t == rc_p == 0, (tty[-2000:], pipe[-2000:])
    assert "starting a resident search server" in tty  # (it was a terminal's search)
    assert table_relevance(tty) == table_relevance(pipe) and table_relevance(pipe)[0][1] == "80"
    rc, as_json = in_process([*args, "--json"], env)
    hits = [json.loads(line) for line in as_json.splitlines() if line.startswith("{")]
    assert table_relevance(tty) == [(h["key"], page_text(h)) for h in hits]


# --- 2. --json usage errors are JSON --------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "300", "LEGALRET_RESIDENT": "off", "LEGALRET_SERVER": ""}
    return subprocess.run([sys.executable, "-m", "legalret", *args], capture_output=True, text=True, timeout=120,
                          env=env, cwd=REPO, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("args, message", [
    (["search", "--json", "-k", "abc", "유치권"], "Invalid value for '-k' / '--top-k'"),
    (["search", "--json", "--bogus", "유치권"], "No such option: --bogus"),
    (["search", "유치권", "--json", "--jsn"], "No such option: --jsn (Possible options: --json)"),
    (["search", "--json"], "Missing argument 'query'."),
    (["index", "add", "--json", "--bogus"], "No such option: --bogus"),
])
def test_a_usage_error_with_json_is_one_json_line_exit_2(args, message):
    proc = _cli(*args)
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stdout.splitlines()
    answer = json.loads(line)
    assert set(answer) == {"error", "exit"} and answer["exit"] == 2 and answer["error"].startswith(message)
    # the terminal's one red line on stderr, as before (and as a failure of the command under --json)
    assert proc.stderr.startswith(f"error: {message}") and proc.stderr.count("\n") == 1


def test_without_json_a_usage_error_leaves_stdout_empty():
    proc = _cli("search", "-k", "abc", "유치권")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: Invalid value for '-k' / '--top-k'") and "Usage:" not in proc.stderr


def test_a_failure_under_json_says_its_exit_code_too_and_json_after_dashes_is_the_question(tmp_path):
    proc = _cli("search", "--json", "--index", str(tmp_path / "nope"), "유치권")
    assert proc.returncode == 1
    (line,) = proc.stdout.splitlines()
    assert json.loads(line)["exit"] == 1 and json.loads(line)["error"].startswith("no index at")
    # after --, "--json" is the question's text: no JSON asked for, none printed
    proc = _cli("search", "--index", str(tmp_path / "nope"), "--", "--json")
    assert proc.returncode == 1 and proc.stdout == "" and proc.stderr.startswith("error: no index at")


# --- 3. flags have no type in --help --------------------------------------------------------------------------------


def _help(args: list[str], width: int) -> str:
    r = runner.invoke(app, [*args, "--help"], env={**ENV, "COLUMNS": str(width)}, terminal_width=width)
    assert r.exit_code == 0, r.output
    return r.stdout


@pytest.mark.parametrize("width", [80, 200])
def test_flags_read_as_plain_flags_in_help(width):
    search = _help(["search"], width)
    add = _help(["index", "add"], width)
    for out in (search, add):
        assert "<bool>" not in out and "bool" not in out
        assert re.search(r"│ --json +(JSON lines|Print the report)", out), out  # the help right after the name
        assert re.search(r"│ --help +Show this message", out)
    assert re.search(r"--top-k +-k +<int>", search) and re.search(r"--index +<path>", add)  # values keep their type
    assert re.search(r"│ --keep-missing +Do not remove", add)


def test_no_command_shows_a_type_for_a_flag():
    import typer.main

    def commands(group, path=()):
        for name, command in (group.commands if hasattr(group, "commands") else {}).items():
            yield (*path, name), command
            yield from commands(command, (*path, name))

    seen = 0
    for path, command in commands(typer.main.get_command(app)):
        assert "<bool>" not in _help(list(path), 80), path
        seen += 1
    assert seen > 20 and "<bool>" not in _help([], 80)


# --- 4. corpus list at 80, ~100 and 200 columns ---------------------------------------------------------------------


def _listing(width: int) -> str:
    r = runner.invoke(app, ["corpus", "list"], env={**ENV, "COLUMNS": str(width), "LEGALRET_CORPORA": ""})
    assert r.exit_code == 0, r.output
    return r.stdout


def test_corpus_list_at_80_and_100_columns_is_blocks_with_whole_labels():
    for width in (80, 100):
        out = _listing(width)
        assert "┃" not in out and "\n  build (2 cores)  " in out  # the blocks, each label on one line
        assert "\ncivil-commercial\n" in out and "318 MB" in out
        assert max(map(len, out.splitlines())) <= width


def test_corpus_list_at_200_columns_is_a_table_with_its_headers_on_one_line():
    out = _listing(200)
    header = next(line for line in out.splitlines() if "┃" in line)
    assert [cell.strip() for cell in header.split("┃")] == ["name", "kinds", "laws", "about", "build (2 cores)", "size"]
    assert max(map(len, out.splitlines())) <= 200


def test_no_width_breaks_a_header_or_squeezes_a_column():
    """At every width the header "build (2 cores)" is whole (a table's header or a block's label), and a table's
    wrapping columns are wide enough to read (it had come at 96 columns with "build (2 cores)" 14 cells wide)."""
    from legalret.cli.corpus import MIN_WRAPPING_WIDTH, print_listing
    from legalret.corpus.manifest import list_manifests

    manifests = list_manifests(notes=False)
    tables = 0
    for width in range(60, 201, 4):
        console = Console(width=width, record=True, file=StringIO(), emoji=False)
        print_listing(manifests, console)
        out = console.export_text()
        assert "build (2 cores)" in out and not re.search(r"build \(2\s*[┃│]?\s*$", out, re.M), width
        if "┃" in out:
            tables += 1
            header = next(line for line in out.splitlines() if "┃" in line)
            widths = [len(cell) - 2 for cell in header.split("┃")[2:5]]  # laws, about, build: the cell less its spaces
            assert min(widths) >= MIN_WRAPPING_WIDTH, (width, widths)
    assert tables  # (the wide ones are tables)


@pytest.mark.parametrize("width", [80, 200])
def test_help_text_wraps_at_the_terminal_not_where_the_docstring_broke(width):
    """The docstring's line breaks (at ~118 columns in the source) had broken sentences mid-way at 80 columns:
    "started on first use (a one-line" / "notice; …"."""
    out = _help(["search"], width)
    text = " ".join(line.strip(" │") for line in out.splitlines() if line.strip())
    assert "started on first use (a one-line notice; ≈0.5–0.7 GB while it runs;" in text
    lines = [line.strip() for line in out.splitlines()]
    assert not any(line.endswith("(a one-line") for line in lines)
    if width == 200:  # a paragraph is one line where it fits
        assert any(line.startswith("In a terminal the search is answered") and "started on first use" in line
                   for line in lines)
    assert max(len(line) for line in out.splitlines()) <= width


def test_a_cited_article_beside_ranked_hits_is_explained_too(ranked):
    """"민법 750 손해배상" showed 100, 72, 5 … under "the re-ranker's % chance it is the answer": the 100 is the cited
    article's, not a probability."""
    out = _ANSI.sub("", runner.invoke(app, ["search", "민법 제750조 손해배상 유치권", "--index", str(ranked), "-k", "5"],
                                      env=ENV).stdout)
    cells = [cell for _, cell in table_relevance(out)]
    assert cells[0] == "100" and len(cells) > 1
    assert "relevance: 100 = an article the question cites; else the re-ranker's % chance it is the answer" in out



def test_version_is_an_option_of_legalret_itself():
    """`legalret --version` had been "No such option" (exit 2): the first line of a bug report."""
    from legalret import __version__

    proc = _cli("--version")
    assert proc.returncode == 0 and proc.stdout == f"legalret {__version__}\n" and proc.stderr == ""
    assert "--version" in _help([], 80) and "Print legalret's version" in _help([], 80)
