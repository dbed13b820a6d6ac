"""What a new integrator found wiring the HTTP API, MCP and Python together (2026-12-07).

- An article key with more after the article (``민법 제750조2``, ``민법 제750조abc``, ``민법 제750조 아무말이나``) had
  answered 민법 제750조 with no notice: an app showed the wrong article. Now it names no article (a 404 saying how it
  was read, with a did-you-mean where the digits make a 조의N the index holds); a pasted citation's title in brackets
  and the words joining its parts still name it.
- An article of a law the index lacks had been a 400 ("my request was malformed") where the README promises a 404 for
  a key the index lacks; a key that names no law stays a 400.
- ``deleted`` and ``takes_effect`` were left out of a hit (CLI ``--json``, HTTP) and of ``/api/articles`` when false /
  null, while MCP and LangChain always give them: now every route gives both.
- MCP ``list_laws`` read neither Hanja (民法: 0 matches) nor a short name (근기법), and said nothing when no law
  matched, where a search's ``law=`` filter says the law is not in the index and how to add it.
- ``Searcher.search(mode="BM25")`` was refused in Python, which the CLI, the API and MCP take.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote

import anyio
import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.errors import LegalretError  # noqa: E402
from legalret.index import build_index  # noqa: E402
from legalret.search.response import article_json  # noqa: E402
from legalret.search.searcher import Searcher  # noqa: E402
from legalret.serve.app import create_app  # noqa: E402
from legalret.serve.statutes import StatuteService  # noqa: E402


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    idx = tmp_path_factory.mktemp("s21") / "idx"
    build_index(sup.articles(), idx, model="none")  # 민법 (제750조, 제751조, 제312조의2 …), 상법 (제651조, 제651조의2 …)
    return idx


@pytest.fixture(scope="module")
def client(index):
    return TestClient(create_app(index))


def _article(client, key):
    return client.get("/api/articles/" + quote(key, safe=""))


@pytest.mark.parametrize("key, left", [("민법 제750조2", "2"), ("민법 제750조abc", "abc"),
                                       ("민법 제750조 아무말이나", "아무말이나"), ("민법 제750조/x", "/x"),
                                       ("민법 제750조 제1항 제2호abc", "abc")])
def test_a_key_with_more_after_the_article_names_no_article(client, key, left):
    r = _article(client, key)
    assert r.status_code == 404, r.text
    error = r.json()["error"]
    assert error.startswith(f"no article {key!r} in this index: it reads as 민법 제750조")
    assert f"followed by {left!r}" in error and "give the article's key alone ('민법 제750조')" in error


def test_digits_after_the_article_suggest_the_branch_article_the_index_holds(client):
    error = _article(client, "상법 제651조2").json()["error"]
    assert error == ("no article '상법 제651조2' in this index: it reads as 상법 제651조 followed by '2' "
                     "(did you mean 상법 제651조의2?)")
    # 민법 has no 제750조의2 here: no such suggestion
    assert "did you mean" not in _article(client, "민법 제750조2").json()["error"]


@pytest.mark.parametrize("key", ["민법 제750조(불법행위의 내용)", "민법 제750조 (2020. 1. 1. 개정)", "「민법」 제750조.",
                                 "민법 제750조 제1항 및 제2항", "民法 第750條", "민법 750"])
def test_a_pasted_citation_with_its_title_or_joined_parts_still_names_the_article(client, key):
    r = _article(client, key)
    assert r.status_code == 200, r.text
    assert r.json()["key"] == "민법 제750조"


def test_a_law_the_index_lacks_is_a_404_and_a_key_naming_no_law_a_400(client):
    r = _article(client, "형법 제250조")
    assert r.status_code == 404 and "형법 is not in this index" in r.json()["error"]
    r = _article(client, "제750조")
    assert r.status_code == 400 and "names no law" in r.json()["error"]


def test_python_and_mcp_lookups_read_keys_the_same_way(index):
    svc = StatuteService(index, warm=False)
    with pytest.raises(LegalretError, match=r"^key: no article '민법 제750조2' in this index: it reads as 민법 제750조"):
        svc.article("민법 제750조2")
    assert svc.article("민법 제750조(불법행위의 내용)")["key"] == "민법 제750조"
    pytest.importorskip("mcp")
    from mcp.server.mcpserver.exceptions import ToolError

    from legalret.serve.mcp_server import create_mcp_server

    server = create_mcp_server(index, warm=False)
    with pytest.raises(ToolError, match="followed by 'abc'"):
        anyio.run(server.call_tool, "get_article", {"key": "민법 제750조abc"})


def test_every_route_gives_deleted_and_takes_effect(index, client):
    s = Searcher(index)
    hit = s.search("불법행위 손해배상", k=3, mode="bm25")[0].to_dict()
    assert hit["deleted"] is False and hit["takes_effect"] is None
    body = client.get("/api/search", params={"q": "불법행위 손해배상", "k": 3, "mode": "bm25"}).json()
    assert all(h["deleted"] is False and h["takes_effect"] is None for h in body["hits"])
    article = _article(client, "민법 제750조").json()
    assert article["deleted"] is False and article["takes_effect"] is None
    assert article_json(s.article("민법 제750조"), s.in_force_on())["deleted"] is False


def test_list_laws_reads_hanja_and_short_names_and_says_why_nothing_matched(index):
    svc = StatuteService(index, warm=False)
    assert [law["law"] for law in svc.laws(name="民法")["laws"]] == ["민법", "민법 시행령"]  # (as 민법 matches)
    absent = svc.laws(name="형법")
    assert absent["matching"] == 0 and absent["laws"] == []
    assert absent["notices"] == ["'형법': not in this index (형법 is a law, but not one this index holds; add it with "
                                 f"`legalret index add criminal --index {index}`)"]
    assert svc.laws(name="민볍")["notices"] == ["'민볍': not in this index (did you mean 민법?)"]
    assert svc.laws(name="민법")["notices"] == []  # (a match says nothing)


def test_python_search_reads_the_mode_as_every_interface_does(index):
    s = Searcher(index)
    assert [h.key for h in s.search("불법행위", k=2, mode="BM25")] == [h.key for h in s.search("불법행위", k=2, mode="bm25")]
    with pytest.raises(LegalretError, match=r"^mode: unknown search mode 'magic'"):
        s.search("불법행위", mode="magic")


def test_a_cut_list_of_several_laws_keys_counts_each_law():
    """``index add criminal`` had reported "added: 교통사고처리 특례법 제1조 … and 2493 more": not that 형법 was among them."""
    from legalret.cli.index import _key_list

    keys = [f"교통사고처리 특례법 제{i}조" for i in range(1, 9)] + [f"형법 제{i}조" for i in range(1, 373)]
    assert _key_list(keys) == ("교통사고처리 특례법 제1조, 제2조, 제3조, 제4조, 제5조, 제6조, 제7조, 제8조, 형법 제1조, 제2조 "
                               "… and 370 more — per law: 형법 372, 교통사고처리 특례법 8")
    one_law = [f"민법 제{i}조" for i in range(1, 40)]
    assert _key_list(one_law).endswith("제10조 … and 29 more")  # one law: its count is the line's own
    assert _key_list(keys[:3]) == "교통사고처리 특례법 제1조, 제2조, 제3조"  # not cut: every key is there


@pytest.mark.parametrize("params", [{"law": " "}, {"law": " , "}, {"kind": " "}])
def test_a_law_or_kind_naming_nothing_is_a_400_not_every_law(client, params):
    """``law=%20`` had searched every law without a word (the CLI's ``--law ''`` is refused); empty is no filter."""
    field = next(iter(params))
    r = client.get("/api/search", params={"q": "불법행위", **params})
    assert r.status_code == 400 and r.json()["error"].startswith(f"{field} names nothing ("), r.text
    assert client.get("/api/search", params={"q": "불법행위", "law": ""}).status_code == 200  # (the page's empty filter)


def test_the_service_behind_mcp_and_langchain_refuses_a_law_naming_nothing_too(index):
    with pytest.raises(LegalretError, match=r"^law names nothing \(' '\): give a name"):
        StatuteService(index, warm=False).search("불법행위", law=" ")


def test_python_lookups_name_a_bad_argument(index):
    """``Searcher(None)`` and ``Searcher.article(None)`` had raised bare TypeErrors naming neither argument."""
    with pytest.raises(LegalretError, match=r"^index_dir: the index's folder"):
        Searcher(None)
    with pytest.raises(LegalretError, match=r"^key: an article key is text \('민법 제750조'\), not None$"):
        Searcher(index).article(None)
