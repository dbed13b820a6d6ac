"""Query-side adapters: a learned linear map on frozen query embeddings; passages stay the base encoder's.

A query adapter changes only how queries are embedded: ``q' = normalize(W q)`` with ``W = I + ΔW`` (384×384
for me5-small). Articles are encoded once by the frozen base, so every index built with the base encoder stays
valid, and the map is a numpy matmul after whatever produced ``q`` (torch or the ONNX export) — the query path
needs no model change. Training (``legalret.train.query_adapter``) caches base embeddings once and then fits
``ΔW`` with a softmax over the whole article set, which takes seconds per epoch on a CPU.

A query-adapter directory::

    me5-small-legal-qmap/
      query_adapter.npy            # W, (dim, dim) float32
      legalret_adapter.json        # card, format 'legalret-query-adapter-1' (base spec + fingerprint, data, dev numbers)
      README.md                    # the same card for people

Usage::

    from legalret.models.encoder import load_encoder
    from legalret.models.query_adapter import QueryAdapter, wrap_query_encoder
    qa = QueryAdapter.load("legalret/adapters/me5-small-legal-qmap")
    enc = wrap_query_encoder(load_encoder("bundled:me5-small"), qa)   # encode_queries mapped, passages unchanged
    q = enc.encode_queries(["남의 개에 물렸을 때 손해배상"])

``legalret index build --adapter <dir>`` recognises the card's ``format`` (see
:func:`legalret.models.adapter.adapter_kind`): passages are built with the base encoder and the manifest's
``encoder.query_adapter`` names the map, which the searcher applies to every query.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from legalret.errors import ModelError
# the same card file as LoRA adapters: one place to look, its `format` tells them apart
from legalret.models.adapter import CARD_NAME, QUERY_FORMAT, QUERY_WEIGHTS, read_card_json, resolve_adapter_dir

FORMAT = QUERY_FORMAT
WEIGHTS_NAME = QUERY_WEIGHTS


@dataclass
class QueryAdapterCard:
    """What a query adapter is, what it learned from and how well it did (``legalret_adapter.json``)."""

    name: str
    base: dict[str, Any]  # spec, name, fingerprint, hidden_size of the frozen encoder whose query vectors are mapped
    dim: int
    format: str = FORMAT
    kind: str = "residual-linear"  # q' = normalize((I + ΔW) q)
    fingerprint: str | None = None  # 'qmap-<sha12>' of the weights file, filled by save()
    data: dict[str, Any] = field(default_factory=dict)  # sources, query/pair counts, article count, date cut-off
    hyperparameters: dict[str, Any] = field(default_factory=dict)  # scale, l2, lr, epochs, query token cut …
    timing: dict[str, Any] = field(default_factory=dict)  # encode / train seconds, pairs per second, hardware
    dev_metrics: dict[str, Any] = field(default_factory=dict)  # dense recall@10 / MRR@10 base vs adapted, per set
    trained_at: str | None = None
    reproduce: str | None = None
    notes: list[str] = field(default_factory=list)  # provenance worth knowing (e.g. where cached vectors came from)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = CARD_NAME) -> QueryAdapterCard:
        if d.get("format") != FORMAT:
            raise ModelError(f"{where}: format {d.get('format')!r} is not a query adapter ({FORMAT})")
        if not isinstance(d.get("base"), dict) or "spec" not in d["base"]:
            raise ModelError(f"{where}: card has no base.spec")
        known = {f for f in cls.__dataclass_fields__}
        try:
            return cls(**{k: v for k, v in d.items() if k in known})
        except TypeError as e:
            raise ModelError(f"{where}: incomplete query-adapter card ({e})") from e


def query_side_fingerprint(fingerprint: str | None) -> str | None:
    """An encoder fingerprint without its passage cut (``+passage-tokens:N``): queries are never cut, so a map
    trained with one index's encoder fits any index of the same base weights (a LoRA ``+adapter:`` part stays)."""
    if not fingerprint:
        return fingerprint
    return re.sub(r"\+passage-tokens:\d+", "", fingerprint)


def weights_fingerprint(path: Path) -> str:
    h = hashlib.sha256(Path(path).read_bytes())
    return "qmap-" + h.hexdigest()[:12]


