"""BM25 with the statute's words translated from the query's: a vocabulary learned from earlier decisions' facts.

People describe what happened ("집을 빌려 살다가 보증금을 못 받았다"); the statute names it ("임차인", "반환"). BM25
matches only shared words, so a rule stated in words the question never uses — the less-litigated articles the second
민법/상법 question file asks about — reaches BM25 nowhere. The courts' facts (the opening of a decision's reasons) tell
a dispute the same concrete way, and the decision cites the articles that govern it: over the train split's facts
(decided before ``--before``) each pair (a word in the facts, a word in a cited article) is counted, and a facts word
*translates* to the article words that follow it far more often than they follow facts in general — a statistical
translation model estimated by co-occurrence (mutual-information-like weights, after Karimzadehgan & Zhai, "Estimation
of statistical translation models based on mutual information for ad hoc information retrieval", SIGIR 2010). The
vocabulary is learned from data, never from the question files.

For a query, every one of its words that the facts know votes for its translations (weighted by its facts idf); the
``terms`` article words with the most votes that the query lacks join the BM25 query at ``weight`` × their share of
the best vote (a query word counts 1 per use) — the same weighted BM25 query the feedback retriever scores
(:meth:`BM25Engine.weighted_scores`).

Two reads, on one index (the main job's: holdings and facts memories):

* ``probe`` — BM25 alone with and without the translated words, recall@10 / recall@100 per tune group, for a grid
  fixed before the run;
* ``fused`` (``--setting TERMS/WEIGHT``) — the default search with BM25's list taken from the translated query
  (nothing refitted), scored by ``benchmarks/style_eval.py`` so that ``benchmarks/compare_runs.py`` pairs it with
  the same run's plain default.

The evaluation holdings (style_eval's seeded sample of ``--holdings``) are taken out of the fitting facts, so no
holding is scored by a vocabulary its own decision taught.

    python experiments/bm25_translation.py probe --index IDX --holdings PAIRS/train_queries.jsonl
    python experiments/bm25_translation.py fused --index IDX --holdings PAIRS/train_queries.jsonl \\
        --setting 20/0.3 --split tune --name bm25_translation_tune

Writes ``benchmarks/results/NAME.{json,md}``.

Rule for the fused read, written after the probe and before any fused run (2026-12-05): the probe's grid setting
with the best mean tune recall@10 over its four groups (40/0.3: 0.678, against 0.606 for BM25 alone) goes on if,
on the main job's index, the default with it against the same run's plain default (tune halves of
``user_questions.jsonl`` + 600 train holdings, out of the fitting facts) has (a) a mean of recall@10 and MRR@10 over
the four groups ≥ +0.005 and (b) no group losing more than one question net in recall@10 (``compare_runs.py``);
then, read once, the report halves + 600 dev holdings must show a mean no lower and no group more than one question
net down, and ``user_questions_2.jsonl`` (both halves) no group more than one question net down.

Outcome (2026-12-05): **not passed, not built.** The probe (``bm25_translation_probe.md``; 19,722 facts of 민법/상법
decisions before 2020, 8,020 facts words) lifts BM25 alone in every group — recall@10 holdings 0.454 → 0.603,
scenario 0.429 → 0.485, keyword 0.878 → 0.939, short 0.663 → 0.686 (40/0.3) — but the default with BM25's list taken
from the translated query loses (``bm25_translation_tune_0_0.md`` → ``bm25_translation_tune_40_0.3.md``, paired by
``compare_runs.py``): recall@10 short 0.855 → 0.820 (0 up, 3 down), scenario 0.795 → 0.786 (1 / 2), keyword 1.000 =,
holdings 0.900 → 0.894 (3 / 5); MRR@10 short 0.642 → 0.619, scenario 0.678 → 0.650, keyword 0.957 → 0.976, holdings
0.792 → 0.794. What BM25 gains is what the memories already vote for (the translations are the cited articles' words
— the memories' knowledge again, at word level), and the re-ranker, fitted on plain BM25's ranks, trusts the new list
as it trusted the old. Read the added words too: many come from a frequent facts word's strongest article
(임대차 기간 → 이혼, 가정법원; 빚 → 이혼원인, 부부), so a lay word that courts rarely write (집주인) learns nothing. The
report halves and the second question file were not read. Fitting costs Kiwi on every fact (145 s on 2 cores,
800 characters each), a build cost the main job has no room for.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
RESULTS = REPO / "benchmarks" / "results"
#: (terms, weight): the probe's grid, fixed before the run.
GRID = ((10, 0.3), (20, 0.3), (20, 0.5), (40, 0.3))


@dataclass
class Translation:
    """Per facts word (``source`` vocabulary): its best article words (BM25 vocabulary ids) and their weights."""

    source: dict[str, int]
    idf: np.ndarray  # per source word: log(N / facts holding it)
    targets: np.ndarray  # (source words, per_word) BM25 ids, -1 = none
    weights: np.ndarray  # (source words, per_word) association, 0 = none
    facts: int

    def expand(self, tokens: list[str], query_ids: np.ndarray, terms: int) -> tuple[np.ndarray, np.ndarray]:
        """``(BM25 ids, votes)`` of the ``terms`` best translations of ``tokens`` not in ``query_ids``."""
        votes: dict[int, float] = defaultdict(float)
        for w in set(tokens):
            s = self.source.get(w)
            if s is None:
                continue
            for t, v in zip(self.targets[s].tolist(), self.weights[s].tolist()):
                if t >= 0:
                    votes[t] += self.idf[s] * v
        for t in query_ids.tolist():
            votes.pop(t, None)
        if not votes:
            return np.zeros(0, np.int64), np.zeros(0)
        ids = np.fromiter(votes, np.int64, len(votes))
        vals = np.fromiter(votes.values(), np.float64, len(votes))
        best = np.lexsort((ids, -vals))[:terms]
        return ids[best], vals[best]


def fit(searcher, *, before: str, chars: int, exclude_cases: set[str], min_df: int = 20, min_co: float = 5.0,
        per_word: int = 30) -> Translation:
    """The translation table from the facts memory's decisions decided before ``before`` (their first ``chars``
    characters, Kiwi-tokenized as queries are) to the words of the in-index articles they cite."""
    import scipy.sparse as sp

    from legalret.search.prepare import PARTY_MARKERS

    fb = searcher.retriever("feedback")
    engine, store, row_of_key = fb.engine, fb.tokens, fb.row_of_key
    memory = searcher.facts.memory
    cut = date.fromisoformat(before).toordinal()
    texts, cited = [], []
    for r in np.flatnonzero(memory.decided_ord < cut).tolist():
        item = memory.items[r]
        rows = sorted({row_of_key[k] for k in item.keys if k in row_of_key})
        if rows and item.case_no not in exclude_cases:
            texts.append(item.text[:chars])
            cited.append(rows)
    t0 = time.perf_counter()
    tokenized = searcher.prepare.tokenizer.tokenize_many(texts)
    print(f"tokenized {len(texts):,} facts in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    n = len(texts)
    df: dict[str, int] = defaultdict(int)
    uniq = [sorted({t for t in toks if t not in PARTY_MARKERS}) for toks in tokenized]
    for words in uniq:
        for w in words:
            df[w] += 1
    source = {w: i for i, w in enumerate(sorted(w for w, c in df.items() if min_df <= c <= n // 2))}
    indptr, indices = [0], []
    for words in uniq:
        indices.extend(source[w] for w in words if w in source)
        indptr.append(len(indices))
    F = sp.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=(n, len(source)))
    # each fact's target: the share of its cited articles holding each article word
    offsets, ids = store.offsets, store.ids
    article_words = {}
    a_ptr, a_idx, a_val = [0], [], []
    for rows in cited:
        acc: dict[int, float] = defaultdict(float)
        for r in rows:
            if r not in article_words:
                article_words[r] = np.unique(np.asarray(ids[int(offsets[r]):int(offsets[r + 1])], dtype=np.int64))
            for t in article_words[r].tolist():
                acc[t] += 1.0 / len(rows)
        a_idx.extend(acc)
        a_val.extend(acc.values())
        a_ptr.append(len(a_idx))
    vocab = len(engine.vocab)
    A = sp.csr_matrix((np.asarray(a_val, np.float32), a_idx, a_ptr), shape=(n, vocab))
    p_t = np.asarray(A.sum(axis=0)).ravel() / n
    s_df = np.asarray(F.sum(axis=0)).ravel()
    targets = np.full((len(source), per_word), -1, np.int64)
    weights = np.zeros((len(source), per_word), np.float64)
    FT = F.T.tocsr()
    for lo in range(0, len(source), 512):
        hi = min(lo + 512, len(source))
        co = (FT[lo:hi] @ A).toarray()  # expected cited-article holders of t among facts with w
        cond = co / s_df[lo:hi, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            lift = np.where(p_t > 0, cond / p_t, 0.0)
            score = np.where((co >= min_co) & (lift > 1.0), cond * np.log(lift), 0.0)
        top = np.argsort(-score, axis=1)[:, :per_word]
        val = np.take_along_axis(score, top, axis=1)
        targets[lo:hi] = np.where(val > 0, top, -1)
        weights[lo:hi] = np.where(val > 0, val, 0.0)
    idf = np.log(n / s_df)
    return Translation(source=source, idf=idf, targets=targets, weights=weights, facts=n)


def expanded_weights(engine, translation: Translation, tokens: list[str], terms: int, weight: float):
    """The BM25 query: each query token's count, then its ``terms`` best translations at ``weight`` × vote share."""
    ids, counts = np.unique(np.asarray(engine.token_ids(tokens), dtype=np.int64), return_counts=True)
    extra, votes = translation.expand(tokens, ids, terms)
    if not len(extra):
        return ids, counts.astype(np.float64)
    return np.concatenate([ids, extra]), np.concatenate([counts.astype(np.float64), weight * votes / votes.max()])


