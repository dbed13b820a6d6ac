"""Training the cross-encoder re-ranker: (query, article) → relevance, LoRA on the bundled encoder.

The model is a sentence-transformers :class:`CrossEncoder` initialised from the same encoder as the search
(:func:`legalret.models.cross_encoder.init_cross_encoder`: its transformer and tokenizer, a fresh one-logit head).
Only a LoRA adapter (attention + feed-forward linears, as the bi-encoder's) and the new head (pooler +
classifier) are trained, so what a run produces is a few MB — small enough to come back from a lent machine —
and the word-embedding table stays the base's.

Data (from the file :mod:`legalret.train.gpu_prepare` writes): each training query — a pre-2020 holding whose
gold is in the main-job index, or a tune-half user question — gives one positive row per gold article and
``negatives`` negative rows drawn from its mined list (the default search's top 50 without the gold, or BM25's),
half from the top of that list and half at random from the rest: the re-ranker must learn to demote exactly
what the first stage ranks high. Loss: binary cross-entropy with ``pos_weight`` = negatives per positive.

Usage::

    from legalret.train.cross_encoder import CrossEncoderConfig, train_cross_encoder, rerank_metrics

    result = train_cross_encoder(inputs, out_dir, CrossEncoderConfig(base="bundled:me5-small", limit=64))
    result.model.predict([("전세 보증금", "임대차는 …")])
    rerank_metrics(lambda q, texts: result.model.predict([(q, t) for t in texts]), inputs, top_ns=(10, 20))
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from legalret.models.adapter import ADAPTER_NAME, LoraSettings, lora_config, save_adapter

#: Modules trained in full beside the LoRA: the classification head sentence-transformers adds (the pooler may
#: be missing from a mean-pooled sentence encoder's weights and is then initialised fresh, like the classifier).
HEAD_MODULES = ["classifier", "pooler"]


@dataclass
class CrossEncoderConfig:
    base: str = "bundled:me5-small"
    max_length: int = 256
    lora: LoraSettings = field(default_factory=LoraSettings)
    negatives: int = 7               # negative rows per query (half from the top of its mined list)
    batch_size: int = 64
    lr: float = 2e-4
    epochs: float = 1.0
    warmup_ratio: float = 0.1
    bf16: bool | None = None         # None = where the device has it natively
    limit: int | None = None         # a seeded sample of this many training queries
    seed: int = 42
    callbacks: list = field(default_factory=list)  # extra TrainerCallbacks (a time budget), not part of the card


@dataclass
class CrossEncoderResult:
    model: Any
    adapter_dir: Path
    rows: int
    queries: int
    steps: int
    train_seconds: float
    pairs_per_second: float
    losses: list[tuple[int, float]]
    card: dict


def training_rows(inputs: dict, *, negatives: int, limit: int | None = None, seed: int = 42) -> tuple[list[tuple[str, str, float]], int]:
    """(query, article text, label) rows and the number of queries they come from (see module docstring)."""
    rng = random.Random(seed)
    articles, mined = inputs["articles"], inputs["negatives"]
    queries = [q for q in inputs["ce_train"] if q["qid"] in mined and mined[q["qid"]]["keys"]]
    if limit is not None and limit < len(queries):
        queries = rng.sample(queries, limit)
    rows: list[tuple[str, str, float]] = []
    for q in queries:
        gold = [k for k in q["gold"] if k in articles]
        pool = [k for k in mined[q["qid"]]["keys"] if k in articles and k not in q["gold"]]
        if not gold or not pool:
            continue
        top = pool[: negatives // 2 + negatives % 2]
        rest = pool[len(top):]
        chosen = top + rng.sample(rest, min(len(rest), negatives - len(top)))
        rows += [(q["query"], articles[k], 1.0) for k in gold]
        rows += [(q["query"], articles[k], 0.0) for k in chosen]
    rng.shuffle(rows)
    return rows, len(queries)


def _use_bf16(config: CrossEncoderConfig) -> bool:
    import torch

    if config.bf16 is not None:
        return config.bf16
    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def train_cross_encoder(inputs: dict, out_dir: str | Path, config: CrossEncoderConfig) -> CrossEncoderResult:
    """Train the LoRA cross-encoder on ``inputs`` and save its adapter (PEFT files) to ``out_dir``."""
    import torch
    from datasets import Dataset
    from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
    from transformers import TrainerCallback

    from legalret.errors import TrainingError
    from legalret.models.cross_encoder import init_cross_encoder
    from legalret.models.encoder import _materialize
    from legalret.models.spec import resolve_spec
    from legalret.progress import console

    rows, n_queries = training_rows(inputs, negatives=config.negatives, limit=config.limit, seed=config.seed)
    if not rows:
        raise TrainingError("no cross-encoder training rows: no training query has both gold text and mined negatives")
    spec = resolve_spec(config.base)
    model = init_cross_encoder(_materialize(spec), max_length=config.max_length)
    lora = lora_config(model, config.lora)
    lora.modules_to_save = list(HEAD_MODULES)
    model.add_adapter(lora, adapter_name=ADAPTER_NAME)
    model.set_adapter(ADAPTER_NAME)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    console.print(f"cross-encoder: {spec.name} + LoRA r={config.lora.rank} and a fresh head, {trainable:,} trainable "
                  f"parameters; {len(rows):,} rows from {n_queries:,} queries")

    dataset = Dataset.from_dict({"query": [r[0] for r in rows], "passage": [r[1] for r in rows],
                                 "label": [r[2] for r in rows]})
    loss = BinaryCrossEntropyLoss(model, pos_weight=torch.tensor(float(config.negatives)))
    steps = max(1, math.ceil(len(rows) / config.batch_size * config.epochs))
    losses: list[tuple[int, float]] = []

    class _Losses(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                losses.append((state.global_step, float(logs["loss"])))

    out_dir = Path(out_dir)
    bf16 = _use_bf16(config)
    args = CrossEncoderTrainingArguments(
        output_dir=str(out_dir.parent / f".{out_dir.name}.checkpoints"),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        learning_rate=config.lr,
        warmup_steps=max(1, int(config.warmup_ratio * steps)),
        lr_scheduler_type="linear",
        bf16=bf16,
        save_strategy="no",
        logging_steps=max(1, steps // 20),
        logging_first_step=True,
        seed=config.seed,
        data_seed=config.seed,
        dataloader_num_workers=0,
        report_to="none",
        use_cpu=not torch.cuda.is_available(),
    )
    trainer = CrossEncoderTrainer(model=model, args=args, train_dataset=dataset, loss=loss,
                                  callbacks=[_Losses(), *config.callbacks])
    started = time.perf_counter()
    output = trainer.train()
    seconds = time.perf_counter() - started
    done_rows = min(len(rows), output.global_step * config.batch_size)
    model.eval()
    save_adapter(model, out_dir, base_name=spec.name)
    card = {
        "format": "legalret-cross-encoder-lora-1",
        "base": spec.name,
        "max_length": config.max_length,
        "hyperparameters": {**{k: v for k, v in asdict(config).items() if k not in ("callbacks", "lora")},
                            "lora": asdict(config.lora), "head_modules": HEAD_MODULES, "bf16": bf16,
                            "loss": "BinaryCrossEntropyLoss(pos_weight=negatives)"},
        "data": {"rows": len(rows), "rows_trained": done_rows, "queries": n_queries,
                 "sources": _source_counts(inputs, rows)},
        "steps": output.global_step, "planned_steps": steps,
        "train_seconds": seconds, "pairs_per_second": done_rows / seconds if seconds > 0 else math.nan,
        "losses": losses,
    }
    return CrossEncoderResult(model, out_dir, len(rows), n_queries, output.global_step, seconds,
                              card["pairs_per_second"], losses, card)


def _source_counts(inputs: dict, rows) -> dict[str, int]:
    counts: dict[str, int] = {}
    for q in inputs["ce_train"]:
        m = inputs["negatives"].get(q["qid"])
        if m:
            key = f"{q.get('kind', 'holding').split('-')[0]}:{m['source']}"
            counts[key] = counts.get(key, 0) + 1
    return counts


def load_trained_cross_encoder(base: str, adapter_dir: str | Path, *, max_length: int = 256, device: str | None = None):
    """The base cross-encoder with a trained adapter loaded and merged (for export and scoring)."""
    from legalret.models.adapter import merge_lora
    from legalret.models.cross_encoder import init_cross_encoder
    from legalret.models.encoder import _materialize, quiet_transformers
    from legalret.models.spec import resolve_spec

    model = init_cross_encoder(_materialize(resolve_spec(base)), max_length=max_length, device=device)
    with quiet_transformers():
        model.transformers_model.load_adapter(str(adapter_dir), adapter_name=ADAPTER_NAME)
    merge_lora(model)
    model.eval()
    return model


def rerank_metrics(score: Callable[[str, list[str]], Sequence[float]], dev: list[dict], candidates: dict[str, list[str]],
                   articles: dict[str, str], *, top_ns: Sequence[int] = (10, 20, 30, 50)) -> dict[str, dict[str, float]]:
    """recall@10 / MRR@10 of the first stage's order and of its top N re-ordered by ``score(query, texts)``, for
    each N, over the ``dev`` queries that have candidates. The largest N is scored once and cut for the others
    (a cross-encoder's score of a pair does not depend on the other candidates)."""
    queries = [q for q in dev if candidates.get(q["qid"])]
    deepest = max(top_ns)
    result: dict[str, list[tuple[float, float]]] = {"first_stage": [], **{f"top{n}": [] for n in top_ns}}
    for q in queries:
        keys = [k for k in candidates[q["qid"]] if k in articles]
        gold = set(q["gold"])
        result["first_stage"].append(_recall_mrr(keys, gold))
        head = keys[:deepest]
        values = np.asarray(score(q["query"], [articles[k] for k in head]), dtype=np.float64) if head else np.zeros(0)
        for n in top_ns:
            part = values[:n]
            order = np.argsort(-part, kind="stable").tolist()
            result[f"top{n}"].append(_recall_mrr([head[j] for j in order] + keys[n:], gold))
    return {name: {"recall@10": float(np.mean([r for r, _ in v])) if v else math.nan,
                   "mrr@10": float(np.mean([m for _, m in v])) if v else math.nan, "queries": len(v)}
            for name, v in result.items()}


def _recall_mrr(ranked: list[str], gold: set[str]) -> tuple[float, float]:
    if not gold:
        return 0.0, 0.0
    top = ranked[:10]
    recall = len(gold & set(top)) / len(gold)
    rr = next((1.0 / (i + 1) for i, k in enumerate(top) if k in gold), 0.0)
    return recall, rr
