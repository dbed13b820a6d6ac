"""Plain text: article headings in the other brackets statute books use — '제2조【정의】', '제3조 [벌칙]', '제4조（산책）',
'第5條(速度)' — and headings not understood ('제2조<정의>'), which are reported, never swallowed into the article before."""

from __future__ import annotations

import pytest

from legalret.errors import SourceError
from legalret.ingest.plaintext import parse_plaintext


def _read(text):
    [doc] = parse_plaintext(text, "x.txt")
    return doc


def _labels_and_texts(doc):
    return [(a.label, a.title, a.body_text()) for a in doc.articles]


def test_mixed_bracket_styles_give_one_article_each():
    """A new user's file: 3 articles, 제1조 holding the 【정의】 line, 제3조's title in its text, 第5條 inside 제4조."""
    text = ("달팽이보호법\n\n"
            "제1조(목적) 이 법은 달팽이를 보호함을 목적으로 한다.\n"
            "제2조【정의】 이 법에서 \"달팽이\"란 연체동물을 말한다.\n"
            "제3조 [벌칙] 이 법을 위반한 자는 과태료에 처한다.\n"
            "제4조（산책） 달팽이는 산책할 수 있다.\n"
            "第5條(速度) 달팽이의 속도는 제한하지 아니한다.\n")
    doc = _read(text)
    assert [a.key for a in doc.articles] == [f"달팽이보호법 제{n}조" for n in range(1, 6)]
    assert _labels_and_texts(doc) == [
        ("제1조", "목적", "이 법은 달팽이를 보호함을 목적으로 한다."),
        ("제2조", "정의", "이 법에서 \"달팽이\"란 연체동물을 말한다."),
        ("제3조", "벌칙", "이 법을 위반한 자는 과태료에 처한다."),
        ("제4조", "산책", "달팽이는 산책할 수 있다."),
        ("제5조", "速度", "달팽이의 속도는 제한하지 아니한다.")]
    assert [a.line for a in doc.articles] == [3, 4, 5, 6, 7]
    assert not doc.warnings and not doc.dropped


@pytest.mark.parametrize("heading, label, title", [
    ("제2조【정의】", "제2조", "정의"),
    ("제2조 【정의】", "제2조", "정의"),
    ("제2조의3【정의】", "제2조의3", "정의"),
    ("제2조 [정의]", "제2조", "정의"),
    ("제2조[정의]", "제2조", "정의"),
    ("제2조（정의）", "제2조", "정의"),
    ("제2조 （ 정의 ）", "제2조", "정의"),
    ("第2條(定義)", "제2조", "定義"),
    ("第 2 條 (정의)", "제2조", "정의"),
    ("第2條의3(정의)", "제2조의3", "정의"),
    ("第2條【정의】", "제2조", "정의"),
    ("第2條", "제2조", ""),
])
def test_each_heading_form_alone(heading, label, title):
    doc = _read(f"달팽이보호법\n제1조(목적) 목적.\n{heading} ① 첫째 항.\n② 둘째 항.\n제3조(벌칙) 벌칙.\n")
    assert [(a.label, a.title) for a in doc.articles] == [("제1조", "목적"), (label, title), ("제3조", "벌칙")]
    assert [(p.number, p.text) for p in doc.articles[1].paragraphs] == [(1, "첫째 항."), (2, "둘째 항.")]
    assert doc.articles[0].body_text() == "목적." and not doc.warnings


@pytest.mark.parametrize("heading", ["제1조【목적】", "제1조 [목적]", "제1조（목적）", "第1條(目的)"])
def test_a_file_of_one_style_alone(heading):
    """A file with only 【】 headings was refused with "expected lines like '제1조(목적) …'"."""
    second = heading.replace("1", "2").replace("목적", "정의").replace("目的", "定義")
    doc = _read(f"상속법\n{heading} 목적을 정한다.\n{second} 정의를 정한다.\n")
    assert [(a.key, a.body_text()) for a in doc.articles] == [("상속법 제1조", "목적을 정한다."),
                                                             ("상속법 제2조", "정의를 정한다.")]


def test_a_law_name_prefix_with_the_new_brackets():
    [doc] = parse_plaintext("민법 제2조【신의성실】 권리는 남용하지 못한다.\n민법 第3條(권리능력) 사람은 …\n", "dump.txt")
    assert [(a.key, a.title) for a in doc.articles] == [("민법 제2조", "신의성실"), ("민법 제3조", "권리능력")]


