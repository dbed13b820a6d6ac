"""Three things a new user found in the HTTP API and the MCP server:

* ``POST /api/search`` refused ``"law": ["민법", "상법"]`` ("law: Input should be a valid string") although GET takes
  ``law=`` repeated and the README says POST takes the same parameters (``kind`` alike; MCP's search_statutes too);
* ``get_article("민법 제750조 제2항")`` and ``GET /api/articles/민법 제750조 제2항`` answered 제750조 without a word
  that it has no 제2항 (the search and check_citation say so);
* the MCP ``initialize`` instructions named "민법, 상법, …" whatever laws the index held.
"""

import sys
from pathlib import Path
from urllib.parse import quote

import anyio
import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.articles import Article, Item, Paragraph  # noqa: E402
from legalret.index import build_index  # noqa: E402
from legalret.serve.app import create_app  # noqa: E402
from legalret.serve.live import LiveSearcher  # noqa: E402

pytest.importorskip("mcp")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    idx = tmp_path_factory.mktemp("api_fixes") / "idx"
    build_index(sup.articles(), idx, model="none")
    return LiveSearcher(idx)


@pytest.fixture(scope="module")
def client(live):
    return TestClient(create_app(live))


@pytest.fixture(scope="module")
def mcp(live):
    from legalret.serve.mcp_server import create_mcp_server

    return create_mcp_server(live, warm=False)


def _labour_articles() -> list[Article]:
    """근로기준법 and 주택임대차보호법 only: 제2조 has 호 in its 제1항, as the real 정의 articles do."""
    return [
        Article("근로기준법", 2, title="정의", kind="법률", paragraphs=[
            Paragraph(1, "이 법에서 사용하는 용어의 뜻은 다음과 같다.", items=[
                Item("1", "\"근로자\"란 직업의 종류와 관계없이 임금을 목적으로 사업이나 사업장에 근로를 제공하는 사람을 말한다."),
                Item("2", "\"사용자\"란 사업주 또는 사업 경영 담당자를 말한다."),
                Item("2의2", "\"근로\"란 정신노동과 육체노동을 말한다.")]),
            Paragraph(2, "제1항제6호에 따라 산출된 금액이 통상임금보다 적으면 그 통상임금액을 평균임금으로 한다.")]),
        Article("근로기준법", 23, title="해고 등의 제한", kind="법률", paragraphs=[
            Paragraph(1, "사용자는 근로자에게 정당한 이유 없이 해고, 휴직, 정직, 전직, 감봉, 그 밖의 징벌을 하지 못한다."),
            Paragraph(2, "사용자는 근로자가 업무상 부상 또는 질병의 요양을 위하여 휴업한 기간에는 해고하지 못한다.")]),
        Article("근로기준법", 60, title="연차 유급휴가", kind="법률", paragraphs=[
            Paragraph(1, "사용자는 1년간 80퍼센트 이상 출근한 근로자에게 15일의 유급휴가를 주어야 한다.")]),
        Article("주택임대차보호법", 3, title="대항력 등", kind="법률", paragraphs=[
            Paragraph(1, "임대차는 그 등기가 없는 경우에도 임차인이 주택의 인도와 주민등록을 마친 때에는 그 다음 날부터 "
                         "제삼자에 대하여 효력이 생긴다.")]),
    ]


@pytest.fixture(scope="module")
def labour(tmp_path_factory):
    idx = tmp_path_factory.mktemp("api_fixes_labour") / "idx"
    build_index(_labour_articles(), idx, model="none")
    return LiveSearcher(idx)


def _error(resp, status=400) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error", "status"} and "\n" not in body["error"] and body["error"]
    return body["error"]


def _keys(resp) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [h["key"] for h in resp.json()["hits"]]


# ---- 1. law / kind as a JSON list ----------------------------------------------------------------------------
def test_post_takes_a_list_of_laws_as_get_takes_law_repeated(client):
    base = {"q": "점유 보험", "k": 20, "mode": "bm25"}
    listed = client.post("/api/search", json={**base, "law": ["민법", "상법"]})
    joined = client.post("/api/search", json={**base, "law": "민법,상법"})  # (the comma-joined string still works)
    repeated = client.get("/api/search", params=[*base.items(), ("law", "민법"), ("law", "상법")])
    assert _keys(listed) == _keys(joined) == _keys(repeated)
    assert {h["law"] for h in listed.json()["hits"]} == {"민법", "상법"}
    only = client.post("/api/search", json={**base, "law": ["상법"]})
    assert {h["law"] for h in only.json()["hits"]} == {"상법"}
    # an empty list is no filter, as an empty law= is
    assert _keys(client.post("/api/search", json={**base, "law": []})) == _keys(client.post("/api/search", json=base))


def test_post_takes_a_list_of_kinds(client):
    base = {"q": "점유", "k": 20, "mode": "bm25"}
    listed = client.post("/api/search", json={**base, "kind": ["시행령"]})
    assert _keys(listed) == _keys(client.get("/api/search", params={**base, "kind": "시행령"}))
    assert {h["kind"] for h in listed.json()["hits"]} <= {"시행령"}
    both = client.post("/api/search", json={**base, "kind": ["법률", "시행령"]})
    assert _keys(both) == _keys(client.get("/api/search", params=[*base.items(), ("kind", "법률"), ("kind", "시행령")]))


