"""The any-law dev sets: the law → family mapping, the hand-written questions about other laws
(law_questions.jsonl: schema, fixed per-(family, style) split, every gold key a live article) and the
holdings labeller (benchmarks/queries/law_holdings.py)."""

from __future__ import annotations

import importlib.util
import json
import zlib
from pathlib import Path

import pytest

from legalret.errors import SourceError
from legalret.evaluate.families import CIVIL_COMMERCIAL, FAMILIES, OTHER, family_of_key, family_of_keys, family_of_law
from legalret.evaluate.questions import STYLES, check_gold, parse_question, read_questions, split_balance_problems, summary

ROOT = Path(__file__).resolve().parents[1]
LAW_QUESTIONS = ROOT / "benchmarks" / "queries" / "law_questions.jsonl"
#: the second set (docs/queries.md), written after the choices made on the first: smaller families
LAW_QUESTIONS_2 = ROOT / "benchmarks" / "queries" / "law_questions_2.jsonl"
#: the third set (docs/queries.md), written after every rule run so far: nothing was chosen on it
LAW_QUESTIONS_3 = ROOT / "benchmarks" / "queries" / "law_questions_3.jsonl"
#: per file: at least this many questions, per family, and 시행령 gold keys
MINIMUMS = {LAW_QUESTIONS: (150, 20, 15), LAW_QUESTIONS_2: (120, 8, 15), LAW_QUESTIONS_3: (64, 6, 20)}


# ---- families --------------------------------------------------------------------------------------

@pytest.mark.parametrize("law, family", [
    ("형법", "형사"), ("형사소송법", "형사"), ("특정범죄 가중처벌 등에 관한 법률", "형사"), ("도로교통법", "형사"),
    ("근로기준법", "노동"), ("근로기준법 시행령", "노동"), ("최저임금법 시행령", "노동"), ("산업재해보상보험법", "노동"),
    ("주택임대차보호법", "임대차"), ("상가건물 임대차보호법 시행령", "임대차"),
    ("민사소송법", "민사절차"), ("민사집행법", "민사절차"), ("채무자 회생 및 파산에 관한 법률", "민사절차"),
    ("행정소송법", "행정"), ("국가배상법", "행정"), ("공공기관의 정보공개에 관한 법률 시행령", "행정"),
    ("국세기본법", "세법"), ("상속세 및 증여세법 시행령", "세법"), ("조세범 처벌법", "세법"),
    ("가사소송법", "가족"), ("가족관계의 등록 등에 관한 법률", "가족"),
    ("민법", CIVIL_COMMERCIAL), ("상법", CIVIL_COMMERCIAL), ("상법 시행령", CIVIL_COMMERCIAL),
    ("건축법", OTHER), ("특허법", OTHER), ("헌법재판소법", OTHER),
])
def test_family_of_law(law, family):
    assert family_of_law(law) == family


def test_family_names_match_without_spaces_or_middle_dot_variants():
    assert family_of_law("남녀고용평등과 일ㆍ가정 양립 지원에 관한 법률") == "노동"
    assert family_of_law("남녀고용평등과일·가정양립지원에관한법률") == "노동"
    assert family_of_key("근로기준법 시행령 제6조") == "노동"


def test_a_law_name_holding_a_spaced_je_is_kept_whole():
    """Family and per-law counts read the law as :func:`legalret.keys.law_of` does: the text before the key's
    last " 제", so a name holding " 제" — even " 제4조" — stays whole, and a decree stays apart from its act."""
    sofa = ("대한민국과 아메리카합중국 간의 상호방위조약 제4조에 의한 시설과 구역 및 대한민국에서의 합중국 군대의 "
            "지위에 관한 협정의 시행에 관한 형사특별법")
    assert family_of_key(f"{sofa} 제2조") == "형사" and family_of_key("노동절 제정에 관한 법률 제1조") == "노동"
    golds = [[f"{sofa} 제2조", "근로기준법 시행령 제3조"], [f"{sofa} 제3조의2", "근로기준법 제2조"]]
    questions = [parse_question({"qid": f"q{i}", "query": "질문", "gold": gold, "style": "short", "split": "tune"},
                                "f.jsonl", i) for i, gold in enumerate(golds)]
    assert summary(questions)["laws"] == {sofa: 2, "근로기준법 시행령": 1, "근로기준법": 1}


def test_family_of_keys_prefers_the_special_law_then_the_majority():
    assert family_of_keys(["주택임대차보호법 제3조", "민법 제621조"]) == "임대차"   # special act over 민법
    assert family_of_keys(["민법 제750조", "상법 제64조"]) == CIVIL_COMMERCIAL
    assert family_of_keys(["형법 제268조", "교통사고처리 특례법 제3조", "행정소송법 제18조"]) == "형사"  # majority
    assert family_of_keys(["행정소송법 제18조", "형법 제268조"]) == "행정"  # tie: the earliest gold key
    assert family_of_keys([]) == OTHER


