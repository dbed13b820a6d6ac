"""The passage vector cache: a later build into a new folder (or an ``index add`` on another index) encodes
nothing and gets bit-identical vectors; another adapter, passage cut or precision misses; damaged chunks are
ignored with a warning; ``off`` turns it off; a build killed mid-encoding resumes from the finished batches."""

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.index import add_to_index, build_index, load_index, token_cache  # noqa: E402
from legalret.index.vector_cache import VectorCache  # noqa: E402


def _new_process():
    token_cache._OPEN.clear()  # what a later build in another process sees: only the files


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch):
    """A fresh vector cache folder, and no cache objects left from other tests (as in a new process)."""
    folder = tmp_path / "vectors"
    monkeypatch.setenv("LEGALRET_VECTOR_CACHE", str(folder))
    _new_process()
    yield folder
    _new_process()


def _vectors(index_dir: Path) -> np.ndarray:
    data = load_index(index_dir)  # held while copying: ``dense.vectors`` is a view into the FAISS index's memory
    return np.array(data.dense.vectors, copy=True)


def _searchable() -> int:
    return sum(not a.deleted for a in sup.articles())


def _chunks(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.rglob("chunk-*.npz"))


def test_a_later_build_into_a_new_folder_encodes_nothing(cache_dir, tmp_path):
    first_enc, later_enc = sup.CountingEncoder(sup.tiny_encoder()), sup.CountingEncoder(sup.tiny_encoder())
    first = build_index(sup.articles(), tmp_path / "first", encoder=first_enc)
    assert (first.encoded, first.vectors_cached) == (_searchable(), 0)
    _new_process()
    later = build_index(sup.articles(), tmp_path / "later", encoder=later_enc)
    assert later_enc.passages == 0 and later.encoded == 0 and later.vectors_cached == _searchable()
    assert "0 vectors" not in later.summary() and f"{_searchable()} vectors from the vector cache" in later.summary()
    a, b = _vectors(tmp_path / "first"), _vectors(tmp_path / "later")
    assert a.dtype == b.dtype == np.float32 and a.tobytes() == b.tobytes()  # bit-identical
    size = VectorCache.for_encoder(sup.tiny_encoder()).size()
    assert size["rows"] == _searchable() and size["chunks"] == len(_chunks(cache_dir)) >= 1 and size["bytes"] > 0


def test_index_add_on_another_index_reads_the_cache(cache_dir, tmp_path):
    arts = sup.articles()
    civil = [a for a in arts if a.law == "민법"]
    build_index(arts, tmp_path / "all", encoder=sup.tiny_encoder())  # fills the cache with every article
    _new_process()
    others = [a for a in arts if a.law != "민법"]
    build_index(others, tmp_path / "part", encoder=sup.tiny_encoder())
    counting = sup.CountingEncoder(sup.tiny_encoder())
    added = add_to_index(civil, tmp_path / "part", encoder=counting)
    assert added.added == len(civil) and counting.passages == 0 and added.encoded == 0
    assert added.vectors_cached == sum(not a.deleted for a in civil)


def _lora_encoder(tmp_path):
    """The tiny encoder with a (random, non-zero) LoRA adapter merged: other passage vectors."""
    import torch

    from legalret.models.adapter import LoraSettings, adapter_fingerprint, add_lora, save_adapter, write_card
    from legalret.models.encoder import load_encoder
    from legalret.models.spec import resolve_spec

    model_dir = str(sup.tiny_model_dir())
    base = load_encoder(model_dir, precision="fp32", device="cpu")
    add_lora(base.model, LoraSettings(rank=2, alpha=4))
    torch.manual_seed(0)
    for name, p in base.model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.1)
    out = tmp_path / "lora"
    save_adapter(base.model, out)
    write_card(out, {"name": "test", "base": {"spec": resolve_spec(model_dir).name}, "fingerprint": adapter_fingerprint(out)})
    return load_encoder(model_dir, adapter=str(out), precision="fp32", device="cpu")


