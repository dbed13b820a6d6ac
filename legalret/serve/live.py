"""A searcher that follows the index: after ``legalret index add`` the next request sees the new generation.

Every request calls :meth:`LiveSearcher.get`, which costs one ``stat`` of the index's ``CURRENT`` pointer. When
the pointer changed, a new :class:`~legalret.search.searcher.Searcher` is opened and warmed in a background
thread and swapped in with one assignment; the request that noticed the change — and any that arrive during
the load — wait for it (at most :data:`RELOAD_WAIT_S`), so the first search after an ``index add`` already
answers from the new generation, as a person who just ran the add expects. A request that already holds
the old searcher finishes on it (earlier generations stay on disk: ``index add --keep``), so nothing in
flight fails. ``get(wait=False)`` (``/healthz``: a liveness probe must not block) serves the old one meanwhile.

With ``missing_ok`` (``legalret mcp``: an agent's client shows a server that exits at start as "disconnected", and
nothing more) it starts without a generation when the index is missing, damaged or not built yet: :meth:`get` raises
:class:`NoGeneration`, one line saying why (:attr:`LiveSearcher.problem`), until ``CURRENT`` names a generation that
opens — the first request after a build finishes is answered from it, with no restart.

Usage::

    live = LiveSearcher("idx/")            # opens and warms the current generation (blocking, once)
    gen = live.get()                       # one stat; when CURRENT moved, waits for the new generation
    gen.searcher.search("유치권 간접점유")
    live.wait_for_reload()                 # tests: block until a pending reload has been swapped in
    LiveSearcher("none/", missing_ok=True).get()   # NoGeneration: "no index at none: build one with …"
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import Callable

from legalret.errors import IndexError_, LegalretError
from legalret.index.store import CURRENT, current_generation, no_index_message, pointer_stamp

log = logging.getLogger("legalret.serve")

#: The longest a request waits for a newer generation to load before it is answered from the old one.
RELOAD_WAIT_S = 120.0
#: After a failed reload, the same pointer is tried again no sooner than this: a generation copied in after its
#: ``CURRENT`` (rsync, cp) is picked up once its files are there — it had been served stale until ``CURRENT`` moved.
RETRY_FAILED_S = 10.0


def _stamp(index_dir: Path) -> tuple | None:
    """The version of ``index_dir``'s ``CURRENT`` (:func:`~legalret.index.store.pointer_stamp`); None when missing."""
    return pointer_stamp(index_dir / CURRENT)


class NoGeneration(IndexError_):
    """No generation to serve yet (a :class:`LiveSearcher` started with ``missing_ok``): the index is missing,
    damaged, or still being built. The message is one line saying why and what to do."""


