"""Build an index from articles, or update one incrementally (``index add``).

:func:`build_index` writes a fresh index: Kiwi tokens (parallel), bm25s, passage embeddings (batched, the
encoder's own precision — bf16 where the CPU has it), FAISS. :func:`add_to_index` merges new or amended
articles into an existing index:

* articles are matched **by key**; a changed text replaces the old one; an unchanged one keeps its tokens
  and vector (cached by text hash under the index's encoder fingerprint, so only changed text is encoded);
* passages are embedded as ``index build`` embeds them (:func:`passage_encoder`: the torch encoder, or its ONNX
  export under ``$LEGALRET_PASSAGE_ENCODER``); an add whose runtime — torch precision or ONNX variant — is not
  the one the index records stops with :class:`IndexError_` rather than mix two kinds of vectors — before the
  memory stage and the encoder load, the runtime being known from the settings; the loaded encoder is checked again;
* a law present in the new batch is taken to be **re-ingested whole**: its articles missing from the batch are
  removed (``remove_missing=False`` keeps them, for partial batches);
* the report says how many were added / changed / removed / unchanged — and which (``added_keys`` …; of the changed,
  ``changed_text_keys`` differ in more than their dates: a new 시행일자 on a law changes every article's dates, and
  those are what a reviewer reads; ``repealed_keys`` turned 삭제) —, and how long each stage took;
* a batch that would remove a large share of a law (a partial or truncated file: more than
  :data:`MAX_REMOVED_ARTICLES` articles or :data:`MAX_REMOVED_SHARE` of them) stops with
  :class:`IndexError_` unless ``allow_removals=True``; so does a law whose last article in the batch looks
  cut off (a truncated file: :data:`CUT_OFF_SHARE`), even with ``remove_missing=False``; and so does a batch that
  would remove any live article of a law read from a statute file (markdown, plain text, law.go.kr JSON or XML) —
  after the last article it holds of that law (a file cut at a line break) or between two it holds (an article block
  or 조문단위 deleted by hand): Korean statutes keep a
  repealed article as ``제N조 삭제 <date>``, so an amendment removes none (:func:`_check_missing_articles`); an add
  that changes nothing writes nothing;
* a law whose text in the batch is older than the indexed one (its latest 시행일자 earlier: law.go.kr's 2025 민법
  added to an index of the 2026 mirror) stops with :class:`IndexError_` unless ``allow_older=True`` — it had
  replaced the newer text and removed 민법 제1004조의2 without a word; so does a law's undated text (plain text: no
  시행일자, no 공포일자) that would replace articles the index holds dated, ``--keep-missing`` or not — it cannot be
  shown to be no older, and it had wiped the dates (and a hand-typed 제3조's ③–⑥) without a word
  (:func:`_check_undated`); an undated article takes the 법령ID of the law it replaces, which plain text lacks;
* a law with the 법령ID of a held law of another name (renamed) stops with :class:`LawRenamed` unless
  ``rename=True``, which indexes it in the held law's place and records the old name
  (:data:`~legalret.index.store.RENAMED`); ``remove_laws`` removes held laws whole (``index remove``), recording each
  with its 법령ID (:data:`~legalret.index.store.REMOVED_LAWS`), so that a law of that 법령ID added later under another
  name stops, or is linked (``rename=True``), as a held law's rename; ``build_index`` into the same folder keeps both
  records (:func:`_records_kept`); an add whose every text has its vector already — in the previous generation or
  the vector cache: ``index remove``, a removed law added back — loads no encoder (:class:`_RecordedEncoder`);
* an article whose text changes to that of a version not yet in force, with no amendment note of that version, is
  stored so that a search says it is not yet in force (:func:`_not_yet_in_force`).

Both write a new generation and swap it in atomically under the index lock (:mod:`legalret.index.store`).
``parts`` (a callback) adds :class:`~legalret.index.store.GenerationPart` s — the precedent memory — to the
same commit; :mod:`legalret.pipeline` is what passes it. A callback with a ``prepare(entries, tokenizer, aliases)`` method
is told the articles, the tokenizer settings and the renames in force as soon as they are known, so it can start on its own inputs (in
another process) while the articles are encoded; when it returns a ``busy()`` callable, a torch encoder runs on one thread fewer while ``busy()`` is true
(a busy process beside torch's two threads on two cores and torch's threads wait for each other:
``experiments/read_ahead_cores.py``). Without a callback, ``add_to_index`` carries the
previous generation's parts over unchanged.

Usage::

    from legalret.index.build import build_index, add_to_index
    from legalret.ingest.sources import ingest

    report = build_index(ingest(["legalize-kr.zip"], laws=["민법", "상법"]).articles, "index/")
    print(report.summary())
    report = add_to_index(ingest(["amended/민법/법률.md"]).articles, "index/")
    report.added, report.changed, report.removed, report.unchanged
"""

from __future__ import annotations

import json
import sys
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator, Mapping, Sequence

import numpy as np

from legalret.articles import Article
from legalret.config import DEFAULT_PASSAGE_MAX_TOKENS
from legalret.errors import IndexError_, ModelError
from legalret.index.article_store import ArticleStore, Entry, StoredArticle, as_article
from legalret.index.bm25 import BM25Engine, BM25Params, TokenStore
from legalret.index.dense import DenseIndex, EmbeddingCache, VectorSpill, encode_with_cache, text_hash
from legalret.index.store import (
    REMOVED_LAWS,
    RENAMED,
    IndexData,
    IndexLock,
    current_generation,
    held_laws_named,
    law_renames,
    load_index,
    read_manifest,
    removed_laws,
    write_generation,
)
from legalret.index.tokenize import KiwiTokenizer, TokenizerSettings
from legalret.index.vector_cache import VectorCache, encoder_fingerprint, recorded_fingerprint, same_vectors
from legalret.keys import parse_key
from legalret.progress import console, track
from legalret.text import amendment_dates, compact, normalize
# moved to legalret.index.encoders (the query side loads them without this build module); kept importable here
from legalret.index.encoders import (  # noqa: F401
    NO_ENCODER,  # ``model=`` value for an index without dense vectors (BM25 only)
    check_requested_encoder,
    index_query_adapter,
    load_index_encoder,
    load_query_encoder,
    split_adapter,
)

#: Texts per encoder call: sorted by length first so each batch pads little.
ENCODE_CHUNK = 512
#: ``index add`` refuses (without ``allow_removals``) to remove more than this many articles of one law …
MAX_REMOVED_ARTICLES = 10
#: … or more than this share of a law's articles (at least 2): what a partial or truncated file looks like.
MAX_REMOVED_SHARE = 0.2
#: The last article of a law in a batch is taken to be cut off (a truncated file) when its new text is its
#: indexed text cut mid-line, or shrinks below this share of it without ending a sentence; the same guard as
#: removals stops it (``allow_removals`` accepts it).
CUT_OFF_SHARE = 0.5


@dataclass
class PartsContext:
    """What a ``parts`` callback gets: the new article entries, the previous generation (or None), whether
    the articles changed, and the encoder (a call: it may still be loading)."""

    entries: Sequence[Entry]
    previous: IndexData | None
    articles_changed: bool
    encoder: Callable[[], Any]
    tokenizer: TokenizerSettings
    #: old name → new name of the laws ``index add --rename`` renamed (:func:`~legalret.index.store.law_renames`):
    #: citations of the old name resolve to the new name's articles
    aliases: Mapping[str, str] = field(default_factory=dict)


#: ``parts(context) -> {name: GenerationPart}``, or None to keep the previous generation's parts as they are
#: (``build_index`` also calls its ``prepare(entries, tokenizer, aliases)``, when it has one, before encoding; see the module
#: docstring).
PartsFn = Callable[[PartsContext], "Mapping[str, Any] | None"]


