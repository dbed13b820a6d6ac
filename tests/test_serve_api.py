"""The HTTP API's contract: status codes, JSON shape, one-line errors, the token, static files only."""

import json
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


def test_query_string_escapes_that_are_not_utf8_are_one_line(client):
    """`?q=%ED%95%B4%EA` (a UTF-8 escape cut off) was searched as "해�" and answered "no searchable words"; the same
    bytes sent by POST got a clear 400. A cp949 escape is named the same way."""
    for raw, byte in (("q=%ED%95%B4%EA", "0xea"), ("q=%C7%FC%B9%FD&k=3", "0xc7")):
        r = client.get(f"/api/search?{raw}")
        assert r.status_code == 400 and r.json()["error"].startswith(f"q: not UTF-8 (byte {byte} at position")
        assert "\n" not in r.json()["error"]
    assert client.get("/api/search?q=%ED%95%B4&law=%EB%AF%BC%EB%B2%95").status_code == 200  # 해, 민법
    # … in an article's path too (it was a 404 naming '�'); a repeated q is refused (the last had been searched)
    r = client.get("/api/articles/%FF")
    assert r.status_code == 400 and "not UTF-8" in r.json()["error"]
    r = client.get("/api/search?q=%EC%A0%90%EC%9C%A0&q=%EC%9C%A0%EC%B9%98%EA%B6%8C")
    assert r.status_code == 400 and r.json()["error"].startswith("q: given more than once")


def test_filters_and_exact_citation(client):
    r = client.get("/api/search", params={"q": "보험계약 해지", "law": "상법"})
    assert r.status_code == 200
    assert r.json()["hits"] and {h["law"] for h in r.json()["hits"]} == {"상법"}
    r = client.get("/api/search", params={"q": "민법 제750조", "k": 1})
    hit = r.json()["hits"][0]
    assert hit["key"] == "민법 제750조" and "citation" in hit["ranks"]
    r = client.get("/api/search", params={"q": "점유", "kind": "시행령"})
    assert {h["kind"] for h in r.json()["hits"]} <= {"시행령"}
    # law= repeated is both laws, as the comma-separated list is (the last one alone had been kept, without a word)
    repeated = client.get("/api/search", params=[("q", "점유 보험"), ("k", 20), ("mode", "bm25"), ("law", "민법"), ("law", "상법")])
    listed = client.get("/api/search", params={"q": "점유 보험", "k": 20, "mode": "bm25", "law": "민법,상법"})
    assert [h["key"] for h in repeated.json()["hits"]] == [h["key"] for h in listed.json()["hits"]]
    assert {h["law"] for h in repeated.json()["hits"]} == {"민법", "상법"}


def test_hanja_law_filters_and_a_range_written_high_end_first(client, live):
    """law=民法 was "unknown law filter '民法'" though q=民法 第750條 is read: the filter reads Hanja as the query does
    (GET and POST alike); a range written high end first is the range, with the notice check_citation gives too."""
    from legalret.serve.statutes import StatuteService

    params = {"q": "점유 보험", "k": 20, "mode": "bm25"}
    hangul = client.get("/api/search", params={**params, "law": "민법,상법"}).json()
    hanja = client.get("/api/search", params={**params, "law": "民法,商法"})
    assert hanja.status_code == 200 and [h["key"] for h in hanja.json()["hits"]] == [h["key"] for h in hangul["hits"]]
    posted = client.post("/api/search", json={**params, "law": ["商法"]})
    assert posted.status_code == 200 and {h["law"] for h in posted.json()["hits"]} == {"상법"}
    assert "unknown law filter '刑法' (형법)" in _error(client.get("/api/search", params={"q": "점유", "law": "刑法"}), 400)
    body = client.get("/api/search", params={"q": "민법 제751조 내지 제750조", "mode": "bm25"}).json()
    checked = StatuteService(live).check_citations("민법 제751조 내지 제750조")
    assert [h["key"] for h in body["hits"]] == [c["key"] for c in checked["citations"]] == ["민법 제750조", "민법 제751조"]
    notice = "the cited range '민법 제751조 내지 제750조' is written high end first: read as 민법 제750조–제751조"
    assert notice in body["notices"] and notice in checked["notices"]


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"q": ""}, "empty query"),
        ({"q": "   "}, "empty query"),
        ({}, "q:"),
        ({"q": "점유", "k": 0}, "k must be between 1 and 100 (got 0)"),
        ({"q": "점유", "k": 101}, "k must be between 1 and 100 (got 101)"),
        ({"q": "점유", "k": "ten"}, "k:"),
        ({"q": "점유", "mode": "magic"}, "mode:"),
        ({"q": "점유", "law": "형법"}, "unknown law filter '형법'"),
        ({"q": "점유", "kind": "조례"}, "unknown kind filter"),
        ({"q": "점유", "mode": "dense"}, "no dense vectors"),
    ],
)
def test_bad_parameters_are_400_with_one_line(client, params, fragment):
    assert fragment in _error(client.get("/api/search", params=params), 400)


