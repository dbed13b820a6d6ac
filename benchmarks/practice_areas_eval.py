"""Does the practice-area notice name the laws a question needs when the index lacks them — and only then?

The setting is the main job's index (민법 + 상법): every other area of ``legalret/data/practice_areas.json`` is
absent from it, so a question gets a notice for each absent area whose probability reaches its threshold. Scored on
the question files (``benchmarks/queries/{law,user}_questions*.jsonl``; a question's areas are those of its gold
articles' laws, :func:`legalret.models.practice_areas.area_labels`), per style and per split half:

* **right** — of the questions whose gold cites a law of an absent area, the share with a notice naming one of
  those areas (they need the notice);
* **false alarm** — of all questions, the share with a notice naming an absent area that their gold does not cite
  (a notice that sends a person to the wrong laws; on a 민법/상법 question, any notice);
* **silent** — of the questions that need it, the share with no notice at all.

``--fit-threshold`` chooses the common threshold and the gate (no notice when the index's own area, 민법+상법, is at
least that probable) on the **tune** halves — the most right notices with at most 3% of them getting a false alarm,
:func:`legalret.train.practice_areas.choose_threshold` — and writes them into the model file; the report halves are
then scored once.

Rule, written before the first run (2026-12-06): the notice ships if, on the report halves of all question files
together, false alarms are ≤ 5% of the questions and ≤ 3% of the 민법/상법-only questions (those needing no notice),
and right notices reach ≥ 50% of the questions that need one. Otherwise the model stays an experiment.

    .venv/bin/python benchmarks/practice_areas_eval.py --model legalret/data/practice_areas.json --fit-threshold \\
        --name practice_areas_eval

writes ``benchmarks/results/<name>.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
QUERIES = REPO / "benchmarks" / "queries"
FILES = ["law_questions.jsonl", "law_questions_2.jsonl", "law_questions_3.jsonl", "user_questions.jsonl",
         "user_questions_2.jsonl"]
#: The laws of the main job's index: the areas made of them are not absent.
MAIN_JOB = "civil-commercial"


def questions() -> list[dict]:
    out = []
    for name in FILES:
        with (QUERIES / name).open(encoding="utf-8") as f:
            out += [dict(json.loads(line), file=name) for line in f if line.strip()]
    return out


def score(rows: list[dict], model, absent: set[str]) -> dict:
    need = [r for r in rows if r["truth"] & absent]
    plain = [r for r in rows if not (r["truth"] & absent)]
    named = {r["qid"]: {a for a, _ in model.missing(r["query"], absent)} for r in rows}
    right = sum(bool(named[r["qid"]] & r["truth"]) for r in need)
    silent = sum(not named[r["qid"]] for r in need)
    false = sum(bool(named[r["qid"]] - r["truth"]) for r in rows)
    false_plain = sum(bool(named[r["qid"]]) for r in plain)
    return {"n": len(rows), "need": len(need), "right": right / max(len(need), 1), "silent": silent / max(len(need), 1),
            "false_alarm": false / max(len(rows), 1), "plain": len(plain),
            "false_alarm_plain": false_plain / max(len(plain), 1)}


def main(argv=None) -> int:
    from legalret.keys import law_of
    from legalret.models.practice_areas import PracticeAreas, area_labels
    from legalret.train.practice_areas import choose_threshold

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=str(REPO / "legalret" / "data" / "practice_areas.json"))
    ap.add_argument("--fit-threshold", action="store_true", help="choose the threshold on the tune halves and save it")
    ap.add_argument("--tune-only", action="store_true", help="score the tune halves alone (while choosing settings)")
    ap.add_argument("--name", default="practice_areas_eval")
    args = ap.parse_args(argv)
    model = PracticeAreas.load(args.model)
    area_laws = dict(zip(model.areas, model.laws))
    absent = {a for a in model.areas if a != MAIN_JOB}
    rows = [{"qid": f"{q['file']}:{q['qid']}", "query": q["query"], "split": q.get("split", ""),
             "style": q.get("style", ""), "truth": set(area_labels([law_of(k) for k in q["gold"]], area_laws))}
            for q in questions()]
    tune = [r for r in rows if r["split"] == "tune"]
    if args.fit_threshold:
        t, gate = choose_threshold(model, [r["query"] for r in tune], [r["truth"] for r in tune], absent)
        model.card["threshold"] = {"value": t, "gate": gate, "chosen_on": "tune halves of " + ", ".join(FILES),
                                   "rule": "most right notices with ≤ 3% false alarms"}
    results = {}
    for split in ("tune",) if args.tune_only else ("tune", "report"):
        part = [r for r in rows if r["split"] == split]
        results[split] = {"all": score(part, model, absent)}
        for style in sorted({r["style"] for r in part}):
            results[split][style] = score([r for r in part if r["style"] == style], model, absent)
    rep = results.get("report", {}).get("all")
    passed = bool(rep) and rep["false_alarm"] <= 0.05 and rep["false_alarm_plain"] <= 0.03 and rep["right"] >= 0.50
    if args.tune_only:
        print("\n".join(f"{style}: {s}" for style, s in results["tune"].items()))
        print(f"threshold {float(model.threshold[0]):.2f}, gate {model.gate}")
        return 0
    if args.fit_threshold:
        model.card["measured"] = {"report": results["report"], "rule_passed": passed}
        model.save(args.model)
    lines = [f"# Practice-area notice on the main job's index (threshold {float(model.threshold[0]):.2f}, gate "
             f"{model.gate:.2f})", "",
             "| split | style | n | need a notice | right | silent | false alarm (all) | false alarm (민법/상법 only) |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for split, groups in results.items():
        for style, s in groups.items():
            lines.append(f"| {split} | {style} | {s['n']} | {s['need']} | {s['right']:.3f} | {s['silent']:.3f} | "
                         f"{s['false_alarm']:.3f} | {s['false_alarm_plain']:.3f} |")
    lines += ["", f"Rule (report halves, all styles): false alarm ≤ 0.05, on 민법/상법-only ≤ 0.03, right ≥ 0.50 — "
                  f"**{'passed' if passed else 'not passed'}**."]
    out = REPO / "benchmarks" / "results" / args.name
    out.with_suffix(".json").write_text(json.dumps({"threshold": model.threshold.tolist(), "gate": model.gate,
                                                    "results": results,
                                                    "passed": passed, "model_card": model.card}, ensure_ascii=False,
                                                   indent=1), encoding="utf-8")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
