"""Pairs and query sets from decisions: splits without leakage, dedup, templates, files, CLI (legalret.pairs)."""

from __future__ import annotations

import json

import pytest

from legalret.config import DEV_END, TRAIN_END
from legalret.errors import LegalretError
from legalret.ingest.sources import ingest
from legalret.pairs.build import TEMPLATES, build_pairs, read_jsonl, write_pairs
from legalret.precedents.citations import ArticleCatalog
from legalret.precedents.parse import read_precedents


@pytest.fixture(scope="module")
def corpus(fixtures_dir):
    return ingest([fixtures_dir / "precedents" / "statutes"]).articles


@pytest.fixture(scope="module")
def precedents(fixtures_dir, corpus):
    root = fixtures_dir / "precedents"
    return list(read_precedents([root / "md", root / "lawgo"], catalog=ArticleCatalog.from_articles(corpus)))


@pytest.fixture(scope="module")
def plain(precedents, corpus):
    return build_pairs(precedents, corpus, templates=("plain",))


def _holding_pairs(pairs):
    return [p for p in pairs if p["source"] == "holding"]


def test_splits_by_date_without_leakage(plain):
    train, dev = _holding_pairs(plain.train), _holding_pairs(plain.dev)
    assert train and dev
    assert all(p["decided"] < TRAIN_END.isoformat() for p in train)
    assert all(TRAIN_END.isoformat() <= p["decided"] < DEV_END.isoformat() for p in dev)
    assert not {p["case_no"] for p in train} & {p["case_no"] for p in dev}
    assert not {p["query"] for p in plain.train} & {p["query"] for p in plain.dev}
    assert not {q["query"] for q in plain.train_queries} & {q["query"] for q in plain.dev_queries}
    # 2019다4004(본소), 4005(반소) [2019] and 2019다4005 [2020] share a case number: the group is dropped
    cases = {p["case_no"] for p in train + dev}
    assert not any("4004" in c or "4005" in c for c in cases)
    assert plain.stats["dropped"]["precedent_cross_split_group"] == 2
    # the 2018 holding repeats a 2021 (dev) holding word for word: kept in dev, dropped from train
    assert plain.stats["dropped"]["train_holding_also_in_dev"] == 1
    assert "2018다5005" not in cases


def test_pairs_content_and_counts(plain, corpus):
    by_key = {a.key: a.index_text() for a in corpus}
    train = _holding_pairs(plain.train)
    assert sorted((p["case_no"], p["key"]) for p in train) == sorted([
        ("2015다1001", "민법 제194조"), ("2015다1001", "민법 제320조"), ("2015다1001", "상법 제652조"),
        ("2016다7007", "민법 제103조"), ("89므3003", "민법 제840조"), ("89므3003", "민법 제840조"),
        ("89므3003", "민법 제839조의2"), ("89므3003", "민법 제843조"), ("2014다4444", "민법 제320조"),
    ])
    for p in plain.train + plain.dev:
        assert p["positive"] == by_key[p["key"]] and p["query"]
        assert set(p) >= {"qid", "query", "positive", "key", "decided", "case_no", "source"}
    assert {p["alignment"] for p in _holding_pairs(plain.train) if p["case_no"] == "2016다7007"} == {"mismatch"}
    assert sorted(p["key"] for p in _holding_pairs(plain.dev)) == [
        "민법 제194조", "민법 제750조", "민법 제750조", "민법 제751조", "상법 제651조의2"]


def test_dedup_same_query_and_key(plain):
    # 2017다6006 repeats 2015다1001 [1] with 민법 제194조: one pair, and one query whose gold is merged
    seen = [(p["query"], p["key"]) for p in plain.train]
    assert len(seen) == len(set(seen))
    assert plain.stats["dropped"]["duplicate_pair"] >= 1
    q = [q for q in plain.train_queries if q["query"].startswith("유치권의 성립요건인 점유에")]
    assert len(q) == 1 and q[0]["gold"] == ["민법 제194조", "민법 제320조"]
    assert plain.stats["dropped"]["duplicate_query_merged"] == 1


