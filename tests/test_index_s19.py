"""Renamed and removed laws kept across rebuilds and removals, and a removal that loads no encoder (session 19).

1. ``index build`` into the folder of an index with an ``--rename`` record wrote a generation without it: the
   precedent memory's holdings citing the old name (주택임대차보호법 제4조) stopped voting, no word. A build keeps the
   previous generation's records (``renames_kept`` in its report, ``renamed:`` in ``index info``).
2. A law removed (``index remove``), then added under another name with its 법령ID, was an unrelated new law — its
   holdings never voting, and ``--rename`` unable to link it (the old one no longer held). ``index remove`` records
   what it removed (name → 법령ID); such an add stops as a held law's rename does, and ``--rename`` links old → new.
   Added back under its old name it is the law it was (no stop; its holdings vote again).
3. ``index remove`` loaded the index's encoder (~10 s) though it encodes nothing: it takes the fingerprint and the
   dimension from the previous generation now, and every article left keeps its vector.

By the real CLI on the multilaw fixture (``--model none``, as the session-18 tests), and on the hand-written
fixture with the tiny encoder for the vectors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from test_renamed_law_s18 import (  # (same data, same runs)
    LEASE, MULTILAW, NEW, OLD, _cli, _holdings, _process, _read, _renamed_file, _report, built_index,
)

from legalret import pipeline
from legalret.index.store import generations, load_index, read_manifest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

CIVIL = MULTILAW / "statutes" / "legalize-kr" / "민법"


@pytest.fixture()
def index(tmp_path: Path) -> Path:
    """민법 and 주택임대차보호법, with a precedent memory of the fixture's decisions (three cite both)."""
    return built_index(tmp_path, "민법", OLD)


def _renamed_holdings() -> dict:
    return {"2018다3305": [[f"{NEW} 제4조", "민법 제618조"], [f"{NEW} 제4조", "민법 제635조"]],
            "2020다8807": [[f"{NEW} 제10조"], ["민법 제623조"]]}


# ---- 1. a rebuild keeps the renames --------------------------------------------------------------------------
def test_a_rebuild_keeps_the_rename_and_the_holdings_keep_voting(index, tmp_path):
    renamed = _renamed_file(tmp_path)
    assert _cli("index", "add", str(renamed), "--index", str(index), "--rename").exit_code == 0
    holdings = _holdings(index)
    assert {k: holdings[k] for k in _renamed_holdings()} == _renamed_holdings()

    r = _cli("index", "build", str(CIVIL), str(renamed), "--index", str(index), "--model", "none",
             "--precedents", str(tmp_path / "decisions"), "--json")
    assert r.exit_code == 0, r.output
    report = _report(r)
    assert report["renames_kept"] == {OLD: NEW}
    manifest = read_manifest(index)
    assert list(manifest["laws"]) == ["민법", NEW] and manifest["renamed"] == {OLD: NEW}  # (had been: no "renamed")
    assert _holdings(index) == holdings  # every holding citing the old name still votes for the new name's articles
    info = _cli("index", "info", "--index", str(index))
    assert f"renamed: {OLD} → {NEW}; citations of the old name read as the new one" in info.stdout.splitlines()
    # the text report says it
    r = _cli("index", "build", str(CIVIL), str(renamed), "--index", str(index), "--model", "none",
             "--precedents", str(tmp_path / "decisions"))
    assert r.exit_code == 0, r.output
    assert (f"renamed earlier (kept): {OLD} → {NEW}; citations of the old name read as the new one"
            in r.stdout.splitlines())  # (the report: stdout)


