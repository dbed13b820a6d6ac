"""Ingest throughput over the whole legalize-kr mirror: files/s, articles/s (wall and CPU).

    .venv/bin/python benchmarks/ingest_throughput.py                     # the shared zip
    .venv/bin/python benchmarks/ingest_throughput.py PATH --repeat 3 --json out.json

The machine is shared, so both wall-clock and process CPU time are reported; CPU time is the
number to compare between runs. Also reports the cost of the mojibake pass (``--no-repair`` run).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(1, str(Path(__file__).resolve().parent))  # index_names, when this is imported rather than run

from legalret.config import shared_data_dir  # noqa: E402
from legalret.ingest import ingest  # noqa: E402

from index_names import portable_path  # noqa: E402


def measure(source: Path, repair: bool) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    result = ingest([source], repair=repair)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    r = result.report
    return {
        "repair": repair,
        "files": r.files,
        "laws": r.laws,
        "articles": r.articles,
        "deleted": r.deleted,
        "errors": len(r.errors),
        "warnings": dict(Counter(w.field for w in r.warnings)),
        "mojibake_repairs": len(r.repairs),
        "kinds": dict(Counter(a.kind for a in result.articles)),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "files_per_s_cpu": round(r.files / cpu, 1),
        "articles_per_s_cpu": round(r.articles / cpu, 1),
        "files_per_s_wall": round(r.files / wall, 1),
        "articles_per_s_wall": round(r.articles / wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", nargs="?", help="mirror zip/dir (default: the shared legalize-kr.zip)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per setting; the fastest (CPU) is kept")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    source = Path(args.source) if args.source else (shared_data_dir() or Path()) / "statutes" / "legalize-kr.zip"
    if not source.exists():
        sys.exit(f"no mirror at {source}; pass a legalize-kr zip or directory")
    runs = []
    for repair in (True, False):
        best = min((measure(source, repair) for _ in range(args.repeat)), key=lambda m: m["cpu_s"])
        runs.append(best)
        print(f"repair={str(repair):5}  {best['files']} files, {best['articles']} articles, {best['errors']} errors | "
              f"CPU {best['cpu_s']:.1f}s → {best['files_per_s_cpu']:.0f} files/s, {best['articles_per_s_cpu']:.0f} "
              f"articles/s | wall {best['wall_s']:.1f}s → {best['articles_per_s_wall']:.0f} articles/s")
    report = {"source": portable_path(source), "python": platform.python_version(), "machine": platform.machine(), "runs": runs}
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(runs[0], ensure_ascii=False))


if __name__ == "__main__":
    main()