class QueryAdapter:
    """``W`` (dim × dim) and its card; :meth:`apply` maps unit query rows to unit query rows."""

    def __init__(self, weight: np.ndarray, card: QueryAdapterCard, path: Path | None = None):
        weight = np.asarray(weight, dtype=np.float32)
        if weight.ndim != 2 or weight.shape[0] != weight.shape[1] or weight.shape[0] != card.dim:
            raise ModelError(f"query adapter weight has shape {weight.shape}, the card says dim {card.dim}")
        self.weight = np.ascontiguousarray(weight)
        self.card = card
        self.path = path

    @property
    def fingerprint(self) -> str | None:
        return self.card.fingerprint

    @property
    def dim(self) -> int:
        return self.card.dim

    def apply(self, q: np.ndarray) -> np.ndarray:
        """``normalize(q @ Wᵀ)`` in float32; ``q`` is ``(n, dim)``."""
        q = np.asarray(q, dtype=np.float32)
        if q.ndim != 2 or q.shape[1] != self.dim:
            raise ModelError(f"query adapter expects (n, {self.dim}) vectors, got {q.shape}")
        out = q @ self.weight.T
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)

    # ---- files ----
    def save(self, out_dir: str | os.PathLike) -> Path:
        """Write weights, card (fingerprint filled in) and README into ``out_dir`` atomically (temp dir + rename)."""
        from legalret.atomic import atomic_dir

        out_dir = Path(out_dir)
        with atomic_dir(out_dir) as tmp:
            tmp = Path(tmp)
            np.save(tmp / WEIGHTS_NAME, self.weight)
            self.card.fingerprint = weights_fingerprint(tmp / WEIGHTS_NAME)
            (tmp / CARD_NAME).write_text(json.dumps(self.card.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            (tmp / "README.md").write_text(render_card(self.card), encoding="utf-8")
        self.path = out_dir
        return out_dir

    @classmethod
    def load(cls, adapter_dir: str | os.PathLike) -> QueryAdapter:
        """Read a query-adapter directory (or a shipped one by name: ``"me5-small-legal-qmap"``);
        :class:`ModelError` naming the file when anything is off."""
        adapter_dir = resolve_adapter_dir(adapter_dir)
        card = QueryAdapterCard.from_dict(read_card_json(adapter_dir), where=str(adapter_dir / CARD_NAME))
        wpath = adapter_dir / WEIGHTS_NAME
        if not wpath.is_file():
            raise ModelError(f"query adapter {adapter_dir} is incomplete: {WEIGHTS_NAME} is missing")
        if card.fingerprint and weights_fingerprint(wpath) != card.fingerprint:
            raise ModelError(f"{wpath}: weights do not match the card's fingerprint {card.fingerprint} (edited or corrupted)")
        try:
            weight = np.load(wpath, allow_pickle=False)
        except ValueError as e:
            raise ModelError(f"{wpath}: not a numpy array ({e})") from e
        return cls(weight, card, adapter_dir)

    def check_base(self, encoder: Any) -> None:
        """Refuse a query encoder that is not the base this map was trained on (fingerprint and dim)."""
        expected = query_side_fingerprint(self.card.base.get("fingerprint"))
        actual = query_side_fingerprint(getattr(encoder, "fingerprint", None))
        if expected and actual and actual != expected:
            raise ModelError(
                f"query adapter {self.path or self.card.name} was trained on {expected}, the encoder is {actual}: "
                "use its base encoder or retrain the adapter"
            )
        if int(getattr(encoder, "dim", self.dim)) != self.dim:
            raise ModelError(f"query adapter dim {self.dim} != encoder dim {encoder.dim}")


class AdaptedQueryEncoder:
    """An encoder whose ``encode_queries`` goes through a :class:`QueryAdapter`; everything else (passages,
    fingerprint, dim, tokenizer) is the wrapped base's — the index's vectors are the base's."""

    def __init__(self, base: Any, adapter: QueryAdapter):
        adapter.check_base(base)
        self.base = base
        self.query_adapter = adapter

    def encode_queries(self, texts: Sequence[str] | str, *args, **kwargs) -> np.ndarray:
        return self.query_adapter.apply(self.base.encode_queries(texts, *args, **kwargs))

    def __getattr__(self, name: str):  # fingerprint, dim, encode_passages, spec, … come from the base
        if name in ("base", "query_adapter"):
            raise AttributeError(name)
        return getattr(self.base, name)

    def __repr__(self) -> str:
        return f"AdaptedQueryEncoder({self.base!r}, {self.query_adapter.fingerprint})"


def wrap_query_encoder(encoder: Any, adapter: QueryAdapter | None) -> Any:
    """``encoder`` with ``adapter`` on its queries (idempotent: an encoder already wrapped by the same map is
    returned as is; one wrapped by another map is re-wrapped around its base)."""
    if adapter is None:
        return encoder
    if isinstance(encoder, AdaptedQueryEncoder):
        if encoder.query_adapter.fingerprint == adapter.fingerprint:
            return encoder
        encoder = encoder.base
    return AdaptedQueryEncoder(encoder, adapter)


def _fmt(v: Any) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)


#: Laws the README lists by name in ``pairs_by_law`` (an all-law adapter counts ~900; the card keeps them all).
README_LAWS = 15


def _data_line(k: str, v: Any) -> str:
    if k == "pairs_by_law" and isinstance(v, dict) and len(v) > README_LAWS:
        top = sorted(v.items(), key=lambda kv: -kv[1])[:README_LAWS]
        rest = len(v) - README_LAWS
        return (f"- {k}: " + ", ".join(f"{law} {n:,}" for law, n in top)
                + f", and {rest:,} more laws ({sum(v.values()) - sum(n for _, n in top):,} pairs; all in the card)")
    return f"- {k}: `{v}`"


def render_card(card: QueryAdapterCard) -> str:
    lines = [
        f"# {card.name}", "",
        "A query-side adapter for a legalret encoder: query vectors are mapped by `W = I + ΔW` and renormalised; "
        "article vectors stay the frozen base's, so base indexes stay valid.", "",
        f"- base: `{card.base.get('spec')}` (fingerprint `{card.base.get('fingerprint')}`), dim {card.dim}",
        f"- weights fingerprint: `{card.fingerprint}`",
        f"- trained: {card.trained_at}", *[f"- note: {n}" for n in card.notes], "",
        "## Data", "", *[_data_line(k, v) for k, v in card.data.items()], "",
        "## Hyper-parameters", "", *[f"- {k}: `{v}`" for k, v in card.hyperparameters.items()], "",
        "## Time", "", *[f"- {k}: `{_fmt(v)}`" for k, v in card.timing.items()], "",
        "## Dev (dense only)", "",
    ]
    for k, v in card.dev_metrics.items():
        lines.append(f"- {k}: `{json.dumps(v, ensure_ascii=False)}`")
    lines += ["", "## Use", "", "```", "legalret index build … --adapter <this directory>", "```", ""]
    if card.reproduce:
        lines += ["Rebuild:", "", "```", card.reproduce, "```", ""]
    return "\n".join(lines)
