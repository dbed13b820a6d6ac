"""BM25 with feedback terms from the dense list (one round of pseudo-relevance feedback), as an annotating retriever.

People ask in their own words: "실업급여 받는 기간" where 고용보험법 제50조 says 구직급여, "DC형 퇴직연금 중간 인출" where
BM25 misses the 근로자퇴직급여 보장법 article the dense list finds. Dense understands the question; BM25 then matches
the statute's own words. The feedback query (RM3-like): the query's tokens, plus the ``terms`` tokens with the most
tf·idf in the dense list's top ``articles`` articles, each at weight ``weight``, scored by the index's own BM25.

Not a fused list — its top 20 adds almost no gold the fused candidates lack (``experiments/bm25_feedback.py``) —, so
like the article profiles it annotates the fused candidates: ``ranks['feedback']`` / ``scores['feedback']`` for those
in its best ``depth``, which a re-ranker reading the ``feedback`` feature group scores. It is **on demand**: the
Searcher runs it only for a re-ranker that reads that group (or ``Searcher(index, feedback=True)``, as the caches a
re-ranker is fitted on are taken), so no other search pays its few milliseconds.

Usage::

    searcher = Searcher("index/", feedback=True)
    hits = searcher.search("실업급여 받는 기간", k=10, mode="convex")
    hits[0].ranks.get("feedback")          # the candidate's place in the feedback list (absent: not in its top 100)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from legalret.index.bm25 import top_k
from legalret.search.retrievers.base import BaseRetriever, Generation, Query, register


@dataclass(frozen=True)
class FeedbackConfig:
    """The feedback query's settings (chosen on tune questions by ``experiments/bm25_feedback.py``, grid fixed
    before the run: 3 / 20 / 0.3 lifted BM25's recall@10 in every tune group of the all-law index)."""

    articles: int = field(default=3, metadata={"help": "the dense list's top articles whose words are read"})
    terms: int = field(default=20, metadata={"help": "feedback tokens added (most tf·idf in those articles, not in the query)"})
    weight: float = field(default=0.3, metadata={"help": "each feedback token's weight (a query token counts 1 per use)"})
    depth: int = field(default=100, metadata={"help": "candidates ranked beyond this place get no feedback rank"})


@register
class FeedbackRanks(BaseRetriever):
    name = "feedback"
    fused = False
    mode = False
    on_demand = True
    missing = "feedback reads the dense list's words into BM25: this index has no dense vectors (or no Kiwi BM25)"

    @classmethod
    def open(cls, generation: Generation) -> FeedbackRanks | None:
        bm25, dense = generation.opened.get("bm25"), generation.opened.get("dense")
        # the token store and the BM25 matrix share vocabulary ids only when BM25 reads the Kiwi tokens
        if bm25 is None or dense is None or not bm25.same_tokens:
            return None
        return cls(generation)

    def __init__(self, generation: Generation, config: FeedbackConfig | None = None):
        self.config = config or FeedbackConfig()
        self.engine, self.tokens = generation.data.bm25, generation.data.tokens
        self.row_of_key, self.keys = generation.row_of_key, generation.data.row_keys

    def weights(self, tokens: Sequence[str], rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """``(vocabulary ids, weights)`` of the feedback query: each query token's count, then the feedback tokens of
        the articles at ``rows`` (most tf·idf first, ties by id) at ``config.weight``."""
        ids, counts = np.unique(np.asarray(self.engine.token_ids(tokens), dtype=np.int64), return_counts=True)
        offsets, store = self.tokens.offsets, self.tokens.ids
        read = [np.asarray(store[int(offsets[r]):int(offsets[r + 1])], dtype=np.int64) for r in rows]
        if not read:
            return ids, counts.astype(np.float64)
        words, tf = np.unique(np.concatenate(read), return_counts=True)
        new = ~np.isin(words, ids)
        words, tf = words[new], tf[new]
        best = np.lexsort((words, -(tf * self.engine.idf(words))))[: self.config.terms]
        return (np.concatenate([ids, words[best]]),
                np.concatenate([counts.astype(np.float64), np.full(len(best), self.config.weight)]))

    def annotate(self, query: Query, items: Sequence) -> None:
        """Set ``ranks['feedback']`` / ``scores['feedback']`` on the ``items`` in the feedback list's best
        ``config.depth`` (under the query's filters); the dense list's rows come from this query's dense search
        (``query.results['dense']``; without one, the query's own tokens alone)."""
        dense = query.results.get("dense")
        top = [] if dense is None else np.asarray(dense)[: self.config.articles].tolist()
        ids, weights = self.weights(query.tokens, top)
        if not len(ids):
            return
        rows, scores = top_k(self.engine.weighted_scores(ids, weights), self.config.depth, query.mask, positive_only=True)
        place = {row: (i + 1, score) for i, (row, score) in enumerate(zip(rows.tolist(), scores.tolist()))}
        for item in items:
            found = place.get(self.row_of_key.get(item.key, -1))
            if found is not None:
                item.ranks[self.name], item.scores[self.name] = found

    def rank_reason(self, rank: int, score: float) -> str:
        return f"BM25 with the dense list's words: rank {rank}, score {score:.2f}"
