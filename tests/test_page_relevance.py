"""The web page's 관련도: the number as the API gives it, said for what it is in each mode.

In 종합 (hybrid) with the learned re-ranker the hit's ``relevance`` is 100 × its ``probability``: the re-ranker's
softmax share over the candidates it scored. Articles that answer a question together split it, so plainly applicable
articles read 3 or round to 0 — "관련도 0" on 8 of 10 hits for 유치권 간접점유 had read as "irrelevant". In the other
modes (and with no re-ranker) it is the score as a share of the answer's best; a citation is 100; a nearest guess has
none. The page now shows a share under 1 as "<1" (never a bare 0 for a hit the re-ranker scored), says on hover what
the number is for that hit (probability / 상위 조문 대비 점수 / 정확 인용), and says it once for the answer in a
visible line above the hits (a touch screen shows no hover text).

app.js's own functions run in node where node is installed (as tests/test_page_law_filter.py runs ``errorKo``); the
page itself runs in headless chromium (Debian chromium + chromedriver, tests/test_serve_browser.py's ``browser``
fixture), skipped where they are missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
sys.path.insert(0, str(Path(__file__).parent))
import index_support as sup  # noqa: E402

from test_serve_browser import browser  # noqa: E402,F401  (the same headless chromium; skips where it is missing)

ROOT = Path(__file__).resolve().parent.parent
APP_JS = ROOT / "legalret" / "serve" / "static" / "app.js"
NODE = shutil.which("node") or shutil.which("nodejs")

# The exact lines the page shows (app.js): one per kind of answer, and the hover text of each kind of hit.
LEARNED_NOTE = "관련도: 후보 조문 중 각 조문이 답일 확률(%). 여러 조문이 함께 답이면 나눠 가지므로 낮아도 적용될 수 있습니다."
RELATIVE_NOTE = "관련도: 상위 조문 대비 점수 — 1위 조문을 100으로 놓은 상대 값이며, 적용될 확률은 아닙니다."
CITED_NOTE = "관련도 100: 질문이 직접 인용한 조문(또는 질의한 판례의 참조조문)입니다."
RELATIVE_TITLE = "상위 조문 대비 점수: 이 검색 결과의 1위 조문을 100으로 놓은 상대 값입니다 (확률이 아닙니다)."
CITED_TITLE = "정확 인용: 질문이 직접 인용한 조문이라 100입니다."
DECISION_TITLE = "정확 인용: 질의한 판례의 참조조문이라 100입니다."
SPLIT = "여러 조문이 함께 답이 되면 확률을 나눠 가지므로, 숫자가 낮아도 적용되는 조문일 수 있습니다."


def learned_title(value: str) -> str:
    return f"검색된 후보 조문 가운데 이 조문이 질문의 답일 확률({value})입니다. {SPLIT}"


# --- app.js's functions, in node --------------------------------------------------------------------------------------

# app.js with a stub document (it waits for DOMContentLoaded, which never comes); each case from stdin is
# [function name, argument].
_NODE_SCRIPT = r"""
const fs = require("fs");
const src = fs.readFileSync(process.argv[1], "utf8");
const document = { readyState: "loading", addEventListener() {} };
const page = new Function("document", src + "\nreturn { relevanceText, relevanceTitle, relevanceNote };")(document);
const cases = JSON.parse(fs.readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(cases.map(([name, arg]) => page[name](arg))));
"""


def _run(cases: list[tuple[str, object]]) -> list:
    out = subprocess.run([NODE, "-e", _NODE_SCRIPT, str(APP_JS)], input=json.dumps(cases), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


# 유치권 간접점유 on the main-job index (민법+상법), 종합: the API's probability and relevance of its ten hits
# (2026 ranker). 제320조, 제324조 and 제328조 plainly apply; only 제194조 reads more than 3.
HYBRID = [(0.966593, 97), (0.027229, 3), (0.003294, 0), (0.001283, 0), (0.000292, 0), (0.000217, 0), (0.000193, 0),
          (0.000131, 0), (0.000127, 0), (8.6e-05, 0)]
RANKED = {"bm25": 1, "dense": 1, "memory": 1}


def _learned(p: float, rel: int, score: float = 1.0) -> dict:
    return {"score": score, "probability": p, "relevance": rel, "ranks": RANKED, "reasons": []}


def _plain(rel: int | None, score: float) -> dict:
    return {"score": score, "relevance": rel, "ranks": {"bm25": 1}, "reasons": []}


def _cited(via_decision: bool = False) -> dict:
    reasons = ["cited by decision 2018다2002"] if via_decision else ["cited in query"]
    return {"score": 1.0, "relevance": 100, "ranks": {"citation": 1}, "reasons": reasons}


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_a_share_under_one_reads_under_one_never_zero():
    """The tester's answer: 97, 3, then "<1" for the eight that round to 0 (they had read "관련도 0"); the number
    itself is the API's wherever it is 1 or more — a share of 0.7% (relevance 1) stays 1."""
    hits = [_learned(p, rel) for p, rel in HYBRID]
    shown = _run([("relevanceText", h) for h in hits])
    assert shown == ["97", "3"] + ["<1"] * 8
    assert _run([("relevanceText", _learned(0.007677, 1)), ("relevanceText", _learned(1e-9, 0, score=-3.2)),
                 ("relevanceText", _learned(1.0, 100))]) == ["1", "<1", "100"]
    # a relative score: 0 only when the score itself is 0; a positive score that rounds to 0 reads "<1" too
    assert _run([("relevanceText", _plain(100, 11.8)), ("relevanceText", _plain(0, 0.04)),
                 ("relevanceText", _plain(0, 0.0))]) == ["100", "<1", "0"]
    # a citation is 100; a nearest guess shows none (null), as before
    assert _run([("relevanceText", _cited()), ("relevanceText", _plain(None, 3.5)),
                 ("relevanceText", {"score": 0.8, "probability": None, "relevance": None, "ranks": {"dense": 1}})]) == [
        "100", None, None]


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_the_hover_text_says_what_the_number_is_for_that_hit():
    """A hit the re-ranker scored: its chance of being the answer among the candidates, split between articles that
    answer together; any other: 상위 조문 대비 점수 (not a probability); a citation: 정확 인용 (or the named
    decision's 참조조문)."""
    titles = _run([("relevanceTitle", _learned(0.966593, 97)), ("relevanceTitle", _learned(0.003294, 0)),
                   ("relevanceTitle", _plain(94, 11.1)), ("relevanceTitle", _cited()),
                   ("relevanceTitle", _cited(via_decision=True))])
    assert titles == [learned_title("97%"), learned_title("1% 미만"), RELATIVE_TITLE, CITED_TITLE, DECISION_TITLE]
    # the old text, "…적용되는 조문일 확률", is said in no mode
    assert not any("적용되는 조문일 확률" in t for t in titles)


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_one_line_says_what_the_answers_numbers_are():
    """One line per answer, by what its hits carry: a probability (종합 with the re-ranker, a citation beside it or
    not), relative scores (every other mode, or no re-ranker), only citations, or no number at all (no line)."""
    learned = [_learned(p, rel) for p, rel in HYBRID]
    relative = [_plain(100, 11.8), _plain(94, 11.1), _plain(0, 0.04)]
    notes = _run([("relevanceNote", learned), ("relevanceNote", [_cited(), *learned[:3]]),
                  ("relevanceNote", relative), ("relevanceNote", [_cited(), *relative]),
                  ("relevanceNote", [_cited()]), ("relevanceNote", [_plain(None, 3.5), _plain(None, 1.0)]),
                  ("relevanceNote", [])])
    assert notes == [LEARNED_NOTE, LEARNED_NOTE, RELATIVE_NOTE, RELATIVE_NOTE, CITED_NOTE, "", ""]
    for line in (LEARNED_NOTE, RELATIVE_NOTE, CITED_NOTE):  # one short line, in Korean
        assert "\n" not in line and len(line) <= 70 and not any(c.isascii() and c.isalpha() for c in line), line


