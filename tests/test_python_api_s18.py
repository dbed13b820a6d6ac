"""A legal-tech integrator's findings on the Python API and the interfaces beside it (session 18).

1. ``Searcher.search`` gave no ``relevance``, and kept the re-ranker's ``probability`` where every other interface (CLI
   ``--json``, ``/api/search``, MCP, LangChain, the page) blanks it: "김치찌개 레시피" (nothing in the query matched)
   read 0.17, "근로기준법 제23조 부당해고" on an index without 근로기준법 0.604 for 민법 제741조. The rule is the
   search layer's now (:mod:`legalret.search.relevance`): each hit carries ``relevance`` and ``guess``, a guess's
   ``probability`` is None, and every interface reads the searcher's numbers.
2. ``search(q, k=1000)`` returned 100 hits without a word; the CLI, the API, MCP and LangChain refuse it.
4. MCP tool errors came in two forms: "Error executing tool search_statutes: …" (an empty query, an unknown law, a
   missing article) and "k: …" (a bad argument); MCP hits had ``relevance`` but no ``probability``.
5. ``POST /api/search {"query": "유치권"}`` answered "q: Field required" alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
sys.path.insert(0, str(Path(__file__).parent))
import index_support as sup  # noqa: E402

from legalret.errors import LegalretError  # noqa: E402

ABSENT = "근로기준법 제23조 유치권"  # a law the index lacks, beside words it answers (민법 제320조)
PLAIN = "유치권 점유 수리비"
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}


@pytest.fixture(scope="module")
def civil(tmp_path_factory) -> Path:
    """The fixture 민법 and 상법 (no 근로기준법) with BM25, dense (the tiny encoder) and a precedent memory: hybrid is
    re-ranked, so hits carry the re-ranker's probability."""
    from test_search_memory import PRECEDENTS

    from legalret import pipeline

    index = tmp_path_factory.mktemp("s18") / "idx"
    pipeline.build(sup.articles(), index, model=str(sup.tiny_model_dir()), precedents=PRECEDENTS)
    return index


@pytest.fixture(scope="module")
def searcher(civil):
    from legalret.search.searcher import Searcher

    s = Searcher(civil)
    assert s.ranker is not None, "the fixture index is re-ranked in hybrid"
    return s


# ---- 1. one relevance rule, in the search layer -----------------------------------------------------------------
def test_a_searcher_hit_carries_relevance_as_the_interfaces_show_it(searcher):
    hits = searcher.search(PLAIN, k=5)
    assert hits and all(h.probability is not None and not h.guess for h in hits)
    assert [h.relevance for h in hits] == [round(100 * round(h.probability, 6)) for h in hits]
    d = hits[0].to_dict()
    assert (d["relevance"], d["probability"]) == (hits[0].relevance, round(hits[0].probability, 6))
    cited = searcher.search("민법 제750조 " + PLAIN, k=3)[0]
    assert (cited.relevance, cited.probability, cited.guess) == (100, None, False)
    assert cited.to_dict()["relevance"] == 100 and "probability" not in cited.to_dict()  # (as /api/search gives it)
    shares = searcher.search(PLAIN, k=5, mode="bm25")
    assert shares[0].relevance == 100 and all(h.probability is None and 0 <= h.relevance <= 100 for h in shares)


def test_a_missing_laws_citation_withholds_the_numbers_in_python_too(searcher, civil):
    """What the integrator saw: 0.604 for 민법 제741조 under "근로기준법 is not in this index"."""
    hits = searcher.search(ABSENT, k=4)
    assert hits.notices[0].startswith("'근로기준법 제23조': 근로기준법 is not in this index")
    assert hits and all((h.relevance, h.probability, h.guess) == (None, None, True) for h in hits)
    assert all((h.to_dict()["relevance"], h.to_dict()["probability"]) == (None, None) for h in hits)
    # the same words without the citation keep their numbers
    plain = searcher.search("유치권", k=4)
    assert plain[0].relevance > 0 and plain[0].probability > 0 and not plain[0].guess


def test_nothing_matched_withholds_the_dense_guesses(searcher):
    """"김치찌개 레시피": the notice says nothing matched; the hits the dense list guessed had read 0.17, 0.07 …"""
    from legalret.search.coverage import NOTHING_MATCHED

    hits = searcher.search("김치찌개 레시피", k=5)
    assert any(n.startswith(NOTHING_MATCHED) for n in hits.notices)
    assert hits and all(h.relevance is None and h.probability is None and h.guess for h in hits)


