"""Output files of ingest-like commands: checked before any work starts, written atomically or not at all.

A run that reads for minutes and then dies on ``--out`` (a directory, an unwritable folder) wastes the
work and prints a traceback; :func:`check_output_path` says what is wrong in one line before anything is
read, and :func:`write_articles_out` turns a late failure (disk full) into the same kind of line.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> check_output_path(folder / "new" / "articles.jsonl").name
'articles.jsonl'
>>> check_output_path(folder)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
legalret.ingest.output.OutputError: --out ...: is a directory; give a file path such as .../articles.jsonl
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Iterable

from legalret.errors import LegalretError


class OutputError(LegalretError):
    """An output path cannot be written (a directory, a file in the way, no permission, disk full)."""


def check_output_path(path: str | os.PathLike, option: str = "--out") -> Path:
    """Fail fast, in one line, when ``path`` cannot become a regular file; returns it as a Path.

    Checks: not an existing directory; every existing ancestor is a directory; the nearest existing
    folder accepts a new file (tried for real, so read-only mounts and ACLs count, not just mode bits).
    Missing folders are fine (the writer creates them)."""
    if str(path) == "-":  # (had written a file named '-' where a pipe was meant; the summary goes to the terminal)
        raise OutputError(f"{option} -: standard output is not written to; give a file path such as articles.jsonl")
    path = Path(path).expanduser()
    if path.is_dir():
        raise OutputError(f"{option} {path}: is a directory; give a file path such as {path / 'articles.jsonl'}")
    if path.exists() and not path.is_file():
        raise OutputError(f"{option} {path}: exists and is not a regular file")
    parent = path.parent
    while not parent.exists():
        if parent.is_symlink():  # a dangling link: mkdir would fail later
            raise OutputError(f"{option} {path}: {parent} is a broken symbolic link")
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{option} {path}: {parent} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".legalret-write-check.")
    except OSError as e:
        raise OutputError(f"{option} {path}: cannot write in {parent} ({_why(e)})") from None
    os.close(fd)
    os.unlink(probe)
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"{option} {path}: the file is read-only")
    return path


#: How much of an existing --out :func:`check_not_other_data` reads to find its first line.
_HEAD = 1 << 20


def check_not_other_data(path: str | os.PathLike, option: str = "--out") -> None:
    """Fail fast, in one line, when ``path`` is a file that holds something other than articles — its first line no
    article record (``law`` and ``number``): `corpus pull 민법 --out train_queries.jsonl` had replaced a pairs file
    without a word. An articles JSONL (a pull or ingest before) and an empty file are written over, as before."""
    path = Path(path).expanduser()
    if not path.is_file():
        return
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD)  # (not line by line: a binary file need not hold a line break for a gigabyte)
    except OSError:
        return  # (check_output_path says what is wrong with it)
    first = next((line for line in head.splitlines() if line.strip()), b"")
    if not first:
        return
    try:
        record = json.loads(first)
    except ValueError:
        record = None
    # (a first line longer than the head read is an article's when it starts as one: write_articles puts law first)
    longer = len(first) >= _HEAD - 1 and first.startswith(b'{"law"')
    if not (longer or isinstance(record, dict) and "law" in record and "number" in record):
        try:
            line = first.decode("utf-8")
        except UnicodeDecodeError:
            line = "\x00"
        shown = "binary data" if "\x00" in line else f"first line: {line.strip()[:40]!r}"
        raise OutputError(f"{option} {path}: holds something other than articles ({shown}); writing it would replace "
                          "that — give another path, or delete the file first")


def check_not_an_input(path: str | os.PathLike, sources, option: str = "--out") -> None:
    """Fail fast, in one line, when ``path`` is one of the files ``sources`` name or hold (a file named twice, a file a
    folder or glob would read, an archive): writing it would replace the statutes being read with their articles.

    >>> check_not_an_input(__file__, [__file__])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    legalret.ingest.output.OutputError: --out ...output.py: is one of the inputs (...output.py); writing it would replace what is read — give another path
    """
    from legalret.ingest.sources import iter_sources

    path = Path(path).expanduser()
    if not path.is_file():
        return  # nothing there yet: it cannot be read
    try:
        target = path.stat()
    except OSError:
        return
    # the files behind the sources, each once: a zip's thousands of members are one archive to compare
    names = dict.fromkeys(src.name.split("!", 1)[0] if "!" in src.name and not Path(src.name).exists() else src.name
                          for src in iter_sources(sources, errors=[]))
    for name in names:
        try:
            st = os.stat(name)
        except (OSError, ValueError):
            continue
        if (st.st_dev, st.st_ino) == (target.st_dev, target.st_ino):  # the same file, whatever the spelling or link
            raise OutputError(f"{option} {path}: is one of the inputs ({name}); writing it would replace what is "
                              "read — give another path")


def write_articles_out(path: str | os.PathLike, articles: Iterable, option: str = "--out") -> int:
    """:func:`legalret.articles.write_articles` (atomic), with OS failures as one-line :class:`OutputError`.

    On failure nothing is left behind: the temp file is removed and an existing ``path`` is untouched."""
    from legalret.articles import write_articles

    try:
        return write_articles(path, articles)
    except OSError as e:
        raise OutputError(f"{option} {path}: could not write ({_why(e)}); nothing was written") from None


def _why(e: OSError) -> str:
    if e.errno == errno.ENOSPC:
        return "no space left on the device"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if e.errno == errno.EROFS:
        return "read-only file system"
    return e.strerror or str(e)
