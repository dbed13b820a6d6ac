"""Model specs, hub fail-fast, precision, fingerprints and adapter hand-off (all offline, tiny models)."""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest

from legalret.errors import ModelError
from legalret.models import spec as spec_mod
from legalret.models.encoder import load_encoder, resolve_precision
from legalret.models.spec import KO_SROBERTA_PASSAGE, KO_SROBERTA_QUERY, resolve_spec
from legalret.models.tiny import build_tiny_model


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("spec") / "tiny", query_prompt="Q: ", passage_prompt="P: ")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LEGALRET_MODEL", raising=False)
    return tmp_path / "home"


def test_default_is_the_bundled_model_with_e5_prompts(home):
    s = resolve_spec(None)
    assert (s.name, s.kind, s.query_prompt, s.passage_prompt) == ("bundled:me5-small", "bundled", "query: ", "passage: ")
    assert s.path.parent == home / "models" and s.path.name.startswith("me5-small-")


def test_explicit_local_and_hub_prefixes(home, tiny_dir):
    assert resolve_spec(f"local:{tiny_dir}").path == tiny_dir.resolve()
    assert resolve_spec("hub:jhgan/ko-sroberta-multitask").name == "jhgan/ko-sroberta-multitask"
    with pytest.raises(ModelError, match="no such model directory"):
        resolve_spec("local:/no/such/model")


def test_configured_default_is_respected(home, tiny_dir, monkeypatch):
    monkeypatch.setenv("LEGALRET_MODEL", str(tiny_dir))
    assert resolve_spec(None).kind == "local"


def test_ko_sroberta_preset_prompts(home):
    s = resolve_spec("jhgan/ko-sroberta-multitask")
    assert s.kind == "hub"
    assert (s.query_prompt, s.passage_prompt) == (KO_SROBERTA_QUERY, KO_SROBERTA_PASSAGE)
    assert s.query_prompt == "Represent this sentence for searching relevant passages: "


def test_local_directory_prompts_come_from_its_saved_config(tiny_dir):
    s = resolve_spec(str(tiny_dir))
    assert (s.kind, s.query_prompt, s.passage_prompt) == ("local", "Q: ", "P: ")
    enc = load_encoder(tiny_dir, precision="fp32")
    direct = enc.model.encode(["P: 손해배상"], normalize_embeddings=True)
    np.testing.assert_allclose(enc.encode_passages(["손해배상"]), direct, atol=1e-5)


@pytest.mark.parametrize(
    "bad, message",
    [("bundled:nope", "unknown bundled model"), ("./no/such/dir", "no such directory"), ("not a spec!", "not a hub id"), ("", "empty")],
)
def test_bad_specs_are_clear_errors(home, bad, message):
    with pytest.raises(ModelError, match=message):
        resolve_spec(bad)


def test_directory_without_a_model_is_rejected(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a sentence-transformers or transformers model"):
        resolve_spec(str(tmp_path / "empty"))


def test_uncached_hub_model_fails_fast_offline_naming_alternatives(home, monkeypatch):
    monkeypatch.setattr(spec_mod, "cached_hub_snapshot", lambda repo_id: None)
    start = time.monotonic()
    with pytest.raises(ModelError, match=r"bundled:me5-small.*local model directory"):
        load_encoder("jhgan/ko-sroberta-multitask")
    assert time.monotonic() - start < 5


def test_unreachable_hub_fails_fast_when_not_in_offline_mode(home, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(spec_mod, "cached_hub_snapshot", lambda repo_id: None)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")  # discard port: connection refused at once
    start = time.monotonic()
    with pytest.raises(ModelError, match=r"cannot fetch hub model 'jhgan/ko-sroberta-multitask'.*bundled:me5-small"):
        load_encoder("jhgan/ko-sroberta-multitask")
    assert time.monotonic() - start < 15


def test_precision_choices(tiny_dir):
    with pytest.raises(ModelError, match="precision"):
        load_encoder(tiny_dir, precision="fp8")  # type: ignore[arg-type]
    assert resolve_precision("fp32", "cpu") == "fp32"
    assert resolve_precision("auto", "cpu") in ("fp32", "bf16")
    fp32 = load_encoder(tiny_dir, precision="fp32")
    bf16 = load_encoder(tiny_dir, precision="bf16")
    assert bf16.precision == "bf16" and bf16.fingerprint == fp32.fingerprint
    a, b = fp32.encode_passages(["제750조 불법행위"]), bf16.encode_passages(["제750조 불법행위"])
    assert b.dtype == np.float32
    assert float(a[0] @ b[0]) > 0.99


def test_fingerprint_is_content_based(tiny_dir, tmp_path):
    import shutil

    enc = load_encoder(tiny_dir)
    copy = tmp_path / "copy"
    shutil.copytree(tiny_dir, copy)
    assert load_encoder(copy).fingerprint == enc.fingerprint
    assert enc.fingerprint.startswith("local@") and len(enc.fingerprint.split("@")[1]) == 16


def test_adapter_is_attached_through_the_adapter_module(tiny_dir, tmp_path, monkeypatch):
    calls = []

    def attach_adapter(st_model, adapter_dir, base_spec_name, *, base_fingerprint=None):
        calls.append((adapter_dir, base_spec_name, base_fingerprint))
        return "lora-abc123"

    fake = types.ModuleType("legalret.models.adapter")
    fake.attach_adapter = attach_adapter
    fake.merge_lora = lambda model: 0  # nothing attached, nothing to merge
    fake.resolve_adapter_dir = Path  # (a shipped adapter's name would resolve here)
    fake.adapter_kind = lambda adapter_dir: "lora"
    monkeypatch.setitem(sys.modules, "legalret.models.adapter", fake)
    base = load_encoder(tiny_dir)
    enc = load_encoder(tiny_dir, adapter=tmp_path / "ad")
    assert calls == [(tmp_path / "ad", str(tiny_dir.resolve()), base.fingerprint)]
    assert enc.fingerprint == base.fingerprint + "+adapter:lora-abc123"
