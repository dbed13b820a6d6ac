"""What a search returns: :class:`Hit` s in a :class:`SearchResults` list (with notices, citations, terms).

Usage::

    from legalret.search import Searcher
    results = Searcher("index/").search("유치권 간접점유", explain=True)
    results.keys, results.notices, results.terms       # terms: the query words to highlight in hit texts
    hit = results[0]; hit.key, hit.score, hit.ranks, hit.reasons, hit.precedents, hit.contributions
    hit.probability                                     # hybrid re-ranked: its softmax share over the candidates (0–1)
    hit.relevance, hit.guess                            # 0–100 as every interface shows it; None: withheld (a guess)
    hit.to_dict(with_text=True)                         # what `legalret search --json` prints
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from legalret.articles import Article
from legalret.keys import ArticleRef, format_key, parse_key
from legalret.search.citations import QueryCitation, item_name, reversed_item_range_notice

#: A cited range (``민법 제1조 내지 제1118조``) lists at most this many articles between its two ends, with a notice.
MAX_RANGE = 30


def shown(value: float) -> float:
    """A score or probability as every interface prints it (6 places)."""
    return round(float(value), 6)


@dataclass
class Hit:
    key: str
    score: float
    article: Article
    ranks: dict[str, int] = field(default_factory=dict)  # 1-based rank per retriever ('citation' for exact ones)
    scores: dict[str, float] = field(default_factory=dict)  # raw score per retriever
    reasons: list[str] = field(default_factory=list)
    votes: dict[str, tuple[float, int]] = field(default_factory=dict)  # memory/facts: (vote share, supporting decisions)
    precedents: list[dict] = field(default_factory=list)  # explain: the earlier decisions that voted for this article
    # explain, when the learned re-ranker ranked the hit: its feature contributions as data, the explain line's
    # features ([{"feature", "group", "value"}], legalret.search.explain.Learned)
    contributions: list[dict] = field(default_factory=list)
    # the day the hit's text takes effect when that is still to come (Article.takes_effect; set by the searcher)
    takes_effect: str | None = None
    # hybrid, when the learned re-ranker ranked the hit: its softmax share over every candidate it scored for the query
    # (0–1; the model's probability that this article is the answer among them; what relevance shows). None otherwise,
    # and for a guess
    probability: float | None = None
    # 0–100 as every interface shows it, None when withheld or meaningless (legalret.search.relevance; set by the
    # searcher, from the answer's hits and notices)
    relevance: int | None = None
    # only a nearest guess (the answer's notices say why): its relevance and probability are withheld
    guess: bool = False

    def numbers(self) -> dict:
        """``score``, ``ranks`` and ``probability`` as :meth:`to_dict` gives them (:func:`shown`): what the relevance
        rule reads (:func:`legalret.search.relevance.rate_hits`), so a relevance is the one the printed numbers give."""
        return {"score": shown(self.score), "ranks": self.ranks,
                "probability": None if self.probability is None else shown(self.probability)}

    def to_dict(self, *, with_text: bool = False) -> dict:
        """The hit as ``legalret search --json``, ``/api/search``, MCP and LangChain give it (they add to it):
        ``relevance``, ``deleted`` and ``takes_effect`` (None, or the day its text takes effect) always; ``probability`` when the re-ranker gave one, null when it is withheld (a guess); the
        article's ``text`` with ``with_text``."""
        d = {
            "key": self.key,
            "score": shown(self.score),
            "title": self.article.title,
            "law": self.article.law,
            "kind": self.article.kind,
            "ranks": self.ranks,
            "scores": {k: shown(v) for k, v in self.scores.items()},
            "reasons": self.reasons,
        }
        if self.precedents:
            d["precedents"] = self.precedents
        # always there, as MCP and LangChain give them (a typed client had to guess whether a missing key meant false)
        d["deleted"] = bool(self.article.deleted)
        d["takes_effect"] = self.takes_effect or None  # the day a text not in force yet takes effect
        d["relevance"] = self.relevance
        if self.probability is not None or self.guess:
            d["probability"] = None if self.probability is None else shown(self.probability)
        if with_text:
            d["text"] = self.article.body_text()
        return d


