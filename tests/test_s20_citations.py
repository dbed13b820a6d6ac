"""Citations a new user found misread (session 20).

``위 법률 제28조`` ("the said law": the law of the article cited before it, as ``같은 법`` is) named no law:
"근로기준법 제23조의 해고 제한과 위 법률 제28조의 구제신청" got "'제28조' names no law", and "민법 제750조 … 위 법
제751조" listed 민법 제750조 alone. 위 법, 위 법률, 위 법령 (and 같은 법률, 상기 법, 上記 법) now refer back as 같은 법 does —
while 위법 (illegality), 위법성, 위 법률관계 and words merely ending in 위 (행위 법) stay ordinary text.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.cli import app  # noqa: E402
from legalret.keys import LawNames  # noqa: E402
from legalret.search.citations import absent_hint, find_citations, unresolved_citations  # noqa: E402

CIVIL = LawNames(["민법", "상법"])
WITH_LABOR = LawNames(["민법", "상법", "근로기준법"])
# Text long enough (over the carry's 60 characters) that only a reference back, not the carry of the law cited before,
# can make the article after it 민법's: an ordinary word read as a reference would show as 민법 제3조.
LONG_GAP = "의 요건으로 가해자의 고의 또는 과실, 손해의 발생, 인과관계가 모두 인정되어야 하며 그 밖에도 행위의 "
NO_LAW_BEFORE = "no law is named before it in the query"
runner = CliRunner()
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}


def keys(text: str, names: LawNames = CIVIL, default_law: str | None = None) -> list[str]:
    return [str(c) for c in find_citations(text, names, default_law)]


@pytest.fixture(autouse=True)
def mirror(tmp_path, monkeypatch) -> Path:
    """A statutes mirror of a few laws (the absent-law notices' hints read it), as legalize-kr names its folders."""
    path = tmp_path / "legalize-kr.zip"
    with zipfile.ZipFile(path, "w") as z:
        for law in ("민법", "상법", "근로기준법"):
            z.writestr(f"kr/{law}/법률.md", "---\n")
    monkeypatch.setenv("LEGALRET_MIRROR", str(path))
    return path


# ---- 위 법률 refers back ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reference", ["위 법", "위 법률", "위 법령", "위  법률", "같은 법률", "동 법률", "상기 법",
                                       "상기 법률", "上記 법", "上記법"])
def test_the_said_law_is_the_law_cited_before_it(reference):
    assert keys(f"민법 제750조의 불법행위와 {reference} 제751조") == ["민법 제750조", "민법 제751조"]
    # however far back the law is named, as 같은 법 (the carry alone stops after 60 characters of text)
    assert keys(f"민법 제750조{LONG_GAP}{reference} 제3조") == ["민법 제750조", "민법 제3조"]
    assert unresolved_citations(f"민법 제750조{LONG_GAP}{reference} 제3조", CIVIL) == []


def test_the_reported_queries():
    labor = "근로기준법 제23조의 해고 제한과 위 법률 제28조의 구제신청"
    assert keys(labor, WITH_LABOR) == ["근로기준법 제23조", "근로기준법 제28조"]
    assert unresolved_citations(labor, WITH_LABOR) == []  # (before: "'제28조' names no law; write it as …")
    assert keys("민법 제750조 손해배상 책임과 위 법 제751조 위자료", CIVIL) == ["민법 제750조", "민법 제751조"]


def test_after_a_law_the_index_lacks_it_names_that_law():
    query = "근로기준법 제23조의 해고 제한과 위 법률 제28조의 구제신청"
    hint = absent_hint("근로기준법", CIVIL)
    assert keys(query) == []
    assert unresolved_citations(query, CIVIL) == [
        f"'근로기준법 제23조': 근로기준법 is not in this index ({hint})",
        f"'위 법률 제28조': 근로기준법 is not in this index ({hint})"]  # (before: "'제28조' names no law")


def test_its_decree():
    held = LawNames(["민법", "상법", "민법 시행령"])
    assert keys("민법 제750조, 위 법 시행령 제3조", held) == ["민법 제750조", "민법 시행령 제3조"]
    assert keys("민법 제750조, 위 법 시행령 제3조") == ["민법 제750조"]  # (not 민법 제3조: a decree this index lacks)
    assert unresolved_citations("민법 제750조, 위 법 시행령 제3조", CIVIL) == [
        f"'위 법 시행령 제3조': 민법 시행령 is not in this index ({absent_hint('민법 시행령', CIVIL)})"]


@pytest.mark.parametrize("reference", ["위 법", "위 법률", "위 법령"])
def test_with_no_law_before_it_it_names_no_law(reference):
    assert keys(f"{reference} 제77조") == []
    # the notice 같은 법 제77조 gets (before: "'제77조' names no law; write it as e.g. '민법 제77조'")
    assert unresolved_citations(f"{reference} 제77조", CIVIL) == [
        f"'{reference} 제77조': {NO_LAW_BEFORE}; write the law's name"]


