"""The web page names the parameters of its address it does not read, in headless chromium.

The page reads its state from its own address (``/?q=…&law=…``) but had passed over any other parameter without a
word: ``/?q=…&lwa=민법`` (``law``, mistyped) searched every law, and looked like a 민법 search. Now a notice in the
page's notice area (``#notices``) names each such parameter, with a did-you-mean for a near miss of one the page
reads — the API's rule (:func:`legalret.serve.app.did_you_mean`) — and the names it reads; a name starting with
``_`` (a cache-buster) is passed over, as the HTTP API passes it over.

Runs the page itself in Debian's chromium + chromedriver (the ``browser`` fixture of tests/test_serve_browser.py,
as tests/test_page_law_filter.py uses it), skipped where they are missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
sys.path.insert(0, str(Path(__file__).parent))
import index_support as sup  # noqa: E402

from test_serve_browser import browser  # noqa: E402,F401  (the same headless chromium; skips where it is missing)

from legalret.index import build_index  # noqa: E402
from legalret.serve.server import BackgroundServer  # noqa: E402

QUERY = "계약 해지 손해"  # hits in 민법 and 상법 (tests/test_page_history.py)
READS = "읽는 매개변수: q, law, kind, mode, k, explain"
LWA = f"이 페이지가 읽지 않는 주소 매개변수를 무시했습니다: lwa (혹시 law?) — {READS}"

#: The page's state: its notices (the address's own marked), status line, hits and address.
_STATE = """
return {notices: Array.from(document.querySelectorAll('#notices li')).map((li) => li.textContent),
        urlNotices: Array.from(document.querySelectorAll('#notices li.url-notice')).map((li) => li.textContent),
        status: document.getElementById('status').textContent,
        options: document.querySelectorAll('#law option').length,
        law: document.getElementById('law').value,
        hits: Array.from(document.querySelectorAll('li.hit')).map((li) => li.dataset.key),
        url: location.href};
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    idx = tmp_path_factory.mktemp("s20-page") / "idx"
    build_index(sup.articles(), idx, model="none")
    with BackgroundServer(idx) as srv:
        yield srv


def _open(driver, srv, address: str, *, hits: bool) -> dict:
    """The page at ``address`` once its lists are filled and (``hits``) the search it starts has answered."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(srv.url + address)

    def settled(d):
        s = d.execute_script(_STATE)
        ready = s["options"] > 1 and not s["status"].startswith("검색 중") and (bool(s["hits"]) if hits else True)
        return s if ready else None

    return WebDriverWait(driver, 60).until(settled)


def _api_hits(srv, **params) -> list[str]:
    body = httpx.get(srv.url + "/api/search", params={"q": QUERY, **params}, trust_env=False).json()
    return [h["key"] for h in body["hits"]]


@pytest.mark.slow
def test_an_unknown_parameter_of_the_address_is_named_with_a_did_you_mean(server, browser):
    """``?lwa=민법``: one visible notice, first in the notice area, naming lwa and law; the search ran as the page says
    it did (every law: the select shows 전체, the hits are the unfiltered API's); ``_=…`` is not named."""
    from selenium.webdriver.common.by import By

    page = _open(browser, server, "/?" + str(httpx.QueryParams({"q": QUERY, "lwa": "민법", "_": "1700000000000"})),
                 hits=True)
    assert page["urlNotices"] == [LWA] and page["notices"][0] == LWA, page
    assert browser.find_element(By.CSS_SELECTOR, "#notices li.url-notice").is_displayed()
    assert page["law"] == "" and page["hits"] == _api_hits(server)  # (every law: the typo was not read as law=)

    # several, one without a near name; no query: said on the empty page at once
    bare = _open(browser, server, "/?" + str(httpx.QueryParams({"lwa": "민법", "kk": "3", "zzz": "1", "_t": "2"})),
                 hits=False)
    assert bare["urlNotices"] == [
        f"이 페이지가 읽지 않는 주소 매개변수를 무시했습니다: lwa, kk, zzz (혹시 lwa → law, kk → k?) — {READS}"], bare
    assert bare["hits"] == []


@pytest.mark.slow
def test_only_the_address_that_has_them_shows_the_notice(server, browser):
    """A clean address, and one with only ``_``-names, shows none; a search from the box pushes an address without the
    unknown name (the notice goes), and Back to the typo's address shows it again, as a fresh load of it does."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    for clean in ({"q": QUERY}, {"q": QUERY, "law": "민법", "_": "1", "_ts": "2"}):
        page = _open(browser, server, "/?" + str(httpx.QueryParams(clean)), hits=True)
        assert page["urlNotices"] == [] and not any("매개변수" in n for n in page["notices"]), page

    typo = _open(browser, server, "/?" + str(httpx.QueryParams({"q": QUERY, "lwa": "민법"})), hits=True)
    assert typo["urlNotices"] == [LWA]
    box = browser.find_element(By.ID, "q")
    box.send_keys(" 배상")
    box.send_keys(Keys.ENTER)
    moved = WebDriverWait(browser, 60).until(
        lambda d: (s := d.execute_script(_STATE)) and s["url"] != typo["url"] and s["hits"]
        and not s["status"].startswith("검색 중") and s)
    assert "lwa" not in moved["url"] and moved["urlNotices"] == [], moved
    browser.back()
    back = WebDriverWait(browser, 60).until(
        lambda d: (s := d.execute_script(_STATE)) and s["url"] == typo["url"] and s["hits"]
        and not s["status"].startswith("검색 중") and s)
    assert back["urlNotices"] == [LWA]


@pytest.mark.slow
def test_the_pages_did_you_mean_is_the_apis(server, browser):
    """The page's did-you-mean (app.js ``paramGuess``, in the browser) guesses what the API's ``did_you_mean``
    guesses over the page's names, for case, spelling and no near name alike (the API's aliases, ``top_k`` → k, are
    its own: the page has no table of them)."""
    from legalret.serve.app import did_you_mean

    _open(browser, server, "/", hits=False)
    page_names = browser.execute_script("return URL_PARAMS;")
    assert page_names == ["q", "law", "kind", "mode", "k", "explain"]
    names = ["lwa", "Law", "LAW", "kinds", "knid", "mod", "mdoe", "modes", "kk", "K", "qq", "Q", "expalin", "explian",
             "laww", "ql", "kid", "kinf", "law-", "mode_", "k1", "xyz", "foo", "page", "sort", "lang", "a", "l"]
    guessed = browser.execute_script("return arguments[0].map((name) => paramGuess(name));", names)
    assert dict(zip(names, guessed)) == {name: did_you_mean(name, page_names) for name in names}
