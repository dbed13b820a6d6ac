"""Ranges of items, and the relevance of a question that cites a law the index lacks.

1. ``민법 제750조 제1항 제1호 내지 제3호`` (``… 제1호부터 제3호까지``, ``… 제1호~제3호``) was read as 제1호 alone: 제2호
   and 제3호 were never checked. Each item of the range is now one citation, as each of several listed items is
   (``제1호 및 제2호``), low end first when written high end first (as a range of articles is); the branch items between
   (제1호의2) are the article's own, filled in by ``check_citation``; an item of the range the article lacks gets the
   notice a single missing item gets. The tests use real laws: 근로기준법 제2조 제1항 (items 1–9, the legalize-kr
   mirror) and 개인정보 보호법 제2조 (items 1, 1의2, 2 … 7, 7의2, 8: the law.go.kr JSON).
2. On a 민법+상법 index, "근로기준법 제23조 부당해고" listed 민법 articles at relevance ~72 under the notice that
   근로기준법 is not in this index: its word beyond the citation (부당해고) had kept the numbers. Every hit is now a
   guess there — relevance and probability null, "—" in the table — unless the query also cites a law the index holds.
   The table, ``--json``, ``/api/search`` and MCP ``search_statutes`` all show it.
   (And under ``--law 민법`` the same query had been read as 민법 제23조, an exact citation at 100, without a notice.)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import anyio
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.cli import app  # noqa: E402
from legalret.keys import LawNames  # noqa: E402
from legalret.search.citations import find_citations, unresolved_citations  # noqa: E402

NAMES = LawNames(["민법", "상법", "근로기준법"])
LABOUR = "근로기준법 제2조"
runner = CliRunner()
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def cited(text: str, names: LawNames = NAMES) -> list[tuple]:
    return [(c.key, c.paragraph, c.item, c.item_branch) for c in find_citations(text, names)]


# ---- 1. ranges of items: the finder ------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["민법 제750조 제1항 제1호 내지 제3호", "민법 제750조 제1항 제1호부터 제3호까지",
                                  "민법 제750조 제1항 제1호~제3호", "민법 제750조 제1항 제1호 ~ 제3호",
                                  "민법 제750조 제1항 제1호 - 제3호", "민법 750 1항 1호 내지 3호",
                                  "민법 제750조 ① 제1호 내지 제3호", "민법 제750조 제1항 제3호 내지 제1호"])
def test_a_range_of_items_cites_each_item(text):
    # (before: [("민법 제750조", 1, 1, 0)] — 제2호 and 제3호 dropped)
    assert cited(text) == [("민법 제750조", 1, i, 0) for i in (1, 2, 3)], text


def test_a_range_of_items_with_branches_and_what_follows():
    # a branch end: the whole numbers between are cited (a branch comes after its number: 제2호 < 제2호의2)
    assert cited("근로기준법 제2조 제1항 제1호의2 내지 제3호") == [(LABOUR, 1, 1, 2), (LABOUR, 1, 2, 0), (LABOUR, 1, 3, 0)]
    assert cited("근로기준법 제2조 제1호 내지 제2호의2") == [(LABOUR, None, 1, 0), (LABOUR, None, 2, 0), (LABOUR, None, 2, 2)]
    assert cited("근로기준법 제2조 제1항 제1호 내지 제1호의3") == [(LABOUR, 1, 1, 0), (LABOUR, 1, 1, 3)]
    # listed items and ranges mixed; 까지 read past; the next paragraph and article as before
    assert cited("근로기준법 제2조 제1항 제1호부터 제3호까지 및 제5호") == [(LABOUR, 1, i, 0) for i in (1, 2, 3, 5)]
    assert cited("근로기준법 제2조 제1항 제1호, 제3호 내지 제5호, 같은 조 제2항") == [
        *[(LABOUR, 1, i, 0) for i in (1, 3, 4, 5)], (LABOUR, 2, None, 0)]
    assert cited("근로기준법 제2조 제1항 제1호 내지 제2호, 제3조") == [
        (LABOUR, 1, 1, 0), (LABOUR, 1, 2, 0), ("근로기준법 제3조", None, None, 0)]
    assert cited("근로기준법 제2조 제1항 제1호 내지 제1호") == [(LABOUR, 1, 1, 0)]
    # an end that is an article is a range of articles, as before (제2조–제3조)
    assert [c.key for c in find_citations("근로기준법 제2조 제1항 제1호 내지 제3조", NAMES)] == [LABOUR, "근로기준법 제3조"]


def test_a_range_of_items_written_high_end_first_is_read_low_end_first():
    """As a range of articles is: the same range, listed low end first, its higher end carrying the range as written."""
    first, second, third = find_citations("근로기준법 제2조 제1항 제3호 내지 제1호에 따라", NAMES)
    assert [str(c) for c in (first, second, third)] == [f"{LABOUR} 제1항 제{i}호" for i in (1, 2, 3)]
    assert (first.raw, third.raw) == ("근로기준법 제2조 제1항 제3호 내지 제1호", "근로기준법 제2조 제1항 제3호")
    assert (third.item_range_written, third.item_range_start) == ("제3호 내지 제1호", (1, 0))
    assert [c.item_after for c in (first, second, third)] == [None, (1, 0), (2, 0)]
    # a forward range carries no such text, and a range in a list is written from its own first item
    assert find_citations("근로기준법 제2조 제1항 제1호 내지 제3호", NAMES)[-1].item_range_written == ""
    *_, high = find_citations("근로기준법 제2조 제1항 제1호, 제5호 내지 제3호", NAMES)
    assert (str(high), high.item_range_written) == (f"{LABOUR} 제1항 제5호", "제5호 내지 제3호")
    assert unresolved_citations("근로기준법 제2조 제1항 제3호 내지 제1호", NAMES) == []


def test_an_implausibly_long_range_of_items_is_its_two_ends():
    """No paragraph of a statute has 100 items: "제1호 내지 제300호" is a slip, read as its ends (the missing one then
    said once), not as 300 citations — each missing one a notice."""
    assert cited("근로기준법 제2조 제1항 제1호 내지 제300호") == [(LABOUR, 1, 1, 0), (LABOUR, 1, 300, 0)]
    assert len(cited("근로기준법 제2조 제1항 제1호 내지 제67호")) == 67  # (공항시설법 시행령 has a 67th)


def test_a_missing_laws_range_of_items_is_one_notice():
    civil = LawNames(["민법", "상법"])
    assert cited("근로기준법 제2조 제1항 제1호 내지 제3호", civil) == []
    assert unresolved_citations("근로기준법 제2조 제1항 제1호 내지 제3호", civil) == [
        "'근로기준법 제2조 제1항 제1호': 근로기준법 is not in this index (add it with `legalret index add labor`)"]


# ---- 1. ranges of items: real articles, the search's notices and check_citation ----------------------------------
@pytest.fixture(scope="module")
def items_index(shared_data, tmp_path_factory) -> Path:
    """근로기준법 (legalize-kr: 제2조 제1항 has items 1–9) and 개인정보 보호법 (law.go.kr JSON: 제2조 has 1, 1의2 … 7의2,
    8 — the mirror loses item branches as it loses article ones), BM25 only."""
    from legalret.index import build_index
    from legalret.ingest import ingest

    arts = [*ingest([shared_data / "statutes" / "legalize-kr.zip"], laws=["근로기준법"], kinds=["법률"]).articles,
            *ingest([shared_data / "statutes" / "lawgo-json" / "011357.json"]).articles]
    labour = next(a for a in arts if a.key == LABOUR)
    assert [i.number for i in labour.paragraphs[0].items] == [str(i) for i in range(1, 10)]
    privacy = next(a for a in arts if a.key == "개인정보 보호법 제2조")
    assert [i.number for p in privacy.paragraphs for i in p.items] == ["1", "1의2", "2", "3", "4", "5", "6", "7",
                                                                       "7의2", "8"]
    idx = tmp_path_factory.mktemp("citations_s17") / "idx"
    build_index(arts, idx, model="none")
    return idx


def _search(index: Path, query: str) -> tuple[int, list[dict], list[str]]:
    r = runner.invoke(app, ["search", query, "--index", str(index), "-k", "3", "--json"], env=ENV)
    hits = [json.loads(line) for line in r.stdout.splitlines()]
    return r.exit_code, hits, hits[0]["notices"] if hits else []


def test_the_search_checks_each_item_of_a_range(items_index):
    rc, hits, notices = _search(items_index, "근로기준법 제2조 제1항 제1호 내지 제3호")
    assert rc == 0 and hits[0]["key"] == LABOUR and hits[0]["relevance"] == 100 and notices == []
    # an item of the range the article lacks: said as a single missing item is (before: nothing said of 제10호, 제11호)
    for query in ("근로기준법 제2조 제1항 제8호 내지 제11호", "근로기준법 제2조 제1항 제8호부터 제11호까지",
                  "근로기준법 제2조 제1항 제8호~제11호", "근로기준법 제2조 제1항 제11호 내지 제8호"):
        rc, hits, notices = _search(items_index, query)
        assert rc == 0 and hits[0]["key"] == LABOUR, query
        reversed_range = ([f"the cited range '제11호 내지 제8호' is written high end first: read as {LABOUR} 제1항 "
                           "제8호–제11호"] if "제11호 내지" in query else [])  # (said by the search too, as check_citation says it)
        assert notices == [*reversed_range, f"cited article {LABOUR} has no 제1항 제10호",
                           f"cited article {LABOUR} has no 제1항 제11호"], query
    assert _search(items_index, "근로기준법 제2조 제1항 제11호")[2] == [f"cited article {LABOUR} has no 제1항 제11호"]
    # branch ends: 제7호의2 is there, 제8호의2 is not
    assert _search(items_index, "개인정보 보호법 제2조 제1호의2 내지 제7호의2")[2] == []
    assert _search(items_index, "개인정보 보호법 제2조 제7호 내지 제8호의2")[2] == [
        "cited article 개인정보 보호법 제2조 has no 제8호의2"]


def test_check_citation_lists_every_item_of_a_range_branches_included(items_index):
    from legalret.serve.mcp_server import create_mcp_server

    server = create_mcp_server(items_index, warm=False)

    def check(text: str) -> dict:
        out = anyio.run(server.call_tool, "check_citation", {"text": text})
        assert not out.is_error, out
        return out.structured_content

    got = check("개인정보 보호법 제2조 제1호 내지 제3호")
    # 제1호의2 between 제1호 and 제2호, where the article has it (before: 제1호 alone)
    assert [(c["item"], c["item_branch"], c["item_exists"]) for c in got["citations"]] == [
        (1, 0, True), (1, 2, True), (2, 0, True), (3, 0, True)]
    assert {c["cited"] for c in got["citations"][1:]} == {"개인정보 보호법 제2조 제1호 내지 제3호"}
    assert got["notices"] == [] and got["unresolved"] == []
    got = check("개인정보 보호법 제2조 제8호 내지 제6호")  # high end first: the same range, low end first, and said
    assert [(c["item"], c["item_branch"], c["item_exists"]) for c in got["citations"]] == [
        (6, 0, True), (7, 0, True), (7, 2, True), (8, 0, True)]
    assert got["notices"] == ["the cited range '제8호 내지 제6호' is written high end first: read as 개인정보 보호법 제2조 "
                              "제6호–제8호"]
    got = check("근로기준법 제2조 제1항 제8호 내지 제10호")  # an item the article lacks
    assert [(c["item"], c["item_exists"]) for c in got["citations"]] == [(8, True), (9, True), (10, False)]


# ---- 2. a question citing a law the index lacks: no relevance ----------------------------------------------------
@pytest.fixture(scope="module")
def civil(tmp_path_factory) -> Path:
    """The fixture 민법 and 상법 (no 근로기준법) with BM25, dense (the tiny encoder) and a precedent memory: hybrid is
    re-ranked, so hits carry the re-ranker's probability."""
    from test_search_memory import PRECEDENTS

    from legalret import pipeline

    index = tmp_path_factory.mktemp("s17") / "idx"
    pipeline.build(sup.articles(), index, model=str(sup.tiny_model_dir()), precedents=PRECEDENTS)
    return index


