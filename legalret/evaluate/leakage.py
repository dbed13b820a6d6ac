"""Honest evaluation by construction: which precedents may vote for each query of a benchmark.

The precedent memory votes for the articles that similar earlier decisions cited. Evaluated on a
decision's own holding, a memory that holds that decision (or later ones) answers from the key: the
main job's index once reported recall@10 1.000 that way. So before any run that uses the memory, the
benchmark plans, per query, a ``before`` date (only decisions strictly earlier vote) and an ``exclude``
case number (the decision itself never votes):

* a query line with ``"date": "YYYY-MM-DD"`` (or ``"decided"``, as older ``legalret pairs`` files have it;
  optionally ``"case_no"``) gets exactly those;
* an undated query gets ``default_before`` when one is given (``--before 2020-01-01``: the memory votes
  only with decisions before the dev period, e.g. for hand-written questions);
* otherwise, when the memory is used and holds any decision, the run is refused with
  :class:`LeakageError` — unless ``allow_leakage=True``, which runs unfiltered and labels the report
  (``settings["leakage"]["label"]``, printed on every table).

Usage::

    from legalret.evaluate.leakage import plan_leakage
    plan = plan_leakage(searcher, queries, modes=("hybrid",), default_before="2020-01-01")
    searcher.search_batch(texts, 10, before=plan.before, exclude=plan.exclude)
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from legalret.errors import LegalretError

MEMORY_MODES = ("memory", "hybrid", "convex", "rrf")  # Searcher modes that let the memory vote
LEAKAGE_LABEL = "LEAKAGE NOT PREVENTED (--allow-leakage): the memory may hold these queries' own decisions or later ones"


class LeakageError(LegalretError):
    """The run would let a query's own (or a later) decision vote; the message says how to run honestly."""


@dataclass
class LeakagePlan:
    policy: str  # 'no-memory' | 'filtered' | 'allowed'
    before: list[str | None]
    exclude: list[str | None]
    memory_range: tuple[str | None, str | None] | None = None
    dated: int = 0  # queries with their own date
    defaulted: int = 0  # undated queries given default_before
    undated: int = 0  # queries with neither (only under 'allowed')
    label: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def filters(self) -> bool:
        return any(b is not None for b in self.before) or any(e is not None for e in self.exclude)

    def to_dict(self) -> dict:
        return {
            "policy": self.policy,
            "memory_decided": list(self.memory_range) if self.memory_range else None,
            "dated_queries": self.dated,
            "default_before_queries": self.defaulted,
            "unfiltered_queries": self.undated,
            "label": self.label,
            "notes": self.notes,
        }


def parse_date(value: Any, where: str = "date") -> str:
    """``YYYY-MM-DD`` (a ``date`` or text starting with it) → ISO text; ValueError naming ``where``."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10]).isoformat()
        except ValueError:
            pass
    raise ValueError(f"{where}: not a YYYY-MM-DD date: {value!r}")


def memory_of(searcher: Any) -> Any:
    """The precedent memory behind ``searcher`` (a Searcher, a MemoryVoter or a PrecedentMemory), or None."""
    obj = searcher
    for _ in range(3):
        if obj is None:
            return None
        if hasattr(obj, "decided_ord"):
            return obj
        try:
            obj = getattr(obj, "memory", None)
        except LegalretError:
            return None
    return None


def memory_date_range(searcher: Any) -> tuple[str | None, str | None] | None:
    """(earliest, latest) decision date of the memory a searcher votes with; None when it has none.

    Read from the index manifest (``manifest["memory"]["decided_min"/"decided_max"]``) when recorded,
    else from the memory's items."""
    manifest = getattr(searcher, "manifest", None)
    if isinstance(manifest, Mapping) and isinstance(manifest.get("memory"), Mapping):
        m = manifest["memory"]
        if m.get("decided_min") or m.get("decided_max"):
            return (m.get("decided_min"), m.get("decided_max"))
    mem = memory_of(searcher)
    if mem is None:
        return None
    ords = getattr(mem, "decided_ord", None)
    if ords is None or len(ords) == 0:
        return None
    return (date.fromordinal(int(min(ords))).isoformat(), date.fromordinal(int(max(ords))).isoformat())


