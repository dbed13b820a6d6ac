"""Honest exits (issue #11): a run that produced nothing, or that --strict refuses, writes nothing and exits
non-zero; bad --out paths fail up front in one line; uncertain lossy mojibake repairs are warnings that
fail --strict. The CLI is run for real (subprocess) where the shape of the message matters."""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from legalret.articles import read_articles
from legalret.cli import app
from legalret.corpus.pull import HttpClient, NothingPulled, pull
from legalret.ingest import ingest
from legalret.ingest.mojibake import corrupt
from legalret.ingest.output import OutputError, check_not_an_input, check_output_path, write_articles_out

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]

#: An earlier run's articles file (what --out is written over; a file of other data is refused before any work)
PREVIOUS = '{"law": "민법", "number": 1, "title": "previous"}\n'


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """The real command line (python -m legalret), so tracebacks would show."""
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "legalret", *args], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=timeout)


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    error_lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, proc.stderr
    for needle in needles:
        assert needle in error_lines[0], error_lines[0]


@pytest.fixture()
def not_found_server(tmp_path):
    """An HTTP server that answers 404 to everything (an empty folder served)."""
    empty = tmp_path / "www"
    empty.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(empty), **kw)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/kr"
    httpd.shutdown()


# ---- corpus pull ----------------------------------------------------------------------------------
def test_pull_of_an_unknown_law_exits_nonzero_and_writes_nothing(mirror_zip, tmp_path):
    out = tmp_path / "x.jsonl"
    proc = cli("corpus", "pull", "없는법", "--mirror", str(mirror_zip), "--out", str(out))
    assert_one_line_error(proc, "no articles were pulled", "없는법", "nothing written")
    assert not out.exists()
    with pytest.raises(NothingPulled) as caught:
        pull(["없는법"], mirror=mirror_zip, out=out)
    assert caught.value.result.missing == ["없는법"] and not out.exists()


def test_pull_where_every_request_fails_exits_nonzero_and_keeps_the_old_file(not_found_server, tmp_path):
    out = tmp_path / "x.jsonl"
    out.write_text(PREVIOUS, encoding="utf-8")
    result = runner.invoke(app, ["corpus", "pull", "민법", "상법", "--source", "github", "--base-url", not_found_server,
                                 "--out", str(out), "--retries", "0", "--timeout", "2"])
    assert result.exit_code != 0
    assert isinstance(result.exception, NothingPulled) and "404" in str(result.exception)
    assert out.read_text(encoding="utf-8") == PREVIOUS  # untouched
    with pytest.raises(NothingPulled):
        pull(["민법"], source="github", base_url=not_found_server, client=HttpClient(timeout=2, retries=0))


def test_pull_strict_with_a_missing_law_writes_nothing(mirror_zip, tmp_path):
    out = tmp_path / "x.jsonl"
    args = ["corpus", "pull", "민법", "없는법", "--mirror", str(mirror_zip), "--out", str(out)]
    strict = runner.invoke(app, args + ["--strict"])
    assert strict.exit_code == 2 and not out.exists()
    assert "nothing written" in strict.output
    lenient = runner.invoke(app, args)  # without --strict the laws found are written, the missing one listed
    assert lenient.exit_code == 0 and "'없는법' was not found" in lenient.output
    assert {a.law for a in read_articles(out)} == {"민법"}


# ---- ingest ---------------------------------------------------------------------------------------
def test_ingest_that_reads_no_article_is_an_error(fixtures_dir, tmp_path):
    out = tmp_path / "a.jsonl"
    proc = cli("ingest", str(fixtures_dir / "ingest" / "markdown"), "--law", "형법", "--out", str(out))
    assert_one_line_error(proc, "no articles were read", "2 skipped by --law 형법", "nothing written")
    assert not out.exists()


def test_ingest_strict_failure_writes_no_output(fixtures_dir, tmp_path):
    out = tmp_path / "a.jsonl"
    out.write_text(PREVIOUS, encoding="utf-8")
    src = fixtures_dir / "ingest"
    result = runner.invoke(app, ["ingest", str(src / "bad"), str(src / "plaintext"), "--out", str(out), "--strict"])
    assert result.exit_code == 2, result.output
    assert "malformed.json:3" in result.output and "nothing written" in result.output
    assert out.read_text(encoding="utf-8") == PREVIOUS


