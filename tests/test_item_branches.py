"""An inserted item (제2호의2, written ``2의2.`` in the article's item list) is its own 호 when a citation is checked.

The query parser had learnt to read ``제1호의2`` (``QueryCitation.item_branch``), but the checks behind the notices
compared the 호 number alone: ``제1호의2`` "existed" wherever 제1호 did, and a missing ``제3호의2`` was reported as
"has no 제3호". These tests hold :func:`item_exists`, :func:`missing_part`, the search's notices and
``GET /api/articles/…`` / ``get_article`` (:func:`legalret.serve.statutes.cited_parts`) to the branch.

The real article is 상법 제655조 of the plaintext fixture: one unnumbered paragraph with 호 ``1``, ``2`` and ``2의2``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import anyio
import pytest
from fastapi.testclient import TestClient

from legalret.articles import Article, Item, Paragraph
from legalret.index import build_index
from legalret.ingest.plaintext import parse_plaintext
from legalret.keys import LawNames
from legalret.search.citations import find_citations
from legalret.search.results import item_exists, item_name, item_number, missing_part
from legalret.search.searcher import Searcher
from legalret.serve.app import create_app
from legalret.serve.live import LiveSearcher

FIXTURE = Path(__file__).parent / "fixtures" / "ingest" / "plaintext" / "상법.txt"
NAMES = LawNames(["상법", "근로기준법"])


def _commercial() -> list[Article]:
    """상법 as the plaintext ingester reads the fixture (the item marks as stored: '1', '2', '2의2')."""
    return [a for doc in parse_plaintext(FIXTURE.read_text(encoding="utf-8"), FIXTURE.name) for a in doc.articles]


def _labour() -> Article:
    """근로기준법 제2조 with an inserted 제1항 제1호의2 and a 제2항 without 호 (the fixtures have no 제1호의2)."""
    return Article("근로기준법", 2, title="정의", kind="법률", paragraphs=[
        Paragraph(1, "이 법에서 사용하는 용어의 뜻은 다음과 같다.", items=[
            Item("1", "\"근로자\"란 임금을 목적으로 사업이나 사업장에 근로를 제공하는 사람을 말한다."),
            Item("1의2", "\"특수형태근로종사자\"란 계약의 형식과 관계없이 근로자와 유사하게 노무를 제공하는 사람을 말한다."),
            Item("2", "\"사용자\"란 사업주 또는 사업 경영 담당자를 말한다.")]),
        Paragraph(2, "제1항제6호에 따라 산출된 금액이 통상임금보다 적으면 그 통상임금액을 평균임금으로 한다.")])


@pytest.fixture(scope="module")
def article_655() -> Article:
    art = next(a for a in _commercial() if a.key == "상법 제655조")
    # the fixture is what these tests rely on: an inserted 2의2 after 2, and no 1의2 or 3
    assert [i.number for p in art.paragraphs for i in p.items] == ["1", "2", "2의2"]
    return art


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    idx = tmp_path_factory.mktemp("item_branches") / "idx"
    build_index([*_commercial(), _labour()], idx, model="none")
    return idx


def _cite(text: str):
    (c,) = find_citations(text, NAMES)
    return c


# ---- the stored marks --------------------------------------------------------------------------------------------
def test_a_stored_item_mark_reads_as_number_and_branch():
    assert item_number("2") == (2, 0)
    assert item_number("2의2") == (2, 2)
    assert item_number("12의10") == (12, 10)
    assert item_number(" 2 의 2 ") == item_number("2의2.") == (2, 2)  # spacing or a kept dot reads the same
    assert item_number("가") is None and item_number("") is None  # no numbered 호: never equal to a cited one
    assert item_name(3, 2) == "제3호의2" and item_name(3) == item_name(3, 0) == "제3호"


# ---- item_exists / missing_part on a real article ----------------------------------------------------------------
def test_the_branch_is_compared(article_655):
    assert item_exists(article_655, None, 2, 2)  # 2의2 is there
    assert item_exists(article_655, None, 2) and item_exists(article_655, None, 1)
    # 제1호 is there but not 제1호의2; 제2호의2 but not 제2호의3 (each had "existed" through its 호 number)
    assert not item_exists(article_655, None, 1, 2)
    assert not item_exists(article_655, None, 2, 3)
    assert not item_exists(article_655, None, 3, 2)
    # one unnumbered paragraph is 제1항 (as paragraph_exists reads it); a 제2항 it lacks has no 호
    assert item_exists(article_655, 1, 2, 2) and not item_exists(article_655, 1, 1, 2)
    assert not item_exists(article_655, 2, 2, 2)


def test_an_inserted_item_alone_is_no_plain_item():
    """제2호의2 being there had counted as a 제2호 being there: an article whose only 2 is 2의2 has no 제2호."""
    art = Article("상법", 9, paragraphs=[Paragraph(None, "", items=[Item("1", "가"), Item("2의2", "나")])])
    assert item_exists(art, None, 2, 2) and not item_exists(art, None, 2)
    assert missing_part(art, _cite("상법 제9조 제2호")) == "제2호"


def test_a_missing_item_branch_is_named_in_full(article_655):
    assert missing_part(article_655, _cite("상법 제655조 제2호의2")) is None
    assert missing_part(article_655, _cite("상법 제655조 제1항 제2호의2")) is None
    # the article has 제1호 and 제2호: "no 제1호" / "no 제2호" would be false
    assert missing_part(article_655, _cite("상법 제655조 제1호의2")) == "제1호의2"
    assert missing_part(article_655, _cite("상법 제655조 제1항 제2호의3")) == "제1항 제2호의3"
    assert missing_part(article_655, _cite("상법 제655조 제3호의2")) == "제3호의2"
    assert missing_part(article_655, _cite("상법 제655조 제3호")) == "제3호"  # a plain 호 is worded as before
    assert missing_part(article_655, _cite("상법 제655조 제2항 제2호의2")) == "제2항"  # the 항 missing is what is said


# ---- the search's notices ----------------------------------------------------------------------------------------
def test_the_search_says_a_missing_item_branch(index):
    searcher = Searcher(index)
    res = searcher.search("상법 제655조 제2호의2", k=3)
    assert res.keys[0] == "상법 제655조" and res.notices == []
    res = searcher.search("상법 제655조 제1호의2", k=3)
    assert res.keys[0] == "상법 제655조" and res.notices == ["cited article 상법 제655조 has no 제1호의2"]
    assert res[0].reasons[0].endswith("— it has no 제1호의2")
    # the second citation of an article already listed is checked with its branch too (the listed-hit path)
    res = searcher.search("상법 제655조 제1항 제2호의2 및 제1항 제3호의2", k=3)
    assert res.keys.count("상법 제655조") == 1
    assert res.notices == ["cited article 상법 제655조 has no 제1항 제3호의2"]


# ---- GET /api/articles/… and get_article -------------------------------------------------------------------------
@pytest.mark.parametrize("written, fields, notices", [
    ("근로기준법 제2조 제1항 제1호의2",
     {"paragraph": 1, "paragraph_exists": True, "item": 1, "item_branch": 2, "item_exists": True}, []),
    ("근로기준법 제2조 제1항 제1호",
     {"paragraph": 1, "paragraph_exists": True, "item": 1, "item_branch": 0, "item_exists": True}, []),
    # 제2호 is there, 제2호의2 is not (it had "existed" through 제2호)
    ("근로기준법 제2조 제1항 제2호의2",
     {"paragraph": 1, "paragraph_exists": True, "item": 2, "item_branch": 2, "item_exists": False},
     ["cited article 근로기준법 제2조 has no 제1항 제2호의2"]),
    ("근로기준법 제2조 제2항 제1호의2",  # 제2항 has no 호 at all
     {"paragraph": 2, "paragraph_exists": True, "item": 1, "item_branch": 2, "item_exists": False},
     ["cited article 근로기준법 제2조 has no 제2항 제1호의2"]),
    ("근로기준법 제2조 제1호의2", {"item": 1, "item_branch": 2, "item_exists": True}, []),  # no 항: any paragraph
    ("상법 제655조 제3호의2", {"item": 3, "item_branch": 2, "item_exists": False},
     ["cited article 상법 제655조 has no 제3호의2"]),
])
def test_an_article_request_checks_the_item_branch(index, written, fields, notices):
    from legalret.serve.mcp_server import create_mcp_server

    live = LiveSearcher(index)
    api = TestClient(create_app(live)).get("/api/articles/" + quote(written))
    assert api.status_code == 200, api.text
    got = api.json()
    assert got["key"] == " ".join(written.split()[:2]) and got["notices"] == notices  # the article, answered either way
    assert {f: got.get(f) for f in fields} == fields, written
    # get_article answers through the same function: the same existence and notice (its model has no item_branch)
    tool = anyio.run(create_mcp_server(live, warm=False).call_tool, "get_article", {"key": written})
    mcp = tool.structured_content
    assert (mcp["item"], mcp["item_exists"], mcp["notices"]) == (fields["item"], fields["item_exists"], notices)
