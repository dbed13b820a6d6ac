"""A lean query encoder: the (adapter-merged) sentence encoder exported to ONNX, run by ONNX Runtime.

Searching needs only to embed a short query. The torch path (torch + transformers + sentence-transformers +
peft) takes ~20 s to import and load on this project's 2-core CPU; ONNX Runtime + ``tokenizers`` load the same
network in well under a second. The torch :class:`~legalret.models.encoder.Encoder` stays the path for
training, index building and GPUs; this module only serves queries (and passages, for checks).

An export is a directory ``$LEGALRET_HOME/models/onnx/<fingerprint-dir>/`` holding::

    model.onnx            the transformer from its word embeddings on (input ``inputs_embeds``; token
                          embeddings out), fp32
    model.int8.onnx       optional: the same with int8 dynamic quantization of the weights
    model.nbits8.onnx     optional: int8 weights and activations with a scale per block of 32 (MatMulNBits)
    word_embeddings.npy   the word-embedding table (vocab × dim, fp32), taken out of the graph
    tokenizer.json        the model's fast tokenizer (``tokenizers`` format)
    legalret_onnx.json    prompts, pooling, max length, pad id, input names and the encoder fingerprint

The word-embedding table is most of a multilingual model (me5-small: 250,037 × 384 fp32 = 384 MB of 465 MB)
and a query touches a few dozen of its rows. Inside the graph ONNX Runtime holds all of it in memory; outside
the rows a query needs are read from the file (:class:`EmbeddingRows`), so the table is not resident. Position / token-type embeddings and the embedding LayerNorm stay in the graph (the
graph still takes ``input_ids`` for its shapes). Exports of version 1 (the table inside the graph) are split
in place on first load — the same cut, no torch needed — or, where their folder is read-only, used as they are.

It is written in a temporary directory beside the target and renamed into place, so a reader sees a complete
export or none. :class:`OnnxQueryEncoder` imports neither torch, transformers nor sentence-transformers.

Usage::

    from legalret.models.encoder import load_encoder
    from legalret.models.onnx import OnnxQueryEncoder, export_onnx, find_export

    enc = load_encoder("bundled:me5-small", adapter="legalret/adapters/me5-small-legal")
    path = find_export(enc.fingerprint) or export_onnx(enc, quantize=True)     # ~10 s for me5-small
    q = OnnxQueryEncoder.load(path)                   # the variant the index build recorded (nbits8 where measured), or variant=…
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
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from legalret.atomic import atomic_path
from legalret.errors import ModelError
from legalret.models.piece_table import PieceTable

#: Bumped when the export layout or the config's meaning changes. Version 1 (word embeddings inside the graph)
#: is still read, and upgraded in place on load (:func:`upgrade_export`).
EXPORT_VERSION = 2
READABLE_VERSIONS = (1, 2)
CONFIG_NAME = "legalret_onnx.json"
MODEL_FILES = {"fp32": "model.onnx", "int8": "model.int8.onnx", "nbits8": "model.nbits8.onnx"}
#: The quantized variants: ``int8`` — ONNX Runtime dynamic quantization (int8 weights per output channel,
#: activations quantized per call with one scale); ``nbits8`` — ``MatMulNBits`` (int8 weights in blocks of
#: 32 input rows with their own scales, activations quantized per block of 32 at run time: accuracy level 4).
QUANTIZED = ("int8", "nbits8")
WORD_EMBEDDINGS = "word_embeddings.npy"
#: The graph input that replaces the word-embedding lookup.
EMBEDS_INPUT = "inputs_embeds"
#: The variant a new index's build records for queries (:func:`set_query_variant`; legalret.pipeline). Measured
#: on the main-job index, me5-small + qmap query adapter (experiments/query_int8.py; results in
#: benchmarks/results/latency-main-job/): ``nbits8`` — query cosine to fp32 ≥ 0.9997; recall@10 over all 783
#: dev queries (the tune half of the user questions + 600 dev holdings) −0.002 dense alone, +0.000 default
#: hybrid; per set, dense alone on the 183 tune questions is −0.011 (2 queries lose a gold article, none gain),
#: report half +0.003, holdings +0.001. A search takes about half the time (18 vs 32 ms on one core).
#: ``int8`` (per-channel dynamic, with or without reduce_range, any layer subset) loses 0.010–0.018.
DEFAULT_QUERY_VARIANT = "nbits8"
#: Overrides the export's recorded query variant for this process (``fp32``, ``int8``, ``nbits8``).
QUERY_VARIANT_ENV = "LEGALRET_QUERY_VARIANT"
#: The ONNX opset the TorchScript exporter writes (supported by every onnxruntime ≥ 1.14).
OPSET = 17


def export_root() -> Path:
    """Where exports live: ``$LEGALRET_HOME/models/onnx`` (:func:`legalret.config.onnx_export_root`)."""
    from legalret.config import onnx_export_root

    return onnx_export_root()


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
    if config is None or config.get("fingerprint") != fingerprint or config.get("version") not in READABLE_VERSIONS:
        return None
    if not (path / MODEL_FILES["fp32"]).is_file() or not (path / "tokenizer.json").is_file():
        return None
    if config.get("word_embeddings") and not (path / config["word_embeddings"]).is_file():
        return None
    return path


def export_onnx(encoder, *, quantize: bool | Sequence[str] = False, root: str | os.PathLike | None = None,
                force: bool = False) -> Path:
    """Export ``encoder`` (a loaded :class:`~legalret.models.encoder.Encoder`, adapter merged) and return the dir.

    ``quantize``: ``True`` also writes ``model.int8.onnx`` (int8 dynamic quantization of the weights); a list
    of :data:`QUANTIZED` variant names writes those. A complete export for the same fingerprint (with those
    variants) is kept and returned as is — the fingerprint pins the weights, so it is the same model — unless
    ``force``; otherwise the new one replaces it atomically (readers holding the old files keep them open).
    """
    variants = _variants(quantize)
    existing = find_export(encoder.fingerprint, root=root)
    if existing is not None and not force and all((existing / MODEL_FILES[v]).is_file() for v in variants):
        if (_read_config(existing) or {}).get("version") != EXPORT_VERSION:
            upgrade_export(existing)
        return existing

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
    input_names = model_input_names(tokenizer)
    root = Path(root) if root is not None else export_root()
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
        "do_lower_case": bool(getattr(transformer, "do_lower_case", False)),
    }
    return write_export(root / export_dir_name(encoder.fingerprint), tokenizer, input_names, variants,
                        trace=lambda out: _export_graph(hf, tokenizer, input_names, out),
                        config_name=CONFIG_NAME, config=config)


def model_input_names(tokenizer) -> list[str]:
    """The graph inputs an export takes: the tokenizer's ids, mask and (where it has them) token types."""
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in tokenizer.model_input_names]
    if "input_ids" not in names or "attention_mask" not in names:
        names = ["input_ids", "attention_mask"]
    return names