def accepts_filters(retriever: Any) -> bool:
    """Whether ``retriever.search_batch`` (or ``search``) takes ``before=`` and ``exclude=``."""
    fn = getattr(retriever, "search_batch", None) or getattr(retriever, "search", None)
    if fn is None:
        return False
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return ("before" in params and "exclude" in params) or any(p.kind is p.VAR_KEYWORD for p in params.values())


def voting_modes(searcher: Any, modes: Sequence[str]) -> list[str]:
    """Modes of this run in which a memory votes."""
    if isinstance(searcher, Mapping):
        return [m for m in modes if m in searcher and memory_of(searcher[m]) is not None]
    if not any(m in MEMORY_MODES for m in modes):
        return []
    return [m for m in modes if m in MEMORY_MODES] if memory_of(searcher) is not None else []


def plan_leakage(
    searcher: Any,
    queries: Sequence[Any],
    modes: Sequence[str],
    *,
    default_before: str | date | None = None,
    allow_leakage: bool = False,
) -> LeakagePlan:
    """Decide ``before``/``exclude`` per query (see module docs); raises :class:`LeakageError` when the
    run cannot be made honest and ``allow_leakage`` is False."""
    n = len(queries)
    voting = voting_modes(searcher, modes)
    if not voting:
        return LeakagePlan("no-memory", [None] * n, [None] * n)
    rng = memory_date_range(searcher)
    default = parse_date(default_before, "--before") if default_before is not None else None
    before: list[str | None] = []
    exclude: list[str | None] = []
    dated = defaulted = undated = 0
    for q in queries:
        extra = getattr(q, "extra", None) or {}
        own = extra.get("date") or extra.get("decided")  # older `legalret pairs` files carry only 'decided'
        case_no = extra.get("case_no")
        if own:
            before.append(parse_date(own, f"query {getattr(q, 'qid', '?')}: date"))
            dated += 1
        elif default:
            before.append(default)
            defaulted += 1
        else:
            before.append(None)
            undated += 1
        exclude.append(str(case_no).strip() if case_no else None)
    span = f"{rng[0]} … {rng[1]}" if rng else "unknown dates"
    plan = LeakagePlan("filtered", before, exclude, rng, dated, defaulted, undated)
    targets = [searcher[m] for m in voting] if isinstance(searcher, Mapping) else [searcher]
    if plan.filters and not all(accepts_filters(t) for t in targets):
        raise LeakageError(
            f"the searcher for mode(s) {', '.join(voting)} cannot restrict which precedents vote (no before=/exclude=); "
            "evaluate without the memory (mode bm25/dense) or update legalret"
        )
    if undated:
        if not allow_leakage:
            raise LeakageError(
                f"{undated} of {n} queries carry no 'date' and mode(s) {', '.join(voting)} let the precedent memory "
                f"vote (it holds decisions {span}): a query's own decision or later ones could vote. Add "
                "'date' (YYYY-MM-DD) and 'case_no' to each query line, pass --before YYYY-MM-DD to let only earlier "
                "decisions vote, evaluate modes without the memory, or pass --allow-leakage to run anyway (the "
                "report is then labelled)"
            )
        plan.policy = "allowed" if not (dated or defaulted) else "partly-allowed"
        plan.label = LEAKAGE_LABEL + f" ({undated} of {n} queries unfiltered; memory decisions {span})"
    if rng and rng[1] and any(b is not None for b in before):
        latest_query = max(b for b in before if b is not None)
        if latest_query <= (rng[0] or latest_query):
            plan.notes.append(f"every query predates the memory ({span}): the memory cannot vote at all")
    if defaulted and rng and rng[1] and default > rng[1]:
        # (the opposite mistake: --before 2999-01-01 was taken in silence, a run as leaky as --allow-leakage)
        which = "the query" if defaulted == 1 else f"the {defaulted} queries"
        plan.notes.append(f"--before {default} is after the memory's newest decision ({rng[1]}): for {which} without "
                          "a date it filters nothing, so their own decisions may vote")
    return plan
