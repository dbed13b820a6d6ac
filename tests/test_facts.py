"""The facts memory: reading facts JSONL (bad lines warned, never fatal), the join with decisions, the
``facts/`` generation part built and added by the pipeline, the ``facts`` retriever in the Searcher (leakage
guard, explain), and re-ranker files trained before the facts features."""

from __future__ import annotations

import json
import sys
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret import pipeline  # noqa: E402
from legalret.errors import LegalretError  # noqa: E402
from legalret.index.store import current_generation, load_index, read_manifest  # noqa: E402
from legalret.memory.facts import FACTS_PART, build_facts_memory  # noqa: E402
from legalret.precedents.facts import JoinReport, join, read_facts  # noqa: E402
from legalret.search.ranker import (  # noqa: E402
    FEATURE_GROUPS,
    LAW_FEATURES,
    FEATURES,
    MATCH,
    PRIOR,
    SECOND_FEATURES,
    THIRD_FEATURES,
    Ranker,
    candidate_features,
)
from legalret.search.searcher import Searcher  # noqa: E402

FACTS = Path(__file__).parent / "fixtures" / "facts" / "facts.jsonl"
PRECEDENTS = sup.PRECEDENTS
# told the way people tell it: words of the facts (수리, 자동차, 정비공장), none of the holding's (유치권, 점유)
SCENARIO = "갑은 을의 자동차를 수리했는데 을이 수리비를 주지 않아 자동차를 정비공장에 세워 두고 있다. 갑은 돌려주지 않아도 되는가?"


def _warnings() -> tuple[list, callable]:
    seen: list = []
    return seen, seen.append


def test_read_facts_skips_bad_lines_with_one_line_warnings(tmp_path):
    seen, on_error = _warnings()
    records = list(read_facts(FACTS, on_error=on_error))
    assert [r.case_no for r in records] == ["2019다1001", "2018다2002", "2017다3003", "2016다4004"]
    assert records[0].serial == "9001" and records[0].decided == date(2019, 3, 1) and "월세" in records[0].text
    assert [str(e) for e in seen][0].startswith(f"{FACTS}:5: invalid JSON")
    assert f"{FACTS}:6: 선고일자: not a date" in str(seen[1])
    assert f"{FACTS}:7: 이유: missing or empty" in str(seen[2])
    assert all("\n" not in str(e) for e in seen)
    # a zip of JSONL and a folder holding it read the same
    z = tmp_path / "d" / "facts.zip"
    z.parent.mkdir()
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(FACTS, "precedent-facts.jsonl")
    for src in (z, z.parent):
        assert [r.case_no for r in read_facts(src, on_error=lambda e: None)] == [r.case_no for r in records]
    with pytest.raises(LegalretError, match="no such file"):
        list(read_facts(tmp_path / "missing.jsonl"))


def test_join_by_serial_then_case_number():
    recs = list(read_facts(FACTS, on_error=lambda e: None))
    decisions = [{"serial": "9001", "case_no": "다른번호", "holdings": [{"keys": ["민법 제618조"]}, {"keys": ["민법 제390조", "민법 제618조"]}]},
                 {"case_no": "2018다2002", "holdings": [{"keys": ["민법 제320조"]}]}]
    # 9001 is 2019다1001 in the facts but 다른번호 among the decisions: which decision the facts tell is unclear, so
    # they are skipped and counted (stored under 2019다1001 they had replaced that decision's facts with 다른번호's keys)
    report = JoinReport()
    joined = {d.facts.case_no: d.keys for d in join(recs, decisions, report)}
    assert joined == {"2018다2002": ["민법 제320조"]}
    assert len(report.conflicts) == 1 and "판례일련번호 9001 is 다른번호" in str(report.conflicts[0])
    assert f"{FACTS}:1" in str(report.conflicts[0]) and "\n" not in str(report.conflicts[0])
    assert report.unjoined == len(recs) - 2
    # the same decision written otherwise (merged cases, spacing) joins by its serial
    decisions[0]["case_no"] = "2019다 1001(본소), 1002(반소)"
    joined = {d.facts.case_no: d.keys for d in join(recs, decisions)}
    assert joined == {"2019다1001": ["민법 제618조", "민법 제390조"], "2018다2002": ["민법 제320조"]}


