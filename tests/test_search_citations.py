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


def test_carry_over_and_same_law():
    assert keys("민법 제750조, 제751조 및 같은 법 제756조") == ["민법 제750조", "민법 제751조", "민법 제756조"]
    assert keys("민법 제750조와 상법 제3조, 제4조") == ["민법 제750조", "상법 제3조", "상법 제4조"]
    assert keys("상법 제1조 동법 제2조") == ["상법 제1조", "상법 제2조"]


def test_no_false_positives():
    assert keys("유치권 간접점유") == []
    assert keys("삼성전자 1조원 투자와 민법") == []
    assert keys("제750조 손해배상") == []  # no law named
    assert keys("형법 제250조") == []  # a law this index does not know
    assert keys("제750조 손해배상", default_law="민법") == ["민법 제750조"]


def test_duplicates_kept_once():
    assert keys("민법 제750조 민법 제750조") == ["민법 제750조"]