@pytest.mark.parametrize("field, value, fragment", [
    ("law", ["형법"], "unknown law filter '형법'"),  # the same check (and line) as for a string
    ("law", ["민법", "형법"], "unknown law filter '형법'"),
    ("kind", ["조례"], "unknown kind filter '조례'"),
    ("law", 5, "law: Input should be a law name, names comma-separated, or a list of names"),
    ("law", [1], "law: Input should be a law name"),
    ("law", {"민법": 1}, "law: Input should be a law name"),
    ("kind", [["법률"]], "kind: Input should be a kind name"),
    ("kind", True, "kind: Input should be a kind name"),
])
def test_bad_law_or_kind_in_a_post_body_is_one_line(client, field, value, fragment):
    message = _error(client.post("/api/search", json={"q": "점유", field: value}))
    assert fragment in message
    if isinstance(value, list) and all(isinstance(v, str) for v in value):  # the string's message, word for word
        assert message == _error(client.post("/api/search", json={"q": "점유", field: ",".join(value)}))


def test_the_schema_says_a_list_is_taken(client):
    body = client.get("/openapi.json").json()["components"]["schemas"]["SearchRequest"]["properties"]
    for field in ("law", "kind"):
        assert {"string", "array"} <= {o.get("type") for o in body[field]["anyOf"]}, body[field]
    assert client.get("/openapi-3.0.json").status_code == 200  # (Swagger UI's copy still converts)


def test_mcp_search_takes_a_list_of_laws_too(mcp):
    def call(args):
        return anyio.run(mcp.call_tool, "search_statutes", args)

    base = {"query": "점유 보험", "k": 20, "mode": "bm25"}
    listed = call({**base, "law": ["민법", "상법"]}).structured_content
    joined = call({**base, "law": "민법,상법"}).structured_content
    assert [h["key"] for h in listed["hits"]] == [h["key"] for h in joined["hits"]]
    assert {h["law"] for h in listed["hits"]} == {"민법", "상법"}
    assert {h["kind"] for h in call({**base, "kind": ["시행령"]}).structured_content["hits"]} <= {"시행령"}
    from mcp.server.mcpserver.exceptions import ToolError

    with pytest.raises(ToolError) as e:
        call({**base, "law": 5})
    assert str(e.value).startswith("law: Input should be a law name") and "\n" not in str(e.value)
    tool = next(t for t in anyio.run(mcp.list_tools) if t.name == "search_statutes")
    assert "array" in str(tool.input_schema["properties"]["law"])


# ---- 2. a paragraph or item the article lacks -----------------------------------------------------------------
def test_an_article_key_with_a_missing_paragraph_says_so(client, mcp, live):
    api = client.get("/api/articles/" + quote("민법 제750조 제2항"))
    assert api.status_code == 200
    body = api.json()
    assert body["key"] == "민법 제750조" and "손해를 배상" in body["text"]  # the article is still answered
    assert body["paragraph"] == 2 and body["paragraph_exists"] is False
    assert body["notices"] == ["cited article 민법 제750조 has no 제2항"]  # the search's wording
    assert client.get("/api/articles/민법 제750조 제2항").json()["notices"] == body["notices"]  # unencoded too

    tool = anyio.run(mcp.call_tool, "get_article", {"key": "민법 제750조 제2항"})
    assert not tool.is_error
    got = tool.structured_content
    assert (got["key"], got["paragraph"], got["paragraph_exists"], got["notices"]) == (
        "민법 제750조", 2, False, ["cited article 민법 제750조 has no 제2항"])
    # the Python API (StatuteService, what the MCP tool and a RAG framework call) says the same
    from legalret.serve.statutes import StatuteService

    direct = StatuteService(live).article("민법 제750조 제2항")
    assert (direct["key"], direct["paragraph_exists"], direct["notices"]) == (
        "민법 제750조", False, ["cited article 민법 제750조 has no 제2항"])
    # check_citation says the same of the same text
    check = anyio.run(mcp.call_tool, "check_citation", {"text": "민법 제750조 제2항"}).structured_content
    assert check["citations"][0]["paragraph_exists"] is False
    # … and the search's notice is the one the answers use
    search = client.get("/api/search", params={"q": "민법 제750조 제2항", "k": 1}).json()
    assert "cited article 민법 제750조 has no 제2항" in search["notices"]


@pytest.mark.parametrize("written, paragraph, exists, notices", [
    ("민법 제750조 제1항", 1, True, []),  # one unnumbered paragraph: 제1항
    ("민법 750조 2항", 2, False, ["cited article 민법 제750조 has no 제2항"]),
    ("民法 第750條 第2項", 2, False, ["cited article 민법 제750조 has no 제2항"]),
    ("민법 제750조 제1항 및 제3항", 3, False, ["cited article 민법 제750조 has no 제3항"]),  # the missing one
    ("민법 제8조 제1항", 1, False, ["cited article 민법 제8조 is deleted (삭제): it has no 제1항"]),
    ("민법 제192조 제2항", 2, True, []),
])
def test_paragraphs_named_in_the_key(client, mcp, written, paragraph, exists, notices):
    api = client.get("/api/articles/" + quote(written)).json()
    tool = anyio.run(mcp.call_tool, "get_article", {"key": written}).structured_content
    for got in (api, tool):
        assert (got["paragraph"], got["paragraph_exists"], got["notices"]) == (paragraph, exists, notices), written


