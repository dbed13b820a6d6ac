"""The memory parts of a new index generation: what :mod:`legalret.pipeline` hands the index build.

:mod:`legalret.index.build` writes article generations and knows nothing about precedents; it calls a ``parts``
callback with a :class:`~legalret.index.build.PartsContext` (the new articles, the previous generation, the
encoder) and writes the :class:`~legalret.index.store.GenerationPart` s it returns in the same atomic commit.
:class:`MemoryBuild` and :class:`MemoryUpdate` are those callbacks; what they did is on them afterwards
(``info``: the counts a report shows; ``migrated``: the old-layout folder moved into the generation).

Usage::

    from legalret.memory.update import MemoryBuild, MemoryUpdate

    build = MemoryBuild(read_precedents(["precedent-kr.zip"]), facts=None, dense=False)
    build_index(articles, "index/", parts=build)                      # build.info: {'items': …, 'skipped': …}
    update = MemoryUpdate("index/", precedents=read_precedents(["new-decisions/"]))
    report = add_to_index(amended, "index/", parts=update)           # update.info, update.migrated
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from legalret.errors import LegalretError
from legalret.index.build import PartsContext
from legalret.index.store import IndexData
from legalret.index.tokenize import KiwiTokenizer
from legalret.index.token_cache import TokenCache, cache_root
from legalret.keys import law_aliases, law_of
from legalret.memory.builder import (add_items, add_precedents, keep_only, memory_from_items, memory_texts, migrate_legacy,
                                     read_items, reresolve)
from legalret.memory.facts import (add_facts, build_facts_memory, decisions_of, facts_items, facts_memory_from_items,
                                   note_skipped_facts, rekey_facts)
from legalret.memory.format import FACTS_PART, MEMORY_PART, legacy_memory
from legalret.memory.retriever import VoteConfig, WeightConfig
from legalret.memory.sources import DecisionSources, RereadPlan, merged, records_of, reread_plan
from legalret.memory.store import PrecedentMemory
from legalret.precedents.citations import ArticleCatalog, predates_numbering, resolve
from legalret.precedents.facts import JoinReport, case_key
from legalret.precedents.parse import Precedent
from legalret.processes import die_with_parent
from legalret.progress import console, progress, track
from legalret.text import compact


def memory_settings() -> dict:
    """The retrieval settings stored with a memory (its tuned vote and weight parameters)."""
    return {"votes": asdict(VoteConfig()), "weights": asdict(WeightConfig())}


class MemoryBuild:
    """The ``parts`` callback of a fresh build: the holdings memory of ``precedents`` (their citations resolved
    against the new articles) and, with ``facts``, the facts memory; ``dense`` also encodes the holdings.

    Reading the decisions and the facts (and joining them) is single-threaded Python that needs no encoder and
    no tokenizer, so :meth:`prepare` — called by the build once the articles are known — starts it in a
    second process while the articles are encoded on the other core; that process then runs Kiwi over the
    holdings into the token cache until the build needs them (``read_ahead``: :func:`read_ahead_mode`, the
    same memories in every mode). ``encoder`` is the build's encoder afterwards."""

    def __init__(self, precedents: Iterable[Any] | None, facts: Iterable[Any] | None = None, dense: bool = False,
                 read_ahead: bool | None = None, sources: DecisionSources | None = None):
        if facts is not None and precedents is None:
            raise LegalretError("--facts needs --precedents: the facts are joined with the decisions' citations")
        self.precedents, self.facts, self.dense = precedents, facts, dense
        self.sources = sources  # the paths they were read from, recorded with the memory (memory.sources)
        self.read_ahead = read_ahead_enabled() if read_ahead is None else read_ahead
        self.tokens_ahead = self.read_ahead and tokens_ahead_enabled()
        self.info: dict = {}
        self.encoder: Any = None
        self._ahead: _ReadAhead | None = None

    def prepare(self, entries: Sequence[Any], tokenizer: Any = None,
                aliases: Mapping[str, str] | None = None) -> Callable[[], bool] | None:
        """Start reading the memories' inputs (see the class docstring) — and, given the build's tokenizer
        settings, tokenizing the holdings; the build calls this before encoding and leaves the process a core for
        as long as the returned ``busy()`` says it is working. ``aliases`` (old law name → new, the index's renames)
        resolve citations as :meth:`__call__`'s catalog does: without them a holding citing a renamed law's old name
        would be read as citing nothing here and left out."""
        if self.precedents is not None and self.read_ahead and self._ahead is None:
            then = partial(tokenize_ahead, tokenizer) if self.tokens_ahead and tokenizer is not None else None
            self._ahead = _ReadAhead(self._read, ArticleCatalog.from_articles(entries, aliases=aliases), then)
        return self._ahead.busy if self._ahead is not None else None

    def __call__(self, ctx: PartsContext) -> dict | None:
        self.encoder = ctx.encoder()
        if self.precedents is None:
            return None
        catalog = ArticleCatalog.from_articles(ctx.entries, aliases=ctx.aliases)
        ahead = self._ahead.result() if self._ahead is not None else None
        items, errors, facts_items, facts_report = ahead if ahead is not None else self._read(catalog, track)
        tokenizer = KiwiTokenizer(ctx.tokenizer)
        if self._ahead is not None and self._ahead.tokenized:  # its chunks, written since this process last looked
            self.info["tokenized_ahead"] = self._ahead.tokenized
            cache = TokenCache.for_tokenizer(tokenizer)
            if cache is not None:
                cache.refresh()
        memory = memory_from_items((), tokenizer=tokenizer, encoder=self.encoder if self.dense else None)
        keep_only(memory, catalog.__contains__)  # (only what build_memory would set: no item is filtered again)
        memory.errors.extend(errors)
        add_items(memory, items)
        memory.settings = memory_settings()
        if self.sources is not None:
            memory.sources = records_of(self.sources, live_laws(ctx))
        note_errors(memory)
        self.info.update(items=len(memory), skipped=len(memory.errors))
        if facts_items is None:
            return {MEMORY_PART: memory}
        facts_memory = facts_memory_from_items(facts_items)  # tokenized here, as the holdings are (the reading
        self.info["facts_items"] = len(facts_memory)           # process runs no tokenizer: see _ReadAhead)
        note_skipped_facts(facts_report)
        self.info.update(facts_skipped=len(facts_report.left_out), facts_unjoined=facts_report.unjoined)
        return {MEMORY_PART: memory, FACTS_PART: facts_memory}

    def _read(self, catalog: ArticleCatalog, track: Callable) -> tuple[list, list, list | None, JoinReport | None]:
        """The holdings' items (citations resolved against ``catalog``), the malformed records, the facts' items
        joined with those holdings and what the join left out (None, None without facts): reading only, no
        tokenizer and no encoder. ``track(iterable, description)`` shows the progress."""
        read = read_items(track(resolved(self.precedents, catalog), "reading precedents"),  # 72k: ~30 s
                          catalog.__contains__)
        if self.facts is None:
            return read.items, read.errors, None, None
        report = JoinReport()
        return read.items, read.errors, facts_items(track(self.facts, "reading facts"), decisions_of(read.items), report), report


