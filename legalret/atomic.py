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

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# The process umask, read once (os.umask can only be read by setting it).
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str = ".tmp", fsync: bool = False) -> Iterator[Path]:
    """Yield a temporary path in ``path``'s directory; when the block succeeds it replaces ``path``.

    The result gets ordinary file permissions (``mkstemp`` makes files private). ``suffix`` matters for
    writers that append their own extension (``numpy.savez`` adds ``.npz`` unless the name ends with it).
    ``fsync`` flushes the data to disk before the rename (index files)."""
    path = Path(path)
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
