"""What an LLM-agent developer met with the MCP server and the LangChain retriever (tester s24a, 2026-12-07).

- C1. LangChain's ``page_content`` was the article's text alone: the tutorials' ``format_docs``
  (``"\\n\\n".join(d.page_content for d in docs)``) handed the LLM articles it could not cite, the citation being only
  in ``metadata``. Now ``page_content`` is the citation line, then the text (``「민법」 제618조(임대차의 의의)\\n임대차는
  …``); ``LegalretRetriever(content="text")`` gives the text alone; ``metadata`` is unchanged; a bad ``content`` is
  one line, as the retriever's other settings are.
- C5. A damaged index (``rows.json`` truncated in a copy) was announced on stderr as "(no index yet: every tool call
  answers with the warning)", and its errors advised ``legalret index rollback`` with no earlier generation kept.
  Now the start line says the index could not be opened and why (the error's first clause), and the advice is
  "rebuild it" where no earlier generation is kept (rollback is still offered where one is).
- C6. ``LEGALRET_HOME`` naming a file made ``legalret mcp`` exit 1 at start ("server disconnected" in an MCP client).
  Now the server starts, says the one line on stderr, and every tool call answers with it (``isError``) and "then
  start this server again" (the setting is read at start).
- P3. ``get_article {"key": "민법"}`` answered "no article '민법' in this index". Now: "key: '민법' names a law, not an
  article: give an article, e.g. '민법 제1조'" (as '제750조' alone "names no law").
- P5. search_statutes' description says how large an answer grows with ``k`` and ``precedents`` (109,276
  characters at k=100 with precedents=10).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.errors import LegalretError  # noqa: E402
from test_serve_mcp import _call, _refused  # noqa: E402  (an in-process tool call, and its one-line refusal)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from legalret import pipeline

    idx = tmp_path_factory.mktemp("s24") / "idx"
    pipeline.build(sup.articles(), idx, model="none")
    return idx


def _truncated(path: Path) -> None:
    """``path`` cut to half its size, as a fresh file (a hard-linked copy's original stays whole)."""
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(data[: len(data) // 2])


# ---- C1: LangChain page_content ------------------------------------------------------------------------------------
def test_page_content_is_the_citation_then_the_text_and_text_alone_on_request(index):
    pytest.importorskip("langchain_core")
    from legalret.integrations.langchain import LegalretRetriever
    from legalret.serve.statutes import StatuteService

    service = StatuteService(index, warm=False)
    cited = LegalretRetriever(index=service, k=3).invoke("민법 제750조")
    text = LegalretRetriever(index=service, k=3, content="text").invoke("민법 제750조")
    assert cited[0].metadata["key"] == "민법 제750조"
    for c, t in zip(cited, text, strict=True):
        assert c.page_content == f"{c.metadata['citation']}\n{t.page_content}"  # the citation line, then the text
        assert c.metadata == t.metadata and c.id == t.id  # metadata as it was
    assert cited[0].page_content.startswith("「민법」 제750조(불법행위의 내용)\n")
    assert not text[0].page_content.startswith("「")
    # the usual format_docs: every article the LLM reads carries the citation it can quote
    joined = "\n\n".join(d.page_content for d in cited)
    assert all(d.metadata["citation"] in joined for d in cited)
    assert LegalretRetriever(index=service).content == "cited"
    assert LegalretRetriever(index=service, content=" Text ").content == "text"
    for bad in ("citation+text", 1, ["text"]):
        with pytest.raises(LegalretError, match=r"^content: 'cited' .* or 'text' .*got "):
            LegalretRetriever(index=service, content=bad)


def test_page_content_of_a_hit_without_a_citation():
    pytest.importorskip("langchain_core")
    from legalret.integrations.langchain import page_content

    assert page_content({"key": "민법 제1조", "text": "본문"}) == "민법 제1조\n본문"
    assert page_content({"citation": "「민법」 제1조(법원)", "text": ""}) == "「민법」 제1조(법원)"
    assert page_content({"citation": "「민법」 제1조(법원)", "text": "본문"}, "text") == "본문"


# ---- P3: a law's name alone ------------------------------------------------------------------------------------------
def test_a_key_naming_only_a_law_asks_for_an_article(index):
    pytest.importorskip("mcp")
    from legalret.serve.mcp_server import create_mcp_server
    from legalret.serve.statutes import StatuteService

    service = StatuteService(index, warm=False)
    with pytest.raises(LegalretError) as e:
        service.article("민법")
    assert str(e.value).startswith("key: '민법' names a law, not an article: give an article, e.g. '민법 제"), e.value
    for key in ("民法", "「상법」", " 상법 "):
        with pytest.raises(LegalretError, match="names a law, not an article"):
            service.article(key)
    server = create_mcp_server(service.live, warm=False)
    line = _refused(server, "get_article", {"key": "민법"})
    assert line.startswith("key: '민법' names a law, not an article: give an article, e.g. '민법 제")
    example = line.rsplit("e.g. ", 1)[1].strip("'")
    assert not _call(server, "get_article", {"key": example}).is_error  # the example is an article this index holds
    # the other misses are as they were
    assert "names no law" in _refused(server, "get_article", {"key": "제750조"})
    assert "names a law" not in _refused(server, "get_article", {"key": "민법 제9999조"})


# ---- C5: a damaged index --------------------------------------------------------------------------------------------
def _copy(index: Path, to: Path) -> Path:
    subprocess.run(["cp", "-al", str(index), str(to)], check=True)
    return to


def test_a_damaged_index_of_one_generation_says_rebuild_and_could_not_be_opened(index, tmp_path):
    pytest.importorskip("mcp")
    from legalret.serve.mcp_server import create_mcp_server, index_problem, serving_note

    idx = _copy(index, tmp_path / "idx")
    rows = idx / "gen-000001" / "rows.json"
    _truncated(rows)
    server = create_mcp_server(idx, warm=False, missing_ok=True)
    live = server.service.live
    line = _refused(server, "get_article", {"key": "민법 750"})
    assert line.startswith(f"{rows}: corrupted index file (") and "rollback" not in line, line
    assert f"rebuild it (`legalret index build SOURCES --index {idx}`; no earlier generation is kept" in line
    assert "rollback" not in server.instructions and "corrupted index file" in server.instructions
    note = serving_note(live)
    assert note.startswith(f"the index could not be opened: {rows}: corrupted index file (")
    assert note.endswith("; every tool call answers with the warning") and "rebuild" not in note
    assert index_problem(live) == line
    # (the index itself is untouched: the copy's damaged file is a fresh inode)
    assert (index / "gen-000001" / "rows.json").stat().st_size > rows.stat().st_size


def test_a_damaged_generation_with_an_earlier_one_kept_still_offers_rollback(tmp_path):
    pytest.importorskip("mcp")
    from legalret import pipeline
    from legalret.serve.mcp_server import create_mcp_server, earlier_generation_kept, serving_note

    idx = tmp_path / "idx"
    pipeline.build(sup.articles(), idx, model="none")
    pipeline.build(sup.articles(), idx, model="none")
    live = (idx / "CURRENT").read_text(encoding="utf-8")
    assert "gen-000002" in live and earlier_generation_kept(idx)
    _truncated(idx / "gen-000002" / "rows.json")
    server = create_mcp_server(idx, warm=False, missing_ok=True)
    line = _refused(server, "list_laws", {})
    assert "rebuild (legalret index build) or restore (legalret index rollback)" in line, line
    assert serving_note(server.service.live).startswith("the index could not be opened: ")


def test_a_missing_index_is_still_no_index_yet(tmp_path):
    pytest.importorskip("mcp")
    from legalret.serve.mcp_server import create_mcp_server, serving_note

    for idx in (tmp_path / "none", tmp_path / "empty"):
        if idx.name == "empty":
            idx.mkdir()
        server = create_mcp_server(idx, warm=False, missing_ok=True)
        assert serving_note(server.service.live) == "no index yet: every tool call answers with the warning"
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("x", encoding="utf-8")
    server = create_mcp_server(tmp_path / "notes", warm=False, missing_ok=True)
    assert serving_note(server.service.live).startswith(f"the index could not be opened: {tmp_path / 'notes'} is not a "
                                                        "legalret index")


# ---- C6, C5 over stdio: what an MCP client and a person reading stderr get -------------------------------------------
def _stdio(args: list[str], env: dict[str, str], calls: list[tuple[str, dict]], errfile: Path):
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    base = {"PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), "LEGALRET_RESIDENT": "off",
            "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    for name in ("HOME", "LEGALRET_DATA"):
        if os.environ.get(name):
            base[name] = os.environ[name]
    params = StdioServerParameters(command=sys.executable, args=["-m", "legalret", "mcp", *args], env={**base, **env},
                                   cwd=str(REPO))

    async def main():
        with open(errfile, "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    init = await session.initialize()
                    tools = (await session.list_tools()).tools
                    return init, tools, [await session.call_tool(name, a) for name, a in calls]

    return anyio.run(main)


def test_mcp_over_a_home_that_is_a_file_starts_and_answers_each_call_with_the_problem(tmp_path):
    pytest.importorskip("mcp")
    home = tmp_path / "afile"
    home.write_text("x", encoding="utf-8")
    errfile = tmp_path / "stderr.txt"
    init, tools, results = _stdio([], {"LEGALRET_HOME": str(home)},
                                  [("search_statutes", {"query": "유치권"}), ("get_article", {"key": "민법 750"})], errfile)
    said = f"LEGALRET_HOME {home}: a file, not a folder; set LEGALRET_HOME to a folder you can write"
    assert len(tools) == 4 and said in init.instructions and "no restart" not in init.instructions
    for result in results:
        assert result.is_error
        text = result.content[0].text
        assert text.startswith(said + "; then start this server again (") and "\n" not in text, text
    lines = errfile.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith(f"warning: {said}; then start this server again"), lines
    assert lines[1] == (f"legalret MCP server on stdio over {home / 'index'} (the index could not be opened: "
                        f"LEGALRET_HOME {home}: a file, not a folder; every tool call answers with the warning)"), lines
    assert home.is_file()  # (nothing was made of it)


def test_mcp_start_line_over_a_damaged_index_says_it_could_not_be_opened(index, tmp_path):
    pytest.importorskip("mcp")
    idx = _copy(index, tmp_path / "idx")
    rows = idx / "gen-000001" / "rows.json"
    _truncated(rows)
    errfile = tmp_path / "stderr.txt"
    _, _, (result,) = _stdio(["--index", str(idx)], {}, [("search_statutes", {"query": "유치권"})], errfile)
    assert result.is_error and "corrupted index file" in result.content[0].text
    assert "rollback" not in result.content[0].text
    lines = errfile.read_text(encoding="utf-8").splitlines()
    start = next(line for line in lines if line.startswith("legalret MCP server on stdio"))
    assert start.startswith(f"legalret MCP server on stdio over {idx} (the index could not be opened: {rows}: "
                            "corrupted index file ("), start
    assert "no index yet" not in start


# ---- P5: answer size in the description ------------------------------------------------------------------------------
def test_search_statutes_description_says_how_large_an_answer_grows(index):
    pytest.importorskip("mcp")
    from legalret.serve.mcp_server import create_mcp_server

    server = create_mcp_server(index, warm=False)
    tools = {t.name: t for t in anyio.run(server.list_tools)}
    description = " ".join(tools["search_statutes"].description.split())
    assert "grows with k and precedents" in description and "100,000" in description
    assert len(description) < 600
