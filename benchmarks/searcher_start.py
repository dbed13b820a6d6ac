"""Searcher start: construction + first hybrid query on a 민법+상법 index with a precedent memory, the
code of another checkout ("before") against this one ("after"), each in fresh processes, in the same run.

Before the memory moved inside the index generations, every start rebuilt the memory's bm25s index from
its stored tokens (bm25s' own Python-loop builder) and parsed every holding; now the BM25 matrix is
memory-mapped and items are parsed only when shown. The index files are checked at open by the verified
stamp (a full sha256 pass only when a file's size/mtime/ctime/inode changed): its cost is measured too.

Usage (the "before" index must be built by the "before" code: the layouts differ)::

    git worktree add /tmp/before HEAD          # the committed code
    PYTHONPATH=/tmp/before .venv/bin/python -m legalret index build ../shared/data/statutes/legalize-kr.zip \\
        --law 민법 --law 상법 --kind 법률 --model none --index /tmp/before-idx \\
        --precedents ../shared/data/precedents/precedent-kr.zip
    .venv/bin/legalret index build … --index /tmp/after-idx …            # the same, with this checkout
    .venv/bin/python benchmarks/searcher_start.py --before-code /tmp/before --before-index /tmp/before-idx \\
        --after-index /tmp/after-idx --repeats 3

Kiwi's own start (``Kiwi()`` + its model load on the first analysis, ~1.2–1.7 s here; it holds the GIL, so no
thread can overlap it) is timed apart (``kiwi_s``). It is not quite the same in both: an index written by this
checkout records ``typo_dict: false`` in its tokenizer settings (Kiwi's typo dictionary changes no token of ours,
measured on 민법+상법 and the user questions) and skips loading it; an older index keeps the dictionaries it was
tokenized with. ``start_without_kiwi_s`` is what the index layout decides.

Writes ``benchmarks/results/searcher_start.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(1, str(REPO / "benchmarks"))  # index_names, when this is imported rather than run

from index_names import index_name, portable_path, recorded_command  # noqa: E402

QUERY = "임대차의 존속기간과 차임 지급"

PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
from legalret.search.searcher import Searcher
t1 = time.perf_counter()
s = Searcher(sys.argv[1])
t2 = time.perf_counter()
s.tokenizer.tokenize("임대차")  # Kiwi's own start (model load on first analysis): the same in both
t3 = time.perf_counter()
hits = s.search(sys.argv[2], k=10, mode="hybrid")
t4 = time.perf_counter()
again = s.search(sys.argv[2] + " 보증금", k=10, mode="hybrid")
t5 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "construct_s": t2 - t1, "kiwi_s": t3 - t2, "first_query_s": t4 - t3,
                  "second_query_s": t5 - t4, "start_s": t4 - t1, "start_without_kiwi_s": (t2 - t1) + (t4 - t3),
                  "memory_in_hits": sum("memory" in h.ranks for h in hits), "top": [h.key for h in hits[:5]]}))
"""


def probe(code_root: Path, index: Path, query: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code_root), HF_HUB_OFFLINE="1", LEGALRET_SERVER="", LEGALRET_RESIDENT="off")
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PROBE, str(index), query], env=env, capture_output=True, text=True,
                         cwd="/tmp", timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"probe failed ({code_root}): {out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - t
    return result


def stamp_cost(index: Path) -> dict:
    """Full sha256 pass vs. the stamp check on the live generation (this checkout's store)."""
    sys.path.insert(0, str(REPO))
    from legalret.index.store import STAMP, current_generation, read_manifest, verify_generation

    gen = current_generation(index)
    manifest = read_manifest(index, gen)
    (gen / STAMP).unlink(missing_ok=True)
    t = time.perf_counter()
    assert verify_generation(gen, manifest) is True
    full = time.perf_counter() - t
    t = time.perf_counter()
    assert verify_generation(gen, manifest) is False
    stamped = time.perf_counter() - t
    size = sum(info["bytes"] for info in manifest["files"].values())
    return {"files": len(manifest["files"]), "mb": round(size / 1e6, 1), "full_hash_s": round(full, 4),
            "stamp_check_s": round(stamped, 4)}


def summarize(runs: list[dict]) -> dict:
    keys = ["import_s", "construct_s", "kiwi_s", "first_query_s", "start_s", "start_without_kiwi_s", "second_query_s",
            "process_s"]
    return {k: round(statistics.median(r[k] for r in runs), 3) for k in keys} | {
        "runs": [{k: round(r[k], 3) for k in keys} for r in runs], "top": runs[-1]["top"],
        "memory_in_hits": runs[-1]["memory_in_hits"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before-code", type=Path, required=True, help="checkout of the code to compare against")
    ap.add_argument("--before-index", type=Path, required=True, help="index built by that code")
    ap.add_argument("--after-index", type=Path, required=True, help="index built by this checkout")
    ap.add_argument("--after-code", type=Path, default=REPO,
                    help="checkout to run as 'after' (default: this one; e.g. a copy with a proposed patch applied)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--query", default=QUERY)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "searcher_start.json")
    args = ap.parse_args(argv)

    before, after = [], []
    probe(args.after_code, args.after_index, args.query)  # first open hashes every file and writes the stamp
    for _ in range(args.repeats):  # interleaved: both see the same machine load
        before.append(probe(args.before_code, args.before_index, args.query))
        after.append(probe(args.after_code, args.after_index, args.query))
    b, a = summarize(before), summarize(after)
    manifest = json.loads((args.after_index / json.loads((args.after_index / "CURRENT").read_text())["generation"]
                           / "manifest.json").read_text(encoding="utf-8"))
    result = {
        "what": "Searcher(index) + first hybrid query, fresh process each run (median of repeats)",
        "query": args.query,
        "index": {"laws": list(manifest["laws"]), "articles": manifest["counts"]["articles"],
                  "encoder": manifest.get("encoder"), "memory_items": (manifest.get("memory") or {}).get("items"),
                  "tokenizer": {k: manifest["tokenizer"].get(k) for k in ("multi_dict", "typo_dict", "kiwipiepy")}},
        # the checkouts as a reader finds them ("." = this one), the indexes by their folders' names
        "before": b | {"code": portable_path(args.before_code), "index": index_name(args.before_index)},
        "after": a | {"code": portable_path(args.after_code), "index": index_name(args.after_index)},
        "speedup_start": round(b["start_s"] / a["start_s"], 1),
        "speedup_start_without_kiwi": round(b["start_without_kiwi_s"] / a["start_without_kiwi_s"], 1),
        "speedup_process": round(b["process_s"] / a["process_s"], 1),
        "verify": stamp_cost(args.after_index),
        "command": recorded_command("searcher_start.py", argv),
        "machine": f"{os.cpu_count()} CPUs (shared)",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("speedup_start", "speedup_start_without_kiwi", "speedup_process", "verify")},
                     ensure_ascii=False))
    for name, r in (("before", b), ("after", a)):
        print(f"{name}: start {r['start_s']:.2f}s = construct {r['construct_s']:.2f}s + Kiwi {r['kiwi_s']:.2f}s + "
              f"first query {r['first_query_s']:.2f}s; process {r['process_s']:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
