"""Integration over the real shared data (slow): the whole legalize-kr mirror, and 민법/상법 markdown
keys against the law.go.kr JSON.

Numbers (2026-04 mirror):

* The data README counts raw ``#####`` headings: 법률 86,234, 시행령 55,026. 78 files still contain an
  unresolved git merge conflict; the headings inside the side we discard (the older promulgation)
  are not articles, so after resolution the files hold 86,001 + 54,719 headings. Two of them (민법
  ``제1항 협의상 파양`` / ``제2항 재판상 파양``) are sub-관 chapter headings the mirror rendered as
  untitled ``##### 제898조`` / ``##### 제905조``.
* 15 laws sit in two folders (the old name and the new name of a renamed law, same text): one copy
  is kept, so 3,195 laws.
"""

from __future__ import annotations

import json
import re
import time
import zipfile
from collections import Counter

import pytest

from legalret.ingest import ingest, iter_documents
from legalret.ingest.markdown import resolve_merge_conflicts
from legalret.text import int_to_circled, normalize

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mirror(shared_data):
    return shared_data / "statutes" / "legalize-kr.zip"


@pytest.fixture(scope="module")
def whole_mirror(mirror):
    """Every document of the zip (before de-duplication) and the report — read once for this module."""
    from legalret.ingest.sources import IngestReport

    report = IngestReport()
    start = time.perf_counter()
    docs = list(iter_documents([mirror], report=report))
    seconds = time.perf_counter() - start
    return docs, report, seconds


def _heading_counts(mirror) -> tuple[Counter, Counter, int]:
    """Raw '#####' headings per kind (what the README counts) and the headings on the kept side of
    every merge conflict (before '## 부칙'); and how many files had a conflict. Counted on bytes
    (independently of the parser) except in the conflict files."""
    raw, kept, conflicts = Counter(), Counter(), 0
    with zipfile.ZipFile(mirror) as z:
        for info in z.infolist():
            if info.is_dir():
                continue
            kind = info.filename.rsplit("/", 1)[-1][:-3]
            data = b"\n" + z.read(info)
            raw[kind] += data.count(b"\n##### ")
            if b"\n<<<<<<< " not in data:
                end = data.find("\n## 부칙".encode())
                kept[kind] += data.count(b"\n##### ", 0, end if end >= 0 else len(data))
                continue
            conflicts += 1
            numbered, _ = resolve_merge_conflicts(data[1:].decode("utf-8").split("\n"))
            for _, line in numbered:
                if line.startswith("## 부칙"):
                    break
                kept[kind] += line.startswith("##### ")
    return raw, kept, conflicts


def test_whole_mirror_ingests_without_errors(whole_mirror, mirror):
    docs, report, seconds = whole_mirror
    raw, kept, conflicts = _heading_counts(mirror)
    parsed = Counter()
    for doc in docs:
        parsed[doc.kind] += len(doc.articles)
    print(f"\nlegalize-kr.zip: {report.files} files, {len(docs)} documents, {sum(parsed.values())} articles "
          f"in {seconds:.1f}s; raw headings {dict(raw)}, after conflict resolution {dict(kept)}, parsed {dict(parsed)}; "
          f"{conflicts} files with merge conflicts")
    assert report.errors == []
    assert report.files == len(docs) == 3210
    assert Counter(d.kind for d in docs) == {"법률": 1735, "시행령": 1475}
    assert raw == {"법률": 86234, "시행령": 55026}  # the README's numbers
    assert conflicts == 78
    assert kept == {"법률": 86001, "시행령": 54719}
    # every kept heading is an article, except the two 민법 sub-관 headings and 150 bare headings (no title, no text:
    # '##### 제2조' between 제2조 and 제3조 of 주택임대차보호법 시행령), each left out with a warning
    assert parsed == {"법률": 86001 - 2 - 56, "시행령": 54719 - 94}
    assert Counter(w.field for w in report.warnings) == {"merge-conflict": 78, "article": 150}
    assert all("has no title and no text; left out" in str(w) for w in report.warnings if w.field == "article")
    assert all(a.key and a.law and a.source.startswith(str(mirror) + "!") and a.line for d in docs for a in d.articles)
    # keys are unique within every law
    for doc in docs:
        keys = [a.key for a in doc.articles]
        assert len(keys) == len(set(keys)), doc.source


