"""``legalret fix-text`` made CP949-read-as-Latin-1 text worse, where ``legalret ingest`` repaired it exactly.

A Korean statute in CP949 (EUC-KR) bytes that was decoded as Latin-1 (or cp1252) and saved as UTF-8 ('°üÇÏ¿©' for
'관하여') is decoded back exactly, as a whole, by ingest's reader (``legalret.ingest.sources.decode``: "decoded back
exactly"). fix-text decoded UTF-8 itself, so it never reached that path: it "repaired" the text span by span and
wrote worse garbage ('°üÇÏ¿© ¡¸¹Î¹ý¡¹' → '°üÇϿ© ¡¸¹ιý¡¹ … ´나ÇѠ … 美'), 0.000-confidence guesses applied, exit 0.

Now fix-text reads through the same ``decode`` as ingest (one code path) and reports it as ingest does; a guess in
which some bytes decoded to nothing (confidence 0) is left as it was by default (``--apply-undecoded`` applies it,
``--strict`` still exits 3); and at a terminal with no FILE it says it is reading stdin instead of waiting silently.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from legalret.cli import app
from legalret.cli.fixtext import EXIT_UNCERTAIN
from legalret.ingest import ingest
from legalret.ingest.sources import decode

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]
ZIP = Path("/work/shared/data/statutes/legalize-kr.zip")


def read_as_latin1(text: str) -> str:
    """What the bug report's file holds: CP949 bytes read as Latin-1, saved (later) as UTF-8."""
    return text.encode("cp949").decode("latin-1")


def invoke(args, input=None):
    return runner.invoke(app, ["fix-text", *args], input=input)


@pytest.fixture(params=["fixture", "legalize-kr"])
def statute(request, fixtures_dir, tmp_path):
    """(clean markdown, path of its CP949-read-as-Latin-1 copy in a law folder ingest reads)."""
    if request.param == "fixture":
        clean = (fixtures_dir / "ingest" / "markdown" / "민법" / "법률.md").read_text(encoding="utf-8")
    else:
        if not ZIP.is_file():
            pytest.skip("legalize-kr.zip not here")
        with zipfile.ZipFile(ZIP) as z:
            clean = z.read("legalize-kr/보증인보호를위한특별법/법률.md").decode("utf-8")
    law = tmp_path / "broken" / "법"
    law.mkdir(parents=True)
    broken = law / "법률.md"
    broken.write_text(read_as_latin1(clean), encoding="utf-8")
    return clean, broken


def test_file_is_decoded_back_exactly_as_ingest_does(statute, tmp_path):
    clean, broken = statute
    result = invoke(["--strict", str(broken)])
    assert result.exit_code == 0, result.output
    assert result.stdout == clean
    # the same text ingest's reader gives, reported as ingest reports it
    warnings = []
    assert decode(broken.read_bytes(), str(broken), warnings) == result.stdout
    assert "decoded back exactly" in result.stderr and "decoded back exactly" in str(warnings[0])
    assert "lossy-lm" not in result.stderr and "unrepaired" not in result.stderr
    # and ingest of fix-text's output gives the articles ingest of the broken file gives
    fixed = tmp_path / "fixed" / "법"
    fixed.mkdir(parents=True)
    (fixed / "법률.md").write_text(result.stdout, encoding="utf-8")
    from_broken = [(a.law, a.number, a.branch, a.title, a.paragraphs) for a in ingest([broken.parent]).articles]
    from_fixed = [(a.law, a.number, a.branch, a.title, a.paragraphs) for a in ingest([fixed.parent]).articles]
    assert from_broken and from_broken == from_fixed


def test_stdin_is_decoded_back_exactly(statute):
    clean, broken = statute
    result = invoke(["--json"], input=broken.read_bytes())
    assert result.exit_code == 0, result.output
    assert result.stdout == clean
    report = json.loads(result.stderr)  # stderr stays one JSON object; the decode is among its warnings
    assert report["spans"] == 0 and report["unrepaired"] == 0
    assert any("decoded back exactly" in w for w in report["warnings"])


def test_an_unrepairable_span_is_not_made_worse_by_default(tmp_path):
    # Hangul in the text: not a whole CP949-read-as-Latin-1 text, so only the span repair sees the line, and it
    # cannot decode it (its best guess has bytes that decoded to nothing: confidence 0)
    text = ("민법 제1조\n" + read_as_latin1("제4조 (보증채무 최고액의 특정)") + "\n"
            "상법 제651조 ìƒë²• ì œ651ì¡°\n")
    path = tmp_path / "mixed.txt"
    path.write_text(text, encoding="utf-8")

    result = invoke([str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == text.splitlines()[:2]  # left as it was, not "Á¦4Á¶ (º¸Áõä¹« ×Ö°퀾×ÀǠƯÁ¤)"
    assert lines[2] == "상법 제651조 상법 제651조"  # what can be repaired still is
    assert "unrepaired" in result.stderr

    report = json.loads(invoke(["--json", str(path)]).stderr)
    kept = [r for r in report["repairs"] if r["status"] == "unrepaired"]
    assert kept and all(r["fixed"] == r["broken"] for r in kept)

    assert invoke(["--strict", str(path)]).exit_code == EXIT_UNCERTAIN
    guessed = invoke(["--apply-undecoded", str(path)])  # the old behaviour, asked for
    assert guessed.exit_code == 0 and guessed.stdout.splitlines()[1] != text.splitlines()[1]


def test_help_names_the_default():
    result = runner.invoke(app, ["fix-text", "--help"], env={"COLUMNS": "200"})
    assert "--apply-undecoded" in result.stdout and "left as it was" in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_at_a_terminal_it_says_it_reads_stdin(tmp_path):
    """stdin on a pseudo-terminal (as tests/terminal_support.py does); stdout and stderr on pipes."""
    import pty

    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "CI")}
    env.update({"LEGALRET_HOME": str(tmp_path), "PYTHONPATH": str(REPO), "LEGALRET_PROGRESS": "off",
                "COLUMNS": "200"})
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "legalret", "fix-text"], stdin=slave, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, close_fds=True)
    os.close(slave)
    try:
        err = b""
        deadline = time.monotonic() + 120
        while b"\n" not in err and time.monotonic() < deadline and proc.poll() is None:
            if select.select([proc.stderr], [], [], 0.2)[0]:
                err += os.read(proc.stderr.fileno(), 4096)
        assert "reading the text from stdin; end with Ctrl-D, or give a FILE" in err.decode()
        os.write(master, "ìƒë²• ì œ651ì¡°\n".encode() + b"\x04")  # a line, then Ctrl-D
        out, rest = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert proc.returncode == 0, (err + rest).decode()
    assert out.decode() == "상법 제651조\n"
    assert (err + rest).decode().count("reading the text from stdin") == 1


def test_no_hint_when_stdin_is_not_a_terminal():
    result = invoke([], input="민법 제1조\n")
    assert result.exit_code == 0 and "reading the text" not in result.stderr
