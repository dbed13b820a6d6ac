"""A searcher that follows the index: after ``legalret index add`` the next request sees the new generation.

Every request calls :meth:`LiveSearcher.get`, which costs one ``stat`` of the index's ``CURRENT`` pointer. When
the pointer changed, a new :class:`~legalret.search.searcher.Searcher` is opened and warmed in a background
thread and swapped in with one assignment; the request that noticed the change — and any that arrive during
the load — wait for it (at most :data:`RELOAD_WAIT_S`), so the first search after an ``index add`` already
answers from the new generation, as a person who just ran the add expects. A request that already holds
the old searcher finishes on it (earlier generations stay on disk: ``index add --keep``), so nothing in
flight fails. ``get(wait=False)`` (``/healthz``: a liveness probe must not block) serves the old one meanwhile.

Usage::

    live = LiveSearcher("idx/")            # opens and warms the current generation (blocking, once)
    gen = live.get()                       # one stat; when CURRENT moved, waits for the new generation
    gen.searcher.search("유치권 간접점유")
    live.wait_for_reload()                 # tests: block until a pending reload has been swapped in
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Callable

from legalret.index.store import CURRENT

log = logging.getLogger("legalret.serve")

#: The longest a request waits for a newer generation to load before it is answered from the old one.
RELOAD_WAIT_S = 120.0
#: After a failed reload, the same pointer is tried again no sooner than this: a generation copied in after its
#: ``CURRENT`` (rsync, cp) is picked up once its files are there — it had been served stale until ``CURRENT`` moved.
RETRY_FAILED_S = 10.0


def _stamp(index_dir: Path) -> tuple | None:
    """What identifies the pointer file's version: (inode, size, mtime_ns); None when it is missing.

    ``CURRENT`` is replaced with ``os.replace`` on every new generation, so the inode changes even when two
    writes land within one mtime tick."""
    try:
        st = os.stat(index_dir / CURRENT)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class Generation:
    """One opened generation: its name, its searcher, when it was opened, and the lock its searches take."""

    __slots__ = ("name", "searcher", "opened_at", "stamp", "lock")

    def __init__(self, name: str, searcher, stamp: tuple | None):
        self.name = name
        self.searcher = searcher
        self.opened_at = time.time()
        self.stamp = stamp
        self.lock = threading.Lock()


class LiveSearcher:
    """Holds the searcher of an index's live generation and swaps in a new one when the index changes.

    ``factory(index_dir)`` opens a searcher (default: :class:`~legalret.search.searcher.Searcher`);
    ``warm`` runs one query through a freshly opened searcher before it serves (loads the encoder, Kiwi)."""

    def __init__(self, index_dir: str | os.PathLike, *, factory: Callable | None = None, warm: bool = True):
        self.index_dir = Path(index_dir)
        self._factory = factory or _default_factory
        self._warm = warm
        self._lock = threading.Lock()  # guards _reloading and the swap
        self._reloading: threading.Thread | None = None
        self.last_error: str | None = None  # why the latest reload failed (served on /healthz)
        self._failed: tuple[tuple | None, float] | None = None  # (the pointer stamp that failed, when)
        self.reloads = 0
        self._current = self._open()

    # ---- public ---------------------------------------------------------------------------------
    @property
    def current(self) -> Generation:
        return self._current

    def get(self, wait: bool = True) -> Generation:
        """The generation to serve this request from. When ``CURRENT`` moved, a reload starts and (``wait``)
        this call waits for it, so the answer comes from the generation ``CURRENT`` names now; a failed reload
        keeps the old generation (``last_error`` says why)."""
        cur = self._current
        stamp = _stamp(self.index_dir)
        if stamp != cur.stamp and stamp is not None and not self._failed_lately(stamp):
            self._start_reload(stamp)
            thread = self._reloading
            if wait and thread is not None:
                thread.join(RELOAD_WAIT_S)
                return self._current
        return cur

    @property
    def reloading(self) -> bool:
        """True while a newer generation is being opened."""
        thread = self._reloading
        return thread is not None and thread.is_alive()

    def wait_for_reload(self, timeout: float = 120.0) -> Generation:
        """Block until a reload in progress (if any) finished; the generation now served."""
        self.get(wait=False)
        thread = self._reloading
        if thread is not None:
            thread.join(timeout)
        return self._current

    def reload_now(self) -> Generation:
        """Open the live generation in this thread and swap it in (used after a failed request)."""
        stamp = _stamp(self.index_dir)
        if stamp is not None and stamp != self._current.stamp:
            self._start_reload(stamp)
        return self.wait_for_reload()

    # ---- internals ------------------------------------------------------------------------------
    def _failed_lately(self, stamp: tuple) -> bool:
        """This pointer failed to load less than :data:`RETRY_FAILED_S` ago (not retried on every request)."""
        failed = self._failed
        return failed is not None and failed[0] == stamp and time.monotonic() - failed[1] < RETRY_FAILED_S

    def _open(self) -> Generation:
        # Read the pointer before opening: if it moves while we load, the next get() sees a new stamp.
        stamp = _stamp(self.index_dir)
        searcher = self._factory(self.index_dir)
        if self._warm:
            searcher.warmup()
        return Generation(searcher.data.path.name, searcher, stamp)  # what the searcher really opened

    def _start_reload(self, stamp: tuple) -> None:
        with self._lock:
            if self._reloading is not None and self._reloading.is_alive():
                return
            if self._current.stamp == stamp:
                return
            thread = threading.Thread(target=self._reload, name="legalret-reload", daemon=True)
            self._reloading = thread
            thread.start()

    def _reload(self) -> None:
        t0 = time.perf_counter()
        try:
            gen = self._open()
        except Exception as e:  # keep serving the old generation; say why on /healthz and in the log
            self.last_error = f"{type(e).__name__}: {e}"
            log.error("reload of %s failed, still serving %s: %s", self.index_dir, self._current.name, self.last_error)
            # Remembered, so a broken generation is not retried on every request: a newer write retries at once, the
            # same pointer after RETRY_FAILED_S (its generation may still be arriving)
            self._failed = (_stamp(self.index_dir), time.monotonic())
            return
        with self._lock:
            old = self._current
            self._current = gen  # one assignment: requests see the old or the new searcher, never a mix
            self.reloads += 1
            self.last_error = None
            self._failed = None
        log.info("now serving %s (was %s; opened in %.1f s)", gen.name, old.name, time.perf_counter() - t0)


def _default_factory(index_dir: Path):
    from legalret.search.searcher import Searcher

    return Searcher(index_dir)