# --- the page in headless chromium ---------------------------------------------------------------------------------

# What a reader sees of each hit's number, and the line above the hits.
_STATE = r"""
const note = document.getElementById("relevance-note");
const rect = note.getBoundingClientRect(), first = document.querySelector("#results li.hit");
return {status: document.getElementById("status").textContent,
        note: note.hidden ? null : note.textContent, visible: !note.hidden && rect.height > 0,
        above: !!first && rect.bottom <= first.getBoundingClientRect().top,
        hits: Array.from(document.querySelectorAll("#results li.hit")).map((li) => {
          const s = li.querySelector(".score");
          return {key: li.dataset.key, text: s ? s.textContent : null, title: s ? s.title : null};
        })};
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An index the learned re-ranker ranks in 종합 (dense vectors and both memories, as
    tests/test_serve_browser.py's test_page_draws_the_rerankers_reasons_as_bars builds it)."""
    from test_facts import FACTS, PRECEDENTS

    from legalret import pipeline
    from legalret.precedents.facts import read_facts
    from legalret.serve.server import BackgroundServer

    idx = tmp_path_factory.mktemp("page-relevance") / "idx"
    pipeline.build(sup.articles(), idx, encoder=sup.tiny_encoder(), precedents=PRECEDENTS,
                   facts=read_facts(FACTS, on_error=lambda e: None))
    with BackgroundServer(idx) as srv:
        yield srv


