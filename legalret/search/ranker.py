"""Learned fusion: a small re-ranker over the hybrid's candidates, scored with plain numpy.

The hand-set memory gate trusts the precedent memory as much on a user's scenario as on a court's own
holding, where its votes are strong. This re-ranker learns from data how much each signal counts, and
when: per candidate it reads each retriever's rank and score, their agreement, and query signals (length,
갑/을 parties, numbers — the marks of a scenario) crossed with the retrievers' ranks, and scores them with
one weight vector (logistic regression or a listwise linear model, fitted by :mod:`legalret.train.ranker`),
optionally plus one small tanh hidden layer. The query path stays light:
one ``hybrid`` search (whose hits carry every retriever's rank and score), a feature matrix built with
whole-column numpy operations (:func:`candidate_features`, ~0.3–0.6 ms for 100 candidates on this
machine's CPU, 3–4× faster than the first per-candidate loop, the same values bit for bit), one
matrix–vector product. ``explain``/``contributions`` attribute a score to features: exactly ``coef · z``
for a linear model, integrated gradients from the training mean for one with a hidden layer.

Usage::

    from legalret.search.ranker import Ranker, RerankedSearch
    from legalret.search.searcher import Searcher

    searcher = Searcher("index/")
    ranker = Ranker.load("ranker.json")
    hits = searcher.search(query, k=ranker.depth, mode="hybrid", before=…, exclude=…)
    ranked = ranker.rerank(query, hits)                 # [(key, score)], best first
    ranker.explain(query, hits, "민법 제750조")          # {feature: contribution} for one candidate

    RerankedSearch(searcher, ranker).search_batch(queries, 10, before=[…], exclude=[…])  # evaluate protocol

Exact citations in the query (hits ranked by ``citation``) keep their place at the top.

**Features by name.** :func:`catalogue` generates the feature names from the registered retrievers
(:mod:`legalret.search.retrievers`): each declares the feature families it feeds (:data:`FAMILIES`: ``rank``,
``votes``, ``gate``, ``agree``), so a new retriever brings its own ``{name}_rr`` … columns. A ranker file
(:data:`SCHEMA_NAMED`) keys every weight by feature name and lists the retrievers it ``requires``; it scores
with exactly the features it was trained on, wherever they sit in the matrix, and a name this legalret does
not compute is refused in one line naming the file and the feature. Files trained before a feature (the facts
memory's, :data:`SECOND_FEATURES`, the article profiles' :data:`THIRD_FEATURES`) score without it; the shipped
민법+상법 one reads the ``first`` and ``profile`` groups (:data:`FEATURE_GROUPS`), the all-law one also ``law``,
``match`` and ``prior`` (the base rates: :class:`BaseRates`, which the caller counts). Older positional files
(``legalret.ranker/1``, ``/2``) still load.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from legalret.errors import LegalretError
from legalret.keys import law_of, laws_named
from legalret.search.retrievers.base import ABSENT_RANK
from legalret.text import normalize

SCHEMA = "legalret.ranker/1"
#: A ranker with a hidden layer: a new schema, so that a legalret that knows only linear files refuses it.
SCHEMA_MLP = "legalret.ranker/2"
#: Name-keyed weights (``features: {name: {coef, mean, scale}}``, the hidden layer's rows by name too): the
#: file says which feature each number belongs to, so a mismatch is refused by name, whatever the order.
SCHEMA_NAMED = "legalret.ranker/3"
#: Retrievers a ranker file needs when it does not say (``requires``): the shipped one's.
DEFAULT_REQUIRES = ("bm25", "dense", "memory")
#: Support counts are capped here (VoteConfig.max_support keeps at most 5 supporting decisions).
MAX_SUPPORT = 5
#: Candidates read per query (the hybrid's top ``depth``).
DEFAULT_DEPTH = 100
_PARTY = re.compile(r"(?:^|[\s,(])[갑을병정](?:[은는이가의에과와도]|에게|\s|,|\))")
_NUMBER = re.compile(r"\d")
#: Query signals a list's rank is crossed with (how much a rank counts depends on the kind of question).
_CROSSES = ("log_len", "parties", "numbers")


def query_signals(query: str) -> dict[str, float]:
    """Query-level signals: length, parties (갑/을/병 …), numbers (dates, amounts), a question mark."""
    return {
        "log_len": math.log1p(len(query)),
        "parties": float(bool(_PARTY.search(query))),
        "numbers": float(bool(_NUMBER.search(query))),
        "question": float("?" in query),
    }


# ---- the feature catalogue -------------------------------------------------------------------------------
#: What each feature family means, per retriever ``s`` (its class's ``features`` names the families it feeds):
FAMILIES = {
    # rank: in the list, 1/rank, log(1 + rank), min–max score among the candidates, 1/rank × each query signal
    "rank": ("{s}_in", "{s}_rr", "{s}_logrank", "{s}_score", *(f"{{s}}_rr*{qs}" for qs in _CROSSES)),
    # votes: the best and summed list scores, the candidate's vote share and supporting decisions, the share
    # over the largest share among the candidates, and 1 / the share's rank among them
    "votes": ("{s}_top", "{s}_mass", "{s}_share", "{s}_support", "{s}_share_rel", "{s}_share_rr"),
    # gate: 1/rank and score × the list's best score (how sure the memory is)
    "gate": ("{s}_rr*{s}_top", "{s}_score*{s}_top"),
    # agree: counted in agree_top10 / agree_all (no features of its own)
    "agree": (),
}
#: Features of the candidate set as a whole: how many "agree" lists have it in their top 10 / at all, whether
#: every voting list has it in its top 10, the voting lists' summed shares, the best 1/rank of any fused list.
COMBINED = ("agree_top10", "agree_all", "agree_memories_top10", "shares_sum", "best_rr")
#: ``fused``: the hybrid's own order, a ranked list like the others.
FUSED = "fused"
#: Law-level features — on an index of many laws, *which law* matters before which article: how much of each
#: ranked list's top 10 (``{s}_law_top10``) and of each memory's votes (``{s}_law_share``) goes to the
#: candidate's law, plus the ones below: the query names the law / names another law (a whole-name match,
#: :func:`legalret.keys.laws_named`: "근로기준법 시행령" names the act and its decree, "형법상" names 형법,
#: "군형법" does not), the law is a 시행령, × the query asking for a decree, 1/rank of the law by the memories'
#: summed votes, the fused top 10's share of the law's family (an act and its 시행령).
LAW_PER_LIST = "{s}_law_top10"
LAW_PER_VOTES = "{s}_law_share"
LAW_COMBINED = ("law_named", "law_other_named", "law_decree", "law_decree*asked", "law_votes_rr", "law_family_top10")
_DECREE = "시행령"
_ASKS_DECREE = ("시행령", "대통령령")
#: Word-match features — the query's words against the candidate's law name and article title, by Hangul
#: syllable bigrams inside words (:func:`content_bigrams`), so a part of a name counts where the whole-name
#: match (``law_named``) does not: "부가가치세" → 부가가치세법, "개인정보를" → 개인정보 보호법, "간이과세자" → the
#: title "간이과세의 범위". Per candidate: the share of its law name's bigrams found in the query, that share
#: over the best candidate law's, the share of its title's bigrams found, how many were found (log1p), and the
#: title share over the best candidate title's. Titles come from the index (:func:`candidate_features`' ``titles``).
MATCH = ("law_name_share", "law_name_share_rel", "title_share", "title_found", "title_share_rel")
#: Base rates — the holdings memory votes for what earlier holdings cited, and a few articles are cited by thousands
#: (민법 제750조, 제393조): they reach the top of questions that have nothing to do with them. Per candidate: how many
#: holdings decided before the query's cut-off cite it (log1p), and its memories' summed vote share over its share
#: of all those citations (log1p: the lift of the votes over the article's base rate). From :class:`BaseRates`.
PRIOR = ("cited_log", "vote_lift")
#: Words of a law name that say what kind of law it is, not what it is about (left out of its bigrams).
_NAME_STOPWORDS = frozenset({"법률", "관한", "관하여", "등에", "및", "등", "시행령", "시행규칙", "대통령령", "특별법", "특례법"})
#: Particles stripped from a title's words (the title's own words match the query's stems).
_TITLE_PARTICLE = re.compile(r"(?:의|에|와|과|및|등|에서|으로|로|을|를|은|는|이|가)$")
_WORD = re.compile(r"[가-힣]+|[A-Za-z0-9]+")
#: :meth:`Catalogue.group` of the features no single retriever's list gives: those of several lists, the query's.
AGREEMENT, QUESTION, LAW, MATCH_GROUP, PRIOR_GROUP = "agreement", "question", "law", "match", "prior"


@dataclass(frozen=True)
class Catalogue:
    """The named re-ranker features of a set of retrievers, and where each sits in the feature matrix.

    ``sources``: ``(name, families, fused, on_demand)`` per retriever in registration order (``fused`` False: it
    annotates the fused candidates, as the article profiles do; ``on_demand``: it runs only for a re-ranker that
    reads its features, which form a group of their own — no law-level share of its list, see :attr:`law_lists`)."""

    sources: tuple[tuple[str, frozenset, bool, bool], ...]

    @functools.cached_property
    def lists(self) -> tuple[str, ...]:
        """The ranked lists, matrix order: the fused retrievers, the fused order, the annotating ones."""
        ranked = [(name, fused) for name, families, fused, _ in self.sources if "rank" in families]
        return (*(n for n, f in ranked if f), FUSED, *(n for n, f in ranked if not f))

    def having(self, family: str) -> tuple[str, ...]:
        return tuple(name for name, families, _, _ in self.sources if family in families)

    @functools.cached_property
    def on_demand(self) -> tuple[str, ...]:
        """The retrievers run only for a re-ranker that reads them (each one's features: its own group)."""
        return tuple(name for name, _, _, on_demand in self.sources if on_demand)

    @functools.cached_property
    def names(self) -> tuple[str, ...]:
        out = list(query_signals(""))
        for s in self.lists:
            out += [f.format(s=s) for f in FAMILIES["rank"]]
        for family in ("votes", "gate"):
            for s in self.having(family):
                out += [f.format(s=s) for f in FAMILIES[family]]
        return (*out, *COMBINED, *self.law_names, *MATCH, *PRIOR)

    @functools.cached_property
    def law_lists(self) -> tuple[str, ...]:
        """The ranked lists with a law share (``{s}_law_top10``): every one but the on-demand ones — the law group
        must not make a re-ranker wait for a retriever it does not otherwise read."""
        return tuple(s for s in self.lists if s not in self.on_demand)

    @functools.cached_property
    def law_names(self) -> tuple[str, ...]:
        """The law-level features (see :data:`LAW_COMBINED`), last in the matrix."""
        return (*(LAW_PER_LIST.format(s=s) for s in self.law_lists),
                *(LAW_PER_VOTES.format(s=s) for s in self.having("votes")), *LAW_COMBINED)

    @functools.cached_property
    def column(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}

    def columns(self, pattern: str, names: Sequence[str]) -> np.ndarray:
        return np.array([self.column[pattern.format(s=s)] for s in names], dtype=np.int64)

    def group(self, feature: str) -> str:
        """What a feature describes: the retriever whose list it reads (``memory_score*memory_top`` → memory,
        ``bm25_rr*log_len`` → bm25), :data:`AGREEMENT` for those of several lists (the fused order, ``agree_*``,
        ``shares_sum``, ``best_rr``), :data:`QUESTION` for the query's own signals (``parties``, ``log_len`` …),
        :data:`LAW` for the law-level ones (:attr:`law_names`), :data:`MATCH_GROUP` for the word matches (:data:`MATCH`)."""
        if feature in self.law_names:
            return LAW
        if feature in MATCH:
            return MATCH_GROUP
        if feature in PRIOR:
            return PRIOR_GROUP
        for s in self.lists:
            if s != FUSED and feature.startswith(s + "_"):
                return s
        return QUESTION if feature in query_signals("") else AGREEMENT


    # ---- where candidate_features writes each family (computed once per catalogue) -------------------------
    @functools.cached_property
    def layout(self) -> dict[str, Any]:
        col, lists = self.column, self.lists
        at = {s: i for i, s in enumerate(lists)}
        named = [s for s in lists if s != FUSED]
        return {
            "at": at, "named": named, "named_idx": np.array([at[s] for s in named], dtype=np.int64), "fused": at[FUSED],
            **{kind: self.columns("{s}_" + kind, lists) for kind in ("in", "rr", "logrank", "score")},
            "crosses": np.array([col[f"{s}_rr*{qs}"] for s in lists for qs in _CROSSES], dtype=np.int64),
            "query": np.array([col[name] for name in query_signals("")], dtype=np.int64),
            "agree": [at[s] for s in self.having("agree")], "voting": self.having("votes"), "gated": self.having("gate"),
            "retrieved": [at[s] for s in lists[:at[FUSED]]],  # every fused list: not the fused order, not an annotating one
        }


_CURRENT: list = [None, None]  # (registry version, its catalogue)


def catalogue() -> Catalogue:
    """The feature catalogue of the registered retrievers (:mod:`legalret.search.retrievers`)."""
    from legalret.search.retrievers.base import registered, registry_version

    version = registry_version()
    if _CURRENT[0] != version:
        _CURRENT[:] = [version, _catalogue(tuple((cls.name, frozenset(cls.features), bool(cls.fused), bool(cls.on_demand))
                                                 for cls in registered()))]
    return _CURRENT[1]


@functools.lru_cache(maxsize=8)
def _catalogue(sources: tuple) -> Catalogue:
    return Catalogue(sources)


#: The features this legalret computes with the retrievers registered at import (see :func:`catalogue`).
FEATURES: tuple[str, ...] = catalogue().names
#: Features added with the second ranker (files trained before them score without them).
SECOND_FEATURES = ("memory_share_rel", "facts_share_rel", "memory_share_rr", "facts_share_rr", "shares_sum", "best_rr")
#: The article profiles' features (the third ranker's).
THIRD_FEATURES = tuple(f.format(s="profile") for f in FAMILIES["rank"])
#: The law-level features (:data:`LAW_COMBINED`; the all-law ranker's).
LAW_FEATURES = catalogue().law_names
#: Each on-demand retriever's features (``feedback``: BM25 with the dense list's words), a group of its own.
ON_DEMAND_FEATURES: dict[str, tuple[str, ...]] = {
    name: tuple(f for f in FEATURES if catalogue().group(f) == name) for name in catalogue().on_demand}
#: Named groups of :data:`FEATURES` for training on a subset (``python -m legalret.train.ranker --features
#: first,profile``: the shipped ranker's): what the first two rankers read, what the second added, the profiles,
#: the law-level features, the word matches, the base rates, then one group per on-demand retriever.
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "first": tuple(f for f in FEATURES if f not in (*SECOND_FEATURES, *THIRD_FEATURES, *LAW_FEATURES, *MATCH, *PRIOR,
                                                    *itertools.chain.from_iterable(ON_DEMAND_FEATURES.values()))),
    "second": SECOND_FEATURES,
    "profile": THIRD_FEATURES,
    "law": LAW_FEATURES,
    "match": MATCH,
    "prior": PRIOR,
    **ON_DEMAND_FEATURES,
}


