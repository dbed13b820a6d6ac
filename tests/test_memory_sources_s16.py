"""A recorded archive copied again with the same bytes is still the archive that was read.

The shared ``precedent-kr.zip`` and ``precedent-facts.zip`` were copied again (same bytes, a new modification time)
and an ``index add`` refused to read them again: "changed since it was read". A file archive's record now keeps the
sha256 of its bytes, and one of the same size with another time is compared by content; another size is a change
(nothing read), the same size and time is the same archive (nothing read either), and a record from before the
fingerprint — or a folder's — behaves as it did.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

import legalret.memory.sources as sources
from legalret.memory.sources import DecisionSources, SourceRecord, fingerprint, records_of, reread_plan

DECISION = "# 대법원 2016. 5. 12. 선고 2016도1102 판결\n\n## 판시사항\n사기죄에서 기망행위의 의미\n"
FACTS = '{"사건번호": "2016도1102", "이유": "피고인은 차를 넘겨주겠다고 속였다."}\n'


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:  # (stored: the same text length is the same size)
        for name, text in members.items():
            zf.writestr(name, text)
    return path


def _later(path: Path, seconds: int = 3600) -> None:
    """The file's modification time moved (a copy of the same bytes), its bytes untouched."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 10**9))


def _same_size_other_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture()
def archives(tmp_path: Path) -> DecisionSources:
    decisions = _zip(tmp_path / "precedent-kr.zip", {"형사/2016도1102.md": DECISION, "민사/2017다4403.md": DECISION})
    facts = tmp_path / "facts.jsonl"
    facts.write_text(FACTS, encoding="utf-8")
    return DecisionSources((str(decisions),), (str(facts),))


def test_a_file_archive_records_the_sha256_of_its_bytes_and_a_folder_none(tmp_path, archives):
    records = records_of(archives, laws={"민법"})
    for r in records:
        assert r.fingerprint == "sha256:" + hashlib.sha256(Path(r.path).read_bytes()).hexdigest()
        assert r.stamp == {"bytes": Path(r.path).stat().st_size, "mtime_ns": Path(r.path).stat().st_mtime_ns}
    assert [r.kind for r in records] == ["precedents", "facts"]
    # a zip and a JSONL file are fingerprinted alike (their bytes), so two archives of other bytes differ
    assert records[0].fingerprint != records[1].fingerprint
    folder = tmp_path / "decisions"
    folder.mkdir()
    (folder / "2016도1102.md").write_text(DECISION, encoding="utf-8")
    assert fingerprint(folder) is None
    [record] = records_of(DecisionSources((str(folder),)), laws={"민법"})
    assert record.fingerprint is None and record.stamp["files"] == 1
    assert "fingerprint" not in record.to_dict()  # a folder's record is written as before


def test_a_record_round_trips_and_an_old_one_still_loads(archives):
    [decisions, facts] = records_of(archives, laws={"민법", "상법"})
    assert SourceRecord.from_dict(json.loads(json.dumps(decisions.to_dict()))) == decisions
    assert decisions.to_dict()["fingerprint"].startswith("sha256:")
    old = {"kind": "facts", "path": facts.path, "stamp": facts.stamp, "laws": ["민법"]}  # written before the field
    loaded = SourceRecord.from_dict(old)
    assert loaded.fingerprint is None and loaded.to_dict() == old and loaded.problem() is None


def test_an_archive_copied_again_with_the_same_bytes_is_read_again(archives):
    records = records_of(archives, laws={"민법"})
    for path in (*archives.precedents, *archives.facts):
        _later(Path(path))
    fresh = [SourceRecord.from_dict(r.to_dict()) for r in records]  # (as the manifest gives them)
    assert [r.problem() for r in fresh] == [None, None]
    plan = reread_plan(fresh, ["민법", "형법"])
    assert plan.ready and plan.laws == {"형법"}
    assert plan.precedents == [records[0].path] and plan.facts == [records[1].path] and plan.problems == []


@pytest.mark.parametrize("which", ["zip", "jsonl"])
def test_the_same_size_with_another_byte_is_a_change(archives, which):
    [decisions, facts] = records_of(archives, laws={"민법"})
    record = decisions if which == "zip" else facts
    path = Path(record.path)
    size = path.stat().st_size
    if which == "zip":  # a member's text changed, same length: the zip is the same size, its CRC-32 not
        _zip(path, {"형사/2016도1102.md": DECISION.replace("사기죄", "횡령죄"), "민사/2017다4403.md": DECISION})
    else:
        _same_size_other_byte(path, at=len(FACTS.encode()) - 5)
    _later(path)  # (a time that surely differs, even on a coarse clock)
    assert path.stat().st_size == size
    assert SourceRecord.from_dict(record.to_dict()).problem() == f"{path} changed since it was read"
    plan = reread_plan([SourceRecord.from_dict(r.to_dict()) for r in (decisions, facts)], ["민법", "형법"])
    assert not plan.ready and plan.problems == [f"{path} changed since it was read"]


def test_another_size_is_a_change_without_reading_the_content(archives, monkeypatch):
    [decisions, _] = records_of(archives, laws={"민법"})
    path = Path(decisions.path)
    _zip(path, {"형사/2016도1102.md": DECISION + "추가\n", "민사/2017다4403.md": DECISION})
    _later(path)
    monkeypatch.setattr(sources, "fingerprint", lambda p: pytest.fail(f"hashed {p}"))
    assert decisions.problem() == f"{path} changed since it was read"


