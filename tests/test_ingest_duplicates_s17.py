"""A pasted duplicate article is not an invented 제N조의2 (s17).

The legalize-kr mirror loses branch numbers, so the markdown parser reads the k-th repeat of ``##### 제N조`` as
제N조의(k+1). A user amending the mirror's 민법 by hand left the old ``제751조`` block in place, pasted the amended one
below it and added a ``제750조의2`` of their own: ``legalret ingest --warnings`` said ``warnings 0`` and ``index add``
filed the new text as 민법 제751조의2, an article that does not exist. A repeat with the same title and nearly the
same text is now a duplicate in a file that writes its branch headings out (kept once, like any duplicate article:
the first), and a warning (file, both lines, article) in a mirror-style file, whose repeats stay branches — the
mirror's real branches keep their reading (123 of them share their article's title, none is that alike).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from legalret.cli import app
from legalret.ingest.markdown import parse_markdown
from legalret.search.searcher import Searcher

FIXTURES = Path(__file__).parent / "fixtures"
CIVIL_MD = FIXTURES / "ingest" / "markdown" / "민법" / "법률.md"

_FRONT = "---\n제목: 민법\n법령구분: 법률\n공포일자: 2026-03-17\n---\n\n"
_OLD_751 = ("##### 제751조 (재산 이외의 손해의 배상)\n\n**①** 타인의 신체, 자유 또는 명예를 해하거나 기타 정신상고통을 가한 "
            "자는 재산 이외의 손해에 대하여도 배상할 책임이 있다.\n\n**②** 법원은 전항의 손해배상을 정기금채무로 지급할 것을 "
            "명할 수 있고 그 이행을 확보하기 위하여 상당한 담보의 제공을 명할 수 있다.\n\n")
_NEW_751 = (_OLD_751.replace("기타 정신상고통을", "그 밖의 정신상 고통을").replace("전항의", "제1항의")
            .replace("명할 수 있다.\n", "명할 수 있다. <개정 2026.4.1>\n"))
_750_2 = "##### 제750조의2 (디지털 명예훼손의 배상)\n\n정보통신망으로 타인의 명예를 훼손한 자는 그 손해를 배상할 책임이 있다.\n\n"


def _cli(*args: str):
    return CliRunner().invoke(app, list(args), env={"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"})


def _line(text: str, heading: str, nth: int = 1) -> int:
    """The 1-based line of the nth line starting with ``heading``."""
    found = [i for i, line in enumerate(text.split("\n"), 1) if line.startswith(heading)]
    return found[nth - 1]


def _hand_amended() -> str:
    """A hand-amended file: its own 제750조의2, the old 제751조 with the amended one pasted below, and a lost-branch
    repeat of the mirror's kind (제752조 twice, different titles) that must stay a branch."""
    return (_FRONT + "##### 제750조 (불법행위의 내용)\n\n고의 또는 과실로 인한 위법행위로 타인에게 손해를 가한 자는 그 손해를 "
            "배상할 책임이 있다.\n\n" + _750_2 + _OLD_751 + _NEW_751
            + "##### 제752조 (생명침해로 인한 위자료)\n\n타인의 생명을 해한 자는 손해배상의 책임이 있다.\n\n"
            + "##### 제752조 (위자료의 특례)\n\n특례 규정.\n\n## 부칙\n")


def test_a_pasted_copy_in_a_file_with_written_branches_is_a_duplicate_not_an_invented_branch():
    text = _hand_amended()
    doc = parse_markdown(text, "bad.md")
    assert [a.key for a in doc.articles] == ["민법 제750조", "민법 제750조의2", "민법 제751조", "민법 제752조",
                                             "민법 제752조의2"]
    kept = next(a for a in doc.articles if a.key == "민법 제751조")
    assert "기타 정신상고통을" in kept.body_text() and kept.line == _line(text, "##### 제751조")  # the first is kept
    old, new, written = _line(text, "##### 제751조"), _line(text, "##### 제751조", 2), _line(text, "##### 제750조의2")
    (warning,) = doc.warnings
    assert warning.path == "bad.md" and warning.line == new and warning.field == "article"
    assert warning.reason.startswith(f"duplicate article 제751조 (first at line {old}); kept the first — the heading at "
                                     f"line {new} repeats its title with nearly the same text")
    assert f"제750조의2 at line {written}" in warning.reason and "not a lost branch number" in warning.reason


def test_a_duplicate_does_not_shift_the_numbers_of_later_repeats():
    # the copy is left out before the lost-branch count: the next repeat (another title) is still 의2, not 의3
    text = (_FRONT + _750_2 + _OLD_751 + _NEW_751 + "##### 제751조 (위자료의 산정)\n\n법원은 위자료를 정한다.\n\n")
    doc = parse_markdown(text, "bad.md")
    assert [(a.key, a.title) for a in doc.articles] == [
        ("민법 제750조의2", "디지털 명예훼손의 배상"), ("민법 제751조", "재산 이외의 손해의 배상"),
        ("민법 제751조의2", "위자료의 산정")]
    assert [w.line for w in doc.warnings] == [_line(text, "##### 제751조", 2)]


