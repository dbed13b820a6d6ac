"""``legalret train --pairs DIR --out DIR`` — fine-tune the encoder with a LoRA adapter on holding → article pairs.

Examples::

    # the default encoder (offline: bundled:me5-small), a CPU-sized run
    legalret train --pairs out/pairs --out adapters/me5-small-legal --limit 6000 --max-seq-length 128 --bf16

    # the card's recipe (jhgan/ko-sroberta-multitask + its prompts), wherever the hub is reachable
    legalret train --pairs out/pairs --out adapters/ko-sroberta-legal --preset ko-sroberta-legal

    # large effective batch on small memory; continue an interrupted run; a full merged model
    legalret train --pairs out/pairs --out runs/big --batch-size 256 --cached-mnrl --mini-batch 16
    legalret train --pairs out/pairs --out runs/big --batch-size 256 --cached-mnrl --mini-batch 16 --resume
    legalret train --pairs out/pairs --out runs/merged --merge

Use the adapter: ``legalret index build --model <base> --adapter <out>`` (or ``load_encoder(base, adapter=out)``).
"""

from __future__ import annotations

import contextlib
import json
import shlex
import sys
from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    # `legalret train --pairs … --out …` (LoRA) stays the group's own command; `legalret train query-adapter …`
    # is its sub-command.
    group = typer.Typer(help="Train an encoder adapter (LoRA; or `train query-adapter`: a map on query vectors).")
    group.callback(invoke_without_command=True)(train_command)
    group.command("query-adapter")(query_adapter_command)
    app.add_typer(group, name="train")


