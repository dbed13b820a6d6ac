"""How a benchmark's result files name the index it ran on: the folder's name, generation and size, not its path.

An absolute ``--index`` path only says where the index sat on one machine (``/root/.cache/…``, ``/tmp/…``);
committed results carry what a reader can use instead — the folder's name, its live generation and what it
holds (manifests record no corpus name; the counts say it) — and the command with ``--index`` given by that name::

    from index_names import index_label, index_name, recorded_command

    md = f"Index {index_label(args.index)}; …"       # `index-all-ng` (gen-000002: 132,123 searchable articles of 3,195 laws)
    settings = {"index": index_name(args.index), "command": recorded_command("style_eval.py", argv)}
"""

from __future__ import annotations

import sys
from pathlib import Path


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


def recorded_command(script: str, argv: list[str] | None = None) -> str:
    """``python benchmarks/<script> ARGS`` as the run was called (``argv``, default ``sys.argv[1:]``), the
    ``--index`` value (``--index X`` or ``--index=X``) by the folder's name."""
    args = list(sys.argv[1:] if argv is None else argv)
    for i, arg in enumerate(args):
        if arg == "--index" and i + 1 < len(args):
            args[i + 1] = index_name(args[i + 1])
        elif arg.startswith("--index="):
            args[i] = "--index=" + index_name(arg.partition("=")[2])
    return " ".join(["python", f"benchmarks/{script}", *args])