def read_ahead_mode() -> str:
    """``LEGALRET_READ_AHEAD``: ``off`` reads the memories' inputs after the articles are encoded (as before
    the read-ahead; for comparisons); ``read`` reads them while the articles are encoded, in a second process;
    ``on`` (the default) also runs Kiwi over the holdings there once they are read, into the token
    cache, until the build needs them (see :func:`tokenize_ahead`). Read by :func:`legalret.config.env_read_ahead`:
    another value is a one-line error ('bogus' had quietly been ``on``)."""
    from legalret.config import env_read_ahead

    return env_read_ahead()


def read_ahead_enabled() -> bool:
    """Whether a build reads ahead (:func:`read_ahead_mode`) — on Linux with two cores or more (the read-ahead
    is a forked process, :class:`_ReadAhead`; elsewhere, or on one core, there is nothing to gain)."""
    return read_ahead_mode() != "off" and sys.platform.startswith("linux") and (os.cpu_count() or 1) >= 2


def tokens_ahead_enabled() -> bool:
    """Whether a read-ahead process also tokenizes the holdings: ``LEGALRET_READ_AHEAD`` ``on`` (the default), and a
    token cache to hand the tokens back through (``LEGALRET_TOKEN_CACHE=off``: nothing to hand them in)."""
    return read_ahead_mode() == "on" and cache_root() is not None


