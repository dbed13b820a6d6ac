"""Five things testers found in how a query is read and how ``legalret search --json`` answers:

* ``민법 750 1항`` kept 민법 제750조 but dropped its 제1항 (``민법 제750조 제1항`` kept it): the 1항 was searched as words
  and the paragraph never checked;
* ``제1호의2`` (an inserted item) was read as 제1호 — another item;
* ``CCTV`` alone got the "ask in Korean" notice meant for questions in English;
* ``--json`` hits had no ``relevance`` (the API's have) and carried none of the notices the terminal prints;
* ``legalret search "-k"`` was read as the option, and the error did not say how to search it (after ``--``) —
  a hint then given for the command's own options too (``legalret search -k 3``: "legalret search -- -k"); those
  are tests/test_search_cli_edges.py's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer._click.exceptions import UsageError
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.articles import Article, Item, Paragraph  # noqa: E402
from legalret.cli import app  # noqa: E402
from legalret.index import build_index  # noqa: E402
from legalret.keys import LawNames  # noqa: E402
from legalret.search.citations import find_citations, unresolved_citations  # noqa: E402
from legalret.search.coverage import NOT_KOREAN, NOTHING_MATCHED  # noqa: E402
from legalret.search.prepare import acronyms_only  # noqa: E402
from legalret.search.searcher import Searcher  # noqa: E402
from legalret.serve.app import create_app  # noqa: E402
from legalret.serve.live import LiveSearcher  # noqa: E402

NAMES = LawNames(["민법", "상법", "근로기준법"])
runner = CliRunner()
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}


def cited(query: str) -> list[tuple[str, int | None, int | None, int]]:
    return [(c.key, c.paragraph, c.item, c.item_branch) for c in find_citations(query, NAMES)]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """The fixture statutes and 근로기준법 제2조 (items 1, 2 and 2의2 in its 제1항), BM25 only."""
    labour = Article("근로기준법", 2, title="정의", kind="법률", paragraphs=[
        Paragraph(1, "이 법에서 사용하는 용어의 뜻은 다음과 같다.", items=[
            Item("1", "\"근로자\"란 임금을 목적으로 사업이나 사업장에 근로를 제공하는 사람을 말한다."),
            Item("2", "\"사용자\"란 사업주 또는 사업 경영 담당자를 말한다."),
            Item("2의2", "\"근로\"란 정신노동과 육체노동을 말한다.")])])
    idx = tmp_path_factory.mktemp("parsing") / "idx"
    build_index([*sup.articles(), labour], idx, model="none")
    return idx


@pytest.fixture(scope="module")
def searcher(index):
    return Searcher(index)


# --- 1. a bare article number followed by a paragraph ---------------------------------------------------------------


def test_a_bare_number_keeps_its_paragraph_and_item():
    assert cited("민법 750 1항") == cited("민법 제750조 제1항") == [("민법 제750조", 1, None, 0)]
    assert cited("민법 750 제1항") == cited("민법750 1항") == cited("민법 750의 1항") == [("민법 제750조", 1, None, 0)]
    assert cited("민법 750 1항 2호") == cited("민법 제750조 제1항 제2호") == [("민법 제750조", 1, 2, 0)]
    assert cited("민법 750의2 1항") == [("민법 제750조의2", 1, None, 0)]
    # more paragraphs after it, and the numbers listed after those, as after 제750조 제1항
    assert cited("민법 750 1항 및 2항, 751") == [("민법 제750조", 1, None, 0), ("민법 제750조", 2, None, 0),
                                             ("민법 제751조", None, None, 0)]
    assert cited("민법 750, 751 2항") == [("민법 제750조", None, None, 0), ("민법 제751조", 2, None, 0)]
    c = find_citations("민법 750 1항에 따른 책임", NAMES)[0]
    assert (str(c), c.raw, c.start, c.end) == ("민법 제750조 제1항", "민법 750 1항", 0, 9)
    # what was not a citation stays so: a count after the number, a number glued to a word
    assert cited("민법 750 3년") == [("민법 제750조", None, None, 0)]
    assert cited("시민법750 1항") == []


def test_a_bare_number_with_a_paragraph_is_searched_as_the_article_is(searcher):
    """Same hits, scores and notices as ``민법 제751조 제2항``: the citation alone (1항 is no word to search for), and a
    paragraph the article lacks is said."""
    for bare, full in (("민법 751 2항", "민법 제751조 제2항"), ("민법 751 3항", "민법 제751조 제3항")):
        a, b = searcher.search(bare, k=5), searcher.search(full, k=5)
        assert [(h.key, h.score) for h in a] == [(h.key, h.score) for h in b] == [("민법 제751조", b[0].score)]
        assert a.notices == b.notices
    assert searcher.search("민법 751 3항", k=5).notices == ["cited article 민법 제751조 has no 제3항"]
    assert searcher.search("민법 751 2항", k=5)[0].reasons == ["exact citation '민법 751 2항'"]


# --- 2. item branches: 제1호의2 ----------------------------------------------------------------------------------------


def test_an_item_branch_is_read():
    assert cited("근로기준법 제2조 제1항 제1호의2") == [("근로기준법 제2조", 1, 1, 2)]
    assert cited("근로기준법 제2조 제1항 제3호의 2") == [("근로기준법 제2조", 1, 3, 2)]
    assert cited("근로기준법 2 1항 1호의2") == [("근로기준법 제2조", 1, 1, 2)]
    assert cited("근로기준법 제2조 제1항 제1호") == [("근로기준법 제2조", 1, 1, 0)]
    c = find_citations("근로기준법 제2조 제1항 제1호의2를 보면", NAMES)[0]
    assert (str(c), c.raw) == ("근로기준법 제2조 제1항 제1호의2", "근로기준법 제2조 제1항 제1호의2")
    # 제1호 and 제1호의2 are two items, each kept
    assert cited("근로기준법 제2조 제1항 제1호, 제1항 제1호의2") == [("근로기준법 제2조", 1, 1, 0),
                                                           ("근로기준법 제2조", 1, 1, 2)]
    assert cited("근로기준법 제2조 제1항 제1호, 제2항 제3호의2") == [("근로기준법 제2조", 1, 1, 0),
                                                            ("근로기준법 제2조", 2, 3, 2)]
    # 의 before a word is the possessive (제1호의 규정), and a number followed by 조/항/호 no branch
    assert cited("근로기준법 제2조 제1호의 규정") == [("근로기준법 제2조", None, 1, 0)]
    assert cited("근로기준법 제2조 제1호의 2항") == [("근로기준법 제2조", None, 1, 0)]
    assert unresolved_citations("근로기준법 제2조 제1항 제1호의2", NAMES) == []


def test_article_branches_are_read_as_before():
    assert cited("상법 제651조의2") == cited("상법 651조의2") == cited("상법 제651조의 2") == [("상법 제651조의2", None, None, 0)]
    assert cited("상법 제651조의2 제1항 제3호의2") == [("상법 제651조의2", 1, 3, 2)]
    assert cited("상법 651의2") == [("상법 제651조의2", None, None, 0)]


def test_an_item_branch_is_searched_as_the_citation_it_is(searcher):
    """The whole citation is the reason, and 의2 is no word left to search for: the cited article alone."""
    results = searcher.search("근로기준법 제2조 제1항 제2호의2", k=5)
    assert [h.key for h in results] == ["근로기준법 제2조"] and results.notices == []
    assert results[0].reasons == ["exact citation '근로기준법 제2조 제1항 제2호의2'"]


# --- 3. acronyms are no English question ----------------------------------------------------------------------------


def test_acronyms_only():
    for query in ("CCTV", "ＣＣＴＶ", "M&A", "DNA GPS", "5G", "COVID-19", "(CCTV)?"):
        assert acronyms_only(query), query
    for query in ("what is adverse possession", "What is a lien?", "WHAT IS A LIEN", "ADVERSE POSSESSION", "Cctv",
                  "A", "750", "", "Привет", "CCTV лит"):
        assert not acronyms_only(query), query


def test_an_acronym_alone_gets_no_ask_in_korean_notice(searcher):
    (note,) = searcher.search("CCTV", k=3).notices
    assert note == ("nothing in the query matched this index: no article contains 'cctv'; any hits are only the "
                    "nearest guesses — check the spelling or ask in other words")
    assert note.startswith(NOTHING_MATCHED) and not note.startswith(NOT_KOREAN)  # (as the API's relevance reads them)
    (note,) = searcher.search("what is adverse possession", k=3).notices
    assert note.startswith(NOT_KOREAN) and "ask in Korean" in note


# --- 4. --json: relevance and notices, as the API gives them --------------------------------------------------------


def _json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("query", ["간접점유 점유권", "형법 제250조 점유", "유치권 퀘이사르프로브 블라쿠쿠 시험용"])
def test_json_hits_carry_the_apis_relevance_and_notices(index, query):
    api = TestClient(create_app(LiveSearcher(index))).get("/api/search", params={"q": query, "k": 5}).json()
    r = runner.invoke(app, ["search", query, "--index", str(index), "--json", "-k", "5"], env=ENV)
    assert r.exit_code == 0, r.output
    lines = _json_lines(r.stdout)
    assert lines and [h["key"] for h in lines] == [h["key"] for h in api["hits"]]
    assert [h["relevance"] for h in lines] == [h["relevance"] for h in api["hits"]]
    assert all(h["notices"] == api["notices"] for h in lines)
    assert "citation" not in lines[0] and "signals" not in lines[0]  # (the page's fields stay out)
    for note in api["notices"]:  # what the terminal prints on stderr is in the JSON too
        assert f"note: {note}" in r.stderr
    if query == "간접점유 점유권":
        assert api["notices"] == [] and lines[0]["relevance"] == 100 and 0 < lines[-1]["relevance"] < 100
    else:  # (an unknown law; most words matching nothing)
        assert api["notices"] and lines[0]["notices"] == api["notices"]


def test_json_through_a_server_equals_in_process_notices_included(index):
    from legalret.serve.server import BackgroundServer

    args = ["search", "형법 제250조 점유", "--json", "-k", "3"]
    # (the index as the default one on both sides: the notice's command to add 형법 names --index only for another)
    local = runner.invoke(app, args, env={**ENV, "LEGALRET_INDEX": str(index)}, catch_exceptions=False)
    with BackgroundServer(index, token="tok") as srv:
        remote = runner.invoke(app, args, env={**ENV, "LEGALRET_SERVER": srv.url, "LEGALRET_TOKEN": "tok",
                                               "LEGALRET_INDEX": str(index)}, catch_exceptions=False)
    assert local.exit_code == remote.exit_code == 0 and remote.stdout == local.stdout
    first = _json_lines(local.stdout)[0]
    assert "relevance" in first and first["notices"][0] == ("'형법 제250조': 형법 is not in this index (add it with "
                                                            "`legalret index add criminal`)")


# --- 5. a query that begins with a dash -----------------------------------------------------------------------------


HINT = "to search for text that begins with '-', write it after -- (options before it): legalret search -- "


def own_option_hint(option: str) -> str:
    """The one line for one of the command's own options given without its value: the option missing its value
    and a question that is the option's name cannot be told apart, so it says both."""
    return (f"{option} needs a value; to search for the text '{option}' instead, write it after -- (options before "
            f"it): legalret search -- {option}")


