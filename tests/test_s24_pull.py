"""``corpus pull`` leaves a law whose mojibake repairs stayed uncertain out of its JSONL, as ``ingest`` does (s24).

``ingest --out x.jsonl`` had learnt to leave such a file out (the JSONL keeps no mark of a guess, so ``index add
x.jsonl`` would index 교감 for 교각 unrefused); ``corpus pull --out x.jsonl`` still wrote it, exit 0. Now the pull
names the file, writes the rest, exits 3, and ``--accept-uncertain`` (or index add's spelling) writes it too; the
Python ``pull()`` leaves it out the same way (``result.left_out``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from legalret.articles import read_articles
from legalret.cli import app
from legalret.corpus.pull import NothingPulled, pull

ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "300"}
runner = CliRunner()

#: 교각 (EA B5 90 / EA B0 81) loses a byte of each syllable read as cp1252; 교감 fits what is left too: a guess
BRIDGE_ARTICLE = "##### 제1조 (목적)\n\n교각의 안전점검은 관리청이 한다.\n"
FRONT = "---\n제목: 시설안전특례법\n법령구분: 법률\n공포일자: 2026-01-02\n시행일자: 2026-01-02\n---\n\n# 시설안전특례법\n\n"


def _lossy(text: str) -> str:
    """UTF-8 read as cp1252 with errors='ignore' (the undefined bytes gone), as the tester's files were made."""
    return text.encode("utf-8").decode("cp1252", errors="ignore")


@pytest.fixture
def mirror(tmp_path, fixtures_dir) -> Path:
    """A legalize-kr-style folder: 민법 as it is, 시설안전특례법 with its body in lossy mojibake."""
    root = tmp_path / "legalize-kr"
    shutil.copytree(fixtures_dir / "ingest" / "markdown" / "민법", root / "민법")
    (root / "시설안전특례법").mkdir()
    (root / "시설안전특례법" / "법률.md").write_text(FRONT + _lossy(BRIDGE_ARTICLE), encoding="utf-8")
    return root


def test_pull_leaves_the_uncertain_law_out_names_it_and_exits_3(mirror, tmp_path):
    out = tmp_path / "pulled.jsonl"
    r = runner.invoke(app, ["corpus", "pull", "민법", "시설안전특례법", "--mirror", str(mirror), "--out", str(out)],
                      env=ENV)
    assert r.exit_code == 3, r.output  # it had been 0, with 교감 in the JSONL
    lossy = str(mirror / "시설안전특례법" / "법률.md")
    assert f"left out: {lossy}: 2 uncertain mojibake repair(s)" in r.output  # (목적) and 교각
    assert "--accept-uncertain-repairs" in r.output and "exit 3" in r.output
    written = list(read_articles(out))
    assert {a.law for a in written} == {"민법"}
    assert f"wrote {len(written)} articles" in r.output  # the count written, not the count read
    r = runner.invoke(app, ["corpus", "pull", "민법", "시설안전특례법", "--mirror", str(mirror), "--out", str(out),
                            "--json"], env=ENV)
    summary = json.loads(r.stdout)
    assert r.exit_code == 3 and summary["exit"] == 3 and summary["uncertain_files_left_out"] == [lossy]
    assert summary["written"] == len(written)


@pytest.mark.parametrize("flag", ["--accept-uncertain", "--accept-uncertain-repairs"])
def test_accepted_the_guessed_law_is_written(mirror, tmp_path, flag):
    out = tmp_path / "pulled.jsonl"
    r = runner.invoke(app, ["corpus", "pull", "민법", "시설안전특례법", "--mirror", str(mirror), "--out", str(out),
                            flag], env=ENV)
    assert r.exit_code == 0, r.output
    assert {a.law for a in read_articles(out)} == {"민법", "시설안전특례법"}
    assert "left out" not in r.output


def test_a_pull_of_only_the_uncertain_law_writes_nothing_in_one_line(mirror, tmp_path):
    out = tmp_path / "pulled.jsonl"
    with pytest.raises(NothingPulled) as caught:
        pull(["시설안전특례법"], mirror=mirror, out=out)
    message = str(caught.value)
    assert "\n" not in message and "2 uncertain mojibake repair(s)" in message and "nothing written" in message
    assert "'감' at" in message and "--accept-uncertain-repairs" in message  # the guess and the way through
    assert not out.exists()
    r = runner.invoke(app, ["corpus", "pull", "시설안전특례법", "--mirror", str(mirror), "--out", str(out)], env=ENV)
    assert r.exit_code != 0 and not out.exists()


def test_the_python_pull_leaves_it_out_too(mirror, tmp_path):
    out = tmp_path / "pulled.jsonl"
    result = pull(["민법", "시설안전특례법"], mirror=mirror, out=out)
    assert result.left_out == [str(mirror / "시설안전특례법" / "법률.md")]
    assert {a.law for a in result.articles} == {a.law for a in read_articles(out)} == {"민법"}
    assert result.missing == []  # left out is not "not found": the line above names it
    assert pull(["민법", "시설안전특례법"], mirror=mirror, accept_uncertain=True).left_out == []
