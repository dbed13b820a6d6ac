"""`legalret index add` findings of a user keeping a firm's statute index current (session 17).

1. A law file cut off at a line break (``head -n 6514`` of the mirror's 민법: it ends in 제1114조) removed the law's last
   articles (제1115조–제1118조), exit 0, no warning: too few for the removal guard, and no article cut mid-line. A
   statute repeals an article by keeping ``제N조 삭제 <date>``, so removed articles that all come after the last one the
   batch holds are a truncated file: the batch stops in one line (the law, the range, ``--allow-removals`` /
   ``--keep-missing``), nothing written. An amendment (a changed article, an added 제N조의2, an article turned 삭제)
   goes in as before.
2. The report gave counts only: ``removed 4``, but which? ``--json`` lists ``added_keys``, ``changed_keys``,
   ``removed_keys`` in full, and of the changed ones ``changed_text_keys`` / ``changed_text`` / ``changed_dates_only``
   (a new 시행일자 changes every article's dates: 1,193 "changed" where two texts changed); the text summary names the
   first ten of each list.
3. An add of one law read the decisions again for another law an earlier add had left them out for
   (``--no-reread-decisions``) — minutes on the full archive, said only as a dim line about laws "joining" the index.
   The line says now that they were postponed, and ``memory.reread.postponed`` lists them.

By the real CLI (``--model none``) on the shared mirror's 민법 (skipped without it) and the multilaw fixture.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from legalret.cli import app
from legalret.index.store import generations, load_index

REPO = Path(__file__).resolve().parent.parent
MULTILAW = Path(__file__).parent / "fixtures" / "multilaw"
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "300"}
TAIL = ("{index}: this batch's 민법 ends at 제1114조 and would remove its last 4 articles, 제1115조–제1118조 (a truncated "
        "file? a repealed article stays as 삭제); nothing was written — pass --allow-removals to remove them, or "
        "--keep-missing to keep articles the batch does not mention")

runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, list(args), env=ENV)


def _process(*args: str) -> subprocess.CompletedProcess:
    """``legalret ARGS`` as a user runs it (``legalret.cli.main``: an error is one line on stderr, exit 1)."""
    return subprocess.run([sys.executable, "-m", "legalret", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **ENV}, cwd=REPO, stdin=subprocess.DEVNULL)


def _report(r) -> dict:
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture()
def civil(shared_data: Path, tmp_path: Path) -> tuple[Path, str]:
    """An index of the mirror's 민법 (BM25 only) and the law's text."""
    with zipfile.ZipFile(shared_data / "statutes" / "legalize-kr.zip") as z:
        text = z.read("legalize-kr/민법/법률.md").decode("utf-8")
    whole = tmp_path / "civil.md"
    whole.write_text(text, encoding="utf-8")
    index = tmp_path / "idx"
    r = _cli("index", "build", str(whole), "--index", str(index), "--model", "none")
    assert r.exit_code == 0, r.output
    return index, text


# ---- 1. a file cut at a line break ------------------------------------------------------------------------------
def test_a_law_cut_at_a_line_break_is_refused_and_nothing_is_written(civil, tmp_path):
    index, text = civil
    cut = tmp_path / "cut.md"
    cut.write_text("".join(text.splitlines(keepends=True)[:6514]), encoding="utf-8")
    assert "##### 제1114조" in cut.read_text(encoding="utf-8") and "##### 제1115조" not in cut.read_text(encoding="utf-8")
    before = [g.name for g in generations(index)]

    proc = _process("index", "add", str(cut), "--index", str(index))
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "error: " + TAIL.format(index=index)  # (had been: removed 4, exit 0)
    assert [g.name for g in generations(index)] == before

    # --keep-missing keeps them (the cut file's articles are the indexed ones: nothing to write)
    r = _cli("index", "add", str(cut), "--index", str(index), "--keep-missing", "--json")
    assert r.exit_code == 0, r.output
    assert (_report(r)["removed"], _report(r)["wrote"]) == (0, False)
    # --allow-removals removes them, and the report names them
    r = _cli("index", "add", str(cut), "--index", str(index), "--allow-removals")
    assert r.exit_code == 0, r.output
    assert "removed: 민법 제1115조, 제1116조, 제1117조, 제1118조" in r.stdout.splitlines()  # (the report: stdout)
    assert "민법 제1115조" not in {a.key for a in load_index(index).articles}


def _amended(text: str) -> str:
    """민법 with a new 시행일자, 제2조 reworded, a 제1115조의2 (the mirror writes a branch as a repeated number) and
    제1118조 — the law's last article — turned 삭제."""
    text = text.replace("\n시행일자: 2026-03-17\n", "\n시행일자: 2026-09-01\n", 1)
    assert "신의에 좇아 성실히" in text
    text = text.replace("신의에 좇아 성실히", "신의에 따라 성실히", 1)
    at = text.index("##### 제1116조")
    text = text[:at] + "##### 제1115조 (유류분 반환의 방법)\n\n유류분권리자는 그 반환을 청구할 수 있다.\n\n" + text[at:]
    last = re.search(r"##### 제1118조 \(준용규정\)\n\n(.*?)\n\n(?=#)", text, re.S)
    return text[: last.start(1)] + "삭제 <2026.9.1>" + text[last.end(1):]


