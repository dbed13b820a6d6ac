"""Should the facts memory be tokenized by character n-grams instead of Kiwi? Build speed and quality, measured.

Kiwi is most of the main job's first build: the facts memory alone is 21,235 decision facts of ~1,400
characters (58k for all laws). :class:`legalret.index.ngram_tokenize.NgramTokenizer` cuts words into syllable
bigrams with no analyser. Two measurements on one index built with ``--facts`` (read only; what is written goes
to ``--work``):

* ``--timing``: Kiwi (the index's settings, 2 worker threads, no token cache) and n-grams on the same
  ``--slice`` facts texts, alternating n-grams / Kiwi / n-grams in one process (so the ratio is of one run),
  then n-grams and the BM25 matrix on all of them; Kiwi on all of them is extrapolated from the slice.
* quality: the index's facts items re-tokenized with each ``--variants`` n-gram setting, written as the facts
  part of a new generation of a copy of the index (``legalret.index.build.add_to_index``: the articles, the
  holdings memory and the encoder are those of the original), then every index searched with the project's own
  protocol (``benchmarks/style_eval.py``: gold outside the index not scored; questions: only decisions before
  ``--before`` vote; holdings: only earlier decisions, never their own). Per style: ``default`` (what
  ``legalret search`` does: hybrid + the shipped re-ranker, which reads the facts memory's rank and votes) and
  ``facts`` (the facts memory alone, the query cut as the searcher cuts it for that memory: party names out).
  Paired differences n-grams − Kiwi with 95% bootstrap intervals.

Decide on ``--split tune`` (the tune questions and ``--holdings-limit`` train holdings decided since
``--holdings-since``: the re-ranker was trained on other train holdings, so their level is optimistic, not the
difference), then report on ``--split report`` (report questions + the 600 dev holdings style_eval scores)::

    LEGALRET_HOME=… python experiments/facts_ngrams.py --index /work/lrhome/index --work /tmp/f23 --timing
    LEGALRET_HOME=… python experiments/facts_ngrams.py --index /work/lrhome/index --work /tmp/f23 --split tune \\
        --holdings /work/lrhome/gpu/pairs/train_queries.jsonl --holdings-since 2010-01-01 --holdings-limit 300
    LEGALRET_HOME=… python experiments/facts_ngrams.py --index /work/lrhome/index --work /tmp/f23 --split report \\
        --holdings /work/lrhome/gpu/pairs/dev_queries.jsonl --holdings-limit 600 --variants bigram

Results: ``benchmarks/results/build-speed/facts-ngrams-{timing,tune,report}.{json,md}``.

``--variants holdings-no-summary`` (2026-12-04) keeps Kiwi but drops the 판결요지 from the holdings memory's text:
71% of its characters, so most of the ~90 s Kiwi spends in a main-job first build. Rule, written before the run:
make it the default for new holdings memories if, on the main job's index as built today (no Kiwi default
dictionary), the default's tune mean of recall@10 and MRR@10 over the three question styles and 300 train holdings
decided since 2010 is no more than 0.003 below Kiwi with the 판결요지, and no group's recall@10 more than 0.01 below
(the default-dictionary rule); then the report split once::

    LEGALRET_HOME=… python experiments/facts_ngrams.py --index /work/lrhome/index-nodict --work /tmp/h23 --split tune \
        --holdings /work/lrhome/pairs-cc/train_queries.jsonl --holdings-since 2010-01-01 --holdings-limit 300 \
        --variants holdings-no-summary --name holdings-no-summary-tune

``--variants holdings-summary-ngrams`` (2026-12-06): the 판결요지 was worth keeping (without it tune scenario recall@10
−0.060), but Kiwi on it is ~70% of a main-job first build's Kiwi time (33,304 holdings of 339 characters, 5.15 ms of
CPU each on an AVX2 EPYC: ~171 of the build's 387 CPU-s, where the floor on 2 cores is half the CPU-s). Here the
판시사항 stays Kiwi and the 판결요지 is cut by the facts memory's n-grams (syllable bigrams + words of 2–4 syllables,
~0.5 ms a text), each n-gram marked ``§`` so the two vocabularies never meet; a query is matched with its Kiwi tokens
(as now) plus its marked n-grams (party names out, as the facts memory cuts them). Rule, written before the run: as
``holdings-no-summary``'s — on the main job's index as built today (``/tmp/mb_home/index``, main at 4a2b48b, no
Kiwi default dictionary), the default's tune mean of recall@10 and MRR@10 over the three styles and 300 train
holdings decided since 2010 no more than 0.003 below the index as built, and no group's recall@10 more than 0.01
below; then the report split once. Passing makes it the candidate for the product (a memory tokenizer of two
parts, stored in the memory's settings), not the default by itself::

    LEGALRET_HOME=… python experiments/facts_ngrams.py --index /tmp/mb_home/index --work /tmp/hs23 --split tune \
        --holdings /work/lrhome/pairs-cc/train_queries.jsonl --holdings-since 2010-01-01 --holdings-limit 300 \
        --variants holdings-summary-ngrams --name holdings-summary-ngrams-tune

Outcome (2026-12-06): **not passed, the 판결요지 stays Kiwi.** Kiwi on the 판시사항 alone took 51.8 CPU-s and the
n-grams 3.0 (against ~171 CPU-s for Kiwi on both: ~116 CPU-s less, a first build near 155 s on that CPU), but the
default lost tune recall@10 on scenarios 0.795 → 0.756 (−0.039 [−0.072, −0.009]) and short questions 0.855 → 0.843
(−0.012), past the rule's 0.01; MRR@10 and the 300 holdings held (holdings recall@10 +0.002, MRR@10 +0.008;
``holdings-summary-ngrams-tune.md``). The re-ranker was fitted on Kiwi votes; a refit was not part of the rule.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

#: n-gram settings tried (NgramSettings fields).
VARIANTS = {"bigram": {"n": 2}, "bigram+words4": {"n": 2, "words": 4}, "trigram": {"n": 3},
            "holdings+bigram+words4": {"n": 2, "words": 4},  # holdings+…: the holdings memory too
            # holdings-…: the holdings memory alone, still Kiwi, its text without the 판결요지 (71% of its characters
            # on the main job's index, so of its Kiwi time)
            "holdings-no-summary": {"kiwi": True, "with_summary": False},
            # the holdings memory alone: its 판시사항 by Kiwi, its 판결요지 by marked n-grams (SUMMARY_MARK)
            "holdings-summary-ngrams": {"kiwi": True, "summary_ngrams": {"n": 2, "words": 4}}}
#: Marks the 판결요지's n-grams in ``holdings-summary-ngrams`` (no Kiwi token starts with it: a symbol, never kept).
SUMMARY_MARK = "§"
METRICS = ("recall@10", "mrr@10", "recall@100")


def facts_part(index: str) -> Path:
    from legalret.index.store import load_index

    return load_index(index, verify="none").path / "facts"


def load_facts(index: str):
    from legalret.memory.store import PrecedentMemory

    return PrecedentMemory.load(facts_part(index))


def cpu() -> float:
    return time.process_time()


def timing(index: str, slice_n: int) -> dict:
    """Seconds (wall, process CPU) to tokenize ``slice_n`` facts with n-grams / Kiwi / n-grams, then all with
    n-grams + the BM25 matrix of each token set."""
    from legalret.index.bm25 import BM25Engine, TokenStore
    from legalret.index.tokenize import KiwiTokenizer
    from legalret.index.store import load_index
    from legalret.memory.facts import FACTS_BM25, facts_tokenizer

    kiwi_settings = load_index(index, verify="none").manifest["tokenizer"]
    facts = load_facts(index)
    texts = [facts.items[i].search_text(False) for i in range(len(facts.items))]
    part = texts[:slice_n]
    kiwi, ngram = KiwiTokenizer(kiwi_settings, cache=False), facts_tokenizer()  # (what new facts memories use)
    kiwi.tokenize("워밍업")  # (Kiwi's model loads here, not in the clock)
    rows = {}

    def clock(name, fn):
        w, c = time.perf_counter(), cpu()
        out = fn()
        rows[name] = {"wall_s": round(time.perf_counter() - w, 3), "cpu_s": round(cpu() - c, 3)}
        print(f"  {name}: {rows[name]}", flush=True)
        return out

    clock(f"ngram {slice_n} (1st)", lambda: ngram.tokenize_many(part))
    kiwi_tokens = clock(f"kiwi {slice_n}", lambda: kiwi.tokenize_many(part))
    clock(f"ngram {slice_n} (2nd)", lambda: ngram.tokenize_many(part))
    all_ngrams = clock(f"ngram all {len(texts)}", lambda: ngram.tokenize_many(texts))
    clock("bm25 ngram all", lambda: BM25Engine.build(TokenStore.from_lists(all_ngrams), FACTS_BM25))
    stored = [facts.tokens.get(i) for i in range(len(facts.items))]
    clock("bm25 kiwi all (stored tokens)", lambda: BM25Engine.build(TokenStore.from_lists(stored), FACTS_BM25))
    ng = (rows[f"ngram {slice_n} (1st)"]["wall_s"] + rows[f"ngram {slice_n} (2nd)"]["wall_s"]) / 2
    kw = rows[f"kiwi {slice_n}"]["wall_s"]
    same_as_stored = sum(a == b for a, b in zip(kiwi_tokens, stored[:slice_n]))
    return {
        "facts": len(texts), "slice": slice_n, "ngram_settings": ngram.settings.to_dict(), "mean_chars": round(float(np.mean([len(t) for t in texts])), 1),
        "tokens_per_text": {"kiwi": round(float(np.mean([len(t) for t in stored])), 1),
                            "ngram": round(float(np.mean([len(t) for t in all_ngrams])), 1)},
        "rows": rows, "kiwi_over_ngram_wall": round(kw / ng, 1),
        "kiwi_over_ngram_cpu": round(rows[f"kiwi {slice_n}"]["cpu_s"] / ((rows[f"ngram {slice_n} (1st)"]["cpu_s"]
                                                                          + rows[f"ngram {slice_n} (2nd)"]["cpu_s"]) / 2), 1),
        "kiwi_all_extrapolated_wall_s": round(kw * len(texts) / slice_n, 1),
        "kiwi_slice_tokens_equal_stored": same_as_stored,
    }


def build_variant(index: str, work: Path, name: str, settings: dict) -> Path:
    """A copy of ``index`` whose newest generation has the facts (and, for a ``holdings+`` variant, the holdings)
    re-tokenized with ``settings``."""
    from legalret.index.bm25 import TokenStore
    from legalret.index.build import add_to_index
    from legalret.index.ngram_tokenize import NgramSettings, NgramTokenizer
    from legalret.memory.format import FACTS_PART, MEMORY_PART
    from legalret.memory.store import PrecedentMemory

    out = work / f"idx-{name}"
    marker = out / ".built"
    if marker.is_file():
        return out
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(index, out)
    settings = dict(settings)
    keep_kiwi, with_summary = settings.pop("kiwi", False), settings.pop("with_summary", None)
    summary_ngrams = settings.pop("summary_ngrams", None)
    tok = None if keep_kiwi else NgramTokenizer(NgramSettings(**settings))
    parts = {}
    chosen = ((MEMORY_PART,) if name.startswith("holdings-") else
              (FACTS_PART, MEMORY_PART) if name.startswith("holdings+") else (FACTS_PART,))
    for part in chosen:
        kiwi = PrecedentMemory.load(facts_part(index).parent / part)
        items = list(kiwi.items)
        summary = kiwi.with_summary if with_summary is None else with_summary
        part_tok = tok or _uncached_kiwi(index)
        t = time.perf_counter()
        if summary_ngrams is not None:
            tokens = summary_ngram_tokens(items, part_tok, NgramTokenizer(NgramSettings(**summary_ngrams)))
        else:
            tokens = part_tok.tokenize_many([it.search_text(summary) for it in items])
        memory = PrecedentMemory(items, TokenStore.from_lists(tokens), tokenizer=tok or kiwi.tokenizer,
                                 with_summary=summary, params=kiwi.params, max_tokens=kiwi.max_tokens, kind=kiwi.kind)
        memory.settings, memory.keep_keys = dict(kiwi.settings), kiwi.keep_keys
        print(f"  {name}: {len(items)} {part} items tokenized + BM25 in {time.perf_counter() - t:.1f}s", flush=True)
        parts[part] = memory
    add_to_index([], out, remove_missing=False, parts=lambda ctx: parts)
    marker.write_text(f"{settings}\n")
    return out


def summary_ngram_tokens(items, kiwi, ngrams) -> list[list[str]]:
    """Kiwi's tokens of each holding's 판시사항, then its 판결요지's n-grams marked with :data:`SUMMARY_MARK`."""
    from legalret.text import normalize

    c = cpu()
    heads = kiwi.tokenize_many([normalize(it.text) for it in items])
    k = cpu()
    tails = ngrams.tokenize_many([normalize(it.summary) if it.summary else " " for it in items])
    print(f"    Kiwi on the 판시사항: {k - c:.1f} CPU-s; n-grams on the 판결요지: {cpu() - k:.1f} CPU-s", flush=True)
    return [h + [SUMMARY_MARK + g for g in (t if it.summary else [])] for h, t, it in zip(heads, tails, items)]