def vote_features(result: Any) -> dict[str, tuple[float, int]]:
    """``{key: (vote share, supporting decisions)}`` of a memory result (:class:`~legalret.memory.retriever.MemoryResult`)."""
    if result is None:
        return {}
    if hasattr(result, "shares_and_support"):  # a MemoryResult: from its lists, no vote or holding objects made
        return result.shares_and_support()
    return {v.key: (float(v.share), len({h.case_no for h in v.support})) for v in result.votes}


#: log1p of every rank a list can give (ranks are small integers: a table lookup, the same values as math.log1p).
_LOG1P = np.array([math.log1p(r) for r in range(ABSENT_RANK + 1)])


def _log1p_ranks(r: np.ndarray) -> np.ndarray:
    """``log1p`` of 1-based ranks (``0`` = absent → ``log1p(ABSENT_RANK)``)."""
    r = np.where(r > 0, r, ABSENT_RANK)
    if r.max() <= ABSENT_RANK:
        return _LOG1P[r]
    return np.vectorize(math.log1p, otypes=[np.float64])(r)


def candidate_features(query: str, hits: Sequence[Any], depth: int | None = None,
                       votes: dict[str, dict[str, tuple[float, int]]] | None = None,
                       features: Catalogue | None = None, law: bool = True,
                       titles: Any = None, match: bool = True, cited: Any = None) -> tuple[list[str], np.ndarray]:
    """Keys and the ``(n, len(catalogue.names))`` feature matrix of one query's hybrid hits.

    ``hits``: objects with ``.key``, ``.score``, ``.ranks`` and ``.scores`` (Searcher hits), in fused
    order; ``votes`` (``{retriever: {key: (share, support)}}``) or else each hit's ``.votes``
    (``{retriever: (share, support)}``) give the voting retrievers' shares and support. Exact-citation hits
    are skipped (see :meth:`Ranker.rerank`). ``features``: the catalogue (default: the registered retrievers').
    ``law`` False leaves the law-level columns at 0 (a ranker that does not read them, :attr:`Ranker.reads_law`,
    saves their ~0.3 ms); ``match`` False the word-match ones (:data:`MATCH`, :attr:`Ranker.reads_match`).
    ``titles``: ``key -> article title`` (the Searcher's index, :meth:`Searcher.title_of`); without it each
    hit's ``.article.title`` (a search's hits carry their article), or no title. ``cited``: ``keys -> (counts,
    total)`` — how many earlier holdings cite each key, of how many (:meth:`BaseRates.counts` with the query's
    cut-off); None leaves the base-rate columns (:data:`PRIOR`) at 0.

    One pass over the hits reads their ranks, scores and votes into arrays; every feature is then a
    whole-matrix numpy operation (a few dozen of them, whatever the number of candidates)."""
    cat = features or catalogue()
    cands = [h for h in hits if "citation" not in (h.ranks or {})]
    if depth is not None:
        cands = cands[:depth]
    keys = [h.key for h in cands]
    n = len(cands)
    x = np.zeros((n, len(cat.names)), dtype=np.float64)
    if not n:
        return keys, x
    col, lists, lay = cat.column, cat.lists, cat.layout
    at, named, named_idx, fused = lay["at"], lay["named"], lay["named_idx"], lay["fused"]
    # the hits' dicts read one list at a time: ranks (0 = not in that list) and raw scores (NaN = not scored)
    nan = math.nan
    m = len(lists)
    ranks = [h.ranks or {} for h in cands]
    raws = [h.scores or {} for h in cands]
    rank = np.empty((n, m), dtype=np.int64)
    rank[:, named_idx] = np.array([[r.get(s, 0) for r in ranks] for s in named], dtype=np.int64).T
    rank[:, fused] = np.arange(1, n + 1)
    raw = np.empty((n, m))
    raw[:, named_idx] = np.array([[v.get(s, nan) for v in raws] for s in named], dtype=np.float64).T
    raw[:, fused] = [h.score for h in cands]
    scored = ~np.isnan(raw)
    raw[~scored] = 0.0
    present = rank > 0
    rr = np.where(present, 1.0 / np.maximum(rank, 1), 0.0)
    # min–max of each list's raw scores over the candidates it scored (1 = its best; a flat list → 1)
    lo = np.where(scored, raw, np.inf).min(axis=0)
    hi = np.where(scored, raw, -np.inf).max(axis=0)
    spread = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = np.where(scored, np.where(spread < 1e-12, 1.0, (raw - lo) / spread), 0.0)
    q = query_signals(query)
    qv = np.array([q[name] for name in _CROSSES])
    x[:, lay["in"]] = present
    x[:, lay["rr"]] = rr
    x[:, lay["logrank"]] = _log1p_ranks(rank)
    x[:, lay["score"]] = norm
    x[:, lay["crosses"]] = (rr[:, :, None] * qv).reshape(n, -1)
    x[:, lay["query"]] = list(q.values())
    top10 = present & (rank <= 10)
    agree = lay["agree"]
    x[:, col["agree_top10"]] = top10[:, agree].sum(axis=1)
    x[:, col["agree_all"]] = present[:, agree].sum(axis=1)
    voting = lay["voting"]
    for s in voting:
        c = at[s]
        values = raw[scored[:, c], c].tolist()
        x[:, col[f"{s}_top"]] = max(values) if values else 0.0
        x[:, col[f"{s}_mass"]] = sum(values)  # Python's sum, in fused order: the values the first ranker was trained on
        given = votes.get(s) if votes else None
        pairs = ([given.get(k, (0.0, 0)) for k in keys] if given is not None
                 else [(getattr(h, "votes", None) or {}).get(s, (0.0, 0)) for h in cands])
        # (flattened: numpy reads a flat iterable of numbers much faster than a list of tuples)
        share_support = np.fromiter(itertools.chain.from_iterable(pairs), dtype=np.float64, count=2 * n).reshape(n, 2)
        share = x[:, col[f"{s}_share"]] = share_support[:, 0]
        x[:, col[f"{s}_support"]] = np.minimum(share_support[:, 1], MAX_SUPPORT)
        top = share.max()
        x[:, col[f"{s}_share_rel"]] = share / top if top > 0 else 0.0
        by_share = np.empty(n)
        by_share[np.argsort(-share, kind="stable")] = 1.0 / np.arange(1, n + 1)
        x[:, col[f"{s}_share_rr"]] = np.where(share > 0, by_share, 0.0)
    for s in lay["gated"]:
        x[:, col[f"{s}_rr*{s}_top"]] = rr[:, at[s]] * x[:, col[f"{s}_top"]]
        x[:, col[f"{s}_score*{s}_top"]] = norm[:, at[s]] * x[:, col[f"{s}_top"]]
    if voting:
        x[:, col["agree_memories_top10"]] = top10[:, [at[s] for s in voting]].all(axis=1)
        x[:, col["shares_sum"]] = functools.reduce(np.add, [x[:, col[f"{s}_share"]] for s in voting])
    retrieved = lay["retrieved"]
    if retrieved:
        x[:, col["best_rr"]] = rr[:, retrieved].max(axis=1)
    if law:
        _law_features(x, cat, query, keys, top10, [x[:, col[f"{s}_share"]] for s in voting])
    if match:
        if titles is None:
            titles = {h.key: getattr(getattr(h, "article", None), "title", None) or "" for h in cands}.get
        _match_features(x, col, query, keys, titles)
    if cited is not None:
        counts, total = cited(keys)
        shares = x[:, col["shares_sum"]] if voting else np.zeros(n)
        x[:, col["cited_log"]] = np.log1p(counts)
        x[:, col["vote_lift"]] = np.log1p(shares * (total + 1.0) / (counts + 1.0))
    return keys, x


