"""참조조문 citation parsing and resolution (legalret.precedents.citations)."""

from __future__ import annotations

from pathlib import Path

import pytest

from legalret.precedents.citations import ArticleCatalog, CitationParser, parse_citations, resolve

ROOT = Path(__file__).resolve().parent.parent

# (참조조문 text, expected citation labels in order). Labels: '구' prefix = former version, '부칙' = addendum.
TABLE = [
    ("민법 제194조", ["민법 제194조"]),
    ("민법 제194조, 제320조 제1항", ["민법 제194조", "민법 제320조 제1항"]),
    ("상법 제651조의2", ["상법 제651조의2"]),
    ("구 상법(2010. 5. 14. 법률 제10281호로 개정되기 전의 것) 제651조의2",
     ["구 상법 제651조의2"]),
    ("민법 제766조 제1항, 제2항", ["민법 제766조 제1항", "민법 제766조 제2항"]),
    ("형법 제37조, 제38조 제1항 제2호, 제50조 제3항",
     ["형법 제37조", "형법 제38조 제1항 제2호", "형법 제50조 제3항"]),
    ("민법 제750조, 상법 제24조", ["민법 제750조", "상법 제24조"]),
    ("국세기본법 제15조, 법인세법 제20조, 같은법시행령 제46조",
     ["국세기본법 제15조", "법인세법 제20조", "법인세법 시행령 제46조"]),
    ("지방세법 제188조 제1항, 동법시행령 제142조 제1항 제1호",
     ["지방세법 제188조 제1항", "지방세법 시행령 제142조 제1항 제1호"]),
    ("민법 제3조, 같은 법 제5조", ["민법 제3조", "민법 제5조"]),
    ("주택임대차보호법 제3조 제1항, 주택임대차보호법 부칙 제2항",
     ["주택임대차보호법 제3조 제1항", "주택임대차보호법 부칙 제2항"]),
    ("상법 부칙(1984. 4. 10.) 제2조", ["상법 부칙 제2조"]),
    ("민법 제1조 내지 제3조", ["민법 제1조", "민법 제2조", "민법 제3조"]),
    ("헌법 제12조 제1항, 제27조 제3항", ["헌법 제12조 제1항", "헌법 제27조 제3항"]),
    ("민법 제750조 후단, 제751조", ["민법 제750조", "민법 제751조"]),
    ("민사소송법 제226조[소의제기], 부동산등기법 제31조, 제48조",
     ["민사소송법 제226조", "부동산등기법 제31조", "부동산등기법 제48조"]),
    ("구 민사소송법(2002. 1. 26. 법률 제6626호로 전문 개정되기 전의 것) 제733조 제2항(현행 민사집행법 "
     "제273조 제2항), 제3항(현행 민사집행법 제273조 제3항), 회사정리법 제67조 제1항",
     ["구 민사소송법 제733조 제2항", "구 민사소송법 제733조 제3항", "회사정리법 제67조 제1항"]),
    ("구 마약류관리에 관한 법률(2010. 1. 18. 법률 제9932호로 개정되기 전의 것) 제2조 제4호 (나)목",
     ["구 마약류관리에 관한 법률 제2조 제4호 나목"]),
    ("도로운송차량법 시행규칙 제44조 제1항, [별표 9], [별표10]", ["도로운송차량법 시행규칙 제44조 제1항"]),
    ("채무자 회생 및 파산에 관한 법률 제382조 제1항", ["채무자 회생 및 파산에 관한 법률 제382조 제1항"]),
    ("민법 제103조, 같은 조 제2항", ["민법 제103조", "민법 제103조 제2항"]),
    ("민법 제2조 제1항 본문, 제2항 단서", ["민법 제2조 제1항", "민법 제2조 제2항"]),
    ("가사소송법 제2조 제1항 제1호 (나)목 제2호",
     ["가사소송법 제2조 제1항 제1호 나목", "가사소송법 제2조 제1항 제2호"]),
    ("민법 제750조\n,\n        제751조", ["민법 제750조", "민법 제751조"]),
    ("민법 제839조의2 제1항, 제843조", ["민법 제839조의2 제1항", "민법 제843조"]),
    ("구 약사법(2007. 4. 11. 법률 제8365호로 전문 개정되기 전의 것) 제2조(현행 동일), "
     "제21조 제1항(현행 제23조 제1항 참조)", ["구 약사법 제2조", "구 약사법 제21조 제1항"]),
    ("국가배상법 2조, 민법 750조", ["국가배상법 제2조", "민법 제750조"]),
    ("자본시장과 금융투자업에 관한 법률 제178조 제1항 제1호, 제2항",
     ["자본시장과 금융투자업에 관한 법률 제178조 제1항 제1호", "자본시장과 금융투자업에 관한 법률 제178조 제2항"]),
    ("민법 제867조 (1990.1.13. 법률 제4199호로 개정되기 전의 것) 제1항", ["구 민법 제867조 제1항"]),
    ("민법(2011. 3. 7. 법률 제10429호로 개정된 것) 제9조", ["민법 제9조"]),
    ("구 증권거래법(2007. 8. 3. 법률 제8635호 자본시장과 금융투자업에 관한 법률 부칙 제2조로 폐지) 제188조의4",
     ["구 증권거래법 제188조의4"]),
    ("가사소송법 제2조 제1항 가 (1) 제4호", ["가사소송법 제2조 제1항 제4호"]),
    ("민법 제750조 / 민법 제751조", ["민법 제750조", "민법 제751조"]),
]