def test_query_files_benchmark_format(plain):
    assert len(plain.dev_queries) == 4 and len(plain.train_queries) == 6
    for q in plain.dev_queries + plain.train_queries:
        assert set(q) == {"qid", "query", "gold", "case_no", "decided", "date"} and q["gold"]
        assert q["date"] == q["decided"] and q["case_no"]  # what `bench quality` reads against leakage
    assert len({q["qid"] for q in plain.dev_queries + plain.train_queries}) == 10
    gold = {q["query"]: q["gold"] for q in plain.dev_queries}
    assert gold["정신적 손해에 대한 위자료의 산정 기준"] == ["민법 제750조", "민법 제751조"]


def test_synthetic_pairs_train_only(plain):
    syn = [p for p in plain.train if p["source"].startswith("synthetic")]
    assert not [p for p in plain.dev if p["source"] != "holding"]
    numbers = {p["query"] for p in syn if p["source"] == "synthetic-number"}
    assert "상법 제651조의2의 내용은 무엇인가?" in numbers and len(numbers) == 15  # 15 live articles
    titles = {p["query"]: p["key"] for p in syn if p["source"] == "synthetic-title"}
    assert titles["민법에서 간접점유에 관한 규정은?"] == "민법 제194조"
    assert not any("준용규정" in q for q in titles)  # two 민법 articles are titled 준용규정: ambiguous, skipped
    assert plain.stats["synthetic_skipped"]["shared_title"] == 2
    assert not any(p["key"] == "민법 제982조" for p in plain.train)  # deleted: never a positive


def test_templates_rotate_and_are_recorded(precedents, corpus):
    ps = build_pairs(precedents, corpus, templates=("plain", "card"))
    holding = _holding_pairs(ps.train + ps.dev)
    by_template = {p["template"] for p in holding}
    assert by_template <= {"plain", "card"}
    for p in holding:
        if p["template"] == "card":
            assert p["query"].endswith("에 대한 법적 판단은?")
    # the same holding always gets the same template (all its pairs share the query)
    per_qid = {}
    for p in holding:
        assert per_qid.setdefault(p["qid"], p["query"]) == p["query"]
    # queries files use the first template (plain) whatever the rotation
    assert not any(q["query"].endswith("법적 판단은?") for q in ps.dev_queries)
    assert ps.stats["templates"]["queries_files"] == "plain"
    assert "not applied" in ps.stats["prompts"]
    with pytest.raises(LegalretError, match="unknown query template"):
        build_pairs(precedents, corpus, templates=("nope",))
    assert set(TEMPLATES) >= {"plain", "card"}


def test_write_pairs_files(plain, tmp_path):
    paths = write_pairs(plain, tmp_path / "out", {"note": "x"})
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "train.jsonl", "dev.jsonl", "train_queries.jsonl", "dev_queries.jsonl", "stats.json"}
    assert read_jsonl(paths["dev_queries"]) == plain.dev_queries
    stats = json.loads(paths["stats"].read_text(encoding="utf-8"))
    assert stats["note"] == "x" and stats["dev"]["queries"] == 4
    assert stats["train"]["pairs_by_source"]["holding"] == 9


def test_empty_input_gives_empty_splits(corpus):
    ps = build_pairs([], corpus, synthetic=False)
    assert ps.train == [] and ps.dev == [] and ps.dev_queries == []


