"""legalize-kr markdown: front matter, chapter paths, branch recovery, 항/호/목, 삭제, 부칙, merge conflicts."""

from __future__ import annotations

import pytest

from legalret.errors import SourceError
from legalret.ingest.markdown import parse_markdown, resolve_merge_conflicts


@pytest.fixture(scope="module")
def civil(fixtures_dir):
    path = fixtures_dir / "ingest" / "markdown" / "민법" / "법률.md"
    return parse_markdown(path.read_text(encoding="utf-8"), str(path), kind="법률")


@pytest.fixture(scope="module")
def decree(fixtures_dir):
    path = fixtures_dir / "ingest" / "markdown" / "상법" / "시행령.md"
    return parse_markdown(path.read_text(encoding="utf-8"), str(path))


def by_key(doc):
    return {a.key: a for a in doc.articles}


def test_front_matter(civil, decree):
    assert (civil.law, civil.kind, civil.law_id) == ("민법", "법률", "001706")
    assert civil.promulgated == "2026-03-17" and civil.effective_date == "2026-03-17"
    # 법령구분 '대통령령' is the kind users call 시행령
    assert (decree.law, decree.kind, decree.law_id) == ("상법 시행령", "시행령", "004453")
    assert all(a.effective_date == "2026-01-01" and a.law_id == "004453" for a in decree.articles)


def test_branch_recovery_kth_repeat_is_branch_k_plus_1(civil, decree):
    keys = [a.key for a in civil.articles]
    assert keys[2:5] == ["민법 제14조", "민법 제14조의2", "민법 제14조의3"]
    arts = by_key(civil)
    assert arts["민법 제14조의2"].title == "특정후견의 심판"
    assert arts["민법 제14조의3"].title == "심판 사이의 관계"
    assert by_key(decree)["상법 시행령 제2조의2"].title == "준비금의 적립"


def test_subsection_pseudo_articles_are_chapter_headings_not_branches(civil):
    # '##### 제898조' + '제1항 협의상 파양' is the mirror's rendering of a sub-관 heading
    arts = by_key(civil)
    assert "민법 제898조의2" not in arts and "민법 제905조의2" not in arts
    assert arts["민법 제898조"].title == "협의상 파양"
    assert arts["민법 제898조"].chapter == ["제4편 친족", "제4장 부모와 자", "제2절 양자", "제5관 파양", "제1항 협의상 파양"]
    assert arts["민법 제905조"].chapter[-1] == "제2항 재판상 파양"


def test_chapter_path_and_source_lines(civil):
    arts = by_key(civil)
    assert arts["민법 제1조"].chapter == ["제1편 총칙", "제1장 통칙"]
    assert arts["민법 제14조의2"].chapter == ["제1편 총칙", "제2장 인", "제1절 능력"]
    assert arts["민법 제97조"].chapter == ["제1편 총칙", "제3장 법인", "제5절 벌칙"]
    assert arts["민법 제1조"].line == 23 and arts["민법 제1조"].source.endswith("법률.md")


def test_paragraphs_items_subitems(civil, decree):
    art = by_key(civil)["민법 제2조"]
    assert [(p.number, p.text) for p in art.paragraphs] == [
        (1, "권리의 행사와 의무의 이행은 신의에 좇아 성실히 하여야 한다."),
        (2, "권리는 남용하지 못한다."),
    ]
    penalty = by_key(civil)["민법 제97조"]
    assert penalty.paragraphs[0].number is None
    assert [i.number for i in penalty.paragraphs[0].items] == ["1", "2", "3"]
    assert penalty.paragraphs[0].items[2].text == "삭제 <2011.3.7>"
    assert not penalty.deleted  # a deleted 호 does not delete the article
    definitions = by_key(decree)["상법 시행령 제2조"]
    first = definitions.paragraphs[0]
    assert first.number == 1
    assert [i.number for i in first.items] == ["1", "2", "2의2"]
    assert [(s.number, s.text.split("\n")[0]) for s in first.items[1].subitems] == [
        ("가", "「은행법」에 따른 은행"),
        ("나", "「자본시장과 금융투자업에 관한 법률」에 따른 투자매매업자"),
    ]
    # deeper ' 1) …' lines stay with their 목, on their own lines
    assert first.items[1].subitems[1].text.split("\n")[1:] == ["1) 증권을 대상으로 하는 경우", "2) 그 밖의 경우"]
    assert "\\." not in definitions.body_text()  # markdown escapes removed


