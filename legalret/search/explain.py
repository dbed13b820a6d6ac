"""Why a hit is where it is: every explain line of a search is written here (the CLI table, ``--json``,
the API and the page all show these ``Hit.reasons`` / ``Hit.precedents``).

Per hit, in order: each fused list's rank, score and share of the fused score (or that the hit is not in
its top ``n``); an annotating retriever's rank (the article profiles); on the first hit, the per-query
weights of the retrievers that adapt theirs (the memories); the learned re-ranker's largest feature
contributions (also as data, ``Hit.contributions``: the page draws them without reading the line); then what
each retriever says about the hit (the earlier decisions that voted for it).

Usage (what :class:`~legalret.search.searcher.Searcher` does with ``explain=True``)::

    reasons = list_reasons(item, ["bm25", "dense"], depth=100)
    learned = learned_reasons(ranker, x, order, keys, explained=10, always=("facts",))
    explain_hits(hits, query, retrievers, note=weights_note(weights, ["memory"]), learned=learned)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

#: Feature contributions shown per explained candidate (largest magnitude first).
TOP_CONTRIBUTIONS = 4


def list_reasons(item: Any, names: Sequence[str], depth: int, annotators: Sequence[Any] = ()) -> list[str]:
    """One line per fused list (rank, raw score, its part of the fused score) and per annotating retriever
    that ranked the fused candidate ``item``."""
    lines = []
    for name in names:
        if name in item.ranks:
            part = f", contributes {item.parts[name]:.3f}" if len(names) > 1 else ""
            lines.append(f"{name}: rank {item.ranks[name]}, score {item.scores[name]:.4f}{part}")
        else:
            lines.append(f"{name}: not in its top {depth}")
    for r in annotators:  # not fused lists: what the re-ranker read
        if r.name in item.ranks:
            lines.append(r.rank_reason(item.ranks[r.name], item.scores[r.name]))
    return lines


def weights_note(weights: dict[str, float], gated: Sequence[str]) -> str | None:
    """``'memory weight 0.31, facts weight 0.05'``: this query's weights of the retrievers that adapt theirs."""
    return ", ".join(f"{name} weight {weights[name]:.2f}" for name in gated) or None


@dataclass(frozen=True)
class Learned:
    """The learned re-ranker's reasons for one hit: its explain line, and the same contributions as data
    (``[{"feature", "group", "value"}]`` in the line's order, each feature once; ``group``: the retriever it
    reads, or 'agreement' / 'question': :attr:`~legalret.search.ranker.Ranker.groups`)."""

    line: str
    contributions: list[dict[str, Any]]


def learned_reasons(ranker: Any, x: np.ndarray, order: list[int], keys: Sequence[str], explained: int,
                    always: Sequence[str] = (), absent: Sequence[str] = ()) -> dict[str, Learned]:
    """``{key: Learned('learned fusion: memory_rr +0.84, …', […])}`` for the first ``explained`` candidates in
    ranked ``order``; the features of the retrievers named in ``always`` are summed and listed too (a new signal).
    The features of retrievers ``absent`` from the index are left out, and the line says so: they hold the same
    value for every candidate (nothing found), so their contributions (measured from the training mean) are equal
    for all hits and explain nothing — a 민법+상법 index without facts had shown "facts features +2.31"."""
    reasons: dict[str, Learned] = {}
    if not explained:  # only what explain shows: not on every query's hot path
        return reasons
    names, groups = ranker.features, ranker.groups
    missing = sorted({g for g in groups if g in absent})
    kept_cols = [f for f, g in enumerate(groups) if g not in missing]
    contributions = ranker.contributions(x[order[:explained]])
    shown = {prefix: [f for f, name in enumerate(names) if name.startswith(prefix + "_")]
             for prefix in always if prefix not in missing}
    for row, j in zip(contributions, order):
        top = [kept_cols[i] for i in np.argsort(-np.abs(row[kept_cols]))[:TOP_CONTRIBUTIONS].tolist()]
        line = "learned fusion: " + ", ".join(f"{names[f]} {row[f]:+.2f}" for f in top)
        listed = list(top)
        for prefix, cols in shown.items():
            if cols:
                kept = [f for f in cols if abs(row[f]) >= 0.005]
                line += f"; {prefix} features {row[cols].sum():+.2f} (" + ", ".join(
                    f"{names[f]} {row[f]:+.2f}" for f in kept) + ")"
                listed += [f for f in kept if f not in listed]  # (a feature may be in both parts of the line)
        if missing:
            line += f"; {', '.join(missing)}: not in this index (its features left out)"
        reasons[keys[j]] = Learned(line, [{"feature": names[f], "group": groups[f], "value": round(float(row[f]), 6)}
                                          for f in listed])
    return reasons


def explain_hits(hits: Sequence[Any], query: Any, retrievers: Sequence[Any], *, note: str | None,
                 learned: dict[str, Learned]) -> None:
    """Add the query-level lines to ``hits`` (their list lines are already there): the weights note on the
    first, the learned contributions (line and ``Hit.contributions``), and each retriever's own reasons and
    precedents."""
    if note and hits:
        hits[0].reasons.append(note)
    for hit in hits:
        if hit.key in learned:
            hit.reasons.append(learned[hit.key].line)
            hit.contributions = learned[hit.key].contributions
        for r in retrievers:  # users want to see which earlier decisions brought an article up
            lines, precedents = r.explain(query, hit.key)
            hit.reasons.extend(lines)
            hit.precedents.extend(precedents)
