"""Dates that are no dates, and articles files that are not UTF-8: one line naming file, line and field, never a
guess and never a traceback.

* an articles record's ``effective_date``/``promulgated`` had to be ``YYYY-MM-DD`` only in shape (``2025-02-31`` read);
* a statute date of seven digits (``2025111``) had been read as 2025-11-01;
* an index's own ``articles.jsonl`` with a byte that is not UTF-8 had been a raw UnicodeDecodeError.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret import pipeline  # noqa: E402
from legalret.articles import Article, ArticleFieldError, Paragraph, read_articles, write_articles  # noqa: E402
from legalret.cli import app  # noqa: E402
from legalret.errors import IndexError_, SourceError  # noqa: E402
from legalret.index.article_store import ArticleStore, write_store  # noqa: E402
from legalret.index.store import ADVICE, STAMP, current_generation, load_index, manifest_checksum  # noqa: E402
from legalret.ingest import ingest  # noqa: E402
from legalret.ingest.document import iso_date, source_date  # noqa: E402
from legalret.ingest.lawgo import parse_lawgo_json  # noqa: E402
from legalret.ingest.markdown import parse_markdown  # noqa: E402


def _record(**fields) -> dict:
    art = Article(law="민법", number=1, title="목적", paragraphs=[Paragraph(None, "이 법은 목적을 정한다.")],
                  effective_date="2025-01-31", promulgated="2024-09-20")
    record = {**art.to_dict(), **fields}
    record["key"] = f"민법 제{record['number']}조"  # (check_key compares it)
    return record


def _write_lines(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records),
                    encoding="utf-8")
    return path


# ---- 1. articles JSONL: a date is a calendar date ---------------------------------------------------------------
@pytest.mark.parametrize("field", ["effective_date", "promulgated"])
@pytest.mark.parametrize("value", ["2025-02-31", "2025-13-01", "2023-02-29", "2025-00-10", "2025-04-31", "0000-01-01"])
def test_a_record_date_no_calendar_has_is_a_field_error(field, value):
    with pytest.raises(ArticleFieldError) as e:
        Article.from_dict(_record(**{field: value}))
    assert e.value.field == field
    assert e.value.reason == f"expected a date YYYY-MM-DD or null, got {value!r} (no such day)"


@pytest.mark.parametrize("value", ["2025-1-31", "20250131", "2025-01-31\n", "２０２５-01-31", "2025-01-31T00:00", 20250131])
def test_a_record_date_of_another_shape_is_a_field_error(value):
    with pytest.raises(ArticleFieldError) as e:
        Article.from_dict(_record(effective_date=value))
    assert e.value.field == "effective_date" and "(no such day)" not in e.value.reason
    assert e.value.reason.startswith("expected a date YYYY-MM-DD or null, got ")


@pytest.mark.parametrize("value", ["2024-02-29", "2000-02-29", "2025-12-31", "1948-07-17", None])
def test_real_dates_and_null_still_read(value):
    art = Article.from_dict(_record(effective_date=value, promulgated=value))
    assert (art.effective_date, art.promulgated) == (value, value)


def test_read_articles_names_file_line_and_field_of_a_date_no_calendar_has(tmp_path):
    path = _write_lines(tmp_path / "a.jsonl", [_record(), _record(number=2, effective_date="2025-02-31"), _record(number=3)])
    with pytest.raises(SourceError) as e:
        list(read_articles(path))
    assert str(e.value) == (f"{path}:2: effective_date: expected a date YYYY-MM-DD or null, got '2025-02-31' "
                            "(no such day)")
    assert (e.value.line, e.value.field) == (2, "effective_date")


def test_with_check_key_a_bad_date_is_counted_among_the_bad_lines(tmp_path):
    path = _write_lines(tmp_path / "a.jsonl", [_record(), _record(number=2, promulgated="2025-13-01"), "not json",
                                               _record(number=4), _record(number=5, effective_date="2026-02-30")])
    with pytest.raises(SourceError) as e:
        list(read_articles(path, check_key=True))
    assert str(e.value) == (f"{path}:2: promulgated: expected a date YYYY-MM-DD or null, got '2025-13-01' (no such day)"
                            "; 3 bad lines in all (2, 3, 5)")
    assert "\n" not in str(e.value)


def test_a_file_of_good_dates_reads_back_exactly(tmp_path):
    arts = [Article.from_dict(_record(number=n, effective_date=d, promulgated=p))
            for n, d, p in [(1, "2024-02-29", None), (2, None, "1958-02-22"), (3, "2026-03-17", "2026-03-17")]]
    path = tmp_path / "a.jsonl"
    write_articles(path, arts)
    assert list(read_articles(path)) == arts
    assert list(read_articles(path, check_key=True)) == arts


# ---- 2. statute dates: exactly the documented forms ---------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [
    ("20250131", "2025-01-31"), ("2025-01-31", "2025-01-31"), ("2025-1-31", "2025-01-31"), ("2025.01.31", "2025-01-31"),
    ("2025.1.31", "2025-01-31"), ("2025. 1. 31.", "2025-01-31"), (" 20240229 ", "2024-02-29"), (20250131, "2025-01-31"),
])
def test_the_documented_date_forms_read(value, expected):
    assert iso_date(value) == expected
    assert source_date(value, "f.md", "공포일자", line=3) == expected


@pytest.mark.parametrize("value", [
    "2025111",  # seven digits: had been 2025-11-01 (or is it 2025-01-11?)
    "202511", "20251101x", "202511011", "2025 11 01", "20251101.", "2025-11-01.", "2025-1101", "2025/11/01",
    "2025-11.01", "2025--11--01", "20251301", "20250229",
])
def test_any_other_form_is_a_source_error_naming_file_line_and_field(value):
    assert iso_date(value) is None
    with pytest.raises(SourceError) as e:
        source_date(value, "시험법/법률.md", "시행일자", line=5)
    assert str(e.value) == f"시험법/법률.md:5: 시행일자: {value!r} is not a date (YYYY-MM-DD)"


def test_a_seven_digit_date_in_markdown_front_matter_fails_the_file(tmp_path):
    text = "---\n제목: 시험법\n법령구분: 법률\n공포일자: 2025111\n시행일자: 2025-11-01\n---\n\n##### 제1조 (목적)\n\n목적.\n"
    with pytest.raises(SourceError) as e:
        parse_markdown(text, "시험법/법률.md")
    assert str(e.value) == "시험법/법률.md:4: 공포일자: '2025111' is not a date (YYYY-MM-DD)"


def _lawgo(date: str) -> str:
    data = {"법령": {"기본정보": {"법령명_한글": "테스트법", "공포일자": "20240920", "시행일자": date},
                   "조문": {"조문단위": [{"조문번호": "1", "조문여부": "조문", "조문키": "0001001",
                                       "조문시행일자": "20250131", "조문내용": "제1조(목적) 목적"}]}}}
    return json.dumps(data, ensure_ascii=False, indent=1)


def test_a_seven_digit_date_in_lawgo_json_fails_the_file_naming_its_line():
    text = _lawgo("2025111")
    line = next(i for i, t in enumerate(text.split("\n"), 1) if '"시행일자": "2025111"' in t)
    with pytest.raises(SourceError) as e:
        parse_lawgo_json(text, "t.json")
    assert (e.value.path, e.value.line, e.value.field) == ("t.json", line, "기본정보.시행일자")
    assert e.value.reason == "'2025111' is not a date (YYYYMMDD)"
    [doc] = parse_lawgo_json(_lawgo("20251101"), "t.json")
    assert doc.effective_date == "2025-11-01"


def test_a_file_with_a_bad_date_is_skipped_and_the_batch_goes_on(tmp_path):
    (tmp_path / "bad.json").write_text(_lawgo("2025111"), encoding="utf-8")
    (tmp_path / "good.json").write_text(_lawgo("20251101").replace("테스트법", "좋은법"), encoding="utf-8")
    result = ingest([tmp_path])
    assert {a.law for a in result.articles} == {"좋은법"}
    [error] = result.report.errors
    assert str(error).startswith(f"{tmp_path / 'bad.json'}:") and "기본정보.시행일자: '2025111' is not a date" in str(error)


# ---- 3. an articles file that is not UTF-8: the line named, never a UnicodeDecodeError -----------------------------
def _corrupt(path: Path, lineno: int, after: str, byte: bytes = b"\xff") -> int:
    """Overwrite line ``lineno`` with ``byte`` right after the first ``after`` (the size kept, as a flipped byte on disk
    keeps it); returns its 1-based byte in the line."""
    lines = path.read_bytes().split(b"\n")
    at = lines[lineno - 1].index(after.encode("utf-8")) + len(after.encode("utf-8"))
    lines[lineno - 1] = lines[lineno - 1][:at] + byte + lines[lineno - 1][at + len(byte):]
    path.write_bytes(b"\n".join(lines))
    return at + 1


def test_a_line_that_is_not_utf8_is_a_source_error_naming_it(tmp_path):
    path = tmp_path / "a.jsonl"
    write_articles(path, sup.articles())
    column = _corrupt(path, 3, '"title": "')
    with pytest.raises(SourceError) as e:
        list(read_articles(path))
    assert isinstance(e.value.__cause__, UnicodeDecodeError)  # (kept as the cause, no longer raised itself)
    assert (e.value.path, e.value.line, e.value.field) == (str(path), 3, None)
    assert str(e.value) == (f"{path}:3: not UTF-8 text (invalid start byte at byte {column} of the line: ff); an "
                            "articles JSONL is UTF-8, as `legalret ingest --out` and `legalret index build` write it")


def test_a_broken_multibyte_character_shows_its_bytes(tmp_path):
    path = tmp_path / "a.jsonl"
    write_articles(path, sup.articles())
    line = path.read_bytes().split(b"\n")[1]
    # the second byte of the title's first syllable (a 3-byte character) replaced: the sequence breaks there
    start = line.index(b'"title": "') + len(b'"title": "')
    data = path.read_bytes()
    offset = len(data.split(b"\n")[0]) + 1 + start + 1
    path.write_bytes(data[:offset] + b"\x41" + data[offset + 1:])
    with pytest.raises(SourceError) as e:
        list(read_articles(path))
    assert e.value.line == 2
    assert f"invalid continuation byte at byte {start + 1} of the line: {line[start:start + 1].hex()} 41)" in str(e.value)


def test_with_check_key_undecodable_lines_are_counted_and_the_rest_still_read(tmp_path):
    path = tmp_path / "a.jsonl"
    write_articles(path, sup.articles())
    _corrupt(path, 2, '"law": "')
    _corrupt(path, 7, '"title": "', b"\xc0\xaf")
    lines = path.read_text(encoding="utf-8", errors="surrogateescape").split("\n")
    lines[4] = "{broken"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogateescape")
    with pytest.raises(SourceError) as e:
        list(read_articles(path, check_key=True))
    assert e.value.line == 2 and str(e.value).endswith("; 3 bad lines in all (2, 5, 7)")
    assert "\n" not in str(e.value)


def test_lines_are_numbered_as_a_text_file_numbers_them(tmp_path):
    """Read as bytes now: CRLF and lone-CR line ends still count as before (universal newlines)."""
    good = json.dumps(_record(), ensure_ascii=False).encode("utf-8")
    path = tmp_path / "a.jsonl"
    path.write_bytes(good + b"\r\n" + good.replace(b'"number": 1', b'"number": 2') + b"\r\n")
    assert [a.number for a in read_articles(path)] == [1, 2]
    path.write_bytes(good + b"\r" + good + b"\r{broken\r" + good + b"\n")
    with pytest.raises(SourceError) as e:
        list(read_articles(path))
    with open(path, encoding="utf-8") as f:  # what a file opened as text calls that line
        expected = next(n for n, t in enumerate(f, 1) if t.startswith("{broken"))
    assert e.value.line == expected == 3
    # U+2028 and U+0085 inside a JSON string are no line ends (json.dumps leaves them unescaped)
    art = Article.from_dict(_record(title="줄\u2028나눔\x85끝"))
    write_articles(path, [art, art])
    assert list(read_articles(path)) == [art, art]


def test_an_article_store_line_that_is_not_utf8_is_named_for_the_article_and_its_title(tmp_path):
    arts = sup.articles()
    write_store(tmp_path, arts)
    column = _corrupt(tmp_path / "articles.jsonl", 4, '"title": "')
    store = ArticleStore.open(tmp_path)
    expected = (f"{tmp_path / 'articles.jsonl'}:4: not UTF-8 text (invalid start byte at byte {column} of the line: "
                "ff); an articles JSONL is UTF-8, as `legalret ingest --out` and `legalret index build` write it")
    with pytest.raises(SourceError) as e:  # it was a raw UnicodeDecodeError (the re-ranker reads titles)
        store.title(3)
    assert str(e.value) == expected
    with pytest.raises(SourceError) as e:
        store[3]
    assert str(e.value) == expected
    assert store.title(2) == arts[2].title and store[4] == arts[4]  # the other articles still read


def test_an_article_store_line_with_a_bad_field_names_the_field(tmp_path):
    arts = sup.articles()
    write_store(tmp_path, arts)
    path = tmp_path / "articles.jsonl"
    lines = path.read_text(encoding="utf-8").split("\n")
    record = json.loads(lines[1])
    lines[1] = json.dumps({**record, "effective_date": "2025-02-31"}, ensure_ascii=False)
    path.write_text("\n".join(lines), encoding="utf-8")
    (tmp_path / "catalog.npz").unlink()
    with pytest.raises(SourceError) as e:
        ArticleStore.open(tmp_path)[1]
    assert (e.value.line, e.value.field) == (2, "effective_date") and "'2025-02-31' (no such day)" in str(e.value)


@pytest.fixture()
def index(tmp_path):
    d = tmp_path / "idx"
    pipeline.build(sup.articles(), d, model="none")
    return d


def _reseal(gen: Path, drop_catalog: bool) -> None:
    """The manifest written again over the files as they are: a store damaged before it was checksummed (or an index
    from before checksums) — the checksums cannot tell, the reader must."""
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    if drop_catalog:  # a generation written before catalog.json: articles.jsonl is read whole with read_articles
        for rel in ("catalog.json", "catalog.npz"):
            (gen / rel).unlink()
            manifest["files"].pop(rel)
    for rel in manifest["files"]:
        data = (gen / rel).read_bytes()
        manifest["files"][rel] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest["checksum"] = manifest_checksum(manifest)
    (gen / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (gen / STAMP).unlink(missing_ok=True)


def test_loading_an_index_whose_articles_are_not_utf8_is_one_index_error_naming_the_line(index):
    gen = current_generation(index)
    column = _corrupt(gen / "articles.jsonl", 5, '"title": "')
    _reseal(gen, drop_catalog=True)
    with pytest.raises(IndexError_) as e:
        load_index(index)
    assert str(e.value) == (f"{gen / 'articles.jsonl'}:5: cannot read the index file (not UTF-8 text (invalid start byte "
                            f"at byte {column} of the line: ff); an articles JSONL is UTF-8, as `legalret ingest --out` "
                            f"and `legalret index build` write it); {ADVICE}")
    with pytest.raises(IndexError_, match=r"articles\.jsonl:5: cannot read the index file \(not UTF-8 text"):
        pipeline.add([sup.amended(sup.articles()[0], "바뀐 본문.")], index, remove_missing=False)


def test_a_bad_date_in_an_index_is_named_with_its_line_and_field(index):
    gen = current_generation(index)
    path = gen / "articles.jsonl"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[2] = json.dumps({**json.loads(lines[2]), "promulgated": "2024-02-30"}, ensure_ascii=False)
    path.write_text("\n".join(lines), encoding="utf-8")
    _reseal(gen, drop_catalog=True)
    with pytest.raises(IndexError_) as e:
        load_index(index)
    assert str(e.value).startswith(f"{path}:3: cannot read the index file (promulgated: expected a date YYYY-MM-DD or "
                                   "null, got '2024-02-30' (no such day)); rebuild")


def _cli(*args: str):
    return CliRunner().invoke(app, list(args), env={"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"})


@pytest.mark.parametrize("drop_catalog", [True, False])
def test_search_of_an_index_whose_articles_are_not_utf8_is_one_line_and_a_failure(index, drop_catalog):
    gen = current_generation(index)
    target = next(i for i, a in enumerate(sup.articles(), 1) if a.key == "민법 제320조")
    _corrupt(gen / "articles.jsonl", target, '"title": "')
    _reseal(gen, drop_catalog=drop_catalog)
    r = _cli("search", "민법 제320조 유치권", "--index", str(index), "-k", "3")
    # a LegalretError: what `legalret` prints as its one `error: …` line, exit 1 (CliRunner runs the app without main)
    assert r.exit_code == 1 and isinstance(r.exception, IndexError_ if drop_catalog else SourceError), r.output
    message = str(r.exception)
    assert "\n" not in message and "not UTF-8 text (invalid start byte" in message
    assert message.startswith(f"{gen / 'articles.jsonl'}:{target}: ")


def test_the_cli_prints_it_as_one_line_and_exits_1(index):
    import subprocess

    gen = current_generation(index)
    target = next(i for i, a in enumerate(sup.articles(), 1) if a.key == "민법 제320조")
    _corrupt(gen / "articles.jsonl", target, '"title": "')
    _reseal(gen, drop_catalog=False)
    r = subprocess.run([sys.executable, "-m", "legalret", "search", "민법 제320조", "--index", str(index), "-k", "3"],
                       capture_output=True, text=True, timeout=300,
                       env={**__import__("os").environ, "LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off"})
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    [line] = [t for t in r.stderr.splitlines() if t.strip()]
    assert line.startswith(f"error: {gen / 'articles.jsonl'}:{target}: not UTF-8 text (invalid start byte at byte ")
