"""What every statute parser returns: one law document (metadata + its body articles).

The four parsers (:mod:`~legalret.ingest.markdown`, :mod:`~legalret.ingest.lawgo`,
:mod:`~legalret.ingest.plaintext`) each turn one source text into a :class:`LawDocument`;
:mod:`~legalret.ingest.sources` walks files and archives and collects them.

Usage::

    from legalret.ingest.document import LawDocument, normalize_kind, iso_date

    normalize_kind("대통령령", "민법 시행령")   # '시행령'
    iso_date("20250131")                       # '2025-01-31'
    source_date("2010-13-01", "법률.md", "공포일자", line=4)
    # SourceError: 법률.md:4: 공포일자: '2010-13-01' is not a date (YYYY-MM-DD)

The small helpers here are shared by the parsers so that every source agrees on kinds, dates,
branch recovery and the 삭제 (deleted) convention.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from legalret.articles import Article
from legalret.errors import LegalretError, SourceError
from legalret.text import drop_invisible, strip_notes

#: The kinds the corpus manifests and the ``--kind`` filter speak of.
KINDS = ("법률", "시행령", "시행규칙")
#: Other 법종구분 of law.go.kr, kept as written by :func:`normalize_kind` (so ``--kind`` accepts them too).
OTHER_KINDS = ("헌법", "대법원규칙", "국회규칙", "헌법재판소규칙", "중앙선거관리위원회규칙", "감사원규칙")

# law.go.kr's 법령구분/법종구분 names the enacting authority; users think in 법률 / 시행령 / 시행규칙.
_KIND_BY_AUTHORITY = {"대통령령": "시행령", "총리령": "시행규칙", "부령": "시행규칙"}


@dataclass
class LawDocument:
    """One statute (one law of one kind) as read from one source."""

    law: str  # 제목 as promulgated, normalized (middle dots → ·, spaces collapsed)
    kind: str = ""  # 법률 / 시행령 / 시행규칙 / … (see :func:`normalize_kind`)
    law_id: str = ""  # 법령ID
    promulgated: str | None = None  # 공포일자, ISO
    effective_date: str | None = None  # 시행일자, ISO
    source: str = ""
    format: str = ""  # 'markdown' | 'lawgo-json' | 'lawgo-xml' | 'plaintext'
    articles: list[Article] = field(default_factory=list)
    #: recoverable defects found while parsing (each names its line/field); reported, not fatal
    warnings: list[SourceError] = field(default_factory=list)
    #: articles the parser could not read and left out (each with a warning): the document is not the whole law, so
    #: ``index add`` must not take its missing articles as repealed
    dropped: int = 0

    @property
    def deleted(self) -> int:
        return sum(a.deleted for a in self.articles)


def normalize_kind(kind: str | None, law: str = "") -> str:
    """``대통령령`` → ``시행령``, ``총리령``/``부령`` → ``시행규칙``; a name ending in 시행령/시행규칙 decides
    when the kind is missing. Unknown kinds (``대법원규칙`` …) are kept as written."""
    kind = (kind or "").strip()
    if kind in _KIND_BY_AUTHORITY:
        return _KIND_BY_AUTHORITY[kind]
    if kind.endswith("부령"):  # 고용노동부령, 과학기술정보통신부령 …: ministry ordinances = 시행규칙
        return "시행규칙"
    if kind:
        return kind
    compact = law.replace(" ", "")
    if compact.endswith("시행령"):
        return "시행령"
    if compact.endswith("시행규칙"):
        return "시행규칙"
    return "법률" if law else ""


def known_kind(kind: str) -> str:
    """A ``--kind`` value as documents carry it; a kind no document can have (a typo: ``법룰``) is an error rather
    than a filter that silently keeps nothing."""
    normalized = normalize_kind(kind)
    if normalized not in KINDS + OTHER_KINDS:
        raise LegalretError(f"unknown kind {kind!r}: expected one of {', '.join(KINDS)} (also 대통령령 = 시행령, "
                            f"총리령 / …부령 = 시행규칙, and {', '.join(OTHER_KINDS)})")
    return normalized


#: The forms a statute date is written in: ``20250131`` (exactly eight digits: law.go.kr), ``2025-01-31`` (the mirror's
#: front matter; ``2025-1-31`` too) and ``2025.01.31`` / ``2025. 1. 31.`` (as Korean texts write dates). Nothing else:
#: a compact date of another length is ambiguous (``2025111``: 2025-11-01 or 2025-01-11?) and had been read as one.
_DATE = re.compile(r"(\d{4})(?:(\d{2})(\d{2})|-(\d{1,2})-(\d{1,2})|\.\s*(\d{1,2})\.\s*(\d{1,2})\.?)")


def iso_date(value) -> str | None:
    """``'20250131'``, ``'2025-01-31'``, ``'2025.01.31'``, ``'2025. 1. 31.'`` → ``'2025-01-31'`` (surrounding whitespace
    ignored); empty/invalid → None — and so is any other form (``'2025111'``, ``'2025 1 31'``, ``'20250131.'``) and a
    date no calendar has (``'2025-02-31'``, ``'2025-13-01'``). Readers of statute files use :func:`source_date`."""
    if value is None:
        return None
    m = _DATE.fullmatch(str(value).strip())
    if not m:
        return None
    month, day = next((m[i], m[i + 1]) for i in (2, 4, 6) if m[i] is not None)
    y, mo, d = int(m[1]), int(month), int(day)
    try:
        datetime.date(y, mo, d)
    except ValueError:
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def source_date(value, source: str, field: str, *, line: int | None = None, form: str = "YYYY-MM-DD") -> str | None:
    """A date field of a statute source (공포일자, 시행일자, 조문시행일자) → ISO, as :func:`iso_date` reads it.

    Absent or empty → None (undated texts exist). Present but not a real date — malformed (``20100601x``, ``2025111``)
    or impossible (``2025-02-31``) — is a :class:`SourceError` naming the file, ``line`` and ``field``, so the file is
    skipped whole: read as None, an older text had passed ``index add``'s older-text guard (it skips undated laws) and replaced the
    newer one, every article losing its date, without a word. ``form`` is the form the message asks for."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    date = iso_date(text)
    if date is None:
        raise SourceError(source, f"{text!r} is not a date ({form})", line=line, field=field)
    return date


