"""Query adapters: files round trip, queries change and passages do not, indexes record and apply them, training moves
recall (all on the tiny fixture encoder; the real numbers live in experiments/query_adapter.py)."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup

from legalret.errors import IndexError_, ModelError, SourceError
from legalret.index import build_index, load_index
from legalret.index.build import load_index_encoder, load_query_encoder
from legalret.models.adapter import adapter_kind, attach_adapter
from legalret.models.query_adapter import (
    FORMAT,
    WEIGHTS_NAME,
    AdaptedQueryEncoder,
    QueryAdapter,
    QueryAdapterCard,
    wrap_query_encoder,
)

QUERIES = ["남의 개에 물렸을 때 손해배상", "점유자의 권리 추정", "보험계약의 해지", "이사의 선임"]


def _adapter(enc, weight, tmp_path, name="qa") -> QueryAdapter:
    card = QueryAdapterCard(name=name, base={"spec": enc.spec.name, "fingerprint": enc.fingerprint}, dim=enc.dim,
                            data={"train_queries": 0})
    qa = QueryAdapter(weight, card)
    qa.save(tmp_path / name)
    return QueryAdapter.load(tmp_path / name)


def _rotation(dim: int, seed: int = 0) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return q.astype(np.float32)


def test_save_load_round_trip_and_integrity(tmp_path):
    enc = sup.tiny_encoder()
    W = _rotation(enc.dim)
    qa = _adapter(enc, W, tmp_path)
    assert np.array_equal(qa.weight, W) and qa.fingerprint.startswith("qmap-")
    card = json.loads((tmp_path / "qa" / "legalret_adapter.json").read_text(encoding="utf-8"))
    assert card["format"] == FORMAT and card == qa.card.to_dict()
    assert adapter_kind(tmp_path / "qa") == "query"
    assert (tmp_path / "qa" / "README.md").read_text(encoding="utf-8").startswith("# qa")
    # a LoRA loader refuses it by its format, with a pointer to the right use
    with pytest.raises(ModelError, match="query adapter"):
        attach_adapter(enc.model, tmp_path / "qa", enc.spec.name)
    # edited weights are caught by the card's fingerprint
    np.save(tmp_path / "qa" / WEIGHTS_NAME, W * 2)
    with pytest.raises(ModelError, match="fingerprint"):
        QueryAdapter.load(tmp_path / "qa")
    # a card of another format is refused, naming the file
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "legalret_adapter.json").write_text(json.dumps({"format": "nope", "base": {"spec": "x"}}))
    with pytest.raises(ModelError, match="legalret_adapter.json"):
        QueryAdapter.load(tmp_path / "bad")
    with pytest.raises(ModelError, match="unknown adapter format"):
        adapter_kind(tmp_path / "bad")


def test_queries_change_passages_do_not(tmp_path):
    enc = sup.tiny_encoder()
    qa = _adapter(enc, _rotation(enc.dim, 1), tmp_path)
    wrapped = wrap_query_encoder(enc, qa)
    base_q, q = enc.encode_queries(QUERIES), wrapped.encode_queries(QUERIES)
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(q, base_q, atol=1e-3)
    assert np.allclose(q, qa.apply(base_q), atol=1e-6)
    texts = [a.index_text() for a in sup.articles()[:4]]
    assert np.array_equal(wrapped.encode_passages(texts), enc.encode_passages(texts))
    assert wrapped.fingerprint == enc.fingerprint and wrapped.dim == enc.dim
    assert wrap_query_encoder(wrapped, qa) is wrapped  # idempotent: never mapped twice
    # a map made for another base is refused
    other = QueryAdapterCard(name="o", base={"spec": "x", "fingerprint": "other@123"}, dim=enc.dim)
    with pytest.raises(ModelError, match="other@123"):
        AdaptedQueryEncoder(enc, QueryAdapter(np.eye(enc.dim), other))


def test_index_records_query_adapter_and_searches_with_it(tmp_path):
    enc = sup.tiny_encoder()
    # W = -I turns the dense ranking upside down: unmistakable in a search
    qa = _adapter(enc, -np.eye(enc.dim, dtype=np.float32), tmp_path)
    idx = tmp_path / "idx"
    build_index(sup.articles(), idx, model=str(sup.tiny_model_dir()), adapter=tmp_path / "qa", precision="fp32")
    data = load_index(idx)
    info = data.manifest["encoder"]
    assert info["adapter"] is None  # passages: the base encoder
    assert info["query_adapter"]["fingerprint"] == qa.fingerprint
    assert info["fingerprint"] == enc.fingerprint + "+passage-tokens:128" or info["fingerprint"].startswith(enc.fingerprint)
    from typer.testing import CliRunner

    from legalret.cli import app

    shown = CliRunner().invoke(app, ["index", "info", "--index", str(idx)], env={"COLUMNS": "300"})
    assert shown.exit_code == 0 and f"query adapter qa ({qa.fingerprint})" in shown.output, shown.output  # (it said none)
    base_vectors = np.array(data.dense.vectors)
    plain = tmp_path / "plain"
    build_index(sup.articles(), plain, encoder=enc)
    assert np.allclose(np.array(load_index(plain).dense.vectors), base_vectors, atol=1e-5)  # same passages

    qenc = load_query_encoder(info, where=idx)
    assert isinstance(qenc, AdaptedQueryEncoder)
    assert not isinstance(load_index_encoder(info, where=idx), AdaptedQueryEncoder)  # passages stay base
    scores_base = base_vectors @ qenc.base.encode_queries(QUERIES[0])[0]
    scores = base_vectors @ qenc.encode_queries(QUERIES[0])[0]
    assert int(np.argmax(scores)) == int(np.argmin(scores_base))

    # the searcher, given the query encoder, ranks with the map
    from legalret.search.searcher import Searcher

    s = Searcher(idx, encoder=qenc, memory=False)
    top = s.search(QUERIES[0], k=1, mode="dense").keys[0]
    rows = [data.keys[i] for i in data.rows]
    assert top == rows[int(np.argmax(scores))]

    # a different query adapter for that index is refused; the recorded one is accepted
    other = _adapter(enc, _rotation(enc.dim, 2), tmp_path, name="other")
    with pytest.raises(IndexError_, match="query adapter mismatch"):
        load_index_encoder(info, adapter=tmp_path / "other", where=idx)
    assert load_index_encoder(info, adapter=tmp_path / "qa", where=idx).fingerprint == info["fingerprint"]
    # a moved adapter is a clear error
    (tmp_path / "qa").rename(tmp_path / "gone")
    with pytest.raises(IndexError_, match="no longer exists"):
        load_query_encoder(info, where=idx)
    del other


def test_searcher_loads_query_adapter_from_manifest(tmp_path):
    from legalret.search.searcher import Searcher

    enc = sup.tiny_encoder()
    _adapter(enc, -np.eye(enc.dim, dtype=np.float32), tmp_path)
    idx = tmp_path / "idx"
    build_index(sup.articles(), idx, model=str(sup.tiny_model_dir()), adapter=tmp_path / "qa", precision="fp32")
    assert isinstance(Searcher(idx, memory=False).encoder, AdaptedQueryEncoder)


def _write_queries(path: Path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_tiny_training_run_moves_recall(tmp_path):
    from legalret.train.query_adapter import QueryAdapterConfig, train_query_adapter

    enc = sup.tiny_encoder()
    idx = tmp_path / "idx"
    build_index(sup.articles(), idx, encoder=enc)
    arts = [a for a in sup.articles() if not a.deleted]
    rows, dev = [], []
    for i, a in enumerate(arts):
        words = a.index_text().split()
        for j in range(0, min(len(words), 40), 4):  # word windows of each article: the query names its article
            rows.append({"qid": f"t{i}-{j}", "query": " ".join(words[j:j + 6]), "gold": [a.key], "date": "2010-01-01"})
        dev.append({"qid": f"d{i}", "query": " ".join(words[2:8]), "gold": [a.key], "date": "2021-01-01"})
    _write_queries(tmp_path / "train.jsonl", rows)
    _write_queries(tmp_path / "dev.jsonl", dev)
    cfg = QueryAdapterConfig(queries=tmp_path / "train.jsonl", index=idx, out=tmp_path / "out", cache=tmp_path / "cache",
                             epochs=60, lr=2e-2, l2=0.0, batch_size=32, alpha=1.0, dev_queries=tmp_path / "dev.jsonl",
                             force=True)  # (a fixture's few dozen pairs: below the minimum, on purpose)
    result = train_query_adapter(cfg, encoder=enc, log=lambda m: None)
    fit = result.card.dev_metrics["train (fit on these)"]
    assert fit["adapted"]["mrr@10"] > fit["base"]["mrr@10"] + 0.05
    assert result.losses[-1] < result.losses[0]
    assert result.card.data["train_queries"] == len(rows) and result.card.data["train_pairs"] == len(rows)
    assert result.card.timing["encoded_queries"] == len({r["query"] for r in rows})  # each distinct text once
    assert QueryAdapter.load(tmp_path / "out").fingerprint == result.card.fingerprint
    # the cache spares the second run every encode
    cfg.out = tmp_path / "out2"
    again = train_query_adapter(cfg, encoder=enc, log=lambda m: None)
    assert again.card.timing["encoded_queries"] == 0 and again.card.timing["cached_queries"] == len(rows)
    # a training query from the dev period is refused, naming file and line
    _write_queries(tmp_path / "leak.jsonl", rows[:2] + [dict(rows[0], date="2021-05-01")])
    cfg.queries, cfg.out = tmp_path / "leak.jsonl", tmp_path / "out3"
    with pytest.raises(SourceError, match=r"leak.jsonl:3"):
        train_query_adapter(cfg, encoder=enc, log=lambda m: None)
    assert not (tmp_path / "out3").exists()


def test_a_run_refuses_before_any_work_what_would_lose_files_or_mislead(tmp_path):
    """--out on a folder of the user's files replaced it (atomic_dir moved it aside and removed it), on a file hid it;
    --before garbage let every date through; --batch-size 0 and --lr -1 were tracebacks; --dev missing was found
    after training; --dev the training file gave "dev" numbers that were the train ones."""
    from legalret.train.query_adapter import QueryAdapterConfig

    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "notes.txt").write_text("important", encoding="utf-8")
    a_file = tmp_path / "a-file"
    a_file.write_text("keep", encoding="utf-8")
    train = tmp_path / "train.jsonl"
    _write_queries(train, [{"qid": "q1", "query": "유치권", "gold": ["민법 제320조"], "date": "2010-01-01"}])
    base = dict(queries=train, index=tmp_path / "idx", out=tmp_path / "out")
    for changes, message in [({"out": mine}, "exists and is not a legalret adapter"), ({"out": a_file}, "a file, not a folder"),
                             ({"before": "garbage"}, "--before: 'garbage' is not a YYYY-MM-DD date"),
                             ({"batch_size": 0}, "--batch-size: 0; give 1 or more"), ({"lr": -1.0}, "--lr: -1.0"),
                             ({"alpha": -1.0}, "--alpha: -1.0"), ({"dev_queries": tmp_path / "none.jsonl"}, "query file not found"),
                             ({"dev_queries": train}, "it is a training query file")]:
        with pytest.raises((ModelError, SourceError), match=message):
            QueryAdapterConfig(**{**base, **changes}).check()
    QueryAdapterConfig(**{**base, "out": mine, "overwrite": True}).check()  # said so: allowed
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "important" and a_file.read_text(encoding="utf-8") == "keep"
    # a new user's findings: inf passed the range checks (an adapter of inf weights, exit 0); a copy of the training
    # file as --dev reported train numbers as dev; an empty --dev reported 0 → 0; a file as --out's folder was found at
    # the save, after the whole run
    copy = tmp_path / "dev_copy.jsonl"
    copy.write_text(train.read_text(encoding="utf-8"), encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    for changes, message in [({"alpha": float("inf")}, "--alpha: inf; give a finite number"),
                             ({"scale": float("inf")}, "--scale: inf; give a finite number above 0"),
                             ({"dev_queries": copy}, r"dev_copy.jsonl:1: field 'date' 2010-01-01 is before --before"),
                             ({"dev_queries": empty}, "no query in this --dev file"),
                             ({"out": a_file / "sub"}, "is a file, not a folder")]:
        with pytest.raises((ModelError, SourceError), match=message):
            QueryAdapterConfig(**{**base, **changes}).check()


def test_an_adapter_out_is_written_over_only_when_it_holds_that_adapter_alone(tmp_path):
    """`--out` is replaced whole. A new user's findings: `train query-adapter --out` over a LoRA adapter deleted its
    weights; notes kept beside a query adapter were deleted; `train --pairs P --out P --force` deleted the pairs."""
    from legalret.models.adapter import CARD_NAME, LORA_FORMAT, QUERY_FORMAT, check_adapter_out

    lora, query = tmp_path / "lora", tmp_path / "qa"
    for folder, card, files in ((lora, {"name": "l", "base": {}}, ["adapter_config.json", "adapter_model.safetensors"]),
                                (query, {"format": QUERY_FORMAT, "name": "q"}, ["query_adapter.npy"])):
        folder.mkdir()
        (folder / CARD_NAME).write_text(json.dumps(card), encoding="utf-8")
        for name in [*files, "README.md"]:
            (folder / name).write_text("x", encoding="utf-8")
    assert check_adapter_out(query, kind=QUERY_FORMAT) == query and check_adapter_out(lora, kind=LORA_FORMAT) == lora
    with pytest.raises(ModelError, match="holds a LoRA adapter, and this run writes a query adapter"):
        check_adapter_out(lora, kind=QUERY_FORMAT)
    with pytest.raises(ModelError, match="holds a query adapter, and this run writes a LoRA adapter"):
        check_adapter_out(query, kind=LORA_FORMAT)
    (query / "NOTES.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ModelError, match=r"also holds files that are not the adapter's \(NOTES.txt\)"):
        check_adapter_out(query, kind=QUERY_FORMAT)
    assert check_adapter_out(query, kind=QUERY_FORMAT, overwrite=True) == query  # said so
    pairs = tmp_path / "pairs"
    pairs.mkdir()
    (pairs / "train.jsonl").write_text("{}", encoding="utf-8")
    for out in (pairs, tmp_path):  # the input folder itself, or a folder holding it: refused even with --overwrite
        with pytest.raises(ModelError, match="holds the run's input"):
            check_adapter_out(out, kind=LORA_FORMAT, overwrite=True, inputs=(pairs,))
    assert check_adapter_out(pairs / "adapter", kind=LORA_FORMAT, inputs=(pairs,)) == pairs / "adapter"  # beside it: fine


def test_facts_queries_join_train_holdings_and_skip_bad_lines(tmp_path, capsys):
    from legalret.train.query_adapter import facts_queries

    facts = Path(__file__).parent / "fixtures" / "facts" / "md_facts.jsonl"
    records = [json.loads(line) for line in facts.read_text(encoding="utf-8").splitlines() if line.strip()]
    first, second = records[0], records[1]
    holdings = tmp_path / "train_queries.jsonl"
    holdings.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in [
        {"qid": f"prec-{first['판례일련번호']}-1", "query": "가", "gold": ["민법 제750조"]},
        {"qid": f"prec-{first['판례일련번호']}-2", "query": "나", "gold": ["민법 제751조", "민법 제750조"]},
        {"qid": f"prec-{second['판례일련번호']}-1", "query": "다", "gold": ["상법 제651조"]},
    ]) + "\n", encoding="utf-8")
    bad = tmp_path / "facts.jsonl"
    bad.write_text(facts.read_text(encoding="utf-8") + "not json\n", encoding="utf-8")
    out = tmp_path / "facts_queries.jsonl"
    # the second decision is left out by the date split when it is not before `before`
    before = max(first["선고일자"], second["선고일자"])
    n = facts_queries(bad, holdings, out, before=before, max_chars=20)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    earlier = first if first["선고일자"] < before else second
    assert n == len(rows) == 1
    assert rows[0]["qid"] == f"facts-{earlier['판례일련번호']}" and rows[0]["date"] == earlier["선고일자"]
    assert len(rows[0]["query"]) <= 20 and rows[0]["query"] in earlier["이유"]
    assert rows[0]["gold"] == (["민법 제750조", "민법 제751조"] if earlier is first else ["상법 제651조"])
    warned = "".join(capsys.readouterr().err.split())  # the console may wrap the line
    assert "facts.jsonl:3:invalidJSON" in warned  # the bad line is named and skipped, not fatal


def test_shipped_adapters_resolve_by_name_from_any_folder(tmp_path, monkeypatch):
    """Issue 21 (8): `load_encoder(adapter="legalret/adapters/…")` failed outside the checkout."""
    from legalret.errors import ModelError
    from legalret.models.adapter import SHIPPED_ADAPTERS, resolve_adapter_dir, shipped_adapters
    from legalret.models.query_adapter import QueryAdapter

    monkeypatch.chdir(tmp_path)
    assert {"me5-small-legal", "me5-small-legal-qmap"} <= set(shipped_adapters())
    for written in ("me5-small-legal-qmap", "legalret/adapters/me5-small-legal-qmap", "adapters/me5-small-legal-qmap"):
        assert resolve_adapter_dir(written) == SHIPPED_ADAPTERS / "me5-small-legal-qmap"
    assert QueryAdapter.load("me5-small-legal-qmap").dim == 384
    own = tmp_path / "me5-small-legal-qmap"  # a folder of the user's with a shipped name wins: paths first
    own.mkdir()
    assert resolve_adapter_dir("me5-small-legal-qmap").resolve() == own
    with pytest.raises(ModelError, match=r"adapter 'other/me5-small-legal': no such directory .*shipped: me5-small-legal"):
        resolve_adapter_dir("other/me5-small-legal")


def test_load_encoder_takes_a_shipped_query_adapter_by_name(tmp_path, monkeypatch):
    """A query adapter given to load_encoder wraps the encoder (here: refused, since the tiny test encoder is not
    the base it was trained on — which shows it was found and read, from another folder)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
    import index_support as sup

    from legalret.errors import ModelError
    from legalret.models.encoder import load_encoder

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelError, match="query adapter .*me5-small-legal-qmap was trained on"):
        load_encoder(sup.tiny_model_dir(), adapter="me5-small-legal-qmap", precision="fp32")
    with pytest.raises(ModelError, match="no adapter shipped with legalret has that name"):
        load_encoder(sup.tiny_model_dir(), adapter="no-such-adapter", precision="fp32")


