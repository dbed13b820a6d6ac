"""Four things new users found at ``legalret search`` and the CLI's help:

1. the usage line of ``legalret search --help`` read ``legalret search [OPTIONS] {query}...`` (typer 0.29's braces
   around the argument's own name): every usage line now names its arguments as click does, ``QUERY...``,
   ``[FILE]``, ``[SOURCES]...``;
2. ``legalret search 유치권 -k`` said "Option '-k' requires an argument." without the "(see `legalret search
   --help`)" every other usage error ended with (click's parser raised it without the command's context);
3. at 80 columns ``legalret ingest --help`` read "법률, 시행령, 시행규 …": a Korean word at the end of a help line was
   cut short with "…" (rich counts the space after it in characters, a Hangul syllable being two cells), as if the
   word were broken in two; a word wider than its column was cut with "…" too, not folded;
4. ``legalret search --json`` gave ``probability`` to a re-ranked hit only: a cited article (relevance 100) and
   every hit of another mode had no such key, and a withheld guess ``null`` only where it had had one — every hit
   now carries both keys, null where there is no such number.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.cli import app  # noqa: E402

runner = CliRunner()
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}
REPO = Path(__file__).resolve().parents[1]


def _help(args: list[str], width: int) -> str:
    return _help_of(tuple(args), width)


@functools.lru_cache(maxsize=None)  # (each help is read at several widths, beside the same help too wide to wrap)
def _help_of(args: tuple[str, ...], width: int) -> str:
    r = runner.invoke(app, [*args, "--help"], env={**ENV, "COLUMNS": str(width)}, terminal_width=width)
    assert r.exit_code == 0, r.output
    return r.stdout


def _commands() -> list[tuple[str, ...]]:
    """The path of the app and of every command and group under it."""
    import typer.main

    def walk(group, path):
        yield path
        for name, command in (getattr(group, "commands", None) or {}).items():
            yield from walk(command, (*path, name))

    return list(walk(typer.main.get_command(app), ()))


# --- 1. usage lines name their arguments in capitals ----------------------------------------------------------------


def test_search_usage_line_reads_query_in_capitals():
    usage = [line.strip() for line in _help(["search"], 80).splitlines() if "Usage:" in line]
    assert usage == ["Usage: legalret search [OPTIONS] QUERY..."]


@pytest.mark.parametrize("path, usage", [
    (("ingest",), "Usage: legalret ingest [OPTIONS] SOURCES..."),
    (("fix-text",), "Usage: legalret fix-text [OPTIONS] [FILE]"),
    (("index", "add"), "Usage: legalret index add [OPTIONS] [SOURCES]..."),
    (("corpus", "pull"), "Usage: legalret corpus pull [OPTIONS] [TARGETS]..."),
])
def test_every_usage_line_names_arguments_as_click_does(path, usage):
    assert usage in _help(list(path), 80)


def test_no_usage_line_has_braces_or_a_lower_case_argument():
    for path in _commands():
        (line,) = [line.strip() for line in _help(list(path), 200).splitlines() if "Usage:" in line]
        words = line.split()[2 + len(path):]  # what follows "Usage: legalret <path>"
        assert "{" not in line and all(w == w.upper() for w in words), (path, line)


# --- 2. every usage error ends with where to read the command's help ------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "legalret", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **ENV, "COLUMNS": "300"}, cwd=REPO, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("args, line", [
    (["search", "유치권", "-k"], "error: Option '-k' requires an argument. (see `python -m legalret search --help`)"),
    (["search", "유치권", "--top-k"],
     "error: Option '--top-k' requires an argument. (see `python -m legalret search --help`)"),
    (["index", "add", "--index"], "error: Option '--index' requires an argument. (see `python -m legalret index add "
                                  "--help`)"),
    (["search", "유치권", "-k", "many"], "error: Invalid value for '-k' / '--top-k': Input should be a valid "
                                        "integer, unable to parse string as an integer (see `python -m legalret search "
                                        "--help`)"),
])
def test_a_usage_error_is_one_line_ending_with_the_help_hint(args, line):
    proc = _cli(*args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == line + "\n"


def test_with_json_the_same_error_is_one_json_line_on_stdout():
    proc = _cli("search", "유치권", "--json", "-k")
    assert proc.returncode == 2
    assert proc.stdout.splitlines() == ['{"error": "Option \'-k\' requires an argument.", "exit": 2}']
    assert proc.stderr == "error: Option '-k' requires an argument. (see `python -m legalret search --help`)\n"


@pytest.mark.parametrize("args, command", [
    (["search", "유치권", "--bogus"], "search"),
    (["search", "-x"], "search"),        # (the dash hint)
    (["search", "--top-k"], "search"),   # (the dash hint of an option without its value)
    (["search", "--index"], "search"),
    (["serch", "유치권"], ""),            # (no such command: the program's help)
    (["--bogus"], ""),
    (["index", "build", "--bogus"], "index build"),
])
def test_every_usage_error_names_its_commands_help(args, command):
    """Whatever the usage error — the parser's, an option's value, a missing or unknown option or command, the dash
    hint — its one line ends with the hint."""
    proc = _cli(*args)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.endswith(f" (see `{' '.join(['python -m legalret', command]).strip()} --help`)\n"), proc.stderr


# --- 3. help text wraps between words, Korean ones too --------------------------------------------------------------


_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_NOT_TEXT = re.compile(r"[\s│╭╮╰╯─]+")  # spaces and a panel's borders


def _hangul_words(out: str) -> list[str]:
    """The words (between spaces and borders) of a help that hold Hangul, in reading order."""
    return [w for w in _NOT_TEXT.split(out) if _HANGUL.search(w)]


@pytest.mark.parametrize("width", [120, 93, 80, 67, 60])
def test_no_korean_word_is_broken_in_any_help(width):
    """At these widths every Korean word fits its column: each is shown whole, as often as in a help too wide to wrap
    (``--kind`` of ``legalret ingest --help`` had read "시행령, 시행규 …" at 80 columns)."""
    checked = 0
    for path in _commands():
        whole = Counter(_hangul_words(_help(list(path), 1000)))
        out = _help(list(path), width)
        assert Counter(_hangul_words(out)) == whole, (path, width)
        assert out.count("…") == _help(list(path), 1000).count("…"), (path, width)  # (nothing cut short)
        checked += sum(whole.values())
    assert checked > 10  # (ingest, search, corpus pull, index build|add, bench quality)


def test_ingest_kind_help_at_80_columns_reads_every_kind():
    out = _help(["ingest"], 80)
    assert "법률, 시행령, 시행규칙" in out and "시행규 …" not in out


@pytest.mark.parametrize("width", [50, 40])
def test_a_word_wider_than_its_column_is_folded_not_cut(width):
    """At 40 columns some help columns are narrower than "(민법,상법)": such a word is folded over two lines, every
    syllable kept, never ended with "…"."""
    for path in _commands():
        wide = _help(list(path), 1000)
        out = _help(list(path), width)
        syllables = lambda text: "".join(_HANGUL.findall(text))  # noqa: E731
        assert syllables(out) == syllables(wide), (path, width)
        assert out.count("…") == wide.count("…"), (path, width)


def test_search_help_at_40_columns_folds_the_law_example():
    lines = [line.strip("│ ") for line in _help(["search"], 40).splitlines()]
    at = next(i for i, line in enumerate(lines) if line.endswith("(민법,상법"))
    assert lines[at + 1].startswith(") or the")


# --- 4. every --json hit carries relevance and probability ----------------------------------------------------------


@pytest.fixture(scope="module")
def ranked(tmp_path_factory):
    """The fixture statutes with BM25, dense (the tiny encoder) and a precedent memory: hybrid is re-ranked."""
    from test_search_memory import PRECEDENTS

    from legalret import pipeline

    index = tmp_path_factory.mktemp("s17") / "idx"
    pipeline.build(sup.articles(), index, model=str(sup.tiny_model_dir()), precedents=PRECEDENTS)
    return index


QUESTION = "타인의 물건을 점유한 자가 유치권을 주장할 수 있는지"


def _json(index, *args: str) -> list[dict]:
    r = runner.invoke(app, ["search", *args, "--index", str(index), "-k", "8", "--json"], env=ENV)
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert lines and all({"relevance", "probability"} <= set(line) for line in lines), lines
    return lines


def test_ranked_hits_give_the_probability_and_its_rounded_share(ranked):
    hits = _json(ranked, QUESTION)
    assert all(h["probability"] is not None and h["relevance"] == round(100 * h["probability"]) for h in hits)
    under = [h for h in hits if h["relevance"] == 0]  # (d) a share under 1 %: 0 here, "<1" in the table
    assert under and all(0 < h["probability"] < 0.005 for h in under)
    table = runner.invoke(app, ["search", QUESTION, "--index", str(ranked), "-k", "8"], env=ENV)
    assert table.exit_code == 0 and "<1" in table.stdout


def test_a_cited_article_has_relevance_100_and_a_null_probability(ranked):
    cited, *rest = _json(ranked, "민법 제750조 " + QUESTION)
    assert cited["key"] == "민법 제750조" and (cited["relevance"], cited["probability"]) == (100, None)
    assert rest and all(isinstance(h["probability"], float) for h in rest)


def test_other_modes_give_a_null_probability(ranked):
    for mode in ("bm25", "convex", "rrf"):
        hits = _json(ranked, QUESTION, "--mode", mode)
        assert all(h["probability"] is None and isinstance(h["relevance"], int) for h in hits), mode


def test_a_withheld_relevance_is_null_with_a_null_probability(ranked):
    hits = _json(ranked, "What is a lien?")  # no Korean: the hits are guesses, their numbers withheld
    assert all(h["relevance"] is None and h["probability"] is None for h in hits)


def test_the_help_says_what_0_and_null_mean():
    out = " ".join(_help(["search"], 200).split())
    assert "every hit carries relevance and probability" in out
    assert "0 means under 1 % (the table's \"<1\")" in out and "null when withheld" in out
