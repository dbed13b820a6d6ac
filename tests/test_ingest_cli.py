"""``legalret ingest``: writes articles JSONL, prints the summary and every error, --strict, filters."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from legalret.articles import read_articles
from legalret.cli import app

runner = CliRunner()


def test_ingest_writes_articles_and_summary(tmp_path, fixtures_dir):
    out = tmp_path / "articles.jsonl"
    src = fixtures_dir / "ingest"
    result = runner.invoke(app, ["ingest", str(src / "markdown"), str(src / "lawgo" / "테스트법.json"),
                                 "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{"): result.stdout.rindex("}") + 1])
    assert summary["files"] == 3 and summary["laws"] == 3 and summary["errors"] == 0
    assert summary["articles"] == summary["written"] == 18 and summary["deleted"] == 3
    assert summary["mojibake_repairs"] == 0
    keys = [a.key for a in read_articles(out)]
    assert len(keys) == 18 and "민법 제14조의2" in keys and "테스트 보호법 제2조의2" in keys


def test_errors_are_listed_and_strict_fails(tmp_path, fixtures_dir):
    out = tmp_path / "a.jsonl"
    src = fixtures_dir / "ingest"
    args = ["ingest", str(src / "bad"), str(src / "plaintext"), "--out", str(out)]
    lenient = runner.invoke(app, args)
    assert lenient.exit_code == 0, lenient.output
    assert "malformed.json:3" in lenient.output and "no_front_matter.md:1" in lenient.output
    assert "errors" in lenient.output
    assert len(list(read_articles(out))) == 9
    strict = runner.invoke(app, args + ["--strict"])
    assert strict.exit_code != 0


def test_filters(tmp_path, fixtures_dir):
    out = tmp_path / "a.jsonl"
    result = runner.invoke(app, ["ingest", str(fixtures_dir / "ingest"), "--law", "상법", "--kind", "법률",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {a.key.split(" 제")[0] for a in read_articles(out)} == {"상법"}


def test_nothing_readable_is_a_clear_failure(tmp_path, fixtures_dir):
    out = tmp_path / "a.jsonl"
    result = runner.invoke(app, ["ingest", str(fixtures_dir / "ingest" / "bad" / "empty.md"), "--out", str(out)])
    assert result.exit_code != 0 and not out.exists()
