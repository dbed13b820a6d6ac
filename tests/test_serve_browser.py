"""The web page in a real headless browser (Debian chromium + chromedriver): type a query, see 민법 제194조,
open its explain view, copy its citation. Runs on a BM25-only 민법 index built from the shared statutes zip."""

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from legalret.serve.server import BackgroundServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def civil_index(tmp_path_factory, shared_data):
    idx = tmp_path_factory.mktemp("browser") / "civil"
    out = subprocess.run(
        [sys.executable, "-m", "legalret", "index", "build", str(shared_data / "statutes" / "legalize-kr.zip"),
         "--law", "민법", "--model", "none", "--index", str(idx)],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return idx


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("Debian chromium / chromium-driver not installed (/usr/bin/chromium, /usr/bin/chromedriver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,1400", "--lang=ko-KR"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_search_page_end_to_end(civil_index, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)
    with BackgroundServer(civil_index) as srv:
        browser.get(srv.url + "/")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ko"
        assert browser.execute_script("return document.characterSet") == "UTF-8"
        # the filters are filled from /api/meta
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#law option")) > 1)
        assert "민법" in [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#law option")]

        box = browser.find_element(By.ID, "q")
        box.send_keys("유치권 간접점유")
        box.send_keys(Keys.ENTER)
        hit = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, 'li.hit[data-key="민법 제194조"]')))
        assert hit.find_element(By.CSS_SELECTOR, ".hit-key").text == "민법 제194조"
        assert "간접점유" in hit.find_element(By.CSS_SELECTOR, ".hit-title").text
        marks = [m.text for m in browser.find_elements(By.CSS_SELECTOR, "li.hit mark")]
        assert marks, "matched terms are highlighted"
        assert "q=" in browser.current_url  # the search is in the URL (shareable, back button)
        assert browser.title == "유치권 간접점유 — legalret — 법령 검색"  # … and in the tab and the history menu

        panel = hit.find_element(By.CSS_SELECTOR, ".explain-panel")
        assert not panel.is_displayed()
        hit.find_element(By.CSS_SELECTOR, "button.explain").click()
        wait.until(lambda d: panel.is_displayed())
        assert "검색기별 순위" in panel.text and "조문 본문 일치" in panel.text and "bm25" not in panel.text

        assert hit.find_element(By.CSS_SELECTOR, ".cite").text == "「민법」 제194조(간접점유)"
        copy = hit.find_element(By.CSS_SELECTOR, "button.copy")
        copy.click()
        wait.until(lambda d: copy.text == "복사됨")

        # a second search with a law filter: an exact citation comes first — and until it runs, the hits shown are
        # said to be the old filters' (they had looked current)
        box = browser.find_element(By.ID, "q")
        box.clear()
        box.send_keys("민법 제1조")
        browser.find_element(By.ID, "law").send_keys("민법")
        assert "조건을 바꿨습니다" in browser.find_element(By.ID, "status").text
        box.send_keys(Keys.ENTER)
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, 'li.hit[data-key="민법 제1조"]')))
        severe = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
        assert severe == [], severe


