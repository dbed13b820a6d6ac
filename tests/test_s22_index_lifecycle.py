"""Keeping an index current: findings of a clerk (session 22).

1. An ``index add`` that turned an article 삭제 reported it as one more "changed" key: the report lists
   ``repealed_keys`` (and a ``repealed:`` line, and the count beside the changed), still among the changed.
2. ``index info`` said nothing of the ``.tmp-…`` folder a write killed midway leaves (hundreds of MB): it lists them
   with their size and what removes them — not those of a write in progress — and removes nothing itself.
3. ``legalret index list`` / ``index status``: "No such command" with nowhere to look; the error names ``index info``.
4. No command removed a generation, and pruning keeps the last copy of removed articles forever: ``index forget N``
   removes one kept, non-live generation, naming what would be lost and refusing it without ``--yes``.
5. ``index rollback --to N`` with N live was an error (exit 1); it changes nothing and says so, exit 0.

By the real CLI on the multilaw fixture (``--model none``): typer's runner for reports, ``python -m legalret`` where
the one-line error printing (``legalret.cli.main``) is what is tested.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from pathlib import Path

import pytest
from test_renamed_law_s18 import MULTILAW, _cli, _process, _report, built_index  # (same data, same runs)

from legalret.index.store import current_generation, generations, load_index

STATUTES = MULTILAW / "statutes" / "legalize-kr"
CRIMINAL = "형법"


def _bm25_index(tmp_path: Path, *laws: str, precedents: bool = False) -> Path:
    """An index of the fixture's ``laws`` (BM25 only, no memory unless ``precedents``) at ``tmp_path/idx``."""
    if precedents:
        return built_index(tmp_path, *laws)
    index = tmp_path / "idx"
    r = _cli("index", "build", str(MULTILAW / "statutes"), *(a for law in laws for a in ("--law", law)),
             "--index", str(index), "--model", "none")
    assert r.exit_code == 0, r.output
    return index


def _names(index: Path) -> list[str]:
    return [g.name for g in generations(index)]