# ---- law_questions.jsonl ---------------------------------------------------------------------------

@pytest.fixture(scope="module", params=list(MINIMUMS), ids=lambda path: path.name)
def law_file(request):
    return request.param


@pytest.fixture(scope="module")
def questions(law_file):
    return read_questions(law_file)


def test_every_question_has_a_family_and_the_three_styles(law_file, questions):
    s = summary(questions)
    at_least, per_family, decree = MINIMUMS[law_file]
    assert s["questions"] >= at_least
    assert all(q.family in FAMILIES for q in questions)
    assert {"형사", "노동", "행정", "세법"} <= set(s["per_family"])
    assert min(s["per_family"].values()) >= per_family
    for family in s["per_family"]:
        assert {q.style for q in questions if q.family == family} == set(STYLES), family
    assert s["multi_article_share"] >= 0.25
    # about other laws: 민법/상법 appear only next to the special act that modifies them
    civil = sum(n for law, n in s["laws"].items() if law in ("민법", "상법"))
    assert civil <= 0.25 * sum(s["laws"].values())
    assert sum(n for law, n in s["laws"].items() if law.endswith("시행령")) >= decree


def test_split_is_fixed_per_family_and_style(questions):
    assert split_balance_problems(questions) == []
    # fixed rule (docs/queries.md): within a (family, style), in file order, tune / report alternate, tune first
    for family in {q.family for q in questions}:
        for style in STYLES:
            splits = [q.split for q in questions if q.family == family and q.style == style]
            assert splits == ["tune" if i % 2 == 0 else "report" for i in range(len(splits))], (family, style)


#: The families written with dates or amounts in every scenario and a question mark on every short question.
STRICT = ("law-crim-", "law-labor-", "law-admin-", "law-tax-")


def test_styles_look_like_their_style(questions):
    for q in questions:
        strict = q.qid.startswith(STRICT)
        if q.style == "scenario":
            assert any(p in q.query for p in ("갑", "을")) and len(q.query) >= 60, q.qid
            assert not strict or any(c.isdigit() for c in q.query), q.qid
        if q.style == "keyword":
            assert "?" not in q.query and len(q.query.split()) <= 8, q.qid
        if q.style == "short" and strict:
            assert q.query.endswith("?"), q.qid


def test_a_bad_family_names_line_and_field():
    good = {"qid": "x", "query": "질문", "gold": ["형법 제1조"], "style": "short", "split": "tune", "family": "형사"}
    assert parse_question(good, "f.jsonl", 1).family == "형사"
    assert parse_question({k: v for k, v in good.items() if k != "family"}, "f.jsonl", 1).family is None
    with pytest.raises(SourceError) as e:
        parse_question({**good, "family": "형법"}, "f.jsonl", 7)
    assert e.value.line == 7 and e.value.field == "family"


def test_every_gold_key_is_a_live_article(questions, shared_data):
    from legalret.ingest.sources import ingest
    from legalret.keys import parse_key

    laws = sorted({parse_key(k).law for q in questions for k in q.gold})
    articles = ingest([shared_data / "statutes" / "legalize-kr.zip"], laws=laws).articles
    assert {a.law for a in articles} >= set(laws)
    assert check_gold(questions, articles) == []


# ---- law_holdings.py -------------------------------------------------------------------------------

