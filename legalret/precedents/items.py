"""Numbered items of a decision's sections, and their alignment.

판시사항, 판결요지 and 참조조문 are split into items that refer to each other by number::

    ## 판시사항                     ## 참조조문
    [1] 간접점유의 …                [1] 민법 제194조, 제320조 제1항 / [2] 구 상법(…) 제651조의2
    [2] 보험계약의 …

Older decisions use ``가. 나. 다.`` instead of ``[1] [2] [3]``. A 참조조문 item may serve several holdings
(``[1][2] 민법 제806조``, ``[1] 내지 [3] …``, ``가.나. 농지개혁법 제19조``).

Usage::

    from legalret.precedents.items import split_items, align_items

    holdings = split_items("[1] 갑 …\\n[2] 을 …")                 # [TextItem((1,), '갑 …', True), TextItem((2,), '을 …', True)]
    cites = split_items("[1][2] 민법 제1조 / [2] 상법 제2조", citations=True)
    aligned, status = align_items(holdings, cites)              # {1: ['민법 제1조'], 2: ['민법 제1조', '상법 제2조']}

A marker must be *the next number* (holdings) or a larger one (citations) and stand at the start of a line,
after ``/`` or after a space, so that references inside the text (``[2]항의 면책규정``) are not split on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from legalret.text import normalize


__all__ = ["TextItem", "split_items", "align_items", "HANGUL_ORDER"]

#: 가. 나. 다. … as item numbers 1, 2, 3, …
HANGUL_ORDER = "가나다라마바사아자차카타파하"


@dataclass(frozen=True)
class TextItem:
    indices: tuple[int, ...]  # (1,) or, for a shared 참조조문 item, (1, 2)
    text: str
    numbered: bool = True


_NUM_MARK = re.compile(r"\[\s*(\d{1,2})\s*\]")
# A group of bracket markers: '[1]', '[1][2]', '[1], [2]', '[1] 내지 [3]', '[1]~[3]'
_NUM_GROUP = re.compile(r"\[\s*\d{1,2}\s*\](?:\s*(?:,|및|내지|~|-|∼)?\s*\[\s*\d{1,2}\s*\])*")
_HAN_GROUP = re.compile(r"(?<![가-힣])[가나다라마바사아자차카타파하]\s*\.(?:\s*(?:,|및|내지|~)?\s*[가나다라마바사아자차카타파하]\s*\.)*")
# '[2]항의 면책규정': a bracket number glued to 항/호/조/목 or a particle is a reference, not an item marker.
_HAN_MARK = re.compile(r"(?<![가-힣])[가나다라마바사아자차카타파하]\s*\.")
_NOT_A_MARKER_AFTER = re.compile(r"(?:항|호|조|목|의\s|에\s|과\s|와\s|의$)")


def _group_indices(group: str, hangul: bool) -> tuple[int, ...]:
    if hangul:
        nums = [HANGUL_ORDER.index(ch) + 1 for ch in re.findall(r"[가나다라마바사아자차카타파하]", group)]
    else:
        nums = [int(n) for n in _NUM_MARK.findall(group)]
    out: list[int] = []
    parts = re.split(r"(내지|~|∼|-)", group)
    if len(nums) == 2 and len(parts) > 1 and nums[1] > nums[0]:
        return tuple(range(nums[0], nums[1] + 1))  # '[1] 내지 [3]'
    for n in nums:
        if n not in out:
            out.append(n)
    return tuple(out)


def _at_boundary(text: str, start: int) -> bool:
    """A marker starts the text, a line, follows '/', or follows a space."""
    before = text[:start].rstrip(" \t")
    return not before or before[-1] in "\n/" or start > 0 and text[start - 1] in " \t"


def split_items(text: str, *, citations: bool = False) -> list[TextItem]:
    """Split a section into its items. Unnumbered text is one item ``(1,)`` with ``numbered=False``.

    ``citations=True`` (참조조문): marker groups may be shared (``[1][2]``) and numbers may skip
    (``[1] … / [3] …``); holdings (판시사항/판결요지) must count up one by one.
    """
    text = (text or "").strip()
    if not text:
        return []
    # Holdings take one marker at a time ('[3] [2]항의 …' is item 3 starting with a reference to item 2).
    patterns = ((False, _NUM_GROUP), (True, _HAN_GROUP)) if citations else ((False, _NUM_MARK), (True, _HAN_MARK))
    for hangul, pattern in patterns:
        first = pattern.match(text)
        if not first:
            continue
        marks: list[tuple[int, int, tuple[int, ...]]] = []  # (start, end, indices)
        last = 0
        for m in pattern.finditer(text):
            idx = _group_indices(m.group(), hangul)
            if not idx or not _at_boundary(text, m.start()):
                continue
            if not hangul and len(idx) == 1 and _NOT_A_MARKER_AFTER.match(text, m.end()):
                continue  # '[2]항의 면책규정' is a reference, not an item
            if citations:
                # after '/' any group starts an item ('가.나. … / 가. … / 나. …' repeats numbers);
                # elsewhere only a larger number does
                before = text[: m.start()].rstrip()
                ok = not before or before[-1] == "/" or min(idx) > last
            else:
                ok = idx[0] == last + 1
            if hangul and not citations and m.start() > 0 and text[m.start() - 1] not in "\n \t":
                ok = False
            if ok:
                marks.append((m.start(), m.end(), idx))
                last = max(last, *idx)
        if not marks or marks[0][0] != 0:
            continue
        items = []
        for i, (_, end, idx) in enumerate(marks):
            stop = marks[i + 1][0] if i + 1 < len(marks) else len(text)
            body = normalize(text[end:stop].strip().rstrip("/").strip())
            items.append(TextItem(idx, body, True))
        return items
    return [TextItem((1,), normalize(text), False)]


def align_items(holdings: list[TextItem], cited: list[TextItem]) -> tuple[dict[int, list[str]], str]:
    """Map each holding number to the 참조조문 texts that serve it, and say how well they matched.

    Status: ``aligned`` (numbers match), ``unnumbered`` (one holding, one unnumbered citation list),
    ``shared`` (several holdings, one unnumbered citation list → every holding gets it),
    ``holdings_unnumbered`` (one unnumbered holding, numbered citations → it gets them all),
    ``mismatch`` (numbered on both sides but some citation item names no holding — those are dropped,
    holdings without a citation item get none), ``no_citations``.
    """
    numbers = [h.indices[0] for h in holdings]
    out: dict[int, list[str]] = {n: [] for n in numbers}
    if not cited:
        return out, "no_citations"
    if len(cited) == 1 and not cited[0].numbered:
        for n in numbers:
            out[n].append(cited[0].text)
        return out, ("unnumbered" if len(numbers) == 1 else "shared")
    if len(holdings) == 1 and not holdings[0].numbered:
        for c in cited:
            out[numbers[0]].append(c.text)
        return out, ("aligned" if all(c.indices == (1,) for c in cited) else "holdings_unnumbered")
    status = "aligned"
    for c in cited:
        for n in c.indices:
            if n in out:
                if c.text not in out[n]:
                    out[n].append(c.text)
            else:
                status = "mismatch"
    return out, status