#: Holdings a read-ahead process tokenizes between looks at whether the build wants them (~1 s on one core).
TOKENS_AHEAD_CHUNK = 256


def tokenize_ahead(settings: Any, read: tuple, stop: Callable[[], bool], done: Callable[[int], None]) -> None:
    """In the read-ahead process, once it has read the decisions (``read``: its result, not sent yet): the holdings'
    BM25 tokens into the token cache, on one Kiwi thread (the build encodes on the other core), a chunk at a time
    until ``stop()`` — the build has reached its memory stage and tokenizes what is left on both cores, reading these
    from the cache. The tokens are Kiwi's whatever its thread count, so the memory is the same; ``done(n)`` counts
    them. On the main job, 19.3k of its 33.3k holdings are done so while the articles are encoded, and a first build
    takes 0.816× the time (``benchmarks/build_stages.py read-ahead --modes read,on``)."""
    tokenizer = KiwiTokenizer(settings, num_workers=1)  # a Kiwi of its own (tokenize._forget_kiwi_in_child)
    texts = memory_texts(read[0])
    for start in range(0, len(texts), TOKENS_AHEAD_CHUNK):
        if stop():
            return
        part = texts[start : start + TOKENS_AHEAD_CHUNK]
        tokenizer.tokenize_many(part)
        done(len(part))


#: A read-ahead process that has read no record for this long while the build waits for it is killed, and the
#: build reads in-process (a record takes about a millisecond; joining and pickling the result a few seconds).
STALLED_S = 120.0
#: Seconds a read-ahead process that has sent its result may take to end before it is killed.
STOP_WAIT_S = 30.0


