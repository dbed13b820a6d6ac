"""ingest(): files, folders, globs, zip archives in place, format detection, errors that never abort a
batch, filters, duplicate laws, mojibake repair counting."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from legalret.errors import SourceError
from legalret.ingest import detect_format, ingest, iter_sources
from legalret.ingest.sources import decode

ALL_FORMATS = ["markdown", "lawgo", "plaintext"]


@pytest.fixture()
def ingest_dir(fixtures_dir) -> Path:
    return fixtures_dir / "ingest"


@pytest.fixture()
def mirror_zip(tmp_path, ingest_dir) -> Path:
    """A zip laid out like the real mirror (legalize-kr/<법령명>/<kind>.md) plus a README."""
    path = tmp_path / "mirror.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for md in sorted((ingest_dir / "markdown").rglob("*.md")):
            z.write(md, f"legalize-kr/{md.parent.name}/{md.name}")
        z.writestr("legalize-kr/README.md", "# legalize-kr\n\nnot a statute\n")
        z.writestr("legalize-kr/.git/HEAD", "ref: refs/heads/main\n")
    return path


def test_all_four_formats_in_one_batch(ingest_dir):
    result = ingest([ingest_dir / d for d in ALL_FORMATS])
    report = result.report
    assert report.errors == []
    assert dict(report.formats) == {"markdown": 2, "lawgo-json": 1, "lawgo-xml": 1, "plaintext": 2}
    keys = {a.key for a in result.articles}
    assert {"민법 제14조의3", "상법 시행령 제2조의2", "테스트 보호법 제2조의2", "상법 제651조의2",
            "채무자 회생 및 파산에 관한 법률 제382조"} <= keys
    # JSON and XML hold the same law, and pairs_dump.txt has 민법 too: one document per law survives
    # (the dated markdown over the undated text), the others are reported duplicates
    assert report.duplicates == 2 and [w.field for w in report.warnings] == ["duplicate-law"] * 2
    assert {a.source.rsplit("/", 1)[-1] for a in result.articles if a.law == "민법"} == {"법률.md"}
    assert report.articles == len(result.articles) == len(keys)
    assert report.deleted == sum(a.deleted for a in result.articles) == 4
    assert report.files == 6 and report.laws == 5



def test_a_file_no_reader_takes_is_a_warning_not_silence(tmp_path, ingest_dir, mirror_zip):
    """A folder (or archive) with a 한글 .hwp or a .pdf beside the statutes: those files were passed over without a
    word — a user who exported the law as .hwp saw a smaller index and no reason. Each is a warning now; the
    README / LICENSE kind and hidden files stay silent."""
    folder = tmp_path / "laws"
    shutil.copytree(ingest_dir / "markdown", folder)
    (folder / "주택임대차보호법.hwp").write_bytes(b"HWP Document File")
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    (folder / "LICENSE").write_text("MIT\n")
    result = ingest([folder])
    unread = [w for w in result.report.warnings if w.field == "unread-file"]
    assert sorted(Path(w.path).name for w in unread) == ["notes.pdf", "주택임대차보호법.hwp"]
    assert "no reader for .hwp files (statutes are read from .json, .markdown, .md, .text, .txt, .xml)" in str(unread[1])
    assert result.report.errors == [] and result.articles  # the statutes beside them are read as before
    with zipfile.ZipFile(mirror_zip, "a") as z:
        z.writestr("legalize-kr/민법/법률.hwp", b"HWP")
    zipped = [w for w in ingest([mirror_zip]).report.warnings if w.field == "unread-file"]
    assert [w.path for w in zipped] == [f"{mirror_zip}!legalize-kr/민법/법률.hwp"]  # README, .git: silent

def test_law_names_catalog(ingest_dir):
    names = ingest([ingest_dir / "plaintext"]).law_names()
    assert names.resolve("채무자회생및파산에관한법률") == "채무자 회생 및 파산에 관한 법률"
    assert names.resolve("구 상법") == "상법" and names.resolve("형법") is None


def test_zip_read_in_place_with_member_paths(mirror_zip):
    result = ingest([mirror_zip])
    assert result.report.errors == [] and result.report.files == 2  # README and .git skipped
    art = next(a for a in result.articles if a.key == "민법 제2조")
    assert art.source == f"{mirror_zip}!legalize-kr/민법/법률.md"
    assert art.line == 27


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_damaged_zip_member_is_skipped_and_named(ingest_dir, tmp_path, compression):
    """A member whose bytes fail their CRC (a damaged download) was a traceback that ended the whole ingest."""
    from conftest import corrupt_zip_member

    archive = tmp_path / "legalize-kr.zip"
    with zipfile.ZipFile(archive, "w", compression=compression) as zf:
        for md in sorted((ingest_dir / "markdown").rglob("*.md")):
            zf.write(md, f"legalize-kr/{md.parent.name}/{md.name}")
    corrupt_zip_member(archive, "legalize-kr/민법/법률.md")
    result = ingest([archive])
    (err,) = result.report.errors
    assert f"{archive}!legalize-kr/민법/법률.md: cannot read (" in str(err)
    assert {a.law for a in result.articles} == {"상법 시행령"}  # the other member, read


def test_glob_and_single_file(ingest_dir):
    result = ingest([str(ingest_dir / "lawgo" / "*.json"), ingest_dir / "plaintext" / "상법.txt"])
    assert result.report.files == 2 and result.report.errors == []
    assert {a.law for a in result.articles} == {"테스트 보호법", "상법"}


def test_bad_files_are_reported_not_fatal(ingest_dir, tmp_path):
    bad = ingest_dir / "bad"
    good = ingest_dir / "markdown"
    seen: list[SourceError] = []
    result = ingest([bad, good, tmp_path / "missing.md", str(tmp_path / "nothing-*.json")], on_error=seen.append)
    errors = {Path(e.path).name: e for e in result.report.errors}
    assert set(errors) == {"articles.txt", "bad_article_number.json", "empty.md", "malformed.json", "malformed.xml",
                           "no_front_matter.md", "not_utf8.md", "missing.md", "nothing-*.json"}
    assert seen == result.report.errors  # on_error saw each one as it happened
    assert errors["malformed.json"].line == 3 and errors["malformed.json"].field == "JSON"
    assert errors["malformed.xml"].line == 8
    assert errors["no_front_matter.md"].line == 1 and "front matter" in errors["no_front_matter.md"].reason
    assert errors["empty.md"].reason == "empty file"
    assert errors["not_utf8.md"].field == "encoding" and errors["not_utf8.md"].line == 8
    assert "조문번호" in errors["bad_article_number.json"].reason
    assert "no such file" in errors["missing.md"].reason and "matched no files" in errors["nothing-*.json"].reason
    # … and the good files were still read
    assert {a.law for a in result.articles} == {"민법", "상법 시행령"} and result.report.articles == 13


def test_an_articles_jsonl_is_named_for_what_it_is(ingest_dir, tmp_path):
    """`legalret ingest out.jsonl`: an articles JSONL (ingest's own output) is not a statute file — the error says
    so and where it is read, instead of a JSON parser's "Extra data" on its second line."""
    from legalret.articles import write_articles

    jsonl = tmp_path / "articles.jsonl"
    write_articles(jsonl, ingest([ingest_dir / "markdown"]).articles)
    result = ingest([jsonl, ingest_dir / "markdown"])
    assert [str(e) for e in result.report.errors] == [
        f"{jsonl}: an articles JSONL (what `legalret ingest --out` writes), not a statute file: "
        "`legalret index build/add` read it as it is"]
    assert result.report.articles == ingest([ingest_dir / "markdown"]).report.articles


def test_on_error_may_stop_the_batch(ingest_dir):
    def stop(err):
        raise err

    with pytest.raises(SourceError):
        ingest([ingest_dir / "bad"], on_error=stop)


def test_cp949_file_is_decoded_with_a_warning(ingest_dir):
    result = ingest([ingest_dir / "euckr"])
    assert result.report.errors == [] and [a.key for a in result.articles] == ["민사특별법 제1조", "민사특별법 제2조"]
    assert [w.field for w in result.report.warnings] == ["encoding"]


@pytest.mark.parametrize("wrong", ["latin-1", "cp1252"])
def test_cp949_read_as_latin_and_saved_as_utf8_is_decoded_back(ingest_dir, tmp_path, wrong):
    """'Á¦1Á¶' for '제1조' (an EUC-KR page read as Latin-1, then saved): it had been 'front matter has no 제목' and
    hundreds of unrepaired spans (with "mojibake repaired" said); each character is one byte again, read as CP949."""
    (source,) = (ingest_dir / "euckr").iterdir()
    korean = source.read_bytes().decode("cp949")
    path = tmp_path / source.name
    path.write_text(korean.encode("cp949").decode(wrong), encoding="utf-8")
    result, clean = ingest([path]), ingest([ingest_dir / "euckr"])
    assert [a.to_dict() | {"source": ""} for a in result.articles] == [
        a.to_dict() | {"source": ""} for a in clean.articles]
    (warning,) = result.report.warnings
    assert warning.field == "encoding" and "read as Latin-1" in str(warning)
    assert decode("Société Générale, München, °C, ½ — 평문".encode("utf-8"), "x.txt").startswith("Société")


def test_decode_rejects_binary():
    with pytest.raises(SourceError) as e:
        decode(b"ok\n\xff\xfe\x00\x01garbage", "x.md")
    assert e.value.line == 2 and "0xff" in e.value.reason


def test_a_cut_off_file_and_utf16_are_named_for_what_they_are():
    """UTF-8 cut inside its last character was "not UTF-8 text … save it as UTF-8"; it is said to be cut off. UTF-16
    with its byte-order mark (Windows' "Unicode" text) is decoded, with a warning, as CP949 is."""
    text = "민법\n##### 제1조 (법원)\n민사에 관하여"
    with pytest.raises(SourceError, match=r"f\.md:3: encoding: the file ends inside a character .* it looks cut off"):
        decode(text.encode("utf-8")[:-1], "f.md")
    for bom in ("utf-16", "utf-16-be"):
        data = (b"\xfe\xff" if bom == "utf-16-be" else b"") + text.encode(bom)
        warnings: list = []
        assert decode(data, "f.md", warnings) == text and "UTF-16" in str(warnings[0])


def test_a_short_law_name_filters_and_a_mistyped_one_gets_a_suggestion(tmp_path):
    """`ingest --law 근기법` read nothing (the search reads the short name in full; the filters did not), and `--law
    민볍` said only "3210 skipped by --law 민볍"."""
    civil = (Path(__file__).parent / "fixtures" / "ingest" / "markdown" / "민법" / "법률.md").read_text(encoding="utf-8")
    labour = tmp_path / "근로기준법" / "법률.md"
    labour.parent.mkdir()
    labour.write_text(civil.replace("제목: 민법", "제목: 근로기준법").replace("# 민법", "# 근로기준법"), encoding="utf-8")
    found = ingest([labour], laws=["근기법"])
    assert found.articles and {a.law for a in found.articles} == {"근로기준법"}
    missed = ingest([labour], laws=["근로기준볍"])
    assert not missed.articles and missed.report.filter_hint == " (did you mean 근로기준법?)"
    assert ingest([labour], laws=["형법"]).report.filter_hint == ""  # nothing near: no guess


def test_filters_by_law_and_kind(mirror_zip, ingest_dir):
    only_civil = ingest([mirror_zip], laws=["민 법"])  # any spacing
    assert {a.law for a in only_civil.articles} == {"민법"} and only_civil.report.skipped == 1
    decrees = ingest([mirror_zip, ingest_dir / "lawgo"], kinds=["대통령령"])  # = 시행령
    assert {(a.law, a.kind) for a in decrees.articles} == {("상법 시행령", "시행령")}
    nothing = ingest([mirror_zip], laws=["형법"])
    assert nothing.articles == [] and nothing.report.errors == [] and nothing.report.skipped == 2


def test_duplicate_law_keeps_the_newer_document(tmp_path, ingest_dir):
    src = (ingest_dir / "markdown" / "민법" / "법률.md").read_text(encoding="utf-8")
    (tmp_path / "구민법").mkdir()
    (tmp_path / "민법").mkdir()
    old = src.replace("공포일자: 2026-03-17", "공포일자: 2001-01-01").replace("권리는 남용하지 못한다.", "옛 문장.")
    (tmp_path / "구민법" / "법률.md").write_text(old, encoding="utf-8")
    (tmp_path / "민법" / "법률.md").write_text(src, encoding="utf-8")
    result = ingest([tmp_path])
    assert result.report.duplicates == 1 and result.report.laws == 1
    art = next(a for a in result.articles if a.key == "민법 제2조")
    assert art.paragraphs[1].text == "권리는 남용하지 못한다." and "/민법/" in art.source
    [warning] = result.report.warnings
    assert "구민법" in warning.path


def test_duplicate_law_same_date_prefers_the_folder_named_after_the_law(tmp_path, ingest_dir):
    src = ingest_dir / "markdown" / "민법" / "법률.md"
    for folder in ("가민법옛이름", "민법"):
        (tmp_path / folder).mkdir()
        shutil.copy(src, tmp_path / folder / "법률.md")
    result = ingest([tmp_path])
    assert {a.source for a in result.articles} == {str(tmp_path / "민법" / "법률.md")}


def test_two_undated_texts_of_a_law_are_neither_read(tmp_path):
    """Plain text has no 공포일자/시행일자: the first file given had won, so an amendment given after it was reverted
    with only a note. Now neither is read (an error naming both files); the other laws of the batch are."""
    law = "반려식물보호법\n\n제1조(목적) 이 법은 반려식물을 보호한다.\n제2조(물주기) 보호자는 {} 물을 주어야 한다.\n"
    (tmp_path / "v2").mkdir()
    (tmp_path / "반려식물보호법.txt").write_text(law.format("적절한"), encoding="utf-8")
    (tmp_path / "v2" / "반려식물보호법.txt").write_text(law.format("하루 두 번"), encoding="utf-8")
    (tmp_path / "거북이보호법.txt").write_text("거북이보호법\n\n제1조(목적) 이 법은 거북이를 보호한다.\n", encoding="utf-8")
    seen = []
    result = ingest([tmp_path / "반려식물보호법.txt", tmp_path / "v2" / "반려식물보호법.txt", tmp_path / "거북이보호법.txt"],
                    on_error=seen.append)
    assert [a.key for a in result.articles] == ["거북이보호법 제1조"]
    [error] = result.report.errors
    assert seen == [error] and error.field == "duplicate-law"
    assert "2 different texts of 반려식물보호법 (법률)" in error.reason and "none was read: give one of them" in error.reason
    assert str(tmp_path / "v2" / "반려식물보호법.txt") in error.reason
    # the same text twice is no question: read once, as before
    same = ingest([tmp_path / "반려식물보호법.txt", tmp_path / "반려식물보호법.txt"])
    assert [a.key for a in same.articles] == ["반려식물보호법 제1조", "반려식물보호법 제2조"] and same.report.errors == []


def test_detect_format_by_extension_then_content():
    assert detect_format("a/민법/법률.md", "") == "markdown"
    assert detect_format("x.json", "") == "lawgo-json"
    assert detect_format("x.xml", "") == "lawgo-xml"
    assert detect_format("x.txt", "---\n") == "plaintext"  # the extension decides first
    assert detect_format("dump", "\ufeff{\"법령\": {}}") == "lawgo-json"
    assert detect_format("dump", "<?xml version='1.0'?><법령/>") == "lawgo-xml"
    assert detect_format("dump", "---\n제목: 민법\n---") == "markdown"
    assert detect_format("dump", "제1조(목적) …") == "plaintext"


def test_iter_sources_expands_and_names_members(mirror_zip, ingest_dir):
    names = [s.name for s in iter_sources([mirror_zip, ingest_dir / "lawgo"])]
    assert names[:2] == [f"{mirror_zip}!legalize-kr/민법/법률.md", f"{mirror_zip}!legalize-kr/상법/시행령.md"]
    assert len(names) == 4
    with pytest.raises(SourceError, match="no such file"):
        list(iter_sources(["/nonexistent/path.md"]))


def test_corrupt_zip_is_an_error_not_a_crash(tmp_path, ingest_dir):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip")
    result = ingest([broken, ingest_dir / "plaintext"])
    assert [Path(e.path).name for e in result.report.errors] == ["broken.zip"]
    assert result.report.articles == 9
    # inside a folder, the files after the broken archive are still read
    shutil.copy(ingest_dir / "plaintext" / "상법.txt", tmp_path / "z_상법.txt")
    in_folder = ingest([tmp_path])
    assert [Path(e.path).name for e in in_folder.report.errors] == ["broken.zip"]
    assert {a.law for a in in_folder.articles} == {"상법"}


mojibake = pytest.importorskip("legalret.ingest.mojibake")


def test_mojibake_is_repaired_and_counted(tmp_path):
    clean = "상법\n제651조의2(서면에 의한 질문의 효력) 보험자가 서면으로 질문한 사항은 중요한 사항으로 추정한다.\n"
    # UTF-8 read as latin-1: every byte survived, so the repair is exact
    broken_line = "제638조(의의) 보험계약은 효력이 생긴다.".encode("utf-8").decode("latin-1")
    assert mojibake.looks_like_mojibake(broken_line)
    # (in article order: a number that goes backwards is a warning of its own)
    (tmp_path / "상법.txt").write_text("상법\n" + broken_line + "\n" + clean.split("\n", 1)[1], encoding="utf-8")
    result = ingest([tmp_path])
    assert result.report.errors == [] and result.report.warnings == []
    assert len(result.report.repairs) == 1 and result.report.repaired_files == {str(tmp_path / "상법.txt"): 1}
    art = next(a for a in result.articles if a.key == "상법 제638조")
    assert art.title == "의의" and art.paragraphs[0].text == "보험계약은 효력이 생긴다."
    unrepaired = ingest([tmp_path], repair=False)
    assert unrepaired.report.repairs == [] and "상법 제638조" not in {a.key for a in unrepaired.articles}


def test_lossy_mojibake_is_repaired_with_the_language_model(tmp_path):
    from legalret.config import REPO_ROOT

    if not (REPO_ROOT / "legalret" / "data" / "mojibake_lm.npz").exists():
        pytest.skip("mojibake language model not built (scripts/mojibake_build_model.py)")
    line = "제651조의2(서면에 의한 질문의 효력) 보험자가 서면으로 질문한 사항은 중요한 사항으로 추정한다."
    broken = line.encode("utf-8").decode("cp1252", errors="ignore")  # bytes 0x81 0x8D 0x8F 0x90 0x9D lost
    (tmp_path / "상법.txt").write_text("상법\n" + broken + "\n", encoding="utf-8")
    result = ingest([tmp_path])
    [art] = result.articles
    assert art.key == "상법 제651조의2" and art.title == "서면에 의한 질문의 효력"
    assert len(result.report.repairs) == 1 and result.report.repairs[0].method == "lossy-lm"


def test_mojibake_in_json_strings_is_repaired(tmp_path, ingest_dir):
    text = (ingest_dir / "lawgo" / "테스트법.json").read_text(encoding="utf-8")
    broken = "보호함을 목적으로".encode("utf-8").decode("latin-1")
    (tmp_path / "law.json").write_text(text.replace("보호함을 목적으로", broken), encoding="utf-8")
    result = ingest([tmp_path])
    assert len(result.report.repairs) == 1
    assert "보호함을 목적으로" in result.articles[0].paragraphs[0].text


@pytest.mark.parametrize("ext", ["json", "xml"])
def test_a_wholly_mis_encoded_lawgo_file_is_repaired_like_markdown(tmp_path, ingest_dir, ext):
    """A law.go.kr file saved after being read as latin-1 has its keys and tag names in mojibake too ('ë²•ë ¹'): it
    failed with "no '법령' object" / "malformed XML". The document is repaired first, as markdown and text are."""
    clean_path = ingest_dir / "lawgo" / f"테스트법.{ext}"
    broken = clean_path.read_text(encoding="utf-8").encode("utf-8").decode("latin-1")
    assert mojibake.looks_like_mojibake(broken)
    (tmp_path / f"law.{ext}").write_text(broken, encoding="utf-8")
    result = ingest([tmp_path / f"law.{ext}"])
    assert result.report.errors == [] and result.report.uncertain == []
    assert result.report.repairs and result.report.repaired_files == {str(tmp_path / f"law.{ext}"): len(result.report.repairs)}
    strip = lambda arts: [{k: v for k, v in a.to_dict().items() if k != "source"} for a in arts]  # noqa: E731
    assert strip(result.articles) == strip(ingest([clean_path]).articles)  # lines included: nothing moved
    unrepaired = ingest([tmp_path / f"law.{ext}"], repair=False)
    assert unrepaired.articles == [] and len(unrepaired.report.errors) == 1


def test_a_failing_repair_is_a_warning_not_a_crash(tmp_path, monkeypatch):
    import legalret.ingest.sources as sources

    def broken_repair(text):
        raise RuntimeError("model missing")

    monkeypatch.setattr(sources, "repair_mojibake", broken_repair)
    (tmp_path / "상법.txt").write_text("상법\n제1조(목적) 목적이다.\n", encoding="utf-8")
    result = ingest([tmp_path])
    assert [a.key for a in result.articles] == ["상법 제1조"]
    assert [w.field for w in result.report.warnings] == ["mojibake"] and "model missing" in result.report.warnings[0].reason


def test_clean_text_has_no_repairs(ingest_dir):
    result = ingest([ingest_dir / "markdown", ingest_dir / "lawgo"])
    assert result.report.repairs == []


def test_a_wrong_path_that_reads_nothing_raises_naming_it(tmp_path, monkeypatch, ingest_dir):
    """Issue 21 (8): the README's `ingest([...])` run from another folder returned 0 articles without a word."""
    from legalret.ingest.sources import MissingSourceError

    monkeypatch.chdir(tmp_path)
    with pytest.raises(MissingSourceError) as caught:
        ingest(["../shared/data/statutes/legalize-kr.zip"], laws=["민법"])
    message = str(caught.value)
    assert message.startswith("../shared/data/statutes/legalize-kr.zip: no such file or directory")
    assert f"looked in {tmp_path}" in message and "nothing was read" in message
    with pytest.raises(MissingSourceError, match=r"glob matched no files .*\(and 1 more missing sources\)"):
        ingest(["nothing-*.json", "missing.md"])
    # a missing source beside good ones stays one error among the results (the batch goes on)
    result = ingest([tmp_path / "missing.md", ingest_dir / "markdown"])
    assert result.articles and [e.reason for e in result.report.errors] == ["no such file or directory"]


def test_an_empty_law_filter_names_no_law():
    """`--law ''` had read the whole mirror, then said "3210 skipped by --law " (ingest, index build and add)."""
    import pytest

    from legalret.errors import LegalretError
    from legalret.ingest.sources import law_filter_names

    with pytest.raises(LegalretError, match=r"^--law '' names no law: give a law's name \(--law 민법\)"):
        law_filter_names(["민법", " "])
    assert law_filter_names(["民法", "근기법"]) == ["민법", "근로기준법"]
