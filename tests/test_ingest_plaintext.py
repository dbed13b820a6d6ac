"""Plain text: '제N조(제목) …' lines, 제N조의M, circled 항 inline or on lines, law names per line/title/file."""

from __future__ import annotations

import pytest

from legalret.errors import SourceError
from legalret.ingest.plaintext import parse_plaintext


@pytest.fixture(scope="module")
def insurance(fixtures_dir):
    path = fixtures_dir / "ingest" / "plaintext" / "상법.txt"
    [doc] = parse_plaintext(path.read_text(encoding="utf-8"), str(path))
    return doc


def test_articles_branches_and_chapters(insurance):
    assert insurance.law == "상법" and insurance.kind == "법률"
    assert [a.label for a in insurance.articles] == ["제638조", "제651조", "제651조의2", "제652조", "제653조", "제655조"]
    assert insurance.articles[2].title == "서면에 의한 질문의 효력"
    assert insurance.articles[0].chapter == ["제4편 보험", "제1장 통칙"]
    assert insurance.articles[2].line == 8


def test_inline_circled_paragraphs(insurance):
    art = insurance.articles[3]
    assert [p.number for p in art.paragraphs] == [1, 2]
    # '제1항' inside the text is a reference, not a paragraph mark
    assert art.paragraphs[1].text.startswith("보험자가 제1항의 위험변경증가의 통지를")


def test_items_subitems_deleted_and_addenda(insurance):
    deleted = insurance.articles[4]
    assert deleted.deleted and deleted.title == ""
    items = insurance.articles[5].paragraphs[0].items
    assert [i.number for i in items] == ["1", "2", "2의2"]
    assert items[1].subitems[0].number == "가"
    # 부칙's 제1조(시행일) is dropped, not read as 상법 제1조
    assert all(a.number != 1 for a in insurance.articles)


def test_law_name_prefix_per_line(fixtures_dir):
    path = fixtures_dir / "ingest" / "plaintext" / "pairs_dump.txt"
    docs = parse_plaintext(path.read_text(encoding="utf-8"), str(path))
    assert {d.law: [a.label for a in d.articles] for d in docs} == {
        "민법": ["제2조", "제194조"], "채무자 회생 및 파산에 관한 법률": ["제382조"]}
    assert [p.number for p in docs[0].articles[0].paragraphs] == [1, 2]


def test_title_lines_switch_laws_and_kinds():
    text = "민법\n제1조(법원) 민사에 관하여는 관습법에 의한다.\n\n민법 시행령\n제1조(목적) 이 영은 목적을 정한다.\n"
    docs = parse_plaintext(text, "dump.txt")
    assert [(d.law, d.kind, len(d.articles)) for d in docs] == [("민법", "법률", 1), ("민법 시행령", "시행령", 1)]


def test_a_title_copied_from_law_go_kr_names_the_law_not_the_file(tmp_path):
    """law.go.kr prints '[시행 …] [법률 제…호, …]' (and '( 약칭: … )') around the law's name: the title line was not
    taken, so the file's name named the law — articles of 주택임대차보호법 filed under 상가임대차법, without a word."""
    version = "[시행 2026. 1. 2.] [법률 제21065호, 2025. 10. 1., 일부개정]\n\n"
    body = "제1조(목적) 이 법은 목적으로 한다.\n제2조(적용 범위) 적용한다.\n"
    for title in ("주택임대차보호법", "주택임대차보호법 ( 약칭: 주택임대차법 )"):
        [doc] = parse_plaintext(f"{title}\n{version}{body}", "상가임대차법.txt")
        assert doc.law == "주택임대차보호법" and len(doc.articles) == 2, title
    # old Mac line ends (CR only) read as one line: every article had merged into 제1조
    from legalret.ingest.sources import ingest

    path = tmp_path / "cr.txt"
    path.write_bytes(f"주택임대차보호법\r{body}".replace("\n", "\r").encode("utf-8"))
    result = ingest([path])
    assert [a.key for a in result.articles] == ["주택임대차보호법 제1조", "주택임대차보호법 제2조"]
    assert result.articles[0].body_text() == "이 법은 목적으로 한다."


def test_law_from_file_name_and_explicit():
    [doc] = parse_plaintext("제1조(목적) 이 법은 목적을 정한다.\n", "dumps/근로기준법.txt")
    assert doc.law == "근로기준법"
    [doc] = parse_plaintext("제1조(목적) 이 법은 목적을 정한다.\n", "x.txt", law="민법")
    assert doc.articles[0].key == "민법 제1조"


def test_citing_sentence_is_not_a_heading():
    text = "민법\n제3조(권리능력) 사람은 생존한 동안 권리와 의무의 주체가 된다.\n이 법 제3조(권리능력)에 따른 주체는 …\n"
    [doc] = parse_plaintext(text, "x.txt")
    assert [a.label for a in doc.articles] == ["제3조"]
    assert "이 법 제3조" in doc.articles[0].paragraphs[0].text


