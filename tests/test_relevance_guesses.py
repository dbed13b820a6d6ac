"""Relevance on guesses: a query that only cites a law the index lacks gets no 0–100 relevance on its hits.

"근로기준법 제2조 제1항 제1호의2" on a 민법+상법(+형법) index had listed 민법 제393조, 제763조, 제538조 at 관련도 99/99/98
right under the notice that 근로기준법 is not in this index: the query's words are the missing law's name ("근로",
"기준", "근로기준법"), and what they find — 민법 제975조 through "근로", the 민법 articles labour decisions cite — is a
guess (legalret.serve.wording.absent_law_guesses) — and so is every hit of a question that asks more beside the citation
("근로기준법 제23조 부당해고": the hits are another law's articles). A query that also cites a law the index holds keeps
its numbers.
"""

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.keys import LawNames  # noqa: E402
from legalret.search.citations import unresolved_citations  # noqa: E402
from legalret.search.relevance import absent_law_guesses  # noqa: E402
from legalret.serve.wording import lawyer_view  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _relevance_hits_s19 import rated  # noqa: E402

CIVIL = LawNames(["민법", "상법"])


def _notices(query: str) -> list[str]:
    """The notices the search itself gives (not copies: a change in their wording must show here)."""
    return unresolved_citations(query, CIVIL)


def _hits() -> list[dict]:
    # scores of a re-ranker that reads these as 99/99/98 (the tester's); found as the real ones were: by the dense
    # list, the holdings memory (decisions that mention 근로기준법), and BM25 (민법 제975조 through "근로")
    return [{"key": "민법 제393조", "score": 4.3, "ranks": {"dense": 1, "memory": 8, "facts": 15, "profile": 53}, "reasons": []},
            {"key": "민법 제538조", "score": 3.9, "ranks": {"dense": 130, "memory": 2, "profile": 1}, "reasons": []},
            {"key": "민법 제975조", "score": 3.7, "ranks": {"bm25": 1, "dense": 98}, "reasons": []}]


def test_only_a_citation_of_a_missing_law_is_a_guess():
    notices = _notices("근로기준법 제2조 제1항 제1호의2")
    assert absent_law_guesses(notices)
    view = lawyer_view(rated(_hits(), learned=True, notices=notices))
    # every hit, whatever found it: BM25 and the memory found them through the missing law's name
    assert [h["relevance"] for h in view] == [None, None, None]
    # without the notice (근로기준법 in the index, or not cited) the same hits keep the re-ranker's probability
    assert [h["relevance"] for h in lawyer_view(rated(_hits(), learned=True, notices=[]))] == [99, 98, 98]


def test_each_kind_of_missing_law_notice_counts():
    """A short name (근기법: its full name is named too), the Constitution, a mistyped name whose law is not in this
    index, a decree, two articles of the law: each is a law the index lacks."""
    assert absent_law_guesses(_notices("근기법 제36조"))
    assert absent_law_guesses(_notices("헌법 제10조"))
    assert absent_law_guesses(_notices("근로기준볍 제2조"))
    assert absent_law_guesses(_notices("근로기준법 시행령 제2조"))
    assert absent_law_guesses(_notices("근로기준법 제23조 및 제27조"))


def test_other_unresolved_citations_are_not_missing_laws():
    """A typo of a law the index has, addenda, '같은 법', a bare 제3조: the law (or its neighbours) may be in the index,
    or the notice names no law — not this rule's."""
    for query in ["민볍 제750조", "민법 부칙 제2조", "같은 법 제3조", "제3조"]:
        notices = _notices(query)
        assert notices and not absent_law_guesses(notices), query


def test_a_question_beyond_the_citation_is_a_guess_too():
    """'해고', '정당', '이유' find 민법 articles (민법 제660조 …), but the question is about 근로기준법 제23조: every hit is
    another law's article, and shows no number. (Before: [99, 98, 98] — the words beyond the citation kept them.)"""
    notices = _notices("근로기준법 제23조 해고의 정당한 이유")
    assert absent_law_guesses(notices)
    assert absent_law_guesses(_notices("근로기준법 제2조 근로자"))
    view = lawyer_view(rated(_hits(), learned=True, notices=notices))
    assert [h["relevance"] for h in view] == [None, None, None]


