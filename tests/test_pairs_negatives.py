"""BM25 hard negatives (legalret.pairs.negatives)."""

from __future__ import annotations

import pytest

from legalret.ingest.sources import ingest
from legalret.pairs.negatives import NegativeMiner


@pytest.fixture(scope="module")
def miner(fixtures_dir):
    return NegativeMiner(ingest([fixtures_dir / "precedents" / "statutes"]).articles)


def test_negatives_skip_top_and_never_gold(miner):
    query = "보험자가 서면으로 질문한 사항과 고지의무 위반으로 인한 계약해지"
    (all_hits,) = miner.mine([query], [set()], n=20, skip=0)
    assert all_hits[0] in ("상법 제651조", "상법 제651조의2")  # BM25 sees the obvious articles first
    gold = {"상법 제651조의2"}
    (top,) = miner.mine([query], [gold], n=3, skip=0)
    (skipped,) = miner.mine([query], [gold], n=3, skip=1)
    assert "상법 제651조의2" not in top + skipped
    assert skipped == [k for k in all_hits if k not in gold][1:4]
    assert top[1:] == skipped[:-1] or len(top) < 3
    assert "민법 제982조" not in miner.keys  # deleted articles are never candidates


def test_add_negatives_uses_the_whole_gold_of_a_query(miner):
    pairs = [
        {"query": "유치권과 간접점유", "key": "민법 제320조", "gold": ["민법 제320조", "민법 제194조"]},
        {"query": "유치권과 간접점유", "key": "민법 제194조", "gold": ["민법 제320조", "민법 제194조"]},
    ]
    miner.add_negatives(pairs, n=2, skip=0)
    for p in pairs:
        assert len(p["negatives"]) == len(p["negative_keys"]) <= 2
        assert not set(p["negative_keys"]) & {"민법 제320조", "민법 제194조"}
        assert p["negatives"] == [miner.texts[miner.keys.index(k)] for k in p["negative_keys"]]


def test_mismatched_lengths_and_empty_corpus(miner):
    with pytest.raises(ValueError):
        miner.mine(["a", "b"], [set()])
    with pytest.raises(ValueError, match="no live articles"):
        NegativeMiner([])