@pytest.mark.parametrize("args, hint", [
    (["-x", "--index", "IDX"], "-x"),                   # no such option
    (["-유치권 성립", "--index", "IDX"], "'-유치권 성립'"),  # (quoted for a shell)
    (["-k 유치권", "--index", "IDX"], "'-k 유치권'"),      # -k with text glued on that is no number of hits
])
def test_a_dash_first_query_error_says_how_to_search_it(index, args, hint):
    args = [str(index) if a == "IDX" else a for a in args]
    r = runner.invoke(app, ["search", *args], env=ENV, standalone_mode=False)
    assert isinstance(r.exception, UsageError), r.output
    message = r.exception.format_message()
    assert message.endswith("; " + HINT + hint) and "\n" not in message


@pytest.mark.parametrize("args, option", [
    (["-k"], "-k"),                                     # read as -k without its value
    (["-k", "--index", "IDX"], "-k"),                   # -k took the next option as its value
    (["--json", "-k"], "-k"),                           # (another option before it)
    (["--index"], "--index"),
])
def test_an_own_option_without_its_value_and_no_question_says_both(index, args, option):
    args = [str(index) if a == "IDX" else a for a in args]
    r = runner.invoke(app, ["search", *args], env=ENV, standalone_mode=False)
    assert isinstance(r.exception, UsageError), r.output
    assert r.exception.format_message() == own_option_hint(option)


