"""Fit the practice-area model (:mod:`legalret.models.practice_areas`) on the shared precedents and the statutes.

Examples, each labelled with the practice areas (the corpus manifests that list their laws) whose laws it belongs to:

* every decision of the train split (decided before 2020-01-01), twice — its holdings (판시사항 + 판결요지) and the
  opening of its reasons (the courts' facts, the nearest thing to a person's own account) —, labelled with the areas
  of the laws its 참조조문 cites (:func:`area_labels`; a decision citing no area's law is a negative for every area);
* every article of the areas' laws, labelled with its law's areas, and a seeded sample of 40,000 other articles
  (:func:`article_examples`): the articles carry each area's own words, which people's questions share with them.

One logistic regression per area (scikit-learn, liblinear, classes balanced) over the hashed character n-grams. The
threshold from which a notice names an area, and the gate above which an area the index holds keeps it silent, are
chosen on the tune halves of the question files (:func:`choose_threshold`); the report halves are scored once, per
style, by ``benchmarks/practice_areas_eval.py``, which also chooses them::

    python -m legalret.train.practice_areas --precedents ../shared/data/precedents/precedent-kr.zip \\
        --facts ../shared/data/precedents/precedent-facts.zip --articles ../shared/data/statutes/legalize-kr.zip
    python benchmarks/practice_areas_eval.py --fit-threshold       # the tune halves choose; the report halves, once

About 9 minutes on 2 cores (reading 30 s, n-grams 2–3 minutes, the eight fits 3–4).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

import numpy as np

from legalret.models.practice_areas import BUCKETS, PracticeAreas, area_labels, features

#: The train split's end (decisions before it are fitted on; 2020–2022 are the dev split).
BEFORE = date(2020, 1, 1)
#: How much of the courts' facts a training example reads (a person's question is short; the opening has the parties).
FACTS_CHARS = 800


def practice_areas() -> dict[str, list[str]]:
    """Each corpus manifest that lists its laws (not the all-law ones), by name: its document names."""
    from legalret.corpus.manifest import list_manifests

    return {m.name: m.document_names() for m in list_manifests(notes=False) if m.laws}


def area_titles() -> dict[str, str]:
    """Each area's name for people, the head of its manifest's description ("형사 (criminal)")."""
    from legalret.corpus.manifest import list_manifests

    return {m.name: (m.description.split(":")[0].split(" — ")[0].strip() or m.name) for m in list_manifests(notes=False) if m.laws}


def training_examples(precedents: str | Path | Iterable, facts: str | Path | Iterable | None,
                      areas: dict[str, Sequence[str]], before: date = BEFORE,
                      progress: bool = True) -> tuple[list[str], list[list[str]], dict]:
    """(texts, labels, counts) of every decision decided before ``before``: its holdings' text and, when ``facts``
    has it, its facts' opening."""
    from legalret.precedents.facts import case_key, read_facts
    from legalret.precedents.parse import read_precedents

    by_case: dict[str, list[str]] = {}
    texts: list[str] = []
    labels: list[list[str]] = []
    counts = {"decisions": 0, "train_decisions": 0, "labelled": 0, "facts": 0}
    for p in read_precedents(precedents, progress=progress):
        counts["decisions"] += 1
        if p.decided >= before:
            continue
        counts["train_decisions"] += 1
        cited = [c.law for h in p.holdings for c in h.citations if c.law]
        found = area_labels(cited, areas)
        counts["labelled"] += bool(found)
        texts.append(" ".join(f"{h.text} {h.summary}".strip() for h in p.holdings))
        labels.append(found)
        by_case[p.serial or case_key(p.case_no)] = found
    if facts is not None:
        for rec in read_facts(facts):
            found = by_case.get(rec.serial or case_key(rec.case_no))
            if found is None or not rec.text:
                continue
            texts.append(rec.text[:FACTS_CHARS])
            labels.append(found)
            counts["facts"] += 1
    return texts, labels, counts


def article_examples(articles: Iterable, areas: dict[str, Sequence[str]], others: int = 40_000,
                     seed: int = 0) -> tuple[list[str], list[list[str]], dict]:
    """(texts, labels, counts) from statute articles: every article of an area's laws, labelled with its areas, and a
    seeded sample of ``others`` articles of the other laws (negatives for every area). The decisions speak the
    courts' language; the articles carry each area's own words (소액사건, 항소, 임차인, 해고), which people's
    questions share with them more than with the decisions that cite them."""
    import random

    named = {law.replace(" ", "") for laws in areas.values() for law in laws}
    texts: list[str] = []
    labels: list[list[str]] = []
    rest: list[str] = []
    for article in articles:
        if article.deleted:  # ("삭제 <2011.3.7>": no words of its area)
            continue
        text = article.index_text()[:FACTS_CHARS]
        if article.law.replace(" ", "") in named:
            texts.append(text)
            labels.append(area_labels([article.law], areas))
        else:
            rest.append(text)
    chosen = random.Random(seed).sample(rest, min(others, len(rest)))
    counts = {"area_articles": len(texts), "other_articles": len(chosen)}
    return texts + chosen, labels + [[] for _ in chosen], counts


