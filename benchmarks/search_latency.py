"""Warm query latency of the searcher, per stage, and the BM25 stage against raw bm25s.

Measures, after a warm-up, for each query: the whole ``Searcher.search`` call per mode, and the stages
(Kiwi tokenization, BM25 top-k through our engine vs ``bm25s.BM25.retrieve`` on the same tokens, query
encoding, FAISS search, fusion). ``--simulate-rows N`` also times the dense search over an ``IndexFlatIP``
of N random unit vectors of the index's dimension — the cost of the full 141k-article index without
encoding 141k articles.

Usage::

    python benchmarks/search_latency.py --index /tmp/idx_cc
    python benchmarks/search_latency.py --index /tmp/idx_cc --simulate-rows 141260 --repeat 3
    python benchmarks/search_latency.py --index /tmp/idx_full_bm25 --modes bm25       # BM25 at full scale

``--compare`` times the default search (``Searcher.search(q, k=10)``: BM25 + dense + memories + re-ranker)
of several configurations in separate warm worker processes, alternating round by round (all 30 queries
per round) so that a busy neighbour on a shared machine slows each alike; medians per configuration:

* ``current`` — the working tree as it is (the query encoder the index records);
* ``current:VARIANT`` — the same with the query-encoder variant ``VARIANT`` (fp32, int8rr, … from the
  index's export or ``--variant-dir``, e.g. the folder ``experiments/query_int8.py --work`` wrote);
* ``…+overlap`` / ``…+serial`` (e.g. ``current+overlap``, ``current:nbits8+serial``) — with :attr:`Searcher.overlap_encoding` on / off;
* ``REV`` (a git revision, e.g. ``HEAD``) — the working tree with the search hot-path files
  (``benchmarks/check_hot_paths.HOT_FILES``) taken from ``REV``: the before of a before/after.

The main job's warm hybrid target (issue 13: p50 ≤ 15 ms on 민법+상법), one command::

    LEGALRET_HOME=/tmp/final_home .venv/bin/python benchmarks/search_latency.py --index /tmp/final_idx_k \
        --compare HEAD,current --repeat 5 --out benchmarks/results/latency-main-job/warm_hybrid

writes ``warm_hybrid.json`` and ``warm_hybrid.md`` (p50/p95 wall and CPU per configuration, ratios to the first).
``--threads 1`` runs ONNX Runtime on one thread: the search then runs in the calling thread, and its CPU time
(a column of the table) is the query's own cost whatever else the machine runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
if "--worker" not in sys.argv:  # a worker imports the legalret of its tree (PYTHONPATH, cwd)
    sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "benchmarks"))

import numpy as np

from index_names import index_label, index_name
from legalret.search.searcher import Searcher

#: Short, user-style questions (what the latency target is about).
QUERIES = [
    "유치권 간접점유", "불법행위 손해배상 책임", "임대차 보증금 반환", "보험계약 고지의무 위반 해지",
    "이사의 회사에 대한 손해배상책임", "소멸시효 중단 사유", "채무불이행 손해배상 범위", "미성년자 법률행위 취소",
    "전세권 존속기간", "상속 포기 기간", "주주총회 결의 취소의 소", "어음 배서 담보책임",
    "착오로 인한 의사표시 취소", "사용자 책임 피용자 불법행위", "공동불법행위 연대책임", "부당이득 반환 범위",
    "점유취득시효 20년", "저당권 물상대위", "운송인 손해배상 책임", "회사 합병 무효의 소",
    "집주인이 보증금을 돌려주지 않아요", "교통사고 위자료 청구", "약혼 해제 손해배상", "매매 하자담보책임",
    "질권 설정 효력", "상호 사용 금지 청구", "지배인 대리권", "보험금 청구권 소멸시효", "혼인 무효 사유", "유언 방식",
]


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, p))


def summarize(name: str, values: list[float]) -> dict:
    d = {"p50_ms": pct(values, 50), "p95_ms": pct(values, 95), "mean_ms": statistics.mean(values) * 1000.0, "n": len(values)}
    print(f"  {name:<38} p50 {d['p50_ms']:7.2f} ms   p95 {d['p95_ms']:7.2f} ms   mean {d['mean_ms']:7.2f} ms")
    return d


def worker(args) -> None:
    """One configuration, warm, in this process: on each ``go`` line from stdin, search every query once and
    answer one JSON line of per-query wall and CPU seconds."""
    from legalret.search.searcher import Searcher

    s = Searcher(args.index)
    if args.variant or args.threads:
        from legalret.index.encoders import index_query_adapter
        from legalret.models.onnx import OnnxQueryEncoder, find_export
        from legalret.models.query_adapter import wrap_query_encoder

        info = s.manifest["encoder"]
        folder = args.variant_dir or find_export(info["fingerprint"])
        base = OnnxQueryEncoder.load(folder, variant=args.variant or None, threads=args.threads or None)
        if base.fingerprint != info["fingerprint"]:
            raise SystemExit(f"{folder}: encoder {base.fingerprint}, the index has {info['fingerprint']}")
        variant_encoder = wrap_query_encoder(base, index_query_adapter(info, args.index))
        if getattr(type(s.dense).encoder, "fset", None) is not None:
            s.dense.encoder = variant_encoder
        else:  # (a revision before the retriever plug-ins: its encoder is a private attribute)
            s.dense._encoder = variant_encoder
    if args.overlap is not None:
        s.overlap_encoding = bool(int(args.overlap))
    s.warmup()
    for q in QUERIES:
        s.search(q, k=args.k)
    encoder = s.dense.encoder if s.has_dense else None
    variant = getattr(getattr(encoder, "base", encoder), "variant", None)
    print(json.dumps({"ready": True, "legalret": __import__("legalret").__file__, "encoder": repr(encoder), "variant": variant,
                      "overlap": getattr(s, "overlap_encoding", None)}), flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        wall, cpu, own = [], [], []
        for q in QUERIES:
            t, c, o = time.perf_counter(), time.process_time(), time.thread_time()
            s.search(q, k=args.k)
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            own.append(time.thread_time() - o)
        print(json.dumps({"wall": wall, "cpu": cpu, "thread": own}), flush=True)


def compare(args) -> None:
    """Time the ``--compare`` configurations in alternating rounds (see module docstring)."""
    import shutil
    import subprocess
    import tempfile

    from check_hot_paths import baseline_tree, tree_env

    configs = [c.strip() for c in args.compare.split(",") if c.strip()]
    work = Path(tempfile.mkdtemp(prefix="search_latency."))
    workers: dict[str, subprocess.Popen] = {}
    info: dict[str, dict] = {}
    try:
        snapshot = work / "current"  # one copy of the working tree for every configuration (others may edit it)
        shutil.copytree(REPO / "legalret", snapshot / "legalret", ignore=shutil.ignore_patterns("__pycache__"))
        for config in configs:
            base, _, flag = config.partition("+")
            name, _, variant = base.partition(":")
            tree = snapshot
            if name != "current":
                tree = work / f"rev-{len(workers)}"
                shutil.copytree(snapshot, tree)
                baseline_tree(name, tree)
            cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--index", str(args.index), "--k", str(args.k)]
            if variant:
                cmd += ["--variant", variant] + (["--variant-dir", str(args.variant_dir)] if args.variant_dir else [])
            if flag:
                cmd += ["--overlap", "1" if flag == "overlap" else "0"]
            if args.threads:
                cmd += ["--threads", str(args.threads)]
            workers[config] = subprocess.Popen(cmd, cwd=str(tree), env=tree_env(tree),
                                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            info[config] = json.loads(workers[config].stdout.readline())  # warm (one at a time: no overlap)
            if not info[config]["legalret"].startswith(str(tree)):
                raise SystemExit(f"{config}: imported legalret from {info[config]['legalret']}, not {tree}")
            print(f"{config}: ready ({info[config]['encoder']})", flush=True)
        times: dict[str, dict[str, list[float]]] = {c: {"wall": [], "cpu": [], "thread": []} for c in configs}
        for r in range(args.repeat):
            for config in configs if r % 2 == 0 else reversed(configs):
                workers[config].stdin.write("go\n")
                workers[config].stdin.flush()
                got = json.loads(workers[config].stdout.readline())
                times[config]["wall"] += got["wall"]
                times[config]["cpu"] += got["cpu"]
                times[config]["thread"] += got["thread"]
    finally:
        for w in workers.values():
            if w.poll() is None:
                w.stdin.close()
                w.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)

    out: dict = {"index": index_name(args.index), "index_label": index_label(args.index), "queries": len(QUERIES),
                 "rounds": args.repeat, "k": args.k, "onnx_threads": args.threads or "onnxruntime default",
                 "load_average": os.getloadavg(), "threads": os.environ.get("OMP_NUM_THREADS"), "cpus": os.cpu_count(), "configs": {}}
    print(f"warm Searcher.search(q, k={args.k}) (default hybrid), {len(QUERIES)} queries × {args.repeat} alternating rounds:")
    for config in configs:
        out["configs"][config] = {"encoder": info[config]["encoder"], "variant": info[config]["variant"],
                                  "overlap": info[config].get("overlap"),
                                  "wall": summarize(config + " (wall)", times[config]["wall"]),
                                  "cpu": summarize(config + " (cpu, all threads)", times[config]["cpu"]),
                                  # CPU of the calling thread alone: with --threads 1 and no overlap, the whole
                                  # search — what a query costs, whatever else the machine runs
                                  "thread_cpu": summarize(config + " (cpu, calling thread)", times[config]["thread"]),
                                  "round_p50_ms": [pct(times[config]["wall"][i:i + len(QUERIES)], 50)
                                                   for i in range(0, len(times[config]["wall"]), len(QUERIES))]}
    first = out["configs"][configs[0]]["wall"]["p50_ms"]
    for config in configs:
        out["configs"][config]["p50_ratio_to_first"] = out["configs"][config]["wall"]["p50_ms"] / first
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
        args.out.with_suffix(".md").write_text(render_compare(out), encoding="utf-8")
        print(f"wrote {args.out.with_suffix('.json')} and .md")


def render_compare(out: dict) -> str:
    lines = [f"# Warm hybrid latency — {out.get('index_label') or out['index']}", "",
             (f"`Searcher.search(q, k={out['k']})` (default mode: BM25 + dense + memories + learned re-ranker), "
              f"{out['queries']} short questions × {out['rounds']} rounds, configurations alternating round by round "
              f"in warm worker processes; {out['cpus']} CPUs, OMP_NUM_THREADS={out['threads']}."), "",
             (f"ONNX Runtime threads: {out['onnx_threads']}; load average at the end {', '.join(f'{v:.1f}' for v in out['load_average'])} "
              "(other jobs on the machine inflate wall times: compare ratios; the calling thread's CPU time is the "
              "search's own cost when ONNX Runtime runs on one thread without overlap)."), "",
             "| configuration | encoder | overlap | p50 ms | p95 ms | mean ms | CPU p50 ms | calling-thread CPU p50 ms | p50 / first | round p50s ms |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, c in out["configs"].items():
        overlap = "—" if c.get("overlap") is None else ("yes" if c["overlap"] else "no")
        lines.append(f"| {name} | {c['variant'] or '—'} | {overlap} | {c['wall']['p50_ms']:.2f} | {c['wall']['p95_ms']:.2f} | "
                     f"{c['wall']['mean_ms']:.2f} | {c['cpu']['p50_ms']:.2f} | {c['thread_cpu']['p50_ms']:.2f} | {c['p50_ratio_to_first']:.2f} | "
                     + ", ".join(f"{v:.1f}" for v in c["round_p50_ms"]) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--modes", default="hybrid,bm25,dense")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--simulate-rows", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--memory", action="store_true", help="fuse the index's precedent memory (three-way hybrid)")
    ap.add_argument("--compare", default=None,
                    help="comma-separated configurations timed in alternating rounds: current, current:VARIANT, a git rev")
    ap.add_argument("--variant-dir", type=Path, default=None, help="ONNX export folder holding the encoder variants")
    ap.add_argument("--out", type=Path, default=None, help="--compare: write OUT.json and OUT.md")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--variant", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--overlap", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=0, help="--compare: ONNX Runtime intra-op threads (0: its default)")
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    if args.compare:
        return compare(args)

    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    import faiss

    faiss.omp_set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    t = time.perf_counter()
    s = Searcher(args.index, memory=None if args.memory else False)
    load_s = time.perf_counter() - t
    modes = [m for m in args.modes.split(",") if m != "dense" and m != "hybrid" or s.has_dense]
    t = time.perf_counter()
    if s.has_dense:
        s.warmup()
    for q in QUERIES[:5]:
        s.search(q, k=args.k, mode="bm25")
    warm_s = time.perf_counter() - t
    print(f"index {args.index}: {len(s.keys)} searchable rows; load {load_s:.2f}s, warm-up {warm_s:.2f}s; "
          f"{len(QUERIES)} queries × {args.repeat}; threads {torch.get_num_threads()}")
    out: dict = {"index": index_name(args.index), "rows": len(s.keys), "load_s": load_s, "modes": {}, "stages": {}}

    print("end-to-end Searcher.search (warm):")
    for mode in modes:
        times, cpu = [], []
        for _ in range(args.repeat):
            for q in QUERIES:
                t, c = time.perf_counter(), time.process_time()
                s.search(q, k=args.k, mode=mode)
                times.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
        out["modes"][mode] = summarize(mode + " (wall)", times)
        # CPU seconds of all threads: what the query costs, independent of other jobs on a shared machine
        out["modes"][mode + " cpu"] = summarize(mode + " (cpu, all threads)", cpu)

    print("stages:")
    n = max(s.fusion.candidates, args.k)
    stage: dict[str, list[float]] = {k: [] for k in ("tokenize", "bm25 top-k (ours)", "bm25s.retrieve (raw)", "encode query", "faiss search", "fusion")}
    engine = s.bm25.engine
    for _ in range(args.repeat):
        for q in QUERIES:
            t0 = time.perf_counter()
            tokens = s.tokenizer.tokenize(q)
            t1 = time.perf_counter()
            engine.top(tokens, n)
            t2 = time.perf_counter()
            ids = engine.token_ids(tokens)
            if ids:
                engine.model.retrieve([tokens], k=n, show_progress=False, n_threads=1)
            t3 = time.perf_counter()
            stage["tokenize"].append(t1 - t0)
            stage["bm25 top-k (ours)"].append(t2 - t1)
            stage["bm25s.retrieve (raw)"].append(t3 - t2)
            if s.has_dense:
                from legalret.search.fusion import fuse

                t4 = time.perf_counter()
                vec = s.dense.encode([q])[0]
                t5 = time.perf_counter()
                rows, scores = s.dense.rows(vec, n)
                t6 = time.perf_counter()
                brows, bscores = engine.top(tokens, n)
                lists = {"bm25": [(s.keys[r], v) for r, v in zip(brows.tolist(), bscores.tolist())],
                         "dense": [(s.keys[r], v) for r, v in zip(rows.tolist(), scores.tolist())]}
                t7 = time.perf_counter()
                fuse(lists, s.fusion, None, n)
                t8 = time.perf_counter()
                stage["encode query"].append(t5 - t4)
                stage["faiss search"].append(t6 - t5)
                stage["fusion"].append(t8 - t7)
    for name, values in stage.items():
        if values:
            out["stages"][name] = summarize(name, values)
    ours, raw = out["stages"]["bm25 top-k (ours)"]["p50_ms"], out["stages"]["bm25s.retrieve (raw)"]["p50_ms"]
    print(f"  BM25 stage / raw bm25s (p50): {ours / raw:.2f}×")
    out["bm25_vs_raw_p50"] = ours / raw

    if args.simulate_rows and s.has_dense:
        from legalret.index.dense import DenseIndex

        rng = np.random.default_rng(0)
        dim = s.data.dense.dim
        big = rng.standard_normal((args.simulate_rows, dim)).astype(np.float32)
        big /= np.linalg.norm(big, axis=1, keepdims=True)
        dense = DenseIndex.from_vectors(big)
        times, cpu = [], []
        vecs = s.dense.encode(QUERIES)
        for _ in range(args.repeat):
            for v in vecs:
                t, c = time.perf_counter(), time.process_time()
                dense.top(v, n)
                times.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
        print(f"simulated full-size dense index ({args.simulate_rows} × {dim}):")
        out["simulated_faiss"] = summarize(f"faiss search over {args.simulate_rows}", times)
        out["simulated_faiss_cpu"] = summarize(f"faiss search over {args.simulate_rows} (cpu)", cpu)
        enc, bm = out["stages"]["encode query"], out["stages"]["bm25 top-k (ours)"]
        est50 = enc["p50_ms"] + out["simulated_faiss"]["p50_ms"] + bm["p50_ms"] + out["stages"]["tokenize"]["p50_ms"] + out["stages"]["fusion"]["p50_ms"]
        print(f"  estimated full-size hybrid p50 ≈ {est50:.1f} ms (stage p50s summed; BM25 measured on this index's size)")
        out["estimated_full_hybrid_p50_ms"] = est50
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
