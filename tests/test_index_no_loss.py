"""Nothing lost, nothing silently wrong (issue 21): a partial add followed by the full one gives the memory back
bit for bit; pruning keeps the last copy of anything; uncertain mojibake and a cut-off last article are refused
with one line; a garbage CURRENT is repaired by rollback; an edited manifest fails verification; a value option
never swallows the next option."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret import pipeline  # noqa: E402
from legalret.cli import app  # noqa: E402
from legalret.errors import IndexError_, LegalretError  # noqa: E402
from legalret.index.store import (  # noqa: E402
    current_generation,
    generation_contents,
    generations,
    load_index,
    read_manifest,
)
from legalret.ingest.mojibake import corrupt  # noqa: E402
from legalret.precedents.facts import read_facts  # noqa: E402
from legalret.search.searcher import Searcher  # noqa: E402

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures"
FACTS = FIXTURES / "facts" / "facts.jsonl"
CIVIL_MD = FIXTURES / "ingest" / "markdown" / "민법" / "법률.md"
QUERIES = ["임대차의 존속기간과 차임 지급", "타인의 물건을 점유한 자의 유치권", "보험계약자의 고지의무 위반 해지 기간"]


def _cli(*args: str):
    return runner.invoke(app, list(args), env={"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"})


def _error(r) -> str:
    """The one-line error a command failed with (the CLI's main prints it as ``error: …``, exit 1)."""
    assert r.exit_code == 1 and isinstance(r.exception, LegalretError), r.output
    message = str(r.exception)
    assert "\n" not in message
    return message


def _memory_answers(index: Path) -> list:
    s = Searcher(index)
    return [[(h.key, round(h.score, 9)) for h in s.search(q, k=10, mode="memory")] for q in QUERIES]


def _part_checksums(index: Path, gen: str) -> dict:
    files = read_manifest(index, index / gen)["files"]
    return {rel: f["sha256"] for rel, f in files.items() if rel.startswith(("memory/", "facts/"))}


# ---- item 1: the memory survives a partial add ----------------------------------------------------------
def test_partial_then_full_add_gives_the_memory_back_exactly(tmp_path):
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none", precedents=sup.PRECEDENTS,
                   facts=read_facts(FACTS, on_error=lambda e: None))
    first = current_generation(index).name
    before = read_manifest(index)
    answers = _memory_answers(index)
    civil = [a for a in sup.articles() if a.law == "민법"]
    partial = pipeline.add(civil[:2], index, allow_removals=True)  # 제192조, 제194조: the holdings' articles go
    assert partial.memory["items"] == before["memory"]["items"] and partial.memory["silent_items"] == 1
    assert read_manifest(index)["memory"]["items"] == before["memory"]["items"]
    assert read_manifest(index)["facts"]["items"] == before["facts"]["items"]
    assert "민법 제618조" not in {k for hits in _memory_answers(index) for k, _ in hits}  # silent items do not vote
    pipeline.add(civil, index)
    after = read_manifest(index)
    assert after["memory"]["items"] == before["memory"]["items"] and after["facts"]["items"] == before["facts"]["items"]
    assert _memory_answers(index) == answers
    # not just the same counts: the same bytes (items, keys, tokens, BM25 matrix) as the original generation
    assert _part_checksums(index, current_generation(index).name) == _part_checksums(index, first)


def test_a_partial_add_given_the_precedents_again_keeps_every_holding(tmp_path):
    """A user who passes ``--precedents`` with every add: the partial add re-reads each decision with the index's
    live keys, which leaves out a holding citing only removed articles — the stored one stays, silent, and votes
    again once its article is back, even when the full add is run without the precedents."""
    from datetime import date

    two = {"case_no": "2016다4004", "decided": date(2016, 4, 4), "source": "fixture", "holdings": [
        {"index": 1, "text": "간접점유자가 점유보조자를 통하여 점유하는 경우", "keys": ["민법 제194조"]},
        {"index": 2, "text": "임대차 기간을 정하지 아니한 경우 해지 통고", "keys": ["민법 제618조"]}]}
    precedents = [*sup.PRECEDENTS, two]
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none", precedents=precedents)
    before = read_manifest(index)["memory"]["items"]
    answers = _memory_answers(index)
    civil = [a for a in sup.articles() if a.law == "민법"]
    partial = pipeline.add(civil[:2], index, allow_removals=True, precedents=precedents)  # 제192조, 제194조 stay
    assert partial.memory["precedents_replaced"] >= 1  # 2016다4004 was re-read: only its first holding cites 제194조
    assert read_manifest(index)["memory"]["items"] == before
    pipeline.add(civil, index)
    assert read_manifest(index)["memory"]["items"] == before
    assert "민법 제618조" in Searcher(index).search("임대차 기간을 정하지 아니한 경우 해지 통고", k=10, mode="memory").keys
    pipeline.add(civil, index, precedents=precedents)  # and given again, nothing doubles
    assert read_manifest(index)["memory"]["items"] == before
    assert _memory_answers(index) == answers


