"""``legalret mcp`` through the MCP SDK's own client over stdio: the tools, their schemas, and bad inputs as
one-line tool errors (never a traceback)."""

import json
import os
import sys
from pathlib import Path

import anyio
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
sys.path.insert(0, str(Path(__file__).parent))  # test_facts: its fixture decisions and facts
import index_support as sup  # noqa: E402

pytest.importorskip("mcp")
from mcp import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """The fixture articles with a holdings memory and a facts memory (so hits carry precedents)."""
    from test_facts import build_with_memories


    idx = tmp_path_factory.mktemp("mcp") / "idx"
    build_with_memories(idx)
    return idx


def _params(index) -> StdioServerParameters:
    env = {"PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), "LEGALRET_RESIDENT": "off",
           "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    for name in ("LEGALRET_HOME", "HOME", "LEGALRET_DATA"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return StdioServerParameters(command=sys.executable, args=["-m", "legalret", "mcp", "--index", str(index)],
                                 env=env, cwd=str(REPO))


def _session_run(index, body):
    """Start ``legalret mcp`` as a subprocess, connect the SDK client over stdio, run ``body(session)``."""
    async def main():
        with open(os.devnull, "w") as errlog:
            async with stdio_client(_params(index), errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return await body(session)

    return anyio.run(main)


def _error_line(result) -> str:
    assert result.is_error, result
    text = result.content[0].text
    assert text and "\n" not in text and "Traceback" not in text, text
    return text


def test_mcp_tools_over_stdio(index):
    from test_facts import SCENARIO

    async def body(session):
        tools = (await session.list_tools()).tools
        out = {"tools": {t.name: t for t in tools}}
        out["search"] = await session.call_tool("search_statutes", {"query": SCENARIO, "k": 5})
        out["filtered"] = await session.call_tool("search_statutes", {"query": "보험계약 해지", "k": 3, "law": "상법"})
        out["article"] = await session.call_tool("get_article", {"key": "민법 750"})
        out["branch"] = await session.call_tool("get_article", {"key": "상법 제651조의2"})
        out["check"] = await session.call_tool("check_citation", {
            "text": "민법 제750조와 같은 법 제8조에 따라, 또 상법 제9999조 및 형법 제250조에 의하면 "
                    "(대법원 2018. 5. 2. 선고 2018다2002 판결, 2019다99999 판결 참조)"})
        out["laws"] = await session.call_tool("list_laws", {})
        return out

    out = _session_run(index, body)
    tools = out["tools"]
    assert set(tools) == {"search_statutes", "get_article", "check_citation", "list_laws"}
    schema = tools["search_statutes"].input_schema
    assert schema["required"] == ["query"] and {"query", "k", "law", "kind", "mode"} <= set(schema["properties"])
    assert "hybrid" in json.dumps(schema["properties"]["mode"]) and tools["search_statutes"].description
    # a host that validates arguments against the schema: null accepted where the description says so, bounds as JSON
    # Schema writes them ('ge'/'le' had been no keywords at all, and k typed integer refused null)
    import jsonschema

    for args in ({"query": "점유", "k": None}, {"query": "점유", "mode": None}, {"query": "점유", "k": 100}):
        jsonschema.validate(args, schema)
    for args in ({"query": "점유", "k": 101}, {"query": "점유", "k": 0}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(args, schema)
    assert not {"ge", "le"} & set(schema["properties"]["k"]) and '"maximum": 100' in json.dumps(schema["properties"]["k"])
    assert tools["search_statutes"].output_schema and tools["get_article"].input_schema["required"] == ["key"]

    search = out["search"].structured_content
    assert not out["search"].is_error and search["mode"] == "hybrid"
    hits = search["hits"]
    assert 1 <= len(hits) <= 5 and [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    lien = next(h for h in hits if h["key"] == "민법 제320조")  # the scenario's article, voted for by precedents
    assert lien["title"] == "유치권의 내용" and "유치" in lien["text"]
    cases = {p["case_no"]: p for p in lien["precedents"]}
    assert "2018다2002" in cases and cases["2018다2002"]["decided"] == "2018-05-02"
    assert all(p["matched"] in ("holding", "facts") and p["text"] for p in lien["precedents"])
    # the page's and the API's 0–100: none for this scenario, whose words no article of this tiny index has (only the
    # facts memory found them: the nearest guesses, as the notice says); the filtered question's best reads 100 (no
    # re-ranker here: the score as a share of the best)
    assert all(h["relevance"] is None for h in hits) and any("nearest guesses" in n for n in search["notices"])
    filtered = out["filtered"].structured_content["hits"]
    assert filtered[0]["relevance"] == 100 and all(0 <= h["relevance"] <= 100 for h in filtered)
    assert {h["law"] for h in out["filtered"].structured_content["hits"]} == {"상법"}

    article = out["article"].structured_content
    assert article["key"] == "민법 제750조" and article["title"] == "불법행위의 내용" and "손해를 배상" in article["text"]
    assert article["url"] == "https://www.law.go.kr/법령/민법/제750조" and all(h["url"] for h in hits)
    assert out["branch"].structured_content["title"] == "서면에 의한 질문의 효력"

    check = out["check"].structured_content
    by_key = {c["key"]: c for c in check["citations"]}
    assert by_key["민법 제750조"]["exists"] and not by_key["민법 제750조"]["deleted"]
    assert by_key["민법 제750조"]["title"] == "불법행위의 내용"
    assert by_key["민법 제8조"]["exists"] and by_key["민법 제8조"]["deleted"]  # 같은 법 → 민법; a deleted article
    assert not by_key["상법 제9999조"]["exists"] and by_key["상법 제9999조"]["title"] is None
    assert any("형법" in u for u in check["unresolved"])  # a law this index does not have
    known, unknown = check["decisions"]  # decisions cited by 사건번호: held here, with what they decided, or not
    assert known["known"] and known["case_no"] == "2018다2002" and known["decided"] == "2018-05-02"
    assert known["articles"] == ["민법 제320조", "민법 제192조"] and "유치권" in known["holdings"][0]
    assert unknown == {"cited": "2019다99999", "case_no": "2019다99999", "known": False, "decided": None,
                       "url": None, "holdings": [], "articles": []}

    laws = {entry["law"]: entry["articles"] for entry in out["laws"].structured_content["laws"]}
    assert laws["민법"] == 9 and laws["상법"] == 5 and laws["민법 시행령"] == 1


def test_mcp_bad_inputs_are_one_line_tool_errors(index):
    async def body(session):
        calls = {
            "empty": ("search_statutes", {"query": "   "}),
            "k0": ("search_statutes", {"query": "점유", "k": 0}),
            "k_big": ("search_statutes", {"query": "점유", "k": 1000}),
            "k_true": ("search_statutes", {"query": "점유", "k": True}),
            "mode": ("search_statutes", {"query": "점유", "mode": "magic"}),
            "law": ("search_statutes", {"query": "점유", "law": "형법"}),
            "unknown": ("get_article", {"key": "민법 제9999조"}),
            "nonsense": ("get_article", {"key": "아무거나"}),
            "no_text": ("check_citation", {"text": ""}),
        }
        return {name: await session.call_tool(tool, args) for name, (tool, args) in calls.items()}

    out = _session_run(index, body)
    assert "empty" in _error_line(out["empty"])
    assert _error_line(out["k0"]).startswith("k: ") and "greater than or equal to 1" in _error_line(out["k0"])
    assert _error_line(out["k_big"]) == "k: Input should be less than or equal to 100 (got 1000)"
    assert _error_line(out["k_true"]).startswith("k: Input should be a number of hits (1–100), not true or false")
    assert _error_line(out["mode"]).startswith("mode: ") and "'magic'" in _error_line(out["mode"])
    assert "형법" in _error_line(out["law"])
    assert "민법 제9999조" in _error_line(out["unknown"])
    assert "아무거나" in _error_line(out["nonsense"])
    assert "text" in _error_line(out["no_text"])


# ---- in-process: the tools' answers without a subprocess ---------------------------------------------------
def _call(server, tool, args):
    return anyio.run(server.call_tool, tool, args)


@pytest.fixture(scope="module")
def opening_index(tmp_path_factory):
    """The MCP fixture index, but 2018다2002's facts open as a decision's reasons do: '상고이유를 판단한다.'"""
    from test_facts import FACTS, PRECEDENTS

    from legalret import pipeline
    from legalret.precedents.facts import read_facts

    folder = tmp_path_factory.mktemp("mcp_opening")
    lines = []
    for line in FACTS.read_text(encoding="utf-8").splitlines():
        if '"2018다2002"' in line:
            record = json.loads(line)
            record["이유"] = "상고이유를 판단한다.\n1. 원고의 상고이유에 대하여\n" + record["이유"]
            line = json.dumps(record, ensure_ascii=False)
        lines.append(line)
    facts = folder / "facts.jsonl"
    facts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    idx = folder / "idx"
    pipeline.build(sup.articles(), idx, model="none", precedents=PRECEDENTS, facts=read_facts(facts, on_error=lambda e: None))
    return idx


def test_lines_that_are_not_messages_get_json_rpc_errors(index):
    """A line that is not JSON gets −32700, JSON that is no JSON-RPC message −32600 (``id: null``), and so does a
    request whose id is null (the SDK took it for a notification: no answer, its client waited for ever); a blank
    line nothing; the server goes on to answer the next request. Whenever the line has an id, the error carries it
    (``params: "x"`` and a fractional id had been answered with ``id: null``: the client waiting on its id hung), and
    says what was wrong — a request before initialize and a string for ``arguments`` had got "Invalid request
    parameters" and nothing more."""
    import subprocess

    params = _params(index)
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    # an escaped lone surrogate is valid JSON the SDK refuses: the request is answered (it got −32700, id null)
    surrogate = ('{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "search_statutes", '
                 '"arguments": {"query": "\\ud800 \\uc720\\uce58\\uad8c"}}}')
    null_id = json.dumps({"jsonrpc": "2.0", "id": None, "method": "tools/list"})
    early = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "list_laws", "arguments": {}}})
    before = "유치권 간접점유\n\n{\"query\": \"x\"}\n" + null_id + "\n" + early + "\n"
    after = "\n".join([
        json.dumps(init), json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json.dumps({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": "x"}),
        json.dumps({"jsonrpc": "2.0", "id": 1.5, "method": "tools/list"}),
        json.dumps({"jsonrpc": "2.0", "id": "six", "method": "tools/call",
                    "params": {"name": "get_article", "arguments": "민법 제750조"}}, ensure_ascii=False),
        surrogate]) + "\n"
    proc = subprocess.Popen([params.command, *params.args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env={**os.environ, **params.env}, cwd=params.cwd)
    # (the request before initialize is answered before initialize is sent: the order is the client's, not a race)
    proc.stdin.write(before)
    proc.stdin.flush()
    answers = [json.loads(proc.stdout.readline()) for _ in range(4)]
    proc.stdin.write(after)
    proc.stdin.flush()
    answers += [json.loads(proc.stdout.readline()) for _ in range(5)]  # (stdin stays open: the search takes a moment)
    proc.stdin.close()
    proc.wait(timeout=60)
    proc.stdout.close()
    unnamed = [a for a in answers if a.get("id") is None]  # (written in the order of their lines)
    by_id = {a["id"]: a for a in answers if a.get("id") is not None}
    assert len(by_id) == 6 and proc.returncode == 0
    assert [a["error"]["code"] for a in unnamed] == [-32700, -32600, -32600]
    assert unnamed[0]["error"]["message"].startswith("Parse error: the line is not JSON")
    assert unnamed[1]["error"]["message"] == "Invalid request: not a JSON-RPC 2.0 message (jsonrpc, method, id)"
    assert unnamed[2]["error"]["message"] == ("Invalid request: tools/list needs an id, a string or an integer (not null); "
                                              "only notifications/… go without an answer")
    assert by_id[7]["error"] == {"code": -32602, "message": "tools/call before initialize: call initialize first "
                                                            "(then send notifications/initialized)"}
    assert by_id[1]["result"]["serverInfo"]["name"] == "legalret"
    assert by_id[5]["error"] == {"code": -32600, "message": "Invalid request: tools/call params must be an object, not a string"}
    # JSON-RPC allows a number; MCP (and its SDK) a string or an integer: refused, said so, and answered with that id
    assert by_id[1.5]["error"] == {"code": -32600, "message": "Invalid request: id must be a string or an integer, not 1.5 "
                                                              "(MCP takes no fractional ids)"}
    assert by_id["six"]["error"] == {"code": -32602,
                                     "message": "Invalid params: tools/call arguments must be an object, not a string"}
    found = by_id[2]["result"]["structuredContent"]
    assert not by_id[2]["result"].get("isError") and found["hits"][0]["key"] == "민법 제320조"


@pytest.mark.parametrize("line, answer", [
    ('{"jsonrpc": "2.0", "id": "a", "method": "tools/list", "params": [1]}',
     ("a", -32600, "Invalid request: tools/list params must be an object, not an array")),
    ('{"jsonrpc": "1.0", "id": 3, "method": "tools/list"}', (3, -32600, 'Invalid request: jsonrpc must be "2.0", not "1.0"')),
    ('{"id": 3, "method": "tools/list"}', (3, -32600, 'Invalid request: jsonrpc is missing (it must be "2.0")')),
    ('{"jsonrpc": "2.0", "id": 3, "method": 7}', (3, -32600, "Invalid request: method must be a string, not 7")),
    ('{"jsonrpc": "2.0", "id": true, "method": "tools/list"}',
     (None, -32600, "Invalid request: id must be a string or an integer, not true")),
    ('{"jsonrpc": "2.0", "id": {"n": 1}, "method": "tools/list"}',
     (None, -32600, "Invalid request: id must be a string or an integer, not an object")),
    ('{"jsonrpc": "2.0", "method": "tools/list"}',
     (None, -32600, "Invalid request: tools/list needs an id, a string or an integer; only notifications/… go without "
                    "an answer")),
    ('[{"jsonrpc": "2.0", "id": 1, "method": "ping"}]',
     (None, -32600, "Invalid request: a batch (a JSON array) is not supported; send one message per line")),
    ('{"jsonrpc": "2.0", "id": 9, "result": "x"}',  # (a response is never answered with its own id)
     (None, -32600, "Invalid request: not a JSON-RPC 2.0 message (jsonrpc, method, id)")),
])
def test_a_refused_line_is_answered_with_its_id_and_what_was_wrong(line, answer):
    from legalret.serve.mcp_server import read_line

    message, reply = read_line(line)
    assert message is None
    assert json.loads(reply.model_dump_json(by_alias=True, exclude_unset=True)) == {
        "jsonrpc": "2.0", "id": answer[0], "error": {"code": answer[1], "message": answer[2]}}


def test_messages_and_blank_lines_pass():
    from legalret.serve.mcp_server import read_line

    assert read_line("  \n") == (None, None)
    assert read_line('{"jsonrpc": "2.0", "id": "x", "method": "tools/list"}')[0].id == "x"
    assert read_line('{"jsonrpc": "2.0", "method": "notifications/initialized"}')[0].method == "notifications/initialized"
    message, reply = read_line('{"jsonrpc": "2.0", "id": 4, "method": "ping", "params": {"q": "\\ud800x"}}')
    assert reply is None and message.id == 4 and message.params == {"q": "\ufffdx"}


def test_precedents_matched_on_facts_start_at_the_facts_like_the_page(opening_index):
    """search_statutes gave a facts match's raw text ('상고이유를 판단한다. 1. 원고의 상고이유…'); it gives the page's
    excerpt (what /api/search?explain=1 shows as 'excerpt')."""
    from fastapi.testclient import TestClient
    from test_facts import SCENARIO

    from legalret.serve.app import create_app
    from legalret.serve.live import LiveSearcher
    from legalret.serve.mcp_server import create_mcp_server

    live = LiveSearcher(opening_index, warm=False)
    server = create_mcp_server(live)
    result = _call(server, "search_statutes", {"query": SCENARIO, "k": 5})
    assert not result.is_error
    lien = next(h for h in result.structured_content["hits"] if h["key"] == "민법 제320조")
    facts = next(p for p in lien["precedents"] if p["case_no"] == "2018다2002" and p["matched"] == "facts")
    assert not facts["text"].startswith("상고이유를 판단한다") and "원고는 자동차 수리업자로서" in facts["text"], facts["text"]

    page = TestClient(create_app(live)).get("/api/search", params={"q": SCENARIO, "k": 5, "explain": 1}).json()
    page_lien = next(h for h in page["hits"] if h["key"] == "민법 제320조")
    assert [p["text"] for p in lien["precedents"]] == [p["excerpt"] for p in page_lien["precedents"]]
    assert any(p["text"].startswith("상고이유를 판단한다") for p in page_lien["precedents"])  # the raw text is still there


def test_a_deleted_article_has_no_paragraphs(index):
    """check_citation said a deleted article (text '삭제 <…>') had 제1항: paragraph_exists is false now, with
    deleted: true saying why — and the tool's description says so."""
    from legalret.serve.mcp_server import create_mcp_server

    server = create_mcp_server(index, warm=False)
    result = _call(server, "check_citation", {"text": "민법 제8조 제1항, 민법 제750조 제1항, 민법 제750조 제3항, 민법 제9999조 제1항"})
    assert not result.is_error
    got = {(c["key"], c["paragraph"]): c for c in result.structured_content["citations"]}
    deleted = got[("민법 제8조", 1)]
    assert deleted["exists"] and deleted["deleted"] and deleted["paragraph_exists"] is False
    assert got[("민법 제750조", 1)]["paragraph_exists"] is True  # one unnumbered paragraph: 제1항
    assert got[("민법 제750조", 3)]["paragraph_exists"] is False
    assert got[("민법 제9999조", 1)]["paragraph_exists"] is False and not got[("민법 제9999조", 1)]["exists"]
    tool = next(t for t in anyio.run(server.list_tools) if t.name == "check_citation")
    assert "deleted article has no paragraphs" in tool.description
    described = tool.output_schema["$defs"]["CitationCheck"]["properties"]["paragraph_exists"]["description"]
    assert "deleted" in described


def test_every_paragraph_and_a_long_range_are_checked_or_said(index, monkeypatch):
    """'민법 제750조 제1항 및 제3항' checked 제1항 only (an invented 제3항 passed the tool meant to catch it), and a
    range longer than the 30 it checks ended without a word."""
    from legalret.serve.mcp_server import create_mcp_server

    server = create_mcp_server(index, warm=False)
    for text in ("민법 제750조 제1항 및 제3항", "민법 제750조 제1항, 같은 조 제3항"):
        checked = _call(server, "check_citation", {"text": text}).structured_content
        assert [(c["key"], c["paragraph"], c["paragraph_exists"]) for c in checked["citations"]] == [
            ("민법 제750조", 1, True), ("민법 제750조", 3, False)], text
    from legalret.serve import statutes

    service = statutes.StatuteService(index)
    whole = service.check_citations("민법 제1조 내지 제1118조")
    within = [c for c in whole["citations"] if "within the range" in c["cited"]]
    assert len(within) >= 2 and not any("holds" in n for n in whole["notices"])
    monkeypatch.setattr(statutes, "MAX_RANGE", 1)  # (the fixture's 민법 has fewer articles than the 30 checked)
    cut = service.check_citations("민법 제1조 내지 제1118조")
    assert [c for c in cut["citations"] if "within the range" in c["cited"]] == within[:1]
    assert (f"the cited range 민법 제1조–제1118조 holds {len(within)} articles between its ends, 1 of them deleted (삭제): "
            "the first 1 are checked; cite a shorter range for the rest") in cut["notices"]


def test_ranges_and_hanja_filters_read_as_the_search_reads_them(index, monkeypatch):
    """check_citation and search_statutes say one thing of one range — a range written high end first is read as the
    range, with the same notice, and a long range's size is one count (deleted articles included and said: the search
    had said 8 and the check 9 for the fixture's 민법 제1조 내지 제1118조) — and the law filter reads Hanja (民法)."""
    from legalret.search import results
    from legalret.serve import statutes
    from legalret.serve.mcp_server import create_mcp_server

    server = create_mcp_server(index, warm=False)

    def tool(name, args):
        out = _call(server, name, args)
        assert not out.is_error, out
        return out.structured_content

    checked = tool("check_citation", {"text": "민법 제751조 내지 제750조"})
    found = tool("search_statutes", {"query": "민법 제751조 내지 제750조", "k": 5, "mode": "bm25"})
    assert [c["key"] for c in checked["citations"]] == [h["key"] for h in found["hits"]] == ["민법 제750조", "민법 제751조"]
    reversed_notice = "the cited range '민법 제751조 내지 제750조' is written high end first: read as 민법 제750조–제751조"
    assert reversed_notice in checked["notices"] and reversed_notice in found["notices"]
    monkeypatch.setattr(statutes, "MAX_RANGE", 1)
    monkeypatch.setattr(results, "MAX_RANGE", 1)
    text = "민법 제1조 내지 제1118조"
    size = "the cited range 민법 제1조–제1118조 holds 9 articles between its ends, 1 of them deleted (삭제): the first 1 "
    assert size + "are checked; cite a shorter range for the rest" in tool("check_citation", {"text": text})["notices"]
    found = tool("search_statutes", {"query": text, "k": 5, "mode": "bm25"})
    assert size + "not deleted are listed" in found["notices"]
    hangul = tool("search_statutes", {"query": "손해 배상", "k": 5, "mode": "bm25", "law": "민법"})
    hanja = tool("search_statutes", {"query": "손해 배상", "k": 5, "mode": "bm25", "law": "民法"})
    assert [h["key"] for h in hanja["hits"]] == [h["key"] for h in hangul["hits"]] and hangul["hits"]


def test_a_text_not_in_force_yet_says_when_it_takes_effect(tmp_path):
    """search_statutes and get_article carry ``takes_effect`` for a text a promulgated but not yet effective version
    wrote (and the answer's notice names it); an article in force today has none."""
    from legalret import pipeline
    from legalret.articles import Article, Paragraph
    from legalret.serve.mcp_server import create_mcp_server

    def art(number, text):
        return Article(law="시험고용법", number=number, title="보험료", paragraphs=[Paragraph(None, text)],
                       kind="법률", effective_date="2099-01-01", promulgated="2026-03-17")

    pipeline.build([art(1, "보험료는 사업주가 낸다. <개정 2019.1.15>"), art(2, "보험료 경감은 대통령령으로 정한다. <신설 2026.3.17>")],
                   tmp_path / "i", model="none")
    server = create_mcp_server(tmp_path / "i", warm=False)
    found = _call(server, "search_statutes", {"query": "보험료", "k": 2, "mode": "bm25"}).structured_content
    assert {h["key"]: h["takes_effect"] for h in found["hits"]} == {"시험고용법 제1조": None, "시험고용법 제2조": "2099-01-01"}
    assert any(n.startswith("not yet in force: 시험고용법 제2조 (from 2099-01-01)") for n in found["notices"])
    assert _call(server, "get_article", {"key": "시험고용법 제2조"}).structured_content["takes_effect"] == "2099-01-01"
    assert _call(server, "get_article", {"key": "시험고용법 제1조"}).structured_content["takes_effect"] is None
    checked = _call(server, "check_citation", {"text": "시험고용법 제1조 및 제2조"}).structured_content["citations"]
    assert [(c["key"], c["takes_effect"]) for c in checked] == [("시험고용법 제1조", None), ("시험고용법 제2조", "2099-01-01")]


def test_citations_are_read_as_the_search_reads_them(index):
    """check_citation and get_article read a passage as search_statutes reads a query: an older judgment's Hanja
    (民法 第750條), a mis-encoded copy, a range — 제750조 내지 제751조의2 cites 제751조 too (the search lists it) —, and
    제0항 (no article has it). Before, the Hanja and mis-encoded citations were "nothing cited" and a range listed its
    two ends only."""
    from legalret.serve.mcp_server import create_mcp_server

    server = create_mcp_server(index, warm=False)

    def checked(text):
        out = _call(server, "check_citation", {"text": text})
        assert not out.is_error
        return out.structured_content

    hanja = checked("民法 第750條에 따른 손해배상")
    assert [c["key"] for c in hanja["citations"]] == ["민법 제750조"] and hanja["citations"][0]["exists"]
    assert any("Hanja" in n for n in hanja["notices"])
    broken = checked("상법 제651조에 따라".encode("utf-8").decode("cp1252", "replace"))
    assert [c["key"] for c in broken["citations"]] == ["상법 제651조"] and broken["notices"]
    ranged = checked("민법 제750조 내지 제751조")
    assert [c["key"] for c in ranged["citations"]] == ["민법 제750조", "민법 제751조"]
    ranged = checked("민법 제192조 내지 제320조")
    assert [c["key"] for c in ranged["citations"]] == ["민법 제192조", "민법 제194조", "민법 제312조의2", "민법 제320조"]
    assert "within the range" in ranged["citations"][1]["cited"]
    zero = checked("민법 제750조 제0항")["citations"][0]
    assert zero["paragraph"] == 0 and zero["paragraph_exists"] is False
    article = _call(server, "get_article", {"key": "民法 第750條"})
    assert not article.is_error and article.structured_content["key"] == "민법 제750조"


def test_null_k_is_the_default_and_list_laws_narrows(index):
    """Many LLM clients send null for an optional argument: k null is search_statutes' default (it was "k: Input
    should be a valid integer"), as in the HTTP API's POST body. list_laws takes a part of a name and a limit (an
    index of every law answered with 3,195 laws, ~220k characters); ``matching`` says how many there were."""
    from fastapi.testclient import TestClient

    from legalret.serve.app import create_app
    from legalret.serve.mcp_server import DEFAULT_K, create_mcp_server

    server = create_mcp_server(index, warm=False)
    found = _call(server, "search_statutes", {"query": "유치권", "k": None})
    assert not found.is_error and 1 <= len(found.structured_content["hits"]) <= DEFAULT_K
    with pytest.raises(Exception, match="not true or false"):  # still a mistake
        _call(server, "search_statutes", {"query": "유치권", "k": True})
    body = TestClient(create_app(index)).post("/api/search", json={"q": "유치권", "k": None})
    assert body.status_code == 200 and body.json()["hits"]
    every = _call(server, "list_laws", {}).structured_content
    assert {law["law"] for law in every["laws"]} == {"민법", "상법", "민법 시행령"} and every["matching"] == 3
    named = _call(server, "list_laws", {"name": "시행 령"}).structured_content
    assert [law["law"] for law in named["laws"]] == ["민법 시행령"] and named["matching"] == 1
    largest = _call(server, "list_laws", {"limit": 1}).structured_content
    assert largest["laws"] == [{"law": "민법", "articles": 9}] and largest["matching"] == 3


# ---- no index yet: the server starts, says why on every call, and uses the index once it is there ---------------
def _no_index_line(index) -> str:
    """The one line a tool call answers with while there is no index at ``index`` (store.no_index_message's words)."""
    return f"no index at {index}: build one with `legalret index build SOURCES --index {index}`"


def _refused(server, tool, args) -> str:
    """The one line of the tool error an in-process call raises (over stdio: ``isError: true`` with that text)."""
    from mcp.server.mcpserver.exceptions import ToolError

    with pytest.raises(ToolError) as e:
        _call(server, tool, args)
    line = str(e.value)
    assert line and "\n" not in line and "Traceback" not in line, line
    return line


def test_a_server_over_a_missing_index_answers_and_picks_the_index_up_once_built(tmp_path):
    """``legalret mcp --index <none there>`` exited 1 before ``initialize`` (the client showed "server disconnected",
    the reason only in its log): it answers initialize and tools/list, each tool call is a one-line tool error
    saying what is wrong and how to fix it, and once a build wrote the index the next call answers from it, with
    no restart."""
    from legalret import pipeline

    idx = tmp_path / "idx"

    async def body(session):
        out = {"tools": (await session.list_tools()).tools}
        out["before"] = await session.call_tool("search_statutes", {"query": "유치권", "k": 3})
        out["laws_before"] = await session.call_tool("list_laws", {})
        out["bad"] = await session.call_tool("search_statutes", {"query": "  "})  # a bad input is still said as such
        await anyio.to_thread.run_sync(lambda: pipeline.build(sup.articles(), idx, model="none"))
        out["after"] = await session.call_tool("get_article", {"key": "민법 750"})
        out["search"] = await session.call_tool("search_statutes", {"query": "유치권", "k": 3, "mode": "bm25"})
        return out

    async def main():
        with open(tmp_path / "stderr.txt", "w") as errlog:
            async with stdio_client(_params(idx), errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    init = await session.initialize()
                    return init, await body(session)

    init, out = anyio.run(main)
    assert "not ready: " + _no_index_line(idx) in init.instructions, init.instructions
    assert "search_statutes" in init.instructions and "no restart" in init.instructions
    assert {t.name for t in out["tools"]} == {"search_statutes", "get_article", "check_citation", "list_laws"}
    for name in ("before", "laws_before"):
        line = _error_line(out[name])
        assert (_no_index_line(idx) + "; then call again (this server picks it up without a restart)") in line, line
    assert "empty" in _error_line(out["bad"]) and "no index" not in _error_line(out["bad"])
    article = out["after"]
    assert not article.is_error, article
    got = article.structured_content
    assert got["key"] == "민법 제750조" and got["generation"] == "gen-000001"
    assert not out["search"].is_error and out["search"].structured_content["hits"][0]["key"] == "민법 제320조"
    # stderr: the one line a person at a terminal reads, then the start line
    said = (tmp_path / "stderr.txt").read_text(encoding="utf-8").splitlines()
    assert said[:2] == [f"warning: {_no_index_line(idx)}; then call again (this server picks it up without a restart)",
                        f"legalret MCP server on stdio over {idx} (no index yet: every tool call answers with the "
                        "warning)"], said


def test_a_damaged_index_is_said_on_each_call_and_used_once_repaired(tmp_path):
    """A ``CURRENT`` that points nowhere (an index damaged, or copied in part) does not stop the server: each call
    says so in one line (the index's own message), and the call after ``CURRENT`` is repaired answers."""
    from legalret import pipeline
    from legalret.serve.mcp_server import create_mcp_server

    idx = tmp_path / "idx"
    pipeline.build(sup.articles(), idx, model="none")
    pointer = idx / "CURRENT"
    good = pointer.read_text(encoding="utf-8")
    pointer.write_text('{"generation": "gen-000009"}', encoding="utf-8")
    with pytest.raises(Exception, match="points to a missing generation"):  # (the library's default: fail at once)
        create_mcp_server(idx, warm=False)
    server = create_mcp_server(idx, warm=False, missing_ok=True)
    assert server.service.live.current is None
    assert "not ready: " in server.instructions and "points to a missing generation 'gen-000009'" in server.instructions
    line = _refused(server, "get_article", {"key": "민법 750"})
    assert f"{pointer}: points to a missing generation 'gen-000009'; rebuild (legalret index build) or restore" in line
    assert line.endswith("; then call again (this server picks it up without a restart)"), line
    fixed = idx / "CURRENT.new"
    fixed.write_text(good, encoding="utf-8")
    os.replace(fixed, pointer)  # (a new pointer: tried again at once)
    answered = _call(server, "get_article", {"key": "민법 750"})
    assert not answered.is_error and answered.structured_content["title"] == "불법행위의 내용"
    # the next initialize (a new HTTP session) is told the index's laws, no longer that it is not ready
    assert "over a local index of 3 laws (" in server.instructions and "not ready" not in server.instructions


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="the lock's holder is read from /proc/locks (Linux)")
def test_an_index_being_built_says_so(tmp_path):
    """A first build holds the index's lock long before ``CURRENT`` exists: the line says a build is writing it (so
    the user waits instead of starting a second build, which would fail as "locked by another build")."""
    from legalret.index.store import IndexLock
    from legalret.serve.mcp_server import create_mcp_server, index_writer

    idx = tmp_path / "idx"
    server = create_mcp_server(idx, warm=False, missing_ok=True)
    assert index_writer(idx) is None
    with IndexLock(idx):  # (what `legalret index build` holds while it encodes and writes)
        assert index_writer(idx) == os.getpid()
        line = _refused(server, "list_laws", {})
        assert line.endswith(f"{_no_index_line(idx)}; a build (pid {os.getpid()}) is writing it now: call again when "
                             "it finishes (no restart needed)"), line
    assert index_writer(idx) is None  # (the lock file stays, naming the last writer: not held, not said)
    assert _refused(server, "list_laws", {}).endswith("then call again (this server picks it up without a "
                                                                "restart)")


def test_mcp_http_over_a_missing_index_starts_and_says_why(tmp_path):
    """``legalret mcp --http`` behaves the same: it listens, answers initialize and tools/list, and a tool call is
    the one-line tool error; a bad command line still exits 2 (typer's usage error)."""
    import socket
    import subprocess
    import time

    from mcp.client.streamable_http import streamable_http_client

    params = _params(tmp_path / "idx")
    usage = subprocess.run([params.command, *params.args, "--no-such-option"], capture_output=True, text=True,
                           env={**os.environ, **params.env}, cwd=params.cwd, timeout=60)
    assert usage.returncode == 2, usage.stderr

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    idx = tmp_path / "idx"
    with open(tmp_path / "stderr.txt", "w") as errlog:
        proc = subprocess.Popen([params.command, *params.args, "--http", "--port", str(port)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errlog,
                                env={**os.environ, **params.env}, cwd=params.cwd)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "stderr.txt").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not listen"
                time.sleep(0.2)

        async def main():
            async with streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (read, write):
                async with ClientSession(read, write) as session:
                    init = await session.initialize()
                    tools = (await session.list_tools()).tools
                    return init, tools, await session.call_tool("check_citation", {"text": "민법 제750조"})

        init, tools, called = anyio.run(main)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert "not ready: " + _no_index_line(idx) in init.instructions
    assert len(tools) == 4
    assert (_no_index_line(idx) + "; then call again") in _error_line(called)
    said = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert said.startswith(f"warning: {_no_index_line(idx)}; then call again"), said
    assert f"/mcp over {idx} (no index yet" in said


def test_get_article_names_an_item_branch(index):
    """get_article of '…제1호의2' says the item's branch (its answer had dropped it: 제1호 and 제1호의2 read alike)."""
    from legalret.serve.mcp_server import create_mcp_server

    server = create_mcp_server(index, warm=False)
    result = _call(server, "get_article", {"key": "민법 제750조 제1호의2"})
    assert not result.is_error
    got = result.structured_content
    assert got["key"] == "민법 제750조" and (got["item"], got["item_branch"], got["item_exists"]) == (1, 2, False)
    plain = _call(server, "get_article", {"key": "민법 제750조"}).structured_content
    assert plain["item"] is None and plain["item_branch"] == 0


def test_underscore_arguments_are_passed_over_as_http_does_and_schemas_are_closed(index):
    """An argument whose name starts with ``_`` is passed over, as the HTTP API passes over ``_=…`` (MCP had refused
    it while HTTP searched); any other the tool lacks is still refused. Each tool's input schema, as a client reads
    it over stdio, says ``additionalProperties: false``."""
    from fastapi.testclient import TestClient
    from mcp.server.mcpserver.exceptions import ToolError

    from legalret.serve.app import create_app
    from legalret.serve.mcp_server import create_mcp_server

    async def body(session):
        listed = await session.list_tools()
        marked = await session.call_tool("search_statutes", {"query": "유치권", "k": 2, "_": 1700000000000, "_trace": "x"})
        plain = await session.call_tool("search_statutes", {"query": "유치권", "k": 2})
        return listed, marked, plain

    listed, marked, plain = _session_run(index, body)
    assert {t.name: t.input_schema.get("additionalProperties") for t in listed.tools} == {
        "search_statutes": False, "get_article": False, "check_citation": False, "list_laws": False}
    assert not marked.is_error and marked.structured_content["hits"] == plain.structured_content["hits"]
    keys = [h["key"] for h in plain.structured_content["hits"]]
    http = TestClient(create_app(index)).get("/api/search", params={"q": "유치권", "k": 2, "_": "1700000000000"})
    assert http.status_code == 200 and [h["key"] for h in http.json()["hits"]] == keys  # (the same, over HTTP)

    server = create_mcp_server(index, warm=False)
    assert not _call(server, "get_article", {"key": "민법 750", "_meta_hint": True}).is_error
    with pytest.raises(ToolError) as e:  # (only "_" names are passed over; the message does not name them)
        _call(server, "search_statutes", {"query": "유치권", "top_k": 3, "_x": 1})
    assert str(e.value) == ("top_k: not an argument of search_statutes (did you mean k?); "
                            "its arguments: query, k, law, kind, mode, precedents")