def test_a_rebuild_of_the_old_name_or_without_the_law_applies_no_rename(index, tmp_path):
    """The record is kept (nothing deleted as a side effect) but applies only while the new name is held and the old
    one is not, as after ``index remove`` (:func:`~legalret.index.store.law_renames`)."""
    pipeline.add(_read(_renamed_file(tmp_path)), index, rename=True)
    r = _cli("index", "build", str(CIVIL), str(LEASE), "--index", str(index), "--model", "none",
             "--precedents", str(tmp_path / "decisions"), "--json")
    assert r.exit_code == 0, r.output
    assert "renames_kept" not in _report(r)
    assert list(read_manifest(index)["laws"]) == ["민법", OLD] and read_manifest(index)["renamed"] == {OLD: NEW}
    assert _holdings(index)["2020다8807"] == [[f"{OLD} 제10조"], ["민법 제623조"]]
    assert "renamed:" not in _cli("index", "info", "--index", str(index)).stdout


# ---- 2. removed, then added under another name ---------------------------------------------------------------
def test_a_removed_law_added_under_a_new_name_stops_as_a_rename(index, tmp_path):
    assert _cli("index", "remove", OLD, "--index", str(index)).exit_code == 0
    assert read_manifest(index)["removed_laws"] == {OLD: "001248"}
    assert (f"removed: {OLD} (법령ID 001248); added under another name with its 법령ID, it is taken for renamed "
            "(index add --rename)" in _cli("index", "info", "--index", str(index)).stdout.splitlines())
    renamed = _renamed_file(tmp_path)
    before = [g.name for g in generations(index)]
    message = (f"{renamed}: {NEW} has the 법령ID 001248 of {OLD}, a law removed from this index (`index remove`; "
               f"renamed?); nothing was written — pass --rename to index {NEW} as {OLD} renamed (citations of {OLD} "
               f"then find {NEW}), or correct the law's name in the file")
    proc = _process("index", "add", str(renamed), "--index", str(index))
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().splitlines()[-1] == f"error: {message}"
    proc = _process("index", "add", str(renamed), "--index", str(index), "--json")
    assert proc.returncode == 1 and json.loads(proc.stdout) == {"error": message, "exit": 1}
    assert [g.name for g in generations(index)] == before  # (had been: a new, unrelated law)

    r = _cli("index", "add", str(renamed), "--index", str(index), "--rename", "--json")
    assert r.exit_code == 0, r.output
    report = _report(r)
    assert report["renamed"] == [{"from": OLD, "to": NEW, "law_id": "001248", "removed": True}]
    assert report["added_keys"] == [f"{NEW} 제4조", f"{NEW} 제6조", f"{NEW} 제10조"] and report["removed"] == 0
    manifest = read_manifest(index)
    assert list(manifest["laws"]) == ["민법", NEW] and manifest["renamed"] == {OLD: NEW}
    assert "removed_laws" not in manifest  # (linked: its old name is an alias now)
    holdings = _holdings(index)
    assert {k: holdings[k] for k in _renamed_holdings()} == _renamed_holdings()  # they vote again, for the new name
    assert "reread" not in report["memory"]  # (its decisions were read for the old name: not again)


def test_the_text_report_of_the_link_and_a_law_added_back_under_its_old_name(index, tmp_path):
    holdings = _holdings(index)
    pipeline.remove([OLD], index)
    r = _cli("index", "add", str(LEASE), "--index", str(index), "--json")  # its own name: no stop, as before
    assert r.exit_code == 0, r.output
    assert _report(r)["renamed"] == [] and _report(r)["added"] == 3
    assert "removed_laws" not in read_manifest(index) and _holdings(index) == holdings
    # removed again, linked under the new name: the text report's line
    pipeline.remove([OLD], index)
    r = _cli("index", "add", str(_renamed_file(tmp_path)), "--index", str(index), "--rename")
    assert r.exit_code == 0, r.output
    assert (f"renamed: {OLD} → {NEW} (법령ID 001248): removed before (`index remove`), linked to it; citations of "
            f"{OLD} read as {NEW}" in r.stdout.splitlines())


