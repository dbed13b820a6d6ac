"""Can the all-law index's article BM25 cut its articles into character n-grams instead of Kiwi, to build faster?

A first all-acts-decrees build on a 2-core Xeon with AMX takes 21.4 minutes (goal: 20; issue 23), of which Kiwi on
the 130,900 articles is 352 s wall / 611 CPU-s (``build-all-acts-decrees-amx.json``) — Kiwi's own analysis, not
our token selection (5.2 ms of Kiwi's CPU per article, 0.1 ms ours; Kiwi's other models and match options are no
faster without changing tokens). Character bigrams (:mod:`legalret.index.ngram_tokenize`, what the facts memory
uses) cut the same articles in ~10 CPU-s. The holdings memory and the article profiles keep Kiwi (n-grams lost
there: ``facts_ngrams.py``), so a query is still analysed by Kiwi once.

Stage 1 (``--probe``, BM25 alone, tune halves of both question files, recall@10 / recall@150): Kiwi as indexed,
bigrams, bigrams + whole words of 2–4 syllables. Run 2026-12-04 before this file was written (by hand, the same
code): tune recall@10 / @150 Kiwi → bigrams: law short 0.326 / 0.692 → 0.367 / 0.659, law scenario 0.385 / 0.621 →
0.359 / 0.575, law keyword 0.792 / 0.979 → 0.844 / 0.990, 민법/상법 short 0.488 / 0.680 → 0.453 / 0.680, scenario
0.193 / 0.527 → 0.170 / 0.432, keyword 0.829 / 0.927 → 0.829 / 0.939 — BM25 alone loses on scenarios.

Stage 2 (``--make IDX_NG``): a hard-linked copy of the index whose article BM25 holds the bigrams, its manifest
naming them (``bm25_tokenizer``: the BM25 retriever then cuts queries the same way), so the fused default's
candidates can be cached (``ranker_cache.py --index IDX_NG --depth 150``) and ``listwise-match`` refitted on them
(``ranker_all_laws.py --name article_ngrams_rerank``).

Rule, written before stage 2 was run (2026-12-04). This is a speed change, so it must not lose: ``listwise-match``
refitted on the n-gram index's candidates must reach a cross-validated tune mean ≥ 0.7289 (0.003 below the same
recipe refitted on the index's own candidates, 0.7319, ``ranker_all_laws_trees.md``: the same holdings and folds)
with no tune group's recall@10 (per style and question file, the held-out holdings) more than 0.02 below that
refit's; and then the report halves, scored once, must hold too: their mean of recall@10 and MRR@10 over the six
question groups and the 1,000 dev holdings ≥ 0.7579 (0.005 below that refit's 0.7629,
``ranker_all_laws_trees_report.md``). Passing both makes the case for building every index that gets the all-law
re-ranker (``config.default_ranker``: a law beyond 민법/상법) with n-gram article BM25 and that re-ranker refitted on
its candidates; the 민법+상법 index keeps Kiwi (its articles take seconds).

Outcome (2026-12-04): tune mean 0.7346 against 0.7319 — the mean holds — but law tune scenario recall@10 fell 0.635 →
0.601 (−0.034; 민법/상법 scenario 0.714 = , law short 0.634 → 0.667, held-out holdings 0.769 → 0.767;
``article_ngrams_rerank.md``): **not passed**, the report halves not read. The article BM25 stays Kiwi; the
20-minute build is not reached this way. Kiwi itself is linear in the text (~12 µs a character on the AMX Xeon,
whatever the article's length), so cutting articles into pieces would not save time either.

    LEGALRET_HOME=… python experiments/article_ngrams.py --index FULL_IDX --probe
    LEGALRET_HOME=… python experiments/article_ngrams.py --index FULL_IDX --make FULL_IDX_NG

Writes ``benchmarks/results/NAME.{json,md}`` (stage 1; ``--name``, default ``article_ngrams_probe``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "experiments"))
sys.path.insert(0, str(REPO / "benchmarks"))

from bm25_context import QUESTIONS, copy_with_bm25, searchable_articles, write_probe  # noqa: E402
from index_names import recorded_command  # noqa: E402


def article_texts(gen: Path) -> tuple[list[str], list[str]]:
    """``(keys, index texts)`` per BM25 row: what :meth:`Article.index_text` gives the index's tokenizer."""
    from legalret.articles import Article

    arts = [Article.from_dict(a) for a in searchable_articles(gen)]
    return [a.key for a in arts], [a.index_text() for a in arts]


