"""Is a folder an index, empty, or somebody else's? Asked before an index is read or written there.

``--index /etc`` had been answered "no index at /etc: build one with `legalret index build SOURCES --index /etc`",
and a build into a folder of the user's own files had written its generations beside them. This module (the
standard library only: a cold ``legalret search`` asks before it imports the index code or picks a resident
server) names what such a folder holds, for the one-line refusals of the CLI, the store, the server and MCP.

Usage::

    from legalret.index.folder import foreign_folder, not_an_index_message

    foreign_folder(Path("/etc"))            # 'PackageKit/, UPower/, X11/ and 142 more'
    foreign_folder(Path("index/"))          # None: an index, an empty folder or no folder
    not_an_index_message(Path("/etc"))      # '/etc is not a legalret index: the folder holds other files (…) …'
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: What an index folder holds besides its generations (:mod:`legalret.index.store`'s layout): the pointer, the
#: writer's lock, the temp folder of a generation being written and the pointer's own temp file. A folder holding
#: only leftovers of a build that died before its first generation counts as empty.
_INDEX_LEFTOVERS = re.compile(r"^(\.lock|\.tmp-.*|\.CURRENT\..*\.tmp)$")
#: Files an operating system or a file manager puts in any folder it shows (macOS, Windows): a folder holding only
#: those is empty to the user, and an index may go there.
_SYSTEM_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", ".localized"})
_GENERATION = re.compile(r"^gen-\d{6}$")


def foreign_folder(folder: Path) -> str | None:
    """What a folder that is neither empty nor an index holds — its first entries, for a message
    (``"notes.txt, photos/ and 3 more"``) — or None: no such folder, not a folder, a legalret index (a ``CURRENT``
    pointer or a generation, even a damaged one: the store says what is wrong with it), empty (or only a dead
    build's leftovers, or a file manager's .DS_Store), or a folder that cannot be listed (the store's own error says
    why)."""
    try:
        if not folder.is_dir() or _is_pointer(folder / "CURRENT"):
            return None
        others = []
        with os.scandir(folder) as entries:
            for entry in entries:
                if _GENERATION.match(entry.name) and entry.is_dir():
                    return None
                if not _INDEX_LEFTOVERS.match(entry.name) and entry.name not in _SYSTEM_FILES:
                    others.append(entry.name + ("/" if entry.is_dir() else ""))
    except OSError:
        return None
    if not others:
        return None
    others.sort(key=lambda name: (name.startswith("."), name))  # the user's own names first, hidden ones last
    return ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")


def not_an_index_message(folder: Path) -> str | None:
    """The one line for reading an index from a folder of other files (None when it is not one)."""
    held = foreign_folder(folder)
    if held is None:
        return None
    inner = folder / "index"
    if _is_pointer(inner / "CURRENT"):  # (LEGALRET_HOME given for its index: Searcher("~/.legalret"))
        return f"{folder} is not a legalret index: it holds one in {inner} (did you mean {inner}?)"
    return (f"{folder} is not a legalret index: the folder holds other files ({held}) and no index generation; give "
            "--index the folder an index was built into (a new index goes into a new or empty folder)")


def _is_pointer(path: Path) -> bool:
    """Whether ``path`` is an index's pointer file ({"generation": …}), not a file that only has its name (a LevelDB
    folder holds a CURRENT too)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and b'"generation"' in head
