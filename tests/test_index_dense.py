"""Dense index (FAISS IndexFlatIP) and the embedding cache."""

import numpy as np

from legalret.index.dense import DenseIndex, EmbeddingCache, encode_with_cache, text_hash


def _unit(rng, n, d):
    v = rng.standard_normal((n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_flat_ip_is_exact_and_matches_numpy():
    rng = np.random.default_rng(0)
    vecs, q = _unit(rng, 50, 16), _unit(rng, 1, 16)[0]
    dense = DenseIndex.from_vectors(vecs)
    rows, scores = dense.top(q, 5)
    expected = np.argsort(-(vecs @ q))[:5]
    assert rows.tolist() == expected.tolist()
    np.testing.assert_allclose(scores, (vecs @ q)[expected], rtol=1e-5)
    np.testing.assert_allclose(dense.vectors, vecs)


def test_masked_search_only_returns_allowed_rows():
    rng = np.random.default_rng(1)
    vecs = _unit(rng, 30, 8)
    dense = DenseIndex.from_vectors(vecs)
    mask = np.zeros(30, dtype=bool)
    mask[[3, 7, 11]] = True
    rows, _ = dense.top(vecs[0], 10, mask)
    assert sorted(rows.tolist()) == [3, 7, 11]


def test_save_load_and_empty_index(tmp_path):
    rng = np.random.default_rng(2)
    vecs = _unit(rng, 10, 4)
    DenseIndex.from_vectors(vecs).save(tmp_path / "d.faiss")
    loaded = DenseIndex.load(tmp_path / "d.faiss")
    assert len(loaded) == 10 and loaded.dim == 4
    np.testing.assert_allclose(loaded.vectors, vecs)
    empty = DenseIndex.from_vectors(np.zeros((0, 4), np.float32), dim=4)
    assert len(empty) == 0 and empty.top(vecs[0], 3)[0].size == 0


def test_the_vectors_view_keeps_its_index_alive_and_is_read_only(tmp_path):
    """``DenseIndex.load(p).vectors`` of an index no longer referenced read freed memory: the view now keeps
    the FAISS index alive. A loaded index saves again, and its file can go (a pruned generation under a reader)."""
    rng = np.random.default_rng(3)
    vecs = _unit(rng, 300, 8)
    DenseIndex.from_vectors(vecs).save(tmp_path / "d.faiss")
    loaded = DenseIndex.load(tmp_path / "d.faiss")
    want = DenseIndex.from_vectors(vecs).top(vecs[4], 7)
    assert [x.tolist() for x in loaded.top(vecs[4], 7)] == [x.tolist() for x in want]
    loaded.save(tmp_path / "copy.faiss")
    (tmp_path / "d.faiss").unlink()
    assert loaded.top(vecs[4], 7)[0].tolist() == want[0].tolist()
    vectors = DenseIndex.load(tmp_path / "copy.faiss").vectors
    import gc

    gc.collect()
    np.testing.assert_allclose(vectors, vecs)
    assert vectors.flags.aligned and not vectors.flags.writeable


def test_flat_ip_files_are_read_without_faiss_and_other_files_by_faiss(tmp_path):
    """An IndexFlatIP file (every index's dense.faiss) is read with numpy: the very floats FAISS reads, the same
    search results, faiss not imported; saved again it is the same file. Any other FAISS file (here an L2 index,
    or a file whose size disagrees with its header) is left to faiss.read_index."""
    import subprocess
    import sys

    import faiss

    rng = np.random.default_rng(5)
    vecs = _unit(rng, 257, 12)
    DenseIndex.from_vectors(vecs).save(tmp_path / "d.faiss")
    by_faiss = DenseIndex(faiss.read_index(str(tmp_path / "d.faiss")))
    loaded = DenseIndex.load(tmp_path / "d.faiss")
    assert loaded._index is None and len(loaded) == 257 and loaded.dim == 12
    assert np.array_equal(loaded.vectors, by_faiss.vectors) and not loaded.vectors.flags.writeable
    for q in vecs[:5]:
        assert [x.tolist() for x in loaded.top(q, 9)] == [x.tolist() for x in by_faiss.top(q, 9)]
    loaded.save(tmp_path / "again.faiss")  # (the FAISS index is made from the vectors to be written)
    assert (tmp_path / "again.faiss").read_bytes() == (tmp_path / "d.faiss").read_bytes()
    code = (f"import sys; from legalret.index.dense import DenseIndex; d = DenseIndex.load({str(tmp_path / 'd.faiss')!r}); "
            "d.top(d.vectors[0], 3); print('faiss' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
    l2 = faiss.IndexFlatL2(12)
    l2.add(vecs)
    faiss.write_index(l2, str(tmp_path / "l2.faiss"))
    assert DenseIndex.load(tmp_path / "l2.faiss")._index is not None
    (tmp_path / "cut.faiss").write_bytes((tmp_path / "d.faiss").read_bytes()[:-4])
    try:
        DenseIndex.load(tmp_path / "cut.faiss")
    except RuntimeError:  # (faiss's own error on a truncated file: the store turns it into one line)
        pass
    else:
        raise AssertionError("a truncated file was read")


def test_encode_with_cache_encodes_only_misses_and_duplicates_once():
    rng = np.random.default_rng(3)
    old_texts = ["가", "나", "다"]
    old_vecs = _unit(rng, 3, 4)
    cache = EmbeddingCache.from_index("fp", DenseIndex.from_vectors(old_vecs), [text_hash(t) for t in old_texts])
    calls = []

    def encode(texts):
        calls.append(list(texts))
        return np.ones((len(texts), 4), np.float32) / 2

    texts = ["나", "라", "가", "라"]
    vecs, n = encode_with_cache(texts, [text_hash(t) for t in texts], encode, 4, cache)
    assert n == 1 and calls == [["라"]]
    np.testing.assert_allclose(vecs[0], old_vecs[1])
    np.testing.assert_allclose(vecs[2], old_vecs[0])
    np.testing.assert_allclose(vecs[1], vecs[3])


def _clustered(rng, n, d, centers=40):
    """Unit vectors around a few directions, like embeddings of related articles."""
    c = _unit(rng, centers, d)
    v = c[rng.integers(0, centers, n)] + 0.35 * rng.standard_normal((n, d)).astype(np.float32) / np.sqrt(d)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_partitioned_search_scores_exactly_and_finds_the_nearest_rows():
    from legalret.index.dense import Partitions

    rng = np.random.default_rng(4)
    vecs = _clustered(rng, 3000, 16)
    dense = DenseIndex.from_vectors(vecs, partition_min_rows=1000)
    assert dense.partitions is not None and dense.partitions.nlist == Partitions.default_nlist(3000)
    # every row is in exactly one cell
    assert sorted(dense.partitions.order.tolist()) == list(range(3000))
    exact = DenseIndex.from_vectors(vecs)
    assert exact.partitions is None
    hits = 0
    for q in vecs[:50] + 0.01:
        q = q / np.linalg.norm(q)
        rows, scores = dense.top(q, 10)
        np.testing.assert_allclose(scores, vecs[rows] @ q, rtol=1e-5)  # exact cosines, best first
        assert np.all(np.diff(scores) <= 1e-7)
        hits += len(set(rows.tolist()) & set(exact.top(q, 10)[0].tolist()))
    assert hits / 500 > 0.9
    # probing every cell is the exact search
    dense.nprobe = dense.partitions.nlist
    q = vecs[7]
    assert dense.top(q, 10)[0].tolist() == exact.top(q, 10)[0].tolist()


def test_partitions_are_saved_and_reused_without_retraining(tmp_path, monkeypatch):
    from legalret.index import dense as dense_mod

    rng = np.random.default_rng(5)
    vecs = _clustered(rng, 2000, 8)
    first = DenseIndex.from_vectors(vecs, partition_min_rows=1000)
    first.save(tmp_path / "dense.faiss")
    assert (tmp_path / "dense.partitions.npz").is_file()
    loaded = DenseIndex.load(tmp_path / "dense.faiss")
    np.testing.assert_array_equal(loaded.partitions.centroids, first.partitions.centroids)
    np.testing.assert_array_equal(loaded.partitions.order, first.partitions.order)

    def no_training(*a, **k):
        raise AssertionError("k-means must not run again for a small change")

    monkeypatch.setattr(dense_mod.Partitions, "train", no_training)
    grown = np.concatenate([vecs, _clustered(rng, 100, 8)])
    updated = DenseIndex.from_vectors(grown, previous=loaded, partition_min_rows=1000)
    np.testing.assert_array_equal(updated.partitions.centroids, first.partitions.centroids)
    assert sorted(updated.partitions.order.tolist()) == list(range(2100))
