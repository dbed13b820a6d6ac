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
  **Passed on tune, not kept**: tune mean 0.8267 → 0.8267 (main-job index) and 0.7282 → 0.7266 (all laws; short
  recall@10 −0.007, scenario −0.006), so 3.0 became the default — then the reads that were to confirm it did not:
  the main-job report halves 0.8277 → 0.8225 (short recall@10 0.849 → 0.826, scenario 0.863 → 0.836; 600 dev
  holdings equal), the all-law report halves 0.7483 → 0.7491, law_questions_3 0.4789 → 0.4829. Looking at the
  tokens told why: the pruned beam mis-analyses common endings — "…할 수 있는가?" gives a noun 가 (169 of 871
  questions), "…인지 여부" a noun 지 (350 of 4,000 holdings) — a systematic error, not noise
  (``kiwi_cutoff_speed.md``). Kiwi's 8.0 stays the default. The speed was real: the first all-law build, both
  back to back on one day, 1,418 → 1,274 s (23.6 → 21.2 min; Kiwi on the articles 339 → 229 s, memories 233 →
  193 s; ``build-all-acts-decrees-amx-cutoff{8,3}.json``). Left for a later rule: the cutoff for statute texts
  only (their analysis changes least; the questions and holdings at 8.0), which would keep ~110 s of it.
