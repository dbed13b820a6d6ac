"""The retriever protocol, the per-query state every retriever reads, and the registry the Searcher runs.

A retriever is one module with one class (see ``docs/design.md``, "Adding a retriever")::

    from legalret.search.retrievers import BaseRetriever, register

    @register
    class TitleRetriever(BaseRetriever):
        name = "title"                                   # its list, mode and re-ranker feature names

        @classmethod
        def open(cls, generation):                       # None: this index has nothing for it
            return cls(generation)

        def __init__(self, generation):
            data = generation.data
            self.keys = data.row_keys
            self.titles = [data.articles[data.by_key[key]].title or "" for key in self.keys]

        def candidates(self, query, n):                  # [(article key, score)], best first, honouring query.mask
            ...

The Searcher opens every registered retriever once per index (in registration order: a retriever may
open beside one opened before it, as the facts memory and the article profiles do beside the holdings
memory), then runs the same stages for every query: prepare → retrieve → fuse → annotate → rerank →
respond. Nothing in it names a retriever; what a retriever contributes is said by its class attributes
and optional methods (all on :class:`BaseRetriever`, with their defaults).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Protocol, Sequence, runtime_checkable

import numpy as np

#: The rank a candidate gets from a retriever whose list it is not in: beyond any list a Searcher returns.
ABSENT_RANK = 1000


@dataclass
class Query:
    """Per-query state handed to every retriever (filled once by the Searcher, read by all)."""

    text: str  # what the retrievers and the re-ranker read (see ``asked``)
    tokens: list[str]  # the searcher's query tokens (Kiwi, once per query; party names dropped)
    vector: np.ndarray | None = None  # the encoded query, when a retriever that embeds it runs
    laws: list[str] | None = None
    kinds: list[str] | None = None
    mask: np.ndarray | None = None  # allowed rows (law / kind filters)
    before: Any = None  # memory leakage guard: only precedents decided before this date vote
    exclude: Any = None  # … and none of this case number
    notes: list[str] = field(default_factory=list)
    pending: Any = None  # the query's vector while a worker thread encodes it (see Searcher.overlap_encoding)
    #: the query as asked, where ``text`` adds to it (a short question about a cited article gets the article's title
    #: after the citation: :meth:`legalret.search.prepare.QueryPreparer.with_titles`); None: ``text`` is it
    asked: str | None = None
    #: what each retriever found beyond its ranked list, by retriever name (a memory's MemoryResult: its
    #: weight, vote shares and explain lines; the dense list's rows, best first, which the feedback retriever reads).
    #: Kept here, not on the retriever: a server searches from many threads.
    results: dict[str, Any] = field(default_factory=dict)


@dataclass
class Generation:
    """What a retriever opens from: one loaded index generation and the Searcher's arguments."""

    index_dir: Path
    data: Any  # legalret.index.store.IndexData
    tokenizer: Any  # the searcher's KiwiTokenizer
    row_of_key: dict[str, int]
    encoder: Any  # legalret.index.encoders.QueryEncoderSlot: the query encoder, loaded on first use
    options: dict[str, Any] = field(default_factory=dict)  # Searcher(**{name: …}) per retriever (None / False / object)
    opened: dict[str, Any] = field(default_factory=dict)  # the retrievers opened before this one, by name

    @property
    def manifest(self) -> dict:
        return self.data.manifest

    def option(self, name: str) -> Any:
        return self.options.get(name)


@runtime_checkable
class Retriever(Protocol):
    """One ranked list of articles for a query: BM25, dense, a precedent memory …"""

    name: str

    def candidates(self, query: Query, n: int) -> list[tuple[str, float]]:
        """Up to ``n`` ``(article key, score)`` pairs, best first, honouring ``query.mask``."""
        ...


class BaseRetriever:
    """Defaults of the protocol: a retriever overrides what it has.

    Class attributes: ``fused`` (its candidates are a list the fused modes combine; False: it only
    annotates the fused candidates, as the article profiles do); ``mode`` (also a search mode of its own);
    ``features`` (the re-ranker feature families it feeds, :mod:`legalret.search.ranker`); ``missing``
    (the error when its mode is asked of an index without it); ``overlaps`` (its :meth:`prepare` may run
    in a worker thread while the others retrieve, so it retrieves last); ``option`` (its Searcher keyword);
    ``on_demand`` (an annotating retriever only a re-ranker needs: the Searcher runs it when its re-ranker reads
    the retriever's features — a feature group of their own, :data:`legalret.search.ranker.FEATURE_GROUPS` — or
    when ``Searcher(**{name: True})`` asks, so no other search pays for it).
    """

    name: ClassVar[str] = ""
    fused: ClassVar[bool] = True
    mode: ClassVar[bool] = True
    features: ClassVar[frozenset[str]] = frozenset({"rank"})
    missing: ClassVar[str] = "this index has no {name} retriever"
    overlaps: ClassVar[bool] = False
    on_demand: ClassVar[bool] = False
    describe: ClassVar[str] = ""  # what its mode searches, for help texts (search.searcher.modes_help)

    @classmethod
    def open(cls, generation: Generation) -> BaseRetriever | None:
        """The retriever over ``generation``, or None when the index has nothing for it."""
        return cls(generation)  # type: ignore[call-arg]

    def prepare(self, queries: Sequence[Query], *, overlap: bool = False, pool: Callable[[], Any] | None = None) -> None:
        """Batch work before retrieval (the dense retriever encodes the queries here)."""

    def candidates(self, query: Query, n: int) -> list[tuple[str, float]]:
        return []

    def annotate(self, query: Query, items: Sequence[Any]) -> None:
        """Add ``ranks[name]`` / ``scores[name]`` to fused candidates (only retrievers with ``fused = False``)."""

    def gate(self, query: Query) -> float | None:
        """This query's fusion weight, when the retriever adapts it per query (None: the index's fixed weight)."""
        return None

    def votes(self, query: Query) -> dict[str, tuple[float, int]] | None:
        """``{key: (vote share, supporting decisions)}`` for the re-ranker, when the retriever votes."""
        return None

    def explain(self, query: Query, key: str) -> tuple[list[str], list[dict]]:
        """Reason lines and structured precedents behind ``key`` for this query (explain mode)."""
        return [], []

    def rank_reason(self, rank: int, score: float) -> str | None:
        """An annotating retriever's explain line for a candidate it ranked (None: the generic line)."""
        return None


# ---- the registry ------------------------------------------------------------------------------------
_REGISTRY: dict[str, type[BaseRetriever]] = {}
_VERSION = [0]  # bumped on every change: what is derived from the registry (the re-ranker's catalogue) is cached by it


def register(cls: type[BaseRetriever]) -> type[BaseRetriever]:
    """Add a retriever class to the registry (a class decorator); its ``name`` must be new."""
    if not cls.name or cls.name in _REGISTRY or cls.name in ("hybrid", "convex", "rrf", "fused", "citation"):
        raise ValueError(f"retriever name {cls.name!r} is empty, taken or reserved")
    _REGISTRY[cls.name] = cls
    _VERSION[0] += 1
    return cls


def unregister(name: str) -> None:
    """Remove a retriever class (tests that register a toy one)."""
    if _REGISTRY.pop(name, None) is not None:
        _VERSION[0] += 1


def registry_version() -> int:
    """A number that changes whenever a retriever is registered or removed."""
    return _VERSION[0]


def registered() -> list[type[BaseRetriever]]:
    """The registered retriever classes, in registration order (the order the fused lists are added in)."""
    return list(_REGISTRY.values())
