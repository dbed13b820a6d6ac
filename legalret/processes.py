"""Child processes that do not outlive their parent.

A build's read-ahead process and the workers of ``legalret serve --workers N`` are children that only make sense
while their parent lives: killed hard (``kill -9``, the OOM killer), the parent runs no clean-up, and a child left
behind keeps reading for nobody or keeps serving the port, reparented to init.

Usage::

    from legalret.processes import die_with_parent

    die_with_parent(signal.SIGTERM, parent=supervisor_pid)   # first thing in the child
"""

from __future__ import annotations

import os
import signal

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
