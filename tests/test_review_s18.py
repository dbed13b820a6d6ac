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


def test_a_python_search_names_the_limit_it_keeps():
    """A Searcher whose re-ranker reads 150 candidates takes k up to 150 (training and evaluation ask for all of them):
    its message had said "between 1 and 100" for k=155 while k=150 worked."""
    from legalret.config import k_error

    assert k_error(155, 150) == "k must be between 1 and 150 (got 155)"
    assert k_error(150, 150) is None and k_error(0, 150) == "k must be between 1 and 150 (got 0)"
    assert k_error("5", 150) == "k must be a whole number from 1 to 150, not '5'"


def test_removing_a_renamed_laws_old_name_says_its_new_name(tmp_path):
    """`index remove 주택임대차보호법` after a rename had offered "did you mean 주택임차인보호법?" as for a typo, while a
    search reads the old name as the new: it says the law was renamed, and to remove the new name."""
    from test_renamed_law_s18 import MULTILAW, NEW, OLD, _cli, _renamed_file

    idx = tmp_path / "idx"
    r = _cli("index", "build", str(MULTILAW / "statutes"), "--law", "민법", "--law", OLD, "--index", str(idx),
             "--model", "none")
    assert r.exit_code == 0, r.output
    r = _cli("index", "add", str(_renamed_file(tmp_path)), "--rename", "--index", str(idx))
    assert r.exit_code == 0, r.output
    r = _cli("index", "remove", OLD, "--index", str(idx))
    assert r.exit_code == 2
    assert f"no law '{OLD}' in {idx} (it was renamed {NEW} (index add --rename): remove that); nothing was removed" \
        in " ".join(r.output.split())


def test_a_law_filter_by_a_renamed_laws_old_name_says_so(tmp_path):
    """`--law 주택임대차보호법` after `index add --rename` searched 주택임차인보호법 without a word; a query citing the
    old name as well gets the notice once."""
    from test_renamed_law_s18 import MULTILAW, NEW, OLD, _cli, _renamed_file

    from legalret.search.searcher import Searcher

    idx = tmp_path / "idx"
    assert _cli("index", "build", str(MULTILAW / "statutes"), "--law", "민법", "--law", OLD, "--index", str(idx),
                "--model", "none").exit_code == 0
    assert _cli("index", "add", str(_renamed_file(tmp_path)), "--rename", "--index", str(idx)).exit_code == 0
    said = f"law names read as renamed: {OLD} → {NEW} (index add --rename)"
    searcher = Searcher(idx)
    got = searcher.search("임대차기간 계약의 갱신", k=3, laws=[OLD])
    assert said in got.notices and {h.article.law for h in got} == {NEW}
    got = searcher.search(f"{OLD} 제4조", k=3, laws=[OLD])
    assert [n for n in got.notices if n.startswith("law names read as renamed")] == [said]
    assert got[0].key == f"{NEW} 제4조" and got[0].relevance == 100
