"""LoRA fine-tuning of the sentence encoder (``legalret train``) and the learned fusion re-ranker.

Usage::

    from legalret.train import train, TrainConfig
    result = train("out/pairs", out="adapters/me5-small-legal", config=TrainConfig(limit=6000))
    print(result.base_metrics["dev_cosine_recall@10"], "→", result.dev_metrics["dev_cosine_recall@10"])

Modules: :mod:`~legalret.train.trainer` (the run), :mod:`~legalret.train.data` (pairs directory),
:mod:`~legalret.train.guards` (checks that fail loudly), :mod:`~legalret.train.ranker` (the fusion re-ranker).
Adapters themselves (LoRA targets, save, attach) are a model artifact: :mod:`legalret.models.adapter`.
Names are imported lazily, so ``python -m legalret.train.ranker`` does not pay for torch.
"""

from __future__ import annotations

_LAZY = {
    "train": "legalret.train.trainer",
    "TrainConfig": "legalret.train.trainer",
    "TrainResult": "legalret.train.trainer",
    "PRESETS": "legalret.train.trainer",
    "LoraSettings": "legalret.models.adapter",
    "attach_adapter": "legalret.models.adapter",
    "read_card": "legalret.models.adapter",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'legalret.train' has no attribute {name!r}")


__all__ = list(_LAZY)
