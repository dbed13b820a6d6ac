"""What the HTTP API, MCP and ``search --explain`` say, made consistent with the search (found by a new user).

1. ``GET /api/articles/형사소송법%20제59조의3`` gave ``"takes_effect": "2027-12-31", "notices": []`` where the search,
   the page and MCP's search say "not yet in force: … the text in force today may differ (law.go.kr shows it)": the
   article answers (the API, MCP ``get_article``, and ``check_citation``) now carry the search's own notice.
2. A short name: ``GET /api/articles/근기법%2023`` resolved without a word of what it was read as, and
   ``check_citation`` of "근로기준법상 … 근기법 제23조 제1항, 형소법 …" kept ``cited`` as written, with a notice listing
   형소법 but not 근기법 (the reading writes a short name out only where the passage does not also write the law's
   full name; the citation resolved it all the same). Both now say "short law names read in full: 근기법 →
   근로기준법", the search's notice, and each checked citation names its ``law``.
3. ``legalret search … --explain`` at 80 columns put the reasons in the table's text column: a word or two a line,
   ~70 lines a hit. They are printed below the table now, each hit's reasons indented at full width; ``--json
   --explain`` is unchanged.

The index: 근로기준법 and 형사소송법 of the shared legalize-kr mirror, BM25 only.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import anyio
import pytest
from fastapi.testclient import TestClient
from rich.cells import cell_len
from typer.testing import CliRunner

from legalret.cli import app

runner = CliRunner()
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "80"}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

PENDING = "형사소송법 제59조의3"  # its text takes effect 2027-12-31 (the mirror's version)
BEFORE, AFTER = "2026-12-05", "2099-01-01"  # the day "in force" means: before that day, and long after
NOT_YET = (f"not yet in force: {PENDING} (from 2027-12-31) — the text shown takes effect then; the text in force "
           "today may differ (law.go.kr shows it)")
SHORT = "short law names read in full: 근기법 → 근로기준법"


@pytest.fixture(scope="module")
def index(shared_data, tmp_path_factory):
    from legalret.index import build_index
    from legalret.ingest import ingest

    arts = ingest([shared_data / "statutes" / "legalize-kr.zip"], laws=["근로기준법", "형사소송법"],
                  kinds=["법률"]).articles
    idx = tmp_path_factory.mktemp("serve_s17") / "idx"
    build_index(arts, idx, model="none")
    return idx


@pytest.fixture(scope="module")
def served(index):
    """(the API's client, the MCP server, the searcher they both answer from — whose ``as_of`` a test sets)."""
    from legalret.serve.live import LiveSearcher
    from legalret.serve.mcp_server import create_mcp_server
    from legalret.serve.app import create_app

    live = LiveSearcher(index, warm=False)
    searcher = live.get().searcher
    yield TestClient(create_app(live, warm=False)), create_mcp_server(live, warm=False), searcher
    searcher.as_of = None


def tool(server, name: str, arguments: dict) -> dict:
    out = anyio.run(server.call_tool, name, arguments)
    assert not out.is_error, out
    return out.structured_content


# ---- 1. a text not in force yet ------------------------------------------------------------------------------------
def test_an_article_not_in_force_yet_says_so_as_the_search_does(served):
    client, mcp, searcher = served
    searcher.as_of = BEFORE
    search = client.get("/api/search", params={"q": PENDING, "k": 1, "mode": "bm25"}).json()
    assert search["notices"] == [NOT_YET]  # the search's notice, which the article answers now give as it is
    api = client.get("/api/articles/" + quote(PENDING))
    got = tool(mcp, "get_article", {"key": PENDING})
    assert api.status_code == 200
    for answer in (api.json(), got):  # (before: "takes_effect": "2027-12-31", "notices": [])
        assert (answer["key"], answer["takes_effect"], answer["notices"]) == (PENDING, "2027-12-31", [NOT_YET])
    # written another way, with a part it lacks: how it was read, what it lacks, then the text's day
    got = client.get("/api/articles/" + quote("형소법 59조의3 제9항")).json()
    assert got["notices"] == ["short law names read in full: 형소법 → 형사소송법",
                              f"cited article {PENDING} has no 제9항", NOT_YET]
    # check_citation: the field it had, and the notice now (the README promises both with every answer)
    check = tool(mcp, "check_citation", {"text": f"{PENDING} 및 근로기준법 제23조에 따라"})
    assert [(c["key"], c["takes_effect"]) for c in check["citations"]] == [(PENDING, "2027-12-31"),
                                                                           ("근로기준법 제23조", None)]
    assert check["notices"] == [NOT_YET]
    # from that day on: neither the field nor the notice
    searcher.as_of = AFTER
    for answer in (client.get("/api/articles/" + quote(PENDING)).json(), tool(mcp, "get_article", {"key": PENDING})):
        assert answer.get("takes_effect") is None and answer["notices"] == []
    assert tool(mcp, "check_citation", {"text": PENDING})["notices"] == []


# ---- 2. short names ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("written", ["근기법 23", "근기법 제23조", "근기법23", "勤基法 第23條"])
def test_an_article_key_written_with_a_short_name_says_what_it_was_read_as(served, written):
    client, mcp, searcher = served
    searcher.as_of = AFTER
    api = client.get("/api/articles/" + quote(written))
    assert api.status_code == 200
    for answer in (api.json(), tool(mcp, "get_article", {"key": written})):
        # (before: the right article, "notices": [] — a Hanja key's own reading is not repeated: what it names is)
        assert (answer["key"], answer["notices"]) == ("근로기준법 제23조", [SHORT]), written
    # the search's notice for the same words
    search = client.get("/api/search", params={"q": "근기법 23조", "k": 1, "mode": "bm25"}).json()
    assert search["notices"] == [SHORT]
    # the law's own name, and a part the article lacks, as before
    assert client.get("/api/articles/" + quote("근로기준법 23")).json()["notices"] == []
    assert client.get("/api/articles/" + quote("근기법 제23조 제9항")).json()["notices"] == [
        SHORT, "cited article 근로기준법 제23조 has no 제9항"]


def test_check_citation_names_the_law_a_short_name_was_read_as(served):
    client, mcp, searcher = served
    searcher.as_of = AFTER
    got = tool(mcp, "check_citation", {"text": "근기법 제23조 제1항"})
    assert [(c["cited"], c["key"], c["law"], c["paragraph_exists"]) for c in got["citations"]] == [
        ("근로기준법 제23조 제1항", "근로기준법 제23조", "근로기준법", True)]
    assert got["notices"] == [SHORT]
    # the law's full name written too: the short name is left as written, and had gone unsaid
    got = tool(mcp, "check_citation", {"text": "근로기준법상 해고는 근기법 제23조 제1항, 형소법 제59조의3에 따라"})
    assert [(c["cited"], c["key"], c["law"]) for c in got["citations"]] == [
        ("근기법 제23조 제1항", "근로기준법 제23조", "근로기준법"), (PENDING, PENDING, "형사소송법")]
    assert got["notices"] == ["short law names read in full: 형소법 → 형사소송법, 근기법 → 근로기준법"]
    got = tool(mcp, "check_citation", {"text": "근로기준법 제2조와 근기법 제23조"})
    assert [c["cited"] for c in got["citations"]] == ["근로기준법 제2조", "근기법 제23조"]
    assert got["notices"] == [SHORT]
    # no short name, no notice
    assert tool(mcp, "check_citation", {"text": "근로기준법 제2조와 제23조"})["notices"] == []


# ---- 3. search --explain at 80 columns -----------------------------------------------------------------------------
LONG_REASONS = [
    "bm25: rank 1, score 11.8103, contributes 0.073",
    "learned fusion: memory_score -7.36, memory_score*memory_top +7.11, bm25_rr +5.15, dense_rr +4.31; facts features "
    "+0.71 (facts_in -1.13, facts_rr -0.40, facts_logrank +3.42, facts_score -1.23, facts_rr*log_len +0.04)",
    "판례 2019다205329 (2019-08-14) [1] 유치권의 성립요건인 유치권자의 점유에 간접점유가 포함되는지 여부(적극) 및 "
    "간접점유에서 점유매개관계를 이루는 임대차계약 등이 종료된 이후에도 직접점유자가 목적물… (similarity 1.00)",
]


def _explained(out: str) -> dict[str, list[str]]:
    """Each hit's heading below the table → its indented lines."""
    blocks: dict[str, list[str]] = {}
    heading = None
    for line in out.splitlines():
        if line.startswith("#"):
            heading = line
            blocks[heading] = []
        elif heading and line.startswith("    "):
            blocks[heading].append(line)
    return blocks


@pytest.mark.parametrize("terminal", [False, True])
def test_explain_is_printed_below_the_table_at_full_width(capsys, monkeypatch, terminal):
    from legalret.cli.search import render

    monkeypatch.setenv("COLUMNS", "80")
    if terminal:  # (rich at a terminal: colours, the same layout)
        monkeypatch.setenv("FORCE_COLOR", "1")
    hits = [{"key": "민법 제194조", "title": "간접점유", "text": "타인으로 하여금 물건을 점유하게 한 자는 간접으로 점유권이 있다.",
             "score": 1.0, "relevance": 97, "probability": 0.97, "ranks": {"bm25": 1}, "reasons": LONG_REASONS},
            {"key": "민법 제320조", "title": "유치권의 내용", "text": "타인의 물건을 점유한 자는 …", "score": 0.5,
             "relevance": 3, "probability": 0.03, "ranks": {"bm25": 2}, "reasons": ["bm25: rank 2, score 4.8193"]}]
    render("유치권 간접점유", "hybrid", hits, [], ["간접점유"], explain=True)
    raw = capsys.readouterr().out
    assert ("\x1b[" in raw) is terminal
    out = _ANSI.sub("", raw)
    lines = out.splitlines()
    assert max(cell_len(line) for line in lines) <= 80 and all(line == line.rstrip() for line in lines[-12:])
    table, _, below = out.partition("#1 민법 제194조")
    assert "rank 1" not in table and "판례" not in table  # the table's text column holds the article's text alone
    blocks = _explained(out)
    assert list(blocks) == ["#1 민법 제194조 (간접점유) — why:", "#2 민법 제320조 (유치권의 내용) — why:"]
    # each reason whole, in order, its wrapped lines indented (before: ~70 lines of a word or two in the text column)
    first = blocks["#1 민법 제194조 (간접점유) — why:"]
    assert " ".join(line.strip() for line in first) == " ".join(LONG_REASONS)
    assert first[0] == "    " + LONG_REASONS[0] and len(first) <= 8
    assert blocks["#2 민법 제320조 (유치권의 내용) — why:"] == ["    bm25: rank 2, score 4.8193"]
    # without --explain: no reasons anywhere
    render("유치권 간접점유", "hybrid", hits, [], ["간접점유"], explain=False)
    assert "why:" not in capsys.readouterr().out


def test_search_explain_in_a_pipe_and_json_explain(index):
    args = ["search", "해고 등의 제한 정당한 이유", "--index", str(index), "-k", "3", "--mode", "bm25"]
    r = runner.invoke(app, [*args, "--explain"], env=ENV)
    assert r.exit_code == 0, r.output
    assert max(cell_len(line) for line in r.stdout.splitlines()) <= 80
    blocks = _explained(r.stdout)
    assert len(blocks) == 3 and all(lines and lines[0].startswith("    bm25: rank ") for lines in blocks.values())
    assert next(iter(blocks)).startswith("#1 근로기준법 제")
    # --json --explain: one hit a line, the reasons as data, nothing else on stdout
    r = runner.invoke(app, [*args, "--explain", "--json"], env=ENV)
    assert r.exit_code == 0, r.output
    hits = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(hits) == 3 and all(h["reasons"][0].startswith("bm25: rank ") for h in hits)
    assert [f"#{h['rank']} {h['key']} ({h['title']}) — why:" for h in hits] == list(blocks)
