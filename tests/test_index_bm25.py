"""BM25 engine (bm25s): parity with rank-bm25, top-k with masks, token store."""

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from legalret.index.bm25 import BM25Engine, BM25Params, TokenStore, top_k
from legalret.index.tokenize import KiwiTokenizer

CORPUS = [
    "타인의 물건을 점유한 자는 그 물건에 관하여 생긴 채권이 변제기에 있는 경우 유치할 권리가 있다",
    "물건을 사실상 지배하는 자는 점유권이 있다",
    "고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 그 손해를 배상할 책임이 있다",
    "보험사고가 발생하기 전에는 보험계약자는 언제든지 계약의 전부 또는 일부를 해지할 수 있다",
    "이사는 주주총회에서 선임한다",
    "임대차는 당사자 일방이 상대방에게 목적물을 사용 수익하게 할 것을 약정한다",
    "채무자가 채무의 내용에 좇은 이행을 하지 아니한 때에는 채권자는 손해배상을 청구할 수 있다",
    "보험자가 서면으로 질문한 사항은 중요한 사항으로 추정한다",
]
QUERIES = ["물건 점유", "손해 배상 책임", "보험계약 해지", "주주총회 이사 선임", "채권자 손해배상 청구"]


@pytest.fixture(scope="module")
def tokens():
    return KiwiTokenizer().tokenize_many(CORPUS)


def test_parity_with_rank_bm25_okapi(tokens):
    """Same k1/b and the Robertson IDF: scores equal rank-bm25's BM25Okapi on every document.

    bm25s' Robertson term weight omits the constant ``(k1 + 1)`` numerator factor that rank-bm25 keeps, so
    the scores agree up to that factor and the rankings agree exactly. (No query term is in more than half
    the documents, where the two libraries floor negative IDF differently.)
    """
    tok = KiwiTokenizer()
    engine = BM25Engine.build(tokens, BM25Params(k1=1.5, b=0.75, method="robertson"))
    reference = BM25Okapi(tokens, k1=1.5, b=0.75)
    n = len(CORPUS)
    for q in QUERIES:
        qt = tok.tokenize(q)
        df = {t: sum(t in doc for doc in tokens) for t in qt}
        assert all(d <= n / 2 for d in df.values()), df
        ours = engine.scores(qt)
        ref = reference.get_scores(qt)
        np.testing.assert_allclose(ours * (1.5 + 1), ref, rtol=1e-5, atol=1e-5)
        assert ours.max() > 0
        assert np.argsort(-ours, kind="stable").tolist() == np.argsort(-ref, kind="stable").tolist()


def test_top_ranks_the_matching_document_first(tokens):
    tok = KiwiTokenizer()
    engine = BM25Engine.build(tokens)
    rows, scores = engine.top(tok.tokenize("보험계약자가 계약을 해지"), k=3)
    assert rows[0] == 3
    assert list(scores) == sorted(scores, reverse=True)
    # a query of unknown words scores nothing and returns nothing
    rows, scores = engine.top(tok.tokenize("양자역학 초전도체"), k=3)
    assert len(rows) == 0


def test_top_honours_mask_and_positive_only(tokens):
    tok = KiwiTokenizer()
    engine = BM25Engine.build(tokens)
    mask = np.ones(len(CORPUS), dtype=bool)
    mask[3] = False
    rows, _ = engine.top(tok.tokenize("보험계약 해지"), k=8, mask=mask)
    assert 3 not in rows.tolist()


def test_top_k_deterministic_ties():
    scores = np.array([1.0, 3.0, 3.0, 0.5, 3.0], dtype=np.float32)
    rows, vals = top_k(scores, 3)
    assert rows.tolist() == [1, 2, 4] and vals.tolist() == [3.0, 3.0, 3.0]
    rows, _ = top_k(scores, 10, mask=np.array([1, 0, 1, 1, 1], dtype=bool))
    assert rows.tolist() == [2, 4, 0, 3]


def test_save_load_round_trip(tmp_path, tokens):
    tok = KiwiTokenizer()
    engine = BM25Engine.build(tokens)
    engine.save(tmp_path / "bm25")
    loaded = BM25Engine.load(tmp_path / "bm25", mmap=True)
    q = tok.tokenize("타인 물건 점유")
    np.testing.assert_allclose(loaded.scores(q), engine.scores(q))