def holdout_cases(holdings: str | None, limit: int, seed: int) -> set[str]:
    """Case numbers of style_eval's holdings sample (taken out of the fitting facts)."""
    if not holdings:
        return set()
    from legalret.evaluate.quality import load_queries

    return {h.extra.get("case_no") for h in load_queries(holdings, limit=limit or None, seed=seed)} - {None}


def recall(top: list[str], gold: list[str], k: int) -> float:
    return len(set(gold) & set(top[:k])) / len(set(gold)) if gold else math.nan


def probe(args, searcher, translation: Translation) -> dict:
    from style_eval import load_sets

    from legalret.index.bm25 import top_k

    engine, keys = searcher.retriever("bm25").engine, searcher.retriever("bm25").keys
    words = searcher.retriever("feedback").tokens.vocab
    queries = load_sets(args.questions, "tune", args.holdings, args.holdings_limit, args.seed)
    per: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    examples = []
    for q in queries:
        gold = [k for k in q.gold if searcher.article(k) is not None]
        if not gold:
            continue
        tokens = searcher.query_tokens(q.query)
        runs = {}
        for setting in ((0, 0.0),) + GRID:
            ids, w = expanded_weights(engine, translation, tokens, *setting) if setting[0] else (
                np.unique(np.asarray(engine.token_ids(tokens), dtype=np.int64), return_counts=True))
            rows, _ = top_k(engine.weighted_scores(ids, np.asarray(w, np.float64)), 100, positive_only=True)
            runs["bm25" if not setting[0] else "translated %d/%.1f" % setting] = [keys[r] for r in rows.tolist()]
        for label, top in runs.items():
            per[q.extra["style"]][label].append((recall(top, gold, 10), recall(top, gold, 100)))
        if len(examples) < 12 and q.extra["style"] != "holding":
            ids = np.unique(np.asarray(engine.token_ids(tokens), dtype=np.int64))
            extra, _ = translation.expand(tokens, ids, 10)
            examples.append({"query": q.query[:80], "added": [words[i] for i in extra.tolist()]})
    return {"groups": {g: {label: {"recall@10": float(np.mean([a for a, _ in v])),
                                   "recall@100": float(np.mean([b for _, b in v])), "n": len(v)}
                           for label, v in runs_.items()} for g, runs_ in per.items()},
            "examples": examples}


