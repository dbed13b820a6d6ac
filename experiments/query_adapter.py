"""Dense-only quality of the query adapter vs the base encoder vs the shipped LoRA, per question style, and where
the training time goes (issue #14).

Systems (dense retrieval only, public Searcher API, ``memory=False``):

* ``base``   — the base index (``bundled:me5-small``, passages cut at 128 tokens), base query vectors;
* ``lora``   — an index built with the shipped LoRA adapter (``--lora-index``, with its ``--lora-home``);
* ``qmap``   — the base index's vectors with the query adapter on the queries: an index built with
  ``legalret index build --adapter <query adapter>`` (``--qmap-index``) or, without one, the base index with the
  adapter applied by ``legalret.index.build.load_query_encoder`` (the same vectors: passages are the base's).

Query sets are ``benchmarks/style_eval.py``'s: the ``report`` half of ``user_questions.jsonl`` per style plus a
seeded sample of 600 dev holdings (seed 0) — the adapter's α/l2 were chosen on the *other* dev holdings and the
``tune`` half, never on these. ``--measure`` also times, on small samples, the base forward pass at 128 tokens
(bf16 / fp32, length-sorted batches) against a LoRA query tower's forward + backward (what a LoRA epoch costs).

    .venv/bin/python experiments/query_adapter.py --base-index /tmp/b_base_idx \\
        --adapter legalret/adapters/me5-small-legal-qmap --qmap-index /tmp/qa_idx \\
        --lora-index /tmp/lead_idx --lora-home /tmp/lead_home --measure

writes ``benchmarks/results/query_adapter.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(var, "2")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

sys.path.insert(0, str(REPO / "benchmarks"))
from style_eval import _evaluate, _metrics, load_sets, per_style  # noqa: E402  (the same query sets and tables)


def dense_per_query(searcher, queries, seed: int) -> tuple[list, float]:
    rep = _evaluate(searcher, queries, modes=("dense",), ks=(1, 10, 100), rank_k=10, gold_filter="indexed",
                    n_resamples=0, seed=seed)
    return _metrics(rep, "dense", queries), rep["modes"]["dense"].get("seconds", 0.0)


def measure(train_queries: str | Path, samples: int = 128, steps: int = 6, batch: int = 16) -> dict:
    """Queries/s at 128 tokens: base forward (bf16, fp32; length-sorted batches of 32) vs LoRA fwd+bwd (fp32)."""
    import torch

    from legalret.models.adapter import LoraSettings, add_lora
    from legalret.models.encoder import load_encoder

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    rows = [json.loads(line)["query"] for line in open(train_queries, encoding="utf-8")]
    texts = sorted(rows[:: max(1, len(rows) // samples)][:samples], key=len)
    res: dict = {"samples": len(texts), "threads": torch.get_num_threads(), "max_tokens": 128}
    for prec in ("bf16", "fp32"):
        enc = load_encoder("bundled:me5-small", precision=prec)
        enc.model.max_seq_length = 128
        enc.encode_queries(texts[:32])
        t = time.perf_counter()
        enc.encode_queries(texts, batch_size=32)
        res[f"forward_{prec}_queries_per_s"] = round(len(texts) / (time.perf_counter() - t), 2)
    enc = load_encoder("bundled:me5-small", precision="fp32")
    model = enc.model
    model.max_seq_length = 128
    add_lora(model, LoraSettings())
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    P = torch.nn.functional.normalize(torch.randn(2263, enc.dim), dim=-1)  # a full article set as negatives
    n, t = 0, None
    for step in range(steps + 1):
        if step == 1:  # first step warms up
            n, t = 0, time.perf_counter()
        chunk = texts[(step * batch) % len(texts):][:batch]
        feats = model.tokenize([enc.spec.query_prompt + x for x in chunk])
        q = torch.nn.functional.normalize(model(feats)["sentence_embedding"], dim=-1)
        loss = torch.nn.functional.cross_entropy(20 * q @ P.T, torch.zeros(len(chunk), dtype=torch.long))
        loss.backward()
        opt.step()
        opt.zero_grad()
        n += len(chunk)
    res["lora_forward_backward_fp32_queries_per_s"] = round(n / (time.perf_counter() - t), 3)
    res["lora_epoch_hours_52k_pairs"] = round(52312 / res["lora_forward_backward_fp32_queries_per_s"] / 3600, 1)
    res["base_encode_minutes_30k_holdings_bf16"] = round(30113 / res["forward_bf16_queries_per_s"] / 60, 1)
    return res


def markdown(result: dict) -> str:
    s = result["settings"]
    names = list(result["systems"])
    out = [f"### Dense retrieval per style — query adapter vs base vs shipped LoRA ({s['split']} split)\n",
           f"{result['systems_doc']}\n",
           f"Mean with 95% bootstrap interval ({s['n_resamples']} resamples); holdings: {s['holdings_limit']} seeded dev "
           f"holdings (seed {s['seed']}); gold keys outside the index are not scored.\n"]
    for metric in ("recall@10", "mrr@10"):
        out.append(f"\n**{metric}**\n\n| style | n | " + " | ".join(names) + " |")
        out.append("|---|---:|" + "---:|" * len(names))
        for style, e in result["styles"].items():
            cells = []
            for n in names:
                m = e["retrievers"][n]["metrics"].get(metric)
                cells.append(f"{m['mean']:.3f} [{m['ci_low']:.3f}, {m['ci_high']:.3f}]" if m else "–")
            out.append(f"| {style} | {e['retrievers'][names[0]]['evaluated']} | " + " | ".join(cells) + " |")
    out.append("\n**Paired differences (mean [95% CI]; p = share of resamples with no gain)**\n")
    out.append("| style | comparison | recall@10 | mrr@10 |\n|---|---|---:|---:|")
    for style, e in result["styles"].items():
        for cmp_, d in e["paired"].items():
            cells = [f"{d[m]['mean']:+.3f} [{d[m]['ci_low']:+.3f}, {d[m]['ci_high']:+.3f}] p={d[m]['p_not_better']:.3f}" for m in ("recall@10", "mrr@10")]
            out.append(f"| {style} | {cmp_} | " + " | ".join(cells) + " |")
    if result.get("speed"):
        out.append("\n**Where training time goes (this 2-core machine, shared; small samples)**\n")
        out += [f"- {k}: {v}" for k, v in result["speed"].items()]
    if result.get("adapter_card"):
        c = result["adapter_card"]
        out.append(f"\n**Query adapter** `{c['name']}` ({c['fingerprint']}): {c['data'].get('train_queries')} queries, "
                   f"{c['data'].get('train_pairs')} pairs; hyper-parameters {json.dumps({k: v for k, v in c['hyperparameters'].items() if k != 'epoch_losses'}, ensure_ascii=False)}; "
                   f"timing {json.dumps(c['timing'], ensure_ascii=False)}\n")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base-index", required=True)
    ap.add_argument("--adapter", required=True, help="the query adapter directory")
    ap.add_argument("--qmap-index", help="an index built with --adapter <query adapter> (default: base index + adapter)")
    ap.add_argument("--lora-index", help="an index built with the shipped LoRA adapter")
    ap.add_argument("--lora-home", help="LEGALRET_HOME for the LoRA index (its model / ONNX export cache)")
    ap.add_argument("--questions", default=str(REPO / "benchmarks/queries/user_questions.jsonl"))
    ap.add_argument("--split", default="report", choices=("tune", "report", "all"))
    ap.add_argument("--holdings", default="/tmp/q_pairs/dev_queries.jsonl")
    ap.add_argument("--holdings-limit", type=int, default=600)
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--measure", action="store_true", help="also time forward vs LoRA forward+backward (a few minutes)")
    ap.add_argument("--train-queries", help="--measure samples these holdings (default: train_queries.jsonl beside --holdings)")
    ap.add_argument("--name", default="query_adapter")
    args = ap.parse_args(argv)

    from legalret.index.encoders import load_index_encoder, load_query_encoder
    from legalret.index.store import read_manifest
    from legalret.models.query_adapter import QueryAdapter, wrap_query_encoder
    from legalret.search.searcher import Searcher

    t0 = time.perf_counter()
    queries = load_sets(args.questions, args.split, args.holdings, args.holdings_limit, args.seed)
    results, seconds = {}, {}
    base_info = read_manifest(args.base_index)["encoder"]
    base_enc = load_index_encoder(base_info, where=args.base_index)
    results["base"], seconds["base"] = dense_per_query(Searcher(args.base_index, memory=False, encoder=base_enc), queries, args.seed)
    print(f"base: {seconds['base']:.0f}s", flush=True)
    if args.lora_index:
        old = os.environ.get("LEGALRET_HOME")
        if args.lora_home:
            os.environ["LEGALRET_HOME"] = args.lora_home
        try:
            results["lora"], seconds["lora"] = dense_per_query(Searcher(args.lora_index, memory=False), queries, args.seed)
        finally:
            if old is None:
                os.environ.pop("LEGALRET_HOME", None)
            else:
                os.environ["LEGALRET_HOME"] = old
        print(f"lora: {seconds['lora']:.0f}s", flush=True)
    qa = QueryAdapter.load(args.adapter)
    if args.qmap_index:
        info = read_manifest(args.qmap_index)["encoder"]
        qenc = load_query_encoder(info, encoder=base_enc, where=args.qmap_index)  # the manifest's query adapter
        if getattr(qenc, "query_adapter", None) is None or qenc.query_adapter.fingerprint != qa.fingerprint:
            raise SystemExit(f"{args.qmap_index} does not record query adapter {qa.fingerprint}")
        qindex = args.qmap_index
    else:
        qenc, qindex = wrap_query_encoder(base_enc, qa), args.base_index
    results["qmap"], seconds["qmap"] = dense_per_query(Searcher(qindex, memory=False, encoder=qenc), queries, args.seed)
    print(f"qmap: {seconds['qmap']:.0f}s", flush=True)
    speed = measure(args.train_queries or Path(args.holdings).with_name("train_queries.jsonl")) if args.measure else None
    result = {
        "settings": {"base_index": args.base_index, "lora_index": args.lora_index, "qmap_index": qindex, "adapter": args.adapter,
                     "questions": args.questions, "split": args.split, "holdings": args.holdings,
                     "holdings_limit": args.holdings_limit, "n_resamples": args.resamples, "seed": args.seed,
                     "seconds": round(time.perf_counter() - t0, 1), "search_seconds": {k: round(v, 1) for k, v in seconds.items()}},
        "systems": {n: n for n in results},
        "systems_doc": "base = bundled:me5-small; lora = shipped LoRA `me5-small-legal` (its own index); "
                       "qmap = base passages + the query adapter on queries. Dense only, no memory.",
        "styles": per_style(queries, results, n_resamples=args.resamples, seed=args.seed,
                            comparisons=(("qmap", "base"), ("qmap", "lora"))),
        "speed": speed,
        "adapter_card": qa.card.to_dict(),
    }
    out_dir = REPO / "benchmarks" / "results"
    (out_dir / f"{args.name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    md = markdown(result)
    (out_dir / f"{args.name}.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
