"""The training code on laws beyond 민법/상법: pairs, the learned re-ranker with its law-level features, the query
adapter and the per-index choice of the shipped ranker, on a small multi-law fixture (tests/fixtures/multilaw/).

The fixture: 20 real articles of 형법, 형사소송법, 근로기준법 + 근로기준법 시행령, 주택임대차보호법 and 민법 (the
legalize-kr markdown format) and nine hand-written decisions, six before 2020 (train) and three in 2020–2022 (dev),
whose 참조조문 cite an act with its 시행령 (``같은 법 시행령``), 주택임대차보호법 with the 민법 rule it modifies and
형법 with 형사소송법 — plus one citation of a law outside the corpus (민사소송법) and one of an article outside it.
Everything is built once per module with a tiny random encoder whose vocabulary is trained on the fixture texts.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from legalret import config, pipeline
from legalret.cli import app
from legalret.config import DEV_END, SHIPPED_RANKER, TRAIN_END, default_ranker
from legalret.ingest.sources import ingest
from legalret.keys import parse_key
from legalret.pairs.build import read_jsonl
from legalret.precedents.citations import ArticleCatalog
from legalret.precedents.parse import read_precedents
from legalret.search.ranker import LAW_FEATURES, MATCH, Ranker, candidate_features, catalogue
from legalret.search.searcher import Searcher

HERE = Path(__file__).parent / "fixtures" / "multilaw"
STATUTES = HERE / "statutes"
PRECEDENTS = HERE / "precedents"
MANIFEST = HERE / "multilaw.yaml"
DECREE = "근로기준법 시행령"
LAWS = {"형법", "형사소송법", "근로기준법", DECREE, "주택임대차보호법", "민법"}
#: A question that names the decree (and so its act): the law-level features must see it.
DECREE_QUERY = "근로기준법 시행령에서 1주 동안 개근한 근로자의 유급휴일은 어떻게 정하나"


def _law(key: str) -> str:
    return parse_key(key).law


@pytest.fixture(scope="module")
def articles():
    return ingest([STATUTES]).articles


@pytest.fixture(scope="module")
def pairs_dir(tmp_path_factory):
    """``legalret pairs`` on the fixture, as a user runs it: the corpus given as a manifest file."""
    out = tmp_path_factory.mktemp("multilaw") / "pairs"
    result = CliRunner().invoke(app, ["pairs", "--precedents", str(PRECEDENTS), "--statutes", str(STATUTES),
                                      "--corpus", str(MANIFEST), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def encoder(articles, pairs_dir, tmp_path_factory):
    """A tiny random encoder whose WordPiece vocabulary knows the fixture's words (articles and holdings)."""
    from legalret.models.encoder import load_encoder
    from legalret.models.tiny import build_tiny_model

    texts = [a.index_text() for a in articles] * 3
    texts += [q["query"] for split in ("train", "dev") for q in read_jsonl(pairs_dir / f"{split}_queries.jsonl")]
    model_dir = build_tiny_model(tmp_path_factory.mktemp("multilaw-model") / "tiny", texts=texts + [DECREE_QUERY])
    return load_encoder(str(model_dir), precision="fp32", device="cpu")


@pytest.fixture(scope="module")
def index_dir(articles, encoder, tmp_path_factory):
    """The fixture's articles with the precedent memory of all nine decisions (each query's own and later
    decisions are kept from voting by the leakage plan, as in a benchmark)."""
    precedents = list(read_precedents([PRECEDENTS], catalog=ArticleCatalog.from_articles(articles)))
    d = tmp_path_factory.mktemp("multilaw-index") / "idx"
    pipeline.build(articles, d, encoder=encoder, precedents=precedents)
    return d


@pytest.fixture(scope="module")
def law_ranker(index_dir, pairs_dir, tmp_path_factory):
    """The re-ranker trained as the shipped all-law one is (``legalret/data/fusion_ranker_all_laws.json``:
    listwise, groups first, profile, law, match and prior, the fused top 150) on the train-split holdings."""
    from legalret.train.ranker import main

    out = tmp_path_factory.mktemp("multilaw-ranker") / "fusion_ranker_all_laws.json"
    assert main(["--index", str(index_dir), "--holdings", str(pairs_dir / "train_queries.jsonl"),
                 "--features", "first,profile,law,match,prior", "--model", "listwise", "--depth", "150",
                 "--out", str(out)]) == 0
    return out