class BaseRates:
    """How many holdings of a memory cite each article, counted among those decided before a cut-off (so a
    query's own and later decisions never count): :meth:`counts` reads per-key sorted decision dates.

    Usage::

        rates = BaseRates(memory)                       # a PrecedentMemory (its vote arrays and dates)
        counts, total = rates.counts(["민법 제750조"], before=date(2020, 1, 1))
    """

    def __init__(self, memory: Any):
        arrays = memory.vote_arrays() if memory is not None else None
        if arrays is None:  # no memory, or an empty one: nothing is cited
            self._key_id, self._items = {}, np.zeros(0, dtype=np.int64)
            return
        ids = np.asarray(arrays.ids, dtype=np.int64)
        ords = np.repeat(np.asarray(memory.decided_ord, dtype=np.int64), np.diff(arrays.offsets))
        # one sorted array of (key id, decision date) pairs, each as id · span + date: the citations of key i
        # before a cut-off are the entries from ``_start[i]`` below i · span + cut — one searchsorted for all keys
        self._span = int(ords.max()) + 2 if len(ords) else 1
        self._pairs = np.sort(ids * self._span + ords)
        self._key_id = {key: i for i, key in enumerate(arrays.vocab)}
        self._start = np.searchsorted(self._pairs, np.arange(len(arrays.vocab), dtype=np.int64) * self._span)
        self._items = np.sort(np.asarray(memory.decided_ord, dtype=np.int64))

    def counts(self, keys: Sequence[str], before: Any = None) -> tuple[np.ndarray, int]:
        """``(holdings citing each key, holdings in all)``, both among those decided before ``before`` (a date;
        None: all)."""
        if isinstance(before, str):
            from datetime import date

            before = date.fromisoformat(before[:10])
        cut = before.toordinal() if before is not None else np.iinfo(np.int64).max
        out = np.zeros(len(keys))
        ids = np.fromiter((self._key_id.get(key, -1) for key in keys), dtype=np.int64, count=len(keys))
        known = ids >= 0
        if known.any():
            i = ids[known]
            out[known] = np.searchsorted(self._pairs, i * self._span + min(cut, self._span - 1)) - self._start[i]
        return out, int(np.searchsorted(self._items, cut))

    def before(self, before: Any = None):
        """``keys -> (counts, total)`` at one cut-off: what :func:`candidate_features` takes as ``cited``."""
        return lambda keys: self.counts(keys, before)


