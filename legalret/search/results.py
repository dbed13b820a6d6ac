"""What a search returns: :class:`Hit` s in a :class:`SearchResults` list (with notices, citations, terms).

Usage::

    results = Searcher("index/").search("유치권 간접점유", explain=True)
    results.keys, results.notices, results.terms       # terms: the query words to highlight in hit texts
    hit = results[0]; hit.key, hit.score, hit.ranks, hit.reasons, hit.precedents, hit.contributions
    hit.to_dict(with_text=True)                         # what `legalret search --json` prints
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from legalret.articles import Article
from legalret.search.citations import QueryCitation


@dataclass
class Hit:
    key: str
    score: float
    article: Article
    ranks: dict[str, int] = field(default_factory=dict)  # 1-based rank per retriever ('citation' for exact ones)
    scores: dict[str, float] = field(default_factory=dict)  # raw score per retriever
    reasons: list[str] = field(default_factory=list)
    votes: dict[str, tuple[float, int]] = field(default_factory=dict)  # memory/facts: (vote share, supporting decisions)
    precedents: list[dict] = field(default_factory=list)  # explain: the earlier decisions that voted for this article
    # explain, when the learned re-ranker ranked the hit: its feature contributions as data, the explain line's
    # features ([{"feature", "group", "value"}], legalret.search.explain.Learned)
    contributions: list[dict] = field(default_factory=list)

    def to_dict(self, *, with_text: bool = False) -> dict:
        d = {
            "key": self.key,
            "score": round(float(self.score), 6),
            "title": self.article.title,
            "law": self.article.law,
            "kind": self.article.kind,
            "ranks": self.ranks,
            "scores": {k: round(float(v), 6) for k, v in self.scores.items()},
            "reasons": self.reasons,
        }
        if self.precedents:
            d["precedents"] = self.precedents
        if self.article.deleted:
            d["deleted"] = True
        if with_text:
            d["text"] = self.article.body_text()
        return d


class SearchResults(list):
    """A list of :class:`Hit` plus what the caller should be told about the query: ``notices``,
    ``citations`` (exact ones found in it) and ``terms`` (its words worth highlighting in a hit's text,
    from the tokens the search already made: no second Kiwi pass)."""

    def __init__(self, hits: Iterable[Hit] = (), *, query: str = "", notices: list[str] | None = None,
                 citations: list[QueryCitation] | None = None, terms: list[str] | None = None):
        super().__init__(hits)
        self.query = query
        self.notices: list[str] = notices or []
        self.citations: list[QueryCitation] = citations or []
        self.terms: list[str] = terms or []

    @property
    def keys(self) -> list[str]:
        return [h.key for h in self]


def citation_hits(cites: list[QueryCitation], data: Any, top: float, notes: list[str]) -> list[Hit]:
    """The hits of a query's exact citations, scored above the best retrieved one (``top``), in order;
    a cited article the index lacks or has deleted gets a notice."""
    hits: list[Hit] = []
    for c in cites:
        if any(h.key == c.key for h in hits):
            continue
        pos = data.by_key.get(c.key)
        if pos is None:
            notes.append(f"cited article {c.key} ({c.raw}) is not in this index")
            continue
        art, reason = data.articles[pos], f"exact citation '{c.raw}'"
        if art.deleted:
            notes.append(f"cited article {c.key} is deleted (삭제)")
            reason += " — article deleted (삭제)"
        hits.append(Hit(c.key, top + 1.0, art, {"citation": len(hits) + 1}, {}, [reason]))
    return hits
