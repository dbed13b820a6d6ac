"""항 marks the parsers must read beside the forms the mirror writes: plain circled numbers in hand-written markdown,
'(1)' '(2)' in plain text — and the lines that merely look like them, which stay as they were read."""

from __future__ import annotations

from legalret.ingest.markdown import parse_markdown
from legalret.ingest.plaintext import parse_plaintext

_FRONT = "---\n제목: 반려돌보호법\n법령구분: 법률\n공포일자: 2026-01-01\n시행일자: 2026-07-01\n---\n\n# 반려돌보호법\n\n"


def _paragraphs(article):
    return [(p.number, p.text) for p in article.paragraphs]


def _articles(doc):
    return {a.label: a for a in doc.articles}


# ---- markdown: plain ① ② as 항, like the mirror's **①** ------------------------------------------------------------
def test_markdown_plain_circled_numbers_are_paragraphs():
    doc = parse_markdown(_FRONT + "## 제1장 총칙\n\n##### 제1조 (목적)\n\n이 법은 반려돌을 보호한다.\n\n"
                                  "##### 제2조 (이끼 제거)\n\n① 보호자는 반려돌의 이끼를 매월 제거하여야 한다.\n"
                                  "② 제1항을 위반한 자에게는 50만원 이하의 과태료를 부과한다.\n", "반려돌보호법.md")
    arts = _articles(doc)
    assert _paragraphs(arts["제2조"]) == [(1, "보호자는 반려돌의 이끼를 매월 제거하여야 한다."),
                                         (2, "제1항을 위반한 자에게는 50만원 이하의 과태료를 부과한다.")]
    assert _paragraphs(arts["제1조"]) == [(None, "이 법은 반려돌을 보호한다.")]


def test_markdown_plain_circled_numbers_read_like_bold_ones():
    plain = parse_markdown(_FRONT + "##### 제2조 (정의)\n① 가\n  1\\. 호\n    가\\. 목\n② 나\n③ 삭제 <2020.1.1>\n", "a.md")
    bold = parse_markdown(_FRONT + "##### 제2조 (정의)\n**①** 가\n  1\\. 호\n    가\\. 목\n**②** 나\n**③** 삭제 <2020.1.1>\n",
                          "a.md")
    assert [vars(a) for a in plain.articles] == [vars(a) for a in bold.articles]
    [art] = plain.articles
    assert [p.number for p in art.paragraphs] == [1, 2, 3] and art.paragraphs[0].items[0].subitems[0].text == "목"


def test_markdown_circled_number_on_the_heading_line():
    [art] = parse_markdown(_FRONT + "##### 제2조 (이끼 제거) ① 가\n② 나\n", "a.md").articles
    assert _paragraphs(art) == [(1, "가"), (2, "나")]


def test_markdown_circled_number_inside_a_line_stays_text():
    [art] = parse_markdown(_FRONT + "##### 제2조 (준용)\n제1항 및 ②의 규정은\n준용한다.\n", "a.md").articles
    assert _paragraphs(art) == [(None, "제1항 및 ②의 규정은\n준용한다.")]


def test_the_users_markdown_file_has_both_paragraphs(tmp_path):
    text = _FRONT + ("##### 제2조 (이끼 제거)\n\n① 보호자는 반려돌의 이끼를 매월 제거하여야 한다.\n"
                     "② 제1항을 위반한 자에게는 50만원 이하의 과태료를 부과한다.\n")
    [art] = parse_markdown(text, "반려돌보호법.md").articles
    assert {p.number for p in art.paragraphs} == {1, 2}


# ---- plain text: (1) (2) as 항 only when the article counts them so ------------------------------------------------
def test_plaintext_parenthesised_numbers_are_paragraphs():
    [doc] = parse_plaintext("두더지보호법\n제1조(목적) 이 법은 두더지를 보호한다.\n"
                            "제2조(굴 보호) (1) 누구든지 두더지 굴을 메워서는 아니 된다.\n"
                            "(2) 제1항을 위반한 자는 과태료에 처한다.\n"
                            "제3조(벌칙) 두더지를 잡은 자는 벌금에 처한다.\n", "두더지보호법.txt")
    arts = _articles(doc)
    assert _paragraphs(arts["제2조"]) == [(1, "누구든지 두더지 굴을 메워서는 아니 된다."), (2, "제1항을 위반한 자는 과태료에 처한다.")]
    assert _paragraphs(arts["제3조"]) == [(None, "두더지를 잡은 자는 벌금에 처한다.")]
    assert not doc.warnings