def _law_features(x: np.ndarray, cat: Catalogue, query: str, keys: list[str], top10: np.ndarray,
                  shares: list[np.ndarray]) -> None:
    """Write the law-level columns (:data:`LAW_COMBINED`) of ``x``: per candidate, sums over the candidates
    of its law (``np.bincount`` over law ids — a few dozen distinct laws among 100 candidates)."""
    col, n = cat.column, len(keys)
    ids: dict[str, int] = {}
    law_id = np.fromiter((ids.setdefault(law_of(k), len(ids)) for k in keys), dtype=np.int64, count=n)
    names, n_laws = list(ids), len(ids)

    def per_law(values: np.ndarray) -> np.ndarray:  # each candidate's law's total of ``values``
        return np.bincount(law_id, weights=values, minlength=n_laws)[law_id]

    for s in cat.law_lists:
        in_top = top10[:, cat.layout["at"][s]]
        x[:, col[LAW_PER_LIST.format(s=s)]] = per_law(in_top.astype(np.float64)) / max(int(in_top.sum()), 1)
    votes = np.zeros(n)
    for s, share in zip(cat.having("votes"), shares):
        x[:, col[LAW_PER_VOTES.format(s=s)]] = per_law(share)
        votes = votes + share
    law_votes = np.bincount(law_id, weights=votes, minlength=n_laws)
    law_rank = np.empty(n_laws)
    law_rank[np.argsort(-law_votes, kind="stable")] = 1.0 / np.arange(1, n_laws + 1)
    x[:, col["law_votes_rr"]] = np.where(law_votes > 0, law_rank, 0.0)[law_id]
    named = np.array(laws_named(query, names), dtype=bool)
    x[:, col["law_named"]] = named[law_id]
    x[:, col["law_other_named"]] = (named.sum() - named[law_id]) > 0
    decree = np.array([name.endswith(_DECREE) for name in names])
    x[:, col["law_decree"]] = decree[law_id]
    x[:, col["law_decree*asked"]] = decree[law_id] * any(word in query for word in _ASKS_DECREE)
    families: dict[str, int] = {}
    family_id = np.array([families.setdefault(name.removesuffix(_DECREE).strip(), len(families)) for name in names])[law_id]
    fused_top = top10[:, cat.lists.index(FUSED)].astype(np.float64)
    x[:, col["law_family_top10"]] = (np.bincount(family_id, weights=fused_top, minlength=len(families))[family_id]
                                     / max(int(fused_top.sum()), 1))


