"""Child processes: ones that do not outlive their parent, and new Python processes that run this legalret.

A build's read-ahead process and the workers of ``legalret serve --workers N`` are children that only make sense
while their parent lives: killed hard (``kill -9``, the OOM killer), the parent runs no clean-up, and a child left
behind keeps reading for nobody or keeps serving the port, reparented to init.

Usage::

    from legalret.processes import die_with_parent

    die_with_parent(signal.SIGTERM, parent=supervisor_pid)   # first thing in the child

Servers, workers and timed searches are new ``python -m legalret`` processes; :func:`legalret_command` makes them
run the legalret this process imported, wherever they are started from::

    cmd, env = legalret_command("serve", "--index", str(index_dir), env={"LEGALRET_RESIDENT": "off"})
    subprocess.Popen(cmd, env=env)
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

#: ``prctl`` option: the signal Linux sends a process when the thread that created it exits.
PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL, parent: int | None = None) -> bool:
    """Ask Linux to send this process ``sig`` when its parent dies; with ``parent`` (the pid it had), send it at once
    when the parent is already gone (it may die before this call). False where ``prctl`` is not there (not Linux):
    the caller's child then ends its own way (a closed pipe, a stop message)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig)
    except (OSError, AttributeError):
        return False
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), sig)
    return True


def package_root() -> str | None:
    """The folder this process imported legalret from — None when it is a site-packages folder (found there anyway;
    first on the path it would come before the standard library)."""
    import site

    root = Path(__file__).resolve().parent.parent
    sites = {Path(p).resolve() for p in (*site.getsitepackages(), site.getusersitepackages())}
    return None if root in sites else str(root)


def legalret_command(*args: str, env: Mapping[str, str] | None = None,
                     code: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The command and environment for a new process that runs *this* process's legalret with ``args``
    (``python -P -m legalret ARGS``; with ``code``, ``python -P -c CODE ARGS``), on ``env`` (default: this
    process's environment) with the package's folder first on ``PYTHONPATH``.

    ``python -m legalret`` alone puts the working folder first on the child's path: started from inside another
    checkout (a folder holding a ``legalret/`` of its own) the child ran that code — a resident server "of other
    code", replaced at every search; a benchmark that timed another version than the one it reports."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root(), env.get("PYTHONPATH")) if p)
    head = [sys.executable, "-P", "-c", code] if code is not None else [sys.executable, "-P", "-m", "legalret"]
    return [*head, *args], env
