"""Speed of legalret on a real corpus, with rank-bm25 and raw bm25s measured in the same run as references.

What :func:`run_speed` measures, in order:

1. **ingest** — :func:`legalret.ingest.sources.ingest` over the corpus (files, articles, articles/s, text MB/s);
2. **index build** — :func:`legalret.index.build.build_index`, per stage (Kiwi tokenizing, BM25, encoding,
   FAISS) and articles/s; then the index size on disk;
3. **memory** — resident memory (RSS) of a fresh process that loads the :class:`Searcher` and answers one
   query per mode (a subprocess, so this process's own allocations do not count);
4. **warm latency** — one query at a time through ``Searcher.search`` per mode: p50/p95/p99 in ms;
5. **cold search** — wall time of ``legalret search`` in a new process (import + load index + one query);
6. **references** — the same Kiwi tokens and queries through ``rank_bm25.BM25Okapi`` and ``bm25s.BM25``
   (build time and per-query latency including query tokenization), reported as ratios
   ``reference ÷ legalret`` (> 1: legalret is faster). Shared machines are noisy; ratios from one run are
   what count, not absolute numbers.

``modes=("bm25",)`` skips encoding and FAISS (a BM25-only run, fast even for every 법률+시행령); ``limit``
keeps the first ``limit`` articles in ingest order (deterministic).

Usage::

    from legalret.evaluate.speed import run_speed
    report = run_speed("civil-commercial", work_dir="/tmp/speed", modes=("bm25", "dense", "hybrid"))
    report["latency"]["bm25"]["p50_ms"], report["references"]["ratios"]
"""

from __future__ import annotations

import gc
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from legalret.errors import LegalretError
from legalret.processes import legalret_command
from legalret.progress import console, track

SCHEMA = "legalret.bench.speed/1"
DEFAULT_QUERIES = 200
DEFAULT_REFERENCE_QUERIES = 50
WARMUP_QUERIES = 3


# ---- measuring helpers ------------------------------------------------------------------------------
def machine_info() -> dict[str, Any]:
    """CPU model, cores, thread limits and library versions: what a reader needs to compare numbers."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    # Versions from package metadata: importing torch & co. just to read __version__ costs seconds.
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for dist in ("torch", "sentence-transformers", "faiss-cpu", "bm25s", "rank-bm25", "kiwipiepy", "numpy"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            pass
    threads = None
    if "torch" in sys.modules:  # only when this run already uses torch
        threads = sys.modules["torch"].get_num_threads()
    try:
        load = [round(x, 2) for x in os.getloadavg()]  # other work on the machine skews every timing
    except OSError:
        load = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average": load,
        # (the threads torch uses: the report said "None threads" when OMP_NUM_THREADS was not set)
        "threads": threads or os.environ.get("OMP_NUM_THREADS") or _torch_threads(),
        "memory_gb": mem_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions,
    }


def _torch_threads() -> int | None:
    """torch's intra-op threads, when torch is already imported (never imported for this)."""
    torch = sys.modules.get("torch")
    return int(torch.get_num_threads()) if torch is not None else None


def rss_mb() -> float | None:
    """Current resident set size of this process in MB (Linux ``/proc``; None elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 1024**2


def dir_size_mb(path: str | os.PathLike) -> float:
    """The MiB of a folder's files (:func:`legalret.index.store.folder_bytes`, what ``index forget`` and ``index info``
    count)."""
    from legalret.index.store import folder_bytes

    return folder_bytes(path) / 1024**2


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max in milliseconds (linear-interpolated percentiles)."""
    if not seconds:
        return {"queries": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None, "mean_ms": None, "max_ms": None}
    ms = np.asarray(seconds, dtype=np.float64) * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {
        "queries": int(ms.size),
        "p50_ms": round(float(p50), 3),
        "p95_ms": round(float(p95), 3),
        "p99_ms": round(float(p99), 3),
        "mean_ms": round(float(ms.mean()), 3),
        "max_ms": round(float(ms.max()), 3),
    }


def time_queries(search: Callable[[str], Any], queries: Sequence[str], description: str, progress: bool | None = None) -> dict[str, float]:
    """Warm latency: a few untimed warm-up calls, then each query timed on its own."""
    for q in queries[:WARMUP_QUERIES]:
        search(q)
    times = []
    for q in track(queries, description, disable=None if progress else True):
        t0 = time.perf_counter()
        search(q)
        times.append(time.perf_counter() - t0)
    return latency_summary(times)