ABSENT = "근로기준법 제23조 유치권"  # 유치권: words the index answers (민법 제320조), beside a law it lacks


def lacks(index: Path) -> str:
    """The notice of the missing law, as it was (the command that adds it names the index searched)."""
    return f"'근로기준법 제23조': 근로기준법 is not in this index (add it with `legalret index add labor --index {index}`)"


def _json(index: Path, query: str, *more: str) -> list[dict]:
    r = runner.invoke(app, ["search", query, "--index", str(index), "-k", "4", "--json", *more], env=ENV)
    assert r.exit_code == 0, r.output
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_json_withholds_relevance_and_probability(civil):
    hits = _json(civil, ABSENT)
    assert hits[0]["key"] == "민법 제320조" and hits[0]["notices"][0] == lacks(civil)  # the notice as it was
    # (before: 민법 제320조 at the re-ranker's number)
    assert all(h["relevance"] is None and h.get("probability") is None for h in hits)
    # the same words without the citation keep the re-ranker's numbers
    plain = _json(civil, "유치권")
    assert plain[0]["key"] == "민법 제320조" and plain[0]["relevance"] > 0 and plain[0]["probability"] > 0


def test_a_citation_of_a_law_the_index_holds_keeps_the_numbers(civil):
    hits = _json(civil, "근로기준법 제23조와 민법 제750조 유치권")
    assert hits[0]["key"] == "민법 제750조" and hits[0]["relevance"] == 100
    assert all(h["relevance"] is not None for h in hits)
    # a cited article of a held law that it lacks: still a citation of a law the index holds
    hits = _json(civil, "근로기준법 제23조와 민법 제9999조 유치권")
    assert ("cited article 민법 제9999조 is not in this index: 민법 as indexed has no such article (its last is 제751조)"
            in hits[0]["notices"])
    assert hits[0]["key"] == "민법 제320조" and hits[0]["relevance"] is not None


