"""Search notices added in the twenty-fourth session (a law's name alone; an area's words).

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


# ---- a question in an area's words, on an index without the area's laws ---------------------------------------------
# "회사에서 부당하게 해고당했어요" on the main job's index had got 민법 제750조 at 34 and no word that 근로기준법 is missing
# (an agent developer's report): it names neither a law nor an area (노동법상 … has its notice). Words of labour questions
# (legalret.search.areas.AREA_QUESTION_WORDS) now name the corpus that adds the area's laws.

CIVIL = LawNames(["민법", "상법"])


@pytest.mark.parametrize("query, word", [("회사에서 부당하게 해고당했어요", "해고"), ("퇴직금을 못 받았어요", "퇴직금"),
                                         ("최저 임금보다 적게 받았다", "최저 임금"), ("직장 내 괴롭힘 신고", "직장 내 괴롭힘")])
def test_a_labour_question_names_the_labour_corpus(query, word):
    from legalret.search.areas import area_word_notes

    (note,) = area_word_notes(query, CIVIL)
    assert note.startswith(f"'{word}': a question about 노동 — the corpus labor (근로기준법, 최저임금법 … ")
    assert note.endswith("is not in this index; add it with `legalret index add labor`")


@pytest.mark.parametrize("query", ["사용자책임 소멸시효", "고임금 근로의 대가", "파업으로 항공편이 취소되었다", "유치권 간접점유",
                                   "임대차 묵시적 갱신"])
def test_words_of_other_questions_get_no_notice(query):
    from legalret.search.areas import area_word_notes

    assert area_word_notes(query, CIVIL) == []


def test_a_tenancy_question_in_its_special_acts_words_names_the_tenancy_corpus():
    from legalret.search.areas import area_word_notes

    (note,) = area_word_notes("상가 임대차 권리금 회수기회 보호", CIVIL)
    assert note.startswith("'상가 임대차, 권리금': a question about 임대차 — the corpus tenancy (주택임대차보호법, ")
    assert area_word_notes("전입신고 확정일자", LawNames(["민법", "주택임대차보호법"])) == []


def test_no_notice_where_the_index_holds_a_labour_law_or_the_question_names_a_held_law():
    from legalret.search.areas import area_word_notes

    assert area_word_notes("부당해고 구제신청", LawNames(["민법", "근로기준법"])) == []
    assert area_word_notes("민법상 임금 채권의 소멸시효", CIVIL) == []  # (about 민법: its 제163조)
    said = ["'근로기준법 제23조': 근로기준법 is not in this index (add it with `legalret index add labor`)"]
    assert area_word_notes("근로기준법 제23조 해고", CIVIL, said=said) == []  # (said once)


@pytest.mark.parametrize("area, civil_most, questions_least, noticed_least", [("노동", 0, 70, 40), ("임대차", 1, 90, 25)])
def test_on_the_question_files_it_names_the_areas_questions_and_almost_never_civil_ones(area, civil_most,
                                                                                        questions_least, noticed_least):
    """The counts the words were chosen with (both halves of the five question files; no held-out measurement): a
    notice naming the area for almost no question whose gold is 민법/상법, for many whose gold cites a law of the area."""
    import json

    from legalret.corpus.manifest import area_corpus
    from legalret.search.areas import area_word_notes

    corpus, _, laws_of_area = area_corpus(area)
    civil_noticed = noticed = questions = 0
    for path in sorted((Path(__file__).resolve().parents[1] / "benchmarks" / "queries").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            laws = {g.rsplit(" ", 1)[0] for g in q.get("gold", [])}
            acts = {law.removesuffix(" 시행령") for law in laws}
            named = any(f"the corpus {corpus} " in n for n in area_word_notes(q["query"], CIVIL))
            if laws and laws <= {"민법", "상법"}:
                civil_noticed += named
            elif acts & set(laws_of_area):
                questions += 1
                noticed += named
    assert civil_noticed <= civil_most
    assert questions >= questions_least and noticed >= noticed_least
