"""Where an index build's time goes, stage by stage, on subsets — and what the faster paths change.

The machine this runs on is usually shared, so every comparison is made **in one run**: the variants are
timed alternately on slices of the same texts (a busy neighbour slows them alike) and reported as ratios,
with the load average before and after; CPU seconds (all threads of this process) are reported beside wall
seconds, since on a busy machine they say more about the work itself.

Sub-commands (results in ``benchmarks/results/build-speed/<command>.{json,md}``):

``encode``   passage encoding of ``--n`` 민법+상법 articles: the build's torch path (``index.build._encode_sorted``,
             bf16 where the CPU has it) against ONNX Runtime passages (:class:`~legalret.models.onnx.OnnxPassageEncoder`:
             fp32, ``nbits8``, ``int8``; length-bucketed batches). Passages/s and cosine to ONNX fp32.
``memory``   the main job's memory stage (holdings + facts memories over 민법+상법) on the first ``--precedents``
             decisions: before (no token cache), after on a first build (cache filled), after on later builds.
``kiwi``     Kiwi on articles, holdings (판시사항 + 판결요지) and facts texts: 1 worker thread, 2 threads (today's
             default), 2 worker processes, and 2 threads with Kiwi's default dictionary (the tokenizer of indexes
             built before ``default_dict``); then the token cache (cold write, warm read).
``quality``  recall@10 / MRR@10 of ``dense`` and the default ``hybrid`` on an index whose article vectors are
             re-encoded by each passage variant (queries as the index serves them), on the user questions and
             dev holdings (``benchmarks/query_int8.py``'s protocol): the ≤ 0.005 bar against fp32.
``vector-cache`` later builds into new folders (``legalret index build`` processes, as a user runs them): warm
             token cache only against warm token *and* passage vector caches, alternated; a first build fills
             the vector cache; vectors compared byte for byte. ``--law 상법`` for a lighter run.
``read-ahead`` first builds of the main job (``legalret index build`` processes, empty token cache, no vector cache)
             in two ``LEGALRET_READ_AHEAD`` modes (``--modes BEFORE,AFTER``), ``--rounds`` × both, alternating which
             goes first; the memory and facts files compared byte for byte. ``off,read`` (the default pair): the
             decisions and facts read after the articles are encoded against read in a forked second process while
             they are (torch on one thread fewer meanwhile). The rule, written before the first run: the second mode
             stays the default if its mean process wall is ≤ 0.93× the first's and every memory and facts file is
             identical. A reading *thread* failed it (commits df1d22f–565638f: 1.022× on both torch threads, 0.992×
             on one fewer; ``read-ahead.md``, ``read-ahead-after-load.md``): it holds the GIL torch needs
             (``experiments/read_ahead_cores.py``); the process passed (``read-ahead-process.md``). ``read,on``: that
             process then also runs Kiwi over the holdings into the token cache, on one Kiwi thread, until the
             build's memory stage (``read-ahead-tokens.md``; same rule).
``estimate`` a build's measured stage seconds (all acts and decrees by default) × the same-run ratios of
             ``encode``, ``kiwi`` and ``memory``: first builds and later ones, per passage encoder.

    PYTHONPATH=. python benchmarks/build_stages.py encode --n 2000
    PYTHONPATH=. python benchmarks/build_stages.py kiwi
    PYTHONPATH=. python benchmarks/build_stages.py memory --precedents 3000
    PYTHONPATH=. python benchmarks/build_stages.py quality --index IDX --holdings …/dev_queries.jsonl
    PYTHONPATH=. python benchmarks/build_stages.py vector-cache --tokens-from $LEGALRET_HOME/cache/tokens
    PYTHONPATH=. python benchmarks/build_stages.py read-ahead --rounds 2 --modes read,on --name read-ahead-tokens
    PYTHONPATH=. python benchmarks/build_stages.py estimate
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402
from index_names import index_name, portable_args, portable_path  # noqa: E402

OUT = REPO / "benchmarks" / "results" / "build-speed"
def load_avg() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


class Clock:
    """Wall and CPU seconds of a block, added up per name."""

    def __init__(self):
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def time(self, name: str, fn):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - t
        self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - c
        return out


def statute_texts(n: int | None) -> list[str]:
    """Up to ``n`` 민법+상법 article texts as the index encodes them (spread over both codes)."""
    from legalret.config import shared_data_dir
    from legalret.ingest.sources import ingest

    data = shared_data_dir()
    sources = [data / "statutes" / "lawgo-json" / f for f in ("001706.json", "001702.json")]
    texts = [a.index_text() for a in ingest(sources).articles if not a.deleted]
    if n and n < len(texts):
        step = len(texts) / n
        texts = [texts[int(i * step)] for i in range(n)]
    return texts


def memory_texts(n_holdings: int, n_facts: int) -> tuple[list[str], list[str]]:
    """Holdings texts (as the holdings memory tokenizes them) and facts texts, from the shared precedents."""
    from legalret.config import shared_data_dir
    from legalret.precedents.facts import read_facts
    from legalret.precedents.parse import read_precedents
    from legalret.text import normalize

    data = shared_data_dir() / "precedents"
    holdings: list[str] = []
    for p in read_precedents([data / "precedent-kr.zip"]):
        holdings += [normalize(f"{h.text} {h.summary}") if h.summary else normalize(h.text) for h in p.holdings if h.text]
        if len(holdings) >= n_holdings:
            break
    facts = [f.text for f in itertools.islice(read_facts([data / "precedent-facts.zip"]), n_facts)]
    return holdings[:n_holdings], facts


def save(name: str, result: dict, md: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (OUT / f"{name}.md").write_text(md, encoding="utf-8")
    print(md)


# ---- encode ---------------------------------------------------------------------------------------------------
def passage_encoders(variants: list[str]):
    """{name: encode(texts) -> vectors} for the torch build path and each ONNX variant (one export)."""
    from legalret.config import DEFAULT_PASSAGE_MAX_TOKENS
    from legalret.index.build import _encode_sorted
    from legalret.models.encoder import load_encoder
    from legalret.models.onnx import OnnxPassageEncoder, ensure_export

    torch_enc = load_encoder(passage_max_tokens=DEFAULT_PASSAGE_MAX_TOKENS)
    out = {}
    for v in variants:
        if v == "torch":
            out[f"torch-{torch_enc.precision}"] = lambda t: _encode_sorted(torch_enc, t, 32)
        else:
            ensure_export(torch_enc, v)
            enc = OnnxPassageEncoder.for_encoder(torch_enc, v)
            out[f"onnx-{v}"] = enc.encode_passages
    return out


def cmd_encode(args) -> None:
    os.environ.setdefault("LEGALRET_PROGRESS", "off")
    texts = statute_texts(args.n)
    encoders = passage_encoders(args.variants.split(","))
    for enc in encoders.values():
        enc(texts[:8])  # warm-up (graph optimisation, first allocations)
    load0 = load_avg()
    clock = Clock()
    vectors: dict[str, list] = {k: [] for k in encoders}
    slices = np.array_split(np.arange(len(texts)), args.rounds)
    for r, idx in enumerate(slices):  # alternately, slice by slice: a busy neighbour slows all variants alike
        part = [texts[i] for i in idx]
        names = list(encoders) if r % 2 == 0 else list(reversed(encoders))
        for name in names:
            vectors[name].append(clock.time(name, lambda: encoders[name](part)))
        print(f"round {r + 1}/{len(slices)}: " + ", ".join(f"{k} {len(texts) and clock.wall[k]:.0f}s" for k in encoders), flush=True)
    ref_name = "onnx-fp32" if "onnx-fp32" in encoders else next(iter(encoders))
    ref = np.concatenate(vectors[ref_name])
    rows = {}
    for name in encoders:
        v = np.concatenate(vectors[name])
        cos = (v * ref).sum(axis=1)
        rows[name] = {"wall_s": clock.wall[name], "cpu_s": clock.cpu[name], "per_s": len(texts) / clock.wall[name],
                      "cpu_ms_per_item": 1000 * clock.cpu[name] / len(texts),
                      f"cos_to_{ref_name}_min": float(cos.min()), f"cos_to_{ref_name}_mean": float(cos.mean())}
    base = next(iter(rows))
    result = {"n": len(texts), "rounds": args.rounds, "load_before": load0, "load_after": load_avg(), "reference": ref_name, "variants": rows}
    lines = [f"# Passage encoding: {len(texts)} 민법+상법 articles (passage cut {128} tokens)", "",
             f"Variants alternated over {args.rounds} slices in one run; load average {load0} → {result['load_after']} (2 cores).", "",
             f"| variant | passages/s (wall) | CPU ms / passage | speed-up vs {base} (CPU) | cosine to {ref_name} min / mean |", "|---|---|---|---|---|"]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['per_s']:.1f} | {r['cpu_ms_per_item']:.1f} | {rows[base]['cpu_s'] / r['cpu_s']:.2f}× "
                     f"| {r[f'cos_to_{ref_name}_min']:.4f} / {r[f'cos_to_{ref_name}_mean']:.5f} |")
    save(args.name or "encode", result, "\n".join(lines) + "\n")


# ---- kiwi -----------------------------------------------------------------------------------------------------
#: The method run with Kiwi's default dictionary (tokenizer settings of indexes built before it was dropped).
DICT_METHOD = "2 threads, default dictionary (before)"


def _kiwi_process(texts: list[str]) -> list[list[str]]:
    from legalret.index.tokenize import KiwiTokenizer

    return KiwiTokenizer(num_workers=1, cache=False).tokenize_many(texts)


def cmd_kiwi(args) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from legalret.index.tokenize import KiwiTokenizer, TokenizerSettings

    sets = {"articles": statute_texts(args.articles)}
    sets["holdings"], sets["facts"] = memory_texts(args.holdings, args.facts)
    one = KiwiTokenizer(num_workers=1, cache=False)
    two = KiwiTokenizer(num_workers=2, cache=False)
    # indexes built before default_dict existed: Kiwi's default dictionary loaded (other tokens, not compared)
    with_dict = KiwiTokenizer(TokenizerSettings(default_dict=True), num_workers=2, cache=False)
    pool = ProcessPoolExecutor(2)
    list(pool.map(_kiwi_process, [["워밍업"], ["워밍업"]]))  # the worker processes load their Kiwi first
    one.tokenize("워밍업"), two.tokenize("워밍업"), with_dict.tokenize("워밍업")

    def processes(texts):
        half = len(texts) // 2
        return [t for part in pool.map(_kiwi_process, [texts[:half], texts[half:]]) for t in part]

    methods = {"1 thread": one.tokenize_many, "2 threads (default)": two.tokenize_many, "2 processes": processes,
               DICT_METHOD: with_dict.tokenize_many}
    load0 = load_avg()
    rows: dict[str, dict] = {}
    for set_name, texts in sets.items():
        clock = Clock()
        outputs = {}
        for r, part in enumerate(np.array_split(np.arange(len(texts)), args.rounds)):
            chunk = [texts[i] for i in part]
            for name in (methods if r % 2 == 0 else reversed(list(methods))):
                outputs.setdefault(name, []).extend(clock.time(name, lambda: methods[name](chunk)))
        same = all(o == outputs["1 thread"] for name, o in outputs.items() if name != DICT_METHOD)
        # the token cache: a cold pass (analyse + write) and a warm pass (read) of the same texts
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["LEGALRET_TOKEN_CACHE"] = tmp
            cold = KiwiTokenizer(num_workers=2)
            cold_out = [t for s in range(0, len(texts), 256) for t in clock.time("cache cold", lambda: cold.tokenize_many(texts[s : s + 256]))]
            from legalret.index import token_cache

            token_cache._OPEN.clear()  # a new build: the cache's index is read from disk again
            warm = KiwiTokenizer(num_workers=2)
            warm_out = [t for s in range(0, len(texts), 256) for t in clock.time("cache warm", lambda: warm.tokenize_many(texts[s : s + 256]))]
            size = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file())
            del os.environ["LEGALRET_TOKEN_CACHE"]
            token_cache._OPEN.clear()
        rows[set_name] = {
            "n": len(texts), "chars_mean": float(np.mean([len(t) for t in texts])), "identical_tokens": same,
            "cache_identical": cold_out == outputs["1 thread"] and warm_out == cold_out, "cache_bytes_per_item": size / len(texts),
            "methods": {k: {"wall_s": clock.wall[k], "cpu_s": clock.cpu[k], "per_s": len(texts) / clock.wall[k],
                            "cpu_ms_per_item": 1000 * clock.cpu[k] / len(texts)} for k in clock.wall},
        }
        print(set_name, json.dumps(rows[set_name]["methods"]), flush=True)
    pool.shutdown()
    result = {"rounds": args.rounds, "load_before": load0, "load_after": load_avg(), "sets": rows}
    lines = ["# Kiwi tokenization: threads, processes, token cache", "",
             f"One run, methods alternated over {args.rounds} slices; load average {load0} → {result['load_after']} (2 cores). "
             "CPU ms counts this process's threads only (the worker processes' CPU is not in it: compare their wall time).", "",
             "| texts | n | chars | method | texts/s (wall) | CPU ms / text | wall vs 2 threads |", "|---|---|---|---|---|---|---|"]
    for set_name, r in rows.items():
        base = r["methods"]["2 threads (default)"]["wall_s"]
        for m, x in r["methods"].items():
            lines.append(f"| {set_name} | {r['n']} | {r['chars_mean']:.0f} | {m} | {x['per_s']:.1f} | {x['cpu_ms_per_item']:.2f} | {x['wall_s'] / base:.2f} |")
    lines += ["", "Tokens identical across methods (but the one with the default dictionary, whose tokens differ) and with the cache: "
              + ", ".join(f"{k} {r['identical_tokens'] and r['cache_identical']}" for k, r in rows.items())
              + "; cache size per text: " + ", ".join(f"{k} {r['cache_bytes_per_item']:.0f} B" for k, r in rows.items()) + "."]
    save(args.name or "kiwi", result, "\n".join(lines) + "\n")


# ---- memory ---------------------------------------------------------------------------------------------------
def cmd_memory(args) -> None:
    """The memory stage of the main job's build (holdings memory + facts memory over 민법+상법) on the first
    ``--precedents`` decisions: without the token cache (before), filling it (after, first build) and reading
    it (after, every later build), alternated in one run."""
    from legalret.config import shared_data_dir
    from legalret.index import token_cache
    from legalret.index.tokenize import KiwiTokenizer
    from legalret.ingest.sources import ingest
    from legalret.memory.facts import build_facts_memory
    from legalret.memory.builder import build_memory
    from legalret.memory.update import resolved
    from legalret.precedents.citations import ArticleCatalog
    from legalret.precedents.facts import read_facts
    from legalret.precedents.parse import read_precedents

    os.environ.setdefault("LEGALRET_PROGRESS", "off")
    data = shared_data_dir()
    articles = ingest([data / "statutes" / "lawgo-json" / f for f in ("001706.json", "001702.json")]).articles
    catalog = ArticleCatalog.from_articles(articles)
    zip_prec, zip_facts = data / "precedents" / "precedent-kr.zip", data / "precedents" / "precedent-facts.zip"
    clock = Clock()
    tmp = tempfile.mkdtemp(prefix="token-cache.")
    modes = {"before (no cache)": "off", "after, first build (cache filled)": tmp, "after, later builds (cache read)": tmp}
    load0, counts = load_avg(), {}
    # every facts record is read (the join picks those of the decisions read); the same in every mode
    facts = clock.time("read facts", lambda: list(read_facts([zip_facts])))
    for mode, cache in modes.items():
        os.environ["LEGALRET_TOKEN_CACHE"] = cache
        token_cache._OPEN.clear()  # each mode as a new process would see it
        precedents = clock.time(f"{mode}|read precedents", lambda: list(resolved(
            itertools.islice(read_precedents([zip_prec]), args.precedents), catalog)))
        memory = clock.time(f"{mode}|holdings memory", lambda: build_memory(
            precedents, tokenizer=KiwiTokenizer(), keep_keys=catalog.__contains__))
        facts_memory = clock.time(f"{mode}|facts memory", lambda: build_facts_memory(facts, memory, tokenizer=memory.tokenizer))
        counts = {"precedents": len(precedents), "holdings": len(memory), "facts": len(facts_memory)}
        print(mode, {k.split("|")[1]: round(v, 1) for k, v in clock.wall.items() if k.startswith(mode)}, counts, flush=True)
    os.environ.pop("LEGALRET_TOKEN_CACHE", None)
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    stages = ("read precedents", "holdings memory", "facts memory")
    result = {"counts": counts, "load_before": load0, "load_after": load_avg(),
              "wall_s": clock.wall, "cpu_s": clock.cpu}
    lines = [f"# Memory stage of the main job's build on the first {counts['precedents']:,} decisions", "",
             f"{counts['holdings']:,} holdings citing 민법/상법, {counts['facts']:,} decisions' facts; the three modes one "
             f"after another in one run, load average {load0} → {result['load_after']} (2 cores). CPU s = all threads of this process. "
             f"Reading all {len(facts):,} facts records (the same in every mode): {clock.wall['read facts']:.1f} s wall, "
             f"{clock.cpu['read facts']:.1f} s CPU.", "",
             "| stage | " + " | ".join(f"{m} wall / CPU s" for m in modes) + " |", "|---|" + "---|" * len(modes)]
    for st in stages + ("total",):
        cells = []
        for m in modes:
            keys = [f"{m}|{s}" for s in stages] if st == "total" else [f"{m}|{st}"]
            cells.append(f"{sum(clock.wall[k] for k in keys):.1f} / {sum(clock.cpu[k] for k in keys):.1f}")
        lines.append(f"| {st} | " + " | ".join(cells) + " |")
    save(args.name or "memory", result, "\n".join(lines) + "\n")


# ---- quality --------------------------------------------------------------------------------------------------
def cmd_quality(args) -> None:
    from style_eval import load_sets

    from legalret.evaluate.quality import evaluate
    from legalret.index.build import load_index_encoder
    from legalret.index.dense import DenseIndex
    from legalret.models.onnx import OnnxPassageEncoder, ensure_export
    from legalret.search.searcher import Searcher

    os.environ.setdefault("LEGALRET_PROGRESS", "off")
    searcher = Searcher(args.index)
    data = searcher.data
    texts = [data.articles[i].index_text() for i in data.rows]
    torch_enc = load_index_encoder(searcher.manifest["encoder"], where=args.index)
    vectors = {"index (as built)": np.array(data.dense.vectors, copy=True)}
    for v in args.variants.split(","):
        ensure_export(torch_enc, v)
        t = time.perf_counter()
        vectors[f"onnx-{v}"] = OnnxPassageEncoder.for_encoder(torch_enc, v).encode_passages(texts)
        print(f"onnx-{v}: {len(texts)} passages in {time.perf_counter() - t:.0f}s", flush=True)
    queries = load_sets(args.questions, args.split, args.holdings, args.holdings_limit or None, args.seed)
    is_holding = [q.extra["style"] == "holding" for q in queries]
    sets = {f"questions ({args.split})": [i for i, h in enumerate(is_holding) if not h],
            "dev holdings": [i for i, h in enumerate(is_holding) if h]}
    ref = vectors.get("onnx-fp32")
    rows = {}
    for name, vecs in vectors.items():
        searcher.dense.index = DenseIndex.from_vectors(vecs)
        rep = evaluate(searcher, queries, modes=("dense", "hybrid"), ks=(10,), rank_k=10, gold_filter="indexed",
                       n_resamples=0, seed=args.seed, default_before=args.before, progress=False).to_dict()
        row = {"sets": {}}
        if ref is not None:
            cos = (vecs * ref).sum(axis=1)
            row["cos_to_fp32_min"], row["cos_to_fp32_mean"] = float(cos.min()), float(cos.mean())
        for set_name, idx in sets.items():
            row["sets"][set_name] = {}
            for mode in ("dense", "hybrid"):
                ms = [rep["per_query"][mode][i] for i in idx if "recall@10" in rep["per_query"][mode][i]]
                row["sets"][set_name][mode] = {m: float(np.mean([r[m] for r in ms])) for m in ("recall@10", "mrr@10")}
                row["sets"][set_name][mode]["n"] = len(ms)
        rows[name] = row
        print(name, json.dumps(row["sets"]), flush=True)
    base = rows.get("onnx-fp32") or next(iter(rows.values()))
    for row in rows.values():
        row["max_recall10_drop"] = max(base["sets"][s][m]["recall@10"] - row["sets"][s][m]["recall@10"]
                                       for s in sets for m in ("dense", "hybrid"))
    # the settings as typed, their paths as a reader finds them (results are committed)
    settings = vars(args) | {"func": None, "index": index_name(args.index), "questions": portable_path(args.questions),
                             "holdings": args.holdings and portable_path(args.holdings)}
    result = {"index": index_name(args.index), "fingerprint": searcher.manifest["encoder"]["fingerprint"], "bar": 0.005,
              "settings": settings, "variants": rows}
    head = ["passages", "cos to fp32 min"] + [f"{s} {m} r@10" for s in sets for m in ("dense", "hybrid")] + ["max r@10 drop vs fp32"]
    lines = [f"# Passage encoders: dev quality on `{result['index']}`", "",
             f"Article vectors re-encoded by each variant (queries as the index serves them); user questions "
             f"({args.split} half, memory before {args.before}), {base['sets']['dev holdings']['dense']['n']} dev holdings with a "
             f"gold article in the index (of {args.holdings_limit} sampled). Bar: drop ≤ 0.005.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in rows.items():
        cells = [name, f"{r.get('cos_to_fp32_min', float('nan')):.4f}"]
        cells += [f"{r['sets'][s][m]['recall@10']:.4f}" for s in sets for m in ("dense", "hybrid")]
        cells.append(f"{r['max_recall10_drop']:+.4f}")
        lines.append("| " + " | ".join(cells) + " |")
    save(args.name or "quality", result, "\n".join(lines) + "\n")


# ---- estimate -------------------------------------------------------------------------------------------------
#: Stage seconds of the all-acts-decrees build with both memories measured on this machine (README: 86 min,
#: 2026-11-27): what the same-run ratios below are applied to.
ALL_ACTS_STAGES = {"tokenize": 1594, "encode": 2341, "memory": 1081, "write": 39, "other": 105}


def cmd_estimate(args) -> None:
    """A build's stages after the changes: its measured stage seconds × the same-run ratios of ``encode``,
    ``kiwi`` and ``memory`` (CPU seconds, which a loaded machine disturbs less than wall seconds)."""
    enc = json.loads((OUT / "encode.json").read_text(encoding="utf-8"))["variants"]
    kiwi = json.loads((OUT / "kiwi.json").read_text(encoding="utf-8"))["sets"]["articles"]["methods"]
    memory = json.loads((OUT / f"{args.memory}.json").read_text(encoding="utf-8"))["cpu_s"]
    stages = dict(ALL_ACTS_STAGES, **json.loads(args.stages)) if args.stages else dict(ALL_ACTS_STAGES)
    torch_name = next(k for k in enc if k.startswith("torch"))
    modes = [m for m in ("before (no cache)", "after, first build (cache filled)", "after, later builds (cache read)")]

    def memory_ratio(mode: str) -> float:
        return sum(v for k, v in memory.items() if k.startswith(mode)) / sum(v for k, v in memory.items() if k.startswith(modes[0]))

    warm_kiwi = kiwi["cache warm"]["cpu_ms_per_item"] / kiwi["2 threads (default)"]["cpu_ms_per_item"]
    encoders = [torch_name] + [k for k in enc if k.startswith("onnx-") and k != "onnx-fp32"]
    rows = {}
    for e in encoders:
        speed = enc[torch_name]["cpu_s"] / enc[e]["cpu_s"]
        first = dict(stages, encode=stages["encode"] / speed, memory=stages["memory"] * memory_ratio(modes[1]))
        later = dict(first, tokenize=stages["tokenize"] * warm_kiwi, memory=stages["memory"] * memory_ratio(modes[2]))
        rows[f"first build, {e}"] = first
        rows[f"later build in a new folder (warm token cache), {e}"] = later
    names = list(stages)
    lines = [f"# Estimated build stages ({args.label})", "",
             "Measured stage seconds (first row) × same-run CPU ratios: encoding from `encode.json`, Kiwi from `kiwi.json` "
             f"(articles, warm cache vs 2 threads: {warm_kiwi:.4f}), the memory stage from `{args.memory}.json` "
             f"(first build {memory_ratio(modes[1]):.2f}×, later builds {memory_ratio(modes[2]):.3f}× of before). "
             "A rebuild into the same index folder also reuses every unchanged vector (encode ≈ 0).", "",
             "| build | " + " | ".join(f"{n} s" for n in names) + " | total min |", "|---|" + "---|" * (len(names) + 1),
             "| measured before | " + " | ".join(f"{stages[n]:.0f}" for n in names) + f" | {sum(stages.values()) / 60:.1f} |"]
    for name, r in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{r[n]:.0f}" for n in names) + f" | {sum(r.values()) / 60:.1f} |")
    save(args.name or "estimate", {"label": args.label, "measured": stages, "rows_s": rows}, "\n".join(lines) + "\n")


# ---- vector cache ---------------------------------------------------------------------------------------------
def cmd_vector_cache(args) -> None:
    """The main job's build (or ``--law``) into a new folder: first with an empty vector cache (filling it),
    then ``--rounds`` × {token cache only, token + vector caches}, alternating which goes first."""
    import shutil

    from legalret.config import shared_data_dir
    from legalret.index import load_index

    data = shared_data_dir()
    work = Path(tempfile.mkdtemp(prefix="legalret-vector-cache-", dir=args.work))
    tokens, vectors = work / "tokens", work / "vectors"
    if args.tokens_from:
        shutil.copytree(args.tokens_from, tokens)  # a warm token cache, copied: the original is not written
    command = [sys.executable, "-m", "legalret", "index", "build", args.corpus, "--json"]
    for law in args.law or []:
        command += ["--law", law]
    if args.adapter:
        command += ["--adapter", args.adapter]
    if args.memories:
        command += ["--precedents", str(data / "precedents" / "precedent-kr.zip"),
                    "--facts", str(data / "precedents" / "precedent-facts.zip")]

    def build(label: str, vector_cache: str) -> dict:
        index = work / f"index-{len(runs)}"
        wall, cpu, report = build_process(label, command + ["--index", str(index)],
                                          LEGALRET_TOKEN_CACHE=str(tokens), LEGALRET_VECTOR_CACHE=vector_cache)
        loaded = load_index(index)
        run = {"label": label, "index": index.name, "process_wall_s": wall, "process_cpu_s": cpu,
               "vectors_sha256": __import__("hashlib").sha256(np.array(loaded.dense.vectors).tobytes()).hexdigest(),
               "load": load_avg(), **{k: report.get(k) for k in ("searchable", "tokenized", "encoded", "vectors_cached",
                                                               "memory", "timings", "cpu_timings")}}
        del loaded
        print(json.dumps({k: run[k] for k in ("label", "process_wall_s", "encoded", "vectors_cached", "timings")}), flush=True)
        runs.append(run)
        if runs[0] is not run:
            shutil.rmtree(index)  # the first build's vectors stay to compare with (a main-job index is ~0.2 GB)
        return run

    runs: list[dict] = []
    load0 = load_avg()
    build("first build (fills the vector cache)", str(vectors))
    modes = [("later build, token cache only", "off"), ("later build, token + vector caches", str(vectors))]
    for r in range(args.rounds):  # round 1 runs the cached build first: on a loaded machine, the quick answer
        for label, setting in (modes[::-1] if r % 2 == 0 else modes):
            build(label, setting)
    cache_bytes = sum(f.stat().st_size for f in vectors.rglob("chunk-*.npz"))
    cache_chunks = len(list(vectors.rglob("chunk-*.npz")))
    shutil.rmtree(work)

    def mean(label: str, key: str, stage: str | None = None) -> float:
        xs = [(x[key][stage] if stage else x[key]) for x in runs if x["label"] == label]
        return float(np.mean(xs))

    stages = [k for k in runs[0]["timings"] if k != "total"] + ["total"]
    summary = {label: {"process_wall_s": mean(label, "process_wall_s"), "process_cpu_s": mean(label, "process_cpu_s"),
                       "wall_s": {k: mean(label, "timings", k) for k in stages},
                       "cpu_s": {k: mean(label, "cpu_timings", k) for k in stages}} for label, _ in modes}
    first = runs[0]["vectors_sha256"]
    result = {"command": " ".join(portable_args(command[1:])), "rounds": args.rounds, "load_before": load0, "load_after": load_avg(),
              "vector_cache": {"bytes": cache_bytes, "chunks": cache_chunks, "rows": runs[0]["encoded"]},
              "identical_vectors": {x["label"] + f" #{i}": x["vectors_sha256"] == first for i, x in enumerate(runs)},
              "summary": summary, "runs": runs}
    a, b = (summary[label] for label, _ in modes)
    lines = [f"# Passage vector cache: a later build into a new folder ({args.corpus}"
             + (f", --law {' '.join(args.law)}" if args.law else "") + f": {runs[0]['searchable']} searchable articles"
             + (", both memories" if args.memories else ", no memories") + ")", "",
             f"One run: a first build filling an empty vector cache, then {args.rounds} × (token + vector caches, token "
             f"cache only; the order alternating by round), each a `legalret index build` process into a new folder with a warm token "
             f"cache; load average {load0} → {result['load_after']} (2 cores, shared). Means over the rounds.", "",
             "| stage | token cache only wall / CPU s | + vector cache wall / CPU s | CPU ratio |", "|---|---|---|---|"]
    for k in stages:
        ratio = a["cpu_s"][k] / max(b["cpu_s"][k], 1e-9)
        lines.append(f"| {k} | {a['wall_s'][k]:.1f} / {a['cpu_s'][k]:.1f} | {b['wall_s'][k]:.1f} / {b['cpu_s'][k]:.1f} | {ratio:.2f}× |")
    lines.append(f"| process (incl. start-up) | {a['process_wall_s']:.1f} / {a['process_cpu_s']:.1f} | "
                 f"{b['process_wall_s']:.1f} / {b['process_cpu_s']:.1f} | {a['process_cpu_s'] / b['process_cpu_s']:.2f}× |")
    lines += ["", "| build | encoded | from the vector cache | process wall s | vectors identical to the first build |",
              "|---|---|---|---|---|"]
    lines += [f"| {x['label']} | {x['encoded']} | {x['vectors_cached']} | {x['process_wall_s']:.1f} | "
              f"{x['vectors_sha256'] == first} |" for x in runs]
    lines += ["", f"Vector cache: {cache_bytes / 1e6:.1f} MB in {cache_chunks} chunks for {runs[0]['encoded']} passages "
              f"({cache_bytes / max(runs[0]['encoded'], 1) / 1e3:.2f} KB a passage)."]
    save(args.name or "vector-cache", result, "\n".join(lines) + "\n")


def build_process(label: str, command: list[str], **env: str) -> tuple[float, float, dict]:
    """Run one ``legalret index build … --json`` process (progress off, ``env`` added): its wall and CPU
    seconds (user + system) and its report."""
    import resource
    import subprocess

    env = dict(os.environ, LEGALRET_PROGRESS="off", PYTHONPATH=str(REPO), **env)
    before, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall, after = time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"{label}: legalret index build failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, json.loads(done.stdout.strip().splitlines()[-1])


#: What each ``LEGALRET_READ_AHEAD`` mode does, as the read-ahead tables name it.
READ_AHEAD_MODES = {"off": "read after encoding (LEGALRET_READ_AHEAD=off)",
                    "read": "read ahead in a second process (LEGALRET_READ_AHEAD=read)",
                    "on": "read ahead, then Kiwi on the holdings there (the default)"}


def cmd_read_ahead(args) -> None:
    """First builds of the main job in two ``LEGALRET_READ_AHEAD`` modes (``--modes``), alternated."""
    import hashlib
    import shutil

    from legalret.config import shared_data_dir
    from legalret.index.store import current_generation

    data = shared_data_dir()
    work = Path(tempfile.mkdtemp(prefix="legalret-read-ahead-", dir=args.work))
    command = [sys.executable, "-m", "legalret", "index", "build", "civil-commercial", "--json",
               "--adapter", args.adapter, "--precedents", str(data / "precedents" / "precedent-kr.zip"),
               "--facts", str(data / "precedents" / "precedent-facts.zip")]
    runs: list[dict] = []
    load0 = load_avg()
    modes = [(READ_AHEAD_MODES[m], m) for m in args.modes.split(",")]
    if len(modes) != 2:
        sys.exit(f"--modes takes two of {', '.join(READ_AHEAD_MODES)}, e.g. read,on")
    for r in range(args.rounds):
        for label, setting in (modes if r % 2 == 0 else modes[::-1]):
            index, tokens = work / f"index-{len(runs)}", work / f"tokens-{len(runs)}"  # empty: a first build
            wall, cpu, report = build_process(label, command + ["--index", str(index)], LEGALRET_READ_AHEAD=setting,
                                              LEGALRET_TOKEN_CACHE=str(tokens), LEGALRET_VECTOR_CACHE="off")
            gen = current_generation(index)
            files = {str(f.relative_to(gen)): hashlib.sha256(f.read_bytes()).hexdigest()
                     for part in ("memory", "facts") for f in sorted((gen / part).rglob("*")) if f.is_file()}
            run = {"label": label, "process_wall_s": wall, "process_cpu_s": cpu, "load": load_avg(), "files": files,
                   **{k: report.get(k) for k in ("searchable", "tokenized", "encoded", "memory", "timings", "cpu_timings")}}
            print(json.dumps({k: run[k] for k in ("label", "process_wall_s", "process_cpu_s", "timings")}), flush=True)
            runs.append(run)
            shutil.rmtree(index)
            shutil.rmtree(tokens, ignore_errors=True)
    shutil.rmtree(work)

    def mean(label: str, key: str, stage: str | None = None) -> float:
        return float(np.mean([(x[key].get(stage, 0.0) if stage else x[key]) for x in runs if x["label"] == label]))

    stages = [k for k in runs[0]["timings"] if k != "total"] + ["total"]
    (off, first), (on, second) = modes
    ratio = mean(on, "process_wall_s") / mean(off, "process_wall_s")
    identical = all(x["files"] == runs[0]["files"] for x in runs)
    kept = ratio <= 0.93 and identical
    rule = f"LEGALRET_READ_AHEAD={second} kept as the default over {first} if wall ratio ≤ 0.93 and files identical"
    summary = {mode: {"process_wall_s": mean(label, "process_wall_s"), "process_cpu_s": mean(label, "process_cpu_s"),
                      "wall_s": {k: mean(label, "timings", k) for k in stages},
                      "cpu_s": {k: mean(label, "cpu_timings", k) for k in stages},
                      "tokenized_ahead": float(np.mean([int((x.get("memory") or {}).get("tokenized_ahead", 0))
                                                        for x in runs if x["label"] == label]))}
               for label, mode in modes}
    result = {"command": " ".join(portable_args(command[1:])), "rounds": args.rounds, "modes": [first, second],
              "load_before": load0, "load_after": load_avg(), "wall_ratio": ratio, "identical_memory_files": identical,
              "files_compared": len(runs[0]["files"]), "rule": rule, "kept": kept, "summary": summary, "runs": runs}
    lines = [f"# The memories' inputs read (and tokenized) while the articles are encoded: main-job first builds "
             f"({runs[0]['searchable']} searchable articles, both memories)", "",
             f"One run, {args.rounds} round(s) of both, alternating which goes first; each a `legalret index build` process "
             f"into a new folder with an empty token cache and no vector cache; load average {load0} → {result['load_after']}. "
             "Means over the rounds; stage seconds from the build's own report (what the second process does happens inside "
             "`load encoder` … `encode`; its CPU is in the process row only).", "",
             f"| stage | {off} wall / CPU s | {on} wall / CPU s |", "|---|---|---|"]
    for k in stages:
        lines.append(f"| {k} | {mean(off, 'timings', k):.1f} / {mean(off, 'cpu_timings', k):.1f} | "
                     f"{mean(on, 'timings', k):.1f} / {mean(on, 'cpu_timings', k):.1f} |")
    lines.append(f"| process (incl. start-up) | {mean(off, 'process_wall_s'):.1f} / {mean(off, 'process_cpu_s'):.1f} | "
                 f"{mean(on, 'process_wall_s'):.1f} / {mean(on, 'process_cpu_s'):.1f} |")
    ahead = {label: [int((x.get("memory") or {}).get("tokenized_ahead", 0)) for x in runs if x["label"] == label]
             for label in (off, on)}
    lines.append(f"| holdings tokenized in the second process | {ahead[off]} | {ahead[on]} |")
    lines += ["", f"Process wall, `{second}` / `{first}`: **{ratio:.3f}×**; the {len(runs[0]['files'])} memory and facts files "
              f"{'identical in every build' if identical else 'DIFFER between builds'}. Rule (written before the run): "
              f"`{second}` kept if ≤ 0.93× and identical → **{'kept' if kept else 'not kept'}**."]
    save(args.name or "read-ahead", result, "\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("encode")
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--variants", default="torch,fp32,nbits8,int8")
    p.add_argument("--name", default=None)
    p.set_defaults(func=cmd_encode)
    p = sub.add_parser("kiwi")
    p.add_argument("--articles", type=int, default=600)
    p.add_argument("--holdings", type=int, default=600)
    p.add_argument("--facts", type=int, default=150)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--name", default=None)
    p.set_defaults(func=cmd_kiwi)
    p = sub.add_parser("memory")
    p.add_argument("--precedents", type=int, default=3000)
    p.add_argument("--name", default=None)
    p.set_defaults(func=cmd_memory)
    p = sub.add_parser("quality")
    p.add_argument("--index", required=True)
    p.add_argument("--questions", default=str(REPO / "benchmarks" / "queries" / "user_questions.jsonl"))
    p.add_argument("--split", default="tune", choices=("report", "tune", "all"))
    p.add_argument("--holdings", default=None, help="dev holdings (legalret pairs dev_queries.jsonl)")
    p.add_argument("--holdings-limit", type=int, default=600)
    p.add_argument("--before", default="2020-01-01")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--variants", default="fp32,nbits8")
    p.add_argument("--name", default=None)
    p.set_defaults(func=cmd_quality)
    p = sub.add_parser("vector-cache")
    p.add_argument("--corpus", default="civil-commercial")
    p.add_argument("--law", action="append", help="only this law (repeatable): a lighter run")
    p.add_argument("--adapter", default="legalret/adapters/me5-small-legal-qmap")
    p.add_argument("--no-memories", dest="memories", action="store_false", help="articles only")
    p.add_argument("--tokens-from", default=None, help="a warm token cache to copy (default: start empty)")
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--work", default=None, help="scratch folder (default: the system's temp)")
    p.add_argument("--name", default=None)
    p.set_defaults(func=cmd_vector_cache)
    p = sub.add_parser("read-ahead")
    p.add_argument("--adapter", default="legalret/adapters/me5-small-legal-qmap")
    p.add_argument("--modes", default="off,read", help="the two LEGALRET_READ_AHEAD modes compared: off, read, on")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--work", default=None, help="scratch folder (default: the system's temp)")
    p.add_argument("--name", default=None)
    p.set_defaults(func=cmd_read_ahead)
    p = sub.add_parser("estimate")
    p.add_argument("--stages", default=None, help='measured stage seconds as JSON (default: the all-acts build)')
    p.add_argument("--label", default="all-acts-decrees, both memories, 2 cores")
    p.add_argument("--memory", default="memory-600-decisions", help="the memory result to take the ratios from")
    p.add_argument("--name", default=None)
    p.set_defaults(func=cmd_estimate)
    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