def test_duplicate_article_is_warned_and_first_kept():
    [doc] = parse_plaintext("민법\n제1조(법원) 첫째\n제1조(법원) 둘째\n", "x.txt")
    assert [a.paragraphs[0].text for a in doc.articles] == ["첫째"]
    assert doc.warnings[0].line == 3


def test_no_law_name_is_an_error():
    with pytest.raises(SourceError) as e:
        parse_plaintext("제1조(목적) 이 법은 목적을 정한다.\n", "articles.txt")
    assert e.value.line == 1 and "no law name" in e.value.reason


def test_no_articles_is_an_error():
    with pytest.raises(SourceError, match="no articles"):
        parse_plaintext("그냥 문장입니다.\n", "민법.txt")


def test_wrapped_line_ending_in_a_law_name_does_not_switch_laws():
    text = ("민법\n제1조(법원) 민사에 관하여 법률에 규정이 없으면 관습법\n"
            "에 의하고 관습법이 없으면 조리에 의한다.\n제2조(신의성실) 권리는 남용하지 못한다.\n")
    [doc] = parse_plaintext(text, "x.txt")
    assert doc.law == "민법" and [a.label for a in doc.articles] == ["제1조", "제2조"]
    assert doc.articles[0].paragraphs[0].text == "민사에 관하여 법률에 규정이 없으면 관습법 에 의하고 관습법이 없으면 조리에 의한다."


# ---- heading shape: a wrapped line that starts with an article reference is text, never a new article -------------
def _labels_and_texts(doc):
    return [(a.label, a.title, a.body_text()) for a in doc.articles]


def test_wrapped_reference_with_a_conjunction_is_not_a_heading():
    text = ("예시법\n제1조(목적) 이 법은 예시를 위하여 다음 각 호의 사항을 정한다. 세부사항은\n"
            "제10조 및 제11조에서 정하는 바에 따른다.\n제2조(정의) 정의.\n")
    [doc] = parse_plaintext(text, "x.txt")
    assert _labels_and_texts(doc) == [
        ("제1조", "목적", "이 법은 예시를 위하여 다음 각 호의 사항을 정한다. 세부사항은 제10조 및 제11조에서 정하는 바에 따른다."),
        ("제2조", "정의", "정의.")]
    assert not doc.warnings


def test_a_title_glued_to_a_particle_is_a_citation_not_a_heading():
    text = "예시이법\n제1조(목적) 손해배상은\n제750조(불법행위의 내용)에 따라 정한다.\n제2조(정의) 정의 규정.\n"
    [doc] = parse_plaintext(text, "x.txt")
    assert _labels_and_texts(doc) == [("제1조", "목적", "손해배상은 제750조(불법행위의 내용)에 따라 정한다."),
                                      ("제2조", "정의", "정의 규정.")]
    # … and after a title and a space, a conjunction goes on with the sentence too
    text = "예시이법\n제1조(목적) 손해배상은\n제750조(불법행위의 내용) 및 제751조에 따른다.\n제2조(정의) 정의.\n"
    [doc] = parse_plaintext(text, "x.txt")
    assert [a.label for a in doc.articles] == ["제1조", "제2조"]


def test_a_wrapped_reference_to_a_paragraph_does_not_replace_the_real_article(fixtures_dir):
    """The wrapped '제3조 제2항에 따른다.' used to become 제3조, and the real '제3조(적용범위)' was then dropped as a
    duplicate (a warning only with --warnings)."""
    text = ("테스트법\n제2조(정의) ① 용어의 뜻은 다음과 같다.\n② 제1항에도 불구하고 다른 법률에 특별한 규정이 있으면\n"
            "제3조 제2항에 따른다.\n제3조(적용범위) ① 이 법은 모든 계약에 적용한다.\n② 다만,\n"
            "제1조의 목적에 반하는 경우에는 그러하지 아니하다.\n제4조 삭제 <2020.1.1>\n")
    [doc] = parse_plaintext(text, "x.txt")
    assert [(a.label, a.title, a.line) for a in doc.articles] == [("제2조", "정의", 2), ("제3조", "적용범위", 5),
                                                                  ("제4조", "", 8)]
    assert doc.articles[0].paragraphs[1].text == "제1항에도 불구하고 다른 법률에 특별한 규정이 있으면 제3조 제2항에 따른다."
    assert doc.articles[1].paragraphs[1].text == "다만, 제1조의 목적에 반하는 경우에는 그러하지 아니하다."
    assert doc.articles[2].deleted and not doc.warnings


