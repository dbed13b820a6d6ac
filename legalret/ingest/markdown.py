"""legalize-kr statute markdown → :class:`~legalret.ingest.document.LawDocument`.

The format (``legalize-kr/<법령명>/{법률.md,시행령.md}``)::

    ---
    제목: 민법
    법령ID: '001706'
    법령구분: 법률
    공포일자: 2026-03-17
    시행일자: 2026-03-17
    ---
    # 민법
    # 제1편 총칙
    ## 제1장 통칙
    ##### 제2조 (신의성실)
    **①** 권리의 행사와 의무의 이행은 신의에 좇아 성실히 하여야 한다.
      1\\. 호
        가\\. 목
    ##### 제3조
    삭제 <2005.3.31>
    ## 부칙

Usage::

    from legalret.ingest.markdown import parse_markdown
    doc = parse_markdown(text, source="legalize-kr/민법/법률.md")
    doc.law, doc.kind, len(doc.articles)      # ('민법', '법률', 1193)

Two defects of the real mirror are repaired here:

* **lost branch numbers** — ``제312조의2`` appears as a second ``##### 제312조`` heading; the order is
  kept, so the k-th repeat of a number is ``의(k+1)`` (:class:`~legalret.ingest.document.BranchCounter`). This is
  the mirror's own convention (28,341 such headings, none warned of); a warning names a repeat that an explicit
  ``제N조의M`` heading of the same number overrules (the explicit one is kept). A repeat with the same title and
  nearly the same text as the article it repeats is a block pasted twice more likely than a branch (the mirror has
  123 same-titled repeats — 과태료, 벌칙 — none that alike): in a file that writes a ``제N조의M`` heading (a
  hand-amended one, which had filed an amended block pasted below the old one as an invented ``제N조의2``) it is a
  duplicate, kept once; in a mirror-style file it is still read as a branch. Either way a warning names both;
* **unresolved git merge conflicts** (``<<<<<<< HEAD`` … ``=======`` … ``>>>>>>>``) left in about 80
  files: each file is resolved to the one side whose front matter is the latest promulgation
  (공포일자, then 법령MST), consistently for every hunk — mixing sides would splice two versions; a warning
  names each file.

부칙 (from ``## 부칙`` on) are dropped: they are not articles of the body.
"""

from __future__ import annotations

import datetime
import difflib
import re

from legalret.articles import Article, Item, Paragraph, SubItem
from legalret.errors import SourceError
from legalret.ingest.document import (
    BranchCounter, LawDocument, clean, cut_off, enter_chapter, is_deleted_body, normalize_kind, source_date,
)
from legalret.text import CIRCLED, circled_to_int, drop_invisible, normalize, strip_notes

_ARTICLE = re.compile(r"^#{5,6}\s*제\s*(\d+)\s*조(?:\s*의\s*(\d+))?\s*(?:\((.*)\))?\s*(.*?)\s*$")
# 편/장/절/관 headings, e.g. '## 제2장 인', '#### 제1관 대학 <개정 2011.7.21>', '## 제3장의2 …'
_CHAPTER = re.compile(r"^(#{1,4})\s+(제\s*\d+\s*(편|장|절|관)(?:\s*의\s*\d+)?.*?)\s*$")
_ADDENDA = re.compile(r"^#{1,4}\s*부\s*칙")
_PARAGRAPH = re.compile(r"^\*\*\s*([^*\s]+)\s*\*\*\s*(.*)$")
_ITEM = re.compile(r"^ {1,3}(\d+(?:의\d+)?)\s*\\?\.\s*(.*)$")
_SUBITEM = re.compile(r"^ {4,}([가-힣](?:의\d+)?)\s*\\?\.\s*(.*)$")
_UNESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~])")
_FRONT_KEY = re.compile(r"^([^\s:#-][^:]*?):\s*(.*)$")


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(r"\1", text) if "\\" in text else text