@pytest.mark.parametrize("other", ["adapter", "passage cut", "precision"])
def test_another_adapter_cut_or_precision_misses_the_cache(cache_dir, tmp_path, other):
    from legalret.models.encoder import load_encoder

    model_dir = str(sup.tiny_model_dir())
    encoder = {
        "adapter": lambda: _lora_encoder(tmp_path),
        "passage cut": lambda: load_encoder(model_dir, precision="fp32", device="cpu", passage_max_tokens=16),
        "precision": lambda: load_encoder(model_dir, precision="bf16", device="cpu"),
    }[other]()
    build_index(sup.articles(), tmp_path / "base", encoder=sup.tiny_encoder())
    _new_process()
    report = build_index(sup.articles(), tmp_path / "other", encoder=encoder)
    assert (report.encoded, report.vectors_cached) == (_searchable(), 0)
    assert not np.array_equal(_vectors(tmp_path / "base"), _vectors(tmp_path / "other"))
    assert len([p for p in cache_dir.iterdir() if p.is_dir()]) == 2  # a folder per fingerprint
    _new_process()  # and each reads its own vectors back
    again = build_index(sup.articles(), tmp_path / "again", encoder=encoder)
    assert (again.encoded, again.vectors_cached) == (0, _searchable())
    assert _vectors(tmp_path / "again").tobytes() == _vectors(tmp_path / "other").tobytes()


def test_off_encodes_everything_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEGALRET_VECTOR_CACHE", "off")
    _new_process()
    assert VectorCache.for_encoder(sup.tiny_encoder()) is None
    for name in ("a", "b"):
        report = build_index(sup.articles(), tmp_path / name, encoder=sup.tiny_encoder())
        assert (report.encoded, report.vectors_cached) == (_searchable(), 0)
    assert not (tmp_path / "home" / "cache" / "vectors").exists()
    monkeypatch.delenv("LEGALRET_VECTOR_CACHE")  # the default folder is under LEGALRET_HOME
    _new_process()
    build_index(sup.articles(), tmp_path / "c", encoder=sup.tiny_encoder())
    assert _chunks(tmp_path / "home" / "cache" / "vectors")


def _flip_byte(path: Path, offset_from_end: int) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) - offset_from_end] ^= 0xFF
    path.write_bytes(bytes(data))


def test_damaged_chunks_are_ignored_with_a_warning(cache_dir, tmp_path, capsys):
    """Cut, overwritten (CRC), mis-shaped and non-unit chunks: never a crash, never a wrong vector."""
    build_index(sup.articles(), tmp_path / "first", encoder=sup.tiny_encoder(), batch_size=1)  # 4 passages a chunk
    chunks = _chunks(cache_dir)
    assert len(chunks) >= 4
    cut, flipped, shaped, zeroed = chunks[:4]
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    _flip_byte(flipped, 400)  # inside the vectors array (the zip's central directory is the last ~140 bytes)
    with np.load(shaped) as z:
        hashes, vectors = z["hashes"], z["vectors"]
    np.savez(shaped, hashes=hashes, vectors=vectors[:, :-1])
    np.savez(zeroed, hashes=hashes[:1], vectors=np.zeros((1, vectors.shape[1]), np.float32))
    (cut.parent / ".chunk-half-written.npz").write_bytes(b"PK")  # a killed write's temporary file: never read
    damaged = sum(len(np.load(c)["hashes"]) for c in chunks[4:])
    capsys.readouterr()
    _new_process()
    counting = sup.CountingEncoder(sup.tiny_encoder())
    report = build_index(sup.articles(), tmp_path / "later", encoder=counting, batch_size=1)
    assert report.vectors_cached == damaged and report.encoded == counting.passages == _searchable() - damaged
    assert _vectors(tmp_path / "later").tobytes() == _vectors(tmp_path / "first").tobytes()
    err = capsys.readouterr().err
    for chunk in (cut, flipped, shaped, zeroed):
        assert chunk.name in err and not chunk.exists() and (chunk.parent / f"damaged-{chunk.name}").exists()
    assert err.count("ignoring the damaged vector cache chunk") == 4
    _new_process()  # the moved-aside chunks are no longer read; their passages were cached anew
    again = build_index(sup.articles(), tmp_path / "again", encoder=sup.tiny_encoder(), batch_size=1)
    assert (again.encoded, again.vectors_cached) == (0, _searchable())
    assert "damaged" not in capsys.readouterr().err


