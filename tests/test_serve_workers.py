"""``legalret serve --workers 2``: two worker processes on one socket keep answering while ``index add`` swaps
the generation — zero failed requests — and both workers end up serving the new generation."""

import json
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
sys.path.insert(0, str(Path(__file__).parent))
import index_support as sup  # noqa: E402
from test_serve_swap import Hammer  # noqa: E402

from legalret.index import add_to_index, build_index  # noqa: E402
from legalret.serve.server import ServerProcess  # noqa: E402


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _all_answer(url: str, gen: str, n: int = 20, timeout: float = 60) -> None:
    """``n`` answers in a row from fresh connections (spread over the workers by the kernel) name ``gen``."""
    deadline = time.monotonic() + timeout
    streak = 0
    while streak < n:
        assert time.monotonic() < deadline, f"the workers did not all switch to {gen}"
        got = httpx.get(url + "/healthz", trust_env=False, headers={"Connection": "close"}).json()["generation"]
        streak = streak + 1 if got == gen else 0
        time.sleep(0.02)


def test_two_workers_answer_through_a_generation_swap(tmp_path):
    index = tmp_path / "idx"
    arts = sup.articles()
    build_index(arts, index, model="none")
    first = json.loads((index / "CURRENT").read_text())["generation"]
    civil = [sup.amended(a, "반려동물에 의한 손해도 같다.") if a.number == 750 else a for a in arts if a.law == "민법"]

    with ServerProcess(index, workers=2) as srv:
        pids = srv.worker_pids()
        assert len(pids) == 2
        ticks = {pid: _cpu_ticks(pid) for pid in pids}
        with Hammer(srv.url, n=4) as hammer:
            time.sleep(1.0)
            add_to_index(civil, index)
            second = json.loads((index / "CURRENT").read_text())["generation"]
            _all_answer(srv.url, second)
            time.sleep(0.5)
        assert hammer.failures == [], hammer.failures[:3]
        assert hammer.ok > 20 and {first, second} <= hammer.generations
        assert all(_cpu_ticks(pid) > ticks[pid] for pid in pids), "one worker answered nothing"
        after = httpx.get(srv.url + "/api/search", params={"q": "반려동물", "mode": "bm25"}, trust_env=False).json()
        assert after["generation"] == second and after["hits"][0]["key"] == "민법 제750조"
        assert srv.worker_pids() == pids  # no worker died and was replaced
        stopping = time.monotonic()
    # stopped by SIGTERM (the supervisor's handler, not the state file's exit), the workers end with the server: they
    # had outlived it, and the stop waited its 30 s before killing the supervisor
    assert time.monotonic() - stopping < 20
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids), "a worker outlived the server"


def test_the_workers_end_when_their_supervisor_is_killed(tmp_path):
    """`kill -9` of the supervisor (the OOM killer, a hard stop) left its workers serving the port, reparented to init;
    each worker now asks for SIGTERM when its supervisor dies."""
    index = tmp_path / "idx"
    build_index(sup.articles(), index, model="none")
    with ServerProcess(index, workers=2) as srv:
        pids = srv.worker_pids()
        assert len(pids) == 2
        srv.proc.kill()
        srv.proc.wait()
        deadline = time.monotonic() + 20
        while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(Path(f"/proc/{pid}").exists() for pid in pids), "a worker outlived its killed supervisor"


def test_a_pasted_holding_reaches_the_app(tmp_path):
    """A GET with a few thousand Korean characters (9 bytes each, URL-encoded) is read by the server, not
    refused by uvicorn's 16 KiB default before the app can answer (with hits, or its one-line limit error)."""
    from legalret.serve.server import BackgroundServer

    index = tmp_path / "idx"
    build_index(sup.articles(), index, model="none")
    holding = "임차인이 임차목적물을 수리하고 그 비용의 상환을 청구할 때까지 목적물을 유치할 수 있다. " * 90  # ~4,000 characters
    with BackgroundServer(index) as srv:
        r = httpx.get(srv.url + "/api/search", params={"q": holding}, trust_env=False)
    assert r.headers["content-type"].startswith("application/json"), r.text[:200]
    assert r.status_code == 200 or (r.status_code == 400 and "limit" in r.json()["error"]), r.text[:200]