def _rate(n: int, seconds: float | None) -> float | None:
    return round(n / seconds, 1) if seconds else None


# ---- queries ----------------------------------------------------------------------------------------
def speed_queries(articles: Sequence[Any], queries_file: str | None, n: int, seed: int) -> tuple[list[str], list[list[str]], str]:
    """Query texts (and gold, when known) for timing.

    From ``queries_file`` (the benchmark JSONL format) when given — a seeded sample of ``n`` — else
    synthesized from the corpus: a seeded sample of articles, each giving ``title + first words`` as a
    query with that article as gold (a smoke-level quality check, mainly something realistic to time).
    """
    if queries_file:
        return read_speed_queries(queries_file, n, seed)
    live = [a for a in articles if not getattr(a, "deleted", False)]
    rng = random.Random(seed)
    picked = rng.sample(live, min(n, len(live)))
    texts, gold = [], []
    for a in picked:
        words = a.index_text(with_title=False).split()[:8]
        texts.append(" ".join(([a.title] if a.title else []) + words))
        gold.append([a.key])
    return texts, gold, f"synthesized from {len(texts)} random articles (title + first 8 words, seed {seed})"


def read_speed_queries(queries_file: str | os.PathLike, n: int, seed: int) -> tuple[list[str], list[list[str]], str]:
    """A seeded sample of ``n`` queries of ``queries_file``, read strictly: a file with any unreadable line or
    repeated qid is a :class:`~legalret.errors.SourceError` naming ``file:line[:column]: field`` of the first few.

    (Read leniently, a file with 6 of 7 lines broken was timed as 1 query and reported p50/p95/p99 of it; ``bench
    quality`` refuses such a file, and so does this. There is no ``--skip-bad`` here: a timing sample is the file
    as given.)"""
    from legalret.evaluate.quality import load_queries, unusable_lines

    qs = load_queries(queries_file, limit=n, seed=seed)  # (its errors are the whole file's, not the sample's)
    if qs.errors:  # not strict=True: its message offers a --skip-bad that `bench speed` does not have
        raise unusable_lines(str(queries_file), qs.errors, qs.total_lines,
                             remedy="Fix them (or leave them out) to time this file")
    return [q.query for q in qs], [q.gold for q in qs], f"{Path(queries_file).name} (sample of {len(qs)}, seed {seed})"


# ---- references -------------------------------------------------------------------------------------
def reference_bm25(
    token_lists: Sequence[list[str]],
    keys: Sequence[str],
    queries: Sequence[str],
    gold: Sequence[Sequence[str]],
    tokenize: Callable[[str], list[str]],
    *,
    k: int = 10,
    engines: Sequence[str] = ("rank_bm25", "bm25s"),
    k1: float = 1.2,
    b: float = 0.75,
    method: str = "lucene",
    progress: bool | None = None,
) -> dict[str, dict[str, Any]]:
    """Build and query rank-bm25 and raw bm25s on the same tokens; latency includes query tokenization.

    Both use the index's ``k1`` / ``b`` (bm25s also its scoring ``method``; rank-bm25 is always Okapi).
    """
    from legalret.evaluate.metrics import recall_at_k

    out: dict[str, dict[str, Any]] = {}
    docs = [list(t) for t in token_lists]
    for engine in engines:
        gc.collect()
        t0 = time.perf_counter()
        if engine == "rank_bm25":
            from rank_bm25 import BM25Okapi

            model = BM25Okapi(docs, k1=k1, b=b)
            build_s = time.perf_counter() - t0

            def search(q: str, model=model) -> list[int]:
                scores = model.get_scores(tokenize(q))
                top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
                return top[np.lexsort((top, -scores[top]))].tolist()

        elif engine == "bm25s":
            import bm25s

            model = bm25s.BM25(k1=k1, b=b, method=method)
            model.index(docs, show_progress=False)
            build_s = time.perf_counter() - t0
            kk = min(k, len(docs))

            def search(q: str, model=model) -> list[int]:
                tokens = tokenize(q) or [""]
                rows, _ = model.retrieve([tokens], k=kk, show_progress=False, n_threads=1)
                return rows[0].tolist()

        else:
            raise ValueError(f"unknown reference engine {engine!r}")
        lat = time_queries(search, list(queries), f"reference {engine}: {len(queries)} queries", progress)
        recalls = [recall_at_k([keys[r] for r in search(q)], g, k) for q, g in zip(queries, gold)]
        recalls = [r for r in recalls if r is not None]
        out[engine] = {
            "build_s": round(build_s, 3),
            "articles_per_second": _rate(len(docs), build_s),
            **lat,
            f"recall@{k}": round(float(np.mean(recalls)), 4) if recalls else None,
        }
        del model, search
    return out


