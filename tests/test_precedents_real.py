"""The real precedent archive (../shared/data/precedents/precedent-kr.zip): a deterministic sample parses
cleanly and its counts are sane. The whole archive takes ~25 s of CPU, so CI reads every 8th decision."""

from __future__ import annotations

import time
import zipfile

import pytest

from legalret.precedents.citations import ArticleCatalog
from legalret.precedents.parse import PrecedentReport, parse_markdown

STEP = 8  # every 8th member in name order: ~9,000 decisions


@pytest.fixture(scope="module")
def sample(shared_data):
    archive = shared_data / "precedents" / "precedent-kr.zip"
    with zipfile.ZipFile(archive) as zf:
        names = sorted(n for n in zf.namelist() if n.endswith(".md"))
        docs = [(n, zf.read(n).decode("utf-8")) for n in names[::STEP]]
    return len(names), docs


@pytest.fixture(scope="module")
def catalog(shared_data):
    from legalret.ingest.sources import ingest

    articles = ingest([shared_data / "statutes" / "legalize-kr.zip"], laws=["민법", "상법"]).articles
    return ArticleCatalog.from_articles(articles)


@pytest.mark.slow
def test_real_precedent_sample(sample, catalog):
    total, docs = sample
    assert total == 72535
    report = PrecedentReport()
    t0 = time.perf_counter()
    precs = []
    for name, text in docs:
        try:
            precs.append(parse_markdown(text, name, catalog=catalog, report=report))
        except Exception as e:  # pragma: no cover - shows the offending file
            pytest.fail(f"{name}: {e}")
    elapsed = time.perf_counter() - t0
    n = len(precs)
    assert n == len(docs) and report.errors == []
    assert elapsed < 60, f"parsing {n} decisions took {elapsed:.1f}s"
    # every decision of the archive has 판시사항 and 참조조문
    assert all(p.holdings for p in precs)
    assert all(1945 <= p.decided.year <= 2022 for p in precs)  # a few decisions predate 1954
    holdings = report.holdings
    assert 1.4 * n < holdings < 2.0 * n  # 118,606 holdings in 72,535 decisions over the whole archive
    # ~28% of holdings cite a live 민법/상법 article (33k of 119k over the whole archive)
    assert 0.22 < report.holdings_with_keys / holdings < 0.34
    c = report.citations.counts
    assert 0.15 < c["resolved"] / sum(c.values()) < 0.25
    # of the citations of 민법/상법 (all statuses but unknown_law), almost all resolve
    corpus_citations = sum(v for k, v in c.items() if k != "unknown_law")
    assert c["resolved"] / corpus_citations > 0.95
    assert c["former"] > 0 and c["addendum"] > 0
    # alignment: most decisions are either unnumbered or aligned item by item
    a = report.alignment
    assert (a["aligned"] + a["unnumbered"]) / n > 0.9 and a["mismatch"] / n < 0.02
    # a law name is found for practically every citation
    assert report.citations.unresolved_laws[("", "unknown_law")] < 0.001 * sum(c.values())
