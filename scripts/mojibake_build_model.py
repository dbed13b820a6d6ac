"""Build the character n-gram model that chooses among mojibake repair candidates.

Trains on the clean statute text of the legalize-kr mirror, **excluding** the held-out laws
(``legalret.ingest.mojibake.is_held_out``: sha1 of the law folder name, first byte % 10 == 0), which
``benchmarks/mojibake_repair.py`` uses for testing. Writes ``legalret/data/mojibake_lm.npz`` (≤ 5 MB).

Usage::

    .venv/bin/python scripts/mojibake_build_model.py                      # shared data, default settings
    .venv/bin/python scripts/mojibake_build_model.py --zip PATH --out FILE --order 5 --min-counts 1,2,2,3,3
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from legalret.config import shared_data_dir
from legalret.ingest.mojibake import DEFAULT_MODEL_PATH, CharNgramModel, statute_lines
from legalret.progress import console


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    data = shared_data_dir()
    ap.add_argument("--zip", type=Path, default=data / "statutes" / "legalize-kr.zip" if data else None,
                    help="legalize-kr mirror zip (default: shared data)")
    ap.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH)
    ap.add_argument("--order", type=int, default=5)
    ap.add_argument("--min-counts", default="1,1,2,3,4",
                    help="per order m=1..N: keep m-grams seen at least this often (controls model size)")
    ap.add_argument("--max-lines", type=int, default=0, help="use only the first N lines (0: all)")
    ap.add_argument("--max-mb", type=float, default=5.0, help="fail if the written model is larger")
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
    chars = sum(len(x) for x in lines)
    console.print(f"training text: {len(laws)} laws (held-out laws excluded), {len(lines):,} lines, "
                  f"{chars:,} characters ({time.time() - t0:.0f}s)")
    model = CharNgramModel.train(lines, order=args.order, min_counts=min_counts)
    sizes = model.ngram_counts
    meta = {"order": args.order, "min_counts": min_counts, "laws": len(laws), "lines": len(lines),
            "chars": chars, "ngrams": sizes, "held_out": "sha1(law folder)[0] % 10 == 0",
            "source": str(args.zip.name)}
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
