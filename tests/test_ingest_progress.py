"""legalret.progress: proportional (per item, batches advance by their size), a bar with rate and ETA in a
terminal, periodic plain lines in logs, nothing when disabled; and the ingest command's use of it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from legalret import progress as progress_module
from legalret.progress import Reporter, progress, progress_mode, track


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_mode_follows_the_stream_and_the_environment(monkeypatch):
    monkeypatch.delenv("LEGALRET_PROGRESS", raising=False)
    assert progress_mode(stream=io.StringIO()) == "plain"
    assert progress_mode(stream=TTY()) == "bar"
    assert progress_mode(disable=True, stream=TTY()) == "off"
    monkeypatch.setenv("LEGALRET_PROGRESS", "off")
    assert progress_mode(stream=TTY()) == "off"
    monkeypatch.setenv("LEGALRET_PROGRESS", "plain")
    assert progress_mode(stream=TTY()) == "plain"


def test_plain_lines_are_periodic_with_rate_and_eta():
    clock, out = FakeClock(), io.StringIO()
    with Reporter("encoding articles", total=1157, mode="plain", interval=10, stream=out, clock=clock) as r:
        for _ in range(36):  # 36 batches of 32 articles (+5), one batch every 0.84 s
            clock.now += 0.84
            r.advance(32)
        clock.now += 0.2
        r.advance(5)
    lines = out.getvalue().splitlines()
    # 30.4 s of work, a line every 10 s (at 10.08, 20.16 and 30.24 s), then the totals
    assert len(lines) == 4, lines
    assert lines[0] == "encoding articles: 384/1,157 (33%), 38/s, ETA 20s"
    assert lines[1] == "encoding articles: 768/1,157 (66%), 38/s, ETA 10s"
    assert lines[-1] == "encoding articles: 1,157/1,157 (100%), 38/s, done in 30s"


def test_short_work_prints_nothing_in_a_log():
    out = io.StringIO()
    assert list(track(range(1000), "quick", stream=out, interval=10)) == list(range(1000))
    assert out.getvalue() == ""


def test_batches_advance_by_their_size():
    clock, out = FakeClock(), io.StringIO()
    batches = [list(range(512)), list(range(512)), list(range(133))]
    reporter_seen = []
    original = Reporter.advance

    def spy(self, n=1):
        reporter_seen.append(n)
        clock.now += 5
        original(self, n)

    Reporter.advance = spy
    try:
        with Reporter("x", total=1157, mode="plain", interval=0, stream=out, clock=clock):
            pass
        got = list(track(batches, "encoding articles", total=1157, advance=len, stream=out, interval=0))
    finally:
        Reporter.advance = original
    assert got == batches and reporter_seen == [512, 512, 133]
    assert "1,157/1,157 (100%)" in out.getvalue()


def test_bar_shows_count_rate_and_eta(monkeypatch):
    out = io.StringIO()
    fake = progress_module.Console(file=out, force_terminal=True, width=160, color_system=None)
    monkeypatch.setattr(progress_module, "console", fake)
    monkeypatch.setenv("LEGALRET_PROGRESS", "bar")
    with progress("encoding articles", total=1157) as p:
        for _ in range(10):
            p.advance(32)
    text = out.getvalue()
    assert "encoding articles" in text and "320/1157" in text and "/s" in text and "ETA" in text


def test_disabled_is_silent(capsys):
    assert sum(track(range(10), "x", disable=True)) == 45
    with progress("x", total=3, disable=True) as p:
        p.advance(3)
    assert capsys.readouterr().err == ""


def test_unknown_total_counts_without_percent():
    clock, out = FakeClock(), io.StringIO()
    with Reporter("reading", mode="plain", interval=1, stream=out, clock=clock, unit="files") as r:
        clock.now += 2
        r.advance(7)
    assert out.getvalue().splitlines()[0] == "reading: 7 files, 3.5 files/s"


def test_ingest_in_a_log_gets_plain_progress_lines(fixtures_dir, tmp_path):
    """The real command with stderr to a file: periodic lines, no bar (interval 0 → a line per file)."""
    env = dict(os.environ, LEGALRET_PROGRESS_INTERVAL="0", NO_COLOR="1")
    env.pop("LEGALRET_PROGRESS", None)
    log = tmp_path / "log.txt"
    with open(log, "w") as err:
        proc = subprocess.run([sys.executable, "-m", "legalret", "ingest", str(fixtures_dir / "ingest" / "markdown"),
                               "--out", str(tmp_path / "a.jsonl")], stderr=err, stdout=subprocess.PIPE,
                              cwd=Path(__file__).resolve().parents[1], env=env, timeout=120)
    text = log.read_text(encoding="utf-8")
    assert proc.returncode == 0, text
    lines = [line for line in text.splitlines() if line.startswith("reading statute files:")]
    assert lines and lines[-1].startswith("reading statute files: 2/2 files (100%)") and "done in" in lines[-1]
    assert "━" not in text  # no bar characters in a log
