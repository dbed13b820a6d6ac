"""The precedent memory (holdings) as a retriever: earlier decisions vote for the articles they cite.

Its votes are restricted to articles this index can return (live rows under the query's filters) and its
fusion weight adapts per query (:func:`~legalret.memory.retriever.memory_weight`, the settings stored with
the memory). ``Searcher(memory=…)``: None = the generation's memory, if it has one; False = never; True =
required; or a :class:`~legalret.memory.store.PrecedentMemory` / :class:`~legalret.memory.retriever.MemoryVoter`.
"""

from __future__ import annotations

from typing import Any

from legalret.errors import IndexError_
from legalret.keys import decision_url
from legalret.index.store import reading
from legalret.memory.format import MEMORY_PART, legacy_error, legacy_memory
from legalret.memory.retriever import MemoryVoter, VoteConfig, WeightConfig, memory_weight
from legalret.memory.store import PrecedentMemory
from legalret.search.parties import without_party_names
from legalret.search.retrievers.base import BaseRetriever, Generation, Query, register

#: Precedents shown per hit with explain (fields and lines).
EXPLAINED = 3


@register
class MemoryVotes(BaseRetriever):
    name = "memory"
    part = MEMORY_PART  # the generation's folder
    features = frozenset({"rank", "agree", "votes", "gate"})
    missing = "no precedent memory in this index (build with --precedents)"
    describe = "precedent memory alone"
    matched = "holding"  # what matched the query, in the structured precedents
    prefix = ""  # explain lines' prefix
    explained = EXPLAINED

    def __init__(self, retriever: MemoryVoter, row_of_key: dict[str, int], weights: WeightConfig,
                 *, same_tokens: bool = False):
        self.retriever, self.row_of_key, self.weights = retriever, row_of_key, weights
        # the memory tokenizes like the searcher: reuse Query.tokens (Kiwi once); else (n-grams) it cuts the query
        # itself, party names left out as the searcher's tokens leave them out
        self.same_tokens = same_tokens

    @classmethod
    def open(cls, generation: Generation) -> MemoryVotes | None:
        arg = generation.option(cls.name)  # (False never gets here: the Searcher opens nothing then)
        settings: dict = {}
        if isinstance(arg, MemoryVoter):
            retriever = arg
        elif isinstance(arg, PrecedentMemory):
            retriever = MemoryVoter(arg)
        elif arg is None or arg is True:
            memory = cls._load(generation, required=arg is True)
            if memory is None:
                return None
            settings = memory.settings
            retriever = MemoryVoter(memory, VoteConfig(**settings.get("votes", {})))
        else:
            raise TypeError(f"{cls.name} must be None, False, a PrecedentMemory or a MemoryVoter, not {type(arg).__name__}")
        same = retriever.memory.tokenizer is generation.tokenizer  # loaded here with the searcher's tokenizer
        return cls(retriever, generation.row_of_key, WeightConfig(**settings.get("weights", {})), same_tokens=same)

    @classmethod
    def _load(cls, generation: Generation, *, required: bool) -> PrecedentMemory | None:
        if cls.part not in generation.data.parts or generation.manifest.get(cls.part) is None:
            legacy = legacy_memory(generation.index_dir)
            if legacy is not None:  # migrated by `index add` (legalret.memory.update), never here
                raise legacy_error(generation.index_dir, legacy)
            if required:
                raise IndexError_(f"{generation.index_dir}: {cls.missing}")
            return None
        path = generation.data.path / cls.part
        with reading(path):  # a dense memory embeds the query with the index's encoder, loaded on first use
            memory = PrecedentMemory.load(path, tokenizer=generation.tokenizer, query_encoder=generation.encoder)
        if not len(memory):  # no decision cites these articles (or none was read): it votes for nothing — as if
            if required:     # absent (every search, bm25 too, had failed on its missing BM25 vocabulary)
                raise IndexError_(f"{generation.index_dir}: its {cls.part} part holds no decision")
            return None
        return memory

    # ---- the query side ----------------------------------------------------------------------------
    def candidates(self, query: Query, n: int) -> list[tuple[str, float]]:
        tokens = query.tokens if self.same_tokens else self.retriever.memory.tokenize(without_party_names(query.text))
        result = self.retriever.explain(query.text, n, laws=query.laws, before=query.before, exclude=query.exclude,
                                        tokens=tokens)
        query.results[self.name] = result
        out = []
        for key, score in result.ranking(n):
            row = self.row_of_key.get(key)  # a key the index no longer has (or deleted) never surfaces
            if row is not None and (query.mask is None or query.mask[row]):
                out.append((key, score))
        return out

    def gate(self, query: Query) -> float:
        result = query.results.get(self.name)
        return float(memory_weight(result, self.weights)) if result is not None else 0.0

    def votes(self, query: Query) -> dict[str, tuple[float, int]] | None:
        result = query.results.get(self.name)
        return result.shares_and_support() if result is not None else None

    def explain(self, query: Query, key: str) -> tuple[list[str], list[dict]]:
        """Which earlier decisions brought ``key`` up: lines, and their fields (사건번호, 선고일자, text, similarity)."""
        result = query.results.get(self.name)
        if result is None:
            return [], []
        lines = [self.prefix + line for line in result.explain_lines(key, limit=self.explained)]
        return lines, [precedent_fields(m, self.matched) for m in result.support_for(key)[:self.explained]]


def precedent_fields(match: Any, matched: str) -> dict:
    """One earlier decision behind a hit, as fields (the API and the page show these; ``reasons`` has them as
    lines): 사건번호, 선고일자, what matched the query — ``matched`` 'holding' (a 판시사항 item: its number and
    text) or 'facts' (the opening of the facts the court found) —, its similarity (1 = the best match) and the URL of
    the whole decision on law.go.kr (None without a 판례일련번호)."""
    item = match.item
    return {"case_no": item.case_no, "decided": item.decided.isoformat(), "index": item.index or None,
            "text": item.text, "similarity": round(float(match.similarity), 4), "matched": matched,
            "url": decision_url(getattr(item, "serial", ""))}
