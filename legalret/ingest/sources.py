"""Read statutes from files, folders, globs and zip archives, in any of the four formats.

Usage::

    from legalret.ingest import ingest

    result = ingest(["../shared/data/statutes/legalize-kr.zip"], laws=["민법", "상법"])
    result.articles[0].key          # '민법 제1조'
    result.report.summary()         # {'files': 2, 'laws': 2, 'articles': 2381, 'deleted': 118, 'errors': 0, …}
    for err in result.report.errors:
        print(err)                  # 'dump/bad.json:3: JSON: Expecting value …'

* **Sources**: a file, a folder (walked recursively), a glob (``data/**/*.json``) or a zip archive,
  read in place — members are named ``archive.zip!legalize-kr/민법/법률.md`` in articles and errors.
* **Formats** (:func:`detect_format`): legalize-kr markdown (``.md``), law.go.kr JSON (``.json``) and
  XML (``.xml``), plain text (``.txt``, or anything with ``제N조(제목)`` lines); content decides when
  the extension does not.
* **Errors never abort a batch**: each bad file becomes one :class:`~legalret.errors.SourceError`
  (path, line, field, reason) in ``report.errors`` and the rest goes on. Recoverable defects
  (merge-conflict leftovers, CP949 files, duplicate laws) go to ``report.warnings``.
* **Mojibake**: every text read passes through
  :func:`legalret.ingest.mojibake.repair_mojibake` (a no-op on clean text); repairs are counted, and
  lossy repairs that stay uncertain are warnings kept in ``report.uncertain`` too (``--strict`` fails on them).
* **Duplicates**: when two documents hold the same law and kind (the legalize-kr mirror keeps some
  renamed laws under both the old and the new folder name), :func:`ingest` keeps the latest
  promulgation (then the document whose folder is the law's own name) and reports the other.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Iterator

from legalret.articles import Article
from legalret.errors import UNREADABLE, LegalretError, SourceError
from legalret.hanja import read_hanja
from legalret.ingest.document import KINDS, LawDocument, known_kind, normalize_kind
from legalret.ingest.mojibake import REPLACEMENT, RepairResult, repair_mojibake
from legalret.keys import LawNames, law_aliases
from legalret.text import compact, drop_invisible

FORMATS = ("markdown", "lawgo-json", "lawgo-xml", "plaintext")
_EXTENSIONS = {".md": "markdown", ".markdown": "markdown", ".json": "lawgo-json", ".xml": "lawgo-xml",
               ".txt": "plaintext", ".text": "plaintext"}
#: Files found while walking folders/archives that are documentation, not statutes.
_NOT_STATUTES = ("readme*", "license*", "licence*", "changelog*", "contributing*", "code_of_conduct*", "security*")
_GLOB_CHARS = re.compile(r"[*?\[]")


# ---- report ---------------------------------------------------------------------------------------
@dataclass
class IngestReport:
    """What an ingest run did. ``errors`` are files that yielded nothing; ``warnings`` are repaired
    or skipped defects inside files that were read."""

    files: int = 0  # statute files read (parsed or failed), after filters
    laws: int = 0  # distinct (law, kind) documents kept
    articles: int = 0
    deleted: int = 0
    repairs: list = field(default_factory=list)  # list[legalret.ingest.mojibake.Repair]
    errors: list[SourceError] = field(default_factory=list)
    warnings: list[SourceError] = field(default_factory=list)
    skipped: int = 0  # files filtered out by --law/--kind (or not statutes: README …)
    duplicates: int = 0  # documents dropped because a newer copy of the same law was read
    formats: Counter = field(default_factory=Counter)  # files per format
    repaired_files: Counter = field(default_factory=Counter)  # source → number of repaired spans
    #: lossy mojibake repairs that stayed uncertain (low confidence, or bytes left unrepaired): also in
    #: ``warnings``; printed always, and ``--strict`` fails on them (the text may hold a wrong guess)
    uncertain: list[SourceError] = field(default_factory=list)
    #: law → articles its files held that could not be read (left out, each with a warning): an ``index add`` keeps
    #: those laws' articles the batch lacks, and ``--strict`` fails on them
    dropped: Counter = field(default_factory=Counter)
    #: " (did you mean 민법?)" when a --law filter named a law none of the files holds but one nearly
    filter_hint: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """What ``--strict`` refuses: any error, any uncertain mojibake repair, any article left out unread."""
        return bool(self.errors or self.uncertain or self.dropped)

    def uncertain_refusal(self, flag: str = "--accept-uncertain-repairs", shown: int = 3,
                          outcome: str = "nothing was indexed", accepted: str = "index them as repaired") -> str | None:
        """The one line with which ``index build`` / ``index add`` refuse to index text whose lossy mojibake
        repairs stayed uncertain (a wrong guess puts wrong words in the index: 상계 → 생계): the file, the count
        and the first spans. None when every repair is certain. ``legalret ingest --strict`` is the same rule."""
        if not self.uncertain:
            return None
        files = list(dict.fromkeys(w.path for w in self.uncertain))
        where = files[0] + (f" (and {len(files) - 1} more file(s))" if len(files) > 1 else "")
        # the guessed text of each span (what would be indexed), not the mojibake it was guessed from
        spans = "; ".join((f"line {w.line}: " if w.line is not None else "") + _doubt_shown(w) for w in self.uncertain[:shown])
        return (f"{where}: {len(self.uncertain)} uncertain mojibake repair(s) or lost characters (the text may hold "
                "wrong words), "
                f"first: {spans}; {outcome} — fix the file's encoding, or pass {flag} to {accepted}")

    def uncertain_files(self) -> list[str]:
        """The files read whose text holds an uncertain mojibake repair or lost characters (each once, in order),
        without those that yielded nothing (an error says why already)."""
        errored = {e.path for e in self.errors}
        return [path for path in dict.fromkeys(w.path for w in self.uncertain) if path not in errored]

    def without_uncertain(self, articles: list[Article]) -> tuple[list[Article], list[str]]:
        """``articles`` without those of :meth:`uncertain_files`, and those files — each left out whole (half a law
        would read as articles repealed): what ``ingest`` and ``corpus pull`` leave out of their JSONL and ``index
        build/add`` skip, unless told to accept them."""
        left_out = self.uncertain_files()
        if not left_out:
            return articles, []
        doubtful = set(left_out)
        return [a for a in articles if a.source not in doubtful], left_out

    def skipped_by(self, laws: Iterable[str] | None, kinds: Iterable[str] | None) -> str:
        """"N skipped by --law X --kind Y" (and a did-you-mean) for the files a filter left out; "" for none."""
        if not self.skipped:
            return ""
        return f"{self.skipped} skipped by {filter_flags(laws, kinds)}{self.filter_hint}"

    def summary(self) -> dict:
        return {
            "files": self.files,
            "laws": self.laws,
            "articles": self.articles,
            "deleted": self.deleted,
            "mojibake_repairs": len(self.repairs),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "mojibake_uncertain": len(self.uncertain),
            "articles_unread": sum(self.dropped.values()),
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class IngestResult:
    articles: list[Article]
    report: IngestReport

    def __iter__(self):
        return iter(self.articles)

    def __len__(self) -> int:
        return len(self.articles)

    def law_names(self) -> LawNames:
        """The laws read, as a :class:`~legalret.keys.LawNames` catalog (resolves '채무자회생법'-style
        spellings of these names; add aliases on it as needed)."""
        return LawNames(dict.fromkeys(a.law for a in self.articles))


class MissingSourceError(SourceError):
    """A source the caller named is not there (no such path, or a glob that matched nothing)."""


# ---- where the bytes come from --------------------------------------------------------------------
@dataclass
class SourceFile:
    """One file to read: on disk, or a member of a zip archive (``name`` = ``archive.zip!member``)."""

    name: str
    read: Callable[[], bytes]
    explicit: bool = False  # named by the user (not found by walking a folder/archive)
    format: str | None = None  # known format (remote sources); None = detect from name and content

    @property
    def path(self) -> PurePosixPath:
        return PurePosixPath(self.name.rsplit("!", 1)[-1].replace(os.sep, "/"))

    @property
    def kind_hint(self) -> str | None:
        """``법률.md`` / ``시행령.md`` name their kind (legalize-kr layout)."""
        return self.path.stem if self.path.stem in KINDS else None

    @property
    def folder(self) -> str:
        return self.path.parent.name


def iter_sources(sources: Iterable[str | os.PathLike | SourceFile] | str | os.PathLike,
                 errors: list[SourceError] | None = None,
                 unread: list[SourceError] | None = None) -> Iterator[SourceFile]:
    """Expand files, folders, globs and zip archives into :class:`SourceFile` entries.

    A source that does not exist (or an unreadable archive) is appended to ``errors`` (raised when
    ``errors`` is None) and the other sources go on. A file inside a folder or an archive that no reader
    takes (``.hwp``, ``.pdf``, ``.docx`` …; not the README/LICENSE kind) is passed over and, given ``unread``,
    appended to it (one warning each: it had been passed over without a word).
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    for src in sources:
        if isinstance(src, SourceFile):  # already resolved (e.g. a remote file from corpus pull)
            yield src
            continue
        text = os.fspath(src)
        try:
            if _GLOB_CHARS.search(text) and not Path(text).exists():
                matches = sorted(glob.glob(text, recursive=True))
                if not matches:
                    raise MissingSourceError(text, "glob matched no files")
                for match in matches:
                    yield from _expand(Path(match), errors, unread)
            else:
                path = Path(text).expanduser()
                if not path.exists():
                    raise MissingSourceError(text, "no such file or directory")
                yield from _expand(path, errors, unread)
        except SourceError as e:
            if errors is None:
                raise
            errors.append(e)