class _ReadAhead:
    """``read(catalog, count)`` in a forked child process; :meth:`result` waits for it — showing its progress,
    since a build without an encoder reaches the memory stage at once — and unpickles what it sends back. With
    ``then``, the child goes on with ``then(result, stop, done)`` once it has read, until :meth:`result` asks it to
    stop (:func:`tokenize_ahead`), and only then sends the result: it is more than a pipe holds, so a send waits for
    the parent to read, which it does when it wants the result. ``tokenized`` counts what ``then`` did.

    A process, not a thread: a reading thread holds the GIL that torch's main thread needs between operations,
    and the encoding it was meant to overlap took longer by as much as the reading saved
    (``experiments/read_ahead_cores.py``: 400 articles in 12.7 s alone, 24.5–30.0 s beside a reading thread,
    19.7 s on one torch thread beside a reading process — the same as alone on one thread). Forked, because the
    child needs the caller's inputs as they are (generators over zips not yet opened: the parent's copies stay
    unread) and nothing is imported again; it runs no torch and no console, and Kiwi only as ``then`` does, its own
    (the parent's Kiwi objects are forgotten at the fork: their worker threads are not in the child). When the child
    fails in any way (an exception, killed, stalled, a result that does not unpickle), :meth:`result` returns None and the
    caller reads in-process, from its own unread inputs: the error, if it is one, is raised there as usual."""

    def __init__(self, read: Callable, catalog: ArticleCatalog, then: Callable | None = None):
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._done = context.RawValue("q", 0)  # records read so far (precedents, then facts); one writer: no lock
        self._read_s = context.RawValue("d", 0.0)  # seconds the child took to read, set once it has read all
        self._stop = context.RawValue("b", 0)  # set by the parent: the child's ``then`` ends after its current chunk
        self._then_done = context.RawValue("q", 0)  # what ``then`` did (holdings tokenized)
        self._working = context.RawValue("b", 1)  # 0 once the child only waits to send its result (busy() is False)
        self._conn, child_end = context.Pipe(duplex=False)
        self._process = context.Process(target=self._run, args=(read, catalog, child_end, then),
                                        name="legalret-read-ahead", daemon=True)
        self._t0 = time.perf_counter()
        self._process.start()
        child_end.close()

    def _count(self, items: Iterable[Any], description: str) -> Iterator[Any]:
        done = self._done
        for item in items:
            done.value += 1
            yield item

    def _run(self, read: Callable, catalog: ArticleCatalog, conn, then: Callable | None) -> None:  # in the child
        import pickle

        die_with_parent()  # a killed build leaves no reader behind (not Linux: it ends when it has read)
        out = None
        try:
            out = read(catalog, self._count)
            self._read_s.value = time.perf_counter() - self._t0  # (one monotonic clock for parent and child)
            payload = pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # noqa: BLE001 — the parent reads again in-process and raises it there
            payload = b""
        if then is not None and payload:  # before sending: the parent takes the payload (megabytes, more than the
            try:                           # pipe holds) only when it wants it, so a send first would wait till then
                then(out, lambda: bool(self._stop.value), self._count_then)
            except BaseException:  # noqa: BLE001 — only work ahead: the build does what is not in the cache
                pass
        self._working.value = 0  # idle from here: the send waits until the build takes the result
        conn.send_bytes(payload)
        conn.close()

    def _count_then(self, n: int) -> None:
        self._then_done.value += n

    @property
    def tokenized(self) -> int:
        """What the child's ``then`` did (holdings tokenized into the cache)."""
        return int(self._then_done.value)

    def busy(self) -> bool:
        """Still reading, or working ahead (not yet told to stop, not yet done): the encoder leaves it a core. Once
        the child has done all it can and only waits to send its result, the encoder takes both cores again: an
        all-law build had encoded on one thread for the hour after its read-ahead had tokenized every holding."""
        return self._process.is_alive() and not self._stop.value and bool(self._working.value)

    def result(self) -> tuple | None:
        import pickle

        self._stop.value = 1  # the build wants the memories now: whatever the child does after reading can end
        if not self._conn.poll():
            with progress("reading precedents and facts (started before encoding)") as shown:
                last, since = self._done.value, time.monotonic()
                while not self._conn.poll(0.25) and self._process.is_alive():
                    shown.advance(self._done.value - shown.done)
                    if self._done.value != last:
                        last, since = self._done.value, time.monotonic()
                    elif time.monotonic() - since > STALLED_S:  # stuck (it should never be): read in-process
                        self._process.kill()
                        break
        try:
            payload = self._conn.recv_bytes()
            out = pickle.loads(payload) if payload else None
        except (EOFError, OSError, pickle.UnpicklingError, AttributeError, TypeError, ValueError):
            out = None  # the child died (or sent what does not load): read in-process
        self._conn.close()
        self._process.join(STOP_WAIT_S)  # (it has sent its result: it ends now)
        if self._process.is_alive():  # (it should never be): what it did is in the cache, the rest is done here
            self._process.kill()
            self._process.join()
        if out is None:
            console.print("[yellow]read-ahead process gave no result; reading precedents and facts now[/]",
                          highlight=False)
            return None
        # the reading time is the child's own: the build may take the result long after it was ready
        ahead = f"; then tokenized {self.tokenized:,} holdings" if self.tokenized else ""
        console.print(f"[dim]read ahead: {self._done.value:,} precedents and facts in {self._read_s.value:.1f}s{ahead} "
                      f"(a second process; taken {time.perf_counter() - self._t0:.1f}s after its start)[/]",
                      highlight=False)
        return out


