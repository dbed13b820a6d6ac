"""The CLI leaves what a user owns alone and says what is wrong in one line: an ``--index`` folder of other files is
neither built into nor offered a build (index build/add/info/rollback/export, search, bench), a symlinked output is
written through (legalret.atomic), ``bench quality --before`` is checked whatever the modes, and a requested encoder
that cannot be the index's is refused by one check (legalret.index.encoders.check_requested_encoder)."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret import pipeline  # noqa: E402
from legalret.atomic import atomic_dir, atomic_path, write_target  # noqa: E402
from legalret.cli import app  # noqa: E402
from legalret.errors import IndexError_, LegalretError  # noqa: E402
from legalret.index.encoders import check_requested_encoder, load_index_encoder  # noqa: E402
from legalret.index.store import current_generation, generations, read_manifest  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from terminal_support import at_terminal, in_pipe, shell_env  # noqa: E402

runner = CliRunner()
ARTICLES = Path(__file__).parent / "fixtures" / "index" / "articles.jsonl"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _cli(*args: str):
    return runner.invoke(app, list(args), env={"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"})


def _foreign(tmp_path: Path) -> Path:
    """A folder of the user's own: two files and a subfolder, no index."""
    folder = tmp_path / "mine"
    (folder / "photos").mkdir(parents=True)
    (folder / "notes.txt").write_text("my notes\n", encoding="utf-8")
    (folder / ".hidden").write_text("x", encoding="utf-8")
    return folder


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ---- 1. --index: a folder of other files is no index, and no place for one ----------------------------------------
def test_build_into_a_folder_of_other_files_is_refused_and_writes_nothing(tmp_path):
    folder = _foreign(tmp_path)
    before = _listing(folder)
    for extra in ([], ["--json"]):
        r = _cli("index", "build", str(ARTICLES), "--index", str(folder), "--model", "none", *extra)
        assert r.exit_code == 1 and isinstance(r.exception, LegalretError), r.output
        msg = str(r.exception)
        assert msg == (f"{folder} is neither empty nor a legalret index (it holds notes.txt, photos/, .hidden); nothing "
                       "was written — an index needs a folder of its own: give --index a new or empty folder")
    assert _listing(folder) == before  # no CURRENT, no gen-*, no .lock beside the user's files


def test_build_into_an_empty_folder_a_new_one_or_an_index_still_works(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = _cli("index", "build", str(ARTICLES), "--index", str(empty), "--model", "none")
    assert r.exit_code == 0, r.output
    assert current_generation(empty).name == "gen-000001"
    r = _cli("index", "build", str(ARTICLES), "--index", str(empty), "--model", "none")  # an index: rebuilt, kept
    assert r.exit_code == 0, r.output
    assert [g.name for g in generations(empty)] == ["gen-000001", "gen-000002"]
    r = _cli("index", "build", str(ARTICLES), "--index", str(tmp_path / "new" / "sub"), "--model", "none")
    assert r.exit_code == 0, r.output
    # what a build that died before its first generation leaves counts as empty: the build can be run again
    dead = tmp_path / "dead"
    (dead / ".tmp-abc123").mkdir(parents=True)
    (dead / ".lock").write_text("4242")
    r = _cli("index", "build", str(ARTICLES), "--index", str(dead), "--model", "none")
    assert r.exit_code == 0, r.output
    # an index whose pointer is damaged is still an index (the store says what is wrong, rollback repairs it)
    (empty / "CURRENT").write_text("{not json")
    assert _cli("index", "rollback", "--index", str(empty)).exit_code == 0


def test_a_file_named_current_does_not_make_a_folder_an_index(tmp_path):
    """A LevelDB folder holds CURRENT, LOCK, LOG …: it is no index to build into."""
    folder = tmp_path / "leveldb"
    folder.mkdir()
    (folder / "CURRENT").write_text("MANIFEST-000001\n")
    (folder / "LOG").write_text("")
    r = _cli("index", "build", str(ARTICLES), "--index", str(folder), "--model", "none")
    assert r.exit_code == 1 and "is neither empty nor a legalret index (it holds CURRENT, LOG)" in str(r.exception)
    assert _listing(folder) == ["CURRENT", "LOG"]


@pytest.mark.parametrize("command", [
    ["index", "add", str(ARTICLES)], ["index", "info"], ["index", "rollback"], ["index", "export"],
    ["search", "유치권"], ["bench", "quality", "--queries", "QUERIES", "--mode", "bm25"]])
def test_reading_a_folder_of_other_files_says_it_is_no_index(tmp_path, command):
    """`--index /etc` had said "no index at /etc: build one with `legalret index build SOURCES --index /etc`"."""
    folder = _foreign(tmp_path)
    before = _listing(folder)
    extra = ["--out", str(tmp_path / "bench-out")] if command[0] == "bench" else []
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"qid": "a", "query": "유치권", "gold": ["민법 제320조"]}, ensure_ascii=False) + "\n",
                       encoding="utf-8")
    command = [str(queries) if c == "QUERIES" else c for c in command]
    r = _cli(*command, "--index", str(folder), *extra)
    assert r.exit_code == 1 and isinstance(r.exception, LegalretError), r.output
    msg = str(r.exception)
    assert msg == (f"{folder} is not a legalret index: the folder holds other files (notes.txt, photos/, .hidden) and "
                   "no index generation; give --index the folder an index was built into (a new index goes into a new "
                   "or empty folder)")
    assert "build one" not in msg and "\n" not in msg
    assert _listing(folder) == before  # (index add: no .lock either)


