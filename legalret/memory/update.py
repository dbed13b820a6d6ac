"""The memory parts of a new index generation: what :mod:`legalret.pipeline` hands the index build.

:mod:`legalret.index.build` writes article generations and knows nothing about precedents; it calls a ``parts``
callback with a :class:`~legalret.index.build.PartsContext` (the new articles, the previous generation, the
encoder) and writes the :class:`~legalret.index.store.GenerationPart` s it returns in the same atomic commit.
:class:`MemoryBuild` and :class:`MemoryUpdate` are those callbacks; what they did is on them afterwards
(``info``: the counts a report shows; ``migrated``: the old-layout folder moved into the generation).

Usage::

    from legalret.memory.update import MemoryBuild, MemoryUpdate

    build = MemoryBuild(read_precedents(["precedent-kr.zip"]), facts=None, dense=False)
    build_index(articles, "index/", parts=build)                      # build.info: {'items': …, 'skipped': …}
    update = MemoryUpdate("index/", precedents=read_precedents(["new-decisions/"]))
    report = add_to_index(amended, "index/", parts=update)           # update.info, update.migrated
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable, Iterator

from legalret.errors import LegalretError
from legalret.index.build import PartsContext
from legalret.index.store import IndexData
from legalret.index.tokenize import KiwiTokenizer
from legalret.memory.builder import add_precedents, build_memory, keep_only, migrate_legacy, reresolve
from legalret.memory.facts import add_facts, build_facts_memory
from legalret.memory.format import FACTS_PART, MEMORY_PART, legacy_memory
from legalret.memory.retriever import VoteConfig, WeightConfig
from legalret.memory.store import PrecedentMemory
from legalret.precedents.citations import ArticleCatalog, predates_numbering, resolve
from legalret.precedents.parse import Precedent
from legalret.progress import console, track


def memory_settings() -> dict:
    """The retrieval settings stored with a memory (its tuned vote and weight parameters)."""
    return {"votes": asdict(VoteConfig()), "weights": asdict(WeightConfig())}


class MemoryBuild:
    """The ``parts`` callback of a fresh build: the holdings memory of ``precedents`` (their citations resolved
    against the new articles) and, with ``facts``, the facts memory; ``dense`` also encodes the holdings."""

    def __init__(self, precedents: Iterable[Any] | None, facts: Iterable[Any] | None = None, dense: bool = False):
        if facts is not None and precedents is None:
            raise LegalretError("--facts needs --precedents: the facts are joined with the decisions' citations")
        self.precedents, self.facts, self.dense = precedents, facts, dense
        self.info: dict = {}

    def __call__(self, ctx: PartsContext) -> dict | None:
        if self.precedents is None:
            return None
        catalog = ArticleCatalog.from_articles(ctx.entries)
        memory = build_memory(
            track(resolved(self.precedents, catalog), "reading precedents"),  # 72k decisions: a few minutes
            encoder=ctx.encoder() if self.dense else None,
            tokenizer=KiwiTokenizer(ctx.tokenizer),
            keep_keys=catalog.__contains__,
        )
        memory.settings = memory_settings()
        note_errors(memory)
        self.info.update(items=len(memory), skipped=len(memory.errors))
        if self.facts is None:
            return {MEMORY_PART: memory}
        facts_memory = build_facts_memory(track(self.facts, "reading facts"), memory)  # its own tokenizer: n-grams
        self.info["facts_items"] = len(facts_memory)
        return {MEMORY_PART: memory, FACTS_PART: facts_memory}


class MemoryUpdate:
    """The ``parts`` callback of ``index add``: keeps the memories consistent with the new articles.

    When articles changed, every holding's citations are re-resolved (:func:`~legalret.memory.builder.reresolve`:
    no item is dropped; ``info["silent_items"]`` cite nothing live now); ``precedents`` are added by case
    number; ``facts`` are joined with the (updated) holdings and added to the facts part (a new one when the
    index has none), which is re-resolved like the memory. A memory in the old layout is migrated into the
    new generation (``migrated``: its folder, for the caller to remove once the generation is written).
    Only the parts that changed are returned; None keeps the previous generation's parts as they are."""

    def __init__(self, index_dir: str | Path, precedents: Iterable[Any] | None = None, facts: Iterable[Any] | None = None):
        self.index_dir, self.precedents, self.facts = Path(index_dir), precedents, facts
        self.info: dict = {}
        self.migrated: Path | None = None

    def __call__(self, ctx: PartsContext) -> dict | None:
        tokenizer = KiwiTokenizer(ctx.tokenizer)
        memory = self._open_holdings(ctx.previous, tokenizer)
        facts_memory = _open_part(ctx.previous, FACTS_PART, tokenizer)
        if memory is None and self.precedents is None:
            if self.facts is not None:
                raise LegalretError(f"{self.index_dir}: --facts needs a precedent memory (build with --precedents, "
                                    "or give --precedents too): the facts are joined with the decisions' citations")
            return None  # nothing to keep consistent
        catalog = ArticleCatalog.from_articles(ctx.entries)
        out: dict[str, PrecedentMemory] = {}
        memory = self._update_holdings(memory, ctx, catalog, tokenizer, out)
        self._update_facts(facts_memory, memory, ctx, catalog, tokenizer, out)
        return out or None

    def _open_holdings(self, previous: IndexData | None, tokenizer) -> PrecedentMemory | None:
        """The previous generation's holdings memory, or the old layout's read for migration (the one place)."""
        memory = _open_part(previous, MEMORY_PART, tokenizer)
        legacy = legacy_memory(self.index_dir) if memory is None else None
        if legacy is not None:
            memory = migrate_legacy(legacy, tokenizer=tokenizer)
            memory.settings = memory_settings()
            self.migrated = legacy
        return memory

    def _update_holdings(self, memory: PrecedentMemory | None, ctx: PartsContext, catalog: ArticleCatalog,
                         tokenizer, out: dict) -> PrecedentMemory | None:
        changed = self.migrated is not None  # a migrated memory is written whatever else happens
        if memory is not None and (ctx.articles_changed or changed):
            counts = reresolve(memory, catalog)
            self.info.update(counts)
            changed = changed or counts["changed"] > 0
        if self.precedents is not None:
            if memory is None:
                memory = PrecedentMemory(tokenizer=tokenizer)
                memory.settings = memory_settings()
            keep_only(memory, catalog.__contains__)
            counts = add_precedents(memory, resolved(self.precedents, catalog),
                                    encoder=ctx.encoder() if memory.has_dense else None)
            note_errors(memory)
            self.info.update({f"precedents_{k}": v for k, v in counts.items()})
            changed = changed or counts["items"] > 0
        if memory is not None:
            self.info["items"] = len(memory)
        if changed:
            out[MEMORY_PART] = memory
        return memory

    def _update_facts(self, facts_memory: PrecedentMemory | None, memory: PrecedentMemory | None, ctx: PartsContext,
                      catalog: ArticleCatalog, tokenizer, out: dict) -> None:
        if facts_memory is not None and ctx.articles_changed:
            counts = reresolve(facts_memory, catalog)
            self.info.update({f"facts_{k}": v for k, v in counts.items() if k != "items"})
            if counts["changed"]:
                out[FACTS_PART] = facts_memory
        if self.facts is not None:
            if facts_memory is None:
                facts_memory = build_facts_memory(self.facts, memory)  # (an existing one keeps its tokenizer)
                counts = {"items": len(facts_memory)}
            else:
                counts = add_facts(facts_memory, self.facts, memory)
            self.info.update({f"facts_{k}": v for k, v in counts.items() if k != "skipped"})
            if counts["items"]:
                out[FACTS_PART] = facts_memory
        if facts_memory is not None:
            self.info["facts_items"] = len(facts_memory)


