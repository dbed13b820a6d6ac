"""Does the query match the corpus at all? A notice when it does not, so nobody trusts a confident-looking guess.

The dense retriever and the re-ranker always return *something*: a made-up word ("퀘이사르프로브 시험용") still
gets 민법 제750조 with a high score. What betrays such a query is the BM25 vocabulary — every word of every
article of the index: when none of the query's words occurs in it, nothing in the query matched, and when
fewer than :data:`LOW_COVERAGE` of them do, the hits rest on a small part of what was asked. Either way the
searcher adds one notice, which the CLI, the API and the web page show like every other. A word no article has but
the precedent memory's holdings do ("택배", "수리비" on a 민법+상법 index) is not counted against the query: the memory
answers from the decisions that use it. A query with no Korean at all ("What is a lien?") gets its own notice instead:
its English words match holdings that quote English ("is", "the"), and the hits would look like answers.

Usage::

    from legalret.search.coverage import coverage_notes

    coverage_notes(["퀘이사르프로브", "시험용"], vocabulary)   # ["nothing in the query matched this index: …"]
    coverage_notes(["유치권", "점유"], vocabulary)             # []
    coverage_notes(["what", "is", "a", "lien"], vocabulary, text="What is a lien?")  # [NOT_KOREAN + " …"]
"""

from __future__ import annotations

import re
from typing import Callable, Container, Sequence

from legalret.search.citations import cited_law_names
from legalret.text import compact

#: Below this share of the query's distinct words found in the corpus, the hits get a "low coverage" notice.
LOW_COVERAGE = 0.5
#: How many unmatched words a notice names, and at most how many characters of each (a pasted run of 400,000 '가'
#: is one "word").
SHOWN = 5
SHOWN_CHARS = 30
#: How the notice for a query none of whose words occurs in the corpus begins (the page and the API's relevance read it).
NOTHING_MATCHED = "nothing in the query matched this index"
#: How the notice for a query with no Korean in it begins (a query in English, or any other language): it begins with
#: :data:`NOTHING_MATCHED`, so the page and the API's relevance read it as they read that one.
NOT_KOREAN = NOTHING_MATCHED + ": the query has no Korean words"
#: How the notice for a filtered search none of whose words occurs in the filtered articles begins
#: (:func:`filtered_notes`): with :data:`NOTHING_MATCHED`, so the page reads it as that one.
NOTHING_IN_FILTER = NOTHING_MATCHED + " within the filter"
#: Hangul (syllables, jamo, compatibility jamo) or Hanja (CJK ideographs: 民法 is read in Hangul before this).
_KOREAN = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def is_korean(text: str) -> bool:
    """Does ``text`` hold any Hangul or Hanja?"""
    return _KOREAN.search(text) is not None


def coverage(tokens: Sequence[str], vocabulary: Container[str],
             is_law: Callable[[str], bool] | None = None) -> tuple[list[str], list[str]]:
    """The query's distinct words split into (found in the corpus, not found), in query order; a word ``is_law``
    accepts (the name of a law the index holds: "상법" occurs in no article's text) counts as found."""
    words = list(dict.fromkeys(tokens))
    known = [w in vocabulary or bool(is_law and is_law(w)) for w in words]
    return [w for w, k in zip(words, known) if k], [w for w, k in zip(words, known) if not k]


def without_cited_laws(tokens: Sequence[str], text: str) -> list[str]:
    """``tokens`` (of ``text``) less those that are a cited law's name as ``text`` writes it, or a piece of one
    (:func:`legalret.search.citations.cited_law_names`: 근로기준법, 근로, 기준법 of "근로기준법 제23조")."""
    names = [compact(name) for name in cited_law_names(text)]
    return [t for t in tokens if not (names and compact(t) and any(compact(t) in name for name in names))]


def _shown(words: Sequence[str]) -> str:
    cut = [w if len(w) <= SHOWN_CHARS else w[:SHOWN_CHARS] + "…" for w in words[:SHOWN]]
    return ", ".join(f"'{w}'" for w in cut) + (" …" if len(words) > SHOWN else "")


