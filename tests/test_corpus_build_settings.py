"""A corpus manifest's ``tokenizer:`` settings are what `legalret index build <manifest>` builds with.

`all-acts-decrees` analyses its article texts with Kiwi's beam cutoff 3.0 (questions and memory texts keep 8.0):
measured on the all-law index only, where it lost nothing (benchmarks/results/article_cutoff_per_corpus_rule.md),
so it belongs to that corpus and the main job's `civil-commercial` keeps every default. By the real CLI, on the
fixture mirror, with ``--model none``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from legalret.cli import app
from legalret.errors import SourceError
from legalret.index.store import read_manifest
from legalret.index.tokenize import TokenizerSettings

runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, list(args), env={"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"})


def _settings(index) -> TokenizerSettings:
    return TokenizerSettings.from_dict(read_manifest(index)["tokenizer"])


@pytest.fixture()
def fast_manifest(mirror_zip, tmp_path, monkeypatch):
    """The fixture mirror, a scratch LEGALRET_HOME and a corpora folder (``tmp_path``) holding ``fast``: 민법 with
    ``article_cutoff: 3.0``."""
    monkeypatch.setenv("LEGALRET_MIRROR", str(mirror_zip))
    monkeypatch.setenv("LEGALRET_CORPORA", str(tmp_path))
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    (tmp_path / "fast.yaml").write_text("name: fast\nkinds: [법률]\nlaws: [민법]\ntokenizer:\n  article_cutoff: 3.0\n",
                                        encoding="utf-8")
    return tmp_path


def test_build_from_a_manifest_uses_its_tokenizer_settings_and_an_add_keeps_them(fast_manifest, mirror_zip, tmp_path):
    fast, plain = tmp_path / "fast-idx", tmp_path / "plain-idx"
    assert _cli("index", "build", "fast", "--index", str(fast), "--model", "none").exit_code == 0
    assert _settings(fast) == TokenizerSettings(article_cutoff=3.0)
    # the same laws as files: no manifest, the defaults
    assert _cli("index", "build", str(mirror_zip), "--law", "민법", "--index", str(plain), "--model", "none").exit_code == 0
    assert _settings(plain) == TokenizerSettings()
    # an add (files, or another manifest) keeps the index's own settings: one index, one tokenizer
    r = _cli("index", "add", str(mirror_zip), "--law", "상법 시행령", "--index", str(fast), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.splitlines()[-1])["added"] > 0 and _settings(fast).article_cutoff == 3.0
    # and `index info` says what each was built with (only what differs from the defaults)
    assert "mixed=True bigrams=True article_cutoff=3.0;" in _cli("index", "info", "--index", str(fast)).stdout
    assert "mixed=True bigrams=True;" in _cli("index", "info", "--index", str(plain)).stdout


def test_a_bad_tokenizer_setting_is_one_line_naming_the_manifest_and_field(mirror_zip, tmp_path, monkeypatch):
    monkeypatch.setenv("LEGALRET_MIRROR", str(mirror_zip))
    monkeypatch.setenv("LEGALRET_CORPORA", str(tmp_path))
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    manifest = tmp_path / "typo.yaml"
    manifest.write_text("name: typo\nkinds: [법률]\nlaws: [민법]\ntokenizer:\n  article_cuttoff: 3.0\n", encoding="utf-8")
    r = _cli("index", "build", "typo", "--index", str(tmp_path / "idx"), "--model", "none")
    # (the CLI's main prints the error as one line `error: …`, exit 1; the runner hands over the exception)
    assert r.exit_code == 1 and isinstance(r.exception, SourceError), r.output
    assert str(r.exception).startswith(f"{manifest}: tokenizer.article_cuttoff: unknown tokenizer setting")
    assert "\n" not in str(r.exception)
    assert not (tmp_path / "idx").exists()  # nothing written
    # … and said before any statute is read (every 법률+시행령 took minutes to read first)
    import legalret.corpus.resolve as resolve

    def no_reading(*args, **kwargs):
        raise AssertionError("the statutes were read before the manifest's settings were checked")

    monkeypatch.setattr(resolve, "read_corpus", no_reading)
    r = _cli("index", "build", "typo", "--index", str(tmp_path / "idx"), "--model", "none")
    assert r.exit_code == 1 and isinstance(r.exception, SourceError), r.exception


def test_an_add_of_a_manifest_with_other_settings_says_the_index_keeps_its_own(fast_manifest, mirror_zip, tmp_path):
    plain = tmp_path / "plain-idx"
    assert _cli("index", "build", str(mirror_zip), "--law", "민법", "--index", str(plain), "--model", "none").exit_code == 0
    r = _cli("index", "add", "fast", "--index", str(plain))
    assert r.exit_code == 0, r.output
    assert ("note: the index keeps its own tokenizer settings, not the manifest's: article_cutoff=3.0 (the index: 8.0); "
            "a build into a new folder uses the manifest's") in r.stderr
    assert _settings(plain) == TokenizerSettings()
    again = _cli("index", "add", str(mirror_zip), "--law", "민법", "--index", str(plain))  # files: nothing to say
    assert again.exit_code == 0 and "keeps its own tokenizer settings" not in again.stderr
