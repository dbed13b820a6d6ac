"""Check a dev question set against the statute text, and print it for reading.

Fails (exit 1) when a line is malformed, a qid repeats, a law a gold key names is not in the statutes archive,
a gold key is not an article of it or is a deleted one, a stratum's tune/report halves are unbalanced (a style;
a family and style where the questions carry a ``family``), or a query repeats a long stretch of its gold
article's wording (``--max-copy`` characters, spaces ignored: questions are written the way people ask, never
copied from the text they should find). The laws read are those the gold keys name (민법/상법 for
``user_questions.jsonl``; 형법, 근로기준법 시행령, … for ``law_questions.jsonl``). ``--show`` prints every
question with its gold articles' titles (and ``--body`` their opening text) so that a reader can confirm each
gold key answers its question.

    .venv/bin/python benchmarks/queries/check.py                      # user_questions.jsonl: checks + summary
    .venv/bin/python benchmarks/queries/check.py --show --style scenario
    .venv/bin/python benchmarks/queries/check.py --show --body --qid sc-014
    .venv/bin/python benchmarks/queries/check.py benchmarks/queries/law_questions.jsonl --show --family 노동
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from difflib import SequenceMatcher
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from legalret.errors import SourceError
from legalret.evaluate.questions import (
    check_gold,
    read_questions,
    split_balance_problems,
    summary,
)
from legalret.keys import law_of

DEFAULT_FILE = ROOT / "benchmarks" / "queries" / "user_questions.jsonl"
DEFAULT_STATUTES = ROOT.parent / "shared" / "data" / "statutes" / "legalize-kr.zip"
MAX_COPY = 16  # a shared run of 16+ characters (spaces ignored) is copied wording, not a person's question


def copy_problems(questions, by_key: dict, max_copy: int) -> list[str]:
    """Queries that share ``max_copy`` or more consecutive characters (spaces ignored) with a gold article."""
    out = []
    for q in questions:
        query = re.sub(r"\s+", "", q.query)
        for key in q.gold:
            if key not in by_key:
                continue
            body = re.sub(r"\s+", "", by_key[key].body_text())
            m = SequenceMatcher(None, query, body, autojunk=False).find_longest_match(0, len(query), 0, len(body))
            if m.size >= max_copy:
                out.append(f"line {q.line} ({q.qid}): repeats {m.size} characters of {key}: {query[m.a:m.a + m.size]!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", default=str(DEFAULT_FILE))
    ap.add_argument("--statutes", default=str(DEFAULT_STATUTES), help="legalize-kr.zip (or any statute source).")
    ap.add_argument("--show", action="store_true", help="Print every question with its gold articles' titles.")
    ap.add_argument("--body", action="store_true", help="With --show: also the first 160 characters of each article.")
    ap.add_argument("--style", help="With --show: only this style.")
    ap.add_argument("--qid", help="With --show: only this question.")
    ap.add_argument("--family", help="With --show: only this law family (형사, 노동, …).")
    ap.add_argument("--max-copy", type=int, default=MAX_COPY,
                    help=f"Longest run of article wording a query may repeat, spaces ignored (default {MAX_COPY}).")
    args = ap.parse_args(argv)

    try:
        questions = read_questions(args.file)
    except SourceError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    from legalret.ingest.sources import ingest

    laws = sorted({law_of(key) for q in questions for key in q.gold})  # keys normalized by read_questions
    articles = ingest([args.statutes], laws=laws).articles
    if not articles:
        print(f"error: no articles of {', '.join(laws)} read from {args.statutes}", file=sys.stderr)
        return 1
    by_key = {a.key: a for a in articles}
    if args.show:
        for q in questions:
            if ((args.style and q.style != args.style) or (args.qid and q.qid != args.qid)
                    or (args.family and q.family != args.family)):
                continue
            family = f" {q.family}" if q.family else ""
            print(f"[{q.qid}{family} {q.style}/{q.split}] {q.query}")
            for key in q.gold:
                art = by_key.get(key)
                title = "MISSING" if art is None else (art.title or "(no title)") + (" [삭제]" if art.deleted else "")
                print(f"    {key} ({title})")
                if args.body and art is not None:
                    print("        " + art.body_text().replace("\n", " ")[:160])
    absent = sorted(set(laws) - {a.law for a in articles})
    problems = [f"law {law!r} is not in {args.statutes} (gold keys use the promulgated name, e.g. "
                "'주택임대차보호법 시행령')" for law in absent]
    problems += check_gold(questions, articles) + split_balance_problems(questions)
    problems += copy_problems(questions, by_key, args.max_copy)
    print(json.dumps(summary(questions), ensure_ascii=False))
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {args.file}", file=sys.stderr)
        return 1
    print(f"ok: {len(questions)} questions, every gold key is a live article ({len(laws)} laws: {', '.join(laws)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
