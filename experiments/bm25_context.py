"""Should the article BM25 index read each article's law name and chapter headings besides its title and body?

An article is indexed as ``title + body`` (:meth:`legalret.articles.Article.index_text`): its law's name (근로기준법,
주택임대차보호법) and the headings of the 편/장/절 it sits in (임금, 해고 등의 제한, 대항력 등) — the words a person uses for
the subject — reach BM25 nowhere. On the all-law index the gold articles of people's questions about other laws are
missing from the fused candidates (the pool holds 0.85 short / 0.82 scenario at depth 150), so a change to the
candidates, not to their order, is what could lift them.

Stage 1 (``--probe``, BM25 alone, tune halves of both question files): the index's own article tokens, and the same
with the tokens of the law name, of the chapter path (numbers dropped: "제3장 임금" → "임금") or of both put in front.

Stage 2 (``--make IDX_CTX``): a copy of the index (files hard-linked) whose article BM25 reads law name + chapter path
+ title + body — the same tokens, vectors and memories, only ``bm25/`` rewritten and the manifest's checksums
renewed — so that the fused default's candidates can be cached (``ranker_cache.py --index IDX_CTX``) and the
all-law re-ranker refitted on them (``ranker_all_laws.py --name bm25_context_rerank``).

Rule, written before stage 2 was run (2026-12-04): ``listwise-match`` refitted on the context index's candidates must
reach a cross-validated tune mean ≥ +0.005 above ``listwise-match`` refitted on the index's own candidates (0.7319,
``ranker_all_laws_trees.md``: the same holdings and folds) with no tune group's recall@10 lower by more than 0.01,
and then the report halves (scored once) must confirm it: their mean of recall@10 and MRR@10 over the six question
groups and the 1,000 dev holdings no lower than that refit's (0.7629, ``ranker_all_laws_trees_report.md``). Passing
both makes the case for building the article BM25 this way by default; shipping it also needs the 민법+상법 index
checked (its re-ranker was fitted on BM25 ranks without the context).

Outcome (2026-12-04): BM25 alone gains with both (``bm25_context_probe.md``; recall@10 / @150, tune: law short 0.326 /
0.692 → 0.376 / 0.720, law scenario 0.385 / 0.621 → 0.414 / 0.681, 민법/상법 scenario 0.193 / 0.527 → 0.256 / 0.560), and the
fused top 150 holds more gold (law short 0.848 → 0.878, scenario 0.828 → 0.836), but the refitted re-ranker does not
turn it into a better top 10: tune mean 0.7332 against 0.7319 (``bm25_context_rerank.md``) — stage 2 **not passed**,
the report halves not read, the article BM25 stays title + body. On the 민법+상법 index the chapters alone move BM25
recall@10 both ways (``bm25_context_probe_main.md``).

    LEGALRET_HOME=… python experiments/bm25_context.py --index FULL_IDX --probe
    LEGALRET_HOME=… python experiments/bm25_context.py --index FULL_IDX --make FULL_IDX_CTX

Writes ``benchmarks/results/NAME.{json,md}`` (stage 1; ``--name``, default ``bm25_context_probe``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from index_names import recorded_command  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
QUESTIONS = {"law": REPO / "benchmarks" / "queries" / "law_questions.jsonl",
             "user": REPO / "benchmarks" / "queries" / "user_questions.jsonl"}
#: "제3장 임금", "제2절의2 …": the unit and its number say where, not what
UNIT_NUMBER = re.compile(r"^제\s*\d+\s*(편|장|절|관|항)(\s*의\s*\d+)?\s*")


def chapter_words(chapter: list[str]) -> str:
    return " ".join(UNIT_NUMBER.sub("", c) for c in chapter)


def searchable_articles(gen: Path) -> list[dict]:
    """The stored article of each BM25 row of generation ``gen``, in row order (``articles.jsonl`` by ``rows.json``)."""
    rows = json.loads((gen / "rows.json").read_text(encoding="utf-8"))["rows"]
    with open(gen / "articles.jsonl", encoding="utf-8") as f:
        arts = [json.loads(line) for line in f]
    return [arts[p] for p in rows]


def context_tokens(gen: Path, tokenizer) -> tuple[list[str], list[list[str]], list[list[str]], list[list[str]]]:
    """``(keys, the index's article tokens, law-name tokens, chapter tokens)`` per BM25 row (distinct names and
    chapter paths are tokenized once)."""
    from legalret.index.bm25 import TokenStore

    arts = searchable_articles(gen)
    plain = TokenStore.load(gen / "tokens").to_lists()
    if len(plain) != len(arts):
        raise SystemExit(f"{gen}: {len(plain)} token rows for {len(arts)} searchable articles")
    laws = sorted({a["law"] for a in arts})
    chapters = sorted({chapter_words(a["chapter"]) for a in arts})
    law_tok = dict(zip(laws, tokenizer.tokenize_many(laws)))
    chap_tok = dict(zip(chapters, tokenizer.tokenize_many(chapters)))
    return ([a["key"] for a in arts], plain, [law_tok[a["law"]] for a in arts],
            [chap_tok[chapter_words(a["chapter"])] for a in arts])


def probe(index: str, gen: Path, manifest: dict, tokenizer, params, argv, name: str) -> None:
    from legalret.evaluate.questions import read_questions
    from legalret.index.bm25 import BM25Engine
    from legalret.search.prepare import PARTY_MARKERS

    keys, plain, law, chapter = context_tokens(gen, tokenizer)
    variants = {"as indexed": plain,
                "+ law name": [a + b for a, b in zip(law, plain)],
                "+ chapters": [a + b for a, b in zip(chapter, plain)],
                "+ law name + chapters": [a + b + c for a, b, c in zip(law, chapter, plain)]}
    engines = {name: BM25Engine.build(tokens, params) for name, tokens in variants.items()}
    known = set(keys)
    scores: dict = defaultdict(lambda: defaultdict(list))
    for which, path in QUESTIONS.items():
        for q in read_questions(str(path)):
            gold = [g for g in q.gold if g in known]
            if q.split != "tune" or not gold:
                continue
            words = [t for t in tokenizer.tokenize(q.query) if t not in PARTY_MARKERS]
            for variant, engine in engines.items():
                top = [keys[i] for i in engine.top(words, 150)[0]]
                for cut in (10, 150):
                    scores[f"{which} {q.style}"][f"{variant} recall@{cut}"].append(len(set(gold) & set(top[:cut])) / len(gold))
    write_probe(name, "Article BM25 alone with its law name and chapter headings", Path(index).name, scores,
                list(variants), recorded_command("bm25_context.py", argv, folder="experiments"))


def write_probe(name: str, title: str, index: str, scores: dict, variants: list[str], command: str) -> None:
    """``benchmarks/results/NAME.{json,md}``: per group, each variant's mean recall@10 / recall@150 (``scores``:
    group → "VARIANT recall@CUT" → per-query values)."""
    table = {g: {m: float(np.mean(v)) for m, v in d.items()} | {"n": len(d[f"{variants[0]} recall@10"])}
             for g, d in sorted(scores.items())}
    out = {"index": index, "groups": table, "variants": variants, "command": command}
    (RESULTS / f"{name}.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    lines = [f"# {title} (tune halves, recall@10 / recall@150)", "",
             "| group | n | " + " | ".join(variants) + " |", "|---|---:|" + "---|" * len(variants)]
    for g, d in table.items():
        lines.append(f"| {g} | {d['n']} | " + " | ".join(f"{d[f'{v} recall@10']:.3f} / {d[f'{v} recall@150']:.3f}"
                                                      for v in variants) + " |")
    lines += ["", f"Reproduce: `{command}`", ""]
    (RESULTS / f"{name}.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def make(index: str, gen: Path, manifest: dict, tokenizer, params, target: str) -> None:
    """A hard-linked copy of ``index`` whose article BM25 reads law name + chapters + title + body."""
    from legalret.index.bm25 import BM25Engine

    keys, plain, law, chapter = context_tokens(gen, tokenizer)
    engine = BM25Engine.build([a + b + c for a, b, c in zip(law, chapter, plain)], params)
    copy_with_bm25(index, gen, manifest, engine, target,
                   {"experiment": "experiments/bm25_context.py: article BM25 over law name + chapter headings + title + body"})


def copy_with_bm25(index: str, gen: Path, manifest: dict, engine, target: str, fields: dict) -> None:
    """A hard-linked copy of ``index`` (its memories' own ``bm25/`` folders kept) with the article BM25 ``engine``
    written instead, ``fields`` added to its manifest and the checksums renewed."""
    from legalret.index.store import CHECKSUM, MANIFEST, STAMP, manifest_checksum

    dst_root = Path(target)
    if dst_root.exists():
        raise SystemExit(f"{dst_root} exists")
    dst = dst_root / gen.name
    top = str(gen)
    shutil.copytree(gen, dst, copy_function=os.link,  # the memories' own bm25/ folders are kept
                    ignore=lambda folder, names: {"bm25", MANIFEST, STAMP} & set(names) if folder == top else set())
    engine.save(dst / "bm25")
    m = json.loads(json.dumps(manifest))
    for rel in list(m["files"]):
        if rel.startswith("bm25/"):
            del m["files"][rel]
    for path in sorted((dst / "bm25").iterdir()):
        m["files"][f"bm25/{path.name}"] = {"bytes": path.stat().st_size,
                                           "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    m.update(fields)
    m[CHECKSUM] = manifest_checksum(m)
    (dst / MANIFEST).write_text(json.dumps(m, ensure_ascii=False, indent=1), encoding="utf-8")
    (dst_root / "CURRENT").write_text((Path(index) / "CURRENT").read_text(encoding="utf-8"), encoding="utf-8")
    print(f"wrote {dst_root}: {engine.num_docs} articles")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--probe", action="store_true")
    ap.add_argument("--make", help="write the context index here")
    ap.add_argument("--name", default="bm25_context_probe", help="the probe's result files (benchmarks/results/NAME.*)")
    args = ap.parse_args(argv)
    from legalret.index.bm25 import BM25Params
    from legalret.index.store import current_generation, read_manifest
    from legalret.index.tokenize import KiwiTokenizer, TokenizerSettings

    t0 = time.perf_counter()
    gen, manifest = current_generation(args.index), read_manifest(args.index)
    tokenizer = KiwiTokenizer(TokenizerSettings.from_dict(manifest["tokenizer"]))
    params = BM25Params.from_dict(manifest.get("bm25"))
    if args.probe:
        probe(args.index, gen, manifest, tokenizer, params, argv if argv is not None else sys.argv[1:], args.name)
    if args.make:
        make(args.index, gen, manifest, tokenizer, params, args.make)
    print(f"{time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
