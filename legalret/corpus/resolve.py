"""Sources → articles: what ``legalret index build/add`` accept, as a library function.

A source is a statute file, folder, glob or zip (ingested in place), an articles JSONL file
(``legalret ingest --out``), or a corpus manifest — a name such as ``civil-commercial`` or a ``.yaml`` file of
one's own — (its laws, read from the statute mirror: ``LEGALRET_MIRROR``, else the shared data). A manifest's laws
choose from its mirror only: files named beside it are read whole (``laws=``/``kinds=``, the user's --law/--kind,
filter every source)::

    from legalret.corpus.resolve import read_corpus
    result = read_corpus(["civil-commercial"])                      # 민법 + 상법 from the mirror
    result = read_corpus(["civil-commercial", "형법.md"])            # … and 형법, from the file
    result = read_corpus(["amended/민법/법률.md", "extra.jsonl"], laws=["민법"])
    result.articles, result.errors                                  # errors: files skipped (SourceError)
"""

from __future__ import annotations

import glob as globlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from legalret.articles import Article, read_articles
from legalret.config import default_mirror
from legalret.corpus.manifest import Manifest, NoSuchManifest, area_hint, load_manifest
from legalret.errors import LegalretError, SourceError
from legalret.ingest.document import known_kind
from legalret.keys import LawNames


@dataclass
class CorpusResult:
    articles: list[Article]
    errors: list[SourceError] = field(default_factory=list)  # files that could not be read (the rest were)
    report: Any = None  # the IngestReport of the statute files (mojibake repairs: certain / uncertain), if any
    #: the tokenizer settings the sources' manifests ask for (``Manifest.tokenizer``; {} without a manifest), and
    #: the manifest files that set them (for an error naming the file)
    tokenizer: dict[str, Any] = field(default_factory=dict)
    tokenizer_source: str = ""
    #: each articles JSONL named whose text lost characters (U+FFFD) or reads as mojibake: its problems, one per
    #: article, and its articles — what ``index build/add`` skip as they skip a statute file with uncertain repairs
    #: (an ``ingest --out`` of a lossy file had gone into the index through its JSONL without a word)
    doubtful: dict[str, tuple[list[SourceError], list[Article]]] = field(default_factory=dict)


