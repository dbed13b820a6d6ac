"""An add that loads no encoder when it encodes nothing, Hanja names in ``index remove``, and a removed law's notice
(session 19, second pass).

1. ``index add`` loaded the index's encoder (5–7 s "load encoder") although every vector came from the previous
   generation or the vector cache ("tokenized 0, encoded 0": a removed law added back, a renamed law re-added). It
   loads it only when some text has a vector in neither — on the background thread, beside the merge and the
   tokenizing, as before — or when the dense memory asks for it.
2. ``index remove 民法`` was a usage error without a suggestion, where ``search --law 民法`` reads 민법: the removal
   reads a Hanja name as the law filter does.
3. A search citing (or filtering by) a law ``index remove`` removed said "not in this index (add it with …)", as if
   the index had never held it: it says the law was removed on purpose, and that a rollback or an add brings it back.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from legalret import pipeline
from legalret.errors import LegalretError
from legalret.index.store import UnknownLaw, held_laws_named, load_index
from legalret.keys import LawNames
from legalret.search.citations import unresolved_citations

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402


# ---- 1. an add whose vectors are all at hand loads no encoder ------------------------------------------------------
@pytest.fixture()
def dense_index(tmp_path, monkeypatch) -> Path:
    """The hand-written fixture with the tiny encoder's vectors, and a vector cache of its own (the suite's is off)."""
    monkeypatch.setenv("LEGALRET_VECTOR_CACHE", str(tmp_path / "vectors"))
    index = tmp_path / "dense"
    pipeline.build(sup.articles(), index, encoder=sup.tiny_encoder())
    return index


def _commercial() -> list:
    return [a for a in sup.articles() if a.law == "상법"]


def _loads(monkeypatch) -> list[str]:
    """Replace the add's encoder load with the tiny encoder, noting the thread of each load."""
    import legalret.index.build as build

    threads: list[str] = []

    def load(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return sup.tiny_encoder()

    monkeypatch.setattr(build, "_encoder_for_existing", load)
    return threads


def _vectors(index: Path) -> dict:
    data = load_index(index)
    return dict(zip(data.row_hashes, np.asarray(data.dense.vectors)))


def test_a_removed_law_added_back_takes_its_vectors_from_the_cache_and_loads_no_encoder(dense_index, monkeypatch):
    before, encoder = _vectors(dense_index), load_index(dense_index).manifest["encoder"]
    pipeline.remove(["상법"], dense_index)  # (its vectors go to the vector cache, under the recorded fingerprint)
    import legalret.index.build as build

    def refused(*args, **kwargs):
        raise AssertionError("the add loaded the encoder (or asked torch for the runtime) to encode nothing")

    monkeypatch.setattr(build, "_encoder_for_existing", refused)
    monkeypatch.setattr(build, "_check_requested_runtime", refused)
    report = pipeline.add(_commercial(), dense_index)
    assert report.wrote and report.added > 0
    assert (report.encoded, report.vectors_cached) == (0, report.added - sum(a.deleted for a in _commercial()))
    assert "load encoder" not in report.timings
    after = _vectors(dense_index)
    assert after.keys() == before.keys()
    assert all(np.array_equal(after[h], before[h]) for h in before)  # the very vectors it had
    assert load_index(dense_index).manifest["encoder"] == encoder


def test_an_add_with_new_text_loads_the_encoder_on_its_thread_as_before(dense_index, monkeypatch):
    threads = _loads(monkeypatch)
    changed = sup.amended(_commercial()[0], "상인은 새로 정한 바에 따라 장부를 작성하여야 한다.")
    report = pipeline.add([changed], dense_index, remove_missing=False)
    assert report.changed == 1 and report.encoded == 1
    assert len(threads) == 1 and threads[0].startswith("legalret-encoder")  # (beside the merge and the tokenizing)


def test_a_cached_vector_gone_bad_after_the_check_loads_the_encoder_rather_than_fail(dense_index, monkeypatch):
    """The check reads the cache's index of hashes; a chunk found damaged when its vectors are read costs the load,
    not the add."""
    import legalret.index.build as build

    threads = _loads(monkeypatch)
    monkeypatch.setattr(build, "_needs_encoding", lambda *args: False)  # (as if a new text were in the cache)
    changed = sup.amended(_commercial()[0], "상인은 다시 정한 바에 따라 장부를 작성하여야 한다.")
    report = pipeline.add([changed], dense_index, remove_missing=False)
    assert report.encoded == 1 and len(threads) == 1
    data = load_index(dense_index)
    assert len(data.row_hashes) == np.asarray(data.dense.vectors).shape[0]


def test_the_parts_still_get_the_encoder_when_they_ask_for_it(dense_index, monkeypatch):
    """The dense memory embeds new holdings: ``ctx.encoder()`` loads it though the articles need none."""
    from legalret.index.build import add_to_index

    pipeline.remove(["상법"], dense_index)
    threads = _loads(monkeypatch)
    got = []
    report = add_to_index(_commercial(), dense_index, parts=lambda ctx: got.append(ctx.encoder()))
    assert report.encoded == 0 and got == [sup.tiny_encoder()] and len(threads) == 1


def test_the_text_hashed_for_the_check_is_not_hashed_again(dense_index, monkeypatch):
    import legalret.index.build as build

    pipeline.remove(["상법"], dense_index)
    calls = []
    real = build._text_and_hash
    monkeypatch.setattr(build, "_text_and_hash", lambda a: (calls.append(a.key), real(a))[1])
    report = pipeline.add(_commercial(), dense_index)
    assert report.encoded == 0 and len(calls) == len(set(calls))


# ---- 2. a Hanja name in index remove ----------------------------------------------------------------------------
def test_held_laws_named_reads_hanja_as_the_law_filter_does():
    manifest = {"laws": {"민법": {}, "상법": {}}, "removed_laws": {"형법": "001692"}}
    assert held_laws_named(manifest, ["民法", "商 法", "민법"], "idx") == ["민법", "상법"]
    with pytest.raises(UnknownLaw) as caught:
        held_laws_named(manifest, ["刑法"], "idx")
    assert caught.value.name == "刑法 (형법)" and caught.value.removed
    assert str(caught.value) == ("idx: no law '刑法 (형법)' in this index (it was removed already "
                                 "(`legalret index remove`)); nothing was written")
    with pytest.raises(UnknownLaw) as caught:  # (a near name is offered for the reading)
        held_laws_named({"laws": {"민법": {}}}, ["民法典"], "idx", suggest=lambda name, names: [f"read {name}"])
    assert caught.value.suggestions == ["read 민법전"]


def test_index_remove_takes_a_hanja_name(tmp_path):
    from test_renamed_law_s18 import _cli, _report

    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none")
    r = _cli("index", "remove", "商法", "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    assert list(_report(r)["removed_laws"]) == ["상법"]
    r = _cli("index", "remove", "商法", "--index", str(index))
    assert r.exit_code == 2 and "no law '商法 (상법)'" in r.output and "it was removed already" in r.output


# ---- 3. a removed law's notice ----------------------------------------------------------------------------------
def test_a_citation_of_a_removed_law_says_it_was_removed_and_how_to_bring_it_back(tmp_path):
    names = LawNames(["민법"])
    names.add_removed(["상법"])
    names.index_dir = tmp_path / "idx"
    [note] = unresolved_citations("상법 제1조", names)
    assert note.startswith("'상법 제1조': 상법 is not in this index (it was removed from this index on purpose "
                           "(`legalret index remove`); `legalret index add ")
    # the law alone from the mirror, never its corpus (civil-commercial would read 민법 again, undoing local edits);
    # the rollback only while the removal is the latest change (after a later add it undoes that add instead)
    assert " --law 상법 --index " in note and "index add civil-commercial" not in note
    assert note.endswith(" brings it back (`legalret index rollback --index "
                         f"{(tmp_path / 'idx').resolve()}` undoes the removal while it is the latest change))")
    assert str((tmp_path / "idx").resolve()) in note
    # a law never held is offered the add, as before
    assert "add it with `legalret index add" in unresolved_citations("형법 제250조", names)[0]
    # held again: not removed
    names.add("상법")
    assert names.removed_name("상법") is None and unresolved_citations("상법 제1조", names) == []


def test_a_search_of_a_removed_law_says_it_was_removed(tmp_path):
    from legalret.search.searcher import Searcher

    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none")
    pipeline.remove(["상법"], index)
    searcher = Searcher(index)
    assert searcher.law_names.removed == {"상법": "상법"}  # (read from the manifest once, with the searcher)
    notices = searcher.search("상법 제1조 상사", k=3).notices
    assert any(n.startswith("'상법 제1조': 상법 is not in this index (it was removed from this index on purpose")
               for n in notices), notices
    for written in ("상법", "商法", "상 법"):
        with pytest.raises(LegalretError) as caught:
            searcher.resolve_laws(written)
        message = str(caught.value)
        assert "not in this index (it was removed from this index on purpose (`legalret index remove`)" in message
        assert "legalret index rollback" in message and "add it with" not in message
    pipeline.add([a for a in sup.articles() if a.law == "상법"], index)
    again = Searcher(index)
    assert again.law_names.removed == {} and again.resolve_laws("상법") == ["상법"]
