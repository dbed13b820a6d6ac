"""Where a cold ``legalret search`` spends its time, and what each way of answering costs — in one run.

Two parts:

1. **Stages, in one process** (public API only): ``import``, ``Searcher()``, the first BM25 query (Kiwi's
   start-up), the query encoder's load (torch, or the ONNX export when present), the precedent memory's
   load, the first hybrid query, then warm hybrid p50.
2. **New processes**, median of ``--runs`` each, with peak RSS (``wait4``):

   ``in-process torch``   ``LEGALRET_RESIDENT=off``, no ONNX export visible (what every search paid before)
   ``in-process onnx``    ``LEGALRET_RESIDENT=off``, the ONNX export found by fingerprint (torch not imported)
   ``resident first``     ``LEGALRET_RESIDENT=on``, no server yet: starts one, waits, asks it
   ``resident reuse``     ``LEGALRET_RESIDENT=on``, the server already running: the CLI is only an HTTP client

Usage::

    python benchmarks/cold_search.py --index /tmp/idx_cc --json benchmarks/results/cold_search.json
    python benchmarks/cold_search.py --index idx --runs 3 --query "유치권 간접점유" --export   # export ONNX first
    python benchmarks/cold_search.py --index idx --export --skip "in-process torch,resident first" \
        --int8-queries benchmarks/queries/user_questions.jsonl out/pairs/dev_queries.jsonl   # + fp32 vs int8
    python benchmarks/cold_search.py --index idx --skip "torch,onnx,in-process torch,in-process onnx,resident first,resident reuse" \
        --compare-encoder /tmp/old_checkout /tmp/old_home    # only: query encoder, that code/export vs this one
    git archive ce9c1c8 | tar -x -C /tmp/before     # then: cold in-process search, that checkout vs this one
    python benchmarks/cold_search.py --index idx --only-before --before /tmp/before --before-index idx idx-all --runs 5 \
        --json benchmarks/results/cold_search_before_after.json
    python benchmarks/cold_search.py --index idx --only-before --before /tmp/before --before-index idx \
        --after-index idx-new --runs 9    # a change to what a build writes: each side on its own build

``--before CODE`` runs cold in-process searches (a pipe: ``LEGALRET_RESIDENT=off``) of another checkout and of this
one alternately, run by run, on each ``--before-index``: medians of wall and CPU seconds (user + system: what a
loaded machine distorts least) and after/before as same-run ratios. Each side's first run is not counted (page
cache, and the caches a search writes, such as the query tokenizer's).

Each stage's resident memory (VmRSS, anonymous, file-backed) is reported too. ``--compare-encoder CODE HOME``
times the query encoder of another checkout (``git archive REV | tar -x -C CODE``) with the export found in
``HOME`` against this checkout's (``$LEGALRET_HOME``), alternating query by query in one process over the user
questions, so both see the same machine load: the paired difference is what the change costs.

The ONNX export lives in ``$LEGALRET_HOME/models/onnx``; "torch" runs get a scratch ``LEGALRET_HOME`` that links
the built models but not the exports (and the index's resident state is kept apart the same way).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from index_names import portable_path  # noqa: E402

LEGALRET = [sys.executable, "-m", "legalret"]


def run_process(cmd: list[str], env: dict, cwd: str | None = None) -> tuple[float, float, int, str, float]:
    """(wall seconds, peak RSS MB, exit code, stderr tail, CPU seconds — user + system) of one new process."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        err.seek(0)
        tail = err.read().decode("utf-8", "replace")[-400:]
    return wall, usage.ru_maxrss / 1024, proc.returncode, tail, usage.ru_utime + usage.ru_stime


