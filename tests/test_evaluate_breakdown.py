"""Per-style and per-family tables: grouping, intervals, paired differences, Markdown."""

from __future__ import annotations

import pytest

from legalret.evaluate.breakdown import breakdown, breakdown_markdown, family_of
from legalret.evaluate.quality import EvalQuery


def _q(qid, style, gold, family=None):
    extra = {"style": style, **({"family": family} if family else {})}
    return EvalQuery(qid=qid, query=qid, gold=gold, extra=extra)


QUERIES = [
    _q("a", "short", ["근로기준법 제23조"], "노동"),
    _q("b", "scenario", ["형법 제21조"], "형사"),
    _q("c", "short", ["형사소송법 제230조", "형법 제311조"], "형사"),
    _q("d", "holding", ["주택임대차보호법 제3조", "민법 제621조"]),   # family from the gold keys
]
GOOD = [{"recall@10": 1.0, "mrr@10": 1.0}, {"recall@10": 1.0, "mrr@10": 0.5}, {"recall@10": 0.5, "mrr@10": 0.5},
        {"recall@10": 1.0, "mrr@10": 1.0}]
BAD = [{"recall@10": 0.0, "mrr@10": 0.0}, {"recall@10": 1.0, "mrr@10": 0.5}, None, {"recall@10": 0.0, "mrr@10": 0.0}]


def test_groups_means_and_all_column():
    t = breakdown(QUERIES, {"good": GOOD, "bad": BAD}, comparisons=[("good", "bad")], n_resamples=200, seed=0)
    assert list(t["style"]) == ["short", "scenario", "holding", "all"]
    assert list(t["family"]) == ["형사", "노동", "임대차", "all"]
    fam = t["family"]["형사"]
    assert fam["queries"] == 2
    assert fam["retrievers"]["good"]["metrics"]["recall@10"]["mean"] == pytest.approx(0.75)
    assert fam["retrievers"]["bad"]["evaluated"] == 1 and fam["retrievers"]["bad"]["empty_gold"] == 1
    lo, hi = (fam["retrievers"]["good"]["metrics"]["recall@10"][k] for k in ("ci_low", "ci_high"))
    assert 0.5 <= lo <= 0.75 <= hi <= 1.0
    assert t["style"]["all"]["queries"] == 4
    # paired over the queries both scored: 형사 has one such query (b), equal → diff 0
    assert t["family"]["형사"]["paired"]["good - bad"]["recall@10"]["mean"] == 0.0
    assert t["family"]["노동"]["paired"]["good - bad"]["recall@10"]["mean"] == 1.0
    assert family_of(QUERIES[3]) == "임대차"


def test_markdown_has_a_table_per_dimension_and_metric():
    t = breakdown(QUERIES, {"good": GOOD, "bad": BAD}, comparisons=[("good", "bad")], n_resamples=100, seed=0)
    md = breakdown_markdown(t, metrics=("recall@10", "mrr@10"))
    assert md.count("**recall@10 per style**") == 1 and "**mrr@10 per family**" in md
    assert "| good | " in md and "형사 (n=2)" in md and "Paired differences per family" in md
    empty = breakdown(QUERIES[:1], {"x": [None]}, n_resamples=10)
    assert "| x | – | – |" in breakdown_markdown(empty, metrics=("recall@10",))


def test_misaligned_results_are_an_error():
    with pytest.raises(ValueError, match="3 rows for 4 queries"):
        breakdown(QUERIES, {"x": GOOD[:3]})


def test_a_query_may_sit_in_several_groups_and_the_all_column_is_optional():
    def styles(q):
        s = q.extra["style"]
        return (s,) if s == "holding" else (s, "all questions")

    t = breakdown(QUERIES, {"good": GOOD}, dimensions={"style": (styles, ("short", "all questions", "holding"))},
                  n_resamples=50, all_column=False)["style"]
    assert list(t) == ["short", "all questions", "holding", "scenario"]  # unknown groups after, sorted
    assert t["all questions"]["queries"] == 3 and t["holding"]["queries"] == 1