def _law_holdings():
    spec = importlib.util.spec_from_file_location("law_holdings", ROOT / "benchmarks" / "queries" / "law_holdings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_holdings_are_labelled_by_family_and_a_case_number_half(tmp_path):
    lh = _law_holdings()
    records = [
        {"qid": "a", "query": "…", "gold": ["근로기준법 제23조", "민법 제750조"], "case_no": "2021다12345"},
        {"qid": "b", "query": "…", "gold": ["형사소송법 제312조"], "case_no": "2021다12345"},
        {"qid": "c", "query": "…", "gold": ["민법 제750조"], "case_no": "2020도999"},
    ]
    out = lh.label(records, "dev_queries.jsonl")
    assert [r["family"] for r in out] == ["노동", "형사", CIVIL_COMMERCIAL]
    assert out[0]["split"] == out[1]["split"]  # one case, one half
    assert out[2]["split"] == ("tune" if zlib.crc32("2020도999".encode()) % 2 == 0 else "report")
    assert "| 노동 |" in lh.counts_table(out)
    with pytest.raises(SourceError) as e:
        lh.label([{"qid": "x", "gold": ["형법 제1조"]}], "dev_queries.jsonl")
    assert e.value.line == 1 and e.value.field == "case_no"


def test_law_holdings_cli_writes_the_labelled_file(tmp_path, capsys):
    import json

    lh = _law_holdings()
    src = tmp_path / "dev_queries.jsonl"
    src.write_text(json.dumps({"qid": "a", "query": "q", "gold": ["국세기본법 제26조의2"], "case_no": "2022두1"},
                              ensure_ascii=False) + "\n", encoding="utf-8")
    assert lh.main([str(src), "--out", str(tmp_path / "out.jsonl")]) == 0
    rec = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert rec["family"] == "세법" and rec["split"] in ("tune", "report")
    assert "sha256" in capsys.readouterr().out
    assert lh.main([str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o.jsonl")]) == 1


def _law_eval():
    spec = importlib.util.spec_from_file_location("law_eval", ROOT / "benchmarks" / "law_eval.py")
    law_eval = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(law_eval)
    return law_eval


def test_law_eval_reads_questions_and_one_half_of_the_holdings(tmp_path):
    import json

    law_eval = _law_eval()
    holdings = tmp_path / "law_holdings.jsonl"
    rows = [{"qid": f"h{i}", "query": "판시사항", "gold": ["형법 제21조"], "case_no": f"2021도{i}", "date": "2021-03-04",
             "family": "형사", "split": "tune" if i % 2 else "report"} for i in range(10)]
    holdings.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    qs = law_eval.load_sets([str(LAW_QUESTIONS)], "report", str(holdings), "report", 3, seed=0)
    questions = [q for q in qs if q.extra["style"] != "holding"]
    held = [q for q in qs if q.extra["style"] == "holding"]
    assert questions and all(q.extra["split"] == "report" and q.extra["family"] for q in questions)
    assert len(held) == 3 and all(h.extra["split"] == "report" and h.extra["family"] == "형사" for h in held)
    with pytest.raises(Exception, match="unknown retriever"):
        law_eval.retriever_names("bm25,nope")


def test_law_eval_names_the_index_by_folder_and_generation_not_its_path(tmp_path):
    """The committed report must not carry the machine's absolute path: the folder's name, generation and size."""
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "index"))
    import index_support as sup

    from legalret.evaluate.breakdown import breakdown
    from legalret.evaluate.quality import EvalQuery
    from legalret.index import build_index

    law_eval = _law_eval()
    index = tmp_path / "all-laws-idx"
    build_index(sup.articles(), index, model="none")
    label = law_eval.index_label(str(index))
    searchable, laws = sum(not a.deleted for a in sup.articles()), len({a.law for a in sup.articles()})
    assert label == f"`all-laws-idx` (gen-000001: {searchable:,} searchable articles of {laws} laws)"

    queries = [EvalQuery(qid=f"q{i}", query="질문", gold=["민법 제1조"], extra={"style": "short", "family": "민사·상사"})
               for i in range(2)]
    scores = [{"recall@10": 1.0, "mrr@10": 1.0, "recall@100": 1.0}, {"recall@10": 0.0, "mrr@10": 0.0, "recall@100": 1.0}]
    result = {"settings": {"index": str(index), "index_label": label, "questions": ["/x/law_questions.jsonl"],
                           "split": "report", "holdings": None, "holdings_split": "report", "holdings_limit": 0,
                           "before": "2020-01-01", "n_resamples": 50},
              "breakdown": breakdown(queries, {"bm25": scores}, n_resamples=50)}
    md = law_eval.report_markdown(result)
    assert f"Index {label}; questions: law_questions.jsonl; holdings: —" in md and str(tmp_path) not in md
    assert "| bm25 | 0.500 [" in md and "**recall@100 per style**" in md

    # a whole run: the JSON's settings and command name the index by its folder too, the questions by their name
    # (a path outside the checkout, the shared data and the home: benchmarks/index_names.py's portable_path)
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"qid": "q1", "query": "간접점유", "gold": ["민법 제194조"], "style": "short", "split": "report", '
                         '"family": "민사·상사"}\n', encoding="utf-8")
    out = tmp_path / "out"
    assert law_eval.main(["--index", str(index), "--questions", str(questions), "--retrievers", "bm25",
                          "--resamples", "20", "--out", str(out), "--name", "run"]) == 0
    data = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert data["settings"]["index"] == "all-laws-idx" and data["settings"]["index_label"] == label
    assert data["settings"]["command"].startswith("python benchmarks/law_eval.py --index all-laws-idx --questions ")
    assert data["settings"]["questions"] == ["q.jsonl"]
    assert str(tmp_path) not in (out / "run.json").read_text(encoding="utf-8")
    assert str(tmp_path) not in (out / "run.md").read_text(encoding="utf-8")
