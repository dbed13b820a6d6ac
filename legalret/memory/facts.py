"""The facts memory: one item per decision — its facts text (the opening of its reasons) — voting for the union
of the articles the decision's holdings cite.

It is a :class:`~legalret.memory.store.PrecedentMemory` (same TokenStore, BM25 engine, leakage data, on-disk
format) written as its own generation part (``<generation>/facts/``, ``manifest["facts"]``), searched by a
:class:`~legalret.memory.retriever.MemoryRetriever` with its own :class:`~legalret.memory.retriever.VoteConfig`
(:data:`FACTS_VOTES`). A decision's keys come from the holdings memory of the same index (already resolved
against its articles, kept to its live keys, pre-numbering citations dropped), so both parts agree.

Usage::

    from legalret.memory.facts import build_facts_memory, add_facts
    from legalret.precedents.facts import read_facts

    holdings = PrecedentMemory.load("idx/gen-…/memory")
    facts = build_facts_memory(read_facts("precedent-facts.zip"), holdings)     # joined on 판례일련번호 / 사건번호
    add_facts(facts, read_facts("new-facts.jsonl"), holdings)                   # new decisions' facts
    MemoryRetriever(facts, FACTS_VOTES).search("갑은 을에게 …", k=10)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any, Iterable

from legalret.index.ngram_tokenize import NgramSettings, NgramTokenizer
from legalret.memory.retriever import VoteConfig
from legalret.memory.builder import add_items, memory_from_items
from legalret.memory.format import FACTS_PART, MEMORY_BM25, MemoryItem  # noqa: F401 — FACTS_PART: its old home
from legalret.memory.store import PrecedentMemory
from legalret.precedents.citations import citation_dict, predates_numbering
from legalret.precedents.facts import FactsDecision, FactsRecord, JoinReport, case_key, decision_key, decision_keys, join

#: Facts are long (~1,500 characters, ~250 Kiwi tokens); BM25 sees the first this many tokens
#: (``experiments/facts_memory.py --tune``, tune split only). None = all.
FACTS_MAX_TOKENS: int | None = None
#: The facts memory's vote settings (tune split; see experiments/facts_memory.py).
FACTS_VOTES = VoteConfig()
FACTS_BM25 = MEMORY_BM25
#: What new facts memories are tokenized with: syllable bigrams within words plus words of 2–4 syllables whole, not
#: Kiwi — ~50x less CPU on the facts (the main job's 21,235: ~10 s instead of ~8 minutes) and no worse on the tune
#: questions and holdings: default search recall@10 / MRR@10 per style within 0.005 of Kiwi's or better (short
#: +0.041 / +0.022, scenario +0.000 / +0.011, keyword and holdings equal or better); plain bigrams lost 0.009 of
#: scenario recall (experiments/facts_ngrams.py, benchmarks/results/build-speed/facts-ngrams-*.md). A facts memory
#: keeps the tokenizer it was made with (its meta.json says which): one made with Kiwi stays Kiwi, also in ``index add``.
FACTS_TOKENIZER = NgramSettings(n=2, words=4)


def facts_tokenizer() -> NgramTokenizer:
    """The tokenizer of a new facts memory (:data:`FACTS_TOKENIZER`)."""
    return NgramTokenizer(FACTS_TOKENIZER)


def decisions_of(holdings: PrecedentMemory | Iterable[MemoryItem]) -> list[dict]:
    """The decisions (:func:`~legalret.precedents.facts.decision_key`) of a holdings memory (or of its items) as join
    records: serial, case number, court, holdings' keys/citations."""
    by_decision: dict[tuple[str, str], dict] = {}
    for item in holdings.items if isinstance(holdings, PrecedentMemory) else holdings:
        d = by_decision.setdefault(decision_key(item.case_no, item.court), {
            "serial": item.serial, "case_no": item.case_no, "decided": item.decided, "case_name": item.case_name,
            "court": item.court, "holdings": []})
        d["holdings"].append({"keys": item.keys, "citations": item.citations})
    return list(by_decision.values())


def _voting(keys: Iterable[str], citations: Iterable[Any], decided) -> tuple[list[str], list[dict]]:
    """A facts item's keys (those today's numbering gives the decision) and its citations, once each."""
    seen, out = set(), []
    for c in citations:
        d = citation_dict(c)
        marker = repr(sorted(d.items()))
        if marker not in seen:
            seen.add(marker)
            out.append(d)
    return [k for k in keys if not predates_numbering(k, decided)], out


def facts_item(decision: FactsDecision) -> MemoryItem | None:
    """The memory item of one joined decision (None when it cites nothing that may vote)."""
    rec: FactsRecord = decision.facts
    keys, citations = _voting(decision.keys, decision.citations, rec.decided)
    if not keys or not rec.text:
        return None
    return MemoryItem(case_no=rec.case_no, decided=rec.decided, index=0, text=rec.text, keys=keys,
                      case_name=decision.case_name, court=decision.court or rec.court_level, serial=rec.serial,
                      citations=citations)


def facts_items(facts: Iterable[FactsRecord], decisions: Iterable[Any], report: JoinReport | None = None) -> list[MemoryItem]:
    """Items for the facts that join one of ``decisions`` (a later record of the same decision wins); what is left
    out is counted in ``report`` (:func:`~legalret.precedents.facts.join`)."""
    items: dict[tuple[str, str], MemoryItem] = {}
    for joined in join(facts, decisions, report):
        item = facts_item(joined)
        if item is not None:
            items[decision_key(item.case_no, item.court)] = item
    return list(items.values())