def write_export(target: Path, tokenizer, input_names: list[str], variants: Sequence[str], *, trace,
                 config_name: str, config: dict) -> Path:
    """Write an ONNX export folder and put it at ``target`` atomically (a failure leaves no temp behind).

    ``trace(path)`` writes the fp32 graph; the word embeddings then move to a ``.npy``, the fast tokenizer is
    saved, each quantized ``variant`` is written, and ``config`` plus the fields every export records (pad token,
    inputs, files, torch and opset versions) is written as ``config_name``. Shared by the query encoder's export
    and the cross-encoder's."""
    import torch

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        trace(tmp / MODEL_FILES["fp32"])
        split = split_word_embeddings(tmp / MODEL_FILES["fp32"], tmp / WORD_EMBEDDINGS)
        tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
        for variant in variants:
            quantize_variant(tmp / MODEL_FILES["fp32"], tmp / MODEL_FILES[variant], variant)
        config = {
            **config,
            "pad_token_id": int(tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0),
            "pad_token": str(tokenizer.pad_token or "[PAD]"),
            "input_names": input_names,
            "word_embeddings": WORD_EMBEDDINGS if split else None,
            "models": {k: v for k, v in MODEL_FILES.items() if (tmp / v).is_file()},
            "torch": torch.__version__,
            "opset": OPSET,
        }
        (tmp / config_name).write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o755)
        _swap_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def set_query_variant(path: str | os.PathLike, variant: str) -> Path:
    """Make ``variant`` what :meth:`OnnxQueryEncoder.load` serves queries with from the export at ``path`` by
    default, quantizing it first if the export lacks it (the folder is updated in place: the new model file
    and then the config are each renamed into place, so a reader sees the old or the new state)."""
    path = Path(path)
    config = _read_config(path)
    if config is None:
        raise ModelError(f"{path}: not an ONNX export ({CONFIG_NAME} missing or unreadable)")
    models = dict(config.get("models") or {})
    if variant != "fp32" and not (path / MODEL_FILES[_variants([variant])[0]]).is_file():
        with atomic_path(path / MODEL_FILES[variant]) as tmp:
            quantize_variant(path / MODEL_FILES["fp32"], tmp, variant)
    if variant != "fp32":
        models[variant] = MODEL_FILES[variant]
    if config.get("query_variant") != variant or config.get("models") != models:
        with atomic_path(path / CONFIG_NAME) as tmp:
            tmp.write_text(json.dumps(dict(config, models=models, query_variant=variant), ensure_ascii=False, indent=2) + "\n",
                           encoding="utf-8")
    return path


def _variants(quantize: bool | Sequence[str]) -> list[str]:
    variants = ["int8"] if quantize is True else [] if not quantize else list(quantize)
    unknown = [v for v in variants if v not in QUANTIZED]
    if unknown:
        raise ModelError(f"unknown quantized ONNX variant {unknown[0]!r} (choose from {', '.join(QUANTIZED)})")
    return variants


def quantize_variant(src: Path, dst: Path, variant: str) -> Path:
    """Write the quantized ``variant`` (:data:`QUANTIZED`) of the fp32 graph ``src`` to ``dst``."""
    if variant == "int8":
        return quantize_int8(src, dst)
    if variant == "nbits8":
        return quantize_nbits8(src, dst)
    raise ModelError(f"unknown quantized ONNX variant {variant!r} (choose from {', '.join(QUANTIZED)})")


def quantize_nbits8(src: Path, dst: Path, block_size: int = 32) -> Path:
    """int8 weights in blocks (``MatMulNBits``, symmetric, ``block_size`` input rows per scale) with int8
    compute (accuracy level 4: activations quantized per block of ``block_size`` at run time).

    Measured against :func:`quantize_int8` on me5-small + the legal query adapter (``experiments/query_int8.py``):
    query cosine to fp32 ≥ 0.9998 instead of ≥ 0.98 — a scale per 32 values (weights and activations) instead
    of one per output channel and one per call — at about the same speed. Its kernels need weight prepacking
    (:meth:`OnnxQueryEncoder.load` keeps it on for quantized variants)."""
    import logging

    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    logger = logging.getLogger("onnxruntime.quantization.matmul_nbits_quantizer")
    level = logger.level
    logger.setLevel(logging.ERROR)  # it logs every MatMul at INFO
    try:
        quantizer = MatMulNBitsQuantizer(onnx.load(str(src)), bits=8, block_size=block_size, is_symmetric=True,
                                         accuracy_level=4)
        quantizer.process()
        quantizer.model.save_model_to_file(str(dst), use_external_data_format=False)
    finally:
        logger.setLevel(level)
    return dst