def test_plain_record_keys_come_back_after_their_article_returns(tmp_path):
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none", precedents=sup.PRECEDENTS)
    commercial = [a for a in sup.articles() if a.law == "상법"]
    pipeline.add([a for a in commercial if a.key != "상법 제651조"], index)
    hits = Searcher(index).search("보험계약자의 고지의무 위반 해지 기간", k=10, mode="memory")
    assert "상법 제651조" not in hits.keys
    report = pipeline.add(commercial, index)
    assert report.memory["added_citations"] == 1 and report.memory["silent_items"] == 0
    assert "상법 제651조" in Searcher(index).search("보험계약자의 고지의무 위반 해지 기간", k=10, mode="memory").keys


def test_pruning_keeps_the_last_generation_holding_what_no_later_one_has(tmp_path):
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none", precedents=sup.PRECEDENTS, keep=2)
    full = current_generation(index).name
    civil = [a for a in sup.articles() if a.law == "민법"]
    pipeline.add(civil[:2], index, allow_removals=True, keep=2)
    for i in range(3):  # three more generations, each changing one article's text
        pipeline.add([sup.amended(civil[0], f"바뀐 본문 {i}.")], index, remove_missing=False, keep=2)
    kept = [g.name for g in generations(index)]
    assert full in kept and len(kept) == 3  # the live one, the newest older one, and the last full one
    assert generation_contents(index / full) - generation_contents(current_generation(index))
    pipeline.add(civil, index, keep=2)  # everything is back: the full generation is no longer the last copy
    kept = [g.name for g in generations(index)]
    assert full not in kept and len(kept) == 2


# ---- item 2: uncertain mojibake is refused by index add / build ------------------------------------------
def _broken(tmp_path: Path, extra: str = "") -> Path:
    clean = CIVIL_MD.read_text(encoding="utf-8")
    head, body = clean.split("\n---", 1)
    path = tmp_path / "broken" / "민법" / "법률.md"
    path.parent.mkdir(parents=True)
    path.write_text(head + "\n---" + corrupt(extra + body), encoding="utf-8")  # cp1252, undefined bytes dropped
    return path


@pytest.fixture()
def md_index(tmp_path):
    index = tmp_path / "idx"
    r = _cli("index", "build", str(CIVIL_MD), "--index", str(index), "--model", "none")
    assert r.exit_code == 0, r.output
    return index


def test_uncertain_repairs_are_refused_unless_accepted(tmp_path, md_index):
    # '점' (EC A0 90) and '적' (EC A0 81) both lose their last byte: nothing tells them apart
    path = _broken(tmp_path, "\n\n##### 제999조 (시험)\n\n이 점 그 적 저 점\n")
    gens = [g.name for g in generations(md_index)]
    for command in ("add", "build"):
        r = _cli("index", command, str(path), "--index", str(md_index), "--model", "none")
        line = _error(r)
        assert str(path) in line and "uncertain mojibake repair" in line and "--accept-uncertain-repairs" in line
        assert "line " in line  # the first spans, with their lines
        assert [g.name for g in generations(md_index)] == gens  # nothing written
    r = _cli("index", "add", str(path), "--index", str(md_index), "--accept-uncertain-repairs", "--json")
    assert r.exit_code == 0, r.output
    result = json.loads(r.output.strip().splitlines()[-1])
    assert result["wrote"] and result["mojibake"]["uncertain"] >= 1 and result["mojibake"]["files"] == [str(path)]


