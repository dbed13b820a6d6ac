"""Corpus manifests: the bundled three, loading by name or path, and clear errors for bad ones."""

from __future__ import annotations

import pytest

from legalret.corpus.manifest import is_manifest_ref, list_manifests, load_manifest
from legalret.errors import SourceError


def test_bundled_manifests():
    by_name = {m.name: m for m in list_manifests()}
    cc = by_name["civil-commercial"]
    assert (cc.laws, cc.kinds, cc.all_laws) == (["민법", "상법"], ["법률"], False)
    assert by_name["all-acts"].all_laws and by_name["all-acts"].kinds == ["법률"]
    assert by_name["all-acts-decrees"].all_laws and by_name["all-acts-decrees"].kinds == ["법률", "시행령"]
    assert load_manifest().name == "civil-commercial"  # the default


def test_load_by_path_and_env_dir(tmp_path, monkeypatch):
    path = tmp_path / "labour.yaml"
    path.write_text("name: labour\nkinds: [법률, 대통령령]\nlaws:\n  - 근로기준법\n  - 최저임금법\n", encoding="utf-8")
    m = load_manifest(path)
    assert (m.name, m.laws, m.kinds) == ("labour", ["근로기준법", "최저임금법"], ["법률", "시행령"])
    monkeypatch.setenv("LEGALRET_CORPORA", str(tmp_path))
    assert load_manifest("labour").laws == ["근로기준법", "최저임금법"]
    assert is_manifest_ref("labour") and not is_manifest_ref("민법")


