"""A question about a crime on an index that holds no criminal law gets a notice (:mod:`legalret.search.crime`):
"술자리에서 … 코뼈가 부러졌으면 무슨 죄가 되나요?" on the 민법+상법 index had been 민법 제750조 with no word that 형법
is missing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.cli import app  # noqa: E402
from legalret.keys import LawNames  # noqa: E402
from legalret.search.crime import crime_notes, title_crimes  # noqa: E402

CIVIL = LawNames(["민법", "상법"])
TITLES = ["유치권의 내용", "발기인, 이사 기타의 임원등의 특별배임죄", "특별배임죄의 미수"]
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}


@pytest.mark.parametrize("question, words", [
    ("술자리에서 상대방을 때려서 코뼈가 부러졌으면 무슨 죄가 되나요?", "'죄'"),
    ("사기죄 처벌", "'사기죄, 처벌'"),
    ("친구를 고소하고 싶은데 형사 절차가 어떻게 되나요", "'고소, 형사'"),
    ("음주운전 벌금이 얼마나 나오나요", "'벌금'"),
])
def test_a_question_about_a_crime_gets_the_notice(question, words):
    [note] = crime_notes(question, CIVIL, lambda: title_crimes(TITLES))
    assert note.startswith(f"{words}: a question about a crime — 형법, where crimes and their punishments are, is not "
                           "in this index (add it with `legalret index add")


@pytest.mark.parametrize("question, law_names, said", [
    ("사기죄 처벌", LawNames(["민법", "상법", "형법"]), []),  # the index holds criminal law
    ("상법상 이사의 처벌", CIVIL, []),  # about a law it holds (its penal articles)
    ("이사의 특별배임죄", CIVIL, []),  # a crime an article it holds is titled
    ("근로기준법 제109조 처벌", CIVIL, ["'근로기준법 제109조': 근로기준법 is not in this index (…)"]),  # said already
    ("죄송하지만 전세 보증금 질문입니다", CIVIL, []),  # an apology is no crime
    ("매수인의 목적물 검사와 하자 통지", CIVIL, []),  # 검사: the buyer's inspection
    ("길에서 주운 지갑을 경찰에 신고했어요", CIVIL, []),
    # crime words only inside other words, and 사죄 (an apology): 사죄광고 is 민법 제764조's
    ("채권양도 통지의 접수사실 증명", CIVIL, []),
    ("고소득자의 부양의무", CIVIL, []),
    ("명예훼손에 대한 사죄광고", CIVIL, []),
    ("죄책감에 따른 위자료", CIVIL, []),
])
def test_no_notice(question, law_names, said):
    assert crime_notes(question, law_names, lambda: title_crimes(TITLES), said=said) == []


def test_the_search_says_it(tmp_path):
    from legalret.index import build_index

    idx = tmp_path / "idx"
    build_index(sup.articles(), idx, model="none")

    def search(query: str) -> tuple[str, list[dict]]:
        r = CliRunner().invoke(app, ["search", query, "--index", str(idx), "-k", "3", "--json"], env=ENV)
        assert r.exit_code == 0, r.output
        return r.stderr, [json.loads(line) for line in r.stdout.splitlines()]

    # a short question about a crime is about 형법: its hits are guesses (상법 제624조 had read 60 for "사기죄 처벌")
    said, hits = search("점유물을 돌려주지 않으면 횡령죄로 처벌되나요")
    assert "a question about a crime — 형법" in said and hits
    assert all(h["relevance"] is None for h in hits)
    # a longer text that names a crime (a criminal decision citing 민법 for its 양도담보): the hits keep their numbers
    said, hits = search("채무자가 그 소유의 동산을 채권자에게 양도담보로 제공하고 점유하다가 제3자에게 처분한 경우 "
                        "배임죄의 주체인 타인의 사무를 처리하는 자에 해당하는지 여부와 점유의 의미")
    assert "a question about a crime — 형법" in said and hits
    assert any(h["relevance"] is not None for h in hits)
    said, hits = search("타인의 물건을 점유한 자의 유치권")
    assert "a question about a crime" not in said and any(h["relevance"] is not None for h in hits)
