"""Check a question file about any Korean law against the statute text, and print it for reading.

The law-question files (``law_questions_*.jsonl``) are question files like ``user_questions.jsonl``
(``qid``, ``query``, ``gold``, ``style``, ``split``; see docs/queries.md) with one more field, ``family``
(형사, 노동, 임대차, 민사절차, 행정, 세법, 가족, 기타). Their gold keys may name any act or decree
(``주택임대차보호법 시행령 제10조``), so this checker reads from the statutes archive exactly the laws the
gold keys name. It fails (exit 1) when

* a line is malformed or a qid repeats (the first bad line stops the run, naming file, line and field);
* a qid is not ``law-<family code>-<NNN>`` or ``family`` is missing or unknown;
* a gold key names a law that is not in the archive, or an article that is not there or is deleted (삭제);
* a scenario lacks 갑/을 or a background of at least 60 characters, or a keyword query has a question
  mark or more than 8 words — the shape rules ``tests/test_evaluate_questions.py`` holds
  ``user_questions.jsonl`` to;
* the split does not follow the documented rule: within each (family, style), in file order, tune / report
  alternate, tune first;
* a query repeats a long stretch of its gold article's wording (``--max-copy`` characters, spaces
  ignored): questions are written the way people ask, never copied from the text they should find.

Every question is printed with its gold articles' titles (``--body``: also their opening text), which
is how each gold key is read against its question; ``--quiet`` prints only the summary and the problems.

    .venv/bin/python benchmarks/queries/check_law_questions.py benchmarks/queries/law_questions_b.jsonl
    .venv/bin/python benchmarks/queries/check_law_questions.py FILE --quiet               # checks + summary
    .venv/bin/python benchmarks/queries/check_law_questions.py FILE --family 임대차 --style scenario
    .venv/bin/python benchmarks/queries/check_law_questions.py FILE --body --qid law-lease-014
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from legalret.config import default_mirror
from legalret.errors import SourceError
from legalret.evaluate.questions import STYLES, Question, check_gold, read_questions, summary
from legalret.keys import parse_key

FAMILIES = ("형사", "노동", "임대차", "민사절차", "행정", "세법", "가족", "기타")
QID = re.compile(r"^law-[a-z]+-\d{3}$")
MAX_COPY = 16  # a shared run of 16+ characters (spaces ignored) is copied wording, not a person's question


def read_families(path: str) -> dict[str, str]:
    """qid → family for every line (read_questions has already validated the rest of each line)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            record = json.loads(line)
            if "family" not in record:
                raise SourceError(path, "missing field 'family'", line=lineno, field="family")
            family = record["family"]
            if family not in FAMILIES:
                raise SourceError(path, f"family {family!r} is not one of {', '.join(FAMILIES)}",
                                  line=lineno, field="family")
            out[str(record["qid"])] = family
    return out


def shape_problems(questions: list[Question]) -> list[str]:
    """qid format, and scenarios / keyword queries that do not have their style's shape."""
    out = []
    for q in questions:
        where = f"line {q.line} ({q.qid})"
        if not QID.match(q.qid):
            out.append(f"{where}: qid should look like law-lease-001")
        if q.style == "scenario" and not (("갑" in q.query or "을" in q.query) and len(q.query) >= 60):
            out.append(f"{where}: a scenario needs 갑/을 and a background of at least 60 characters")
        if q.style == "keyword" and ("?" in q.query or len(q.query.split()) > 8):
            out.append(f"{where}: a keyword query has no question mark and at most 8 words")
    return out


def split_rule_problems(questions: list[Question], families: dict[str, str]) -> list[str]:
    """The documented rule: within each (family, style), in file order, tune / report alternate, tune first."""
    out = []
    seen: Counter = Counter()
    for q in questions:
        group = (families[q.qid], q.style)
        want = "tune" if seen[group] % 2 == 0 else "report"
        seen[group] += 1
        if q.split != want:
            out.append(f"line {q.line} ({q.qid}): split {q.split!r}, the rule gives {want!r} "
                       f"({group[0]} {q.style} question no. {seen[group]} in file order)")
    return out


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def copy_problems(questions: list[Question], by_key: dict, max_copy: int) -> list[str]:
    """Queries that share ``max_copy`` or more consecutive characters with a gold article's text."""
    out = []
    for q in questions:
        query = _squeeze(q.query)
        for key in q.gold:
            art = by_key.get(key)
            if art is None:
                continue
            body = _squeeze(art.body_text())
            m = SequenceMatcher(None, query, body, autojunk=False).find_longest_match(0, len(query), 0, len(body))
            if m.size >= max_copy:
                out.append(f"line {q.line} ({q.qid}): repeats {m.size} characters of {key}: "
                           f"{query[m.a:m.a + m.size]!r}")
    return out


