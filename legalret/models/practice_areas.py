"""Which area of practice — which corpus manifest's laws — a question is about, read from its characters.

An index holds the laws it was built with: the main job's 민법 and 상법, perhaps a practice corpus added
(``legalret index add labor``). A question about a law the index lacks ("친구를 때려서 코뼈가 부러졌으면 무슨 죄가
되나요?" on a 민법+상법 index) still gets ten confident-looking hits — here 민법 제750조 (불법행위) — and nothing says
that the answer lies in 형법, which the index does not hold. This model reads the question and gives, for each
practice area (the ``corpora/*.yaml`` manifests that list their laws: ``criminal``, ``labor``, ``tenancy`` …, and
``civil-commercial``), the probability that the question concerns that area's laws; the searcher turns a confident
one whose laws the index lacks into a notice naming the command that adds them (:mod:`legalret.search.areas`).

It is one-vs-rest logistic regression over hashed character 2–3-grams within words (no tokenizer: Kiwi's reading
of lay words is part of what fails on such questions, and the model must cost nothing at a cold start). It is
fitted by :mod:`legalret.train.practice_areas` on every train-split decision of the shared precedents (before
2020-01-01): the holdings and the courts' facts, each labelled with the areas of the laws its 참조조문 cites.

A model is two files (``legalret/data/practice_areas.json`` and ``.npy``)::

    practice_areas.json   areas (their manifest names), laws (each area's document names, as its manifest listed
                          them then), titles, bias, threshold (from which a notice names an area), gate (no notice
                          when an area the index holds is this probable; both chosen on the tune halves), and the
                          card: training data, settings, the measured numbers
    practice_areas.npy    (B, A) float16: each hashed n-gram bucket's weight for each area, memory-mapped — a
                          question reads ~100–600 rows, so a cold search never loads the 4 MB

Usage::

    from legalret.models.practice_areas import PracticeAreas

    areas = PracticeAreas.load()                       # the shipped model
    areas.probabilities("회사에서 갑자기 해고 통보를 받았는데 부당해고 아닌가요?")
    # {'labor': 0.97, 'civil-commercial': 0.08, 'criminal': 0.01, …}
    areas.missing("…", absent={"labor", "criminal"})   # [('labor', 0.97)]: what a notice names (see missing)
"""

from __future__ import annotations

import json
import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: The shipped model.
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "practice_areas.json"
#: What a model's JSON says it is.
FORMAT = "legalret-practice-areas-1"
#: Hashed n-gram buckets (2**18: the 2–3-grams of the decisions' words collide little at this size).
BUCKETS = 1 << 18
#: The n-gram lengths read within each word (padded with a space on each side, as scikit-learn's ``char_wb``).
NGRAMS = (2, 3)
#: A word: a run of Hangul, Hanja, Latin letters or digits.
_WORD = re.compile(r"[0-9A-Za-z\uac00-\ud7a3\u3400-\u4dbf\u4e00-\u9fff]+")


def features(text: str, buckets: int = BUCKETS) -> np.ndarray:
    """The sorted distinct buckets of ``text``'s character n-grams (each word padded: " 해고 " → " 해", "해고", "고 ",
    " 해고", "해고 "). Presence, not counts: a long facts text and a short question weigh their n-grams alike once
    normalized."""
    grams: set[int] = set()
    for word in _WORD.findall(unicodedata.normalize("NFKC", text)):
        padded = f" {word} "
        for n in NGRAMS:
            for i in range(len(padded) - n + 1):
                grams.add(zlib.crc32(padded[i : i + n].encode("utf-8")) % buckets)
    return np.fromiter(sorted(grams), dtype=np.int64, count=len(grams))