# ---- legalret pieces (the integration with ingest / index / search) --------------------------------
def ingest_corpus(corpus: str, data_dir: str | os.PathLike | None = None) -> tuple[list[Any], dict[str, Any]]:
    """Ingest a named corpus (``corpora/<name>.yaml``) from the shared legalize-kr archive, timed."""
    from legalret.config import shared_data_dir
    from legalret.ingest.sources import ingest

    data = Path(data_dir) if data_dir else shared_data_dir()
    if data is None:
        raise LegalretError("shared data not found: set LEGALRET_DATA to the folder holding statutes/legalize-kr.zip")
    archive = data / "statutes" / "legalize-kr.zip"
    if not archive.exists():
        raise LegalretError(f"{archive}: not found")
    laws, kinds = corpus_filter(corpus)
    gc.collect()
    t0 = time.perf_counter()
    result = ingest([str(archive)], kinds=kinds, laws=laws)
    seconds = time.perf_counter() - t0
    arts = list(result.articles)
    text_mb = sum(len(a.body_text().encode("utf-8")) for a in arts) / 1024**2
    rep = result.report
    info = {
        "source": str(archive),
        "files": _count(getattr(rep, "files", None)),
        "laws": _count(getattr(rep, "laws", None)),
        "articles": len(arts),
        "deleted": _count(getattr(rep, "deleted", None)),
        "errors": _count(getattr(rep, "errors", None)),
        "repairs": _count(getattr(rep, "repairs", None)),
        "seconds": round(seconds, 3),
        "articles_per_second": _rate(len(arts), seconds),
        "text_mb": round(text_mb, 2),
        "mb_per_second": round(text_mb / seconds, 2) if seconds else None,
    }
    return arts, info


def corpus_filter(corpus: str) -> tuple[list[str] | None, list[str] | None]:
    """``(laws, kinds)`` of a corpus manifest (``corpora/<name>.yaml`` or a path); None = no filter."""
    from legalret.corpus.manifest import load_manifest

    return load_manifest(corpus).filters()


def _count(v: Any) -> int | None:
    if v is None:
        return None
    return v if isinstance(v, int) else len(v)


STAGE_NAMES = {
    "tokenize": "Kiwi tokenizing",
    "bm25": "BM25",
    "encode": "encoding",
    "faiss": "FAISS",
}


def build_timed(articles: Sequence[Any], index_dir: Path, *, dense: bool, model: str | None, adapter: str | None) -> dict[str, Any]:
    """Build the index with :func:`legalret.index.build.build_index`; stage timings come from it."""
    from legalret.index import build as build_mod

    kwargs: dict[str, Any] = {}
    if model:
        kwargs["model"] = model
    if adapter:
        kwargs["adapter"] = adapter
    if not dense:
        kwargs.update(_bm25_only_kwargs(build_mod.build_index))
    if index_dir.exists():
        shutil.rmtree(index_dir)
    gc.collect()
    t0 = time.perf_counter()
    result = build_mod.build_index(list(articles), index_dir, **kwargs)
    seconds = time.perf_counter() - t0
    stages = _stage_timings(result)
    n = len(articles)
    return {
        "articles": n,
        "seconds": round(seconds, 3),
        "articles_per_second": _rate(n, seconds),
        "stages": _stage_rows(stages, n),
        "disk_mb": round(dir_size_mb(index_dir), 2),
        "dense": dense,
    }


def _stage_rows(timings: dict[str, float], n: int) -> dict[str, dict[str, Any]]:
    """Seconds per build stage, with articles/s only for the stages that process every article
    (not 'collect', 'write', …)."""
    return {
        STAGE_NAMES.get(name, name): {"seconds": round(s, 3), "articles_per_second": _rate(n, s) if name in STAGE_NAMES else None}
        for name, s in timings.items()
    }


def _bm25_only_kwargs(build_index: Callable) -> dict[str, Any]:
    from legalret.index.build import NO_ENCODER

    return {"model": NO_ENCODER}


