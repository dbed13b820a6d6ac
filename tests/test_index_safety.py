"""No silent data loss and no wrong answers from a damaged index: the removal guard, unchanged re-adds,
kept generations + rollback, cheap checksum checks at open, and library errors turned into one line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret import pipeline  # noqa: E402
from legalret.cli import app  # noqa: E402
from legalret.errors import IndexError_, LegalretError  # noqa: E402
from legalret.index.store import (  # noqa: E402
    STAMP,
    IndexLock,
    current_generation,
    generations,
    load_index,
    read_manifest,
    rollback,
    verify_generation,
)
from legalret.search.searcher import Searcher  # noqa: E402

runner = CliRunner()
QUERY = "타인의 물건을 점유한 자의 유치권"
PRECEDENTS = [{"case_no": "2018다2002", "decided": "2018-05-02", "holdings": [
    {"index": 1, "text": "타인의 물건을 점유한 자가 그 물건에 관하여 생긴 채권으로 유치권을 주장할 수 있는지",
     "keys": ["민법 제320조"]}]}]


@pytest.fixture()
def index(tmp_path):
    d = tmp_path / "idx"
    pipeline.build(sup.articles(), d, model="none", precedents=PRECEDENTS)
    return d


def _flip(path: Path, offset: int = -8) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def _cli(*args: str):
    return runner.invoke(app, list(args), env={"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"})


def test_truncated_law_is_refused_unless_allowed(index):
    civil = [a for a in sup.articles() if a.law == "민법"]
    with pytest.raises(IndexError_, match=r"would remove 6 of 8 articles of 민법.*--allow-removals") as e:
        pipeline.add(civil[:2], index)
    assert "\n" not in str(e.value)
    assert len(generations(index)) == 1
    rows = len(load_index(index).rows)
    report = pipeline.add(civil[:2], index, allow_removals=True)
    assert report.removed == 7 and len(load_index(index).rows) == rows - 6  # (the 7th was a deleted article)


def test_unchanged_re_add_writes_nothing(index):
    gen = current_generation(index).name
    report = pipeline.add(sup.articles(), index)
    assert not report.wrote and report.generation == gen and report.unchanged == len(sup.articles())
    assert [g.name for g in generations(index)] == [gen]
    r = _cli("index", "add", "--index", str(index), "--json", str(_jsonl(index.parent, sup.articles())))
    assert r.exit_code == 0, r.output
    assert json.loads(r.output.splitlines()[-1])["wrote"] is False
    r = _cli("index", "add", "--index", str(index), str(_jsonl(index.parent, sup.articles())))
    assert "unchanged" in r.output


def test_a_malformed_articles_file_is_skipped_and_the_batch_goes_on(index):
    """`index add good.jsonl bad.jsonl`: the bad file is named on one line (and in the JSON report's ``skipped``),
    the good one is added; the bad file's laws are left as they were — and the exit code is 3, not 0 (a script had
    no way to tell that a law it gave was not indexed)."""
    civil = [a for a in sup.articles() if a.law == "민법"]
    good = _jsonl(index.parent, [sup.amended(civil[0], "이 조문은 개정되었다.")])
    bad = index.parent / "bad.jsonl"  # an amended article, then a broken line: the amendment must not land
    bad.write_text(json.dumps(sup.amended(civil[1], "이 조문도 개정되었다.").to_dict(), ensure_ascii=False)
                   + "\n{not json\n", encoding="utf-8")
    r = _cli("index", "add", "--index", str(index), "--keep-missing", "--json", str(good), str(bad))
    assert r.exit_code == 3, r.output
    report = json.loads(r.stdout.splitlines()[-1])
    assert report["changed"] == 1 and report["wrote"] is True and report["files_skipped"] == 1
    assert len(report["skipped"]) == 1 and report["skipped"][0].startswith(f"{bad}:2: not an article record")
    lines = [line for line in r.output.splitlines() if line.startswith("skipped:")]
    assert lines == [f"skipped: {report['skipped'][0]}"]
    assert r.stderr.splitlines()[-1] == "indexed with 1 source file skipped (named above, not in the index); exit 3"
    texts = {a.key: a for a in load_index(index).articles}
    assert texts[civil[0].key] != civil[0] and texts[civil[1].key] == civil[1]


def _jsonl(where: Path, articles) -> Path:
    from legalret.articles import write_articles

    path = where / "articles.jsonl"
    write_articles(path, articles)
    return path


def test_generations_are_kept_and_rollback_restores_one(index, monkeypatch):
    first = current_generation(index).name
    amended = [sup.amended(a, a.body_text() + " 개정.") if a.key == "민법 제320조" else a for a in sup.articles()]
    pipeline.add(amended, index)
    second = current_generation(index).name
    assert [g.name for g in generations(index)] == [first, second]
    with IndexLock(index), pytest.raises(IndexError_, match="locked"):
        rollback(index)  # a writer holds the index
    assert rollback(index) == first
    assert current_generation(index).name == first
    assert "개정" not in Searcher(index).article("민법 제320조").body_text()
    r = _cli("index", "rollback", "--index", str(index), "--to", second.split("-")[1].lstrip("0"))
    assert r.exit_code == 0 and f"{second} is live" in r.output, r.output
    # --verify checks the kept generations too (a rollback to a damaged one had failed, advising a rollback)
    verified = _cli("index", "info", "--index", str(index), "--verify")
    assert f"kept {first}: all files match (a rollback can return to it)" in verified.output.replace("\n", "")
    victim = next(p for p in (index / first).rglob("*") if p.is_file() and p.name != "manifest.json")
    original = victim.read_bytes()
    victim.write_bytes(bytes([original[0] ^ 0xFF]) + original[1:])
    verified = _cli("index", "info", "--index", str(index), "--verify")
    assert verified.exit_code == 0 and f"kept {first}: damaged — a rollback cannot return to it" in \
        verified.output.replace("\n", "")
    victim.write_bytes(original)
    with pytest.raises(IndexError_, match="no generation 'gen-000099'"):
        rollback(index, "gen-000099")
    for _ in range(3):  # default: 3 generations kept
        amended = [sup.amended(a, a.body_text() + " 개정.") if a.key == "민법 제320조" else a for a in amended]
        pipeline.add(amended, index)
    assert len(generations(index)) == 3
    monkeypatch.setenv("LEGALRET_KEEP_GENERATIONS", "1")
    pipeline.add(sup.articles(), index)
    assert [g.name for g in generations(index)] == [current_generation(index).name]
    with pytest.raises(IndexError_, match="no earlier generation"):
        rollback(index)


@pytest.mark.parametrize("value", ["0", "abc", "-2"])
def test_a_bad_keep_generations_setting_is_refused_before_anything_is_written(index, monkeypatch, value):
    """LEGALRET_KEEP_GENERATIONS=0 had become 1 and pruned every generation a rollback could return to; 'abc' was
    the default without a word."""
    gens = [g.name for g in generations(index)]
    monkeypatch.setenv("LEGALRET_KEEP_GENERATIONS", value)
    civil = [a for a in sup.articles() if a.law == "민법"]
    changed = [civil[0].__class__(**{**civil[0].__dict__, "title": civil[0].title + " (개정)"})] + civil[1:]
    with pytest.raises(LegalretError, match=f"LEGALRET_KEEP_GENERATIONS='{value}': give a whole number, 1 or more"):
        pipeline.add(changed, index)
    assert [g.name for g in generations(index)] == gens


def test_a_rollback_after_a_rollback_and_an_add_returns_to_the_parent(index, monkeypatch):
    """Roll back from a bad update, add a good one, roll back again: the default went to the bad generation (the
    newest older number) and pruning removed the good one the user had returned to. Each generation now names the one
    it was made from: a rollback returns there, and pruning keeps that line ahead of the generation rolled away from."""
    def text(marker):
        return [sup.amended(a, a.body_text() + f" {marker}.") if a.key == "민법 제320조" else a for a in sup.articles()]

    good = current_generation(index).name
    pipeline.add(text("잘못된개정"), index)
    bad = current_generation(index).name
    assert rollback(index) == good
    pipeline.add(text("바른개정"), index)
    assert read_manifest(index)["parent"] == good
    assert rollback(index) == good  # (it was the bad one)
    assert "잘못된개정" not in Searcher(index).article("민법 제320조").body_text()
    with pytest.raises(IndexError_, match=f"{good} is already live"):
        rollback(index, good)
    monkeypatch.setenv("LEGALRET_KEEP_GENERATIONS", "2")
    pipeline.add(text("또다른개정"), index)  # live, and one more kept: its parent, not the generation rolled away from
    assert good in [g.name for g in generations(index)] and bad not in [g.name for g in generations(index)]
    assert rollback(index) == good


def test_a_rollback_whose_parent_was_pruned_refuses_rather_than_jump_to_another_line(tmp_path, monkeypatch):
    """build A; add B; rollback; add C with --keep 1: the parent (A alone) is pruned, the A+B generation kept (it
    holds B, which no other has). A plain rollback went to A+B — the state the user had rolled away from, dropping C.
    It now refuses in one line naming what is kept and how to go there anyway (--to, which still works)."""
    def law(name):
        return [a for a in sup.articles() if a.law == name]

    index = tmp_path / "idx"
    pipeline.build(law("민법"), index, model="none")
    first = current_generation(index).name
    pipeline.add(law("상법"), index)
    sibling = current_generation(index).name
    assert rollback(index) == first
    monkeypatch.setenv("LEGALRET_KEEP_GENERATIONS", "1")
    pipeline.add(law("민법 시행령"), index)
    live = current_generation(index).name
    # the pruning policy: the parent holds nothing the live one lacks (gone); the sibling holds 상법 alone (kept)
    assert [g.name for g in generations(index)] == [sibling, live]
    r = _cli("index", "rollback", "--index", str(index))
    assert r.exit_code == 1 and isinstance(r.exception, IndexError_), r.output
    line = str(r.exception)
    assert "\n" not in line and current_generation(index).name == live
    assert line == (f"{index}: {live} was made from {first}, which is no longer kept (pruned), and no earlier state of "
                    f"{live} is kept — kept: {sibling}, made before {first} was live again (another line) — "
                    f"`legalret index rollback --index {index} --to {int(sibling[4:])}` goes to {sibling} anyway")
    (index / "CURRENT").write_text("not json", encoding="utf-8")  # a garbage pointer is still repaired, not refused
    assert rollback(index) == live
    r = _cli("index", "rollback", "--index", str(index), "--to", str(int(sibling[4:])))  # the user's choice: allowed
    assert r.exit_code == 0 and f"{sibling} is live (was {live})" in r.output, r.output
    # from the sibling (its parent pruned too) only a newer generation is kept: nothing earlier, as before
    with pytest.raises(IndexError_, match=f"no earlier generation to roll back to \\({sibling} is the oldest kept"):
        rollback(index)


@pytest.mark.parametrize("victim", ["bm25/data.csc.index.npy", "tokens/ids.npy", "articles.jsonl", "catalog.json",
                                    "catalog.npz", "bm25/vocab.sorted.npz", "rows.json", "memory/items.jsonl",
                                    "memory/bm25/data.csc.index.npy", "memory/bm25/counts.csc.index.npy",
                                    "memory/cases.ids.npy"])
def test_a_flipped_byte_is_an_error_naming_the_file_never_an_answer(index, victim):
    Searcher(index).search(QUERY)  # verified once: the stamp is written
    gen = current_generation(index)
    assert (gen / STAMP).is_file()
    _flip(gen / victim)
    with pytest.raises(IndexError_, match=rf"{victim}: corrupted index file.*legalret index rollback") as e:
        Searcher(index)
    assert "\n" not in str(e.value)
    # index add must not re-checksum the bad data as good
    with pytest.raises(IndexError_, match="corrupted"):
        pipeline.add([sup.amended(sup.articles()[0], "바뀐 본문.")], index, remove_missing=False)


def test_library_errors_while_reading_become_one_line(index):
    gen = current_generation(index)
    _flip(gen / "catalog.npz", 0)  # not a zip any more: a raw zipfile/numpy error without the wrapper
    with pytest.raises(IndexError_, match=r"catalog.npz: cannot read the index file .*rebuild \(legalret index build\)"):
        load_index(index, verify="none")
    (gen / "catalog.npz").unlink()  # a generation written before catalog.npz: catalog.json is read
    _flip(gen / "catalog.json", 0)  # not JSON any more: a raw json/UnicodeDecodeError without the wrapper
    with pytest.raises(IndexError_, match=r"catalog.json: cannot read the index file .*rebuild \(legalret index build\)"):
        load_index(index, verify="none")
    pointer = index / "CURRENT"
    pointer.write_bytes(b"\xff\xfe")
    with pytest.raises(IndexError_, match="CURRENT: corrupted index pointer"):
        load_index(index)


def test_stamp_skips_the_full_hash_until_a_file_changes(index):
    gen = current_generation(index)
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    (gen / STAMP).unlink(missing_ok=True)
    assert verify_generation(gen, manifest) is True  # hashed, stamp written
    assert verify_generation(gen, manifest) is False  # stamp matches: no hashing
    os.utime(gen / "rows.json")  # touched (same bytes): hashed again, still good
    assert verify_generation(gen, manifest) is True


def test_index_path_errors_are_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    r = _cli("index", "build", str(_jsonl(tmp_path, sup.articles())), "--index", str(tmp_path / "file"), "--model", "none")
    assert isinstance(r.exception, LegalretError) and "is a file, not an index directory" in str(r.exception)
    r = _cli("index", "info", "--index", str(tmp_path / "nothing"))
    assert isinstance(r.exception, LegalretError) and str(r.exception).startswith(f"no index at {tmp_path / 'nothing'}: build one")


def test_a_generation_is_readable_by_others_and_a_read_only_index_is_one_line(index, monkeypatch):
    """mkdtemp made every generation folder 0700: an index built by one user and served by another (User=legalret)
    was a PermissionError traceback; a read-only index folder was one too (its lock file could not be made)."""
    import stat

    umask = os.umask(0)
    os.umask(umask)
    gen = current_generation(index)
    assert stat.S_IMODE((index / gen).stat().st_mode) == 0o777 & ~umask
    real_open = os.open

    def read_only(path, *args, **kwargs):
        if str(path).endswith(".lock"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    with pytest.raises(IndexError_, match=r"cannot write here \(Permission denied; read-only\?\)"):
        pipeline.add(sup.articles()[:1], index)


def test_faiss_out_of_space_is_one_line_and_keeps_the_live_generation(tmp_path, monkeypatch):
    """faiss raises its own RuntimeError when the disk is full: it was a 67-line traceback."""
    import faiss

    index = tmp_path / "dense"
    pipeline.build(sup.articles(), index, encoder=sup.tiny_encoder())
    live = current_generation(index)

    def full(*args, **kwargs):
        raise RuntimeError("Error in faiss::FileIOWriter::operator() at /faiss/impl/io.cpp:98: fwrite failed "
                           "(No space left on device)")

    monkeypatch.setattr(faiss, "write_index", full)
    civil = [a for a in sup.articles() if a.law == "민법"]
    changed = [civil[0].__class__(**{**civil[0].__dict__, "title": civil[0].title + " (개정)"})] + civil[1:]
    with pytest.raises(IndexError_, match=r"No space left on device\)+; the previous generation is intact") as e:
        pipeline.add(changed, index, encoder=sup.tiny_encoder())
    assert "\n" not in str(e.value) and current_generation(index) == live


@pytest.mark.parametrize("where", ["tempfile.mkdtemp", "legalret.index.store.fsync_tree"])
def test_disk_full_anywhere_in_a_write_is_one_line_and_keeps_the_live_generation(index, monkeypatch, where):
    import errno

    live = current_generation(index)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(where, full)
    civil = [a for a in sup.articles() if a.law == "민법"]
    changed = [civil[0].__class__(**{**civil[0].__dict__, "title": civil[0].title + " (개정)"})] + civil[1:]
    with pytest.raises(IndexError_, match="previous generation is intact") as e:
        pipeline.add(changed, index)
    assert "\n" not in str(e.value)
    assert current_generation(index) == live and not list(index.glob(".tmp-*"))
    assert Searcher(index).search(QUERY, k=3, mode="bm25")


def test_ctrl_c_during_an_add_says_what_is_live(index, monkeypatch):
    """Ctrl-C during `index add` / `index build` ended on a progress bar, exit 130, without a word."""
    live = current_generation(index)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "add", interrupted)
    r = _cli("index", "add", str(_jsonl(index.parent, sup.articles())), "--index", str(index))
    assert isinstance(r.exception, KeyboardInterrupt) or r.exit_code != 0
    assert f"interrupted: nothing written; {index} still serves {live}, as it was" in r.output.replace("\n", "")


def test_ctrl_c_after_the_write_says_the_generation_is_live(tmp_path, monkeypatch):
    """Ctrl-C in a build's ONNX export, after the generation was written, had said nothing (exit 130): a good
    build read as failed. It says the generation is live and how to finish the export; still exit 130."""
    import atexit
    import signal

    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))  # no export there yet

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "export_query_encoder", interrupted)
    index = tmp_path / "idx"
    r = _cli("index", "build", str(_jsonl(tmp_path, sup.articles())), "--index", str(index),
             "--model", str(sup.tiny_model_dir()))
    out = r.output.replace("\n", "")
    assert r.exit_code == 130 or isinstance(r.exception, KeyboardInterrupt), out
    assert ("interrupted after gen-000001 was written: it is live and complete; the query encoder's ONNX export was "
            f"not finished — `legalret index export --index {index}` writes it") in out, out
    assert "nothing written" not in out
    assert current_generation(index).name == "gen-000001" and Searcher(index).search(QUERY, k=3)

    # once the report is printed only the interpreter's teardown is left: Ctrl-C there is ignored (exit 0, not 130)
    registered = []
    monkeypatch.setattr(atexit, "register", lambda *a: registered.append(a))
    r = _cli("index", "build", str(_jsonl(tmp_path, sup.articles())), "--index", str(tmp_path / "bm"), "--model", "none")
    assert r.exit_code == 0, r.output
    assert (signal.signal, signal.SIGINT, signal.SIG_IGN) in registered


def test_add_model_that_is_not_the_index_encoder_is_one_line(tmp_path):
    """`index add --model none` on an index with vectors fell through to the spec parser ("model spec 'none': no
    such directory"); an encoder asked of a BM25-only index: both say the index's encoder and to omit --model."""
    dense, bm25 = tmp_path / "dense", tmp_path / "bm25"
    pipeline.build(sup.articles(), dense, encoder=sup.tiny_encoder())
    pipeline.build(sup.articles(), bm25, model="none")
    changed = [sup.amended(sup.articles()[0], "물건을 점유하는 자는 점유권이 있다.")]
    recorded = read_manifest(dense)["encoder"]["spec"]
    with pytest.raises(IndexError_, match=rf"the index's encoder is {recorded}, and --model none does not match it; "
                                          ".*omit --model") as e:
        pipeline.add(changed, dense, model="none")
    assert "\n" not in str(e.value)
    with pytest.raises(IndexError_, match="the index has no encoder .*--model bundled:me5-small does not match it; omit --model"):
        pipeline.add(changed, bm25, model="bundled:me5-small")
    assert pipeline.add(changed, bm25, model="none", remove_missing=False).wrote  # 'none' is the BM25-only index's own