@dataclass
class BuildReport:
    index_dir: Path
    generation: str = ""
    articles: int = 0  # in the store, deleted ones included
    searchable: int = 0  # rows in BM25 / FAISS (not deleted)
    laws: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    duplicates: int = 0  # same key twice in the input (the last one wins)
    duplicate_keys: list[str] = field(default_factory=list)  # those keys (the first few: what the console names)
    # which articles an ``index add`` added / changed / removed, in the batch's order (None: a build, which lists none);
    # ``changed_text_keys``: the changed ones that differ in more than their dates (the rest changed in dates only)
    added_keys: list[str] | None = None
    changed_keys: list[str] | None = None
    changed_text_keys: list[str] | None = None
    removed_keys: list[str] | None = None
    # of the changed, the articles live before and 삭제 (``Article.deleted``) now: a repeal, which a reviewer reads
    # apart from an amendment (it had been one more "changed" key)
    repealed_keys: list[str] | None = None
    # of the changed in text, the articles that lost numbered paragraphs (a statute keeps a repealed one as ``③ 삭제``):
    # {"key", "lost": [3, 4, …], "before", "after"} (paragraph counts) — a typed 제3조 had gone from ①–⑥ to ①–② unsaid
    lost_paragraphs: list[dict] = field(default_factory=list)
    tokenized: int = 0  # texts run through Kiwi (the rest came from the token cache)
    encoded: int = 0  # texts run through the encoder (the rest came from the index's vectors or the vector cache)
    vectors_cached: int = 0  # of those not in the previous generation: vectors read from legalret.index.vector_cache
    memory: dict | None = None  # what the parts callback reported (legalret.pipeline: the memory's counts)
    # laws of the batch spelled with other spacing than the index's (or the batch's first) spelling, indexed under it
    # (legalret.pipeline.same_law_spellings: {"law", "source", "indexed_as", "held"})
    respelled: list[dict] = field(default_factory=list)
    # held laws indexed under the name a batch law with their 법령ID has (``rename=True``): {"from", "to", "law_id"}
    renamed: list[dict] = field(default_factory=list)
    removed_laws: list[str] = field(default_factory=list)  # laws removed whole (``remove_laws``: ``index remove``)
    # a build: the renames of earlier adds (``--rename``) it keeps applying, old name → new name (the new name is in it)
    renames_kept: dict[str, str] = field(default_factory=dict)
    pruned: list[str] = field(default_factory=list)  # generations the write removed past ``keep`` (their names)
    wrote: bool = True  # False: nothing changed, no generation written
    timings: dict[str, float] = field(default_factory=dict)  # wall seconds per stage
    cpu_timings: dict[str, float] = field(default_factory=dict)  # CPU seconds (all threads) per stage

    def summary(self) -> str:
        t = ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items())
        return (
            f"{self.index_dir} ({self.generation}): {self.articles} articles ({self.searchable} searchable) in "
            f"{self.laws} laws; added {self.added}, changed {self.changed}, removed {self.removed}, "
            f"unchanged {self.unchanged}; tokenized {self.tokenized}, encoded {self.encoded} "
            f"({self.vectors_cached} vectors from the vector cache) [{t}]"
        )


class _Stages:
    """Stage timer: ``with stages('encode'): …`` records seconds in ``report.timings``."""

    def __init__(self, report: BuildReport, verbose: bool):
        self.report, self.verbose = report, verbose
        self.t0, self.c0 = time.perf_counter(), time.process_time()

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t, c = time.perf_counter(), time.process_time()
        yield
        dt, dc = time.perf_counter() - t, time.process_time() - c
        self.report.timings[name] = self.report.timings.get(name, 0.0) + dt
        # CPU seconds of all threads: on a shared machine wall time says more about the neighbours
        self.report.cpu_timings[name] = self.report.cpu_timings.get(name, 0.0) + dc
        if self.verbose:
            console.print(f"[dim]{name}: {dt:.1f}s (cpu {dc:.1f}s)[/]", highlight=False)

    def finish(self) -> None:
        self.report.timings["total"] = time.perf_counter() - self.t0
        self.report.cpu_timings["total"] = time.process_time() - self.c0


# ---- public API -------------------------------------------------------------------------------------
def build_index(
    articles: Iterable[Article],
    index_dir: str | Path,
    *,
    model: str | None = None,
    adapter: str | Path | None = None,
    encoder: Any = None,
    precision: str = "auto",
    passage_max_tokens: int | None = DEFAULT_PASSAGE_MAX_TOKENS,
    tokenizer: TokenizerSettings | dict | None = None,
    bm25: BM25Params | None = None,
    fusion: Mapping[str, Any] | None = None,
    parts: PartsFn | None = None,
    batch_size: int = 32,
    keep: int | None = None,
    verbose: bool = False,
) -> BuildReport:
    """Index ``articles`` into ``index_dir`` (replacing what is there, atomically).

    ``model``: an encoder spec (default: ``legalret.config.default_model()``), or ``'none'`` for BM25 only;
    ``encoder``: an already loaded :class:`~legalret.models.encoder.Encoder` (skips loading ``model``).
    ``passage_max_tokens``: articles are cut to this many encoder tokens for their vectors (``None``: the
    model's limit); BM25 always sees the whole text.
    If ``index_dir`` already holds an index made with the same encoder and tokenizer, its vectors and tokens
    are reused for identical texts — its vectors only when they were made on the same runtime too (the vector
    cache's fingerprint: precision or ONNX variant, device, library version; see
    :func:`legalret.index.vector_cache.encoder_fingerprint`). ``fusion``: the hybrid settings stored in the manifest (a dict; see
    :func:`legalret.search.fusion.default_fusion`). ``parts``: see the module docstring — a build writes
    only the parts the callback returns (no callback: no memory). ``keep``: generations kept.
    """

    index_dir = Path(index_dir)
    report = BuildReport(index_dir)
    stages = _Stages(report, verbose)
    with stages("collect"):
        merged, report.duplicate_keys, report.duplicates = _dedupe(articles)
    settings = _tokenizer_settings(tokenizer)
    with IndexLock(index_dir):
        with stages("load encoder"):
            no_encoder = encoder is None and model is not None and str(model).lower() == NO_ENCODER
            # without an encoder any --adapter is an error (_resolve_encoder says so): no card to read first
            lora, qadapter = (adapter, None) if no_encoder else split_adapter(adapter)
            enc = _resolve_encoder(model, lora, encoder, precision, passage_max_tokens, qadapter)
        records = _records_kept(index_dir, merged)
        aliases = law_renames({"laws": dict.fromkeys(a.law for a in merged.values()), **records})
        report.renames_kept = aliases
        prepare = getattr(parts, "prepare", None)
        # after the encoder's load: its imports hold the GIL (started before, they took 2.7× as long)
        # the aliases: holdings citing a renamed law's old name are read as citing its new articles, not dropped
        busy = prepare(list(merged.values()), settings, dict(aliases)) if prepare is not None else None
        previous = _try_load_previous(index_dir, stages)
        entries = list(merged.values())
        data, manifest = _assemble(entries, previous, enc, settings, bm25 or BM25Params(), report, stages, batch_size,
                                   index_dir, reuse_vectors=_previous_vectors_fit(previous, enc), busy=busy)
        manifest.update(records)
        manifest["fusion"] = dict(fusion) if fusion is not None else {}
        manifest["encoder"] = _encoder_info(enc, model, lora, qadapter)
        if previous is not None:
            report.added, report.changed, report.unchanged, report.removed = count_changes(previous.articles, entries)
        else:
            report.added = len(merged)
        new_parts = {}
        if parts is not None:
            with stages("memory"):
                new_parts = dict(parts(PartsContext(entries, previous, True, lambda: enc, settings, aliases)) or {})
        _write(index_dir, data, manifest, report, stages, parts=new_parts, keep=keep)
    stages.finish()
    return report


def _records_kept(index_dir: Path, merged: "Mapping[str, Article]") -> dict:
    """The records of the index's live generation that a build into its folder keeps (:data:`RENAMED`,
    :data:`REMOVED_LAWS`; {} where there is no index there, or its manifest cannot be read).

    A build replaces the articles, not what earlier commands recorded about the laws: the renames of ``index add
    --rename`` are kept whole — :func:`~legalret.index.store.law_renames` applies those whose new name the build holds
    and whose old name it does not (``report.renames_kept``), so the precedent memory's holdings citing the old name keep
    voting for the new name's articles (a build had dropped the record, and those votes with it, without a word); the
    others wait, as after an ``index remove``, for their law to come back. A removed law's record is kept while the
    build does not hold the law (a later add of it under another name is still its rename)."""
    try:
        manifest = read_manifest(index_dir)
    except IndexError_:
        return {}  # (no index there, or one that cannot be read: the build replaces it, and says so)
    out: dict[str, Any] = {}
    if manifest.get(RENAMED):
        out[RENAMED] = dict(manifest[RENAMED])
    gone = removed_laws({"laws": dict.fromkeys(a.law for a in merged.values()), REMOVED_LAWS: manifest.get(REMOVED_LAWS)})
    if gone:
        out[REMOVED_LAWS] = gone
    return out


