"""Session 19: unknown request fields are refused, and a hit is rated in one place.

* ``POST /api/search {"q": "유치권", "top_k": 3}`` or ``{"q": …, "laws": "상법"}`` had been answered with the defaults
  (10 hits, every law) without a word: now a 400 naming the field, the accepted ones and a did-you-mean — on GET's
  query parameters and the other ``/api/`` routes too (a name starting with ``_``, a cache-buster, aside), and on the
  MCP tools' arguments;
* ``legalret.serve.wording.lawyer_view`` no longer rates a hit that comes without ``relevance``: the searcher does
  (:func:`legalret.search.relevance.rate_hits`), from the hits' fields with ``to_dict``'s rounding (``Hit.numbers``), without a
  ``to_dict()`` per hit.
"""

import re
import sys
from pathlib import Path

import anyio
import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.index import build_index  # noqa: E402
from legalret.serve.app import SEARCH_PARAMS, SearchRequest, create_app, did_you_mean  # noqa: E402
from legalret.serve.live import LiveSearcher  # noqa: E402

FIELDS = "q, k, law, kind, mode, explain"
APP_JS = Path(__file__).parents[1] / "legalret" / "serve" / "static" / "app.js"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    idx = tmp_path_factory.mktemp("serve_s19") / "idx"
    build_index(sup.articles(), idx, model="none")
    return LiveSearcher(idx)


@pytest.fixture(scope="module")
def client(live):
    return TestClient(create_app(live))


def _error(r, status: int = 400) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "status"} and body["status"] == status and "\n" not in body["error"]
    return body["error"]


# ---- POST /api/search's body --------------------------------------------------------------------------------------
def test_a_misspelt_field_of_the_body_is_refused_with_a_did_you_mean(client):
    assert _error(client.post("/api/search", json={"q": "유치권", "top_k": 3})) == (
        f"top_k: not a field of POST /api/search's body (did you mean k?); its fields: {FIELDS}")
    assert _error(client.post("/api/search", json={"q": "유치권", "laws": "상법"})) == (
        f"laws: not a field of POST /api/search's body (did you mean law?); its fields: {FIELDS}")
    # several at once, each named; one without a close name gets no guess
    said = _error(client.post("/api/search", json={"q": "유치권", "laws": "상법", "top_k": 3, "colour": "red"}))
    assert said == (f"laws, top_k, colour: not fields of POST /api/search's body (did you mean law for laws, k for "
                    f"top_k?); its fields: {FIELDS}")
    # the unknown field is said before another field's problem (it may be what the client meant)
    assert _error(client.post("/api/search", json={"q": "유치권", "k": True, "Kind": "법률"})).startswith(
        "Kind: not a field of POST /api/search's body (did you mean kind?)")


def test_the_body_without_q_is_said_as_before_and_underscored_fields_pass(client):
    assert _error(client.post("/api/search", json={"query": "유치권", "k": 3})) == (
        "q: Field required: the question goes in q; got query, which the API does not read "
        f"(its fields: {FIELDS})")
    ok = client.post("/api/search", json={"q": "유치권", "k": 2, "mode": "bm25", "_": 1700000000000, "_comment": "x"})
    assert ok.status_code == 200 and 0 < len(ok.json()["hits"]) <= 2
    # the body's schema says it: no other property
    schema = client.get("/openapi.json").json()["components"]["schemas"]["SearchRequest"]
    assert schema["additionalProperties"] is False and list(schema["properties"]) == FIELDS.split(", ")
    assert client.get("/openapi-3.0.json").status_code == 200


def test_a_query_string_on_post_is_refused(client):
    assert _error(client.post("/api/search?k=3", json={"q": "유치권"})) == (
        f"k: in the URL, which POST /api/search does not read; send the JSON body's fields instead ({FIELDS})")
    assert client.post("/api/search?_=17", json={"q": "유치권", "mode": "bm25"}).status_code == 200


# ---- GET parameters ------------------------------------------------------------------------------------------------
def test_an_unknown_get_parameter_is_refused_but_a_cache_buster_is_not(client):
    assert _error(client.get("/api/search", params={"q": "유치권", "top_k": 3})) == (
        f"top_k: not a parameter of GET /api/search (did you mean k?); its parameters: {FIELDS}")
    assert _error(client.get("/api/search", params={"q": "유치권", "laws": "상법"})).startswith(
        "laws: not a parameter of GET /api/search (did you mean law?)")
    # without q, the unknown parameter is the line to read (not "q: Field required" alone)
    assert _error(client.get("/api/search", params={"query": "유치권"})).startswith(
        "query: not a parameter of GET /api/search (did you mean q?)")
    for buster in ("_", "_t", "_ts"):
        r = client.get("/api/search", params={"q": "유치권", "k": 2, "mode": "bm25", buster: "1700000000000"})
        assert r.status_code == 200 and 0 < len(r.json()["hits"]) <= 2, buster
    assert client.head("/api/search", params={"q": "유치권", "top_k": 3}).status_code == 400


