"""Time of re-indexing one amended law with ``add_to_index`` (target: ≤ 20 s on the full index).

Reads one law from the mirror, amends one article's text, adds it to an existing index (one article is
re-tokenized and re-encoded, everything else is reused), prints the report with wall and CPU seconds per
stage, then adds the original back (restoring the index).

Usage::

    python benchmarks/search_index_add.py --index /tmp/idx_cc --law 민법
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from legalret.config import default_mirror  # noqa: E402
from legalret.index.build import add_to_index  # noqa: E402
from legalret.ingest.sources import ingest  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--law", default="민법")
    ap.add_argument("--source", default=None, help="statute source (default: the mirror)")
    args = ap.parse_args()

    articles = ingest([args.source or default_mirror()], laws=[args.law]).articles
    amended = copy.deepcopy(articles)
    target = next(a for a in amended if not a.deleted and a.paragraphs)
    target.paragraphs[0].text += " (개정 시험 문장)"
    for label, batch in (("amended", amended), ("restored", articles)):
        r = add_to_index(batch, args.index)
        print(f"{label}: {args.law} ({len(batch)} articles) → added {r.added}, changed {r.changed}, removed {r.removed}, "
              f"unchanged {r.unchanged}; tokenized {r.tokenized}, encoded {r.encoded}")
        print("  wall: " + ", ".join(f"{k} {v:.2f}s" for k, v in r.timings.items()))
        print("  cpu:  " + ", ".join(f"{k} {v:.2f}s" for k, v in r.cpu_timings.items()))


if __name__ == "__main__":
    main()