def test_facts_memory_drops_citations_made_before_todays_numbering():
    recs = list(read_facts(FACTS, on_error=lambda e: None))
    old = [{"case_no": "2019다1001", "holdings": [{"keys": ["민법 제618조", "상법 제651조"]}]}]
    recs[0].decided = date(1961, 5, 1)  # 민법 numbering since 1960, 상법 since 1963
    memory = build_facts_memory(recs[:1], old)
    assert [it.keys for it in memory.items] == [["민법 제618조"]]


def _build(index: Path, **kw):
    return pipeline.build(sup.articles(), index, model="none", precedents=PRECEDENTS, **kw)


def build_with_memories(index: Path):
    """The fixture articles with a holdings memory and a facts memory, so hits carry precedents (the interfaces'
    tests: MCP, LangChain, the API, the page)."""
    return _build(index, facts=read_facts(FACTS, on_error=lambda e: None))


def test_build_with_facts_writes_the_part_and_the_facts_move_the_ranking(tmp_path):
    index = tmp_path / "idx"
    report = _build(index, facts=read_facts(FACTS, on_error=lambda e: None))
    manifest = read_manifest(index)
    assert manifest["parts"] == ["facts", "memory"] and report.memory["facts_items"] == 3
    assert manifest["facts"]["kind"] == "facts" and manifest["facts"]["items"] == 3
    assert any(f.startswith("facts/") for f in load_index(index, verify="full").manifest["files"])
    with_facts, without = Searcher(index), Searcher(index, facts=False)
    assert with_facts.facts is not None and without.facts is None
    # the facts retriever alone finds the 유치권 decision from a story that shares no word with its holding
    assert {k for k, _ in with_facts.facts.search(SCENARIO, k=2)} == {"민법 제320조", "민법 제192조"}
    assert "민법 제320조" not in [k for k, _ in with_facts.memory.search(SCENARIO, k=3)]
    got, base = with_facts.search(SCENARIO, k=5, mode="convex"), without.search(SCENARIO, k=5, mode="convex")
    assert "facts" in got[0].ranks or any("facts" in h.ranks for h in got)
    assert got.keys.index("민법 제320조") < (base.keys.index("민법 제320조") if "민법 제320조" in base.keys else 99)
    hit = got[got.keys.index("민법 제320조")]
    assert hit.votes["facts"][1] == 1  # one supporting decision
    explained = with_facts.search(SCENARIO, k=5, mode="convex", explain=True)
    assert any(r.startswith("facts: 판례 2018다2002") for h in explained for r in h.reasons)
    assert any("facts weight" in r for r in explained[0].reasons)


def test_reading_ahead_builds_the_same_memories_and_hands_on_its_errors(tmp_path, monkeypatch):
    """The decisions and facts are read in a second process while the articles are encoded (MemoryBuild.prepare):
    the memory and facts files are byte for byte those of reading them afterwards; when the reading fails there,
    the build reads again itself, so what the inputs raise is raised by the build, which then writes nothing."""
    import os

    if sys.platform != "linux" or (os.cpu_count() or 1) < 2:
        pytest.skip("the read-ahead runs on Linux with two cores or more")
    digests, readers = {}, tmp_path / "readers.txt"

    def facts_read_by():  # notes which process reads the facts
        for record in read_facts(FACTS, on_error=lambda e: None):
            with readers.open("a") as f:
                f.write(f"{os.getpid()}\n")
            yield record

    for setting in ("off", "on"):
        monkeypatch.setenv("LEGALRET_READ_AHEAD", setting)
        index = tmp_path / setting
        _build(index, facts=facts_read_by())
        gen = current_generation(index)
        digests[setting] = {str(f.relative_to(gen)): f.read_bytes() for part in ("memory", "facts")
                            for f in sorted((gen / part).rglob("*")) if f.is_file()}
        pids = set(readers.read_text().split())
        readers.unlink()
        assert (pids == {str(os.getpid())}) == (setting == "off")
    assert len(digests["on"]) > 10 and digests["on"] == digests["off"]

    def broken():
        yield from PRECEDENTS
        raise OSError("precedent-kr.zip: read error")

    with pytest.raises(OSError, match="read error"):
        pipeline.build(sup.articles(), tmp_path / "broken", model="none", precedents=broken())
    assert not (tmp_path / "broken" / "CURRENT").exists()


