"""A bounded load test of ``legalret serve`` on loopback, with an ``index add`` generation swap in the middle.

1. Copies ``--index`` to a scratch directory (the swap writes a new generation; your index is not touched)
   and starts ``legalret serve`` on it (a separate process, free loopback port, a random token).
2. Sequential phase: one client, ``--sequential`` queries — HTTP latency and the server's own ``took_ms``,
   so the HTTP overhead on loopback is their difference.
3. Load phase: ``--clients`` concurrent clients for ``--duration`` seconds over the user questions
   (``benchmarks/queries/user_questions.jsonl``); at ``--swap-at`` seconds ``legalret index add`` (another
   process) amends one article; the server must swap to the new generation with **zero** failed requests.

Prints and writes p50/p95/p99, throughput, errors, and latency before / during / after the swap.
``--serve-workers 2``: the same against ``legalret serve --workers 2`` (each worker swaps on its own; the RSS
reported is then the supervisor's).

Usage::

    python benchmarks/serve_load.py --index /tmp/idx_cc --clients 8 --duration 60 \\
        --json benchmarks/results/serve_load.json

``--memory``: instead of the load test, the server's resident memory after start-up and after ``--sequential``
queries (VmRSS, anonymous / file-backed, the largest mappings), and its sequential HTTP latency — for the code
in this checkout and, with ``--before-code DIR`` (another checkout, e.g. ``git archive HEAD | tar -x -C DIR``)
and ``--before-home DIR`` (its ``LEGALRET_HOME``, e.g. with an older ONNX export), for that code too, in
alternating rounds (``--rounds``) so both see the same machine load::

    python benchmarks/serve_load.py --index IDX --memory --before-code /tmp/old --before-home /tmp/old_home \\
        --rounds 2 --sequential 60 --json benchmarks/results/serve_load_memory.json

``--workers 1,2``: instead of the load test, ``legalret serve --workers N`` for each N, in alternating rounds
(1, 2, then 2, 1, …) on the same machine: ``--clients`` concurrent clients for ``--duration`` seconds each —
throughput, p50/p95 — and each worker's memory (VmRSS; from ``/proc/PID/smaps_rollup``: Pss, the worker's
fair share, and Shared, the pages it shares with the other workers: the memory-mapped index and libraries)::

    python benchmarks/serve_load.py --index IDX --workers 1,2 --clients 4 --duration 20 --rounds 2 \\
        --json benchmarks/results/serve_workers.json
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "benchmarks"))  # index_names, when this is imported rather than run

from index_names import index_name, portable_path  # noqa: E402


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def summary(lat_ms: list[float]) -> dict:
    return {"n": len(lat_ms), "p50_ms": round(pct(lat_ms, 50), 2), "p95_ms": round(pct(lat_ms, 95), 2),
            "p99_ms": round(pct(lat_ms, 99), 2), "max_ms": round(max(lat_ms), 2) if lat_ms else None}


def load_queries(path: Path) -> list[str]:
    return [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# The server with an explicit ONNX query encoder (``--onnx-export``): what `legalret serve` does once the
# searcher picks the export itself; the same app, LiveSearcher and uvicorn, only the factory differs.
_ONNX_SERVER = """
import sys
from legalret.models.onnx import OnnxQueryEncoder
from legalret.search.searcher import Searcher
from legalret.serve import server
from legalret.serve.live import LiveSearcher
from legalret.serve.resident import write_state
index, export, state = sys.argv[1:4]
enc = OnnxQueryEncoder.load(export)
live = LiveSearcher(index, factory=lambda d: Searcher(d, encoder=enc))
sock = server.bind("127.0.0.1", 0)
import os, uvicorn
from legalret.serve.app import create_app
srv = uvicorn.Server(uvicorn.Config(create_app(live, token=os.environ["LEGALRET_TOKEN"]), log_level="warning", lifespan="off", access_log=False))
write_state(state, index=index, port=sock.getsockname()[1], token=None)
srv.run(sockets=[sock])
"""


# ``legalret <args>`` from the checkout in argv[1]: an editable install puts an import hook ahead of sys.path
# (PYTHONPATH would not win), so it is taken out first.
_CODE_SERVER = """
import runpy, sys
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
sys.path.insert(0, sys.argv[1])
sys.argv = ["legalret"] + sys.argv[2:]
runpy.run_module("legalret", run_name="__main__", alter_sys=True)
"""


def start_server(index: Path, token: str, scratch: Path, onnx_export: str | None = None,
                 env_extra: dict | None = None, workers: int = 1) -> tuple[subprocess.Popen, str]:
    state = scratch / "server.json"
    state.unlink(missing_ok=True)
    log = open(scratch / "server.log", "wb")
    env = dict(os.environ, LEGALRET_TOKEN=token, LEGALRET_RESIDENT="off", HF_HUB_OFFLINE="1", **(env_extra or {}))
    code = env.pop("LEGALRET_CODE", None)
    if code:  # `legalret serve` from that checkout (ahead of the editable install's import hook)
        cmd = [sys.executable, "-c", _CODE_SERVER, code, "serve", "--index", str(index), "--port", "0", "--state-file", str(state)]
    elif onnx_export:
        cmd = [sys.executable, "-c", _ONNX_SERVER, str(index), onnx_export, str(state)]
    else:
        cmd = [sys.executable, "-m", "legalret", "serve", "--index", str(index), "--port", "0", "--state-file", str(state),
               "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if state.exists():
            port = json.loads(state.read_text())["port"]
            url = f"http://127.0.0.1:{port}"
            try:
                httpx.get(url + "/healthz", timeout=60, trust_env=False).raise_for_status()
                return proc, url
            except httpx.HTTPError:
                pass
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(scratch / 'server.log').read_text()[-1000:]}")
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit("server did not start in 300 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def write_report(path: Path, report: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


def amended_source(index: Path, scratch: Path) -> Path:
    """One article of the index with a sentence added, as articles JSONL (``index add --keep-missing``)."""
    from legalret.search.searcher import Searcher

    s = Searcher(index, memory=False)
    key = "민법 제320조" if s.article("민법 제320조") is not None else s.keys[0]
    art = s.article(key)
    from legalret.articles import Article, write_articles

    a = Article.from_dict(art.to_dict())
    a.paragraphs[-1].text += " (부하 시험용 개정 문장)"
    out = scratch / "amended.jsonl"
    write_articles(out, [a])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--swap-at", type=float, default=20.0, help="seconds into the load phase to run `index add`")
    ap.add_argument("--after", type=float, default=15.0, help="keep the load on this long after the swap is served")
    ap.add_argument("--sequential", type=int, default=100)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--mode", default="hybrid")
    ap.add_argument("--queries", type=Path, default=REPO / "benchmarks" / "queries" / "user_questions.jsonl")
    ap.add_argument("--onnx-export", default=None, help="serve with this ONNX export as the query encoder")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--memory", action="store_true", help="measure the server's resident memory (no load test)")
    ap.add_argument("--before-code", type=Path, default=None, help="--memory: also run this checkout's server")
    ap.add_argument("--before-home", type=Path, default=None, help="--memory: LEGALRET_HOME for --before-code")
    ap.add_argument("--rounds", type=int, default=2, help="--memory / --workers: alternating rounds per variant")
    ap.add_argument("--serve-workers", type=int, default=1, help="the load test's server: `legalret serve --workers N`")
    ap.add_argument("--workers", default=None, help="compare `legalret serve --workers N` for these N (e.g. 1,2)")
    args = ap.parse_args()
    if args.memory:
        return memory_main(args)
    if args.workers:
        return workers_main(args)

    scratch = Path(tempfile.mkdtemp(prefix="legalret-load-"))
    index = scratch / "index"
    shutil.copytree(args.index, index, symlinks=True)
    source = amended_source(index, scratch)
    queries = load_queries(args.queries)
    token = secrets.token_urlsafe(16)
    headers = {"Authorization": f"Bearer {token}"}
    proc, url = start_server(index, token, scratch, args.onnx_export, workers=args.serve_workers)
    report: dict = {"index": index_name(args.index), "clients": args.clients, "duration_s": args.duration, "mode": args.mode,
                    "k": args.k, "cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg(),
                    "server_workers": args.serve_workers, "query_encoder": f"onnx {portable_path(args.onnx_export)}" if args.onnx_export else "the searcher's default"}
    try:
        gen0 = httpx.get(url + "/healthz", trust_env=False).json()["generation"]
        # ---- sequential: HTTP overhead -------------------------------------------------------------
        lat, took = [], []
        with httpx.Client(base_url=url, headers=headers, trust_env=False, timeout=60) as c:
            for q in queries[: args.sequential]:
                t0 = time.perf_counter()
                r = c.get("/api/search", params={"q": q, "k": args.k, "mode": args.mode})
                lat.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
                took.append(r.json()["took_ms"])
        overhead = [a - b for a, b in zip(lat, took)]
        report["sequential"] = {**summary(lat), "server_took_p50_ms": round(pct(took, 50), 2),
                                "http_overhead_p50_ms": round(pct(overhead, 50), 2)}
        print(f"sequential ({len(lat)} queries): HTTP p50 {pct(lat, 50):.1f} ms, server p50 {pct(took, 50):.1f} ms, "
              f"overhead p50 {pct(overhead, 50):.2f} ms")

        # ---- load with a swap in the middle ------------------------------------------------------------
        stop = threading.Event()
        results: list[tuple[float, float, int, str]] = []  # (start offset s, latency ms, status, generation)
        errors: list[str] = []
        lock = threading.Lock()
        t_start = time.perf_counter()

        def record(t0: float, ms: float, r) -> None:
            with lock:
                if isinstance(r, Exception):
                    errors.append(f"{type(r).__name__}: {r}")
                    return
                results.append((t0 - t_start, ms, r.status_code, r.json().get("generation", "?") if r.status_code == 200 else "-"))
                if r.status_code != 200:
                    errors.append(f"{r.status_code}: {r.text[:200]}")

        def client(i: int) -> None:
            search_loop(i, url, headers, queries, args, stop, record)

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(args.swap_at)
        swap_t0 = time.perf_counter() - t_start
        add = subprocess.Popen([sys.executable, "-m", "legalret", "index", "add", str(source), "--index", str(index),
                                "--keep-missing"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, HF_HUB_OFFLINE="1"))
        swap_t1 = served_t = None
        new_gen = None
        def keep_going() -> bool:  # the duration, and at least --after seconds past the swap being served
            now = time.perf_counter() - t_start
            return now < args.duration or swap_t1 is None or served_t is None or now < served_t + args.after

        while keep_going():
            if time.perf_counter() - t_start > args.duration + 600:
                break
            if swap_t1 is None and add.poll() is not None:
                swap_t1 = time.perf_counter() - t_start
                new_gen = json.loads((index / "CURRENT").read_text())["generation"]
            if swap_t1 is not None and served_t is None and add.returncode != 0:
                break
            if new_gen and served_t is None and httpx.get(url + "/healthz", trust_env=False).json()["generation"] == new_gen:
                served_t = time.perf_counter() - t_start
            time.sleep(0.1)
        _, add_err = add.communicate()
        stop.set()
        for t in threads:
            t.join(120)
        elapsed = time.perf_counter() - t_start

        ok = [r for r in results if r[2] == 200]
        lat_all = [r[1] for r in ok]
        report["load"] = {
            **summary(lat_all),
            "requests": len(results) + sum(1 for e in errors if not e[:3].isdigit()),
            "errors": len(errors),
            "error_samples": errors[:5],
            "throughput_rps": round(len(ok) / elapsed, 1),
            "before_swap": summary([r[1] for r in ok if r[0] < swap_t0]),
            "during_swap": summary([r[1] for r in ok if swap_t0 <= r[0] < (served_t or swap_t1 or elapsed)]),
            "after_swap": summary([r[1] for r in ok if r[0] >= (served_t or swap_t1 or elapsed)]),
            "generations_served": sorted({r[3] for r in ok}),
        }
        report["swap"] = {"index_add_exit": add.returncode, "index_add_s": round((swap_t1 or elapsed) - swap_t0, 2),
                          "from": gen0, "to": new_gen, "started_at_s": round(swap_t0, 2),
                          "served_at_s": round(served_t, 2) if served_t else None,
                          "index_add_stderr_tail": add_err[-300:] if add.returncode else ""}
        rss = _rss(proc.pid)
        report["server_rss_mb"] = rss
        report["load_avg_at_end"] = os.getloadavg()
        L = report["load"]
        print(f"load: {args.clients} clients × {elapsed:.0f} s: {L['n']} ok, {L['errors']} errors, "
              f"{L['throughput_rps']} req/s, p50 {L['p50_ms']} p95 {L['p95_ms']} p99 {L['p99_ms']} ms")
        print(f"swap: index add {report['swap']['index_add_s']} s (exit {add.returncode}), {gen0} → {new_gen} "
              f"served at {report['swap']['served_at_s']} s; generations answered: {L['generations_served']}")
        print(f"server RSS {rss} MB")
    finally:
        stop_server(proc)
        shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        write_report(args.json, report)


def memory_main(args) -> None:
    """``--memory``: resident memory and sequential latency of the server, this checkout vs ``--before-code``."""
    scratch = Path(tempfile.mkdtemp(prefix="legalret-mem-"))
    index = scratch / "index"
    shutil.copytree(args.index, index, symlinks=True)
    queries = load_queries(args.queries)[: args.sequential]
    variants = {"after": {"LEGALRET_CODE": str(REPO)}}
    if args.before_code:
        variants = {"before": {"LEGALRET_CODE": str(args.before_code)}, **variants}
        if args.before_home:
            variants["before"]["LEGALRET_HOME"] = str(args.before_home)
    homes = {name: env.get("LEGALRET_HOME", os.environ.get("LEGALRET_HOME")) for name, env in variants.items()}
    report: dict = {"index": index_name(args.index), "queries": len(queries), "mode": args.mode, "k": args.k,
                    "cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg(), "variants": {},
                    # the checkouts and homes as a reader finds them ("." = this checkout), not this machine's paths
                    "code": {name: portable_path(env["LEGALRET_CODE"]) for name, env in variants.items()},
                    "home": {name: portable_path(home) if home else "default" for name, home in homes.items()}}
    token = secrets.token_urlsafe(16)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        for round_no in range(args.rounds):
            for name, env in variants.items():
                t0 = time.perf_counter()
                proc, url = start_server(index, token, scratch, env_extra=env)
                try:
                    started = time.perf_counter() - t0
                    at_start = _rss_parts(proc.pid)
                    lat, took = [], []
                    with httpx.Client(base_url=url, headers=headers, trust_env=False, timeout=120) as c:
                        for q in queries:
                            q0 = time.perf_counter()
                            r = c.get("/api/search", params={"q": q, "k": args.k, "mode": args.mode})
                            lat.append((time.perf_counter() - q0) * 1000)
                            r.raise_for_status()
                            took.append(r.json()["took_ms"])
                    run = {"start_s": round(started, 2), "rss_at_start": at_start, "rss_after_queries": _rss_parts(proc.pid),
                           "largest_mappings_mb": _largest_mappings(proc.pid),
                           "http": summary(lat[1:]), "server_took": summary(took[1:]), "first_query_ms": round(lat[0], 1)}
                finally:
                    stop_server(proc)
                report["variants"].setdefault(name, []).append(run)
                print(f"round {round_no + 1} {name:6s}: RSS {run['rss_after_queries']} MB after {len(queries)} queries "
                      f"(at start {run['rss_at_start']['VmRSS']}); server p50 {run['server_took']['p50_ms']} ms, "
                      f"HTTP p50 {run['http']['p50_ms']} ms")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report["load_avg_at_end"] = os.getloadavg()
    if args.json:
        write_report(args.json, report)


def workers_main(args) -> None:
    """``--workers 1,2``: throughput, p50/p95 and per-worker memory of ``legalret serve --workers N``."""
    from legalret.serve.server import ServerProcess

    counts = [int(n) for n in args.workers.split(",")]
    queries = load_queries(args.queries)
    token = secrets.token_urlsafe(16)
    headers = {"Authorization": f"Bearer {token}"}
    report: dict = {"index": index_name(args.index), "clients": args.clients, "duration_s": args.duration, "mode": args.mode,
                    "k": args.k, "cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg(), "runs": []}
    for round_no in range(args.rounds):
        order = counts if round_no % 2 == 0 else counts[::-1]  # alternate: neither count always runs first
        for n in order:
            t0 = time.perf_counter()
            with ServerProcess(args.index, workers=n, token=token) as srv:
                started = time.perf_counter() - t0
                with httpx.Client(base_url=srv.url, headers=headers, trust_env=False, timeout=120) as c:
                    for q in queries[:8]:  # warm: first queries load what the start-up warm-up did not
                        c.get("/api/search", params={"q": q, "k": args.k, "mode": args.mode}).raise_for_status()
                lat, errors, elapsed = _load(srv.url, headers, queries, args)
                pids = srv.worker_pids()
                run = {"workers": n, "round": round_no + 1, "start_s": round(started, 1),
                       "requests_ok": len(lat), "errors": errors, "throughput_rps": round(len(lat) / elapsed, 2),
                       **{k: v for k, v in summary(lat).items() if k in ("p50_ms", "p95_ms")},
                       "worker_memory_mb": [_memory_rollup(pid) for pid in pids], "load_avg": os.getloadavg()}
            report["runs"].append(run)
            mem = ", ".join(f"RSS {m['VmRSS']} / Pss {m['Pss']} / shared {m['Shared']}" for m in run["worker_memory_mb"])
            print(f"round {round_no + 1}, {n} worker(s): {run['throughput_rps']} req/s, p50 {run['p50_ms']} ms, "
                  f"p95 {run['p95_ms']} ms, {errors} errors; per worker MB: {mem}", flush=True)
    by_n = {n: [r for r in report["runs"] if r["workers"] == n] for n in counts}
    report["summary"] = {str(n): {"throughput_rps": round(sum(r["throughput_rps"] for r in rs) / len(rs), 2),
                                  "p50_ms": round(sum(r["p50_ms"] for r in rs) / len(rs), 1),
                                  "p95_ms": round(sum(r["p95_ms"] for r in rs) / len(rs), 1)} for n, rs in by_n.items()}
    if len(counts) == 2:
        a, b = (report["summary"][str(n)] for n in counts)
        report["summary"]["throughput_ratio"] = round(b["throughput_rps"] / a["throughput_rps"], 2)
        print(f"throughput {counts[1]} vs {counts[0]} workers: ×{report['summary']['throughput_ratio']}")
    report["load_avg_at_end"] = os.getloadavg()
    if args.json:
        write_report(args.json, report)


def search_loop(i: int, url: str, headers: dict, queries: list[str], args, stop: threading.Event, record) -> None:
    """One client: searches the queries in turn (from an offset of its own) until ``stop``; each answer goes to
    ``record(start, latency ms, response or exception)``."""
    j = i * 37
    with httpx.Client(base_url=url, headers=headers, trust_env=False, timeout=120) as c:
        while not stop.is_set():
            q = queries[j % len(queries)]
            j += 1
            t0 = time.perf_counter()
            try:
                r = c.get("/api/search", params={"q": q, "k": args.k, "mode": args.mode})
            except Exception as e:  # noqa: BLE001 — every failure is counted
                record(t0, (time.perf_counter() - t0) * 1000, e)
                continue
            record(t0, (time.perf_counter() - t0) * 1000, r)


def _load(url: str, headers: dict, queries: list[str], args) -> tuple[list[float], int, float]:
    """``args.clients`` threads searching for ``args.duration`` s: latencies (ms) of the answered, errors, seconds."""
    stop = threading.Event()
    lat: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def record(t0: float, ms: float, r) -> None:
        with lock:
            if not isinstance(r, Exception) and r.status_code == 200:
                lat.append(ms)
            else:
                errors[0] += 1

    def client(i: int) -> None:
        search_loop(i, url, headers, queries, args, stop, record)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(args.duration)
    stop.set()
    for t in threads:
        t.join(120)
    return lat, errors[0], time.perf_counter() - t0


def _memory_rollup(pid: int) -> dict:
    """One process's memory, MB: VmRSS, Pss (its fair share of shared pages) and Shared (pages it shares with
    other processes: for a worker, the memory-mapped index files and the libraries), from smaps_rollup."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            fields[name] = int(rest.split()[0]) / 1024
    return {"VmRSS": round(fields.get("Rss", 0.0), 1), "Pss": round(fields.get("Pss", 0.0), 1),
            "Shared": round(fields.get("Shared_Clean", 0.0) + fields.get("Shared_Dirty", 0.0), 1),
            "Anonymous": round(fields.get("Anonymous", 0.0), 1)}


def _rss_parts(pid: int) -> dict:
    """VmRSS and its anonymous (heap) and file-backed (mapped files, libraries) parts, MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "RssAnon:", "RssFile:")):
            out[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    return out


def _largest_mappings(pid: int, n: int = 8) -> dict:
    """Resident MB per mapped file (anonymous memory as '[anon]'), the ``n`` largest (from /proc/PID/smaps)."""
    sizes: dict[str, float] = {}
    name = "[anon]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
            name = Path(head[5]).name if len(head) >= 6 and head[5].startswith("/") else "[anon]"
        elif line.startswith("Rss:"):
            sizes[name] = sizes.get(name, 0.0) + int(head[1]) / 1024
    return {k: round(v, 1) for k, v in sorted(sizes.items(), key=lambda kv: -kv[1])[:n]}


def _rss(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


if __name__ == "__main__":
    main()
