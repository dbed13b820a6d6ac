"""Property tests (hypothesis) over the query path: ``Searcher.search`` on a small BM25-only index (built with
``model='none'`` from a few 민법 articles) with any Unicode, control characters, 200k characters, only
punctuation or emoji, odd k and filters. It may answer or raise :class:`~legalret.errors.LegalretError`
(one clear line) — never any other exception. Uses only the public API."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from legalret.errors import LegalretError
from legalret.index.build import build_index
from legalret.ingest import ingest
from legalret.search.searcher import Searcher

from fuzz_support import TRIED, fuzz_settings  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"

FUZZ = fuzz_settings(150, HealthCheck.function_scoped_fixture)
MODES = ["hybrid", "rrf", "bm25", "dense", "memory", "nonsense"]


@pytest.fixture(scope="module")
def searcher(tmp_path_factory) -> Searcher:
    articles = ingest([FIXTURES / "ingest" / "markdown" / "민법"]).articles
    assert len(articles) >= 5
    index = tmp_path_factory.mktemp("fuzz-index") / "index"
    build_index(articles, index, model="none")
    return Searcher(index)


def ask(searcher: Searcher, query: str, **kwargs):
    TRIED["Searcher.search"] += 1
    try:
        results = searcher.search(query, **kwargs)
    except LegalretError as e:
        assert str(e) and "\n" not in str(e).strip(), f"error should be one line: {e!r}"
        return None
    k = kwargs.get("k", 10)
    assert len(results) <= max(k, 0)
    return results


def test_a_real_query_answers(searcher):
    results = ask(searcher, "미성년자의 법률행위", k=3, mode="bm25")
    assert results is not None and len(results) > 0


@FUZZ
@given(query=st.text(max_size=300))
def test_any_unicode(searcher, query):
    ask(searcher, query, mode="bm25")
    ask(searcher, query)


@FUZZ
@given(query=st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Co"]), max_size=100))
def test_control_format_and_private_characters(searcher, query):
    ask(searcher, query, mode="bm25")


@FUZZ
@given(query=st.text(alphabet=st.characters(categories=["Po", "Ps", "Pe", "Pd", "Sm", "Sc", "Sk", "So"]),
                     min_size=1, max_size=60))
def test_only_punctuation_and_symbols(searcher, query):
    ask(searcher, query, mode="bm25")


@FUZZ
@given(emoji=st.lists(st.sampled_from(["😀", "⚖️", "👨‍👩‍👧", "🇰🇷", "\u200d", "\ufe0f", "🏳️‍🌈", "🤖"]), min_size=1, max_size=30))
def test_only_emoji(searcher, emoji):
    ask(searcher, "".join(emoji), mode="bm25")


@FUZZ
@given(query=st.text(max_size=60), k=st.integers(-5, 10_000), mode=st.sampled_from(MODES),
       laws=st.none() | st.lists(st.text(max_size=8) | st.sampled_from(["민법", "상법", "형법", ""]), max_size=3),
       kinds=st.none() | st.sampled_from(["법률", "시행령", "없는종류", ""]))
def test_odd_arguments(searcher, query, k, mode, laws, kinds):
    ask(searcher, query, k=k, mode=mode, laws=laws, kinds=kinds)


@FUZZ
@given(query=st.from_regex(r"(민법|상법|형법|같은 법|구 민법)? ?제[0-9]{1,6}조(의[0-9]{1,3})?( 제[0-9]{1,3}항)?( 제[0-9]{1,3}호)?",
                           fullmatch=True))
def test_citation_shaped_queries(searcher, query):
    ask(searcher, query)


@FUZZ
@given(query=st.one_of(
    st.from_regex(r"(民法|商法|刑法|不動産|甲|乙)? ?(第[0-9]{1,4}條)?(之[0-9])?[ 의]?(占有|留置權)?", fullmatch=True),
    st.from_regex(r"(대법원 )?(19|20)?[0-9]{2}(다|도|가합|므|누|카)[0-9]{1,7}( 판결)?(, [0-9]{1,6})?", fullmatch=True),
    st.from_regex(r"(민법|근기법|주임법|형소법|채무자회생법)? ?(§{1,2} ?[0-9]{1,4}(의[0-9])?(, [0-9]{1,4})*|제[0-9]{1,4}(, [0-9]{1,4})+조)",
                  fullmatch=True),
    st.from_regex(r"구 (민법|상법)\([0-9. ]{0,15}(법률 제[0-9]{1,6}호로 )?개정되기 전의 것\) 제[0-9]{1,4}조", fullmatch=True),
))
def test_hanja_case_number_and_other_citation_forms(searcher, query):
    """The query forms read since Hanja, short law names, 사건번호 and § came in: answered, or one line."""
    ask(searcher, query)


@pytest.mark.parametrize("query", [
    "가" * 200_000,
    "民法" * 100_000,
    "2016다248806 " * 20_000,
    "민법 " * 40_000,
    "\x00" * 200_000,
    "제1조 " * 30_000,
    ("😀" + "\u0301" * 50) * 2000,
])
def test_huge_and_pathological_queries(searcher, query):
    ask(searcher, query, mode="bm25")
    ask(searcher, query, k=1)


@pytest.mark.parametrize("query", ["\ud800", "민법 \udfff 제1조", "\udcbc" * 10])
def test_lone_surrogates(searcher, query):
    ask(searcher, query, mode="bm25")