def _open_part(previous: IndexData | None, part: str, tokenizer) -> PrecedentMemory | None:
    if previous is None or part not in previous.parts:
        return None
    return PrecedentMemory.load(previous.path / part, tokenizer=tokenizer)


def resolved(precedents: Iterable[Any], catalog: ArticleCatalog) -> Iterator[Any]:
    """Each holding's citations resolved against the articles of *this* index, so a holding votes only
    for live articles the index can return (whatever catalog, if any, the precedents were read with)."""
    for precedent in precedents:
        if isinstance(precedent, Precedent):  # plain records (dicts) carry resolved keys already
            for holding in precedent.holdings:
                if holding.citations:
                    holding.keys, _ = resolve(holding.citations, catalog)
                # a decision made before today's numbering cited the replaced code (의용민법, 구 상법)
                holding.keys = [k for k in holding.keys if not predates_numbering(k, precedent.decided)]
        yield precedent


def note_errors(memory: PrecedentMemory) -> None:
    """The first skipped precedent records, on the console (the rest counted)."""
    for err in memory.errors[:10]:
        console.print(f"[yellow]skipped precedent:[/] {err}", highlight=False)
    if len(memory.errors) > 10:
        console.print(f"[yellow]… and {len(memory.errors) - 10} more skipped precedents[/]", highlight=False)
