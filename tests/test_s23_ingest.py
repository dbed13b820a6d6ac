"""A court clerk's report on mojibake repair and ingest (t23a, 2026-12-07).

1. A syllable rebuilt from bytes a cp1252 decoder dropped (``errors='ignore'``: 0x81 0x8D 0x8F 0x90 0x9D) was a
   "certain" repair whenever the model liked it: 교각 → 교감 at 0.98, 형법 제233조's 생사 → 상사, 신탁법's item
   marker 라 → 끼 — never listed, and indexed with exit 0. Now such a character, where other real syllables fit the
   same bytes, is a guess (status ``guessed``): listed per character with its other readings, refused by
   ``index add/build`` unless ``--accept-uncertain-repairs``, failing ``fix-text --strict``. Exact repairs of lossless
   mojibake stay certain.
2. ``ingest … --out x.jsonl`` wrote such text unmarked (exit 0) and ``index add x.jsonl`` indexed it (exit 0). Now
   ingest leaves a file with uncertain repairs out of the JSONL, named, exit 3 (as ``index add`` skips it), unless
   ``--accept-uncertain-repairs``; and an articles JSONL holding the bytes of a character no repair could rebuild
   ('유보(ï§保)') reads as mojibake when it is read, so ``index add`` refuses it too.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from legalret.articles import read_articles
from legalret.cli import app
from legalret.cli.fixtext import EXIT_UNCERTAIN
from legalret.corpus.resolve import doubtful_text
from legalret.ingest import ingest
from legalret.ingest.mojibake import corrupt, looks_like_mojibake, repair_mojibake

ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "300"}
runner = CliRunner()

#: The tester's hand-made file: 교각 (EA B5 90 / EA B0 81) loses a byte in each syllable; 교감 fits the rest too.
BRIDGE = "시설안전특례법\n\n제1조(목적) 교각의 안전점검은 관리청이 한다.\n"


def _lossy(text: str) -> str:
    """UTF-8 read as cp1252 with errors='ignore' (the undefined bytes gone), as the tester's files were made."""
    return text.encode("utf-8").decode("cp1252", errors="ignore")


def _mirror_law(shared_data: Path, law: str) -> str:
    with zipfile.ZipFile(shared_data / "statutes" / "legalize-kr.zip") as z:
        return z.read(f"legalize-kr/{law}/법률.md").decode("utf-8")


def _lossy_markdown(text: str) -> str:
    """The body (after the front matter) in lossy mojibake, the front matter kept (as the tester's mirror copies)."""
    head, body = text.split("\n---", 1)
    return head + "\n---" + _lossy(body)


# ---- finding 1: a syllable rebuilt from lost bytes is a guess ------------------------------------------------------
def test_a_syllable_rebuilt_from_lost_bytes_is_never_a_certain_repair():
    result = repair_mojibake(_lossy("제1조(목적) 교각의 안전점검은 관리청이 한다."))
    (span,) = result.repairs
    # the model reads 교감 at 0.98: above LOW_CONFIDENCE, so it had been a certain repair ("0 low-confidence")
    assert span.fixed.startswith("제1조(목적) 교감의") and span.confidence >= 0.9
    assert span.status == "guessed" and 9 in span.guessed
    # every guessed character is listed with the other syllables that fit its bytes — 감 with 각
    listed = {o: (c, alts) for o, c, _, alts in span.uncertain}
    assert set(span.guessed) <= set(listed) and listed[9][0] == "감" and "각" in listed[9][1]


def test_lossless_mojibake_stays_a_certain_repair():
    """Every byte kept (cp1252 with its undefined bytes as C1 controls, or Latin-1): the repair is exact — no guess."""
    line = "제1조(목적) 교각의 안전점검은 관리청이 한다."
    for broken in (corrupt(line, drop=False), corrupt(line, encoding="latin-1", drop=False)):
        result = repair_mojibake(broken)
        assert result.text == line
        assert all(r.status == "repaired" and not r.guessed for r in result.repairs)


