"""The any-law holdings dev set: 2020–2022 holdings citing live articles of any 법률 or 시행령, each labelled
with its law family and a fixed tune/report half.

Step 1 builds the holdings exactly as the 민법/상법 dev set is built (``legalret pairs``: same date split,
same case-group and duplicate rules), only over the all-acts-decrees corpus; step 2 (this script) adds

* ``family``: :func:`legalret.evaluate.families.family_of_keys` of the gold keys (형사, 노동, 임대차, 민사절차,
  행정, 세법, 가족, 민사·상사, 기타);
* ``split``: ``tune`` when ``crc32(case_no) % 2 == 0``, else ``report`` — every holding of one case lands in
  the same half, and the rule needs no list to be kept;

and prints the counts per family and half and the file's SHA-256 (docs/queries.md records them, so a rebuild
can be checked without committing 3 MB of decisions' text)::

    legalret pairs --corpus all-acts-decrees --no-synthetic --out out/pairs-all     # ~1.5 min
    .venv/bin/python benchmarks/queries/law_holdings.py out/pairs-all/dev_queries.jsonl \\
        --out out/pairs-all/law_holdings.jsonl

The output is a query file for ``legalret bench quality`` / ``benchmarks/style_eval.py --holdings`` (it keeps
``date`` and ``case_no``, so only earlier, other decisions vote).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zlib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from legalret.errors import SourceError
from legalret.evaluate.families import FAMILIES, family_of_keys
from legalret.pairs.build import read_jsonl, write_jsonl


def half_of(case_no: str) -> str:
    """The fixed half of a decision: ``tune`` or ``report`` by the parity of crc32(case number)."""
    return "tune" if zlib.crc32(case_no.encode("utf-8")) % 2 == 0 else "report"


def label(records: list[dict], path: str) -> list[dict]:
    """Each dev query with ``family`` and ``split`` added; a record without gold or case number is an error."""
    out = []
    for lineno, r in enumerate(records, 1):
        if not r.get("gold") or not r.get("case_no"):
            raise SourceError(path, "a holding query needs 'gold' and 'case_no' (a `legalret pairs` dev_queries.jsonl)",
                              line=lineno, field="gold" if not r.get("gold") else "case_no")
        out.append({**r, "family": family_of_keys(r["gold"]), "split": half_of(r["case_no"])})
    return out


def counts_table(records: list[dict]) -> str:
    """Markdown: holdings per family and half, plus the share with two or more gold articles."""
    by = Counter((r["family"], r["split"]) for r in records)
    multi = Counter(r["family"] for r in records if len(r["gold"]) > 1)
    rows = ["| family | tune | report | all | two or more gold |", "|---|---:|---:|---:|---:|"]
    for fam in FAMILIES:
        t, p = by[(fam, "tune")], by[(fam, "report")]
        if t + p:
            rows.append(f"| {fam} | {t:,} | {p:,} | {t + p:,} | {multi[fam]:,} |")
    t = sum(v for (_, s), v in by.items() if s == "tune")
    rows.append(f"| all | {t:,} | {len(records) - t:,} | {len(records):,} | {sum(multi.values()):,} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dev_queries", help="dev_queries.jsonl of `legalret pairs --corpus all-acts-decrees`.")
    ap.add_argument("--out", required=True, help="Labelled query file to write (JSONL).")
    args = ap.parse_args(argv)
    try:
        records = label(read_jsonl(args.dev_queries), args.dev_queries)
    except (SourceError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    n = write_jsonl(args.out, records)
    digest = hashlib.sha256(Path(args.out).read_bytes()).hexdigest()
    print(counts_table(records))
    print(f"wrote {n:,} holdings to {args.out} (sha256 {digest})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
