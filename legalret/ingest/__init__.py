"""Statute ingestion: any source, any of four formats → canonical :class:`~legalret.articles.Article`.

Usage::

    from legalret.ingest import ingest

    result = ingest(["../shared/data/statutes/legalize-kr.zip"], laws=["민법", "상법"])
    len(result.articles), result.report.summary()    # 2381 articles, {'files': 2, 'errors': 0, …}
    names = result.law_names()                       # LawNames catalog of the laws read

Modules: :mod:`.sources` (files/folders/globs/zips, errors, filters, de-duplication),
:mod:`.markdown` (legalize-kr), :mod:`.lawgo` (law.go.kr JSON/XML), :mod:`.plaintext`
(``제N조(제목) …`` lines), :mod:`.document` (the per-law result the parsers share),
:mod:`.mojibake` (repair of UTF-8 read as cp1252/latin-1: alphabet, language model, decoder, corpus),
:mod:`.output` (``--out`` paths checked before work starts; writes that fail say so in one line).
"""

from legalret.ingest.document import LawDocument
from legalret.ingest.sources import (
    IngestReport,
    IngestResult,
    SourceFile,
    detect_format,
    ingest,
    iter_documents,
    iter_sources,
    parse_text,
)

__all__ = [
    "IngestReport",
    "IngestResult",
    "LawDocument",
    "SourceFile",
    "detect_format",
    "ingest",
    "iter_documents",
    "iter_sources",
    "parse_text",
]