def _stage_timings(result: Any) -> dict[str, float]:
    """Stage seconds from a build result: ``.timings`` / ``.stages`` / ``["timings"]`` (mapping name → s)."""
    for attr in ("timings", "stage_seconds", "stages"):
        t = getattr(result, attr, None)
        if t is None and isinstance(result, dict):
            t = result.get(attr)
        if isinstance(t, dict):
            # 'total' is the whole build, reported on its own line
            return {str(k): float(v) for k, v in t.items() if isinstance(v, (int, float)) and k != "total"}
    return {}


def check_index_holds(index_dir: Path, corpus: str, laws: set[str]) -> None:
    """An index reused for a corpus's report must hold that corpus's laws: ``--corpus all-acts --index`` of the
    민법+상법 index had reported "all-acts: 85,401 articles" with the small index's latency and size."""
    from legalret.index.store import read_manifest

    held = set(read_manifest(index_dir).get("laws") or {})
    if held != laws:
        missing, extra = sorted(laws - held), sorted(held - laws)
        what = (f"lacks {len(missing)} of the corpus's {len(laws)} laws (e.g. {', '.join(missing[:3])})" if missing
                else f"holds {len(extra)} laws the corpus lacks (e.g. {', '.join(extra[:3])})")
        raise LegalretError(f"--index {index_dir} is not an index of --corpus {corpus}: it {what}; give the corpus it "
                            "was built from, or leave out --index to build one")


def build_from_manifest(index_dir: Path, build_report: str | os.PathLike | None = None) -> dict[str, Any]:
    """Build figures of an existing index, from the stage timings its manifest recorded when it was built
    (so a speed run can reuse the index a quality run just built instead of encoding everything twice).

    ``build_report``: the JSON ``legalret index build --json`` printed, for indexes whose manifest predates
    the carried ``build`` record (their ``timings`` are those of the last ``index add``)."""
    from legalret.index.store import read_manifest

    manifest = read_manifest(index_dir)
    if build_report is not None:
        recorded = json.loads(Path(build_report).read_text(encoding="utf-8"))
    else:
        recorded = manifest.get("build") or manifest
    timings = {k: float(v) for k, v in (recorded.get("timings") or {}).items()}
    n = int(manifest.get("counts", {}).get("articles", 0))
    total = timings.pop("total", None) or sum(timings.values())
    return {
        "articles": n,
        "seconds": round(total, 3),
        "articles_per_second": _rate(n, total),
        "stages": _stage_rows(timings, n),
        "disk_mb": round(dir_size_mb(index_dir), 2),
        "dense": manifest.get("encoder") is not None,
        "reused_index": str(index_dir),
        "built": recorded.get("created") or manifest.get("created"),
    }


_PROBE = r"""
import json, sys, time
from legalret.evaluate.speed import rss_mb, peak_rss_mb
before = rss_mb()
t0 = time.perf_counter()
from legalret.search.searcher import Searcher
s = Searcher(sys.argv[1])
load_s = time.perf_counter() - t0
loaded = rss_mb()
for mode in sys.argv[3].split(","):
    s.search(sys.argv[2], k=10, mode=mode)
print(json.dumps({"rss_start_mb": before, "rss_loaded_mb": loaded, "rss_mb": rss_mb(),
                  "peak_rss_mb": peak_rss_mb(), "load_s": load_s}))
"""


