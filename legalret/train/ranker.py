"""Train the learned fusion re-ranker (:mod:`legalret.search.ranker`) — honestly.

Training data, never the reporting sets:

* **train-split holdings** (decided before 2020; ``legalret pairs`` ``train_queries.jsonl``, which carries
  each decision's ``date`` and ``case_no``): the memory answers each with only earlier, other decisions —
  as it would for a new decision;
* the **tune half** of the hand-written questions (``benchmarks/queries/user_questions.jsonl``,
  ``split == "tune"``), with the memory cut at ``--before`` (2020-01-01);
* optionally (``--facts-queries N``) **scenario-like queries**: the facts of N train-split decisions from the
  index's facts memory (first ``--facts-chars`` characters, the articles the decision cites as gold),
  answered — like the holdings — only by earlier, other decisions (so a decision's own facts never vote).

The features include the facts memory's (:mod:`legalret.memory.facts`) when the index has one; a ranker
trained on an index without it learns zero weight for them.

Each query's hybrid top-``depth`` candidates become rows (gold = 1); rows are weighted so that each
source (holdings, questions) carries the same total weight and every query counts equally within it —
the default must win both kinds of question (``source_weights`` changes the split). Models
(``--model``): a logistic regression (scikit-learn; the first shipped ranker), or a listwise model — a
softmax over each query's candidates, linear or with one tanh hidden layer (torch, full-batch Adam) — all
trained on standardized features and applied at query time with numpy.

    .venv/bin/python -m legalret.train.ranker --index /tmp/q_idx --holdings out/pairs/train_queries.jsonl \\
        --holdings-limit 3000 --questions benchmarks/queries/user_questions.jsonl --out ranker.json \\
        [--model logistic|listwise|mlp] [--facts-queries 1000] [--features first,profile]

``--features`` names the groups of :data:`~legalret.search.ranker.FEATURE_GROUPS` to train on (default all;
the shipped ranker: ``first,profile``).

To compare models without searching again, cache the candidates once (``experiments/ranker_cache.py``)
and fit variants on them in seconds to minutes (``experiments/ranker_variants.py``).

or from Python::

    from legalret.train.ranker import collect, fit
    rows = collect(searcher, queries, depth=100, default_before="2020-01-01")
    ranker = fit(rows)
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from legalret.errors import LegalretError
from legalret.evaluate.leakage import plan_leakage
from legalret.search.ranker import DEFAULT_DEPTH, FEATURE_GROUPS, FEATURES, ON_DEMAND_FEATURES, Ranker, candidate_features


@dataclass
class Rows:
    """Feature rows of many queries: ``x`` (n, features), ``y`` (gold 0/1), ``group`` (query index), ``source``."""

    x: np.ndarray
    y: np.ndarray
    group: np.ndarray
    source: list[str] = field(default_factory=list)  # per query
    queries: int = 0
    queries_with_gold: int = 0  # queries whose gold is among the candidates (others teach nothing)

    @classmethod
    def concat(cls, parts: Sequence[Rows]) -> Rows:
        offset, groups = 0, []
        for p in parts:
            groups.append(p.group + offset)
            offset += p.queries
        return cls(np.vstack([p.x for p in parts]), np.concatenate([p.y for p in parts]), np.concatenate(groups),
                   [s for p in parts for s in p.source], offset, sum(p.queries_with_gold for p in parts))


def collect(searcher: Any, queries: Sequence[Any], *, source: str, depth: int = DEFAULT_DEPTH,
            default_before: str | None = None, batch_size: int = 64) -> Rows:
    """Rows for ``queries`` (:class:`~legalret.evaluate.quality.EvalQuery`); the memory votes under the same
    leakage plan a benchmark would use (own date / ``default_before``; refused otherwise)."""
    plan = plan_leakage(searcher, queries, ("hybrid",), default_before=default_before)
    rates = searcher.base_rates() if hasattr(searcher, "base_rates") else None  # counted under the same cut-offs
    xs, ys, gs = [], [], []
    with_gold = 0
    for start in range(0, len(queries), batch_size):
        batch = list(range(start, min(start + batch_size, len(queries))))
        results = searcher.search_batch([queries[i].query for i in batch], depth, mode="convex",
                                        before=[plan.before[i] for i in batch], exclude=[plan.exclude[i] for i in batch])
        for i, hits in zip(batch, results):
            keys, x = candidate_features(queries[i].query, hits, depth,
                                         cited=rates.before(plan.before[i]) if rates is not None else None)
            gold = set(queries[i].gold)
            y = np.array([k in gold for k in keys], dtype=np.float64)
            with_gold += bool(y.any())
            xs.append(x)
            ys.append(y)
            gs.append(np.full(len(keys), i, dtype=np.int64))
    if not xs:
        raise LegalretError(f"no queries to collect ranker rows from ({source})")
    return Rows(np.vstack(xs), np.concatenate(ys), np.concatenate(gs), [source] * len(queries), len(queries), with_gold)


def facts_queries(searcher: Any, n: int, *, before: str = "2020-01-01", chars: int = 600, seed: int = 0) -> list[Any]:
    """``n`` scenario-like training queries from the searcher's facts memory: the facts of decisions decided
    before ``before`` (train split), cut to ``chars`` characters, gold = the articles the decision cites;
    each carries its ``date`` and ``case_no`` so that only earlier, other decisions vote for it."""
    from legalret.evaluate.quality import EvalQuery

    facts = getattr(searcher, "facts", None)
    if facts is None:
        raise LegalretError(f"{getattr(searcher, 'index_dir', 'index')}: no facts memory (build with --facts) for --facts-queries")
    memory = facts.memory
    from datetime import date

    cut = date.fromisoformat(before).toordinal()
    rows = np.flatnonzero(memory.decided_ord < cut)
    rng = np.random.default_rng(seed)
    rows = rng.choice(rows, size=min(n, len(rows)), replace=False) if len(rows) else rows
    out = []
    for row in sorted(rows.tolist()):
        item = memory.items[row]
        out.append(EvalQuery(qid=f"facts-{item.case_no}", query=item.text[:chars], gold=list(item.keys),
                         extra={"date": item.decided.isoformat(), "case_no": item.case_no, "style": "facts"}))
    return out


def fit(rows: Rows, *, c: float = 1.0, depth: int = DEFAULT_DEPTH, info: dict | None = None,
        features: Sequence[str] = FEATURES, source_weights: dict[str, float] | None = None) -> Ranker:
    """Weighted logistic regression (each source equal total weight — or ``source_weights`` — each query
    equal within it); ``features``: the names of ``rows``' columns (see :func:`subset`)."""
    from sklearn.linear_model import LogisticRegression

    if rows.y.sum() == 0:
        raise LegalretError("no gold article among any query's candidates: nothing to learn")
    per_source = {s: rows.source.count(s) for s in set(rows.source)}
    share = _source_shares(per_source, source_weights)
    q_weight = np.array([share[s] / per_source[s] for s in rows.source])
    q_rows = np.bincount(rows.group, minlength=rows.queries).astype(np.float64)
    w = q_weight[rows.group] / np.maximum(q_rows[rows.group], 1.0)
    # positives are ~1% of rows: balance them within the weighting, so the weights are about order
    pos = rows.y > 0
    w = np.where(pos, w * (w[~pos].sum() / max(w[pos].sum(), 1e-12)), w)
    w = w * (len(w) / w.sum())
    mean, scale = _standardization(rows.x)
    z = (rows.x - mean) / scale
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(z, rows.y, sample_weight=w)
    return Ranker(coef=model.coef_[0], mean=mean, scale=scale, intercept=float(model.intercept_[0]), depth=depth,
                  features=tuple(features), info={**(info or {}), "rows": len(rows.y), "positives": int(rows.y.sum()), "queries": rows.queries,
                        "queries_with_gold_in_candidates": rows.queries_with_gold, "sources": per_source, "C": c,
                        "source_weights": share})