# ---- (1) pairs across laws ------------------------------------------------------------------------------
def test_pairs_cover_every_law_with_the_date_split(pairs_dir):
    stats = json.loads((pairs_dir / "stats.json").read_text(encoding="utf-8"))
    assert stats["corpus"]["laws"] == ["형법", "형사소송법", "근로기준법", DECREE, "주택임대차보호법", "민법"]
    assert stats["corpus"]["kinds"] == ["법률", "시행령"] and stats["corpus"]["live_articles"] == 20
    train, dev = read_jsonl(pairs_dir / "train.jsonl"), read_jsonl(pairs_dir / "dev.jsonl")
    train_q, dev_q = read_jsonl(pairs_dir / "train_queries.jsonl"), read_jsonl(pairs_dir / "dev_queries.jsonl")
    holdings = [p for p in train if p["source"] == "holding"]
    # decisions from 2020 on are in dev only, earlier ones in train only; no case in both
    assert {p["decided"] < TRAIN_END.isoformat() for p in holdings} == {True}
    assert {TRAIN_END.isoformat() <= p["decided"] < DEV_END.isoformat() for p in dev} == {True}
    assert {q["case_no"] for q in dev_q} == {"2020다8807", "2021도7708", "2022다9909"}
    assert not {q["case_no"] for q in train_q} & {q["case_no"] for q in dev_q}
    # every law of the corpus is a gold key in both splits — the 시행령's included
    assert {_law(k) for q in train_q for k in q["gold"]} == LAWS
    assert {_law(k) for q in dev_q for k in q["gold"]} == LAWS
    assert {_law(p["key"]) for p in holdings} == LAWS and stats["dev"]["pairs_by_law"][DECREE] == 1
    gold = {q["query"]: q["gold"] for q in train_q + dev_q}
    # an act and its decree ('같은 법 시행령'), a special act and the 민법 rule it modifies
    assert gold["1주 동안의 소정근로일을 개근한 근로자에게 유급휴일을 주어야 하는 사용자의 의무"] == [
        "근로기준법 제55조", "근로기준법 시행령 제30조"]
    assert gold["기간을 2년 미만으로 정한 주택임대차에서 임대차관계의 존속과 보증금 반환"] == [
        "주택임대차보호법 제4조", "민법 제618조"]
    # '근로기준법 제60조 제5항, 같은 법 시행령 제33조': the act's article is not in the corpus, the decree's is
    assert gold["연차 유급휴가 수당을 지급하여야 하는 임금지급일"] == ["근로기준법 시행령 제33조"]
    # the holding citing only 민사소송법 (not in the corpus) makes no pair
    assert stats["dropped"]["holding_without_corpus_keys"] == 1
    assert not any("기판력" in q["query"] for q in train_q)
    # the decree's synthetic pairs name it as promulgated
    synthetic = {p["query"]: p["key"] for p in train if p["source"] == "synthetic-title"}
    assert synthetic["근로기준법 시행령에서 휴일에 관한 규정은?"] == "근로기준법 시행령 제30조"
    assert synthetic["근로기준법에서 휴일에 관한 규정은?"] == "근로기준법 제55조"


def test_pairs_keep_to_the_corpus_manifest(tmp_path):
    """The same sources with the default corpus (civil-commercial: 민법 + 상법) give 민법 pairs only."""
    out = tmp_path / "civil"
    result = CliRunner().invoke(app, ["pairs", "--precedents", str(PRECEDENTS), "--statutes", str(STATUTES),
                                      "--out", str(out), "--no-synthetic", "--json"])
    assert result.exit_code == 0, result.output
    keys = {p["key"] for split in ("train", "dev") for p in read_jsonl(out / f"{split}.jsonl")}
    assert keys == {"민법 제618조", "민법 제635조", "민법 제640조", "민법 제623조"}
    # the human summary is one line per fact at any width (wrapped at 80 columns in a pipe, grep lost counts)
    text = CliRunner().invoke(app, ["pairs", "--precedents", str(PRECEDENTS), "--statutes", str(STATUTES),
                                    "--out", str(out), "--no-synthetic"], env={"COLUMNS": "40"})
    assert text.exit_code == 0, text.output
    line = next(line for line in text.output.splitlines() if line.startswith("citations "))
    assert "unknown_article" in line and line.rstrip().split()[-1][0].isdigit()


