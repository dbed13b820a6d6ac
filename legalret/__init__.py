"""legalret — Korean statute retrieval.

Python API (imports are lazy so ``import legalret`` stays fast)::

    from legalret import Searcher, build_search_index, update_search_index, read_precedents
    from legalret.ingest import ingest      # (``legalret.ingest`` is the package; ingest() is in it)

    articles = ingest(["legalize-kr.zip"], laws=["민법", "상법"]).articles
    build_search_index(articles, "idx/", model="none", precedents=read_precedents(["precedent-kr.zip"]))
    update_search_index(ingest(["amended/민법/법률.md"]), "idx/")   # the whole result: a law it did not read whole
    hits = Searcher("idx/").search("유치권 간접점유", k=10)         #   loses no article (see pipeline.add)

A :class:`Searcher` reads the generation that was live when it opened, for as long as it lives — even after ``index
add`` has removed it; once the index has moved on, its answers carry a notice saying so. A long-running app follows the index with a
:class:`~legalret.serve.live.LiveSearcher` (one ``stat`` of the index's ``CURRENT`` a request)::

    from legalret import LiveSearcher
    live = LiveSearcher("idx/")                                   # opens and warms the live generation
    hits = live.get().searcher.search("유치권 간접점유", k=10)     # after an ``index add``: the new generation

``build_search_index`` / ``update_search_index`` are :func:`legalret.pipeline.build` / :func:`legalret.pipeline.add`:
the article index *and* its precedent memories, written together — what a :class:`Searcher` opens.
(:func:`legalret.index.build_index` / :func:`legalret.index.add_to_index` write the articles alone.)
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "build_search_index": ("legalret.pipeline", "build"),
    "update_search_index": ("legalret.pipeline", "add"),
    "rollback": ("legalret.index.store", "rollback"),
    "read_precedents": "legalret.precedents.parse",
    "Article": "legalret.articles",
    "read_articles": "legalret.articles",
    "write_articles": "legalret.articles",
    "format_key": "legalret.keys",
    "parse_key": "legalret.keys",
    "Searcher": "legalret.search.searcher",
    "LiveSearcher": "legalret.serve.live",
    "load_encoder": "legalret.models.encoder",
    "repair_mojibake": "legalret.ingest.mojibake",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name] if isinstance(_LAZY[name], tuple) else (_LAZY[name], name)
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'legalret' has no attribute {name!r}")


__all__ = list(_LAZY)
