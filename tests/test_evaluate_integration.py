"""Benchmarks against the real index and searcher: a tiny encoder, hand-written articles, and the CLI.

The slow test reads 민법 from the shared legalize-kr archive and evaluates a BM25-only index on it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from legalret.articles import Article, Paragraph

ARTICLES = [
    ("민법", 194, 0, "간접점유", "지상권, 전세권, 질권, 사용대차, 임대차, 임치 기타의 관계로 타인으로 하여금 물건을 점유하게 한 자는 간접으로 점유권이 있다."),
    ("민법", 320, 0, "유치권의 내용", "타인의 물건 또는 유가증권을 점유한 자는 그 물건이나 유가증권에 관하여 생긴 채권이 변제기에 있는 경우에는 변제를 받을 때까지 그 물건 또는 유가증권을 유치할 권리가 있다."),
    ("민법", 390, 0, "채무불이행과 손해배상", "채무자가 채무의 내용에 좇은 이행을 하지 아니한 때에는 채권자는 손해배상을 청구할 수 있다."),
    ("민법", 750, 0, "불법행위의 내용", "고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 그 손해를 배상할 책임이 있다."),
    ("민법", 618, 0, "임대차의 의의", "임대차는 당사자 일방이 상대방에게 목적물을 사용, 수익하게 할 것을 약정하고 상대방이 이에 대하여 차임을 지급할 것을 약정함으로써 그 효력이 생긴다."),
    ("상법", 651, 0, "고지의무위반으로 인한 계약해지", "보험계약당시에 보험계약자 또는 피보험자가 고의 또는 중대한 과실로 인하여 중요한 사항을 고지하지 아니하거나 부실의 고지를 한 때에는 보험자는 계약을 해지할 수 있다."),
    ("상법", 651, 2, "서면에 의한 질문의 효력", "보험자가 서면으로 질문한 사항은 중요한 사항으로 추정한다."),
    ("상법", 382, 0, "이사의 선임", "이사는 주주총회에서 선임한다."),
]

QUERIES = [
    {"qid": "a", "query": "유치권 물건 점유 채권 변제", "gold": ["민법 제320조"]},
    {"qid": "b", "query": "보험계약자 고지의무 위반 계약 해지", "gold": ["상법 제651조", "상법 제651조의2"]},
    {"qid": "c", "query": "불법행위 고의 과실 손해 배상 책임", "gold": ["민법 제750조"]},
    {"qid": "d", "query": "주주총회 이사 선임", "gold": ["상법 제382조", "형법 제250조"]},
    {"qid": "e", "query": "골드 없는 질의", "gold": []},
]


def _articles() -> list[Article]:
    return [
        Article(law=law, number=n, branch=b, title=t, kind="법률", paragraphs=[Paragraph(None, text)])
        for law, n, b, t, text in ARTICLES
    ]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    from legalret.index.build import build_index
    from legalret.models.tiny import build_tiny_model

    root = tmp_path_factory.mktemp("evaluate-index")
    model = build_tiny_model(root / "tiny", texts=[a[4] for a in ARTICLES] + [q["query"] for q in QUERIES])
    build_index(_articles(), root / "index", model=str(model))
    return root / "index"


@pytest.fixture(scope="module")
def queries_file(tmp_path_factory) -> Path:
    f = tmp_path_factory.mktemp("evaluate-queries") / "dev_queries.jsonl"
    f.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUERIES) + "{broken\n", encoding="utf-8")
    return f


def test_evaluate_real_searcher_all_modes(index_dir: Path, queries_file: Path):
    from legalret.evaluate.quality import evaluate, load_queries
    from legalret.search.searcher import Searcher

    report = evaluate(Searcher(index_dir), load_queries(queries_file), modes=("bm25", "dense", "hybrid"), n_resamples=100)
    bm25 = report.modes["bm25"].overall
    assert bm25.evaluated == 4 and bm25.empty_gold == 1
    # BM25 on near-verbatim queries finds the article first (d's second gold is not in the index)
    per_q = {r["qid"]: r for r in report.per_query["bm25"]}
    assert per_q["a"]["top"][0] == "민법 제320조" and per_q["c"]["top"][0] == "민법 제750조"
    assert per_q["d"]["recall@100"] == 0.5
    assert report.index.articles == len(ARTICLES)
    assert report.index.missing_gold.to_dict()["listed"] == [{"key": "형법 제250조", "queries": 1, "qids": ["d"]}]
    assert set(report.modes) == {"bm25", "dense", "hybrid"}
    ceiling = (1 + 1 + 1 + 0.5) / 4  # d's 형법 key can never be found
    # dense ranks every row, so the whole (tiny) index is within depth 100; BM25 returns only matching rows
    assert report.mean("dense", "recall@100") == pytest.approx(ceiling)
    for mode in report.modes.values():
        assert 0.5 <= mode.overall.mean("recall@100") <= ceiling
    assert "hybrid vs bm25" in report.comparisons


def test_cli_bench_quality_writes_reports(index_dir: Path, queries_file: Path, tmp_path: Path):
    from legalret.cli import app

    out = tmp_path / "bench"
    result = CliRunner().invoke(
        app, ["bench", "quality", "--index", str(index_dir), "--queries", str(queries_file), "--mode", "bm25,hybrid",
              "--out", str(out), "--resamples", "50", "--limit", "4", "--seed", "2", "--skip-bad"],
    )
    assert result.exit_code == 0, result.output
    assert "| bm25 |" in result.output and "| hybrid |" in result.output
    data = json.loads((out / "quality-dev_queries.json").read_text(encoding="utf-8"))
    assert data["queries"]["count"] == 4 and data["queries"]["error_count"] == 1
    assert data["settings"]["limit"] == 4 and data["settings"]["index"] == str(index_dir)
    assert (out / "quality-dev_queries.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "quality-dev_queries.md").read_text(encoding="utf-8").count("| bm25 |") >= 1

    bad = CliRunner().invoke(app, ["bench", "quality", "--index", str(index_dir), "--queries", str(queries_file), "--mode", "bm26"])
    assert bad.exit_code != 0 and "bm26" in bad.output
    # a report folder that is a file: said before the evaluation (it was a FileExistsError after all the work)
    a_file = tmp_path / "a-file"
    a_file.write_text("keep", encoding="utf-8")
    for args in (["quality", "--index", str(index_dir), "--queries", str(queries_file), "--mode", "bm25"],
                 ["speed", "--mode", "bm25", "--limit", "30"]):
        refused = CliRunner().invoke(app, ["bench", *args, "--out", str(a_file)], env={"COLUMNS": "400"})
        assert refused.exit_code == 2 and "is a file; give a folder" in refused.output, refused.output
        # under a file, or where no folder can be made: tracebacks after the run before
        refused = CliRunner().invoke(app, ["bench", *args, "--out", str(a_file / "sub")], env={"COLUMNS": "400"})
        assert refused.exit_code == 2 and "cannot make this folder" in refused.output, refused.output
        # --name is a file stem: ../../escape wrote the report's four files outside --out
        refused = CliRunner().invoke(app, ["bench", *args, "--out", str(tmp_path / "r"), "--name", "../escape"],
                                     env={"COLUMNS": "400"})
        assert refused.exit_code == 2 and "a file name stem without '/'" in refused.output, refused.output
    assert not (tmp_path / "escape.json").exists()
    both = CliRunner().invoke(app, ["bench", "speed", "--limit", "30", "--index", str(index_dir)], env={"COLUMNS": "400"})
    assert both.exit_code == 2 and "cannot be combined with --index" in both.output


def test_cli_bench_quality_missing_index_is_one_clear_error(queries_file: Path, tmp_path: Path):
    from legalret.cli import app
    from legalret.errors import LegalretError

    result = CliRunner().invoke(app, ["bench", "quality", "--index", str(tmp_path / "nope"), "--queries", str(queries_file), "--skip-bad"])
    assert isinstance(result.exception, LegalretError) and "index not found" in str(result.exception)


@pytest.mark.slow
def test_bm25_on_real_civil_code(shared_data: Path, tmp_path: Path):
    """민법 from the shared archive, BM25 only: statute wording finds its own article; missing gold is listed."""
    from legalret.evaluate.quality import EvalQuery, evaluate
    from legalret.index.build import NO_ENCODER, build_index
    from legalret.ingest.sources import ingest
    from legalret.search.searcher import Searcher

    result = ingest([shared_data / "statutes" / "legalize-kr.zip"], laws=["민법"], kinds=["법률"])
    assert len(result.articles) > 1100
    build_index(result.articles, tmp_path / "idx", model=NO_ENCODER)
    queries = [
        EvalQuery("750", "고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 그 손해를 배상할 책임", ["민법 제750조"]),
        EvalQuery("194", "타인으로 하여금 물건을 점유하게 한 자는 간접으로 점유권이 있다", ["민법 제194조"]),
        EvalQuery("651-2", "보험자가 서면으로 질문한 사항은 중요한 사항으로 추정", ["상법 제651조의2"]),
    ]
    report = evaluate(Searcher(tmp_path / "idx"), queries, modes=("bm25",), n_resamples=100)
    per_q = {r["qid"]: r for r in report.per_query["bm25"]}
    assert per_q["750"]["recall@1"] == 1.0 and per_q["194"]["recall@1"] == 1.0
    assert per_q["651-2"]["recall@100"] == 0.0  # 상법 is not in this index …
    assert report.index.missing_gold.to_dict()["listed"][0]["key"] == "상법 제651조의2"  # … and the report says so
    assert report.modes["bm25"].per_law["상법"].evaluated == 1


def test_build_figures_from_an_existing_index_manifest(index_dir: Path):
    from legalret.evaluate.speed import build_from_manifest

    b = build_from_manifest(index_dir)
    assert b["articles"] == len(ARTICLES) and b["dense"] is True and b["disk_mb"] > 0
    assert {"Kiwi tokenizing", "BM25", "encoding", "FAISS"} <= set(b["stages"])
    assert b["stages"]["encoding"]["articles_per_second"] > 0
    assert b["seconds"] >= sum(v["seconds"] for k, v in b["stages"].items() if k in ("Kiwi tokenizing", "BM25", "encoding", "FAISS")) * 0.99
