"""The searcher: exact citations first, then BM25, dense and (when present) precedent memory, fused.

Usage::

    from legalret.search.searcher import Searcher

    s = Searcher("index/")                      # loads the index once; the encoder on the first dense query
    for hit in s.search("유치권 간접점유", k=10):
        print(hit.key, hit.score, hit.article.title)
    s.search("민법 750조 1항")[0].key            # '민법 제750조' — an exact citation is ranked first
    s.search("임대차", laws=["민법"], kinds=["법률"], mode="bm25", explain=True)[0].reasons
    s.search_batch(["…", "…"], k=10, mode="dense")   # queries encoded in one batch

Modes: ``hybrid`` (the index's fusion settings: convex combination of min–max normalized scores, or RRF),
``rrf`` (reciprocal-rank fusion), ``bm25``, ``dense``, ``memory`` (precedent memory alone, if built).
``search`` returns a :class:`SearchResults` — a list of :class:`Hit` with ``.notices`` (truncated query,
cited article missing or deleted) and ``.citations``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from legalret.articles import Article
from legalret.errors import IndexError_, LegalretError
from legalret.index.build import load_index_encoder
from legalret.index.store import MEMORY_DIR, IndexData, load_index
from legalret.index.tokenize import KiwiTokenizer
from legalret.keys import LawNames
from legalret.search.citations import QueryCitation, find_citations
from legalret.search.fusion import FusionSettings, FusedItem, convex_fusion, fuse, rrf_fusion
from legalret.text import normalize

#: Queries longer than this (characters) are cut, with a notice: the encoder would truncate anyway,
#: and very long texts only slow BM25 down.
MAX_QUERY_CHARS = 1000
MODES = ("hybrid", "rrf", "bm25", "dense", "memory")


@dataclass
class Hit:
    key: str
    score: float
    article: Article
    ranks: dict[str, int] = field(default_factory=dict)  # 1-based rank per retriever ('citation' for exact ones)
    scores: dict[str, float] = field(default_factory=dict)  # raw score per retriever
    reasons: list[str] = field(default_factory=list)

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


# ---- retrievers (the protocol: search(query, k) -> [(key, score)], search_batch(queries, k)) ---------
class BM25Retriever:
    name = "bm25"

    def __init__(self, data: IndexData, tokenizer: KiwiTokenizer):
        self.engine, self.tokenizer = data.bm25, tokenizer
        self.keys = data.row_keys

    def rows(self, tokens: list[str], k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.engine.top(tokens, k, mask)

    def search(self, query: str, k: int = 10) -> list[tuple[str, float]]:
        rows, scores = self.rows(self.tokenizer.tokenize(query), k)
        return [(self.keys[r], float(s)) for r, s in zip(rows.tolist(), scores.tolist())]

    def search_batch(self, queries: Sequence[str], k: int = 10) -> list[list[tuple[str, float]]]:
        return [self.search(q, k) for q in queries]


class DenseRetriever:
    name = "dense"

    def __init__(self, data: IndexData, encoder: Any):
        self.index, self.encoder = data.dense, encoder
        self.keys = data.row_keys

    def encode(self, queries: Sequence[str]) -> np.ndarray:
        return self.encoder.encode_queries(list(queries), batch_size=64)

    def rows(self, query_vector: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.index.top(query_vector, k, mask)

    def search(self, query: str, k: int = 10) -> list[tuple[str, float]]:
        return self.search_batch([query], k)[0]

    def search_batch(self, queries: Sequence[str], k: int = 10) -> list[list[tuple[str, float]]]:
        out = []
        for vec in self.encode(queries):
            rows, scores = self.rows(vec, k)
            out.append([(self.keys[r], float(s)) for r, s in zip(rows.tolist(), scores.tolist())])
        return out


# ---- the searcher -----------------------------------------------------------------------------------
class Searcher:
    """Hybrid search over one on-disk index (see module docstring).

    ``memory``: None = load ``<index>/memory`` if it exists; False = never; or a ``PrecedentMemory`` /
    ``MemoryRetriever`` / directory. ``model`` / ``adapter`` / ``encoder``: must match the index's encoder
    (default: the one recorded in the manifest). ``verify``: 'full' | 'size' | 'none' file checks at load.
    """

    def __init__(
        self,
        index_dir: str | Path,
        *,
        memory: Any = None,
        model: str | None = None,
        adapter: str | Path | None = None,
        encoder: Any = None,
        precision: str = "auto",
        verify: str = "size",
    ):
        self.index_dir = Path(index_dir)
        self.data = load_index(self.index_dir, verify=verify)
        self.manifest = self.data.manifest
        self.fusion = FusionSettings.from_dict(self.manifest.get("fusion"))
        self.tokenizer = KiwiTokenizer(self.manifest["tokenizer"])
        self.bm25 = BM25Retriever(self.data, self.tokenizer)
        self._encoder_args = dict(model=model, adapter=adapter, encoder=encoder, precision=precision)
        if self.manifest.get("encoder") is None and (model or adapter or encoder):
            raise IndexError_(f"{self.index_dir}: this index has no dense vectors (built with --model none)")
        self._dense: DenseRetriever | None = None
        self._memory_arg = memory
        self._memory: Any = None
        self._memory_loaded = False
        self.notices: list[str] = []  # load-time notes (e.g. a memory that could not be loaded)

        self.keys = self.data.row_keys
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

    # ---- lazily loaded parts -------------------------------------------------------------------
    @property
    def has_dense(self) -> bool:
        return self.data.dense is not None

    @property
    def dense(self) -> DenseRetriever:
        if self._dense is None:
            if not self.has_dense:
                raise IndexError_(f"{self.index_dir}: this index has no dense vectors (built with --model none); use mode='bm25'")
            enc = load_index_encoder(self.manifest["encoder"], where=self.index_dir, **self._encoder_args)
            self._dense = DenseRetriever(self.data, enc)
        return self._dense

    @property
    def encoder(self):
        return self.dense.encoder if self.has_dense else None

    @property
    def memory(self):
        """The ``MemoryRetriever`` over ``<index>/memory`` (or the one given), or None."""
        if not self._memory_loaded:
            self._memory_loaded = True
            self._memory = self._load_memory(self._memory_arg)
        return self._memory

    def _load_memory(self, arg: Any):
        if arg is False:
            return None
        if arg is not None and hasattr(arg, "explain"):
            return arg  # a MemoryRetriever
        path = Path(arg) if isinstance(arg, (str, Path)) else self.index_dir / MEMORY_DIR
        if arg is None and not path.is_dir():
            return None
        from legalret.memory.retriever import MemoryRetriever
        from legalret.memory.store import PrecedentMemory

        if arg is not None and not isinstance(arg, (str, Path)):
            return MemoryRetriever(arg)  # a PrecedentMemory
        encoder = self.dense.encoder if self.has_dense else None
        try:
            return MemoryRetriever(PrecedentMemory.load(path, encoder=encoder, tokenizer=self.tokenizer))
        except (LegalretError, OSError, ValueError) as e:
            if arg is not None:
                raise
            self.notices.append(f"precedent memory at {path} not used: {e}")
            return None

    def warmup(self) -> "Searcher":
        """Load the encoder and memory now and run one query through everything (for timing)."""
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
        prepared = [self._prepare(q) for q in queries]
        uses_dense = mode in ("hybrid", "rrf", "dense") and (self.has_dense or mode == "dense")
        vectors = self.dense.encode([q for q, _ in prepared]) if uses_dense and prepared else None
        befores = before if isinstance(before, (list, tuple)) else [before] * len(prepared)
        excludes = exclude if isinstance(exclude, (list, tuple)) else [exclude] * len(prepared)
        if len(befores) != len(prepared) or len(excludes) != len(prepared):
            raise LegalretError("before/exclude lists must have one value per query")
        return [
            self._search_one(
                q, notes, k, mode, law_filter, mask, explain, citations,
                None if vectors is None else vectors[i], befores[i], excludes[i],
            )
            for i, (q, notes) in enumerate(prepared)
        ]

    def _prepare(self, query: str) -> tuple[str, list[str]]:
        if not isinstance(query, str):
            raise LegalretError(f"query must be text, not {type(query).__name__}")
        q = normalize(query)
        if not q:
            raise LegalretError("empty query: type some words or an article citation such as '민법 제750조'")
        notes = []
        if len(q) > MAX_QUERY_CHARS:
            notes.append(f"query truncated to its first {MAX_QUERY_CHARS} of {len(q)} characters")
            q = q[:MAX_QUERY_CHARS]
        return q, notes

    def _search_one(self, q, notes, k, mode, laws, mask, explain, use_citations, qvec, before, exclude) -> SearchResults:
        n = max(self.fusion.candidates, k)
        lists: dict[str, list[tuple[str, float]]] = {}
        weights = dict(self.fusion.weights)
        keys = self.keys
        if mode in ("hybrid", "rrf", "bm25"):
            rows, scores = self.bm25.rows(self.tokenizer.tokenize(q), n, mask)
            lists["bm25"] = [(keys[r], s) for r, s in zip(rows.tolist(), scores.tolist())]
        if qvec is not None:
            rows, scores = self.dense.rows(qvec, n, mask)
            lists["dense"] = [(keys[r], s) for r, s in zip(rows.tolist(), scores.tolist())]
        memory_note, memory_result = None, None
        if mode == "memory" or (mode in ("hybrid", "rrf") and self.memory is not None):
            if self.memory is None:
                raise LegalretError(f"{self.index_dir}: no precedent memory in this index (build with --precedents)")
            from legalret.memory.retriever import memory_weight

            result = memory_result = self.memory.explain(q, n, laws=laws, before=before, exclude=exclude)
            ranking = result.ranking(n)
            if mask is not None:  # kinds filter: keep only keys that are searchable under the mask
                allowed = {keys[r] for r in np.flatnonzero(mask).tolist()}
                ranking = [(key, s) for key, s in ranking if key in allowed]
            lists["memory"] = ranking
            if mode != "memory":
                w_mem = float(memory_weight(result))
                weights = {name: w * (1.0 - w_mem) for name, w in weights.items()}
                weights["memory"] = w_mem
                memory_note = f"memory weight {w_mem:.2f}"

        if mode == "hybrid":
            fused = fuse(lists, self.fusion, weights, n)
        elif mode == "rrf":
            fused = rrf_fusion(lists, weights, n, self.fusion.rrf_k)
        else:  # one retriever: its own scores
            fused = convex_fusion(lists, None, n)
            for item in fused:
                item.score = item.scores[mode]

        hits: list[Hit] = []
        cites: list[QueryCitation] = []
        if use_citations:
            default_law = laws[0] if laws and len(laws) == 1 else None
            cites = find_citations(q, self.law_names, default_law)
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
            hits.append(self._hit(item, list(lists), k, explain))
        if explain and memory_note and hits:
            hits[0].reasons.append(memory_note)
        if explain and memory_result is not None:
            for hit in hits:  # users want to see which earlier decisions brought an article up
                hit.reasons.extend(memory_result.explain_lines(hit.key))
        return SearchResults(hits[:k], query=q, notices=notes, citations=cites)

    def _hit(self, item: FusedItem, names: list[str], k: int, explain: bool) -> Hit:
        article = self.data.articles[self.data.by_key[item.key]]
        reasons = []
        if explain:
            for name in names:
                if name in item.ranks:
                    part = f", contributes {item.parts[name]:.3f}" if len(names) > 1 else ""
                    reasons.append(f"{name}: rank {item.ranks[name]}, score {item.scores[name]:.4f}{part}")
                else:
                    reasons.append(f"{name}: not in its top {max(self.fusion.candidates, k)}")
        return Hit(item.key, float(item.score), article, dict(item.ranks), dict(item.scores), reasons)

    # ---- info ----------------------------------------------------------------------------------
    def article(self, key: str) -> Article | None:
        pos = self.data.by_key.get(normalize(key))
        return None if pos is None else self.data.articles[pos]

    def __len__(self) -> int:
        return len(self.data.articles)
