"""Search over a legalret index: exact citations, BM25, dense, precedent memory, and their fusion.

Usage::

    from legalret.search import Searcher

    hits = Searcher("index/").search("유치권 간접점유", k=10)
    hits[0].key, hits[0].score, hits[0].article.title

Modules, in the order a query meets them: :mod:`~legalret.search.prepare` (text, tokens, citations —
:mod:`~legalret.search.citations`; filters — :mod:`~legalret.search.filters`), :mod:`~legalret.search.retrievers`
(one module per retriever, and the registry), :mod:`~legalret.search.fusion` (convex and reciprocal-rank fusion
over any named lists), :mod:`~legalret.search.ranker` (the learned re-ranker, features by name),
:mod:`~legalret.search.explain`, :mod:`~legalret.search.relevance` (each hit's 0–100 relevance, or None for a guess:
one rule for every interface), :mod:`~legalret.search.results` / :mod:`~legalret.search.response` (what the API
returns and the CLI prints); :mod:`~legalret.search.searcher` runs the stages.
"""

from legalret.search.citations import QueryCitation, find_citations
from legalret.search.fusion import FusionSettings, convex_fusion, rrf_fusion
from legalret.search.searcher import Hit, SearchResults, Searcher

__all__ = [
    "FusionSettings",
    "Hit",
    "QueryCitation",
    "SearchResults",
    "Searcher",
    "convex_fusion",
    "find_citations",
    "rrf_fusion",
]
