"""A hit's 0–100 ``relevance``, and when its numbers are withheld: the one rule every interface shows.

The searcher sets :attr:`~legalret.search.results.Hit.relevance` (and blanks the ``probability`` of a guess) on each hit
it returns, so the Python API, ``legalret search`` (table and ``--json``), ``/api/search``, the web page, MCP and
LangChain all read the same number from the same place (the rule had lived in the server's wording, and a script
calling :class:`~legalret.search.searcher.Searcher` got 0.17 and 0.604 where every other interface said null).

``relevance``: 0–100 — hybrid, the learned re-ranker's probability that this article is the answer among the candidates
it scored (the hit's ``probability``: its softmax share; hits read 95–100 were right ~90% of the time, ~50 about half,
~9 one time in 8: benchmarks/results/relevance_calibration.md), else the score as a share of the answer's best; 100 for
an exact citation; never negative. None when the scores carry no such meaning, and for the *guesses* (:func:`rate`):
when none of the query's words occurs in the index (the hits are the nearest guesses: the notice says so), and when the
query cites a law the index lacks and none it holds (``근로기준법 제23조 부당해고`` on a 민법+상법 index: every hit is
another law's article; :func:`absent_law_guesses`). A guess's ``probability`` is None too: the number withheld is
withheld in every field (a script reading ``probability`` had got 0.86 for "가가가가").

Usage::

    from legalret.search.relevance import rate, rate_hits
    rate_hits(hits, learned=True, notices=notices)      # what the searcher does: sets hit.relevance, hit.guess
    rate([{"score": 2.0, "ranks": {"bm25": 1}}], learned=True)   # dicts alike: [Rating(relevance=88, guess=False)]
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple, Sequence

from legalret.search.coverage import NOT_KOREAN, NOTHING_IN_FILTER, NOTHING_MATCHED

if TYPE_CHECKING:
    from legalret.search.results import Hit

#: The notices of a law this index lacks (legalret.search.citations.unresolved_citations), anchored on the leading words
#: the page's translations use too (static/app.js): what the query wrote, quoted, then the law — not in this index, or
#: a name no law has whose nearest law is not in it. ``written`` holds a number where an article is cited ('형법 제250조',
#: '근기법 23': :func:`absent_law_guesses`); a law only named ('형법' of "형법상 횡령죄", '주택임대차보호볍') or a crime
#: ('사기죄, 처벌') may be named in passing, and only a short question naming it is about it (:func:`about_absent_law`).
#: (A law this index has but with an article it lacks — "cited article 민법 제9999조 is not in this index" — is not one:
#: its neighbours are in the index. Nor is a typo whose suggestion this index has: "did you mean 민법?" alone.)
_ABSENT_LAW = re.compile(r"^'(?P<written>[^']+)': (?:(?!no law is named).+? is not in this index"
                         r"|no law is named .+? \(did you mean .+?\? it is not in this index(?:; .*)?\))")
#: The Constitution cited ('헌법 제10조'): no index holds it.
_CONSTITUTION = re.compile(r"^'.+?': the Constitution \([^)]+\) is not in the statutes mirror")
#: The notices of a citation of a law this index holds whose article (or part) it lacks or reads so
#: (legalret.search.results.citation_hits: "cited article 민법 제9999조 is not in this index", "… has no 제2항"): the
#: query cites a law the index holds, though no hit is that citation.
_HELD_LAW = re.compile(r"^cited articles? ")
#: At most this many characters make a question short (:func:`about_absent_law`).
SHORT_QUESTION = 60

#: The signals that find a hit through the query's own words (or its citation): not the dense list's nearest guess, nor
#: the facts memory, whose character n-grams match pieces of words ("가가" in "가가가가").
WORD_SIGNALS = frozenset({"citation", "bm25", "memory", "profile"})


class Rating(NamedTuple):
    """A hit's ``relevance`` (0–100 or None) and whether it is only a nearest guess (its numbers withheld)."""

    relevance: int | None
    guess: bool