@functools.lru_cache(maxsize=8192)
def content_bigrams(text: str, name: bool = False) -> frozenset[str]:
    """The syllable bigrams inside the words of ``text`` (Hangul runs; Latin/digit runs as whole words), for
    matching a law name or an article title against a query: ``"간이과세의 범위"`` → 간이 이과 과세 범위.
    ``name``: a law name — its kind words (:data:`_NAME_STOPWORDS`) and a closing 법 of a long word are left
    out (``"개인정보 보호법"`` → 개인 인정 정보 보호; ``"형법"`` stays 형법); otherwise a title — a closing particle
    (의, 에, 와 …) is left out. A one-syllable word is its own unit. Cached: law names and titles repeat."""
    out = set()
    for word in _WORD.findall(normalize(text)):
        if name:
            if word in _NAME_STOPWORDS:
                continue
            if len(word) > 2 and word.endswith("법"):
                word = word[:-1]
        elif len(word) > 2:
            word = _TITLE_PARTICLE.sub("", word)
        if len(word) < 2 or word[0] < "가":  # (a Latin / digit run is one unit)
            out.add(word)
        else:
            out.update(word[i:i + 2] for i in range(len(word) - 1))
    return frozenset(out)


def query_bigrams(query: str) -> frozenset[str]:
    """Every unit :func:`content_bigrams` could give, found in the query: each word's bigrams and the whole word."""
    out = set()
    for word in _WORD.findall(normalize(query)):
        out.add(word)
        out.update(word[i:i + 2] for i in range(len(word) - 1))
    return frozenset(out)


