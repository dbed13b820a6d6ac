"""A notice when a question is about an area of law the index does not hold, with the command that adds it.

The main job's index holds 민법 and 상법. Asked "술자리에서 상대방을 때려서 코뼈가 부러졌으면 무슨 죄가 되나요?", it
answers with 민법 제750조 (불법행위) and nine more 민법 articles, all confident-looking — and says nothing of 형법,
where the answer is. :class:`~legalret.models.practice_areas.PracticeAreas` reads the question's characters and gives
each practice area (a ``corpora/*.yaml`` manifest that lists its laws) a probability; an area whose laws the index
mostly lacks, at or above its threshold while no area the index holds reaches the model's gate (both chosen on the
question files' tune halves, ``benchmarks/practice_areas_eval.py``), gets one notice naming its principal laws and
``legalret index add <area>``. Ranking is unchanged: the
notice only says where else to look.

No notice for a query that cites articles (the citation notices speak for it) or searches under a law filter (the
person chose the laws), nor on an index that holds at least half of an area's laws. The model (~1 MB on disk, a
few ms to load) is read on the first query that could get such a notice, so an index holding every area never
loads it.

Usage::

    from legalret.search.areas import AreaNotices

    notices = AreaNotices(index_laws=["민법", "상법"])
    notices("회사에서 해고 통보를 받았는데 부당해고 아닌가요?")
    # ["this question looks like 노동 (labor) law, which this index does not hold (근로기준법, 최저임금법, …): …"]
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

#: How many of an area's laws a notice names.
SHOWN_LAWS = 3
#: An area counts as held when the index has at least this share of its laws (acts and decrees).
HELD_SHARE = 0.5


class AreaNotices:
    """``notices(text)`` → at most one notice per absent area the question is confidently about."""

    def __init__(self, index_laws: Iterable[str], model_path: str | Path | None = None):
        self.index_laws = {law.replace(" ", "") for law in index_laws}
        self.model_path = model_path
        self._model = None
        self._absent: set[str] | None = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                from legalret.models.practice_areas import DEFAULT_PATH, PracticeAreas

                path = Path(self.model_path) if self.model_path is not None else DEFAULT_PATH
                if not path.is_file():  # (a checkout without the shipped file: no notice, never an error)
                    self._absent = set()
                    return None
                model = PracticeAreas.load(path)
                self._absent = {area for area, laws in zip(model.areas, model.laws)
                                if sum(law.replace(" ", "") in self.index_laws for law in laws) < HELD_SHARE * len(laws)}
                self._model = model
        return self._model

    def absent(self) -> set[str]:
        """The areas this index does not hold."""
        if self._absent is None:
            self._load()
        return set(self._absent or ())

    def __call__(self, text: str) -> list[str]:
        if self._absent is not None and not self._absent:
            return []
        model = self._model or self._load()
        if model is None or not self._absent:
            return []
        return area_notes(model, text, self._absent)


def area_notes(model, text: str, absent: set[str]) -> list[str]:
    """The notices for ``text``: one per area of ``absent`` it is about (:meth:`PracticeAreas.missing`)."""
    notes = []
    for area, p in model.missing(text, absent):
        laws = model.laws_of(area)
        acts = [law for law in laws if not law.endswith("시행령")] or laws
        shown = ", ".join(acts[:SHOWN_LAWS]) + (", …" if len(acts) > SHOWN_LAWS else "")
        title = model.card.get("titles", {}).get(area, area)
        notes.append(f"this question looks like {title} law, which this index does not hold ({shown}; "
                     f"probability {p:.2f}): add those laws with `legalret index add {area}`")
    return notes
