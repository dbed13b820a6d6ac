"""ONNX query encoder: same vectors as the torch encoder, found by fingerprint, loaded without torch."""

import json
import subprocess
import sys

import numpy as np
import pytest

from legalret.errors import ModelError
from legalret.models.onnx import (
    CONFIG_NAME,
    EMBEDS_INPUT,
    EXPORT_VERSION,
    WORD_EMBEDDINGS,
    CompactUnigram,
    OnnxQueryEncoder,
    export_dir_name,
    export_onnx,
    find_export,
)

QUERIES = [
    "유치권 간접점유",
    "  집주인이 전세 보증금을 돌려주지 않을 때 어떻게 해야 하나요? ",
    "민법 제750조",
    "",
    "😀!!",
    "이웃집 개가 우리 아이를 물었습니다. " * 60,  # longer than the model's limit: truncated like transformers
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from legalret.models.encoder import load_encoder
    from legalret.models.tiny import build_tiny_model

    d = build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny")
    enc = load_encoder(str(d), precision="fp32", device="cpu", passage_max_tokens=16)
    root = tmp_path_factory.mktemp("onnx")
    return enc, root, export_onnx(enc, quantize=True, root=root)


def _cos(a, b):
    return (a * b).sum(axis=1)


def test_tiny_export_matches_torch(tiny):
    enc, root, path = tiny
    assert find_export(enc.fingerprint, root=root) == path
    onnx = OnnxQueryEncoder.load(path)
    assert onnx.fingerprint == enc.fingerprint and onnx.dim == enc.dim
    q = onnx.encode_queries(QUERIES)
    assert q.dtype == np.float32 and q.shape == (len(QUERIES), enc.dim)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert _cos(q, enc.encode_queries(QUERIES)).min() >= 0.999
    # batching (padding) does not change a vector
    single = np.concatenate([onnx.encode_queries([t]) for t in QUERIES])
    assert _cos(q, single).min() >= 0.99999
    # passages: the passage prompt and the passage cut, as the index encoded them
    passages = ["제750조(불법행위의 내용) 고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 그 손해를 배상할 책임이 있다."]
    assert _cos(onnx.encode_passages(passages), enc.encode_passages(passages)).min() >= 0.999
    assert onnx.encode_queries([]).shape == (0, enc.dim)
    with pytest.raises(TypeError):
        onnx.encode_queries([3])


def test_word_embeddings_live_outside_the_graph(tiny):
    """The lookup is cut out of the graph: the table is a memory-mapped .npy, the graph starts at inputs_embeds."""
    import onnx as onnx_lib

    enc, _, path = tiny
    config = json.loads((path / CONFIG_NAME).read_text())
    assert config["version"] == EXPORT_VERSION and config["word_embeddings"] == WORD_EMBEDDINGS
    loaded = OnnxQueryEncoder.load(path)
    assert loaded.word_embeddings.shape[1] == enc.dim
    assert EMBEDS_INPUT in {i.name for i in loaded.session.get_inputs()}
    weight = enc.model[0].auto_model.get_input_embeddings().weight.detach().float().numpy()
    np.testing.assert_array_equal(np.load(path / WORD_EMBEDDINGS), weight)
    ids = np.array([[0, 5, 5, weight.shape[0] - 1], [3, 2, 1, 0]])
    np.testing.assert_array_equal(loaded.word_embeddings.take(ids), weight[ids])  # rows read on demand
    with pytest.raises(ModelError, match="outside the table"):
        loaded.word_embeddings.take(np.array([weight.shape[0]]))
    graph = onnx_lib.load(str(path / "model.onnx")).graph
    assert not any(tuple(i.dims) == weight.shape for i in graph.initializer)
    # the int8 variant shares the table
    assert OnnxQueryEncoder.load(path, variant="int8").word_embeddings.shape == weight.shape


def _as_version_1(enc, root):
    """An export in the version-1 layout (word embeddings inside the graph), as older releases wrote it."""
    from legalret.models.onnx import _export_graph, _st_parts

    out = root / export_dir_name(enc.fingerprint)
    out.mkdir(parents=True)
    transformer, _ = _st_parts(enc.model)
    _export_graph(transformer.auto_model, transformer.tokenizer, ["input_ids", "attention_mask"], out / "model.onnx")
    transformer.tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))
    config = {
        "version": 1, "fingerprint": enc.fingerprint, "spec": enc.spec.name, "dim": enc.dim,
        "query_prompt": enc.spec.query_prompt, "passage_prompt": enc.spec.passage_prompt,
        "max_seq_length": enc.max_seq_length, "passage_max_tokens": enc.passage_max_tokens, "pooling": "mean",
        "include_prompt": True, "pad_token_id": transformer.tokenizer.pad_token_id, "pad_token": "[PAD]",
        "do_lower_case": False, "input_names": ["input_ids", "attention_mask"], "models": {"fp32": "model.onnx"},
    }
    (out / CONFIG_NAME).write_text(json.dumps(config))
    return out


