"""Exact citations in queries."""

from legalret.keys import LawNames
from legalret.search.citations import find_citations

NAMES = LawNames(["민법", "상법", "민법 시행령", "채무자 회생 및 파산에 관한 법률"])


def keys(q, **kw):
    return [c.key for c in find_citations(q, NAMES, **kw)]


def test_forms_of_a_citation():
    assert keys("민법 제750조") == ["민법 제750조"]
    assert keys("상법 651조의2 질문의 효력") == ["상법 제651조의2"]
    assert keys("상법 제651조의 2") == ["상법 제651조의2"]
    c = find_citations("민법 750조 1항", NAMES)[0]
    assert (c.key, c.paragraph, c.raw) == ("민법 제750조", 1, "민법 750조 1항")
    assert find_citations("민법 제750조 제1항 제2호", NAMES)[0].item == 2


def test_law_names_any_spacing_and_quotes():
    assert keys("채무자회생및파산에관한법률 제100조") == ["채무자 회생 및 파산에 관한 법률 제100조"]
    assert keys("「민법」 제103조의 반사회질서") == ["민법 제103조"]
    assert keys("질문:민법 제3조") == ["민법 제3조"]
    assert keys("민법 시행령 제1조") == ["민법 시행령 제1조"]  # the longest name wins
    # 구 (the former version) glued to the name or not, as LawNames.resolve reads it
    assert keys("구민법 제1000조") == keys("구 민법 제1000조") == keys("(구민법 제1000조)") == ["민법 제1000조"]
    assert keys("구민법750") == ["민법 제750조"]


def test_carry_over_and_same_law():
    assert keys("민법 제750조, 제751조 및 같은 법 제756조") == ["민법 제750조", "민법 제751조", "민법 제756조"]
    assert keys("민법 제750조와 상법 제3조, 제4조") == ["민법 제750조", "상법 제3조", "상법 제4조"]
    assert keys("상법 제1조 동법 제2조") == ["상법 제1조", "상법 제2조"]


def test_the_law_carries_over_past_titles_running_text_and_paragraphs():
    """Common ways of writing several citations lost the law of the second one ("names no law") or its paragraph."""
    assert keys("민법 제103조(반사회질서의 법률행위), 제104조(불공정한 법률행위)") == ["민법 제103조", "민법 제104조"]
    assert keys("민법 제750조에 따르면 불법행위자는 배상하고, 제751조에 따라 위자료도") == ["민법 제750조", "민법 제751조"]
    # not past another law's name, nor across a long stretch of text
    assert keys("민법 제750조의 요건, 형법상 제20조") == ["민법 제750조"]
    assert keys("민법 제750조 " + "가" * 70 + " 제751조") == ["민법 제750조"]
    # every paragraph of one article: an invented 제5항 must be checked, not dropped
    for text in ("민법 제8조 제1항 및 제5항", "민법 제8조 제1항, 제5항", "민법 제8조 제1항·제5항", "민법 제8조 제1항, 같은 조 제5항"):
        assert [(c.key, c.paragraph) for c in find_citations(text, NAMES)] == [("민법 제8조", 1), ("민법 제8조", 5)], text
    # numbers listed after a bare one; the branch written before 조; no stray 제750조 from "제 750 조의 2"
    assert keys("민법 750, 751") == keys("민법 750 및 751") == ["민법 제750조", "민법 제751조"]
    assert keys("민법 750, 3년") == ["민법 제750조"]
    assert keys("상법 제651의2조") == ["상법 제651조의2"]
    assert keys("민법 제 750 조의 2") == ["민법 제750조의2"]
    # a law this index lacks carries over in the notices too, and is never replaced by the one before it
    from legalret.search.citations import unresolved_citations

    assert unresolved_citations("근로기준법 제23조 및 제27조", NAMES) == [
        "'근로기준법 제23조': 근로기준법 is not in this index (add it with `legalret index add labor`)",
        "'근로기준법 제27조': 근로기준법 is not in this index (add it with `legalret index add labor`)"]
    assert keys("민법 제750조와 형법 제20조") == keys("민법 제750조, 형법상 제20조") == ["민법 제750조"]


def test_no_false_positives():
    assert keys("유치권 간접점유") == []
    assert keys("삼성전자 1조원 투자와 민법") == []
    assert keys("제750조 손해배상") == []  # no law named
    assert keys("형법 제250조") == []  # a law this index does not know
    assert keys("제750조 손해배상", default_law="민법") == ["민법 제750조"]