def feature_matrix(texts: Sequence[str], buckets: int = BUCKETS, progress: bool = True):
    """The L2-normalized presence rows of ``texts`` (scipy CSR), as :meth:`PracticeAreas.logits` reads a question."""
    from scipy.sparse import csr_matrix

    from legalret.progress import track

    indptr, indices = [0], []
    for text in track(texts, "n-grams") if progress else texts:
        cols = features(text, buckets)
        indices.append(cols)
        indptr.append(indptr[-1] + len(cols))
    cols = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64)
    lengths = np.diff(indptr)
    data = np.repeat(1.0 / np.sqrt(np.maximum(lengths, 1)), lengths).astype(np.float32)
    return csr_matrix((data, cols, np.asarray(indptr)), shape=(len(texts), buckets))


def _fit_one(x, y, c: float, class_weight: str | None) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, solver="liblinear", max_iter=200, class_weight=class_weight).fit(x, y)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def fit(texts: Sequence[str], labels: Sequence[Sequence[str]], areas: dict[str, Sequence[str]], *, c: float = 1.0,
        class_weight: str | None = "balanced", buckets: int = BUCKETS, jobs: int = 2,
        progress: bool = True) -> PracticeAreas:
    """One logistic regression per area, ``jobs`` at a time (thresholds 0.5 until :func:`choose_threshold` sets them).

    ``class_weight="balanced"``: an area's decisions weigh as much as the rest together. The areas are rare in the
    decisions (노동 4%, 임대차 3%, 가족 0.2%) and far less rare in people's questions, so unweighted probabilities
    of the rare areas stay low on exactly the questions that need them."""
    from joblib import Parallel, delayed

    x = feature_matrix(texts, buckets, progress)
    names = list(areas)
    ys = [np.array([area in found for found in labels], dtype=np.int8) for area in names]
    t = time.perf_counter()
    fitted = Parallel(n_jobs=jobs)(delayed(_fit_one)(x, y, c, class_weight) for y in ys)
    if progress:
        for area, y in zip(names, ys):
            print(f"  {area}: {int(y.sum()):,} positive of {len(y):,}", flush=True)
        print(f"  fitted in {time.perf_counter() - t:.0f} s", flush=True)
    return PracticeAreas(areas=names, laws=[list(areas[a]) for a in names],
                         weights=np.stack([w for w, _ in fitted], axis=1), bias=np.array([b for _, b in fitted], np.float32),
                         threshold=np.full(len(names), 0.5, dtype=np.float32),
                         card={"buckets": buckets, "c": c, "class_weight": class_weight, "examples": len(texts)})


def choose_threshold(model: PracticeAreas, texts: Sequence[str], truths: Sequence[set[str]], absent: set[str],
                     limit: float = 0.03) -> tuple[float, float]:
    """The common threshold and the gate (:meth:`PracticeAreas.missing`) that give the most right notices — a notice
    naming an area of ``absent`` that the question's gold cites, among the questions that need one — while at most
    ``limit`` of the questions get a notice naming an area their gold does not cite (a notice that sends a person to
    the wrong laws is capped first); ties go to the higher threshold and gate: fewer notices. Sets and returns them."""
    need = [i for i, truth in enumerate(truths) if truth & absent]
    best: tuple[float, float, float] | None = None
    for gate in (1.01, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3):
        for t in (round(float(x), 2) for x in np.arange(0.30, 0.99, 0.02)):
            model.threshold[:], model.gate = t, gate
            named = [{a for a, _ in model.missing(text, absent)} for text in texts]
            if sum(bool(n - truth) for n, truth in zip(named, truths)) > limit * len(texts):
                continue
            right = sum(bool(named[i] & truths[i]) for i in need) / max(len(need), 1)
            if best is None or right > best[0] or (right == best[0] and (t, gate) > (best[1], best[2])):
                best = (right, t, gate)
    _, t, gate = best or (0.0, 1.0, 1.01)
    model.threshold[:], model.gate = t, gate
    return t, gate


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--precedents", required=True)
    ap.add_argument("--facts")
    ap.add_argument("--articles", help="statute articles too: a statutes mirror (legalize-kr.zip) or an articles "
                    "JSONL, every article of the areas' laws and a sample of the others")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "data" / "practice_areas.json"))
    ap.add_argument("--c", type=float, default=1.0, help="inverse regularization (chosen on the tune halves: 0.5, 1, 4 "
                    "gave 0.522, 0.533, 0.494 right notices at ≤ 3%% false alarms)")
    ap.add_argument("--class-weight", default="balanced", help="'balanced' or 'none'")
    ap.add_argument("--examples-cache", help="keep the read examples here (JSON) and reuse them")
    args = ap.parse_args(argv)
    areas = practice_areas()
    cache = Path(args.examples_cache) if args.examples_cache else None
    if cache is not None and cache.exists():
        texts, labels, counts = json.loads(cache.read_text(encoding="utf-8"))
    else:
        texts, labels, counts = training_examples(args.precedents, args.facts, areas)
        if cache is not None:
            cache.write_text(json.dumps([texts, labels, counts], ensure_ascii=False), encoding="utf-8")
    if args.articles:
        from legalret.corpus.resolve import read_corpus

        more, more_labels, more_counts = article_examples(read_corpus([args.articles]).articles, areas)
        texts, labels, counts = texts + more, labels + more_labels, {**counts, **more_counts}
    print(json.dumps(counts), flush=True)
    model = fit(texts, labels, areas, c=args.c, class_weight=None if args.class_weight == "none" else args.class_weight)
    model.card.update(counts=counts, before=BEFORE.isoformat(), facts_chars=FACTS_CHARS, titles=area_titles())
    model.save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