def test_renamed_laws_are_kept_once(mirror, whole_mirror):
    docs, _, _ = whole_mirror
    by_law = Counter((d.law, d.kind) for d in docs)
    doubled = {k for k, n in by_law.items() if n > 1}
    assert len(doubled) == 15 and ("공간정보의 구축 및 관리 등에 관한 법률", "법률") in doubled


def _keys(articles, law):
    return {a.key: a for a in articles if a.law == law and a.kind == "법률"}


@pytest.fixture(scope="module")
def civil_commercial(mirror, shared_data):
    md = ingest([mirror], laws=["민법", "상법"], kinds=["법률"])
    js = ingest([shared_data / "statutes" / "lawgo-json" / "001706.json",
                 shared_data / "statutes" / "lawgo-json" / "001702.json"])
    assert md.report.errors == [] and js.report.errors == []
    return md.articles, js.articles


def test_civil_code_keys_match_lawgo_json(civil_commercial):
    md_articles, js_articles = civil_commercial
    md, js = _keys(md_articles, "민법"), _keys(js_articles, "민법")
    print(f"\n민법: markdown {len(md)} keys ({sum(a.branch > 0 for a in md.values())} branch, "
          f"{sum(a.deleted for a in md.values())} deleted); JSON {len(js)} keys "
          f"({sum(a.branch > 0 for a in js.values())} branch, {sum(a.deleted for a in js.values())} deleted)")
    assert len(js) == 1192 and sum(a.branch > 0 for a in js.values()) == 74
    assert set(js) - set(md) == set()
    # The JSON is the 시행 2025-01-31 text; the markdown is the 2026-03-17 version. 제1004조의2
    # (상속권 상실 선고) was inserted by 법률 제20432호 (2024-09-20) in force from 2026-01-01 — the JSON
    # itself lists it in 조문시행일자문자열 ('20260101:제1004조의2') but not yet among its articles.
    assert set(md) - set(js) == {"민법 제1004조의2"}
    assert md["민법 제1004조의2"].title == "상속권 상실 선고"
    _same_titles_and_deletions(md, js, retitled={})
    # Text: identical (up to whitespace/middle dots) and identically structured (항/호/목 numbers) for
    # all but the six articles the 2026-03-17 inheritance amendment rewrote.
    _same_text_except(md, js, {"민법 제974조", "민법 제1001조", "민법 제1003조", "민법 제1008조", "민법 제1010조",
                               "민법 제1115조"})


def test_commercial_code_keys_match_lawgo_json(civil_commercial):
    md_articles, js_articles = civil_commercial
    md, js = _keys(md_articles, "상법"), _keys(js_articles, "상법")
    print(f"\n상법: markdown {len(md)} keys ({sum(a.branch > 0 for a in md.values())} branch); "
          f"JSON {len(js)} keys ({sum(a.branch > 0 for a in js.values())} branch)")
    assert len(js) == 1182 and sum(a.branch > 0 for a in js.values()) == 247
    assert set(js) - set(md) == set()
    # The JSON is the 2025-07-22 text; the markdown is the 2026-03-06 version, whose amendments
    # (자기주식 소각의무, 합병·분할 시 자기주식 신주배정 금지, 전자주주총회, 신탁계약에 의한 자기주식 취득)
    # added these six articles …
    assert set(md) - set(js) == {"상법 제341조의4", "상법 제529조의2", "상법 제530조의13",
                                 "상법 제542조의14", "상법 제542조의15", "상법 제542조의16"}
    # … and retitled four others (사외이사 → 독립이사; 소집지 → 소집지와 개최방식 for electronic meetings …)
    _same_titles_and_deletions(md, js, retitled={
        "상법 제341조의3": ("자기주식의 권리제한 등", "자기주식의 질취"),
        "상법 제364조": ("소집지와 개최방식", "소집지"),
        "상법 제368조": ("총회의 결의방법과 의결권 행사", "총회의 결의방법과 의결권의 행사"),
        "상법 제542조의8": ("독립이사의 선임", "사외이사의 선임"),
    })
    # Text: the same but for twelve articles amended in 2025-07-22 (in force later), 2025-09-09 and 2026-03-06.
    _same_text_except(md, js, {"상법 제341조의3", "상법 제342조", "상법 제343조", "상법 제364조", "상법 제368조",
                               "상법 제400조", "상법 제542조의4", "상법 제542조의7", "상법 제542조의8", "상법 제542조의11",
                               "상법 제542조의12", "상법 제635조"})