class _WaitsForTheChild:
    """An encoder that holds the build's encoding until the read-ahead process has put a chunk of tokens in
    ``cache`` (as the main job's 2,263 articles take about as long as reading the decisions does)."""

    def __init__(self, inner, cache: Path):
        self.inner, self.cache = inner, cache

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode_passages(self, texts, batch_size=32, show_progress=False):
        import os
        import time

        parent, until = os.getpid(), time.monotonic() + 60
        while time.monotonic() < until and not [c for c in self.cache.rglob("chunk-*.npz")
                                                if not c.name.startswith(f"chunk-{parent}-")]:
            time.sleep(0.05)
        return self.inner.encode_passages(texts, batch_size=batch_size)


def test_tokenizing_ahead_hands_the_holdings_tokens_over_through_the_cache(tmp_path, monkeypatch):
    """With a token cache, the read-ahead process goes on to run Kiwi over the holdings while the articles are
    encoded — its own Kiwi: this process loaded one before the fork, whose worker threads are not in the child —;
    the build's memory stage reads their tokens from the cache and analyses none of them itself, and the memory
    files are byte for byte those of a build that only reads ahead (which analyses them all)."""
    import os

    import legalret.memory.update as update
    from legalret.index import tokenize
    from legalret.memory.builder import memory_texts
    from legalret.memory.store import PrecedentMemory

    if not update.read_ahead_enabled():
        pytest.skip("the read-ahead runs on Linux with two cores or more")
    parent, analysed = os.getpid(), []
    real = tokenize.KiwiTokenizer._analyse

    def noted(self, texts):
        if os.getpid() == parent:
            analysed.extend(texts)
        return real(self, texts)

    monkeypatch.setattr(tokenize.KiwiTokenizer, "_analyse", noted)
    tokenize.KiwiTokenizer(cache=False).tokenize_many(["유치권의 성립", "임대차 보증금"])  # Kiwi loaded before the fork
    files, holdings = {}, {}
    for mode in ("read", "on"):
        cache = tmp_path / f"tokens-{mode}"
        monkeypatch.setenv("LEGALRET_READ_AHEAD", mode)
        monkeypatch.setenv("LEGALRET_TOKEN_CACHE", str(cache))
        analysed.clear()
        # (only "on" has a child that writes tokens: waiting for one in "read" sat out the whole 60 s for nothing)
        encoder = _WaitsForTheChild(sup.tiny_encoder(), cache) if mode == "on" else sup.tiny_encoder()
        pipeline.build(sup.articles(), tmp_path / mode, encoder=encoder, precedents=PRECEDENTS)
        gen = current_generation(tmp_path / mode)
        files[mode] = {str(f.relative_to(gen)): f.read_bytes() for f in sorted((gen / "memory").rglob("*")) if f.is_file()}
        texts = memory_texts(PrecedentMemory.load(gen / "memory").items)
        holdings[mode] = (len(texts), len(set(texts) & set(analysed)))
        children = [c for c in cache.rglob("chunk-*.npz") if not c.name.startswith(f"chunk-{parent}-")]
        assert bool(children) == (mode == "on")
    assert holdings["read"] == (3, 3) and holdings["on"] == (3, 0)
    assert files["on"] and files["on"] == files["read"]


