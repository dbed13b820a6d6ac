"""Build ``legalret/data/numbering_since.tsv``: since when each law's articles carry today's numbers, read from the
courts' own citations.

A decision cites the law in force when it was decided, by the numbers of that text: ``근로기준법 제27조`` in a 1989
judgment is the old 해고 등의 제한 (today's 제23조), not today's 제27조 (해고사유 등의 서면통지) — 근로기준법 was
repealed and enacted anew in 1997 and wholly revised in 2007. Keyed by today's numbers, such a citation votes for the
wrong article and trains on the wrong pair. Later judgments that apply an old text say which one, in a note on the
citation: ``구 근로기준법(2007. 4. 11. 법률 제8372호로 전부 개정되기 전의 것) 제30조``. Every such note that names a
**whole** new text — ``전부 개정``, ``전문 개정``, ``폐지`` (a law of the same name enacted again), ``제정`` (a new law
under an old name) — dates a renumbering. This script reads them all from the precedents archive, resolves each law
name against the statutes mirror, and keeps per law the latest date that at least ``--min-decisions`` decisions give
(one decision's date may be a typo). :func:`legalret.precedents.citations.predates_numbering` then drops a plain
citation of that law by a decision decided before the date plus ``MARGIN_DAYS`` (a whole new text takes effect up to
a year after it is promulgated — 도로교통법 2005. 5. 31. → 2006. 6. 1. — and a decision in between applied the old
numbers; dropping a year of correct votes costs less than keeping wrong ones). Partial amendments that renumber a
few articles are not covered: no note says so.

Usage::

    python scripts/numbering_build_table.py --precedents ../shared/data/precedents/precedent-kr.zip \\
        --statutes ../shared/data/statutes/legalize-kr.zip
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "legalret" / "data" / "numbering_since.tsv"

#: '2007. 4. 11. 법률 제8372호로 전부 개정되기 전의 것', '1997. 3. 13. 법률 제5305호로 폐지되기 전의 것'
WHOLE_TEXT = re.compile(r"(\d{4})\s*\.\s*(\d{1,2})\s*\.\s*(\d{1,2})\s*\.?\s*(?:[가-힣]*령|법률)?\s*(?:제\s*\d+\s*호\s*로?)?\s*"
                        r"(전부\s*개정|전문\s*개정|폐지|제정)\s*(?:되기|하기)?\s*전")


def events(precedents: list[str], catalog) -> dict[str, dict[date, set[str]]]:
    """law → date → the decisions (case numbers) whose citations name a whole new text of that date."""
    from legalret.precedents.parse import read_precedents
    from legalret.progress import track

    found: dict[str, dict[date, set[str]]] = defaultdict(lambda: defaultdict(set))
    for p in track(read_precedents(precedents, on_error=lambda e: None), "decisions"):
        for h in p.holdings:
            for c in h.citations:
                if not c.former or not c.note:
                    continue
                law = catalog.law_names.resolve(c.law) if c.law else None
                m = WHOLE_TEXT.search(c.note)
                if law is None or m is None:
                    continue
                try:
                    when = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                except ValueError:
                    continue
                found[law][when].add(p.case_no)
    return found


#: An article heading of a legalize-kr statute file: what a file's head is cut after (:func:`_head`).
ARTICLE_HEADING = b"\n##### "


def _head(data: bytes) -> bytes:
    """The front matter and first two articles of a legalize-kr markdown file, else ``data`` whole.

    The table needs only the mirror's law names (a file's 제목), and the rest of a file's articles were ~90 % of
    the whole read (~20 s of parsing 139,800 articles). Kept whole where a head could read otherwise than the whole
    file: not UTF-8 (an encoding guessed from part of it), a git merge conflict (its side is chosen by the dates of the
    whole file), no third article heading to cut at. Two articles, not one: ingest leaves out a bare heading, and a
    head of one bare heading would have left its law out (:func:`naming_articles` then reads the mirror whole)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    if b"<<<<<<< " in data:
        return data
    first = data.find(ARTICLE_HEADING)
    second = data.find(ARTICLE_HEADING, first + 1) if first >= 0 else -1
    third = data.find(ARTICLE_HEADING, second + 1) if second >= 0 else -1
    return data[: third + 1] if third >= 0 else data


def naming_articles(statutes: str) -> list:
    """Articles of every law ``ingest([statutes])`` reads — the same law names — read by ingest itself from each
    markdown file's head (:func:`_head`): the same reading of 제목 and 법령구분, and of which of two texts of one law is
    kept (its dates, its folder). A law whose head keeps no article (its whole may keep one) or any error falls back
    to reading the mirror whole."""
    from legalret.ingest.sources import SourceFile, ingest, iter_sources
    from legalret.text import compact

    heads = []
    for src in iter_sources([statutes]):  # (read here: ingest lists its sources before it reads any, and the
        # archive is closed by then)
        data = src.read()
        if src.path.suffix.lower() in (".md", ".markdown"):
            data = _head(data)
        heads.append(SourceFile(src.name, lambda data=data: data, src.explicit, src.format))
    result = ingest(heads, on_error=lambda e: None)
    laws = {(compact(a.law), a.kind) for a in result.articles}
    if result.report.errors or len(laws) != result.report.laws:
        return ingest([statutes]).articles
    return result.articles


def table(found: dict, min_decisions: int, min_share: float) -> list[tuple[str, date, int, int]]:
    """(law, date, decisions giving it, decisions giving the law's most-given date), the latest date per law among
    those at least ``min_decisions`` decisions and ``min_share`` of the most-given date's decisions give (a date
    two decisions give where two hundred give another is more likely a partial amendment written as whole)."""
    rows = []
    for law, dated in sorted(found.items()):
        top = max(len(cases) for cases in dated.values())
        kept = [(when, len(cases)) for when, cases in dated.items()
                if len(cases) >= max(min_decisions, min_share * top)]
        if kept:
            when, n = max(kept)
            rows.append((law, when, n, top))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--precedents", nargs="+", required=True, help="precedent-kr.zip (or folders of decisions)")
    ap.add_argument("--statutes", required=True, help="the statutes mirror (legalize-kr.zip): the law names resolved")
    ap.add_argument("--min-decisions", type=int, default=2, help="decisions that must give a date for it to count")
    ap.add_argument("--min-share", type=float, default=0.1,
                    help="…and at least this share of the decisions that give the law's most-given date")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    from legalret.precedents.citations import ArticleCatalog

    catalog = ArticleCatalog.from_articles(naming_articles(args.statutes))
    rows = table(events(args.precedents, catalog), args.min_decisions, args.min_share)
    lines = ["# law\twhole new text promulgated\tdecisions giving this date\tdecisions giving the law's most-given date",
             "# Built by scripts/numbering_build_table.py from the notes of the courts' own citations "
             f"('구 X(… 전부 개정되기 전의 것)'): per law the latest date at least {args.min_decisions} decisions "
             f"and {args.min_share:.0%} of the most-given date's give; see its docstring."]
    lines += [f"{law}\t{when.isoformat()}\t{n}\t{top}" for law, when, n, top in rows]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} laws → {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
