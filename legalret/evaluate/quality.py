"""Retrieval quality of a searcher on a query file: overall, per law, per mode, with bootstrap intervals.

A query file is JSONL, one query per line (any file in this format works, not only ``legalret pairs``'s)::

    {"qid": "2021다12345-1", "query": "간접점유자의 반환청구권 …", "gold": ["민법 제194조", "민법 제207조"]}

Gold keys are normalized with :func:`gold_key` (``<법령명> 제N조[의M]``, or a citation of one: ``민법 750조``,
``형법 제250조 제1항`` → ``형법 제250조``, the part kept in ``extra["gold_parts"]``); a line that is not valid JSON,
lacks a query or has a key that names no article is reported (file, line, field) and skipped — the
other lines are still evaluated. A query with an empty gold list is kept, counted and left out of the means.

Gold keys that are not in the index are **counted and listed** in the report (``missing_gold``), and by
default they stay in the gold set — a retriever cannot find them, and the numbers say so. Pass
``gold_filter="indexed"`` to score only the reachable keys instead (the report records that choice).

A query belongs to the group of **each law** among its gold keys: a query citing 민법 and 상법 counts in
both per-law groups (with its full-gold metrics).

Usage::

    from legalret.evaluate.quality import evaluate, load_queries
    from legalret.search.searcher import Searcher

    queries = load_queries("out/pairs/dev_queries.jsonl", limit=500, seed=0)
    report = evaluate(Searcher("index/"), queries, modes=("bm25", "dense", "hybrid"))
    report.mean("bm25", "recall@10")            # or report.modes["bm25"].overall.metrics["recall@10"].mean
    report.to_dict()                             # the JSON record (legalret.evaluate.report.write_quality_report)

Any object with ``search_batch(queries, k, mode)`` (or ``search(query, k, mode)``) returning hits with
``.key`` and ``.score`` (or ``(key, score)`` pairs) can be evaluated; a mapping ``{name: retriever}`` of
objects following the retriever protocol ``search_batch(queries, k)`` is evaluated one name per mode.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from legalret.errors import LegalretError, SourceError
from legalret.evaluate.breakdown import STYLE_ORDER, ordered_groups
from legalret.evaluate.leakage import (
    LeakagePlan,
    parse_date,
    plan_leakage,
    voting_modes,
)
from legalret.evaluate.metrics import (
    DEFAULT_F2_K,
    DEFAULT_KS,
    DEFAULT_RANK_K,
    aggregate,
    metric_names,
    order_hits,
    paired_bootstrap_diff,
    query_metrics,
)
from legalret.keys import ArticleRef, format_key, law_aliases, law_of, parse_key
from legalret.progress import track
from legalret.text import normalize

SCHEMA = "legalret.bench.quality/1"
#: How many missing gold keys the report lists by name (all are counted).
MAX_LISTED_MISSING = 200


@dataclass
class EvalQuery:
    """One evaluation question: its id, text, gold article keys, source line and extra fields (date, case_no, style …)."""

    qid: str
    query: str
    gold: list[str]
    line: int | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class QuerySet:
    """Queries read from ``path``, plus the lines that could not be read (``errors``); ``splits``: how many
    readable lines carry each ``"split"`` value (``None`` for lines without one), before any ``split``/``limit``."""

    queries: list[EvalQuery]
    path: str = ""
    errors: list[SourceError] = field(default_factory=list)
    total_lines: int = 0
    splits: dict[str | None, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.queries)

    def __iter__(self):
        return iter(self.queries)


# ---- the report -------------------------------------------------------------------------------------
# Typed records of what evaluate() returns. ``to_dict()`` gives the JSON written to benchmarks/results (the
# same layout as before these types existed); ``from_dict()`` reads such a file back, older ones included.
# Keys a record does not know (``run_quality.py``'s "build"/"machine", a CLI's "index"/"limit" settings, fields
# of older files) are kept in ``extra`` and written back after the known ones, so a file round-trips unchanged.
def _split(d: Mapping[str, Any], known: Iterable[str]) -> tuple[dict, dict]:
    known = set(known)
    return {k: v for k, v in d.items() if k in known}, {k: v for k, v in d.items() if k not in known}


@dataclass
class Interval:
    """A mean with its bootstrap interval; comparisons add ``p_not_better`` (share of resamples ≤ 0)."""

    mean: float
    ci_low: float
    ci_high: float
    p_not_better: float | None = None

    def to_dict(self) -> dict[str, float]:
        d = {"mean": self.mean, "ci_low": self.ci_low, "ci_high": self.ci_high}
        return d if self.p_not_better is None else d | {"p_not_better": self.p_not_better}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Interval":
        return cls(d["mean"], d["ci_low"], d["ci_high"], d.get("p_not_better"))


@dataclass
class Aggregate:
    """Metrics over a group of queries (:func:`legalret.evaluate.metrics.aggregate`): ``queries`` in the group,
    ``evaluated`` (with gold; the means are over these), ``empty_gold``, one :class:`Interval` per metric, and
    the bootstrap that made the intervals (absent when no query had gold)."""

    queries: int
    evaluated: int
    empty_gold: int
    metrics: dict[str, Interval] = field(default_factory=dict)
    confidence: float | None = None
    n_resamples: int | None = None
    seed: int | None = None

    def mean(self, metric: str) -> float | None:
        m = self.metrics.get(metric)
        return m.mean if m else None

    def to_dict(self) -> dict[str, Any]:
        d = {"queries": self.queries, "evaluated": self.evaluated, "empty_gold": self.empty_gold,
             "metrics": {n: m.to_dict() for n, m in self.metrics.items()}}
        bootstrap = {"confidence": self.confidence, "n_resamples": self.n_resamples, "seed": self.seed}
        return d | {k: v for k, v in bootstrap.items() if v is not None}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Aggregate":
        return cls(d["queries"], d["evaluated"], d["empty_gold"],
                   {n: Interval.from_dict(m) for n, m in (d.get("metrics") or {}).items()},
                   d.get("confidence"), d.get("n_resamples"), d.get("seed"))


@dataclass
class ModeResult:
    """One mode (or named retriever): overall, per law (most queries first), per question style (where the
    query lines carry ``style``: short, scenario, keyword, holding — one number over a mixed file hides which
    style fails), and its search time."""

    overall: Aggregate
    per_law: dict[str, Aggregate] = field(default_factory=dict)
    seconds: float = 0.0
    queries_per_second: float | None = None
    per_style: dict[str, Aggregate] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        styles = {"per_style": {style: a.to_dict() for style, a in self.per_style.items()}} if self.per_style else {}
        return {"overall": self.overall.to_dict(), "per_law": {law: a.to_dict() for law, a in self.per_law.items()},
                **styles,  # only where the queries have styles: files written before it read back unchanged
                "seconds": self.seconds, "queries_per_second": self.queries_per_second}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ModeResult":
        return cls(Aggregate.from_dict(d["overall"]), {law: Aggregate.from_dict(a) for law, a in d.get("per_law", {}).items()},
                   d.get("seconds", 0.0), d.get("queries_per_second"),
                   {style: Aggregate.from_dict(a) for style, a in d.get("per_style", {}).items()})


@dataclass
class QualitySettings:
    """How the evaluation ran. ``leakage`` is :meth:`LeakagePlan.to_dict` (absent from files written before the
    leakage guard); ``extra``: what the caller records about the run (index, adapter, corpus, command, …)."""

    modes: list[str]
    ks: list[int]
    rank_k: int
    f2_k: int
    depth: int
    ties: str
    gold_filter: str
    n_resamples: int
    confidence: float
    seed: int
    metrics: list[str]
    query_vectors_shared: bool = False  # later dense-using modes reuse the first one's query vectors
    leakage: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    _FIELDS = ("modes", "ks", "rank_k", "f2_k", "depth", "ties", "gold_filter", "n_resamples", "confidence", "seed",
               "metrics", "query_vectors_shared")

    @property
    def leakage_label(self) -> str | None:
        """The warning every output of a run that let the memory leak carries (None for an honest run)."""
        return (self.leakage or {}).get("label")

    def to_dict(self) -> dict[str, Any]:
        d = {name: getattr(self, name) for name in self._FIELDS}
        if self.leakage is not None:
            d["leakage"] = self.leakage
        return d | self.extra

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "QualitySettings":
        known, extra = _split(d, (*cls._FIELDS, "leakage"))
        return cls(**known, extra=extra)


@dataclass
class QueryCounts:
    """The query file: lines read, queries kept, how many have gold, and the unreadable lines (listed up to
    :data:`MAX_LISTED_MISSING`, all counted)."""

    file: str | None
    lines: int
    count: int
    evaluated: int
    empty_gold: int
    gold_keys: int
    errors: list[str] = field(default_factory=list)
    error_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "QueryCounts":
        return cls(**d)


@dataclass
class MissingKey:
    """A gold key the index does not have: how many queries cite it, the first few of them."""

    key: str
    queries: int
    qids: list[str]
    deleted_in_index: bool = False  # the index has it as a deleted (삭제) article

    def to_dict(self) -> dict[str, Any]:
        d = {"key": self.key, "queries": self.queries, "qids": self.qids}
        return d | {"deleted_in_index": True} if self.deleted_in_index else d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "MissingKey":
        return cls(d["key"], d["queries"], list(d["qids"]), bool(d.get("deleted_in_index", False)))


@dataclass
class MissingGold:
    """Gold keys absent from the index: distinct ``keys``, their ``occurrences``, the ``queries`` citing one
    (``queries_all_missing``: with no reachable gold at all), and the most cited ones by name."""

    keys: int
    occurrences: int
    queries: int
    queries_all_missing: int
    deleted_in_index: int
    listed: list[MissingKey] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"keys": self.keys, "occurrences": self.occurrences, "queries": self.queries,
                "queries_all_missing": self.queries_all_missing, "deleted_in_index": self.deleted_in_index,
                "listed": [m.to_dict() for m in self.listed]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "MissingGold":
        return cls(d["keys"], d["occurrences"], d["queries"], d["queries_all_missing"], d.get("deleted_in_index", 0),
                   [MissingKey.from_dict(m) for m in d.get("listed", [])])


@dataclass
class IndexCoverage:
    """The searchable articles, and which gold keys are not among them (None when the searcher does not
    expose its keys: unknown, not "zero missing")."""

    articles: int | None
    missing_gold: MissingGold | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"articles": self.articles, "missing_gold": self.missing_gold.to_dict() if self.missing_gold else None}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "IndexCoverage":
        mg = d.get("missing_gold")
        return cls(d.get("articles"), MissingGold.from_dict(mg) if mg is not None else None)


@dataclass
class QualityReport:
    """What :func:`evaluate` returns; ``to_dict()`` is the JSON record (``write_quality_report`` writes it).

    ``comparisons``: ``{"hybrid vs bm25": {metric: Interval}}`` (paired bootstrap, later modes against the first);
    ``per_query``: ``{mode: [{"qid", "gold", "top", metric: value}]}`` (flat rows, written as JSONL);
    ``extra``: top-level records a caller adds (``run_quality.py``: "build", "machine")."""

    settings: QualitySettings
    queries: QueryCounts
    index: IndexCoverage
    modes: dict[str, ModeResult]
    comparisons: dict[str, dict[str, Interval]] = field(default_factory=dict)
    per_query: dict[str, list[dict[str, Any]]] | None = None
    schema: str = SCHEMA
    extra: dict[str, Any] = field(default_factory=dict)

    def mean(self, mode: str, metric: str, law: str | None = None) -> float | None:
        """The mean of ``metric`` for ``mode`` (overall, or in ``law``'s group); None when not measured."""
        result = self.modes[mode]
        group = result.overall if law is None else result.per_law.get(law)
        return group.mean(metric) if group else None

    def to_dict(self, *, per_query: bool = True) -> dict[str, Any]:
        """The JSON record; ``per_query=False`` leaves out the per-query rows (the summary file)."""
        d: dict[str, Any] = {
            "schema": self.schema,
            "settings": self.settings.to_dict(),
            "queries": self.queries.to_dict(),
            "index": self.index.to_dict(),
            "modes": {mode: r.to_dict() for mode, r in self.modes.items()},
            "comparisons": {label: {n: m.to_dict() for n, m in per.items()} for label, per in self.comparisons.items()},
        }
        if per_query and self.per_query is not None:
            d["per_query"] = self.per_query
        return d | self.extra

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "QualityReport":
        """Read a written report (``json.loads`` of ``quality-*.json``) back."""
        known, extra = _split(d, ("schema", "settings", "queries", "index", "modes", "comparisons", "per_query"))
        return cls(
            settings=QualitySettings.from_dict(known["settings"]),
            queries=QueryCounts.from_dict(known["queries"]),
            index=IndexCoverage.from_dict(known["index"]),
            modes={mode: ModeResult.from_dict(r) for mode, r in known["modes"].items()},
            comparisons={label: {n: Interval.from_dict(m) for n, m in per.items()}
                         for label, per in (known.get("comparisons") or {}).items()},
            per_query=known.get("per_query"),
            schema=known.get("schema", SCHEMA),
            extra=extra,
        )


# A gold key written the way a citation is (and as `search` reads one): 제 left out (주택임대차보호법 3조), spaces in
# it (제 3 조 의 2), a paragraph or item after it (형법 제250조 제1항). Gold is scored per article: the part is dropped.
# (legalret.keys.parse_key takes the exact form only; the search's citation reader finds citations in running text.)
_GOLD_CITATION = re.compile(r"^(?P<law>\S.*?)\s*(?:제\s*)?(?<!\d)(?P<num>\d+)\s*조(?:\s*의\s*(?P<branch>[1-9]\d*))?"
                            r"(?:\s*(?:제\s*)?(?P<para>\d+)\s*항)?(?:\s*(?:제\s*)?(?P<item>\d+)\s*호)?\s*$")


def gold_key(raw: str) -> tuple[str, str]:
    """A gold key as written → (the article's key, the paragraph/item part dropped, "" when none): ``민법 제750조``,
    ``주택임대차보호법 3조`` → ``주택임대차보호법 제3조``, ``형법 제250조 제1항`` → (``형법 제250조``, ``제1항``), a short
    name → the law's own (``근기법 제23조`` → ``근로기준법 제23조``). :class:`ValueError` when no article is named."""
    try:
        ref, part = parse_key(raw), ""
    except ValueError:
        m = _GOLD_CITATION.match(normalize(raw))
        law = m["law"].strip() if m else ""
        if not law or law.endswith("제"):  # (제194조: no law named)
            raise
        ref = ArticleRef(law, int(m["num"]), int(m["branch"] or 0))
        part = " ".join(f"제{int(m[g])}{unit}" for g, unit in (("para", "항"), ("item", "호")) if m[g])
    # a short name (근기법 제23조) is the law's own key: it had counted as gold the index lacks
    return format_key(law_aliases().get(ref.law, ref.law), ref.number, ref.branch), part


def _normalize_gold(value: Any, path: str, lineno: int) -> tuple[list[str], dict[str, list[str]]]:
    """The line's gold article keys, and the paragraphs/items dropped from them (key → ``["제1항", "제2항 제1호"]``)."""
    if not isinstance(value, list):
        raise SourceError(path, f"expected a list of article keys, got {type(value).__name__}", line=lineno, field="gold")
    keys: list[str] = []
    parts: dict[str, list[str]] = {}
    for raw in value:
        if not isinstance(raw, str):
            raise SourceError(path, f"article key must be a string, got {raw!r}", line=lineno, field="gold")
        try:
            key, part = gold_key(raw)
        except ValueError as e:
            raise SourceError(path, str(e), line=lineno, field="gold") from None
        if part:
            parts.setdefault(key, []).append(part)
        if key not in keys:
            keys.append(key)
    return keys, parts


def parse_query_line(line: str, path: str, lineno: int) -> EvalQuery:
    """One JSONL line → :class:`EvalQuery`, or :class:`SourceError` naming the file, line and field."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:  # e.colno counts characters of this line from 1, as editors do
        raise SourceError(path, f"not valid JSON ({e.msg})", line=lineno, column=e.colno) from None
    if not isinstance(record, dict):
        raise SourceError(path, f"expected a JSON object, got {type(record).__name__}", line=lineno)
    text = record.get("query")
    if not isinstance(text, str) or not text.strip():
        raise SourceError(path, "missing or empty query text", line=lineno, field="query")
    if "gold" not in record:
        raise SourceError(path, "missing gold article keys", line=lineno, field="gold")
    gold, parts = _normalize_gold(record["gold"], path, lineno)
    qid = record.get("qid")
    qid = str(qid) if qid not in (None, "") else f"line{lineno}"
    extra = {k: v for k, v in record.items() if k not in ("qid", "query", "gold")}
    if parts:  # 형법 제250조 제1항 is scored as 형법 제250조: what was dropped is kept beside it
        extra["gold_parts"] = parts
    if extra.get("date") not in (None, ""):
        try:
            extra["date"] = parse_date(extra["date"], "date")
        except ValueError:
            raise SourceError(path, f"not a YYYY-MM-DD decision date: {extra['date']!r}", line=lineno, field="date") from None
    if extra.get("case_no") not in (None, "") and not isinstance(extra["case_no"], str):
        raise SourceError(path, f"case number must be text, got {extra['case_no']!r}", line=lineno, field="case_no")
    return EvalQuery(qid=qid, query=text.strip(), gold=gold, line=lineno, extra=extra)


def load_queries(
    path: str | os.PathLike,
    *,
    limit: int | None = None,
    seed: int = 0,
    on_error: Callable[[SourceError], None] | None = None,
    strict: bool = False,
    split: str | None = None,
) -> QuerySet:
    """Read a query file. Bad lines — unreadable, or repeating an earlier line's ``qid`` — are collected in
    ``.errors`` (and passed to ``on_error``); with ``strict`` any of them is a :class:`SourceError` instead,
    naming the count and the first few as ``file:line[:column]`` (``legalret bench quality`` is strict unless
    ``--skip-bad``: a benchmark must not quietly score a fraction of its questions).

    Lines are split at ``\\n`` only (a stray ``\\r`` inside a line does not shift the line numbers), a UTF-8 BOM
    is ignored, and a line that is not UTF-8 is an error at the column of its first bad byte.

    ``split`` keeps only the lines whose ``"split"`` is that value (a question file's fixed ``tune`` / ``report``
    halves: a number read on both mixes the half choices were tuned on into the held-out one); a value no line
    carries is a :class:`SourceError` listing the values there are. ``limit`` then keeps a random sample of that
    many queries, drawn with ``seed`` and kept in file order, so that ``--limit 200`` is representative and the
    same on every run. Raises :class:`SourceError` when the file is missing or holds no readable query at all.
    """
    path = str(path)
    _check_query_path(path)
    queries: list[EvalQuery] = []
    errors: list[SourceError] = []
    first_line_of: dict[str, int] = {}
    total = 0
    raw = Path(path).read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for lineno, data in enumerate(raw.split(b"\n"), 1):
        if not data.strip():
            continue
        total += 1
        try:
            query = parse_query_line(_decode_line(data, path, lineno), path, lineno)
            if query.qid in first_line_of:
                raise SourceError(path, f"duplicate qid {query.qid!r} (first on line {first_line_of[query.qid]})",
                                  line=lineno, field="qid")
            first_line_of[query.qid] = lineno
            queries.append(query)
        except SourceError as e:
            errors.append(e)
            if on_error:
                on_error(e)
    if not queries:  # every bad line named (the first three), not the first alone: one fix per run before
        detail = f"; {len(errors)} unusable — {_first_errors(errors)}" if errors else ""
        raise SourceError(path, f"no readable queries ({total} non-empty lines){detail}")
    if strict and errors:
        raise unusable_lines(path, errors, total, remedy=f"Fix them, or pass --skip-bad to go on with the "
                                                         f"{len(queries)} readable queries")
    splits: dict[str | None, int] = {}
    for q in queries:
        value = q.extra.get("split")
        value = value if isinstance(value, str) and value else None
        splits[value] = splits.get(value, 0) + 1
    if split is not None:
        queries = [q for q in queries if q.extra.get("split") == split]
        if not queries:
            raise SourceError(path, f"no query line has \"split\": {split!r} — its lines: {describe_splits(splits)}",
                              field="split")
    if limit is not None and limit < len(queries):
        if limit < 1:
            raise ValueError(f"limit must be positive, not {limit}")
        chosen = sorted(random.Random(seed).sample(range(len(queries)), limit))
        queries = [queries[i] for i in chosen]
    return QuerySet(queries=queries, path=path, errors=errors, total_lines=total, splits=splits)


def describe_splits(splits: Mapping[str | None, int]) -> str:
    """``{"tune": 120, "report": 118, None: 3}`` → ``"tune 120, report 118, without a split 3"``."""
    named = [f"{value} {n:,}" for value, n in splits.items() if value is not None]
    return ", ".join(named + ([f"without a split {splits[None]:,}"] if splits.get(None) else [])) or "none"


def unusable_lines(path: str, errors: Sequence[SourceError], total: int, *, what: str = "lines",
                   remedy: str = "") -> SourceError:
    """The one-line refusal of a query file with unusable lines (``errors`` of :func:`load_queries`): their count out
    of ``total`` and the first three as ``file:line[:column]: field``, then ``remedy`` — each reader of such files
    (``bench quality``, ``bench speed``, the benchmark scripts) names the way out it has."""
    return SourceError(path, f"{len(errors)} of {total} {what} are unusable — {_first_errors(errors)}"
                       + (f". {remedy}" if remedy else ""))


def _first_errors(errors: Sequence[SourceError], n: int = 3) -> str:
    """The first ``n`` errors (``file:line[:column]: field: reason``) joined by "; ", then "… N more"."""
    return "; ".join(str(e) for e in errors[:n]) + (f"; … {len(errors) - n} more" if len(errors) > n else "")


def _check_query_path(path: str) -> None:
    """A query file must be a regular file: a folder or a device (``/dev/null``) had been "query file not found"."""
    p = Path(path)
    if p.is_file():
        return
    if p.is_dir():
        raise SourceError(path, "is a directory, not a query file (give a JSONL file)")
    if p.exists():
        raise SourceError(path, "is not a regular file (give a JSONL query file)")
    raise SourceError(path, "query file not found")


def _decode_line(data: bytes, path: str, lineno: int) -> str:
    """One line of a query file as text; a line that is not UTF-8 is a :class:`SourceError` at its column."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        column = len(data[: e.start].decode("utf-8", errors="replace")) + 1
        raise SourceError(path, f"not UTF-8 (byte 0x{data[e.start]:02x})", line=lineno, column=column) from None


# ---- talking to searchers -----------------------------------------------------------------------------
def index_keys_of(searcher: Any) -> set[str] | None:
    """The article keys a searcher can return, when it exposes them (None when it does not).

    These are the *searchable* keys (a deleted article stored in the index is not among them; see
    :func:`deleted_keys_of`). Tries, in order: ``searcher.keys()`` / ``searcher.keys``, ``searcher.articles`` (mapping or list of
    articles), ``searcher.store`` with the same attributes.
    """
    for owner in (searcher, getattr(searcher, "store", None), getattr(searcher, "index", None)):
        if owner is None:
            continue
        keys = getattr(owner, "keys", None)
        if keys is not None and not isinstance(owner, Mapping):
            keys = keys() if callable(keys) else keys
            try:
                return {k if isinstance(k, str) else k.key for k in keys}
            except (TypeError, AttributeError):
                pass
        arts = getattr(owner, "articles", None)
        if arts is not None:
            arts = arts() if callable(arts) else arts
            if isinstance(arts, Mapping):
                return set(arts)
            try:
                return {a.key for a in arts}
            except (TypeError, AttributeError):
                pass
    return None


def deleted_keys_of(searcher: Any) -> set[str]:
    """Keys the index holds as deleted (삭제) articles — stored, but not searchable by BM25 or dense."""
    data = getattr(searcher, "data", None)
    arts = getattr(data, "articles", None) if data is not None else None
    if not arts:
        return set()
    try:
        return {a.key for a in arts if getattr(a, "deleted", False)}
    except (TypeError, AttributeError):
        return set()


def _run_batch(
    retriever: Any, texts: list[str], k: int, mode: str | None,
    before: list[str | None] | None = None, exclude: list[str | None] | None = None,
) -> list[list[Any]]:
    kwargs: dict[str, Any] = {"mode": mode} if mode is not None else {}
    if before is not None:  # only when the leakage plan filters (retrievers without the memory never get it)
        kwargs.update(before=before, exclude=exclude)
        if not hasattr(retriever, "search_batch"):
            return [retriever.search(t, k, **{**kwargs, "before": b, "exclude": e}) for t, b, e in zip(texts, before, exclude)]
    if hasattr(retriever, "search_batch"):
        results = retriever.search_batch(texts, k, **kwargs)
    else:
        results = [retriever.search(t, k, **kwargs) for t in texts]
    results = list(results)
    if len(results) != len(texts):
        raise LegalretError(f"searcher returned {len(results)} result lists for {len(texts)} queries (mode {mode})")
    return results


#: The modes that encode the query (the dense list is among their inputs): :func:`shared_query_vectors` shares them.
ENCODING_MODES = ("dense", "hybrid", "convex", "rrf")


@contextmanager
def shared_query_vectors(searcher: Any, enabled: bool = True):
    """Encode each query text once for all modes (dense, hybrid, rrf) of one evaluation.

    The searcher encodes queries per ``search_batch`` call; evaluating three modes would encode the same
    dev set three times. While this context is open, ``searcher.dense.encode`` is memoized by text (the
    vectors are identical — same encoder, same text); the original method is restored on exit. Searchers
    without a ``dense.encode`` are left alone.
    """
    dense = None
    if enabled and not isinstance(searcher, Mapping) and getattr(searcher, "has_dense", False):
        try:
            dense = searcher.dense
        except LegalretError:
            dense = None
    if dense is None or not callable(getattr(dense, "encode", None)):
        yield
        return
    original = dense.encode
    cache: dict[str, Any] = {}

    def encode(queries):
        queries = list(queries)
        todo = [q for q in dict.fromkeys(queries) if q not in cache]
        if todo:
            for q, vec in zip(todo, original(todo)):
                cache[q] = vec
        return np.stack([cache[q] for q in queries]) if queries else original(queries)

    dense.encode = encode
    try:
        yield
    finally:
        try:
            del dense.encode  # back to the class's method
        except AttributeError:
            dense.encode = original


# ---- the evaluation -----------------------------------------------------------------------------------
def evaluate(
    searcher: Any,
    queries: QuerySet | Sequence[EvalQuery],
    modes: Sequence[str] = ("bm25", "dense", "hybrid"),
    ks: Sequence[int] = DEFAULT_KS,
    *,
    rank_k: int = DEFAULT_RANK_K,
    f2_k: int = DEFAULT_F2_K,
    ties: str = "key",
    gold_filter: str = "all",
    index_keys: Iterable[str] | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    batch_size: int = 32,
    keep_per_query: bool = True,
    progress: bool | None = None,
    default_before: str | None = None,
    allow_leakage: bool = False,
    leakage: LeakagePlan | None = None,
) -> QualityReport:
    """Evaluate ``searcher`` on ``queries`` for each mode; returns a :class:`QualityReport` (see module docs).

    ``searcher`` is a :class:`~legalret.search.searcher.Searcher` (called with ``mode=``) or a mapping
    ``{mode name: retriever}``. Whenever the precedent memory votes, each query lets only decisions before
    its ``date`` (or ``default_before``) and other than its ``case_no`` vote; a run that cannot be made so
    raises :class:`~legalret.evaluate.leakage.LeakageError` unless ``allow_leakage`` (then labelled in
    ``settings["leakage"]``). ``leakage`` passes a ready plan instead.

    Retrieval depth is the largest cut-off used. ``index_keys`` defaults to
    what :func:`index_keys_of` finds on the searcher.

    Report layout (``report.to_dict()``, the JSON record)::

        {"schema", "settings", "queries": {file, count, evaluated, empty_gold, errors},
         "index": {articles, missing_gold: {keys, occurrences, queries, queries_all_missing, listed}},
         "modes": {mode: {"overall": aggregate, "per_law": {law: aggregate}, "per_style": {style: aggregate},
                          "seconds", "queries_per_second"}},
         "comparisons": {"hybrid vs bm25": {metric: paired diff}},
         "per_query": {mode: [{"qid", "gold", "top", metric: value}]}}

    and the same as attributes: ``report.modes["bm25"].overall.metrics["recall@10"].mean``.
    """
    if gold_filter not in ("all", "indexed"):
        raise ValueError(f"gold_filter must be 'all' or 'indexed', not {gold_filter!r}")
    if not modes:
        raise ValueError("no modes to evaluate")
    qlist = list(queries)
    if not qlist:
        raise ValueError("no queries to evaluate")
    ks = sorted(set(int(k) for k in ks))
    depth = max([*ks, rank_k, f2_k])
    names = metric_names(ks, rank_k, f2_k)

    known = set(index_keys) if index_keys is not None else index_keys_of(searcher)
    deleted = deleted_keys_of(searcher) if not isinstance(searcher, Mapping) else set()
    if gold_filter == "indexed" and known is None:
        raise LegalretError("gold_filter='indexed' needs the index's article keys, and this searcher does not expose them")

    # Gold keys absent from the index: counted, listed, and (by default) kept as unreachable gold.
    missing_counts: dict[str, list[str]] = defaultdict(list)
    queries_with_missing = queries_all_missing = 0
    gold_of: list[list[str]] = []
    for q in qlist:
        missing = [g for g in q.gold if known is not None and g not in known]
        for g in missing:
            missing_counts[g].append(q.qid)
        if missing:
            queries_with_missing += 1
            queries_all_missing += len(missing) == len(q.gold)
        gold_of.append([g for g in q.gold if g not in missing] if gold_filter == "indexed" else list(q.gold))
    if not any(gold_of):  # (an all-dash table, exit 0)
        raise LegalretError(f"no query has a gold article {'in this index' if gold_filter == 'indexed' else 'at all'}: "
                            "nothing to score (the gold keys are '<법령명> 제N조[의M]' of the index's laws)")

    laws_of = [sorted({law_of(g) for g in gold}) for gold in gold_of]
    texts = [q.query for q in qlist]
    plan = leakage or plan_leakage(searcher, qlist, modes, default_before=default_before, allow_leakage=allow_leakage)
    memory_modes = set(voting_modes(searcher, modes)) if plan.filters else set()

    is_mapping = isinstance(searcher, Mapping)
    report_modes: dict[str, ModeResult] = {}
    per_query_out: dict[str, list[dict]] = {}
    per_query_metrics: dict[str, list[dict | None]] = {}
    # Only worth it (and only loads the encoder) when two or more modes encode queries.
    share_vectors = sum(m in ENCODING_MODES for m in modes) > 1
    with shared_query_vectors(searcher, enabled=share_vectors):
        for mode in modes:
            retriever = searcher[mode] if is_mapping else searcher
            call_mode = None if is_mapping else mode
            batches = [list(range(i, min(i + batch_size, len(qlist)))) for i in range(0, len(qlist), batch_size)]
            rankings: list[list[str]] = [[] for _ in qlist]
            started = time.perf_counter()
            # progress None: by LEGALRET_PROGRESS and the terminal (it had meant "never": a long run showed nothing)
            # (counted in queries, as the label says: it had counted batches — "3/6, 0.3/s" of 183 queries)
            for batch in track(batches, f"{mode}: searching queries", total=len(qlist), advance=len,
                               unit="queries", disable=None if progress is None else not progress):
                if mode in memory_modes:
                    results = _run_batch(retriever, [texts[i] for i in batch], depth, call_mode,
                                         [plan.before[i] for i in batch], [plan.exclude[i] for i in batch])
                else:
                    results = _run_batch(retriever, [texts[i] for i in batch], depth, call_mode)
                for i, hits in zip(batch, results):
                    rankings[i] = order_hits(hits, gold_of[i], ties=ties)
            seconds = time.perf_counter() - started

            metrics = [query_metrics(rankings[i], gold_of[i], ks, rank_k, f2_k) for i in range(len(qlist))]
            per_query_metrics[mode] = metrics
            by_law: dict[str, list[dict | None]] = defaultdict(list)
            for laws, m in zip(laws_of, metrics):
                for law in laws:
                    by_law[law].append(m)
            by_style: dict[str, list[dict | None]] = defaultdict(list)
            for q, m in zip(qlist, metrics):
                if isinstance(q.extra.get("style"), str) and q.extra["style"]:
                    by_style[q.extra["style"]].append(m)
            agg_kw = dict(n_resamples=n_resamples, confidence=confidence, seed=seed)
            report_modes[mode] = ModeResult(
                overall=Aggregate.from_dict(aggregate(metrics, **agg_kw)),
                per_law={law: Aggregate.from_dict(aggregate(ms, **agg_kw))
                         for law, ms in sorted(by_law.items(), key=lambda kv: (-len(kv[1]), kv[0]))},
                seconds=round(seconds, 4),
                queries_per_second=round(len(qlist) / seconds, 2) if seconds > 0 else None,
                per_style={style: Aggregate.from_dict(aggregate(by_style[style], **agg_kw))
                           for style in ordered_groups(by_style, STYLE_ORDER)},
            )
            if keep_per_query:
                per_query_out[mode] = [
                    {"qid": q.qid, "gold": gold_of[i], "top": rankings[i][:rank_k], **(metrics[i] or {})}
                    for i, q in enumerate(qlist)
                ]

    comparisons = _compare_modes(list(modes), per_query_metrics, names, n_resamples, confidence, seed)

    missing_sorted = sorted(missing_counts.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    qs = queries if isinstance(queries, QuerySet) else None
    return QualityReport(
        settings=QualitySettings(
            modes=list(modes), ks=ks, rank_k=rank_k, f2_k=f2_k, depth=depth, ties=ties, gold_filter=gold_filter,
            n_resamples=n_resamples, confidence=confidence, seed=seed, metrics=names,
            # later dense-using modes reuse the first one's query vectors: their seconds exclude encoding
            query_vectors_shared=share_vectors, leakage=plan.to_dict(),
        ),
        queries=QueryCounts(
            file=qs.path if qs else None,
            lines=qs.total_lines if qs else len(qlist),
            count=len(qlist),
            evaluated=sum(1 for g in gold_of if g),
            empty_gold=sum(1 for g in gold_of if not g),
            gold_keys=sum(len(g) for g in gold_of),
            errors=[str(e) for e in (qs.errors if qs else [])][:MAX_LISTED_MISSING],
            error_count=len(qs.errors) if qs else 0,
        ),
        index=IndexCoverage(
            articles=len(known) if known is not None else None,
            missing_gold=None if known is None else MissingGold(
                keys=len(missing_counts),
                occurrences=sum(len(v) for v in missing_counts.values()),
                queries=queries_with_missing,
                queries_all_missing=queries_all_missing,
                deleted_in_index=sum(1 for k in missing_counts if k in deleted),
                listed=[MissingKey(k, len(v), v[:5], deleted_in_index=k in deleted)
                        for k, v in missing_sorted[:MAX_LISTED_MISSING]],
            ),
        ),
        modes=report_modes,
        comparisons=comparisons,
        per_query=per_query_out if keep_per_query else None,
    )


def _compare_modes(
    modes: list[str],
    per_query: dict[str, list[dict | None]],
    names: list[str],
    n_resamples: int,
    confidence: float,
    seed: int,
) -> dict[str, dict[str, Interval]]:
    """Paired bootstrap of every later mode against the first (e.g. ``hybrid vs bm25``)."""
    out: dict[str, dict[str, Interval]] = {}
    if len(modes) < 2:
        return out
    base = modes[0]
    for other in modes[1:]:
        pairs = [(a, b) for a, b in zip(per_query[other], per_query[base]) if a is not None and b is not None]
        if not pairs:
            continue
        out[f"{other} vs {base}"] = {
            name: Interval.from_dict(paired_bootstrap_diff(
                [a[name] for a, _ in pairs], [b[name] for _, b in pairs], n_resamples=n_resamples, confidence=confidence, seed=seed
            ))
            for name in names
        }
    return out
