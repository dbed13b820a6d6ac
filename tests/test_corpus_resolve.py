"""read_corpus: files, articles JSONL and manifest names → articles (what index build/add accept)."""

import json

import pytest

from legalret.articles import read_articles, write_articles
from legalret.corpus.resolve import read_corpus
from legalret.errors import LegalretError, SourceError
from legalret.ingest.sources import ingest

MINBEOP = """---
제목: 민법
법령구분: 법률
공포일자: 2025-01-31
---

##### 제194조 (간접점유)

지상권, 전세권, 질권, 사용대차, 임대차, 임치 기타의 관계로 타인으로 하여금 물건을 점유하게 한 자는 간접으로 점유권이 있다.

##### 제320조 (유치권의 내용)

**①** 타인의 물건 또는 유가증권을 점유한 자는 그 물건이나 유가증권에 관하여 생긴 채권이 변제기에 있는 경우에는 변제를 받을 때까지 그 물건 또는 유가증권을 유치할 권리가 있다.
"""


def test_files_and_jsonl_with_law_filter(tmp_path):
    md = tmp_path / "민법" / "법률.md"
    md.parent.mkdir()
    md.write_text(MINBEOP, encoding="utf-8")
    jsonl = tmp_path / "a.jsonl"
    write_articles(jsonl, ingest([str(md)]).articles)
    result = read_corpus([str(md)])
    assert [a.key for a in result.articles] == ["민법 제194조", "민법 제320조"] and not result.errors
    assert [a.key for a in read_corpus([str(jsonl)], laws=["민법"]).articles] == ["민법 제194조", "민법 제320조"]
    with pytest.raises(LegalretError, match="nothing of it passes --law 상법"):
        read_corpus([str(jsonl)], laws=["상법"])


def _good_and_bad(tmp_path):
    """Two articles JSONL files of MINBEOP: good.jsonl (its first article) and bad.jsonl (both, to be spoiled)."""
    md = tmp_path / "민법" / "법률.md"
    md.parent.mkdir()
    md.write_text(MINBEOP, encoding="utf-8")
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    articles = ingest([str(md)]).articles
    write_articles(good, articles[:1])
    write_articles(bad, articles)
    return good, bad


def test_a_bad_articles_file_is_skipped_whole_and_named(tmp_path):
    """One malformed articles JSONL does not abort the batch: it is skipped whole (half a file would look like a
    law that lost its later articles) with its file:line error, and the other sources are read."""
    good, bad = _good_and_bad(tmp_path)
    bad.write_text(bad.read_text(encoding="utf-8") + "not json\n", encoding="utf-8")
    result = read_corpus([str(good), str(bad)])
    assert [a.key for a in result.articles] == ["민법 제194조"]  # nothing of bad.jsonl, not even its good lines
    assert [str(e) for e in result.errors] == [f"{bad}:3: not an article record (Expecting value: line 1 column 1 (char 0))"]
    with pytest.raises(LegalretError, match=r"no articles read from .*bad\.jsonl \(1 source error; first: .*bad\.jsonl:3"):
        read_corpus([str(bad)])


def test_a_bad_articles_file_counts_its_bad_lines_in_its_one_error(tmp_path):
    """A file with bad lines 5 and 10 named line 5 only, then (fixed) line 10: a user fixed one line a run. The file
    is still skipped whole, its one error line counting the bad lines and naming the first few."""
    good, bad = _good_and_bad(tmp_path)
    record = bad.read_text(encoding="utf-8").splitlines()[0]
    lines = [record] * 12
    lines[4] = "not json"
    lines[9] = json.dumps({**json.loads(record), "number": -1}, ensure_ascii=False)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read_corpus([str(good), str(bad)])
    assert [a.key for a in result.articles] == ["민법 제194조"]  # nothing of bad.jsonl
    [error] = [str(e) for e in result.errors]
    assert error == (f"{bad}:5: not an article record (Expecting value: line 1 column 1 (char 0)); "
                     "2 bad lines in all (5, 10)") and "\n" not in error
    for k in (11, 12, 13, 14):
        lines.append("[]")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [error] = [str(e) for e in read_corpus([str(good), str(bad)]).errors]
    assert error.endswith("; 6 bad lines in all (5, 10, 13, 14, 15, …)")
    # an index's own articles (read without check_key) stop at the first bad line, as they did
    with pytest.raises(SourceError) as raised:
        list(read_articles(bad))
    assert str(raised.value) == f"{bad}:5: not an article record (Expecting value: line 1 column 1 (char 0))"