def test_the_other_api_routes_refuse_unknown_parameters_too(client):
    assert _error(client.get("/api/articles/민법 제750조", params={"date": "2020-01-01"})) == (
        "date: not a parameter of GET /api/articles/{key}; it takes no parameters")
    assert client.get("/api/articles/민법 제750조", params={"_": "1"}).status_code == 200
    assert _error(client.get("/api/meta", params={"x": "1"})) == "x: not a parameter of GET /api/meta; it takes no parameters"
    assert client.get("/api/meta", params={"_": "1"}).status_code == 200
    assert _error(client.get("/api/filters", params={"laws": "민법"})) == (
        "laws: not a parameter of GET /api/filters (did you mean law?); its parameters: law, kind")
    assert client.get("/api/filters", params={"law": "민법", "_t": "1"}).json()["law"] == ["민법"]
    # a probe and the page pass parameters over: a load balancer adding one must not take the server out
    assert client.get("/healthz", params={"probe": "1"}).status_code == 200
    assert client.get("/", params={"q": "유치권", "utm_source": "mail"}).status_code == 200


def test_the_token_is_asked_before_the_parameters(live):
    guarded = TestClient(create_app(live, token="s3cret"))
    assert guarded.get("/api/search", params={"q": "유치권", "top_k": 3}).status_code == 401


def test_did_you_mean():
    accepted = list(SearchRequest.model_fields)
    assert [did_you_mean(n, accepted) for n in ("top_k", "limit", "LAWS", "kinds", "query", "lwa", "explian", "colour")] \
        == ["k", "k", "law", "kind", "q", "law", "explain", None]
    assert did_you_mean("q", ["query", "k"]) == "query" and did_you_mean("query", ["text"]) == "text"


def test_the_page_sends_only_parameters_the_server_reads():
    """The page's searches (app.js params(): its fields, then explain) ask nothing the server now refuses; the
    real-browser tests (test_serve_browser, test_page_*) run them."""
    js = APP_JS.read_text(encoding="utf-8")
    body = js[js.index("function params()"):]
    body = body[: body.index("\n}\n")]
    names = re.search(r"for \(const name of \[([^\]]*)\]\)", body)[1]
    sent = {"q", *re.findall(r'"(\w+)"', names), *re.findall(r'p\.set\("(\w+)"', js)}
    assert sent <= set(SEARCH_PARAMS), sent - set(SEARCH_PARAMS)


# ---- MCP -----------------------------------------------------------------------------------------------------------
def test_an_unknown_mcp_argument_is_a_tool_error(live):
    pytest.importorskip("mcp")
    from mcp.server.mcpserver.exceptions import ToolError

    from legalret.serve.mcp_server import create_mcp_server

    server = create_mcp_server(live, warm=False)
    for tool, arguments, line in [
        ("search_statutes", {"query": "유치권", "top_k": 3},
         "top_k: not an argument of search_statutes (did you mean k?); its arguments: query, k, law, kind, mode"),
        ("search_statutes", {"q": "유치권"}, "q: not an argument of search_statutes (did you mean query?)"),
        ("get_article", {"key": "민법 750", "date": "2020"}, "date: not an argument of get_article; its arguments: key"),
        ("check_citation", {"query": "민법 제750조"}, "query: not an argument of check_citation (did you mean text?)"),
    ]:
        with pytest.raises(ToolError) as e:
            anyio.run(server.call_tool, tool, arguments)
        assert str(e.value).startswith(line), str(e.value)
    anyio.run(server.call_tool, "search_statutes", {"query": "유치권", "k": 2, "mode": "bm25"})  # (still answered)


# ---- one place that rates --------------------------------------------------------------------------------------------
def test_lawyer_view_rates_nothing_itself():
    from legalret.serve.wording import lawyer_view

    hit = lawyer_view([{"score": 2.0, "ranks": {"bm25": 1}, "reasons": ["bm25: rank 1, score 3.0000"]}])[0]
    assert "relevance" not in hit and hit["signals"][0]["label"] == "조문 본문 일치"
    kept = lawyer_view([{"score": 2.0, "ranks": {}, "reasons": [], "relevance": 41, "probability": 0.41}])[0]
    assert (kept["relevance"], kept["probability"]) == (41, 0.41)


def test_the_searcher_rates_from_the_printed_numbers_without_to_dict(live, monkeypatch):
    from legalret.search.relevance import rate
    from legalret.search.results import Hit

    article = sup.articles()[0]
    hit = Hit(key=article.key, score=1.23456789, article=article, ranks={"bm25": 2}, probability=0.1234564999)
    numbers = hit.numbers()
    shown = hit.to_dict()
    assert numbers == {"score": shown["score"], "ranks": shown["ranks"], "probability": shown["probability"]}
    searcher = live.get().searcher
    calls = []
    monkeypatch.setattr(Hit, "to_dict", lambda self, **kw: calls.append(self.key) or {})
    res = searcher.search("민법 제750조 불법행위 손해배상", k=5, mode="bm25")
    assert calls == [] and res  # (the search itself calls to_dict on no hit: the answer does, once)
    monkeypatch.undo()
    again = rate([h.to_dict() for h in res], learned=False, notices=res.notices)
    assert [(h.relevance, h.guess) for h in res] == [tuple(r) for r in again] and res[0].relevance == 100
