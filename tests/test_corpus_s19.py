"""A file named beside a corpus name is read whole: the manifest's laws choose from its statute mirror only.

`legalret index build civil-commercial src/renamed.md` had printed "indexing 2381 articles", exit 0, and left the named
file (a law outside 민법+상법) out without a word: the manifest's law list filtered every source. The user's own
--law/--kind still filter every source, and a named source they leave nothing of is one error line, nothing written.
By read_corpus and the real CLI, on the fixture mirror (민법, 상법 시행령), with ``--model none``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from legalret.articles import write_articles
from legalret.cli import app
from legalret.corpus.resolve import read_corpus
from legalret.errors import LegalretError, SourceError
from legalret.index.store import read_manifest
from legalret.ingest.sources import ingest

runner = CliRunner()

HYEONGBEOP = """---
제목: 형법
법령구분: 법률
공포일자: 2024-12-20
---

##### 제250조 (살인)

**①** 사람을 살해한 자는 사형, 무기 또는 5년 이상의 징역에 처한다.

##### 제329조 (절도)

타인의 재물을 절취한 자는 6년 이하의 징역 또는 1천만원 이하의 벌금에 처한다.
"""

#: a 시행령 outside the manifest's kinds ([법률]): the manifest's kind filter must not drop it either
HYEONGBEOP_DECREE = """---
제목: 형의 집행 및 수용자의 처우에 관한 법률 시행령
법령구분: 대통령령
공포일자: 2024-12-20
---

##### 제1조 (목적)

이 영은 「형의 집행 및 수용자의 처우에 관한 법률」에서 위임된 사항과 그 시행에 필요한 사항을 규정함을 목적으로 한다.
"""

#: an older, shorter 민법 than the mirror's (one article): a named file replaces the corpus's copy of its law
OLD_MINBEOP = """---
제목: 민법
법령구분: 법률
공포일자: 2020-01-01
---

##### 제1조 (법원)

