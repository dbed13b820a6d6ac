"""Quality per group of queries — per question style and per law family — with bootstrap intervals.

One number over a mixed dev set hides where a retriever fails: scenarios vs keywords, 형사소송법 vs 민법. Given
per-query metrics of several retrievers over the same queries, :func:`breakdown` aggregates them along each
*dimension* (a function from a query to its group: its style, its law family), each group with a 95% bootstrap
interval (:func:`legalret.evaluate.metrics.aggregate`) and, for chosen pairs of retrievers, the paired
difference over the same queries; :func:`breakdown_markdown` prints one table per dimension and metric.

A query without a group on a dimension (``None``) is left out of that dimension; a dimension function may also
return several groups (a question in its style *and* in "all questions"). Every dimension also has an ``all``
column unless ``all_column=False``. Groups print in the dimension's order (styles as :data:`STYLE_ORDER`, families as
:data:`legalret.evaluate.families.FAMILIES`), unknown ones after, sorted.

Usage::

    from legalret.evaluate.breakdown import DIMENSIONS, breakdown, breakdown_markdown

    # results: {retriever: [query_metrics(...) or None, ...]} aligned with queries (EvalQuery objects whose
    # extra carries "style", and "family" where known — otherwise the family comes from the gold keys)
    table = breakdown(queries, results, comparisons=[("default", "two-way")], n_resamples=1000, seed=0)
    print(breakdown_markdown(table, metrics=("recall@10", "mrr@10")))
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Union

from legalret.evaluate.families import FAMILIES, family_of_keys
from legalret.evaluate.metrics import aggregate, paired_bootstrap_diff

__all__ = ["STYLE_ORDER", "DIMENSIONS", "style_of", "family_of", "ordered_groups", "breakdown", "breakdown_markdown"]

#: Question styles, then dev holdings (``style`` = ``holding``).
STYLE_ORDER = ("short", "scenario", "keyword", "holding")
ALL = "all"


def style_of(query: Any) -> str | None:
    """The query's style (``extra["style"]``), None when it has none."""
    return query.extra.get("style")


def family_of(query: Any) -> str:
    """The query's law family: its ``extra["family"]`` label, else the family of its gold keys."""
    return query.extra.get("family") or family_of_keys(query.gold)


#: A dimension: (the group(s) of a query — a name, several, or None —, the order groups print in).
Dimension = tuple[Callable[[Any], Union[str, Iterable[str], None]], Sequence[str]]

#: name → dimension
DIMENSIONS: dict[str, Dimension] = {
    "style": (style_of, STYLE_ORDER),
    "family": (family_of, FAMILIES),
}


def ordered_groups(groups: Iterable[str], order: Sequence[str]) -> list[str]:
    """``groups`` in ``order``, the ones it does not list after, sorted."""
    groups = set(groups)
    return [g for g in order if g in groups] + sorted(groups - set(order))


def breakdown(
    queries: Sequence[Any],
    results: Mapping[str, Sequence[Mapping[str, float] | None]],
    *,
    dimensions: Mapping[str, Dimension] | None = None,
    comparisons: Sequence[tuple[str, str]] = (),
    n_resamples: int = 1000,
    seed: int = 0,
    all_column: bool = True,
) -> dict:
    """``{dimension: {group: {"queries", "retrievers": {name: aggregate}, "paired": {"a - b": {metric: diff}}}}}``.

    ``results[name][i]`` are the metrics of ``queries[i]`` (None: no gold the retriever could be scored on).
    A comparison ``(a, b)`` is reported where both are in ``results``, over the queries both scored."""
    for name, rows in results.items():
        if len(rows) != len(queries):
            raise ValueError(f"results[{name!r}] has {len(rows)} rows for {len(queries)} queries")
    out: dict = {}
    for dim, (group_of, order) in (dimensions or DIMENSIONS).items():
        members: dict[str, list[int]] = defaultdict(list)
        for i, q in enumerate(queries):
            groups = group_of(q)
            groups = [groups] if isinstance(groups, str) else list(groups or ())
            for group in groups:
                members[group].append(i)
            if groups and all_column:
                members[ALL].append(i)
        table = {}
        for group in ordered_groups(set(members) - {ALL}, order) + ([ALL] if ALL in members else []):
            idx = members[group]
            entry = {"queries": len(idx), "retrievers": {}, "paired": {}}
            for name, rows in results.items():
                entry["retrievers"][name] = aggregate([rows[i] for i in idx], n_resamples=n_resamples, seed=seed)
            for a, b in comparisons:
                if a in results and b in results:
                    pairs = [(results[a][i], results[b][i]) for i in idx if results[a][i] and results[b][i]]
                    entry["paired"][f"{a} - {b}"] = {
                        m: paired_bootstrap_diff([x[m] for x, _ in pairs], [y[m] for _, y in pairs],
                                                 n_resamples=n_resamples, seed=seed)
                        for m in pairs[0][0]
                    } if pairs else {}
            table[group] = entry
        out[dim] = table
    return out


def _cell(agg: Mapping[str, Any] | None) -> str:
    if not agg:
        return "–"
    return f"{agg['mean']:.3f} [{agg['ci_low']:.3f}, {agg['ci_high']:.3f}]"


def breakdown_markdown(table: Mapping[str, Any], metrics: Sequence[str] = ("recall@10", "mrr@10")) -> str:
    """One Markdown table per dimension and metric (rows: retrievers; columns: groups, with how many queries were
    scored), then the paired differences. A cell is ``mean [95% interval]``, ``–`` where nothing was scored."""
    out = []
    for dim, groups in table.items():
        if not groups:
            continue
        names = list(next(iter(groups.values()))["retrievers"])
        for metric in metrics:
            out.append(f"\n**{metric} per {dim}** (n = queries scored)\n")
            cols = [f"{g} (n={max((e['evaluated'] for e in groups[g]['retrievers'].values()), default=0)})"
                    for g in groups]
            out.append("| retriever | " + " | ".join(cols) + " |")
            out.append("|---|" + "---:|" * len(cols))
            for name in names:
                cells = [_cell(groups[g]["retrievers"][name]["metrics"].get(metric)) for g in groups]
                out.append(f"| {name} | " + " | ".join(cells) + " |")
        paired = [(g, label, per) for g, e in groups.items() for label, per in e["paired"].items() if per]
        if paired:
            out.append(f"\n**Paired differences per {dim}** (mean [95% interval]; p = share of resamples with no gain)\n")
            out.append(f"| comparison | {dim} | " + " | ".join(metrics) + " |")
            out.append("|---|---|" + "---:|" * len(metrics))
            for g, label, per in paired:
                out.append(f"| {label} | {g} | " + " | ".join(
                    f"{per[m]['mean']:+.3f} [{per[m]['ci_low']:+.3f}, {per[m]['ci_high']:+.3f}] p={per[m]['p_not_better']:.2f}"
                    if m in per else "–" for m in metrics) + " |")
    return "\n".join(out).lstrip("\n") + "\n"