# ---- front matter and merge conflicts ---------------------------------------------------------------
def resolve_merge_conflicts(lines: list[str], source: str = "") -> tuple[list[tuple[int, str]], str | None]:
    """Drop git conflict markers, keeping the side of the latest promulgation in every hunk.

    Returns ``[(lineno, line), …]`` (original 1-based line numbers kept, so errors still point into
    the file as it is on disk) and which side was kept (``'ours'``/``'theirs'``, None without conflicts).
    A side whose 공포일자 is there but no date is a :class:`SourceError` (``source``, its line): which side is
    newer cannot be told.
    """
    if not any(line.startswith("<<<<<<< ") for line in lines):
        return list(enumerate(lines, 1)), None
    sides = {side: _one_side(lines, side) for side in ("ours", "theirs")}

    def recency(side: str) -> tuple[str, int]:
        front = _front_matter_dict([line for _, line in sides[side]])
        mst = front.get("법령MST", "")
        promulgated = source_date(front.get("공포일자"), source, "공포일자", line=_front_line(sides[side], "공포일자"))
        return (promulgated or "", int(mst) if mst.isdigit() else 0)

    # Ties keep 'ours' (HEAD): in the real mirror tied hunks differ only in whitespace.
    keep = "theirs" if recency("theirs") > recency("ours") else "ours"
    return sides[keep], keep