def test_a_missing_or_empty_index_folder_keeps_the_store_message(tmp_path):
    (tmp_path / "empty").mkdir()
    for name in ("nothing", "empty"):
        r = _cli("index", "info", "--index", str(tmp_path / name))
        assert str(r.exception).startswith(f"no index at {tmp_path / name}: build one"), r.output
        r = _cli("search", "유치권", "--index", str(tmp_path / name))
        assert str(r.exception).startswith(f"no index at {tmp_path / name}: build one"), r.output


def test_search_of_a_folder_of_other_files_is_one_line_at_a_terminal_and_in_a_pipe(tmp_path):
    """At a terminal a search goes through a resident server: the folder is checked before one is asked for."""
    folder = _foreign(tmp_path)
    env = shell_env(tmp_path / "home")
    expected = (f"error: {folder} is not a legalret index: the folder holds other files (notes.txt, photos/, .hidden) "
                "and no index generation; give --index the folder an index was built into (a new index goes into a "
                "new or empty folder)")
    rc, out = in_pipe(["search", "유치권", "--index", str(folder)], env, timeout=120)
    assert (rc, out.strip()) == (1, expected)
    rc, out = at_terminal(["search", "유치권", "--index", str(folder)], env, timeout=120)
    assert (rc, ANSI.sub("", out).strip()) == (1, expected)
    assert not (tmp_path / "home" / "servers").exists() or not any((tmp_path / "home" / "servers").iterdir())


# ---- 2. one check of the requested encoder ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def indexes(tmp_path_factory):
    root = tmp_path_factory.mktemp("enc")
    pipeline.build(sup.articles(), root / "dense", encoder=sup.tiny_encoder())
    pipeline.build(sup.articles(), root / "bm25", model="none")
    return root / "dense", root / "bm25"


def test_model_none_of_an_index_with_vectors_is_one_line(indexes):
    dense, _ = indexes
    info = read_manifest(dense)["encoder"]
    expected = (f"{dense}: the index's encoder is {info['spec']}, and --model none does not match it; omit --model to "
                "use the index's own (to drop the vectors, rebuild with `legalret index build --model none`)")
    with pytest.raises(IndexError_) as e:
        check_requested_encoder(info, model="none", where=dense)
    assert str(e.value) == expected
    with pytest.raises(IndexError_) as e:  # the loader says the same (it had tried to load a model called 'none')
        load_index_encoder(info, model="None", where=dense)
    assert str(e.value) == expected.replace("--model none does", "--model None does")
    check_requested_encoder(info, model="none", encoder=sup.tiny_encoder(), where=dense)  # an encoder given wins
    check_requested_encoder(info, where=dense)  # nothing asked: the index's own
    assert load_index_encoder(info, where=dense).fingerprint == info["fingerprint"]