def test_a_build_killed_mid_encoding_resumes_from_the_cached_batches(cache_dir, tmp_path):
    class KilledAfterFirstBatch(sup.CountingEncoder):
        def encode_passages(self, texts, batch_size=32, show_progress=False):
            if self.passages:
                raise KeyboardInterrupt  # Ctrl-C (or a kill) after the first batch was encoded
            return super().encode_passages(texts, batch_size=batch_size)

    killed = KilledAfterFirstBatch(sup.tiny_encoder())
    with pytest.raises(KeyboardInterrupt):
        build_index(sup.articles(), tmp_path / "killed", encoder=killed, batch_size=1)
    assert killed.passages == 4 and len(_chunks(cache_dir)) == 1
    _new_process()
    counting = sup.CountingEncoder(sup.tiny_encoder())
    resumed = build_index(sup.articles(), tmp_path / "resumed", encoder=counting, batch_size=1)
    assert resumed.vectors_cached == 4 and counting.passages == resumed.encoded == _searchable() - 4
    plain = build_index(sup.articles(), tmp_path / "plain", encoder=sup.tiny_encoder(), batch_size=1)
    assert _vectors(tmp_path / "resumed").tobytes() == _vectors(tmp_path / "plain").tobytes()
    assert plain.vectors_cached == _searchable()


def test_two_processes_writing_at_once(cache_dir):
    """Each process writes its own chunks; both sets are read back whole."""
    writer = textwrap.dedent("""
        import sys, numpy as np
        from legalret.index.vector_cache import VectorCache
        part = int(sys.argv[1])
        cache = VectorCache(sys.argv[2], {"dim": 8, "encoder": "test@1"})
        rng = np.random.default_rng(part)
        for batch in range(30):
            v = rng.normal(size=(50, 8)).astype(np.float32)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            cache.put_many([f"{part}-{batch}-{i}" for i in range(50)], v)
    """)
    env = {**__import__("os").environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    procs = [subprocess.Popen([sys.executable, "-c", writer, str(part), str(cache_dir)], env=env) for part in (1, 2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    cache = VectorCache(cache_dir, {"dim": 8, "encoder": "test@1"})
    hashes = [f"{part}-{batch}-{i}" for part in (1, 2) for batch in range(30) for i in range(50)]
    vectors, found = cache.get_many(hashes)
    assert found.all() and len(_chunks(cache_dir)) == 60
    rng = np.random.default_rng(2)
    expected = rng.normal(size=(50, 8)).astype(np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.array_equal(vectors[1500:1550], expected)


def test_put_and_get(cache_dir):
    cache = VectorCache(cache_dir, {"dim": 4, "encoder": "test@1"})
    v = np.eye(4, dtype=np.float32)
    assert cache.put_many(["a", "b", "a", "z"], np.vstack([v[:3], np.zeros((1, 4), np.float32)])) == 2  # 'a' once, no zero vector
    assert cache.put_many(["a", "c"], v[:2]) == 1  # 'a' is cached already
    vectors, found = cache.get_many(["c", "x", "b", "z"])
    assert found.tolist() == [True, False, True, False]
    assert np.array_equal(vectors, np.vstack([v[1], np.zeros(4), v[1], np.zeros(4)]))  # c: the second row it came with
    with pytest.raises(ValueError):
        cache.put_many(["d"], np.ones((1, 3), np.float32))


def test_a_partial_then_full_add_gets_the_dropped_vectors_back_bit_identical(tmp_path, monkeypatch):
    """The data-loss case of issue 21 with vectors: a partial file drops articles, the whole file brings them
    back — with the very vectors they had (kept in the vector cache when dropped), not re-encoded ones."""
    monkeypatch.setenv("LEGALRET_VECTOR_CACHE", "off")  # built before any cache: only the index holds the vectors
    _new_process()
    arts = sup.articles()
    build_index(arts, tmp_path / "idx", encoder=sup.tiny_encoder(), batch_size=1)
    original = load_index(tmp_path / "idx")
    before = dict(zip(original.row_hashes, np.array(original.dense.vectors, copy=True)))
    monkeypatch.setenv("LEGALRET_VECTOR_CACHE", str(tmp_path / "vectors"))
    _new_process()
    civil = [a for a in arts if a.law == "민법"]
    partial = add_to_index(civil[:2], tmp_path / "idx", encoder=sup.tiny_encoder(), allow_removals=True)
    dropped = sum(not a.deleted for a in civil[2:])
    assert partial.removed == len(civil) - 2 and dropped > 0
    assert VectorCache.for_encoder(sup.tiny_encoder()).size()["rows"] == dropped  # kept as they were dropped
    counting = sup.CountingEncoder(sup.tiny_encoder())
    full = add_to_index(civil, tmp_path / "idx", encoder=counting)  # default batches: other ones than the build's
    assert full.added == len(civil) - 2 and counting.passages == full.encoded == 0 and full.vectors_cached == dropped
    after = load_index(tmp_path / "idx")
    assert sorted(after.row_hashes) == sorted(before)
    assert all(before[h].tobytes() == v.tobytes() for h, v in zip(after.row_hashes, np.asarray(after.dense.vectors)))
