"""Session 19, a new user's remaining gaps after unknown request fields were refused (tests/test_serve_s19.py).

1. ``LegalretRetriever(laws="상법", top_k=1, …)`` had been accepted (LangChain's models pass over unknown fields) and
   then searched every law for 5 articles: a setting it lacks is one line now, naming it, with a did-you-mean — and
   ``invoke(q, top_k=3)`` (refused already) says the did-you-mean too.
2. After ``index add --rename`` (주택임대차보호법 → 주택임차인보호법), ``GET /api/articles/주택임대차보호법 제3조`` and MCP
   ``get_article`` answered 주택임차인보호법's article with ``notices: []``, where a search and ``check_citation`` say
   "law names read as renamed: …"; MCP ``list_laws(name="주택임대차보호법")`` answered ``matching: 0`` alone.
3. ``GET /api/search``: ``explain=maybe`` did not quote what was sent; ``k=1&k=2`` (or ``mode``, ``explain``) kept the
   last without a word; ``?q=x&=1`` was ": not a parameter …".
"""

import sys
from pathlib import Path

import anyio
import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.errors import LegalretError  # noqa: E402
from legalret.index import build_index  # noqa: E402
from legalret.serve.app import create_app  # noqa: E402
from legalret.serve.live import LiveSearcher  # noqa: E402

MULTILAW = Path(__file__).parent / "fixtures" / "multilaw"
LEASE = MULTILAW / "statutes" / "legalize-kr" / "주택임대차보호법" / "법률.md"
OLD, NEW = "주택임대차보호법", "주택임차인보호법"
READ_AS_RENAMED = f"law names read as renamed: {OLD} → {NEW} (index add --rename)"
SETTINGS = "index, server_url, token, k, law, kind, mode, content, name, tags, metadata"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    idx = tmp_path_factory.mktemp("serve_s19b") / "idx"
    build_index(sup.articles(), idx, model="none")
    return idx


@pytest.fixture(scope="module")
def client(index):
    return TestClient(create_app(LiveSearcher(index)))


def _error(r, status: int = 400) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "status"} and body["status"] == status and "\n" not in body["error"]
    return body["error"]


# ---- 1. the LangChain retriever's settings ----------------------------------------------------------------------------
def test_a_misspelt_retriever_setting_is_refused_with_a_did_you_mean():
    pytest.importorskip("langchain_core")
    from legalret.integrations.langchain import LegalretRetriever

    with pytest.raises(LegalretError) as e:
        LegalretRetriever(laws="상법", top_k=1, server_url="http://127.0.0.1:9")
    assert str(e.value) == (f"laws, top_k: not settings of LegalretRetriever (did you mean law for laws, k for "
                            f"top_k?); its settings: {SETTINGS}")
    with pytest.raises(LegalretError) as e:
        LegalretRetriever(index_dir="idx/")
    assert str(e.value) == f"index_dir: not a setting of LegalretRetriever (did you mean index?); its settings: {SETTINGS}"
    with pytest.raises(LegalretError) as e:
        LegalretRetriever(colour="red")
    assert str(e.value) == f"colour: not a setting of LegalretRetriever; its settings: {SETTINGS}"
    # its own settings and LangChain's are taken as before (nothing is opened until the first call)
    kept = LegalretRetriever(server_url="http://127.0.0.1:9", k=2, law="상법", tags=["legal"], metadata={"a": 1})
    assert (kept.k, kept.law, kept.tags) == (2, "상법", ["legal"])


def test_a_misspelt_per_call_setting_says_the_did_you_mean():
    pytest.importorskip("langchain_core")
    from legalret.integrations.langchain import LegalretRetriever

    retriever = LegalretRetriever(server_url="http://127.0.0.1:9")  # (refused before the server is asked)
    with pytest.raises(LegalretError) as e:
        retriever.invoke("보험계약 해지", top_k=3)
    assert str(e.value) == "top_k: not a search setting (did you mean k?); per call give k, law, kind, mode"
    with pytest.raises(LegalretError) as e:
        retriever.invoke("보험계약 해지", colour="red")
    assert str(e.value) == "colour: not a search setting; per call give k, law, kind, mode"


