"""Training pairs and benchmark queries from court decisions: (holding → the article it rests on).

For every holding item (판시사항 ``[n]``) whose 참조조문 resolve to live articles of the corpus:

* one **pair** per resolved article: ``query`` = the holding (through a template), ``positive`` = the
  article's retrieval text (:meth:`Article.index_text`), ``key`` = the article key, plus ``gold`` (all keys
  of the holding: never use them as negatives), ``template`` and ``alignment`` (how the decision's items
  matched; ``shared`` = one unnumbered 참조조문 list for several holdings, a noisier positive);
* one **benchmark query** ``{"qid", "query", "gold": [all its resolved keys], "case_no", "decided", "date"}``
  (``date`` = ``decided``: what ``legalret bench quality`` reads to let only earlier decisions vote).

Citations of 민법 in decisions before 1960, of 상법 before 1963, of 근로기준법 before its 2007 text (and of 126
more laws) name articles of the texts those laws replaced (의용민법, 의용상법; see
:func:`legalret.precedents.citations.numbering_since`): they are dropped
(``stats["dropped"]["citation_predates_numbering"]``), as no mapping to today's numbers exists here.

Plus **synthetic** pairs for every live article of the corpus (train split only, they carry no date):
``<법령명> 제N조의 내용은 무엇인가?`` (``synthetic-number``) and ``<법령명>에서 <제목>에 관한 규정은?``
(``synthetic-title``; skipped when the title is shared by several articles of the same law).

Instruction prompts (``query: `` / ``Represent this sentence …``) are **not** part of the text: the encoder's
model spec applies them at training and encoding time (recorded in ``stats.json``).

Splits follow :func:`legalret.config.split_of` on the decision date (train < 2020-01-01 ≤ dev < 2023-01-01).
Decisions that share a case number (merged cases ``2000므1257(본소), 1264(반소)``, the same case decided
twice) form one group; a group whose decisions fall in different splits is dropped entirely, so no case is
in two splits. Holdings whose text also occurs in dev are removed from train (the same 판시사항 written in
two decisions). Pairs are deduplicated on (query text, key); queries on their text (gold keys merged).

Usage::

    from legalret.pairs.build import build_pairs, write_pairs

    pairset = build_pairs(precedents, articles, templates=("plain", "card"))
    write_pairs(pairset, "out/pairs")   # train.jsonl dev.jsonl train_queries.jsonl dev_queries.jsonl stats.json
"""

from __future__ import annotations

import json
import os
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Iterable, Sequence

from legalret.articles import Article
from legalret.atomic import atomic_path
from legalret.config import DEV_END, TRAIN_END, split_of
from legalret.errors import LegalretError
from legalret.keys import law_of, parse_key
from legalret.precedents.citations import numbering_since, predates_numbering
from legalret.precedents.parse import Precedent

__all__ = ["TEMPLATES", "PairSet", "build_pairs", "pairs_files", "write_pairs", "write_jsonl", "read_jsonl", "synthetic_pairs"]

#: Query templates for holdings; ``{holding}`` is the 판시사항 item. ``card`` is the model card's template.
TEMPLATES: dict[str, str] = {
    "plain": "{holding}",
    "card": "{holding}에 대한 법적 판단은?",
    "issue": "다음 쟁점에 적용되는 법 조문은? {holding}",
    "relevant": "{holding}와 관련된 법 조항",
}
SYNTHETIC_NUMBER = "{law} {label}의 내용은 무엇인가?"
SYNTHETIC_TITLE = "{law}에서 {title}에 관한 규정은?"
SPLITS = ("train", "dev")


@dataclass
class PairSet:
    train: list[dict] = field(default_factory=list)
    dev: list[dict] = field(default_factory=list)
    train_queries: list[dict] = field(default_factory=list)
    dev_queries: list[dict] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    def pairs(self, split: str) -> list[dict]:
        return getattr(self, split)

    def queries(self, split: str) -> list[dict]:
        return getattr(self, f"{split}_queries")


def _template_for(text: str, templates: Sequence[str]) -> str:
    """A stable template per holding text (crc32): every holding appears once, templates rotate."""
    return templates[zlib.crc32(text.encode("utf-8")) % len(templates)]


