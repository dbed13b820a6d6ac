"""The web page's law filter, on the fixture index (민법, 상법, 민법 시행령; BM25 only).

A link's ``/?q=…&law=형법`` had added 형법 to the page's law select, as if the index held it, and then said "이 색인에
없는 법령입니다: 형법". Now the select lists the index's laws only; a name it does not list is read by the server
(``GET /api/filters``, the search's own resolver: 民法 → 민법), and a law the index lacks is one Korean line naming
it and what to do (the index's laws, or a did-you-mean with a link to search with it), with nothing searched — not
every law under a filter that is not applied.

The API tests run everywhere; the wording runs app.js's own ``errorKo`` in node where node is installed; the page
itself runs in headless chromium (Debian chromium + chromedriver, as tests/test_serve_browser.py), skipped where
they are missing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
sys.path.insert(0, str(Path(__file__).parent))
import index_support as sup  # noqa: E402

from test_serve_browser import browser  # noqa: E402,F401  (the same headless chromium; skips where it is missing)

from legalret.index import build_index  # noqa: E402
from legalret.serve.app import create_app  # noqa: E402
from legalret.serve.live import LiveSearcher  # noqa: E402
from legalret.serve.server import BackgroundServer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APP_JS = ROOT / "legalret" / "serve" / "static" / "app.js"
QUERY = "계약 해지 손해"  # hits in 민법 and 상법 (tests/test_page_history.py)
#: English left in a line the page shows (the server's errors are in English for scripts).
ENGLISH = re.compile(r"\b(unknown|filter|index|law|did you mean|not in|legalret)\b", re.I)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    idx = tmp_path_factory.mktemp("page-law-filter") / "idx"
    build_index(sup.articles(), idx, model="none")
    return idx


@pytest.fixture(scope="module")
def client(index):
    return TestClient(create_app(LiveSearcher(index)))


def _error(resp, status: int) -> str:
    """The one-line error of a JSON error answer (the API's shape: error and status only)."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error", "status"} and body["status"] == status and "\n" not in body["error"]
    return body["error"]


# --- GET /api/filters: what the page asks before it searches a link's law= ------------------------------------------


def test_filters_read_names_as_the_search_reads_them(client):
    """Hanja, spacing around commas and repeated law= give the index's own names (the page selects them)."""
    read = lambda **params: client.get("/api/filters", params=params).json()  # noqa: E731
    assert read(law="民法") == {"generation": read()["generation"], "law": ["민법"], "kind": None}
    assert read(law="민법, 상법")["law"] == ["민법", "상법"]
    assert read(law=["상법", "민법 시행령"])["law"] == ["상법", "민법 시행령"]
    assert read(kind="법률")["kind"] == ["법률"]
    assert read()["law"] is None and read()["kind"] is None  # no filter: none, not an error


def test_filters_refuse_a_law_the_index_lacks_as_the_search_does(client):
    """The same 400, with the same one line (and did-you-mean), as /api/search's for the same law= — so the page says
    what a search would have said, before anything is searched."""
    for law in ("형법", "민볍", "민법,형법", "헌법", "刑法"):
        said = _error(client.get("/api/filters", params={"law": law}), 400)
        assert said == _error(client.get("/api/search", params={"q": QUERY, "law": law}), 400), law
        assert said.startswith("unknown law filter")
    assert "(did you mean 민법?)" in _error(client.get("/api/filters", params={"law": "민볍"}), 400)
    assert _error(client.get("/api/filters", params={"kind": "규칙"}), 400).startswith("unknown kind filter '규칙'")
    # a %-escape cut in the middle of a syllable: said, as /api/search says it (not read as "형\ufffd")
    assert _error(client.get("/api/filters?law=%ED%98"), 400).startswith("law: not UTF-8")


def test_filters_need_the_token_when_one_is_set(index):
    guarded = TestClient(create_app(LiveSearcher(index), token="s3cret"))
    assert guarded.get("/api/filters", params={"law": "민법"}).status_code == 401
    ok = guarded.get("/api/filters", params={"law": "민법"}, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and ok.json()["law"] == ["민법"]


# --- the Korean line (app.js's errorKo, in node) ----------------------------------------------------------------------

NODE = shutil.which("node") or shutil.which("nodejs")

# app.js with a stub document (it waits for DOMContentLoaded, which never comes); the index's laws set as /api/meta
# sets them, then errorKo on each error from stdin.
_NODE_SCRIPT = r"""
const fs = require("fs");
const src = fs.readFileSync(process.argv[1], "utf8");
const document = { readyState: "loading", addEventListener() {} };
const page = new Function("document", src + "\nreturn { errorKo, setLaws: (laws) => { indexLaws = laws; } };")(document);
const { laws, errors } = JSON.parse(fs.readFileSync(0, "utf8"));
page.setLaws(laws);
process.stdout.write(JSON.stringify(errors.map(page.errorKo)));
"""


def _korean(errors: list[str], laws: list[str]) -> list[str]:
    out = subprocess.run([NODE, "-e", _NODE_SCRIPT, str(APP_JS)], input=json.dumps({"laws": laws, "errors": errors}),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_unknown_law_reads_as_one_korean_line_that_says_what_to_do(client):
    """Made by the server itself: each line names the law as written, says nothing was searched, and what to do — the
    index's laws when they are few, a near name it holds, or 전체; never English, never "혹시 X?" for an X the index
    lacks too (근로기준볍 → 근로기준법, not in this index either)."""
    laws = client.get("/api/meta").json()["laws"]
    errors = [_error(client.get("/api/filters", params={"law": law}), 400)
              for law in ("형법", "민볍", "근로기준볍", "근기법", "刑法", "헌법")]
    crim, typo, elsewhere, short, hanja, constitution = _korean(errors, laws)
    for line in (crim, typo, elsewhere, short, hanja, constitution):
        assert "\n" not in line and not ENGLISH.search(line) and "검색하지 않았습니다" in line, line
    assert crim == ("법령 「형법」은 이 색인에 없어 검색하지 않았습니다. "
                    "이 색인의 법령(민법, 상법, 민법 시행령) 중에서 고르거나 '전체'로 검색하세요.")
    assert typo == "법령 「민볍」은 이 색인에 없어 검색하지 않았습니다. 「민법」을 찾으셨나요?"
    assert "「근로기준법」을 찾으셨더라도 그 법령 역시 이 색인에 없습니다." in elsewhere and "?" not in elsewhere
    assert short.startswith("법령 「근기법」(근로기준법)은 이 색인에 없어") and "'전체'" in short
    assert hanja.startswith("법령 「刑法」(형법)은 이 색인에 없어")
    assert constitution.startswith("「헌법」: 헌법은 법령 자료") and "'전체'" in constitution

    # the all-law index's thousands of names are counted, not listed
    many = [f"법{i}" for i in range(4000)]
    (counted,) = _korean([errors[0]], many)
    assert "법령 목록(이 색인의 법령 4,000개)에서 고르거나" in counted and "법1," not in counted


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_particles_follow_the_name():
    """은/는, 을/를, 으로/로 after the law's last syllable (…법률 takes 로, not 으로); both after a name not in Hangul."""
    script = _NODE_SCRIPT.replace("errors.map(page.errorKo)", "errors.map(([w, a, b]) => page.josa(w, a, b))").replace(
        "return { errorKo,", "return { josa, errorKo,")
    out = subprocess.run([NODE, "-e", script, str(APP_JS)], capture_output=True, text=True, timeout=60, input=json.dumps(
        {"laws": [], "errors": [["민법", "은", "는"], ["민사소송규칙", "을", "를"], ["민법", "으로", "로"],
                                ["가사소송법률", "으로", "로"], ["헌법재판소", "은", "는"], ["ABC", "은", "는"]]}))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == ["은", "을", "으로", "로", "는", "은(는)"]


# --- the page in headless chromium ---------------------------------------------------------------------------------

# What a reader sees of the law filter and the answer, as data.
_STATE = r"""
const $ = (id) => document.getElementById(id);
const s = $("law");
return {url: location.pathname + location.search,
        law: s.value, shown: s.selectedIndex < 0 ? null : s.options[s.selectedIndex].text,
        options: Array.from(s.options).map((o) => o.value),
        hits: Array.from(document.querySelectorAll("#results li.hit")).map((li) => li.dataset.key),
        status: $("status").textContent.replace(/ · \d+ ms$/, ""), error: $("status").className === "error",
        links: Array.from(document.querySelectorAll("#status a")).map((a) => [a.textContent, a.getAttribute("href")]),
        searched: performance.getEntriesByType("resource").map((e) => e.name).filter((n) => n.includes("/api/search"))};
"""


@pytest.fixture(scope="module")
def server(index):
    with BackgroundServer(index) as srv:
        yield srv


def _state(driver) -> dict:
    return driver.execute_script(_STATE)


def _settled(driver) -> dict | None:
    """The page once its law list is filled and no search or filter check is running."""
    s = _state(driver)
    if len(s["options"]) < 2 or not s["status"] or s["status"].startswith("검색 중"):
        return None
    return s


def _open(driver, srv, params: dict) -> dict:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(srv.url + "/?" + str(httpx.QueryParams(params)))
    return WebDriverWait(driver, 60).until(_settled)


def _api_hits(srv, **params) -> list[str]:
    body = httpx.get(srv.url + "/api/search", params={"q": QUERY, **params}, trust_env=False).json()
    return [h["key"] for h in body["hits"]]


@pytest.mark.slow
def test_a_law_the_index_lacks_is_said_not_listed_or_searched(server, browser):
    """The tester's link: /?q=…&law=형법 on an index without 형법. The select lists the index's laws only (전체
    selected), the status is one Korean line naming 형법 and the index's laws, and no search was sent (the hits of
    every law under a 형법 filter would have looked filtered)."""
    laws = httpx.get(server.url + "/api/meta", trust_env=False).json()["laws"]
    page = _open(browser, server, {"q": QUERY, "law": "형법"})
    assert page["options"] == ["", *laws] and "형법" not in page["options"]
    assert page["law"] == "" and page["hits"] == [] and page["searched"] == []
    assert page["error"] and page["status"].startswith("법령 「형법」은 이 색인에 없어 검색하지 않았습니다."), page
    assert all(law in page["status"] for law in laws) and not ENGLISH.search(page["status"]) and page["links"] == []

    # one name of several that the index lacks: the same (민법 is not searched alone, silently)
    both = _open(browser, server, {"q": QUERY, "law": "민법,형법"})
    assert both["options"] == ["", *laws] and both["hits"] == [] and both["searched"] == []
    assert both["status"].startswith("법령 「형법」은") and both["error"]

    # a link with a law and no query yet: said at once, not when the first search fails
    bare = _open(browser, server, {"law": "형법"})
    assert bare["options"] == ["", *laws] and bare["status"].startswith("법령 「형법」은")

    # picking a law of the list and searching: the filter applies, the line is gone, and Back shows the link's page
    # again as a fresh load of it does
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait

    page = _open(browser, server, {"q": QUERY, "law": "형법"})
    Select(browser.find_element(By.ID, "law")).select_by_visible_text("상법")
    browser.find_element(By.ID, "q").send_keys(Keys.ENTER)
    picked = WebDriverWait(browser, 60).until(lambda d: (s := _settled(d)) and s["hits"] and s)
    assert picked["law"] == "상법" and picked["hits"] == _api_hits(server, law="상법") and not picked["error"]
    assert "law=%EC%83%81%EB%B2%95" in picked["url"]  # (law=상법)
    browser.back()
    WebDriverWait(browser, 60).until(lambda d: (s := _settled(d)) and s["url"] == page["url"] and s)
    time.sleep(0.5)  # (a late answer of the 상법 search must not come back over it)
    back = _state(browser)
    for key in ("law", "shown", "options", "hits", "status", "error", "links"):
        assert back[key] == page[key], (key, back, page)


@pytest.mark.slow
def test_a_near_name_is_a_link_to_search_with_it(server, browser):
    """/?q=…&law=민볍: "「민법」을 찾으셨나요?" and a link to the same search with law=민법, which shows 민법's hits
    with 민법 selected; in a list of laws only the mistyped one is replaced."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    typo = _open(browser, server, {"q": QUERY, "law": "민볍", "k": "5"})
    assert typo["status"] == "법령 「민볍」은 이 색인에 없어 검색하지 않았습니다. 「민법」을 찾으셨나요? 「민법」으로 검색"
    assert typo["links"] == [["「민법」으로 검색", "/?" + str(httpx.QueryParams({"q": QUERY, "law": "민법", "k": "5"}))]]
    assert typo["hits"] == [] and typo["searched"] == [] and typo["law"] == ""
    browser.find_element(By.CSS_SELECTOR, "#status a").click()
    fixed = WebDriverWait(browser, 60).until(lambda d: (s := _settled(d)) and s["hits"] and s)
    assert fixed["law"] == "민법" and fixed["hits"] == _api_hits(server, law="민법", k=5) and not fixed["error"]

    listed = _open(browser, server, {"q": QUERY, "law": "상법,민볍"})
    assert listed["links"][0][1] == "/?" + str(httpx.QueryParams({"q": QUERY, "law": "상법,민법"}))


@pytest.mark.slow
def test_names_the_server_reads_select_the_index_law(server, browser):
    """law=民法 (Hanja, as the search reads it): 민법 selected — it had been added to the list as "民法" — and the
    search filtered by it. law=민법,상법: one marked option naming both (a select picks one), searched as both."""
    hanja = _open(browser, server, {"q": QUERY, "law": "民法"})
    laws = httpx.get(server.url + "/api/meta", trust_env=False).json()["laws"]
    assert hanja["options"] == ["", *laws] and hanja["law"] == "민법" and hanja["shown"] == "민법"
    assert hanja["hits"] == _api_hits(server, law="민법") and all(k.startswith("민법 제") for k in hanja["hits"])

    two = _open(browser, server, {"q": QUERY, "law": "민법, 상법"})
    assert two["options"] == ["", *laws, "민법,상법"] and two["shown"] == "민법, 상법"
    assert two["hits"] == _api_hits(server, law="민법,상법") and not two["error"]
    assert any(k.startswith("상법 ") for k in two["hits"]) and not any("시행령" in k for k in two["hits"])
