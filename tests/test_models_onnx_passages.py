"""ONNX passages for index builds: the torch encoder's vectors, in input order, from length-bucketed batches;
opt-in through LEGALRET_PASSAGE_ENCODER."""

import json

import numpy as np
import pytest

from legalret.errors import ModelError
from legalret.models.onnx import (
    CONFIG_NAME,
    MODEL_FILES,
    OnnxPassageEncoder,
    OnnxQueryEncoder,
    ensure_export,
    export_dir_name,
    for_passages,
    length_buckets,
)

PASSAGES = [
    "제750조(불법행위의 내용) 고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 그 손해를 배상할 책임이 있다.",
    "짧은 조문",
    "",
    "제320조(유치권의 내용) ① 타인의 물건 또는 유가증권을 점유한 자는 그 물건이나 유가증권에 관하여 생긴 채권이 변제기에 있는 경우에는 변제를 받을 때까지 그 물건 또는 유가증권을 유치할 권리가 있다. " * 3,
    "제1조",
    "보험계약자는 보험사고가 발생하기 전에는 언제든지 계약의 전부 또는 일부를 해지할 수 있다.",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from legalret.models.encoder import load_encoder
    from legalret.models.tiny import build_tiny_model

    d = build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny")
    return load_encoder(str(d), precision="fp32", device="cpu", passage_max_tokens=16)


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_passages_match_torch_in_input_order(tiny, home):
    enc = OnnxPassageEncoder.for_encoder(tiny, "fp32")
    assert enc.fingerprint == tiny.fingerprint and enc.dim == tiny.dim and enc.variant == "fp32"
    v = enc.encode_passages(PASSAGES)
    assert v.shape == (len(PASSAGES), tiny.dim) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert ((v * tiny.encode_passages(PASSAGES)).sum(axis=1)).min() >= 0.999
    # buckets of any size give the same vectors as one text at a time (padding changes nothing)
    one_by_one = np.concatenate([enc.encode_passages([t]) for t in PASSAGES])
    small = OnnxPassageEncoder(enc.onnx, tiny, max_batch_tokens=8).encode_passages(PASSAGES)
    assert (v * one_by_one).sum(axis=1).min() >= 0.99999 and (v * small).sum(axis=1).min() >= 0.99999
    assert enc.encode_passages([]).shape == (0, tiny.dim)
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        enc.encode_passages(["ok", 3])
    # what a manifest and a build report read comes from the torch encoder
    assert enc.spec is tiny.spec and enc.passage_max_tokens == tiny.passage_max_tokens


def test_a_quantized_variant_is_added_to_the_existing_export(tiny, home):
    fp32 = ensure_export(tiny)
    assert not (fp32 / MODEL_FILES["int8"]).exists()
    path = ensure_export(tiny, "int8")
    assert path == fp32 and (path / MODEL_FILES["int8"]).is_file()
    assert json.loads((path / CONFIG_NAME).read_text(encoding="utf-8"))["models"]["int8"] == MODEL_FILES["int8"]
    assert path.name == export_dir_name(tiny.fingerprint)
    q = OnnxQueryEncoder.load(path, variant="int8")
    assert q.variant == "int8"
    v = OnnxPassageEncoder(q, tiny).encode_passages(PASSAGES)
    assert ((v * tiny.encode_passages(PASSAGES)).sum(axis=1)).min() >= 0.95  # int8: close, not identical


def test_length_buckets_cover_every_position_once_within_the_budget():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 130, size=500).tolist()
    batches = length_buckets(lengths, 1024)
    assert sorted(i for b in batches for i in b) == list(range(500))
    for b in batches:
        assert len(b) == 1 or max(lengths[i] for i in b) * len(b) <= 1024
    assert length_buckets([], 64) == [] and length_buckets([500], 64) == [[0]]  # one long text still runs


def test_for_passages_is_torch_unless_asked(tiny, home, monkeypatch):
    monkeypatch.delenv("LEGALRET_PASSAGE_ENCODER", raising=False)
    assert for_passages(tiny) is tiny
    monkeypatch.setenv("LEGALRET_PASSAGE_ENCODER", "onnx-fp32")
    enc = for_passages(tiny)
    assert isinstance(enc, OnnxPassageEncoder) and enc.variant == "fp32"
    with pytest.raises(ModelError, match="onnx-nbits8"):
        for_passages(tiny, "onnx-int4")


def test_index_build_embeds_passages_with_the_onnx_export_when_asked(tiny, home, tmp_path, monkeypatch):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
    import index_support as sup

    from legalret.index import build_index, load_index

    arts = sup.articles()
    model = str(sup.tiny_model_dir())
    monkeypatch.setenv("LEGALRET_PASSAGE_ENCODER", "torch")
    torch_report = build_index(arts, tmp_path / "torch", model=model, precision="fp32")
    monkeypatch.setenv("LEGALRET_PASSAGE_ENCODER", "onnx-fp32")
    onnx_report = build_index(arts, tmp_path / "onnx", model=model, precision="fp32")
    a, b = load_index(tmp_path / "torch"), load_index(tmp_path / "onnx")
    assert onnx_report.encoded == torch_report.encoded == a.dense.vectors.shape[0] > 0
    assert a.manifest["encoder"]["fingerprint"] == b.manifest["encoder"]["fingerprint"]  # the same index to a searcher
    assert (a.dense.vectors * b.dense.vectors).sum(axis=1).min() >= 0.999
    assert any((home / "models" / "onnx").iterdir())  # the export it used, where searches will find it
