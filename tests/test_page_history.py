"""The web page in a real headless browser (Debian chromium + chromedriver), on the fixture index (민법, 상법, 민법
시행령; BM25 only): after Back and Forward the page — query box, every select, hits, notices, status — is what a
fresh load of the URL shows; a ``k`` the select does not offer is shown and searched as the URL says; the
coverage notices ("nothing in the query matched", "most of the query matched nothing") are shown in Korean."""

import sys
import time
from pathlib import Path

import httpx
import pytest

from legalret.serve.server import BackgroundServer

sys.path.insert(0, str(Path(__file__).parent))
from test_serve_browser import browser  # noqa: E402,F401  (the same headless chromium; skips where it is missing)

pytestmark = pytest.mark.slow

QUERY = "계약 해지 손해"  # 상법 제651조, 제649조 with law=상법; with 민법 articles too over all laws

# Everything a reader sees, as data ("· 12 ms" left out of the status: it differs from one search to the next).
_STATE = r"""
const $ = (id) => document.getElementById(id);
const sel = (id) => { const s = $(id); return [s.value, s.selectedIndex < 0 ? null : s.options[s.selectedIndex].text,
                                              Array.from(s.options).map((o) => o.value)]; };
return {url: location.pathname + location.search, q: $("q").value,
        law: sel("law"), kind: sel("kind"), mode: sel("mode"), k: sel("k"),
        hits: Array.from(document.querySelectorAll("#results li.hit")).map((li) => li.dataset.key),
        notices: Array.from(document.querySelectorAll("#notices li")).map((li) => li.textContent),
        status: $("status").textContent.replace(/ · \d+ ms$/, ""),
        note: $("long-note").hidden};
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
    import index_support as sup

    from legalret.index import build_index

    idx = tmp_path_factory.mktemp("page-history") / "idx"
    build_index(sup.articles(), idx, model="none")
    with BackgroundServer(idx) as srv:
        yield srv


def state(driver) -> dict:
    return driver.execute_script(_STATE)


def settled(driver) -> dict | None:
    """The page's state once it has its filters and no search is running, else None."""
    s = state(driver)
    if len(s["law"][2]) < 2 or s["status"] == "검색 중…":
        return None
    if s["q"].strip() and not s["status"]:
        return None  # a query in the box, and its search not started yet
    return s


def fresh(driver, srv, url: str) -> dict:
    """What a fresh load of ``url`` shows."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(srv.url + url)
    return WebDriverWait(driver, 60).until(settled)


def arrive(driver, expected: dict) -> None:
    """Wait until the page shows ``expected``; then, a moment later, check that no late answer changed it."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, 60).until(lambda d: settled(d) == expected)
    except TimeoutException:
        pytest.fail(f"the page shows {state(driver)}\nwhere a fresh load of its URL shows {expected}")
    time.sleep(1.0)
    assert state(driver) == expected


def submit(driver, query: str, **filters: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    for name, text in filters.items():
        Select(driver.find_element(By.ID, name)).select_by_visible_text(text)
    box = driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys(query)
    box.send_keys(Keys.ENTER)


def test_back_and_forward_show_what_the_url_says(server, browser):
    """The tester's scenario: a 상법/bm25 search, then one over all laws in hybrid; Back, Back, Forward, Forward
    — each step equals a fresh load of its URL (no 상법 left in the select, no old hits on the empty page)."""
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)
    home = fresh(browser, server, "/")
    submit(browser, QUERY, law="상법", mode="조문 본문 일치")
    narrow = wait.until(lambda d: (s := settled(d)) and s["hits"] and s)
    submit(browser, QUERY, law="전체", mode="종합 (추천)")
    wide = wait.until(lambda d: (s := settled(d)) and s["url"] != narrow["url"] and s["hits"] and s)
    assert narrow["law"][0] == "상법" and wide["law"][0] == "" and narrow["hits"] != wide["hits"]
    assert all(k.startswith("상법 ") for k in narrow["hits"]) and any(k.startswith("민법 ") for k in wide["hits"])

    expected = {u: fresh(browser, server, u) for u in (narrow["url"], wide["url"])}
    expected["/"] = home
    assert expected["/"]["hits"] == [] and expected["/"]["status"] == "" and expected["/"]["q"] == ""
    for url in (narrow["url"], wide["url"]):  # each as its own fresh load shows it, and as the search showed it
        assert expected[url] == (narrow if url == narrow["url"] else wide)

    # the history is now /, narrow, wide, narrow (fresh), wide (fresh): walk back to the first wide, then the tester's steps
    browser.back(); arrive(browser, expected[narrow["url"]])
    browser.back(); arrive(browser, expected[wide["url"]])
    browser.back(); arrive(browser, expected[narrow["url"]])
    browser.back(); arrive(browser, expected["/"])  # the empty page: no old hits, notices or status
    browser.forward(); arrive(browser, expected[narrow["url"]])
    browser.forward(); arrive(browser, expected[wide["url"]])

    # the same steps in quick succession, without waiting for the searches: the last URL's answer wins
    for step in (browser.back, browser.back, browser.forward, browser.forward):
        step()
    arrive(browser, expected[wide["url"]])
    severe = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert severe == [], severe


