"""Issue 21 (13): a query none of whose words occurs in the corpus gets a notice instead of a confident guess."""

import sys
from pathlib import Path

import pytest

from legalret.search.coverage import LOW_COVERAGE, NOTHING_MATCHED, coverage, coverage_notes

VOCAB = {"유치권", "점유", "간접", "간접점유", "손해", "배상", "시험"}


def test_nothing_matched():
    (note,) = coverage_notes(["퀘이사르프로브", "블라쿠쿠"], VOCAB)
    assert note.startswith(NOTHING_MATCHED) and "'퀘이사르프로브', '블라쿠쿠'" in note


def test_low_coverage_names_what_did_and_did_not_match():
    assert LOW_COVERAGE == 0.5
    (note,) = coverage_notes(["퀘이사르프로브", "시험", "시험용"], VOCAB)  # 1 of 3 words
    assert note.startswith("most of the query matched nothing") and "'시험' alone" in note and "'시험용'" in note
    assert coverage_notes(["퀘이사르프로브", "유치권"], VOCAB) == []  # half: enough to trust the ranking
    assert coverage_notes(["유치권", "간접점유", "점유"], VOCAB) == []
    assert coverage_notes([], VOCAB) == []  # no words at all: the searcher's own notice covers it


def test_coverage_splits_distinct_words_in_order():
    assert coverage(["점유", "가나", "점유", "유치권"], VOCAB) == (["점유", "유치권"], ["가나"])


def test_searcher_adds_the_notice_once(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
    import index_support as sup

    from legalret.index import build_index
    from legalret.search.searcher import Searcher

    build_index(sup.articles(), tmp_path / "idx", model="none")
    s = Searcher(tmp_path / "idx")
    res = s.search("퀘이사르프로브 블라쿠쿠", k=3)
    assert sum(n.startswith("nothing in the query matched") for n in res.notices) == 1
    assert not any("matched" in n for n in s.search("간접점유 점유권", k=3).notices)
    assert not any("matched" in n for n in s.search("민법 제750조", k=3).notices)  # a citation alone: no words to check
    with pytest.raises(Exception):
        s.search("   ")


def test_a_law_name_counts_as_matched_and_long_words_are_cut():
    """"상법" occurs in no article's text, yet the index holds 상법: naming the law is not a misspelling. A pasted run
    of one syllable is one "word": the notice shows its first SHOWN_CHARS characters, not 400,000."""
    from legalret.search.coverage import SHOWN_CHARS

    is_law = {"상법", "민법"}.__contains__
    assert coverage_notes(["상법"], VOCAB, is_law=is_law) == []
    assert coverage_notes(["상법"], VOCAB)[0].startswith("nothing in the query matched")  # without the law names
    (note,) = coverage_notes(["가" * 400_000], VOCAB)
    assert f"'{'가' * SHOWN_CHARS}…'" in note and len(note) < 300


def test_the_searcher_knows_its_laws_names(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
    import index_support as sup

    from legalret.index import build_index
    from legalret.search.searcher import Searcher

    build_index(sup.articles(), tmp_path / "idx", model="none")
    s = Searcher(tmp_path / "idx")
    assert not any("matched" in n for n in s.search("상법", k=3).notices)
    assert any(n.startswith("nothing in the query matched") for n in s.search("형법", k=3).notices)


def test_words_only_earlier_holdings_use_are_not_guesses():
    """"택배 배달" on a 민법+상법 index: no article has the words, but holdings do, and the memory answers from them —
    not "the nearest guesses". Such words count as matched; a query of nothing else gets its own notice."""
    held = {"택배", "배달", "수리비"}
    (note,) = coverage_notes(["택배", "배달"], VOCAB, precedents=lambda: held)
    assert note.startswith("no article contains '택배', '배달': the hits are the articles earlier decisions")
    assert not note.startswith(NOTHING_MATCHED)
    assert coverage_notes(["택배", "배달", "점유"], VOCAB, precedents=lambda: held) == []  # 3 of 3 matched somewhere
    assert coverage_notes(["퀘이사르", "블라쿠", "수리비", "점유"], VOCAB, precedents=lambda: held) == []  # 2 of 4: half
    assert coverage_notes(["퀘이사르", "블라쿠", "퀘이", "수리비", "점유"], VOCAB, precedents=lambda: held)[0].startswith(
        "most of the query matched nothing in this index ('퀘이사르', '블라쿠', '퀘이' occur in no article); the hits "
        "rest on '점유', '수리비' alone")
    assert coverage_notes(["zzqqxx"], VOCAB, precedents=lambda: held)[0].startswith(NOTHING_MATCHED)
    # one held word among unknown ones is no answer from decisions: '<img src=x onerror=alert(1)>' (only 'x' is in a
    # holding) had been "the articles earlier decisions using these words cite", at relevance 97
    held.add("x")
    assert coverage_notes(["img", "src", "x", "onerror", "alert"], VOCAB, precedents=lambda: held)[0].startswith(
        NOTHING_MATCHED)
    (note,) = coverage_notes(["택배", "퀘이사르"], VOCAB, precedents=lambda: held)  # half held: the decisions answer
    assert note.endswith("earlier decisions using '택배' cite")
