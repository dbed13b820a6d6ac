"""law.go.kr JSON and XML: 전문 chapter rows, 조문가지번호, 항 dict/list, 호/목, 조문시행일자, 삭제."""

from __future__ import annotations

import json

import pytest

from legalret.errors import SourceError
from legalret.ingest.lawgo import parse_lawgo_json, parse_lawgo_xml


@pytest.fixture(scope="module", params=["json", "xml"])
def doc(request, fixtures_dir):
    path = fixtures_dir / "ingest" / "lawgo" / f"테스트법.{request.param}"
    parse = parse_lawgo_json if request.param == "json" else parse_lawgo_xml
    [doc] = parse(path.read_text(encoding="utf-8"), str(path))
    return doc


def arts(doc):
    return {a.key: a for a in doc.articles}


def test_metadata(doc):
    assert (doc.law, doc.kind, doc.law_id) == ("테스트 보호법", "법률", "999999")
    assert (doc.promulgated, doc.effective_date) == ("2024-10-01", "2025-01-01")
    assert doc.warnings == []


def test_chapter_rows_are_headings_not_articles(doc):
    assert [a.key for a in doc.articles] == [
        "테스트 보호법 제1조", "테스트 보호법 제2조", "테스트 보호법 제2조의2", "테스트 보호법 제3조", "테스트 보호법 제4조",
    ]
    a = arts(doc)
    assert a["테스트 보호법 제1조"].chapter == ["제1편 총칙", "제1장 통칙"]  # one 전문 row, two headings
    assert a["테스트 보호법 제4조"].chapter == ["제1편 총칙", "제2장 보칙"]


def test_article_without_paragraphs_keeps_its_body(doc):
    art = arts(doc)["테스트 보호법 제1조"]
    assert art.title == "목적"
    assert [(p.number, p.text) for p in art.paragraphs] == [(None, "이 법은 테스트 정보를 보호함을 목적으로 한다. <개정 2024.10.1>")]


def test_paragraph_list_with_items_and_subitems(doc):
    art = arts(doc)["테스트 보호법 제2조"]
    assert [p.number for p in art.paragraphs] == [1, 2]
    first = art.paragraphs[0]
    assert first.text == "이 법에서 사용하는 용어의 뜻은 다음과 같다."  # the '①' prefix is not text
    assert [(i.number, i.text) for i in first.items] == [
        ("1", '"정보"란 살아 있는 개인에 관한 정보를 말한다.'), ("2", '"처리"란 정보의 수집을 말한다.')]
    sub = first.items[0].subitems
    assert [s.number for s in sub] == ["가", "나"]
    assert sub[0].text == "성명 등의 정보\n1) 성명\n2) 주소"  # 목내용 given as nested lists of lines


def test_paragraph_dict_and_branch(doc):
    art = arts(doc)["테스트 보호법 제2조의2"]
    assert (art.number, art.branch, art.title) == (2, 2, "적용범위")
    assert [(p.number, p.text) for p in art.paragraphs] == [(1, "이 법은 국외에서 이루어진 행위에도 적용한다.")]


def test_paragraph_dict_holding_only_items(doc):
    art = arts(doc)["테스트 보호법 제4조"]
    assert len(art.paragraphs) == 1 and art.paragraphs[0].number is None
    assert art.paragraphs[0].text == "장관은 다음 각 호의 사항을 보고받을 수 있다."
    assert [(i.number, i.text) for i in art.paragraphs[0].items] == [("1", "처리 현황"), ("2", "위반 사항\n위반의 경위")]


def test_article_effective_date_and_deleted(doc):
    a = arts(doc)
    assert a["테스트 보호법 제4조"].effective_date == "2026-01-01"  # 조문시행일자, not the law's 시행일자
    assert a["테스트 보호법 제1조"].effective_date == "2025-01-01"
    # an article's own 시행일자 is exact: before it, its text is not in force yet, whatever its notes say
    assert a["테스트 보호법 제4조"].takes_effect("2025-06-01") == "2026-01-01"
    assert a["테스트 보호법 제4조"].takes_effect("2026-01-01") is None and a["테스트 보호법 제4조"].promulgated is None
    assert a["테스트 보호법 제3조"].deleted and a["테스트 보호법 제3조"].body_text() == "삭제 <2020.1.1>"
    assert not a["테스트 보호법 제2조"].deleted


def test_article_lines_point_into_the_file(doc):
    assert all(a.line and a.line > 1 for a in doc.articles)
    assert [a.line for a in doc.articles] == sorted(a.line for a in doc.articles)