def add_to_index(
    articles: Iterable[Article],
    index_dir: str | Path,
    *,
    model: str | None = None,
    adapter: str | Path | None = None,
    encoder: Any = None,
    precision: str = "auto",
    remove_missing: bool = True,
    allow_removals: bool = False,
    allow_older: bool = False,
    parts: PartsFn | None = None,
    batch_size: int = 32,
    keep: int | None = None,
    verbose: bool = False,
    incomplete: Collection[str] = (),
    rename: bool = False,
    remove_laws: Collection[str] = (),
) -> BuildReport:
    """Merge new / amended ``articles`` into the index at ``index_dir`` (see module docstring).

    ``incomplete``: laws the batch does not hold whole — their files had articles that could not be read
    (:attr:`~legalret.ingest.sources.IngestReport.dropped`) —, whose articles missing from the batch are kept as with
    ``remove_missing=False``: an unreadable article is not a repealed one.

    A batch law with the 법령ID of a held law of another name (compared as :func:`~legalret.text.compact` makes names;
    the held law not in the batch) is that law renamed: it had become a second law, each article held twice under two
    names. The add stops with :class:`LawRenamed` (nothing written) unless ``rename``: then the held law's articles are
    removed and the new name's added (``report.renamed``), and the old name is recorded in the manifest
    (:data:`~legalret.index.store.RENAMED`), so that citations of it — the precedent memory's, a query's — find the new
    name's articles.

    ``remove_laws``: held laws removed whole (``index remove``), in the same new generation as an add: rollback
    undoes it, the memory's citations are re-resolved (its items kept: they vote again when the law comes back).
    Removing every law of the index is refused.

    The index's own encoder is used; ``model`` / ``adapter``, when given, must match it (else
    :class:`IndexError_`: rebuild with ``index build`` to change encoders). The previous generation is
    verified (checksums) before any of its files are reused, so corrupted data is never re-checksummed as
    good. ``report.wrote`` is False when nothing changed (no generation written).
    """
    index_dir = Path(index_dir)
    report = BuildReport(index_dir)
    stages = _Stages(report, verbose)
    with stages("collect"):
        incoming, report.duplicate_keys, report.duplicates = _dedupe(articles)
    current_generation(index_dir)  # a clear error before the lock creates the directory
    with IndexLock(index_dir):
        with stages("load index"):
            previous = load_index(index_dir, verify="stamp")
        info = previous.manifest.get("encoder")
        check_requested_encoder(info, model, adapter, encoder, where=index_dir)  # before the long stages, one line
        drop = _laws_to_drop(remove_laws, incoming, previous)
        report.removed_laws = list(drop)
        renamed = _renamed_laws(incoming, previous)
        if renamed:
            _check_rename(renamed, rename, remove_missing, frozenset(incomplete), previous)
            # (a removed law's articles are gone already: nothing to drop, nothing whose place to take)
            drop.update((r["from"], r["to"]) for r in renamed if not r.get("removed"))
            report.renamed = [{k: r[k] for k in ("from", "to", "law_id", "removed") if k in r} for r in renamed]
        merged, changes, removed_by_law, keys = _merge(previous.articles, incoming, remove_missing, frozenset(incomplete),
                                                       drop)
        if drop and not any(not e.deleted for e in merged):
            raise IndexError_(f"{previous.path.parent}: this would remove every law of the index "
                              f"({', '.join(previous.manifest.get('laws', {}))}); nothing was written — an index holds "
                              "at least one law: build a new one with `legalret index build` instead")
        aliases = _renames_after(previous.manifest.get(RENAMED) or {}, renamed)
        gone = _removed_after(previous, merged, drop, renamed)
        report.added, report.changed, report.removed, report.unchanged = changes
        (report.added_keys, report.changed_keys, report.changed_text_keys, report.removed_keys,
         report.repealed_keys) = keys
        report.lost_paragraphs = _lost_paragraphs(report.changed_text_keys, incoming, previous)
        if not allow_older and remove_missing:  # (a partial batch's latest date says nothing of its version)
            _check_older(incoming, previous, frozenset(incomplete))
        if not allow_older:  # (a partial batch too: each article it replaces loses its dates)
            _check_undated(incoming, previous)
        if not allow_removals:
            _check_removals(removed_by_law, previous)
            _check_cut_off(incoming, previous)
            _check_missing_articles(removed_by_law, report.removed_keys, incoming, previous)
        articles_changed = bool(report.added or report.changed or report.removed)
        # Loading the encoder costs 5–10 s (mostly imports), for nothing when every text already has its vector — in
        # the previous generation or the vector cache: an ``index remove``, a removed law added back, a renamed law
        # re-added. Then the new generation is written from what the previous one records of its encoder.
        known: dict[int, tuple[str, str]] = {}
        recorded_only = (articles_changed and encoder is None
                         and not _needs_encoding(incoming.values(), previous, info, known))

        def load() -> Any:
            return _encoder_for_existing(info, model, adapter, encoder, precision, index_dir)

        if articles_changed and encoder is None and not recorded_only:
            _check_requested_runtime(info, precision, index_dir)  # before the memory stage, not after it
        # Loading the encoder (mostly imports) runs beside merging, tokenizing and the BM25 rebuild,
        # which spend their time in C code without the GIL: on the full index it hides ~3 s of ~20.
        def pending() -> _PendingEncoder:
            return _PendingEncoder(info, load)

        enc: Any = None
        if recorded_only:
            enc = _RecordedEncoder.of(info, load=load if incoming else None)
        elif articles_changed:
            enc = pending()

        def encoder_now():
            nonlocal enc
            if enc is None or isinstance(enc, _RecordedEncoder):  # the parts need it (a dense memory)
                enc = pending()
            return enc.result()

        settings = TokenizerSettings.from_dict(previous.manifest["tokenizer"])
        new_parts = None
        if parts is not None:
            held = {e.law for e in merged}
            with stages("memory"):
                new_parts = parts(PartsContext(merged, previous, articles_changed, encoder_now, settings,
                                               law_renames({"laws": dict.fromkeys(held), RENAMED: aliases})))
        if not articles_changed and not new_parts:
            report.wrote = False
            report.generation = previous.path.name
            report.articles, report.searchable = len(previous.articles), len(previous.rows)
            report.laws = len(previous.manifest.get("laws", {}))
            stages.finish()
            return report
        if articles_changed:
            params = BM25Params.from_dict(previous.manifest.get("bm25"))
            # the index's own vectors: its encoder was checked against the index's (fingerprint and runtime)
            data, manifest = _assemble(merged, previous, enc, settings, params, report, stages, batch_size, index_dir,
                                       reuse_vectors=True, known=known)
        else:  # only the parts changed: the article files are carried over as they are
            data, manifest = _carry(previous, report)
        manifest["fusion"] = previous.manifest.get("fusion", {})
        manifest["encoder"] = info
        if aliases:
            manifest[RENAMED] = aliases
        if gone:
            manifest[REMOVED_LAWS] = gone
        all_parts = {name: _CopiedPart(previous.path / name, previous.manifest.get(name) or {}) for name in previous.parts}
        all_parts.update(new_parts or {})
        _write(index_dir, data, manifest, report, stages, build=previous.manifest.get("build"), parts=all_parts, keep=keep)
    stages.finish()
    return report


class _CopiedPart:
    """A part of the previous generation carried into the new one unchanged (its files copied)."""

    def __init__(self, source: Path, section: dict):
        self.source, self.section = source, section

    def write(self, directory: Path) -> dict:
        import shutil

        shutil.copytree(self.source, directory, dirs_exist_ok=True)
        return self.section


