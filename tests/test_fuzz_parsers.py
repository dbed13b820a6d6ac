"""Property tests (hypothesis) over every input parser: random bytes and text, truncations and byte flips
of real-shaped fixtures, legacy encodings (CP949/EUC-KR, cp1252 mojibake). A parser may return documents
or raise :class:`~legalret.errors.SourceError` naming the file — never any other exception, never hang.

Derandomized (fixed seed) so CI is repeatable; ``benchmarks/robustness.py`` runs the same properties
with random seeds and many more examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legalret.articles import read_articles
from legalret.errors import SourceError
from legalret.ingest.lawgo import parse_lawgo_json
from legalret.ingest.mojibake import corrupt, repair_mojibake
from legalret.ingest.sources import decode, detect_format, ingest, parse_text

from fuzz_support import EXAMPLES, TRIED, fuzz_settings  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"

FUZZ = fuzz_settings(120, HealthCheck.data_too_large)

#: Real-shaped samples: one per format, the seeds of the mutations.
SAMPLES = {
    "markdown": (FIXTURES / "ingest" / "markdown" / "민법" / "법률.md").read_text(encoding="utf-8"),
    "lawgo-json": (FIXTURES / "ingest" / "lawgo" / "테스트법.json").read_text(encoding="utf-8"),
    "lawgo-xml": (FIXTURES / "ingest" / "lawgo" / "테스트법.xml").read_text(encoding="utf-8"),
    "plaintext": (FIXTURES / "ingest" / "plaintext" / "상법.txt").read_text(encoding="utf-8"),
}
PRECEDENT_MD = """---
판례일련번호: '134321'
사건번호: 2008그162
사건명: 인도명령취소
법원명: 대법원
법원등급: 대법원
사건종류: 민사
선고일자: 2008-10-24
---

# 인도명령취소

## 판시사항

[1] 집행에 관한 이의신청에 대한 재판의 불복방법(=특별항고)
[2] 항고장 접수 법원이 취하여야 할 조치

## 판결요지

[1] 민사집행법 제17조 제1항의 요건에 해당하지 않는 재판에는 특별항고만 허용된다.

## 참조조문

