"""Precedent memory on real precedents (precedent-kr.zip) with citations resolved against 민법 + 상법."""

from __future__ import annotations

import pytest

from legalret.memory import MemoryVoter, PrecedentMemory, build_memory


@pytest.mark.slow
def test_memory_over_real_precedents(shared_data, tmp_path):
    from legalret.ingest.sources import ingest
    from legalret.precedents.citations import ArticleCatalog
    from legalret.precedents.parse import read_precedents

    articles = ingest([shared_data / "statutes" / "legalize-kr.zip"], kinds=["법률"], laws=["민법", "상법"]).articles
    catalog = ArticleCatalog.from_articles(articles)
    precedents = list(read_precedents([shared_data / "precedents" / "precedent-kr.zip"], catalog=catalog, limit=400))
    memory = build_memory(precedents, keep_keys=set(catalog.live))
    assert len(memory) > 100 and not memory.errors
    assert all(key in catalog for it in memory.items for key in it.keys)

    retriever = MemoryVoter(memory)
    probe = next(it for it in memory.items if len(it.keys) <= 3 and len(it.text) > 30)
    # a holding finds itself, and the articles it cites, when it may vote …
    found = retriever.explain(probe.text, k=10)
    assert found.holdings[0].item.case_no == probe.case_no
    assert set(probe.keys) <= {key for key, _ in found.ranking()}
    # … and never once its own decision or later ones are ruled out
    guarded = retriever.explain(probe.text, k=10, before=probe.decided, exclude=probe.case_no)
    assert all(h.item.case_no != probe.case_no and h.item.decided < probe.decided for h in guarded.holdings)

    loaded = PrecedentMemory.load(memory.save(tmp_path / "memory"))
    assert MemoryVoter(loaded).search(probe.text, k=10) == retriever.search(probe.text, k=10)