def test_version_1_export_is_upgraded_on_load(tiny, tmp_path):
    enc = tiny[0]
    old = _as_version_1(enc, tmp_path)
    assert find_export(enc.fingerprint, root=tmp_path) == old  # still found: searches keep using it
    loaded = OnnxQueryEncoder.load(old)  # split in place (in a child process), then loaded
    assert json.loads((old / CONFIG_NAME).read_text())["version"] == EXPORT_VERSION
    assert (old / WORD_EMBEDDINGS).is_file() and loaded.word_embeddings is not None
    assert _cos(loaded.encode_queries(QUERIES), enc.encode_queries(QUERIES)).min() >= 0.999
    assert [p.name for p in tmp_path.iterdir()] == [old.name]  # no temp folders left


def test_version_1_export_works_as_is_when_it_cannot_be_upgraded(tiny, tmp_path, monkeypatch):
    import legalret.models.onnx as onnx_mod

    enc, _, _ = tiny
    old = _as_version_1(enc, tmp_path)
    monkeypatch.setattr(onnx_mod, "_upgrade_in_child", lambda path: False)  # e.g. a read-only models folder
    loaded = OnnxQueryEncoder.load(old)
    assert loaded.word_embeddings is None and json.loads((old / CONFIG_NAME).read_text())["version"] == 1
    assert _cos(loaded.encode_queries(QUERIES), enc.encode_queries(QUERIES)).min() >= 0.999