def test_an_encoder_asked_of_a_bm25_index_is_one_line(indexes):
    _, bm25 = indexes
    with pytest.raises(IndexError_) as e:
        check_requested_encoder(None, model="bundled:me5-small", where=bm25)
    assert str(e.value) == (f"{bm25}: the index has no encoder (built with --model none, BM25 only), and --model "
                            "bundled:me5-small does not match it; omit --model (to add vectors, rebuild with `legalret "
                            "index build --model bundled:me5-small`)")
    with pytest.raises(IndexError_, match=r"BM25 only\), and --adapter some/adapter does not match it; omit --adapter \(to "
                                          r"add vectors, rebuild with `legalret index build`\)$"):
        load_index_encoder(None, adapter="some/adapter", where=bm25)
    with pytest.raises(IndexError_, match=r"BM25 only\), and the encoder given does not match it"):
        load_index_encoder(None, encoder=sup.tiny_encoder(), where=bm25)
    check_requested_encoder(None, model="none", where=bm25)  # its own
    assert load_index_encoder(None, model="NONE", where=bm25) is None


def test_add_keeps_saying_the_index_encoder_in_one_line(indexes, tmp_path):
    """`index add --model none` through the CLI: the one line, nothing written."""
    dense, _ = indexes
    gen = current_generation(dense).name
    changed = tmp_path / "changed.jsonl"
    from legalret.articles import write_articles

    write_articles(changed, [sup.amended(sup.articles()[0], "물건을 점유하는 자는 점유권이 있다.")])
    r = _cli("index", "add", str(changed), "--index", str(dense), "--model", "none", "--keep-missing")
    assert r.exit_code == 1 and isinstance(r.exception, IndexError_), r.output
    assert "and --model none does not match it;" in str(r.exception) and "\n" not in str(r.exception)
    assert current_generation(dense).name == gen


def test_a_query_adapter_other_than_the_index_one_is_refused_before_loading(indexes, tmp_path):
    import numpy as np

    from legalret.models.query_adapter import QueryAdapter, QueryAdapterCard

    dense, _ = indexes
    enc = sup.tiny_encoder()
    card = QueryAdapterCard(name="other", base={"spec": enc.spec.name, "fingerprint": enc.fingerprint}, dim=enc.dim,
                            data={"train_queries": 0})
    QueryAdapter(np.eye(enc.dim, dtype=np.float32) * 2, card).save(tmp_path / "other")
    qa = QueryAdapter.load(tmp_path / "other")
    info = read_manifest(dense)["encoder"]
    with pytest.raises(IndexError_) as e:
        check_requested_encoder(info, adapter=tmp_path / "other", where=dense)
    assert str(e.value) == (f"{dense}: query adapter mismatch — the index records no query adapter, --adapter "
                            f"{tmp_path / 'other'} "
                            f"is {qa.fingerprint}; omit --adapter to use the index's own (to change it, rebuild with "
                            "`legalret index build --adapter`)")
    # an index whose passages a LoRA adapter encoded says so (it had read "records none", 2026-12-07)
    lora = dict(info, adapter=str(tmp_path / "lora"))
    with pytest.raises(IndexError_, match=r"records no query adapter \(its passages were encoded with the LoRA "
                                          rf"adapter {tmp_path / 'lora'}\), --adapter"):
        check_requested_encoder(lora, adapter=tmp_path / "other", where=dense)


