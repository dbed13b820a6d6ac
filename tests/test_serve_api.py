"""The HTTP API's contract: status codes, JSON shape, one-line errors, the token, static files only."""

import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
sys.path.insert(0, str(Path(__file__).parent))  # test_facts: its fixture decisions and facts
import index_support as sup  # noqa: E402

from legalret.index import build_index  # noqa: E402
from legalret.config import server_token  # noqa: E402
from legalret.serve.app import MAX_QUERY_CHARS, create_app  # noqa: E402
from legalret.serve.live import LiveSearcher  # noqa: E402


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    idx = tmp_path_factory.mktemp("serve") / "idx"
    build_index(sup.articles(), idx, model="none")
    return idx


@pytest.fixture(scope="module")
def live(index):
    return LiveSearcher(index)


@pytest.fixture(scope="module")
def client(live):
    return TestClient(create_app(live))


def _error(resp, status):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error", "status"} and body["status"] == status
    assert isinstance(body["error"], str) and "\n" not in body["error"] and body["error"]
    return body["error"]


def test_search_shape_and_ranking(client):
    r = client.get("/api/search", params={"q": "간접점유 점유권", "k": 3, "explain": 1})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert {"query", "hits", "notices"} <= set(body)
    assert body["query"] == "간접점유 점유권" and body["mode"] == "bm25"  # a BM25-only index: hybrid → bm25
    assert body["generation"].startswith("gen-")
    hit = body["hits"][0]
    assert {"key", "title", "law", "score", "text", "ranks", "reasons"} <= set(hit)
    assert hit["key"] == "민법 제194조" and hit["title"] == "간접점유" and hit["law"] == "민법"
    assert "간접으로 점유권이 있다" in hit["text"]
    assert hit["ranks"] == {"bm25": 1} and hit["reasons"] and hit["reasons"][0].startswith("bm25: rank 1")
    assert hit["citation"] == "「민법」 제194조(간접점유)"
    assert "간접점유" in body["terms"]
    assert len(body["hits"]) <= 3


def test_filters_and_exact_citation(client):
    r = client.get("/api/search", params={"q": "보험계약 해지", "law": "상법"})
    assert r.status_code == 200
    assert r.json()["hits"] and {h["law"] for h in r.json()["hits"]} == {"상법"}
    r = client.get("/api/search", params={"q": "민법 제750조", "k": 1})
    hit = r.json()["hits"][0]
    assert hit["key"] == "민법 제750조" and "citation" in hit["ranks"]
    r = client.get("/api/search", params={"q": "점유", "kind": "시행령"})
    assert {h["kind"] for h in r.json()["hits"]} <= {"시행령"}


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"q": ""}, "empty query"),
        ({"q": "   "}, "empty query"),
        ({}, "q:"),
        ({"q": "가" * (MAX_QUERY_CHARS + 1)}, f"limit is {MAX_QUERY_CHARS}"),
        ({"q": "점유", "k": 0}, "k:"),
        ({"q": "점유", "k": 101}, "k:"),
        ({"q": "점유", "k": "ten"}, "k:"),
        ({"q": "점유", "mode": "magic"}, "mode:"),
        ({"q": "점유", "law": "형법"}, "unknown law filter '형법'"),
        ({"q": "점유", "kind": "조례"}, "unknown kind filter"),
        ({"q": "점유", "mode": "dense"}, "no dense vectors"),
    ],
)
def test_bad_parameters_are_400_with_one_line(client, params, fragment):
    assert fragment in _error(client.get("/api/search", params=params), 400)


def test_article_by_url_encoded_key(client):
    r = client.get("/api/articles/" + quote("민법 제194조"))
    assert r.status_code == 200
    body = r.json()
    assert body["key"] == "민법 제194조" and body["title"] == "간접점유" and "점유권" in body["text"]
    assert body["citation"] == "「민법」 제194조(간접점유)"
    assert client.get("/api/articles/민법 제194조").json()["key"] == "민법 제194조"  # unencoded works too
    assert "민법 제9999조" in _error(client.get("/api/articles/" + quote("민법 제9999조")), 404)