def test_a_near_copy_in_a_mirror_style_file_stays_a_branch_and_is_warned_of():
    text = _FRONT + _OLD_751 + _NEW_751
    doc = parse_markdown(text, "mirror.md")
    assert [a.key for a in doc.articles] == ["민법 제751조", "민법 제751조의2"]  # the mirror's reading, kept
    assert "그 밖의 정신상 고통을" in doc.articles[1].body_text()
    (warning,) = doc.warnings
    old, new = _line(text, "##### 제751조"), _line(text, "##### 제751조", 2)
    assert warning.path == "mirror.md" and warning.line == new
    assert warning.reason.startswith(f"제751조의2 (line {new}) repeats the heading of 제751조 (line {old}) with nearly "
                                     "the same text")
    assert "read as a lost branch number" in warning.reason


def test_same_titled_branches_with_other_text_are_not_warned_of():
    # the mirror's 과태료/벌칙 branches share their article's title: another article cited, another amount
    text = (_FRONT + "##### 제97조 (과태료)\n\n**①** 제69조의3을 위반한 자에게는 5천만원 이하의 과태료를 부과한다.\n\n"
            "##### 제97조 (과태료)\n\n**①** 제61조의2제3항을 위반하여 자료제출 요청에 따르지 아니한 자에게는 500만원 이하의 "
            "과태료를 부과한다.\n\n")
    for extra in ("", _750_2):  # with or without a written branch heading
        doc = parse_markdown(text + extra, "x.md")
        assert [a.key for a in doc.articles][:2] == ["민법 제97조", "민법 제97조의2"] and not doc.warnings


def test_ingest_warns_and_index_add_keeps_the_article_that_exists(tmp_path):
    path = tmp_path / "bad" / "민법" / "법률.md"
    path.parent.mkdir(parents=True)
    path.write_text(_hand_amended(), encoding="utf-8")
    r = _cli("ingest", str(path), "--warnings", "-o", str(tmp_path / "out.jsonl"))
    assert r.exit_code == 0, r.output
    assert f"{path}:{_line(_hand_amended(), '##### 제751조', 2)}: article: duplicate article 제751조" in r.output
    assert re.search(r"│ warnings\s+│\s+1 │", r.output), r.output  # it said 'warnings 0'

    index = tmp_path / "idx"
    r = _cli("index", "build", str(CIVIL_MD), "--index", str(index), "--model", "none")
    assert r.exit_code == 0, r.output
    r = _cli("index", "add", str(path), "--index", str(index), "--keep-missing", "--json")
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert any("duplicate article 제751조" in w for w in result["warnings"]), result["warnings"]
    searcher = Searcher(index)
    assert searcher.article("민법 제751조의2") is None  # no invented article
    assert "기타 정신상고통을" in searcher.article("민법 제751조").body_text()
    assert searcher.article("민법 제750조의2") is not None and searcher.article("민법 제752조의2") is not None


# ---- the real mirror's 민법 -----------------------------------------------------------------------------
@pytest.fixture()
def real_civil(shared_data) -> str:
    with zipfile.ZipFile(shared_data / "statutes" / "legalize-kr.zip") as z:
        return z.read("legalize-kr/민법/법률.md").decode("utf-8")


def test_the_real_civil_code_is_read_as_before(real_civil):
    doc = parse_markdown(real_civil, "legalize-kr/민법/법률.md", kind="법률")
    assert len(doc.articles) == 1193 and not doc.warnings
    keys = {a.key for a in doc.articles}
    assert {"민법 제312조의2", "민법 제751조", "민법 제1004조의2"} <= keys and "민법 제751조의2" not in keys


def test_the_users_amended_real_civil_code(real_civil):
    """The user's file: the mirror's 민법 with 제750조의2 added and the amended 제751조 pasted below the old one. Its
    74 lost branches stay branches (a file that writes one branch out is still the mirror everywhere else)."""
    start, end = real_civil.index("##### 제751조"), real_civil.index("##### 제752조")
    old = real_civil[start:end]
    new = old.replace("기타 정신상고통을", "그 밖의 정신상 고통을").replace("전항의", "제1항의")
    assert new != old
    amended = real_civil[:start] + _750_2 + old + new + real_civil[end:]
    before = parse_markdown(real_civil, "민법.md", kind="법률")
    doc = parse_markdown(amended, "민법.md", kind="법률")
    assert {a.key for a in doc.articles} == {a.key for a in before.articles} | {"민법 제750조의2"}
    assert "기타 정신상고통을" in next(a for a in doc.articles if a.key == "민법 제751조").body_text()
    (warning,) = doc.warnings
    assert warning.line == _line(amended, "##### 제751조", 2)
    assert f"duplicate article 제751조 (first at line {_line(amended, '##### 제751조')})" in warning.reason

    # without the hand-written 제750조의2 the file is mirror-style: the copy stays 제751조의2, but is warned of
    mirror_style = real_civil[:start] + old + new + real_civil[end:]
    doc = parse_markdown(mirror_style, "민법.md", kind="법률")
    assert "민법 제751조의2" in {a.key for a in doc.articles}
    (warning,) = doc.warnings
    assert warning.reason.startswith(f"제751조의2 (line {_line(mirror_style, '##### 제751조', 2)}) repeats the heading "
                                     f"of 제751조 (line {_line(mirror_style, '##### 제751조')})")
