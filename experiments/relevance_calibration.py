"""Is the 0–100 ``relevance`` calibrated: do hits shown at 90 turn out right about 90% of the time?

Before: the sigmoid of the re-ranker's score. The all-law ranker is listwise (a softmax over each query's candidates),
so its score's offset is never learned and the sigmoid is no probability: 2,006 of 4,800 top-10 hits on a 58-law
index read 99–100 and 20% of them were right. After: the re-ranker's softmax share over every candidate it scored
(``Hit.probability``). Decided (2026-12-06): the share is what ``relevance`` shows — calibration error 57 → 3 (민법+상법),
84 → 3 (58 laws), 87 → 4 (58 laws, law filter); ranking unchanged (``benchmarks/results/relevance_calibration.md``).

``run``: each report-split question whose gold laws the index has, searched in hybrid (k=10; ``gold``: filtered to
its one gold law), relevance from ``lawyer_view`` as the API gives it; before = the same hits with ``probability``
dropped (``wording``'s fallback, the old sigmoid); citation hits (100 either way) left out. ``table``: per bin, the
mean shown and the share right::

    python experiments/relevance_calibration.py run IDX out.jsonl none benchmarks/queries/user_questions.jsonl
    python experiments/relevance_calibration.py table out.jsonl
"""
import json
import statistics
import sys

BINS = [(0, 4), (5, 19), (20, 39), (40, 59), (60, 79), (80, 94), (95, 98), (99, 100)]


def run(index: str, out: str, filt: str, files: list[str]) -> None:
    from legalret.search.response import search_response
    from legalret.search.searcher import Searcher
    from legalret.serve.wording import lawyer_view

    s = Searcher(index)
    laws = set(s.manifest.get("laws", {}))
    with open(out, "w", encoding="utf-8") as fo:
        for f in files:
            for line in open(f, encoding="utf-8"):
                r = json.loads(line)
                gl = {g.rsplit(" 제", 1)[0] for g in r["gold"]}
                if r.get("split") != "report" or not gl <= laws or (filt == "gold" and len(gl) != 1):
                    continue
                res = s.search(r["query"], k=10, mode="hybrid", laws=sorted(gl) if filt == "gold" else None)
                body = search_response(res, "hybrid")

                def view(hits):
                    return lawyer_view(hits, learned=True, notices=body["notices"], terms=body["terms"])

                after = [h["relevance"] for h in view([dict(h) for h in body["hits"]])]
                before = [h["relevance"] for h in view([{k: v for k, v in h.items() if k != "probability"}
                                                        for h in body["hits"]])]
                hits = [{"key": h["key"], "before": b, "after": a, "gold": h["key"] in r["gold"]}
                        for h, b, a in zip(body["hits"], before, after) if "citation" not in h["ranks"]]
                fo.write(json.dumps({"qid": r["qid"], "hits": hits}, ensure_ascii=False) + "\n")


def table(names: list[str]) -> None:
    for name in names:
        rows = [json.loads(line) for line in open(name, encoding="utf-8")]
        print(f"== {name}: {len(rows)} queries, {sum(len(r['hits']) for r in rows)} hits")
        for side in ("before", "after"):
            rated = [(h[side], h["gold"]) for r in rows for h in r["hits"] if h[side] is not None]
            cells, error = [], 0.0
            for lo, hi in BINS:
                b = [(v, g) for v, g in rated if lo <= v <= hi]
                if b:
                    m, c = sum(v for v, _ in b) / len(b), 100 * sum(g for _, g in b) / len(b)
                    error += len(b) * abs(m - c)
                    cells.append(f"{lo}-{hi}: n={len(b)} mean={m:.0f} correct={c:.0f}%")
            top = [r["hits"][0][side] for r in rows if r["hits"] and r["hits"][0][side] is not None]
            n99 = statistics.mean(sum((h[side] or 0) >= 99 for h in r["hits"]) for r in rows)
            print(f"  {side}: calibration error {error / max(1, len(rated)):.1f}, top hit median "
                  f"{statistics.median(top) if top else None}, top-10 hits at >=99 per query {n99:.2f}")
            for c in cells:
                print("     ", c)


if __name__ == "__main__":
    if sys.argv[1:2] == ["run"]:
        run(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    elif sys.argv[1:2] == ["table"]:
        table(sys.argv[2:])
    else:
        sys.exit(__doc__)
