"""int8 query encoders against fp32: speed, cosine, dense-alone and default-hybrid quality on one index.

For an index whose encoder has an ONNX export (``legalret.models.onnx``), this quantizes the export's fp32
graph in several ways (ONNX Runtime dynamic quantization, int8 weights per output channel), then for each
variant and fp32 measures:

* speed: warm ``encode_queries`` of one short query (the 30 ``search_latency.QUERIES``), variants timed
  alternately in rounds so that a busy neighbour on a shared machine slows them alike (medians);
* cosine of every evaluation query's final vector (query adapter applied, as searches see it) to fp32;
* recall@10 / MRR@10 of ``dense`` alone and of the default ``hybrid`` (BM25 + dense + memories + learned
  re-ranker) on the tune half of the user questions and on dev holdings — leakage-safe as
  ``benchmarks/style_eval.py`` (questions: only decisions before ``--before`` vote; holdings: only earlier,
  other decisions).

Queries are encoded one at a time (what a search does): dynamic quantization picks activation scales per
call, so a padded batch would not give a search's vectors.

Variants (``--variants``): ``int8`` (per-channel, full 8-bit range: what ``quantize_int8`` wrote before),
``int8rr`` (per-channel, ``reduce_range``: 7-bit weights, which cannot saturate the u8×s8 16-bit
accumulation of AVX2 without VNNI, so the quality measured on any CPU holds on every CPU), ``int8rr_ffn``
(only the feed-forward MatMuls), ``int8rr_mid`` (all but the first and last layers), ``int8rr_noqkv``
(no query/key/value projections), ``nbits8`` (``legalret.models.onnx.quantize_nbits8``: int8 weights and
activations with a scale per block of 32 — MatMulNBits, accuracy level 4).

    LEGALRET_HOME=/tmp/final_home .venv/bin/python experiments/query_int8.py --index /tmp/final_idx_k \\
        --holdings /tmp/q_pairs/dev_queries.jsonl --name latency-main-job/query_int8

writes ``benchmarks/results/<name>.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(var, "2")

import numpy as np

VARIANTS = ("int8", "int8rr", "int8rr_ffn", "int8rr_mid", "int8rr_noqkv", "nbits8")
#: Largest drop in recall@10 (fp32 − variant) a variant may show, dense alone and default, on each query set.
BAR = 0.005


def _layer(node: str) -> int:
    return int(node.split("layer.")[1].split("/")[0]) if "layer." in node else -1


def variant_settings(model: Path) -> dict[str, dict]:
    """quantize_dynamic keyword arguments of each variant for the fp32 graph at ``model``."""
    import onnx

    graph = onnx.load(str(model), load_external_data=False).graph
    inits = {i.name for i in graph.initializer}
    weights = [n.name for n in graph.node if n.op_type == "MatMul" and any(i in inits for i in n.input)]
    ffn = [n for n in weights if "intermediate/dense" in n or ("/output/dense" in n and "attention" not in n)]
    qkv = [n for n in weights if n.rsplit("/", 2)[-2] in ("query", "key", "value")]
    last = max(_layer(n) for n in weights)
    return {
        "int8": {"reduce_range": False, "nodes_to_exclude": []},
        "int8rr": {"reduce_range": True, "nodes_to_exclude": []},
        "int8rr_ffn": {"reduce_range": True, "nodes_to_exclude": [n for n in weights if n not in ffn]},
        "int8rr_mid": {"reduce_range": True, "nodes_to_exclude": [n for n in weights if _layer(n) in (0, last)]},
        "int8rr_noqkv": {"reduce_range": True, "nodes_to_exclude": qkv},
    }


def make_variants(export: Path, out: Path, names: list[str]) -> Path:
    """An export folder at ``out`` (links to ``export``'s files) whose config lists the quantized variants."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    from legalret.models.onnx import CONFIG_NAME, QUANTIZED, quantize_variant

    out.mkdir(parents=True, exist_ok=True)
    config = json.loads((export / CONFIG_NAME).read_text(encoding="utf-8"))
    for f in {"tokenizer.json", config.get("word_embeddings") or "", config["models"]["fp32"]} - {""}:
        if not (out / f).exists():
            os.symlink((export / f).resolve(), out / f)
    settings = variant_settings(export / config["models"]["fp32"]) if set(names) - set(QUANTIZED) else {}
    models = {"fp32": config["models"]["fp32"]}
    logging.getLogger().setLevel(logging.ERROR)
    for name in names:
        target = out / f"model.{name}.onnx"
        if not target.is_file() and name in QUANTIZED:  # a variant legalret exports (models.onnx)
            quantize_variant(export / models["fp32"], target, name)
        elif not target.is_file():
            quantize_dynamic(str(export / models["fp32"]), str(target), weight_type=QuantType.QInt8, per_channel=True,
                             **settings[name])
        models[name] = target.name
    (out / CONFIG_NAME).write_text(json.dumps(dict(config, models=models), indent=1), encoding="utf-8")
    return out


class OneAtATime:
    """An encoder that embeds each query on its own (as a search does) and remembers the vectors."""

    def __init__(self, base):
        self.base, self.cache = base, {}

    def encode_queries(self, texts, *args, **kwargs):
        texts = [texts] if isinstance(texts, str) else list(texts)
        for t in texts:
            if t not in self.cache:
                self.cache[t] = self.base.encode_queries([t])[0]
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, self.base.dim), np.float32)

    def __getattr__(self, name):
        return getattr(self.base, name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--questions", default=str(REPO / "benchmarks" / "queries" / "user_questions.jsonl"))
    ap.add_argument("--split", default="tune", choices=("report", "tune", "all"))
    ap.add_argument("--holdings", required=True, help="dev holdings (legalret pairs dev_queries.jsonl, with date/case_no)")
    ap.add_argument("--holdings-limit", type=int, default=600)
    ap.add_argument("--before", default="2020-01-01")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--work", type=Path, default=None, help="folder for the quantized models (default: a temporary one)")
    ap.add_argument("--rounds", type=int, default=5, help="speed: rounds over the 30 queries per variant")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    ap.add_argument("--name", default="latency-main-job/query_int8")
    args = ap.parse_args()

    from search_latency import QUERIES
    from style_eval import load_sets

    from legalret.evaluate.quality import evaluate
    from legalret.index.encoders import index_query_adapter
    from legalret.models.onnx import OnnxQueryEncoder, find_export
    from legalret.models.query_adapter import wrap_query_encoder
    from legalret.search.searcher import Searcher

    searcher = Searcher(args.index)
    info = searcher.manifest["encoder"]
    export = find_export(info["fingerprint"])
    if export is None:
        raise SystemExit(f"{args.index}: its encoder has no ONNX export under $LEGALRET_HOME")
    names = [v for v in args.variants.split(",") if v]
    work = args.work or Path(tempfile.mkdtemp(prefix="query_int8."))
    t = time.perf_counter()
    folder = make_variants(export, work, names)
    print(f"variants in {folder} ({time.perf_counter() - t:.0f}s)", flush=True)
    adapter = index_query_adapter(info, args.index)
    encoders = {v: wrap_query_encoder(OnnxQueryEncoder.load(folder, variant=v), adapter) for v in ["fp32", *names]}

    # speed: alternate the variants query by query, several rounds
    times: dict[str, list[float]] = {v: [] for v in encoders}
    for enc in encoders.values():
        enc.encode_queries(QUERIES[:3])
    for _ in range(args.rounds):
        for q in QUERIES:
            for v, enc in encoders.items():
                t = time.perf_counter()
                enc.encode_queries([q])
                times[v].append(time.perf_counter() - t)

    queries = load_sets(args.questions, args.split, args.holdings, args.holdings_limit or None, args.seed)
    is_holding = [q.extra["style"] == "holding" for q in queries]
    sets = {f"questions ({args.split})": [i for i, h in enumerate(is_holding) if not h],
            "dev holdings": [i for i, h in enumerate(is_holding) if h]}
    rows: dict[str, dict] = {}
    fp32_vectors = None
    for v, enc in encoders.items():
        t = time.perf_counter()
        one = OneAtATime(enc)
        searcher.dense.encoder = one
        rep = evaluate(searcher, queries, modes=("dense", "hybrid"), ks=(10,), rank_k=10, gold_filter="indexed",
                       n_resamples=0, seed=args.seed, default_before=args.before, progress=False).to_dict()
        vectors = np.stack([one.encode_queries([searcher._prepare(q.query).text])[0] for q in queries])
        if fp32_vectors is None:
            fp32_vectors = vectors
        cos = (vectors * fp32_vectors).sum(axis=1)
        row = {"encode_p50_ms": statistics.median(times[v]) * 1000, "cos_min": float(cos.min()),
               "cos_mean": float(cos.mean()), "cos_p01": float(np.percentile(cos, 1)), "sets": {}}
        for set_name, idx in sets.items():
            row["sets"][set_name] = {}
            for mode in ("dense", "hybrid"):
                per = rep["per_query"][mode]
                ms = [per[i] for i in idx if "recall@10" in per[i]]
                row["sets"][set_name][mode] = {m: float(np.mean([r[m] for r in ms])) for m in ("recall@10", "mrr@10")}
                row["sets"][set_name][mode]["n"] = len(ms)
        rows[v] = row
        print(f"{v}: {row['encode_p50_ms']:.2f} ms/query, cos min {row['cos_min']:.4f}; "
              + "; ".join(f"{s} " + ", ".join(f"{m} r@10 {r[m]['recall@10']:.4f}" for m in r) for s, r in row["sets"].items())
              + f" ({time.perf_counter() - t:.0f}s)", flush=True)
    base = rows["fp32"]
    for v, row in rows.items():
        drops = [base["sets"][s][m]["recall@10"] - row["sets"][s][m]["recall@10"] for s in sets for m in ("dense", "hybrid")]
        row["max_recall10_drop"] = max(drops)
        row["qualifies"] = v != "fp32" and max(drops) <= BAR + 1e-12

    out = {"index": args.index, "export": str(export), "fingerprint": info["fingerprint"],
           "query_adapter": (info.get("query_adapter") or {}).get("fingerprint"), "bar": BAR,
           "settings": {"split": args.split, "holdings": args.holdings, "holdings_limit": args.holdings_limit,
                        "before": args.before, "seed": args.seed, "rounds": args.rounds, "threads": os.environ.get("OMP_NUM_THREADS"),
                        "cpu_flags": _cpu_flags()},
           "variants": rows}
    path = Path(args.out) / args.name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".json").write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    md = render(out)
    path.with_suffix(".md").write_text(md, encoding="utf-8")
    print(md)


