"""`legalret train query-adapter` refuses to fit a handful of pairs, and says which training lines it could not
check against the dev split (an ML engineer's finding, 2026-12-07: 30 queries, two without a date, trained without a
word, and the adapter had a real one's standing; LoRA training refuses under the same minimum unless --force)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.errors import TrainingError  # noqa: E402
from legalret.index import build_index  # noqa: E402
from legalret.train.guards import MIN_PAIRS  # noqa: E402
from legalret.train.query_adapter import QueryAdapterConfig, train_query_adapter  # noqa: E402


def _rows(articles, dated: bool = True):
    rows = []
    for i, a in enumerate(articles):
        words = a.index_text().split()
        for j in range(0, min(len(words), 24), 4):
            row = {"qid": f"t{i}-{j}", "query": " ".join(words[j:j + 6]), "gold": [a.key]}
            rows.append(row | ({"date": "2010-01-01"} if dated or j else {}))  # undated: each article's first window
    return rows


def test_too_few_pairs_are_refused_unless_forced_and_undated_lines_are_counted(tmp_path):
    enc = sup.tiny_encoder()
    idx = tmp_path / "idx"
    build_index(sup.articles(), idx, encoder=enc)
    arts = [a for a in sup.articles() if not a.deleted]
    rows = _rows(arts, dated=False)
    undated = sum("date" not in r for r in rows)
    assert 0 < undated < len(rows) < MIN_PAIRS
    queries = tmp_path / "train.jsonl"
    queries.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    cfg = QueryAdapterConfig(queries=queries, index=idx, out=tmp_path / "out", cache=tmp_path / "cache", epochs=2)
    with pytest.raises(TrainingError, match=rf"only {len(rows)} training pairs \(minimum {MIN_PAIRS}\).*--force"):
        train_query_adapter(cfg, encoder=enc, log=lambda m: None)
    assert not (tmp_path / "out").exists()
    said = []
    cfg.force = True
    result = train_query_adapter(cfg, encoder=enc, log=said.append)
    assert result.card.data["sources"][str(queries)]["undated"] == undated
    assert any(line.startswith(f"note: {undated} training queries carry no date") for line in said)
