"""LoRA fine-tuning of the sentence encoder on (holding → article) pairs: ``legalret train``.

The recipe: a PEFT LoRA adapter (attention + feed-forward linears) on the configured encoder, trained with
sentence-transformers' :class:`SentenceTransformerTrainer`, :class:`MultipleNegativesRankingLoss` (scale 20 on
cosine; the GradCache variant for big effective batches on small memory), a no-duplicates batch sampler (two pairs
sharing an article in one batch would make that article a false negative), optional hard negatives from the pairs
file, and an :class:`InformationRetrievalEvaluator` on the dev split that picks the best checkpoint. The guards in
:mod:`legalret.train.guards` run before and during training.

Usage::

    from legalret.train import train, TrainConfig
    result = train("out/pairs", out="adapters/me5-small-legal", config=TrainConfig(limit=8000, max_seq_length=128))
    result.dev_metrics["dev_cosine_recall@10"], result.base_metrics["dev_cosine_recall@10"]

    # the card's own recipe, wherever the hub is reachable:
    train("out/pairs", out="adapters/ko-sroberta-legal", config=TrainConfig(preset="ko-sroberta-legal"))

Prompts come from the model spec (or the preset) and are given to the trainer in one place, as
sentence-transformers' ``prompts=`` training argument: the pairs files hold bare texts.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from legalret.config import TRAIN_END, default_model
from legalret.errors import ModelError, TrainingError
from legalret.progress import console
from legalret.models.adapter import (
    ADAPTER_NAME,
    LORA_FORMAT,
    LoraSettings,
    add_lora,
    adapter_fingerprint,
    check_adapter_out,
    file_fingerprint,
    merge_lora,
    model_type,
    save_adapter,
    write_card,
)
from legalret.train import guards
from legalret.train.data import PairsData, load_pairs, with_negatives

QUERY_COLUMN, POSITIVE_COLUMN = "query", "positive"
EVALUATOR_NAME = "dev"
#: The metric that picks the best checkpoint and that the card reports first.
BEST_METRIC = f"{EVALUATOR_NAME}_cosine_recall@10"


#: Named training recipes → their base model. The prompts and length are the base's, from the one preset
#: table (:data:`legalret.models.spec.PRESETS`); ``--base`` may override the weights (tests use a tiny
#: RoBERTa of the same shape), the prompts stay the recipe's.
PRESETS: dict[str, str] = {"ko-sroberta-legal": "jhgan/ko-sroberta-multitask"}


@dataclass
class TrainConfig:
    """Everything that decides what ``train`` produces (recorded in the adapter card)."""

    base: str | None = None             # model spec; None = legalret.config.default_model()
    preset: str | None = None           # a PRESETS name
    lora: LoraSettings = field(default_factory=LoraSettings)
    epochs: float = 1.0
    batch_size: int = 16
    max_seq_length: int | None = 128    # None = the spec's / preset's
    lr: float = 2e-4
    warmup_ratio: float = 0.1
    scale: float = 20.0                 # MNRL scale = 1 / temperature, cosine similarity
    bf16: bool | None = None            # None = automatic (GPU with bf16, or a CPU with avx512_bf16/AMX)
    limit: int | None = None            # train on a seeded random subset of this many pairs
    hard_negatives: int = 0             # negatives per pair (pairs-file negatives, topped up with random ones)
    cached_mnrl: bool = False           # CachedMultipleNegativesRankingLoss (GradCache)
    mini_batch: int = 16                # its mini-batch size
    eval_queries: int = 300             # dev queries sampled (seeded) for evaluation during training
    eval_corpus: int | None = None      # passages in that evaluation: the sampled queries' gold + random others
                                        # up to this many (None = every article of the pairs' corpus)
    eval_steps: int | None = None       # None = about 4 evaluations per run
    logging_steps: int = 10
    merge: bool = False                 # write a full merged model instead of the adapter alone
    resume: bool = False
    force: bool = False                 # train below the pair minimum; discard old checkpoints
    overwrite: bool = False             # write over an ``out`` that holds something other than a LoRA adapter alone
    min_pairs: int = guards.MIN_PAIRS
    on_stuck: str = "stop"              # 'stop' | 'warn' when the loss sits at ln(#candidates)
    stuck_warmup_steps: int | None = None  # None = 10% of the steps, at least 20
    seed: int = 42
    name: str | None = None             # adapter name in the card (default: the output directory name)
    threads: int | None = None          # CPU threads (default: OMP_NUM_THREADS or 2)
    callbacks: list = field(default_factory=list)  # extra transformers TrainerCallbacks (not part of the card)


@dataclass
class TrainResult:
    out_dir: Path
    fingerprint: str
    base_spec: str
    base_metrics: dict[str, float]       # dev metrics of the base encoder (before training)
    dev_metrics: dict[str, float]        # dev metrics of the saved (best) model
    losses: list[tuple[int, float]]      # (step, logged training loss)
    steps: int
    train_pairs: int
    train_seconds: float
    pairs_per_second: float
    device: str
    card: dict[str, Any]
    model: Any = field(default=None, repr=False)  # the trained SentenceTransformer (adapter active, or merged)

    @property
    def loss_first(self) -> float:
        return self.losses[0][1] if self.losses else math.nan

    @property
    def loss_last(self) -> float:
        return self.losses[-1][1] if self.losses else math.nan


def checkpoints_dir(out: Path) -> Path:
    """Where a run's checkpoints live (beside the output, so the output holds only the adapter)."""
    return out.parent / f"{out.name}.checkpoints"


