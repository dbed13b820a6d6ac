"""What a corpus manifest's values mean, as a tester met them:

1. ``tokenizer: {article_cutoff: 1e308}``: PyYAML (YAML 1.1) read ``1e308`` as the text '1e308' and the check said
   "must be a float" though a number was written. The manifest is now read with YAML 1.2's numbers, so the range
   check speaks — and says the range, since past ~50 Kiwi prunes nothing (1e308 is the unbounded beam infinity is).
   A number in quotes stays text and is refused with how to write it; a real string is refused in one line.
2. ``user_words: ["임차권 등기명령"]`` (a space inside): Kiwi reads such a word as one noun whether the text writes it
   with the space or without, so it is accepted — and here is the proof.
3. ``corpus list`` folded Korean words mid-word (시행|령) at narrow widths: every word stays whole at 80 columns, at
   narrower widths and in a pipe.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from legalret.cli.corpus import LISTING_COLUMNS, _cells, _fit_widths, print_listing
from legalret.corpus.manifest import list_manifests, load_manifest
from legalret.errors import SourceError
from legalret.index.store import read_manifest
from legalret.index.tokenize import MAX_KIWI_CUTOFF, KiwiTokenizer, TokenizerSettings

# (the manifest checks' CLI runner, scratch corpora folder — a fixture — and file writer)
from test_corpus_manifest_checks import _cli, _write, corpora  # noqa: E402, F401


def _settings_of(path) -> TokenizerSettings:
    """What `index build` does with a manifest's settings before reading any statute."""
    return TokenizerSettings.with_overrides(load_manifest(path).tokenizer, str(path))


# ---- 1. numbers as written --------------------------------------------------------------------------------------
def test_a_number_with_an_exponent_is_a_number(tmp_path):
    path = _write(tmp_path / "man.yaml",
                  "name: n\nlaws: [민법]\ntokenizer:\n  article_cutoff: 5e0\n  kiwi_cutoff: 1.2E+1\n")
    assert load_manifest(path).tokenizer == {"article_cutoff": 5.0, "kiwi_cutoff": 12.0}
    settings = _settings_of(path)
    assert (settings.article_cutoff, settings.kiwi_cutoff) == (5.0, 12.0)
    # only unquoted numbers: the same in quotes is text, as YAML means it, and the rest of a manifest is as it was
    quoted = _write(tmp_path / "q.yaml", "name: '1e5'\nlaws: [민법]\nmeasured:\n  size: 318 MB\ntokenizer:\n"
                                         "  article_cutoff: '5e0'\n")
    manifest = load_manifest(quoted)
    assert manifest.name == "1e5" and manifest.measured == {"size": "318 MB"}
    assert manifest.tokenizer == {"article_cutoff": "5e0"}


def test_a_leading_zero_is_decimal_and_base_60_is_text(tmp_path):
    """YAML 1.1 read ``010`` as octal 8 and ``1:30`` as 90 — a cutoff quietly other than the one written."""
    path = _write(tmp_path / "man.yaml", "name: n\nlaws: [민법]\ntokenizer:\n  article_cutoff: 010\n  kiwi_cutoff: 0x8\n")
    assert load_manifest(path).tokenizer == {"article_cutoff": 10, "kiwi_cutoff": 8}
    assert (_settings_of(path).article_cutoff, _settings_of(path).kiwi_cutoff) == (10.0, 8.0)
    sexagesimal = _write(tmp_path / "s.yaml", "name: n\nlaws: [민법]\ntokenizer:\n  article_cutoff: 1:30\n")
    assert load_manifest(sexagesimal).tokenizer == {"article_cutoff": "1:30"}
    with pytest.raises(SourceError, match="tokenizer.article_cutoff"):
        _settings_of(sexagesimal)


