"""Law and kind filters of one index: names resolved (an unknown one is a one-line error with suggestions)
and turned into a row mask, cached per filter.

Usage::

    filters = Filters(data)                      # an IndexData
    laws = filters.resolve_laws("민법, 상법")      # ['민법', '상법']  ("民法, 商法" too: Hanja is read in Hangul)
    mask = filters.mask(laws, filters.resolve_kinds("법률"))   # bool per row, or None for no filter
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from legalret.corpus.manifest import add_hint, area_hint, manifest_of
from legalret.errors import LegalretError
from legalret.hanja import has_hanja, read_hanja
from legalret.index.store import law_renames, removed_laws
from legalret.keys import CONSTITUTION, LawNames, known_laws, law_aliases, mirror_laws
from legalret.search.areas import held_area_laws
from legalret.search.citations import absent_hint, suggested_laws
from legalret.text import compact


#: How the notice of a law filter naming an area begins (:func:`area_filter_notice`).
AREA_FILTER_READ = "law filter"


def area_filter_notice(name: str, corpus: str, held: list[str]) -> str:
    """``law filter '노동법' read as the laws of the corpus labor this index holds (12): 근로기준법, 최저임금법, … ``"""
    shown = ", ".join(held[:4]) + (" …" if len(held) > 4 else "")
    return f"{AREA_FILTER_READ} '{name}' read as the laws of the corpus {corpus} this index holds ({len(held)}): {shown}"


def filter_names(value: Any, what: str) -> list[str] | None:
    """The names of a law or kind filter as given to Python (``what``: ``laws`` or ``kinds``, the argument's name):
    one name, names comma-separated or an iterable of names; anything else is a one-line error naming the argument,
    as HTTP's ``law``/``kind`` are refused — ``laws=5`` had been a raw "'int' object is not iterable", and
    ``laws=['민법', None]`` "'NoneType' object has no attribute 'strip'"."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.split(",")
    noun, example = ("law", "['민법', '상법']") if what == "laws" else ("kind", "['법률', '시행령']")
    expected = f"{what} must be a {noun} name, names comma-separated, or a list of names such as {example}"
    # (bytes iterate as ints; a mapping's keys would be read as names without a word)
    if isinstance(value, (bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        raise LegalretError(f"{expected}, not {value!r}")
    names = list(value)
    for name in names:
        if not isinstance(name, str):
            raise LegalretError(f"{expected}; {name!r} in it is not a name")
    return names


class Filters:
    names = staticmethod(filter_names)  # (the searcher reads its laws= and kinds= through it, before resolving them)

    def __init__(self, data: Any):
        self._data = data
        self.law_names = LawNames(data.manifest.get("laws", {}).keys())
        # a law's name before `index add --rename` (주택임대차보호법, renamed 주택임차인보호법) is the law it is now: a
        # query citing the old name finds the new one's articles, as the memory's holdings citing it vote for them.
        # First: a registered short name of the old name (주임법) then reads as the new one too
        self.law_names.add_renames(law_renames(data.manifest))
        self.law_names.add_aliases(law_aliases())  # 근기법, 채무자회생법 …: in a filter and a citation too
        # the laws `index remove` removed: a filter or citation of one says so (read here: once per generation)
        self.law_names.add_removed(removed_laws(data.manifest))
        self.laws: list[str] = list(data.manifest.get("laws", {}))
        # columns, not articles: a loaded store parses an article only when a hit shows it
        self.kinds: list[str] = sorted(set(data.column("kinds")) - {None, ""})
        self._rows: tuple[np.ndarray, np.ndarray] | None = None  # each row's law and kind number, on the first filter
        self._masks: dict[tuple, np.ndarray | None] = {}

    def _row_ids(self) -> tuple[np.ndarray, np.ndarray]:
        """Each row's law and kind (numbers into :attr:`laws` / :attr:`kinds`; −1: none), made for the first
        filtered search (a loop over every row: ~0.1 s on the all-law index, which an unfiltered one skips)."""
        if self._rows is None:
            data = self._data
            article_laws, article_kinds = data.column("laws"), data.column("kinds")
            law_ids = {law: i for i, law in enumerate(self.laws)}
            kind_ids = {kind: i for i, kind in enumerate(self.kinds)}
            self._rows = (np.array([law_ids.get(article_laws[i], -1) for i in data.rows], dtype=np.int32),
                          np.array([kind_ids.get(article_kinds[i], -1) for i in data.rows], dtype=np.int32))
        return self._rows

    def resolve_laws(self, laws: Iterable[str] | str | None) -> list[str] | None:
        """Canonical law names for a filter; an unknown name is a one-line error with suggestions."""
        laws = filter_names(laws, "laws")
        if laws is None:
            return None
        out = []
        for name in laws:
            name = name.strip()
            if not name:
                continue
            # A name in Hanja (民法, 勤勞基準法) is read in Hangul as a query's Hanja is read (legalret.hanja), so that
            # --law 民法, the API's law=民法 and MCP's law read what `search "民法 第750條"` reads; it had been "unknown
            # law filter". (The school readings and the spelling rules read a law's name; no word weights are needed.)
            written = name
            if has_hanja(name):
                name = read_hanja(name)[0]
            law = self.law_names.resolve(name)
            if law is None and (held := self.area_laws(name)):
                out.extend(held)  # 노동법 on an index holding labor laws: those (:meth:`areas_in` says so)
                continue
            if law is None and name.replace(" ", "") in CONSTITUTION:
                raise LegalretError(f"unknown law filter {written!r}: the Constitution (대한민국헌법) is not in the statutes "
                                    "mirror, so no index holds it")
            if law is None and (removed := self.law_names.removed_name(name)) is not None:
                named = f"{written!r} ({removed})" if written != removed else repr(written)
                raise LegalretError(f"unknown law filter {named}: not in this index "
                                    f"({absent_hint(removed, self.law_names)})")
            if law is None:
                full = law_aliases().get(name)  # a short name of a law this index lacks: say which law
                # (its short names too: 근기볍 → 근로기준법, as 형볍 → 형법; never a law's decree for the law, nor the law
                # for its decree — another document, whose act this index may lack: suggested_laws)
                close = suggested_laws(name, self.law_names, n=3)
                # else a mistyped name of a law this index lacks (근로기준볍 on the 민법+상법 index), as a citation says it
                elsewhere = [] if close or full else suggested_laws(name, known_laws())
                # the name of a law this index lacks, written right (근로기준법, 勤勞基準法, 근기법, 형법, a practice
                # manifest's 근로기준법 시행령): no "did you mean 근로기준법?" for the name just typed, but the command
                # that adds it (형법 and the decrees have no short name, and had been sent to `index info`)
                # (or a law of the statutes mirror, as a query's notice reads it: --law '상법 시행령' had been sent to
                # `index info`, while "상법 시행령상 …" got the command that adds it)
                lacked = (full or name if full or manifest_of(name) or mirror_laws().resolve(name) is not None else
                          elsewhere[0] if elsewhere and compact(elsewhere[0]) == compact(name) else None)
                area = area_hint(name, self.law_names.index_dir)  # 노동법: an area whose laws the index lacks
                hint = (f" ({area})" if area else
                        f" (did you mean {', '.join(close)}?)" if close else
                        f" ({lacked} is a law, but not one this index holds; "
                        f"{add_hint(lacked, self.law_names.index_dir)})" if lacked else
                        f" (did you mean {elsewhere[0]}? it is not in this index either)" if elsewhere else
                        f" (the index has {len(self.laws)} laws; see `legalret index info`)")
                # (a name in Hanja: its reading is named, as the one the suggestions were found for)
                named = f"{written!r} ({full or name})" if full or written != name else repr(written)
                raise LegalretError(f"unknown law filter {named}: not in this index{hint}")
            out.append(law)
        return out or None

    def renamed_in(self, laws: Iterable[str] | str | None) -> list[tuple[str, str]]:
        """(old, new) for each name of a law filter that is the old name of a law ``index add --rename`` renamed
        (:attr:`LawNames.renamed <legalret.keys.LawNames.renamed>`): :meth:`resolve_laws` reads it as the new name,
        which the search must say (:func:`legalret.search.prepare.renamed_names_notice`) — ``--law 주택임대차보호법``
        had searched 주택임차인보호법 without a word."""
        names = filter_names(laws, "laws")  # (a numpy array of names had no truth value)
        if not names:
            return []
        renamed = {compact(old): (old, new) for old, new in self.law_names.renamed.items()}
        return [renamed[compact(name)] for name in names if compact(name) in renamed]

    def area_laws(self, name: str) -> list[str]:
        """The laws of this index that the corpus of the area ``name`` names lists (``노동법`` → labor's 근로기준법,
        최저임금법 …: :func:`~legalret.search.areas.held_area_laws`); [] when ``name`` names no area or the index holds
        none of its laws (then :meth:`resolve_laws` says which corpus adds them)."""
        area = held_area_laws(name, self.law_names)
        return area[1] if area else []

    def areas_in(self, laws: Iterable[str] | str | None) -> list[tuple[str, str, list[str]]]:
        """(name as written, corpus, the held laws it was read as) for each name of a law filter that names an area
        of law whose laws the index holds (:meth:`area_laws`): :meth:`resolve_laws` reads it as those laws, which the
        search says (:func:`area_filter_notice`) — ``--law 노동법`` on an index holding the labor corpus had been
        "unknown law filter '노동법': not in this index (… this index holds 근로기준법 … filter by those)"."""
        names = filter_names(laws, "laws")
        if not names:
            return []
        out = []
        for name in (n.strip() for n in names):
            if self.law_names.resolve(name) is None and (area := held_area_laws(name, self.law_names)) and area[1]:
                out.append((name, *area))
        return out

    def resolve_kinds(self, kinds: Iterable[str] | str | None) -> list[str] | None:
        kinds = filter_names(kinds, "kinds")
        if kinds is None:
            return None
        out = [k.strip() for k in kinds if k.strip()]
        unknown = [k for k in out if k not in self.kinds]
        if unknown:
            raise LegalretError(f"unknown kind filter {unknown[0]!r}: this index has {', '.join(self.kinds) or 'no kinds'}")
        return out or None

    def check_not_empty(self, laws: list[str] | None, kinds: list[str] | None, mask: np.ndarray | None) -> None:
        """A law filter and a kind filter that no article meets together (``--law 근로기준법 --kind 시행령``) is a
        one-line error naming the decrees to ask for — the search answered nothing, without a word."""
        if mask is None or mask.any() or not (laws and kinds):
            return
        decrees = [f"{law} {kind}" for law in laws for kind in kinds if self.law_names.resolve(f"{law} {kind}")]
        # (worded for every interface: the CLI's --law, the API's law=, MCP's law)
        hint = f" (a {kinds[0]} is a law of its own here: filter by the law '{decrees[0]}')" if decrees else ""
        raise LegalretError(f"no article of {', '.join(laws)} is of kind {', '.join(kinds)}{hint}")

    def mask(self, laws: list[str] | None, kinds: list[str] | None) -> np.ndarray | None:
        key = (tuple(laws or ()), tuple(kinds or ()))
        if key not in self._masks:
            mask = None
            if laws:
                ids = [self.laws.index(law) for law in laws]
                mask = np.isin(self._row_ids()[0], ids)
            if kinds:
                kmask = np.isin(self._row_ids()[1], [self.kinds.index(k) for k in kinds])
                mask = kmask if mask is None else mask & kmask
            self._masks[key] = mask
        return self._masks[key]