def read_corpus(sources: Iterable[str], laws: Iterable[str] | None = None, kinds: Iterable[str] | None = None) -> CorpusResult:
    """The articles of ``sources`` under the law/kind filters (a manifest's own apply to its mirror only); reading
    nothing is an error, and so is a source named beside others that the filters leave nothing of."""
    sources = list(sources)
    # as documents carry them (대통령령 → 시행령), and a typo ('법룰') is an error before anything is read, not a filter
    # that keeps nothing
    kinds = [known_kind(k) for k in kinds or []]
    laws = list(laws or [])
    jsonl: list[tuple[str, list[Article]]] = []  # (each articles JSONL named, its articles)
    doubtful: dict[str, tuple[list[SourceError], list[Article]]] = {}
    errors: list[SourceError] = []
    named: list[str] = []  # statute files, folders, globs, zips the user named
    mirrors: list[str] = []  # the statute mirrors the manifests read
    tokenizer: dict[str, Any] = {}
    set_by: dict[str, str] = {}
    manifests: list[tuple[Manifest, Path]] = []  # (each manifest, the mirror its laws are read from)
    for src in sources:
        path = Path(src).expanduser()
        if path.suffix == ".jsonl" and path.is_file():
            # a bad line skips its whole file, as a bad statute file is skipped: half a file would look like a law
            # that lost its later articles, and its laws are then simply not in the batch (nothing of them changes)
            try:
                jsonl.append((src, list(read_articles(path, check_key=True))))
            except SourceError as e:  # (a line that is not UTF-8 too: read_articles names it)
                errors.append(e)
        elif (path.exists() and path.suffix.lower() not in (".yaml", ".yml")) or globlib.has_magic(src):
            if not path.exists() and not globlib.glob(src, recursive=True):
                # A glob of no file is a named path that names nothing — most often a typo — so it is refused as a
                # missing path is (exit 1, nothing written), beside a corpus or other files too. The documented exit
                # 3 (`index build --help`) is for a statute file that was there and could not be read: "done, but
                # look". A glob of nothing had been that skipped source beside a corpus (the corpus indexed, exit 3)
                # and an error alone: the same typo indexed around or not, by what stood beside it.
                raise _missing_source(src, "glob matched no files")
            if path.is_dir() and not any(f.suffix.lower() in _FILE_SUFFIXES for f in path.rglob("*") if f.is_file()):
                # (the same for a folder with no statute file: beside a corpus it had been indexed around, exit 0)
                raise _missing_source(src, f"folder holds no statute file ({', '.join(_FILE_SUFFIXES)})")
            named.append(src)
        elif _looks_like_path(src):  # (before the statutes are read: a typo in the last of them is said at once)
            raise _missing_source(src, "no such file or directory")
        else:  # a manifest name, or a manifest file of one's own (`corpus pull` took it, `index build` read it as text)
            manifest = _manifest(src)
            mirror = _mirror_for(src)
            mirrors.append(str(mirror))
            manifests.append((manifest, mirror))
            for name, value in manifest.tokenizer.items():
                if name in tokenizer and tokenizer[name] != value:  # an index has one tokenizer: neither may win quietly
                    raise LegalretError(f"corpus manifests {set_by[name]} and {manifest.path} set tokenizer {name} "
                                        f"differently ({tokenizer[name]!r} vs {value!r}); build them as two indexes")
                tokenizer[name], set_by[name] = value, str(manifest.path)
    # Whose filter reads what: a manifest's laws and kinds say which part of *its mirror* makes the corpus, so they
    # filter the mirror only. A file, folder or zip the user names beside a corpus name is read whole — it is what
    # they asked to index (`index build civil-commercial 형법.md` is the corpus and 형법, as `index build
    # civil-commercial` then `index add 형법.md` would be); filtering it by the manifest had dropped it without a word.
    # --law/--kind are the user's own "only these" (the options' help: "Only this law") and filter every source —
    # the mirror within the manifests' laws and kinds (_mirror_filters) —, so a source they leave nothing of is an
    # error (_filtered_out, _mirror_filters), never a quiet drop.
    user_laws, user_kinds = laws or None, kinds or None
    mirror_laws, mirror_kinds = _mirror_filters([m for m, _ in manifests], user_laws, user_kinds)
    articles: list[Article] = []
    if jsonl:
        # read as the statute files' filter reads them (民法 → 민법, 근기법 → 근로기준법)
        from legalret.ingest.sources import law_filter_names

        names = LawNames(law_filter_names(user_laws) or [])
        for src, read in jsonl:
            kept = [a for a in read if (not user_laws or names.resolve(a.law)) and (not user_kinds or a.kind in user_kinds)]
            articles += kept
            if problems := doubtful_text(src, kept):  # (of what the filters keep: a broken law left out is no matter)
                doubtful[src] = (problems, kept)
    report = None
    if mirrors or named:
        from legalret.ingest.sources import ingest

        # (one mirror read once, however many manifests read it: twice, every law of it was its own "duplicate")
        mirror_result = ingest(list(dict.fromkeys(mirrors)), laws=mirror_laws, kinds=mirror_kinds) if mirrors else None
        named_result = ingest(named, laws=user_laws, kinds=user_kinds) if named else None
        if mirror_result is not None and named_result is not None:
            statutes = _named_over_mirror(mirror_result.articles, named_result.articles, mirror_result.report)
            report = _merged(mirror_result.report, named_result.report, statutes)
        else:
            result = mirror_result if mirror_result is not None else named_result  # (`or`: an empty one is falsy)
            statutes, report = result.articles, result.report
        articles.extend(statutes)
        errors += report.errors
        # (with nothing else read too: a named source the filters leave nothing of is one wording, alone or not)
        if named_result is not None and (user_laws or user_kinds) and (articles or named_result.report.skipped):
            _filtered_out(named, named_result, user_laws, user_kinds, others_read=bool(articles))
    if user_laws or user_kinds:
        _filtered_out_jsonl(jsonl, articles, user_laws, user_kinds)
    for manifest, mirror in manifests:  # a law the manifest names that nothing read holds: a typo, most often
        missing = _missing_laws(manifest, mirror, articles, unreadable=len(errors), only=user_laws)
        if missing is None:
            continue
        if not articles:  # (it said "no articles read from man.yaml", naming no law) …
            if errors:  # … unless a file could not be read: that is the one line to see (below, with the first error)
                break
            raise missing
        errors.append(missing)  # the rest is read (as with a file that could not be): named, and `index build` exits 3
    if not articles:
        filtered = ""
        if report is not None and report.skipped and (laws or kinds):
            filtered = f" ({report.skipped_by(laws, kinds)})"
        elif jsonl and (laws or kinds):  # the articles JSONL's articles, all filtered out: say by what
            from legalret.ingest.sources import filter_flags

            filtered = f" ({sum(len(read) for _, read in jsonl)} article(s) skipped by {filter_flags(laws, kinds)})"
        raise LegalretError(f"no articles read from {', '.join(sources)}{filtered}"
                            + (f" ({len(errors)} source error{'s' if len(errors) != 1 else ''}; first: {errors[0]})" if errors else ""))
    return CorpusResult(articles, errors, report, tokenizer, ", ".join(sorted(set(set_by.values()))), doubtful)


