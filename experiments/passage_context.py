"""Should an article's passage vector read its law name and chapter headings before its title and body?

The dense list is the strongest single list for people's questions about other laws on the all-law index, and its
passages are ``title + body`` (cut at 128 tokens): "임금을 지급하지 않으면" finds 임금 articles of every law alike,
the law (근로기준법) and the chapter (제3장 임금) are not in the vector. ``experiments/bm25_context.py`` gave the same
context to BM25; this gives it to the passages: ``law name + chapter headings (numbers dropped) + title + body``.

Stage 1 (``--probe``): every searchable article of the index encoded again with its context (the index's encoder,
the build's passage cut and batch size; ~11 minutes on a 2-core Xeon with AMX), then dense alone — exact search, the
index's query encoder — against the index's own vectors (exact too) on the tune halves of both question files.
The vectors are kept (``--vectors``) for a second stage. Rule, written before the run (2026-12-04): a second stage
(the fused default with the re-ranker refitted, as in ``bm25_context.py``) is worth its time only if dense recall@10
rises by ≥ +0.02 on the mean over the four short/scenario tune groups (law and user questions) with no group lower by
more than 0.02.

Outcome (2026-12-04, ``passage_context_probe.md``): dense recall@10 over the four short/scenario tune groups 0.488 →
0.500 (+0.012; law short 0.554 → 0.570, 민법/상법 short 0.628 → 0.657, scenarios ±0.01) and both keyword groups lower
(0.917 → 0.865, 0.939 → 0.902): **not passed**, no second stage; passages stay title + body.

    LEGALRET_HOME=… python experiments/passage_context.py --index FULL_IDX --probe --vectors ctx_vectors.npy

Writes ``benchmarks/results/passage_context_probe.{json,md}``.
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
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "experiments"))

from bm25_context import QUESTIONS, chapter_words, write_probe  # noqa: E402
from index_names import recorded_command  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--probe", action="store_true")
    ap.add_argument("--vectors", required=True, help="the context vectors (.npy): written, or read when it exists")
    ap.add_argument("--name", default="passage_context_probe")
    args = ap.parse_args(argv)
    from legalret.articles import Article
    from legalret.evaluate.questions import read_questions
    from legalret.index.encoders import load_index_encoder
    from legalret.index.store import current_generation, read_manifest
    from legalret.search.searcher import Searcher

    t0 = time.perf_counter()
    index = args.index
    gen, manifest = current_generation(index), read_manifest(index)
    rows = json.loads((gen / "rows.json").read_text(encoding="utf-8"))["rows"]
    with open(gen / "articles.jsonl", encoding="utf-8") as f:
        arts = [json.loads(line) for line in f]
    keys = [arts[p]["key"] for p in rows]
    out = Path(args.vectors)
    if out.exists():
        vectors = np.load(out)
    else:
        texts = []
        for p in rows:
            a = Article.from_dict(arts[p])
            texts.append(" ".join(x for x in (a.law, chapter_words(a.chapter), a.index_text()) if x))
        encoder = load_index_encoder(manifest["encoder"], where=index)
        print(f"encoding {len(texts)} passages with {encoder}", flush=True)
        vectors = encoder.encode_passages(texts, batch_size=32, show_progress=True)
        np.save(out, vectors)
    print(f"vectors {vectors.shape}, {time.perf_counter() - t0:.0f}s", flush=True)
    searcher = Searcher(index)
    dense = searcher.opened["dense"]
    plain = np.asarray(dense.index.vectors)
    if list(dense.keys) != keys:
        raise SystemExit("the dense rows are not the searchable articles' order")
    known = set(keys)
    queries = []
    for which, path in QUESTIONS.items():
        for q in read_questions(str(path)):
            gold = [g for g in q.gold if g in known]
            if q.split == "tune" and gold:
                queries.append((f"{which} {q.style}", q.query, gold))
    qv = dense.encode([q for _, q, _ in queries])
    scores: dict = defaultdict(lambda: defaultdict(list))
    for (group, _, gold), v in zip(queries, qv):
        for name, matrix in (("as indexed", plain), ("+ law name + chapters", vectors)):
            top = [keys[i] for i in np.argsort(-(matrix @ v))[:150]]
            for cut in (10, 150):
                scores[group][f"{name} recall@{cut}"].append(len(set(gold) & set(top[:cut])) / len(gold))
    write_probe(args.name, "Dense alone, passages with their law name and chapter headings", Path(index).name, scores,
                ["as indexed", "+ law name + chapters"],
                recorded_command("passage_context.py", argv if argv is not None else sys.argv[1:], folder="experiments"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