@pytest.mark.parametrize("args", [
    ["유치권", "-k", "many", "--index", "IDX"],  # a bad value beside a question
    ["-k", "many", "유치권", "--index", "IDX"],  # (the option first, the question after it)
    ["유치권", "--jsn", "--index", "IDX"],       # a typo click names the option of ("Possible options: --json")
    ["유치권", "--index"],                       # an option at the end without its value
    ["-k", "3", "--index", "IDX"],               # the command's own options, given their values: no question
])
def test_other_usage_errors_get_no_such_hint(index, args):
    args = [str(index) if a == "IDX" else a for a in args]
    r = runner.invoke(app, ["search", *args], env=ENV, standalone_mode=False)
    assert isinstance(r.exception, UsageError) and HINT not in r.exception.format_message()
    assert "needs a value; to search for the text" not in r.exception.format_message()


def test_the_hinted_command_searches_the_dashed_text(index):
    """``legalret search -- -k`` (the hint's command) runs, options before the ``--``; the error is one line, exit 2."""
    r = runner.invoke(app, ["search", "--index", str(index), "--json", "-k", "2", "--", "-k"], env=ENV)
    assert r.exit_code == 0 and f"note: {NOT_KOREAN} (Hangul or Hanja), and no article contains 'k'" in r.stderr
    r = runner.invoke(app, ["search", "--index", str(index), "--json", "-k", "2", "--", "-유치권"], env=ENV)
    assert r.exit_code == 0 and [h["key"] for h in _json_lines(r.stdout)][0] == "민법 제320조", r.output
    proc = subprocess.run([sys.executable, "-m", "legalret", "search", "-k"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **ENV})
    assert proc.returncode == 2 and proc.stdout == ""
    # (every usage error ends with where to read its command's help)
    assert proc.stderr == f"error: {own_option_hint('-k')} (see `python -m legalret search --help`)\n"