def test_statute_service_checks_a_search_request_like_the_api(client, live):
    """One check (search.response.request_error) for the API and StatuteService (MCP, LangChain): the same
    message, the query's field named as each calls it."""
    from legalret.errors import LegalretError
    from legalret.search.response import request_error
    from legalret.serve.statutes import StatuteService

    svc = StatuteService(live)
    for q, k, mode in (("   ", 10, "hybrid"), ("점유", 0, "hybrid"), ("점유", 101, "bm25"), ("점유", 10, "magic")):
        api = _error(client.get("/api/search", params={"q": q, "k": k, "mode": mode}), 400)
        assert api == request_error(q, k, mode)
        with pytest.raises(LegalretError) as e:
            svc.search(q, k=k, mode=mode)
        assert str(e.value) == request_error(q, k, mode, query_field="query") == api.replace("q: ", "query: ", 1)
    assert request_error("점유", 10, "bm25") is None and svc.search(" 점유 ", k=1, mode="bm25")["query"] == "점유"


def test_an_article_written_as_people_type_it(client, live):
    """StatuteService.article reads a key with the query's citation rules (no rules of its own): "민법750" and
    "민법 750" are 민법 제750조, and a search for "민법750" puts that article first, cited."""
    from legalret.serve.statutes import StatuteService

    svc = StatuteService(live)
    for written in ("민법750", "민법 750", "민법 제750조", "민법 제 750", "민법750조"):
        assert svc.article(written)["key"] == "민법 제750조", written
    assert svc.article("상법651의2")["title"] == svc.article("상법 제651조의2")["title"] == "서면에 의한 질문의 효력"
    hit = client.get("/api/search", params={"q": "민법750", "k": 3}).json()["hits"][0]
    assert hit["key"] == "민법 제750조" and "citation" in hit["ranks"]


def test_article_by_url_encoded_key(client):
    r = client.get("/api/articles/" + quote("민법 제194조"))
    assert r.status_code == 200
    body = r.json()
    assert body["key"] == "민법 제194조" and body["title"] == "간접점유" and "점유권" in body["text"]
    assert body["citation"] == "「민법」 제194조(간접점유)"
    assert client.get("/api/articles/민법 제194조").json()["key"] == "민법 제194조"  # unencoded works too
    assert "민법 제9999조" in _error(client.get("/api/articles/" + quote("민법 제9999조")), 404)


def test_article_endpoint_reads_keys_as_get_article_does(client, live):
    """GET /api/articles/민법%20750 was a 404 while the MCP get_article("민법 750") answered: both now read the key
    with one resolver (statutes.find_article); a key that names no article stays one JSON 404."""
    from legalret.serve.statutes import StatuteService

    svc = StatuteService(live)
    for written in ("민법 750", "민법750", "민법 제 750", "민법750조", "상법651의2", " 민법 제750조 "):
        r = client.get("/api/articles/" + quote(written))
        assert r.status_code == 200, (written, r.text)
        assert r.json()["key"] == svc.article(written)["key"], written
    assert client.get("/api/articles/" + quote("민법 750")).json()["key"] == "민법 제750조"
    assert _error(client.get("/api/articles/" + quote("민법 9999")), 404) == (
        "no article '민법 제9999조' in this index: 민법 as indexed has no such article (its last is 제751조)")
    assert _error(client.get("/api/articles/" + quote("아무거나")), 404) == "no article '아무거나' in this index"
    assert "key: empty" in _error(client.get("/api/articles/" + quote("  ")), 400)
    assert "key: 201 characters" in _error(client.get("/api/articles/" + "가" * 201), 400)
    # two articles, or an article with no law: said so (both had been "no article '…' in this index")
    assert _error(client.get("/api/articles/" + quote("민법 제750조, 민법 제194조")), 400) == (
        "key: names 2 articles (민법 제750조, 민법 제194조); give one, or search for the citation to list each (MCP: "
        "check_citation)")
    assert "'제750조' names no law" in _error(client.get("/api/articles/" + quote("제750조")), 400)