@pytest.mark.parametrize("written, shown", [("1e308", "1e+308"), ("1.0e5", "100000.0"), ("1e400", "inf")])
def test_a_huge_cutoff_is_refused_with_the_range(tmp_path, written, shown):
    path = _write(tmp_path / "man.yaml", f"name: n\nlaws: [민법]\ntokenizer: {{article_cutoff: {written}}}\n")
    with pytest.raises(SourceError) as e:
        _settings_of(path)
    message = str(e.value)
    assert e.value.field == "tokenizer.article_cutoff" and "\n" not in message
    assert message.startswith(f"{path}: tokenizer.article_cutoff: must be a finite number above 0 and at most 100 (")
    assert message.endswith(f"not {shown}")


def test_the_upper_bound_is_where_kiwi_stops_pruning():
    """Why 100: past ~50 Kiwi keeps every analysis; 100 itself is still taken."""
    assert TokenizerSettings.with_overrides({"kiwi_cutoff": MAX_KIWI_CUTOFF}, "m.yaml").kiwi_cutoff == 100.0
    with pytest.raises(SourceError, match=r"^m\.yaml: tokenizer\.kiwi_cutoff: .*at most 100 .*not 100\.5$"):
        TokenizerSettings.with_overrides({"kiwi_cutoff": 100.5}, "m.yaml")
    text = "임대차는 그 등기가 없는 경우에도 임차인이 주택의 인도와 주민등록을 마친 때에는 그 다음 날부터 제삼자에 대하여 효력이 생긴다."
    unbounded = KiwiTokenizer(TokenizerSettings(kiwi_cutoff=float("inf")), cache=False).tokenize(text)
    assert KiwiTokenizer(TokenizerSettings(kiwi_cutoff=MAX_KIWI_CUTOFF), cache=False).tokenize(text) == unbounded


@pytest.mark.parametrize("written, message", [
    ("fast", "must be a float, not 'fast'"),
    ("'3.0'", "must be a float, not the text '3.0' (in quotes a number is text: write article_cutoff: 3.0)"),
    ('"1e308"', "must be a float, not the text '1e308' (in quotes a number is text: write article_cutoff: 1e308)"),
    ("3.0.1", "must be a float, not '3.0.1'"),
])
def test_text_for_a_float_setting_is_one_line_naming_file_and_field(tmp_path, written, message):
    path = _write(tmp_path / "man.yaml", f"name: n\nlaws: [민법]\ntokenizer:\n  article_cutoff: {written}\n")
    with pytest.raises(SourceError) as e:
        _settings_of(path)
    assert str(e.value) == f"{path}: tokenizer.article_cutoff: {message}"


def test_index_build_refuses_1e308_before_reading_and_takes_5e0(corpora, tmp_path):
    manifest = _write(tmp_path / "man.yaml", "name: n1\nkinds: [법률]\nlaws: [민법]\ntokenizer: {article_cutoff: 1e308}\n")
    r = _cli("index", "build", str(manifest), "--index", str(tmp_path / "idx"), "--model", "none")
    assert r.exit_code == 1 and isinstance(r.exception, SourceError), r.output
    assert str(r.exception).startswith(f"{manifest}: tokenizer.article_cutoff: must be a finite number above 0 and "
                                       "at most 100 (")
    assert not (tmp_path / "idx").exists()
    # `corpus list` says so too, one line
    _write(corpora / "huge.yaml", manifest.read_text(encoding="utf-8").replace("n1", "huge"))
    listed = _cli("corpus", "list", "--json")
    notes = [ln for ln in listed.stderr.splitlines() if "tokenizer." in ln]
    assert listed.exit_code == 0 and len(notes) == 1 and "huge.yaml: tokenizer.article_cutoff: " in notes[0]
    # written with an exponent, a cutoff in range builds, and the index records it as a number
    fine = _write(tmp_path / "fine.yaml", "name: n2\nkinds: [법률]\nlaws: [민법]\ntokenizer: {article_cutoff: 5e0}\n")
    r = _cli("index", "build", str(fine), "--index", str(tmp_path / "idx2"), "--model", "none")
    assert r.exit_code == 0, r.output
    assert TokenizerSettings.from_dict(read_manifest(tmp_path / "idx2")["tokenizer"]).article_cutoff == 5.0