def test_the_read_ahead_works_ahead_before_its_result_is_taken(tmp_path):
    """The child's work after reading (``then``) runs while the build is still encoding: the result — megabytes,
    more than a pipe holds — is sent only once the build asks for it. (Sent first, the child waited on the pipe until
    the build's memory stage, which told it to stop: no holding was ever tokenized ahead in a real build.)"""
    import time

    import legalret.memory.update as update

    if not update.read_ahead_enabled():
        pytest.skip("the read-ahead runs on Linux with two cores or more")
    big, began = "가" * 2_000_000, tmp_path / "began"

    def then(out, stop, done):
        began.write_text("yes")
        done(len(out[0]))
        while not stop():
            time.sleep(0.01)

    ahead = update._ReadAhead(lambda catalog, count: (big,), None, then)
    deadline = time.monotonic() + 60
    while not began.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert began.exists() and ahead.busy()  # working ahead, its result not taken yet
    assert ahead.result() == (big,) and ahead.tokenized == len(big) and not ahead.busy()


def test_a_read_ahead_with_nothing_left_to_do_leaves_the_encoder_both_cores(tmp_path):
    """Its work done (every holding tokenized), the child only waits to send its result until the build's memory
    stage asks for it: it is not busy, so the encoder goes back to all its threads. (``busy()`` had stayed true
    until the memory stage: an all-law build encoded its last ~100k articles on one thread, one core idle.)"""
    import time

    import legalret.memory.update as update

    if not update.read_ahead_enabled():
        pytest.skip("the read-ahead runs on Linux with two cores or more")
    big, finished = "가" * 2_000_000, tmp_path / "finished"

    def then(out, stop, done):
        done(len(out[0]))
        finished.write_text("yes")  # and returns: nothing left to do ahead

    ahead = update._ReadAhead(lambda catalog, count: (big,), None, then)
    deadline = time.monotonic() + 60
    while (not finished.exists() or ahead.busy()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert finished.exists() and not ahead.busy()
    assert ahead._process.is_alive()  # still there: its result (more than a pipe holds) waits to be taken
    assert ahead.result() == (big,) and ahead.tokenized == len(big)


def test_a_stalled_read_ahead_is_killed_and_the_build_reads_itself(tmp_path, monkeypatch):
    """A read-ahead process that stops reading (here: its inputs hang, in the child only) is killed after
    ``STALLED_S`` without progress, and the build reads the inputs itself: the same memory as without it."""
    import os

    import legalret.memory.update as update

    if not update.read_ahead_enabled():
        pytest.skip("the read-ahead runs on Linux with two cores or more")
    monkeypatch.setattr(update, "STALLED_S", 1.0)
    parent = os.getpid()

    def hangs_in_the_child():
        for i, precedent in enumerate(PRECEDENTS):
            if i == 1 and os.getpid() != parent:
                import time

                time.sleep(3600)
            yield precedent

    pipeline.build(sup.articles(), tmp_path / "stalled", model="none", precedents=hangs_in_the_child())
    monkeypatch.setenv("LEGALRET_READ_AHEAD", "off")
    pipeline.build(sup.articles(), tmp_path / "plain", model="none", precedents=iter(PRECEDENTS))
    files = {}
    for name in ("stalled", "plain"):
        gen = current_generation(tmp_path / name)
        files[name] = {str(f.relative_to(gen)): f.read_bytes() for f in sorted((gen / "memory").rglob("*")) if f.is_file()}
    assert files["stalled"] and files["stalled"] == files["plain"]


def test_the_facts_retriever_honours_before_and_exclude(tmp_path):
    index = tmp_path / "idx"
    _build(index, facts=read_facts(FACTS, on_error=lambda e: None))
    s = Searcher(index)
    facts_keys = lambda **kw: s.search(SCENARIO, k=10, mode="convex", **kw)[0].ranks  # noqa: E731
    assert "facts" in facts_keys()
    for kw in ({"before": "2018-05-02"}, {"exclude": "2018다2002"}):
        res = s.search(SCENARIO, k=10, mode="convex", **kw)
        assert all("민법 제320조" != h.key or "facts" not in h.ranks for h in res), kw
        assert s.facts.search(SCENARIO, k=10, **kw) == [] or "민법 제320조" not in dict(s.facts.search(SCENARIO, k=10, **kw))


def test_build_without_facts_is_unchanged_and_facts_need_precedents(tmp_path):
    index = tmp_path / "idx"
    _build(index)
    assert read_manifest(index)["parts"] == ["memory"]
    s = Searcher(index)
    assert s.facts is None and [r.name for r in s.retrievers("convex")] == ["bm25", "memory"]
    with pytest.raises(LegalretError, match="--facts needs --precedents"):
        pipeline.build(sup.articles(), tmp_path / "other", model="none", facts=read_facts(FACTS, on_error=lambda e: None))


def test_index_add_facts_round_trip(tmp_path):
    index = tmp_path / "idx"
    _build(index)  # no facts yet
    first = [r for r in read_facts(FACTS, on_error=lambda e: None) if r.case_no != "2018다2002"]
    report = pipeline.add([], index, facts=iter(first))
    assert report.wrote and report.memory["facts_items"] == 2 and read_manifest(index)["facts"]["items"] == 2
    # later: the 유치권 decision's facts; an unchanged holdings memory is carried over as it was
    report = pipeline.add([], index, facts=read_facts(FACTS, on_error=lambda e: None))
    assert report.memory["facts_items"] == 3
    s = Searcher(index)
    assert {k for k, _ in s.facts.search(SCENARIO, k=2)} == {"민법 제320조", "민법 제192조"}
    # a new decision with its facts in one add
    new = {"case_no": "2016다4004", "decided": date(2016, 2, 2), "source": "fixture",
           "holdings": [{"index": 1, "text": "이사의 선임 결의", "keys": ["상법 제382조"]}]}
    report = pipeline.add([], index, precedents=[new], facts=read_facts(FACTS, on_error=lambda e: None))
    assert report.memory["facts_items"] == 4 and report.memory["items"] == 4
    # a statute update removing an article: the facts part is re-resolved like the memory
    civil = [a for a in sup.articles() if a.law == "민법" and a.key != "민법 제320조"]
    pipeline.add(civil, index, allow_removals=True)
    s = Searcher(index)
    assert "민법 제320조" not in [k for k, _ in s.facts.search(SCENARIO, k=10)]
    assert (current_generation(index) / FACTS_PART / "meta.json").is_file()
    # add --facts on an index without a memory is one clear error
    bare = tmp_path / "bare"
    pipeline.build(sup.articles(), bare, model="none")
    with pytest.raises(LegalretError, match="--facts needs a precedent memory"):
        pipeline.add([], bare, facts=read_facts(FACTS, on_error=lambda e: None))


class _Hit:
    def __init__(self, key, ranks, scores, votes=None):
        self.key, self.ranks, self.scores, self.score, self.votes = key, ranks, scores, 1.0, votes or {}


def test_facts_features_and_rankers_trained_before_them():
    hits = [_Hit("a", {"bm25": 1, "facts": 2}, {"bm25": 3.0, "facts": 0.5}, {"facts": (0.4, 3)}),
            _Hit("b", {"bm25": 2, "facts": 1}, {"bm25": 2.0, "facts": 0.9}, {"facts": (0.6, 9)})]
    keys, x = candidate_features("갑은 을에게 1,000만 원을 빌려주었다", hits)
    col = {f: i for i, f in enumerate(FEATURES)}
    assert x[1, col["facts_rr"]] == 1.0 and x[0, col["facts_share"]] == 0.4 and x[1, col["facts_support"]] == 5
    assert x[0, col["facts_rr*parties"]] == 0.5 and x[0, col["facts_top"]] == 0.9
    # a file listing only the original 38 features (rankers trained before the facts memory) loads and ignores
    # the new columns; the shipped one reads the first ranker's features and the profile group (not SECOND_FEATURES)
    first = [f for f in FEATURES if f not in (*SECOND_FEATURES, *THIRD_FEATURES, *LAW_FEATURES, *MATCH, *PRIOR)
             and not f.startswith("feedback_")]  # (the on-demand feedback group)
    old = [f for f in first if not f.startswith(("facts_", "memory_share", "memory_support", "agree_memories"))]
    shipped = json.loads((Path(__file__).parent.parent / "legalret" / "data" / "fusion_ranker.json").read_text(encoding="utf-8"))
    assert first == list(FEATURE_GROUPS["first"]) and len(old) == 38
    assert set(shipped["features"]) == set(first) | set(THIRD_FEATURES) | set(PRIOR)  # name-keyed weights (ranker/3)
    legacy = {**shipped, "features": {f: shipped["features"][f] for f in old}}
    r = Ranker.from_dict(legacy)
    assert r.missing_features and r.scores(x).shape == (2,)
    moved = x.copy()
    moved[:, [col[f] for f in FEATURES if f.startswith("facts_")]] = 7.0
    assert np.allclose(r.scores(moved), r.scores(x))  # the old ranker never reads facts columns
    # a ranker with the facts features does read them
    coef = np.zeros(len(FEATURES))
    coef[col["facts_rr"]] = 1.0
    full = Ranker(coef=coef, mean=np.zeros(len(FEATURES)), scale=np.ones(len(FEATURES)))
    assert [k for k, _ in full.rerank("q", hits)] == ["b", "a"]


def test_cli_index_build_and_add_with_facts(tmp_path):
    """``legalret index build … --precedents P --facts F`` then ``index add --facts F2``: real markdown
    precedents (joined by 판례일련번호), the facts part in the manifest and in ``index info``."""
    from typer.testing import CliRunner

    from legalret.cli import app

    fixtures = Path(__file__).parent / "fixtures"
    statutes = fixtures / "precedents" / "statutes" / "legalize-kr"
    index = tmp_path / "idx"
    runner = CliRunner()
    built = runner.invoke(app, ["index", "build", str(statutes), "--index", str(index), "--model", "none",
                                "--precedents", str(fixtures / "precedents" / "md"),
                                "--facts", str(fixtures / "facts" / "md_facts.jsonl"), "--json"])
    assert built.exit_code == 0, built.output
    report = json.loads(built.output.strip().splitlines()[-1])
    assert report["memory"]["facts_items"] == 2
    assert {it.case_no for it in Searcher(index).facts.memory.items} == {"2015다1001", "2018다5005"}
    added = runner.invoke(app, ["index", "add", "--index", str(index), "--facts", str(fixtures / "facts" / "md_facts_more.jsonl"),
                                "--json"])
    assert added.exit_code == 0, added.output
    assert json.loads(added.output.strip().splitlines()[-1])["memory"]["facts_items"] == 3
    s = Searcher(index)
    assert "민법 제194조" in dict(s.facts.search("창고에 보관하던 기계를 누가 가져갔다", k=5))
    info = runner.invoke(app, ["index", "info", "--index", str(index)])
    assert info.exit_code == 0 and "facts memory: 3 decisions" in info.output, info.output
    assert "character 2-grams + words ≤ 4 syllables tokens" in " ".join(info.output.split()), info.output


def test_learned_fusion_reads_and_explains_the_facts_features(tmp_path):
    """On an index with dense vectors, a memory and facts, the re-ranker gets the facts retriever's features;
    a ranker that trusts them moves the facts' articles up, and ``explain`` shows their contribution."""
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model=str(sup.tiny_model_dir()), precision="fp32", precedents=PRECEDENTS,
                   facts=read_facts(FACTS, on_error=lambda e: None))
    col = {f: i for i, f in enumerate(FEATURES)}
    coef = np.zeros(len(FEATURES))
    coef[col["facts_rr"]] = 5.0
    coef[col["fused_rr"]] = 0.1
    ranker = Ranker(coef=coef, mean=np.zeros(len(FEATURES)), scale=np.ones(len(FEATURES)))
    s = Searcher(index, ranker=ranker)
    hits = s.search(SCENARIO, k=5, mode="hybrid", explain=True)
    assert set(hits.keys[:2]) == {"민법 제320조", "민법 제192조"}
    assert any("facts features +" in r for r in hits[0].reasons), hits[0].reasons
    # Kiwi runs once per query: the holdings memory reuses the searcher's tokens, with the same result; the
    # facts memory (character n-grams) cuts the query itself
    q = s.tokenizer.tokenize(SCENARIO)
    assert s.memory.explain(SCENARIO, 5, tokens=q).ranking() == s.memory.explain(SCENARIO, 5).ranking()
    assert s.opened["memory"].same_tokens and not s.opened["facts"].same_tokens
    facts_q = s.facts.memory.tokenize(SCENARIO)
    assert facts_q != q and s.facts.explain(SCENARIO, 5, tokens=facts_q).ranking() == s.facts.explain(SCENARIO, 5).ranking()
    # no ranker file reads these features unless trained with them: the shipped one still loads and runs
    old = Searcher(index, ranker=Path(__file__).parent.parent / "legalret" / "data" / "fusion_ranker.json")
    assert len(old.search(SCENARIO, k=5, mode="hybrid")) == 5


