"""Search over a legalret index: exact citations, BM25, dense, precedent memory, and their fusion.

Usage::

    from legalret.search import Searcher

    hits = Searcher("index/").search("유치권 간접점유", k=10)
    hits[0].key, hits[0].score, hits[0].article.title

Modules: :mod:`~legalret.search.citations` (``민법 제750조`` in a query), :mod:`~legalret.search.fusion`
(convex and reciprocal-rank fusion over any named retrievers), :mod:`~legalret.search.searcher`.
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