# ---- 2. an old name of a renamed law ---------------------------------------------------------------------------------
def _renamed_file(where: Path) -> Path:
    """The fixture's 주택임대차보호법 titled 주택임차인보호법, under the same 법령ID (as tests/test_renamed_law_s18.py)."""
    text = LEASE.read_text(encoding="utf-8")
    text = text.replace(f"제목: {OLD}\n", f"제목: {NEW}\n", 1).replace(f"\n# {OLD}\n", f"\n# {NEW}\n", 1)
    path = where / f"{NEW}.md"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    """An index of 민법 and 주택임대차보호법 (BM25 only), the latter then renamed 주택임차인보호법 (``--rename``)."""
    from legalret import pipeline
    from legalret.ingest import ingest

    where = tmp_path_factory.mktemp("serve_s19b_renamed")
    idx = where / "idx"
    build_index(ingest([str(MULTILAW / "statutes")], laws=["민법", OLD]).articles, idx, model="none")
    pipeline.add(ingest([str(_renamed_file(where))]).articles, idx, rename=True)
    return LiveSearcher(idx)


def test_an_article_asked_by_the_old_name_says_it_was_read_as_renamed(renamed):
    client = TestClient(create_app(renamed))
    got = client.get(f"/api/articles/{OLD} 제4조")
    assert got.status_code == 200, got.text
    assert got.json()["key"] == f"{NEW} 제4조" and got.json()["notices"] == [READ_AS_RENAMED]  # (was [])
    # the search says it in the same words; the new name, or the key itself, says nothing
    searched = client.get("/api/search", params={"q": f"{OLD} 제4조", "mode": "bm25", "k": 1}).json()
    assert READ_AS_RENAMED in searched["notices"]
    for key in (f"{NEW} 제4조", f"{NEW} 4"):
        assert client.get(f"/api/articles/{key}").json()["notices"] == [], key
    # with a paragraph the article lacks: both said
    both = client.get(f"/api/articles/{OLD} 제4조 제9항").json()
    assert both["notices"] == [READ_AS_RENAMED, f"cited article {NEW} 제4조 has no 제9항"]


def test_mcp_get_article_and_list_laws_say_the_rename(renamed):
    pytest.importorskip("mcp")
    from legalret.serve.mcp_server import create_mcp_server

    server = create_mcp_server(renamed, warm=False)

    def call(tool, arguments):
        return anyio.run(server.call_tool, tool, arguments).structured_content

    article = call("get_article", {"key": f"{OLD} 4"})
    assert article["key"] == f"{NEW} 제4조" and article["notices"] == [READ_AS_RENAMED]
    assert READ_AS_RENAMED in call("check_citation", {"text": f"{OLD} 제4조"})["notices"]  # (its words already)
    listed = call("list_laws", {"name": OLD})
    assert listed["matching"] == 0 and listed["laws"] == []
    assert listed["notices"] == [f"{OLD} was renamed {NEW} (index add --rename); this index holds it under that name"]
    # a part of the old name only: said as well; a name the new one matches, or none, says nothing
    assert call("list_laws", {"name": "임대차"})["notices"] == listed["notices"]
    matched = call("list_laws", {"name": "보호법"})
    assert (matched["matching"], matched["notices"]) == (1, []) and matched["laws"][0]["law"] == NEW
    assert call("list_laws", {})["notices"] == []
    # an argument with an empty name is named readably, as the HTTP API names one
    from mcp.server.mcpserver.exceptions import ToolError

    with pytest.raises(ToolError) as e:
        anyio.run(server.call_tool, "list_laws", {"": 1})
    assert str(e.value) == "an empty argument name: not an argument of list_laws; its arguments: name, limit"