def _cpu_flags() -> list[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next(line for line in f if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return []
    return sorted(f for f in flags if f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8"))


def render(out: dict) -> str:
    sets = list(next(iter(out["variants"].values()))["sets"])
    head = ["variant", "encode p50 ms", "cos min", "cos mean"]
    for s in sets:
        head += [f"{s} dense r@10", f"{s} default r@10", f"{s} default MRR@10"]
    head += ["max r@10 drop", f"≤ {out['bar']}"]
    lines = [f"# int8 query encoders vs fp32 — {out['index']}", "",
             (f"Encoder {out['fingerprint']}, query adapter {out['query_adapter']}; CPU flags {', '.join(out['settings']['cpu_flags'])}; "
              f"{out['settings']['threads']} threads. Questions: {out['settings']['split']} half (memory before {out['settings']['before']}); "
              f"holdings: {out['settings']['holdings_limit']} dev holdings (earlier, other decisions vote)."), "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for v, r in out["variants"].items():
        cells = [v, f"{r['encode_p50_ms']:.2f}", f"{r['cos_min']:.4f}", f"{r['cos_mean']:.4f}"]
        for s in sets:
            d, h = r["sets"][s]["dense"], r["sets"][s]["hybrid"]
            cells += [f"{d['recall@10']:.4f}", f"{h['recall@10']:.4f}", f"{h['mrr@10']:.4f}"]
        cells += [f"{r['max_recall10_drop']:+.4f}", "—" if v == "fp32" else ("yes" if r["qualifies"] else "no")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
