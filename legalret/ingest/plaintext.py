"""Plain statute text — ``제N조(제목) …`` lines as found in scraped dumps and training-pair files.

Accepted shapes::

    민법                                        ← a title line names the law (or the file name does,
                                                  or every heading carries it: '민법 제2조(신의성실) …')
    제1조(목적) 이 법은 …                        ← one article per heading line
    제2조(신의성실) ① 권리의 행사와 … ② 권리는 …  ← 항 inline or on their own lines
    ① 권리의 행사와 …
      1. 호                                      ← 호 '1.' '2의2.'; 목 '가.' on their own lines
        가. 목
    제3조의2(정의) …                              ← branch articles written out
    제4조 삭제 <2005.3.31>                        ← deleted
    부칙                                         ← everything after it is dropped

Usage::

    from legalret.ingest.plaintext import parse_plaintext
    [doc] = parse_plaintext(open("민법.txt").read(), "민법.txt")
    [a.key for a in doc.articles][:2]      # ['민법 제1조', '민법 제2조']

A file that names no law (no title line, no law name before the headings, a generic file name)
is a :class:`SourceError` — guessing would put articles under the wrong key.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from legalret.articles import Article, Item, Paragraph, SubItem
from legalret.errors import SourceError
from legalret.ingest.document import LawDocument, clean, enter_chapter, is_deleted_body, normalize_kind
from legalret.text import CIRCLED, circled_to_int, normalize, strip_notes

# '제2조(신의성실) …', '제3조의2 (정의) …', '제4조 삭제 <…>' at the start of a line …
_HEADING = re.compile(r"^\s*제\s*(\d+)\s*조(?:\s*의\s*(\d+))?(?=[\s(（]|$)\s*(?:[(（]([^()（）]*(?:\([^()]*\)[^()（）]*)*)[)）])?\s*(.*)$")
# … or prefixed by a law name ('민법 제2조(신의성실) …'): the title in parentheses is then required,
# and the name must end like a law name, so that a sentence citing '이 법 제3조' is never a heading.
_NAMED_HEADING = re.compile(r"^\s*(?P<law>[^\s제][^()]*?(?:법|법률|령|규칙|규정))\s+(?=제\s*\d+\s*조(?:\s*의\s*\d+)?\s*[(（])")
# a line that is only a law name: '민법', '# 상법', '【민법】', '[상법 시행령]', '법령명: 민법'
_TITLE_LINE = re.compile(r"^\s*(?:#+\s*|【\s*|\[\s*|법령명\s*[:：]\s*)?"
                         r"(?P<law>[^\s\[\]【】#「」.,][^\[\]【】「」.,<>]{0,80}?(?:법|법률|령|규칙|규정))\s*(?:】|\])?\s*$")
_ADDENDA = re.compile(r"^\s*(?:#+\s*)?부\s*칙(?:\s|<|\(|$)")
_CHAPTER = re.compile(r"^\s*(?:#+\s*)?(제\s*\d+\s*(편|장|절|관)(?:\s*의\s*\d+)?(?:\s+\S.*)?)$")
_ITEM = re.compile(r"^\s*(\d+(?:의\d+)?)\s*\.\s+(.*)$")
_SUBITEM = re.compile(r"^\s*([가-하](?:의\d+)?)\s*\.\s+(.*)$")
# '이 법 제3조(…)', '같은 법 제5조(…)' cite the current law inside a sentence: never a law-name prefix
_REFERRING = re.compile(r"^(?:이|같은|동|본|해당|구|신|새|위|전|당해)\s*(?:법|법률|영|령|규칙|규정)$|^(?:법|법률|령|규칙|규정)$")
_GENERIC_STEMS = {"law", "laws", "statute", "statutes", "articles", "data", "dump", "text", "corpus", "input"}


def parse_plaintext(text: str, source: str = "", *, law: str | None = None, kind: str | None = None) -> list[LawDocument]:
    """Parse plain statute text into one document per law named in it."""
    if not text.strip():
        raise SourceError(source, "empty file")
    current_law = normalize(law) if law else _law_from_filename(source)
    docs: dict[str, LawDocument] = {}
    seen: dict[tuple[str, str], int] = {}
    doc: LawDocument | None = None
    art: Article | None = None
    para: Paragraph | None = None
    item: Item | None = None
    chapter: list[tuple[int, str]] = []
    in_addenda = False
    first_heading_line: int | None = None

    def document(name: str) -> LawDocument:
        if name not in docs:
            docs[name] = LawDocument(law=name, kind=normalize_kind(kind, name), source=source, format="plaintext")
        return docs[name]

    def finish() -> None:
        if art is None or doc is None:
            return
        art.deleted = is_deleted_body(art)
        key = (doc.law, art.key)
        if key in seen:
            doc.warnings.append(SourceError(source, f"duplicate article {art.label} (first at line {seen[key]}); "
                                                    "kept the first", line=art.line, field="article"))
            return
        seen[key] = art.line or 0
        doc.articles.append(art)

    all_lines = text.split("\n")

    def opens_a_law(index: int) -> bool:
        """A title line counts only when a heading follows it — a wrapped sentence ending in '…법'
        must not switch the law."""
        for nxt in all_lines[index + 1:]:
            nxt = nxt.strip()
            if nxt:
                return bool(_HEADING.match(nxt) or _CHAPTER.match(nxt) or _NAMED_HEADING.match(nxt))
        return False

    for lineno, raw in enumerate(all_lines, 1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        named = _NAMED_HEADING.match(line)
        if named and _REFERRING.match(named["law"].strip()):
            named = None
        if named:
            line_law = normalize(named["law"])
            line = line[named.end():]
        else:
            line_law = None
        m = _HEADING.match(line)
        if m:
            if line_law:
                if line_law != current_law:
                    chapter = []  # another law's headings start
                current_law = line_law
                in_addenda = False
            if in_addenda:
                continue
            if not current_law:
                first_heading_line = first_heading_line or lineno
                continue
            finish()
            doc = document(current_law)
            title = clean(m[3] or "")
            art = Article(law=doc.law, number=int(m[1]), branch=int(m[2] or 0), title=strip_notes(title) or title,
                          kind=doc.kind, chapter=[h for _, h in chapter], source=source, line=lineno)
            para = item = None
            rest = clean(m[4] or "")
            for number, body in _split_paragraphs(rest):
                para = Paragraph(number, body)
                art.paragraphs.append(para)
            continue
        if _ADDENDA.match(line):
            finish()
            art = para = item = None
            in_addenda = True
            continue
        m = _CHAPTER.match(line)
        if m and not in_addenda:
            finish()
            art = para = item = None
            chapter = enter_chapter(chapter, m[2], m[1])
            continue
        title_line = _TITLE_LINE.match(line)
        if title_line and opens_a_law(lineno - 1):
            finish()
            art = para = item = None
            current_law = normalize(title_line["law"].strip())
            chapter = []
            in_addenda = False
            continue
        if art is None or in_addenda:
            continue  # preamble / 부칙 text
        body = clean(line)
        if body[0] in CIRCLED:
            for number, text_ in _split_paragraphs(body):
                para = Paragraph(number, text_)
                art.paragraphs.append(para)
            item = None
            continue
        m = _SUBITEM.match(body)
        if m and item is not None:
            item.subitems.append(SubItem(m[1], m[2]))
            continue
        m = _ITEM.match(body)
        if m:
            if para is None:
                para = Paragraph(None, "")
                art.paragraphs.append(para)
            item = Item(m[1], m[2])
            para.items.append(item)
            continue
        if item is not None:  # a wrapped 호/목 line
            target = item.subitems[-1] if item.subitems else item
            target.text = f"{target.text} {body}".strip()
        elif para is not None:
            para.text = f"{para.text} {body}".strip()
        else:
            para = Paragraph(None, body)
            art.paragraphs.append(para)
    finish()
    if first_heading_line and not docs:
        raise SourceError(source, "article headings but no law name: add a title line (e.g. '민법'), "
                                  "prefix headings with the law name, or name the file after the law",
                          line=first_heading_line)
    result = [d for d in docs.values() if d.articles]
    if not result:
        raise SourceError(source, "no articles (expected lines like '제1조(목적) …')")
    return result


def _split_paragraphs(text: str) -> list[tuple[int | None, str]]:
    """'본문 ① 가 ② 나' → [(None, '본문'), (1, '가'), (2, '나')]; only marks in sequence split, so a
    circled number quoted inside a sentence stays in it."""
    if not text:
        return []
    out: list[tuple[int | None, str]] = []
    expected = circled_to_int(text[0]) if text[0] in CIRCLED else 1
    start, number = 0, None
    for pos, ch in enumerate(text):
        if ch in CIRCLED and circled_to_int(ch) == expected and (pos == 0 or text[pos - 1] == " "):
            chunk = text[start:pos].strip()
            if chunk or number is not None:
                out.append((number, chunk))
            number, start, expected = expected, pos + 1, expected + 1
    out.append((number, text[start:].strip()))
    return out


def _law_from_filename(source: str) -> str | None:
    name = PurePosixPath(source.rsplit("!", 1)[-1]).stem
    if not name or name.lower() in _GENERIC_STEMS or not re.search(r"(법|법률|령|규칙|규정)$", name):
        return None
    return normalize(name)