def match_summary_ngrams(searcher, settings: dict) -> None:
    """Query side of ``holdings-summary-ngrams``: the holdings memory is asked with the query's Kiwi tokens (as the
    default asks it) plus its marked n-grams (party names out, as the facts memory cuts a query)."""
    from legalret.index.ngram_tokenize import NgramSettings, NgramTokenizer
    from legalret.search.parties import without_party_names

    searcher.search("워밍업", k=1)  # (the retrievers open on first use)
    votes = searcher.opened["memory"]
    ngrams = NgramTokenizer(NgramSettings(**settings))
    plain = votes.candidates

    def candidates(query, n):
        marked = [SUMMARY_MARK + g for g in ngrams.tokenize(without_party_names(query.text))]
        tokens = list(query.tokens)
        query.tokens = tokens + marked  # (the memory reads query.tokens: same_tokens)
        try:
            return plain(query, n)
        finally:
            query.tokens = tokens

    assert votes.same_tokens, "the holdings memory must be asked with the searcher's tokens"
    votes.candidates = candidates


def _uncached_kiwi(index: str):
    """Kiwi with the index's settings and no token cache (so the variant's tokenizing time is Kiwi's own)."""
    from legalret.index.store import load_index
    from legalret.index.tokenize import KiwiTokenizer

    return KiwiTokenizer(load_index(index, verify="none").manifest["tokenizer"], cache=False)


