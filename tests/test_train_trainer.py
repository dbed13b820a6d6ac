"""Real (tiny) LoRA training runs: the loss moves, the adapter round-trips, wrong bases fail, runs resume.

Tiny random encoders (legalret.models.tiny) on the hand-written pairs in tests/fixtures/train; one thread,
fp32, a few dozen steps per run, so the whole file stays around half a minute on a shared 2-core machine.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from transformers import TrainerCallback

from legalret.errors import ModelError, TrainingError
from legalret.models.encoder import load_encoder
from legalret.models.tiny import build_tiny_model
from legalret.train import TrainConfig, attach_adapter, read_card, train
from legalret.train.trainer import checkpoints_dir

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "train"))
import pairs_builder  # noqa: E402

FAST = dict(batch_size=8, max_seq_length=64, lr=5e-3, min_pairs=50, eval_queries=0, logging_steps=2,
            threads=1, bf16=False)
PROBE = ["민법 제750조 불법행위의 내용", "보험자가 서면으로 질문한 사항은 중요한 사항으로 추정한다.", "임대차의 의의"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("train")


@pytest.fixture(scope="module")
def pairs(workdir) -> Path:
    return pairs_builder.write_pairs(workdir / "pairs")


@pytest.fixture(scope="module")
def tiny_bert(workdir) -> Path:
    return build_tiny_model(workdir / "tiny-bert", arch="bert", texts=pairs_builder.tiny_texts())


@pytest.fixture(scope="module")
def tiny_roberta(workdir) -> Path:
    return build_tiny_model(workdir / "tiny-roberta", arch="roberta", texts=pairs_builder.tiny_texts())


@pytest.fixture(scope="module")
def trained(workdir, pairs, tiny_bert):
    config = TrainConfig(epochs=3, hard_negatives=1, **FAST)
    return train(pairs, out=workdir / "adapter", base=str(tiny_bert), config=config, reproduce="legalret train …")


def mean_mnrl_loss(st_model, pairs_dir: Path, batch_size: int = 8) -> float:
    """MNRL (scale 20) over the training pairs in fixed batches: the quantity training minimises."""
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    rows = [json.loads(line) for line in (pairs_dir / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    loss_fn = MultipleNegativesRankingLoss(st_model, scale=20.0)
    st_model.eval()
    losses = []
    with torch.no_grad():
        for i in range(0, len(rows) - batch_size + 1, batch_size):
            batch = rows[i:i + batch_size]
            q = st_model.tokenize(["query: " + r["query"] for r in batch])
            p = st_model.tokenize(["passage: " + r["positive"] for r in batch])
            losses.append(float(loss_fn([q, p], None)))
    return float(np.mean(losses))


def test_training_moves_the_loss_and_the_dev_metrics(trained, pairs, tiny_bert):
    base = load_encoder(str(tiny_bert), precision="fp32")
    tuned = load_encoder(str(tiny_bert), adapter=trained.out_dir, precision="fp32")
    before, after = mean_mnrl_loss(base.model, pairs), mean_mnrl_loss(tuned.model, pairs)
    assert after < before - 0.1, (before, after)
    assert trained.loss_last < trained.loss_first
    key = "dev_cosine_mrr@10"
    assert trained.dev_metrics[key] > trained.base_metrics[key]
    assert trained.steps == 3 * (128 // 8) and trained.pairs_per_second > 0


def test_adapter_is_small_and_carries_its_card(trained, pairs, tiny_bert):
    out = trained.out_dir
    assert {p.name for p in out.iterdir()} == {"adapter_config.json", "adapter_model.safetensors",
                                               "legalret_adapter.json", "README.md"}
    card = read_card(out)
    assert card["base"]["spec"] == str(tiny_bert.resolve()) and card["base"]["model_type"] == "bert"
    assert card["base"]["fingerprint"].endswith(load_encoder(str(tiny_bert), precision="fp32").fingerprint.split("@")[1])
    assert card["data"]["fingerprint"] and card["data"]["train_pairs"] == 128
    assert card["data"]["latest_train_decision"] < card["data"]["train_date_cutoff"] == "2020-01-01"
    assert card["hyperparameters"]["rank"] == 16 and card["hyperparameters"]["scale"] == 20.0
    assert card["hyperparameters"]["loss"] == "MultipleNegativesRankingLoss"
    assert 0 <= card["dev_metrics"]["dev_cosine_recall@10"] <= 1
    assert card["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert card["fingerprint"] == trained.fingerprint and card["reproduce"] == "legalret train …"
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "| recall@10 |" in readme and "with adapter" in readme
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(tiny_bert.resolve())
    assert not any("pooler" in m for m in json.dumps(config["target_modules"]).split("|"))
    assert not checkpoints_dir(out).exists()  # a finished run leaves only the adapter


def test_reloaded_adapter_gives_the_same_embeddings(trained, tiny_bert):
    trained.model.eval()
    expected = trained.model.encode(PROBE, prompt="passage: ", convert_to_numpy=True, normalize_embeddings=True)
    enc = load_encoder(str(tiny_bert), adapter=trained.out_dir, precision="fp32")
    np.testing.assert_allclose(enc.encode_passages(PROBE), expected, atol=1e-5)
    # the search-time encoder has the LoRA folded into its weights (no extra matmuls per query)
    assert any(getattr(m, "merged", False) for m in enc.model.modules())
    assert enc.fingerprint.endswith("+adapter:" + trained.fingerprint)
    base = load_encoder(str(tiny_bert), precision="fp32")
    assert not np.allclose(base.encode_passages(PROBE), expected, atol=1e-3)  # the adapter does something


def test_adapter_on_the_wrong_base_is_a_clear_error(trained, tiny_roberta, tiny_bert, workdir):
    with pytest.raises(ModelError, match="was trained on base"):
        load_encoder(str(tiny_roberta), adapter=trained.out_dir, precision="fp32")
    # same name, different weights/shape: caught by the card's architecture check
    other = load_encoder(str(tiny_roberta), precision="fp32").model
    with pytest.raises(ModelError, match="model_type"):
        attach_adapter(other, trained.out_dir, str(tiny_bert.resolve()))
    with pytest.raises(ModelError, match="not a legalret adapter"):
        attach_adapter(other, workdir, str(tiny_bert.resolve()))


def test_tampered_adapter_is_refused(trained, tiny_bert, workdir):
    import shutil

    copy = workdir / "tampered"
    shutil.copytree(trained.out_dir, copy)
    with open(copy / "adapter_model.safetensors", "r+b") as f:
        f.seek(-8, 2)
        f.write(b"\x00" * 8)
    with pytest.raises(ModelError, match="fingerprint"):
        load_encoder(str(tiny_bert), adapter=copy, precision="fp32")


class _Interrupt(TrainerCallback):
    """Simulates a killed run: raises after ``at`` steps (after the first checkpoint was written)."""

    def __init__(self, at: int):
        self.at = at

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.at:
            raise KeyboardInterrupt


def test_resume_continues_an_interrupted_run(workdir, pairs, tiny_bert):
    out = workdir / "resumed"
    config = dict(FAST, epochs=1, limit=64, eval_steps=3)
    with pytest.raises(KeyboardInterrupt):
        train(pairs, out=out, base=str(tiny_bert), config=TrainConfig(**config, callbacks=[_Interrupt(5)]))
    ckpts = checkpoints_dir(out)
    assert (ckpts / "checkpoint-3").is_dir() and not out.exists()
    # a new run must not silently throw the checkpoints away
    with pytest.raises(TrainingError, match="--resume"):
        train(pairs, out=out, base=str(tiny_bert), config=TrainConfig(**config))
    # nor resume under different settings
    with pytest.raises(TrainingError, match="different"):
        train(pairs, out=out, base=str(tiny_bert), config=TrainConfig(**dict(config, lr=1e-3), resume=True))
    # a checkpoint cut off while it was being saved (Ctrl-C then): resumed from the one before, not a traceback
    shutil.copytree(ckpts / "checkpoint-3", ckpts / "checkpoint-6")
    (ckpts / "checkpoint-6" / "trainer_state.json").unlink()
    result = train(pairs, out=out, base=str(tiny_bert), config=TrainConfig(**config, resume=True))
    assert result.steps == 64 // 8
    assert all(step > 3 for step, _ in result.losses)  # only the remaining steps were trained
    card = read_card(out)
    assert card["steps"] == 8 and not ckpts.exists()
    # the checkpoint written is the best evaluation's, and the card says which step that was (2026-12-07)
    assert card["kept_step"] in (3, 6, 8) and card["dev_metrics"]


def test_a_run_interrupted_before_its_first_checkpoint_does_not_block_the_next(workdir, pairs, tiny_bert, monkeypatch):
    """A new user's finding: Ctrl-C before the first checkpoint left ``run.json`` and ``eval/``; the same command then
    said "checkpoints of an earlier run exist … pass --resume", and --resume said "no checkpoint" — a loop."""
    from legalret.train import trainer as trainer_module

    out = workdir / "cut-early"
    config = dict(FAST, epochs=1, limit=64, eval_steps=3)
    ckpts = checkpoints_dir(out)
    with monkeypatch.context() as m:  # Ctrl-C while the base model is evaluated
        m.setattr(trainer_module, "_clean_metrics", lambda metrics: (_ for _ in ()).throw(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            train(pairs, out=out, base=str(tiny_bert), config=TrainConfig(**config))
    assert not ckpts.exists() and not out.exists()
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C at step 1 of 8, the first checkpoint due at step 3
        train(pairs, out=out, base=str(tiny_bert), config=TrainConfig(**config, callbacks=[_Interrupt(1)]))
    assert not ckpts.exists() and not out.exists()  # nothing saved: nothing left behind
    # what an older build (or a kill) left: the signature, the evaluator's CSVs, a checkpoint cut off while saving
    (ckpts / "eval").mkdir(parents=True)
    (ckpts / "eval" / "Information-Retrieval_evaluation_dev_results.csv").write_text("epoch,steps\n")
    (ckpts / "run.json").write_text("{}")
    (ckpts / "checkpoint-3").mkdir()
    with pytest.raises(TrainingError, match=r"--resume: no checkpoint .*cut off.*run without --resume to start over"):
        train(pairs, out=out, base=str(tiny_bert), config=TrainConfig(**config, resume=True))
    (ckpts / "notes.txt").write_text("mine")  # a file no run writes is not deleted without --force
    with pytest.raises(TrainingError, match=r"holds no checkpoint but files a run does not write \(notes.txt\)"):
        train(pairs, out=out, base=str(tiny_bert), config=TrainConfig(**config))
    assert (ckpts / "notes.txt").read_text() == "mine"
    (ckpts / "notes.txt").unlink()
    result = train(pairs, out=out, base=str(tiny_bert), config=TrainConfig(**config))  # no --force needed
    assert result.steps == 64 // 8 and read_card(out)["steps"] == 8 and not ckpts.exists()


def test_a_run_that_takes_no_step_writes_nothing(workdir, pairs, tiny_bert):
    """A new user's finding: with random fillers as negatives, every batch repeated a text, the sampler dropped them
    all, transformers stopped at step 0 — and an adapter of the base's weights was written, exit 0."""
    out = workdir / "no-steps"
    config = TrainConfig(**dict(FAST, batch_size=64), epochs=1, hard_negatives=3)
    with pytest.raises(TrainingError, match="no training step was taken .*nothing written"):
        train(pairs, out=out, base=str(tiny_bert), config=config)
    assert not out.exists() and not checkpoints_dir(out).exists()