class MemoryUpdate:
    """The ``parts`` callback of ``index add``: keeps the memories consistent with the new articles.

    When articles changed, every holding's citations are re-resolved (:func:`~legalret.memory.builder.reresolve`:
    no item is dropped; ``info["silent_items"]`` cite nothing live now); ``precedents`` are added by case
    number; ``facts`` are joined with the (updated) holdings and added to the facts part (a new one when the
    index has none), which is re-resolved like the memory. A memory in the old layout is migrated into the
    new generation (``migrated``: its folder, for the caller to remove once the generation is written).
    Only the parts that changed are returned; None keeps the previous generation's parts as they are.

    The memory records the archives its decisions came from (``sources``, :mod:`legalret.memory.sources`). An add that
    brings in a law those archives were read without — and gives no decisions of its own — reads them again for the
    decisions citing it (``reread``; ``info["reread"]``, whose ``postponed`` are laws an earlier add brought in without
    reading them, said as such), when they are still there unchanged; otherwise it says which laws the memory has not
    read and the command that fills them in (``info["laws_not_read"]``)."""

    def __init__(self, index_dir: str | Path, precedents: Iterable[Any] | None = None, facts: Iterable[Any] | None = None,
                 sources: DecisionSources | None = None, reread: bool = True):
        self.index_dir, self.precedents, self.facts = Path(index_dir), precedents, facts
        self.sources, self.reread = sources, reread
        self.info: dict = {}
        self.migrated: Path | None = None
        self.cases: list[str] = []  # case keys the precedents added, replaced or withdrew
        self.rereading: RereadPlan | None = None  # the recorded archives read again, for the laws they lacked
        self.decisions_read = 0  # the precedents' records that were decisions (not malformed ones)

    def __call__(self, ctx: PartsContext) -> dict | None:
        tokenizer = KiwiTokenizer(ctx.tokenizer)
        memory = self._open_holdings(ctx.previous, tokenizer)
        facts_memory = _open_part(ctx.previous, FACTS_PART, tokenizer)
        if memory is None and self.precedents is None:
            if self.facts is not None:
                raise LegalretError(f"{self.index_dir}: --facts needs a precedent memory (build with --precedents, "
                                    "or give --precedents too): the facts are joined with the decisions' citations")
            return None  # nothing to keep consistent
        laws = live_laws(ctx)
        renamed = memory is not None and read_as_renamed(memory.sources, ctx.aliases)
        unread = None
        if memory is not None and self.precedents is None and self.facts is None:
            unread = self._plan_reread(memory, ctx, laws)
        # the old names of renamed laws (index add --rename) resolve to the new names' articles: their holdings vote
        catalog = ArticleCatalog.from_articles(ctx.entries, aliases=ctx.aliases)
        out: dict[str, PrecedentMemory] = {}
        memory = self._update_holdings(memory, ctx, catalog, tokenizer, out)
        if unread is not None and memory is not None:  # (counted once re-resolved: the holdings citing them now)
            self._note_unread_laws(memory, *unread)
        self._update_facts(facts_memory, memory, ctx, catalog, tokenizer, out)
        # decisions given are recorded even when none was new (an index from before the record learns its archives),
        # when they held a decision at all (a folder of malformed files is no archive), and so are archives read again
        # that held no decision citing the law (a made-up or renamed law: it had stayed "not read for", and each add
        # read the archives again for it); otherwise an add that changed nothing records nothing: "unchanged", no
        # generation written
        recording = (bool(out) or self.rereading is not None
                     or (self.sources is not None and bool(self.sources.precedents) and self.decisions_read > 0))
        if memory is not None and ((recording and self._record_sources(memory, laws)) or renamed):
            out[MEMORY_PART] = memory
        return out or None

    def _record_sources(self, memory: PrecedentMemory, laws: set[str]) -> bool:
        """The archives this add read, recorded with the memory (read again: their laws now); whether any was."""
        read = self.sources
        if self.rereading is not None:
            read = DecisionSources(tuple(self.rereading.precedents), tuple(self.rereading.facts))
        if read is None:
            return False
        now = merged(memory.sources, records_of(read, laws))
        if [r.to_dict() for r in now] == [r.to_dict() for r in memory.sources]:
            return False  # the same archives, unchanged, for the same laws: nothing to write
        memory.sources = now
        return True

    def _plan_reread(self, memory: PrecedentMemory, ctx: PartsContext, laws: set[str]) -> tuple | None:
        """Read the recorded archives again for the laws they were read without (an add of 형법 to a 민법+상법 index:
        the decisions citing 형법 join, with their facts), or return what :meth:`_note_unread_laws` says instead (the
        laws, why not, the command that reads them) once the memory is re-resolved."""
        if not memory.sources:  # an index from before the record: only what this add brought in can be told
            before = set(ctx.previous.column("laws")) if ctx.previous is not None else set()
            return laws - before, [], f"legalret index add {decision_options()} --index {_quoted(self.index_dir)}"
        plan = reread_plan(memory.sources, laws)
        if not plan.laws:
            return None
        if not self.reread or not plan.ready:
            self.info["reread_refused"] = plan.problems or ["--no-reread-decisions"]
            return plan.laws, self.info["reread_refused"], reread_command(memory.sources, plan, self.index_dir)
        from legalret.precedents.facts import read_facts
        from legalret.precedents.parse import naming_any, read_precedents

        self.rereading = plan
        # (what the first read could not parse was said then: the decisions read again are those citing new laws,
        # and only the documents naming one of them are parsed — a made-up law's add had parsed all 72k, 93 s)
        self.precedents = read_precedents(plan.precedents, on_error=_ignore,
                                          mentions=naming_any(law_spellings(plan.laws, ctx.aliases)))
        self.facts = read_facts(plan.facts, on_error=_ignore) if plan.facts else None
        # laws the index held before this add: an earlier add brought them in and left their decisions out
        # (--no-reread-decisions, or an archive then gone) — read now by an add of other laws (a 민법 amendment read
        # the decisions for 채무자회생법: 119 s instead of 20, with no word of why)
        held = set(ctx.previous.manifest.get("laws", {})) if ctx.previous is not None else set()
        postponed = sorted(plan.laws & held)
        self.info["reread"] = {"laws": sorted(plan.laws), "postponed": postponed, "precedents": plan.precedents,
                               "facts": plan.facts}
        files = ", ".join(Path(p).name for p in plan.precedents + plan.facts)
        if not postponed:
            console.print(f"[dim]precedent memory: reading {files} again for the decisions citing "
                          f"{_named_laws(sorted(plan.laws))} (its decisions were read before "
                          f"{'it' if len(plan.laws) == 1 else 'they'} joined this index; --no-reread-decisions leaves "
                          "them out)[/]", highlight=False, soft_wrap=True)
            return None
        joining = sorted(plan.laws - held)
        now = f"{_named_laws(joining)}, joining this index now, and " if joining else ""
        console.print(f"[yellow]precedent memory:[/] reading {files} again for the decisions citing {now}"
                      f"{_named_laws(postponed)}, postponed when an earlier add brought "
                      f"{'it' if len(postponed) == 1 else 'them'} in (minutes on a full archive; "
                      "--no-reread-decisions postpones it again)", highlight=False, soft_wrap=True)
        return None

    def _note_unread_laws(self, memory: PrecedentMemory, unread: set[str], problems: list[str], command: str) -> None:
        """Laws of the index whose decisions the memory never read (``info["laws_not_read"]``: law → holdings that
        cite it), said once: the memory keeps only holdings citing an article of the index as it was when the
        decisions were read, so after adding 형법 it holds just the few that also cite 민법 or 상법 — and 형법
        questions get almost no votes until the decisions are read for it. ``problems``: why the recorded archives
        were not read again; ``command``: what reads them."""
        if not unread:
            return
        citing, holdings = dict.fromkeys(sorted(unread), 0), 0
        for item in memory.items:
            laws = {law_of(k) for k in item.keys} & unread
            holdings += bool(laws)
            for law in laws:
                citing[law] += 1
        self.info["laws_not_read"] = citing
        note_unread_laws(citing, holdings, problems, command)

    def _counted(self, precedents: Iterable[Any]) -> Iterator[Any]:
        for precedent in precedents:
            self.decisions_read += isinstance(precedent, (Precedent, dict))
            yield precedent

    def _open_holdings(self, previous: IndexData | None, tokenizer) -> PrecedentMemory | None:
        """The previous generation's holdings memory, or the old layout's read for migration (the one place)."""
        memory = _open_part(previous, MEMORY_PART, tokenizer)
        legacy = legacy_memory(self.index_dir) if memory is None else None
        if legacy is not None:
            memory = migrate_legacy(legacy, tokenizer=tokenizer)
            memory.settings = memory_settings()
            self.migrated = legacy
        return memory

    def _update_holdings(self, memory: PrecedentMemory | None, ctx: PartsContext, catalog: ArticleCatalog,
                         tokenizer, out: dict) -> PrecedentMemory | None:
        changed = self.migrated is not None  # a migrated memory is written whatever else happens
        if memory is not None and (ctx.articles_changed or changed):
            counts = reresolve(memory, catalog)
            self.info.update(counts)
            changed = changed or counts["changed"] > 0
        if self.precedents is not None:
            if memory is None:
                memory = PrecedentMemory(tokenizer=tokenizer)
                memory.settings = memory_settings()
            keep_only(memory, catalog.__contains__)
            decisions = track(resolved(self._counted(self.precedents), catalog), "reading precedents")  # (72k: ~40 s)
            if self.rereading is not None:  # only the decisions citing the laws they were not read for
                decisions = citing(decisions, self.rereading.laws)
            counts = add_precedents(memory, decisions, encoder=ctx.encoder() if memory.has_dense else None)
            note_errors(memory)
            self.cases = counts.pop("cases")
            note_withdrawn(counts.pop("withdrawn_cases"))
            self.info.update({f"precedents_{k}": v for k, v in counts.items()})
            changed = changed or bool(self.cases)
        if memory is not None:
            self.info["items"] = len(memory)
        if changed:
            out[MEMORY_PART] = memory
        return memory

    def _update_facts(self, facts_memory: PrecedentMemory | None, memory: PrecedentMemory | None, ctx: PartsContext,
                      catalog: ArticleCatalog, tokenizer, out: dict) -> None:
        if facts_memory is not None and ctx.articles_changed:
            counts = reresolve(facts_memory, catalog)
            self.info.update({f"facts_{k}": v for k, v in counts.items() if k != "items"})
            if counts["changed"]:
                out[FACTS_PART] = facts_memory
        if facts_memory is not None and memory is not None and self.cases:
            rekeyed = rekey_facts(facts_memory, memory, self.cases)  # the decisions changed: their facts vote as their holdings now
            self.info["facts_rekeyed"] = rekeyed
            if rekeyed:
                out[FACTS_PART] = facts_memory
        if self.facts is not None:
            report = JoinReport()
            facts = track(self.facts, "reading facts")
            holdings: Any = memory
            if self.rereading is not None:  # the facts of the decisions read again (the others are unchanged)
                touched = set(self.cases)
                holdings = decisions_of([it for it in memory.items if case_key(it.case_no) in touched]
                                        if memory is not None else [])
            if facts_memory is None:
                facts_memory = build_facts_memory(facts, holdings, report=report)  # (an existing one keeps its tokenizer)
                counts = {"items": len(facts_memory)}
            else:
                counts = add_facts(facts_memory, facts, holdings, report)
            note_skipped_facts(report)
            # (read again, the archive's facts of other decisions join nothing, as they should)
            counts.update(skipped=len(report.left_out), unjoined=report.unjoined if self.rereading is None else 0)
            self.info.update({f"facts_{k}": v for k, v in counts.items()})
            if counts["items"]:
                out[FACTS_PART] = facts_memory
        if facts_memory is not None:
            self.info["facts_items"] = len(facts_memory)


