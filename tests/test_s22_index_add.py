"""An article block deleted by hand from the middle of a law's text (a clerk's finding, 2026-12-07).

민법 without its ``##### 제753조`` block, then ``legalret index add``: 제753조 was removed, exit 0, one line among the
report's (`removed: 민법 제753조`) — one article passes the share guard, and the guard for a cut file looked only
after the law's last article. A statute keeps a repealed article as ``제N조 삭제``, so a statute text that lacks a live
article between two it holds stops too, in one line naming it; ``--allow-removals`` removes it and ``--keep-missing``
keeps it. Articles records (JSONL) keep the file they were read from and are checked as that file (since
2026-12-07 a law.go.kr JSON or XML too: tests/test_s23_index.py); the Python API's lists are a selection the caller made.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from legalret.cli import app
from legalret.index.store import generations, load_index

ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "300"}
runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, list(args), env=ENV)


def _without(text: str, *numbers: int) -> str:
    for n in numbers:  # the block from its heading to the next heading
        text, count = re.subn(rf"##### 제{n}조 [^\n]*\n.*?(?=\n#####)", "", text, count=1, flags=re.S)
        assert count == 1
    return text


def test_an_article_missing_between_two_held_is_refused_unless_allowed(shared_data: Path, tmp_path: Path):
    with zipfile.ZipFile(shared_data / "statutes" / "legalize-kr.zip") as z:
        text = z.read("legalize-kr/민법/법률.md").decode("utf-8")
    whole = tmp_path / "civil.md"
    whole.write_text(text, encoding="utf-8")
    index = tmp_path / "idx"
    assert _cli("index", "build", str(whole), "--index", str(index), "--model", "none").exit_code == 0
    before = [g.name for g in generations(index)]

    one = tmp_path / "one.md"
    one.write_text(_without(text, 753), encoding="utf-8")
    r = _cli("index", "add", str(one), "--index", str(index))
    assert r.exit_code != 0
    assert str(r.exception) == (
        f"{index}: this batch's 민법 lacks 제753조, which it would remove, though it holds articles after it (an article "
        "block deleted by hand? a repealed article stays as 삭제); nothing was written — pass --allow-removals to "
        "remove them, or --keep-missing to keep articles the batch does not mention")
    assert [g.name for g in generations(index)] == before

    two = tmp_path / "two.md"
    two.write_text(_without(text, 753, 100), encoding="utf-8")
    assert "lacks 제100조, 제753조, which it would remove, though it holds articles after them" in str(
        _cli("index", "add", str(two), "--index", str(index)).exception)

    kept = _cli("index", "add", str(one), "--index", str(index), "--keep-missing", "--json")
    assert kept.exit_code == 0 and json.loads(kept.stdout.strip().splitlines()[-1])["removed"] == 0
    allowed = _cli("index", "add", str(one), "--index", str(index), "--allow-removals", "--json")
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout.strip().splitlines()[-1])["removed_keys"] == ["민법 제753조"]
    assert "민법 제753조" not in {a.key for a in load_index(index).articles}