def clean(text: str) -> str:
    """NFC and one space per whitespace run — but the statute's own middle dots are kept for display
    (index text unifies them later, see :func:`legalret.text.normalize`)."""
    # hot path (a million lines per corpus): skip the NFC pass for text that already is NFC
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if ("  " in text or "\t" in text or "\n" in text or "\r" in text or "\xa0" in text or "\u3000" in text
            or text[:1].isspace() or text[-1:].isspace()):
        return " ".join(text.split())
    return text


# How a whole statute line ends (amendment notes removed first): a sentence ('… 한다.', '… 아니하다'), a noun clause
# ('… 것', '… 함', '… 음', '… 임'), a bracket or quote closing, a note or a table's border — checked only on a file
# that ends without a final newline (every file of the mirror ends with one).
_WHOLE_END = re.compile(r"(?:[.。다것함음임)）」』〉》>\]】}|+\-=*\"'”’]|\d)\s*$")
# lines whose form needs no sentence end: a 호/목 ('1. 경매', '가. 지붕', markdown's '1\\.'), a deeper level ('1) …',
# '(가) …'), a table row, a sub-관 heading ('제1항 협의상 파양': 민법), a git conflict marker
_WHOLE_FORM = re.compile(r"^\s*(?:\d+(?:의\d+)?\s*\\?\.|[가-하](?:의\d+)?\s*\\?\.|[(（]?\d+[)）]|[(（]?[가-하][)）]|\||"
                         r"제\s*\d+\s*(?:편|장|절|관|항)\s)|^(?:<{7}|={7}|>{7})")


def whole_line(line: str, indented_is_item: bool = False) -> bool:
    """True when ``line`` (as written in the file) ends as a whole statute line ends — see :func:`cut_off`.
    ``indented_is_item``: an indented line is a 호/목 or its continuation (the mirror's markdown indents them)."""
    line = drop_invisible(line)
    whole = strip_notes(line).rstrip()
    if not whole or _WHOLE_END.search(whole):
        return True
    form = _WHOLE_FORM.match(line) or (indented_is_item and line[:1] in (" ", "\t", "\u3000"))
    return bool(form) and not whole.endswith((",", "ㆍ", "·"))