def _standardization(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and standard deviation of the training rows (a constant column: scale 1)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return mean, scale


def _source_shares(per_source: dict[str, int], weights: dict[str, float] | None) -> dict[str, float]:
    """Each source's share of the total weight: equal, or ``weights`` normalized (a source it omits: 1)."""
    raw = {s: float((weights or {}).get(s, 1.0)) for s in per_source}
    total = sum(raw.values())
    return {s: w / total for s, w in raw.items()}


def _padded(rows: Rows) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows as ``(queries, candidates, features)`` arrays with a mask; queries without a gold candidate dropped."""
    keep = np.flatnonzero(np.bincount(rows.group, weights=rows.y, minlength=rows.queries) > 0)
    counts = np.bincount(rows.group, minlength=rows.queries)
    width = int(counts[keep].max())
    pos = {int(q): i for i, q in enumerate(keep)}
    x = np.zeros((len(keep), width, rows.x.shape[1]), dtype=np.float32)
    y = np.zeros((len(keep), width), dtype=np.float32)
    mask = np.zeros((len(keep), width), dtype=bool)
    order = np.argsort(rows.group, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    for q in keep.tolist():
        idx = order[starts[q]:starts[q + 1]]
        i, k = pos[q], len(idx)
        x[i, :k], y[i, :k], mask[i, :k] = rows.x[idx], rows.y[idx], True
    return x, y, mask, keep


def fit_listwise(rows: Rows, *, hidden: int = 0, epochs: int = 300, lr: float = 0.02, l2: float = 1e-4,
                 seed: int = 0, depth: int = DEFAULT_DEPTH, info: dict | None = None,
                 features: Sequence[str] = FEATURES, source_weights: dict[str, float] | None = None) -> Ranker:
    """A listwise ranker: softmax over each query's candidates, loss −log(the gold candidates' total
    probability), queries weighted as in :func:`fit` (each source the same total weight). ``hidden`` > 0
    adds one tanh hidden layer of that many units beside the linear part. Full-batch Adam (torch, training
    time only); the result is scored with numpy (:class:`~legalret.search.ranker.Ranker`)."""
    import torch

    if rows.y.sum() == 0:
        raise LegalretError("no gold article among any query's candidates: nothing to learn")
    torch.manual_seed(seed)
    mean, scale = _standardization(rows.x)
    x, y, mask, keep = _padded(rows)
    sources = [rows.source[q] for q in keep.tolist()]
    per_source = {s: sources.count(s) for s in set(sources)}
    share = _source_shares(per_source, source_weights)
    w = torch.tensor([share[s] / per_source[s] for s in sources], dtype=torch.float32)
    z = torch.from_numpy((x - mean.astype(np.float32)) / scale.astype(np.float32)) * torch.from_numpy(mask)[..., None]
    y_t, m_t = torch.from_numpy(y), torch.from_numpy(mask)
    f = x.shape[2]
    linear = torch.nn.Linear(f, 1)
    layers = [linear]
    if hidden:
        inner, outer = torch.nn.Linear(f, hidden), torch.nn.Linear(hidden, 1)
        torch.nn.init.normal_(outer.weight, std=0.01)
        layers += [inner, outer]
    params = [p for layer in layers for p in layer.parameters()]
    opt = torch.optim.Adam(params, lr=lr)
    weights = [layer.weight for layer in layers]
    for _ in range(epochs):
        opt.zero_grad()
        s = linear(z).squeeze(-1)
        if hidden:
            s = s + outer(torch.tanh(inner(z))).squeeze(-1)
        logp = torch.log_softmax(s.masked_fill(~m_t, -1e9), dim=1)
        gold = torch.logsumexp(logp.masked_fill(y_t == 0, -1e9), dim=1)
        loss = -(w * gold).sum() + l2 * sum((p ** 2).sum() for p in weights)
        loss.backward()
        opt.step()
    settings = {"model": "listwise" if not hidden else f"mlp{hidden}", "epochs": epochs, "lr": lr, "l2": l2,
                "loss": float(loss.detach()), "seed": seed}
    layer = None
    if hidden:
        layer = {"w1": inner.weight.detach().double().numpy().T, "b1": inner.bias.detach().double().numpy(),
                         "w2": outer.weight.detach().double().numpy()[0], "b2": float(outer.bias.detach()[0])}
    return Ranker(coef=linear.weight.detach().double().numpy()[0], mean=mean, scale=scale,
                  intercept=float(linear.bias.detach()[0]), depth=depth, hidden=layer, features=tuple(features),
                  info={**(info or {}), "rows": len(rows.y), "positives": int(rows.y.sum()), "queries": rows.queries,
                        "queries_with_gold_in_candidates": len(keep), "sources": per_source, "source_weights": share,
                        **settings})


def subset(rows: Rows, features: Sequence[str]) -> Rows:
    """The same rows with only ``features`` (names from :data:`FEATURES`) as columns."""
    cols = [FEATURES.index(f) for f in features]
    return Rows(rows.x[:, cols], rows.y, rows.group, rows.source, rows.queries, rows.queries_with_gold)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m legalret.train.ranker", description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--holdings", help="train-split holdings (legalret pairs train_queries.jsonl, with date/case_no)")
    ap.add_argument("--holdings-limit", type=int, default=3000)
    ap.add_argument("--questions", action="append", default=[],
                    help="hand-written questions (repeatable: user_questions.jsonl, law_questions.jsonl); only split == 'tune' is used")
    ap.add_argument("--before", default="2020-01-01", help="memory cut-off for the questions")
    ap.add_argument("--facts-queries", type=int, default=0,
                    help="also train on the facts of this many train-split decisions (scenario-like queries)")
    ap.add_argument("--facts-chars", type=int, default=600, help="facts queries are cut to this many characters")
    ap.add_argument("--depth", type=int, default=DEFAULT_DEPTH)
    ap.add_argument("--model", default="logistic", choices=("logistic", "listwise", "mlp"),
                    help="pointwise logistic regression (default; the shipped ranker), a listwise linear model, or a listwise "
                         "model with one hidden layer")
    ap.add_argument("--hidden", type=int, default=16, help="hidden units of --model mlp")
    ap.add_argument("--epochs", type=int, default=400, help="full-batch Adam steps of the listwise models")
    ap.add_argument("--lr", type=float, default=0.02, help="Adam learning rate of the listwise models")
    ap.add_argument("--l2", type=float, default=1e-4, help="L2 penalty on the listwise models' weights")
    ap.add_argument("--C", type=float, default=1.0, dest="c", help="inverse L2 strength of --model logistic")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--features", default=",".join(FEATURE_GROUPS),
                    help=f"feature groups to train on, comma-separated ({', '.join(FEATURE_GROUPS)}; default all)")
    ap.add_argument("--without-facts", action="store_true",
                    help="search without the index's facts memory (a baseline ranker that never sees it)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    groups = [g.strip() for g in args.features.split(",") if g.strip()]
    unknown = [g for g in groups if g not in FEATURE_GROUPS]
    if unknown or not groups:
        ap.error(f"--features: unknown group {unknown[0] if unknown else '(none given)'!r} "
                 f"(choose from {', '.join(FEATURE_GROUPS)})")
    features = [f for g in FEATURE_GROUPS if g in groups for f in FEATURE_GROUPS[g]]

    from legalret.evaluate.quality import EvalQuery, load_queries
    from legalret.evaluate.questions import read_questions
    from legalret.search.searcher import Searcher

    # the on-demand retrievers whose groups it trains on annotate every candidate it reads
    on_demand = {name: True for name in ON_DEMAND_FEATURES if name in groups}
    searcher = Searcher(args.index, **on_demand, **({"facts": False} if args.without_facts else {}))
    parts, info = [], {"index": args.index, "depth": args.depth, "features": len(features), "feature_groups": groups,
                       "facts_memory": searcher.facts is not None,
                       # the lists its features read: the Searcher applies it only where the index has them all
                       "requires": ["bm25", "dense", "memory", *on_demand],
                       "command": "python -m legalret.train.ranker " + shlex.join(argv if argv is not None else sys.argv[1:])}
    t0 = time.perf_counter()
    if args.holdings:
        hs = list(load_queries(args.holdings, limit=args.holdings_limit, seed=args.seed))
        late = [q.qid for q in hs if str(q.extra.get("date", "")) >= "2020-01-01" or not q.extra.get("date")]
        if late:
            raise LegalretError(f"{args.holdings}: {len(late)} holdings are undated or from 2020 on (e.g. {late[0]}): "
                                "train the ranker on train-split holdings only")
        parts.append(collect(searcher, hs, source="holdings", depth=args.depth))
        info["holdings"] = {"file": args.holdings, "limit": args.holdings_limit, "queries": len(hs)}
        print(f"holdings: {len(hs)} queries, {time.perf_counter() - t0:.0f}s", flush=True)
    if args.questions:
        qs = [EvalQuery(qid=q.qid, query=q.query, gold=list(q.gold), extra={"style": q.style})
              for path in args.questions for q in read_questions(path) if q.split == "tune"]
        parts.append(collect(searcher, qs, source="questions", depth=args.depth, default_before=args.before))
        info["questions"] = {"file": args.questions[0] if len(args.questions) == 1 else args.questions, "split": "tune",
                             "queries": len(qs), "before": args.before}
        print(f"questions (tune): {len(qs)} queries, {time.perf_counter() - t0:.0f}s", flush=True)
    if args.facts_queries:
        fq = facts_queries(searcher, args.facts_queries, before=args.before, chars=args.facts_chars, seed=args.seed)
        parts.append(collect(searcher, fq, source="facts", depth=args.depth))
        info["facts_queries"] = {"queries": len(fq), "chars": args.facts_chars, "before": args.before}
        print(f"facts queries: {len(fq)} queries, {time.perf_counter() - t0:.0f}s", flush=True)
    if not parts:
        ap.error("give --holdings, --questions and/or --facts-queries")
    rows = subset(Rows.concat(parts), features)
    if args.model == "logistic":
        ranker = fit(rows, c=args.c, depth=args.depth, info=info, features=features)
    else:
        ranker = fit_listwise(rows, hidden=args.hidden if args.model == "mlp" else 0, epochs=args.epochs, lr=args.lr,
                              l2=args.l2, seed=args.seed, depth=args.depth, info=info, features=features)
    ranker.info["seconds"] = round(time.perf_counter() - t0, 1)
    ranker.save(args.out)
    top = sorted(zip(ranker.features, ranker.coef.tolist()), key=lambda kv: -abs(kv[1]))[:8]
    print(f"wrote {args.out} ({ranker.kind}): {ranker.info['rows']} rows, {ranker.info['positives']} positives; "
          "top linear weights: " + ", ".join(f"{n} {w:+.2f}" for n, w in top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
