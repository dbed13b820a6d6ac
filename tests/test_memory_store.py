"""Precedent memory store: incremental add, save/load round trip, bad records, dense vectors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from legalret.errors import IndexError_
from legalret.memory import MemoryVoter, PrecedentMemory
from legalret.memory.builder import add_precedents, build_memory
from legalret.memory.query import case_ids_of

FIXTURE = Path(__file__).parent / "fixtures" / "memory" / "precedents.jsonl"
QUERY = "불법행위로 인한 손해배상청구권의 소멸시효 기산점인 손해 및 가해자를 안 날"


class SpaceTokenizer:
    def tokenize(self, text: str) -> list[str]:
        return text.split()


def precedents() -> list[dict]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_incremental_add_equals_a_full_build():
    recs = precedents()
    full = build_memory(recs, tokenizer=SpaceTokenizer())
    part = build_memory(recs[:4], tokenizer=SpaceTokenizer())
    counts = add_precedents(part, recs[4:])
    assert counts == {"added": 4, "replaced": 0, "withdrawn": 0, "items": 4, "skipped": 0, "citing_no_article_here": 0,
                      "cases": sorted(r["case_no"] for r in recs[4:]), "withdrawn_cases": []}
    assert len(part) == len(full) and part.case_numbers == full.case_numbers
    got, want = MemoryVoter(part).search(QUERY, k=10), MemoryVoter(full).search(QUERY, k=10)
    assert [k for k, _ in got] == [k for k, _ in want]
    assert [s for _, s in got] == pytest.approx([s for _, s in want])


def test_add_replaces_a_known_case_number():
    memory = build_memory(precedents(), tokenizer=SpaceTokenizer())
    n = len(memory)
    corrected = dict(precedents()[2])  # 2010다3003, one holding
    corrected["holdings"] = [{"index": 1, "text": "정정된 판시사항 소멸시효", "keys": ["민법 제162조"]}]
    assert add_precedents(memory, [corrected]) == {"added": 0, "replaced": 1, "withdrawn": 0, "items": 1, "skipped": 0,
                                                   "citing_no_article_here": 0, "cases": ["2010다3003"],
                                                   "withdrawn_cases": []}
    assert len(memory) == n
    rows = memory.rows_of_case("2010다3003")
    assert len(rows) == 1 and memory.items[rows[0]].keys == ["민법 제162조"]
    assert "2010다3003" not in [h.item.case_no for h in MemoryVoter(memory).explain(QUERY).votes[0].support]


def test_a_corrected_record_citing_nothing_kept_withdraws_the_decision():
    """A decision re-read with citations none of which the memory keeps (its 참조조문 corrected to another law) stops
    voting: it had been ignored, and its stored holdings went on voting for what it no longer cites. A record that
    cites nothing at all (no 참조조문) says nothing of the kind and leaves the stored one as it is."""
    keep = {"민법 제162조", "민법 제766조", "상법 제651조", "민법 제750조"}
    memory = build_memory(precedents(), tokenizer=SpaceTokenizer(), keep_keys=keep)
    case = next(it.case_no for it in memory.items if it.keys)
    stored = [memory.items[r] for r in memory.rows_of_case(case)]
    silent = dict(next(r for r in precedents() if r["case_no"] == case))
    silent["holdings"] = [{"index": 1, "text": "참조조문이 없는 판시사항"}]
    counts = add_precedents(memory, [silent])
    assert counts["withdrawn"] == counts["items"] == 0 and counts["cases"] == []
    assert counts["citing_no_article_here"] == 1  # (said, not in no count at all)
    assert [memory.items[r] for r in memory.rows_of_case(case)] == stored
    corrected = dict(silent, holdings=[{"index": 1, "text": "참조조문이 정정된 판시사항", "keys": ["형법 제257조"]}])
    n = len(memory)
    counts = add_precedents(memory, [corrected])
    assert counts["withdrawn"] == 1 and counts["withdrawn_cases"] == [f"{case} ({stored[0].court})"]
    assert counts["cases"] == [case] and counts["citing_no_article_here"] == 0  # (counted as withdrawn)
    # a new decision citing only a law the memory does not keep: counted (it had been in no count at all)
    other = dict(silent, case_no="2025도99997", holdings=[{"index": 1, "text": "형법 판시사항", "keys": ["형법 제250조"]}])
    counts = add_precedents(memory, [other])
    assert counts["added"] == counts["withdrawn"] == 0 and counts["citing_no_article_here"] == 1
    assert memory.rows_of_case(case) == [] and len(memory) == n - len(stored)
    assert case not in {h.item.case_no for v in MemoryVoter(memory).explain(QUERY).votes for h in v.support}
    # read again with a record that cites a kept article, it votes again
    back = dict(silent, holdings=[{"index": 1, "text": "다시 정정된 판시사항", "keys": ["민법 제162조"]}])
    assert add_precedents(memory, [back])["added"] == 1 and len(memory.rows_of_case(case)) == 1


def test_bad_records_are_skipped_and_reported():
    recs = precedents()
    bad_date = dict(recs[0], case_no="2001다9999", decided="언젠가", source="bad.jsonl:3")
    no_case = {"decided": "2001-01-01", "holdings": [], "source": "bad.jsonl:4"}
    memory = build_memory([bad_date, no_case, *recs[1:]], tokenizer=SpaceTokenizer())
    assert len(memory.errors) == 2
    assert "bad.jsonl:3" in str(memory.errors[0]) and memory.errors[0].field == "decided"
    assert memory.errors[1].field == "case_no"
    assert "2005다2002" in memory.case_numbers


def test_save_load_round_trip(tmp_path):
    memory = build_memory(precedents(), tokenizer=SpaceTokenizer(), keep_keys={"민법 제766조", "상법 제651조"})
    out = memory.save(tmp_path / "memory")
    # everything a search needs is computed at write time (nothing is re-indexed at load)
    assert sorted(p.name for p in out.iterdir()) == [
        "bm25", "cases.ids.npy", "cases.json", "decided.npy", "items.jsonl", "items.offsets.npy", "keys.ids.npy",
        "keys.offsets.npy", "keys.vocab.json", "meta.json", "tokens"]
    # the holdings' BM25 keeps its term counts (the article profiles' postings) and a sorted vocabulary
    assert {"counts.csc.index.npy", "vocab.sorted.npz"} <= {p.name for p in (out / "bm25").iterdir()}
    loaded = PrecedentMemory.load(out, tokenizer=SpaceTokenizer())
    assert loaded._case_ids.tolist() == case_ids_of(loaded._case_nos).tolist()
    assert np.array_equal(loaded.bm25.counts, memory.bm25.counts) and loaded.bm25.vocab == memory.bm25.vocab
    assert [it.to_dict() for it in loaded.items] == [it.to_dict() for it in memory.items]
    # votes read the key arrays, never the items; a memory written before them parses the items instead
    assert [loaded.keys_of(r) for r in range(len(loaded))] == [it.keys for it in memory.items]
    assert [loaded.case_no_of(r) for r in range(len(loaded))] == [it.case_no for it in memory.items]
    votes_with_arrays = MemoryVoter(loaded).search(QUERY, k=10)
    # a memory written before cases.ids.npy and the sorted vocabulary numbers its cases and parses its
    # vocabulary at load: the same votes
    (out / "cases.ids.npy").unlink()
    (out / "bm25" / "vocab.sorted.npz").unlink()
    (out / "bm25" / "counts.csc.index.npy").unlink()
    before_them = PrecedentMemory.load(out, tokenizer=SpaceTokenizer())
    assert before_them._case_ids is None and before_them.bm25.counts is None and isinstance(before_them.bm25.vocab, dict)
    assert MemoryVoter(before_them).search(QUERY, k=10) == votes_with_arrays
    for name in ("keys.ids.npy", "keys.offsets.npy", "keys.vocab.json"):
        (out / name).unlink()
    older = PrecedentMemory.load(out, tokenizer=SpaceTokenizer())
    assert older._keys is None and MemoryVoter(older).search(QUERY, k=10) == votes_with_arrays
    kwargs = dict(k=10, before=date(2020, 1, 1), exclude="2019다5005")
    assert MemoryVoter(loaded).search(QUERY, **kwargs) == MemoryVoter(memory).search(QUERY, **kwargs)
    # keep_keys survive the round trip, so an add after load filters citations the same way
    add_precedents(loaded, [{"case_no": "2018다1", "decided": "2018-01-01", "holdings": [{"index": 1, "text": "새 판시", "keys": ["민법 제1조", "민법 제766조"]}]}])
    assert loaded.items[-1].keys == ["민법 제766조"]
    # saving again replaces the directory atomically and leaves no temp dirs behind
    loaded.save(out)
    assert PrecedentMemory.load(out, tokenizer=SpaceTokenizer()).case_numbers == loaded.case_numbers
    assert [p.name for p in tmp_path.iterdir()] == ["memory"]


def test_load_rejects_what_is_not_a_memory(tmp_path):
    with pytest.raises(IndexError_, match="no meta.json"):
        PrecedentMemory.load(tmp_path, tokenizer=SpaceTokenizer())
    out = build_memory(precedents(), tokenizer=SpaceTokenizer()).save(tmp_path / "m")
    with open(out / "items.jsonl", "a", encoding="utf-8") as f:
        f.write('{"case_no": "x"}\n')
    with pytest.raises(IndexError_, match="files disagree"):  # an appended line is not an item
        PrecedentMemory.load(out, tokenizer=SpaceTokenizer())
    out = build_memory(precedents(), tokenizer=SpaceTokenizer()).save(tmp_path / "m")
    raw = (out / "items.jsonl").read_bytes()
    (out / "items.jsonl").write_bytes(raw.replace(b'"case_no"', b'"case_nX"', 3))  # same size, broken lines
    loaded = PrecedentMemory.load(out, tokenizer=SpaceTokenizer())
    with pytest.raises(Exception, match="items.jsonl:1"):
        loaded.items[0]


def test_default_tokenizer_is_the_article_index_tokenizer():
    tokenize = pytest.importorskip("legalret.index.tokenize")
    memory = build_memory(precedents())
    assert isinstance(memory.tokenizer, tokenize.KiwiTokenizer)
    # morphological tokens let an inflected question match the holding
    ranking = MemoryVoter(memory).search("불법행위 손해배상청구권은 언제 소멸시효가 시작되나", k=3)
    assert ranking[0][0] == "민법 제766조"


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory):
    tiny = pytest.importorskip("legalret.models.tiny")
    encoder_mod = pytest.importorskip("legalret.models.encoder")
    texts = [h["text"] for p in precedents() for h in p["holdings"]] * 3
    path = tiny.build_tiny_model(tmp_path_factory.mktemp("tiny"), texts=texts)
    return encoder_mod.load_encoder(f"local:{path}") if not Path(str(path)).is_dir() else encoder_mod.load_encoder(str(path))


def test_dense_memory_round_trip_and_fingerprint_guard(tmp_path, tiny_encoder):
    memory = build_memory(precedents(), encoder=tiny_encoder, tokenizer=SpaceTokenizer())
    assert memory.has_dense and memory.embeddings.shape == (len(memory), tiny_encoder.dim)
    assert np.allclose(np.linalg.norm(memory.embeddings, axis=1), 1, atol=1e-4)
    for mode in ("dense", "hybrid"):
        retriever = MemoryVoter(memory, mode=mode)
        res = retriever.explain(QUERY, k=10, before=date(2015, 1, 1), exclude="2010다3003")
        assert res.dense_top is not None and res.votes
        assert all(h.item.decided < date(2015, 1, 1) and h.item.case_no != "2010다3003" for h in res.holdings)
    out = memory.save(tmp_path / "dense")
    loaded = PrecedentMemory.load(out, encoder=tiny_encoder, tokenizer=SpaceTokenizer())
    assert np.array_equal(loaded.embeddings, memory.embeddings)
    assert MemoryVoter(loaded).search(QUERY, k=5) == MemoryVoter(memory).search(QUERY, k=5)
    part = build_memory(precedents()[:3], encoder=tiny_encoder, tokenizer=SpaceTokenizer())
    add_precedents(part, precedents()[3:])
    # only the new holdings were encoded, and each row still belongs to its holding (batch padding → ~1e-5)
    vec = {it.holding_id: v for it, v in zip(memory.items, memory.embeddings)}
    assert all(np.allclose(v, vec[it.holding_id], atol=1e-3) for it, v in zip(part.items, part.embeddings))

    class OtherEncoder:
        fingerprint = "some-other-model"

    with pytest.raises(IndexError_, match="rebuild the memory"):
        PrecedentMemory.load(out, encoder=OtherEncoder(), tokenizer=SpaceTokenizer())
    corrected = precedents()[:1]  # (a changed record: the stored one again would leave the memory as it is)
    corrected[0]["holdings"][0]["text"] += " (정정)"
    with pytest.raises(IndexError_, match="same encoder"):
        add_precedents(PrecedentMemory.load(out, tokenizer=SpaceTokenizer()), corrected)


def test_loaded_items_are_parsed_on_demand_and_the_cache_stays_bounded(tmp_path):
    """A long-running server reads scattered items query after query: the parsed-item cache keeps at most
    ``cache_size`` of them (least recently used dropped) and an evicted item reads back the same."""
    from legalret.memory.format import ItemStore

    memory = build_memory(precedents(), tokenizer=SpaceTokenizer())
    memory.save(tmp_path / "m")
    loaded = PrecedentMemory.load(tmp_path / "m", tokenizer=SpaceTokenizer())
    store = loaded.items
    assert isinstance(store, ItemStore) and len(store) == len(memory)
    store.cache_size = 2
    want = [(it.case_no, it.index, it.text, it.keys) for it in memory.items]
    for _ in range(2):  # the second pass re-parses what the bounded cache dropped
        assert [(it.case_no, it.index, it.text, it.keys) for it in store] == want
        assert len(store._cache) == 2
    assert store[0] is store[0]  # a cached item is the same object while it stays cached


def test_shared_tokens_is_the_set_intersection_in_the_same_order(tmp_path):
    """shared_tokens compares token ids; it must give the very set ``tokens & set(tokens_of(row))`` gives,
    iterating in the same order (memory coverage sums idf over it), for short and long query token sets."""
    built = build_memory(precedents(), tokenizer=SpaceTokenizer())
    built.save(tmp_path / "m")
    loaded = PrecedentMemory.load(tmp_path / "m", tokenizer=SpaceTokenizer())
    for memory in (built, loaded):
        vocab = sorted({t for row in range(len(memory)) for t in memory.tokens_of(row)})
        for row in range(len(memory)):
            own = memory.tokens_of(row)
            for query in (set(own[:2]), set(own[:3]) | {"없는말"}, set(own) | {"없는말", "또없는말"}, set(vocab[::3]),
                          {"없는말"}, set()):
                want = query & set(own)
                got = memory.shared_tokens(row, query)
                assert got == want and list(got) == list(want)


def test_query_encoder_is_passed_in_and_loaded_on_the_first_dense_query(tmp_path, tiny_encoder):
    from legalret.index.encoders import QueryEncoderSlot

    out = build_memory(precedents(), encoder=tiny_encoder, tokenizer=SpaceTokenizer()).save(tmp_path / "dense")
    loads = []
    slot = QueryEncoderSlot(load=lambda: loads.append(1) or tiny_encoder)
    loaded = PrecedentMemory.load(out, tokenizer=SpaceTokenizer(), query_encoder=slot)
    assert loads == [] and loaded.encoder is None  # opening a memory loads no model
    want = MemoryVoter(PrecedentMemory.load(out, encoder=tiny_encoder, tokenizer=SpaceTokenizer()), mode="dense")
    assert MemoryVoter(loaded, mode="dense").search(QUERY, k=5) == want.search(QUERY, k=5)
    MemoryVoter(loaded, mode="dense").search(QUERY, k=5)
    assert loads == [1]  # once, by the slot it was given

    class OtherEncoder:
        fingerprint = "some-other-model"

    wrong = PrecedentMemory.load(out, tokenizer=SpaceTokenizer(), query_encoder=QueryEncoderSlot(encoder=OtherEncoder()))
    with pytest.raises(IndexError_, match="rebuild the memory"):
        wrong.encode_query(QUERY)
    bm25_only = build_memory(precedents(), tokenizer=SpaceTokenizer()).save(tmp_path / "bm25")
    assert PrecedentMemory.load(bm25_only, tokenizer=SpaceTokenizer(), query_encoder=slot).query_encoder is None


def test_item_and_citation_dicts_are_what_asdict_gave():
    """``MemoryItem.to_dict`` / ``Citation.to_dict`` are written field by field (asdict's deep copies were seconds
    of every build): the same dicts as before, and copies — changing one leaves the item as it was."""
    from dataclasses import asdict

    from legalret.memory.format import MemoryItem
    from legalret.precedents.citations import Citation, citation_dict

    c = Citation("민법", 320, paragraph=1, raw="민법 제320조 제1항")
    assert c.to_dict() == asdict(c) == citation_dict(c) and citation_dict(asdict(c)) == asdict(c)
    item = MemoryItem("2018다2002", date(2018, 5, 2), 1, "유치권", ["민법 제320조"], citations=[asdict(c)], cited=["민법 제320조"])
    expected = asdict(item)
    expected["decided"] = "2018-05-02"
    d = item.to_dict()
    assert d == expected
    d["keys"].append("x")
    d["citations"][0]["law"] = "상법"
    assert item.keys == ["민법 제320조"] and item.citations[0]["law"] == "민법"
    bare = MemoryItem("2018다2002", date(2018, 5, 2), 1, "유치권", ["민법 제320조"]).to_dict()
    assert "citations" not in bare and "cited" not in bare
