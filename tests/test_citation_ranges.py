"""Ranges of article citations (``제750조 내지 제752조``) on both sides: a query's (legalret.search.citations, filled in by
the searcher's citation hits) and a decision's 참조조문 (legalret.precedents.citations)."""

from __future__ import annotations

from types import SimpleNamespace

from legalret.articles import Article
from legalret.keys import LawNames
from legalret.precedents.citations import MAX_RANGE, parse_citations
from legalret.search.citations import find_citations
from legalret.search.results import citation_hits

NAMES = LawNames(["민법", "상법"])


def cited(q):
    return [(c.key, c.range_start, c.range_written) for c in find_citations(q, NAMES)]


def hit_keys(q):
    """The keys the searcher's citation hits list for ``q`` over a small 민법 index (제740조–제760조)."""
    articles = [Article("민법", n) for n in range(740, 761)]
    data = SimpleNamespace(articles=articles, by_key={a.key: i for i, a in enumerate(articles)})
    notes: list[str] = []
    return [h.key for h in citation_hits(find_citations(q, NAMES), data, 1.0, notes)], notes


# ---- query side --------------------------------------------------------------------------------------------------


def test_an_end_cited_before_its_range_keeps_the_range():
    """"민법 제752조, 제750조 내지 제752조": the repeat of 제752조 that ends the range had been dropped as a duplicate
    with its range_start, so the search listed 752 and 750 but not 751; then kept at the first mention, the search
    listed 751, 752, 750. The end is listed where its range is written: 750, 751, 752."""
    q = "민법 제752조, 제750조 내지 제752조"
    assert cited(q) == [("민법 제750조", None, ""), ("민법 제752조", (750, 0), "")]
    keys, notes = hit_keys(q)
    assert keys == ["민법 제750조", "민법 제751조", "민법 제752조"] and notes == []
    # an article cited before a range that does not end with it keeps its place
    assert hit_keys("민법 제760조, 제750조 내지 제752조")[0] == ["민법 제760조", "민법 제750조", "민법 제751조", "민법 제752조"]


def test_a_repeated_end_of_a_range_written_high_end_first():
    q = "민법 제752조, 제752조 내지 제750조"
    assert cited(q) == [("민법 제750조", None, ""), ("민법 제752조", (750, 0), "제752조 내지 제750조")]
    keys, notes = hit_keys(q)
    assert keys == ["민법 제750조", "민법 제751조", "민법 제752조"]
    assert notes == ["the cited range '제752조 내지 제750조' is written high end first: read as 민법 제750조–제752조"]


def test_two_ranges_ending_at_one_article_keep_the_wider():
    assert cited("민법 제750조 내지 제752조, 제745조 내지 제752조") == [
        ("민법 제750조", None, ""), ("민법 제752조", (745, 0), ""), ("민법 제745조", None, "")]
    assert cited("민법 제745조 내지 제752조, 제750조 내지 제752조") == [
        ("민법 제745조", None, ""), ("민법 제752조", (745, 0), ""), ("민법 제750조", None, "")]
    keys, _ = hit_keys("민법 제750조 내지 제752조, 제745조 내지 제752조")
    # (the searcher lists a range's articles between before its end, skipping those listed already)
    assert keys == ["민법 제750조", "민법 제746조", "민법 제747조", "민법 제748조", "민법 제749조", "민법 제751조",
                    "민법 제752조", "민법 제745조"]


def test_ranges_as_the_module_documents_them_are_unchanged():
    assert cited("민법 제750조 내지 제752조") == [("민법 제750조", None, ""), ("민법 제752조", (750, 0), "")]
    assert cited("민법 제752조 내지 제750조") == [
        ("민법 제750조", None, ""), ("민법 제752조", (750, 0), "민법 제752조 내지 제750조")]
    # the higher end already ends a range: no reading is sure, so the last is a citation of its own
    assert cited("민법 제740조 내지 제752조 내지 제750조") == [
        ("민법 제740조", None, ""), ("민법 제752조", (740, 0), ""), ("민법 제750조", None, "")]
    # a plain repeat is still listed once, where first written
    assert cited("민법 제752조, 제750조, 제752조") == [("민법 제752조", None, ""), ("민법 제750조", None, "")]
    assert hit_keys("민법 제750조 내지 제752조")[0] == ["민법 제750조", "민법 제751조", "민법 제752조"]


# ---- 참조조문 side -------------------------------------------------------------------------------------------------


def labels(text):
    return [c.label for c in parse_citations(text)]


def test_a_range_written_high_end_first_in_a_decision_cites_the_articles_between():
    """"민법 제752조 내지 제750조" had been two citations (752, 750); it is the range, as "제750조 내지 제752조" is,
    listed from the end written first."""
    assert labels("민법 제752조 내지 제750조") == ["민법 제752조", "민법 제751조", "민법 제750조"]
    assert labels("민법 제750조 내지 제752조") == ["민법 제750조", "민법 제751조", "민법 제752조"]
    assert labels("민법 제755조 ~ 제753조, 제100조") == ["민법 제755조", "민법 제754조", "민법 제753조", "민법 제100조"]
    (high, between, low) = parse_citations("구 민법(1990. 1. 13. 법률 제4199호로 개정되기 전의 것) 제752조 내지 제750조")
    assert [(c.key, c.former) for c in (high, between, low)] == [
        ("민법 제752조", True), ("민법 제751조", True), ("민법 제750조", True)]
    assert between.raw.startswith("구 민법(") and between.raw.endswith("제752조 내지 제750조")  # (the range as written)


def test_a_reversed_range_keeps_the_forward_limits():
    # at most MAX_RANGE apart, no branches, one law: else the two ends alone, as a forward range
    far = 750 + MAX_RANGE + 1
    assert labels(f"민법 제{far}조 내지 제750조") == [f"민법 제{far}조", "민법 제750조"]
    assert len(labels(f"민법 제{750 + MAX_RANGE}조 내지 제750조")) == MAX_RANGE + 1
    assert labels("민법 제752조 내지 제750조의2") == ["민법 제752조", "민법 제750조의2"]
    assert labels("민법 제752조의2 내지 제750조") == ["민법 제752조의2", "민법 제750조"]
    assert labels("민법 제752조 내지 상법 제750조") == ["민법 제752조", "상법 제750조"]
    assert labels("민법 제752조 내지 제752조") == ["민법 제752조", "민법 제752조"]
    assert labels("민법 제752조, 제750조") == ["민법 제752조", "민법 제750조"]


def test_a_reversed_range_after_a_range_is_not_read_as_one():
    # "제740조 내지 제752조 내지 제750조": the second end already ends a range, as on the query side
    assert labels("민법 제740조 내지 제752조 내지 제750조") == [f"민법 제{n}조" for n in range(740, 753)] + ["민법 제750조"]
    assert labels("민법 제750조 내지 제752조 내지 제755조") == [f"민법 제{n}조" for n in range(750, 756)]  # (as before)


def test_an_end_cited_before_its_range_in_a_decision():
    assert labels("민법 제752조, 제750조 내지 제752조") == ["민법 제752조", "민법 제750조", "민법 제751조", "민법 제752조"]