# ---- no over-matching: references in running text stay text ------------------------------------------------------
@pytest.mark.parametrize("wrapped", [
    "제750조【불법행위의 내용】에 따라 정한다.",
    "제750조【불법행위의 내용】 및 제751조에 따른다.",
    "제3조 [별표 1]에 따른 기준을 따른다.",
    "제3조[별표 1] 및 [별표 2]에 따른다.",
    "第750條(불법행위의 내용)에 따라 정한다.",
    "第3條의 規定에 따라 정한다.",
    "第3條 및 第4條에 따라 정한다.",
    "제3조에 따른 기준을 따른다.",
    "제2조<정의>에 따라 정한다.",
])
def test_a_wrapped_line_citing_an_article_stays_text(wrapped):
    doc = _read(f"예시법\n제1조(목적) 손해배상은\n{wrapped}\n제2조(정의) 정의.\n")
    assert _labels_and_texts(doc) == [("제1조", "목적", f"손해배상은 {wrapped}"), ("제2조", "정의", "정의.")]
    assert not doc.warnings and not doc.dropped


def test_a_citation_inside_a_line_stays_text():
    text = "예시법\n제1조(목적) 「민법」 제750조【불법행위의 내용】 이 법 第3條(정의) [별표] 에 따른다.\n제2조(정의) 정의.\n"
    doc = _read(text)
    assert _labels_and_texts(doc)[0] == ("제1조", "목적", "「민법」 제750조【불법행위의 내용】 이 법 第3條(정의) [별표] 에 따른다.")
    assert len(doc.articles) == 2


def test_square_brackets_are_a_title_only_right_after_the_number():
    doc = _read("예시법\n제1조 이 법은 [별표 1]의 기준을 정한다.\n제2조(정의) [본조신설 2020.1.1]\n")
    assert _labels_and_texts(doc)[0] == ("제1조", "", "이 법은 [별표 1]의 기준을 정한다.")
    assert doc.articles[1].title == "정의"


def test_a_note_in_square_brackets_is_not_a_title():
    """law.go.kr writes a moved article as '제8조 [종전 제8조는 제9조로 이동 <2011.7.25>]': a note, not its title."""
    doc = _read("예시법\n제8조 [종전 제8조는 제9조로 이동 <2011.7.25>]\n제9조 [본조신설 2011.7.25] 본문.\n"
                "제10조 <개정 2020.1.1> 본문.\n제11조 「민법」 제750조에도 불구하고 배상한다.\n")
    assert [(a.label, a.title) for a in doc.articles] == [("제8조", ""), ("제9조", ""), ("제10조", ""), ("제11조", "")]
    assert doc.articles[3].body_text() == "「민법」 제750조에도 불구하고 배상한다."
    assert not doc.warnings and not doc.dropped


# ---- headings not understood: reported and left out, never text of the article before them -------------------------
@pytest.mark.parametrize("heading, why", [
    ("제2조<정의>", "title in <>"),
    ("제2조 <정의>", "title in <>"),
    ("제2조〈정의〉", "title in 〈〉"),
    ("제2조 〔정의〕", "title in 〔〕"),
    ("제2조［정의］", "title in ［］"),
    ("第二條(定義)", "Hanja numerals"),
])
def test_a_heading_not_understood_is_reported_and_left_out(heading, why):
    doc = _read(f"예시법\n제1조(목적) 목적을 정한다.\n{heading} 정의를 정한다.\n둘째 줄.\n제3조(벌칙) 벌칙.\n")
    assert _labels_and_texts(doc) == [("제1조", "목적", "목적을 정한다."), ("제3조", "벌칙", "벌칙.")]
    [w] = doc.warnings
    assert (w.path, w.line, w.field) == ("x.txt", 3, "heading")
    assert w.reason.startswith(f"unreadable article heading '{heading} 정의를 정한다.'") and why in w.reason
    assert doc.dropped == 1  # what --strict fails on


def test_a_file_of_headings_not_understood_says_what_was_wrong():
    with pytest.raises(SourceError) as e:
        parse_plaintext("상속법\n제1조<목적> 목적.\n제2조<정의> 정의.\n", "x.txt")
    assert e.value.line == 2 and e.value.field == "heading"
    assert "no articles: 2 unreadable article heading(s), the first '제1조<목적> 목적.' (title in <>" in e.value.reason


def test_a_law_whose_headings_are_all_unreadable_is_kept_for_its_warnings():
    docs = parse_plaintext("민법\n제1조(법원) 법원.\n\n상법\n제1조<목적> 목적.\n", "dump.txt")
    assert [(d.law, len(d.articles), d.dropped) for d in docs] == [("민법", 1, 0), ("상법", 0, 1)]


def test_strict_ingest_fails_on_a_heading_not_understood(tmp_path):
    from legalret.ingest.sources import ingest

    path = tmp_path / "달팽이보호법.txt"
    path.write_text("달팽이보호법\n제1조(목적) 목적.\n제2조<정의> 정의.\n제3조【벌칙】 벌칙.\n", encoding="utf-8")
    result = ingest([path])
    assert [a.key for a in result.articles] == ["달팽이보호법 제1조", "달팽이보호법 제3조"]
    assert result.report.failed and result.report.dropped == {"달팽이보호법": 1}
    assert any(w.line == 3 and w.field == "heading" for w in result.report.warnings)
