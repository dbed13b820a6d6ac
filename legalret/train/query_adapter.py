"""Train a query-side adapter: a residual linear map on frozen query embeddings, the whole article set as negatives.

Why this shape (measured on the project's 2-core CPU, ``experiments/query_adapter.py``): a LoRA query tower costs a
forward *and* a backward pass per pair per epoch — about 1 pair/s at 128 tokens, i.e. ~15 h for the 52k train pairs
— while a forward pass alone runs at ~13–30 queries/s. So every training query is encoded **once** by the frozen
base (cached on disk, resumable), the articles' vectors are read from a base index (the very vectors searches
compare against), and ``W = I + ΔW`` is fitted with a softmax over *all* candidate articles per query: an epoch
over all pairs takes seconds. Passages never change, so base indexes stay valid.

Usage::

    from legalret.train.query_adapter import QueryAdapterConfig, train_query_adapter
    cfg = QueryAdapterConfig(queries="out/pairs/train_queries.jsonl", index="/tmp/b_base_idx",
                             out="legalret/adapters/me5-small-legal-qmap", cache="~/.cache/legalret/qcache")
    result = train_query_adapter(cfg)     # → TrainedQueryAdapter (adapter, card, timings)

or ``legalret train query-adapter --queries … --index … --out …`` (``scripts/train_query_adapter.sh``).

Queries are JSONL ``{"qid", "query", "gold": [keys], "date"?}`` (``legalret pairs`` writes ``train_queries.jsonl``);
a query dated on or after ``before`` is refused (the dev/report period must not leak into training).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from legalret.errors import ModelError, SourceError
from legalret.keys import law_of
from legalret.models.query_adapter import QueryAdapter, QueryAdapterCard
from legalret.train.guards import check_min_pairs

#: Queries scored against all candidates at once by :func:`dense_metrics` (bounds its memory).
METRIC_BLOCK = 2048
#: Texts per cache chunk: each chunk is encoded length-sorted and written on its own (a killed run keeps its work).
CACHE_CHUNK = 1024


@dataclass
class QueryAdapterConfig:
    """Settings of one query-adapter run (the CLI's options carry the same help)."""

    queries: str | Path  # training queries JSONL (qid, query, gold, date): train-split holdings, other styles
    index: str | Path  # a base index (no adapter): its articles are the candidates, its vectors the passages
    out: str | Path  # adapter directory to write
    name: str | None = None  # the card's name (default: the out folder name)
    extra_queries: list[str] = field(default_factory=list)  # more query files trained on alongside
    facts: str | Path | None = None  # precedent-facts.zip: add each train decision's facts → its cited articles
    cache: str | Path | None = None  # embedding cache directory (default: $LEGALRET_HOME/qcache)
    max_tokens: int = 128  # training queries are cut to this many tokens when cached
    scale: float = 20.0  # softmax scale (1/temperature) on cosine similarity, as MNRL
    l2: float = 1e-3  # penalty on ||ΔW||² (keeps W near the identity: short questions unlike holdings stay sane)
    lr: float = 2e-3
    epochs: int = 4
    batch_size: int = 256
    alpha: float = 1.0  # W = I + alpha·ΔW at export (alpha < 1 shrinks the learned change)
    limit: int | None = None  # train on a seeded sample of N queries
    before: str = "2020-01-01"  # refuse queries dated on/after this (train split only)
    dev_queries: str | Path | None = None  # dev holdings for the card's numbers (never used to fit)
    seed: int = 0
    threads: int | None = None
    notes: list[str] = field(default_factory=list)  # copied to the card
    overwrite: bool = False  # write over an ``out`` folder that holds something other than a query adapter alone
    force: bool = False  # train on fewer pairs than the minimum (guards.MIN_PAIRS), as LoRA training's --force

    def check(self) -> None:
        """Refuse, before any work, what would fail later, lose files or mislead: an ``out`` that is a file, a folder
        of other things, another kind of adapter or holds an input (:func:`~legalret.models.adapter.check_adapter_out`:
        each was replaced without a word), a ``before`` that is no date (the train/dev guard
        compared strings and let every date through), numbers out of range (tracebacks from the optimizer), and a
        ``dev_queries`` file that is missing (found after training) or is a training file (its "dev" numbers were
        the train ones)."""
        from legalret.models.adapter import QUERY_FORMAT, check_adapter_out

        check_adapter_out(self.out, kind=QUERY_FORMAT, overwrite=self.overwrite,
                          inputs=(self.queries, *self.extra_queries, self.dev_queries, self.index, self.facts, self.cache))
        try:
            date.fromisoformat(str(self.before))
        except ValueError:
            raise ModelError(f"--before: {self.before!r} is not a YYYY-MM-DD date") from None
        for name, value, low in (("epochs", self.epochs, 1), ("batch-size", self.batch_size, 1),
                                 ("max-tokens", self.max_tokens, 1), ("limit", self.limit, 1), ("threads", self.threads, 1)):
            if value is not None and value < low:
                raise ModelError(f"--{name}: {value}; give {low} or more")
        # (inf passed "above 0": --alpha inf wrote an adapter of inf weights, --scale inf a loss of nan, exit 0)
        for name, value in (("lr", self.lr), ("scale", self.scale)):
            if not (value > 0 and math.isfinite(value)):
                raise ModelError(f"--{name}: {value}; give a finite number above 0")
        for name, value in (("alpha", self.alpha), ("l2", self.l2)):
            if not (value >= 0 and math.isfinite(value)):
                raise ModelError(f"--{name}: {value}; give a finite number, 0 or more")
        if self.dev_queries is not None:
            self._check_dev(Path(self.dev_queries))

    def _check_dev(self, dev: Path) -> None:
        """A dev file that holds queries, none of them from the training split: a copy of the training file had
        passed (only the path was compared) and reported train numbers as dev; an empty one reported 0 → 0."""
        from legalret.evaluate.quality import parse_query_line

        if not dev.is_file():
            raise SourceError(str(dev), "query file not found")
        training = [Path(p) for p in [self.queries, *self.extra_queries]]
        if any(dev.resolve() == p.resolve() for p in training if p.is_file()):
            raise ModelError(f"--dev {dev}: it is a training query file; dev queries are never fitted on")
        n = 0
        with open(dev, encoding="utf-8-sig") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                q = parse_query_line(line.rstrip("\r\n"), str(dev), lineno)
                when = q.extra.get("date") or q.extra.get("decided")
                if when and str(when) < str(self.before):
                    raise SourceError(str(dev), f"field 'date' {when} is before --before {self.before}: a dev query "
                                      "from the training split (its numbers would be train numbers)", line=lineno)
                n += 1
        if not n:
            raise SourceError(str(dev), "no query in this --dev file")


@dataclass
class QuerySet:
    texts: list[str]
    gold: list[list[int]]  # candidate rows of each query's gold articles (those in the index)
    pairs: int  # (query, gold article) pairs — what the loss averages over
    dropped: dict[str, int] = field(default_factory=dict)
    undated: int = 0  # queries kept that carry no date: --before could not check them (said, and on the card)


@dataclass
class TrainedQueryAdapter:
    adapter: QueryAdapter
    out_dir: Path
    card: QueryAdapterCard
    losses: list[float]


# ---- data ---------------------------------------------------------------------------------------------
def index_candidates(index_dir: str | Path) -> tuple[list[str], np.ndarray, dict]:
    """(keys, unit vectors, encoder info) of a base index's searchable articles; refuses an index whose
    vectors were made with a LoRA adapter (the map is trained against, and applied with, base passages)."""
    from legalret.index.store import load_index

    data = load_index(index_dir, verify="stamp")
    info = data.manifest.get("encoder")
    if info is None or data.dense is None:
        raise ModelError(f"{index_dir}: the index has no dense vectors (built with --model none); build it with the base encoder")
    if info.get("adapter"):
        raise ModelError(f"{index_dir}: its vectors were built with adapter {info['adapter']}; a query adapter needs a base index")
    keys = data.keys
    row_keys = [keys[i] for i in data.rows]
    vecs = np.asarray(data.dense.vectors, dtype=np.float32).copy()
    if len(row_keys) != len(vecs):
        raise ModelError(f"{index_dir}: {len(row_keys)} rows but {len(vecs)} vectors")
    return row_keys, vecs, info


def read_queries(path: str | Path, key_row: dict[str, int], *, before: str | None = None,
                 limit: int | None = None, seed: int = 0, exclude: set[str] | None = None) -> QuerySet:
    """Queries with gold rows; gold keys outside the candidates are dropped (counted), a query left with none
    is skipped. A query dated ``>= before`` raises :class:`SourceError` (training must stay in the train split).
    Lines are parsed as every query file is (:func:`legalret.evaluate.quality.parse_query_line`); the first bad
    one raises: a training set is not silently thinned."""
    from legalret.evaluate.quality import parse_query_line

    texts: list[str] = []
    gold: list[list[int]] = []
    dropped = {"gold_not_in_index": 0, "query_without_indexed_gold": 0, "excluded": 0}
    undated = 0
    path = Path(path)
    if not path.is_file():
        raise SourceError(str(path), "query file not found")
    with open(path, encoding="utf-8-sig") as f:  # (a BOM, as `bench quality` reads it)
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            q = parse_query_line(line.rstrip("\r\n"), str(path), lineno)  # (with its newline, an error's column is 1)
            if not q.gold:
                raise SourceError(str(path), "field 'gold' must be a non-empty list of article keys", line=lineno)
            date = q.extra.get("date") or q.extra.get("decided")
            undated += bool(before and not date)
            if before and date and str(date) >= before:
                raise SourceError(str(path), f"field 'date' {date} is not before {before}: training queries must come from the train split", line=lineno)
            if exclude and q.qid in exclude:
                dropped["excluded"] += 1
                continue
            rows = [key_row[k] for k in q.gold if k in key_row]
            dropped["gold_not_in_index"] += len(q.gold) - len(rows)
            if not rows:
                dropped["query_without_indexed_gold"] += 1
                continue
            texts.append(q.query)
            gold.append(sorted(set(rows)))
    if limit is not None and limit < len(texts):
        keep = sorted(np.random.default_rng(seed).choice(len(texts), size=limit, replace=False).tolist())
        texts, gold = [texts[i] for i in keep], [gold[i] for i in keep]
    return QuerySet(texts, gold, sum(len(g) for g in gold), dropped, undated)


def facts_queries(facts: str | Path, train_queries: str | Path, out: str | Path, *, before: str = "2020-01-01",
                  max_chars: int = 1200) -> int:
    """Write scenario-style training queries: the facts (opening of the reasons, ``precedent-facts.zip``) of each
    train-split decision → the articles its holdings cite. Joined on 판례일련번호, which ``legalret pairs`` puts in
    every holding's qid (``prec-<판례일련번호>-<n>``). Facts are read by
    :func:`legalret.precedents.facts.read_facts` (bad lines are warned about and skipped). Returns the number
    written."""
    import re

    from legalret.atomic import atomic_path
    from legalret.precedents.facts import read_facts

    gold: dict[str, set[str]] = {}
    with open(train_queries, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                obj = json.loads(line)
                m = re.match(r"prec-(\d+)-", str(obj.get("qid", "")))
                if m:
                    gold.setdefault(m.group(1), set()).update(obj.get("gold") or [])
    n = 0
    with atomic_path(Path(out)) as tmp, open(tmp, "w", encoding="utf-8") as w:
        for rec in read_facts(facts):
            decided = rec.decided.isoformat()
            if rec.serial in gold and decided < before:
                w.write(json.dumps({"qid": f"facts-{rec.serial}", "query": rec.text[:max_chars],
                                    "gold": sorted(gold[rec.serial]), "date": decided, "case_no": rec.case_no},
                                   ensure_ascii=False) + "\n")
                n += 1
    return n


# ---- the query-vector cache ---------------------------------------------------------------------------
def _text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class QueryVectorCache:
    """Query embeddings of one encoder (fingerprint) at one token cut, in chunk files keyed by text hash.

    ``cache/<sha12 of fingerprint+cut>/chunk-NNNNN.npz`` holds ``hashes`` and ``vectors``; chunks are written
    atomically as they are encoded, so an interrupted run resumes where it stopped."""

    def __init__(self, root: str | Path, fingerprint: str, max_tokens: int | None):
        from legalret.models.query_adapter import query_side_fingerprint

        fingerprint = query_side_fingerprint(fingerprint)  # queries are never cut by the passage limit
        tag = hashlib.sha256(f"{fingerprint}|{max_tokens}".encode()).hexdigest()[:12]
        self.dir = Path(root).expanduser() / tag
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "about.json").write_text(json.dumps({"fingerprint": fingerprint, "max_tokens": max_tokens}) + "\n")
        self.table: dict[str, np.ndarray] = {}
        for chunk in sorted(self.dir.glob("chunk-*.npz")):
            with np.load(chunk, allow_pickle=False) as z:
                for h, v in zip(z["hashes"].tolist(), z["vectors"]):
                    self.table[h] = v

    def put(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        from legalret.atomic import atomic_path

        n = len(list(self.dir.glob("chunk-*.npz")))
        target = self.dir / f"chunk-{n:05d}.npz"
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, hashes=np.array(list(hashes)), vectors=vectors.astype(np.float32))
        for h, v in zip(hashes, vectors):
            self.table[h] = v


def encode_cached(encoder: Any, texts: Sequence[str], cache: QueryVectorCache | None, *, max_tokens: int | None,
                  batch_size: int = 32, log=None) -> tuple[np.ndarray, dict]:
    """Base query embeddings of ``texts`` (``(n, dim)``), encoding only what ``cache`` lacks, length-sorted per
    chunk. Returns the matrix and {encoded, cached, seconds, per_second}."""
    hashes = [_text_hash(t) for t in texts]
    missing = sorted({h: i for i, h in enumerate(hashes) if cache is None or h not in cache.table}.values())
    missing.sort(key=lambda i: len(texts[i]))
    fresh: dict[str, np.ndarray] = {}
    t0 = time.perf_counter()
    model = getattr(encoder, "model", None)
    full = getattr(model, "max_seq_length", None)
    try:
        if max_tokens and model is not None and full and max_tokens < full:
            model.max_seq_length = max_tokens
        # chunks in random order of the length-sorted list would pad more; sorted chunks, each saved as it ends
        for s in range(0, len(missing), CACHE_CHUNK):
            idx = missing[s : s + CACHE_CHUNK]
            vecs = encoder.encode_queries([texts[i] for i in idx], batch_size=batch_size)
            hs = [hashes[i] for i in idx]
            if cache is not None:
                cache.put(hs, vecs)
            fresh.update(zip(hs, vecs))
            if log:
                done = s + len(idx)
                log(f"encoded {done:,}/{len(missing):,} queries ({done / max(time.perf_counter() - t0, 1e-9):.1f}/s)")
    finally:
        if model is not None and full:
            model.max_seq_length = full
    seconds = time.perf_counter() - t0
    table = cache.table if cache is not None else fresh
    out = np.stack([table[h] if h in table else fresh[h] for h in hashes]).astype(np.float32) if texts else np.zeros((0, encoder.dim), np.float32)
    return out, {"encoded": len(missing), "cached": len(texts) - len(missing), "seconds": round(seconds, 1),
                 "per_second": round(len(missing) / seconds, 2) if missing and seconds > 0 else None}


# ---- fitting and measuring -----------------------------------------------------------------------------
def fit_residual_map(Q: np.ndarray, gold: list[list[int]], P: np.ndarray, *, scale: float = 20.0, l2: float = 1e-3,
                     lr: float = 2e-3, epochs: int = 4, batch_size: int = 256, seed: int = 0, log=None) -> tuple[np.ndarray, list[float], dict]:
    """ΔW minimising the mean over (query, gold) pairs of −log softmax(scale·cos(normalize((I+ΔW)q), P))[gold]
    plus ``l2·||ΔW||²``: every candidate article is a negative in every step. Returns (ΔW, epoch losses, timing)."""
    import torch

    torch.manual_seed(seed)
    dim = Q.shape[1]
    Pt = torch.from_numpy(np.ascontiguousarray(P, dtype=np.float32))
    Qt = torch.from_numpy(np.ascontiguousarray(Q, dtype=np.float32))
    D = torch.zeros(dim, dim, requires_grad=True)
    opt = torch.optim.Adam([D], lr=lr)
    # multi-positive targets as a (n, |P|) sparse list: each (query, gold) pair weighs the same
    rows = np.concatenate([np.full(len(g), i) for i, g in enumerate(gold)]) if gold else np.zeros(0, int)
    cols = np.concatenate([np.asarray(g) for g in gold]) if gold else np.zeros(0, int)
    pair_rows = torch.from_numpy(rows.astype(np.int64))
    pair_cols = torch.from_numpy(cols.astype(np.int64))
    n_pairs = len(rows)
    rng = np.random.default_rng(seed)
    losses = []
    t0 = time.perf_counter()
    for epoch in range(epochs):
        order = torch.from_numpy(rng.permutation(n_pairs))
        total, seen = 0.0, 0
        for s in range(0, n_pairs, batch_size):
            b = order[s : s + batch_size]
            q = Qt[pair_rows[b]]
            qa = torch.nn.functional.normalize(q + q @ D.T, dim=-1)
            logits = scale * (qa @ Pt.T)
            loss = torch.nn.functional.cross_entropy(logits, pair_cols[b]) + l2 * (D * D).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(b)
            seen += len(b)
        losses.append(total / max(seen, 1))
        if log:
            log(f"epoch {epoch + 1}/{epochs}: loss {losses[-1]:.4f}")
    seconds = time.perf_counter() - t0
    timing = {"fit_seconds": round(seconds, 2), "pairs_per_epoch": n_pairs,
              "fit_pairs_per_second": round(n_pairs * epochs / seconds, 1) if seconds > 0 else None}
    return D.detach().numpy().astype(np.float32), losses, timing


def dense_metrics(Q: np.ndarray, gold: list[list[int]], P: np.ndarray, W: np.ndarray | None = None, k: int = 10) -> dict[str, float]:
    """Dense recall@k and MRR@k of queries ``Q`` (mapped by ``W`` when given) over candidates ``P``
    (recall: share of each query's gold in the top k; MRR: 1/rank of the first gold)."""
    if W is not None:
        Q = Q @ W.T
        Q = Q / np.maximum(np.linalg.norm(Q, axis=1, keepdims=True), 1e-12)
    # in blocks of queries: all 84k train holdings against 132k all-law articles at once would be a 44 GB matrix
    top = np.zeros((len(Q), min(k, P.shape[0])), dtype=np.int64)
    for s in range(0, len(Q), METRIC_BLOCK):
        S = Q[s : s + METRIC_BLOCK] @ P.T
        t = np.argpartition(-S, kth=min(k, S.shape[1] - 1), axis=1)[:, :k]
        top[s : s + METRIC_BLOCK] = np.take_along_axis(t, np.argsort(-np.take_along_axis(S, t, axis=1), axis=1), axis=1)
    rec, mrr = [], []
    for t, g in zip(top, gold):
        gs = set(g)
        hits = [j for j, c in enumerate(t) if c in gs]
        rec.append(len(hits) / len(gs))
        mrr.append(1.0 / (hits[0] + 1) if hits else 0.0)
    return {f"recall@{k}": float(np.mean(rec)) if rec else 0.0, f"mrr@{k}": float(np.mean(mrr)) if mrr else 0.0, "queries": len(rec)}


def pairs_by_law(data: QuerySet, keys: Sequence[str]) -> dict[str, int]:
    """(query, gold article) pairs per law, most first: which laws (an act, its 시행령) the map was fitted on."""
    return dict(Counter(law_of(keys[row]) for rows in data.gold for row in rows).most_common())


def hardware() -> str:
    import torch

    return f"{platform.machine()} cpu, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads ({platform.processor() or 'unknown'})"


# ---- the whole run -------------------------------------------------------------------------------------
def train_query_adapter(cfg: QueryAdapterConfig, *, encoder: Any = None, reproduce: str | None = None, log=print) -> TrainedQueryAdapter:
    """Encode (cached) → fit → save. ``encoder``: an already loaded base encoder (tests pass a tiny one); by
    default the index's own encoder is loaded (it must be the base: no adapter)."""
    import torch

    from legalret.index.build import load_index_encoder

    cfg.check()
    if cfg.threads:
        torch.set_num_threads(int(cfg.threads))
    t_all = time.perf_counter()
    keys, P, info = index_candidates(cfg.index)
    key_row = {k: i for i, k in enumerate(keys)}
    enc = load_index_encoder(info, encoder=encoder, where=cfg.index)
    data = read_queries(cfg.queries, key_row, before=cfg.before, limit=cfg.limit, seed=cfg.seed)
    sources = {str(cfg.queries): {"queries": len(data.texts), "pairs": data.pairs, "dropped": data.dropped,
                                  "undated": data.undated}}
    from legalret.config import legalret_home

    cache_root = Path(cfg.cache or (legalret_home() / "qcache")).expanduser()
    extras = list(cfg.extra_queries)
    if cfg.facts:
        cache_root.mkdir(parents=True, exist_ok=True)
        facts_file = cache_root / "facts_queries.jsonl"
        facts_queries(cfg.facts, cfg.queries, facts_file, before=cfg.before)
        extras.append(str(facts_file))
    for extra in extras:
        more = read_queries(extra, key_row, before=cfg.before, seed=cfg.seed)
        sources[str(extra)] = {"queries": len(more.texts), "pairs": more.pairs, "dropped": more.dropped,
                               "undated": more.undated}
        data = QuerySet(data.texts + more.texts, data.gold + more.gold, data.pairs + more.pairs, data.dropped,
                        data.undated + more.undated)
    if not data.texts:
        raise ModelError(f"{cfg.queries}: no training query has a gold article in {cfg.index}")
    # (30 queries had fitted an adapter with a real one's standing; LoRA training refused under the same minimum)
    check_min_pairs(data.pairs, force=cfg.force)
    if data.undated:  # (dated lines are refused on/after --before; an undated one cannot be checked, so it is said)
        log(f"note: {data.undated:,} training queries carry no date: --before {cfg.before} could not check that they "
            "come from the train split (the card counts them)")
    cache = QueryVectorCache(cache_root, enc.fingerprint, cfg.max_tokens)
    log(f"{len(data.texts):,} training queries, {data.pairs:,} pairs, {len(keys):,} candidate articles")
    Q, enc_stats = encode_cached(enc, data.texts, cache, max_tokens=cfg.max_tokens, log=log)
    D, losses, fit_timing = fit_residual_map(Q, data.gold, P, scale=cfg.scale, l2=cfg.l2, lr=cfg.lr, epochs=cfg.epochs,
                                             batch_size=cfg.batch_size, seed=cfg.seed, log=log)
    W = np.eye(P.shape[1], dtype=np.float32) + np.float32(cfg.alpha) * D
    dev: dict[str, Any] = {"train (fit on these)": {"base": dense_metrics(Q, data.gold, P), "adapted": dense_metrics(Q, data.gold, P, W)}}
    if cfg.dev_queries:
        dq = read_queries(cfg.dev_queries, key_row, before=None)
        dev_cache = QueryVectorCache(cache_root, enc.fingerprint, None)
        Qd, _ = encode_cached(enc, dq.texts, dev_cache, max_tokens=None)  # as searches embed them: no cut
        dev[f"dev {Path(cfg.dev_queries).name}"] = {"base": dense_metrics(Qd, dq.gold, P), "adapted": dense_metrics(Qd, dq.gold, P, W)}
    name = cfg.name or Path(cfg.out).name
    spec = getattr(enc, "spec", None)
    card = QueryAdapterCard(
        name=name,
        base={"spec": info.get("spec") or getattr(spec, "name", None), "name": getattr(spec, "name", None),
              "fingerprint": enc.fingerprint, "hidden_size": int(enc.dim)},
        dim=int(enc.dim),
        data={"sources": sources, "train_queries": len(data.texts), "train_pairs": data.pairs,
              "pairs_by_law": pairs_by_law(data, keys),
              "candidate_articles": len(keys), "candidates_from": str(cfg.index), "train_before": cfg.before,
              "query_max_tokens": cfg.max_tokens},
        hyperparameters={k: v for k, v in asdict(cfg).items() if k in ("scale", "l2", "lr", "epochs", "batch_size", "alpha", "limit", "seed", "max_tokens")}
        | {"loss": "softmax over all candidate articles per (query, gold) pair", "epoch_losses": [round(x, 4) for x in losses]},
        timing={"encode_seconds": enc_stats["seconds"], "encoded_queries": enc_stats["encoded"], "cached_queries": enc_stats["cached"],
                "encode_queries_per_second": enc_stats["per_second"], **fit_timing,
                "wall_seconds": round(time.perf_counter() - t_all, 1), "hardware": hardware()},
        dev_metrics=dev,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        reproduce=reproduce,
        notes=list(cfg.notes),
    )
    adapter = QueryAdapter(W, card)
    out_dir = adapter.save(cfg.out)
    return TrainedQueryAdapter(adapter, out_dir, card, losses)