def test_resume_without_checkpoint_fails(workdir, pairs, tiny_bert):
    with pytest.raises(TrainingError, match="no checkpoint"):
        train(pairs, out=workdir / "never", base=str(tiny_bert), config=TrainConfig(**FAST, resume=True))


def test_stuck_loss_stops_a_real_run(workdir, pairs, tiny_bert):
    # scale 1 passes the scale guard but keeps the softmax nearly flat: the loss sits at ln(8) and never moves.
    config = TrainConfig(**dict(FAST, lr=1e-6, logging_steps=1), epochs=1, scale=1.0, stuck_warmup_steps=2)
    with pytest.raises(TrainingError, match=r"chance level ln\(candidates\) = 2.079"):
        train(pairs, out=workdir / "stuck", base=str(tiny_bert), config=config)


def test_guards_fire_before_loading_a_model(workdir, tiny_bert):
    few = pairs_builder.write_pairs(workdir / "few")
    with pytest.raises(TrainingError, match=r"only 128 training pairs \(minimum 500\).*--force"):
        train(few, out=workdir / "x", base=str(tiny_bert), config=TrainConfig())
    no_dev = pairs_builder.write_pairs(workdir / "nodev", drop_dev=True)
    with pytest.raises(TrainingError, match="dev split is empty"):
        train(no_dev, out=workdir / "x", base=str(tiny_bert), config=TrainConfig(min_pairs=50))
    with pytest.raises(TrainingError, match="too small for cosine"):
        train(few, out=workdir / "x", base=str(tiny_bert), config=TrainConfig(min_pairs=50, scale=0.05))
    ids = workdir / "ids"
    pairs_builder.write_pairs(ids)
    rows = [json.loads(line) for line in (ids / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    with open(ids / "train.jsonl", "w", encoding="utf-8") as f:
        for r in rows:  # the reference bug: the source/case id where the query sentence belongs
            f.write(json.dumps(dict(r, query=r["case_no"]), ensure_ascii=False) + "\n")
    with pytest.raises(TrainingError, match=r"train.jsonl:1: query: 128/128 values look like ids"):
        train(ids, out=workdir / "x", base=str(tiny_bert), config=TrainConfig(min_pairs=50))
    leak = workdir / "leak"
    pairs_builder.write_pairs(leak)
    with open(leak / "dev_queries.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"qid": "z", "query": "누설된 사건의 판시사항", "gold": ["민법 제750조"],
                            "case_no": "2015다1001"}, ensure_ascii=False) + "\n")
    with pytest.raises(TrainingError, match="both train and dev"):
        train(leak, out=workdir / "x", base=str(tiny_bert), config=TrainConfig(min_pairs=50))
    # numbers the libraries met with a traceback (range() arg 3 must not be zero; Sample larger than population) or
    # that were read as the default (--threads 0)
    for changes, message in [({"cached_mnrl": True, "mini_batch": 0}, "--mini-batch: 0; give 1 or more"),
                             ({"eval_queries": -1}, r"--eval-queries: -1; give 0 \(all\) or more"),
                             ({"threads": 0}, "--threads: 0; give 1 or more")]:
        with pytest.raises(TrainingError, match=message):
            train(few, out=workdir / "x", base=str(tiny_bert), config=TrainConfig(min_pairs=50, **changes))
    with pytest.raises(TrainingError, match="is a file, not a folder"):
        train(few, out=few / "train.jsonl" / "sub", base=str(tiny_bert), config=TrainConfig(min_pairs=50))


