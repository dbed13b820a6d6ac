"""What a lawyer found testing the HTTP API and the page (issue 22).

- ``/api/search`` left ``probability`` out of a cited article's hit and of every hit in bm25/memory/rrf/…, while
  ``legalret search --json`` always gives it (null) and the README says the API does: now every hit has it, null
  where there is none — in ``hit_json``, which the API, MCP and LangChain all answer through.
- A cited article's hit carried ``signals`` and ``contributions`` without ``explain=1`` (its one reason line, "exact
  citation …", made the wording layer add them); no other hit did. Now they come with explain only, and the cited
  article keeps its reason line, which the page's 정확 인용 badge reads.
- ``/api/articles/민법 제750조~제752조`` said "names 2 articles (민법 제750조, 민법 제752조)" of a range of three, and
  pointed HTTP users to MCP's check_citation: now the range is counted whole and the way to check several is named
  for every caller.
- The page's Korean notices read "민법 제750조의2은(는)", "제750조은(는) 있지만", "'구 민법 제750조'은(는) … 민법
  제750조을(를)": each particle now follows the word (and a number as it is read: 제750조의2는, 제750조의3은).
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
sys.path.insert(0, str(Path(__file__).parent))
import index_support as sup  # noqa: E402

from test_serve_browser import browser  # noqa: E402,F401  (the same headless chromium; skips where it is missing)

from legalret import pipeline  # noqa: E402
from legalret.errors import LegalretError  # noqa: E402
from legalret.serve.app import create_app  # noqa: E402
from legalret.serve.live import LiveSearcher  # noqa: E402
from legalret.serve.server import BackgroundServer  # noqa: E402
from legalret.serve.statutes import StatuteService  # noqa: E402

QUERY = "민법 제750조 불법행위 손해배상 유치권"  # a citation and words: one cited hit, the rest retrieved


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """The fixture laws (민법 제192조 … 제750조, 제751조; 상법) with a precedent memory: hybrid, bm25, memory, rrf and
    convex all answer (no dense vectors)."""
    idx = tmp_path_factory.mktemp("s22") / "idx"
    pipeline.build(sup.articles(), idx, model="none", precedents=sup.PRECEDENTS)
    return idx


@pytest.fixture(scope="module")
def live(index):
    return LiveSearcher(index)


@pytest.fixture(scope="module")
def client(live):
    return TestClient(create_app(live))


def _search(client, **params) -> dict:
    r = client.get("/api/search", params={"q": QUERY, "k": 4, **params})
    assert r.status_code == 200, r.text
    return r.json()


# ---- 1. probability on every hit ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "memory", "rrf", "convex"])
def test_every_hit_of_every_mode_has_a_probability(client, mode):
    hits = _search(client, mode=mode)["hits"]
    assert hits[0]["key"] == "민법 제750조" and hits[0]["ranks"] == {"citation": 1}  # the cited article among them
    assert len(hits) > 1
    for hit in hits:
        # none of these has a re-ranker's probability (no learned ranker here, or another mode): null, not missing
        assert "probability" in hit and hit["probability"] is None, (mode, hit["key"], sorted(hit))
        assert "relevance" in hit


def test_a_citation_alone_has_a_probability_too(client):
    (hit,) = client.get("/api/search", params={"q": "민법 제750조"}).json()["hits"]
    assert hit["key"] == "민법 제750조" and hit["relevance"] == 100 and hit["probability"] is None


def test_mcp_and_langchain_get_the_same_hits(live):
    """StatuteService.search — what MCP's search_statutes and an in-process LangChain retriever read — answers through
    the same hit_json: the key is there on every hit."""
    res = StatuteService(live).search(QUERY, k=4, mode="bm25")
    assert res["hits"] and all("probability" in h and h["probability"] is None for h in res["hits"])


# ---- 2. signals and contributions with explain only -----------------------------------------------------------------

EXPLAIN_ONLY = {"signals", "contributions", "feature_contributions"}


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "memory"])
def test_without_explain_no_hit_has_signals_or_contributions(client, mode):
    hits = _search(client, mode=mode)["hits"]
    assert [sorted(EXPLAIN_ONLY & set(h)) for h in hits] == [[]] * len(hits)
    # the cited article keeps its reason line: the page's badge tells a decision's 참조조문 by it
    assert hits[0]["reasons"] == ["exact citation '민법 제750조'"]
    assert all(h["precedents"] == [] for h in hits)


def test_with_explain_every_hit_has_them(client):
    hits = _search(client, explain=1)["hits"]
    cited, *others = hits
    assert cited["signals"] == [{"retriever": "citation", "label": "정확 인용", "rank": 1}]
    assert others and all(h["signals"] and "contributions" in h for h in others)
    assert any(s["label"] == "유사 판례 투표" for h in others for s in h["signals"])


# ---- 3. a key naming several articles -------------------------------------------------------------------------------


def _article_error(client, key: str) -> str:
    r = client.get("/api/articles/" + quote(key, safe=""))
    assert r.status_code == 400, r.text
    return r.json()["error"]


WAY = "give one, or search for the citation to list each (MCP: check_citation)"


def test_a_range_is_counted_whole(client):
    # 제752조 is not in the fixture index: a range names its ends and the index's articles between them
    assert _article_error(client, "민법 제750조~제752조") == (
        f"key: names 3 articles (민법 제750조, 민법 제751조, 민법 제752조); {WAY}")
    assert _article_error(client, "민법 제192조 내지 제320조") == (
        f"key: names 4 articles (민법 제192조, 민법 제194조, 민법 제312조의2 …); {WAY}")


def test_several_articles_without_a_range(client, live):
    assert _article_error(client, "민법 제750조, 민법 제194조") == (
        f"key: names 2 articles (민법 제750조, 민법 제194조); {WAY}")
    # MCP's get_article and LangChain read the key through the same find_article: the same words
    with pytest.raises(LegalretError) as e:
        StatuteService(live).article("민법 제750조~제752조")
    assert str(e.value) == f"key: names 3 articles (민법 제750조, 민법 제751조, 민법 제752조); {WAY}"


def test_the_endpoint_the_message_names_checks_the_range(client):
    """What the message points HTTP users to answers: a search with the key lists each article of the range the index
    holds (and names the one it lacks)."""
    body = client.get("/api/search", params={"q": "민법 제750조~제752조"}).json()
    assert [h["key"] for h in body["hits"]][:2] == ["민법 제750조", "민법 제751조"]
    assert any("민법 제752조" in n for n in body["notices"]), body["notices"]


# ---- 4. the page's particles, in a real browser ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(index):
    with BackgroundServer(index) as srv:
        yield srv


_NOTICES = r"""
const s = document.getElementById("status").textContent;
if (!s || s.startsWith("검색 중")) return null;
return Array.from(document.querySelectorAll("#notices li")).map((li) => li.textContent);
"""


def _page_notices(driver, srv, q: str) -> list[str]:
    from selenium.webdriver.support.ui import WebDriverWait

    api = httpx.get(srv.url + "/api/search", params={"q": q}, trust_env=False).json()["notices"]
    driver.get(srv.url + "/?" + str(httpx.QueryParams({"q": q})))
    shown = WebDriverWait(driver, 60).until(lambda d: d.execute_script(_NOTICES) or None)
    assert len(shown) == len(api), (api, shown)
    return shown


@pytest.mark.slow
@pytest.mark.parametrize("q, expected", [
    # an article the index lacks beside one it has: ending in 2 (이) and 조 — a vowel — 는
    ("민법 제750조의2", "인용한 조문 민법 제750조의2는 없는 조문입니다: 색인된 민법에는 제750조는 있지만 제750조의2는 없습니다."),
    # … and in 3 (삼): a final consonant — 은
    ("민법 제750조의3", "인용한 조문 민법 제750조의3은 없는 조문입니다: 색인된 민법에는 제750조는 있지만 제750조의3은 없습니다."),
    # a quoted key: the particle after the quote follows the word inside it
    ("구 민법 제750조", "'구 민법 제750조'는 민법의 옛 조문(구법)을 인용합니다. 지금의 민법 제750조를 보여 주지만"),
    # a law name ending in a consonant
    ("형법 제250조", "'형법 제250조': 형법은 이 색인에 없는 법령입니다."),
])
def test_the_page_puts_the_right_particle_after_a_key(server, browser, q, expected):  # noqa: F811
    shown = _page_notices(browser, server, q)
    assert any(n.startswith(expected) for n in shown), shown
    assert not any("(는)" in n or "(를)" in n or "(가)" in n for n in shown), shown


_PANEL = r"""
const li = document.querySelector(`#results li.hit[data-key="${arguments[0]}"]`);
if (!li) return null;
const button = li.querySelector("button.explain");
if (button.getAttribute("aria-expanded") !== "true") button.click();
const panel = li.querySelector(".explain-panel");
return {hidden: panel.hidden, signals: Array.from(panel.querySelectorAll("ul.signals li")).map((x) => x.textContent)};
"""


@pytest.mark.slow
def test_the_explain_panel_still_shows_the_signals(server, browser):  # noqa: F811
    """The page asks with explain=1: a cited article's 근거 보기 and an ordinary hit's still list each retriever's
    rank (without explain the API now leaves them out)."""
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server.url + "/?" + str(httpx.QueryParams({"q": QUERY})))
    cited = WebDriverWait(browser, 60).until(lambda d: d.execute_script(_PANEL, "민법 제750조"))
    assert not cited["hidden"] and cited["signals"] and cited["signals"][0].startswith("정확 인용"), cited
    other = browser.execute_script(_PANEL, "민법 제320조")
    assert other and not other["hidden"], other
    assert any(s.startswith("유사 판례 투표") for s in other["signals"]) and "설명 없음" not in other["signals"], other