# ---- 1. a repeal is named apart from the amendments ---------------------------------------------------------------
def _amended_criminal(where: Path) -> Path:
    """The fixture's 형법 with 제250조 reworded and 제329조 turned 삭제."""
    text = (STATUTES / CRIMINAL / "법률.md").read_text(encoding="utf-8")
    text = re.sub(r"(##### 제250조[^\n]*\n\n[^\n]*)", r"\1 개정", text, count=1)
    text, n = re.subn(r"(##### 제329조[^\n]*\n\n).*?(?=\n\n#)", r"\1삭제 <2026.9.1>", text, count=1, flags=re.S)
    assert n == 1
    path = where / "형법.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_repeal_is_listed_as_repealed_and_still_counted_among_the_changed(tmp_path):
    index = _bm25_index(tmp_path, "민법", CRIMINAL)
    amended = _amended_criminal(tmp_path)
    r = _cli("index", "add", str(amended), "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    report = _report(r)
    assert report["changed_keys"] == ["형법 제250조", "형법 제329조"]
    assert (report["repealed_keys"], report["repealed"], report["changed"]) == (["형법 제329조"], 1, 2)
    live = load_index(index)
    assert live.articles[live.by_key["형법 제329조"]].deleted

    # the text summary, from the same state again (rolled back): the count and a `repealed:` line
    assert _cli("index", "rollback", "--index", str(index)).exit_code == 0
    r = _cli("index", "add", str(amended), "--index", str(index))
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()  # (the report: stdout)
    assert "added 0, changed 2 (1 repealed), removed 0, unchanged 1" in lines
    assert "changed: 형법 제250조, 제329조" in lines and "repealed: 형법 제329조" in lines

    # an article already 삭제 is no new repeal
    again = tmp_path / "again.md"
    again.write_text(amended.read_text(encoding="utf-8").replace("개정", "개정함", 1), encoding="utf-8")
    r = _cli("index", "add", str(again), "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    assert (_report(r)["changed_keys"], _report(r)["repealed_keys"]) == (["형법 제250조"], [])


# ---- 2. index info lists leftover temp folders ---------------------------------------------------------------------
def _leftover(index: Path, name: str = ".tmp-killed1", size: int = 300_000) -> Path:
    """A ``.tmp-`` folder as a write killed midway leaves it (files of a generation never renamed)."""
    folder = index / name
    (folder / "tokens").mkdir(parents=True)
    (folder / "tokens" / "part.npy").write_bytes(b"\0" * size)
    return folder


def test_info_lists_leftover_temp_folders_with_their_size_and_removes_nothing(tmp_path):
    index = _bm25_index(tmp_path, "민법")
    folder = _leftover(index)
    r = _cli("index", "info", "--index", str(index))
    assert r.exit_code == 0, r.output
    assert ("leftover temp folders: .tmp-killed1 (0.3 MB) — left by a write that was interrupted (a killed build, "
            "add, remove or forget), part of no generation; the next `index build`, `index add` or `index remove` "
            "that writes a generation removes them, or the next search that opens this index (safe to delete by "
            "hand while no write runs)") in r.stdout.splitlines()
    info = json.loads(_cli("index", "info", "--index", str(index), "--json").stdout)
    assert (info["leftover_temps"], info["write_in_progress"]) == ([{"folder": ".tmp-killed1", "bytes": 300_000}], False)
    assert folder.is_dir()  # (info only reads)

    # what the line says removes them does: a search opening the index …
    load_index(index)
    assert not folder.exists()
    # … and an add that writes a generation
    folder = _leftover(index)
    r = _cli("index", "add", str(STATUTES / CRIMINAL), "--index", str(index), "--no-reread-decisions")
    assert r.exit_code == 0, r.output
    assert not folder.exists()
    info = json.loads(_cli("index", "info", "--index", str(index), "--json").stdout)
    assert info["leftover_temps"] == [] and "temp folders" not in _cli("index", "info", "--index", str(index)).stdout


def test_info_takes_the_temp_folder_of_a_write_in_progress_for_its_work_not_a_leftover(tmp_path):
    index = _bm25_index(tmp_path, "민법")
    folder = _leftover(index, ".tmp-writing")
    fd = os.open(index / ".lock", os.O_RDWR)  # a writer holding the index lock (as IndexLock does)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(fd, 0)
        os.pwrite(fd, b"4242", 0)
        r = _cli("index", "info", "--index", str(index))
        assert r.exit_code == 0, r.output
        assert ("write in progress (pid 4242): .tmp-writing (0.3 MB) — the new generation being written"
                in r.stdout.splitlines())
        assert "leftover" not in r.stdout
        info = json.loads(_cli("index", "info", "--index", str(index), "--json").stdout)
        assert (info["leftover_temps"], info["write_in_progress"]) == ([], True)
    finally:
        os.close(fd)
    assert folder.is_dir()


# ---- 3. index list / index status name index info ------------------------------------------------------------------
@pytest.mark.parametrize("command", ["list", "status"])
def test_index_list_and_status_name_index_info(tmp_path, command):
    index = _bm25_index(tmp_path, "민법")
    message = f"No such command {command!r}. The generations and what the index holds: legalret index info"
    proc = _process("index", command, "--index", str(index))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [f"error: {message} (see `python -m legalret index --help`)"]
    proc = _process("index", command, "--json")
    assert proc.returncode == 2 and json.loads(proc.stdout) == {"error": message, "exit": 2}
    # (other unknown commands as before: typer's message and its "Did you mean")
    proc = _process("index", "infoo")
    assert proc.returncode == 2 and "No such command 'infoo'. Did you mean 'info'?" in proc.stderr


# ---- 4. index forget ------------------------------------------------------------------------------------------------
def test_forget_names_the_last_copies_and_removes_them_only_with_yes(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGALRET_KEEP_GENERATIONS", "1")
    index = _bm25_index(tmp_path, "민법", CRIMINAL)
    assert _cli("index", "remove", CRIMINAL, "--index", str(index)).exit_code == 0
    assert _names(index) == ["gen-000001", "gen-000002"]  # gen 1, the last copy of 형법, kept past keep 1

    # index info says which command removes it
    [why] = [line for line in _cli("index", "info", "--index", str(index)).stdout.splitlines()
             if line.startswith("more than keep 1: ")]
    assert why.endswith("— pruning never deletes a last copy; "
                        f"`legalret index rollback --index {index} --to 1` returns to it, "
                        f"`legalret index forget 1 --index {index} --yes` removes it with them")
    assert "no command removes" not in why

    proc = _process("index", "forget", "1", "--index", str(index))
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"error: {index}: gen-000001 holds the last copy of 3 article(s) (형법 제250조, 형법 제329조, 형법 제347조) — "
        "no other kept generation holds them; nothing was removed — pass --yes to delete them with it, or "
        f"`legalret index rollback --index {index} --to 1` makes it live"]
    assert _names(index) == ["gen-000001", "gen-000002"]

    size = sum(p.stat().st_size for p in (index / "gen-000001").rglob("*") if p.is_file())
    r = _cli("index", "forget", "gen-000001", "--index", str(index), "--yes", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {
        "index": str(index), "removed": "gen-000001", "bytes_freed": size,
        "articles_lost": ["형법 제250조", "형법 제329조", "형법 제347조"], "memory_items_lost": 0,
        "was_rollback_target": True, "live": "gen-000002", "kept": ["gen-000002"]}
    assert r.stderr.splitlines()[-1] == (
        f"{index}: removed gen-000001, {size / 1e3:.1f} kB freed, with the last copy of 3 article(s) (형법 제250조, "
        "형법 제329조, 형법 제347조); it was the generation a plain `index rollback` returned to; kept generations: gen-000002 "
        "(live gen-000002)")
    assert _names(index) == ["gen-000002"] and not list(index.glob(".tmp-*"))
    assert "more than keep" not in _cli("index", "info", "--index", str(index)).stdout


def test_forget_names_memory_items_it_would_lose(tmp_path):
    index = _bm25_index(tmp_path, "민법")
    decisions = MULTILAW / "precedents"
    r = _cli("index", "add", "--precedents", str(decisions), "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    items = _report(r)["memory"]["items"]
    assert items > 0 and _cli("index", "rollback", "--index", str(index)).exit_code == 0  # gen 2 alone holds them

    proc = _process("index", "forget", "2", "--index", str(index))
    assert proc.returncode == 1
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith(f"error: {index}: gen-000002 holds the last copy of {items} precedent or facts memory "
                           "item(s) (")
    assert " (memory)" in line and "nothing was removed — pass --yes" in line
    r = _cli("index", "forget", "2", "--index", str(index), "--yes", "--json")
    assert r.exit_code == 0, r.output
    assert (json.loads(r.stdout)["memory_items_lost"], _names(index)) == (items, ["gen-000001"])


def test_forget_without_last_copies_needs_no_yes(tmp_path):
    index = _bm25_index(tmp_path, "민법")
    r = _cli("index", "add", str(STATUTES / CRIMINAL), "--index", str(index))
    assert r.exit_code == 0, r.output
    r = _cli("index", "forget", "1", "--index", str(index), "--json")  # (gen 2 holds every article gen 1 held)
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert (report["removed"], report["articles_lost"], report["memory_items_lost"]) == ("gen-000001", [], 0)
    assert ", with the last copy" not in r.stderr and _names(index) == ["gen-000002"]


def test_forget_refuses_the_live_one_a_generation_not_kept_and_a_locked_index(tmp_path):
    index = _bm25_index(tmp_path, "민법")
    assert _cli("index", "add", str(STATUTES / CRIMINAL), "--index", str(index)).exit_code == 0
    cases = {
        ("2",): f"{index}: gen-000002 is the live generation; nothing was removed — a live generation is not "
                f"forgotten (`legalret index rollback --index {index}` makes another live first)",
        ("7",): f"{index}: no generation '7' (kept: gen-000001, gen-000002); nothing was removed",
        ("latest",): f"{index}: no generation 'latest' (kept: gen-000001, gen-000002); nothing was removed",
    }
    for args, message in cases.items():
        proc = _process("index", "forget", *args, "--index", str(index))
        assert (proc.returncode, proc.stderr.strip().splitlines()) == (1, [f"error: {message}"])
        proc = _process("index", "forget", *args, "--index", str(index), "--json")
        assert proc.returncode == 1 and json.loads(proc.stdout) == {"error": message, "exit": 1}
    fd = os.open(index / ".lock", os.O_RDWR)  # a build in progress
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(fd, 0)
        os.pwrite(fd, b"4242", 0)
        proc = _process("index", "forget", "1", "--index", str(index))
        assert (proc.returncode, proc.stderr.strip().splitlines()) == (1, [
            f"error: {index}: index is locked by another build or add (pid 4242); try again when it finishes"])
    finally:
        os.close(fd)
    assert _names(index) == ["gen-000001", "gen-000002"] and current_generation(index).name == "gen-000002"


# ---- 5. a rollback to the live generation changes nothing, exit 0 ------------------------------------------------
def test_rollback_to_the_live_generation_is_a_no_op_that_says_so(tmp_path):
    index = _bm25_index(tmp_path, "민법")
    assert _cli("index", "add", str(STATUTES / CRIMINAL), "--index", str(index)).exit_code == 0
    pointer = (index / "CURRENT").read_bytes()
    for to in ("2", "gen-000002"):
        r = _cli("index", "rollback", "--index", str(index), "--to", to, "--json")
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout) == {"index": str(index), "live": "gen-000002", "was": "gen-000002",
                                        "kept": ["gen-000001", "gen-000002"], "changed": False}
        assert r.stderr.splitlines() == [
            f"{index}: gen-000002 is already live; nothing changed; kept generations: gen-000001, gen-000002"]
    assert (index / "CURRENT").read_bytes() == pointer  # (not even rewritten)

    # a real rollback says it changed, and re-running it is the no-op
    r = _cli("index", "rollback", "--index", str(index), "--to", "1", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["changed"] is True
    proc = _process("index", "rollback", "--index", str(index), "--to", "1")
    assert proc.returncode == 0 and "gen-000001 is already live; nothing changed" in proc.stdout  # (the report)
    assert current_generation(index).name == "gen-000001"
