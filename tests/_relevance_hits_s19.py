"""Hand-made hit dicts rated as the searcher rates its hits: the tests' one way to give a dict its ``relevance``.

The searcher sets each hit's ``relevance`` (and blanks a guess's ``probability``) by :func:`legalret.search.relevance.rate`;
``legalret.serve.wording.lawyer_view`` no longer rates a dict that comes without it (there is one place that rates). A
test that builds hits by hand passes them through :func:`rated` first, with the ``learned`` and ``notices`` the answer
would have had::

    from _relevance_hits_s19 import rated
    lawyer_view(rated([{"score": 2.0, "ranks": {"bm25": 1}, "reasons": []}], learned=True))[0]["relevance"]   # 88
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from legalret.search.relevance import rate


def rated(hits: Sequence[Mapping[str, Any]], *, learned: bool, notices: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Copies of ``hits`` (in answer order) with ``relevance`` set by :func:`~legalret.search.relevance.rate`, as the
    searcher sets ``Hit.relevance``, and a guess's ``probability`` None, as the searcher blanks it."""
    out = [dict(h) for h in hits]
    for hit, rating in zip(out, rate(out, learned=learned, notices=notices)):
        hit["relevance"] = rating.relevance
        if rating.guess and hit.get("probability") is not None:
            hit["probability"] = None
    return out
