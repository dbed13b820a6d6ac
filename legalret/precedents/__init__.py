"""Court decisions (판례): parse them, split and align their holdings, resolve their 참조조문 citations.

>>> from legalret.precedents import read_precedents, parse_citations
"""

from legalret.precedents.citations import (
    ArticleCatalog,
    Citation,
    CitationParser,
    ResolutionReport,
    parse_citations,
    resolve,
)
from legalret.precedents.parse import Holding, Precedent, PrecedentReport, read_precedents

__all__ = [
    "ArticleCatalog",
    "Citation",
    "CitationParser",
    "Holding",
    "Precedent",
    "PrecedentReport",
    "ResolutionReport",
    "parse_citations",
    "read_precedents",
    "resolve",
]