def quantize_int8(src: Path, dst: Path) -> Path:
    """int8 dynamic quantization (weights int8 per output channel, activations quantized per batch at run time).

    Per-channel weights: on me5-small + the legal adapter per-tensor int8 gave query cosines 0.91–0.97 to fp32,
    per-channel 0.97–0.99. The word-embedding table is outside the graph (fp32, memory-mapped; see the module
    docstring), so only the transformer's weights are quantized."""
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


def split_word_embeddings(model: Path, table: Path) -> bool:
    """Cut the word-embedding lookup out of the ONNX graph at ``model`` (rewritten in place) into ``table`` (.npy).

    The lookup is the ``Gather`` whose data is an initializer and whose indices are the graph input
    ``input_ids``; its output becomes the graph input ``inputs_embeds`` (batch × sequence × dim, float), and the
    table is saved as it was (fp32), so the network computes exactly what it did. ``input_ids`` stays an input
    where the graph still reads it (shapes, RoBERTa's position ids). False (nothing written) when the graph
    has no such lookup — the export then works as before, with the table inside."""
    import onnx
    from onnx import numpy_helper

    proto = onnx.load(str(model))
    graph = proto.graph
    inits = {i.name: i for i in graph.initializer}
    lookups = [n for n in graph.node if n.op_type == "Gather" and len(n.input) == 2 and n.input[0] in inits
               and n.input[1] == "input_ids" and len(inits[n.input[0]].dims) == 2]
    if len(lookups) != 1:
        return False
    gather = lookups[0]
    weight = inits[gather.input[0]]
    if sum(1 for n in graph.node for i in n.input if i == weight.name) != 1:
        return False  # the table is read elsewhere too (tied weights): leave the graph whole
    values = numpy_helper.to_array(weight).astype(np.float32, copy=False)
    out_name = gather.output[0]
    for node in graph.node:
        for k, name in enumerate(node.input):
            if name == out_name:
                node.input[k] = EMBEDS_INPUT
    graph.node.remove(gather)
    graph.initializer.remove(weight)
    graph.input.append(onnx.helper.make_tensor_value_info(
        EMBEDS_INPUT, onnx.TensorProto.FLOAT, ["batch", "sequence", int(values.shape[1])]))
    if not any(i == "input_ids" for n in graph.node for i in n.input):
        for inp in list(graph.input):
            if inp.name == "input_ids":
                graph.input.remove(inp)
    np.save(table, values)
    del values, weight
    onnx.save(proto, str(model))
    return True


def upgrade_export(path: str | os.PathLike) -> bool:
    """Bring a version-1 export (word embeddings inside the graph) to the current layout, in place and atomically.

    Needs only ``onnx`` (no torch): the fp32 graph is split by :func:`split_word_embeddings`, an int8 model is
    re-quantized from it. True when the folder now holds the current layout; False when it could not be
    rewritten (read-only, disk full …) — the old export then keeps working as it is."""
    path = Path(path)
    config = _read_config(path)
    if config is None:
        return False
    if config.get("version") == EXPORT_VERSION:
        return True
    tmp = None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        shutil.copyfile(path / MODEL_FILES["fp32"], tmp / MODEL_FILES["fp32"])
        shutil.copyfile(path / "tokenizer.json", tmp / "tokenizer.json")
        split = split_word_embeddings(tmp / MODEL_FILES["fp32"], tmp / WORD_EMBEDDINGS)
        if split and (path / MODEL_FILES["int8"]).is_file():
            quantize_int8(tmp / MODEL_FILES["fp32"], tmp / MODEL_FILES["int8"])
        elif (path / MODEL_FILES["int8"]).is_file():
            shutil.copyfile(path / MODEL_FILES["int8"], tmp / MODEL_FILES["int8"])
        config = dict(config, version=EXPORT_VERSION, word_embeddings=WORD_EMBEDDINGS if split else None,
                      models={k: v for k, v in MODEL_FILES.items() if (tmp / v).is_file()})
        (tmp / CONFIG_NAME).write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o755)
        if (_read_config(path) or {}).get("version") == EXPORT_VERSION:  # another process got there first
            shutil.rmtree(tmp, ignore_errors=True)
            return True
        _swap_dir(tmp, path)
        return True
    except Exception:  # noqa: BLE001 — any failure (disk, permissions, an unexpected graph) leaves the old export in use
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        return False


def _upgrade_in_child(path: Path) -> bool:
    """:func:`upgrade_export` in a child process: parsing the 470 MB graph would leave this (maybe long-running
    server) process holding that memory, and the query path should not import ``onnx``."""
    import subprocess
    import sys

    code = "import sys; from legalret.models.onnx import upgrade_export; sys.exit(0 if upgrade_export(sys.argv[1]) else 1)"
    try:
        done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, timeout=900, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


