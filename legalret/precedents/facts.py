"""The facts of decisions (the opening of each decision's 이유), read and joined with the decisions' citations.

``precedent-facts.zip`` holds one JSON object per line::

    {"판례일련번호": "191733", "사건번호": "2000두1003", "선고일자": "2001-11-13", "법원등급": "대법원",
     "사건종류": "일반행정", "이유": "1. 원고 …"}          # 이유: the first ~1,500 characters of the reasons

The facts are how the courts tell what happened — the closest text we have to how people tell their own
story — so a memory over them answers scenario questions better than one over holdings
(``benchmarks/results/style_facts_memory.md``). The facts carry no citations: :func:`join` attaches each
decision's cited articles (the union over its holdings) by 판례일련번호, falling back to 사건번호.

A bad line (not JSON, a missing or empty field, a bad date) becomes a one-line warning naming
``file:line: field`` (a :class:`~legalret.errors.SourceError` passed to ``on_error``, else printed) and
is skipped; reading never aborts. A missing source path raises at once. A line whose 판례일련번호 is one decision's
and whose 사건번호 another's is skipped the same way by :func:`join` (it had replaced the other decision's facts).

Usage::

    from legalret.precedents.facts import read_facts, join
    from legalret.precedents.parse import read_precedents

    for rec in read_facts("precedent-facts.zip"):          # also .jsonl files and folders of them
        rec.serial, rec.case_no, rec.decided, rec.text
    for decision in join(read_facts("precedent-facts.zip"), read_precedents(["precedent-kr.zip"])):
        decision.facts.text, decision.keys                   # the facts + the articles the decision cites
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from legalret.errors import UNREADABLE, SourceError
from legalret.text import normalize

#: The JSONL fields (Korean, as shipped) → FactsRecord attributes.
FIELDS = {"serial": "판례일련번호", "case_no": "사건번호", "decided": "선고일자", "court_level": "법원등급",
          "case_type": "사건종류", "text": "이유"}
_REQUIRED = ("case_no", "decided", "text")


@dataclass
class FactsRecord:
    """One decision's facts text (the first part of its reasons)."""

    serial: str  # 판례일련번호 ('' when absent: then 사건번호 joins)
    case_no: str  # 사건번호
    decided: date  # 선고일자
    text: str  # 이유 (normalized)
    court_level: str = ""
    case_type: str = ""
    source: str = ""  # file:line


@dataclass
class JoinReport:
    """What :func:`join` left out: lines that could not be read (their :class:`SourceError` s passed along in the
    stream, as :func:`read_facts` gives them to an ``on_error`` that collects), lines naming two decisions, and
    facts of decisions that are not among the decisions (nothing says what they cite)."""

    skipped: list[SourceError] = field(default_factory=list)
    conflicts: list[SourceError] = field(default_factory=list)
    unjoined: int = 0

    @property
    def left_out(self) -> list[SourceError]:
        """The lines left out, each with why: unread ones, then those naming two decisions."""
        return self.skipped + self.conflicts


def case_key(case_no: str) -> str:
    """A 사건번호 as decisions are matched: without spaces (``2014다88383, 88390`` and ``2014다88383,88390`` are one
    decision — written both ways, it was stored twice and voted twice)."""
    return "".join(case_no.split())


def decision_key(case_no: str, court: str = "") -> tuple[str, str]:
    """What one decision is to the memories: its 사건번호 (:func:`case_key`) at its court. High courts number their
    cases alike — the shared archive holds 81 사건번호 for two courts' different decisions (``70나118`` at 서울고등법원
    and at 대구고등법원); keyed by the number alone, the one read later had replaced the other."""
    return case_key(case_no), "".join(court.split())


@dataclass
class FactsDecision:
    """A facts record joined with the decision it belongs to: what the facts memory stores."""

    facts: FactsRecord
    keys: list[str]  # resolved article keys cited by any holding of the decision (ordered, unique)
    citations: list[Any] = field(default_factory=list)  # the holdings' parsed citations (re-resolution)
    case_name: str = ""
    court: str = ""


def _warn(err: SourceError) -> None:
    from legalret.progress import console

    console.print(f"[yellow]skipped facts line:[/] {err}", highlight=False)


def _sources(sources: Iterable[str | Path] | str | Path) -> Iterator[tuple[str, Callable[[], Iterator[bytes]]]]:
    """(name, open-lines) for every .jsonl document (plain, or inside zips) under ``sources``."""
    from legalret.precedents.parse import iter_members  # (here: a search imports this module, never the parser)

    for name, opener in iter_members(sources, (".jsonl",)):
        # buffered: a zip member's own line iteration is slow on the 236 MB facts file
        yield name, (lambda opener=opener: iter(io.BufferedReader(opener())))