def _match_features(x: np.ndarray, col: dict[str, int], query: str, keys: list[str], titles: Any) -> None:
    """Write the word-match columns (:data:`MATCH`) of ``x``: per distinct law, then per candidate's title, the
    share of its bigrams (:func:`content_bigrams`) that the query holds."""
    found = query_bigrams(query)
    n = len(keys)

    def share_and_count(units: frozenset[str]) -> tuple[float, int]:
        hit = len(units & found)
        return (hit / len(units) if units else 0.0), hit

    laws = [law_of(k) for k in keys]
    law_share: dict[str, float] = {}
    for law in laws:
        if law not in law_share:
            law_share[law] = share_and_count(content_bigrams(law.removesuffix(_DECREE).strip(), True))[0]
    name = np.fromiter((law_share[law] for law in laws), dtype=np.float64, count=n)
    pairs = [share_and_count(content_bigrams(titles(k) or "")) for k in keys]
    title = np.fromiter((p[0] for p in pairs), dtype=np.float64, count=n)
    x[:, col["law_name_share"]] = name
    x[:, col["law_name_share_rel"]] = name / name.max() if name.max() > 0 else 0.0
    x[:, col["title_share"]] = title
    x[:, col["title_found"]] = np.log1p(np.fromiter((p[1] for p in pairs), dtype=np.float64, count=n))
    x[:, col["title_share_rel"]] = title / title.max() if title.max() > 0 else 0.0