def test_token_store_round_trip(tmp_path, tokens):
    store = TokenStore.from_lists(tokens + [[]])
    assert len(store) == len(tokens) + 1
    store.save(tmp_path / "tok")
    loaded = TokenStore.load(tmp_path / "tok")
    assert loaded.to_lists() == tokens + [[]]


@pytest.mark.parametrize("method", ["lucene", "robertson", "atire"])
def test_vectorized_builder_equals_bm25s_own_index(tokens, method):
    """Our numpy score matrix gives exactly the scores of bm25s' own (per-document Python loop) builder."""
    tok = KiwiTokenizer()
    params = BM25Params(k1=1.2, b=0.75, method=method)
    ours = BM25Engine.build(tokens + [[]], params)
    ref = BM25Engine.build_with_bm25s(tokens + [[]], params)
    assert ours.num_docs == ref.num_docs == len(tokens) + 1
    for q in QUERIES + ["타인 물건 손해 보험 계약"]:
        qt = tok.tokenize(q)
        np.testing.assert_allclose(ours.scores(qt), ref.scores(qt), rtol=1e-6, atol=1e-6)


def test_bm25s_file_format_both_ways(tmp_path, tokens):
    """Saved in bm25s' own layout: bm25s loads ours and we load bm25s'; scores are bit-identical to bm25s'."""
    import bm25s

    tok = KiwiTokenizer()
    ours = BM25Engine.build(tokens)
    ours.save(tmp_path / "ours")
    theirs = bm25s.BM25.load(str(tmp_path / "ours"), mmap=True)
    BM25Engine.build_with_bm25s(tokens).model.save(str(tmp_path / "theirs"), show_progress=False)
    reference = bm25s.BM25.load(str(tmp_path / "theirs"))
    loaded = BM25Engine.load(tmp_path / "theirs", mmap=True)
    assert loaded.params == BM25Params() and loaded.num_docs == theirs.scores["num_docs"] == len(tokens)
    for q in QUERIES:
        qt = tok.tokenize(q)
        assert np.array_equal(ours.scores(qt), theirs.get_scores_from_ids(ours.token_ids(qt)))
        assert np.array_equal(loaded.scores(qt), reference.get_scores_from_ids(loaded.token_ids(qt)))
    assert np.array_equal(ours.df, np.diff(theirs.scores["indptr"]))


