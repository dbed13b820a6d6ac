"""The searcher: exact citations first, then the registered retrievers' lists, fused (and re-ranked).

Usage::

    from legalret.search.searcher import Searcher

    s = Searcher("index/")                      # loads the index once; the encoder on the first dense query
    for hit in s.search("유치권 간접점유", k=10):
        print(hit.key, hit.score, hit.article.title)
    s.search("민법 750조 1항")[0].key            # '민법 제750조' — an exact citation is ranked first
    s.search("임대차", laws=["민법"], kinds=["법률"], mode="bm25", explain=True)[0].reasons
    s.search_batch(["…", "…"], k=10, mode="dense")   # queries encoded in one batch

Every query runs the same stages over the retrievers of :mod:`legalret.search.retrievers` (BM25, dense,
the precedent memory, the facts memory, the article profiles — whichever this index has —, and an on-demand one,
BM25 with the dense list's words, only for a re-ranker that reads it: :meth:`Searcher.annotate_for`): **prepare**
(normalize, tokenize once, citations, filters; a retriever's batch work such as encoding) → **retrieve**
(each retriever's ``candidates``) → **fuse** (:mod:`legalret.search.fusion`, with the per-query weights
of the retrievers that gate theirs) → **annotate** (retrievers that rank fused candidates) → **rerank**
(the learned re-ranker, :mod:`legalret.search.ranker`, in ``hybrid``) → **respond** (hits, notices and
the explain lines of :mod:`legalret.search.explain`). Nothing here names a retriever.

Modes (:func:`modes`): ``hybrid`` (the index's fusion, then — when the index has every list the shipped
re-ranker reads — the learned re-ranker), ``convex`` (the index's fusion settings alone), ``rrf``
(reciprocal-rank fusion), and one per retriever that offers its list alone (``bm25``, ``dense``, ``memory``).
``search`` returns :class:`~legalret.search.results.SearchResults`; a query that is only citations runs
no retriever (and loads no encoder). ``before``/``exclude`` keep a memory honest in evaluation.

A searcher reads the generation that was live when it opened, for as long as it lives (its files stay open, even
once ``index add`` prunes the folder). Each search stats the index's ``CURRENT`` (a few µs) and, when the index has
moved on, says so in a notice (:meth:`Searcher.moved_on`); :class:`~legalret.serve.live.LiveSearcher`
(``legalret.LiveSearcher``) follows the index instead.
"""

from __future__ import annotations

import array
import functools
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from numbers import Integral
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from legalret.articles import Article
from legalret.config import MAX_K, k_error, search_mode
from legalret.errors import IndexError_, LegalretError
from legalret.index.encoders import QueryEncoderSlot, load_query_encoder
from legalret.index.store import CURRENT, current_generation, load_index, pointer_stamp
from legalret.keys import laws_named
from legalret.index.tokenize import KiwiTokenizer
from legalret.memory.format import as_date
from legalret.search.citations import QueryCitation
from legalret.search.crime import title_crimes
from legalret.search.explain import Learned, explain_hits, learned_reasons, list_reasons, weights_note
from legalret.search.filters import Filters, area_filter_notice
from legalret.search.fusion import FusedItem, FusionSettings, convex_fusion, default_fusion, fuse, gated_weights, rrf_fusion
from legalret.search.prepare import MAX_QUERY_CHARS, RENAMED_READ, QueryPreparer, renamed_names_notice
from legalret.search.ranker import BaseRates, Ranker, candidate_features
from legalret.search.relevance import SHORT_QUESTION, rate_hits
from legalret.search.results import Hit, SearchResults, citation_hits, mark_not_in_force
from legalret.search.retrievers import Generation, Query, Retriever, registered
from legalret.text import highlight_terms, normalize

__all__ = ["MAX_QUERY_CHARS", "MODES", "Hit", "Query", "Retriever", "SearchResults", "Searcher", "modes", "modes_help"]

FUSED_MODES = ("hybrid", "convex", "rrf")
#: Default of :attr:`Searcher.overlap_encoding` (measured: benchmarks/results/latency-main-job/).
OVERLAP_ENCODING = True


def modes() -> tuple[str, ...]:
    """The search modes: the fused ones, then each registered retriever that offers its list alone."""
    return (*FUSED_MODES, *(cls.name for cls in registered() if cls.fused and cls.mode))