def _carry(previous: IndexData, report: BuildReport) -> tuple[IndexData, dict]:
    articles = previous.articles.refs() if isinstance(previous.articles, ArticleStore) else list(previous.articles)
    manifest = {k: previous.manifest[k] for k in ("tokenizer", "bm25", "counts", "laws", RENAMED, REMOVED_LAWS)
                if k in previous.manifest}
    manifest["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    report.articles, report.searchable, report.laws = len(articles), len(previous.rows), len(manifest.get("laws", {}))
    data = IndexData(manifest, articles, previous.rows, previous.row_hashes, previous.tokens, previous.bm25, previous.dense)
    return data, manifest


class LawRenamed(IndexError_):
    """A batch law has the 법령ID of a held law of another name, and the add was not told to rename it (``index add``
    exits 1, nothing written, as the removal guard's stop: the command lacks ``--rename``, or the file a name)."""


def _renamed_laws(incoming: "OrderedDict[str, Article]", previous: IndexData) -> list[dict]:
    """The batch laws that are held laws renamed: ``{"from", "to", "law_id", "source"}`` for each batch law whose
    법령ID (non-empty) is that of a held law of another name (compared as :func:`~legalret.text.compact` makes
    them: another spacing is the same name, which :func:`legalret.pipeline.same_law_spellings` has dealt with) that
    the batch does not hold itself — a batch of both is two laws sharing an ID, each indexed as it is named. Each held
    law is renamed once (by the batch's first law of its ID).

    A law ``index remove`` removed (:data:`~legalret.index.store.REMOVED_LAWS`) is matched too, after the held laws,
    marked ``"removed": True``: removed, then added under another name, it had become an unrelated law — its holdings
    never voting for it, and no ``--rename`` able to link the two (the old one no longer held)."""
    in_batch = {compact(a.law) for a in incoming.values()}
    held = previous.manifest.get("laws") or {}
    by_id: dict[str, tuple[str, bool]] = {}
    for name, info in held.items():
        if (info or {}).get("law_id") and compact(name) not in in_batch:
            by_id.setdefault(info["law_id"], (name, False))
    for name, law_id in removed_laws(previous.manifest).items():
        if law_id and compact(name) not in in_batch:
            by_id.setdefault(law_id, (name, True))
    out: list[dict] = []
    seen: set[str] = set()
    for art in incoming.values():
        if art.law in seen or not art.law_id:
            continue
        seen.add(art.law)
        found = by_id.pop(art.law_id, None)
        if found is not None:
            old, removed = found
            out.append({"from": old, "to": art.law, "law_id": art.law_id, "source": art.source,
                        **({"removed": True} if removed else {})})
    return out


def _removed_after(previous: IndexData, merged: Sequence[Entry], drop: Mapping[str, str | None],
                   renamed: list[dict]) -> dict[str, str | None]:
    """The manifest's :data:`~legalret.index.store.REMOVED_LAWS` after this add: the laws removed before, but those held
    again (under their name) or renamed now (their old name is an alias: :data:`RENAMED`), and the laws this add
    removes whole (``remove_laws``), each with its 법령ID."""
    held = {compact(e.law) for e in merged}
    linked = {compact(r["from"]) for r in renamed}
    laws = previous.manifest.get("laws") or {}
    out = {name: law_id for name, law_id in (previous.manifest.get(REMOVED_LAWS) or {}).items()
           if compact(name) not in held and compact(name) not in linked}
    for law, instead in drop.items():
        if instead is None:
            out[law] = (laws.get(law) or {}).get("law_id")
    return out


def _check_rename(renamed: list[dict], rename: bool, remove_missing: bool, incomplete: frozenset[str],
                  previous: IndexData) -> None:
    """One-line error for a renamed law (:func:`_renamed_laws`) unless ``rename`` — the choices named: index it in
    the held law's place, or correct the file (a wrong name in it) — and, with ``rename``, when the batch does not hold
    the law whole (``--keep-missing``, or unreadable articles): a renamed law replaces the held one whole, and the
    held articles the batch lacks would go with it."""
    if not rename:
        r = renamed[0]
        if r.get("removed"):
            raise LawRenamed(
                f"{r['source'] or previous.path.parent}: {r['to']} has the 법령ID {r['law_id']} of {r['from']}, a law "
                f"removed from this index (`index remove`; renamed?); nothing was written — pass --rename to index "
                f"{r['to']} as {r['from']} renamed (citations of {r['from']} then find {r['to']}), or correct the "
                "law's name in the file")
        raise LawRenamed(
            f"{r['source'] or previous.path.parent}: {r['to']} has the 법령ID {r['law_id']} of {r['from']}, a law this "
            f"index holds (renamed?); nothing was written — pass --rename to index {r['to']} in {r['from']}'s place "
            f"(citations of {r['from']} then find {r['to']}), or correct the law's name in the file")
    for r in renamed:
        if r.get("removed"):
            continue  # (nothing of it is held: nothing the batch lacks is lost)
        if not remove_missing or r["to"] in incomplete:
            raise IndexError_(
                f"{previous.path.parent}: {r['to']} would replace {r['from']} whole, but this batch does not hold it "
                f"whole ({'--keep-missing' if not remove_missing else 'articles that could not be read'}): the "
                f"articles of {r['from']} it lacks would be lost; nothing was written — give the whole law")


def _renames_after(recorded: Mapping[str, str], renamed: list[dict]) -> dict[str, str]:
    """The manifest's :data:`~legalret.index.store.RENAMED` after this add's renames: each old name → its new name; a
    name renamed before into this add's old name follows it (A → B, then B → C: A reads as C), and a new name that
    was an old one before is a law again, no longer read as another."""
    aliases = dict(recorded)
    for r in renamed:
        old, new = r["from"], r["to"]
        aliases = {a: (new if t == old else t) for a, t in aliases.items() if compact(a) != compact(new)}
        aliases[old] = new
    return aliases


def _laws_to_drop(remove_laws: Collection[str], incoming: "OrderedDict[str, Article]",
                  previous: IndexData) -> dict[str, str | None]:
    """The held laws ``remove_laws`` names (as the index spells them; any spacing), each → None (removed, nothing in
    its place): :func:`_merge`'s ``drop``. A name the index does not hold (:class:`~legalret.index.store.UnknownLaw`,
    with the nearest held names: :func:`~legalret.index.store.held_laws_named`, the CLI's resolver too), or a law the
    batch also gives, is an error (nothing written)."""
    drop: dict[str, str | None] = dict.fromkeys(held_laws_named(previous.manifest, list(remove_laws),
                                                                previous.path.parent))
    both = sorted({a.law for a in incoming.values()} & set(drop))
    if both:
        raise IndexError_(f"{previous.path.parent}: {', '.join(both)} is both in the batch and to be removed; "
                          "nothing was written")
    return drop


def _check_removals(removed_by_law: dict[str, tuple[int, int]], previous: IndexData) -> None:
    """One-line error when the batch would remove a large share of a law (see module docstring)."""
    for law, (removed, total) in removed_by_law.items():
        if removed > MAX_REMOVED_ARTICLES or (removed > 1 and removed > MAX_REMOVED_SHARE * total):
            raise IndexError_(
                f"{previous.path.parent}: this batch would remove {removed} of {total} articles of {law} "
                "(a partial or truncated file?); nothing was written — pass --allow-removals to remove them, "
                "or --keep-missing to keep articles the batch does not mention"
            )


#: Statute text files (the mirror's markdown, plain text): read a line at a time, so one cut at a line break still
#: reads — without its last articles. (A law.go.kr JSON or XML document cut anywhere does not parse.)
_TEXT_SOURCES = (".md", ".markdown", ".txt", ".text")
#: Every statute file format ``ingest`` reads (its ``_EXTENSIONS``): a law.go.kr JSON or XML document lists each
#: repealed article as a 삭제 unit (민법's has 77) as the text formats do, so one that lacks an article between two it
#: holds was edited by hand as surely — 010910.json without the 조문단위 of 제10조 had removed it, exit 0.
_STATUTE_SOURCES = _TEXT_SOURCES + (".json", ".xml")


def _article_order(key: str) -> tuple[int, int]:
    """(number, branch) of an article key: its place in its law (제1114조 < 제1114조의2 < 제1115조)."""
    ref = parse_key(key)
    return ref.number, ref.branch


def _check_missing_articles(removed_by_law: dict[str, tuple[int, int]], removed_keys: Sequence[str],
                            incoming: "OrderedDict[str, Article]", previous: IndexData) -> None:
    """One-line error when a law read from a statute file (:data:`_STATUTE_SOURCES`: markdown, plain text, law.go.kr
    JSON or XML) would lose a live article, however few: a statute repeals an article by keeping ``제N조 삭제 <date>``,
    so an amendment removes none. After the last article the batch holds of the law, it is a file cut at a line break
    (``head -n 6514`` of 민법 ends in 제1114조, and 제1115조–제1118조 were removed, exit 0 — few enough to pass
    :func:`_check_removals`) or a law.go.kr document's last units deleted; between two it holds, an article block or
    조문단위 deleted by hand (민법 without its ``##### 제753조`` block removed 제753조, exit 0, one line among the
    report's; 010910.json without 제10조's unit, the same). Only laws losing a live article are looked at
    (``removed_by_law``). Articles records keep the file they were read from (an ``ingest --out`` JSONL: checked as
    that file); the Python API's lists without one are a selection the caller made, which :func:`_check_removals`
    alone guards."""
    if not removed_by_law:
        return
    held: dict[str, list[Article]] = {}
    for art in incoming.values():
        if art.law in removed_by_law:
            held.setdefault(art.law, []).append(art)
    removed: dict[str, list[str]] = {}
    for key in removed_keys:
        removed.setdefault(parse_key(key).law, []).append(key)
    for law, arts in held.items():
        if not any(a.source.lower().endswith(_STATUTE_SOURCES) for a in arts):
            continue
        # (a law.go.kr document cut anywhere does not parse: one that ends early had its last units deleted)
        text = any(a.source.lower().endswith(_TEXT_SOURCES) for a in arts)
        gone = sorted(removed.get(law, ()), key=_article_order)
        if not gone:
            continue
        last = max(arts, key=lambda a: (a.number, a.branch))
        remedy = ("nothing was written — pass --allow-removals to remove them, or --keep-missing to keep articles "
                  "the batch does not mention")
        if _article_order(gone[0]) > (last.number, last.branch):
            span = gone[0].rpartition(" ")[2] + (f"–{gone[-1].rpartition(' ')[2]}" if len(gone) > 1 else "")
            raise IndexError_(
                f"{previous.path.parent}: this batch's {law} ends at {last.label} and would remove "
                f"{'its last article' if len(gone) == 1 else f'its last {len(gone)} articles'}, {span} "
                f"({'a truncated file' if text else 'articles deleted by hand'}? a repealed article stays as 삭제); "
                f"{remedy}")
        named = ", ".join(key.rpartition(" ")[2] for key in gone[:5]) + (f" … ({len(gone)} in all)" if len(gone) > 5 else "")
        raise IndexError_(
            f"{previous.path.parent}: this batch's {law} lacks {named}, which it would remove, though it holds "
            f"articles after {'it' if len(gone) == 1 else 'them'} (an article block deleted by hand? a repealed "
            f"article stays as 삭제); {remedy}")


def _latest_dates(laws: Iterable[str], dates: Iterable[str | None]) -> dict[str, str]:
    """Each law's latest 시행일자 among its articles' (the version's date: an article amended last carries it)."""
    latest: dict[str, str] = {}
    for law, when in zip(laws, dates):
        if when and when > latest.get(law, ""):
            latest[law] = when
    return latest


def _check_older(incoming: "OrderedDict[str, Article]", previous: IndexData, incomplete: frozenset[str]) -> None:
    """One-line error when a law's text in the batch is older than the indexed one: its latest 시행일자 is earlier
    than the indexed law's, and some article of it is dated earlier than the indexed article of its key (a batch
    that lacks the article amended last — law.go.kr dates each article — but dates the rest as the index does is
    not older). Laws without dates on either side (plain text) are not compared, nor laws the batch does not hold
    whole (``incomplete``: an unread article may be the one amended last)."""
    whole = [a for a in incoming.values() if a.law not in incomplete]
    new = _latest_dates((a.law for a in whole), (a.effective_date for a in whole))
    if not new:
        return
    arts = previous.articles
    if isinstance(arts, ArticleStore):  # the catalog's columns: no article parsed
        dates = arts.effective_dates
        old = _latest_dates(arts.laws, dates)
    else:
        dates = [a.effective_date for a in arts]
        old = _latest_dates((a.law for a in arts), dates)
    earlier = {a.law for a in whole  # an article whose indexed text is dated later than the batch's
               if a.effective_date and (pos := previous.by_key.get(a.key)) is not None and (dates[pos] or "") > a.effective_date}
    for law, when in new.items():
        if old.get(law, "") > when and law in earlier:
            raise IndexError_(
                f"{previous.path.parent}: this batch's {law} is older than the indexed text (in force from {when}; "
                f"the index has text in force from {old[law]}); nothing was written — pass --allow-older to index "
                "the older text anyway (`legalret index rollback` undoes an add)")


def _check_undated(incoming: "OrderedDict[str, Article]", previous: IndexData) -> None:
    """One-line error when a law's articles in the batch carry no date (no 시행일자, no 공포일자: a hand-typed plain
    text) and would replace articles the index holds dated: :func:`_check_older` has nothing to compare, and the add
    had replaced the mirror's 주택임대차보호법 (in force from 2026-01-02) with five typed articles, --keep-missing,
    exit 0 — their dates null, 제3조 down from six paragraphs to two. An undated text cannot be shown to be no older,
    so it goes through as an older one does (``allow_older``)."""
    dated: dict[str, list[str]] = {}
    for art in incoming.values():
        if art.effective_date or art.promulgated or (pos := previous.by_key.get(art.key)) is None:
            continue
        when = previous.articles[pos].effective_date
        if when:  # (the catalog's column: no article parsed)
            dated.setdefault(art.law, []).append(when)
    for law, dates in dated.items():
        if any(a.law == law and (a.effective_date or a.promulgated) for a in incoming.values()):
            continue  # a dated text that leaves some article undated is not a hand-typed one: _check_older's
        n = len(dates)
        raise IndexError_(
            f"{previous.path.parent}: this batch's {law} has no dates (no 시행일자 or 공포일자: a hand-typed text?) "
            f"and would replace {n} article{'s' if n != 1 else ''} the index holds dated (in force from {max(dates)}), "
            "dropping their dates; nothing was written — pass --allow-older to index the undated text anyway (it "
            "cannot be shown to be no older; `legalret index rollback` undoes an add)")


def _lost_paragraphs(changed_text_keys: Sequence[str], incoming: "OrderedDict[str, Article]",
                     previous: IndexData) -> list[dict]:
    """The articles changed in text whose new text lacks numbered paragraphs the indexed one had: a statute keeps a
    repealed paragraph as ``③ 삭제 <date>``, so that is a hand-typed or cut text more often than an amendment (a 전문개정
    may shorten an article) — said in the report, not refused."""
    out = []
    for key in changed_text_keys:
        art, pos = incoming.get(key), previous.by_key.get(key)
        if art is None or pos is None or art.deleted:
            continue
        old = as_article(previous.articles[pos])
        numbers = {p.number for p in art.paragraphs}
        lost = sorted({p.number for p in old.paragraphs if p.number is not None} - numbers)
        if lost:
            out.append({"key": key, "lost": lost, "before": len(old.paragraphs), "after": len(art.paragraphs)})
    return out


def _check_cut_off(incoming: "OrderedDict[str, Article]", previous: IndexData) -> None:
    """One-line error when the last article of a law in the batch looks cut off: a truncated file's last
    article (``채권의 목적이`` for 민법 제409조) is no amendment, and ``--keep-missing`` would index it."""
    last: dict[str, Article] = {}
    for art in incoming.values():
        last[art.law] = art  # the batch's order: the end of each law's file
    for art in last.values():
        pos = previous.by_key.get(art.key)
        if pos is None or art.deleted or previous.articles[pos].deleted:
            continue
        new, old = art.body_text().rstrip(), previous.articles[pos].body_text().rstrip()
        if len(new) >= len(old):
            continue
        mid_line = old.startswith(new) and old[len(new)] != "\n"
        if mid_line or (len(new) < CUT_OFF_SHARE * len(old) and not new.endswith((".", "다", ">", ")"))):
            tail = new[-20:].replace("\n", " ")
            raise IndexError_(
                f"{previous.path.parent}: {art.key}, the last article of {art.law} in this batch, looks cut off "
                f"({len(new)} of its {len(old)} characters, ending {'…' + tail!r}: a truncated file?); nothing was "
                "written — check that file or leave it out of the batch (--allow-removals indexes this text as it is)"
            )


# ---- merging ----------------------------------------------------------------------------------------
#: How many repeated keys a build report names (the count covers all).
NAMED_DUPLICATES = 5


def _dedupe(articles: Iterable[Article]) -> tuple["OrderedDict[str, Article]", list[str], int]:
    """The articles by key — a key given twice keeps its last copy (an articles file with a corrected article
    appended) — the first repeated keys (:data:`NAMED_DUPLICATES`: the console names them) and how many repeats."""
    merged: OrderedDict[str, Article] = OrderedDict()
    named: list[str] = []
    duplicates = 0
    for art in articles:
        art.law = normalize(art.law)  # (an Article changed after it was made: its law as its key spells it)
        if art.key in merged:
            duplicates += 1
            if len(named) < NAMED_DUPLICATES and art.key not in named:
                named.append(art.key)
        merged[art.key] = art
    return merged, named, duplicates


def _merge(
    old: Sequence[Article], incoming: "OrderedDict[str, Article]", remove_missing: bool,
    incomplete: Collection[str] = frozenset(), drop: Mapping[str, str | None] | None = None,
) -> tuple[list[Entry], tuple[int, int, int, int], dict[str, tuple[int, int]], tuple[list[str], ...]]:
    """New entry list (laws in their old order, new laws appended), (added, changed, removed, unchanged),
    per law that loses articles (removed, articles it had), and the keys added, changed, changed in more than their
    dates (:func:`_change`), removed and repealed (changed from a live article to 삭제: counted among the changed).
    The laws in ``incomplete`` lose none. The held laws of ``drop`` lose every article, on purpose (removed, not in
    the per-law count the removal guards read); a law's value names the batch law that takes its place in the order
    (a rename), or is None.

    Articles of laws the batch does not touch stay references into the previous store (never parsed);
    only the old articles of the laws in the batch are parsed, to compare them with the new text.

    An article whose text changes to that of a version not yet in force is marked as such
    (:func:`_not_yet_in_force`)."""
    drop = drop or {}
    old_entries: list[Entry] = old.refs() if isinstance(old, ArticleStore) else list(old)
    new_by_law: OrderedDict[str, list[Article]] = OrderedDict()
    for art in incoming.values():
        new_by_law.setdefault(art.law, []).append(art)
    old_by_law: OrderedDict[str, list[Entry]] = OrderedDict()
    for entry in old_entries:
        old_by_law.setdefault(entry.law, []).append(entry)

    added = changed = removed = unchanged = 0
    added_keys: list[str] = []
    changed_keys: list[str] = []
    text_keys: list[str] = []
    removed_keys: list[str] = []
    repealed_keys: list[str] = []
    removed_by_law: dict[str, tuple[int, int]] = {}
    out: list[Entry] = []
    in_place = {new: old for old, new in drop.items() if new is not None and new not in old_by_law}
    today = _today()
    for law in list(old_by_law) + [law for law in new_by_law if law not in old_by_law and law not in in_place]:
        olds = {e.key: e for e in old_by_law.get(law, [])}
        if law in drop:
            removed_keys.extend(olds)
            removed += len(olds)
            if drop[law] not in in_place:
                continue
            law, olds = drop[law], {}  # (a renamed law: its new name's articles where it was)
        news = new_by_law.get(law)
        if news is None:  # law not in this batch: untouched
            out.extend(olds.values())
            continue
        new_keys = {a.key for a in news}
        # a plain text carries no 법령ID: the held law's is kept (it is what ties a renamed law to it), and a text
        # the same but for it is not "changed in text" (제1조 of a typed 주택임대차보호법 was)
        held_id = next((e.law_id for e in olds.values() if e.law_id), "")
        for art in news:
            if not art.law_id and held_id:
                art.law_id = held_id
            prev = olds.get(art.key)
            if prev is not None and _not_yet_in_force(prev, art, today):
                art.promulgated = None
            change = _change(prev, art) if prev is not None else "added"
            if change == "added":
                added += 1
                added_keys.append(art.key)
            elif change is None:
                unchanged += 1
            else:
                changed += 1
                changed_keys.append(art.key)
                if change == "text":
                    text_keys.append(art.key)
                if art.deleted and not prev.deleted:
                    repealed_keys.append(art.key)
        if remove_missing and law not in incomplete:
            gone = sum(1 for key, e in olds.items() if key not in new_keys and not e.deleted)
            removed_keys.extend(key for key in olds if key not in new_keys)
            removed += sum(1 for key in olds if key not in new_keys)
            if gone:
                removed_by_law[law] = (gone, sum(1 for e in olds.values() if not e.deleted))
            out.extend(news)  # the law's new order
        else:
            # keep the old articles the batch does not mention, in their place, replacing the ones it does
            by_key = {a.key: a for a in news}
            out.extend(by_key.pop(key, e) for key, e in olds.items())
            out.extend(by_key.values())
    return out, (added, changed, removed, unchanged), removed_by_law, (added_keys, changed_keys, text_keys, removed_keys,
                                                                       repealed_keys)


def _today() -> str:
    """Today, ISO: what "not yet in force" is measured from."""
    import datetime

    return datetime.date.today().isoformat()


def _not_yet_in_force(prev: Entry, art: Article, today: str) -> bool:
    """Whether ``art`` is to be stored without its version's 공포일자 (``promulgated=None``), so that
    :meth:`~legalret.articles.Article.takes_effect` names the version's 시행일자 for it ("until then the text in force
    may differ"): its version takes effect after ``today``, its notes do not carry that version's 공포일자, and its
    text differs from the indexed one — or is the indexed one, stored so by an earlier add.

    ``takes_effect`` reads an article of a future version whose notes lack the version's date as one that version did
    not write: the text in force today. That holds for a mirror file, read whole, where the version's amendments carry
    their notes; but an add *compares* texts, and one that changed here was written by this version whatever its
    notes say (an edited file, a note the source left out): 주택임대차보호법 제4조 changed 2년 → 3년 in a version in
    force from 2027-07-01, no ‹개정› note — "changed in text", and a search gave it as in force, no notice."""
    if not art.effective_date or art.effective_date <= today or not art.promulgated:
        return False
    if art.promulgated in amendment_dates(art.body_text()):
        return False  # its notes say this version wrote it: takes_effect tells already
    before = as_article(prev)
    if before.promulgated is None and (before.effective_date or "") > today:
        return True  # stored so by an earlier add: a re-add of the same file keeps it so (not "changed in dates")
    return _change(before, art) == "text"


#: What a new 시행일자 alone changes in an article (the mirror dates every article of a law with the version's date):
#: an article that differs in nothing else is changed in its dates only.
_DATE_FIELDS = ("effective_date", "promulgated")


def _change(a: Entry, b: Entry) -> str | None:
    """None for the same article content (where it was read from does not count), ``"dates"`` when only its dates
    differ, ``"text"`` when anything else does (text, title, chapter, 삭제 …) — the same dicts :func:`_same` compares,
    so telling the two apart costs nothing more."""
    da, db = as_article(a).to_dict(), as_article(b).to_dict()
    for d in (da, db):
        d.pop("source", None)
        d.pop("line", None)
    if da == db:
        return None
    for d in (da, db):
        for name in _DATE_FIELDS:
            d.pop(name, None)
    return "dates" if da == db else "text"


def _same(a: Entry, b: Entry) -> bool:
    """Same article content (where it was read from does not count)."""
    return _change(a, b) is None


def count_changes(old: Sequence[Entry], new: Sequence[Entry]) -> tuple[int, int, int, int]:
    """(added, changed, unchanged, removed) between two article lists, matched by key (the one counter)."""
    before = {a.key: a for a in old}
    after = {a.key for a in new}
    added = changed = unchanged = 0
    for art in new:
        prev = before.get(art.key)
        if prev is None:
            added += 1
        elif _same(prev, art):
            unchanged += 1
        else:
            changed += 1
    return added, changed, unchanged, sum(1 for key in before if key not in after)


# ---- the heavy part ---------------------------------------------------------------------------------
def _assemble(
    articles: list[Entry],
    previous: IndexData | None,
    enc: Any,
    settings: TokenizerSettings,
    params: BM25Params,
    report: BuildReport,
    stages: _Stages,
    batch_size: int,
    index_dir: Path | None = None,
    reuse_vectors: bool = False,
    busy: Callable[[], bool] | None = None,
    known: Mapping[int, tuple[str, str]] | None = None,
) -> tuple[IndexData, dict]:
    """The new generation's data. ``reuse_vectors``: the previous generation's vectors fit ``enc`` (the caller
    decides: a rebuild by the full passage fingerprint, ``index add`` by its checked encoder). ``busy``: see
    :func:`_encode_sorted`. ``known``: ``id(article)`` → (index text, text hash) already computed
    (:func:`_needs_encoding`)."""
    known = known or {}
    rows = [i for i, a in enumerate(articles) if not a.deleted]
    n = len(rows)
    same_tokenizer = previous is not None and TokenizerSettings.from_dict(previous.manifest["tokenizer"]) == settings
    same_encoder = (
        reuse_vectors and enc is not None and enc.fingerprint is not None and previous is not None
        and previous.dense is not None and previous.manifest["encoder"]["fingerprint"] == enc.fingerprint
    )

    # Which previous row each new row can reuse (tokens, vector). Articles carried over untouched by
    # ``add_to_index`` are references into the previous store (or, for stores read whole, its very
    # objects): their text hash is known without parsing or rebuilding their text — on a 141k-article
    # index that is most of the work saved.
    with stages("hash"):
        carried_pos: dict[int, int] = {}
        carried_obj: dict[int, int] = {}
        if previous is not None:
            if isinstance(previous.articles, ArticleStore):
                carried_pos = {pos: r for r, pos in enumerate(previous.rows)}
            else:
                carried_obj = {id(previous.articles[pos]): r for r, pos in enumerate(previous.rows)}
        by_hash = {h: r for r, h in enumerate(previous.row_hashes)} if previous is not None else {}
        texts: list[str | None] = [None] * n
        hashes: list[str] = [""] * n
        source: list[int | None] = [None] * n  # previous row with the same text
        for j, i in enumerate(rows):
            entry = articles[i]
            if isinstance(entry, StoredArticle):
                r = carried_pos.get(entry.pos) if previous is not None and entry.store is previous.articles else None
            else:
                r = carried_obj.get(id(entry))
            if r is not None:
                hashes[j], source[j] = previous.row_hashes[r], r
            else:
                texts[j], hashes[j] = known.get(id(entry)) or _text_and_hash(entry)
                source[j] = by_hash.get(hashes[j])

    def text_of(j: int) -> str:
        if texts[j] is None:
            texts[j] = articles[rows[j]].index_text()
        return texts[j]  # type: ignore[return-value]

    with stages("tokenize"):
        todo = [j for j in range(n) if source[j] is None or not same_tokenizer]
        fresh: dict[int, list[str]] = {}
        if todo:
            tok = KiwiTokenizer(settings.for_articles())
            chunk = 256  # small enough for progress to move, large enough for Kiwi's worker threads
            for start in track(range(0, len(todo), chunk), "tokenizing articles", total=len(todo),
                               advance=lambda s: min(chunk, len(todo) - s), unit="articles"):
                part = todo[start : start + chunk]
                fresh.update(zip(part, tok.tokenize_many([text_of(j) for j in part])))
            report.tokenized = tok.analysed  # the rest came from the token cache (legalret.index.token_cache)
    with stages("bm25"):
        tokens = _token_store(n, source if same_tokenizer else [None] * n, fresh, previous.tokens if same_tokenizer else None)
        bm25 = BM25Engine.build(tokens, params)

    dense = None
    if isinstance(enc, _PendingEncoder):
        with stages("load encoder"):  # what is left of it: the wait
            enc = enc.result()
    if enc is not None:
        cache = (EmbeddingCache.from_index(enc.fingerprint, previous.dense, previous.row_hashes) if same_encoder
                 else EmbeddingCache(enc.fingerprint, enc.dim))
        # keyed like the vector cache (runtime included): a killed bf16 build's vectors never reach an ONNX rerun
        # (no encoder loaded, nothing is encoded: no spill)
        recorded_only = isinstance(enc, _RecordedEncoder)
        spill_key = json.dumps(encoder_fingerprint(enc), sort_keys=True) if enc.fingerprint and not recorded_only else None
        spill = VectorSpill(index_dir, spill_key, enc.dim) if index_dir is not None and spill_key else None
        if spill is not None:
            cache.add(*spill.load())  # what a killed build with this encoder had encoded already
        with stages("encode"):
            missing = [j for j in range(n) if cache.get(hashes[j]) is None]
            if recorded_only and not same_encoder:
                raise IndexError_(f"{index_dir}: {n} article(s) have no vector in the previous "
                                  "generation and no encoder was loaded; nothing was written")
            # then what any earlier build on this machine encoded with this encoder (legalret.index.vector_cache);
            # no encoder loaded: what the index's recorded one encoded
            stored = (enc.vector_cache() if recorded_only else VectorCache.for_encoder(enc)) if missing else None
            if stored is not None:
                found_vectors, found = stored.get_many([hashes[j] for j in missing])
                cache.add([hashes[j] for j, hit in zip(missing, found) if hit], found_vectors[found])
                report.vectors_cached = int(found.sum())
                missing = [j for j, hit in zip(missing, found) if not hit]
            if recorded_only and missing:
                if enc.load is None:  # (index remove: every article left had its vector)
                    raise IndexError_(f"{index_dir}: {len(missing)} article(s) have no vector in the previous "
                                      "generation and no encoder was loaded; nothing was written")
                # add_to_index found every vector before, yet a cache chunk has gone bad since (or was taken by another
                # process): the encoder is loaded after all, rather than fail
                enc, recorded_only = enc.load(), False
                stored = VectorCache.for_encoder(enc)
                if stored is not None:
                    found_vectors, found = stored.get_many([hashes[j] for j in missing])
                    cache.add([hashes[j] for j, hit in zip(missing, found) if hit], found_vectors[found])
                    report.vectors_cached += int(found.sum())
                    missing = [j for j, hit in zip(missing, found) if not hit]
            for j in missing:
                text_of(j)
            # each encoded chunk goes to the vector cache (or, with it off, the index's spill) as it is done
            keep = stored.put_many if stored is not None else spill.put if spill is not None else None
            vectors, report.encoded = encode_with_cache(
                texts, hashes, lambda t: _encode_sorted(enc, t, batch_size, keep, busy), enc.dim, cache  # type: ignore[arg-type]
            )
            if same_encoder:
                _cache_dropped_vectors(previous, set(hashes), enc)
        with stages("faiss"):
            # same encoder: the previous generation's cells still fit, only rows are re-assigned
            dense = DenseIndex.from_vectors(vectors, dim=enc.dim, previous=previous.dense if same_encoder else None)

    laws: OrderedDict[str, dict] = OrderedDict()
    for a in articles:
        info = laws.setdefault(a.law, {"kind": a.kind, "law_id": a.law_id, "articles": 0, "deleted": 0, "effective_date": a.effective_date})
        info["articles"] += 1
        info["deleted"] += int(a.deleted)
    report.articles, report.searchable, report.laws = len(articles), len(rows), len(laws)
    manifest = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "tokenizer": settings.to_dict(),
        "bm25": params.to_dict(),
        "counts": {"articles": len(articles), "searchable": len(rows), "laws": len(laws), "vocab": len(bm25.vocab)},
        "laws": laws,
    }
    data = IndexData(manifest, articles, rows, hashes, tokens, bm25, dense)
    return data, manifest


