"""Precedent memory benchmark: memory alone vs. the two-way hybrid vs. the three-way hybrid, per query style.

* **holding** queries — dev-split holdings (decided 2020-01-01 … 2022-12-31) with their resolved 민법/상법
  keys as gold (``legalret pairs``' ``dev_queries.jsonl`` when given / present, else derived the same way here);
* **user** queries — ``benchmarks/queries/user_questions.jsonl``: short questions written by hand, gold
  checked against the statute text.

The memory holds **train-split precedents only** (decided before 2020-01-01). Leakage guards on top:
every holding query runs with ``before=<its own decision date>`` and ``exclude=<its own case number>``.

Systems (all through the ``Searcher``, so the numbers are those of the shipped code path):
``bm25``, ``dense`` (when the index has vectors), ``hybrid2`` (Searcher without memory), ``memory``
(memory alone), ``hybrid3`` (Searcher with the memory, adaptive weight = ``memory_weight``), and
``hybrid3-fixed@w`` (fixed memory weights, for reference).

``--tune`` grid-searches :class:`~legalret.memory.retriever.VoteConfig` (memory alone) and then
:class:`~legalret.memory.retriever.WeightConfig` (replaying D's fusion over cached channel lists) on a seeded
sample of ``--tune-n`` dev holding queries and reports the best settings; the evaluation always runs the
shipped defaults on ``--limit`` *other* dev queries. The user questions are never used for tuning.

Usage::

    .venv/bin/python benchmarks/memory_eval.py --model none --tune                 # BM25-only
    .venv/bin/python benchmarks/memory_eval.py --model bundled:me5-small --limit 300

Work files (article index, memory, precedent cache) go to ``--work`` (default ``$LEGALRET_HOME/bench-memory``),
results to ``benchmarks/results/memory.{json,md}``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "benchmarks"))  # index_names, when this is imported rather than run

from index_names import portable_path, recorded_command  # noqa: E402

from legalret.config import DEV_END, TRAIN_END, legalret_home, shared_data_dir  # noqa: E402
from legalret.evaluate.metrics import mrr_at_k, paired_bootstrap_diff, recall_at_k  # noqa: E402
from legalret.evaluate.report import write_json, write_text  # noqa: E402
from legalret.memory.retriever import MemoryVoter, VoteConfig, WeightConfig, memory_weight  # noqa: E402
from legalret.memory.builder import build_memory  # noqa: E402
from legalret.memory.store import PrecedentMemory  # noqa: E402
from legalret.progress import console, track  # noqa: E402

LAWS = ["민법", "상법"]
K = 10


# ---- data -------------------------------------------------------------------------------------------
def load_articles(data: Path):
    from legalret.ingest.sources import ingest

    return ingest([data / "statutes" / "legalize-kr.zip"], kinds=["법률"], laws=LAWS).articles


def precedent_cache(work: Path, data: Path, articles) -> Path:
    """All precedents with at least one holding citing a 민법/상법 article, as compact JSONL (read once)."""
    path = work / "precedents.jsonl"
    if path.is_file():
        return path
    from legalret.precedents.citations import ArticleCatalog
    from legalret.precedents.parse import PrecedentReport, read_precedents

    catalog = ArticleCatalog.from_articles(articles)
    report = PrecedentReport()
    tmp = path.with_suffix(".tmp")
    n = 0
    with open(tmp, "w", encoding="utf-8") as f:
        for p in read_precedents([data / "precedents" / "precedent-kr.zip"], catalog=catalog, report=report, progress=True):
            holdings = [
                {"index": h.index, "text": h.text, "summary": h.summary, "keys": h.keys} for h in p.holdings if h.keys
            ]
            if holdings:
                rec = {"case_no": p.case_no, "decided": p.decided.isoformat(), "case_name": p.case_name,
                       "court": p.court, "case_type": p.case_type, "serial": p.serial, "holdings": holdings}
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
    os.replace(tmp, path)
    console.print(f"precedents: {report.precedents} read, {n} cite 민법/상법, {len(report.errors)} errors")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def dev_holding_queries(precedents: list[dict], queries_file: Path | None, seed: int) -> list[dict]:
    """Dev holding queries with case_no + decided (for the leakage guards), in a seeded random order."""
    if queries_file is not None:
        queries = [q for q in read_jsonl(queries_file) if q.get("case_no") and q.get("decided")]
    else:
        queries = []
        for p in precedents:
            decided = date.fromisoformat(p["decided"])
            if TRAIN_END <= decided < DEV_END:
                for h in p["holdings"]:
                    queries.append({"qid": f"{p['case_no']}#{h['index']}", "query": h["text"], "gold": h["keys"],
                                    "case_no": p["case_no"], "decided": p["decided"]})
    queries = [dict(q, style="holding") for q in queries if q.get("gold")]
    random.Random(seed).shuffle(queries)
    return queries


def build_or_load(work: Path, articles, precedents: list[dict], model: str, memory_dense: bool = False):
    from legalret.index.build import build_index
    from legalret.index.tokenize import KiwiTokenizer
    from legalret.search.searcher import Searcher

    tag = model.replace(":", "-").replace("/", "-")
    index_dir = work / f"index-{tag}"
    if not (index_dir / "manifest.json").exists() and not any(index_dir.glob("*/manifest.json")):
        t = time.perf_counter()
        build_index(articles, index_dir, model=model)
        console.print(f"article index built in {time.perf_counter() - t:.0f}s → {index_dir}")
    searcher = Searcher(index_dir, memory=False)
    # The memory is BM25-only unless asked (as in `legalret index build`): encoding ~31k holdings takes
    # hours on 2 CPU cores. A BM25 memory is shared by every article-encoder setting.
    encoder = searcher.encoder if memory_dense else None
    memory_dir = work / f"memory-train-{tag if encoder is not None else 'none'}"
    if not (memory_dir / "meta.json").is_file():
        t = time.perf_counter()
        train = [p for p in precedents if date.fromisoformat(p["decided"]) < TRAIN_END]
        memory = build_memory(train, encoder=encoder, tokenizer=KiwiTokenizer(searcher.manifest["tokenizer"]),
                                       keep_keys=set(searcher.keys))
        memory.save(memory_dir)
        console.print(f"memory: {len(memory)} holdings of {len(memory.case_numbers)} train decisions "
                      f"built in {time.perf_counter() - t:.0f}s → {memory_dir}")
    memory = PrecedentMemory.load(memory_dir, encoder=encoder, tokenizer=searcher.tokenizer)
    return searcher, memory


# ---- runs -------------------------------------------------------------------------------------------
class GuardedMemory(MemoryVoter):
    """The memory as the Searcher sees it, with the current query's leakage guard applied.

    The Searcher calls ``explain(q, n, laws=…, before=None, exclude=None)``; holding queries must also pass
    ``before`` and ``exclude``, so the benchmark sets them per query before calling ``Searcher.search``.
    """

    def __init__(self, retriever: MemoryVoter):
        super().__init__(retriever.memory, retriever.config)
        self.before = self.exclude = None

    def explain(self, query, k=10, *, before=None, exclude=None, laws=None):
        return super().explain(query, k, before=before or self.before, exclude=exclude or self.exclude, laws=laws)


def guard_of(q: dict) -> tuple[str | None, str | None]:
    return (q.get("decided"), q.get("case_no")) if q.get("style") == "holding" else (None, None)


def score(ranked: list[str], gold: list[str]) -> dict[str, float]:
    return {"recall@10": recall_at_k(ranked, gold, K) or 0.0, "mrr@10": mrr_at_k(ranked, gold, K) or 0.0}


def mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {m: round(sum(r[m] for r in rows) / len(rows), 4) for m in rows[0]} if rows else {}


def searcher_text(query: str) -> str:
    from legalret.search.searcher import MAX_QUERY_CHARS
    from legalret.text import normalize

    return normalize(query)[:MAX_QUERY_CHARS]


def channel_lists(searcher, guarded: GuardedMemory, queries: list[dict], n: int) -> list[dict]:
    """Per query: D's bm25 / dense lists and the memory result (what the Searcher fuses)."""
    out = []
    modes = ["bm25"] + (["dense"] if searcher.has_dense else [])
    for q in track(queries, "channels"):
        guarded.before, guarded.exclude = guard_of(q)
        lists = {}
        for mode in modes:
            hits = searcher.search(q["query"], k=n, mode=mode, citations=False)
            lists[mode] = [(h.key, h.score) for h in hits]
        res = guarded.explain(searcher_text(q["query"]), n)  # exactly what the Searcher hands the memory
        out.append({"lists": lists, "memory": res})
    return out


