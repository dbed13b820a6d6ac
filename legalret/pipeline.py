"""Build and update an index *with* its precedent memory: the one place that joins the two.

:mod:`legalret.index.build` writes article generations and knows nothing about precedents; it accepts a
``parts`` callback whose :class:`~legalret.index.store.GenerationPart` s are written by the same atomic
commit. This module hands it :mod:`legalret.memory.update`'s callbacks: the memory is built (``build``), re-resolved against the new
article set (``add`` of statutes: a removed article never gets a vote, and no item is dropped — re-adding the
article gives back exactly the votes it had), extended (``add`` of precedents)
or migrated from the old layout (``<index>/memory`` beside the generations), inside the generation.

Usage::

    from legalret.ingest import ingest
    from legalret.memory.sources import DecisionSources
    from legalret.precedents import read_precedents
    from legalret.precedents.facts import read_facts
    from legalret import pipeline

    articles = ingest(["legalize-kr.zip"], laws=["민법", "상법"]).articles
    report = pipeline.build(articles, "index/", model="none",
                            precedents=read_precedents(["precedent-kr.zip"]))
    report = pipeline.add(ingest(["amended/민법/법률.md"]), "index/")      # re-resolves the memory; the whole result:
                                                                          # a law not read whole loses no article
    report = pipeline.add([], "index/", precedents=read_precedents(["new-decisions/"]))
    report.memory      # {'items': …, 'removed_citations': …, …}

    # the facts memory (legalret.memory.facts): the facts of the same decisions, its own part ("facts/")
    pipeline.build(articles, "index/", model="none", precedents=read_precedents(["precedent-kr.zip"]),
                   facts=read_facts(["precedent-facts.zip"]))
    pipeline.add([], "index/", facts=read_facts(["new-facts.jsonl"]))   # joined with the stored holdings

    # where the decisions came from, recorded with the memory: a law added later is read for in the same archives
    given = DecisionSources(precedents=("precedent-kr.zip",), facts=("precedent-facts.zip",))
    pipeline.build(articles, "index/", precedents=read_precedents(given.precedents),
                   facts=read_facts(given.facts), decision_sources=given)
    pipeline.add(ingest(["legalize-kr.zip"], laws=["형법"]), "index/")  # reads the archives again for 형법

    # a law spelled with other spacing ('형 법', '근로기준법시행령') is the law the index holds (or the batch's first
    # spelling): its articles are indexed under that name, said on stderr and in report.respelled
    pipeline.add(ingest(["형 법.md"]), "index/").respelled   # [{'law': '형 법', 'indexed_as': '형법', …}]

    # a law renamed under its 법령ID (a held law's ID, another name) stops the add (LawRenamed) unless rename=True:
    # the held law's articles are replaced, and citations of its old name find the new one's
    pipeline.add(ingest(["주택임차인보호법.md"]), "index/", rename=True).renamed   # [{'from': '주택임대차보호법', …}]
    pipeline.remove(["상법"], "index/").removed_keys   # a law removed whole: a new generation (rollback undoes it)
    # recorded with its 법령ID: added later under another name it stops as a rename (rename=True links the two names)
    pipeline.build(articles, "index/", precedents=...).renames_kept   # a rebuild keeps the renames: {'주택임대차보호법': …}
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterable

from rich.markup import escape

from legalret.articles import Article
from legalret.errors import LegalretError
from legalret.index.build import BuildReport, add_to_index, build_index
from legalret.memory.sources import DecisionSources
from legalret.memory.update import MemoryBuild, MemoryUpdate
from legalret.progress import console
from legalret.search.fusion import default_fusion
from legalret.text import compact


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
    decision_sources: DecisionSources | None = None,
    drop_memory: bool = False,
    **options: Any,
) -> BuildReport:
    """:func:`~legalret.index.build.build_index` plus, when ``precedents`` are given, the precedent memory
    in the same generation (its citations resolved against these articles). No precedents: no memory.
    ``facts`` (:class:`~legalret.precedents.facts.FactsRecord` s, needs ``precedents``) adds the facts memory
    (``facts/``): one item per decision of the memory, voting for what the decision cites.
    ``memory_dense`` also encodes the holdings (slow on CPU). ``onnx_export`` exports the index's encoder to
    ONNX afterwards (:mod:`legalret.models.onnx`), so that searches embed queries without torch; the CLI
    turns it on. ``decision_sources`` (the paths ``precedents`` and ``facts`` were read from) are recorded with the
    memory, so that :func:`add` of a law can read them again for it. A law the batch spells twice, with other spacing
    ('형법', '형 법'), is one law, under its first spelling (:func:`same_law_spellings`). A build into an index's folder
    keeps what its live generation recorded of renamed and removed laws (``report.renames_kept``: the renames it applies,
    so the memory's citations of an old name find the new name's articles). Rebuilding an index that has a
    precedent memory without ``precedents`` is refused (:func:`check_memory_kept`) unless ``drop_memory``. Other
    options go to ``build_index``."""
    if not drop_memory:
        check_memory_kept(index_dir, precedents)
    articles, respelled = same_law_spellings(articles)  # (a build replaces what the index held: the batch's spellings)
    memory = MemoryBuild(precedents, facts, dense=memory_dense, sources=decision_sources)
    options.setdefault("fusion", default_fusion(adapter, dense_weight).to_dict())
    report = build_index(articles, index_dir, adapter=adapter, parts=memory, **options)
    report.memory = memory.info or None
    report.respelled = respelled
    # the encoder comes from the memory callback, not a BuildReport field: a kept report would keep its weights alive
    if onnx_export and memory.encoder is not None:
        export_query_encoder(memory.encoder)
    return report


def check_memory_kept(index_dir: str | Path, precedents: Any, names: tuple[str, str] = ("precedents", "facts")) -> None:
    """A build over an index that has a precedent memory, without precedents, is refused in one line: the new live
    generation would hold no memory — without a word (the memories carry most of the quality: all-law dev holdings
    recall@10 0.806 with them, 0.447 without). The earlier generation would still be there (rollback), but nobody
    would know to roll back. ``names``: what the message calls the precedents and facts (the CLI: its options)."""
    if precedents:
        return
    from legalret.index.store import read_manifest

    try:
        manifest = read_manifest(index_dir)
    except LegalretError:
        return  # no index there (yet), or a damaged one: the build says what it says about that
    memory = manifest.get("memory") if "memory" in manifest.get("parts", []) else None
    if memory:
        decisions, facts = names
        raise LegalretError(f"{index_dir} holds a precedent memory ({memory.get('items')} holdings) and this build has "
                            f"no {decisions}: its new generation would hold none; give {decisions} (and {facts}) again, "
                            "update the statutes with `legalret index add` (which keeps the memory), or build into a "
                            "new folder")


def export_query_encoder(encoder: Any, *, force: bool = False) -> Path | None:
    """ONNX export of the index's encoder (skipped when one exists, unless ``force``: a damaged one is written
    again) under ``$LEGALRET_HOME/models/onnx``, where :func:`legalret.index.encoders.load_query_encoder` looks for
    it; its path, or None when the export failed — a warning: searches then load the torch encoder as before."""
    from legalret.errors import LegalretError
    from legalret.models.onnx import export_onnx, find_export

    path = None if force else find_export(encoder.fingerprint)
    try:
        if path is None:
            path = export_onnx(encoder, force=force)
            console.print(f"[dim]query encoder exported to {path}[/]", highlight=False, soft_wrap=True)
    except (LegalretError, OSError, RuntimeError, ValueError) as e:
        console.print(f"[yellow]note:[/] no ONNX export of the query encoder ({type(e).__name__}: {e}); "
                      "searches will load it with torch", highlight=False)
        return None
    return serve_query_variant(path)


def serve_query_variant(path: Path) -> Path:
    """Make the export at ``path`` serve queries with :data:`~legalret.models.onnx.DEFAULT_QUERY_VARIANT`
    (quantizing it once if the export lacks it; no torch); a failure is a note — queries then use its fp32 model."""
    from legalret.errors import LegalretError
    from legalret.models.onnx import DEFAULT_QUERY_VARIANT, set_query_variant

    if DEFAULT_QUERY_VARIANT == "fp32":
        return path
    try:  # the quantized model queries are served with (see legalret.models.onnx.DEFAULT_QUERY_VARIANT)
        set_query_variant(path, DEFAULT_QUERY_VARIANT)
    except (LegalretError, OSError, RuntimeError, ValueError) as e:
        console.print(f"[yellow]note:[/] queries stay on the fp32 ONNX model (no {DEFAULT_QUERY_VARIANT}: "
                      f"{type(e).__name__}: {e})", highlight=False)
    return path


def add(
    articles: Iterable[Article],
    index_dir: str | Path,
    *,
    precedents: Iterable[Any] | None = None,
    facts: Iterable[Any] | None = None,
    decision_sources: DecisionSources | None = None,
    reread_decisions: bool = True,
    **options: Any,
) -> BuildReport:
    """:func:`~legalret.index.build.add_to_index`, keeping the memory consistent with the new articles
    (:class:`~legalret.memory.update.MemoryUpdate`): when articles changed, every holding's citations are
    re-resolved (citations to removed articles stop voting, counted in ``report.memory["removed_citations"]``;
    the items are kept, ``silent_items`` of them citing nothing live now, and vote again when their articles
    come back); ``precedents`` are added (by case number; a known one is replaced). ``facts`` are joined with
    the (updated) holdings memory and added to the facts part (a new one when the index has none); the facts
    part is re-resolved like the memory. A memory in the old layout (``<index>/memory``) is migrated into
    the new generation and then removed.

    ``decision_sources`` (the paths ``precedents`` and ``facts`` were read from) are recorded with the memory. An add
    that brings in a law the memory's recorded archives were read without, and gives no precedents or facts, reads
    them again for the decisions citing it (``report.memory["reread"]``) — unless ``reread_decisions`` is False or an
    archive is gone or changed: then ``report.memory["laws_not_read"]`` names the laws, and a line says why.

    ``articles`` may be the whole :class:`~legalret.ingest.sources.IngestResult` (``ingest(...)``, not its
    ``.articles``): a law one of whose articles could not be read (``report.dropped``) then loses none of the
    articles the batch lacks, as ``legalret index add`` does — given the articles alone, 민법 제750조 had been removed
    when its JSON's 조문번호 was unreadable.

    A law spelled with other spacing than a law the index holds is that law (:func:`same_law_spellings`); a law with
    the 법령ID of a held law of another name is that law renamed (``rename=True`` indexes it in its place; see
    :func:`~legalret.index.build.add_to_index`)."""
    dropped = getattr(getattr(articles, "report", None), "dropped", None)
    if dropped and "incomplete" not in options:
        options["incomplete"] = frozenset(dropped)
        console.print(f"[yellow]note:[/] {', '.join(f'{law} ({n})' for law, n in dropped.items())}: article(s) that could "
                      "not be read; none of the law's articles missing from this batch is removed", highlight=False)
    articles = list(getattr(articles, "articles", articles))
    articles, respelled = same_law_spellings(articles, held_laws(index_dir) if articles else ())
    if respelled and options.get("incomplete"):  # (the laws whose articles are kept: as they are indexed now)
        renamed = {r["law"]: r["indexed_as"] for r in respelled}
        options["incomplete"] = frozenset(renamed.get(law, law) for law in options["incomplete"])
    memory = MemoryUpdate(index_dir, precedents=precedents, facts=facts, sources=decision_sources,
                          reread=reread_decisions)
    report = add_to_index(articles, index_dir, parts=memory, **options)
    report.memory = memory.info or None
    report.respelled = respelled
    if memory.migrated is not None and report.wrote:
        shutil.rmtree(memory.migrated, ignore_errors=True)  # now inside the generation
    return report


def remove(laws: Iterable[str], index_dir: str | Path, **options: Any) -> BuildReport:
    """Remove the held ``laws`` whole: :func:`add` of no articles with ``remove_laws`` — the one writer, so it is a new
    generation (``index rollback`` undoes it) and the memory's citations are re-resolved as an add's are (citations of
    the removed articles stop voting; the items are kept, and vote again when the law is added back). The articles
    removed are ``report.removed_keys``, the laws ``report.removed_laws``; each is recorded with its 법령ID in the
    manifest (``removed_laws``), so that a later add of a law of that 법령ID under another name is taken for its rename
    (:class:`~legalret.index.build.LawRenamed` unless ``rename=True``, which links the old name to the new one: its
    holdings vote again). Nothing is encoded, and the encoder is not loaded. A law the index does not hold
    (:class:`~legalret.index.store.UnknownLaw`, with the nearest held names), or every law it holds, is refused
    (:class:`~legalret.errors.IndexError_`, nothing written). Other options go to :func:`add`."""
    return add([], index_dir, remove_laws=tuple(laws), **options)


def same_law_spellings(articles: Iterable[Article], held: Iterable[str] = ()) -> tuple[list[Article], list[dict]]:
    """The articles (a list: ``articles`` may be read once), each of a law spelled with other spacing (or middle dots)
    than a law of ``held`` — the laws the index holds — or than the batch's first spelling of it, renamed to that
    spelling (its key with it); and one record per spelling renamed: ``{"law", "source", "indexed_as", "held"}``
    (``held``: the spelling is the index's, else the batch's), each said in one line on stderr.

    The same law written '형 법' (a hand-edited front matter) or '근로기준법시행령' had become a second law beside
    형법 / 근로기준법 시행령: its articles indexed twice, the precedent memory's citations moved to the copy, and a
    ``--law`` filter — which reads names without their spacing (:class:`~legalret.keys.LawNames`) — unable to tell
    them apart. Names are compared as :func:`~legalret.text.compact` makes them, as every lookup of a law by name
    does. Called by :func:`build` and :func:`add` before anything is written, so a re-add of a held law's unchanged
    text in another spelling changes nothing (its articles unchanged, the memory untouched)."""
    articles = list(getattr(articles, "articles", articles))  # (an IngestResult: its articles)
    spelling: dict[str, str] = {}
    held_names = set()
    for law in held:
        spelling.setdefault(compact(law), law)
        held_names.add(law)
    respelled: dict[str, dict] = {}
    for art in articles:
        name = spelling.setdefault(compact(art.law), art.law)
        if name == art.law:
            continue
        if art.law not in respelled:
            respelled[art.law] = {"law": art.law, "source": art.source or None, "indexed_as": name,
                                  "held": name in held_names}
            where = f" ({art.source})" if art.source else ""
            console.print(f"[yellow]note:[/] {escape(repr(art.law))}{escape(where)} is {escape(name)} written with other "
                          f"spacing: indexed as {escape(name)}", highlight=False, soft_wrap=True)
        art.law = name  # (the key follows: Article.key is made from the law's name)
    return articles, list(respelled.values())


def held_laws(index_dir: str | Path) -> list[str]:
    """The laws the live generation of ``index_dir`` holds, as it spells them ([] where no index can be read: the add
    says what is wrong with it)."""
    from legalret.index.store import read_manifest

    try:
        return list(read_manifest(index_dir).get("laws") or {})
    except LegalretError:
        return []
