"""Training data for ``legalret train``: the pairs directory written by ``legalret pairs``, read and checked.

A pairs directory holds (see ``legalret pairs`` and docs/design.md)::

    train.jsonl          {"query", "positive", "key", "qid", "decided", "case_no"?, "negatives"?: [...]}
    dev.jsonl            same, decided 2020–2022
    dev_queries.jsonl    {"qid", "query", "gold": [keys]}   (benchmark query format)
    stats.json

Texts are stored *without* model prompts: the prompts belong to the encoder spec and are added by the trainer.

Usage::

    data = load_pairs("out/pairs", limit=8000, hard_negatives=1, seed=42)
    data.train_rows[0]["query"], data.dev_queries[0]["gold"], data.corpus["민법 제750조"]
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from legalret.errors import TrainingError
from legalret.models.adapter import file_fingerprint

TRAIN_FILE, DEV_FILE, DEV_QUERIES_FILE = "train.jsonl", "dev.jsonl", "dev_queries.jsonl"


@dataclass
class PairsData:
    """What training needs from a pairs directory."""

    pairs_dir: Path
    train_rows: list[dict[str, Any]]          # {"query", "positive", "negatives": [...], ...} after --limit
    n_train_total: int                        # before --limit
    dev_rows: list[dict[str, Any]]
    dev_queries: list[dict[str, Any]]         # {"qid", "query", "gold": [...]}
    corpus: dict[str, str]                    # key -> passage text, from every positive (and negative) seen
    fingerprint: str                          # sha256 of the pair files
    warnings: list[str] = field(default_factory=list)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file; a malformed line is a :class:`TrainingError` naming file and line."""
    if not path.is_file():
        raise TrainingError(f"{path}: missing (run `legalret pairs --out {path.parent}` first)")
    rows = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise TrainingError(f"{path}:{line_no}: invalid JSON ({e.msg})") from e
            if not isinstance(row, dict):
                raise TrainingError(f"{path}:{line_no}: expected a JSON object, got {type(row).__name__}")
            rows.append(row)
    return rows


def negatives_of(row: dict[str, Any]) -> list[str]:
    """Hard negatives of a pair row, whichever way the pairs file spells them."""
    negs = row.get("negatives")
    if negs is None:
        negs = [row["negative"]] if isinstance(row.get("negative"), str) else []
    out = []
    for n in negs:
        # either plain texts or {"key", "text"} objects
        if isinstance(n, dict):
            n = n.get("text") or n.get("positive") or ""
        if isinstance(n, str) and n.strip():
            out.append(n)
    return out


def load_pairs(pairs_dir: str | Path, *, limit: int | None = None, seed: int = 42) -> PairsData:
    """Read a pairs directory. ``limit`` keeps a seeded random subset of the training pairs (same seed, same subset)."""
    pairs_dir = Path(pairs_dir)
    if not pairs_dir.is_dir():
        raise TrainingError(f"{pairs_dir}: no such pairs directory")
    train_path, dev_path, dq_path = pairs_dir / TRAIN_FILE, pairs_dir / DEV_FILE, pairs_dir / DEV_QUERIES_FILE
    train_rows = read_jsonl(train_path)
    dev_rows = read_jsonl(dev_path) if dev_path.is_file() else []
    dev_queries = read_jsonl(dq_path)
    for line, q in enumerate(dev_queries, start=1):
        if not isinstance(q.get("query"), str) or not isinstance(q.get("gold"), list) or "qid" not in q:
            raise TrainingError(f"{dq_path}:{line}: expected {{'qid', 'query', 'gold': [keys]}}, got keys {sorted(q)}")

    corpus: dict[str, str] = {}
    for rows in (train_rows, dev_rows):
        for row in rows:
            key, text = row.get("key"), row.get("positive")
            if isinstance(key, str) and isinstance(text, str):
                corpus.setdefault(key, text)

    n_total = len(train_rows)
    if limit is not None and limit < n_total:
        rng = random.Random(seed)
        train_rows = rng.sample(train_rows, limit)
    fingerprint = file_fingerprint([p for p in (train_path, dev_path, dq_path) if p.is_file()])
    return PairsData(pairs_dir, train_rows, n_total, dev_rows, dev_queries, corpus, fingerprint)


def with_negatives(rows: list[dict[str, Any]], n: int, *, seed: int = 42) -> tuple[list[list[str]], int]:
    """``n`` negative texts per row: the row's own hard negatives first, topped up with random other positives.

    A random filler is never a passage that is gold for the same query (same ``qid``), so a query is never pushed
    away from one of its own answers. Returns the negative lists and how many fillers were needed.
    """
    if n <= 0:
        return [[] for _ in rows], 0
    rng = random.Random(seed)
    positives_by_qid: dict[Any, set[str]] = {}
    for row in rows:
        positives_by_qid.setdefault(row.get("qid", id(row)), set()).add(row["positive"])
    all_positives = sorted({row["positive"] for row in rows})
    out, filled = [], 0
    for row in rows:
        own = positives_by_qid.get(row.get("qid", id(row)), {row["positive"]})
        negs = [t for t in negatives_of(row) if t not in own][:n]
        while len(negs) < n and len(all_positives) > len(own) + len(negs):
            candidate = rng.choice(all_positives)
            if candidate not in own and candidate not in negs:
                negs.append(candidate)
                filled += 1
        if len(negs) < n:
            raise TrainingError(f"cannot find {n} negatives for pair qid={row.get('qid')}: too few distinct passages")
        out.append(negs)
    return out, filled