def test_api_docs_render_offline(tmp_path, browser):
    """/docs in the browser: Swagger UI from the package's local files lists the API's operations (no CDN)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
    import index_support as sup

    from legalret.index import build_index

    idx = tmp_path / "idx"
    build_index(sup.articles(), idx, model="none")
    with BackgroundServer(idx) as srv:
        browser.get(srv.url + "/docs")
        WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
        paths = {e.get_attribute("data-path") or e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
        assert {"/api/search", "/api/articles/{key}", "/healthz"} <= {p.replace("\u200b", "") for p in paths}, paths
        loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert loaded and all(u.startswith(srv.url) for u in loaded), loaded  # nothing from another host
        severe = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
        assert severe == [], severe


def test_page_speaks_korean_relevance_precedents_and_long_input(tmp_path, browser):
    """A Korean scenario on an index with both memories: mode names and the explain view in Korean, a 0–100
    relevance (never a negative 점수), the precedent's facts from where they start, the no-result notice in
    Korean, and a pasted 판결요지 over the server's limit cut with a visible note naming the limit."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
    sys.path.insert(0, str(Path(__file__).parent))
    from test_facts import SCENARIO, build_with_memories


    idx = tmp_path / "idx"
    build_with_memories(idx)
    wait = WebDriverWait(browser, 60)
    with BackgroundServer(idx) as srv:
        limit = httpx.get(srv.url + "/api/meta", trust_env=False).json()["max_query_chars"]  # the server's rule
        browser.get(srv.url + "/")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#law option")) > 1)
        modes = [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#mode option")]
        assert {"종합 (추천)", "조문 본문 일치", "의미 유사도", "유사 판례 투표"} <= set(modes)

        box = browser.find_element(By.ID, "q")
        # (with a word the fixture's articles hold: of the scenario's own words none is in an article or a holding,
        # and under that notice only a citation, BM25 or the holdings memory gives a hit its relevance)
        box.send_keys(SCENARIO + " 변제를 받을 때까지")
        box.send_keys(Keys.ENTER)
        hit = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, 'li.hit[data-key="민법 제320조"]')))
        status = browser.find_element(By.ID, "status").text
        assert "종합" in status and "hybrid" not in status
        scores = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "li.hit .score")]
        # (a re-ranked share under 1% reads "<1", never a bare 0: tests/test_page_relevance.py)
        assert scores and all(s.startswith("관련도 ") and (s.split()[1] == "<1" or 0 <= int(s.split()[1]) <= 100)
                              for s in scores), scores
        assert "점수" not in browser.find_element(By.ID, "results").text

        button = hit.find_element(By.CSS_SELECTOR, "button.explain")
        # named for a screen reader (ten identical "근거 보기" buttons), and saying whether its panel is open
        assert button.get_attribute("aria-label") == "민법 제320조 근거 보기"
        assert button.get_attribute("aria-expanded") == "false"
        button.click()
        panel = hit.find_element(By.CSS_SELECTOR, ".explain-panel")
        wait.until(lambda d: panel.is_displayed())
        assert button.get_attribute("aria-expanded") == "true"
        assert panel.get_attribute("id") == button.get_attribute("aria-controls")
        assert "검색기별 순위" in panel.text and "유사 사실관계 판례 투표" in panel.text
        assert not any(word in panel.text for word in ("bm25", "memory", "facts", "rank", "score"))
        row = panel.find_element(By.CSS_SELECTOR, "tr.precedent")
        assert "2018다2002" in row.text and "2018-05-02" in row.text
        excerpt = row.find_element(By.CSS_SELECTOR, "td.excerpt").text
        assert excerpt.startswith("사실관계: ") and "상고이유" not in excerpt[:30]

        # nothing matches: a Korean notice
        box = browser.find_element(By.ID, "q")
        box.clear()
        box.send_keys("qqqzzz xyzzy")
        box.send_keys(Keys.ENTER)
        wait.until(lambda d: "일치하는 조문이 없습니다" in d.find_element(By.ID, "status").text)

        # a question pasted in the wrong encoding: searched as its repair, and the notice says so in Korean
        from legalret.ingest.mojibake import corrupt

        browser.execute_script("document.getElementById('q').value = arguments[0];", corrupt("유치권을 행사"))
        browser.find_element(By.ID, "go").click()
        wait.until(lambda d: "복원한 '유치권을 행사'로 검색했습니다" in d.find_element(By.ID, "notices").text)
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, 'li.hit[data-key="민법 제320조"]')))

        # a decision named by 사건번호: what it held, above its cited articles (first among the hits, so labelled)
        box = browser.find_element(By.ID, "q")
        box.clear()
        box.send_keys("2018다2002 판결")
        browser.find_element(By.ID, "go").click()
        wait.until(lambda d: d.find_element(By.ID, "decisions").is_displayed())
        card = browser.find_element(By.CSS_SELECTOR, "#decisions .decision")
        assert "2018다2002" in card.text and "2018-05-02 선고" in card.text and "유치권" in card.text
        assert "참조조문: 민법 제320조, 민법 제192조" in card.text
        first = browser.find_element(By.CSS_SELECTOR, "li.hit")
        assert first.get_attribute("data-key") == "민법 제320조" and "질의한 판례의 참조조문" in first.text
        from urllib.parse import unquote

        assert unquote(first.find_element(By.CSS_SELECTOR, "a.law-link").get_attribute("href")) == (
            "https://www.law.go.kr/법령/민법/제320조")

        # indentation is counted as the server counts it (one space a run): under the limit so, no cut and no note
        indented = ("민법 제320조 유치권" + " " * 40 + "\n") * (limit // 20)
        browser.execute_script("const q = document.getElementById('q'); q.value = arguments[0];"
                               "q.dispatchEvent(new Event('input', {bubbles: true}));", indented)
        assert len(indented) > limit and not browser.find_element(By.ID, "long-note").is_displayed()
        # a pasted 판결요지 longer than the server's limit: cut, with a note that says so (and the limit)
        holding = ("임차인이 임차목적물을 수리하고 그 비용의 상환을 청구할 때까지 목적물을 유치할 수 있다. " * 200)[: limit + 700].strip()
        browser.execute_script("const q = document.getElementById('q'); q.value = arguments[0];"
                               "q.dispatchEvent(new Event('input', {bubbles: true}));", holding)
        note = browser.find_element(By.ID, "long-note")
        wait.until(lambda d: note.is_displayed())
        assert f"{limit:,}자" in note.text and f"{len(holding):,}자" in note.text
        browser.find_element(By.ID, "go").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "li.hit")))
        assert "오류" not in browser.find_element(By.ID, "status").text
        assert note.is_displayed()
        severe = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
        assert severe == [], severe


