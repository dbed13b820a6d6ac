"""Read court decisions (판례) into :class:`Precedent` records with aligned, resolved holdings.

Two formats:

* **legalize-kr precedent markdown** (``precedent-kr/<사건종류>/<법원등급>/<사건번호>.md``): YAML front matter
  (판례일련번호, 사건번호, 사건명, 법원명, 법원등급, 사건종류, 출처, 선고일자) and sections ``## 판시사항``,
  ``## 판결요지``, ``## 참조조문``, ``## 참조판례``;
* **law.go.kr precedent JSON** (``{"PrecService": {...}}`` or the bare object, or a list of them): fields
  판례정보일련번호, 사건번호, 사건명, 법원명, 선고일자 (``YYYYMMDD``), 사건종류명, 판시사항, 판결요지, 참조조문,
  참조판례, with ``<br/>`` markup in the texts.

Sources may be files, directories (searched recursively), globs, or zip archives read in place (members are
reported as ``archive.zip!member``). A bad file is reported (``SourceError`` with path, field and reason)
and skipped; the batch goes on.

Usage::

    from legalret.precedents.parse import read_precedents, PrecedentReport
    from legalret.precedents.citations import ArticleCatalog

    report = PrecedentReport()
    for p in read_precedents(["../shared/data/precedents/precedent-kr.zip"],
                             catalog=ArticleCatalog.from_articles(articles), report=report):
        for h in p.holdings:
            print(p.case_no, p.decided, h.index, h.text[:40], h.keys)   # keys: live articles it cites
    report.to_dict()   # files, precedents, holdings, errors, alignment, citation resolution counts
"""

from __future__ import annotations

import glob
import html
import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

from legalret.errors import UNREADABLE, SourceError
from legalret.precedents.citations import (
    ArticleCatalog,
    Citation,
    CitationParser,
    ResolutionReport,
    resolve,
)
from legalret.precedents.items import align_items, split_items
from legalret.text import compact, normalize

__all__ = [
    "Holding",
    "Precedent",
    "PrecedentReport",
    "read_precedents",
    "parse_markdown",
    "parse_lawgo",
    "case_numbers",
    "parse_date",
]


@dataclass
class Holding:
    """One 판시사항 item with its aligned 판결요지 item and 참조조문 citations."""

    index: int  # 1-based item number ([1] / 가. = 1)
    text: str  # 판시사항 item
    summary: str = ""  # 판결요지 item with the same number ('' when it could not be aligned)
    citations: list[Citation] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # resolved keys of live articles in the catalog


@dataclass
class Precedent:
    serial: str  # 판례(정보)일련번호
    case_no: str  # 사건번호 as written: '2000므1257(본소), 1264(반소)'
    case_name: str
    court: str
    case_type: str  # 사건종류: 민사 / 형사 / 가사 / 세무 / 일반행정 / 특허 …
    decided: date
    holdings: list[Holding] = field(default_factory=list)
    source: str = ""
    court_level: str = ""  # 대법원 / 하급심 (markdown only)
    references: str = ""  # 참조판례, raw
    alignment: str = ""  # how 판시사항 and 참조조문 items matched (see items.align_items)

    @property
    def case_numbers(self) -> set[str]:
        return case_numbers(self.case_no)


@dataclass
class PrecedentReport:
    """What a batch read produced; merge-free, pass one instance to :func:`read_precedents`."""

    files: int = 0
    precedents: int = 0
    holdings: int = 0
    holdings_with_keys: int = 0
    errors: list[SourceError] = field(default_factory=list)
    alignment: Counter = field(default_factory=Counter)
    citations: ResolutionReport = field(default_factory=ResolutionReport)

    def to_dict(self, max_errors: int = 50) -> dict:
        return {
            "files": self.files,
            "precedents": self.precedents,
            "holdings": self.holdings,
            "holdings_with_keys": self.holdings_with_keys,
            "errors": len(self.errors),
            "error_examples": [str(e) for e in self.errors[:max_errors]],
            "alignment": dict(self.alignment.most_common()),
            "citations": self.citations.to_dict(),
        }


# ---------------------------------------------------------------------------------------------------
# small parsers
# ---------------------------------------------------------------------------------------------------

_CASE = re.compile(r"(\d{2,4})\s*([가-힣]{1,4})\s*(\d+)")
_BARE_NUMBER = re.compile(r"(?<![\d가-힣])(\d+)(?![\d가-힣])")


