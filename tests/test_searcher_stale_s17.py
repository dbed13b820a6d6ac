"""A long-lived :class:`Searcher` says when the index moved on (and when its generation was pruned) instead of
quoting the old text in silence; ``legalret.LiveSearcher`` follows an ``index add`` made in the same process."""

import json
import shutil
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

import legalret  # noqa: E402
from legalret import pipeline  # noqa: E402
from legalret.search.searcher import Searcher  # noqa: E402

PET = "반려동물에 의한 손해도 같다."


def _civil(text: str) -> list:
    """The 민법 articles of the fixture with 제750조 amended to ``text`` (what ``index add`` of a new 민법 reads)."""
    return [sup.amended(a, text) if a.number == 750 else a for a in sup.articles() if a.law == "민법"]


def _current(index: Path) -> str:
    return json.loads((index / "CURRENT").read_text(encoding="utf-8"))["generation"]


def _stale(res) -> list[str]:
    return [n for n in res.notices if n.startswith("this searcher reads ")]


@pytest.fixture()
def index(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGALRET_KEEP_GENERATIONS", "3")  # (the default: three adds prune the first generation)
    d = tmp_path / "idx"
    pipeline.build(sup.articles(), d, model="none")
    return d


def test_an_old_searcher_says_the_index_moved_on_and_that_its_generation_was_removed(index):
    searcher = Searcher(index)
    first = searcher.generation
    assert first == _current(index) and searcher.search("불법행위 손해배상", k=3, mode="bm25").notices == []

    pipeline.add(_civil(PET), index, model="none")
    second = _current(index)
    res = searcher.search("민법 제750조", k=1, mode="bm25")
    assert PET not in res[0].article.body_text()  # (it still reads its own generation …)
    assert _stale(res) == [f"this searcher reads {first}; the index is at {second} now — its answers may quote "
                           "text that has changed since (reopen it, or use legalret.LiveSearcher to follow updates)"]

    for text in ("반려동물에 의한 손해도 같다. 제2판", "반려동물에 의한 손해도 같다. 제3판"):
        pipeline.add(_civil(text), index, model="none")
    assert not (index / first).exists()  # pruned; its files stay open in the searcher
    latest = _current(index)
    # every mode (a BM25-only index: the fused ones are BM25), a citation alone (no retriever runs), a batch
    for mode in ("hybrid", "convex", "rrf", "bm25"):
        res = searcher.search("불법행위 손해배상", k=3, mode=mode)
        assert res.keys and _stale(res) == [
            f"this searcher reads {first} ({first} was removed); the index is at {latest} now — its answers may "
            "quote text that has changed since (reopen it, or use legalret.LiveSearcher to follow updates)"]
    cited = searcher.search("민법 제750조", k=1)
    assert cited.keys == ["민법 제750조"] and PET not in cited[0].article.body_text() and len(_stale(cited)) == 1
    assert all(len(_stale(r)) == 1 for r in searcher.search_batch(["유치권", "민법 제750조"], k=2, mode="bm25"))

    fresh = Searcher(index)  # reopened: the new text, and nothing to say
    res = fresh.search("민법 제750조", k=1, mode="bm25")
    assert "제3판" in res[0].article.body_text() and res.notices == [] and fresh.generation == latest


def test_a_missing_or_broken_pointer_is_no_notice_and_no_error(index):
    searcher = Searcher(index)
    live = _current(index)
    pointer = index / "CURRENT"
    saved = pointer.read_bytes()
    for broken in (b"\xff\xfe not json", b'{"generation": 7}', b"{}", b'{"generation": "gen-999999"}',
                   b'{"generation": "gen-\\u0000"}'):
        pointer.write_bytes(broken)  # garbage, or a generation not there (broken, or still being copied in)
        assert searcher.search("유치권", k=2, mode="bm25").notices == []
    pointer.unlink()
    assert searcher.search("유치권", k=2, mode="bm25").notices == []
    pointer.write_bytes(saved)  # back where it was: still nothing to say
    assert _current(index) == live and searcher.search("유치권", k=2, mode="bm25").notices == []
    # a generation copied in after its pointer: the notice once its folder is there
    shutil.copytree(index / live, index / "gen-000042")
    pointer.write_text(json.dumps({"generation": "gen-000042"}), encoding="utf-8")
    assert _stale(searcher.search("유치권", k=2, mode="bm25"))[0].startswith(
        f"this searcher reads {live}; the index is at gen-000042 now")


def test_the_check_costs_well_under_a_tenth_of_a_millisecond(index):
    searcher = Searcher(index)
    searcher.search("불법행위 손해배상", k=5, mode="bm25")  # warm
    n = 2000
    best = min(_per_call(searcher.moved_on, n) for _ in range(5))  # (best of five: other work on the machine)
    assert best < 1e-4, f"{best * 1e6:.1f} µs a check"
    pipeline.add(_civil(PET), index, model="none")
    assert searcher.moved_on() is not None
    best = min(_per_call(searcher.moved_on, n) for _ in range(5))  # moved on: a stat, a cached name, two is_dir
    assert best < 1e-4, f"{best * 1e6:.1f} µs a check"


def _per_call(fn, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def test_live_searcher_is_importable_from_legalret_and_follows_an_add_in_process(index):
    live = legalret.LiveSearcher(index)
    before = live.get().searcher.search("반려동물", k=3, mode="bm25")
    assert all(h.key != "민법 제750조" for h in before)
    pipeline.add(_civil(PET), index, model="none")
    gen = live.get()  # one stat: CURRENT moved, so this waits for the new generation
    after = gen.searcher.search("반려동물", k=3, mode="bm25")
    assert gen.name == _current(index) and after[0].key == "민법 제750조" and PET in after[0].article.body_text()
    assert _stale(after) == []