def replay(searcher, cached: dict, w_mem: float | None, k: int = K, exponent: float | None = None) -> list[str]:
    """D's fusion (searcher.fusion settings) with memory weight ``w_mem`` (None = two-way)."""
    from legalret.search.fusion import fuse

    lists = dict(cached["lists"])
    weights = {name: w for name, w in searcher.fusion.weights.items() if name in lists}
    if w_mem is not None and cached["memory"].votes:
        lists["memory"] = cached["memory"].ranking(exponent=exponent)
        weights = {name: w * (1.0 - w_mem) for name, w in weights.items()}
        weights["memory"] = w_mem
    return [item.key for item in fuse(lists, searcher.fusion, weights, k)]


def tune_votes(memory: PrecedentMemory, queries: list[dict]) -> tuple[VoteConfig, list[dict]]:
    """Stage 1: vote aggregation settings, memory alone, dev holding queries only (objective MRR@10 + recall@10)."""
    trials = []
    grid = list(itertools.product([60, 100, 150], [0.5], [2.0], [0.5, 1.0]))
    for depth, spread, power, discount in track(grid, "tune votes"):
        cfg = VoteConfig(depth=depth, spread=spread, score_power=power, rank_discount=discount)
        retriever = MemoryVoter(memory, cfg)
        rows = []
        for q in queries:
            before, exclude = guard_of(q)
            rows.append(score([key for key, _ in retriever.search(searcher_text(q["query"]), K, before=before, exclude=exclude)], q["gold"]))
        m = mean(rows)
        trials.append({"config": {k: v for k, v in cfg.__dict__.items() if k in ("depth", "spread", "score_power", "rank_discount")},
                       **m, "objective": round(m["recall@10"] + m["mrr@10"], 4)})
    trials.sort(key=lambda t: -t["objective"])
    return VoteConfig(**trials[0]["config"]), trials