def doubtful_text(src: str, articles: list[Article]) -> list[SourceError]:
    """One problem per article of an articles JSONL (``src``) whose title or text lost characters (U+FFFD: bytes gone
    before the file was written — no repair can know them) or reads as mojibake (UTF-8 read as Latin-1 or CP949,
    :func:`~legalret.ingest.mojibake.alphabet.looks_like_mojibake`): the key and the first broken words.
    A statute file's are caught as it is read (``IngestReport.uncertain``); a JSONL's articles are taken as written."""
    from legalret.ingest.mojibake.alphabet import looks_like_mojibake

    problems = []
    for a in articles:  # (named by key: read_articles passes over blank lines, so a count would misname the line)
        text = f"{a.title}\n{a.body_text()}"
        if "\ufffd" in text:
            at = text.index("\ufffd")
            problems.append(SourceError(src, f"{a.key}: {text.count(chr(0xFFFD))} character(s) lost (U+FFFD), first at "
                                             f"{text[max(0, at - 12):at + 12]!r}", field="text"))
        elif looks_like_mojibake(text):
            problems.append(SourceError(src, f"{a.key}: reads as mojibake (text decoded in the wrong encoding): "
                                             f"{a.title or a.body_text()[:24]!r}", field="text"))
    return problems


def _mirror_filters(manifests: list[Manifest], laws: list[str] | None,
                    kinds: list[str] | None) -> tuple[list[str] | None, list[str] | None]:
    """The law and kind filters the manifests' mirror is read with: the manifests' own documents and kinds, narrowed
    by the user's ``--law`` / ``--kind`` — ``index build civil-commercial --law 민법`` is 민법 alone. The user's had
    been added to the manifest's, so ``--law 민법`` still gave 상법 too, ``--law 형법`` brought 형법 in from the mirror
    and ``--kind 시행령`` gave every 법률 and no 시행령, all without a word. A filter that leaves nothing of the
    corpora is an error naming what they hold (nothing read or written); a manifest of every law or kind leaves the
    user's filter as it is."""
    if not manifests:
        return laws, kinds
    names = [name for m in manifests for name in m.document_names()]
    doc_kinds = list(dict.fromkeys(kind for m in manifests for kind in m.document_kinds()))
    every_law = any(m.all_laws for m in manifests)
    every_kind = any(not m.document_kinds() for m in manifests)
    corpora = ", ".join(m.name for m in manifests)
    mirror_laws = (laws or None) if every_law else names
    if laws and not every_law:
        from legalret.ingest.sources import law_filter_names
        from legalret.text import compact

        wanted = {compact(name) for name in law_filter_names(laws) or []}
        mirror_laws = [name for name in names if compact(name) in wanted]
        if not mirror_laws:
            raise LegalretError(f"--law {', '.join(laws)}: corpus {corpora} holds {', '.join(names)}, so the filter "
                                "leaves nothing of it; nothing was read or written — a law outside it comes from the "
                                "statutes mirror named as a source (`legalret index add legalize-kr.zip --law NAME`) "
                                "or from its file")
    mirror_kinds = (kinds or None) if every_kind else doc_kinds
    if kinds and not every_kind:
        mirror_kinds = [kind for kind in doc_kinds if kind in kinds]
        if not mirror_kinds:
            raise LegalretError(f"--kind {', '.join(kinds)}: corpus {corpora} holds {', '.join(doc_kinds)} only, so "
                                "the filter leaves nothing of it; nothing was read or written")
    return mirror_laws or None, mirror_kinds or None