def probe(index: str, gen: Path, kiwi, params, argv, name: str) -> None:
    from legalret.evaluate.questions import read_questions
    from legalret.index.bm25 import BM25Engine, TokenStore
    from legalret.index.ngram_tokenize import NgramSettings, NgramTokenizer
    from legalret.search.parties import without_party_names
    from legalret.search.prepare import PARTY_MARKERS

    keys, texts = article_texts(gen)
    variants = {"Kiwi (as indexed)": (kiwi, TokenStore.load(gen / "tokens").to_lists())}
    for label, settings in (("bigrams", NgramSettings()), ("bigrams + words 2-4", NgramSettings(words=4))):
        cut = NgramTokenizer(settings)
        t0 = time.process_time()
        variants[label] = (cut, cut.tokenize_many(texts))
        print(f"{label}: {len(texts)} articles in {time.process_time() - t0:.1f} CPU-s", flush=True)
    engines = {label: BM25Engine.build(tokens, params) for label, (_, tokens) in variants.items()}
    known = set(keys)
    scores: dict = defaultdict(lambda: defaultdict(list))
    for which, path in QUESTIONS.items():
        for q in read_questions(str(path)):
            gold = [g for g in q.gold if g in known]
            if q.split != "tune" or not gold:
                continue
            for label, (cut, _) in variants.items():  # each variant's queries cut as the search would cut them
                words = ([t for t in cut.tokenize(q.query) if t not in PARTY_MARKERS] if cut is kiwi
                         else cut.tokenize(without_party_names(q.query)))
                top = [keys[i] for i in engines[label].top(words, 150)[0]]
                for k in (10, 150):
                    scores[f"{which} {q.style}"][f"{label} recall@{k}"].append(len(set(gold) & set(top[:k])) / len(gold))
    write_probe(name, "Article BM25 alone: Kiwi or character n-grams", Path(index).name, scores, list(variants),
                recorded_command("article_ngrams.py", argv, folder="experiments"))


def make(index: str, gen: Path, manifest: dict, params, target: str) -> None:
    """A hard-linked copy of ``index`` whose article BM25 holds character bigrams (and says so)."""
    from legalret.index.bm25 import BM25Engine
    from legalret.index.ngram_tokenize import NgramTokenizer

    cut = NgramTokenizer()
    t0 = time.process_time()
    _, texts = article_texts(gen)
    engine = BM25Engine.build(cut.tokenize_many(texts), params)
    print(f"bigrams + BM25 of {len(texts)} articles: {time.process_time() - t0:.1f} CPU-s", flush=True)
    copy_with_bm25(index, gen, manifest, engine, target,
                   {"bm25_tokenizer": cut.settings.to_dict(),
                    "experiment": "experiments/article_ngrams.py: article BM25 over character bigrams"})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--probe", action="store_true")
    ap.add_argument("--make", help="write the n-gram index here")
    ap.add_argument("--name", default="article_ngrams_probe", help="the probe's result files (benchmarks/results/NAME.*)")
    args = ap.parse_args(argv)
    from legalret.index.bm25 import BM25Params
    from legalret.index.store import current_generation, read_manifest
    from legalret.index.tokenize import KiwiTokenizer, TokenizerSettings

    t0 = time.perf_counter()
    gen, manifest = current_generation(args.index), read_manifest(args.index)
    params = BM25Params.from_dict(manifest.get("bm25"))
    if args.probe:
        kiwi = KiwiTokenizer(TokenizerSettings.from_dict(manifest["tokenizer"]))
        probe(args.index, gen, kiwi, params, argv if argv is not None else sys.argv[1:], args.name)
    if args.make:
        make(args.index, gen, manifest, params, args.make)
    print(f"{time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
