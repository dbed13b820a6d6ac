"""Each training guard fires on the failure it exists for (no model needed), and the pairs reader's errors."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from legalret.errors import TrainingError
from legalret.train import guards
from legalret.train.data import load_pairs, with_negatives

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "train"))
import pairs_builder  # noqa: E402

SENTENCE = "점유자가 점유물에 대하여 행사하는 권리는 적법하게 보유한 것으로 추정한다."


def _rows(n=50, **override):
    rows = [{"query": f"{SENTENCE} 사안 {i}", "positive": f"제{i}조(목적) {SENTENCE}"} for i in range(n)]
    for r in rows:
        r.update(override)
    return rows


def test_good_columns_pass():
    guards.check_text_columns(_rows(), ["query", "positive"], source="train.jsonl")


@pytest.mark.parametrize("bad_value", ["2019다12345", "precedent-kr/민사/대법원/2019다12345.md", "12345", "law_go_kr"])
def test_column_holding_ids_or_source_names_fails(bad_value):
    rows = _rows(positive=bad_value)
    with pytest.raises(TrainingError, match=r"train.jsonl:1: positive: 50/50 values look like ids"):
        guards.check_text_columns(rows, ["query", "positive"], source="train.jsonl")


def test_a_few_short_values_are_tolerated():
    rows = _rows()
    rows[3]["query"] = "민법194"
    guards.check_text_columns(rows, ["query", "positive"], source="train.jsonl")


def test_empty_text_names_line_and_column():
    rows = _rows()
    rows[6]["positive"] = "  "
    with pytest.raises(TrainingError, match=r"train.jsonl:7: positive: empty"):
        guards.check_text_columns(rows, ["query", "positive"], source="train.jsonl")


def test_missing_column_and_non_text_fail():
    rows = _rows()
    del rows[2]["positive"]
    with pytest.raises(TrainingError, match=r":3: column 'positive' is missing"):
        guards.check_text_columns(rows, ["query", "positive"], source="train.jsonl")
    rows = _rows(positive=None)
    with pytest.raises(TrainingError, match=r"expected text, got NoneType"):
        guards.check_text_columns(rows, ["query", "positive"], source="train.jsonl")


def test_mojibake_texts_fail():
    broken = SENTENCE.encode("utf-8").decode("latin-1")  # UTF-8 bytes read as Latin-1: 'ì\xa0\x90ì\x9c\xa0…'
    rows = _rows(query=broken)
    with pytest.raises(TrainingError, match="mojibake"):
        guards.check_text_columns(rows, ["query", "positive"], source="train.jsonl")


def test_loss_scale_guard():
    with pytest.raises(TrainingError, match="too small for cosine"):
        guards.check_loss_scale(0.05)
    with pytest.raises(TrainingError):
        guards.check_loss_scale(float("nan"))
    guards.check_loss_scale(20.0)


def test_min_pairs_refused_unless_forced():
    with pytest.raises(TrainingError, match="--force"):
        guards.check_min_pairs(120, minimum=500)
    guards.check_min_pairs(120, minimum=500, force=True)  # warns only
    guards.check_min_pairs(500, minimum=500)


def test_splits_must_be_disjoint_and_dev_non_empty():
    with pytest.raises(TrainingError, match="2019다1 .*both train and dev|both train and dev"):
        guards.check_splits(["2019다1", "2018다2", None], ["2019다1", "2021다3"], n_dev_queries=2)
    with pytest.raises(TrainingError, match="dev split is empty"):
        guards.check_splits(["2019다1"], [], n_dev_queries=0)
    guards.check_splits(["2019다1", None], ["2021다3", None], n_dev_queries=1)


def test_training_pairs_after_cutoff_are_a_leak():
    with pytest.raises(TrainingError, match="2020-03-01"):
        guards.check_train_dates(["2019-12-31", None, "2020-03-01"], cutoff="2020-01-01", source="train.jsonl")
    guards.check_train_dates(["2019-12-31", None], cutoff="2020-01-01", source="train.jsonl")


def test_nan_metrics_fail():
    with pytest.raises(TrainingError, match="non-finite"):
        guards.check_metrics_finite({"dev_cosine_recall@10": math.nan, "epoch": 1.0})
    with pytest.raises(TrainingError, match="non-finite"):
        guards.FiniteMetricsCallback().on_evaluate(None, SimpleNamespace(global_step=5), None,
                                                   metrics={"eval_dev_cosine_ndcg@10": float("nan")})


def _feed(callback, losses, start=1):
    control = SimpleNamespace(should_training_stop=False)
    for step, loss in enumerate(losses, start=start):
        callback.on_log(None, SimpleNamespace(global_step=step), control, logs={"loss": loss})
    return control


def test_stuck_loss_stops_training():
    chance = math.log(16)
    cb = guards.StuckLossCallback(16, warmup_steps=5, patience=3)
    with pytest.raises(TrainingError, match=r"chance level ln\(candidates\) = 2.773"):
        _feed(cb, [chance * 1.01] * 10)


def test_stuck_loss_warn_mode_and_learning_run():
    chance = math.log(16)
    warned = guards.StuckLossCallback(16, warmup_steps=5, patience=3, action="warn")
    _feed(warned, [chance] * 10)
    assert warned.fired
    # near chance only during warm-up, then learning: no alarm
    learning = guards.StuckLossCallback(16, warmup_steps=5, patience=3)
    _feed(learning, [chance] * 5 + [2.0, 1.6, 1.3, 1.1, 0.9])
    assert not learning.fired


def test_nan_loss_fails_at_once():
    with pytest.raises(TrainingError, match="diverged"):
        _feed(guards.StuckLossCallback(16), [2.5, float("nan")])


def test_pairs_reader_names_file_and_line(tmp_path):
    d = pairs_builder.write_pairs(tmp_path / "pairs")
    lines = (d / "train.jsonl").read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4][:-3]
    (d / "train.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(TrainingError, match=r"train.jsonl:5: invalid JSON"):
        load_pairs(d)


def test_pairs_limit_is_seeded_and_fingerprint_follows_content(tmp_path):
    d = pairs_builder.write_pairs(tmp_path / "pairs")
    a, b = load_pairs(d, limit=40, seed=1), load_pairs(d, limit=40, seed=1)
    assert [r["qid"] for r in a.train_rows] == [r["qid"] for r in b.train_rows]
    assert len(a.train_rows) == 40 and a.n_train_total == 128
    assert a.corpus["민법 제750조"].startswith("제750조(불법행위의 내용)")
    with open(d / "dev_queries.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"qid": "x", "query": "추가 질의 문장입니다", "gold": ["민법 제750조"]}, ensure_ascii=False) + "\n")
    assert load_pairs(d).fingerprint != a.fingerprint


def test_random_negatives_never_use_a_gold_of_the_same_query():
    rows = [{"qid": "q1", "positive": "A 조문"}, {"qid": "q1", "positive": "B 조문"},
            {"qid": "q2", "positive": "C 조문"}, {"qid": "q3", "positive": "D 조문", "negatives": ["A 조문"]}]
    negs, filled = with_negatives(rows, 2, seed=0)
    assert not {"A 조문", "B 조문"} & set(negs[0]) and not {"A 조문", "B 조문"} & set(negs[1])
    assert negs[3][0] == "A 조문"  # the pairs file's own hard negative comes first
    assert filled == 7


def test_numbers_the_libraries_refuse_and_a_file_as_out_are_one_line(tmp_path):
    """--rank 0, --dropout 2 (peft's and torch's tracebacks), --epochs 0 (an untrained adapter), and --out a file
    (NotADirectoryError after the pairs were read) are refused before any work."""
    from legalret.models.adapter import LoraSettings
    from legalret.train.trainer import TrainConfig, train

    a_file = tmp_path / "a-file"
    a_file.write_text("keep", encoding="utf-8")
    for config, out, message in [(TrainConfig(lora=LoraSettings(rank=0)), tmp_path / "o", "--rank: 0; give 1 or more"),
                                 (TrainConfig(lora=LoraSettings(dropout=2.0)), tmp_path / "o", "--dropout: 2.0"),
                                 (TrainConfig(epochs=0), tmp_path / "o", "--epochs: 0"),
                                 (TrainConfig(), a_file, "a file, not a folder")]:
        with pytest.raises(TrainingError, match=message):
            train(tmp_path / "no-pairs", out=out, config=config)
    assert a_file.read_text(encoding="utf-8") == "keep"
