"""KiwiTokenizer: content words, compounds and their parts (mixed decompounding), determinism."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from legalret.index import tokenize as tokenize_module
from legalret.index.tokenize import KiwiTokenizer, TokenizerSettings, TokensAhead


def test_compound_and_parts_match_across_segmentations():
    tok = KiwiTokenizer()
    # Kiwi splits 유치권 into 유치+권 before a particle but keeps it whole alone: both must share '유치권'.
    in_article = tok.tokenize("유치권을 행사하는 자")
    in_query = tok.tokenize("유치권")
    assert "유치권" in in_article and "유치권" in in_query
    assert "유치" in in_article  # the part is indexed too
    # 간접점유 is one token in one context and two in another: the compound and the parts are both there.
    spaced = tok.tokenize("유치권 간접점유")
    assert {"간접", "점유", "간접점유"} <= set(spaced)


def test_long_compounds_emit_parts_adjacent_pairs_and_whole():
    tokens = KiwiTokenizer().tokenize("손해배상청구권의 소멸시효")
    for t in ("손해", "배상", "청구", "청구권", "손해배상", "배상청구권", "손해배상청구권", "소멸", "시효", "소멸시효"):
        assert t in tokens, t


def test_function_words_dropped_content_stems_kept():
    tokens = KiwiTokenizer().tokenize("동의를 얻어야 한다. 받은 금액은 GPS 장치")
    assert "얻" in tokens and "받" in tokens and "gps" in tokens
    for dropped in ("를", "하", "어야", ".", "은"):
        assert dropped not in tokens


def test_mixed_off_keeps_only_whole_compounds():
    tok = KiwiTokenizer(TokenizerSettings(mixed=False))
    assert tok.tokenize("손해배상청구권") == ["손해배상청구권"]


def test_tokenize_many_matches_single_calls_and_keeps_order():
    texts = ["유치권을 행사하는 자", "", "   ", "보험계약자는 계약을 해지할 수 있다", "손해배상"]
    one = KiwiTokenizer(num_workers=1)
    two = KiwiTokenizer(num_workers=2)
    expected = [one.tokenize(t) for t in texts]
    assert one.tokenize_many(texts) == expected
    assert two.tokenize_many(texts) == expected  # deterministic whatever the worker count
    assert expected[1] == [] and expected[2] == []


def test_quantities_add_number_and_unit_tokens_and_change_nothing_else():
    """With ``quantities`` a number glued to a unit is one more token (10년, 14세, 5천만원, 3개월, 20%); citations'
    조/항/호 are not quantities; without it (every index so far) the tokens are exactly what they were."""
    plain, qty = KiwiTokenizer(cache=False), KiwiTokenizer(TokenizerSettings(quantities=True), cache=False)
    cases = {
        "채권은 10년간 행사하지 아니하면 소멸시효가 완성한다": ["10년"],
        "만 14세 미만인 자": ["14세"],
        "5천만원 이하의 벌금 또는 1억원": ["5천만원", "1억원"],
        "3개월 이내에 20%를 3배로": ["3개월", "20%", "3배"],
        "제750조의2 제1항 제3호에 따라": [],
        "10 년 동안": [],  # (a number and a unit apart are not one quantity)
    }
    for text, added in cases.items():
        before, after = plain.tokenize(text), qty.tokenize(text)
        assert [t for t in after if t not in added] == before, text
        assert [t for t in after if t in added] == added, text
        assert not any(t[0].isdigit() for t in before)  # (numbers never were tokens)
    assert TokenizerSettings().quantities is False
    assert TokenizerSettings.from_dict(TokenizerSettings(quantities=True).to_dict()).quantities is True


def test_settings_round_trip_through_manifest_dict():
    s = TokenizerSettings(user_words=("간접점유",))
    d = s.to_dict()
    assert d["kiwipiepy"] and d["name"] == "kiwi"
    assert TokenizerSettings.from_dict(d) == s
    assert KiwiTokenizer(d).settings == s


def test_older_manifests_keep_kiwis_dictionaries():
    """A manifest written before multi_dict/typo_dict/default_dict existed was tokenized with Kiwi's dictionaries:
    it keeps them, so its queries get the tokens its index has. New indexes load none of the three."""
    d = TokenizerSettings().to_dict()
    assert d["multi_dict"] is False and d["typo_dict"] is False and d["default_dict"] is False
    old = {k: v for k, v in d.items() if k not in ("multi_dict", "typo_dict", "default_dict")}
    settings = TokenizerSettings.from_dict(old)
    assert settings.multi_dict is True and settings.typo_dict is True and settings.default_dict is True
    assert KiwiTokenizer(settings).kiwi is not KiwiTokenizer(TokenizerSettings()).kiwi


def test_the_default_dictionary_changes_some_tokens_and_the_token_cache_tells_them_apart():
    """Without Kiwi's default dictionary some compounds are analysed otherwise; the token cache keys its tokens by
    the setting, and with the dictionary (the tokens of every index built before the setting) by the same
    fingerprint as before it existed."""
    from legalret.index.token_cache import tokenizer_fingerprint

    text = "여러 부동산에 공동저당을 설정했을 때"
    with_dict = KiwiTokenizer(TokenizerSettings(default_dict=True))
    without = KiwiTokenizer(TokenizerSettings(default_dict=False))
    assert with_dict.tokenize(text) == ["부동산", "공동저당", "설정", "때"]  # one entry of the dictionary
    assert without.tokenize(text) == ["부동산", "공동", "저당", "공동저당", "설정", "때"]  # its parts and the whole
    on, off = (tokenizer_fingerprint(t.settings.to_dict()) for t in (with_dict, without))
    assert on != off and "default_dict" not in on["settings"] and off["settings"]["default_dict"] is False


def test_kiwis_beam_cutoff_is_a_recorded_setting():
    """The beam cutoff reaches Kiwi (one Kiwi per cutoff), an index built before the setting existed keeps Kiwi's
    own 8.0, and the token cache keys tokens by it — with 8.0 by the fingerprint from before the setting."""
    from legalret.index.token_cache import tokenizer_fingerprint

    old = {k: v for k, v in TokenizerSettings().to_dict().items() if k != "kiwi_cutoff"}
    assert TokenizerSettings.from_dict(old).kiwi_cutoff == 8.0
    wide, narrow = KiwiTokenizer(TokenizerSettings(kiwi_cutoff=8.0)), KiwiTokenizer(TokenizerSettings(kiwi_cutoff=3.0))
    assert wide.kiwi is not narrow.kiwi
    assert wide.kiwi.global_config.cutoff_threshold == 8.0 and narrow.kiwi.global_config.cutoff_threshold == 3.0
    text = "임차인이 임대인의 동의 없이 임차물을 전대한 때에는 임대인은 계약을 해지할 수 있다."
    assert narrow.tokenize(text) == wide.tokenize(text)  # most texts: the same tokens (0.2% of tokens differ)
    at8, at3 = (tokenizer_fingerprint(t.settings.to_dict()) for t in (wide, narrow))
    assert "kiwi_cutoff" not in at8["settings"] and at3["settings"]["kiwi_cutoff"] == 3.0 and at8 != at3


def test_dropping_the_typo_dictionary_keeps_tokens():
    """The typo dictionary is only skipped because no token changes without it (measured on 민법+상법 and the
    user questions; here a few legal sentences and informal questions)."""
    texts = ["임차인이 차임을 2기 연체하면 임대인은 계약을 해지할 수 있나요?", "유치권을 행사하는 자",
             "손해배상청구권의 소멸시효는 언제부터 진행하나요", "보험계약자는 언제든지 계약을 해지할 수 있다",
             "돈 빌려줬는데 안갚으면 어케 되나요"]
    with_typos = KiwiTokenizer(TokenizerSettings(typo_dict=True))
    without = KiwiTokenizer(TokenizerSettings(typo_dict=False))
    assert with_typos.kiwi is not without.kiwi
    assert with_typos.tokenize_many(texts) == without.tokenize_many(texts)


# ---- TokensAhead: a query's tokens from a Kiwi started in a forked child (a cold `legalret search`) ----------


@pytest.fixture()
def no_kiwi_here(monkeypatch):
    """This process as a cold search finds it: no Kiwi loaded yet (other tests' Kiwis set aside)."""
    monkeypatch.setattr(tokenize_module, "_KIWI_CACHE", {})
    yield tokenize_module
    if TokensAhead.running is not None:
        TokensAhead.running.close()


def _reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_tokens_ahead_come_from_the_child_identical_and_kiwi_never_loads_here(no_kiwi_here):
    text = "갑은 유치권을 행사하면서 물건을 간접점유하였다"
    ahead = TokensAhead.start()
    assert ahead is not None and TokensAhead.start() is None  # one child per process
    pid = ahead.pid
    assert KiwiTokenizer().tokenize("다른 질문") and no_kiwi_here._KIWI_CACHE  # nothing sent yet: analysed here
    no_kiwi_here._KIWI_CACHE.clear()
    ahead.send(text)
    tokens = KiwiTokenizer(TokenizerSettings.from_dict(TokenizerSettings().to_dict())).tokenize(text)  # as from a manifest
    assert not no_kiwi_here._KIWI_CACHE  # the child analysed it: Kiwi was not loaded in this process
    assert _reaped(pid) and TokensAhead.running is None
    assert tokens == KiwiTokenizer().tokenize(text) and "유치권" in tokens  # (this call loads Kiwi here)


def test_tokens_ahead_are_not_used_for_other_settings(no_kiwi_here):
    text = "손해배상청구권의 소멸시효"
    ahead = TokensAhead.start(TokenizerSettings(mixed=False))
    pid = ahead.pid
    ahead.send(text)
    tokens = KiwiTokenizer().tokenize(text)  # the child runs with mixed=False: not these settings' answer
    assert "손해" in tokens and tokens != ["손해배상청구권", "소멸시효"]
    assert _reaped(pid) and TokensAhead.running is None  # (stopped: its answer is not wanted)


def test_a_failing_or_unused_child_falls_back_and_is_reaped(no_kiwi_here, monkeypatch):
    monkeypatch.setattr(no_kiwi_here, "_tokenize_ahead", lambda *args: os._exit(1))  # a child that dies at once
    ahead = TokensAhead.start()
    pid = ahead.pid
    ahead.send("점유권")
    assert KiwiTokenizer().tokenize("점유권") == ["점유", "점유권"]  # no reply: analysed here
    assert _reaped(pid) and no_kiwi_here._KIWI_CACHE
    no_kiwi_here._KIWI_CACHE.clear()
    monkeypatch.undo()
    monkeypatch.setattr(tokenize_module, "_KIWI_CACHE", {})
    unused = TokensAhead.start()
    pid = unused.pid
    unused.close()  # what the exit handler does when the query never needed its tokens
    assert _reaped(pid) and TokensAhead.running is None


def test_the_cli_tokenizes_ahead_with_the_same_hits_and_imports_little_before_the_fork(tmp_path):
    """A cold in-process `legalret search` forks Kiwi's start-up onto the other core before parsing its command
    line; its hits are those of a search that analyses the query itself. What it imports before forking is small."""
    sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
    import index_support as sup

    from legalret.index import build_index

    build_index(sup.articles(), tmp_path / "idx", model="none")
    code = """
import json, sys
from legalret.index import tokenize
if sys.argv[1] == "here":
    tokenize.TokensAhead.start = classmethod(lambda cls, settings=None: None)
from legalret.__main__ import main  # (the `legalret` command)
sys.argv = ["legalret", "search", "유치권자의 간접점유", "--index", sys.argv[2], "--json", "--mode", "bm25"]
try:
    main()
except SystemExit:
    pass
print(json.dumps({"kiwi_here": bool(tokenize._KIWI_CACHE), "child": tokenize.TokensAhead.running is not None}))
"""
    env = {**os.environ, "LEGALRET_RESIDENT": "off", "PYTHONPATH": str(Path(__file__).parents[1])}
    env.pop("LEGALRET_SERVER", None)
    runs = {}
    for where in ("ahead", "here"):
        proc = subprocess.run([sys.executable, "-c", code, where, str(tmp_path / "idx")], capture_output=True,
                              text=True, timeout=120, env=env)
        assert proc.returncode == 0, proc.stderr[-1000:]
        *hits, state = proc.stdout.strip().splitlines()
        runs[where] = ([json.loads(h)["key"] for h in hits], json.loads(state))
    assert runs["ahead"][0] == runs["here"][0] and runs["ahead"][0]
    assert runs["ahead"][1] == {"kiwi_here": False, "child": False}  # the child's tokens were used, the child reaped
    assert runs["here"][1]["kiwi_here"]
    probe = "import sys, legalret.cli, legalret.index.tokenize; print(sorted(m for m in ('numpy', 'legalret.index.build', 'faiss', 'legalret.search.searcher') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr[-500:]
    # the child is forked before the CLI's own imports: what the command imports up to then
    probe = ("import sys, legalret.__main__ as m; m.start_tokenizer(['q']); "
             "print(sorted(x for x in ('typer', 'rich', 'legalret.cli', 'legalret.serve.resident') if x in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr[-500:]


def test_the_child_gets_the_tokenizer_settings_the_searched_index_records(tmp_path, monkeypatch):
    """`legalret search` forks Kiwi before anything reads the index: it takes the settings from the index's manifest
    itself, so an index built with Kiwi's default dictionary (before it was dropped) is answered by a child that
    loads it — otherwise the child's tokens would be thrown away and Kiwi loaded again in the search."""
    from legalret.__main__ import index_tokenizer

    old = {k: v for k, v in TokenizerSettings().to_dict().items() if k != "default_dict"}
    for name, recorded in (("old", old), ("new", TokenizerSettings().to_dict())):
        (tmp_path / name / "gen-000001").mkdir(parents=True)
        (tmp_path / name / "CURRENT").write_text(json.dumps({"generation": "gen-000001"}), encoding="utf-8")
        (tmp_path / name / "gen-000001" / "manifest.json").write_text(json.dumps({"tokenizer": recorded}), encoding="utf-8")
    got = index_tokenizer(["유치권", "--index", str(tmp_path / "old"), "--json"])
    assert got == old and TokenizerSettings.from_dict(got).default_dict is True
    assert TokenizerSettings.from_dict(index_tokenizer([f"--index={tmp_path / 'new'}", "유치권"])) == TokenizerSettings()
    monkeypatch.setenv("LEGALRET_INDEX", str(tmp_path / "old"))
    assert index_tokenizer(["유치권"]) == old  # the default index
    assert index_tokenizer(["유치권", "--index", str(tmp_path / "missing")]) is None  # (the search says why)
    (tmp_path / "old" / "CURRENT").write_text("{not json", encoding="utf-8")
    assert index_tokenizer(["유치권"]) is None
