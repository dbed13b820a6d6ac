"""An articles JSONL whose text lost characters or reads as mojibake is not indexed silently (a new user, 2026-12-07).

``legalret ingest 신탁법_partial.txt --out p.jsonl`` (369 characters lost as U+FFFD) warns; ``legalret index add
p.jsonl`` then indexed 신탁법 제2조 ending in 369 ``�`` and the lost 제3조 as "�젣3議�(�떊�긽…", exit 0, no word — where
the same statute file given to ``index add`` is refused unless ``--accept-uncertain-repairs``. An articles JSONL now
meets the statute files' rule: skipped whole and named (exit 3) beside other sources, refused in one line alone,
indexed with a note when accepted. No article of the real statutes mirror reads so (checked on all 139,800).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

from legalret.articles import Article, Paragraph, write_articles  # noqa: E402
from legalret.cli import app  # noqa: E402
from legalret.corpus.resolve import doubtful_text  # noqa: E402
from legalret.errors import LegalretError  # noqa: E402
from legalret.index.store import load_index  # noqa: E402

ENV = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "300"}
runner = CliRunner()


def _trust(text: str, number: int = 2) -> Article:
    return Article(law="신탁법", number=number, title="정의", paragraphs=[Paragraph(None, text)], kind="법률")


LOST = _trust("이 법에서 \"위탁자\"란 신탁을 설정하는 자를 말한다." + "\ufffd" * 12)
MOJIBAKE = _trust("ì\u009d´ ë²\u0095ì\u0097\u0090ì\u0084\u009c \"ì\u009c\u0084í\u0083\u0081ì\u009e\u0090\"ë\u009e\u0080", 3)


@pytest.fixture()
def files(tmp_path):
    good, lost, broken = tmp_path / "good.jsonl", tmp_path / "lost.jsonl", tmp_path / "broken.jsonl"
    write_articles(good, sup.articles())
    write_articles(lost, [LOST, _trust("신탁은 위탁자와 수탁자 간의 계약으로 설정한다.", 3)])
    write_articles(broken, [MOJIBAKE])
    return good, lost, broken


def test_each_article_that_lost_characters_or_reads_as_mojibake_is_named(files):
    _, lost, broken = files
    [problem] = doubtful_text(str(lost), [LOST, _trust("신탁은 계약으로 설정한다.", 3)])
    assert str(problem).startswith(f"{lost}: text: 신탁법 제2조: 12 character(s) lost (U+FFFD), first at ")
    [problem] = doubtful_text(str(broken), [MOJIBAKE])
    assert "신탁법 제3조: reads as mojibake (text decoded in the wrong encoding)" in str(problem)
    assert doubtful_text("good.jsonl", sup.articles()) == []


def test_beside_good_articles_the_file_is_skipped_and_named_exit_3(files, tmp_path):
    good, lost, _ = files
    index = tmp_path / "idx"
    r = runner.invoke(app, ["index", "build", str(good), str(lost), "--index", str(index), "--model", "none"], env=ENV)
    assert r.exit_code == 3, r.output
    assert (f"skipped: {lost}: 1 article(s) with lost characters or mojibake (first: 신탁법 제2조: 12 character(s) lost "
            "(U+FFFD)") in r.stderr
    assert "--accept-uncertain-repairs" in r.stderr
    keys = {a.key for a in load_index(index).articles}
    assert "민법 제750조" in keys and not any(k.startswith("신탁법") for k in keys)  # (its laws left as they were)


def test_alone_it_is_refused_in_one_line_and_nothing_is_written(files, tmp_path):
    _, _, broken = files
    index = tmp_path / "idx"
    r = runner.invoke(app, ["index", "build", str(broken), "--index", str(index), "--model", "none"], env=ENV)
    assert r.exit_code == 1 and isinstance(r.exception, LegalretError), r.output
    assert str(r.exception).startswith(f"{broken}: 1 article(s) with lost characters or mojibake (first: 신탁법 제3조: "
                                       "reads as mojibake")
    assert "\n" not in str(r.exception) and not index.exists()


def test_accepted_it_is_indexed_and_said(files, tmp_path):
    good, lost, _ = files
    index = tmp_path / "idx"
    r = runner.invoke(app, ["index", "build", str(good), str(lost), "--index", str(index), "--model", "none",
                            "--accept-uncertain-repairs"], env=ENV)
    assert r.exit_code == 0, r.output
    assert f"note: {lost}: 1 article(s) with lost characters or mojibake" in r.stderr and "(accepted)" in r.stderr
    assert "신탁법 제2조" in {a.key for a in load_index(index).articles}


def test_a_broken_law_the_filter_leaves_out_does_not_skip_the_file(files, tmp_path):
    """Only the articles the --law/--kind filters keep are judged: a JSONL's broken 신탁법 does not hold back its 민법."""
    good, lost, _ = files
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(good.read_text(encoding="utf-8") + lost.read_text(encoding="utf-8"), encoding="utf-8")
    index = tmp_path / "idx"
    r = runner.invoke(app, ["index", "build", str(mixed), "--law", "민법", "--index", str(index), "--model", "none"],
                      env=ENV)
    assert r.exit_code == 0, r.output
    assert "민법 제750조" in {a.key for a in load_index(index).articles}
