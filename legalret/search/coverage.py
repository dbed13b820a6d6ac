"""Does the query match the corpus at all? A notice when it does not, so nobody trusts a confident-looking guess.

The dense retriever and the re-ranker always return *something*: a made-up word ("퀘이사르프로브 시험용") still
gets 민법 제750조 with a high score. What betrays such a query is the BM25 vocabulary — every word of every
article of the index: when none of the query's words occurs in it, nothing in the query matched, and when
fewer than :data:`LOW_COVERAGE` of them do, the hits rest on a small part of what was asked. Either way the
searcher adds one notice, which the CLI, the API and the web page show like every other.

Usage::

    from legalret.search.coverage import coverage_notes

    coverage_notes(["퀘이사르프로브", "시험용"], vocabulary)   # ["nothing in the query matched this index: …"]
    coverage_notes(["유치권", "점유"], vocabulary)             # []
"""

from __future__ import annotations

from typing import Container, Sequence

#: Below this share of the query's distinct words found in the corpus, the hits get a "low coverage" notice.
LOW_COVERAGE = 0.5
#: How many unmatched words a notice names.
SHOWN = 5


def coverage(tokens: Sequence[str], vocabulary: Container[str]) -> tuple[list[str], list[str]]:
    """The query's distinct words split into (found in the corpus, not found), in query order."""
    words = list(dict.fromkeys(tokens))
    found = [w for w in words if w in vocabulary]
    missing = [w for w in words if w not in vocabulary]
    return found, missing


def coverage_notes(tokens: Sequence[str], vocabulary: Container[str]) -> list[str]:
    """At most one notice about how little of the query occurs in the corpus (``[]`` when enough does)."""
    if not tokens:
        return []  # no searchable words at all: the searcher says so itself
    found, missing = coverage(tokens, vocabulary)
    if not missing:
        return []
    named = ", ".join(f"'{w}'" for w in missing[:SHOWN]) + (" …" if len(missing) > SHOWN else "")
    if not found:
        return [f"nothing in the query matched this index: no article contains {named}; the hits below are "
                "only the nearest guesses — check the spelling or ask in other words"]
    share = len(found) / (len(found) + len(missing))
    if share < LOW_COVERAGE:
        return [f"most of the query matched nothing in this index ({named} occur in no article); the hits rest on "
                + ", ".join(f"'{w}'" for w in found[:SHOWN]) + " alone"]
    return []
