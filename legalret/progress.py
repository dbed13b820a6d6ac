"""One progress style for long work, proportional to the items done, quiet where nobody is watching.

* **terminal** (stderr is a TTY): a rich bar — ``encoding articles ━━━━━━╸━━━ 512/1157 44% 38/s 0:00:13 ETA 0:00:17``;
* **log** (stderr redirected, CI): one plain line every ``interval`` seconds (10 by default) and one at the
  end, only for work that ran that long — ``encoding articles: 512/1157 (44%), 38/s, ETA 17s``;
* **off**: nothing.

``LEGALRET_PROGRESS=bar|plain|off`` forces a mode; ``LEGALRET_PROGRESS_INTERVAL`` sets the seconds
between plain lines. Work is counted in *items*, whatever the loop steps over: a loop over batches says
how many items each batch holds, so 1,157 articles encoded in chunks show 1,157 steps, not 3.

Usage::

    from legalret.progress import track, progress

    for text in track(texts, "tokenizing"):                     # one item per step
        ...
    for batch in track(batches, "encoding articles", total=n_articles, advance=len):
        encode(batch)                                            # advances by len(batch) items
    with progress("writing", total=n_bytes, unit="B") as p:     # explicit advances
        p.advance(len(chunk))
"""

from __future__ import annotations

import math
import sys
import time
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, TextIO, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

T = TypeVar("T")

#: Messages and progress go to stderr so that ``--json`` output on stdout stays machine-readable. A message is one line
#: however long (``soft_wrap``): in a pipe rich takes 80 columns and had broken notes mid-sentence (grep lost them);
#: tables still fit the width.
console = Console(stderr=True, soft_wrap=True, emoji=False)  # "file:100: …" is a line number, not rich's 💯

#: A command's report — what it did, the output it exists for: ``ingest``'s summary, ``index add``'s changes, a
#: rollback's line — goes to stdout, as ``index info`` and ``doctor`` print theirs, so that ``legalret index add … >
#: add.log`` keeps it (three users had found such a log empty: every line had gone to stderr). Progress, notes,
#: warnings and errors stay on stderr (:data:`console`). Under ``--json`` stdout is the JSON's: :func:`report_console`.
report = Console(soft_wrap=True, emoji=False)


def report_console(as_json: bool = False) -> Console:
    """Where a command's human report goes: stdout (:data:`report`), or stderr when ``--json`` writes stdout."""
    return console if as_json else report

#: Seconds between plain progress lines when stderr is not a terminal.
DEFAULT_INTERVAL = 10.0
MODES = ("bar", "plain", "off")


def progress_mode(disable: bool | None = None, stream: TextIO | None = None) -> str:
    """'bar', 'plain' or 'off': ``disable=True`` → off; ``LEGALRET_PROGRESS`` if set; else a bar on a
    terminal and plain lines elsewhere."""
    if disable:
        return "off"
    from legalret.config import progress_setting

    forced = progress_setting()[0]
    if forced in MODES:
        return forced
    stream = stream or sys.stderr
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # closed or replaced stream
        tty = False
    return "bar" if tty else "plain"


def _interval() -> float:
    try:
        from legalret.config import progress_setting

        return max(0.0, float(progress_setting()[1] or DEFAULT_INTERVAL))
    except ValueError:
        return DEFAULT_INTERVAL


