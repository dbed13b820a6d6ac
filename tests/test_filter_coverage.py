"""A search under a law or kind filter whose articles hold none of the query's words says so, and its hits read no
relevance (legalret.search.coverage.filtered_notes, BM25Engine.occurs, serve.wording.lawyer_view)."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.index import build_index  # noqa: E402
from legalret.search.coverage import NOTHING_IN_FILTER, NOTHING_MATCHED, filtered_notes  # noqa: E402
from legalret.search.searcher import Searcher  # noqa: E402
from legalret.serve.wording import lawyer_view  # noqa: E402


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    d = tmp_path_factory.mktemp("filtered") / "idx"
    build_index(sup.articles(), d, encoder=sup.tiny_encoder())
    return Searcher(d, encoder=sup.tiny_encoder())


def _filtered(notices):
    return [n for n in notices if n.startswith(NOTHING_IN_FILTER)]


def test_occurs_reads_the_postings_inside_the_mask(searcher):
    engine = searcher.retriever("bm25").engine
    civil = searcher.filters.mask(["민법"], None)
    commercial = searcher.filters.mask(["상법"], None)
    assert engine.occurs(["보험", "유치권", "없는낱말"], commercial) == ["보험"]
    assert engine.occurs(["보험", "유치권", "없는낱말"], civil) == ["유치권"]
    assert engine.occurs(["보험"], np.zeros(len(civil), dtype=bool)) == []


def test_a_filter_whose_articles_hold_no_word_of_the_query_is_said(searcher):
    res = searcher.search("보험계약자 고지의무", laws="민법", k=3)
    note, = _filtered(res.notices)
    assert note.startswith(f"{NOTHING_IN_FILTER} (민법): no article of it contains '보험'") and "'고지'" in note
    assert note.startswith(NOTHING_MATCHED)  # (the page's and the API's guesses rule reads this prefix)
    assert len(res) == 3  # the hits are still listed, as the nearest guesses
    hits = lawyer_view([h.to_dict() for h in res])  # (each hit's relevance: the searcher's)
    assert [h["relevance"] for h in hits] == [None, None, None]  # … with no number that reads like an answer's
    # the same words without the filter, or under the law that has them: nothing to say
    assert _filtered(searcher.search("보험계약자 고지의무", k=3).notices) == []
    assert _filtered(searcher.search("보험계약자 고지의무", laws="상법", k=3).notices) == []


def test_one_word_inside_the_filter_is_enough_and_a_law_name_is_no_word(searcher):
    assert _filtered(searcher.search("보험 유치권", laws="민법", k=3).notices) == []
    assert _filtered(searcher.search("민법 보험", laws="민법", k=3).notices) != []  # (민법 is the filter's name)
    assert _filtered(searcher.search("민법 제750조 보험", laws="민법", k=3).notices) == []  # a citation speaks for it


def test_a_kind_filter_is_named_in_the_notice(searcher):
    note, = _filtered(searcher.search("유치권 간접점유", kinds="시행령", k=3).notices)
    assert "within the filter (시행령)" in note


def test_filtered_notes_alone():
    assert filtered_notes([], lambda words: [], "민법") == []
    assert filtered_notes(["상법"], lambda words: [], "민법", is_law=lambda w: w == "상법") == []
    assert filtered_notes(["보험"], lambda words: ["보험"], "민법") == []
    note, = filtered_notes(["보험", "해지"], lambda words: [], "민법, 법률")
    assert note.startswith("nothing in the query matched this index within the filter (민법, 법률): no article of it "
                           "contains '보험', '해지'; any hits")
