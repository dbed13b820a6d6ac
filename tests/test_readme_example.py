"""The README's Python example runs as written (issue #11: it raised ``TypeError: 'module' object is not
callable`` at ``ingest([...])``). The ```python block is extracted from README.md and run in a fresh
interpreter from the repository root, against a small BM25 index of 민법's 물권 articles built here (``LEGALRET_INDEX``); what
it prints is checked against the README's own comments."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.S | re.M)


def test_readme_has_one_python_example():
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) == 1, "the README's Python example is the ```python block; keep exactly one"
    assert "from legalret.ingest import ingest" in blocks[0]


def test_readme_python_example_runs(tmp_path, shared_data):
    from legalret.index.build import build_index
    from legalret.ingest import ingest

    (code,) = python_blocks(README.read_text(encoding="utf-8"))
    index = tmp_path / "index"
    # 민법's 물권 articles (제185조–제372조: 점유권, 유치권 …): enough for the example's query, quick to index
    civil = ingest([shared_data / "statutes" / "legalize-kr.zip"], laws=["민법"]).articles
    in_rights = [a for a in civil if 185 <= int(re.match(r"민법 제(\d+)조", a.key).group(1)) <= 372]
    assert len(in_rights) > 150
    build_index(in_rights, index, model="none")
    env = dict(os.environ, LEGALRET_INDEX=str(index), LEGALRET_PROGRESS="off")
    # LEGALRET_HOME stays the user's: the example loads the bundled encoder, built once into that cache
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    hits = [line for line in lines if line.startswith("민법 제")]
    assert len(hits) == 5, proc.stdout  # searcher.search(k=5) printed its hits: key, title, score, reasons
    assert any(line.startswith(("민법 제320조", "민법 제192조", "민법 제194조")) for line in hits), hits
    expected = {m.group(1).strip() for m in re.finditer(r"print\(.*\)\s+#\s*(.+)$", code, flags=re.M)}
    for comment in expected:  # e.g. print(repair_mojibake(…).text)   # 상법 제651조
        assert comment in lines, f"README says {comment!r}; the example printed {lines[-3:]}"
