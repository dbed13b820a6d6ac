"""Corpus manifests: which laws (and kinds) make a corpus — names only, never statute text.

A manifest is a small YAML file in ``corpora/``::

    name: civil-commercial
    description: 민법 + 상법 (법률 only) — the default corpus
    kinds: [법률]
    laws: [민법, 상법]          # or 'all': every law the source holds
    measured:                  # optional: what building it cost on the project's 2-core machine (shown by
      build: 9.6 min first build with both memories; 2.1 min with a warm token cache   # `legalret corpus list`)
      size: 230 MB
    tokenizer:                 # optional: TokenizerSettings fields an index of this corpus is built with
      article_cutoff: 3.0      # (all-acts-decrees sets this; checked against the dataclass by `index build`)

An act named in ``laws`` brings its decrees of every kind listed in ``kinds``: ``laws: [근로기준법]`` with
``kinds: [법률, 시행령]`` is 근로기준법 *and* 근로기준법 시행령 (and 근로기준법 시행규칙 when ``시행규칙`` is listed);
omitted ``kinds`` mean every kind. A name with its own kind (``상법 시행령``) is that document only. A decree the
source does not hold is simply absent (most acts have no 시행규칙 in the legalize-kr mirror); an act that is
missing is an error.

Usage::

    from legalret.corpus.manifest import load_manifest, list_manifests

    m = load_manifest("civil-commercial")      # a bundled name, or a path to a .yaml file
    m.laws, m.kinds                            # (['민법', '상법'], ['법률'])
    m.all_laws                                 # False; True for 'all-acts'
    m.documents()                              # [('민법', '법률'), ('상법', '법률')]: what the manifest asks for
    ingest(sources, laws=m.document_names() or None, kinds=m.document_kinds() or None)   # [] means 'no filter'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import yaml

from legalret.config import REPO_ROOT
from legalret.errors import SourceError
from legalret.ingest.document import KINDS, normalize_kind

DEFAULT_MANIFEST = "civil-commercial"
#: Kinds written after an act's name in a document's title (``근로기준법 시행령``); the 법률 is the bare name.
SUBORDINATE_KINDS = ("시행령", "시행규칙")


@dataclass
class Manifest:
    name: str
    laws: list[str] = field(default_factory=list)  # empty = every law the source holds (see all_laws)
    kinds: list[str] = field(default_factory=list)  # empty = every kind
    description: str = ""
    path: Path | None = None
    #: measured build cost (``build``, ``size``, ``articles`` …: short texts, with the command in the manifest's
    #: comments); empty when nobody measured it
    measured: dict[str, str] = field(default_factory=dict)
    #: :class:`~legalret.index.tokenize.TokenizerSettings` fields an index of this corpus is built with (a plain
    #: mapping here: the corpus layer sits below the index, so ``index build`` checks the names and values); empty:
    #: the defaults. A setting a corpus needs for speed lives here, beside the laws it was measured on, so a
    #: smaller corpus never inherits it.
    tokenizer: dict[str, object] = field(default_factory=dict)

    @property
    def all_laws(self) -> bool:
        return not self.laws

    def documents(self, default_kinds: Sequence[str] = KINDS) -> list[tuple[str, str]]:
        """(act, kind) for every document the manifest names: each act with each of ``kinds`` (none listed:
        ``default_kinds``), a name with its own kind (``상법 시행령``) as that one document. ``[]`` for ``laws: all``."""
        wanted: dict[tuple[str, str], None] = {}
        for law in self.laws:
            name, named_kind = split_kind(law)
            for kind in [named_kind] if named_kind else (self.kinds or list(default_kinds)):
                wanted[(name, kind)] = None
        return list(wanted)

    def document_names(self) -> list[str]:
        """The titles of :meth:`documents` as the sources write them (``근로기준법``, ``근로기준법 시행령``): the
        law filter of a source that lists its documents (a mirror, an articles file)."""
        return [document_title(name, kind) for name, kind in self.documents()]

    def filters(self) -> tuple[list[str] | None, list[str] | None]:
        """``(laws, kinds)`` to read this corpus with (``ingest``'s and ``read_corpus``'s filters; None: no filter):
        the documents' titles, so an act's decrees of the listed kinds come too — the one definition that
        ``index build``, ``pairs`` and the speed benchmark share (``pairs`` had passed the bare act names)."""
        return self.document_names() or None, self.document_kinds() or None

    def document_kinds(self) -> list[str]:
        """The kind filter: the listed kinds plus those of names that carry their own (``[]``: every kind)."""
        if not self.kinds:
            return []
        return list(dict.fromkeys(self.kinds + [kind for _, kind in self.documents()]))


def split_kind(law: str) -> tuple[str, str | None]:
    """'민법 시행령' → ('민법', '시행령'); '민법' → ('민법', None)."""
    compact_name = law.replace(" ", "")
    for kind in SUBORDINATE_KINDS:
        if compact_name.endswith(kind) and len(compact_name) > len(kind):
            base = law.rstrip()
            return base[: len(base) - len(kind)].strip(), kind
    return law, None


def document_title(act: str, kind: str) -> str:
    """The title of an act's document of ``kind``: the act's own name for the 법률, else '<act> <kind>'."""
    return act if kind == "법률" else f"{act} {kind}"


def manifest_dirs() -> list[Path]:
    """Where manifests are looked up by name: ``LEGALRET_CORPORA`` (``os.pathsep``-separated), then
    the repository's ``corpora/``."""
    from legalret.config import env_corpora_dirs

    dirs = env_corpora_dirs()
    return dirs + [REPO_ROOT / "corpora"]


