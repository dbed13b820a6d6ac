"""BM25 with the dense list's words (legalret.search.retrievers.feedback): an on-demand annotating retriever."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402
from test_search_learned import index_with_memory as index  # noqa: E402,F401  — the same fixture index, built once here

from legalret import pipeline  # noqa: E402
from legalret.errors import IndexError_  # noqa: E402
from legalret.index.bm25 import BM25Engine  # noqa: E402
from legalret.search.ranker import FEATURE_GROUPS, FEATURES, LAW_FEATURES, Ranker, RerankedSearch, catalogue  # noqa: E402
from legalret.search.retrievers.feedback import FeedbackConfig, FeedbackRanks  # noqa: E402
from legalret.search.searcher import Searcher  # noqa: E402

QUERY = "타인의 물건을 점유한 자가 유치권을 주장할 수 있는지"


def _only(feature: str) -> Ranker:
    return Ranker(coef=[1.0], mean=[0.0], scale=[1.0], features=(feature,))


def test_weighted_scores_sum_each_ids_column_times_its_weight():
    docs = [["유치권", "점유", "점유"], ["점유", "간접"], ["임대차", "보증금"], ["유치권", "변제"]]
    engine = BM25Engine.build(docs)
    ids = np.array(engine.token_ids(["점유", "유치권"]))
    plain = engine.scores(["점유", "유치권"])
    np.testing.assert_allclose(engine.weighted_scores(ids, np.ones(2)), plain, rtol=1e-6)
    one, other = engine.scores(["점유"]), engine.scores(["유치권"])
    np.testing.assert_allclose(engine.weighted_scores(ids, np.array([2.0, 0.5])), 2 * one + 0.5 * other, rtol=1e-6)
    assert not engine.weighted_scores(np.array([], dtype=np.int64), np.array([])).any()
    # the IDF the matrix was built with (lucene): log(1 + (n − df + 0.5) / (df + 0.5))
    np.testing.assert_allclose(engine.idf(ids), np.log(1 + (4 - np.array([2, 2]) + 0.5) / (np.array([2, 2]) + 0.5)))


def test_feedback_query_adds_the_top_articles_words_not_in_the_query(index):
    s = Searcher(index, encoder=sup.tiny_encoder(), feedback=True)
    fb = s.retriever("feedback")
    row = s.opened["bm25"].keys.index("민법 제320조")
    tokens = s.query_tokens("유치권 주장")
    ids, weights = fb.weights(tokens, [row])
    vocab = s.data.tokens.vocab
    asked = [vocab[i] for i, w in zip(ids.tolist(), weights.tolist()) if w >= 1]
    added = [vocab[i] for i, w in zip(ids.tolist(), weights.tolist()) if w == FeedbackConfig().weight]
    assert sorted(asked) == sorted(set(t for t in tokens if t in s.opened["bm25"].engine.vocab))
    article = set(vocab[i] for i in s.data.tokens.ids[s.data.tokens.offsets[row]:s.data.tokens.offsets[row + 1]])
    assert added and set(added) <= article - set(asked) and len(added) <= FeedbackConfig().terms
    assert fb.weights(tokens, [])[0].tolist() == sorted(ids[weights >= 1].tolist())  # no dense list: the query alone


def test_on_demand_it_annotates_only_when_asked_or_read(index):
    plain = Searcher(index, encoder=sup.tiny_encoder())
    assert "feedback" in plain.opened and plain.opened["feedback"] not in plain.annotators  # the default: not run
    assert not any("feedback" in h.ranks for h in plain.search(QUERY, k=20, mode="convex"))
    asked = Searcher(index, encoder=sup.tiny_encoder(), feedback=True)
    hits = asked.search(QUERY, k=20, mode="convex")
    ranked = [h for h in hits if "feedback" in h.ranks]
    assert ranked and [h.key for h in hits] == [h.key for h in plain.search(QUERY, k=20, mode="convex")]  # order kept
    # the ranks are the feedback query's own ranking: dense's top 3 rows' words, BM25 scores, best first
    fb, q = asked.retriever("feedback"), asked.prepare.query(QUERY)
    dense = asked.search(QUERY, k=3, mode="dense")
    ids, weights = fb.weights(q.tokens, [asked.opened["bm25"].keys.index(h.key) for h in dense])
    scores = fb.engine.weighted_scores(ids, weights)
    order = [asked.opened["bm25"].keys[r] for r in np.lexsort((np.arange(len(scores)), -scores)) if scores[r] > 0]
    assert sorted(ranked, key=lambda h: h.ranks["feedback"])[0].key == order[0]
    assert all(h.ranks["feedback"] == order.index(h.key) + 1 for h in ranked)
    assert all(h.scores["feedback"] == pytest.approx(scores[asked.opened["bm25"].keys.index(h.key)]) for h in ranked)
    # a law filter holds for its list too
    for h in asked.search(QUERY, k=20, mode="convex", laws=["상법"]):
        assert "feedback" not in h.ranks or h.key.startswith("상법")


def test_a_ranker_that_reads_the_group_makes_the_searcher_run_it(index):
    reader = _only("feedback_rr")
    assert reader.on_demand == ("feedback",) and "feedback" in reader.requires
    s = Searcher(index, encoder=sup.tiny_encoder(), ranker=reader)
    assert s.opened["feedback"] in s.annotators
    ranked = [h for h in s.search(QUERY, k=20, mode="convex") if "feedback" in h.ranks]
    assert [h.key for h in s.search(QUERY, k=len(ranked))] == [h.key for h in sorted(ranked, key=lambda h: h.ranks["feedback"])]
    # an evaluation's ranker (RerankedSearch over a searcher whose own ranker does not read it)
    other = Searcher(index, encoder=sup.tiny_encoder(), ranker=_only("bm25_rr"))
    assert other.opened["feedback"] not in other.annotators
    RerankedSearch(other, reader)
    assert other.opened["feedback"] in other.annotators
    assert Searcher(index, encoder=sup.tiny_encoder(), feedback=False).opened.get("feedback") is None


def test_its_features_are_a_group_of_their_own():
    group = FEATURE_GROUPS["feedback"]
    assert group == tuple(f.format(s="feedback") for f in ("{s}_in", "{s}_rr", "{s}_logrank", "{s}_score",
                                                            "{s}_rr*log_len", "{s}_rr*parties", "{s}_rr*numbers"))
    assert not set(group) & set(FEATURE_GROUPS["first"]) and set(group) <= set(FEATURES)
    assert "feedback_law_top10" not in LAW_FEATURES and "profile_law_top10" in LAW_FEATURES
    assert catalogue().on_demand == ("feedback",)
    # the shipped files read none of it: their searches never run it
    from legalret.config import SHIPPED_LAW_RANKER, SHIPPED_RANKER

    assert Ranker.load(SHIPPED_RANKER).on_demand == () and Ranker.load(SHIPPED_LAW_RANKER).on_demand == ()


def test_an_index_without_dense_vectors_has_no_feedback(tmp_path):
    d = tmp_path / "bm25only"
    pipeline.build(sup.articles(), d, model="none")
    s = Searcher(d)  # (it opens only beside BM25 and dense: nothing to read words from)
    assert "dense" not in s.opened and "feedback" not in s.opened and FeedbackRanks.name == "feedback"
    assert s.search(QUERY, k=3, mode="convex").keys
    with pytest.raises(IndexError_, match="feedback reads the dense list's words"):  # asked for: required
        Searcher(d, feedback=True)
