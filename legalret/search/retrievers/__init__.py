"""Retrievers: one module each, one registry the Searcher runs.

Usage::

    from legalret.search.retrievers import registered
    [cls.name for cls in registered()]        # ['bm25', 'dense', 'memory', 'facts', 'profile', 'feedback']

Registration order is the order the fused lists are added in (and a retriever may open beside one
registered before it). To add one: a module with a :class:`BaseRetriever` subclass decorated with
:func:`register`, and its import below — see ``docs/design.md``, "Adding a retriever".
"""

from legalret.search.retrievers.base import (
    ABSENT_RANK,
    BaseRetriever,
    Generation,
    Query,
    Retriever,
    register,
    registered,
    unregister,
)

# the registrations (in this order)
from legalret.search.retrievers.bm25 import BM25Retriever
from legalret.search.retrievers.dense import DenseRetriever
from legalret.search.retrievers.memory import MemoryVotes
from legalret.search.retrievers.facts import FactsVotes
from legalret.search.retrievers.profiles import ProfileRanks
from legalret.search.retrievers.feedback import FeedbackRanks

__all__ = [
    "ABSENT_RANK",
    "BM25Retriever",
    "BaseRetriever",
    "DenseRetriever",
    "FactsVotes",
    "FeedbackRanks",
    "Generation",
    "MemoryVotes",
    "ProfileRanks",
    "Query",
    "Retriever",
    "register",
    "registered",
    "unregister",
]