def _named_over_mirror(mirror: list[Article], named: list[Article], report: Any) -> list[Article]:
    """The mirror's articles, less each law (and kind) a named file holds too, then the named files' articles. The
    named file's text is kept whatever its date — it is what the user added on top of the corpus, as an ``index add``
    of it would replace the corpus's copy (and there the index's --allow-older guard still applies) — and the
    mirror's copy given up is a warning (``duplicate-law``, as ingest says of two files of one law)."""
    from functools import lru_cache

    from legalret.text import compact

    law_key = lru_cache(maxsize=None)(compact)  # (a mirror of every law: 130k articles, a few thousand names)
    by_law = {(law_key(a.law), a.kind): a.source for a in reversed(named)}  # (the first file holding it, to name)
    given_up: dict[tuple[str, str], Article] = {}
    counts: dict[tuple[str, str], list[int]] = {}  # (the mirror's articles, the named file's)
    kept = []
    for a in mirror:
        key = (law_key(a.law), a.kind)
        if key in by_law:
            given_up.setdefault(key, a)
            counts.setdefault(key, [0, 0])[0] += 1
        else:
            kept.append(a)
    for a in named:
        if (key := (law_key(a.law), a.kind)) in counts:
            counts[key][1] += 1
    for key, a in given_up.items():
        report.duplicates += 1
        theirs, ours = counts[key]
        # the counts: a named file of part of a law replaces the whole of it here (an `index add` of it would stop
        # at its removal guard), and a build has no such guard — the one line must say how much goes
        report.warnings.append(SourceError(a.source, f"same law as {by_law[key]} ({a.law}, {a.kind}); kept that one "
                                                     f"({ours:,} articles in place of the corpus's {theirs:,}: a file "
                                                     "named beside a corpus replaces the corpus's copy)",
                                           field="duplicate-law"))
    return kept + named


def _merged(mirror: Any, named: Any, articles: list[Article]) -> Any:
    """One IngestReport of the mirror's read and the named files' (what ``index build/add`` report and check)."""
    from legalret.ingest.sources import IngestReport
    from legalret.text import compact

    out = IngestReport()
    for part in (mirror, named):
        out.files += part.files
        out.repairs += part.repairs
        out.errors += part.errors
        out.warnings += part.warnings
        out.skipped += part.skipped
        out.duplicates += part.duplicates
        out.formats.update(part.formats)
        out.repaired_files.update(part.repaired_files)
        out.uncertain += part.uncertain
        out.dropped.update(part.dropped)
        out.seconds += part.seconds
    out.filter_hint = named.filter_hint or mirror.filter_hint
    out.laws = len({(compact(law), kind) for law, kind in {(a.law, a.kind) for a in articles}})
    out.articles = len(articles)
    out.deleted = sum(a.deleted for a in articles)
    return out