def test_real_statute_guesses_are_listed_per_character(shared_data, tmp_path):
    """형법 제233조 '생사에 관한 증명서' and 신탁법 제85조's item marker '라.': both came back wrong (상사, 끼) with no
    word. Whatever the model picks now, the character is named in a warning with its other readings."""
    criminal = _mirror_law(shared_data, "형법")
    path = tmp_path / "형법" / "법률.md"
    path.parent.mkdir()
    path.write_text(_lossy_markdown(criminal), encoding="utf-8")
    result = ingest([path])
    line = next(i for i, text in enumerate(criminal.split("\n"), 1) if "검안서 또는 생사에 관한 증명서" in text)
    warning = next(str(w) for w in result.report.uncertain if w.line == line)
    assert "guessed from lost bytes" in warning and ("'상' at" in warning or "상(생" in warning
                                                    or "'생' at" in warning or "생(상" in warning), warning

    trust = _mirror_law(shared_data, "신탁법")
    path = tmp_path / "신탁법" / "법률.md"
    path.parent.mkdir()
    path.write_text(_lossy_markdown(trust), encoding="utf-8")
    result = ingest([path])
    line = next(i for i, text in enumerate(trust.split("\n"), 1) if text.startswith("    라\\. 제100조에 따른"))
    warning = next(str(w) for w in result.report.uncertain if w.line == line)
    assert "guessed from lost bytes" in warning and "(or '" in warning, warning


def test_fix_text_lists_each_guess_and_strict_fails(tmp_path):
    path = tmp_path / "p1.txt"
    path.write_text(_lossy(BRIDGE), encoding="utf-8")
    r = runner.invoke(app, ["fix-text", str(path), "--strict"], env=ENV)
    assert r.exit_code == EXIT_UNCERTAIN, r.output  # it had been "0 low-confidence", exit 0
    assert "guessed from lost bytes)" in r.stderr and "[guessed]" in r.stderr
    assert any(line.strip().startswith("char 9 ") and "rebuilt from lost bytes" in line and "각" in line
               for line in r.stderr.splitlines()), r.stderr
    report = json.loads(runner.invoke(app, ["fix-text", str(path), "--json"], env=ENV).stderr)
    assert report["guessed"] == 1 and report["guessed_chars"] >= 1
    assert [s["status"] for s in report["repairs"]] == ["repaired", "guessed"]  # the title line: every byte kept


def test_index_add_refuses_a_guessed_law_name(tmp_path):
    """A title line '교각관리법' in lossy mojibake had been read as the law 교감관리법, no warning."""
    path = tmp_path / "교각관리법.txt"
    path.write_text(_lossy("교각관리법\n\n제1조(목적) 이 법은 교각의 관리에 관하여 정한다.\n"), encoding="utf-8")
    report = ingest([path]).report
    refusal = report.uncertain_refusal()
    assert refusal and str(path) in refusal and "guessed from lost bytes" in refusal and "\n" not in refusal
    r = runner.invoke(app, ["index", "build", str(path), "--index", str(tmp_path / "idx"), "--model", "none"], env=ENV)
    assert r.exit_code == 1 and "--accept-uncertain-repairs" in str(r.exception)
    assert not (tmp_path / "idx").exists() or not any((tmp_path / "idx").glob("gen-*"))


# ---- finding 2: ingest → JSONL → index add -------------------------------------------------------------------------
def test_ingest_leaves_a_file_with_uncertain_repairs_out_of_the_jsonl(tmp_path, fixtures_dir):
    lossy = tmp_path / "시설안전특례법.txt"
    lossy.write_text(_lossy(BRIDGE), encoding="utf-8")
    clean = fixtures_dir / "ingest" / "markdown" / "민법" / "법률.md"
    out = tmp_path / "g.jsonl"
    r = runner.invoke(app, ["ingest", str(lossy), str(clean), "--out", str(out)], env=ENV)
    assert r.exit_code == 3, r.output  # it had been 0
    assert f"left out: {lossy}: 1 uncertain mojibake repair(s)" in r.output and "--accept-uncertain-repairs" in r.output
    laws = {a.law for a in read_articles(out)}
    assert laws == {"민법"}  # the clean law written, the guessed one not
    assert f"wrote {sum(1 for _ in read_articles(out))} articles" in r.output
    r = runner.invoke(app, ["ingest", str(lossy), str(clean), "--out", str(out), "--json"], env=ENV)
    summary = json.loads(r.stdout)
    assert summary["exit"] == 3 and summary["uncertain_files_left_out"] == [str(lossy)]
    # accepted, it is written (the user has read the warnings); index add's spelling of the flag works too
    for flag in ("--accept-uncertain", "--accept-uncertain-repairs"):
        out.unlink()
        r = runner.invoke(app, ["ingest", str(lossy), str(clean), "--out", str(out), flag], env=ENV)
        assert r.exit_code == 0 and {a.law for a in read_articles(out)} == {"민법", "시설안전특례법"}


