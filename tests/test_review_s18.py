"""Review mends of the eighteenth session that belong to no other file's tests."""

from __future__ import annotations

import json

import pytest

from legalret.errors import IndexError_
from legalret.index.store import current_generation


def test_a_home_folder_given_for_its_index_is_named_with_the_index(tmp_path):
    """`Searcher("~/.legalret")` (LEGALRET_HOME, not its index/) had said "the folder holds other files (cache/,
    index/, …)" and left the user to guess: the index inside it is named."""
    home = tmp_path / "home"
    (home / "index" / "gen-000001").mkdir(parents=True)
    (home / "cache").mkdir()
    (home / "index" / "CURRENT").write_text(json.dumps({"generation": "gen-000001"}), encoding="utf-8")
    with pytest.raises(IndexError_) as got:
        current_generation(home)
    assert str(got.value) == f"{home} is not a legalret index: it holds one in {home / 'index'} (did you mean " \
                             f"{home / 'index'}?)"


def test_a_folder_with_an_index_folder_that_is_no_index_keeps_the_plain_message(tmp_path):
    folder = tmp_path / "project"
    (folder / "index").mkdir(parents=True)  # (a web project's index/ folder, no pointer in it)
    (folder / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(IndexError_, match=r"the folder holds other files \(.*\) and no index generation"):
        current_generation(folder)
