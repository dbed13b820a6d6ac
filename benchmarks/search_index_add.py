"""Time of re-indexing one amended law (target: ≤ 20 s on the full index), in-process and from the CLI.

Reads one law from the mirror, amends one article's text, and adds it to an existing index twice over:

1. in-process, ``add_to_index`` (the encoder already imported, not loaded): wall and CPU seconds per stage;
2. as a user does it, ``legalret index add amended.jsonl --index …`` in a new process (imports, model load,
   everything), wall seconds;

restoring the original law after each (one article re-tokenized and re-encoded, everything else reused).
Writes ``benchmarks/results/index_add[-<tag>].{json,md}``.

Usage::

    python benchmarks/search_index_add.py --index ~/.cache/legalret/bench/index-all-acts-decrees-default-base --law 민법
"""

from __future__ import annotations

import argparse
import copy
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "benchmarks"))

from legalret.articles import write_articles  # noqa: E402
from legalret.config import default_mirror  # noqa: E402
from legalret.evaluate.report import write_result  # noqa: E402
from legalret.evaluate.speed import machine_info  # noqa: E402
from legalret.pipeline import add as add_to_index  # noqa: E402  (what `legalret index add` runs)
from legalret.index.store import read_manifest  # noqa: E402
from legalret.ingest.sources import ingest  # noqa: E402

from index_names import index_label, index_name, recorded_command  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--law", default="민법")
    ap.add_argument("--source", default=None, help="statute source (default: the mirror)")
    ap.add_argument("--tag", default="")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = ap.parse_args(argv)

    articles = ingest([args.source or default_mirror()], laws=[args.law]).articles
    amended = copy.deepcopy(articles)
    target = next(a for a in amended if not a.deleted and a.paragraphs)
    target.paragraphs[0].text += " (개정 시험 문장)"
    counts = read_manifest(args.index)["counts"]
    result = {"index": index_name(args.index), "index_label": index_label(args.index), "law": args.law,
              "law_articles": len(articles), "index_counts": counts, "amended_key": target.key, "machine": machine_info(), "in_process": {}, "cli": {}}

    for label, batch in (("amended", amended), ("restored", articles)):
        r = add_to_index(batch, args.index)
        print(f"{label}: {args.law} ({len(batch)} articles) → added {r.added}, changed {r.changed}, removed {r.removed}, "
              f"unchanged {r.unchanged}; tokenized {r.tokenized}, encoded {r.encoded}")
        print("  wall: " + ", ".join(f"{k} {v:.2f}s" for k, v in r.timings.items()))
        print("  cpu:  " + ", ".join(f"{k} {v:.2f}s" for k, v in r.cpu_timings.items()), flush=True)
        result["in_process"][label] = {"changed": r.changed, "encoded": r.encoded, "wall": r.timings, "cpu": r.cpu_timings}

    legalret = str(Path(sys.executable).with_name("legalret"))
    with tempfile.TemporaryDirectory() as tmp:
        for label, batch in (("amended", amended), ("restored", articles)):
            path = Path(tmp) / f"{label}.jsonl"
            write_articles(path, batch)
            t = time.perf_counter()
            proc = subprocess.run([legalret, "index", "add", str(path), "--index", str(args.index)],
                                  capture_output=True, text=True)
            seconds = time.perf_counter() - t
            if proc.returncode != 0:
                raise SystemExit(f"legalret index add failed:\n{proc.stdout}\n{proc.stderr}")
            print(f"CLI {label}: {seconds:.2f} s", flush=True)
            result["cli"][label] = seconds

    name = "index_add" + (f"-{args.tag}" if args.tag else "")
    write_result(args.out, name, result, _markdown(result, recorded_command("search_index_add.py", argv)))
    return 0


def _markdown(r: dict, command: str) -> str:
    stages = list(r["in_process"]["amended"]["wall"])
    lines = [
        f"### Re-indexing one amended law ({r['law']}, {r['law_articles']:,} articles; {r['amended_key']} amended)",
        "",
        f"Index {r['index_label']} before the run; {r['index_counts'].get('articles', 0):,} articles stored in all.",
        "",
        "| run | " + " | ".join(stages) + " |",
        "| --- | " + " | ".join("---:" for _ in stages) + " |",
    ]
    for label, run in r["in_process"].items():
        lines.append(f"| in-process, {label} (wall s) | " + " | ".join(f"{run['wall'].get(s, 0):.2f}" for s in stages) + " |")
    lines += [
        "",
        "New process, as a user runs it (`legalret index add LAW.jsonl --index …`: imports, model and index load, "
        "update, write): " + ", ".join(f"{label} {s:.1f} s" for label, s in r["cli"].items()) + ".",
        "",
        f"Reproduce: `{command}`",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