def compare_checkouts(before: Path, indexes: list[Path], query: str, runs: int, env: dict,
                      after_indexes: list[Path] | None = None) -> dict:
    """Cold in-process ``legalret search`` (a pipe, ``LEGALRET_RESIDENT=off``) of the checkout ``before`` and this
    one, alternating run by run (which goes first alternates too), so that both see the same machine load:
    per index, each side's median wall and CPU seconds, and after/before as the ratio of the medians and the
    median of the per-pair ratios. Each side imports its own ``legalret`` (``PYTHONPATH`` and working directory).
    ``after_indexes`` (one per index): this checkout searches that index instead — the same corpus as this
    checkout builds it, when a change alters what a build writes."""
    sides = {"before": before.resolve(), "after": REPO}
    out: dict = {"before": portable_path(before), "query": query, "runs": runs, "indexes": {}}
    for index, after_index in zip(indexes, after_indexes or indexes, strict=True):
        cmds = {name: LEGALRET + ["search", query, "--index", str(idx), "-k", "10"]
                for name, idx in (("before", index), ("after", after_index))}
        got: dict = {name: {"wall_s": [], "cpu_s": [], "rss_mb": []} for name in sides}
        for i in range(runs + 1):  # run 0 of each side warms the page cache and writes caches: not counted
            for name in (("before", "after") if i % 2 else ("after", "before")):
                code_dir = sides[name]
                side_env = dict(env, PYTHONPATH=str(code_dir), LEGALRET_RESIDENT="off")
                side_env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled once (run 0), as an installed legalret is
                wall, mb, code, tail, cpu = run_process(cmds[name], side_env, cwd=str(code_dir))
                if code != 0:
                    raise SystemExit(f"{name} on {index}: exit {code}: {tail}")
                if i:
                    got[name]["wall_s"].append(round(wall, 3))
                    got[name]["cpu_s"].append(round(cpu, 3))
                    got[name]["rss_mb"].append(round(mb, 1))
        entry: dict = {}
        for name, g in got.items():
            entry[name] = {"median_wall_s": round(statistics.median(g["wall_s"]), 3),
                           "median_cpu_s": round(statistics.median(g["cpu_s"]), 3),
                           "peak_rss_mb": max(g["rss_mb"]), **g}
        for metric in ("wall_s", "cpu_s"):
            pairs = [a / b for a, b in zip(got["after"][metric], got["before"][metric])]
            entry[f"after/before {metric[:-2]}"] = {
                "ratio_of_medians": round(entry["after"][f"median_{metric}"] / entry["before"][f"median_{metric}"], 3),
                "median_pair_ratio": round(statistics.median(pairs), 3)}
        if after_index != index:
            entry["after_index"] = portable_path(after_index)
        out["indexes"][portable_path(index)] = entry
        print(f"  {index}: before {entry['before']['median_wall_s']:.2f} s wall / {entry['before']['median_cpu_s']:.2f} s CPU, "
              f"after {entry['after']['median_wall_s']:.2f} s / {entry['after']['median_cpu_s']:.2f} s  "
              f"(after/before: wall {entry['after/before wall']['median_pair_ratio']}, CPU {entry['after/before cpu']['median_pair_ratio']})")
    return out