class SearchResults(list):
    """A list of :class:`Hit` plus what the caller should be told about the query: ``notices``,
    ``citations`` (exact ones found in it) and ``terms`` (its words worth highlighting in a hit's text,
    from the tokens the search already made: no second Kiwi pass)."""

    def __init__(self, hits: Iterable[Hit] = (), *, query: str = "", notices: list[str] | None = None,
                 citations: list[QueryCitation] | None = None, terms: list[str] | None = None):
        super().__init__(hits)
        self.query = query
        self.notices: list[str] = notices or []
        self.citations: list[QueryCitation] = citations or []
        self.terms: list[str] = terms or []

    @property
    def keys(self) -> list[str]:
        return [h.key for h in self]


def mark_not_in_force(hits: list[Hit], today: str, notes: list[str]) -> None:
    """Set ``takes_effect`` on the hits whose text is a law version not in force on ``today`` (ISO), and say so in
    one notice: a lawyer must not cite next year's text as today's."""
    pending = []
    for hit in hits:
        hit.takes_effect = hit.article.takes_effect(today)
        if hit.takes_effect:
            pending.append(f"{hit.key} (from {hit.takes_effect})")
    if pending:
        notes.append(f"not yet in force: {', '.join(pending)} — the text shown takes effect then; the text in force "
                     "today may differ (law.go.kr shows it)")


def citation_hits(cites: list[QueryCitation], data: Any, top: float, notes: list[str],
                  laws: Iterable[str] | None = None, k: int = MAX_RANGE,
                  kinds: Iterable[str] | None = None) -> list[Hit]:
    """The hits of a query's exact citations, scored above the best retrieved one (``top``), in order — a range's
    live articles between its two ends included (at most :data:`MAX_RANGE`, and the ``k`` hits asked for: the notice
    says how many a longer range shows); a cited article the index lacks or has
    deleted, or whose paragraph it lacks, gets a notice — and so does one outside the ``laws`` filter: listed, since
    the query cites it, but said (and one outside the ``kinds`` filter)."""
    hits: list[Hit] = []
    kinds = list(kinds) if kinds else None
    outside = sorted({c.law for c in cites if laws and c.law not in laws and c.key in data.by_key})
    if outside:
        notes.append(f"cited articles of {', '.join(outside)} are listed though the law filter is "
                     f"{', '.join(laws or [])}: the query cites them")
    other_kind = sorted({c.law for c in cites if kinds and c.law not in outside and c.key in data.by_key
                         and data.articles[data.by_key[c.key]].kind not in kinds})
    if other_kind:  # (근로기준법 시행령 제2조 with --kind 법률 had been listed without a word)
        notes.append(f"cited articles of {', '.join(other_kind)} are listed though the kind filter is "
                     f"{', '.join(kinds or [])}: the query cites them")

    lasts: dict[str, ArticleRef | None] = {}  # each law's last article, for the notices of articles it lacks

    def add(key: str, art: Article, reason: str) -> None:
        hits.append(Hit(key, top + 1.0, art, {"citation": len(hits) + 1}, {}, [reason]))

    # 제3호 내지 제1호: read as 제1호–제3호, and said (as check_citation says it) before what its items lack
    notes.extend(reversed_item_range_notice(c) for c in cites if c.item_range_written)
    for c in cites:
        if c.range_start is not None:
            span, between = cited_range(c, data)
            if c.range_written:
                notes.append(reversed_range_notice(c, span))
            inside = [k for k in between if not data.articles[data.by_key[k]].deleted and all(h.key != k for h in hits)]
            shown = min(MAX_RANGE, k)
            if len(inside) > shown:
                notes.append(range_size_notice(span, between, data, shown, "not deleted are listed"))
            for key in inside[:shown]:
                add(key, data.articles[data.by_key[key]], f"within the cited range '{span}'")
        listed = next((h for h in hits if h.key == c.key), None)
        if listed is not None:  # listed already: "제8조 제1항 및 제5항" still checks 제5항
            missing = None if listed.article.deleted else missing_part(listed.article, c)
            if missing:
                notes.append(f"cited article {c.key} has no {missing}")
                listed.reasons[-1] += f" — it has no {missing}"
            continue
        pos = data.by_key.get(c.key)
        if pos is None:
            notes.append(missing_article_notice(c, data, lasts))
            continue
        art, reason = data.articles[pos], f"cited by decision {c.via}" if c.via else f"exact citation '{c.raw}'"
        if c.raw.startswith("구") and not c.law.startswith("구"):  # '구 민법 제750조': an old text of the law
            notes.append(f"'{c.raw}' cites a former text of {c.law} (구): today's {c.key} is listed; its text, and "
                         "what the number names, may differ")
        if art.deleted:
            notes.append(f"cited article {c.key} is deleted (삭제)")
            reason += " — article deleted (삭제)"
        elif missing := missing_part(art, c):  # an invented 제9항 (or 제9호) is no citation
            notes.append(f"cited article {c.key} has no {missing}")
            reason += f" — it has no {missing}"
        add(c.key, art, reason)
    return hits