def _apply(template: str, holding: str) -> str:
    return TEMPLATES[template].format(holding=holding.rstrip(" .")) if template != "plain" else holding


def _qid(p: Precedent, index: int) -> str:
    base = p.serial or f"{p.case_no}@{p.decided.isoformat()}"
    return f"prec-{base}-{index}"


def _groups(precedents: list[Precedent]) -> list[list[int]]:
    """Indices of precedents linked by a shared case number (union-find)."""
    parent = list(range(len(precedents)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, p in enumerate(precedents):
        for number in p.case_numbers:
            if number in owner:
                parent[find(i)] = find(owner[number])
            else:
                owner[number] = i
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(precedents)):
        groups[find(i)].append(i)
    return list(groups.values())


def synthetic_pairs(articles: Iterable[Article]) -> tuple[list[dict], Counter]:
    """Number- and title-based queries for every live article (see the module docstring)."""
    live = [a for a in articles if not a.deleted]
    title_count = Counter((a.law, a.title) for a in live if a.title)
    out: list[dict] = []
    skipped: Counter = Counter()
    for a in live:
        text = a.index_text()
        if not text:
            skipped["empty_text"] += 1
            continue
        base = {"positive": text, "key": a.key, "decided": None, "case_no": None}
        out.append({"qid": f"syn-number-{a.key}", "query": SYNTHETIC_NUMBER.format(law=a.law, label=a.label),
                    "source": "synthetic-number", "template": "synthetic-number", **base})
        if not a.title:
            skipped["no_title"] += 1
        elif title_count[(a.law, a.title)] > 1:
            skipped["shared_title"] += 1  # '준용' in ten articles: the query would have ten answers
        else:
            out.append({"qid": f"syn-title-{a.key}", "query": SYNTHETIC_TITLE.format(law=a.law, title=a.title),
                        "source": "synthetic-title", "template": "synthetic-title", **base})
    return out, skipped


def build_pairs(
    precedents: Iterable[Precedent],
    articles: Sequence[Article],
    *,
    templates: Sequence[str] = ("plain", "card"),
    synthetic: bool = True,
) -> PairSet:
    """Build pairs and query sets (see the module docstring). ``precedents`` must have been read with a
    catalog of the same ``articles`` (their holdings' ``keys`` are the positives)."""
    unknown = [t for t in templates if t not in TEMPLATES]
    if unknown or not templates:
        raise LegalretError(f"unknown query template(s) {unknown or templates}; choose from {sorted(TEMPLATES)}")
    by_key = {a.key: a for a in articles if not a.deleted}
    texts: dict[str, str] = {}

    def text_of(key: str) -> str:
        if key not in texts:
            texts[key] = by_key[key].index_text()
        return texts[key]

    stats: dict = {"dropped": Counter()}
    usable: list[Precedent] = []
    for p in precedents:
        if any(k in by_key for h in p.holdings for k in h.keys):
            usable.append(p)
        else:
            stats["dropped"]["precedent_without_corpus_keys"] += 1

    # ---- split by date, whole case groups at once ---------------------------------------------------
    split_of_precedent: dict[int, str] = {}
    for group in _groups(usable):
        splits = {split_of(usable[i].decided) for i in group}
        if len(splits) > 1:
            stats["dropped"]["precedent_cross_split_group"] += len(group)
            continue
        (split,) = splits
        if split not in SPLITS:
            stats["dropped"]["precedent_after_dev"] += len(group)
            continue
        for i in group:
            split_of_precedent[i] = split

    # ---- holdings → queries and pairs ----------------------------------------------------------------
    query_template = templates[0]
    queries: dict[str, dict[str, dict]] = {s: {} for s in SPLITS}  # split → query text → record
    holdings: dict[str, list[tuple[Precedent, int, str, list[str]]]] = {s: [] for s in SPLITS}
    for i, split in sorted(split_of_precedent.items(), key=lambda kv: (usable[kv[0]].decided, kv[0])):
        p = usable[i]
        for h in p.holdings:
            keys = [k for k in h.keys if k in by_key]
            # 민법 cited before 1960 (의용민법), 상법 before 1963 (의용상법): not today's articles
            old = [k for k in keys if predates_numbering(k, p.decided)]
            if old:
                stats["dropped"]["citation_predates_numbering"] += len(old)
                keys = [k for k in keys if k not in old]
                if not keys:
                    stats["dropped"]["holding_only_predating_citations"] += 1
                    continue
            if not keys:
                stats["dropped"]["holding_without_corpus_keys"] += 1
                continue
            qid = _qid(p, h.index)
            holdings[split].append((p, h.index, h.text, keys))
            q = _apply(query_template, h.text)
            rec = queries[split].get(q)
            if rec is None:
                # 'date' + 'case_no': `bench quality` lets only earlier, other decisions vote for it
                queries[split][q] = {"qid": qid, "query": q, "gold": list(keys), "case_no": p.case_no,
                                     "decided": p.decided.isoformat(), "date": p.decided.isoformat()}
            else:
                stats["dropped"]["duplicate_query_merged"] += 1
                rec["gold"] += [k for k in keys if k not in rec["gold"]]

    # The same holding text in train and dev: keep it in dev (the evaluation set), drop it from train.
    dev_texts = {h[2] for h in holdings["dev"]}
    kept_train = [h for h in holdings["train"] if h[2] not in dev_texts]
    stats["dropped"]["train_holding_also_in_dev"] = len(holdings["train"]) - len(kept_train)
    holdings["train"] = kept_train
    dev_queries_text = set(queries["dev"])
    for q in [q for q in queries["train"] if q in dev_queries_text]:
        del queries["train"][q]

    pairset = PairSet()
    for split in SPLITS:
        seen: set[tuple[str, str]] = set()
        out = pairset.pairs(split)
        for p, index, text, keys in holdings[split]:
            qid = _qid(p, index)
            # The template follows the text, so a holding repeated in several decisions stays one query
            # (deduplicated below) and its gold is the union over those decisions (no gold as a negative).
            template = _template_for(text, templates)
            query = _apply(template, text)
            gold = queries[split][_apply(query_template, text)]["gold"]
            for key in keys:
                if (query, key) in seen:
                    stats["dropped"]["duplicate_pair"] += 1
                    continue
                seen.add((query, key))
                out.append({"qid": qid, "query": query, "positive": text_of(key), "key": key,
                            "decided": p.decided.isoformat(), "case_no": p.case_no, "source": "holding",
                            "template": template, "gold": gold, "alignment": p.alignment})
        if split == "train" and synthetic:
            syn, skipped = synthetic_pairs(articles)
            for rec in syn:
                if (rec["query"], rec["key"]) in seen:
                    stats["dropped"]["duplicate_pair"] += 1
                    continue
                seen.add((rec["query"], rec["key"]))
                out.append({**rec, "gold": [rec["key"]]})
            stats["synthetic_skipped"] = dict(skipped)
        pairset.queries(split).extend(queries[split].values())

    stats["dropped"] = dict(stats["dropped"])
    stats["numbering_since"] = {law: d.isoformat() for law, d in numbering_since().items()}
    stats.update(_summary(pairset, templates, query_template, len(by_key)))
    pairset.stats = stats
    return pairset


def _names_gold(query: str, gold: Sequence[str]) -> bool:
    compact_query = query.replace(" ", "")
    for key in gold:
        ref = parse_key(key)
        if ref.law.replace(" ", "") + ref.label in compact_query:
            return True
    return False


def _summary(ps: PairSet, templates: Sequence[str], query_template: str, n_articles: int) -> dict:
    out: dict = {
        "splits": {"train": f"decided < {TRAIN_END.isoformat()}",
                   "dev": f"{TRAIN_END.isoformat()} <= decided < {DEV_END.isoformat()}"},
        "templates": {"holding_pairs": list(templates), "queries_files": query_template,
                      "definitions": {t: TEMPLATES[t] for t in templates},
                      "synthetic-number": SYNTHETIC_NUMBER, "synthetic-title": SYNTHETIC_TITLE},
        "prompts": "not applied: query/positive texts carry no instruction prefix; the encoder's model spec "
                   "(query_prompt / passage_prompt) adds them at training and encoding time",
        "corpus_articles": n_articles,
    }
    for split in SPLITS:
        pairs, queries = ps.pairs(split), ps.queries(split)
        out[split] = {
            "pairs": len(pairs),
            "queries": len(queries),
            "precedents": len({p["case_no"] for p in pairs if p["source"] == "holding"}),
            "pairs_by_source": dict(Counter(p["source"] for p in pairs)),
            "pairs_by_law": dict(Counter(law_of(p["key"]) for p in pairs)),
            "pairs_by_template": dict(Counter(p["template"] for p in pairs)),
            # 'shared': one unnumbered 참조조문 list serves several holdings (noisier positives)
            "pairs_by_alignment": dict(Counter(p["alignment"] for p in pairs if "alignment" in p)),
            "distinct_keys": len({p["key"] for p in pairs}),
            "gold_per_query": round(sum(len(q["gold"]) for q in queries) / max(1, len(queries)), 3),
            # queries with a gold article of each law (a query citing two 민법 articles is one 민법 query)
            "queries_by_law": dict(Counter(law for q in queries for law in dict.fromkeys(law_of(k) for k in q["gold"]))),
            # holdings that spell out a gold article ('민법 제840조 제6호의 …'): exact-citation lookups
            # answer these, so report quality with and without them
            "queries_naming_a_gold_article": sum(1 for q in queries if _names_gold(q["query"], q["gold"])),
        }
    return out


# ---------------------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------------------


def write_jsonl(path: str | os.PathLike, records: Iterable[dict]) -> int:
    """Write JSONL atomically (temp file in the same folder, then rename)."""
    path = Path(path)
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    return n


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    from legalret.errors import SourceError

    out = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise SourceError(str(path), f"invalid JSON ({e.msg})", line=lineno) from e
    return out


def pairs_files(out_dir: str | os.PathLike) -> dict[str, Path]:
    """The five files of a pairs folder: ``train``, ``train_queries``, ``dev``, ``dev_queries`` (JSONL), ``stats``."""
    out = Path(out_dir)
    paths = {}
    for split in SPLITS:
        paths[split] = out / f"{split}.jsonl"
        paths[f"{split}_queries"] = out / f"{split}_queries.jsonl"
    paths["stats"] = out / "stats.json"
    return paths


def write_pairs(pairset: PairSet, out_dir: str | os.PathLike, extra_stats: dict | None = None) -> dict[str, Path]:
    """Write the five files (:func:`pairs_files`) into ``out_dir`` (each atomically); returns their paths."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    paths = pairs_files(out_dir)
    for split in SPLITS:
        write_jsonl(paths[split], pairset.pairs(split))
        write_jsonl(paths[f"{split}_queries"], pairset.queries(split))
    stats = {**pairset.stats, **(extra_stats or {})}
    with atomic_path(paths["stats"]) as tmp, open(tmp, "w", encoding="utf-8") as f:
        json.dump(stats, f, ensure_ascii=False, indent=2, default=str)
    return paths


# ---------------------------------------------------------------------------------------------------
# end to end: sources → files
# ---------------------------------------------------------------------------------------------------

def corpus_filter(corpus: str | None) -> tuple[list[str] | None, list[str] | None]:
    """(laws, kinds) of a corpus manifest (``civil-commercial`` …); None means no filter (``all``)."""
    if corpus in ("all", "", None):
        return None, None
    from legalret.corpus.manifest import load_manifest

    return load_manifest(corpus).filters()


def build_from_sources(
    precedents: Sequence[str | os.PathLike],
    statutes: Sequence[str | os.PathLike],
    out_dir: str | os.PathLike,
    *,
    corpus: str = "civil-commercial",
    templates: Sequence[str] = ("plain", "card"),
    negatives: int = 0,
    skip: int = 2,
    synthetic: bool = True,
    limit: int | None = None,
    progress: bool = True,
    accept_uncertain: bool = False,
) -> dict:
    """What ``legalret pairs`` does: read the corpus (as ``index build`` does, a statute file whose mojibake repairs
    stayed uncertain left out unless ``accept_uncertain``), read and resolve the decisions, build, mine, write.
    Returns the stats written to ``stats.json``."""
    import time

    from legalret.corpus.resolve import read_corpus
    from legalret.precedents.citations import ArticleCatalog
    from legalret.precedents.parse import PrecedentReport, read_precedents

    t0 = time.perf_counter()
    laws, kinds = corpus_filter(corpus)
    # as `index build` reads them: statute files/folders/zips, articles JSONL (`corpus pull --out`), manifests
    try:
        result = read_corpus([str(s) for s in statutes], laws, kinds)
    except LegalretError as e:  # the reader's own reason (a file skipped, all filtered out), not a guess
        said = str(e)  # (its refusals already end "nothing was written" / "nothing was read or written")
        raise LegalretError(f"corpus {corpus!r}: {said}" + ("" if "nothing was" in said else "; nothing written")) from None
    articles, left_out = _without_uncertain_repairs(result, accept_uncertain)
    read_laws = {a.law for a in articles}
    catalog = ArticleCatalog.from_articles(articles)
    report = PrecedentReport()
    # Keep only decisions with a corpus key: the other ~70% would only cost memory.
    precs = [p for p in read_precedents(list(precedents), catalog=catalog, report=report, limit=limit,
                                        progress=progress) if any(h.keys for h in p.holdings)]
    if not report.precedents:  # a wrong path or a statute file: the "pairs" would be synthetic ones alone
        first = f"; first: {report.errors[0]}" if report.errors else ""
        # (the facts archive, or a statutes zip, had been "no decision read from … (0 error(s))" and no more)
        raise LegalretError(f"no decision read from {', '.join(map(str, precedents))} ({len(report.errors)} error(s)"
                            f"{first}): --precedents takes decisions (markdown with front matter, or law.go.kr JSON), a "
                            "folder or a zip of them — the facts archive (precedent-facts.zip) is not one; nothing written")
    t1 = time.perf_counter()
    pairset = build_pairs(precs, articles, templates=templates, synthetic=synthetic)
    pairset.stats["dropped"]["precedent_without_corpus_keys"] = report.precedents - len(precs)
    # an error when no holding gave a pair (nothing written); warnings for an empty split
    warnings = left_out + _check_splits(pairset, report, corpus, laws is None, articles, limit)
    if negatives > 0:
        from legalret.pairs.negatives import NegativeMiner

        miner = NegativeMiner(articles)
        for split in SPLITS:
            miner.add_negatives(pairset.pairs(split), n=negatives, skip=skip)
    t2 = time.perf_counter()
    extra = {
        # the manifest's documents that were found (its filter also names each act's decree of every listed kind)
        "corpus": {"name": corpus, "laws": [d for d in laws if d in read_laws] if laws else None, "kinds": kinds,
                   "articles": len(articles),
                   "live_articles": len(catalog), "statutes": [str(s) for s in statutes],
                   "errors": len(result.errors), "error_examples": [str(e) for e in result.errors[:50]]},
        "precedents": {**report.to_dict(), "sources": [str(p) for p in precedents], "limit": limit},
        "negatives": {"per_pair": negatives, "skip": skip, "miner": "bm25 (Kiwi tokens, bm25s)"} if negatives else None,
        "seconds": {"read": round(t1 - t0, 1), "build": round(t2 - t1, 1)},
        "warnings": warnings,
    }
    write_pairs(pairset, out_dir, extra)
    return {**pairset.stats, **extra}


def _without_uncertain_repairs(result, accept_uncertain: bool) -> tuple[list[Article], list[str]]:
    """The corpus's articles without those of statute files whose lossy mojibake repairs stayed uncertain, and one
    warning line per such file. ``index build`` skips such a file (a wrong guess puts wrong words in the index:
    상계 → 생계); pairs had trained on its text. Nothing else left is an error (the reader's own refusal line)."""
    report = result.report
    if accept_uncertain or report is None or not report.uncertain:
        return list(result.articles), []
    doubtful = list(dict.fromkeys(w.path for w in report.uncertain))
    rest = [a for a in result.articles if a.source not in doubtful]
    if not rest:
        raise LegalretError(f"{report.uncertain_refusal()}; nothing written")
    lines = [f"{path}: {sum(w.path == path for w in report.uncertain)} uncertain mojibake repair(s) or lost characters "
             "(the text may hold wrong words): its articles left out of the pairs — fix the file's encoding, or pass "
             "--accept-uncertain-repairs to use it as repaired" for path in doubtful]
    return rest, lines


def _holding_pairs(pairset: PairSet, split: str) -> int:
    return sum(1 for p in pairset.pairs(split) if p["source"] == "holding")


def _check_splits(pairset: PairSet, report, corpus: str, every_law: bool, articles: Sequence[Article],
                  limit: int | None = None) -> list[str]:
    """Refuse a build without any holding pair (synthetic pairs alone teach nothing about decisions): say why —
    the laws the decisions cite instead, or what dropped them. Returns one-line warnings for an empty split.
    ``limit``: the --limit that read only the archive's first decisions (in its order, not a sample: the shared
    archive's first ones are old 가사 cases) — said as the cause where it is one."""
    train, dev = _holding_pairs(pairset, "train"), _holding_pairs(pairset, "dev")
    limited = (f" (--limit {limit} read only the archive's first {limit} decisions, in its order — not a sample; "
               "raise it or leave it out)") if limit is not None and report.precedents >= limit else ""
    if train == 0 and dev == 0:
        laws = list(dict.fromkeys(a.law for a in articles))
        named = f"corpus {corpus!r} ({', '.join(laws[:5])}{', …' if len(laws) > 5 else ''})"
        if report.holdings_with_keys == 0:
            cited: Counter = Counter()
            for (law, status), n in report.citations.unresolved_laws.items():
                if status == "unknown_law" and law:
                    cited[law] += n
            if cited:
                top = ", ".join(f"{law} {n}" for law, n in cited.most_common(5))
                # a corpus of every law: the statute files lack them
                fix = ("give --statutes that hold those laws" if every_law
                       else _suggest_corpus(list(cited)[:5], corpus))
                why = f"they cite {top} (citations of laws outside the corpus); {fix}"
            else:
                counts = {k: v for k, v in report.citations.counts.items() if v}
                why = f"their citations: {counts or 'none'}"
            raise LegalretError(f"no (holding → article) pairs: none of the {report.precedents} decision(s) cites an "
                                f"article of {named}{limited}; {why}; nothing written")
        dropped = {k: v for k, v in pairset.stats["dropped"].items() if v and k != "precedent_without_corpus_keys"}
        raise LegalretError(f"no (holding → article) pairs: the decisions citing {named} were all dropped "
                            f"({dropped}; train: decided < {TRAIN_END.isoformat()}, dev: < {DEV_END.isoformat()}); "
                            "nothing written")
    warnings = []
    period = f"of {TRAIN_END.isoformat()} to {(DEV_END - timedelta(days=1)).isoformat()}"
    if not pairset.dev_queries:
        warnings.append(f"the dev split is empty (no decision {period} cites the corpus{limited}): `legalret train` "
                        "needs dev queries" + ("" if limited else
                                               "; add such decisions with --precedents (the shared precedent-kr.zip has them)"))
    if train == 0:
        warnings.append(f"train has no holding pairs (no decision before {TRAIN_END.isoformat()} cites the corpus"
                        f"{limited}): only synthetic ones" + ("" if limited else "; add earlier decisions with --precedents"))
    return warnings


def _suggest_corpus(cited: Sequence[str], corpus: str) -> str:
    """'use --corpus X': a manifest holding one of the cited laws, one of every law, and 'all'."""
    from legalret.corpus.manifest import list_manifests, split_kind

    manifests = list_manifests(notes=False)  # (a broken manifest of one's own is left out, not said here)
    names = [m.name for m in manifests if not m.all_laws and any(split_kind(law)[0] in cited for law in m.laws)]
    # of the every-law manifests, the one with fewest kinds (all-acts: the 법률 a decision cites, not the decrees)
    names += [m.name for m in sorted((m for m in manifests if m.all_laws), key=lambda m: len(m.kinds) or 99)][:1]
    options = " or ".join(f"--corpus {n}" for n in [n for n in names if n != corpus][:2] + ["all"])
    return f"use {options} (with --statutes that hold those laws)"