민사에 관하여 법률에 규정이 없으면 관습법에 의하고 관습법이 없으면 조리에 의한다.
"""


def _cli(*args: str):
    return runner.invoke(app, list(args), env={"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "200"})


@pytest.fixture()
def corpus(mirror_zip, tmp_path, monkeypatch):
    """The fixture mirror, a scratch home, the manifest ``cc`` (민법 + 상법 시행령, as civil-commercial is 민법 + 상법)
    and ``src/renamed.md``: 형법, a law outside it."""
    monkeypatch.setenv("LEGALRET_MIRROR", str(mirror_zip))
    monkeypatch.setenv("LEGALRET_CORPORA", str(tmp_path / "corpora"))
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))
    (tmp_path / "corpora").mkdir()
    (tmp_path / "corpora" / "cc.yaml").write_text("name: cc\nkinds: [법률]\nlaws: [민법, 상법 시행령]\n", encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "renamed.md").write_text(HYEONGBEOP, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _laws(index) -> set[str]:
    return set(read_manifest(index)["laws"])


def _laws_of(articles) -> set[tuple[str, str]]:
    return {(a.law, a.kind) for a in articles}


def test_a_corpus_alone_is_unchanged(corpus):
    result = read_corpus(["cc"])
    assert _laws_of(result.articles) == {("민법", "법률"), ("상법 시행령", "시행령")} and not result.errors
    r = _cli("index", "build", "cc", "--index", "idx", "--model", "none")
    assert r.exit_code == 0, r.output
    assert _laws(corpus / "idx") == {"민법", "상법 시행령"}


def test_build_with_a_corpus_and_a_file_of_another_law_indexes_that_law(corpus):
    r = _cli("index", "build", "cc", "src/renamed.md", "--index", "idx", "--model", "none", "--json")
    assert r.exit_code == 0, r.output
    assert _laws(corpus / "idx") == {"민법", "상법 시행령", "형법"}
    report = json.loads(r.stdout.splitlines()[-1])
    assert report["laws"] == 3 and not report["skipped"]
    # the file's own order beside the name does not matter
    assert _laws_of(read_corpus(["src/renamed.md", "cc"]).articles) == {("민법", "법률"), ("상법 시행령", "시행령"),
                                                                      ("형법", "법률")}


def test_add_with_a_corpus_and_a_file_of_another_law_adds_that_law(corpus):
    assert _cli("index", "build", "cc", "--index", "idx", "--model", "none").exit_code == 0
    r = _cli("index", "add", "cc", "src/renamed.md", "--index", "idx", "--json")
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout.splitlines()[-1])
    assert sorted(report["added_keys"]) == ["형법 제250조", "형법 제329조"] and report["removed"] == 0
    assert _laws(corpus / "idx") == {"민법", "상법 시행령", "형법"}


def test_the_manifest_kinds_do_not_filter_a_named_file_or_folder_or_articles_file(corpus, tmp_path):
    decree = tmp_path / "decree" / "시행령.md"
    decree.parent.mkdir()
    decree.write_text(HYEONGBEOP_DECREE, encoding="utf-8")
    jsonl = tmp_path / "hyeongbeop.jsonl"
    write_articles(jsonl, ingest([str(tmp_path / "src" / "renamed.md")]).articles)
    (tmp_path / "corpora" / "acts.yaml").write_text("name: acts\nkinds: [법률]\nlaws: [민법]\n", encoding="utf-8")
    got = _laws_of(read_corpus(["acts", str(decree.parent), str(jsonl)]).articles)
    assert got == {("민법", "법률"), ("형의 집행 및 수용자의 처우에 관한 법률 시행령", "시행령"), ("형법", "법률")}


def test_a_named_file_of_a_corpus_law_replaces_the_corpus_copy_with_a_warning(corpus, tmp_path):
    old = tmp_path / "old" / "민법.md"
    old.parent.mkdir()
    old.write_text(OLD_MINBEOP, encoding="utf-8")
    result = read_corpus(["cc", str(old)])
    assert sorted(a.key for a in result.articles if a.law == "민법") == ["민법 제1조"]  # its one article, not the mirror's 13
    [warning] = [w for w in result.report.warnings if w.field == "duplicate-law"]
    assert str(old) in str(warning) and "replaces the corpus's copy" in str(warning)
    assert result.report.laws == 2 and result.report.duplicates == 1


def test_two_manifests_on_one_mirror_read_it_once(corpus, tmp_path):
    (tmp_path / "corpora" / "acts.yaml").write_text("name: acts\nkinds: [법률]\nlaws: [민법]\n", encoding="utf-8")
    result = read_corpus(["cc", "acts"])
    assert result.report.duplicates == 0 and not [w for w in result.report.warnings if w.field == "duplicate-law"]
    assert _laws_of(result.articles) == {("민법", "법률"), ("상법 시행령", "시행령")}


def test_law_still_filters_the_mirror(corpus, mirror_zip):
    r = _cli("index", "build", str(mirror_zip), "--law", "민법", "--index", "idx", "--model", "none")
    assert r.exit_code == 0, r.output
    assert _laws(corpus / "idx") == {"민법"}
    # beside a manifest it narrows the corpus ("Only this law"; it had been added to the manifest's laws: --law 민법
    # still gave 상법 시행령, --law 형법 brought 형법 in from the mirror), and it filters the named file too
    assert _laws_of(read_corpus(["cc"], laws=["민법"]).articles) == {("민법", "법률")}
    assert _laws_of(read_corpus(["cc", "src/renamed.md"], laws=["민법", "형법"]).articles) == {
        ("민법", "법률"), ("형법", "법률")}
    # a filter that leaves nothing of the corpus is one line naming what it holds, as for a named file
    with pytest.raises(LegalretError, match=r"^--law 형법: corpus cc holds 민법, 상법 시행령, so the filter leaves "
                                            r"nothing of it; nothing was read or written"):
        read_corpus(["cc", "src/renamed.md"], laws=["형법"])
    with pytest.raises(LegalretError, match=r"^--kind 시행령: corpus civil-commercial holds 법률 only"):
        read_corpus(["civil-commercial"], kinds=["시행령"])


def test_a_named_file_that_law_leaves_nothing_of_is_one_error_and_nothing_is_written(corpus):
    r = _cli("index", "build", "cc", "src/renamed.md", "--law", "민법", "--index", "idx", "--model", "none")
    assert r.exit_code == 1 and isinstance(r.exception, LegalretError), r.output
    message = str(r.exception)
    assert message.startswith("src/renamed.md: nothing of it passes --law 민법") and "nothing was written" in message
    assert "\n" not in message
    assert not (corpus / "idx").exists()
    # an add likewise: the index keeps its generation
    assert _cli("index", "build", "cc", "--index", "idx", "--model", "none").exit_code == 0
    r = _cli("index", "add", "cc", "src/renamed.md", "--kind", "시행령", "--index", "idx")
    assert r.exit_code == 1 and "src/renamed.md: nothing of it passes --kind 시행령" in str(r.exception), r.output
    assert _laws(corpus / "idx") == {"민법", "상법 시행령"} and read_manifest(corpus / "idx")["generation"] == "gen-000001"
    # an articles JSONL named with a filter that excludes it: the same
    jsonl = corpus / "hyeongbeop.jsonl"
    write_articles(jsonl, ingest([str(corpus / "src" / "renamed.md")]).articles)
    with pytest.raises(LegalretError, match=r"hyeongbeop\.jsonl: nothing of it passes --law 민법"):
        read_corpus(["cc", str(jsonl)], laws=["민법"])
    # a file alone that the filter leaves nothing of: the same words (exit 1), less the advice to leave it out
    with pytest.raises(LegalretError, match=r"^src/renamed.md: nothing of it passes --law 민법, so nothing of it would be "
                                            r"indexed; nothing was written — give --law/--kind"):
        read_corpus(["src/renamed.md"], laws=["민법"])


def test_a_glob_matching_nothing_beside_a_corpus_is_an_error_as_alone(corpus):
    """A glob of no file is a named path that names nothing: an error before anything is read (exit 1), beside a
    corpus as alone — it had been a skipped source (exit 3, the corpus indexed around the typo)."""
    with pytest.raises(SourceError, match=r"nomatch\*\.md: glob matched no files \(looked in .*\); nothing was read or written"):
        read_corpus(["cc", "nomatch*.md"])