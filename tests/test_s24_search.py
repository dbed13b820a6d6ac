"""Search notices added in the twenty-fourth session.

A query that is only a law's name ("민법") had got 상법 제195조 ("…조합에 관한 민법의 규정을 준용한다") first at relevance
21 and no word: it says nothing to look for in the law, and the hits are the articles whose words are its name. It now
gets a notice saying so and how to ask (add what to look for, cite an article, filter by the law); any other query,
and a law the index lacks (which has its own notice), is unchanged.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from legalret.keys import LawNames
from legalret.search.prepare import law_names_only_notice

LAWS = LawNames(["민법", "상법", "근로기준법"])


@pytest.mark.parametrize("query", ["민법", " 민법 ", "민법?", "민법.", "근로기준법"])
def test_one_law_name_alone_gets_the_notice(query):
    # (a short name, 근기법, is written out before this reads the query: QueryPreparer.full_law_names)
    note = law_names_only_notice(query, LAWS)
    law = query.strip(" ?.")
    assert note is not None and note.startswith(f"'{law}' only names a law:")
    assert f"cite an article ('{law} 제1조')" in note


def test_several_law_names_alone_get_one_notice():
    note = law_names_only_notice("민법, 상법", LAWS)
    assert note.startswith("'민법, 상법' only names laws: the hits are articles that mention them")
    assert law_names_only_notice("민법 민법", LAWS).startswith("'민법' only names a law")


@pytest.mark.parametrize("query", ["민법 소멸시효", "민법 제162조", "형법", "민법 형법", "민법상", "", "   ", "?"])
def test_any_other_query_gets_none(query):
    assert law_names_only_notice(query, LAWS) is None


def test_the_searcher_says_it_and_changes_no_hit(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
    import index_support as sup

    from legalret.index import build_index
    from legalret.search.searcher import Searcher

    build_index(sup.articles(), tmp_path / "idx", model="none")
    s = Searcher(tmp_path / "idx")
    res = s.search("상법", k=3)
    assert [n for n in res.notices if "only names" in n] == [
        "'상법' only names a law: the hits are articles that mention it by name — add what to look for, cite an "
        "article ('상법 제1조'), or filter by the law"]
    assert not any("only names" in n for n in s.search("상법 보험", k=3).notices)
    # a law the index lacks keeps its own notice, not this one
    assert not any("only names" in n for n in s.search("형법", k=3).notices)
