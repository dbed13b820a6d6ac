"""An article's title is tokenized apart from its body (``TokenizerSettings.title_apart``).

Joined as the index text joins them ("사기 ① 사람을 기망하여 …"), Kiwi read the title 사기 with the body as a verb stem
and an ending (사/VV + 기/ETN): 형법 제347조 (사기) had no token 사기, and on a BM25-only index ``legalret search 사기``
found nothing (a new user's report, 2026-12-06). New indexes read the title on its own; an index built before keeps the
joined text (its manifest lacks the field), so that its articles and those an ``index add`` brings agree.
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from legalret import pipeline
from legalret.articles import Article, Paragraph
from legalret.cli import app
from legalret.index.build import article_token_lists
from legalret.index.store import read_manifest
from legalret.index.tokenize import KiwiTokenizer, TokenizerSettings
from legalret.search.searcher import Searcher

FRAUD = Article(law="형법", number=347, title="사기", kind="법률", paragraphs=[
    Paragraph(1, "사람을 기망하여 재물의 교부를 받거나 재산상의 이익을 취득한 자는 10년 이하의 징역 또는 2천만원 이하의 벌금에 처한다."),
    Paragraph(2, "전항의 방법으로 제삼자로 하여금 재물의 교부를 받게 하거나 재산상의 이익을 취득하게 한 때에도 전항의 형과 같다.")])
THEFT = Article(law="형법", number=329, title="절도", kind="법률", paragraphs=[
    Paragraph(None, "타인의 재물을 절취한 자는 6년 이하의 징역 또는 1천만원 이하의 벌금에 처한다.")])
UNTITLED = Article(law="형법", number=1, kind="법률", paragraphs=[Paragraph(1, "범죄의 성립과 처벌은 행위 시의 법률에 따른다.")])
ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}


def test_the_title_is_read_on_its_own():
    settings = TokenizerSettings()
    tok = KiwiTokenizer(settings)
    fraud, untitled = article_token_lists(tok, [FRAUD, UNTITLED], settings)
    assert fraud[0] == "사기" and "기망" in fraud
    assert untitled == tok.tokenize(UNTITLED.index_text())  # (no title: the body alone, as before)
    joined = TokenizerSettings.from_dict({**settings.to_dict(), "title_apart": False})
    assert "사기" not in article_token_lists(tok, [FRAUD], joined)[0]  # what Kiwi made of the joined text


def test_a_bm25_only_index_finds_an_article_by_its_title(tmp_path):
    index = tmp_path / "idx"
    pipeline.build([FRAUD, THEFT, UNTITLED], index, model="none")
    assert read_manifest(index)["tokenizer"]["title_apart"] is True
    assert Searcher(index).search("사기", k=3).keys[:1] == ["형법 제347조"]
    r = CliRunner().invoke(app, ["search", "사기", "--index", str(index), "--json"], env=ENV)
    assert r.exit_code == 0 and json.loads(r.stdout.splitlines()[0])["key"] == "형법 제347조"


def test_an_index_built_before_keeps_the_joined_text(tmp_path):
    """A manifest without the field reads as the joined text (how it was built), and an add tokenizes alike."""
    index = tmp_path / "idx"
    joined = TokenizerSettings.from_dict({k: v for k, v in TokenizerSettings().to_dict().items() if k != "title_apart"})
    assert joined.title_apart is False
    pipeline.build([THEFT, UNTITLED], index, model="none", tokenizer=joined)
    assert read_manifest(index)["tokenizer"]["title_apart"] is False
    pipeline.add([FRAUD], index, remove_missing=False)
    assert read_manifest(index)["tokenizer"]["title_apart"] is False  # the index keeps its own
    assert "형법 제347조" not in Searcher(index).search("사기", k=3).keys  # (as such an index has always answered)


def test_the_setting_leaves_the_token_cache_valid():
    """It chooses which texts the tokenizer reads (a title, a body), not their tokens: the cache of earlier builds —
    the holdings' 33k texts, most of a main-job build's Kiwi time — stays valid (it had been missed once)."""
    from legalret.index.token_cache import tokenizer_fingerprint

    settings = TokenizerSettings().to_dict()
    assert tokenizer_fingerprint(settings) == tokenizer_fingerprint({**settings, "title_apart": False})
