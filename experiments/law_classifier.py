"""Does a law classifier over the question point to the right law better than the fused pool does? A probe.

``law_routing_pool.py`` found that on the all-law index only 0.48 of the law questions' gold articles missing from
the fused top 150 sit in one of the 3 laws the pool points to: routing (and the re-ranker's law features, which
read the same lists and votes) needs a better *law* signal. The precedent memories vote with the ~100 nearest
earlier decisions; a classifier reads every earlier decision of every law at once. This probe fits two cheap ones
on the train split (decisions before 2020-01-01) of the index's own memories — the holdings (판시사항 + 판결요지)
and the courts' facts — labelled with the laws they cite (only laws the index holds):

* ``centroid`` — per law, the mean of its decisions' L2-normalised TF-IDF rows (character 2–3-grams within words,
  no tokenizer); a question's score for a law is the cosine with that centroid;
* ``cnb`` — complement naive Bayes on the same rows (a decision citing three laws counts once for each).

For each tune-half question (law_questions.jsonl, user_questions.jsonl; the report halves are not read) and for
tune-half any-law holdings (``--holdings``: ``legalret pairs --corpus all-acts-decrees`` law_holdings.jsonl, split
"tune"), the laws are ranked — a law the question names first (``keys.laws_named``), then by the classifier —
and the probe prints the share of gold articles whose law is among the top 1 / 3 / 5. The baseline is the pool's
3 routed laws, as ``law_routing_pool.py`` stored them per question (``law_routing_pool.json``).

Rule, written before the first run: go on to a law prior (a re-ranker feature, and routed candidates from its
laws) if the better of the two classifiers (by law questions' tune short+scenario coverage@3) holds ≥ +0.10 more
of the law questions' tune gold laws (short and scenario together) in its named-first top 3 than the pool's 3
routed laws, and no less on the user questions' tune halves (short and scenario).

    python experiments/law_classifier.py --index IDX --holdings PAIRS/law_holdings.jsonl

Writes ``benchmarks/results/law_classifier.{json,md}`` (``--name``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "results"
QUESTIONS = {"law": REPO / "benchmarks" / "queries" / "law_questions.jsonl",
             "user": REPO / "benchmarks" / "queries" / "user_questions.jsonl"}
KS = (1, 3, 5)


def training_items(gen: Path, before: str, facts_chars: int):
    """(text, laws) of every train-split decision in the index's holdings and facts memories."""
    from legalret.keys import law_of

    for kind in ("memory", "facts"):
        path = gen / kind / "items.jsonl"
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as f:
            for line in f:
                item = json.loads(line)
                if not item.get("decided") or item["decided"] >= before:
                    continue
                text = item["text"] if kind == "facts" else f"{item['text']} {item.get('summary') or ''}"
                laws = sorted({law_of(k) for k in item.get("keys", [])})
                if laws:
                    yield kind, text[:facts_chars] if kind == "facts" else text, laws