def test_deleted_articles(civil):
    arts = by_key(civil)
    assert arts["민법 제899조"].deleted and arts["민법 제900조"].deleted
    assert arts["민법 제899조"].body_text() == "삭제 <2012.2.10>"
    assert not arts["민법 제898조"].deleted
    assert civil.deleted == 2


def test_addenda_are_dropped(civil):
    # the 부칙 has its own 제1조 — even one written as an article heading — which must not become 민법 제1조의2
    assert "민법 제1조의2" not in by_key(civil)
    assert [a.key for a in civil.articles].count("민법 제1조") == 1
    assert len(civil.articles) == 10


def test_index_text_drops_notes(civil):
    art = by_key(civil)["민법 제97조"]
    assert "<개정" not in art.index_text() and "<개정 2007.12.21>" in art.body_text()
    assert art.index_text().startswith("벌칙 ")


def test_merge_conflict_keeps_latest_side(fixtures_dir):
    path = fixtures_dir / "ingest" / "conflict" / "해사법" / "법률.md"
    doc = parse_markdown(path.read_text(encoding="utf-8"), str(path))
    assert doc.law_id == "014483" and doc.promulgated == "2023-09-14"
    assert [a.key for a in doc.articles] == ["해사법 제1조", "해사법 제2조"]
    assert doc.articles[0].paragraphs[0].text == "이 법은 해상교통의 안전을 목적으로 한다."
    assert doc.articles[0].line == 22  # line numbers point into the file as it is on disk
    assert [w.field for w in doc.warnings] == ["merge-conflict"]


def test_merge_conflict_prefers_theirs_when_newer():
    lines = ["---", "<<<<<<< HEAD", "공포일자: 2013-08-13", "=======", "공포일자: 2026-03-31",
             ">>>>>>> abc", "---", "<<<<<<< HEAD", "old", "=======", "new", ">>>>>>> abc"]
    kept, side = resolve_merge_conflicts(lines)
    assert side == "theirs"
    assert [line for _, line in kept] == ["---", "공포일자: 2026-03-31", "---", "new"]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty file"),
        ("# 민법\n\n##### 제1조 (법원)\n\n본문\n", "no YAML front matter"),
        ("---\n제목: 민법\n\n##### 제1조 (법원)\n", "not closed"),
        ("---\n법령구분: 법률\n---\n\n##### 제1조 (법원)\n\n본문\n", "no 제목"),
        ("---\n제목: 민법\n---\n\n# 민법\n\n본문만 있다.\n", "no articles"),
    ],
)
def test_bad_markdown_is_a_source_error(text, reason):
    with pytest.raises(SourceError) as e:
        parse_markdown(text, "x.md")
    assert reason in str(e.value) and e.value.path == "x.md"


def test_an_explicit_branch_heading_overrules_a_repeat_numbered_as_it():
    """A repeated '##### 제2조 (정의)' is numbered 제2조의2 by the lost-branch rule; the file's own '##### 제2조의2
    (특례)' had then been dropped as the duplicate (the stray repeat kept in its place): the explicit one wins."""
    text = ("---\n제목: 테스트법\n법령구분: 법률\n---\n\n##### 제2조 (정의)\n\n정의 하나.\n\n"
            "##### 제2조 (정의)\n\n정의 둘.\n\n##### 제2조의2 (특례)\n\n특례 규정.\n\n##### 제3조 (시행)\n\n시행.\n")
    doc = parse_markdown(text, "dup.md")
    assert [(a.key, a.title) for a in doc.articles] == [
        ("테스트법 제2조", "정의"), ("테스트법 제2조의2", "특례"), ("테스트법 제3조", "시행")]
    (warning,) = doc.warnings
    assert warning.line == 10 and "not that article" in str(warning) and "line 14" in str(warning)


def test_a_title_in_double_brackets_is_read_once():
    """954 headings of the mirror write the title twice bracketed ('##### 제3조 ((특정재산범죄의 가중처벌))'): the
    title had kept one pair, and every interface showed '((…))'."""
    text = ("---\n제목: 테스트법\n법령구분: 법률\n---\n\n##### 제3조 ((특정재산범죄의 가중처벌))\n\n본문.\n\n"
            "##### 제4조 (정의(定義))\n\n본문.\n")
    assert [a.title for a in parse_markdown(text, "x.md").articles] == ["특정재산범죄의 가중처벌", "정의(定義)"]