def test_an_articles_file_not_in_utf8_is_skipped_and_named(tmp_path):
    """It was a UnicodeDecodeError traceback."""
    good, bad = _good_and_bad(tmp_path)
    bad.write_bytes(bad.read_text(encoding="utf-8").encode("cp949", errors="replace"))
    result = read_corpus([str(good), str(bad)])
    assert [a.key for a in result.articles] == ["민법 제194조"]
    # named with its first bad line and the bad byte (the file was decoded as a whole: no line), every bad line counted
    assert [str(e) for e in result.errors] == [f"{bad}:1: not UTF-8 text (invalid start byte at byte 10 of the line: b9); an articles "
                                               "JSONL is UTF-8, as `legalret ingest --out` and `legalret index build` "
                                               "write it; 2 bad lines in all (1, 2)"]


def test_unknown_name_is_one_clear_error(tmp_path):
    with pytest.raises(LegalretError, match="neither a file/folder/glob nor a corpus manifest"):
        read_corpus(["no-such-corpus-or-file"])


@pytest.mark.slow
def test_manifest_name_reads_the_mirror(shared_data):
    articles = read_corpus(["civil-commercial"]).articles
    assert {a.law for a in articles} == {"민법", "상법"} and len(articles) > 2000


def test_manifest_act_brings_its_decree(mirror_zip, tmp_path, monkeypatch):
    """What `index build <manifest>` reads: an act named with kinds [법률, 시행령] brings its 시행령."""
    monkeypatch.setenv("LEGALRET_MIRROR", str(mirror_zip))
    monkeypatch.setenv("LEGALRET_CORPORA", str(tmp_path))
    (tmp_path / "both.yaml").write_text("name: both\nkinds: [법률, 시행령]\nlaws: [민법, 상법]\n", encoding="utf-8")
    (tmp_path / "acts.yaml").write_text("name: acts\nkinds: [법률]\nlaws: [민법, 상법]\n", encoding="utf-8")
    both = {(a.law, a.kind) for a in read_corpus(["both"]).articles}
    assert both == {("민법", "법률"), ("상법 시행령", "시행령")}
    assert {(a.law, a.kind) for a in read_corpus(["acts"]).articles} == {("민법", "법률")}
    # a manifest file of one's own, given by its path (as `corpus pull` takes it): read as a manifest, not as text
    own = tmp_path / "elsewhere" / "mine.yaml"
    own.parent.mkdir()
    own.write_text("name: mine\nkinds: [법률]\nlaws: [민법]\n", encoding="utf-8")
    monkeypatch.delenv("LEGALRET_CORPORA")
    assert {(a.law, a.kind) for a in read_corpus([str(own)]).articles} == {("민법", "법률")}


def test_manifest_tokenizer_settings_reach_the_result_and_two_that_differ_are_refused(mirror_zip, tmp_path, monkeypatch):
    """`index build <manifest>` builds with the manifest's tokenizer settings; two manifests of one build that set
    one setting differently are one clear error (an index has one tokenizer), files alone set nothing."""
    monkeypatch.setenv("LEGALRET_MIRROR", str(mirror_zip))
    monkeypatch.setenv("LEGALRET_CORPORA", str(tmp_path))
    (tmp_path / "fast.yaml").write_text("name: fast\nkinds: [법률]\nlaws: [민법]\ntokenizer:\n  article_cutoff: 3.0\n",
                                        encoding="utf-8")
    (tmp_path / "slow.yaml").write_text("name: slow\nkinds: [법률]\nlaws: [민법]\ntokenizer:\n  article_cutoff: 8.0\n",
                                        encoding="utf-8")
    (tmp_path / "plain.yaml").write_text("name: plain\nkinds: [법률]\nlaws: [민법]\n", encoding="utf-8")
    fast = read_corpus(["fast", "plain"])
    assert fast.tokenizer == {"article_cutoff": 3.0} and fast.tokenizer_source == str(tmp_path / "fast.yaml")
    assert read_corpus(["plain"]).tokenizer == {} and read_corpus([str(mirror_zip)]).tokenizer == {}
    with pytest.raises(LegalretError, match="set tokenizer article_cutoff differently"):
        read_corpus(["fast", "slow"])


