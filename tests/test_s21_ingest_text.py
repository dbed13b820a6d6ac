"""Statute text as it is read: zero-width characters (text copied from law.go.kr's pages) and files cut off."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from legalret.articles import read_articles
from legalret.cli import app
from legalret.ingest import ingest
from legalret.ingest.lawgo import parse_lawgo_json
from legalret.ingest.markdown import parse_markdown
from legalret.ingest.plaintext import parse_plaintext

runner = CliRunner()

_LAW = "가등기담보 등에 관한 법률"
_PLAIN = (f"{_LAW}\n"
          "제1조\u200b(목적) 이 법은 차용물의 반환에 관하여 담보계약의 효력을 정함을 목적으로 한다.\n"
          "제2조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다.\n"
          "1. \"담보계약\"이란 대물반환의 예약에 포함되는 계약을 말한다.\n"
          "제3조\u200c(담보권 실행의 통지와 청산기간) 채권자가 담보계약에 따른 담보권을 실행하려면 통지하여야 한다.\n")
_FRONT = "---\n제목: 집합건물의 소유 및 관리에 관한 법률\n법령구분: 법률\n공포일자: 2023-03-28\n---\n"
_MD = (_FRONT + "# 집합건물의 소유 및 관리에 관한 법률\n"
       "##### 제1조\u200b (목적)\n이 법은 건물의 구분소유에 관한 사항을 정함을 목적으로 한다.\n"
       "##### 제2조 (정의)\n**①** 이 법에서 쓰는 용어의 뜻은 다음과 같다.\n  1\\. \"구분소유권\"이란 권리를 말한다.\n"
       "##### 제3조 (공용부분)\n**①** 여러 개의 전유부분으로 통하는 복도는 구분소유권의 목적으로 할 수 없다.\n"
       "**②** 제1항의 경우에는 규약으로 달리 정할 수 있다.\n")
_CUT_MD = _MD.removesuffix("다.\n")  # '… 규약으로 달리 정할 수 있': cut mid-sentence, no final newline


def _cut_off(warnings) -> list:
    return [w for w in warnings if "looks cut off" in w.reason]


def test_zero_width_space_in_a_plain_text_heading_keeps_the_article():
    """'제1조\\u200b(목적)' (pasted from law.go.kr) was no heading: 제1조 was read as text before the first article and
    left out — "17 articles … 0 warnings", exit 0 — and `index add` then reported it removed."""
    [doc] = parse_plaintext(_PLAIN, "가등기담보등에관한법률.txt")
    assert [a.label for a in doc.articles] == ["제1조", "제2조", "제3조"]
    assert doc.articles[0].title == "목적" and doc.articles[2].title == "담보권 실행의 통지와 청산기간"
    assert "\u200b" not in doc.articles[0].body_text() and not doc.warnings and not doc.dropped


def test_a_generic_file_name_reads_the_law_from_its_first_line():
    """The same text in 'x.txt' failed with "article headings but no law name": the title line counts only when a
    heading follows it, and '제1조\\u200b(목적)' was none. A BOM or word joiner around the name does not hide it."""
    for text in (_PLAIN, "\ufeff" + _PLAIN, _PLAIN.replace(_LAW, "\u2060" + _LAW + "\u200b", 1)):
        [doc] = parse_plaintext(text, "x.txt")
        assert doc.law == _LAW and [a.label for a in doc.articles] == ["제1조", "제2조", "제3조"]


def test_zero_width_space_in_a_markdown_heading_keeps_its_title():
    """'##### 제1조\\u200b (목적)' read as an untitled 제1조 whose text began with '(목적)'."""
    doc = parse_markdown(_MD, "집합건물법.md")
    assert [(a.label, a.title) for a in doc.articles] == [("제1조", "목적"), ("제2조", "정의"), ("제3조", "공용부분")]
    assert not _cut_off(doc.warnings) and not doc.dropped


def test_zero_width_characters_in_law_go_kr_json_are_dropped():
    """A 조문번호 '1\\u200b' was "not a number" (the article skipped) and titles kept the invisible characters."""
    units = [{"조문여부": "조문", "조문키": "0001001", "조문번호": "1\u200b", "조문제목": "목\u200d적",
              "조문내용": "제1조(목적) 이 법은 목적을 정한다.\ufeff"}]
    law = {"법령": {"기본정보": {"법령명_한글": "테스트\u200b법", "법종구분": "법률"}, "조문": {"조문단위": units}}}
    [doc] = parse_lawgo_json(json.dumps(law, ensure_ascii=False), "t.json")
    assert doc.law == "테스트법" and [(a.label, a.title) for a in doc.articles] == [("제1조", "목적")]
    assert doc.articles[0].body_text() == "이 법은 목적을 정한다." and not doc.warnings


@pytest.mark.parametrize("name, text, where", [
    ("집합건물법_truncated.md", _CUT_MD, "집합건물법_truncated.md:14"),
    ("가등기담보등에관한법률.txt", _PLAIN.removesuffix("하여야 한다.\n"), "가등기담보등에관한법률.txt:5"),
])
def test_a_file_cut_mid_sentence_warns_and_counts_as_not_read_whole(tmp_path, name, text, where):
    """A truncated file (the last article ending '… 규약으로 달리 정할 수 있', no final newline) was accepted by
    `ingest --strict` and `index build`: search showed the cut text without a word."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = ingest([path])
    [warning] = _cut_off(result.report.warnings)
    assert str(warning).startswith(str(tmp_path / where)) and "its last article ends mid-sentence" in warning.reason
    assert text.rstrip()[-12:] in warning.reason
    assert result.report.failed and sum(result.report.dropped.values()) == 1
    assert len(result.articles) == 3  # the cut article is still read, with the warning