def _open_part(previous: IndexData | None, part: str, tokenizer) -> PrecedentMemory | None:
    if previous is None or part not in previous.parts:
        return None
    return PrecedentMemory.load(previous.path / part, tokenizer=tokenizer)


def resolved(precedents: Iterable[Any], catalog: ArticleCatalog) -> Iterator[Any]:
    """Each holding's citations resolved against the articles of *this* index, so a holding votes only
    for live articles the index can return (whatever catalog, if any, the precedents were read with)."""
    for precedent in precedents:
        if isinstance(precedent, Precedent):  # plain records (dicts) carry resolved keys already
            for holding in precedent.holdings:
                if holding.citations:
                    holding.keys, _ = resolve(holding.citations, catalog)
                # a decision made before today's numbering cited the replaced code (의용민법, 구 상법)
                holding.keys = [k for k in holding.keys if not predates_numbering(k, precedent.decided)]
        yield precedent


def note_withdrawn(cases: list[str], shown: int = 10) -> None:
    """The decisions whose new records cite no article of the index: their holdings stopped voting (said, since an
    add that removes votes should never be silent; ``index rollback`` brings them back)."""
    if cases:
        more = f" and {len(cases) - shown} more" if len(cases) > shown else ""
        console.print(f"[yellow]withdrawn:[/] {len(cases)} decision(s) whose new record cites no article of this index "
                      f"(or cites its law by numbers older than its current text) no longer vote: "
                      f"{', '.join(cases[:shown])}{more}", highlight=False, soft_wrap=True)


