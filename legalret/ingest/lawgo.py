"""law.go.kr lawService statutes (JSON and XML) → :class:`~legalret.ingest.document.LawDocument`.

Both formats carry the same tree (the XML is the API's default, the JSON its ``type=JSON``)::

    {"법령": {"기본정보": {"법령명_한글": "민법", "법령ID": "001706", "법종구분": {"content": "법률"},
                           "공포일자": "20240920", "시행일자": "20250131"},
              "조문": {"조문단위": [
                  {"조문여부": "전문", "조문내용": [["제1편 총칙", "제1장 통칙"]]},          # chapter heading
                  {"조문여부": "조문", "조문번호": "2", "조문제목": "신의성실", "조문내용": "제2조(신의성실)",
                   "조문시행일자": "20250131",
                   "항": [{"항번호": "①", "항내용": "①권리의 행사와 …"}, …]},              # 항: dict OR list
                  {"조문여부": "조문", "조문번호": "5", "조문가지번호": "2", …},               # 제5조의2
              ]},
              "부칙": {…}}}                                                                # dropped

Usage::

    from legalret.ingest.lawgo import parse_lawgo_json, parse_lawgo_xml
    [doc] = parse_lawgo_json(Path("001706.json").read_text(), "001706.json")
    doc.law, len(doc.articles)          # ('민법', 1193)

Shapes handled: 항/호/목 as a dict or a list of dicts; a 항 dict without 항번호 that only holds 호;
any text field as a string or as nested lists of lines; 조문여부 ``전문`` rows (one or several
편/장/절/관 headings) set the chapter path of the articles after them; ``제16조 삭제 <2004.1.29>``
marks a deleted article; 조문시행일자 is each article's effective date. A malformed article is a
warning naming its 조문키 and line; the rest of the law is still read. A date that is there but no date (공포일자,
시행일자 or 조문시행일자 ``2025023x``, ``20250231``, or seven digits ``2025111``: not eight, YYYYMMDD) is a
:class:`SourceError` for the file, naming the field and its line.
"""

from __future__ import annotations

import json
import re
from collections import deque
from typing import Any, Callable
from xml.parsers import expat

from legalret.articles import Article, Item, Paragraph, SubItem
from legalret.errors import SourceError
from legalret.ingest.document import (
    BranchCounter, LawDocument, clean, enter_chapter, is_deleted_body, normalize_kind, source_date,
)
from legalret.text import circled_to_int, drop_invisible, normalize, strip_notes

Fix = Callable[[str], str]

_HEADING = re.compile(r"^\s*제\s*(\d+)\s*조(?:\s*의\s*(\d+))?\s*(?:\((.*?)\))?\s*")
# 편/장/절/관 headings, and the sub-관 '제1항 협의상 파양' headings of 민법 제4편
_CHAPTER_LINE = re.compile(r"^\s*(제\s*\d+\s*(편|장|절|관|항)(?:\s*의\s*\d+)?.*?)\s*$")
_ITEM_PREFIX = re.compile(r"^\s*(\d+(?:의\d+)?)\s*\.\s*")
_SUBITEM_PREFIX = re.compile(r"^\s*([가-힣](?:의\d+)?)\s*\.\s*")
_KEY_LINE = re.compile(r'"조문키"\s*:\s*"(\d+)"')