def test_words_that_only_ask_for_the_article_are_nothing_else():
    """"근로기준법 제2조의 내용을 알려주세요", "형법 제250조 관련 판례 알려줘": the request words (as Kiwi writes them) ask for
    the missing article and name no subject; the tester's question in other words is the same guess."""
    assert absent_law_guesses(_notices("근로기준법 제2조의 내용을 알려주세요"))
    assert absent_law_guesses(_notices("형법 제250조 관련 판례 알려줘"))
    # words of legal substance beside the citation too: the hits are still another law's (before: not a guess)
    assert absent_law_guesses(_notices("형법 제250조의 취지와 요건"))


def test_a_citation_the_index_has_keeps_every_number():
    """"근로기준법 제36조와 민법 제750조": the query cites an article of this index — the answer is about it, and the
    hits beside it (제751조 …) are its neighbours, not guesses."""
    notices = _notices("근로기준법 제36조와 민법 제750조")
    cited = {"key": "민법 제750조", "score": 9.0, "ranks": {"citation": 1}, "reasons": []}
    view = lawyer_view(rated([cited, *_hits()], learned=True, notices=notices))
    assert [h["relevance"] for h in view] == [100, 99, 98, 98]
    # even were '민법' not among the terms, a citation hit says the query has something the index answers
    view = lawyer_view(rated([dict(cited), *_hits()], learned=True, notices=notices))
    assert [h["relevance"] for h in view] == [100, 99, 98, 98]


def test_without_the_terms_the_rule_is_applied_the_same():
    """The rule reads the notices alone: a caller without the answer's terms (before: no hit lost its number) withholds
    the same numbers."""
    view = lawyer_view(rated(_hits(), learned=True, notices=_notices("근로기준법 제2조 제1항 제1호의2")))
    assert [h["relevance"] for h in view] == [None, None, None]


def test_a_word_inside_the_missing_name_counts_as_the_name():
    """'임대차' typed beside '주택임대차보호법 제3조': the answer's hits — 민법's 임대차 articles — are shown without a
    number, and so they are with '보증금' too (before: a number, '보증금' being no piece of the name)."""
    notices = unresolved_citations("주택임대차보호법 제3조 임대차", CIVIL)
    assert absent_law_guesses(notices)
    assert absent_law_guesses(unresolved_citations("주택임대차보호법 제3조 임대차 보증금", CIVIL))


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """민법, 상법, 민법 시행령 (no 근로기준법), BM25 and the holdings memory."""
    from legalret import pipeline

    idx = tmp_path_factory.mktemp("guesses") / "idx"
    pipeline.build(sup.articles(), idx, model="none", precedents=sup.PRECEDENTS)
    return idx


def _answer(index, query: str) -> list[dict]:
    """A search answered as the API and `legalret search --json` answer it, with the answer's terms passed on."""
    from legalret.search.response import search_response
    from legalret.search.searcher import Searcher

    s = Searcher(index)
    mode = s.resolve_mode("hybrid")
    body = search_response(s.search(query, k=5, mode=mode), mode, notices=s.notices)
    return lawyer_view(body["hits"])  # (each hit's relevance: the searcher's)


def test_search_of_a_missing_laws_citation_shows_no_relevance(index):
    hits = _answer(index, "근로기준법 제2조 제1항 제1호의2")
    # BM25 finds articles through '법' and '항' of the citation: listed, but with no number
    assert hits and all(h["relevance"] is None for h in hits)
    asked = _answer(index, "근로기준법 제23조 유치권")  # 유치권 is in the index (민법 제320조), 근로기준법 is not
    assert asked[0]["key"] == "민법 제320조" and all(h["relevance"] is None for h in asked)  # (before: 100)
    cited = _answer(index, "근로기준법 제23조와 민법 제750조")
    assert cited[0]["key"] == "민법 제750조" and cited[0]["relevance"] == 100


def test_api_shows_no_relevance_on_a_missing_laws_citation(index):
    from legalret.serve.app import create_app

    body = TestClient(create_app(index)).get("/api/search", params={"q": "근로기준법 제2조 제1항 제1호의2", "k": 5}).json()
    assert body["hits"] and all(h["relevance"] is None for h in body["hits"])
