"""A deliberately crude precedent memory over holdings text vs facts text, per question style.

What should the precedent memory index: the holdings (판시사항, how courts state the issue), the facts
(the opening of 【이유】 in ``precedent-facts.zip``, closest to how people tell their own story), or both?
This measures it with the crudest memory that can answer: character-bigram BM25 (k1 1.2, b 0.75) over
the decisions decided before ``--cutoff`` (2020-01-01: before every dev holding and question period)
that cite 민법/상법; the top ``--depth`` decisions each vote for their n cited articles with
``1 / log2(rank + 1) / sqrt(n)``. Same scoring as ``style_eval.py`` (recall@10, MRR@10, recall@100, 95%
bootstrap intervals), per style of the questions and on dev holdings.

Decisions and their cited articles come from ``legalret pairs`` ``train_queries.jsonl`` (pre-2020
holdings resolved against 민법+상법, grouped by 판례일련번호), facts are joined on 판례일련번호.

    .venv/bin/python experiments/facts_memory.py --train-queries /tmp/q_pairs/train_queries.jsonl \\
        --dev-queries /tmp/q_pairs/dev_queries.jsonl --split report --name style_facts_memory

``--tune --index IDX`` instead measures the real facts memory of an index built with ``--facts``
(Kiwi tokens, :class:`~legalret.memory.retriever.MemoryVoter`) on the **tune** questions only: a grid
over the token cut (first N Kiwi tokens of each facts text), BM25 k1/b and the vote depth/weighting, with
the holdings memory's settings as the baseline; votes only from decisions before ``--cutoff``::

    .venv/bin/python experiments/facts_memory.py --tune --index /tmp/a_idx --name facts_memory_tune
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
FACTS = REPO.parent / "shared" / "data" / "precedents" / "precedent-facts.zip"
METRICS = ("recall@10", "mrr@10", "recall@100")
_WORD = re.compile(r"[0-9A-Za-z가-힣一-龥]+")


def bigrams(text: str) -> list[str]:
    """Character bigrams inside each word (a one-character word stays a unigram)."""
    out = []
    for w in _WORD.findall(text):
        out += [w] if len(w) == 1 else [w[i:i + 2] for i in range(len(w) - 1)]
    return out


class BigramBM25:
    """Sparse BM25 over bigram counts (scipy CSR); ``scores(query)`` → one score per document."""

    def __init__(self, docs: list[str], k1: float = 1.2, b: float = 0.75):
        from scipy import sparse

        vocab: dict[str, int] = {}
        indptr, indices, data = [0], [], []
        for text in docs:
            counts: dict[int, int] = defaultdict(int)
            for g in bigrams(text):
                counts[vocab.setdefault(g, len(vocab))] += 1
            indices += counts.keys()
            data += counts.values()
            indptr.append(len(indices))
        tf = sparse.csr_matrix((np.array(data, np.float32), np.array(indices, np.int64), np.array(indptr, np.int64)),
                               shape=(len(docs), len(vocab)))
        dl = np.asarray(tf.sum(axis=1)).ravel()
        df = np.bincount(tf.indices, minlength=len(vocab))
        self.idf = np.log1p((len(docs) - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = k1 * (1 - b + b * dl / max(dl.mean(), 1e-9))
        w = tf.copy()
        row_norm = np.repeat(norm, np.diff(w.indptr)).astype(np.float32)
        w.data = w.data * (k1 + 1) / (w.data + row_norm)
        self.weights = w.tocsc()
        self.vocab = vocab

    def scores(self, query: str) -> np.ndarray:
        ids = sorted({self.vocab[g] for g in bigrams(query) if g in self.vocab})
        if not ids:
            return np.zeros(self.weights.shape[0], np.float32)
        return np.asarray(self.weights[:, ids] @ self.idf[ids]).ravel()


def vote(scores: np.ndarray, doc_keys: list[list[str]], depth: int) -> list[str]:
    top = np.argsort(-scores)[:depth]
    votes: dict[str, float] = defaultdict(float)
    for rank, d in enumerate(top.tolist(), 1):
        if scores[d] <= 0:
            break
        keys = doc_keys[d]
        for k in keys:
            votes[k] += 1.0 / math.log2(rank + 1) / math.sqrt(len(keys))
    return [k for k, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))]


def load_decisions(train_queries: str, cutoff: str) -> dict[str, dict]:
    """判例일련번호 → {holdings, keys, decided} for the decisions decided before ``cutoff``."""
    out: dict[str, dict] = {}
    with open(train_queries, encoding="utf-8") as f:
        for line in f:
            q = json.loads(line)
            if q.get("decided", "9999") >= cutoff:
                continue
            serial = q["qid"].split("-")[1]
            d = out.setdefault(serial, {"holdings": [], "keys": [], "decided": q["decided"]})
            d["holdings"].append(q["query"])
            d["keys"] += [k for k in q["gold"] if k not in d["keys"]]
    return out


def load_facts(serials: set[str]) -> dict[str, str]:
    out = {}
    with zipfile.ZipFile(FACTS) as z, z.open("precedent-facts.jsonl") as f:
        for line in f:
            r = json.loads(line)
            if r["판례일련번호"] in serials:
                out[r["판례일련번호"]] = r["이유"]
    return out


def tune_index(args) -> int:
    """Grid over the facts memory's token cut, BM25 k1/b and VoteConfig on the tune questions (per style)."""
    import itertools
    from dataclasses import asdict, replace

    from legalret.evaluate.metrics import aggregate, query_metrics
    from legalret.evaluate.questions import read_questions
    from legalret.evaluate.report import write_result
    from legalret.index.bm25 import BM25Engine, BM25Params, TokenStore
    from legalret.memory.retriever import MemoryVoter, VoteConfig
    from legalret.search.searcher import Searcher

    t0 = time.perf_counter()
    searcher = Searcher(args.index)
    if searcher.facts is None:
        raise SystemExit(f"{args.index}: no facts memory (build with --facts)")
    facts, holdings = searcher.facts.memory, searcher.memory
    qs = [q for q in read_questions(args.questions) if q.split == "tune"]  # never the report half
    tokens = [searcher.tokenizer.tokenize(q.query) for q in qs]
    full_tokens = [facts.tokens.get(i) for i in range(len(facts))]
    lengths = np.array([len(t) for t in full_tokens])
    print(f"{len(facts)} facts items (tokens: median {np.median(lengths):.0f}, p90 {np.percentile(lengths, 90):.0f}); "
          f"{len(qs)} tune questions", flush=True)

    def score(retriever) -> dict:
        per = []
        for q, toks in zip(qs, tokens):
            ranked = [k for k, _ in retriever.explain(q.query, 100, before=args.cutoff, tokens=toks).ranking(100)]
            per.append((q.style, query_metrics(ranked, q.gold, (10, 100), 10)))
        out = {}
        for st in ("short", "scenario", "keyword", "all"):
            rows = [{m: p[m] for m in METRICS} for s_, p in per if p and (st == "all" or s_ == st)]
            out[st] = {m: float(np.mean([r[m] for r in rows])) for m in METRICS}
            out[st]["n"] = len(rows)
        return out

    rows = []
    base = score(MemoryVoter(holdings.memory if hasattr(holdings, "memory") else holdings, VoteConfig()))
    rows.append({"memory": "holdings", "cut": None, "k1": 1.5, "b": 0.75, **asdict(VoteConfig()), "metrics": base})
    cuts = [None, 64, 128, 192]
    bm25s = [(1.5, 0.75), (1.2, 0.75), (1.5, 0.5), (0.9, 0.4)]
    for cut, (k1, b) in itertools.product(cuts, bm25s):
        lists = full_tokens if cut is None else [t[:cut] for t in full_tokens]
        facts.params = BM25Params(k1=k1, b=b, method="lucene")
        facts.tokens = TokenStore.from_lists(lists)
        facts.bm25 = BM25Engine.build(facts.tokens, facts.params)
        facts._df = None
        for depth, power, spread in itertools.product((50, 100, 200), (1.0, 2.0), (0.5,)):
            cfg = replace(VoteConfig(), depth=depth, score_power=power, spread=spread)
            m = score(MemoryVoter(facts, cfg))
            rows.append({"memory": "facts", "cut": cut, "k1": k1, "b": b, **asdict(cfg), "metrics": m})
            print(f"  cut {cut} k1 {k1} b {b} depth {depth} power {power}: scenario r@10 {m['scenario']['recall@10']:.3f} "
                  f"mrr {m['scenario']['mrr@10']:.3f}; all r@10 {m['all']['recall@10']:.3f} mrr {m['all']['mrr@10']:.3f}",
                  flush=True)
    objective = lambda r: r["metrics"]["all"]["recall@10"] + r["metrics"]["all"]["mrr@10"]  # noqa: E731
    best = max((r for r in rows if r["memory"] == "facts"), key=objective)
    lines = [f"### Facts memory settings on the tune questions ({len(qs)}; votes before {args.cutoff})\n",
             f"Index `{args.index}`: {len(facts)} facts items. Objective: recall@10 + MRR@10 over all tune questions. "
             "Top 12 settings and the holdings memory (today's settings) for comparison.\n",
             "| memory | first N tokens | k1 | b | depth | score_power | short r@10 / MRR | scenario r@10 / MRR | keyword r@10 / MRR | all r@10 / MRR |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in [rows[0]] + sorted((r for r in rows if r["memory"] == "facts"), key=objective, reverse=True)[:12]:
        m = r["metrics"]
        cells = " | ".join(f"{m[st]['recall@10']:.3f} / {m[st]['mrr@10']:.3f}" for st in ("short", "scenario", "keyword", "all"))
        lines.append(f"| {r['memory']} | {r['cut'] or 'all'} | {r['k1']} | {r['b']} | {r['depth']} | {r['score_power']} | {cells} |")
    lines.append(f"\nBest: first {best['cut'] or 'all'} tokens, k1 {best['k1']}, b {best['b']}, depth {best['depth']}, "
                 f"score_power {best['score_power']} ({time.perf_counter() - t0:.0f} s).\n")
    md = "\n".join(lines) + "\n"
    write_result(args.out, args.name, {"settings": {k: v for k, v in vars(args).items()}, "rows": rows, "best": best}, md)
    print(md)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train-queries", help="(crude comparison) legalret pairs train_queries.jsonl")
    ap.add_argument("--tune", action="store_true", help="tune the real facts memory of --index on the tune questions")
    ap.add_argument("--index", help="(--tune) an index built with --precedents and --facts")
    ap.add_argument("--dev-queries", help="dev holdings to score as well")
    ap.add_argument("--dev-limit", type=int, default=600)
    ap.add_argument("--questions", default=str(REPO / "benchmarks" / "queries" / "user_questions.jsonl"))
    ap.add_argument("--split", default="report", choices=("report", "tune", "all"))
    ap.add_argument("--cutoff", default="2020-01-01")
    ap.add_argument("--depth", type=int, default=50)
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    ap.add_argument("--name", default="style_facts_memory")
    args = ap.parse_args(argv)
    if args.tune:
        if not args.index:
            ap.error("--tune needs --index")
        return tune_index(args)
    if not args.train_queries:
        ap.error("give --train-queries (or --tune --index IDX)")

    from legalret.evaluate.metrics import aggregate, query_metrics
    from legalret.evaluate.quality import load_queries
    from legalret.evaluate.questions import read_questions
    from legalret.evaluate.report import write_result

    t0 = time.perf_counter()
    decisions = load_decisions(args.train_queries, args.cutoff)
    facts = load_facts(set(decisions))
    serials = sorted(decisions)
    keys = [decisions[s]["keys"] for s in serials]
    texts = {
        "holdings": [" ".join(decisions[s]["holdings"]) for s in serials],
        "facts": [facts.get(s, "") for s in serials],
    }
    texts["both"] = [h + " " + f for h, f in zip(texts["holdings"], texts["facts"])]
    print(f"{len(serials)} decisions before {args.cutoff}, {len(facts)} with facts ({time.perf_counter() - t0:.0f}s)", flush=True)

    items = [(q.query, list(q.gold), q.style) for q in read_questions(args.questions)
             if args.split == "all" or q.split == args.split]
    if args.dev_queries:
        items += [(q.query, q.gold, "holding") for q in load_queries(args.dev_queries, limit=args.dev_limit, seed=args.seed)]
    styles = sorted({s for *_, s in items}, key=lambda s: ("short", "scenario", "keyword", "holding").index(s)
                    if s in ("short", "scenario", "keyword", "holding") else 9)
    result = {"settings": {k: v for k, v in vars(args).items()}, "decisions": len(serials), "with_facts": len(facts),
              "sources": {}}
    for source, docs in texts.items():
        t = time.perf_counter()
        bm = BigramBM25(docs)
        per = [query_metrics(vote(bm.scores(q), keys, args.depth), gold, (10, 100), 10) for q, gold, _ in items]
        result["sources"][source] = {
            st: aggregate([{m: p[m] for m in METRICS} for p, (*_, s) in zip(per, items) if s == st and p],
                          n_resamples=args.resamples, seed=args.seed)
            for st in styles
        }
        print(f"  {source}: {time.perf_counter() - t:.0f}s", flush=True)
    lines = [f"### A crude precedent memory: holdings vs facts text ({args.split} questions + dev holdings)\n",
             (f"Character-bigram BM25 over {len(serials):,} decisions decided before {args.cutoff} citing 민법/상법 "
              f"({len(facts):,} with facts text); top {args.depth} vote 1/log2(rank+1)/√n. Mean [95% bootstrap CI].\n")]
    for m in METRICS:
        lines.append(f"\n**{m}**\n")
        lines.append("| memory text | " + " | ".join(f"{st} (n={result['sources']['holdings'][st]['evaluated']})" for st in styles) + " |")
        lines.append("|---|" + "---:|" * len(styles))
        for source in texts:
            cells = []
            for st in styles:
                a = result["sources"][source][st]["metrics"][m]
                cells.append(f"{a['mean']:.3f} [{a['ci_low']:.3f}, {a['ci_high']:.3f}]")
            lines.append(f"| {source} | " + " | ".join(cells) + " |")
    md = "\n".join(lines) + "\n"
    result["seconds"] = round(time.perf_counter() - t0, 1)
    write_result(args.out, args.name, result, md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
