"""Article profiles (legalret.memory.profiles): BM25 over the pooled holdings that cite each article, with
the memory's leakage rules, equal on a built and a loaded memory."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date

import numpy as np
import pytest

from legalret.memory import PrecedentMemory, build_memory
from legalret.memory.profiles import ArticleProfiles, ProfileConfig
from test_memory_votes import SpaceTokenizer, load_fixture

QUERY = "불법행위로 인한 손해배상청구권의 소멸시효 기산점인 손해 및 가해자를 안 날"


@pytest.fixture()
def memory() -> PrecedentMemory:
    return build_memory(load_fixture(), tokenizer=SpaceTokenizer())


def reference_scores(memory: PrecedentMemory, tokens: list[str], allowed=None, config=ProfileConfig()) -> dict[str, float]:
    """Plain-Python BM25 over documents made by concatenating the allowed holdings that cite each article."""
    docs: dict[str, list[str]] = {}
    for row in range(len(memory)):
        if allowed is None or allowed[row]:
            for key in dict.fromkeys(memory.keys_of(row)):
                docs.setdefault(key, []).extend(memory.tokens_of(row))
    n, mean_length = len(docs), sum(len(d) for d in docs.values()) / len(docs)
    counts = {key: Counter(d) for key, d in docs.items()}
    out = {}
    for key, tf in counts.items():
        score = 0.0
        for token, times in Counter(tokens).items():
            df = sum(token in c for c in counts.values())
            if not tf[token]:
                continue
            idf = math.log1p((n - df + 0.5) / (df + 0.5))
            norm = config.k1 * (1 - config.b + config.b * len(docs[key]) / mean_length)
            score += times * idf * tf[token] * (config.k1 + 1) / (tf[token] + norm)
        if score > 0:
            out[key] = score
    return out


def positive(profiles: ArticleProfiles, scores: np.ndarray) -> dict[str, float]:
    return {profiles.keys[i]: float(scores[i]) for i in np.flatnonzero(scores > 0)}


def test_scores_are_bm25_over_the_pooled_citing_holdings(memory, tmp_path):
    tokens = QUERY.split() + ["손해배상청구권의"]  # a repeated query token counts twice, as in the reference
    expected = reference_scores(memory, tokens)
    assert len(expected) >= 3
    built = ArticleProfiles(memory)
    assert positive(built, built.scores(tokens)) == pytest.approx(expected)
    memory.save(tmp_path / "memory")  # a loaded memory pools through its key arrays: the same scores
    loaded = ArticleProfiles(PrecedentMemory.load(tmp_path / "memory", tokenizer=SpaceTokenizer()))
    assert loaded.memory.vote_arrays() is not None
    assert positive(loaded, loaded.scores(tokens)) == pytest.approx(expected)
    # the article whose citing holdings share most of the query's words comes first
    assert built.ranking(tokens, 1)[0][0] == "민법 제766조"
    assert built.scores(["전혀", "없는", "낱말"]).sum() == 0 and built.ranking([], 5) == []


def test_before_and_exclude_pool_only_the_holdings_allowed_to_vote(memory):
    profiles = ArticleProfiles(memory)
    tokens = QUERY.split()
    for before, exclude in ((date(2020, 1, 1), None), ("2015-01-01", None), (None, "2019다5005"),
                            (date(2020, 1, 1), ["2010다3003"])):
        allowed = memory.allowed_mask(before, exclude)
        expected = reference_scores(memory, tokens, allowed)
        got = positive(profiles, profiles.scores(tokens, before=before, exclude=exclude))
        assert got == pytest.approx(expected), (before, exclude)
    late = positive(profiles, profiles.scores(tokens, before=date(2020, 1, 1)))
    assert "민법 제760조" in positive(profiles, profiles.scores(tokens))  # cited only by 2020다6006 (2020-01-01)
    assert "민법 제760조" not in late
    assert profiles.scores(tokens, before=date(1999, 1, 1)).sum() == 0
    # a filter that lets everything through gives the unfiltered scores (the per-query path = the table path)
    assert np.allclose(profiles.scores(tokens, before="2100-01-01"), profiles.scores(tokens))


def test_order_breaks_ties_by_key_and_respects_a_live_mask(memory):
    profiles = ArticleProfiles(memory)
    scores = np.zeros(len(profiles.keys))
    scores[:3] = [1.0, 2.0, 2.0]
    first, second = sorted(profiles.keys[1:3])
    order = [profiles.keys[i] for i in profiles.order(scores)]
    assert order == [first, second, profiles.keys[0]]
    live = np.ones(len(scores), dtype=bool)
    live[profiles.keys.index(first)] = False
    assert [profiles.keys[i] for i in profiles.order(scores, live)] == [second, profiles.keys[0]]


def test_ranks_are_the_places_in_the_order(memory):
    """A search reads the places of its candidates only; they equal the full order's, ties and masks included."""
    profiles = ArticleProfiles(memory)
    rng = np.random.default_rng(0)
    n = len(profiles.keys)
    for _ in range(50):
        scores = rng.choice([0.0, 0.5, 1.0, 2.0, rng.random()], size=n)  # many ties and zeros
        live = rng.random(n) > 0.3 if rng.random() > 0.5 else None
        order = profiles.order(scores, live).tolist()
        expected = [order.index(i) + 1 if i in order else 0 for i in range(n)]
        assert profiles.ranks(scores, np.arange(n), live).tolist() == expected