def test_ingest_of_clean_files_is_unchanged(tmp_path, fixtures_dir):
    out = tmp_path / "a.jsonl"
    r = runner.invoke(app, ["ingest", str(fixtures_dir / "ingest" / "markdown"), "--out", str(out), "--json"], env=ENV)
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["uncertain_files_left_out"] == [] and "exit" not in summary
    assert summary["written"] == summary["articles"] > 0 and "left out" not in r.stderr


def test_a_lone_uncertain_file_writes_nothing_in_one_line(tmp_path):
    lossy = tmp_path / "시설안전특례법.txt"
    lossy.write_text(_lossy(BRIDGE), encoding="utf-8")
    out = tmp_path / "g.jsonl"
    r = runner.invoke(app, ["ingest", str(lossy), "--out", str(out)], env=ENV)
    assert r.exit_code == 1 and not out.exists()
    message = str(r.exception)
    assert "\n" not in message and message.startswith(f"{lossy}: 1 uncertain mojibake repair(s)")
    assert "'감' at 0.98 (or '각'" in message and f"nothing written to {out}" in message


def test_a_leftover_of_an_unrebuildable_character_reads_as_mojibake():
    """What ingest leaves of a compatibility hanja that lost a byte ('ï§' of 留, 3 bytes) beside Korean text: it passed
    an articles JSONL's check as clean text."""
    assert looks_like_mojibake("임차인은 계약갱신요구권을 유보(ï§保)하고")
    for clean in ("café에서 Müller와", "naïve ±2 °C", "섭씨 20°C 이하", "유보(留保)"):
        assert not looks_like_mojibake(clean), clean


def test_an_accepted_jsonl_with_leftovers_is_refused_by_index_add(tmp_path, shared_data, fixtures_dir):
    """The tester's second case: 상가건물 임대차보호법 in lossy mojibake, through ingest, left '유보(ï§保)' in the
    JSONL, and `index add` of it changed 제5조 to that text, exit 0."""
    law = tmp_path / "moj" / "상가건물임대차보호법" / "법률.md"
    law.parent.mkdir(parents=True)
    law.write_text(_lossy_markdown(_mirror_law(shared_data, "상가건물임대차보호법")), encoding="utf-8")
    out = tmp_path / "m.jsonl"
    r = runner.invoke(app, ["ingest", str(law), "--out", str(out), "--accept-uncertain-repairs"], env=ENV)
    assert r.exit_code == 0, r.output
    articles = list(read_articles(out))
    assert any("ï§" in a.body_text() for a in articles)  # the one character no repair can know
    problems = doubtful_text(str(out), articles)
    assert problems and "reads as mojibake" in str(problems[0])
    index = tmp_path / "idx"
    r = runner.invoke(app, ["index", "build", str(fixtures_dir / "ingest" / "markdown"), "--index", str(index),
                            "--model", "none"], env=ENV)
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["index", "add", str(out), "--index", str(index), "--model", "none",
                            "--no-reread-decisions"], env=ENV)
    assert r.exit_code == 1 and "reads as mojibake" in str(r.exception) and "--accept-uncertain-repairs" in str(r.exception)


# ---- finding 5: a law.go.kr text field that is null or a number -----------------------------------------------------
def _lawgo_with(shared_data: Path, tmp_path: Path, number: str, change) -> Path:
    """010910 (채권의 공정한 추심에 관한 법률) from the shared law.go.kr JSON, with article ``number`` changed."""
    data = json.loads((shared_data / "statutes" / "lawgo-json" / "010910.json").read_text(encoding="utf-8"))
    unit = next(u for u in data["법령"]["조문"]["조문단위"] if u.get("조문번호") == number and u.get("조문여부") == "조문")
    change(unit)
    path = tmp_path / "010910.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