- **The cutoff for the articles only** (``article_cutoff=3.0``: the index's article texts analysed at 3.0, the
  questions and the memories' texts at ``kiwi_cutoff`` 8.0). Probe before the rule (2026-12-05, AMX Xeon, the
  all-law articles, questions and holdings of the scan above): Kiwi time on 4,000 articles 10.5 s at 8.0, 8.5 at
  6.0, 7.8 at 5.0, 7.3 at 4.0, 6.5 at 3.0 (1.63×); the holdings and questions change at every cutoff below 8.0
  (a noun 지 in 120 of 3,000 holdings already at 6.0), so only the articles move. Token agreement — the share of
  a question's tokens (at 8.0) found in its gold articles' tokens, articles at 8.0 → 3.0: user_questions 0.4462 →
  0.4462, law_questions 0.4864 → 0.4868, law_questions_2 0.3392 → 0.3389, law_questions_3 0.3794 → 0.3794, 1,000
  any-law holdings 0.3933 → 0.3933 (no loss; 4.0 the same). Rule written before the run: make 3.0 the default
  if (a) on both indexes the tune reads hold as for ``kiwi_cutoff`` above (mean of recall@10 and MRR@10 of the
  default no more than 0.003 below the 8.0 build's — ``kiwi_cutoff_main_index_tune``,
  ``kiwi_cutoff_all_index-all_tune`` —, no group's recall@10 down more than 0.01), and then (b) the report
  halves hold by the same two limits (main job: report halves + 600 dev holdings; all-law: report halves + 600
  report-half holdings; against ``kiwi_cutoff_*_report``) and law_questions_3 recall@10 is no more than 0.01
  lower. If 3.0 fails (a), 4.0 is tried under the same rule; a failure in (b) ends it. Neither re-ranker is
  refitted. Then a first all-law build from empty caches, timed back to back with the 8.0 build.
  **(a) passed, (b) did not: not kept**, ``article_cutoff`` stays 8.0. Tune: main-job index 0.8267 → 0.8265, all-law
  0.7282 → 0.7281 (no group's recall@10 lower). Report: all-law 0.7483 → 0.7484 (recall@10 equal in every group),
  law_questions_3 0.4789 → 0.4788 (recall@10 equal); main-job report halves 0.8277 → 0.8259 with short recall@10
  0.849 → 0.837 — one question of 86 (user-020: 민법 제629조 from rank 10 to 11, 민법 제699조 from 12 to 9) — past
  the 0.01 the rule allowed; the baseline re-read in the same run gave its stored numbers exactly
  (``article_cutoff_main_base_report``). The timed builds were not run; the article stage's saving is the one
  measured for ``kiwi_cutoff`` above (338.6 → 229.3 s). What the three speed rules of 2026-12-05 share: each held on
  the all-law index and lost on the 86 short / 56 scenario report questions of the main job, where 0.01 is less
  than one question (``article_cutoff_{main,all}_{tune,report}.md``, ``article_cutoff_all_lq3.md``). Paired
  question by question on a rebuild of both indexes (``benchmarks/compare_runs.py``,
  ``article_cutoff_main_report_compare``): that one short question down, no question up anywhere.

Usage of the speed check (Kiwi time and the tokens that change, on articles, the question files and holdings) and
of the token-agreement check (do the questions' tokens still meet their gold articles' tokens)::

    python experiments/tokenizer_variant.py --corpus all-acts-decrees --speed 4000 --setting kiwi_cutoff=3.0 \
        --name kiwi_cutoff_speed
    python experiments/tokenizer_variant.py --corpus all-acts-decrees --setting article_cutoff=3.0 \
        --agreement $LEGALRET_HOME/pairs-all/law_holdings.jsonl --name article_cutoff_agreement
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
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


QUESTION_FILES = ("user_questions.jsonl", "law_questions.jsonl", "law_questions_2.jsonl")


def _holdings_sample(n: int, seed: int) -> list[str]:
    """``n`` holdings (판시사항) of the shared precedents, seeded: the texts the holdings memory tokenizes."""
    import random

    from legalret.config import shared_data_dir
    from legalret.precedents import read_precedents

    data = shared_data_dir()
    if data is None:
        return []
    texts = [h.text for p in read_precedents(data / "precedents" / "precedent-kr.zip") for h in p.holdings]
    return random.Random(seed).sample(texts, min(n, len(texts)))


def _token_changes(before: list[list[str]], after: list[list[str]]) -> tuple[int, Counter, Counter]:
    """(texts tokenized otherwise, tokens only ``before`` has, tokens only ``after`` has), counted with repeats."""
    lost: Counter = Counter()
    gained: Counter = Counter()
    for a, b in zip(before, after):
        ca, cb = Counter(a), Counter(b)
        lost.update(ca - cb)
        gained.update(cb - ca)
    return sum(a != b for a, b in zip(before, after)), lost, gained


def speed(articles: list, settings: dict, n: int, seed: int, out_dir: Path, name: str) -> dict:
    """Kiwi's time (2 worker threads, token cache off, each tokenizer warmed first) and the tokens that change:
    the default settings against the default with ``settings``, on a seeded sample of ``n`` articles, twice in
    alternation; writes ``<name>.{json,md}``."""
    import random
    import time

    from legalret.evaluate.questions import read_questions
    from legalret.evaluate.report import write_result
    from legalret.evaluate.speed import machine_info
    from legalret.index.tokenize import KiwiTokenizer, TokenizerSettings

    live = [a for a in articles if not a.deleted]  # what a build tokenizes
    texts = [a.index_text() for a in random.Random(seed).sample(live, min(n, len(live)))]
    variants = {"default": TokenizerSettings(), "variant": TokenizerSettings(**settings)}
    tokenizers = {k: KiwiTokenizer(v, num_workers=2, cache=False) for k, v in variants.items()}
    for tok in tokenizers.values():
        tok.tokenize_many(texts[:50])
    wall: dict[str, list[float]] = {k: [] for k in variants}
    tokens: dict[str, list[list[str]]] = {}
    for _ in range(2):
        for k, tok in tokenizers.items():
            t = time.perf_counter()
            tokens[k] = tok.tokenize_many(texts)
            wall[k].append(time.perf_counter() - t)
    differing, lost, gained = _token_changes(tokens["default"], tokens["variant"])
    total = sum(map(len, tokens["default"]))
    # the same question for the texts a search analyses: the questions, and holdings (the memory's texts)
    queries = [q.query for f in QUESTION_FILES for q in read_questions(REPO / "benchmarks" / "queries" / f)]
    others = {}
    for label, sample in (("questions", queries), ("holdings", _holdings_sample(n, seed))):
        if sample:
            changed_texts, _, new_tokens = _token_changes(*(tok.tokenize_many(sample) for tok in tokenizers.values()))
            others[label] = {"texts": len(sample), "differing": changed_texts, "new_tokens": new_tokens.most_common(8)}
    result = {
        "settings": {"default": variants["default"].to_dict(), "variant": variants["variant"].to_dict(), "n": len(texts),
                     "seed": seed, "characters": sum(map(len, texts))},
        "machine": machine_info(), "wall_s": wall, "texts_differing": differing,
        "tokens": total, "tokens_lost": sum(lost.values()), "tokens_gained": sum(gained.values()), "other_texts": others,
    }
    best = {k: min(v) for k, v in wall.items()}
    changed = ", ".join(f"{k}={v}" for k, v in settings.items())
    md = (f"### Kiwi speed: default vs {changed}\n\n{len(texts):,} articles (seed {seed}, "
          f"{result['settings']['characters']:,} characters), 2 Kiwi threads, token cache off, best of 2 runs in "
          f"alternation.\n\n| tokenizer | wall s | tokens lost | tokens gained | texts differing |\n|---|---:|---:|---:|---:|\n"
          f"| default (kiwi_cutoff={variants['default'].kiwi_cutoff}) | {best['default']:.2f} | – | – | – |\n"
          f"| {changed} | {best['variant']:.2f} | {result['tokens_lost']} of {total:,} | {result['tokens_gained']} | "
          f"{differing} |\n")
    for label, o in others.items():
        common = ", ".join(f"{t} ×{c}" for t, c in o["new_tokens"][:5])
        md += f"\n{label}: {o['differing']} of {o['texts']} tokenized otherwise; most frequent new tokens: {common}"
    write_result(out_dir, name, result, md + "\n")
    print(md)
    return result


def agreement(articles: list, settings: dict, holdings: Path | None, out_dir: Path, name: str) -> dict:
    """Do a question's tokens still meet its gold articles' tokens when the articles are tokenized with the default
    plus ``settings`` (through :meth:`TokenizerSettings.for_articles`, as a build does) and the question with the
    default: per question file (and the first 1,000 any-law dev holdings of ``holdings``), the mean share of a
    question's tokens found among its gold articles' tokens, default articles vs variant articles. Writes
    ``<name>.{json,md}``."""
    import json

    from legalret.evaluate.questions import read_questions
    from legalret.evaluate.report import write_result
    from legalret.index.tokenize import KiwiTokenizer, TokenizerSettings

    by_key = {a.key: a for a in articles if not a.deleted}
    sets = {f: [(q.query, list(q.gold)) for q in read_questions(REPO / "benchmarks" / "queries" / f)]
            for f in (*QUESTION_FILES, "law_questions_3.jsonl")}
    if holdings is not None:
        with open(holdings, encoding="utf-8") as fh:
            sets["holdings"] = [(d["query"], d["gold"]) for d in map(json.loads, list(fh)[:1000])]
    keys = sorted({k for pairs in sets.values() for _, gold in pairs for k in gold if k in by_key})
    texts = [by_key[k].index_text() for k in keys]
    default = TokenizerSettings()
    article_tokens = {label: dict(zip(keys, KiwiTokenizer(s.for_articles(), num_workers=2, cache=False).tokenize_many(texts)))
                      for label, s in (("default", default), ("variant", TokenizerSettings(**settings)))}
    query_tokenizer = KiwiTokenizer(default, num_workers=2, cache=False)
    shares: dict[str, dict[str, float]] = {}
    for label, pairs in sets.items():
        tokens = query_tokenizer.tokenize_many([q for q, _ in pairs])
        shares[label] = {}
        for side, by_article in article_tokens.items():
            values = [sum(t in vocab for t in toks) / len(toks)
                      for (_, gold), toks in zip(pairs, tokens)
                      if toks and (vocab := set().union(*(by_article[k] for k in gold if k in by_article)))]
            shares[label][side] = round(sum(values) / len(values), 4)
        shares[label]["questions"] = len(pairs)
    changed = ", ".join(f"{k}={v}" for k, v in settings.items())
    md = (f"### Token agreement: gold articles tokenized with the default vs {changed}\n\nShare of a question's tokens "
          f"(default settings) found among its gold articles' tokens ({len(keys):,} gold articles).\n\n"
          "| questions | n | default articles | variant articles |\n|---|---:|---:|---:|\n")
    md += "".join(f"| {label} | {v['questions']} | {v['default']:.4f} | {v['variant']:.4f} |\n" for label, v in shares.items())
    result = {"settings": {"variant": TokenizerSettings(**settings).to_dict(), "gold_articles": len(keys)}, "shares": shares}
    write_result(out_dir, name, result, md)
    print(md)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, help="where the variant index is built (not with --speed)")
    ap.add_argument("--speed", type=int, metavar="N",
                    help="only time Kiwi and count changed tokens on N articles of --corpus: default vs --setting")
    ap.add_argument("--agreement", type=Path, metavar="HOLDINGS", nargs="?", const=False, default=None,
                    help="only measure token agreement of questions (and HOLDINGS, any-law dev holdings) with their gold "
                         "articles tokenized with --setting, against the default")
    ap.add_argument("--name", default="tokenizer_speed", help="result file stem for --speed / --agreement")
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
    articles = load_articles([args.corpus]).articles
    if args.agreement is not None:
        agreement(articles, dict(args.setting), args.agreement or None, REPO / "benchmarks" / "results", args.name)
        return 0
    if args.speed:
        speed(articles, dict(args.setting), args.speed, 7, REPO / "benchmarks" / "results", args.name)
        return 0
    if args.index is None:
        ap.error("--index is required (unless --speed)")
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
