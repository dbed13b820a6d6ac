"""The holdings memory's article profiles (:mod:`legalret.memory.profiles`) as an annotating retriever.

Not a fused list: each fused candidate gets its profile rank and score (``ranks['profile']``), which the
learned re-ranker reads; the hybrid's own order is unchanged.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from legalret.memory.profiles import ArticleProfiles
from legalret.search.parties import without_party_names
from legalret.search.retrievers.base import ABSENT_RANK, BaseRetriever, Generation, Query, register


@register
class ProfileRanks(BaseRetriever):
    name = "profile"
    fused = False
    mode = False
    missing = "no article profiles here: they pool the precedent memory's holdings (build with --precedents)"

    def __init__(self, profiles: ArticleProfiles, row_of_key: dict[str, int], *, same_tokens: bool = False):
        self.profiles, self.row_of_key, self.same_tokens = profiles, row_of_key, same_tokens
        self._rows: np.ndarray | None = None  # each profile's index row (−1: not in this index)
        self._column: dict[str, int] = {}  # a key's position in the profiles' scores

    @classmethod
    def open(cls, generation: Generation) -> ProfileRanks | None:
        memory = generation.opened.get("memory")
        if memory is None:
            return None
        return cls(ArticleProfiles(memory.retriever.memory), generation.row_of_key, same_tokens=memory.same_tokens)

    def annotate(self, query: Query, items: Sequence) -> None:
        """Set ``ranks['profile']`` / ``scores['profile']`` on the ``items`` the profiles rank among this
        index's live articles (under the query's filters) before :data:`ABSENT_RANK`."""
        profiles = self.profiles
        tokens = query.tokens if self.same_tokens else profiles.memory.tokenize(without_party_names(query.text))
        scores = profiles.scores(tokens, before=query.before, exclude=query.exclude)
        if self._rows is None:  # (server threads: the column map is in place before the rows say it is)
            self._column = {key: i for i, key in enumerate(profiles.keys)}
            self._rows = np.array([self.row_of_key.get(key, -1) for key in profiles.keys], dtype=np.int64)
        live = self._rows >= 0
        if query.mask is not None:
            live &= query.mask[np.maximum(self._rows, 0)]
        column = self._column
        listed = [(item, column[item.key]) for item in items if item.key in column]
        if not listed:
            return
        positions = np.array([i for _, i in listed], dtype=np.int64)
        places = profiles.ranks(scores, positions, live).tolist()
        for (item, i), place in zip(listed, places):
            if 0 < place < ABSENT_RANK:
                item.ranks[self.name], item.scores[self.name] = place, float(scores[i])

    def rank_reason(self, rank: int, score: float) -> str:
        return f"article profile: rank {rank} of the articles the earlier holdings cite, score {score:.2f}"
