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
