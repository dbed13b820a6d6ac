"""Incremental indexing: add → change → remove round trip, caches, reports."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.articles import Article, Paragraph  # noqa: E402
from legalret.errors import IndexError_  # noqa: E402
from legalret.index import add_to_index, build_index, load_index  # noqa: E402
from legalret.search.searcher import Searcher  # noqa: E402


def _keys(index):
    return [a.key for a in load_index(index).articles]


def test_add_change_remove_round_trip(tmp_path):
    index = tmp_path / "idx"
    enc = sup.CountingEncoder(sup.tiny_encoder())
    arts = sup.articles()
    civil = [a for a in arts if a.law == "민법"]
    others = [a for a in arts if a.law != "민법"]

    # 1. build with 상법 + 시행령 only, then add 민법: all added, only 민법 encoded
    r = build_index(others, index, encoder=enc)
    assert (r.added, r.encoded) == (len(others), len(others))
    enc.passages = 0
    r = add_to_index(civil, index, encoder=enc)
    assert (r.added, r.changed, r.removed, r.unchanged) == (len(civil), 0, 0, 0)
    assert enc.passages == sum(not a.deleted for a in civil) == r.encoded
    assert set(_keys(index)) == {a.key for a in arts}

    # 2. amend 민법 제750조: one changed, one re-encoded and re-tokenized, the new text is searchable
    new_text = "고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 그 손해를 배상할 책임이 있다. 반려동물에 의한 손해도 같다."
    amended = [sup.amended(a, new_text) if a.number == 750 else a for a in civil]
    enc.passages = 0
    r = add_to_index(amended, index, encoder=enc)
    assert (r.added, r.changed, r.removed, r.unchanged) == (0, 1, 0, len(civil) - 1)
    assert enc.passages == 1 and r.encoded == 1 and r.tokenized == 1
    hits = Searcher(index, encoder=enc.inner).search("반려동물 손해", k=1, mode="bm25")
    assert hits[0].key == "민법 제750조" and "반려동물" in hits[0].article.body_text()

    # 3. re-ingest 민법 without 제751조 and with a new 제752조: removed + added, 상법 untouched
    new_article = Article("민법", 752, 0, "생명침해로 인한 위자료", [Paragraph(None, "타인의 생명을 해한 자는 피해자의 직계존속, 직계비속 및 배우자에 대하여는 재산상의 손해없는 경우에도 손해배상의 책임이 있다.")], law_id="001706", kind="법률")
    third = [a for a in amended if a.number != 751] + [new_article]
    enc.passages = 0
    r = add_to_index(third, index, encoder=enc)
    assert (r.added, r.changed, r.removed) == (1, 0, 1)
    assert enc.passages == 1
    keys = _keys(index)
    assert "민법 제751조" not in keys and "민법 제752조" in keys
    assert {a.key for a in others} <= set(keys)
    data = load_index(index, verify="full")
    assert len(data.rows) == len(data.dense) == data.bm25.num_docs

    # 4. and back: the original 민법 restores the index's article set
    r = add_to_index(civil, index, encoder=enc)
    assert (r.added, r.changed, r.removed) == (1, 1, 1)
    assert set(_keys(index)) == {a.key for a in arts}


def test_keep_missing_for_partial_batches(tmp_path):
    index = tmp_path / "idx"
    arts = sup.articles()
    build_index(arts, index, model="none")
    one = [a for a in arts if a.key == "민법 제750조"]
    r = add_to_index(one, index, remove_missing=False)
    assert (r.removed, r.unchanged) == (0, 1)
    assert len(_keys(index)) == len(arts)
    with pytest.raises(IndexError_, match=r"would remove 7 of 8 articles of 민법 .*--allow-removals"):
        add_to_index(one, index)  # 민법 re-ingested "whole" from one article: looks truncated, nothing written
    assert len(_keys(index)) == len(arts)
    r = add_to_index(one, index, allow_removals=True)  # default: 민법 was re-ingested whole → the rest of 민법 goes
    assert r.removed == sum(a.law == "민법" for a in arts) - 1


def test_rebuild_reuses_vectors_for_identical_texts(tmp_path):
    index = tmp_path / "idx"
    enc = sup.CountingEncoder(sup.tiny_encoder())
    build_index(sup.articles(), index, encoder=enc)
    enc.passages = 0
    r = build_index(sup.articles(), index, encoder=enc)
    assert enc.passages == 0 and r.encoded == 0 and r.tokenized == 0 and r.unchanged == 15


def test_duplicate_keys_last_wins(tmp_path):
    arts = sup.articles()
    dup = sup.amended(arts[0], "물건을 점유하는 자는 점유권이 있다.")
    r = build_index(arts + [dup], tmp_path / "idx", model="none")
    assert r.duplicates == 1 and r.duplicate_keys == [dup.key]  # named: the console said "duplicate keys 1" alone
    data = load_index(tmp_path / "idx")
    assert data.articles[data.by_key[dup.key]].paragraphs[0].text == dup.paragraphs[0].text


def test_add_to_missing_index_and_bm25_only_with_encoder(tmp_path):
    with pytest.raises(IndexError_, match="no index at .*: build one with `legalret index build"):
        add_to_index(sup.articles(), tmp_path / "none")
    build_index(sup.articles(), tmp_path / "b", model="none")
    with pytest.raises(IndexError_, match=r"the index has no encoder \(built with --model none, BM25 only\), and the "
                                          "encoder given does not match it"):  # (check_requested_encoder's words)
        add_to_index(sup.articles(), tmp_path / "b", encoder=sup.tiny_encoder())
    with pytest.raises(IndexError_, match="adapter needs an encoder"):
        build_index(sup.articles(), tmp_path / "c", model="none", adapter=tmp_path)


def test_a_killed_build_keeps_its_encoding_work(tmp_path, monkeypatch):
    import legalret.index.build as build_mod

    monkeypatch.setattr(build_mod, "ENCODE_CHUNK", 4)
    index = tmp_path / "idx"

    class Dies(sup.CountingEncoder):
        def encode_passages(self, texts, batch_size=32, show_progress=False):
            if self.passages >= 8:
                raise KeyboardInterrupt  # the build is killed during its third chunk
            return super().encode_passages(texts, batch_size, show_progress)

    with pytest.raises(KeyboardInterrupt):
        build_index(sup.articles(), index, encoder=Dies(sup.tiny_encoder()))
    assert list((index / ".vector-spill").rglob("chunk-*.npz"))
    enc = sup.CountingEncoder(sup.tiny_encoder())
    r = build_index(sup.articles(), index, encoder=enc)
    assert r.encoded == r.searchable - 8 and enc.passages == r.searchable - 8
    assert not (index / ".vector-spill").exists()  # cleared once the vectors are in a generation
    fresh = tmp_path / "fresh"
    build_index(sup.articles(), fresh, encoder=sup.tiny_encoder())
    assert np.allclose(load_index(index).dense.vectors, load_index(fresh).dense.vectors, atol=1e-5)


def test_encoding_leaves_a_core_to_the_read_ahead_process():
    """While a build's ``parts.prepare`` reports itself busy (the memories' inputs read ahead), torch encodes on
    one thread fewer (a second process reads them), and gets them all back once it is done — and after the encoding, whatever happened."""
    torch = pytest.importorskip("torch")
    from legalret.index.build import _encode_sorted

    before = torch.get_num_threads()
    torch.set_num_threads(max(before, 2))
    full, seen, reading = torch.get_num_threads(), [], [True, True, False, False]

    class Enc:
        dim = 2

        def encode_passages(self, texts, batch_size):
            seen.append(torch.get_num_threads())
            return np.zeros((len(texts), 2), dtype=np.float32)

    try:
        _encode_sorted(Enc(), [f"조문 {i}" * (i + 1) for i in range(16)], batch_size=1,
                       busy=lambda: reading.pop(0) if reading else False)
        assert seen[:2] == [full - 1, full - 1] and set(seen[2:]) == {full}
        assert torch.get_num_threads() == full
        class Broken(Enc):
            def encode_passages(self, texts, batch_size):
                raise RuntimeError("out of memory")

        with pytest.raises(RuntimeError):
            _encode_sorted(Broken(), ["조문"], batch_size=1, busy=lambda: True)
        assert torch.get_num_threads() == full
    finally:
        torch.set_num_threads(before)


def test_articles_are_tokenized_with_their_own_kiwi_cutoff(tmp_path):
    """``TokenizerSettings.article_cutoff`` reaches the articles of a build and of a later ``index add`` (the
    manifest's setting), while queries keep ``kiwi_cutoff``; an index from before the field reads as one cutoff
    for both; the token cache keys article tokens by the cutoff they were made with and memory texts as before."""
    from legalret.index.token_cache import tokenizer_fingerprint
    from legalret.index.tokenize import KiwiTokenizer, TokenizerSettings

    # a text Kiwi's pruned beam analyses otherwise (토지임대부 → also 부, 토지임대) and one it does not
    lease = Article("주택법", 2, 0, "정의", [Paragraph(None, "토지임대부 분양주택의 토지임대료")], law_id="001", kind="법률")
    notice = Article("주택법", 3, 0, "통지", [Paragraph(None, "기후에너지환경부장관은 생태·자연도를 작성하여야 한다.")],
                     law_id="001", kind="법률")
    wide, narrow = KiwiTokenizer(TokenizerSettings()), KiwiTokenizer(TokenizerSettings(kiwi_cutoff=3.0))
    for a in (lease, notice):
        assert wide.tokenize(a.index_text()) != narrow.tokenize(a.index_text())
    settings = TokenizerSettings(article_cutoff=3.0)
    index = tmp_path / "idx"
    build_index(sup.articles() + [lease], index, model="none", tokenizer=settings)
    add_to_index([notice], index, remove_missing=False)
    data = load_index(index)
    stored = dict(zip(data.row_keys, data.tokens.to_lists()))
    for a in (lease, notice):
        assert stored[a.key] == narrow.tokenize(a.index_text())
    searcher = Searcher(index)
    assert searcher.tokenizer.settings == settings and searcher.tokenizer.kiwi.global_config.cutoff_threshold == 8.0

    old = {k: v for k, v in TokenizerSettings(kiwi_cutoff=5.0).to_dict().items() if k != "article_cutoff"}
    assert TokenizerSettings.from_dict(old).for_articles().kiwi_cutoff == 5.0
    fingerprint = lambda s: tokenizer_fingerprint(s.to_dict())  # noqa: E731
    assert fingerprint(settings) == fingerprint(TokenizerSettings())  # queries and memory texts: their cache as before
    assert fingerprint(settings.for_articles()) == fingerprint(TokenizerSettings(kiwi_cutoff=3.0))


def test_a_law_name_spelled_otherwise_is_the_same_law(tmp_path):
    """A caller's "민법 " or an NFD 민법 (Article.law was not normalized; its key was) made a second law of the same
    name: two copies of 민법 제192조 in the index, and a --law 민법 filter that missed articles."""
    import copy
    import unicodedata

    from legalret.articles import Article
    from legalret.search.searcher import Searcher

    arts = sup.articles()
    index = tmp_path / "idx"
    build_index(arts, index, model="none")
    first = next(a for a in arts if a.law == "민법")
    spaced = copy.deepcopy(first)
    spaced.law = "민법 "  # changed after it was made
    nfd = Article(**{**first.__dict__, "law": unicodedata.normalize("NFD", "민법")})
    assert nfd.law == "민법"
    report = add_to_index([spaced, nfd], index, model="none", remove_missing=False)
    assert report.added == 0 and report.duplicates == 1
    s = Searcher(index)
    assert s.laws.count("민법") == 1 and len(s.laws) == len(set(s.laws))
    assert len([a for a in s.data.articles if a.key == first.key]) == 1
