"""On-disk index: manifest, atomic generations, lock, and the error paths (schema, corruption, encoder mismatch)."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret import pipeline  # noqa: E402
from legalret.errors import IndexError_  # noqa: E402
from legalret.index import build_index, load_index, read_manifest  # noqa: E402
from legalret.index import store  # noqa: E402
from legalret.index.store import IndexLock, current_generation  # noqa: E402


@pytest.fixture()
def index(tmp_path):
    d = tmp_path / "idx"
    pipeline.build(sup.articles(), d, encoder=sup.tiny_encoder())  # records the default fusion settings
    return d


def test_manifest_records_encoder_tokenizer_fusion_counts_checksums(index):
    m = read_manifest(index)
    enc = sup.tiny_encoder()
    assert m["schema_version"] == store.SCHEMA_VERSION
    assert m["encoder"]["fingerprint"] == enc.fingerprint and m["encoder"]["dim"] == enc.dim
    assert m["tokenizer"]["name"] == "kiwi" and m["tokenizer"]["mixed"] is True
    assert m["fusion"]["method"] == "convex" and set(m["fusion"]["weights"]) == {"bm25", "dense"}
    assert m["counts"] == {"articles": 15, "searchable": 14, "laws": 3, "vocab": m["counts"]["vocab"]}
    assert set(m["laws"]) == {"민법", "상법", "민법 시행령"} and m["laws"]["민법"]["deleted"] == 1
    for name in ("articles.jsonl", "rows.json", "dense.faiss", "tokens/ids.npy"):
        assert len(m["files"][name]["sha256"]) == 64
    assert "tokenize" in m["timings"] and "encode" in m["timings"]
    data = load_index(index, verify="full")
    assert len(data.articles) == 15 and len(data.rows) == 14 and len(data.dense) == 14


def test_bm25_only_index(tmp_path):
    build_index(sup.articles(), tmp_path / "b", model="none")
    data = load_index(tmp_path / "b")
    assert data.dense is None and data.manifest["encoder"] is None


def test_build_killed_midway_leaves_previous_index_loadable(index, monkeypatch):
    before = current_generation(index)
    keys_before = [a.key for a in load_index(index).articles]

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash while writing the FAISS index")

    monkeypatch.setattr(store.DenseIndex, "save", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_index(sup.articles()[:3], index, encoder=sup.tiny_encoder())
    assert current_generation(index) == before
    assert [a.key for a in load_index(index, verify="full").articles] == keys_before
    assert not list(index.glob(".tmp-*"))  # the half-written generation is gone


def test_crash_after_tmp_written_is_cleaned_by_next_build(index, monkeypatch):
    # A hard kill (no cleanup) leaves a .tmp dir behind: the next writer removes it under the lock.
    leftover = index / ".tmp-crashed"
    (leftover / "bm25").mkdir(parents=True)
    build_index(sup.articles(), index, encoder=sup.tiny_encoder())
    assert not leftover.exists()
    assert len([p for p in index.iterdir() if p.name.startswith("gen-")]) == 2  # the previous one is kept (rollback)


def test_lock_blocks_a_second_writer(index):
    with IndexLock(index):
        with pytest.raises(IndexError_, match="locked"):
            build_index(sup.articles(), index, encoder=sup.tiny_encoder())
    build_index(sup.articles(), index, encoder=sup.tiny_encoder())  # released afterwards


def test_missing_index_and_not_an_index(tmp_path):
    with pytest.raises(IndexError_, match="no index at .*nothing: build one with `legalret index build"):
        load_index(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()  # e.g. after a failed first build: still "no index", not "no CURRENT file"
    with pytest.raises(IndexError_, match="no index at .*empty: build one"):
        load_index(tmp_path / "empty")
    (tmp_path / "file").write_text("x")
    with pytest.raises(IndexError_, match="is a file, not an index directory"):
        load_index(tmp_path / "file")
    with pytest.raises(IndexError_, match="is a file, not an index directory"):
        build_index(sup.articles(), tmp_path / "file", model="none")


def test_wrong_schema_version_is_a_clear_error(index):
    path = current_generation(index) / "manifest.json"
    m = json.loads(path.read_text())
    m["schema_version"] = 999
    path.write_text(json.dumps(m))
    with pytest.raises(IndexError_, match="schema version 999"):
        load_index(index)


@pytest.mark.parametrize("name", ["articles.jsonl", "dense.faiss", "rows.json"])
def test_corrupted_file_is_a_clear_error(index, name):
    path = current_generation(index) / name
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # same size, different bytes: only the checksum notices
    path.write_bytes(bytes(raw))
    with pytest.raises(IndexError_, match="checksum"):
        load_index(index, verify="full")
    path.write_bytes(bytes(raw[:-7]))  # truncated: the size check notices
    with pytest.raises(IndexError_, match="corrupted"):
        load_index(index, verify="size")


def test_unparseable_file_without_checksums_still_a_clear_error(index):
    gen = current_generation(index)
    (gen / "rows.json").write_text("{not json")
    with pytest.raises(IndexError_, match="cannot read the index"):
        load_index(index, verify="none")


def test_encoder_mismatch_is_refused(index, tmp_path):
    from legalret.index.build import add_to_index
    from legalret.models.encoder import load_encoder
    from legalret.models.tiny import build_tiny_model

    other = load_encoder(str(build_tiny_model(tmp_path / "other", seed=7)), precision="fp32", device="cpu")
    with pytest.raises(IndexError_, match="encoder mismatch"):
        add_to_index(sup.articles()[:2], index, encoder=other, allow_removals=True)
    from legalret.search.searcher import Searcher

    with pytest.raises(IndexError_, match="encoder mismatch"):
        Searcher(index, encoder=other).search("점유", mode="dense")
