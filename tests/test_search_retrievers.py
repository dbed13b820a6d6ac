"""The retriever registry: adding one is one module + one registration (docs/design.md, "Adding a retriever")."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import index_support as sup  # noqa: E402
from toy_retriever import TitleRetriever  # noqa: E402  — the module

from legalret.errors import IndexError_, LegalretError  # noqa: E402
from legalret.index import build_index  # noqa: E402
from legalret.search.ranker import Ranker, candidate_features, catalogue  # noqa: E402
from legalret.search.retrievers import register, registered, unregister  # noqa: E402
from legalret.search.searcher import Searcher, modes  # noqa: E402


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    d = tmp_path_factory.mktemp("retrievers") / "idx"
    build_index(sup.articles(), d, encoder=sup.tiny_encoder())
    return d


@pytest.fixture
def toy():
    register(TitleRetriever)  # … and the registration
    yield TitleRetriever
    unregister(TitleRetriever.name)


def test_builtin_registry_in_fusion_order():
    assert [cls.name for cls in registered()] == ["bm25", "dense", "memory", "facts", "profile", "feedback"]
    assert modes() == ("hybrid", "convex", "rrf", "bm25", "dense", "memory")


def test_a_registered_retriever_is_a_mode_a_fused_list_an_explain_line_and_ranker_features(index, toy):
    s = Searcher(index, encoder=sup.tiny_encoder())
    assert "title" in modes() and [r.name for r in s.retrievers("hybrid")] == ["bm25", "dense", "title"]
    alone = s.search("유치권의 내용", k=3, mode="title")
    assert alone.keys[0] == "민법 제320조" and alone[0].ranks == {"title": 1} and alone[0].score == 2.0  # 유치권, 내용
    fused = s.search("유치권의 내용", k=5, explain=True)
    top = fused[0]
    assert top.key == "민법 제320조" and top.ranks["title"] == 1
    assert any(r.startswith("title: rank 1, score 2.0000, contributes ") for r in top.reasons)
    # the re-ranker's catalogue names its features; a ranker trained on them reads them by name
    assert {"title_in", "title_rr", "title_score", "title_rr*parties"} <= set(catalogue().names)
    names = catalogue().names
    keys, x = candidate_features("유치권의 내용", s.search("유치권의 내용", k=20, mode="convex"))
    assert x.shape == (len(keys), len(names)) and x[keys.index("민법 제320조"), names.index("title_rr")] == 1.0
    only = Ranker(coef=[1.0], mean=[0.0], scale=[1.0], features=("title_rr",))
    assert only.rerank("유치권의 내용", s.search("유치권의 내용", k=20, mode="convex"))[0][0] == "민법 제320조"
    # off for one searcher, like any retriever
    assert [r.name for r in Searcher(index, encoder=sup.tiny_encoder(), title=False).retrievers("hybrid")] == ["bm25", "dense"]


def test_without_the_registration_nothing_knows_it(index, tmp_path):
    s = Searcher(index, encoder=sup.tiny_encoder())
    with pytest.raises(LegalretError, match="unknown search mode 'title'"):
        s.search("유치권", mode="title")
    with pytest.raises(TypeError, match="unknown retriever options"):
        Searcher(index, title=False)
    d = Ranker(coef=[1.0], mean=[0.0], scale=[1.0], features=("bm25_rr",)).to_dict()
    d["features"] = {"title_rr": d["features"]["bm25_rr"]}
    with pytest.raises(LegalretError, match=r"ranker features \['title_rr'\] are not computed by this legalret"):
        Ranker.from_dict(d, "r.json")


def test_a_mode_the_index_lacks_is_one_line_naming_what_to_build(tmp_path):
    build_index(sup.articles(), tmp_path / "b", model="none")
    s = Searcher(tmp_path / "b")
    assert [r.name for r in s.retrievers("hybrid")] == ["bm25"] and s.resolve_mode("hybrid") == "bm25"
    for mode, what in (("dense", "no dense vectors"), ("memory", "no precedent memory")):
        with pytest.raises(IndexError_, match=what):
            s.search("유치권", mode=mode)
    assert np.isfinite(s.search("유치권", k=1)[0].score)


def test_an_article_bm25_of_ngrams_is_searched_with_ngrams(tmp_path):
    """A manifest's ``bm25_tokenizer`` (experiments/article_ngrams.py writes one): the BM25 retriever cuts the query
    into the same character bigrams, party names left out, while the searcher's own tokens stay Kiwi's."""
    import json

    from legalret.index.bm25 import BM25Engine, BM25Params
    from legalret.index.ngram_tokenize import NgramTokenizer
    from legalret.index.store import MANIFEST, current_generation

    build_index(sup.articles(), tmp_path / "n", model="none")
    gen = current_generation(tmp_path / "n")
    cut = NgramTokenizer()
    searchable = [a for a in sup.articles() if not a.deleted]
    BM25Engine.build(cut.tokenize_many([a.index_text() for a in searchable]), BM25Params()).save(gen / "bm25")
    manifest = json.loads((gen / MANIFEST).read_text(encoding="utf-8"))
    (gen / MANIFEST).write_text(json.dumps({**manifest, "bm25_tokenizer": cut.settings.to_dict()}), encoding="utf-8")
    s = Searcher(tmp_path / "n", verify="none")
    bm25 = s.retriever("bm25")
    assert isinstance(bm25.tokenizer, NgramTokenizer) and not bm25.same_tokens
    q = s.prepare.query("갑은 유치권자에게")
    assert bm25.tokens(q) == ["유치", "치권", "권자", "자에", "에게"] and "유치권자" in q.tokens  # (Kiwi: a word)
    top = s.search("유치권자", k=3, mode="bm25")
    assert top and "유치권" in top[0].article.index_text()
    assert s.prepare.vocabulary is None  # no coverage notice from Kiwi tokens against bigrams
    assert not s.search("퀘이사르프로브 시험용", k=3, mode="bm25").notices