def case_numbers(case_no: str) -> set[str]:
    """The individual case numbers in a 사건번호 field; merged cases share the year and type of the first.

    >>> sorted(case_numbers("2000므1257(본소), 1264(반소)"))
    ['2000므1257', '2000므1264']
    """
    out: set[str] = set()
    text = re.sub(r"\([^)]*\)", " ", case_no or "")
    prefix = None
    pos = 0
    for m in _CASE.finditer(text):
        if prefix:
            for b in _BARE_NUMBER.finditer(text, pos, m.start()):
                out.add(prefix + b.group(1))
        prefix = m.group(1) + m.group(2)
        out.add(prefix + m.group(3))
        pos = m.end()
    if prefix:
        for b in _BARE_NUMBER.finditer(text, pos):
            out.add(prefix + b.group(1))
    if not out and normalize(case_no):
        out.add(re.sub(r"\s", "", case_no))
    return out


def parse_date(value: str) -> date:
    """'2003-11-14', '2003.11.14', '20031114' → date; ValueError otherwise."""
    digits = re.findall(r"\d+", str(value))
    if len(digits) == 1 and len(digits[0]) == 8:
        y, m, d = int(digits[0][:4]), int(digits[0][4:6]), int(digits[0][6:])
    elif len(digits) == 3:
        y, m, d = (int(x) for x in digits)
    else:
        raise ValueError(f"not a date: {value!r}")
    return date(y, m, d)


_BR = re.compile(r"<\s*br\s*/?\s*>", re.I)
_TAG = re.compile(r"<[^<>]{1,40}>")


def clean_markup(text: str | None) -> str:
    """law.go.kr texts: ``<br/>`` → newline, other tags dropped, entities unescaped (normalization later)."""
    if not text:
        return ""
    text = _BR.sub("\n", str(text))
    text = _TAG.sub("", text)
    return html.unescape(text)


def _front_matter(text: str, path: str) -> tuple[dict[str, str], str, int]:
    """Parse the simple ``key: value`` YAML front matter (quoted or plain scalars). Returns (fields, body,
    line offset of the body)."""
    if not text.startswith("---"):
        raise SourceError(path, "no YAML front matter (expected a leading '---' line)", line=1)
    end = text.find("\n---", 3)
    if end < 0:
        raise SourceError(path, "unterminated YAML front matter", line=1)
    fields: dict[str, str] = {}
    lines = text[3:end].strip("\n").split("\n")
    for lineno, line in enumerate(lines, 2):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise SourceError(path, f"front matter line is not 'key: value': {line[:60]!r}", line=lineno)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1].replace("''", "'") if value[0] == "'" else json.loads(value)
        fields[key.strip()] = value
    body_start = end + 4
    return fields, text[body_start:], text.count("\n", 0, body_start) + 1


_SECTION = re.compile(r"^##\s+(.+?)\s*$", re.M)


def _sections(body: str) -> dict[str, str]:
    out: dict[str, str] = {}
    heads = list(_SECTION.finditer(body))
    for i, m in enumerate(heads):
        stop = heads[i + 1].start() if i + 1 < len(heads) else len(body)
        out[m.group(1).replace(" ", "")] = body[m.end() : stop].strip()
    return out


# ---------------------------------------------------------------------------------------------------
# record → Precedent
# ---------------------------------------------------------------------------------------------------


def _build(
    meta: dict,
    holdings_text: str,
    summary_text: str,
    citations_text: str,
    references: str,
    source: str,
    catalog: ArticleCatalog | None,
    report: PrecedentReport | None,
    field_names: dict[str, str],
) -> Precedent:
    def need(name: str) -> str:
        value = normalize(str(meta.get(field_names[name]) or ""))
        if not value:
            raise SourceError(source, "missing or empty", field=field_names[name])
        return value

    case_no = need("case_no")
    raw_date = need("decided")
    try:
        decided = parse_date(raw_date)
    except ValueError as e:
        raise SourceError(source, f"bad date {raw_date!r} ({e})", field=field_names["decided"]) from e
    if not normalize(holdings_text):
        raise SourceError(source, "empty 판시사항 (no holding to use)", field="판시사항")

    holding_items = split_items(holdings_text)
    summary_items = {i.indices[0]: i.text for i in split_items(summary_text)} if summary_text.strip() else {}
    cited_items = split_items(citations_text, citations=True)
    per_holding, status = align_items(holding_items, cited_items)

    # One parser per decision: 같은 법 may point to a law named in an earlier item. Parse each citation
    # item once, in document order, then hand the parsed citations to the holdings they serve.
    parser = CitationParser()
    parsed: dict[str, list[Citation]] = {}
    for item in cited_items:
        if item.text not in parsed:
            parsed[item.text] = parser.parse(item.text)

    holdings: list[Holding] = []
    for h in holding_items:
        n = h.indices[0]
        summary = summary_items.get(n, "")
        if not summary and len(holding_items) == 1 and len(summary_items) == 1:
            summary = next(iter(summary_items.values()))
        cits = [c for text in per_holding.get(n, []) for c in parsed[text]]
        holding = Holding(n, h.text, summary, cits)
        if catalog is not None:
            sub = ResolutionReport()
            holding.keys, sub = resolve(cits, catalog, sub)
            if report is not None:
                report.citations += sub
        holdings.append(holding)

    if report is not None:
        report.alignment[status] += 1
        report.holdings += len(holdings)
        report.holdings_with_keys += sum(1 for h in holdings if h.keys)
    return Precedent(
        serial=normalize(str(meta.get(field_names["serial"]) or "")),
        case_no=case_no,
        case_name=normalize(str(meta.get(field_names["case_name"]) or "")),
        court=normalize(str(meta.get(field_names["court"]) or "")),
        case_type=normalize(str(meta.get(field_names["case_type"]) or "")),
        decided=decided,
        holdings=holdings,
        source=source,
        court_level=normalize(str(meta.get("법원등급") or "")),
        references=normalize(references),
        alignment=status,
    )