def test_every_interface_reads_the_searchers_numbers(searcher, civil):
    """Python, CLI --json, /api/search, MCP and LangChain: one relevance and one probability per hit."""
    from legalret.cli import app
    from legalret.integrations.langchain import LegalretRetriever
    from legalret.serve.app import create_app
    from legalret.serve.mcp_server import create_mcp_server

    for query in (PLAIN, ABSENT, "민법 제750조 " + PLAIN):
        python = [(h.key, h.relevance, None if h.probability is None else round(h.probability, 6))
                  for h in searcher.search(query, k=4)]
        r = CliRunner().invoke(app, ["search", query, "--index", str(civil), "-k", "4", "--json"], env=ENV)
        assert r.exit_code == 0, r.output
        cli = [(h["key"], h["relevance"], h["probability"]) for h in map(json.loads, r.stdout.splitlines())]
        body = TestClient(create_app(civil, warm=False)).get("/api/search", params={"q": query, "k": 4}).json()
        http = [(h["key"], h["relevance"], h.get("probability")) for h in body["hits"]]
        out = anyio.run(create_mcp_server(civil, warm=False).call_tool, "search_statutes", {"query": query, "k": 4})
        assert not out.is_error, out
        mcp = [(h["key"], h["relevance"], h["probability"]) for h in out.structured_content["hits"]]
        docs = LegalretRetriever(index=civil, k=4).invoke(query)
        chain = [(d.metadata["key"], d.metadata["relevance"], d.metadata["probability"]) for d in docs]
        assert python == cli == http == mcp == chain, query


def test_the_serve_layer_keeps_no_copy_of_the_rule():
    """The searcher rates every hit (:func:`legalret.search.relevance.rate_hits`); the serve layer rates nothing."""
    from legalret.search import relevance as rule
    from legalret.serve import wording

    assert rule.rate_hits is not None
    for copy in ("rate", "relevance", "absent_law_guesses", "answer_view", "WORD_SIGNALS", "_ABSENT_LAW"):
        assert not hasattr(wording, copy), copy


# ---- 2. k above the limit is refused as everywhere ------------------------------------------------------------
def test_k_above_the_limit_is_the_interfaces_error(searcher):
    from legalret.config import k_error

    most = max(100, searcher.ranker.depth if searcher.ranker is not None else 0)  # (a re-ranker's depth: 150)
    with pytest.raises(LegalretError) as e:
        searcher.search(PLAIN, k=1000)
    assert str(e.value) == k_error(1000, most) == f"k must be between 1 and {most} (got 1000)"
    assert len(searcher.search(PLAIN, k=most)) >= 1  # the limit itself is fine


# ---- 4. MCP: one form of tool error, and the probability ------------------------------------------------------
@pytest.mark.parametrize("tool, arguments, line", [
    ("search_statutes", {"query": "  "}, "query: empty query"),
    ("search_statutes", {"query": "유치권", "law": "형법"}, "unknown law filter '형법': not in this index"),
    ("get_article", {"key": "민법 제9999조"}, "key: no article '민법 제9999조' in this index"),
    ("search_statutes", {"query": "유치권", "k": 1000}, "k: Input should be less than or equal to 100 (got 1000)"),
    ("search_statutes", {"query": "유치권", "mode": "magic"}, "mode: "),
    ("search_statutes", {}, "query: Field required"),
])
def test_mcp_tool_errors_are_one_form(civil, tool, arguments, line):
    """The SDK had put "Error executing tool search_statutes: " before a tool's own line, not before an argument's."""
    from mcp.server.mcpserver.exceptions import ToolError

    from legalret.serve.mcp_server import create_mcp_server

    with pytest.raises(ToolError) as e:  # (str(e) is the text the client gets: the server's CallToolResult)
        anyio.run(create_mcp_server(civil, warm=False).call_tool, tool, arguments)
    text = str(e.value)
    assert text.startswith(line) and "Error executing tool" not in text and "\n" not in text, text


# ---- 5. POST /api/search without q -----------------------------------------------------------------------------
def test_a_body_without_q_names_the_field_it_got(civil):
    from legalret.serve.app import create_app

    client = TestClient(create_app(civil, warm=False))
    r = client.post("/api/search", json={"query": "유치권", "k": 3})
    assert r.status_code == 400
    assert r.json()["error"] == ("q: Field required: the question goes in q; got query, which the API does not read "
                                 "(its fields: q, k, law, kind, mode, explain)")
    r = client.post("/api/search", json={"top_k": 3, "question": "유치권"})  # the text field is named first
    assert r.json()["error"].startswith("q: Field required: the question goes in q; got question, top_k,")
    assert client.post("/api/search", json={"k": 3}).json()["error"] == "q: Field required"  # nothing else to name
