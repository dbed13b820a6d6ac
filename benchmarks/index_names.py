"""How a benchmark's result files name the index it ran on and the files it read: never by a machine's path.

An absolute ``--index`` path only says where the index sat on one machine (``/root/.cache/…``, ``/tmp/…``);
committed results carry what a reader can use instead — the folder's name, its live generation and what it
holds (manifests record no corpus name; the counts say it) — and the command with ``--index`` given by that name.
Every other path a result records (questions, holdings, a mirror, a checkout) goes through ``portable_path``:
where a reader finds it (``benchmarks/queries/…``, ``../shared/data/…``, ``$LEGALRET_HOME/…``), else its name::

    from index_names import index_label, index_name, portable_path, recorded_command

    md = f"Index {index_label(args.index)}; …"       # `index-all-ng` (gen-000002: 132,123 searchable articles of 3,195 laws)
    settings = {"index": index_name(args.index), "questions": portable_path(args.questions),
                "holdings": args.holdings and portable_path(args.holdings),   # None stays None
                "command": recorded_command("style_eval.py", argv)}
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: This checkout: a path inside it is recorded relative to it (the commands run from its root).
REPO = Path(__file__).resolve().parents[1]


def index_name(index: str | Path) -> str:
    """The index folder's own name (``.`` and a trailing ``/`` resolved), what a result records for ``--index``."""
    return Path(index).resolve().name


def index_label(index: str | Path) -> str:
    """The index as a report's Markdown names it: its folder's name, live generation and size."""
    from legalret.index.store import read_manifest

    manifest = read_manifest(index)
    c = manifest.get("counts") or {}
    return (f"`{index_name(index)}` ({manifest.get('generation')}: {c.get('searchable', 0):,} searchable "
            f"articles of {c.get('laws', 0):,} laws)")


def portable_path(path: str | Path) -> str:
    """``path`` (relative to the working directory, ``~`` expanded) as a reader of a committed result can use it:

    * in this checkout → relative to its root (``benchmarks/queries/user_questions.jsonl``; the root itself ``.``);
    * in the shared data folder (``legalret.config.shared_data_dir()``) → ``../shared/data/<rest>``, where it sits
      next to a checkout;
    * in the legalret home (``legalret.config.legalret_home()``) → ``$LEGALRET_HOME/<rest>``;
    * anywhere else (``/tmp/…``, another checkout) → its last component, as :func:`index_name` names an index.

    The most specific of the three places wins (a home or data folder inside the checkout, say).
    """
    from legalret.config import legalret_home, shared_data_dir  # lazily: check_hot_paths picks the legalret first

    p = Path(path).expanduser().resolve()
    data = shared_data_dir()
    places = [(REPO, None), (legalret_home().resolve(), "$LEGALRET_HOME")]
    if data is not None:
        places.append((data.resolve(), "../shared/data"))
    inside = [(root, name) for root, name in places if p.is_relative_to(root)]
    if not inside:
        return p.name or str(p)  # ``/`` has no name
    root, name = max(inside, key=lambda place: len(place[0].parts))
    rest = p.relative_to(root).as_posix()
    if name is None:
        return rest  # "." for the root itself
    return name if rest == "." else f"{name}/{rest}"


def _looks_like_path(value: str) -> bool:
    """An absolute (or ``~``) path, or a relative one with a ``/`` that exists here. Not a bare word (a
    subcommand, a split, a law's name) nor a model id such as ``intfloat/multilingual-e5-small``."""
    return value.startswith(("/", "~")) or ("/" in value and os.path.exists(value))


def recorded_command(script: str, argv: list[str] | None = None, folder: str = "benchmarks") -> str:
    """``python <folder>/<script> ARGS`` as the run was called (``argv``, default ``sys.argv[1:]``), its
    arguments by :func:`portable_args`."""
    return " ".join(["python", f"{folder}/{script}", *portable_args(sys.argv[1:] if argv is None else argv)])


def portable_args(args: list[str]) -> list[str]:
    """Command-line arguments as a result records them: the ``--index`` value (``--index X`` or ``--index=X``) by
    the folder's name and every other path-valued argument (``--flag PATH``, ``--flag=PATH`` or a positional one)
    by :func:`portable_path`."""
    out = []
    for i, arg in enumerate(args):
        if arg.startswith("--") and "=" in arg:
            flag, _, value = arg.partition("=")
        elif arg.startswith("-"):
            out.append(arg)
            continue
        else:
            flag, value = (args[i - 1] if i else ""), arg
        if flag == "--index":
            value = index_name(value)
        elif _looks_like_path(value):
            value = portable_path(value)
        out.append(f"{flag}={value}" if arg.startswith("--") else value)
    return out