def test_new_facts_memories_are_character_bigrams_and_queries_are_cut_alike(tmp_path):
    from legalret.index.ngram_tokenize import NgramTokenizer
    from legalret.index.tokenize import KiwiTokenizer

    index = tmp_path / "idx"
    _build(index, facts=read_facts(FACTS, on_error=lambda e: None))
    manifest = read_manifest(index)
    assert manifest["facts"]["tokenizer_settings"]["name"] == "ngram"  # the facts: n-grams
    assert manifest["memory"]["tokenizer_settings"]["name"] == "kiwi"  # the holdings: the index's Kiwi
    s = Searcher(index)
    facts = s.opened["facts"]
    assert isinstance(facts.retriever.memory.tokenizer, NgramTokenizer) and not facts.same_tokens
    assert s.opened["memory"].same_tokens and isinstance(s.memory.memory.tokenizer, KiwiTokenizer)
    text = facts.retriever.memory.items[0].text
    assert facts.retriever.memory.tokens_of(0) == NgramTokenizer({"n": 2, "words": 4}).tokenize(text)
    assert manifest["facts"]["tokenizer_settings"] == {"name": "ngram", "n": 2, "words": 4, "digits": False, "version": 1}
    # the default search: the facts memory votes for the 유치권 articles from a story told in other words
    hit = s.search(SCENARIO, k=10)
    assert "민법 제320조" in hit.keys and hit[hit.keys.index("민법 제320조")].votes["facts"][1] == 1


