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
