"""legalret.serve.wording: the answer as the page says it — 0–100 relevance, Korean retriever names, the
re-ranker's reasons grouped per retriever, precedent facts from where they start."""

import sys
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
sys.path.insert(0, str(Path(__file__).parent))
import index_support as sup  # noqa: E402

import re  # noqa: E402

import pytest  # noqa: E402

from legalret.serve.wording import (  # noqa: E402
    CONTRIBUTION_LABELS,
    contributions,
    facts_excerpt,
    lawyer_view,
)
from legalret.search.relevance import relevance  # noqa: E402
from _relevance_hits_s19 import rated  # noqa: E402

# The data behind an explain line 'learned fusion: memory_score*memory_top +7.97, bm25_rr -1.20, dense_logrank
# +0.55, parties +0.10; facts features +0.40 (facts_share +0.30, facts_rr +0.10)', as the response carries it.
FEATURES = [
    {"feature": "memory_score*memory_top", "group": "memory", "value": 7.97},
    {"feature": "bm25_rr", "group": "bm25", "value": -1.2},
    {"feature": "dense_logrank", "group": "dense", "value": 0.55},
    {"feature": "parties", "group": "question", "value": 0.1},
    {"feature": "facts_share", "group": "facts", "value": 0.3},
    {"feature": "facts_rr", "group": "facts", "value": 0.1},
]


def test_contributions_grouped_per_retriever_in_korean():
    out = contributions(FEATURES)
    assert [c["label"] for c in out] == ["유사 판례 투표", "조문 본문 일치", "의미 유사도", "유사 사실관계 판례 투표", "질문의 유형"]
    assert out[0]["share"] == 1.0 and out[0]["direction"] == 1 and out[0]["value"] == 7.97
    assert out[1]["direction"] == -1 and out[1]["share"] == round(1.20 / 7.97, 3)
    assert next(c for c in out if c["group"] == "facts")["value"] == 0.40
    assert contributions([]) == []  # not re-ranked: no bars
    hit = lawyer_view(rated([{"score": 2.0, "ranks": {"bm25": 1}, "reasons": ["bm25: rank 1, score 3.0000"]}],
                            learned=True))[0]
    assert hit["contributions"] == [] and hit["signals"][0]["label"] == "조문 본문 일치"  # explained, not re-ranked


def test_every_ranker_feature_has_a_group_the_page_names():
    from legalret.search.ranker import FEATURES as ALL, catalogue

    groups = {f: catalogue().group(f) for f in ALL}
    assert groups["memory_score*memory_top"] == "memory" and groups["bm25_rr*log_len"] == "bm25"
    assert groups["profile_rr"] == "profile" and groups["agree_top10"] == "agreement" and groups["fused_rr"] == "agreement"
    assert groups["facts_share_rr"] == "facts" and groups["best_rr"] == groups["shares_sum"] == "agreement"
    # what falls to 'question' describes the query only (its length, party names, numbers …), no retriever
    assert {f for f, g in groups.items() if g == "question"} == {"log_len", "parties", "numbers", "question"}
    assert set(groups.values()) <= set(CONTRIBUTION_LABELS)  # every bar gets a Korean label


# 'memory_rr +0.84' in a 'learned fusion: …' explain line (the test reads the text to compare it with the data)
_TERM = re.compile(r"([^\s(,]+) ([+-]\d+\.\d\d)\b")


@pytest.fixture(scope="module")
def learned_index(tmp_path_factory):
    """Both memories and dense vectors (the tiny encoder): the shipped re-ranker ranks this index's hybrid."""
    from test_facts import FACTS, PRECEDENTS

    from legalret import pipeline
    from legalret.precedents.facts import read_facts

    idx = tmp_path_factory.mktemp("wording") / "idx"
    pipeline.build(sup.articles(), idx, encoder=sup.tiny_encoder(), precedents=PRECEDENTS,
                   facts=read_facts(FACTS, on_error=lambda e: None))
    return idx


def test_response_carries_the_learned_contributions_as_data(learned_index):
    """Each re-ranked hit carries the features of its 'learned fusion' line as data (name, group, value), in the
    line's order, each once; a cited hit, a search without explain and a one-retriever mode carry none."""
    from test_facts import SCENARIO

    from legalret.search.ranker import catalogue
    from legalret.search.response import search_response
    from legalret.search.searcher import Searcher

    s = Searcher(learned_index, encoder=sup.tiny_encoder())
    assert s.ranker is not None and "facts" in s.opened
    results = s.search("민법 제750조 " + SCENARIO, k=5, explain=True)
    body = search_response(results, "hybrid", notices=s.notices)
    cited, *ranked = body["hits"]
    assert "citation" in cited["ranks"] and "feature_contributions" not in cited
    assert len(ranked) == 4
    for hit in ranked:
        line = next(r for r in hit["reasons"] if r.startswith("learned fusion: "))
        terms = [(name, value) for name, value in _TERM.findall(line) if name != "features"]  # ('facts features +0.40')
        written = dict(terms)  # a facts feature may be written twice (in the top four and in the facts part)
        data = hit["feature_contributions"]
        assert [f["feature"] for f in data] == list(dict.fromkeys(name for name, _ in terms))
        assert all(abs(f["value"] - float(written[f["feature"]])) <= 0.005 + 1e-6 for f in data)  # the line rounds
        assert all(f["group"] == catalogue().group(f["feature"]) for f in data)
        assert any(f["group"] == "facts" for f in data)  # the facts memory's features are always listed
    assert [h.contributions for h in results[1:]] == [h["feature_contributions"] for h in ranked]
    plain = search_response(s.search(SCENARIO, k=3), "hybrid")["hits"]
    bm25 = search_response(s.search("유치권 점유", k=3, mode="bm25", explain=True), "bm25")["hits"]
    assert plain and bm25 and not any("feature_contributions" in h for h in plain + bm25)


