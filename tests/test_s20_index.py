"""Four CLI reports a new user found inconsistent (session 20).

1. An ``index add`` that encoded nothing — a law re-added after ``index remove`` (every vector in the vector cache),
   or an add with nothing new — ended without the ``tokenized N, encoded N`` line every other add ends with.
2. After ``index rollback`` and two writes, ``index info`` listed four generations against keep 3 without a word:
   the generation rolled back from is kept (the last copy of what it holds: nothing is deleted as a side effect), and
   ``index info`` now says so, in text and ``--json`` (``generations_kept``).
3. ``legalret pairs`` appended "; nothing written" to the corpus reader's refusal, which says "nothing was written"
   itself; the wrap adds it only where the reason does not.
4. An empty glob beside a corpus was a skipped source (exit 3, the corpus indexed) and an error alone: it is the error
   (exit 1, nothing written) wherever it stands, as a missing path is — the documented exit 3 is for a statute file
   that was there and could not be read. A named file the --law/--kind filter leaves nothing of is one wording, alone
   or beside a corpus.

By the real CLI (typer's runner, and a process where the one-line error matters) on the multilaw fixture (BM25 only),
the hand-written fixture with the tiny encoder (vectors), and the fixture mirror.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from test_corpus_s19 import corpus  # noqa: F401  (its fixture: the mirror, the manifest cc, src/renamed.md (형법))
from test_renamed_law_s18 import MULTILAW, REPO, _cli, _process, _report, built_index  # (same data, same runs)

from legalret import pipeline
from legalret.articles import write_articles
from legalret.index.store import beyond_keep, current_generation, generations, prune_generations

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "index"))
import index_support as sup  # noqa: E402

STATUTES = MULTILAW / "statutes" / "legalize-kr"
LEASE = "주택임대차보호법"


def _work_lines(stdout: str) -> list[str]:
    """The report's work line (the report is on stdout since session 24)."""
    return [line for line in stdout.splitlines() if line.startswith("tokenized ")]


# ---- 1. every add reports its work line ----------------------------------------------------------------------
def test_an_add_that_encodes_nothing_reports_tokenized_and_encoded_as_every_add(tmp_path, monkeypatch):
    monkeypatch.setenv("LEGALRET_HOME", str(tmp_path / "home"))  # (its own vector cache)
    index = tmp_path / "dense"
    pipeline.build(sup.articles(), index, encoder=sup.tiny_encoder())
    commercial = tmp_path / "상법.jsonl"
    write_articles(commercial, [a for a in sup.articles() if a.law == "상법"])
    assert _cli("index", "remove", "상법", "--index", str(index)).exit_code == 0

    # re-added (its vectors encoded again or read from the vector cache, as this machine's cache has them)
    r = _cli("index", "add", str(commercial), "--index", str(index))
    assert r.exit_code == 0, r.output
    [line] = _work_lines(r.stdout)
    assert re.fullmatch(r"tokenized \d+, encoded \d+( \(\d+ vectors from the vector cache\))?", line), line
    # added again: every vector held, nothing new, no generation written — and the same line (it had ended at
    # "unchanged")
    r = _cli("index", "add", str(commercial), "--index", str(index))
    assert r.exit_code == 0, r.output
    assert "unchanged — nothing new" in r.stdout
    assert _work_lines(r.stdout) == ["tokenized 0, encoded 0"], r.stdout
    # --json: the fields every add reports
    report = _report(_cli("index", "add", str(commercial), "--index", str(index), "--json"))
    assert report["wrote"] is False
    assert (report["tokenized"], report["encoded"], report["vectors_cached"]) == (0, 0, 0)


