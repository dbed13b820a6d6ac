"""legalret — Korean statute retrieval.

Python API (imports are lazy so ``import legalret`` stays fast)::

    from legalret import Searcher
    hits = Searcher("~/.cache/legalret/index").search("유치권 간접점유", k=10)
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "Article": "legalret.articles",
    "read_articles": "legalret.articles",
    "write_articles": "legalret.articles",
    "format_key": "legalret.keys",
    "parse_key": "legalret.keys",
    "Searcher": "legalret.search.searcher",
    "load_encoder": "legalret.models.encoder",
    "ingest": "legalret.ingest.sources",
    "repair_mojibake": "legalret.ingest.mojibake",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'legalret' has no attribute {name!r}")


__all__ = list(_LAZY)