def test_characters_lost_before_the_file_was_saved_are_refused_unless_accepted(tmp_path, md_index):
    """A statute saved after its UTF-8 was read as CP949 holds U+FFFD where bytes were lost ("위법행��"): it was
    indexed as it was, 0 warnings — wrong words, silently. Now uncertain, like a low-confidence repair."""
    clean = CIVIL_MD.read_text(encoding="utf-8")
    at = clean.index("##### 제2조")
    at = clean.index("\n\n", at) + 4
    path = tmp_path / "lost" / "민법" / "법률.md"
    path.parent.mkdir(parents=True)
    path.write_text(clean[:at] + "\ufffd\ufffd" + clean[at + 2:], encoding="utf-8")
    gens = [g.name for g in generations(md_index)]
    line = _error(_cli("index", "add", str(path), "--index", str(md_index), "--model", "none"))
    assert str(path) in line and "2 character(s) lost before the file was saved (U+FFFD" in line
    assert "--accept-uncertain-repairs" in line and [g.name for g in generations(md_index)] == gens
    strict = _cli("ingest", str(path), "--out", str(tmp_path / "out.jsonl"), "--strict")
    assert strict.exit_code != 0 and "lost characters" in strict.output and not (tmp_path / "out.jsonl").exists()
    # accepted, it is indexed — and said (it had gone in without a note: "mojibake": null, no warning)
    r = _cli("index", "add", str(path), "--index", str(md_index), "--model", "none", "--accept-uncertain-repairs",
             "--json")
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["mojibake"]["accepted_files"] == [str(path)] and result["mojibake"]["uncertain"] == 1
    assert "uncertain span(s) indexed as they are (accepted)" in r.stderr and "U+FFFD" in r.stderr


def test_certain_repairs_are_indexed_and_reported(tmp_path, md_index):
    # every byte kept (cp1252 with its undefined bytes as C1 controls): the repair is exact, certain, indexed
    clean = CIVIL_MD.read_text(encoding="utf-8")
    head, body = clean.split("\n---", 1)
    path = tmp_path / "lossless" / "민법" / "법률.md"
    path.parent.mkdir(parents=True)
    path.write_text(head + "\n---" + corrupt(body, drop=False), encoding="utf-8")
    r = _cli("index", "add", str(path), "--index", str(md_index), "--json")
    assert r.exit_code == 0, r.output
    assert "mojibake repaired in 1 file(s)" in r.output
    result = json.loads(r.output.strip().splitlines()[-1])
    assert result["mojibake"]["repaired"] > 0 and result["mojibake"]["uncertain"] == 0
    assert not result["wrote"]  # repaired exactly: the same articles as the clean file
    # cp1252's undefined bytes dropped: the syllables rebuilt from them are guesses (교각 → 교감 had been "certain"),
    # so the file is refused, and accepted it is indexed with the note saying how many spans were rebuilt
    lossy = _broken(tmp_path)
    refused = _cli("index", "add", str(lossy), "--index", str(md_index), "--json")
    assert refused.exit_code == 1 and "mojibake guessed from lost bytes" in str(refused.exception)
    r = _cli("index", "add", str(lossy), "--index", str(md_index), "--json", "--accept-uncertain-repairs")
    assert r.exit_code == 0, r.output
    result = json.loads(r.output.strip().splitlines()[-1])
    assert not result["wrote"] and result["mojibake"]["uncertain"] > 0
    assert 0 < result["mojibake"]["rebuilt"] <= result["mojibake"]["repaired"]
    assert f"{result['mojibake']['rebuilt']} of them rebuilt from lost bytes" in r.stderr and "legalret fix-text" in r.stderr


# ---- item 3: a cut-off last article ----------------------------------------------------------------------
def test_a_cut_off_last_article_is_guarded_like_a_removal(tmp_path, md_index):
    text = CIVIL_MD.read_text(encoding="utf-8")
    cut = text[: text.index("양부모가 양자를 학대") + len("양부모가 양자를 학대")]
    path = tmp_path / "cut" / "민법" / "법률.md"
    path.parent.mkdir(parents=True)
    path.write_text(cut, encoding="utf-8")
    gens = [g.name for g in generations(md_index)]
    r = _cli("index", "add", str(path), "--index", str(md_index), "--keep-missing")
    line = _error(r)
    assert "민법 제905조" in line and "cut off" in line and "--allow-removals" in line
    assert [g.name for g in generations(md_index)] == gens
    r = _cli("index", "add", str(path), "--index", str(md_index), "--keep-missing", "--allow-removals", "--json")
    assert r.exit_code == 0 and json.loads(r.output.strip().splitlines()[-1])["changed"] == 1, r.output