def test_heading_shapes_still_read():
    text = ("민법\n제1조(법원)①민사에 관하여는 관습법에 의한다.\n제2조 (신의성실) 권리는 남용하지 못한다.\n"
            "제3조(권리능력)\n사람은 생존한 동안 권리와 의무의 주체가 된다.\n제4조 이 법은 …\n제5조 삭제 <2005.3.31>\n"
            "제6조(정의)<개정 2020.1.1> 정의한다.\n제7조\n본문.\n")
    [doc] = parse_plaintext(text, "x.txt")
    assert [(a.label, a.title) for a in doc.articles] == [
        ("제1조", "법원"), ("제2조", "신의성실"), ("제3조", "권리능력"), ("제4조", ""), ("제5조", ""), ("제6조", "정의"),
        ("제7조", "")]
    assert doc.articles[0].paragraphs[0].number == 1 and doc.articles[4].deleted
    assert not doc.warnings


def test_an_item_citing_another_law_is_not_a_law_name_prefix():
    text = "공직선거법\n제1조(목적) 다음 각 호의 사람\n  2. 민법 제777조(친족의 범위) 각 호의 사람\n제2조(정의) 정의.\n"
    [doc] = parse_plaintext(text, "x.txt")
    assert doc.law == "공직선거법" and [a.label for a in doc.articles] == ["제1조", "제2조"]
    assert doc.articles[0].paragraphs[0].items[0].text == "민법 제777조(친족의 범위) 각 호의 사람"


def test_numbers_going_backwards_are_warned_with_both_lines():
    [doc] = parse_plaintext("민법\n제5조(가) 가.\n제3조(나) 나.\n", "x.txt")
    assert [a.label for a in doc.articles] == ["제5조", "제3조"]  # kept: only a warning
    [w] = doc.warnings
    assert (w.path, w.line, w.field) == ("x.txt", 3, "article")
    assert "제3조 comes after 제5조 (line 2)" in w.reason


def test_a_repeat_prefers_the_titled_heading_over_an_untitled_continuation():
    text = "예시법\n제1조(목적) 이 법의 세부사항은\n제3조 위임에 따라 정한다.\n제2조(정의) 정의.\n제3조(위임) 위임한다.\n"
    [doc] = parse_plaintext(text, "x.txt")
    assert _labels_and_texts(doc) == [("제1조", "목적", "이 법의 세부사항은 제3조 위임에 따라 정한다."),
                                      ("제2조", "정의", "정의."), ("제3조", "위임", "위임한다.")]
    [w] = doc.warnings  # the re-read line is named, nothing else (no duplicate, no backwards warning)
    assert w.line == 3 and "read as text continuing the line before it" in w.reason and "line 5" in w.reason


def test_an_out_of_order_number_after_an_unfinished_sentence_is_text():
    text = ("예시법\n제20조(위탁) 장관은 다음 각 호의 권한을 위탁한다.\n  1. 「전자정부법」\n제39조 위반 사항\n"
            "제21조(벌칙) 벌한다.\n")
    [doc] = parse_plaintext(text, "x.txt")
    assert [a.label for a in doc.articles] == ["제20조", "제21조"]
    assert doc.articles[0].paragraphs[0].items[0].text == "「전자정부법」 제39조 위반 사항"
    assert [w.line for w in doc.warnings] == [4]


def test_a_repeated_continuation_keeps_its_text():
    """A wrapped '제2조 중 …' repeating an earlier article is text of the article it continues — not dropped."""
    text = "예시법\n제2조(정의) 정의.\n제5조(준용) 이 경우 제1조 및\n제2조 중 \"장관\"은 \"청장\"으로 본다.\n"
    [doc] = parse_plaintext(text, "x.txt")
    assert _labels_and_texts(doc)[1] == ("제5조", "준용", "이 경우 제1조 및 제2조 중 \"장관\"은 \"청장\"으로 본다.")
    text = "예시법\n제2조(정의) 정의.\n제5조(준용) 이 경우 제1조 및\n제2조 위반은 벌한다.\n"
    [doc] = parse_plaintext(text, "x.txt")
    assert _labels_and_texts(doc)[1] == ("제5조", "준용", "이 경우 제1조 및 제2조 위반은 벌한다.")
    assert [w.line for w in doc.warnings] == [4] and "제2조 is at line 2" in doc.warnings[0].reason


def test_a_line_opening_with_a_date_is_text_not_an_item():
    # '2024. 1. 1.' opening a wrapped line was read as 호 '2024' whose text began '1. 1.'
    text = ("민법\n제1조(시행) ① 이 조는 다음 날부터 적용한다.\n2024. 1. 1. 이후 체결된 계약에도 같다.\n"
            "1. 첫째 호\n2023 . 12. 31. 이전의 것은 제외한다.\n")
    [doc] = parse_plaintext(text, "민법.txt")
    [para] = doc.articles[0].paragraphs
    assert para.text == "이 조는 다음 날부터 적용한다. 2024. 1. 1. 이후 체결된 계약에도 같다."
    assert [(i.number, i.text) for i in para.items] == [("1", "첫째 호 2023 . 12. 31. 이전의 것은 제외한다.")]