# ---- 2. index info says why there are more generations than keep ---------------------------------------------
def _four_generations(tmp_path: Path) -> Path:
    """gen 1 (민법, 주택임대차보호법); gen 2 adds 형법; rolled back to gen 1; gen 3 adds 근로기준법; gen 4 removes
    주택임대차보호법 — gen 2 alone holds 형법's articles."""
    index = built_index(tmp_path, "민법", LEASE)
    for args in (("add", str(STATUTES / "형법"), "--no-reread-decisions"), ("rollback",),
                 ("add", str(STATUTES / "근로기준법"), "--no-reread-decisions"), ("remove", LEASE)):
        r = _cli("index", *args, "--index", str(index))
        assert r.exit_code == 0, r.output
    return index


def test_info_says_which_generations_are_kept_past_keep_and_why(tmp_path, monkeypatch):
    monkeypatch.delenv("LEGALRET_KEEP_GENERATIONS", raising=False)
    index = _four_generations(tmp_path)
    names = ["gen-000001", "gen-000002", "gen-000003", "gen-000004"]
    assert [g.name for g in generations(index)] == names and current_generation(index).name == "gen-000004"

    r = _cli("index", "info", "--index", str(index))
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert "generations kept: " + ", ".join(names) in lines
    [why] = [line for line in lines if line.startswith("more than keep 3: ")]
    assert why == ("more than keep 3: gen-000002, a generation rolled back from, is kept as the last one holding "
                   "3 article(s) (형법 제250조, 형법 제329조, 형법 제347조) that no newer or live generation holds — "
                   "pruning never deletes a last copy; "
                   f"`legalret index rollback --index {index} --to 2` returns to it, "
                   f"`legalret index forget 2 --index {index} --yes` removes it with them")

    info = json.loads(_cli("index", "info", "--index", str(index), "--json").stdout)
    kept = info["generations_kept"]
    assert (kept["names"], kept["keep"]) == (names, 3)
    [beyond] = kept["beyond_keep"]
    assert {k: v for k, v in beyond.items() if k != "why"} == {
        "generation": "gen-000002", "rolled_back_from": True, "memory_items_alone": 0, "pruned_at_next_write": False,
        "articles_alone": ["형법 제250조", "형법 제329조", "형법 제347조"]}
    assert beyond["why"] == why.removeprefix("more than keep 3: ")
    # info deleted nothing, and pruning (the same rule) still keeps the rolled-back generation
    assert [g.name for g in generations(index)] == names
    assert prune_generations(index) == [] and [g.name for g in generations(index)] == names


def test_a_generation_past_a_smaller_keep_that_holds_nothing_alone_is_said_to_go_at_the_next_write(tmp_path):
    index = built_index(tmp_path, "민법", LEASE)
    for law in ("형법", "근로기준법"):  # each add holds all of the one before: nothing is a last copy
        assert _cli("index", "add", str(STATUTES / law), "--index", str(index), "--no-reread-decisions").exit_code == 0
    [oldest, middle] = beyond_keep(index, keep=1)
    assert (oldest.name, oldest.holds_alone, middle.name, middle.holds_alone) == (
        "gen-000002", frozenset(), "gen-000001", frozenset())
    info = json.loads(_cli("index", "info", "--index", str(index), "--json").stdout)
    assert info["generations_kept"]["beyond_keep"] == []  # 3 generations, keep 3: nothing to explain
    r = runner_with_keep(index, "1")
    assert "more than keep 1: gen-000002 is past keep 1 (kept by a larger --keep) and holds nothing a newer or the " \
           "live generation lacks: the next add or remove prunes it; gen-000001 is past keep 1" in r.stdout
    assert len(generations(index)) == 3  # (said, not done)


def runner_with_keep(index: Path, keep: str):
    from typer.testing import CliRunner

    from legalret.cli import app

    return CliRunner().invoke(app, ["index", "info", "--index", str(index)],
                              env={"LEGALRET_SERVER": "", "LEGALRET_RESIDENT": "off", "COLUMNS": "300",
                                   "LEGALRET_KEEP_GENERATIONS": keep})


