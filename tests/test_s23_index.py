"""Two data-loss findings of a court clerk's test of ``legalret index add`` (t23a, findings 3 and 4).

3. The guard against an article deleted by hand from the middle of a law (``lacks 제9조, which it would remove …``)
   held for statute text (markdown, plain text) only: law.go.kr's 채권의 공정한 추심에 관한 법률 JSON without the
   조문단위 of 제10조 removed 제10조, exit 0. law.go.kr keeps a repealed article as a 삭제 unit as the text formats
   do, so every statute file format (JSON, XML too) now stops the same way, ``--allow-removals`` / ``--keep-missing``
   the way through.
4. A hand-typed plain text (no 시행일자, no 공포일자) of 주택임대차보호법 replaced the mirror's dated text,
   ``--keep-missing``, exit 0: the five articles' dates null, 제3조 down from six paragraphs to two — the older-text
   guard compares dates and had none to compare. It now stops in one line naming the law unless ``--allow-older``.
   And the report counted 제1조, 제2조, 제4조 (the same text, only the dates gone) as changed in text: the typed text
   had no 법령ID either, which counted as text; the held law's 법령ID is kept, and they are changed in dates only.

By the real CLI (typer's runner) on the small fixtures, BM25 only (``--model none``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from legalret.cli import app
from legalret.index.store import generations, load_index

ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "300"}
FIXTURES = Path(__file__).parent / "fixtures"
LAWGO = FIXTURES / "ingest" / "lawgo"
LEASE_MD = FIXTURES / "multilaw" / "statutes" / "legalize-kr" / "주택임대차보호법" / "법률.md"
runner = CliRunner()

REMEDY = ("nothing was written — pass --allow-removals to remove them, or --keep-missing to keep articles the batch "
          "does not mention")


def _cli(*args: str):
    return runner.invoke(app, list(args), env=ENV)


def _report(r) -> dict:
    return json.loads(r.stdout.strip().splitlines()[-1])


def _built(source: Path, tmp_path: Path) -> Path:
    index = tmp_path / "idx"
    r = _cli("index", "build", str(source), "--index", str(index), "--model", "none")
    assert r.exit_code == 0, r.output
    return index


def _json_without(number: str) -> str:
    doc = json.loads((LAWGO / "테스트법.json").read_text(encoding="utf-8"))
    units = doc["법령"]["조문"]["조문단위"]
    kept = [u for u in units if not (u["조문여부"] == "조문" and u["조문번호"] == number and "조문가지번호" not in u)]
    assert len(kept) == len(units) - 1
    doc["법령"]["조문"]["조문단위"] = kept
    return json.dumps(doc, ensure_ascii=False)


def _edited(tmp_path: Path, name: str, text: str) -> Path:
    """The fixture law's file as a clerk edited it, under its own name (the law is read from the file's content)."""
    edited = tmp_path / "edited" / name
    edited.parent.mkdir()
    edited.write_text(text, encoding="utf-8")
    return edited


# ---- 3. an article missing from a law.go.kr JSON or XML document ----------------------------------------------------
def test_a_json_law_lacking_an_article_between_two_it_holds_is_refused_unless_allowed(tmp_path):
    index = _built(LAWGO / "테스트법.json", tmp_path)
    before = [g.name for g in generations(index)]
    edited = _edited(tmp_path, "테스트법.json", _json_without("2"))

    r = _cli("index", "add", str(edited), "--index", str(index))
    assert r.exit_code == 1
    assert str(r.exception) == (
        f"{index}: this batch's 테스트 보호법 lacks 제2조, which it would remove, though it holds articles after it (an "
        f"article block deleted by hand? a repealed article stays as 삭제); {REMEDY}")
    assert [g.name for g in generations(index)] == before
    assert "테스트 보호법 제2조" in {a.key for a in load_index(index).articles}

    kept = _cli("index", "add", str(edited), "--index", str(index), "--keep-missing", "--json")
    assert kept.exit_code == 0, kept.output
    assert _report(kept)["removed"] == 0
    allowed = _cli("index", "add", str(edited), "--index", str(index), "--allow-removals", "--json")
    assert allowed.exit_code == 0, allowed.output
    assert _report(allowed)["removed_keys"] == ["테스트 보호법 제2조"]
    assert "테스트 보호법 제2조" not in {a.key for a in load_index(index).articles}


def test_an_xml_law_lacking_an_article_between_two_it_holds_is_refused(tmp_path):
    index = _built(LAWGO / "테스트법.xml", tmp_path)
    before = [g.name for g in generations(index)]
    text = (LAWGO / "테스트법.xml").read_text(encoding="utf-8")
    edited_text, n = re.subn(r'\s*<조문단위 조문키="0002021">.*?</조문단위>', "", text, count=1, flags=re.S)
    assert n == 1
    edited = _edited(tmp_path, "테스트법.xml", edited_text)

    r = _cli("index", "add", str(edited), "--index", str(index))
    assert r.exit_code == 1
    assert "this batch's 테스트 보호법 lacks 제2조의2, which it would remove, though it holds articles after it" in str(
        r.exception)
    assert [g.name for g in generations(index)] == before


def test_a_json_law_lacking_its_last_articles_is_refused_and_not_called_truncated(tmp_path):
    """A JSON cut anywhere does not parse: one that ends early had its last units deleted, and the line says so."""
    index = _built(LAWGO / "테스트법.json", tmp_path)
    edited = _edited(tmp_path, "테스트법.json", _json_without("4"))
    r = _cli("index", "add", str(edited), "--index", str(index))
    assert r.exit_code == 1
    assert str(r.exception) == (
        f"{index}: this batch's 테스트 보호법 ends at 제3조 and would remove its last article, 제4조 (articles deleted by "
        f"hand? a repealed article stays as 삭제); {REMEDY}")


def test_a_whole_json_law_with_a_repealed_article_still_adds(tmp_path):
    """The guard looks only at live articles the batch lacks: the same document again, or a unit turned 삭제, passes."""
    index = _built(LAWGO / "테스트법.json", tmp_path)
    doc = json.loads((LAWGO / "테스트법.json").read_text(encoding="utf-8"))
    for unit in doc["법령"]["조문"]["조문단위"]:
        if unit["조문여부"] == "조문" and unit["조문번호"] == "2" and "조문가지번호" not in unit:
            unit["조문내용"], unit["조문제목"] = "제2조 삭제 <2025.1.1>", ""
            unit.pop("항")
    repealed = tmp_path / "repealed" / "테스트법.json"
    repealed.parent.mkdir()
    repealed.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    r = _cli("index", "add", str(repealed), "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    assert _report(r)["repealed_keys"] == ["테스트 보호법 제2조"] and _report(r)["removed"] == 0


# ---- 4. an undated text over a dated one ------------------------------------------------------------------------------
def _typed_lease(tmp_path: Path) -> Path:
    """주택임대차보호법 typed by hand: 제4조 as indexed, 제6조 with ② changed and ③ left out; no dates, no 법령ID."""
    md = LEASE_MD.read_text(encoding="utf-8")
    art4 = re.search(r"##### 제4조 \(임대차기간 등\)\n\n(.*?)\n\n#####", md, re.S).group(1)
    art6 = re.search(r"##### 제6조 \(계약의 갱신\)\n\n(.*?)\n\n\*\*③", md, re.S).group(1)
    plain = lambda body: re.sub(r"\*\*(.)\*\* ", r"\1 ", body).replace("\n\n", "\n")  # noqa: E731
    text = (f"주택임대차보호법\n\n제4조(임대차기간 등) {plain(art4)}\n"
            f"제6조(계약의 갱신) {plain(art6).replace('존속기간은 2년으로', '존속기간은 3년으로')}\n")
    path = tmp_path / "typed" / "주택임대차보호법.txt"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_an_undated_text_over_dated_articles_is_refused_in_one_line_unless_allow_older(tmp_path):
    index = _built(LEASE_MD, tmp_path)
    before = [g.name for g in generations(index)]
    typed = _typed_lease(tmp_path)

    for extra in ([], ["--keep-missing"]):  # a partial batch too: each article it replaces loses its dates
        r = _cli("index", "add", str(typed), "--index", str(index), *extra)
        assert r.exit_code == 1
        assert str(r.exception) == (
            f"{index}: this batch's 주택임대차보호법 has no dates (no 시행일자 or 공포일자: a hand-typed text?) and would "
            "replace 2 articles the index holds dated (in force from 2026-01-02), dropping their dates; nothing was "
            "written — pass --allow-older to index the undated text anyway (it cannot be shown to be no older; "
            "`legalret index rollback` undoes an add)")
        assert [g.name for g in generations(index)] == before
    held = {a.key: a for a in load_index(index).articles}
    assert held["주택임대차보호법 제6조"].effective_date == "2026-01-02" and len(held["주택임대차보호법 제6조"].paragraphs) == 3

    r = _cli("index", "add", str(typed), "--index", str(index), "--keep-missing", "--allow-older", "--json")
    assert r.exit_code == 0, r.output
    report = _report(r)
    # 제4조's text is the indexed one: changed in its dates only (the 법령ID the typed text lacks is not a change)
    assert report["changed_keys"] == ["주택임대차보호법 제4조", "주택임대차보호법 제6조"]
    assert report["changed_text_keys"] == ["주택임대차보호법 제6조"]
    assert (report["changed_text"], report["changed_dates_only"]) == (1, 1)
    assert report["lost_paragraphs"] == [{"key": "주택임대차보호법 제6조", "lost": [3], "before": 3, "after": 2}]
    after = {a.key: a for a in load_index(index).articles}
    assert after["주택임대차보호법 제4조"].effective_date is None
    assert {a.law_id for a in after.values()} == {"001248"}  # the held law's 법령ID kept on the typed articles
    assert "주택임대차보호법 제10조" in after  # (--keep-missing)


def test_a_dated_text_or_an_undated_text_over_undated_articles_is_not_asked_for_allow_older(tmp_path):
    index = _built(_typed_lease(tmp_path), tmp_path)  # undated in the index: nothing to lose
    r = _cli("index", "add", str(_typed_lease(tmp_path / "again")), "--index", str(index))
    assert r.exit_code == 0, r.output
    r = _cli("index", "add", str(LEASE_MD), "--index", str(index), "--json")  # the dated text over it: as ever
    assert r.exit_code == 0, r.output
    assert _report(r)["added_keys"] == ["주택임대차보호법 제10조"]


def test_a_changed_article_that_lost_paragraphs_is_said_in_the_report(tmp_path):
    """A dated text too: a statute keeps a repealed paragraph as ``③ 삭제``, so paragraphs gone from a changed article
    are said (a note naming them; ``lost_paragraphs`` in --json) — not refused: a 전문개정 may shorten an article."""
    index = _built(LEASE_MD, tmp_path)
    md = LEASE_MD.read_text(encoding="utf-8")
    cut, n = re.subn(r"\n\n\*\*③\*\* 2기\(期\)[^\n]*", "", md)
    assert n == 1
    edited = tmp_path / "edited" / "주택임대차보호법" / "법률.md"
    edited.parent.mkdir(parents=True)
    edited.write_text(cut, encoding="utf-8")
    r = _cli("index", "add", str(edited), "--index", str(index))
    assert r.exit_code == 0, r.output
    assert ("note: paragraphs gone from changed articles: 주택임대차보호법 제6조 lacks ③ (3 → 2 paragraphs) — a repealed "
            "paragraph stays as 삭제 (a hand-typed or cut text?); `legalret index rollback` undoes this add") in r.output
    # a paragraph turned 삭제 is no loss
    index2 = _built(LEASE_MD, tmp_path / "two")
    repealed = tmp_path / "repealed" / "주택임대차보호법" / "법률.md"
    repealed.parent.mkdir(parents=True)
    repealed.write_text(re.sub(r"(\*\*③\*\*) 2기\(期\)[^\n]*", r"\1 삭제 <2025.10.1>", md), encoding="utf-8")
    r = _cli("index", "add", str(repealed), "--index", str(index2), "--json")
    assert r.exit_code == 0, r.output
    assert _report(r)["changed_text_keys"] == ["주택임대차보호법 제6조"] and _report(r)["lost_paragraphs"] == []


def test_a_manifest_narrowed_by_law_does_not_call_its_other_laws_missing(mirror_zip, tmp_path, monkeypatch):
    """`index build civil-commercial --law 상법` had said "'민법' is not in the statute mirror" and exited 3 (an ML
    engineer's finding, 2026-12-07): a law the user's --law leaves out is not missing; one it asks for still is."""
    from legalret.corpus.resolve import read_corpus

    monkeypatch.setenv("LEGALRET_MIRROR", str(mirror_zip))
    monkeypatch.setenv("LEGALRET_CORPORA", str(tmp_path / "corpora"))
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    (tmp_path / "corpora").mkdir()
    manifest = tmp_path / "man.yaml"
    manifest.write_text("name: n23\nkinds: [법률]\nlaws: [민법, 민볍]\n", encoding="utf-8")
    narrowed = read_corpus([str(manifest)], laws=["民法"])  # (read as the filter reads it: 민법)
    assert {a.law for a in narrowed.articles} == {"민법"} and narrowed.errors == []
    [error] = read_corpus([str(manifest)]).errors  # the whole manifest: the misspelt law is still named
    assert "'민볍' is not in the statute mirror" in str(error)
    r = CliRunner().invoke(app, ["index", "build", str(manifest), "--law", "민법", "--index", str(tmp_path / "idx"),
                                 "--model", "none", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.splitlines()[-1])["skipped"] == []