def cut_off(text: str, source: str, last: Article | None, body_ends: re.Pattern,
            indented_is_item: bool = False) -> SourceError | None:
    """The warning for a file that stops mid-sentence in its last article: no final newline, and the file's last
    line — the last article's: no line matching ``body_ends`` (부칙, a chapter heading) comes after its heading — does
    not end as a statute line ends (:data:`_WHOLE_END`) nor has a form that needs no end (:data:`_WHOLE_FORM`). A
    truncated file ('… 규약으로 달리 정할 수 있') had been indexed as it was, without a word, when nothing earlier was
    indexed to compare it with (``index add`` compares the last article with the indexed one). None for a whole file.
    (Read as the end of a file, no article of the mirror's 140,968 ends so: each ends as :func:`whole_line` reads.)"""
    if last is None or not last.line or text.rstrip(" \t\u3000\xa0").endswith("\n") or not text.strip():
        return None
    lines = text.split("\n")
    at = next(n for n in range(len(lines), 0, -1) if lines[n - 1].strip())
    if at < last.line or any(body_ends.match(lines[n - 1]) for n in range(last.line + 1, at + 1)):
        return None  # the file ends in 부칙 (dropped) or before the last article read (another law's preamble)
    if whole_line(lines[at - 1], indented_is_item):
        return None
    tail = clean(drop_invisible(lines[at - 1]).replace("**", "").replace("\\", ""))[-30:]  # (markdown's marks left out)
    return SourceError(source, f"looks cut off: its last article ends mid-sentence: '…{tail}' ({last.label}, and no "
                               "final newline: a truncated file?); counted as an article not read whole — get the "
                               "file again", line=at, field="article")


#: Nesting depth of chapter headings: 편 > 장 > 절 > 관, and below 관 the untitled sub-관 headings that
#: 민법 writes as '제1항 협의상 파양'.
CHAPTER_DEPTH = {"편": 0, "장": 1, "절": 2, "관": 3, "항": 4}


def enter_chapter(chapter: list[tuple[int, str]], unit: str, heading: str) -> list[tuple[int, str]]:
    """The chapter path (``[(depth, heading), …]``) after a ``unit`` heading (편/장/절/관/항): headings at
    its depth or deeper are closed, this one is opened (amendment notes dropped)."""
    depth = CHAPTER_DEPTH[unit]
    return [c for c in chapter if c[0] < depth] + [(depth, strip_notes(clean(heading)))]


#: An article body that is only ``삭제 <2005.3.31>`` (or ``삭제``) marks a deleted article.
DELETED_BODY = re.compile(r"^\s*삭\s*제\s*(?:<[^<>]*>|\[[^\[\]]*\]|\([^()]*\))?\s*\.?\s*$")


def is_deleted_body(article: Article) -> bool:
    """True when the article's whole body is a 삭제 note (its paragraphs may still be numbered)."""
    first = article.paragraphs[0] if article.paragraphs else None
    lead = (first.text or (first.items[0].text if first.items else "")) if first is not None else ""
    if not lead.lstrip().startswith("삭"):
        return False  # fast path: almost every article
    texts = [p.text for p in article.paragraphs if p.text] + [i.text for p in article.paragraphs for i in p.items]
    return bool(texts) and all(DELETED_BODY.match(t) for t in texts)


class BranchCounter:
    """Recovers branch numbers a source lost: the k-th repeat of ``제N조`` is ``제N조의(k+1)``.

    Explicit branches (``제N조의M``) are taken as written and also advance the counter, so a source
    that has some branches written out and others lost still numbers the rest in order.
    """

    def __init__(self) -> None:
        self._next: dict[int, int] = {}

    def assign(self, number: int, branch: int | None) -> int:
        if branch is None:
            branch = self._next.get(number, 0)
            if branch == 1:  # the first repeat of 제N조 is 제N조의2 (there is no 의1)
                branch = 2
        self._next[number] = max(self._next.get(number, 0), branch + 1 if branch else 1)
        return branch
