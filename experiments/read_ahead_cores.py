"""Why reading the decisions on a thread while the articles are encoded saved nothing (``build_stages.py read-ahead``:
0.992× and 1.022×, not kept), and what would: torch encoding 400 민법 articles (batch 32, the build's encoder) alone,
beside a thread that parses precedents (``read_precedents``, pure Python), and beside a *process* doing the same,
with torch on 2 and on 1 thread.

    PYTHONPATH=. python experiments/read_ahead_cores.py     # → benchmarks/results/build-speed/read-ahead-cores.{json,md}

Decided: a thread cannot overlap the reading with encoding — it holds the GIL torch's main thread needs between
operations (a shorter switch interval does not help) — and beside a process torch must give up a core (on both
cores, with a third busy process, its threads wait for each other). A read-ahead would have to run in a process,
with torch on one thread fewer while it runs, and hand its items back; left for later (see experiments/README).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import platform
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

OUT = REPO / "benchmarks" / "results" / "build-speed"


def _read(seconds: float, stop: list | None = None, q=None) -> int:
    from legalret.config import shared_data_dir
    from legalret.precedents.parse import read_precedents

    n, t = 0, time.perf_counter()
    for _ in read_precedents([shared_data_dir() / "precedents" / "precedent-kr.zip"]):
        n += 1
        if (stop is not None and stop) or time.perf_counter() - t > seconds:
            break
    if q is not None:
        q.put(n)
    return n


def main() -> None:
    import torch

    from legalret.config import shared_data_dir
    from legalret.index.build import DEFAULT_PASSAGE_MAX_TOKENS, _resolve_encoder
    from legalret.index.encoders import split_adapter
    from legalret.ingest.sources import ingest

    data = shared_data_dir()
    texts = [a.index_text() for a in ingest([data / "statutes" / "lawgo-json" / "001706.json"]).articles if not a.deleted][:400]
    lora, qmap = split_adapter("legalret/adapters/me5-small-legal-qmap")
    enc = _resolve_encoder(None, lora, None, "auto", DEFAULT_PASSAGE_MAX_TOKENS, qmap)
    enc.encode_passages(texts[:32], batch_size=32)  # warm
    full = torch.get_num_threads()
    spawn = mp.get_context("spawn")
    rows = []
    for rnd in range(2):
        for label, beside, threads, interval in [
            ("alone", None, full, 0.005), ("alone", None, 1, 0.005),
            ("beside a thread", "thread", full, 0.005), ("beside a thread, switch interval 0.5 ms", "thread", full, 0.0005),
            ("beside a thread", "thread", 1, 0.005),
            ("beside a process", "process", full, 0.005), ("beside a process", "process", 1, 0.005)]:
            torch.set_num_threads(threads)
            sys.setswitchinterval(interval)
            stop: list = []
            if beside == "thread":
                worker = threading.Thread(target=_read, args=(120.0, stop), daemon=True)
                worker.start()
            elif beside == "process":
                q = spawn.Queue()
                worker = spawn.Process(target=_read, args=(25.0, None, q))
                worker.start()
                time.sleep(3.0)  # its imports, so that it is reading when the encoding starts
            t = time.perf_counter()
            enc.encode_passages(texts, batch_size=32)
            dt = time.perf_counter() - t
            stop.append(True)
            if beside:
                worker.join()
            sys.setswitchinterval(0.005)
            rows.append({"round": rnd, "label": label, "torch_threads": threads, "encode_s": dt})
            print(json.dumps(rows[-1]), flush=True)
    torch.set_num_threads(full)

    def mean(label: str, threads: int) -> float:
        xs = [r["encode_s"] for r in rows if r["label"] == label and r["torch_threads"] == threads]
        return sum(xs) / len(xs)

    keys = list(dict.fromkeys((r["label"], r["torch_threads"]) for r in rows))
    base = mean("alone", full)
    result = {"command": "python experiments/read_ahead_cores.py", "machine": platform.processor() or platform.machine(),
              "texts": len(texts), "rows": rows, "means": {f"{l} / {t} torch threads": mean(l, t) for l, t in keys}}
    lines = ["# Encoding beside a reading thread or process", "",
             f"torch encoding {len(texts)} 민법 articles (batch 32), two rounds, mean seconds; ratio to alone on {full} threads.", "",
             "| encoding … | torch threads | seconds | ratio |", "|---|---|---|---|"]
    lines += [f"| {l} | {t} | {mean(l, t):.1f} | {mean(l, t) / base:.2f}× |" for l, t in keys]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "read-ahead-cores.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (OUT / "read-ahead-cores.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
