"""BM25 over the articles' tokens (:class:`~legalret.index.bm25.BM25Engine`).

The articles are cut by the index's Kiwi tokenizer, unless the manifest's ``bm25_tokenizer`` names another
(character n-grams, :mod:`legalret.index.ngram_tokenize`): then the query is cut the same way here, party names
left out as the searcher's own tokens leave them out.
"""

from __future__ import annotations

import numpy as np

from legalret.index.ngram_tokenize import tokenizer_from_settings
from legalret.search.parties import without_party_names
from legalret.search.retrievers.base import BaseRetriever, Generation, Query, register


@register
class BM25Retriever(BaseRetriever):
    name = "bm25"
    features = frozenset({"rank", "agree"})
    describe = "BM25 alone"

    def __init__(self, generation: Generation):
        self.engine = generation.data.bm25
        cut = generation.manifest.get("bm25_tokenizer")
        self.tokenizer = tokenizer_from_settings(cut, kiwi=generation.tokenizer) if cut else generation.tokenizer
        self.same_tokens = self.tokenizer is generation.tokenizer  # reuse Query.tokens (Kiwi once)
        self.keys = generation.data.row_keys

    def tokens(self, query: Query) -> list[str]:
        return query.tokens if self.same_tokens else self.tokenizer.tokenize(without_party_names(query.text))

    def rows(self, tokens: list[str], k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, scores)`` best first (what benchmarks time without the key lookup)."""
        return self.engine.top(tokens, k, mask)

    def candidates(self, query: Query, n: int) -> list[tuple[str, float]]:
        rows, scores = self.rows(self.tokens(query), n, query.mask)
        return [(self.keys[r], s) for r, s in zip(rows.tolist(), scores.tolist())]
