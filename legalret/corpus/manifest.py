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
      article_cutoff: 3.0      # (all-acts-decrees sets this; names, types and ranges checked by `index build`:
      user_words: [임차권등기명령]  #  TokenizerSettings.with_overrides; the list fields take YAML lists)

Numbers are read as YAML 1.2 reads them (``1e-1`` is a number; PyYAML's YAML 1.1 made it the text '1e-1'); a
number in quotes stays text. A user word may hold a space (``임차권 등기명령``): Kiwi then reads the term written with or
without it as one noun.

An act named in ``laws`` brings its decrees of every kind listed in ``kinds``: ``laws: [근로기준법]`` with
``kinds: [법률, 시행령]`` is 근로기준법 *and* 근로기준법 시행령 (and 근로기준법 시행규칙 when ``시행규칙`` is listed);
omitted ``kinds`` mean every kind. A name with its own kind (``상법 시행령``) is that document only. A decree the
source does not hold is simply absent (most acts have no 시행규칙 in the legalize-kr mirror); an act that is
missing is an error (``index build`` names it, with a "did you mean"). The laws choose from the statute mirror only: a
file named beside the manifest (``index build civil-commercial 형법.md``) is read whole (``legalret.corpus.resolve``).

Manifests are looked up in ``LEGALRET_CORPORA``'s folders, then ``corpora/``, by their ``name:`` and by their file
name; a name two manifests answer to is refused (naming both), and ``list_manifests`` lists every manifest that
loads, saying in one line on stderr which file did not load and which name is claimed twice.

Usage::

    from legalret.corpus.manifest import load_manifest, list_manifests

    m = load_manifest("civil-commercial")      # a manifest's name: (or its file's name), or a path to a .yaml file
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


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading a number with an exponent as YAML 1.2 does. PyYAML follows YAML 1.1, whose
    floats need a dot and a signed exponent: ``article_cutoff: 1e308`` (or ``1.5e3``) was the text '1e308', refused
    as "must be a float" though the user wrote a number. Only unquoted numbers change: ``"3.0"`` stays text."""


_Loader.add_implicit_resolver("tag:yaml.org,2002:float",
                              re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"),
                              list("-+0123456789."))


def _decimal_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """An integer as YAML 1.2 reads it: ``010`` is ten. PyYAML's YAML 1.1 took a leading 0 for octal (``010`` → 8) and
    ``1:30`` for base 60 (→ 90) — a setting quietly other than the one written. ``0x1F`` stays hexadecimal."""
    value = loader.construct_scalar(node).replace("_", "")
    if re.fullmatch(r"[-+]?[0-9]+", value):
        return int(value, 10)
    if ":" in value:  # (base 60 is no YAML 1.2 number: the text as written, refused where a number is wanted)
        return loader.construct_scalar(node)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_Loader.add_constructor("tag:yaml.org,2002:int", _decimal_int)


def _load_yaml(text: str):
    return yaml.load(text, Loader=_Loader)  # (a safe loader: _Loader is one)


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
    #: the areas of law people name for these laws (노동, 형사, 임대차): ``--law 노동법`` names an area, not a law, and
    #: is answered with this corpus (:func:`area_corpus`) instead of a did-you-mean of a law spelt nearly so (농지법)
    areas: list[str] = field(default_factory=list)

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


class NoSuchManifest(SourceError):
    """No manifest file and no manifest's ``name:`` is the name asked for (``known``: the names there are;
    ``suggestion``: the one closest to it, None when none is close)."""

    def __init__(self, ref: str, reason: str, known: str, suggestion: str | None = None):
        super().__init__(ref, reason)
        self.known, self.suggestion = known, suggestion


@dataclass
class _Found:
    """One manifest file of :func:`manifest_dirs`: loaded, or broken (``error``; ``claimed``: its ``name:`` as
    written, when its YAML could be read, so that a lookup by that name still finds it and names its error)."""

    path: Path
    manifest: Manifest | None = None
    error: SourceError | None = None
    claimed: str | None = None

    @property
    def name(self) -> str:
        return self.manifest.name if self.manifest is not None else (self.claimed or self.path.stem)

    def answers_to(self, ref: str) -> bool:
        """A manifest is found by its ``name:`` and by its file name (``lease.yaml`` with ``name: lease-laws``: both)."""
        return ref in (self.name, self.path.stem)


def _scan() -> list[_Found]:
    """Every manifest file in :func:`manifest_dirs`, in their order (a file reached twice — ``LEGALRET_CORPORA``
    naming ``corpora/`` — once), each loaded or with its error: one broken file is not the others' error."""
    found: list[_Found] = []
    seen: set[Path] = set()
    for d in manifest_dirs():
        if not d.is_dir():
            continue
        for path in sorted(d.iterdir()):
            if path.suffix not in (".yaml", ".yml") or not path.is_file() or path.resolve() in seen:
                continue
            seen.add(path.resolve())
            try:
                found.append(_Found(path, manifest=_read(path)))
            except SourceError as e:
                found.append(_Found(path, error=e, claimed=_claimed_name(path)))
    return found


