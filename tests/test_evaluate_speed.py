"""Speed helpers: latency percentiles, the rank-bm25 / bm25s references, synthesized queries, speed reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from legalret.articles import Article, Paragraph
from legalret.evaluate.report import speed_markdown, write_speed_report
from legalret.evaluate.speed import (
    dir_size_mb,
    latency_summary,
    machine_info,
    peak_rss_mb,
    reference_bm25,
    rss_mb,
    speed_queries,
    time_queries,
)


def test_latency_summary_percentiles_in_ms():
    s = latency_summary([0.001 * i for i in range(1, 101)])  # 1..100 ms
    assert s["queries"] == 100
    assert s["p50_ms"] == pytest.approx(50.5)
    assert s["p95_ms"] == pytest.approx(95.05)
    assert s["p99_ms"] == pytest.approx(99.01)
    assert s["max_ms"] == pytest.approx(100.0)
    assert latency_summary([])["p50_ms"] is None


def test_time_queries_warms_up_then_times_each_query():
    seen = []
    lat = time_queries(seen.append, ["a", "b", "c", "d", "e"], "t", progress=False)
    assert seen == ["a", "b", "c", "a", "b", "c", "d", "e"]  # 3 untimed warm-up calls first
    assert lat["queries"] == 5 and lat["p50_ms"] >= 0


def test_machine_and_memory_probes():
    info = machine_info()
    assert info["cores"] >= 1 and info["python"] and "bm25s" in info["versions"]
    assert rss_mb() is None or rss_mb() > 1
    assert peak_rss_mb() > 1


def test_dir_size(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.bin").write_bytes(b"x" * 1024 * 1024)
    assert dir_size_mb(tmp_path) == pytest.approx(1.0)


DOCS = {
    "민법 제194조": "간접 점유 지상권 전세권 질권 사용대차 임대차 임치 점유 타인 점유권",
    "민법 제750조": "고의 과실 위법 행위 타인 손해 가해자 배상 책임",
    "상법 제651조": "보험 계약 당시 보험계약자 피보험자 고지 의무 위반 해지",
    "민법 제320조": "유치권 타인 물건 유가증권 점유 채권 변제 유치",
    "민법 제390조": "채무자 채무 내용 이행 채권자 손해 배상 청구",
}


def test_reference_engines_agree_on_an_easy_corpus():
    keys = list(DOCS)
    tokens = [DOCS[k].split() for k in keys]
    queries = ["유치권 점유 채권", "보험 고지 의무 해지", "불법 행위 손해 배상 책임"]
    gold = [["민법 제320조"], ["상법 제651조"], ["민법 제750조"]]
    out = reference_bm25(tokens, keys, queries, gold, str.split, k=1, progress=False)
    assert set(out) == {"rank_bm25", "bm25s"}
    for engine, r in out.items():
        assert r["recall@1"] == 1.0, engine
        assert r["build_s"] >= 0 and r["queries"] == 3 and r["p50_ms"] > 0
    with pytest.raises(ValueError, match="unknown reference engine"):
        reference_bm25(tokens, keys, queries, gold, str.split, engines=("lucene",))


def test_speed_queries_synthesized_are_seeded_and_skip_deleted():
    arts = [Article(law="민법", number=i, title=f"제목{i}", paragraphs=[Paragraph(None, f"본문 {i} 의 내용")]) for i in range(1, 30)]
    arts.append(Article(law="민법", number=99, deleted=True, paragraphs=[Paragraph(None, "삭제")]))
    a = speed_queries(arts, None, 5, seed=1)
    assert a == speed_queries(arts, None, 5, seed=1)
    texts, gold, source = a
    assert len(texts) == 5 and all(g[0] != "민법 제99조" for g in gold)
    assert texts[0].startswith("제목") and "seed 1" in source


def test_speed_queries_from_a_query_file(tmp_path: Path):
    f = tmp_path / "q.jsonl"
    f.write_text("\n".join(json.dumps({"qid": str(i), "query": f"질의{i}", "gold": ["민법 제1조"]}) for i in range(10)), encoding="utf-8")
    texts, gold, source = speed_queries([], str(f), 4, seed=0)
    assert len(texts) == 4 and gold[0] == ["민법 제1조"] and "q.jsonl" in source


def test_speed_report_markdown_and_plot(tmp_path: Path):
    report = {
        "machine": {"cpu": "Test CPU", "threads": 2, "python": "3.12"},
        "corpus": {"name": "civil-commercial", "articles": 2374, "laws": 2, "limit": None},
        "ingest": {"files": 3, "articles": 2374, "seconds": 1.5, "articles_per_second": 1582.7, "mb_per_second": 1.1},
        "build": {"seconds": 10.0, "articles_per_second": 237.4, "disk_mb": 5.5,
                  "stages": {"Kiwi tokenizing": {"seconds": 4.0, "articles_per_second": 593.5},
                             "BM25": {"seconds": 0.2, "articles_per_second": 11870.0}}},
        "memory": {"rss_mb": 420.0, "peak_rss_mb": 450.0},
        "latency": {"bm25": {"p50_ms": 2.0, "p95_ms": 3.0, "p99_ms": 4.0, "mean_ms": 2.2, "queries": 100}},
        "cold_search": {"runs": 3, "median_s": 2.5, "min_s": 2.4},
        "references": {"queries": 50, "tokenizer": "kiwi", "engines": {
            "rank_bm25": {"build_s": 3.0, "p50_ms": 40.0, "p95_ms": 50.0, "p99_ms": 60.0, "mean_ms": 41.0, "recall@10": 0.5}},
            "ratios": {"rank_bm25 query p50": 20.0}},
    }
    md = speed_markdown(report, title="Speed")
    assert "| Kiwi tokenizing | 4.00 | 594 |" in md or "| Kiwi tokenizing | 4.00 | 593.50 |" in md
    assert "| bm25 | 2.00 | 3.00 | 4.00 | 2.20 | 100 |" in md
    assert "rank_bm25 query p50 20.00×" in md and "Machine: Test CPU, 2 threads, Python 3.12." in md
    report["machine"]["threads"] = None  # a run that never loaded torch: no "? threads"
    assert "Machine: Test CPU, Python 3.12." in speed_markdown(report)
    paths = write_speed_report(report, tmp_path, name="s")
    assert paths["plot"].read_bytes()[:4] == b"\x89PNG"
    assert json.loads(paths["json"].read_text(encoding="utf-8"))["corpus"]["articles"] == 2374


@pytest.mark.slow
def test_run_speed_bm25_on_a_slice_of_the_real_corpus(shared_data: Path, tmp_path: Path):
    """The whole speed pipeline on 150 real articles, BM25 only: every section is filled in."""
    from legalret.evaluate.speed import run_speed

    report = run_speed("civil-commercial", work_dir=tmp_path, modes=("bm25",), limit=150, n_queries=10,
                       n_reference_queries=5, cold_runs=1, data_dir=shared_data, progress=False)
    assert report["ingest"]["articles"] > 2000 and report["corpus"]["articles"] == 150
    stages = report["build"]["stages"]
    assert {"Kiwi tokenizing", "BM25"} <= set(stages) and "FAISS" not in stages  # BM25-only build
    assert report["build"]["disk_mb"] > 0
    assert report["memory"].get("rss_mb", 0) > 50, report["memory"]
    assert report["latency"]["bm25"]["queries"] == 10 and report["latency"]["bm25"]["p50_ms"] > 0
    assert report["cold_search"].get("median_s", 0) > 0, report["cold_search"]
    engines = report["references"]["engines"]
    assert set(engines) == {"legalret bm25", "rank_bm25", "bm25s"}
    # synthesized queries (title + first words of an article) are found by every engine most of the time
    assert all(e["recall@10"] >= 0.5 for e in engines.values()), engines
    assert set(report["references"]["ratios"]) >= {"rank_bm25 query p50", "bm25s query p50"}
    assert not (tmp_path / "index-civil-commercial").exists()  # the temporary index is removed


def test_a_reused_index_must_hold_the_corpus_it_reports(tmp_path: Path):
    """`bench speed --corpus all-acts --index <민법+상법 index>` reported "all-acts: 85,401 articles" with the small
    index's latency and size: an index reused for a corpus's report must hold that corpus's laws."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
    import index_support as sup

    from legalret.errors import LegalretError
    from legalret.evaluate.speed import check_index_holds
    from legalret.index.build import build_index

    build_index(sup.articles(), tmp_path / "idx", model="none")
    laws = {a.law for a in sup.articles()}
    check_index_holds(tmp_path / "idx", "civil-commercial", laws)  # its own laws: fine
    with pytest.raises(LegalretError, match=r"is not an index of --corpus all-acts: it lacks 1 of the corpus's"):
        check_index_holds(tmp_path / "idx", "all-acts", laws | {"형법"})
