"""Short names of laws (``legalret/data/law_aliases.tsv``: 근기법, 주임법, 채무자회생법 …): every one names a real law,
the query reads it in full (citations, filters, every retriever), and a word that only starts like one is left alone."""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import pytest

from legalret.articles import Article, Paragraph
from legalret.config import shared_data_dir
from legalret.keys import LawNames, law_aliases, written_out

ROOT = Path(__file__).resolve().parent.parent


def mirror_law_names() -> list[str]:
    data = shared_data_dir()
    mirror = data / "statutes" / "legalize-kr.zip" if data else None
    if mirror is None or not mirror.exists():
        pytest.skip("the shared legalize-kr mirror is not here")
    names = []
    with zipfile.ZipFile(mirror) as z:
        for member in z.namelist():
            if member.endswith(".md"):
                found = re.search(r"제목:\s*(.+)", z.read(member)[:600].decode("utf-8", "replace"))
                if found:
                    names.append(found.group(1).strip().strip("'\""))
    return names


def test_every_short_name_names_a_law_of_the_mirror_and_is_no_law_itself():
    names = LawNames(mirror_law_names())
    aliases = law_aliases()
    assert len(aliases) >= 70
    assert [name for name in aliases.values() if names.resolve(name) is None] == []
    assert [alias for alias in aliases if names.resolve(alias) is not None] == []  # never shadows a real name
    assert aliases["근기법"] == "근로기준법" and aliases["채무자회생법"] == "채무자 회생 및 파산에 관한 법률"


@pytest.fixture(scope="module")
def names() -> LawNames:
    return LawNames(["근로기준법", "근로기준법 시행령", "주택임대차보호법", "형사소송법", "민사소송법", "민법",
                     "채무자 회생 및 파산에 관한 법률", "성폭력범죄의 처벌 등에 관한 특례법"])


def test_short_names_are_written_out_as_words_only(names):
    assert written_out("근기법 제23조의 해고", names) == ("근로기준법 제23조의 해고", [("근기법", "근로기준법")])
    assert written_out("주임법상 대항력과 민소법에서는", names)[0] == "주택임대차보호법상 대항력과 민사소송법에서는"
    assert written_out("근기법시행령 제2조", names)[0] == "근로기준법시행령 제2조"
    assert written_out("성폭력처벌법 위반", names)[0] == "성폭력범죄의 처벌 등에 관한 특례법 위반"  # not 성폭법 + …
    for text in ("국민소법", "노조법위반", "형소법률가", "헌법재판소", "근기법안"):
        assert written_out(text, names) == (text, []), text
    # a holding that defines its short name already names the law
    text = "채무자 회생 및 파산에 관한 법률(이하 '채무자회생법'이라 한다) 제566조"
    assert written_out(text, names) == (text, [])
    # a law the index does not hold stays as written (its citation then says so)
    assert written_out("공정거래법 제45조", names) == ("공정거래법 제45조", [])


def test_a_short_name_of_a_law_the_index_lacks_says_which_law_it_is():
    from legalret.search.citations import unresolved_citations

    assert unresolved_citations("근기법 제23조", LawNames(["민법", "상법"])) == [
        "'근기법 제23조': 근기법 (근로기준법) is not in this index (add it with `legalret index add labor`)"]


def test_a_filter_and_a_decree_resolve_by_short_name(names):
    names.add_aliases(law_aliases())
    assert names.resolve("근기법") == "근로기준법" and names.resolve("근기법 시행령") == "근로기준법 시행령"
    assert names.resolve("공정거래법") is None and names.resolve("형소법시행령") is None


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "index"))
    import index_support as sup

    from legalret.index import build_index
    from legalret.search.searcher import Searcher

    extra = [
        Article("근로기준법", 23, title="해고 등의 제한", kind="법률",
                paragraphs=[Paragraph(1, "사용자는 근로자에게 정당한 이유 없이 해고, 휴직, 정직, 전직, 감봉, 그 밖의 징벌을 하지 못한다.")]),
        Article("근로기준법", 26, title="해고의 예고", kind="법률",
                paragraphs=[Paragraph(None, "사용자는 근로자를 해고하려면 적어도 30일 전에 예고를 하여야 한다.")]),
        Article("주택임대차보호법", 3, title="대항력 등", kind="법률",
                paragraphs=[Paragraph(1, "임대차는 그 등기가 없는 경우에도 임차인이 주택의 인도와 주민등록을 마친 때에는 그 다음 날부터 제삼자에 대하여 효력이 생긴다.")]),
    ]
    path = tmp_path_factory.mktemp("aliases") / "idx"
    build_index(sup.articles() + extra, path, model="none")
    return Searcher(path)


def test_a_search_reads_short_names_in_full(searcher):
    res = searcher.search("근기법 제26조", k=3)
    assert res.keys[0] == "근로기준법 제26조"
    assert "short law names read in full: 근기법 → 근로기준법" in res.notices
    full = searcher.search("주택임대차보호법상 대항력이 생기는 때", k=3)
    short = searcher.search("주임법상 대항력이 생기는 때", k=3)
    assert short.keys == full.keys and short.keys[0] == "주택임대차보호법 제3조"
    assert searcher.search("해고 예고", k=3, laws=searcher.resolve_laws("근기법")).keys[0] == "근로기준법 제26조"
    assert not any(n.startswith("short law names") for n in searcher.search("민법 제750조", k=3).notices)


def test_a_filter_by_the_short_name_of_a_law_the_index_lacks_names_it(tmp_path):
    sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "index"))
    import index_support as sup

    from legalret.errors import LegalretError
    from legalret.index import build_index
    from legalret.search.searcher import Searcher

    build_index(sup.articles(), tmp_path / "idx", model="none")
    with pytest.raises(LegalretError, match=r"unknown law filter '근기법' \(근로기준법\): not in this index"):
        Searcher(tmp_path / "idx").resolve_laws("근기법")
