"""The cross-encoder stage: re-score the search's own top N candidates with a cross-encoder.

A candidate stage, like the article profiles (``IndexedProfiles`` in :mod:`legalret.search.searcher`): it adds
no new candidates, it gives the top ``top_n`` fused candidates one more signal — ``ranks['cross_encoder']`` (1 =
the cross-encoder's best among them) and ``scores['cross_encoder']`` (its logit) — which the learned re-ranker
reads as features once :data:`legalret.search.ranker.CANDIDATE_SIGNALS` names it and the ranker is retrained.
Until then :meth:`CrossEncoderStage.rerank` orders a list by the cross-encoder alone (an opt-in mode).

The scoring core is :class:`legalret.models.cross_encoder.OnnxCrossEncoder` (ONNX Runtime, no torch on the
query path); the article text scored is what the pairs and the training read (:meth:`Article.index_text`).

Usage::

    from legalret.search.cross_encoder_stage import CrossEncoderStage

    stage = CrossEncoderStage.load("models/cross-encoder", article_text=lambda key: searcher.article(key).index_text())
    stage.annotate(query, fused_items)          # top 20: ranks['cross_encoder'], scores['cross_encoder']
    hits = stage.rerank("전세 보증금 반환", searcher.search("전세 보증금 반환", k=20))   # opt-in: CE order first
    stage.explain(hits[0])                      # 'cross-encoder: rank 1 of the top 20, score 3.41 (38 ms)'
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Sequence

import numpy as np

from legalret.models.cross_encoder import OnnxCrossEncoder

#: Candidates re-scored per query. ~20 keeps a me5-small-sized int8 model near its latency target on 2 cores
#: (see the README's cross-encoder lines); choose it on dev once a trained model exists.
DEFAULT_TOP_N = 20


class CrossEncoderStage:
    """Cross-encoder scores for the top ``top_n`` candidates of a query (see module docstring).

    ``article_text(key)`` returns the text to score for an article key (None: the candidate is skipped).
    Items are anything with ``.key``, ``.score``, ``.ranks`` and ``.scores`` (fused items, search hits)."""

    name = "cross_encoder"

    def __init__(self, model: OnnxCrossEncoder, article_text: Callable[[str], str | None], *, top_n: int = DEFAULT_TOP_N):
        if top_n < 1:
            raise ValueError(f"top_n must be at least 1, not {top_n}")
        self.model, self.article_text, self.top_n = model, article_text, top_n
        #: seconds the last :meth:`annotate` spent scoring (what explain shows)
        self.last_seconds: float = 0.0

    @classmethod
    def load(cls, path: str | os.PathLike, *, article_text: Callable[[str], str | None], top_n: int = DEFAULT_TOP_N,
             variant: str | None = None, threads: int | None = None) -> CrossEncoderStage:
        """The stage over the cross-encoder export at ``path`` (:meth:`OnnxCrossEncoder.load`)."""
        return cls(OnnxCrossEncoder.load(path, variant=variant, threads=threads), article_text, top_n=top_n)

    def scores(self, query_text: str, items: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
        """(the scored items — the first ``top_n`` that have a text —, their cross-encoder scores)."""
        scored, candidates = [], []
        for item in items[: self.top_n]:
            text = self.article_text(item.key)
            if text:
                scored.append(item)
                candidates.append((item.key, text))
        started = time.perf_counter()
        values = self.model.rescore(query_text, candidates) if candidates else np.zeros(0, dtype=np.float32)
        self.last_seconds = time.perf_counter() - started
        return scored, values

    def annotate(self, query: Any, items: Sequence[Any]) -> None:
        """Set ``ranks['cross_encoder']`` / ``scores['cross_encoder']`` on the top ``top_n`` ``items``.

        ``query``: the searcher's per-query state (its ``.text`` is scored) or the query text itself. The items'
        order and fused scores are left as they are: the re-ranker decides what the new signal is worth."""
        text = query if isinstance(query, str) else query.text
        scored, values = self.scores(text, items)
        order = np.argsort(-values, kind="stable")
        for place, j in enumerate(order.tolist(), start=1):
            scored[j].ranks[self.name] = place
            scored[j].scores[self.name] = float(values[j])

    def rerank(self, query_text: str, items: Sequence[Any]) -> list[Any]:
        """``items`` with the top ``top_n`` ordered by the cross-encoder (annotated as :meth:`annotate` does), the
        rest after them in their order. Exact-citation hits (``ranks['citation']``) keep their places first."""
        items = list(items)
        cited = [h for h in items if "citation" in (h.ranks or {})]
        rest = [h for h in items if "citation" not in (h.ranks or {})]
        self.annotate(query_text, rest)
        head = sorted((h for h in rest[: self.top_n] if self.name in h.ranks), key=lambda h: h.ranks[self.name])
        chosen = {id(h) for h in head}
        return cited + head + [h for h in rest if id(h) not in chosen]

    def explain(self, item: Any) -> str | None:
        """One explain line for an annotated item (None when the stage did not score it)."""
        if self.name not in (item.ranks or {}):
            return None
        return (f"cross-encoder: rank {item.ranks[self.name]} of the top {self.top_n}, score "
                f"{item.scores[self.name]:.2f} ({self.last_seconds * 1000:.0f} ms)")
