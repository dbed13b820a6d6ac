"""A new user's manifest findings: what a corpus manifest may hold is checked where it is read, in one line naming the
file and field, and a manifest is found by the name `corpus list` shows.

1. a ``tokenizer:`` value out of range (``article_cutoff: -5``, ``kiwi_cutoff: .nan``) had built an index without a
   word, exit 0: ``TokenizerSettings.with_overrides`` (the one place manifest settings are checked) refuses it;
2. ``corpus list`` shows a manifest's ``name:`` but the lookup went by file name only; two manifests answering to one
   name had hidden one; one broken manifest had made ``corpus list`` fail;
3. a misspelt law said only "no articles read from man.yaml": the law is named, with ingest's "did you mean";
4. ``kind:`` for ``kinds:`` was wrapped in "neither a file/folder/glob nor a corpus manifest", and the list settings
   (``user_words: [임차권등기명령]``) were refused: now accepted, recorded by the index and kept by an ``index add``.

By the library and by the real CLI (typer's runner), on the fixture mirror (민법 법률, 상법 시행령), ``--model none``."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from legalret.cli import app
from legalret.corpus.manifest import NoSuchManifest, is_manifest_ref, list_manifests, load_manifest, manifest_notes
from legalret.corpus.resolve import read_corpus
from legalret.errors import LegalretError, SourceError
from legalret.index.store import read_manifest
from legalret.index.tokenize import KiwiTokenizer, TokenizerSettings

runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, list(args), env={"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"})


@pytest.fixture()
def corpora(mirror_zip, tmp_path, monkeypatch):
    """A LEGALRET_CORPORA folder of one's own (empty), the fixture mirror, a scratch LEGALRET_HOME."""
    folder = tmp_path / "corpora"
    folder.mkdir()
    monkeypatch.setenv("LEGALRET_MIRROR", str(mirror_zip))
    monkeypatch.setenv("LEGALRET_CORPORA", str(folder))
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    return folder


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


# ---- 1. tokenizer values: range and type -----------------------------------------------------------------------
@pytest.mark.parametrize("overrides, field, words", [
    ({"article_cutoff": -5}, "tokenizer.article_cutoff", "a negative cutoff keeps no analysis"),
    ({"kiwi_cutoff": float("nan")}, "tokenizer.kiwi_cutoff", "finite number above 0"),
    ({"kiwi_cutoff": float("inf")}, "tokenizer.kiwi_cutoff", "finite number above 0"),
    ({"article_cutoff": -math.inf}, "tokenizer.article_cutoff", "finite number above 0"),
    ({"article_cutoff": 0}, "tokenizer.article_cutoff", "0 keeps only the best path"),
    ({"article_cutoff": 10 ** 400}, "tokenizer.article_cutoff", "finite number above 0"),
    ({"article_cutoff": "3.0"}, "tokenizer.article_cutoff", "must be a float"),
    ({"article_cutoff": 1e308}, "tokenizer.article_cutoff", "above 0 and at most 100 ("),  # (prunes nothing, as inf)
    ({"kiwi_cutoff": "fast"}, "tokenizer.kiwi_cutoff", "must be a float, not 'fast'"),
    ({"kiwi_cutoff": True}, "tokenizer.kiwi_cutoff", "must be a float"),
    ({"mixed": 1}, "tokenizer.mixed", "true or false"),
    ({"quantities": "yes"}, "tokenizer.quantities", "true or false"),
    ({"user_words": "임차권등기명령"}, "tokenizer.user_words", "list of non-empty strings"),
    ({"user_words": ["임차권등기명령", ""]}, "tokenizer.user_words", "list of non-empty strings"),
    ({"user_words": [3]}, "tokenizer.user_words", "list of non-empty strings"),
    ({"predicate_stopwords": [" "]}, "tokenizer.predicate_stopwords", "list of non-empty strings"),
    ({"noun_tags": ["NNG", "NNGG"]}, "tokenizer.noun_tags", "unknown Kiwi tag(s) ['NNGG'] (did you mean NNG?"),
    ({"predicate_tags": ["VV-R"]}, "tokenizer.predicate_tags", "unknown Kiwi tag(s) ['VV-R']"),
    ({"noun_tags": []}, "tokenizer.noun_tags", "at least one tag"),
])
def test_a_tokenizer_value_out_of_range_or_type_is_one_line_naming_file_and_field(overrides, field, words):
    with pytest.raises(SourceError) as e:
        TokenizerSettings.with_overrides(overrides, "/some/man.yaml")
    message = str(e.value)
    assert e.value.field == field and message.startswith(f"/some/man.yaml: {field}: ") and words in message
    assert "\n" not in message