# ---- (2) the learned re-ranker with law-level features ----------------------------------------------------
def test_ranker_trains_with_law_features_and_loads(law_ranker, index_dir, encoder):
    stored = json.loads(law_ranker.read_text(encoding="utf-8"))
    assert set(LAW_FEATURES) <= set(stored["features"])
    assert {"law_named", "law_decree*asked", "memory_law_share", "fused_law_top10"} <= set(stored["features"])
    assert stored["info"]["feature_groups"] == ["first", "profile", "law", "match", "prior"]
    assert stored["info"]["holdings"]["queries"] == 12  # every train-split holding, none from dev
    ranker = Ranker.load(law_ranker)
    assert np.isfinite(ranker.coef).all() and ranker.reads_law and ranker.reads_match and ranker.info["positives"] >= 12
    assert ranker.depth == stored["depth"] == 150 and ranker.kind == "linear"
    # the shipped file is of the same recipe: what this fixture checks is what indexes of every law run
    shipped = Ranker.load(config.SHIPPED_LAW_RANKER)
    assert shipped.features == ranker.features and shipped.depth == 150 and shipped.info["model"] == "listwise"
    # the word-match columns were read from the hits' article titles and law names, not left at 0
    assert {"law_name_share", "title_share"} <= {f for f in MATCH if stored["features"][f]["scale"] != 1.0}
    # the base rates were counted (under each holding's own cut-off), not left at 0
    assert stored["features"]["cited_log"]["scale"] != 1.0 and ranker.reads_prior
    # the law features were not constant on the training rows (a constant column is stored with scale 1, coef 0)
    varied = [f for f in LAW_FEATURES if stored["features"][f]["scale"] != 1.0]
    assert {"law_named", "law_decree", "memory_law_share", "law_family_top10"} <= set(varied)
    s = Searcher(index_dir, encoder=encoder, ranker=law_ranker)
    assert s.ranker is not None and s.ranker.features == ranker.features
    hits = s.search(DECREE_QUERY, k=5, explain=True)
    assert len(hits) == 5 and all(any(r.startswith("learned fusion: ") for r in h.reasons) for h in hits)


def test_law_features_point_at_the_named_law_and_its_decree(index_dir, encoder, law_ranker):
    s = Searcher(index_dir, encoder=encoder, ranker=law_ranker)
    hits = s.search(DECREE_QUERY, k=s.ranker.depth, mode="convex")  # the re-ranker's candidates
    keys, x = candidate_features(DECREE_QUERY, hits)
    assert {_law(k) for k in keys} == LAWS  # every law is a candidate: the features have something to tell apart
    f = {name: x[:, i] for i, name in enumerate(catalogue().names)}
    at = {k: i for i, k in enumerate(keys)}
    decree, act, other = at["근로기준법 시행령 제30조"], at["근로기준법 제55조"], at["형법 제329조"]
    # the query names the decree and so its act ("근로기준법 시행령" holds "근로기준법"); 형법 is another law
    assert f["law_named"][decree] == f["law_named"][act] == 1.0 and f["law_named"][other] == 0.0
    assert f["law_other_named"][other] == 1.0
    # it asks for a decree: only the decree's candidates are a decree asked for
    assert f["law_decree"][decree] == f["law_decree*asked"][decree] == 1.0
    assert f["law_decree"][act] == f["law_decree*asked"][act] == f["law_decree*asked"][other] == 0.0
    # an act and its decree are one family
    assert f["law_family_top10"][decree] == f["law_family_top10"][act] > f["law_family_top10"][other]
    for key, i in at.items():  # the per-law columns are per law: every article of a law has the same value
        assert f["law_decree"][i] == float(_law(key) == DECREE)
    # the memory's votes (the 2019 decision cites 근로기준법 제55조 and 같은 법 시행령 제30조) go to those two laws
    assert f["memory_law_share"][decree] > 0 and f["memory_law_share"][act] > 0
    assert f["memory_law_share"][other] == 0.0
    assert f["law_votes_rr"][other] == 0.0 and max(f["law_votes_rr"][decree], f["law_votes_rr"][act]) == 1.0
    # the trained ranker reads them: its explanation of the decree's article names them
    explained = s.ranker.explain(DECREE_QUERY, hits, "근로기준법 시행령 제30조")
    assert {"law_named", "law_decree*asked"} <= set(explained)


def test_searcher_computes_law_features_for_a_ranker_that_reads_them(index_dir, encoder):
    """A ranker that reads only ``law_decree*asked`` puts the decree's three articles first when the question
    asks for a 시행령, and leaves the hand-set order alone when it does not."""
    only = Ranker(coef=np.ones(1), mean=np.zeros(1), scale=np.ones(1), features=("law_decree*asked",), depth=50)
    s = Searcher(index_dir, encoder=encoder, ranker=only)
    assert {_law(h.key) for h in s.search(DECREE_QUERY, k=3)} == {DECREE}
    plain = "1주 동안 개근한 근로자의 유급휴일"  # no decree asked for: every score is equal, the fused order stays
    assert [h.key for h in s.search(plain, k=5)] == [h.key for h in s.search(plain, k=5, mode="convex")]


