"""Citations of laws a new user found misread on a 민법+상법 index.

1. A law whose name ends in a held law's name was read as the held law: ``난민법 제2조`` → 민법 제2조, ``국가배상법 제2조``
   and ``손해배상법 제2조`` → 상법 제2조, ``재난민법 제3조`` → 민법 제3조 — exact citations at relevance 100, in the search,
   ``/api/articles`` and MCP ``get_article``/``check_citation``. A law's name is now matched whole (a Hangul syllable
   before it makes it another, longer name) and the absent law gets the notice ``형법 제250조`` gets.
2. A mistyped law's name after a citation was credited to the earlier law: "민법 제750조와 형볍 제250조" → 민법 제250조
   (exists: true), "상법 제1조 및 민볍 제2조" → 상법 제2조; "민법 제750조, 같은 법 시행령 제3조" → 민법 제3조. Now each
   gets the "did you mean" it gets alone, and ``같은 법 시행령`` is that law's 시행령.
3. A law's name with a space was read from its last word: "개인정보 보호법 제39조" → "보호법 is not in this index (add it
   with `… --law 보호법`)", a command that adds nothing. The whole name (legalize-kr's) is now read.
4. "민법 제750조, 상볍 제1조" also said "nothing in the query matched this index" above its exact citation of 민법 제750조.

Real law names: those of the shared legalize-kr mirror (skipped where it is absent), the fixture index's 민법 and 상법.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import quote

import anyio
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.cli import app  # noqa: E402
from legalret.corpus.manifest import add_command, add_hint  # noqa: E402
from legalret.keys import LawNames, mirror_laws  # noqa: E402
from legalret.search.citations import cited_law_names, find_citations, unresolved_citations  # noqa: E402
from legalret.search.coverage import NOTHING_MATCHED, coverage_notes  # noqa: E402

CIVIL = LawNames(["민법", "상법"])
runner = CliRunner()
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}


def keys(text: str, names: LawNames = CIVIL, default_law: str | None = None) -> list[str]:
    return [c.key for c in find_citations(text, names, default_law)]


def absent(written: str, law: str) -> str:
    """The notice of a law this index lacks, as ``형법 제250조`` gets it."""
    return f"'{written}': {law} is not in this index ({add_hint(law)})"


@pytest.fixture(scope="module")
def mirror_names() -> set[str]:
    """The laws of the shared legalize-kr mirror, by their names as promulgated (tests/test_law_aliases.py reads them)."""
    from test_law_aliases import mirror_law_names

    return set(mirror_law_names())


# ---- 1. a law's name is matched whole ----------------------------------------------------------------------------
@pytest.mark.parametrize("query, law", [("난민법 제2조", "난민법"), ("국가배상법 제2조", "국가배상법"),
                                        ("손해배상법 제2조", "손해배상법"), ("재난민법 제3조", "재난민법"),
                                        ("재난민법 3조", "재난민법"), ("(국가배상법 제2조)", "국가배상법")])
def test_a_longer_name_ending_in_a_held_laws_is_not_the_held_law(query, law):
    # (before: 민법 제2조, 상법 제2조 … and no notice)
    assert keys(query) == [] and keys(query, default_law="민법") == []
    assert unresolved_citations(query, CIVIL) == [absent(query.strip("()"), law)]
    assert cited_law_names(query) == [law]


def test_the_real_laws_are_real(mirror_names):
    assert {"난민법", "국가배상법"} <= mirror_names  # (손해배상법 and 재난민법 are no law: the same notice, as 형법's)
    assert "손해배상법" not in mirror_names


@pytest.mark.parametrize("query, law", [("난민법 2", "난민법"), ("국가배상법 2 손해배상", "국가배상법")])
def test_nor_with_a_bare_number(query, law):
    assert keys(query) == []  # (before: 민법 제2조 / 상법 제2조 beside the notice that the law is not here)
    assert unresolved_citations(query, CIVIL) == [absent(" ".join(query.split()[:2]), law)]


@pytest.mark.parametrize("query, expected", [
    ("민법 제750조", ["민법 제750조"]), ("민법750조", ["민법 제750조"]), ("민법750", ["민법 제750조"]),
    ("구 민법 제10조", ["민법 제10조"]), ("구민법 제1000조", ["민법 제1000조"]), ("(구민법 제1000조)", ["민법 제1000조"]),
    ("(민법 제750조)", ["민법 제750조"]), ("「민법」 제750조", ["민법 제750조"]), ("질문:민법 제750조", ["민법 제750조"]),
    ("및 상법 제1조", ["상법 제1조"]), ("민법과 상법 제1조", ["상법 제1조"]), ("손해배상은 민법 제750조에 따라", ["민법 제750조"]),
    ("민법 제750조 및 상법 제1조", ["민법 제750조", "상법 제1조"]), ("국가배상법 제2조, 민법 제750조", ["민법 제750조"]),
])
def test_the_forms_that_name_a_held_law_still_do(query, expected):
    assert keys(query) == expected
    assert unresolved_citations(query, CIVIL) == ([] if not query.startswith("국가배상법")
                                                  else [absent("국가배상법 제2조", "국가배상법")])


def test_held_names_with_spaces_and_decrees_still_resolve():
    names = LawNames(["채무자 회생 및 파산에 관한 법률", "상법", "상법 시행령"])
    assert keys("채무자 회생 및 파산에 관한 법률 제566조", names) == ["채무자 회생 및 파산에 관한 법률 제566조"]
    assert keys("상법 시행령 제5조", names) == ["상법 시행령 제5조"]
    assert keys("상법 시행령 제5조") == [] and unresolved_citations("상법 시행령 제5조", CIVIL) == [
        absent("상법 시행령 제5조", "상법 시행령")]


# ---- 2. a mistyped law after a citation --------------------------------------------------------------------------
@pytest.mark.parametrize("query, first, note", [
    ("민법 제750조와 형볍 제250조", "민법 제750조", "'형볍 제250조': no law is named 형볍 (did you mean 형법? it is not in this index; "
                                              "add it with `legalret index add criminal`)"),
    ("민법 제750조, 상볍 제1조", "민법 제750조", "'상볍 제1조': no law is named 상볍 (did you mean 상법?)"),
    ("상법 제1조 및 민볍 제2조", "상법 제1조", "'민볍 제2조': no law is named 민볍 (did you mean 민법?)"),
])
def test_a_mistyped_law_after_a_citation_is_not_the_earlier_law(query, first, note):
    # (before: 민법 제250조, 민법 제1조, 상법 제2조 — and nothing said)
    assert keys(query) == [first]
    assert unresolved_citations(query, CIVIL) == [note]
    alone = query.split(" ", 2)[-1].lstrip("와 및, ")  # the same citation alone: the same notice
    assert keys(alone) == [] and unresolved_citations(alone, CIVIL) == [note]


def test_a_mistyped_law_is_not_the_filters_either():
    assert keys("형볍 제250조 살인", default_law="민법") == []  # (before: 민법 제250조)
    assert keys("민볍 제750조", default_law="민법") == ["민법 제750조"]  # (the filter's own law, mistyped: its)


def test_running_text_still_carries_the_law_over():
    assert keys("민법 제750조, 같은 법 제751조") == ["민법 제750조", "민법 제751조"]
    assert keys("민법 제750조에 따르면 손해배상 제751조") == ["민법 제750조", "민법 제751조"]
    assert keys("민법 제750조, 특히 제751조") == ["민법 제750조", "민법 제751조"]
    assert keys("민법 제750조 또는 제751조") == ["민법 제750조", "민법 제751조"]


def test_the_same_laws_decree_is_the_decree():
    # (before: 민법 제3조)
    assert keys("민법 제750조, 같은 법 시행령 제3조") == ["민법 제750조"]
    assert unresolved_citations("민법 제750조, 같은 법 시행령 제3조", CIVIL) == [
        f"'같은 법 시행령 제3조': 민법 시행령 is not in this index ({add_hint('민법 시행령')})"]
    held = LawNames(["민법", "민법 시행령"])
    assert keys("민법 제750조, 같은 법 시행령 제3조", held) == ["민법 제750조", "민법 시행령 제3조"]
    assert keys("민법 제750조, 동법 시행령 제3조", held) == ["민법 제750조", "민법 시행령 제3조"]


# ---- 3. a law's name with a space --------------------------------------------------------------------------------
@pytest.mark.parametrize("law, cited", [("개인정보 보호법", "제39조"), ("제조물 책임법", "제3조"),
                                        ("자동차손해배상 보장법", "제3조"), ("개인정보 보호법 시행령", "제2조")])
def test_a_name_with_a_space_is_read_whole(law, cited, mirror_names):
    assert law in mirror_names
    # (before: "'보호법 제39조': 보호법 is not in this index (add it with `… --law 보호법`)")
    assert unresolved_citations(f"근로자의 {law} {cited} 위반", CIVIL) == [absent(f"{law} {cited}", law)]
    assert f"--law '{law}'" in add_command(law) or "--law" not in add_command(law)
    assert cited_law_names(f"{law} {cited}") == [law]  # (the coverage notice leaves all of its words out)
    assert mirror_laws().resolve(law) is not None and mirror_laws().resolve(law.split()[-1]) is None
    if not law.endswith("시행령"):  # a bare number after it too (a decree's is not read: 근로기준법 시행령 2)
        assert unresolved_citations(f"{law} {cited[1:-1]}", CIVIL) == [absent(f"{law} {cited[1:-1]}", law)]


def test_a_former_laws_prefix_is_no_part_of_the_name(mirror_names):
    assert unresolved_citations("구 개인정보 보호법 제39조", CIVIL) == [absent("개인정보 보호법 제39조", "개인정보 보호법")]


def test_the_add_commands_law_is_the_law(shared_data):
    """The ``--law`` of the notice's command reads the law (``보호법`` read none)."""
    from legalret.ingest import ingest

    arts = ingest([shared_data / "statutes" / "legalize-kr.zip"], laws=["개인정보 보호법"], kinds=["법률"]).articles
    assert arts and {a.law for a in arts} == {"개인정보 보호법"}
    assert not ingest([shared_data / "statutes" / "legalize-kr.zip"], laws=["보호법"], kinds=["법률"]).articles


