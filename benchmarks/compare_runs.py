"""Two runs of one benchmark, question by question: a variant against its baseline.

``style_eval.py`` and ``law_eval.py`` keep each query's metrics (``per_query``). This pairs two such results by
qid and prints, per style (and per law family with ``--by family``), the baseline's and the variant's mean, the
paired difference with its 95% bootstrap interval, and **how many questions went up and down** — the numbers a
rule should be written in. On the main job's report halves (86 short, 56 scenario questions) one question moves
recall@10 by 0.012 or more, so a rule like "no group's recall@10 down more than 0.01" fails on a single question;
three speed rules of 2026-12-05 did exactly that. Write the limit as questions ("no group loses more than one
question net") or on the interval ("the paired interval's upper end ≥ 0"), and read both here::

    .venv/bin/python benchmarks/compare_runs.py benchmarks/results/BASE.json benchmarks/results/NEW.json \\
        [--retriever default] [--metric recall@10] [--by family] [--name NAME]

prints the Markdown table (and writes ``benchmarks/results/<NAME>.{json,md}`` with ``--name``). Both runs must
have scored the same queries (same questions, split and holdings sample): a qid in one and not the other is an
error, since a paired comparison over different questions means nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "benchmarks"))  # index_names, when this is imported rather than run

from index_names import recorded_command  # noqa: E402
from style_eval import STYLE_ORDER, at_least, error_line, print_report, style_groups  # noqa: E402  (the runs' style columns)

#: The results compare_runs pairs: what style_eval.py and law_eval.py write.
RUN_SCHEMAS = ("legalret.bench.style/", "legalret.bench.law/")
NOT_QUALITY = ("compare_runs compares style_eval/law_eval results (benchmarks/style_eval.py, benchmarks/law_eval.py), "
               "whose JSON keeps a per_query table")


def read_run(path: Path, retriever: str, metric: str) -> dict[str, tuple[float, str, str]]:
    """qid → (the query's ``metric`` for ``retriever``, its style, its family) from a result with ``per_query``;
    queries without a scored gold key are left out. A file that is not such a result — missing, not JSON (the
    ``.md`` beside it), another benchmark's report — is a one-line ``error:`` SystemExit naming it."""
    if path.name.endswith(".per_query.jsonl"):
        raise SystemExit(f"error: {path} holds a `legalret bench quality` report's per-query rows; {NOT_QUALITY}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SystemExit(f"error: {path}: no such file") from None
    except OSError as e:
        raise SystemExit(f"error: {path}: cannot read it ({e.strerror or e})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        why = f"{e.msg} at line {e.lineno} column {e.colno}" if isinstance(e, json.JSONDecodeError) else "not UTF-8 text"
        hint = (f"; give {path.with_suffix('.json').name}, the result beside it" if path.suffix.lower() in (".md", ".png")
                else "")
        raise SystemExit(f"error: {path}: not a JSON result ({why}){hint}") from None
    if not isinstance(data, dict):
        raise SystemExit(f"error: {path}: a JSON {type(data).__name__}, not a style_eval/law_eval result")
    schema = data.get("schema")
    if isinstance(schema, str) and schema.startswith("legalret.bench.quality/"):
        # (it has no per_query table: bench quality writes its rows per mode to a separate .per_query.jsonl)
        raise SystemExit(f"error: {path} is a `legalret bench quality` report; {NOT_QUALITY}")
    if schema is not None and not str(schema).startswith(RUN_SCHEMAS):
        raise SystemExit(f"error: {path} is a {schema} result; compare_runs compares style_eval/law_eval results")
    table = data.get("per_query")
    if table is None and schema is None:
        raise SystemExit(f"error: {path}: not a style_eval/law_eval result (no schema, no per_query table)")
    if table is None:
        raise SystemExit(f"error: {path}: no per_query table (a result written before style_eval/law_eval kept one; "
                         "run it again)")
    lacking = [k for k in ("qid", "style", "family", "metrics") if k not in table] if isinstance(table, dict) else None
    if lacking is None or lacking:
        what = f"lacks {', '.join(lacking)}" if lacking else f"is a JSON {type(table).__name__}, not a table"
        raise SystemExit(f"error: {path}: its per_query {what} (not as style_eval/law_eval write it)")
    if retriever not in table:
        known = [k for k in table if k not in ("qid", "style", "family", "metrics")]
        raise SystemExit(f"error: {path}: no retriever {retriever!r} in per_query (it has {', '.join(known)})")
    if metric not in table["metrics"]:
        raise SystemExit(f"error: {path}: no metric {metric!r} in per_query (it has {', '.join(table['metrics'])})")
    m = table["metrics"].index(metric)
    out: dict[str, tuple[float, str, str]] = {}
    for qid, style, family, row in zip(table["qid"], table["style"], table["family"], table[retriever]):
        if qid in out:
            raise SystemExit(f"error: {path}: qid {qid!r} appears twice in per_query")
        if row is not None:
            out[qid] = (row[m], style or "", family or "")
    return out


def compare(base: dict, new: dict, *, by: str = "style", n_resamples: int = 1000, seed: int = 0) -> dict:
    """Per group: n, base and new means, the paired difference new − base with its interval, and the questions
    whose value rose / fell. ``base`` and ``new`` are :func:`read_run` outputs over the same qids."""
    from legalret.evaluate.families import FAMILIES
    from legalret.evaluate.metrics import paired_bootstrap_diff

    only = sorted(set(base) ^ set(new))
    if only:
        raise SystemExit(f"error: the runs scored different queries ({len(only)}, e.g. {only[0]!r}): compare runs of one set")
    groups: dict[str, list[str]] = {}
    for qid, (_, style, family) in base.items():
        for name in style_groups(style) if by == "style" else (family,):
            groups.setdefault(name, []).append(qid)
    known = STYLE_ORDER if by == "style" else FAMILIES  # the order style_eval and law_eval print in
    order = [g for g in known if g in groups] + sorted(g for g in groups if g not in known)
    rows = {}
    for g in order:
        qids = groups[g]
        a = [new[q][0] for q in qids]
        b = [base[q][0] for q in qids]
        diff = paired_bootstrap_diff(a, b, n_resamples=n_resamples, seed=seed)
        rows[g] = {"n": len(qids), "base": sum(b) / len(b), "new": sum(a) / len(a), "diff": diff,
                   "up": sum(x > y for x, y in zip(a, b)), "down": sum(x < y for x, y in zip(a, b)),
                   "down_qids": [q for q, x, y in zip(qids, a, b) if x < y][:20]}
    return rows


def markdown(rows: dict, base: str, new: str, retriever: str, metric: str) -> str:
    out = [f"### {retriever} {metric}, question by question: `{new}` against `{base}`\n",
           "| group | n | base | new | new − base [95% CI] | up | down |", "|---|---:|---:|---:|---:|---:|---:|"]
    for g, r in rows.items():
        d = r["diff"]
        out.append(f"| {g} | {r['n']} | {r['base']:.3f} | {r['new']:.3f} | {d['mean']:+.3f} [{d['ci_low']:+.3f}, "
                   f"{d['ci_high']:+.3f}] | {r['up']} | {r['down']} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", type=Path, help="the baseline's result JSON (style_eval.py / law_eval.py)")
    ap.add_argument("new", type=Path, help="the variant's result JSON, over the same queries")
    ap.add_argument("--retriever", default="default")
    ap.add_argument("--metric", default="recall@10")
    ap.add_argument("--by", default="style", choices=("style", "family"))
    ap.add_argument("--resamples", type=at_least(1), default=1000, help="bootstrap resamples (≥ 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    ap.add_argument("--name", help="also write <out>/<name>.{json,md}")
    args = ap.parse_args(argv)

    base, new = (read_run(p, args.retriever, args.metric) for p in (args.base, args.new))
    rows = compare(base, new, by=args.by, n_resamples=args.resamples, seed=args.seed)
    md = markdown(rows, args.base.stem, args.new.stem, args.retriever, args.metric)
    if args.name:
        from legalret.evaluate.report import write_result

        result = {"schema": "legalret.bench.compare/1",
                  "settings": {"base": args.base.name, "new": args.new.name, "retriever": args.retriever,
                               "metric": args.metric, "by": args.by, "n_resamples": args.resamples, "seed": args.seed,
                               "command": recorded_command("compare_runs.py", argv)},
                  "groups": rows}
        try:
            write_result(args.out, args.name, result, md)
        except OSError as e:  # an --out that is a file, or not writable
            raise SystemExit(f"error: {error_line(e)}") from None
    print_report(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
