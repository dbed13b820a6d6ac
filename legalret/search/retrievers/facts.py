"""The facts memory as a retriever: the facts of earlier decisions vote for what those decisions cite.

The same voting and leakage guard as the holdings memory (:mod:`legalret.search.retrievers.memory`), over
the generation's ``facts/`` part (:mod:`legalret.memory.facts`); it opens only beside a holdings memory (the
two share one adaptive fusion channel). ``Searcher(facts=…)`` takes what ``memory=`` takes.
"""

from __future__ import annotations

from legalret.errors import IndexError_
from legalret.memory.format import FACTS_PART
from legalret.memory.store import PrecedentMemory
from legalret.search.retrievers.base import Generation, register
from legalret.search.retrievers.memory import MemoryVotes


@register
class FactsVotes(MemoryVotes):
    name = "facts"
    part = FACTS_PART
    features = frozenset({"rank", "votes"})
    missing = "no facts memory in this index (build with --precedents and --facts)"
    mode = False  # fused only: on its own it answers a different question (whose facts resemble this one)
    matched = "facts"
    prefix = "facts: "
    explained = 2
    always_explained = True  # its re-ranker features are always listed in the learned-fusion line (the new signal)

    @classmethod
    def open(cls, generation: Generation) -> FactsVotes | None:
        if "memory" not in generation.opened:  # facts beside a memory only
            return None
        return super().open(generation)

    @classmethod
    def _load(cls, generation: Generation, *, required: bool) -> PrecedentMemory | None:
        if cls.part not in generation.data.parts or generation.manifest.get(cls.part) is None:
            if required:
                raise IndexError_(f"{generation.index_dir}: {cls.missing}")
            return None
        return super()._load(generation, required=required)