def test_what_kiwi_takes_is_accepted_and_lists_become_tuples():
    s = TokenizerSettings.with_overrides({"article_cutoff": 0.5, "kiwi_cutoff": 12, "user_words": ["임차권등기명령"],
                                          "noun_tags": ["NNG", "NNP"], "predicate_tags": [], "mixed": False}, "m.yaml")
    assert (s.article_cutoff, s.kiwi_cutoff) == (0.5, 12.0) and isinstance(s.kiwi_cutoff, float)
    assert s.user_words == ("임차권등기명령",) and s.noun_tags == ("NNG", "NNP") and s.predicate_tags == ()
    assert not s.mixed
    # recorded as an index records it and read back the same (lists in JSON, tuples again)
    assert TokenizerSettings.from_dict(json.loads(json.dumps(s.to_dict()))) == s


def test_a_negative_cutoff_is_what_made_an_index_without_words():
    """Why the range: Kiwi keeps the analyses within the cutoff of the best one; below 0 it keeps none."""
    text = "임대차는 그 등기가 없는 경우에도 임차인이 주택의 인도와 주민등록을 마친 때에는 효력이 생긴다."
    assert KiwiTokenizer(TokenizerSettings(kiwi_cutoff=-5.0), cache=False).tokenize(text) == []
    assert KiwiTokenizer(TokenizerSettings(kiwi_cutoff=3.0), cache=False).tokenize(text)


@pytest.mark.parametrize("setting, shown", [("article_cutoff: -5", "-5"), ("kiwi_cutoff: .nan", "nan")])
def test_index_build_refuses_a_bad_tokenizer_value_before_writing(corpora, tmp_path, setting, shown):
    manifest = _write(tmp_path / "man.yaml", f"name: n1\nkinds: [법률]\nlaws: [민법]\ntokenizer: {{{setting}}}\n")
    r = _cli("index", "build", str(manifest), "--index", str(tmp_path / "idx"), "--model", "none")
    assert r.exit_code == 1 and isinstance(r.exception, SourceError), r.output
    name = setting.split(":")[0]
    assert str(r.exception).startswith(f"{manifest}: tokenizer.{name}: must be a finite number above 0")
    assert str(r.exception).endswith(f"not {shown}" if shown == "nan" else "no tokens at all")
    assert not (tmp_path / "idx").exists()


# ---- 2. found by its name, and two names or a broken file are said -----------------------------------------------
def test_a_manifest_is_found_by_its_name_and_its_file_name(corpora):
    _write(corpora / "lease.yaml", "name: lease-laws\nkinds: [법률]\nlaws: [민법]\n")
    assert load_manifest("lease-laws").path == load_manifest("lease").path == corpora / "lease.yaml"
    assert load_manifest("lease-laws").name == "lease-laws"
    assert is_manifest_ref("lease-laws") and is_manifest_ref("lease")
    # a name of one's own in Korean is a manifest too, not a law (corpus pull)
    _write(corpora / "mine.yaml", "name: 임대차모음\nkinds: [법률]\nlaws: [민법]\n")
    assert is_manifest_ref("임대차모음") and not is_manifest_ref("민법")
    assert {a.law for a in read_corpus(["임대차모음"]).articles} == {"민법"}
    with pytest.raises(NoSuchManifest, match=r"no such corpus manifest \(known: lease-laws, 임대차모음, "):
        load_manifest("lease-law")


