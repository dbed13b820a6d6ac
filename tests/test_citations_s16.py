"""A circled paragraph after a bare article number, several items of one paragraph, and items in check_citation.

- ``민법 750 ①`` read no paragraph (``민법 750 1항`` and ``민법 제750조 ①`` did): the ① was dropped.
- ``근로기준법 제2조 제1항 제1호 및 제2호`` (or ``제1호, 제2호``, ``제1호·제2호``) read 제1호 alone: 제2호 was dropped,
  and an invented one never checked. Each item is now one citation of the article, as each of several paragraphs is.
- MCP ``check_citation`` checked a cited paragraph (``paragraph_exists``) but said nothing of a cited item: an invented
  ``상법 제46조 제99호`` passed. It now gives ``item`` / ``item_branch`` / ``item_exists``, the search's check.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from legalret.articles import Article, Item, Paragraph
from legalret.index import build_index
from legalret.keys import LawNames
from legalret.search.citations import find_citations, unresolved_citations
from legalret.search.searcher import Searcher

NAMES = LawNames(["민법", "상법", "근로기준법"])
LABOUR = "근로기준법 제2조"


def cited(text: str) -> list[tuple]:
    return [(c.key, c.paragraph, c.item, c.item_branch) for c in find_citations(text, NAMES)]


# ---- 1. a circled paragraph after a bare number ------------------------------------------------------------------
def test_a_bare_number_reads_a_circled_paragraph_as_after_jo():
    one = [("민법 제750조", 1, None, 0)]
    # (before: "민법 750 ①" was 민법 제750조 with no paragraph)
    assert cited("민법 750 ①") == cited("민법 750 1항") == cited("민법 제750조 ①") == cited("민법 750조 1항") == one
    assert cited("민법 750조 ②") == cited("민법 750 ②") == cited("민법750 ②") == [("민법 제750조", 2, None, 0)]
    assert cited("민법 750① 손해배상") == cited("민법 750 ① 손해배상") == one  # glued to the number too
    c = find_citations("민법 750 ①에 따른 책임", NAMES)[0]
    assert (str(c), c.raw, c.start, c.end) == ("민법 제750조 제1항", "민법 750 ①", 0, 8)
    # its items and further paragraphs, as after 조
    assert cited("민법 750 ① 1호") == [("민법 제750조", 1, 1, 0)]
    assert cited("민법 750 ①, ②") == cited("민법 750 1항, ②") == [("민법 제750조", 1, None, 0), ("민법 제750조", 2, None, 0)]
    assert cited("상법 651의2 ③") == [("상법 제651조의2", 3, None, 0)]
    assert unresolved_citations("민법 750 ①", NAMES) == []


def test_circled_numbers_that_enumerate_stay_no_paragraph_after_a_bare_number():
    """The rule the 조 form keeps: circled numbers are paragraphs only when each stands right after a citation."""
    assert cited("① 민법 750 ② 민법 751") == [("민법 제750조", None, None, 0), ("민법 제751조", None, None, 0)]
    assert cited("① 민법 750 ②") == [("민법 제750조", None, None, 0)]
    assert cited("민법 750 ① 요건 ② 효과") == cited("민법 제750조 ① 요건 ② 효과") == [("민법 제750조", None, None, 0)]
    # one after an article, one after a bare number: both attached, both read
    assert cited("민법 제750조 ① 및 민법 751 ②") == [("민법 제750조", 1, None, 0), ("민법 제751조", 2, None, 0)]
    assert cited("민법 3 ①") == [("민법 제3조", 1, None, 0)]
    # a circled number after a number no law names is not attached: the query enumerates
    assert cited("① 3 민법 750 ②") == [("민법 제750조", None, None, 0)]


# ---- 2. several items of one paragraph ---------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["근로기준법 제2조 제1항 제1호 및 제2호", "근로기준법 제2조 제1항 제1호, 제2호",
                                  "근로기준법 제2조 제1항 제1호·제2호", "근로기준법 제2조 제1항 제1호와 제2호",
                                  "근로기준법 제2조 제1항 제1호 또는 제2호", "근로기준법 2 1항 1호 및 2호",
                                  "근로기준법 제2조 ① 제1호 및 제2호"])
def test_several_items_of_one_paragraph_are_each_cited(text):
    # (before: [(LABOUR, 1, 1, 0)] — 제2호 dropped)
    assert cited(text) == [(LABOUR, 1, 1, 0), (LABOUR, 1, 2, 0)], text


def test_several_items_spans_branches_and_what_follows():
    first, second = find_citations("근로기준법 제2조 제1항 제1호 및 제2호에 따라", NAMES)
    assert (str(first), first.raw) == ("근로기준법 제2조 제1항 제1호", "근로기준법 제2조 제1항 제1호")
    assert (str(second), second.raw, second.start) == ("근로기준법 제2조 제1항 제2호", "근로기준법 제2조 제1항 제1호 및 제2호", 0)
    # items without a paragraph, items with branches, three of them
    assert cited("근로기준법 제2조 제1호 및 제2호") == [(LABOUR, None, 1, 0), (LABOUR, None, 2, 0)]
    assert cited("근로기준법 제2조 제1항 제1호의2 및 제3호의2") == [(LABOUR, 1, 1, 2), (LABOUR, 1, 3, 2)]
    assert cited("근로기준법 제2조 제1항 제1호, 제2호 및 제3호") == [(LABOUR, 1, i, 0) for i in (1, 2, 3)]
    # items, then another paragraph (its own, or with an item of its own): each item stays with its paragraph
    assert cited("근로기준법 제2조 제1항 제1호 및 제2호, 같은 조 제2항") == [
        (LABOUR, 1, 1, 0), (LABOUR, 1, 2, 0), (LABOUR, 2, None, 0)]
    assert cited("근로기준법 제2조 제1항 제1호 및 제2항 제3호, 제4호") == [
        (LABOUR, 1, 1, 0), (LABOUR, 2, 3, 0), (LABOUR, 2, 4, 0)]
    # the next article is no item: it is carried as before; a possessive 의 after the item is no branch
    assert cited("근로기준법 제2조 제1호 및 제3조") == [(LABOUR, None, 1, 0), ("근로기준법 제3조", None, None, 0)]
    assert cited("근로기준법 제2조 제1항 제1호 및 제2호의 요건") == [(LABOUR, 1, 1, 0), (LABOUR, 1, 2, 0)]
    # several paragraphs are read as before
    assert cited("근로기준법 제2조 제1항 및 제2항") == [(LABOUR, 1, None, 0), (LABOUR, 2, None, 0)]


# ---- an index with items (the search's notices, get_article, check_citation) -------------------------------------
def _labour() -> list[Article]:
    """근로기준법 제1조–제3조: 제2조 with 제1항 제1호, 제1호의2, 제2호 and a 제2항 without 호; 제4조 deleted."""
    return [
        Article("근로기준법", 1, title="목적", kind="법률", paragraphs=[Paragraph(None, "이 법은 근로조건의 기준을 정한다.")]),
        Article("근로기준법", 2, title="정의", kind="법률", paragraphs=[
            Paragraph(1, "이 법에서 사용하는 용어의 뜻은 다음과 같다.", items=[
                Item("1", "\"근로자\"란 임금을 목적으로 사업이나 사업장에 근로를 제공하는 사람을 말한다."),
                Item("1의2", "\"특수형태근로종사자\"란 근로자와 유사하게 노무를 제공하는 사람을 말한다."),
                Item("2", "\"사용자\"란 사업주 또는 사업 경영 담당자를 말한다.")]),
            Paragraph(2, "평균임금이 통상임금보다 적으면 그 통상임금액을 평균임금으로 한다.")]),
        Article("근로기준법", 3, title="근로조건의 기준", kind="법률",
                paragraphs=[Paragraph(None, "이 법에서 정하는 근로조건은 최저기준이다.")]),
        Article("근로기준법", 4, title="", kind="법률", deleted=True, paragraphs=[Paragraph(None, "삭제 <2020.1.1>")]),
    ]


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    idx = tmp_path_factory.mktemp("citations_s16") / "idx"
    build_index(_labour(), idx, model="none")
    return idx


def test_the_search_checks_each_item_and_a_bare_circled_paragraph(index):
    searcher = Searcher(index)
    res = searcher.search("근로기준법 제2조 제1항 제1호 및 제9호", k=3)
    assert res.keys.count(LABOUR) == 1 and res.keys[0] == LABOUR  # one hit per article, as for several paragraphs
    assert res.notices == ["cited article 근로기준법 제2조 has no 제1항 제9호"]  # (before: no notice)
    assert searcher.search("근로기준법 제2조 제1항 제1호·제1호의2", k=3).notices == []
    res = searcher.search("근로기준법 2 ③", k=3)
    assert res.keys[0] == LABOUR and res.notices == ["cited article 근로기준법 제2조 has no 제3항"]  # (before: none)


def _server(index):
    from legalret.serve.mcp_server import create_mcp_server

    return create_mcp_server(index, warm=False)


def _check(server, text: str) -> dict:
    out = anyio.run(server.call_tool, "check_citation", {"text": text})
    assert not out.is_error, out
    return out.structured_content


def test_check_citation_checks_items_as_it_checks_paragraphs(index):
    server = _server(index)
    text = ("근로기준법 제2조 제1항 제1호의2 및 제9호, 제2항 제1호, 근로기준법 제2조 제3항 제1호, 근로기준법 제2조 제2호, "
            "근로기준법 제1조, 근로기준법 제4조 제1호, 근로기준법 제9조 제1호")
    got = [(c["key"], c["paragraph"], c["paragraph_exists"], c["item"], c["item_branch"], c["item_exists"])
           for c in _check(server, text)["citations"]]
    assert got == [
        (LABOUR, 1, True, 1, 2, True),
        (LABOUR, 1, True, 9, 0, False),  # an invented 호 (before: no item field at all, and passed)
        (LABOUR, 2, True, 1, 0, False),  # 제2항 has no 호
        (LABOUR, 3, False, 1, 0, False),  # no 제3항: none of its items either
        (LABOUR, None, None, 2, 0, True),  # no 항 named: any paragraph's
        ("근로기준법 제1조", None, None, None, 0, None),  # nothing cited below the article: nothing said
        ("근로기준법 제4조", None, None, 1, 0, False),  # deleted: no items (as it has no paragraphs)
        ("근로기준법 제9조", None, None, 1, 0, False),  # not here
    ]
    tool = next(t for t in anyio.run(server.list_tools) if t.name == "check_citation")
    assert "item_exists" in tool.description
    assert "호" in tool.output_schema["$defs"]["CitationCheck"]["properties"]["item_exists"]["description"]


def test_check_citation_items_pair_up_past_a_range_and_hanja(index):
    """A range's entries between its ends are no citation of the passage: the items still go to their own entries."""
    server = _server(index)
    checked = _check(server, "근로기준법 제1조 내지 제3조 및 근로기준법 제2조 제1항 제2호의2, 第二條 第一項 第二號")
    got = [(c["key"], c["cited"].endswith("(within the range)"), c["item"], c["item_branch"], c["item_exists"])
           for c in checked["citations"]]
    assert got == [("근로기준법 제1조", False, None, 0, None), (LABOUR, True, None, 0, None),
                   ("근로기준법 제3조", False, None, 0, None), (LABOUR, False, 2, 2, False), (LABOUR, False, 2, 0, True)]


def test_get_article_says_the_missing_one_of_several_items(index):
    got = anyio.run(_server(index).call_tool, "get_article", {"key": "근로기준법 제2조 제1항 제1호 및 제9호"})
    assert not got.is_error
    got = got.structured_content
    assert got["key"] == LABOUR and (got["item"], got["item_exists"]) == (9, False)
    assert got["notices"] == ["cited article 근로기준법 제2조 has no 제1항 제9호"]