# ---- entry points ---------------------------------------------------------------------------------
def parse_lawgo_json(text: str, source: str = "", *, fix: Fix | None = None) -> list[LawDocument]:
    """Parse a lawService JSON response (one ``{"법령": …}`` object, or a list of them)."""
    if not text.strip():
        raise SourceError(source, "empty file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        # at the end, or a string never closed (it runs to the end): a truncated download
        ends = e.pos >= len(text.rstrip()) or e.msg.startswith("Unterminated string")
        cut = "; the file ends there — cut off?" if ends else ""
        raise SourceError(source, f"malformed JSON: {e.msg} (column {e.colno}){cut}", line=e.lineno, field="JSON") from e
    lines = _key_lines(text)
    objects = data if isinstance(data, list) else [data]
    if not objects:  # '[]' had been "no articles were read", naming no file
        raise SourceError(source, "an empty JSON list: no law in it", field="JSON")
    if fix is not None:  # keys in mojibake behind \u escapes (json.dump's default ensure_ascii), which the repair of
        # the whole text before parsing cannot see: read them now, as the values are read one by one
        objects = [_fixed_keys(obj, fix) if isinstance(obj, dict) and "법령" not in obj else obj for obj in objects]
    return [_parse_law(obj, source, fix, lines, fmt="lawgo-json", text=text) for obj in objects]


def _fixed_keys(value: Any, fix: Fix) -> Any:
    if isinstance(value, dict):
        return {(k if k.isascii() and "\\u" not in k else fix(k)): _fixed_keys(v, fix) for k, v in value.items()}
    if isinstance(value, list):
        return [_fixed_keys(v, fix) for v in value]
    return value


def _key_lines(text: str) -> dict[str, deque[int]]:
    """조문키 → the lines of its 조문단위s in the JSON text, in order (newlines counted incrementally: one pass).
    The walk takes them in turn, so a repeated 조문키 (a duplicate article, or the next law of a list) gets its own."""
    lines: dict[str, deque[int]] = {}
    line, pos = 1, 0
    for m in _KEY_LINE.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        lines.setdefault(m[1], deque()).append(line)
    return lines


def parse_lawgo_xml(text: str, source: str = "", *, fix: Fix | None = None) -> list[LawDocument]:
    """Parse a lawService XML response (root ``<법령>``, or any root holding ``<법령>`` elements)."""
    if not text.strip():
        raise SourceError(source, "empty file")
    root, lines = _xml_to_dict(text, source)
    tag, body = root
    if tag == "법령":
        laws = [body]
    else:
        found = body.get("법령") if isinstance(body, dict) else None
        if found is None:
            raise SourceError(source, f"root element <{tag}> is not <법령> and holds no <법령>", line=1, field="법령")
        laws = found if isinstance(found, list) else [found]
    return [_parse_law({"법령": law}, source, fix, lines, fmt="lawgo-xml", text=text) for law in laws]


# ---- the shared tree walk ------------------------------------------------------------------------
def _parse_law(obj: Any, source: str, fix: Fix | None, lines: dict[str, deque[int]], fmt: str,
               text: str = "") -> LawDocument:
    fix = fix or (lambda s: s)
    law = obj.get("법령") if isinstance(obj, dict) else None
    if not isinstance(law, dict):
        raise SourceError(source, "no '법령' object (expected a law.go.kr lawService response)", field="법령")
    info = law.get("기본정보")
    if not isinstance(info, dict):
        raise SourceError(source, "no 기본정보 (law metadata)", field="법령.기본정보")
    name = _text(info.get("법령명_한글"), fix)
    if not name:
        raise SourceError(source, "기본정보 has no 법령명_한글 (law name)", field="기본정보.법령명_한글")
    name = normalize(name)
    doc = LawDocument(
        law=name,
        kind=normalize_kind(_text(info.get("법종구분"), fix), name),
        law_id=_text(info.get("법령ID")),
        promulgated=_date(info.get("공포일자"), source, "공포일자", "기본정보.공포일자", text),
        effective_date=_date(info.get("시행일자"), source, "시행일자", "기본정보.시행일자", text),
        source=source,
        format=fmt,
    )
    units = (law.get("조문") or {}).get("조문단위") if isinstance(law.get("조문"), dict) else None
    if units is None:
        raise SourceError(source, "no 조문.조문단위 (the law has no articles)", field="조문.조문단위")
    chapter: list[tuple[int, str]] = []
    branches = BranchCounter()
    seen: dict[tuple[int, int], tuple[str, int | None]] = {}  # (number, branch) → (position, line) of the first
    for index, unit in enumerate(_as_list(units)):
        key = str(unit.get("조문키", "")) if isinstance(unit, dict) else ""
        line = lines[key].popleft() if lines.get(key) else None
        where = f"조문단위[{index}]" + (f" (조문키 {key})" if key else "")
        try:
            if not isinstance(unit, dict):
                raise ValueError(f"expected an object, got {type(unit).__name__}")
            if _text(unit.get("조문여부"), fix) == "전문":  # (in mojibake, 전문 rows had been read as articles)
                chapter = _update_chapter(chapter, _lines(unit.get("조문내용"), fix))
                continue
            date_field = f"조문단위[{index}].조문시행일자" + (f" (조문키 {key})" if key else "")
            article = _article(unit, doc, chapter, branches, fix, date_field=date_field, line=line, text=text)
        except (ValueError, TypeError, AttributeError) as e:
            doc.warnings.append(SourceError(source, f"skipped a malformed article: {e}", line=line, field=where))
            doc.dropped += 1
            continue
        article.line = line
        ident = (article.number, article.branch)
        if ident in seen:  # one key, two texts: the index would keep one of them silently
            first, first_line = seen[ident]
            at = first + (f", line {first_line}" if first_line is not None else "")
            doc.warnings.append(SourceError(source, f"duplicate article {article.label} (first at {at}); kept the first",
                                            line=line, field=where))
            continue
        seen[ident] = (f"조문단위[{index}]", line)
        doc.articles.append(article)
    if not doc.articles:
        why = f" ({len(doc.warnings)} malformed, first: {doc.warnings[0]})" if doc.warnings else ""
        raise SourceError(source, f"no articles in 조문.조문단위{why}", field="조문.조문단위")
    return doc


def _article(unit: dict, doc: LawDocument, chapter, branches: BranchCounter, fix: Fix, *,
             date_field: str = "조문시행일자", line: int | None = None, text: str = "") -> Article:
    raw_number = _text(unit.get("조문번호"))
    if not raw_number.isdigit():
        raise ValueError(f"조문번호 {raw_number!r} is not a number")
    raw_branch = _text(unit.get("조문가지번호"))
    if raw_branch and not raw_branch.isdigit():
        raise ValueError(f"조문가지번호 {raw_branch!r} is not a number")
    number = int(raw_number)
    branch = branches.assign(number, int(raw_branch) if raw_branch else 0)
    body_lines = _lines(_content(unit, "조문내용", f"제{number}조" + (f"의{raw_branch}" if raw_branch else "")), fix)
    title = clean(_text(unit.get("조문제목"), fix))
    if body_lines:  # '제2조(신의성실) 본문…' — the heading is repeated inside the text
        m = _HEADING.match(body_lines[0])
        if m:
            title = title or clean(m[3] or "")
            body_lines[0] = body_lines[0][m.end():]
    # the article's own 시행일자, exact: its notes need not tell (one that is there but no date fails the file, as a
    # 공포일자 that is no date does: read as absent, the article had silently taken the law's date)
    own = _date(unit.get("조문시행일자"), doc.source, "조문시행일자", date_field, text, near=line)
    article = Article(law=doc.law, number=number, branch=branch, title=strip_notes(title) or title,
                      law_id=doc.law_id, kind=doc.kind, chapter=[h for _, h in chapter],
                      effective_date=own or doc.effective_date, promulgated=None if own else doc.promulgated,
                      source=doc.source)
    intro = "\n".join(t for t in (clean(x) for x in body_lines) if t)
    paragraphs = _as_list(unit.get("항"))
    if intro:
        article.paragraphs.append(Paragraph(None, intro))
    for hang in paragraphs:
        if not isinstance(hang, dict):
            raise ValueError(f"항 is {type(hang).__name__}, expected an object")
        number_mark = _mark(hang.get("항번호"), fix)
        para_number = circled_to_int(number_mark) if number_mark else None
        if number_mark and para_number is None and number_mark.isdigit():
            para_number = int(number_mark)
        label = f"{article.label} {number_mark}" if number_mark else article.label
        text = _join(_lines(_content(hang, "항내용", label), fix))
        if number_mark and text.startswith(number_mark):
            text = text[len(number_mark):].strip()
        elif para_number is None and text[:1] and circled_to_int(text[0]) is not None:
            # a 항번호 the repair could not read ('â‘¡' is too short to tell from Latin text): its 항내용, repaired,
            # starts with the mark — the paragraph had lost its number, and '… 제2항' its paragraph
            para_number, text = circled_to_int(text[0]), text[1:].strip()
        if para_number is None and not text and article.paragraphs and not article.paragraphs[-1].items:
            para = article.paragraphs[-1]  # 항 dict holding only 호: they belong to the article's body
        else:
            para = Paragraph(para_number, text)
            article.paragraphs.append(para)
        for ho in _as_list(hang.get("호")):
            para.items.append(_item(ho, fix, label))
    article.deleted = is_deleted_body(article)
    return article


def _content(unit: dict, key: str, where: str) -> Any:
    """The text field ``key`` (조문내용, 항내용, 호내용, 목내용) of ``unit``, as it is: absent is no text (a 항 holding
    only 호 has no 항내용); ``null`` or a number there is a malformed article (a ValueError naming ``where`` — the
    article and its mark — and the field). It had been read as no text ('①' with its words gone) or as the text
    '12345', without a word: the index then held a paragraph or article the law does not have."""
    value = unit.get(key)
    if key in unit and value is None:
        raise ValueError(f"{where}: {key} is null (its text is missing)")
    for part in value if isinstance(value, list) else [value]:
        if isinstance(part, (bool, int, float)):
            kind = "true/false" if isinstance(part, bool) else "a number"
            raise ValueError(f"{where}: {key} is {json.dumps(part)} ({kind}), not text")
    return value


def _numbered(unit: Any, level: str, prefix: re.Pattern, fix: Fix, where: str = "") -> tuple[str, str]:
    """(number, text) of a 호 or 목 object: ``<level>번호``, else the number the text starts with
    (``1. …``, ``가. …``), which is cut from the text either way."""
    if not isinstance(unit, dict):
        raise ValueError(f"{level} is {type(unit).__name__}, expected an object")
    mark = _mark(unit.get(f"{level}번호"), fix).rstrip(".")
    text = _join(_lines(_content(unit, f"{level}내용", f"{where} {level} {mark}".strip()), fix))
    m = prefix.match(text)
    if m:
        mark = mark or m[1]
        text = text[m.end():]
    return mark, text.strip()


def _item(ho: Any, fix: Fix, where: str = "") -> Item:
    mark, text = _numbered(ho, "호", _ITEM_PREFIX, fix, where)
    item = Item(mark.replace(" ", ""), text)
    for mok in _as_list(ho.get("목")):
        item.subitems.append(SubItem(*_numbered(mok, "목", _SUBITEM_PREFIX, fix, f"{where} 제{item.number}호")))
    return item


def _update_chapter(chapter: list[tuple[int, str]], lines: list[str]) -> list[tuple[int, str]]:
    for line in lines:
        m = _CHAPTER_LINE.match(line)
        if m:
            chapter = enter_chapter(chapter, m[2], m[1])
    return chapter


# ---- value helpers --------------------------------------------------------------------------------
def _date(value: Any, source: str, key: str, field: str, text: str, near: int | None = None) -> str | None:
    """A date field (``'20250131'``) → ISO; absent or empty → None; there but no date → :class:`SourceError` naming
    ``field`` and the line of ``key`` holding that value in ``text`` (the one nearest line ``near``, else ``near``)."""
    raw = _text(value)
    try:
        return source_date(raw, source, field, form="YYYYMMDD")
    except SourceError as e:
        raise SourceError(source, e.reason, line=_value_line(text, key, raw.strip(), near), field=field) from None


def _value_line(text: str, key: str, value: str, near: int | None) -> int | None:
    """The line of ``"key": "value"`` (JSON) or ``<key …>value`` (XML) in ``text``: the one nearest ``near``."""
    k, v = re.escape(key), re.escape(value)
    found = [text.count("\n", 0, m.start()) + 1
             for m in re.finditer(rf'"{k}"\s*:\s*"?\s*{v}|<{k}(?:\s[^>]*)?>\s*(?:<!\[CDATA\[)?\s*{v}', text)]
    if not found:
        return near
    return found[0] if near is None else min(found, key=lambda n: abs(n - near))


def _as_list(value: Any) -> list:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _mark(value: Any, fix: Fix | None) -> str:
    """A 항/호/목 number ('②', '1의2', '가'). In a mis-encoded file it is too short for the repair to tell from Latin text
    ('â‘¡', 'ê°\x80'): when the repair leaves it so, UTF-8 read as cp1252 or Latin-1 is undone exactly (a real
    mark has no such reading: it cannot be encoded in either)."""
    mark = _text(value, fix, keep_invisible=True).strip()  # (U+00AD is a byte of such mojibake: kept until undone)
    if fix is not None and getattr(fix, "enabled", True) and not mark.isascii():  # (not with --no-repair)
        for wrong in ("cp1252", "latin-1"):
            try:
                return drop_invisible(mark.encode(wrong).decode("utf-8")).strip()
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
    return drop_invisible(mark).strip()


def _text(value: Any, fix: Fix | None = None, *, keep_invisible: bool = False) -> str:
    """A scalar field: a string, a number, or ``{"content": …}`` (XML text with attributes); zero-width characters
    (text copied from law.go.kr's pages: '1\u200b' was no 조문번호) read as nothing, after the mojibake repair."""
    if value is None:
        return ""
    if isinstance(value, dict):
        value = value.get("content", "")
    if isinstance(value, list):
        return " ".join(_lines(value, fix))
    text = str(value)
    text = fix(text) if fix and not text.isascii() else text
    return text if keep_invisible else drop_invisible(text)


def _lines(value: Any, fix: Fix | None = None) -> list[str]:
    """A text field that may be a string or nested lists of lines → its non-empty lines (zero-width characters read
    as nothing, as :func:`_text` reads them)."""
    out: list[str] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if v is None:
            continue
        if isinstance(v, list):
            stack.extend(reversed(v))
        elif isinstance(v, dict):
            stack.append(v.get("content"))
        else:
            text = str(v)
            if fix and not text.isascii():
                text = fix(text)
            text = drop_invisible(text)
            out.extend(part for part in text.split("\n") if part.strip())
    return out


def _join(lines: list[str]) -> str:
    """Lines of one 항/호/목: the first is its text, deeper lines (``1) …``) stay on their own line."""
    return "\n".join(c for c in (clean(x) for x in lines) if c)


# ---- XML → the JSON tree -------------------------------------------------------------------------
class _Node:
    __slots__ = ("tag", "attrs", "children", "repeated", "texts", "line")

    def __init__(self, tag: str, attrs: dict, line: int):
        self.tag, self.attrs, self.line = tag, attrs, line
        self.children: dict[str, Any] = {}
        self.repeated: set[str] = set()
        self.texts: list[str] = []

    def add(self, name: str, value: Any) -> None:
        if name not in self.children:
            self.children[name] = value
        elif name in self.repeated:
            self.children[name].append(value)
        else:  # second <항> under one <조문단위>: from now on a list, as in the JSON
            self.children[name] = [self.children[name], value]
            self.repeated.add(name)

    def value(self) -> Any:
        text = "".join(self.texts).strip()
        if self.children:
            return {**self.attrs, **self.children}
        if self.attrs:
            return {**self.attrs, "content": text}
        return text


def _xml_to_dict(text: str, source: str) -> tuple[tuple[str, Any], dict[str, deque[int]]]:
    """Convert XML to the JSON shape: child elements → keys (repeated ones → lists), attributes →
    keys beside ``content`` (``<법종구분 법종구분코드="A0002">법률</법종구분>`` →
    ``{"법종구분코드": "A0002", "content": "법률"}``). Also returns the line of each 조문단위 by 조문키."""
    # the text is already decoded: expat must read our UTF-8, whatever (or however misspelt) the
    # document's <?xml encoding=…?> says — an unknown name there was a LookupError
    parser = expat.ParserCreate("UTF-8")
    stack: list[_Node] = []
    result: list[tuple[str, Any]] = []
    lines: dict[str, deque[int]] = {}

    def start(tag: str, attrs: dict) -> None:
        stack.append(_Node(tag, dict(attrs), parser.CurrentLineNumber))

    def chars(data: str) -> None:
        if stack:
            stack[-1].texts.append(data)

    def end(tag: str) -> None:
        node = stack.pop()
        value = node.value()
        if node.tag == "조문단위" and isinstance(value, dict) and value.get("조문키"):
            lines.setdefault(str(value["조문키"]), deque()).append(node.line)
        if stack:
            stack[-1].add(node.tag, value)
        else:
            result.append((node.tag, value))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        # surrogatepass: a str holding lone surrogates (from a surrogateescape decode) becomes bytes expat
        # rejects with a line number, instead of a UnicodeEncodeError before parsing starts
        parser.Parse(text.encode("utf-8", errors="surrogatepass"), True)
    except LookupError as e:  # belt and braces: expat versions that still consult the declaration
        raise SourceError(source, f"malformed XML: {e}", line=1, field="XML") from e
    except expat.ExpatError as e:
        # an error on the file's last line is where a truncated download stops: say so
        cut = "; the file ends there — cut off?" if e.lineno >= text.rstrip().count("\n") + 1 else ""
        raise SourceError(source, f"malformed XML: {expat.errors.messages[e.code]} (column {e.offset}){cut}",
                          line=e.lineno, field="XML") from e
    return result[0], lines
