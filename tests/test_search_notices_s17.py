"""Misleading notices in search answers, found by a new user (session 17).

1. An invented article of a law the index holds read as a gap in the index: ``형법 제329조의2`` on an index of 형법 said
   "cited article 형법 제329조의2 is not in this index", as of a law it lacks. The line goes on to say that the law is
   there and the article is not in its text, and where the law ends: "…: 형법 as indexed has no such article (its last
   is 제372조)" (its start is as it was: the page and legalret.serve.wording read it). A law the index lacks keeps its
   own notice.
2. A citation of a law the index lacks got a second notice beside the one that says so: "형법 제250조" on an index
   without 형법 also said "no article contains '형법'" (with a precedent memory: "… the hits are the articles earlier
   decisions using '형법' cite"; "근기법 23조": "most of the query matched nothing … ('근기', '근기법' …)"). A cited law's
   name, and its pieces, are no words of the question for the coverage notice (legalret.search.coverage).
3. With 근로기준법 시행령 indexed but not 근로기준법, "근로기준법 제23조" said "근로기준법 is not in this index (did you
   mean 근로기준법 시행령?)", and ``--law 근로기준법`` "did you mean 근로기준법 시행령?": another document, with no
   command that adds the act. A "did you mean" never offers a law's decree for the law, nor the law for its decree;
   the notice gives the command that adds it, as "근기법 23조" did.
4. ``--law 근기볍`` (a mistyped short name) got no "did you mean", where ``--law 형볍`` got one: the short names
   (근기법, 형소법, 주임법 …) are candidates too, for the filter and for a citation (``근기볍 제23조``).

By the real CLI on small BM25-only indexes built from the shared statute mirror (skipped without it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from legalret.cli import app
from legalret.keys import LawNames, known_laws
from legalret.search.citations import cited_law_names, suggested_laws, unresolved_citations
from legalret.search.coverage import NOTHING_MATCHED, coverage_notes, filtered_notes
from legalret.search.relevance import absent_law_guesses
from legalret.serve.wording import lawyer_view

sys.path.insert(0, str(Path(__file__).parent))
from _relevance_hits_s19 import rated  # noqa: E402

runner = CliRunner()
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}


def _build(shared_data: Path, folder: Path, laws: list[str], kinds: list[str] | None = None) -> Path:
    from legalret.index import build_index
    from legalret.ingest import ingest

    idx = folder / "idx"
    build_index(ingest([shared_data / "statutes" / "legalize-kr.zip"], laws=laws, kinds=kinds).articles, idx,
                model="none")
    return idx.resolve()


@pytest.fixture(scope="module")
def criminal(shared_data, tmp_path_factory) -> Path:
    """형법 and 근로기준법 (the acts, no decree), BM25 only."""
    return _build(shared_data, tmp_path_factory.mktemp("notices_s17_criminal"), ["형법", "근로기준법"], ["법률"])


@pytest.fixture(scope="module")
def decree(shared_data, tmp_path_factory) -> Path:
    """민법 and 근로기준법 시행령 alone (not the act), BM25 only."""
    return _build(shared_data, tmp_path_factory.mktemp("notices_s17_decree"), ["민법", "근로기준법 시행령"])


def _notices(index: Path, query: str, *more: str) -> list[str]:
    """The notices of ``legalret search QUERY --json`` (the first line's: every hit carries them, or the one line of
    an answer without hits)."""
    r = runner.invoke(app, ["search", query, "--index", str(index), "-k", "2", "--json", *more], env=ENV)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout.splitlines()[0])["notices"]


def _filter_error(index: Path, law: str) -> str:
    """The one-line error of ``legalret search … --law LAW`` for a law the index does not hold (``legalret.cli.main``
    prints it as ``error: …`` on stderr)."""
    r = runner.invoke(app, ["search", "해고", "--index", str(index), "--law", law], env=ENV)
    assert r.exit_code != 0 and "\n" not in str(r.exception)
    return str(r.exception)


def _add(index: Path, manifest: str) -> str:
    return f"add it with `legalret index add {manifest} --index {index}`"


# ---- 1. an invented article of a law the index holds -------------------------------------------------------------
def test_an_invented_article_of_a_held_law_says_the_law_has_no_such_article(criminal):
    # (before: "cited article 형법 제329조의2 is not in this index", as of a law the index lacks)
    r = runner.invoke(app, ["search", "형법 제329조의2", "--index", str(criminal), "--json"], env=ENV)
    # (a branch of an article it holds: "has 제329조 but no 제329조의2"; past its end, "its last is", below)
    invented = "cited article 형법 제329조의2 is not in this index: 형법 as indexed has 제329조 but no 제329조의2"
    assert r.exit_code == 0 and r.stdout.splitlines() == [json.dumps({"hits": 0, "notices": [invented]},
                                                                     ensure_ascii=False)]
    plain = runner.invoke(app, ["search", "형법 제329조의2", "--index", str(criminal)], env=ENV)
    assert plain.exit_code == 0 and f"note: {invented}" in plain.output
    # past the law's end, and as typed (the citation as written is named, as before)
    assert _notices(criminal, "형법 제999조") == [
        "cited article 형법 제999조 is not in this index: 형법 as indexed has no such article (its last is 제372조)"]
    assert _notices(criminal, "근로기준법 116조의3 해고") == [
        "cited article 근로기준법 제116조의3 (근로기준법 116조의3) is not in this index: 근로기준법 as indexed has no "
        "such article (its last is 제116조)"]
    # still read as a citation of a law the index holds: the hits beside it keep their numbers
    assert not absent_law_guesses([invented])
    hit = {"key": "형법 제329조", "score": 2.0, "ranks": {"bm25": 1}, "reasons": []}
    assert lawyer_view(rated([hit], learned=False, notices=[invented]))[0]["relevance"] == 100


def test_a_law_the_index_lacks_keeps_its_own_notice(criminal):
    assert _notices(criminal, "민법 제750조") == [f"'민법 제750조': 민법 is not in this index ({_add(criminal, 'civil-commercial')})"]


# ---- 2. a cited law's name is no word of the question for the coverage notice ------------------------------------
def test_a_citation_of_an_absent_law_gets_one_notice(decree):
    # (before, beside it: "nothing in the query matched this index: no article contains '형법'; any hits are only …")
    assert _notices(decree, "형법 제250조") == [f"'형법 제250조': 형법 is not in this index ({_add(decree, 'criminal')})"]
    # (before, beside it: "most of the query matched nothing in this index ('근기', '근기법' occur in no article) …")
    assert _notices(decree, "근기법 23조") == [
        f"'근기법 23조': 근기법 (근로기준법) is not in this index ({_add(decree, 'labor')})"]
    # the question's other words are counted as before
    notices = _notices(decree, "형법 제250조 퀘이사르프로브")
    assert notices[1:] == [f"{NOTHING_MATCHED}: no article contains '퀘이사르프로브'; any hits are only the nearest "
                           "guesses — check the spelling or ask in other words"]


def test_coverage_leaves_out_the_cited_laws_names():
    vocabulary = {"손해", "배상"}
    held = lambda: {"형법", "살인죄"}  # noqa: E731  (a precedent memory's words: decisions use both)
    # (before: "no article contains '형법': the hits are the articles earlier decisions using '형법' cite")
    assert coverage_notes(["형법"], vocabulary, precedents=held, text="형법 제250조") == []
    assert coverage_notes(["형법", "살인죄"], vocabulary, precedents=held, text="형법 제250조 살인죄") == [
        "no article contains '살인죄': the hits are the articles earlier decisions using '살인죄' cite"]
    # a law named without an article is a word of the question, as before
    assert coverage_notes(["형법"], vocabulary, text="형법상 정당방위")[0].startswith(
        f"{NOTHING_MATCHED}: no article contains '형법'")
    # a query with a citation the index resolves comes without ``text``: ``query`` names what it cites
    labour = ["민법", "근로", "기준", "법", "근로기준", "기준법", "근로기준법"]
    is_law = lambda w: w == "민법"  # noqa: E731
    assert coverage_notes(labour, vocabulary, is_law=is_law)[0].startswith("most of the query matched nothing")
    assert coverage_notes(labour, vocabulary, is_law=is_law, query="민법 제750조 근로기준법 제23조") == []
    # under a law filter too
    assert filtered_notes(["형법"], lambda words: [], "민법")[0].startswith(NOTHING_MATCHED)
    assert filtered_notes(["형법"], lambda words: [], "민법", text="형법 제250조") == []
    assert cited_law_names("형법 제250조, 근기법 23조와 근로기준법 시행령 제2조 및 제3조") == [
        "형법", "근기법", "근로기준법 시행령"]


# ---- 3. an act and its decree are never each other's "did you mean" ----------------------------------------------
def test_citing_the_act_of_a_held_decree_gives_the_command_that_adds_it(decree, criminal):
    # (before: "'근로기준법 제23조': 근로기준법 is not in this index (did you mean 근로기준법 시행령?)")
    assert _notices(decree, "근로기준법 제23조") == [
        f"'근로기준법 제23조': 근로기준법 is not in this index ({_add(decree, 'labor')})"]
    # the decree's own articles are cited as before
    assert _notices(decree, "근로기준법 시행령 제2조") == []
    # and the other way round: the decree of a held act (before: "(did you mean 근로기준법?)")
    assert _notices(criminal, "근로기준법 시행령 제2조") == [
        f"'근로기준법 시행령 제2조': 근로기준법 시행령 is not in this index ({_add(criminal, 'labor')})"]


def test_a_law_filter_never_offers_the_decree_for_the_act(decree, criminal):
    # (before: "unknown law filter '근로기준법': not in this index (did you mean 근로기준법 시행령?)")
    assert _filter_error(decree, "근로기준법") == (
        "unknown law filter '근로기준법': not in this index (근로기준법 is a law, but not one this index holds; "
        f"{_add(decree, 'labor')})")
    assert _filter_error(criminal, "근로기준법 시행령") == (
        "unknown law filter '근로기준법 시행령': not in this index (근로기준법 시행령 is a law, but not one this index "
        f"holds; {_add(criminal, 'labor')})")


def test_suggested_laws_keep_acts_and_decrees_apart():
    decree_only = LawNames(["민법", "근로기준법 시행령"])
    assert suggested_laws("근로기준법", decree_only) == []
    assert suggested_laws("근로기준볍", decree_only) == []  # a mistyped act is no decree either
    assert suggested_laws("근로기준법 시행룡", decree_only) == ["근로기준법 시행령"]  # a mistyped decree is one
    assert suggested_laws("근로기준법 시행규칙", decree_only) == []
    assert suggested_laws("근로기준법 시행령", LawNames(["근로기준법"])) == []
    assert suggested_laws("민볍", decree_only) == ["민법"]  # as before
    assert unresolved_citations("근로기준법 제23조", decree_only) == [
        "'근로기준법 제23조': 근로기준법 is not in this index (add it with `legalret index add labor`)"]


# ---- 4. a mistyped short name ------------------------------------------------------------------------------------
def test_a_mistyped_short_name_gets_a_did_you_mean(criminal, decree):
    # (before: "unknown law filter '근기볍': not in this index (the index has 2 laws; see `legalret index info`)")
    assert _filter_error(criminal, "근기볍") == "unknown law filter '근기볍': not in this index (did you mean 근로기준법?)"
    assert _filter_error(criminal, "형볍") == "unknown law filter '형볍': not in this index (did you mean 형법?)"
    # a law this index lacks, by its mistyped short name: as its mistyped full name is said
    assert _filter_error(decree, "근기볍") == (
        "unknown law filter '근기볍': not in this index (did you mean 근로기준법? it is not in this index either)")
    assert _filter_error(decree, "형소볍") == (
        "unknown law filter '형소볍': not in this index (did you mean 형사소송법? it is not in this index either)")
    # in a citation too (before: "'제23조' names no law; write it as e.g. '형법 제23조'")
    assert _notices(criminal, "근기볍 제23조")[0] == "'근기볍 제23조': no law is named 근기볍 (did you mean 근로기준법?)"
    assert suggested_laws("주임볍", known_laws()) == ["주택임대차보호법"]
    assert suggested_laws("민소볍", known_laws()) == ["민사소송법"]


def test_a_laws_own_name_is_not_taken_for_a_short_name(criminal):
    """Only one letter of a short name may be mistyped: at the full names' cutoff, 41 of the mirror's laws' own names
    had been taken for a short name a syllable away (특허법 → 특가법, 주택법 → 조특법)."""
    assert suggested_laws("특허법", known_laws()) == []
    assert suggested_laws("주택법", known_laws()) == []
    assert "did you mean" not in _filter_error(criminal, "특허법")
