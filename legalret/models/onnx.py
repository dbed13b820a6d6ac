"""A lean query encoder: the (adapter-merged) sentence encoder exported to ONNX, run by ONNX Runtime.

Searching needs only to embed a short query. The torch path (torch + transformers + sentence-transformers +
peft) takes ~20 s to import and load on this project's 2-core CPU; ONNX Runtime + ``tokenizers`` load the same
network in well under a second. The torch :class:`~legalret.models.encoder.Encoder` stays the path for
training, index building and GPUs; this module only serves queries (and passages, for checks).

An export is a directory ``$LEGALRET_HOME/models/onnx/<fingerprint-dir>/`` holding::

    model.onnx            the transformer (token embeddings out), fp32
    model.int8.onnx       optional: the same with int8 dynamic quantization of the weights
    tokenizer.json        the model's fast tokenizer (``tokenizers`` format)
    legalret_onnx.json    prompts, pooling, max length, pad id, input names and the encoder fingerprint

It is written in a temporary directory beside the target and renamed into place, so a reader sees a complete
export or none. :class:`OnnxQueryEncoder` imports neither torch, transformers nor sentence-transformers.

Usage::

    from legalret.models.encoder import load_encoder
    from legalret.models.onnx import OnnxQueryEncoder, export_onnx, find_export

    enc = load_encoder("bundled:me5-small", adapter="legalret/adapters/me5-small-legal")
    path = find_export(enc.fingerprint) or export_onnx(enc, quantize=True)     # ~10 s for me5-small
    q = OnnxQueryEncoder.load(path)                   # fp32 (``variant="int8"`` for the quantized model)
    q.encode_queries(["유치권 간접점유"]).shape           # (1, 384), float32, unit rows
    q.fingerprint == enc.fingerprint                  # True: the index's dense vectors match

Pooling (mean / cls / max, with or without the prompt tokens) and L2 normalisation are done in numpy, exactly
as the sentence-transformers modules do them; ``tests/test_models_onnx.py`` checks cosine ≥ 0.999 against the
torch encoder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from legalret.errors import ModelError

#: Bumped when the export layout or the config's meaning changes; older exports are then not found.
EXPORT_VERSION = 1
CONFIG_NAME = "legalret_onnx.json"
MODEL_FILES = {"fp32": "model.onnx", "int8": "model.int8.onnx"}
#: The ONNX opset the TorchScript exporter writes (supported by every onnxruntime ≥ 1.14).
OPSET = 17


def export_root() -> Path:
    """Where exports live: ``$LEGALRET_HOME/models/onnx``."""
    from legalret.config import legalret_home

    return legalret_home() / "models" / "onnx"


def export_dir_name(fingerprint: str) -> str:
    """A file-system-safe directory name for ``fingerprint``: readable prefix + 12 hex of its sha256.

    Fingerprints hold ``:``, ``@`` and ``+`` (``bundled:me5-small@ab12+adapter:cd34``) and can be long; the
    hash keeps two fingerprints that differ only in replaced characters apart."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", fingerprint)[:80].strip("._") or "model"
    return f"{readable}-{hashlib.sha256(fingerprint.encode('utf-8')).hexdigest()[:12]}"


def find_export(fingerprint: str, *, root: str | os.PathLike | None = None) -> Path | None:
    """The export directory for ``fingerprint`` if a complete one exists (config matches, fp32 model present)."""
    path = Path(root) if root is not None else export_root()
    path = path / export_dir_name(fingerprint)
    config = _read_config(path)
    if config is None or config.get("fingerprint") != fingerprint or config.get("version") != EXPORT_VERSION:
        return None
    if not (path / MODEL_FILES["fp32"]).is_file() or not (path / "tokenizer.json").is_file():
        return None
    return path