@dataclass
class PracticeAreas:
    """A fitted model: per area, a logistic regression over :func:`features` (L2-normalized presence)."""

    areas: list[str]
    laws: list[list[str]]
    weights: np.ndarray  # (buckets, areas): a bucket's weights side by side, read together
    bias: np.ndarray  # (areas,)
    threshold: np.ndarray  # (areas,)
    card: dict = field(default_factory=dict)
    #: No notice when an area the index holds reaches this probability (1.0: never gated; see :meth:`missing`).
    gate: float = 1.0

    @property
    def buckets(self) -> int:
        return int(self.weights.shape[0])

    def logits(self, text: str) -> np.ndarray:
        cols = features(text, self.buckets)
        if not len(cols):
            return np.full(len(self.areas), -np.inf, dtype=np.float32)
        return self.weights[cols].astype(np.float32).sum(axis=0) / np.sqrt(len(cols)) + self.bias

    def probabilities(self, text: str) -> dict[str, float]:
        """Each area's probability, highest first (independent: a lease dispute in court is tenancy *and*
        civil-procedure)."""
        p = 1.0 / (1.0 + np.exp(-self.logits(text)))
        return {self.areas[i]: float(p[i]) for i in np.argsort(-p, kind="stable")}

    def confident(self, text: str) -> list[tuple[str, float]]:
        """The areas whose probability reaches their threshold, highest first."""
        p = 1.0 / (1.0 + np.exp(-self.logits(text)))
        return [(self.areas[i], float(p[i])) for i in np.argsort(-p, kind="stable") if p[i] >= self.threshold[i]]

    def missing(self, text: str, absent: set[str]) -> list[tuple[str, float]]:
        """The areas of ``absent`` (those an index lacks) that ``text`` is about: at or above their threshold, while no
        area the index holds reaches :attr:`gate` — a question the index's own laws answer gets no notice, however
        much it also sounds like another area ("임대차 등기 대항력" is 민법 제621조, and sounds like 임대차·부동산)."""
        p = 1.0 / (1.0 + np.exp(-self.logits(text)))
        held = [i for i, area in enumerate(self.areas) if area not in absent]
        if held and max(p[i] for i in held) >= self.gate:
            return []
        return [(self.areas[i], float(p[i])) for i in np.argsort(-p, kind="stable")
                if self.areas[i] in absent and p[i] >= self.threshold[i]]

    def laws_of(self, area: str) -> list[str]:
        return self.laws[self.areas.index(area)]

    # ---- save / load ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``path`` (``.json``) and the weights beside it (``.npy``); the JSON last, so that a reader finding the
        new JSON finds its weights."""
        path = Path(path).with_suffix(".json")
        path.parent.mkdir(parents=True, exist_ok=True)
        weights = path.with_suffix(".npy")
        tmp = weights.with_name(weights.stem + ".tmp.npy")
        np.save(tmp, np.ascontiguousarray(self.weights, dtype=np.float16))
        tmp.replace(weights)
        meta = {"format": FORMAT, "areas": self.areas, "laws": self.laws, "bias": [float(b) for b in self.bias],
                "threshold": [float(t) for t in self.threshold], "gate": float(self.gate), "card": self.card}
        tmp = path.with_name(path.stem + ".tmp.json")
        tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path | None = None) -> PracticeAreas:
        path = Path(path).with_suffix(".json") if path is not None else DEFAULT_PATH
        meta = json.loads(path.read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: not a practice-area model (format {meta.get('format')!r}, expected {FORMAT!r})")
        weights = np.load(path.with_suffix(".npy"), mmap_mode="r")
        if weights.shape[1] != len(meta["areas"]):
            raise ValueError(f"{path.with_suffix('.npy')}: {weights.shape[1]} areas' weights for {len(meta['areas'])} areas")
        return cls(areas=list(meta["areas"]), laws=[list(x) for x in meta["laws"]], weights=weights,
                   bias=np.asarray(meta["bias"], np.float32), threshold=np.asarray(meta["threshold"], np.float32),
                   card=dict(meta.get("card") or {}), gate=float(meta.get("gate", 1.0)))


def area_labels(cited_laws: Sequence[str], area_laws: dict[str, Sequence[str]]) -> list[str]:
    """The areas whose laws ``cited_laws`` name (spaces ignored: 참조조문 writes 근로기준법시행령 and 근로기준법 시행령)."""
    cited = {law.replace(" ", "") for law in cited_laws}
    return [area for area, laws in area_laws.items() if any(law.replace(" ", "") in cited for law in laws)]