@pytest.mark.parametrize("text,expected", TABLE, ids=[t[:30] for t, _ in TABLE])
def test_citation_table(text, expected):
    assert [c.label for c in parse_citations(text)] == expected


def test_table_is_large_enough():
    assert len(TABLE) >= 25


def test_citation_fields():
    (c,) = parse_citations("구 상법(2010. 5. 14. 법률 제10281호로 개정되기 전의 것) 제651조의2 제1항 제3호")
    assert (c.law, c.number, c.branch, c.paragraph, c.item, c.former, c.addendum) == ("상법", 651, 2, 1, "3", True, False)
    assert "개정되기 전의 것" in c.note
    assert c.raw.startswith("구 상법(") and c.raw.endswith("제3호")
    assert c.key == "상법 제651조의2"


def test_same_law_refers_across_items_of_one_decision():
    parser = CitationParser()
    first = parser.parse("구 특허법(1990.1.13 법률 제4207호로 개정되기 전의 것) 제83조의2, 의장법 제5조")
    second = parser.parse("같은 법 제16조")
    third = parser.parse("제20조")  # an item starting with a bare article continues the last law named
    assert [c.label for c in first] == ["구 특허법 제83조의2", "의장법 제5조"]
    assert [c.label for c in second] == ["의장법 제16조"]
    assert [c.label for c in third] == ["의장법 제20조"]


def test_addendum_alone_refers_to_the_law_before():
    labels = [c.label for c in parse_citations("민법 제1000조, 부칙(1990. 1. 13.) 제12조 제2항")]
    assert labels == ["민법 제1000조", "민법 부칙 제12조 제2항"]


CATALOG = ArticleCatalog(
    live_keys=["민법 제194조", "민법 제320조", "상법 제651조", "상법 제651조의2", "상법 제652조"],
    deleted_keys=["민법 제982조"],
)


def test_resolve_statuses_and_positives():
    cits = parse_citations(
        "민법 제194조, 제320조 제1항, 제320조 제2항, 구 상법(2010. 5. 14. 법률 제10281호로 개정되기 전의 것) "
        "제651조의2, 상법 제652조, 민법 제982조, 민법 제9999조, 형법 제1조, 상법 부칙 제2조"
    )
    keys, report = resolve(cits, CATALOG)
    # former (구) citations are never positives, even when the article number still exists
    assert keys == ["민법 제194조", "민법 제320조", "상법 제652조"]
    assert report.counts["resolved"] == 4  # 제320조 twice (two paragraphs), one key
    assert report.counts["former"] == 1 and report.former_number_live == 1
    assert report.counts["deleted"] == 1
    assert report.counts["unknown_article"] == 1
    assert report.counts["unknown_law"] == 1
    assert report.counts["addendum"] == 1
    d = report.to_dict()
    assert d["total"] == 9 and {"law": "형법", "status": "unknown_law", "count": 1} in d["top_unresolved"]


def test_resolve_uses_law_names_for_spacing_variants():
    catalog = ArticleCatalog(["채무자 회생 및 파산에 관한 법률 제382조"])
    keys, _ = resolve(parse_citations("채무자회생및파산에관한법률 제382조 제1항"), catalog)
    assert keys == ["채무자 회생 및 파산에 관한 법률 제382조"]


def test_citation_without_any_law_is_unknown_law_not_a_crash():
    cits = parse_citations("제840조 제6호")
    keys, report = resolve(cits, CATALOG)
    assert keys == [] and report.counts["unknown_law"] == 1