def export_onnx(encoder, *, quantize: bool = False, root: str | os.PathLike | None = None, force: bool = False) -> Path:
    """Export ``encoder`` (a loaded :class:`~legalret.models.encoder.Encoder`, adapter merged) and return the dir.

    ``quantize`` also writes ``model.int8.onnx`` (int8 dynamic quantization of the weights). A complete export
    for the same fingerprint (with int8 when ``quantize``) is kept and returned as is — the fingerprint pins
    the weights, so it is the same model — unless ``force``; otherwise the new one replaces it atomically
    (readers holding the old files keep them open).
    """
    existing = find_export(encoder.fingerprint, root=root)
    if existing is not None and not force and (not quantize or (existing / MODEL_FILES["int8"]).is_file()):
        return existing
    import torch

    st = encoder.model
    transformer, pooling = _st_parts(st)
    hf = getattr(transformer, "auto_model", None) or getattr(transformer, "model", None)
    tokenizer = transformer.tokenizer
    if hf is None or tokenizer is None or not hasattr(tokenizer, "backend_tokenizer"):
        raise ModelError(f"{encoder!r}: cannot export to ONNX (needs a transformer with a fast tokenizer)")
    pool = pooling.get_config_dict() if pooling is not None else {"pooling_mode": "mean", "include_prompt": True}
    mode = pool.get("pooling_mode", "mean")
    if isinstance(mode, (list, tuple)):
        if len(mode) != 1:
            raise ModelError(f"{encoder!r}: pooling {mode} is not supported by the ONNX export (one mode only)")
        mode = mode[0]
    if mode not in ("mean", "cls", "max"):
        raise ModelError(f"{encoder!r}: pooling {mode!r} is not supported by the ONNX export (mean, cls, max)")
    input_names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in tokenizer.model_input_names]
    if "input_ids" not in input_names or "attention_mask" not in input_names:
        input_names = ["input_ids", "attention_mask"]

    root = Path(root) if root is not None else export_root()
    target = root / export_dir_name(encoder.fingerprint)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=root))
    try:
        _export_graph(hf, tokenizer, input_names, tmp / MODEL_FILES["fp32"])
        tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
        if quantize:
            quantize_int8(tmp / MODEL_FILES["fp32"], tmp / MODEL_FILES["int8"])
        config = {
            "version": EXPORT_VERSION,
            "fingerprint": encoder.fingerprint,
            "spec": encoder.spec.name,
            "dim": int(encoder.dim),
            "query_prompt": encoder.spec.query_prompt,
            "passage_prompt": encoder.spec.passage_prompt,
            "max_seq_length": int(encoder.max_seq_length),
            "passage_max_tokens": encoder.passage_max_tokens,
            "pooling": mode,
            "include_prompt": bool(pool.get("include_prompt", True)),
            "pad_token_id": int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0),
            "pad_token": str(tokenizer.pad_token or "[PAD]"),
            "do_lower_case": bool(getattr(transformer, "do_lower_case", False)),
            "input_names": input_names,
            "models": {k: v for k, v in MODEL_FILES.items() if (tmp / v).is_file()},
            "torch": torch.__version__,
            "opset": OPSET,
        }
        (tmp / CONFIG_NAME).write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o755)
        _swap_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def quantize_int8(src: Path, dst: Path) -> Path:
    """int8 dynamic quantization (weights int8 per output channel, activations quantized per batch at run time).

    Per-channel weights: on me5-small + the legal adapter per-tensor int8 gave query cosines 0.91–0.97 to fp32,
    per-channel 0.97–0.99. The embedding table (Gather) is quantized too: the file shrinks 470 → 118 MB, which
    is most of the load time."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs "consider pre-processing" on the root logger
    try:
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)
    return dst


class OnnxQueryEncoder:
    """An ONNX export loaded into ONNX Runtime: ``encode_queries`` like the torch encoder, without torch.

    ``threads`` caps ONNX Runtime's intra-op threads (default: its own choice, all cores)."""

    def __init__(self, path: Path, session, tokenizer, config: dict, variant: str):
        self.path = path
        self.session = session
        self.tokenizer = tokenizer
        self.config = config
        self.variant = variant
        self.fingerprint: str = config["fingerprint"]
        self.dim: int = int(config["dim"])
        self.max_seq_length: int = int(config["max_seq_length"])
        self.passage_max_tokens: int | None = config.get("passage_max_tokens")
        self._inputs = {i.name for i in session.get_inputs()}
        self._passage_tokenizer = None  # a second tokenizer cut at passage_max_tokens, made on first use

    def __repr__(self) -> str:
        return f"OnnxQueryEncoder({self.config.get('spec')!r}, dim={self.dim}, variant={self.variant!r})"

    @classmethod
    def load(cls, path: str | os.PathLike, *, variant: str = "fp32", threads: int | None = None) -> "OnnxQueryEncoder":
        """Load an export directory. ``variant``: ``'fp32'`` or ``'int8'`` (when it was exported)."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = Path(path)
        config = _read_config(path)
        if config is None:
            raise ModelError(f"{path}: not an ONNX export ({CONFIG_NAME} missing or unreadable)")
        if config.get("version") != EXPORT_VERSION:
            raise ModelError(f"{path}: ONNX export version {config.get('version')} (expected {EXPORT_VERSION}); re-export it")
        name = config.get("models", {}).get(variant)
        if name is None or not (path / name).is_file():
            raise ModelError(f"{path}: no {variant!r} model in this export (has: {', '.join(config.get('models', {})) or 'none'})")
        try:
            tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        except Exception as e:
            raise ModelError(f"{path / 'tokenizer.json'}: cannot load tokenizer ({e})") from e
        tokenizer.no_padding()
        tokenizer.enable_truncation(int(config["max_seq_length"]))
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only: no warnings on a normal search
        # No pre-packed copies of the weights: me5-small fp32 loads in 1.17 s instead of 1.48 s and holds
        # 460 MB instead of 515 MB, at the same per-query time (20 ms, 2-core machine).
        options.add_session_config_entry("session.disable_prepacking", "1")
        if threads:
            options.intra_op_num_threads = int(threads)
        try:
            session = ort.InferenceSession(str(path / name), options, providers=["CPUExecutionProvider"])
        except Exception as e:
            raise ModelError(f"{path / name}: cannot load ONNX model ({str(e).splitlines()[0][:200]})") from e
        return cls(path, session, tokenizer, config, variant)

    def encode_queries(self, texts: Sequence[str] | str, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        """Embed search queries (the query prompt prepended). ``(n, dim)`` float32, unit rows."""
        return self._encode(texts, self.config["query_prompt"], self.max_seq_length, batch_size)

    def encode_passages(self, texts: Sequence[str] | str, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        """Embed passages as the index did (passage prompt, cut at ``passage_max_tokens``)."""
        limit = min(self.passage_max_tokens or self.max_seq_length, self.max_seq_length)
        return self._encode(texts, self.config["passage_prompt"], limit, batch_size)

    # --- internals ---------------------------------------------------------------------------------------

    def _encode(self, texts, prompt: str, max_len: int, batch_size: int) -> np.ndarray:
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise TypeError(f"encode: texts[{bad[0]}] is {type(texts[bad[0]]).__name__}, expected str")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        skip = self._prompt_tokens(prompt) if not self.config.get("include_prompt", True) else 0
        out = [self._encode_batch(texts[i : i + batch_size], prompt, max_len, skip) for i in range(0, len(texts), batch_size)]
        emb = np.concatenate(out, axis=0)
        norms = np.linalg.norm(emb, axis=1, keepdims=True)
        return (emb / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)

    def _tokenize(self, texts: list[str], max_len: int):
        # Not stripped: sentence-transformers 6 tokenizes prompt + text as given (leading/trailing spaces and
        # the empty query "query: " give different pieces, measured cosine 0.9997 / 0.906 when stripped).
        prepared = [t.lower() for t in texts] if self.config.get("do_lower_case", False) else list(texts)
        # Truncation is set on the tokenizer (not cut afterwards) so the closing special token stays, as in
        # transformers. Queries and passages get separate tokenizers: setting it per call would race between
        # the threads of a server.
        return self._tokenizer_for(max_len).encode_batch(prepared)

    def _tokenizer_for(self, max_len: int):
        if max_len >= self.max_seq_length:
            return self.tokenizer
        if self._passage_tokenizer is None:
            from tokenizers import Tokenizer

            tok = Tokenizer.from_str(self.tokenizer.to_str())
            tok.no_padding()
            tok.enable_truncation(int(max_len))
            self._passage_tokenizer = tok
        return self._passage_tokenizer

    def _encode_batch(self, texts: list[str], prompt: str, max_len: int, skip: int) -> np.ndarray:
        encs = self._tokenize([prompt + t for t in texts], max_len)
        longest = max(len(e.ids) for e in encs)
        n = len(encs)
        ids = np.full((n, longest), int(self.config["pad_token_id"]), dtype=np.int64)
        mask = np.zeros((n, longest), dtype=np.int64)
        types = np.zeros((n, longest), dtype=np.int64)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
            types[i, : len(e.ids)] = e.type_ids
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = types
        (tokens,) = self.session.run(None, {k: v for k, v in feed.items() if k in self._inputs})
        tokens = tokens.astype(np.float32, copy=False)
        pool_mask = mask.copy()
        if skip:
            pool_mask[:, :skip] = 0
        mode = self.config.get("pooling", "mean")
        if mode == "cls":
            return tokens[:, 0, :]
        m = pool_mask[:, :, None].astype(np.float32)
        if mode == "max":
            return np.where(m > 0, tokens, -1e9).max(axis=1)
        return (tokens * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)

    def _prompt_tokens(self, prompt: str) -> int:
        """Tokens of the prompt itself (without the closing special token), as sentence-transformers counts."""
        if not prompt:
            return 0
        return len(self.tokenizer.encode(prompt).ids) - 1


# --- export helpers ---------------------------------------------------------------------------------------


def _st_parts(st):
    """(Transformer module, Pooling module or None) of a SentenceTransformer."""
    modules = list(st.children()) if hasattr(st, "children") else []
    transformer = modules[0] if modules else st[0]
    pooling = next((m for m in modules[1:] if type(m).__name__ == "Pooling"), None)
    return transformer, pooling


def _export_graph(hf, tokenizer, input_names: list[str], out: Path) -> None:
    """Trace the HF transformer (fp32 copy, eager attention) to ONNX with dynamic batch and sequence axes."""
    import copy
    import warnings

    import torch

    model = copy.deepcopy(hf).float().cpu().eval()
    # Eager attention traces to plain matmuls + an additive mask; SDPA's fast paths may special-case shapes.
    try:
        model.set_attn_implementation("eager")
    except Exception:
        model.config._attn_implementation = "eager"

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
            if token_type_ids is not None:
                kwargs["token_type_ids"] = token_type_ids
            return self.inner(**kwargs, return_dict=True).last_hidden_state

    sample = tokenizer(["query: 민법 제750조 불법행위", "짧은 질문"], padding=True, return_tensors="pt")
    args = tuple(sample[n] for n in input_names)
    axes = {n: {0: "batch", 1: "sequence"} for n in input_names}
    axes["token_embeddings"] = {0: "batch", 1: "sequence"}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            TokenEmbeddings(model), args, str(out), input_names=input_names, output_names=["token_embeddings"],
            dynamic_axes=axes, opset_version=OPSET, dynamo=False, do_constant_folding=True,
        )


def _read_config(path: Path) -> dict | None:
    try:
        config = json.loads((Path(path) / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return config if isinstance(config, dict) else None


def _swap_dir(tmp: Path, target: Path) -> None:
    """Put the finished ``tmp`` at ``target``: a rename when absent; else old aside, new in, old removed."""
    try:
        os.replace(tmp, target)  # works when target is absent (or an empty dir)
        return
    except OSError:
        pass
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
