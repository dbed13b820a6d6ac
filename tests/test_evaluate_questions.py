"""The hand-written dev question set: schema, stratified split, every gold key a live 민법/상법 article."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from legalret.errors import SourceError
from legalret.evaluate.questions import (
    STYLES,
    check_gold,
    parse_question,
    read_questions,
    split_balance_problems,
    summary,
)

QUESTIONS = Path(__file__).resolve().parents[1] / "benchmarks" / "queries" / "user_questions.jsonl"
#: the second 민법/상법 set (docs/queries.md), written after every rule run so far: an outside check
QUESTIONS_2 = QUESTIONS.with_name("user_questions_2.jsonl")
#: per file: at least this many questions, and per style
MINIMUMS = {QUESTIONS: (200, 40), QUESTIONS_2: (100, 20)}


@pytest.fixture(scope="module", params=list(MINIMUMS), ids=lambda path: path.name)
def question_file(request):
    return request.param


@pytest.fixture(scope="module")
def questions(question_file):
    return read_questions(question_file)


def test_size_styles_and_multi_article_share(question_file, questions):
    s = summary(questions)
    total, per_style = MINIMUMS[question_file]
    assert s["questions"] >= total
    assert set(s["per_style"]) == set(STYLES) and min(s["per_style"].values()) >= per_style
    assert s["multi_article_share"] >= 0.25
    assert s["multi_per_style"]["scenario"] >= 25  # scenarios are where two laws/articles meet
    assert set(s["laws"]) == {"민법", "상법"}


def test_the_original_questions_are_kept():
    """The original 46 single-style questions stay in the first file, as 'short'."""
    questions = read_questions(QUESTIONS)
    assert sum(q.qid.startswith("user-") for q in questions) == 46
    assert {q.style for q in questions if q.qid.startswith("user-")} == {"short"}


def test_the_second_set_asks_about_other_articles():
    """Written after the first file, about other situations: every question there has a gold article the first
    file never asks for."""
    first = {k for q in read_questions(QUESTIONS) for k in q.gold}
    assert all(set(q.gold) - first for q in read_questions(QUESTIONS_2))


def test_split_is_fixed_and_stratified(questions):
    assert split_balance_problems(questions) == []
    # fixed rule (docs/queries.md): within a style, in file order, tune / report alternate, tune first
    for style in STYLES:
        splits = [q.split for q in questions if q.style == style]
        assert splits == ["tune" if i % 2 == 0 else "report" for i in range(len(splits))]


def test_scenarios_look_like_scenarios(questions):
    for q in questions:
        if q.style == "scenario":
            assert any(p in q.query for p in ("갑", "을")) and len(q.query) >= 60, q.qid
        if q.style == "keyword":
            assert "?" not in q.query and len(q.query.split()) <= 8, q.qid


def test_bad_lines_name_line_and_field(tmp_path):
    good = {"qid": "x", "query": "질문", "gold": ["민법 제1조"], "style": "short", "split": "tune"}
    with pytest.raises(SourceError) as e:
        parse_question({**good, "style": "essay"}, "f.jsonl", 3)
    assert e.value.line == 3 and e.value.field == "style"
    with pytest.raises(SourceError) as e:
        parse_question({**good, "gold": []}, "f.jsonl", 4)
    assert e.value.field == "gold"
    with pytest.raises(SourceError) as e:
        parse_question({k: v for k, v in good.items() if k != "split"}, "f.jsonl", 5)
    assert e.value.field == "split"
    f = tmp_path / "q.jsonl"
    f.write_text(json.dumps(good, ensure_ascii=False) + "\n" + json.dumps(good, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(SourceError, match="already used on line 1") as e:
        read_questions(f)
    assert e.value.line == 2 and e.value.field == "qid"


def test_check_gold_flags_missing_and_deleted():
    from legalret.articles import Article

    qs = [parse_question({"qid": "a", "query": "q", "gold": ["민법 제1조", "민법 제436조", "민법 제9999조"],
                          "style": "short", "split": "tune"}, "f", 1)]
    arts = [Article(law="민법", number=1, title="법원"), Article(law="민법", number=436, deleted=True)]
    problems = check_gold(qs, arts)
    assert len(problems) == 2 and "deleted" in problems[0] and "not in the statutes" in problems[1]


def test_every_gold_key_is_a_live_article(questions, shared_data):
    from legalret.ingest.sources import ingest

    articles = ingest([shared_data / "statutes" / "legalize-kr.zip"], laws=["민법", "상법"]).articles
    assert check_gold(questions, articles) == []