def test_index_build_takes_the_name_corpus_list_shows(corpora, tmp_path):
    _write(corpora / "lease.yaml", "name: lease-laws\nkinds: [법률]\nlaws: [민법]\n")
    listed = _cli("corpus", "list", "--json")
    assert listed.exit_code == 0 and "lease-laws" in [m["name"] for m in json.loads(listed.stdout)]
    r = _cli("index", "build", "lease-laws", "--index", str(tmp_path / "idx"), "--model", "none", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.splitlines()[-1])["laws"] == 1
    r = _cli("index", "build", "lease", "--index", str(tmp_path / "idx2"), "--model", "none")  # the file name still
    assert r.exit_code == 0, r.output


def test_two_manifests_with_one_name_are_both_listed_said_once_and_the_name_refused(corpora, tmp_path, capsys):
    _write(corpora / "lease.yaml", "name: lease-laws\nkinds: [법률]\nlaws: [민법]\n")
    _write(corpora / "shop.yaml", "name: lease-laws\nkinds: [시행령]\nlaws: [상법 시행령]\n")
    paths = [m.path for m in list_manifests() if m.name == "lease-laws"]
    assert paths == [corpora / "lease.yaml", corpora / "shop.yaml"]  # neither hidden
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "2 corpus manifests answer to the name 'lease-laws'" in err[0]
    assert str(corpora / "lease.yaml") in err[0] and str(corpora / "shop.yaml") in err[0]
    with pytest.raises(SourceError, match=r"^lease-laws: 2 corpus manifests answer to this name \(.*lease\.yaml, "
                                          r".*shop\.yaml\); give the manifest's path"):
        load_manifest("lease-laws")
    assert load_manifest("shop").laws == ["상법 시행령"]  # each file is still found by its file name
    r = _cli("index", "build", "lease-laws", "--index", str(tmp_path / "idx"), "--model", "none")
    assert r.exit_code == 1 and "2 corpus manifests answer to this name" in str(r.exception)
    assert not (tmp_path / "idx").exists()
    # a file name that is another manifest's name is just as ambiguous
    _write(corpora / "shop.yaml", "name: shop-laws\nkinds: [시행령]\nlaws: [상법 시행령]\n")
    _write(corpora / "lease-laws.yaml", "name: other\nkinds: [법률]\nlaws: [민법]\n")
    with pytest.raises(SourceError, match=r"lease-laws\.yaml \(its file name\)"):
        load_manifest("lease-laws")


def test_corpora_reached_twice_are_not_two_manifests(monkeypatch, tmp_path):
    """LEGALRET_CORPORA naming the repository's own corpora/ lists each manifest once, and says nothing."""
    bundled = load_manifest("civil-commercial").path.parent
    monkeypatch.setenv("LEGALRET_CORPORA", str(bundled))
    names = [m.name for m in list_manifests(notes=False)]
    assert names.count("civil-commercial") == 1 and manifest_notes() == []
    assert load_manifest("civil-commercial").laws == ["민법", "상법"]


def test_one_broken_manifest_does_not_stop_corpus_list(corpora):
    _write(corpora / "lease.yaml", "name: lease-laws\nkinds: [법률]\nlaws: [민법]\n")
    _write(corpora / "broken.yaml", "name: n4\nkind: [법률]\nlaws: [민법]\n")
    _write(corpora / "garbled.yaml", "name: x\nlaws: [민법\nkinds: [법률]\n")
    r = _cli("corpus", "list")
    assert r.exit_code == 0, r.output
    assert "lease-laws" in r.stdout and "civil-commercial" in r.stdout
    notes = r.stderr.strip().splitlines()
    assert notes == [
        f"note: not listed (broken corpus manifest): {corpora / 'broken.yaml'}: kind: unknown field 'kind' (did you "
        "mean 'kinds'?); a manifest has name, description, laws, kinds, areas, measured, tokenizer",
        # PyYAML's five-line message, as one line with its line number
        f"note: not listed (broken corpus manifest): {corpora / 'garbled.yaml'}:3: not valid YAML (expected ',' or "
        "']', but got ':' (while parsing a flow sequence from line 2) at column 6)"]
    r = _cli("corpus", "list", "--json")
    assert r.exit_code == 0 and "lease-laws" in [m["name"] for m in json.loads(r.stdout)]
    # looked up by the name it claims, a broken manifest gives its own error; an unknown name names the broken files
    with pytest.raises(SourceError, match=r"broken\.yaml: kind: unknown field 'kind'"):
        load_manifest("n4")
    with pytest.raises(NoSuchManifest, match=r"known: lease-laws, .*; broken, see `legalret corpus list`: .*broken\.yaml"):
        load_manifest("nope")


