"""Tiny random sentence encoders for tests: same file layout and loading path as the real models.

Every area's tests need *an* encoder, but never a download. :func:`build_tiny_model` writes, in about a second,
a local sentence-transformers directory (Transformer → mean Pooling → Normalize) around a randomly initialised
RoBERTa (the ``jhgan/ko-sroberta-multitask`` architecture: ``[CLS]=0 [PAD]=1 [SEP]=2``, position ids from 2)
or BERT with a WordPiece tokenizer learned from the given texts. Its ``query``/``passage`` prompts are stored in the
sentence-transformers config, exactly as for the real models, so ``load_encoder(<dir>)`` treats it like any other.

Usage::

    from legalret.models.tiny import build_tiny_model
    from legalret.models.encoder import load_encoder

    model_dir = build_tiny_model(tmp_path / "tiny", texts=["민법 제750조 불법행위", ...])
    enc = load_encoder(model_dir)
    enc.encode_passages(["제1조(목적) 이 법은 ..."]).shape   # (1, 32)

Weights are seeded, so the same arguments give the same weights (and the same encoder fingerprint).
Caching one build per test session is the caller's business (a session-scoped fixture).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Literal

#: Statute-like and everyday Korean text the tokenizer learns from when the caller gives none.
DEFAULT_TEXTS: tuple[str, ...] = (
    "제750조(불법행위의 내용) 고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 그 손해를 배상할 책임이 있다.",
    "제751조(재산 이외의 손해의 배상) ① 타인의 신체, 자유 또는 명예를 해하거나 기타 정신상 고통을 가한 자는 재산 이외의 손해에 대하여도 배상할 책임이 있다.",
    "제390조(채무불이행과 손해배상) 채무자가 채무의 내용에 좇은 이행을 하지 아니한 때에는 채권자는 손해배상을 청구할 수 있다.",
    "제103조(반사회질서의 법률행위) 선량한 풍속 기타 사회질서에 위반한 사항을 내용으로 하는 법률행위는 무효로 한다.",
    "제618조(임대차의 의의) 임대차는 당사자 일방이 상대방에게 목적물을 사용, 수익하게 할 것을 약정하고 상대방이 이에 대하여 차임을 지급할 것을 약정함으로써 그 효력이 생긴다.",
    "제1조(목적) 이 법은 상거래에서 발생하는 법률관계를 규율함을 목적으로 한다.",
    "제651조의2(서면에 의한 질문의 효력) 보험자가 서면으로 질문한 사항은 중요한 사항으로 추정한다.",
    "제382조(이사의 선임, 회사와의 관계 및 사외이사) ① 이사는 주주총회에서 선임한다.",
    "제2조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다. 1. \"근로자\"란 직업의 종류와 관계없이 임금을 목적으로 근로를 제공하는 사람을 말한다.",
    "제109조(착오로 인한 의사표시) ① 의사표시는 법률행위의 내용의 중요부분에 착오가 있는 때에는 취소할 수 있다.",
    "집주인이 전세 보증금을 돌려주지 않을 때 어떻게 해야 하나요?",
    "교통사고로 다쳤는데 보험회사가 치료비를 주지 않습니다.",
    "회사 이사가 회사 돈을 개인적으로 썼다면 책임을 물을 수 있나요?",
    "계약서에 서명했지만 중요한 내용을 잘못 알고 있었습니다.",
    "이웃집 개가 우리 아이를 물었습니다. 손해배상을 받을 수 있을까요?",
    "Article 750 of the Civil Act governs liability for unlawful acts.",
)

Arch = Literal["roberta", "bert"]


def build_tiny_model(
    out_dir: str | os.PathLike,
    arch: Arch = "roberta",
    texts: Iterable[str] | None = None,
    *,
    hidden_size: int = 32,
    num_layers: int = 2,
    num_heads: int = 2,
    vocab_size: int = 2000,
    max_seq_length: int = 128,
    query_prompt: str = "query: ",
    passage_prompt: str = "passage: ",
    seed: int = 0,
) -> Path:
    """Write a random ``arch`` sentence encoder to ``out_dir`` (replaced atomically) and return its path.

    ``texts`` train the WordPiece vocabulary (default: :data:`DEFAULT_TEXTS`); pass your fixture texts so that
    they tokenize into real pieces rather than ``[UNK]``.
    """
    import torch

    if arch not in ("roberta", "bert"):
        raise ValueError(f"arch must be 'roberta' or 'bert', not {arch!r}")
    texts = list(texts) if texts is not None else list(DEFAULT_TEXTS)
    # The prompts must tokenize into real pieces too, or "query: " and "passage: " both become [UNK] [UNK].
    texts += [p for p in (query_prompt, passage_prompt) if p.strip()]
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    # Seed everything, not just our model: reloading through AutoModel adds a (never used) pooler with fresh
    # random weights, which would otherwise change the saved file — and the fingerprint — on every build.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        try:
            _build(tmp, out_dir, arch, texts, hidden_size, num_layers, num_heads, vocab_size, max_seq_length,
                   query_prompt, passage_prompt, seed)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _build(tmp, out_dir, arch, texts, hidden_size, num_layers, num_heads, vocab_size, max_seq_length,
           query_prompt, passage_prompt, seed) -> None:
    """Tokenizer + random transformer → sentence-transformers dir in ``tmp``, then swapped into ``out_dir``."""
    from sentence_transformers import SentenceTransformer

    from legalret.models.hf import portable_tokenizer_config, quiet_transformers, st_modules

    Transformer, Pooling, Normalize = st_modules()
    hf_dir = tmp / "hf"
    tokenizer = _train_wordpiece(texts, arch, vocab_size, max_seq_length)
    tokenizer.save_pretrained(hf_dir)
    model = _random_model(arch, len(tokenizer), hidden_size, num_layers, num_heads, max_seq_length, tokenizer)
    with quiet_transformers():
        model.save_pretrained(hf_dir)

    with quiet_transformers():
        transformer = Transformer(str(hf_dir), max_seq_length=max_seq_length)
    pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    st = SentenceTransformer(
        modules=[transformer, pooling, Normalize()],
        # "document" too: sentence-transformers' encode_document() looks for it before "passage".
        prompts={"query": query_prompt, "passage": passage_prompt, "document": passage_prompt},
        device="cpu",
    )
    st_dir = tmp / "st"
    with quiet_transformers():
        st.save(str(st_dir))
    portable_tokenizer_config(st_dir)
    _write_legalret_meta(st_dir, arch=arch, seed=seed, texts=len(texts))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(st_dir, out_dir)


def _train_wordpiece(texts: list[str], arch: Arch, vocab_size: int, max_len: int):
    """A WordPiece tokenizer like klue/roberta-base's, its vocabulary learned from ``texts``.

    Normalisation keeps case and accents (stripping accents would decompose Hangul). The vocabulary is every
    character seen (word-initial and ``##`` continuation) plus the most frequent whole words, ties broken
    alphabetically — deterministic, unlike ``tokenizers``' WordPiece trainer, whose tie-breaking follows hash
    order and so gives a different vocabulary (and different embeddings) on every run.
    """
    from collections import Counter

    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    # klue/roberta-base order ([CLS]=0, [PAD]=1, [SEP]=2) for RoBERTa; the usual BERT order ([PAD]=0) otherwise.
    specials = ["[CLS]", "[PAD]", "[SEP]", "[UNK]", "[MASK]"] if arch == "roberta" else ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False)]
    )
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    words: Counter[str] = Counter()
    for text in texts:
        words.update(w for w, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    chars = sorted({c for w in words for c in w})
    pieces = specials + chars + ["##" + c for c in chars]
    budget = max(vocab_size - len(pieces), 0)
    frequent = [w for w, _ in sorted(words.items(), key=lambda wc: (-wc[1], wc[0])) if len(w) > 1][:budget]
    vocab = {piece: i for i, piece in enumerate(pieces + frequent)}

    tok = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]", continuing_subword_prefix="##", max_input_chars_per_word=100))
    tok.normalizer, tok.pre_tokenizer, tok.decoder = normalizer, pre_tokenizer, decoders.WordPiece()
    cls_id, sep_id = vocab["[CLS]"], vocab["[SEP]"]
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]", unk_token="[UNK]", mask_token="[MASK]",
        model_max_length=max_len,
    )


def _random_model(arch: Arch, vocab: int, hidden: int, layers: int, heads: int, max_len: int, tokenizer):
    from transformers import BertConfig, BertModel, RobertaConfig, RobertaModel

    common = dict(
        vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
        intermediate_size=hidden * 4, hidden_act="gelu", pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.cls_token_id, eos_token_id=tokenizer.sep_token_id,
    )
    if arch == "roberta":
        # RoBERTa numbers positions from padding_idx + 1, so it needs 2 rows beyond the longest sequence.
        config = RobertaConfig(max_position_embeddings=max_len + tokenizer.pad_token_id + 1, type_vocab_size=1, **common)
        return RobertaModel(config, add_pooling_layer=False)
    config = BertConfig(max_position_embeddings=max_len, type_vocab_size=2, **common)
    return BertModel(config, add_pooling_layer=False)


def _write_legalret_meta(st_dir: Path, **info) -> None:
    """A small provenance note beside the model (what built it and how); loading never depends on it."""
    (st_dir / "legalret_model.json").write_text(json.dumps({"builder": "legalret.models.tiny", **info}, ensure_ascii=False, indent=2) + "\n")
