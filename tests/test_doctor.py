"""legalret doctor: the lock, the tested set, and known-incompatible combinations named in one line."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from packaging.requirements import Requirement

from legalret.config import REPO_ROOT
from legalret import doctor
from legalret.doctor import KNOWN_INCOMPATIBLE, diagnose, explain_failure, installed_versions

LOCK = REPO_ROOT / "requirements.lock"


def _pyproject_requirements() -> list[Requirement]:
    import tomllib

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["test"]
    return [Requirement(r) for r in reqs]


def test_lock_pins_every_requirement_inside_its_range():
    pins = doctor.tested_versions(LOCK)
    for req in _pyproject_requirements():
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in pins, f"{req.name} is in pyproject.toml but not pinned in requirements.lock"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req.name}=={pins[name]} outside {req.specifier}"


def test_lock_pins_the_cpu_torch_build():
    assert doctor.tested_versions(LOCK)["torch"] == "2.13.0+cpu"


def test_this_install_matches_the_lock():
    report = diagnose(LOCK)
    assert report.ok, report.problems
    differ = [p for p in report.packages if p.state != "ok"]
    assert not differ, f"installed versions differ from requirements.lock: {differ}"
    assert "14/14 libraries as tested" in report.summary()


def test_the_transformers_peft_skew_is_named_with_its_fix():
    rule = KNOWN_INCOMPATIBLE[0]
    broken = {"transformers": "5.24.0", "peft": "0.21.2"}
    assert rule.applies(broken)
    message = rule.message(broken)
    assert "transformers 5.24.0 needs peft >=0.22" in message and "setup.sh" in message
    assert not rule.applies({"transformers": "5.23.0", "peft": "0.21.2"})
    assert not rule.applies({"transformers": "5.24.0", "peft": "0.22.0"})
    assert not rule.applies({"transformers": None, "peft": "0.21.2"})


def test_explain_failure_turns_a_library_message_into_a_cause():
    err = ValueError("The version of PEFT you are using is not compatible, please use a version >= 0.22.0")
    line = explain_failure(err)
    assert line is not None and "version skew" in line and "legalret doctor" in line
    assert explain_failure(KeyError("민법 제618조")) is None


def test_installed_versions_reads_metadata_without_importing_torch():
    code = "import sys; from legalret.doctor import installed_versions; installed_versions(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
    assert installed_versions(("no-such-package-xyz",)) == {"no-such-package-xyz": None}


def test_cli_doctor_json_and_brief():
    out = subprocess.run([sys.executable, "-m", "legalret", "doctor", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {p["name"] for p in data["packages"]} >= {"torch", "transformers", "peft", "faiss-cpu", "kiwipiepy", "bm25s"}
    assert set(data["runtime"]) >= {"cpu_bf16", "cuda"}
    brief = subprocess.run([sys.executable, "-m", "legalret", "doctor", "--brief"], capture_output=True, text=True)
    assert brief.returncode == 0 and brief.stdout.startswith("legalret doctor: Python") and not brief.stderr


def test_cli_doctor_report_is_on_stdout():
    """``legalret doctor > doc.txt`` keeps the report (it went to stderr: a 0-byte file)."""
    out = subprocess.run([sys.executable, "-m", "legalret", "doctor"], capture_output=True, text=True)
    assert out.returncode == 0 and not out.stderr, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("legalret doctor: Python") and any(line.startswith("  torch ") for line in lines)
    assert lines[-1].startswith("  device: CPU") and "\x1b[" not in out.stdout  # (no colour codes in a file)


def test_cli_doctor_problems_are_part_of_the_report(monkeypatch):
    from typer.testing import CliRunner

    from legalret.cli import app

    broken = doctor.Report("3.11.7", [], ["transformers 5.24.0 needs peft >=0.22: bash scripts/setup.sh"], LOCK)
    monkeypatch.setattr(doctor, "diagnose", lambda: broken)
    monkeypatch.setattr(doctor, "runtime", lambda: {"cpu_bf16": True, "cuda": False, "cuda_bf16": False,
                                                    "cuda_device": None})
    runner = CliRunner()
    plain = runner.invoke(app, ["doctor"])
    assert plain.exit_code == 1 and not plain.stderr
    assert plain.stdout.splitlines()[0].endswith("; 1 problem(s)")
    assert plain.stdout.splitlines()[-1] == "problem: transformers 5.24.0 needs peft >=0.22: bash scripts/setup.sh"
    brief = runner.invoke(app, ["doctor", "--brief"])
    assert brief.exit_code == 1 and len(brief.stdout.splitlines()) == 2 and "problem: transformers" in brief.stdout
    # --json: the problems are in the JSON on stdout, and said on stderr (as before)
    as_json = runner.invoke(app, ["doctor", "--json"])
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["problems"] == broken.problems
    assert as_json.stderr.strip() == "problem: transformers 5.24.0 needs peft >=0.22: bash scripts/setup.sh"


def test_setup_skips_pip_when_the_lock_is_satisfied():
    stamp = REPO_ROOT / ".venv" / ".legalret-lock"
    if not stamp.is_file():  # not installed by scripts/setup.sh (e.g. a user's own environment)
        return
    out = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "setup.sh")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "installing" not in out.stdout + out.stderr
    assert (out.stdout + out.stderr).strip().startswith("legalret doctor:")


def test_setup_stops_before_pip_when_the_disk_is_too_full(tmp_path):
    # (a CI run once died half-way through pip with "[Errno 28] No space left on device": the set-up now says how much
    # is free and needed, in one line, before pip starts; the need is raised past any disk here instead of filling one)
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "setup.sh").write_text((REPO_ROOT / "scripts" / "setup.sh").read_text())
    for name in ("requirements.lock", "pyproject.toml"):
        (tmp_path / name).write_text("# not the lock the stamp names\n")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    calls = tmp_path / "python-calls"
    (bin_dir / "python").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    (bin_dir / "python").chmod(0o755)
    out = subprocess.run(["bash", str(tmp_path / "scripts" / "setup.sh")], capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "LEGALRET_SETUP_NEED_MIB": str(2 ** 40), "TMPDIR": str(tmp_path)})
    assert out.returncode == 1 and not out.stdout
    assert re.fullmatch(rf"legalret set-up: {re.escape(str(tmp_path))} has \d+ MiB free; installing requirements.lock "
                        rf"needs about {2 ** 40} MiB \(free some space there, or set TMPDIR to a roomier folder\); "
                        r"no package was installed\n", out.stderr), out.stderr
    assert not calls.exists()  # neither pip nor legalret ran