# ---- 3. atomic writes through a symbolic link ------------------------------------------------------------------
def test_atomic_path_through_a_link_replaces_the_target_and_keeps_the_link(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "links").mkdir()
    target = tmp_path / "data" / "real.json"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "links" / "out.json"
    os.symlink("../data/real.json", link)  # relative, into another folder
    chain = tmp_path / "links" / "chain.json"
    os.symlink("out.json", chain)
    with atomic_path(link) as tmp:
        assert tmp.parent == target.parent  # the temp file is made beside the target: the rename stays on its disk
        tmp.write_text("new", encoding="utf-8")
    assert link.is_symlink() and os.readlink(link) == "../data/real.json"
    assert target.read_text(encoding="utf-8") == "new"
    with atomic_path(chain) as tmp:
        tmp.write_text("newer", encoding="utf-8")
    assert chain.is_symlink() and link.is_symlink() and target.read_text(encoding="utf-8") == "newer"
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["real.json"]  # no temp left
    assert sorted(p.name for p in (tmp_path / "links").iterdir()) == ["chain.json", "out.json"]
    with pytest.raises(RuntimeError), atomic_path(link) as tmp:  # a failed write leaves the target as it was
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError
    assert target.read_text(encoding="utf-8") == "newer" and link.is_symlink()
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["real.json"]


def test_atomic_path_through_a_dangling_link_creates_its_target_and_a_loop_is_an_error(tmp_path):
    link = tmp_path / "out.jsonl"
    os.symlink(tmp_path / "later" / "made.jsonl", link)
    with atomic_path(link) as tmp:
        tmp.write_text("x", encoding="utf-8")
    assert link.is_symlink() and (tmp_path / "later" / "made.jsonl").read_text(encoding="utf-8") == "x"
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    with pytest.raises(OSError, match="Too many levels of symbolic links"):
        write_target(tmp_path / "a")
    with pytest.raises(OSError), atomic_path(tmp_path / "a") as tmp:
        tmp.write_text("x")
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()
    assert write_target(tmp_path / "plain.txt") == tmp_path / "plain.txt"  # not a link: as given


def test_atomic_dir_through_a_link_replaces_the_folder_it_points_to(tmp_path):
    real = tmp_path / "adapters" / "qmap"
    real.mkdir(parents=True)
    (real / "old.txt").write_text("old")
    link = tmp_path / "qmap"
    os.symlink(real, link)
    with atomic_dir(link) as tmp:
        (tmp / "new.txt").write_text("new")
    assert link.is_symlink() and sorted(p.name for p in real.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in (tmp_path / "adapters").iterdir()) == ["qmap"]  # nothing set aside is left


def test_ingest_out_through_a_link_writes_the_target(tmp_path, fixtures_dir):
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "articles.jsonl"
    target.write_text('{"law": "민법", "number": 1, "title": "old"}\n', encoding="utf-8")  # (an earlier ingest's)
    link = tmp_path / "link.jsonl"
    os.symlink("store/articles.jsonl", link)
    r = runner.invoke(app, ["ingest", str(fixtures_dir / "ingest" / "markdown"), "--out", str(link)])
    assert r.exit_code == 0, r.output
    assert link.is_symlink() and os.readlink(link) == "store/articles.jsonl"
    assert len(target.read_text(encoding="utf-8").splitlines()) == 13
    assert f"wrote 13 articles to {link} (a link: written to {target})" in r.output
    loop = tmp_path / "loop.jsonl"
    os.symlink("loop.jsonl", loop)
    r = runner.invoke(app, ["ingest", str(fixtures_dir / "ingest" / "markdown"), "--out", str(loop)])
    assert r.exit_code == 1 and str(r.exception) == (
        f"--out {loop}: a symbolic link that cannot be followed (Too many levels of symbolic links)")


def test_ingest_out_link_into_a_read_only_folder_is_refused_before_reading(tmp_path, fixtures_dir, monkeypatch):
    """The new file is made in the target's folder: that is the folder checked before anything is read (the link's
    own folder being writable says nothing). Read-only is simulated: root writes anywhere."""
    import tempfile

    from legalret.ingest import sources

    ro = tmp_path / "ro"
    ro.mkdir()
    link = tmp_path / "link.jsonl"
    os.symlink(ro / "articles.jsonl", link)
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == ro:
            raise PermissionError(13, "Permission denied")
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(sources, "ingest", lambda *a, **k: pytest.fail("read before --out was checked"))
    r = runner.invoke(app, ["ingest", str(fixtures_dir / "ingest" / "markdown"), "--out", str(link)])
    assert r.exit_code == 1 and str(r.exception) == (
        f"--out {link} → {ro / 'articles.jsonl'}: cannot write in {ro} (permission denied)")
    assert not (ro / "articles.jsonl").exists() and link.is_symlink()