def test_api_groups_the_learned_contributions_from_the_data(learned_index):
    from test_facts import SCENARIO

    from legalret.serve.app import create_app

    body = TestClient(create_app(learned_index)).get("/api/search", params={"q": SCENARIO, "k": 3, "explain": 1}).json()
    assert body["mode"] == "hybrid" and len(body["hits"]) == 3
    for hit in body["hits"]:
        totals: dict[str, float] = {}
        for f in hit["feature_contributions"]:
            totals[f["group"]] = totals.get(f["group"], 0.0) + f["value"]
        bars = hit["contributions"]
        assert bars and [b["group"] for b in bars] == sorted((g for g in totals if abs(totals[g]) >= 0.005),
                                                              key=lambda g: -abs(totals[g]))
        assert all(b["value"] == round(totals[b["group"]], 2) and b["label"] == CONTRIBUTION_LABELS[b["group"]]
                   for b in bars)
        assert bars[0]["share"] == 1.0 and all(b["direction"] == (1 if b["value"] > 0 else -1) for b in bars)


def test_relevance_is_0_to_100_never_negative():
    assert relevance({"score": -3.2, "ranks": {"bm25": 1}}, learned=True, best=0) == 4
    assert relevance({"score": 7.97, "ranks": {}}, learned=True, best=0) == 100
    assert relevance({"score": 6.0, "ranks": {"bm25": 2}}, learned=False, best=12.0) == 50
    assert relevance({"score": 99.0, "ranks": {"citation": 1}}, learned=True, best=1.0) == 100
    hits = lawyer_view(rated([{"score": s, "ranks": {"bm25": i}, "reasons": []}
                              for i, s in enumerate((-1.0, -2.5, -9.0), 1)], learned=True))
    assert [h["relevance"] for h in hits] == [27, 8, 0]


def test_no_relevance_when_nothing_in_the_query_matched():
    """"zzqqxx" got 관련도 100 under the notice saying nothing matched, "김치찌개 레시피" 97: the dense list's guesses
    and the facts memory's (character n-grams: pieces of words) get no relevance; an exact citation, or a hit the
    holdings memory voted for (its texts are not the articles'), keeps its own."""
    hits = [{"score": 9.0, "ranks": {"dense": 1}, "reasons": []}, {"score": 99.0, "ranks": {"citation": 1}, "reasons": []},
            {"score": 2.0, "ranks": {"dense": 7, "facts": 1}, "reasons": []},
            {"score": 2.0, "ranks": {"dense": 9, "memory": 1}, "reasons": []}]
    notices = ["nothing in the query matched this index: no article contains 'zzqqxx'; any hits are only …"]
    view = lawyer_view(rated(hits, learned=True, notices=notices))
    assert [h["relevance"] for h in view] == [None, 100, None, 88]
    assert [h["relevance"] for h in lawyer_view(rated(hits, learned=True))] == [100, 100, 88, 88]


def test_facts_excerpt_starts_at_the_facts():
    assert facts_excerpt("상고이유를 판단한다.\n 원심은 피고가 …").startswith("원심은")
    assert facts_excerpt("검사의 상고이유를 본다.\n1. 처분의 경위\n원고는 2019. 3. 1. …").startswith("원고는")
    long_opening = "상고이유(상고이유서 제출기간이 지난 후에 제출된 상고이유보충서 기재는 상고이유를 보충하는 범위 내에서)를 판단한다.\n 가. 사실관계\n 피고는 …"
    assert facts_excerpt(long_opening).startswith("피고는")
    assert facts_excerpt("1. 인정 사실 가. 원고는 여객자동차 운송사업을 …").startswith("원고는")
    assert facts_excerpt("원고는 자동차 수리업자로서 …") == "원고는 자동차 수리업자로서 …"  # already the facts


def test_api_search_carries_the_lawyer_view(tmp_path):
    from test_facts import SCENARIO, build_with_memories

    from legalret.serve.app import create_app

    idx = tmp_path / "idx"
    build_with_memories(idx)
    c = TestClient(create_app(idx))
    body = c.get("/api/search", params={"q": SCENARIO, "k": 5, "explain": 1}).json()
    hit = next(h for h in body["hits"] if h["key"] == "민법 제320조")
    # the fixture's articles and holdings hold none of the scenario's words (the notice says so): the facts memory's
    # vote is shown as a signal, with no relevance to contradict the notice's "nearest guesses"
    assert body["notices"][0].startswith("nothing in the query matched") and hit["relevance"] is None
    labels = {s["label"]: s["rank"] for s in hit["signals"]}
    assert labels["유사 사실관계 판례 투표"] >= 1 and "조문 본문 일치" in labels
    assert all(p["excerpt"] for p in hit["precedents"])
    plain = c.get("/api/search", params={"q": "민법 제750조", "k": 1}).json()["hits"][0]
    assert plain["relevance"] == 100 and "signals" not in plain  # (explain's: a cited hit had them always)
    cited = c.get("/api/search", params={"q": "민법 제750조", "k": 1, "explain": 1}).json()["hits"][0]
    assert [s["label"] for s in cited["signals"]] == ["정확 인용"]  # an exact citation
