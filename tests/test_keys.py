"""legalret.keys.law_of and laws_named: the law of a key, and which laws a query names by whole name."""

from __future__ import annotations

import pytest

from legalret.keys import law_of, laws_named, parse_key


@pytest.mark.parametrize("key", ["민법 제750조", "상법 제651조의2", "근로기준법 시행령 제30조",
                                 "채무자 회생 및 파산에 관한 법률 제566조",
                                 "제주특별자치도 설치 및 국제자유도시 조성을 위한 특별법 제1조"])
def test_law_of_is_parse_keys_law(key):
    assert law_of(key) == parse_key(key).law


def test_a_name_glued_to_a_syllable_before_it_is_another_law():
    laws = ["형법", "군형법", "민법", "상법"]
    assert laws_named("군형법 제1조의 적용 대상", laws) == [False, True, False, False]
    assert laws_named("국제형법 위반", laws) == [False, False, False, False]
    assert laws_named("주택임대차보호법상 대항력", ["임대차보호법", "주택임대차보호법"]) == [False, True]


def test_words_after_the_name_still_name_it():
    assert laws_named("형법상 정당방위", ["형법"]) == [True]
    assert laws_named("형법의 정당방위와 군형법", ["형법", "군형법"]) == [True, True]
    assert laws_named("민법750", ["민법", "상법"]) == [True, False]
    assert laws_named("(민법 제750조)·상법", ["민법", "상법"]) == [True, True]


def test_spaces_and_middle_dots_do_not_count_and_a_decree_names_its_act():
    laws = ["근로기준법 시행령", "근로기준법", "남녀고용평등과 일·가정 양립 지원에 관한 법률"]
    assert laws_named("근로기준법시행령 제30조", laws) == [True, True, False]
    assert laws_named("근로기준법 위반", laws) == [False, True, False]
    assert laws_named("남녀고용평등과일가정 양립지원에관한법률", laws) == [False, False, True]


def test_a_former_law_is_named_with_or_without_a_space():
    """구 before a name is its former version (구법), keyed under the law's own name: ``구형법`` as ``구 형법``."""
    laws = ["형법", "군형법", "형사소송법", "민법"]
    assert laws_named("구형법상 정당방위", laws) == laws_named("구 형법상 정당방위", laws) == [True, False, False, False]
    assert laws_named("(구형사소송법 제312조)", laws) == [False, False, True, False]
    assert laws_named("구민법 시행 당시의 상속", laws) == [False, False, False, True]
    # only a word-initial 구, and only right before the name: otherwise still a whole-name match
    assert laws_named("구군형법 위반", laws) == [False, True, False, False]
    assert laws_named("연구형법 논문", laws) == [False, False, False, False]
    assert laws_named("구시형법", laws) == [False, False, False, False]


def test_a_glued_former_names_a_law_only_when_the_word_ends_as_a_name_does():
    """구 is also a word's first syllable (구상 "indemnity", 구형 "sentence requested"): glued to a name, 구 names
    the former law only when the rest of the word is nothing, a name's suffix, a particle, the decree or 제."""
    laws = ["상법", "형법", "민법", "근로기준법", "근로기준법 시행령"]
    named = lambda q: [law for law, hit in zip(laws, laws_named(q, laws)) if hit]  # noqa: E731
    for query, want in [
        ("구상법리에 따라 구상권을 행사한다", []),  # 구상 + 법리, 구상 + 권
        ("구상권", []), ("구상법률관계", []), ("구형법리상 문제", []),
        ("구상법", ["상법"]), ("구상법에서는 어떻게 보았나", ["상법"]), ("구상법 제1조", ["상법"]),
        ("구형법", ["형법"]), ("구 형법", ["형법"]), ("구형법상의 정당방위", ["형법"]), ("구민법하에서", ["민법"]),
        ("구민법제750조", ["민법"]), ("구민법750조", ["민법"]), ("(구민법)", ["민법"]),
        ("구근로기준법시행령 제5조", ["근로기준법", "근로기준법 시행령"]),
        # the rule is the glued 구's alone: a name that starts a word keeps what follows it, and 구 with a space is a word
        ("구 상법리", ["상법"]), ("상법상 구상권", ["상법"]), ("구상법리와 구 상법의 관계", ["상법"]),
    ]:
        assert named(query) == want, query


def test_an_article_links_to_its_page_on_law_go_kr():
    """The law's page as the mirror's 출처 field gives it (name without spaces, the promulgated middle dot ㆍ), then
    the article."""
    from legalret.keys import article_url

    assert article_url("민법 제750조") == "https://www.law.go.kr/법령/민법/제750조"
    assert article_url("상법 제651조의2") == "https://www.law.go.kr/법령/상법/제651조의2"
    assert article_url("근로기준법 시행령 제2조") == "https://www.law.go.kr/법령/근로기준법시행령/제2조"
    assert (article_url("남녀고용평등과 일·가정 양립 지원에 관한 법률 제19조")
            == "https://www.law.go.kr/법령/남녀고용평등과일ㆍ가정양립지원에관한법률/제19조")