def read_as_renamed(records: Sequence[Any], aliases: dict[str, str]) -> bool:
    """Count each recorded decision archive read for a renamed law's old name (``aliases``: old → new, ``index add
    --rename``) as read for its new name too, in place; whether any record changed. Its decisions citing the old name
    were kept and resolve to the new name's articles (the catalog reads the old name as the new one): reading the
    archives again for the new name — minutes on a full archive — would find only those."""
    changed = False
    for record in records:
        if record.kind != "precedents":
            continue
        now = set(record.laws)
        new = {name for old, name in aliases.items() if old in now} - now
        if new:
            record.laws = sorted(now | new)
            changed = True
    return changed


def live_laws(ctx: PartsContext) -> set[str]:
    """The laws of the new generation's searchable articles."""
    return {e.law for e in ctx.entries if not e.deleted}


def law_spellings(laws: Iterable[str], renames: Mapping[str, str]) -> set[str]:
    """Every compact way a decision may name one of ``laws``: the name, its registered short names
    (:func:`~legalret.keys.law_aliases`) and the old names the index renamed to it (``renames``: old → new)."""
    wanted = {compact(law) for law in laws}
    others = {**law_aliases(), **renames}
    return wanted | {compact(alias) for alias, name in others.items() if compact(name) in wanted}