def test_duplicates_kept_once():
    assert keys("민법 제750조 민법 제750조") == ["민법 제750조"]


def test_law_name_and_a_bare_number_is_a_citation():
    """Issue 21 (13): "민법 750" returned 민법 제580조 (BM25 on '민법' alone); a person means 민법 제750조."""
    assert keys("민법 750") == ["민법 제750조"]
    assert keys("민법 750 손해배상 책임") == ["민법 제750조"]
    assert keys("민법 750에 따른 배상") == ["민법 제750조"]
    assert keys("상법 651의2") == ["상법 제651조의2"]
    assert keys("「민법」 750") == ["민법 제750조"]
    assert keys("민법 제 103 반사회질서") == ["민법 제103조"]
    assert keys("민법 시행령 1") == ["민법 시행령 제1조"]
    c = find_citations("질문: 민법 750", NAMES)[0]
    assert (c.raw, c.start) == ("민법 750", 4)
    assert keys("민법 750, 민법 제751조") == ["민법 제750조", "민법 제751조"]  # in order, with the 조 form


def test_a_number_glued_to_a_law_name_is_a_citation():
    """"민법750" is typed as often as "민법 750": the same citation, when the whole word is a law's name."""
    assert keys("민법750") == ["민법 제750조"]
    assert keys("상법651의2") == ["상법 제651조의2"]
    assert keys("상법651의 2 질문의 효력") == ["상법 제651조의2"]
    assert keys("민법750에 따른 배상") == ["민법 제750조"]
    assert keys("민법제750") == keys("민법 제750조") == ["민법 제750조"]
    assert keys("민법 시행령1") == ["민법 시행령 제1조"]
    c = find_citations("질문:민법750은?", NAMES)[0]
    assert (c.key, c.raw, c.start) == ("민법 제750조", "민법750", 3)


def test_a_number_glued_to_prose_is_not():
    names = LawNames(["민법", "상법", "형법"])
    for q in ("2020년", "형법상 250만원", "형법상250만원", "민법750만원", "민법3년", "갑은 2020년에", "시민법750",
              "민법상3", "상법4개 조문", "민법12.5%"):
        assert [c.key for c in find_citations(q, names)] == [], q
    assert [c.key for c in find_citations("형법250", names)] == ["형법 제250조"]  # a known law, glued: a citation


def test_a_bare_number_that_is_a_count_date_amount_or_case_is_not():
    for q in ("민법 3년의 소멸시효", "민법 2020다12345 판결", "민법 1억 원", "민법 5개 조문", "민법 2장", "민법 0",
              "민법 12.5%", "민법 12,000", "형법 750", "손해 750 민법", "민법 10000"):
        assert keys(q) == [], q


def test_repeated_unresolved_reference_is_one_notice():
    from legalret.search.citations import unresolved_citations

    notes = unresolved_citations("제753조 제753조 손해 제753조 제753조 형법 제250조", NAMES)
    assert notes == ["'제753조' names no law; write it as e.g. '민법 제753조'",
                     "'형법 제250조': 형법 is not in this index (add it with `legalret index add criminal`)"]


def test_a_range_marks_its_last_citation():
    """"내지", "부터 … 까지" and "~" make the two citations a range (the searcher fills in the articles between);
    a list ("," "및") does not, and a range stays within one law."""
    for q in ("민법 제750조 내지 제752조", "민법 제750조부터 제752조까지", "민법 제750조~제752조", "민법 제750조 ~ 752조"):
        cites = find_citations(q, NAMES)
        assert [c.key for c in cites] == ["민법 제750조", "민법 제752조"], q
        assert (cites[0].range_start, cites[1].range_start) == (None, (750, 0)), q
        assert not any(c.range_written for c in cites), q
    assert find_citations("상법 제651조의2 내지 제655조", NAMES)[1].range_start == (651, 2)
    for q in ("민법 제750조, 제752조", "민법 제750조 및 제752조", "민법 제750조 내지 상법 제752조", "민법 제750조 내지 제750조"):
        assert all(c.range_start is None for c in find_citations(q, NAMES)), q


