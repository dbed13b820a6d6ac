"""The prepared GPU run on CPU with a tiny model: gpu_prepare on a tiny index, then gpu_run with --limit.

What a lent accelerator would run, end to end, in a few minutes on one thread: the prepared file holds both
negative sources and says which is which; mining the default resumes; the run's outputs are the few files a
lent machine returns, they load (adapter onto its base, cross-encoder adapter, vectors) and score; the
ONNX exports rebuilt from them with --export-only load in ONNX Runtime and score.
"""

from __future__ import annotations

import json
import sys
import tarfile
from datetime import date
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret import pipeline  # noqa: E402
from legalret.errors import LegalretError  # noqa: E402
from legalret.models.tiny import build_tiny_model  # noqa: E402
from legalret.train import gpu_prepare, gpu_run  # noqa: E402

PRECEDENTS = [
    {"case_no": "2019다1001", "decided": date(2019, 3, 1), "source": "fixture",
     "holdings": [{"index": 1, "text": "임차인이 임차목적물을 반환할 때까지 보증금 반환을 거절할 수 있는지 여부", "keys": ["민법 제618조"]}]},
    {"case_no": "2017다3003", "decided": date(2017, 1, 9), "source": "fixture",
     "holdings": [{"index": 1, "text": "보험계약자의 고지의무 위반을 이유로 보험자가 계약을 해지할 수 있는 기간", "keys": ["상법 제651조"]}]},
]