def _filtered_out(named: list[str], result: Any, laws: list[str] | None, kinds: list[str] | None,
                  others_read: bool) -> None:
    """Refuse the batch (nothing written) when --law/--kind leave nothing of a statute source the user named, whether
    others are read (``others_read``) or not: naming a file and a filter that excludes it contradict each other, and
    indexing the rest had dropped the file without a word. A source that could not be read is skipped and named
    already, and one whose law a newer file of the batch replaced is a ``duplicate-law`` warning: neither is this
    error."""
    import os

    def owner(source: str) -> str | None:
        where = os.path.abspath(source.split("!", 1)[0])
        for src, roots in spans:
            if any(where == r or where.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
                return src
        return None

    # (what each named source expands to, as ingest expanded it: a glob to its matches)
    spans = [(src, [os.path.abspath(m) for m in (sorted(globlib.glob(src, recursive=True)) if globlib.has_magic(src)
                                                   and not Path(src).exists() else [str(Path(src).expanduser())])])
             for src in named]
    heard = {owner(a.source) for a in {a.source: a for a in result.articles}.values()}
    heard |= {owner(e.path) for e in result.report.errors}
    heard |= {owner(w.path) for w in result.report.warnings if w.field in ("duplicate-law", "unread-file")}
    silent = [src for src in named if src not in heard]
    if silent:
        from legalret.ingest.sources import filter_flags

        # --law 노동법 names an area, not a law: its corpus, rather than "did you mean 농지법?"
        areas = [hint for law in laws or [] if (hint := area_hint(law))]
        hint = f" ({'; '.join(areas)})" if areas else result.report.filter_hint
        raise LegalretError(_refusal(silent, filter_flags(laws, kinds) + hint, others_read))


def _filtered_out_jsonl(jsonl: list[tuple[str, list[Article]]], kept: list[Article], laws, kinds) -> None:
    """:func:`_filtered_out` for the articles JSONL files named (each read whole, so what each kept is known)."""
    kept_ids = {id(a) for a in kept}
    silent = [src for src, read in jsonl if read and not any(id(a) in kept_ids for a in read)]
    if silent:
        from legalret.ingest.sources import filter_flags

        raise LegalretError(_refusal(silent, filter_flags(laws, kinds), others_read=len(kept) > 0))


def _refusal(silent: list[str], flags: str, others_read: bool) -> str:
    """The one line for named sources the --law/--kind filter leaves nothing of — beside other sources or alone, one
    wording (alone it had been "no articles read from X (N skipped by --law Y)"); "leave it out" only where something
    else would be indexed."""
    what = silent[0] + (f" (and {len(silent) - 1} more: {', '.join(silent[1:])})" if len(silent) > 1 else "")
    fix = "leave it out, or give --law/--kind that include its laws" if others_read else \
        "give --law/--kind that include its laws"
    return f"{what}: nothing of it passes {flags}, so nothing of it would be indexed; nothing was written — {fix}"


def _missing_source(src: str, what: str) -> SourceError:
    """A named path that names nothing (``what``: no such file, a glob of no file, a folder with no statute file): one
    line, before anything is read."""
    where = "" if Path(src).expanduser().is_absolute() else f" (looked in {Path.cwd()})"
    return SourceError(src, f"{what}{where}; nothing was read or written")


#: What a statute source file is named (as ``legalret ingest`` reads them, and zip archives and articles JSONL): a
#: source so named that is not there is a missing file, not a corpus manifest's name.
_FILE_SUFFIXES = (".md", ".markdown", ".json", ".jsonl", ".txt", ".text", ".xml", ".zip")


def _looks_like_path(src: str) -> bool:
    """True when a source that is not there was meant as a file or folder: it has a ``/`` (or starts with ``~``) or a
    statute file's suffix — and is not a ``.yaml`` manifest file (:func:`load_manifest` says what that one lacks).
    ``index add /nonexistent.md`` had said "neither a file/folder/glob nor a corpus manifest (known manifests: …)"."""
    if src.lower().endswith((".yaml", ".yml")):
        return False
    return "/" in src or src.startswith("~") or src.lower().endswith(_FILE_SUFFIXES)


def _manifest(name: str) -> Manifest:
    """The manifest ``name`` is. Only a name no manifest answers to is "neither a file … nor a manifest" (with the
    manifest name closest to it, when one is: ``crimnal`` → criminal): a manifest that is there but malformed is its
    own one-line error (file and field), a name two manifests share is refused."""
    try:
        return load_manifest(name)
    except NoSuchManifest as e:
        hint = f" — did you mean {e.suggestion}?" if e.suggestion else ""
        raise LegalretError(f"{name}: neither a file/folder/glob nor a corpus manifest{hint} (known manifests: "
                            f"{e.known})") from None


def _missing_laws(manifest: Manifest, mirror: Path, articles: list[Article], unreadable: int = 0,
                  only: list[str] | None = None) -> SourceError | None:
    """The laws ``manifest`` names of which no document was read, as one error naming the manifest's ``laws`` field,
    with ingest's "did you mean" for them (a filtered pass over the mirror: ~1 s on the full zip, only when a law is
    missing); None when every law was read (and for ``laws: all``). With ``unreadable`` source files in the batch,
    a law may be in one of them: the error says "not read from", not "not in". ``only``: the user's --law, which
    leaves the manifest's other laws unread on purpose — they are not missing (``index build civil-commercial --law
    상법`` had said "'민법' is not in the statute mirror" and exited 3)."""
    from legalret.corpus.pull import mirror_hint, missing_laws
    from legalret.ingest.sources import law_filter_names
    from legalret.text import compact

    missing = missing_laws(manifest, articles)
    if only:
        asked = {compact(name) for name in law_filter_names(only)}
        missing = [law for law in missing if compact((law_filter_names([law]) or [law])[0]) in asked]
    if not missing:
        return None

    def hint(laws: list[str]) -> str:
        return mirror_hint(mirror, laws, manifest)

    if 1 < len(missing) <= MISSING_HINTS_EACH:  # each law with its own suggestion
        names, tail = ", ".join(f"{law!r}{hint([law])}" for law in missing), ""
    else:  # one law, or many (one pass for them all: the suggestions together), at the end
        names, tail = ", ".join(repr(law) for law in missing), hint(missing)
    kinds_read = f" as {'/'.join(manifest.kinds)}" if manifest.kinds else ""
    where = (f"not in the statute mirror {mirror}{kinds_read}" if not unreadable else
             f"not read from the statute mirror {mirror}{kinds_read} (in none of its files that could be read: "
             f"{unreadable} could not)")
    return SourceError(str(manifest.path or manifest.name),
                       f"{names} {'is' if len(missing) == 1 else 'are'} {where}{tail}", field="laws")


#: Up to this many missing laws of a manifest get a "did you mean" each (a pass over the mirror each, ~1 s on the
#: full zip); more share one.
MISSING_HINTS_EACH = 3


def _mirror_for(name: str) -> Path:
    mirror = default_mirror()
    if mirror is None or not Path(mirror).exists():
        raise LegalretError(f"corpus {name!r} needs a statute mirror: set LEGALRET_MIRROR or LEGALRET_DATA (or pass files)")
    return Path(mirror)