def test_empty_and_junk_inputs():
    assert parse_citations("") == []
    assert parse_citations("   \n ") == []
    assert parse_citations("(현행 동일)") == []


def test_glued_former_prefix_vs_a_law_whose_name_starts_with_gu():
    (old_civil,) = parse_citations("구민법 제1000조")
    assert old_civil.former and old_civil.law == "민법" and old_civil.written == "구민법"
    catalog = ArticleCatalog(["민법 제1000조", "구강보건법 제5조"])
    assert resolve([old_civil], catalog)[1].counts["former"] == 1
    (oral,) = parse_citations("구강보건법 제5조")
    keys, report = resolve([oral], catalog)
    assert keys == ["구강보건법 제5조"] and report.counts["resolved"] == 1


def test_a_note_naming_todays_provision_resolves_to_it():
    """'구 민사소송법 … 제431조(현행 제458조 참조)': the court's own note says which article replaced the old one —
    that article is the positive, not the old number (which today is another article or none)."""
    catalog = ArticleCatalog(["민사소송법 제431조", "민사소송법 제451조", "민사소송법 제458조", "민사집행법 제273조",
                              "국제사법 제25조", "국제사법 제28조", "국제사법 제2조"])
    cits = parse_citations("[1] 구 민사소송법(2002. 1. 26. 법률 제6626호로 전부 개정되기 전의 것) 제422조 제1항 제9호"
                           "(현행 제451조 제1항 제9호 참조), 제431조(현행 제458조 참조)")
    keys, report = resolve(cits, catalog)
    assert keys == ["민사소송법 제451조", "민사소송법 제458조"]  # not today's 제431조, which the old number names
    assert report.counts["current_named"] == 2 and report.counts["former"] == 0
    assert not report.unresolved_laws  # resolved, so not among what to look at first
    # another law named in the note; several articles; 같은 법
    assert resolve(parse_citations("구 민사소송법 제727조(현행 민사집행법 제273조 참조)"), catalog)[0] == ["민사집행법 제273조"]
    assert resolve(parse_citations("구 섭외사법 제13조(현행 국제사법 제25조, 제28조 참조)"), catalog)[0] == [
        "국제사법 제25조", "국제사법 제28조"]
    assert resolve(parse_citations("구 섭외사법 제1조(현행 국제사법 제2조)"), catalog)[0] == ["국제사법 제2조"]
    # nothing named that is in force: the old citation stays a non-positive former one
    for text in ("구 민사소송법 제431조(현행 삭제)", "구 민사소송법 제431조(현행 제1호 참조)",
                 "구 민사소송법 제431조(현행 민사소송법 부칙 제2조 참조)", "구 민사소송법 제431조(현행 제999조 참조)",
                 "구 민사소송법 제431조(현행 없는법 제1조 참조)"):
        keys, report = resolve(parse_citations(text), catalog)
        assert keys == [] and report.counts["former"] == 1, text


def test_a_named_provision_still_passes_the_numbering_check():
    """'현행' is the text in force when the note was written: a note on a 2001 decision names 근로기준법 numbers of
    the 1997 text, not today's (2007), so its key is dropped like the decision's plain citations."""
    from legalret.precedents.citations import predates_numbering

    catalog = ArticleCatalog(["근로기준법 제30조", "근로기준법 제23조"])
    keys, _ = resolve(parse_citations("구 근로기준법(1997. 3. 13. 법률 제5309호로 폐지되기 전의 것) 제27조"
                                      "(현행 제30조 참조)"), catalog)
    assert keys == ["근로기준법 제30조"]
    assert predates_numbering(keys[0], "2001-05-01") and not predates_numbering("근로기준법 제23조", "2015-01-01")


def test_predates_numbering_per_law():
    from legalret.precedents.citations import predates_numbering

    assert predates_numbering("민법 제750조", "1959-12-31")
    assert not predates_numbering("민법 제750조", "1960-01-01")
    assert predates_numbering("상법 제652조", "1962-12-31") and not predates_numbering("상법 제652조", "1963-01-01")
    assert not predates_numbering("주택임대차보호법 제3조", "1950-01-01")  # no recorded change of numbering
    assert not predates_numbering("민법 제750조", None)
    # from the table the courts' own notes give (scripts/numbering_build_table.py): a 1989 judgment's 근로기준법 제27조
    # is the old 해고 등의 제한 (today's 제23조) — it had voted for today's 제27조 (해고사유 등의 서면통지)
    assert predates_numbering("근로기준법 제27조", "1989-02-28") and predates_numbering("근로기준법 제23조", "2003-01-01")
    assert predates_numbering("근로기준법 제23조", "2008-01-01")  # promulgated 2007-04-11, a year's margin
    assert not predates_numbering("근로기준법 제23조", "2008-06-01")
    assert predates_numbering("민사소송법 제208조", "1999-01-01") and not predates_numbering("민사소송법 제208조", "2004-01-01")


