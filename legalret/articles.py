"""The canonical statute article — what every source is parsed into and every index stores.

An :class:`Article` keeps the structure of Korean statutes (조 → 항 → 호 → 목) plus the metadata
retrieval needs (law, kind, chapter path, effective date, deleted flag, source location).

Usage::

    from legalret.articles import Article, Paragraph, read_articles, write_articles

    art = Article(law="민법", law_id="001706", kind="법률", number=194, title="간접점유",
                  paragraphs=[Paragraph(None, "지상권, 전세권, 질권, 사용대차, 임대차, 임치 기타의 관계로 "
                                              "타인으로 하여금 물건을 점유하게 한 자는 간접으로 점유권이 있다.")])
    art.key        # '민법 제194조'
    art.heading    # '민법 제194조 (간접점유)'
    art.index_text()  # title + body, notes removed, normalized: what BM25 and the encoder see
    write_articles("articles.jsonl", [art]); list(read_articles("articles.jsonl"))

부칙 (addenda) are **not** articles of the body: parsers drop them (they would collide with the body's
article numbers and are almost never what a question is about).
"""

from __future__ import annotations

import datetime
import json
import os
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Iterable, Iterator

from legalret.atomic import atomic_path
from legalret.errors import SourceError
from legalret.keys import ArticleRef, format_key
from legalret.text import amendment_dates, index_text, int_to_circled, normalize


@dataclass
class SubItem:
    """목: ``가.`` ``나.`` …"""

    number: str
    text: str


@dataclass
class Item:
    """호: ``1.`` ``2의2.`` …"""

    number: str
    text: str
    subitems: list[SubItem] = field(default_factory=list)


@dataclass
class Paragraph:
    """항: ``①`` … (number None for an article whose body is not split into paragraphs)."""

    number: int | None
    text: str
    items: list[Item] = field(default_factory=list)