def test_first_query_pooled_from_its_own_tokens_equals_the_weight_table(memory, tmp_path):
    """The first unfiltered query is scored without the weight table (a cold search never builds it): the
    same floats, bit for bit, as every later query gets from the table; scipy is not needed for it."""
    memory.save(tmp_path / "memory")
    loaded = PrecedentMemory.load(tmp_path / "memory", tokenizer=SpaceTokenizer())
    # a memory written before the term counts: the query tokens' holdings found by scanning every holding
    (tmp_path / "memory" / "bm25" / "counts.csc.index.npy").unlink()
    scanned = PrecedentMemory.load(tmp_path / "memory", tokenizer=SpaceTokenizer())
    assert loaded.bm25.counts is not None and scanned.bm25.counts is None
    queries = [QUERY.split() + ["손해배상청구권의"], ["전혀", "없는", "낱말"], QUERY.split()[:2], QUERY.split()[::-1]]
    for tokens in queries:  # the postings read from the counts are the scan's, pair for pair
        with_counts, by_scan = ArticleProfiles(loaded), ArticleProfiles(scanned)
        with_counts._build(), by_scan._build()
        ids = with_counts._token_ids(tokens)[0]
        for a, b in zip(with_counts._postings(ids), by_scan._postings(ids)):
            assert a.tolist() == b.tolist()
        assert np.array_equal(with_counts.scores(tokens), by_scan.scores(tokens))
    for mem in (memory, loaded, scanned):
        for tokens in queries:
            cold = ArticleProfiles(mem)
            direct = cold.scores(tokens)
            assert cold._all_weights is None  # (the first query built no table)
            assert np.array_equal(cold.scores(tokens), direct)  # the second reads the table: identical
            table_first = ArticleProfiles(mem)
            table_first._direct_left = 0
            assert np.array_equal(table_first.scores(tokens), direct)
            ids, counts = table_first._token_ids(tokens)
            if len(ids):  # and both are what scipy's product of the table's rows gives
                assert np.array_equal(np.asarray(table_first._table()[ids].T @ counts).reshape(-1), direct)
            assert table_first._all_weights is not None or not direct.any()  # (no known token: nothing to read)


def test_distinct_is_numpys_unique():
    """The pooled (holding, article) pairs are made distinct by one sort: what np.unique gives, dtype included."""
    from legalret.memory.profiles import _distinct

    rng = np.random.default_rng(0)
    for n in (0, 1, 2, 7, 5000):
        values = rng.integers(0, max(1, n // 3), n)
        assert np.array_equal(_distinct(values), np.unique(values)) and _distinct(values).dtype == np.unique(values).dtype