def test_strict_ingest_fails_on_a_cut_file(tmp_path):
    """`legalret ingest --strict` exits 2 and writes nothing (its documented refusal); without --strict it writes."""
    path = tmp_path / "집합건물법_truncated.md"
    path.write_text(_CUT_MD, encoding="utf-8")
    out = tmp_path / "a.jsonl"
    strict = runner.invoke(app, ["ingest", str(path), "--out", str(out), "--strict"])
    assert strict.exit_code == 2, strict.output
    assert not out.exists() and "--strict" in strict.output
    lenient = runner.invoke(app, ["ingest", str(path), "--out", str(out), "--warnings"])
    assert lenient.exit_code == 0, lenient.output
    assert "looks cut off" in lenient.output and len(list(read_articles(out))) == 3


@pytest.mark.parametrize("ending", [
    "다.", "다", "것", ")", "」", "함", "음", "다. <개정 2020.1.1>", "다.  [본조신설 2010.5.17]",
])
def test_a_whole_file_without_a_final_newline_does_not_warn(tmp_path, ending):
    """A file saved without a final newline whose last line ends as statute lines end is whole: no warning."""
    path = tmp_path / "x.md"
    path.write_text(_MD.removesuffix("있다.\n") + "있" + ending, encoding="utf-8")
    result = ingest([path])
    assert not _cut_off(result.report.warnings) and not result.report.failed


@pytest.mark.parametrize("tail", [
    "\n  1\\. 관리단집회의 결의",            # a 호 ends in a noun
    "\n  1\\. 공용부분\n    가\\. 복도",   # a 목
    "\n## 부칙\n이 법은 공포한 날부터 시행",   # cut in 부칙 (dropped): no article is cut
])
def test_items_and_addenda_at_the_end_do_not_warn(tmp_path, tail):
    path = tmp_path / "x.md"
    path.write_text(_MD.rstrip("\n") + tail, encoding="utf-8")
    assert not _cut_off(ingest([path]).report.warnings)


@pytest.mark.slow
def test_the_real_mirror_has_no_cut_off_file(shared_data):
    """The check must not fire on any file of the legalize-kr mirror (~20 s) nor on the law.go.kr JSON."""
    mirror = shared_data / "statutes" / "legalize-kr.zip"
    lawgo = shared_data / "statutes" / "lawgo-json"
    sources = [p for p in (mirror, lawgo) if p.exists()]
    if not sources:
        pytest.skip("no statutes in the shared data")
    report = ingest(sources).report
    assert report.files > 0 and not _cut_off(report.warnings) and not report.dropped