def missing_article_notice(cite: QueryCitation, data: Any, lasts: dict[str, ArticleRef | None] | None = None) -> str:
    """What the search says of a cited article of a law the index holds that the index lacks: the law is there, the
    article is not in its text — past the law's end, ``cited article 형법 제999조 is not in this index: 형법 as indexed has
    no such article (its last is 제372조)``; a branch its article lacks, ``…: 민법 as indexed has 제750조 but no
    제750조의2``; a gap inside the law, ``…: 형법 as indexed has no article 제5조``. (It had said only "is not in this
    index", which a new user read as a gap in the index, as of a law it lacks; then "its last is 제1118조" of 민법
    제750조의2 too, which read as if 750 were past the law's end.) The line's start stays as it was: the page and
    :mod:`legalret.search.relevance` read it. ``lasts``: each law's last article found so far (a query citing many
    invented articles scans the keys once a law).
    """
    written = f" ({cite.raw})" if cite.raw and cite.raw != cite.key else ""
    lasts = {} if lasts is None else lasts
    if cite.law not in lasts:
        lasts[cite.law] = last_article(data, cite.law)
    last, cited = lasts[cite.law], ArticleRef(cite.law, cite.number, cite.branch)
    # (each notice written out whole: tests/test_page_notices.py reads the returned templates)
    if last is None:
        return f"cited article {cite.key}{written} is not in this index"
    if cited > last:
        return (f"cited article {cite.key}{written} is not in this index: {cite.law} as indexed has no such article "
                f"(its last is {last.label})")
    if cite.branch and format_key(cite.law, cite.number) in data.by_key:
        return (f"cited article {cite.key}{written} is not in this index: {cite.law} as indexed has "
                f"제{cite.number}조 but no {cited.label}")
    return f"cited article {cite.key}{written} is not in this index: {cite.law} as indexed has no article {cited.label}"


def last_article(data: Any, law: str) -> ArticleRef | None:
    """The highest-numbered article of ``law`` the index holds (deleted ones too: their keys are there), or None when it
    holds none (a scan of the keys, as :func:`range_keys`: only a cited article the index lacks asks)."""
    prefix, last = f"{law} 제", None
    for key in data.by_key:
        if key.startswith(prefix):
            ref = parse_key(key)
            if ref.law == law and (last is None or ref > last):
                last = ref
    return last


def missing_part(article: Article, cite: Any) -> str | None:
    """The 제N항 (or 제N항 제M호, 제M호, 제M호의K) ``cite`` names that ``article`` lacks, as a notice writes it; None
    when it has them all (the search had checked the 항 only: 민법 제750조 제9호 passed as an exact citation)."""
    if cite.paragraph is not None and not paragraph_exists(article, cite.paragraph):
        return f"제{cite.paragraph}항"
    item, branch = getattr(cite, "item", None), getattr(cite, "item_branch", 0) or 0
    if item is not None and not item_exists(article, cite.paragraph, item, branch):
        # the 호의K named in full: a missing 제3호의2 had been said as "no 제3호", which the article may well have
        named = item_name(item, branch)
        return f"제{cite.paragraph}항 {named}" if cite.paragraph is not None else named
    return None