def test_dense_metrics_in_blocks_match_one_matrix(monkeypatch):
    """dense_metrics scores queries in blocks (84k all-law train holdings × 132k articles would be a 44 GB matrix);
    the blocks must give exactly what one matrix gives, including rank order inside the top k."""
    from legalret.train import query_adapter as qa

    rng = np.random.default_rng(3)
    P = rng.normal(size=(300, 16)).astype(np.float32)
    P /= np.linalg.norm(P, axis=1, keepdims=True)
    Q = rng.normal(size=(50, 16)).astype(np.float32)
    gold = [[int(i % 300), int((7 * i) % 300)] for i in range(50)]
    W = np.eye(16, dtype=np.float32) + 0.1 * rng.normal(size=(16, 16)).astype(np.float32)
    whole = qa.dense_metrics(Q, gold, P, W)
    monkeypatch.setattr(qa, "METRIC_BLOCK", 7)
    assert qa.dense_metrics(Q, gold, P, W) == whole
    assert whole["queries"] == 50 and 0 < whole["recall@10"] < 1


def test_readme_names_the_top_laws_and_the_card_keeps_every_law():
    """An all-law adapter's card counts pairs for ~900 laws: its README lists the largest by name and says how many
    more there are, while the card (legalret_adapter.json) keeps every count."""
    from legalret.models.query_adapter import README_LAWS, render_card

    by_law = {f"법{i}": 1000 - i for i in range(40)}
    card = QueryAdapterCard(name="x", base={"spec": "s", "fingerprint": "f"}, dim=4, data={"pairs_by_law": by_law})
    text = render_card(card)
    line = next(ln for ln in text.splitlines() if ln.startswith("- pairs_by_law"))
    assert "법0 1,000" in line and f"법{README_LAWS - 1} " in line and f"법{README_LAWS} " not in line
    assert f"and {40 - README_LAWS} more laws" in line
    assert sum(by_law[f"법{i}"] for i in range(README_LAWS, 40)) == int(line.split("(")[-1].split(" pairs")[0].replace(",", ""))
    assert card.to_dict()["data"]["pairs_by_law"] == by_law