def test_a_range_written_high_end_first_is_read_as_the_range():
    """"민법 제752조 내지 제750조" (a slip of order) had cited its two ends alone, without a word: it is the range
    제750조–제752조, listed low end first as a forward range is, its higher end carrying the range as written (for the
    notice) — each citation keeping its own span in the query."""
    from legalret.search.citations import unresolved_citations

    q = "민법 제752조 내지 제750조에 따른 책임"
    cites = find_citations(q, NAMES)
    assert [(c.key, c.range_start) for c in cites] == [("민법 제750조", None), ("민법 제752조", (750, 0))]
    assert [c.range_written for c in cites] == ["", "민법 제752조 내지 제750조"]
    assert [q[c.start : c.end] for c in cites] == ["제750조", "민법 제752조"]
    high_first = find_citations("상법 제655조 ~ 제651조의2", NAMES)
    assert [(c.key, c.range_start) for c in high_first] == [("상법 제651조의2", None), ("상법 제655조", (651, 2))]
    # the higher end already ends a range: no reading is sure, so the last is a citation of its own
    chained = find_citations("민법 제740조 내지 제752조 내지 제750조", NAMES)
    assert [(c.key, c.range_start, c.range_written) for c in chained] == [
        ("민법 제740조", None, ""), ("민법 제752조", (740, 0), ""), ("민법 제750조", None, "")]
    assert unresolved_citations(q, NAMES) == []


def test_article_numbers_keep_all_their_digits():
    # a number no article has is "not in this index" later — never silently a shorter, real one
    assert keys("민법 제750조의99999999999") == ["민법 제750조의99999999999"]
    assert keys("민법 제99999조") == ["민법 제99999조"]


def test_an_addenda_article_or_a_decree_not_here_is_named_as_written():
    """민법 부칙 제2조 is no 민법 제2조 (부칙 are not indexed) and was reported as "'제2조' names no law"; a decree the
    index lacks was reported as "시행령 is not in this index"."""
    from legalret.search.citations import unresolved_citations

    names = LawNames(["민법", "상법"])
    for query, cited in (("민법 부칙 제2조", "민법 부칙 제2조"), ("민법 부칙(2011. 3. 7.) 제2조", "민법 부칙 제2조")):
        assert find_citations(query, names) == []
        assert unresolved_citations(query, names) == [
            f"'{cited}': the index holds no 부칙 (addenda) articles, only the law's own"]
    # (a law no practice manifest lists: the statute mirror with a law filter — this machine's, or the file's name)
    note, = unresolved_citations("상법 시행령 제5조", names)
    assert note.startswith("'상법 시행령 제5조': 상법 시행령 is not in this index (add it with `legalret index add ")
    assert note.endswith("legalize-kr.zip --law '상법 시행령'`)")  # (quoted: a shell reads it as one word)


def test_a_law_name_missing_a_word_gets_a_suggestion():
    from legalret.search.citations import unresolved_citations

    names = LawNames(["민법", "주택임대차보호법", "근로자퇴직급여 보장법"])
    assert unresolved_citations("주택임대차법 제3조", names) == [
        "'주택임대차법 제3조': 주택임대차법 is not in this index (did you mean 주택임대차보호법?)"]
    assert "did you mean 근로자퇴직급여 보장법?" in unresolved_citations("근로자퇴직급여법 제8조", names)[0]
    # another law is not a misspelling of one the index has
    assert unresolved_citations("형법 제250조", names)[0].endswith("(add it with `legalret index add criminal`)")


def test_law_names_closest_compares_letters():
    names = LawNames(["민법", "상법", "헌법", "주택임대차보호법"])
    assert names.closest("민볍") == ["민법"]  # one vowel mistyped: one letter of three
    assert names.closest("주택 임대차법") == ["주택임대차보호법"]
    for other in ("형법", "군형법", "세법"):  # other laws, not misspellings
        assert names.closest(other, n=3) == [], other
    # a short name is a mistyped syllable of a name as long, never a longer name (헌법 → 하천법 had been offered)
    names = LawNames(["하천법", "형법", "대한민국학술원법"])
    assert names.closest("헌법", n=3) == [] and names.closest("형볍") == ["형법"]


def test_the_constitution_is_said_to_be_in_no_index():
    from legalret.search.citations import unresolved_citations

    names = LawNames(["하천법", "대한민국학술원법"])
    for query in ("헌법 제10조", "대한민국헌법 제10조"):
        (note,) = unresolved_citations(query, names)
        assert "the Constitution (대한민국헌법) is not in the statutes mirror" in note and "did you mean" not in note


