"""An add that reads the recorded decision archives again for a new law parses only the documents that name it.

A clerk's add of a made-up law (no decision cites it) spent 93 s re-reading the precedent archive, and an add of
주택임대차보호법 6 min 55 s on a loaded machine: every one of the 72,535 decisions was parsed and its citations
resolved, to keep the few hundred citing the law. A document that cites a law names it (``같은 법`` refers back to
a name written before it), so the reader now passes over the others unparsed (``read_precedents(mentions=…)``).
Measured once on the shared archive (2026-12-07): for 23 laws — 형법, 근로기준법, 주택임대차보호법, 상가건물 임대차보호법,
채무자 회생 및 파산에 관한 법률 … — the documents kept held every decision whose citations name the law (0 lost); a
made-up law's read took 10.7 s instead of 48.9 s.
"""

from __future__ import annotations

from pathlib import Path

from legalret import pipeline
from legalret.ingest import ingest
from legalret.memory.update import law_spellings
from legalret.precedents import parse
from legalret.precedents.parse import naming_any, read_precedents
from legalret.text import compact

MULTILAW = Path(__file__).parent / "fixtures" / "multilaw"


def _cites(precedent, law: str) -> bool:
    return any(compact(c.law) == compact(law) for h in precedent.holdings for c in h.citations)


def test_the_documents_passed_over_name_none_of_the_laws_and_every_decision_citing_them_is_kept():
    every = list(read_precedents(MULTILAW / "precedents"))
    for law in ("형법", "형사소송법", "근로기준법", "민법"):
        kept = list(read_precedents(MULTILAW / "precedents", mentions=naming_any(law_spellings([law], {}))))
        citing = {p.case_no for p in every if _cites(p, law)}
        assert citing and citing <= {p.case_no for p in kept}, law
    crimes = list(read_precedents(MULTILAW / "precedents", mentions=naming_any(law_spellings(["형법"], {}))))
    assert len(crimes) < len(every)  # (the 민사 decisions that never name 형법 are not parsed)
    made_up = naming_any(law_spellings(["시설안전특례법"], {}))
    assert list(read_precedents(MULTILAW / "precedents", mentions=made_up)) == []


def test_a_law_is_named_by_its_short_names_its_old_names_and_with_any_spacing():
    spellings = law_spellings(["채무자 회생 및 파산에 관한 법률"], {})
    assert {"채무자회생및파산에관한법률", "채무자회생법"} <= spellings
    assert "주택임차인보호법" in law_spellings(["주택임대차보호법"], {"주택임차인보호법": "주택임대차보호법"})
    names = naming_any(spellings)
    assert names("【참조조문】 채무자 회생 및 파산에 관한 법률 제566조")
    assert names("구 채무자회생 및 파산에 관한 법률(2016. 5. 29. 개정되기 전의 것) 제566조")
    assert names("채무자회생법 제566조") and not names("민법 제750조, 민사집행법 제24조")


def test_an_add_reads_the_archive_again_through_the_filter_for_the_new_law(tmp_path, monkeypatch):
    index = tmp_path / "idx"
    decisions = str(MULTILAW / "precedents")
    from legalret.memory.sources import DecisionSources

    pipeline.build(ingest([MULTILAW / "statutes"], laws=["민법"]).articles, index, model="none",
                   precedents=read_precedents(decisions), decision_sources=DecisionSources((decisions,), ()))
    asked, passed = [], []

    def spy(spellings):
        asked.append(set(spellings))
        names = naming_any(spellings)
        return lambda text: passed.append(names(text)) or passed[-1]

    monkeypatch.setattr(parse, "naming_any", spy)
    report = pipeline.add(ingest([MULTILAW / "statutes"], laws=["형법"]), index)
    assert report.memory["reread"]["laws"] == ["형법"] and report.memory["precedents_added"] == 3
    assert asked == [{"형법"}] and 3 <= sum(passed) < len(passed) == 9