def coverage_notes(tokens: Sequence[str], vocabulary: Container[str],
                   is_law: Callable[[str], bool] | None = None,
                   precedents: Callable[[], Container[str] | None] | None = None,
                   text: str | None = None, query: str | None = None) -> list[str]:
    """At most one notice about how little of the query occurs in the corpus (``[]`` when enough does).

    ``text``: the query as searched (Hanja read, short names written out). When it has letters but neither Hangul nor
    Hanja, the notice is :data:`NOT_KOREAN`'s, whatever its words match: "What is the penalty for murder?" matches
    holdings that quote English through "is" and "the", and had been answered with 민법 제590조 without a word.

    ``precedents``: a function giving the words of the earlier holdings the precedent memory searches. A word no
    article has but those holdings do is not a guess — the memory finds decisions that use it and shows the articles
    they cite —: it counts as matched, and a query whose every word is of that kind gets a notice saying so.

    The words of a law's name the query writes before an article it cites (:func:`without_cited_laws`: 형법 of
    "형법 제250조", and its pieces, 근기 and 법 of "근기법 23조") are not counted: a law the index lacks has its own
    notice, and "no article contains '형법'" beside it had read as a second finding, about the question's words.
    ``query``: the query as searched when ``text`` is not given (a query with a citation the index resolves is never
    read as English: "민법 제750조 근로기준법 제23조" — its cited laws' names are left out all the same). A cited law the
    index holds is a word that matched, though: the query is never "nothing matched" beside its exact citation ("민법
    제750조, 상볍 제1조" had been, under hit 1, 민법 제750조 — the mistyped 상볍 has its own "did you mean")."""
    cited_held: list[str] = []
    if query or text:
        cited_held = [name for name in cited_law_names(query or text) if is_law and is_law(name)]
        tokens = without_cited_laws(tokens, query or text)
    if not tokens:
        return []  # no searchable words at all (or only a cited law's name): the searcher says so itself
    found, missing = coverage(tokens, vocabulary, is_law)
    found = cited_held + found
    if text is not None and not is_korean(text) and any(ch.isalpha() for ch in text):
        # (begins with NOT_KOREAN, written out as the notice below is: tests/test_page_notices.py reads it; the words
        # no article contains are named as the other notice names them, which the page quotes)
        contains = f", and no article contains {_shown(missing)}" if missing else ""
        return [f"nothing in the query matched this index: the query has no Korean words (Hangul or Hanja){contains}; "
                "legalret searches Korean statutes in Korean, so any hits are only guesses — ask in Korean, "
                "e.g. '불법행위 손해배상' or '민법 제750조'"]
    if not missing:
        return []
    held = precedents() if precedents is not None else None
    in_held = [w for w in missing if held is not None and w in held]
    unknown = [w for w in missing if w not in in_held]
    if not found:
        # words only earlier holdings use count when they are at least half the query's: '<img src=x onerror=…>'
        # (only 'x' in a holding, "안기부 X파일") had been answered as decisions' articles, at relevance 97
        if in_held and len(in_held) >= len(unknown):
            return [f"no article contains {_shown(missing)}: the hits are the articles earlier decisions using "
                    f"{_shown(in_held)} cite"]
        # (begins with NOTHING_MATCHED, written out: tests/test_page_notices.py reads the page's patterns against it)
        return [f"nothing in the query matched this index: no article contains {_shown(missing)}; any hits are "
                "only the nearest guesses — check the spelling or ask in other words"]
    share = (len(found) + len(in_held)) / (len(found) + len(missing))
    if share < LOW_COVERAGE:
        return [f"most of the query matched nothing in this index ({_shown(unknown)} occur in no article); the hits rest on "
                + _shown(found + in_held) + " alone"]
    return []


def filtered_notes(tokens: Sequence[str], occurs: Callable[[Sequence[str]], list[str]], where: str,
                   is_law: Callable[[str], bool] | None = None, text: str | None = None) -> list[str]:
    """At most one notice for a search under a law or kind filter (``where``: the filter, as the notice names it)
    when no article inside it holds any of the query's words (``occurs``: the words some filtered article holds).

    :func:`coverage_notes` reads the whole index's words: "보험계약자 피보험자" under ``--law 민법`` matched 상법's
    articles, so nothing was said, while no 민법 article has any of its words and the top hit, 민법 제105조, read
    relevance 95. A law's name is no word of the question (``민법`` under ``--law 민법``). Unlike the whole index's
    check, a word the precedent memory's holdings use does not keep the notice away: those holdings are the other
    laws' decisions (보험계약자: 상법's), and what they cite inside the filter is incidental. The notice begins with
    :data:`NOTHING_MATCHED`, so the page and the API's relevance read the hits as the guesses they are. ``text``: the
    query as searched, whose cited laws' names are no words of the question either (:func:`without_cited_laws`: 형법
    of "형법 제250조" under ``--law 민법`` has its own notice, that 형법 is not in this index)."""
    if text:
        tokens = without_cited_laws(tokens, text)
    words = [w for w in dict.fromkeys(tokens) if not (is_law and is_law(w))]
    if not words or occurs(words):
        return []
    # (begins with NOTHING_IN_FILTER, written out: tests/test_page_notices.py reads the page's patterns against it)
    return [f"nothing in the query matched this index within the filter ({where}): no article of it contains "
            f"{_shown(words)}; any hits are only the nearest guesses — widen the filter or ask in other words"]
