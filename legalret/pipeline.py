"""Build and update an index *with* its precedent memory: the one place that joins the two.

:mod:`legalret.index.build` writes article generations and knows nothing about precedents; it accepts a
``parts`` callback whose :class:`~legalret.index.store.GenerationPart` s are written by the same atomic
commit. This module supplies that callback: the memory is built (``build``), re-resolved against the new
article set (``add`` of statutes: a removed article never gets a vote, and no item is dropped — re-adding the
article gives back exactly the votes it had), extended (``add`` of precedents)
or migrated from the old layout (``<index>/memory`` beside the generations), inside the generation.

Usage::

    from legalret.ingest import ingest
    from legalret.precedents import read_precedents
    from legalret import pipeline

    articles = ingest(["legalize-kr.zip"], laws=["민법", "상법"]).articles
    report = pipeline.build(articles, "index/", model="none",
                            precedents=read_precedents(["precedent-kr.zip"]))
    report = pipeline.add(ingest(["amended/민법/법률.md"]).articles, "index/")      # re-resolves the memory
    report = pipeline.add([], "index/", precedents=read_precedents(["new-decisions/"]))
    report.memory      # {'items': …, 'removed_citations': …, …}

    # the facts memory (legalret.memory.facts): the facts of the same decisions, its own part ("facts/")
    pipeline.build(articles, "index/", model="none", precedents=read_precedents(["precedent-kr.zip"]),
                   facts=read_facts(["precedent-facts.zip"]))
    pipeline.add([], "index/", facts=read_facts(["new-facts.jsonl"]))   # joined with the stored holdings
"""

from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable, Iterator

from legalret.articles import Article
from legalret.errors import LegalretError
from legalret.index.build import BuildReport, PartsContext, add_to_index, build_index
from legalret.index.store import LEGACY_MEMORY_DIR
from legalret.index.tokenize import KiwiTokenizer
from legalret.memory.facts import FACTS_PART, add_facts, build_facts_memory
from legalret.memory.retriever import VoteConfig, WeightConfig
from legalret.memory.store import MEMORY_PART, PrecedentMemory
from legalret.precedents.citations import ArticleCatalog, predates_numbering, resolve
from legalret.precedents.parse import Precedent
from legalret.progress import console, track
from legalret.search.fusion import default_fusion


def memory_settings() -> dict:
    """The retrieval settings stored with a memory (its tuned vote and weight parameters)."""
    return {"votes": asdict(VoteConfig()), "weights": asdict(WeightConfig())}


def build(
    articles: Iterable[Article],
    index_dir: str | Path,
    *,
    precedents: Iterable[Any] | None = None,
    facts: Iterable[Any] | None = None,
    memory_dense: bool = False,
    adapter: str | Path | None = None,
    dense_weight: float | None = None,
    onnx_export: bool = False,
    **options: Any,
) -> BuildReport:
    """:func:`~legalret.index.build.build_index` plus, when ``precedents`` are given, the precedent memory
    in the same generation (its citations resolved against these articles). No precedents: no memory.
    ``facts`` (:class:`~legalret.precedents.facts.FactsRecord` s, needs ``precedents``) adds the facts memory
    (``facts/``): one item per decision of the memory, voting for what the decision cites.
    ``memory_dense`` also encodes the holdings (slow on CPU). ``onnx_export`` exports the index's encoder to
    ONNX afterwards (:mod:`legalret.models.onnx`), so that searches embed queries without torch; the CLI
    turns it on. Other options go to ``build_index``."""
    if facts is not None and precedents is None:
        raise LegalretError("--facts needs --precedents: the facts are joined with the decisions' citations")
    info: dict = {}
    used: list = []  # the encoder the build used (for the ONNX export)

    def parts(ctx: PartsContext):
        used.append(ctx.encoder())
        if precedents is None:
            return None
        catalog = ArticleCatalog.from_articles(ctx.entries)
        memory = PrecedentMemory.build(
            track(_resolved(precedents, catalog), "reading precedents"),  # 72k decisions: a few minutes
            encoder=ctx.encoder() if memory_dense else None,
            tokenizer=KiwiTokenizer(ctx.tokenizer),
            keep_keys=catalog.__contains__,
        )
        memory.settings = memory_settings()
        _note_errors(memory)
        info.update(items=len(memory), skipped=len(memory.errors))
        if facts is None:
            return {MEMORY_PART: memory}
        facts_memory = build_facts_memory(track(facts, "reading facts"), memory, tokenizer=memory.tokenizer)
        info["facts_items"] = len(facts_memory)
        return {MEMORY_PART: memory, FACTS_PART: facts_memory}

    options.setdefault("fusion", default_fusion(adapter, dense_weight).to_dict())
    report = build_index(articles, index_dir, adapter=adapter, parts=parts, **options)
    report.memory = info or None
    if onnx_export and used and used[0] is not None:
        _export_query_encoder(used[0])
    return report