def resolve_training_spec(config: TrainConfig):
    """(ModelSpec of the base, query prompt, passage prompt, max_seq_length): the one place prompts are decided."""
    from legalret.models.spec import resolve_spec

    from legalret.models.spec import PRESETS as MODEL_PRESETS

    preset, base = None, None
    if config.preset:
        if config.preset not in PRESETS:
            raise TrainingError(f"unknown preset {config.preset!r}: known presets are {', '.join(PRESETS)}")
        base = PRESETS[config.preset]
        preset = MODEL_PRESETS[base]
    spec = resolve_spec(config.base or base or default_model())
    query_prompt = preset.query_prompt if preset else spec.query_prompt
    passage_prompt = preset.passage_prompt if preset else spec.passage_prompt
    max_len = config.max_seq_length or (preset.max_seq_length if preset else None) or spec.max_seq_length or 128
    return spec, query_prompt, passage_prompt, max_len


def _strip_prompt(text: str, prompt: str) -> str:
    return text[len(prompt):] if prompt and text.startswith(prompt) else text


def _use_bf16(config: TrainConfig) -> bool:
    import torch

    if config.bf16 is not None:
        return config.bf16
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    from legalret.hardware import cpu_has_native_bf16

    return cpu_has_native_bf16()


def _device_name() -> str:
    import torch

    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    return f"cpu ({torch.get_num_threads()} threads)"


def _run_signature(config: TrainConfig, spec_name: str, data_fp: str) -> dict[str, Any]:
    """What must be identical for ``--resume`` to continue a run (else the checkpoint belongs to another run)."""
    keys = ("epochs", "batch_size", "max_seq_length", "lr", "warmup_ratio", "scale", "limit", "hard_negatives",
            "cached_mnrl", "mini_batch", "eval_queries", "eval_corpus", "eval_steps", "seed")
    sig = {k: getattr(config, k) for k in keys}
    sig.update(lora=asdict(config.lora), base=spec_name, data=data_fp)
    return sig


