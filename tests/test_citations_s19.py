"""Citations a new user found misread (session 19).

1. A law's name ending in 법률, as the long official names do, was no law's name: the dev holding "공익사업을 위한 토지 등의
   취득 및 보상에 관한 법률 제30조 제3항" got "'제30조 제3항' names no law; write it as e.g. '민법 제30조 제3항'" (30 of
   the 40 dev holdings that cite a "… 법률 제N조" did), and under ``--law 민법`` "약관의 규제에 관한 법률 제9조 제2호" was
   민법 제9조 at relevance 100. Such a name is now read whole: an exact citation where the index holds the law, else the
   absent-law notice naming it — a former name no law has now (구 주식회사의 외부감사에 관한 법률) with the law nearest it.
   "같은 법 시행령 제78조" after such a law is that law's decree, not "no law is named before it".
2. A mistyped law's name glued to the particle 상 after a citation was read as the earlier law's: "민법 제750조와 민볍상
   제2조" → 민법 제2조, "상법 제24조 및 민볍상 제2조" → 상법 제2조. It now gets the "did you mean" "민볍 제2조" gets.
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

from legalret.articles import Article, Paragraph  # noqa: E402
from legalret.cli import app  # noqa: E402
from legalret.corpus.manifest import add_hint  # noqa: E402
from legalret.keys import LawNames, law_aliases  # noqa: E402
from legalret.search.citations import cited_law_names, find_citations, unresolved_citations  # noqa: E402

CIVIL = LawNames(["민법", "상법"])
LAND = "공익사업을 위한 토지 등의 취득 및 보상에 관한 법률"
AUDIT = "주식회사 등의 외부감사에 관한 법률"
TERMS = "약관의 규제에 관한 법률"
GUNS = "총포·도검·화약류 등의 안전관리에 관한 법률"
runner = CliRunner()
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}


def keys(text: str, names: LawNames = CIVIL, default_law: str | None = None) -> list[str]:
    return [str(c) for c in find_citations(text, names, default_law)]


def absent(written: str, law: str) -> str:
    return f"'{written}': {law} is not in this index ({add_hint(law)})"


@pytest.fixture(autouse=True)
def mirror(tmp_path, monkeypatch) -> Path:
    """A statutes mirror of a few laws, named as legalize-kr names its folders (without spaces)."""
    path = tmp_path / "legalize-kr.zip"
    laws = ["민법", "상법", "형법", LAND, AUDIT, TERMS, GUNS.replace("·", "ㆍ")]
    with zipfile.ZipFile(path, "w") as z:
        for law in laws:
            z.writestr(f"kr/{law.replace(' ', '')}/법률.md", "---\n")
        z.writestr(f"kr/{LAND.replace(' ', '')}/시행령.md", "---\n")
    monkeypatch.setenv("LEGALRET_MIRROR", str(path))
    return path


# ---- 1. long names ending in 법률 --------------------------------------------------------------------------------
@pytest.mark.parametrize("query, written, law", [
    (f"현금청산금 지급 지체와 {LAND} 제30조 제3항에서 정한 재결신청 지연가산금", f"{LAND} 제30조 제3항", LAND),
    (f"「{LAND}」 제78조 등에서 정한 주거이전비", f"{LAND} 제78조", LAND),
    (f"구 {LAND} 제30조", f"{LAND} 제30조", LAND),  # (구: its former version, the same law)
    (f"{LAND}상 제30조", f"{LAND} 제30조", LAND),
    (f"{LAND} 시행령 제3조", f"{LAND} 시행령 제3조", f"{LAND} 시행령"),
    ("채무자 회생 및 파산에 관한 법률 제100조 제1항에서 정한 부인권", "채무자 회생 및 파산에 관한 법률 제100조 제1항",
     "채무자 회생 및 파산에 관한 법률"),
])
def test_a_long_name_the_index_lacks_gets_the_absent_law_notice(query, written, law):
    # (before: "'제30조 제3항' names no law; write it as e.g. '민법 제30조 제3항'")
    assert keys(query) == [] and keys(query, default_law="민법") == []
    assert unresolved_citations(query, CIVIL) == [absent(written, law)]
    assert unresolved_citations(query, CIVIL, "민법") == [absent(written, law)]
    assert cited_law_names(query)[0] == law  # (the coverage notice leaves its words out)


def test_nor_is_it_the_held_law_before_it_or_the_filters():
    query = f"상법 제663조나 {TERMS} 제9조 제2호 위반으로 볼 수 있는지"
    assert keys(query) == ["상법 제663조"]  # (before: also "'제9조 제2호' names no law; write it as e.g. '상법 …'")
    assert unresolved_citations(query, CIVIL) == [absent(f"{TERMS} 제9조 제2호", TERMS)]
    assert keys(f"{TERMS} 제9조 제2호", default_law="민법") == []  # (before: 민법 제9조 제2호 at relevance 100)
    assert unresolved_citations(f"{TERMS} 제9조 제2호", CIVIL, "민법") == [absent(f"{TERMS} 제9조 제2호", TERMS)]


def test_the_numbers_after_it_are_its_too():
    query = "구 자본시장과 금융투자업에 관한 법률 제125조, 제126조가 적용되는 손해배상청구"
    law = "자본시장과 금융투자업에 관한 법률"
    assert unresolved_citations(query, CIVIL) == [absent(f"{law} 제125조", law), absent(f"{law} 제126조", law)]
    assert unresolved_citations(f"{LAND} 30", CIVIL) == [absent(f"{LAND} 30", LAND)]  # (a bare number, as 형법 250)


def test_the_same_laws_decree_after_it():
    query = f"{GUNS} 제58조 제2항과 같은 법 시행령 제78조 제1항"
    decree = f"{GUNS} 시행령"
    # (before: "'같은 법 시행령 제78조': no law is named before it in the query; write the law's name")
    assert unresolved_citations(query, CIVIL) == [absent(f"{GUNS} 제58조 제2항", GUNS),
                                                  f"'같은 법 시행령 제78조 제1항': {decree} is not in this index ({add_hint(decree)})"]
    assert unresolved_citations("형법 제250조, 같은 법 제251조", CIVIL) == [
        absent("형법 제250조", "형법"), absent("같은 법 제251조", "형법")]
    assert unresolved_citations("근기법 제23조와 같은 법 시행령 제2조", CIVIL)[1] == absent(
        "같은 법 시행령 제2조", "근로기준법 시행령")  # (the short name's law's decree)


def test_a_former_name_no_law_has_gets_the_law_nearest_it():
    # 주식회사의 외부감사에 관한 법률 is 주식회사 등의 외부감사에 관한 법률 since 2017: no law of the mirror has the old name
    query = "丙 등이 구 주식회사의 외부감사에 관한 법률 제17조 제2항에 따른 손해배상책임을 구한"
    assert unresolved_citations(query, CIVIL) == [
        (f"'주식회사의 외부감사에 관한 법률 제17조 제2항': 주식회사의 외부감사에 관한 법률 is not in this index "
         f"(did you mean {AUDIT}? {add_hint(AUDIT)})")]
    assert cited_law_names(query) == ["주식회사의 외부감사에 관한 법률"]
    # a long name near no law's: the words a law's name ends with (보호 등에 관한 법률: 파견근로자 보호 등에 관한 법률's) and
    # one more, never "names no law"
    (note,) = unresolved_citations("그 밖에 가나다라 보호 등에 관한 법률 제3조", CIVIL)
    assert note == absent("가나다라 보호 등에 관한 법률 제3조", "가나다라 보호 등에 관한 법률")


def test_a_bare_word_law_names_no_law():
    # (위 법률: "the law above", a back-reference read as 같은 법 is — with no law before it, that rule's notice; no
    # law is named 법률, and 법률 제8352호 is a law's number, no article)
    assert unresolved_citations("위 법률 제77조 등이 정한 영업손실 보상금", CIVIL) == [
        "'위 법률 제77조': no law is named before it in the query; write the law's name"]
    assert unresolved_citations("구 농지법(2007. 4. 11. 법률 제8352호로 전부 개정되기 전의 것)", CIVIL) == []
    assert unresolved_citations("법률 100", CIVIL) == [] and cited_law_names("위 법률 제77조") == []


def test_a_held_long_name_is_an_exact_citation():
    held = LawNames(["민법", "상법", LAND, LAND.replace(" ", "") + " 시행령"])
    held.add_aliases(law_aliases())
    decree = LAND.replace(" ", "") + " 시행령"
    for query, cited in [(f"{LAND} 제30조 제3항", [f"{LAND} 제30조 제3항"]), (f"구 {LAND} 제30조", [f"{LAND} 제30조"]),
                         (f"{LAND.replace(' ', '')} 제30조", [f"{LAND} 제30조"]), (f"{LAND} 30", [f"{LAND} 제30조"]),
                         ("토지보상법 제30조", [f"{LAND} 제30조"]), (f"{LAND} 시행령 제3조", [f"{decree} 제3조"]),
                         ("토지보상법 시행령 제3조", [f"{decree} 제3조"]),
                         (f"민법 제750조와 {LAND} 제30조", ["민법 제750조", f"{LAND} 제30조"]),
                         (f"{LAND} 제30조 및 같은 법 시행령 제3조", [f"{LAND} 제30조", f"{decree} 제3조"])]:
        assert keys(query, held) == cited and keys(query, held, "민법") == cited, query
        assert unresolved_citations(query, held) == [], query


def test_the_short_names_still_do():
    assert unresolved_citations("토지보상법 제30조", CIVIL) == [
        f"'토지보상법 제30조': 토지보상법 ({LAND}) is not in this index ({add_hint(LAND)})"]
    assert cited_law_names("토지보상법 제30조") == ["토지보상법"]


# ---- 2. a mistyped law's name with 상 ----------------------------------------------------------------------------
@pytest.mark.parametrize("query, first", [("민법 제750조와 민볍상 제2조", ["민법 제750조"]),
                                          ("상법 제24조 및 민볍상 제2조", ["상법 제24조"]),
                                          ("상법 제24조 및 민볍상의 제2조", ["상법 제24조"]), ("민볍상 제2조", [])])
def test_a_mistyped_law_with_the_particle_sang_is_not_the_earlier_law(query, first):
    # (before: 민법 제2조 / 상법 제2조, nothing said; alone: "'제2조' names no law")
    assert keys(query) == first
    assert unresolved_citations(query, CIVIL) == ["'민볍 제2조': no law is named 민볍 (did you mean 민법?)"]
    assert unresolved_citations("민법 제750조와 형볍상 제250조", CIVIL) == [
        "'형볍 제250조': no law is named 형볍 (did you mean 형법? it is not in this index; "
        "add it with `legalret index add criminal`)"]


def test_words_ending_in_sang_still_carry():
    # (손해배상, 보상: 배 and 보 are no mistyped 법 — the law before is still carried over)
    assert keys("민법 제750조에 따르면 손해배상 제751조") == ["민법 제750조", "민법 제751조"]
    assert keys("민법 제750조 또는 보상 제751조") == ["민법 제750조", "민법 제751조"]
    assert keys("민볍상 제2조", default_law="민법") == ["민법 제2조"]  # (the filter's own law, mistyped: its)
    assert keys("민볍상 제2조", default_law="상법") == []


# ---- the search on the fixture 민법 + 상법 ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    from legalret.index import build_index

    idx = tmp_path_factory.mktemp("citations_s19") / "idx"
    land = Article(law=LAND, number=30, paragraphs=[Paragraph(None, "재결신청의 청구 지연가산금")])
    build_index([*sup.articles(), land], idx, model="none")
    return idx


def _search(index: Path, query: str, *args: str) -> tuple[list[dict], list[str]]:
    r = runner.invoke(app, ["search", query, "--index", str(index), "-k", "3", "--json", *args], env=ENV)
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.splitlines()]  # (no hit: one line, {"hits": 0, "notices": …})
    return [h for h in lines if "key" in h], lines[0]["notices"] if lines else []


def _exact(hits: list[dict]) -> list[str]:
    return [h["key"] for h in hits if any(r.startswith("exact citation") for r in h["reasons"])]


def test_the_search(index):
    hits, notices = _search(index, f"{LAND} 제30조 제3항에서 정한 재결신청 지연가산금")
    assert _exact(hits) == [f"{LAND} 제30조"] and not any("names no law" in n for n in notices)
    hits, notices = _search(index, f"{TERMS} 제9조 제2호", "--law", "민법")
    assert _exact(hits) == [] and notices[0].startswith(f"'{TERMS} 제9조 제2호': {TERMS} is not in this index")
    hits, notices = _search(index, "민법 제750조와 민볍상 제8조")
    assert _exact(hits) == ["민법 제750조"]  # (before: 민법 제8조 too)
    assert "'민볍 제8조': no law is named 민볍 (did you mean 민법?)" in notices
