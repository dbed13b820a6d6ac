"""Atomic file writes: write beside the target, then ``os.replace`` — readers see the old file or the new
one, never half of one, and a crash leaves no partial file behind.

>>> from pathlib import Path; import tempfile
>>> target = Path(tempfile.mkdtemp()) / "out.json"
>>> with atomic_path(target) as tmp:
...     _ = tmp.write_text("{}", encoding="utf-8")
>>> target.read_text()
'{}'
"""

from __future__ import annotations

import errno
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# The process umask, read once (os.umask can only be read by setting it).
_UMASK = os.umask(0)
os.umask(_UMASK)


def shareable_dir(path: Path) -> None:
    """Give a folder made by ``mkdtemp`` (private, 0700) the permissions of an ordinary ``mkdir``: an index built by
    one user and served by another (``User=legalret``) could not be read at all — a PermissionError traceback."""
    os.chmod(path, 0o777 & ~_UMASK)


def write_target(path: str | os.PathLike) -> Path:
    """The file a write to ``path`` lands in: ``path`` itself, or — when ``path`` is a symbolic link (a chain of them,
    relative or absolute, dangling too) — the file it points to. A rename onto the link would replace the link
    with a regular file and leave its target as it was (``ingest --out link.jsonl``); writing as ``open(path, "w")``
    does means writing the target, in the target's folder (a rename never crosses file systems).

    >>> import os, tempfile
    >>> d = Path(tempfile.mkdtemp()); os.symlink("real.json", d / "link.json")
    >>> write_target(d / "link.json") == (d / "real.json").resolve()
    True
    """
    path = Path(path)
    if not path.is_symlink():
        return path
    target = Path(os.path.realpath(path))
    if target.is_symlink():  # a loop: realpath stops on one of its links (replacing it would break the loop silently)
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))
    return target


@contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str = ".tmp", fsync: bool = False) -> Iterator[Path]:
    """Yield a temporary path in ``path``'s directory; when the block succeeds it replaces ``path``.

    The result gets ordinary file permissions (``mkstemp`` makes files private). ``suffix`` matters for
    writers that append their own extension (``numpy.savez`` adds ``.npz`` unless the name ends with it).
    ``fsync`` flushes the data to disk before the rename (index files). A ``path`` that is a symbolic link is
    kept: the file it points to is replaced (:func:`write_target`)."""
    path = write_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if fsync:
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_dir(path: str | os.PathLike, *, fsync: bool = False) -> Iterator[Path]:
    """Yield an empty temporary directory beside ``path``; when the block succeeds it replaces ``path``.

    An existing ``path`` is moved aside first and removed after the swap, so a reader sees the old tree or
    the new one (there is a brief moment with neither: use a pointer file, as the index does, where that
    matters). A failure — or a kill — leaves ``path`` as it was and the temp dir (``.<name>.*.tmp``) to be
    removed by :func:`remove_stale_temps`. ``fsync`` flushes every file before the rename. A ``path`` that is a
    symbolic link is kept: the folder it points to is replaced (:func:`write_target`).

    >>> from pathlib import Path; import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "tree"
    >>> with atomic_dir(target) as tmp:
    ...     _ = (tmp / "a.txt").write_text("a", encoding="utf-8")
    >>> sorted(p.name for p in target.iterdir())
    ['a.txt']
    """
    import shutil

    path = write_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        yield tmp
        if fsync:
            fsync_tree(tmp)
        shareable_dir(tmp)
        old = None
        if path.exists():
            old = path.with_name(f".{path.name}.old-{os.getpid()}")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def fsync_tree(root: str | os.PathLike) -> None:
    """``fsync`` every file under ``root`` (before a rename makes the tree visible)."""
    for p in Path(root).rglob("*"):
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def remove_stale_temps(directory: str | os.PathLike, pattern: str = ".*.tmp") -> int:
    """Remove temp trees/files left in ``directory`` by a killed writer (call with the writer lock held)."""
    import shutil

    n = 0
    for p in Path(directory).glob(pattern):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        n += 1
    return n