# ---- 3. GET /api/search's parameters ---------------------------------------------------------------------------------
def test_a_bad_parameter_value_is_quoted(client):
    assert _error(client.get("/api/search", params={"q": "유치권", "explain": "maybe"})) == (
        'explain: Input should be a valid boolean, unable to interpret input (got "maybe")')
    assert _error(client.get("/api/search", params={"q": "유치권", "k": "many"})).endswith('(got "many")')
    assert _error(client.get("/api/search", params={"q": "유치권", "k": ""})).endswith('(got "")')
    # a JSON body's text is quoted as JSON; true/false says it already, a missing q has no value to quote
    assert _error(client.post("/api/search", json={"q": "유치권", "explain": "maybe"})).endswith('(got "maybe")')
    assert "(got" not in _error(client.post("/api/search", json={"q": "유치권", "k": True}))
    assert _error(client.get("/api/search")) == "q: Field required"


@pytest.mark.parametrize("params, line", [
    ([("k", "1"), ("k", "2")], "k: given more than once (k=1, k=2); give it once"),
    ([("mode", "bm25"), ("mode", "dense")], "mode: given more than once (mode=bm25, mode=dense); give it once"),
    ([("explain", "1"), ("explain", "0")], "explain: given more than once (explain=1, explain=0); give it once"),
    # the second one no number: still the repeat that is said (which k was meant?)
    ([("k", "1"), ("k", "x")], "k: given more than once (k=1, k=x); give it once"),
])
def test_a_repeated_single_parameter_is_refused(client, params, line):
    assert _error(client.get("/api/search", params=[("q", "유치권"), *params])) == line
    # (was: the last one kept, without a word)


def test_law_and_kind_may_still_be_repeated(client):
    ok = client.get("/api/search", params=[("q", "목적"), ("mode", "bm25"), ("law", "민법"), ("law", "상법")])
    assert ok.status_code == 200, ok.text
    assert _error(client.get("/api/search", params=[("q", "a"), ("q", "b")])).startswith("q: given more than once")


def test_an_empty_parameter_name_is_named_readably(client):
    assert _error(client.get("/api/search?q=x&=1")) == (
        "an empty parameter name: not a parameter of GET /api/search; its parameters: q, k, law, kind, mode, explain")
    assert _error(client.get("/api/meta?=1")) == (
        "an empty parameter name: not a parameter of GET /api/meta; it takes no parameters")
    assert _error(client.post("/api/search?=1", json={"q": "x"})).startswith(
        "an empty parameter name: in the URL, which POST /api/search does not read")
    assert _error(client.post("/api/search", json={"q": "x", "": 1})).startswith(
        "an empty field name: not a field of POST /api/search's body;")
    assert _error(client.get("/api/search?q=x&%20=1")).startswith("' ': not a parameter of GET /api/search")


def test_a_field_given_twice_in_a_post_body_is_refused_as_in_a_query_string(client):
    """``{"q": "보험", "q": "유치권"}`` had searched 유치권 and ``"k": 2, "k": 3`` given 3 hits: the last value won
    without a word, where GET refuses a repeated ``q`` or ``k``."""
    for body, named in (('{"q": "보험", "q": "유치권", "k": 1}', "q"), ('{"q": "보험", "k": 2, "k": 3}', "k")):
        r = client.post("/api/search", content=body.encode(), headers={"content-type": "application/json"})
        assert r.status_code == 400, r.text
        assert r.json()["error"].startswith(f"{named}: given more than once in the JSON body"), r.text
    ok = client.post("/api/search", json={"q": "유치권", "k": 2})
    assert ok.status_code == 200 and 1 <= len(ok.json()["hits"]) <= 2
    # a body that is not JSON keeps its own error
    bad = client.post("/api/search", content=b'{"q": ', headers={"content-type": "application/json"})
    assert bad.status_code == 400 and "given more than once" not in bad.text


def test_an_unknown_mcp_tool_names_the_tools_with_a_did_you_mean(index):
    """``search_statute`` had got the SDK's "Unknown tool: search_statute", naming none of the tools there are."""
    from legalret.serve.mcp_server import create_mcp_server

    server = create_mcp_server(index, warm=False)
    with pytest.raises(Exception) as caught:
        anyio.run(server.call_tool, "search_statute", {"query": "유치권"})
    message = str(caught.value)
    assert message.startswith("no tool named 'search_statute' (did you mean search_statutes? the tools: ")
    assert "get_article" in message and "\n" not in message