def tune_weight(searcher, cached: list[dict], queries: list[dict]) -> tuple[WeightConfig, list[dict]]:
    """Stage 2: the adaptive memory weight, replaying D's fusion on dev holding queries only."""
    trials = []
    grid = itertools.product([0.6, 0.7, 0.8, 0.9], [0.0, 0.1, 0.2, 0.35], [6.0, 12.0], [1.0, 0.5, 0.25])
    for max_w, mid, slope, exponent in grid:
        cfg = WeightConfig(max_weight=max_w, midpoint=mid, slope=slope, dense_floor=WeightConfig().dense_floor)
        rows = [score(replay(searcher, c, memory_weight(c["memory"], cfg), exponent=exponent), q["gold"])
                for c, q in zip(cached, queries)]
        m = mean(rows)
        trials.append({"config": cfg.__dict__, "score_exponent": exponent, **m,
                       "objective": round(m["recall@10"] + m["mrr@10"], 4)})
    trials.sort(key=lambda t: -t["objective"])
    return WeightConfig(**trials[0]["config"]), trials


def evaluate(searcher, guarded: GuardedMemory, queries: list[dict], cached: list[dict], fixed: list[float]) -> dict:
    """Every system on ``queries``; hybrid2 / hybrid3 are real Searcher runs."""
    per_system: dict[str, list[dict]] = {}
    weights = []
    from legalret.search.searcher import Searcher

    # the same index and encoder, with the (guarded) memory as D's third signal
    three_way = Searcher(searcher.index_dir, memory=guarded, encoder=searcher.encoder)
    for q, c in track(list(zip(queries, cached)), "systems"):
        guarded.before, guarded.exclude = guard_of(q)
        gold = q["gold"]
        for mode, lst in c["lists"].items():
            per_system.setdefault(mode, []).append(score([key for key, _ in lst], gold))
        per_system.setdefault("memory", []).append(score([key for key, _ in c["memory"].ranking(K)], gold))
        per_system.setdefault("hybrid2", []).append(score(searcher.search(q["query"], k=K).keys, gold))
        per_system.setdefault("hybrid3", []).append(score(three_way.search(q["query"], k=K).keys, gold))
        weights.append(memory_weight(c["memory"]))
        for w in fixed:
            per_system.setdefault(f"hybrid3-fixed@{w}", []).append(score(replay(searcher, c, w), gold))
    # is the three-way hybrid better than each other system on these same queries? (paired bootstrap)
    paired = {}
    for other in ("memory", "hybrid2"):
        paired[f"hybrid3 - {other}"] = {
            m: {k: round(v, 4) for k, v in paired_bootstrap_diff([r[m] for r in per_system["hybrid3"]],
                                                                  [r[m] for r in per_system[other]]).items()}
            for m in ("recall@10", "mrr@10")
        }
    return {
        "n": len(queries),
        "systems": {name: mean(rows) for name, rows in per_system.items()},
        "paired_bootstrap": paired,
        "memory_weight": {"mean": round(sum(weights) / len(weights), 3), "min": round(min(weights), 3),
                          "max": round(max(weights), 3)} if weights else {},
        "coverage_mean": round(sum(c["memory"].coverage for c in cached) / max(1, len(cached)), 3),
    }


