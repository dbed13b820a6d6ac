"""What embeds passages is one thing for ``index build`` and ``index add``: the torch encoder, or its ONNX export
under ``LEGALRET_PASSAGE_ENCODER``. An add on another runtime (precision or ONNX variant) than the index records
is refused, nothing written; a rebuild into the same folder reuses the previous generation's vectors only when
they were made on the same runtime (the vector cache's fingerprint), and so does a killed build's spill."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.errors import IndexError_  # noqa: E402
from legalret.index import add_to_index, build_index, load_index  # noqa: E402
from legalret.index.store import current_generation  # noqa: E402
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


@pytest.fixture()
def counts(monkeypatch):
    """Passages embedded by torch and by ONNX Runtime, counted."""
    from legalret.models.encoder import Encoder
    from legalret.models.onnx import OnnxPassageEncoder

    seen = {"torch": 0, "onnx": 0}
    for name, cls in (("torch", Encoder), ("onnx", OnnxPassageEncoder)):
        def counted(self, texts, *args, _inner=cls.encode_passages, _name=name, **kwargs):
            seen[_name] += len(texts)
            return _inner(self, texts, *args, **kwargs)

        monkeypatch.setattr(cls, "encode_passages", counted)
    return seen


def _searchable() -> int:
    return sum(not a.deleted for a in sup.articles())


def _vectors(index_dir: Path) -> np.ndarray:
    data = load_index(index_dir)
    return np.array(data.dense.vectors, copy=True)


def _amended(i: int, text: str):
    live = [a for a in sup.articles() if not a.deleted]
    return sup.amended(live[i], text)


def test_index_add_embeds_passages_as_index_build_does(env, counts, tmp_path):
    env.setenv("LEGALRET_PASSAGE_ENCODER", "onnx-fp32")
    model = str(sup.tiny_model_dir())
    built = build_index(sup.articles(), tmp_path / "idx", model=model, precision="fp32")
    assert counts == {"torch": 0, "onnx": built.encoded} and built.encoded == _searchable()
    info = load_index(tmp_path / "idx").manifest["encoder"]
    assert info["passages"]["runtime"] == "onnx-fp32" and info["precision"] == "fp32"

    report = add_to_index([_amended(0, "임차인은 차임을 지급하여야 한다.")], tmp_path / "idx", precision="fp32",
                          remove_missing=False)
    assert report.changed == 1 and report.encoded == 1
    assert counts == {"torch": 0, "onnx": built.encoded + 1}  # the changed text went through ONNX Runtime too


@pytest.mark.parametrize("runtime, precision, recorded, hint", [
    (None, "fp32", "onnx-fp32", "LEGALRET_PASSAGE_ENCODER=onnx-fp32"),  # ONNX-built index, torch add
    ("onnx-fp32", "bf16", "torch-bf16", "LEGALRET_PRECISION=bf16"),  # bf16 torch-built index, ONNX add
])
def test_an_add_on_another_runtime_is_refused_and_writes_nothing(env, counts, tmp_path, runtime, precision,
                                                                 recorded, hint):
    if recorded.startswith("onnx-"):
        env.setenv("LEGALRET_PASSAGE_ENCODER", recorded)
    build_index(sup.articles(), tmp_path / "idx", model=str(sup.tiny_model_dir()), precision=precision)
    live = current_generation(tmp_path / "idx")
    if runtime is None:
        env.delenv("LEGALRET_PASSAGE_ENCODER")
    else:
        env.setenv("LEGALRET_PASSAGE_ENCODER", runtime)
    before = dict(counts)
    with pytest.raises(IndexError_) as e:
        add_to_index([_amended(0, "임차인은 차임을 지급하여야 한다.")], tmp_path / "idx", precision=precision,
                     remove_missing=False)
    message = str(e.value)
    assert "\n" not in message and f"embedded by {recorded}" in message and hint in message
    assert "nothing was written" in message
    assert current_generation(tmp_path / "idx") == live and counts == before  # nothing embedded, nothing written


def test_an_add_at_another_precision_is_refused(env, tmp_path):
    build_index(sup.articles(), tmp_path / "idx", model=str(sup.tiny_model_dir()), precision="fp32")
    env.setenv("LEGALRET_PRECISION", "bf16")  # what `index add` (precision auto) would then use
    with pytest.raises(IndexError_, match=r"embedded by torch-fp32, this add would embed them by torch-bf16.*"
                                          r"LEGALRET_PRECISION=fp32"):
        add_to_index([_amended(1, "임대인은 목적물을 인도하여야 한다.")], tmp_path / "idx", remove_missing=False)
    env.setenv("LEGALRET_PRECISION", "fp32")  # as the message says: then it goes through
    assert add_to_index([_amended(1, "임대인은 목적물을 인도하여야 한다.")], tmp_path / "idx", remove_missing=False).encoded == 1


@pytest.mark.parametrize("settings, asked", [
    ({"LEGALRET_PRECISION": "bf16"}, "torch-bf16"),
    ({"LEGALRET_PASSAGE_ENCODER": "onnx-int8"}, "onnx-int8"),
])
def test_a_runtime_mismatch_is_refused_before_the_memory_stage_and_the_encoder_load(env, tmp_path, monkeypatch,
                                                                                    settings, asked):
    """The runtime an add would embed on follows from the settings: a mismatch is refused before the add's
    memory stage (minutes on a large memory) and before any encoder is loaded."""
    import legalret.models.encoder as models_encoder

    build_index(sup.articles(), tmp_path / "idx", model=str(sup.tiny_model_dir()), precision="fp32")
    live = current_generation(tmp_path / "idx")
    for name, value in settings.items():
        env.setenv(name, value)
    loads, stages = [], []
    monkeypatch.setattr(models_encoder, "load_encoder", lambda *a, **k: loads.append(a))
    with pytest.raises(IndexError_, match=f"embedded by torch-fp32, this add would embed them by {asked}"):
        add_to_index([_amended(0, "임차인은 차임을 지급하여야 한다.")], tmp_path / "idx", remove_missing=False,
                     parts=lambda context: stages.append("memory"))
    assert stages == [] and loads == [] and current_generation(tmp_path / "idx") == live


def test_the_runtime_read_from_the_settings_is_the_loaded_encoders(env):
    from legalret.errors import ModelError
    from legalret.index.vector_cache import encoder_fingerprint
    from legalret.models.encoder import load_encoder
    from legalret.models.onnx import passage_runtime

    model = str(sup.tiny_model_dir())
    for precision in ("auto", "fp32", "bf16"):  # auto: whatever this machine's CPU (or GPU) does natively
        assert passage_runtime(precision) == encoder_fingerprint(load_encoder(model, precision=precision))["runtime"]
    env.setenv("LEGALRET_PRECISION", "fp32")
    assert passage_runtime() == "torch-fp32" and passage_runtime("bf16") == "torch-bf16"
    env.setenv("LEGALRET_PASSAGE_ENCODER", "ONNX-nbits8 ")
    assert passage_runtime() == "onnx-nbits8"  # the precision is the torch base's, not what runs
    env.setenv("LEGALRET_PASSAGE_ENCODER", "onnx-fp16")
    with pytest.raises(ModelError, match="LEGALRET_PASSAGE_ENCODER='onnx-fp16': choose torch, onnx-fp32"):
        passage_runtime()


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


def _info(index_dir: Path, *options: str):
    from typer.testing import CliRunner

    from legalret.cli import app

    r = CliRunner().invoke(app, ["index", "info", "--index", str(index_dir), *options],
                           env={"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    return r.stdout if "--json" in options else r.output  # (the report itself goes to stderr, like all messages)


def test_index_info_names_the_passage_runtime_recorded_or_assumed(env, tmp_path):
    import json

    build_index(sup.articles(), tmp_path / "idx", model=str(sup.tiny_model_dir()), precision="fp32")
    text = " ".join(_info(tmp_path / "idx").split())
    assert "passages embedded by torch-fp32 on cpu (torch " in text and "assumed" not in text
    assert json.loads(_info(tmp_path / "idx", "--json"))["passage_runtime"] == {"runtime": "torch-fp32", "assumed": False}

    # an index built before the record: what `index add` takes it for, said to be assumed
    path = current_generation(tmp_path / "idx") / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    del manifest["encoder"]["passages"]
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    text = " ".join(_info(tmp_path / "idx").split())
    assert "passages embedded by torch-fp32 (assumed: the index predates the runtime record" in text
    assert json.loads(_info(tmp_path / "idx", "--json"))["passage_runtime"] == {"runtime": "torch-fp32", "assumed": True}


def test_index_info_of_a_bm25_only_index_has_no_passage_runtime(env, tmp_path):
    import json

    build_index(sup.articles(), tmp_path / "idx", model="none")
    assert "passages embedded" not in _info(tmp_path / "idx")
    assert json.loads(_info(tmp_path / "idx", "--json"))["passage_runtime"] is None
