"""Court decisions (판례): parse them, split and align their holdings, resolve their 참조조문 citations.

>>> from legalret.precedents import read_precedents, parse_citations

The names below are imported on first use (PEP 562): a cold ``legalret search`` imports
:mod:`legalret.precedents.citations` (the memories' date rule) and :mod:`legalret.precedents.facts`, never the
decision parser, which costs ~6 ms to import.
"""

from __future__ import annotations

import importlib

#: Each exported name and the module that defines it.
_EXPORTS = {
    "ArticleCatalog": "citations",
    "Citation": "citations",
    "CitationParser": "citations",
    "ResolutionReport": "citations",
    "parse_citations": "citations",
    "resolve": "citations",
    "Holding": "parse",
    "Precedent": "parse",
    "PrecedentReport": "parse",
    "read_precedents": "parse",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value  # (found directly from now on)
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