def test_page_draws_the_rerankers_reasons_as_bars(tmp_path, browser):
    """On an index the learned re-ranker ranks (dense vectors and both memories), the explain view draws one bar
    per group of the hit's ``feature_contributions``, labelled in Korean, in the API's order."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
    sys.path.insert(0, str(Path(__file__).parent))
    import index_support as sup
    from test_facts import FACTS, PRECEDENTS, SCENARIO

    from legalret import pipeline
    from legalret.precedents.facts import read_facts

    idx = tmp_path / "idx"
    pipeline.build(sup.articles(), idx, encoder=sup.tiny_encoder(), precedents=PRECEDENTS,
                   facts=read_facts(FACTS, on_error=lambda e: None))
    wait = WebDriverWait(browser, 60)
    with BackgroundServer(idx) as srv:
        api = httpx.get(srv.url + "/api/search", params={"q": SCENARIO, "k": 10, "explain": 1}, trust_env=False).json()
        first = api["hits"][0]
        assert first["feature_contributions"] and first["contributions"]
        browser.get(srv.url + "/")
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#law option")) > 1)
        box = browser.find_element(By.ID, "q")
        box.send_keys(SCENARIO)
        box.send_keys(Keys.ENTER)
        hit = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f'li.hit[data-key="{first["key"]}"]')))
        hit.find_element(By.CSS_SELECTOR, "button.explain").click()
        panel = hit.find_element(By.CSS_SELECTOR, ".explain-panel")
        wait.until(lambda d: panel.is_displayed())
        assert "순위를 정한 근거" in panel.text
        bars = panel.find_elements(By.CSS_SELECTOR, "ul.contributions li")
        assert [b.find_element(By.CSS_SELECTOR, ".label").text for b in bars] == [c["label"] for c in first["contributions"]]
        assert [b.get_attribute("class") for b in bars] == ["up" if c["direction"] > 0 else "down" for c in first["contributions"]]
        assert not any(word in panel.text for word in ("bm25", "memory", "facts", "fused", "agreement"))
        severe = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
        assert severe == [], severe


def test_a_text_not_in_force_yet_shows_a_badge_and_a_korean_notice(tmp_path, browser):
    """A hit whose text a promulgated but not yet effective version wrote: a '… 시행 예정' badge on it and the
    notice in Korean; the article in force today beside it has no badge."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    from legalret.articles import Article, Paragraph
    from legalret.index import build_index

    def art(number, text):
        return Article(law="시험고용법", number=number, title="보험료", paragraphs=[Paragraph(None, text)], kind="법률",
                       effective_date="2099-01-01", promulgated="2026-03-17")

    idx = tmp_path / "idx"
    build_index([art(1, "보험료는 사업주가 낸다. <개정 2019.1.15>"), art(2, "보험료 경감은 대통령령으로 정한다. <신설 2026.3.17>")],
                idx, model="none")
    wait = WebDriverWait(browser, 60)
    with BackgroundServer(idx) as srv:
        browser.get(srv.url + "/")
        box = wait.until(EC.presence_of_element_located((By.ID, "q")))
        box.send_keys("보험료")
        box.send_keys(Keys.ENTER)
        pending = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, 'li.hit[data-key="시험고용법 제2조"]')))
        assert pending.find_element(By.CSS_SELECTOR, ".badge.pending").text == "2099-01-01 시행 예정"
        in_force = browser.find_element(By.CSS_SELECTOR, 'li.hit[data-key="시험고용법 제1조"]')
        assert in_force.find_elements(By.CSS_SELECTOR, ".badge.pending") == []
        notices = browser.find_element(By.ID, "notices").text
        assert "아직 시행되지 않은 조문입니다: 시험고용법 제2조 (2099-01-01 시행)" in notices, notices
