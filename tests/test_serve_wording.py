"""legalret.serve.wording: the answer as the page says it — 0–100 relevance, Korean retriever names, the
re-ranker's reasons grouped per retriever, precedent facts from where they start."""

import sys
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
sys.path.insert(0, str(Path(__file__).parent))
import index_support as sup  # noqa: E402

from legalret.serve.wording import contributions, facts_excerpt, feature_group, lawyer_view, relevance  # noqa: E402

# An explain line exactly as Searcher._rerank writes it (features from legalret.search.ranker.FEATURES).
LEARNED = ("learned fusion: memory_score*memory_top +7.97, bm25_rr -1.20, dense_logrank +0.55, parties +0.10; "
           "facts features +0.40 (facts_share +0.30, facts_rr +0.10)")


def test_contributions_grouped_per_retriever_in_korean():
    out = contributions(["bm25: rank 3, score 12.0000, contributes 0.300", LEARNED])
    assert [c["label"] for c in out] == ["유사 판례 투표", "조문 본문 일치", "의미 유사도", "유사 사실관계 판례 투표", "질문의 유형"]
    assert out[0]["share"] == 1.0 and out[0]["direction"] == 1 and out[0]["value"] == 7.97
    assert out[1]["direction"] == -1 and out[1]["share"] == round(1.20 / 7.97, 3)
    assert next(c for c in out if c["group"] == "facts")["value"] == 0.40
    assert contributions(["bm25: rank 1, score 3.0000"]) == []  # not re-ranked: no bars


def test_every_ranker_feature_has_a_group():
    from legalret.search.ranker import FEATURES

    groups = {f: feature_group(f) for f in FEATURES}
    assert groups["memory_score*memory_top"] == "memory" and groups["bm25_rr*log_len"] == "bm25"
    assert groups["profile_rr"] == "profile" and groups["agree_top10"] == "agreement"
    # what falls to 'question' describes the query only (its length, party names, numbers …), no retriever
    assert all(not f.startswith(("bm25", "dense", "memory", "facts", "profile", "fused")) for f, g in groups.items() if g == "question")


def test_relevance_is_0_to_100_never_negative():
    assert relevance({"score": -3.2, "ranks": {"bm25": 1}}, learned=True, best=0) == 4
    assert relevance({"score": 7.97, "ranks": {}}, learned=True, best=0) == 100
    assert relevance({"score": 6.0, "ranks": {"bm25": 2}}, learned=False, best=12.0) == 50
    assert relevance({"score": 99.0, "ranks": {"citation": 1}}, learned=True, best=1.0) == 100
    hits = lawyer_view([{"score": s, "ranks": {"bm25": i}, "reasons": []} for i, s in enumerate((-1.0, -2.5, -9.0), 1)],
                       learned=True)
    assert [h["relevance"] for h in hits] == [27, 8, 0]


def test_facts_excerpt_starts_at_the_facts():
    assert facts_excerpt("상고이유를 판단한다.\n 원심은 피고가 …").startswith("원심은")
    assert facts_excerpt("검사의 상고이유를 본다.\n1. 처분의 경위\n원고는 2019. 3. 1. …").startswith("원고는")
    long_opening = "상고이유(상고이유서 제출기간이 지난 후에 제출된 상고이유보충서 기재는 상고이유를 보충하는 범위 내에서)를 판단한다.\n 가. 사실관계\n 피고는 …"
    assert facts_excerpt(long_opening).startswith("피고는")
    assert facts_excerpt("1. 인정 사실 가. 원고는 여객자동차 운송사업을 …").startswith("원고는")
    assert facts_excerpt("원고는 자동차 수리업자로서 …") == "원고는 자동차 수리업자로서 …"  # already the facts


def test_api_search_carries_the_lawyer_view(tmp_path):
    from test_facts import FACTS, PRECEDENTS, SCENARIO

    from legalret import pipeline
    from legalret.precedents.facts import read_facts
    from legalret.serve.app import create_app

    idx = tmp_path / "idx"
    pipeline.build(sup.articles(), idx, model="none", precedents=PRECEDENTS, facts=read_facts(FACTS, on_error=lambda e: None))
    c = TestClient(create_app(idx))
    body = c.get("/api/search", params={"q": SCENARIO, "k": 5, "explain": 1}).json()
    hit = next(h for h in body["hits"] if h["key"] == "민법 제320조")
    assert 0 <= hit["relevance"] <= 100
    labels = {s["label"]: s["rank"] for s in hit["signals"]}
    assert labels["유사 사실관계 판례 투표"] >= 1 and "조문 본문 일치" in labels
    assert all(p["excerpt"] for p in hit["precedents"])
    plain = c.get("/api/search", params={"q": "민법 제750조", "k": 1}).json()["hits"][0]
    assert plain["relevance"] == 100 and [s["label"] for s in plain["signals"]] == ["정확 인용"]  # an exact citation
