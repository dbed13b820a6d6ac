"""The searcher: exact citations first, then BM25, dense and (when present) precedent memory, fused.

Usage::

    from legalret.search.searcher import Searcher

    s = Searcher("index/")                      # loads the index once; the encoder on the first dense query
    for hit in s.search("유치권 간접점유", k=10):
        print(hit.key, hit.score, hit.article.title)
    s.search("민법 750조 1항")[0].key            # '민법 제750조' — an exact citation is ranked first
    s.search("임대차", laws=["민법"], kinds=["법률"], mode="bm25", explain=True)[0].reasons
    s.search_batch(["…", "…"], k=10, mode="dense")   # queries encoded in one batch

An index built with ``--facts`` also has a facts memory (:mod:`legalret.memory.facts`: the facts of the
same decisions vote for what they cite); it is one more retriever (``facts``) in the fused modes, with the
same ``before``/``exclude`` leakage guard as the holdings memory, and the re-ranker reads its features.

Modes: ``hybrid`` (the default: the index's fusion, then — on an index with BM25, dense and a memory — the
learned re-ranker of :mod:`legalret.search.ranker`, which weighs each retriever by the kind of question),
``convex`` (the index's fusion settings alone: convex combination of min–max normalized scores, or RRF),
``rrf`` (reciprocal-rank fusion), ``bm25``, ``dense``, ``memory`` (precedent memory alone, if built).
``search`` returns a :class:`SearchResults` — a list of :class:`Hit` with ``.notices`` (truncated query,
cited article missing or deleted, a law the index does not have, nothing searchable in the query) and
``.citations``. A query that is only citations runs no retriever (and loads no encoder).

The searcher is the citation step + a list of :class:`Retriever` s (``candidates(query, n)`` over a
per-query :class:`Query`) + fusion; the precedent memory is one of the retrievers, read from the index
generation (nothing is re-indexed at start).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol, Sequence, runtime_checkable

import numpy as np

from legalret.articles import Article
from legalret.config import MAX_QUERY_CHARS, query_cut_note  # one query limit and cut notice for every interface
from legalret.errors import IndexError_, LegalretError
from legalret.index.build import load_query_encoder
from legalret.index.store import LEGACY_MEMORY_DIR, IndexData, load_index, reading
from legalret.index.tokenize import KiwiTokenizer
from legalret.keys import LawNames
from legalret.memory.facts import FACTS_PART
from legalret.memory.retriever import (
    MemoryResult,
    MemoryRetriever,
    VoteConfig,
    WeightConfig,
    memory_weight,
)
from legalret.memory.profiles import ArticleProfiles
from legalret.memory.store import MEMORY_PART, PrecedentMemory
from legalret.search.citations import (
    QueryCitation,
    find_citations,
    unresolved_citations,
)
from legalret.search.coverage import coverage_notes
from legalret.search.fusion import (
    FusedItem,
    FusionSettings,
    convex_fusion,
    default_fusion,
    fuse,
    rrf_fusion,
)
from legalret.search.ranker import ABSENT_RANK, Ranker, candidate_features, vote_features
from legalret.text import normalize

MODES = ("hybrid", "convex", "rrf", "bm25", "dense", "memory")
#: The party names of people's scenarios (갑/을/병). Kiwi keeps them as nouns; as query words they match nothing
#: legal in an article and, in the memories, only holdings that happen to name their parties so. The query's tokens
#: go without them (its text — what the encoder and the re-ranker's 갑/을 signal read — keeps them). Measured on
#: the tune questions: scenario MRR@10 +0.042, other styles unchanged (benchmarks/party_tokens.py). The courts'
#: 甲/乙/丙 stay: dropped too, they moved holdings' MRR@10 by −0.006 on 300 train holdings; 정/무 are ordinary
#: words as well (무권대리 …).
PARTY_MARKERS = frozenset("갑을병")
#: Default of :attr:`Searcher.overlap_encoding` (measured: benchmarks/results/latency-main-job/).
OVERLAP_ENCODING = True


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
    """A list of :class:`Hit` plus what the caller should be told about the query."""

    def __init__(self, hits: Iterable[Hit] = (), *, query: str = "", notices: list[str] | None = None, citations: list[QueryCitation] | None = None):
        super().__init__(hits)
        self.query = query
        self.notices: list[str] = notices or []
        self.citations: list[QueryCitation] = citations or []

    @property
    def keys(self) -> list[str]:
        return [h.key for h in self]


def _precedent_fields(match, matched: str) -> dict:
    """One earlier decision behind a hit, as fields (the API and the page show these; ``reasons`` has them as
    lines): 사건번호, 선고일자, what matched the query — ``matched`` 'holding' (a 판시사항 item: its number and
    text) or 'facts' (the opening of the facts the court found) — and its similarity (1 = the best match)."""
    item = match.item
    return {"case_no": item.case_no, "decided": item.decided.isoformat(), "index": item.index or None,
            "text": item.text, "similarity": round(float(match.similarity), 4), "matched": matched}


# ---- retrievers --------------------------------------------------------------------------------------
@dataclass
class Query:
    """Per-query state handed to every retriever (filled once, read by all)."""

    text: str
    tokens: list[str]
    vector: np.ndarray | None = None  # the encoded query, when a dense retriever runs
    laws: list[str] | None = None
    mask: np.ndarray | None = None  # allowed rows (law / kind filters)
    before: Any = None  # memory leakage guard: only precedents decided before this date vote
    exclude: Any = None  # … and none of this case number
    notes: list[str] = field(default_factory=list)
    pending: Any = None  # the query's vector while a worker thread encodes it (see Searcher.overlap_encoding)
    memory: MemoryResult | None = None  # what the memory found for this query (its weight, explain lines)
    facts: MemoryResult | None = None  # what the facts memory found

    def votes(self) -> dict[str, dict[str, tuple[float, int]]]:
        """``{signal: {key: (vote share, supporting decisions)}}`` of the memories that ran (ranker features)."""
        return {name: vote_features(result) for name, result in (("memory", self.memory), ("facts", self.facts))
                if result is not None}


@runtime_checkable
class Retriever(Protocol):
    """One ranked list for a query: article BM25, article dense, precedent memory."""

    name: str

    def candidates(self, query: Query, n: int) -> list[tuple[str, float]]:
        """Up to ``n`` ``(article key, score)`` pairs, best first, honouring ``query.mask``."""
        ...


class BM25Retriever:
    name = "bm25"

    def __init__(self, data: IndexData, tokenizer: KiwiTokenizer):
        self.engine, self.tokenizer = data.bm25, tokenizer
        self.keys = data.row_keys

    def rows(self, tokens: list[str], k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, scores)`` best first (what benchmarks time without the key lookup)."""
        return self.engine.top(tokens, k, mask)

    def candidates(self, query: Query, n: int) -> list[tuple[str, float]]:
        rows, scores = self.rows(query.tokens, n, query.mask)
        return [(self.keys[r], s) for r, s in zip(rows.tolist(), scores.tolist())]