class Reporter:
    """Counts items done and shows them in the chosen mode; use through :func:`progress` / :func:`track`.

    ``advance(n)`` adds ``n`` items; ``line()`` is the plain-text status (also what the log mode prints)."""

    def __init__(self, description: str, total: int | None = None, *, mode: str = "plain", unit: str = "",
                 interval: float | None = None, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic):
        self.description, self.total, self.mode, self.unit = description, total, mode, unit
        self.interval = _interval() if interval is None else interval
        self.stream = stream
        self.clock = clock
        self.done = 0
        self.start = clock()
        self._next_line = self.start + self.interval
        self.lines_printed = 0
        self._bar: Progress | None = None
        self._task = None

    # -- lifecycle -------------------------------------------------------------------------------------
    def __enter__(self) -> "Reporter":
        if self.mode == "bar":
            self._bar = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                _RateColumn(self.unit), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=console, transient=False)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._bar is not None:
            self._bar.__exit__(exc_type, exc, tb)
        elif self.mode == "plain" and exc_type is None and self.lines_printed:
            self._print(self.line(final=True))  # a long stage in a log ends with its totals

    # -- counting --------------------------------------------------------------------------------------
    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.advance(self._task, n)
        elif self.mode == "plain" and self.interval >= 0:
            now = self.clock()
            # the step that completes the work prints nothing here: the final line follows at once
            if now >= self._next_line and not (self.total and self.done >= self.total):
                self._print(self.line())
                self._next_line = now + self.interval

    @property
    def rate(self) -> float:
        elapsed = self.clock() - self.start
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self, final: bool = False) -> str:
        """``encoding articles: 512/1157 (44%), 38/s, ETA 17s`` (at the end: ``…, done in 31s``)."""
        unit = f" {self.unit}" if self.unit else ""
        if self.total:
            count = f"{self.done:,}/{self.total:,}{unit} ({100 * self.done / self.total:.0f}%)"
        else:
            count = f"{self.done:,}{unit}"
        parts = [f"{self.description}: {count}", f"{_fmt_rate(self.rate)}{unit}/s"]
        if final:
            parts.append(f"done in {_fmt_seconds(self.clock() - self.start)}")
        elif self.total and self.rate > 0:
            parts.append(f"ETA {_fmt_seconds(max(self.total - self.done, 0) / self.rate)}")
        return ", ".join(parts)

    def _print(self, text: str) -> None:
        stream = self.stream or sys.stderr
        stream.write(text + "\n")
        stream.flush()
        self.lines_printed += 1


@contextmanager
def progress(description: str, total: int | None = None, *, disable: bool | None = None, unit: str = "",
             interval: float | None = None, stream: TextIO | None = None) -> Iterator[Reporter]:
    """A :class:`Reporter` for explicit ``advance(n)`` calls (see the module docstring for the modes)."""
    with Reporter(description, total, mode=progress_mode(disable, stream), unit=unit, interval=interval,
                  stream=stream) as reporter:
        yield reporter


def track(items: Iterable[T], description: str, total: int | None = None, disable: bool | None = None, *,
          advance: Callable[[T], int] | None = None, unit: str = "", interval: float | None = None,
          stream: TextIO | None = None) -> Iterator[T]:
    """Iterate ``items`` with progress on stderr.

    ``total`` counts items of work (default: ``len(items)``); ``advance(item)`` says how many of them one
    step did (``advance=len`` for a loop over batches; default 1). ``disable=True`` is silent; ``None``
    chooses by ``LEGALRET_PROGRESS`` and whether stderr is a terminal."""
    mode = progress_mode(disable, stream)
    if mode == "off":
        yield from items
        return
    if total is None and advance is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with Reporter(description, total, mode=mode, unit=unit, interval=interval, stream=stream) as reporter:
        for item in items:
            yield item
            reporter.advance(advance(item) if advance is not None else 1)


class _RateColumn(ProgressColumn):
    """Items per second (rich's own speed column is for bytes)."""

    def __init__(self, unit: str = ""):
        super().__init__()
        self.unit = f" {unit}" if unit else ""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{_fmt_rate(speed)}{self.unit}/s", style="progress.data.speed")


def _fmt_rate(rate: float) -> str:
    if rate >= 100:
        return f"{rate:,.0f}"
    if rate >= 10:
        return f"{rate:.0f}"
    return f"{rate:.1f}" if rate >= 0.1 or rate == 0 else f"{rate:.2g}"


def _fmt_seconds(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