def _expand(path: Path, errors: list[SourceError] | None,
            unread: list[SourceError] | None = None) -> Iterator[SourceFile]:
    if path.is_dir():
        for sub in sorted(p for p in path.rglob("*") if p.is_file()):
            if any(part.startswith(".") for part in sub.relative_to(path).parts):
                continue  # .git, .DS_Store …
            if sub.suffix.lower() == ".zip":
                try:  # a broken archive inside a folder must not end the walk of that folder
                    yield from _zip_members(sub, unread)
                except SourceError as e:
                    if errors is None:
                        raise
                    errors.append(e)
            elif _looks_like_statute_file(sub.name):
                yield SourceFile(str(sub), sub.read_bytes)
            else:
                _note_unread(str(sub), sub.name, unread)
    elif path.suffix.lower() == ".zip" or (path.suffix.lower() not in _EXTENSIONS and zipfile.is_zipfile(path)):
        yield from _zip_members(path, unread)
    else:
        yield SourceFile(str(path), path.read_bytes, explicit=True)


def _note_unread(where: str, name: str, unread: list[SourceError] | None) -> None:
    """A file no reader takes, found in a folder or archive: a warning (documentation files are not worth one)."""
    if unread is not None and not any(fnmatch.fnmatch(name.lower(), pat) for pat in _NOT_STATUTES):
        kind = PurePosixPath(name).suffix.lower() or "no extension"
        unread.append(SourceError(where, f"not read: no reader for {kind} files (statutes are read from "
                                         f"{', '.join(sorted(_EXTENSIONS))})", field="unread-file"))