MODES = modes()
_FUSED_HELP = {"hybrid": "learned fusion when the index has a memory", "convex": "the index's fusion settings alone",
               "rrf": "reciprocal-rank fusion"}


def modes_help() -> str:
    """``'hybrid (…) | convex (…) | … | bm25 (BM25 alone) | …'``: the modes and what each searches (for help texts)."""
    described = {**_FUSED_HELP, **{cls.name: cls.describe for cls in registered()}}
    return " | ".join(f"{m} ({described[m]})" if described.get(m) else m for m in modes())


class RowOfKey(Mapping[str, int]):
    """article key → its row in the retrievers' arrays (live articles only), read through the index's
    ``by_key`` (key → position among all articles) and a list position → row: a second dict of every key
    cost ~15 ms each time a searcher opened the all-law index (132k rows)."""

    def __init__(self, by_key: dict[str, int], rows: Sequence[int], articles: int):
        row_of = np.full(articles, -1, dtype=np.int64)
        row_of[np.fromiter(rows, dtype=np.int64, count=len(rows))] = np.arange(len(rows), dtype=np.int64)
        # position → row (−1: a deleted article); an array.array indexes like a list without an int object per row
        self._by_key, self._row_of, self._rows = by_key, array.array("q", row_of.tobytes()), len(rows)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        pos = self._by_key.get(key)
        row = -1 if pos is None else self._row_of[pos]
        return default if row < 0 else row

    def __getitem__(self, key: str) -> int:
        row = self.get(key)
        if row is None:
            raise KeyError(key)
        return row

    def __iter__(self) -> Iterator[str]:
        return (key for key, pos in self._by_key.items() if self._row_of[pos] >= 0)

    def __len__(self) -> int:
        return self._rows


# The searcher's parts call these, bound to its data (functools.partial): not to the searcher (see Searcher.__init__)
def _open_query_encoder(encoder_info: dict, index_dir: Path, args: dict):
    return load_query_encoder(encoder_info, where=index_dir, **args)


def _title(articles, pos: int) -> str:
    """An article's title, read without parsing the article when the store can."""
    return articles.title(pos) if hasattr(articles, "title") else articles[pos].title


def _title_crimes(articles) -> Any:
    return title_crimes(a.title for a in articles)


def _live_title(data, key: str) -> str | None:
    """The title of an indexed article in force (None: not indexed, or deleted) — a cited article's, which the
    query's retrievers read (:meth:`~legalret.search.prepare.QueryPreparer.with_titles`)."""
    pos = data.by_key.get(key)
    if pos is None or data.articles[pos].deleted:
        return None
    return _title(data.articles, pos)