_MD_FIELDS = {"serial": "판례일련번호", "case_no": "사건번호", "case_name": "사건명", "court": "법원명",
              "case_type": "사건종류", "decided": "선고일자"}
_JSON_FIELDS = {"serial": "판례정보일련번호", "case_no": "사건번호", "case_name": "사건명", "court": "법원명",
                "case_type": "사건종류명", "decided": "선고일자"}


def parse_markdown(text: str, source: str = "<string>", *, catalog: ArticleCatalog | None = None,
                   report: PrecedentReport | None = None) -> Precedent:
    """One legalize-kr precedent markdown document → :class:`Precedent` (``SourceError`` if unusable)."""
    meta, body, _ = _front_matter(text.lstrip("\ufeff"), source)
    sec = _sections(body)
    if "판시사항" not in sec:
        raise SourceError(source, "no '## 판시사항' section", field="판시사항")
    return _build(meta, sec.get("판시사항", ""), sec.get("판결요지", ""), sec.get("참조조문", ""),
                  sec.get("참조판례", ""), source, catalog, report, _MD_FIELDS)


def parse_lawgo(record: dict, source: str = "<json>", *, catalog: ArticleCatalog | None = None,
                report: PrecedentReport | None = None) -> Precedent:
    """One law.go.kr precedent object (``PrecService`` content) → :class:`Precedent`."""
    if not isinstance(record, dict):
        raise SourceError(source, f"expected a JSON object, got {type(record).__name__}")
    if "PrecService" in record:
        record = record["PrecService"]
        if not isinstance(record, dict):
            raise SourceError(source, "PrecService is not an object", field="PrecService")
    meta = dict(record)
    if not meta.get("판례정보일련번호") and meta.get("판례일련번호"):
        meta["판례정보일련번호"] = meta["판례일련번호"]
    if not meta.get("사건종류명") and meta.get("사건종류"):
        meta["사건종류명"] = meta["사건종류"]
    return _build(meta, clean_markup(record.get("판시사항")), clean_markup(record.get("판결요지")),
                  clean_markup(record.get("참조조문")), clean_markup(record.get("참조판례")),
                  source, catalog, report, _JSON_FIELDS)


# ---------------------------------------------------------------------------------------------------
# batch reading
# ---------------------------------------------------------------------------------------------------


def iter_members(sources: Iterable[str | Path] | str | Path, suffixes: tuple[str, ...]) -> Iterator[tuple[str, Callable[[], IO[bytes]]]]:
    """``(name, open)`` for every file ending in one of ``suffixes`` under ``sources`` — files, folders, glob
    patterns, and zip archives (members read in place, named ``archive!member``) — in a stable order; ``open()``
    gives a binary file object, valid while the generator is on that item. A pattern that matches nothing, a
    missing path or a broken zip is a :class:`SourceError` naming it. (Precedent documents and facts JSONL.)"""
    if isinstance(sources, (str, Path)):
        sources = [sources]
    for src in sources:
        src_s = str(src)
        paths = [Path(p) for p in sorted(glob.glob(src_s))] if any(ch in src_s for ch in "*?[") else [Path(src_s)]
        if not paths:
            raise SourceError(src_s, "no file matches this pattern")
        for path in paths:
            if not path.exists():
                raise SourceError(str(path), "no such file or directory")
            if path.is_dir():
                inner = [p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in (*suffixes, ".zip")]
                yield from iter_members(inner, suffixes)
            elif path.suffix.lower() == ".zip":
                try:
                    zf = zipfile.ZipFile(path)
                except zipfile.BadZipFile as e:
                    raise SourceError(str(path), f"not a zip archive ({e})") from e
                with zf:
                    for info in sorted(zf.infolist(), key=lambda i: i.filename):
                        if not info.is_dir() and info.filename.lower().endswith(suffixes):
                            yield f"{path}!{info.filename}", (lambda info=info, zf=zf: zf.open(info))
            else:
                yield str(path), (lambda path=path: open(path, "rb"))


