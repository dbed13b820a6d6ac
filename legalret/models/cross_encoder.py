"""A cross-encoder re-ranker: (query, article) → one relevance score, exported to ONNX and run by ONNX Runtime.

A bi-encoder embeds the query and the article apart; a cross-encoder reads them together (one sequence, every
query token attending to every article token), so it can see that *this* article answers *that* question even
when few earlier decisions cite it. It is too slow to score a whole corpus, so the search uses it only on its own
top N (:mod:`legalret.search.cross_encoder_stage`). Training needs torch (:mod:`legalret.train.cross_encoder`);
scoring at query time needs only ONNX Runtime + ``tokenizers``, like :class:`~legalret.models.onnx.OnnxQueryEncoder`.

An export is a directory holding::

    model.onnx                the sequence-classification network from its word embeddings on (input
                              ``inputs_embeds``; output ``logits`` (batch,)), fp32
    model.int8.onnx           optional: int8 dynamic quantization of its weights (``nbits8`` likewise)
    word_embeddings.npy       the word-embedding table, outside the graph (read row by row: see
                              :class:`~legalret.models.onnx.EmbeddingRows`)
    tokenizer.json            the fast tokenizer; pairs are encoded with its own pair template
    legalret_cross_encoder.json   max length, pad id, input names, the variants and where the weights came from

Scores are the model's logits (no sigmoid): only their order matters to a re-ranker, and logits keep the
spread that a squashed probability near 0 or 1 loses.

Usage::

    from legalret.models.cross_encoder import OnnxCrossEncoder, build_tiny_cross_encoder

    path = build_tiny_cross_encoder(tmp / "ce")                 # tests: random weights, ~5 s
    ce = OnnxCrossEncoder.load(path, variant="int8", threads=2)
    ce.rescore("전세 보증금을 돌려받지 못했다", [("민법 제618조", "임대차는 …"), ("상법 제1조", "…")])
    # array([ 0.13, -0.02], dtype=float32)   higher = more relevant

    # from a trained sentence-transformers CrossEncoder (torch):
    export_cross_encoder(model, out_dir, quantize=["int8"], meta={"trained_on": "…"})
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from legalret.errors import ModelError
from legalret.models.onnx import (
    EMBEDS_INPUT,
    MODEL_FILES,
    WORD_EMBEDDINGS,
    EmbeddingRows,
    _variants,
    model_input_names,
    trace_to_onnx,
    write_export,
)

CONFIG_NAME = "legalret_cross_encoder.json"
FORMAT = "legalret-cross-encoder-onnx-1"
#: Query + article tokens the cross-encoder reads (longer pairs are cut, the longer side first).
DEFAULT_MAX_LENGTH = 256


def is_export(path: str | os.PathLike) -> bool:
    """True when ``path`` holds a complete cross-encoder export (config, fp32 graph, tokenizer)."""
    path = Path(path)
    return all((path / name).is_file() for name in (CONFIG_NAME, MODEL_FILES["fp32"], "tokenizer.json"))


def init_cross_encoder(base: str | os.PathLike, *, max_length: int = DEFAULT_MAX_LENGTH, device: str | None = None):
    """A sentence-transformers :class:`CrossEncoder` initialised from a sentence encoder directory: the same
    transformer and tokenizer, a fresh one-logit classification head (sentence-transformers converts the
    bi-encoder directory itself). ``base``: a local sentence-transformers directory (see
    :func:`legalret.models.encoder.load_encoder`'s ``model.model_dir`` for the bundled one)."""
    from sentence_transformers import CrossEncoder

    from legalret.models.encoder import quiet_transformers

    with quiet_transformers():
        return CrossEncoder(str(base), num_labels=1, max_length=max_length, device=device)


def export_cross_encoder(model, out_dir: str | os.PathLike, *, quantize: bool | Sequence[str] = ("int8",),
                         meta: dict | None = None) -> Path:
    """Export a sentence-transformers :class:`CrossEncoder` (torch) to ``out_dir`` (replaced atomically).

    ``quantize``: quantized variants to write beside fp32 (:data:`legalret.models.onnx.QUANTIZED`).
    ``meta`` is stored in the config (what it was trained on; the card lives beside it)."""
    variants = _variants(quantize)
    transformer = model[0]
    hf = getattr(transformer, "auto_model", None) or getattr(transformer, "model", None)
    tokenizer = getattr(transformer, "tokenizer", None)
    if hf is None or tokenizer is None or not hasattr(tokenizer, "backend_tokenizer"):
        raise ModelError(f"{type(model).__name__}: cannot export to ONNX (needs a transformer with a fast tokenizer)")
    max_length = int(getattr(model, "max_seq_length", None) or DEFAULT_MAX_LENGTH)
    input_names = model_input_names(tokenizer)
    config = {"format": FORMAT, "max_length": max_length, "architecture": type(hf).__name__, **(meta or {})}
    return write_export(Path(out_dir), tokenizer, input_names, variants,
                        trace=lambda out: _export_logits_graph(hf, tokenizer, input_names, out),
                        config_name=CONFIG_NAME, config=config)


def _export_logits_graph(hf, tokenizer, input_names: list[str], out: Path) -> None:
    """Trace the HF sequence-classification model (fp32 copy, eager attention) to ONNX: one logit per pair."""
    sample = tokenizer(["민법 제750조 불법행위", "짧은 질문"], ["고의 또는 과실로 인한 위법행위", "답"], padding=True,
                       return_tensors="pt")
    trace_to_onnx(hf, sample, input_names, out, output="logits", pick=lambda o: o.logits[:, 0],
                  output_axes={0: "batch"})


class OnnxCrossEncoder:
    """A cross-encoder export in ONNX Runtime: ``rescore(query, [(key, text)])`` → one score per candidate.

    Imports neither torch nor transformers. ``threads`` caps ONNX Runtime's intra-op threads. Thread-safe
    (the tokenizer's truncation is fixed at load; ONNX Runtime sessions may be run from several threads)."""

    def __init__(self, path: Path, session, tokenizer, config: dict, variant: str, word_embeddings=None):
        self.path, self.session, self.tokenizer, self.config = path, session, tokenizer, config
        self.variant = variant
        self.word_embeddings = word_embeddings
        self.max_length = int(config["max_length"])
        self._inputs = {i.name for i in session.get_inputs()}

    def __repr__(self) -> str:
        return f"OnnxCrossEncoder({str(self.path)!r}, variant={self.variant!r}, max_length={self.max_length})"

    @classmethod
    def load(cls, path: str | os.PathLike, *, variant: str | None = None, threads: int | None = None,
             max_length: int | None = None) -> OnnxCrossEncoder:
        """Load an export. ``variant``: ``fp32`` / ``int8`` / ``nbits8``; None: int8 where the export has it and
        this CPU has an int8 dot-product instruction (where it was measured), else fp32. ``max_length`` cuts
        pairs shorter than the export's own limit: time grows with tokens, so it trades quality for latency."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from legalret.hardware import cpu_has_int8_dot

        path = Path(path)
        try:
            config = json.loads((path / CONFIG_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ModelError(f"{path}: not a cross-encoder export ({CONFIG_NAME} missing or unreadable: {e})") from e
        if config.get("format") != FORMAT:
            raise ModelError(f"{path / CONFIG_NAME}: format {config.get('format')!r}, expected {FORMAT!r}")
        models = config.get("models") or {}
        if variant is None:
            variant = "int8" if "int8" in models and cpu_has_int8_dot() else "fp32"
        if variant not in models or not (path / models[variant]).is_file():
            raise ModelError(f"{path}: no {variant!r} model in this export (has: {', '.join(models) or 'none'})")
        if max_length is not None:
            if not 8 <= max_length <= int(config["max_length"]):
                raise ModelError(f"max_length {max_length}: must be between 8 and the export's {config['max_length']}")
            config = dict(config, max_length=int(max_length))
        try:
            tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        except Exception as e:
            raise ModelError(f"{path / 'tokenizer.json'}: cannot load tokenizer ({e})") from e
        tokenizer.no_padding()
        # Longest-first, as transformers' ``truncation=True``: a long article is cut before a short query is.
        tokenizer.enable_truncation(int(config["max_length"]), strategy="longest_first")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = int(threads)
        try:
            session = ort.InferenceSession(str(path / models[variant]), options, providers=["CPUExecutionProvider"])
        except Exception as e:
            raise ModelError(f"{path / models[variant]}: cannot load ONNX model ({str(e).splitlines()[0][:200]})") from e
        table = None
        if EMBEDS_INPUT in {i.name for i in session.get_inputs()}:
            table = EmbeddingRows(path / (config.get("word_embeddings") or WORD_EMBEDDINGS))
        return cls(path, session, tokenizer, config, variant, table)

    def rescore(self, query_text: str, candidates: Sequence[tuple[str, str]], *, batch_size: int = 32) -> np.ndarray:
        """Scores of ``(key, article_text)`` candidates for ``query_text``, in the candidates' order (float32)."""
        if not isinstance(query_text, str):
            raise TypeError(f"rescore: query_text is {type(query_text).__name__}, expected str")
        return self.score_pairs([(query_text, text) for _, text in candidates], batch_size=batch_size)

    def score_pairs(self, pairs: Sequence[tuple[str, str]], *, batch_size: int = 32) -> np.ndarray:
        """Scores of ``(query, passage)`` pairs (float32, the pairs' order)."""
        pairs = list(pairs)
        bad = [i for i, p in enumerate(pairs) if not (len(p) == 2 and isinstance(p[0], str) and isinstance(p[1], str))]
        if bad:
            raise TypeError(f"score_pairs: pairs[{bad[0]}] is not a (str, str) pair")
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        encodings = self.tokenizer.encode_batch(pairs)
        # Batches of similar length: padding a short pair to the longest one in its batch wastes the most time.
        order = sorted(range(len(pairs)), key=lambda i: len(encodings[i].ids))
        out = np.empty(len(pairs), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._run([encodings[i] for i in rows])
        return out

    def _run(self, encodings) -> np.ndarray:
        longest = max(len(e.ids) for e in encodings)
        n = len(encodings)
        ids = np.full((n, longest), int(self.config["pad_token_id"]), dtype=np.int64)
        mask = np.zeros((n, longest), dtype=np.int64)
        types = np.zeros((n, longest), dtype=np.int64)
        for i, e in enumerate(encodings):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
            types[i, : len(e.ids)] = e.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        if self.word_embeddings is not None:
            feed[EMBEDS_INPUT] = self.word_embeddings.take(ids)
        (logits,) = self.session.run(None, {k: v for k, v in feed.items() if k in self._inputs})
        return np.asarray(logits, dtype=np.float32).reshape(n)


def build_tiny_cross_encoder(out_dir: str | os.PathLike, *, texts=None, quantize: Sequence[str] = ("int8",),
                             seed: int = 0) -> Path:
    """A random tiny cross-encoder export for tests (a :func:`~legalret.models.tiny.build_tiny_model` BERT with a
    fresh head), written to ``out_dir``. Same files and loading path as a trained one."""
    import torch

    from legalret.models.tiny import build_tiny_model

    out_dir = Path(out_dir)
    base = build_tiny_model(out_dir.parent / f".{out_dir.name}.base", arch="bert", texts=texts, seed=seed)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # the head's initial weights: same seed, same scores
            model = init_cross_encoder(base, max_length=128, device="cpu")
        return export_cross_encoder(model, out_dir, quantize=quantize, meta={"builder": "build_tiny_cross_encoder"})
    finally:
        shutil.rmtree(base, ignore_errors=True)