def _prepare_checkpoints(ckpt_dir: Path, config: TrainConfig, signature: dict[str, Any]) -> str | None:
    """Return the checkpoint to resume from (or None), after checking it belongs to this run."""
    sig_path = ckpt_dir / "run.json"
    existing, cut_off = last_complete_checkpoint(ckpt_dir)
    if config.resume:
        if not existing:
            raise TrainingError(f"--resume: no checkpoint in {ckpt_dir}"
                                + (f" (only {', '.join(cut_off)}, cut off while being saved)" if cut_off else "")
                                + "; run without --resume to start over")
        if cut_off:  # (a run stopped while it saved one: resuming from it was a FileNotFoundError)
            console.print(f"[yellow]note:[/] {', '.join(cut_off)} was cut off while being saved (no trainer_state.json);"
                          f" resuming from the one before", highlight=False)
        old = json.loads(sig_path.read_text()) if sig_path.is_file() else None
        if old != signature:
            changed = sorted(k for k in signature if (old or {}).get(k) != signature[k])
            raise TrainingError(f"--resume: the checkpoints in {ckpt_dir} come from a run with different {changed}")
        console.print(f"resuming from {existing}")
        return existing
    if existing:
        if not config.force:
            raise TrainingError(
                f"checkpoints of an earlier run exist in {ckpt_dir}: pass --resume to continue it, or --force to start over"
            )
        shutil.rmtree(ckpt_dir)
    elif ckpt_dir.is_dir() and any(ckpt_dir.iterdir()):
        # No checkpoint to resume from: what a run stopped before its first one left (its run.json, eval/, a checkpoint
        # cut off while saving) is no earlier run to protect — it blocked the next run in a loop between two errors.
        names = sorted(p.name for p in ckpt_dir.iterdir())
        foreign = [n for n in names if n not in _UNSAVED_RUN_FILES and n not in cut_off]
        if foreign and not config.force:
            raise TrainingError(f"{ckpt_dir} holds no checkpoint but files a run does not write ({', '.join(foreign)}):"
                                " move them away, or pass --force to delete them")
        shutil.rmtree(ckpt_dir)
        console.print(f"[yellow]note:[/] removed what an earlier run left in {ckpt_dir} before it saved a checkpoint"
                      f" ({', '.join(names)})", highlight=False)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    sig_path.write_text(json.dumps(signature, indent=2, ensure_ascii=False))
    return None


#: What a run writes in its checkpoints folder besides its checkpoints (its signature, the evaluator's CSVs).
_UNSAVED_RUN_FILES = frozenset({"run.json", "eval", "runs"})


def _discard_if_unsaved(ckpt_dir: Path) -> str | None:
    """The newest complete checkpoint of a stopped run; when there is none, the folder goes (nothing to resume)."""
    done, _ = last_complete_checkpoint(ckpt_dir)
    if done is None:
        shutil.rmtree(ckpt_dir, ignore_errors=True)
    return done


def last_complete_checkpoint(ckpt_dir: Path) -> tuple[str | None, list[str]]:
    """The newest checkpoint of ``ckpt_dir`` that was saved whole (its ``trainer_state.json`` is written last), and the
    names of newer ones that were not (a run stopped while saving)."""
    numbered = sorted((int(p.name.split("-", 1)[1]), p) for p in ckpt_dir.glob("checkpoint-*")
                      if p.is_dir() and p.name.split("-", 1)[1].isdigit()) if ckpt_dir.is_dir() else []
    cut_off: list[str] = []
    for _, path in reversed(numbered):
        if (path / "trainer_state.json").is_file():
            return str(path), cut_off
        cut_off.append(path.name)
    return None, cut_off


