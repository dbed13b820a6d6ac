"""The prepare stage of a search: a query's text normalized and cut, its tokens made once, its citations found.

Usage::

    prepare = QueryPreparer(tokenizer, law_names)
    q, cites, needed = prepare("민법 제750조 불법행위", laws=None, mask=None)
    q.tokens                 # what BM25, the memories and the profiles search for (Kiwi once, no party names)
    needed                   # False: only citations (or no searchable words) — no retriever runs

Every retriever reads the :class:`~legalret.search.retrievers.Query` made here.
"""

from __future__ import annotations

from typing import Any

from legalret.config import MAX_QUERY_CHARS, query_cut_note  # one query limit and cut notice for every interface
from legalret.errors import LegalretError
from legalret.search.citations import QueryCitation, find_citations, unresolved_citations
from legalret.search.coverage import coverage_notes
from legalret.search.parties import PARTY_MARKERS  # (the searcher's tokens go without them: see that module)
from legalret.search.retrievers import Query
from legalret.text import clean_query

NO_WORDS = ("the query has no searchable words (only punctuation, symbols or particles); "
            "type some words or an article citation such as '민법 제750조'")


class QueryPreparer:
    def __init__(self, tokenizer: Any, law_names: Any, vocabulary: Any = None):
        # vocabulary: the BM25 vocabulary, to say when none (or few) of a query's words occur in any article
        self.tokenizer, self.law_names, self.vocabulary = tokenizer, law_names, vocabulary

    def __call__(self, text: str, *, laws: list[str] | None, mask: Any, before: Any = None, exclude: Any = None,
                 citations: bool = True) -> tuple[Query, list[QueryCitation], bool]:
        """The query, its exact citations, and whether any retriever needs to run."""
        q = self.query(text)
        q.laws, q.mask, q.before, q.exclude = laws, mask, before, exclude
        default_law = laws[0] if laws and len(laws) == 1 else None
        cites = find_citations(q.text, self.law_names, default_law) if citations else []
        if citations:
            q.notes.extend(unresolved_citations(q.text, self.law_names, default_law))
        needed = self.needs_retrieval(q, cites)
        if needed and self.vocabulary is not None:
            q.notes.extend(coverage_notes(q.tokens, self.vocabulary))
        return q, cites, needed

    def query(self, text: str) -> Query:
        if not isinstance(text, str):
            raise LegalretError(f"query must be text, not {type(text).__name__}")
        q = clean_query(text)
        if not q:
            raise LegalretError("empty query: type some words or an article citation such as '민법 제750조'")
        notes = []
        if len(q) > MAX_QUERY_CHARS:
            notes.append(query_cut_note(len(q)))
            q = q[:MAX_QUERY_CHARS]
        return Query(q, self.tokens(q), notes=notes)

    def tokens(self, text: str) -> list[str]:
        """The words BM25, the memories and the article profiles search for: the tokenizer's, without party
        names (:data:`PARTY_MARKERS`)."""
        return [t for t in self.tokenizer.tokenize(text) if t not in PARTY_MARKERS]

    def needs_retrieval(self, q: Query, cites: list[QueryCitation]) -> bool:
        """False for a query with nothing to search for beyond its citations (then no retriever runs and
        no encoder is loaded), or with no indexable content at all (then it gets a notice, no hits)."""
        if not cites:
            if not q.tokens:
                q.notes.append(NO_WORDS)
                return False
            return True
        rest = q.text
        for c in sorted(cites, key=lambda c: c.start, reverse=True):
            rest = rest[: c.start] + " " + rest[c.end :]
        return bool(self.tokens(rest))