def test_a_kiwi_facts_memory_stays_kiwi_through_index_add(tmp_path, monkeypatch):
    """An index whose facts memory was made with Kiwi (before n-grams were the default) keeps it: adding facts
    tokenizes them with Kiwi, and its queries reuse the searcher's Kiwi tokens."""
    import legalret.memory.facts as facts_module
    from legalret.index.tokenize import KiwiTokenizer

    index = tmp_path / "idx"
    records = list(read_facts(FACTS, on_error=lambda e: None))
    with monkeypatch.context() as m:
        m.setattr(facts_module, "facts_tokenizer", KiwiTokenizer)
        _build(index, facts=iter([r for r in records if r.case_no != "2018다2002"]))
    assert read_manifest(index)["facts"]["tokenizer_settings"]["name"] == "kiwi"
    report = pipeline.add([], index, facts=iter(records))
    assert report.memory["facts_items"] == 3
    assert read_manifest(index)["facts"]["tokenizer_settings"]["name"] == "kiwi"
    s = Searcher(index)
    memory = s.opened["facts"].retriever.memory
    assert s.opened["facts"].same_tokens and memory.tokenizer is s.tokenizer
    row = memory.rows_of_case("2018다2002")[0]
    assert memory.tokens_of(row) == KiwiTokenizer().tokenize(memory.items[row].text)
    assert {k for k, _ in s.facts.search(SCENARIO, k=2)} == {"민법 제320조", "민법 제192조"}