def test_load_does_not_import_bm25s(tmp_path, tokens):
    """Opening an index must not pay for importing bm25s (scipy.sparse, tqdm): ~0.3 s of every searcher start."""
    import subprocess
    import sys

    BM25Engine.build(tokens).save(tmp_path / "bm25")
    code = ("import sys; from legalret.index.bm25 import BM25Engine; "
            f"e = BM25Engine.load({str(tmp_path / 'bm25')!r}, mmap=True); e.top(['물건'], 3); "
            "print(sorted(m for m in ('bm25s', 'scipy', 'tqdm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_load_with_the_token_stores_vocabulary(tmp_path, tokens):
    """An engine built from a token store numbers terms in the store's order: loading with the store's
    vocabulary gives the same engine without parsing vocab.index.json; a store of another size is refused."""
    store = TokenStore.from_lists(tokens)
    BM25Engine.build(store).save(tmp_path / "bm25")
    store.save(tmp_path / "tok")
    loaded_store = TokenStore.load(tmp_path / "tok")
    fast = BM25Engine.load(tmp_path / "bm25", mmap=True, vocab=loaded_store.vocab)
    slow = BM25Engine.load(tmp_path / "bm25", mmap=True)
    assert fast.vocab == slow.vocab
    q = KiwiTokenizer().tokenize("타인 물건 점유")
    assert np.array_equal(fast.scores(q), slow.scores(q))
    with pytest.raises(ValueError, match="vocabulary"):
        BM25Engine.load(tmp_path / "bm25", vocab=loaded_store.vocab[:-1])


def test_sorted_vocab_round_trip(tmp_path):
    """vocab.sorted.npz finds every term's id (any script, ids in any order), knows what is not there, iterates in
    id order, and refuses a vocabulary that repeats a term."""
    from legalret.index.sorted_vocab import SortedVocab

    terms = ["점유", "물건", "A", "", "a", "민법_제750조", "é", "占有", "물"]
    SortedVocab.write(tmp_path / "v.npz", terms)
    vocab = SortedVocab.load(tmp_path / "v.npz")
    assert len(vocab) == len(terms) and vocab._dict is None
    assert all(vocab[t] == i and t in vocab for i, t in enumerate(terms))
    assert vocab.get("물건들") is None and "없는말" not in vocab and vocab.get("z", -1) == -1
    with pytest.raises(KeyError):
        vocab["없는말"]
    assert vocab._dict is None  # lookups never made the dict
    assert list(vocab) == terms and vocab == {t: i for i, t in enumerate(terms)}
    SortedVocab.write(tmp_path / "empty.npz", [])
    assert len(SortedVocab.load(tmp_path / "empty.npz")) == 0 and "x" not in SortedVocab.load(tmp_path / "empty.npz")
    with pytest.raises(ValueError, match="repeats"):
        SortedVocab.write(tmp_path / "twice.npz", ["물건", "점유", "물건"])
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a sorted vocabulary"):
        SortedVocab.load(tmp_path / "bad.npz")


def test_saved_engine_opens_without_parsing_its_vocabulary(tmp_path, tokens):
    """An engine saved now opens from vocab.sorted.npz: neither vocab.index.json nor the token store's list is
    parsed (the ``vocab`` function is never called), and the scores are the built engine's; an engine saved
    before it (no vocab.sorted.npz) still opens from the store's vocabulary, as before."""
    store = TokenStore.from_lists(tokens)
    built = BM25Engine.build(store)
    built.save(tmp_path / "bm25")
    assert (tmp_path / "bm25" / "vocab.sorted.npz").is_file() and not (tmp_path / "bm25" / "counts.csc.index.npy").exists()

    def must_not_be_called():
        raise AssertionError("the vocabulary list was read")

    loaded = BM25Engine.load(tmp_path / "bm25", mmap=True, vocab=must_not_be_called)
    q = KiwiTokenizer().tokenize("타인 물건 점유 손해")
    assert np.array_equal(loaded.scores(q), built.scores(q)) and loaded.token_ids(q) == built.token_ids(q)
    assert loaded.vocab._dict is None
    (tmp_path / "bm25" / "vocab.sorted.npz").unlink()
    older = BM25Engine.load(tmp_path / "bm25", mmap=True, vocab=lambda: store.vocab)
    assert isinstance(older.vocab, dict) and np.array_equal(older.scores(q), built.scores(q))
    # the term counts, when kept, round-trip beside the scores
    BM25Engine.build(store, counts=True).save(tmp_path / "counted")
    counted = BM25Engine.load(tmp_path / "counted", mmap=True)
    assert counted.counts is not None and counted.counts.shape == counted.data.shape and counted.counts.min() >= 1


def test_an_engine_opened_from_its_sorted_vocabulary_saves_the_same_files(tmp_path, tokens):
    """Saving an engine loaded with a SortedVocab writes the vocabulary files a built engine writes (terms read in
    id order, no dict of them kept), and its bm25s model scores as the built one's (whose dict is not copied)."""
    import bm25s  # noqa: F401  (the model property imports it)

    built = BM25Engine.build(tokens)
    built.save(tmp_path / "built")
    loaded = BM25Engine.load(tmp_path / "built")
    loaded.save(tmp_path / "again")
    assert loaded.vocab._dict is None
    for name in ("vocab.index.json", "params.index.json"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "built" / name).read_bytes()
    with np.load(tmp_path / "built" / "vocab.sorted.npz") as a, np.load(tmp_path / "again" / "vocab.sorted.npz") as b:
        assert sorted(a.files) == sorted(b.files) and all(np.array_equal(a[f], b[f]) for f in a.files)
    assert built.model.vocab_dict is built.vocab and loaded.model.vocab_dict == built.vocab
    for q in QUERIES:
        ids = built.token_ids(KiwiTokenizer().tokenize(q))
        assert np.array_equal(loaded.model.get_scores_from_ids(ids), built.model.get_scores_from_ids(ids))