# ---- (3) the query adapter on the multi-law pairs --------------------------------------------------------
def test_query_adapter_trains_on_every_law(index_dir, pairs_dir, tmp_path):
    from legalret.models.query_adapter import QueryAdapter

    out = tmp_path / "qmap"
    result = CliRunner().invoke(app, [
        "train", "query-adapter", "--queries", str(pairs_dir / "train_queries.jsonl"), "--index", str(index_dir),
        "--out", str(out), "--dev", str(pairs_dir / "dev_queries.jsonl"), "--cache", str(tmp_path / "qcache"),
        "--epochs", "30", "--lr", "0.02", "--l2", "0", "--batch-size", "8", "--alpha", "1", "--force"])
    assert result.exit_code == 0, result.output
    card = json.loads((out / "legalret_adapter.json").read_text(encoding="utf-8"))
    data = card["data"]
    assert data["train_queries"] == 12 and data["train_pairs"] == 16 and data["candidate_articles"] == 20
    assert list(data["sources"]) == [str(pairs_dir / "train_queries.jsonl")]
    assert data["sources"][str(pairs_dir / "train_queries.jsonl")]["dropped"]["gold_not_in_index"] == 0
    # the card says which laws it was trained on, the decree among them (pairs per law)
    assert data["pairs_by_law"] == {"근로기준법": 3, DECREE: 2, "형법": 2, "형사소송법": 2, "민법": 4, "주택임대차보호법": 3}
    assert set(card["dev_metrics"]) == {"train (fit on these)", "dev dev_queries.jsonl"}
    assert card["dev_metrics"]["dev dev_queries.jsonl"]["base"]["queries"] == 6  # one dev query per law
    fit = card["dev_metrics"]["train (fit on these)"]
    assert fit["adapted"]["mrr@10"] > fit["base"]["mrr@10"]
    epoch_losses = card["hyperparameters"]["epoch_losses"]
    assert epoch_losses[-1] < epoch_losses[0]
    assert QueryAdapter.load(out).fingerprint == card["fingerprint"]
    assert "- pairs_by_law: `{" in (out / "README.md").read_text(encoding="utf-8")  # the card for people too


# ---- (4) the shipped ranker per index --------------------------------------------------------------------
def test_default_ranker_per_index(law_ranker, index_dir, encoder, monkeypatch, tmp_path):
    monkeypatch.delenv("LEGALRET_RANKER", raising=False)
    assert default_ranker({"민법", "상법"}) == SHIPPED_RANKER and default_ranker({"민법"}) == SHIPPED_RANKER
    assert default_ranker(None) == SHIPPED_RANKER
    # no all-law ranker shipped (yet): every index gets the 민법/상법 one
    monkeypatch.setattr(config, "SHIPPED_LAW_RANKER", tmp_path / "not_trained_yet.json")
    assert default_ranker(LAWS) == SHIPPED_RANKER
    assert not Searcher(index_dir, encoder=encoder).ranker.reads_law
    # once it exists, an index with laws beyond 민법/상법 gets it; 민법/상법 alone and None keep the first
    monkeypatch.setattr(config, "SHIPPED_LAW_RANKER", law_ranker)
    assert default_ranker(LAWS) == law_ranker and default_ranker({"민법", "형법"}) == law_ranker
    assert default_ranker({"민법", "상법"}) == SHIPPED_RANKER and default_ranker(None) == SHIPPED_RANKER
    picked = Searcher(index_dir, encoder=encoder).ranker  # ranker="auto": the index's laws decide
    assert picked is not None and picked.reads_law and picked.features == Ranker.load(law_ranker).features
    # LEGALRET_RANKER overrides both
    other = tmp_path / "mine.json"
    other.write_text(law_ranker.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("LEGALRET_RANKER", str(other))
    assert default_ranker(LAWS) == other and default_ranker({"민법", "상법"}) == other and default_ranker(None) == other
    monkeypatch.setenv("LEGALRET_RANKER", "none")
    assert default_ranker(LAWS) is None and default_ranker(None) is None
    assert Searcher(index_dir, encoder=encoder).ranker is None