# ---- 4. the coverage notice beside a resolved citation -----------------------------------------------------------
def test_a_cited_held_law_is_a_word_that_matched():
    is_law = {"민법", "상법"}.__contains__
    vocab = {"손해", "배상"}
    # (before: "nothing in the query matched this index: no article contains '상볍'")
    assert coverage_notes(["민법", "상볍"], vocab, is_law=is_law, query="민법 제750조, 상볍 제1조") == []
    (note,) = coverage_notes(["민법", "상볍", "퀘이사", "블라쿠"], vocab, is_law=is_law, query="민법 제750조, 상볍 퀘이사 블라쿠")
    assert note.startswith("most of the query matched nothing") and "'상볍'" in note
    # a law the index lacks matched nothing: as before
    assert coverage_notes(["형볍"], vocab, is_law=is_law, query="형법 제250조 형볍")[0].startswith(NOTHING_MATCHED)


# ---- the search, /api/articles and MCP on the fixture 민법 + 상법 ------------------------------------------------
@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    from legalret.index import build_index

    idx = tmp_path_factory.mktemp("citations_s18") / "idx"
    build_index(sup.articles(), idx, model="none")  # (민법 제8조, 제750조, 제751조, 상법 제1조, 민법 시행령 제1조 …)
    return idx


def _search(index: Path, query: str) -> tuple[list[dict], list[str]]:
    r = runner.invoke(app, ["search", query, "--index", str(index), "-k", "3", "--json"], env=ENV)
    assert r.exit_code == 0, r.output
    hits = [json.loads(line) for line in r.stdout.splitlines()]
    return hits, hits[0]["notices"] if hits else []