def _cache_dropped_vectors(previous: IndexData, kept: set[str], enc: Any) -> int:
    """Put the previous generation's vectors that the new one drops (removed or changed articles) in the vector
    cache, when they were made with ``enc``'s very fingerprint: a later add that brings those texts back — a
    partial file, then the whole one — gets the same vectors, not ones re-encoded in other batches (which differ
    in the last bits, and in bf16 more). Returns how many were cached (0 when the cache is off)."""
    dropped = [r for r, h in enumerate(previous.row_hashes) if h not in kept]
    if not dropped:
        return 0
    recorded = recorded_fingerprint(previous.manifest.get("encoder"))
    if isinstance(enc, _RecordedEncoder):  # (no encoder loaded: the vectors are filed under what made them, if known)
        stored = _recorded_cache(previous.manifest.get("encoder"))
    elif not same_vectors(recorded, encoder_fingerprint(enc)):
        return 0
    else:
        stored = VectorCache.for_encoder(enc)
    if stored is None:
        return 0
    return stored.put_many([previous.row_hashes[r] for r in dropped], np.asarray(previous.dense.vectors)[dropped])


def _token_store(n: int, source: list[int | None], fresh: dict[int, list[str]], old: TokenStore | None) -> TokenStore:
    """Token store for ``n`` rows: slices of the previous store's id array for reused rows (no string
    work at all), new ids — appended to the previous vocabulary — for freshly tokenized ones."""
    if old is None:
        return TokenStore.from_lists([fresh[j] for j in range(n)])
    vocab = list(old.vocab)
    index = {t: i for i, t in enumerate(vocab)}
    pieces, lengths = [], np.zeros(n, dtype=np.int64)
    for j in range(n):
        r = source[j]
        if r is not None and j not in fresh:
            piece = old.ids[old.offsets[r] : old.offsets[r + 1]]
        else:
            ids = []
            for t in fresh[j]:
                i = index.get(t)
                if i is None:
                    i = index[t] = len(vocab)
                    vocab.append(t)
                ids.append(i)
            piece = np.asarray(ids, dtype=np.uint32)
        pieces.append(piece)
        lengths[j] = len(piece)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = np.concatenate(pieces).astype(np.uint32, copy=False) if pieces else np.zeros(0, dtype=np.uint32)
    return TokenStore(vocab, ids, offsets)