def test_plaintext_parenthesised_paragraphs_on_their_own_lines_with_items_and_full_width():
    [doc] = parse_plaintext("두더지보호법\n제2조(정의)\n(1) 이 법에서 쓰는 말의 뜻은 다음과 같다.\n  1. 굴\n  2. 흙\n"
                            "이어지는 (1)의 글\n（２） 그 밖의 말은 민법에 따른다.\n(3)\n삭제\n", "두더지보호법.txt")
    art = _articles(doc)["제2조"]
    assert [p.number for p in art.paragraphs] == [1, 2, 3]
    assert [i.number for i in art.paragraphs[0].items] == ["1", "2"]
    assert art.paragraphs[1].text == "그 밖의 말은 민법에 따른다."


def test_plaintext_parenthesised_number_as_the_untitled_heading_s_body():
    # today '(1)' right after an untitled number was read as the title '1'
    [doc] = parse_plaintext("두더지보호법\n제2조 (1) 누구든지 굴을 메워서는 아니 된다.\n(2) 위반한 자는 과태료에 처한다.\n"
                            "제3조(정의)(1) 가\n(2) 나\n", "두더지보호법.txt")
    arts = _articles(doc)
    assert arts["제2조"].title == "" and [p.number for p in arts["제2조"].paragraphs] == [1, 2]
    assert arts["제3조"].title == "정의" and _paragraphs(arts["제3조"]) == [(1, "가"), (2, "나")]


def test_plaintext_items_written_in_parentheses_stay_as_read():
    # 호 written '(1)' after the article's opening sentence are not 항
    [doc] = parse_plaintext("두더지보호법\n제2조(벌칙) 다음 각 호의 어느 하나에 해당하는 자는 벌금에 처한다.\n"
                            "(1) 굴을 메운 자\n(2) 두더지를 잡은 자\n제3조(시행) 이 법은 공포한 날부터 시행한다.\n",
                            "두더지보호법.txt")
    assert _paragraphs(_articles(doc)["제2조"]) == [
        (None, "다음 각 호의 어느 하나에 해당하는 자는 벌금에 처한다. (1) 굴을 메운 자 (2) 두더지를 잡은 자")]


def test_plaintext_parenthesised_number_in_running_text_stays_as_read():
    [doc] = parse_plaintext("두더지보호법\n제2조(적용) 이 법은 다음의\n(1) 경우와 (2) 경우에 적용한다.\n"
                            "제3조(준용)\n(1)에 해당하는 굴에는\n(2) 제2조를 준용한다.\n", "두더지보호법.txt")
    arts = _articles(doc)
    assert _paragraphs(arts["제2조"]) == [(None, "이 법은 다음의 (1) 경우와 (2) 경우에 적용한다.")]
    assert _paragraphs(arts["제3조"]) == [(None, "(1)에 해당하는 굴에는 (2) 제2조를 준용한다.")]


def test_plaintext_parenthesised_numbers_out_of_count_stay_as_read():
    [doc] = parse_plaintext("두더지보호법\n제2조(가) (1) 가\n(1) 나\n제3조(나) (1) 가\n(3) 나\n제4조(다) (1) 홀로\n"
                            "제5조(라) (1) 가\n  1. 호\n    가. 목\n    (1) 세목\n    (2) 세목\n(2) 나\n", "두더지보호법.txt")
    arts = _articles(doc)
    for label in ("제2조", "제3조", "제4조", "제5조"):
        assert [p.number for p in arts[label].paragraphs] == [None], label
    assert _paragraphs(arts["제4조"]) == [(None, "(1) 홀로")]


def test_plaintext_parenthesised_numbers_in_addenda_do_not_count():
    [doc] = parse_plaintext("두더지보호법\n제2조(가) (1) 가\n(2) 나\n부칙\n(3) 시행일\n", "두더지보호법.txt")
    assert _paragraphs(_articles(doc)["제2조"]) == [(1, "가"), (2, "나")]