[1] 민사집행법 제15조 제1항, 제17조 제1항 / [2] 민사소송법 제449조
"""


def parse(fmt: str, text: str, name: str = "fuzz"):
    """The parser of ``fmt`` with the mojibake repair wired in, as ingest calls it."""
    return parse_text(text, f"{name}.{fmt}", fmt, fix=lambda t: repair_mojibake(t).text)


def check(fn, *args, **kwargs):
    """Call ``fn``; only SourceError may escape (pytest reports anything else with its traceback)."""
    TRIED[getattr(fn, "__name__", "?")] += 1
    try:
        return fn(*args, **kwargs)
    except SourceError as e:
        assert str(e), "a SourceError must say something"
        return None


# ---- mutations of real-shaped text ------------------------------------------------------------------
@st.composite
def mutated(draw, fmt: str):
    text = SAMPLES[fmt]
    op = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "duplicate", "swap_lines"]))
    if op == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if op == "flip":
        data = bytearray(text.encode("utf-8"))
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= 1 << draw(st.integers(0, 7))
        return data.decode("utf-8", errors=draw(st.sampled_from(["replace", "ignore", "surrogateescape"])))
    if op == "insert":
        i = draw(st.integers(0, len(text)))
        junk = draw(st.text(min_size=1, max_size=40) | st.sampled_from(
            ["---", "\n##### 제", "제1조(", "{", "}", "<조문>", "]]>", "\x00", "\ufeff", "[", "\"조문단위\": null", "①"]))
        return text[:i] + junk + text[i:]
    if op == "delete":
        i = draw(st.integers(0, len(text)))
        return text[:i] + text[i + draw(st.integers(1, 200)):]
    if op == "duplicate":
        i = draw(st.integers(0, len(text)))
        return text[:i] + text[i // 2:]
    lines = text.split("\n")
    i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


@pytest.mark.parametrize("fmt", list(SAMPLES))
def test_samples_parse(fmt):
    docs = parse(fmt, SAMPLES[fmt])
    assert docs and sum(len(d.articles) for d in docs) > 0


@pytest.mark.parametrize("fmt", list(SAMPLES))
@FUZZ
@given(data=st.data())
def test_mutated_input_is_parsed_or_a_source_error(fmt, data):
    check(parse, fmt, data.draw(mutated(fmt)))


@pytest.mark.parametrize("declared", ["TTF-8", "euc-kr", "utf-16", "x" * 300])
def test_xml_declared_encoding_is_ignored_for_decoded_text(declared):
    """Found by the robustness benchmark: ``encoding="TTF-8"`` was a LookupError out of expat."""
    text = SAMPLES["lawgo-xml"].replace('encoding="UTF-8"', f'encoding="{declared}"', 1)
    assert len(parse("lawgo-xml", text)[0].articles) == 5
    with pytest.raises(SourceError, match=r":1: XML: malformed XML: XML declaration not well-formed"):
        parse("lawgo-xml", SAMPLES["lawgo-xml"].replace('encoding="UTF-8"', 'encoding=""', 1))


@pytest.mark.parametrize("fmt", list(SAMPLES))
@FUZZ
@given(text=st.text(max_size=400))
def test_random_text_is_parsed_or_a_source_error(fmt, text):
    check(parse, fmt, text)


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list("제조항호목의①②1234567890()<>[]{}\":,.- \n가나다#*ㆍ·")), max_size=300))
def test_statute_shaped_noise(text):
    """Text made of the characters parsers key on (article marks, brackets, circled numbers)."""
    for fmt in SAMPLES:
        check(parse, fmt, text)
        check(parse, fmt, "---\n제목: 시험법\n---\n" + text)


@FUZZ
@given(value=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                          lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
                              st.sampled_from(["법령", "기본정보", "법령명_한글", "조문", "조문단위", "조문번호",
                                               "조문가지번호", "조문여부", "조문내용", "항", "항내용", "호", "호내용",
                                               "목", "목내용", "조문제목", "법종구분"]) | st.text(max_size=5),
                              kids, max_size=5), max_leaves=25))
def test_lawgo_json_of_any_shape(value):
    """law.go.kr JSON with the right keys in the wrong places (a dict where a list was, null, numbers)."""
    check(parse_lawgo_json, json.dumps({"법령": value}, ensure_ascii=False), "shape.json")
    check(parse_lawgo_json, json.dumps(value, ensure_ascii=False), "shape.json")


# ---- bytes: decoding, legacy encodings, the whole pipeline ------------------------------------------
@FUZZ
@given(data=st.binary(max_size=600))
def test_random_bytes_decode_or_source_error(data):
    text = check(decode, data, "fuzz.bin", [])
    if text is not None:
        fmt = detect_format("fuzz.bin", text)
        check(parse, fmt, text)


@pytest.mark.parametrize("fmt", list(SAMPLES))
@pytest.mark.parametrize("encoding", ["cp949", "euc-kr"])
def test_legacy_korean_encodings_are_read_with_a_warning(fmt, encoding):
    warnings: list[SourceError] = []
    text = decode(SAMPLES[fmt].encode(encoding, errors="replace"), f"x.{fmt}", warnings)
    assert warnings and "CP949" in str(warnings[0])
    assert sum(len(d.articles) for d in parse(fmt, text)) > 0


@pytest.mark.parametrize("fmt", list(SAMPLES))
@settings(FUZZ, max_examples=max(EXAMPLES // 4, 30))  # the lossy repair runs the language model: fewer, shorter examples
@given(data=st.data())
def test_truncated_legacy_and_mojibake_bytes(fmt, data):
    """CP949 bytes cut anywhere (mid-character too), and cp1252/latin-1 mojibake of the sample, truncated."""
    how = data.draw(st.sampled_from(["cp949", "euc-kr", "cp1252-drop", "cp1252-nbsp", "latin1-strip", "utf-16"]))
    sample = SAMPLES[fmt][:1500]
    if how in ("cp949", "euc-kr"):
        raw = sample.encode(how, errors="replace")
    elif how == "utf-16":
        raw = sample.encode("utf-16")
    else:
        broken = corrupt(sample, encoding="latin-1" if how == "latin1-strip" else "cp1252", drop=True,
                         nbsp_to_space=how == "cp1252-nbsp")
        raw = broken.encode("utf-8")
    raw = raw[: data.draw(st.integers(0, len(raw)))]
    text = check(decode, raw, f"legacy.{fmt}", [])
    if text is not None:
        check(parse, fmt, text)


@FUZZ
@given(files=st.lists(st.tuples(st.sampled_from([".md", ".json", ".xml", ".txt", ".zip", ""]),
                                st.binary(max_size=300)), min_size=1, max_size=4))
def test_ingest_pipeline_never_raises(tmp_path_factory, files):
    """``ingest`` over a folder of junk files: every problem is a collected SourceError, never raised."""
    folder = tmp_path_factory.mktemp("junk")
    for i, (ext, data) in enumerate(files):
        (folder / f"f{i}{ext}").write_bytes(data)
    result = ingest([folder, folder / "missing.md"])
    assert all(isinstance(e, SourceError) for e in result.report.errors + result.report.warnings)
    assert any("missing.md" in str(e) for e in result.report.errors)


# ---- other readers ----------------------------------------------------------------------------------
@FUZZ
@given(lines=st.lists(st.text(max_size=80) | st.sampled_from(['{"law": "민법"}', "{}", "[]", "null", '{"key": 1}']),
                      max_size=5))
def test_articles_jsonl_reader(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("jsonl") / "a.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    check(read_all_articles, path)


def read_all_articles(path):
    return list(read_articles(path))


@FUZZ
@given(data=st.data())
def test_precedent_markdown_parser(data):
    from legalret.precedents.parse import parse_markdown as parse_precedent

    text = PRECEDENT_MD
    op = data.draw(st.sampled_from(["truncate", "insert", "random"]))
    if op == "truncate":
        text = text[: data.draw(st.integers(0, len(text)))]
    elif op == "insert":
        i = data.draw(st.integers(0, len(text)))
        text = text[:i] + data.draw(st.text(max_size=30) | st.sampled_from(["[", "]", "[3]", "## ", "---", "제", " / "])) + text[i:]
    else:
        text = data.draw(st.text(max_size=300))
    check(parse_precedent, text, "p.md")


@FUZZ
@given(record=st.dictionaries(st.sampled_from(["판례정보일련번호", "사건번호", "사건명", "법원명", "선고일자", "사건종류명",
                                               "판시사항", "판결요지", "참조조문", "참조판례", "PrecService"]),
                              st.none() | st.integers() | st.text(max_size=40) | st.lists(st.text(max_size=5), max_size=2),
                              max_size=10))
def test_precedent_lawgo_parser(record):
    from legalret.precedents.parse import parse_lawgo

    check(parse_lawgo, record, "p.json")
