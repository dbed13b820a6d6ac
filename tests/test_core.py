"""Core contracts: article keys, law-name resolution, text normalization, Article round trips."""

from __future__ import annotations

import os
import unicodedata
from datetime import date

import pytest

from legalret.articles import Article, Item, Paragraph, SubItem, read_articles, write_articles
from legalret.atomic import atomic_path
from legalret.config import split_of
from legalret.errors import SourceError
from legalret.keys import ArticleRef, LawNames, format_key, parse_key
from legalret.text import circled_to_int, compact, index_text, normalize, strip_notes


@pytest.mark.parametrize(
    "key, ref",
    [
        ("민법 제194조", ArticleRef("민법", 194, 0)),
        ("상법 제651조의2", ArticleRef("상법", 651, 2)),
        ("채무자 회생 및 파산에 관한 법률 제566조", ArticleRef("채무자 회생 및 파산에 관한 법률", 566, 0)),
    ],
)
def test_key_round_trip(key, ref):
    assert parse_key(key) == ref
    assert ref.key == key
    assert format_key(ref.law, ref.number, ref.branch) == key


@pytest.mark.parametrize("bad", ["민법 194조", "제194조", "민법 제194조 제1항", "", "민법 제750조의0"])  # 의0: was read as 제750조
def test_parse_key_rejects_non_keys(bad):
    with pytest.raises(ValueError, match="not an article key"):
        parse_key(bad)


def test_law_names_resolve_spacing_dots_and_former_prefix():
    names = LawNames(["채무자 회생 및 파산에 관한 법률", "민법", "5·18민주화운동 등에 관한 특별법"], aliases={"채무자회생법": "채무자 회생 및 파산에 관한 법률"})
    assert names.resolve("채무자회생및파산에관한법률") == "채무자 회생 및 파산에 관한 법률"
    assert names.resolve("채무자회생법") == "채무자 회생 및 파산에 관한 법률"
    assert names.resolve("5ㆍ18민주화운동등에관한특별법") == "5·18민주화운동 등에 관한 특별법"
    assert names.resolve("구 민법") == "민법"
    assert names.resolve("형법") is None
    assert len(names) == 3


def test_normalize_and_notes():
    assert normalize("권리의  행사ㆍ의무의\u3000이행\n") == "권리의 행사·의무의 이행"
    assert normalize("\u1100\u1161") == "가"  # NFC composes conjoining jamo
    assert normalize(unicodedata.normalize("NFD", "민법 제194조")) == "민법 제194조"
    assert normalize("원\u30fb피고 원\uff65피고 원·피고") == "원·피고 원·피고 원·피고"
    assert normalize(" a\n\tb ") == "a b" and normalize("") == ""
    assert strip_notes("해지할 수 있다. <개정 1991.12.31>") == "해지할 수 있다."
    assert strip_notes("[본조신설 2011.3.7] 특정후견") == "특정후견"
    assert index_text("① 보험자는  해지할 수 있다. <신설 2015.2.3>") == "① 보험자는 해지할 수 있다."
    assert circled_to_int("⑫") == 12 and circled_to_int("1") is None
    assert compact("채무자 회생 및 파산에 관한 법률") == "채무자회생및파산에관한법률"


def _article() -> Article:
    return Article(
        law="민법",
        law_id="001706",
        kind="법률",
        number=312,
        branch=2,
        title="전세금 증감청구권",
        paragraphs=[
            Paragraph(1, "전세금이 상당하지 아니하게 된 때에는 증감을 청구할 수 있다. <개정 1984.4.10>"),
            Paragraph(2, "다음 각 호의 경우", [Item("1", "첫째", [SubItem("가", "세목")]), Item("2의2", "둘째")]),
        ],
        chapter=["제2편 물권", "제6장 전세권"],
        effective_date="2026-03-17",
        source="legalize-kr.zip!legalize-kr/민법/법률.md",
        line=1762,
    )


def test_article_identity_and_text_views():
    art = _article()
    assert art.key == "민법 제312조의2"
    assert art.heading == "민법 제312조의2 (전세금 증감청구권)"
    assert art.label == "제312조의2"
    body = art.body_text()
    assert body.splitlines()[0].startswith("① 전세금이") and "<개정 1984.4.10>" in body
    assert "2의2. 둘째" in body and "가. 세목" in body
    idx = art.index_text()
    assert idx.startswith("전세금 증감청구권 ① 전세금이") and "개정" not in idx


def test_article_jsonl_round_trip(tmp_path):
    arts = [_article(), Article(law="상법", number=651, deleted=True)]
    path = tmp_path / "sub" / "articles.jsonl"
    assert write_articles(path, arts) == 2
    back = list(read_articles(path))
    assert back == arts
    assert not list(tmp_path.glob("sub/.*tmp"))  # atomic write left no temp file


def test_read_articles_names_the_bad_line(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"law": "민법", "number": 1}\n{broken\n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"a.jsonl:2: not an article record"):
        list(read_articles(path))


def test_split_by_decision_date():
    assert split_of(date(2019, 12, 31)) == "train"
    assert split_of(date(2020, 1, 1)) == "dev"
    assert split_of(date(2022, 12, 31)) == "dev"
    assert split_of(date(2023, 1, 1)) == "test"


def test_atomic_path_replaces_on_success_and_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "deep" / "out.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("new", encoding="utf-8")
        assert not target.exists()  # readers never see a half-written file
    assert target.read_text(encoding="utf-8") == "new"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("killed mid-write")
    assert target.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_read_articles_names_the_bad_field(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"law": "민법", "number": 1}\n{"law": "민법", "number": 2, "paragraphs": [{"number": "①"}]}\n',
                    encoding="utf-8")
    with pytest.raises(SourceError) as e:
        list(read_articles(path))
    assert str(e.value) == f"{path}:2: paragraphs[0].number: expected a positive integer, got '①'"
    assert (e.value.line, e.value.field) == (2, "paragraphs[0].number")


def test_amendment_dates_and_takes_effect():
    from legalret.articles import Article, ArticleFieldError, Paragraph
    from legalret.text import amendment_dates

    assert amendment_dates("적용한다. <개정 2008.3.21, 2026.3.17>\n② 삭제 <2011. 7. 25>\n[본조신설 2019.1.15]") == {
        "2008-03-21", "2026-03-17", "2011-07-25", "2019-01-15"}
    assert amendment_dates("「민법」 제3조 <제21472호,2026.3.17>") == set()  # a 부칙's number is no amendment note
    pending = Article(law="시험법", number=2, paragraphs=[Paragraph(1, "적용한다. <신설 2026.3.17>")],
                      effective_date="2028-01-01", promulgated="2026-03-17")
    unchanged = Article(law="시험법", number=1, paragraphs=[Paragraph(None, "목적. <개정 2019.1.15>")],
                        effective_date="2028-01-01", promulgated="2026-03-17")
    unknown = Article(law="시험법", number=3, paragraphs=[Paragraph(None, "…")], effective_date="2028-01-01")
    assert [a.takes_effect("2026-12-05") for a in (pending, unchanged, unknown)] == ["2028-01-01", None, "2028-01-01"]
    assert Article.from_dict(pending.to_dict()).promulgated == "2026-03-17"
    with pytest.raises(ArticleFieldError, match="promulgated: expected a date"):
        Article.from_dict({**pending.to_dict(), "promulgated": "2026.3.17"})
