"""Errors legalret raises on purpose. Every message names what the user can act on."""

from __future__ import annotations

import zipfile
import zlib

#: What reading a file or an archive member raises when its bytes are bad — a member whose CRC does not match
#: (``zipfile.BadZipFile``), a corrupt deflate stream (``zlib.error``), a truncated one (``EOFError``), I/O errors:
#: readers turn it into a :class:`SourceError` naming the file, and the batch goes on.
UNREADABLE = (OSError, EOFError, zipfile.BadZipFile, zlib.error)


class LegalretError(Exception):
    """Base class: the CLI prints these as one clear line and exits non-zero."""


class SourceError(LegalretError):
    """Bad input data. Carries where it happened: ``path:line[:column]: field: reason``."""

    def __init__(self, path: str, reason: str, *, line: int | None = None, field: str | None = None,
                 column: int | None = None):
        self.path, self.reason, self.line, self.field, self.column = str(path), reason, line, field, column
        where = self.path + (f":{line}" if line is not None else "") + (f":{column}" if line is not None and column else "")
        what = f"{field}: " if field else ""
        super().__init__(f"{where}: {what}{reason}")

    def __reduce__(self):  # pickled with its fields (a build's read-ahead process hands its skipped records back)
        from functools import partial

        return partial(SourceError, line=self.line, field=self.field, column=self.column), (self.path, self.reason)


class NetworkError(LegalretError):
    """A remote source could not be reached or answered badly (after retries)."""


class ModelError(LegalretError):
    """A model spec could not be resolved or loaded (hub unreachable, bad directory, bad bundle)."""


class IndexError_(LegalretError):
    """An on-disk index is missing, corrupted, locked, or does not match the requested encoder."""


class TrainingError(LegalretError):
    """Training data or a training run failed a guard (bad columns, too few pairs, stuck loss, NaN metric)."""
