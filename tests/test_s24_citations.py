"""``check_citation`` on a long passage takes time in proportion to it (s24).

An agent developer's passage of repeated citations took 37 s for 4,000 (``"민법 제750조 " × 4000``), 55 s for 500 bare
ones (``"민법 750 " × 500``) and 112 s for a 100,000-character passage, within the tool's own limit: for each law name
or bare number the parser read the whole text before it (``_whole_name``, ``_law_before`` via ``_bare_citations``),
and for each bare citation of a law the index lacks it parsed the whole text after it (``_bare_law_citations``); the
hint of an absent law was made again for each of its citations. Now each reads a window of a few hundred characters,
and a passage's absent-law hints are made once per law. The work is counted here (characters handed to the name
reader), not timed, so the test does not depend on the machine; the notices are the same as before.
"""

from __future__ import annotations

import re

import pytest

from legalret.keys import LawNames
from legalret.search import citations
from legalret.search.citations import _last_words, _window_start, find_citations, unresolved_citations

LAWS = LawNames(["민법", "상법"])
PASSAGE = "형법 250 및 근로기준법 23조, 민법 750 그리고 상법 제382조 제3항 "


def _work(text: str, monkeypatch) -> int:
    """Characters read by the law-name reader (``_law_before``) while a passage's citations are found and checked."""
    read = [0]
    real = citations._law_before

    def counted(segment, *args, **kwargs):
        read[0] += len(segment)
        return real(segment, *args, **kwargs)

    monkeypatch.setattr(citations, "_law_before", counted)
    find_citations(text, LAWS)
    unresolved_citations(text, LAWS)
    return read[0]


def test_the_work_grows_in_proportion_to_the_passage(monkeypatch):
    small, large = PASSAGE * 100, PASSAGE * 400
    work_small, work_large = _work(small, monkeypatch), _work(large, monkeypatch)
    # (it had been quadratic: 4× the passage, 16× the work)
    assert work_large <= 4.5 * work_small
    assert work_large <= 60 * len(large)


def test_a_long_passage_says_what_a_short_one_says():
    one = unresolved_citations(PASSAGE, LAWS)
    assert any("'형법 250': 형법 is not in this index" in n for n in one)
    assert any("근로기준법 is not in this index" in n for n in one)
    assert unresolved_citations(PASSAGE * 300, LAWS) == one  # (each notice once, the same words)
    keys = [c.key for c in find_citations(PASSAGE * 300, LAWS)]
    assert keys == [c.key for c in find_citations(PASSAGE, LAWS)] == ["민법 제750조", "상법 제382조"]


def test_a_name_is_still_read_whole_far_into_a_passage():
    """The windows keep what the whole text gave: a name with spaces (개인정보 보호법), a version note after a name, a
    name right after the window's cut."""
    filler = "가나다 " * 300
    notes = unresolved_citations(filler + "개인정보 보호법 39 위반", LAWS)
    assert any("'개인정보 보호법 39': 개인정보 보호법 is not in this index" in n for n in notes), notes
    cite = find_citations(filler + "민법 750", LAWS)
    assert [(c.key, c.raw) for c in cite] == [("민법 제750조", "민법 750")]
    far = "x" * 2000 + " 난민법 750"  # (a cut word must not read as another law: 난민법's 민법)
    assert find_citations(far, LAWS) == []


@pytest.mark.parametrize("text", ["", "a", " a  b\tc ", "개인정보 보호법", "x " * 20, "가\u3000나 다"])
def test_last_words_are_the_words_regex_finds(text):
    expected = [(w.start(), w.group()) for w in re.finditer(r"\S+", text)][-10:]
    assert _last_words(text, len(text), 10) == expected


def test_the_window_starts_after_a_space():
    text = "가나다라 " * 200
    start = _window_start(text, len(text), 400)
    assert start > 0 and text[start - 1] == " " and len(text) - start <= 400
    assert _window_start("짧은 글", 4) == 0
