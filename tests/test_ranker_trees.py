"""Boosted-tree re-rankers (:mod:`legalret.search.trees`, :func:`legalret.train.ranker.fit_trees`): LightGBM fits,
numpy scores the same, explanations add up, files round-trip, damaged files are refused in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from legalret.errors import LegalretError
from legalret.search.ranker import FEATURES, SCHEMA_TREES, Ranker
from legalret.search.trees import TreeEnsemble
from legalret.train.ranker import Rows, fit_trees

lightgbm = pytest.importorskip("lightgbm")


def _synthetic(queries: int = 120, candidates: int = 40, seed: int = 0) -> Rows:
    """Gold depends on an interaction (feature 0 when feature 1 is high, else feature 2): what trees can learn
    and a linear model cannot."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(queries * candidates, len(FEATURES)))
    signal = np.where(x[:, 1] > 0, x[:, 0], x[:, 2]) + 0.3 * rng.normal(size=len(x))
    y = np.zeros(len(x))
    for q in range(queries):  # one gold per query: its best candidate by the signal
        block = slice(q * candidates, (q + 1) * candidates)
        y[block][np.argmax(signal[block])] = 1.0
    group = np.repeat(np.arange(queries), candidates)
    return Rows(x, y, group, ["holdings"] * queries, queries, queries)


@pytest.fixture(scope="module")
def fitted():
    rows = _synthetic()
    return rows, fit_trees(rows, trees=60, leaves=15, min_leaf=10, depth=40)


def test_trees_score_as_lightgbm_and_learn_the_interaction(fitted):
    rows, ranker = fitted
    assert ranker.kind == "trees60" and ranker.trees.depth >= 2 and not ranker.coef.any()
    held = _synthetic(60, 40, seed=1)
    s = ranker.scores(held.x)
    hits = [held.y[q * 40:(q + 1) * 40][np.argmax(s[q * 40:(q + 1) * 40])] for q in range(60)]
    assert np.mean(hits) > 0.5  # chance is 1/40: the trees rank held-out queries' gold first most of the time
    # the export (QuickScorer masks) and a level-by-level walk reach the same leaves
    z = (held.x - ranker.mean) / ranker.scale
    t = ranker.trees
    walked = t.value[np.arange(t.size)[None, :], t._leaves(z)].sum(axis=1)
    np.testing.assert_allclose(t.predict(z), walked, rtol=0, atol=1e-12)


def test_tree_contributions_add_up_to_the_score(fitted):
    rows, ranker = fitted
    x = rows.x[:50]
    contrib = ranker.contributions(x)
    np.testing.assert_allclose(contrib.sum(axis=1) + ranker.baseline, ranker.scores(x), atol=1e-9)
    # the splits' features carry the weight: the interaction's three columns lead
    top = np.argsort(-np.abs(contrib).sum(axis=0))[:3]
    assert set(top.tolist()) == {0, 1, 2}


def test_tree_rankers_round_trip_one_line_per_tree(fitted, tmp_path):
    rows, ranker = fitted
    path = ranker.save(tmp_path / "trees.json")
    text = path.read_text(encoding="utf-8")
    stored = json.loads(text)
    assert stored["schema"] == SCHEMA_TREES and len(stored["trees"]) == 60 and stored["info"]["model"] == "trees"
    assert len(text.splitlines()) < 60 + 6 * len(FEATURES) + 100  # trees are single lines, not a number per line
    again = Ranker.load(path)
    np.testing.assert_array_equal(again.scores(rows.x[:200]), ranker.scores(rows.x[:200]))


def test_damaged_tree_files_are_refused_in_one_line(fitted, tmp_path):
    _, ranker = fitted
    d = ranker.to_dict()
    bad = json.loads(json.dumps(d))
    bad["trees"][0]["left"][0] = 10_000  # a child outside its tree
    with pytest.raises(LegalretError, match="child index outside"):
        Ranker.from_dict(bad, "r.json")
    bad = json.loads(json.dumps(d))
    del bad["trees"][3]["value"]
    with pytest.raises(LegalretError, match="r.json: ranker trees: 'value'"):
        Ranker.from_dict(bad, "r.json")
    bad = json.loads(json.dumps(d))
    del bad["trees"]
    with pytest.raises(LegalretError, match="needs its 'trees'"):
        Ranker.from_dict(bad, "r.json")
    bad = json.loads(json.dumps(d))
    bad["trees"][0]["feature"][0] = len(ranker.features) + 3
    with pytest.raises(LegalretError, match="beyond the file's"):
        Ranker.from_dict(bad, "r.json")
    # a file with trees is a new schema: a legalret that reads /3 only refuses it rather than drop the trees
    assert d["schema"] != "legalret.ranker/3"


def test_a_ranker_with_too_few_rows_for_a_split_is_a_constant():
    rows = _synthetic(4, 5)
    ranker = fit_trees(rows, trees=5, min_leaf=50)
    s = ranker.scores(rows.x)
    assert np.allclose(s, s[0]) and ranker.trees.depth == 0


def test_tree_ensembles_from_lightgbm_dumps_read_nested_nodes():
    dump = {"feature_names": ["a", "b"], "tree_info": [
        {"tree_structure": {"split_feature": 1, "threshold": 0.5, "decision_type": "<=", "internal_value": 0.1,
                            "left_child": {"leaf_value": -1.0},
                            "right_child": {"split_feature": 0, "threshold": -2.0, "decision_type": "<=",
                                            "internal_value": 0.4, "left_child": {"leaf_value": 0.25},
                                            "right_child": {"leaf_value": 2.0}}}},
        {"tree_structure": {"leaf_value": 0.5}}]}
    t = TreeEnsemble.from_lightgbm(dump)
    z = np.array([[0.0, 0.0], [-3.0, 1.0], [0.0, 1.0], [0.0, 0.5]])
    np.testing.assert_allclose(t.predict(z), [-0.5, 0.75, 2.5, -0.5])
    assert t.depth == 2 and t.expected == pytest.approx(0.6)
    bad = json.loads(json.dumps(dump))
    bad["tree_info"][0]["tree_structure"]["decision_type"] = "=="
    with pytest.raises(LegalretError, match="numerical <= only"):
        TreeEnsemble.from_lightgbm(bad)