def _zip_members(path: Path, unread: list[SourceError] | None = None) -> Iterator[SourceFile]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise SourceError(str(path), f"not a readable zip archive ({e})") from e
    with archive:
        for info in archive.infolist():
            name = member_name(info)
            if info.is_dir() or any(part.startswith((".", "__MACOSX")) for part in PurePosixPath(name).parts):
                continue
            if not _looks_like_statute_file(PurePosixPath(name).name):
                _note_unread(f"{path}!{name}", PurePosixPath(name).name, unread)
                continue
            # read in place: the member is decompressed only when the parser asks for it
            yield SourceFile(f"{path}!{name}", lambda info=info: archive.read(info))


#: The zip flag saying a member's name is UTF-8 (general purpose bit 11).
_ZIP_UTF8_FLAG = 0x800


def member_name(info: zipfile.ZipInfo) -> str:
    """A zip member's name as it was written. Without the UTF-8 flag Python reads the name as CP437, but Info-ZIP on
    Linux and 7-Zip write UTF-8 names without setting it, and Korean Windows tools write CP949: '주택임대차보호법.txt'
    came out as '∞ú╝φâ¥∞₧äδîÇ∞░¿δ│┤φÿ╕δ▓ò.txt', and a plain text named after its law was refused (no law name). The
    name's bytes are read as UTF-8, else as CP949 when that gives Hangul, else left as CP437 (`unzip -Z1` agrees)."""
    name = info.filename
    if info.flag_bits & _ZIP_UTF8_FLAG or name.isascii():
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:  # (not a CP437 reading: zipfile decoded it otherwise)
        return name
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        korean = raw.decode("cp949")
    except UnicodeDecodeError:
        return name
    return korean if any("\uac00" <= c <= "\ud7a3" for c in korean) else name


def _looks_like_statute_file(name: str) -> bool:
    lower = name.lower()
    if any(fnmatch.fnmatch(lower, pat) for pat in _NOT_STATUTES):
        return False
    return Path(lower).suffix in _EXTENSIONS


# ---- formats and decoding -------------------------------------------------------------------------
def detect_format(name: str, text: str) -> str:
    """The format of a file from its extension, else from its first characters."""
    fmt = _EXTENSIONS.get(PurePosixPath(name).suffix.lower())
    if fmt:
        return fmt
    head = text.lstrip("\ufeff \t\r\n")[:200]
    if head.startswith("---"):
        return "markdown"
    if head.startswith(("{", "[")):
        return "lawgo-json"
    if head.startswith("<"):
        return "lawgo-xml"
    return "plaintext"


def _cp949_read_as_latin(text: str) -> str | None:
    """The Korean text a file holds when it is CP949 (EUC-KR) bytes that were read as Latin-1 or cp1252 and saved as
    UTF-8 ('Á¦1Á¶' is '제1조'): every character then encodes back to one byte and the bytes read as CP949 Korean. None
    for anything else — a file with any Hangul, or whose Latin letters are few or do not read back as Korean."""
    sample = text[:20000]
    if any("\uac00" <= c <= "\ud7a3" for c in sample) or sum(ord(c) >= 0xa1 for c in sample) < 20:
        return None
    for wrong in ("latin-1", "cp1252"):
        try:
            korean = text.encode(wrong).decode("cp949")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        non_ascii = [c for c in korean[:20000] if ord(c) > 127 and not c.isspace()]
        if non_ascii and sum("\uac00" <= c <= "\ud7a3" for c in non_ascii) >= 0.8 * len(non_ascii):
            return korean
    return None


