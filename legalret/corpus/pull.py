"""Get a corpus's statutes from a local mirror, the legalize-kr GitHub mirror, or the law.go.kr API.

Usage::

    from legalret.corpus.pull import pull

    pull(["civil-commercial"], out="corpus.jsonl")                     # local mirror (dir or zip)
    pull(["민법", "상법"], source="github", out="civil.jsonl")           # raw.githubusercontent.com
    pull(["개인정보 보호법"], source="lawgo", oc="KEY", out="pipa.jsonl")  # law.go.kr lawService (JSON)

Sources:

* ``mirror`` — a legalize-kr directory or zip, read in place: ``mirror=`` / ``LEGALRET_MIRROR`` /
  :func:`legalret.config.default_mirror` (here ``../shared/data/statutes/legalize-kr.zip``).
* ``github`` — ``{base}/{folder}/{kind}.md`` where the folder is the law name without spaces
  (``채무자회생및파산에관한법률``); base ``LEGALRET_GITHUB_BASE`` or
  ``https://raw.githubusercontent.com/legalize-kr/legalize-kr/main/kr``.
* ``lawgo`` — ``{base}?OC=…&target=law&type=JSON&LM=<법령명>`` (``ID=`` for a 6-digit 법령ID); the key
  comes from ``oc=`` / ``LAW_OC``; base ``LEGALRET_LAWGO_BASE`` or ``https://www.law.go.kr/DRF/lawService.do``.

Network access uses :class:`HttpClient`: a timeout per request, retries with exponential backoff on
connection errors, timeouts and HTTP 408/425/429/5xx (``Retry-After`` honoured, capped), and a
:class:`~legalret.errors.NetworkError` naming the URL and the offline alternative (``--mirror``).
A 404 is not retried: it means the law is not there, reported as a per-law
:class:`~legalret.errors.SourceError` while the other laws go on.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from legalret.articles import Article
from legalret.config import default_mirror, env_github_base, env_lawgo_base
from legalret.corpus.manifest import Manifest, document_title, is_manifest_ref, load_manifest, split_kind
from legalret.errors import LegalretError, NetworkError, SourceError
from legalret.ingest.document import normalize_kind
from legalret.ingest.sources import IngestReport, SourceFile, ingest
from legalret.keys import LawNames, law_aliases
from legalret.text import MIDDLE_DOTS, normalize

SOURCES = ("mirror", "github", "lawgo")
DEFAULT_GITHUB_BASE = "https://raw.githubusercontent.com/legalize-kr/legalize-kr/main/kr"
DEFAULT_LAWGO_BASE = "https://www.law.go.kr/DRF/lawService.do"
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
_OFFLINE_HINT = ("check the network, or read a local copy instead: --mirror PATH (or LEGALRET_MIRROR) "
                 "pointing at a legalize-kr directory or zip")


# ---- HTTP -----------------------------------------------------------------------------------------
class HttpClient:
    """GET with a timeout, retries and exponential backoff (urllib only: no extra dependency).

    ``HttpClient(timeout=20, retries=3, backoff=0.5).get(url) -> bytes``. Raises
    :class:`SourceError` for 404/410 (not retried) and :class:`NetworkError` once retries are spent.
    """

    def __init__(self, timeout: float = 20.0, retries: int = 3, backoff: float = 0.5, max_backoff: float = 8.0,
                 user_agent: str = "legalret (+https://github.com/legalize-kr)",
                 sleep: Callable[[float], None] = time.sleep):
        self.timeout, self.retries, self.backoff, self.max_backoff = timeout, retries, backoff, max_backoff
        self.user_agent = user_agent
        self.sleep = sleep
        self.attempts = 0  # total requests made (for reports and tests)

    def get(self, url: str, *, shown_url: str | None = None) -> bytes:
        """``shown_url`` replaces ``url`` in errors (to keep API keys out of messages)."""
        shown = shown_url or url
        last = ""
        for attempt in range(self.retries + 1):
            self.attempts += 1
            request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, "Accept": "*/*"})
            wait = self.backoff * (2 ** attempt)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as e:
                if e.code in (404, 410):
                    raise SourceError(shown, f"HTTP {e.code} {e.reason}: not found") from None
                last = f"HTTP {e.code} {e.reason}"
                if e.code not in _RETRY_STATUS:
                    break
                wait = max(wait, _retry_after(e.headers.get("Retry-After")))
            except (urllib.error.URLError, TimeoutError, socket.timeout, ConnectionError,
                    http.client.HTTPException) as e:
                reason = getattr(e, "reason", e)
                last = f"timed out after {self.timeout:g}s" if isinstance(reason, (TimeoutError, socket.timeout)) \
                    else f"{type(reason).__name__}: {reason}"
            if attempt < self.retries:
                self.sleep(min(wait, self.max_backoff))
        raise NetworkError(f"GET {shown} failed after {attempt + 1} attempt(s) ({last}); {_OFFLINE_HINT}")


def _retry_after(value: str | None) -> float:
    try:
        return float(value) if value else 0.0
    except ValueError:
        return 0.0


# ---- what to pull ---------------------------------------------------------------------------------
def resolve_targets(targets: Iterable[str] | None, kinds: Iterable[str] | None = None) -> Manifest:
    """Manifest names/paths and law names → one :class:`Manifest`.

    No targets → the default manifest (``civil-commercial``). Law names take ``kinds`` (default 법률);
    ``kinds`` given explicitly also override the manifests' kinds.
    """
    targets = [t for t in (targets or []) if t.strip()]
    kinds = [normalize_kind(k) for k in kinds] if kinds else []
    if not targets:
        targets = ["civil-commercial"]
    laws: list[str] = []
    manifest_kinds: list[str] = []
    every_law = False
    names: list[str] = []
    for target in targets:
        if is_manifest_ref(target):
            m = load_manifest(target)
            names.append(m.name)
            every_law |= m.all_laws
            laws += m.laws
            manifest_kinds += [k for k in m.kinds if k not in manifest_kinds]
        else:
            laws.append(normalize(target))
            names.append(normalize(target))
            # a bare name asks for the 법률; '상법 시행령' names its own kind (see _wanted_documents)
            if not kinds and split_kind(target)[1] is None and "법률" not in manifest_kinds:
                manifest_kinds.append("법률")
    unique = list(dict.fromkeys(laws))
    return Manifest(name="+".join(names), laws=[] if every_law else unique, kinds=kinds or manifest_kinds)


@dataclass
class PullResult:
    articles: list[Article]
    report: IngestReport
    manifest: Manifest
    source: str
    out: Path | None = None
    written: int = 0
    requests: int = 0  # HTTP requests made (github/lawgo)
    missing: list[str] = field(default_factory=list)  # requested laws that were not found
    #: files whose mojibake repairs stayed uncertain: their articles are not in ``articles`` (nor written), unless
    #: the pull was told ``accept_uncertain`` (as ``legalret ingest`` leaves them out of its JSONL)
    left_out: list[str] = field(default_factory=list)


def pull(targets: Iterable[str] | None = None, *, source: str = "mirror", out: str | os.PathLike | None = None,
         kinds: Iterable[str] | None = None, mirror: str | os.PathLike | None = None, base_url: str | None = None,
         oc: str | None = None, client: HttpClient | None = None,
         on_error: Callable[[SourceError], None] | None = None,
         progress: Callable[[SourceFile], None] | None = None, accept_uncertain: bool = False) -> PullResult:
    """Pull the statutes of ``targets`` (manifests and/or law names) and write them to ``out`` (JSONL).

    Per-law problems (a law missing from the mirror, a 404) are errors in ``result.report.errors``;
    an unreachable network raises :class:`NetworkError` naming the URL and the ``--mirror`` alternative;
    a pull that read no article at all raises :class:`NothingPulled` and writes nothing. A file whose mojibake
    repairs stayed uncertain (a guess can put wrong words in the text: 교각 → 교감) is left out whole and named in
    ``result.left_out``, as ``legalret ingest`` leaves it out of its JSONL, unless ``accept_uncertain``: the JSONL
    keeps no mark of a guess, so ``corpus pull --out x.jsonl && index add x.jsonl`` would index it unrefused.
    """
    if source not in SOURCES:
        raise LegalretError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    manifest = resolve_targets(targets, kinds)
    client = client or HttpClient()
    before = client.attempts
    if source == "mirror":
        result = _pull_mirror(manifest, mirror, on_error, progress)
    else:
        if manifest.all_laws:
            raise LegalretError(f"manifest {manifest.name!r} means every law, which only a local mirror can list; "
                                "use --source mirror (--mirror PATH) or name the laws")
        files = (_github_files(manifest, base_url, client) if source == "github"
                 else _lawgo_files(manifest, base_url, oc, client))
        result = ingest(files, on_error=on_error, progress=progress)
    missing = missing_laws(manifest, result.articles)
    mirror_path = (Path(mirror).expanduser() if mirror else default_mirror()) if source == "mirror" else None
    for i, law in enumerate(missing):
        err = SourceError(source, f"law {law!r} was not found{_not_found_why(manifest, law, mirror_path, i)}",
                          field="laws")
        result.report.errors.append(err)
        if on_error is not None:
            on_error(err)
    articles, left_out = ((result.articles, []) if accept_uncertain
                          else result.report.without_uncertain(result.articles))
    pulled = PullResult(articles, result.report, manifest, source, requests=client.attempts - before,
                        missing=missing, left_out=left_out)
    if not articles:
        raise NothingPulled(pulled, why=result.report.uncertain_refusal(
            outcome="nothing written", accepted="write them as repaired") if result.articles else None)
    if out is not None:
        from legalret.ingest.output import write_articles_out

        pulled.out = Path(out)
        pulled.written = write_articles_out(out, articles)
    return pulled


class NothingPulled(LegalretError):
    """A pull that produced no article (every law missing, every request failed, every file read left out for its
    uncertain mojibake repairs: ``why``): nothing is written.

    ``error.result`` is the :class:`PullResult`, so callers can still show the per-law errors."""

    def __init__(self, result: PullResult, why: str | None = None):
        self.result = result
        if why is not None:
            super().__init__(f"corpus {result.manifest.name!r} from {result.source}: {why}")
            return
        errors = result.report.errors
        first = f": {errors[0]}" if errors else ""
        more = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
        super().__init__(f"corpus {result.manifest.name!r} from {result.source}: no articles were pulled{first}{more}; "
                         "nothing written")


def _not_found_why(manifest: Manifest, law: str, mirror: Path | None, nth: int) -> str:
    """What follows "law X was not found": the kinds asked for (``laws: [민법]``, ``kinds: [시행령]``: 민법 is there,
    its 시행령 is not), and from a mirror ingest's "did you mean" (for the first few laws: a filtered pass each, ~1 s
    on the full zip), as `index build` of the manifest says it; else the old hint."""
    kinds = f" as {'/'.join(manifest.kinds)}" if manifest.kinds and manifest.kinds != ["법률"] else ""
    hint = mirror_hint(mirror, [law], manifest) if mirror is not None and mirror.exists() and nth < 3 else ""
    return kinds + (hint or ("" if kinds else " (is it the name as promulgated, e.g. '민법'?)"))


def mirror_hint(mirror: Path, laws: list[str], manifest: Manifest) -> str:
    """Ingest's "did you mean" for ``laws`` a manifest names and the mirror lacks (`` (did you mean 민법?)``, or ""): a
    pass over the mirror filtered to them and the manifest's kinds (~1 s on the full zip) — `corpus pull` and
    `index build` of a manifest say a missing law alike."""
    return ingest([mirror], laws=laws, kinds=manifest.document_kinds() or None).report.filter_hint


def _pull_mirror(manifest: Manifest, mirror, on_error, progress):
    path = Path(mirror).expanduser() if mirror else default_mirror()
    if path is None:
        raise LegalretError("no local mirror: pass --mirror PATH or set LEGALRET_MIRROR (a legalize-kr directory "
                            "or zip), or use --source github")
    if not path.exists():
        raise SourceError(str(path), "mirror not found (expected a legalize-kr directory or zip)")
    # a named act brings its decrees of the kinds asked for ('근로기준법' → 근로기준법 시행령 too)
    return ingest([path], laws=manifest.document_names() or None, kinds=manifest.document_kinds() or None,
                  on_error=on_error, progress=progress)


def missing_laws(manifest: Manifest, articles: list[Article]) -> list[str]:
    """The laws asked for whose document was not pulled: the act when the 법률 is among the kinds asked for, else
    a document of one of those kinds (``주택임대차보호법 --kind 시행령`` pulls 주택임대차보호법 시행령: it had said the law
    was not found). Each name is read as ingest's law filter reads it (``民法`` → 민법), so what the filter took is found
    (``index build`` of a manifest listing 民法 had called it missing)."""
    if manifest.all_laws:
        return []
    from legalret.ingest.sources import law_filter_names

    have = LawNames({a.law for a in articles})
    have.add_aliases(law_aliases())  # '주임법' pulled 주택임대차보호법 (ingest's filter knows the short names): found

    def found(written: str) -> bool:
        law = (law_filter_names([written]) or [written])[0]
        act, own = split_kind(law)
        if own is not None or "법률" in (manifest.kinds or ["법률"]):  # the document named, or the act asked for
            return have.resolve(law) is not None or have.resolve(act) is not None
        return any(have.resolve(document_title(act, kind)) is not None for kind in manifest.kinds)

    return [law for law in manifest.laws if not found(law)]


def folder_name(law: str) -> str:
    """The legalize-kr folder of a law: the name without spaces, middle dots written 'ㆍ' (U+318D)."""
    return "".join(law.split()).translate({ord(c): "\u318d" for c in MIDDLE_DOTS})


def _wanted_documents(manifest: Manifest) -> list[tuple[str, str]]:
    """(law name, kind) for every document to ask a remote source for: a remote cannot list which documents
    exist, so a manifest that lists no kinds asks for the 법률 only (a mirror reads every kind of them)."""
    return manifest.documents(default_kinds=["법률"])


def _github_files(manifest: Manifest, base_url: str | None, client: HttpClient) -> list[SourceFile]:
    base = (base_url or env_github_base() or DEFAULT_GITHUB_BASE).rstrip("/")
    files = []
    for name, kind in _wanted_documents(manifest):
        shown = f"{base}/{folder_name(name)}/{kind}.md"  # readable: what errors and Article.source show
        url = f"{base}/{urllib.parse.quote(folder_name(name))}/{urllib.parse.quote(kind)}.md"
        files.append(SourceFile(shown, read=_reader(client, url, shown), format="markdown"))
    return files


def _lawgo_files(manifest: Manifest, base_url: str | None, oc: str | None, client: HttpClient) -> list[SourceFile]:
    base = base_url or env_lawgo_base() or DEFAULT_LAWGO_BASE
    key = oc or os.environ.get("LAW_OC")
    if not key:
        raise LegalretError("the law.go.kr API needs an OC key: set LAW_OC or pass --oc "
                            "(register at https://open.law.go.kr), or use --source mirror")
    files = []
    for name, kind in _wanted_documents(manifest):
        full = document_title(name, kind)
        params = {"target": "law", "type": "JSON", **({"ID": full} if full.isdigit() else {"LM": full})}
        # what messages and Article.source show: readable, and never the OC key
        shown = f"{base}?" + "&".join(f"{k}={v}" for k, v in params.items())
        url = f"{base}?{urllib.parse.urlencode({'OC': key, **params})}"
        files.append(SourceFile(shown, read=_reader(client, url, shown, lawgo=True), format="lawgo-json"))
    return files


def _reader(client: HttpClient, url: str, shown: str, lawgo: bool = False) -> Callable[[], bytes]:
    def read() -> bytes:
        data = client.get(url, shown_url=shown)
        if lawgo:
            _check_lawgo_answer(data, shown)
        return data

    return read


def _check_lawgo_answer(data: bytes, shown: str) -> None:
    """law.go.kr answers 200 with a message object when nothing matches — make that a clear error."""
    try:
        answer = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return  # the parser reports malformed JSON with its line
    if isinstance(answer, dict) and "법령" not in answer:
        message = next((str(v) for v in answer.values() if isinstance(v, str)), json.dumps(answer, ensure_ascii=False))
        raise SourceError(shown, f"law.go.kr found no such law ({message[:200]})")
