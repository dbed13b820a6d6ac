"""Training settings a new ML user tried (2026-12-07): ``--lr inf`` trained and wrote an adapter whose 331,776 values
were all NaN, exit 0 ("dev recall@10 0.7750 → 0.1250"); ``--epochs inf`` was an OverflowError traceback; ``--alpha -5``
trained. Each is refused in one line before any work, and a run whose weights went NaN writes nothing."""

from __future__ import annotations

import math

import pytest

from legalret.errors import TrainingError
from legalret.models.adapter import LoraSettings
from legalret.train import guards
from legalret.train.trainer import TrainConfig, train


@pytest.mark.parametrize("config, message", [
    (TrainConfig(lr=math.inf), r"^--lr: inf; give a finite number above 0$"),
    (TrainConfig(lr=math.nan), r"^--lr: nan; give a finite number above 0$"),
    (TrainConfig(epochs=math.inf), r"^--epochs: inf; give a finite number above 0$"),
    (TrainConfig(lora=LoraSettings(alpha=-5)), r"^--alpha: -5; give a number above 0"),
    (TrainConfig(lora=LoraSettings(alpha=0)), r"^--alpha: 0; give a number above 0"),
])
def test_settings_that_train_nothing_or_nan_are_refused_before_any_work(tmp_path, config, message):
    with pytest.raises(TrainingError, match=message):
        train(tmp_path / "no-pairs", out=tmp_path / "out", config=config)
    assert not (tmp_path / "out").exists()


def test_weights_that_went_nan_are_a_one_line_error():
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Linear(3, 2))
    guards.check_weights_finite(model)  # (finite: nothing to say)
    with torch.no_grad():
        model[0].weight[0, 0] = float("nan")
    with pytest.raises(TrainingError, match=r"^1 trained weight tensor\(s\) hold NaN or infinite values \(first: "
                                            r"0\.weight\): the run diverged \(lower --lr\?\) — nothing written$"):
        guards.check_weights_finite(model)