def test_cli_pairs(fixtures_dir, tmp_path):
    from typer.testing import CliRunner

    from legalret.cli import app

    root = fixtures_dir / "precedents"
    out = tmp_path / "pairs"
    result = CliRunner().invoke(app, [
        "pairs", "--precedents", str(root / "md"), "--precedents", str(root / "lawgo"), "--precedents",
        str(root / "bad"), "--statutes", str(root / "statutes"), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["precedents"]["errors"] == 4  # bad/*.md + one bad JSON record, reported, not fatal
    assert stats["dev"]["queries"] == 4
    assert len(read_jsonl(out / "dev_queries.jsonl")) == 4
    bad = CliRunner().invoke(app, ["pairs", "--precedents", str(root / "md"), "--statutes", str(root / "statutes"),
                                   "--out", str(out), "--templates", "bogus"])
    assert bad.exit_code != 0 and isinstance(bad.exception, LegalretError)
    # no decision at all (an empty folder, a statute file given as precedents): an error, not "pairs" of
    # synthetic titles alone, and nothing written
    for wrong in (tmp_path / "empty", root / "bad"):
        wrong.mkdir(exist_ok=True)
        nothing = CliRunner().invoke(app, ["pairs", "--precedents", str(wrong), "--statutes", str(root / "statutes"),
                                           "--out", str(tmp_path / "none")])
        assert isinstance(nothing.exception, LegalretError) and "no decision read from" in str(nothing.exception)
        assert not (tmp_path / "none").exists()


def test_repeated_holding_text_is_one_query_with_merged_gold(precedents, corpus):
    ps = build_pairs(precedents, corpus, templates=("plain", "card", "issue"))
    repeated = [p for p in ps.train if p["source"] == "holding" and "간접점유가 포함되는지" in p["query"]]
    # 2015다1001 [1] and 2017다6006 share the text: one query, whatever template it drew, pairs deduplicated
    assert len({p["query"] for p in repeated}) == 1
    assert sorted(p["key"] for p in repeated) == ["민법 제194조", "민법 제320조"]
    assert all(p["gold"] == ["민법 제194조", "민법 제320조"] for p in repeated)


def test_citations_predating_todays_numbering_are_dropped(precedents, corpus):
    """민법 cited by a decision before 1960 is the 의용민법, 상법 before 1963 the 의용상법: other numbers."""
    import dataclasses
    from datetime import date

    mixed = next(p for p in precedents if p.case_no == "2015다1001")  # cites 민법 제194조, 제320조, 상법 제652조
    old = dataclasses.replace(mixed, case_no="4290민상1", serial="old-1", decided=date(1958, 5, 1))
    between = dataclasses.replace(mixed, case_no="4294민상2", serial="old-2", decided=date(1961, 5, 1))
    ps = build_pairs([old, between], corpus, templates=("plain",), synthetic=False)
    pairs = {(p["case_no"], p["key"]) for p in ps.train}
    # 1958: neither 민법 nor 상법 had today's numbering → nothing; 1961: 민법 yes, 상법 not yet
    assert pairs == {("4294민상2", "민법 제194조"), ("4294민상2", "민법 제320조")}
    assert ps.stats["dropped"]["citation_predates_numbering"] == 4
    assert {"민법": "1960-01-01", "상법": "1963-01-01", "근로기준법": "2008-04-10"}.items() <= ps.stats["numbering_since"].items()


def _decision(folder, case_no, decided, citation):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{case_no}.md").write_text(
        f"---\n판례일련번호: '{case_no}'\n사건번호: {case_no}\n사건명: 시험\n법원명: 대법원\n법원등급: 대법원\n"
        f"사건종류: 형사\n선고일자: {decided}\n---\n\n# 시험\n\n## 판시사항\n\n살인죄의 고의\n\n## 참조조문\n\n{citation}\n",
        encoding="utf-8")


def test_cli_pairs_statutes_as_articles_jsonl(fixtures_dir, tmp_path, corpus):
    """`corpus pull --out cc.jsonl` writes an articles JSONL: `pairs --statutes` reads it as `index build` does."""
    from typer.testing import CliRunner

    from legalret.articles import write_articles
    from legalret.cli import app

    root = fixtures_dir / "precedents"
    write_articles(tmp_path / "cc.jsonl", corpus)
    out = tmp_path / "pairs"
    result = CliRunner().invoke(app, ["pairs", "--precedents", str(root / "md"), "--statutes",
                                      str(tmp_path / "cc.jsonl"), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dev"]["queries"] > 0
    # a file nothing can be read from: the reader's reason in the one line, not "no articles of corpus"
    (tmp_path / "bad.jsonl").write_text('{"bad\n', encoding="utf-8")
    bad = CliRunner().invoke(app, ["pairs", "--precedents", str(root / "md"), "--statutes",
                                   str(tmp_path / "bad.jsonl"), "--out", str(tmp_path / "none")])
    assert isinstance(bad.exception, LegalretError)
    assert "bad.jsonl:1" in str(bad.exception) and "nothing written" in str(bad.exception)
    assert not (tmp_path / "none").exists()


def test_cli_pairs_without_holding_pairs_is_an_error(fixtures_dir, tmp_path):
    """Decisions citing only laws outside the corpus: an error naming what they cite, nothing written (synthetic
    pairs alone were written with exit 0)."""
    from typer.testing import CliRunner

    from legalret.cli import app

    for i in range(3):
        _decision(tmp_path / "crim", f"2015도{i + 1}", "2015-03-05", "형법 제250조, 형사소송법 제307조")
    result = CliRunner().invoke(app, ["pairs", "--precedents", str(tmp_path / "crim"), "--statutes",
                                      str(fixtures_dir / "precedents" / "statutes"), "--out", str(tmp_path / "out")])
    assert isinstance(result.exception, LegalretError), result.output
    message = str(result.exception)
    assert "no (holding → article) pairs" in message and "'civil-commercial' (민법, 상법)" in message
    assert "형법 3" in message and "형사소송법 3" in message and "--corpus all" in message
    assert not (tmp_path / "out").exists()


def test_cli_pairs_without_dev_queries_warns(fixtures_dir, tmp_path):
    """Only decisions before 2020: the pairs are written, with a warning that `legalret train` needs dev queries."""
    import shutil

    from typer.testing import CliRunner

    from legalret.cli import app

    src = fixtures_dir / "precedents" / "md" / "민사" / "대법원"
    (tmp_path / "old").mkdir()
    for name in ("2015다1001.md", "2016다7007.md"):
        shutil.copy(src / name, tmp_path / "old" / name)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["pairs", "--precedents", str(tmp_path / "old"), "--statutes",
                                      str(fixtures_dir / "precedents" / "statutes"), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["train"]["pairs_by_source"]["holding"] > 0 and stats["dev"]["queries"] == 0
    assert len(stats["warnings"]) == 1 and "`legalret train` needs dev queries" in stats["warnings"][0]
    assert "warning: the dev split is empty" in result.stderr
    assert read_jsonl(out / "dev_queries.jsonl") == []


def test_pairs_leave_out_a_statute_file_with_uncertain_repairs(fixtures_dir, tmp_path):
    """`index build` skips a statute file whose lossy mojibake repairs stayed uncertain (a wrong guess puts wrong
    words in the index); `pairs` had trained on its text without a word. Now its articles are left out, a warning
    names the file, and --accept-uncertain-repairs takes it as repaired; a batch of such files alone is refused."""
    import shutil

    from typer.testing import CliRunner

    from legalret.cli import app
    from legalret.ingest.mojibake import corrupt

    root = fixtures_dir / "precedents"
    statutes = tmp_path / "statutes"
    shutil.copytree(root / "statutes", statutes)
    broken = statutes / "legalize-kr" / "상법" / "법률.md"
    clean = broken.read_text(encoding="utf-8")
    head, body = clean.split("\n---", 1)
    broken.write_text(head + "\n---" + corrupt("\n\n##### 제999조 (시험)\n\n이 점 그 적 저 점\n" + body), encoding="utf-8")

    def run(*extra: str):
        out = tmp_path / ("pairs" + "-".join(extra))
        r = CliRunner().invoke(app, ["pairs", "--precedents", str(root / "md"), "--precedents", str(root / "lawgo"),
                                     "--statutes", str(statutes), "--out", str(out), "--json", *extra])
        return r, out

    r, out = run()
    assert r.exit_code == 0, r.output
    stats = json.loads(r.stdout)
    (warning,) = [w for w in stats["warnings"] if "uncertain mojibake repair" in w]
    assert warning.startswith(str(broken)) and "left out of the pairs" in warning and "--accept-uncertain-repairs" in warning
    assert "warning:" in r.stderr and str(broken) in r.stderr
    keys = {k for split in ("train", "dev") for p in read_jsonl(out / f"{split}.jsonl") for k in [p["key"]]}
    assert keys and not any(k.startswith("상법 ") for k in keys)

    accepted, out2 = run("--accept-uncertain-repairs")
    assert accepted.exit_code == 0, accepted.output
    assert not [w for w in json.loads(accepted.stdout)["warnings"] if "uncertain mojibake repair" in w]
    assert any(p["key"].startswith("상법 ") for split in ("train", "dev") for p in read_jsonl(out2 / f"{split}.jsonl"))
    assert json.loads(accepted.stdout)["corpus"]["articles"] > stats["corpus"]["articles"]

    shutil.rmtree(statutes / "legalize-kr" / "민법")  # the uncertain file alone: nothing to build pairs from
    refused = CliRunner().invoke(app, ["pairs", "--precedents", str(root / "md"), "--statutes", str(statutes),
                                       "--out", str(tmp_path / "none")])
    assert isinstance(refused.exception, LegalretError) and "uncertain mojibake repair" in str(refused.exception)
    assert not (tmp_path / "none").exists()