def _unigram_tokenizer_json(tmp_path, texts=None, vocab_size=300):
    """A SentencePiece-style Unigram tokenizer (XLM-R layout: NFKC-like normaliser, Metaspace, <s> … </s>)
    trained on Korean statute text (or ``texts``): what me5-small's tokenizer looks like, small."""
    from tokenizers import (
        Tokenizer,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )

    from legalret.models.tiny import DEFAULT_TEXTS

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(" {2,}", " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=specials, unk_token="<unk>")
    tok.train_from_iterator(list(texts or DEFAULT_TEXTS) * 3, trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    return path


def test_compact_unigram_gives_the_same_ids_as_tokenizers(tmp_path):
    from tokenizers import Tokenizer

    path = _unigram_tokenizer_json(tmp_path)
    reference = Tokenizer.from_file(str(path))
    cache = path.parent / CompactUnigram.CACHE_NAME
    texts = QUERIES + [
        "제750조(불법행위의 내용) 고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 그 손해를 배상할 책임이 있다.",
        "<s>민법</s> 안의 특수 토큰", "ＡＢＣ① 전각 문자", "\t탭과\n줄바꿈   여러  칸", "丁은 乙에게 Ǆ ㄱㄴㄷ \u200b", "query: ",
    ]
    for source in ("tokenizer.json", "the cache written beside it", "tokenizer.json again (a damaged cache)"):
        if source.endswith("(a damaged cache)"):
            cache.write_bytes(cache.read_bytes()[:100])
        compact = CompactUnigram.from_json(path, 32)
        assert compact is not None and cache.is_file(), source
        for limit in (32, 8, 512):
            reference.enable_truncation(limit)
            for text in texts:
                for prompt in ("query: ", "passage: ", ""):
                    assert compact.encode(prompt + text, limit).ids == reference.encode(prompt + text).ids, (source, limit, prompt + text)
    # the batch form the encoder uses, and what it reads from an encoding
    got = compact.encode_batch(texts, 32)
    assert [e.ids for e in got] == [compact.encode(t, 32).ids for t in texts] and got[0].type_ids == [0] * len(got[0].ids)


def test_compact_unigram_gives_the_same_ids_on_the_benchmark_questions(tmp_path):
    """Every dev question (benchmarks/queries), with a vocabulary trained on half of them (so pieces of up to
    16 characters, and unknown characters in the other half), and odd inputs: the ids of tokenizers itself."""
    from pathlib import Path

    from tokenizers import Tokenizer

    queries = [json.loads(line)["query"] for f in sorted((Path(__file__).parent.parent / "benchmarks" / "queries").glob("*.jsonl"))
               for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(queries) >= 700
    path = _unigram_tokenizer_json(tmp_path, texts=queries[::2], vocab_size=3000)
    compact = CompactUnigram.from_json(path, 512)
    assert compact is not None and compact._pieces.longest >= 8
    reference = Tokenizer.from_file(str(path))
    odd = ["", " ", "Latin only, Punctuation!?", "1234567890 0.5% ①②③", "😀🎉👍🏽 이모지", "\x00널\x00", "가" * 3000,
           "민법 제750조 " * 300, "\U0010FFFE\U0001F600", "▁▁▁▁ ▁"]
    for limit in (512, 16):
        reference.enable_truncation(limit)
        for text in queries + odd:
            assert compact.encode("query: " + text, limit).ids == reference.encode("query: " + text).ids, (limit, text)


def test_compact_unigram_cache_follows_its_tokenizer_json(tmp_path):
    """A cache made from another tokenizer.json (here: the file replaced by a smaller vocabulary) is not read."""
    from tokenizers import Tokenizer

    path = _unigram_tokenizer_json(tmp_path)
    first = CompactUnigram.from_json(path, 32)
    spec = json.loads(path.read_text(encoding="utf-8"))
    spec["model"]["vocab"] = spec["model"]["vocab"][:120]
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    second = CompactUnigram.from_json(path, 32)
    reference = Tokenizer.from_file(str(path))
    reference.enable_truncation(32)
    assert len(second._pieces) == 120 < len(first._pieces)
    for text in QUERIES:
        assert second.encode(text, 32).ids == reference.encode(text).ids


def test_compact_unigram_declines_other_tokenizers(tiny):
    _, _, path = tiny  # the tiny model's tokenizer is WordPiece: tokenizers itself is used
    assert CompactUnigram.from_json(path / "tokenizer.json", 16) is None
    assert not isinstance(OnnxQueryEncoder.load(path).tokenizer, CompactUnigram)


def test_int8_variant_loads_and_is_close(tiny):
    enc, _, path = tiny
    int8 = OnnxQueryEncoder.load(path, variant="int8")
    assert int8.variant == "int8"
    assert _cos(int8.encode_queries(QUERIES[:3]), enc.encode_queries(QUERIES[:3])).min() >= 0.95


def test_find_export_is_keyed_by_fingerprint_and_default_root(tiny, tmp_path, monkeypatch):
    enc, root, path = tiny
    assert find_export(enc.fingerprint + "+other", root=root) is None
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path))
    assert find_export(enc.fingerprint) is None
    out = export_onnx(enc)  # default root: $LEGALRET_HOME/models/onnx
    assert out == tmp_path / "models" / "onnx" / export_dir_name(enc.fingerprint)
    assert find_export(enc.fingerprint) == out
    assert json.loads((out / CONFIG_NAME).read_text())["models"] == {"fp32": "model.onnx"}
    with pytest.raises(ModelError, match="no 'int8' model"):
        OnnxQueryEncoder.load(out, variant="int8")
    # re-export in place (now with int8): replaced whole, no temp folders left
    export_onnx(enc, quantize=True)
    assert OnnxQueryEncoder.load(out, variant="int8").fingerprint == enc.fingerprint
    assert [p.name for p in out.parent.iterdir()] == [out.name]
    # a complete export is reused, not rewritten (index builds call this every time); force rewrites it
    stamp = (out / "model.onnx").stat().st_mtime_ns
    assert export_onnx(enc, quantize=True) == out and (out / "model.onnx").stat().st_mtime_ns == stamp
    assert export_onnx(enc, force=True) == out and (out / "model.onnx").stat().st_mtime_ns != stamp
    # a half-written export (no model file) is not found
    (out / "model.onnx").unlink()
    assert find_export(enc.fingerprint) is None


def test_not_an_export(tmp_path):
    with pytest.raises(ModelError, match="not an ONNX export"):
        OnnxQueryEncoder.load(tmp_path)
    assert export_dir_name("bundled:me5-small@ab+adapter:cd").startswith("bundled_me5-small_ab_adapter_cd-")


def test_loading_imports_no_torch(tiny):
    _, _, path = tiny
    code = (
        "import sys\n"
        "from legalret.models.onnx import OnnxQueryEncoder\n"
        f"q = OnnxQueryEncoder.load({str(path)!r}).encode_queries(['유치권 간접점유'])\n"
        "assert q.shape[0] == 1\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers', 'peft') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


@pytest.mark.slow
def test_bundled_me5_small_matches_torch(tmp_path):
    from legalret.models.encoder import load_encoder

    enc = load_encoder("bundled:me5-small", precision="fp32", device="cpu")
    path = export_onnx(enc, root=tmp_path)
    # Not one batch of all six: that padded each query to the long one's 512 tokens, on either side (~5 s of six
    # times the work, and most of the encoding here). The short ones still make a padded batch; the long one is
    # truncated alone.
    onnx = OnnxQueryEncoder.load(path)
    for texts in (QUERIES[:-1], QUERIES[-1:]):
        assert _cos(onnx.encode_queries(texts), enc.encode_queries(texts)).min() >= 0.999


def test_recorded_query_variant_is_served_by_default(tiny, tmp_path, monkeypatch):
    """set_query_variant quantizes into the export (nbits8: blockwise int8) and records it; load() without a
    variant serves it on CPUs with int8 dot products (fp32 elsewhere), $LEGALRET_QUERY_VARIANT overrides it,
    an export without a record stays fp32."""
    import shutil

    import legalret.hardware
    from legalret.models.onnx import QUERY_VARIANT_ENV, set_query_variant

    enc, _, path = tiny
    out = tmp_path / path.name
    shutil.copytree(path, out)
    monkeypatch.delenv(QUERY_VARIANT_ENV, raising=False)
    monkeypatch.setattr(legalret.hardware, "cpu_has_int8_dot", lambda: True)  # the same on every CI machine
    assert OnnxQueryEncoder.load(out).variant == "fp32"
    set_query_variant(out, "nbits8")
    config = json.loads((out / CONFIG_NAME).read_text())
    assert config["query_variant"] == "nbits8" and config["models"]["nbits8"] == "model.nbits8.onnx"
    assert config["models"]["int8"] == "model.int8.onnx" and not [p for p in out.iterdir() if p.name.startswith(".")]
    served = OnnxQueryEncoder.load(out)
    assert served.variant == "nbits8" and served.fingerprint == enc.fingerprint
    fp32 = OnnxQueryEncoder.load(out, variant="fp32").encode_queries(QUERIES[:3])
    assert _cos(served.encode_queries(QUERIES[:3]), fp32).min() >= 0.99
    # an AVX2-only CPU (no VNNI/AMX: the quantized kernels there were never measured) serves fp32 …
    monkeypatch.setattr(legalret.hardware, "cpu_has_int8_dot", lambda: False)
    assert OnnxQueryEncoder.load(out).variant == "fp32"
    monkeypatch.setenv(QUERY_VARIANT_ENV, "nbits8")  # … unless asked for
    assert OnnxQueryEncoder.load(out).variant == "nbits8"
    monkeypatch.setenv(QUERY_VARIANT_ENV, "fp32")
    assert OnnxQueryEncoder.load(out).variant == "fp32"
    monkeypatch.setenv(QUERY_VARIANT_ENV, "int8")
    assert OnnxQueryEncoder.load(out).variant == "int8"
    (out / "model.int8.onnx").unlink()  # a recorded or requested default that is missing falls back to fp32
    assert OnnxQueryEncoder.load(out).variant == "fp32"
    monkeypatch.setenv(QUERY_VARIANT_ENV, "int4")  # a name that is no query model is said, not served as fp32
    with pytest.raises(ModelError, match="LEGALRET_QUERY_VARIANT='int4': not a query model; choose fp32, int8, nbits8"):
        OnnxQueryEncoder.load(out)
    with pytest.raises(ModelError, match="unknown quantized ONNX variant"):
        set_query_variant(out, "int4")