@pytest.mark.parametrize(
    "body, headers, expected",
    [
        (b'{"q":', {"content-type": "application/json"}, "invalid JSON body at character 5: Expecting value"),
        (b'{"q": "x",}', {"content-type": "application/json"},
         "invalid JSON body at character 10: Expecting property name enclosed in double quotes"),
        ('{"q": "유치권"}'.encode("cp949"), {"content-type": "application/json"}, "body: not UTF-8 JSON"),
        (b'{"q": "x", "k": true}', {"content-type": "application/json"},
         "k: Input should be a number of hits (1–100), not true or false"),
        (b'{"q": "x", "k": false}', {"content-type": "application/json"}, "not true or false"),
        (b'[1]', {"content-type": "application/json"}, 'body: expected a JSON object such as {"q": "유치권", "k": 10}'),
        (b'{"q": "x"}', {"content-type": "application/x-www-form-urlencoded"},
         "body: sent as application/x-www-form-urlencoded, not read as JSON"),
        (b"", {}, "body: missing; POST /api/search takes a JSON object"),  # was "request: Field required"
    ],
)
def test_a_bad_post_body_is_one_plain_line(client, body, headers, expected):
    """A broken JSON body names the character where it breaks (was '5: JSON decode error', the offset shown as a
    field), a cp949 body says it is not UTF-8 (was 'There was an error parsing the body'), and k=true is refused
    (pydantic read it as k=1)."""
    message = _error(client.post("/api/search", content=body, headers=headers), 400)
    assert expected in message
    assert "JSON decode error" not in message and "error parsing the body" not in message


def test_a_body_over_the_limit_is_413_before_or_while_it_is_read(client):
    """A client could post gigabytes (a log file pasted as q): the server had read it all into memory. A declared
    length over the limit is refused before reading; a chunked body as soon as it passes the limit."""
    from legalret.serve.app import MAX_BODY_BYTES

    big = b'{"q": "' + b"a" * MAX_BODY_BYTES + b'"}'
    assert "request body over 1,048,576 bytes" in _error(
        client.post("/api/search", content=big, headers={"content-type": "application/json"}), 413)

    def chunks():  # no content-length: sent chunked
        yield b'{"q": "'
        for _ in range(40):
            yield b"a" * 65536
        yield b'"}'

    assert "request body over" in _error(
        client.post("/api/search", content=chunks(), headers={"content-type": "application/json"}), 413)
    # a long question under the limit is still answered (cut, with a notice)
    long = client.post("/api/search", json={"q": "유치권 간접점유 " * 2000, "k": 2})
    assert long.status_code == 200 and long.json()["hits"]