def fused(args, translation: Translation) -> int:
    """The default with BM25's list from the translated query: patch the BM25 retriever, then run style_eval."""
    import style_eval

    from legalret.index.bm25 import top_k
    from legalret.search.retrievers.bm25 import BM25Retriever

    terms, weight = args.setting.split("/")
    terms, weight = int(terms), float(weight)

    def candidates(self, query, n):
        ids, w = expanded_weights(self.engine, translation, self.tokens(query), terms, weight)
        rows, scores = top_k(self.engine.weighted_scores(ids, w), n, query.mask, positive_only=True)
        return [(self.keys[r], s) for r, s in zip(rows.tolist(), scores.tolist())]

    if terms:
        BM25Retriever.candidates = candidates
    argv = ["--index", args.index, "--questions", args.questions, "--split", args.split,
            "--retrievers", "bm25,default", "--name", args.name, "--resamples", "1000"]
    if args.holdings:
        argv += ["--holdings", args.holdings, "--holdings-limit", str(args.holdings_limit)]
    return style_eval.main(argv, command=style_eval.recorded_command("bm25_translation.py", sys.argv[1:], folder="experiments"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("probe", "fused"))
    ap.add_argument("--index", required=True)
    ap.add_argument("--questions", default=str(REPO / "benchmarks" / "queries" / "user_questions.jsonl"))
    ap.add_argument("--split", default="tune", choices=("tune", "report", "all"))
    ap.add_argument("--holdings", help="holdings with date/case_no (style_eval's --holdings)")
    ap.add_argument("--holdings-limit", type=int, default=600)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--before", default="2020-01-01", help="fitting facts decided before this date")
    ap.add_argument("--chars", type=int, default=800, help="characters of each fact read")
    ap.add_argument("--setting", default="20/0.3", help="fused: TERMS/WEIGHT (0/0 = plain BM25)")
    ap.add_argument("--name", default="bm25_translation_probe")
    args = ap.parse_args(argv)

    from index_names import recorded_command

    from legalret.evaluate.report import write_result
    from legalret.search.searcher import Searcher

    t0 = time.perf_counter()
    searcher = Searcher(args.index, feedback=True)
    translation = fit(searcher, before=args.before, chars=args.chars,
                      exclude_cases=holdout_cases(args.holdings, args.holdings_limit, args.seed))
    fitted = time.perf_counter() - t0
    print(f"translation: {len(translation.source):,} facts words from {translation.facts:,} facts, {fitted:.0f} s",
          file=sys.stderr)
    if args.what == "fused":
        return fused(args, translation)
    result = probe(args, searcher, translation)
    result["settings"] = {"index": Path(args.index).name, "facts": translation.facts, "source_words": len(translation.source),
                          "chars": args.chars, "before": args.before, "grid": [list(g) for g in GRID],
                          "fit_seconds": round(fitted, 1),
                          "command": recorded_command("bm25_translation.py", sys.argv[1:], folder="experiments")}
    write_result(RESULTS, args.name, result, markdown(result))
    print(markdown(result))
    return 0


def markdown(result: dict) -> str:
    groups = result["groups"]
    labels = list(next(iter(groups.values())))
    lines = [f"### BM25 with translated words (`{result['settings']['index']}`, tune): recall@10 / recall@100", "",
             f"Fitted on {result['settings']['facts']:,} facts ({result['settings']['source_words']:,} facts words); "
             "label: terms / weight.", "",
             "| group | n | " + " | ".join(labels) + " |", "|---|---:|" + "---|" * len(labels)]
    for g in sorted(groups):
        n = next(iter(groups[g].values()))["n"]
        lines.append(f"| {g} | {n} | " + " | ".join(
            f"{groups[g][lab]['recall@10']:.3f} / {groups[g][lab]['recall@100']:.3f}" for lab in labels) + " |")
    lines += ["", "Words added (10 best) to the first tune questions:", ""]
    lines += [f"- {e['query']} → {', '.join(map(str, e['added']))}" for e in result.get("examples", [])]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