# ---- 4. bench quality --before ----------------------------------------------------------------------------------
@pytest.mark.parametrize("value, why", [("2020-13-45", "month must be in 1..12"),
                                        ("2021-02-30", "day is out of range for month"),
                                        ("20200101", "e.g. 2020-01-01"), ("yesterday", "e.g. 2020-01-01")])
def test_bench_before_is_checked_without_a_memory_mode(tmp_path, value, why):
    """--mode bm25 lets no memory vote: --before had not been read at all (the report recorded the bad date)."""
    out = tmp_path / "out"
    r = runner.invoke(app, ["bench", "quality", "--index", str(tmp_path / "no-index"), "--queries",
                            str(tmp_path / "q.jsonl"), "--mode", "bm25", "--before", value, "--out", str(out)],
                      standalone_mode=False)  # (as legalret.cli.main runs it: the error itself, not typer's box)
    assert isinstance(r.exception, typer.BadParameter), r.output
    assert r.exception.format_message() == f"Invalid value for --before: {value!r} is not a YYYY-MM-DD date ({why})"
    assert not out.exists()  # refused before the queries, the index or the report folder were touched


def test_bench_before_checked_at_a_terminal_and_in_a_pipe_alike(tmp_path):
    env = shell_env(tmp_path / "home")
    args = ["bench", "quality", "--index", str(tmp_path), "--queries", str(tmp_path / "q.jsonl"), "--mode", "bm25",
            "--before", "2020-13-45", "--out", str(tmp_path / "out")]
    rc, piped = in_pipe(args, env, timeout=120)
    assert rc == 2 and len(piped.strip().splitlines()) == 1, piped
    assert piped.startswith("error: Invalid value for --before: '2020-13-45' is not a YYYY-MM-DD date (month must be "
                            "in 1..12) (see `"), piped  # (`python -m legalret bench quality --help` here)
    rc, shown = at_terminal(args, env, timeout=120)
    assert (rc, ANSI.sub("", shown).strip()) == (2, piped.strip())


