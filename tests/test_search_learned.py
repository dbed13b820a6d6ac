"""The default ``hybrid`` mode: the index's fusion, then the learned re-ranker (legalret.search.ranker)."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402
from test_search_memory import PRECEDENTS  # noqa: E402

from legalret import pipeline  # noqa: E402
from legalret.config import SHIPPED_RANKER  # noqa: E402
from legalret.search.ranker import FEATURES, Ranker  # noqa: E402
from legalret.search.searcher import Searcher  # noqa: E402

QUERY = "타인의 물건을 점유한 자가 유치권을 주장할 수 있는지"


@pytest.fixture(scope="module")
def index_with_memory(tmp_path_factory):
    d = tmp_path_factory.mktemp("learned") / "idx"
    pipeline.build(sup.articles(), d, encoder=sup.tiny_encoder(), precedents=PRECEDENTS)
    return d


def _only(feature: str, weight: float = 1.0) -> Ranker:
    """A ranker that looks at one feature: the order it gives is known in advance."""
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index(feature)] = weight
    return Ranker(coef=coef, mean=np.zeros(len(FEATURES)), scale=np.ones(len(FEATURES)), depth=50)


def test_shipped_ranker_loads_and_applies_by_default(index_with_memory):
    assert Ranker.load(SHIPPED_RANKER).info["requires"] == ["bm25", "dense", "memory"]
    s = Searcher(index_with_memory, encoder=sup.tiny_encoder())
    assert s.ranker is not None
    hits = s.search(QUERY, k=5, explain=True)
    assert hits and all(any(r.startswith("learned fusion: ") for r in h.reasons) for h in hits)


def test_the_ranker_decides_the_hybrid_order(index_with_memory):
    """A ranker that trusts only BM25 reproduces BM25's order; one that trusts only dense, dense's."""
    by_bm25 = Searcher(index_with_memory, encoder=sup.tiny_encoder(), ranker=_only("bm25_rr"))
    by_dense = Searcher(index_with_memory, encoder=sup.tiny_encoder(), ranker=_only("dense_rr"))
    bm25_order = [h.key for h in by_bm25.search(QUERY, k=5, mode="bm25")]
    dense_order = [h.key for h in by_dense.search(QUERY, k=5, mode="dense")]
    assert bm25_order != dense_order  # otherwise the test shows nothing
    assert [h.key for h in by_bm25.search(QUERY, k=5)][:3] == bm25_order[:3]
    assert [h.key for h in by_dense.search(QUERY, k=5)][:3] == dense_order[:3]
    # the hand-set fusion stays available as its own mode, untouched by the ranker
    convex = [h.key for h in by_bm25.search(QUERY, k=5, mode="convex")]
    assert convex == [h.key for h in Searcher(index_with_memory, encoder=sup.tiny_encoder(), ranker=None).search(QUERY, k=5)]


def test_exact_citations_stay_first(index_with_memory):
    s = Searcher(index_with_memory, encoder=sup.tiny_encoder(), ranker=_only("dense_rr"))
    hits = s.search("민법 제320조 유치권 점유", k=5)
    assert hits[0].key == "민법 제320조" and "citation" in hits[0].ranks
    assert len({h.key for h in hits}) == len(hits)


def test_no_ranker_without_every_list_it_reads(index_with_memory, monkeypatch):
    assert Searcher(index_with_memory, encoder=sup.tiny_encoder(), memory=False).ranker is None
    monkeypatch.setenv("LEGALRET_RANKER", "none")
    assert Searcher(index_with_memory, encoder=sup.tiny_encoder()).ranker is None


def test_hybrid_candidates_carry_their_profile_rank_for_the_ranker(index_with_memory):
    """The memory's article profiles rank each fused candidate; the hand-set order is unchanged by them, a ranker
    that reads only the profile rank orders the candidates by it."""
    s = Searcher(index_with_memory, encoder=sup.tiny_encoder(), ranker=_only("profile_rr"))
    convex = s.search(QUERY, k=s.ranker.depth, mode="convex")  # the ranker's candidates, in the hand-set order
    ranked = [h for h in convex if "profile" in h.ranks]
    assert 2 <= len(ranked) < len(convex) and all(h.scores["profile"] > 0 for h in ranked)
    by_profile = [h.key for h in s.search(QUERY, k=len(ranked))]
    assert by_profile == [h.key for h in sorted(ranked, key=lambda h: h.ranks["profile"])]
    annotators, s.annotators = s.annotators, []  # without the profiles: the same hand-set order, no profile ranks
    plain = s.search(QUERY, k=s.ranker.depth, mode="convex")
    assert [h.key for h in plain] == [h.key for h in convex] and not any("profile" in h.ranks for h in plain)
    s.annotators = annotators
    assert all("profile" not in h.ranks for h in s.search(QUERY, k=5, mode="bm25"))
    explained = s.search(QUERY, k=len(ranked), explain=True)
    assert all(any(r.startswith("article profile: rank ") for r in h.reasons) for h in explained)


def test_party_names_are_not_searched_for(index_with_memory):
    """갑/을/병 leave the query's tokens — BM25, the memories and the profiles never search for them — but
    not its text: the encoder and the re-ranker's scenario signal still see them."""
    s = Searcher(index_with_memory, encoder=sup.tiny_encoder())
    scenario = "갑은 을에게 물건을 맡겼는데 을이 유치권을 주장한다"
    assert {"갑", "을"} <= set(s.tokenizer.tokenize(scenario))  # Kiwi keeps them: the filter is what drops them
    assert s.query_tokens(scenario) == s.query_tokens("물건을 맡겼는데 유치권을 주장한다")
    bm25 = [h.key for h in s.search(scenario, k=5, mode="bm25")]
    assert bm25 and bm25 == [h.key for h in s.search("물건을 맡겼는데 유치권을 주장한다", k=5, mode="bm25")]
    only_names = s.search("갑 을 병", k=5)
    assert not list(only_names) and any("no searchable words" in n for n in only_names.notices)
    # an article number alone names no law — it had been called "only punctuation, symbols or particles"
    bare = s.search("750조", k=5)
    assert not list(bare) and bare.notices == ["'750조' names no law; write it as e.g. '민법 제750조'"]
    assert any("no searchable words" in n for n in s.search("3조 원", k=5).notices)  # (money, not an article)