# ---- 3. a misspelt law is named, with a suggestion --------------------------------------------------------------
def test_a_misspelt_law_is_named_with_did_you_mean(corpora, tmp_path):
    manifest = _write(tmp_path / "man.yaml", "name: n3\nkinds: [법률]\nlaws: [민볍]\n")
    r = _cli("index", "build", str(manifest), "--index", str(tmp_path / "idx"), "--model", "none")
    assert r.exit_code == 1 and isinstance(r.exception, SourceError), r.output
    assert str(r.exception) == (f"{manifest}: laws: '민볍' is not in the statute mirror {corpora.parent / 'legalize-kr.zip'}"
                                " as 법률 (did you mean 민법?)")
    assert not (tmp_path / "idx").exists()


def test_a_misspelt_law_beside_good_ones_is_named_and_the_build_exits_3(corpora, tmp_path):
    manifest = _write(tmp_path / "man.yaml", "name: n3\nkinds: [법률]\nlaws: [민법, 민볍]\n")
    result = read_corpus([str(manifest)])
    assert {a.law for a in result.articles} == {"민법"}
    [error] = result.errors
    assert error.field == "laws" and error.path == str(manifest) and "'민볍'" in str(error)
    assert str(error).endswith("(did you mean 민법?)")
    r = _cli("index", "build", str(manifest), "--index", str(tmp_path / "idx"), "--model", "none", "--json")
    assert r.exit_code == 3, r.output
    assert json.loads(r.stdout.splitlines()[-1])["skipped"] == [str(error)]
    # a law that is there, but not of the manifest's kinds, is named the same way (no suggestion to make)
    only_decree = _write(tmp_path / "acts.yaml", "name: acts\nkinds: [법률]\nlaws: [민법, 상법]\n")
    [error] = read_corpus([str(only_decree)]).errors
    assert str(error).endswith("laws: '상법' is not in the statute mirror "
                               f"{corpora.parent / 'legalize-kr.zip'} as 법률")


# ---- 4. a manifest's own errors, and list settings ---------------------------------------------------------------
def test_a_wrong_field_is_the_manifests_own_error_not_neither_a_file_nor_a_manifest(corpora, tmp_path):
    manifest = _write(tmp_path / "man.yaml", "name: n4\nkind: [법률]\nlaws: [민법]\n")
    r = _cli("index", "build", str(manifest), "--index", str(tmp_path / "idx"), "--model", "none")
    assert r.exit_code == 1 and isinstance(r.exception, SourceError), r.output
    assert str(r.exception) == (f"{manifest}: kind: unknown field 'kind' (did you mean 'kinds'?); a manifest has name, "
                                "description, laws, kinds, areas, measured, tokenizer")
    # what is no manifest at all keeps the wrapper
    with pytest.raises(LegalretError, match=r"^nope: neither a file/folder/glob nor a corpus manifest \(known manifests: "):
        read_corpus(["nope"])


