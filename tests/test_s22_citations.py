"""A branch written from 0 (``제1조의0``, an agent's invented key) names no article.

It had been read as 제1조: ``check_citation`` said "민법 제1조의0 → 민법 제1조, exists", and ``get_article`` /
``GET /api/articles/민법 제1조의0`` answered 민법 제1조. Keys (:mod:`legalret.keys`) already refused 의0."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.index import build_index  # noqa: E402
from legalret.keys import LawNames  # noqa: E402
from legalret.search.citations import find_citations, unresolved_citations  # noqa: E402
from legalret.serve.app import create_app  # noqa: E402
from legalret.serve.statutes import StatuteService  # noqa: E402

CIVIL = LawNames(["민법", "상법"])


@pytest.mark.parametrize("text, read, zero", [("민법 제1조의0", "민법 제1조", "0"), ("민법 제750조의 0", "민법 제750조", "0"),
                                              ("상법 651조의02", "상법 제651조", "02"),
                                              ("민법 제750조 제1항 제3호의0", "민법 제750조 제1항 제3호", "0")])
def test_a_zero_branch_is_not_read_and_is_said(text, read, zero):
    assert [str(c) for c in find_citations(text, CIVIL)] == [read]
    notes = unresolved_citations(text, CIVIL)
    assert len(notes) == 1 and f"의{zero} is no branch of an article" in notes[0] and "names no article" in notes[0]


def test_real_branches_are_read_as_before():
    assert [str(c) for c in find_citations("상법 제651조의2, 민법 제312조의 2, 민법 제750조 제1항 제1호의2", CIVIL)] == [
        "상법 제651조의2", "민법 제312조의2", "민법 제750조 제1항 제1호의2"]
    assert unresolved_citations("상법 제651조의2 및 제10조의10", CIVIL) == []


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    idx = tmp_path_factory.mktemp("s22") / "idx"
    build_index(sup.articles(), idx, model="none")
    return idx


def test_lookups_and_checks_of_a_zero_branch(index):
    r = TestClient(create_app(index)).get("/api/articles/" + quote("민법 제750조의0", safe=""))
    assert r.status_code == 404 and "it reads as 민법 제750조 followed by '의0'" in r.json()["error"]
    checked = StatuteService(index, warm=False).check_citations("민법 제750조의0에 따라 배상한다")
    assert [c["key"] for c in checked["citations"]] == ["민법 제750조"]
    assert any("의0 is no branch of an article" in u for u in checked["unresolved"])
