"""Messages that name a line keep its number: rich's console read ``:100:`` as an emoji code and printed
``articles.jsonl💯 …`` (every console of the CLI has emoji off)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.progress import console  # noqa: E402


def test_the_console_prints_colon_codes_as_written():
    with console.capture() as captured:
        console.print("a.jsonl:100: effective_date: not a date", highlight=False)
    assert captured.get() == "a.jsonl:100: effective_date: not a date\n"


def test_a_bad_line_100_is_named_by_its_number(tmp_path):
    good = {k: v for k, v in sup.articles()[0].to_dict().items() if k != "key"}
    lines = [json.dumps({**good, "number": n + 1}, ensure_ascii=False) for n in range(99)]
    lines.append(json.dumps({**good, "number": 100, "effective_date": "2025-02-31"}, ensure_ascii=False))
    source = tmp_path / "a.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "300"}
    r = subprocess.run([sys.executable, "-m", "legalret", "index", "build", str(source), "--index", str(tmp_path / "idx"),
                        "--model", "none"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 1 and "a.jsonl:100:" in r.stderr and "💯" not in r.stderr, r.stderr