# ---- output paths ---------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["ingest", "corpus"])
def test_out_that_is_a_directory_fails_up_front_in_one_line(command, fixtures_dir, mirror_zip, tmp_path):
    args = (["ingest", str(fixtures_dir / "ingest" / "markdown")] if command == "ingest"
            else ["corpus", "pull", "민법", "--mirror", str(mirror_zip)])
    proc = cli(*args, "--out", str(tmp_path))
    assert_one_line_error(proc, "--out", "is a directory")


def test_out_dash_is_refused_not_written_as_a_file_named_dash(fixtures_dir, tmp_path):
    # `--out -` meant standard output to the person who typed it; a file named '-' appeared in their folder
    proc = cli("ingest", str(fixtures_dir / "ingest" / "markdown"), "--out", "-")
    assert_one_line_error(proc, "--out -", "standard output is not written to")
    assert not (REPO / "-").exists()


def test_out_under_a_regular_file_fails_up_front(fixtures_dir, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = cli("ingest", str(fixtures_dir / "ingest" / "markdown"), "--out", str(blocker / "sub" / "a.jsonl"))
    assert_one_line_error(proc, "--out", "is a file, not a folder")


def test_out_that_is_an_input_fails_up_front_and_keeps_it(fixtures_dir, tmp_path):
    """`legalret ingest X --out X` replaced the statute file with its articles: refused in one line, X unchanged."""
    src = tmp_path / "상법.txt"
    shutil.copy(fixtures_dir / "ingest" / "plaintext" / "상법.txt", src)
    before = src.read_bytes()
    proc = cli("ingest", str(src), "--out", str(src))
    assert_one_line_error(proc, f"--out {src}: is one of the inputs", "give another path")
    assert src.read_bytes() == before
    proc = cli("ingest", str(tmp_path / "." / "상법.txt"), "--out", str(src))  # another spelling of the same file
    assert_one_line_error(proc, "is one of the inputs")
    assert src.read_bytes() == before


def test_out_that_a_folder_glob_or_archive_reads_is_refused(fixtures_dir, tmp_path):
    folder = tmp_path / "laws"
    shutil.copytree(fixtures_dir / "ingest" / "plaintext", folder)
    archive = tmp_path / "mirror.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(folder / "상법.txt", "legalize-kr/상법.txt")
    for sources, out in (([str(folder)], folder / "상법.txt"), ([str(folder / "*.txt")], folder / "상법.txt"),
                         ([str(archive)], archive)):
        with pytest.raises(OutputError, match="is one of the inputs"):
            check_not_an_input(out, sources)
    check_not_an_input(folder / "new.jsonl", [str(folder)])  # a new file: fine
    (folder / "old.jsonl").write_text("{}\n", encoding="utf-8")
    check_not_an_input(folder / "old.jsonl", [str(folder)])  # not read by the walk (not a statute file): fine


def test_out_in_an_unwritable_folder_fails_up_front(fixtures_dir, mirror_zip):
    target = Path("/sys/legalret-test/a.jsonl")  # sysfs refuses new files even to root
    try:
        check_output_path(target)
    except OutputError:
        pass
    else:
        pytest.skip("/sys is writable here")
    for args in (["ingest", str(fixtures_dir / "ingest" / "markdown")],
                 ["corpus", "pull", "민법", "--mirror", str(mirror_zip)]):
        proc = cli(*args, "--out", str(target))
        assert_one_line_error(proc, "--out", "cannot write in /sys")


def test_write_failure_is_one_line_and_leaves_the_old_file(tmp_path, monkeypatch, fixtures_dir):
    import errno

    out = tmp_path / "a.jsonl"
    out.write_text(PREVIOUS, encoding="utf-8")
    articles = ingest([fixtures_dir / "ingest" / "markdown"]).articles
    real_open = open

    def full_disk_open(file, mode="r", *a, **kw):
        if "w" in mode and str(file).startswith(str(tmp_path / ".a.jsonl")):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(file, mode, *a, **kw)

    monkeypatch.setattr("builtins.open", full_disk_open)
    with pytest.raises(OutputError, match=r"no space left on the device\); nothing was written"):
        write_articles_out(out, articles)
    monkeypatch.undo()
    assert out.read_text(encoding="utf-8") == PREVIOUS
    assert [p.name for p in tmp_path.iterdir()] == ["a.jsonl"]  # no temp file left


# ---- lossy mojibake -------------------------------------------------------------------------------
def _broken_markdown(fixtures_dir, tmp_path, extra: str = "") -> Path:
    clean = (fixtures_dir / "ingest" / "markdown" / "민법" / "법률.md").read_text(encoding="utf-8")
    head, body = clean.split("\n---", 1)
    broken = head + "\n---" + corrupt(extra + body)  # the body as a cp1252 reader with errors='ignore' left it
    path = tmp_path / "민법" / "법률.md"
    path.parent.mkdir()
    path.write_text(broken, encoding="utf-8")
    return path


def test_lossy_middle_dot_is_repaired(fixtures_dir, tmp_path):
    """'ㆍ' (E3 86 8D) loses its last byte in cp1252: it was kept as 'ã†' (issue #11)."""
    body = "\n\n##### 제999조 (시험)\n\n사원ㆍ주주ㆍ채권자는 권리ㆍ의무를 진다.\n"
    path = _broken_markdown(fixtures_dir, tmp_path, body)
    assert "ã†" in path.read_text(encoding="utf-8")
    result = ingest([path])
    text = next(a for a in result.articles if a.key == "민법 제999조").body_text()
    assert text == "사원ㆍ주주ㆍ채권자는 권리ㆍ의무를 진다.", text
    # ㆍ is the only reading its bytes allow: no guess. Syllables rebuilt from lost bytes with rivals (원/웍, 의/영)
    # are guesses, listed (since 2026-12-07), none of them ㆍ
    assert result.report.uncertain and all("guessed from lost bytes" in w.reason for w in result.report.uncertain)
    assert not any("'ㆍ' at" in w.reason or "ㆍ(" in w.reason for w in result.report.uncertain)


def test_uncertain_mojibake_is_a_warning_and_fails_strict(fixtures_dir, tmp_path):
    # '점' (EC A0 90) and '적' (EC A0 81) both lose their last byte: alone, nothing tells them apart
    body = "\n\n##### 제999조 (시험)\n\n이 점 그 적 저 점\n"
    path = _broken_markdown(fixtures_dir, tmp_path, body)
    result = ingest([path])
    assert result.report.uncertain, "expected an uncertain repair"
    assert all(w.field == "mojibake" and w in result.report.warnings for w in result.report.uncertain)
    # the warning names the doubtful character, its other reading and the text around it (it had shown the span's
    # first 40 characters, which in a long span need not hold it)
    shown = str(result.report.uncertain[0])
    assert ("'점' at" in shown and "(or '적'" in shown) or ("'적' at" in shown and "(or '점'" in shown), shown
    assert "… 그 적 저 점" in shown or "이 점 그" in shown, shown
    out = tmp_path / "a.jsonl"
    # without --strict the file is left out of the JSONL (its guesses would reach the index unmarked through it):
    # here it is the only file, so nothing is written, in one line naming it (it had been written, exit 0)
    lenient = runner.invoke(app, ["ingest", str(path), "--out", str(out)])
    assert lenient.exit_code == 1 and "mojibake low-confidence" in lenient.output  # shown without --warnings
    assert "--accept-uncertain-repairs" in str(lenient.exception) and not out.exists()
    accepted = runner.invoke(app, ["ingest", str(path), "--out", str(out), "--accept-uncertain-repairs"])
    assert accepted.exit_code == 0 and out.exists()
    out.unlink()
    strict = runner.invoke(app, ["ingest", str(path), "--out", str(out), "--strict"])
    assert strict.exit_code == 2 and "uncertain mojibake repair" in strict.output and not out.exists()


def test_strict_json_summary_says_why_and_that_nothing_was_written(fixtures_dir, tmp_path):
    import json

    out = tmp_path / "a.jsonl"
    src = fixtures_dir / "ingest"
    result = runner.invoke(app, ["ingest", str(src / "bad"), str(src / "plaintext"), "--out", str(out), "--strict",
                                 "--json"])
    assert result.exit_code == 2 and not out.exists()
    summary = json.loads(result.stdout[result.stdout.index("{"): result.stdout.rindex("}") + 1])
    assert summary["strict_failed"] is True and summary["written"] == 0 and summary["errors"] >= 1
    assert any("malformed.json:3" in e for e in summary["error_list"])
