"""Compare re-ranker variants offline on cached candidates (``experiments/ranker_cache.py``): seconds per variant.

Data (never the reporting sets for choosing): train-split holdings split by case number into a fitting part and
a held-out part (``--heldout``), and the tune half of the user questions, scored by 5-fold cross-validation (each
fold's questions left out of that fold's training). The report half and the dev holdings are scored only with
``--report`` (for the final table; choose before looking).

    .venv/bin/python experiments/ranker_variants.py --train /tmp/rk/train.pkl --questions /tmp/rk/questions.pkl \\
        [--dev /tmp/rk/dev.pkl --report] [--variants logit52,logit,listwise,mlp] [--save mlp=/tmp/rk/mlp.json]

Variants: ``logit52`` — the shipped model's recipe (pointwise logistic, the 52 first-ranker features);
``logit`` — the same on every feature; ``listwise`` — a linear model fitted with a softmax over each query's
candidates; ``mlp`` — one hidden layer (listwise), exported as numpy arrays.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from legalret.search.ranker import FEATURE_GROUPS, FEATURES, Ranker, candidate_features


@dataclass
class H:
    key: str
    score: float
    ranks: dict
    scores: dict
    votes: dict


def load(path: str, keys: set[str], titles=None, pool=None, depth: int = 100, cited=None) -> list[dict]:
    """Cached queries with their feature matrix ``x``, gold mask ``y`` and cited keys (exact citations);
    ``titles`` (``key -> article title``, the index's) fills the word-match columns' titles; ``pool`` (hits ->
    hits) picks the candidates the re-ranker reads from a deeper cache (default: the first 100); ``cited`` (a
    :class:`~legalret.search.ranker.BaseRates` and the questions' cut-off date) fills the base-rate columns, each
    query counted before its own date (questions: before the cut-off)."""
    out = []
    with open(path, "rb") as f:
        cached = pickle.load(f)
    for d in cached:
        hits = [H(*h) for h in d["hits"]]
        d["cited"] = [h.key for h in hits if "citation" in h.ranks]
        if pool is not None:
            hits = pool(hits)
        d["keys"], d["x"] = candidate_features(
            d["query"], hits, None if pool else depth, titles=titles,
            cited=None if cited is None else cited[0].before(d.get("date") or cited[1]))
        d["gold"] = [g for g in d["gold"] if g in keys]  # as the benchmark: gold outside the index is not scored
        d["y"] = np.array([k in set(d["gold"]) for k in d["keys"]], dtype=np.float64)
        del d["hits"]
        d["source"] = d["source"] if d["source"] in ("questions", "facts") else "holdings"
        if d["gold"]:
            out.append(d)
    return out


_PRIOR: dict | None = None


def add_prior(qs: list[dict], path: str) -> None:
    """An experimental column: how often earlier train-split decisions cite each candidate (share of decisions
    decided before the query's date, or before 2020 for undated questions; never the query's own decision)."""
    global _PRIOR
    import bisect

    if _PRIOR is None:
        _PRIOR = json.loads(Path(path).read_text(encoding="utf-8"))
    art, cases = _PRIOR["article_dates"], _PRIOR["case_dates"]
    for d in qs:
        when = d.get("date") or "2020-01-01"
        total = bisect.bisect_left(cases, when)
        p = np.array([bisect.bisect_left(art.get(k, []), when) for k in d["keys"]], dtype=np.float64)
        share = p / max(total, 1)
        d["x"] = np.hstack([d["x"], np.log(share + 1e-4)[:, None], (share / max(share.max(), 1e-12))[:, None]])


def metrics(qs: list[dict], scores: list[np.ndarray]) -> dict[str, np.ndarray]:
    r10, mrr = [], []
    for d, s in zip(qs, scores):
        order = np.argsort(-s, kind="stable")
        ranked = d["cited"] + [d["keys"][j] for j in order if d["keys"][j] not in d["cited"]]
        gold = set(d["gold"])
        top = ranked[:10]
        r10.append(len(gold & set(top)) / len(gold))
        mrr.append(next((1.0 / (i + 1) for i, k in enumerate(top) if k in gold), 0.0))
    return {"recall@10": np.array(r10), "mrr@10": np.array(mrr)}


def ci(v: np.ndarray, n: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, len(v), (n, len(v)))].mean(axis=1)
    return float(v.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def query_weights(qs: list[dict]) -> np.ndarray:
    """Each source (holdings, questions) the same total weight; each query equal within it."""
    src = [d["source"] for d in qs]
    count = {s: src.count(s) for s in set(src)}
    return np.array([1.0 / (len(count) * count[s]) for s in src])


# ---- models ------------------------------------------------------------------------------------------
def rows_of(qs: list[dict]):
    from legalret.train.ranker import Rows

    return Rows(np.vstack([d["x"] for d in qs]), np.concatenate([d["y"] for d in qs]),
                np.concatenate([np.full(len(d["y"]), i) for i, d in enumerate(qs)]), [d["source"] for d in qs], len(qs),
                sum(bool(d["y"].any()) for d in qs))


FIRST = FEATURE_GROUPS["first"]  # the first ranker's 52 features (by name)


def variant(name: str, qs: list[dict]) -> Ranker:
    from legalret.train.ranker import fit, fit_listwise, subset

    rows = rows_of(qs)
    if name == "logit52":
        return fit(subset(rows, FIRST), features=FIRST)
    if name == "logit":
        return fit(rows, features=FEATURES)
    if name.startswith("logit-w"):  # logit-w3: holdings weigh 3× the questions
        return fit(rows, features=FEATURES, source_weights={"holdings": float(name[7:]), "questions": 1.0})
    if name.startswith("listwise-w"):
        return fit_listwise(rows, features=FEATURES, source_weights={"holdings": float(name[10:]), "questions": 1.0})
    if name == "listwise52":
        return fit_listwise(subset(rows, FIRST), features=FIRST)
    if name == "listwise":
        return fit_listwise(rows, features=FEATURES)
    if name.startswith("mlp"):  # mlp16, mlp32, mlp16-e600, mlp8-e400-l0.01 (epochs, L2) …
        units, *opts = name[3:].split("-")
        settings = {"epochs": 400, "l2": 1e-4}
        for opt in opts:
            key = {"e": "epochs", "l": "l2"}[opt[0]]
            settings[key] = type(settings[key])(opt[1:])
        return fit_listwise(rows, hidden=int(units), features=FEATURES, **settings)
    raise SystemExit(f"unknown variant {name}")


def score(ranker: Ranker, qs):
    return [ranker.scores(d["x"]) for d in qs]


STYLES = ("short", "scenario", "keyword")


def split(train: list[dict], questions: list[dict], heldout: float):
    """``(fitting holdings, held-out holdings, tune questions, report questions)``: the train holdings split by
    case number (a stable ``heldout`` share), the questions by their fixed half."""
    held = [d for d in train if zlib.crc32(d["case_no"].encode()) % 1000 < heldout * 1000]
    fit_h = [d for d in train if zlib.crc32(d["case_no"].encode()) % 1000 >= heldout * 1000]
    return (fit_h, held, [d for d in questions if d["split"] == "tune"],
            [d for d in questions if d["split"] == "report"])


def tuning_groups(fit_on, fit_h: list[dict], held: list[dict], tune: list[dict]) -> dict:
    """What a variant is chosen on: 5-fold cross-validation over the tune questions (each fold's model fitted on
    the fitting holdings and the other folds' questions; ``fit_on(queries) -> Ranker``), and the held-out
    holdings scored by the first fold's model. ``{group: (queries, scores)}``."""
    folds = [i % 5 for i in range(len(tune))]
    held_scores, tune_scores = None, [None] * len(tune)
    for f in range(5):
        r = fit_on(fit_h + [d for d, k in zip(tune, folds) if k != f])
        if f == 0:
            held_scores = score(r, held)
        for i, (d, k) in enumerate(zip(tune, folds)):
            if k == f:
                tune_scores[i] = r.scores(d["x"])
    groups = {"held-out holdings": (held, held_scores)}
    for style in STYLES:
        idx = [i for i, d in enumerate(tune) if d["style"] == style]
        groups[f"tune {style} (cv)"] = ([tune[i] for i in idx], [tune_scores[i] for i in idx])
    return groups


def report_groups(ranker: Ranker, report: list[dict], dev: list[dict] | None = None) -> dict:
    """What is reported (scored once, after choosing): the report half per style and the dev holdings."""
    groups = {}
    for style in STYLES:
        sub = [d for d in report if d["style"] == style]
        groups[f"report {style}"] = (sub, score(ranker, sub))
    if dev is not None:
        groups["dev holdings"] = (dev, score(ranker, dev))
    return groups


def summarize(groups: dict[str, tuple[list[dict], list[np.ndarray]]]) -> dict:
    out = {}
    for name, (qs, sc) in groups.items():
        m = metrics(qs, sc)
        out[name] = {k: ci(v) for k, v in m.items()} | {"n": len(qs)}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--questions", required=True)
    ap.add_argument("--dev")
    ap.add_argument("--keys", default="/tmp/rk/keys.json",
                    help="JSON list of the index's article keys (gold outside it is not scored, as in the benchmark)")
    ap.add_argument("--report", action="store_true", help="also score the report half and the dev holdings")
    ap.add_argument("--no-cv", action="store_true", help="skip the tuning scores (with --report: report numbers only)")
    ap.add_argument("--heldout", type=float, default=0.2)
    ap.add_argument("--variants", default="logit52,logit,listwise,mlp")
    ap.add_argument("--limit", type=int, default=0, help="use at most this many train holdings")
    ap.add_argument("--save", action="append", default=[], help="variant=path: fit on all tuning data, save")
    ap.add_argument("--out", help="write the table as JSON here")
    ap.add_argument("--prior", help="article-date table (experimental column, see add_prior)")
    args = ap.parse_args(argv)

    keys = set(json.loads(Path(args.keys).read_text(encoding="utf-8")))
    t0 = time.perf_counter()
    train = load(args.train, keys)
    if args.limit:
        train = train[: args.limit]
    questions = load(args.questions, keys)
    if args.prior:  # the experimental columns get names the Ranker accepts (this process only)
        import legalret.search.ranker as ranker_module

        global FEATURES
        FEATURES = ranker_module.FEATURES = FEATURES + ("prior_log", "prior_rel")
        add_prior(train, args.prior)
        add_prior(questions, args.prior)
    fit_h, held, tune, report = split(train, questions, args.heldout)
    print(f"loaded {len(train)} train holdings ({len(fit_h)} fit / {len(held)} held out), {len(tune)} tune, "
          f"{len(report)} report questions, {time.perf_counter() - t0:.0f}s", flush=True)
    table = {}
    for name in args.variants.split(","):
        t = time.perf_counter()
        groups = {} if args.no_cv else tuning_groups(lambda qs, name=name: variant(name, qs), fit_h, held, tune)
        if args.report:
            dev = None
            if args.dev:
                dev = load(args.dev, keys)  # (re-read per variant: add_prior extends its matrices)
                if args.prior:
                    add_prior(dev, args.prior)
            groups |= report_groups(variant(name, fit_h + held + tune), report, dev)
        table[name] = summarize(groups)
        line = "  ".join(f"{g}: {v['recall@10'][0]:.3f}/{v['mrr@10'][0]:.3f}" for g, v in table[name].items())
        print(f"{name:10s} {time.perf_counter() - t:5.0f}s  {line}", flush=True)
    for spec in args.save:
        name, path = spec.split("=", 1)
        r = variant(name, fit_h + held + tune)
        r.save(path)
        print("saved", name, path)
    if args.out:
        Path(args.out).write_text(json.dumps(table, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