def _read(opener: Callable[[], IO[bytes]]) -> bytes:
    with opener() as f:
        return f.read()


def _iter_documents(sources: Iterable[str | Path] | str | Path) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """(name, reader) for every .md / .json document under the sources, in a stable order."""
    for name, opener in iter_members(sources, (".md", ".json")):
        yield name, (lambda opener=opener: _read(opener))


def naming_any(spellings: Iterable[str]) -> Callable[[str], bool]:
    """Whether a document's text names one of the laws whose compact spellings (:func:`~legalret.text.compact`: no
    spaces or middle dots) are given — its name, a short name, an old name. A document that cites a law names it
    (``같은 법`` refers back to a name written before it; ``구 …`` holds the name), so passing over the others loses
    no citation of those laws; the reader still resolves what it reads (measured on the 72,535 decisions of the
    shared archive: :func:`legalret.memory.update.citing` finds the same decisions for 23 laws with it as without)."""
    wanted = tuple(sorted(set(spellings)))

    def names_one(text: str) -> bool:
        if any(w in text for w in wanted):  # (a name without spaces — 주택임대차보호법 — as written)
            return True
        flat = compact(text)  # (one with them — 상가건물 임대차보호법 —, or written without)
        return any(w in flat for w in wanted)

    return names_one


def read_precedents(
    sources: Iterable[str | Path] | str | Path,
    *,
    catalog: ArticleCatalog | Iterable | None = None,
    report: PrecedentReport | None = None,
    on_error: Callable[[SourceError], None] | None = None,
    limit: int | None = None,
    progress: bool = False,
    mentions: Callable[[str], bool] | None = None,
) -> Iterator[Precedent]:
    """Yield every decision in ``sources``; with a ``catalog`` (an :class:`ArticleCatalog`, the corpus
    articles, or their live keys), each holding's ``keys`` are resolved against it.

    ``mentions`` (:func:`naming_any`): a document whose text it refuses is passed over unparsed — an archive read
    again for the decisions citing a few laws parses only the documents that name one of them.

    Bad documents become :class:`SourceError` s: appended to ``report.errors`` and passed to ``on_error``
    (when given); reading continues. A markdown document without a final newline is one (a download cut off inside
    its 참조조문 had replaced the whole decision stored before). A missing source path raises at once.
    """
    report = report if report is not None else PrecedentReport()
    catalog = ArticleCatalog.coerce(catalog)
    docs: Iterable = _iter_documents(sources)
    if progress:
        from legalret.progress import track

        docs = track(docs, "precedents")
    produced = 0
    for name, read in docs:
        if limit is not None and produced >= limit:
            return
        report.files += 1
        try:
            try:
                raw = read()
            except UNREADABLE as e:  # (a zip member with a bad CRC was a traceback that ended the batch)
                raise SourceError(name, f"cannot read ({type(e).__name__}: {e})") from e
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as e:
                raise SourceError(name, f"not UTF-8 (byte {e.start})") from e
            if mentions is not None and not mentions(text):
                continue
            if name.lower().endswith(".json"):
                try:
                    data = json.loads(text)
                except json.JSONDecodeError as e:
                    raise SourceError(name, f"invalid JSON ({e.msg})", line=e.lineno) from e
                records = data if isinstance(data, list) else [data]
                precedents = []
                for i, rec in enumerate(records):
                    where = f"{name}[{i}]" if isinstance(data, list) else name
                    try:
                        precedents.append(parse_lawgo(rec, where, catalog=catalog, report=report))
                    except SourceError as e:  # one bad record in a list does not lose the others
                        report.errors.append(e)
                        if on_error:
                            on_error(e)
            else:
                if text and not text.endswith("\n"):  # every decision of the shared archive ends with one
                    raise SourceError(name, "ends without a final newline: cut off? (a whole decision file ends with "
                                      "one; add it if this file is whole)", line=text.count("\n") + 1)
                precedents = [parse_markdown(text, name, catalog=catalog, report=report)]
        except SourceError as e:
            report.errors.append(e)
            if on_error:
                on_error(e)
            continue
        for p in precedents:
            report.precedents += 1
            produced += 1
            yield p
