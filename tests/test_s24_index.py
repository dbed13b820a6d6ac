"""Index writes, interrupted, failed and pruned: findings of testers (session 24), and what happens now.

1. SIGTERM (systemd, ``timeout``, docker, CI) during ``index add`` killed it on the spot: exit 143, nothing said, the
   write's ``.tmp-…`` folder (347 MB) left in the index folder. Now it takes Ctrl-C's path: the temp folder is removed,
   one line on stderr — ``terminated (SIGTERM): nothing written; IDX still serves GEN, as it was`` — exit 143; the
   handler there before is restored afterwards (build, add and remove alike). Ctrl-C had printed two lines
   (``interrupted: nothing written; …`` and ``interrupted (Ctrl-C)``): one now, exit 130.
2. A full disk while numpy wrote an array (``ndarray.tofile`` raises ``OSError('Not enough free space to write N bytes
   after offset M')``, no errno, strerror or filename) said ``error: IDX/.tmp-gpq2th6r: cannot write the new index
   generation (OSError); …`` — the cause missing, a temp folder already deleted named. Now: the index folder, what was
   being written and its file, the cause in words, how much is free there; the previous generation stays live, no
   ``.tmp-*`` is left (nor a renamed generation no ``CURRENT`` names, when the pointer's write fails).
3. The add report did not say what keep-3 pruning deleted. Now a report line (stdout) ``pruned gen-000001 (keep 3, the
   default: …); kept …`` — ``--keep N`` or ``LEGALRET_KEEP_GENERATIONS`` named when they set it — and ``pruned`` in
   ``--json`` (``[]`` when nothing was).
4. A law whose text is not in force yet (the mirror's 근로기준법, from 2027-01-01) was said only by ``index info``. An
   add or build that writes one says it in a note on stderr (``not in force yet: … 근로기준법 (from 2027-01-01)``),
   and ``not_in_force`` in ``--json``; an add that does not touch the law says nothing of it.
5. A second ``index add`` refused by the lock first printed ``collect: 0.0s (cpu 0.0s)``: it is refused before its
   sources are read now. ``index generations`` gets ``index list``'s hint to ``index info`` (exit 2).

By the CLI on the 15-article fixture (``--model none``): typer's runner for reports, ``python -m legalret`` where a
signal or ``legalret.cli.main``'s printing is what is tested.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret import pipeline  # noqa: E402
from legalret.articles import write_articles  # noqa: E402
from legalret.cli import app  # noqa: E402
from legalret.errors import IndexError_  # noqa: E402
from legalret.index.store import IndexLock, current_generation, generations  # noqa: E402
from legalret.search.searcher import Searcher  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "300", "LEGALRET_PROGRESS": "off"}
QUERY = "타인의 물건을 점유한 자의 유치권"
runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, list(args), env=ENV)


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LEGALRET_KEEP_GENERATIONS", raising=False)


@pytest.fixture()
def index(tmp_path) -> Path:
    """The fixture's articles, BM25 only, with a precedent memory (a ``memory/`` part)."""
    d = tmp_path / "idx"
    pipeline.build(sup.articles(), d, model="none", precedents=sup.PRECEDENTS)
    return d


def _amended(where: Path, n: int = 1, name: str = "amended.jsonl") -> Path:
    """The fixture's articles with 민법's first article reworded (``n``: which wording, so that each add changes it)."""
    arts = sup.articles()
    arts[0] = sup.amended(arts[0], arts[0].paragraphs[0].text + f" (개정 {n})")
    path = where / name
    write_articles(path, arts)
    return path


def _temps(index: Path) -> list[str]:
    return sorted(p.name for p in index.glob(".tmp-*"))