@pytest.mark.parametrize("number, change, expected", [
    ("3", lambda u: u["항"][0].update({"항내용": None}), "제3조 ①: 항내용 is null (its text is missing)"),
    ("4", lambda u: u.update({"조문내용": 12345}), "제4조: 조문내용 is 12345 (a number), not text"),
])
def test_a_null_or_numeric_lawgo_text_is_a_warning_naming_the_field(shared_data, tmp_path, number, change, expected):
    """`항내용: null` had been read as no text (paragraph ① indexed as '①' alone), `조문내용: 12345` as the text
    '12345' — no warning either. Now each is a malformed article, named as an unreadable 조문번호 is: the rest of the
    law is read, `index add` keeps the article as it was, `--strict` fails."""
    path = _lawgo_with(shared_data, tmp_path, number, change)
    result = ingest([path])
    keys = {a.key for a in result.articles}
    assert f"채권의 공정한 추심에 관한 법률 제{number}조" not in keys and len(keys) >= 20
    [warning] = [w for w in result.report.warnings if "malformed" in w.reason]
    assert warning.path == str(path) and warning.line is not None and f"조문키 000{number}001" in warning.field
    assert warning.reason == f"skipped a malformed article: {expected}"
    assert result.report.dropped == {"채권의 공정한 추심에 관한 법률": 1}
    out = tmp_path / "a.jsonl"
    r = runner.invoke(app, ["ingest", str(path), "--out", str(out), "--warnings"], env=ENV)
    assert r.exit_code == 0 and f"warning {path}:{warning.line}: " in r.output and expected in r.output
    assert runner.invoke(app, ["ingest", str(path), "--out", str(out), "--strict"], env=ENV).exit_code == 2


def test_a_paragraph_without_text_field_still_reads(shared_data, tmp_path):
    """Absent (a 항 holding only 호 has no 항내용) is not null: such a law reads as before, no warning."""
    def only_items(unit):
        del unit["항"][0]["항내용"]
    path = _lawgo_with(shared_data, tmp_path, "3", only_items)
    result = ingest([path])
    assert "채권의 공정한 추심에 관한 법률 제3조" in {a.key for a in result.articles} and not result.report.warnings


# ---- finding 6: fix-text repairs what ingest repairs ---------------------------------------------------------------
def test_fix_text_repairs_a_paragraph_with_hanja_and_leaves_only_the_lost_character(shared_data, tmp_path):
    """주택임대차보호법 in lossy mojibake: fix-text left two whole paragraphs (제3조의2 ⑥, 제6조 ①) in mojibake because
    a compatibility hanja (留, 更) lost a byte and the rest held hanja and ⑥ — read as an 'invented' guess — while
    ingest repaired them. Now the output differs from the clean text in those two characters only, still marked."""
    clean = _mirror_law(shared_data, "주택임대차보호법")
    path = tmp_path / "jutaek_lossy.md"
    path.write_text(_lossy_markdown(clean), encoding="utf-8")
    r = runner.invoke(app, ["fix-text", str(path)], env=ENV)
    assert r.exit_code == 0
    assert ", 0 unrepaired" in r.stderr.splitlines()[0], r.stderr.splitlines()[0]
    assert "â‘" not in r.stdout and "유보(ï§保)" in r.stdout and "갱신거절(ï¤新拒絶)" in r.stdout
    import difflib

    changes = [(clean[i1:i2], r.stdout[j1:j2]) for op, i1, i2, j1, j2
               in difflib.SequenceMatcher(None, clean, r.stdout, autojunk=False).get_opcodes() if op != "equal"]
    assert [kept for _, kept in changes] == ["ï§", "ï¤"] and all(len(lost) == 1 for lost, _ in changes), changes


def test_fix_text_still_leaves_cp949_bytes_it_cannot_read():
    """The guard the change above narrows: CP949 bytes read as UTF-8's (hanja and little Hangul) stay unrepaired."""
    from legalret.ingest.mojibake import MojibakeRepairer

    broken = "°üÇÏ¿© ¡¸¹Î¹ý¡¹"  # '관하여 「민법」' in CP949, read as Latin-1
    result = MojibakeRepairer(keep_undecoded=True).repair(broken)
    assert result.text == broken


# ---- finding 7: zip member names without the UTF-8 flag ------------------------------------------------------------
def _zip_with_raw_name(path: Path, name: bytes, data: bytes) -> None:
    """A zip whose one member's name is ``name`` as bytes, the UTF-8 flag unset (Info-ZIP on Linux writes UTF-8 so,
    Korean Windows tools CP949): written under an ASCII name of the same length, whose bytes are then replaced."""
    placeholder = "a" * (len(name) - 4) + ".txt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(placeholder, data)
    raw = path.read_bytes()
    assert raw.count(placeholder.encode()) == 2  # the local header and the central directory
    path.write_bytes(raw.replace(placeholder.encode(), name))