@dataclass
class Ranker:
    """A scorer over standardized features ``z = (x − mean) / scale`` (:data:`FEATURES`, or the named subset
    it was trained with): linear ``coef · z + intercept``, plus — when ``hidden`` is given — one hidden layer
    ``w2 · tanh(z W1 + b1) + b2`` (``hidden = {"w1": (features, units), "b1": (units,), "w2": (units,),
    "b2": float}``), still plain numpy at query time."""

    coef: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    intercept: float = 0.0
    depth: int = DEFAULT_DEPTH
    features: tuple[str, ...] = FEATURES  # names in the catalogue (:func:`catalogue`)
    info: dict = field(default_factory=dict)  # training data, sizes, settings (written to the file)
    hidden: dict | None = None  # one tanh hidden layer (see the class docs); None = linear

    def __post_init__(self) -> None:
        self.coef = np.asarray(self.coef, dtype=np.float64)
        self.mean = np.asarray(self.mean, dtype=np.float64)
        self.scale = np.asarray(self.scale, dtype=np.float64)
        self.features = tuple(self.features)
        unknown = [f for f in self.features if f not in catalogue().column]
        if unknown:
            raise LegalretError(f"ranker features {unknown[:3]} are not computed by this legalret (its retrievers: "
                                f"{', '.join(catalogue().lists)}); retrain it with legalret/train/ranker.py")
        n = len(self.features)
        if not (self.coef.shape == self.mean.shape == self.scale.shape == (n,)):
            raise LegalretError(f"ranker arrays must have {n} values each (one per listed feature): a damaged file; "
                                "retrain it with legalret/train/ranker.py")
        if self.hidden is not None:
            try:
                h = {k: np.asarray(self.hidden[k], dtype=np.float64) for k in ("w1", "b1", "w2")}
                h["b2"] = float(self.hidden["b2"])
            except (KeyError, TypeError, ValueError) as e:
                raise LegalretError(f"ranker hidden layer needs w1, b1, w2, b2 ({e}): a damaged file") from None
            units = h["b1"].shape
            if h["w1"].shape != (n, *units) or h["w2"].shape != units or len(units) != 1:
                raise LegalretError(f"ranker hidden layer shapes {h['w1'].shape}/{units}/{h['w2'].shape} do not fit "
                                    f"{n} features: a damaged file; retrain it with legalret/train/ranker.py")
            self.hidden = h
        self._layout: tuple | None = None  # (catalogue, its columns of self.features, all of them in order)

    DEFAULT_REQUIRES = DEFAULT_REQUIRES

    @property
    def requires(self) -> tuple[str, ...]:
        """The retrievers whose lists this ranker was trained on: it runs only on an index that has them all (the
        on-demand ones whose features it reads among them, whether or not its file lists them)."""
        stated = tuple(self.info.get("requires") or DEFAULT_REQUIRES)
        return stated + tuple(name for name in self.on_demand if name not in stated)

    def _columns(self) -> tuple[np.ndarray, bool]:
        """Where this ranker's features sit in :func:`candidate_features`' matrix (by name: a file trained
        before newer features, e.g. the facts memory's, scores with the ones it knows)."""
        cat = catalogue()
        if self._layout is None or self._layout[0] is not cat:
            cols = np.array([cat.column[f] for f in self.features], dtype=np.int64)
            self._layout = (cat, cols, len(cols) == len(cat.names) and bool((cols == np.arange(len(cols))).all()))
        return self._layout[1], self._layout[2]

    @functools.cached_property
    def reads_law(self) -> bool:
        """Whether any of its features is law-level (:data:`LAW_FEATURES`): only then are they computed."""
        return any(f in LAW_FEATURES for f in self.features)

    @functools.cached_property
    def reads_match(self) -> bool:
        """Whether any of its features is a word match (:data:`MATCH`): only then are titles read."""
        return any(f in MATCH for f in self.features)

    @functools.cached_property
    def reads_prior(self) -> bool:
        """Whether any of its features is a base rate (:data:`PRIOR`): only then are citations counted."""
        return any(f in PRIOR for f in self.features)

    @functools.cached_property
    def on_demand(self) -> tuple[str, ...]:
        """The on-demand retrievers whose features it reads (:attr:`Catalogue.on_demand`): the Searcher runs them for it."""
        cat = catalogue()
        return tuple(name for name in cat.on_demand if any(cat.group(f) == name for f in self.features))

    @property
    def missing_features(self) -> list[str]:
        """Features this legalret computes that the ranker was not trained with (ignored when scoring)."""
        return [f for f in catalogue().names if f not in self.features]

    @property
    def groups(self) -> tuple[str, ...]:
        """What each of :attr:`features` describes (:meth:`Catalogue.group`): a retriever, 'agreement', 'question' or 'law'."""
        cat = catalogue()
        return tuple(cat.group(f) for f in self.features)

    @property
    def kind(self) -> str:
        return "linear" if self.hidden is None else f"mlp{len(self.hidden['b1'])}"

    # ---- scoring ----------------------------------------------------------------------------------
    def _z(self, x: np.ndarray) -> np.ndarray:
        columns, everything = self._columns()
        if not everything:
            x = x[..., columns]
        return (x - self.mean) / self.scale

    def _score_z(self, z: np.ndarray) -> np.ndarray:
        s = z @ self.coef + self.intercept
        if self.hidden is not None:
            h = self.hidden
            s = s + np.tanh(z @ h["w1"] + h["b1"]) @ h["w2"] + h["b2"]
        return s

    def scores(self, x: np.ndarray) -> np.ndarray:
        return self._score_z(self._z(x))

    @staticmethod
    def probabilities(scores: np.ndarray) -> np.ndarray:
        """Each candidate's share of a softmax over one query's ``scores`` (all the candidates scored): the model's
        probability that it is the answer among them. A listwise ranker is trained with exactly this softmax, so its
        scores have no learned offset and the sigmoid of one is no probability (hits it read 99–100 were right one time
        in 5); the shares are calibrated for it and the logistic one alike (benchmarks/results/relevance_calibration.md).
        Stable: the best score is subtracted first. Empty in, empty out."""
        s = np.asarray(scores, dtype=np.float64)
        if not s.size:
            return s
        e = np.exp(s - s.max())
        return e / e.sum()

    @property
    def baseline(self) -> float:
        """The score of a candidate at the training mean (every ``z = 0``): contributions sum to score − this."""
        return float(self._score_z(np.zeros(len(self.features))))

    def contributions(self, x: np.ndarray, steps: int = 32) -> np.ndarray:
        """``(n, len(self.features))``: each feature's share of each candidate's score above :attr:`baseline`.

        Linear: ``coef · z`` (exact). With a hidden layer: integrated gradients from the training mean
        (``z · mean over a ∈ (0, 1] of ∂score/∂z at a·z``, midpoint rule with ``steps`` points) — the
        contributions of a candidate sum to its score − :attr:`baseline` up to the quadrature error (≪ 1%)."""
        z = self._z(x)
        out = z * self.coef
        if self.hidden is not None:
            h = self.hidden
            alphas = (np.arange(steps) + 0.5) / steps
            pre = alphas[:, None, None] * (z @ h["w1"])[None] + h["b1"]  # (steps, n, units)
            grad_units = ((1.0 - np.tanh(pre) ** 2) * h["w2"]).mean(axis=0)  # (n, units)
            out = out + z * (grad_units @ h["w1"].T)
        return out

    def rerank(self, query: str, hits: Sequence[Any], k: int | None = None, *, base_rates: Any = None) -> list[tuple[str, float]]:
        """``[(key, score)]`` best first: exact citations (in their order) first, then candidates by score.
        ``base_rates``: ``keys -> (counts, total)`` (:meth:`BaseRates.before`), for a ranker that reads them."""
        cited = [h.key for h in hits if "citation" in (h.ranks or {})]
        keys, x = candidate_features(query, hits, self.depth, law=self.reads_law, match=self.reads_match, cited=base_rates)
        s = self.scores(x) if len(keys) else np.zeros(0)
        order = np.argsort(-s, kind="stable")
        top = (max(s) + 1.0) if len(s) else 1.0
        out = [(key, float(top + len(cited) - i)) for i, key in enumerate(cited)]
        out += [(keys[j], float(s[j])) for j in order.tolist() if keys[j] not in cited]
        return out[:k] if k is not None else out

    def explain(self, query: str, hits: Sequence[Any], key: str, top: int | None = None, *,
                base_rates: Any = None) -> dict[str, float]:
        """Each feature's contribution to ``key``'s score above :attr:`baseline` (largest magnitude first;
        see :meth:`contributions`)."""
        keys, x = candidate_features(query, hits, self.depth, law=self.reads_law, match=self.reads_match, cited=base_rates)
        if key not in keys:
            raise LegalretError(f"{key} is not among the ranker's {len(keys)} candidates for this query")
        contrib = self.contributions(x[keys.index(key)][None])[0]
        items = sorted(zip(self.features, contrib.tolist()), key=lambda kv: -abs(kv[1]))
        return dict(items[:top] if top else items)

    # ---- persistence ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The file's content: each feature's weights under its name (schema :data:`SCHEMA_NAMED`)."""
        d = {"schema": SCHEMA_NAMED, "kind": self.kind,
             "features": {name: {"coef": c, "mean": m, "scale": sc} for name, c, m, sc in
                          zip(self.features, self.coef.tolist(), self.mean.tolist(), self.scale.tolist())},
             "intercept": float(self.intercept), "depth": self.depth, "info": self.info}
        if self.hidden is not None:
            d["hidden"] = {"w1": dict(zip(self.features, self.hidden["w1"].tolist())), "b1": self.hidden["b1"].tolist(),
                           "w2": self.hidden["w2"].tolist(), "b2": float(self.hidden["b2"])}
        return d

    def save(self, path: str | os.PathLike) -> Path:
        from legalret.atomic import atomic_path

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            Path(tmp).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, d: dict, where: str = "ranker") -> Ranker:
        """A ranker from its file's content: name-keyed (:data:`SCHEMA_NAMED`), or the older positional files
        (:data:`SCHEMA`, :data:`SCHEMA_MLP`: ``features`` a list, ``coef``/``mean``/``scale`` in its order)."""
        schema = d.get("schema")
        if schema not in (SCHEMA, SCHEMA_MLP, SCHEMA_NAMED):
            raise LegalretError(f"{where}: not a {SCHEMA_NAMED} file (schema {schema!r})")
        if (schema == SCHEMA_MLP or d.get("kind", "linear") != "linear") and not d.get("hidden"):
            raise LegalretError(f"{where}: a {d.get('kind') or SCHEMA_MLP} ranker file needs its 'hidden' layer")
        try:
            hidden = d.get("hidden") if schema != SCHEMA else None
            if schema == SCHEMA_NAMED:
                named = d["features"]
                if not isinstance(named, dict) or not all(isinstance(v, dict) for v in named.values()):
                    raise LegalretError("'features' must map each feature name to its coef, mean and scale")
                names = list(named)
                arrays = {k: [named[f][k] for f in names] for k in ("coef", "mean", "scale")}
                if hidden:
                    w1 = hidden["w1"]
                    if set(w1) != set(names):
                        raise LegalretError(f"hidden layer rows {sorted(set(w1) ^ set(names))[:3]} do not match "
                                            "the features by name: a damaged file")
                    hidden = {**hidden, "w1": [w1[f] for f in names]}
            else:
                names, arrays = list(d["features"]), {k: d[k] for k in ("coef", "mean", "scale")}
            return cls(intercept=float(d.get("intercept", 0.0)), depth=int(d.get("depth", DEFAULT_DEPTH)),
                       features=tuple(names), info=d.get("info") or {}, hidden=hidden, **arrays)
        except KeyError as e:
            raise LegalretError(f"{where}: missing field {e.args[0]!r}") from None
        except LegalretError as e:  # a feature this legalret does not compute, a damaged array: name the file
            raise LegalretError(f"{where}: {e}") from None

    @classmethod
    def load(cls, path: str | os.PathLike) -> Ranker:
        path = Path(path)
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LegalretError(f"{path}: ranker file not found") from None
        except json.JSONDecodeError as e:
            raise LegalretError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
        return cls.from_dict(d, str(path))