def test_a_bare_heading_is_left_out_not_indexed_blank(tmp_path):
    """The mirror's 150 bare headings ('##### 제2조' with no title or text between 제2조 and 제3조 of 주택임대차보호법
    시행령) were read as a blank 제2조의2 — ranked and cited with no text. The numbering of later repeats is kept."""
    from legalret.ingest.sources import ingest

    path = tmp_path / "시행령.md"
    path.write_text("---\n제목: 테스트법 시행령\n법령구분: 대통령령\n---\n\n##### 제2조 (정의)\n\n정의.\n\n##### 제2조\n\n"
                    "##### 제2조 (특례)\n\n특례.\n\n##### 제3조 삭제 <2020.1.1>\n", encoding="utf-8")
    result = ingest([path])
    assert [a.key for a in result.articles] == ["테스트법 시행령 제2조", "테스트법 시행령 제2조의3", "테스트법 시행령 제3조"]
    assert result.articles[-1].deleted  # a 삭제 article has its notice: kept
    (warning,) = result.report.warnings
    assert "테스트법 시행령 제2조의2 has no title and no text; left out" in str(warning) and warning.line == 10
    # not an article that could not be read: --strict passes, and an `index add` of the law is not taken as partial
    assert not result.report.dropped and not result.report.failed


def test_item_and_subitem_branches_are_recovered_too():
    # the mirror writes 호 '5의2.' as a second '5.' (and 목 '가의2.' as a second '가.')
    text = ("---\n제목: 상법\n법령구분: 법률\n---\n\n##### 제302조 (주식청약서)\n\n"
            "**①** 다음의 사항을 적어야 한다.\n\n"
            "  5\\. 제291조에 게기한 사항\n  5\\. 주식의 양도에 관한 규정\n  5\\. 셋째\n  6\\. 삭제 <2011.4.14>\n"
            "    가\\. 하나\n    가\\. 둘\n\n**②** 다음 항의 호는 다시 1부터.\n\n  1\\. 첫째\n")
    doc = parse_markdown(text, "x.md")
    first, second = doc.articles[0].paragraphs
    assert [i.number for i in first.items] == ["5", "5의2", "5의3", "6"]
    assert [s.number for s in first.items[3].subitems] == ["가", "가의2"]
    assert [i.number for i in second.items] == ["1"]


def test_windows_line_endings_and_bom(fixtures_dir):
    path = fixtures_dir / "ingest" / "markdown" / "민법" / "법률.md"
    text = path.read_text(encoding="utf-8")
    plain = parse_markdown(text, "a.md")
    crlf = parse_markdown("\ufeff" + text.replace("\n", "\r\n"), "b.md")
    strip = lambda d: [(a.key, a.title, a.chapter, a.body_text(), a.line) for a in d.articles]  # noqa: E731
    assert strip(crlf) == strip(plain)


_BODY = "# 제1장 총칙\n\n##### 제1조 (목적)\n\n이 법은 시험을 목적으로 한다.\n"


@pytest.mark.parametrize("front, line, field, reason", [
    ("제목: [broken\n법령구분: 법률\n", 2, "front matter",
     "invalid YAML: did not find expected ',' or ']' while parsing a flow sequence"),
    ("법령구분: 법률\n제목: '프론트법\n", 3, "front matter", "invalid YAML: found unexpected end of stream"),
    ("제목: 프론트법: 개정\n", 2, "front matter", "invalid YAML: mapping values are not allowed"),
    ("제목: [프론트법]\n", 2, "제목", "expected the law's name, got a list"),
])
def test_invalid_front_matter_is_a_source_error_naming_the_line(front, line, field, reason):
    """Read flat, '제목: [broken' made a law named '[broken'."""
    with pytest.raises(SourceError) as e:
        parse_markdown(f"---\n{front}---\n{_BODY}", "bad.md")
    assert (e.value.path, e.value.line, e.value.field) == ("bad.md", line, field)
    assert e.value.reason.startswith(reason)


def test_valid_yaml_front_matter_reads_as_yaml():
    doc = parse_markdown(f"---\n제목: \"프론트법\" # 주석\n소관부처: [법무부, 행정안전부]\n법령ID: '000123'\n"
                         f"공포일자: 2024-01-02\n---\n{_BODY}", "ok.md")
    assert (doc.law, doc.law_id, doc.promulgated) == ("프론트법", "000123", "2024-01-02")