def test_removal_records_follow_the_generations(index, tmp_path):
    """A rollback returns to the generation's own record; another law's add keeps it; a law without a 법령ID or of
    another one is no rename."""
    pipeline.remove([OLD], index)
    assert _cli("index", "rollback", "--index", str(index)).exit_code == 0
    assert "removed_laws" not in read_manifest(index)
    assert not pipeline.add(_read(_renamed_file(tmp_path)), index, rename=True).renamed[0].get("removed")
    assert _cli("index", "rollback", "--index", str(index)).exit_code == 0
    pipeline.remove([OLD], index)
    other = pipeline.add(_read(_renamed_file(tmp_path, "가상임대법", law_id="999999")), index)
    assert other.renamed == [] and read_manifest(index)["removed_laws"] == {OLD: "001248"}


def test_a_rebuild_keeps_a_removal_record_for_a_law_it_does_not_hold(index, tmp_path):
    pipeline.remove([OLD], index)
    r = _cli("index", "build", str(CIVIL), "--index", str(index), "--model", "none",
             "--precedents", str(tmp_path / "decisions"))
    assert r.exit_code == 0, r.output
    assert read_manifest(index)["removed_laws"] == {OLD: "001248"}
    proc = _process("index", "add", str(_renamed_file(tmp_path)), "--index", str(index))
    assert proc.returncode == 1 and "a law removed from this index" in proc.stderr


# ---- 3. a removal loads no encoder ---------------------------------------------------------------------------
def test_remove_loads_no_encoder_and_keeps_every_vector(tmp_path, monkeypatch):
    index = tmp_path / "dense"
    pipeline.build(sup.articles(), index, encoder=sup.tiny_encoder())
    before = load_index(index)
    vectors = dict(zip(before.row_hashes, np.asarray(before.dense.vectors)))

    import legalret.index.build as build

    def no_encoder(*args, **kwargs):
        raise AssertionError("index remove loaded the encoder")

    monkeypatch.setattr(build, "_encoder_for_existing", no_encoder)
    monkeypatch.setattr(build, "_check_requested_runtime", no_encoder)  # (it imports torch to tell the runtime)
    r = _cli("index", "remove", "상법", "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    assert _report(r)["removed_laws"] and _report(r)["encoded"] == 0
    after = load_index(index)
    assert after.manifest["encoder"] == before.manifest["encoder"]
    assert all(a.law != "상법" for a in after.articles) and len(after.rows) < len(before.rows)
    for h, v in zip(after.row_hashes, np.asarray(after.dense.vectors)):
        assert np.array_equal(v, vectors[h])
    # adding it back encodes with the index's encoder as before
    monkeypatch.undo()
    again = pipeline.add([a for a in sup.articles() if a.law == "상법"], index, encoder=sup.tiny_encoder())
    assert again.added == len(before.rows) - len(after.rows) or again.added > 0
    assert load_index(index).dense.vectors.shape == np.asarray(before.dense.vectors).shape


# ---- 4. one resolver of the laws to remove -------------------------------------------------------------------
def test_the_api_refusal_of_an_unknown_law_carries_the_nearest_names_as_the_cli_says_them(index, tmp_path):
    from legalret.index.store import UnknownLaw

    with pytest.raises(UnknownLaw) as caught:  # (an IndexError_: exit 1 where the API's caller lets it through)
        pipeline.remove(["주택임대차법"], index)
    assert (caught.value.name, caught.value.suggestions) == ("주택임대차법", [OLD])
    assert str(caught.value) == f"{index}: no law '주택임대차법' in this index (did you mean {OLD}?); nothing was written"
    proc = _process("index", "remove", "주택임대차법", "--index", str(index))
    assert proc.returncode == 2
    assert f"error: no law '주택임대차법' in {index} (did you mean {OLD}?); nothing was removed" in proc.stderr
    pipeline.add(_read(_renamed_file(tmp_path)), index, rename=True)
    with pytest.raises(UnknownLaw, match=f"it was renamed {NEW} \\(index add --rename\\): remove that"):
        pipeline.remove([OLD], index)
