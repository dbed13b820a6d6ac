"""A boosted tree ensemble scored with numpy: the re-ranker's optional non-linear part.

:class:`~legalret.search.ranker.Ranker` is linear in its standardized features; a LambdaMART ensemble
(:func:`legalret.train.ranker.fit_trees`, LightGBM at training time only) adds the interactions a linear model
cannot form — a law signal that counts when the memory's votes are weak, a title match that counts only for a
short question. At query time the trees are plain arrays, scored the QuickScorer way (Lucchese et al., SIGIR 2015):
every split of every tree is compared at once, each false comparison rules out the leaves left of it (a bit mask per
split, as narrow as the largest tree allows), and a tree's exit is the first leaf no comparison ruled out — one
gather, one comparison and one OR-reduce over ``(candidates, trees, splits)``, no walk down the levels (150
candidates × 300 trees of 15 leaves: ~1.5 ms on a busy 2-core machine, where a level-by-level walk took ~9 ms).

Layout (one row per tree, padded to the largest tree): ``feature`` (the split's column in the ranker's
feature list, ``-1`` at a leaf), ``threshold`` (go left when ``z <= threshold``), ``left`` / ``right``
(child node indexes), ``value`` (a leaf's output; at a split, the training rows' mean output below it —
what :meth:`TreeEnsemble.contributions` attributes along a path).

Usage::

    from legalret.search.trees import TreeEnsemble
    trees = TreeEnsemble.from_lightgbm(booster.dump_model())   # at training time
    trees.predict(z)                                            # (n,) summed outputs for rows z (n, features)
    trees.contributions(z)                                      # (n, features): each split's change, per feature
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from legalret.errors import LegalretError

FIELDS = ("feature", "threshold", "left", "right", "value")


@dataclass
class TreeEnsemble:
    feature: np.ndarray  # (trees, nodes) int: split column, -1 = leaf
    threshold: np.ndarray  # (trees, nodes) float
    left: np.ndarray  # (trees, nodes) int
    right: np.ndarray  # (trees, nodes) int
    value: np.ndarray  # (trees, nodes) float: leaf output / mean output below a split

    def __post_init__(self) -> None:
        self.feature = np.asarray(self.feature, dtype=np.int64)
        self.threshold = np.asarray(self.threshold, dtype=np.float64)
        self.left = np.asarray(self.left, dtype=np.int64)
        self.right = np.asarray(self.right, dtype=np.int64)
        self.value = np.asarray(self.value, dtype=np.float64)
        shape = self.feature.shape
        if len(shape) != 2 or any(getattr(self, f).shape != shape for f in FIELDS):
            raise LegalretError(f"ranker trees: {', '.join(FIELDS)} must be tables of one shape: a damaged file")
        nodes = shape[1]
        inner = self.feature >= 0
        if ((self.left[inner] <= 0) | (self.left[inner] >= nodes) | (self.right[inner] <= 0) | (self.right[inner] >= nodes)).any():
            raise LegalretError("ranker trees: a child index outside its tree: a damaged file")
        self.depth = _depth(self)
        self._masks = _masks(self)

    @property
    def size(self) -> int:
        return int(self.feature.shape[0])

    @property
    def expected(self) -> float:
        """The ensemble's mean output over its training rows (the roots' values): where contributions start."""
        return float(self.value[:, 0].sum())

    def _leaves(self, z: np.ndarray) -> np.ndarray:
        """``(n, trees)``: the leaf each row reaches in each tree."""
        n, trees = len(z), self.size
        node = np.zeros((n, trees), dtype=np.int64)
        t = np.arange(trees)[None, :]
        for _ in range(self.depth):
            f = self.feature[t, node]
            split = f >= 0
            x = np.take_along_axis(z, np.where(split, f, 0), axis=1)
            go_left = x <= self.threshold[t, node]
            node = np.where(split, np.where(go_left, self.left[t, node], self.right[t, node]), node)
        return node

    def predict(self, z: np.ndarray) -> np.ndarray:
        """``(n,)``: each row's summed tree outputs."""
        if self.size == 0:
            return np.zeros(len(z))
        if self._masks is None:  # a tree with more than 64 leaves: walk the levels
            return self.value[np.arange(self.size)[None, :], self._leaves(z)].sum(axis=1)
        split_feature, split_threshold, ruled_out, leaf_value = self._masks
        n, (trees, splits) = len(z), split_feature.shape
        right = z[:, split_feature.ravel()].reshape(n, trees, splits) > split_threshold  # the comparisons that fail
        alive = ~np.bitwise_or.reduce(right * ruled_out, axis=2)  # (n, trees): the leaves no failure ruled out
        lowest = alive & (~alive + ruled_out.dtype.type(1))  # its lowest set bit: the first leaf left, the exit
        first = np.log2(lowest.astype(np.float64)).astype(np.int64)
        return leaf_value[np.arange(trees)[None, :], first].sum(axis=1)

    def contributions(self, z: np.ndarray, features: int) -> np.ndarray:
        """``(n, features)``: along each row's path, every split's change in the mean output goes to the
        feature it splits on (Saabas); a row's contributions sum to ``predict(z) − expected``."""
        n, trees = len(z), self.size
        out = np.zeros((n, features))
        node = np.zeros((n, trees), dtype=np.int64)
        t = np.arange(trees)[None, :]
        rows = np.broadcast_to(np.arange(n)[:, None], (n, trees))
        for _ in range(self.depth):
            f = self.feature[t, node]
            split = f >= 0
            x = np.take_along_axis(z, np.where(split, f, 0), axis=1)
            child = np.where(x <= self.threshold[t, node], self.left[t, node], self.right[t, node])
            child = np.where(split, child, node)
            np.add.at(out, (rows[split], f[split]), (self.value[t, child] - self.value[t, node])[split])
            node = child
        return out

    # ---- persistence ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Per tree, its nodes' lists (padding dropped: a tree's nodes are the first it uses)."""
        used = _used(self)
        return {"trees": [{f: getattr(self, f)[i, :used[i]].tolist() for f in FIELDS} for i in range(self.size)]}

    @classmethod
    def from_dict(cls, d: dict, features: int) -> TreeEnsemble:
        try:
            trees = d["trees"]
            if not isinstance(trees, list):
                raise TypeError("'trees' is not a list")
            nodes = max((len(tree["feature"]) for tree in trees), default=1)
            table = {f: np.zeros((len(trees), nodes), dtype=np.int64 if f in ("feature", "left", "right") else np.float64)
                     for f in FIELDS}
            table["feature"][:] = -1
            for i, tree in enumerate(trees):
                for f in FIELDS:
                    if len(tree[f]) != len(tree["feature"]):
                        raise ValueError(f"tree {i}: {f} has {len(tree[f])} nodes, feature {len(tree['feature'])}")
                    table[f][i, :len(tree[f])] = tree[f]
        except (KeyError, TypeError, ValueError) as e:
            raise LegalretError(f"ranker trees: {e}: a damaged file") from None
        if (table["feature"] >= features).any():
            raise LegalretError(f"ranker trees split on a feature beyond the file's {features}: a damaged file")
        return cls(**table)

    @classmethod
    def from_lightgbm(cls, dump: dict) -> TreeEnsemble:
        """From ``Booster.dump_model()`` (numerical ``<=`` splits only: every feature is a number)."""
        trees = []
        for info in dump["tree_info"]:
            nodes: list[dict] = []
            _flatten(info["tree_structure"], nodes)
            trees.append({f: [node[f] for node in nodes] for f in FIELDS})
        return cls.from_dict({"trees": trees}, len(dump["feature_names"]))


