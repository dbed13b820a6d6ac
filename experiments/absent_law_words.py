"""Probe: can the words of a question that no article of the index holds point to the absent law that does?

On the main job's index (민법+상법), "상가 권리금을 임대인이 방해해서 …" is answered from 민법 with no word that
상가건물 임대차보호법 (제10조의3 권리금의 정의 등, 제10조의4 권리금 회수기회 보호 등) governs it. The learned area
notice (`legalret.train.practice_areas`, retired) raised false alarms on 민법 lease and family questions. This probe
tries a lexical gate instead: a query word counts only when *no article of the index* holds it and the article
titles of at most ``--max-laws`` absent laws do; the notice names those laws.

Rule written before the first run (2026-12-07): build the notice if, on the tune halves of the five question files
(and 600 dev holdings, which need no notice), false alarms (a notice naming no gold law) are ≤ 2% of the questions
needing no notice, and right notices (naming an absent gold law) ≥ 30% of those needing one; then the report halves
must hold the same limits.

    python experiments/absent_law_words.py --index ~/.legalret/index --holdings dev_queries.jsonl --split tune
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

from legalret.corpus.resolve import read_corpus
from legalret.keys import parse_key
from legalret.search.searcher import Searcher

FILES = ["user_questions.jsonl", "user_questions_2.jsonl", "law_questions.jsonl", "law_questions_2.jsonl",
         "law_questions_3.jsonl"]


def title_table(searcher: Searcher, corpus: str, held: set[str], field: str) -> dict[str, dict[str, int]]:
    """word → {absent law: articles whose title (or title + law name) holds it}."""
    articles = [a for a in read_corpus([corpus]).articles if a.law not in held and not a.deleted and a.title]
    table: dict[str, dict[str, int]] = defaultdict(Counter)
    seen: dict[str, list[str]] = {}
    t0 = time.time()
    for a in articles:
        text = a.title if field == "title" else f"{a.law} {a.title}"
        words = seen.get(text)
        if words is None:
            words = seen[text] = sorted(set(searcher.prepare.tokens(text)))
        for w in words:
            table[w][a.law] += 1
    print(f"{len(articles):,} absent articles, {len(seen):,} distinct titles, {len(table):,} words "
          f"({time.time() - t0:.0f} s)")
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--corpus", default="all-acts-decrees")
    ap.add_argument("--holdings", help="dev holdings JSONL (need no notice on a 민법+상법 index)")
    ap.add_argument("--holdings-n", type=int, default=600)
    ap.add_argument("--split", default="tune")
    ap.add_argument("--max-laws", type=int, nargs="+", default=[1, 2, 3, 5])
    ap.add_argument("--field", default="title", choices=["title", "law+title"])
    ap.add_argument("--memory-gate", action="store_true",
                    help="a word the holdings memory holds is known to the index too")
    ap.add_argument("--min-chars", type=int, default=1)
    ap.add_argument("--memory-df", type=int, default=0,
                    help="with --memory-gate: a word held by at most this many holdings still counts as unknown")
    ap.add_argument("--out")
    args = ap.parse_args()
    s = Searcher(args.index, dense=False)
    held = set(s.laws)
    vocab = s.opened["bm25"].engine.vocab
    if args.memory_gate:
        memory_bm25 = s.opened["memory"].retriever.memory.bm25
        vocab = set(vocab) | {w for w in memory_bm25.vocab if memory_bm25.document_frequency(w) > args.memory_df}
    table = title_table(s, args.corpus, held, args.field)
    queries = []
    root = Path(__file__).resolve().parents[1] / "benchmarks" / "queries"
    for name in FILES:
        for line in open(root / name, encoding="utf-8"):
            q = json.loads(line)
            if q.get("split", args.split) == args.split:
                queries.append((name, q))
    if args.holdings:
        rows = [json.loads(x) for x in open(args.holdings, encoding="utf-8")]
        half = [r for i, r in enumerate(rows) if (i % 2 == 0) == (args.split == "tune")][:args.holdings_n]
        queries += [("holdings", r) for r in half]
    results = {}
    for max_laws in args.max_laws:
        tally: dict[str, Counter] = defaultdict(Counter)
        examples = []
        for name, q in queries:
            gold_laws = {parse_key(k).law for k in q["gold"]}
            absent_gold = gold_laws - held
            words = [w for w in dict.fromkeys(s.prepare.tokens(q["query"])) if w not in vocab and w in table
                     and len(w) >= args.min_chars]
            votes: Counter = Counter()
            for w in words:
                if len(table[w]) <= max_laws:
                    for law, n in table[w].items():
                        votes[law] += 1
            named = {law for law, _ in votes.most_common(3)}
            group = f"{name}:{q.get('style', 'holding')}"
            t = tally[group]
            t["n"] += 1
            if absent_gold:
                t["need"] += 1
                t["right"] += bool(named & absent_gold)
                t["fired_need"] += bool(named)
            else:
                t["none"] += 1
                t["false"] += bool(named and not named & gold_laws)
            if named and len(examples) < 400:
                examples.append({"q": q["query"][:80], "gold": sorted(gold_laws), "named": sorted(named),
                                 "words": [w for w in words if len(table[w]) <= max_laws]})
        need = sum(t["need"] for t in tally.values())
        none = sum(t["none"] for t in tally.values())
        right = sum(t["right"] for t in tally.values())
        false = sum(t["false"] for t in tally.values())
        print(f"max_laws {max_laws}: right {right}/{need} = {right / max(need, 1):.3f}; "
              f"false alarms {false}/{none} = {false / max(none, 1):.3f}")
        for g, t in sorted(tally.items()):
            print(f"   {g:40s} n {t['n']:4d} need {t['need']:4d} right {t['right']:4d} none {t['none']:4d} "
                  f"false {t['false']:3d}")
        results[max_laws] = {"right": right, "need": need, "false": false, "none": none,
                             "groups": {g: dict(t) for g, t in tally.items()}, "examples": examples}
    if args.out:
        Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