def test_with_no_law_before_it_the_law_filter_reads_it_as_before():
    # 위 법 제77조 under --law 민법 is 민법's, as 같은 법 제77조 is; a word ending in 법률 or 법령 before an article is read
    # as a law's name the index lacks (_unknown_law_before), so 위 법률 / 위 법령 stay unread there, with the notice
    assert keys("위 법 제77조", default_law="민법") == keys("같은 법 제77조", default_law="민법") == ["민법 제77조"]
    for reference in ("위 법률", "위 법령"):
        assert keys(f"{reference} 제77조", default_law="민법") == []
        assert unresolved_citations(f"{reference} 제77조", CIVIL, "민법") == [
            f"'{reference} 제77조': {NO_LAW_BEFORE}; write the law's name"]


# ---- ordinary text is no reference --------------------------------------------------------------------------------
@pytest.mark.parametrize("words", ["위법", "위법성", "위 법률관계", "행위 법", "범위 법률", "소위 법률", "이상기 법",
                                   "위 법원"])
def test_words_that_only_look_like_it_are_no_reference(words):
    # 위법 is illegality, 위 법률관계 "the said legal relation", 행위/범위/소위 end in 위, 위 법원 is "the said court"
    assert keys(f"민법 제750조{LONG_GAP}{words} 제3조") == ["민법 제750조"]
    assert not any(NO_LAW_BEFORE in note for note in unresolved_citations(f"{words} 제3조", CIVIL))


# ---- the search on the fixture 민법 + 상법 (+ 민법 시행령) --------------------------------------------------------
@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    from legalret.index import build_index

    idx = tmp_path_factory.mktemp("citations_s20") / "idx"
    build_index(sup.articles(), idx, model="none")
    return idx


def _search(index: Path, query: str) -> tuple[list[str], list[dict]]:
    """(the notes on stderr, the hits) of ``legalret search QUERY -k 3 --json`` on ``index``."""
    r = runner.invoke(app, ["search", query, "--index", str(index), "-k", "3", "--json"], env=ENV)
    assert r.exit_code == 0, r.output
    return r.stderr.splitlines(), [json.loads(line) for line in r.stdout.splitlines()]


def _exact_citations(index: Path, query: str) -> list[str]:
    _, hits = _search(index, query)
    return [h["key"] for h in hits if any(reason.startswith("exact citation") for reason in h.get("reasons", []))]


def test_the_search_lists_the_said_laws_article(index):
    assert _exact_citations(index, "민법 제750조의 불법행위와 위 법 제751조") == ["민법 제750조", "민법 제751조"]
    assert _exact_citations(index, "민법 제750조, 위 법 시행령 제1조") == ["민법 제750조", "민법 시행령 제1조"]


def test_a_cited_articles_snippet_starts_at_its_start(index):
    # (the table's text column: a window around the first query word had shown a cited article from mid-paragraph —
    # "…의 경우에 사용자 또는 감독자는" for "민법 제756조 구상권"; a topic hit keeps its window around the match)
    def table(query: str) -> str:
        r = runner.invoke(app, ["search", query, "--index", str(index), "-k", "3"], env=ENV)
        assert r.exit_code == 0, r.output
        return r.stdout

    assert "① 타인의 신체, 자유 또는 명예를" in table("민법 제751조 담보")
    topic = table("정기금채무 담보 제공")
    assert "민법 제751조" in topic and "① 타인의 신체, 자유 또는 명예를" not in topic and "…" in topic


# ---- a law named without an article ------------------------------------------------------------------------------
@pytest.fixture()
def wide_mirror(tmp_path, monkeypatch) -> Path:
    """A mirror with laws the index lacks, one of them a name with a space (개인정보 보호법: folder 개인정보보호법)."""
    path = tmp_path / "wide" / "legalize-kr.zip"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as z:
        for law in ("민법", "상법", "형법", "근로기준법", "주택임대차보호법", "개인정보보호법"):
            z.writestr(f"kr/{law}/법률.md", f"---\n제목: {law.replace('개인정보보호법', '개인정보 보호법')}\n---\n")
    monkeypatch.setenv("LEGALRET_MIRROR", str(path))
    return path


def test_a_law_named_without_an_article_that_the_index_lacks_has_its_notice(wide_mirror):
    # ("형법상 횡령죄" on the 민법+상법 index had been 민법 제750조 at 38 with no word; "형법 제250조" had its notice)
    [note] = unresolved_citations("형법상 횡령죄", CIVIL)
    assert note.startswith("'형법': 형법 is not in this index (add it with `legalret index add")
    [note] = unresolved_citations("근로기준법에 따른 해고예고", CIVIL)
    assert note.startswith("'근로기준법': 근로기준법 is not in this index")
    # a name with a space is read whole, and a short name says its law
    [note] = unresolved_citations("개인정보 보호법에 따라 동의를 받아야 하나요", CIVIL)
    assert note.startswith("'개인정보 보호법': 개인정보 보호법 is not in this index")
    [note] = unresolved_citations("근기법 해고", CIVIL)
    assert note.startswith("'근기법': 근기법 (근로기준법) is not in this index")
    # a law cited with its article is said once, by the citation's notice
    assert unresolved_citations("형법 제329조와 형법상 절도", CIVIL) == [
        unresolved_citations("형법 제329조", CIVIL)[0]]
    # words that only end in 법, a held law, and no law of the mirror: no notice
    for text in ("불법행위의 방법으로 위법하게", "민법상 유치권", "법률에 따라", "세법상 문제", "상법의 회사"):
        assert unresolved_citations(text, CIVIL) == [], text