class EmbeddingRows:
    """The rows of a 2-D float32 ``.npy`` table, read from the file on demand (``os.pread``); nothing is mapped.

    Memory-mapping the table was measured first: after 60 questions 296 MB of it was resident in the server
    (the kernel reads around every touched page, and maps cached neighbours), most of what taking it out of
    the graph saved. Reading only the rows asked for costs ~1 µs a row (a query has a few dozen) and keeps the
    process's memory to those rows; the file's pages sit in the shared, evictable page cache.
    ``take`` is thread-safe (``pread`` has no file position).

    Usage::

        rows = EmbeddingRows(export / "word_embeddings.npy")
        rows.shape                                  # (250037, 384)
        rows.take(np.array([[0, 17, 2]]))           # (1, 3, 384) float32
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            with open(self.path, "rb") as f:
                version = np.lib.format.read_magic(f)
                reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                shape, fortran, dtype = reader(f)
                self._offset = f.tell()
            self._fd = os.open(self.path, os.O_RDONLY)
        except (OSError, ValueError) as e:
            raise ModelError(f"{self.path}: cannot read the word-embedding table ({e}); re-export the model") from e
        if len(shape) != 2 or dtype != np.float32 or fortran:
            os.close(self._fd)
            raise ModelError(f"{self.path}: word-embedding table is {dtype} {shape}, expected float32 (vocab, dim) in C order")
        size = os.fstat(self._fd).st_size
        if size < self._offset + shape[0] * shape[1] * 4:
            os.close(self._fd)
            raise ModelError(f"{self.path}: word-embedding table truncated ({size} bytes for {shape}); re-export the model")
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        self.dtype = np.dtype(np.float32)
        self._row_bytes = self.shape[1] * 4

    def take(self, ids: np.ndarray) -> np.ndarray:
        """``table[ids]`` for an integer array of any shape: ``ids.shape + (dim,)``, float32."""
        ids = np.asarray(ids)
        unique, inverse = np.unique(ids, return_inverse=True)
        if unique.size and (unique[0] < 0 or unique[-1] >= self.shape[0]):
            raise ModelError(f"{self.path}: token id {int(unique[-1] if unique[-1] >= self.shape[0] else unique[0])} outside the table ({self.shape[0]} rows)")
        buf = bytearray(unique.size * self._row_bytes)
        view = memoryview(buf)
        for k, i in enumerate(unique.tolist()):
            got = os.preadv(self._fd, [view[k * self._row_bytes : (k + 1) * self._row_bytes]], self._offset + i * self._row_bytes)
            if got != self._row_bytes:
                raise ModelError(f"{self.path}: short read at row {i}; re-export the model")
        rows = np.frombuffer(buf, dtype=np.float32).reshape(unique.size, self.shape[1])
        return rows[inverse.reshape(ids.shape)]

    def __del__(self):
        fd = getattr(self, "_fd", None)
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass


class _Encoding:
    """What the encoder reads of a ``tokenizers.Encoding``: ``ids`` and ``type_ids``."""

    __slots__ = ("ids", "type_ids")

    def __init__(self, ids: list[int]):
        self.ids = ids
        self.type_ids = [0] * len(ids)


class CompactUnigram:
    """A Unigram (SentencePiece) tokenizer with the same output as ``tokenizers``, in a fraction of the memory.

    ``tokenizers``' Unigram model keeps its 250k-piece vocabulary in a trie of hash maps: 250 MB resident for
    me5-small (measured: 89 → 340 MB), as much as the rest of the query encoder. Here the pieces live in a
    :class:`~legalret.models.piece_table.PieceTable` (numpy arrays, ~12 MB; no Python object per piece, so it
    opens in milliseconds) and an array of scores, and the Viterbi search runs in Python over the pieces the
    table finds in a query's few dozen characters (a piece is at most ``longest`` characters). The normaliser
    and the pre-tokenizer are ``tokenizers``' own (from the same tokenizer.json, with the vocabulary left
    out), special tokens are split off first, and the lattice is searched in the same order with the same
    tie-breaking and unknown-character handling as ``tokenizers.models.Unigram`` (its optimized encode,
    ``fuse_unk``), so the ids are identical — checked on every 민법+상법 article and the benchmark questions
    (``tests/test_models_onnx.py`` on a small trained vocabulary, ``tests/test_piece_table.py``).

    :meth:`from_json` returns None for a tokenizer this does not reproduce (another model type, byte
    fallback, another post-processor); the caller then uses ``tokenizers`` itself.
    """

    #: tokenizers' penalty for an unknown character: its score is the lowest piece score minus this
    UNK_PENALTY = 10.0

    def __init__(self, pieces: PieceTable, scores: np.ndarray, unk_id: int, min_score: float, front, bos: int, eos: int,
                 specials: dict, max_length: int):
        self._pieces = pieces  # piece → id
        self._scores = scores  # id → score (float64)
        self._unk_id = unk_id
        self._unk_score = min_score - self.UNK_PENALTY
        self._front = front  # a tokenizers.Tokenizer without a vocabulary: normaliser + pre-tokenizer
        self._bos, self._eos = bos, eos
        self._specials = specials  # content → id, split off the raw text before normalisation
        self._special_re = re.compile("|".join(re.escape(c) for c in sorted(specials, key=len, reverse=True))) if specials else None
        self.max_length = int(max_length)

    #: The parsed vocabulary kept beside ``tokenizer.json`` (see :meth:`from_json`); the number is its format
    #: (v1, a list of pieces made into a dict on every load, is no longer read).
    CACHE_NAME = "tokenizer.compact.v2.npz"

    @classmethod
    def from_json(cls, path: Path, max_length: int) -> CompactUnigram | None:
        """The tokenizer of ``path`` (a ``tokenizer.json``), or None when this class does not reproduce it.

        Parsing the 17 MB JSON and its 250k pieces costs ~0.5 s of every cold search, so the result (the
        piece table, scores and the small settings) is kept beside it in :attr:`CACHE_NAME` — numpy arrays,
        no pickle — valid while ``tokenizer.json`` keeps its size and mtime; written best effort (a read-only
        export parses every time), read in ~0.01 s."""
        path = Path(path)
        parsed = _read_compact(path) or _parse_unigram(path)
        if parsed is None:
            return None
        from tokenizers import Tokenizer

        pieces, scores, meta = parsed
        front = Tokenizer.from_str(meta["front"])
        return cls(pieces, scores, meta["unk_id"], meta["min_score"], front, meta["bos"], meta["eos"], meta["specials"],
                   max_length)

    def encode(self, text: str, max_length: int | None = None) -> _Encoding:
        limit = max(int(max_length or self.max_length) - 2, 0)
        ids: list[int] = []
        for segment, special in self._segments(text):
            if special is not None:
                ids.append(special)
                continue
            normalized = self._front.normalizer.normalize_str(segment) if self._front.normalizer else segment
            if not normalized:
                continue
            for word, _ in (self._front.pre_tokenizer.pre_tokenize_str(normalized) if self._front.pre_tokenizer else [(normalized, None)]):
                ids.extend(self._viterbi(word))
        return _Encoding([self._bos] + ids[:limit] + [self._eos])

    def encode_batch(self, texts: Sequence[str], max_length: int | None = None) -> list[_Encoding]:
        return [self.encode(t, max_length) for t in texts]

    def _segments(self, text: str):
        if self._special_re is None:
            yield text, None
            return
        at = 0
        for m in self._special_re.finditer(text):
            if m.start() > at:
                yield text[at:m.start()], None
            yield m.group(), self._specials[m.group()]
            at = m.end()
        if at < len(text):
            yield text[at:], None

    def _viterbi(self, text: str) -> list[int]:
        n = len(text)
        starts, ends, ids = self._pieces.find(text)  # every piece in the text, by start then end
        scores, hits = self._scores[ids].tolist(), ids.tolist()
        best = [0.0] * (n + 1)
        start: list[int | None] = [None] * (n + 1)
        ident = [0] * (n + 1)
        k, found = 0, len(starts)
        for i in range(n):
            here = best[i]
            single = False
            while k < found and starts[k] == i:  # the pieces starting here, shortest first
                j, hit = ends[k], hits[k]
                score = here + scores[k]
                k += 1
                if start[j] is None or score > best[j]:
                    best[j], start[j], ident[j] = score, i, hit
                if j == i + 1:
                    single = True
            if not single:
                score = here + self._unk_score
                if start[i + 1] is None or score > best[i + 1]:
                    best[i + 1], start[i + 1], ident[i + 1] = score, i, self._unk_id
        out: list[int] = []
        unk_run: list[str] = []
        end = n
        while end > 0:
            begin = start[end]
            if ident[end] == self._unk_id:
                unk_run.append(text[begin:end])
            else:
                if unk_run:
                    out.append(self._piece_id("".join(reversed(unk_run))))
                    unk_run = []
                out.append(ident[end])
            end = begin
        if unk_run:
            out.append(self._piece_id("".join(reversed(unk_run))))
        out.reverse()
        return out

    def _piece_id(self, piece: str) -> int:
        return self._pieces.get(piece, self._unk_id)


def _source_state(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _parse_unigram(path: Path) -> tuple[PieceTable, np.ndarray, dict] | None:
    """``tokenizer.json`` read for :class:`CompactUnigram` (piece table, scores, settings); None when it does
    not reproduce it. Writes :attr:`CompactUnigram.CACHE_NAME` beside it (best effort)."""
    state = _source_state(path)
    spec = json.loads(path.read_text(encoding="utf-8"))
    model = spec.get("model") or {}
    post = spec.get("post_processor") or {}
    single = post.get("single") or []
    pre = spec.get("pre_tokenizer") or {}
    added = spec.get("added_tokens") or []
    if (model.get("type") != "Unigram" or model.get("byte_fallback") or model.get("unk_id") is None
            or post.get("type") != "TemplateProcessing" or len(single) != 3
            or [next(iter(x)) for x in single] != ["SpecialToken", "Sequence", "SpecialToken"]
            or pre.get("type") != "Metaspace" or pre.get("prepend_scheme") != "always" or pre.get("split")
            or any(a.get("lstrip") or a.get("rstrip") or a.get("single_word") or a.get("normalized") or not a.get("special")
                   for a in added)):
        return None
    vocab = model.pop("vocab")
    pieces = PieceTable.build([piece for piece, _ in vocab])
    if pieces is None:
        return None
    scores = np.array([float(score) for _, score in vocab], dtype=np.float64)
    ids = {name: v["ids"][0] for name, v in (post.get("special_tokens") or {}).items()}
    try:
        bos, eos = ids[single[0]["SpecialToken"]["id"]], ids[single[2]["SpecialToken"]["id"]]
    except (KeyError, IndexError):
        return None
    del vocab
    meta = {"unk_id": int(model["unk_id"]), "min_score": float(scores.min()), "bos": bos, "eos": eos,
            "specials": {a["content"]: int(a["id"]) for a in added}}
    model["vocab"] = [["<unk>", 0.0]]
    model["unk_id"] = 0
    spec["added_tokens"] = []
    spec["post_processor"] = None
    spec["truncation"] = spec["padding"] = None
    meta["front"] = json.dumps(spec)  # the normaliser and pre-tokenizer, without the vocabulary
    _write_compact(path, state, pieces, scores, meta)
    return pieces, scores, meta


def _write_compact(path: Path, state: list[int], pieces: PieceTable, scores: np.ndarray, meta: dict) -> None:
    header = json.dumps({**meta, "source": state, "pieces": len(pieces)}, ensure_ascii=False)
    try:
        with atomic_path(path.parent / CompactUnigram.CACHE_NAME) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, header=np.frombuffer(header.encode("utf-8"), dtype=np.uint8), scores=scores,
                         **pieces.arrays())
    except OSError:  # a read-only export: parsed again next time
        pass


def _read_compact(path: Path) -> tuple[PieceTable, np.ndarray, dict] | None:
    """The cached parse of ``tokenizer.json`` when it is there and still matches the file; else None."""
    cache = path.parent / CompactUnigram.CACHE_NAME
    try:
        with np.load(cache, allow_pickle=False) as z:
            meta = json.loads(z["header"].tobytes().decode("utf-8"))
            if meta.pop("source") != _source_state(path):
                return None
            scores = z["scores"]
            pieces = PieceTable.from_arrays({name: z[name] for name in PieceTable.ARRAYS})
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # (UnicodeDecodeError is a ValueError)
        return None
    if len(pieces) != meta.pop("pieces") or scores.dtype != np.float64 or scores.shape != (len(pieces),):
        return None
    return pieces, scores, meta


class OnnxQueryEncoder:
    """An ONNX export loaded into ONNX Runtime: ``encode_queries`` like the torch encoder, without torch.

    ``threads`` caps ONNX Runtime's intra-op threads (default: its own choice, all cores)."""

    def __init__(self, path: Path, session, tokenizer, config: dict, variant: str, word_embeddings=None):
        self.path = path
        #: the word-embedding table (:class:`EmbeddingRows`) when the graph starts at ``inputs_embeds``
        self.word_embeddings = word_embeddings
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
    def load(cls, path: str | os.PathLike, *, variant: str | None = None, threads: int | None = None) -> OnnxQueryEncoder:
        """Load an export directory. ``variant``: ``'fp32'``, ``'int8'`` or ``'nbits8'`` (when it was exported);
        None: ``$LEGALRET_QUERY_VARIANT``, else the export's ``query_variant`` (what the index build chose:
        :func:`set_query_variant`), else fp32 — falling back to fp32 when that model is missing.

        A version-1 export is upgraded in place first (a few seconds, once); if that fails it is loaded as is."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = Path(path)
        config = _read_config(path)
        if config is None:
            raise ModelError(f"{path}: not an ONNX export ({CONFIG_NAME} missing or unreadable)")
        if config.get("version") not in READABLE_VERSIONS:
            raise ModelError(f"{path}: ONNX export version {config.get('version')} (expected {EXPORT_VERSION}); re-export it")
        if config.get("version") != EXPORT_VERSION and _upgrade_in_child(path):
            config = _read_config(path) or config
        if variant is None:
            from legalret.config import env_query_variant

            requested = env_query_variant()
            if requested and requested not in MODEL_FILES:  # (a typo had meant fp32 in silence: a server of its own)
                raise ModelError(f"{QUERY_VARIANT_ENV}={requested!r}: not a query model; choose "
                                 f"{', '.join(MODEL_FILES)} (or unset it for the one the index build chose)")
            variant = requested or _recorded_variant(config)
            wanted = config.get("models", {}).get(variant)
            if wanted is None or not (path / wanted).is_file():
                variant = "fp32"
        name = config.get("models", {}).get(variant)
        if name is None or not (path / name).is_file():
            raise ModelError(f"{path}: no {variant!r} model in this export (has: {', '.join(config.get('models', {})) or 'none'})")
        try:
            tokenizer = CompactUnigram.from_json(path / "tokenizer.json", int(config["max_seq_length"]))
            if tokenizer is None:
                tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
                tokenizer.no_padding()
                tokenizer.enable_truncation(int(config["max_seq_length"]))
        except Exception as e:
            raise ModelError(f"{path / 'tokenizer.json'}: cannot load tokenizer ({e})") from e
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only: no warnings on a normal search
        # No pre-packed copies of fp32 weights: me5-small fp32 loads in 1.17 s instead of 1.48 s and holds
        # 460 MB instead of 515 MB, at the same per-query time (20 ms, 2-core machine). Quantized weights are
        # small, and their kernels need the packing (int8 without it: 1.7× slower per query; nbits8: 7×).
        if variant == "fp32":
            options.add_session_config_entry("session.disable_prepacking", "1")
        if threads:
            options.intra_op_num_threads = int(threads)
        try:
            session = ort.InferenceSession(str(path / name), options, providers=["CPUExecutionProvider"])
        except Exception as e:
            raise ModelError(f"{path / name}: cannot load ONNX model ({str(e).splitlines()[0][:200]}); a damaged export "
                             "is written again by `legalret index export --force`") from e
        table = None
        if EMBEDS_INPUT in {i.name for i in session.get_inputs()}:
            table = EmbeddingRows(path / (config.get("word_embeddings") or WORD_EMBEDDINGS))
        return cls(path, session, tokenizer, config, variant, table)

    def encode_queries(self, texts: Sequence[str] | str, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        """Embed search queries (the query prompt prepended). ``(n, dim)`` float32, unit rows."""
        return self._encode(texts, self.config["query_prompt"], self.max_seq_length, batch_size)

    def encode_passages(self, texts: Sequence[str] | str, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        """Embed passages as the index did (passage prompt, cut at ``passage_max_tokens``)."""
        limit = min(self.passage_max_tokens or self.max_seq_length, self.max_seq_length)
        return self._encode(texts, self.config["passage_prompt"], limit, batch_size)

    # --- internals ---------------------------------------------------------------------------------------

    def _encode(self, texts, prompt: str, max_len: int, batch_size: int, max_batch_tokens: int | None = None) -> np.ndarray:
        """``batch_size`` texts per run in input order, or — with ``max_batch_tokens`` — all texts tokenized
        first and run in :func:`length_buckets` (what :class:`OnnxPassageEncoder` does)."""
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise TypeError(f"encode: texts[{bad[0]}] is {type(texts[bad[0]]).__name__}, expected str")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        skip = self._prompt_tokens(prompt) if not self.config.get("include_prompt", True) else 0
        if max_batch_tokens is None:
            out = [self._encode_batch(texts[i : i + batch_size], prompt, max_len, skip) for i in range(0, len(texts), batch_size)]
            emb = np.concatenate(out, axis=0)
        else:
            encs = self._tokenize([prompt + t for t in texts], max_len)
            emb = np.zeros((len(texts), self.dim), dtype=np.float32)
            for rows in length_buckets([len(e.ids) for e in encs], max_batch_tokens):
                emb[rows] = self._embed([encs[i] for i in rows], skip)
        norms = np.linalg.norm(emb, axis=1, keepdims=True)
        return (emb / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)

    def _tokenize(self, texts: list[str], max_len: int):
        # Not stripped: sentence-transformers 6 tokenizes prompt + text as given (leading/trailing spaces and
        # the empty query "query: " give different pieces, measured cosine 0.9997 / 0.906 when stripped).
        prepared = [t.lower() for t in texts] if self.config.get("do_lower_case", False) else list(texts)
        # Truncation is set on the tokenizer (not cut afterwards) so the closing special token stays, as in
        # transformers. Queries and passages get separate tokenizers: setting it per call would race between
        # the threads of a server.
        if isinstance(self.tokenizer, CompactUnigram):  # no shared truncation state: the limit is an argument
            return self.tokenizer.encode_batch(prepared, max_len)
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
        return self._embed(self._tokenize([prompt + t for t in texts], max_len), skip)

    def _embed(self, encs: list, skip: int) -> np.ndarray:
        """Pooled (not yet normalised) embeddings of tokenized texts, padded to the longest of them."""
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
        if self.word_embeddings is not None:
            # The lookup the graph no longer does: only the rows (pages) of these ids are read from the file.
            feed[EMBEDS_INPUT] = self.word_embeddings.take(ids)
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
    sample = tokenizer(["query: 민법 제750조 불법행위", "짧은 질문"], padding=True, return_tensors="pt")
    trace_to_onnx(hf, sample, input_names, out, output="token_embeddings", pick=lambda o: o.last_hidden_state,
                  output_axes={0: "batch", 1: "sequence"})


def trace_to_onnx(hf, sample, input_names: list[str], out: Path, *, output: str, pick, output_axes: dict) -> None:
    """Trace ``pick(hf(**inputs))`` of an fp32, eager-attention copy of the HF model ``hf`` to ONNX at ``out``,
    with dynamic batch and sequence axes on the inputs (``sample``: tokenizer output with ``input_names``).

    Shared by the query encoder's export (token embeddings) and the cross-encoder's (one logit per pair)."""
    import copy
    import warnings

    import torch

    model = copy.deepcopy(hf).float().cpu().eval()
    # Eager attention traces to plain matmuls + an additive mask; SDPA's fast paths may special-case shapes.
    try:
        model.set_attn_implementation("eager")
    except Exception:
        model.config._attn_implementation = "eager"

    class Traced(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
            if token_type_ids is not None:
                kwargs["token_type_ids"] = token_type_ids
            return pick(self.inner(**kwargs, return_dict=True))

    args = tuple(sample[n] for n in input_names)
    axes = {n: {0: "batch", 1: "sequence"} for n in input_names}
    axes[output] = output_axes
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Traced(model), args, str(out), input_names=input_names, output_names=[output],
            dynamic_axes=axes, opset_version=OPSET, dynamo=False, do_constant_folding=True,
        )


def _recorded_variant(config: dict) -> str:
    """The query variant an export records, where this CPU can serve it as measured: a quantized variant
    needs an int8 dot-product instruction (VNNI/AMX) — it was measured only on such CPUs, and AVX2-only
    ones run other kernels — so elsewhere queries use fp32 (``$LEGALRET_QUERY_VARIANT`` still forces one)."""
    from legalret.hardware import cpu_has_int8_dot

    variant = config.get("query_variant") or "fp32"
    return variant if variant == "fp32" or cpu_has_int8_dot() else "fp32"


def recorded_query_variant(path: str | os.PathLike) -> str | None:
    """The query variant the export at ``path`` records (``query_variant``; "fp32" when it names none), or None when
    its config cannot be read — as written, whatever this CPU serves (:func:`_recorded_variant` decides that)."""
    config = _read_config(Path(path))
    return None if config is None else config.get("query_variant", "fp32")


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


# --- passages for index builds ----------------------------------------------------------------------------

#: Rows × padded length of one passage batch. Passages are tokenized first and batched by length, so a batch
#: of short articles holds many rows and one of long 시행령 articles few, each padded little.
PASSAGE_BATCH_TOKENS = 4096
#: The variant :class:`OnnxPassageEncoder` runs when none is named: on 1,000 민법+상법 articles 1.40× less CPU
#: than torch bf16 at cosine ≥ 0.9999 to fp32 (``int8``: 2.10×, cosine ≥ 0.994); ``benchmarks/build_stages.py
#: encode`` for speed, ``… quality`` for recall@10 against fp32 passages.
DEFAULT_PASSAGE_VARIANT = "nbits8"


def ensure_export(encoder, variant: str = "fp32") -> Path:
    """The ONNX export of ``encoder`` holding ``variant``: found, completed (the variant quantized into the
    existing folder, atomically, its config updated) or written (:func:`export_onnx`)."""
    path = find_export(encoder.fingerprint)
    if path is None:
        return export_onnx(encoder, quantize=[variant] if variant != "fp32" else False)
    if variant != "fp32" and not (path / MODEL_FILES[_variants([variant])[0]]).is_file():
        with atomic_path(path / MODEL_FILES[variant]) as tmp:
            quantize_variant(path / MODEL_FILES["fp32"], tmp, variant)
        config = _read_config(path) or {}
        with atomic_path(path / CONFIG_NAME) as tmp:
            models = dict(config.get("models") or {}, **{variant: MODEL_FILES[variant]})
            tmp.write_text(json.dumps(dict(config, models=models), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


class OnnxPassageEncoder:
    """Passage embeddings for index builds on ONNX Runtime, from the same export the searcher uses.

    On CPU the build's cost is encoding passages (the torch encoder in bf16: ~44 of 86 minutes for all acts
    and decrees on 2 cores). This runs the export's int8 graph (``nbits8`` by default) over length-bucketed
    batches — every passage is tokenized first, then batches of similar length are cut to
    :data:`PASSAGE_BATCH_TOKENS` — and gives the vectors the torch encoder would (cosine and recall@10
    against fp32 in ``benchmarks/build_stages.py``). It has the torch encoder's ``fingerprint``, ``dim`` and
    ``encode_queries`` (delegated), so an index built with it is the same index to the searcher.

    Usage::

        enc = load_encoder("bundled:me5-small")
        passages = OnnxPassageEncoder.for_encoder(enc)               # exports / quantizes once, then reuses
        vectors = passages.encode_passages(texts)                    # (n, dim) float32, unit rows
    """

    def __init__(self, onnx: OnnxQueryEncoder, base=None, max_batch_tokens: int = PASSAGE_BATCH_TOKENS):
        self.onnx, self.base = onnx, base
        self.fingerprint: str = onnx.fingerprint
        self.dim: int = onnx.dim
        self.variant = onnx.variant
        self.max_batch_tokens = int(max_batch_tokens)

    def __repr__(self) -> str:
        return f"OnnxPassageEncoder({self.onnx.config.get('spec')!r}, variant={self.variant!r})"

    @classmethod
    def for_encoder(cls, encoder, variant: str = DEFAULT_PASSAGE_VARIANT, *, threads: int | None = None) -> OnnxPassageEncoder:
        """For a loaded torch :class:`~legalret.models.encoder.Encoder` (adapter merged): its export, made if missing."""
        path = ensure_export(encoder, variant)
        onnx = OnnxQueryEncoder.load(path, variant=variant, threads=threads)
        if onnx.passage_max_tokens != encoder.passage_max_tokens:
            raise ModelError(f"{path}: export cuts passages at {onnx.passage_max_tokens}, the encoder at {encoder.passage_max_tokens}")
        return cls(onnx, encoder)

    def __getattr__(self, name: str):
        # spec, device, precision, token_count … are the torch encoder's (what a build report and manifest read)
        base = self.__dict__.get("base")
        if base is None:
            raise AttributeError(name)
        return getattr(base, name)

    def encode_queries(self, texts, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        return self.onnx.encode_queries(texts, batch_size=batch_size)

    def encode_passages(self, texts: Sequence[str] | str, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        """Embed passages (passage prompt, cut at the export's ``passage_max_tokens``). ``batch_size`` is
        ignored: batches are cut by tokens (:data:`PASSAGE_BATCH_TOKENS`)."""
        q = self.onnx
        limit = min(q.passage_max_tokens or q.max_seq_length, q.max_seq_length)
        return q._encode(texts, q.config["passage_prompt"], limit, batch_size, max_batch_tokens=self.max_batch_tokens)


def for_passages(encoder, runtime: str | None = None):
    """What an index build embeds passages with: ``encoder`` itself (``runtime`` ``'torch'``, the default), or
    its ONNX export (``'onnx-fp32'``, ``'onnx-nbits8'``, ``'onnx-int8'``) as an :class:`OnnxPassageEncoder`.
    ``runtime`` None: ``$LEGALRET_PASSAGE_ENCODER``. Opt-in: faster on this project's CPU (1.40× / 2.10× less CPU
    than torch bf16 for ``nbits8`` / ``int8``) but not within 0.005 recall@10 of fp32 passages on the main-job
    index's dev sets (largest drops −0.008 / −0.019; ``benchmarks/results/build-speed/quality.md``)."""
    runtime = _passage_runtime_setting(runtime)
    if runtime == "torch":
        return encoder
    return OnnxPassageEncoder.for_encoder(encoder, runtime.removeprefix("onnx-"))