def _last_message(stderr: str) -> str:
    """The last line of a child's stderr that says something (rich/typer boxes stripped)."""
    import re

    for line in reversed(stderr.splitlines()):
        text = re.sub(r"[\u2500-\u257f]", "", line).strip()
        if re.search(r"\w", text):
            return text
    return ""


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(var, "2")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def memory_probe(index_dir: Path, query: str, modes: Sequence[str]) -> dict[str, Any]:
    """RSS of a fresh process that loads the searcher and answers one query per mode."""
    cmd, env = legalret_command(str(index_dir), query, ",".join(modes), code=_PROBE, env=_child_env())
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    if proc.returncode != 0:
        raise LegalretError(f"memory probe failed: {_last_message(proc.stderr) or f'exit {proc.returncode}'}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in data.items()}


def cold_search(index_dir: Path, query: str, mode: str, runs: int = 3) -> dict[str, Any]:
    """Wall time of ``legalret search QUERY --index DIR --mode MODE`` in a new process (median of ``runs``)."""
    cmd, env = legalret_command("search", query, "--index", str(index_dir), "--mode", mode, env=_child_env())
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise LegalretError(f"`legalret search` failed: {_last_message(proc.stderr) or f'exit {proc.returncode}'}")
    return {
        "command": "legalret search <query> --index <dir> --mode " + mode,
        "mode": mode,
        "runs": runs,
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
    }


# ---- the whole run ----------------------------------------------------------------------------------
def run_speed(
    corpus: str = "civil-commercial",
    *,
    work_dir: str | os.PathLike,
    modes: Sequence[str] = ("bm25", "dense", "hybrid"),
    limit: int | None = None,
    queries_file: str | None = None,
    n_queries: int = DEFAULT_QUERIES,
    n_reference_queries: int = DEFAULT_REFERENCE_QUERIES,
    references: Sequence[str] = ("rank_bm25", "bm25s"),
    model: str | None = None,
    adapter: str | None = None,
    cold_runs: int = 3,
    seed: int = 0,
    data_dir: str | os.PathLike | None = None,
    keep_index: bool = False,
    index_dir: str | os.PathLike | None = None,
    build_report: str | os.PathLike | None = None,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Measure everything listed in the module docstring; returns the report dict.

    ``index_dir``: an index already built from this corpus (e.g. by ``benchmarks/run_quality.py``): it is
    used as is — build figures come from the stage timings its manifest recorded — instead of building a
    temporary one. ``limit`` must then be None (the index decides what is in it).
    """
    modes = list(modes)
    unknown = [m for m in modes if m not in ("bm25", "dense", "hybrid")]
    if unknown:
        raise ValueError(f"unknown modes {unknown}; use bm25, dense, hybrid")
    dense = any(m in ("dense", "hybrid") for m in modes)
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    reuse = index_dir is not None
    if reuse and limit is not None:
        raise ValueError("limit cannot be combined with an existing index_dir")
    index_dir = Path(index_dir) if reuse else work / f"index-{corpus}"
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "machine": machine_info(),
        "settings": {"modes": modes, "k": 10, "seed": seed, "limit": limit, "model": model, "adapter": adapter,
                     "n_queries": n_queries, "n_reference_queries": n_reference_queries},
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }

    # A query file is read before the ingest and the build: a bad one is refused at once, not after them.
    given = read_speed_queries(queries_file, n_queries, seed) if queries_file else None

    console.print(f"[bold]ingest[/] {corpus} …")
    articles, ingest_info = ingest_corpus(corpus, data_dir)
    report["ingest"] = ingest_info
    if limit is not None:
        articles = articles[:limit]
    laws = {a.law for a in articles}
    report["corpus"] = {"name": corpus, "articles": len(articles), "laws": len(laws), "limit": limit}

    if reuse:
        check_index_holds(index_dir, corpus, laws)
        console.print(f"[bold]index[/] reusing {index_dir} (build timings from its manifest)")
        report["build"] = build_from_manifest(index_dir, build_report)
        if dense and not report["build"]["dense"]:
            raise LegalretError(f"{index_dir}: built without dense vectors; use modes=('bm25',)")
    else:
        console.print(f"[bold]index build[/] {len(articles):,} articles ({'bm25 + dense' if dense else 'bm25 only'}) …")
        report["build"] = build_timed(articles, index_dir, dense=dense, model=model, adapter=adapter)

    texts, gold, qsource = given or speed_queries(articles, None, n_queries, seed)
    report["queries"] = {"source": qsource, "count": len(texts)}

    report["memory"] = _optional(memory_probe, index_dir, texts[0], modes)

    from legalret.search.searcher import Searcher

    searcher = Searcher(index_dir)
    report["latency"] = {
        mode: time_queries(lambda q, mode=mode: searcher.search(q, k=10, mode=mode), texts, f"warm {mode}", progress) for mode in modes
    }
    report["quality_smoke"] = _recall_smoke(searcher, texts, gold, modes)

    report["cold_search"] = _optional(cold_search, index_dir, texts[0], "hybrid" if dense else "bm25", runs=cold_runs)

    if references:
        report["references"] = _references(searcher, articles, texts[:n_reference_queries], gold[:n_reference_queries], references, report, progress)
    del searcher
    if not keep_index and not reuse:
        shutil.rmtree(index_dir, ignore_errors=True)
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    report["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return report


def _optional(fn: Callable[..., dict], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """A measurement that may fail (a subprocess, the CLI) is recorded as an error, not fatal to the run."""
    try:
        return fn(*args, **kwargs)
    except (LegalretError, OSError, subprocess.SubprocessError, ValueError) as e:
        console.print(f"[yellow]{fn.__name__} failed:[/] {e}", highlight=False)
        return {"error": str(e)}


def _recall_smoke(searcher: Any, texts: list[str], gold: list[list[str]], modes: Sequence[str]) -> dict[str, float | None]:
    from legalret.evaluate.metrics import order_hits, recall_at_k

    out = {}
    for mode in modes:
        hits = searcher.search_batch(texts, 10, mode=mode)
        vals = [recall_at_k(order_hits(h), g, 10) for h, g in zip(hits, gold)]
        vals = [v for v in vals if v is not None]
        out[f"{mode} recall@10"] = round(float(np.mean(vals)), 4) if vals else None
    return out


def _references(searcher, articles, texts, gold, engines, report, progress) -> dict[str, Any]:
    from legalret.index.tokenize import KiwiTokenizer

    tokenizer = getattr(searcher, "tokenizer", None) or KiwiTokenizer()
    token_lists, keys = _index_tokens(searcher, articles, tokenizer)
    engines_out = {"legalret bm25": {"build_s": _legalret_bm25_build_seconds(searcher, token_lists), "recall@10": None}}
    # legalret's own recall@10 on exactly the reference queries, for a like-for-like column
    from legalret.evaluate.metrics import order_hits, recall_at_k

    if "bm25" in report["latency"]:
        hits = searcher.search_batch(texts, 10, mode="bm25")
        vals = [v for v in (recall_at_k(order_hits(h), g, 10) for h, g in zip(hits, gold)) if v is not None]
        engines_out["legalret bm25"]["recall@10"] = round(float(np.mean(vals)), 4) if vals else None
        # the same queries as the references (the latency table's own sample may be larger)
        engines_out["legalret bm25"].update(
            {k: v for k, v in time_queries(lambda q: searcher.search(q, k=10, mode="bm25"), texts, "legalret bm25 (reference queries)", progress).items() if k.endswith("_ms")}
        )
    params = {k: v for k, v in (getattr(searcher, "manifest", {}) or {}).get("bm25", {}).items() if k in ("k1", "b", "method")}
    engines_out.update(reference_bm25(token_lists, keys, texts, gold, tokenizer.tokenize, engines=engines, progress=progress, **params))
    ours = engines_out["legalret bm25"]
    ratios = {}
    for name in engines:
        ref = engines_out[name]
        if ours.get("p50_ms") and ref.get("p50_ms"):
            ratios[f"{name} query p50"] = round(ref["p50_ms"] / ours["p50_ms"], 2)
        if ours.get("build_s") and ref.get("build_s"):
            ratios[f"{name} build"] = round(ref["build_s"] / ours["build_s"], 2)
    return {
        "queries": len(texts),
        "bm25_params": params,
        "tokenizer": "legalret Kiwi tokens for every engine; query latency includes query tokenization",
        "engines": engines_out,
        "ratios": ratios,
    }


def _legalret_bm25_build_seconds(searcher: Any, token_lists: list[list[str]]) -> float:
    """legalret's BM25 stage (bm25s engine + token store), rebuilt here on the same tokens so that its build
    time is measured in the same run, under the same load, as the references'."""
    from legalret.index.bm25 import BM25Engine, BM25Params, TokenStore

    params = BM25Params.from_dict((getattr(searcher, "manifest", {}) or {}).get("bm25"))
    gc.collect()
    t0 = time.perf_counter()
    BM25Engine.build(token_lists, params)
    TokenStore.from_lists(token_lists)
    return round(time.perf_counter() - t0, 3)


def _index_tokens(searcher: Any, articles: Sequence[Any], tokenizer: Any) -> tuple[list[list[str]], list[str]]:
    """The index's own token lists and row keys (so every engine sees identical tokens); re-tokenized
    articles when the searcher does not expose them."""
    data = getattr(searcher, "data", None)
    if data is not None and getattr(data, "tokens", None) is not None:
        return data.tokens.to_lists(), list(data.row_keys)
    live = [a for a in articles if not a.deleted]
    from legalret.index.tokenize import KiwiTokenizer

    articles_tokenizer = KiwiTokenizer(tokenizer.settings.for_articles())  # the settings the index build used
    return articles_tokenizer.tokenize_many([a.index_text() for a in live]), [a.key for a in live]
