"""Honest evaluation by construction: dated queries let only earlier, other decisions vote; undated ones on
an index with a memory are refused (or run labelled) — legalret.evaluate.leakage, bench quality."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup

from legalret.errors import SourceError
from legalret.evaluate.leakage import LeakageError, memory_date_range, plan_leakage
from legalret.evaluate.quality import EvalQuery, evaluate, load_queries
from legalret.index import build_index
from legalret.search.searcher import Searcher

HOLDING = "임차인이 임차목적물을 반환할 때까지 보증금 반환을 거절할 수 있는지 여부"
PRECEDENTS = [
    {"case_no": "2019다1001", "decided": date(2019, 3, 1), "source": "fixture",
     "holdings": [{"index": 1, "text": HOLDING, "keys": ["민법 제618조"]}]},
    {"case_no": "2017다3003", "decided": date(2017, 1, 9), "source": "fixture",
     "holdings": [{"index": 1, "text": "보험계약자의 고지의무 위반을 이유로 보험자가 계약을 해지할 수 있는 기간",
                   "keys": ["상법 제651조"]}]},
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("leak") / "idx"
    try:  # the memory is written inside the index generation by legalret.pipeline (older trees: build_index)
        from legalret import pipeline
    except ImportError:
        build_index(sup.articles(), d, model="none", precedents=PRECEDENTS)
    else:
        pipeline.build(sup.articles(), d, model="none", precedents=PRECEDENTS)
    return d


@pytest.fixture(scope="module")
def searcher(index_dir):
    return Searcher(index_dir)


def _q(qid, text, gold, **extra):
    return EvalQuery(qid=qid, query=text, gold=gold, extra=extra)


def test_memory_range_is_read(searcher):
    assert memory_date_range(searcher) == ("2017-01-09", "2019-03-01")


def test_undated_queries_on_a_memory_index_are_refused(searcher):
    qs = [_q("a", HOLDING, ["민법 제618조"])]
    with pytest.raises(LeakageError, match="--allow-leakage") as e:
        evaluate(searcher, qs, modes=("bm25", "memory"), n_resamples=10)
    assert "2017-01-09 … 2019-03-01" in str(e.value)
    # modes where the memory does not vote need no dates
    report = evaluate(searcher, qs, modes=("bm25",), n_resamples=10)
    assert report.settings.leakage["policy"] == "no-memory"


def test_allow_leakage_runs_and_labels(searcher):
    report = evaluate(searcher, [_q("a", HOLDING, ["민법 제618조"])], modes=("memory",), n_resamples=10, allow_leakage=True)
    leak = report.settings.leakage
    assert leak["policy"] == "allowed" and "LEAKAGE NOT PREVENTED" in leak["label"]
    # the decision itself votes: the leaky number is perfect
    assert report.mean("memory", "recall@1") == 1.0


def test_dated_query_lets_only_earlier_other_decisions_vote(searcher):
    # its own decision (2019-03-01) may not vote: nothing earlier cites 제618조 → not found by the memory
    own = evaluate(searcher, [_q("a", HOLDING, ["민법 제618조"], date="2019-03-01", case_no="2019다1001")],
                   modes=("memory",), n_resamples=10)
    assert own.settings.leakage["policy"] == "filtered"
    assert own.mean("memory", "recall@10") == 0.0
    # a later query (another case) may use it
    later = evaluate(searcher, [_q("b", HOLDING, ["민법 제618조"], date="2021-06-01", case_no="2021다9")],
                     modes=("memory",), n_resamples=10)
    assert later.mean("memory", "recall@1") == 1.0
    # the same decision is excluded by its case number even with a later date
    excluded = evaluate(searcher, [_q("c", HOLDING, ["민법 제618조"], date="2021-06-01", case_no="2019다1001")],
                        modes=("memory",), n_resamples=10)
    assert excluded.mean("memory", "recall@10") == 0.0


def test_default_before_covers_undated_queries(searcher):
    plan = plan_leakage(searcher, [_q("a", HOLDING, ["민법 제618조"]), _q("b", "x", ["민법 제1조"], date="2021-01-01")],
                        ("hybrid",), default_before="2018-01-01")
    assert plan.before == ["2018-01-01", "2021-01-01"] and plan.defaulted == 1 and plan.dated == 1
    report = evaluate(searcher, [_q("a", HOLDING, ["민법 제618조"])], modes=("memory",), n_resamples=10,
                      default_before="2018-01-01")
    assert report.mean("memory", "recall@10") == 0.0



def test_a_default_before_after_every_decision_is_said(searcher):
    """--before 2999-01-01 filters nothing by date: the undated queries' own decisions may vote. It had been taken in
    silence (policy 'filtered', no note), as leaky as --allow-leakage; a date inside the memory's span says nothing."""
    late = plan_leakage(searcher, [_q("a", HOLDING, ["민법 제618조"])], ("hybrid",), default_before="2999-01-01")
    assert late.notes == ["--before 2999-01-01 is after the memory's newest decision (2019-03-01): for the query "
                          "without a date it filters nothing, so their own decisions may vote"]
    assert not plan_leakage(searcher, [_q("a", HOLDING, ["민법 제618조"])], ("hybrid",), default_before="2018-06-01").notes
    assert plan_leakage(searcher, [_q("a", HOLDING, ["민법 제618조"])], ("hybrid",), default_before="20180601").before == [
        "2018-06-01"]