def citing(precedents: Iterable[Any], laws: set[str]) -> Iterator[Any]:
    """The decisions (citations resolved: :func:`resolved`) with a holding that cites one of ``laws``."""
    for precedent in precedents:
        if any(law_of(k) in laws for holding in getattr(precedent, "holdings", ()) for k in holding.keys):
            yield precedent


def _ignore(error: Any) -> None:
    """``on_error`` of an archive read again: its unreadable records were said when it was first read."""


def _named_laws(names: list[str], shown: int = 5) -> str:
    more = f" and {len(names) - shown} more laws" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def reread_command(recorded: Sequence[Any], plan: RereadPlan, index_dir: Path) -> str:
    """The command that reads the decisions for ``plan.laws``: ``legalret index add --index DIR`` when the recorded
    archives can be read again (the add reads them itself), else one naming them (where they were: put back, or given
    from where they are now)."""
    if plan.ready:
        return f"legalret index add --index {_quoted(index_dir)}"
    wanted = [r for r in recorded if r.kind == "facts" or not plan.laws <= set(r.laws)]
    return f"legalret index add {decision_options(wanted)} --index {_quoted(index_dir)}"


def _quoted(path: Path | str) -> str:
    return shlex.quote(str(path))


def note_unread_laws(citing: dict[str, int], holdings: int, problems: Sequence[str], command: str) -> None:
    """Say which laws the precedent memory has read no decisions for (``holdings``: how many of its holdings cite any
    of them; see :meth:`MemoryUpdate._note_unread_laws`), why its recorded archives were not read again
    (``problems``), and the ``command`` that reads them."""
    names = list(citing)
    them = "it" if len(names) == 1 else "them"
    cite = (f"only {holdings} of its holdings cite {them} (those that also cite another law indexed then)" if holdings
            else f"none of its holdings cites {them}")
    why = f" ({'; '.join(problems)})" if problems else ""
    console.print(f"[yellow]precedent memory:[/] its decisions were read before {_named_laws(names)} "
                  f"joined this index, so {cite}{why}; to add the decisions citing {them}: {command}", highlight=False,
                  soft_wrap=True)


def decision_options(recorded: Sequence[Any] = ()) -> str:
    """``--precedents … --facts …``: the memory's recorded archives (still there or not: where they were), else the
    shared data's archives when this machine has them (what the main job's memory is built from: a command to
    paste), else placeholders."""
    from legalret.config import shared_data_dir

    if any(r.kind == "precedents" for r in recorded):
        return " ".join(f"--{r.kind} {shlex.quote(r.path)}" for r in sorted(recorded, key=lambda r: r.kind != "precedents"))

    data = shared_data_dir()
    decisions = data / "precedents" / "precedent-kr.zip" if data else None
    if decisions is None or not decisions.is_file():
        return "--precedents DECISIONS [--facts FACTS]"
    facts = decisions.with_name("precedent-facts.zip")
    return f"--precedents {decisions}" + (f" --facts {facts}" if facts.is_file() else "")


def note_errors(memory: PrecedentMemory) -> None:
    """The first skipped precedent records, on the console (the rest counted)."""
    for err in memory.errors[:10]:
        console.print(f"[yellow]skipped precedent:[/] {err}", highlight=False)
    if len(memory.errors) > 10:
        console.print(f"[yellow]… and {len(memory.errors) - 10} more skipped precedents[/]", highlight=False)
