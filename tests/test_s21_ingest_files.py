"""A new user's own statute files (2026-12-07): a document that is no text, and one file counted as two skips.

- A PDF renamed ``.txt`` was "not UTF-8 text (byte 0xe2 at offset 10); save it as UTF-8": it is said to be a PDF (an
  HWP/Word or zip-packed document likewise), wherever text is decoded (ingest, index build/add, fix-text).
- A file lossy enough to yield no article (UTF-8 read as CP949, characters lost) was skipped twice — "no articles" and
  "uncertain mojibake repairs or lost characters" — and counted as two skipped files: now one line says both.
"""

from __future__ import annotations

import zipfile

import pytest
from typer.testing import CliRunner

from legalret.cli import app
from legalret.errors import SourceError
from legalret.ingest.sources import decode

ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "300"}
runner = CliRunner()


@pytest.mark.parametrize("data, what", [(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "a PDF document"),
                                        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "an HWP or Word (OLE2) document"),
                                        (b"PK\x03\x04\x14\x00", "a zip archive (DOCX, HWPX …) named as a text file")])
def test_a_document_that_is_no_text_is_named_for_what_it_is(data, what):
    with pytest.raises(SourceError) as e:
        decode(data, "법률.txt")
    assert str(e.value).startswith(f"법률.txt:1: encoding: {what}, not text (its first bytes are ")


def test_ingest_names_a_pdf_and_writes_the_rest(tmp_path, fixtures_dir):
    pdf = tmp_path / "민법.txt"
    pdf.write_bytes(b"%PDF-1.7\n\xe2\xe3\xcf\xd3 binary")
    out = tmp_path / "a.jsonl"
    r = runner.invoke(app, ["ingest", str(pdf), str(fixtures_dir / "ingest" / "plaintext"), "--out", str(out)])
    assert r.exit_code == 3, r.output
    assert "a PDF document, not text" in r.output and out.exists()


def test_one_lossy_file_is_one_skipped_line_saying_both(tmp_path, shared_data):
    mirror = shared_data / "statutes" / "legalize-kr.zip"
    if not mirror.exists():
        pytest.skip("no statutes mirror")
    with zipfile.ZipFile(mirror) as z:
        trust = z.read("legalize-kr/신탁법/법률.md").decode("utf-8")
        interest = z.read("legalize-kr/이자제한법/법률.md")
    lossy = tmp_path / "trust_lossy.txt"  # UTF-8 read as CP949, characters lost: no heading survives
    lossy.write_text(trust.encode("utf-8").decode("cp949", errors="replace"), encoding="utf-8")
    good = tmp_path / "이자제한법.md"
    good.write_bytes(interest)
    r = runner.invoke(app, ["index", "build", str(lossy), str(good), "--index", str(tmp_path / "idx"), "--model", "none"],
                      env=ENV)
    assert r.exit_code == 3, r.output
    skipped = [line for line in r.stderr.splitlines() if line.startswith("skipped:")]
    # (since 2026-12-07 the line leads with the cause, the lost characters, and then says no article was found)
    assert len(skipped) == 1 and skipped[0].startswith(f"skipped: {lossy}:2: encoding: ")
    assert "character(s) lost before the file was saved (U+FFFD" in skipped[0] and "; and then no articles" in skipped[0]
    assert "indexed with 1 source file skipped" in r.stderr


def test_ingest_json_lists_the_warnings_and_leaves_the_table_to_stdout(tmp_path, fixtures_dir):
    """``ingest --json`` printed the whole summary table on stderr too, and its JSON counted the warnings only."""
    import json

    out = tmp_path / "a.jsonl"
    r = runner.invoke(app, ["ingest", str(fixtures_dir / "ingest" / "bad"), str(fixtures_dir / "ingest" / "plaintext"),
                            "--out", str(out), "--json"])
    assert r.exit_code == 3, r.output
    summary = json.loads(r.stdout)
    assert summary["exit"] == 3 and len(summary["warning_list"]) == summary["warnings"]
    assert len(summary["error_list"]) == summary["errors"] > 0
    assert "ingest summary" not in r.stderr and "error " in r.stderr  # (the problems are still said there)


def test_out_that_holds_other_data_is_refused_and_an_articles_file_is_written_over(tmp_path, fixtures_dir):
    """``corpus pull 민법 --out train_queries.jsonl`` had replaced a pairs file without a word (ingest --out too)."""
    src = str(fixtures_dir / "ingest" / "plaintext")
    queries = tmp_path / "train_queries.jsonl"
    queries.write_text('{"qid": "q1", "query": "유치권", "gold": ["민법 제320조"]}\n', encoding="utf-8")
    r = runner.invoke(app, ["ingest", src, "--out", str(queries)])
    assert r.exit_code == 1, r.output
    assert str(r.exception).startswith(f"--out {queries}: holds something other than articles (first line: ")
    assert queries.read_text(encoding="utf-8").startswith('{"qid": "q1"')  # (untouched)
    articles = tmp_path / "a.jsonl"
    assert runner.invoke(app, ["ingest", src, "--out", str(articles)]).exit_code == 0
    again = runner.invoke(app, ["ingest", src, "--out", str(articles)])  # (an articles file: written over, as before)
    assert again.exit_code == 0, again.output