def test_numbers_in_a_post_body_still_work(client):
    assert client.post("/api/search", json={"q": "점유", "k": 2}).status_code == 200
    # null for what a client leaves out means the default, as for k (mode/explain null had been a 400)
    r = client.post("/api/search", json={"q": "점유", "k": None, "mode": None, "explain": None})
    assert r.status_code == 200 and r.json()["mode"] == client.post("/api/search", json={"q": "점유"}).json()["mode"]
    assert _error(client.post("/api/search", json={"q": "점유", "k": "ten"}), 400).startswith("k: ")
    assert _error(client.get("/api/search", params={"q": "점유", "k": "true"}), 400).startswith("k: ")


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
    assert law["schema"]["type"] == "array" and law["schema"]["items"]["type"] == "string"  # law= may be repeated
    assert law["schema"]["nullable"] is True
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
    from test_facts import SCENARIO, build_with_memories


    idx = tmp_path / "idx"
    build_with_memories(idx)
    c = TestClient(create_app(LiveSearcher(idx)))
    body = c.get("/api/search", params={"q": SCENARIO, "k": 5, "explain": 1}).json()
    assert body["mode"] == "hybrid"  # BM25 + memories fuse (no vectors needed)
    hit = next(h for h in body["hits"] if h["key"] == "민법 제320조")
    facts = [p for p in hit["precedents"] if p["matched"] == "facts"]
    assert facts and facts[0]["case_no"] == "2018다2002" and facts[0]["decided"] == "2018-05-02"
    assert "수리" in facts[0]["text"] and 0 < facts[0]["similarity"] <= 1
    assert all(set(p) == {"case_no", "decided", "index", "text", "similarity", "matched", "excerpt", "url"}
               for p in hit["precedents"])
    plain = c.get("/api/search", params={"q": SCENARIO, "k": 5}).json()
    assert all(h["precedents"] == [] for h in plain["hits"])  # fields come with explain only
    # the decisions a query names come from the text searched: past the 4,000-character cut, none
    named = c.post("/api/search", json={"q": "2018다2002 판결", "k": 3}).json()
    assert [d["case_no"] for d in named["decisions"]] == ["2018다2002"]
    cut = c.post("/api/search", json={"q": "유치권 " * 1000 + "2018다2002 판결", "k": 3}).json()
    assert cut["decisions"] == [] and any("cut" in n for n in cut["notices"])


def test_docs_without_swagger_files_is_a_clear_404(live, monkeypatch):
    import legalret.serve.app as app_mod

    monkeypatch.setattr(app_mod, "swagger_dir", lambda: None)
    c = TestClient(create_app(live))
    assert "swagger-ui-bundle" in _error(c.get("/docs"), 404)
    _error(c.get("/static/swagger/swagger-ui-bundle.js"), 404)
    assert c.get("/openapi.json").status_code == 200  # the schema stays


# ---- issue 21: one limit and one note everywhere, HEAD, 405 Allow, JSON 414, next request on the new generation


def test_long_query_is_cut_with_the_same_note_by_get_and_post(client):
    from legalret.config import query_cut_note

    long_query = "유치권 간접점유 " * 700  # 5,600 characters: above the 4,000 limit, a pasted judgment's size
    for r in (client.get("/api/search", params={"q": long_query, "k": 2}),
              client.post("/api/search", json={"q": long_query, "k": 2})):
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["query"]) == MAX_QUERY_CHARS == 4000
        assert query_cut_note(len(long_query.strip())) in body["notices"] and body["hits"]
    ok = client.post("/api/search", json={"q": "가" * 3999 + "점", "k": 1})  # under the limit: no note, no error
    assert ok.status_code == 200 and not any("cut" in n for n in ok.json()["notices"])


def test_k_limit_is_one_message_in_api_and_cli(client, index):
    from typer.testing import CliRunner

    from legalret.cli import app
    from legalret.config import k_error

    api = _error(client.get("/api/search", params={"q": "점유", "k": 100000}), 400)
    assert api == k_error(100000) == "k must be between 1 and 100 (got 100000)"
    assert _error(client.post("/api/search", json={"q": "점유", "k": 100000}), 400) == api
    r = CliRunner().invoke(app, ["search", "점유", "--index", str(index), "-k", "100000"],
                           env={"LEGALRET_RESIDENT": "off", "LEGALRET_SERVER": ""})
    assert str(r.exception) == api  # the CLI says exactly the same, instead of 100 hits without a word


def test_nonsense_query_says_nothing_matched_and_notes_come_once(client):
    body = client.get("/api/search", params={"q": "퀘이사르프로브 블라쿠쿠"}).json()
    assert any(n.startswith("nothing in the query matched this index") and "'퀘이사르프로브'" in n for n in body["notices"])
    body = client.get("/api/search", params={"q": "유치권 간접점유"}).json()
    assert not any("matched" in n for n in body["notices"])
    body = client.get("/api/search", params={"q": "제753조 제753조 제753조 제753조 손해배상"}).json()
    assert body["notices"].count("'제753조' names no law; write it as e.g. '민법 제753조'") == 1
    assert len(body["notices"]) == len(set(body["notices"]))


