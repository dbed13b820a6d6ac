"""``legalret fix-text``: stdin/file in, repaired text on stdout, report (text or JSON) on stderr."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from legalret.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def fixture_files(fixtures_dir):
    d = fixtures_dir / "mojibake"
    return d / "clean_ko.txt", d / "broken_cp1252_dropped.txt", d / "broken_cp1252_nbsp.txt"


def invoke(args, input=None):
    return runner.invoke(app, ["fix-text", *args], input=input)


def test_stdin_to_stdout_with_report_on_stderr():
    result = invoke([], input="ìƒë²• ì\xa0œ651ì¡°\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "상법 제651조\n"
    assert "1 span repaired" in result.stderr and "lossy-lm" in result.stderr


@pytest.mark.parametrize("which", [1, 2])
def test_file_argument(fixture_files, which):
    clean, broken = fixture_files[0], fixture_files[which]
    result = invoke([str(broken)])
    assert result.exit_code == 0, result.output
    assert result.stdout == clean.read_text(encoding="utf-8")


def test_json_report(fixture_files):
    clean, broken, _ = fixture_files
    result = invoke(["--json", str(broken)])
    assert result.exit_code == 0
    report = json.loads(result.stderr)
    assert report["source"] == str(broken)
    assert report["spans"] == len(report["repairs"]) > 0
    text = broken.read_text(encoding="utf-8")
    for r in report["repairs"]:
        assert text[r["start"]:r["end"]] == r["broken"]
        assert r["method"] in ("ftfy", "lossy-lm", "unrepaired") and 0 <= r["confidence"] <= 1
        assert r["status"] in ("repaired", "low-confidence", "guessed", "unrepaired")


def test_clean_input_passes_through(fixture_files):
    clean = fixture_files[0]
    result = invoke(["--json"], input=clean.read_text(encoding="utf-8"))
    assert result.stdout == clean.read_text(encoding="utf-8")
    assert json.loads(result.stderr)["spans"] == 0


def test_strict_fails_on_garbage():
    result = invoke(["--strict"], input="ìƒë²• ¡¡¡ ì¡°¡¡¡")
    assert result.exit_code == 3
    assert "1 low-confidence" in result.stderr


def test_characters_lost_before_the_text_came_are_said_and_fail_strict():
    """UTF-8 read as CP949 and saved again leaves U+FFFD where bytes were lost: "no mojibake found", exit 0, even
    with --strict, had said the text was fine."""
    text = "고의 또는 과실로 인한 위법행\ufffd\ufffd 타인에게 손해를 가한 자는\n"
    result = invoke(["--strict"], input=text)
    assert result.exit_code == 3 and result.stdout == text
    assert "2 character(s) lost (U+FFFD) outside any repaired span" in result.stderr
    assert json.loads(invoke(["--json"], input=text).stderr)["lost"] == 2


def test_missing_file_is_a_clear_error(tmp_path):
    result = invoke([str(tmp_path / "nope.txt")])
    assert result.exit_code != 0
    assert "nope.txt" in str(result.exception) and "cannot read" in str(result.exception)


@pytest.mark.parametrize("encoding, said", [("cp949", "decoded as CP949 (EUC-KR)"), ("utf-16", "UTF-16 text; decoded")])
def test_cp949_and_utf16_files_are_read_as_ingest_reads_them(tmp_path, encoding, said):
    """A new user's finding: `fix-text cp949.txt` said "not UTF-8" though `ingest cp949.txt` reads it."""
    text = "상법 제651조(고지의무) 보험계약당시에 보험계약자는 중요한 사항을 고지하여야 한다.\n"
    src = tmp_path / f"{encoding}.txt"
    src.write_bytes(text.encode(encoding))
    result = invoke([str(src)])
    assert result.exit_code == 0, result.output
    assert result.stdout == text  # UTF-8 out
    warning = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and f"{encoding}.txt" in warning[0] and said in warning[0]
    assert "no mojibake found" in result.stderr
    report = json.loads(invoke([str(src), "--json"]).stderr)  # --json: the warning is in the report
    assert len(report["warnings"]) == 1 and said in report["warnings"][0]


def test_non_utf8_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Größe café".encode("latin-1"))  # neither UTF-8 nor Korean CP949
    result = invoke([str(bad)])
    assert result.exit_code != 0
    assert "latin1.txt:1" in str(result.exception) and "not UTF-8" in str(result.exception)


def test_option_values_out_of_range_are_usage_errors(tmp_path):
    """`fix-text --min-confidence 5` was accepted (every repair then counted as low-confidence), as were `corpus pull
    --timeout -1 --retries -1`."""
    for args in (["fix-text", "--min-confidence", "5", "-"], ["corpus", "pull", "민법", "--timeout", "-1", "--out",
                                                               str(tmp_path / "a.jsonl")],
                 ["corpus", "pull", "민법", "--retries", "-1", "--out", str(tmp_path / "a.jsonl")]):
        result = runner.invoke(app, args, input="")
        assert result.exit_code == 2, (args, result.output)
    assert not (tmp_path / "a.jsonl").exists()