def test_the_same_size_and_time_reads_nothing(archives, monkeypatch):
    records = records_of(archives, laws={"민법"})
    monkeypatch.setattr(sources, "fingerprint", lambda p: pytest.fail(f"hashed {p}"))
    assert [r.problem() for r in records] == [None, None]


def test_a_record_without_a_fingerprint_behaves_as_before(archives):
    """An older record: another time is a change, whatever the bytes (nothing to compare them with)."""
    records = records_of(archives, laws={"민법"})
    old = [SourceRecord(r.kind, r.path, r.stamp, r.laws) for r in records]
    assert [r.problem() for r in old] == [None, None]
    _later(Path(archives.precedents[0]))
    old = [SourceRecord(r.kind, r.path, r.stamp, r.laws) for r in records]
    assert old[0].problem() == f"{records[0].path} changed since it was read" and old[1].problem() is None
    assert reread_plan(old, ["민법", "형법"]).problems == [f"{records[0].path} changed since it was read"]


def test_a_folder_copied_again_is_still_a_change(tmp_path):
    """A folder keeps its stamp alone: telling the content of 72,000 files would read them all."""
    folder = tmp_path / "decisions"
    folder.mkdir()
    (folder / "2016도1102.md").write_text(DECISION, encoding="utf-8")
    [record] = records_of(DecisionSources((str(folder),)), laws={"민법"})
    _later(folder / "2016도1102.md")
    assert SourceRecord.from_dict(record.to_dict()).problem() == f"{record.path} changed since it was read"


def test_a_gone_archive_is_said(archives):
    [decisions, _] = records_of(archives, laws={"민법"})
    os.remove(decisions.path)
    assert decisions.problem() == f"{decisions.path} is no longer there"


def test_a_record_is_checked_once_and_again_when_it_changes(tmp_path, monkeypatch):
    """``index info`` asks each record and ``reread_plan`` asks again: one walk of a folder, not two."""
    folder = tmp_path / "decisions"
    folder.mkdir()
    (folder / "2016도1102.md").write_text(DECISION, encoding="utf-8")
    [record] = records_of(DecisionSources((str(folder),)), laws={"민법"})
    walks = []
    real = sources.stamp
    monkeypatch.setattr(sources, "stamp", lambda p: walks.append(p) or real(p))
    assert record.problem() is None
    assert reread_plan([record], ["민법", "형법"]).ready
    assert record.problem() is None and len(walks) == 1
    record.stamp = {**record.stamp, "files": 2}  # another record now: checked again
    assert record.problem() == f"{record.path} changed since it was read" and len(walks) == 2
    assert "_checked" not in record.to_dict() and record == SourceRecord.from_dict(record.to_dict())


def test_an_add_reads_again_the_zips_copied_with_the_same_bytes(tmp_path):
    """The user's case end to end: a 민법 index built from a zip of decisions and a zip of facts; both copied again
    (same bytes, new time); ``index add`` of 형법 reads them again for its decisions and records the new times."""
    from legalret import pipeline
    from legalret.index.store import read_manifest
    from legalret.ingest import ingest
    from legalret.precedents.facts import read_facts
    from legalret.precedents.parse import read_precedents

    multilaw = Path(__file__).parent / "fixtures" / "multilaw"
    decisions = tmp_path / "precedent-kr.zip"
    with zipfile.ZipFile(decisions, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted((multilaw / "precedents").rglob("*")):
            if f.is_file():
                zf.write(f, f.relative_to(multilaw / "precedents").as_posix())
    facts = _zip(tmp_path / "precedent-facts.zip", {"facts.jsonl": json.dumps(
        {"판례일련번호": "910002", "사건번호": "2016도1102", "선고일자": "2016-05-12", "법원등급": "대법원",
         "사건종류": "형사", "이유": "피고인은 중고차를 팔 생각이 없으면서도 차를 넘겨주겠다고 속여 돈을 받았다."},
        ensure_ascii=False) + "\n"})
    given = DecisionSources((str(decisions),), (str(facts),))
    index = tmp_path / "idx"
    pipeline.build(ingest([multilaw / "statutes"], laws=["민법"]).articles, index, model="none",
                   precedents=read_precedents(given.precedents), facts=read_facts(given.facts), decision_sources=given)
    recorded = read_manifest(index)["memory"]["sources"]
    assert all(d["fingerprint"].startswith("sha256:") for d in recorded)

    for path in (decisions, facts):  # copied again: the same bytes, a new time
        data = path.read_bytes()
        path.unlink()
        path.write_bytes(data)
        _later(path)
    report = pipeline.add(ingest([multilaw / "statutes"], laws=["형법"]), index)
    assert "reread_refused" not in report.memory and report.memory["reread"]["laws"] == ["형법"]
    assert report.memory["precedents_added"] == 3
    now = read_manifest(index)["memory"]["sources"]
    assert [d["fingerprint"] for d in now] == [d["fingerprint"] for d in recorded]
    assert [d["stamp"]["mtime_ns"] for d in now] == [p.stat().st_mtime_ns for p in (decisions, facts)]
