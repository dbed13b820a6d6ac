"""Corpus manifests: which laws (and kinds) make a corpus — names only, never statute text.

A manifest is a small YAML file in ``corpora/``::

    name: civil-commercial
    description: 민법 + 상법 (법률 only) — the default corpus
    kinds: [법률]
    laws: [민법, 상법]          # or 'all': every law the source holds
    measured:                  # optional: what building it cost on the project's 2-core machine (shown by
      build: 9.6 min first build with both memories; 2.1 min with a warm token cache   # `legalret corpus list`)
      size: 230 MB

Usage::

    from legalret.corpus.manifest import load_manifest, list_manifests

    m = load_manifest("civil-commercial")      # a bundled name, or a path to a .yaml file
    m.laws, m.kinds                            # (['민법', '상법'], ['법률'])
    m.all_laws                                 # False; True for 'all-acts'
    ingest(sources, laws=m.laws or None, kinds=m.kinds or None)   # [] means 'no filter'
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from legalret.config import REPO_ROOT
from legalret.errors import SourceError
from legalret.ingest.document import KINDS, normalize_kind

DEFAULT_MANIFEST = "civil-commercial"


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

    @property
    def all_laws(self) -> bool:
        return not self.laws


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
    """True when ``value`` names a manifest (a .yaml path or a known manifest name) rather than a law."""
    if value.endswith((".yaml", ".yml")):
        return True
    return any((d / f"{value}.yaml").is_file() or (d / f"{value}.yml").is_file() for d in manifest_dirs())


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
    laws = data.get("laws", "all")
    if laws == "all" or laws is None:
        laws = []
    elif isinstance(laws, str):
        laws = [laws]
    if not isinstance(laws, list) or not all(isinstance(x, str) and x.strip() for x in laws):
        raise SourceError(str(path), "must be 'all' or a list of law names", field="laws")
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
    return Manifest(name=str(data.get("name") or path.stem), laws=[x.strip() for x in laws], kinds=kinds,
                    description=str(data.get("description") or ""), path=path,
                    measured={str(k): str(v) for k, v in measured.items()})