def _one_side(lines: list[str], side: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    state = None
    for lineno, line in enumerate(lines, 1):
        if line.startswith("<<<<<<< "):
            state = "ours"
        elif state and line.startswith("=======") and not line.strip("="):
            state = "theirs"
        elif state and line.startswith(">>>>>>> "):
            state = None
        elif state is None or state == side:
            out.append((lineno, line))
    return out


def _front_line(lines: list[tuple[int, str]], key: str) -> int | None:
    """The line of ``key:`` in the front matter of ``[(lineno, line), …]`` (the last one: it is the value read)."""
    found = None
    for lineno, line in lines[1:]:
        if line.strip() == "---":
            break
        m = _FRONT_KEY.match(line)
        if m and m[1].strip() == key:
            found = lineno
    return found


def _front_matter_dict(lines: list[str]) -> dict[str, str]:
    """The flat ``key: value`` pairs of a YAML front matter block (lines between the ``---``)."""
    out: dict[str, str] = {}
    if not lines or lines[0].strip() != "---":
        return out
    for line in lines[1:]:
        if line.strip() == "---":
            break
        m = _FRONT_KEY.match(line)
        if m:
            out[m[1].strip()] = _yaml_scalar(m[2])
    return out


# A front-matter line that is certainly fine YAML the way the mirror writes it: 'key: plain value', "key: 'quoted'",
# 'key:' and '- list item' lines. Anything else is parsed as YAML to find out (rare: costs ~0.1 ms a file).
_PLAIN_LINE = re.compile(r"""^(?:[^\s:#\-'"\[\]{}&*!|>%@`,?][^:#]*?:|-)(?:[ \t]+(?:'(?:[^']|'')*'|\[\]|[^\s\-'"\[\]{}&*!|>%@`,?#:]"""
                         r"""(?:[^:#]|:(?!\s|$)|(?<!\s)#)*?))?[ \t]*$""")


def _check_front_matter(lines: list[tuple[int, str]], source: str) -> dict[str, str]:
    """Invalid YAML between the '---' lines (an unclosed '[', a stray quote) is a :class:`SourceError` naming its
    line — read flat, ``제목: [broken`` named a law '[broken'. So is a 제목 that is a list or a mapping. Returns the
    scalar values as YAML reads them where the flat reading may differ (``제목: 민법 # 주석``), else nothing."""
    if all(not line.strip() or _PLAIN_LINE.match(line) for _, line in lines):
        return {}
    import yaml

    text = "\n".join(line for _, line in lines)
    try:
        data = yaml.load(text, Loader=_front_loader(yaml))
    except (yaml.YAMLError, ValueError) as e:  # ValueError: text YAML cannot hold (lone surrogates)
        mark = getattr(e, "context_mark", None) or getattr(e, "problem_mark", None)
        at = min(mark.line, len(lines) - 1) if mark is not None and lines else 0
        why = " ".join(str(part) for part in (getattr(e, "problem", None), getattr(e, "context", None)) if part) or str(e)
        raise SourceError(source, f"invalid YAML: {why}", line=lines[at][0] if lines else 1,
                          field="front matter") from None
    title = data.get("제목") if isinstance(data, dict) else None
    if isinstance(title, (list, dict)):
        line = next((n for n, text_ in lines if text_.startswith("제목")), lines[0][0])
        raise SourceError(source, f"expected the law's name, got a {'list' if isinstance(title, list) else 'mapping'}",
                          line=line, field="제목")
    if not isinstance(data, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in data.items()
            if v is None or isinstance(v, (str, int, float, datetime.date))}


_LOADER = None


def _front_loader(yaml):
    """The safe loader, with dates kept as the text written: YAML's own reading made ``공포일자: 2010-13-01`` an
    'invalid YAML: month must be in 1..12' at the first line; the date check names its line and field."""
    global _LOADER
    if _LOADER is None:
        class FrontLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            pass

        FrontLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
        _LOADER = FrontLoader
    return _LOADER


def _yaml_scalar(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return "" if value in ("[]", "~", "null") else value


def _plain_mark(text: str) -> tuple[int, str] | None:
    """``(number, text)`` of a 항 opening with a plain circled number — ``'① 보호자는 …'`` → ``(1, '보호자는 …')`` —
    as hand-written files mark 항 (the mirror writes ``**①**``); None for any other line."""
    if not text or text[0] not in CIRCLED:
        return None
    return circled_to_int(text[0]), text[1:].strip()


def _recover_branch(number: str, earlier: list[str]) -> str:
    """The mirror drops branch numbers of 호/목 too: a second '5.' in one 항 is '5의2', a third '5의3'
    (and a second '가.' in one 호 is '가의2')."""
    if number not in earlier:
        return number
    k = 2
    while f"{number}의{k}" in earlier:
        k += 1
    return f"{number}의{k}"


# ---- the parser ------------------------------------------------------------------------------------
def parse_markdown(text: str, source: str = "", *, kind: str | None = None) -> LawDocument:
    """Parse one legalize-kr statute file.

    ``kind`` overrides the front matter (callers pass the file stem ``법률``/``시행령`` when they know it).
    Raises :class:`SourceError` when the file cannot be a statute (no front matter, no 제목, no
    articles); recoverable defects go to ``doc.warnings``. Zero-width characters are read as nothing (text copied from
    law.go.kr's pages carries them: '##### 제1조\u200b (목적)' had lost its title). A file that stops mid-sentence in
    its last article is a warning, and the law counts as not read whole (``doc.dropped``).
    """
    text = drop_invisible(text)
    if not text.strip():
        raise SourceError(source, "empty file")
    lines = text.split("\n")
    if "<<<<<<< " in text:
        numbered, side = resolve_merge_conflicts(lines, source)
    else:
        numbered, side = list(enumerate(lines, 1)), None
    if not numbered or numbered[0][1].strip().lstrip("\ufeff") != "---":
        raise SourceError(source, _no_front_matter(numbered), line=1)
    end = next((i for i in range(1, len(numbered)) if numbered[i][1].strip() == "---"), None)
    if end is None:
        raise SourceError(source, "front matter is not closed by '---'", line=numbered[0][0])
    front = _front_matter_dict(["---"] + [line for _, line in numbered[1 : end + 1]])
    front.update(_check_front_matter(numbered[1:end], source))
    title = front.get("제목", "")
    if not title:
        raise SourceError(source, "front matter has no 제목 (law name)", line=1, field="제목")

    law = normalize(title)
    doc = LawDocument(
        law=law,
        kind=normalize_kind(kind or front.get("법령구분"), law),
        law_id=front.get("법령ID", ""),
        # present but no date ('2010-13-01'): the file is skipped, named — read as undated, it passed index add's
        # older-text guard and replaced the newer text
        promulgated=source_date(front.get("공포일자"), source, "공포일자", line=_front_line(numbered, "공포일자")),
        effective_date=source_date(front.get("시행일자"), source, "시행일자", line=_front_line(numbered, "시행일자")),
        source=source,
        format="markdown",
    )
    if side:
        doc.warnings.append(
            SourceError(source, f"unresolved git merge conflict: kept the '{side}' side (latest 공포일자 "
                                f"{doc.promulgated})", field="merge-conflict")
        )
    _parse_body(numbered[end + 1 :], doc)
    if not doc.articles:
        raise SourceError(source, "no articles (expected '##### 제N조 (제목)' headings)", line=numbered[end][0])
    # any heading after the last article ('## 부칙', a chapter) ends its text; the mirror indents 호/목 and their lines
    cut = cut_off(text, source, max(doc.articles, key=lambda a: a.line or 0), _ANY_HEADING, indented_is_item=True)
    if cut is not None:
        doc.warnings.append(cut)
        doc.dropped += 1
    return doc


_ANY_HEADING = re.compile(r"^#")


def _no_front_matter(numbered: list[tuple[int, str]]) -> str:
    """What a statute ``.md`` file without front matter lacks, said as what to write: the fields this parser reads
    (제목, the law's name, is the one it needs; 법령구분 gives the kind, else the name does; 공포일자/시행일자 tell
    which of two texts is newer, and guard ``index add`` against older text) in an example that names the file's own
    law (its ``# 테스트법`` heading), and the other way in — a ``.txt`` file, read without front matter when its
    headings are plain text (``제1조 (목적)``: ``##### 제1조`` is markdown, not read there). A hand-made file had been
    told only "legalize-kr files start with '---'", not what else they hold."""
    name = next((m.group(1).strip() for _, line in numbered[:50]
                 if (m := _TITLE.match(line)) and not _PART_HEADING.match(m.group(1))), "") or "법령명"
    example = f"---\\n제목: {name}\\n법령구분: {normalize_kind(None, name)}\\n---"
    return (f"no YAML front matter: a statute .md file opens with one naming the law — add '{example}' at the top "
            "(제목 is required; 법령구분 (법률/시행령/시행규칙) and 공포일자/시행일자 (YYYY-MM-DD) are optional) — or save "
            "it as .txt with headings written '제1조 (목적)', without '#####': a text file needs no front matter")


#: a level-1 markdown heading (``# 테스트법``: a hand-made file's law name) and a 편/장/절/관 heading, which is not one
_TITLE = re.compile(r"^#\s+(\S.*?)\s*$")
_PART_HEADING = re.compile(r"^제\s*\d+\s*(?:편|장|절|관)")


_SUBSECTION = re.compile(r"^제\s*\d+\s*항\s+\S")  # '제1항 협의상 파양' — a heading below 관 (민법 제4편)


#: how alike (difflib ratio of the bodies, notes left out) a same-titled repeat must be to be taken for a pasted copy.
#: The mirror's real branches that share their article's title reach 0.85 (한국은행법 제105조의2, 벌칙: another article
#: cited, the same penalty); an amended block pasted under the old one differs in a few words.
_NEAR_COPY = 0.9


def _written_branch(lines: list[tuple[int, str]]) -> tuple[int, str] | None:
    """``(line, '제N조의M')`` of the body's first explicit branch heading (before 부칙); None in every file of the
    mirror, which lost them all."""
    for lineno, raw in lines:
        if raw.startswith("#####"):
            m = _ARTICLE.match(raw)
            if m and m[2]:
                return lineno, f"제{int(m[1])}조의{int(m[2])}"
        elif raw.startswith("#") and _ADDENDA.match(raw):
            break
    return None


def _near_copy(before: Article | None, article: Article) -> float | None:
    """How alike ``article`` (a repeated '제N조' heading) is to ``before`` (the last article of that number) when it
    has the same title and nearly the same text — a block pasted twice, not a branch; None otherwise."""
    if before is None or not article.title or article.title != before.title or is_deleted_body(article):
        return None
    ratio = difflib.SequenceMatcher(None, strip_notes(before.body_text()), strip_notes(article.body_text())).ratio()
    return ratio if ratio >= _NEAR_COPY else None


def _parse_body(lines: list[tuple[int, str]], doc: LawDocument) -> None:
    chapter: list[tuple[int, str]] = []  # (depth, heading)
    chapter_names: tuple[str, ...] = ()  # the headings alone, rebuilt only when the path changes
    branches = BranchCounter()
    written = _written_branch(lines)  # a file that writes one out is not the mirror as it is
    art: Article | None = None
    explicit_branch: int | None = None
    para: Paragraph | None = None
    item: Item | None = None
    seen: dict[tuple[int, int], tuple[int, int, bool]] = {}  # (number, branch) → (line, index in doc.articles, explicit)
    last_of: dict[int, Article] = {}  # number → the last article read from a '제N조' heading of that number

    def finish(article: Article | None) -> None:
        nonlocal chapter, chapter_names
        if article is None:
            return
        body = article.paragraphs
        if (not article.title and len(body) == 1 and body[0].number is None and not body[0].items
                and _SUBSECTION.match(body[0].text)):
            # The mirror renders the sub-관 headings '제1항 협의상 파양' as an untitled '##### 제898조'
            # followed by the real 제898조 (law.go.kr has them as 전문 rows): a heading, not an article,
            # and not a branch either.
            chapter = enter_chapter(chapter, "항", body[0].text)
            chapter_names = tuple(h for _, h in chapter)
            return
        copy = _near_copy(last_of.get(article.number), article) if explicit_branch is None else None
        if copy is not None and written:
            # a hand-amended file (it writes 제N조의M headings) whose old block was left above the pasted new one: the
            # lost-branch rule had filed the new text as an invented 제N조의2. Kept once, as any duplicate is.
            first = last_of[article.number]
            doc.warnings.append(SourceError(
                doc.source, f"duplicate article {first.label} (first at line {first.line}); kept the first — the "
                            f"heading at line {article.line} repeats its title with nearly the same text ({copy:.0%} "
                            f"alike), and this file writes its branch headings out ({written[1]} at line "
                            f"{written[0]}): not a lost branch number", line=article.line, field="article"))
            return
        article.branch = branches.assign(article.number, explicit_branch)
        article.deleted = is_deleted_body(article)
        ident = (article.number, article.branch)
        explicit = explicit_branch is not None
        if ident in seen:  # only explicit '제N조의M' headings can repeat; keys must stay unique
            line, index, was_explicit = seen[ident]
            if explicit and not was_explicit:
                # the earlier one was a repeated '제N조' heading numbered 의M by the lost-branch rule — a guess the
                # real '제N조의M' heading overrules (it had been dropped as the duplicate)
                doc.warnings.append(SourceError(
                    doc.source, f"the repeated heading at line {line}, read as {article.label}, is not that article "
                                f"({article.label} is at line {article.line}); left it out", line=line, field="article"))
                doc.articles[index] = article
                seen[ident] = (article.line or 0, index, True)
                return
            doc.warnings.append(SourceError(doc.source, f"duplicate article {article.label} (first at line "
                                                        f"{line}); kept the first", line=article.line,
                                            field="article"))
            return
        if copy is not None:
            # mirror-style file: read as the mirror numbers repeats (none of its repeats is this alike), but said
            first = last_of[article.number]
            doc.warnings.append(SourceError(
                doc.source, f"{article.label} (line {article.line}) repeats the heading of {first.label} (line "
                            f"{first.line}) with nearly the same text ({copy:.0%} alike): read as a lost branch "
                            f"number, as the mirror writes them — if it is a block pasted twice, delete one",
                line=article.line, field="article"))
        if not explicit:
            last_of[article.number] = article
        seen[ident] = (article.line or 0, len(doc.articles), explicit)
        doc.articles.append(article)

    for lineno, raw in lines:
        if not raw.strip():
            continue
        if raw[0] == "#":
            if raw.startswith("#####"):
                m = _ARTICLE.match(raw)
                if not m:
                    doc.warnings.append(SourceError(doc.source, f"unreadable article heading {raw.strip()!r}; "
                                                                "the article was left out", line=lineno, field="heading"))
                    doc.dropped += 1
                    finish(art)  # its body is not the previous article's: it is left out with its heading
                    art = para = item = None
                    continue
                finish(art)
                explicit_branch = int(m[2]) if m[2] else None
                title = clean(m[3] or "")
                if title.startswith("(") and title.endswith(")") and "(" not in title[1:-1]:
                    title = title[1:-1].strip()  # '##### 제3조 ((특정재산범죄의 가중처벌))': 954 headings doubled
                # branch and deleted flag are settled in finish(), once the body is known
                art = Article(law=doc.law, number=int(m[1]), title=strip_notes(title) or title,
                              law_id=doc.law_id, kind=doc.kind, chapter=list(chapter_names),
                              effective_date=doc.effective_date, promulgated=doc.promulgated, source=doc.source,
                              line=lineno)
                para = item = None
                rest = clean(m[4] or "")
                if rest:  # '##### 제5조 삭제 <2005.3.31>' — body written on the heading line
                    marked = _plain_mark(rest)  # '##### 제5조 (정의) ① …'
                    para = Paragraph(*marked) if marked else Paragraph(None, rest)
                    art.paragraphs.append(para)
                continue
            if _ADDENDA.match(raw):
                break  # 부칙: dropped, not articles of the body
            m = _CHAPTER.match(raw)
            if m:
                finish(art)
                art = para = item = None
                chapter = enter_chapter(chapter, m[3], m[2])
                chapter_names = tuple(h for _, h in chapter)
            # other headings ('# 민법' — the law's own title) carry nothing an article needs
            continue
        if art is None:
            continue  # text between a chapter heading and its first article (rare: 편 notes)
        line = raw.rstrip()
        if line.startswith("**"):
            m = _PARAGRAPH.match(line)
            number = circled_to_int(m[1]) if m else None
            if m and number is not None:
                para = Paragraph(number, clean(_unescape(m[2])))
                art.paragraphs.append(para)
                item = None
                continue
        elif line[0] in CIRCLED:  # '① …' as hand-written files mark 항 (the mirror never starts a body line so)
            para = Paragraph(*_plain_mark(clean(_unescape(line))))
            art.paragraphs.append(para)
            item = None
            continue
        if line.startswith(" "):
            m = _SUBITEM.match(line)
            if m and item is not None:
                item.subitems.append(SubItem(_recover_branch(m[1], [x.number for x in item.subitems]),
                                             clean(_unescape(m[2]))))
                continue
            m = _ITEM.match(line)
            if m:
                if para is None:
                    para = Paragraph(None, "")
                    art.paragraphs.append(para)
                item = Item(_recover_branch(m[1], [x.number for x in para.items]), clean(_unescape(m[2])))
                para.items.append(item)
                continue
            # deeper levels (' 1) …', ' (1) …') belong to the last 목/호 — kept on their own line
            text = clean(_unescape(line))
            if item is not None:
                target = item.subitems[-1] if item.subitems else item
                target.text = f"{target.text}\n{text}" if target.text else text
                continue
            if para is not None:
                para.text = f"{para.text}\n{text}" if para.text else text
                continue
        text = clean(_unescape(line))
        if para is None or para.items:
            para = Paragraph(None, text)
            art.paragraphs.append(para)
            item = None
        else:  # a continuation line of the same 항
            para.text = f"{para.text}\n{text}" if para.text else text
    finish(art)
