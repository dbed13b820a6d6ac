"""What the benchmark entry points do with a user's bad input: ``legalret bench speed --queries``, and
benchmarks/style_eval.py, law_eval.py and compare_runs.py — a bad file is refused with one line naming it
(``error: file[:line]: …``, exit 1; argparse usage errors stay 2), never a traceback or a quietly smaller run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from legalret.errors import LegalretError, SourceError

from test_benchmark_results import _script  # noqa: E402  (one loader of the benchmarks/ scripts)

ROOT = Path(__file__).resolve().parents[1]


def _jsonl(path: Path, rows: list) -> Path:
    """``rows`` as JSONL (a str row is written as is: a broken line)."""
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def _run_script(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, timeout=120,
                          env=None if env is None else os.environ | env)


#: A query file where 6 of 7 lines cannot be used: not JSON, no query, no gold, a bad key, and a qid twice.
BAD_QUERY_LINES = [
    {"qid": "a", "query": "유치권 점유", "gold": ["민법 제320조"]},
    "{not json",
    {"qid": "b", "gold": ["민법 제1조"]},
    {"qid": "a", "query": "중복", "gold": ["민법 제1조"]},
    {"qid": "c", "query": "고지 의무"},
    {"qid": "d", "query": "손해 배상", "gold": ["아무거나"]},
    {"qid": "a", "query": "또 중복", "gold": ["민법 제2조"]},
]


def _questions(path: Path, qids=("user-001", "user-002")) -> Path:
    return _jsonl(path, [{"qid": q, "query": "간접점유", "gold": ["민법 제194조"], "style": "short", "split": "report"}
                         for q in qids])


def _holdings(path: Path, qids=("h1", "h2")) -> Path:
    return _jsonl(path, [{"qid": q, "query": "판시사항", "gold": ["민법 제194조"], "date": "2021-03-04",
                          "case_no": f"2021다{i}", "split": "report"} for i, q in enumerate(qids)])


# ---- 1. bench speed --queries ----------------------------------------------------------------------
def test_speed_refuses_a_query_file_with_unusable_lines(tmp_path):
    """6 of 7 lines broken was timed as 1 query (p50/p95/p99 of one); now refused, as bench quality refuses it."""
    from legalret.evaluate.speed import speed_queries

    bad = _jsonl(tmp_path / "bad.jsonl", BAD_QUERY_LINES)
    with pytest.raises(SourceError) as e:
        speed_queries([], str(bad), 200, seed=0)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"{bad}: 6 of 7 lines are unusable")
    assert f"{bad}:2:" in msg and f"{bad}:3: query:" in msg and "… 3 more" in msg
    assert "--skip-bad" not in msg  # (bench speed has no such option)
    # a repeated qid alone is enough
    dup = _jsonl(tmp_path / "dup.jsonl", [BAD_QUERY_LINES[0], BAD_QUERY_LINES[3]])
    with pytest.raises(SourceError, match=r"dup\.jsonl:2: qid: duplicate qid 'a' \(first on line 1\)"):
        speed_queries([], str(dup), 1, seed=0)
    # a good file still gives its seeded sample
    good = _jsonl(tmp_path / "good.jsonl", [{"qid": str(i), "query": f"질의{i}", "gold": ["민법 제1조"]} for i in range(10)])
    texts, gold, source = speed_queries([], str(good), 4, seed=0)
    assert len(texts) == 4 and gold[0] == ["민법 제1조"] and "sample of 4" in source


def test_run_speed_reads_the_query_file_before_the_corpus(tmp_path):
    """The bad query file is refused first — not after the ingest and the index build (here: no corpus at all)."""
    from legalret.evaluate.speed import run_speed

    bad = _jsonl(tmp_path / "bad.jsonl", BAD_QUERY_LINES)
    with pytest.raises(SourceError, match="6 of 7 lines are unusable"):
        run_speed("civil-commercial", work_dir=tmp_path / "work", modes=("bm25",), queries_file=str(bad),
                  data_dir=tmp_path / "no-data", references=(), progress=False)


def test_bench_speed_cli_says_one_line_and_exits_1(tmp_path):
    bad = _jsonl(tmp_path / "bad.jsonl", BAD_QUERY_LINES)
    (tmp_path / "data" / "statutes").mkdir(parents=True)  # a shared data folder without the archive: never a real ingest
    proc = _run_script("-m", "legalret", "bench", "speed", "--mode", "bm25", "--limit", "5", "--no-references",
                       "--queries", str(bad), "--out", str(tmp_path / "out"), cwd=tmp_path,
                       env={"LEGALRET_DATA": str(tmp_path / "data")})
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}: 6 of 7 lines are unusable"), proc.stderr
    assert "Traceback" not in proc.stderr


# ---- 2. --holdings read strictly, no qid shared with a question --------------------------------------
@pytest.mark.parametrize("script", ["style_eval", "law_eval"])
def test_holdings_are_read_strictly(tmp_path, script):
    module = _script(script)
    questions = _questions(tmp_path / "q.jsonl")
    holdings = _jsonl(tmp_path / "h.jsonl", [{"qid": "h1", "query": "판시사항", "gold": ["민법 제194조"]},
                                              {"qid": "h2", "gold": ["민법 제194조"]}])
    args = (str(questions), "report", str(holdings)) if script == "style_eval" else \
        ([str(questions)], "report", str(holdings), "report")
    with pytest.raises(SourceError) as e:
        module.load_sets(*args, None, 0)
    assert str(e.value).startswith(f"{holdings}: 1 of 2 holdings lines are unusable — {holdings}:2: query:")


@pytest.mark.parametrize("script", ["style_eval", "law_eval"])
def test_a_holding_may_not_share_a_question_qid(tmp_path, script):
    """A holding ``user-002`` next to the question ``user-002`` was scored twice under one qid; compare_runs then
    failed on the result ("appears twice in per_query")."""
    module = _script(script)
    questions = _questions(tmp_path / "q.jsonl")
    holdings = _holdings(tmp_path / "h.jsonl", ("h1", "user-002", "user-001"))
    args = (str(questions), "report", str(holdings)) if script == "style_eval" else \
        ([str(questions)], "report", str(holdings), "report")
    with pytest.raises(SourceError) as e:
        module.load_sets(*args, None, 0)
    msg = str(e.value)
    assert msg.startswith(f"{holdings}:2: qid: 'user-002' is also the qid of the question at {questions}:2")
    assert "(and 1 more holdings)" in msg and "\n" not in msg
    # distinct qids: both sets, the holdings sampled with the seed
    ok = _holdings(tmp_path / "ok.jsonl", [f"h{i}" for i in range(5)])
    args = (str(questions), "report", str(ok)) if script == "style_eval" else ([str(questions)], "report", str(ok), "report")
    qs = module.load_sets(*args, 3, 0)
    assert [q.extra["style"] for q in qs] == ["short", "short", "holding", "holding", "holding"]


def test_style_eval_holdings_sample_is_the_one_load_queries_draws(tmp_path):
    """Reading holdings strictly must not change which holdings a seed samples (results stay comparable)."""
    from legalret.evaluate.quality import load_queries

    holdings = _holdings(tmp_path / "h.jsonl", [f"h{i}" for i in range(40)])
    qs = _script("style_eval").load_sets(str(_questions(tmp_path / "q.jsonl")), "report", str(holdings), 7, 3)
    assert [q.qid for q in qs if q.extra["style"] == "holding"] == [h.qid for h in load_queries(holdings, limit=7, seed=3)]


def test_law_eval_refuses_two_question_files_sharing_a_qid(tmp_path):
    a, b = _questions(tmp_path / "a.jsonl"), _questions(tmp_path / "b.jsonl", ("other-1", "user-001"))
    with pytest.raises(SourceError, match=rf"b\.jsonl:2: qid: 'user-001' is also the qid of the question at .*a\.jsonl:1"):
        _script("law_eval").load_sets([str(a), str(b)], "report", None, "report", None, 0)


# ---- 3. one error line, exit 1, for ordinary mistakes ------------------------------------------------
@pytest.mark.parametrize("script", ["style_eval", "law_eval"])
def test_eval_scripts_print_one_error_line(tmp_path, capsys, script):
    main = _script(script).main
    questions = _questions(tmp_path / "q.jsonl")
    out = ["--retrievers", "bm25", "--out", str(tmp_path / "out")]

    def error_of(*argv: str) -> str:
        assert main([*argv, *out]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: "), err
        return err[0]

    assert error_of("--index", str(tmp_path / "no-index"), "--questions", str(questions)) == \
        f"error: no index at {tmp_path / 'no-index'}: build one with `legalret index build SOURCES --index {tmp_path / 'no-index'}`"
    nostyle = _jsonl(tmp_path / "nostyle.jsonl", [{"qid": "q1", "query": "간접점유", "gold": ["민법 제194조"], "split": "report"}])
    assert error_of("--index", str(tmp_path), "--questions", str(nostyle)) == \
        f"error: {nostyle}:1: style: missing field 'style'"
    assert error_of("--index", str(tmp_path), "--questions", str(tmp_path / "missing.jsonl")).startswith(
        f"error: {tmp_path / 'missing.jsonl'}: ")
    bad = _jsonl(tmp_path / "h.jsonl", BAD_QUERY_LINES)
    assert error_of("--index", str(tmp_path), "--questions", str(questions), "--holdings", str(bad)).startswith(
        f"error: {bad}: 6 of 7 holdings lines are unusable")
    tune_only = _jsonl(tmp_path / "tune.jsonl", [{"qid": "t1", "query": "간접점유", "gold": ["민법 제194조"],
                                                  "style": "short", "split": "tune"}])
    assert "no question of the report split" in error_of("--index", str(tmp_path), "--questions", str(tune_only))
    with pytest.raises(SystemExit) as usage:  # argparse's own errors keep exit status 2
        main(["--index", str(tmp_path), "--holdings-limit", "-5"])
    assert usage.value.code == 2 and "--holdings-limit: a whole number ≥ 0, not -5" in capsys.readouterr().err


@pytest.mark.parametrize("script", ["style_eval", "law_eval"])
def test_an_out_that_is_a_file_is_refused_before_the_index_is_read(tmp_path, capsys, script):
    # before: the whole run went by, then write_result failed on it; now the missing index is not even reached
    taken = tmp_path / "results"
    taken.write_text("a file, not a folder\n", encoding="utf-8")
    argv = ["--index", str(tmp_path / "no-index"), "--questions", str(_questions(tmp_path / "q.jsonl")),
            "--retrievers", "bm25"]
    stem = "style_report" if script == "style_eval" else "law_report"
    assert _script(script).main([*argv, "--out", str(taken)]) == 1
    assert capsys.readouterr().err.strip() == f"error: --out {taken / stem}.json: {taken} is a file, not a folder"
    assert _script(script).main([*argv, "--out", str(taken / "below")]) == 1  # a folder under the file: the same
    assert capsys.readouterr().err.strip() == f"error: --out {taken / 'below' / stem}.json: {taken} is a file, not a folder"
    assert _script(script).main([*argv, "--out", str(tmp_path / "new" / "deeper")]) == 1  # a folder to make: fine
    assert capsys.readouterr().err.strip().startswith("error: no index at ")


def test_a_report_piped_into_head_ends_without_a_traceback(tmp_path):
    run = _style_result(tmp_path)
    script = ROOT / "benchmarks" / "compare_runs.py"
    proc = subprocess.run(f"{sys.executable} {script} {run} {run} --resamples 20 | head -c 1", shell=True,
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0 and proc.stdout == "#" and proc.stderr == "", proc.stderr


def test_style_eval_names_an_index_without_facts_in_one_line(tmp_path, monkeypatch):
    se = _script("style_eval")

    class NoFacts:  # what Searcher gives for an index built without --facts
        facts = None

    monkeypatch.setattr("legalret.search.searcher.Searcher", lambda *a, **k: NoFacts())
    with pytest.raises(LegalretError, match=r"no facts memory \(build the index with --facts\)"):
        se.run_retrievers(tmp_path, [], ["facts"], before="2020-01-01", ranker=None, n_resamples=10, seed=0)


def test_style_eval_run_as_a_script_has_no_traceback(tmp_path):
    proc = _run_script(str(ROOT / "benchmarks" / "style_eval.py"), "--index", str(tmp_path / "nope"), "--questions",
                       str(_questions(tmp_path / "q.jsonl")), "--retrievers", "bm25", "--out", str(tmp_path / "out"),
                       cwd=tmp_path)
    assert proc.returncode == 1 and proc.stderr.strip() == (
        f"error: no index at {tmp_path / 'nope'}: build one with `legalret index build SOURCES --index {tmp_path / 'nope'}`")


def _style_result(tmp_path: Path, name: str = "run.json") -> Path:
    """A small style_eval-shaped result (schema and per_query as style_eval writes them)."""
    result = {"schema": "legalret.bench.style/1", "settings": {}, "retrievers": ["default"],
              "per_query": {"qid": ["q1", "q2"], "style": ["short", "short"], "family": ["민사·상사"] * 2,
                            "metrics": ["recall@10", "mrr@10", "recall@100"],
                            "default": [[1.0, 1.0, 1.0], [0.0, 0.0, 1.0]]}}
    path = tmp_path / name
    path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return path


def test_compare_runs_refuses_files_that_are_not_results_in_one_line(tmp_path):
    from legalret.evaluate.quality import SCHEMA as QUALITY_SCHEMA

    script = str(ROOT / "benchmarks" / "compare_runs.py")
    run = _style_result(tmp_path)

    def error_of(*argv: str) -> str:
        proc = _run_script(script, *argv, cwd=tmp_path)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        err = proc.stderr.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: "), err
        return err[0]

    assert error_of(str(tmp_path / "nonexist.json"), str(run)) == f"error: {tmp_path / 'nonexist.json'}: no such file"
    md = tmp_path / "run.md"
    md.write_text("### Retrieval quality per question style\n\n| retriever |\n", encoding="utf-8")
    assert error_of(str(run), str(md)) == (f"error: {md}: not a JSON result (Expecting value at line 1 column 1); "
                                           "give run.json, the result beside it")
    # 4. a `legalret bench quality` report is named as such (not "written before style_eval kept a per_query table")
    quality = tmp_path / "quality-civil-commercial.json"
    quality.write_text(json.dumps({"schema": QUALITY_SCHEMA, "settings": {}, "queries": {}, "index": {}, "modes": {},
                                   "comparisons": {}}), encoding="utf-8")
    msg = error_of(str(quality), str(run))
    assert msg.startswith(f"error: {quality} is a `legalret bench quality` report; compare_runs compares "
                          "style_eval/law_eval results") and "per_query table (a result written before" not in msg
    per_query_rows = _jsonl(tmp_path / "quality-civil-commercial.per_query.jsonl", [{"mode": "bm25", "qid": "q1"}] * 2)
    assert "`legalret bench quality`" in error_of(str(run), str(per_query_rows))
    speed = tmp_path / "speed.json"
    speed.write_text(json.dumps({"schema": "legalret.bench.speed/1"}), encoding="utf-8")
    assert error_of(str(speed), str(run)) == (f"error: {speed} is a legalret.bench.speed/1 result; compare_runs compares "
                                              "style_eval/law_eval results")
    # the run itself is fine
    proc = _run_script(script, str(run), str(run), "--resamples", "20", cwd=tmp_path)
    assert proc.returncode == 0 and "| short | 2 | 0.500 | 0.500 | +0.000" in proc.stdout, proc.stderr


# ---- 5. small ones ----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["-5", "0", "many"])
def test_compare_runs_resamples_must_be_positive(tmp_path, capsys, value):
    run = _style_result(tmp_path)
    with pytest.raises(SystemExit) as e:
        _script("compare_runs").main([str(run), str(run), "--resamples", value])
    assert e.value.code == 2 and "argument --resamples: a whole number ≥ 1" in capsys.readouterr().err


def test_law_eval_report_without_holdings_says_none():
    from legalret.evaluate.breakdown import breakdown
    from legalret.evaluate.quality import EvalQuery

    queries = [EvalQuery(qid="q1", query="질문", gold=["민법 제1조"], extra={"style": "short", "family": "민사·상사"})]
    settings = {"index_label": "`idx`", "questions": ["law_questions.jsonl"], "split": "report", "holdings": None,
                "holdings_split": "report", "holdings_limit": 1500, "before": "2020-01-01", "n_resamples": 20}
    table = breakdown(queries, {"bm25": [{"recall@10": 1.0, "mrr@10": 1.0, "recall@100": 1.0}]}, n_resamples=20)
    md = _script("law_eval").report_markdown({"settings": settings, "breakdown": table})
    assert "holdings: — (none)." in md and "sample 1500" not in md and "report half, sample" not in md
    md = _script("law_eval").report_markdown({"settings": settings | {"holdings": "/x/law_holdings.jsonl"},
                                              "breakdown": table})
    assert "holdings: law_holdings.jsonl (report half, sample 1500)." in md


def test_style_eval_markdown_leaves_out_paired_differences_when_nothing_is_paired():
    from legalret.evaluate.quality import EvalQuery

    style_eval = _script("style_eval")
    queries = [EvalQuery(qid=f"q{i}", query="질문", gold=["민법 제1조"], extra={"style": "short"}) for i in range(3)]
    rows = [{"recall@10": v, "mrr@10": v, "recall@100": 1.0} for v in (1.0, 0.0, 1.0)]

    def md_of(results: dict) -> str:
        result = {"settings": {"questions": "q.jsonl", "split": "report", "index_label": "`idx`", "before": "2020-01-01",
                               "n_resamples": 20},
                  "retrievers": list(results), "styles": style_eval.per_style(queries, results, n_resamples=20, seed=0)}
        return style_eval.markdown(result)

    md = md_of({"bm25": rows})
    assert "| bm25 |" in md and "Paired differences" not in md and "| comparison | style |" not in md
    md = md_of({"two-way": rows, "default": [dict(r, **{"recall@10": 1.0}) for r in rows]})
    assert "Paired differences" in md and "| default - two-way | short | +0.333 [" in md


def test_replacing_a_committed_result_is_said(tmp_path, capsys):
    """The documented style_eval/law_eval commands write into benchmarks/results: a run with other settings replaced
    the file docs/results.md is generated from (tests/test_results_doc.py then failed) without a word."""
    style_eval = _script("style_eval")
    results = ROOT / "benchmarks" / "results"
    committed = style_eval.committed_result(results, "style_report")
    assert committed == "benchmarks/results/style_report.json"
    assert style_eval.committed_result(tmp_path, "style_report") is None  # --out elsewhere
    assert style_eval.committed_result(results, "no_such_result") is None  # a new file replaces nothing
    style_eval.note_replaced(committed)
    err = capsys.readouterr().err
    assert err.startswith("note: replaced benchmarks/results/style_report.json, a committed result") and err.count("\n") == 1
