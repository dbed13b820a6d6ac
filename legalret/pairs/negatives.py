"""Hard negatives for training pairs, mined with BM25 over Kiwi tokens.

For a query, BM25 ranks the corpus articles; the gold articles of that query are removed (never use another
gold article of the same holding as a negative), then the first ``skip`` remaining hits are skipped too —
the very top non-gold hits are often relevant articles the court simply did not cite (false negatives hurt
contrastive training more than easy negatives do) — and the next ``n`` become the hard negatives.

Tokens come from :class:`legalret.index.tokenize.KiwiTokenizer` and scores from
:class:`legalret.index.bm25.BM25Engine` (bm25s), the same BM25 the index uses; when that module is not
importable, a plain bm25s index over the same tokens is used.

Usage::

    from legalret.pairs.negatives import NegativeMiner

    miner = NegativeMiner(articles)                  # tokenizes and indexes the live articles once
    miner.mine(["간접점유자의 반환청구권"], [{"민법 제207조"}], n=3, skip=2)
    # [['민법 제192조', '민법 제204조', …]]
    miner.add_negatives(pairs, n=3)                  # fills pair["negatives"] / pair["negative_keys"]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from legalret.articles import Article

__all__ = ["NegativeMiner"]


class NegativeMiner:
    def __init__(self, articles: Sequence[Article], *, tokenizer=None, depth: int = 30):
        self.articles = [a for a in articles if not a.deleted]
        if not self.articles:
            raise ValueError("no live articles to mine negatives from")
        self.keys = [a.key for a in self.articles]
        self.texts = [a.index_text() for a in self.articles]
        self.depth = depth
        if tokenizer is None:
            from legalret.index.tokenize import KiwiTokenizer

            tokenizer = KiwiTokenizer(num_workers=2)
        self.tokenizer = tokenizer
        tokens = self._tokenize(self.texts)
        try:
            from legalret.index.bm25 import BM25Engine

            engine = BM25Engine.build(tokens)
            self._scores = engine.scores
        except ImportError:  # pragma: no cover - only while the index module is absent
            import bm25s

            model = bm25s.BM25()
            model.index(tokens, show_progress=False)
            vocab = model.vocab_dict

            def scores(toks: Sequence[str]) -> np.ndarray:
                ids = [vocab[t] for t in toks if t in vocab]
                return model.get_scores_from_ids(ids) if ids else np.zeros(len(tokens), dtype=np.float32)

            self._scores = scores

    def _tokenize(self, texts: Sequence[str]) -> list[list[str]]:
        many = getattr(self.tokenizer, "tokenize_many", None)
        return many(list(texts)) if many else [self.tokenizer.tokenize(t) for t in texts]

    def mine(self, queries: Sequence[str], gold: Sequence[set[str] | Sequence[str]], *, n: int = 3,
             skip: int = 2) -> list[list[str]]:
        """Negative keys for each query (at most ``n``; fewer when BM25 finds fewer candidates)."""
        if len(queries) != len(gold):
            raise ValueError(f"{len(queries)} queries but {len(gold)} gold sets")
        out: list[list[str]] = []
        for tokens, gold_keys in zip(self._tokenize(queries), gold):
            scores = self._scores(tokens)
            depth = min(self.depth + len(gold_keys), len(scores))
            top = np.argpartition(-scores, depth - 1)[:depth] if depth < len(scores) else np.arange(len(scores))
            top = top[np.lexsort((top, -scores[top]))]  # best first, ties by row (deterministic)
            ranked = [self.keys[i] for i in top if scores[i] > 0 and self.keys[i] not in gold_keys]
            out.append(ranked[skip : skip + n])
        return out

    def add_negatives(self, pairs: list[dict], *, n: int = 3, skip: int = 2) -> None:
        """Fill ``negatives`` (article texts) and ``negative_keys`` of each pair in place. Pairs sharing a
        query are mined once; a pair's gold is its ``gold`` field (all keys of its holding) or its ``key``."""
        by_query: dict[str, set[str]] = {}
        for p in pairs:
            by_query.setdefault(p["query"], set()).update(p.get("gold") or [p["key"]])
        queries = list(by_query)
        mined = dict(zip(queries, self.mine(queries, [by_query[q] for q in queries], n=n, skip=skip)))
        text_of = dict(zip(self.keys, self.texts))
        for p in pairs:
            keys = mined[p["query"]]
            p["negative_keys"] = keys
            p["negatives"] = [text_of[k] for k in keys]