def _encode_sorted(enc: Any, texts: list[str], batch_size: int,
                   keep: Callable[[list[str], np.ndarray], Any] | None = None,
                   busy: Callable[[], bool] | None = None) -> np.ndarray:
    """Encode in length order (little padding per batch), in chunks with a progress bar; rows in input order.
    Each chunk is handed to ``keep(hashes, vectors)`` (written to disk) as it is done, so a killed build keeps
    its work. While ``busy()`` (work in another process), torch encodes on one thread fewer."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), enc.dim), dtype=np.float32)
    step = min(ENCODE_CHUNK, batch_size * 4)  # progress (and the crash-safe spill) every few batches
    chunks = [order[s : s + step] for s in range(0, len(order), step)]
    threads = _TorchThreads(busy)
    try:
        for idx in track(chunks, "encoding articles", total=len(order), advance=len, unit="articles"):
            threads.adjust()
            out[idx] = enc.encode_passages([texts[i] for i in idx], batch_size=batch_size)
            if keep is not None:
                keep([text_hash(texts[i]) for i in idx], out[idx])
    finally:
        threads.restore()
    return out


class _TorchThreads:
    """One torch thread fewer while ``busy()``, checked between chunks (every few seconds). Only torch is
    touched, and only when already imported: an ONNX Runtime session keeps the threads it was made with."""

    def __init__(self, busy: Callable[[], bool] | None):
        self.torch = sys.modules.get("torch") if busy is not None else None
        self.busy = busy
        self.full = self.torch.get_num_threads() if self.torch is not None else 0

    def adjust(self) -> None:
        if self.torch is not None and self.full > 1:
            want = self.full - 1 if self.busy() else self.full
            if self.torch.get_num_threads() != want:
                self.torch.set_num_threads(want)

    def restore(self) -> None:
        if self.torch is not None and self.torch.get_num_threads() != self.full:
            self.torch.set_num_threads(self.full)


def _write(index_dir: Path, data: IndexData, manifest: dict, report: BuildReport, stages: _Stages,
           build: dict | None = None, parts: Mapping[str, Any] | None = None, keep: int | None = None) -> None:
    """Write the generation. ``timings`` are this operation's; ``build`` (kept through every ``index add``)
    is how long the full build took — what a speed report wants to know about an index."""
    manifest["timings"] = {k: round(v, 3) for k, v in report.timings.items()}
    manifest["cpu_timings"] = {k: round(v, 3) for k, v in report.cpu_timings.items()}
    manifest["build"] = build if build is not None else {
        "created": manifest.get("created"), "timings": manifest["timings"], "cpu_timings": manifest["cpu_timings"],
    }
    with stages("write"):
        written = write_generation(index_dir, data, manifest, parts, keep=keep)
    report.generation = written.path.name
    # (keep-3 pruning had deleted an index's first generation, the state a rollback returned to, without a word)
    report.pruned = sorted(written.pruned)
    if data.dense is not None and manifest.get("encoder"):  # the vectors are in the generation now
        VectorSpill(index_dir, manifest["encoder"]["fingerprint"], data.dense.dim).clear()


# ---- encoders ---------------------------------------------------------------------------------------
class _RecordedEncoder:
    """The index's encoder as its previous generation records it — fingerprint and dimension, none of its weights —
    for a new generation that encodes nothing (``index remove``, or an add whose every text has its vector in the
    previous generation or the vector cache: :func:`_needs_encoding`). Loading the encoder costs 5–10 s. Should a
    text lack a vector after all, :func:`_assemble` calls ``load`` (None: refuses, rather than encode)."""

    def __init__(self, info: dict, load: Callable[[], Any] | None = None):
        self.info, self.load = info, load
        self.fingerprint = info["fingerprint"]
        self.dim = int(info["dim"])
        self.precision = info.get("precision")
        self.passage_max_tokens = info.get("passage_max_tokens")

    @classmethod
    def of(cls, info: dict | None, load: Callable[[], Any] | None = None) -> "_RecordedEncoder | None":
        """None for an index without vectors (BM25 only), as :func:`_encoder_for_existing` gives."""
        return cls(info, load) if info and info.get("fingerprint") and info.get("dim") else None

    def vector_cache(self) -> VectorCache | None:
        return _recorded_cache(self.info)

    def encode_passages(self, texts, batch_size: int = 32):
        raise IndexError_("no encoder was loaded for this generation: it encodes nothing")


def _recorded_cache(info: dict | None) -> VectorCache | None:
    """The vector cache of what made an index's vectors, as its manifest records it (None: the cache is off, the
    index has no vectors, or its record is inferred — too vague to key a cache by)."""
    from legalret.index.vector_cache import cache_root

    recorded = recorded_fingerprint(info)
    root = cache_root() if recorded is not None and not recorded.get("inferred") else None
    return VectorCache.open(root, recorded) if root is not None else None


def _text_and_hash(article: Entry) -> tuple[str, str]:
    text = article.index_text()
    return text, text_hash(text)


def _needs_encoding(incoming: Iterable[Article], previous: IndexData, info: dict | None,
                    known: dict[int, tuple[str, str]]) -> bool:
    """Whether some searchable article of the batch has a text with no vector in the ``previous`` generation nor in
    the vector cache of the index's recorded encoder (:func:`_recorded_cache`) — the lookups :func:`_assemble` makes
    (the cache's hash index only: a chunk gone bad since is its to find). False for an index without vectors
    (nothing is encoded). Stops at the first such text, so that the encoder starts loading at once; the texts hashed
    are left in ``known`` (``id(article)`` → (text, hash)) for :func:`_assemble`."""
    if recorded_fingerprint(info) is None:
        return False
    if previous.dense is None:  # (vectors recorded, none kept: nothing to take them from)
        return any(not art.deleted for art in incoming)
    held = set(previous.row_hashes)
    stored = None
    for art in incoming:
        if art.deleted:
            continue
        known[id(art)] = text, h = _text_and_hash(art)
        if h in held:
            continue
        if stored is None:
            stored = _recorded_cache(info)
            if stored is None:
                return True
        if h not in stored:
            return True
    return False


class _PendingEncoder:
    """An index's encoder loading on a background thread; ``fingerprint`` is the index's (``result()``
    checks the loaded one against it). ``result()`` is None for a BM25-only index."""

    def __init__(self, info: dict | None, load):
        from concurrent.futures import ThreadPoolExecutor

        self.fingerprint = info["fingerprint"] if info else None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="legalret-encoder")
        self._future = self._pool.submit(load)

    def result(self):
        try:
            return self._future.result()
        finally:
            self._pool.shutdown(wait=False)


def _resolve_encoder(model: str | None, adapter, encoder: Any, precision: str, passage_max_tokens: int | None, qadapter=None):
    if model is not None and str(model).lower() == NO_ENCODER and encoder is None:
        if adapter is not None or qadapter is not None:
            raise IndexError_("an adapter needs an encoder; drop --adapter or choose a --model")
        return None
    if encoder is None:
        from legalret.models.encoder import load_encoder

        encoder = passage_encoder(load_encoder(model, adapter=adapter, precision=precision, passage_max_tokens=passage_max_tokens))
    if qadapter is not None:
        from legalret.models.query_adapter import AdaptedQueryEncoder

        if isinstance(encoder, AdaptedQueryEncoder):  # passages are always the base's
            encoder = encoder.base
        try:
            qadapter.check_base(encoder)
        except ModelError as e:
            raise IndexError_(str(e)) from e
    return encoder


def _query_adapter_info(qadapter) -> dict | None:
    if qadapter is None:
        return None
    return {"path": str(Path(qadapter.path).resolve()), "fingerprint": qadapter.fingerprint, "name": qadapter.card.name,
            "format": qadapter.card.format}


def _encoder_info(enc: Any, model: str | None, adapter, qadapter=None) -> dict | None:
    if enc is None:
        return None
    spec = getattr(enc, "spec", None)
    return {
        "query_adapter": _query_adapter_info(qadapter),
        "spec": str(model) if model is not None else getattr(spec, "name", None),
        "name": getattr(spec, "name", None),
        "path": str(spec.path) if getattr(spec, "path", None) else None,
        "fingerprint": enc.fingerprint,
        "adapter": str(Path(adapter).resolve()) if adapter is not None else None,
        "dim": int(enc.dim),
        "precision": getattr(enc, "precision", None),
        "passage_max_tokens": getattr(enc, "passage_max_tokens", None),
        # what the vectors were made with (runtime, device, library): what rebuilds and adds check
        "passages": encoder_fingerprint(enc),
    }


def passage_encoder(encoder: Any) -> Any:
    """What embeds passages, for ``index build`` and ``index add`` alike: the loaded torch ``encoder``, or its
    ONNX export when ``$LEGALRET_PASSAGE_ENCODER`` names one (:func:`legalret.models.onnx.for_passages`)."""
    from legalret.models.onnx import for_passages

    return for_passages(encoder)


def _encoder_for_existing(info, model, adapter, encoder, precision, index_dir: Path):
    """The encoder an add embeds passages with: the index's (checked by fingerprint), run as a build would run
    it (:func:`passage_encoder`; an ``encoder`` given is used as it is), on the runtime the index records."""
    enc = load_index_encoder(info, model=model, adapter=adapter, encoder=encoder, precision=precision, where=index_dir)
    if encoder is None and enc is not None:
        enc = passage_encoder(enc)
    current = encoder_fingerprint(enc) if enc is not None else None
    _check_runtime(info, current.get("runtime") if current else None, index_dir)  # what really runs, checked
    return enc


def _check_requested_runtime(info: dict | None, precision: str, where: Path) -> None:
    """:func:`_check_runtime` before the encoder is loaded: the runtime an add would embed on follows from
    ``LEGALRET_PASSAGE_ENCODER``, the precision (``LEGALRET_PRECISION``) and the hardware
    (:func:`legalret.models.onnx.passage_runtime`), so a mismatch is refused before the add's long stages
    (the memory's: minutes), not after them. The loaded encoder is checked again (:func:`_encoder_for_existing`)."""
    if recorded_fingerprint(info) is None:
        return  # no vectors: nothing to mix (and nothing to import torch for)
    from legalret.models.onnx import passage_runtime

    _check_runtime(info, passage_runtime(precision), where)


def _check_runtime(info: dict | None, runtime: str | None, where: Path) -> None:
    """One-line error when passages would be embedded on another ``runtime`` (torch precision, ONNX variant) than
    the index's vectors were made on: the index would mix two kinds of vectors. (Another device or library
    version is accepted: it moves the last digits of a vector, not the 4th as another precision does.)"""
    recorded = recorded_fingerprint(info)
    if recorded is None or runtime is None or recorded.get("runtime") == runtime:
        return
    was = recorded["runtime"]
    match = (f"set LEGALRET_PASSAGE_ENCODER={was}" if was.startswith("onnx-") else
             f"set LEGALRET_PRECISION={was.removeprefix('torch-')} with LEGALRET_PASSAGE_ENCODER unset (or torch)")
    raise IndexError_(
        f"{where}: the index's passages were embedded by {was}, this add would embed them by {runtime} "
        f"(its vectors would mix both); nothing was written — {match}, or rebuild with `legalret index build`"
    )


def _previous_vectors_fit(previous: IndexData | None, enc: Any) -> bool:
    """Whether a rebuild may take the previous generation's vectors: made with the same passage fingerprint
    (:func:`~legalret.index.vector_cache.encoder_fingerprint`: weights, LoRA, passage cut, precision or ONNX
    variant, device, library version) — else a note says they are encoded again."""
    if previous is None or previous.dense is None or enc is None or not getattr(enc, "fingerprint", None):
        return False
    info = previous.manifest.get("encoder") or {}
    if info.get("fingerprint") != enc.fingerprint:
        return False  # another encoder: nothing to say
    recorded, current = recorded_fingerprint(info), encoder_fingerprint(enc)
    if same_vectors(recorded, current):
        return True
    recorded, current = recorded or {}, current or {}
    differ = "; ".join(f"{k} {recorded.get(k)} → {current.get(k)}" for k in sorted(recorded.keys() | current.keys())
                       if k != "inferred" and recorded.get(k) != current.get(k))
    console.print(f"[yellow]note:[/] not reusing the previous generation's vectors, made on another runtime ({differ}): "
                  "encoding them again", highlight=False)
    return False


def _try_load_previous(index_dir: Path, stages: _Stages) -> IndexData | None:
    """The index already at ``index_dir`` (for its caches), or None when there is none or it is unreadable."""
    try:
        current_generation(index_dir)
    except IndexError_:
        return None
    with stages("load previous"):
        try:
            return load_index(index_dir, verify="stamp")  # never reuse vectors/tokens of corrupted files
        except IndexError_ as e:
            console.print(f"[yellow]note:[/] not reusing the existing index ({e})", highlight=False)
            return None


def _tokenizer_settings(tokenizer) -> TokenizerSettings:
    if tokenizer is None:
        return TokenizerSettings()
    if isinstance(tokenizer, dict):
        return TokenizerSettings.from_dict(tokenizer)
    if isinstance(tokenizer, KiwiTokenizer):
        return tokenizer.settings
    return tokenizer