#: Files that are no text whatever their name: a document a statute was saved as (PDF, HWP/DOC: OLE2, a zip-packed
#: DOCX/HWPX read by name as text) — said as such, not as a byte that is not UTF-8.
_NOT_TEXT = ((b"%PDF", "a PDF document"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an HWP or Word (OLE2) document"),
             (b"PK\x03\x04", "a zip archive (DOCX, HWPX …) named as a text file"))


def decode(data: bytes, name: str, warnings: list[SourceError] | None = None) -> str:
    """UTF-8 (BOM allowed). Legacy Korean CP949/EUC-KR files and UTF-16 with its byte-order mark (Windows'
    "Unicode" text) are decoded with a warning; UTF-8 cut inside its last character is said to be cut off; anything
    else is a :class:`SourceError` naming the line and byte offset of the first bad byte."""
    for magic, what in _NOT_TEXT:  # (a PDF renamed .txt had been "not UTF-8 text (byte 0xe2 …)")
        if data.startswith(magic):
            raise SourceError(name, f"{what}, not text (its first bytes are {data[:len(magic)]!r}): save the statute "
                                    "as text (UTF-8) or give its law.go.kr JSON/XML", line=1, field="encoding")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            pass
        else:
            if warnings is not None:
                warnings.append(SourceError(name, "UTF-16 text; decoded (save it as UTF-8)", field="encoding"))
            return text
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        if e.reason == "unexpected end of data":  # every byte before it was UTF-8: the file stops mid-character
            raise SourceError(name, f"the file ends inside a character (byte {e.start} of {len(data)}): it looks cut "
                                    "off; read it again whole", line=line, field="encoding") from None
        utf8_error = SourceError(name, f"not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}); "
                                       "save it as UTF-8", line=line, field="encoding")
        damaged = _damaged_utf8(data)
        if damaged is not None:  # "save it as UTF-8" sent the user the wrong way: the file is UTF-8, with bad bytes
            utf8_error = SourceError(name, damaged, line=line, field="encoding")
    else:
        korean = _cp949_read_as_latin(text)
        if korean is None:
            return text
        if warnings is not None:
            warnings.append(SourceError(name, "CP949 (EUC-KR) text that was read as Latin-1 and saved as UTF-8 "
                                              "('Á¦1Á¶' for '제1조'); decoded back exactly", field="encoding"))
        return korean
    try:
        text = data.decode("cp949")
    except UnicodeDecodeError:
        raise utf8_error from None
    # CP949 decodes many byte soups; accept it only when the result reads as Korean text
    non_ascii = [c for c in text if ord(c) > 127 and not c.isspace()]
    hangul = sum("\uac00" <= c <= "\ud7a3" for c in non_ascii)
    if not non_ascii or hangul / len(non_ascii) < 0.8:
        raise utf8_error
    if warnings is not None:
        warnings.append(SourceError(name, "not UTF-8; decoded as CP949 (EUC-KR)", field="encoding"))
    return text


def _damaged_utf8(data: bytes) -> str | None:
    """What to say of ``data`` when it is UTF-8 text but for a few bytes (a damaged copy: bytes lost or inserted in
    transfer, a cut-and-paste of binary), or None when it is not UTF-8 text at all (a legacy encoding, binary): a
    statute in CP949 has almost every Hangul byte invalid as UTF-8, a damaged UTF-8 one a handful in thousands."""
    limit = max(8, len(data) // 1000)
    offsets: list[int] = []
    invalid = pos = 0
    while True:
        try:
            data[pos:].decode("utf-8")
            break
        except UnicodeDecodeError as e:
            if e.reason == "unexpected end of data":  # (cut inside its last character: said as such by decode)
                break
            offsets.append(pos + e.start)
            invalid += e.end - e.start
            pos += e.end
            if invalid > limit:
                return None
    text = data.decode("utf-8", errors="ignore")
    if not offsets or sum("\uac00" <= c <= "\ud7a3" for c in text) < 20 * invalid:
        return None
    where = ", ".join(str(o) for o in offsets[:3]) + (" …" if len(offsets) > 3 else "")
    return (f"UTF-8 text with {invalid} invalid byte(s) (first 0x{data[offsets[0]]:02x}; at offset {where}): the file "
            "is damaged, not in another encoding — get it again from its source, or delete those bytes")


def _doubt_shown(warning: SourceError) -> str:
    """A warning of :attr:`IngestReport.uncertain` as the refusal line shows it: the guessed text, or the doubtful
    character with its other readings ("mojibake guessed from lost bytes (confidence 0.98)" alone had not said
    which character, nor that 각 was the other reading)."""
    reason = warning.reason
    if " → " in reason:
        return "guessed " + reason.rsplit(" → ", 1)[-1]
    head, _, rest = reason.partition(": ")
    if warning.field == "mojibake" and " at " in rest:
        return f"{head}: {rest.split(' in …', 1)[0]}"
    return head


def _doubt(rep) -> str:
    """What a warning shows of a repair left in doubt: the least certain character with the text around it and its
    other readings — in a span of 500 characters the first 40 (what it showed) need not hold it — else the span's
    start, broken → fixed."""
    doubts = rep.uncertain
    if not doubts:
        return f"{rep.broken[:40]!r} → {rep.fixed[:40]!r}"
    at, char, probability, others = min(doubts, key=lambda d: d[2])
    around = rep.fixed[max(0, at - 15): at + 16]
    other = f" (or {', '.join(repr(o) for o in others[:2])})" if others else ""
    shown = f"{char!r} at {probability:.2f}{other} in …{around}…"
    # every character rebuilt from lost bytes is a guess of its own (교각 → 교감 at 0.98 hid behind a span that read
    # well): each is named with its other readings, not only the least certain one
    guessed = [d for d in doubts if d[0] in set(getattr(rep, "guessed", ())) and d[0] != at]
    if guessed:
        listed = ", ".join(f"{c}({'/'.join(alts[:2])})" if alts else c for _, c, _, alts in guessed[:_SHOWN_GUESSES])
        more = f" and {len(guessed) - _SHOWN_GUESSES} more" if len(guessed) > _SHOWN_GUESSES else ""
        shown += f"; also rebuilt from lost bytes: {listed}{more}"
    return shown


#: Characters rebuilt from lost bytes a warning names after its least certain one (the rest are counted;
#: ``legalret fix-text`` lists them all).
_SHOWN_GUESSES = 8


_JSON_KEY = re.compile(r'"([^"\\]{1,40})"\s*:\s*')
_ARTICLE_KEY = re.compile(r'"조문키"\s*:\s*"(\d+)"')
#: law.go.kr fields of an article: a repair in one of them is named with its 조문키 too
_ARTICLE_FIELDS = ("조문내용", "조문제목", "항내용", "호내용", "목내용", "항번호", "호번호", "목번호")


def _json_field(text: str, at: int) -> str:
    """' in <field>' for a repair at ``at`` of a (repaired) law.go.kr JSON text: the key whose value holds it, and the
    article's 조문키 for an article's field — a one-line JSON had a doubtful repair named with no line or field, and
    one in 개정문내용 (not indexed) read as if it were in an article. '' when no key precedes it. (Searched backwards
    from ``at``, near it only: a law's JSON holds thousands of spans, and 민법's is 4 MB.)"""
    start = max(0, at - _NEAR)
    name = None
    end = at
    while name is None:
        colon = text.rfind('":', start, end)
        if colon < 0:
            return ""
        opening = text.rfind('"', start, colon)
        key = text[opening + 1:colon] if opening >= 0 else ""
        if _JSON_KEY.fullmatch(f'"{key}":') and not text[opening - 1:opening] == "\\":
            name = key
        end = colon
    if name not in _ARTICLE_FIELDS:
        return f" in {name}"
    # law.go.kr puts 조문키 before an article's 항 and 조문내용 (the last one before is this article's); a first article
    # written with its keys in another order has it after
    before = text.rfind('"조문키"', start, at)
    article = _ARTICLE_KEY.match(text, before) if before >= 0 else _ARTICLE_KEY.search(text, at, at + _NEAR)
    return f" in {name} (조문키 {article[1]})" if article is not None else f" in {name}"


#: How far from a repair :func:`_json_field` looks for its key and 조문키 (characters).
_NEAR = 20_000


class MojibakeFixer:
    """Runs :func:`~legalret.ingest.mojibake.repair_mojibake` on each text and keeps count.

    ``fixer(text) -> text``. Repaired spans go to ``report.repairs``; spans repaired with low
    confidence or left unrepaired are also warnings naming the file and line — never kept silently.
    """

    def __init__(self, report: IngestReport, enabled: bool = True):
        self.report = report
        self.enabled = enabled
        self.source = ""

    def __call__(self, text: str) -> str:
        if not text or text.isascii():
            return text
        if not self.enabled:
            self._note_lost(text, RepairResult(text, []).lost)
            return text
        try:
            result = repair_mojibake(text)  # one regex scan on clean text
        except Exception as e:  # a bug in the repair must not lose the file: keep the text, say so
            self.report.warnings.append(SourceError(self.source, f"mojibake repair failed ({type(e).__name__}: {e})",
                                                    field="mojibake"))
            return text
        shift = 0  # how much longer the repaired text is than the input, up to the current span
        # (lines counted on from the last warning's: a lossy law holds thousands of guessed spans, each counted from
        # the top had been quadratic)
        counted_to, lines_before = 0, 0
        for rep in result.repairs:
            status = getattr(rep, "status", "repaired")
            if status != "unrepaired":
                self.report.repairs.append(rep)
                self.report.repaired_files[self.source] += 1
            if status != "repaired":
                lines_before += text.count("\n", counted_to, rep.start)
                counted_to = rep.start
                line = lines_before + 1 if "\n" in text else None
                what = "guessed from lost bytes" if status == "guessed" else status
                # (at the doubtful character _doubt shows: a span may start inside the key before its value)
                doubt = min(rep.uncertain, key=lambda d: d[2])[0] if rep.uncertain else 0
                where = _json_field(result.text, rep.start + shift + doubt) if text.lstrip()[:1] in ("{", "[") else ""
                warning = SourceError(self.source, f"mojibake {what} (confidence {rep.confidence:.2f}){where}: "
                                                   f"{_doubt(rep)}", line=line, field="mojibake")
                self.report.warnings.append(warning)
                self.report.uncertain.append(warning)
            shift += len(rep.fixed) - len(rep.broken)
        self._note_lost(result.text, result.lost)
        return result.text

    def _note_lost(self, text: str, lost: int) -> None:
        """``lost`` characters (U+FFFD, :attr:`~legalret.ingest.mojibake.RepairResult.lost`) the file lost before
        it was saved, which no repair can know — "위법행��" had been indexed as it was, without a word. Uncertain,
        like a low-confidence repair: ``index build/add`` refuse the file, ``ingest --strict`` fails."""
        if lost <= 0:
            return
        at = text.index(REPLACEMENT)
        line = text.count("\n", 0, at) + 1
        start = text.rfind("\n", 0, at) + 1
        around = text[max(start, at - 15): at + 15].split("\n", 1)[0]
        warning = SourceError(self.source, f"{lost} character(s) lost before the file was saved (U+FFFD, first in "
                                           f"{around!r}): no repair can know them; get the file again from its source",
                              line=line, field="encoding")
        self.report.warnings.append(warning)
        self.report.uncertain.append(warning)


def parse_text(text: str, name: str, fmt: str, *, kind: str | None = None,
               fix: Callable[[str], str] | None = None) -> list[LawDocument]:
    """Parse one decoded file of a known format into law documents (JSON/XML may hold several laws)."""
    if fmt == "markdown":
        from legalret.ingest.markdown import parse_markdown

        return [parse_markdown(fix(text) if fix else text, name, kind=kind)]
    # law.go.kr JSON/XML: the whole document first, as markdown and text are — a mis-encoded file has its keys and
    # tag names in mojibake too ('ë²•ë ¹' for '법령'), which no value-level repair reaches; the values are still
    # repaired one by one after parsing (mojibake hidden behind \u escapes is only seen there)
    if fmt == "lawgo-json":
        from legalret.ingest.lawgo import parse_lawgo_json

        return parse_lawgo_json(fix(text) if fix else text, name, fix=fix)
    if fmt == "lawgo-xml":
        from legalret.ingest.lawgo import parse_lawgo_xml

        return parse_lawgo_xml(fix(text) if fix else text, name, fix=fix)
    if fmt == "plaintext":
        from legalret.ingest.plaintext import parse_plaintext

        return parse_plaintext(fix(text) if fix else text, name, kind=kind)
    raise SourceError(name, f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")


# ---- filters --------------------------------------------------------------------------------------
def law_filter_names(laws: Iterable[str] | None) -> list[str] | None:
    """The laws a ``--law`` filter names, as every command's filter reads them (``ingest``, ``index build/add``, the
    filter of an articles JSONL too): a name in Hanja in Hangul, as the search's ``--law`` reads it (``民法`` → 민법,
    :func:`legalret.hanja.read_hanja`), and a short name in full (``근기법``, ``勤基法`` → 근로기준법). None for no
    filter. (Only the filter: the law names in judgments' citations are parsed as written, by :class:`LawNames`.)"""
    if not laws:
        return None
    aliases = law_aliases()
    out = []
    for name in laws:
        if not name.strip():  # (it had read the whole mirror, then said "3210 skipped by --law ")
            raise LegalretError("--law '' names no law: give a law's name (--law 민법), or leave the option out")
        name = read_hanja(name.strip())[0]
        out.append(aliases.get(name, name))
    return out


def filter_flags(laws: Iterable[str] | None, kinds: Iterable[str] | None) -> str:
    """The filter as written, for a message: ``--law 民法 (민법) --kind 법률`` — a name read otherwise (Hanja, a short
    name) with the name it filtered by, as the search's ``--law`` error shows it."""
    laws = list(laws or [])
    used = " ".join([f"--law {name}" + (f" ({read})" if read != name.strip() else "")
                     for name, read in zip(laws, law_filter_names(laws) or [])]
                    + [f"--kind {k}" for k in kinds or []])
    return used or "--law/--kind"


class _Filter:
    """``--law`` / ``--kind``: the names read as :func:`law_filter_names` reads them (``民法`` → 민법, ``근기법`` →
    근로기준법), and the laws filtered out are noted in ``seen`` (to suggest the one a mistyped name meant)."""

    def __init__(self, laws: Iterable[str] | None, kinds: Iterable[str] | None):
        laws = law_filter_names(laws)
        self.names = LawNames(laws) if laws else None
        self.compacts = {compact(n) for n in laws} if laws else set()
        self.kinds = {known_kind(k) for k in kinds} if kinds else None
        self.seen: set[str] = set()

    def __bool__(self) -> bool:
        return self.names is not None or self.kinds is not None

    def wants_document(self, doc: LawDocument) -> bool:
        wanted = ((self.kinds is None or doc.kind in self.kinds)
                  and (self.names is None or self.names.resolve(doc.law) is not None))
        if not wanted:
            self.seen.add(doc.law)
        return wanted

    def may_want(self, src: SourceFile, head: str) -> bool:
        """Cheap pre-check before parsing: the file-name kind, and for markdown every 제목 in the front
        matter (both sides of a merge conflict). False only when the file certainly is unwanted."""
        if self.kinds is not None and src.kind_hint and src.kind_hint not in self.kinds:
            return False
        if self.names is None or not head.startswith("---"):
            return True
        end = head.find("\n---", 3)
        if end < 0:
            return True  # front matter longer than the head: decide after parsing
        titles = re.findall(r"^제목:\s*'?(.*?)'?\s*$", head[:end], flags=re.M)
        wanted = not titles or any(compact(t) in self.compacts or self.names.resolve(t) for t in titles)
        if not wanted:
            self.seen.update(titles)
        return wanted

    def hint(self) -> str:
        """" (did you mean …?)" for the filter's laws none of the read files holds, from the laws they do hold."""
        if self.names is None or not self.seen:
            return ""
        seen, asked = LawNames(sorted(self.seen)), self.names.canonical()
        close = [c for law in asked for c in seen.closest(law, n=2) if c not in asked]
        return f" (did you mean {', '.join(dict.fromkeys(close))}?)" if close else ""


# ---- the pipeline ---------------------------------------------------------------------------------
def iter_documents(sources, *, kinds=None, laws=None, report: IngestReport | None = None,
                   on_error: Callable[[SourceError], None] | None = None, repair: bool = True,
                   progress: Callable[[SourceFile], None] | None = None) -> Iterator[LawDocument]:
    """Stream :class:`LawDocument`s from ``sources`` (no de-duplication: see :func:`ingest`).

    ``on_error(err)`` is called for every :class:`SourceError` as it happens (raise from it to stop
    the batch); errors are also collected in ``report.errors``. ``progress(src)`` is called per file.
    """
    report = report if report is not None else IngestReport()
    wanted = _Filter(laws, kinds)
    fixer = MojibakeFixer(report, enabled=repair)

    def fail(err: SourceError) -> None:
        report.errors.append(err)
        if on_error is not None:
            on_error(err)

    source_errors: list[SourceError] = []
    for src in iter_sources(sources, source_errors, report.warnings):
        for err in source_errors:
            fail(err)
        source_errors.clear()
        if progress is not None:
            progress(src)
        if PurePosixPath(src.name).suffix.lower() == ".jsonl":  # (only ever named explicitly: folders skip it) read
            # as law.go.kr JSON it fails on its second line ("Extra data"), which says nothing of what it is — and
            # refused here, before its bytes are read
            report.files += 1
            fail(SourceError(src.name, "an articles JSONL (what `legalret ingest --out` writes), not a statute file: "
                                       "`legalret index build/add` read it as it is"))
            continue
        try:
            data = src.read()
        except SourceError as e:  # e.g. a remote file that is not there (HTTP 404)
            report.files += 1
            fail(e)
            continue
        except UNREADABLE as e:  # (a zip member with a bad CRC was a traceback that ended the batch)
            report.files += 1
            fail(SourceError(src.name, f"cannot read ({type(e).__name__}: {e})"))
            continue
        # the filter looks at the head only, so unwanted files of a big mirror are never fully decoded
        if wanted and not wanted.may_want(src, drop_invisible(data[:4000].decode("utf-8", errors="ignore"))):
            report.skipped += 1
            continue
        warnings: list[SourceError] = []
        try:
            text = decode(data, src.name, warnings)
        except SourceError as e:
            report.files += 1
            fail(e)
            continue
        if "\r" in text:  # CRLF, and old Mac CR-only files (read as one line, every article had merged into the first)
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        report.files += 1
        fmt = src.format or detect_format(src.name, text)
        report.formats[fmt] += 1
        fixer.source = src.name
        before = (len(report.warnings), len(report.repairs), len(report.uncertain))
        try:
            docs = parse_text(text, src.name, fmt, kind=src.kind_hint, fix=fixer)
        except SourceError as e:
            fail(_lost_first(report, e, *before))
            continue
        except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as e:
            # a parser bug or an input shape nobody foresaw: name the file, keep the batch going
            fail(SourceError(src.name, f"could not parse as {fmt} ({type(e).__name__}: {e})"))
            continue
        kept = [doc for doc in docs if not wanted or wanted.wants_document(doc)]
        if docs and not kept:
            # filtered out after parsing (law.go.kr files name their law and kind only inside): counted as the markdown
            # files the pre-check skips are, and what its reading found (repairs) is not this run's
            report.files -= 1
            report.formats[fmt] -= 1
            if not report.formats[fmt]:
                del report.formats[fmt]
            report.skipped += 1
            _drop_after(report, src.name, *before)
            continue
        report.warnings.extend(warnings)
        for doc in kept:
            _leave_out_empty(doc)
            report.warnings.extend(doc.warnings)
            if doc.dropped:
                report.dropped[doc.law] += doc.dropped
            yield doc
    for err in source_errors:
        fail(err)
    report.filter_hint = wanted.hint()


def _leave_out_empty(doc: LawDocument) -> None:
    """Leave out (with a warning each) the articles that have neither a title nor a word of text and are not 삭제:
    the mirror has 150 bare headings ('##### 제2조' between 제2조 and 제3조 of 주택임대차보호법 시행령, read as a
    제2조의2 that does not exist), which were indexed, ranked and cited as blank articles. They are not counted in
    ``doc.dropped``: that is an article that could not be read — ``--strict`` fails on it and an ``index add`` keeps
    the law's other articles — and a heading with nothing under it is no such article."""
    empty = {id(a) for a in doc.articles if not a.deleted and not a.title and not a.body_text().strip()}
    if not empty:
        return
    for a in doc.articles:
        if id(a) in empty:
            doc.warnings.append(SourceError(doc.source, f"{a.key} has no title and no text; left out", line=a.line,
                                            field="article"))
    doc.articles = [a for a in doc.articles if id(a) not in empty]


def _lost_first(report: IngestReport, error: SourceError, warnings: int, repairs: int, uncertain: int) -> SourceError:
    """The error of a file that could not be parsed, led by the characters it lost before it was saved (U+FFFD: UTF-8
    read as CP949 and saved again) when it did: that is why no heading was found, and it had come second, as a
    separate warning after "no articles (expected lines like '제1조(목적) …')". The warning is folded into the error
    (one line for one file); the file is skipped either way."""
    lost = next((w for w in report.uncertain[uncertain:] if w.field == "encoding" and w.path == error.path), None)
    if lost is None:
        return error
    report.uncertain.remove(lost)
    report.warnings.remove(lost)
    return SourceError(error.path, f"{lost.reason}; and then {error.reason}", line=lost.line, field="encoding")


def _drop_after(report: IngestReport, source: str, warnings: int, repairs: int, uncertain: int) -> None:
    """Forget what reading ``source`` added to ``report`` (its mojibake repairs and their warnings)."""
    del report.warnings[warnings:], report.repairs[repairs:], report.uncertain[uncertain:]
    report.repaired_files.pop(source, None)


def ingest(sources, *, kinds=None, laws=None, on_error: Callable[[SourceError], None] | None = None,
           repair: bool = True, progress: Callable[[SourceFile], None] | None = None) -> IngestResult:
    """Read every statute in ``sources`` into canonical :class:`~legalret.articles.Article` objects.

    ``laws`` keeps only the named laws (any spacing / middle-dot spelling); ``kinds`` keeps only
    those kinds (``법률``, ``시행령``, ``시행규칙``; ``대통령령`` counts as ``시행령``).
    Articles come out in source order; one document per (law, kind) survives (the latest).

    A source that does not exist is an error in ``report.errors`` like any bad file — but when *nothing* was
    read because of it (every named source is missing) (a wrong relative path, typically), :class:`MissingSourceError` is raised, naming the
    path and the folder it was looked for in, rather than an empty result that looks like an empty law.
    """
    start = time.perf_counter()
    named = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    sources = named
    report = IngestReport()
    kept: dict[tuple[str, str], LawDocument] = {}
    order: list[tuple[str, str]] = []
    unordered: dict[tuple[str, str], list[str]] = {}  # two different texts of a law and nothing dates either
    for doc in iter_documents(sources, kinds=kinds, laws=laws, report=report, on_error=on_error,
                              repair=repair, progress=progress):
        # one law however it is spaced ('형법' and a hand-edited '형 법'): two texts of it are one law's two versions,
        # of which the newer is kept — read as two laws, the index merged them key by key (legalret.pipeline)
        key = (compact(doc.law), doc.kind)
        if key not in kept:
            kept[key] = doc
            order.append(key)
            continue
        report.duplicates += 1
        if _undated_rivals(kept[key], doc):
            unordered.setdefault(key, [kept[key].source]).append(doc.source)
            continue
        winner, loser = _newer(kept[key], doc)
        kept[key] = winner
        spelled = f"; spelled {loser.law!r} here" if loser.law != winner.law else ""
        report.warnings.append(SourceError(loser.source, f"same law as {winner.source} ({winner.law}, {doc.kind}"
                                                         f"{spelled}); kept that one (newer or canonically named)",
                                           field="duplicate-law"))
    for key, files in unordered.items():
        # the first file given had won, silently reverting an amendment given after it: neither is taken
        order.remove(key)
        error = SourceError(files[-1], f"{len(files)} different texts of {kept[key].law} ({key[1]}) — {', '.join(files)} "
                                       "— and no 공포일자/시행일자 to tell which is newer; none was read: give one of them",
                            field="duplicate-law")
        report.errors.append(error)
        if on_error is not None:
            on_error(error)
    articles: list[Article] = []
    for key in order:
        articles.extend(kept[key].articles)
    report.laws = len(order)
    report.articles = len(articles)
    report.deleted = sum(a.deleted for a in articles)
    report.seconds = time.perf_counter() - start
    missing = [e for e in report.errors if isinstance(e, MissingSourceError)]
    if missing and not articles and len(missing) == len(named):  # every named source is missing: that is why
        first = missing[0]
        more = f" (and {len(missing) - 1} more missing sources)" if len(missing) > 1 else ""
        raise MissingSourceError(first.path, f"{first.reason} (looked in {Path.cwd()}); nothing was read{more}")
    return IngestResult(articles, report)


def _undated_rivals(a: LawDocument, b: LawDocument) -> bool:
    """True when two documents of one law hold different texts and neither says when it was promulgated or takes
    effect (plain text, hand-written markdown): which one is newer cannot be known."""
    if a.promulgated or a.effective_date or b.promulgated or b.effective_date:
        return False

    def texts(d: LawDocument) -> list[tuple[str, str, str]]:
        return [(art.key, art.title, art.body_text()) for art in d.articles]

    return texts(a) != texts(b)


def _newer(a: LawDocument, b: LawDocument) -> tuple[LawDocument, LawDocument]:
    """(winner, loser): latest 공포일자, then 시행일자, then the file whose folder is the law's own
    name (legalize-kr keeps renamed laws under their old folder too), then the first read."""

    def rank(d: LawDocument) -> tuple:
        folder = PurePosixPath(d.source.rsplit("!", 1)[-1]).parent.name
        base = d.law[: -len("시행령")] if d.kind == "시행령" and d.law.endswith("시행령") else d.law
        base = base[: -len("시행규칙")] if d.kind == "시행규칙" and base.endswith("시행규칙") else base
        return (d.promulgated or "", d.effective_date or "", compact(folder) == compact(base))

    return (b, a) if rank(b) > rank(a) else (a, b)