def test_a_word_match_ranker_reads_the_titles_from_the_index(index_with_memory):
    """The match features (the query's words in the candidate's article title) get their titles from the
    Searcher's index: a ranker that trusts only ``title_share`` puts the best-matching title first, one that
    distrusts it the worst, whatever the fused order."""
    from legalret.search.ranker import content_bigrams, query_bigrams

    found = query_bigrams(QUERY)

    def share(title: str) -> float:
        return len(content_bigrams(title) & found) / max(len(content_bigrams(title)), 1)

    fused = Searcher(index_with_memory, encoder=sup.tiny_encoder(), ranker=None).search(QUERY, k=1, mode="convex")
    assert fused[0].article.title == "유치권의 내용" and share("유치권의 내용") > 0  # the fused order's first matches
    for weight in (1.0, -1.0):
        s = Searcher(index_with_memory, encoder=sup.tiny_encoder(), ranker=_only("title_share", weight))
        assert s.ranker.reads_match
        hits = s.search(QUERY, k=10)
        assert all(s.title_of(h.key) == h.article.title for h in hits)  # read from the store's lines = parsed
        shares = [share(h.article.title) for h in hits]
        assert shares[0] == (max(shares) if weight > 0 else min(shares))
    assert shares[0] == 0.0 and hits[0].key != fused[0].key  # distrusting the title match moved the first hit


def test_explain_leaves_out_the_features_of_a_retriever_the_index_lacks(index_with_memory):
    """This index has no facts memory: every candidate's facts features are 0, so a ranker that learned a weight on
    them gives every hit the same contribution (from its training mean) — "facts features +2.31" on each hit of a
    민법+상법 index built without --facts explained nothing. They are left out, and the line says why."""
    coef, mean = np.zeros(len(FEATURES)), np.zeros(len(FEATURES))
    coef[FEATURES.index("facts_rr")], mean[FEATURES.index("facts_rr")] = 3.0, 0.4   # large and constant: −1.20
    coef[FEATURES.index("bm25_rr")] = 1.0
    ranker = Ranker(coef=coef, mean=mean, scale=np.ones(len(FEATURES)), depth=50)
    s = Searcher(index_with_memory, encoder=sup.tiny_encoder(), ranker=ranker)
    assert s.facts is None
    hits = s.search(QUERY, k=3, explain=True)
    for hit in hits:
        line = next(r for r in hit.reasons if r.startswith("learned fusion: "))
        assert "facts_rr" not in line and "facts features" not in line, line
        assert line.endswith("; facts: not in this index (its features left out)") and "bm25_rr +" in line, line
        assert all(c["group"] != "facts" for c in hit.contributions)