def paragraph_exists(article: Article | None, paragraph: int) -> bool:
    """Whether ``article`` has 제``paragraph``항 in force: False for an article not in the index, and for a deleted
    one (its only text is "삭제 <…>": no paragraphs left to cite); an article of one unnumbered paragraph has 제1항."""
    if article is None or article.deleted:
        return False
    numbers = {p.number for p in article.paragraphs}
    return paragraph in numbers or (paragraph == 1 and numbers == {None})


def item_exists(article: Article | None, paragraph: int | None, item: int, branch: int = 0) -> bool:
    """Whether ``article`` has 제``item``호 (제``item``호의``branch`` with a ``branch``) — in 제``paragraph``항 when one is
    named, else in any of its paragraphs; False for a missing or deleted article (as :func:`paragraph_exists`).

    The branch is compared too: an inserted item is its own 호 (``2의2.`` in the item list), so 제2호의2 is not there
    because 제2호 is, nor 제2호 because 제2호의2 is."""
    if article is None or article.deleted:
        return False
    paragraphs = [p for p in article.paragraphs
                  if paragraph is None or p.number == paragraph or (paragraph == 1 and p.number is None)]
    return any(item_number(i.number) == (item, branch) for p in paragraphs for i in p.items)


#: A stored 호 mark: ``2``, ``2의2`` (the ingesters write these; a stray ``.`` or spaces are read past all the same).
_ITEM_MARK = re.compile(r"\s*(\d+)\s*(?:의\s*(\d+))?\s*\.?\s*")


def item_number(mark: str) -> tuple[int, int] | None:
    """(number, branch) of a stored 호 mark — ``"2의2"`` → (2, 2), ``"2"`` → (2, 0) — as :class:`QueryCitation`
    holds ``item`` / ``item_branch``; None for a mark that is no numbered 호."""
    m = _ITEM_MARK.fullmatch(mark or "")
    return (int(m[1]), int(m[2] or 0)) if m else None


def cited_range(cite: QueryCitation, data: Any) -> tuple[str, list[str]]:
    """A cited range as a notice names it (``민법 제750조–제752조``) and the index's keys strictly between its ends —
    what the search lists and the citation check reports."""
    span = f"{format_key(cite.law, *cite.range_start)}–{cite.key.removeprefix(cite.law + ' ')}"
    return span, range_keys(data, cite.law, cite.range_start, (cite.number, cite.branch))


def reversed_range_notice(cite: QueryCitation, span: str) -> str:
    """What the search and the citation check say of a range written high end first (``민법 제752조 내지 제750조``):
    it is read as the range (``span``), not as its two ends alone — a slip of order, said so that it can be checked."""
    return f"the cited range '{cite.range_written}' is written high end first: read as {span}"


def range_size_notice(span: str, between: list[str], data: Any, first: int, done: str) -> str:
    """What the search and the citation check say of a range longer than they show: how many keys of the index lie
    strictly between its ends, deleted (삭제) ones included and counted — one count for both (the search had said
    "holds 1114 articles" and the check "holds 1191 articles between its ends" for the same 민법 제1조 내지 제1118조:
    the search counted the articles not deleted, the check every key) — and what is done with the ``first`` of them
    (``done``: "not deleted are listed", "are checked; …")."""
    deleted = sum(1 for key in between if data.articles[data.by_key[key]].deleted)
    return (f"the cited range {span} holds {len(between)} articles between its ends, {deleted} of them deleted (삭제): "
            f"the first {first} {done}")


def range_keys(data: Any, law: str, first: tuple[int, int], last: tuple[int, int]) -> list[str]:
    """The index's keys of ``law`` strictly between the articles ``first`` and ``last`` ((number, branch)), in article
    order (a scan of the keys: ranges are rare, and this costs ~20 ms on an index of every law)."""
    prefix, inside = f"{law} 제", []
    for key in data.by_key:
        if key.startswith(prefix):
            ref = parse_key(key)
            if ref.law == law and first < (ref.number, ref.branch) < last:
                inside.append(((ref.number, ref.branch), key))
    return [key for _, key in sorted(inside)]
