"""``legalret doctor``: the installed libraries against the set CI tested (``requirements.lock``).

A known-incompatible combination becomes one line naming both packages and the fix, never a traceback
from deep inside a library (or a misleading "adapter does not fit")::

    from legalret.doctor import diagnose, explain_failure
    report = diagnose()
    print(report.summary())
    for problem in report.problems:
        print(problem)

    try:
        ...  # load an adapter, an encoder
    except Exception as e:
        print(explain_failure(e) or e)

Reads versions from package metadata only (no heavy imports), except :func:`runtime` which asks torch.
"""

from __future__ import annotations

import platform
import re
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from legalret.config import REPO_ROOT

#: The libraries whose versions decide whether legalret works (distribution names).
CHECKED = (
    "torch", "transformers", "peft", "sentence-transformers", "accelerate", "tokenizers", "faiss-cpu",
    "kiwipiepy", "bm25s", "numpy", "onnxruntime", "fastapi", "uvicorn", "typer",
)


@dataclass(frozen=True)
class Incompatibility:
    """``package`` in ``when`` needs ``needs`` in ``requires``; ``fix`` says what to do."""

    package: str
    when: str
    needs: str
    requires: str
    fix: str

    def applies(self, versions: dict[str, str | None]) -> bool:
        have, other = versions.get(self.package), versions.get(self.needs)
        if have is None or other is None:
            return False
        return _in(have, self.when) and not _in(other, self.requires)

    def message(self, versions: dict[str, str | None]) -> str:
        return (
            f"{self.package} {versions[self.package]} needs {self.needs} {self.requires}, "
            f"but {self.needs} {versions[self.needs]} is installed: {self.fix}"
        )


#: Combinations known to break legalret. Add a row when a release breaks another (scripts/lock_refresh.sh
#: names the package that moved).
KNOWN_INCOMPATIBLE = (
    Incompatibility(
        "transformers", ">=5.24", "peft", ">=0.22",
        "peft 0.22 is not released; install the tested set (bash scripts/setup.sh, or pip install 'transformers<5.24')",
    ),
)


@dataclass
class PackageStatus:
    name: str
    installed: str | None
    tested: str | None

    @property
    def state(self) -> str:
        if self.installed is None:
            return "missing"
        if self.tested is None or _same(self.installed, self.tested):
            return "ok"
        return "differs"


@dataclass
class Report:
    python: str
    packages: list[PackageStatus]
    problems: list[str] = field(default_factory=list)
    lock: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        differ = [p for p in self.packages if p.state == "differs"]
        head = f"legalret doctor: Python {self.python}, " + (
            f"{len(self.packages) - len(differ)}/{len(self.packages)} libraries as tested"
            if self.lock else f"{len(self.packages)} libraries checked (no requirements.lock beside this install)"
        )
        if differ:
            head += " (differ: " + ", ".join(f"{p.name} {p.installed} ≠ {p.tested}" for p in differ) + ")"
        return head + ("" if self.ok else f"; {len(self.problems)} problem(s)")

    def to_dict(self) -> dict:
        return {
            "python": self.python,
            "lock": str(self.lock) if self.lock else None,
            "packages": [{"name": p.name, "installed": p.installed, "tested": p.tested, "state": p.state}
                         for p in self.packages],
            "problems": list(self.problems),
        }


def installed_versions(names=CHECKED) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def tested_versions(lock: Path | None = None) -> dict[str, str]:
    """``name -> version`` pinned in ``requirements.lock`` (empty when this install has no lock beside it)."""
    lock = lock or REPO_ROOT / "requirements.lock"
    if not lock.is_file():
        return {}
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line)
        if m:
            pins[_canonical(m.group(1))] = m.group(2)
    return pins


def diagnose(lock: Path | None = None) -> Report:
    """Compare installed versions with the lock and the known-incompatible combinations."""
    lock = lock or REPO_ROOT / "requirements.lock"
    tested = tested_versions(lock)
    versions = installed_versions()
    packages = [PackageStatus(n, versions[n], tested.get(_canonical(n))) for n in CHECKED]
    problems = [f"{p.name} is not installed: bash scripts/setup.sh installs the tested set"
                for p in packages if p.installed is None]
    problems += [rule.message(versions) for rule in KNOWN_INCOMPATIBLE if rule.applies(versions)]
    if sys.version_info < (3, 11):
        problems.append(f"Python {platform.python_version()} is too old: legalret needs Python >= 3.11")
    return Report(platform.python_version(), packages, problems, lock if lock.is_file() else None)


def runtime() -> dict:
    """Devices and number formats (imports torch: for ``legalret doctor``, not for the query path)."""
    from legalret.hardware import cpu_has_native_bf16

    info = {"cpu_bf16": cpu_has_native_bf16(), "cuda": False, "cuda_bf16": False, "cuda_device": None}
    try:
        import torch
    except Exception as e:  # a broken torch install is itself a finding
        info["torch_error"] = f"{type(e).__name__}: {e}"
        return info
    info["torch_threads"] = torch.get_num_threads()
    if torch.cuda.is_available():
        info.update(cuda=True, cuda_bf16=bool(torch.cuda.is_bf16_supported()),
                    cuda_device=torch.cuda.get_device_name(0))
    return info


def explain_failure(error: BaseException) -> str | None:
    """A one-line cause when ``error`` comes from a known version skew (else None: the error stands)."""
    versions = installed_versions()
    for rule in KNOWN_INCOMPATIBLE:
        if rule.applies(versions):
            return rule.message(versions)
    text = str(error)
    if re.search(r"version of (PEFT|peft|transformers|torch)\b.*(not compatible|>=)", text):
        return f"{text.splitlines()[0]} — a library version skew, not a data problem: run `legalret doctor`"
    return None


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _same(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _in(version: str, spec: str) -> bool:
    try:
        return Version(version) in SpecifierSet(spec, prereleases=True)
    except InvalidVersion:
        return False
