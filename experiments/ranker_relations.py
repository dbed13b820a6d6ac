"""Measure two article-relation levers for the re-ranker offline (issue #14): co-citation and cross-references.

On the cached depth-100 candidates (``experiments/ranker_cache.py``) each candidate gets extra columns:

* co-citation (``cc_*``): how often train-split decisions cite the candidate together with one of the top-r
  fused candidates c — ``P(candidate | c cited)`` (smoothed), its 1/rank(c)-weighted sum, and the lift over
  the candidate's own citation rate. Leakage: a train holding sees only decisions decided strictly before
  its own date (so never its own decision, nor later ones); dev holdings and the user questions see every
  pre-2020 decision.
* cross-references (``xr_*``): the candidate is referenced by / references one of the top-r candidates,
  parsed from the articles' own text (``제N조``, ``같은 법 제N조``, ``「상법」 제N조``, ``전조``; references to a
  law outside the index are dropped).

Each lever is fitted as the shipped recipe (``logit52``) plus its columns, on the same splits as
``experiments/ranker_variants.py`` (held-out train holdings, 5-fold CV on the tune-half questions), and
compared with ``logit52`` in the same run by a paired bootstrap of the per-query differences. It also
counts how many gold articles missing from the top 100 an expansion along each relation would reach.

    nice -n 10 .venv/bin/python experiments/ranker_relations.py --train /tmp/rk/train.pkl \\
        --questions /tmp/rk/questions.pkl --holdings /tmp/q_pairs/train_queries.jsonl --index /tmp/final_idx_k \\
        [--order fused|stage1] [--top 5] [--variants logit52,cc,xr,cc+xr] [--screen] [--dev /tmp/rk/dev.pkl --report]

``--order stage1`` takes the anchors (the top-r whose relations count) from ``logit52`` fitted on the fitting
holdings instead of the fused order; ``--screen`` scores the held-out holdings only (one fit per variant, no
CV: seconds); ``headroom`` (printed with ``--screen``) counts how many of the baseline's gold at ranks 11–100
are related to an anchor at all, against the non-gold candidates there.

Result (2026-11-27, issue #14; /tmp/rel/final_stage1_5.json): neither lever clears the bar (held-out recall@10
gain with a paired bootstrap CI excluding 0, tune questions not worse). ``--order stage1 --top 5``, held-out
recall@10 vs logit52 0.889: cc +0.0024 [−0.0021, +0.0077], xr +0.0017 [−0.0017, +0.0054], cc+xr +0.0027
[−0.0027, +0.0088]; the fused order and r = 3/10 gave the same (≤ +0.004, CI across 0). Co-citation marks 67 %
of the gold at ranks 11–100 but also 37 % of the other candidates there (the holdings memory's votes may
already carry it: similar holdings vote for all they cited; not measured). Expansion along either relation
reaches ~9 % (co-citation, ~10 new candidates a query) / ~2 % (cross-references) of the gold missing from the
top 100.
"""

from __future__ import annotations

import argparse
import bisect
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from ranker_variants import (
    FIRST,
    ci,
    load,
    metrics,
    report_groups,
    rows_of,
    split,
    tuning_groups,
)

import legalret.search.ranker as ranker_module

CC = ("cc_max", "cc_rrsum", "cc_lift", "cc_count")
XR = ("xr_in", "xr_out", "xr_any")
EVERY_DATE = "2020-01-01"  # dev holdings and questions: every train-split decision counts


