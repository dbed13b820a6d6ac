"""Benchmark scripts' baselines: check_hot_paths' revision overlay (the whole ``legalret/index`` package) and
child processes (one hash seed)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str):
    """A benchmarks/ script as a module (they are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_hot_path_children_share_one_hash_seed(tmp_path):
    """Two dump processes see one set order (a str's hash, hence a set's order, varies with each process's seed)."""
    check = _script("check_hot_paths")
    code = "print(list({'민법', '상법', '형법', '유치권', '간접점유', '임대차', '보증금', '손해배상', '채무불이행'}))"
    orders = {subprocess.run([sys.executable, "-c", code], env=check.tree_env(tmp_path), capture_output=True, text=True,
                             check=True).stdout for _ in range(3)}
    assert len(orders) == 1 and check.tree_env(tmp_path)["PYTHONPATH"] == str(tmp_path)


def test_hot_path_baseline_takes_the_whole_index_package_from_the_revision(tmp_path):
    """``--rev``'s legalret/index replaces the snapshot's whole (tokenizer, sorted vocabulary, readers): a file
    the revision lacks is gone, a changed one is the revision's."""
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "HEAD"], capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    check = _script("check_hot_paths")
    assert "legalret/index" in check.HOT_FILES
    tree = tmp_path / "tree"
    (tree / "legalret" / "index").mkdir(parents=True)
    (tree / "legalret" / "index" / "tokenize.py").write_text("# edited in the working tree\n", encoding="utf-8")
    (tree / "legalret" / "index" / "not_in_rev.py").write_text("", encoding="utf-8")
    check.baseline_tree("HEAD", tree)
    head = subprocess.run(["git", "-C", str(ROOT), "show", "HEAD:legalret/index/tokenize.py"], capture_output=True,
                          check=True).stdout
    assert (tree / "legalret" / "index" / "tokenize.py").read_bytes() == head
    assert not (tree / "legalret" / "index" / "not_in_rev.py").exists()
    assert (tree / "legalret" / "index" / "sorted_vocab.py").is_file() and (tree / "legalret" / "search" / "searcher.py").is_file()
