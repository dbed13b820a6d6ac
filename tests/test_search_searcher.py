"""Searcher: modes, filters, citations first, explain, notices, error paths."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.errors import IndexError_, LegalretError  # noqa: E402
from legalret.index import build_index  # noqa: E402
from legalret.search.searcher import MAX_QUERY_CHARS, Searcher  # noqa: E402


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    d = tmp_path_factory.mktemp("search") / "idx"
    build_index(sup.articles(), d, encoder=sup.tiny_encoder())
    return d


@pytest.fixture(scope="module")
def searcher(index):
    return Searcher(index, encoder=sup.tiny_encoder())


def test_bm25_finds_compounds_across_segmentations(searcher):
    hits = searcher.search("유치권을 행사", k=3, mode="bm25")
    assert hits[0].key == "민법 제320조"
    hits = searcher.search("간접점유", k=3, mode="bm25")
    assert hits[0].key == "민법 제194조"


@pytest.mark.parametrize("mode", ["hybrid", "rrf", "bm25", "dense"])
def test_every_mode_returns_ranked_hits_with_articles(searcher, mode):
    hits = searcher.search("보험계약자의 계약 해지", k=5, mode=mode)
    assert 0 < len(hits) <= 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for h in hits:
        assert h.article.key == h.key and not h.article.deleted
        assert set(h.ranks) <= {"bm25", "dense"}
    if mode == "dense":
        assert len(hits) == 5 and all("dense" in h.ranks for h in hits)


def test_hybrid_combines_both_signals(searcher):
    hits = searcher.search("보험계약자의 계약 해지", k=14, mode="hybrid", explain=True)
    both = [h for h in hits if {"bm25", "dense"} <= set(h.ranks)]
    assert both, "some hit should be seen by both retrievers"
    assert any(r.startswith("bm25: rank") for r in both[0].reasons)
    assert any(r.startswith("dense: rank") for r in both[0].reasons)


def test_exact_citation_ranked_first_in_every_mode(searcher):
    for mode in ("hybrid", "bm25", "dense"):
        hits = searcher.search("상법 651조의2 보험", k=3, mode=mode)
        assert hits[0].key == "상법 제651조의2" and hits[0].ranks == {"citation": 1}
        assert "exact citation" in hits[0].reasons[0]
        assert len({h.key for h in hits}) == len(hits)
    hits = searcher.search("민법 750조 1항", k=2)
    assert hits[0].key == "민법 제750조" and hits.citations[0].paragraph == 1
    assert searcher.search("제750조", k=1, laws=["민법"])[0].key == "민법 제750조"  # law from the filter


def test_invisible_characters_and_invented_paragraphs(searcher):
    """A zero-width space copied from a web page ("민법 제750\u200b조") named no article and gave guesses without a
    word; a paragraph the article lacks (제9항) passed as an exact citation."""
    for query in ("민법 제750\u200b조", "민법\u200b제750조", "\ufeff민법 제750\u00ad조", "민법 제７５０조"):
        res = searcher.search(query, k=1)
        assert res.keys == ["민법 제750조"] and not res.notices, query
    with pytest.raises(LegalretError, match="empty query"):
        searcher.search("\u200b\u200d")
    # a terminal's colour codes and other control characters read as a space: every notice quoting the query echoed them
    res = searcher.search("\x1b[31m민법\x1b[0m\x00제750조\x07", k=1)
    assert res.keys == ["민법 제750조"] and res.query == "민법 제750조" and not res.notices
    res = searcher.search("民法 第七百五十條", k=1)  # Hanja numerals, as older judgments write them
    assert res.keys == ["민법 제750조"] and res.notices == ["Hanja read in Hangul: 民法 → 민법"]
    res = searcher.search("민법 제750조 제9항", k=1)
    assert res.keys == ["민법 제750조"] and res.notices == ["cited article 민법 제750조 has no 제9항"]
    assert "has no 제9항" in res[0].reasons[0]
    assert not searcher.search("민법 제750조 제1항", k=1).notices  # one unnumbered paragraph: its 제1항
    # an invented 호 too (only the 항 had been checked: "민법 제750조 제9호" passed as an exact citation)
    res = searcher.search("민법 제750조 제9호", k=1)
    assert res.keys == ["민법 제750조"] and res.notices == ["cited article 민법 제750조 has no 제9호"]
    assert "has no 제9호" in res[0].reasons[0]
    res = searcher.search("제750조", k=1)  # an article with no law: that notice alone ("only punctuation" was false)
    assert res.keys == [] and res.notices == ["'제750조' names no law; write it as e.g. '민법 제750조'"]
    res = searcher.search("구 민법 제750조", k=1)  # a former text: listed, and said (구 had been dropped silently)
    assert res.keys == ["민법 제750조"] and res.notices == [
        "'구 민법 제750조' cites a former text of 민법 (구): today's 민법 제750조 is listed; its text, and what the number "
        "names, may differ"]
    res = searcher.search("민법 제750조 제1항 및 제9항", k=2)  # the second paragraph is checked too, the article listed once
    assert res.keys[0] == "민법 제750조" and res.keys.count("민법 제750조") == 1
    assert res.notices == ["cited article 민법 제750조 has no 제9항"] and "has no 제9항" in res[0].reasons[0]
    res = searcher.search("상법 651조의2", k=1, laws=["민법"])  # cited outside the law filter: listed, and said
    assert res.keys == ["상법 제651조의2"]
    assert res.notices == ["cited articles of 상법 are listed though the law filter is 민법: the query cites them"]
    decree = next(k for k in searcher.data.by_key if k.startswith("민법 시행령 제"))
    res = searcher.search(decree, k=1, kinds=["법률"])  # … and outside the kind filter (it had been listed silently)
    assert res.keys == [decree]
    assert res.notices == ["cited articles of 민법 시행령 are listed though the kind filter is 법률: the query cites them"]


def test_citation_to_missing_or_deleted_article_says_so(searcher):
    res = searcher.search("민법 제9999조 손해배상", k=3)
    assert any("민법 제9999조" in n and "not in this index" in n for n in res.notices)
    assert all(h.key != "민법 제9999조" for h in res)
    res = searcher.search("민법 제8조", k=3)
    assert res[0].key == "민법 제8조" and res[0].article.deleted
    assert any("deleted" in n for n in res.notices)
    # deleted articles are never returned by the retrievers themselves
    assert all(not h.article.deleted for h in searcher.search("삭제", k=14, mode="bm25", citations=False))


def test_a_cited_range_lists_the_live_articles_between_its_ends(searcher, monkeypatch):
    from legalret.search import results

    res = searcher.search("민법 제192조 내지 제320조", k=10)
    # 제194조 and the branch article 제312조의2 lie between; 제8조 (deleted) does not, and nothing is "missing"
    assert res.keys[:4] == ["민법 제192조", "민법 제194조", "민법 제312조의2", "민법 제320조"]
    assert all(h.ranks.get("citation") for h in res[:4]) and "within the cited range" in res[1].reasons[0]
    assert not res.notices
    assert searcher.search("민법 제750조부터 제751조까지", k=2).keys == ["민법 제750조", "민법 제751조"]
    # fewer hits asked for: the notice says how many are listed — every key between the ends counted, the deleted
    # 제8조 among them, as check_citation counts them (it had said 8 here and 9 there)
    res = searcher.search("민법 제1조 내지 제800조", k=3)
    assert ("the cited range 민법 제1조–제800조 holds 9 articles between its ends, 1 of them deleted (삭제): the first 3 "
            "not deleted are listed") in res.notices
    monkeypatch.setattr(results, "MAX_RANGE", 2)  # a range longer than the limit: its first articles, and a notice
    res = searcher.search("민법 제1조 내지 제800조", k=10)
    assert res.keys[:2] == ["민법 제192조", "민법 제194조"] and "민법 제312조의2" not in res.keys[:3]
    assert any("cited range 민법 제1조–제800조 holds 9 articles between its ends" in n for n in res.notices)


def test_a_range_written_high_end_first_is_read_as_the_range(searcher):
    """"민법 제751조 내지 제194조" listed its two ends alone, without a word (and 제751조 first): it is the range
    제194조–제751조, listed as "민법 제194조 내지 제751조" is, with a notice that it was read so."""
    forward = searcher.search("민법 제194조 내지 제751조", k=10, mode="bm25")
    res = searcher.search("민법 제751조 내지 제194조", k=10, mode="bm25")
    assert res.keys == forward.keys and res.keys[:6] == ["민법 제194조", "민법 제312조의2", "민법 제320조", "민법 제390조",
                                                         "민법 제618조", "민법 제750조"]
    assert res.notices == ["the cited range '민법 제751조 내지 제194조' is written high end first: read as "
                           "민법 제194조–제751조"] and not forward.notices


def test_law_and_kind_filters(searcher):
    hits = searcher.search("손해 배상 계약", k=10, laws="상법")
    assert hits and all(h.article.law == "상법" for h in hits)
    hits = searcher.search("목적 사항", k=10, kinds=["시행령"], mode="dense")
    assert hits and all(h.article.kind == "시행령" for h in hits)
    assert searcher.resolve_laws("민법, 상 법") == ["민법", "상법"]
    # an act and the kind of its decree meet in no article: said, not an empty answer
    with pytest.raises(LegalretError, match=r"^no article of 민법 is of kind 시행령 \(.*filter by the law '민법 시행령'\)$"):
        searcher.search("목적", laws="민법", kinds="시행령")


def test_search_batch_matches_single_searches(searcher):
    queries = ["유치권 점유", "이사의 선임", "임대차 차임"]
    batch = searcher.search_batch(queries, k=4, mode="hybrid")
    for q, res in zip(queries, batch):
        single = searcher.search(q, k=4, mode="hybrid")
        assert res.keys == single.keys
        assert [h.score for h in res] == pytest.approx([h.score for h in single], rel=1e-5)


def test_retriever_protocol(searcher):
    from legalret.search.searcher import Query, Retriever

    retrievers = searcher.retrievers("hybrid")
    assert [r.name for r in retrievers] == ["bm25", "dense"] and all(isinstance(r, Retriever) for r in retrievers)
    q = Query("유치권", searcher.tokenizer.tokenize("유치권"))
    q.vector = searcher.dense.encode([q.text])[0]
    out = searcher.bm25.candidates(q, 2)
    assert out[0][0] == "민법 제320조" and isinstance(out[0][1], float)
    assert len(searcher.dense.candidates(q, 3)) == 3


def test_over_long_query_truncated_with_notice(searcher):
    res = searcher.search("유치권 " * 1200, k=2, mode="bm25")
    assert len(res.query) == MAX_QUERY_CHARS == 4000
    assert "query cut to its first 4,000 of 4,799 characters (the limit everywhere)" in res.notices


def test_a_mojibake_query_is_searched_as_its_repair_with_a_notice(searcher):
    """A question pasted from a mis-decoded page (UTF-8 read as cp1252, lost bytes dropped) is searched as the
    Korean it was, and the notice says what was searched; clean text and accented Latin are left alone."""
    from legalret.ingest.mojibake import corrupt

    clean = searcher.search("유치권을 행사", k=3, mode="bm25")
    broken = corrupt("유치권을 행사")
    assert broken != "유치권을 행사" and "유" not in broken
    res = searcher.search(broken, k=3, mode="bm25")
    assert res.query == "유치권을 행사" and res.keys == clean.keys and res[0].key == "민법 제320조"
    # 을 (EC 9D 84) lost its 0x9D, and 석 (EC 84 9D) fits the bytes left too: a guess, so the notice says it is
    # uncertain (since 2026-12-07 a syllable rebuilt from lost bytes is never a certain repair)
    assert res.notices == ["the query looked like Korean text decoded with the wrong encoding, and its repair rebuilt "
                           "1 character from lost bytes ('을', or '석'); searched for '유치권을 행사' — retype the "
                           "question if that is not it"]
    assert clean.notices == [] and searcher.search("café 유치권", k=1, mode="bm25").query == "café 유치권"
    lossy = "유치권 간접점유".encode("utf-8").decode("cp1252", errors="replace")  # a lost byte shown as U+FFFD
    assert searcher.search(lossy, k=1, mode="bm25").query == "유치권 간접점유"
    pasted = corrupt("유치권을 행사 " * 1000)  # 8,000 characters, 17,000 of mojibake: the repair reads 12,000
    res = searcher.search(pasted, k=1, mode="bm25")
    assert res.query.startswith("유치권을 행사 유치권을") and len(res.query) == MAX_QUERY_CHARS
    assert f"the query was cut to its first 12,000 of {len(pasted):,} characters before its repair" in res.notices


def test_error_paths(searcher, tmp_path):
    with pytest.raises(LegalretError, match="empty query"):
        searcher.search("   \n ")
    with pytest.raises(LegalretError, match="unknown law filter '형법'") as err:
        searcher.search("살인", laws=["형법"])
    assert "did you mean" not in str(err.value)  # another law is not a misspelling of 민법 or 상법
    with pytest.raises(LegalretError, match="did you mean 상법"):
        searcher.search("보험", laws="상볍")
    with pytest.raises(LegalretError, match="unknown kind filter"):
        searcher.search("보험", kinds="조례")
    with pytest.raises(LegalretError, match="unknown search mode"):
        searcher.search("보험", mode="fuzzy")
    with pytest.raises(LegalretError, match="no precedent memory"):
        searcher.search("보험", mode="memory")
    with pytest.raises(IndexError_, match="no index at .*missing: build one"):
        Searcher(tmp_path / "missing")


def test_bm25_only_index_refuses_dense(tmp_path):
    build_index(sup.articles(), tmp_path / "b", model="none")
    s = Searcher(tmp_path / "b")
    assert s.search("유치권", k=1, mode="bm25")[0].key == "민법 제320조"
    with pytest.raises(IndexError_, match="no dense vectors"):
        s.search("유치권", mode="dense")


def test_citation_only_query_loads_no_encoder(index, monkeypatch):
    import legalret.search.searcher as searcher_mod

    def no_encoder(*a, **kw):
        raise AssertionError("the encoder was loaded for a citation-only query")

    monkeypatch.setattr(searcher_mod, "load_query_encoder", no_encoder)  # ONNX export or torch: neither may load
    s = Searcher(index)
    res = s.search("민법 제750조")
    assert res.keys == ["민법 제750조"] and res[0].ranks == {"citation": 1}
    missing = s.search("민법 제9999조")
    assert missing.keys == [] and missing.notices == [
        "cited article 민법 제9999조 is not in this index: 민법 as indexed has no such article (its last is 제751조)"]
    with pytest.raises(AssertionError, match="encoder was loaded"):  # a query with words does need it
        s.search("민법 제750조 불법행위 손해배상")


@pytest.mark.parametrize("query", ["?!…", "😀😀", "~~~ !!! ***", "♥ ♡ ★"])
def test_query_without_searchable_words_returns_no_hits_and_a_notice(searcher, query):
    res = searcher.search(query)
    assert res.keys == [] and any("no searchable words" in n for n in res.notices)


def test_citation_of_a_law_the_index_lacks_gets_a_notice(searcher):
    res = searcher.search("형법 제250조")
    assert any("형법 is not in this index" in n for n in res.notices)
    res = searcher.search("같은 법 제3조")
    assert any("no law is named before it" in n for n in res.notices)
    assert not searcher.search("민법 제750조와 같은 법 제751조").notices


def test_onnx_export_serves_queries_without_torch(tmp_path, monkeypatch):
    """`index build` exports the encoder to ONNX; a searcher then embeds queries with onnxruntime only."""
    import json
    import subprocess

    from legalret import pipeline

    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, encoder=sup.tiny_encoder(), onnx_export=True)
    code = (
        "import sys, json; from legalret.search.searcher import Searcher;"
        f"s = Searcher({str(index)!r}); hits = s.search('유치권 점유', k=3, mode='dense');"
        "print(json.dumps({'keys': hits.keys, 'encoder': type(s.encoder).__name__,"
        "'torch': 'torch' in sys.modules}))"
    )
    env = dict(__import__("os").environ, LEGALRET_HOME=str(tmp_path / "home"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["encoder"] == "OnnxQueryEncoder" and out["torch"] is False
    in_process = Searcher(index, encoder=sup.tiny_encoder()).search("유치권 점유", k=3, mode="dense").keys
    assert out["keys"] == in_process


def test_index_export_writes_the_query_encoder_for_another_home(tmp_path, monkeypatch):
    """An index built under one LEGALRET_HOME, searched under another, has no ONNX export there: `index info`
    says queries go through torch, `index export` writes the export where searches look, and info then names it."""
    import json

    from typer.testing import CliRunner

    from legalret import pipeline
    from legalret.cli import app
    from legalret.models.onnx import CONFIG_NAME, DEFAULT_QUERY_VARIANT, find_export

    runner = CliRunner()
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "built-here"))
    index = tmp_path / "idx"
    encoder = sup.tiny_encoder()
    pipeline.build(sup.articles(), index, encoder=encoder, onnx_export=True)
    assert find_export(encoder.fingerprint) is not None
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "searched-here"))
    assert find_export(encoder.fingerprint) is None
    info = runner.invoke(app, ["index", "info", "--index", str(index)])
    assert info.exit_code == 0 and "queries embedded by torch: no ONNX export under" in info.output.replace("\n", "")
    r = runner.invoke(app, ["index", "export", "--index", str(index)])
    assert r.exit_code == 0, r.output
    export = find_export(encoder.fingerprint)
    assert export is not None and export.is_relative_to(tmp_path / "searched-here")
    assert str(export) in runner.invoke(app, ["index", "info", "--index", str(index)]).output.replace("\n", "")
    assert Searcher(index).search("유치권 점유", k=3, mode="dense").keys == \
        Searcher(index, encoder=encoder).search("유치권 점유", k=3, mode="dense").keys
    config = json.loads((export / CONFIG_NAME).read_text(encoding="utf-8"))
    assert config.get("query_variant", "fp32") == DEFAULT_QUERY_VARIANT  # as a build sets it
    # an export made by hand (or by an older legalret) serving fp32: exporting again keeps its files and sets the
    # variant a build would, without loading the encoder
    (export / CONFIG_NAME).write_text(json.dumps(dict(config, query_variant="fp32")), encoding="utf-8")
    monkeypatch.setattr("legalret.index.encoders.load_index_encoder", lambda *a, **k: pytest.fail("encoder loaded"))
    again = runner.invoke(app, ["index", "export", "--index", str(index)])
    assert again.exit_code == 0 and find_export(encoder.fingerprint) == export
    assert json.loads((export / CONFIG_NAME).read_text(encoding="utf-8")).get("query_variant", "fp32") == DEFAULT_QUERY_VARIANT
    # a damaged export (its model cut off): searches name the way out, and --force writes it again
    monkeypatch.undo()
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "searched-here"))
    for model in export.glob("*.onnx"):
        model.write_bytes(model.read_bytes()[:100])
    with pytest.raises(LegalretError, match="legalret index export --force"):
        Searcher(index).search("유치권 점유", k=3, mode="dense")
    fixed = runner.invoke(app, ["index", "export", "--index", str(index), "--force"])
    assert fixed.exit_code == 0, fixed.output
    assert Searcher(index).search("유치권 점유", k=3, mode="dense").keys == \
        Searcher(index, encoder=encoder).search("유치권 점유", k=3, mode="dense").keys
    bm25_only = tmp_path / "bm25"
    build_index(sup.articles(), bm25_only, model="none")
    r = runner.invoke(app, ["index", "export", "--index", str(bm25_only)])
    assert r.exit_code == 1 and "no dense vectors" in str(r.exception)


def test_a_hit_not_in_force_yet_gets_its_day_and_a_notice(tmp_path):
    """A lawyer must not cite next year's text as today's: a hit whose text a promulgated but not yet effective
    version wrote carries ``takes_effect`` and one notice names it; from that day on, neither."""
    from legalret.articles import Article, Paragraph
    from legalret.search.response import article_json, search_response

    def art(number, text):
        return Article(law="시험고용법", number=number, title="적용", paragraphs=[Paragraph(None, text)], kind="법률",
                       effective_date="2099-01-01", promulgated="2026-03-17")

    build_index([art(1, "보험료는 사업주가 낸다. <개정 2019.1.15>"), art(2, "보험료의 경감은 대통령령으로 정한다. <신설 2026.3.17>")],
                tmp_path / "i", model="none")
    s = Searcher(tmp_path / "i")
    s.as_of = "2026-12-05"
    res = s.search("보험료", k=2, mode="bm25")
    assert {h.key: h.takes_effect for h in res} == {"시험고용법 제1조": None, "시험고용법 제2조": "2099-01-01"}
    assert [n for n in res.notices if n.startswith("not yet in force")] == [
        "not yet in force: 시험고용법 제2조 (from 2099-01-01) — the text shown takes effect then; the text in force "
        "today may differ (law.go.kr shows it)"]
    body = search_response(res, mode="bm25")
    assert {h["key"]: h.get("takes_effect") for h in body["hits"]} == {h.key: h.takes_effect for h in res}
    assert article_json(s.article("시험고용법 제2조"), s.in_force_on())["takes_effect"] == "2099-01-01"
    s.as_of = "2099-01-01"
    res = s.search("보험료", k=2, mode="bm25")
    assert all(h.takes_effect is None for h in res) and not any(n.startswith("not yet") for n in res.notices)
    # the same day: in force (null, always there as in a hit: a typed client had to guess what a missing key meant)
    assert article_json(s.article("시험고용법 제2조"), s.in_force_on())["takes_effect"] is None


def test_index_info_names_the_laws_with_a_version_not_in_force_yet(tmp_path):
    from typer.testing import CliRunner

    from legalret.articles import Article, Paragraph
    from legalret.cli import app

    later = Article(law="시험고용법", number=1, paragraphs=[Paragraph(None, "보험료. <신설 2026.3.17>")],
                    effective_date="2099-01-01", promulgated="2026-03-17")
    now = Article(law="시험법", number=1, paragraphs=[Paragraph(None, "목적.")], effective_date="2020-01-01")
    build_index([later, now], tmp_path / "i", model="none")
    r = CliRunner().invoke(app, ["index", "info", "--index", str(tmp_path / "i")],
                           env={"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert ("not in force yet: the version of 1 law held here takes effect later — 시험고용법 (from 2099-01-01); a "
            "search names the articles that version wrote") in r.output


def test_an_index_whose_memory_holds_no_decision_searches_without_it(tmp_path):
    """`pipeline.build(..., precedents=[])` (a folder of no decision, or decisions citing none of these articles)
    wrote an index every search of which failed, bm25 too (AttributeError on the empty memory's vocabulary)."""
    from legalret import pipeline

    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none", precedents=[])
    s = Searcher(index)
    assert "memory" not in s.opened
    assert [h.key for h in s.search("임대차", mode="bm25", k=2)] == [h.key for h in s.search("임대차", k=2)]
    with pytest.raises(IndexError_, match="holds no decision"):
        Searcher(index, memory=True)


def test_a_required_retriever_the_index_lacks_is_an_error(tmp_path):
    """True means required: dense=True on a BM25-only index had searched BM25 alone, without a word; ranker='none'
    (as LEGALRET_RANKER=none) was 'ranker file not found'; verify='bogus' quietly ran the 'size' check."""
    index = tmp_path / "idx"
    build_index(sup.articles(), index, model="none")
    with pytest.raises(IndexError_, match="this index has no dense vectors"):
        Searcher(index, dense=True)
    assert Searcher(index, ranker="none").ranker is None
    with pytest.raises(ValueError, match="verify must be one of stamp, full, size, none"):
        Searcher(index, verify="bogus")


def test_k_and_queries_of_the_wrong_type_are_one_line_errors(searcher):
    """k='5', None or 5.5 were raw TypeErrors and True was taken as 1; search_batch('유치권') searched each
    character as a query of its own."""
    for k in ("5", None, 5.5, True):  # (the message every interface gives: legalret.config.k_error)
        with pytest.raises(LegalretError, match=r"^k must be a whole number from 1 to 100, not "):
            searcher.search("유치권", k=k)
    with pytest.raises(LegalretError, match=r"^k must be between 1 and 100 \(got 0\)$"):
        searcher.search("유치권", k=0)
    with pytest.raises(LegalretError, match="k must be a whole number, at least 1"):  # (search_batch: no upper limit)
        searcher.search_batch(["유치권"], k=0)
    import numpy as np

    assert len(searcher.search("유치권", k=np.int64(2))) == 2  # a numpy integer is a whole number
    with pytest.raises(TypeError, match="search_batch takes a list of queries"):
        searcher.search_batch("유치권")
    for before in ("yesterday", "2019. 8. 15."):  # raw ValueErrors, one naming the input cut to 10 characters
        with pytest.raises(LegalretError, match=f"before: not a YYYY-MM-DD date: '{before}'"):
            searcher.search("유치권", before=before)


def test_a_law_filter_in_hanja_is_read_in_hangul(searcher):
    """`--law 民法` (the API's law=民法, MCP's law) was "unknown law filter '民法'" while a query's 民法 第750條 is
    read: the filter reads its Hanja the same way (legalret.hanja), and an unknown one names its reading."""
    assert searcher.resolve_laws("民法, 商法") == ["민법", "상법"] and searcher.resolve_laws(["商法"]) == ["상법"]
    hangul = searcher.search("손해 배상", k=5, mode="bm25", laws="민법")
    assert searcher.search("손해 배상", k=5, mode="bm25", laws="民法").keys == hangul.keys
    with pytest.raises(LegalretError, match=r"^unknown law filter '刑法' \(형법\): not in this index"):
        searcher.search("살인", laws="刑法")
    with pytest.raises(LegalretError, match="unknown law filter '憲法': the Constitution"):
        searcher.search("기본권", laws="憲法")
    # a law this index lacks, written right: not "did you mean 근로기준법?" for the name just typed
    for name in ("근로기준법", "勤勞基準法"):
        with pytest.raises(LegalretError, match=r"\(근로기준법 is a law, but not one this index holds") as err:
            searcher.search("해고", laws=name)
        assert "did you mean" not in str(err.value)
        # (what to do about it, to this index: not the default one)
        assert str(err.value).endswith(f"add it with `legalret index add labor --index {searcher.index_dir}`)")


def test_a_mistyped_law_filter_the_index_lacks_gets_a_suggestion(searcher):
    """`--law 근로기준볍` on an index without 근로기준법 said only "not in this index" (a citation 근로기준볍 제23조 suggests
    it): the filter names the law it may mean, and that it is not here either."""
    with pytest.raises(LegalretError, match=r"did you mean 근로기준법\? it is not in this index either"):
        searcher.search("해고", laws="근로기준볍")
    with pytest.raises(LegalretError, match=r"did you mean 민법\?\)"):
        searcher.search("해고", laws="민볍")
