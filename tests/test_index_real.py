"""On the real shared data: a 민법+상법 BM25 index from the legalize-kr markdown (slow: real Kiwi over ~2.3k articles)."""

import pytest

from legalret.index import add_to_index, build_index, load_index
from legalret.search.searcher import Searcher


@pytest.fixture(scope="module")
def civil_commercial(shared_data, tmp_path_factory):
    from legalret.ingest.sources import ingest

    result = ingest([shared_data / "statutes" / "legalize-kr.zip"], laws=["민법", "상법"])
    index = tmp_path_factory.mktemp("real") / "idx"
    report = build_index(result.articles, index, model="none")
    return result.articles, index, report


@pytest.mark.slow
def test_civil_commercial_index_answers_the_readme_query(civil_commercial):
    articles, index, report = civil_commercial
    assert report.laws == 2 and report.articles == len(articles) > 2300
    s = Searcher(index)
    top = s.search("유치권 간접점유", k=10, mode="bm25").keys
    assert "민법 제320조" in top and "민법 제194조" in top
    assert s.search("상법 651조의2", k=1, mode="bm25")[0].key == "상법 제651조의2"
    assert s.search("보험계약자의 고지의무 위반", k=5, mode="bm25", laws="상법")[0].article.law == "상법"


@pytest.mark.slow
def test_amending_one_law_reuses_everything_else(civil_commercial, tmp_path):
    articles, index, _ = civil_commercial
    civil = [a for a in articles if a.law == "민법"]
    target = next(a for a in civil if a.key == "민법 제750조")
    target.paragraphs[0].text += " 자율주행로봇에 의한 손해도 같다."
    r = add_to_index(civil, index)
    assert (r.added, r.changed, r.removed) == (0, 1, 0) and r.tokenized == 1
    assert r.unchanged == len(civil) - 1
    assert Searcher(index).search("자율주행로봇 손해", k=1, mode="bm25")[0].key == "민법 제750조"
    assert len(load_index(index).articles) == len(articles)