def _absent_dirs() -> list[Path]:
    """The folders ``LEGALRET_CORPORA`` names that are not there (a typo there had meant "no such corpus manifest")."""
    from legalret.config import env_corpora_dirs

    return [d for d in env_corpora_dirs() if not d.is_dir()]


def _claimed_name(path: Path) -> str | None:
    """The ``name:`` a manifest that failed to load writes (None when its YAML cannot be read or has none)."""
    try:
        data = _load_yaml(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return str(name).strip() if isinstance(name, (str, int)) and not isinstance(name, bool) and str(name).strip() else None


def _ambiguous(found: list[_Found]) -> dict[str, list[_Found]]:
    """name → the manifests answering to it, for every listed name more than one answers to (by ``name:`` or file
    name): a lookup refuses those names rather than take one of them quietly."""
    names = dict.fromkeys(f.name for f in found)
    out = {}
    for name in names:
        claimants = [f for f in found if f.answers_to(name)]
        if len(claimants) > 1:
            out[name] = claimants
    return out


def _claimants(name: str, claimants: list[_Found]) -> str:
    return ", ".join(f"{f.path}" + (" (its file name)" if f.name != name else "") for f in claimants)


def manifest_notes(found: list[_Found] | None = None) -> list[str]:
    """One line for each manifest file that could not be loaded (left out of :func:`list_manifests`) and each name
    that more than one manifest answers to (refused by a lookup by name): what ``legalret corpus list`` says on
    stderr beside its table."""
    found = _scan() if found is None else found
    notes = [f"LEGALRET_CORPORA names {d}, which is not a folder: no manifest read from it" for d in _absent_dirs()]
    notes += [f"not listed (broken corpus manifest): {f.error}" for f in found if f.error is not None]
    notes += [f"{len(claimants)} corpus manifests answer to the name {name!r} ({_claimants(name, claimants)}): a "
              f"lookup of {name!r} is refused; give the manifest's path, or rename one"
              for name, claimants in _ambiguous(found).items()]
    return notes


def list_manifests(*, notes: bool = True) -> list[Manifest]:
    """Every manifest that loads in :func:`manifest_dirs`, in their order — every one, two that share a name included
    (a name they share is refused by :func:`load_manifest`). With ``notes`` (the default), a manifest file that does
    not load and a name claimed twice are each one line on stderr (:func:`manifest_notes`) and the rest are listed:
    one broken file of one's own had made ``legalret corpus list`` fail."""
    found = _scan()
    if notes:
        from rich.markup import escape

        from legalret.progress import console

        for line in manifest_notes(found):
            console.print(f"[yellow]note:[/] {escape(line)}", highlight=False, soft_wrap=True)
    return [f.manifest for f in found if f.manifest is not None]


def is_manifest_ref(value: str) -> bool:
    """True when ``value`` names a manifest (a .yaml path, a manifest's file name or its ``name:``) rather than a law —
    or is meant to: a name of ASCII letters, digits and hyphens is no Korean law's (``civil-comercial`` gets "no such
    corpus manifest (known: …)", not "law not found")."""
    if value.endswith((".yaml", ".yml")) or re.fullmatch(r"[A-Za-z0-9_.-]+", value.strip()):
        return True
    return any(f.answers_to(value) for f in _scan())


#: The fields a manifest may have (anything else is refused: it is a typo of one of them).
MANIFEST_FIELDS = ("name", "description", "laws", "kinds", "areas", "measured", "tokenizer")


def load_manifest(name_or_path: str | os.PathLike | None = None) -> Manifest:
    """Load a manifest by name or path: a ``.yaml`` file, else the manifest of :func:`manifest_dirs` whose ``name:``
    (``lease-laws``) or file name (``lease`` for ``lease.yaml``) it is. A malformed one is a :class:`SourceError`
    naming the file and field; a name two manifests answer to is refused (naming both), one no manifest answers to is
    a :class:`NoSuchManifest` listing the known names."""
    ref = os.fspath(name_or_path) if name_or_path is not None else DEFAULT_MANIFEST
    path = Path(ref).expanduser()
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return _read(path)
    found = _scan()
    matches = [f for f in found if f.answers_to(ref)]
    if len(matches) > 1:
        raise SourceError(ref, f"{len(matches)} corpus manifests answer to this name ({_claimants(ref, matches)}); give "
                               "the manifest's path, or rename one")
    if matches:
        if matches[0].error is not None:
            raise matches[0].error
        return matches[0].manifest  # type: ignore[return-value]
    known = ", ".join(dict.fromkeys(f.name for f in found if f.manifest is not None)) or "none"
    broken = [str(f.path) for f in found if f.error is not None]
    if broken:  # (one of them may be the one meant: `legalret corpus list` says what is wrong with it)
        known += f"; broken, see `legalret corpus list`: {', '.join(broken)}"
    absent = _absent_dirs()
    if absent:
        known += f"; LEGALRET_CORPORA names {', '.join(map(str, absent))}, not a folder"
    what = ("no such file, and no corpus manifest has this name" if path.suffix in (".yaml", ".yml")
            else "no such corpus manifest")
    suggestion = _closest_name(ref, found)
    hint = f"; did you mean {suggestion}?" if suggestion else ""
    raise NoSuchManifest(ref, f"{what} (known: {known}){hint}", known, suggestion)


def _closest_name(ref: str, found: list[_Found]) -> str | None:
    """The manifest name (``name:``, or file name where it differs) closest to ``ref`` (difflib; None when none is
    close): ``crimnal`` → criminal. A mistyped name had been answered with the list of every manifest, to search by
    eye. A ``.yaml`` path is compared by its file name."""
    import difflib

    names = list(dict.fromkeys(n for f in found for n in (f.name, f.path.stem)))
    stem = Path(ref).stem if ref.endswith((".yaml", ".yml")) else ref
    close = difflib.get_close_matches(stem.strip().lower(), names, n=1, cutoff=0.75)
    return close[0] if close else None


def _yaml_problem(e: yaml.YAMLError) -> tuple[str, int | None]:
    """A YAML error as one line (PyYAML's own message spans five, with the text quoted and a caret) and its line."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = " ".join(str(getattr(e, "problem", None) or e).split())
    context = getattr(e, "context", None)
    where = getattr(e, "context_mark", None)
    if context and where is not None and where is not mark:
        problem += f" ({' '.join(str(context).split())} from line {where.line + 1})"
    if mark is not None:
        problem += f" at column {mark.column + 1}"
    return problem, mark.line + 1 if mark is not None else None


def _read(path: Path) -> Manifest:
    """The manifest in ``path`` (a :class:`SourceError` naming the file and field when it is malformed)."""
    try:
        data = _load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        problem, line = _yaml_problem(e)
        raise SourceError(str(path), f"not valid YAML ({problem})", line=line) from e
    except UnicodeDecodeError as e:
        raise SourceError(str(path), f"not UTF-8 text ({e.reason} at byte {e.start})") from e
    except OSError as e:
        raise SourceError(str(path), f"cannot read ({e.strerror or e})") from e
    if not isinstance(data, dict):
        raise SourceError(str(path), "a manifest is a mapping with 'name', 'laws' and 'kinds'")
    unknown_fields = sorted(str(k) for k in data if k not in MANIFEST_FIELDS)
    if unknown_fields:  # 'law:' for 'laws:' had meant every law: a misspelt field must not widen the corpus
        import difflib

        close = [c for u in unknown_fields for c in difflib.get_close_matches(u.lower(), MANIFEST_FIELDS, n=1, cutoff=0.6)]
        hint = f" (did you mean {', '.join(repr(c) for c in dict.fromkeys(close))}?)" if close else ""
        which = "unknown field" + (f"s {unknown_fields}" if len(unknown_fields) > 1 else f" {unknown_fields[0]!r}")
        raise SourceError(str(path), f"{which}{hint}; a manifest has {', '.join(MANIFEST_FIELDS)}",
                          field=unknown_fields[0])
    name = data.get("name")
    if name is not None and (isinstance(name, bool) or not isinstance(name, (str, int)) or not str(name).strip()):
        raise SourceError(str(path), f"must be the corpus's name (name: lease-laws), not {name!r}", field="name")
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
    areas = data.get("areas") or []
    if isinstance(areas, str):
        areas = [areas]
    if not isinstance(areas, list) or not all(isinstance(a, str) and a.strip() for a in areas):
        raise SourceError(str(path), f"must be a list of the areas of law people name for these laws ([노동]), not "
                                     f"{data.get('areas')!r}", field="areas")
    measured = data.get("measured") or {}
    if not isinstance(measured, dict):
        raise SourceError(str(path), "must map what was measured (build, size …) to a short text", field="measured")
    tokenizer = data.get("tokenizer") or {}
    if not isinstance(tokenizer, dict):
        raise SourceError(str(path), "must map tokenizer settings to values (article_cutoff: 3.0) or lists "
                                     "(user_words: [임차권등기명령])", field="tokenizer")
    scalar = (bool, int, float, str)
    for key, value in tokenizer.items():  # (names and values are checked against TokenizerSettings by the index layer)
        if not (isinstance(value, scalar) or isinstance(value, list) and all(isinstance(v, scalar) for v in value)):
            raise SourceError(str(path), f"must be a value (article_cutoff: 3.0) or a list of them (user_words: "
                                         f"[임차권등기명령]), not {value!r}", field=f"tokenizer.{key}")
    return Manifest(name=str(name).strip() if name is not None else path.stem, laws=[x.strip() for x in laws],
                    kinds=kinds, description=str(data.get("description") or ""), path=path,
                    measured={str(k): str(v) for k, v in measured.items()},
                    tokenizer={str(k): v for k, v in tokenizer.items()}, areas=[a.strip() for a in areas])


def manifest_of(law: str) -> str | None:
    """The first manifest that lists ``law`` (a document name: 형법, 근로기준법 시행령) among its laws, or None."""
    wanted = law.replace(" ", "")
    return next((name for name, documents in _listed_documents() if wanted in documents), None)


def area_corpus(name: str) -> tuple[str, str, list[str]] | None:
    """(the corpus, the area, the corpus's laws) when ``name`` names an area of law a manifest lists (``areas:``), with
    or without 법: 노동법 → ('labor', '노동', [근로기준법, …]), 세법 → ('tax', '세법', …), 임대차 → ('tenancy', '임대차', …);
    None for anything else (a law's name is never an area: no manifest lists one). Read once per process, as
    :func:`manifest_of` reads the laws."""
    wanted = name.replace(" ", "")
    for corpus, areas, laws in listed_areas():
        for area in areas:
            if wanted in (area, area + "법", area + "법령"):
                return corpus, area, laws
    return None


def area_hint(name: str, index_dir: str | os.PathLike | None = None) -> str | None:
    """What a ``--law`` filter naming an area whose laws the index lacks says (:func:`area_corpus`; None when it names
    none): "노동법 names an area of law, not one law: the corpus labor lists its laws (근로기준법, 최저임금법 … 12 laws);
    add them with `legalret index add labor`". (A search filter naming an area whose laws the index holds is read as
    them: :meth:`legalret.search.filters.Filters.area_laws`.)"""
    found = area_corpus(name)
    if found is None:
        return None
    corpus, _, laws = found
    return (f"{name} names an area of law, not one law: the corpus {corpus} lists its laws ({first_laws(laws)}); "
            f"add them with `legalret index add {corpus}{index_option(index_dir)}`")


def first_laws(laws: Sequence[str]) -> str:
    """``근로기준법, 최저임금법 … 12 laws``: the first two of ``laws`` and how many there are."""
    return ", ".join(laws[:2]) + (f" … {len(laws)} laws" if len(laws) > 2 else "")


_AREAS: list[tuple[str, list[str], list[str]]] | None = None


def listed_areas() -> list[tuple[str, list[str], list[str]]]:
    """(name, areas without spaces, laws) of each manifest that lists areas, read once per process (a question that
    names an area must not read ten YAML files: :mod:`legalret.search.areas`)."""
    global _AREAS
    if _AREAS is None:
        _AREAS = [(m.name, [a.replace(" ", "") for a in m.areas], list(m.laws))
                  for m in list_manifests(notes=False) if m.areas]
    return _AREAS


def add_command(law: str, index_dir: str | os.PathLike | None = None, *, corpus: bool = True) -> str:
    """The command that adds ``law`` to ``index_dir`` (None: the default index): its manifest's (``legalret index add
    criminal``: its area's other laws come too), else — or with ``corpus=False`` — the statute mirror with a law
    filter, the one this machine has or the file name people download. ``--index`` is written unless ``index_dir``
    is the default index: the command without it, given for ``--index other/``, would have added the law to another
    index. (``corpus=False``: a law removed from an index is brought back alone — its corpus would read the area's
    other laws again from the mirror, undoing the index's own edits of them.)"""
    from legalret.config import default_mirror

    name = manifest_of(law) if corpus else None
    if name is None:
        mirror = default_mirror()
        source = _shell_word(str(mirror)) if mirror is not None and mirror.exists() else "legalize-kr.zip"
        name = f"{source} --law {_shell_word(law)}"
    return f"legalret index add {name}{index_option(index_dir)}"


def index_option(index_dir: str | os.PathLike | None) -> str:
    """`` --index DIR`` for a command a notice offers, unless ``index_dir`` is the default index (None: it is): the
    command without it, given for ``--index other/``, would act on another index."""
    from legalret.config import default_index_dir

    if index_dir is None or Path(index_dir).resolve() == default_index_dir().resolve():
        return ""
    # (resolved: a relative --index is read from the searching process's folder, a resident server's among them)
    return f" --index {_shell_word(str(Path(index_dir).resolve()))}"


def add_hint(law: str, index_dir: str | os.PathLike | None = None) -> str:
    """What a notice says of how to get ``law`` into ``index_dir``: ``add it with `…``` (:func:`add_command`) — unless
    the statutes mirror this machine has holds no law of that name (:func:`legalret.keys.mirror_has`): ``민법 시행령``,
    a law made from local files and since removed. The command had been offered for those, and failed with "no
    articles read". With no mirror to tell, the command is offered as before (it names the file people download)."""
    from legalret.keys import mirror_has

    if mirror_has(law) is False:
        return f"the statutes mirror has no law named {law} either"
    return f"add it with `{add_command(law, index_dir)}`"


def _shell_word(word: str) -> str:
    """``word`` as a shell reads it: as it is when it holds only letters (Hangul too), digits and ``/._-·``, else
    quoted (``shlex.quote`` alone quotes every Hangul word: '특허법')."""
    import shlex

    return word if re.fullmatch(r"[\w/.\-·ㆍ]+", word) else shlex.quote(word)


_LISTED: list[tuple[str, set[str]]] | None = None


def _listed_documents() -> list[tuple[str, set[str]]]:
    """(name, document names without spaces) of each manifest that lists its laws, read once per process (a notice
    that names the command must not read ten YAML files on every search)."""
    global _LISTED
    if _LISTED is None:
        _LISTED = [(m.name, {d.replace(" ", "") for d in m.document_names()})
                   for m in list_manifests(notes=False) if m.laws]
    return _LISTED