def _same_text_except(md, js, amended):
    def flat(a):
        return re.sub(r"\s+", "", normalize(a.body_text()))

    def shape(a):
        return [(p.number, [(i.number, [s.number for s in i.subitems]) for i in p.items]) for p in a.paragraphs]

    assert {k for k in js if flat(md[k]) != flat(js[k])} == amended
    # 항/호/목 numbering agrees wherever the text does — incl. the 호 branches ('5의2') the mirror drops
    assert {k for k in js if shape(md[k]) != shape(js[k])} <= amended
    print(f"  text identical for {len(js) - len(amended)} of {len(js)} shared articles; amended: {len(amended)}")


def _same_titles_and_deletions(md, js, retitled):
    differing = {k: (md[k].title, js[k].title) for k in js if md[k].title != js[k].title}
    assert differing == retitled
    assert {k for k in js if md[k].deleted != js[k].deleted} == set()


def test_lawgo_json_files_all_parse(shared_data):
    files = sorted((shared_data / "statutes" / "lawgo-json").glob("*.json"))
    result = ingest(files)
    assert result.report.errors == [] and result.report.files == len(files) == 49
    kinds = Counter(a.kind for a in result.articles)
    assert set(kinds) == {"법률", "시행령", "시행규칙"}
    # 항 comes as dicts and as lists in these files; both shapes yielded numbered paragraphs
    raw = json.loads((shared_data / "statutes" / "lawgo-json" / "001706.json").read_text(encoding="utf-8"))
    shapes = Counter(type(u.get("항")).__name__ for u in raw["법령"]["조문"]["조문단위"])
    assert shapes["list"] and shapes["dict"]
    print(f"\nlawgo-json: {len(files)} files, {len(result.articles)} articles, kinds {dict(kinds)}, "
          f"{len(result.report.warnings)} warnings")


def _as_plain_text(law, articles, wrap_before_references=False):
    """A law as a plain-text dump ('제N조(제목) 본문', 항/호/목 lines, 편/장 lines); optionally with a line break
    before every article reference inside the text — the wrapped lines the plain-text parser must not read as
    headings."""
    lines, chapter = [law], []

    def split(text):
        parts = text.split("\n")
        return [p for part in parts for p in re.split(r"(?<=\S) (?=제\d+조)", part)] if wrap_before_references else parts

    for a in articles:
        if a.chapter != chapter:
            shared = next((i for i, (x, y) in enumerate(zip(a.chapter, chapter)) if x != y), min(len(a.chapter), len(chapter)))
            lines += a.chapter[shared:]
            chapter = a.chapter
        body = []
        for p in a.paragraphs:
            mark = int_to_circled(p.number) + " " if p.number else ""
            body += split(mark + p.text) if (p.text or mark) else []
            for i in p.items:
                body += ["  " + x for x in split(f"{i.number}. {i.text}")]
                for s in i.subitems:
                    body += ["    " + x for x in split(f"{s.number}. {s.text}")]
        head = f"제{a.number}조" + (f"의{a.branch}" if a.branch else "") + (f"({a.title})" if a.title else "")
        lines += [f"{head} {body[0].strip()}" if body else head] + body[1:]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("law", ["상법", "형법", "민사소송법", "형사소송법", "근로기준법", "근로기준법 시행령"])
def test_plain_text_dumps_of_real_laws_parse_like_the_markdown(mirror, law):
    """The plain-text parser on real statute text: the mirror's articles written out as a dump give the same keys,
    titles and texts — also when every in-text reference ('… 및\\n제13조 중 …') starts a wrapped line."""
    from legalret.ingest.plaintext import parse_plaintext

    articles = [a for a in ingest([mirror], laws=[law]).articles if a.law == law]
    assert len(articles) > 50

    def flat(a):
        return a.key, a.title, " ".join(a.body_text().split()), a.deleted

    for wrap in (False, True):
        [doc] = parse_plaintext(_as_plain_text(law, articles, wrap), f"{law}.txt")
        assert [flat(a) for a in doc.articles] == [flat(a) for a in articles], (law, wrap)
        assert all(w.field == "article" and "read as text continuing" in w.reason for w in doc.warnings)
