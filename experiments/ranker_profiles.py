"""Measure the article-profile columns of the re-ranker offline (issue #14): the shipped recipe with and without them.

The holdings memory's article profiles (:mod:`legalret.memory.profiles`: every holding citing an article pooled
into one BM25 document) give each fused candidate a rank and score (``Searcher`` sets ``ranks['profile']``).
Here the cached depth-100 candidates (``experiments/ranker_cache.py``, cached before the profiles existed) get
them through the Searcher's own code (``IndexedProfiles.annotate``) under the leakage rules a benchmark uses
— a train or dev holding pools only earlier, other decisions; the questions only decisions before 2020 — and
two rankers are fitted the shipped way (logistic regression): the first ranker's 52 features (``first``) and
the same plus the profile group (``first,profile``, what ships). Splits as ``experiments/ranker_variants.py``:
held-out train holdings and 5-fold cross-validation over the tune-half questions; ``--report`` fits on all the
tuning data once and scores the report half and the dev holdings. Paired bootstrap of the per-query differences.

    nice -n 10 .venv/bin/python experiments/ranker_profiles.py --index /tmp/final_idx_k --train /tmp/rk/train.pkl \\
        --questions /tmp/rk/questions.pkl [--dev /tmp/rk/dev.pkl --report] [--out benchmarks/results/ranker_profiles.json]

Result (2026-11-27, main-job index): see ``benchmarks/results/ranker_profiles.json`` and the README (#14).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import ranker_variants as rv  # noqa: E402

from legalret.search.ranker import FEATURE_GROUPS, candidate_features  # noqa: E402

BEFORE_QUESTIONS = "2020-01-01"  # the questions carry no date: only decisions before the dev period vote


def load(path: str, searcher, keys: set[str]) -> list[dict]:
    """Cached queries with the profile ranks set on their candidates, their feature matrix ``x`` and gold ``y``."""
    with open(path, "rb") as f:
        cached = pickle.load(f)
    out = []
    for d in cached:
        q = searcher._prepare(d["query"])
        q.before, q.exclude = d.get("date") or BEFORE_QUESTIONS, d.get("case_no")
        hits = [rv.H(*h) for h in d["hits"]]
        searcher.opened["profile"].annotate(q, [h for h in hits if "citation" not in h.ranks])
        d["cited"] = [h.key for h in hits if "citation" in h.ranks]
        d["keys"], d["x"] = candidate_features(d["query"], hits, 100)
        d["gold"] = [g for g in d["gold"] if g in keys]
        d["y"] = np.array([k in set(d["gold"]) for k in d["keys"]], dtype=np.float64)
        d["source"] = "questions" if d["source"] == "questions" else "holdings"
        del d["hits"]
        if d["gold"]:
            out.append(d)
    return out


def fit(qs: list[dict], groups: list[str]):
    from legalret.train.ranker import fit as fit_logistic
    from legalret.train.ranker import subset

    features = [f for g in groups for f in FEATURE_GROUPS[g]]
    return fit_logistic(subset(rv.rows_of(qs), features), features=features)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True, help="the index the candidates were cached on (its memory's profiles)")
    ap.add_argument("--train", required=True)
    ap.add_argument("--questions", required=True)
    ap.add_argument("--dev")
    ap.add_argument("--report", action="store_true", help="fit on all tuning data; score the report half and --dev")
    ap.add_argument("--heldout", type=float, default=0.2)
    ap.add_argument("--out")
    args = ap.parse_args(argv)

    from legalret.search.searcher import Searcher

    searcher = Searcher(args.index, ranker=None)
    keys = set(searcher.keys)
    t0 = time.perf_counter()
    train = load(args.train, searcher, keys)
    questions = load(args.questions, searcher, keys)
    fit_h, held, tune, report = rv.split(train, questions, args.heldout)
    print(f"{len(fit_h)} fitting / {len(held)} held-out train holdings, {len(tune)} tune, {len(report)} report "
          f"questions; profiles set in {time.perf_counter() - t0:.0f}s", flush=True)

    dev = load(args.dev, searcher, keys) if args.report and args.dev else None
    variants = {"first": ["first"], "first+profile": ["first", "profile"]}
    per: dict[str, dict[str, tuple[list[dict], list[np.ndarray]]]] = {}
    for name, groups in variants.items():
        if args.report:
            per[name] = rv.report_groups(fit(fit_h + held + tune, groups), report, dev)
        else:
            per[name] = rv.tuning_groups(lambda qs, groups=groups: fit(qs, groups), fit_h, held, tune)

    from legalret.evaluate.metrics import paired_bootstrap_diff

    table: dict = {}
    for group in per["first"]:
        qs, base = per["first"][group]
        new = per["first+profile"][group][1]
        a, b = rv.metrics(qs, new), rv.metrics(qs, base)
        table[group] = {"n": len(qs)}
        for m in ("recall@10", "mrr@10"):
            diff = paired_bootstrap_diff(a[m].tolist(), b[m].tolist())
            table[group][m] = {"first": float(b[m].mean()), "first+profile": float(a[m].mean()), "diff": diff}
            print(f"{group:22s} {m:9s} n={len(qs):4d}  first {b[m].mean():.3f}  +profile {a[m].mean():.3f}  "
                  f"diff {diff['mean']:+.4f} [{diff['ci_low']:+.4f}, {diff['ci_high']:+.4f}]", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(table, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