def test_a_plain_key_has_no_paragraph_fields(client, mcp):
    for written in ("민법 제750조", "민법 750", "민법750"):
        api = client.get("/api/articles/" + quote(written)).json()
        assert api["notices"] == [] and "paragraph" not in api and "item" not in api
        tool = anyio.run(mcp.call_tool, "get_article", {"key": written}).structured_content
        assert tool["notices"] == [] and tool["paragraph"] is None and tool["paragraph_exists"] is None
    # a key the index lacks is still the one-line 404 (not an answer with a notice)
    assert _error(client.get("/api/articles/" + quote("민법 제9999조 제2항")), 404) == (
        "no article '민법 제9999조' in this index: 민법 as indexed has no such article (its last is 제751조)")


@pytest.mark.parametrize("written, fields, notices", [
    ("근로기준법 제2조 제1항 제2호", {"paragraph": 1, "paragraph_exists": True, "item": 2, "item_exists": True}, []),
    ("근로기준법 제2조 제1항 제9호", {"paragraph": 1, "paragraph_exists": True, "item": 9, "item_exists": False},
     ["cited article 근로기준법 제2조 has no 제1항 제9호"]),
    ("근로기준법 제2조 제2호", {"item": 2, "item_exists": True}, []),  # no 항 named: any of its paragraphs
    ("근로기준법 제2조 제9호", {"item": 9, "item_exists": False}, ["cited article 근로기준법 제2조 has no 제9호"]),
    ("근로기준법 제2조 제2항 제1호", {"paragraph": 2, "paragraph_exists": True, "item": 1, "item_exists": False},
     ["cited article 근로기준법 제2조 has no 제2항 제1호"]),  # 제2항 has no 호 at all
    ("근로기준법 제2조 제3항 제1호", {"paragraph": 3, "paragraph_exists": False, "item": 1, "item_exists": False},
     ["cited article 근로기준법 제2조 has no 제3항"]),  # the 항 missing is what is said
])
def test_items_named_in_the_key(labour, written, fields, notices):
    from legalret.serve.mcp_server import create_mcp_server

    api = TestClient(create_app(labour)).get("/api/articles/" + quote(written))
    assert api.status_code == 200, api.text
    tool = anyio.run(create_mcp_server(labour, warm=False).call_tool, "get_article", {"key": written})
    for got in (api.json(), tool.structured_content):
        assert got["key"] == "근로기준법 제2조" and got["notices"] == notices, written
        assert {f: got.get(f) for f in fields} == fields, written


# ---- 3. the instructions name the index's laws ----------------------------------------------------------------
def test_instructions_name_the_laws_the_index_holds(labour, live):
    from legalret.serve.mcp_server import create_mcp_server

    text = create_mcp_server(labour, warm=False).instructions
    assert "over a local index of 2 laws (근로기준법, 주택임대차보호법)" in text, text  # the larger first
    assert "민법" not in text.replace("'민법 제750조'", "")  # (the citation example is only an example)
    assert "list_laws" in text and "search_statutes" in text
    fixture = create_mcp_server(live, warm=False).instructions
    assert "over a local index of 3 laws (" in fixture and "민법 시행령" in fixture and "…" not in fixture


def test_instructions_for_an_index_of_many_laws_stay_short():
    from legalret.serve.mcp_server import index_laws

    # the five largest of 3,197 laws, as StatuteService.laws(limit=5) lists them (list_laws' order)
    line = index_laws(["민법", "상법", "법0071", "법0142", "법0213"], 3197)
    assert line.startswith("3,197 laws (민법, 상법, ") and line.endswith(", and 3,192 more)") and len(line) < 120
    one = index_laws(["근로기준법"], 1)
    assert one == "1 law (근로기준법)"
    assert index_laws([], 0) == "no laws"


def test_the_instructions_reach_a_client_over_stdio(labour):
    """What a client reads in ``initialize`` (the SDK's own client, ``legalret mcp`` as a subprocess)."""
    import os

    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    repo = Path(__file__).resolve().parent.parent
    env = {"PYTHONPATH": str(repo) + os.pathsep + os.environ.get("PYTHONPATH", ""), "LEGALRET_RESIDENT": "off",
           "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    for name in ("LEGALRET_HOME", "HOME", "LEGALRET_DATA"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    params = StdioServerParameters(command=sys.executable, args=["-m", "legalret", "mcp", "--index", str(labour.index_dir)],
                                   env=env, cwd=str(repo))

    async def main():
        with open(os.devnull, "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    return await session.initialize()

    init = anyio.run(main)
    assert "2 laws (근로기준법, 주택임대차보호법)" in init.instructions, init.instructions