def test_the_table_shows_dashes(civil):
    r = runner.invoke(app, ["search", ABSENT, "--index", str(civil), "-k", "4"], env=ENV)
    assert r.exit_code == 0, r.output
    out = _ANSI.sub("", r.stdout)
    rows = [[c.strip() for c in line.split("│")] for line in out.splitlines()]
    cells = [row[-2] for row in rows if len(row) > 3 and row[1].isdigit()]
    assert cells and set(cells) == {"—"}
    assert "—: no relevance — these hits are only guesses (the notes say why)" in out
    assert f"note: {lacks(civil)}" in _ANSI.sub("", r.output).splitlines()


def test_api_and_mcp_withhold_it_too(civil):
    from legalret.serve.app import create_app
    from legalret.serve.mcp_server import create_mcp_server

    body = TestClient(create_app(civil)).get("/api/search", params={"q": ABSENT, "k": 4}).json()
    assert body["hits"][0]["key"] == "민법 제320조" and body["notices"][0] == lacks(civil)
    assert all(h["relevance"] is None and h.get("probability") is None for h in body["hits"])
    out = anyio.run(create_mcp_server(civil, warm=False).call_tool, "search_statutes", {"query": ABSENT, "k": 4})
    assert not out.is_error, out
    res = out.structured_content
    assert res["notices"][0] == lacks(civil) and res["hits"] and all(h["relevance"] is None for h in res["hits"])