class DenseRetriever:
    """Article vectors; the query encoder is given, or loaded by ``load()`` on the first :meth:`encode`."""

    name = "dense"

    def __init__(self, data: IndexData, encoder: Any = None, *, load: Callable[[], Any] | None = None):
        self.index, self._encoder, self._load = data.dense, encoder, load
        self.keys = data.row_keys

    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            self._encoder = self._load()
        return self._encoder

    def encode(self, queries: Sequence[str]) -> np.ndarray:
        return self.encoder.encode_queries(list(queries), batch_size=64)

    def rows(self, query_vector: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.index.top(query_vector, k, mask)

    def candidates(self, query: Query, n: int) -> list[tuple[str, float]]:
        rows, scores = self.rows(query.vector, n, query.mask)
        return [(self.keys[r], s) for r, s in zip(rows.tolist(), scores.tolist())]


class IndexedMemory:
    """A precedent memory as a :class:`Retriever` over one index: its votes restricted to articles this
    index can return (live rows under the query's filters), its fusion weight adapted per query.
    ``name`` 'memory' (holdings) or 'facts' (the facts memory): the query attribute its result is kept in."""

    def __init__(self, retriever: MemoryRetriever, row_of_key: dict[str, int], weights: WeightConfig, name: str = "memory",
                 *, same_tokens: bool = False):
        self.retriever, self.row_of_key, self.weights, self.name = retriever, row_of_key, weights, name
        self.same_tokens = same_tokens  # the memory tokenizes like the searcher: reuse Query.tokens (Kiwi once)

    def candidates(self, query: Query, n: int) -> list[tuple[str, float]]:
        # the result stays with the query, not with this shared object: a server searches from many threads
        result = self.retriever.explain(query.text, n, laws=query.laws, before=query.before, exclude=query.exclude,
                                        tokens=query.tokens if self.same_tokens else None)
        setattr(query, self.name, result)
        out = []
        for key, score in result.ranking(n):
            row = self.row_of_key.get(key)  # a key the index no longer has (or deleted) never surfaces
            if row is not None and (query.mask is None or query.mask[row]):
                out.append((key, score))
        return out

    def weight(self, query: Query) -> float:
        result = getattr(query, self.name)
        return float(memory_weight(result, self.weights)) if result is not None else 0.0


class IndexedProfiles:
    """The holdings memory's article profiles (:mod:`legalret.memory.profiles`) over one index: a profile
    rank and score for each fused candidate, read by the learned re-ranker. Not a fused list: the hybrid's
    own order is unchanged, its candidates carry one more signal."""

    name = "profile"

    def __init__(self, profiles: ArticleProfiles, row_of_key: dict[str, int], *, same_tokens: bool = False):
        self.profiles, self.row_of_key, self.same_tokens = profiles, row_of_key, same_tokens
        self._rows: np.ndarray | None = None  # each profile's index row (−1: not in this index)
        self._column: dict[str, int] = {}  # a key's position in the profiles' scores

    def annotate(self, query: Query, items: Sequence[FusedItem]) -> None:
        """Set ``ranks['profile']`` / ``scores['profile']`` on the ``items`` the profiles rank among this
        index's live articles (under the query's filters) before :data:`ABSENT_RANK`."""
        profiles = self.profiles
        tokens = query.tokens if self.same_tokens else profiles.memory.tokenize(query.text)
        scores = profiles.scores(tokens, before=query.before, exclude=query.exclude)
        if self._rows is None:  # (server threads: the column map is in place before the rows say it is)
            self._column = {key: i for i, key in enumerate(profiles.keys)}
            self._rows = np.array([self.row_of_key.get(key, -1) for key in profiles.keys], dtype=np.int64)
        live = self._rows >= 0
        if query.mask is not None:
            live &= query.mask[np.maximum(self._rows, 0)]
        column = self._column
        listed = [(item, column[item.key]) for item in items if item.key in column]
        if not listed:
            return
        positions = np.array([i for _, i in listed], dtype=np.int64)
        places = profiles.ranks(scores, positions, live).tolist()
        for (item, i), place in zip(listed, places):
            if 0 < place < ABSENT_RANK:
                item.ranks[self.name], item.scores[self.name] = place, float(scores[i])


# ---- the searcher -----------------------------------------------------------------------------------
class Searcher:
    """Hybrid search over one on-disk index (see module docstring): the citation step, a list of
    :class:`Retriever` s (BM25, dense, precedent memory) and fusion.

    ``memory``: None = the generation's precedent memory, if it has one; False = never; or a
    :class:`~legalret.memory.store.PrecedentMemory` / :class:`~legalret.memory.retriever.MemoryRetriever`.
    ``facts``: the same for the facts memory (None = the generation's ``facts/`` part, if any).
    ``model`` / ``adapter`` / ``encoder``: must match the index's encoder (default: the one recorded in the
    manifest; its ONNX export when there is one, so no torch is imported). ``verify``: 'stamp' (default:
    checksums unless the verified stamp matches) | 'full' | 'size' | 'none'.
    """

    def __init__(
        self,
        index_dir: str | Path,
        *,
        memory: PrecedentMemory | MemoryRetriever | bool | None = None,
        facts: PrecedentMemory | MemoryRetriever | bool | None = None,
        model: str | None = None,
        adapter: str | Path | None = None,
        encoder: Any = None,
        precision: str = "auto",
        verify: str = "stamp",
        ranker: Ranker | str | Path | None = "auto",
    ):
        self.index_dir = Path(index_dir)
        self.data = load_index(self.index_dir, verify=verify)
        self.manifest = self.data.manifest
        fusion = self.manifest.get("fusion")
        # an index built by legalret.index.build_index without fusion settings: the defaults for its encoder
        index_adapter = (self.manifest.get("encoder") or {}).get("adapter")
        self.fusion = FusionSettings.from_dict(fusion) if fusion else default_fusion(
            index_adapter if index_adapter and Path(index_adapter).is_dir() else None)
        self.tokenizer = KiwiTokenizer(self.manifest["tokenizer"])
        self.bm25 = BM25Retriever(self.data, self.tokenizer)
        self._encoder_args = dict(model=model, adapter=adapter, encoder=encoder, precision=precision)
        if self.manifest.get("encoder") is None and (model or adapter or encoder):
            raise IndexError_(f"{self.index_dir}: this index has no dense vectors (built with --model none)")
        self._dense: DenseRetriever | None = None
        #: encode a single query in a worker thread while BM25 and the memories run (see search_batch)
        self.overlap_encoding = OVERLAP_ENCODING
        self._pool = None
        self.notices: list[str] = []  # load-time notes
        self.keys = self.data.row_keys
        self._row_of_key = {key: row for row, key in enumerate(self.keys)}
        self._memory = self._open_memory(memory)
        self._facts = self._open_memory(facts, FACTS_PART) if self._memory is not None else None  # facts beside a memory
        self._profiles = (IndexedProfiles(ArticleProfiles(self._memory.retriever.memory), self._row_of_key,
                                          same_tokens=self._memory.same_tokens) if self._memory is not None else None)
        self.ranker = self._open_ranker(ranker)

        # columns, not articles: a loaded store parses an article only when a hit shows it
        article_laws, article_kinds = self.data.column("laws"), self.data.column("kinds")
        self.law_names = LawNames(self.manifest.get("laws", {}).keys())
        self.laws: list[str] = list(self.manifest.get("laws", {}))
        self.kinds: list[str] = sorted({kind for kind in article_kinds if kind})
        law_ids = {law: i for i, law in enumerate(self.laws)}
        kind_ids = {kind: i for i, kind in enumerate(self.kinds)}
        self._row_law = np.array([law_ids.get(article_laws[i], -1) for i in self.data.rows], dtype=np.int32)
        self._row_kind = np.array([kind_ids.get(article_kinds[i], -1) for i in self.data.rows], dtype=np.int32)
        self._masks: dict[tuple, np.ndarray | None] = {}

    # ---- parts ---------------------------------------------------------------------------------
    @property
    def has_dense(self) -> bool:
        return self.data.dense is not None

    @property
    def dense(self) -> DenseRetriever:
        """The dense retriever; its query encoder is loaded on first use (the ONNX export when present)."""
        if self._dense is None:
            if not self.has_dense:
                raise IndexError_(f"{self.index_dir}: this index has no dense vectors (built with --model none); use mode='bm25'")
            self._dense = DenseRetriever(self.data, load=self._query_encoder)
        return self._dense

    def _query_encoder(self):
        return load_query_encoder(self.manifest["encoder"], where=self.index_dir, **self._encoder_args)

    @property
    def encoder(self):
        return self.dense.encoder if self.has_dense else None

    @property
    def memory(self) -> MemoryRetriever | None:
        """The precedent memory's retriever, or None."""
        return self._memory.retriever if self._memory is not None else None

    @property
    def facts(self) -> MemoryRetriever | None:
        """The facts memory's retriever, or None."""
        return self._facts.retriever if self._facts is not None else None

    def _open_memory(self, arg, part: str = MEMORY_PART) -> IndexedMemory | None:
        if arg is False:
            return None
        settings: dict = {}
        if isinstance(arg, MemoryRetriever):
            retriever = arg
        elif isinstance(arg, PrecedentMemory):
            retriever = MemoryRetriever(arg)
        elif arg is None or arg is True:
            section = self.manifest.get(part)
            if part not in self.data.parts or section is None:
                if part == FACTS_PART:
                    if arg is True:
                        raise IndexError_(f"{self.index_dir}: no facts memory in this index (build with --precedents and --facts)")
                    return None
                if (self.index_dir / LEGACY_MEMORY_DIR).is_dir():
                    raise IndexError_(
                        f"{self.index_dir / LEGACY_MEMORY_DIR}: precedent memory in the old layout (beside the generations); "
                        f"run `legalret index add --index {self.index_dir}` to move it into the index, or rebuild with --precedents"
                    )
                if arg is True:
                    raise IndexError_(f"{self.index_dir}: no precedent memory in this index (build with --precedents)")
                return None
            path = self.data.path / part
            with reading(path):
                memory = PrecedentMemory.load(path, tokenizer=self.tokenizer)
            if memory.has_dense:  # dense memory: the index's encoder embeds the query, loaded on first use
                memory.encode_lazily(lambda: self.dense.encoder)
            settings = memory.settings
            retriever = MemoryRetriever(memory, VoteConfig(**settings.get("votes", {})))
        else:
            raise TypeError(f"memory must be None, False, a PrecedentMemory or a MemoryRetriever, not {type(arg).__name__}")
        same = retriever.memory.tokenizer is self.tokenizer  # loaded here with the searcher's tokenizer
        return IndexedMemory(retriever, self._row_of_key, WeightConfig(**settings.get("weights", {})), part, same_tokens=same)

    def _open_ranker(self, arg) -> Ranker | None:
        """The learned re-ranker for ``hybrid``: only on an index that has every list its features read
        (``auto``: ``LEGALRET_RANKER`` or the shipped one; None: none)."""
        if arg is None or not (self.has_dense and self._memory is not None):
            return None
        if isinstance(arg, Ranker):
            return arg
        if arg == "auto":
            from legalret.config import default_ranker

            arg = default_ranker()
            if arg is None:
                return None
        return Ranker.load(arg)

    def retrievers(self, mode: str) -> list[Retriever]:
        """The retrievers a mode fuses, in order."""
        fused_modes = ("hybrid", "convex", "rrf")
        out: list[Retriever] = []
        if mode in (*fused_modes, "bm25"):
            out.append(self.bm25)
        if mode in (*fused_modes, "dense") and (self.has_dense or mode == "dense"):
            out.append(self.dense)
        if mode == "memory" or (mode in fused_modes and self._memory is not None):
            if self._memory is None:
                raise LegalretError(f"{self.index_dir}: no precedent memory in this index (build with --precedents)")
            out.append(self._memory)
            if mode in fused_modes and self._facts is not None:
                out.append(self._facts)
        return out

    def resolve_mode(self, mode: str) -> str:
        """The mode a caller's request runs as: on an index with BM25 alone (no vectors, no memory) the fused
        modes are plain BM25; BM25 + a memory still fuses."""
        return "bm25" if mode in ("hybrid", "convex", "rrf") and not self.has_dense and self._memory is None else mode

    def warmup(self) -> Searcher:
        """Load the encoder now and run one query through everything (for timing)."""
        self.search("민법 손해배상", k=1, mode="hybrid" if self.has_dense else "bm25")
        return self

    # ---- filters -------------------------------------------------------------------------------
    def resolve_laws(self, laws: Iterable[str] | str | None) -> list[str] | None:
        """Canonical law names for a filter; an unknown name is a one-line error with suggestions."""
        if laws is None:
            return None
        if isinstance(laws, str):
            laws = [s for s in laws.split(",")]
        out = []
        for name in laws:
            name = name.strip()
            if not name:
                continue
            law = self.law_names.resolve(name)
            if law is None:
                close = difflib.get_close_matches(name, self.laws, n=3, cutoff=0.5)
                hint = f" (did you mean {', '.join(close)}?)" if close else f" (the index has {len(self.laws)} laws; see `legalret index info`)"
                raise LegalretError(f"unknown law filter {name!r}: not in this index{hint}")
            out.append(law)
        return out or None

    def resolve_kinds(self, kinds: Iterable[str] | str | None) -> list[str] | None:
        if kinds is None:
            return None
        if isinstance(kinds, str):
            kinds = kinds.split(",")
        out = [k.strip() for k in kinds if k.strip()]
        unknown = [k for k in out if k not in self.kinds]
        if unknown:
            raise LegalretError(f"unknown kind filter {unknown[0]!r}: this index has {', '.join(self.kinds) or 'no kinds'}")
        return out or None

    def _mask(self, laws: list[str] | None, kinds: list[str] | None) -> np.ndarray | None:
        key = (tuple(laws or ()), tuple(kinds or ()))
        if key not in self._masks:
            mask = None
            if laws:
                ids = [self.laws.index(law) for law in laws]
                mask = np.isin(self._row_law, ids)
            if kinds:
                kmask = np.isin(self._row_kind, [self.kinds.index(k) for k in kinds])
                mask = kmask if mask is None else mask & kmask
            self._masks[key] = mask
        return self._masks[key]

    # ---- search --------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 10,
        mode: str = "hybrid",
        laws: Iterable[str] | str | None = None,
        kinds: Iterable[str] | str | None = None,
        explain: bool = False,
        *,
        citations: bool = True,
        before: Any = None,
        exclude: Any = None,
    ) -> SearchResults:
        """Top-``k`` hits for ``query``; exact citations in it come first (``citations=False`` turns that off).

        ``before`` (a date) and ``exclude`` (a 사건번호) restrict which precedents may vote in the memory:
        evaluation on a precedent's own holding passes its decision date and case number, so that nothing
        from its future or from the decision itself leaks into the ranking."""
        return self.search_batch(
            [query], k, mode, laws, kinds, explain, citations=citations, before=[before], exclude=[exclude]
        )[0]

    def search_batch(
        self,
        queries: Sequence[str],
        k: int = 10,
        mode: str = "hybrid",
        laws: Iterable[str] | str | None = None,
        kinds: Iterable[str] | str | None = None,
        explain: bool = False,
        *,
        citations: bool = True,
        before: Any = None,
        exclude: Any = None,
    ) -> list[SearchResults]:
        """``search`` for many queries; dense queries are encoded in one batch. ``before``/``exclude`` are one
        value for all queries or a list with one per query (see :meth:`search`)."""
        if mode not in MODES:
            raise LegalretError(f"unknown search mode {mode!r} (choose from {', '.join(MODES)})")
        if k < 1:
            raise LegalretError(f"k must be at least 1, got {k}")
        law_filter, kind_filter = self.resolve_laws(laws), self.resolve_kinds(kinds)
        mask = self._mask(law_filter, kind_filter)
        befores = before if isinstance(before, (list, tuple)) else [before] * len(queries)
        excludes = exclude if isinstance(exclude, (list, tuple)) else [exclude] * len(queries)
        if len(befores) != len(queries) or len(excludes) != len(queries):
            raise LegalretError("before/exclude lists must have one value per query")
        default_law = law_filter[0] if law_filter and len(law_filter) == 1 else None
        prepared = []
        for text, b, e in zip(queries, befores, excludes):
            q = self._prepare(text)
            q.laws, q.mask, q.before, q.exclude = law_filter, mask, b, e
            cites = find_citations(q.text, self.law_names, default_law) if citations else []
            if citations:
                q.notes.extend(unresolved_citations(q.text, self.law_names, default_law))
            prepared.append((q, cites, self._needs_retrieval(q, cites)))
            if prepared[-1][2]:  # words to search for: say when none (or few) of them occur in any article
                q.notes.extend(coverage_notes(q.tokens, self.bm25.engine.vocab))
        retrievers = self.retrievers(mode)
        dense_queries = [q for q, _, needed in prepared if needed]
        if dense_queries and any(r is self._dense for r in retrievers):
            if len(dense_queries) == 1 and self.overlap_encoding and len(retrievers) > 1:
                # one query: encode it in a worker thread (ONNX Runtime releases the GIL) while the sparse
                # retrievers run here; _search_one waits for the vector just before the dense retriever
                self.dense.encoder  # noqa: B018 — loaded here, once, not in a worker thread
                dense_queries[0].pending = self._encoding_pool().submit(self.dense.encode, [dense_queries[0].text])
            else:
                for q, vec in zip(dense_queries, self.dense.encode([q.text for q in dense_queries])):
                    q.vector = vec
        return [self._search_one(q, cites, needed, k, mode, retrievers, explain) for q, cites, needed in prepared]

    def _encoding_pool(self):
        if self._pool is None:
            import os
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="legalret-encode")
        return self._pool

    def _prepare(self, query: str) -> Query:
        if not isinstance(query, str):
            raise LegalretError(f"query must be text, not {type(query).__name__}")
        # Lone surrogates (from broken clients or fuzzers) cannot be encoded for Kiwi: replace them.
        q = normalize(query.encode("utf-8", "replace").decode("utf-8"))
        if not q:
            raise LegalretError("empty query: type some words or an article citation such as '민법 제750조'")
        notes = []
        if len(q) > MAX_QUERY_CHARS:
            notes.append(query_cut_note(len(q)))
            q = q[:MAX_QUERY_CHARS]
        return Query(q, self.query_tokens(q), notes=notes)

    def query_tokens(self, text: str) -> list[str]:
        """The words BM25, the memories and the article profiles search for: the tokenizer's, without party
        names (:data:`PARTY_MARKERS`)."""
        return [t for t in self.tokenizer.tokenize(text) if t not in PARTY_MARKERS]

    def _needs_retrieval(self, q: Query, cites: list[QueryCitation]) -> bool:
        """False for a query with nothing to search for beyond its citations (then no retriever runs and
        no encoder is loaded), or with no indexable content at all (then it gets a notice, no hits)."""
        if not cites:
            if not q.tokens:
                q.notes.append("the query has no searchable words (only punctuation, symbols or particles); "
                               "type some words or an article citation such as '민법 제750조'")
                return False
            return True
        rest = q.text
        for c in sorted(cites, key=lambda c: c.start, reverse=True):
            rest = rest[: c.start] + " " + rest[c.end :]
        return bool(self.query_tokens(rest))

    def _search_one(self, q: Query, cites: list[QueryCitation], needed: bool, k: int, mode: str,
                    retrievers: list[Retriever], explain: bool) -> SearchResults:
        learned = mode == "hybrid" and self.ranker is not None
        n = max(self.fusion.candidates, k, self.ranker.depth if learned else 0)
        lists: dict[str, list[tuple[str, float]]] = {}
        weights = dict(self.fusion.weights)
        memory_note = None
        if needed:
            found = {r.name: r.candidates(q, n) for r in retrievers if r is not self._dense}
            if self._dense is not None and any(r is self._dense for r in retrievers):
                if q.pending is not None:
                    q.vector, q.pending = q.pending.result()[0], None
                found[self._dense.name] = self._dense.candidates(q, n)
            lists = {r.name: found[r.name] for r in retrievers}  # in the retrievers' order (fusion adds in it)
            if self._memory is not None and "memory" in lists and mode != "memory":
                w_mem = self._memory.weight(q)
                w_facts = self._facts.weight(q) if "facts" in lists else 0.0
                # the memories share one channel: its weight is the stronger gate, split by the two gates
                channel = max(w_mem, w_facts)
                weights = {name: w * (1.0 - channel) for name, w in weights.items()}
                weights["memory"] = channel * (w_mem / (w_mem + w_facts) if w_mem + w_facts > 0 else 1.0)
                memory_note = f"memory weight {weights['memory']:.2f}"
                if "facts" in lists:
                    weights["facts"] = channel - weights["memory"]
                    memory_note += f", facts weight {weights['facts']:.2f}"
        cited_keys = {c.key for c in cites}
        votes = q.votes()
        learned_reasons: dict[str, str] = {}
        if mode in ("hybrid", "convex"):
            fused = fuse(lists, self.fusion, weights, n)
            if self._profiles is not None and "memory" in lists:  # a re-ranker feature (and what it trains on)
                self._profiles.annotate(q, fused)
            if learned and fused:  # (a learned searcher has all three lists; none when nothing was searched)
                fused, learned_reasons = self._rerank(q.text, [item for item in fused if item.key not in cited_keys],
                                                      k if explain else 0, votes)
        elif mode == "rrf":
            fused = rrf_fusion(lists, weights, n, self.fusion.rrf_k)
        else:  # one retriever: its own scores
            fused = convex_fusion(lists, None, n)
            for item in fused:
                item.score = item.scores[mode]

        hits: list[Hit] = []
        notes = q.notes
        top = fused[0].score if fused else 0.0
        seen: set[str] = set()
        for c in cites:
            if c.key in seen:
                continue
            seen.add(c.key)
            pos = self.data.by_key.get(c.key)
            if pos is None:
                notes.append(f"cited article {c.key} ({c.raw}) is not in this index")
                continue
            art = self.data.articles[pos]
            reason = f"exact citation '{c.raw}'"
            if art.deleted:
                notes.append(f"cited article {c.key} is deleted (삭제)")
                reason += " — article deleted (삭제)"
            hits.append(Hit(c.key, top + 1.0, art, {"citation": len(hits) + 1}, {}, [reason]))
        cited = {h.key for h in hits}
        for item in fused:
            if len(hits) >= k:
                break
            if item.key in cited:
                continue
            hits.append(self._hit(item, list(lists), k, explain, votes))
        if explain and memory_note and hits:
            hits[0].reasons.append(memory_note)
        if explain and learned_reasons:
            for hit in hits:
                if hit.key in learned_reasons:
                    hit.reasons.append(learned_reasons[hit.key])
        if explain and "memory" in lists and q.memory is not None:
            for hit in hits:  # users want to see which earlier decisions brought an article up
                hit.reasons.extend(q.memory.explain_lines(hit.key))
                hit.precedents.extend(_precedent_fields(m, "holding") for m in q.memory.support_for(hit.key)[:3])
        if explain and "facts" in lists and q.facts is not None:
            for hit in hits:  # … and whose facts resembled the question
                hit.reasons.extend("facts: " + line for line in q.facts.explain_lines(hit.key, limit=2))
                hit.precedents.extend(_precedent_fields(m, "facts") for m in q.facts.support_for(hit.key)[:2])
        return SearchResults(hits[:k], query=q.text, notices=notes, citations=cites)

    def _rerank(self, query: str, fused: list[FusedItem], explained: int,
                votes: dict | None = None) -> tuple[list[FusedItem], dict[str, str]]:
        """The fused candidates ordered by the learned re-ranker, and for the first ``explained`` of them
        their largest feature contributions. The features are read from the fused items' ranks and scores
        (and the memories' vote shares and support), exactly as the re-ranker was trained on a search's hits."""
        candidates = fused[: self.ranker.depth]
        _, x = candidate_features(query, candidates, votes=votes)
        scores = self.ranker.scores(x)
        order = np.argsort(-scores, kind="stable").tolist()
        values = scores.tolist()  # (Python floats, as float(scores[j]) gives, without a numpy scalar each)
        for j in order:
            candidates[j].score = values[j]
        reasons: dict[str, str] = {}
        if explained:  # only what explain shows: not on every query's hot path
            contributions = self.ranker.contributions(x[order[:explained]])
            for row, j in zip(contributions, order):
                top = np.argsort(-np.abs(row))[:4].tolist()
                reasons[candidates[j].key] = "learned fusion: " + ", ".join(
                    f"{self.ranker.features[f]} {row[f]:+.2f}" for f in top)
                facts = [f for f, name in enumerate(self.ranker.features) if name.startswith("facts_")]
                if facts:  # the facts memory's part, always shown (the new signal)
                    reasons[candidates[j].key] += f"; facts features {row[facts].sum():+.2f} (" + ", ".join(
                        f"{self.ranker.features[f]} {row[f]:+.2f}" for f in facts if abs(row[f]) >= 0.005) + ")"
        return [candidates[j] for j in order], reasons

    def _hit(self, item: FusedItem, names: list[str], k: int, explain: bool, votes: dict | None = None) -> Hit:
        article = self.data.articles[self.data.by_key[item.key]]
        reasons = []
        if explain:
            for name in names:
                if name in item.ranks:
                    part = f", contributes {item.parts[name]:.3f}" if len(names) > 1 else ""
                    reasons.append(f"{name}: rank {item.ranks[name]}, score {item.scores[name]:.4f}{part}")
                else:
                    reasons.append(f"{name}: not in its top {max(self.fusion.candidates, k)}")
            if IndexedProfiles.name in item.ranks:  # not a fused list: what the re-ranker read
                reasons.append(f"article profile: rank {item.ranks[IndexedProfiles.name]} of the articles the earlier "
                               f"holdings cite, score {item.scores[IndexedProfiles.name]:.2f}")
        mine = {name: v[item.key] for name, v in (votes or {}).items() if item.key in v}
        return Hit(item.key, float(item.score), article, dict(item.ranks), dict(item.scores), reasons, mine)

    # ---- info ----------------------------------------------------------------------------------
    def article(self, key: str) -> Article | None:
        pos = self.data.by_key.get(normalize(key))
        return None if pos is None else self.data.articles[pos]

    def __len__(self) -> int:
        return len(self.data.articles)
