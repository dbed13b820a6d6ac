"""The character n-gram tokenizer: its tokens on Korean text, its stored settings, the tokenizer a stored memory
is queried with, and that the (Kiwi) tokenization cache never hands Kiwi's tokens to it."""

import pytest

from legalret.errors import IndexError_
from legalret.index import token_cache
from legalret.index.ngram_tokenize import NgramSettings, NgramTokenizer, tokenizer_from_settings
from legalret.index.tokenize import KiwiTokenizer
from legalret.memory.builder import memory_from_items
from legalret.memory.format import MemoryItem
from legalret.memory.store import PrecedentMemory
from legalret.search.parties import without_party_names


def test_bigrams_within_words_short_words_whole():
    tok = NgramTokenizer()
    assert tok.tokenize("임차인이 보증금을 돌려받지 못했다") == [
        "임차", "차인", "인이", "보증", "증금", "금을", "돌려", "려받", "받지", "못했", "했다"]
    # one-syllable and two-syllable words stay whole; punctuation separates words
    assert tok.tokenize("그 법, 원고는…") == ["그", "법", "원고", "고는"]
    # a word is one script: 제1조 is 제 + 조 (digits dropped by default); Latin lower-cased; Han cut like Hangul
    assert tok.tokenize("제1조 GPS 장치 甲乙丙") == ["제", "조", "gps", "장치", "甲乙", "乙丙"]
    # NFKC: full-width Latin and digits, circled numbers, ㈜
    assert tok.tokenize("ＧＰＳ ㈜한국 ①") == ["gps", "주", "한국"]
    assert NgramTokenizer({"digits": True}).tokenize("2015. 3. 4. 1억 원") == ["2015", "3", "4", "1", "억", "원"]
    assert tok.tokenize("") == [] and tok.tokenize(" \t") == [] and tok.tokenize("!!! ...") == []


def test_whole_words_and_trigrams():
    assert NgramTokenizer({"words": 4}).tokenize("보증금을 손해배상청구권") == [
        "보증", "증금", "금을", "보증금을", "손해", "해배", "배상", "상청", "청구", "구권"]
    assert NgramTokenizer({"n": 3}).tokenize("보증금을 법원") == ["보증금", "증금을", "법원"]


def test_an_inflected_word_shares_its_stem_bigrams():
    tok = NgramTokenizer()
    a, b = set(tok.tokenize("임대차보증금을")), set(tok.tokenize("임대차보증금의 반환"))
    assert {"임대", "대차", "차보", "보증", "증금"} <= a & b


def test_tokenize_many_is_tokenize_per_text():
    tok = NgramTokenizer()
    texts = ["유치권을 행사하는 자", "", "손해배상"]
    assert tok.tokenize_many(texts) == [tok.tokenize(t) for t in texts] and tok.analysed == 3


def test_settings_round_trip_and_refusals():
    s = NgramSettings(n=3, words=4)
    assert s.to_dict() == {"name": "ngram", "n": 3, "words": 4, "digits": False, "version": 1}
    assert NgramTokenizer(s.to_dict()).settings == s
    assert isinstance(tokenizer_from_settings(s.to_dict()), NgramTokenizer)
    kiwi = KiwiTokenizer()
    # Kiwi settings, or none (a memory written before they were stored): the index's own Kiwi
    assert tokenizer_from_settings(kiwi.settings.to_dict(), kiwi=kiwi) is kiwi
    assert tokenizer_from_settings(None, kiwi=kiwi) is kiwi
    with pytest.raises(IndexError_, match="unknown tokenizer 'sentencepiece'"):
        tokenizer_from_settings({"name": "sentencepiece"})
    with pytest.raises(IndexError_, match="unsupported n-gram tokenizer settings.*rebuild the memory"):
        NgramTokenizer({"name": "ngram", "version": 99})


def _item(case_no: str, text: str, keys: list[str]) -> MemoryItem:
    from datetime import date

    return MemoryItem(case_no=case_no, decided=date(2015, 1, 1), index=0, text=text, keys=keys)


def test_a_stored_memory_is_queried_with_the_tokenizer_its_items_were_made_with(tmp_path):
    items = [_item("2015다1", "원고는 피고에게 자동차 수리를 맡겼는데 수리비를 지급하지 않았다", ["민법 제320조"]),
             _item("2015다2", "원고는 피고 소유 주택을 임차하고 임대차보증금을 지급하였다", ["민법 제618조"])]
    memory = memory_from_items(items, tokenizer=NgramTokenizer(), with_summary=False, kind="facts")
    memory.save(tmp_path / "facts")
    kiwi = KiwiTokenizer()
    loaded = PrecedentMemory.load(tmp_path / "facts", tokenizer=kiwi)  # what a Searcher passes: its Kiwi
    assert isinstance(loaded.tokenizer, NgramTokenizer) and loaded.tokenizer.settings == NgramSettings()
    query = "갑은 보증금을 돌려받고 싶다"
    assert loaded.tokenize(query) == NgramTokenizer().tokenize(query) != kiwi.tokenize(query)
    scores = loaded.bm25_scores(loaded.tokenize(without_party_names(query)))
    assert int(scores.argmax()) == 1 and scores[0] == 0  # 보증/증금 match the lease, nothing matches the repair
    # a Kiwi memory keeps the searcher's Kiwi (the same object: the searcher's query tokens are reused)
    memory_from_items(items, tokenizer=kiwi, with_summary=False).save(tmp_path / "holdings")
    assert PrecedentMemory.load(tmp_path / "holdings", tokenizer=kiwi).tokenizer is kiwi


def test_without_party_names():
    assert without_party_names("갑은 을에게 병원비를 빌려주었는데 을이 갑자기 병과의 약속을").split() == [
        "병원비를", "빌려주었는데", "갑자기", "약속을"]


def test_the_kiwi_token_cache_is_not_used_for_ngrams(tmp_path, monkeypatch):
    """A text Kiwi tokenized (and cached) is cut into n-grams, never read back as Kiwi's tokens; the n-gram
    tokenizer writes nothing to the cache."""
    monkeypatch.setenv("LEGALRET_TOKEN_CACHE", str(tmp_path / "tokens"))
    token_cache._OPEN.clear()
    try:
        texts = ["유치권을 행사하는 자는 그 물건을 유치할 수 있다", "손해배상청구권의 소멸시효"]
        kiwi = KiwiTokenizer()
        kiwi_tokens = kiwi.tokenize_many(texts)
        assert kiwi.analysed == 2 and KiwiTokenizer().tokenize_many(texts) == kiwi_tokens  # cached for Kiwi
        chunks = sorted(p.name for p in (tmp_path / "tokens").rglob("chunk-*.npz"))
        ngrams = NgramTokenizer()
        got = ngrams.tokenize_many(texts)
        assert got == [NgramTokenizer().tokenize(t) for t in texts] and got != kiwi_tokens
        assert (ngrams.cached, ngrams.analysed) == (0, 2)
        assert sorted(p.name for p in (tmp_path / "tokens").rglob("chunk-*.npz")) == chunks
        # and a memory built with n-grams stores n-grams, whatever Kiwi cached
        memory = memory_from_items([_item("2015다1", texts[1], ["민법 제766조"])], tokenizer=ngrams, with_summary=False)
        assert memory.tokens_of(0) == ngrams.tokenize(texts[1])
    finally:
        token_cache._OPEN.clear()