# ---- 1. SIGTERM takes Ctrl-C's path --------------------------------------------------------------------------------
#: ``python -m legalret`` whose generation write waits at its fsync (the temp folder is there, full) until signalled.
_SLOW_WRITE = """
import runpy, sys, time
import legalret.index.store as store
real = store.fsync_tree
def slow(path):
    time.sleep(60)
    real(path)
store.fsync_tree = slow
sys.argv = ["legalret", *sys.argv[1:]]
runpy.run_module("legalret", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("sig, code, said", [(signal.SIGTERM, 143, "terminated (SIGTERM)"),
                                             (signal.SIGINT, 130, "interrupted")])
def test_a_signal_during_the_write_removes_the_temp_folder_and_says_one_line(index, tmp_path, sig, code, said):
    live = current_generation(index)
    env = {**os.environ, **ENV}
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITE, "index", "add", str(_amended(tmp_path)), "--index",
                             str(index)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
                            stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while not _temps(index) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _temps(index), proc.communicate(timeout=30)
        time.sleep(0.3)  # (inside the slow fsync: the temp folder is written)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code, err
    lines = [line for line in err.splitlines() if "interrupted" in line or "terminated" in line]
    assert lines == [f"{said}: nothing written; {index} still serves {live}, as it was"], err
    assert "Traceback" not in err and out == ""
    assert _temps(index) == [] and current_generation(index) == live
    assert [g.name for g in generations(index)] == [live.name]


def test_sigterm_in_process_exits_143_and_restores_the_handler(index, tmp_path, monkeypatch):
    """The handler is the command's while it runs only: the one there before is back afterwards (a test process, a
    caller's own)."""
    before = signal.getsignal(signal.SIGTERM)
    live = current_generation(index)

    def terminated(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # (the handler raises here)
        raise AssertionError("SIGTERM was not raised")

    monkeypatch.setattr(pipeline, "add", terminated)
    r = _cli("index", "add", str(_amended(tmp_path)), "--index", str(index))
    assert r.exit_code == 143, r.output
    assert f"terminated (SIGTERM): nothing written; {index} still serves {live}, as it was" in r.output
    assert signal.getsignal(signal.SIGTERM) is before
    monkeypatch.undo()
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    r = _cli("index", "add", str(_amended(tmp_path, 2)), "--index", str(index))
    assert r.exit_code == 0, r.output
    assert signal.getsignal(signal.SIGTERM) is before


# ---- 2. a full disk says where, what and why --------------------------------------------------------------------
NO_SPACE = "Not enough free space to write 1 bytes after offset 0"


def _numpy_full(monkeypatch, where: str) -> None:
    """``np.save`` of a path containing ``where`` fails as numpy's ``tofile`` does on a full disk: the file made,
    then ``OSError(message)`` with no errno, strerror or filename."""
    import numpy as np

    real = np.save

    def save(file, arr, *args, **kwargs):
        if where in str(file):
            Path(str(file) if str(file).endswith(".npy") else f"{file}.npy").write_bytes(b"\x93NUMPY")
            raise OSError(NO_SPACE)
        return real(file, arr, *args, **kwargs)

    monkeypatch.setattr(np, "save", save)


def test_numpy_out_of_space_names_the_index_the_part_and_the_cause(index, monkeypatch):
    live = current_generation(index)
    _numpy_full(monkeypatch, f"{os.sep}memory{os.sep}")
    decision = {"case_no": "2021다3003", "decided": "2021-06-01", "source": "fixture", "holdings": [
        {"index": 1, "text": "유치권자가 점유를 상실하면 유치권은 소멸한다", "keys": ["민법 제320조"]}]}
    with pytest.raises(IndexError_) as e:  # (new holdings: the memory part is written anew, its arrays by numpy)
        pipeline.add([], index, precedents=[decision])
    message = str(e.value)
    assert "\n" not in message and ".tmp-" not in message and "(OSError)" not in message
    assert message.startswith(f"{index}: cannot write the new index generation (writing the precedent memory, memory/")
    assert f".npy: {NO_SPACE}); the previous generation is intact and still live; " in message
    assert " free there, the live generation takes " in message and message.endswith("run it again")
    assert current_generation(index) == live and _temps(index) == []
    assert [g.name for g in generations(index)] == [live.name]
    assert Searcher(index).search(QUERY, k=3, mode="bm25")


def test_numpy_out_of_space_by_the_cli_is_one_error_line(index, tmp_path, monkeypatch):
    live = current_generation(index)
    _numpy_full(monkeypatch, f"{os.sep}tokens{os.sep}")
    r = _cli("index", "add", str(_amended(tmp_path)), "--index", str(index))
    assert r.exit_code == 1
    message = str(r.exception)
    assert message.startswith(f"{index}: cannot write the new index generation (writing the BM25 tokens, tokens/")
    assert f": {NO_SPACE}); the previous generation is intact and still live" in message
    assert current_generation(index) == live and _temps(index) == []


def test_a_failed_pointer_write_leaves_no_generation_nobody_points_at(index, monkeypatch):
    """``CURRENT``'s write failing after the generation was renamed into place had left that generation behind (and
    the next write numbered after it)."""
    import errno

    from legalret.index import store

    live = current_generation(index)
    real = store._write_json

    def write_json(path, obj):
        if path.name == store.CURRENT:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, obj)

    monkeypatch.setattr(store, "_write_json", write_json)
    changed = sup.articles()
    changed[0] = sup.amended(changed[0], changed[0].paragraphs[0].text + " (개정)")
    with pytest.raises(IndexError_, match=r"\(writing the CURRENT pointer: No space left on device\); the previous "
                                          r"generation is intact and still live"):
        pipeline.add(changed, index)
    assert current_generation(index) == live and _temps(index) == []
    assert [g.name for g in generations(index)] == [live.name]


