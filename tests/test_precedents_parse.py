"""Reading decisions: legalize-kr markdown, law.go.kr JSON, zip archives, bad input (legalret.precedents.parse)."""

from __future__ import annotations

import zipfile
from datetime import date

import pytest

from legalret.errors import SourceError
from legalret.precedents.citations import ArticleCatalog
from legalret.precedents.parse import (
    PrecedentReport,
    case_numbers,
    clean_markup,
    parse_date,
    parse_markdown,
    read_precedents,
)


@pytest.fixture(scope="module")
def prec_dir(fixtures_dir):
    return fixtures_dir / "precedents"


@pytest.fixture(scope="module")
def catalog():
    return ArticleCatalog(
        ["민법 제2조", "민법 제103조", "민법 제194조", "민법 제320조", "민법 제750조", "민법 제751조",
         "민법 제839조의2", "민법 제840조", "민법 제843조", "상법 제651조", "상법 제651조의2", "상법 제652조"],
        deleted_keys=["민법 제982조"],
    )


def test_markdown_decision_with_aligned_items(prec_dir, catalog):
    text = (prec_dir / "md/민사/대법원/2015다1001.md").read_text(encoding="utf-8")
    report = PrecedentReport()
    p = parse_markdown(text, "2015다1001.md", catalog=catalog, report=report)
    assert (p.serial, p.case_no, p.court, p.case_type, p.court_level) == ("900001", "2015다1001", "대법원", "민사", "대법원")
    assert p.decided == date(2015, 6, 11) and p.alignment == "aligned"
    assert [h.index for h in p.holdings] == [1, 2]
    assert p.holdings[1].text.endswith("[1]항의 법리가 보험계약에도 적용되는지 여부")
    assert p.holdings[0].summary.startswith("유치권의 성립요건인 유치권자의 점유는")
    assert p.holdings[0].keys == ["민법 제194조", "민법 제320조"]
    # [2]: 구 상법 제651조의2 (former → not a positive), 상법 제652조 제1항, 같은 법 부칙 (addendum)
    assert [c.label for c in p.holdings[1].citations] == ["구 상법 제651조의2", "상법 제652조 제1항", "상법 부칙 제2조"]
    assert p.holdings[1].keys == ["상법 제652조"]
    assert report.citations.counts["former"] == 1 and report.citations.counts["addendum"] == 1
    assert "2007다27236" in p.references


def test_old_hangul_decision(prec_dir, catalog):
    p = parse_markdown((prec_dir / "md/가사/대법원/89므3003.md").read_text(encoding="utf-8"), "x", catalog=catalog)
    assert [h.index for h in p.holdings] == [1, 2]
    assert p.holdings[0].keys == ["민법 제840조"]
    # 나. gets the shared 가.나. item and its own: 제839조의2 carries the law of the previous item
    assert p.holdings[1].keys == ["민법 제840조", "민법 제839조의2", "민법 제843조"]
    labels = [c.label for c in p.holdings[1].citations]
    # the law name (with 부칙) carries over to 제12조; 제982조 is deleted
    assert labels[-3:] == ["민법 부칙 제2조", "민법 부칙 제12조", "민법 제982조"]
    assert p.holdings[1].summary == "재산분할청구권은 부부 공동재산의 청산이다."


def test_lawgo_json_with_br_markup(prec_dir, catalog):
    (p,) = list(read_precedents(prec_dir / "lawgo/precedent_228541.json", catalog=catalog))
    assert (p.serial, p.case_no, p.case_type, p.decided) == ("228541", "2020다3003", "민사", date(2020, 11, 12))
    assert [h.text for h in p.holdings] == ["간접점유자의 점유권 유무", "보험자가 서면으로 질문한 사항의 추정력"]
    assert [h.keys for h in p.holdings] == [["민법 제194조"], ["상법 제651조의2"]]
    assert "<br" not in p.holdings[0].summary


def test_bad_files_are_reported_and_the_batch_goes_on(prec_dir, catalog):
    report = PrecedentReport()
    seen: list[SourceError] = []
    got = list(read_precedents([prec_dir / "bad", prec_dir / "lawgo", prec_dir / "md"], catalog=catalog,
                               report=report, on_error=seen.append))
    assert len(got) == 8 + 2  # 8 markdown + 2 good JSON records
    assert report.files == 3 + 2 + 8 and report.precedents == len(got)
    messages = sorted(str(e) for e in report.errors)
    assert seen == report.errors and len(messages) == 4
    joined = "\n".join(messages)
    assert "bad_date.md: 선고일자: bad date '2019-13-45'" in joined
    assert "no_front_matter.md:1: no YAML front matter" in joined
    assert "no_holding.md: 판시사항: no '## 판시사항' section" in joined
    assert "list.json[1]: 사건번호: missing or empty" in joined