def test_a_k_the_select_lacks_is_shown_and_searched(server, browser):
    """/?q=…&k=3: the 개수 select shows 3 and 3 hits are shown (as the API answers k=3); Back and Forward between it
    and a k=5 search keep select, hits and URL in step; a URL without k shows the default 10 again."""
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)
    url3 = "/?" + str(httpx.QueryParams({"q": QUERY, "k": "3"}))
    three = fresh(browser, server, url3)
    api = httpx.get(server.url + "/api/search", params={"q": QUERY, "k": 3}, trust_env=False).json()
    assert three["k"] == ["3", "3", ["3", "5", "10", "20", "50"]]
    assert three["hits"] == [h["key"] for h in api["hits"]] and len(three["hits"]) == 3

    submit(browser, QUERY, k="5")
    five = wait.until(lambda d: (s := settled(d)) and "k=5" in s["url"] and s)
    assert five == fresh(browser, server, five["url"])  # the "3" the URL had added is gone once another k is picked
    assert five["k"] == ["5", "5", ["5", "10", "20", "50"]] and len(five["hits"]) == 5

    # the same two in one page, then Back and Forward between them
    fresh(browser, server, url3)
    submit(browser, QUERY, k="5")
    wait.until(lambda d: (s := settled(d)) and "k=5" in s["url"] and s)
    browser.back(); arrive(browser, three)
    browser.forward(); arrive(browser, five)

    # an entry without k (a bookmark, a link): the default 10 and the query's 5 hits, not the k of the page before
    plain = "/?" + str(httpx.QueryParams({"q": QUERY}))
    plain_fresh = fresh(browser, server, plain)
    assert plain_fresh["k"][:2] == ["10", "10"] and len(plain_fresh["hits"]) == 5
    fresh(browser, server, url3)
    browser.execute_script("history.pushState(null, '', arguments[0]); dispatchEvent(new PopStateEvent('popstate'));", plain)
    arrive(browser, plain_fresh)
    browser.back(); arrive(browser, three)


def test_coverage_notices_in_korean(server, browser):
    """/?q=퀘이사르프로브, /?q=zzqqxx and /?q=foo bar baz 유치권: the notices read in Korean and name the words that
    matched nothing (a query with no Korean at all is told to ask in Korean)."""
    nothing = fresh(browser, server, "/?" + str(httpx.QueryParams({"q": "퀘이사르프로브"})))
    assert len(nothing["notices"]) == 1, nothing
    assert nothing["notices"][0].startswith("검색어의 낱말이 이 색인의 어느 조문에도 없습니다 ('퀘이사르프로브"), nothing
    latin = fresh(browser, server, "/?" + str(httpx.QueryParams({"q": "zzqqxx"})))
    assert len(latin["notices"]) == 1, latin
    assert latin["notices"][0].startswith("검색어에 한글이나 한자가 없습니다 ('zzqqxx'). "), latin
    most = fresh(browser, server, "/?" + str(httpx.QueryParams({"q": "foo bar baz 유치권"})))
    assert len(most["notices"]) == 1, most
    notice = most["notices"][0]
    assert notice.startswith("검색어의 낱말 대부분이 이 색인의 어느 조문에도 없습니다 ('foo', 'bar', 'baz')"), notice
    assert "유치권'만으로" in notice and "matched" not in notice
    assert most["hits"] == ["민법 제320조"]


def test_the_same_search_again_is_one_history_entry(server, browser):
    """Enter twice on the same query pushed two history entries: Back then seemed to do nothing."""
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)
    fresh(browser, server, "/")
    submit(browser, QUERY)
    first = wait.until(lambda d: (s := settled(d)) and s["hits"] and s)
    length = browser.execute_script("return history.length")
    submit(browser, QUERY)
    wait.until(lambda d: (s := settled(d)) and s["hits"] and s)
    assert browser.execute_script("return history.length") == length
    submit(browser, "점유권")
    wait.until(lambda d: (s := settled(d)) and s["url"] != first["url"] and s)
    assert browser.execute_script("return history.length") == length + 1
    # a shared link (no mode, no k) and Enter on it: the same search, though the page writes mode and k out
    from urllib.parse import quote

    fresh(browser, server, "/?q=" + quote(QUERY))
    wait.until(lambda d: (s := settled(d)) and s["hits"] and s)
    length = browser.execute_script("return history.length")
    submit(browser, QUERY)
    wait.until(lambda d: (s := settled(d)) and s["hits"] and s)
    assert browser.execute_script("return history.length") == length