def build_evaluator(data: PairsData, query_prompt: str, passage_prompt: str, *, n_queries: int, seed: int,
                    batch_size: int = 32, corpus: dict[str, str] | None = None, corpus_size: int | None = None):
    """InformationRetrievalEvaluator over dev: sampled dev queries, the corpus (key → passage), gold keys.

    ``corpus_size`` shrinks the corpus for speed on CPU: every gold article of the sampled queries stays,
    plus seeded random distractors up to that size (scores are then higher than on the full corpus; the final
    comparison belongs to the benchmarks).
    """
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

    corpus = corpus if corpus is not None else data.corpus
    usable = [q for q in data.dev_queries if any(k in corpus for k in q["gold"])]
    if not usable:
        raise TrainingError(f"{data.pairs_dir}: no dev query has a gold article in the evaluation corpus")
    rng = random.Random(seed)
    if n_queries and len(usable) > n_queries:
        usable = rng.sample(usable, n_queries)
    if corpus_size and corpus_size < len(corpus):
        keep = {k for q in usable for k in q["gold"] if k in corpus}
        others = sorted(set(corpus) - keep)
        keep |= set(rng.sample(others, max(0, min(len(others), corpus_size - len(keep)))))
        corpus = {k: corpus[k] for k in sorted(keep)}
    queries = {str(q["qid"]): _strip_prompt(q["query"], query_prompt) for q in usable}
    relevant = {str(q["qid"]): {k for k in q["gold"] if k in corpus} for q in usable}
    return InformationRetrievalEvaluator(
        queries=queries,
        corpus={k: _strip_prompt(v, passage_prompt) for k, v in corpus.items()},
        relevant_docs=relevant,
        name=EVALUATOR_NAME,
        query_prompt=query_prompt or None,
        corpus_prompt=passage_prompt or None,
        mrr_at_k=[10],
        ndcg_at_k=[10],
        accuracy_at_k=[1, 10],
        precision_recall_at_k=[1, 5, 10, 20],
        map_at_k=[100],
        batch_size=batch_size,
        write_csv=False,
        score_functions=None,
        show_progress_bar=False,
    )


def _clean_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """Evaluator metrics without the ``eval_`` prefix, as plain floats."""
    out = {}
    for k, v in metrics.items():
        if isinstance(v, (int, float)):
            out[k.removeprefix("eval_")] = float(v)
    return out


class _LossRecorder:
    """Collects the logged training losses and step durations (a TrainerCallback, kept tiny on purpose)."""

    def __init__(self):
        from transformers import TrainerCallback

        recorder = self

        class _Callback(TrainerCallback):
            def on_step_begin(self, args, state, control, **kwargs):
                recorder._step_started = time.perf_counter()

            def on_step_end(self, args, state, control, **kwargs):
                if recorder._step_started is not None:
                    recorder.step_seconds.append(time.perf_counter() - recorder._step_started)

            def on_log(self, args, state, control, logs=None, **kwargs):
                if logs and "loss" in logs:
                    recorder.losses.append((state.global_step, float(logs["loss"])))

        self.losses: list[tuple[int, float]] = []
        self.step_seconds: list[float] = []
        self._step_started: float | None = None
        self.callback = _Callback()


