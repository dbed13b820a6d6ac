"""LoRA fine-tuning of the sentence encoder (``legalret train``) and loading of the adapters it writes.

Usage::

    from legalret.train import train, TrainConfig, attach_adapter
    result = train("out/pairs", out="adapters/me5-small-legal", config=TrainConfig(limit=6000))
    print(result.base_metrics["dev_cosine_recall@10"], "→", result.dev_metrics["dev_cosine_recall@10"])

Modules: :mod:`~legalret.train.trainer` (the run), :mod:`~legalret.train.data` (pairs directory),
:mod:`~legalret.train.guards` (checks that fail loudly), :mod:`~legalret.train.adapter` (LoRA targets, save, attach).
"""

from legalret.train.adapter import LoraSettings, attach_adapter, read_card
from legalret.train.trainer import PRESETS, TrainConfig, TrainResult, train

__all__ = ["train", "TrainConfig", "TrainResult", "PRESETS", "LoraSettings", "attach_adapter", "read_card"]