def test_the_numbering_table_keeps_each_laws_latest_well_attested_whole_text():
    """scripts/numbering_build_table.py: per law the latest date of a whole new text that at least two decisions and a
    tenth of the most-given date's decisions give (one or two decisions' date may be a typo, or a partial amendment
    written as whole); the shipped table is what it makes from the shared archive."""
    import importlib.util
    from datetime import date

    from legalret.precedents.citations import NUMBERING_TABLE, numbering_since

    spec = importlib.util.spec_from_file_location("numbering_build_table", ROOT / "scripts" / "numbering_build_table.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    d = date
    found = {"근로기준법": {d(1997, 3, 13): set(range(152)), d(2007, 4, 11): set(range(46)), d(2007, 5, 17): {1}},
             "법인세법": {d(1998, 12, 28): set(range(141)), d(2010, 12, 30): {1, 2}},
             "한 번뿐인 법": {d(2001, 1, 1): {1}}}
    assert script.table(found, 2, 0.1) == [("근로기준법", d(2007, 4, 11), 46, 152), ("법인세법", d(1998, 12, 28), 141, 141)]
    m = script.WHOLE_TEXT.search("2007. 4. 11. 법률 제8372호로 전부 개정되기 전의 것")
    assert m and m.group(1, 2, 3) == ("2007", "4", "11")
    assert script.WHOLE_TEXT.search("1997. 3. 13. 법률 제5305호로 폐지되기 전의 것")
    assert not script.WHOLE_TEXT.search("2010. 5. 14. 법률 제10281호로 개정되기 전의 것")  # a partial amendment
    rows = [line.split("\t") for line in NUMBERING_TABLE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert len(rows) > 100 and all(len(r) == 4 for r in rows)
    since = numbering_since()
    assert since["민법"] == d(1960, 1, 1) and since["근로기준법"] == d(2008, 4, 10)  # by hand; promulgation + 365 days


def _decisions_naming_a_whole_text(archive: Path, out: Path) -> Path:
    """The members of the precedents ``archive`` that can date a whole new text, in a zip of their own (same names,
    same order): those that hold a word of the script's ``WHOLE_TEXT`` (전부 / 전문 개정, 폐지, 제정). The table counts,
    per law and date, the decisions whose own citation notes match it: a decision without any of those words adds
    nothing to it, and parsing the other ~62,000 of the 72,535 decisions was over half of this test's time. Kept
    whole besides, as the words may appear only once the reader has made them: a member with conjoining jamo (NFC
    composes syllables of them) and any JSON member (its entities are unescaped)."""
    import zipfile

    words = [w.encode() for w in ("전부", "전문", "폐지", "제정")]
    jamo = [bytes([0xE1, b]) for b in range(0x84, 0x88)]  # U+1100–U+11FF in UTF-8
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            if info.is_dir():
                continue
            try:
                raw = src.read(info)
            except (zipfile.BadZipFile, OSError):  # (the script reports it and goes on: as if it were not there)
                continue
            if not info.filename.lower().endswith(".md") or any(w in raw for w in words) or any(j in raw for j in jamo):
                dst.writestr(info, raw)
    return out


@pytest.mark.slow
def test_the_shipped_numbering_table_is_what_the_script_makes(shared_data, tmp_path):
    """The script's own code (scripts/numbering_build_table.py ``main``) on the full statutes mirror and on the
    decisions of the shared archive that can give a date (:func:`_decisions_naming_a_whole_text`)."""
    import importlib.util

    from legalret.precedents.citations import NUMBERING_TABLE

    spec = importlib.util.spec_from_file_location("numbering_build_table", ROOT / "scripts" / "numbering_build_table.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "numbering_since.tsv"
    precedents = _decisions_naming_a_whole_text(shared_data / "precedents" / "precedent-kr.zip", tmp_path / "whole.zip")
    assert script.main(["--precedents", str(precedents),
                        "--statutes", str(shared_data / "statutes" / "legalize-kr.zip"), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == NUMBERING_TABLE.read_text(encoding="utf-8")