def train(pairs_dir: str | Path, *, out: str | Path, base: str | None = None, config: TrainConfig | None = None,
          reproduce: str | None = None) -> TrainResult:
    """Train a LoRA adapter on the pairs in ``pairs_dir`` and write it (with its card) to ``out``.

    ``base`` overrides ``config.base``. ``reproduce`` is the command line recorded in the card.
    Raises :class:`TrainingError` when a guard fails (before any weights are touched where possible).
    """
    import torch

    config = config or TrainConfig()
    if base is not None:
        config.base = base
    out = Path(out).resolve()
    threads = config.threads or int(os.environ.get("OMP_NUM_THREADS") or 2)
    torch.set_num_threads(threads)

    # ---- checks that need no model -------------------------------------------------------------------------------
    guards.check_loss_scale(config.scale)
    if config.batch_size < 2:
        raise TrainingError("batch size must be at least 2: in-batch negatives need other pairs in the batch")
    # numbers the libraries would refuse with a traceback (peft's rank, torch's dropout), or that train nothing
    # (inf too: --lr inf had trained and written an adapter of NaN weights, exit 0; --epochs inf was a traceback)
    for name, value, ok, want in (("--rank", config.lora.rank, config.lora.rank >= 1, "1 or more"),
                                  ("--alpha", config.lora.alpha, _finite(config.lora.alpha) and config.lora.alpha > 0,
                                   "a number above 0 (LoRA scales its update by alpha / rank)"),
                                  ("--dropout", config.lora.dropout, 0 <= config.lora.dropout < 1, "from 0 to below 1"),
                                  ("--epochs", config.epochs, _finite(config.epochs) and config.epochs > 0,
                                   "a finite number above 0"),
                                  ("--lr", config.lr, _finite(config.lr) and config.lr > 0, "a finite number above 0"),
                                  ("--max-seq-length", config.max_seq_length,
                                   config.max_seq_length is None or config.max_seq_length >= 8, "8 or more"),
                                  ("--limit", config.limit, config.limit is None or config.limit >= 1, "1 or more"),
                                  ("--mini-batch", config.mini_batch, config.mini_batch >= 1, "1 or more"),
                                  ("--eval-queries", config.eval_queries, config.eval_queries >= 0, "0 (all) or more"),
                                  ("--eval-corpus", config.eval_corpus, config.eval_corpus is None or config.eval_corpus >= 1,
                                   "1 or more"),
                                  ("--threads", config.threads, config.threads is None or config.threads >= 1, "1 or more"),
                                  ("--hard-negatives", config.hard_negatives, config.hard_negatives >= 0, "0 or more")):
        if not ok:
            raise TrainingError(f"{name}: {value}; give {want}")
    try:
        # (before the pairs are read: a file as --out was a traceback; --out the same as --pairs deleted the pairs)
        check_adapter_out(out, kind=LORA_FORMAT, overwrite=config.overwrite, inputs=(pairs_dir,))
    except ModelError as e:
        raise TrainingError(str(e)) from None
    data = load_pairs(pairs_dir, limit=config.limit, seed=config.seed)
    src = str(data.pairs_dir / "train.jsonl")
    guards.check_text_columns(data.train_rows, [QUERY_COLUMN, POSITIVE_COLUMN], source=src)
    guards.check_min_pairs(len(data.train_rows), minimum=config.min_pairs, force=config.force)
    guards.check_splits(
        (r.get("case_no") for r in data.train_rows),
        [r.get("case_no") for r in data.dev_rows] + [q.get("case_no") for q in data.dev_queries],
        n_dev_queries=len(data.dev_queries),
    )
    guards.check_train_dates((r.get("decided") for r in data.train_rows), cutoff=TRAIN_END.isoformat(), source=src)
    guards.check_text_columns(data.dev_queries, [QUERY_COLUMN], source=str(data.pairs_dir / "dev_queries.jsonl"))

    spec, query_prompt, passage_prompt, max_len = resolve_training_spec(config)

    # ---- datasets --------------------------------------------------------------------------------------------------
    from datasets import Dataset

    columns: dict[str, list[str]] = {
        QUERY_COLUMN: [_strip_prompt(r[QUERY_COLUMN], query_prompt) for r in data.train_rows],
        POSITIVE_COLUMN: [_strip_prompt(r[POSITIVE_COLUMN], passage_prompt) for r in data.train_rows],
    }
    negatives, filled = with_negatives(data.train_rows, config.hard_negatives, seed=config.seed)
    for i in range(config.hard_negatives):
        columns[f"negative_{i + 1}"] = [_strip_prompt(n[i], passage_prompt) for n in negatives]
    if filled:
        console.print(f"{filled} of {len(data.train_rows) * config.hard_negatives} negatives were random fillers "
                      f"(the pairs file had fewer hard negatives)")
    train_dataset = Dataset.from_dict(columns)
    # Prompts, from the spec, per column — the single place they are applied during training.
    prompts = {QUERY_COLUMN: query_prompt} if query_prompt else {}
    if passage_prompt:
        prompts.update({c: passage_prompt for c in columns if c != QUERY_COLUMN})

    # ---- model -----------------------------------------------------------------------------------------------------
    from legalret.models.encoder import load_encoder

    encoder = load_encoder(spec, precision="fp32")
    st_model = encoder.model
    st_model.max_seq_length = max_len
    trainable = add_lora(st_model, config.lora)
    console.print(
        f"base {spec.name} ({model_type(st_model)}), LoRA r={config.lora.rank} α={config.lora.alpha}: "
        f"{trainable:,} trainable parameters; {len(train_dataset):,} pairs"
        + (f" (of {data.n_train_total:,})" if data.n_train_total != len(train_dataset) else "")
    )

    # ---- loss, evaluator, arguments --------------------------------------------------------------------------------
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.sentence_transformer.losses import CachedMultipleNegativesRankingLoss, MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers

    if config.cached_mnrl:
        loss = CachedMultipleNegativesRankingLoss(st_model, scale=config.scale, mini_batch_size=config.mini_batch)
    else:
        loss = MultipleNegativesRankingLoss(st_model, scale=config.scale)
    evaluator = build_evaluator(data, query_prompt, passage_prompt, n_queries=config.eval_queries, seed=config.seed,
                                corpus_size=config.eval_corpus)

    bf16 = _use_bf16(config)
    steps_per_epoch = max(1, len(train_dataset) // config.batch_size)
    total_steps = max(1, math.ceil(steps_per_epoch * config.epochs))
    eval_steps = config.eval_steps or max(1, total_steps // 4)
    warmup_steps = max(1, int(config.warmup_ratio * total_steps))
    ckpt_dir = checkpoints_dir(out)
    signature = _run_signature(config, spec.name, data.fingerprint)

    args = SentenceTransformerTrainingArguments(
        output_dir=str(ckpt_dir),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        learning_rate=config.lr,
        warmup_steps=warmup_steps,
        lr_scheduler_type="linear",
        bf16=bf16,
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        prompts=prompts or None,
        eval_strategy="steps",
        eval_steps=eval_steps,
        save_strategy="steps",
        save_steps=eval_steps,
        save_total_limit=2,
        load_best_model_at_end=True,
        metric_for_best_model=f"eval_{BEST_METRIC}",
        greater_is_better=True,
        logging_steps=config.logging_steps,
        logging_first_step=True,
        seed=config.seed,
        data_seed=config.seed,
        dataloader_drop_last=True,
        dataloader_num_workers=0,
        report_to="none",
        use_cpu=not torch.cuda.is_available(),
    )
    recorder = _LossRecorder()
    stuck_warmup = config.stuck_warmup_steps if config.stuck_warmup_steps is not None else max(20, total_steps // 10)
    callbacks = [
        recorder.callback,
        guards.StuckLossCallback(config.batch_size * (1 + config.hard_negatives), warmup_steps=stuck_warmup,
                                 action=config.on_stuck),
        guards.FiniteMetricsCallback(),
        *config.callbacks,
    ]

    resume_from = _prepare_checkpoints(ckpt_dir, config, signature)
    try:  # (from here on the checkpoints folder exists: a run stopped before its first checkpoint removes it)
        # The base encoder's dev score, for the card: LoRA B matrices start at zero, so this *is* the base model.
        base_metrics = _clean_metrics(evaluator(st_model))
        guards.check_metrics_finite(base_metrics, where="evaluation of the base model")
        console.print(f"base model: {BEST_METRIC} = {base_metrics.get(BEST_METRIC, math.nan):.4f}")

        trainer = SentenceTransformerTrainer(
            model=st_model, args=args, train_dataset=train_dataset, loss=loss, evaluator=evaluator, callbacks=callbacks,
        )
        started = time.perf_counter()
        output = trainer.train(resume_from_checkpoint=resume_from)
    except BaseException as e:
        done = _discard_if_unsaved(ckpt_dir)
        if isinstance(e, KeyboardInterrupt):
            console.print(f"[yellow]interrupted:[/] nothing written to {out}; "
                          + (f"the same command with --resume continues from {Path(done).name} (kept in {ckpt_dir})" if done else
                             "no checkpoint was saved yet: the same command starts over"), highlight=False)
        raise
    train_seconds = time.perf_counter() - started
    steps = output.global_step
    # Resumed runs only timed the remaining steps; count those pairs only.
    first_step = int(Path(resume_from).name.split("-")[-1]) if resume_from else 0
    if steps == 0:  # (an adapter of the base's weights had been written, exit 0; a resumed run has its steps)
        _discard_if_unsaved(ckpt_dir)
        raise TrainingError(f"no training step was taken ({len(train_dataset)} pairs, batches of {config.batch_size}"
                            f"{f' with {config.hard_negatives} negatives each' if config.hard_negatives else ''}): the "
                            "sampler dropped every batch (repeated texts in it); lower --batch-size or --hard-negatives, "
                            "or give more pairs — nothing written")
    pairs_per_second = (steps - first_step) * config.batch_size / train_seconds if train_seconds > 0 else math.nan
    # Pure training throughput (evaluations and checkpointing excluded): the median optimisation step.
    step_median = float(sorted(recorder.step_seconds)[len(recorder.step_seconds) // 2]) if recorder.step_seconds else math.nan
    train_pairs_per_second = config.batch_size / step_median if step_median > 0 else math.nan

    st_model.eval()
    guards.check_weights_finite(st_model)  # (before anything is written: an adapter of NaN weights had been saved)
    dev_metrics = _clean_metrics(evaluator(st_model))
    guards.check_metrics_finite(dev_metrics, where="final evaluation")
    # load_best_model_at_end: the model written is the best evaluation's, which need not be the last step's (a run of
    # 8 steps kept step 2's and said only "8 steps": its card read as the 8-step model)
    best = trainer.state.best_model_checkpoint
    kept_step = int(Path(best).name.rsplit("-", 1)[-1]) if best else steps
    kept = f"; kept step {kept_step}'s, the best {BEST_METRIC} of its evaluations" if kept_step != steps else ""
    console.print(f"trained model: {BEST_METRIC} = {dev_metrics.get(BEST_METRIC, math.nan):.4f} "
                  f"({steps} steps{kept}, {pairs_per_second:.1f} pairs/s)")

    # ---- write the adapter (or merged model) atomically ------------------------------------------------------------
    latest = max((r.get("decided") or "" for r in data.train_rows), default="") or None
    card = {
        "name": config.name or out.name,
        "format": "legalret-lora-1",
        "merged": config.merge,
        "base": {
            "spec": spec.name,
            "name": spec.label,
            "kind": spec.kind,
            "fingerprint": encoder.fingerprint,
            "model_type": model_type(st_model),
            "hidden_size": getattr(st_model.transformers_model.config, "hidden_size", None),
        },
        "prompts": {"query": query_prompt, "passage": passage_prompt},
        "preset": config.preset,
        "hyperparameters": {
            "rank": config.lora.rank, "alpha": config.lora.alpha, "dropout": config.lora.dropout,
            "target_modules": "attention q/k/v/output + feed-forward intermediate/output (not the pooler)",
            "loss": type(loss).__name__, "scale": config.scale, "batch_size": config.batch_size,
            "mini_batch": config.mini_batch if config.cached_mnrl else None,
            "hard_negatives": config.hard_negatives, "epochs": config.epochs, "lr": config.lr,
            "warmup_steps": warmup_steps, "max_seq_length": max_len, "bf16": bf16, "seed": config.seed,
            "batch_sampler": "no_duplicates", "limit": config.limit,
        },
        "data": {
            "pairs_dir": str(data.pairs_dir),
            "fingerprint": data.fingerprint,
            "train_pairs": len(data.train_rows),
            "train_pairs_total": data.n_train_total,
            "dev_queries": len(data.dev_queries),
            "eval_queries": len(evaluator.queries),
            "eval_corpus": len(evaluator.corpus),
            "train_date_cutoff": TRAIN_END.isoformat(),
            "latest_train_decision": latest,
        },
        "base_dev_metrics": {k: base_metrics[k] for k in sorted(base_metrics) if k.startswith(EVALUATOR_NAME)},
        "dev_metrics": {k: dev_metrics[k] for k in sorted(dev_metrics) if k.startswith(EVALUATOR_NAME)},
        "losses": recorder.losses,
        "steps": steps,
        "kept_step": kept_step,  # the step whose checkpoint was written (the best evaluation's: see above)
        "train_seconds": train_seconds,
        "pairs_per_second": pairs_per_second,           # wall clock, evaluations included
        "train_pairs_per_second": train_pairs_per_second,  # median optimisation step only
        "step_seconds_median": step_median,
        "device": _device_name(),
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "reproduce": reproduce,
    }
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent if out.parent.exists() else None))
    try:
        if config.merge:
            _save_merged(st_model, tmp, prompts={"query": query_prompt, "passage": passage_prompt})
            card["fingerprint"] = "merged-" + file_fingerprint(sorted(tmp.rglob("*.safetensors")))
        else:
            save_adapter(st_model, tmp, base_name=spec.name)
            card["fingerprint"] = adapter_fingerprint(tmp)
        write_card(tmp, card)
        # mkdtemp makes a private (0700) folder; the result is an ordinary shareable directory.
        os.chmod(tmp, 0o755)
        for f in tmp.rglob("*"):
            os.chmod(f, 0o755 if f.is_dir() else 0o644)
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(ckpt_dir, ignore_errors=True)  # the run finished: its checkpoints are no longer needed
    console.print(f"wrote {'merged model' if config.merge else 'adapter'} {out} ({card['fingerprint']})")
    return TrainResult(
        out_dir=out, fingerprint=card["fingerprint"], base_spec=spec.name, base_metrics=base_metrics,
        dev_metrics=dev_metrics, losses=recorder.losses, steps=steps, train_pairs=len(data.train_rows),
        train_seconds=train_seconds, pairs_per_second=pairs_per_second, device=card["device"], card=card,
        model=st_model,
    )


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _save_merged(st_model, out_dir: Path, *, prompts: dict[str, str]) -> None:
    """Fold the LoRA deltas into the base weights and save a plain sentence-transformers model.

    The saved model carries the prompts it was trained with, so ``load_encoder(out_dir)`` uses them.
    """
    import numpy as np
    from peft.tuners.tuners_utils import BaseTunerLayer

    probe = ["민법 제750조 불법행위의 내용", "보험자가 서면으로 질문한 사항은 중요한 사항으로 추정한다."]
    before = st_model.encode(probe, convert_to_numpy=True, normalize_embeddings=True)
    merge_lora(st_model, adapter_names=[ADAPTER_NAME])
    # Swap each merged LoRA layer for its base layer, then forget the PEFT config: a plain model remains.
    hf_model = st_model.transformers_model
    for name, module in list(hf_model.named_modules()):
        if isinstance(module, BaseTunerLayer):
            parent_name, _, child = name.rpartition(".")
            parent = hf_model.get_submodule(parent_name) if parent_name else hf_model
            setattr(parent, child, module.get_base_layer())
    hf_model._hf_peft_config_loaded = False
    if hasattr(hf_model, "peft_config"):
        del hf_model.peft_config
    after = st_model.encode(probe, convert_to_numpy=True, normalize_embeddings=True)
    if not np.allclose(before, after, atol=1e-4):
        raise TrainingError(f"merging the adapter changed the embeddings (max diff {np.abs(before - after).max():.2e})")
    st_model.prompts = {k: v for k, v in prompts.items() if v}
    st_model.save(str(out_dir))
