"""Build the main job's index with one tokenizer setting changed, to compare it with the default build.

Builds civil-commercial with the shipped query adapter and both memories into ``--index``, exactly as
``legalret index build`` would, except for the ``--setting NAME=VALUE`` s given to
:class:`~legalret.index.tokenize.TokenizerSettings`; then compare it with the default build using the maintained
benchmark (tune halves + train-split holdings to choose, report halves once after)::

    python experiments/tokenizer_variant.py --index $LEGALRET_HOME/index-nodict --setting default_dict=false
    python benchmarks/style_eval.py --index $LEGALRET_HOME/index-nodict --split tune \\
        --holdings PAIRS/train_queries.jsonl --name default_dict_off_tune

Decided so far:

- **Quantities as tokens** (``quantities=true``: "10년", "14세", "5천만원" also one token; Kiwi's selection drops
  numbers, so a limitation period, an age or an amount never reaches BM25 or the holdings memory). Rule written
  before the run: ship at ≥ +0.005 in the mean of recall@10 and MRR@10 of the default over the tune styles and 600
  train-split holdings, no group's recall@10 down > 0.01. **Not shipped**, the setting stays off: 0.8216 → 0.8189;
  short 0.843 / 0.633 → 0.843 / 0.625, scenario 0.780 / 0.672 → 0.780 / 0.671, keyword 1.000 / 0.959 → 0.988 /
  0.959, holdings 0.900 / 0.786 → 0.899 / 0.786. BM25 alone gains on short questions (recall@10 0.663 → 0.674) and
  loses on scenarios (0.429 → 0.420); the re-ranker, fitted on tokens without quantities, was not refitted
  (``benchmarks/results/quantity_tokens_{base,qty}_tune.md``).
- **Without Kiwi's default dictionary** (``default_dict=false``). A speed question: ``Kiwi()`` plus its first
  analysis take 2.2–2.7 s on this AVX-only EPYC with the dictionary and 1.3–1.5 s without, and that start-up is
  the floor of a cold ``legalret search`` (goal ≤ 2 s). It changes tokens (316 of 2,381 articles). Rule written
  before the run: make it the default if the mean of recall@10 and MRR@10 of the default over the tune styles and
  600 train-split holdings is no more than 0.003 below the default build's (0.8216), and no group's recall@10 is
  down more than 0.01; then read the report halves once. The re-ranker is not refitted.
- **Kiwi's beam cutoff** (``kiwi_cutoff=3.0``; Kiwi's own default 8.0). A speed question for the all-law first
  build (21.4 min on a Xeon with AMX, goal 20; Kiwi on the articles 352 s of it). Probe on 4,000 all-law articles,
  2 Kiwi threads: 10.0 s wall at 8.0, 7.1 at 4.0, 6.4 at 3.0 (1.56× less); of 165,470 tokens of 1,500 articles
  0.09% (4.0) and 0.2% (3.0) change. Rule written before the run: make 3.0 the default if (a) on the main job's
  index the mean of recall@10 and MRR@10 of the default over the tune styles and 600 train-split holdings is no
  more than 0.003 below the default build's, and no group's recall@10 down more than 0.01; and (b) the same on the
  all-law index (``--corpus all-acts-decrees``, vectors from the vector cache) over the tune halves of
  law_questions, law_questions_2 and user_questions per style and 600 tune-half any-law holdings
  (``benchmarks/law_eval.py``). If 3.0 fails, 4.0 is tried under the same rule. Neither re-ranker is refitted.
  Then, once: the report halves (and law_questions_3) and a first all-law build from empty caches, timed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def parse_setting(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` → (name, value): true/false as booleans, numbers as floats, anything else as the string."""
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=VALUE")
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        return name.strip(), lowered == "true"
    try:
        return name.strip(), float(value)
    except ValueError:
        return name.strip(), value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--setting", action="append", type=parse_setting, required=True,
                    help="a TokenizerSettings field, NAME=VALUE (repeatable)")
    ap.add_argument("--corpus", default="civil-commercial")
    ap.add_argument("--adapter", default=str(REPO / "legalret" / "adapters" / "me5-small-legal-qmap"))
    args = ap.parse_args(argv)

    from legalret import pipeline
    from legalret.cli.index import _load_facts, _load_precedents, load_articles
    from legalret.config import shared_data_dir
    from legalret.index.tokenize import TokenizerSettings

    fields = TokenizerSettings.__dataclass_fields__
    unknown = [name for name, _ in args.setting if name not in fields]
    if unknown:
        ap.error(f"not a TokenizerSettings field: {', '.join(unknown)}")
    data = shared_data_dir()
    if data is None:
        raise SystemExit("no shared data folder (../shared/data or $LEGALRET_DATA)")
    articles = load_articles([args.corpus])
    report = pipeline.build(
        articles, args.index, adapter=args.adapter, verbose=True, onnx_export=True,
        tokenizer=TokenizerSettings(**dict(args.setting)),
        precedents=_load_precedents([str(data / "precedents" / "precedent-kr.zip")]),
        facts=_load_facts([str(data / "precedents" / "precedent-facts.zip")]),
    )
    print(f"built {args.index}: {report.articles if hasattr(report, 'articles') else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