@dataclass
class Article:
    law: str  # name as promulgated (제목), e.g. '채무자 회생 및 파산에 관한 법률'
    number: int
    branch: int = 0  # 의M; 0 = no branch
    title: str = ""
    paragraphs: list[Paragraph] = field(default_factory=list)
    law_id: str = ""  # 법령ID
    kind: str = ""  # 법령구분: 법률 / 시행령 / 시행규칙 / …
    chapter: list[str] = field(default_factory=list)  # ['제2편 물권', '제2장 점유권']
    effective_date: str | None = None  # ISO 'YYYY-MM-DD' (시행일자)
    # ISO 공포일자 of the law version whose 시행일자 effective_date is, when that is the version's date and not the
    # article's own (the mirror's markdown; law.go.kr without 조문시행일자): its notes then tell what the version wrote
    promulgated: str | None = None
    deleted: bool = False  # 삭제 <…>
    source: str = ""  # file (or 'archive.zip!member')
    line: int | None = None  # 1-based line of the heading in source, when known

    def __post_init__(self) -> None:
        # the law as its key spells it (NFC, one space): "민법 " or an NFD 민법 from a caller's records had made a second
        # law of the same name — two copies of a key, and a --law 민법 filter that missed some of its articles
        self.law = normalize(self.law)

    # ---- identity -------------------------------------------------------------------------------
    @property
    def ref(self) -> ArticleRef:
        return ArticleRef(normalize(self.law), self.number, self.branch)

    @property
    def key(self) -> str:
        return format_key(self.law, self.number, self.branch)

    @property
    def label(self) -> str:
        return self.ref.label

    @property
    def heading(self) -> str:
        return self.key + (f" ({self.title})" if self.title else "")

    # ---- text views -----------------------------------------------------------------------------
    def body_text(self) -> str:
        """Display text: 항 marks as circled numbers, 호/목 on their own lines, notes kept."""
        lines: list[str] = []
        for p in self.paragraphs:
            mark = int_to_circled(p.number) + " " if p.number else ""
            if p.text or mark:
                lines.append((mark + p.text).strip())
            for it in p.items:
                lines.append(f"{it.number}. {it.text}".strip())
                for sub in it.subitems:
                    lines.append(f"{sub.number}. {sub.text}".strip())
        return "\n".join(line for line in lines if line)

    def index_text(self, with_title: bool = True) -> str:
        """What retrievers see: ``title + body``, amendment notes removed, whitespace normalized."""
        body = index_text(self.body_text())
        return normalize(f"{self.title} {body}") if with_title and self.title else body

    def takes_effect(self, today: str) -> str | None:
        """The day this text takes effect when that is after ``today`` (ISO), else None.

        The statute mirror holds each law's latest version, which may be promulgated but not yet in force
        (근로기준법 of 2026-03-17, in force from 2027-01-01), and dates every article with the version's 시행일자.
        The articles that version wrote carry its 공포일자 (``promulgated``) in their amendment notes
        (``<신설 2026.3.17>``); the others read as the text in force today. Without ``promulgated`` the
        effective date is taken as the article's own (law.go.kr's 조문시행일자; an index built before it was kept,
        where every article of such a version counts: until then the text in force may differ)."""
        if not self.effective_date or self.effective_date <= today:
            return None
        if self.promulgated and self.promulgated not in amendment_dates(self.body_text()):
            return None
        return self.effective_date

    # ---- serialization --------------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = asdict(self)
        d["key"] = self.key
        return d

    @classmethod
    def from_dict(cls, d: dict, *, check_key: bool = False) -> "Article":
        """The article of a record :meth:`to_dict` wrote. Every field is checked: a bad one is an
        :class:`ArticleFieldError` naming it (``number: expected an integer ≥ 0, got '열'``) — a record is
        never taken half-right (a law without a name, a negative article number). An integer written as digits
        (``"12"``) is read as that integer. ``check_key``: a ``key`` that disagrees with law/number/branch is an
        error too (it would be replaced silently)."""
        if not isinstance(d, dict):
            raise ArticleFieldError("record", f"expected an object, got {_shown(d)}")
        if not d.keys() <= _FIELDS_AND_KEY:
            unknown = sorted(set(d) - _FIELDS_AND_KEY)
            raise ArticleFieldError(unknown[0], "unknown field (an article record has "
                                                + ", ".join(sorted(_FIELDS)) + ")")
        if "law" not in d:
            raise ArticleFieldError("law", "missing")
        law = d["law"]
        if not isinstance(law, str) or not law.strip():
            raise ArticleFieldError("law", f"expected the law's name, got {_shown(law)}")
        if "number" not in d:
            raise ArticleFieldError("number", "missing")
        # ≥ 0, not ≥ 1: a law of one untitled provision ('검찰청법은 폐지한다.') is 제0조 in the mirror and law.go.kr
        number = _integer(d["number"], "number", minimum=0)
        branch = _integer(d.get("branch", 0), "branch", minimum=0)
        paragraphs = [_paragraph(p, f"paragraphs[{i}]") for i, p in enumerate(_list(d.get("paragraphs", []), "paragraphs"))]
        chapter = _list(d.get("chapter", []), "chapter")
        for i, heading in enumerate(chapter):
            if not isinstance(heading, str):
                raise ArticleFieldError(f"chapter[{i}]", f"expected a heading (text), got {_shown(heading)}")
        effective, promulgated = d.get("effective_date"), d.get("promulgated")
        for name, value in (("effective_date", effective), ("promulgated", promulgated)):
            if value is not None and not (isinstance(value, str) and _is_iso_date(value)):
                raise ArticleFieldError(name, f"expected a date YYYY-MM-DD or null, got {_shown(value)}"
                                              + (" (no such day)" if isinstance(value, str) and _ISO_DATE.fullmatch(value)
                                                 else ""))
        deleted = d.get("deleted", False)
        if not isinstance(deleted, bool):
            raise ArticleFieldError("deleted", f"expected true or false, got {_shown(deleted)}")
        line = d.get("line")
        if line is not None:
            line = _integer(line, "line", minimum=1)
        art = cls(law=law, number=number, branch=branch, title=_string(d, "title"), paragraphs=paragraphs,
                  law_id=_string(d, "law_id"), kind=_string(d, "kind"), chapter=list(chapter), effective_date=effective,
                  promulgated=promulgated, deleted=deleted, source=_string(d, "source"), line=line)
        if check_key and "key" in d and (not isinstance(d["key"], str) or normalize(d["key"]) != art.key):
            raise ArticleFieldError("key", f"{_shown(d['key'])} does not match law/number/branch ({art.key!r})")
        return art


