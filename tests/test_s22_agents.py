"""What an agent gets (an agent-builder's findings, 2026-12-07).

- ``search_statutes`` answered ~24,000 characters for k=5, 90% of it precedents (every voter, a facts excerpt of
  ~1,500 characters each), its text block indented JSON: now 3 decisions per article by default (``precedents``,
  0–10), each text at most 400 characters, compact JSON.
- LangChain's precedents differed in process (the raw text, the memory's row ``index``) and behind a server (the
  text and the page's ``excerpt``): now the agents' form everywhere (:func:`legalret.serve.wording.agent_precedent`);
  ``LegalretRetriever(law=["민법", "상법"])`` was pydantic's multi-line error.
- ``StatuteService.laws(limit=0)`` answered no laws without a word; tool descriptions carried the source indent; a
  server started on a home or a file said "call again", which never helps.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
sys.path.insert(0, str(Path(__file__).parent))  # test_facts: its fixture decisions and facts

from legalret.errors import LegalretError  # noqa: E402
from legalret.serve.wording import AGENT_PRECEDENT_CHARS, agent_precedent  # noqa: E402

pytest.importorskip("mcp")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    from test_facts import build_with_memories


    idx = tmp_path_factory.mktemp("agents") / "idx"
    build_with_memories(idx)
    return idx


def _call(server, tool, args):
    return anyio.run(server.call_tool, tool, args)


def test_a_long_precedent_text_is_cut_at_a_sentence_end():
    sentence = "원고는 피고에게 금원을 대여하였으나 변제기가 지나도록 돌려받지 못하였다. "
    p = {"case_no": "2018다1", "decided": "2018-01-01", "matched": "facts", "text": sentence * 20, "similarity": 0.5,
         "url": "u", "index": 7}
    got = agent_precedent(p)
    assert list(got) == ["case_no", "decided", "matched", "text", "similarity", "url", "cut"]  # no memory row number
    assert got["cut"] and len(got["text"]) <= AGENT_PRECEDENT_CHARS and got["text"].endswith("하였다. …")
    whole = agent_precedent(p, max_chars=None)
    assert not whole["cut"] and whole["text"] == (sentence * 20).strip()
    assert agent_precedent({**p, "text": "짧은 판시사항"})["text"] == "짧은 판시사항"


def test_search_statutes_lists_fewer_shorter_precedents_in_compact_json(index):
    from test_facts import SCENARIO

    from legalret.serve.mcp_server import DEFAULT_PRECEDENTS, create_mcp_server

    server = create_mcp_server(index, warm=False)
    sizes = {}
    for precedents in (0, None, 10):
        result = _call(server, "search_statutes", {"query": SCENARIO, "k": 5, "precedents": precedents})
        assert not result.is_error
        text = result.content[0].text
        assert json.loads(text) == result.structured_content and "\n" not in text  # the same object, compact
        counts = [len(h["precedents"]) for h in result.structured_content["hits"]]
        limit = {0: 0, None: DEFAULT_PRECEDENTS, 10: 10}[precedents]
        assert max(counts) <= limit and (limit == 0 or max(counts) > 0)
        assert all(len(p["text"]) <= AGENT_PRECEDENT_CHARS for h in result.structured_content["hits"]
                   for p in h["precedents"])
        sizes[precedents] = len(text)
    assert sizes[0] < sizes[None] <= sizes[10]
    from mcp.server.mcpserver.exceptions import ToolError

    with pytest.raises(ToolError, match=r"^precedents: Input should be a number of decisions per article \(0–10\)"):
        _call(server, "search_statutes", {"query": SCENARIO, "precedents": True})
    tools = {t.name: t for t in anyio.run(server.list_tools)}
    assert "\n        " not in tools["search_statutes"].description
    assert "convex, rrf" in tools["search_statutes"].input_schema["properties"]["mode"]["description"]


def test_langchain_precedents_have_the_agents_form_and_law_may_be_a_list(index):
    pytest.importorskip("langchain_core")
    from test_facts import SCENARIO

    from legalret.integrations.langchain import LegalretRetriever

    retriever = LegalretRetriever(index=str(index), k=5, law=["민법", "상법"])
    assert retriever.law == "민법,상법"
    docs = retriever.invoke(SCENARIO)
    precedents = [p for d in docs for p in d.metadata["precedents"]]
    assert precedents and all(list(p) == ["case_no", "decided", "matched", "text", "similarity", "url", "cut"]
                              and not p["cut"] for p in precedents)
    with pytest.raises(LegalretError, match=r"^law: a name, names separated by commas or a list of names, got int$"):
        LegalretRetriever(index=str(index), law=3)


def test_laws_limit_below_one_is_refused(index):
    from legalret.serve.statutes import StatuteService

    service = StatuteService(index, warm=False)
    assert service.laws(limit=1)["laws"]
    for limit in (0, -1, True):
        with pytest.raises(LegalretError, match=r"^limit: a number of laws of 1 or more"):
            service.laws(limit=limit)


def test_a_server_started_on_a_home_or_a_file_says_to_start_it_again(index, tmp_path):
    import shutil

    from legalret.serve.live import LiveSearcher
    from legalret.serve.mcp_server import index_problem

    home = tmp_path / "home"
    shutil.copytree(index, home / "index")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    for where in (home, a_file):
        said = index_problem(LiveSearcher(where, warm=False, missing_ok=True))
        assert said.endswith(f"this server serves {where} for as long as it runs: start it again with --index naming "
                             "the index folder"), said
    empty = tmp_path / "not-yet"
    assert index_problem(LiveSearcher(empty, warm=False, missing_ok=True)).endswith(
        "then call again (this server picks it up without a restart)")