def _flatten(node: dict, out: list[dict]) -> int:
    """Append ``node`` and its subtree to ``out`` (parent before children); return its index."""
    at = len(out)
    if "leaf_value" in node:
        out.append({"feature": -1, "threshold": 0.0, "left": 0, "right": 0, "value": float(node["leaf_value"])})
        return at
    if node.get("decision_type", "<=") != "<=":
        raise LegalretError(f"ranker trees: split {node.get('decision_type')!r} is not supported (numerical <= only)")
    out.append({"feature": int(node["split_feature"]), "threshold": float(node["threshold"]), "left": 0, "right": 0,
                "value": float(node["internal_value"])})
    out[at]["left"] = _flatten(node["left_child"], out)
    out[at]["right"] = _flatten(node["right_child"], out)
    return at


def _masks(trees: TreeEnsemble) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """QuickScorer's tables: per tree, its splits' features and thresholds (padding: feature 0, threshold +inf,
    a comparison that never fails), the leaves each split rules out when its comparison fails (those of its left
    subtree, leaves numbered left to right, bit i = leaf i), and the leaves' values in that order. ``None`` past
    64 leaves."""
    per_tree = []
    for i in range(trees.size):
        leaves: list[int] = []  # node indexes, left to right
        splits: list[tuple[int, int, int]] = []  # (node, first leaf, leaves) of each split's left subtree

        def visit(j: int) -> int:  # → leaves below j
            if trees.feature[i, j] < 0:
                leaves.append(j)
                return 1
            first, at = len(leaves), len(splits)
            splits.append((j, first, 0))
            left = visit(int(trees.left[i, j]))
            splits[at] = (j, first, left)
            return left + visit(int(trees.right[i, j]))

        visit(0)
        if len(leaves) > 64:
            return None
        per_tree.append((leaves, splits))
    width = max((len(s) for _, s in per_tree), default=0) or 1
    most = max((len(lv) for lv, _ in per_tree), default=1)
    bits = next(b for b in (np.uint8, np.uint16, np.uint32, np.uint64) if np.iinfo(b).bits >= most)
    feature = np.zeros((trees.size, width), dtype=np.int64)
    threshold = np.full((trees.size, width), np.inf)
    ruled_out = np.zeros((trees.size, width), dtype=bits)
    value = np.zeros((trees.size, most))
    for i, (leaves, splits) in enumerate(per_tree):
        value[i, :len(leaves)] = trees.value[i, leaves]
        for k, (j, first, count) in enumerate(splits):
            feature[i, k], threshold[i, k] = trees.feature[i, j], trees.threshold[i, j]
            ruled_out[i, k] = ((1 << count) - 1) << first
    return feature, threshold, ruled_out, value


def _used(trees: TreeEnsemble) -> list[int]:
    """Nodes each tree uses (those reachable from its root)."""
    used = []
    for i in range(trees.size):
        seen, stack = 0, [0]
        while stack:
            j = stack.pop()
            seen = max(seen, j + 1)
            if trees.feature[i, j] >= 0:
                stack += [int(trees.left[i, j]), int(trees.right[i, j])]
        used.append(seen)
    return used


def _depth(trees: TreeEnsemble) -> int:
    """The longest root-to-leaf path (the steps :meth:`TreeEnsemble._leaves` takes)."""
    deepest = 0
    for i in range(trees.size):
        stack = [(0, 0)]
        while stack:
            j, d = stack.pop()
            if trees.feature[i, j] >= 0:
                if d >= trees.feature.shape[1]:
                    raise LegalretError("ranker trees: a cycle in a tree: a damaged file")
                stack += [(int(trees.left[i, j]), d + 1), (int(trees.right[i, j]), d + 1)]
            else:
                deepest = max(deepest, d)
    return deepest