def _write_pairs(out: Path) -> Path:
    """A `legalret pairs` folder over the index fixture's live articles: 3 train holdings per article (before
    2020, distinct cases) and one dev holding per article (2021)."""
    live = [a for a in sup.articles() if not a.deleted]
    out.mkdir(parents=True, exist_ok=True)
    train, dev, dev_queries = [], [], []
    for i, a in enumerate(live):
        words = a.index_text().split()
        for j in range(3):
            qid = f"prec-{i}-{j}"
            query = " ".join(words[j * 3 : j * 3 + 6]) + f" 에 관한 판단 {j}"
            train.append({"qid": qid, "query": query, "positive": a.index_text(), "key": a.key, "gold": [a.key],
                          "decided": f"201{j}-03-0{1 + i % 9}", "case_no": f"2015다{100 * i + j}"})
        qid = f"dev-{i}"
        query = " ".join(words[1:7]) + " 관련 분쟁"
        dev.append({"qid": qid, "query": query, "positive": a.index_text(), "key": a.key, "decided": "2021-05-01",
                    "case_no": f"2021다{i}"})
        dev_queries.append({"qid": qid, "query": query, "gold": [a.key], "case_no": f"2021다{i}", "decided": "2021-05-01"})
    for name, rows in (("train.jsonl", train), ("dev.jsonl", dev), ("dev_queries.jsonl", dev_queries)):
        (out / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("gpu")


@pytest.fixture(scope="module")
def prepared(work) -> Path:
    index = work / "idx"
    pipeline.build(sup.articles(), index, encoder=sup.tiny_encoder(), precedents=PRECEDENTS)
    pairs = _write_pairs(work / "pairs")
    questions = work / "questions.jsonl"
    questions.write_text(json.dumps({"qid": "user-1", "query": "보증금을 돌려받지 못한 임차인", "gold": ["민법 제618조"],
                                     "style": "short", "split": "tune"}, ensure_ascii=False) + "\n"
                         + json.dumps({"qid": "user-2", "query": "보고용", "gold": ["민법 제618조"], "style": "short",
                                       "split": "report"}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = work / "inputs.zip"
    summary = gpu_prepare.prepare(index, pairs, out, negatives=["default", "bm25"], default_sample=6,
                                  questions=questions, with_base=False)
    assert summary["negatives_by_source"]["default"] == 6
    return out


def test_prepared_file_records_each_negative_source(prepared, work):
    data = gpu_prepare.read_inputs(prepared)
    sources = {m["source"] for m in data["negatives"].values()}
    assert sources == {"default", "bm25"}
    # every queried train holding has negatives, none of them gold; every named key has its text
    gold = {}
    for qid, key, decided, _ in data["train"]:
        gold.setdefault(qid, set()).add(key)
        assert decided < "2020-01-01"
    for qid, m in data["negatives"].items():
        assert not set(m["keys"]) & gold.get(qid, set())
        assert all(k in data["articles"] for k in m["keys"])
    # the CE set: the tune question (not the report one) and the holdings; dev candidates include gold
    assert [q["qid"] for q in data["ce_train"] if q["kind"].startswith("question")] == ["user-1"]
    assert data["dev"] and all(data["dev_candidates"][q["qid"]]["keys"] for q in data["dev"])
    assert len(data["corpus"]) == len([a for a in sup.articles() if not a.deleted])
    # the default's lists went to the resumable side file as they were mined
    sidecar = prepared.with_name(prepared.name + ".default-mined.jsonl")
    assert len(sidecar.read_text(encoding="utf-8").splitlines()) == 6


def test_mining_the_default_resumes(prepared, work, capsys):
    from legalret.search.searcher import Searcher

    sidecar = prepared.with_name(prepared.name + ".default-mined.jsonl")
    before = sidecar.read_text(encoding="utf-8")
    done = {json.loads(line)["qid"] for line in before.splitlines()}
    calls = []
    searcher = Searcher(work / "idx")
    original = searcher.search_batch
    searcher.search_batch = lambda queries, **kw: calls.append(len(queries)) or original(queries, **kw)
    queries = [{"qid": qid, "query": "임차인 보증금", "gold": []} for qid in sorted(done)]
    queries.append({"qid": "new-one", "query": "보험 고지의무", "gold": []})
    mined = gpu_prepare.mine_default(searcher, queries, sidecar)
    assert calls == [1] and set(mined) == done | {"new-one"}
    assert sidecar.read_text(encoding="utf-8").startswith(before)


def test_bad_input_file_is_a_one_line_error(tmp_path):
    bad = tmp_path / "x.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(LegalretError, match="x.zip"):
        gpu_prepare.read_inputs(bad)


@pytest.fixture(scope="module")
def run_out(prepared, work):
    base = build_tiny_model(work / "tiny-bert", arch="bert", texts=[a.index_text() for a in sup.articles()] * 2)
    out = work / "out"
    code = gpu_run.main(["--inputs", str(prepared), "--out", str(out), "--work", str(work / "run"), "--base", str(base),
                         "--limit", "24", "--batch-size", "4", "--ce-batch-size", "8", "--max-seq-length", "64",
                         "--lora-minutes", "0", "--ce-minutes", "0", "--dev-queries", "0", "--int8-queries", "0",
                         "--top-ns", "5,10", "--threads", "1"])
    assert code == 0
    return out, base


def test_run_returns_few_small_files_that_load_and_score(run_out, work, prepared):
    out, base = run_out
    names = sorted(p.name for p in out.iterdir())
    assert names == ["corpus_vectors.npy", "cross_encoder_adapter.tar", "lora_adapter.tar", "run_card.json"]
    assert all(p.stat().st_size < 16 * 2**20 for p in out.iterdir())  # what a lent machine sends back
    card = json.loads((out / "run_card.json").read_text(encoding="utf-8"))
    enc, ce = card["encoder"], card["cross_encoder"]
    assert enc["stage"]["train_pairs"] == 24 and enc["stage"]["pairs_per_second"] > 0
    assert set(enc["stage"]["negatives_by_source"]) <= {"default", "bm25", "None"}
    assert ce["stage"]["data"]["rows"] > 0 and ce["stage"]["pairs_per_second"] > 0
    assert {"first_stage", "top5", "top10"} <= set(ce["stage"]["dev"])
    assert card["hardware"]["cpu_count"] and card["wall_seconds"] > 0
    # the vectors: one unit row per corpus key
    vectors = np.load(out / "corpus_vectors.npy").astype(np.float32)
    assert vectors.shape[0] == len(card["corpus_keys"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-2)
    # the encoder's adapter attaches to its base and gives those vectors again
    from legalret.models.encoder import load_encoder

    with tarfile.open(out / "lora_adapter.tar") as tar:
        tar.extractall(work / "unpacked", filter="data")
    encoder = load_encoder(str(base), adapter=work / "unpacked" / "lora_adapter", precision="fp32", device="cpu")
    data = gpu_prepare.read_inputs(prepared)
    again = encoder.encode_passages([data["articles"][k] for k in card["corpus_keys"][:3]])
    assert np.allclose(again, vectors[:3], atol=2e-3)
    # the ONNX exports (made in the work folder) load and score; int8 decisions recorded
    from legalret.models.cross_encoder import OnnxCrossEncoder
    from legalret.models.onnx import OnnxQueryEncoder

    assert enc["onnx"]["query_variant"] in ("fp32", "int8", "nbits8")
    q = OnnxQueryEncoder.load(enc["onnx"]["path"], variant="fp32").encode_queries(["임차인 보증금"])
    assert q.shape == (1, vectors.shape[1])
    scorer = OnnxCrossEncoder.load(ce["onnx"]["path"], variant=ce["onnx"]["recommended_variant"])
    scores = scorer.rescore("임차인 보증금", [("a", data["articles"][card["corpus_keys"][0]]), ("b", "무관한 글")])
    assert scores.shape == (2,) and np.isfinite(scores).all()


def test_export_only_rebuilds_the_exports_from_what_came_back(run_out, work, prepared):
    out, base = run_out
    again = work / "again"
    code = gpu_run.main(["--inputs", str(prepared), "--out", str(again), "--work", str(work / "again-work"),
                         "--base", str(base), "--export-only", "--from", str(out), "--dev-queries", "0",
                         "--int8-queries", "0", "--max-seq-length", "64"])
    assert code == 0
    card = json.loads((again / "run_card.json").read_text(encoding="utf-8"))
    first = json.loads((out / "run_card.json").read_text(encoding="utf-8"))
    # the same adapter → the same encoder fingerprint; the same cross-encoder dev scores in ONNX
    assert card["encoder"]["onnx"]["fingerprint"] == first["encoder"]["onnx"]["fingerprint"]
    assert card["cross_encoder"]["onnx"]["dev"]["fp32"] == pytest.approx(first["cross_encoder"]["onnx"]["dev"]["fp32"])


def test_gpu_train_script_names_a_missing_input_file(tmp_path):
    import os
    import subprocess

    script = Path(__file__).resolve().parents[1] / "scripts" / "gpu_train.sh"
    env = dict(os.environ, OUT=str(tmp_path / "out"), INPUTS=str(tmp_path / "none.zip"))
    done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
    assert done.returncode == 2
    assert "none.zip: no prepared input file" in done.stderr