def test_query_file_dates_are_checked(tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text('{"qid": "1", "query": "보증금", "gold": ["민법 제618조"], "date": "2021-02-30"}\n'
                 '{"qid": "2", "query": "보증금", "gold": ["민법 제618조"], "date": "2021-02-03", "case_no": "2021다1"}\n',
                 encoding="utf-8")
    qs = load_queries(f)
    assert len(qs) == 1 and qs.queries[0].extra == {"date": "2021-02-03", "case_no": "2021다1"}
    err = qs.errors[0]
    assert isinstance(err, SourceError) and err.line == 1 and err.field == "date"


def test_bench_cli_refuses_then_labels(index_dir, tmp_path):
    from typer.testing import CliRunner

    from legalret.cli import app

    qfile = tmp_path / "q.jsonl"
    qfile.write_text(json.dumps({"qid": "a", "query": HOLDING, "gold": ["민법 제618조"]}, ensure_ascii=False) + "\n",
                     encoding="utf-8")
    runner = CliRunner()
    args = ["bench", "quality", "--index", str(index_dir), "--queries", str(qfile), "--mode", "bm25,memory",
            "--resamples", "10", "--out", str(tmp_path / "out")]
    refused = runner.invoke(app, args)  # `legalret` (cli.main) prints a LegalretError as one red line, exit 1
    assert refused.exit_code == 1 and isinstance(refused.exception, LeakageError)
    assert "--allow-leakage" in str(refused.exception) and "--before" in str(refused.exception)
    assert not (tmp_path / "out").exists()  # refused before anything is written
    ok = runner.invoke(app, args + ["--before", "2018-01-01"])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "out" / "quality-q.json").is_file()
    leaky = runner.invoke(app, args + ["--allow-leakage"])
    assert leaky.exit_code == 0, leaky.output
    md = (tmp_path / "out" / "quality-q-LEAKY.md").read_text(encoding="utf-8")
    assert md.count("LEAKAGE NOT PREVENTED") == 1
    data = json.loads((tmp_path / "out" / "quality-q-LEAKY.json").read_text(encoding="utf-8"))
    assert data["settings"]["leakage"]["policy"] == "allowed"


def test_older_pairs_files_with_only_decided_are_filtered(searcher):
    """dev_queries.jsonl written before 'date' existed carry 'decided': that date is used."""
    plan = plan_leakage(searcher, [_q("a", HOLDING, ["민법 제618조"], decided="2019-03-01", case_no="2019다1001")], ("memory",))
    assert plan.policy == "filtered" and plan.before == ["2019-03-01"] and plan.exclude == ["2019다1001"]
