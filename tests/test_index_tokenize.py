"""KiwiTokenizer: content words, compounds and their parts (mixed decompounding), determinism."""

from legalret.index.tokenize import KiwiTokenizer, TokenizerSettings


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


def test_settings_round_trip_through_manifest_dict():
    s = TokenizerSettings(user_words=("간접점유",))
    d = s.to_dict()
    assert d["kiwipiepy"] and d["name"] == "kiwi"
    assert TokenizerSettings.from_dict(d) == s
    assert KiwiTokenizer(d).settings == s


def test_older_manifests_keep_kiwis_dictionaries():
    """A manifest written before multi_dict/typo_dict existed was tokenized with both of Kiwi's default
    dictionaries: it keeps them, so its queries get the tokens its index has. New indexes load neither."""
    d = TokenizerSettings().to_dict()
    assert d["multi_dict"] is False and d["typo_dict"] is False
    old = {k: v for k, v in d.items() if k not in ("multi_dict", "typo_dict")}
    settings = TokenizerSettings.from_dict(old)
    assert settings.multi_dict is True and settings.typo_dict is True


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
