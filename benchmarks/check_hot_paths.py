"""Old vs new search hot paths: the same results, key for key and score for score.

The memory retriever, fusion and searcher hot paths were rewritten for speed (numpy instead of per-holding
dicts). This runs the same queries through a snapshot of the working tree's ``legalret`` package and
through the same snapshot with the hot-path files taken from a git revision (``--rev``, default HEAD),
each in its own process, and compares everything a caller can see:

* default ``hybrid`` with ``explain=True`` (keys in order, scores, ranks, raw scores, memory/facts votes
  and support counts, reasons, precedents, notices), plus the ``convex`` and ``memory`` modes;
* each memory's ``explain(query, k=None)``: every vote (key, score, vote, share, support rows and ranks),
  every voting holding (row, similarity, raw score, rank, weight, case number, keys), coverage, dense top,
  concentration — and the same with a law filter (``laws=['상법']``).

Queries: the user questions (all 366; only decisions before ``--before`` vote) and ``--holdings-limit`` dev
holdings (before their own date, their own case excluded), as ``benchmarks/style_eval.py`` runs them.
Strings must be equal, floats equal to ``--tol`` (absolute, default 1e-9).

    LEGALRET_HOME=/tmp/final_home .venv/bin/python benchmarks/check_hot_paths.py --index /tmp/final_idx_k \\
        --holdings /tmp/q_pairs/dev_queries.jsonl --rev HEAD
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from index_names import index_name  # noqa: E402

#: What the baseline takes from ``--rev`` (a folder whole, so files the revision lacks are gone from it): every
#: layer a search runs through from the index up — ``legalret/index`` (the query's Kiwi tokens, the sorted BM25
#: vocabulary, BM25 and dense top-k, the readers that open a generation), the memories and the searcher — and
#: the shipped re-rankers, 민법+상법's and every law's (their features must be ones that revision's code computes; a
#: revision without the all-law file gives every index the first, as it did then). ``legalret/index`` goes whole,
#: not file by file: a revision's memory and search code import from its own index package (before the retriever
#: plug-ins, ``load_query_encoder`` lived in ``index/build.py``), and today's ``store.py`` hands ``BM25Engine.load``
#: its vocabulary as a callable, which a ``bm25.py`` from before the sorted vocabulary cannot open an index with.
#: Below it (models, precedents, core) the working tree's code runs on both sides.
HOT_FILES = ("legalret/index", "legalret/memory", "legalret/search", "legalret/data/fusion_ranker.json",
             "legalret/data/fusion_ranker_all_laws.json")

#: One hash seed for every process this starts: str hashes, hence set and dict-of-set orders, vary between
#: processes with Python's random seed, and an order that reaches a float sum or a tie would show as a
#: difference between the two sides that neither revision's code made.
HASH_SEED = "0"


def tree_env(tree: Path) -> dict[str, str]:
    """The environment of a child process that imports the ``legalret`` under ``tree``, with :data:`HASH_SEED`."""
    return dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED=HASH_SEED)


def baseline_tree(rev: str, tree: Path) -> None:
    """Replace :data:`HOT_FILES` in the ``legalret`` snapshot under ``tree`` with their versions at ``rev``."""
    for path in HOT_FILES:
        target = tree / path
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        listed = subprocess.run(["git", "-C", str(REPO), "ls-tree", "-r", "--name-only", rev, "--", path],
                                capture_output=True, text=True, check=True).stdout.split()
        for name in listed:
            text = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:{name}"], capture_output=True, check=True).stdout
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            (tree / name).write_bytes(text)


def _queries(questions: str, holdings: str, limit: int, seed: int, before: str):
    sys.path.insert(0, str(REPO / "benchmarks"))
    from style_eval import load_sets

    out = []
    for q in load_sets(questions, "all", holdings, limit or None, seed):
        own = q.extra.get("date") or q.extra.get("decided")  # as legalret.evaluate.leakage plans it
        case_no = q.extra.get("case_no")
        out.append((q.qid, q.query, own or before, str(case_no).strip() if case_no else None))
    return out


def _match(h) -> tuple:
    return (h.row, h.similarity, h.raw_score, h.rank, h.weight, h.case_no, list(h.keys))


def _memory_dump(result) -> dict:
    return {
        "votes": [(v.key, v.score, v.vote, v.share, [(h.row, h.rank) for h in v.support]) for v in result.votes],
        "holdings": [_match(h) for h in result.holdings],
        "coverage": result.coverage, "dense_top": result.dense_top, "concentration": result.concentration,
    }


def _hits(results) -> dict:
    return {"notices": list(results.notices),
            "hits": [(h.key, h.score, dict(h.ranks), dict(h.scores), list(h.reasons), dict(h.votes), list(h.precedents))
                     for h in results]}


def dump(args) -> None:
    """Run every query through the ``legalret`` on sys.path and pickle what callers see."""
    from legalret.search.searcher import (
        Searcher,  # first: style_eval puts the repository on sys.path
    )

    if not __import__("legalret").__file__.startswith(os.getcwd()):
        raise SystemExit(f"legalret imported from {__import__('legalret').__file__}, not from {os.getcwd()}")

    queries = _queries(args.questions, args.holdings, args.holdings_limit, args.seed, args.before)
    s = Searcher(args.index)
    out = {"src": __import__("legalret").__file__, "queries": []}
    t = time.perf_counter()
    for qid, text, before, exclude in queries:
        row = {"qid": qid}
        row["hybrid"] = _hits(s.search(text, k=10, explain=True, before=before, exclude=exclude))
        row["convex"] = _hits(s.search(text, k=10, mode="convex", before=before, exclude=exclude))
        row["memory"] = _hits(s.search(text, k=10, mode="memory", before=before, exclude=exclude))
        for name, r in (("memory", s.memory), ("facts", s.facts)):
            if r is None:
                continue
            row[f"{name} explain"] = _memory_dump(r.explain(text, None, before=before, exclude=exclude))
            row[f"{name} explain 상법"] = _memory_dump(r.explain(text, 10, before=before, exclude=exclude, laws=["상법"]))
        out["queries"].append(row)
    out["seconds"] = time.perf_counter() - t
    with open(args.dump, "wb") as f:
        pickle.dump(out, f)


def _diff(a, b, tol: float, path: str, found: list, ignore: frozenset = frozenset()) -> None:
    if len(found) >= 20:
        return
    if isinstance(a, float) or isinstance(b, float):
        if not (isinstance(a, (int, float)) and isinstance(b, (int, float))) or not (
                a == b or (math.isfinite(a) and math.isfinite(b) and abs(a - b) <= tol)):
            found.append(f"{path}: {a!r} != {b!r}")
        return
    if isinstance(a, dict) and isinstance(b, dict):
        a = {k: v for k, v in a.items() if k not in ignore}
        b = {k: v for k, v in b.items() if k not in ignore}
        if list(a) != list(b):
            found.append(f"{path}: keys {list(a)} != {list(b)}")
            return
        for k in a:
            _diff(a[k], b[k], tol, f"{path}.{k}", found, ignore)
        return
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            found.append(f"{path}: length {len(a)} != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            _diff(x, y, tol, f"{path}[{i}]", found, ignore)
        return
    if a != b:
        found.append(f"{path}: {a!r} != {b!r}")


def compare(old: dict, new: dict, tol: float, ignore: frozenset = frozenset()) -> dict:
    """``ignore``: dict fields left out on both sides — a field one side added (a new output such as a precedent's
    ``url``) is not a change of the hot path."""
    found: list[str] = []
    differing: list[str] = []  # every query that differs: the first 20 differences alone may all be one query's
    max_abs, where = 0.0, None
    checked = {"queries": len(old["queries"]), "hits": 0, "votes": 0, "holdings": 0}
    for a, b in zip(old["queries"], new["queries"]):
        own: list[str] = []
        _diff(a, b, tol, a["qid"], own, ignore)
        if own:
            differing.append(a["qid"])
            found.extend(own[: max(0, 20 - len(found))])
        checked["hits"] += sum(len(a[m]["hits"]) for m in ("hybrid", "convex", "memory"))
        for name in ("memory explain", "facts explain"):
            if name in a:
                checked["votes"] += len(a[name]["votes"])
                checked["holdings"] += len(a[name]["holdings"])
                for x, y in zip(a[name]["votes"], b[name]["votes"]):
                    for p, q in zip(x[1:4], y[1:4]):
                        if abs(p - q) > max_abs:
                            max_abs, where = abs(p - q), f"{a['qid']} {name} {x[0]}"
        for mode in ("hybrid", "convex", "memory"):
            for x, y in zip(a[mode]["hits"], b[mode]["hits"]):
                if abs(x[1] - y[1]) > max_abs:
                    max_abs, where = abs(x[1] - y[1]), f"{a['qid']} {mode} {x[0]}"
    if len(old["queries"]) != len(new["queries"]):
        found.insert(0, f"query count {len(old['queries'])} != {len(new['queries'])}")
    return {"identical": not found, "differences": found, "differing_queries": differing, "checked": checked,
            "max_abs_score_diff": max_abs, "max_diff_at": where,
            "seconds": {"old": round(old["seconds"], 1), "new": round(new["seconds"], 1)}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--questions", default=str(REPO / "benchmarks" / "queries" / "user_questions.jsonl"))
    ap.add_argument("--holdings", required=True)
    ap.add_argument("--holdings-limit", type=int, default=300)
    ap.add_argument("--before", default="2020-01-01")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rev", default="HEAD", help="git revision of the baseline hot-path files")
    ap.add_argument("--tol", type=float, default=1e-9)
    ap.add_argument("--json", type=Path, default=None, help="write the comparison here")
    ap.add_argument("--ignore-fields", default="", help="comma-separated dict fields one side added (e.g. url): not compared")
    ap.add_argument("--dump", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.dump:
        dump(args)
        return

    work = Path(tempfile.mkdtemp(prefix="check_hot_paths."))
    try:
        trees = {}
        for side in ("old", "new"):  # one snapshot of the working tree for both (others may be editing it)
            trees[side] = work / side
            shutil.copytree(REPO / "legalret", trees[side] / "legalret", ignore=shutil.ignore_patterns("__pycache__"))
            # corpora/ too: legalret finds its manifests beside the package (config.REPO_ROOT), and the notices
            # that name ``legalret index add <manifest>`` read them — without it both sides wrote the fallback.
            shutil.copytree(REPO / "corpora", trees[side] / "corpora")
        baseline_tree(args.rev, trees["old"])
        dumps = {}
        for side, tree in trees.items():
            out = work / f"{side}.pkl"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--dump", str(out), "--index", args.index,
                   "--questions", args.questions, "--holdings", args.holdings, "--holdings-limit", str(args.holdings_limit),
                   "--before", args.before, "--seed", str(args.seed)]
            t = time.perf_counter()
            subprocess.run(cmd, env=tree_env(tree), check=True, cwd=str(tree))
            with open(out, "rb") as f:
                dumps[side] = pickle.load(f)
            if not dumps[side]["src"].startswith(str(tree)):
                raise SystemExit(f"{side}: imported legalret from {dumps[side]['src']}, not {tree}")
            print(f"{side}: {len(dumps[side]['queries'])} queries in {time.perf_counter() - t:.0f}s", flush=True)
        ignore = frozenset(f for f in args.ignore_fields.split(",") if f)
        report = compare(dumps["old"], dumps["new"], args.tol, ignore)
        report.update(rev=args.rev, files=list(HOT_FILES), index=index_name(args.index), holdings_limit=args.holdings_limit,
                      tol=args.tol, ignored_fields=sorted(ignore))
        print(json.dumps(report, ensure_ascii=False, indent=1))
        if args.json:
            args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        sys.exit(0 if report["identical"] else 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