def test_cli_preset_on_a_tiny_roberta_with_merge(workdir, pairs, tiny_roberta):
    """The card's recipe (ko-sroberta-legal) runs through the CLI on a RoBERTa of the same shape; --merge."""
    from typer.testing import CliRunner

    from legalret.cli import app

    out = workdir / "ko-merged"
    args = ["train", "--pairs", str(pairs), "--out", str(out), "--preset", "ko-sroberta-legal", "--base",
            str(tiny_roberta), "--epochs", "1", "--batch-size", "8", "--max-seq-length", "64", "--lr", "5e-3",
            "--threads", "1", "--no-bf16", "--eval-queries", "0", "--force", "--merge", "--json",
            "--cached-mnrl", "--mini-batch", "4"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["steps"] == 16 and math.isfinite(summary["recall@10"])
    card = read_card(out)
    assert card["merged"] and card["base"]["model_type"] == "roberta"
    assert card["hyperparameters"]["loss"] == "CachedMultipleNegativesRankingLoss"
    assert card["prompts"]["query"] == "Represent this sentence for searching relevant passages: "
    merged = load_encoder(str(out), precision="fp32")
    assert merged.dim == 32 and merged.spec.query_prompt == card["prompts"]["query"]
    with pytest.raises(ModelError, match="merged model"):
        load_encoder(str(tiny_roberta), adapter=out, precision="fp32")


SHIPPED = Path(__file__).resolve().parent.parent / "legalret" / "adapters" / "me5-small-legal"


@pytest.mark.skipif(not SHIPPED.is_dir(), reason="no shipped adapter")
def test_shipped_adapter_is_small_pre_2020_and_rebuildable():
    size = sum(p.stat().st_size for p in SHIPPED.iterdir())
    assert size <= 20 * 1024 * 1024
    card = read_card(SHIPPED)
    assert card["base"]["spec"] == "bundled:me5-small" and not card["merged"]
    assert card["data"]["train_date_cutoff"] == "2020-01-01"
    assert card["data"]["latest_train_decision"] < "2020-01-01"
    assert card["dev_metrics"]["dev_cosine_recall@10"] > card["base_dev_metrics"]["dev_cosine_recall@10"]
    from legalret.models.adapter import adapter_fingerprint

    assert adapter_fingerprint(SHIPPED) == card["fingerprint"]
    script = (SHIPPED.parent.parent.parent / "scripts" / "train_default_adapter.sh").read_text(encoding="utf-8")
    for option in ("--limit 1280", "--max-seq-length 64", "--lr 8e-4", "--out legalret/adapters/me5-small-legal"):
        assert option in script and option in card["reproduce"]


@pytest.mark.slow
@pytest.mark.skipif(not SHIPPED.is_dir(), reason="no shipped adapter")
def test_shipped_adapter_attaches_to_the_bundled_base():
    base = load_encoder("bundled:me5-small", precision="fp32")
    tuned = load_encoder("bundled:me5-small", adapter=SHIPPED, precision="fp32")
    assert tuned.fingerprint == base.fingerprint + "+adapter:" + read_card(SHIPPED)["fingerprint"]
    a, b = base.encode_passages(PROBE), tuned.encode_passages(PROBE)
    assert a.shape == b.shape == (3, 384) and not np.allclose(a, b, atol=1e-3)
    with pytest.raises(ModelError, match="was trained on base"):
        attach_adapter(base.model, SHIPPED, "jhgan/ko-sroberta-multitask")
