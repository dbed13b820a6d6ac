"""참조조문 citations: parse the citation lists of Korean court decisions and resolve them to article keys.

A 참조조문 item is a compact list such as::

    민법 제194조, 제320조 제1항, 구 상법(2010. 5. 14. 법률 제10281호로 개정되기 전의 것) 제651조의2,
    같은 법 시행령 제3조 제2호 (나)목, 주택임대차보호법 부칙 제2항

Rules the parser follows (all seen in the real data):

* a law name carries over to the following article numbers (``민법 제194조, 제320조``);
* ``제1항, 제2항`` (or ``제1호, 제2호``) after an article continue the **same** article;
* ``같은 법`` / ``같은법`` / ``동법`` (optionally followed by ``시행령``/``시행규칙``) refer back to the last law named,
  also across ``[1] … / [2] …`` items of the same decision (use one :class:`CitationParser` per decision);
* ``구`` before a law name, or a version note right after it (``(2010. 5. 14. 법률 제10281호로 개정되기 전의 것)``,
  ``(1972.12.31. 대통령령 제9702호)``, ``(… 폐지)``), marks a **former** version of the law;
* ``부칙`` marks a citation of the addenda (never an article of the body);
* parenthetical notes after an article are kept as its ``note`` (``(현행 민사집행법 제273조 제2항)``: see
  ``current_named`` below); bracket notes (``[소의제기]``, ``[별표 4]``) are ignored; ``(나)목`` / ``가목`` /
  ``제3목`` are sub-items;
* ``제1조 내지 제3조`` cites the whole range (small ranges only: at most :data:`MAX_RANGE` apart, no branches);
  written high end first (``제3조 내지 제1조``, a slip of order) it is the same range, listed from the end written
  first (제3조, 제2조, 제1조) — unless that end already ends a range (``제1조 내지 제5조 내지 제3조``);
* ``/``, ``,``, ``;`` and line breaks separate citations.

Resolution (:func:`resolve`) checks the law first (so every status but ``unknown_law`` concerns a law of the
catalog), then maps each citation to a key of the *current* corpus with a status:

=================  ===================================================================  =========
status             meaning                                                              positive
=================  ===================================================================  =========
``resolved``       law in the catalog, article exists and is in force                   yes
``current_named``  the court's note names today's provision (``구 민사소송법 제431조      yes
                   (현행 제458조 참조)``): that provision, when it is in force
``former``         ``구 …`` (an old version): the text the court applied may differ      no
``deleted``        the article exists in the catalog but is ``삭제``                     no
``unknown_law``    the law is not in the catalog (another law, or an unparsable name)   no
``unknown_article`` law known, but no such article number                              no
``addendum``       a 부칙 citation of a catalog law                                      no
``no_article``     a law cited without an article number                                no
=================  ===================================================================  =========

Decision on ``former``: a ``구`` citation is **never** a positive, even when an article with the same number
still exists: amendments renumber and rewrite articles (``구 상법 제651조의2`` is not today's text), and
a silently wrong positive hurts training more than a missing one. The report still counts how many former
citations name a number that exists today (``former_number_live``) so the choice can be revisited. Where the
court's own note names the provision that replaced it (``(현행 제458조 참조)``, ``(현행 민사집행법 제273조
참조)``), that provision is the positive (``current_named``, 10,078 citations of the archive, 6,756 of them in a
holding that resolved to nothing else): the mapping is the court's, not a guess from the number. "현행" is the
text in force when the note was written, so these keys pass :func:`predates_numbering` like any other.

**Numbering**: a decision made before a law's current text took effect cites the articles of the law it
replaced under the same name: 민법 before 1960-01-01 is the 의용민법 (the Japanese civil code applied
under the old order), 상법 before 1963-01-01 the 의용상법, 근로기준법 before its 1997 and 2007 texts the old
ones (a 1989 judgment's 제27조 is today's 제23조) — their numbers do not match today's. With no mapping
table, :func:`predates_numbering` tells a caller that knows the decision date (``legalret pairs``, the
memories) to drop such keys (:func:`numbering_since` holds the dates: 129 laws, from the courts' own notes).

Usage::

    from legalret.precedents.citations import parse_citations, resolve, ArticleCatalog

    cits = parse_citations("민법 제194조, 제320조 제1항, 구 상법(2010. 5. 14. 법률 제10281호로 "
                           "개정되기 전의 것) 제651조의2")
    [c.label for c in cits]      # ['민법 제194조', '민법 제320조 제1항', '구 상법 제651조의2']
    catalog = ArticleCatalog.from_articles(articles)
    keys, report = resolve(cits, catalog)   # keys = ['민법 제194조', '민법 제320조']
    report.counts                            # Counter({'resolved': 2, 'former': 1})
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from legalret.keys import LawNames, format_key
from legalret.text import compact
from legalret.text import normalize

__all__ = [
    "Citation",
    "CitationParser",
    "parse_citations",
    "ArticleCatalog",
    "ResolutionReport",
    "NUMBERING_SINCE",
    "predates_numbering",
    "resolve",
    "STATUSES",
]

STATUSES = ("resolved", "current_named", "former", "deleted", "unknown_law", "unknown_article", "addendum", "no_article")

#: The largest ``제N조 내지 제M조`` range expanded into individual citations (bigger ones are kept as endpoints).
MAX_RANGE = 20


@dataclass
class Citation:
    """One cited provision. ``law`` is the name as written (``구`` stripped, ``같은 법`` replaced by its
    referent, spacing normalized); ``number`` is None for a law cited without an article (``부칙 제2항``)."""

    law: str
    number: int | None
    branch: int = 0
    paragraph: int | None = None
    item: str | None = None  # 호: '3', '2의2'
    former: bool = False  # 구 … / version note: an old text of the law
    addendum: bool = False  # 부칙
    raw: str = ""  # the source text this citation came from
    subitem: str | None = None  # 목: '나', '3'
    note: str = ""  # parenthetical version note or remark attached to it
    written: str = ""  # the law name exactly as written when it differs from ``law`` ('구민법', '같은 법')

    def to_dict(self) -> dict:
        """The fields as a plain dict (what a memory stores). Every field is a scalar, so this is
        ``dataclasses.asdict`` without its per-field deep copies (seconds over a build's 100k citations)."""
        return {name: getattr(self, name) for name in _CITATION_FIELDS}

    @property
    def key(self) -> str | None:
        """``'<law> 제N조[의M]'`` as written (not resolved); None without an article number."""
        return format_key(self.law, self.number, self.branch) if self.number is not None else None

    @property
    def label(self) -> str:
        parts = (["구"] if self.former else []) + ([self.law] if self.law else []) + (["부칙"] if self.addendum else [])
        if self.number is not None:
            parts.append(f"제{self.number}조" + (f"의{self.branch}" if self.branch else ""))
        if self.paragraph is not None:
            parts.append(f"제{self.paragraph}항")
        if self.item is not None:
            parts.append(f"제{self.item}호")
        if self.subitem is not None:
            parts.append(f"{self.subitem}목")
        return " ".join(parts)


# ---------------------------------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------------------------------

_CITATION_FIELDS = tuple(f.name for f in fields(Citation))


def citation_dict(c: Any) -> dict:
    """A citation as a plain dict (a copy): a :class:`Citation`, a dict, or another record with its fields."""
    if isinstance(c, dict):
        return dict(c)
    if isinstance(c, Citation):
        return c.to_dict()
    return asdict(c) if is_dataclass(c) else dict(vars(c))


class _Pattern:
    """``re.compile(pattern)``, compiled on first use. A cold ``legalret search`` imports this module (the
    memories' :func:`predates_numbering`) but never parses a citation, and compiling these patterns costs ~3 ms
    there. Each attribute (``search``, ``finditer`` …) is kept on the instance once asked for, so later uses
    cost what the compiled pattern's do."""

    def __init__(self, pattern: str, flags: int = 0):
        self._source = (pattern, flags)

    def __getattr__(self, name: str):
        if name.startswith("__"):  # (copy / pickle probing: not the pattern's)
            raise AttributeError(name)
        compiled = self.__dict__.get("_compiled") or re.compile(*self._source)
        self._compiled = compiled
        value = getattr(compiled, name)
        setattr(self, name, value)
        return value


_QUOTES = "‘’“”'\"「」『』<>《》 "
_WS = _Pattern(r"\s+")


def _squash(text: str) -> str:
    """Whitespace runs → one space (the text was normalized once as a whole: this is the cheap part)."""
    return _WS.sub(" ", text).strip()


_MASK = "\ue000"  # stands in for every character of a (…) or […] group: keeps offsets, hides commas/제N조
_TOKEN = _Pattern(
    r"(?P<art>(?:제\s*(?P<anum>\d+)\s*조|(?<![\d제.\-])(?P<anum2>\d+)\s*조(?=\s*의\s*\d|[^가-힣]|$))"
    r"(?:\s*의\s*(?P<abr>\d+))?)"
    r"|(?P<same>같은\s*조|동\s*조)(?![가-힣])"
    r"|(?P<para>(?:제\s*|(?<![\d제]))(?P<pnum>\d+)\s*항)"
    r"|(?P<item>제\s*(?P<inum>\d+)\s*호(?:\s*의\s*(?P<ibr>\d+))?)"
    r"|(?P<sub>(?:제\s*(?P<snum>\d+)|(?<![가-힣])(?P<slet>[가나다라마바사아자차카타파하]))\s*목)"
    r"|(?P<paren>" + _MASK + r"+)"
)
_SEPARATORS = _Pattern(r"[,/;，、\n]")
# Words that qualify the preceding provision (or join two), never part of a law name.
_QUALIFIER = _Pattern(
    r"^(?:및|또는|내지|그리고|와|과|등|각|각호|각 호|각목|본문|단서|전단|후단|전문|후문|괄호|괄호 안|참조|"
    r"제\s*\d+\s*문|\d+\.|[:\-–~·.]|\s)+"
)
_TRAILING = _Pattern(r"(?:\s|[:\-–.·]|등)+$")
_SAME_LAW = _Pattern(r"^(?:같은\s*법률?|동\s*법률?|같은법|동법)(?:\s*(?P<rest>.*))?$")
_FORMER_PREFIX = _Pattern(r"^구\s*(?=\S)")
_ADDENDUM = _Pattern(r"\s*부\s*칙\s*$")
# A note that names a text no longer in force: '(… 개정되기 전의 것)', '(… 폐지)', '(… 실효)'. A note like
# '(2005. 3. 31. 법률 제7427호로 개정된 것)' without 구 names the amended, usually current, text.
_FORMER_NOTE = _Pattern(r"전의\s*것|개정되기\s*전|폐지|실효|삭제|제정되기\s*전")
_RANGE = _Pattern(r"내지|~|부터")
_SUBITEM_PAREN = _Pattern(r"\(([가나다라마바사아자차카타파하])\)(?=\s*목)")


def _mask_groups(text: str) -> tuple[str, dict[int, str]]:
    """Replace every top-level (…) and […] group by mask characters of the same length.

    Returns the masked text and {start offset: group text}. Unbalanced brackets are left as they are
    (the data has a few); nesting is handled (``(… 부칙 제2조(…)로 폐지)``).
    """
    text = _SUBITEM_PAREN.sub(lambda m: " " + m.group(1) + " ", text)  # '(나)목' → ' 나 목'
    out = list(text)
    groups: dict[int, str] = {}
    stack: list[tuple[str, int]] = []
    pairs = {")": "(", "]": "[", "）": "（", "］": "［", "}": "{", "〕": "〔"}
    for i, ch in enumerate(text):
        if ch in "([（［{〔":
            stack.append((ch, i))
        elif ch in pairs and stack and stack[-1][0] == pairs[ch]:
            _, start = stack.pop()
            if not stack:
                groups[start] = text[start : i + 1]
                out[start : i + 1] = _MASK * (i + 1 - start)
    return "".join(out), groups


def _clean_gap(gap: str) -> tuple[str, bool]:
    """The law name written in the text between two tokens (after the last separator), and whether
    a range word (``내지``) joins it to the previous citation."""
    is_range = bool(_RANGE.search(gap))
    chunk = _SEPARATORS.split(gap)[-1]
    chunk = _QUALIFIER.sub("", chunk.strip())
    chunk = _TRAILING.sub("", chunk).strip()
    if len(chunk) <= 3 and not _LAW_SUFFIX.search(chunk) and not _ADDENDUM.search(chunk):
        chunk = ""  # '가 (1) 제4호' (a 류 of 가사소송법), '나.다', '2호', '은': qualifiers, never a law name
    return _squash(chunk), is_range


class CitationParser:
    """Stateful parser for the 참조조문 items of **one** decision (``같은 법`` may refer to a law of a
    previous item). Call :meth:`parse` once per item, in order."""

    def __init__(self) -> None:
        self.last_law: str | None = None  # last law named explicitly (referent of 같은 법)
        self.last_former = False
        self.written = ""

    def _law_from_name(self, name: str) -> tuple[str, bool, bool]:
        """(law, former, addendum) for a written law name (``self.written`` keeps the name as written)."""
        name = name.strip(_QUOTES)
        self.written = _squash(_ADDENDUM.sub("", name))
        addendum = bool(_ADDENDUM.search(name))
        name = _ADDENDUM.sub("", name).strip()
        if not name and self.last_law:
            return self.last_law, self.last_former, addendum  # '…, 부칙 제2조': the law named before
        former = bool(_FORMER_PREFIX.match(name))
        name = _FORMER_PREFIX.sub("", name).strip(_QUOTES)
        same = _SAME_LAW.match(name)
        if same and self.last_law:
            base = re.sub(r"\s*(?:시행령|시행규칙)$", "", self.last_law)
            rest = (same.group("rest") or "").strip()
            law = _squash(f"{base} {rest}") if rest else self.last_law
            return law, former or self.last_former, addendum
        law = _squash(name)
        self.last_law, self.last_former = law, former
        return law, former, addendum

    def parse(self, text: str) -> list[Citation]:
        text = normalize(text)
        masked, groups = _mask_groups(text)
        cits: list[Citation] = []
        starts: dict[int, int] = {}  # id(citation) → offset where its raw text starts
        range_ends: set[int] = set()  # id(citation) of each article that ends an expanded range
        current: Citation | None = None  # the citation trailing tokens (항/호/목, notes) attach to
        law: str | None = None
        written = ""
        former = addendum = False
        pending: dict | None = None  # a law named right before a (version note), waiting for its article
        pos = 0

        def add(c: Citation, start: int, end: int) -> Citation:
            starts[id(c)] = start
            c.raw = text[start:end].strip(" ,/;")
            cits.append(c)
            return c

        for m in _TOKEN.finditer(masked):
            kind = next(k for k in ("art", "same", "para", "item", "sub", "paren") if m.group(k) is not None)
            gap = masked[pos : m.start()]
            name, is_range = _clean_gap(gap)
            has_sep = bool(_SEPARATORS.search(gap)) or is_range
            name_start = pos + gap.rfind(name) if name else m.start()
            pos = m.end()

            if kind == "paren":
                group = groups.get(m.start(), "")
                if name:
                    # A note right after a law name: usually the version of that law ('구 상법(… 개정되기 전의 것)').
                    lw, fm, ad = self._law_from_name(name)
                    # (A date after 부칙 names the addendum, not an old version of the law.)
                    fm = fm or (not ad and bool(_FORMER_NOTE.search(group)))
                    pending = {"law": lw, "former": fm, "addendum": ad,
                               "start": name_start, "note": group, "written": self.written}
                elif pending is not None and not gap.strip():
                    pending["note"] = (pending["note"] + " " + group).strip()  # '상법 부칙(1984. 4. 10.)'
                elif current is not None and not has_sep:
                    current.note = (current.note + " " + group).strip()  # '(현행 민사집행법 제273조 참조)'
                    if _FORMER_NOTE.search(group) and "현행" not in group:
                        current.former = True  # '제867조 (1990.1.13. 법률 제4199호로 개정되기 전의 것) 제1항'
                    current.raw = text[starts[id(current)] : m.end()].strip(" ,/;")
                continue

            note = ""
            if name:
                law, former, addendum = self._law_from_name(name)
                written = self.written if self.written != law else ""
                start, pending = name_start, None
            elif pending is not None:
                law, former, addendum, start, note = (pending[k] for k in ("law", "former", "addendum", "start", "note"))
                written = pending["written"] if pending["written"] != law else ""
                pending = None
            else:
                start = m.start()
                if law is None and self.last_law:
                    # '[2] 제840조 제6호': an item that starts with an article uses the law of the item before
                    law, former, addendum = self.last_law, self.last_former, False
            named_here = bool(name) or start != m.start()

            if kind in ("art", "same"):
                if kind == "same":
                    if current is None or current.number is None:
                        continue
                    number, branch = current.number, current.branch
                else:
                    number, branch = int(m["anum"] or m["anum2"]), int(m["abr"] or 0)
                prev = current
                # 제1조 내지 제5조: expand small same-law ranges (no branches) into the articles between. One written
                # high end first (제5조 내지 제1조, a slip of order) is the same range — it had cited its two ends
                # alone —, its articles listed from the end written first (제5조, 제4조 … 제1조); unless that end
                # already ends a range (제1조 내지 제5조 내지 제3조: no reading is sure, as the query side reads it).
                ranged = (
                    is_range and not named_here and prev is not None and prev.law == (law or "")
                    and prev.number is not None and not prev.branch and not branch
                    and (0 < number - prev.number <= MAX_RANGE
                         or (0 < prev.number - number <= MAX_RANGE and id(prev) not in range_ends))
                )
                if ranged:
                    step = 1 if number > prev.number else -1
                    for n in range(prev.number + step, number, step):
                        add(Citation(prev.law, n, 0, former=prev.former, addendum=prev.addendum, written=prev.written),
                            starts[id(prev)], m.end())
                # An article with no law anywhere before it keeps law '' (resolves as unknown_law).
                current = add(Citation(law or "", number, branch, former=former, addendum=addendum, note=note,
                                       written=written), start, m.end())
                if ranged:
                    range_ends.add(id(current))
                continue

            # 항 / 호 / 목
            if named_here or current is None:
                # a law named, then a 항 with no article: '주택임대차보호법 부칙 제2항'
                if law is None:
                    continue
                current = add(Citation(law, None, 0, former=former, addendum=addendum, note=note, written=written),
                              start, m.end())
            slot = {"para": "paragraph", "item": "item", "sub": "subitem"}[kind]
            if kind == "para":
                value: object = int(m["pnum"])
            elif kind == "item":
                value = m["inum"] + (f"의{m['ibr']}" if m["ibr"] else "")
            else:
                value = m["snum"] or m["slet"]
            if getattr(current, slot) is not None:
                # '제1항, 제2항' / '제1호 (나)목 제2호': the same article again, another paragraph / item
                clone = Citation(current.law, current.number, current.branch, former=current.former,
                                 addendum=current.addendum, written=current.written)
                if kind in ("item", "sub"):
                    clone.paragraph = current.paragraph
                if kind == "sub":
                    clone.item = current.item
                current = add(clone, m.start(), m.end())
            setattr(current, slot, value)
            current.raw = text[starts[id(current)] : m.end()].strip(" ,/;")

        if pending is not None:
            # a law with a note but no article after it: kept so that it is counted (status no_article)
            add(Citation(pending["law"], None, 0, former=pending["former"], addendum=pending["addendum"],
                         note=pending["note"]), pending["start"], len(text))
        # A trailing law name with no article ('…, 민사소송법') is kept for the same reason.
        tail, _ = _clean_gap(masked[pos:])
        if tail and _looks_like_law(tail):
            lw, fm, ad = self._law_from_name(tail)
            add(Citation(lw, None, 0, former=fm, addendum=ad), pos + masked[pos:].rfind(tail), len(text))
        return cits


_LAW_SUFFIX = _Pattern(r"(?:법|법률|령|규칙|규정|헌법|조약|협약|협정|조례|법전)$")


def _looks_like_law(name: str) -> bool:
    return bool(_LAW_SUFFIX.search(name))


def parse_citations(text: str, *, parser: CitationParser | None = None) -> list[Citation]:
    """Parse one 참조조문 item (or a whole unnumbered list). Pass the same ``parser`` for the items of
    one decision so that ``같은 법`` can refer to a law named in an earlier item."""
    return (parser or CitationParser()).parse(text)


# ---------------------------------------------------------------------------------------------------
# resolution
# ---------------------------------------------------------------------------------------------------


class ArticleCatalog:
    """The articles citations may resolve to: live keys, deleted keys and the law names of a corpus.

    ``known_laws`` (optional) are names of laws that exist but are outside the corpus; they only make
    the report say ``unknown_law`` for a real law vs. an unparsable name (``other_law`` in ``detail``).
    """

    def __init__(
        self,
        live_keys: Iterable[str],
        deleted_keys: Iterable[str] = (),
        law_names: LawNames | None = None,
        known_laws: LawNames | None = None,
    ):
        self.live = set(live_keys)
        self.deleted = set(deleted_keys) - self.live
        if law_names is None:
            law_names = LawNames({k.rsplit(" 제", 1)[0] for k in self.live | self.deleted})
        self.law_names = law_names
        self.known_laws = known_laws

    @classmethod
    def from_articles(cls, articles: Iterable, known_laws: LawNames | None = None,
                      aliases: dict[str, str] | None = None) -> "ArticleCatalog":
        live, deleted, names = set(), set(), set()
        for a in articles:
            (deleted if a.deleted else live).add(a.key)
            names.add(a.law)
        return cls(live, deleted, LawNames(names, aliases=aliases), known_laws)

    @classmethod
    def coerce(cls, catalog) -> "ArticleCatalog | None":
        """Accept a catalog, a sequence of :class:`~legalret.articles.Article`, or live article keys."""
        if catalog is None or isinstance(catalog, cls):
            return catalog
        items = list(catalog)
        if items and all(isinstance(x, str) for x in items):
            return cls(items)
        return cls.from_articles(items)

    def __len__(self) -> int:
        return len(self.live)

    def __contains__(self, key: str) -> bool:
        return key in self.live


@dataclass
class ResolutionReport:
    """Counts of citation statuses (see the module docstring); add reports with ``+=``."""

    counts: Counter = field(default_factory=Counter)
    #: (law as written, status) → count for citations that did not resolve: what to look at first.
    unresolved_laws: Counter = field(default_factory=Counter)
    former_number_live: int = 0

    def add(self, citation: Citation, status: str) -> None:
        self.counts[status] += 1
        if status not in ("resolved", "current_named"):
            self.unresolved_laws[(citation.law, status)] += 1

    def __iadd__(self, other: "ResolutionReport") -> "ResolutionReport":
        self.counts.update(other.counts)
        self.unresolved_laws.update(other.unresolved_laws)
        self.former_number_live += other.former_number_live
        return self

    def to_dict(self, top: int = 30) -> dict:
        return {
            "counts": {s: self.counts.get(s, 0) for s in STATUSES},
            "total": sum(self.counts.values()),
            "former_number_live": self.former_number_live,
            "top_unresolved": [
                {"law": law, "status": st, "count": n} for (law, st), n in self.unresolved_laws.most_common(top)
            ],
        }


#: A note naming the provision in force when it was written: '(현행 제458조 참조)', '(현행 민사집행법 제273조 제2항)',
#: '(현행 국제사법 제25조, 제28조 참조)' — the law (empty: the citation's own) before the first article number.
_CURRENT_NOTE = _Pattern(r"현행\s*([^()]*)")
_CURRENT_ARTICLE = _Pattern(r"제?\s*(\d+)\s*조(?:\s*의\s*(\d+))?")


def current_keys(citation: Citation, catalog: ArticleCatalog) -> list[str]:
    """Keys of the live provisions the citation's note names as in force (``(현행 제458조 참조)``), in order;
    empty when the note names none (``(현행 삭제)``, ``(현행 제1호 참조)``, a 부칙, a law outside the catalog)."""
    if "현행" not in citation.note:
        return []
    keys: list[str] = []
    for group in _CURRENT_NOTE.finditer(citation.note):
        text = group.group(1)
        first = _CURRENT_ARTICLE.search(text)
        if first is None or "부칙" in text:
            continue
        written = _squash(text[: first.start()])
        same = _SAME_LAW.match(written) if written else None
        if not written or same:  # '현행 제458조', '현행 같은 법 시행령 제5조'
            rest = (same.group("rest") or "").strip() if same else ""
            written = f"{citation.law} {rest}".strip()
        law = catalog.law_names.resolve(written)
        if law is None:
            continue
        for number, branch in _CURRENT_ARTICLE.findall(text):
            key = format_key(law, int(number), int(branch or 0))
            if key in catalog.live and key not in keys:
                keys.append(key)
    return keys


def status_of(citation: Citation, catalog: ArticleCatalog) -> tuple[str, str | None]:
    """(status, key in the corpus or None; for ``current_named`` the first of :func:`current_keys`)."""
    named = current_keys(citation, catalog)
    if named:
        return "current_named", named[0]
    law = catalog.law_names.resolve(citation.law) if citation.law else None
    former = citation.former
    if citation.written.startswith("구") and not citation.written.startswith("구 "):
        # '구민법' is the former 민법, but '구강보건법' is a law of its own: an exact name match wins
        exact = catalog.law_names.resolve(citation.written)
        if exact is not None and compact(exact) == compact(citation.written):
            law, former = exact, False
    if law is None:
        return "unknown_law", None
    if citation.addendum:
        return "addendum", None
    if citation.number is None:
        return "no_article", None
    key = format_key(law, citation.number, citation.branch)
    if former:
        return "former", key
    if key in catalog.live:
        return "resolved", key
    if key in catalog.deleted:
        return "deleted", key
    return "unknown_article", key


#: When today's numbering of a law took effect (its current code in force), set by hand where the table below
#: has no exact date. A decision made earlier that cites the law by this name applied the code it replaced
#: (의용민법, 의용상법): other article numbers.
NUMBERING_SINCE: dict[str, date] = {
    "민법": date(1960, 1, 1),  # 민법 (법률 제471호, 1958. 2. 22.) in force 1960. 1. 1.
    "상법": date(1963, 1, 1),  # 상법 (법률 제1000호, 1962. 1. 20.) in force 1963. 1. 1.
}
#: ``legalret/data/numbering_since.tsv`` (``scripts/numbering_build_table.py``): the latest whole new text of each
#: law the courts' own citations date (``구 근로기준법(2007. 4. 11. 법률 제8372호로 전부 개정되기 전의 것)``), 129 laws.
NUMBERING_TABLE = Path(__file__).resolve().parent.parent / "data" / "numbering_since.tsv"
#: A whole new text takes effect up to a year after it is promulgated (도로교통법 2005. 5. 31. → 2006. 6. 1.); a
#: decision in between applied the old numbers. The table's dates are promulgations: a year is added to each.
MARGIN_DAYS = 365


@lru_cache(maxsize=1)
def numbering_since() -> dict[str, date]:
    """Law name → the first decision date whose plain citations of it use today's numbers: the table's dates plus
    :data:`MARGIN_DAYS`, then :data:`NUMBERING_SINCE` (exact dates, set by hand) over them."""
    since: dict[str, date] = {}
    if NUMBERING_TABLE.exists():
        for line in NUMBERING_TABLE.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                law, promulgated = line.split("\t")[:2]
                since[law] = date.fromisoformat(promulgated) + timedelta(days=MARGIN_DAYS)
    return {**since, **NUMBERING_SINCE}


def predates_numbering(key: str, decided: date | str | None) -> bool:
    """True when ``key``'s law got today's numbering only after ``decided`` (the citation names an article
    of the replaced text, not today's article of that number: :func:`numbering_since`). Unknown date or law → False.

    >>> predates_numbering("민법 제750조", "1958-05-01"), predates_numbering("민법 제750조", "1961-05-01")
    (True, False)
    >>> predates_numbering("근로기준법 제27조", "1989-02-28"), predates_numbering("근로기준법 제27조", "2010-01-01")
    (True, False)
    """
    if decided is None:
        return False
    if isinstance(decided, str):
        decided = date.fromisoformat(decided[:10])
    law = key.split(" 제", 1)[0]
    since = numbering_since().get(law)
    return since is not None and decided < since


def resolve(citations: Iterable[Citation], catalog: ArticleCatalog,
            report: ResolutionReport | None = None) -> tuple[list[str], ResolutionReport]:
    """Keys (ordered, unique) of the citations that resolve to live articles of ``catalog``, and a report."""
    report = report if report is not None else ResolutionReport()
    keys: list[str] = []
    for c in citations:
        status, key = status_of(c, catalog)
        report.add(c, status)
        if status == "former" and key in catalog.live:
            report.former_number_live += 1
        if status == "resolved" and key not in keys:
            keys.append(key)
        elif status == "current_named":
            for named in current_keys(c, catalog):
                if named not in keys:
                    keys.append(named)
    return keys, report
