"""Where a precedent memory's decisions came from, and for which laws they were read.

A memory keeps only the holdings that cite an article of the index as it was when the decisions were read
(:mod:`legalret.memory.update`): after ``index add`` brings 형법 into a 민법+상법 index, the decisions citing 형법
are not in it — and 형사 questions got almost no votes (recall@10 0.695 → 0.927 once the decisions were read again,
``benchmarks/results/added_law_with_decisions.md``). So the memory records each archive it read (path, size and
modification time, the laws the index held then: :class:`SourceRecord`, in its ``meta.json`` and the manifest), and
an add that brings in a law those archives were not read for reads them again for it (:func:`reread_plan`) —
when they are still there, unchanged; a missing or changed archive is said, never read silently.

Usage::

    from legalret.memory.sources import DecisionSources, records_of

    given = DecisionSources(precedents=("precedent-kr.zip",), facts=("precedent-facts.zip",))
    memory.sources = records_of(given, laws={"민법", "상법"})        # what MemoryBuild records
    plan = reread_plan(memory.sources, laws={"민법", "상법", "형법"})
    plan.laws, plan.precedents, plan.problems                      # {'형법'}, ['/…/precedent-kr.zip'], []
"""

from __future__ import annotations

import glob as globlib
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable


@dataclass(frozen=True)
class DecisionSources:
    """The paths (files, folders, zips, globs) the decisions and their facts were given as (``--precedents``,
    ``--facts``): what a build or an add records with the memory."""

    precedents: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()


@dataclass
class SourceRecord:
    """One archive a memory read: ``kind`` ``precedents`` or ``facts``; ``path`` absolute; ``stamp`` its size and
    modification time (a folder's: file count, total size, newest time) when read; ``laws`` the index's laws then —
    the decisions citing only other laws were not kept."""

    kind: str
    path: str
    stamp: dict = field(default_factory=dict)
    laws: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "SourceRecord":
        return cls(kind=str(d["kind"]), path=str(d["path"]), stamp=dict(d.get("stamp") or {}),
                   laws=list(d.get("laws") or []))

    def problem(self) -> str | None:
        """Why this archive cannot be read again as the one recorded (None: it can): gone, or changed since."""
        path = Path(self.path)
        if not path.exists():
            return f"{self.path} is no longer there"
        if stamp(path) != self.stamp:
            return f"{self.path} changed since it was read"
        return None


def stamp(path: Path) -> dict:
    """A file's size and modification time; a folder's file count, total size and newest time (its files are the
    decisions; a changed one changes the stamp)."""
    if path.is_dir():
        files = size = newest = 0
        for root, _, names in os.walk(path):
            for name in names:
                st = os.stat(os.path.join(root, name))
                files, size, newest = files + 1, size + st.st_size, max(newest, st.st_mtime_ns)
        return {"files": files, "bytes": size, "mtime_ns": newest}
    st = path.stat()
    return {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns}


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """The absolute paths a source list names (a glob: what it matches now, in order), each once."""
    out: list[Path] = []
    for p in paths:
        text = os.path.expanduser(str(p))
        matched = sorted(globlib.glob(text)) if globlib.has_magic(text) else [text]
        for m in matched:
            resolved = Path(m).resolve()
            if resolved not in out and resolved.exists():
                out.append(resolved)
    return out


def records_of(given: DecisionSources, laws: Iterable[str]) -> list[SourceRecord]:
    """The records of ``given`` read against an index holding ``laws``."""
    shown = sorted(set(laws))
    return [SourceRecord(kind, str(path), stamp(path), shown)
            for kind, paths in (("precedents", given.precedents), ("facts", given.facts)) for path in expand(paths)]


def merged(recorded: Iterable[SourceRecord], new: Iterable[SourceRecord]) -> list[SourceRecord]:
    """``recorded`` with ``new`` in place of a record of the same kind and path (read again: its stamp and laws now)."""
    out = {(r.kind, r.path): r for r in recorded}
    out.update({(r.kind, r.path): r for r in new})
    return list(out.values())


def laws_not_read(recorded: Iterable[SourceRecord], laws: Iterable[str]) -> set[str]:
    """The index's ``laws`` that some recorded decision archive was read without (empty when nothing is recorded:
    an index from before the record says nothing here)."""
    want = set(laws)
    missing: set[str] = set()
    for r in recorded:
        if r.kind == "precedents":
            missing |= want - set(r.laws)
    return missing


@dataclass
class RereadPlan:
    """What an add reads again (:func:`reread_plan`): ``laws`` not read for, the archives to read (all decision
    archives lacking one of them and the facts archives with them), or the ``problems`` that stop it."""

    laws: set[str]
    precedents: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return bool(self.laws) and bool(self.precedents) and not self.problems


def reread_plan(recorded: Iterable[SourceRecord], laws: Iterable[str]) -> RereadPlan:
    """What to read again so that the memory holds the decisions citing every one of ``laws`` (the index's live
    laws): each decision archive read without one of them, and every facts archive (a decision read again is joined
    with its facts). A facts archive that is gone or changed is a problem too: the decisions would join without
    their facts, and the facts memory finds most of what scenario questions ask."""
    recorded = list(recorded)
    plan = RereadPlan(laws_not_read(recorded, laws))
    if not plan.laws:
        return plan
    for r in recorded:
        if r.kind == "facts" or not plan.laws <= set(r.laws):
            trouble = r.problem()
            if trouble:
                plan.problems.append(trouble)
            else:
                (plan.precedents if r.kind == "precedents" else plan.facts).append(r.path)
    return plan