def _search(driver, srv, q: str, mode: str) -> tuple[dict, dict]:
    """The page's answer for ``q`` in ``mode``, and the API's for the same search."""
    from selenium.webdriver.support.ui import WebDriverWait

    params = {"q": q, "mode": mode, "k": "10"}
    driver.get(srv.url + "/?" + str(httpx.QueryParams(params)))
    page = WebDriverWait(driver, 60).until(
        lambda d: (s := d.execute_script(_STATE)) and s["hits"] and not s["status"].startswith("검색 중") and s)
    api = httpx.get(srv.url + "/api/search", params={**params, "explain": "1"}, trust_env=False).json()
    assert [h["key"] for h in page["hits"]] == [h["key"] for h in api["hits"]]
    return page, api


@pytest.mark.slow
def test_page_says_what_relevance_means_in_each_mode(server, browser):
    """종합 with the re-ranker ("유치권 점유" on the fixture index: 89, 9, then eight shares that round to 0, as the
    tester's 유치권 간접점유): every hit reads its API relevance, or "<1" — never 0 — with the probability's hover text,
    and the visible line above the hits says it is the chance of being the answer, split between articles that answer
    together. 조문 본문 일치: the API's numbers, 상위 조문 대비 점수 on hover and in the line. A citation: 정확 인용.
    Nearest guesses only: no number and no line. The line goes with the answer (gone on an empty search)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from test_facts import SCENARIO

    page, api = _search(browser, server, "유치권 점유", "hybrid")
    assert all(h.get("probability") is not None for h in api["hits"]), "the fixture index is re-ranked in 종합"
    assert sum(h["relevance"] == 0 for h in api["hits"]) >= 3, api["hits"]  # (the case the page must not show as 0)
    assert page["note"] == LEARNED_NOTE and page["visible"] and page["above"], page
    for shown, hit in zip(page["hits"], api["hits"]):
        below_one = hit["relevance"] < 1
        assert shown["text"] == ("관련도 <1" if below_one else f"관련도 {hit['relevance']}"), (shown, hit)
        assert shown["title"] == learned_title("1% 미만" if below_one else f"{hit['relevance']}%"), shown

    page, api = _search(browser, server, "유치권 점유", "bm25")
    assert all(h.get("probability") is None and h["relevance"] is not None for h in api["hits"])
    assert page["note"] == RELATIVE_NOTE and page["visible"] and page["above"], page
    assert page["hits"][0]["text"] == "관련도 100"  # (the top hit of a relative score)
    for shown, hit in zip(page["hits"], api["hits"]):
        expected = "<1" if hit["relevance"] < 1 and hit["score"] > 0 else str(hit["relevance"])
        assert shown["text"] == f"관련도 {expected}" and shown["title"] == RELATIVE_TITLE, (shown, hit)

    # an exact citation in 종합: 100, 정확 인용 on hover; the line says what the other hits' numbers are
    page, api = _search(browser, server, "민법 제320조 유치권", "hybrid")
    cited = page["hits"][0]
    assert cited["key"] == "민법 제320조" and cited["text"] == "관련도 100" and cited["title"] == CITED_TITLE
    assert api["hits"][1]["probability"] is not None and page["note"] == LEARNED_NOTE and page["visible"], page

    # a citation alone (조문 본문 일치): the line says what 100 is
    page, api = _search(browser, server, "민법 제320조", "bm25")
    if len(api["hits"]) == 1:
        assert page["note"] == CITED_NOTE, page
    assert page["hits"][0]["title"] == CITED_TITLE

    # nothing in the query matched: nearest guesses, shown with no number, and no line about numbers
    page, api = _search(browser, server, SCENARIO, "hybrid")
    assert all(h["relevance"] is None for h in api["hits"])
    assert page["note"] is None and all(h["text"] is None for h in page["hits"]), page

    # the empty page: the line goes with the hits
    page, _ = _search(browser, server, "유치권 점유", "hybrid")
    assert page["note"] == LEARNED_NOTE
    box = browser.find_element(By.ID, "q")
    box.clear()
    box.send_keys(Keys.ENTER)  # (the box is required: Enter is what searches an empty one)
    state = browser.execute_script(_STATE)
    assert state["hits"] == [] and state["note"] is None, state
    severe = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert severe == [], severe
