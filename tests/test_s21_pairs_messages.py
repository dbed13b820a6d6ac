"""`legalret pairs` messages an ML user misread (2026-12-07).

- ``--limit 20`` reads the archive's *first* 20 decisions (old 가사 cases in the shared archive): the empty dev split
  was blamed on the archive ("add such decisions with --precedents (the shared precedent-kr.zip has them)" — the very
  archive given); now the limit is named as the cause.
- ``--precedents precedent-facts.zip`` said "no decision read … (0 error(s))" and no more: it says what --precedents
  takes, and that the facts archive is not one.
"""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from legalret.cli import app


def _old_decisions(fixtures_dir, tmp_path):
    src = fixtures_dir / "precedents" / "md" / "민사" / "대법원"
    (tmp_path / "old").mkdir()
    for name in ("2015다1001.md", "2016다7007.md"):
        shutil.copy(src / name, tmp_path / "old" / name)
    return tmp_path / "old"


def test_an_empty_dev_split_under_limit_names_the_limit(fixtures_dir, tmp_path):
    old = _old_decisions(fixtures_dir, tmp_path)
    result = CliRunner().invoke(app, ["pairs", "--precedents", str(old), "--statutes",
                                      str(fixtures_dir / "precedents" / "statutes"), "--out", str(tmp_path / "out"),
                                      "--json", "--limit", "2"])
    assert result.exit_code == 0, result.output
    [warning] = json.loads(result.stdout)["warnings"]
    assert "(--limit 2 read only the archive's first 2 decisions, in its order — not a sample; raise it or leave it " \
           "out)" in warning and "shared precedent-kr.zip" not in warning
    # without --limit the archive is the cause, as before
    result = CliRunner().invoke(app, ["pairs", "--precedents", str(old), "--statutes",
                                      str(fixtures_dir / "precedents" / "statutes"), "--out", str(tmp_path / "out2"),
                                      "--json"])
    [warning] = json.loads(result.stdout)["warnings"]
    assert "--limit" not in warning and "add such decisions with --precedents" in warning


def test_a_facts_archive_as_precedents_says_what_precedents_take(fixtures_dir, tmp_path):
    facts = tmp_path / "precedent-facts.zip"
    import zipfile

    with zipfile.ZipFile(facts, "w") as z:
        z.writestr("facts.jsonl", '{"case_no": "2015다1001", "facts": "원고는 …"}\n')
    result = CliRunner().invoke(app, ["pairs", "--precedents", str(facts), "--statutes",
                                      str(fixtures_dir / "precedents" / "statutes"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "--precedents takes decisions (markdown with front matter, or law.go.kr JSON)" in str(result.exception)
    assert "the facts archive (precedent-facts.zip) is not one; nothing written" in str(result.exception)