def family_summary(questions: list[Question], families: dict[str, str]) -> dict:
    per = Counter(families[q.qid] for q in questions)
    multi = Counter(families[q.qid] for q in questions if len(q.gold) > 1)
    styles = Counter((families[q.qid], q.style) for q in questions)
    splits = Counter((families[q.qid], q.split) for q in questions)
    return {f: {"questions": n, "multi_article": multi[f],
                **{s: styles[(f, s)] for s in STYLES},
                "tune/report": f"{splits[(f, 'tune')]}/{splits[(f, 'report')]}"}
            for f, n in per.items()}


def show(questions: list[Question], families: dict[str, str], by_key: dict, args) -> None:
    for q in questions:
        if ((args.style and q.style != args.style) or (args.qid and q.qid != args.qid)
                or (args.family and families[q.qid] != args.family)):
            continue
        print(f"[{q.qid} {families[q.qid]} {q.style}/{q.split}] {q.query}")
        for key in q.gold:
            art = by_key.get(key)
            title = "MISSING" if art is None else (art.title or "(no title)") + (" [삭제]" if art.deleted else "")
            print(f"    {key} ({title})")
            if args.body and art is not None:
                print("        " + art.body_text().replace("\n", " ")[:args.body_chars])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", help="A law-questions JSONL file.")
    ap.add_argument("--statutes", default=None, help="legalize-kr.zip or any statute source "
                    "(default: the shared mirror, $LEGALRET_MIRROR or $LEGALRET_DATA/statutes/legalize-kr.zip).")
    ap.add_argument("--quiet", action="store_true", help="Print only the summary and the problems, not the questions.")
    ap.add_argument("--body", action="store_true", help="Also print the opening text of each gold article.")
    ap.add_argument("--body-chars", type=int, default=200, help="With --body: how many characters (default 200).")
    ap.add_argument("--style", choices=STYLES, help="Print only this style's questions.")
    ap.add_argument("--family", choices=FAMILIES, help="Print only this family's questions.")
    ap.add_argument("--qid", help="Print only this question.")
    ap.add_argument("--max-copy", type=int, default=MAX_COPY,
                    help=f"Longest run of article wording a query may repeat, spaces ignored (default {MAX_COPY}).")
    args = ap.parse_args(argv)

    statutes = args.statutes or default_mirror()
    if statutes is None or not Path(statutes).exists():
        print(f"error: statutes archive not found ({statutes or 'set --statutes or LEGALRET_DATA'})", file=sys.stderr)
        return 1
    try:
        questions = read_questions(args.file)
        families = read_families(args.file)
    except SourceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1

    from legalret.ingest.sources import ingest

    laws = sorted({parse_key(k).law for q in questions for k in q.gold})
    result = ingest([str(statutes)], laws=laws)
    by_key = {a.key: a for a in result.articles}
    found = {a.law for a in result.articles}
    problems = [f"law {law!r} is not in {statutes} (gold keys use the promulgated name, e.g. '주택임대차보호법 시행령')"
                for law in laws if law not in found]
    problems += check_gold(questions, result.articles)
    problems += shape_problems(questions) + split_rule_problems(questions, families)
    problems += copy_problems(questions, by_key, args.max_copy)

    if not args.quiet:
        show(questions, families, by_key, args)
    print(json.dumps({**summary(questions), "per_family": family_summary(questions, families)}, ensure_ascii=False))
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {args.file}", file=sys.stderr)
        return 1
    print(f"ok: {len(questions)} questions, {len(laws)} laws; every gold key is a live article of {statutes}")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BrokenPipeError:  # the reader (`| head`) closed the pipe: stop quietly, as other filters do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1)