def test_json_and_xml_agree(fixtures_dir):
    base = fixtures_dir / "ingest" / "lawgo"
    [j] = parse_lawgo_json((base / "테스트법.json").read_text(encoding="utf-8"))
    [x] = parse_lawgo_xml((base / "테스트법.xml").read_text(encoding="utf-8"))
    strip = lambda d: [{k: v for k, v in a.to_dict().items() if k not in ("line", "source")} for a in d.articles]  # noqa: E731
    assert strip(j) == strip(x)


@pytest.mark.parametrize("wrong", ["latin-1", "cp1252"])
def test_a_mis_encoded_json_reads_as_the_clean_one(fixtures_dir, tmp_path, wrong):
    """UTF-8 read as Latin-1 and saved by json.dump (its default ensure_ascii: the mojibake behind \\u escapes) was
    refused ("no '법령' object"); read as cp1252 only in some rows, 항번호 'â‘¡', 호번호 'ê°\\x80' and 조문여부 kept their
    mojibake — paragraphs lost their numbers, 전문 rows became articles. Now every field reads as in the clean file."""
    from legalret.ingest.sources import ingest

    clean_path = fixtures_dir / "ingest" / "lawgo" / "테스트법.json"
    raw = clean_path.read_bytes()
    path = tmp_path / "moji.json"
    if wrong == "latin-1":
        json.dump(json.loads(raw.decode("latin-1")), path.open("w", encoding="utf-8"))  # ensure_ascii: \u escapes
    else:
        data = json.loads(raw.decode("utf-8"))
        moji = lambda x: (x.encode().decode("cp1252", "ignore") if isinstance(x, str) else  # noqa: E731
                          [moji(y) for y in x] if isinstance(x, list) else
                          {k: moji(v) for k, v in x.items()} if isinstance(x, dict) else x)
        data["법령"]["조문"]["조문단위"] = [moji(u) for u in data["법령"]["조문"]["조문단위"]]
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    strip = lambda r: [{k: v for k, v in a.to_dict().items() if k not in ("line", "source")} for a in r.articles]  # noqa: E731
    clean, read = ingest([clean_path]), ingest([path])
    assert read.report.repaired_files and strip(read) == strip(clean)
    if wrong == "cp1252":  # --no-repair leaves every field as it is, the 항/호/목 numbers too
        kept = ingest([path], repair=False)
        numbers = lambda r: [p.number for a in r.articles for p in a.paragraphs]  # noqa: E731
        assert not kept.report.repaired_files and any(numbers(clean)) and not any(numbers(kept)), numbers(kept)


