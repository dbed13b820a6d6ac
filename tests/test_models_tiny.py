"""Tiny random encoders (RoBERTa = the ko-sroberta architecture, and BERT) through the real loading code."""

from __future__ import annotations

import json

import numpy as np
import pytest

from legalret.models.encoder import Encoder, load_encoder
from legalret.models.tiny import DEFAULT_TEXTS, build_tiny_model

TEXTS = list(DEFAULT_TEXTS)


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    return {
        "roberta": build_tiny_model(root / "roberta", arch="roberta", texts=TEXTS),
        "bert": build_tiny_model(root / "bert", arch="bert", texts=TEXTS),
    }


@pytest.fixture(scope="module")
def roberta(tiny_dirs) -> Encoder:
    return load_encoder(tiny_dirs["roberta"], precision="fp32", device="cpu")


def test_saved_dir_is_a_sentence_transformers_model_with_prompts(tiny_dirs):
    d = tiny_dirs["roberta"]
    modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((d / "modules.json").read_text())]
    assert modules == ["Transformer", "Pooling", "Normalize"]
    prompts = json.loads((d / "config_sentence_transformers.json").read_text())["prompts"]
    assert prompts["query"] == "query: " and prompts["passage"] == "passage: "
    assert prompts["document"] == "passage: "  # what sentence-transformers' encode_document() picks first
    pooling = json.loads((d / "1_Pooling" / "config.json").read_text())
    assert pooling.get("pooling_mode") == "mean" or pooling.get("pooling_mode_mean_tokens") is True


def test_roberta_matches_ko_sroberta_conventions(roberta):
    hf = roberta.model.transformers_model
    assert hf.config.model_type == "roberta"
    tok = roberta.tokenizer
    assert (tok.cls_token_id, tok.pad_token_id, tok.sep_token_id) == (0, 1, 2)  # klue/roberta-base order
    assert hf.config.pad_token_id == 1
    # RoBERTa positions start at padding_idx + 1: a max-length input needs max_len + 2 position rows.
    assert hf.config.max_position_embeddings == roberta.max_seq_length + 2
    ids = tok("제750조(불법행위의 내용) 손해를 배상할 책임")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2 and 3 not in ids  # learned pieces, no [UNK]


def test_encodings_are_float32_unit_rows_with_prompts_applied(roberta):
    p = roberta.encode_passages(TEXTS[:5])
    q = roberta.encode_queries(TEXTS[:5])
    assert p.shape == q.shape == (5, roberta.dim) == (5, 32)
    assert p.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(p, q)  # "query: " vs "passage: " prompt
    assert roberta.encode_passages([]).shape == (0, 32)
    assert roberta.encode_queries("한 문장").shape == (1, 32)
    assert roberta.token_count("손해배상", query=True) == len(roberta.tokenizer("query: 손해배상")["input_ids"])


def test_batching_and_padding_do_not_change_embeddings(roberta):
    texts = ["짧은 글", TEXTS[1], "제1조(목적)", TEXTS[8]]
    batched = roberta.encode_passages(texts, batch_size=4)
    single = np.vstack([roberta.encode_passages([t]) for t in texts])
    np.testing.assert_allclose(batched, single, atol=1e-5)


def test_overlong_input_is_truncated_not_an_error(roberta):
    long_text = " ".join(TEXTS * 10)
    assert roberta.token_count(long_text) > roberta.max_seq_length
    assert roberta.encode_passages([long_text]).shape == (1, 32)


def test_bert_variant_loads_through_the_same_code(tiny_dirs):
    enc = load_encoder(tiny_dirs["bert"], precision="fp32")
    assert enc.model.transformers_model.config.model_type == "bert"
    assert enc.tokenizer.pad_token_id == 0
    assert enc.encode_queries(["손해배상 청구"]).shape == (1, 32)


def test_same_arguments_give_the_same_model_and_fingerprint(tmp_path, tiny_dirs, roberta):
    again = build_tiny_model(tmp_path / "again", arch="roberta", texts=TEXTS)
    enc = load_encoder(again, precision="fp32")
    assert enc.fingerprint == roberta.fingerprint
    np.testing.assert_array_equal(enc.encode_passages(TEXTS[:3]), roberta.encode_passages(TEXTS[:3]))
    other = build_tiny_model(tmp_path / "other", arch="roberta", texts=TEXTS, seed=1)
    assert load_encoder(other).fingerprint != roberta.fingerprint


def test_saved_tokenizer_reloads_with_identical_ids(tiny_dirs):
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    d = tiny_dirs["roberta"]
    raw = Tokenizer.from_file(str(d / "tokenizer.json"))
    auto = AutoTokenizer.from_pretrained(str(d))
    for text in TEXTS + ["unseen 낱말 ＡＢＣ"]:
        assert auto(text)["input_ids"] == raw.encode(text).ids


def test_rebuild_replaces_the_directory_atomically(tmp_path):
    out = tmp_path / "m"
    build_tiny_model(out, texts=TEXTS[:4])
    (out / "stale.txt").write_text("old")
    build_tiny_model(out, texts=TEXTS[:4])
    assert not (out / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no temp dirs left behind
