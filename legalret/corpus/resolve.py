"""Sources → articles: what ``legalret index build/add`` accept, as a library function.

A source is a statute file, folder, glob or zip (ingested in place), an articles JSONL file
(``legalret ingest --out``), or a corpus manifest — a name such as ``civil-commercial`` or a ``.yaml`` file of
one's own — (its laws, read from the statute mirror: ``LEGALRET_MIRROR``, else the shared data)::

    from legalret.corpus.resolve import read_corpus
    result = read_corpus(["civil-commercial"])                      # 민법 + 상법 from the mirror
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
from legalret.corpus.manifest import Manifest, NoSuchManifest, load_manifest
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


def read_corpus(sources: Iterable[str], laws: Iterable[str] | None = None, kinds: Iterable[str] | None = None) -> CorpusResult:
    """The articles of ``sources`` under the law/kind filters (a manifest adds its own); reading nothing is an error."""
    sources = list(sources)
    # as documents carry them (대통령령 → 시행령), and a typo ('법룰') is an error before anything is read, not a filter
    # that keeps nothing
    kinds = [known_kind(k) for k in kinds or []]
    jsonl: list[Article] = []
    errors: list[SourceError] = []
    files: list[str] = []
    manifest_laws: list[str] = []
    manifest_kinds: list[str] = []
    tokenizer: dict[str, Any] = {}
    set_by: dict[str, str] = {}
    manifests: list[tuple[Manifest, Path]] = []  # (each manifest, the mirror its laws are read from)
    for src in sources:
        path = Path(src).expanduser()
        if path.suffix == ".jsonl" and path.is_file():
            # a bad line skips its whole file, as a bad statute file is skipped: half a file would look like a law
            # that lost its later articles, and its laws are then simply not in the batch (nothing of them changes)
            try:
                jsonl.extend(list(read_articles(path, check_key=True)))
            except SourceError as e:  # (a line that is not UTF-8 too: read_articles names it)
                errors.append(e)
        elif (path.exists() and path.suffix.lower() not in (".yaml", ".yml")) or globlib.has_magic(src):
            files.append(src)
        elif _looks_like_path(src):  # (before the statutes are read: a typo in the last of them is said at once)
            where = "" if path.is_absolute() else f" (looked in {Path.cwd()})"
            raise SourceError(src, f"no such file or directory{where}; nothing was read or written")
        else:  # a manifest name, or a manifest file of one's own (`corpus pull` took it, `index build` read it as text)
            manifest = _manifest(src)
            mirror = _mirror_for(src)
            files.append(str(mirror))
            manifests.append((manifest, mirror))
            # a named act brings its decrees of the manifest's kinds (laws: [근로기준법] → 근로기준법 시행령 too)
            manifest_laws += manifest.document_names()
            manifest_kinds += manifest.document_kinds()
            for name, value in manifest.tokenizer.items():
                if name in tokenizer and tokenizer[name] != value:  # an index has one tokenizer: neither may win quietly
                    raise LegalretError(f"corpus manifests {set_by[name]} and {manifest.path} set tokenizer {name} "
                                        f"differently ({tokenizer[name]!r} vs {value!r}); build them as two indexes")
                tokenizer[name], set_by[name] = value, str(manifest.path)
    law_filter = list(laws or []) + manifest_laws or None
    kind_filter = kinds + manifest_kinds or None
    articles: list[Article] = []
    report = None
    if jsonl:
        # read as the statute files' filter reads them (民法 → 민법, 근기법 → 근로기준법)
        from legalret.ingest.sources import law_filter_names

        names = LawNames(law_filter_names(law_filter) or [])
        articles = [a for a in jsonl
                    if (not law_filter or names.resolve(a.law)) and (not kind_filter or a.kind in kind_filter)]
    if files:
        from legalret.ingest.sources import ingest

        result = ingest(files, laws=law_filter, kinds=kind_filter)
        articles.extend(result.articles)
        errors += result.report.errors
        report = result.report
    for manifest, mirror in manifests:  # a law the manifest names that nothing read holds: a typo, most often
        missing = _missing_laws(manifest, mirror, articles, unreadable=len(errors))
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

            filtered = f" ({len(jsonl)} article(s) skipped by {filter_flags(laws, kinds)})"
        raise LegalretError(f"no articles read from {', '.join(sources)}{filtered}"
                            + (f" ({len(errors)} source error{'s' if len(errors) != 1 else ''}; first: {errors[0]})" if errors else ""))
    return CorpusResult(articles, errors, report, tokenizer, ", ".join(sorted(set(set_by.values()))))


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


def _missing_laws(manifest: Manifest, mirror: Path, articles: list[Article], unreadable: int = 0) -> SourceError | None:
    """The laws ``manifest`` names of which no document was read, as one error naming the manifest's ``laws`` field,
    with ingest's "did you mean" for them (a filtered pass over the mirror: ~1 s on the full zip, only when a law is
    missing); None when every law was read (and for ``laws: all``). With ``unreadable`` source files in the batch,
    a law may be in one of them: the error says "not read from", not "not in"."""
    from legalret.corpus.pull import mirror_hint, missing_laws

    missing = missing_laws(manifest, articles)
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