def test_health_meta_docs(client):
    h = client.get("/healthz").json()
    assert h["status"] == "ok" and h["generation"].startswith("gen-") and h["articles"] == 15
    meta = client.get("/api/meta").json()
    assert set(meta["laws"]) == {"민법", "상법", "민법 시행령"} and "법률" in meta["kinds"]
    spec = client.get("/openapi.json").json()
    assert {"/api/search", "/api/articles/{key}", "/healthz"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200


def test_docs_without_a_cdn(client):
    """/docs is Swagger UI from local files (swagger-ui-bundle): no http(s) host; every file it names is served."""
    import json
    import re

    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert not re.search(r"https?://", r.text), re.findall(r"https?://[^\s'\"]+", r.text)
    refs = re.findall(r'(?:src|href)="([^"]+)"', r.text) + re.findall(r"url: '([^']+)'", r.text)
    assert "/static/swagger/swagger-ui-bundle.js" in refs and "/static/swagger/swagger-ui.css" in refs
    assert "/openapi-3.0.json" in refs  # Swagger UI 4.15 renders OpenAPI 3.0 only; /openapi.json stays 3.1
    doc = client.get("/openapi-3.0.json").json()
    assert doc["openapi"].startswith("3.0.") and client.get("/openapi.json").json()["openapi"].startswith("3.1")
    assert set(doc["paths"]) == set(client.get("/openapi.json").json()["paths"])
    assert '"type": "null"' not in json.dumps(doc) and '"type":"null"' not in json.dumps(doc)
    law = next(p for p in doc["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "law")
    assert law["schema"]["type"] == "string" and law["schema"]["nullable"] is True
    for ref in refs:
        got = client.get(ref)
        assert got.status_code == 200, ref
    js = client.get("/static/swagger/swagger-ui-bundle.js")
    assert js.headers["content-type"].startswith("text/javascript") and b"SwaggerUIBundle" in js.content
    assert client.get("/static/swagger/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert client.get("/redoc").status_code == 404  # ReDoc loads from a CDN: off
    for path in ["/static/swagger/index.html", "/static/swagger/..%2f..%2fapp.py", "/static/swagger/swagger-initializer.js",
                 "/static/swagger/", "/static/swagger/%2e%2e%2f__init__.py"]:
        assert client.get(path).status_code == 404, path


def test_page_and_static_files_only(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="ko">' in r.text and '<meta charset="utf-8">' in r.text
    assert "http://" not in r.text and "https://" not in r.text  # no CDN: works without internet
    for name, ctype in [("app.js", "text/javascript"), ("app.css", "text/css")]:
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(ctype)
        assert "https://" not in r.text
    for path in ["/static/..%2fapp.py", "/static/%2e%2e%2f%2e%2e%2fconfig.py", "/static/../app.py",
                 "/static/app.py", "/static/", "/etc/passwd", "/static/..%5c..%5capp.py"]:
        assert client.get(path).status_code == 404, path


def test_bearer_token(index, live, monkeypatch):
    c = TestClient(create_app(live, token="s3cret"))
    r = c.get("/api/search", params={"q": "점유"})
    assert "bearer token" in _error(r, 401) and r.headers["www-authenticate"] == "Bearer"
    _error(c.get("/api/search", params={"q": "점유"}, headers={"Authorization": "Bearer wrong"}), 401)
    _error(c.get("/api/articles/" + quote("민법 제194조")), 401)
    ok = c.get("/api/search", params={"q": "점유"}, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and ok.json()["hits"]
    assert c.get("/healthz").status_code == 200 and c.get("/").status_code == 200  # page and health stay open
    monkeypatch.setenv("LEGALRET_TOKEN", "from-env")
    assert server_token() == "from-env"
    monkeypatch.setenv("LEGALRET_TOKEN", "")
    assert server_token() is None


def test_explain_gives_the_precedents_behind_a_hit_as_fields(tmp_path):
    """With explain=1 each hit lists the earlier decisions that voted for it — from the holdings memory and
    the facts memory — as fields the page shows (not parsed back out of the explain lines)."""
    from test_facts import FACTS, PRECEDENTS, SCENARIO

    from legalret import pipeline
    from legalret.precedents.facts import read_facts

    idx = tmp_path / "idx"
    pipeline.build(sup.articles(), idx, model="none", precedents=PRECEDENTS, facts=read_facts(FACTS, on_error=lambda e: None))
    c = TestClient(create_app(LiveSearcher(idx)))
    body = c.get("/api/search", params={"q": SCENARIO, "k": 5, "explain": 1}).json()
    assert body["mode"] == "hybrid"  # BM25 + memories fuse (no vectors needed)
    hit = next(h for h in body["hits"] if h["key"] == "민법 제320조")
    facts = [p for p in hit["precedents"] if p["matched"] == "facts"]
    assert facts and facts[0]["case_no"] == "2018다2002" and facts[0]["decided"] == "2018-05-02"
    assert "수리" in facts[0]["text"] and 0 < facts[0]["similarity"] <= 1
    assert all(set(p) == {"case_no", "decided", "index", "text", "similarity", "matched", "excerpt"} for p in hit["precedents"])
    plain = c.get("/api/search", params={"q": SCENARIO, "k": 5}).json()
    assert all(h["precedents"] == [] for h in plain["hits"])  # fields come with explain only


def test_docs_without_swagger_files_is_a_clear_404(live, monkeypatch):
    import legalret.serve.app as app_mod

    monkeypatch.setattr(app_mod, "swagger_dir", lambda: None)
    c = TestClient(create_app(live))
    assert "swagger-ui-bundle" in _error(c.get("/docs"), 404)
    _error(c.get("/static/swagger/swagger-ui-bundle.js"), 404)
    assert c.get("/openapi.json").status_code == 200  # the schema stays