# ---- 2. a user word with a space ----------------------------------------------------------------------------------
SPACED, GLUED = "임차권 등기명령을 신청한다", "임차권등기명령을 신청한다"


def test_a_user_word_with_a_space_is_one_token_however_the_text_spaces_it():
    """Kiwi (add_user_word) takes the space as optional: the term written with it, without it or across a line
    break is the one noun, one token. Without the space the word misses the spaced text."""
    spaced = KiwiTokenizer(TokenizerSettings(user_words=("임차권 등기명령",)), cache=False)
    for text in (SPACED, GLUED, "임차권\n등기명령을 신청한다", "임차권  등기명령을 신청한다"):
        assert spaced.tokenize(text) == ["임차권 등기명령", "신청"], text
    glued = KiwiTokenizer(TokenizerSettings(user_words=("임차권등기명령",)), cache=False)
    assert glued.tokenize(GLUED) == ["임차권등기명령", "신청"]
    assert "임차권등기명령" not in glued.tokenize(SPACED) and "등기명령" in glued.tokenize(SPACED)


def test_a_user_word_with_a_space_is_accepted_and_its_token_survives_the_token_cache(tmp_path, monkeypatch):
    path = _write(tmp_path / "man.yaml", 'name: n\nlaws: [민법]\ntokenizer:\n  user_words: ["임차권 등기명령", 신의성실]\n')
    settings = _settings_of(path)
    assert settings.user_words == ("임차권 등기명령", "신의성실")
    # a token with a space inside is stored and read back whole (the cache joins tokens with \x1f, not spaces)
    from legalret.index import token_cache

    monkeypatch.setenv("LEGALRET_TOKEN_CACHE", str(tmp_path / "tokens"))
    token_cache._OPEN.clear()
    try:
        first = KiwiTokenizer(settings).tokenize_many([SPACED, GLUED])
        token_cache._OPEN.clear()  # (as a later process: only the files)
        again = KiwiTokenizer(settings)
        assert again.tokenize_many([SPACED, GLUED]) == first == [["임차권 등기명령", "신청"]] * 2
        assert (again.cached, again.analysed) == (2, 0)
    finally:
        token_cache._OPEN.clear()


def test_corpus_list_says_nothing_of_a_user_word_with_a_space(corpora):
    _write(corpora / "lease.yaml", "name: lease\nlaws: [민법]\ntokenizer:\n  user_words: [임차권 등기명령]\n")
    r = _cli("corpus", "list", "--json")
    assert r.exit_code == 0 and "tokenizer." not in r.stderr
    assert next(m for m in json.loads(r.stdout) if m["name"] == "lease")["tokenizer"] == {"user_words": ["임차권 등기명령"]}


# ---- 3. `corpus list` keeps every word whole ------------------------------------------------------------------------
#: A manifest of one's own, all Korean: long law names, a description, a spaced user word, "[b]" that is no markup.
KOREAN = """name: 임대차-노동
description: 주택임대차보호법과 상가건물 임대차보호법 그리고 근로기준법의 시행령까지 [b] 임차권등기명령 사건
kinds: [법률, 시행령, 시행규칙]
laws: [주택임대차보호법, 상가건물 임대차보호법, 근로기준법]
measured:
  build: 2.5분 (토큰 캐시 없이, 두 코어)
  size: 40 MB
tokenizer:
  user_words: [임차권 등기명령, 신의성실]
"""

_RULES = re.compile(r"[\u2500-\u257f]+")  # rich's box drawing
_HANGUL = re.compile(r"[가-힣]")