def test_under_a_law_filter_a_missing_laws_article_is_no_article_of_the_filter(civil):
    """"근로기준법 제23조" under --law 민법 had been 민법 제23조 — an exact citation, 100, without a notice."""
    hits = _json(civil, ABSENT, "--law", "민법")
    assert "민법 제23조" not in [h["key"] for h in hits] and hits[0]["notices"][0] == lacks(civil)
    assert all(h["relevance"] is None for h in hits)
    # a bare 제N조, or one after a word that only ends like a law's name, is still the filter's
    assert [c.key for c in find_citations("제23조 유치권", LawNames(["민법", "상법"]), "민법")] == ["민법 제23조"]
    assert [c.key for c in find_citations("불법 제750조", LawNames(["민법", "상법"]), "민법")] == ["민법 제750조"]


# ---- 3. a bare number after the name of a law the index lacks ------------------------------------------------------
@pytest.mark.parametrize("query, written, named, manifest", [
    ("형법 250", "형법 250", "형법", "criminal"),
    ("근로기준법 23 부당해고", "근로기준법 23", "근로기준법", "labor"),
    ("근기법 23 1항", "근기법 23 1항", "근기법 (근로기준법)", "labor"),
])
def test_a_bare_number_after_an_absent_law_is_its_article(query, written, named, manifest):
    """"형법 250" is 형법 제250조 as "민법 750" is 민법 제750조; on a 민법+상법 index it had had no notice — 민법 제750조 at 71
    under "no article contains '형법'" — and "근로기준법 23 부당해고" none at all."""
    from legalret.keys import LawNames
    from legalret.search.citations import cited_law_names, unresolved_citations

    held = LawNames(["민법", "상법"])
    assert unresolved_citations(query, held) == [
        f"'{written}': {named} is not in this index (add it with `legalret index add {manifest}`)"]
    assert cited_law_names(query) == [written.split()[0]]  # (no word of the coverage notice)


@pytest.mark.parametrize("query", ["형법 3년 징역", "형법상 250", "방법 3", "민법 750 손해배상", "형법 2020년 개정"])
def test_no_bare_citation_where_the_number_is_none(query):
    from legalret.keys import LawNames
    from legalret.search.citations import unresolved_citations

    # (no citation's notice; a law the index lacks named without an article has its own, which quotes no number)
    notes = unresolved_citations(query, LawNames(["민법", "상법"]))
    assert [n for n in notes if not n.startswith("'형법': 형법 is not in this index")] == []


def test_a_bare_citation_of_an_absent_law_withholds_the_numbers(civil):
    hits = _json(civil, "근로기준법 23 유치권")
    assert hits[0]["notices"] == [f"'근로기준법 23': 근로기준법 is not in this index (add it with `legalret index add "
                                  f"labor --index {civil}`)"]
    assert all(h["relevance"] is None and h["probability"] is None for h in hits)