class FactsAlone:
    """The facts memory of a Searcher on its own, the query cut exactly as the default search cuts it for that
    memory (``FactsVotes.candidates``: the searcher's tokens for Kiwi, its own n-grams without party names) —
    the evaluation protocol of ``legalret.evaluate.quality`` (``search_batch``)."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.retriever = searcher.opened["facts"]
        self.memory = self.retriever.retriever.memory

    def search(self, query: str, k: int = 10, *, before=None, exclude=None, **_):
        q = self.searcher.prepare.query(query)
        q.before, q.exclude = before, exclude
        return self.retriever.candidates(q, k)

    def search_batch(self, queries, k: int = 10, *, before=None, exclude=None, **_):
        befores = before if isinstance(before, (list, tuple)) else [before] * len(queries)
        excludes = exclude if isinstance(exclude, (list, tuple)) else [exclude] * len(queries)
        return [self.search(q, k, before=b, exclude=e) for q, b, e in zip(queries, befores, excludes)]


def evaluate_index(index: Path, queries, before: str, seed: int, summary_ngrams: dict | None = None) -> dict[str, list]:
    from legalret.evaluate.quality import index_keys_of
    from legalret.search.searcher import Searcher
    from style_eval import _evaluate, _metrics

    searcher = Searcher(index)
    if summary_ngrams is not None:
        match_summary_ngrams(searcher, summary_ngrams)
    out = {}
    t = time.perf_counter()
    rep = _evaluate(searcher, queries, modes=("hybrid",), ks=(1, 10, 100), rank_k=10, gold_filter="indexed",
                    n_resamples=0, seed=seed, default_before=before)
    out["default"] = _metrics(rep, "hybrid", queries)
    rep = _evaluate({"facts": FactsAlone(searcher)}, queries, modes=("facts",), ks=(1, 10, 100), rank_k=10,
                    index_keys=index_keys_of(searcher), gold_filter="indexed", n_resamples=0, seed=seed,
                    default_before=before)
    out["facts"] = _metrics(rep, "facts", queries)
    print(f"  {index.name}: {time.perf_counter() - t:.0f}s", flush=True)
    return out


def load_queries(args):
    from style_eval import load_sets

    queries = load_sets(args.questions, args.split, None, None, args.seed)
    if args.holdings:
        if args.holdings_since:  # a seeded sample of the holdings decided since then (as party_tokens.py)
            held = [q for q in load_sets(args.questions, "none", args.holdings, None, args.seed)
                    if str(q.extra.get("date", "")) >= args.holdings_since]
            held = [held[i] for i in sorted(np.random.default_rng(args.seed).permutation(len(held))[: args.holdings_limit])]
        else:  # the sample benchmarks/style_eval.py scores
            held = load_sets(args.questions, "none", args.holdings, args.holdings_limit or None, args.seed)
        queries += held
    return queries


def markdown_quality(result: dict) -> str:
    s = result["settings"]
    names = result["systems"]
    styles = list(result["styles"])
    out = [f"### Facts memory tokenized by Kiwi vs character n-grams — {s['split']} split\n",
           f"Index `{s['index']}` (facts re-tokenized into copies); questions: votes only before {s['before']}; "
           f"holdings: `{Path(s['holdings']).name if s['holdings'] else '-'}` ({s['holdings_note']}). "
           "n = queries scored (gold in the index). Mean [95% bootstrap interval]; paired differences n-grams − Kiwi.\n"]
    for m in METRICS[:2]:
        out.append(f"\n**{m}**\n")
        scored = {st: max(r["evaluated"] for r in result["styles"][st]["retrievers"].values()) for st in styles}
        out.append("| system | " + " | ".join(f"{st} (n={scored[st]})" for st in styles) + " |")
        out.append("|---|" + "---:|" * len(styles))
        for n in names:
            cells = []
            for st in styles:
                a = result["styles"][st]["retrievers"][n]["metrics"].get(m)
                cells.append(f"{a['mean']:.3f} [{a['ci_low']:.3f}, {a['ci_high']:.3f}]" if a else "–")
            out.append(f"| {n} | " + " | ".join(cells) + " |")
    out.append("\n**Paired differences (mean [95% CI])**\n")
    out.append("| comparison | style | " + " | ".join(METRICS) + " |")
    out.append("|---|---|" + "---:|" * len(METRICS))
    for st in styles:
        for label, per in result["styles"][st]["paired"].items():
            if per:
                out.append(f"| {label} | {st} | " + " | ".join(
                    f"{per[m]['mean']:+.3f} [{per[m]['ci_low']:+.3f}, {per[m]['ci_high']:+.3f}]" for m in METRICS) + " |")
    return "\n".join(out) + "\n"


def markdown_timing(t: dict) -> str:
    out = [f"### Facts memory tokenizing: Kiwi vs character n-grams {t['ngram_settings']} (one process, same texts)\n",
           f"{t['facts']:,} facts texts of the main job's index (mean {t['mean_chars']:,} characters; tokens per text: "
           f"Kiwi {t['tokens_per_text']['kiwi']}, n-grams {t['tokens_per_text']['ngram']}). Kiwi: the index's "
           f"settings, 2 worker threads, no token cache; {t['kiwi_slice_tokens_equal_stored']} of {t['slice']} "
           "Kiwi token lists equal the index's stored ones.\n",
           "| step | wall s | CPU s (process) |", "|---|---:|---:|"]
    out += [f"| {k} | {v['wall_s']:.2f} | {v['cpu_s']:.2f} |" for k, v in t["rows"].items()]
    out.append(f"\nKiwi / n-grams on the slice: **{t['kiwi_over_ngram_wall']}× wall, {t['kiwi_over_ngram_cpu']}× CPU**; Kiwi on all "
               f"{t['facts']:,} facts extrapolated from the slice: {t['kiwi_all_extrapolated_wall_s']:.0f} s wall.\n")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True, help="an index built with --facts (read only)")
    ap.add_argument("--work", required=True, help="where the index copies go")
    ap.add_argument("--timing", action="store_true", help="measure tokenizing speed instead of quality")
    ap.add_argument("--slice", type=int, default=1000, help="facts texts Kiwi tokenizes for --timing")
    ap.add_argument("--variants", default="bigram", help=f"n-gram settings to compare: {', '.join(VARIANTS)}")
    ap.add_argument("--questions", default=str(REPO / "benchmarks" / "queries" / "user_questions.jsonl"))
    ap.add_argument("--split", default="tune", choices=("tune", "report"))
    ap.add_argument("--holdings")
    ap.add_argument("--holdings-since", default="")
    ap.add_argument("--holdings-limit", type=int, default=300)
    ap.add_argument("--before", default="2020-01-01")
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "build-speed"))
    ap.add_argument("--name", help="result file stem (default facts-ngrams-<split>)")
    args = ap.parse_args(argv)

    from legalret.evaluate.report import write_result

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.timing:
        result = timing(args.index, args.slice)
        md = markdown_timing(result)
        write_result(args.out, "facts-ngrams-timing", result, md)
        print(md)
        return 0

    from style_eval import per_style

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    indexes = {"kiwi": Path(args.index)}
    for v in variants:
        indexes[v] = build_variant(args.index, work, v, VARIANTS[v])
    queries = load_queries(args)
    print(f"{len(queries)} queries", flush=True)
    results = {}
    for name, path in indexes.items():
        for system, rows in evaluate_index(path, queries, args.before, args.seed,
                                           VARIANTS.get(name, {}).get("summary_ngrams")).items():
            results[f"{system} {name}"] = rows
    systems = [f"{s} {n}" for s in ("default", "facts") for n in indexes]
    comparisons = tuple((f"{s} {v}", f"{s} kiwi") for s in ("default", "facts") for v in variants)
    result = {
        "schema": "legalret.experiment.facts-ngrams/1",
        "settings": {"index": args.index, "split": args.split, "questions": args.questions, "holdings": args.holdings,
                     "holdings_note": (f"{args.holdings_limit} seeded, decided since {args.holdings_since}"
                                       if args.holdings_since else f"{args.holdings_limit} seeded (style_eval's sample)"),
                     "before": args.before, "variants": {v: VARIANTS[v] for v in variants},
                     "n_resamples": args.resamples, "seed": args.seed,
                     "command": "python experiments/facts_ngrams.py " + " ".join(argv if argv is not None else sys.argv[1:])},
        "systems": systems,
        "styles": per_style(queries, {n: results[n] for n in systems}, n_resamples=args.resamples, seed=args.seed,
                            comparisons=comparisons),
    }
    md = markdown_quality(result)
    write_result(args.out, args.name or f"facts-ngrams-{args.split}", result, md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