@pytest.mark.parametrize("front, line, field, value", [
    ("공포일자: 2010-13-01\n시행일자: 2010-06-01\n", 4, "공포일자", "2010-13-01"),  # no 13th month
    ("공포일자: 2010-01-01\n시행일자: 20100601x\n", 5, "시행일자", "20100601x"),
    ("시행일자: 2025-02-31\n", 4, "시행일자", "2025-02-31"),  # a day February has not
    ("공포일자: '2025-13-45'\n", 4, "공포일자", "2025-13-45"),
    ("공포일자: 2010-01-01\n공포일자: 2010-00-01\n", 5, "공포일자", "2010-00-01"),  # the value read is the last one's
    # a line that makes the front matter go through YAML, whose own date reading had failed at the first line
    ("공포일자: 2010-13-01\n소관부처: [법무부]\n", 4, "공포일자", "2010-13-01"),
])
def test_a_date_that_is_no_date_is_a_source_error_naming_line_and_field(front, line, field, value):
    """Read as None, '공포일자: 2010-13-01' made an older text undated: index add's older-text guard skipped it and it
    replaced the newer text, every article losing its date, exit 0 and no warning (ingest --strict: 0 warnings)."""
    with pytest.raises(SourceError) as e:
        parse_markdown(f"---\n제목: 시험법\n법령구분: 법률\n{front}---\n{_BODY}", "시험법/법률.md")
    assert (e.value.path, e.value.line, e.value.field) == ("시험법/법률.md", line, field)
    assert str(e.value) == f"시험법/법률.md:{line}: {field}: {value!r} is not a date (YYYY-MM-DD)"


@pytest.mark.parametrize("front, promulgated, effective", [
    ("", None, None),  # undated texts exist: absent dates stay allowed
    ("공포일자:\n시행일자: ''\n", None, None),  # and so do empty ones
    ("공포일자: 20100601\n시행일자: 2010.6.1\n", "2010-06-01", "2010-06-01"),  # the forms read before still read
    ("공포일자: 2010. 6. 1.\n시행일자: 2024-02-29\n", "2010-06-01", "2024-02-29"),
])
def test_absent_empty_and_other_forms_of_dates_still_read(front, promulgated, effective):
    doc = parse_markdown(f"---\n제목: 시험법\n{front}---\n{_BODY}", "시험법/법률.md")
    assert (doc.promulgated, doc.effective_date) == (promulgated, effective)
    assert all((a.promulgated, a.effective_date) == (promulgated, effective) for a in doc.articles)


def test_a_merge_conflict_side_whose_date_is_no_date_is_a_source_error():
    """Which side is the latest promulgation cannot be told: the side with the unreadable date had lost silently."""
    lines = ["---", "제목: 시험법", "<<<<<<< HEAD", "공포일자: 2026-13-31", "=======", "공포일자: 2013-08-13",
             ">>>>>>> abc", "---", "<<<<<<< HEAD", "new", "=======", "old", ">>>>>>> abc"]
    with pytest.raises(SourceError) as e:
        resolve_merge_conflicts(lines, "시험법/법률.md")
    assert (e.value.line, e.value.field) == (4, "공포일자") and "'2026-13-31' is not a date" in e.value.reason


_PROMULGATED_NOT_IN_FORCE = """---
제목: 시험고용법
법령구분: 법률
공포일자: 2026-03-17
시행일자: 2028-01-01
---
# 제1장 총칙

##### 제1조 (목적)

이 법은 시험을 목적으로 한다. <개정 2019.1.15>

##### 제2조 (적용 제외)

**①** 65세 이후에 고용된 사람에게는 이 법을 적용하지 아니한다. <개정 2019.1.15, 2026.3.17>

**②** 제1항에도 불구하고 다음 근로자에게는 이 법을 적용한다. <신설 2026. 3. 17>

##### 제3조 (삭제)

삭제 <2026.3.17>
"""


def test_a_version_not_in_force_yet_marks_the_articles_it_wrote():
    """The mirror holds a law's latest version, which may take effect later (고용보험법 of 2026-03-17, in force from
    2028-01-01): the articles whose notes carry its 공포일자 take effect then; the others are in force today."""
    doc = parse_markdown(_PROMULGATED_NOT_IN_FORCE, "시험고용법.md")
    arts = by_key(doc)
    assert all(a.promulgated == "2026-03-17" and a.effective_date == "2028-01-01" for a in doc.articles)
    today = "2026-12-05"
    assert {k: a.takes_effect(today) for k, a in arts.items()} == {
        "시험고용법 제1조": None, "시험고용법 제2조": "2028-01-01", "시험고용법 제3조": "2028-01-01"}
    assert all(a.takes_effect("2028-01-01") is None for a in doc.articles)  # in force from that day
