"""The web page in a real headless browser (Debian chromium + chromedriver): type a query, see 민법 제194조,
open its explain view, copy its citation. Runs on a BM25-only 민법 index built from the shared statutes zip."""

import shutil
import subprocess
import sys
from pathlib import Path

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

        panel = hit.find_element(By.CSS_SELECTOR, ".explain-panel")
        assert not panel.is_displayed()
        hit.find_element(By.CSS_SELECTOR, "button.explain").click()
        wait.until(lambda d: panel.is_displayed())
        assert "검색기별 순위" in panel.text and "bm25" in panel.text

        assert hit.find_element(By.CSS_SELECTOR, ".cite").text == "「민법」 제194조(간접점유)"
        copy = hit.find_element(By.CSS_SELECTOR, "button.copy")
        copy.click()
        wait.until(lambda d: copy.text == "복사됨")

        # a second search with a law filter: an exact citation comes first
        box = browser.find_element(By.ID, "q")
        box.clear()
        box.send_keys("민법 제1조")
        browser.find_element(By.ID, "law").send_keys("민법")
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
