"""BM25 over the articles' Kiwi tokens (:class:`~legalret.index.bm25.BM25Engine`)."""

from __future__ import annotations

import numpy as np

from legalret.search.retrievers.base import BaseRetriever, Generation, Query, register


@register
class BM25Retriever(BaseRetriever):
    name = "bm25"
    features = frozenset({"rank", "agree"})
    describe = "BM25 alone"

    def __init__(self, generation: Generation):
        self.engine, self.tokenizer = generation.data.bm25, generation.tokenizer
        self.keys = generation.data.row_keys

    def rows(self, tokens: list[str], k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, scores)`` best first (what benchmarks time without the key lookup)."""
        return self.engine.top(tokens, k, mask)

    def candidates(self, query: Query, n: int) -> list[tuple[str, float]]:
        rows, scores = self.rows(query.tokens, n, query.mask)
        return [(self.keys[r], s) for r, s in zip(rows.tolist(), scores.tolist())]