class Searcher:
    """Search over one on-disk index (see the module docstring).

    ``**retrievers``: per retriever name, None = what the index has (default), False = never, True =
    required, or an object the retriever takes (``memory=`` / ``facts=``: a PrecedentMemory or MemoryVoter).
    ``model`` / ``adapter`` / ``encoder``: must match the index's encoder (default: the one recorded in the
    manifest; its ONNX export when there is one, so no torch is imported). ``verify``: 'stamp' (default:
    checksums unless the verified stamp matches) | 'full' | 'size' | 'none'. ``ranker``: 'auto'
    (``LEGALRET_RANKER`` or the shipped one), a path, a :class:`Ranker`, or None / 'none' (no re-ranker).
    """

    def __init__(self, index_dir: str | Path, *, model: str | None = None, adapter: str | Path | None = None,
                 encoder: Any = None, precision: str = "auto", verify: str = "stamp",
                 ranker: Ranker | str | Path | None = "auto", **retrievers: Any):
        unknown = sorted(set(retrievers) - {cls.name for cls in registered()})
        if unknown:
            raise TypeError(f"Searcher got unknown retriever options {unknown}")
        if not isinstance(index_dir, (str, os.PathLike)):  # (None had been a bare "expected str … not NoneType")
            raise LegalretError(f"index_dir: the index's folder (a path, e.g. legalret.config.default_index_dir()), "
                                f"not {index_dir!r}")
        self.index_dir = Path(index_dir)
        self._pointer_file = os.fspath(self.index_dir / CURRENT)
        stamp = pointer_stamp(self._pointer_file)  # (before the load: a CURRENT that moves during it reads as moved)
        self.data = load_index(self.index_dir, verify=verify)
        #: the generation this searcher reads (its folder's name) — for as long as it lives: see :meth:`moved_on`
        self.generation = self.data.path.name
        self._pointer: tuple[tuple | None, str | None] = (stamp, None)  # (CURRENT's stamp, the generation it names)
        #: whether a search says when the index has moved on (:meth:`moved_on`). A LiveSearcher turns it off for the
        #: searchers it serves: a request already running when the index switched is answered from the generation
        #: live when it came, the next from the new one — its caller (HTTP, MCP) has nothing to reopen
        self.says_moved = True
        self.manifest = self.data.manifest
        fusion = self.manifest.get("fusion")
        # an index built without fusion settings (legalret.index.build_index): the defaults for its encoder
        index_adapter = (self.manifest.get("encoder") or {}).get("adapter")
        self.fusion = FusionSettings.from_dict(fusion) if fusion else default_fusion(
            index_adapter if index_adapter and Path(index_adapter).is_dir() else None)
        self.tokenizer = KiwiTokenizer(self.manifest["tokenizer"])
        if self.manifest.get("encoder") is None and (model or adapter or encoder):
            raise IndexError_(f"{self.index_dir}: this index has no dense vectors (built with --model none)")
        self._encoder_args = dict(model=model, adapter=adapter, encoder=encoder, precision=precision)
        # Nothing a searcher's parts keep may point back at the searcher (a bound method, a closure over self): such a
        # cycle leaves a replaced generation — memory-mapped arrays, an ONNX session, hundreds of MB — to Python's
        # cyclic collector, which a quiet server seldom runs (a server grew 0.5 → 4.3 GB over 26 index switches). So
        # the parts get module functions bound to the searcher's data, never ``self.…`` methods.
        self.encoders = QueryEncoderSlot(functools.partial(  # one query encoder for every retriever that embeds
            _open_query_encoder, self.manifest["encoder"], self.index_dir, self._encoder_args))
        #: encode a single query in a worker thread while BM25 and the memories run (see DenseRetriever.prepare)
        self.overlap_encoding = OVERLAP_ENCODING
        self._pool: ThreadPoolExecutor | None = None
        self.notices: list[str] = []  # load-time notes
        #: the day "in force" means (ISO; None: today) — a hit whose text takes effect later gets a notice
        self.as_of: str | None = None
        self.keys = self.data.row_keys
        row_of_key = RowOfKey(self.data.by_key, self.data.rows, len(self.data.articles))
        generation = Generation(self.index_dir, self.data, self.tokenizer, row_of_key, self.encoders, retrievers)
        for cls in registered():  # in order: a retriever may open beside one opened before it
            opened = cls.open(generation) if retrievers.get(cls.name) is not False else None
            if opened is not None:
                generation.opened[cls.name] = opened
            elif retrievers.get(cls.name) is True:  # required (dense=True on a BM25-only index had searched BM25 alone)
                raise IndexError_(f"{self.index_dir}: {cls.missing.format(name=cls.name)}")
        self.opened: dict[str, Any] = generation.opened
        # the annotating retrievers every fused search runs: an on-demand one only when asked (``feedback=True``) or
        # when a re-ranker reads it (annotate_for)
        self._asked = {name for name, r in self.opened.items() if r.on_demand and retrievers.get(name) is True}
        self.annotators = self._annotators()
        self._always_explained = tuple(cls.name for cls in registered() if getattr(cls, "always_explained", False))
        self._absent = tuple(cls.name for cls in registered() if cls.name not in self.opened)  # (explain leaves them out)
        self.ranker = self._open_ranker(ranker)
        if self.ranker is not None:
            self.annotate_for(self.ranker)
        self._base_rates: BaseRates | None = None
        self.filters = Filters(self.data)
        self.filters.law_names.index_dir = self.index_dir  # (a notice's command to add a law names this index)
        self.law_names, self.laws, self.kinds = self.filters.law_names, self.filters.laws, self.filters.kinds
        self.resolve_laws, self.resolve_kinds = self.filters.resolve_laws, self.filters.resolve_kinds
        bm25 = self.opened.get("bm25")
        # the coverage notice compares the searcher's (Kiwi) tokens with the articles': not with an n-gram vocabulary
        vocabulary = bm25.engine.vocab if bm25 is not None and bm25.same_tokens else None
        memory = self.opened.get("memory")
        held = (lambda: memory.retriever.memory.bm25.vocab) if memory is not None and memory.same_tokens else None
        self.prepare = QueryPreparer(self.tokenizer, self.law_names, vocabulary, held,
                                     bm25.engine.document_frequency if vocabulary is not None else None,
                                     (lambda: memory.retriever.memory) if memory is not None else None,
                                     bm25.engine.occurs if vocabulary is not None else None,
                                     functools.cache(functools.partial(_title_crimes, self.data.articles)),
                                     functools.partial(_live_title, self.data))

    # ---- parts ---------------------------------------------------------------------------------
    def retriever(self, name: str) -> Any:
        """The opened retriever ``name``, or a one-line error saying what the index lacks."""
        if name not in self.opened:
            cls = next((c for c in registered() if c.name == name), None)
            raise IndexError_(f"{self.index_dir}: " + (cls.missing.format(name=name) if cls else f"no retriever {name!r}"))
        return self.opened[name]

    has_dense = property(lambda self: "dense" in self.opened)
    bm25 = property(lambda self: self.retriever("bm25"))
    dense = property(lambda self: self.retriever("dense"), doc="The dense retriever (its encoder loads on first use).")
    encoder = property(lambda self: self.dense.encoder if self.has_dense else None)
    memory = property(lambda self: getattr(self.opened.get("memory"), "retriever", None), doc="The memory's MemoryVoter.")
    facts = property(lambda self: getattr(self.opened.get("facts"), "retriever", None), doc="The facts memory's MemoryVoter.")

    def _open_ranker(self, arg) -> Ranker | None:
        """The learned re-ranker for ``hybrid``, only on an index that has every retriever it requires."""
        if isinstance(arg, str) and arg.strip().lower() in ("none", "off"):  # as LEGALRET_RANKER=none
            return None
        if arg == "auto":
            from legalret.config import default_ranker

            arg = default_ranker(self.data.manifest.get("laws", {}))  # the all-law one beside other laws
        if arg is None or not all(name in self.opened for name in Ranker.DEFAULT_REQUIRES):
            return None  # (checked before the file is read: an index without them never reads it)
        ranker = arg if isinstance(arg, Ranker) else Ranker.load(arg)
        return ranker if all(name in self.opened for name in ranker.requires) else None

    def annotate_for(self, ranker: Ranker) -> None:
        """Run, from now on, the on-demand annotating retrievers ``ranker`` reads (:attr:`Ranker.on_demand`) — the
        searcher's own re-ranker, or an evaluation's (:class:`~legalret.search.ranker.RerankedSearch`)."""
        self._asked |= {name for name in ranker.on_demand if name in self.opened}
        self.annotators = self._annotators()  # (one assignment: a server thread sees the old list or the new one)

    def _annotators(self) -> list[Any]:
        return [r for name, r in self.opened.items() if not r.fused and (not r.on_demand or name in self._asked)]

    def retrievers(self, mode: str) -> list[Retriever]:
        """The retrievers whose lists a mode fuses, in registration order."""
        return [r for r in self.opened.values() if r.fused] if mode in FUSED_MODES else [self.retriever(mode)]

    def resolve_mode(self, mode: str) -> str:
        """The mode a request runs as: a fused mode over one list alone (a BM25-only index) is that list."""
        lists = self.retrievers(mode) if mode in FUSED_MODES else []
        return lists[0].name if len(lists) == 1 else mode

    def warmup(self) -> Searcher:
        """Load the encoder now and run one query through everything (for timing)."""
        self.search("민법 손해배상", k=1, mode="hybrid" if self.has_dense else "bm25")
        return self

    def load(self, mode: str = "hybrid") -> Searcher:
        """Load now what a search in ``mode`` would load on first use — the query encoder — e.g. while the
        query's tokens are analysed in another process (:class:`~legalret.index.tokenize.TokensAhead`)."""
        if mode in modes() and any(r.name == "dense" for r in self.retrievers(mode)):
            self.encoder  # noqa: B018 — loads it
        return self

    # ---- search --------------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, mode: str = "hybrid", laws: Iterable[str] | str | None = None,
               kinds: Iterable[str] | str | None = None, explain: bool = False, *, citations: bool = True,
               before: Any = None, exclude: Any = None) -> SearchResults:
        """Top-``k`` hits for ``query``; exact citations in it come first (``citations=False`` turns that off). Each hit
        carries its ``relevance`` (and a guess's ``probability`` None) by :mod:`legalret.search.relevance`, the rule
        every interface shows.

        ``k``: 1 to :data:`~legalret.config.MAX_K`, the limit of every interface, refused outside it with their message
        (:func:`~legalret.config.k_error`: "k must be between 1 and 100 (got 1000)") — hybrid had returned 100 hits
        for ``k=1000`` without a word, the re-ranker reading no more candidates. A re-ranker that reads more (the
        all-law one: 150) may be asked for all of them, as training and evaluation do, and the message names that
        limit (:meth:`search_batch` reads as deep as it is asked).

        ``before`` (a date) and ``exclude`` (a 사건번호) restrict which precedents may vote in the memories:
        evaluation on a precedent's own holding passes its decision date and case number, so that nothing
        from its future or from the decision itself leaks into the ranking."""
        most = max(MAX_K, self.ranker.depth if self.ranker is not None else 0)
        error = k_error(int(k) if isinstance(k, Integral) and not isinstance(k, bool) else k, most)  # (numpy ints too)
        if error:  # (k=0 had said "a whole number, at least 1; got 0" here and "between 1 and 100 (got 0)" elsewhere)
            raise LegalretError(error)
        return self.search_batch([query], k, mode, laws, kinds, explain, citations=citations, before=[before],
                                 exclude=[exclude])[0]

    def search_batch(self, queries: Sequence[str], k: int = 10, mode: str = "hybrid",
                     laws: Iterable[str] | str | None = None, kinds: Iterable[str] | str | None = None,
                     explain: bool = False, *, citations: bool = True, before: Any = None,
                     exclude: Any = None) -> list[SearchResults]:
        """``search`` for many queries (encoded in one batch); ``before``/``exclude``: one value, or one per query.
        ``mode`` is read as every interface reads it (``BM25`` is ``bm25``: :func:`~legalret.config.search_mode`)."""
        mode = search_mode(mode)  # (Python had refused mode="BM25", which the CLI, the API and MCP take)
        if mode not in modes():
            raise LegalretError(f"mode: unknown search mode {mode!r} (choose from {', '.join(modes())})")
        if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:  # ('5', None, 5.5: raw TypeErrors; True: 1)
            raise LegalretError(f"k must be a whole number, at least 1; got {k!r}")
        if isinstance(queries, str):  # (each character had been searched as a query of its own)
            raise TypeError("search_batch takes a list of queries; search() takes one")
        if not isinstance(explain, (bool, np.bool_)):  # ('no' had turned explain on, as any non-empty text is true)
            raise LegalretError(f"explain must be True or False, not {explain!r}")
        # (laws=5 had been a raw TypeError; an iterable of names is read once here — a generator had been used up by
        # the filter before the renamed-law and area notices read it)
        laws, kinds = self.filters.names(laws, "laws"), self.filters.names(kinds, "kinds")
        law_filter, kind_filter = self.resolve_laws(laws), self.resolve_kinds(kinds)
        mask = self.filters.mask(law_filter, kind_filter)
        self.filters.check_not_empty(law_filter, kind_filter, mask)
        befores = before if isinstance(before, (list, tuple)) else [before] * len(queries)
        excludes = exclude if isinstance(exclude, (list, tuple)) else [exclude] * len(queries)
        if len(befores) != len(queries) or len(excludes) != len(queries):
            raise LegalretError("before/exclude lists must have one value per query")
        for value in befores:  # (a raw ValueError from deep in the memory's vote otherwise)
            if value is not None and not isinstance(value, date):
                try:
                    as_date(value)
                except ValueError as e:
                    raise LegalretError(f"before: {e}") from None
        # stage 1, prepare: each query's text, tokens, filters and citations, once
        prepared = [self.prepare(text, laws=law_filter, kinds=kind_filter, mask=mask, before=b, exclude=e,
                                 citations=citations)
                    for text, b, e in zip(queries, befores, excludes)]
        renamed = self.filters.renamed_in(laws)
        if renamed:  # (--law 주택임대차보호법 after `index add --rename` searched 주택임차인보호법 without a word)
            notice = renamed_names_notice(renamed)
            for q, _, _ in prepared:  # (a query naming an old name has its own, from full_law_names)
                if not any(n.startswith(RENAMED_READ) for n in q.notes):
                    q.notes.append(notice)
        for area in self.filters.areas_in(laws):  # (--law 노동법: the held laws of the labor corpus, said)
            for q, _, _ in prepared:
                q.notes.append(area_filter_notice(*area))
        run = self.retrievers(mode)
        needed = [q for q, _, n in prepared if n]
        for r in run:  # … and each retriever's batch work (the dense one encodes)
            r.prepare(needed, overlap=self.overlap_encoding and len(run) > 1, pool=self._encoding_pool)
        results = [self._search_one(q, cites, n, k, mode, run, explain) for q, cites, n in prepared]
        moved = self.moved_on() if self.says_moved else None
        if moved is not None:  # (a long-lived searcher had quoted a pruned generation's text — repealed — in silence)
            for res in results:
                res.notices.append(moved)
        return results

    def _encoding_pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="legalret-encode")
        return self._pool

    def _prepare(self, query: str) -> Query:
        return self.prepare.query(query)

    def query_tokens(self, text: str) -> list[str]:
        """The words BM25, the memories and the article profiles search for (no party names)."""
        return self.prepare.tokens(text)

    def _search_one(self, q: Query, cites: list[QueryCitation], needed: bool, k: int, mode: str,
                    run: list[Retriever], explain: bool) -> SearchResults:
        learned = mode == "hybrid" and self.ranker is not None
        n = max(self.fusion.candidates, k, self.ranker.depth if learned else 0)
        lists: dict[str, list[tuple[str, float]]] = {}
        weights, gated = dict(self.fusion.weights), []
        if needed:  # stage 2, retrieve: a retriever that overlaps its encoding runs last, lists stay in registry order
            found = {r.name: r.candidates(q, n) for r in sorted(run, key=lambda r: r.overlaps)}
            lists = {r.name: found[r.name] for r in run}
            if mode in FUSED_MODES:  # the retrievers that gate their weight per query (the memories)
                weights, gated = gated_weights(weights, {r.name: g for r in run if (g := r.gate(q)) is not None})
        votes = {r.name: v for r in run if (v := r.votes(q)) is not None}
        learned_lines: dict[str, Learned] = {}
        probability: dict[str, float] = {}  # the re-ranker's softmax share of each candidate it scored
        if mode in ("hybrid", "convex"):  # stage 3–5: fuse, annotate, rerank
            fused = fuse(lists, self.fusion, weights, n)
            for r in self.annotators if fused else ():
                r.annotate(q, fused)
            if learned and fused:
                cited = {c.key for c in cites}
                uncited = [item for item in fused if item.key not in cited]
                fused, learned_lines, probability = self._rerank(q.text, uncited, k if explain else 0, votes, q.before)
        elif mode == "rrf":
            fused = rrf_fusion(lists, weights, n, self.fusion.rrf_k)
        else:  # one retriever: its own scores
            fused = convex_fusion(lists, None, n)
            for item in fused:
                item.score = item.scores[mode]
        hits = citation_hits(cites, self.data, fused[0].score if fused else 0.0, q.notes, q.laws, k,  # stage 6, respond
                             kinds=q.kinds)
        depth, shown = max(self.fusion.candidates, k), {h.key for h in hits}
        for item in fused:
            if len(hits) >= k:
                break
            if item.key not in shown:
                hits.append(self._hit(item, list(lists), depth, explain, votes, probability.get(item.key)))
        if explain:
            explain_hits(hits, q, [r for r in run if r.name in lists], note=weights_note(weights, gated),
                         learned=learned_lines)
        hits = hits[:k]
        mark_not_in_force(hits, self.in_force_on(), q.notes)
        # (from the numbers as every interface prints them, to_dict's rounding, read off the hits' fields: the answer
        # calls to_dict once, later; the rule reads the answer's notices)
        # (names_held: read only where the rule may ask it, a short question with notices)
        asked = q.asked or q.text  # (the question as asked, not with the cited articles' titles its retrievers read)
        short = len(asked) <= SHORT_QUESTION and bool(q.notes)
        rate_hits(hits, learned=learned, notices=q.notes, query=asked,
                  names_held=short and any(laws_named(asked, self.law_names.canonical())))
        return SearchResults(hits, query=asked, notices=q.notes, citations=cites, terms=highlight_terms(q.tokens))

    def _rerank(self, query: str, fused: list[FusedItem], explained: int, votes: dict,
                before: Any = None) -> tuple[list[FusedItem], dict[str, Learned], dict[str, float]]:
        """The fused candidates in the learned re-ranker's order (features read from their ranks, scores and
        votes, as it was trained on a search's hits), the explain lines and contributions of the first ``explained``,
        and each candidate's probability: its softmax share over every candidate scored (:meth:`Ranker.probabilities`,
        once per query; the scores and the order are untouched)."""
        candidates = fused[: self.ranker.depth]
        rates = self.base_rates().before(before) if self.ranker.reads_prior else None  # (votes' cut-off too)
        _, x = candidate_features(query, candidates, votes=votes, law=self.ranker.reads_law,
                                  match=self.ranker.reads_match, titles=self.title_of, cited=rates)
        scores = self.ranker.scores(x)
        order = np.argsort(-scores, kind="stable").tolist()
        values = scores.tolist()  # (Python floats, as float(scores[j]) gives, without a numpy scalar each)
        for j in order:
            candidates[j].score = values[j]
        reasons = learned_reasons(self.ranker, x, order, [c.key for c in candidates], explained, self._always_explained,
                                  self._absent)
        shares = self.ranker.probabilities(scores).tolist()
        return [candidates[j] for j in order], reasons, {c.key: p for c, p in zip(candidates, shares)}

    def _hit(self, item: FusedItem, names: list[str], depth: int, explain: bool, votes: dict,
             probability: float | None = None) -> Hit:
        reasons = list_reasons(item, names, depth, self.annotators) if explain else []
        mine = {name: v[item.key] for name, v in votes.items() if item.key in v}
        article = self.data.articles[self.data.by_key[item.key]]
        return Hit(item.key, float(item.score), article, dict(item.ranks), dict(item.scores), reasons, mine,
                   probability=probability)

    # ---- info ----------------------------------------------------------------------------------
    def moved_on(self) -> str | None:
        """The notice every search adds once the index's ``CURRENT`` names another generation than the one this
        searcher reads (``index add``, ``rollback``), saying whether its folder was removed; None while it has not
        moved — or when ``CURRENT`` cannot be read or names a folder that is not there (broken, or still being copied
        in: a reopened searcher could not read it; a server says that itself): never an error.

        One ``stat`` per call; ``CURRENT`` is read only when the file changed (measured: ~3.5 µs a call, a
        warm BM25 search ~0.4 ms; tests/test_searcher_stale_s17.py holds it under 0.1 ms)."""
        stamp = pointer_stamp(self._pointer_file)
        if stamp is None:
            return None
        seen, live = self._pointer
        if stamp != seen:
            try:  # (what CURRENT names, when it names a generation that is there)
                live = current_generation(self.index_dir).name
            except (LegalretError, OSError):
                live = None
            self._pointer = (stamp, live)  # (one assignment: a server thread sees the old pair or the new one)
        if live is None or live == self.generation:
            return None
        try:
            if not (self.index_dir / live).is_dir():
                return None
            removed = "" if (self.index_dir / self.generation).is_dir() else f" ({self.generation} was removed)"
        except (OSError, ValueError):  # (a folder it may not read: a search answers all the same)
            return None
        return (f"this searcher reads {self.generation}{removed}; the index is at {live} now — its answers may "
                f"quote text that has changed since (reopen it, or use legalret.LiveSearcher to follow updates)")

    def in_force_on(self) -> str:
        """The day (ISO) that "in force" means for this searcher's answers: :attr:`as_of`, else today."""
        return self.as_of or date.today().isoformat()

    def article(self, key: str) -> Article | None:
        """The article of this exact key ("민법 제750조"; None when the index lacks it). Keys as people write them
        ("민법 750", 民法 第750條): :func:`legalret.serve.statutes.find_article`."""
        if not isinstance(key, str):  # (None had been "is_normalized() argument 2 must be str")
            raise LegalretError(f"key: an article key is text ('민법 제750조'), not {key!r}")
        pos = self.data.by_key.get(normalize(key))
        return None if pos is None else self.data.articles[pos]

    def base_rates(self) -> BaseRates:
        """How many holdings of this index's memory cite each article (:class:`~legalret.search.ranker.BaseRates`;
        counted once, ~0.03 s for 92k holdings, on the first search whose re-ranker reads them)."""
        if self._base_rates is None:  # (two server threads may both count: the same result, one kept)
            memory = self.memory
            self._base_rates = BaseRates(memory.memory if memory is not None else None)
        return self._base_rates

    def title_of(self, key: str) -> str:
        """The title of an indexed article (its exact key), read without parsing the article when the store can."""
        return _title(self.data.articles, self.data.by_key[key])

    def __len__(self) -> int:
        return len(self.data.articles)