# ---- 3. pairs says "nothing written" once --------------------------------------------------------------------
def test_pairs_says_nothing_written_once_for_a_filtered_out_statute(tmp_path):
    proc = _process("pairs", "--statutes", str(STATUTES / "민법"), "--statutes", str(STATUTES / "형법"),
                    "--precedents", str(MULTILAW / "precedents"), "--out", str(tmp_path / "pairs"))
    assert proc.returncode == 1, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "형법: nothing of it passes --law 민법" in line
    assert line.count("nothing written") + line.count("nothing was written") == 1, line
    assert not (tmp_path / "pairs").exists()


# ---- 4. an empty glob and a filtered-out file: one outcome, one wording --------------------------------------


def test_an_empty_glob_is_one_error_beside_a_corpus_or_a_file_as_alone(corpus):
    glob = str(corpus / "none" / "*.md")
    expected = f"{glob}: glob matched no files; nothing was read or written"
    for sources in ([glob], ["cc", glob], ["src/renamed.md", glob]):
        for command in ("build", "add"):
            if command == "add":
                assert _cli("index", "build", "cc", "--index", "idx", "--model", "none").exit_code == 0
            r = _cli("index", command, *sources, "--index", "idx", "--model", "none")
            assert r.exit_code == 1 and str(r.exception) == expected, (sources, command, r.output)
            gens = [g.name for g in generations(corpus / "idx")] if (corpus / "idx").exists() else []
            assert gens == ([] if command == "build" else ["gen-000001"]), (sources, command)  # nothing written
            if command == "add":
                import shutil

                shutil.rmtree(corpus / "idx")
    # as a user sees it (a process run in the repository): one line, exit 1 (it had been "skipped:", exit 3, the
    # corpus indexed)
    proc = _process("index", "build", "cc", "none/*.md", "--index", str(corpus / "idx"), "--model", "none")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == f"error: none/*.md: glob matched no files (looked in {REPO}); nothing was read or written"
    assert not (corpus / "idx").exists()


def test_a_folder_with_no_statute_file_is_the_same_error(corpus):
    # (beside a corpus it had been indexed around without a word, exit 0)
    (corpus / "empty").mkdir()
    (corpus / "empty" / "notes.docx").write_text("not a statute", encoding="utf-8")
    expected = f"{corpus / 'empty'}: folder holds no statute file (.md, .markdown, .json, .jsonl, .txt, .text, .xml, .zip); " \
               "nothing was read or written"
    for sources in ([str(corpus / "empty")], ["cc", str(corpus / "empty")]):
        r = _cli("index", "build", *sources, "--index", "idx", "--model", "none")
        assert r.exit_code == 1 and str(r.exception) == expected, (sources, r.output)
        assert not (corpus / "idx").exists()


def test_a_named_file_the_filter_leaves_nothing_of_is_one_wording_alone_or_beside_a_corpus(corpus):
    said = "src/renamed.md: nothing of it passes --law 민법, so nothing of it would be indexed; nothing was written — "
    beside = _cli("index", "build", "cc", "src/renamed.md", "--law", "민법", "--index", "idx", "--model", "none")
    alone = _cli("index", "build", "src/renamed.md", "--law", "민법", "--index", "idx", "--model", "none")
    assert beside.exit_code == alone.exit_code == 1
    assert str(beside.exception) == said + "leave it out, or give --law/--kind that include its laws"
    assert str(alone.exception) == said + "give --law/--kind that include its laws"  # (nothing else to index)
    assert not (corpus / "idx").exists()
    # an articles JSONL alone: the same line (it had been "no articles read from … (2 article(s) skipped by …)")
    jsonl = corpus / "hyeongbeop.jsonl"
    write_articles(jsonl, [a for a in sup.articles() if a.law == "상법"])
    r = _cli("index", "build", str(jsonl), "--law", "민법", "--index", "idx", "--model", "none")
    assert r.exit_code == 1 and str(r.exception) == (
        f"{jsonl}: nothing of it passes --law 민법, so nothing of it would be indexed; nothing was written — give "
        "--law/--kind that include its laws"), r.output