# ---- 3. what pruning removed is said ------------------------------------------------------------------------------
def test_the_report_says_what_was_pruned_and_by_which_keep(index, tmp_path, monkeypatch):
    for n in (1, 2):  # gen-000002, gen-000003: three kept, nothing pruned
        r = _cli("index", "add", str(_amended(tmp_path, n)), "--index", str(index))
        assert r.exit_code == 0 and "pruned" not in r.output, r.output
    r = _cli("index", "add", str(_amended(tmp_path, 3)), "--index", str(index))
    assert r.exit_code == 0, r.output
    assert ("pruned gen-000001 (keep 3, the default: --keep N or LEGALRET_KEEP_GENERATIONS sets it); kept gen-000002, "
            "gen-000003, gen-000004") in r.stdout
    assert [g.name for g in generations(index)] == ["gen-000002", "gen-000003", "gen-000004"]

    r = _cli("index", "add", str(_amended(tmp_path, 4)), "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.strip().splitlines()[-1])["pruned"] == ["gen-000002"]

    monkeypatch.setenv("LEGALRET_KEEP_GENERATIONS", "2")
    r = _cli("index", "add", str(_amended(tmp_path, 5)), "--index", str(index))
    assert r.exit_code == 0, r.output
    assert ("pruned gen-000003, gen-000004 (keep 2: LEGALRET_KEEP_GENERATIONS); kept gen-000005, gen-000006"
            in r.stdout), r.stdout

    r = _cli("index", "remove", "상법", "--index", str(index), "--keep", "1", "--json")
    assert r.exit_code == 0, r.output
    # (gen-000006, before the removal, holds the last copy of 상법: kept past --keep 1, never pruned)
    assert json.loads(r.stdout.strip().splitlines()[-1])["pruned"] == ["gen-000005"]
    r = _cli("index", "add", str(_amended(tmp_path, 6)), "--index", str(index), "--keep", "1")
    assert r.exit_code == 0, r.output  # (상법 back: nothing is a last copy any more)
    assert "pruned gen-000006, gen-000007 (--keep 1); kept gen-000008" in r.stdout, r.stdout


def test_an_unchanged_add_prunes_nothing_and_says_no_pruned_line(index, tmp_path):
    path = tmp_path / "same.jsonl"
    write_articles(path, sup.articles())
    r = _cli("index", "add", str(path), "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert report["wrote"] is False and report["pruned"] == [] and report["not_in_force"] == {}


# ---- 4. a law not in force yet is said by the add and the build ------------------------------------------------
def _labor_law(where: Path, day: str = "2999-01-01") -> Path:
    """A 근로기준법 of two articles whose text takes effect on ``day``."""
    arts = []
    for number, art in enumerate(sup.articles()[:2], start=1):
        art = copy.deepcopy(art)
        art.law, art.law_id, art.number, art.effective_date = "근로기준법", "001872", number, day
        arts.append(art)
    path = where / "labor.jsonl"
    write_articles(path, arts)
    return path


def test_an_add_of_a_law_not_in_force_yet_says_so(index, tmp_path):
    r = _cli("index", "add", str(_labor_law(tmp_path)), "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.strip().splitlines()[-1])["not_in_force"] == {"근로기준법": "2999-01-01"}
    assert ("note: not in force yet: the version of 1 law written here takes effect later — 근로기준법 (from "
            "2999-01-01); a search names the articles that version wrote") in r.stderr
    info = _cli("index", "info", "--index", str(index))
    assert "not in force yet: the version of 1 law held here takes effect later — 근로기준법 (from 2999-01-01)" \
        in info.stdout

    # an add that does not touch it: nothing said of it
    r = _cli("index", "add", str(_amended(tmp_path)), "--index", str(index), "--keep-missing")
    assert r.exit_code == 0, r.output
    assert "not in force" not in r.output


def test_a_build_with_a_law_not_in_force_yet_says_so(tmp_path):
    source = tmp_path / "all.jsonl"
    labor = _labor_law(tmp_path, "2998-03-01")
    source.write_text((tmp_path / "labor.jsonl").read_text(encoding="utf-8")
                      + _amended(tmp_path).read_text(encoding="utf-8"), encoding="utf-8")
    assert labor.is_file()
    r = _cli("index", "build", str(source), "--index", str(tmp_path / "built"), "--model", "none")
    assert r.exit_code == 0, r.output
    assert "not in force yet: the version of 1 law written here takes effect later — 근로기준법 (from 2998-03-01)" \
        in r.stderr


# ---- 5. the lock is checked first; `index generations` ---------------------------------------------------------
def test_a_locked_index_is_refused_before_the_sources_are_read(index, tmp_path, monkeypatch):
    from legalret.cli import index as cli_index

    def never(*args, **kwargs):
        raise AssertionError("the sources were read")

    monkeypatch.setattr(cli_index, "load_articles", never)
    with IndexLock(index):
        for args in (("add", str(_amended(tmp_path))), ("remove", "상법")):
            r = _cli("index", *args, "--index", str(index))
            assert r.exit_code == 1, r.output
            assert "index is locked by another build or add (pid " in str(r.exception)
            assert "collect:" not in r.output


@pytest.mark.parametrize("name", ["generations", "list"])
def test_index_generations_points_to_index_info(name):
    r = subprocess.run([sys.executable, "-m", "legalret", "index", name], capture_output=True, text=True, timeout=120,
                       env={**os.environ, **ENV}, cwd=REPO, stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert r.stderr.strip() == (f"error: No such command '{name}'. The generations and what the index holds: "
                                "legalret index info (see `python -m legalret index --help`)"), r.stderr


# ---- a bad build setting is said before anything is read ------------------------------------------------------------
@pytest.mark.parametrize("variable, value", [("LEGALRET_PRECISION", "fp64"), ("LEGALRET_PASSAGE_ENCODER", "onnx-fp16"),
                                             ("LEGALRET_READ_AHEAD", "bogus")])
def test_a_bad_build_setting_is_refused_before_the_sources_are_read(tmp_path, variable, value):
    """``LEGALRET_PRECISION=fp64`` had been said only once the encoder was loaded (34–70 s into a build on a fresh
    home); now ``index build`` and ``index add`` check the settings they read later first: one line, nothing made."""
    source = tmp_path / "civil.jsonl"
    write_articles(source, [a for a in sup.articles() if a.law == "민법"])
    env = {**os.environ, variable: value, "LEGALRET_HOME": str(tmp_path / "home"), "LEGALRET_RESIDENT": "off"}
    for command in ("build", "add"):
        proc = subprocess.run([sys.executable, "-m", "legalret", "index", command, str(source), "--index",
                               str(tmp_path / "idx"), "--model", "none"], capture_output=True, text=True, env=env,
                              timeout=120)
        assert proc.returncode == 1 and proc.stderr.startswith(f"error: {variable}='{value}'"), proc.stderr
        assert proc.stderr.count("\n") == 1 and not (tmp_path / "idx").exists()