def _exact(hits: list[dict]) -> list[str]:
    return [h["key"] for h in hits if any(r.startswith("exact citation") for r in h["reasons"])]


def test_the_search(index):
    hits, notices = _search(index, "난민법 제8조")
    assert _exact(hits) == [] and notices[0].startswith("'난민법 제8조': 난민법 is not in this index (add it with")
    hits, notices = _search(index, "민법 제750조, 상볍 제1조")
    assert _exact(hits) == ["민법 제750조"] and hits[0]["relevance"] == 100
    assert "'상볍 제1조': no law is named 상볍 (did you mean 상법?)" in notices
    assert not any(n.startswith(NOTHING_MATCHED) for n in notices)
    hits, _ = _search(index, "민법 제750조와 형볍 제751조")
    assert _exact(hits) == ["민법 제750조"]
    hits, _ = _search(index, "民法 第750條")  # (Hanja, read in Hangul before)
    assert _exact(hits) == ["민법 제750조"]
    hits, notices = _search(index, "민법 제750조, 같은 법 시행령 제1조")
    assert _exact(hits) == ["민법 제750조", "민법 시행령 제1조"]


def test_the_api_and_mcp(index):
    from fastapi.testclient import TestClient
    from mcp.server.mcpserver.exceptions import ToolError

    from legalret.serve.app import create_app
    from legalret.serve.mcp_server import create_mcp_server

    client = TestClient(create_app(index))
    r = client.get("/api/articles/" + quote("난민법 제8조"))  # (before: 민법 제8조)
    # an article of a law this index lacks is one it lacks: a 404 saying why (the README's rule; it had been a 400)
    assert r.status_code == 404 and "난민법 is not in this index" in r.json()["error"]
    assert client.get("/api/articles/" + quote("민법 제8조")).status_code == 200
    server = create_mcp_server(index, warm=False)
    with pytest.raises(ToolError, match="국가배상법 is not in this index"):
        anyio.run(server.call_tool, "get_article", {"key": "국가배상법 제1조"})
    out = anyio.run(server.call_tool, "check_citation", {"text": "재난민법 제8조, 민법 제750조와 형볍 제751조"})
    got = out.structured_content
    assert [(c["key"], c["exists"]) for c in got["citations"]] == [("민법 제750조", True)]
    assert got["unresolved"][0].startswith("'재난민법 제8조': 재난민법 is not in this index")
    assert got["unresolved"][1] == ("'형볍 제751조': no law is named 형볍 (did you mean 형법? it is not in this index; add "
                                    f"it with `legalret index add criminal --index {index}`)")
