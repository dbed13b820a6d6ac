"""The tokenization cache: same tokens with and without it, invalidated by any tokenizer change, and a build
killed after tokenizing resumes from it."""

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.index import build_index, load_index, token_cache  # noqa: E402
from legalret.index.tokenize import KiwiTokenizer, TokenizerSettings  # noqa: E402
from legalret.memory.builder import _tokenize_all  # noqa: E402

TEXTS = [
    "유치권을 행사하는 자는 채권의 변제를 받을 때까지 그 물건을 유치할 수 있다.",
    "손해배상청구권의 소멸시효",
    "",
    "보험계약자는 보험사고가 발생하기 전에는 언제든지 계약의 전부 또는 일부를 해지할 수 있다. GPS 장치",
    "손해배상청구권의 소멸시효",  # the same text twice in one batch: analysed once
]


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch):
    """A fresh cache folder, and no cache objects left from other tests (as in a new process)."""
    monkeypatch.setenv("LEGALRET_TOKEN_CACHE", str(tmp_path / "tokens"))
    token_cache._OPEN.clear()
    yield tmp_path / "tokens"
    token_cache._OPEN.clear()


def _new_process():
    token_cache._OPEN.clear()  # what a later build in another process sees: only the files


def test_tokens_identical_with_and_without_the_cache(cache_dir):
    plain = KiwiTokenizer(cache=False).tokenize_many(TEXTS)
    cold = KiwiTokenizer()
    assert cold.tokenize_many(TEXTS) == plain
    assert (cold.cached, cold.analysed) == (0, 4)  # the repeated text is analysed once
    _new_process()
    warm = KiwiTokenizer()
    assert warm.tokenize_many(TEXTS) == plain
    assert (warm.cached, warm.analysed) == (5, 0)
    assert warm.tokenize_many(TEXTS[:2] + ["새로운 문장의 임대차"]) == plain[:2] + [KiwiTokenizer(cache=False).tokenize("새로운 문장의 임대차")]
    assert warm.analysed == 1
    chunks = list(cache_dir.rglob("chunk-*.npz"))
    assert len(chunks) == 2 and all(not p.name.startswith(".") for p in chunks)  # whole files only


def test_off_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEGALRET_TOKEN_CACHE", "off")
    token_cache._OPEN.clear()
    tok = KiwiTokenizer()
    tok.tokenize_many(TEXTS)
    assert tok.analysed == 5 and not (tmp_path / "home").exists()


@pytest.mark.parametrize("other", [
    TokenizerSettings(user_words=("간접점유",)),
    TokenizerSettings(mixed=False),
    TokenizerSettings(multi_dict=True),
])
def test_other_settings_do_not_read_the_cache(cache_dir, other):
    KiwiTokenizer().tokenize_many(TEXTS)
    _new_process()
    tok = KiwiTokenizer(other)
    assert tok.tokenize_many(TEXTS) == KiwiTokenizer(other, cache=False).tokenize_many(TEXTS)
    assert tok.cached == 0 and tok.analysed == 4
    assert len([p for p in cache_dir.iterdir() if p.is_dir()]) == 2  # a folder per fingerprint


def test_a_new_kiwi_or_token_filter_does_not_read_the_cache(cache_dir, monkeypatch):
    import kiwipiepy
    import kiwipiepy_model

    from legalret.index import tokenize

    KiwiTokenizer().tokenize_many(TEXTS)
    for patch in (
        lambda: monkeypatch.setattr(kiwipiepy, "__version__", "99.0.0"),  # the analyser
        lambda: monkeypatch.setattr(kiwipiepy_model, "__version__", "99.0.0"),  # its model
    ):
        patch()
        _new_process()
        tok = KiwiTokenizer()
        tok.tokenize_many(TEXTS)
        assert tok.cached == 0, "a new Kiwi must not read tokens cached by the old one"
        monkeypatch.undo()
        monkeypatch.setenv("LEGALRET_TOKEN_CACHE", str(cache_dir))
    # the token filter (the rules that turn morphemes into tokens) changed: its source is in the fingerprint
    def _flush(self, run, out):  # e.g. a release that stops emitting compound parts
        out.extend(glued for glued, _ in run)

    monkeypatch.setattr(tokenize.KiwiTokenizer, "_flush", _flush)
    _new_process()
    tok = KiwiTokenizer()
    tok.tokenize_many(TEXTS)
    assert tok.cached == 0
    monkeypatch.undo()
    monkeypatch.setenv("LEGALRET_TOKEN_CACHE", str(cache_dir))
    _new_process()
    back = KiwiTokenizer()
    back.tokenize_many(TEXTS)
    assert back.cached == 5  # the original tokenizer still finds its own tokens


def test_memory_tokenizing_killed_midway_resumes_from_finished_chunks(cache_dir, monkeypatch):
    texts = [f"제{i}조의 손해배상 청구와 유치권 행사 {i}번째 사건" for i in range(10)]
    expected = KiwiTokenizer(cache=False).tokenize_many(texts)
    tok = KiwiTokenizer()
    calls = {"n": 0}
    analyse = tok._analyse

    def killed_on_third_batch(batch):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # what Ctrl-C or a kill in the middle of the memory stage looks like
        return analyse(batch)

    monkeypatch.setattr(tok, "_analyse", killed_on_third_batch)
    with pytest.raises(KeyboardInterrupt):
        _tokenize_all(tok, texts, "tokenizing holdings", chunk=2)
    _new_process()
    resumed = KiwiTokenizer()
    assert _tokenize_all(resumed, texts, "tokenizing holdings", chunk=2) == expected
    assert (resumed.cached, resumed.analysed) == (4, 6)  # the two finished batches were kept


def test_build_killed_while_encoding_resumes_with_cached_tokens(cache_dir, tmp_path):
    """The longest stage after Kiwi is encoding: a build killed there has already cached its tokens, and
    the resumed build (another process, a fresh index folder) analyses nothing — with the same tokens."""
    arts = sup.articles()

    class KilledEncoder(sup.CountingEncoder):
        def encode_passages(self, texts, batch_size=32, show_progress=False):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index(arts, tmp_path / "killed", encoder=KilledEncoder(sup.tiny_encoder()))
    _new_process()
    resumed = build_index(arts, tmp_path / "resumed", encoder=sup.tiny_encoder())
    searchable = sum(not a.deleted for a in arts)
    assert resumed.tokenized == 0 and resumed.searchable == searchable

    shutil.rmtree(cache_dir)
    _new_process()
    fresh = build_index(arts, tmp_path / "fresh", encoder=sup.tiny_encoder())
    assert fresh.tokenized == searchable
    a, b = load_index(tmp_path / "resumed"), load_index(tmp_path / "fresh")
    assert [a.tokens.get(i) for i in range(len(a.tokens))] == [b.tokens.get(i) for i in range(len(b.tokens))]


def test_a_damaged_chunk_is_skipped_not_fatal(cache_dir):
    KiwiTokenizer().tokenize_many(TEXTS)
    folder = next(p for p in cache_dir.iterdir() if p.is_dir())
    (folder / "chunk-damaged.npz").write_bytes(b"not a zip")
    (folder / ".chunk-half-written.npz").write_bytes(b"PK")  # a killed write's temporary file
    _new_process()
    tok = KiwiTokenizer()
    assert tok.tokenize_many(TEXTS) == KiwiTokenizer(cache=False).tokenize_many(TEXTS)
    assert tok.cached == 5