class ArticleFieldError(ValueError):
    """A field of an article record is missing or wrong; ``field`` names it."""

    def __init__(self, field: str, reason: str):
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


_FIELDS = {"law", "number", "branch", "title", "paragraphs", "law_id", "kind", "chapter", "effective_date", "promulgated",
           "deleted", "source", "line"}
_FIELDS_AND_KEY = _FIELDS | {"key"}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@lru_cache(maxsize=8192)  # an index repeats a few thousand dates over its ~140k articles
def _is_iso_date(value: str) -> bool:
    """``YYYY-MM-DD`` and a day the calendar has: the shape alone had taken ``2025-02-31`` and ``2025-13-01``."""
    if not _ISO_DATE.fullmatch(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _shown(value) -> str:
    if value is None:
        return "null"
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (bool, list, dict)) else repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _integer(value, field: str, minimum: int) -> int:
    """An int (or digits: ``"12"``) ≥ ``minimum``; booleans, floats, words and null are errors."""
    if type(value) is int and value >= minimum:
        return value
    if isinstance(value, str) and value.strip().isdecimal() and value.strip().isascii():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer ≥ {minimum}"
        raise ArticleFieldError(field, f"expected {what}, got {_shown(value)}")
    return value


def _string(d: dict, field: str) -> str:
    """An optional text field; null reads as empty (what it means), anything but text is an error."""
    value = d.get(field)
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    raise ArticleFieldError(field, f"expected text, got {_shown(value)}")


def _list(value, field: str) -> list:
    if not isinstance(value, list):
        raise ArticleFieldError(field, f"expected a list, got {_shown(value)}")
    return value


def _mark(value, field: str) -> str:
    """A 호/목 number: ``"2의2"``, ``"가"`` (an int is read as its digits)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    raise ArticleFieldError(field, f"expected a number such as \"2의2\" or \"가\", got {_shown(value)}")


def _object(value, field: str, keys: set[str]) -> dict:
    if not isinstance(value, dict):
        raise ArticleFieldError(field, f"expected an object, got {_shown(value)}")
    if not value.keys() <= keys:
        unknown = sorted(set(value) - keys)
        raise ArticleFieldError(f"{field}.{unknown[0]}", "unknown field")
    return value


_PARAGRAPH_FIELDS, _ITEM_FIELDS, _SUBITEM_FIELDS = {"number", "text", "items"}, {"number", "text", "subitems"}, {"number", "text"}


def _paragraph(p, field: str) -> Paragraph:
    p = _object(p, field, _PARAGRAPH_FIELDS)
    number = p.get("number")
    if number is not None:
        number = _integer(number, f"{field}.number", minimum=1)
    items = []
    for i, it in enumerate(_list(p.get("items", []), f"{field}.items")):
        where = f"{field}.items[{i}]"
        it, mark, text = _marked(it, where, _ITEM_FIELDS)
        subitems = [SubItem(*_marked(sub, f"{where}.subitems[{j}]", _SUBITEM_FIELDS)[1:])
                    for j, sub in enumerate(_list(it.get("subitems", []), f"{where}.subitems"))]
        items.append(Item(mark, text, subitems))
    return Paragraph(number, _text_of(p, field), items)


def _marked(value, field: str, keys: set[str]) -> tuple[dict, str, str]:
    """A 호 or 목 record: (the object, its number mark, its text)."""
    d = _object(value, field, keys)
    if "number" not in d:
        raise ArticleFieldError(f"{field}.number", "missing")
    return d, _mark(d["number"], f"{field}.number"), _text_of(d, field)


def _text_of(d: dict, field: str) -> str:
    try:
        return _string(d, "text")
    except ArticleFieldError as e:
        raise ArticleFieldError(f"{field}.text", e.reason) from None


def write_articles(path: str | os.PathLike, articles: Iterable[Article]) -> int:
    """Write JSONL atomically (temp file + rename). Returns the count."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for art in articles:
            f.write(json.dumps(art.to_dict(), ensure_ascii=False) + "\n")
            n += 1
    return n