def test_user_words_from_a_manifest_are_recorded_and_an_add_keeps_them(corpora, tmp_path, mirror_zip):
    _write(corpora / "words.yaml", "name: words\nkinds: [법률]\nlaws: [민법]\ntokenizer:\n  user_words: [신의성실]\n")
    assert load_manifest("words").tokenizer == {"user_words": ["신의성실"]}
    index = tmp_path / "idx"
    r = _cli("index", "build", "words", "--index", str(index), "--model", "none")
    assert r.exit_code == 0, r.output
    settings = TokenizerSettings.from_dict(read_manifest(index)["tokenizer"])
    assert settings == TokenizerSettings(user_words=("신의성실",))
    r = _cli("index", "add", str(mirror_zip), "--law", "상법 시행령", "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.splitlines()[-1])["added"] > 0
    assert TokenizerSettings.from_dict(read_manifest(index)["tokenizer"]).user_words == ("신의성실",)
    # the searches of that index read the word as one noun (without it Kiwi splits it: 신의 + 성실)
    from legalret.search.searcher import Searcher

    tokens = Searcher(index).tokenizer.tokenize("신의성실의 원칙")
    assert "신의성실" in tokens and "신의" not in tokens
    assert "신의" in KiwiTokenizer(cache=False).tokenize("신의성실의 원칙")


def test_a_law_read_under_another_spelling_is_not_missing(corpora, tmp_path):
    """What ingest's filter takes (Hanja, a short name, spaces) is found, not named as missing."""
    manifest = _write(tmp_path / "man.yaml", "name: h\nkinds: [법률, 시행령]\nlaws: [民法, '상법  시행령']\n")
    result = read_corpus([str(manifest)])
    assert {a.law for a in result.articles} == {"민법", "상법 시행령"} and result.errors == []


def test_a_law_in_a_file_that_could_not_be_read_is_said_so(corpora, tmp_path):
    """The law may be in the unreadable file: "not read from", not "not in"; with nothing read, the source error is
    the line to see."""
    from conftest import corrupt_zip_member

    mirror = corpora.parent / "legalize-kr.zip"
    corrupt_zip_member(mirror, "legalize-kr/상법/시행령.md")
    manifest = _write(tmp_path / "man.yaml", "name: two\nkinds: [법률, 시행령]\nlaws: [민법, 상법 시행령]\n")
    result = read_corpus([str(manifest)])
    assert {a.law for a in result.articles} == {"민법"}
    unreadable, missing = result.errors
    assert "상법/시행령.md" in str(unreadable)
    assert str(missing).endswith(f"laws: '상법 시행령' is not read from the statute mirror {mirror} as 법률/시행령 (in none "
                                 "of its files that could be read: 1 could not)")
    only = _write(tmp_path / "only.yaml", "name: one\nkinds: [시행령]\nlaws: [상법 시행령]\n")
    with pytest.raises(LegalretError, match=r"^no articles read from .*only\.yaml \(1 source error; first: .*상법/시행령\.md"):
        read_corpus([str(only)])


def test_a_corpora_folder_that_is_not_there_is_said(monkeypatch, tmp_path):
    monkeypatch.setenv("LEGALRET_CORPORA", str(tmp_path / "corpra"))
    assert manifest_notes() == [f"LEGALRET_CORPORA names {tmp_path / 'corpra'}, which is not a folder: no manifest read "
                                "from it"]
    with pytest.raises(NoSuchManifest, match=r"known: .*civil-commercial.*; LEGALRET_CORPORA names .*corpra, not a folder"):
        load_manifest("lease-laws")
    assert load_manifest("civil-commercial").name == "civil-commercial"  # the bundled ones still


def test_corpus_list_says_which_manifest_index_build_would_refuse(corpora):
    """A misspelt tokenizer setting had been listed as if fine (only `index build` refused it)."""
    _write(corpora / "typo.yaml", "name: typo\nkinds: [법률]\nlaws: [민법]\ntokenizer:\n  article_cutof: 3\n")
    _write(corpora / "good.yaml", "name: good\nkinds: [법률]\nlaws: [민법]\ntokenizer:\n  article_cutoff: 3\n")
    r = _cli("corpus", "list", "--json")
    assert r.exit_code == 0 and {m["name"] for m in json.loads(r.stdout)} >= {"typo", "good"}
    notes = [ln for ln in r.stderr.splitlines() if "tokenizer." in ln]
    assert len(notes) == 1 and "typo.yaml: tokenizer.article_cutof: unknown tokenizer setting" in notes[0]
    assert notes[0].endswith("`index build typo` refuses it")
