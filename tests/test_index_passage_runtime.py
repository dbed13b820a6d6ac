"""A rebuild into the same folder reuses the previous generation's vectors only when they were made on the same
runtime (the vector cache's fingerprint: precision or ONNX variant, device, library), and so does a killed
build's spill."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.index import build_index, load_index  # noqa: E402
from legalret.index.vector_cache import recorded_fingerprint, same_vectors  # noqa: E402


@pytest.fixture()
def env(tmp_path, monkeypatch):
    """A home of its own (the ONNX exports), no vector cache (only the index's own vectors are reused here), and
    no runtime or precision chosen from outside."""
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEGALRET_VECTOR_CACHE", "off")
    monkeypatch.delenv("LEGALRET_PASSAGE_ENCODER", raising=False)
    monkeypatch.delenv("LEGALRET_PRECISION", raising=False)
    return monkeypatch


def _searchable() -> int:
    return sum(not a.deleted for a in sup.articles())


def _vectors(index_dir: Path) -> np.ndarray:
    data = load_index(index_dir)
    return np.array(data.dense.vectors, copy=True)


def test_a_rebuild_reuses_the_folders_vectors_only_at_the_same_precision_and_runtime(env, tmp_path, capsys):
    from legalret.models.encoder import load_encoder

    model = str(sup.tiny_model_dir())
    idx = tmp_path / "idx"
    fp32 = build_index(sup.articles(), idx, encoder=sup.tiny_encoder())
    assert fp32.encoded == _searchable()
    assert build_index(sup.articles(), idx, encoder=sup.tiny_encoder()).encoded == 0  # same runtime: reused
    bf16 = load_encoder(model, precision="bf16", device="cpu")
    assert bf16.fingerprint == sup.tiny_encoder().fingerprint  # the same weights: only the runtime differs
    capsys.readouterr()
    again = build_index(sup.articles(), idx, encoder=bf16)
    assert again.encoded == _searchable()  # made at fp32: encoded again, not reused
    note = " ".join(capsys.readouterr().err.split())
    assert "not reusing the previous generation's vectors" in note and "runtime torch-fp32 → torch-bf16" in note
    bf16_vectors = _vectors(idx)
    assert not np.array_equal(bf16_vectors, _vectors_of(sup.tiny_encoder(), tmp_path / "ref"))
    assert build_index(sup.articles(), idx, encoder=bf16).encoded == 0  # bf16 over bf16: reused
    # the ONNX export of the same encoder is another runtime too
    env.setenv("LEGALRET_PASSAGE_ENCODER", "onnx-fp32")
    onnx = build_index(sup.articles(), idx, model=model, precision="fp32")
    assert onnx.encoded == _searchable()
    assert build_index(sup.articles(), idx, model=model, precision="fp32").encoded == 0


def _vectors_of(encoder, index_dir: Path, batch_size: int = 32) -> np.ndarray:
    build_index(sup.articles(), index_dir, encoder=encoder, batch_size=batch_size)
    return _vectors(index_dir)


def test_a_killed_builds_spill_is_reused_only_at_its_own_precision(env, tmp_path):
    from legalret.models.encoder import load_encoder

    class KilledAfterFirstBatch(sup.CountingEncoder):
        def encode_passages(self, texts, batch_size=32, show_progress=False):
            if self.passages:
                raise KeyboardInterrupt
            return super().encode_passages(texts, batch_size=batch_size)

    bf16 = load_encoder(str(sup.tiny_model_dir()), precision="bf16", device="cpu")
    with pytest.raises(KeyboardInterrupt):
        build_index(sup.articles(), tmp_path / "idx", encoder=KilledAfterFirstBatch(bf16), batch_size=1)
    assert any((tmp_path / "idx" / ".vector-spill").rglob("chunk-*.npz"))  # the spill (vector cache off)
    counting = sup.CountingEncoder(sup.tiny_encoder())  # fp32 now: the bf16 batch is not taken
    resumed = build_index(sup.articles(), tmp_path / "idx", encoder=counting, batch_size=1)
    assert counting.passages == resumed.encoded == _searchable()
    plain = _vectors_of(sup.tiny_encoder(), tmp_path / "plain", batch_size=1)  # (the batches change the last bits)
    assert _vectors(tmp_path / "idx").tobytes() == plain.tobytes()


def test_an_index_without_the_record_is_taken_as_torch_at_its_precision():
    legacy = {"fingerprint": "m@1+passage-tokens:128", "precision": "bf16", "dim": 384}
    recorded = recorded_fingerprint(legacy)
    assert recorded == {"encoder": "m@1+passage-tokens:128", "runtime": "torch-bf16", "dim": 384, "inferred": True}
    now = {"format": 1, "encoder": "m@1+passage-tokens:128", "runtime": "torch-bf16", "library": "torch 2",
           "device": "cpu-native-bf16", "dim": 384, "passage_max_tokens": 128, "normalization": "l2, float32"}
    assert same_vectors(recorded, now)
    assert not same_vectors(recorded, {**now, "runtime": "onnx-int8"})
    assert not same_vectors(recorded, {**now, "runtime": "torch-fp32"})
    # a full record compares every field: another library version or device is another fingerprint
    assert same_vectors(now, dict(now)) and not same_vectors(now, {**now, "library": "torch 3"})
    assert recorded_fingerprint({**legacy, "passages": now}) == now and recorded_fingerprint(None) is None
