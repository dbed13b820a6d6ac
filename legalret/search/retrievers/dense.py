"""Dense retrieval over the article vectors; the query encoder is the index's, loaded on the first query."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from legalret.search.retrievers.base import BaseRetriever, Generation, Query, register


@register
class DenseRetriever(BaseRetriever):
    name = "dense"
    features = frozenset({"rank", "agree"})
    missing = "this index has no dense vectors (built with --model none); search in mode bm25 (--mode bm25)"
    overlaps = True  # one query is encoded in a worker thread while BM25 and the memories run
    describe = "dense alone"

    @classmethod
    def open(cls, generation: Generation) -> DenseRetriever | None:
        return cls(generation) if generation.data.dense is not None else None

    def __init__(self, generation: Generation):
        self.index, self.slot = generation.data.dense, generation.encoder
        self.keys = generation.data.row_keys

    @property
    def encoder(self) -> Any:
        return self.slot.get()

    @encoder.setter
    def encoder(self, encoder: Any) -> None:
        self.slot.set(encoder)

    def encode(self, queries: Sequence[str]) -> np.ndarray:
        return self.encoder.encode_queries(list(queries), batch_size=64)

    def prepare(self, queries: Sequence[Query], *, overlap: bool = False, pool: Callable[[], Any] | None = None) -> None:
        """Encode the queries in one batch — or, for one query with ``overlap``, in a worker thread (ONNX
        Runtime releases the GIL) while the other retrievers run; :meth:`candidates` waits for it."""
        if len(queries) == 1 and overlap and pool is not None:
            self.encoder  # noqa: B018 — loaded here, once, not in a worker thread
            queries[0].pending = pool().submit(self.encode, [queries[0].text])
        elif queries:
            for q, vec in zip(queries, self.encode([q.text for q in queries])):
                q.vector = vec

    def rows(self, query_vector: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.index.top(query_vector, k, mask)

    def candidates(self, query: Query, n: int) -> list[tuple[str, float]]:
        if query.pending is not None:
            query.vector, query.pending = query.pending.result()[0], None
        rows, scores = self.rows(query.vector, n, query.mask)
        query.results[self.name] = rows  # (its rows, best first: what the feedback retriever reads its words from)
        return [(self.keys[r], s) for r, s in zip(rows.tolist(), scores.tolist())]