def test_a_shorter_last_article_that_ends_a_sentence_is_an_amendment(tmp_path):
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none")
    civil = [a for a in sup.articles() if a.law == "민법"]
    last = civil[-1] if not civil[-1].deleted else civil[-2]
    civil = [sup.amended(a, "짧아졌다.") if a is last else a for a in civil]
    report = pipeline.add(civil, index)
    assert report.changed == 1


# ---- item 8: an option never swallows the next one ------------------------------------------------------
def test_a_value_option_does_not_swallow_the_next_option(tmp_path, md_index):
    r = _cli("index", "add", "new-decisions.zip", "--precedents", "--index", str(md_index))
    assert r.exit_code == 2 and "--precedents" in r.output and "needs a value" in r.output, r.output
    assert len(generations(md_index)) == 1


# ---- item 9: a garbage CURRENT -------------------------------------------------------------------------
def test_rollback_and_info_work_from_the_generations_under_a_garbage_current(tmp_path):
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none")
    civil = [a for a in sup.articles() if a.law == "민법"]
    pipeline.add([sup.amended(civil[0], "바뀐 본문.")], index, remove_missing=False)
    newest = current_generation(index).name
    (index / "CURRENT").write_bytes(b"\x00garbage{")
    with pytest.raises(IndexError_, match="rollback"):
        load_index(index)
    r = _cli("index", "info", "--index", str(index))
    assert r.exit_code == 0 and f"showing the newest kept generation {newest}" in r.output, r.output
    r = _cli("index", "rollback", "--index", str(index))
    assert r.exit_code == 0 and f"{newest} is live" in r.output, r.output
    # which one had been live is not known: it had said "it points here again", true or not
    assert "(CURRENT was unreadable, so which generation was live is not known; this is the newest kept one that " \
        "verifies)" in r.output.replace("\n", "") and "again" not in r.output, r.output
    assert load_index(index).path.name == newest


def test_rollback_under_a_garbage_current_skips_a_damaged_newest_generation(tmp_path):
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none")
    first = current_generation(index).name
    pipeline.add([sup.amended(sup.articles()[0], "바뀐 본문.")], index, remove_missing=False)
    (current_generation(index) / "rows.json").write_text("{}", encoding="utf-8")
    (index / "CURRENT").write_text("not json", encoding="utf-8")
    r = _cli("index", "rollback", "--index", str(index))
    assert r.exit_code == 0 and f"{first} is live" in r.output, r.output


# ---- item 10: the manifest is covered by the checksums --------------------------------------------------
def test_an_edited_manifest_fails_verification(tmp_path):
    index = tmp_path / "idx"
    pipeline.build(sup.articles(), index, model="none")
    assert _cli("index", "info", "--index", str(index), "--verify").exit_code == 0
    path = current_generation(index) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["fusion"]["dense_weight"] = 0.99  # the same keys, another weight
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    r = _cli("index", "info", "--index", str(index), "--verify")
    line = _error(r)
    assert "manifest was changed" in line and str(path) in line
    with pytest.raises(IndexError_, match="manifest was changed"):
        load_index(index)


def test_warnings_while_reading_are_said_and_reported(tmp_path, md_index):
    """A duplicate article inside a statute file was passed over by `index add` without a word (only `legalret ingest
    --warnings` listed it): now a note names the first, and the JSON report lists them all."""
    clean = CIVIL_MD.read_text(encoding="utf-8")
    path = tmp_path / "dup" / "민법" / "법률.md"
    path.parent.mkdir(parents=True)
    twice = "##### 제905조의2 (시험)\n\n첫째 본문\n\n##### 제905조의2 (시험)\n\n둘째 본문\n\n## 부칙"
    path.write_text(clean.replace("## 부칙", twice, 1), encoding="utf-8")
    r = _cli("index", "add", str(path), "--index", str(md_index), "--json")
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert any("duplicate article 제905조의2" in w for w in result["warnings"]), result["warnings"]
    assert "warning(s) while reading the statutes" in r.stderr and "duplicate article 제905조의2" in r.stderr


