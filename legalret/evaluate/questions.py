"""The hand-written dev question sets: schema, gold-key checks against the statute text, and style splits.

A question file (``benchmarks/queries/user_questions.jsonl``) is a query file (see
:mod:`legalret.evaluate.quality`) whose every line also carries a ``style`` and a fixed ``split``::

    {"qid": "sc-001", "query": "갑 주식회사는 …", "gold": ["상법 제64조", "민법 제174조"],
     "style": "scenario", "split": "tune"}

* ``style``: ``short`` (a plain question), ``scenario`` (a background paragraph with 갑/을/병 and dates
  or amounts, then one or two questions), ``keyword`` (a few terms).
* ``split``: ``tune`` (may be used to fit or choose anything) or ``report`` (numbers are reported on it,
  nothing is fitted on it). Fixed in the file; see docs/queries.md for how it was drawn.
* ``family`` (optional; ``law_questions.jsonl`` has it on every line): the law family the question is about,
  one of :data:`legalret.evaluate.families.FAMILIES`. Where present, the halves are stratified per
  (family, style) rather than per style.

Usage::

    from legalret.evaluate.questions import read_questions, check_gold
    from legalret.ingest.sources import ingest

    questions = read_questions("benchmarks/queries/user_questions.jsonl")   # raises SourceError on bad lines
    articles = ingest(["../shared/data/statutes/legalize-kr.zip"], laws=["민법", "상법"]).articles
    problems = check_gold(questions, articles)   # [] when every gold key exists and is not deleted
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from legalret.errors import SourceError
from legalret.evaluate.families import FAMILIES
from legalret.keys import law_of, parse_key

STYLES = ("short", "scenario", "keyword")
SPLITS = ("tune", "report")
REQUIRED = ("qid", "query", "gold", "style", "split")


@dataclass(frozen=True)
class Question:
    qid: str
    query: str
    gold: tuple[str, ...]
    style: str
    split: str
    line: int
    family: str | None = None


def parse_question(record: object, path: str, lineno: int) -> Question:
    """One decoded JSON line → :class:`Question`, or :class:`SourceError` naming file, line and field."""
    if not isinstance(record, dict):
        raise SourceError(path, f"expected a JSON object, got {type(record).__name__}", line=lineno)
    for name in REQUIRED:
        if name not in record:
            raise SourceError(path, f"missing field {name!r}", line=lineno, field=name)
    query = record["query"]
    if not isinstance(query, str) or not query.strip():
        raise SourceError(path, "empty query text", line=lineno, field="query")
    gold = record["gold"]
    if not isinstance(gold, list) or not gold:
        raise SourceError(path, "gold must be a non-empty list of article keys", line=lineno, field="gold")
    keys = []
    for raw in gold:
        try:
            keys.append(parse_key(str(raw)).key)
        except ValueError as e:
            raise SourceError(path, str(e), line=lineno, field="gold") from None
    if len(set(keys)) != len(keys):
        raise SourceError(path, f"gold repeats a key: {gold}", line=lineno, field="gold")
    if record["style"] not in STYLES:
        raise SourceError(path, f"style {record['style']!r} is not one of {', '.join(STYLES)}", line=lineno, field="style")
    if record["split"] not in SPLITS:
        raise SourceError(path, f"split {record['split']!r} is not one of {', '.join(SPLITS)}", line=lineno, field="split")
    family = record.get("family")
    if family is not None and family not in FAMILIES:
        raise SourceError(path, f"family {family!r} is not one of {', '.join(FAMILIES)}", line=lineno, field="family")
    return Question(str(record["qid"]), query.strip(), tuple(keys), record["style"], record["split"], lineno, family)


def read_questions(path: str | os.PathLike) -> list[Question]:
    """Every question of ``path``; the first bad line (or a repeated qid) raises :class:`SourceError`."""
    path = str(path)
    if not Path(path).is_file():
        raise SourceError(path, "question file not found")
    out: list[Question] = []
    seen: dict[str, int] = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise SourceError(path, f"not valid JSON ({e.msg} at column {e.colno})", line=lineno) from None
            q = parse_question(record, path, lineno)
            if q.qid in seen:
                raise SourceError(path, f"qid {q.qid!r} already used on line {seen[q.qid]}", line=lineno, field="qid")
            seen[q.qid] = lineno
            out.append(q)
    if not out:
        raise SourceError(path, "no questions")
    return out


def check_gold(questions: Iterable[Question], articles: Iterable) -> list[str]:
    """One line per gold key that is not an article of ``articles`` or is a deleted (삭제) one."""
    by_key = {a.key: a for a in articles}
    problems = []
    for q in questions:
        for key in q.gold:
            art = by_key.get(key)
            if art is None:
                problems.append(f"line {q.line} ({q.qid}): gold {key} is not in the statutes")
            elif art.deleted:
                problems.append(f"line {q.line} ({q.qid}): gold {key} is a deleted article (삭제)")
    return problems


def summary(questions: Sequence[Question]) -> dict:
    """Counts per style and split, and the share needing two or more articles (overall and per style)."""
    multi = [q for q in questions if len(q.gold) > 1]
    return {
        "questions": len(questions),
        "per_style": dict(Counter(q.style for q in questions)),
        "per_style_split": {f"{s}/{p}": n for (s, p), n in sorted(Counter((q.style, q.split) for q in questions).items())},
        "multi_article": len(multi),
        "multi_article_share": round(len(multi) / len(questions), 3) if questions else 0.0,
        "multi_per_style": dict(Counter(q.style for q in multi)),
        "laws": dict(Counter(law_of(k) for q in questions for k in q.gold)),
        **({"per_family": dict(Counter(q.family for q in questions)),
            "multi_per_family": dict(Counter(q.family for q in multi))}
           if any(q.family for q in questions) else {}),
    }


def split_balance_problems(questions: Sequence[Question], tolerance: int = 1) -> list[str]:
    """Strata whose tune and report halves differ by more than ``tolerance`` questions: a stratum is a style,
    or a (family, style) pair for questions that carry a family."""
    counts = Counter((q.family or "", q.style, q.split) for q in questions)
    out = []
    for family, style in sorted({(q.family or "", q.style) for q in questions}):
        tune, report = counts[(family, style, "tune")], counts[(family, style, "report")]
        if abs(tune - report) > tolerance:
            name = f"{family}/{style}" if family else f"style {style}"
            out.append(f"{name}: tune {tune} vs report {report} (not stratified)")
    return out