def test_a_replaced_decision_re_keys_its_facts(tmp_path):
    """`index add --precedents` with a corrected decision (its 참조조문 now cites other articles) replaced the
    holdings, but the decision's facts went on voting for the articles the old holdings cited."""
    import copy

    from legalret.memory.store import PrecedentMemory

    index = tmp_path / "idx"
    _build(index, facts=read_facts(FACTS, on_error=lambda e: None))

    def facts_keys():
        facts = PrecedentMemory.load(current_generation(index) / "facts")
        return {it.case_no: it.keys for it in facts.items}

    assert facts_keys()["2018다2002"] == ["민법 제320조", "민법 제192조"]
    corrected = copy.deepcopy(PRECEDENTS[1])
    corrected["holdings"][0]["keys"] = ["민법 제194조"]
    report = pipeline.add([], index, precedents=[corrected])
    assert report.memory["precedents_replaced"] == 1 and report.memory["facts_rekeyed"] == 1
    assert facts_keys()["2018다2002"] == ["민법 제194조"]
    others = {k: v for k, v in facts_keys().items() if k != "2018다2002"}
    assert others and all(v for v in others.values())  # the other decisions' facts as they were
    # corrected again to cite only an article the index lacks: withdrawn — neither its holdings nor its facts vote
    withdrawn = copy.deepcopy(corrected)
    withdrawn["holdings"][0]["keys"] = ["형법 제257조"]
    report = pipeline.add([], index, precedents=[withdrawn])
    assert report.wrote and report.memory["precedents_withdrawn"] == 1 and report.memory["facts_rekeyed"] == 1
    assert facts_keys()["2018다2002"] == [] and {k: v for k, v in facts_keys().items() if k != "2018다2002"} == others
    assert PrecedentMemory.load(current_generation(index) / "memory").rows_of_case("2018다2002") == []