def list_manifests() -> list[Manifest]:
    """Every manifest found in :func:`manifest_dirs` (first one wins for a repeated name)."""
    found: dict[str, Manifest] = {}
    for d in manifest_dirs():
        for path in sorted(d.glob("*.y*ml")) if d.is_dir() else []:
            manifest = load_manifest(path)
            found.setdefault(manifest.name, manifest)
    return list(found.values())


def is_manifest_ref(value: str) -> bool:
    """True when ``value`` names a manifest (a .yaml path or a known manifest name) rather than a law — or is meant
    to: a name of ASCII letters, digits and hyphens is no Korean law's (``civil-comercial`` gets "no such corpus
    manifest (known: …)", not "law not found")."""
    if value.endswith((".yaml", ".yml")) or re.fullmatch(r"[A-Za-z0-9_.-]+", value.strip()):
        return True
    return any((d / f"{value}.yaml").is_file() or (d / f"{value}.yml").is_file() for d in manifest_dirs())


#: The fields a manifest may have (anything else is refused: it is a typo of one of them).
MANIFEST_FIELDS = ("name", "description", "laws", "kinds", "measured", "tokenizer")


def load_manifest(name_or_path: str | os.PathLike | None = None) -> Manifest:
    """Load a manifest by name (``civil-commercial``) or path. A malformed one is a :class:`SourceError`
    naming the file and field."""
    ref = os.fspath(name_or_path) if name_or_path is not None else DEFAULT_MANIFEST
    path = Path(ref)
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        candidates = [d / f"{ref}{ext}" for d in manifest_dirs() for ext in (".yaml", ".yml")]
        path = next((c for c in candidates if c.is_file()), None)  # type: ignore[assignment]
        if path is None:
            known = ", ".join(m.name for m in list_manifests()) or "none"
            raise SourceError(ref, f"no such corpus manifest (known: {known})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        raise SourceError(str(path), f"not valid YAML ({e})", line=line + 1 if line is not None else None) from e
    if not isinstance(data, dict):
        raise SourceError(str(path), "a manifest is a mapping with 'name', 'laws' and 'kinds'")
    unknown_fields = sorted(str(k) for k in data if k not in MANIFEST_FIELDS)
    if unknown_fields:  # 'law:' for 'laws:' had meant every law: a misspelt field must not widen the corpus
        raise SourceError(str(path), f"unknown field(s) {unknown_fields}; a manifest has {', '.join(MANIFEST_FIELDS)}",
                          field=unknown_fields[0])
    if "laws" not in data:
        raise SourceError(str(path), "missing: write 'laws: all' for every law, or list the law names", field="laws")
    laws = data["laws"]
    if isinstance(laws, str):
        laws = [laws]
    if not isinstance(laws, list) or not laws or not all(isinstance(x, str) and x.strip() for x in laws):
        raise SourceError(str(path), "must be 'all' or a non-empty list of law names", field="laws")
    if laws == ["all"]:
        laws = []  # Manifest.all_laws
    kinds = data.get("kinds") or []
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise SourceError(str(path), f"must be a list of kinds ({', '.join(KINDS)})", field="kinds")
    kinds = [normalize_kind(k) for k in kinds]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise SourceError(str(path), f"unknown kind(s) {unknown}; expected {', '.join(KINDS)}", field="kinds")
    measured = data.get("measured") or {}
    if not isinstance(measured, dict):
        raise SourceError(str(path), "must map what was measured (build, size …) to a short text", field="measured")
    tokenizer = data.get("tokenizer") or {}
    if not isinstance(tokenizer, dict) or not all(isinstance(v, (bool, int, float, str)) for v in tokenizer.values()):
        raise SourceError(str(path), "must map tokenizer settings to values (article_cutoff: 3.0)", field="tokenizer")
    return Manifest(name=str(data.get("name") or path.stem), laws=[x.strip() for x in laws], kinds=kinds,
                    description=str(data.get("description") or ""), path=path,
                    measured={str(k): str(v) for k, v in measured.items()},
                    tokenizer={str(k): v for k, v in tokenizer.items()})
