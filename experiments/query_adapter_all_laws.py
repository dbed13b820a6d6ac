"""Does a query adapter fitted on every law's pairs beat the shipped 민법/상법 one on the all-law index? (dense alone)

The shipped map (``legalret/adapters/me5-small-legal-qmap``) was fitted with the 2,263 민법+상법 articles as
candidates. This one was fitted the same way (``legalret train query-adapter``, alpha 0.5, 2 epochs) on all 83,793
train-split holdings of any law (156,043 pairs, ``legalret pairs --corpus all-acts-decrees``) with all 132,123
articles of the all-acts-decrees index as candidates::

    legalret train query-adapter --queries PAIRS_ALL/train_queries.jsonl --index FULL_IDX \\
        --dev PAIRS_ALL/dev_queries.jsonl --out QMAP_ALL --name me5-small-legal-qmap-all --max-tokens 128 \\
        --scale 20 --l2 1e-3 --lr 2e-3 --epochs 2 --batch-size 256 --alpha 0.5 --seed 0 --threads 2

This script scores, with the dense list alone over the index's article vectors: the base encoder, the shipped map,
and the new map at alpha 0.25 / 0.5 / 0.75 / 1.0 (``W = I + alpha·ΔW``), on both halves of the law questions, the
민법/상법 user questions and the any-law dev holdings (``law_holdings.jsonl``)::

    python experiments/query_adapter_all_laws.py --index FULL_IDX --adapter QMAP_ALL \\
        --holdings PAIRS_ALL/law_holdings.jsonl

The fused comparison (the whole default, re-ranked) is ``experiments/ranker_all_laws.py`` on candidates cached from
the index as built and from a copy whose manifest records the new map (``ranker_all_laws_ng`` / ``_qa``).
Writes ``benchmarks/results/query_adapter_all_laws.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from legalret.evaluate.questions import read_questions  # noqa: E402
from legalret.index.encoders import load_index_encoder  # noqa: E402
from legalret.models.query_adapter import QueryAdapter  # noqa: E402
from legalret.train.query_adapter import QueryVectorCache, dense_metrics, encode_cached, index_candidates  # noqa: E402

QUESTIONS = {"law": REPO / "benchmarks" / "queries" / "law_questions.jsonl",
             "user": REPO / "benchmarks" / "queries" / "user_questions.jsonl"}
SHIPPED = REPO / "legalret" / "adapters" / "me5-small-legal-qmap"
ALPHAS = (0.25, 0.5, 0.75, 1.0)


def query_sets(row: dict[str, int], holdings: str | None) -> dict[str, list[tuple[str, list[int]]]]:
    """``"<set> <style> <split>"`` → (query, gold rows); queries without an indexed gold article are left out."""
    sets: dict[str, list[tuple[str, list[int]]]] = {}
    for name, path in QUESTIONS.items():
        for q in read_questions(path):
            sets.setdefault(f"{name} {q.style} {q.split}", []).append((q.query, [row[g] for g in q.gold if g in row]))
    if holdings:
        for line in open(holdings, encoding="utf-8"):
            d = json.loads(line)
            sets.setdefault(f"holdings {d.get('split', '-')}", []).append((d["query"], [row[g] for g in d["gold"] if g in row]))
    return {k: [(t, g) for t, g in v if g] for k, v in sorted(sets.items())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True, help="the all-acts-decrees index (base passages)")
    ap.add_argument("--adapter", required=True, help="the query adapter fitted on all laws")
    ap.add_argument("--holdings", help="law_holdings.jsonl (any-law dev holdings, with split)")
    ap.add_argument("--cache", default=None, help="query-vector cache (default $LEGALRET_HOME/qcache)")
    ap.add_argument("--name", default="query_adapter_all_laws")
    args = ap.parse_args(argv)
    from legalret.config import legalret_home

    keys, P, info = index_candidates(args.index)
    row = {k: i for i, k in enumerate(keys)}
    enc = load_index_encoder({**info, "query_adapter": None}, where=args.index)
    cache = QueryVectorCache(args.cache or legalret_home() / "qcache", enc.fingerprint, None)  # as searches embed: no cut
    new = QueryAdapter.load(args.adapter)
    delta = (new.weight - np.eye(new.weight.shape[0], dtype=np.float32)) / float(new.card.hyperparameters["alpha"])
    maps = {"base": None, "shipped": QueryAdapter.load(SHIPPED).weight,
            **{f"all-laws alpha {a}": np.eye(len(delta), dtype=np.float32) + a * delta for a in ALPHAS}}
    table: dict[str, dict] = {}
    for name, items in query_sets(row, args.holdings).items():
        Q, _ = encode_cached(enc, [t for t, _ in items], cache, max_tokens=None, log=lambda *a: None)
        gold = [g for _, g in items]
        table[name] = {"n": len(items), **{m: dense_metrics(Q, gold, P, W) for m, W in maps.items()}}
        print(name, {m: round(v["recall@10"], 3) for m, v in table[name].items() if m != "n"}, flush=True)
    out = {"index": str(args.index), "adapter": {"path": str(args.adapter), "fingerprint": new.fingerprint,
                                                 "reproduce": new.card.reproduce, "dev_metrics": new.card.dev_metrics},
           "maps": list(maps), "sets": table,
           "command": "python experiments/query_adapter_all_laws.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    results = REPO / "benchmarks" / "results"
    (results / f"{args.name}.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    lines = ["# Dense alone on the all-law index: recall@10 / MRR@10 per query map", "",
             "| set | n | " + " | ".join(maps) + " |", "|---|---:|" + "---|" * len(maps)]
    for name, cells in table.items():
        lines.append(f"| {name} | {cells['n']} | " + " | ".join(
            f"{cells[m]['recall@10']:.3f} / {cells[m]['mrr@10']:.3f}" for m in maps) + " |")
    (results / f"{args.name}.md").write_text("\n".join(lines) + f"\n\nReproduce: `{out['command']}`\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