def _export_query_encoder(encoder: Any) -> None:
    """ONNX export of the index's encoder (skipped when one exists); a failure is a warning: searches then
    load the torch encoder as before."""
    from legalret.errors import LegalretError
    from legalret.models.onnx import (
        DEFAULT_QUERY_VARIANT,
        export_onnx,
        find_export,
        set_query_variant,
    )

    path = find_export(encoder.fingerprint)
    try:
        if path is None:
            path = export_onnx(encoder)
            console.print(f"[dim]query encoder exported to {path}[/]", highlight=False)
    except (LegalretError, OSError, RuntimeError, ValueError) as e:
        console.print(f"[yellow]note:[/] no ONNX export of the query encoder ({type(e).__name__}: {e}); "
                      "searches will load it with torch", highlight=False)
        return
    if DEFAULT_QUERY_VARIANT == "fp32":
        return
    try:  # the quantized model queries are served with (see legalret.models.onnx.DEFAULT_QUERY_VARIANT)
        set_query_variant(path, DEFAULT_QUERY_VARIANT)
    except (LegalretError, OSError, RuntimeError, ValueError) as e:
        console.print(f"[yellow]note:[/] queries stay on the fp32 ONNX model (no {DEFAULT_QUERY_VARIANT}: "
                      f"{type(e).__name__}: {e})", highlight=False)


def add(
    articles: Iterable[Article],
    index_dir: str | Path,
    *,
    precedents: Iterable[Any] | None = None,
    facts: Iterable[Any] | None = None,
    **options: Any,
) -> BuildReport:
    """:func:`~legalret.index.build.add_to_index`, keeping the memory consistent with the new articles:
    when articles changed, every holding's citations are re-resolved (citations to removed articles stop
    voting, counted in ``report.memory["removed_citations"]``; the items are kept, ``silent_items`` of them
    citing nothing live now, and vote again when their articles come back); ``precedents`` are added (by case
    number; a known one is replaced). ``facts`` are joined with the (updated) holdings memory and added to
    the facts part (a new one when the index has none); the facts part is re-resolved like the memory.
    A memory in the old layout (``<index>/memory``) is migrated into the
    new generation and then removed."""
    index_dir = Path(index_dir)
    legacy = index_dir / LEGACY_MEMORY_DIR
    info: dict = {}
    migrated = False

    def parts(ctx: PartsContext):
        nonlocal migrated
        previous = ctx.previous
        tokenizer = KiwiTokenizer(ctx.tokenizer)
        memory = None
        if previous is not None and MEMORY_PART in previous.parts:
            memory = PrecedentMemory.load(previous.path / MEMORY_PART, tokenizer=tokenizer)
        elif legacy.is_dir():
            memory = PrecedentMemory.load_legacy(legacy, tokenizer=tokenizer)
            memory.settings = memory_settings()
            migrated = True
        facts_memory = None
        if previous is not None and FACTS_PART in previous.parts:
            facts_memory = PrecedentMemory.load(previous.path / FACTS_PART, tokenizer=tokenizer)
        if memory is None and precedents is None:
            if facts is not None:
                raise LegalretError(f"{index_dir}: --facts needs a precedent memory (build with --precedents, "
                                    "or give --precedents too): the facts are joined with the decisions' citations")
            return None  # nothing to keep consistent
        catalog = ArticleCatalog.from_articles(ctx.entries)
        changed = False
        if memory is not None and (ctx.articles_changed or migrated):
            counts = memory.reresolve(catalog)
            info.update(counts)
            changed = migrated or counts["changed"] > 0
        if precedents is not None:
            if memory is None:
                memory = PrecedentMemory([], tokenizer=tokenizer)
                memory.settings = memory_settings()
            if memory.has_dense:
                memory.encoder = ctx.encoder()
            memory.keep_only(catalog.__contains__)
            counts = memory.add(_resolved(precedents, catalog))
            _note_errors(memory)
            info.update({f"precedents_{k}": v for k, v in counts.items()})
            changed = changed or counts["items"] > 0
        if memory is not None:
            info["items"] = len(memory)
        out = {MEMORY_PART: memory} if changed else {}
        if facts_memory is not None and ctx.articles_changed:
            counts = facts_memory.reresolve(catalog)
            info.update({f"facts_{k}": v for k, v in counts.items() if k != "items"})
            if counts["changed"]:
                out[FACTS_PART] = facts_memory
        if facts is not None:
            if facts_memory is None:
                facts_memory = build_facts_memory(facts, memory, tokenizer=tokenizer)
                counts = {"items": len(facts_memory)}
            else:
                counts = add_facts(facts_memory, facts, memory)
            info.update({f"facts_{k}": v for k, v in counts.items() if k != "skipped"})
            if counts["items"]:
                out[FACTS_PART] = facts_memory
        if facts_memory is not None:
            info["facts_items"] = len(facts_memory)
        return out or None

    report = add_to_index(articles, index_dir, parts=parts, **options)
    report.memory = info or None
    if migrated and report.wrote:
        shutil.rmtree(legacy, ignore_errors=True)  # now inside the generation
    return report


def _resolved(precedents: Iterable[Any], catalog: ArticleCatalog) -> Iterator[Any]:
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


def _note_errors(memory: PrecedentMemory) -> None:
    for err in memory.errors[:10]:
        console.print(f"[yellow]skipped precedent:[/] {err}", highlight=False)
    if len(memory.errors) > 10:
        console.print(f"[yellow]… and {len(memory.errors) - 10} more skipped precedents[/]", highlight=False)
