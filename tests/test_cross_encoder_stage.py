"""The cross-encoder scorer (ONNX Runtime) and the search stage around it, on a tiny random fixture model.

The fixture's scores mean nothing; what is checked is what a trained model relies on: the ONNX graph scores
exactly as the torch model it came from (fp32; int8 close), long pairs are cut as transformers cuts them,
``rescore`` keeps the candidates' order, the stage annotates only the top N and re-orders only them, exact
citations stay first, and no torch is imported on the query path.
"""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from legalret.errors import ModelError
from legalret.models.cross_encoder import OnnxCrossEncoder, build_tiny_cross_encoder, export_cross_encoder, init_cross_encoder
from legalret.search.cross_encoder_stage import CrossEncoderStage

TEXTS = {
    "민법 제618조": "임대차의 의의 임대차는 당사자 일방이 상대방에게 목적물을 사용, 수익하게 할 것을 약정하고 " * 3,
    "민법 제750조": "불법행위의 내용 고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 그 손해를 배상할 책임이 있다.",
    "상법 제651조": "고지의무위반으로 인한 계약해지 보험계약당시에 보험계약자 또는 피보험자가 고의 또는 중대한 과실로 인하여",
    "민법 제103조": "반사회질서의 법률행위 선량한 풍속 기타 사회질서에 위반한 사항을 내용으로 하는 법률행위는 무효로 한다.",
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_cross_encoder(tmp_path_factory.mktemp("ce") / "tiny", texts=list(TEXTS.values()))


def test_onnx_scores_match_the_torch_model(tmp_path):
    import torch

    from legalret.models.tiny import build_tiny_model

    base = build_tiny_model(tmp_path / "base", arch="bert", texts=list(TEXTS.values()))
    torch.manual_seed(1)
    model = init_cross_encoder(base, max_length=32, device="cpu")
    path = export_cross_encoder(model, tmp_path / "ce", quantize=["int8"])
    pairs = [("보증금 반환", t) for t in TEXTS.values()]  # the first is longer than 32 tokens: cut
    expected = model.predict(pairs, activation_fn=torch.nn.Identity())
    fp32 = OnnxCrossEncoder.load(path, variant="fp32").score_pairs(pairs)
    assert np.allclose(fp32, expected, atol=1e-5)
    int8 = OnnxCrossEncoder.load(path, variant="int8").score_pairs(pairs)
    assert np.allclose(int8, expected, atol=0.05)


def test_rescore_keeps_candidate_order_and_batches_do_not_matter(tiny):
    ce = OnnxCrossEncoder.load(tiny, variant="fp32", threads=1)
    candidates = list(TEXTS.items())
    together = ce.rescore("임차인의 보증금", candidates)
    one_by_one = np.array([ce.rescore("임차인의 보증금", [c])[0] for c in candidates])
    assert together.shape == (4,) and together.dtype == np.float32
    assert np.allclose(together, one_by_one, atol=1e-5)
    assert np.allclose(ce.rescore("임차인의 보증금", candidates[::-1]), together[::-1], atol=1e-5)
    assert ce.rescore("q", []).shape == (0,)


def test_bad_inputs_are_clear_errors(tiny, tmp_path):
    ce = OnnxCrossEncoder.load(tiny, variant="fp32")
    with pytest.raises(TypeError, match=r"pairs\[1\]"):
        ce.score_pairs([("a", "b"), ("a", None)])
    with pytest.raises(ModelError, match="not a cross-encoder export"):
        OnnxCrossEncoder.load(tmp_path)
    with pytest.raises(ModelError, match="no 'nbits8' model"):
        OnnxCrossEncoder.load(tiny, variant="nbits8")
    with pytest.raises(ModelError, match="max_length 4: must be between 8"):
        OnnxCrossEncoder.load(tiny, variant="fp32", max_length=4)


def test_a_shorter_cut_scores_long_pairs_differently(tiny):
    full = OnnxCrossEncoder.load(tiny, variant="fp32")
    cut = OnnxCrossEncoder.load(tiny, variant="fp32", max_length=16)
    long_pair, short_pair = ("보증금", TEXTS["민법 제618조"]), ("보증금", "임대차")
    assert not np.isclose(full.score_pairs([long_pair])[0], cut.score_pairs([long_pair])[0], atol=1e-7)
    assert np.isclose(full.score_pairs([short_pair])[0], cut.score_pairs([short_pair])[0], atol=1e-6)


def _items(keys):
    return [SimpleNamespace(key=k, score=1.0 / (i + 1), ranks={"bm25": i + 1}, scores={"bm25": 1.0}) for i, k in enumerate(keys)]


def test_stage_annotates_only_the_top_n(tiny):
    stage = CrossEncoderStage.load(tiny, article_text=TEXTS.get, top_n=3, variant="fp32")
    items = _items(list(TEXTS) + ["민법 제1조"])  # the last has no text: never scored
    stage.annotate(SimpleNamespace(text="임차인의 보증금"), items)
    scored = [it for it in items if "cross_encoder" in it.ranks]
    assert [it.key for it in scored] == list(TEXTS)[:3]
    assert sorted(it.ranks["cross_encoder"] for it in scored) == [1, 2, 3]
    best = min(scored, key=lambda it: it.ranks["cross_encoder"])
    assert best.scores["cross_encoder"] == max(it.scores["cross_encoder"] for it in scored)
    assert [it.score for it in items] == [1.0, 0.5, 1 / 3, 0.25, 0.2]  # fused scores untouched
    assert stage.explain(best).startswith("cross-encoder: rank 1 of the top 3")
    assert stage.explain(items[3]) is None


def test_rerank_orders_the_head_and_keeps_citations_first(tiny):
    stage = CrossEncoderStage.load(tiny, article_text=TEXTS.get, top_n=3, variant="fp32")
    items = _items(list(TEXTS))
    cited = SimpleNamespace(key="민법 제1조", score=9.0, ranks={"citation": 1}, scores={})
    ranked = stage.rerank("임차인의 보증금", [cited, *items])
    assert ranked[0] is cited
    head = ranked[1:4]
    assert [h.ranks["cross_encoder"] for h in head] == [1, 2, 3]
    assert ranked[4].key == list(TEXTS)[3]  # beyond the top N: in its place after the head


def test_query_path_imports_no_torch(tiny):
    code = ("import sys; from legalret.search.cross_encoder_stage import CrossEncoderStage; "
            f"s = CrossEncoderStage.load({str(tiny)!r}, article_text=lambda k: '본문', variant='fp32'); "
            "s.model.rescore('질문', [('a', '본문')]); "
            "bad = [m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules]; "
            "sys.exit(1 if bad else 0)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