def test_the_request_after_an_add_answers_from_the_new_generation(tmp_path):
    """Issue 21 (4): the reload ran in the background and the next searches still answered from the previous
    generation. Now the request that sees CURRENT move waits for the new one (here: a slow 0.5 s load)."""
    import time

    from legalret.index import add_to_index
    from legalret.search.searcher import Searcher

    idx = tmp_path / "idx"
    arts = sup.articles()
    build_index(arts, idx, model="none")

    def slow(index_dir):
        time.sleep(0.5)
        return Searcher(index_dir)

    live = LiveSearcher(idx, factory=slow, warm=False)
    c = TestClient(create_app(live))
    before = c.get("/api/search", params={"q": "간접점유"}).json()["generation"]
    changed = [sup.amended(a, "반려견이 사람에게 손해를 가한 때에는 점유자가 배상할 책임이 있다.") if a.key == "민법 제751조" else a
               for a in arts]
    add_to_index(changed, idx)
    current = json.loads((idx / "CURRENT").read_text())["generation"]
    assert current != before
    assert c.get("/healthz").json()["generation"] in (before, current)  # a liveness probe never blocks
    body = c.get("/api/search", params={"q": "반려견 손해 배상"}).json()
    assert body["generation"] == current and body["hits"][0]["key"] == "민법 제751조"
    assert "반려견" in body["hits"][0]["text"]
    assert c.get("/healthz").json()["generation"] == current