def stages(index: Path, query: str, env_home: str | None, export: str | None = None) -> dict:
    """Stage timings in a fresh interpreter (so imports are cold), as JSON from a child.

    ``export``: hand the ONNX export to the searcher explicitly (``Searcher(index, encoder=…)``), so the lean
    path is measured even where the searcher's own lookup does not pick it."""
    enc_code = ""
    if export:
        enc_code = f"from legalret.models.onnx import OnnxQueryEncoder; kw['encoder'] = OnnxQueryEncoder.load({export!r})"
    code = f"""
import json, os, sys, time
t = {{}}
rss = {{}}
kw = {{}}
def mem(stage):  # resident MB after a stage: total, anonymous (heap), file-backed (mmapped files, libraries)
    f = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if l.startswith(("VmRSS", "RssAnon", "RssFile")))
    rss[stage] = {{k: round(int(v.split()[0]) / 1024, 1) for k, v in f.items()}}
mem("python")
t0 = time.perf_counter()
from legalret.search.searcher import Searcher
t["import"] = time.perf_counter() - t0
mem("import")
t0 = time.perf_counter()
{enc_code}
t["onnx_encoder_load_explicit"] = time.perf_counter() - t0
t0 = time.perf_counter(); s = Searcher({str(index)!r}, **kw); t["searcher_open"] = time.perf_counter() - t0
mem("searcher_open")
t0 = time.perf_counter(); s.search({query!r}, k=10, mode="bm25"); t["first_bm25_query_kiwi"] = time.perf_counter() - t0
mem("first_bm25_query_kiwi")
if s.has_dense:
    t0 = time.perf_counter(); enc = s.encoder; t["encoder_load"] = time.perf_counter() - t0
    t["encoder"] = type(enc).__name__
    mem("encoder_load")
t0 = time.perf_counter(); m = s.memory; t["memory_load"] = time.perf_counter() - t0
mem("memory_load")
mode = "hybrid" if s.has_dense else "bm25"
t0 = time.perf_counter(); s.search({query!r}, k=10, mode=mode); t["first_query"] = time.perf_counter() - t0
mem("first_query")
lat = []
for q in [{query!r}, "집주인이 보증금을 돌려주지 않아요", "이사의 회사에 대한 책임", "교통사고 손해배상 소멸시효"] * 5:
    t0 = time.perf_counter(); s.search(q, k=10, mode=mode); lat.append(time.perf_counter() - t0)
lat.sort(); t["warm_p50_ms"] = lat[len(lat) // 2] * 1000
mem("warm_queries")
t0 = time.perf_counter(); import legalret.serve.app, uvicorn; t["serve_import"] = time.perf_counter() - t0
mem("serve_import")
t["torch_imported"] = "torch" in sys.modules
t["rss_mb"] = rss
print(json.dumps(t))
"""
    env = dict(os.environ)
    if env_home:
        env["LEGALRET_HOME"] = env_home
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        return {"error": out.stderr[-800:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def torch_only_home(home: Path, scratch: Path) -> Path:
    """A LEGALRET_HOME that has the built models but no ONNX exports: searches take the torch path."""
    models = scratch / "models"
    models.mkdir(parents=True, exist_ok=True)
    for p in (home / "models").iterdir() if (home / "models").is_dir() else []:
        if p.name != "onnx" and not (models / p.name).exists():
            (models / p.name).symlink_to(p)
    return scratch


def ensure_export(index: Path) -> str | None:
    """Export the index's encoder to ONNX (fp32 + int8) if it has dense vectors and no export yet."""
    from legalret.models.onnx import export_onnx, find_export
    from legalret.search.searcher import Searcher

    s = Searcher(index)
    if not s.has_dense:
        return None
    fp = s.manifest["encoder"]["fingerprint"]
    path = find_export(fp)
    if path is None:
        enc = s.encoder
        if type(enc).__name__ == "OnnxQueryEncoder":
            return str(enc.path)
        path = export_onnx(enc, quantize=True)
    return str(path)


def int8_recall(index: Path, export: str, query_files: list[Path], limit: int) -> dict:
    """Recall@10 (dense, hybrid without memory) and query-encoder cost, fp32 vs int8 ONNX, same queries.

    The precedent memory is left out: it does not use the query encoder (BM25 over holdings by default), so
    it cannot change the comparison. Citations in the query are not resolved (``citations=False``)."""
    from legalret.models.onnx import OnnxQueryEncoder
    from legalret.search.searcher import Searcher

    queries = []
    for path in query_files:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        rows = [r for r in rows if r.get("gold")]
        queries += rows[:limit] if limit else rows
    out: dict = {"queries": len(queries), "files": [str(p) for p in query_files], "variants": {}}
    for variant in ("fp32", "int8"):
        t0 = time.perf_counter()
        enc = OnnxQueryEncoder.load(export, variant=variant)
        load_s = time.perf_counter() - t0
        s = Searcher(index, memory=False, encoder=enc)
        texts = [q["query"][:1000] for q in queries]
        t0 = time.perf_counter()
        for t in texts[:50]:
            enc.encode_queries([t])
        per_query_ms = (time.perf_counter() - t0) / min(50, len(texts)) * 1000
        entry = {"load_s": round(load_s, 2), "encode_ms_per_query": round(per_query_ms, 1)}
        for mode in ("dense", "hybrid"):
            recalls = []
            for q, text in zip(queries, texts):
                keys = [h.key for h in s.search(text, k=10, mode=mode, citations=False)]
                gold = set(q["gold"])
                recalls.append(len(gold & set(keys)) / len(gold))
            entry[f"{mode}_recall@10"] = round(sum(recalls) / len(recalls), 4)
        out["variants"][variant] = entry
        print(f"  {variant}: " + ", ".join(f"{k} {v}" for k, v in entry.items()))
    f, i = out["variants"]["fp32"], out["variants"]["int8"]
    out["int8_minus_fp32"] = {m: round(i[f"{m}_recall@10"] - f[f"{m}_recall@10"], 4) for m in ("dense", "hybrid")}
    out["recommend_int8"] = all(d >= -0.005 for d in out["int8_minus_fp32"].values())
    print(f"  int8 − fp32: {out['int8_minus_fp32']}  → recommend int8: {out['recommend_int8']}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--query", default="유치권 간접점유")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--export", action="store_true", help="export the index's encoder to ONNX first if needed")
    ap.add_argument("--skip", default="", help="comma-separated stages (torch, onnx) and variants to skip")
    ap.add_argument("--int8-queries", type=Path, nargs="*", default=[],
                    help="query files (JSONL with 'query' and 'gold') for the fp32-vs-int8 recall check")
    ap.add_argument("--export-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--int8-limit", type=int, default=400, help="at most this many queries per file")
    ap.add_argument("--compare-encoder", nargs=2, type=Path, metavar=("CODE", "HOME"), default=None,
                    help="time another checkout's query encoder (its export in HOME) against this one's, paired")
    ap.add_argument("--before", type=Path, default=None, metavar="CODE",
                    help="also time cold in-process searches of this checkout against this one, alternating (same-run ratio)")
    ap.add_argument("--before-index", type=Path, nargs="*", default=[],
                    help="indexes for --before (default: --index)")
    ap.add_argument("--after-index", type=Path, nargs="*", default=[],
                    help="with --before: the index this checkout searches in place of each --before-index")
    ap.add_argument("--only-before", action="store_true", help="run only the --before comparison")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    skip = {name.strip() for name in args.skip.split(",") if name.strip()}
    if args.export_only:
        print(ensure_export(args.index))
        return

    from legalret.config import legalret_home
    from legalret.serve import resident

    home = legalret_home()
    export = None
    if args.export:  # in a child: loading torch here would inflate every later child's peak RSS (fork)
        out = subprocess.run([sys.executable, __file__, "--index", str(args.index), "--export-only"],
                             capture_output=True, text=True, timeout=1800)
        if out.returncode != 0:
            raise SystemExit(f"export failed: {out.stderr[-800:]}")
        export = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else None
        export = None if export == "None" else export
    base_env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    if args.only_before:
        if args.before is None:
            raise SystemExit("--only-before needs --before CODE")
        report = {"machine": _machine()}
        report["before_after"] = _before_after(args, base_env)
        report["machine"]["load_avg_at_end"] = os.getloadavg()
        _write(report, args.json)
        return
    scratch = Path(tempfile.mkdtemp(prefix="legalret-cold-"))
    torch_home = torch_only_home(home, scratch / "home")
    cmd = LEGALRET + ["search", args.query, "--index", str(args.index), "-k", "10"]

    report: dict = {"index": str(args.index), "query": args.query, "runs": args.runs, "onnx_export": export,
                    "machine": _machine(), "stages": {}, "variants": {}}
    print(f"stages (one process each) on {args.index}")
    for name, h, exp in (("torch", str(torch_home), None), ("onnx", None, export)):
        if name in skip:
            continue
        report["stages"][name] = st = stages(args.index, args.query, h, exp)
        print(f"  {name}: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in st.items() if k != "rss_mb"))
        for stage, mb in st.get("rss_mb", {}).items():
            print(f"    RSS after {stage:22s} " + "  ".join(f"{k} {v:7.1f} MB" for k, v in mb.items()))

    variants = {
        "in-process torch": (dict(base_env, LEGALRET_RESIDENT="off", LEGALRET_HOME=str(torch_home)), None),
        "in-process onnx": (dict(base_env, LEGALRET_RESIDENT="off"), None),
        "resident first": (dict(base_env, LEGALRET_RESIDENT="on"), "fresh"),
        "resident reuse": (dict(base_env, LEGALRET_RESIDENT="on"), "reuse"),
    }
    for name, (env, server) in variants.items():
        if name in skip:
            continue
        walls, rss, server_rss = [], [], []
        for _ in range(args.runs):
            if server == "fresh":
                _stop_resident(resident, args.index)
            wall, mb, code, tail, _ = run_process(cmd, env)
            if code != 0:
                print(f"  {name}: exit {code}: {tail}")
            walls.append(wall)
            rss.append(mb)
            if server is not None:
                server_rss.append(_resident_rss(resident, args.index))
        entry = {"median_s": round(statistics.median(walls), 3), "runs_s": [round(w, 3) for w in walls],
                 "client_peak_rss_mb": round(max(rss), 1)}
        if server_rss and all(server_rss):
            entry["server_rss_mb"] = round(max(server_rss), 1)
        report["variants"][name] = entry
        print(f"  {name:18s} median {entry['median_s']:.2f} s  runs {entry['runs_s']}  peak RSS {entry['client_peak_rss_mb']:.0f} MB"
              + (f"  server RSS {entry['server_rss_mb']:.0f} MB" if "server_rss_mb" in entry else ""))
    _stop_resident(resident, args.index)
    shutil.rmtree(scratch, ignore_errors=True)  # the torch-only LEGALRET_HOME (links to the real models)
    if args.int8_queries and export:
        print("query encoder: ONNX fp32 vs int8")
        report["onnx_int8"] = int8_recall(args.index, export, args.int8_queries, args.int8_limit)
    if args.compare_encoder:
        print("query encoder: other checkout vs this one (paired, alternating)")
        report["encoder_compare"] = compare_encoder(args.index, *args.compare_encoder)
        print(f"  {report['encoder_compare']}")
    if args.before is not None:
        report["before_after"] = _before_after(args, base_env)
    report["machine"]["load_avg_at_end"] = os.getloadavg()
    _write(report, args.json)


def _machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg_at_start": os.getloadavg()}


def _before_after(args: argparse.Namespace, env: dict) -> dict:
    """``--before``: that checkout's cold in-process searches against this one's (:func:`compare_checkouts`)."""
    print(f"cold in-process search: {args.before} (before) vs this checkout (after), alternating")
    return compare_checkouts(args.before, args.before_index or [args.index], args.query, args.runs, env,
                             after_indexes=args.after_index or None)


def _write(report: dict, path: Path | None) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path}")


_COMPARE = r"""
import importlib.util, json, statistics, sys, time
from pathlib import Path
code, other_home, this_home, index, queries = sys.argv[1:6]
spec = importlib.util.spec_from_file_location("old_onnx", Path(code) / "legalret" / "models" / "onnx.py")
old_mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(old_mod)
from legalret.models import onnx as new_mod
from legalret.search.searcher import Searcher
fingerprint = Searcher(index, memory=False).manifest["encoder"]["fingerprint"]
old = old_mod.OnnxQueryEncoder.load(old_mod.find_export(fingerprint, root=Path(other_home) / "models" / "onnx"))
new = new_mod.OnnxQueryEncoder.load(new_mod.find_export(fingerprint, root=Path(this_home) / "models" / "onnx"))
Q = [json.loads(l)["query"] for l in open(queries, encoding="utf-8") if l.strip()]
for q in Q[:10]:
    old.encode_queries([q]); new.encode_queries([q])
lo, ln = [], []
for i, q in enumerate(Q):
    for enc, out in ([(old, lo), (new, ln)] if i % 2 else [(new, ln), (old, lo)]):
        t = time.perf_counter(); enc.encode_queries([q]); out.append((time.perf_counter() - t) * 1000)
va, vb = old.encode_queries(Q[:100]), new.encode_queries(Q[:100])
d = [b - a for a, b in zip(lo, ln)]
print(json.dumps({"queries": len(Q), "other_p50_ms": round(statistics.median(lo), 2), "this_p50_ms": round(statistics.median(ln), 2),
                  "paired_diff_p50_ms": round(statistics.median(d), 3), "this_faster_share": round(sum(x < 0 for x in d) / len(d), 3),
                  "cosine_min": round(float((va * vb).sum(1).min()), 7),
                  "other_export_version": old.config.get("version"), "this_export_version": new.config.get("version")}))
"""


def compare_encoder(index: Path, code: Path, other_home: Path) -> dict:
    """Paired query-encoder latency (and vector agreement): ``code``'s OnnxQueryEncoder with the export in
    ``other_home`` vs this checkout's with the export in ``$LEGALRET_HOME``, in one child process."""
    from legalret.config import legalret_home

    queries = REPO / "benchmarks" / "queries" / "user_questions.jsonl"
    out = subprocess.run([sys.executable, "-c", _COMPARE, str(code), str(other_home), str(legalret_home()), str(index), str(queries)],
                         capture_output=True, text=True, timeout=1800, check=False)
    if out.returncode != 0:
        return {"error": out.stderr[-800:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _stop_resident(resident, index: Path) -> None:
    if resident.stop(index):
        deadline = time.monotonic() + 30
        while resident.state_path(index).exists() and time.monotonic() < deadline:
            time.sleep(0.1)


def _resident_rss(resident, index: Path) -> float | None:
    state = resident.read_state(resident.state_path(index))
    if not state:
        return None
    try:
        for line in Path(f"/proc/{state['pid']}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


if __name__ == "__main__":
    main()