def rate(hits: Sequence[Mapping[str, Any]], *, learned: bool, notices: Sequence[str] = (), query: str = "",
         names_held: bool = False) -> list[Rating]:
    """Each hit's :class:`Rating`, for ``hits`` in answer order (``Hit.to_dict()`` dicts or alike: ``score``, ``ranks``,
    ``probability`` are read), ``learned`` when the re-ranker ranked the answer, ``notices`` the answer's, ``query``
    the text searched and ``names_held`` whether it names a law the index holds.

    When the notices say that none of the query's words occurs in the index's articles or earlier holdings, a hit that
    no signal on those words found (a citation, BM25, the holdings memory) is a guess: what found it is the dense list's
    nearest guess, or the facts memory's character n-grams (a syllable pair of "김치찌개 레시피" in some decision's
    facts) — the re-ranker's probability would read "97" for either. A query with no Korean
    (:data:`~legalret.search.coverage.NOT_KOREAN`: "What is a lien?") makes every hit but a citation a guess: its
    English words ("is", "the") match holdings that quote English, and those hits had read "85"; so does one under a
    law filter whose articles hold none of its words (:data:`~legalret.search.coverage.NOTHING_IN_FILTER`).

    A query that cites a law the index lacks, and none it holds (:func:`absent_law_guesses`: "근로기준법 제23조 부당해고"
    on a 민법+상법 index), makes every hit a guess, whatever its other words: each is an article of another law than the
    one the question is about — 민법 articles had read 72 under the notice that 근로기준법 is not in this index."""
    plain = [h["score"] for h in hits if "citation" not in (h.get("ranks") or {})]
    best = max(plain, default=0.0)
    unmatched = any(n.startswith(NOTHING_MATCHED) for n in notices)
    foreign = any(n.startswith(NOT_KOREAN) for n in notices)
    # (under a law filter none of the words is in its articles: what the memory found, it found through other laws'
    # decisions — "보험계약자" under --law 민법 had read 95 for 민법 제105조)
    filtered = any(n.startswith(NOTHING_IN_FILTER) for n in notices)
    # (a citation hit, or a notice of a cited article of a law this index holds: the query cites something this index
    # has, and the hits beside it are its neighbours)
    held = any("citation" in (h.get("ranks") or {}) for h in hits) or any(_HELD_LAW.match(n) for n in notices)
    absent = not held and (absent_law_guesses(notices) or about_absent_law(query, notices, names_held))
    out = []
    for hit in hits:
        found_by = set(hit.get("ranks") or {})
        guess = bool(absent or ((foreign or filtered) and "citation" not in found_by)
                     or (unmatched and not found_by & WORD_SIGNALS))
        out.append(Rating(None if guess else relevance(hit, learned=learned, best=best), guess))
    return out


def about_absent_law(query: str, notices: Sequence[str], names_held: bool = False) -> bool:
    """Is a short question (≤ :data:`SHORT_QUESTION` characters) about a law the index lacks: it names one without an
    article ("형법상 횡령죄", "주택임대차보호법상 대항력": 민법 제622조 had read 61) or asks about a crime with no criminal
    law in the index ("사기죄 처벌": 상법 제624조 at 60), and names no law the index holds ("주택임대차보호법이 적용되지
    않으면 민법상 임대차" asks about 민법 too)? A longer text names laws and crimes in passing where the answer is held:
    of 1,490 dev holdings citing 민법/상법, 65 get such a notice — 배임죄 of a 양도담보, "주택임대차보호법에 따른 임대차에서
    … 소멸시효" —, and 4 of them are this short; none of the 491 questions about 민법/상법 in the question files does, and
    24 of the 58 about 형법 or 형사소송법 do."""
    return (0 < len(query) <= SHORT_QUESTION and not names_held
            and any(_ABSENT_LAW.match(n) for n in notices))


def rate_hits(hits: Sequence["Hit"], *, learned: bool, notices: Sequence[str] = (), query: str = "",
              names_held: bool = False) -> None:
    """Set each :class:`~legalret.search.results.Hit`'s ``relevance`` and ``guess`` (and blank a guess's
    ``probability``) by :func:`rate` — what the searcher does to the hits it returns, the one place they are rated.

    The rule reads the numbers as every interface prints them (:meth:`Hit.numbers
    <legalret.search.results.Hit.numbers>`: ``to_dict``'s rounding), from the hit's fields: no ``to_dict()`` per hit
    here, which the answer builds once afterwards."""
    for hit, rating in zip(hits, rate([h.numbers() for h in hits], learned=learned, notices=notices, query=query,
                                      names_held=names_held)):
        hit.relevance, hit.guess = rating
        if rating.guess:
            hit.probability = None


def absent_law_guesses(notices: Sequence[str]) -> bool:
    """Does the query, as the answer's ``notices`` tell it, cite a law this index lacks (:data:`_ABSENT_LAW`: a law not
    in this index, a short or mistyped name of one, the Constitution)?

    Then every hit is a guess, whatever else the query says: the article the question is about is not in the index,
    and what the search found — 민법 제660조 through "해고" of "근로기준법 제23조 부당해고", 민법 제975조 through "근로",
    the 민법 articles that labour decisions cite — is another law's. (Before, a word beyond the citation kept the
    numbers: "근로기준법 제23조 부당해고" listed 민법 articles at 72, which a lawyer reads as "probably right".) A
    citation of a law the index holds as well is for the caller to check (:func:`rate`): its hits keep their numbers."""
    def cites(notice: str) -> bool:  # (an article is cited: a number in what the query wrote)
        m = _ABSENT_LAW.match(notice)
        return m is not None and re.search(r"\d", m["written"]) is not None

    return any(_CONSTITUTION.match(n) or cites(n) for n in notices)


def relevance(hit: Mapping[str, Any], *, learned: bool, best: float) -> int | None:
    """0–100 (see the module docstring) from a hit's ``score``, ``ranks`` and ``probability``, ``best`` being the
    answer's best score of a hit that is no citation; None when the scores carry no such meaning."""
    if "citation" in (hit.get("ranks") or {}):
        return 100
    score = float(hit["score"])
    if learned and hit.get("probability") is not None:  # the re-ranker's softmax share over its candidates
        return round(100 * float(hit["probability"]))
    if learned:  # a hit without one (a dict from elsewhere): its score read as a logit, as before
        return round(100 / (1 + math.exp(-max(min(score, 50.0), -50.0))))
    if best > 0 and score >= 0:
        return round(100 * score / best)
    return None