@pytest.mark.slow
def test_manifest_act_brings_its_decree_from_the_real_mirror(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("LEGALRET_CORPORA", str(tmp_path))
    (tmp_path / "labour.yaml").write_text("name: labour\nkinds: [법률, 시행령]\nlaws: [근로기준법]\n", encoding="utf-8")
    articles = read_corpus(["labour"]).articles
    counts = {}
    for a in articles:
        counts[(a.law, a.kind)] = counts.get((a.law, a.kind), 0) + 1
    assert set(counts) == {("근로기준법", "법률"), ("근로기준법 시행령", "시행령")}
    assert counts[("근로기준법", "법률")] > 100 and counts[("근로기준법 시행령", "시행령")] > 40


@pytest.mark.parametrize("field, value, error", [
    ("number", "열", "number: expected an integer ≥ 0, got '열'"),
    ("number", None, "number: expected an integer ≥ 0, got null"),
    ("number", -5, "number: expected an integer ≥ 0, got -5"),
    ("number", 1.5, "number: expected an integer ≥ 0, got 1.5"),
    ("branch", "가", "branch: expected an integer ≥ 0, got '가'"),
    ("law", 123, "law: expected the law's name, got 123"),
    ("law", "", "law: expected the law's name, got ''"),
    ("law", "  ", "law: expected the law's name, got '  '"),
    ("paragraphs", None, "paragraphs: expected a list, got null"),
    ("paragraphs", "본문", "paragraphs: expected a list, got '본문'"),
    ("deleted", "no", "deleted: expected true or false, got 'no'"),
    ("effective_date", "2025", "effective_date: expected a date YYYY-MM-DD or null, got '2025'"),
    ("key", "민법 제1조", "key: '민법 제1조' does not match law/number/branch ('민법 제320조')"),
    ("colour", "red", "colour: unknown field (an article record has branch, chapter, deleted, effective_date, kind, "
                      "law, law_id, line, number, paragraphs, promulgated, source, title)"),
])
def test_a_bad_field_skips_its_file_with_file_line_and_field(tmp_path, field, value, error):
    """A record with a wrong field used to crash `index add/build` with a traceback ('열', null, '가', 123) or be
    indexed as it was (a nameless law, 제-5조): now its file is skipped whole, named with line and field."""
    good, bad = _good_and_bad(tmp_path)
    records = [json.loads(line) for line in bad.read_text(encoding="utf-8").splitlines()]
    records[1][field] = value
    bad.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    result = read_corpus([str(good), str(bad)])
    assert [a.key for a in result.articles] == ["민법 제194조"]
    assert [str(e) for e in result.errors] == [f"{bad}:2: {error.split(': ', 1)[0]}: {error.split(': ', 1)[1]}"]
    assert result.errors[0].field == field and result.errors[0].line == 2


def test_digits_and_nulls_that_mean_the_same_are_read(tmp_path):
    """An article number written as digits ("12") is that number; a null title or law_id is no title (as before)."""
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"law": "민법", "number": "12", "branch": "2", "title": None, "law_id": None,
                                "paragraphs": [{"number": None, "text": "본문", "items": [{"number": 1, "text": "호"}]}]},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    [art] = read_corpus([str(path)]).articles
    assert (art.key, art.number, art.branch, art.title, art.law_id) == ("민법 제12조의2", 12, 2, "", "")
    assert art.paragraphs[0].items[0].number == "1"
