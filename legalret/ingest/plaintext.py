"""Plain statute text — ``제N조(제목) …`` lines as found in scraped dumps and training-pair files.

Accepted shapes::

    민법                                        ← a title line names the law (or the file name does,
                                                  or every heading carries it: '민법 제2조(신의성실) …')
    제1조(목적) 이 법은 …                        ← one article per heading line
    제2조(신의성실) ① 권리의 행사와 … ② 권리는 …  ← 항 inline or on their own lines
    ① 권리의 행사와 …
    제2조(굴 보호) (1) 누구든지 …               ← 항 as '(1)' '(2)' ('（1）'), each opening a line: only when
    (2) 제1항을 …                                 the article's body opens with (1) and every such line
                                                  counts on from it — else they stay text (see _paren_paragraphs)
      1. 호                                      ← 호 '1.' '2의2.'; 목 '가.' on their own lines
        가. 목
    제3조의2(정의) …                              ← branch articles written out
    제5조【정의】 …  제6조 [벌칙] …  제7조（산책） …  ← other title brackets, read as '(…)'
    第8條(速度) …  第8條의2(…) …                  ← Hanja headings (Arabic digits), read as 제8조, 제8조의2
    제4조 삭제 <2005.3.31>                        ← deleted
    부칙                                         ← everything after it is dropped

Usage::

    from legalret.ingest.plaintext import parse_plaintext
    [doc] = parse_plaintext(open("민법.txt").read(), "민법.txt")
    [a.key for a in doc.articles][:2]      # ['민법 제1조', '민법 제2조']

A file that names no law (no title line, no law name before the headings, a generic file name)
is a :class:`SourceError` — guessing would put articles under the wrong key.

A heading needs heading shape, so that a wrapped line starting with a reference stays text of its sentence:
``제10조 및 제11조에서 …``, ``제3조 제2항에 따른다.`` and ``제750조(불법행위의 내용)에 따라 …`` are not articles.
A line that opens like a heading but is not understood (``제2조<정의> …``, ``第五條(…) …``) is not swallowed into
the article before it: it and its text are left out with an 'unreadable article heading' warning, counted in
``doc.dropped`` (``--strict`` fails). Numbers that repeat or go backwards are warnings naming both lines; an untitled
heading right after an unfinished sentence that repeats a titled one, or is out of order between two articles in
order, is read as the text it continues (and reported).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from legalret.articles import Article, Item, Paragraph, SubItem
from legalret.errors import SourceError
from legalret.ingest.document import (
    LawDocument, clean, cut_off, enter_chapter, is_deleted_body, normalize_kind,
)
from legalret.text import CIRCLED, circled_to_int, drop_invisible, normalize, strip_notes

# '제2조(신의성실) …', '제3조의2 (정의) …', '제4조 삭제 <…>' at the start of a line — a candidate only: see _heading,
# which also requires the heading shape of what follows the number. Titles come in the brackets statute books use:
# '(…)', '（…）', '【…】' and '[…]' (only right after the number: '제3조 이 법 [별표]' is text); '第5條(…)' is 제5조
# as older and Hanja-mixed texts write it.
_NUMBER = r"(?:제\s*(?P<number>\d+)\s*조|第\s*(?P<hanja>\d+)\s*條)(?:\s*의\s*(?P<branch>\d+))?"
_HEADING = re.compile(r"^\s*" + _NUMBER + r"(?=[\s(（【\[]|$)\s*"
                      r"(?:[(（](?P<paren>[^()（）]*(?:[(（][^()（）]*[)）][^()（）]*)*)[)）]"
                      r"|【(?P<lenticular>[^【】]*)】|\[(?P<square>[^\[\]]*)\])?(?P<after>.*)$")
# A line opening like a heading with a title the parser does not read — other brackets ('제2조<정의>', '제2조 〔정의〕')
# or a number in Hanja numerals ('第五條(目的)'): reported and left out, never read as text of the article before it
# (see _unreadable_heading, which applies _heading's shape rules to what follows the title). Not the quotes 「」『』《》:
# an untitled article may open with a law's name ('제3조 「민법」 제750조에도 불구하고 …').
_ODD_HEADING = re.compile(r"^\s*(?:제\s*\d+\s*조|第\s*(?:\d+|[一二三四五六七八九十百千〇零]+)\s*條)(?:\s*의\s*\d+)?\s*"
                          r"(?P<open>[<＜〈〔［{｛〖〘(（【\[])")
_HANJA_NUMERAL = re.compile(r"^\s*第\s*[一二三四五六七八九十百千〇零]")
_CLOSING = dict(zip("<＜〈〔［{｛〖〘(（【[", ">＞〉〕］}｝〗〙)）】]"))
# what a bracket after the number holds when it is a note, not a title: '제8조 [종전 제8조는 제9조로 이동 <…>]',
# '제4조 <2020.1.1 삭제>'
_NOTE_IN_BRACKETS = re.compile(r"삭\s*제|\d{4}\s*\.\s*\d{1,2}\s*\.")
# What follows a title in parentheses: a space, a 항 mark, a note or the line's end — not a particle glued to ')'
# ('제750조(불법행위의 내용)에 따라 …' cites an article in a wrapped sentence).
_AFTER_TITLE = " \t\u3000\xa0<[" + CIRCLED
# a 항 numbered '(1)' / '（1）' at the start of a line — followed by a space or the line's end, so that a wrapped
# reference '(1)에 해당하는 …' is not one (see _paren_paragraphs for when such marks are 항 at all)
_PAREN_MARK = re.compile(r"^[(（]\s*([0-9０-９]{1,3})\s*[)）](?=\s|$)\s*")
# Words that go on with the sentence a wrapped line continues, so they never open an article's body:
# '제10조 및 제11조에서 …', '제750조(…) 및 제751조(…)에 따라 …'
_CONTINUES_AFTER_TITLE = re.compile(r"(?:및|또는|내지|부터|까지|이하|중|등|외|에|에서|에게|에도|에는|의|와|과|를|을|은|는|으로|로|"
                                    r"에\s*따라|에\s*따른)(?=\s|$)|[·ㆍ,、~∼]")
# … and after an untitled number also references to its parts: '제3조 제2항에 따른다.', '제5조 단서에 따라 …'
# (an article's body may start with '제3조에도 불구하고' after its title, not in place of one)
_CONTINUES = re.compile(_CONTINUES_AFTER_TITLE.pattern + r"|[)）」』\]]|제\s*\d+\s*(?:항|호|목)|각\s*(?:항|호|목)|단서|본문|전단|후단")
# … or prefixed by a law name ('민법 제2조(신의성실) …'): the title in parentheses is then required,
# and the name must end like a law name, so that a sentence citing '이 법 제3조' is never a heading.
_NAMED_HEADING = re.compile(r"^\s*(?P<law>[^\s제第][^()]*?(?:법|법률|령|규칙|규정))\s+"
                            r"(?=(?:제\s*\d+\s*조|第\s*\d+\s*條)(?:\s*의\s*\d+)?\s*[(（【\[])")
# a line that is only a law name: '민법', '# 상법', '【민법】', '[상법 시행령]', '법령명: 민법'
_TITLE_LINE = re.compile(r"^\s*(?:#+\s*|【\s*|\[\s*|법령명\s*[:：]\s*)?"
                         r"(?P<law>[^\s\[\]【】#「」.,][^\[\]【】「」.,<>()]{0,80}?(?:법|법률|령|규칙|규정))\s*(?:】|\])?"
                         r"\s*(?:[(（]\s*약칭\s*[:：][^)）]*[)）])?\s*$")  # '주택임대차보호법 ( 약칭: 주택임대차법 )'
# what law.go.kr prints between a law's name and its first article: '[시행 2026. 1. 2.] [법률 제21065호, …, 일부개정]'
_VERSION_LINE = re.compile(r"^\s*\[\s*(?:시행|법률|대통령령|총리령|[가-힣]*부령|[가-힣]*규칙)\b[^\]]*\]")
_ADDENDA = re.compile(r"^\s*(?:#+\s*)?부\s*칙(?:\s|<|\(|$)")
_CHAPTER = re.compile(r"^\s*(?:#+\s*)?(제\s*\d+\s*(편|장|절|관)(?:\s*의\s*\d+)?(?:\s+\S.*)?)$")
# a date opening a wrapped line ('2024. 1. 1. 이후 …') is text: no 호 is numbered like a year and followed by a month
_ITEM = re.compile(r"^\s*(?!\d{4}\s*\.\s*\d{1,2}\s*\.)(\d+(?:의\d+)?)\s*\.\s+(.*)$")
_SUBITEM = re.compile(r"^\s*([가-하](?:의\d+)?)\s*\.\s+(.*)$")
# '이 법 제3조(…)', '같은 법 제5조(…)' cite the current law inside a sentence: never a law-name prefix
_REFERRING = re.compile(r"^(?:이|같은|동|본|해당|구|신|새|위|전|당해)\s*(?:법|법률|영|령|규칙|규정)$|^(?:법|법률|령|규칙|규정)$")
# what a law-name prefix never holds: a 항/호/목 mark ('2의2. 법 제17조(…)', '가. 민법 제777조(…)' cite laws
# inside an item), quotes or sentence punctuation (commas it may: '재외국민의 가족관계등록 창설, … 특례법')
_NOT_A_LAW_NAME = re.compile(r"[.「」『』\[\]<>:;\"'“”‘’" + CIRCLED + "]")
_UNREADABLE, _LEFT_OUT = "unreadable article heading", "; the article was left out"  # (the warning's words)
_GENERIC_STEMS = {"law", "laws", "statute", "statutes", "articles", "data", "dump", "text", "corpus", "input"}


def parse_plaintext(text: str, source: str = "", *, law: str | None = None, kind: str | None = None) -> list[LawDocument]:
    """Parse plain statute text into one document per law named in it.

    A line is an article heading only in heading shape (see :func:`_heading`); a number that repeats or goes
    backwards is a warning naming both lines. When an untitled heading that continues an unfinished sentence
    ('… 있으면' / '제3조 위반으로 본다.') repeats a titled heading later in the law, it was a wrapped line: it is
    read again as text of the article before it (and reported), and the titled heading is the article."""
    # zero-width characters (law.go.kr's pages carry them) read as nothing: '제1조\u200b(목적)' is a heading — read as
    # text before it, the article had been left out without a word, and the title line before it was no title line
    text = drop_invisible(text)
    if not text.strip():
        raise SourceError(source, "empty file")
    demoted: dict[int, str] = {}  # line → why it is text, not a heading
    while True:  # each round demotes at least one more line, so this ends
        docs, first_heading_line, more = _parse(text, source, law, kind, demoted)
        if not more:
            break
        demoted.update(more)
    if first_heading_line and not docs:
        raise SourceError(source, "article headings but no law name: add a title line (e.g. '민법'), "
                                  "prefix headings with the law name, or name the file after the law",
                          line=first_heading_line)
    # a law whose every heading was unreadable stays, empty, so that its warnings and doc.dropped reach the report
    result = [d for d in docs.values() if d.articles or d.dropped]
    if not any(d.articles for d in result):
        unread = [w for d in result for w in d.warnings if w.field == "heading"]
        if unread:  # say what was wrong, not only what was expected
            first = unread[0].reason.removeprefix(_UNREADABLE + " ").removesuffix(_LEFT_OUT)
            raise SourceError(source, f"no articles: {len(unread)} {_UNREADABLE}(s), the first {first}",
                              line=unread[0].line, field="heading")
        raise SourceError(source, "no articles (expected lines like '제1조(목적) …')")
    _note_cut_off(text, source, result)
    return result


_BODY_ENDS = re.compile(_ADDENDA.pattern + "|" + _CHAPTER.pattern)


def _note_cut_off(text: str, source: str, docs: list[LawDocument]) -> None:
    """A file that stops mid-sentence in its last article (:func:`~legalret.ingest.document.cut_off`): a warning on
    the law of that article, which counts as not read whole (``doc.dropped``: ``--strict`` fails, and ``index add``
    keeps the law's articles the file lacks)."""
    held = [(a.line or 0, doc, a) for doc in docs for a in doc.articles]
    if not held:
        return
    _, doc, last = max(held, key=lambda h: h[0])
    warning = cut_off(text, source, last, _BODY_ENDS)
    if warning is not None:
        doc.warnings.append(warning)
        doc.dropped += 1


def _heading(line: str) -> tuple[int, int, str | None, str] | None:
    """``(number, branch, title or None, rest)`` when ``line`` has the shape of an article heading: ``제N조[의M]``
    (or ``第N條[의M]``), then a title in ``(…)``, ``（…）``, ``【…】`` or ``[…]`` followed by a space, a 항 mark, a note
    or the line's end, or a space and text that does not go on with a sentence (``제3조 제2항에 따른다.``,
    ``제10조 및 제11조에서 …``)."""
    m = _HEADING.match(line)
    if m is None:
        return None
    after = m["after"]
    title = m["paren"] if m["paren"] is not None else m["lenticular"]
    if m["square"] is not None:
        if _is_note(m["square"], "[]"):
            after = line[m.start("square") - 1:]  # '제8조 [종전 제8조는 제9조로 이동 <…>]': the note is its text
        else:
            title = m["square"]
    if m["paren"] is not None and _PAREN_MARK.match(line[m.start("paren") - 1:]):
        # '제2조 (1) 누구든지 …': a 항 mark, not a title — untitled, the mark opens the body (same checks as a title)
        rest = line[m.start("paren") - 1:].strip()
        marked = _PAREN_MARK.match(rest)
        if _CONTINUES_AFTER_TITLE.match(rest[marked.end():]):
            return None
        return int(m["number"] or m["hanja"]), int(m["branch"] or 0), None, rest
    rest = after.strip()
    if title is not None:
        if after and after[0] not in _AFTER_TITLE and not _PAREN_MARK.match(after):
            return None  # '제750조(불법행위의 내용)에 따라 …' ('제2조(정의)(1) 이 법에서 …' is a heading)
        if rest and _CONTINUES_AFTER_TITLE.match(rest):
            return None
    elif rest and (_CONTINUES.match(rest) or _odd_title(rest)):
        return None  # '제2조 <정의> …' is a title in brackets not read, not text: see _unreadable_heading
    return int(m["number"] or m["hanja"]), int(m["branch"] or 0), title, rest


def _is_note(inside: str, brackets: str) -> bool:
    """True when ``inside`` the ``brackets`` is an amendment note or a 삭제 mark, not an article's title."""
    return bool(_NOTE_IN_BRACKETS.search(inside)) or not strip_notes(brackets[0] + inside + brackets[1])


def _odd_title(text: str) -> str | None:
    """The bracketed title ``text`` opens with (``'<정의>'``) when it is in heading shape — closed, not a note, then a
    space, a 항 mark, a note or the line's end that does not go on with a sentence."""
    close = _CLOSING.get(text[:1])
    end = text.find(close, 1) if close else -1
    if end <= 1 or _is_note(text[1:end], text[0] + close):
        return None
    after = text[end + 1:]
    if after and (after[0] not in _AFTER_TITLE or _CONTINUES_AFTER_TITLE.match(after.strip())):
        return None  # '제2조<정의>에 따라 …' cites an article
    return text[:end + 1]


def _unreadable_heading(line: str) -> str | None:
    """Why ``line``, which :func:`_heading` did not read, is still an article heading not understood — a title in
    brackets the parser does not read (``제2조<정의> …``) or a number in Hanja numerals (``第五條(目的) …``) —
    or None for text (``제3조에 따른 …``, ``제2조<정의>에 따라 …``)."""
    m = _ODD_HEADING.match(line)
    if m is None or _odd_title(line[m.start("open"):]) is None:
        return None
    if _HANJA_NUMERAL.match(line):
        return "article number in Hanja numerals; write it in digits, e.g. '第5條'"
    return (f"title in {m['open']}{_CLOSING[m['open']]}; write it as '제N조(제목)', '제N조【제목】' or '제N조 [제목]'")


def _ends_open(text: str) -> bool:
    """True when ``text`` stops mid-sentence ('… 규정이 있으면', '다만,'): the next line continues it."""
    last = text.rstrip()[-1:]
    return bool(last) and (("\uac00" <= last <= "\ud7a3" and last != "다") or last in ",·ㆍ」』")


def _parse(text: str, source: str, law: str | None, kind: str | None, demoted: dict[int, str]):
    """One pass: (documents by law, the first heading line met without a law name, lines to demote)."""
    current_law = normalize(law) if law else _law_from_filename(source)
    docs: dict[str, LawDocument] = {}
    seen: dict[tuple[str, str], Article] = {}
    last: dict[str, list[tuple[tuple[int, int], str, Article]]] = {}  # law → its last two articles
    continued: set[int] = set()  # lines of untitled headings that came right after an unfinished sentence
    more: dict[int, str] = {}
    doc: LawDocument | None = None
    art: Article | None = None
    para: Paragraph | None = None
    item: Item | None = None
    chapter: list[tuple[int, str]] = []
    in_addenda = False
    open_text = False  # the last text line stopped mid-sentence
    first_heading_line: int | None = None

    def document(name: str) -> LawDocument:
        if name not in docs:
            docs[name] = LawDocument(law=name, kind=normalize_kind(kind, name), source=source, format="plaintext")
        return docs[name]

    def demote(article: Article, why: str) -> None:
        """Read ``article``'s heading line again as text of the article before it (next round)."""
        quoted = all_lines[(article.line or 1) - 1].strip()
        quoted = quoted if len(quoted) <= 40 else quoted[:39] + "…"
        more[article.line or 0] = f"{quoted!r} read as text continuing the line before it, not as a heading: {why}"

    def finish() -> None:
        if art is None or doc is None:
            return
        art.deleted = is_deleted_body(art)
        key = (doc.law, art.key)
        if key in seen:
            first = seen[key]
            if art.title and not first.title and first.line in continued:
                demote(first, f"the titled {art.label} at line {art.line} is the heading")
            elif art.line in continued:
                demote(art, f"{art.label} is at line {first.line}")
            doc.warnings.append(SourceError(source, f"duplicate article {art.label} (first at line {first.line}); "
                                                    "kept the first", line=art.line, field="article"))
            return
        here = (art.number, art.branch)
        before = last.get(doc.law, [])
        if before and here < before[-1][0]:
            doc.warnings.append(SourceError(source, f"article {art.label} comes after {before[-1][1]} (line "
                                                    f"{before[-1][2].line}): the numbers go backwards",
                                            line=art.line, field="article"))
        if len(before) == 2:
            (p_num, p_label, _), (x_num, x_label, x_art) = before
            if p_num < here and not p_num < x_num < here and x_art.line in continued:
                # out of order between two articles in order, right after an unfinished sentence: a wrapped reference
                demote(x_art, f"{x_label} is out of order between {p_label} and {art.label} (line {art.line})")
        last[doc.law] = (before + [(here, art.label, art)])[-2:]
        seen[key] = art
        doc.articles.append(art)

    all_lines = text.split("\n")

    def opens_a_law(index: int) -> bool:
        """A title line counts only when a heading follows it — a wrapped sentence ending in '…법'
        must not switch the law."""
        for nxt in all_lines[index + 1:]:
            nxt = nxt.strip()
            if nxt and not _VERSION_LINE.match(nxt):  # (law.go.kr's version line had hidden the title line)
                return bool(_heading(nxt) or _CHAPTER.match(nxt) or _named_heading(nxt)
                            or _unreadable_heading(nxt))  # (reported, under the law it names)
        return False

    def ends_article(lineno: int, line: str) -> bool:
        """True when ``line`` (stripped) closes the article before it as the loop below reads it: a heading (read or
        unreadable), 부칙, a chapter heading or a title line opening another law — not a line demoted to text."""
        if lineno in demoted:
            return False
        named = _named_heading(line)
        if _heading(line[named.end():] if named else line) or (not named and _unreadable_heading(line)):
            return True
        if _ADDENDA.match(line) or _CHAPTER.match(line):
            return True
        return bool(_TITLE_LINE.match(line)) and opens_a_law(lineno - 1)

    def paren_paragraphs(heading_line: int, rest: str) -> dict[int, tuple[int, str]]:
        """``{line: (항 number, text)}`` for an article whose 항 are written '(1) …' '(2) …' at the start of lines —
        its body (``rest`` on the heading line, else the next line) opens with '(1)' and every line of it opening
        with a parenthesised number counts on from there, at least to (2). Otherwise nothing: a '(1)' in running
        text, or 호 written '(1)' after an opening sentence, stay as they were read."""
        lines = [(heading_line, rest)] if rest else []
        if not rest:  # the body starts on a line of its own (or the article is empty)
            for n in range(heading_line + 1, len(all_lines) + 1):
                line = all_lines[n - 1].strip()
                if line:
                    if not line.startswith(("(", "（")) or ends_article(n, line):
                        return {}
                    lines.append((n, line))
                    break
        first = _PAREN_MARK.match(lines[0][1]) if lines else None
        if first is None or int(first[1]) != 1:
            return {}  # fast path: almost every article
        for n in range(lines[-1][0] + 1, len(all_lines) + 1):
            line = all_lines[n - 1].strip()
            if not line:
                continue
            if ends_article(n, line):
                break
            lines.append((n, line))
        marks: dict[int, tuple[int, str]] = {}
        for n, line in lines:
            m = _PAREN_MARK.match(line)
            if m:
                if int(m[1]) != len(marks) + 1:
                    return {}  # '(1) … (1) …' or '(1) … (3) …': not one count of 항
                marks[n] = (int(m[1]), line[m.end():])
        return marks if len(marks) >= 2 else {}

    paren: dict[int, tuple[int, str]] = {}  # the '(n)' 항 of the current article (see paren_paragraphs)

    for lineno, raw in enumerate(all_lines, 1):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        heading = line_law = None
        if lineno in demoted:
            if doc is not None:
                doc.warnings.append(SourceError(source, demoted[lineno], line=lineno, field="article"))
        else:
            named = _named_heading(line)
            heading = _heading(line[named.end():] if named else line)
            if heading and named:
                line_law = normalize(named["law"])
            elif not heading and not named and not in_addenda:
                why = _unreadable_heading(line)
                if why and not current_law:
                    first_heading_line = first_heading_line or lineno
                    continue
                if why:
                    # its text is not the article before it's: left out with its heading, and said so
                    finish()
                    doc = document(current_law)
                    quoted = line if len(line) <= 40 else line[:39] + "…"
                    doc.warnings.append(SourceError(source, f"{_UNREADABLE} {quoted!r} ({why}){_LEFT_OUT}",
                                                    line=lineno, field="heading"))
                    doc.dropped += 1
                    art = para = item = None
                    open_text = False
                    continue
        if heading:
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
            number, branch, title, rest = heading
            title = clean(title or "")
            if not title and open_text:
                continued.add(lineno)
            art = Article(law=doc.law, number=number, branch=branch, title=strip_notes(title) or title,
                          kind=doc.kind, chapter=[h for _, h in chapter], source=source, line=lineno)
            para = item = None
            rest = clean(rest)
            paren = paren_paragraphs(lineno, rest)
            if lineno in paren:
                para = Paragraph(paren[lineno][0], clean(paren[lineno][1]))
                art.paragraphs.append(para)
            else:
                for number_, body in _split_paragraphs(rest):
                    para = Paragraph(number_, body)
                    art.paragraphs.append(para)
            open_text = _ends_open(rest)
            continue
        open_text = False
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
        open_text = _ends_open(body)
        if lineno in paren:  # '(2) …' — a 항 of an article numbered so throughout
            para = Paragraph(paren[lineno][0], clean(paren[lineno][1]))
            art.paragraphs.append(para)
            item = None
            continue
        if body[0] in CIRCLED:
            for number_, text_ in _split_paragraphs(body):
                para = Paragraph(number_, text_)
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
    return docs, first_heading_line, more


def _named_heading(line: str) -> re.Match | None:
    """The law-name prefix of '민법 제2조(신의성실) …' — not of a sentence citing '이 법 제3조(…)' or of an item
    citing '가. 민법 제777조(…)'."""
    named = _NAMED_HEADING.match(line)
    if named is None or _REFERRING.match(named["law"].strip()) or _NOT_A_LAW_NAME.search(named["law"]):
        return None
    return named


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
