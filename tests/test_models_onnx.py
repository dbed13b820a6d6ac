"""ONNX query encoder: same vectors as the torch encoder, found by fingerprint, loaded without torch."""

import json
import subprocess
import sys

import numpy as np
import pytest

from legalret.errors import ModelError
from legalret.models.onnx import CONFIG_NAME, OnnxQueryEncoder, export_dir_name, export_onnx, find_export

QUERIES = [
    "유치권 간접점유",
    "  집주인이 전세 보증금을 돌려주지 않을 때 어떻게 해야 하나요? ",
    "민법 제750조",
    "",
    "😀!!",
    "이웃집 개가 우리 아이를 물었습니다. " * 60,  # longer than the model's limit: truncated like transformers
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from legalret.models.encoder import load_encoder
    from legalret.models.tiny import build_tiny_model

    d = build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny")
    enc = load_encoder(str(d), precision="fp32", device="cpu", passage_max_tokens=16)
    root = tmp_path_factory.mktemp("onnx")
    return enc, root, export_onnx(enc, quantize=True, root=root)


def _cos(a, b):
    return (a * b).sum(axis=1)


def test_tiny_export_matches_torch(tiny):
    enc, root, path = tiny
    assert find_export(enc.fingerprint, root=root) == path
    onnx = OnnxQueryEncoder.load(path)
    assert onnx.fingerprint == enc.fingerprint and onnx.dim == enc.dim
    q = onnx.encode_queries(QUERIES)
    assert q.dtype == np.float32 and q.shape == (len(QUERIES), enc.dim)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert _cos(q, enc.encode_queries(QUERIES)).min() >= 0.999
    # batching (padding) does not change a vector
    single = np.concatenate([onnx.encode_queries([t]) for t in QUERIES])
    assert _cos(q, single).min() >= 0.99999
    # passages: the passage prompt and the passage cut, as the index encoded them
    passages = ["제750조(불법행위의 내용) 고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 그 손해를 배상할 책임이 있다."]
    assert _cos(onnx.encode_passages(passages), enc.encode_passages(passages)).min() >= 0.999
    assert onnx.encode_queries([]).shape == (0, enc.dim)
    with pytest.raises(TypeError):
        onnx.encode_queries([3])


def test_int8_variant_loads_and_is_close(tiny):
    enc, _, path = tiny
    int8 = OnnxQueryEncoder.load(path, variant="int8")
    assert int8.variant == "int8"
    assert _cos(int8.encode_queries(QUERIES[:3]), enc.encode_queries(QUERIES[:3])).min() >= 0.95


def test_find_export_is_keyed_by_fingerprint_and_default_root(tiny, tmp_path, monkeypatch):
    enc, root, path = tiny
    assert find_export(enc.fingerprint + "+other", root=root) is None
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path))
    assert find_export(enc.fingerprint) is None
    out = export_onnx(enc)  # default root: $LEGALRET_HOME/models/onnx
    assert out == tmp_path / "models" / "onnx" / export_dir_name(enc.fingerprint)
    assert find_export(enc.fingerprint) == out
    assert json.loads((out / CONFIG_NAME).read_text())["models"] == {"fp32": "model.onnx"}
    with pytest.raises(ModelError, match="no 'int8' model"):
        OnnxQueryEncoder.load(out, variant="int8")
    # re-export in place (now with int8): replaced whole, no temp folders left
    export_onnx(enc, quantize=True)
    assert OnnxQueryEncoder.load(out, variant="int8").fingerprint == enc.fingerprint
    assert [p.name for p in out.parent.iterdir()] == [out.name]
    # a complete export is reused, not rewritten (index builds call this every time); force rewrites it
    stamp = (out / "model.onnx").stat().st_mtime_ns
    assert export_onnx(enc, quantize=True) == out and (out / "model.onnx").stat().st_mtime_ns == stamp
    assert export_onnx(enc, force=True) == out and (out / "model.onnx").stat().st_mtime_ns != stamp
    # a half-written export (no model file) is not found
    (out / "model.onnx").unlink()
    assert find_export(enc.fingerprint) is None


def test_not_an_export(tmp_path):
    with pytest.raises(ModelError, match="not an ONNX export"):
        OnnxQueryEncoder.load(tmp_path)
    assert export_dir_name("bundled:me5-small@ab+adapter:cd").startswith("bundled_me5-small_ab_adapter_cd-")


def test_loading_imports_no_torch(tiny):
    _, _, path = tiny
    code = (
        "import sys\n"
        "from legalret.models.onnx import OnnxQueryEncoder\n"
        f"q = OnnxQueryEncoder.load({str(path)!r}).encode_queries(['유치권 간접점유'])\n"
        "assert q.shape[0] == 1\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers', 'peft') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


@pytest.mark.slow
def test_bundled_me5_small_matches_torch(tmp_path):
    from legalret.models.encoder import load_encoder

    enc = load_encoder("bundled:me5-small", precision="fp32", device="cpu")
    path = export_onnx(enc, root=tmp_path)
    q = OnnxQueryEncoder.load(path).encode_queries(QUERIES)
    assert _cos(q, enc.encode_queries(QUERIES)).min() >= 0.999