def test_bench_before_valid_runs_bm25(tmp_path):
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none")
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"qid": "a", "query": "유치권", "gold": ["민법 제320조"]}, ensure_ascii=False) + "\n",
                       encoding="utf-8")
    r = runner.invoke(app, ["bench", "quality", "--index", str(index), "--queries", str(queries), "--mode", "bm25",
                            "--before", "2020-01-01", "--resamples", "10", "--out", str(tmp_path / "out"), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads((tmp_path / "out" / "quality-q.json").read_text(encoding="utf-8"))
    assert report["settings"]["before"] == "2020-01-01"
    r = runner.invoke(app, ["bench", "quality", "--index", str(index), "--queries", str(queries), "--mode", "bm25",
                            "--before", " 2020-01-02 ", "--resamples", "10", "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output  # (spaces around a pasted date are dropped)
    assert json.loads((tmp_path / "out" / "quality-q.json").read_text(encoding="utf-8"))["settings"]["before"] == \
        "2020-01-02"


def test_the_store_says_a_folder_of_other_files_is_no_index(tmp_path):
    """The API, the server and MCP open an index through the store: its message names the folder's files too."""
    from legalret.index.store import current_generation

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(IndexError_, match=r"mine is not a legalret index: the folder holds other files \(notes.txt\)"):
        current_generation(mine)
    with pytest.raises(IndexError_, match=r"no index at .*empty: build one"):
        (tmp_path / "empty").mkdir()
        current_generation(tmp_path / "empty")


def test_a_build_says_what_it_leaves_out_of_the_measured_default(monkeypatch):
    """`index build all-acts-decrees --index DIR` (as the README first showed it) built without memories or query
    adapter, silently: the build now says so, with the options (this machine's archives when it has them: none here);
    BM25 only (--model none) is asked for, no note."""
    from legalret.cli.index import _weaker_build_notes

    monkeypatch.setattr("legalret.config.shared_data_dir", lambda: None)
    both = _weaker_build_notes(None, None, None)
    assert len(both) == 2 and both[0].startswith("no --precedents: the index gets no precedent memory")
    assert "add --precedents DECISIONS [--facts FACTS], as scripts/quickstart.sh does" in both[0]
    assert both[1].startswith("no --adapter") and "--adapter me5-small-legal-qmap" in both[1]
    assert _weaker_build_notes(None, Path("legalret/adapters/me5-small-legal-qmap"), ["p.zip"]) == []
    assert _weaker_build_notes("bundled:me5-small", None, ["p.zip"]) == []  # another encoder: its own adapter or none
    assert _weaker_build_notes("none", None, None) == []


def test_search_mode_in_capitals_and_an_empty_law_filter(indexes):
    """`--mode BM25` had been "unknown search mode"; `--law ''` had quietly meant no filter."""
    dense, _ = indexes
    env = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}
    runner = CliRunner()
    upper = runner.invoke(app, ["search", "유치권", "--index", str(dense), "--mode", "BM25", "--json", "-k", "2"], env=env)
    lower = runner.invoke(app, ["search", "유치권", "--index", str(dense), "--mode", "bm25", "--json", "-k", "2"], env=env)
    assert upper.exit_code == 0 and upper.stdout == lower.stdout and upper.stdout.strip()
    for option, value in (("--law", ""), ("--law", " , "), ("--kind", "")):
        r = runner.invoke(app, ["search", "유치권", "--index", str(dense), option, value], env=env)
        assert r.exit_code == 1 and isinstance(r.exception, LegalretError)
        assert str(r.exception).startswith(f"{option} names nothing: give a name"), r.exception


def test_a_rebuild_without_precedents_does_not_drop_the_memory(tmp_path):
    """`index build` over an index with a precedent memory, without --precedents, made a live generation with no
    memory (exit 0, no word); it is refused now, before anything is read, and the live generation stays."""
    from legalret import pipeline
    from legalret.index.store import current_generation, read_manifest

    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none", precedents=sup.PRECEDENTS)
    source = tmp_path / "a.jsonl"
    source.write_text("".join(json.dumps(a.to_dict(), ensure_ascii=False) + "\n" for a in sup.articles()), encoding="utf-8")
    live = current_generation(index)
    r = runner.invoke(app, ["index", "build", str(source), "--index", str(index), "--model", "none"],
                      env={"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"})
    assert r.exit_code == 1 and isinstance(r.exception, LegalretError), r.output
    assert str(r.exception).startswith(f"{index} holds a precedent memory (3 holdings) and this build has no --precedents")
    assert current_generation(index) == live and read_manifest(index)["memory"]["items"] == 3
    # an index without a memory is rebuilt as before
    plain = tmp_path / "plain"
    pipeline.build(sup.articles(), plain, model="none")
    r = runner.invoke(app, ["index", "build", str(source), "--index", str(plain), "--model", "none"],
                      env={"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"})
    assert r.exit_code == 0, r.output


def test_the_shipped_adapter_is_found_from_any_folder_for_the_fusion_weight(tmp_path, monkeypatch):
    """`index build … --adapter legalret/adapters/me5-small-legal-qmap` outside the checkout had failed in the fusion
    defaults ("adapter directory … does not exist") though the encoder found it."""
    from legalret.search.fusion import default_fusion

    monkeypatch.chdir(tmp_path)
    here = default_fusion("legalret/adapters/me5-small-legal-qmap").weights
    assert default_fusion("me5-small-legal-qmap").weights == here and set(here) == {"bm25", "dense"}


def test_the_api_reads_a_mode_in_capitals_as_the_cli_does(indexes):
    from fastapi.testclient import TestClient

    from legalret.serve.app import create_app

    dense, _ = indexes
    client = TestClient(create_app(dense))
    upper = client.get("/api/search", params={"q": "유치권", "mode": "BM25", "k": 2})
    lower = client.get("/api/search", params={"q": "유치권", "mode": "bm25", "k": 2})
    assert upper.status_code == 200 and upper.json()["mode"] == "bm25"
    assert [h["key"] for h in upper.json()["hits"]] == [h["key"] for h in lower.json()["hits"]]


def test_a_folder_holding_only_a_file_managers_files_is_empty(tmp_path):
    from legalret.index.folder import foreign_folder

    folder = tmp_path / "new-index"
    folder.mkdir()
    (folder / ".DS_Store").write_bytes(b"\0")
    assert foreign_folder(folder) is None
    (folder / "notes.txt").write_text("x", encoding="utf-8")
    assert foreign_folder(folder) == "notes.txt"


def test_a_precedents_path_that_is_not_there_is_said_before_anything_is_read(tmp_path, monkeypatch):
    """--precedents /nonexistent.zip had been noticed at the memory stage, after the articles were encoded."""
    import legalret.cli.index as cli_index

    def no_reading(*args, **kwargs):
        raise AssertionError("the statutes were read before the precedent sources were checked")

    monkeypatch.setattr(cli_index, "load_articles", no_reading)
    source = tmp_path / "a.jsonl"
    source.write_text("".join(json.dumps(a.to_dict(), ensure_ascii=False) + "\n" for a in sup.articles()), encoding="utf-8")
    env = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}
    for command in ("build", "add"):
        index = tmp_path / ("new" if command == "build" else "idx")
        if command == "add":
            from legalret import pipeline

            pipeline.build(sup.articles(), index, model="none")
        for option in ("--precedents", "--facts"):
            r = runner.invoke(app, ["index", command, str(source), "--index", str(index), "--model", "none",
                                    *(["--precedents", str(tmp_path)] if option == "--facts" else []),
                                    option, str(tmp_path / "nope.zip")], env=env)
            assert r.exit_code == 1 and isinstance(r.exception, LegalretError), r.output
            assert str(r.exception) == f"{option} {tmp_path / 'nope.zip'}: no such file or folder"
    assert not (tmp_path / "new").exists()


def test_a_build_json_report_carries_its_notes(tmp_path):
    """The notes a build prints on stderr (what it leaves out of the measured default) are in its --json report too:
    a script reading stdout alone had no word of them."""
    source = tmp_path / "a.jsonl"
    source.write_text("".join(json.dumps(a.to_dict(), ensure_ascii=False) + "\n" for a in sup.articles()), encoding="utf-8")
    env = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}
    r = CliRunner().invoke(app, ["index", "build", str(source), "--index", str(tmp_path / "idx"), "--model",
                                 str(sup.tiny_model_dir()), "--json"], env=env)
    assert r.exit_code == 0, r.output
    notes = json.loads(r.stdout.strip().splitlines()[-1])["notes"]
    assert len(notes) == 1 and notes[0].startswith("no --precedents: the index gets no precedent memory")
    r = CliRunner().invoke(app, ["index", "build", str(source), "--index", str(tmp_path / "bm25"), "--model", "none",
                                 "--json"], env=env)
    assert r.exit_code == 0 and json.loads(r.stdout.strip().splitlines()[-1])["notes"] == []


def test_rollback_json_says_what_is_live(tmp_path):
    """`index rollback --json` prints the outcome on stdout, as the other index commands do (it had no --json)."""
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none")
    pipeline.add([sup.amended(sup.articles()[0], "바뀐 조문")], index, remove_missing=False)
    env = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}
    r = CliRunner().invoke(app, ["index", "rollback", "--index", str(index), "--json"], env=env)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out == {"index": str(index), "live": "gen-000001", "was": "gen-000002", "kept": ["gen-000001", "gen-000002"],
                   "changed": True}