def problem_line(error: BaseException) -> str:
    """Why a generation could not be opened, in one line: a :class:`~legalret.errors.LegalretError`'s own message
    (``no index at …: build one with …``), anything else with its type."""
    text = str(error) if isinstance(error, LegalretError) else f"{type(error).__name__}: {error}"
    return (text.strip().splitlines() or [type(error).__name__])[0]


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
    ``warm`` runs one query through a freshly opened searcher before it serves (loads the encoder, Kiwi).
    ``missing_ok``: an index that cannot be opened now (missing, damaged, being built) is no error here — the
    searcher starts with no generation (:attr:`current` is None, :attr:`problem` says why) and :meth:`get` raises
    :class:`NoGeneration` until ``CURRENT`` names one that opens. Without it (the default) the constructor raises."""

    def __init__(self, index_dir: str | os.PathLike, *, factory: Callable | None = None, warm: bool = True,
                 missing_ok: bool = False):
        self.index_dir = Path(index_dir)
        self._factory = factory or _default_factory
        self._warm = warm
        self._lock = threading.Lock()  # guards _reloading and the swap
        self._reloading: threading.Thread | None = None
        self.last_error: str | None = None  # why the latest reload failed (served on /healthz)
        self._failed: tuple[tuple | None, float] | None = None  # (the pointer stamp that failed, when)
        self.reloads = 0
        #: why there is no generation to serve (``missing_ok`` only; None once one is served)
        self.problem: str | None = None
        self._current: Generation | None = None
        if not missing_ok:
            self._current = self._open()
            return
        stamp = _stamp(self.index_dir)
        try:
            self._current = self._open()
        except Exception as e:  # (what get() will say until the index is there)
            self.problem = problem_line(e)
            self._failed = (stamp, time.monotonic())
            log.info("no generation of %s to serve yet: %s", self.index_dir, self.problem)

    # ---- public ---------------------------------------------------------------------------------
    @property
    def current(self) -> Generation | None:
        """The generation served now; None only when started with ``missing_ok`` and none has opened yet."""
        return self._current

    def get(self, wait: bool = True) -> Generation:
        """The generation to serve this request from. When ``CURRENT`` moved, a reload starts and (``wait``)
        this call waits for it, so the answer comes from the generation ``CURRENT`` names now; a failed reload
        keeps the old generation (``last_error`` says why). With no generation yet (``missing_ok``): the one
        ``CURRENT`` names now, opened in this call (``wait``), or :class:`NoGeneration` saying why there is none."""
        cur = self._current
        stamp = _stamp(self.index_dir)
        if cur is None:
            return self._first(stamp, wait)
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

    def wait_for_reload(self, timeout: float = 120.0) -> Generation | None:
        """Block until a reload in progress (if any) finished; the generation now served (None: none yet)."""
        with contextlib.suppress(NoGeneration):
            self.get(wait=False)
        thread = self._reloading
        if thread is not None:
            thread.join(timeout)
        return self._current

    def reload_now(self) -> Generation:
        """Open the live generation in this thread and swap it in (used after a failed request)."""
        stamp = _stamp(self.index_dir)
        if stamp is not None and (self._current is None or stamp != self._current.stamp):
            self._start_reload(stamp)
        return self.wait_for_reload()

    # ---- internals ------------------------------------------------------------------------------
    def _first(self, stamp: tuple | None, wait: bool) -> Generation:
        """:meth:`get` with no generation served yet: open the one ``CURRENT`` names, or say why there is none."""
        if stamp is None:  # no pointer: no folder, no generation in it yet (a first build), or the pointer lost
            try:
                current_generation(self.index_dir)
            except LegalretError as e:
                self.problem = problem_line(e)
                raise NoGeneration(self.problem) from None
            stamp = _stamp(self.index_dir)  # (it appeared just now)
            if stamp is None:
                raise NoGeneration(self.problem or no_index_message(self.index_dir))
        if not self._failed_lately(stamp):
            self._start_reload(stamp)
            thread = self._reloading
            if wait and thread is not None:
                thread.join(RELOAD_WAIT_S)
        if self._current is None:
            raise NoGeneration(self.problem if not self.reloading and self.problem else
                               f"{self.index_dir}: its generation is being opened; try again in a moment")
        return self._current

    def _failed_lately(self, stamp: tuple) -> bool:
        """This pointer failed to load less than :data:`RETRY_FAILED_S` ago (not retried on every request)."""
        failed = self._failed
        return failed is not None and failed[0] == stamp and time.monotonic() - failed[1] < RETRY_FAILED_S

    def _open(self) -> Generation:
        # Read the pointer before opening: if it moves while we load, the next get() sees a new stamp.
        stamp = _stamp(self.index_dir)
        searcher = self._factory(self.index_dir)
        searcher.says_moved = False  # (a request in flight at a switch is answered from its generation, unremarked)
        if self._warm:
            searcher.warmup()
        return Generation(searcher.data.path.name, searcher, stamp)  # what the searcher really opened

    def _start_reload(self, stamp: tuple) -> None:
        with self._lock:
            if self._reloading is not None and self._reloading.is_alive():
                return
            if self._current is not None and self._current.stamp == stamp:
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
            if self._current is None:  # (missing_ok: still none to serve; get() says why)
                self.problem = problem_line(e)
                log.error("opening %s failed: %s", self.index_dir, self.last_error)
            else:
                log.error("reload of %s failed, still serving %s: %s", self.index_dir, self._current.name,
                          self.last_error)
            # Remembered, so a broken generation is not retried on every request: a newer write retries at once, the
            # same pointer after RETRY_FAILED_S (its generation may still be arriving)
            self._failed = (_stamp(self.index_dir), time.monotonic())
            return
        with self._lock:
            old = self._current
            self._current = gen  # one assignment: requests see the old or the new searcher, never a mix
            self.reloads += 1
            self.last_error = None
            self.problem = None
            self._failed = None
        log.info("now serving %s (was %s; opened in %.1f s)", gen.name, old.name if old is not None else "none",
                 time.perf_counter() - t0)


def _default_factory(index_dir: Path):
    from legalret.search.searcher import Searcher

    return Searcher(index_dir)
