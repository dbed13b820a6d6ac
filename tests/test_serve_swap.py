"""Generation swap under load: `index add` while clients hammer /api/search — zero failed requests, and the
new text is served afterwards without a restart."""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.articles import write_articles  # noqa: E402
from legalret.index import add_to_index, build_index  # noqa: E402
from legalret.serve.server import BackgroundServer  # noqa: E402

QUERIES = ["간접점유", "손해배상 책임", "보험계약 해지", "민법 제750조", "이사 선임", "유치권", "반려동물 손해"]


class Hammer:
    """``n`` threads sending searches until stopped; every non-200 answer or exception is kept."""

    def __init__(self, url: str, n: int = 4):
        self.url = url
        self.stop = threading.Event()
        self.ok = 0
        self.failures: list[str] = []
        self.generations: set[str] = set()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(n)]

    def _run(self, i: int) -> None:
        with httpx.Client(base_url=self.url, timeout=30, trust_env=False) as c:
            j = i
            while not self.stop.is_set():
                q = QUERIES[j % len(QUERIES)]
                j += 1
                try:
                    r = c.get("/api/search", params={"q": q, "k": 5, "explain": 1})
                    body = r.json()
                    if r.status_code != 200 or not isinstance(body.get("hits"), list):
                        raise RuntimeError(f"{r.status_code} {r.text[:200]}")
                    with self.lock:
                        self.ok += 1
                        self.generations.add(body["generation"])
                except Exception as e:  # noqa: BLE001 — every failure is the test's business
                    with self.lock:
                        self.failures.append(f"{q}: {type(e).__name__}: {e}")

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(30)


def _wait_for_generation(url: str, gen: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if httpx.get(url + "/healthz", trust_env=False).json()["generation"] == gen:
            return
        time.sleep(0.05)
    raise AssertionError(f"server did not switch to {gen}")


def _current(index: Path) -> str:
    return json.loads((index / "CURRENT").read_text())["generation"]


def test_index_add_under_load_fails_nothing(tmp_path):
    index = tmp_path / "idx"
    arts = sup.articles()
    build_index(arts, index, model="none")
    first = _current(index)
    new_text = "고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 그 손해를 배상할 책임이 있다. 반려동물에 의한 손해도 같다."
    civil = [a for a in arts if a.law == "민법"]
    amended = [sup.amended(a, new_text) if a.number == 750 else a for a in civil]

    with BackgroundServer(index) as srv, Hammer(srv.url) as hammer:
        time.sleep(0.5)
        # 1. through the Python API
        add_to_index(amended, index)
        second = _current(index)
        assert second != first
        _wait_for_generation(srv.url, second)
        time.sleep(0.3)
        # 2. through the CLI, in another process (as a user would run it next to the server)
        source = tmp_path / "civil.jsonl"
        write_articles(source, civil)  # the original 750 again
        out = subprocess.run([sys.executable, "-m", "legalret", "index", "add", str(source), "--index", str(index)],
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        third = _current(index)
        assert third not in (first, second)
        _wait_for_generation(srv.url, third)
        time.sleep(0.3)

    assert hammer.failures == []
    assert hammer.ok > 20
    assert {first, second, third} <= hammer.generations  # requests were answered from each generation
    # the amended text was served while it was live, and the server follows the index without a restart
    with BackgroundServer(index) as srv:
        hits = httpx.get(srv.url + "/api/search", params={"q": "반려동물"}, trust_env=False).json()["hits"]
        assert all("반려동물" not in h["text"] for h in hits)


def test_amended_text_is_served_after_swap(tmp_path):
    index = tmp_path / "idx"
    arts = sup.articles()
    build_index(arts, index, model="none")
    with BackgroundServer(index) as srv:
        before = httpx.get(srv.url + "/api/search", params={"q": "반려동물", "mode": "bm25"}, trust_env=False).json()
        assert all(h["key"] != "민법 제750조" for h in before["hits"])
        civil = [sup.amended(a, "반려동물에 의한 손해도 같다.") if a.number == 750 else a for a in arts if a.law == "민법"]
        add_to_index(civil, index)
        srv.app.state.live.wait_for_reload()
        after = httpx.get(srv.url + "/api/search", params={"q": "반려동물", "mode": "bm25"}, trust_env=False).json()
        assert after["hits"][0]["key"] == "민법 제750조" and after["generation"] == _current(index)
        assert httpx.get(srv.url + "/healthz", trust_env=False).json()["reloads"] == 1


def test_broken_new_generation_keeps_serving_the_old(tmp_path):
    index = tmp_path / "idx"
    build_index(sup.articles(), index, model="none")
    with BackgroundServer(index) as srv:
        gen = httpx.get(srv.url + "/healthz", trust_env=False).json()["generation"]
        (index / "CURRENT").write_text(json.dumps({"generation": "gen-999999"}))  # points nowhere
        live = srv.app.state.live
        live.wait_for_reload()
        r = httpx.get(srv.url + "/api/search", params={"q": "간접점유"}, trust_env=False)
        assert r.status_code == 200 and r.json()["generation"] == gen
        health = httpx.get(srv.url + "/healthz", trust_env=False).json()
        assert health["generation"] == gen and "gen-999999" in health["reload_error"]
        # …and the answer says so (a terminal search through the resident server had given the old generation's
        # hits in silence, where the same search in a pipe failed with the error)
        note = r.json()["notices"][-1]
        assert note.startswith(f"answered from generation {gen}: the index's newer generation could not be opened (")
        assert "gen-999999" in note and "legalret index rollback" in note


def test_a_generation_copied_in_after_its_pointer_is_served_once_it_is_there(tmp_path, monkeypatch):
    """A copy (cp, rsync) brings CURRENT before the gen-* folder: the reload failed, its pointer was remembered, and
    the server answered from the old generation until CURRENT moved again — for ever, /healthz saying "ok"."""
    import shutil

    import legalret.serve.live as live_module

    monkeypatch.setattr(live_module, "RETRY_FAILED_S", 0.3)
    served, staged = tmp_path / "served", tmp_path / "staged"
    arts = sup.articles()
    build_index(arts, served, model="none")
    shutil.copytree(served, staged)
    add_to_index([sup.amended(a, "반려동물에 의한 손해도 같다.") if a.number == 750 else a for a in arts if a.law == "민법"], staged)
    new = _current(staged)
    with BackgroundServer(served) as srv:
        live = srv.app.state.live
        shutil.copy2(staged / "CURRENT", served / "CURRENT")  # the pointer first …
        live.wait_for_reload()
        assert live.last_error and live.current.name != new
        shutil.copytree(staged / new, served / new)  # … then its generation
        time.sleep(0.5)
        r = httpx.get(srv.url + "/api/search", params={"q": "반려동물", "mode": "bm25"}, trust_env=False).json()
        assert r["generation"] == new and r["hits"][0]["key"] == "민법 제750조" and live.last_error is None


def test_background_server_binds_loopback_only(tmp_path):
    index = tmp_path / "idx"
    build_index(sup.articles(), index, model="none")
    with BackgroundServer(index) as srv:
        assert srv.url.startswith("http://127.0.0.1:")
        assert srv.sock.getsockname()[0] == "127.0.0.1"