def test_a_file_with_uncertain_repairs_is_skipped_and_the_rest_of_the_batch_goes_on(tmp_path, md_index):
    """One uncertain-repair file stopped the whole batch ("nothing was indexed"): now it is skipped whole and named,
    like an unreadable file, and the other files are indexed; its law stays as it was, and the add exits 3."""
    import shutil

    broken = _broken(tmp_path, "\n\n##### 제999조 (시험)\n\n이 점 그 적 저 점\n")
    shutil.copytree(CIVIL_MD.parent.parent / "상법", broken.parent.parent / "상법")  # a clean file beside it
    before = Searcher(md_index).article("민법 제905조").body_text()
    r = _cli("index", "add", str(broken.parent.parent), "--index", str(md_index), "--json")
    assert r.exit_code == 3, r.output
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["files_skipped"] == 1 and r.stderr.splitlines()[-1].endswith("; exit 3")
    (skipped,) = result["skipped"]
    assert skipped.startswith(str(broken)) and "uncertain mojibake repair" in skipped
    assert "--accept-uncertain-repairs" in skipped and "skipped:" in r.stderr
    s = Searcher(md_index)
    assert "상법 시행령" in s.laws and s.article("민법 제905조").body_text() == before and s.article("민법 제999조") is None


# ---- an article that could not be read is not a repealed one ----------------------------------------------
def test_an_unreadable_article_is_kept_not_removed(tmp_path):
    """A law.go.kr file with one malformed article (조문번호 '칠백오십', or null from the API) was read without that
    article, and `index add` took it as repealed: 민법 제750조 was removed, exit 0, with one warning. The law is now
    incomplete in the batch: its missing articles are kept (as --keep-missing), a note and the JSON say so, and
    `ingest --strict` refuses such a file. A markdown heading that cannot be read is left out the same way, its body no
    longer glued to the article before it."""
    source = FIXTURES / "ingest" / "lawgo" / "테스트법.json"
    index = tmp_path / "idx"
    r = _cli("index", "build", str(source), "--index", str(index), "--model", "none")
    assert r.exit_code == 0, r.output
    law = json.loads(source.read_text(encoding="utf-8"))
    units = law["법령"]["조문"]["조문단위"]
    spoiled = next(u for u in units if u["조문여부"] == "조문" and u["조문번호"] == "4")
    spoiled["조문번호"] = None
    changed = next(u for u in units if u["조문여부"] == "조문" and u["조문번호"] == "1")
    changed["조문내용"] = changed["조문내용"].replace("목적으로 한다", "목적으로 삼는다")
    broken = tmp_path / "테스트법.json"
    broken.write_text(json.dumps(law, ensure_ascii=False), encoding="utf-8")
    r = _cli("index", "add", str(broken), "--index", str(index), "--json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.output.strip().splitlines()[-1])
    assert report["changed"] == 1 and report["removed"] == 0 and report["unread_articles"] == {"테스트 보호법": 1}
    assert "1 article(s) could not be read" in r.output
    assert Searcher(index).article("테스트 보호법 제4조") is not None
    # the Python API, given the whole ingest result, keeps it too (given the articles alone it had removed it)
    from legalret import pipeline
    from legalret.ingest import ingest

    again = tmp_path / "idx2"
    assert _cli("index", "build", str(source), "--index", str(again), "--model", "none").exit_code == 0
    added = pipeline.add(ingest([str(broken)]), again)
    assert added.removed == 0 and Searcher(again).article("테스트 보호법 제4조") is not None
    r = _cli("ingest", str(broken), "--out", str(tmp_path / "out.jsonl"), "--strict")
    assert r.exit_code == 2 and "1 article(s) that could not be read (테스트 보호법 1" in r.output
    assert not (tmp_path / "out.jsonl").exists()

    md = tmp_path / "민법" / "법률.md"
    md.parent.mkdir()
    md.write_text(CIVIL_MD.read_text(encoding="utf-8").replace("##### 제2조 (신의성실)", "##### 제이조 (신의성실)", 1),
                  encoding="utf-8")
    from legalret.ingest.sources import ingest

    result = ingest([str(md)])
    assert result.report.dropped == {"민법": 1} and "민법 제2조" not in [a.key for a in result.articles]
    before = next(a for a in result.articles if a.key == "민법 제1조")
    assert before.index_text() == next(a for a in ingest([str(CIVIL_MD)]).articles if a.key == "민법 제1조").index_text()


# ---- precedents added to an index: what is skipped is said, an unchanged re-add writes nothing -------------------
def test_precedent_adds_say_what_they_skip_and_keep_one_copy_of_each_decision(tmp_path):
    """A new user's findings: a decision file that cannot be read was dropped without a word (`precedents_skipped`
    0, "unchanged"), a facts JSONL given as --precedents said "unchanged", the same decision re-added wrote a new
    generation every time (each pruning an older one), and a 사건번호 spaced otherwise was stored twice (and voted
    twice)."""
    index = tmp_path / "idx"
    assert _cli("index", "build", str(CIVIL_MD), "--index", str(index), "--model", "none").exit_code == 0
    fixture = (FIXTURES / "precedents" / "md" / "민사" / "대법원" / "2016다7007.md").read_text(encoding="utf-8")
    text = fixture.replace("[1] 민법 제103조 / [3] 민법 제2조", "[1] 민법 제2조 / [2] 민법 제1조")  # the fixture law's
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.md").write_text(text, encoding="utf-8")

    def add(folder):
        r = _cli("index", "add", "--precedents", str(folder), "--index", str(index), "--json")
        assert r.exit_code == 0, r.output
        return json.loads(r.output.strip().splitlines()[-1]), r.output

    first, _ = add(src)
    items = first["memory"]["items"]
    assert first["wrote"] and items >= 1
    again, _ = add(src)
    assert not again["wrote"]  # the stored decision, exactly: nothing to write
    (src / "a.md").write_text(text.replace("사건번호: 2016다7007", "사건번호: 2016다 7007"), encoding="utf-8")
    respaced, _ = add(src)
    assert respaced["memory"]["items"] == items and respaced["memory"]["precedents_replaced"] == 1  # not a second copy
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.md").write_text("", encoding="utf-8")
    skipped, output = add(bad)  # a file that is no decision: a malformed record, counted (exit 0)
    assert skipped["memory"]["precedents_skipped"] == 1 and "skipped precedent:" in output and "empty.md" in output
    assert skipped["files_skipped"] == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no decision read from" in _error(_cli("index", "add", "--precedents", str(empty), "--index", str(index)))
    # a download cut off inside its 참조조문 (no final newline) had replaced the whole decision stored before
    cut = tmp_path / "cut"
    cut.mkdir()
    (cut / "a.md").write_text(text[: text.index("민법 제2조") + len("민법 제")], encoding="utf-8")
    kept, output = add(cut)  # a decision cut off: counted by the memory, exit 0 (exit 3 is for statute files)
    assert not kept["wrote"] and kept["memory"]["precedents_skipped"] == 1
    assert "ends without a final newline: cut off?" in output and "a.md" in output


def test_an_older_text_of_a_law_does_not_replace_the_newer_one(tmp_path):
    """law.go.kr's 2025 민법 added to an index of the 2026 mirror replaced the newer text and removed the article the
    newer one had added, exit 0 and no word. It now stops (nothing written) unless --allow-older."""
    index = tmp_path / "idx"
    assert _cli("index", "build", str(CIVIL_MD), "--index", str(index), "--model", "none").exit_code == 0
    before = json.loads((index / "CURRENT").read_text())["generation"]
    newer = CIVIL_MD.read_text(encoding="utf-8")
    older = (newer.replace("시행일자: 2026-03-17", "시행일자: 2025-01-31").replace("공포일자: 2026-03-17", "공포일자: 2025-01-31")
             .replace("권리는 남용하지 못한다.", "옛 문장."))
    (tmp_path / "민법").mkdir()
    (tmp_path / "민법" / "법률.md").write_text(older, encoding="utf-8")
    r = _cli("index", "add", str(tmp_path / "민법" / "법률.md"), "--index", str(index))
    assert r.exit_code == 1
    assert ("this batch's 민법 is older than the indexed text (in force from 2025-01-31; the index has text in force from "
            "2026-03-17); nothing was written — pass --allow-older") in _error(r)
    assert json.loads((index / "CURRENT").read_text())["generation"] == before
    assert _cli("index", "add", str(tmp_path / "민법" / "법률.md"), "--index", str(index), "--allow-older").exit_code == 0
    assert "옛 문장." in Searcher(index).article("민법 제2조").body_text()
    # the newer text back again: no question
    assert _cli("index", "add", str(CIVIL_MD), "--index", str(index)).exit_code == 0
    assert "권리는 남용하지 못한다." in Searcher(index).article("민법 제2조").body_text()


def test_a_text_whose_dates_are_no_dates_is_skipped_not_indexed_undated(tmp_path):
    """A new user's finding: an older 주택임대차보호법 with '공포일자: 2010-13-01', '시행일자: 20100601x' was read as undated,
    so the older-text guard let it through — `index add` replaced the newer text, every article's dates became null, exit
    0 and no word (`ingest --strict`: 0 warnings); a date-only change to '공포일자: 2025-13-45' nulled them all too. Such
    a file is now skipped whole and named (file:line: field), the rest of the batch is indexed, exit 3."""
    index = tmp_path / "idx"
    assert _cli("index", "build", str(CIVIL_MD), "--index", str(index), "--model", "none").exit_code == 0
    before = {a.key: (a.body_text(), a.promulgated, a.effective_date) for a in load_index(index).articles}
    newer = CIVIL_MD.read_text(encoding="utf-8")
    assert newer.count("공포일자: 2026-03-17") == newer.count("시행일자: 2026-03-17") == 1
    line = newer.split("\n").index("공포일자: 2026-03-17") + 1
    decree = FIXTURES / "ingest" / "markdown" / "상법" / "시행령.md"
    variants = {
        "older": (newer.replace("공포일자: 2026-03-17", "공포일자: 2010-13-01").replace("시행일자: 2026-03-17", "시행일자: 20100601x")
                  .replace("권리는 남용하지 못한다.", "옛 문장."), "'2010-13-01'"),
        "date-only": (newer.replace("공포일자: 2026-03-17", "공포일자: 2025-13-45"), "'2025-13-45'"),
    }
    for name, (text, value) in variants.items():
        batch = tmp_path / name
        (batch / "민법").mkdir(parents=True)
        (batch / "민법" / "법률.md").write_text(text, encoding="utf-8")
        (batch / "상법").mkdir()
        (batch / "상법" / "시행령.md").write_text(decree.read_text(encoding="utf-8"), encoding="utf-8")
        r = _cli("index", "add", str(batch), "--index", str(index), "--json")
        assert r.exit_code == 3, r.output
        named = f"{batch / '민법' / '법률.md'}:{line}: 공포일자: {value} is not a date (YYYY-MM-DD)"
        assert f"skipped: {named}" in r.stderr
        assert json.loads(r.stdout.strip().splitlines()[-1])["skipped"] == [named]
        articles = load_index(index).articles
        assert {a.key: (a.body_text(), a.promulgated, a.effective_date) for a in articles if a.law == "민법"} == before
        assert any(a.law == "상법 시행령" for a in articles)  # the rest of the batch is in
        assert "권리는 남용하지 못한다." in Searcher(index).article("민법 제2조").body_text()
    # ingest names it too, and --strict refuses it (it had reported 0 warnings and written the undated articles)
    out = tmp_path / "x.jsonl"
    r = _cli("ingest", str(tmp_path / "older"), "--out", str(out), "--strict")
    assert r.exit_code != 0 and not out.exists()
    assert f"{tmp_path / 'older' / '민법' / '법률.md'}:{line}: 공포일자: '2010-13-01' is not a date" in r.output


def test_a_batch_lacking_the_article_amended_last_is_not_older(tmp_path):
    """law.go.kr dates each article: a file without the article amended last (here 제4조, 2026) has an earlier latest
    date than the index, yet dates every other article as the index does — not an older text of the law."""
    source = FIXTURES / "ingest" / "lawgo" / "테스트법.json"
    index = tmp_path / "idx"
    assert _cli("index", "build", str(source), "--index", str(index), "--model", "none").exit_code == 0

    def variant(name: str, change) -> str:
        law = json.loads(source.read_text(encoding="utf-8"))
        change(law)
        (tmp_path / name).mkdir()
        (tmp_path / name / "테스트법.json").write_text(json.dumps(law, ensure_ascii=False), encoding="utf-8")
        return str(tmp_path / name / "테스트법.json")

    def a_year_earlier(law):
        law["법령"]["기본정보"]["시행일자"] = "20240101"
        for u in law["법령"]["조문"]["조문단위"]:
            if u.get("조문시행일자"):
                u["조문시행일자"] = str(int(u["조문시행일자"]) - 10000)

    def without_article_4(law):
        law["법령"]["조문"]["조문단위"] = [u for u in law["법령"]["조문"]["조문단위"] if u["조문번호"] != "4"]

    assert "is older than the indexed text" in _error(_cli("index", "add", variant("old", a_year_earlier), "--index", str(index)))
    # (a law.go.kr document without its last live article is guarded as a statute text is: --allow-removals)
    r = _cli("index", "add", variant("new", without_article_4), "--index", str(index), "--json", "--allow-removals")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output.strip().splitlines()[-1])["removed"] == 1
