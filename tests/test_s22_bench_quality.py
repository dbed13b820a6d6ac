"""`legalret bench quality` on a question file with styles and fixed halves: a table per style, and --split."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from legalret.cli import app
from legalret.errors import SourceError
from legalret.evaluate.quality import QualityReport, load_queries
from legalret.evaluate.report import quality_markdown

LINES = [  # two styles, two halves; gold keys the fixture index holds
    {"qid": "t1", "query": "점유권의 취득", "gold": ["민법 제192조"], "style": "short", "split": "tune"},
    {"qid": "t2", "query": "간접점유", "gold": ["민법 제194조"], "style": "keyword", "split": "tune"},
    {"qid": "r1", "query": "유치권의 내용", "gold": ["민법 제320조"], "style": "short", "split": "report"},
    {"qid": "r2", "query": "불법행위 손해배상", "gold": ["민법 제750조"], "style": "keyword", "split": "report"},
    {"qid": "r3", "query": "임대차의 의의", "gold": ["민법 제618조"], "style": "short", "split": "report"},
]


@pytest.fixture
def question_file(tmp_path: Path) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in LINES), encoding="utf-8")
    return path


@pytest.fixture
def index(tmp_path: Path, fixtures_dir: Path) -> Path:
    from legalret.index import build_index

    sys.path.insert(0, str(fixtures_dir / "index"))
    import index_support as sup

    path = tmp_path / "idx"
    build_index(sup.articles(), path, model="none")
    return path


def test_split_keeps_one_half_before_the_sample_and_counts_every_half(question_file: Path):
    whole = load_queries(question_file)
    assert len(whole) == 5 and whole.splits == {"tune": 2, "report": 3}
    report = load_queries(question_file, split="report")
    assert [q.qid for q in report] == ["r1", "r2", "r3"] and report.splits == {"tune": 2, "report": 3}
    assert len(load_queries(question_file, split="report", limit=2)) == 2  # the sample is drawn from the half
    with pytest.raises(SourceError, match=r"split: no query line has \"split\": 'dev' — its lines: tune 2, report 3"):
        load_queries(question_file, split="dev")


def test_bench_quality_reports_per_style_and_says_when_halves_are_read_together(
        question_file: Path, index: Path, tmp_path: Path):
    args = ["bench", "quality", "--index", str(index), "--queries", str(question_file), "--mode", "bm25",
            "--resamples", "0", "--out", str(tmp_path / "out")]
    together = CliRunner().invoke(app, args)
    assert together.exit_code == 0, together.output
    assert "has halves (tune 2, report 3), scored together here; --split report" in together.output
    data = json.loads((tmp_path / "out" / "quality-questions.json").read_text(encoding="utf-8"))
    per_style = data["modes"]["bm25"]["per_style"]
    assert list(per_style) == ["short", "keyword"]  # in the styles' order, not the file's
    assert per_style["short"]["queries"] == 3 and per_style["keyword"]["queries"] == 2
    assert per_style["keyword"]["metrics"]["recall@10"]["mean"] == 1.0  # 간접점유, 불법행위: BM25 finds both
    assert "Per question style (recall@10 · mrr@10" in together.output and "| short | 3 |" in together.output
    assert QualityReport.from_dict(data).to_dict() == data  # the new field reads back

    half = CliRunner().invoke(app, [*args, "--split", "report"])
    assert half.exit_code == 0, half.output
    assert "has halves" not in half.output
    assert '3 queries from the "report" lines of `questions.jsonl`' in half.output
    data = json.loads((tmp_path / "out" / "quality-questions-report.json").read_text(encoding="utf-8"))
    assert data["queries"]["count"] == 3 and data["settings"]["split"] == "report"
    assert quality_markdown(data).count("| short | 2 |") == 1

    unknown = CliRunner().invoke(app, [*args, "--split", "dev"])
    assert unknown.exit_code != 0 and "its lines: tune 2, report 3" in str(unknown.exception)
    path_like = CliRunner().invoke(app, [*args, "--split", "../x"])
    assert path_like.exit_code == 2 and "--split" in path_like.output


def test_a_file_without_styles_or_halves_reads_as_before(index: Path, tmp_path: Path):
    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps({"qid": "a", "query": "간접점유", "gold": ["민법 제194조"]}, ensure_ascii=False) + "\n",
                     encoding="utf-8")
    r = CliRunner().invoke(app, ["bench", "quality", "--index", str(index), "--queries", str(plain), "--mode", "bm25",
                                 "--resamples", "0", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert "has halves" not in r.output and "Per question style" not in r.output
    data = json.loads((tmp_path / "o" / "quality-plain.json").read_text(encoding="utf-8"))
    assert list(data["modes"]["bm25"]) == ["overall", "per_law", "seconds", "queries_per_second"]
