"""Do quantities help as tokens — "10년", "14세", "5천만원" — in BM25 and the holdings memory?

Kiwi's token selection (``legalret.index.tokenize``) drops numbers, so a limitation period, an age or an amount
never reaches BM25 or the holdings memory, though many questions turn on one (10년 → 민법 제162조, 3년 → 제766조).
``TokenizerSettings(quantities=True)`` also emits a number glued to a unit noun as one token. This builds the
main job's index (civil-commercial, the shipped query adapter, both memories) with that setting, into
``--index``, exactly as ``legalret index build`` would otherwise; then compare it with the default build using
the maintained benchmark (tune halves + train-split holdings to choose, report halves once after)::

    python experiments/quantity_tokens.py --index $LEGALRET_HOME/index-qty
    python benchmarks/style_eval.py --index $LEGALRET_HOME/index-qty --split tune \\
        --holdings PAIRS/train_queries.jsonl --name quantity_tokens_tune

Decided (rule written before the run: ship at ≥ +0.005 in the mean of recall@10 and MRR@10 of the default over
the tune styles and 600 train-split holdings, no group's recall@10 down > 0.01): **not shipped**, the setting
stays off. 0.8216 → 0.8189; short 0.843 / 0.633 → 0.843 / 0.625, scenario 0.780 / 0.672 → 0.780 / 0.671, keyword
1.000 / 0.959 → 0.988 / 0.959, holdings 0.900 / 0.786 → 0.899 / 0.786. BM25 alone gains on short questions
(recall@10 0.663 → 0.674) and loses on scenarios (0.429 → 0.420); the re-ranker, fitted on tokens without
quantities, was not refitted (``benchmarks/results/quantity_tokens_{base,qty}_tune.md``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--corpus", default="civil-commercial")
    ap.add_argument("--adapter", default=str(REPO / "legalret" / "adapters" / "me5-small-legal-qmap"))
    args = ap.parse_args(argv)

    from legalret import pipeline
    from legalret.cli.index import _load_facts, _load_precedents, load_articles
    from legalret.config import shared_data_dir
    from legalret.index.tokenize import TokenizerSettings

    data = shared_data_dir()
    if data is None:
        raise SystemExit("no shared data folder (../shared/data or $LEGALRET_DATA)")
    articles = load_articles([args.corpus])
    report = pipeline.build(
        articles, args.index, adapter=args.adapter, verbose=True, onnx_export=True,
        tokenizer=TokenizerSettings(quantities=True),
        precedents=_load_precedents([str(data / "precedents" / "precedent-kr.zip")]),
        facts=_load_facts([str(data / "precedents" / "precedent-facts.zip")]),
    )
    print(f"built {args.index}: {report.articles if hasattr(report, 'articles') else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