def test_a_cut_off_file_and_an_empty_list_are_named_for_what_they_are(fixtures_dir):
    """A truncated download said only "Unterminated string" / "unclosed token"; '[]' said "no articles were read"
    naming no file."""
    base = fixtures_dir / "ingest" / "lawgo"
    text, xml = (base / "테스트법.json").read_text(encoding="utf-8"), (base / "테스트법.xml").read_text(encoding="utf-8")
    for parse, cut in ((parse_lawgo_json, text[: len(text) // 2]), (parse_lawgo_json, text[:-3]),
                       (parse_lawgo_xml, xml[: len(xml) // 2])):
        with pytest.raises(SourceError, match="the file ends there — cut off"):
            parse(cut, "cut")
    with pytest.raises(SourceError, match="an empty JSON list: no law in it") as e:
        parse_lawgo_json("[]", "empty.json")
    assert e.value.path == "empty.json"
    with pytest.raises(SourceError) as e:  # a fault in the middle is no cut
        parse_lawgo_json('{"a": 1,, "b": 2}\n', "mid.json")
    assert "cut off" not in str(e.value)


def test_ministry_ordinance_kind_is_enforcement_rule():
    data = {"법령": {"기본정보": {"법령명_한글": "테스트법 시행규칙", "법종구분": {"content": "고용노동부령"}},
                   "조문": {"조문단위": {"조문번호": "1", "조문여부": "조문", "조문내용": "제1조(목적) 목적"}}}}
    [doc] = parse_lawgo_json(json.dumps(data, ensure_ascii=False))
    assert doc.kind == "시행규칙" and [a.key for a in doc.articles] == ["테스트법 시행규칙 제1조"]  # 조문단위 as a dict


def test_malformed_article_is_a_warning_and_the_rest_is_read():
    data = {"법령": {"기본정보": {"법령명_한글": "테스트법"}, "조문": {"조문단위": [
        {"조문번호": "1", "조문여부": "조문", "조문키": "0001001", "조문내용": "제1조(목적) 목적"},
        {"조문번호": "둘", "조문여부": "조문", "조문키": "0002001", "조문내용": "제2조"},
        {"조문번호": "3", "조문여부": "조문", "조문키": "0003001", "조문내용": "제3조(끝) 끝"}]}}}
    text = json.dumps(data, ensure_ascii=False, indent=1)
    [doc] = parse_lawgo_json(text, "t.json")
    assert [a.number for a in doc.articles] == [1, 3]
    [warning] = doc.warnings
    assert "조문번호" in warning.reason and "0002001" in warning.field and warning.line is not None


@pytest.mark.parametrize(
    "text, field",
    [
        ('{"법령": {"기본정보": {"법령명_한글": "x"},\n "조문": [1, }', "JSON"),
        ('{"law": {}}', "법령"),
        ('{"법령": {"조문": {}}}', "법령.기본정보"),
        ('{"법령": {"기본정보": {"법령명_한글": ""}, "조문": {"조문단위": []}}}', "기본정보.법령명_한글"),
        ('{"법령": {"기본정보": {"법령명_한글": "x"}}}', "조문.조문단위"),
    ],
)
def test_bad_json(text, field):
    with pytest.raises(SourceError) as e:
        parse_lawgo_json(text, "bad.json")
    assert e.value.field == field and e.value.path == "bad.json"


def test_bad_xml_names_the_line():
    with pytest.raises(SourceError) as e:
        parse_lawgo_xml("<법령>\n<기본정보>\n</법령>\n", "bad.xml")
    assert e.value.line == 3 and e.value.field == "XML"


def test_xml_root_holding_several_laws(fixtures_dir):
    one = (fixtures_dir / "ingest" / "lawgo" / "테스트법.xml").read_text(encoding="utf-8")
    body = one.split("?>", 1)[1]
    second = body.replace("테스트 보호법", "둘째 보호법").replace("<법령ID>999999", "<법령ID>999998")
    docs = parse_lawgo_xml(f"<LawService>{body}{second}</LawService>", "many.xml")
    assert [(d.law, len(d.articles)) for d in docs] == [("테스트 보호법", 5), ("둘째 보호법", 5)]
    with pytest.raises(SourceError, match="holds no <법령>"):
        parse_lawgo_xml("<LawSearch><totalCnt>0</totalCnt></LawSearch>", "empty.xml")


def test_unexpected_value_types_never_crash(fixtures_dir):
    """Every field replaced by every odd type: a warning or a SourceError, never an exception escaping."""
    import copy
    import random

    data = json.loads((fixtures_dir / "ingest" / "lawgo" / "테스트법.json").read_text(encoding="utf-8"))
    paths: list[list] = []

    def walk(node, path):
        paths.append(path)
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in children:
            walk(child, path + [key])

    walk(data, [])
    rng = random.Random(7)
    outcomes = {"ok": 0, "warned": 0, "error": 0}
    for _ in range(300):
        mutated = copy.deepcopy(data)
        path = rng.choice(paths[1:])
        target = mutated
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = rng.choice([None, 3, "", "x", [], {}, [1, 2], {"a": 1}, 1.5, True])
        try:
            docs = parse_lawgo_json(json.dumps(mutated, ensure_ascii=False), "m.json")
        except SourceError:
            outcomes["error"] += 1
            continue
        outcomes["warned" if any(d.warnings for d in docs) else "ok"] += 1
    assert outcomes["warned"] and outcomes["error"] and sum(outcomes.values()) == 300


def _units_json(units, name="테스트법"):
    data = {"법령": {"기본정보": {"법령명_한글": name}, "조문": {"조문단위": units}}}
    return json.dumps(data, ensure_ascii=False, indent=1)


def test_a_duplicate_article_keeps_the_first_and_names_both_positions():
    """Two 조문단위 with one key (a spliced or hand-edited response) were both returned, and the index then kept the
    last copy, reporting only 'duplicates: 1'. The first is the article; the other is a warning naming both."""
    units = [{"조문번호": "1", "조문여부": "조문", "조문키": "0001001", "조문내용": "제1조(목적) 목적"},
             {"조문번호": "4", "조문여부": "조문", "조문키": "0004001", "조문내용": "제4조(비밀보장) 진짜 본문"},
             {"조문번호": "5", "조문여부": "조문", "조문키": "0005001", "조문내용": "제5조(벌칙) 벌칙"},
             {"조문번호": "4", "조문여부": "조문", "조문키": "0004001", "조문내용": "제4조(가짜제목) 가짜 본문"}]
    text = _units_json(units)
    [doc] = parse_lawgo_json(text, "dup.json")
    assert [(a.label, a.title) for a in doc.articles] == [("제1조", "목적"), ("제4조", "비밀보장"), ("제5조", "벌칙")]
    [w] = doc.warnings
    lines = [i + 1 for i, line in enumerate(text.split("\n")) if '"0004001"' in line]
    assert (w.path, w.line, w.field) == ("dup.json", lines[1], "조문단위[3] (조문키 0004001)")
    assert w.reason == f"duplicate article 제4조 (first at 조문단위[1], line {lines[0]}); kept the first"
    assert doc.articles[1].line == lines[0]


def test_a_duplicate_article_in_xml_is_warned_too():
    xml = ("<법령><기본정보><법령명_한글>테스트법</법령명_한글></기본정보><조문>\n"
           '<조문단위 조문키="0002001"><조문번호>2</조문번호><조문여부>조문</조문여부><조문내용>제2조(정의) 첫째</조문내용></조문단위>\n'
           '<조문단위 조문키="0002001"><조문번호>2</조문번호><조문여부>조문</조문여부><조문내용>제2조(정의) 둘째</조문내용></조문단위>\n'
           "</조문></법령>")
    [doc] = parse_lawgo_xml(xml, "dup.xml")
    assert [a.paragraphs[0].text for a in doc.articles] == ["첫째"] and doc.articles[0].line == 2
    [w] = doc.warnings
    assert w.line == 3 and "duplicate article 제2조 (first at 조문단위[0], line 2)" in w.reason


def test_each_law_of_a_list_gets_its_own_lines():
    first = json.loads(_units_json([{"조문번호": "1", "조문여부": "조문", "조문키": "0001001", "조문내용": "제1조(목적) 가"}]))
    second = json.loads(_units_json([{"조문번호": "1", "조문여부": "조문", "조문키": "0001001", "조문내용": "제1조(목적) 나"}],
                                    name="둘째법"))
    text = json.dumps([first, second], ensure_ascii=False, indent=1)
    docs = parse_lawgo_json(text, "two.json")
    lines = [i + 1 for i, line in enumerate(text.split("\n")) if '"0001001"' in line]
    assert [d.articles[0].line for d in docs] == lines and len(set(lines)) == 2


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("old, new, field, line", [
    ({"json": '"공포일자": "20241001"', "xml": "<공포일자>20241001<"}, "20241301", "기본정보.공포일자", {"json": 8, "xml": 5}),
    ({"json": '"시행일자": "20250101"', "xml": "<시행일자>20250101<"}, "2025010x", "기본정보.시행일자", {"json": 10, "xml": 9}),
    # an article's own date: the file fails, as for the law's (read as absent, it took the law's date without a word)
    ({"json": '"조문시행일자": "20260101"', "xml": "<조문시행일자>20260101<"}, "20260231",
     "조문단위[6].조문시행일자 (조문키 0004001)", {"json": 43, "xml": 86}),
])
def test_a_date_that_is_no_date_is_a_source_error_naming_line_and_field(fixtures_dir, fmt, old, new, field, line):
    text = (fixtures_dir / "ingest" / "lawgo" / f"테스트법.{fmt}").read_text(encoding="utf-8")
    parse = parse_lawgo_json if fmt == "json" else parse_lawgo_xml
    assert text.count(old[fmt]) == 1
    with pytest.raises(SourceError) as e:
        parse(text.replace(old[fmt], old[fmt].replace(old[fmt][-9:-1], new)), f"테스트법.{fmt}")
    assert (e.value.path, e.value.line, e.value.field) == (f"테스트법.{fmt}", line[fmt], field)
    assert e.value.reason == f"{new!r} is not a date (YYYYMMDD)"


def test_absent_and_empty_dates_still_read():
    """Undated texts exist: no 공포일자/시행일자, or empty ones (law.go.kr writes '' for fields it has no value of)."""
    data = {"법령": {"기본정보": {"법령명_한글": "테스트법", "공포일자": "", "시행일자": {"content": ""}}, "조문": {"조문단위": [
        {"조문번호": "1", "조문여부": "조문", "조문키": "0001001", "조문시행일자": "", "조문내용": "제1조(목적) 목적"},
        {"조문번호": "2", "조문여부": "조문", "조문키": "0002001", "조문시행일자": "20240229", "조문내용": "제2조(끝) 끝"}]}}}
    [doc] = parse_lawgo_json(json.dumps(data, ensure_ascii=False), "t.json")
    assert (doc.promulgated, doc.effective_date) == (None, None)
    assert [a.effective_date for a in doc.articles] == [None, "2024-02-29"]