def test_beside_a_held_law_the_notice_is_said_as_well(wide_mirror):
    [note] = unresolved_citations("주택임대차보호법이 적용되지 않는 경우 민법상 임대차", CIVIL)
    assert note.startswith("'주택임대차보호법': 주택임대차보호법 is not in this index (add it with")


def test_a_short_question_naming_the_law_is_about_it_a_longer_text_names_it_in_passing(index, wide_mirror):
    # (a law named in passing is common where the answer is held — 42 of 1,490 dev holdings citing 민법/상법 —, so a
    # named law makes the hits guesses only in a short question, as a cited article always does)
    for short in ("주택임대차보호법상 점유", "주택임대차보호법 제3조의 점유"):
        notes, hits = _search(index, short)
        assert any("주택임대차보호법 is not in this index" in n for n in notes) and hits, short
        assert all(h["relevance"] is None for h in hits), short
    # a held law named beside it, or a longer text: the hits keep their numbers
    longer = ("주택임대차보호법에 따른 임대차에서 임차인이 임대차 종료 후 동시이행항변권을 근거로 임차목적물을 계속 점유하고 "
              "있는 경우의 점유")
    for text in ("주택임대차보호법이 아닌 민법상 점유", longer):
        notes, hits = _search(index, text)
        assert any("주택임대차보호법 is not in this index" in n for n in notes) and hits, text
        assert any(h["relevance"] is not None for h in hits), text


def test_words_that_only_end_in_beop_name_no_law_before_an_article():
    # ("위법 제3조" had been "위법 is not in this index (the statutes mirror has no law named 위법 either)")
    for word in ("위법", "불법"):
        assert unresolved_citations(f"{word} 제3조", CIVIL) == ["'제3조' names no law; write it as e.g. '민법 제3조'"]


def test_a_mistyped_held_law_before_a_bare_number_gets_its_did_you_mean():
    # ("민볍 750조" had been only "no article contains '민볍'"; "민볍 제750조" had its did-you-mean)
    assert unresolved_citations("민볍 750조", CIVIL) == ["'민볍 750조': no law is named 민볍 (did you mean 민법?)"]
    assert unresolved_citations("상볍 651조 고지의무", CIVIL) == ["'상볍 651조': no law is named 상볍 (did you mean 상법?)"]
    # money stays money: a bare 조 after a word that is no mistyped law
    for text in ("매출 3조 원", "상속 재산 3조 원", "국밥 2조 원"):
        assert unresolved_citations(text, CIVIL) == [] and keys(text) == [], text


def test_a_law_filter_naming_a_law_of_the_mirror_gives_the_command_that_adds_it(index, wide_mirror):
    # (--law '개인정보 보호법' — a law of the mirror with no practice manifest — had been sent to `legalret index info`,
    # while a query naming it got the command that adds it)
    r = runner.invoke(app, ["search", "동의", "--index", str(index), "--law", "개인정보 보호법"], env=ENV)
    assert r.exit_code == 1
    assert str(r.exception).startswith("unknown law filter '개인정보 보호법': not in this index (개인정보 보호법 is a law, "
                                       "but not one this index holds; add it with `legalret index add ")
    assert f"--law '개인정보 보호법' --index {index}`)" in str(r.exception)


def test_a_law_named_mistyped_without_an_article_gets_its_did_you_mean(index, wide_mirror):
    # ("주택임대차보호볍상 대항력" had got 민법 제622조 at 98 and no word; "근로기준볍 제23조" had its notice)
    assert unresolved_citations("주택임대차보호볍상 대항력", CIVIL) == [
        "'주택임대차보호볍': no law is named 주택임대차보호볍 (did you mean 주택임대차보호법? it is not in "
        "this index; add it with `legalret index add tenancy`)"]
    assert unresolved_citations("민볍상 손해배상", CIVIL) == ["'민볍': no law is named 민볍 (did you mean 민법?)"]
    assert unresolved_citations("볍씨 파종", CIVIL) == []  # (볍 begins a word there)
    # said once when cited
    assert len(unresolved_citations("근로기준볍 제23조와 근로기준볍상 해고", CIVIL)) == 1
    # a short question about the absent law: guesses, as for the name written right
    _, hits = _search(index, "주택임대차보호볍상 점유")
    assert hits and all(h["relevance"] is None for h in hits)