@pytest.mark.parametrize("encoding", ["utf-8", "cp949"])
def test_a_zip_member_name_without_the_utf8_flag_is_read_as_written(tmp_path, encoding):
    text = ("주택임대차보호법\n\n제1조(목적) 이 법은 주거용 건물의 임대차(賃貸借)에 관하여 「민법」에 대한 특례를 규정함으로써 "
            "국민 주거생활의 안정을 보장함을 목적으로 한다.\n").replace("주택임대차보호법\n\n", "")  # named by its file only
    archive = tmp_path / "t2.zip"
    _zip_with_raw_name(archive, "주택임대차보호법.txt".encode(encoding), text.encode("utf-8"))
    with zipfile.ZipFile(archive) as z:
        assert not z.infolist()[0].flag_bits & 0x800 and z.namelist() != ["주택임대차보호법.txt"]  # CP437 to Python
    result = ingest([archive])
    assert not result.report.errors, result.report.errors  # it was "article headings but no law name"
    assert [a.key for a in result.articles] == ["주택임대차보호법 제1조"]
    assert result.articles[0].source == f"{archive}!주택임대차보호법.txt"


# ---- finding 8: UTF-8 with a few bad bytes -------------------------------------------------------------------------
def test_utf8_with_a_few_bad_bytes_is_said_to_be_damaged_not_another_encoding(shared_data, tmp_path):
    clean = _mirror_law(shared_data, "주택임대차보호법").encode("utf-8")
    at = clean.index("##### 제3조".encode())
    path = tmp_path / "주택임대차보호법_broken.md"
    path.write_bytes(clean[:at] + b"\xff\xfe\x80" + clean[at:])
    out = tmp_path / "a.jsonl"
    r = runner.invoke(app, ["ingest", str(path), "--out", str(out)], env=ENV)
    line = clean[:at].count(b"\n") + 1
    assert f"error {path}:{line}: encoding: UTF-8 text with 3 invalid byte(s) (first 0xff; at offset {at}" in r.output
    assert "save it as UTF-8" not in r.output and "damaged, not in another encoding" in r.output
    r = runner.invoke(app, ["fix-text", str(path)], env=ENV)
    assert r.exit_code == 1 and "UTF-8 text with 3 invalid byte(s)" in str(r.exception)
    # a legacy encoding and binary data are still what they were
    from legalret.errors import SourceError
    from legalret.ingest.sources import decode

    with pytest.raises(SourceError, match="save it as UTF-8"):
        decode(bytes(range(256)) * 8, "x.txt")
    assert decode(clean.decode("utf-8").encode("cp949"), "x.md", []) == clean.decode("utf-8")


# ---- finding 9: a file that lost characters names that first -------------------------------------------------------
def test_lost_characters_are_the_first_words_of_the_error(tmp_path):
    text = ("주택임대차보호법\n\n제1조(목적) 이 법은 주거용 건물의 임대차에 관하여 「민법」에 대한 특례를 규정한다.\n\n"
            "제2조(적용 범위) 이 법은 주거용 건물의 전부 또는 일부의 임대차에 관하여 적용한다.\n")
    path = tmp_path / "주택임대차보호법_cp949_fffd.txt"
    path.write_text(text.encode("utf-8").decode("cp949", errors="replace"), encoding="utf-8")
    report = ingest([path]).report
    [error] = report.errors
    assert error.field == "encoding" and "character(s) lost before the file was saved (U+FFFD" in error.reason
    assert error.reason.index("lost before") < error.reason.index("no articles")
    assert report.uncertain == []  # said once, in the error (it had been an error and a separate warning)


# ---- finding 10: a doubtful repair in law.go.kr JSON names its field -----------------------------------------------
def test_a_doubtful_repair_in_one_line_json_names_its_field(shared_data, tmp_path):
    """010910 in lossy mojibake on one line: the uncertain '잁' is in 개정문내용 (not indexed); the refusal said
    "1 uncertain mojibake repair(s) …" with no line or field."""
    data = json.loads((shared_data / "statutes" / "lawgo-json" / "010910.json").read_text(encoding="utf-8"))
    path = tmp_path / "moj.json"
    path.write_text(_lossy(json.dumps(data, ensure_ascii=False)), encoding="utf-8")
    report = ingest([path]).report
    low = [w for w in report.uncertain if "low-confidence" in w.reason]
    assert low and all(" in 개정문내용: " in w.reason for w in low), [str(w) for w in low]
    assert " in 개정문내용: " in report.uncertain_refusal()


def test_json_field_names_an_articles_key(tmp_path):
    from legalret.ingest.sources import _json_field

    text = '{"조문단위": [{"조문키": "0003001", "조문번호": "3", "항": [{"항번호": "①", "항내용": "① 국가는 …"}]}]}'
    assert _json_field(text, text.index("국가")) == " in 항내용 (조문키 0003001)"
    assert _json_field(text, 0) == ""