def train_command(
    ctx: typer.Context,
    pairs: Optional[Path] = typer.Option(None, "--pairs", help="Pairs directory written by `legalret pairs` (train.jsonl, dev_queries.jsonl …)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Directory for the adapter (or the merged model with --merge)."),
    base: Optional[str] = typer.Option(None, "--base", help="Base encoder spec (default: the configured model, offline bundled:me5-small)."),
    preset: Optional[str] = typer.Option(None, "--preset", help="A named recipe: ko-sroberta-legal (base + prompts)."),
    rank: int = typer.Option(16, "--rank", help="LoRA rank."),
    alpha: int = typer.Option(32, "--alpha", help="LoRA alpha."),
    dropout: float = typer.Option(0.05, "--dropout", help="LoRA dropout."),
    epochs: float = typer.Option(1.0, "--epochs"),
    batch_size: int = typer.Option(16, "--batch-size", help="Pairs per batch (= in-batch negatives + 1)."),
    max_seq_length: Optional[int] = typer.Option(128, "--max-seq-length", help="Token limit for queries and passages."),
    lr: float = typer.Option(2e-4, "--lr", help="Learning rate."),
    scale: float = typer.Option(20.0, "--scale", help="MNRL scale (1/temperature) on cosine similarity."),
    bf16: Optional[bool] = typer.Option(None, "--bf16/--no-bf16", help="bf16 autocast (default: when the hardware has it)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Train on a seeded random subset of N pairs."),
    hard_negatives: int = typer.Option(0, "--hard-negatives", help="Negatives per pair from the pairs file (topped up at random)."),
    cached_mnrl: bool = typer.Option(False, "--cached-mnrl", help="CachedMultipleNegativesRankingLoss (GradCache)."),
    mini_batch: int = typer.Option(16, "--mini-batch", help="Mini-batch size for --cached-mnrl."),
    eval_queries: int = typer.Option(300, "--eval-queries", help="Dev queries sampled for evaluation during training (0 = all)."),
    eval_corpus: Optional[int] = typer.Option(None, "--eval-corpus", help="Passages in that evaluation: gold + random, up to N (default: all)."),
    eval_steps: Optional[int] = typer.Option(None, "--eval-steps", help="Evaluate/checkpoint every N steps (default: 4 times a run)."),
    seed: int = typer.Option(42, "--seed"),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads (default: OMP_NUM_THREADS or 2)."),
    merge: bool = typer.Option(False, "--merge", help="Write a full model with the adapter merged in."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint of this --out."),
    force: bool = typer.Option(False, "--force", help="Train below the pair minimum; discard old checkpoints."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Write over an --out that holds something other than a LoRA adapter alone."),
    name: Optional[str] = typer.Option(None, "--name", help="Adapter name for its card (default: the --out folder name)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON on stdout."),
) -> None:
    """Train a LoRA adapter (MNRL, no-duplicate batches, dev evaluation keeps the best) and save it with its card."""
    if ctx.invoked_subcommand is not None:
        return
    if pairs is None or out is None:
        raise typer.BadParameter("--pairs and --out are required", param_hint="'--pairs' / '--out'")
    from legalret.progress import console
    from legalret.models.adapter import LoraSettings
    from legalret.train.trainer import TrainConfig, train

    config = TrainConfig(
        base=base, preset=preset, lora=LoraSettings(rank=rank, alpha=alpha, dropout=dropout), epochs=epochs,
        batch_size=batch_size, max_seq_length=max_seq_length, lr=lr, scale=scale, bf16=bf16, limit=limit,
        hard_negatives=hard_negatives, cached_mnrl=cached_mnrl, mini_batch=mini_batch, eval_queries=eval_queries, eval_corpus=eval_corpus,
        eval_steps=eval_steps, seed=seed, threads=threads, merge=merge, resume=resume, force=force, overwrite=overwrite,
        name=name,
    )
    reproduce = "legalret train " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 else None
    # transformers prints its training logs on stdout; keep stdout for the --json result only.
    with contextlib.redirect_stdout(sys.stderr):
        result = train(pairs, out=out, config=config, reproduce=reproduce)
    key = "dev_cosine_recall@10"
    summary = {
        "out": str(result.out_dir), "fingerprint": result.fingerprint, "base": result.base_spec,
        "train_pairs": result.train_pairs, "steps": result.steps, "train_seconds": round(result.train_seconds, 1),
        "pairs_per_second": round(result.pairs_per_second, 2), "device": result.device,
        "loss_first": result.loss_first, "loss_last": result.loss_last,
        "base_recall@10": result.base_metrics.get(key), "recall@10": result.dev_metrics.get(key),
        "base_mrr@10": result.base_metrics.get("dev_cosine_mrr@10"), "mrr@10": result.dev_metrics.get("dev_cosine_mrr@10"),
    }
    if as_json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    console.print(
        f"dev recall@10 {summary['base_recall@10']:.4f} → {summary['recall@10']:.4f}, "
        f"MRR@10 {summary['base_mrr@10']:.4f} → {summary['mrr@10']:.4f}; "
        f"{result.steps} steps, {result.pairs_per_second:.1f} pairs/s on {result.device}"
    )


def query_adapter_command(
    queries: Path = typer.Option(..., "--queries", help="Training queries JSONL (qid, query, gold, date): `legalret pairs`' train_queries.jsonl."),
    index: Path = typer.Option(..., "--index", help="An index whose passages are the base encoder's (built without a LoRA adapter; a query adapter leaves them so, as the main job's index): its articles are the candidates and negatives."),
    out: Path = typer.Option(..., "--out", "-o", help="Adapter directory to write (legalret/adapters/<name>)."),
    extra: list[Path] = typer.Option([], "--extra-queries", help="More training query files (e.g. facts of train-split decisions)."),
    facts: Optional[Path] = typer.Option(None, "--facts", help="precedent-facts.zip: also train on each train-split decision's facts → its cited articles."),
    dev: Optional[Path] = typer.Option(None, "--dev", help="Dev queries for the card's numbers (never fitted on)."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Query-embedding cache directory (default: $LEGALRET_HOME/qcache)."),
    max_tokens: int = typer.Option(128, "--max-tokens", help="Training queries are cut to this many tokens when encoded."),
    scale: float = typer.Option(20.0, "--scale", help="Softmax scale (1/temperature) on cosine similarity."),
    l2: float = typer.Option(1e-3, "--l2", help="Penalty on ||ΔW||² (keeps W = I + ΔW near the identity)."),
    lr: float = typer.Option(2e-3, "--lr", help="Adam learning rate."),
    epochs: int = typer.Option(2, "--epochs"),
    batch_size: int = typer.Option(256, "--batch-size", help="(query, gold) pairs per step; every article is a negative."),
    alpha: float = typer.Option(0.5, "--alpha", help="W = I + alpha·ΔW at export (tuned on dev: below 1 keeps short questions)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Train on a seeded sample of N queries."),
    before: str = typer.Option("2020-01-01", "--before", help="Refuse training queries dated on/after this."),
    seed: int = typer.Option(0, "--seed"),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads for torch."),
    name: Optional[str] = typer.Option(None, "--name", help="The card's name (default: the --out folder name)."),
    note: list[str] = typer.Option([], "--note", help="A provenance note for the card (repeatable)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Write over an --out that holds something other than a query adapter alone."),
    force: bool = typer.Option(False, "--force", help="Train below the pair minimum (500)."),
) -> None:
    """Train a query adapter: base query vectors (encoded once, cached) mapped by W = I + ΔW, fitted with a softmax
    over every article of the index. Passages stay the base encoder's: `legalret index build --adapter <out>`."""
    from legalret.progress import console
    from legalret.train.query_adapter import QueryAdapterConfig, train_query_adapter

    cfg = QueryAdapterConfig(
        queries=queries, index=index, out=out, name=name, extra_queries=[str(p) for p in extra], facts=facts, cache=cache,
        max_tokens=max_tokens, scale=scale, l2=l2, lr=lr, epochs=epochs, batch_size=batch_size, alpha=alpha,
        limit=limit, before=before, dev_queries=dev, seed=seed, threads=threads, notes=list(note), overwrite=overwrite,
        force=force,
    )
    reproduce = "legalret train " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 else None
    result = train_query_adapter(cfg, reproduce=reproduce, log=lambda m: console.print(m, highlight=False))
    card = result.card
    console.print(f"wrote {result.out_dir} ({card.fingerprint}): {card.data['train_queries']:,} queries, "
                  f"{card.data['train_pairs']:,} pairs, {card.timing['wall_seconds']} s", highlight=False)
    for where, m in card.dev_metrics.items():
        console.print(f"  {where}: dense recall@10 {m['base']['recall@10']:.4f} → {m['adapted']['recall@10']:.4f}, "
                      f"MRR@10 {m['base']['mrr@10']:.4f} → {m['adapted']['mrr@10']:.4f}", highlight=False)