def test_zip_archive_read_in_place(prec_dir, tmp_path, catalog):
    archive = tmp_path / "precedent-kr.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted((prec_dir / "md").rglob("*.md")):
            zf.write(f, "precedent-kr/" + f.relative_to(prec_dir / "md").as_posix())
        zf.writestr("precedent-kr/README.txt", "not a decision")
        zf.writestr("precedent-kr/민사/대법원/broken.md", b"\xff\xfe not utf-8")
    report = PrecedentReport()
    got = list(read_precedents(archive, catalog=catalog, report=report))
    assert len(got) == 8 and all("precedent-kr.zip!precedent-kr/" in p.source for p in got)
    (err,) = report.errors
    assert "broken.md" in str(err) and "not UTF-8" in str(err)
    assert list(read_precedents(archive, limit=3)).__len__() == 3


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_damaged_archive_member_is_skipped_and_named(prec_dir, tmp_path, catalog, compression):
    """A member whose bytes fail their CRC (a damaged download) was a traceback (zipfile.BadZipFile, zlib.error) that
    ended the batch — for decisions and for facts lines alike."""
    from conftest import corrupt_zip_member

    from legalret.precedents.facts import read_facts

    archive = tmp_path / "precedent-kr.zip"
    members = sorted((prec_dir / "md").rglob("*.md"))
    with zipfile.ZipFile(archive, "w", compression=compression) as zf:
        for f in members:
            zf.write(f, "precedent-kr/" + f.relative_to(prec_dir / "md").as_posix())
    damaged = "precedent-kr/" + members[0].relative_to(prec_dir / "md").as_posix()
    corrupt_zip_member(archive, damaged)
    report = PrecedentReport()
    got = list(read_precedents(archive, catalog=catalog, report=report))
    assert len(got) == len(members) - 1
    (err,) = report.errors
    assert f"{archive}!{damaged}: cannot read (" in str(err) and "\n" not in str(err)
    facts = tmp_path / "facts.zip"
    lines = "".join(f'{{"판례일련번호": "{i}", "사건번호": "2019다{i}", "선고일자": "2019-01-01", "이유": "{"사실" * 200}"}}\n'
                    for i in range(1, 200))
    with zipfile.ZipFile(facts, "w", compression=compression) as zf:
        zf.writestr("precedent-facts.jsonl", lines)
    corrupt_zip_member(facts, "precedent-facts.jsonl")
    seen: list = []
    read = list(read_facts(facts, on_error=seen.append))
    assert seen and any("cannot read past line" in str(e) or "invalid JSON" in str(e) or "not UTF-8" in str(e) for e in seen)
    assert len(read) < 199


def test_missing_source_raises(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        list(read_precedents(tmp_path / "nope.zip"))


def test_case_numbers_and_dates():
    assert case_numbers("2000므1257(본소), 1264(반소)") == {"2000므1257", "2000므1264"}
    assert case_numbers("2019다4004, 2020다4005") == {"2019다4004", "2020다4005"}
    assert case_numbers("4292민상573") == {"4292민상573"}
    assert case_numbers("2018드단205427, 2019드단209969") == {"2018드단205427", "2019드단209969"}
    assert parse_date("20201112") == date(2020, 11, 12) == parse_date("2020-11-12") == parse_date("2020. 11. 12.")
    with pytest.raises(ValueError):
        parse_date("2019-13-45")
    assert clean_markup("a<br/>b<BR>c &amp; <b>d</b>") == "a\nb\nc & d"


def test_catalog_may_be_articles_or_keys(prec_dir):
    from legalret.articles import Article

    source = prec_dir / "lawgo/precedent_228541.json"
    (by_keys,) = read_precedents(source, catalog=["민법 제194조"])
    (by_articles,) = read_precedents(source, catalog=[Article(law="민법", number=194, title="간접점유")])
    assert by_keys.holdings[0].keys == by_articles.holdings[0].keys == ["민법 제194조"]
    assert by_keys.holdings[1].keys == []
    (unresolved,) = read_precedents(source)
    assert unresolved.holdings[0].keys == [] and unresolved.holdings[0].citations[0].label == "민법 제194조"