def read_articles(path: str | os.PathLike, *, check_key: bool = False) -> Iterator[Article]:
    """Read JSONL written by :func:`write_articles`; a bad line is a :class:`SourceError` naming it, and the field
    when one is wrong (``a.jsonl:2: number: expected an integer ≥ 0, got '열'``) — a line that is not UTF-8 too
    (``a.jsonl:7: not UTF-8 text (invalid start byte at byte 61 of the line: ff); …``: it had been a raw
    UnicodeDecodeError naming neither). ``check_key``: see :meth:`Article.from_dict` — and, as a file someone wrote or
    edited is read so (``index build/add``), the error says how many lines are bad, the first few named (``…; 2 bad
    lines in all (5, 10)``): the rest of the file is read for it, so that one run names every line to fix, not one a
    run. (An index's own articles are read without it.)"""
    with open(path, "rb") as f:
        lines = _text_lines(f)
        rest = lines if check_key else None
        for lineno, line in lines:
            if isinstance(line, UnicodeDecodeError):
                raise _bad_line(path, not_utf8(line), lineno, None, rest, check_key) from line
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as e:
                raise _bad_line(path, f"not an article record ({e})", lineno, None, rest, check_key) from e
            try:
                yield Article.from_dict(record, check_key=check_key)
            except ArticleFieldError as e:
                raise _bad_line(path, e.reason, lineno, e.field, rest, check_key) from e
            except (ValueError, TypeError, KeyError, AttributeError) as e:  # belt and braces
                raise _bad_line(path, f"not an article record ({e})", lineno, None, rest, check_key) from e


def not_utf8(error: UnicodeDecodeError) -> str:
    """The reason a line that is not UTF-8 is named with (``error`` decoded that one line): what is wrong, where, and
    the bytes (``not UTF-8 text (invalid continuation byte at byte 59 of the line: ec 9a ff); …``)."""
    data, start = error.object, error.start
    # (an invalid continuation byte is the one after the sequence Python reports: shown with it)
    end = min(max(error.end + (1 if "continuation" in error.reason else 0), start + 1), start + 4, len(data))
    return (f"not UTF-8 text ({error.reason} at byte {start + 1} of the line: {data[start:end].hex(' ')}); an articles "
            "JSONL is UTF-8, as `legalret ingest --out` and `legalret index build` write it")


#: A line break as a file opened as text reads it (``\r\n``, ``\r`` or ``\n``; not U+2028 or U+0085, which
#: ``str.splitlines`` takes too and ``json.dumps(ensure_ascii=False)`` leaves unescaped).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _text_lines(f) -> Iterator[tuple[int, "str | UnicodeDecodeError"]]:
    """``(line number, text)`` of every line of a file opened in binary, each line decoded on its own: a line that
    is not UTF-8 comes as its :class:`UnicodeDecodeError` (a file opened as text fails on a whole chunk, before the
    line that holds the bad byte is known) and the lines after it still read. Lines are numbered as a file opened as
    text numbers them (a lone ``\\r`` ends one too)."""
    lineno = 0
    for raw in f:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            lineno += 1
            yield lineno, e
            continue
        if "\r" not in text:
            lineno += 1
            yield lineno, text
            continue
        for piece in _LINE.findall(text):
            lineno += 1
            yield lineno, piece


#: The bad lines a user file's error names by number (the rest are counted).
SHOWN_BAD_LINES = 5


def _bad_line(path, reason: str, lineno: int, field: str | None, rest, check_key: bool) -> SourceError:
    """The error of the first bad line; with ``rest`` (the file's remaining ``(lineno, line)``s) it also counts the
    bad lines among them — still one line: ``a.jsonl:5: not an article record (…); 2 bad lines in all (5, 10)``."""
    if rest is None:
        return SourceError(str(path), reason, line=lineno, field=field)
    bad = [lineno]
    for n, line in rest:
        if isinstance(line, UnicodeDecodeError):  # counted like any bad line (the text was decoded line by line)
            bad.append(n)
            continue
        if not line.strip():
            continue
        try:
            Article.from_dict(json.loads(line), check_key=check_key)
        except (ValueError, TypeError, KeyError, AttributeError):  # (ArticleFieldError is a ValueError)
            bad.append(n)
    if len(bad) > 1:
        shown = ", ".join(map(str, bad[:SHOWN_BAD_LINES])) + (", …" if len(bad) > SHOWN_BAD_LINES else "")
        reason += f"; {len(bad)} bad lines in all ({shown})"
    return SourceError(str(path), reason, line=lineno, field=field)
