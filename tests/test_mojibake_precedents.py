"""The mojibake model learned precedent prose too (issue #11): the held-out split by decision date, the
bundled model's provenance, and the repairs that failed when it knew statutes only (Hanja party names
丁→不, 점/적, ㆍ kept as 'ã†'). Accuracy on 1,000 held-out holdings is measured in
``benchmarks/mojibake_repair.py``, not here."""

from __future__ import annotations

import json
import zipfile

import pytest

from legalret.ingest.mojibake import (
    DEFAULT_MODEL_PATH,
    CharNgramModel,
    corrupt,
    holding_lines,
    repair_mojibake,
)
from legalret.ingest.mojibake.corpus import fact_lines, precedent_lines


def _decision(case: str, date: str, holding: str) -> str:
    return (f"---\n판례일련번호: '1'\n사건번호: {case}\n선고일자: {date}\n---\n\n# 사건\n\n## 판시사항\n\n"
            f"[1] {holding}\n          둘째 줄\n[2] 다른 쟁점\n\n## 판결요지\n\n요지 {case}\n\n## 참조조문\n\n민법 제1조\n")


@pytest.fixture()
def archives(tmp_path):
    prec = tmp_path / "precedent-kr.zip"
    with zipfile.ZipFile(prec, "w") as z:
        z.writestr("precedent-kr/민사/대법원/2019다1.md", _decision("2019다1", "2019-12-31", "옛 판결"))
        z.writestr("precedent-kr/민사/대법원/2020다2.md", _decision("2020다2", "2020-01-01", "새 판결"))
        z.writestr("precedent-kr/민사/대법원/2023다3.md", _decision("2023다3", "2023-02-01", "너무 새 판결"))
    facts = tmp_path / "precedent-facts.zip"
    rows = [{"사건번호": "2019다1", "선고일자": "2019-05-01", "이유": "1. 기초 사실\n원고는 甲이다."},
            {"사건번호": "2021다9", "선고일자": "2021-05-01", "이유": "보류된 사실"}]
    with zipfile.ZipFile(facts, "w") as z:
        z.writestr("precedent-facts.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return prec, facts


def test_holdings_split_by_decision_date(archives):
    prec, _ = archives
    train = list(holding_lines(prec, split="train"))
    test = list(holding_lines(prec, split="test"))
    assert train == [("2019다1", "옛 판결 둘째 줄"), ("2019다1", "다른 쟁점"), ("2019다1", "요지 2019다1")]
    assert [c for c, _ in test] == ["2020다2"] * 3  # 2023 is in neither split
    assert {c for c, _ in holding_lines(prec, split="all")} == {"2019다1", "2020다2", "2023다3"}
    with pytest.raises(ValueError, match="split"):
        list(holding_lines(prec, split="dev"))


def test_facts_split_and_precedent_lines(archives):
    prec, facts = archives
    assert list(fact_lines(facts, split="train")) == [("2019다1", "1. 기초 사실"), ("2019다1", "원고는 甲이다.")]
    assert [c for c, _ in fact_lines(facts, split="test")] == ["2021다9"]
    assert len(list(precedent_lines(prec, facts, split="train"))) == 5
    assert list(precedent_lines(None, None)) == []


def test_bundled_model_learned_precedents_before_2020_only():
    meta = CharNgramModel.read_meta(DEFAULT_MODEL_PATH)
    assert meta["precedents_before"] == "2020-01-01"
    assert meta["holding_lines"] > 100_000 and meta["fact_lines"] > 100_000 and meta["statute_lines"] > 500_000


@pytest.mark.parametrize("clean", [
    "甲이 乙에게 丁 소유의 토지를 매도하였고, 丁은 丙을 상대로 소유권이전등기의 말소를 구하였다.",
    "원심의 판단에는 점유취득시효에 관한 법리를 오해한 잘못이 있다는 점을 지적하여 둔다.",
    "적법한 절차에 따라 작성된 것이라는 점이 증명된 때에 한하여 증거로 할 수 있다.",
    "사원ㆍ주주ㆍ채권자 사이의 이해관계를 조정한다.",
    "상계적상에 있는 채권은 상계할 수 있다.",
])
@pytest.mark.parametrize("nbsp", [False, True])
def test_holding_style_repairs(clean, nbsp):
    broken = corrupt(clean, nbsp_to_space=nbsp)
    assert broken != clean
    assert repair_mojibake(broken).text == clean