def test_facts_naming_two_decisions_are_skipped_and_counted(tmp_path):
    """A facts line whose 판례일련번호 is one decision's and whose 사건번호 another's replaced the other decision's facts
    with the first one's keys; skipped lines were on stderr only. Both are counted in the report now, and a --facts
    that reads no line is an error (a decisions zip given as --facts had said "unchanged")."""
    from typer.testing import CliRunner

    from legalret.cli import app

    index = tmp_path / "idx"
    serials = {"2019다1001": "9001", "2018다2002": "9002"}  # as the facts fixture has them
    decisions = [dict(p, serial=serials.get(p["case_no"], "")) for p in PRECEDENTS]
    pipeline.build(sup.articles(), index, model="none", precedents=decisions, facts=read_facts(FACTS, on_error=lambda e: None))
    before = json.loads(CliRunner().invoke(app, ["index", "info", "--index", str(index), "--json"]).stdout)
    lines = [json.loads(line) for line in FACTS.read_text(encoding="utf-8").splitlines()[:2]]
    mixed = dict(lines[0], 사건번호=lines[1]["사건번호"], 이유="다른 사건의 사실관계")  # 9001's serial, 2018다2002's number
    src = tmp_path / "new.jsonl"
    src.write_text(json.dumps(mixed, ensure_ascii=False) + "\n{not json\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["index", "add", "--facts", str(src), "--index", str(index), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert report["memory"]["facts_skipped"] == 2 and not report["wrote"]
    assert "판례일련번호 9001 is 2019다1001" in r.stderr and f"{src}:2" in r.stderr
    after = json.loads(CliRunner().invoke(app, ["index", "info", "--index", str(index), "--json"]).stdout)
    assert after["generation"] == before["generation"]
    # said without --json too: "unchanged — nothing new (0 articles already up to date)" had been all of it
    text = CliRunner().invoke(app, ["index", "add", "--facts", str(src), "--index", str(index)])
    assert "unchanged — nothing new; no new generation written" in text.output and "facts skipped 2" in text.output
    nothing = tmp_path / "none.jsonl"
    nothing.write_text("", encoding="utf-8")
    r = CliRunner().invoke(app, ["index", "add", "--facts", str(nothing), "--index", str(index)])
    assert r.exit_code != 0 and "no facts line read from" in str(r.exception)
