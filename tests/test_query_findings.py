"""What a new user found in queries: ``형법 250조의 1항`` read as 제250조의1, circled paragraph numbers (``제250조 ③``)
ignored, ``도교법`` and other common short names unknown, and English questions answered with confident guesses."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from legalret.articles import Article, Paragraph
from legalret.keys import LawNames, law_aliases, written_out
from legalret.search.citations import find_citations, unresolved_citations
from legalret.search.coverage import NOT_KOREAN, NOTHING_MATCHED, coverage_notes, is_korean

ROOT = Path(__file__).resolve().parent.parent
NAMES = LawNames(["형법", "민법", "상법"])


def cited(query: str) -> list[tuple[str, int | None, int | None]]:
    return [(c.key, c.paragraph, c.item) for c in find_citations(query, NAMES)]


# --- 1. "250조의 1항": 의 before a paragraph or item is the possessive ------------------------------------------------


def test_a_number_after_uii_followed_by_hang_or_ho_is_a_paragraph_or_item():
    assert cited("형법 250조의 1항") == [("형법 제250조", 1, None)]
    assert cited("형법 제250조의 1항") == cited("형법 제250조의1항") == [("형법 제250조", 1, None)]
    assert cited("형법 250조의 12항") == [("형법 제250조", 12, None)]  # (not 제250조의1 and a stray 2항)
    assert cited("형법 제250조의 2호") == [("형법 제250조", None, 2)]
    assert cited("형법 250조의 1항 및 2항") == [("형법 제250조", 1, None), ("형법 제250조", 2, None)]
    assert find_citations("형법 250조의 1항", NAMES)[0].raw == "형법 250조의 1항"
    assert unresolved_citations("형법 250조의 1항", NAMES) == []  # (it had said 제250조의1 is not in this index)


def test_branches_stay_branches():
    assert cited("형법 제250조의2 제1항") == [("형법 제250조의2", 1, None)]
    assert cited("상법 651조의2") == [("상법 제651조의2", None, None)]
    assert cited("상법 제3조의 2") == [("상법 제3조의2", None, None)]
    assert cited("상법 651조의2 1항") == [("상법 제651조의2", 1, None)]
    assert cited("상법 제651의2조") == [("상법 제651조의2", None, None)]
    assert cited("민법 제 750 조의 2") == [("민법 제750조의2", None, None)]


# --- 2. circled paragraph numbers -----------------------------------------------------------------------------------


def test_a_circled_number_after_an_article_is_its_paragraph():
    assert cited("형법 제250조 ③") == cited("형법 제250조③") == [("형법 제250조", 3, None)]
    assert cited("형법 제250조 ② 제1호") == [("형법 제250조", 2, 1)]
    assert cited("민법 제8조 ①, ②") == [("민법 제8조", 1, None), ("민법 제8조", 2, None)]
    assert cited("민법 제750조 제1항 및 ③") == [("민법 제750조", 1, None), ("민법 제750조", 3, None)]
    assert cited("상법 제651조의2 ⑳") == [("상법 제651조의2", 20, None)]
    c = find_citations("형법 제250조 ③", NAMES)[0]
    assert (str(c), c.raw) == ("형법 제250조 제3항", "형법 제250조 ③")


def test_circled_numbers_that_enumerate_name_no_paragraph():
    # ② starts the second question, not 제750조 제2항
    assert cited("① 민법 제750조 ② 민법 제751조") == [("민법 제750조", None, None), ("민법 제751조", None, None)]
    assert cited("① 민법 제750조 ②") == [("민법 제750조", None, None)]
    assert cited("민법 제750조 ① 요건 ② 효과") == [("민법 제750조", None, None)]


def test_a_circled_paragraph_without_a_law_is_said_as_written():
    assert unresolved_citations("제250조 ③", NAMES) == ["'제250조 ③' names no law; write it as e.g. '민법 제250조 ③'"]


# --- 3. short names -------------------------------------------------------------------------------------------------


ADDED = {
    "도교법": "도로교통법",
    "국보법": "국가보안법",
    "집시법": "집회 및 시위에 관한 법률",
    "화물자동차법": "화물자동차 운수사업법",
    "여전법": "여신전문금융업법",
    "전금법": "전자금융거래법",
    "게임산업법": "게임산업진흥에 관한 법률",
    "장애인차별금지법": "장애인차별금지 및 권리구제 등에 관한 법률",
    "전자장치부착법": "전자장치 부착 등에 관한 법률",
    "총포화약법": "총포ㆍ도검ㆍ화약류 등의 안전관리에 관한 법률",
}


def test_the_added_short_names_name_their_laws():
    aliases = law_aliases()
    assert {alias: aliases.get(alias) for alias in ADDED} == ADDED
    assert aliases["교특법"] == "교통사고처리 특례법"  # (already there)
    names = LawNames(["도로교통법", "집회 및 시위에 관한 법률", "총포·도검·화약류 등의 안전관리에 관한 법률"])
    assert written_out("도교법 44조", names) == ("도로교통법 44조", [("도교법", "도로교통법")])
    assert written_out("집시법상 신고", names)[0] == "집회 및 시위에 관한 법률상 신고"
    assert written_out("총포화약법 위반", names)[0] == "총포·도검·화약류 등의 안전관리에 관한 법률 위반"
    assert written_out("도교법안", names) == ("도교법안", [])  # only a whole word (or with what a law's name takes)
    # a short name of a law the index lacks says which law it is
    assert unresolved_citations("도교법 44조", LawNames(["민법", "상법"])) == [
        "'도교법 44조': 도교법 (도로교통법) is not in this index (add it with `legalret index add criminal`)"]


# --- 4. a query with no Korean --------------------------------------------------------------------------------------


def test_a_query_without_korean_gets_one_notice():
    vocabulary = {"is", "the", "유치권"}
    (note,) = coverage_notes(["what", "is", "a", "lien"], vocabulary, text="What is a lien?")
    assert note == (
        "nothing in the query matched this index: the query has no Korean words (Hangul or Hanja), and no article "
        "contains 'what', 'a', 'lien'; legalret searches Korean statutes in Korean, so any hits are only "
        "guesses — ask in Korean, e.g. '불법행위 손해배상' or '민법 제750조'")
    assert note.startswith(NOT_KOREAN) and NOT_KOREAN.startswith(NOTHING_MATCHED)  # (the page and the API read it so)
    # every word in some article ("is", "the") still gets it: they are no answer to the question
    (note,) = coverage_notes(["is", "the"], vocabulary, text="is the")
    assert note == ("nothing in the query matched this index: the query has no Korean words (Hangul or Hanja); legalret "
                    "searches Korean statutes in Korean, so any hits are only guesses — ask in Korean, e.g. "
                    "'불법행위 손해배상' or '민법 제750조'")
    # words only earlier holdings use do not make it an answer either
    assert coverage_notes(["is", "a"], set(), precedents=lambda: {"is", "a"}, text="is a")[0].startswith(NOT_KOREAN)


def test_korean_hanja_and_numbers_alone_are_read_as_before():
    vocabulary = {"유치권", "점유"}
    assert coverage_notes(["유치권", "점유"], vocabulary, text="유치권 점유") == []
    assert coverage_notes(["유치권", "lien"], vocabulary, text="유치권 lien") == []  # half matched
    assert coverage_notes(["유치권"], vocabulary, text="留置權") == []  # Hanja (read in Hangul before this)
    assert coverage_notes(["750"], vocabulary, text="750")[0] == (
        "nothing in the query matched this index: no article contains '750'; any hits are only the nearest "
        "guesses — check the spelling or ask in other words")  # no letters: not "ask in Korean"
    assert coverage_notes(["what"], vocabulary)[0].startswith(NOTHING_MATCHED + ": no article contains")  # no text
    assert is_korean("민법") and is_korean("民法") and is_korean("ㅋㅋ") and not is_korean("What is a lien? §750")


# --- through the searcher --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "index"))
    import index_support as sup

    from legalret.index import build_index
    from legalret.search.searcher import Searcher

    extra = [
        Article("형법", 250, title="살인, 존속살해", kind="법률",
                paragraphs=[Paragraph(1, "사람을 살해한 자는 사형, 무기 또는 5년 이상의 징역에 처한다."),
                            Paragraph(2, "자기 또는 배우자의 직계존속을 살해한 자는 사형, 무기 또는 7년 이상의 징역에 처한다.")]),
        Article("도로교통법", 44, title="술에 취한 상태에서의 운전 금지", kind="법률",
                paragraphs=[Paragraph(1, "누구든지 술에 취한 상태에서 자동차등을 운전하여서는 아니 된다.")]),
    ]
    path = tmp_path_factory.mktemp("findings") / "idx"
    build_index(sup.articles() + extra, path, model="none")
    return Searcher(path)


def test_search_reads_a_possessive_paragraph(searcher):
    res = searcher.search("형법 250조의 1항", k=3)
    assert res.keys[0] == "형법 제250조"
    assert not any("not in this index" in n for n in res.notices), res.notices


def test_search_checks_a_circled_paragraph(searcher):
    assert "cited article 형법 제250조 has no 제3항" in searcher.search("형법 제250조 ③", k=3).notices
    assert "cited article 형법 제250조 has no 제3항" in searcher.search("형법 제250조 제3항", k=3).notices
    res = searcher.search("형법 제250조 ②", k=3)
    assert res.keys[0] == "형법 제250조" and not any("has no" in n for n in res.notices)


def test_search_reads_the_short_name_of_the_road_traffic_act(searcher):
    res = searcher.search("도교법 44조", k=3)
    assert res.keys[0] == "도로교통법 제44조"
    assert "short law names read in full: 도교법 → 도로교통법" in res.notices
    assert not any("not in this index" in n for n in res.notices)


def test_search_says_a_query_without_korean_is_a_guess(searcher):
    notices = searcher.search("What is a lien?", k=3).notices
    assert [n for n in notices if n.startswith(NOTHING_MATCHED)] == [n for n in notices if n.startswith(NOT_KOREAN)]
    assert len([n for n in notices if n.startswith(NOT_KOREAN)]) == 1, notices
    korean = searcher.search("유치권 점유", k=3).notices
    assert not any(n.startswith(NOTHING_MATCHED) for n in korean)


def test_the_page_says_it_in_korean_and_the_api_gives_no_relevance_but_to_citations():
    """The page (app.js NOTICE_KO) has a reading of its own for this notice (before the "nothing matched" one), and
    the API's relevance is None for every hit but a citation: "is" and "the" matched holdings quoting English, and
    those hits had read 85."""
    import json
    import shutil
    import subprocess

    from legalret.serve.wording import lawyer_view

    sys.path.insert(0, str(ROOT / "tests"))
    from _relevance_hits_s19 import rated
    from test_page_notices import _NODE_SCRIPT, APP_JS, korean_pattern

    notices = [*coverage_notes(["what", "is", "a", "lien"], {"is"}, text="What is a lien?"),
               *coverage_notes(["is"], {"is"}, text="is")]
    assert all(korean_pattern(n).pattern.startswith("^nothing in the query matched this index: the query has no Korean")
               for n in notices)
    hits = [{"key": "민법 제751조", "score": 2.0, "ranks": {"memory": 1, "bm25": 3}},
            {"key": "민법 제750조", "score": 1.0, "ranks": {"citation": 1}}]
    assert [h["relevance"] for h in lawyer_view(rated(hits, learned=True, notices=notices[:1]))] == [None, 100]
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed")
    out = subprocess.run([node, "-e", _NODE_SCRIPT, str(APP_JS)], input=json.dumps(notices), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    with_words, without = json.loads(out.stdout)
    assert with_words.startswith("검색어에 한글이나 한자가 없습니다 ('what', 'a', 'lien'). ") and "한국어로 물어보세요" in with_words
    assert without.startswith("검색어에 한글이나 한자가 없습니다. ") and "한국어로 물어보세요" in without