@pytest.mark.parametrize(
    "text, field",
    [
        ("name: x\nlaws: [민법, 3]\n", "laws"),
        ("name: x\nlaws: [민법]\nkinds: [조례]\n", "kinds"),
        ("- just\n- a list\n", None),
        # a misspelt field or an empty list had meant every law (an all-law build of ~100 minutes)
        ("nam: x\nlaw: [주택임대차보호법]\n", "law"),
        ("name: x\nlaws: []\n", "laws"),
        ("name: x\nkinds: [법률]\n", "laws"),
        ("name: x\nlaws:\n", "laws"),
        ("name: x\nlaws: [민법]\ntokenizer: 3.0\n", "tokenizer"),
        # a list setting is a list (user_words: [유치권], accepted); a mapping is no setting's value
        ("name: x\nlaws: [민법]\ntokenizer:\n  user_words: {유치권: NNP}\n", "tokenizer.user_words"),
        ("name: x\nlaws: [민법]\ntokenizer:\n  user_words: [[유치권]]\n", "tokenizer.user_words"),
        ("name: [x]\nlaws: [민법]\n", "name"),
    ],
)
def test_bad_manifests(tmp_path, text, field):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as e:
        load_manifest(path)
    assert e.value.field == field


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nlaws: [민법\nkinds: [법률]\n", encoding="utf-8")
    with pytest.raises(SourceError) as e:
        load_manifest(path)
    assert e.value.line is not None


def test_unknown_manifest_lists_the_known_ones():
    with pytest.raises(SourceError, match="civil-commercial"):
        load_manifest("no-such-corpus")


def test_a_mistyped_manifest_name_is_not_taken_for_a_law():
    """`corpus pull civil-comercial` said "law 'civil-comercial' was not found": no law has an ASCII name."""
    assert is_manifest_ref("civil-comercial") and is_manifest_ref("all_acts") and not is_manifest_ref("민법")
    with pytest.raises(SourceError, match=r"civil-comercial: no such corpus manifest \(known: .*civil-commercial"):
        load_manifest("civil-comercial")


def test_a_named_act_brings_its_decrees_of_the_listed_kinds(tmp_path):
    path = tmp_path / "labour.yaml"
    path.write_text("name: labour\nkinds: [법률, 시행령]\nlaws: [근로기준법, 상법 시행령]\n", encoding="utf-8")
    m = load_manifest(path)
    assert m.documents() == [("근로기준법", "법률"), ("근로기준법", "시행령"), ("상법", "시행령")]
    assert m.document_names() == ["근로기준법", "근로기준법 시행령", "상법 시행령"]
    assert m.document_kinds() == ["법률", "시행령"]
    # 시행규칙 only when asked for; a manifest without kinds means every kind
    path.write_text("name: rules\nkinds: [법률, 시행규칙]\nlaws: [근로기준법]\n", encoding="utf-8")
    assert load_manifest(path).document_names() == ["근로기준법", "근로기준법 시행규칙"]
    path.write_text("name: any\nlaws: [근로기준법]\n", encoding="utf-8")
    m = load_manifest(path)
    assert m.document_names() == ["근로기준법", "근로기준법 시행령", "근로기준법 시행규칙"] and m.document_kinds() == []
    # the shipped corpora are unchanged by it: 법률-only names, or every law
    by_name = {m.name: m for m in list_manifests()}
    assert by_name["civil-commercial"].document_names() == ["민법", "상법"]
    assert by_name["all-acts-decrees"].document_names() == [] and by_name["all-acts"].document_names() == []


def test_a_manifest_carries_tokenizer_settings_checked_against_the_dataclass(tmp_path):
    """A corpus may set TokenizerSettings fields for its builds (all-acts-decrees: Kiwi's beam cutoff 3.0 for the
    article texts); the index layer checks names and types, naming the manifest file and the field."""
    from legalret.index.tokenize import TokenizerSettings

    bundled = {m.name: m for m in list_manifests()}
    assert bundled["civil-commercial"].tokenizer == {}  # the main job's index keeps every default
    settings = TokenizerSettings.with_overrides(bundled["all-acts-decrees"].tokenizer, "all-acts-decrees.yaml")
    assert settings.article_cutoff == 3.0 and settings.kiwi_cutoff == 8.0  # questions and holdings keep Kiwi's 8.0
    assert settings == TokenizerSettings(article_cutoff=3.0)
    assert TokenizerSettings.with_overrides({"article_cutoff": 4}, "m.yaml").article_cutoff == 4.0  # YAML's 4
    for bad, field in [({"article_cuttoff": 3.0}, "tokenizer.article_cuttoff"), ({"article_cutoff": "3"}, "tokenizer.article_cutoff"),
                       ({"default_dict": 1}, "tokenizer.default_dict"), ({"kiwi_cutoff": True}, "tokenizer.kiwi_cutoff"),
                       ({"name": "bigrams"}, "tokenizer.name")]:
        with pytest.raises(SourceError) as e:
            TokenizerSettings.with_overrides(bad, str(tmp_path / "mine.yaml"))
        assert e.value.field == field and "mine.yaml" in str(e.value)


def test_filters_name_an_acts_decrees_so_every_reader_takes_the_same_documents(tmp_path):
    """`index build`, `pairs` and the speed benchmark read a manifest through one definition: an act named with
    kinds [법률, 시행령] brings its 시행령 (pairs had passed the bare act names)."""
    path = tmp_path / "labour.yaml"
    path.write_text("name: labour\nkinds: [법률, 시행령]\nlaws: [근로기준법, 상법 시행령]\n", encoding="utf-8")
    assert load_manifest(path).filters() == (["근로기준법", "근로기준법 시행령", "상법 시행령"], ["법률", "시행령"])
    assert load_manifest("all-acts-decrees").filters() == (None, ["법률", "시행령"])
    assert load_manifest("civil-commercial").filters() == (["민법", "상법"], ["법률"])
    from legalret.evaluate.speed import corpus_filter as speed_filter
    from legalret.pairs.build import corpus_filter as pairs_filter

    assert pairs_filter(str(path)) == speed_filter(str(path)) == load_manifest(path).filters()
    assert pairs_filter("all") == (None, None)
