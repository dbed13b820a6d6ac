"""``--law 노동법`` names an area of law, not one law (a new user's report, 2026-12-07).

``legalret index add legalize-kr.zip --law 노동법`` had answered "did you mean 농지법?" — a law spelt nearly so — and
``search --law 노동법`` the same. A corpus manifest now lists the areas people name for its laws (``areas: [노동]``),
and a filter naming one is answered with that corpus: where the index lacks its laws, the command that adds them;
where it holds some, which to filter by.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.corpus.manifest import area_corpus, area_hint, list_manifests, load_manifest  # noqa: E402
from legalret.corpus.resolve import read_corpus  # noqa: E402
from legalret.errors import LegalretError, SourceError  # noqa: E402
from legalret.index import build_index  # noqa: E402
from legalret.search.searcher import Searcher  # noqa: E402


@pytest.mark.parametrize("name, corpus", [("노동법", "labor"), ("노동", "labor"), ("형사법", "criminal"),
                                          ("세법", "tax"), ("조세법", "tax"), ("임대차법", "tenancy"),
                                          ("부동산 법", "tenancy"), ("가족법", "family"), ("행정법", "administrative"),
                                          ("민사절차법", "civil-procedure")])
def test_an_area_names_its_corpus(name, corpus):
    assert area_corpus(name)[0] == corpus


@pytest.mark.parametrize("law", ["형법", "민사소송법", "근로기준법", "민법", "상법", "농지법", "가사소송법"])
def test_a_law_is_never_an_area(law):
    assert area_corpus(law) is None and area_hint(law) is None


def test_no_area_is_the_name_of_a_law_of_the_mirror(shared_data):
    """An area written with 법 must not be a law's own name: --law 형사법 would then be answered with a corpus
    where the mirror has the law."""
    from legalret.keys import mirror_laws

    mirror = shared_data / "statutes" / "legalize-kr.zip"
    if not mirror.exists():
        pytest.skip("no statutes mirror")
    laws = mirror_laws()
    for manifest in list_manifests(notes=False):
        for area in manifest.areas:
            for written in (area, area + "법", area + "법령"):
                assert laws.resolve(written) is None, (manifest.name, written)


def test_the_hint_names_the_corpus_its_laws_and_what_to_do():
    labor = load_manifest("labor")
    assert labor.areas == ["노동", "노동관계"]
    assert area_hint("노동법") == ("노동법 names an area of law, not one law: the corpus labor lists its laws (근로기준법, "
                                  "최저임금법 … 12 laws); add them with `legalret index add labor`")


def test_a_bad_areas_field_is_one_line_naming_the_manifest(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("name: m\nlaws: [민법]\nareas: {노동: 1}\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"m\.yaml: areas: must be a list of the areas of law"):
        load_manifest(str(path))


def test_a_search_filter_naming_an_area_gives_its_corpus(tmp_path):
    index = tmp_path / "idx"
    build_index(sup.articles(), index, model="none")
    with pytest.raises(LegalretError, match=r"unknown law filter '노동법': not in this index \(노동법 names an area of "
                                            r"law, not one law: the corpus labor lists its laws .*add them with "
                                            r"`legalret index add labor --index "):
        Searcher(index).search("해고", laws=["노동법"], mode="bm25")


def test_a_statutes_filter_naming_an_area_gives_its_corpus_not_a_near_law(mirror_zip):
    with pytest.raises(LegalretError, match=r"nothing of it passes --law 노동법 \(노동법 names an area of law, not one "
                                            r"law: the corpus labor lists its laws"):
        read_corpus([str(mirror_zip)], laws=["노동법"])


def _notices(index, query):
    return Searcher(index).search(query, k=3, mode="bm25").notices


def test_a_question_naming_an_area_the_index_lacks_gets_its_corpus(tmp_path):
    """"노동법상 해고 요건" on a 민법+상법 index had got 민법 articles and no word that labor law is missing."""
    index = tmp_path / "idx"
    build_index(sup.articles(), index, model="none")
    labor = [n for n in _notices(index, "노동법상 해고 요건은?") if "names an area of law" in n]
    assert labor == [f"노동법 names an area of law, not one law: the corpus labor lists its laws (근로기준법, 최저임금법 … "
                     f"12 laws); add them with `legalret index add labor --index {index.resolve()}`"]
    assert any(n.startswith("세법 names an area") for n in _notices(index, "세법상 증여의 의미"))
    # not: an area 민법 governs in large part, a court, a word inside another
    for query in ("가족법상 입양의 요건", "임대차법에 따라 보증금", "형사법원에서 재판을 받았다", "노동법원"):
        assert not any("names an area of law" in n for n in _notices(index, query)), query


def test_no_area_notice_where_the_index_holds_a_law_of_the_area(tmp_path):
    from legalret.articles import Article, Paragraph

    index = tmp_path / "idx"
    dismissal = Article(law="근로기준법", number=23, title="해고 등의 제한", kind="법률",
                        paragraphs=[Paragraph(None, "사용자는 근로자에게 정당한 이유 없이 해고를 하지 못한다.")])
    build_index(sup.articles() + [dismissal], index, model="none")
    assert not any("names an area of law" in n for n in _notices(index, "노동법상 해고 요건은?"))
