"""``legalret ingest``: writes articles JSONL, prints the summary and every error, --strict, filters."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from legalret.articles import read_articles
from legalret.cli import app
from legalret.corpus.resolve import read_corpus
from legalret.errors import LegalretError
from legalret.ingest import ingest

runner = CliRunner()


def test_ingest_writes_articles_and_summary(tmp_path, fixtures_dir):
    out = tmp_path / "articles.jsonl"
    src = fixtures_dir / "ingest"
    result = runner.invoke(app, ["ingest", str(src / "markdown"), str(src / "lawgo" / "테스트법.json"),
                                 "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{"): result.stdout.rindex("}") + 1])
    assert summary["files"] == 3 and summary["laws"] == 3 and summary["errors"] == 0
    assert summary["articles"] == summary["written"] == 18 and summary["deleted"] == 3
    assert summary["mojibake_repairs"] == 0
    keys = [a.key for a in read_articles(out)]
    assert len(keys) == 18 and "민법 제14조의2" in keys and "테스트 보호법 제2조의2" in keys


def test_errors_are_listed_and_strict_fails(tmp_path, fixtures_dir):
    out = tmp_path / "a.jsonl"
    src = fixtures_dir / "ingest"
    args = ["ingest", str(src / "bad"), str(src / "plaintext"), "--out", str(out)]
    lenient = runner.invoke(app, args)
    # the rest written, exit 3 as index build/add say a skipped file (it had been 0: `ingest … && next` went on)
    assert lenient.exit_code == 3, lenient.output
    assert "written without 7 source file(s) that could not be read (named above): exit 3" in lenient.output
    assert "malformed.json:3" in lenient.output and "no_front_matter.md:1" in lenient.output
    assert "errors" in lenient.output
    assert len(list(read_articles(out))) == 9
    strict = runner.invoke(app, args + ["--strict"])
    assert strict.exit_code != 0


def test_filters(tmp_path, fixtures_dir):
    out = tmp_path / "a.jsonl"
    result = runner.invoke(app, ["ingest", str(fixtures_dir / "ingest"), "--law", "상법", "--kind", "법률",
                                 "--out", str(out)])
    assert result.exit_code == 3, result.output  # (the fixtures hold bad files: skipped, named, exit 3)
    assert {a.key.split(" 제")[0] for a in read_articles(out)} == {"상법"}


def test_a_law_filter_in_hanja_is_read_in_hangul_by_every_command(tmp_path, mirror_zip, monkeypatch):
    """`search --law 民法` read 民法 as 민법, but `ingest`, `index build` and `index add` --law 民法 kept nothing
    ("2 skipped by --law 民法"): every --law reads Hanja as the search does, and an unmatched name shows its reading."""
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    env = {"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"}
    out = tmp_path / "a.jsonl"
    result = runner.invoke(app, ["ingest", str(mirror_zip), "--law", "民法", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {a.law for a in read_articles(out)} == {"민법"}
    index = tmp_path / "idx"
    built = runner.invoke(app, ["index", "build", str(mirror_zip), "--law", "民法", "--index", str(index),
                                "--model", "none", "--json"], env=env)
    assert built.exit_code == 0, built.output
    added = runner.invoke(app, ["index", "add", str(mirror_zip), "--law", "商法 施行令", "--index", str(index), "--json"],
                          env=env)
    assert added.exit_code == 0, added.output
    report = json.loads(added.stdout[added.stdout.index("{"): added.stdout.rindex("}") + 1])
    assert report["laws"] == 2 and report["added"] > 0
    # an articles JSONL is filtered so too
    assert {a.law for a in read_corpus([str(out)], laws=["民法"]).articles} == {"민법"}
    missed = runner.invoke(app, ["ingest", str(mirror_zip), "--law", "刑法", "--out", str(tmp_path / "b.jsonl")])
    assert missed.exit_code != 0
    assert "2 skipped by --law 刑法 (형법)" in str(missed.exception)
    with pytest.raises(LegalretError, match=r"a\.jsonl: nothing of it passes --law 商法 \(상법\)"):
        read_corpus([str(out)], laws=["商法"])


def test_nothing_readable_is_a_clear_failure(tmp_path, fixtures_dir):
    out = tmp_path / "a.jsonl"
    result = runner.invoke(app, ["ingest", str(fixtures_dir / "ingest" / "bad" / "empty.md"), "--out", str(out)])
    assert result.exit_code != 0 and not out.exists()


def test_a_filter_that_excludes_every_lawgo_file_is_named(tmp_path, fixtures_dir):
    """law.go.kr files name their kind only inside: those the filter excluded after parsing are counted as skipped
    (as the markdown files are), and the 'no articles' error names the filter."""
    out = tmp_path / "a.jsonl"
    lawgo = fixtures_dir / "ingest" / "lawgo"
    result = runner.invoke(app, ["ingest", str(lawgo), "--kind", "시행령", "--out", str(out)])
    assert result.exit_code != 0 and not out.exists()
    assert "no articles were read (0 statute file(s) read, 2 skipped by --kind 시행령)" in str(result.exception)
    report = ingest([lawgo], laws=["민법"]).report
    assert (report.files, report.skipped, dict(report.formats)) == (0, 2, {})


def test_an_unknown_kind_is_one_line_listing_the_kinds(tmp_path, fixtures_dir):
    out = tmp_path / "a.jsonl"
    result = runner.invoke(app, ["ingest", str(fixtures_dir / "ingest" / "lawgo"), "--kind", "법룰", "--out", str(out)])
    assert result.exit_code != 0 and not out.exists()
    assert str(result.exception).startswith("unknown kind '법룰': expected one of 법률, 시행령, 시행규칙 (also 대통령령 = 시행령")
    with pytest.raises(LegalretError, match="unknown kind '법룰'"):
        read_corpus([str(fixtures_dir / "ingest" / "lawgo")], kinds=["법룰"])
    # the authority's name is the kind it stands for
    assert {a.kind for a in ingest([fixtures_dir / "ingest"], kinds=["대통령령"]).articles} <= {"시행령"}


def test_mojibake_repairs_of_a_filtered_out_file_are_not_reported(tmp_path, fixtures_dir):
    text = (fixtures_dir / "ingest" / "lawgo" / "테스트법.json").read_text(encoding="utf-8")
    (tmp_path / "law.json").write_text(text.encode("utf-8").decode("latin-1"), encoding="utf-8")
    kept = ingest([tmp_path]).report
    assert kept.repairs and kept.repaired_files
    filtered = ingest([tmp_path], kinds=["시행령"]).report
    assert (filtered.repairs, dict(filtered.repaired_files), filtered.warnings, filtered.skipped) == ([], {}, [], 1)


def test_warnings_and_bracketed_paths_print_as_text(tmp_path):
    """--warnings printed the markup itself ('[yellow]warning[/] …'), and a path holding '[/x]' broke the markup of
    the error and warning lines (a MarkupError traceback)."""
    folder = tmp_path / "d["
    folder.mkdir()
    (folder / "x].txt").write_text("테스트법\n제2조(가) 가.\n제1조(나) 나.\n", encoding="utf-8")
    out = tmp_path / "o[/b].jsonl"
    missing = str(tmp_path / "nope[/x].md")
    result = runner.invoke(app, ["ingest", missing, str(folder / "x].txt"), "--out", str(out), "--warnings"])
    assert result.exit_code == 3, result.output  # (the missing source: named, the rest written)
    text = " ".join(result.output.split())  # rich may wrap long lines
    assert f"error {missing}: glob matched no files" in text
    assert f"warning {folder / 'x].txt'}:3: article: article 제1조 comes after 제2조 (line 2)" in text
    assert f"wrote 2 articles to {out}" in text and "[yellow]" not in text and "[/]" not in text