def test_a_mistyped_law_name_before_an_article_gets_a_suggestion():
    from legalret.search.citations import unresolved_citations

    names = LawNames(["민법", "근로기준법"])
    assert unresolved_citations("민볍 제750조의 요건", names) == ["'민볍 제750조': no law is named 민볍 (did you mean 민법?)"]
    assert unresolved_citations("근로기준볍 제23조", names) == [
        "'근로기준볍 제23조': no law is named 근로기준볍 (did you mean 근로기준법?)"]
    # an ordinary word before a bare article is no misspelled law
    assert unresolved_citations("계약 제3조", names) == ["'제3조' names no law; write it as e.g. '민법 제3조'"]
    # a misspelled law the index lacks: suggested from the laws with a registered short name, said to be elsewhere
    assert unresolved_citations("근로기준볍 제23조", LawNames(["민법", "상법"])) == [
        "'근로기준볍 제23조': no law is named 근로기준볍 (did you mean 근로기준법? it is not in this index; "
        "add it with `legalret index add labor`)"]
    assert unresolved_citations("계약 제3조", LawNames(["민법", "상법"])) == [
        "'제3조' names no law; write it as e.g. '민법 제3조'"]
    # the example is a law of this index (it had said 민법 on an index of 근로기준법 and 주택임대차보호법)
    assert unresolved_citations("계약 제3조", LawNames(["근로기준법", "주택임대차보호법"])) == [
        "'제3조' names no law; write it as e.g. '근로기준법 제3조'"]


def test_section_signs_and_number_lists_are_article_citations():
    names = LawNames(["민법", "상법"])
    assert keys("민법 §750 및 §751에 따라") == ["민법 제750조", "민법 제751조"]
    assert keys("민법 §§ 750, 751의2") == ["민법 제750조", "민법 제751조의2"]
    assert keys("상법 § 651조의2 질문") == ["상법 제651조의2"]
    assert [c.key for c in find_citations("민법 §750조 손해배상", names)] == ["민법 제750조"]
    assert keys("민법 제750, 751조에 따른 책임") == ["민법 제750조", "민법 제751조"]
    assert keys("민법 제750·751조") == ["민법 제750조", "민법 제751조"]
    from legalret.search.citations import citation_forms

    assert citation_forms("손해 1, 2조원") == "손해 1, 2조원"  # an amount, not articles


def test_hanja_numerals_are_article_numbers():
    """An older judgment writes 民法 第七百五十條: it was read as "민법 제칠백오십조", no citation."""
    from legalret.search.citations import hanja_number

    assert [hanja_number(n) for n in ("十", "七百五十", "二十一", "一千一百十八", "一〇三")] == [10, 750, 21, 1118, 103]
    assert keys("민법 第七百五十條") == ["민법 제750조"]  # (民法 is read in Hangul before: QueryPreparer.readable)
    assert keys("상법 第六百五十一條之二 第一項") == ["상법 제651조의2"]
    assert find_citations("상법 第六百五十一條之二 第一項", LawNames(["상법"]))[0].paragraph == 1


def test_a_citation_written_twice_is_no_unknown_law():
    """A holding that cites the same article twice got "'민법 제750조': 민법 is not in this index" for the second."""
    from legalret.search.citations import unresolved_citations

    assert unresolved_citations("민법 제750조의 요건과 민법 제750조의 효과", LawNames(["민법"])) == []
    assert keys("민법 제750조의 요건과 민법 제750조의 효과") == ["민법 제750조"]


def test_a_former_law_with_its_version_note_is_cited():
    """The judgments' form: 구 상법(2010. 5. 14. 법률 제10281호로 개정되기 전의 것) 제651조의2 — the note hid the law."""
    from legalret.search.citations import unresolved_citations

    assert keys("구 상법(2010. 5. 14. 법률 제10281호로 개정되기 전의 것) 제651조의2") == ["상법 제651조의2"]
    assert keys("구 민법(2000. 1. 12. 법률 제6207호로 개정되기 전의 것) 제163조 제3호") == ["민법 제163조"]
    assert unresolved_citations("구 형법(1995. 12. 29. 법률 제5057호로 개정되기 전의 것) 제250조", NAMES) == [
        "'형법 제250조': 형법 is not in this index (add it with `legalret index add criminal`)"]
