"""How much of an article the dense vector needs: dense recall on the dev holdings vs. the passage token cut.

Index passages are cut to ``legalret.config.DEFAULT_PASSAGE_MAX_TOKENS`` encoder tokens before encoding (queries
never are). This benchmark is the evidence for that default: it encodes the articles of an existing index at
several cuts (``--lengths``; ``0`` = the model's own limit, 512 for me5-small), scores the 2020–2022 dev
holdings against each set of vectors by exact cosine, and reports dense recall@10 / MRR@10 with the
encoding time of each cut. Only queries with a gold article in the index are scored (as ``--gold indexed``
in ``run_quality.py``).

Usage::

    .venv/bin/python experiments/passage_length.py --index ~/.cache/legalret/bench/index-civil-commercial-default-base
    .venv/bin/python experiments/passage_length.py --index … --adapter legalret/adapters/me5-small-legal --tag adapter

Writes ``benchmarks/results/passage_length[-<tag>].{json,md}``. The full corpus's token-length distribution
(what a cut saves there) is printed with ``--corpus-stats`` (tokenizes every 법률+시행령 article; ~30 s).

On the all-law index (the issue asks for the cut to be chosen on its dev sets; 128 was chosen on 민법+상법
holdings, where articles average 94 tokens, and all-law articles average 224): a 96-token cut leaves 11.3 M of the
14.0 M tokens to encode. Rule written before the run (2026-12-05): build all-acts-decrees with
``legalret index build … --passage-tokens 96`` (the default's adapter and memories, Kiwi tokens from the cache)
and the main job's index the same way; 96 may become the default only if, on both, the default search's tune
mean of recall@10 and MRR@10 (law_eval.py / style_eval.py, as for ``kiwi_cutoff``) is no more than 0.003 below
the 128 build's and no group's recall@10 is down more than 0.01 — and then the report halves, read once, show no
group's recall@10 down more than 0.01 either. The re-rankers are not refitted.
**Not kept.** Encoding took 696 instead of 784 s (×0.89, not the ×0.81 of the tokens;
``build-all-acts-decrees-amx-passage96.json``). Tune: all-law 0.7282 → 0.7265 (short recall@10 −0.007, scenario
−0.005), main job 0.8267 → 0.8260 (short −0.006): passed. Report, read once: all-law 0.7483 → 0.7511 (short +0.012,
scenario +0.020), but main job short 0.849 → 0.837 and scenario 0.863 → 0.845, past the 0.01 allowed
(``passage96_{all,main}_{tune,report}.md`` against ``kiwi_cutoff_{all_index-all,main_index}_{tune,report}.md``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

K = 10


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", required=True, help="an index whose articles are re-encoded (its own vectors are not used)")
    p.add_argument("--queries", default=str(REPO / "out" / "pairs" / "dev_queries.jsonl"))
    p.add_argument("--model", default=None, help="encoder spec (default: bundled:me5-small)")
    p.add_argument("--adapter", default=None)
    p.add_argument("--lengths", default="0,256,128,96,64")
    p.add_argument("--corpus-stats", action="store_true", help="also report the token lengths of every 법률+시행령 article")
    p.add_argument("--tag", default="")
    p.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = p.parse_args(argv)

    from legalret.evaluate.metrics import mrr_at_k, recall_at_k
    from legalret.evaluate.quality import load_queries
    from legalret.evaluate.report import write_result
    from legalret.evaluate.speed import machine_info
    from legalret.index.store import load_index
    from legalret.models.encoder import load_encoder

    data = load_index(args.index, verify="size")
    keys = data.row_keys
    texts = [data.articles[i].index_text() for i in data.rows]
    in_index = set(keys)
    queries = [q for q in load_queries(args.queries).queries if any(g in in_index for g in q.gold)]
    enc = load_encoder(args.model, adapter=args.adapter)
    print(f"{len(texts)} articles, {len(queries)} dev queries with an indexed gold article; {enc}", flush=True)
    t = time.perf_counter()
    Q = enc.encode_queries([q.query for q in queries])
    query_s = time.perf_counter() - t

    lengths = [int(x) for x in args.lengths.split(",")]
    passage_tokens = np.array([enc.token_count(t) for t in texts])
    rows = []
    for cut in lengths:
        limit = cut or enc.max_seq_length
        enc.passage_max_tokens = limit if limit < enc.max_seq_length else None
        t = time.perf_counter()
        P = enc.encode_passages(texts)
        seconds = time.perf_counter() - t
        top = np.argsort(-(Q @ P.T), axis=1)[:, :K]
        ranked = [[keys[i] for i in row] for row in top]
        gold = [[g for g in q.gold if g in in_index] for q in queries]
        recall = float(np.mean([recall_at_k(r, g, K) for r, g in zip(ranked, gold)]))
        mrr = float(np.mean([mrr_at_k(r, g, K) for r, g in zip(ranked, gold)]))
        rows.append({
            "max_tokens": limit, "recall@10": recall, "mrr@10": mrr, "encode_s": seconds,
            "passages_per_s": len(texts) / seconds, "cut_fraction": float(np.mean(passage_tokens > limit)),
        })
        print(f"cut {limit}: recall@10 {recall:.4f}  MRR@10 {mrr:.4f}  ({seconds:.1f} s)", flush=True)
    enc.passage_max_tokens = None

    result = {
        "index": str(args.index), "encoder": enc.fingerprint, "queries": len(queries), "articles": len(texts),
        "query_encode_s": query_s, "rows": rows, "machine": machine_info(),
        "article_tokens": _describe(passage_tokens),
    }
    if args.corpus_stats:
        result["corpus_tokens"] = _corpus_stats(enc)
    name = "passage_length" + (f"-{args.tag}" if args.tag else "")
    write_result(args.out, name, result, _markdown(result, " ".join(["experiments/passage_length.py"] + (argv or sys.argv[1:]))))
    return 0


def _describe(lengths: np.ndarray) -> dict:
    return {
        "mean": float(lengths.mean()), "p50": float(np.median(lengths)), "p90": float(np.percentile(lengths, 90)),
        "p99": float(np.percentile(lengths, 99)), "total": int(lengths.sum()),
    }


def _corpus_stats(enc) -> dict:
    """Encoder tokens of every searchable 법률+시행령 article, and the tokens left at each cut."""
    from legalret.config import shared_data_dir
    from legalret.ingest.sources import ingest

    data = shared_data_dir()
    if data is None:
        return {}
    arts = [a for a in ingest([data / "statutes" / "legalize-kr.zip"], kinds=["법률", "시행령"]).articles if not a.deleted]
    prompt = enc.spec.passage_prompt
    ids = enc.tokenizer([prompt + a.index_text() for a in arts], add_special_tokens=True)["input_ids"]
    lengths = np.array([len(x) for x in ids])
    stats = {"articles": len(arts), **_describe(lengths)}
    stats["tokens_at_cut"] = {str(c): int(np.minimum(lengths, c).sum()) for c in (64, 96, 128, 256, 512)}
    return stats


def _markdown(r: dict, command: str) -> str:
    lines = [
        "### Dense passage length — recall on the dev holdings",
        "",
        f"{r['articles']:,} articles of `{r['index']}`, {r['queries']:,} dev holdings (2020–2022) with a gold article "
        f"in the index; encoder `{r['encoder']}`. Article length in encoder tokens: mean {r['article_tokens']['mean']:.0f}, "
        f"p90 {r['article_tokens']['p90']:.0f}.",
        "",
        "| passage cut (tokens) | articles cut | dense recall@10 | dense MRR@10 | encode s | passages/s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in r["rows"]:
        lines.append(
            f"| {row['max_tokens']} | {row['cut_fraction']:.1%} | {row['recall@10']:.4f} | {row['mrr@10']:.4f} | "
            f"{row['encode_s']:.1f} | {row['passages_per_s']:.1f} |"
        )
    corpus = r.get("corpus_tokens")
    if corpus:
        lines += [
            "",
            f"Every searchable 법률+시행령 article ({corpus['articles']:,}): mean {corpus['mean']:.0f} tokens, "
            f"p90 {corpus['p90']:.0f}, total {corpus['total'] / 1e6:.1f} M; tokens left to encode at each cut: "
            + ", ".join(f"{c}: {v / 1e6:.1f} M" for c, v in corpus["tokens_at_cut"].items()) + ".",
        ]
    lines += ["", f"Reproduce: `.venv/bin/python {command}`", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