def parse_line(raw: bytes | str, where: str) -> FactsRecord:
    """One JSONL line → :class:`FactsRecord`; :class:`SourceError` naming ``where`` and the field otherwise."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as e:
        raise SourceError(where, f"not UTF-8 (byte {e.start})") from e
    try:
        rec = json.loads(text)
    except json.JSONDecodeError as e:
        raise SourceError(where, f"invalid JSON ({e.msg})") from e
    if not isinstance(rec, dict):
        raise SourceError(where, f"expected a JSON object, got {type(rec).__name__}")
    values = {}
    for attr, name in FIELDS.items():
        value = rec.get(name)
        if value is not None and not isinstance(value, (str, int)):
            raise SourceError(where, f"expected text, got {type(value).__name__}", field=name)
        values[attr] = normalize(str(value)) if value is not None else ""
        if attr in _REQUIRED and not values[attr]:
            raise SourceError(where, "missing or empty", field=name)
    try:
        decided = date.fromisoformat(values["decided"][:10])
    except ValueError:
        raise SourceError(where, f"not a date: {values['decided']!r}", field=FIELDS["decided"]) from None
    return FactsRecord(values["serial"], values["case_no"], decided, values["text"],
                       values["court_level"], values["case_type"], where)


def read_facts(
    sources: Iterable[str | Path] | str | Path,
    *,
    on_error: Callable[[SourceError], None] | None = None,
    limit: int | None = None,
) -> Iterator[FactsRecord]:
    """Stream :class:`FactsRecord` s from JSONL files, zips of them and folders; bad lines are reported
    (``on_error``, default: a one-line warning) and skipped."""
    report = on_error or _warn
    produced = 0
    for name, lines in _sources(sources):
        lineno = 0
        try:
            for lineno, raw in enumerate(lines(), 1):
                if not raw.strip():
                    continue
                try:
                    rec = parse_line(raw, f"{name}:{lineno}")
                except SourceError as e:
                    report(e)
                    continue
                yield rec
                produced += 1
                if limit is not None and produced >= limit:
                    return
        except UNREADABLE as e:  # (a zip member with a bad CRC was a traceback that ended the batch)
            report(SourceError(name, f"cannot read past line {lineno} ({type(e).__name__}: {e}); the lines before "
                                     "were read", line=lineno + 1))


def _get(obj: Any, name: str, default: Any = None) -> Any:
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def decision_keys(decision: Any) -> tuple[list[str], list[Any]]:
    """The union of a decision's holdings' resolved keys (in order) and their citations."""
    keys: dict[str, None] = {}
    citations: list[Any] = []
    for holding in _get(decision, "holdings", None) or []:
        keys.update(dict.fromkeys(_get(holding, "keys", None) or []))
        citations.extend(_get(holding, "citations", None) or [])
    return list(keys), citations


def _same_decision(case_no: str, other: str) -> bool:
    """Whether two 사건번호 fields name one decision: equal but for spaces, or sharing a case number (a source may
    write ``2000므1257(본소), 1264(반소)`` where another writes ``2000므1257``)."""
    if case_key(case_no) == case_key(other):
        return True
    from legalret.precedents.parse import case_numbers  # (only here: a search never joins facts)

    return bool(case_numbers(case_no) & case_numbers(other))


def join(facts: Iterable[FactsRecord | SourceError], decisions: Iterable[Any],
         report: JoinReport | None = None) -> Iterator[FactsDecision]:
    """The facts of ``decisions`` (:class:`~legalret.precedents.parse.Precedent` s or dicts with ``serial``,
    ``case_no``, ``holdings: [{keys, citations}]``), joined by 판례일련번호, else by 사건번호 (:func:`case_key`).
    Facts of a decision that is not among ``decisions`` are dropped (nothing says what they cite); a later record of
    the same decision wins; a record whose 판례일련번호 is a decision with another 사건번호 is a conflict, skipped
    (stored under its own 사건번호 it had replaced that decision's facts with another's keys). ``decisions`` is read
    whole first (only keys and citations are kept). What is left out is counted in ``report`` (without one, a
    conflict is a printed warning like a bad line)."""
    warn = report is None
    report = report if report is not None else JoinReport()
    by_serial: dict[str, tuple] = {}
    by_case: dict[str, tuple] = {}
    for d in decisions:
        keys, citations = decision_keys(d)
        case_no = normalize(str(_get(d, "case_no", "") or ""))
        entry = (keys, citations, normalize(str(_get(d, "case_name", "") or "")), normalize(str(_get(d, "court", "") or "")),
                 case_no)
        serial = str(_get(d, "serial", "") or "")
        if serial:
            by_serial[serial] = entry
        if case_no:
            by_case[case_key(case_no)] = entry
    for rec in facts:
        if isinstance(rec, SourceError):  # a line the reader could not use, passed along in the stream
            report.skipped.append(rec)
            continue
        entry = by_serial.get(rec.serial) if rec.serial else None
        if entry is not None and not _same_decision(entry[4], rec.case_no):
            conflict = SourceError(rec.source or rec.case_no, f"판례일련번호 {rec.serial} is {entry[4]} among the decisions, "
                                   f"not {rec.case_no}: skipped (which decision these facts tell is unclear)",
                                   field=FIELDS["case_no"])
            report.conflicts.append(conflict)
            if warn:
                _warn(conflict)
            continue
        if entry is None:
            entry = by_case.get(case_key(rec.case_no))
        if entry is None:
            report.unjoined += 1
            continue
        keys, citations, case_name, court, _ = entry
        yield FactsDecision(rec, list(keys), list(citations), case_name, court)
