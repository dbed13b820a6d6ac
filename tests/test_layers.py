"""The layers point one way (``.importlinter``: cli → pipeline/evaluate/train → search → memory → index →
models → ingest/precedents → core), checked by import-linter over every import, lazy ones included."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_import_linter_contract_is_kept():
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.skip("import-linter is not installed in this environment")
    proc = subprocess.run([str(exe), "--config", str(REPO / ".importlinter")], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert re.search(r"Contracts: \d+ kept, 0 broken", proc.stdout), proc.stdout[-2000:]


def test_the_search_path_imports_no_torch():
    """Opening a searcher and running a BM25 + memory query must not import torch / transformers / peft."""
    code = (
        "import sys; from legalret.search.searcher import Searcher; import legalret.pipeline, legalret.memory;"
        "bad = [m for m in ('torch', 'transformers', 'sentence_transformers', 'peft') if m in sys.modules];"
        "print(','.join(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == ""
