"""`legalret index build|add|info` and `legalret search` through the CLI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.articles import write_articles  # noqa: E402
from legalret.cli import app  # noqa: E402
from legalret.errors import LegalretError  # noqa: E402

runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    index = d / "idx"
    r = runner.invoke(app, ["index", "build", str(sup.ARTICLES), "--index", str(index), "--model", str(sup.tiny_model_dir()), "--json"])
    assert r.exit_code == 0, r.output
    return d, index


def test_build_reports_counts_as_json(built):
    d, index = built
    r = runner.invoke(app, ["index", "info", "--index", str(index), "--json"])
    assert r.exit_code == 0
    manifest = json.loads(r.stdout)
    assert manifest["counts"]["articles"] == 15 and manifest["encoder"]["dim"] == sup.tiny_encoder().dim


def test_add_prints_added_changed_removed_unchanged(built):
    d, index = built
    arts = [a for a in sup.articles() if a.law == "상법"]
    arts[0] = sup.amended(arts[0], "상사에 관하여 본법에 규정이 없으면 상관습법에 의한다.")
    src = d / "amended.jsonl"
    write_articles(src, arts[:-1])  # 상법 re-ingested without its last article
    r = runner.invoke(app, ["index", "add", str(src), "--index", str(index), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert (report["added"], report["changed"], report["removed"], report["unchanged"]) == (0, 1, 1, len(arts) - 2)
    assert report["encoded"] == 1


def test_search_json_lines_and_table(built):
    d, index = built
    r = runner.invoke(app, ["search", "유치권을 행사", "--index", str(index), "-k", "3", "--mode", "bm25", "--json"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.strip().splitlines()]
    assert lines[0]["key"] == "민법 제320조" and lines[0]["rank"] == 1 and "text" in lines[0]
    r = runner.invoke(app, ["search", "민법 750조 1항", "--index", str(index), "-k", "2", "--explain"])
    assert r.exit_code == 0 and "민법 제750조" in r.stdout and "exact citation" in r.stdout
    r = runner.invoke(app, ["search", "보험 해지", "--index", str(index), "--law", "상법", "--kind", "법률"])
    assert r.exit_code == 0 and "상법" in r.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", "   "], "empty query"),
        (["search", "유치권", "--law", "형법"], "unknown law filter"),
        (["search", "유치권", "--mode", "magic"], "unknown search mode"),
    ],
)
def test_search_errors(built, args, message):
    d, index = built
    r = runner.invoke(app, args + ["--index", str(index)])
    assert isinstance(r.exception, LegalretError) and message in str(r.exception)


def test_missing_index_is_one_line_error_exit_1(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "legalret", "search", "유치권", "--index", str(tmp_path / "nope")],
        capture_output=True, text=True, timeout=120, env={**__import__("os").environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 1
    # one message (rich may soft-wrap it at the terminal width), no traceback
    assert "no index here" in proc.stderr.replace("\n", "") and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error:") and proc.stderr.count("error:") == 1
