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
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from legalret.search.searcher import Searcher  # noqa: E402

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--modes", default="hybrid,bm25,dense")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--simulate-rows", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--memory", action="store_true", help="fuse the index's precedent memory (three-way hybrid)")
    args = ap.parse_args()

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
    out: dict = {"index": str(args.index), "rows": len(s.keys), "load_s": load_s, "modes": {}, "stages": {}}

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
