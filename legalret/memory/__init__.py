"""Precedent memory: a third retriever in which similar past holdings vote for the articles they cite.

Courts restate settled doctrine again and again, so the articles cited by the holdings most similar to a
question are strong evidence for it. The memory indexes holding items (판시사항, optionally with their
판결요지) with the same BM25 and dense machinery as articles, and turns the nearest holdings into a
scored article list.

Modules: ``format`` (the files of a written memory), ``store`` (:class:`PrecedentMemory`: load/save), ``query``
(its query side), ``builder`` (build / add / re-resolve / migrate), ``update`` (the memory parts of a new index
generation), ``retriever`` (the votes), ``facts`` and ``profiles``.

Usage::

    from legalret.memory import PrecedentMemory, MemoryVoter, build_memory, memory_weight

    memory = build_memory(read_precedents(["precedent-kr.zip"]), encoder=None)   # BM25 only
    memory.save("some/dir")      # inside an index it is written by legalret.pipeline, in the generation
    retriever = MemoryVoter(PrecedentMemory.load("some/dir"))
    retriever.search("임대차보증금 반환채무와 목적물 인도의 동시이행", k=10)   # [(key, score), ...]
    result = retriever.explain(query, k=10, before=date(2021, 3, 4), exclude="2019다12345")
    result.votes[0].support        # the holdings behind the top article (사건번호, 선고일자, text)
    memory_weight(result)          # how much the fusion should trust the memory for this query

    # the facts memory (legalret.memory.facts): one item per decision, its facts text, same machinery
    facts = build_facts_memory(read_facts("precedent-facts.zip"), memory)
    MemoryVoter(facts, FACTS_VOTES).search("갑은 을에게 자동차 수리를 맡겼는데 …", k=10)

    # article profiles (legalret.memory.profiles): every holding citing an article pooled into one document
    ArticleProfiles(memory).ranking(memory.tokenize("유치권자의 점유 상실"), 10, before="2021-03-04")
"""

from legalret.memory.retriever import (
    ArticleVote,
    HoldingMatch,
    MemoryResult,
    MemoryRetriever,  # the old name of MemoryVoter, for callers written before the rename
    MemoryVoter,
    VoteConfig,
    WeightConfig,
    memory_weight,
)
from legalret.memory.facts import FACTS_PART, FACTS_VOTES, add_facts, build_facts_memory
from legalret.memory.profiles import ArticleProfiles, ProfileConfig
from legalret.memory.builder import add_precedents, build_memory
from legalret.memory.format import MemoryItem
from legalret.memory.store import PrecedentMemory

__all__ = [
    "ArticleProfiles",
    "ArticleVote",
    "FACTS_PART",
    "FACTS_VOTES",
    "add_facts",
    "add_precedents",
    "build_memory",
    "build_facts_memory",
    "HoldingMatch",
    "MemoryItem",
    "MemoryResult",
    "MemoryVoter",
    "PrecedentMemory",
    "ProfileConfig",
    "VoteConfig",
    "WeightConfig",
    "memory_weight",
]