def rekey_facts(facts: PrecedentMemory, holdings: PrecedentMemory, cases: Iterable[str] | None = None) -> int:
    """Each facts item's article keys and citations again from its decision's holdings now — after ``index add
    --precedents`` replaced decisions, a corrected decision's facts went on voting for the articles its old holdings
    cited. ``cases`` (case keys, :func:`~legalret.precedents.facts.case_key`) limits it to the decisions an add
    touched: a decision among them with no holding left (withdrawn: its new record cites nothing in the index) votes
    no more. Tokens and rows stay (:meth:`PrecedentMemory.replace_keys`); returns how many items changed."""
    wanted = None if cases is None else set(cases)
    chosen = holdings.items if wanted is None else [it for it in holdings.items if case_key(it.case_no) in wanted]
    decisions = decisions_of(chosen)
    by_decision = {decision_key(d["case_no"], d["court"]): d for d in decisions}
    numbers = Counter(case_key(d["case_no"]) for d in decisions)
    by_case = {case_key(d["case_no"]): d for d in decisions if numbers[case_key(d["case_no"])] == 1}
    none = {"holdings": []}  # a touched decision the holdings memory no longer has
    items, changed = [], 0
    for item in facts.items:
        key = case_key(item.case_no)
        if wanted is not None and key not in wanted:
            items.append(item)
            continue
        # its own court's decision; else the one decision of that number (a facts item takes 법원등급 when its
        # decision named no court)
        decision = by_decision.get(decision_key(item.case_no, item.court)) or by_case.get(key)
        if decision is None and wanted is not None and not numbers[key]:
            decision = none
        if decision is not None:
            keys, citations = _voting(*decision_keys(decision), item.decided)
            if keys != item.keys or citations != item.citations:  # (none left: silent, as re-resolution leaves it)
                item = MemoryItem(**{**item.__dict__, "keys": keys, "citations": citations, "cited": []})
                changed += 1
        items.append(item)
    if changed:
        facts.replace_keys(items)
    return changed


def _decisions(holdings: PrecedentMemory | Iterable[Any]) -> Iterable[Any]:
    """Join records of ``holdings``: a holdings memory's decisions, or decisions/Precedents as given."""
    return decisions_of(holdings) if isinstance(holdings, PrecedentMemory) else holdings


def build_facts_memory(facts: Iterable[FactsRecord], holdings: PrecedentMemory | Iterable[Any], *, tokenizer=None,
                       max_tokens: int | None = FACTS_MAX_TOKENS, encoder=None,
                       report: JoinReport | None = None) -> PrecedentMemory:
    """A facts memory over ``facts`` joined with ``holdings`` (a holdings memory, or decisions/Precedents),
    tokenized with ``tokenizer`` (default :func:`facts_tokenizer`); what the join left out is counted in ``report``."""
    return facts_memory_from_items(facts_items(facts, _decisions(holdings), report), tokenizer=tokenizer,
                                   max_tokens=max_tokens, encoder=encoder)


def facts_memory_from_items(items: Iterable[MemoryItem], *, tokenizer=None, max_tokens: int | None = FACTS_MAX_TOKENS,
                            encoder=None) -> PrecedentMemory:
    """The facts memory of items already joined (:func:`facts_items`): the tokenizing half of
    :func:`build_facts_memory` (a build reads and joins the facts in another process, then tokenizes here)."""
    memory = memory_from_items(items, tokenizer=tokenizer or facts_tokenizer(), encoder=encoder,
                               with_summary=False, params=FACTS_BM25, max_tokens=max_tokens, kind="facts")
    memory.settings = facts_settings()
    return memory


def add_facts(memory: PrecedentMemory, facts: Iterable[FactsRecord], holdings: PrecedentMemory | Iterable[Any],
              report: JoinReport | None = None) -> dict[str, int]:
    """Add (or replace, by decision) the facts of decisions in ``holdings``, tokenized as the memory's items are
    (its own tokenizer); returns add counts. What the join left out (:func:`~legalret.precedents.facts.join`: lines
    unread or naming two decisions, facts of decisions the holdings lack) is counted in ``report``; without one it
    is shown on the console (:func:`note_skipped_facts`)."""
    shown = report is None
    report = report if report is not None else JoinReport()
    counts = add_items(memory, facts_items(facts, _decisions(holdings), report))
    del counts["cases"], counts["withdrawn_cases"]  # (facts are replaced, never withdrawn: a decision's facts cite nothing)
    if shown:
        note_skipped_facts(report)
    return counts


def note_skipped_facts(report: JoinReport, shown: int = 10) -> None:
    """The first facts lines left out, on the console (the rest counted)."""
    from legalret.progress import console

    errors = report.left_out
    for err in errors[:shown]:
        console.print(f"[yellow]skipped facts line:[/] {err}", highlight=False)
    if len(errors) > shown:
        console.print(f"[yellow]… and {len(errors) - shown} more skipped facts lines[/]", highlight=False)


def facts_settings() -> dict:
    return {"votes": asdict(FACTS_VOTES)}