class RerankedSearch:
    """The evaluation protocol (``search_batch(queries, k, before=, exclude=)``, what :mod:`legalret.evaluate` calls) over a Searcher
    whose hybrid candidates are re-ranked by ``ranker``."""

    def __init__(self, searcher: Any, ranker: Ranker):
        self.searcher = searcher
        self.ranker = ranker
        self.memory = getattr(searcher, "memory", None)  # so leakage checks see the memory that votes
        if hasattr(searcher, "annotate_for"):  # the on-demand retrievers this ranker reads annotate the candidates
            searcher.annotate_for(ranker)

    def candidates(self, queries: Sequence[str], before: Any = None, exclude: Any = None) -> list[Any]:
        return self.searcher.search_batch(list(queries), self.ranker.depth, mode="convex", before=before, exclude=exclude)

    def search_batch(self, queries: Sequence[str], k: int = 10, mode: str | None = None, *, before: Any = None,
                     exclude: Any = None) -> list[list[tuple[str, float]]]:
        results = self.candidates(queries, before, exclude)
        rates = self.searcher.base_rates() if self.ranker.reads_prior else None
        cuts = before if isinstance(before, (list, tuple)) else [before] * len(results)
        return [self.ranker.rerank(q, hits, k, base_rates=rates.before(cut) if rates is not None else None)
                for q, hits, cut in zip(queries, results, cuts)]

    def search(self, query: str, k: int = 10, mode: str | None = None, *, before: Any = None, exclude: Any = None):
        return self.search_batch([query], k, before=[before], exclude=[exclude])[0]