def markdown(report: dict) -> str:
    qn = report.get("queries", {})
    lines = [f"# Precedent memory benchmark ({report['model']})", "",
             f"Holding queries: {report['holding_queries']} — {qn.get('dev_total')} dev (2020–2022) holdings; "
             f"{qn.get('tuning')} (seeded sample) used for tuning only, {qn.get('evaluated')} others evaluated below. "
             f"Evaluation uses the shipped defaults: votes `{report.get('defaults', {}).get('votes')}`, "
             f"weight `{report.get('defaults', {}).get('weight')}`.", "",
             f"Memory: {report['memory']['holdings']} holdings of {report['memory']['cases']} precedents decided "
             f"before {TRAIN_END} (train split only); holding queries run with before=<own date>, "
             f"exclude=<own case>. Articles: 민법 + 상법 법률 ({report['articles']}).", "",
             "Systems: `bm25` / `dense` = D's article retrievers alone; `memory` = precedent memory alone; "
             "`hybrid2` = D's Searcher without memory (BM25 [+ dense] fused, exact citations first); "
             "`hybrid3` = the same Searcher with the memory as third signal and the adaptive `memory_weight`; "
             "`hybrid3-fixed@w` = D's fusion replayed with a fixed memory weight w (reference only).", ""]
    for style, res in report["styles"].items():
        lines += [f"## {style} queries (n={res['n']})", "",
                  f"memory weight: mean {res['memory_weight'].get('mean')} (min {res['memory_weight'].get('min')}, "
                  f"max {res['memory_weight'].get('max')}); mean coverage {res['coverage_mean']}", "",
                  "| system | recall@10 | MRR@10 |", "|---|---:|---:|"]
        for name, m in res["systems"].items():
            lines.append(f"| {name} | {m['recall@10']:.4f} | {m['mrr@10']:.4f} |")
        lines.append("")
        for pair, by_metric in res.get("paired_bootstrap", {}).items():
            parts = [f"{m} {d['mean']:+.4f} [{d['ci_low']:+.4f}, {d['ci_high']:+.4f}] (p_not_better {d['p_not_better']:.3f})"
                     for m, d in by_metric.items()]
            lines.append(f"- {pair}: " + "; ".join(parts))
        lines.append("")
    if report.get("tuning_votes"):
        lines += ["## Vote tuning (memory alone, dev holding queries only)", "", f"best: `{report['tuning_votes']['best']}`", "",
                  "| depth | spread | score_power | rank_discount | recall@10 | MRR@10 |", "|---:|---:|---:|---:|---:|---:|"]
        for t in report["tuning_votes"]["top"]:
            c = t["config"]
            lines.append(f"| {c['depth']} | {c['spread']} | {c['score_power']} | {c['rank_discount']} | "
                         f"{t['recall@10']:.4f} | {t['mrr@10']:.4f} |")
        lines.append("")
    if report.get("tuning"):
        tu = report["tuning"]
        lines += ["## Weight tuning (dev tuning queries only, D's fusion replayed)", "", f"best: `{tu['best']}`; "
                  f"on the same queries memory alone {tu.get('memory_alone')}, hybrid2 {tu.get('hybrid2')}", "",
                  "| max_weight | midpoint | slope | score_exponent | recall@10 | MRR@10 |", "|---:|---:|---:|---:|---:|---:|"]
        for t in tu["top"]:
            c = t["config"]
            lines.append(f"| {c['max_weight']} | {c['midpoint']} | {c['slope']} | {t.get('score_exponent')} | "
                         f"{t['recall@10']:.4f} | {t['mrr@10']:.4f} |")
        lines.append("")
    lines += ["Reproduce: `" + report["command"] + "`", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="none", help="encoder spec for the article index + memory ('none' = BM25 only)")
    ap.add_argument("--work", type=Path, default=None, help="work dir (index, memory, caches); outside the repo")
    ap.add_argument("--queries", type=Path, default=None, help="dev holding queries (E's dev_queries.jsonl)")
    ap.add_argument("--user", type=Path, default=REPO / "benchmarks" / "queries" / "user_questions.jsonl")
    ap.add_argument("--tune-n", type=int, default=400, help="dev holding queries used for tuning (seeded sample)")
    ap.add_argument("--limit", type=int, default=600, help="dev holding queries evaluated (disjoint from the tuning ones)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--tune", action="store_true", help="grid-search vote + weight settings on the tuning queries")
    ap.add_argument("--memory-dense", action="store_true", help="also encode the memory's holdings (hours on CPU)")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(2)
    data = shared_data_dir()
    if data is None:
        console.print("shared data not found (../shared/data or LEGALRET_DATA)")
        return 2
    work = args.work or legalret_home() / "bench-memory"
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    articles = load_articles(data)
    precedents = read_jsonl(precedent_cache(work, data, articles))
    queries_file = args.queries
    if queries_file is None and (REPO / "out" / "pairs" / "dev_queries.jsonl").is_file():
        queries_file = REPO / "out" / "pairs" / "dev_queries.jsonl"
    all_dev = dev_holding_queries(precedents, queries_file, args.seed)
    tune_queries = all_dev[: args.tune_n]
    holding_queries = all_dev[args.tune_n : args.tune_n + args.limit]  # evaluated: never seen by tuning
    user_queries = [dict(q, style="user") for q in read_jsonl(args.user)]
    searcher, memory = build_or_load(work, articles, precedents, args.model, args.memory_dense)
    retriever = MemoryVoter(memory)
    guarded = GuardedMemory(retriever)
    n = searcher.fusion.candidates

    report = {
        "model": args.model,
        "articles": len(articles),
        "memory": {"holdings": len(memory), "cases": len(memory.case_numbers), "mode": retriever.mode,
                   "decided_max": max(it.decided for it in memory.items).isoformat()},
        "holding_queries": portable_path(queries_file) if queries_file else "derived from precedent-kr.zip dev split",
        "command": recorded_command("memory_eval.py", argv),
        "styles": {},
    }
    report["queries"] = {"dev_total": len(all_dev), "tuning": len(tune_queries), "evaluated": len(holding_queries),
                         "user": len(user_queries)}
    if args.tune:
        best_votes, vote_trials = tune_votes(memory, tune_queries)
        report["tuning_votes"] = {"best": best_votes.__dict__, "top": vote_trials[:8], "trials": len(vote_trials)}
        console.print(f"best vote config on dev: {best_votes}")
        tune_guard = GuardedMemory(MemoryVoter(memory, best_votes))
        cached_tune = channel_lists(searcher, tune_guard, tune_queries, n)
        best, trials = tune_weight(searcher, cached_tune, tune_queries)
        report["tuning"] = {"best": {**best.__dict__, "score_exponent": trials[0]["score_exponent"]},
                            "memory_alone": mean([score([k for k, _ in c["memory"].ranking(K)], q["gold"])
                                                  for c, q in zip(cached_tune, tune_queries)]),
                            "hybrid2": mean([score(replay(searcher, c, None), q["gold"])
                                             for c, q in zip(cached_tune, tune_queries)]),
                            "top": trials[:8], "trials": len(trials)}
        console.print(f"best weight config on dev: {best}")
    # evaluation always uses the shipped defaults (VoteConfig(), WeightConfig()), on held-out dev queries
    report["defaults"] = {"votes": retriever.config.__dict__, "weight": WeightConfig().__dict__}
    cached_holding = channel_lists(searcher, guarded, holding_queries, n)
    cached_user = channel_lists(searcher, guarded, user_queries, n)
    fixed = [0.2, 0.4, 0.6]
    report["styles"]["holding"] = evaluate(searcher, guarded, holding_queries, cached_holding, fixed)
    report["styles"]["user"] = evaluate(searcher, guarded, user_queries, cached_user, fixed)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    # one results file, one entry per encoder setting (BM25-only and dense runs side by side)
    out_json = args.out / "memory.json"
    runs = json.loads(out_json.read_text(encoding="utf-8")).get("runs", {}) if out_json.is_file() else {}
    runs[args.model + ("+memory-dense" if args.memory_dense else "")] = report
    write_json(out_json, {"runs": runs})
    write_text(args.out / "memory.md", "\n".join(markdown(r) for _, r in sorted(runs.items())))
    console.print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
