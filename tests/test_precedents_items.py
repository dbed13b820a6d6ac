"""Item splitting (판시사항 / 참조조문) and their alignment (legalret.precedents.items)."""

from __future__ import annotations

from legalret.precedents.items import TextItem, align_items, split_items


def test_numbered_holdings_one_per_line():
    items = split_items("[1] 첫째 쟁점\n[2] 둘째 쟁점\n  [3] 셋째 쟁점")
    assert [(i.indices, i.text) for i in items] == [((1,), "첫째 쟁점"), ((2,), "둘째 쟁점"), ((3,), "셋째 쟁점")]
    assert all(i.numbered for i in items)


def test_reference_inside_a_holding_is_not_a_marker():
    items = split_items("[1] 면책규정의 효력\n[2] 설명의무\n[3] [2]항의 면책규정이 중요한 내용인지 여부")
    assert len(items) == 3
    assert items[2].text == "[2]항의 면책규정이 중요한 내용인지 여부"


def test_out_of_order_number_is_text_for_holdings():
    items = split_items("[1] 갑 [3] 을")  # a holding list must count up one by one
    assert [i.text for i in items] == ["갑 [3] 을"]


def test_old_style_hangul_items():
    items = split_items("가. 혼인의 의미\n나. 재산분할의 성질\n다. 위자료")
    assert [(i.indices, i.text) for i in items] == [((1,), "혼인의 의미"), ((2,), "재산분할의 성질"), ((3,), "위자료")]


def test_hangul_syllable_ending_a_sentence_is_not_a_marker():
    items = split_items("가. 청구를 기각한다. 나아가 판단한다\n나. 상고를 기각한 사례")
    assert [i.text for i in items] == ["청구를 기각한다. 나아가 판단한다", "상고를 기각한 사례"]


def test_unnumbered_text_is_one_item():
    (item,) = split_items("의장에 관한 합의의 효력이 미치는 범위")
    assert item.indices == (1,) and not item.numbered


def test_citation_groups_shared_ranges_and_repeats():
    items = split_items("[1][2] 민법 제806조 / [3] 내지 [5] 민법 제750조 / [7] 상법 제1조", citations=True)
    assert [i.indices for i in items] == [(1, 2), (3, 4, 5), (7,)]
    assert items[0].text == "민법 제806조"
    items = split_items("가.나. 민법 제810조 / 가. 제818조 / 나. 인사소송법 제27조", citations=True)
    assert [i.indices for i in items] == [(1, 2), (1,), (2,)]
    assert [i.text for i in items] == ["민법 제810조", "제818조", "인사소송법 제27조"]


def test_align_numbered():
    holdings = split_items("[1] a\n[2] b")
    cited = split_items("[1][2] 민법 제1조 / [2] 상법 제2조", citations=True)
    aligned, status = align_items(holdings, cited)
    assert status == "aligned"
    assert aligned == {1: ["민법 제1조"], 2: ["민법 제1조", "상법 제2조"]}


def test_align_mismatch_is_reported_and_extra_items_dropped():
    holdings = split_items("[1] a\n[2] b")
    cited = split_items("[1] 민법 제103조 / [3] 민법 제2조", citations=True)
    aligned, status = align_items(holdings, cited)
    assert status == "mismatch"
    assert aligned == {1: ["민법 제103조"], 2: []}  # [3] names no holding; holding [2] gets nothing


def test_align_unnumbered_citations_are_shared():
    holdings = split_items("[1] a\n[2] b")
    aligned, status = align_items(holdings, [TextItem((1,), "민법 제750조", False)])
    assert status == "shared" and aligned == {1: ["민법 제750조"], 2: ["민법 제750조"]}


def test_align_unnumbered_holding_with_numbered_citations():
    holdings = split_items("하나뿐인 판시사항")
    aligned, status = align_items(holdings, split_items("[1] 의장법 제69조", citations=True))
    assert status == "aligned" and aligned == {1: ["의장법 제69조"]}
    aligned, status = align_items(holdings, split_items("[1] 민법 제1조 / [2] 민법 제2조", citations=True))
    assert status == "holdings_unnumbered" and aligned == {1: ["민법 제1조", "민법 제2조"]}


def test_align_without_citations():
    aligned, status = align_items(split_items("[1] a"), [])
    assert status == "no_citations" and aligned == {1: []}
