"""`bench quality --split report` says which lines it left out (an ML engineer's finding, 2026-12-07).

Lines without a ``split``, or with one that is neither half (``"Report"``), had been dropped from the score in
silence: the run looked like the whole held-out half.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from legalret.cli import app
from test_s22_bench_quality import LINES, index  # noqa: F401  (the fixture index)


def _file(tmp_path: Path, lines: list[dict]) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def _run(index: Path, questions: Path, tmp_path: Path):
    return CliRunner().invoke(app, ["bench", "quality", "--index", str(index), "--queries", str(questions),
                                    "--split", "report", "--mode", "bm25", "--resamples", "0",
                                    "--out", str(tmp_path / "out")])


def test_lines_outside_both_halves_are_named_as_left_out(index: Path, tmp_path: Path):  # noqa: F811
    odd = [{**LINES[2], "qid": "x1", "split": "Report"}, {k: v for k, v in LINES[3].items() if k != "split"} | {"qid": "x2"}]
    r = _run(index, _file(tmp_path, LINES + odd), tmp_path)
    assert r.exit_code == 0, r.output
    assert ("note --split report scores 3 lines of questions.jsonl; left out: tune 2, Report 1, without a split 1"
            in " ".join(r.output.split()))


def test_a_file_of_two_clean_halves_gets_no_note(index: Path, tmp_path: Path):  # noqa: F811
    r = _run(index, _file(tmp_path, LINES), tmp_path)
    assert r.exit_code == 0, r.output
    assert "left out" not in r.output


def test_hybrid_on_an_index_of_one_list_says_it_scores_that_list(index: Path, tmp_path: Path):  # noqa: F811
    """The fixture index is BM25 alone (``--model none``, no memory): its hybrid is BM25, and the report says so."""
    r = CliRunner().invoke(app, ["bench", "quality", "--index", str(index), "--queries", str(_file(tmp_path, LINES)),
                                 "--mode", "hybrid,bm25", "--resamples", "0", "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    said = " ".join(r.output.split())
    assert "has one list to fuse (bm25: no dense vectors or precedent memory): --mode hybrid scores bm25 alone" in said
    assert "--mode bm25 scores" not in said