def test_a_recorded_adapter_that_is_gone_is_read_from_the_shipped_one_of_its_name():
    # (quickstart records `<checkout>/legalret/adapters/me5-small-legal-qmap`: a checkout moved or deleted had made the
    # main job's index unusable — "the index was built with query adapter …, which no longer exists")
    from legalret.index.encoders import index_query_adapter
    from legalret.models.adapter import SHIPPED_ADAPTERS

    shipped = QueryAdapter.load(SHIPPED_ADAPTERS / "me5-small-legal-qmap")
    gone = "/nonexistent/old-checkout/legalret/adapters/me5-small-legal-qmap"
    section = {"path": gone, "fingerprint": shipped.fingerprint, "name": "me5-small-legal-qmap"}
    assert index_query_adapter({"query_adapter": section}, where="idx").fingerprint == shipped.fingerprint
    # the stand-in must be the adapter the index was built with
    with pytest.raises(IndexError_, match=rf"in place of {gone}, which no longer exists\) is {shipped.fingerprint}, "
                                          "the index was built with qmap-000000000000"):
        index_query_adapter({"query_adapter": {**section, "fingerprint": "qmap-000000000000"}}, where="idx")
    # a gone folder of another name has no stand-in
    with pytest.raises(IndexError_, match="query adapter /nonexistent/my-adapters/qa, which no longer exists"):
        index_query_adapter({"query_adapter": {**section, "path": "/nonexistent/my-adapters/qa"}}, where="idx")
