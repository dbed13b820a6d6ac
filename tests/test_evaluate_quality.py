"""The quality evaluator against a fake searcher: query-file errors, per-law groups, missing gold, reports."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from legalret.errors import LegalretError, SourceError
from legalret.evaluate.quality import EvalQuery, QualityReport, QuerySet, evaluate, index_keys_of, load_queries
from legalret.evaluate.report import quality_markdown, write_quality_report


@dataclass
class FakeHit:
    key: str
    score: float


#: The committed benchmark results (their JSON layout is the report's contract).
RESULT_FILES = Path(__file__).resolve().parent.parent / "benchmarks" / "results"

INDEX = ["민법 제194조", "민법 제750조", "민법 제751조", "상법 제651조의2", "상법 제1조", "민법 제1조"]

# What each mode returns for each query (best first); a duplicate and a tie on purpose.
RESULTS = {
    "bm25": {
        "간접점유자의 점유권": [("민법 제194조", 3.0), ("민법 제1조", 1.0)],
        "불법행위로 인한 손해배상 책임": [("민법 제751조", 5.0), ("민법 제750조", 4.0), ("민법 제750조", 4.0)],
        "보험계약의 해지": [("상법 제1조", 2.0), ("상법 제651조의2", 2.0)],  # tie: '상법 제1조' < '상법 제651조의2'
    },
    "dense": {
        "간접점유자의 점유권": [("민법 제1조", 0.9), ("민법 제194조", 0.8)],
        "불법행위로 인한 손해배상 책임": [("민법 제750조", 0.9), ("상법 제651조의2", 0.7)],
        "보험계약의 해지": [("상법 제651조의2", 0.95)],
    },
}


class FakeSearcher:
    def __init__(self):
        self.calls: list[tuple[int, int, str]] = []

    def keys(self):
        return list(INDEX)

    def search_batch(self, queries, k, mode="hybrid"):
        self.calls.append((len(queries), k, mode))
        return [[FakeHit(key, s) for key, s in RESULTS[mode].get(q, [])][:k] for q in queries]


@pytest.fixture
def queries(fixtures_dir: Path) -> QuerySet:
    return load_queries(fixtures_dir / "evaluate" / "queries.jsonl")


def test_load_queries_reports_bad_lines_and_keeps_the_rest(queries: QuerySet):
    assert [q.qid for q in queries] == ["q1", "q2", "q3", "q4"]
    assert queries.total_lines == 8
    assert queries.queries[2].gold == ["상법 제651조의2", "형법 제1조"]  # key normalized
    msgs = [str(e) for e in queries.errors]
    assert len(msgs) == 4
    assert msgs[0].endswith("queries.jsonl:6:1: not valid JSON (Expecting value)")  # file:line:column
    assert ":7: gold: not an article key" in msgs[1]
    assert ":8: query: missing or empty query text" in msgs[2]
    assert ":9: gold: expected a list of article keys, got str" in msgs[3]
    assert all(isinstance(e, SourceError) and e.line for e in queries.errors)


def test_load_queries_errors_on_missing_or_unreadable_file(tmp_path: Path):
    with pytest.raises(SourceError, match="not found"):
        load_queries(tmp_path / "nope.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{}\n[1]\n", encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        load_queries(bad)
    assert str(caught.value) == (f"{bad}: no readable queries (2 non-empty lines); 2 unusable — {bad}:1: query: missing or "
                                 f"empty query text; {bad}:2: expected a JSON object, got list")
    # every line bad: the first three named (file:line[:column]) and the rest counted, not the first alone
    bad.write_text("{}\n[1]\nnot json\n" + '{"query": "x", "gold": ["민법"]}\n' * 2, encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        load_queries(bad, strict=True)
    message = str(caught.value)
    assert "no readable queries (5 non-empty lines); 5 unusable — " in message and message.endswith("; … 2 more")
    assert f"{bad}:3:1: not valid JSON" in message and ":4:" not in message and "--skip-bad" not in message
    # a folder or a device is not "not found"
    with pytest.raises(SourceError, match="is a directory, not a query file"):
        load_queries(tmp_path)
    if Path("/dev/null").exists():
        with pytest.raises(SourceError, match="is not a regular file"):
            load_queries("/dev/null")


def test_a_gold_key_under_a_short_name_is_the_laws_own_key(tmp_path: Path):
    # 근기법 제23조 had been kept as written: gold the index lacks (missing_gold), though the question is answerable
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"qid": "q1", "query": "부당해고", "gold": ["근기법 제23조", "근로기준법 제23조",
                                                                       "주임법 제3조의2", "민법 제618조"]},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    [q] = load_queries(path).queries
    assert q.gold == ["근로기준법 제23조", "주택임대차보호법 제3조의2", "민법 제618조"]


def test_a_gold_key_written_as_a_citation_is_the_articles_key(tmp_path: Path):
    # 주택임대차보호법 3조 and 형법 제250조 제1항 had been "not an article key", though `search` reads both
    path = tmp_path / "q.jsonl"
    rows = [{"qid": "a", "query": "대항력", "gold": ["주택임대차보호법 3조", "민법 제 618 조 의 2"]},
            {"qid": "b", "query": "살인", "gold": ["형법 제250조 제1항", "형법 250조 2항 제1호", "근기법 23조"]},
            {"qid": "c", "query": "조문 없음", "gold": ["민법 제194조", "제194조"]},
            {"qid": "d", "query": "항만", "gold": ["민법 194항"]}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    qs = load_queries(path)
    a, b = qs.queries
    assert a.gold == ["주택임대차보호법 제3조", "민법 제618조의2"] and "gold_parts" not in a.extra
    assert b.gold == ["형법 제250조", "근로기준법 제23조"]
    assert b.extra["gold_parts"] == {"형법 제250조": ["제1항", "제2항 제1호"]}  # scored per article, the part noted
    # what still names no article stays an error at file:line, field gold
    assert [str(e) for e in qs.errors] == [
        f"{path}:3: gold: not an article key (expected '<법령명> 제N조[의M]'): '제194조'",
        f"{path}:4: gold: not an article key (expected '<법령명> 제N조[의M]'): '민법 194항'"]


def test_strict_refuses_unreadable_lines_and_duplicate_qids_naming_file_line_column(tmp_path: Path):
    """Issue 21 (12): 7 of 10 lines unreadable → exit 0 before; duplicate qids accepted; JSON errors at the wrong
    place. Now strict (what `bench quality` uses) refuses, naming file:line:column; lenient lists them."""
    f = tmp_path / "q.jsonl"
    good = [json.dumps({"qid": f"q{i}", "query": f"질의 {i}", "gold": ["민법 제1조"]}, ensure_ascii=False) for i in range(3)]
    lines = [*good, '{"qid": "q9", "query": "간접점유", "gold": [민법 제1조]}', "not json",
             json.dumps({"qid": "q1", "query": "다시", "gold": []}, ensure_ascii=False)]
    f.write_bytes(("\n".join(lines) + "\n").encode("utf-8") + b'{"qid": "x", "query": "\xff\xfe", "gold": []}\n')
    with pytest.raises(SourceError) as caught:
        load_queries(f, strict=True)
    message = str(caught.value)
    assert "4 of 7 lines are unusable" in message and "--skip-bad" in message and "3 readable" in message
    assert f"{f}:4:41: not valid JSON (Expecting value)" in message  # the '민' after '[' is character 41
    assert lines[3][40] == "민"
    assert f"{f}:5:1: not valid JSON" in message
    lenient = load_queries(f)
    assert [q.qid for q in lenient] == ["q0", "q1", "q2"]
    errors = [str(e) for e in lenient.errors]
    assert f"{f}:6: qid: duplicate qid 'q1' (first on line 2)" in errors
    assert f"{f}:7:24: not UTF-8 (byte 0xff)" in errors  # after 23 characters


def test_bom_and_stray_carriage_return_do_not_shift_lines(tmp_path: Path):
    f = tmp_path / "q.jsonl"
    f.write_bytes(b"\xef\xbb\xbf" + json.dumps({"qid": "a", "query": "점유\r권", "gold": []}).encode() + b"\r\n"
                  + b'{"qid": "b", "query": "x", "gold": [1]}\n')
    qs = load_queries(f)
    assert [q.qid for q in qs] == ["a"] and ":2: gold:" in str(qs.errors[0])


def test_bench_quality_refuses_a_bad_query_file_unless_skip_bad(tmp_path: Path, fixtures_dir: Path):
    from typer.testing import CliRunner

    from legalret.cli import app
    from legalret.index import build_index

    sys.path.insert(0, str(fixtures_dir / "index"))
    import index_support as sup

    index = tmp_path / "idx"
    build_index(sup.articles(), index, model="none")
    queries = fixtures_dir / "evaluate" / "queries.jsonl"  # 4 good lines, 4 bad
    args = ["bench", "quality", "--index", str(index), "--queries", str(queries), "--mode", "bm25",
            "--out", str(tmp_path / "out"), "--resamples", "0"]
    refused = CliRunner().invoke(app, args)
    assert isinstance(refused.exception, SourceError) and "4 of 8 lines are unusable" in str(refused.exception)
    assert "queries.jsonl:6:1: not valid JSON" in str(refused.exception)
    assert not (tmp_path / "out").exists()
    went_on = CliRunner().invoke(app, [*args, "--skip-bad"])
    assert went_on.exit_code == 0, went_on.output
    assert "skipped" in went_on.output and "queries.jsonl:6:1" in went_on.output
    # past five skipped lines the rest are "listed in the JSON report" only when one was written
    many = tmp_path / "many.jsonl"
    many.write_text(queries.read_text(encoding="utf-8") + "still not json\n" * 3, encoding="utf-8")
    args = ["bench", "quality", "--queries", str(many), "--mode", "bm25", "--resamples", "0", "--skip-bad"]
    refused = CliRunner().invoke(app, [*args, "--index", str(tmp_path / "nope"), "--out", str(tmp_path / "o1")])
    assert "index not found" in str(refused.exception)
    assert "… 2 more unreadable lines (not listed: nothing was written)" in refused.output
    went_on = CliRunner().invoke(app, [*args, "--index", str(index), "--out", str(tmp_path / "o2")])
    assert went_on.exit_code == 0, went_on.output
    assert f"… 2 more unreadable lines (listed in {tmp_path / 'o2' / 'quality-many.json'})" in went_on.output
    assert json.loads((tmp_path / "o2" / "quality-many.json").read_text(encoding="utf-8"))["queries"]["error_count"] == 7


def test_limit_is_a_seeded_sample_in_file_order(tmp_path: Path):
    f = tmp_path / "q.jsonl"
    f.write_text("".join(json.dumps({"qid": f"q{i}", "query": f"질의 {i}", "gold": ["민법 제1조"]}) + "\n" for i in range(50)))
    a = [q.qid for q in load_queries(f, limit=10, seed=3)]
    assert a == [q.qid for q in load_queries(f, limit=10, seed=3)]
    assert a != [q.qid for q in load_queries(f, limit=10, seed=4)]
    assert len(a) == 10 and a == sorted(a, key=lambda s: int(s[1:]))


def test_evaluate_overall_per_law_and_missing_gold(queries: QuerySet):
    searcher = FakeSearcher()
    report = evaluate(searcher, queries, modes=("bm25", "dense"), ks=(1, 2, 10), rank_k=10, f2_k=2, n_resamples=200, seed=0)
    assert searcher.calls == [(4, 10, "bm25"), (4, 10, "dense")]  # one batch, depth = max cut-off

    bm25 = report.modes["bm25"].overall
    assert bm25.queries == 4 and bm25.evaluated == 3 and bm25.empty_gold == 1
    # q1: 194 at rank 1 → r@1 1; q2: 750 at rank 2, 651의2 absent → r@1 0, r@2 .5; q3: tie puts 상법 제1조 first,
    # 651의2 at rank 2, 형법 제1조 not in index → r@1 0, r@2 .5
    assert bm25.metrics["recall@1"].mean == pytest.approx(1 / 3)
    assert bm25.mean("recall@2") == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert report.mean("bm25", "mrr@10") == pytest.approx((1 + 0.5 + 0.5) / 3)
    # the duplicate 750 in q2 counts once: top-2 is [751, 750] → P = 1/2, R = 1/2 → F2 = 0.5
    q2 = next(r for r in report.per_query["bm25"] if r["qid"] == "q2")
    assert q2["top"] == ["민법 제751조", "민법 제750조"] and q2["f2@2"] == pytest.approx(0.5)

    # per law: 민법 = {q1, q2}, 상법 = {q2, q3}, 형법 = {q3}; q4 (no gold) belongs to none
    per_law = report.modes["bm25"].per_law
    assert {law: g.evaluated for law, g in per_law.items()} == {"민법": 2, "상법": 2, "형법": 1}
    assert per_law["민법"].metrics["recall@1"].mean == pytest.approx(0.5)
    assert report.mean("bm25", "recall@2", law="형법") == pytest.approx(0.5)

    missing = report.index.missing_gold
    assert report.index.articles == len(INDEX)
    assert missing.keys == 1 and missing.queries == 1 and missing.queries_all_missing == 0
    assert missing.to_dict()["listed"] == [{"key": "형법 제1조", "queries": 1, "qids": ["q3"]}]
    assert report.queries.error_count == 4

    # dense vs bm25 comparison is paired on the same three queries
    comp = report.comparisons["dense vs bm25"]["recall@1"]
    assert comp.mean == pytest.approx(report.mean("dense", "recall@1") - 1 / 3)
    assert 0.0 <= comp.p_not_better <= 1.0


def test_gold_filter_indexed_scores_only_reachable_keys(queries: QuerySet):
    report = evaluate(FakeSearcher(), queries, modes=("dense",), ks=(1,), f2_k=1, n_resamples=50, gold_filter="indexed")
    # q3's 형법 제1조 is dropped from gold: dense finds 상법 제651조의2 first → recall@1 = 1
    q3 = next(r for r in report.per_query["dense"] if r["qid"] == "q3")
    assert q3["gold"] == ["상법 제651조의2"] and q3["recall@1"] == 1.0
    assert report.index.missing_gold.keys == 1  # still counted
    assert report.settings.gold_filter == "indexed"
    # nothing left to score: one line, not an all-dash table with exit 0
    outside = [EvalQuery("x", "형법 질문", ["형법 제1조"])]
    with pytest.raises(LegalretError, match="no query has a gold article in this index: nothing to score"):
        evaluate(FakeSearcher(), outside, modes=("dense",), n_resamples=10, gold_filter="indexed")


def test_same_inputs_give_identical_reports(queries: QuerySet):
    a = evaluate(FakeSearcher(), queries, modes=("bm25",), n_resamples=100, seed=5)
    b = evaluate(FakeSearcher(), queries, modes=("bm25",), n_resamples=100, seed=5)
    for r in (a, b):
        for m in r.modes.values():
            m.seconds = m.queries_per_second = None
    assert a == b


def test_mapping_of_protocol_retrievers_and_unknown_index():
    class Ret:
        def __init__(self, ranking):
            self.ranking = ranking

        def search_batch(self, queries, k):
            return [self.ranking[:k] for _ in queries]

    qs = [EvalQuery("a", "질의", ["민법 제1조"]), EvalQuery("b", "질의2", ["민법 제2조"])]
    report = evaluate({"good": Ret([("민법 제1조", 1.0)]), "bad": Ret([])}, qs, modes=("good", "bad"), ks=(1,), n_resamples=10)
    assert report.mean("good", "recall@1") == 0.5
    assert report.mean("bad", "recall@1") == 0.0
    assert report.index.missing_gold is None  # unknown, not "zero missing"
    assert report.to_dict()["index"] == {"articles": None, "missing_gold": None}
    with pytest.raises(Exception, match="index's article keys"):
        evaluate({"good": Ret([])}, qs, modes=("good",), gold_filter="indexed")


def test_index_keys_of_understands_articles_attributes():
    class WithArticles:
        articles = {"민법 제1조": object()}

    class WithStore:
        class store:
            articles = [type("A", (), {"key": "상법 제1조"})()]

    assert index_keys_of(WithArticles()) == {"민법 제1조"}
    assert index_keys_of(WithStore()) == {"상법 제1조"}
    assert index_keys_of(object()) is None


def test_write_quality_report_files(queries: QuerySet, tmp_path: Path):
    report = evaluate(FakeSearcher(), queries, modes=("bm25", "dense"), ks=(1, 2, 10), n_resamples=50)
    paths = write_quality_report(report, tmp_path, name="q", title="Fake")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert "per_query" not in data and data["modes"]["bm25"]["overall"]["evaluated"] == 3
    md = paths["markdown"].read_text(encoding="utf-8")
    assert md.startswith("### Fake") and "| bm25 |" in md and "형법 제1조 (1)" in md and "dense vs bm25" in md
    assert paths["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = [json.loads(line) for line in paths["per_query"].read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 8 and {r["mode"] for r in rows} == {"bm25", "dense"}
    assert quality_markdown(report).count("\n") > 5
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temp files


def test_dense_query_vectors_are_encoded_once_across_modes(queries: QuerySet):
    import numpy as np

    class Dense:
        def __init__(self):
            self.encoded: list[str] = []

        def encode(self, texts):
            self.encoded += list(texts)
            return np.ones((len(texts), 4), dtype=np.float32)

    class DenseSearcher(FakeSearcher):
        has_dense = True

        def __init__(self):
            super().__init__()
            self.dense = Dense()

        def search_batch(self, queries, k, mode="hybrid"):
            if mode in ("dense", "hybrid"):
                vectors = self.dense.encode(queries)
                assert vectors.shape == (len(queries), 4)
            return super().search_batch(queries, k, mode="dense" if mode == "hybrid" else mode)

    s = DenseSearcher()
    report = evaluate(s, queries, modes=("bm25", "dense", "hybrid"), n_resamples=10)
    assert sorted(s.dense.encoded) == sorted(q.query for q in queries)  # once each, not twice
    assert "encode" not in vars(s.dense)  # the memoizing wrapper is removed afterwards
    assert report.settings.query_vectors_shared is True
    # the throughput line says the later mode's rate leaves out encoding (hybrid had read 13x faster than alone)
    assert "encoded once, by dense: hybrid reused them" in quality_markdown(report)
    alone = evaluate(DenseSearcher(), queries, modes=("bm25", "hybrid"), n_resamples=10)
    assert not alone.settings.query_vectors_shared and "reused" not in quality_markdown(alone)


def test_evaluation_shows_progress_unless_told_not_to(queries: QuerySet, monkeypatch, capfd):
    """progress=None (what `legalret bench quality` passes) follows LEGALRET_PROGRESS and the terminal, as every
    other long command does; it had meant "never": a 50-second run showed nothing at a terminal."""
    monkeypatch.setenv("LEGALRET_PROGRESS", "plain")
    monkeypatch.setenv("LEGALRET_PROGRESS_INTERVAL", "0")
    evaluate(FakeSearcher(), queries, modes=("bm25",), n_resamples=10, progress=None, batch_size=1)
    assert "bm25: searching" in capfd.readouterr().err
    evaluate(FakeSearcher(), queries, modes=("bm25",), n_resamples=10, progress=False, batch_size=1)
    assert "bm25: searching" not in capfd.readouterr().err


def test_report_to_dict_layout_and_round_trip(queries: QuerySet, tmp_path: Path):
    """to_dict() is the JSON layout the result files have always had; from_dict() reads it back unchanged,
    and what callers add (settings of the run, top-level records) rides along in ``extra``."""
    report = evaluate(FakeSearcher(), queries, modes=("bm25", "dense"), ks=(1, 2, 10), n_resamples=20)
    report.settings.extra.update({"index": "idx/", "limit": None})
    report.extra["machine"] = {"cores": 2}
    d = report.to_dict()
    assert list(d) == ["schema", "settings", "queries", "index", "modes", "comparisons", "per_query", "machine"]
    assert list(d["settings"])[:3] == ["modes", "ks", "rank_k"] and d["settings"]["index"] == "idx/"
    assert set(d["settings"]["leakage"]) >= {"policy", "label"}
    assert list(d["modes"]["bm25"]) == ["overall", "per_law", "seconds", "queries_per_second"]
    assert list(d["modes"]["bm25"]["overall"]) == ["queries", "evaluated", "empty_gold", "metrics", "confidence",
                                                   "n_resamples", "seed"]
    assert list(d["modes"]["bm25"]["overall"]["metrics"]["recall@1"]) == ["mean", "ci_low", "ci_high"]
    assert list(d["comparisons"]["dense vs bm25"]["recall@1"]) == ["mean", "ci_low", "ci_high", "p_not_better"]
    assert "per_query" not in report.to_dict(per_query=False)
    assert json.loads(json.dumps(d)) == d  # plain JSON types only
    assert QualityReport.from_dict(d) == report and QualityReport.from_dict(d).to_dict() == d
    # the written summary reads back into the same report (less its per-query rows)
    written = json.loads(write_quality_report(report, tmp_path, name="r")["json"].read_text(encoding="utf-8"))
    assert QualityReport.from_dict(written).to_dict() == report.to_dict(per_query=False)


@pytest.mark.parametrize("name", sorted(p.name for p in RESULT_FILES.glob("quality-*.json")))
def test_committed_result_files_round_trip(name: str):
    """Every quality result file in benchmarks/results (older layouts included) reads into a QualityReport and
    writes back identical, and renders to the same Markdown as from its dict."""
    data = json.loads((RESULT_FILES / name).read_text(encoding="utf-8"))
    report = QualityReport.from_dict(data)
    assert report.to_dict() == data
    assert quality_markdown(data) == quality_markdown(report)