def _listing(width: int, manifests) -> str:
    console = Console(width=width, record=True, file=StringIO(), emoji=False)
    print_listing(manifests, console)
    return console.export_text()


def _assert_words_whole(out: str, manifests, width: int) -> None:
    """Every word of the output is a word of the listing's texts (a split word leaves pieces that are none), every
    Korean word of the cells is there as often as written, and no line is wider than the console."""
    cells = [cell for m in manifests for cell in _cells(m)]
    written = " ".join(cells + [header for header, _ in LISTING_COLUMNS] + ["corpus manifests"]).split()
    shown = _RULES.sub(" ", out).split()
    assert set(shown) <= set(written), sorted(set(shown) - set(written))
    korean = Counter(w for w in " ".join(cells).split() if _HANGUL.search(w))
    assert Counter(w for w in shown if _HANGUL.search(w)) == korean
    assert max(map(cell_len, out.splitlines())) <= width


@pytest.fixture()
def bundled(monkeypatch):
    """The repository's own manifests only."""
    monkeypatch.delenv("LEGALRET_CORPORA", raising=False)
    return list_manifests(notes=False)


def test_the_listing_at_80_columns_keeps_every_korean_word_whole(bundled):
    """The bundled manifests name long laws (주택임대차보호법, 17 cells with its comma) and the practice corpora's
    descriptions long words: at 80 columns their longest words do not fit side by side, so each manifest is a block
    of label and value lines; at 120 they are a table."""
    out = _listing(80, bundled)
    assert "╇" not in out and "\n  kinds " in out  # the blocks
    _assert_words_whole(out, bundled, 80)
    assert " 시행령" in out and "318 MB" in out and "\ncivil-commercial" in out
    # (the one "…" is the listing's own, after a manifest's first six laws: nothing is cut)
    assert all(line.rstrip().endswith(" …") for line in out.splitlines() if "…" in line)
    wide = _listing(120, bundled)
    assert "┃ kinds" in wide and "╇" in wide
    _assert_words_whole(wide, bundled, 120)


@pytest.mark.parametrize("width", [200, 120, 80, 60, 40])
def test_korean_manifests_keep_every_word_whole_at_any_width(bundled, tmp_path, width):
    manifests = bundled + [load_manifest(_write(tmp_path / "mine.yaml", KOREAN))]
    out = _listing(width, manifests)
    _assert_words_whole(out, manifests, width)
    assert "주택임대차보호법과" in out and "[b]" in out and "user_words:" in out  # ("[b]": text, not markup)
    # a table where the longest words fit side by side (97 columns here); narrower, a block per manifest: law names
    # are long words
    assert ("╇" in out) == (width >= 100)


def test_column_widths_never_go_below_a_word():
    assert _fit_widths([4, 6, 3], [4, 30, 20], 100) == [4, 30, 20]  # all fits
    assert _fit_widths([4, 6, 3], [4, 30, 20], 30) == [4, 13, 13]  # the widest narrowed first, level by level
    assert _fit_widths([4, 15, 3], [4, 30, 20], 25) == [4, 15, 6]  # … never below a word (15)
    assert _fit_widths([4, 15, 3], [4, 30, 20], 21) is None  # the words alone do not fit


def test_in_a_pipe_with_no_terminal_the_listing_is_80_columns_with_every_word_whole(tmp_path, monkeypatch):
    """Rich takes COLUMNS, else the terminal of stdin, stdout or stderr, else 80: a pipe in CI or cron is 80."""
    folder = tmp_path / "corpora"
    folder.mkdir()
    _write(folder / "mine.yaml", KOREAN)
    monkeypatch.setenv("LEGALRET_CORPORA", str(folder))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.run([sys.executable, "-m", "legalret", "corpus", "list"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, env=env, cwd=Path(__file__).parents[1], timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == _listing(80, list_manifests(notes=False))  # what a console of 80 columns prints
    _assert_words_whole(proc.stdout, list_manifests(notes=False), 80)
