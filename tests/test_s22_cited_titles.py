"""A short question about a cited article is read with the article's title (a lawyer's finding, 2026-12-07).

"민법 제750조의 요건" left the retrievers "의 요건" to read: dense search and the facts memory put 민법 제303조 (전세권의
내용) second, at relevance 89. The retrievers and the re-ranker now read "민법 제750조(불법행위의 내용)의 요건", as a
lawyer writes a citation; the answer's ``query`` is the question as asked. A text that cites an article among many
words (a holding) is read as before."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.index import build_index  # noqa: E402
from legalret.search.searcher import Searcher  # noqa: E402


@pytest.fixture(scope="module")
def searcher(tmp_path_factory) -> Searcher:
    idx = tmp_path_factory.mktemp("titles") / "idx"
    build_index(sup.articles(), idx, model="none")  # 민법 제750조 불법행위의 내용, 제8조 deleted …
    return Searcher(idx)


def _prepared(searcher: Searcher, text: str):
    return searcher.prepare(text, laws=None, mask=None)


def test_the_cited_articles_title_is_read_after_its_citation(searcher):
    q, cites, needed = _prepared(searcher, "민법 제750조의 요건")
    assert needed and [c.key for c in cites] == ["민법 제750조"]
    assert (q.asked, q.text) == ("민법 제750조의 요건", "민법 제750조(불법행위의 내용)의 요건")
    assert "불법행위" in q.tokens
    q, _, _ = _prepared(searcher, "상법 651조의2 효력과 민법 750조 요건")  # each cited article, in place
    assert q.text == "상법 651조의2(서면에 의한 질문의 효력) 효력과 민법 750조(불법행위의 내용) 요건"


@pytest.mark.parametrize("text", [
    "민법 제750조(불법행위의 내용)의 요건",  # its title pasted already
    "민법 제8조의 의미",  # deleted: no title to read
    "민법 제9999조의 요건",  # not in the index
    "민법 제750조",  # nothing else to search for: no retriever runs
    "민법 제750조에 의한 불법행위책임이 성립하려면 가해자의 고의 또는 과실 위법성 손해 인과관계가 있어야 한다",  # a text
])
def test_other_queries_are_read_as_asked(searcher, text):
    q, _, _ = _prepared(searcher, text)
    assert q.asked is None and "(불법행위의 내용)(" not in q.text
    assert q.text == searcher.prepare.query(text).text


def test_the_answer_gives_the_question_as_asked(searcher):
    results = searcher.search("민법 제750조의 요건", k=3, mode="bm25")
    assert results.query == "민법 제750조의 요건"
    assert results[0].key == "민법 제750조" and len(results) > 1  # the cited article, then what its title finds


def test_a_table_snippet_shows_a_text_that_fits_whole():
    """The table's text window around a match never starts later than the text's end allows: 민법 제194조 (67
    characters) had been shown as "…차, 임치 기타의 관계로…" around its first match, though it fitted whole."""
    from legalret.cli.search import snippet

    text = "지상권, 전세권, 질권, 사용대차, 임대차, 임치 기타의 관계로 타인으로 하여금 물건을 점유하게 한 자는 간접으로 점유권이 있다."
    assert snippet(text, ["점유"], width=110).plain == text
    long = "가" * 200 + " 점유 " + "나" * 30
    shown = snippet(long, ["점유"], width=110).plain
    assert shown.startswith("…") and shown.endswith("나" * 30) and "점유" in shown  # the end shown, not past it
    assert snippet("점유 " + "다" * 300, ["점유"], width=110).plain.startswith("점유")
