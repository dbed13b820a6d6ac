"""Where a precedent memory's decisions came from, and for which laws they were read.

A memory keeps only the holdings that cite an article of the index as it was when the decisions were read
(:mod:`legalret.memory.update`): after ``index add`` brings 형법 into a 민법+상법 index, the decisions citing 형법
are not in it — and 형사 questions got almost no votes (recall@10 0.695 → 0.927 once the decisions were read again,
``benchmarks/results/added_law_with_decisions.md``). So the memory records each archive it read (path, size and
modification time, the laws the index held then: :class:`SourceRecord`, in its ``meta.json`` and the manifest), and
an add that brings in a law those archives were not read for reads them again for it (:func:`reread_plan`) —
when they are still there, unchanged; a missing or changed archive is said, never read silently. A file archive
also records the sha256 of its bytes (:func:`fingerprint`): one copied again with the same bytes (same size, a new
modification time — the shared ``precedent-kr.zip`` was) is still the archive that was read.

Usage::

    from legalret.memory.sources import DecisionSources, records_of

    given = DecisionSources(precedents=("precedent-kr.zip",), facts=("precedent-facts.zip",))
    memory.sources = records_of(given, laws={"민법", "상법"})        # what MemoryBuild records
    plan = reread_plan(memory.sources, laws={"민법", "상법", "형법"})
    plan.laws, plan.precedents, plan.problems                      # {'형법'}, ['/…/precedent-kr.zip'], []
"""

from __future__ import annotations

import glob as globlib
import hashlib
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
    the decisions citing only other laws were not kept; ``fingerprint`` a file's content then (:func:`fingerprint`;
    None for a folder, and in a record written before it was kept: the stamp alone tells, as it did)."""

    kind: str
    path: str
    stamp: dict = field(default_factory=dict)
    laws: list[str] = field(default_factory=list)
    fingerprint: str | None = None

    #: the last :meth:`problem` answer, with the record it was for (not a field: never written). ``index info``
    #: asks each record, and :func:`reread_plan` asks again — each a walk of a 72,000-file folder
    _checked = None

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["fingerprint"] is None:  # (a folder's record, an old one: written as before)
            del d["fingerprint"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "SourceRecord":
        return cls(kind=str(d["kind"]), path=str(d["path"]), stamp=dict(d.get("stamp") or {}),
                   laws=list(d.get("laws") or []), fingerprint=d.get("fingerprint") or None)

    def problem(self) -> str | None:
        """Why this archive cannot be read again as the one recorded (None: it can): gone, or changed since.

        The same size and modification time is the same archive (nothing is read); a file of the same size with
        another time is compared by content (its recorded :func:`fingerprint`), so a copy of the same bytes is
        read again; another size, or another time with no fingerprint (a folder, an older record), is a change.
        The answer is kept for this record object (records are read from the manifest for each command; a record
        whose path, stamp or fingerprint is changed is checked again)."""
        key = (self.path, sorted(self.stamp.items()), self.fingerprint)
        if self._checked is not None and self._checked[0] == key:
            return self._checked[1]
        answer = self._check()
        self._checked = (key, answer)
        return answer

    def _check(self) -> str | None:
        path = Path(self.path)
        if not path.exists():
            return f"{self.path} is no longer there"
        now = stamp(path)
        if now == self.stamp:
            return None
        same_size = now.keys() == self.stamp.keys() and now.get("bytes") == self.stamp.get("bytes")
        if same_size and self.fingerprint is not None and not path.is_dir():
            try:
                if fingerprint(path) == self.fingerprint:
                    return None
            except OSError as e:
                return f"{self.path} cannot be read ({e.strerror or e})"
        return f"{self.path} changed since it was read"


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


def fingerprint(path: Path) -> str | None:
    """A file archive's content: ``sha256:`` and the hash of its bytes (None for a folder).

    Computed once, when the record is made (:func:`records_of`), and again only for an archive whose size is the same
    and modification time not (:meth:`SourceRecord.problem`). The whole file is hashed, not a zip's member list
    (name, CRC-32, size from the central directory): on ``precedent-kr.zip`` (75 MB, 72,535 members) the sha256 took
    55 ms (read from the page cache; the file reads uncached in 36 ms), while ``zipfile.ZipFile`` alone took 500 ms to
    list the members — and the hash is exact, and the same for a zip, a JSONL file or any other file.

    A folder has none: telling its content would read each of its files (72,000 decisions) when recorded and
    whenever a time differs, where the stamp is one walk; a folder copied again (new times) is a change, as before."""
    if path.is_dir():
        return None
    with open(path, "rb") as f:
        return "sha256:" + hashlib.file_digest(f, "sha256").hexdigest()


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
    return [SourceRecord(kind, str(path), stamp(path), shown, fingerprint(path))
            for kind, paths in (("precedents", given.precedents), ("facts", given.facts)) for path in expand(paths)]


def merged(recorded: Iterable[SourceRecord], new: Iterable[SourceRecord]) -> list[SourceRecord]:
    """``recorded`` with ``new`` in place of a record of the same kind and path (read again: its stamp, fingerprint and
    laws now)."""
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
