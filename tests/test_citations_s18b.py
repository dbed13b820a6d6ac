"""Citations and their notices a new user found wrong on a 민법+상법 index (session 18, second round).

1. "민법상 제750조에 따른 손해배상" and "상법상의 제24조" were no citations: the particle 상 / 상의 hid the law's name, and
   the notice said "'제24조' names no law; write it as e.g. '민법 제24조'" — another law than the one asked about.
   "형법상 제250조" (a law the index lacks) had no absent-law notice.
2. After ``index add --rename`` a query citing the old name was read as the new one without a word.
3. A notice offered ``legalret index add <mirror> --law '민법 시행령'`` though the mirror has no 민법 시행령: the command
   fails ("no articles read").
4. "민법 제750조의2" was "민법 as indexed has no such article (its last is 제1118조)", as if 750 were past the law's end.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.articles import Article, Paragraph  # noqa: E402
from legalret.corpus.manifest import add_command, add_hint  # noqa: E402
from legalret.index.store import RENAMED  # noqa: E402
from legalret.keys import LawNames, mirror_has  # noqa: E402
from legalret.search.citations import cited_law_names, find_citations, unresolved_citations  # noqa: E402
from legalret.search.filters import Filters  # noqa: E402
from legalret.search.prepare import QueryPreparer, renamed_names_notice  # noqa: E402
from legalret.search.results import missing_article_notice  # noqa: E402

CIVIL = LawNames(["민법", "상법"])


def keys(text: str, names: LawNames = CIVIL, default_law: str | None = None) -> list[str]:
    return [c.key for c in find_citations(text, names, default_law)]


@pytest.fixture
def mirror(tmp_path, monkeypatch) -> Path:
    """A statutes mirror of 민법 and 형법 (with 형법's 시행령 absent: no such decree), as this machine's."""
    path = tmp_path / "legalize-kr.zip"
    with zipfile.ZipFile(path, "w") as z:
        for member in ("kr/민법/법률.md", "kr/형법/법률.md", "kr/개인정보보호법/법률.md", "kr/개인정보보호법/시행령.md"):
            z.writestr(member, "---\n")
    monkeypatch.setenv("LEGALRET_MIRROR", str(path))
    return path


@pytest.fixture
def no_mirror(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LEGALRET_MIRROR", str(tmp_path / "absent.zip"))


# ---- 1. 상 / 상의 after a held law's name --------------------------------------------------------------------------
@pytest.mark.parametrize("query, cited", [("민법상 제750조에 따른 손해배상", "민법 제750조"), ("상법상의 제24조", "상법 제24조"),
                                          ("「민법」상 제750조", "민법 제750조"), ("민법 상 제750조", "민법 제750조")])
def test_a_law_name_with_the_particle_sang_cites_that_law(query, cited):
    # (before: no citation, and "'제24조' names no law; write it as e.g. '민법 제24조'")
    assert keys(query) == [cited]
    assert unresolved_citations(query, CIVIL) == []


def test_no_article_number_no_citation_and_no_law_word_stripped():
    assert keys("민법상 불법행위") == [] and unresolved_citations("민법상 불법행위", CIVIL) == []
    assert keys("손해배상 제750조") == []  # (손해배상 ends with 상, but 손해배 is no law)
    assert keys("민법상 750") == []  # (a bare number after 민법상 is no citation: it may be a count)


def test_an_absent_law_with_the_particle_gets_its_absent_law_notice(no_mirror):
    # (before: "'제250조' names no law; write it as e.g. '민법 제250조'"; and under --law 민법, 민법 제250조)
    notice = f"'형법 제250조': 형법 is not in this index (add it with `{add_command('형법')}`)"
    assert keys("형법상 제250조") == [] and unresolved_citations("형법상 제250조", CIVIL) == [notice]
    assert keys("형법상 제250조", default_law="민법") == []
    assert unresolved_citations("형법상 제250조", CIVIL, "민법") == [notice]
    assert cited_law_names("형법상 제250조") == ["형법", "형법상"]  # (no "no article contains '형법상'" beside it)


def test_the_example_names_the_law_the_query_names():
    # (before: "write it as e.g. '민법 제24조'" for a 상법 question)
    assert unresolved_citations("상법 관련 규정 중 제24조", CIVIL) == [
        "'제24조' names no law; write it as e.g. '상법 제24조'"]
    assert unresolved_citations("관련 규정 중 제24조", CIVIL) == ["'제24조' names no law; write it as e.g. '민법 제24조'"]


def test_the_search_reads_it_as_an_exact_citation(tmp_path):
    from legalret.index.build import build_index
    from legalret.search.searcher import Searcher

    index = tmp_path / "idx"
    build_index(sup.articles(), index, model="none")
    results = Searcher(index).search("민법상 제750조에 따른 손해배상", k=3)
    assert results[0].key == "민법 제750조" and results[0].relevance == 100
    assert not any("names no law" in n for n in results.notices)


# ---- 3. no command the mirror cannot carry out -------------------------------------------------------------------
def test_a_law_the_mirror_lacks_gets_no_add_command(mirror):
    assert mirror_has("민법 시행령") is False and mirror_has("개인정보 보호법 시행령") is True
    assert add_hint("민법 시행령") == "the statutes mirror has no law named 민법 시행령 either"
    # (before: "(add it with `legalret index add …legalize-kr.zip --law '민법 시행령'`)")
    assert unresolved_citations("민법 시행령 제3조", CIVIL) == [
        "'민법 시행령 제3조': 민법 시행령 is not in this index (the statutes mirror has no law named 민법 시행령 either)"]
    assert unresolved_citations("민법 제750조, 같은 법 시행령 제3조", CIVIL) == [
        "'같은 법 시행령 제3조': 민법 시행령 is not in this index (the statutes mirror has no law named 민법 시행령 either)"]
    # a law it holds keeps its command (spacing aside: the mirror's folders have none)
    assert add_hint("개인정보 보호법 시행령") == f"add it with `{add_command('개인정보 보호법 시행령')}`"
    assert unresolved_citations("형법 제250조", CIVIL) == [
        f"'형법 제250조': 형법 is not in this index (add it with `{add_command('형법')}`)"]


def test_without_a_mirror_the_command_is_offered_as_before(no_mirror):
    assert mirror_has("민법 시행령") is None
    assert add_hint("민법 시행령") == f"add it with `{add_command('민법 시행령')}`"
    assert "legalize-kr.zip --law '민법 시행령'" in add_command("민법 시행령")


# ---- 4. an article inside the law's numbers ----------------------------------------------------------------------
def _data(numbers):
    arts = [Article(law="민법", number=n, branch=b, paragraphs=[Paragraph(None, "…")]) for n, b in numbers]
    return SimpleNamespace(articles=arts, by_key={a.key: i for i, a in enumerate(arts)})


@pytest.mark.parametrize("cited, said", [
    ("민법 제750조의2", "민법 as indexed has 제750조 but no 제750조의2"),  # (before: "… (its last is 제1118조)")
    ("민법 제5조", "민법 as indexed has no article 제5조"),
    ("민법 제5조의2", "민법 as indexed has no article 제5조의2"),
    ("민법 제1200조", "민법 as indexed has no such article (its last is 제1118조)"),
    ("민법 제1118조의2", "민법 as indexed has no such article (its last is 제1118조)"),
])
def test_a_missing_article_says_where_it_would_be(cited, said):
    data = _data([(1, 0), (4, 0), (6, 0), (750, 0), (751, 0), (1118, 0)])
    cite = find_citations(cited, LawNames(["민법"]))[0]
    assert missing_article_notice(cite, data) == f"cited article {cite.key} is not in this index: {said}"


# ---- 2. an old name of a renamed law -----------------------------------------------------------------------------
def _renamed_filters() -> Filters:
    manifest = {"laws": {"주택임차인보호법": {}, "민법": {}}, RENAMED: {"주택임대차보호법": "주택임차인보호법"}}
    return Filters(SimpleNamespace(manifest=manifest, column=lambda name: []))


def test_a_query_citing_a_renamed_laws_old_name_says_so():
    names = _renamed_filters().law_names
    assert keys("주택임대차보호법 제3조", names) == ["주택임차인보호법 제3조"]
    # (before: no notice)
    text, notes = QueryPreparer(None, names).full_law_names("주택임대차보호법 제3조의 대항력")
    assert notes == ["law names read as renamed: 주택임대차보호법 → 주택임차인보호법 (index add --rename)"]
    # the new name, or no law's name, says nothing
    assert QueryPreparer(None, names).full_law_names("주택임차인보호법 제3조")[1] == []
    assert QueryPreparer(None, names).full_law_names("민법 제750조")[1] == []
    # a short name of the old name is read in full, as before, as the new law
    assert QueryPreparer(None, names).full_law_names("주임법 제3조")[1] == [
        "short law names read in full: 주임법 → 주택임차인보호법"]


def test_a_law_filter_of_the_old_name_is_read_as_the_new_and_says_so():
    filters = _renamed_filters()
    assert filters.resolve_laws("주택임대차보호법") == ["주택임차인보호법"]
    assert filters.renamed_in("주택임대차 보호법, 민법") == [("주택임대차보호법", "주택임차인보호법")]
    assert filters.renamed_in(["주택임차인보호법"]) == [] and filters.renamed_in(None) == []


def test_the_new_notices_have_korean_patterns():
    from test_page_notices import korean_pattern

    for notice in (renamed_names_notice([("주택임대차보호법", "주택임차인보호법")]),
                   "'민법 시행령 제3조': 민법 시행령 is not in this index (the statutes mirror has no law named 민법 시행령 "
                   "either)",
                   "cited article 민법 제750조의2 is not in this index: 민법 as indexed has 제750조 but no 제750조의2",
                   "cited article 민법 제5조 is not in this index: 민법 as indexed has no article 제5조"):
        pattern = korean_pattern(notice)
        assert pattern is not None and ("as indexed has" not in notice or "as indexed" in pattern.pattern), notice
        assert "mirror" not in notice or "mirror" in pattern.pattern