# ---- co-citation ----------------------------------------------------------------------------------------
class CoCitation:
    """Pair and article citation dates of train-split decisions (one decision = one case number, its holdings'
    gold merged), so that counts "decided before D" are two bisects."""

    def __init__(self, holdings_path: str, keys: set[str]):
        cases: dict[str, tuple[str, set[str]]] = {}
        with open(holdings_path, encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                _, gold = cases.setdefault(d["case_no"], (d["date"], set()))
                gold.update(g for g in d["gold"] if g in keys)
        art, pair = defaultdict(list), defaultdict(lambda: defaultdict(list))
        for date, gold in cases.values():
            for a in gold:
                art[a].append(date)
                for b in gold:
                    if a != b:
                        pair[a][b].append(date)
        self.art = {a: sorted(v) for a, v in art.items()}
        self.pair = {a: {b: sorted(v) for b, v in n.items()} for a, n in pair.items()}
        self.case_dates = sorted(date for date, _ in cases.values())
        self.cases = len(cases)

    def n(self, a: str, before: str) -> int:
        return bisect.bisect_left(self.art.get(a, ()), before)

    def neighbours(self, a: str, before: str) -> dict[str, int]:
        return {b: c for b, dates in self.pair.get(a, {}).items() if (c := bisect.bisect_left(dates, before))}


def cc_columns(cc: CoCitation, keys: list[str], before: str, anchors: list[int], alpha: float = 1.0) -> np.ndarray:
    """``anchors``: the positions of the top-r candidates, best first (their relations count, weighted 1/rank)."""
    total = max(bisect.bisect_left(cc.case_dates, before), 1)
    out = np.zeros((len(keys), len(CC)))
    base = np.array([(cc.n(k, before) + 1) / (total + 1) for k in keys])
    for r, a in enumerate(anchors):
        c = keys[a]
        nc = cc.n(c, before)
        if not nc:
            continue
        nb = cc.neighbours(c, before)
        for j, k in enumerate(keys):
            cnt = nb.get(k, 0)
            if not cnt or j == a:
                continue
            p = cnt / (nc + alpha)
            out[j, 0] = max(out[j, 0], p)
            out[j, 1] += p / (r + 1)
            out[j, 2] = max(out[j, 2], np.log(p / base[j]))
            out[j, 3] = max(out[j, 3], np.log1p(cnt))
    return out


# ---- cross-references -----------------------------------------------------------------------------------
_FOREIGN = re.compile(r"([가-힣A-Za-z·ㆍ]{1,30}(?:법|령|규칙|법률))\s*[」』]?\s*$")
_SAME = re.compile(r"(?:같은\s*법|동\s*법)\s*$")
_PREV = re.compile(r"전(\d)?\s*조")
_RANGE = re.compile(r"(?:의\s*규정)?\s*(?:내지|부터|~|-)\s*")


def cross_references(index: str, keys: set[str]) -> dict[str, set[str]]:
    """``{article: the index articles its text refers to}`` (itself excluded)."""
    from legalret.index.article_store import ArticleStore
    from legalret.index.store import current_generation
    from legalret.keys import LawNames
    from legalret.search.citations import find_citations

    store = ArticleStore.open(current_generation(index))
    laws = sorted(set(store.laws))
    names = LawNames(laws)
    refs: dict[str, set[str]] = {}
    by_law: dict[str, list[str]] = defaultdict(list)
    for i in range(len(store)):
        by_law[store.laws[i]].append(store.keys[i])
    for i in range(len(store)):
        art = store[i]
        if art.key not in keys:
            continue
        found: set[str] = set()
        texts = [p.text for p in art.paragraphs] + [it.text for p in art.paragraphs for it in p.items]
        for text in texts:
            prev = None
            for c in find_citations(text, names, default_law=art.law):
                before = text[: c.start]
                if c.raw[:1].isdigit() or c.raw.startswith("제"):  # no law written: a foreign law or 같은 법 before?
                    m = _FOREIGN.search(before)
                    if (m and not names.resolve(m.group(1))) or _SAME.search(before) or before.endswith("전"):
                        prev = None  # (전3조 is 전조's kind, handled below)
                        continue
                found.add(c.key)
                if prev is not None and prev.law == c.law and _RANGE.fullmatch(text[prev.end : c.start]):
                    own = by_law[c.law]  # 제514조 내지 제522조: every article between, in the law's order
                    if prev.key in own and c.key in own:
                        found.update(own[own.index(prev.key) : own.index(c.key)])
                prev = c
            for m in _PREV.finditer(text):  # 전조 / 전2조: the article(s) just before, in the law's order
                own = by_law[art.law]
                pos = own.index(art.key)
                found.update(own[max(pos - int(m.group(1) or 1), 0) : pos])
        refs[art.key] = {k for k in found if k in keys and k != art.key}
    return refs


def xr_columns(refs: dict[str, set[str]], keys: list[str], anchors: list[int]) -> np.ndarray:
    out = np.zeros((len(keys), len(XR)))
    pos = {k: j for j, k in enumerate(keys)}
    for r, a in enumerate(anchors):
        c = keys[a]
        w = 1.0 / (r + 1)
        for k in refs.get(c, ()):  # c refers to the candidate
            j = pos.get(k)
            if j is not None and j != a:
                out[j, 0] = max(out[j, 0], w)
        for j, k in enumerate(keys):  # the candidate refers to c
            if j != a and c in refs.get(k, ()):
                out[j, 1] = max(out[j, 1], w)
    out[:, 2] = np.maximum(out[:, 0], out[:, 1])
    return out


# ---- expansion: candidate recall ------------------------------------------------------------------------
def expansion(qs, cc: CoCitation, refs, top: int, per: int) -> dict:
    """Gold outside a query's top 100 (and not cited) that the top ``top`` candidates' ``per`` most co-cited
    articles / cross-references would add; and how many candidates each adds."""
    missed = reach_cc = reach_xr = 0
    added_cc, added_xr = [], []
    back = defaultdict(set)
    for a, bs in refs.items():
        for b in bs:
            back[b].add(a)
    for d in qs:
        have = set(d["keys"]) | set(d["cited"])
        gold = [g for g in d["gold"] if g not in have]
        before = d.get("date") if d["source"] == "train" else EVERY_DATE
        new_cc, new_xr = set(), set()
        for c in d["keys"][:top]:
            nb = cc.neighbours(c, before or EVERY_DATE)
            new_cc.update(sorted(nb, key=lambda b: (-nb[b], b))[:per])
            new_xr.update(refs.get(c, ()) | back.get(c, set()))
        new_cc -= have
        new_xr -= have
        missed += len(gold)
        reach_cc += sum(g in new_cc for g in gold)
        reach_xr += sum(g in new_xr for g in gold)
        added_cc.append(len(new_cc))
        added_xr.append(len(new_xr))
    return {"missed_gold": missed, "reached_cc": reach_cc, "reached_xr": reach_xr,
            "added_cc_mean": float(np.mean(added_cc)), "added_xr_mean": float(np.mean(added_xr))}


def headroom(qs, scores, cc: CoCitation, refs, top: int) -> dict:
    """Where the relations could help at all: gold ranked 11–100 by the baseline (the re-ranker's misses that
    are candidates) — how many are related to a *gold* article in the baseline top 10 (an oracle anchor), how
    many to one of the top ``top`` (the real anchors), and how many non-gold candidates ranked 11–100 are
    related to the real anchors too (the signal's noise)."""
    out = defaultdict(int)
    for d, s in zip(qs, scores):
        order = np.argsort(-s, kind="stable")
        before = d["date"] if d["source_raw"] == "train" else EVERY_DATE
        anchors = [d["keys"][j] for j in order[:top]]
        top10 = [d["keys"][j] for j in order[:10]]
        gold = set(d["gold"])
        near = {b for a in anchors for b in cc.neighbours(a, before)}
        oracle = {b for a in top10 if a in gold for b in cc.neighbours(a, before)}
        xr = {b for a in anchors for b in refs.get(a, ())} | {k for k in d["keys"] if refs.get(k, set()) & set(anchors)}
        for j in order[10:]:
            k = d["keys"][j]
            kind = "gold" if k in gold else "other"
            out[f"{kind} 11-100"] += 1
            out[f"{kind} 11-100 co-cited with an anchor"] += k in near
            out[f"{kind} 11-100 cross-ref of an anchor"] += k in xr
            if kind == "gold":
                out["gold 11-100 co-cited with a gold top-10 article"] += k in oracle
    return dict(out)


# ---- variants -------------------------------------------------------------------------------------------
VARIANTS = {"logit52": (), "cc": CC, "xr": XR, "cc+xr": CC + XR, "cc_max": ("cc_max", "cc_rrsum"),
            "xr_in": ("xr_in", "xr_out")}


ORIG = tuple(ranker_module.FEATURES)  # the columns candidate_features builds (before the relation columns)
ALL = ORIG + CC + XR


def add_columns(qs, cc: CoCitation, refs, top: int, stage1=None) -> None:
    """Append the relation columns to each query's ``x`` (its columns are then :data:`ALL`). The anchors are
    the fused top ``top`` or, with ``stage1`` (a Ranker), its top ``top``."""
    for d in qs:
        before = d["date"] if d["source_raw"] == "train" else EVERY_DATE
        if stage1 is None:
            anchors = list(range(min(top, len(d["keys"]))))
        else:
            anchors = np.argsort(-stage1.scores(d["x"][:, : len(ORIG)]), kind="stable")[:top].tolist()
        rel = np.hstack([cc_columns(cc, d["keys"], before, anchors), xr_columns(refs, d["keys"], anchors)])
        d["x"] = np.hstack([d["x"][:, : len(ORIG)], rel])


def fit_variant(qs, extra):
    from legalret.train.ranker import Rows, fit

    rows = rows_of(qs)
    names = FIRST + tuple(extra)
    cols = [ALL.index(f) for f in names]
    return fit(Rows(rows.x[:, cols], rows.y, rows.group, rows.source, rows.queries, rows.queries_with_gold),
               features=names)


def paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    return ci(b - a)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--questions", required=True)
    ap.add_argument("--holdings", default="/tmp/q_pairs/train_queries.jsonl", help="train-split holdings (co-citations)")
    ap.add_argument("--index", default="/tmp/final_idx_k", help="index whose articles' cross-references are parsed")
    ap.add_argument("--keys", default="/tmp/rk/keys.json")
    ap.add_argument("--dev")
    ap.add_argument("--report", action="store_true", help="also score the report half and the dev holdings (once)")
    ap.add_argument("--heldout", type=float, default=0.2)
    ap.add_argument("--top", type=int, default=10, help="top-r fused candidates whose relations count")
    ap.add_argument("--per", type=int, default=10, help="expansion: co-cited articles taken per top candidate")
    ap.add_argument("--variants", default="logit52,cc,xr,cc+xr")
    ap.add_argument("--no-cv", action="store_true")
    ap.add_argument("--order", choices=("fused", "stage1"), default="fused",
                    help="anchors: the fused top-r, or the top-r of logit52 fitted on the fitting holdings")
    ap.add_argument("--screen", action="store_true", help="held-out holdings only (one fit per variant, no CV)")
    ap.add_argument("--out")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    keys = set(json.loads(Path(args.keys).read_text(encoding="utf-8")))
    cc = CoCitation(args.holdings, keys)
    refs = cross_references(args.index, keys)
    print(f"co-citation: {cc.cases} decisions, {sum(map(len, cc.pair.values()))} ordered pairs; cross-references: "
          f"{sum(map(len, refs.values()))} from {sum(bool(v) for v in refs.values())} articles "
          f"({time.perf_counter() - t0:.0f}s)", flush=True)

    def loaded(path):
        import pickle

        with open(path, "rb") as f:
            raw = {d["qid"]: d["source"] for d in pickle.load(f)}
        qs = load(path, keys)
        for d in qs:
            d["source_raw"] = raw[d["qid"]]
        return qs

    train = loaded(args.train)
    questions = loaded(args.questions)
    for d in questions:
        d["source_raw"] = "questions"
    fit_h, held, tune, report = split(train, questions, args.heldout)
    # stage-1 anchors: the shipped recipe fitted on the fitting holdings only (no question, no held-out holding)
    stage1 = fit_variant(fit_h, ()) if args.order == "stage1" else None
    add_columns(train, cc, refs, args.top, stage1)
    add_columns(questions, cc, refs, args.top, stage1)
    # the relation columns get names the Ranker accepts (this process only), as ranker_variants does for its prior
    ranker_module.FEATURES = ALL
    print(f"loaded {len(train)} train holdings ({len(fit_h)} fit / {len(held)} held out), {len(tune)} tune, "
          f"{len(report)} report questions, {time.perf_counter() - t0:.0f}s", flush=True)
    for d in train:
        d["source"] = "holdings"
    exp = {"train (all)": expansion([dict(d, source="train") for d in train], cc, refs, 5, args.per)}
    print("expansion (top 5):", json.dumps(exp, ensure_ascii=False), flush=True)

    dev = None
    per_query: dict[str, dict[str, dict[str, np.ndarray]]] = {}
    table = {}
    for name in args.variants.split(","):
        extra = VARIANTS[name]
        t = time.perf_counter()
        h, tq, fh = held, tune, fit_h
        groups = {}
        if args.screen:
            r = fit_variant(fh, extra)
            groups["held-out holdings"] = (h, [r.scores(d["x"]) for d in h])
            if name == "logit52":
                exp["headroom (held-out)"] = headroom(h, groups["held-out holdings"][1], cc, refs, args.top)
                print("headroom:", json.dumps(exp["headroom (held-out)"], ensure_ascii=False), flush=True)
        elif not args.no_cv:
            groups |= tuning_groups(lambda qs, extra=extra: fit_variant(qs, extra), fh, h, tq)
        if args.report:
            if args.dev and dev is None:
                ranker_module.FEATURES = ORIG  # (load builds the original columns)
                dev = loaded(args.dev)
                ranker_module.FEATURES = ALL
                add_columns(dev, cc, refs, args.top, stage1)
                exp["dev"] = expansion([dict(d, source="dev") for d in dev], cc, refs, 5, args.per)
                print("expansion dev (top 5):", json.dumps(exp["dev"]), flush=True)
            groups |= report_groups(fit_variant(fh + h + tq, extra), report, dev)
        per_query[name] = {g: metrics(qs, sc) for g, (qs, sc) in groups.items()}
        table[name] = {}
        for g, m in per_query[name].items():
            row = {k: ci(v) for k, v in m.items()} | {"n": len(m["recall@10"])}
            if name != "logit52" and "logit52" in per_query:
                base = per_query["logit52"][g]
                row |= {f"diff {k}": paired(base[k], v) for k, v in m.items()}
            table[name][g] = row
        line = "  ".join(f"{g}: {v['recall@10'][0]:.3f}/{v['mrr@10'][0]:.3f}" for g, v in table[name].items())
        print(f"{name:8s} {time.perf_counter() - t:4.0f}s  {line}", flush=True)
        if name != "logit52" and "logit52" in per_query:
            for g, v in table[name].items():
                d10, dm = v["diff recall@10"], v["diff mrr@10"]
                print(f"    Δ {g:22s} recall@10 {d10[0]:+.4f} [{d10[1]:+.4f}, {d10[2]:+.4f}]  "
                      f"mrr@10 {dm[0]:+.4f} [{dm[1]:+.4f}, {dm[2]:+.4f}]", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps({"table": table, "expansion": exp}, indent=1, ensure_ascii=False),
                                  encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