def rank_laws(scores: np.ndarray, named: list[int], k: int) -> list[int]:
    """Law ids: the named ones first, then by score."""
    out = list(dict.fromkeys(named))
    for i in np.argsort(-scores)[: k + len(out)]:
        if int(i) not in out:
            out.append(int(i))
    return out[:k]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--holdings", help="law_holdings.jsonl (its tune split is scored too)")
    ap.add_argument("--holdings-limit", type=int, default=1000)
    ap.add_argument("--routing", default=str(RESULTS / "law_routing_pool.json"))
    ap.add_argument("--before", default="2020-01-01")
    ap.add_argument("--facts-chars", type=int, default=1500)
    ap.add_argument("--max-features", type=int, default=200_000)
    ap.add_argument("--min-decisions", type=int, default=3, help="laws with fewer train decisions are not classes")
    ap.add_argument("--alpha", type=float, default=0.3, help="complement naive Bayes smoothing")
    ap.add_argument("--name", default="law_classifier")
    args = ap.parse_args(argv)

    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.naive_bayes import ComplementNB
    from sklearn.preprocessing import normalize

    from legalret.evaluate.questions import read_questions
    from legalret.index.store import current_generation
    from legalret.keys import law_of, laws_named

    gen = current_generation(Path(args.index))
    index_laws = set(json.loads((gen / "manifest.json").read_text(encoding="utf-8")).get("laws", {}))
    t0 = time.perf_counter()
    texts, labels, kinds = [], [], []
    for kind, text, laws in training_items(gen, args.before, args.facts_chars):
        laws = [law for law in laws if law in index_laws]
        if laws:
            texts.append(text)
            labels.append(laws)
            kinds.append(kind)
    count: dict[str, int] = defaultdict(int)
    for laws in labels:
        for law in laws:
            count[law] += 1
    classes = sorted(law for law, c in count.items() if c >= args.min_decisions)
    cid = {law: i for i, law in enumerate(classes)}
    print(f"{len(texts)} train decisions ({kinds.count('memory')} holdings, {kinds.count('facts')} facts), "
          f"{len(classes)} laws with ≥ {args.min_decisions}; read in {time.perf_counter() - t0:.0f}s", flush=True)

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), min_df=3, max_features=args.max_features,
                          sublinear_tf=True, dtype=np.float32)
    x = vec.fit_transform(texts)
    print(f"tf-idf {x.shape}, nnz {x.nnz}: {time.perf_counter() - t0:.0f}s", flush=True)
    rows, cols = [], []
    for r, laws in enumerate(labels):
        for law in laws:
            if law in cid:
                rows.append(r)
                cols.append(cid[law])
    y = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(x.shape[0], len(classes)))
    centroids = normalize((y.T @ x).astype(np.float32))  # a law: its decisions' rows summed (direction = mean)
    cnb = ComplementNB(alpha=args.alpha).fit(x[np.array(rows)], np.array(cols))
    print(f"fitted: {time.perf_counter() - t0:.0f}s", flush=True)
    models = {"centroid": lambda q: (q @ centroids.T).toarray(),
              "cnb": lambda q: cnb.predict_log_proba(q)}

    routing = {}
    if Path(args.routing).exists():
        routing = {r["qid"]: r["laws"] for r in json.loads(Path(args.routing).read_text(encoding="utf-8"))["rows"]}
    sets: dict[str, list] = {}
    for name, path in QUESTIONS.items():
        sets[name] = [(q.qid, q.query, list(q.gold), q.style) for q in read_questions(str(path)) if q.split == "tune"]
    if args.holdings:
        with open(args.holdings, encoding="utf-8") as f:
            hs = [json.loads(line) for line in f]
        sets["holdings"] = [(h["qid"], h["query"], h["gold"], "holding") for h in hs
                            if h.get("split") == "tune"][: args.holdings_limit]

    rows_out = []
    for set_name, qs in sets.items():
        q = vec.transform([text for _, text, _, _ in qs])
        scores = {m: fn(q) for m, fn in models.items()}
        for i, (qid, text, gold, style) in enumerate(qs):
            gold_laws = [law_of(g) for g in gold if law_of(g) in index_laws]
            if not gold_laws:
                continue
            named = [cid[law] for law, hit in zip(classes, laws_named(text, classes)) if hit]
            row = {"set": set_name, "style": style, "qid": qid, "n_gold": len(gold_laws)}
            for m, s in scores.items():
                top = [classes[j] for j in rank_laws(s[i], named, max(KS))]
                for k in KS:
                    row[f"{m}@{k}"] = sum(law in top[:k] for law in gold_laws) / len(gold_laws)
                row[f"{m}_laws"] = top[:3]
            if qid in routing:
                row["routed@3"] = sum(law in routing[qid] for law in gold_laws) / len(gold_laws)
            rows_out.append(row)
    print(f"scored: {time.perf_counter() - t0:.0f}s", flush=True)

    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows_out:
        groups[f"{r['set']} {r['style']}"].append(r)
        if r["style"] in ("short", "scenario"):
            groups[f"{r['set']} short+scenario"].append(r)
    metrics = ["routed@3"] + [f"{m}@{k}" for m in models for k in KS]
    table = {g: {"n": len(rs), **{m: (sum(r[m] for r in rs if m in r) / len(rs)) if all(m in r for r in rs) else None
                                  for m in metrics}} for g, rs in sorted(groups.items())}
    best = max(models, key=lambda m: table["law short+scenario"][f"{m}@3"])
    law, user = table["law short+scenario"], table["user short+scenario"]
    passed = (law[f"{best}@3"] >= law["routed@3"] + 0.10) and (user[f"{best}@3"] >= user["routed@3"])
    out = {"settings": vars(args), "classes": len(classes), "train_decisions": len(texts), "best": best,
           "rule_passed": passed, "groups": table, "rows": rows_out,
           "command": "python experiments/law_classifier.py --index IDX --holdings PAIRS/law_holdings.jsonl"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.name}.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    lines = ["# Law classifiers vs the pool's routed laws: share of gold articles whose law is in the top k (tune)", "",
             f"{len(texts)} train decisions, {len(classes)} laws; a law the question names comes first. "
             f"routed@3 = the 3 laws the fused top 30 point to (`law_routing_pool.json`).", "",
             "| group | n | " + " | ".join(metrics) + " |", "|---|---:|" + "---:|" * len(metrics)]
    for g, t in table.items():
        lines.append(f"| {g} | {t['n']} | " + " | ".join("—" if t[m] is None else f"{t[m]:.3f}" for m in metrics) + " |")
    lines += ["", f"Better classifier: **{best}**; rule (≥ +0.10 over routed@3 on law short+scenario, no less on user): "
              f"**{'passed' if passed else 'not passed'}**.", "", f"Reproduce: `{out['command']}`", ""]
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
