"""A decision named by its 사건번호 (``legalret.search.cases``): the articles it cites come first; an unknown number
gets a notice and is no word to search for; ``before``/``exclude`` hide a decision as they hide its votes."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.search.cases import CASE_NUMBER, decision_citations, without_case_numbers  # noqa: E402

PRECEDENTS = sup.PRECEDENTS + [
    {"case_no": "2000므1257(본소), 1264(반소)", "decided": date(2000, 9, 5), "source": "fixture",
     "holdings": [{"index": 2, "text": "임차인의 차임 지급 의무", "keys": ["민법 제618조"]},
                  {"index": 1, "text": "불법행위로 인한 재산 이외의 손해", "keys": ["민법 제751조", "민법 제750조"]}]},
]


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    from legalret import pipeline
    from legalret.search.searcher import Searcher

    path = tmp_path_factory.mktemp("cases") / "idx"
    pipeline.build(sup.articles(), path, model="none", precedents=PRECEDENTS)
    return Searcher(path)


def test_case_numbers_are_read_as_courts_write_them():
    found = ["".join(m.groups()) for m in CASE_NUMBER.finditer("대법원 2016. 5. 19. 선고 2016다248806 판결, 91다28719")]
    assert found == ["2016다248806", "91다28719"]
    assert without_case_numbers("2016다248806 판결 16억 5천만 원") == "  판결 16억 5천만 원"  # 억 is no case type


def test_a_named_decision_cites_its_articles_first(searcher):
    res = searcher.search("2018다2002 판결의 취지", k=5, explain=True)
    assert res.keys[:2] == ["민법 제320조", "민법 제192조"]
    assert res[0].reasons[0] == "cited by decision 2018다2002 (2018-05-02)"
    assert searcher.search("2018다2002", k=5).notices == [
        "decision 2018다2002 (2018-05-02): the articles of this index it cites come first (2)"]
    assert searcher.search("２０１８다２００２", k=2).keys == ["민법 제320조", "민법 제192조"]  # full-width digits
    # a merged 사건번호 answers to each number; its holdings' articles in the order of the holdings
    assert searcher.search("2000므1264", k=3).keys == ["민법 제751조", "민법 제750조", "민법 제618조"]


def test_an_unknown_case_number_is_said_and_not_searched(searcher):
    res = searcher.search("2016다999999", k=3)
    assert "decision 2016다999999 is not among the precedents this index's memory holds" in res.notices
    assert res.keys == []  # nothing else to search for: no hits guessed from the syllable 다
    assert len(res.notices) == 1  # not also "the query has no searchable words (only punctuation …)": it has a 사건번호
    assert not any("2016" in n for n in searcher.search("16억 5천만 원의 보증금", k=3).notices)


def test_before_and_exclude_hide_a_decision_as_they_hide_its_votes(searcher):
    memory = searcher.memory.memory
    assert [c.key for c in decision_citations("2019다1001", memory)[0]] == ["민법 제618조", "민법 제390조"]
    assert decision_citations("2019다1001", memory, before=date(2019, 1, 1)) == ([], [])  # its future: unknown, silently
    assert decision_citations("2019다1001", memory, exclude="2019다1001") == ([], [])
    assert decision_citations("2019다1001", None) == ([], [  # an index without a memory says so
        "decision 2019다1001 cannot be looked up: this index has no precedent memory (built without --precedents)"])
    assert decision_citations("2010년 5월 3일", None) == ([], [])


def test_the_page_says_the_article_came_from_the_named_decision(searcher):
    from fastapi.testclient import TestClient

    from legalret.serve.app import create_app
    from legalret.serve.wording import DECISION_LABEL

    body = TestClient(create_app(searcher.index_dir, warm=False)).get(
        "/api/search", params={"q": "2018다2002", "k": 3, "explain": 1}).json()
    first = body["hits"][0]
    assert first["key"] == "민법 제320조" and first["relevance"] == 100
    assert first["signals"][0]["label"] == DECISION_LABEL


def test_a_precedent_links_to_the_whole_decision():
    """The index keeps a decision's holdings, not its reasons: each precedent shown carries the law.go.kr page of the
    whole decision, by its 판례일련번호 (the mirror's 출처 field has the same form)."""
    from types import SimpleNamespace

    from legalret.keys import decision_url
    from legalret.search.retrievers.memory import precedent_fields

    item = SimpleNamespace(case_no="2016다248806", decided=date(2017, 5, 17), index=1, text="…", serial="184813")
    fields = precedent_fields(SimpleNamespace(item=item, similarity=0.8), "holding")
    assert fields["url"] == "https://www.law.go.kr/LSW/precInfoP.do?precSeq=184813"
    assert decision_url("") is None and decision_url("abc") is None