def test_head_405_and_request_line_limits_on_a_real_uvicorn(index):
    """HEAD answers like GET without a body; 405 names Allow; a URL over the server's limit is a JSON 414 the client
    can read (not a plain-text 'Invalid HTTP request' and a reset connection); a 100k-character GET is cut."""
    import http.client
    import socket

    from legalret.serve.protocol import MAX_REQUEST_BYTES
    from legalret.serve.server import BackgroundServer

    with BackgroundServer(index, warm=False) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        for path in ("/healthz", "/api/search?q=%EC%A0%90%EC%9C%A0", "/"):
            conn.request("HEAD", path)
            r = conn.getresponse()
            assert r.status == 200 and r.read() == b"", path
            assert int(r.getheader("content-length")) > 0
        conn.request("DELETE", "/healthz")
        r = conn.getresponse()
        assert r.status == 405 and r.getheader("allow") == "GET, HEAD"
        assert json.loads(r.read())["status"] == 405
        conn.request("DELETE", "/api/search?q=x")  # both of the path's routes (it said GET, HEAD: not POST)
        r = conn.getresponse()
        assert r.status == 405 and r.getheader("allow") == "GET, POST, HEAD"
        r.read()

        conn.request("GET", "/api/search?q=" + quote("가나다 " * 25_000) + "&k=1")  # 100,000 characters, ~900 kB
        r = conn.getresponse()
        body = json.loads(r.read())
        assert r.status == 200 and len(body["query"]) == MAX_QUERY_CHARS
        assert any("query cut to its first 4,000 of" in n for n in body["notices"])
        conn.close()

        def raw(request: bytes) -> tuple[bytes, dict]:
            with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
                s.sendall(request)
                s.shutdown(socket.SHUT_WR)
                reply = b""
                while chunk := s.recv(65536):
                    reply += chunk
            head, _, payload = reply.partition(b"\r\n\r\n")
            assert b"content-type: application/json" in head.lower(), head
            return head, json.loads(payload)

        huge = b"GET /api/search?q=" + quote("가" * 250_000).encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        assert len(huge) > MAX_REQUEST_BYTES
        head, error = raw(huge)
        assert head.startswith(b"HTTP/1.1 414 Request-URI Too Long") and error["status"] == 414
        assert "POST /api/search" in error["error"] and "\n" not in error["error"]
        head, error = raw(b"\x16\x03\x01 hello\r\n\r\n")  # not HTTP at all (a TLS hello): JSON 400
        assert head.startswith(b"HTTP/1.1 400") and error["status"] == 400 and "invalid HTTP request" in error["error"]
        # Korean sent unencoded (curl "…?law=형법"): plain words, not h11's bytearray(b'…') repr
        head, error = raw("GET /api/search?q=x&law=형법 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert head.startswith(b"HTTP/1.1 400") and error["status"] == 400
        assert "percent-encode the query string as UTF-8" in error["error"] and "형법 → %ED%98%95%EB%B2%95" in error["error"]
        assert "bytearray" not in error["error"] and "\\x" not in error["error"] and "\n" not in error["error"]


@pytest.mark.parametrize(
    "request_bytes, expected",
    [
        ("GET /api/search?q=x&law=형법 HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
         "invalid HTTP request: the request line has bytes a URL may not carry (here: 형법 → %ED%98%95%EB%B2%95); "
         "percent-encode the query string as UTF-8"),
        (b"GET /api/search?q=a b HTTP/1.1\r\nHost: x\r\n\r\n", "(here: a space → %20)"),
        ("GET /api/search?q=형법 HTTP/1.1\r\n\r\n".encode("cp949"), "(here: byte 0xc7)"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", "invalid HTTP request (illegal header line)"),
        (b"\x16\x03\x01 hello\r\n\r\n", "invalid HTTP request (illegal request line)"),
    ],
)
def test_protocol_rejections_are_plain_words(request_bytes, expected):
    """What the protocol layer says for a request no route sees: never the bytes as a Python repr."""
    import h11

    from legalret.serve.protocol import rejection

    conn = h11.Connection(h11.SERVER)
    conn.receive_data(request_bytes)
    with pytest.raises(h11.RemoteProtocolError) as e:
        conn.next_event()
    assert "bytearray" in str(e.value)  # what h11 says …
    status, message = rejection(e.value, True)
    assert status == 400 and expected in message and message.startswith("invalid HTTP request")
    assert "bytearray" not in message and "\\x" not in message  # … and what the client reads


def test_the_client_falls_back_to_get_on_a_server_without_post(index):
    """A resident server started by an older legalret (GET only) still answers the new CLI."""
    from fastapi import FastAPI

    from legalret.serve.client import ServerClient
    from legalret.serve.server import BackgroundServer

    with BackgroundServer(index, warm=False) as srv:
        app: FastAPI = srv.app
        app.router.routes = [r for r in app.router.routes if not (getattr(r, "path", "") == "/api/search"
                                                                  and "POST" in getattr(r, "methods", ()))]
        res = ServerClient(srv.url).search("간접점유 점유권", k=2, law="민법", explain=True)
        assert res["hits"][0]["key"] == "민법 제194조" and len(res["hits"]) <= 2


def test_healthz_answers_while_every_worker_thread_searches(index, monkeypatch):
    """/healthz shared the worker threads with the searches: under 60 concurrent long searches a probe waited 17 s
    (a load balancer's 2–5 s check would take the busy replica out). It answers on the event loop now."""
    import threading
    import time

    import httpx

    import legalret.serve.app as app_module
    from legalret.serve.server import BackgroundServer

    release = threading.Event()
    real = app_module._search

    def slow(*args, **kwargs):  # every worker thread held, as by long searches
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(app_module, "_search", slow)
    with BackgroundServer(index, warm=False) as srv:
        searches = [threading.Thread(target=lambda: httpx.get(srv.url + "/api/search", params={"q": "점유"}, timeout=60))
                    for _ in range(48)]  # more than anyio's 40 worker threads
        for t in searches:
            t.start()
        time.sleep(1.0)
        try:
            t0 = time.perf_counter()
            # a probe stuck behind the held workers would wait for release (30 s), so 8 s tells the two apart; it had
            # been 2 s, which a loaded 2-core machine's thread start-up and connection set-up alone passed (3.5 s)
            r = httpx.get(srv.url + "/healthz", timeout=10)
            assert r.status_code == 200 and r.json()["status"] == "ok" and time.perf_counter() - t0 < 8
        finally:
            release.set()
            for t in searches:
                t.join(60)
