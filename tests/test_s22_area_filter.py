"""``--law 노동법`` on an index that holds labor laws filters by them (a lawyer's finding, 2026-12-07).

After ``legalret index add labor``, ``search --law 노동법`` had said "unknown law filter '노동법': not in this index
(… this index holds 근로기준법, 최저임금법 … 12 laws: filter by those (comma-separated))" — not in the index, and held,
and the twelve names left to type. A filter naming an area is now read as the laws of its corpus the index holds,
with a notice naming them; an area whose laws the index lacks still gets the corpus that adds them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.articles import Article, Paragraph  # noqa: E402
from legalret.errors import LegalretError  # noqa: E402
from legalret.index import build_index  # noqa: E402
from legalret.search.searcher import Searcher  # noqa: E402


def _article(law: str, number: int, title: str, text: str) -> Article:
    return Article(law=law, number=number, title=title, kind="법률", paragraphs=[Paragraph(None, text)])


@pytest.fixture(scope="module")
def searcher(tmp_path_factory) -> Searcher:
    index = tmp_path_factory.mktemp("area") / "idx"
    labor = [_article("근로기준법", 23, "해고 등의 제한", "사용자는 근로자에게 정당한 이유 없이 해고를 하지 못한다."),
             _article("근로기준법", 26, "해고의 예고", "사용자는 근로자를 해고하려면 적어도 30일 전에 예고를 하여야 한다."),
             _article("최저임금법", 6, "최저임금의 효력", "사용자는 최저임금의 적용을 받는 근로자에게 최저임금액 이상의 임금을 "
                                                    "지급하여야 한다.")]
    build_index(sup.articles() + labor, index, model="none")
    return Searcher(index)


def test_an_area_filter_reads_as_the_held_laws_of_its_corpus(searcher):
    results = searcher.search("해고 예고", k=5, laws=["노동법"], mode="bm25")
    assert results and {h.key.split(" 제")[0] for h in results} <= {"근로기준법", "최저임금법"}
    assert "law filter '노동법' read as the laws of the corpus labor this index holds (2): 근로기준법, 최저임금법" in \
        results.notices
    # beside a law, and comma-separated as the API and the CLI give it
    both = searcher.search("해고 손해배상", k=10, laws="민법,노동", mode="bm25")
    assert {h.key.split(" 제")[0] for h in both} <= {"민법", "근로기준법", "최저임금법"}
    assert any(n.startswith("law filter '노동' read as") for n in both.notices)
    assert not any(n.startswith("law filter") for n in searcher.search("해고", k=3, laws=["근로기준법"], mode="bm25").notices)


def test_an_area_whose_laws_the_index_lacks_still_names_its_corpus(searcher):
    with pytest.raises(LegalretError, match=r"unknown law filter '형사법': not in this index \(형사법 names an area of "
                                            r"law, not one law: the corpus criminal lists its laws .*add them with "
                                            r"`legalret index add criminal --index "):
        searcher.search("사기", laws=["형사법"], mode="bm25")