# ---- 2. the report names the articles ---------------------------------------------------------------------------
def test_an_amendment_goes_in_and_the_report_names_its_articles(civil, tmp_path):
    index, text = civil
    amend = tmp_path / "amend.md"
    amend.write_text(_amended(text), encoding="utf-8")
    r = _cli("index", "add", str(amend), "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    report = _report(r)
    assert (report["added"], report["changed"], report["removed"]) == (1, 1193, 0)
    assert report["added_keys"] == ["민법 제1115조의2"] and report["removed_keys"] == []
    assert report["changed_text_keys"] == ["민법 제2조", "민법 제1118조"]
    assert (report["changed_text"], report["changed_dates_only"]) == (2, 1191)
    assert len(report["changed_keys"]) == 1193 and report["changed_keys"][:2] == ["민법 제1조", "민법 제2조"]
    live = load_index(index)
    assert live.articles[live.by_key["민법 제1118조"]].deleted  # the last article turned 삭제: an amendment, not a cut

    # the text summary splits the changes and names the first ten of each list
    again = tmp_path / "again.md"
    again.write_text(_amended(text).replace("\n시행일자: 2026-09-01\n", "\n시행일자: 2026-10-01\n", 1)
                     .replace("신의에 따라 성실히", "신의에 따라 성실하게", 1), encoding="utf-8")
    r = _cli("index", "add", str(again), "--index", str(index))
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert "added 0, changed 1194 (1 in text, 1193 in their dates only), removed 0, unchanged 0" in lines
    assert "changed in text: 민법 제2조" in lines
    assert ("changed in dates only: 민법 제1조, 제3조, 제4조, 제5조, 제6조, 제7조, 제8조, 제9조, 제10조, 제11조 "
            "… and 1183 more") in lines


# ---- 3. a postponed re-read is said ------------------------------------------------------------------------------
def _civil_with_decisions(tmp_path) -> Path:
    """민법 alone (BM25 only) with a precedent memory of the fixture's decisions, read for 민법: a law added later
    (형법) is one its archives were not read for."""
    index = tmp_path / "idx"
    r = _cli("index", "build", str(MULTILAW / "statutes"), "--law", "민법", "--index", str(index), "--model", "none",
             "--precedents", str(MULTILAW / "precedents"))
    assert r.exit_code == 0, r.output
    return index


def test_a_postponed_reread_run_by_another_laws_add_is_said(tmp_path):
    index, statutes = _civil_with_decisions(tmp_path), MULTILAW / "statutes"
    r = _cli("index", "add", str(statutes), "--law", "형법", "--index", str(index), "--no-reread-decisions")
    assert r.exit_code == 0, r.output

    civil = (statutes / "legalize-kr" / "민법" / "법률.md").read_text(encoding="utf-8")
    assert "그 효력이 생긴다." in civil
    amend = tmp_path / "amend.md"
    amend.write_text(civil.replace("그 효력이 생긴다.", "그 효력이 생긴다. 개정", 1), encoding="utf-8")
    r = _cli("index", "add", str(amend), "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    assert ("precedent memory: reading precedents again for the decisions citing 형법, postponed when an earlier add "
            "brought it in (minutes on a full archive; --no-reread-decisions postpones it again)") in r.stderr.splitlines()
    memory = _report(r)["memory"]
    assert memory["reread"]["laws"] == ["형법"] and memory["reread"]["postponed"] == ["형법"]
    assert memory["precedents_added"] == 3 and _report(r)["changed_keys"] == ["민법 제618조"]


def test_a_law_joining_now_is_read_with_the_line_it_had(tmp_path):
    index, statutes = _civil_with_decisions(tmp_path), MULTILAW / "statutes"
    r = _cli("index", "add", str(statutes), "--law", "형법", "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    assert _report(r)["memory"]["reread"]["postponed"] == [] and "postponed" not in r.stderr
    assert "again for the decisions citing 형법 (its decisions were read before it joined this index" in r.stderr
