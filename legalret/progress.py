"""One progress style for long work (rich), silent when not attached to a terminal unless asked."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterable, Iterator, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

T = TypeVar("T")

#: Messages and progress go to stderr so that ``--json`` output on stdout stays machine-readable.
console = Console(stderr=True)


def track(items: Iterable[T], description: str, total: int | None = None, disable: bool | None = None) -> Iterator[T]:
    """Iterate with a progress bar on stderr (auto-disabled when stderr is not a terminal)."""
    if disable is None:
        disable = not sys.stderr.isatty()
    if disable:
        yield from items
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with _progress() as progress:
        task = progress.add_task(description, total=total)
        for item in items:
            yield item
            progress.advance(task)


@contextmanager
def _progress():
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as p:
        yield p
