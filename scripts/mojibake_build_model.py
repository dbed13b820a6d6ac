"""Build the character n-gram model that chooses among mojibake repair candidates.

Trains on all legal prose the project has, minus what the benchmark holds out:

* statutes of the legalize-kr mirror, **excluding** the held-out laws (``is_held_out``: sha1 of the law
  folder name, first byte % 10 == 0);
* precedent holdings (판시사항, 판결요지 of ``precedent-kr.zip``) and the 이유 openings of
  ``precedent-facts.zip`` (every ``--facts-every``-th line) of decisions **before 2020-01-01** only;
  2020–2022 holdings are the benchmark's second held-out set.

``benchmarks/mojibake_repair.py`` measures both held-out sets. Writes ``legalret/data/mojibake_lm.npz``
(≤ 10 MB: it ships in the package).

Usage::

    .venv/bin/python scripts/mojibake_build_model.py                      # shared data, default settings
    .venv/bin/python scripts/mojibake_build_model.py --zip PATH --out FILE --order 5 --min-counts 1,2,2,3,3
    .venv/bin/python scripts/mojibake_build_model.py --no-precedents          # statutes only (the old model)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from legalret.config import shared_data_dir
from legalret.ingest.mojibake import DEFAULT_MODEL_PATH, CharNgramModel, statute_lines
from legalret.ingest.mojibake.corpus import TRAIN_BEFORE, fact_lines, holding_lines
from legalret.progress import console


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    data = shared_data_dir()
    ap.add_argument("--zip", type=Path, default=data / "statutes" / "legalize-kr.zip" if data else None,
                    help="legalize-kr mirror zip (default: shared data)")
    ap.add_argument("--precedents", type=Path,
                    default=data / "precedents" / "precedent-kr.zip" if data else None,
                    help="precedent-kr zip (holdings; decisions before 2020 only)")
    ap.add_argument("--facts", type=Path, default=data / "precedents" / "precedent-facts.zip" if data else None,
                    help="precedent-facts zip (이유 openings; decisions before 2020 only)")
    ap.add_argument("--facts-every", type=int, default=2, help="use every N-th fact line (memory/size)")
    ap.add_argument("--no-precedents", action="store_true", help="statutes only")
    ap.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH)
    ap.add_argument("--order", type=int, default=5)
    ap.add_argument("--min-counts", default="1,1,2,4,6",
                    help="per order m=1..N: keep m-grams seen at least this often (controls model size)")
    ap.add_argument("--max-lines", type=int, default=0, help="use only the first N lines (0: all)")
    ap.add_argument("--max-mb", type=float, default=10.0, help="fail if the written model is larger")
    args = ap.parse_args(argv)
    if args.zip is None or not args.zip.is_file():
        console.print(f"error: legalize-kr zip not found: {args.zip}")
        return 1
    min_counts = [int(x) for x in args.min_counts.split(",")]
    if len(min_counts) != args.order:
        console.print(f"error: --min-counts needs {args.order} values")
        return 1
    t0 = time.time()
    lines, laws = [], set()
    for law, line in statute_lines(args.zip, split="train"):
        lines.append(line)
        laws.add(law)
        if args.max_lines and len(lines) >= args.max_lines:
            break
    statute_chars = sum(len(x) for x in lines)
    n_statute_lines = len(lines)
    holdings = facts = 0
    holding_chars = fact_chars = 0
    if not args.no_precedents:
        if args.precedents and args.precedents.is_file():
            for _, line in holding_lines(args.precedents, split="train"):
                lines.append(line)
                holdings += 1
                holding_chars += len(line)
        if args.facts and args.facts.is_file():
            for i, (_, line) in enumerate(fact_lines(args.facts, split="train")):
                if i % max(args.facts_every, 1) == 0:
                    lines.append(line)
                    facts += 1
                    fact_chars += len(line)
    chars = statute_chars + holding_chars + fact_chars
    console.print(f"training text: {len(laws)} laws (held-out laws excluded), {n_statute_lines:,} statute lines "
                  f"({statute_chars:,} chars); {holdings:,} holding lines ({holding_chars:,} chars) and {facts:,} "
                  f"fact lines ({fact_chars:,} chars) of decisions before {TRAIN_BEFORE} "
                  f"({time.time() - t0:.0f}s)")
    model = CharNgramModel.train(lines, order=args.order, min_counts=min_counts)
    sizes = model.ngram_counts
    meta = {"order": args.order, "min_counts": min_counts, "laws": len(laws), "lines": len(lines),
            "chars": chars, "ngrams": sizes, "held_out": "sha1(law folder)[0] % 10 == 0",
            "source": str(args.zip.name),
            "statute_lines": n_statute_lines, "statute_chars": statute_chars,
            "holding_lines": holdings, "holding_chars": holding_chars, "fact_lines": facts, "fact_chars": fact_chars,
            "fact_every": args.facts_every, "precedents_before": TRAIN_BEFORE,
            "precedent_sources": [] if args.no_precedents else
            [p.name for p in (args.precedents, args.facts) if p and p.is_file()]}
    model.save(args.out, meta=meta)
    mb = args.out.stat().st_size / 1e6
    console.print(f"wrote {args.out} ({mb:.2f} MB; vocab {len(model.vocab)}; n-grams per order {sizes}) "
                  f"in {time.time() - t0:.0f}s")
    if mb > args.max_mb:
        console.print(f"error: model is {mb:.2f} MB > {args.max_mb} MB: raise --min-counts")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
