"""A legal-tech engineer's findings on the Python API's arguments and the page (session 23, F4 and F5).

F4. ``Searcher.search('유치권', laws=5)`` (and ``kinds=3``) raised a raw "'int' object is not iterable",
    ``laws=['민법', None]`` "'NoneType' object has no attribute 'strip'", and ``explain='no'`` turned explain on (any
    non-empty text is true) where HTTP refuses ``explain=maybe``: each is a one-line error naming the argument now.
F5.1 The README said the page shows "—" where a relevance number would mislead; the page shows none (its test pins
    it: tests/test_page_relevance.py), and the README says so now.
F5.2 ``/?q=유치권&k=0`` showed the server's error, but "0" became a choice in the 개수 select.
F5.3 The resident server's start line said "≈1 GB", the README "≈0.5–0.7 GB" (measured: 513–556 MB).
F5.5 The explain view's bar said "순위를 내림" beside "유사 판례 투표 1위": a contribution is measured from the
    average candidate, not from the rank, and the bar says 가점/감점 of the re-ranker's score now.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
sys.path.insert(0, str(Path(__file__).parent))
import index_support as sup  # noqa: E402

from legalret.errors import LegalretError  # noqa: E402
from test_serve_browser import browser  # noqa: E402,F401  (the same headless chromium; skips where it is missing)

ROOT = Path(__file__).resolve().parent.parent
APP_JS = ROOT / "legalret" / "serve" / "static" / "app.js"
README = ROOT / "README.md"
NODE = shutil.which("node") or shutil.which("nodejs")


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    """The fixture 민법, 상법 and 민법 시행령, BM25 only (the argument checks come before any search)."""
    from legalret.index import build_index

    idx = tmp_path_factory.mktemp("s23-api") / "idx"
    build_index(sup.articles(), idx, model="none")
    return idx


@pytest.fixture(scope="module")
def searcher(index):
    from legalret.search.searcher import Searcher

    return Searcher(index)


# ---- F4: the Python API's law, kind and explain arguments -----------------------------------------------------------
LAWS = "laws must be a law name, names comma-separated, or a list of names such as ['민법', '상법']"
KINDS = "kinds must be a kind name, names comma-separated, or a list of names such as ['법률', '시행령']"


@pytest.mark.parametrize("call, message", [
    (dict(laws=5), f"{LAWS}, not 5"),
    (dict(laws=["민법", None]), f"{LAWS}; None in it is not a name"),
    (dict(laws=("민법", 3)), f"{LAWS}; 3 in it is not a name"),
    (dict(laws="민법".encode()), f"{LAWS}, not {'민법'.encode()!r}"),
    (dict(laws={"민법": 1}), f"{LAWS}, not {{'민법': 1}}"),
    (dict(kinds=3), f"{KINDS}, not 3"),
    (dict(kinds=["법률", 1.5]), f"{KINDS}; 1.5 in it is not a name"),
    (dict(explain="no"), "explain must be True or False, not 'no'"),
    (dict(explain="yes"), "explain must be True or False, not 'yes'"),
    (dict(explain=1), "explain must be True or False, not 1"),
    (dict(explain=None), "explain must be True or False, not None"),
])
def test_a_wrong_argument_is_one_line_naming_it(searcher, call, message):
    for run in (lambda: searcher.search("유치권", **call), lambda: searcher.search_batch(["유치권"], **call)):
        with pytest.raises(LegalretError) as e:
            run()
        assert str(e.value) == message and "\n" not in str(e.value)


def test_the_arguments_it_takes_still_search(searcher):
    """A name, names comma-separated, any iterable of names (a tuple, a set, numpy's strings); explain True or False
    (numpy's bool too); ``law=`` for ``laws=`` stays Python's own TypeError (the keyword is named)."""
    wanted = [h.key for h in searcher.search("유치권", k=3, laws="민법")]
    assert wanted and all(key.startswith("민법 ") for key in wanted)
    for laws in (["민법"], ("민법",), {"민법"}, np.array(["민법"]), " 민법 ,", (n for n in ["민법"])):
        assert [h.key for h in searcher.search("유치권", k=3, laws=laws)] == wanted, laws
    both = [h.key for h in searcher.search("유치권", k=5, laws="민법,상법")]
    # (several names in a numpy array: the renamed-law notice's check had asked the array for its truth value)
    assert [h.key for h in searcher.search("유치권", k=5, laws=np.array(["민법", "상법"]))] == both
    assert [h.key for h in searcher.search("유치권", k=3, kinds=["법률"])]
    explained = searcher.search("유치권", k=2, explain=np.bool_(True))
    assert explained and all(h.reasons for h in explained)
    assert not any(h.reasons for h in searcher.search("유치권", k=2, explain=False))
    with pytest.raises(TypeError, match="law"):
        searcher.search("유치권", law="민법")


# ---- F5.1: the README says what the page shows where a number would mislead ----------------------------------------
def test_the_readme_says_the_page_shows_no_number_for_a_guess():
    """The page draws no 관련도 for a nearest guess (app.js relevanceText: null; tests/test_page_relevance.py), which
    the README had described as "—" — the CLI table's mark."""
    text = README.read_text(encoding="utf-8")
    page = text[text.index("The page speaks a lawyer's language"):]
    page = " ".join(page[:page.index("근거 보기")].split())
    assert '"—" where the number would mislead' not in page
    assert ('no number at all (the `legalret search` table shows "—") where it would mislead, the notice above the '
            "hits saying why") in page


# ---- F5.3: one memory figure for the resident server ---------------------------------------------------------------
def test_the_resident_servers_memory_is_one_figure_everywhere():
    """The start line, ``legalret search --help`` and the README give the measured figure; "≈1 GB" is gone."""
    from typer.testing import CliRunner

    from legalret.cli import app
    from legalret.serve import resident

    assert resident.MEMORY == "≈0.5–0.7 GB"
    line = resident.start_notice("idx", 900)
    assert f"({resident.MEMORY} while it runs;" in line and "1 GB" not in line
    assert f"in one line\n({resident.MEMORY} while it runs" in README.read_text(encoding="utf-8")
    help_text = CliRunner().invoke(app, ["search", "--help"], env={"COLUMNS": "200"}).output
    assert resident.MEMORY in " ".join(help_text.split())


# ---- F5.5: the explain view's bars do not contradict the ranks -----------------------------------------------------
_NODE_SCRIPT = r"""
const fs = require("fs");
const src = fs.readFileSync(process.argv[1], "utf8");
const document = { readyState: "loading", addEventListener() {} };
const page = new Function("document", src +
  "\nreturn { contributionDir, CONTRIBUTION_HEADING, CONTRIBUTION_NOTE, validK };")(document);
process.stdout.write(JSON.stringify({
  up: page.contributionDir({ direction: 1 }), down: page.contributionDir({ direction: -1 }),
  heading: page.CONTRIBUTION_HEADING, note: page.CONTRIBUTION_NOTE,
  k: ["0", "-1", "abc", "2.5", "", "101", "1", "3", "100"].map(page.validK),
}));
"""


@pytest.fixture(scope="module")
def app_js() -> dict:
    if NODE is None:
        pytest.skip("node is not installed")
    out = subprocess.run([NODE, "-e", _NODE_SCRIPT, str(APP_JS)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_bar_says_what_the_rerankers_feature_did_not_that_the_rank_fell(app_js):
    """민법 제194조: "유사 판례 투표 1위" beside its bar's "순위를 내림". A bar is the re-ranker's 가점 or 감점 against
    the average candidate, and one line says a 1st place can still count against the article."""
    assert (app_js["up"], app_js["down"]) == ("가점", "감점")
    assert app_js["heading"].startswith("순위를 정한 근거")  # (tests/test_serve_browser.py reads it)
    assert "순위가 높아도" in app_js["note"] and "감점" in app_js["note"] and "\n" not in app_js["note"]
    code = [line for line in APP_JS.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("//")]
    assert not any("순위를 내림" in line or "순위를 올림" in line for line in code)


def test_which_k_the_page_offers(app_js):
    assert app_js["k"] == [False, False, False, False, False, False, True, True, True]


# ---- F5.2: a k the server refuses is never a choice in the 개수 select ---------------------------------------------
_STATE = r"""
const s = document.getElementById("k");
return {status: document.getElementById("status").textContent, k: s.value,
        options: Array.from(s.options).map((o) => o.value),
        hits: document.querySelectorAll("#results li.hit").length};
"""


@pytest.mark.slow
def test_a_refused_k_shows_the_error_and_is_not_offered(index, browser):
    """/?q=유치권&k=0 (and k=abc, k=101): the server's error, as before, and the select offers 5, 10, 20, 50 with 10
    chosen — "0" had been added as a choice; a search from the box then uses 10. k=3 is still offered as the URL
    says (tests/test_page_history.py)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from legalret.serve.server import BackgroundServer

    wait = WebDriverWait(browser, 60)
    with BackgroundServer(index) as srv:
        for k, said in (("0", "오류: 결과 개수는 1에서 100 사이여야 합니다."), ("101", "오류: 결과 개수는 1에서 100 사이여야 합니다."),
                        ("abc", "오류: 결과 개수가 올바른 숫자가 아닙니다 (1–100).")):
            browser.get(srv.url + "/?" + str(httpx.QueryParams({"q": "유치권", "k": k})))
            state = wait.until(lambda d: (s := d.execute_script(_STATE)) and s["status"].startswith("오류") and s)
            assert state == {"status": said, "k": "10", "options": ["5", "10", "20", "50"], "hits": 0}, (k, state)
        box = browser.find_element(By.ID, "q")
        box.send_keys(Keys.ENTER)
        state = wait.until(lambda d: (s := d.execute_script(_STATE)) and s["hits"] and s)
        assert state["k"] == "10" and re.search(r"[?&]k=10\b", browser.current_url), browser.current_url
        browser.get(srv.url + "/?" + str(httpx.QueryParams({"q": "유치권", "k": "3"})))
        state = wait.until(lambda d: (s := d.execute_script(_STATE)) and s["hits"] and s)
        assert state["k"] == "3" and state["options"] == ["3", "5", "10", "20", "50"] and state["hits"] <= 3
        severe = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE" and "/api/search" not in e["message"]]
        assert severe == [], severe
