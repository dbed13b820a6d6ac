"""Exact article citations inside a query: ``민법 제750조``, ``상법 651조의2``, ``민법 750조 1항``, ``같은 법 제3조``.

A query that names an article wants that article first, whatever BM25 or the encoder think. The finder
recognises ``[제]N조[의M] [제]N항 [제]N호[의K]`` and looks for the law name written just before it (resolved
with :class:`legalret.keys.LawNames`, so spacing, middle dots and ``구`` prefixes do not matter). A law
carries over to the following numbers (``민법 제750조, 제751조``), ``같은 법`` / ``동법`` / ``위 법률`` refer back, and
a bare ``제N조`` uses ``default_law`` (the searcher passes the law filter when it names exactly one law).
A range (``제750조 내지 제752조``, ``제750조부터 제752조까지``, ``제750조~제752조``) cites every article in it: its
last citation carries ``range_start``, and the searcher fills in the index's articles between the two ends
(:func:`legalret.search.results.citation_hits`: 제751조, and 제751조의2 where the law has one). A range written
high end first (``제752조 내지 제750조``, a slip of order) is read as the same range, its ends listed low end first,
and its higher end carries ``range_written`` so that the searcher and the citation check say it was read so. An end
cited before its range (``민법 제752조, 제750조 내지 제752조``) is listed once, where first written, carrying the
range (the searcher lists 제751조, 제752조, 제750조).
A law name followed by a bare number is a citation too, the way people type one (``민법 750`` → 민법 제750조,
``상법 651의2``, ``민법750``; a paragraph and item after it are read as after 조: ``민법 750 1항``, ``민법 750 ①``),
unless the number is a count, date, amount or case number (``민법 3년``, ``2020다1234``) or is glued to a word that
only ends with a law's name (``시민법750``).
Several paragraphs or items of one article (``제8조 제1항 및 제5항``, ``제2조 제1항 제1호 및 제2호``, ``제1호·제2호``)
are one citation each, all of that article (제1항 제1호 and 제1항 제2호), so that each is checked. So is each item of a
range of items (``제2조 제1항 제1호 내지 제3호``, ``제1호부터 제3호까지``, ``제1호~제3호``: 제1호, 제2호 and 제3호, an item the
article lacks reported as a single one is); each after the first carries ``item_after``, the item before it, so that a
caller with the article fills in its branch items between (제1호의2: ``check_citation``,
:func:`legalret.serve.statutes.branch_items_between`). Written high end first (``제3호 내지 제1호``) it is the same range, listed low end first, its higher
end carrying ``item_range_written`` (:func:`reversed_item_range_notice` says so).

Usage::

    from legalret.keys import LawNames
    from legalret.search.citations import find_citations

    names = LawNames(["민법", "상법"])
    [c.key for c in find_citations("상법 651조의2 질문의 효력", names)]   # ['상법 제651조의2']
    find_citations("민법 750조 1항", names)[0].paragraph                  # 1
    [c.key for c in find_citations("민법 750 손해배상", names)]          # ['민법 제750조']
    str(find_citations("민법 750 1항 2호의2", names)[0])                 # '민법 제750조 제1항 제2호의2'
    [c.key for c in find_citations("민법750", names)]                    # ['민법 제750조']
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache

from legalret.corpus.manifest import add_command, add_hint, index_option
from legalret.keys import CONSTITUTION, FORMER, LawNames, format_key, law_aliases, mirror_laws
from legalret.text import compact, normalize

# 조 must not start a money/count word: "1조원", "2조 달러" are not citations.
# The numbers take all their digits (a number no article has is then "not in this index", never a shorter one).
# A number after 의 is a branch (제651조의2, 제3조의 2) unless 항 or 호 follows it: then 의 is the possessive and the
# number a paragraph or item ("형법 250조의 1항" is 제250조 제1항; it had been read as 제250조의1, "not in this index").
# A circled number ①–⑳ right after the article is its paragraph, as the statutes number them ("제250조 ③": 제3항) —
# unless the query uses circled numbers otherwise too (an enumeration: _article_pattern).
_CIRCLED = "\u2460-\u2473"  # ① … ⑳
# An item, with its branch as the statutes number inserted items ("제1호의2", "제3호의 2": 제1호 and 제2호 stay where they
# were): the branch had been dropped, and "제1호의2" read as 제1호 — another item. As for 조의N, a number followed by
# 조, 항 or 호 is no branch.
# A branch never starts with 0: "제1조의0" (an invented key) had been read as 제1조 and checked as existing; its 의0 is
# now left over, and said (:data:`_NO_BRANCH`).
_ITEM = r"(?:제\s*)?(?P<item>\d{1,3})\s*호(?:\s*의\s*(?P<item_branch>[1-9]\d{0,2})(?!\d|\s*[조항호]))?"
_ARTICLE_FORM = (
    r"(?:제\s*)?(?<!\d)(?P<num>\d{1,12})\s*조(?!\s*(?:원|달러|엔|위안|건|개))"
    r"(?:\s*의\s*(?P<branch>[1-9]\d{0,11})(?!\d|\s*[항호]))?"
    r"(?:\s*(?:의\s*)?(?:(?:제\s*)?(?P<para>\d{1,3})\s*항{circled}))?"
    r"(?:\s*(?:의\s*)?" + _ITEM + ")?"
)
_ARTICLE = re.compile(_ARTICLE_FORM.replace("{circled}", f"|(?P<circled>[{_CIRCLED}])"))
#: A branch written from 0 (제1조의0, 제3호의01): not read as one, and said (:func:`unresolved_citations`).
_NO_BRANCH = re.compile(r"(?:제\s*)?(?<!\d)(?P<num>\d{1,12})\s*(?P<unit>[조호])\s*의\s*(?P<zero>0\d*)(?!\d)")
_ARTICLE_PLAIN = re.compile(_ARTICLE_FORM.replace("{circled}", ""))  # circled numbers not read as paragraphs
_CIRCLED_CHAR = re.compile(f"[{_CIRCLED}]")
# A bare number right after a law name ("민법 750", "상법 651의2", "민법750"): not part of a longer number, and
# followed by the end, a space or punctuation, or a particle — never by a unit or a case-number letter (년, 원,
# 개, 다 …). A number glued to a word is a citation only when that whole word is a law's name (_bare_citations).
# A paragraph and an item after it are read as after 조 ("민법 750 1항" is 민법 제750조 제1항, as "민법 750조 1항" is:
# the 1항 had been dropped, left as words to search, and the citation's paragraph never checked) — a circled number
# too, as after 조 and on the same terms ("민법 750 ①" is 제750조 제1항; the ① had been dropped: _article_pattern).
_BARE_FORM = (
    r"(?<![\d.])(?:제\s*)?(?P<num>[1-9]\d{0,3})(?:\s*의\s*(?P<branch>[1-9]\d{0,2}))?(?!\s*[조항호])"
    r"(?=$|[\s;:?!)\]」』\"'”’" + _CIRCLED + r"]|[.,](?!\d)|(?:은|는|이|가|을|를|에|의|과|와|도|만)(?![가-힣]))"
    r"(?:\s*(?:의\s*)?(?:(?:제\s*)?(?P<para>\d{1,3})\s*항{circled}))?"
    r"(?:\s*(?:의\s*)?" + _ITEM + ")?"
)
_BARE_NUMBER = re.compile(_BARE_FORM.replace("{circled}", f"|(?P<circled>[{_CIRCLED}])"))
_BARE_NUMBER_PLAIN = re.compile(_BARE_FORM.replace("{circled}", ""))  # circled numbers not read as paragraphs
_MORE_BARE = re.compile(r"\s*(?:,|·|ㆍ|및|와|과)\s*")  # between two bare numbers of one law: "민법 750, 751"
# A reference back to the law of the article cited before it, right before an article: 같은 법, 동법, 같은 법률, and "the
# said law" — 위 법, 위 법률, 위 법령, 상기 법, 上記 법 (위 법률 제28조 had been "'제28조' names no law"). 위, 상기 and 上記
# only as words of their own (행위 법, 범위 법률 end other words), and 위 apart from 법: 위법 (illegality) and 위법성 are
# no reference; the reference ends at the article, so 위 법률관계 is none either.
# "같은 법 시행령 제3조" cites the decree of the law before it, not the law (민법 제3조 had been read for it)
_SAME_LAW = re.compile(r"(?:같은\s*법|동\s*법|(?<![가-힣])(?:위\s|상기|上記)\s*법)(?:률|령)?"
                       r"(?:\s*(?P<decree>시행령|시행규칙))?\s*$")
# What may stand between two citations of the same law: separators and conjunctions, after the first one's title in
# brackets ("민법 제103조(반사회질서의 법률행위), 제104조(불공정한 법률행위)").
_CARRY = re.compile(r"^(?:\s*\([^()]{1,40}\))?[\s,·/및와과또는내지부터까지\-~ㆍ、]*$")
# … or running text that names no other law ("민법 제750조에 따르면 …, 제751조에 따라"): the law read last is meant.
_CARRY_TEXT_CHARS = 60
_WORD = re.compile(r"[가-힣A-Za-z·ㆍ]+")
_PARTICLE_END = re.compile(r"(?:상|의|은|는|이|가|을|를|에|에서|과|와|도|만|으로|로)$")
# More paragraphs of the article just cited: "제8조 제1항 및 제5항", "제1항, 제2항", "제1항, 같은 조 제5항".
_MORE_PARAGRAPHS = re.compile(r"(?:\s*(?:,|·|ㆍ|및|와|과|또는)\s*)+(?:같은\s*조\s*)?(?:(?:제\s*)?(?P<para>\d{1,3})\s*항(?!\s*\d)"
                              f"|(?P<circled>[{_CIRCLED}]))"
                              r"(?:\s*" + _ITEM + ")?")
# More items of the paragraph (or article) just cited: "제1항 제1호 및 제2호", "제1호, 제2호", "제1호·제2호" (제2호 had been
# dropped, and an invented one never checked).
_MORE_ITEMS = re.compile(r"(?:\s*(?:,|·|ㆍ|및|와|과|또는)\s*)+" + _ITEM)
# … and the other end of a range of items: "제1호 내지 제3호", "제1호부터 제3호까지", "제1호~제3호" (read as 제1호 alone:
# 제2호 and 제3호 had never been checked). A 까지 after it is part of it, so that what follows is read on ("… 까지 및 제5호").
_ITEM_RANGE = re.compile(r"\s*(?:내지|부터|[~∼\-–—])\s*" + _ITEM + r"(?:\s*까지)?")
# The most items a range is read as (no paragraph of a statute has more than 67: 공항시설법 시행령, 2026-04): a longer
# one ("제1호 내지 제300호") is a slip, read as its two ends — the end the article lacks reported once, not each number.
_MAX_ITEM_RANGE = 100
_ITEM_BEFORE = re.compile(r"(?:제\s*)?\d{1,3}\s*호(?:\s*의\s*\d{1,3})?$")  # the item a citation ends with


def item_name(item: int, branch: int = 0) -> str:
    """A 호 as a citation writes it: ``제2호``, ``제2호의2`` (``branch`` 0: no 의K)."""
    return f"제{item}호의{branch}" if branch else f"제{item}호"


def reversed_item_range_notice(cite: QueryCitation) -> str:
    """What the search and the citation check say of a range of items written high end first (``cite``: its higher
    end, carrying ``item_range_written``): it is read as the range, low end first — as a range of articles is."""
    low = item_name(*cite.item_range_start)
    return (f"the cited range '{cite.item_range_written}' is written high end first: read as {cite.key}"
            + (f" 제{cite.paragraph}항" if cite.paragraph is not None else "")
            + f" {low}–{item_name(cite.item, cite.item_branch)}")


def _item(m: re.Match) -> tuple[int | None, int]:
    """The item and its branch a match of :data:`_ITEM` names: ``제3호`` (3, 0), ``제1호의2`` (1, 2); (None, 0) for none."""
    return (int(m["item"]), int(m["item_branch"] or 0)) if m["item"] else (None, 0)


def _paragraph(m: re.Match) -> int | None:
    """The paragraph an :data:`_ARTICLE` or :data:`_MORE_PARAGRAPHS` match names: ``제3항``, ``3항`` or ``③``."""
    if m["para"]:
        return int(m["para"])
    circled = m.groupdict().get("circled")
    return ord(circled) - 0x245F if circled else None


def _article_pattern(query: str, law_names: LawNames) -> re.Pattern:
    """:data:`_ARTICLE` when every circled number of ``query`` stands right after an article (``형법 제250조 ③``,
    ``제8조 ①, ②``, ``제8조 ① 제1호 및 제2호, ②``) or a law's bare number (``민법 750 ①``): they are its paragraphs
    (and :func:`_bare_citations` reads them too); else :data:`_ARTICLE_PLAIN` — circled numbers that enumerate (``①
    민법 제750조 ② 민법 제751조``, ``① 민법 750 ② 민법 751``) name no paragraph (② would have been read as 제750조
    제2항)."""
    circled = {m.start() for m in _CIRCLED_CHAR.finditer(query)}
    if not circled:
        return _ARTICLE_PLAIN
    attached = set()
    for m in _ARTICLE.finditer(query):
        if m["circled"]:
            attached.add(m.start("circled"))
        for more in _more_parts(query, m.end(), True, m["item"] is not None):
            if more.re is _MORE_PARAGRAPHS and more["circled"]:
                attached.add(more.start("circled"))
    for cite in _bare_citations(query, law_names, circled=True):  # (a bare citation's span holds only its own)
        attached.update(i for i in circled if cite.start <= i < cite.end)
    return _ARTICLE if attached == circled else _ARTICLE_PLAIN


def _more_parts(query: str, end: int, paragraph: bool, item: bool) -> Iterator[re.Match]:
    """The further parts of the article just cited, written from ``end`` on, in order: paragraphs
    (:data:`_MORE_PARAGRAPHS`; ``paragraph``: the citation names one), items of the paragraph just read
    (:data:`_MORE_ITEMS`; ``item``: the part just read names one) and the other end of a range of them
    (:data:`_ITEM_RANGE`) — ``제1항 제1호 및 제2호, 제2항 제3호 내지 제5호``."""
    while True:
        more = (_MORE_ITEMS.match(query, end) or _ITEM_RANGE.match(query, end) if item else None) or (
            _MORE_PARAGRAPHS.match(query, end) if paragraph else None)
        if more is None:
            return
        yield more
        item, end = more["item"] is not None, more.end()


def _more_citations(query: str, cite: QueryCitation, circled: bool) -> tuple[list[QueryCitation], int]:
    """``cite`` and the further paragraphs and items written after it (:func:`_more_parts`), one citation each, spanning
    from ``cite``'s start, and where they end: each is checked (the 제5항 of "제8조 제1항 및 제5항" had been dropped, and
    the 제2호 of "제2조 제1항 제1호 및 제2호" — read as 제1항 제2호, an item of the paragraph before it), and each item of a
    range (:func:`_item_range`). ``circled``: a circled number is a paragraph (``제8조 ①, ②``; not one that enumerates:
    :func:`_article_pattern`)."""
    out, end, paragraph = [cite], cite.end, cite.paragraph
    for more in _more_parts(query, end, cite.paragraph is not None, cite.item is not None):
        if more.re is _MORE_PARAGRAPHS:
            if more["circled"] and not circled:
                break
            paragraph = _paragraph(more)
        item, item_branch = _item(more)
        one = QueryCitation(law=cite.law, number=cite.number, branch=cite.branch, paragraph=paragraph, item=item,
                            item_branch=item_branch, raw=query[cite.start : more.end()].strip(), start=cite.start,
                            end=more.end())
        if more.re is _ITEM_RANGE:  # (the range's first end is the item just read)
            out += _item_range(query, out.pop(), one)
        else:
            out.append(one)
        end = more.end()
    return out, end


def _written_from(query: str, item_end: int, end: int) -> str:
    """The text from the item that ends at ``item_end`` to ``end`` (``제3호 내지 제1호`` of "제2조 제1항 제3호 내지 제1호")."""
    item = _ITEM_BEFORE.search(query, 0, item_end)
    return query[item.start() if item else item_end : end].strip()


def _item_range(query: str, first: QueryCitation, last: QueryCitation) -> list[QueryCitation]:
    """The items of the range whose ends, as written, are ``first`` and ``last`` (``last`` spanning the range), low end
    first: the whole numbers between them are cited too (제2호 of 제1호 내지 제3호; 제2호 of 제1호의2 내지 제2호의3, and
    제2호 of 제1호 내지 제2호의2 — a branch comes after its number), each carrying ``item_after``, the item before it, for
    a caller with the article to fill in the branch items between (제1호의2). Written high end first, ``last`` is the
    lower end (listed first, spanning the range) and ``first`` the higher, carrying the range as written from its first
    item (``제3호 내지 제1호``; the article and the items before it are in the notice's reading). A range of
    more than :data:`_MAX_ITEM_RANGE` items is its two ends alone, low end first."""
    ends = [(first.item, first.item_branch), (last.item, last.item_branch)]
    if ends[0] == ends[1]:  # "제1호 내지 제1호": the one item
        return [first]
    backwards = ends[0] > ends[1]
    low, high = (last, first) if backwards else (first, last)
    (a, _), (b, b_branch) = sorted(ends)
    if b - a > _MAX_ITEM_RANGE:
        return [low, high]
    # (the whole numbers strictly between: a branch end's own number is below it, 제2호 < 제2호의2)
    between = [replace(last, item=n, item_branch=0) for n in range(a + 1, b + (1 if b_branch else 0))]
    items = [low, *between, replace(high, item_range_start=(low.item, low.item_branch),
                                    item_range_written=_written_from(query, first.end, last.end) if backwards else "")]
    return [items[0], *(replace(cur, item_after=(prev.item, prev.item_branch)) for prev, cur in zip(items, items[1:]))]


# "제651의2조" (the branch before 조, as some write it) is 제651조의2
_BRANCH_BEFORE_JO = re.compile(r"(?<!\d)(\d{1,4})\s*의\s*(\d{1,3})\s*조(?!\s*(?:원|달러|엔|위안|건|개|의|\d))")
# … and what makes the two a range: "제750조 내지 제752조", "제750조부터 제752조까지", "제750조~제752조".
_RANGE = re.compile(r"^\s*(?:내지|부터|[~∼\-–—])\s*$")
_QUOTES = "「」『』\"'“”‘’()[]<>《》〈〉"
_MAX_NAME_WORDS = 10


@dataclass(frozen=True)
class QueryCitation:
    law: str  # canonical law name
    number: int
    branch: int = 0
    paragraph: int | None = None
    item: int | None = None
    #: the item's branch: 2 for 제1호의2 (``item`` 1), 0 for a plain 제N호
    item_branch: int = 0
    raw: str = ""  # the cited text as written (law name included when written)
    start: int = 0  # span of ``raw`` in the query
    end: int = 0
    #: (number, branch) of the first article of a range this citation ends ("제750조 내지 제752조": (750, 0) on
    #: 제752조): the articles between the two are cited too
    range_start: tuple[int, int] | None = None
    #: the range as written when its ends came high end first ("민법 제752조 내지 제750조"; else ""): it is read as
    #: 제750조–제752조 — this citation (the higher end) carries ``range_start`` and follows the lower one — and said
    range_written: str = ""
    #: the item before this one in a cited range of items ("제1호 내지 제3호": (1, 0) on 제2호, (2, 0) on 제3호; None on
    #: its low end and outside a range): the article's branch items between the two (제1호의2) are in the range too
    item_after: tuple[int, int] | None = None
    #: on the higher end of a range of items, its lower end (item, branch): (1, 0) on the 제3호 of "제1호 내지 제3호"
    item_range_start: tuple[int, int] | None = None
    #: the range of items as written when its ends came high end first ("제3호 내지 제1호" of "근로기준법 제2조 제1항 제3호
    #: 내지 제1호"; else ""), on its higher end: read as 제1호–제3호, listed low end first, and said
    #: (:func:`reversed_item_range_notice`)
    item_range_written: str = ""
    #: the decision whose 참조조문 cite the article, when the query named a decision rather than the article
    #: ("2016다248806 (2017-05-17)": :mod:`legalret.search.cases`)
    via: str = ""

    @property
    def key(self) -> str:
        return format_key(self.law, self.number, self.branch)

    def __str__(self) -> str:
        s = self.key
        if self.paragraph:
            s += f" 제{self.paragraph}항"
        if self.item:
            s += " " + item_name(self.item, self.item_branch)
        return s


# "§750", "§ 750조", "§§ 750, 751" (academic writing): 제750조 (and 제751조)
_SECTION_ITEM = re.compile(r"(\d{1,4})(?:\s*조)?(?:\s*의\s*(\d{1,3}))?(?:\s*조)?")
_SECTION = re.compile(r"§{1,2}\s*(" + _SECTION_ITEM.pattern + r"(?:\s*(?:,|및|와|과)\s*" + _SECTION_ITEM.pattern + r")*)")
# "제750, 751조", "제3·4조": the numbers of one 조 written once (not "1, 2조원": an amount)
_NUMBER_LIST = re.compile(r"(?<!\d)(제\s*)?(\d{1,4}(?:\s*[,·]\s*\d{1,4})+)\s*조(?!\s*(?:원|달러|엔|위안|건|개|\d))")


#: Hanja numerals as older judgments write article numbers: 第七百五十條 (제750조), 第三條之二 (제3조의2), 第二項.
_HANJA_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0}
_HANJA_UNITS = {"十": 10, "百": 100, "千": 1000}
_HANJA_NUMERAL = "[〇零一二三四五六七八九十百千]+"
_HANJA_CITATION = re.compile(rf"第\s*({_HANJA_NUMERAL})\s*([條項號条项号])(?:\s*之\s*({_HANJA_NUMERAL}))?")
_HANJA_UNIT_OF = {"條": "조", "項": "항", "號": "호", "条": "조", "项": "항", "号": "호"}  # (条 项 号: simplified forms)


def hanja_number(numeral: str) -> int:
    """七百五十 → 750, 十 → 10, 二十一 → 21, 一千二百 → 1200 (digits and the units 十 百 千)."""
    total = digit = 0
    for ch in numeral:
        if ch in _HANJA_UNITS:
            total += (digit or 1) * _HANJA_UNITS[ch]
            digit = 0
        else:
            digit = digit * 10 + _HANJA_DIGITS[ch] if digit else _HANJA_DIGITS[ch]  # 一〇三: digits in a row
    return total + digit


def citation_forms(text: str) -> str:
    """``text`` with the other ways of writing article numbers in the form the citation finder reads: a section sign
    (``민법 §750`` → ``민법 제750조``, ``§§ 750, 751의2`` → ``제750조, 제751조의2``), one 조 after several numbers
    (``민법 제750, 751조`` → ``민법 제750조, 제751조``) and Hanja numerals (``第七百五十條`` → ``제750조``,
    ``第三條之二`` → ``제3조의2``; the law's own name is read in Hangul after this)."""
    if "第" in text:
        text = _HANJA_CITATION.sub(lambda m: f"제{hanja_number(m[1])}{_HANJA_UNIT_OF[m[2]]}"
                                   + (f"의{hanja_number(m[3])}" if m[3] else ""), text)
    if "§" in text:
        text = _SECTION.sub(lambda m: _SECTION_ITEM.sub(lambda n: f"제{n[1]}조" + (f"의{n[2]}" if n[2] else ""), m[1]),
                            text)
    if "의" in text and "조" in text:
        text = _BRANCH_BEFORE_JO.sub(r"\1조의\2", text)
    if "조" in text and ("," in text or "·" in text):
        text = _NUMBER_LIST.sub(lambda m: ", ".join(f"제{n}조" for n in re.findall(r"\d+", m[2])), text)
    return text


def find_citations(query: str, law_names: LawNames, default_law: str | None = None) -> list[QueryCitation]:
    """Every article citation in ``query`` whose law is known, in order of appearance (duplicates kept once, where
    first written; a range written high end first lists its lower end first); offsets are into
    ``citation_forms(normalize(query))`` (the searcher's query text is already so).

    A repeat that ends a range keeps the range, where the range is written: ``민법 제752조, 제750조 내지 제752조`` is
    제750조 and 제752조 carrying ``range_start`` (750, 0) — the search lists 제750조, 제751조, 제752조. (The repeat had been
    dropped with its range, and the search listed 제752조 and 제750조 alone; then kept at the first mention, it listed
    제751조, 제752조, 제750조.) Two ranges ending at one article keep the wider (the lower start)."""
    out: list[QueryCitation | None] = []
    at: dict[tuple, int] = {}  # (key, paragraph, item, item's branch) → its place in ``out``
    for cite in _every_citation(citation_forms(normalize(query)), law_names, default_law):
        ident = (cite.key, cite.paragraph, cite.item, cite.item_branch)  # (제1호 and 제1호의2 are two items)
        i = at.get(ident)
        if i is None:
            at[ident] = len(out)
            out.append(cite)
        elif cite.range_start is not None and out[i].range_start is None:
            out[i], at[ident] = None, len(out)  # the range's end, listed with its range
            out.append(cite)
        elif cite.range_start is not None and cite.range_start < out[i].range_start:
            out[i] = replace(out[i], range_start=cite.range_start, range_written=cite.range_written)
    return [c for c in out if c is not None]


def _every_citation(query: str, law_names: LawNames, default_law: str | None) -> list[QueryCitation]:
    """Every citation in ``query`` (prepared), repeats included, in order of appearance."""
    article = _article_pattern(query, law_names)
    found = sorted(_article_citations(query, law_names, default_law, article)
                   + _bare_citations(query, law_names, circled=article is _ARTICLE), key=lambda c: c.start)
    # A range written high end first ("제752조 내지 제750조") is read as 제750조–제752조, listed as a forward range is:
    # the lower end first, then the higher one carrying range_start (so every caller — the search's hits, the citation
    # check's entries — lists 750, 751, 752; it had listed 752 and 750 alone, without a word). Each keeps its own span.
    for i, cite in enumerate(found):
        if cite.range_written and i and (found[i - 1].law, found[i - 1].number, found[i - 1].branch) == (
                cite.law, *cite.range_start):
            high = found[i - 1]
            found[i - 1 : i + 1] = [replace(cite, range_start=None, range_written=""),
                                    replace(high, range_start=(cite.number, cite.branch),
                                            range_written=cite.range_written)]
    return found


def _bare_citations(query: str, law_names: LawNames, circled: bool = False) -> list[QueryCitation]:
    """``<law name> N[의M]`` without 조: the law must be named right before the number (``민법 750``), or be the
    whole word the number is glued to (``민법750``; not ``시민법750``, ``형법상250``). ``circled``: a circled number
    after it is its paragraph (``민법 750 ①``; :func:`_article_pattern` says when)."""
    out: list[QueryCitation] = []
    bare = _BARE_NUMBER if circled else _BARE_NUMBER_PLAIN
    for m in bare.finditer(query):
        base = _window_start(query, m.start())
        before = query[base : m.start()]
        if not before[-1:].isspace() and not before[-1:].isalpha():
            continue  # "제3", "(3" …: not a law name directly before
        # a name ending right before the number (spaces, quotes aside), whole: not the end of a longer word (시민법750)
        law, start = _law_before(before, law_names, particle=False)
        if law is None:
            continue
        start += base
        end = _bare_citation(query, m, law, start, out, circled)
        # "민법 750, 751": the numbers listed after it are the same law's (751 had been dropped)
        for more in iter(lambda: _MORE_BARE.match(query, end), None):
            number = bare.match(query, more.end())
            if number is None:
                break
            end = _bare_citation(query, number, law, number.start(), out, circled)
    return out


#: How far before a number a law's name is looked for (its words, a version note in brackets, quotes): a name is at
#: most :data:`_MAX_NAME_WORDS` words. Reading the whole text before each number had made a passage of bare
#: citations ("민법 750 " × 500) take 55 s in ``check_citation``.
_NAME_WINDOW = 400
#: How far after a law's name its bare article number, paragraph and item are read (250 1항 2호의2 …)
_NUMBER_WINDOW = 40


def _window_start(text: str, end: int, width: int = _NAME_WINDOW) -> int:
    """Where the :data:`_NAME_WINDOW` characters before ``end`` start: 0, or after the first space past the cut (a word
    cut in two could read as another name: ...난민법 as 민법)."""
    if end <= width:
        return 0
    space = next((i for i in range(end - width, end) if text[i].isspace()), end)
    return space + 1 if space < end else end


def _bare_citation(query: str, m: re.Match, law: str, start: int, out: list[QueryCitation], circled: bool) -> int:
    """Append the citation a :data:`_BARE_NUMBER` match ``m`` of ``law`` makes (its paragraph and item included) to
    ``out``, and the further paragraphs and items written after it (``민법 750 1항 및 2항``, as after ``민법 제750조
    제1항``: :func:`_more_citations`); return where they end."""
    item, item_branch = _item(m)
    cite = QueryCitation(law=law, number=int(m["num"]), branch=int(m["branch"] or 0), paragraph=_paragraph(m),
                         item=item, item_branch=item_branch, raw=query[start : m.end()].strip(), start=start,
                         end=m.end())
    cites, end = _more_citations(query, cite, circled)
    out += cites
    return end


def _article_citations(query: str, law_names: LawNames, default_law: str | None,
                       article: re.Pattern) -> list[QueryCitation]:
    """Citations written with 조 (``[제]N조[의M] [제]N항 [제]N호[의K]``), laws carried over and referred back;
    ``article``: :func:`_article_pattern`'s."""
    if "조" not in query:
        return []
    out: list[QueryCitation] = []
    prev_law: str | None = None
    prev_end = 0
    for m in article.finditer(query):
        segment = query[prev_end : m.start()]
        law, name_start = _law_before(segment, law_names)
        same = _SAME_LAW.search(segment)
        if law is not None:
            start = prev_end + name_start
        elif same and prev_law and (law := _same_law(prev_law, same, law_names)) is not None:
            start = prev_end + same.start()
        elif prev_law and out and not same and (_CARRY.match(segment) or (
                len(segment) <= _CARRY_TEXT_CHARS and not _names_a_law(segment, law_names)
                and _mistyped_law_before(segment, law_names) is None)):
            law, start = prev_law, m.start()
        elif default_law and not _unknown_law_before(segment) and (
                _mistyped_law_before(segment, law_names) in (None, default_law)):  # (민볍 under --law 민법: 민법's)
            law, start = default_law, m.start()
        else:
            prev_end = m.end()
            prev_law = None
            continue
        number, branch = int(m["num"]), int(m["branch"] or 0)
        first = out[-1] if out and out[-1].end == prev_end else None
        in_range = (first is not None and first.law == law and _RANGE.match(segment)
                    and (first.number, first.branch) != (number, branch))
        # high end first ("제752조 내지 제750조"): a slip of order, read as the range (_every_citation turns it round) —
        # unless the first end already ends a range ("제740조 내지 제752조 내지 제750조": no reading is sure)
        backwards = in_range and (first.number, first.branch) > (number, branch)
        if backwards and first.range_start is not None:
            in_range = backwards = False
        item, item_branch = _item(m)
        cite = QueryCitation(
            law=law,
            number=number,
            branch=branch,
            paragraph=_paragraph(m),
            item=item,
            item_branch=item_branch,
            raw=query[start : m.end()].strip(),
            start=start,
            end=m.end(),
            range_start=(first.number, first.branch) if in_range else None,
            range_written=query[first.start : m.end()].strip() if backwards else "",
        )
        cites, end = _more_citations(query, cite, article is _ARTICLE)  # "… 제1항 및 제5항", "제1호 내지 제3호"
        out += cites
        prev_law, prev_end = law, end
    return out


def _same_law(prev_law: str, same: re.Match, law_names: LawNames) -> str | None:
    """The law a :data:`_SAME_LAW` reference after a citation of ``prev_law`` names: that law (``같은 법``), or its
    decree (``같은 법 시행령``) when this index holds it — else None, and the article is unresolved."""
    return law_names.resolve(f"{prev_law} {same['decree']}") if same["decree"] else prev_law


def _mistyped_law_before(segment: str, law_names: LawNames) -> str | None:
    """The law the word right before an article (``segment``'s last) is a mistyped name of — a law this index holds
    or another (:func:`suggested_laws`, :func:`legalret.keys.mirror_laws`: 형볍 → 형법, 상볍 → 상법) —, or None. Such an
    article is not the law cited before it: "민법 제750조와 형볍 제250조" had been read as 민법 제250조 (exists: true) and
    "상법 제1조 및 민볍 제2조" as 상법 제2조; nor the filter's (형볍 제250조 under ``--law 민법``).
    :func:`unresolved_citations` says "did you mean", as for "형볍 제250조" alone."""
    word = _last_word(_name_end(segment))
    if word is None or word in _NOT_LAW_WORDS or not _ends_like_a_law(word):
        return None
    return next(iter(suggested_laws(word, law_names) or suggested_laws(word, mirror_laws())), None)


def _last_word(name_end: str) -> str | None:
    """The last word of a citation's ``name_end`` (:func:`_name_end`), which may be a law's name mistyped — without a
    상 / 상의 glued to it when what is before that is a mistyped 법 (:func:`_like_beop`): "민볍상 제2조" is 민볍's 제2조
    (:data:`_LAW_PARTICLE` strips it only after a name's own end, and "민법 제750조와 민볍상 제2조" had been 민법 제2조)."""
    word = _LAST_WORD.search(name_end)
    if word is None:
        return None
    stem = _GLUED_PARTICLE.sub("", word.group(1))
    return stem if len(stem) >= 2 and len(stem) < len(word.group(1)) and _like_beop(stem[-1]) else word.group(1)


_GLUED_PARTICLE = re.compile(r"상의?$")


def _jamo(syllable: str) -> tuple[int, int, int] | None:
    """The (initial, vowel, final) indexes of a Hangul syllable (ㅂ 7, ㅃ 8; ㅓ 4, ㅕ 6; final ㅂ 17), None for any
    other character: 588 syllables per initial, 28 per vowel."""
    if len(syllable) != 1 or not "가" <= syllable <= "힣":
        return None
    code = ord(syllable) - ord("가")
    return code // 588, code % 588 // 28, code % 28


def _like_beop(syllable: str) -> bool:
    """Is ``syllable`` 법 with one letter mistyped, its first letter kept (볍, 범, 뻡, 밥): ㅂ or ㅃ, then the vowel ㅓ or
    ㅕ or the final ㅂ — not 배, 보, 부: 손해배상, 보상, 부상 are words, not a mistyped 손해배, 보 or 부 with 상?"""
    jamo = _jamo(syllable)
    return jamo is not None and jamo[0] in (7, 8) and (jamo[1] in (4, 6) or jamo[2] == 17)


def _ends_like_a_law(word: str) -> bool:
    """Whether ``word`` ends as a law's name may, mistyped: its last syllable begins with ㅂ or ㅃ (법 as 볍, 범, 뻡) or
    is 령, 률 or 칙. Only such a word is looked up as a mistyped name (the mirror's 3,200 names by difflib: ~4 ms) —
    every word before a carried article in running text ("민법 제750조에 따른 손해배상 책임과 제751조": 책임과) had been,
    7 ms a query."""
    jamo = _jamo(word[-1:])
    return jamo is not None and (jamo[0] in (7, 8) or word[-1] in "령률칙")


def _names_a_law(text: str, law_names: LawNames) -> bool:
    """May a word of ``text`` (a particle aside: 형법상, 상법의) name a law — one this index holds, or any word shaped
    like a law's name (형법 on a 민법+상법 index: carrying 민법 over it would cite 민법 제20조 for 형법 제20조)?
    Common words that only end like one (방법, 불법 …) do not count; anything else ending so stops the carry."""
    for word in _WORD.findall(text):
        for name in (word, _PARTICLE_END.sub("", word)):
            if not name or name in _NOT_LAW_WORDS:
                continue
            if law_names.resolve(name) or name.endswith(("법", "법률", "령", "규칙", "조약")):
                return True
    return False


_NOT_LAW_WORDS = frozenset("방법 불법 위법 적법 합법 편법 입법 사법 수법 기법 용법 해법".split())


def _unknown_law_before(segment: str) -> bool:
    """Does ``segment`` end with a word shaped like a law's name that :func:`_law_before` did not find — a law this index
    lacks (``근로기준법 제23조``, ``형법 시행령 제2조``)? Its article is no article of the filter's law: "근로기준법 제23조
    부당해고" under ``--law 민법`` had been read as 민법 제23조, an exact citation at relevance 100, without a notice."""
    law = _LAW_WORD.search(_name_end(segment))
    return law is not None and law.group(1).split()[-1] not in _NOT_LAW_WORDS


_VERSION_NOTE = re.compile(r"\s*\([^()]{0,80}(?:개정|법률\s*제|시행|전부개정|제정)[^()]{0,80}\)$")
# The particle 상 / 상의 ("under") after a law's name, right before its article: "민법상 제750조" is 민법 제750조, "상법상의
# 제24조" 상법 제24조 — they had been "'제24조' names no law; write it as e.g. '민법 제24조'", and "형법상 제250조" had no
# absent-law notice. Only after what ends a law's name (법, 법률, 령, 규칙, 조약, a closing quote or bracket): 손해배상 is no
# law. (약관의 규제에 관한 법률상 제9조 had been "'제9조' names no law".)
_LAW_PARTICLE = re.compile(r"(?<=[법률령칙약」』\"'”’)])\s?상의?$")


def _name_end(segment: str, particle: bool = True) -> str:
    """``segment`` up to where a law's name before an article would end: without trailing quotes and a version note in
    brackets, as judgments cite a former law (``구 상법(2010. 5. 14. 법률 제10281호로 개정되기 전의 것)``), and
    (``particle``) without the particle 상 / 상의 after the name (:data:`_LAW_PARTICLE`: ``민법상 제750조``). A bare
    number is read without it: "민법상 750" may be no article (:func:`_bare_citations`)."""
    end = _VERSION_NOTE.sub("", segment.rstrip()).rstrip(_QUOTES).rstrip()
    if particle and (stripped := _LAW_PARTICLE.sub("", end)) != end:
        end = _VERSION_NOTE.sub("", stripped.rstrip()).rstrip(_QUOTES).rstrip()
    return end


def _law_before(segment: str, law_names: LawNames, particle: bool = True) -> tuple[str | None, int]:
    """The law named at the end of ``segment`` (longest match over its last words, :func:`_name_end`; ``particle``: a
    상 / 상의 after it too) and where it starts."""
    stripped = _name_end(segment, particle)
    if not stripped:
        return None, 0
    # word boundaries with their offsets, so we can report the span
    words = [(m.start(), m.group()) for m in re.finditer(r"\S+", stripped)]
    for n in range(min(_MAX_NAME_WORDS, len(words)), 0, -1):
        first = words[-n][0]
        candidate = stripped[first:].strip(_QUOTES)
        law = law_names.resolve(candidate)
        if law:
            return law, first
    # A name glued to what is before it ("질문:민법", "(민법", "(구민법"): longest known suffix of the last word that
    # starts after a character no name goes on from. After a letter or a digit it is the end of another, longer name:
    # 난민법 제2조 had been read as 민법 제2조, 국가배상법 and 손해배상법 as 상법 — exact citations at relevance 100.
    last_start, last = words[-1]
    for i in range(1, len(last) - 1):
        if last[i - 1].isalnum():
            continue
        law = law_names.resolve(last[i:].strip(_QUOTES))
        if law:
            return law, last_start + i
    return None, 0


# the law's name before an unresolved article: its last word, or a decree's act and 시행령 (상법 시행령 제5조)
# — 법률 a word of its own too: the last word of a long name (공익사업을 위한 토지 등의 취득 및 보상에 관한 법률 제30조 had been
# "'제30조' names no law"), which :func:`_whole_name` reads whole; alone it names no law (_GENERIC_NAMES; 위 법률 제77조
# is a reference back: _SAME_LAW)
_LAW_WORD = re.compile(r"((?:(?:[가-힣A-Za-z·ㆍ]{1,30}법|[가-힣A-Za-z·ㆍ]{0,30}법률)\s*)?(?:시행령|시행규칙)"
                       r"|[가-힣A-Za-z·ㆍ]{1,30}(?:법|령|규칙|조약)|[가-힣A-Za-z·ㆍ]{0,30}법률)\s*$")
# what _LAW_WORD reads that is no law's name unless words before it make one (spaces aside)
_GENERIC_NAMES = frozenset({"법률", "시행령", "시행규칙", "법률시행령", "법률시행규칙"})
# the word before an article that names no law, which may be a law's name mistyped (민볍, 근로기준볍)
_LAST_WORD = re.compile(r"([가-힣A-Za-z·ㆍ]{2,30})\s*$")
# 부칙 (addenda) after a law's name: their articles are not indexed (민법 부칙 제2조 is no 민법 제2조)
_ADDENDA = re.compile(r"((?:[가-힣A-Za-z·ㆍ]{1,30}(?:법|령|규칙|법률)\s*)?부\s*칙)\s*(?:\(\s*[^)]{0,40}\))?\s*$")


def suggested_laws(written: str, law_names: LawNames, n: int = 1) -> list[str]:
    """The laws of ``law_names`` to offer, nearest first, for a name no law of theirs has (``written``: a citation's or
    a law filter's), for a "did you mean": :meth:`LawNames.closest` over the laws' names, then over their short names
    (:func:`legalret.keys.law_aliases`: ``근기볍`` → 근로기준법, as ``형볍`` → 형법; a mistyped short name had been
    offered nothing). Never a law's decree for the law, nor the law for its decree (:func:`_same_kind`): they are
    different documents — ``근로기준법`` on an index of 근로기준법 시행령 alone had been "did you mean 근로기준법 시행령?",
    with no word of the command that adds the act."""
    close = [law for law in law_names.closest(written, n=n + 2) if _same_kind(written, law)]
    if len(close) < n:  # (short names: each of a law ``law_names`` holds, looked up by its own spelling)
        held = {compact(alias): law for alias, full in law_aliases().items()
                if (law := law_names.resolve(full)) is not None}
        for alias in LawNames(held.keys()).closest(written, n=n + 2, cutoff=_ALIAS_CUTOFF):
            law = held[compact(alias)]
            if _same_kind(written, law) and law not in close:
                close.append(law)
    return close[:n]


#: How near a name must be to a short name to be offered its law: one letter of it mistyped (근기볍 for 근기법 is 0.875).
#: At :meth:`LawNames.closest`'s 0.75, 41 of the mirror's 1,737 laws' own names had been taken for a short name one
#: syllable away (특허법 for 특가법, 주택법 for 조특법); at this, two (국채법 for 국배법, 청소년보호법 for 청소년성보호법).
_ALIAS_CUTOFF = 0.85


def _decree(name: str) -> str:
    """Which document of an act ``name`` names: ``시행령`` or ``시행규칙`` when it ends so, ``시행`` when it ends with
    another word of 시행 (a decree's name mistyped: 시행룡, 시행규착), else ``""`` — the act (서울특별시행정특례에 관한
    법률 and 상법시행법 hold 시행 too)."""
    c = compact(name)
    return next((d for d in _DECREE_WORDS if c.endswith(d)), "시행" if _MISTYPED_DECREE.search(c) else "")


_DECREE_WORDS = ("시행령", "시행규칙")
_MISTYPED_DECREE = re.compile(r"시행[가-힣]{1,2}(?<!법)$")


def _same_kind(written: str, law: str) -> bool:
    """May ``law`` be offered for ``written`` — both an act, or both a decree of the same sort (a mistyped decree name
    may be either)? An act and its decree are never each other's "did you mean"."""
    a, b = _decree(written), _decree(law)
    return a == b or (bool(a) and bool(b) and "시행" in (a, b))


def cited_law_names(query: str) -> list[str]:
    """The names of laws as ``query`` writes them before the articles it cites, held by the index or not (``형법`` of
    "형법 제250조 살인", ``근기법`` of "근기법 23조", ``근로기준법 시행령`` of "근로기준법 시행령 제2조"): the words
    :func:`unresolved_citations` reads as a law's name. The coverage notice leaves them out of the query's words
    (:func:`legalret.search.coverage.coverage_notes`): "no article contains '형법'" beside the notice that 형법 is not
    in this index had read as a second, other finding. A name written with the particle 상 (``형법상 제250조``) is
    given as read and as written (``형법``, ``형법상``): "no article contains '형법상'" had followed its notice."""
    query = citation_forms(normalize(query))
    names: list[str] = [law for law, _ in _bare_law_citations(query)]  # ("형법 250": 형법 제250조, as "민법 750" is)
    prev_end = 0
    for m in _ARTICLE_PLAIN.finditer(query) if "조" in query else ():
        segment = query[prev_end : m.start()]
        name_end = _name_end(segment)
        if name := _law_name(name_end) or (_unknown_long_name(name_end) or ("",))[0]:
            names.append(name)
            if (written := _name_end(segment, particle=False)) != name_end:
                names.append(written.split()[-1])
        prev_end = m.end()
    return list(dict.fromkeys(names))


def unresolved_citations(query: str, law_names: LawNames, default_law: str | None = None) -> list[str]:
    """One notice per distinct article reference in ``query`` that :func:`find_citations` cannot resolve: a law this
    index does not have (``형법 제250조`` on a 민법+상법 index), ``같은 법 제3조`` with no law before it, or a
    bare ``제3조`` with no law at all. Without a notice such a query silently gets unrelated hits."""
    query = citation_forms(normalize(query))
    absent: dict = {}  # law → how a notice names it and its hint (:func:`_absent_law`), made once per law
    if "조" not in query:
        notes = _absent_bare_citations(query, law_names, absent)
        notes += _absent_named_laws(query, law_names, notes, absent)
        return notes + _mistyped_named_laws(query, law_names, notes)
    # every resolved span, repeats included: "민법 제750조의 요건과 민법 제750조의 효과" had called the second 민법 unknown
    law_at = {c.end: c.law for c in _every_citation(query, law_names, default_law)}  # (where each resolved one ends)
    notes: list[str] = []
    prev_end = 0
    prev_law: str | None = None  # the law of the article just before, when it resolved
    missing: tuple[str, str, str] | None = None  # (law as written, as named, the hint) of the article just before
    example_law = ""  # the "names no law" notices' example law (:func:`_example_law`), found on first need
    for m in _article_pattern(query, law_names).finditer(query):
        if m.end() in law_at:
            prev_end, prev_law, missing = m.end(), law_at[m.end()], None
            continue
        segment = query[prev_end : m.start()]
        cited = m.group().strip()
        same = _SAME_LAW.search(segment)
        name_end = _name_end(segment)
        law = name = _law_name(name_end)
        addenda = _ADDENDA.search(segment.rstrip())  # (its brackets are the 부칙's date: not stripped as quotes)
        if addenda:
            notes.append(f"'{addenda.group(1)} {cited}': the index holds no 부칙 (addenda) articles, only the law's own")
        elif same and same["decree"] and prev_law:  # "민법 제750조, 같은 법 시행령 제3조": a decree this index lacks
            decree = f"{prev_law} {same['decree']}"
            notes.append(f"'{same.group().strip()} {cited}': {decree} is not in this index "
                         f"({absent_hint(decree, law_names)})")
        elif same and missing:  # (a law this index lacks is named before it: "no law is named before it" was false)
            if same["decree"]:  # "총포·도검·화약류 등의 안전관리에 관한 법률 제58조와 같은 법 시행령 제78조"
                decree = f"{law_aliases().get(missing[0], missing[0])} {same['decree']}"
                missing = (decree, decree, absent_hint(decree, law_names))
            notes.append(f"'{same.group().strip()} {cited}': {missing[1]} is not in this index ({missing[2]})")
            prev_end, prev_law = m.end(), None
            continue
        elif same:
            notes.append(f"'{same.group().strip()} {cited}': no law is named before it in the query; write the law's name")
        elif law and law_names.resolve(name) is not None:
            pass  # a law the index has, cited in a form not read here: saying "not in this index" would be false
        elif law and name.replace(" ", "") in CONSTITUTION:
            notes.append(f"'{name} {cited}': the Constitution (대한민국헌법) is not in the statutes mirror, so no "
                         "index holds it")
        elif law or (long := _unknown_long_name(name_end)) or (missing and _CARRY.match(segment)):
            if law:  # (else "근로기준법 제23조 및 제27조": the law before it, not "'제27조' names no law")
                missing = (name, *_absent_law(name, law_names, absent))
            elif long:
                missing = (long[0], long[0], _long_name_hint(*long, law_names))
            written, named, hint = missing
            notes.append(f"'{written} {cited}': {named} is not in this index ({hint})")
            prev_end, prev_law = m.end(), None
            continue
        elif m["num"] and ("제" in cited or _paragraph(m) or m["branch"] or cited == query.strip()
                           or _mistyped_held_law(name_end, law_names)):
            # (a bare 'N조' is an article only as the whole query, or after a held law's name mistyped — "민볍 750조"
            # had been only "no article contains '민볍'": in running text it may be money, 3조 원)
            word = _last_word(name_end)  # a law's name mistyped where it ends: 민볍 제750조, 민볍상 제750조
            if word and (mistyped := _mistyped_law_notice(f"{word} {cited}", word, law_names)):
                notes.append(mistyped)
            else:  # the example as a citation is written ('750조' alone: '민법 제750조')
                example = cited if "제" in cited or m["branch"] or _paragraph(m) else f"제{m['num']}조"
                # (found once a query: resolving every word for each bare citation made a pasted block of them
                # quadratic, "제1조 " × 1,000: ~6 million name look-ups, 18 s a search)
                example_law = example_law or _example_law(query, law_names)
                notes.append(f"'{cited}' names no law; write it as e.g. '{example_law} {example}'")
        prev_end, prev_law, missing = m.end(), None, None
    notes += _absent_bare_citations(query, law_names, absent)
    notes += _absent_named_laws(query, law_names, notes, absent)
    notes += _mistyped_named_laws(query, law_names, notes)
    notes += [f"'{m.group()}': 의{m['zero']} is no branch of an article (they are numbered 의2, 의3 …), so it names no "
              f"article; only 제{m['num']}{m['unit']} was read" for m in _NO_BRANCH.finditer(query)]
    return list(dict.fromkeys(notes))  # a reference written four times is one notice


def _mistyped_held_law(name_end: str, law_names: LawNames) -> bool:
    """Does ``name_end`` end with a word that is a law this index holds, mistyped (민볍, 상볍상): then a bare
    "750조" after it is that law's article, as "민법 750조" is."""
    word = _last_word(name_end)
    return bool(word and _ends_like_a_law(word) and suggested_laws(word, law_names))


def _example_law(query: str, law_names: LawNames) -> str:
    """The law a "names no law" notice writes its example with: the first one ``query`` names that the index holds (a
    word of it, particles aside: 상법에서, 상법상의), else the index's example law. "상법에서 제24조" had been told "write
    it as e.g. '민법 제24조'" — another law than the one it asks about. (Asked once per query: see
    :func:`unresolved_citations`.)"""
    for word in _WORD.findall(query):
        bare = _PARTICLE_END.sub("", word)
        for name in (word, bare, _LAW_PARTICLE.sub("", bare)):
            if law := law_names.resolve(name):
                return law
    return law_names.example()


def _absent_law(law: str, law_names: LawNames, memo: dict | None = None) -> tuple[str, str]:
    """A law's name as written before a citation, of a law this index lacks: how a notice names it (a short name with
    its law: 근기법 (근로기준법)) and its hint — the law it may be a mistyped name of (never its decree for a law, nor
    the law for its decree: :func:`suggested_laws`), else the command that adds it (a new user had been sent to
    ``index info``, which lists what is there) — or, when the statutes mirror lacks it too, that it does
    (:func:`legalret.corpus.manifest.add_hint`)."""
    if memo is not None and law in memo:  # (a passage citing one absent law 2,000 times: its hint made once)
        return memo[law]
    full = law_aliases().get(law)
    # a law removed on purpose (`index remove`) is said to be, before any near name is offered for it
    close = None if full or law_names.removed_name(law) else next(iter(suggested_laws(law, law_names)), None)
    hint = f"did you mean {close}?" if close else absent_hint(full or law, law_names)
    said = (f"{law} ({full})" if full else law), hint
    if memo is not None:
        memo[law] = said
    return said


def absent_hint(law: str, law_names: LawNames) -> str:
    """How a notice says to get ``law``, which the index lacks, into it: when ``index remove`` removed it
    (:attr:`LawNames.removed <legalret.keys.LawNames.removed>`, read from the manifest once per searcher), that it
    did, and that a rollback or an add brings it back — "add it with `legalret index add …`" had read as if the index
    never held it —, else :func:`legalret.corpus.manifest.add_hint`."""
    removed = law_names.removed_name(law)
    if removed is None:
        return add_hint(law, law_names.index_dir)
    from legalret.keys import mirror_has

    rollback = "legalret index rollback" + index_option(law_names.index_dir)
    # the rollback only while the removal is the live generation's change: after a later add it undoes that add
    # instead (and not the removal); the add alone, from the mirror, never re-reads the index's other laws
    undo = f"`{rollback}` undoes the removal while it is the latest change"
    if mirror_has(removed) is False:
        return f"it was removed from this index on purpose (`legalret index remove`); {undo}"
    return (f"it was removed from this index on purpose (`legalret index remove`); "
            f"`{add_command(removed, law_names.index_dir, corpus=False)}` brings it back ({undo})")


# a law's name right before a bare number ("형법 250", "근기법 23"): an article, as "민법 750" is when the index holds 민법
# (법률 a word of its own too, a long name's last: _LAW_WORD)
_LAW_BEFORE_NUMBER = re.compile(r"(?<![가-힣A-Za-z·ㆍ])([가-힣A-Za-z·ㆍ]{1,30}법|[가-힣A-Za-z·ㆍ]{0,30}법률)(?=\s*\d)")


def _absent_bare_citations(query: str, law_names: LawNames, memo: dict | None = None) -> list[str]:
    """The notices of articles cited by a bare number after the name of a law this index lacks: "형법 250" is 형법
    제250조 as "민법 750" is 민법 제750조 (:func:`find_citations` reads the number by the same rules — not a count, a
    date or an amount: "형법 3년" cites nothing). "형법 250" on a 민법+상법 index had had no notice: 민법 제750조 at 71
    under "no article contains '형법'", and "근로기준법 23 부당해고" none at all. (The forms with 조 are read above.)"""
    notes = []
    for law, raw in _bare_law_citations(query):
        if law_names.resolve(law) is None:
            named, hint = _absent_law(law, law_names, memo)
            notes.append(f"'{raw}': {named} is not in this index ({hint})")
    return notes


# a law's name as a word of its own, with the particles a question writes after it: 형법상, 근로기준법에 따른, 어음법의
# (an act's name right before 시행령 is no name of its own: the decree's is read whole from its 시행령)
# what may follow a law's name written as a word of its own: a particle, then the word's end
_AFTER_NAME = (r"(?=(?:상|에|의|은|는|이|가|을|를|과|와|도|만|으로|로)?(?:[^가-힣A-Za-z·ㆍ]|$)"
               r"|상의|에서|에서의|에\s*따른)")
_NAMED_LAW = re.compile(r"(?<![가-힣A-Za-z·ㆍ])([가-힣A-Za-z·ㆍ]{1,30}(?:법|법률)|[가-힣A-Za-z·ㆍ]{0,30}(?:시행령|시행규칙))"
                        r"(?!\s*시행)" + _AFTER_NAME)


# a law's name mistyped where it ends (주택임대차보호볍상, 근로기준볍에 따른): 볍 and 뻡 end no Korean word but a mistyped 법
_MISTYPED_NAMED_LAW = re.compile(r"(?<![가-힣A-Za-z·ㆍ])([가-힣A-Za-z·ㆍ]{1,30}[볍뻡])" + _AFTER_NAME)


def _mistyped_named_laws(query: str, law_names: LawNames, said: list[str]) -> list[str]:
    """The did-you-mean of a law's name mistyped without an article, as a cited one's (:func:`unresolved_citations`):
    "주택임대차보호볍상 대항력" had got 민법 제622조 at 98 and no word, while "근로기준볍 제23조" had its notice — a law
    this index holds (민볍상), else one of the statutes mirror, said not to be in this index."""
    notes: list[str] = []
    for m in _MISTYPED_NAMED_LAW.finditer(query):
        word = m.group(1)
        if any(f"'{word}" in n for n in said):  # (cited: said already)
            continue
        if mistyped := _mistyped_law_notice(word, word, law_names):
            notes.append(mistyped)
    return notes


def _mistyped_law_notice(written: str, word: str, law_names: LawNames) -> str | None:
    """The did-you-mean of ``word``, a law's name mistyped (민볍, 근로기준볍), quoting ``written`` (the citation, or the
    name alone): a law this index holds, else one of the statutes mirror, said not to be in this index (근로기준볍 on the
    민법+상법 index; 형볍 — 형법 has no short name, and had been "'제250조' names no law"); None when no law is near."""
    if close := suggested_laws(word, law_names):
        return f"'{written}': no law is named {word} (did you mean {close[0]}?)"
    if elsewhere := suggested_laws(word, mirror_laws()):
        # (with the command that adds it, as every other notice of a law the index lacks has it)
        return (f"'{written}': no law is named {word} (did you mean {elsewhere[0]}? it is not in this index; "
                f"{absent_hint(elsewhere[0], law_names)})")
    return None


def _absent_named_laws(query: str, law_names: LawNames, said: list[str], memo: dict | None = None) -> list[str]:
    """The notices of laws ``query`` names without an article, that this index lacks and the statutes mirror (or the
    short names legalret knows) has: "형법상 횡령죄", "근로기준법에 따른 해고예고", "약관규제법에 따라 무효인 조항" on a
    민법+상법 index had been answered with 민법 and 상법 articles at 38–51 and no word, while "형법 제250조" had its
    notice. Worded as a cited one's, but quoting no article: a citation pins the question to the absent law (its hits
    are guesses, :func:`legalret.search.relevance.absent_law_guesses`), a name does so only in a short question
    (:func:`legalret.search.relevance.about_absent_law`) — a law named in passing is common where the answer is held,
    42 of 1,490 dev holdings citing 민법/상법 name another ("주택임대차보호법에 따른 임대차에서 … 소멸시효"). A law already in ``said`` (a cited article's notice)
    is not said again; words that only end in 법 (방법, 위법) name no law of the mirror, and a law this index holds
    (민법상) needs no notice."""
    notes: list[str] = []
    mirror = mirror_laws()
    for m in _NAMED_LAW.finditer(query):
        word = m.group(1)
        if word in _NOT_LAW_WORDS:
            continue
        name, start = _whole_name(query, word, m.end(), mirror)  # (개인정보 보호법에 따라: not a law named 보호법)
        if compact(name) in _GENERIC_NAMES:  # (법률에 따라, 시행령으로: no law's name)
            continue
        if law_names.resolve(name) is not None or law_names.resolve(word) is not None:
            continue
        if mirror.resolve(name) is None and name not in law_aliases():
            continue
        named, hint = _absent_law(name, law_names, memo)
        if not any(f"{named} is not in this index" in n for n in said + notes):
            notes.append(f"'{query[start : m.end()].strip()}': {named} is not in this index ({hint})")
    return notes


def _bare_law_citations(query: str) -> list[tuple[str, str]]:
    """(the law's name, the citation as written) of each article ``query`` cites by a bare number after a law's name,
    held by the index or not ("형법 250", "근기법 23 1항"; not "형법 3년", a count)."""
    out = []
    mirror = mirror_laws()
    for m in _LAW_BEFORE_NUMBER.finditer(query):
        if m.group(1) in _NOT_LAW_WORDS:
            continue
        law, start = _whole_name(query, m.group(1), m.end(), mirror)  # (개인정보 보호법 39: not a law named 보호법)
        if compact(law) in _GENERIC_NAMES:  # (위 법률 3: no law's name)
            continue
        # (the citation that starts here, read from the few characters its number, paragraph and item take: reading the
        # whole rest of a passage for each name had made it quadratic)
        first = next(iter(find_citations(query[start : m.end() + _NUMBER_WINDOW], LawNames([law]))), None)
        if first is not None and first.start == 0 and "조" not in first.raw[m.end() - start:]:  # (제조물 책임법 3)
            out.append((law, first.raw))
    return out


def _law_name(name_end: str) -> str:
    """The name of the law a citation's ``name_end`` (:func:`_name_end`) ends with (:data:`_LAW_WORD`), read whole
    (:func:`_whole_name`: 개인정보 보호법, not 보호법), or "" — also for a 법률 or 시행령 that no words before it make a
    law's name of (위 법률 제77조: no law named 법률)."""
    law = _LAW_WORD.search(name_end)
    if law is None:
        return ""
    name = _whole_name(name_end, law.group(1))[0]
    # (위법 제3조, 불법 제3조: words that end in 법 and name no law — "위법 is not in this index" had called 위법 a law)
    return "" if compact(name) in _GENERIC_NAMES or name in _NOT_LAW_WORDS else name


def _unknown_long_name(name_end: str) -> tuple[str, str | None] | None:
    """For a citation's ``name_end`` ending with a long name no law has (:func:`_law_name` read none: a former name,
    ``구 주식회사의 외부감사에 관한 법률``, now 주식회사 등의 외부감사에 관한 법률): the name as written and the statutes
    mirror's law nearest to it — or None. Its words are those of a mirror's name's end (``외부감사에 관한 법률``) and the
    ones before them that bring it nearest to that law's (difflib over those laws alone: a few, not the mirror's 3,200);
    with none near, one word before them (a name has a word before ``… 관한 법률``). Such a citation had been "'제17조'
    names no law; write it as e.g. '민법 제17조'"."""
    law = _LAW_WORD.search(name_end)
    if law is None or compact(law.group(1)) not in _GENERIC_NAMES or "법률" not in law.group(1):
        return None
    return _long_name_in(name_end, mirror_laws())


@lru_cache(maxsize=256)
def _long_name_in(name_end: str, mirror: LawNames) -> tuple[str, str | None] | None:
    """:func:`_unknown_long_name` over the laws of ``mirror`` (:func:`legalret.keys.mirror_laws`)."""
    words = [w.start() for w in re.finditer(r"\S+", name_end)][-_MAX_NAME_WORDS:]
    laws, tail = _compact_names(mirror), len(words)
    while tail > 0:  # (the longest run of last words a law's name ends with, and those laws: fewer each word)
        end = compact(name_end[words[tail - 1]:])
        if not (ending := [(c, law) for c, law in laws if c.endswith(end)]):
            break
        laws, tail = ending, tail - 1
    if len(words) - tail < 2 or tail == 0:  # (법률 alone, or no word before the end read)
        return None
    laws = [law for _, law in laws]
    best, nearest, written = _LONG_NAME_CUTOFF, None, name_end[words[tail - 1]:]
    for first in words[:tail] if len(laws) <= _MAX_LONG_NAME_LAWS else ():
        c = compact(name_end[first:].lstrip(_QUOTES)).removeprefix(FORMER)
        for name in laws:
            if (ratio := difflib.SequenceMatcher(None, c, compact(name)).ratio()) >= best:
                best, nearest, written = ratio, name, name_end[first:]
    written = " ".join(written.lstrip(_QUOTES).split())
    written = written[len(FORMER):].lstrip() if written.startswith(FORMER + " ") else written
    return written, nearest


def _long_name_hint(written: str, nearest: str | None, law_names: LawNames) -> str:
    """The hint of the absent-law notice of a long name no law has (:func:`_unknown_long_name`): the law nearest to it,
    and how to add that law when the index lacks it — else that the mirror has no law of that name."""
    if nearest is None:
        return absent_hint(written, law_names)
    held = law_names.resolve(nearest)
    return f"did you mean {held}?" if held else f"did you mean {nearest}? {absent_hint(nearest, law_names)}"


#: How near a long name must be to a law's to be offered it: 주식회사의 외부감사에 관한 법률 is 0.97 of 주식회사등의외부감사에
#: 관한법률; with one more word before it (손해를 입은 …) a name is far below.
_LONG_NAME_CUTOFF = 0.85
_MAX_LONG_NAME_LAWS = 50  # (a name ending as hundreds do, … 등에 관한 법률, is too little to offer one)


@lru_cache(maxsize=2)
def _compact_names(law_names: LawNames) -> list[tuple[str, str]]:
    """(the name without spaces, the name) of each of ``law_names``'s laws (made once per mirror: 10–30 ms)."""
    return [(compact(law), law) for law in law_names.canonical()]


def _whole_name(text: str, law: str, end: int | None = None, mirror: LawNames | None = None) -> tuple[str, int]:
    """The name of a law ``text[:end]`` ends with, whose last words :data:`_LAW_WORD` read as ``law``, and where it
    starts: with the words before them when together they are the name of a law (:func:`legalret.keys.mirror_laws`),
    the longest — 개인정보 보호법, 제조물 책임법, 자동차손해배상 보장법 are names with a space —, else ``law`` itself.
    "개인정보 보호법 제39조" had been "보호법 is not in this index (add it with `… --law 보호법`)", which adds nothing.
    Reads only the last :data:`_MAX_NAME_WORDS` words before ``end``: called once per law name of a passage, it had
    split the whole text before each (and sliced it), and ``check_citation`` took 37 s on 4,000 citations."""
    end = len(text) if end is None else end
    words = _last_words(text, end, _MAX_NAME_WORDS)
    mirror = mirror or mirror_laws()  # (a caller looping over a passage's names reads it once: a path lookup each)
    for n in range(len(words), len(law.split()), -1):
        first = words[-n][0] + len(words[-n][1]) - len(words[-n][1].lstrip(_QUOTES))  # ("(개인정보 보호법")
        if compact(mirror.resolve(text[first:end]) or "") == compact(text[first:end]):  # (구 형법: 형법, the law read)
            return " ".join(text[first:end].split()), first
    return law, end - len(law)


def _last_words(text: str, end: int, n: int) -> list[tuple[int, str]]:
    """(start, word) of the last ``n`` whitespace-separated words of ``text[:end]``, in order: found from ``end``
    backwards, so a long text costs no more than a short one."""
    words: list[tuple[int, str]] = []
    i = end
    while i > 0 and len(words) < n:
        while i > 0 and text[i - 1].isspace():
            i -= 1
        stop = i
        while i > 0 and not text[i - 1].isspace():
            i -= 1
        if stop > i:
            words.append((i, text[i:stop]))
    return words[::-1]