def passage_runtime(precision: str = "auto", runtime: str | None = None) -> str:
    """The runtime that ``for_passages(load_encoder(precision=precision), runtime)`` embeds on, as
    :func:`~legalret.index.vector_cache.encoder_fingerprint` names it (``onnx-<variant>``, ``torch-fp32``,
    ``torch-bf16``), read from the settings without loading a model: what ``index add`` checks against the
    index's record before its long stages. torch is imported only for ``'auto'`` without ``LEGALRET_PRECISION``
    (whether a GPU is there decides it)."""
    runtime = _passage_runtime_setting(runtime)
    if runtime != "torch":
        return runtime
    from legalret.models.encoder import resolve_precision

    return f"torch-{resolve_precision(precision)}"  # type: ignore[arg-type]


def _passage_runtime_setting(runtime: str | None) -> str:
    """``runtime`` (None: ``$LEGALRET_PASSAGE_ENCODER``, else torch) checked: ``'torch'`` or ``'onnx-<variant>'``."""
    from legalret.config import env_passage_encoder

    runtime = (runtime or env_passage_encoder() or "torch").strip().lower()
    if runtime != "torch" and (not runtime.startswith("onnx-") or runtime.removeprefix("onnx-") not in MODEL_FILES):
        raise ModelError(f"passage encoder {runtime!r}: choose torch, " + ", ".join(f"onnx-{v}" for v in MODEL_FILES))
    return runtime


def length_buckets(lengths: Sequence[int], max_tokens: int) -> list[list[int]]:
    """Positions grouped into batches of similar length: sorted by length, each batch as many rows as fit in
    ``max_tokens`` padded tokens (at least one).

    >>> length_buckets([5, 100, 6, 50], max_tokens=120)
    [[0, 2], [3], [1]]
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    batch: list[int] = []
    for i in order:
        if batch and lengths[i] * (len(batch) + 1) > max_tokens:  # sorted: lengths[i] is the batch's longest
            batches.append(batch)
            batch = []
        batch.append(i)
    if batch:
        batches.append(batch)
    return batches
