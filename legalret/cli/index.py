"""``legalret index build|add|remove|rollback|forget|export|info``.

Examples::

    legalret index build civil-commercial --index idx/            # corpus manifest: 민법+상법 from the mirror
    legalret index build ../shared/data/statutes/legalize-kr.zip --law 민법 --law 상법 --index idx/ --model none
    legalret index build articles.jsonl --index idx/ --model bundled:me5-small --adapter runs/lora/adapter
    legalret index build civil-commercial --index idx/ --precedents ../shared/data/precedents/precedent-kr.zip
    legalret index add amended/민법/법률.md --index idx/            # prints added / changed / removed / unchanged
    legalret index add --precedents new-decisions/ --index idx/     # new holdings join the precedent memory
    legalret index build civil-commercial --index idx/ --precedents precedent-kr.zip --facts precedent-facts.zip
    legalret index add --facts new-facts.jsonl --index idx/         # facts of decisions the memory holds
    legalret index add 주택임차인보호법.md --rename --index idx/      # a held law (same 법령ID) under its new name
    legalret index remove 상법 --index idx/                          # a law removed whole (a new generation)
    legalret index rollback --index idx/                            # the previous generation becomes live
    legalret index forget 2 --index idx/                            # a kept generation removed (last copies: --yes)
    legalret index info --index idx/ --verify
    LEGALRET_HOME=~/other legalret index export --index idx/        # queries without torch under another home
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Optional

import typer
from rich.markup import escape
from typer._click.exceptions import UsageError
from typer.core import TyperGroup

from legalret.config import DEFAULT_PASSAGE_MAX_TOKENS
from legalret.errors import LegalretError
from legalret.index.folder import foreign_folder, not_an_index_message
from legalret.progress import console, report_console
from legalret.progress import report as report_out

#: Commands people look for under ``index`` that are not there, and where what they want is: the generations and
#: what the index holds are in ``index info`` (``index list`` / ``index status`` / ``index generations`` had said only
#: "No such command").
_COMMANDS_ELSEWHERE = {name: "the generations and what the index holds: legalret index info"
                       for name in ("list", "status", "generations")}


class _IndexGroup(TyperGroup):
    """The ``index`` group: an unknown command that :data:`_COMMANDS_ELSEWHERE` knows says where to look instead,
    still a usage error (exit 2); the rest as typer says them (its "Did you mean")."""

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except UsageError as e:
            where = _COMMANDS_ELSEWHERE.get(args[0]) if args else None
            if where is not None:
                e.message = f"No such command {args[0]!r}. {where[0].upper()}{where[1:]}"
            raise


index_app = typer.Typer(help="Build, update and inspect the hybrid (BM25 + dense) statute index.", no_args_is_help=True,
                        cls=_IndexGroup)


def register(app: typer.Typer) -> None:
    app.add_typer(index_app, name="index")


def _default_index() -> Path:
    from legalret.config import default_index_dir

    return default_index_dir()


# ---- sources -> articles ----------------------------------------------------------------------------
@dataclass
class LoadedArticles:
    """What :func:`load_articles` read: the articles, the source files it skipped (``file:line: reason``, their laws
    left as they were) and the certain mojibake repairs it counted (None: nothing repaired) — the JSON report's
    ``skipped`` and ``mojibake``."""

    articles: list = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)
    mojibake: Optional[dict] = None
    #: defects repaired or skipped inside files that were read (a duplicate article kept once, a merge conflict
    #: resolved …): the JSON report's ``warnings``
    warnings: List[str] = field(default_factory=list)
    #: law → articles of its files that could not be read (left out): ``index add`` removes none of that law's
    incomplete: dict = field(default_factory=dict)
    #: the TokenizerSettings a corpus manifest among the sources builds with (``tokenizer:``); None: the defaults.
    #: ``index build`` uses them; ``index add`` keeps the index's own (one index, one tokenizer)
    tokenizer: Any = None


def _check_manifest_settings(sources: List[str]) -> None:
    """A corpus manifest's ``tokenizer:`` settings checked before any statute is read: a misspelt or impossible one is
    an error either way, and reading every 법률+시행령 first took minutes. (Everything else about a source — no such
    manifest, a broken one — :func:`~legalret.corpus.resolve.read_corpus` says as it reads.)"""
    from legalret.corpus.manifest import is_manifest_ref, load_manifest
    from legalret.index.tokenize import TokenizerSettings

    for src in sources:
        if Path(src).expanduser().is_dir() or not is_manifest_ref(src):
            continue
        try:
            manifest = load_manifest(src)
        except LegalretError:
            continue
        if manifest.tokenizer:
            TokenizerSettings.with_overrides(manifest.tokenizer, str(manifest.path or src))


def load_articles(sources: List[str], laws: Optional[List[str]] = None, kinds: Optional[List[str]] = None,
                  accept_uncertain: bool = False) -> LoadedArticles:
    """Articles from SOURCES (see :func:`legalret.corpus.resolve.read_corpus`); skipped files are listed, one line each.

    The ingest policy of ``legalret ingest --strict`` applies: a file whose lossy mojibake repairs stayed uncertain is
    skipped (named, like an unreadable file) unless ``accept_uncertain`` — when nothing else is left, the batch is
    refused in one line (file, count, first spans); certain repairs are reported on stderr."""
    from legalret.corpus.resolve import read_corpus

    _check_manifest_settings(sources)
    result = read_corpus(sources, laws, kinds)
    # a file skipped for an error whose text also lost characters: one line, both said (it had been two skipped lines
    # for one file, and "2 source files skipped")
    lost = Counter(w.path for w in (result.report.uncertain if result.report is not None else []))
    loaded = LoadedArticles(result.articles, [
        str(e) + (f" (its text also holds {lost[e.path]} uncertain mojibake repair(s) or lost characters)"
                  if lost.get(e.path) else "") for e in result.errors])
    if result.tokenizer:
        from legalret.index.tokenize import TokenizerSettings

        loaded.tokenizer = TokenizerSettings.with_overrides(result.tokenizer, result.tokenizer_source)
    for line in loaded.skipped[:10]:
        console.print(f"[yellow]skipped:[/] {escape(line)}", highlight=False, soft_wrap=True)
    if len(result.errors) > 10:
        console.print(f"[yellow]… and {len(result.errors) - 10} more source errors[/]")
    _skip_doubtful_jsonl(loaded, result.doubtful, accept_uncertain)
    report = result.report
    if report is not None:
        doubtful = [] if accept_uncertain else _skip_doubtful(loaded, report)
        _note_repairs(loaded, report, doubtful)
        if accept_uncertain:
            _note_accepted(loaded, report)
        loaded.incomplete = dict(report.dropped)
        for law, n in loaded.incomplete.items():  # an unreadable article is not a repealed one: say what is kept
            console.print(f"[yellow]note:[/] {escape(law)}: {n} article(s) could not be read (warnings below); an "
                          "`index add` keeps the law's articles this batch lacks, as --keep-missing does",
                          highlight=False, soft_wrap=True)
        uncertain = {id(w) for w in report.uncertain}  # (said in the mojibake note or the skipped lines)
        loaded.warnings = [str(w) for w in report.warnings if id(w) not in uncertain]
        if loaded.warnings:  # said here too: `index add` used to pass over a duplicate article without a word
            console.print(f"[yellow]note:[/] {len(loaded.warnings)} warning(s) while reading the statutes (first: "
                          f"{escape(loaded.warnings[0])}); `legalret ingest SOURCES --out FILE --warnings` lists them",
                          highlight=False, soft_wrap=True)
    return loaded


def _skip_doubtful_jsonl(loaded: LoadedArticles, doubtful: dict, accept: bool) -> None:
    """The statute files' rule (:func:`_skip_doubtful`) for the articles JSONL files named: one whose text lost
    characters or reads as mojibake (:func:`legalret.corpus.resolve.doubtful_text`) is skipped whole and named —
    the batch refused in one line when nothing else is left — unless ``accept``, when it is indexed and said."""
    for src, (problems, articles) in doubtful.items():
        first = f"{len(problems)} article(s) with lost characters or mojibake (first: {problems[0].reason})"
        if accept:
            console.print(f"[yellow]note:[/] {escape(src)}: {escape(first)}; indexed as they are (accepted)",
                          highlight=False, soft_wrap=True)
            continue
        ids = {id(a) for a in articles}
        rest = [a for a in loaded.articles if id(a) not in ids]
        line = (f"{src}: {first}; nothing of it was indexed (the text may hold wrong words) — write it again from a "
                "good source, or pass --accept-uncertain-repairs to index it as it is")
        if not rest:
            raise LegalretError(line)
        loaded.skipped.append(line)
        console.print(f"[yellow]skipped:[/] {escape(line)}", highlight=False, soft_wrap=True)
        loaded.articles = rest


def _skip_doubtful(loaded: LoadedArticles, report) -> list[str]:
    """Take the articles of each file whose mojibake repairs stayed uncertain out of ``loaded`` (skipped whole and
    named, like an unreadable file; the rest goes on) and return those files; refuse the batch in one line when
    nothing else is left (before the index is touched: nothing is written)."""
    rest, doubtful = report.without_uncertain(loaded.articles)  # (an errored file is skipped, and said, already)
    if not doubtful:
        return []
    if not rest:
        raise LegalretError(report.uncertain_refusal())
    for path in doubtful:
        n = sum(w.path == path for w in report.uncertain)
        line = (f"{path}: {n} uncertain mojibake repair(s) or lost characters (the text may hold wrong words); its laws left as "
                "they were — fix the file's encoding, or pass --accept-uncertain-repairs to index it as repaired")
        loaded.skipped.append(line)
        console.print(f"[yellow]skipped:[/] {escape(line)}", highlight=False, soft_wrap=True)
    loaded.articles = rest
    return doubtful


def _note_repairs(loaded: LoadedArticles, report, doubtful: list[str]) -> None:
    """Say what was repaired in the files that are indexed (``loaded.mojibake``, and a note on stderr)."""
    files = [f for f in report.repaired_files if f not in doubtful]  # (a skipped file's repairs are not indexed)
    if not files:
        return
    spans = sum(report.repaired_files[f] for f in files)
    # bytes lost in the wrong decoding (cp1252's undefined ones) are guessed by a language model: a guess that reads
    # well can still be wrong (각자 → 감자), so the note says how many spans were guessed (repairs carry no file: with
    # a file skipped, the count would mix in its spans, and is left out)
    guessed = 0 if doubtful else sum(getattr(r, "method", "") == "lossy-lm" for r in report.repairs)
    uncertain = 0 if doubtful else len(report.uncertain)
    console.print(f"[yellow]note:[/] mojibake repaired in {len(files)} file(s) ({escape(files[0])}"
                  + (" …" if len(files) > 1 else "") + f"): {spans} span(s)"
                  + (f", {guessed} of them rebuilt from lost bytes (the likeliest reading)" if guessed else "")
                  + (f", {uncertain} of them uncertain (accepted)" if uncertain else "")
                  + ("; `legalret fix-text FILE > FIXED` lists every span" if guessed or uncertain else ""),
                  highlight=False, soft_wrap=True)
    loaded.mojibake = {"repaired": spans, "rebuilt": guessed, "uncertain": uncertain, "files": sorted(files)}


def _note_accepted(loaded: LoadedArticles, report) -> None:
    """Say which files were indexed with uncertain text the mojibake note does not cover: characters lost in a wrong
    decoding (U+FFFD) with nothing repaired — accepted with --accept-uncertain-repairs, they had gone in without a word."""
    files = [f for f in dict.fromkeys(w.path for w in report.uncertain) if f not in report.repaired_files]
    if not files:
        return
    n = sum(w.path in files for w in report.uncertain)
    console.print(f"[yellow]note:[/] {n} uncertain span(s) indexed as they are (accepted) in {len(files)} file(s) "
                  f"({escape(files[0])}{' …' if len(files) > 1 else ''}): {escape(str(report.uncertain[0]))}",
                  highlight=False, soft_wrap=True)
    loaded.mojibake = (loaded.mojibake or {"repaired": 0, "rebuilt": 0, "uncertain": 0, "files": []}) | {
        "uncertain": (loaded.mojibake or {}).get("uncertain", 0) + n, "accepted_files": files}


def _one_value(values):
    """Option callback: an option that takes a value must not swallow the next option (``--precedents --index
    DIR`` would read ``--index`` as a precedent source and DIR as a statute)."""
    for value in values if isinstance(values, (list, tuple)) else [values]:
        if value is not None and str(value).startswith("--"):
            raise typer.BadParameter(f"needs a value, got the option {str(value)!r} (write the value right after it)")
    return values


def _load_precedents(sources: List[str], tally: "_SourceTally"):
    """The decisions of SOURCES (:func:`_with_errors`: "skipped precedent: file: field: reason"; such files were
    dropped without a word; a facts JSONL or an empty folder given as --precedents had said "unchanged")."""
    from legalret.precedents.parse import read_precedents

    return _with_errors(read_precedents, sources, "no decision read from {}: --precedents takes decisions (markdown "
                        "with front matter, or law.go.kr JSON), a folder or a zip of them", tally)


def _load_facts(sources: List[str], tally: "_SourceTally"):
    """The facts lines of SOURCES (:func:`_with_errors`: "skipped facts line: file:line: field: reason", and the
    JSON report's ``facts_skipped``; a decisions zip given as --facts had said "unchanged")."""
    from legalret.precedents.facts import read_facts

    return _with_errors(read_facts, sources, "no facts line read from {}: --facts takes JSONL (one decision's facts "
                        "a line, as precedent-facts.zip holds), a folder or a zip of them", tally)


def _check_sources_exist(sources: Optional[List[str]], option: str) -> None:
    """A --precedents / --facts path that is not there is one line before anything is read: the decisions are read at
    the memory stage, after the articles are encoded — on every 법률+시행령 an hour and more after the typo."""
    import glob as globlib

    for src in sources or []:
        if not globlib.has_magic(src) and not Path(src).expanduser().exists():
            raise LegalretError(f"{option} {src}: no such file or folder")


def _decision_sources(precedents: Optional[List[str]], facts: Optional[List[str]]):
    """The --precedents / --facts paths, recorded with the memory (``legalret.memory.sources``)."""
    from legalret.memory.sources import DecisionSources

    return DecisionSources(tuple(precedents or ()), tuple(facts or ())) if precedents or facts else None


_REREAD_HELP = ("When the statutes bring in a law the precedent memory's decision archives were read without (their "
                "paths are recorded with it), read them again for the decisions citing it, with their facts (minutes; "
                "an archive gone or changed since is named instead). --no-reread-decisions leaves them out.")


def _with_errors(read, sources: List[str], nothing: str, tally: Optional["_SourceTally"] = None):
    """``read(sources, on_error=…)``'s records, each one that cannot be read passed along in the stream as its
    :class:`SourceError` (the memory update counts and shows them), and an error (``nothing``, formatted with the
    sources) when nothing at all is read. Each source is read on its own, so that ``tally`` counts what each gave."""
    def stream():
        errors: list = []
        read_any = errors_any = False
        for i, source in enumerate(sources):
            for record in read([source], on_error=errors.append):
                yield from _counted_errors(errors, tally, i)
                read_any = True
                if tally is not None:
                    tally.records[i] += 1
                yield record
            errors_any = errors_any or bool(errors)
            yield from _counted_errors(errors, tally, i)
        if not read_any and not errors_any:
            raise LegalretError(nothing.format(", ".join(map(str, sources))))
    return stream()


def _counted_errors(errors: list, tally: Optional["_SourceTally"], i: int):
    """The malformed records read so far from source ``i`` (then forgotten), counted in ``tally``."""
    if tally is not None:
        tally.errors[i] += len(errors)
    yield from list(errors)
    errors.clear()


class _SourceTally:
    """The records and the malformed ones each --precedents / --facts source gave, counted as the memory reads them:
    a source *file* that gave malformed records only was skipped whole (:meth:`skipped`) — exit 3, as a statute file
    skipped whole is (``index add laws/ --precedents bad.md`` had exited 0, ``precedents_skipped: 1`` its only trace).
    A folder or a glob is left to the memory's counts: its files are records of an archive, as a zip's members are.
    The counts live in shared memory: a build reads the decisions in a forked read-ahead process
    (:class:`legalret.memory.update._ReadAhead`), whose counting a plain list would not bring back."""

    def __init__(self, option: str, sources: List[str]):
        from multiprocessing.sharedctypes import RawArray

        self.option, self.sources = option, list(sources)
        self.records = RawArray("q", len(self.sources))
        self.errors = RawArray("q", len(self.sources))

    def skipped(self) -> List[str]:
        """One line per source file of which no record could be read, only malformed ones (``file: reason``)."""
        what, unit, memory = (("decision", "record", "precedent memory") if self.option == "--precedents" else
                              ("facts line", "line", "facts memory"))
        return [f"{src}: no {what} could be read from this {self.option} file ({n} malformed {unit}{'s' if n > 1 else ''}"
                f"); none of it joined the {memory}"
                for src, records, n in zip(self.sources, self.records, self.errors)
                if n and not records and Path(src).expanduser().is_file()]


def _tallies(precedents: Optional[List[str]], facts: Optional[List[str]]) -> tuple:
    """The :class:`_SourceTally` of the --precedents and of the --facts sources (made before a build forks its reader)."""
    return _SourceTally("--precedents", precedents or []), _SourceTally("--facts", facts or [])


# ---- exit 3: a statute file of the batch was skipped whole ------------------------------------------------------
#: The exit status of ``index build`` / ``index add`` when the batch was indexed but a statute file the user gave was
#: not (``fix-text --strict`` exits 3 the same way: done, but look). It counts ``LoadedArticles.skipped``: files that
#: yielded nothing (unreadable, undecodable, unparsable, a broken zip, an articles JSONL with a bad line, two undated
#: texts of one law) and files whose mojibake repairs stayed uncertain — each a law the user asked for whose old text
#: stays live — and a --precedents / --facts *file* of which no record could be read, only malformed ones
#: (:class:`_SourceTally`). What a file that was read holds amiss keeps 0 (``warnings``, ``unread_articles``, certain
#: repairs), and so do the malformed records of a precedents or facts archive that was read: tens of thousands of
#: records where a few malformed ones are the data, so the memory's own counts (``precedents_skipped``,
#: ``facts_skipped``) say them. Nothing left to index is exit 1. The --json report says ``"exit": 3`` then (as the
#: one-line JSON errors say theirs); a report that exits 0 has no ``exit``, as no command's successful report has.
EXIT_FILES_SKIPPED = 3

#: the exit statuses, at the end of the commands' --help (an epilog: one paragraph, as wide as the terminal)
_EXIT_HELP = ("Exit status: 0 done; 3 done, but a statute source file of the batch was skipped whole (unreadable, or "
              "with uncertain mojibake repairs) — named on stderr and in --json (skipped, files_skipped, exit), its "
              "laws left as they were, the rest indexed; 1 an error, nothing written (as when nothing is left to index); 2 a "
              "usage error. A --precedents or --facts file of which no record could be read is skipped whole too "
              "(exit 3); malformed records of one that was read are counted in the memory's report, exit 0.")

_ACCEPT_HELP = ("Index statutes whose lossy mojibake repairs stayed uncertain (by default they are refused: "
                "a wrong guess puts wrong words in the index; `legalret ingest --warnings` lists them).")


def check_is_index(index: Path) -> None:
    """Refuse, in one line, to read an index from a folder that holds other things and no index (before a resident
    server is picked or the index code imported: a terminal and a pipe say the same); a missing or empty folder
    gets the store's "no index at DIR: build one" when it is opened."""
    message = not_an_index_message(index)
    if message is not None:
        raise LegalretError(message)


def _check_index_path(index: Path, building: bool = False) -> None:
    """``--index`` of a build (``building``: the index is written there) or of a command that reads or updates one."""
    if index.exists() and not index.is_dir():
        raise LegalretError(f"{index} is a file, not an index directory; choose another --index")
    if not building:
        check_is_index(index)
        return
    held = foreign_folder(index)
    if held is not None:  # the generations, CURRENT and .lock had gone in beside the user's files
        raise LegalretError(f"{index} is neither empty nor a legalret index (it holds {held}); nothing was written — "
                            "an index needs a folder of its own: give --index a new or empty folder")


# ---- index commands ---------------------------------------------------------------------------------
@index_app.command("build", epilog=_EXIT_HELP)
def build_command(
    sources: List[str] = typer.Argument(..., help="Statute files/folders/globs/zips, articles JSONL, or a corpus manifest name (civil-commercial)."),
    index: Path = typer.Option(None, "--index", callback=_one_value, help="Index directory (default: $LEGALRET_INDEX or the cache dir)."),
    model: Optional[str] = typer.Option(None, "--model", callback=_one_value, help="Encoder spec (default bundled:me5-small); 'none' for BM25 only."),
    adapter: Optional[Path] = typer.Option(None, "--adapter", callback=_one_value, help="Adapter directory for the encoder: a query adapter (legalret/adapters/me5-small-legal-qmap, the main job's) or a LoRA one."),
    precedents: Optional[List[str]] = typer.Option(None, "--precedents", callback=_one_value, help="Precedent sources for the precedent memory (repeatable)."),
    facts: Optional[List[str]] = typer.Option(None, "--facts", callback=_one_value, help="Facts of the decisions (precedent-facts JSONL/zip/folder, repeatable): adds the facts memory; needs --precedents."),
    memory_dense: bool = typer.Option(False, "--memory-dense", help="Also encode the memory's holdings (slow on CPU; BM25-only by default)."),
    dense_weight: Optional[float] = typer.Option(None, "--dense-weight", min=0.0, max=1.0, help="Weight of dense in hybrid fusion (default: tuned on dev; an adapter's card may set it)."),
    law: Optional[List[str]] = typer.Option(None, "--law", callback=_one_value, help="Only this law (repeatable)."),
    kind: Optional[List[str]] = typer.Option(None, "--kind", callback=_one_value, help="Only this kind: 법률, 시행령 … (repeatable)."),
    batch_size: int = typer.Option(32, "--batch-size", help="Encoder batch size."),
    passage_tokens: int = typer.Option(
        DEFAULT_PASSAGE_MAX_TOKENS, "--passage-tokens", min=0,
        help="Cut articles to this many encoder tokens for their vectors (0: the model's limit); BM25 sees all text.",
    ),
    keep: Optional[int] = typer.Option(None, "--keep", min=1, help="Generations to keep for rollback (default 3, $LEGALRET_KEEP_GENERATIONS)."),
    accept_uncertain: bool = typer.Option(False, "--accept-uncertain-repairs", help=_ACCEPT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the build report as JSON on stdout."),
) -> None:
    """Build a new index from SOURCES (replaces what is at --index, atomically; earlier generations are kept)."""
    from legalret import pipeline

    from legalret.index.store import check_unlocked

    index = index or _default_index()
    _check_index_path(index, building=True)
    _check_build_settings()
    check_unlocked(index)  # (before the statutes are read: refused at once, not after them)
    pipeline.check_memory_kept(index, precedents, ("--precedents", "--facts"))  # (before the statutes are read)
    _check_sources_exist(precedents, "--precedents")
    _check_sources_exist(facts, "--facts")
    with _said_if_interrupted(index):
        loaded = load_articles(sources, law, kind, accept_uncertain)
        tallies = _tallies(precedents, facts)
        console.print(f"indexing {len(loaded.articles)} articles into {index}", highlight=False)
        notes = _weaker_build_notes(model, adapter, precedents)
        for note in notes:
            console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
        report = pipeline.build(
            loaded.articles, index, model=model, adapter=adapter, batch_size=batch_size, verbose=True,
            passage_max_tokens=passage_tokens or None, keep=keep,
            precedents=_load_precedents(precedents, tallies[0]) if precedents else None, memory_dense=memory_dense,
            facts=_load_facts(facts, tallies[1]) if facts else None, decision_sources=_decision_sources(precedents, facts),
            dense_weight=dense_weight, onnx_export=True, tokenizer=loaded.tokenizer,
            drop_memory=True,  # (check_memory_kept ran above, before the statutes were read)
        )
        _no_ctrl_c_in_teardown()
        skipped = _print_report(report, as_json, loaded, notes, tallies, keep=keep)
    if skipped:
        raise typer.Exit(EXIT_FILES_SKIPPED)


def _weaker_build_notes(model: Optional[str], adapter: Optional[Path], precedents) -> list[str]:
    """What a build leaves out that the measured default has — said, since `legalret index build all-acts-decrees
    --index DIR` as the README first showed it built an index without memories or query adapter, without a word."""
    from legalret.index.encoders import NO_ENCODER
    from legalret.memory.update import decision_options

    if model is not None and model.strip().lower() == NO_ENCODER:
        return []  # BM25 only, asked for
    notes = []
    if not precedents:
        notes.append("no --precedents: the index gets no precedent memory, and the memories find most of what people "
                     "ask (all-law dev holdings recall@10 0.447 by BM25 + dense alone, 0.806 with them); add "
                     f"{decision_options()}, as scripts/quickstart.sh does")  # (this machine's archives, when it has them)
    if adapter is None and model is None:
        notes.append("no --adapter: queries are embedded without the shipped query adapter the measured numbers use; "
                     "add --adapter me5-small-legal-qmap (the shipped one, found from any folder)")
    return notes


def _check_build_settings() -> None:
    """The settings a build or an add reads later, checked now: a bad ``LEGALRET_PRECISION`` or
    ``LEGALRET_PASSAGE_ENCODER`` had been said only once the encoder was loaded — on a fresh home after the bundled
    model was built, 34–70 s in (each reader's one line: :mod:`legalret.config`)."""
    from legalret.config import env_passage_encoder, env_precision, env_read_ahead, env_tokenizer_workers

    env_precision(), env_passage_encoder(), env_read_ahead(), env_tokenizer_workers()


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises :class:`KeyboardInterrupt` (a subclass: whatever a Ctrl-C cleans up — a
    write's temp folder, hundreds of MB — is cleaned up, :func:`_said_if_interrupted` says what is live)."""


#: The exit statuses of a build, add or remove that was interrupted: 128 + the signal (Ctrl-C: SIGINT 2; SIGTERM 15).
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


@contextmanager
def _sigterm_as_interrupt():
    """SIGTERM — what systemd, ``timeout``, docker and CI send — raised as :class:`_Terminated` while the block runs,
    the handler there before restored after. It had killed a write on the spot: exit 143 without a word, its temp
    folder (347 MB) left in the index folder until the next write. A second SIGTERM while the first is handled is
    ignored (the clean-up finishes); a forked child (a build's read-ahead) still ends on it at once, as before."""
    import os
    import signal

    pid, fired = os.getpid(), []

    def terminated(signum, frame):
        if os.getpid() != pid:  # the handler forked into a child: end it as SIGTERM ended it
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        if not fired:
            fired.append(signum)
            raise _Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, terminated)
    except ValueError:  # (not the main thread: signals are not ours to handle)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


@contextmanager
def _said_if_interrupted(index: Path):
    """Ctrl-C or SIGTERM during a build, an add or a remove, or while its report prints: say, in one line on stderr,
    what is live now (Ctrl-C had ended on a progress bar, exit 130, no word; SIGTERM had killed it, exit 143, its temp
    folder left) — the generation written by then, when it was (a build's ONNX export of the query encoder runs after
    the write: "nothing written" there had been false). The write's temp folder is removed as the interrupt unwinds it
    (:func:`~legalret.index.store.write_generation`). Exit 130 (Ctrl-C) or 143 (SIGTERM): the command was interrupted
    — as a SystemExit, so that nothing adds a second "interrupted (Ctrl-C)" line."""
    from legalret.index.store import current_generation

    def live_now():
        try:
            return current_generation(index)
        except LegalretError:
            return None

    before = live_now()
    with _sigterm_as_interrupt():
        try:
            yield
        except KeyboardInterrupt as e:
            what, code = (("terminated (SIGTERM)", EXIT_TERMINATED) if isinstance(e, _Terminated) else
                          ("interrupted", EXIT_INTERRUPTED))
            live = live_now()
            if live is not None and live != before:
                console.print(f"[yellow]{what}[/] after {live.name} was written: it is live and complete"
                              f"{_export_unfinished(index, live)}", highlight=False, soft_wrap=True)
            else:
                console.print(f"[yellow]{what}:[/] nothing written; {escape(str(index))} "
                              + (f"still serves {escape(str(live))}, as it was" if live else "has no generation yet"),
                              highlight=False, soft_wrap=True)
            raise SystemExit(code) from None


def _export_unfinished(index: Path, live: Path) -> str:
    """What an interrupt after the write left undone: the ONNX export of the query encoder (``index build``), or the
    query variant it serves — said with the command that finishes it; "" when nothing is left (or no encoder)."""
    from legalret.index.store import read_manifest
    from legalret.models.onnx import DEFAULT_QUERY_VARIANT, find_export, recorded_query_variant

    try:
        info = read_manifest(index, live).get("encoder")
    except LegalretError:
        return ""
    if info is None:
        return ""
    path = find_export(info["fingerprint"])
    if path is not None and DEFAULT_QUERY_VARIANT in ("fp32", recorded_query_variant(path)):
        return ""
    what, meanwhile = (("export", "searches embed queries with torch") if path is None else
                       (f"{DEFAULT_QUERY_VARIANT} query model", "queries use its fp32 model"))
    return (f"; the query encoder's ONNX {what} was not finished — `legalret index export --index {escape(str(index))}` "
            f"writes it (until then {meanwhile})")


def _no_ctrl_c_in_teardown() -> None:
    """The generation is written: what is left after the report is the interpreter's teardown (~1.3 s freeing torch
    and the index), where a Ctrl-C had killed the process — exit 130, no word, the report's JSON perhaps unflushed —
    so that a script read a good build as failed. From the exit on (atexit: a test's process is left alone until its
    own exit), Ctrl-C is ignored, and so is SIGTERM: the exit status is the one the report said (0, or 3)."""
    import atexit
    import signal

    atexit.register(signal.signal, signal.SIGINT, signal.SIG_IGN)
    atexit.register(signal.signal, signal.SIGTERM, signal.SIG_IGN)


@index_app.command("add", epilog=_EXIT_HELP)
def add_command(
    sources: Optional[List[str]] = typer.Argument(None, help="New or amended statutes: files/folders/globs/zips, articles JSONL, or a corpus manifest name (`legalret corpus list`: criminal, labor, tenancy …), as for `index build`."),
    index: Path = typer.Option(None, "--index", callback=_one_value, help="Index directory."),
    precedents: Optional[List[str]] = typer.Option(None, "--precedents", callback=_one_value, help="Precedent sources whose holdings join the memory (repeatable)."),
    facts: Optional[List[str]] = typer.Option(None, "--facts", callback=_one_value, help="Facts of decisions (JSONL/zip/folder, repeatable), joined with the memory's decisions, join the facts memory."),
    model: Optional[str] = typer.Option(None, "--model", callback=_one_value, help="Must match the index's encoder (default: the index's)."),
    adapter: Optional[Path] = typer.Option(None, "--adapter", callback=_one_value, help="Must match the index's adapter (default: the index's)."),
    keep_missing: bool = typer.Option(False, "--keep-missing", help="Do not remove articles missing from a re-ingested law (partial batches)."),
    allow_removals: bool = typer.Option(False, "--allow-removals", help="Allow removing many articles of a law (otherwise a batch that looks truncated stops)."),
    allow_older: bool = typer.Option(False, "--allow-older", help="Allow a law's text older than the indexed one (an earlier 시행일자, or an undated text over dated articles; otherwise the batch stops)."),
    law: Optional[List[str]] = typer.Option(None, "--law", callback=_one_value, help="Only this law (repeatable)."),
    kind: Optional[List[str]] = typer.Option(None, "--kind", callback=_one_value, help="Only this kind (repeatable)."),
    keep: Optional[int] = typer.Option(None, "--keep", min=1, help="Generations to keep for rollback (default 3)."),
    accept_uncertain: bool = typer.Option(False, "--accept-uncertain-repairs", help=_ACCEPT_HELP),
    reread: bool = typer.Option(True, "--reread-decisions/--no-reread-decisions", help=_REREAD_HELP),
    rename: bool = typer.Option(False, "--rename", help="Index a law that has the 법령ID of a held law of another name in that law's place: its articles replaced, citations of the old name (the precedent memory's, a query's) read as the new one. Without it such a batch stops, nothing written (exit 1, as the removal guard's): a law renamed, or a wrong name in the file?"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
) -> None:
    """Merge new/amended statutes and/or precedents: matched by key / case number, only changed text re-encoded;
    prints added/changed/removed/unchanged. A law the precedent memory's archives were read without gets the
    decisions citing it from them again. With no sources: the decisions again for the laws missed, an old-layout
    memory migrated, or else it says what it takes (exit 2).

    SOURCES may name a corpus manifest (`legalret corpus list`): `legalret index add criminal --index DIR` adds 형법,
    형사소송법 and the criminal special acts from the statute mirror. Given no sources, the add reads the memory's
    recorded decision archives again for the laws they were read without; with nothing to add or read again it
    says what it takes (exit 2)."""
    from legalret import pipeline

    from legalret.index.store import check_unlocked

    index = index or _default_index()
    _check_index_path(index)
    _check_build_settings()
    _check_sources_exist(precedents, "--precedents")
    _check_sources_exist(facts, "--facts")
    if not sources and not precedents and not facts:
        _check_something_to_add(index, reread)
    check_unlocked(index)  # (before the statutes are read: a second add had read them, then been refused)
    with _said_if_interrupted(index):
        loaded = load_articles(sources, law, kind, accept_uncertain) if sources else LoadedArticles()
        tallies = _tallies(precedents, facts)
        _note_kept_tokenizer(index, loaded.tokenizer)
        report = pipeline.add(
            loaded.articles, index, model=model, adapter=adapter, remove_missing=not keep_missing,
            allow_removals=allow_removals, allow_older=allow_older, keep=keep, verbose=True, incomplete=loaded.incomplete,
            precedents=_load_precedents(precedents, tallies[0]) if precedents else None,
            facts=_load_facts(facts, tallies[1]) if facts else None, decision_sources=_decision_sources(precedents, facts),
            reread_decisions=reread, rename=rename,
        )
        _no_ctrl_c_in_teardown()
        skipped = _print_report(report, as_json, loaded, tallies=tallies, keep=keep)
    if skipped:
        raise typer.Exit(EXIT_FILES_SKIPPED)


def _check_something_to_add(index: Path, reread: bool) -> None:
    """``index add`` given no statutes, --precedents or --facts: a usage error (exit 2, one line saying what it takes)
    unless the add has work of its own — the laws the memory's recorded decision archives were read without, read
    again (the plain add that ``index info`` and the "not read for" note give), or an old-layout memory to migrate.
    With neither it had said "unchanged", exit 0: ``legalret index add --index DIR $NEW`` with $NEW empty passed for
    an update. An index that cannot be read has nothing to re-read: the usage is what is wrong with the command."""
    from typer._click.exceptions import UsageError

    from legalret.index.store import read_manifest
    from legalret.memory.format import legacy_memory
    from legalret.memory.sources import SourceRecord, laws_not_read

    if legacy_memory(index) is not None:
        return
    try:
        manifest = read_manifest(index)
    except LegalretError:
        manifest = None
    memory = manifest.get("memory") if manifest and "memory" in manifest.get("parts", []) else None
    records = [SourceRecord.from_dict(d) for d in (memory or {}).get("sources") or []]
    unread = laws_not_read(records, manifest["laws"]) if records else set()  # (no archive is looked at: the add does)
    if unread and reread:
        return
    missed = (f"{', '.join(sorted(unread))} here, which --no-reread-decisions turns off" if unread else "none here")
    # (a UsageError: printed as every usage error is — one line and the --help hint, exit 2, with --json its JSON line)
    raise UsageError(f"nothing to add: give a statute file or folder, a corpus manifest name such as criminal "
                     f"(`legalret corpus list`), or --precedents / --facts (without them it only reads the recorded "
                     f"decision archives again for laws they missed: {missed})")


def _note_kept_tokenizer(index: Path, asked: Any) -> None:
    """A manifest added to an index built with other tokenizer settings: the index keeps its own (one index, one
    tokenizer: its articles, queries and memory agree) — said, since the manifest's had been passed over silently."""
    if asked is None:
        return
    from legalret.index.store import read_manifest
    from legalret.index.tokenize import TokenizerSettings

    try:
        own = TokenizerSettings.from_dict(read_manifest(index)["tokenizer"])
    except (LegalretError, KeyError):
        return  # (the add says what is wrong with the index)
    differ = [f"{name}={getattr(asked, name)!r} (the index: {getattr(own, name)!r})"
              for name in TokenizerSettings.__dataclass_fields__ if getattr(asked, name) != getattr(own, name)]
    if differ:
        console.print(f"[yellow]note:[/] the index keeps its own tokenizer settings, not the manifest's: "
                      f"{escape(', '.join(differ))}; a build into a new folder uses the manifest's", highlight=False,
                      soft_wrap=True)


_REMOVE_EXIT_HELP = ("Exit status: 0 done; 1 an error, nothing written (as when every law of the index would be removed); "
                     "2 a usage error (a law the index does not hold: the nearest names are offered).")


@index_app.command("remove", epilog=_REMOVE_EXIT_HELP)
def remove_command(
    laws: List[str] = typer.Argument(..., help="Laws to remove whole, as `legalret index info` names them (any spacing)."),
    index: Path = typer.Option(None, "--index", callback=_one_value, help="Index directory."),
    keep: Optional[int] = typer.Option(None, "--keep", min=1, help="Generations to keep for rollback (default 3)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
) -> None:
    """Remove whole laws from the index: a new generation, as an add writes (`legalret index rollback` undoes it);
    prints the articles removed, per law. The precedent memory's citations of them stop voting; its holdings are kept,
    and vote again when the law is added back (`legalret index add`). Removing every law the index holds is refused."""
    from legalret import pipeline

    from legalret.index.store import check_unlocked

    index = index or _default_index()
    _check_index_path(index)
    held = _held_laws_named(index, laws)
    check_unlocked(index)
    with _said_if_interrupted(index):
        report = pipeline.remove(held, index, keep=keep, verbose=True)
        _no_ctrl_c_in_teardown()
        _print_report(report, as_json, LoadedArticles(), keep=keep)


def _held_laws_named(index: Path, laws: List[str]) -> List[str]:
    """The held laws LAWS name (any spacing: :func:`~legalret.index.store.held_laws_named`, which the removal itself
    resolves them with); one the index does not hold is a usage error with the nearest held names, as an unknown --law
    filter's (a mistyped name had nothing to remove)."""
    from typer._click.exceptions import UsageError

    from legalret.index.store import UnknownLaw, held_laws_named, read_manifest
    from legalret.search.citations import suggested_laws

    try:
        return held_laws_named(read_manifest(index), laws, index, suggest=lambda name, names: suggested_laws(name, names, n=3))
    except UnknownLaw as e:
        raise UsageError(f"no law {e.name!r} in {index} ({e.hint(index)}); nothing was removed") from None


@index_app.command("rollback")
def rollback_command(
    index: Path = typer.Option(None, "--index", callback=_one_value, help="Index directory."),
    to: Optional[str] = typer.Option(None, "--to", help="Generation number (e.g. 3 or gen-000003); default: the one the live one was made from."),
    as_json: bool = typer.Option(False, "--json", help="Print {index, live, was, kept, changed} as JSON on stdout."),
) -> None:
    """Make an earlier (kept) generation live again; it is verified first. --to the live generation changes nothing
    and says so (exit 0: a script may run its rollback again)."""
    from legalret.index.store import generation_name, generations, live_generation, rollback

    index = index or _default_index()
    check_is_index(index)
    live, broken = live_generation(index)
    if to is not None and broken is None and generation_name(to) == live.name:
        # (it had been an error, exit 1: a script re-running `rollback --to N` failed where what it wanted held)
        kept = [g.name for g in generations(index)]
        report_console(as_json).print(f"{index}: {live.name} is already live; nothing changed; kept generations: "
                                      f"{', '.join(kept)}", highlight=False)
        if as_json:
            sys.stdout.write(json.dumps({"index": str(index), "live": live.name, "was": live.name, "kept": kept,
                                         "changed": False}, ensure_ascii=False) + "\n")
        return
    name = rollback(index, to)
    kept = ", ".join(g.name for g in generations(index))
    # (with CURRENT unreadable, which generation had been live is not known: "it points here again" could be false)
    was = f"was {live.name}" if broken is None else (
        "CURRENT was unreadable, so which generation was live is not known"
        + ("; this is the newest kept one that verifies" if to is None else ""))
    report_console(as_json).print(f"{index}: {name} is live ({was}); kept generations: {kept}", highlight=False)
    if as_json:  # (as every other index command: a script reads the outcome from stdout)
        sys.stdout.write(json.dumps({"index": str(index), "live": name, "was": live.name if broken is None else None,
                                     "kept": [g.name for g in generations(index)], "changed": True},
                                    ensure_ascii=False) + "\n")


_FORGET_EXIT_HELP = ("Exit status: 0 removed; 1 refused or an error, nothing removed (the live generation, one not kept, "
                     "the last copy of articles or memory items without --yes, a build or add in progress).")


@index_app.command("forget", epilog=_FORGET_EXIT_HELP)
def forget_command(
    generation: str = typer.Argument(..., help="The generation to remove: its number (2) or name (gen-000002), as `legalret index info` lists them."),
    index: Path = typer.Option(None, "--index", callback=_one_value, help="Index directory."),
    yes: bool = typer.Option(False, "--yes", help="Remove it even when it holds the last copy of some articles or memory items (named when refused)."),
    as_json: bool = typer.Option(False, "--json", help="Print {index, removed, bytes_freed, articles_lost, memory_items_lost, live, kept} as JSON on stdout."),
) -> None:
    """Remove one kept generation that is not live, on purpose: pruning never deletes the last copy of an article or
    memory item, so the generation before an `index remove` or `index add --allow-removals` stays past --keep. When
    it holds such last copies they are named and nothing is removed unless --yes."""
    from legalret.index.store import described_last_copies, forget_generation, generations, live_generation

    index = index or _default_index()
    check_is_index(index)
    gone = forget_generation(index, generation, allow_loss=yes)
    live = live_generation(index)[0].name
    kept = [g.name for g in generations(index)]
    lost = described_last_copies(gone.articles_lost, gone.items_lost)
    report_console(as_json).print(f"{escape(str(index))}: removed {gone.name}, {_megabytes(gone.bytes_freed)} freed"
                                  + (f", with the last copy of {escape(lost)}" if lost else "")
                                  + ("; it was the generation a plain `index rollback` returned to"
                                     if gone.was_rollback_target else "")
                                  + f"; kept generations: {', '.join(kept)} (live {live})", highlight=False,
                                  soft_wrap=True)
    if as_json:
        sys.stdout.write(json.dumps({"index": str(index), "removed": gone.name, "bytes_freed": gone.bytes_freed,
                                     "articles_lost": gone.articles_lost, "memory_items_lost": len(gone.items_lost),
                                     "was_rollback_target": gone.was_rollback_target, "live": live, "kept": kept},
                                    ensure_ascii=False) + "\n")


@index_app.command("export")
def export_command(
    index: Path = typer.Option(None, "--index", callback=_one_value, help="Index directory."),
    force: bool = typer.Option(False, "--force", help="Write the export again even when one is there (a damaged one: "
                                                      "searches failed to load it, or embedded queries wrongly)."),
) -> None:
    """Export the index's query encoder to ONNX under $LEGALRET_HOME, as `index build` does, so that searches embed
    queries without torch (a cold search ~5 s faster). For an index built under another LEGALRET_HOME or copied in."""
    from legalret.index.encoders import load_index_encoder
    from legalret.index.store import read_manifest
    from legalret.models.onnx import export_root, find_export
    from legalret.pipeline import export_query_encoder, serve_query_variant

    index = index or _default_index()
    check_is_index(index)
    info = read_manifest(index).get("encoder")  # the live generation's (a broken pointer: its one-line error)
    if info is None:
        raise LegalretError(f"{index}: this index has no dense vectors (built with --model none): no encoder to export")
    path = None if force else find_export(info["fingerprint"])
    if path is None:  # (a damaged export had no way out but deleting its folder by hand)
        path = export_query_encoder(load_index_encoder(info, where=index), force=force)
    else:  # an export is there (its encoder is not loaded): it serves the query variant a build would set
        path = serve_query_variant(path)
    if path is None:
        raise LegalretError(f"{index}: the query encoder could not be exported to {export_root()} (see the note above)")
    report_out.print(f"{index}: queries are embedded by the ONNX export at {path}", highlight=False, soft_wrap=True)


def _print_report(report, as_json: bool, loaded: LoadedArticles, notes: Optional[List[str]] = None,
                  tallies: tuple = (), keep: Optional[int] = None) -> int:
    """The report (JSON, or the summary: both on stdout, :data:`legalret.progress.report`) and, when source files were
    skipped whole — statute files (``loaded.skipped``, named as they were read) or --precedents / --facts files
    (``tallies``, named here) — one last line on stderr saying so; returns how many were (the command then exits
    :data:`EXIT_FILES_SKIPPED`). Also: the generations the write pruned (``report.pruned``, the ``keep`` it pruned to:
    --keep, else the setting), and a note on stderr naming the laws it wrote whose text is not in force yet."""
    later = _not_in_force_written(report)
    archives = [line for tally in tallies for line in tally.skipped()]
    for line in archives:
        console.print(f"[yellow]skipped:[/] {escape(line)}", highlight=False, soft_wrap=True)
    skipped = len(loaded.skipped) + len(archives)
    if as_json:
        d = {k: getattr(report, k) for k in ("generation", "wrote", "articles", "searchable", "laws", "added", "changed", "removed",
                                              "unchanged", "duplicates", "duplicate_keys", "tokenized", "encoded", "vectors_cached", "memory", "timings",
                                              "cpu_timings")}
        d["index"] = str(report.index_dir)
        if report.changed_keys is not None:  # (an add's: which articles, in full; a build lists none)
            d.update(_changed_articles(report))
            d["lost_paragraphs"] = getattr(report, "lost_paragraphs", None) or []
        d["mojibake"] = loaded.mojibake
        d["skipped"] = loaded.skipped + archives  # source files not read (file:line: reason), their laws left as they were
        d["warnings"] = loaded.warnings
        d["unread_articles"] = loaded.incomplete  # law → articles that could not be read (the law's others kept)
        d["files_skipped"] = skipped  # more than 0: the command exits 3
        # laws written with other spacing than the index's (or the batch's first) spelling, indexed under that one
        d["respelled"] = getattr(report, "respelled", None) or []
        d["renamed"] = report.renamed  # held laws indexed under a new name (--rename): {"from", "to", "law_id"}
        if getattr(report, "renames_kept", None):  # (a build: earlier adds' renames it keeps applying, old → new)
            d["renames_kept"] = report.renames_kept
        if report.removed_laws:  # (index remove: the articles removed, per law)
            d["removed_laws"] = _removed_per_law(report)
        if notes is not None:  # (a build's: what it leaves out of the measured default, said on stderr too)
            d["notes"] = notes
        d["pruned"] = report.pruned  # generations this write removed (past --keep)
        d["not_in_force"] = dict(later)  # laws written whose text takes effect later: law → the day it does
        if skipped:  # (as a JSON error line says its exit: a script reading stdout alone sees the 3)
            d["exit"] = EXIT_FILES_SKIPPED
        sys.stdout.write(json.dumps(d, ensure_ascii=False) + "\n")
    else:
        _print_summary(report, keep)
    if later:  # (said in `index info` only: an add of the mirror's 근로기준법, in force from 2027-01-01, had not)
        console.print(f"[yellow]note:[/] {escape(_not_in_force_line(later, 'written here'))}", highlight=False,
                      soft_wrap=True)
    if skipped:
        console.print(f"{'indexed' if report.wrote else 'nothing new written'} with {skipped} source "
                      f"file{'s' if skipped > 1 else ''} skipped (named above, not in the index"
                      f"{'' if as_json else '; --json lists them'}); exit {EXIT_FILES_SKIPPED}",
                      highlight=False, soft_wrap=True)
    return skipped


def _print_summary(report, keep: Optional[int] = None) -> None:
    from legalret.keys import law_of

    if not report.wrote:
        up_to_date = f" ({report.unchanged} articles already up to date)" if report.unchanged else ""
        report_out.print(f"[bold]{escape(str(report.index_dir))}[/] ({report.generation}): unchanged — nothing new"
                         f"{up_to_date}; no new generation written", highlight=False)
        _print_work(report)
        if report.memory:  # why nothing of the decisions or facts given was new (facts_unjoined: 2000 had said nothing)
            _print_memory(report.memory)
        return
    report_out.print(
        f"[bold]{escape(str(report.index_dir))}[/] ({report.generation}): {report.articles} articles, {report.searchable} searchable, "
        f"{report.laws} laws", highlight=False,
    )
    keys = _changed_articles(report) if report.changed_keys is not None else None
    split = f"{keys['changed_text']} in text, {keys['changed_dates_only']} in their dates only" if (
        keys and keys["changed_dates_only"]) else ""
    dates_only = f" ({split})" if split else ""
    # (a repeal stays among the changed, as before; its count is said with them: "changed 2 (1 repealed)")
    repealed = f"{keys['repealed']} repealed" if keys and keys["repealed"] else ""
    of_changed = f" ({'; '.join(filter(None, (split, repealed)))})" if split or repealed else ""
    report_out.print(
        f"added [green]{report.added}[/], changed [yellow]{report.changed}[/]{of_changed}, removed [red]{report.removed}[/], "
        f"unchanged {report.unchanged}" + (f", duplicate keys {report.duplicates} ({_named(report)}: the last copy "
                                           "of each kept)" if report.duplicates else ""),
        highlight=False, soft_wrap=True,
    )
    for r in report.renamed:  # (the old name's articles are in "removed", the new name's in "added")
        where = ("removed before (`index remove`), linked to it" if r.get("removed") else "indexed in its place")
        report_out.print(f"renamed: {escape(r['from'])} → {escape(r['to'])} (법령ID {escape(r['law_id'])}): {where}; "
                         f"citations of {escape(r['from'])} read as {escape(r['to'])}", highlight=False, soft_wrap=True)
    kept = getattr(report, "renames_kept", None) or {}
    if kept:  # (a build: the renames of earlier adds it keeps applying)
        report_out.print("renamed earlier (kept): " + ", ".join(f"{escape(old)} → {escape(new)}" for old, new in kept.items())
                         + "; citations of the old name read as the new one", highlight=False, soft_wrap=True)
    if keys:  # which articles (the counts alone had left a reviewer to diff the index: `removed 5`, but which?)
        text = keys["changed_text_keys"]
        in_text = set(text)
        whole = _removed_per_law(report)  # (index remove: a line per law)
        named = [("added", keys["added_keys"]),
                 ("changed in text" if dates_only else "changed", text if dates_only else keys["changed_keys"]),
                 ("changed in dates only", [k for k in keys["changed_keys"] if k not in in_text] if dates_only else []),
                 ("repealed", keys["repealed_keys"]),
                 *((f"removed {law} ({len(listed)} articles)", listed) for law, listed in whole.items()),
                 ("removed", [k for k in keys["removed_keys"] if law_of(k) not in whole])]
        for what, listed in named:
            if listed:
                report_out.print(f"{escape(what)}: {escape(_key_list(listed))}", highlight=False, soft_wrap=True)
        _print_lost_paragraphs(getattr(report, "lost_paragraphs", None) or [])
    _print_work(report)
    if report.memory:
        _print_memory(report.memory)
    if report.pruned:
        report_out.print(_pruned_line(report, keep), highlight=False, soft_wrap=True)
    report_out.print("stages (wall / cpu): " + ", ".join(f"{k} {v:.1f}s/{report.cpu_timings.get(k, 0):.1f}s" for k, v in report.timings.items()), highlight=False)


def _pruned_line(report, keep: Optional[int]) -> str:
    """``pruned gen-000001 (keep 3, the default: --keep N or LEGALRET_KEEP_GENERATIONS sets it); kept gen-000002,
    gen-000003, gen-000004`` — the generations the write removed (an add's keep-3 pruning had deleted the index's
    first generation without a word, and with it the state a rollback could return to)."""
    from legalret.config import DEFAULT_KEEP_GENERATIONS, env_keep_generations
    from legalret.index.store import generations

    if keep is not None:
        why = f"--keep {keep}"
    elif (setting := env_keep_generations()) is not None:
        why = f"keep {setting}: LEGALRET_KEEP_GENERATIONS"
    else:
        why = f"keep {DEFAULT_KEEP_GENERATIONS}, the default: --keep N or LEGALRET_KEEP_GENERATIONS sets it"
    kept = [g.name for g in generations(report.index_dir)]
    return (f"pruned {', '.join(report.pruned)} ({why})" + (f"; kept {', '.join(kept)}" if kept else ""))


def _not_in_force(laws, today: Optional[str] = None) -> list[tuple[str, str]]:
    """``[(law, the day its text takes effect)]`` for the laws (manifest ``laws`` items: name, info) whose held text
    takes effect after today — the statute mirror holds a law's latest version, which may be promulgated and not yet
    in force (``Article.takes_effect``). What ``index info`` and an add's or build's note say."""
    from datetime import date

    today = today or date.today().isoformat()
    return [(name, info["effective_date"]) for name, info in laws if (info.get("effective_date") or "") > today]


def _not_in_force_line(later: list[tuple[str, str]], where: str) -> str:
    """``not in force yet: the version of 1 law written here takes effect later — 근로기준법 (from 2027-01-01); …``."""
    named = ", ".join(f"{name} (from {day})" for name, day in later[:10])
    return (f"not in force yet: the version of {len(later)} law{'s' if len(later) > 1 else ''} {where} takes effect "
            f"later — {named}" + (f", … {len(later) - 10} more" if len(later) > 10 else "")
            + "; a search names the articles that version wrote")


def _not_in_force_written(report) -> list[tuple[str, str]]:
    """The laws a build wrote, or an add added or changed articles of, whose text is not in force yet (from the new
    generation's manifest, as ``index info`` reads it); [] when nothing was written or the manifest cannot be read."""
    from legalret.index.store import read_manifest
    from legalret.keys import law_of

    if not report.wrote:
        return []
    try:
        laws = read_manifest(report.index_dir).get("laws") or {}
    except LegalretError:
        return []
    if report.changed_keys is not None:  # an add (or remove): the laws it added or changed articles of
        touched = {law_of(k) for k in (report.added_keys or []) + (report.changed_keys or [])}
        laws = {name: info for name, info in laws.items() if name in touched}
    return _not_in_force(laws.items())


def _paragraph_marks(numbers: list[int]) -> str:
    """③–⑥ for a run, ②, ⑤ otherwise (past ⑳, the numbers)."""
    mark = lambda n: chr(0x245F + n) if 1 <= n <= 20 else f"{n}항"  # noqa: E731
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(mark(r[0]) + (f"–{mark(r[-1])}" if len(r) > 1 else "") for r in runs)


def _print_lost_paragraphs(lost: list[dict]) -> None:
    """One note for the changed articles that lost numbered paragraphs (``BuildReport.lost_paragraphs``): a typed
    주택임대차보호법 제3조 had gone from six paragraphs to two, and the report said only "changed"."""
    if not lost:
        return
    from legalret.keys import law_of

    parts, law = [], None
    for e in lost[:NAMED_KEYS]:  # (the law named once, as the key lists name it)
        article = e["key"] if law_of(e["key"]) != law else e["key"].rpartition(" ")[2]
        law = law_of(e["key"])
        parts.append(f"{article} lacks {_paragraph_marks(e['lost'])} ({e['before']} → {e['after']} paragraphs)")
    named = "; ".join(parts)
    more = f" … ({len(lost)} articles in all)" if len(lost) > NAMED_KEYS else ""
    console.print(f"[yellow]note:[/] paragraphs gone from changed articles: {escape(named)}{more} — a repealed paragraph "
                  f"stays as 삭제 (a hand-typed or cut text?); `legalret index rollback` undoes this add",
                  highlight=False, soft_wrap=True)


def _print_work(report) -> None:
    """What the add or build ran through Kiwi and the encoder — every report says it, one written or not: an add that
    held every vector already (a law re-added after `index remove`) had ended without the line the others end with."""
    report_out.print(f"tokenized {report.tokenized}, encoded {report.encoded}"
                     + (f" ({report.vectors_cached} vectors from the vector cache)" if report.vectors_cached else ""),
                     highlight=False)


def _removed_per_law(report) -> dict:
    """Law → the keys of its articles removed, for each law removed whole (``report.removed_laws``: ``index remove``)."""
    from legalret.keys import law_of

    whole = {law: [] for law in report.removed_laws}
    for key in report.removed_keys or []:
        if law_of(key) in whole:
            whole[law_of(key)].append(key)
    return whole


def _changed_articles(report) -> dict:
    """The JSON report's lists of the articles an add added, changed and removed (every key), and of the changed ones
    how many differ in their text (or title, chapter, 삭제 …) and how many in their dates only — a new 시행일자 on a law
    changes every article's dates, and the one real amendment among 1,193 "changed" had been left to find — and which
    were repealed (live before, 삭제 now; still among the changed): a repeal had read as one more amendment."""
    text = report.changed_text_keys or []
    repealed = report.repealed_keys or []
    return {"added_keys": report.added_keys or [], "changed_keys": report.changed_keys or [], "changed_text_keys": text,
            "changed_text": len(text), "changed_dates_only": len(report.changed_keys or []) - len(text),
            "removed_keys": report.removed_keys or [], "repealed_keys": repealed, "repealed": len(repealed)}


#: Article keys a text report names per list (the --json report has them all).
NAMED_KEYS = 10


#: Laws a cut list of article keys counts by name (the rest as "N more laws").
NAMED_LAWS = 8


def _key_list(keys: List[str], shown: int = NAMED_KEYS) -> str:
    """``민법 제1115조, 제1116조, 상법 제1조 … and 7 more``: the first keys, each law's name written once per run; a cut
    list of several laws' keys ends with each law's count (``index add criminal`` had said only "교통사고처리 특례법
    제1조 … and 2493 more": not that 형법 was among them, nor how much of each)."""
    from legalret.keys import law_of

    out, law = [], None
    for key in keys[:shown]:
        this, _, article = key.rpartition(" ")
        out.append(article if this == law else key)
        law = this
    more = len(keys) - shown
    listed = ", ".join(out) + (f" … and {more} more" if more > 0 else "")
    per_law = Counter(law_of(key) for key in keys)
    if more <= 0 or len(per_law) < 2:
        return listed
    counts = [f"{name} {n}" for name, n in per_law.most_common(NAMED_LAWS)]
    rest = len(per_law) - NAMED_LAWS
    return f"{listed} — per law: {', '.join(counts)}" + (f" and {rest} more laws" if rest > 0 else "")


def _named(report) -> str:
    """The repeated keys a build report names, and how many more there were."""
    more = report.duplicates - len(report.duplicate_keys)
    return ", ".join(report.duplicate_keys) + (f" and {more} more" if more > 0 else "")


def _print_memory(info: dict) -> None:
    # (laws_not_read, law -> holdings, has had its own line: with every 법률+시행령 added it holds 3,000 laws; so have
    # the reasons a re-read was refused, a list that had been printed here as Python's ['…', '…'])
    report_out.print("precedent memory: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in info.items()
                                                      if not isinstance(v, (dict, list))), highlight=False)


def _settings_set(recorded: dict) -> str:
    """The tokenizer settings an index records that differ from today's defaults (a corpus manifest's ``tokenizer:``,
    e.g. ``article_cutoff=3.0``; an older index's ``default_dict=True``), for ``index info``: what it was built with."""
    from legalret.index.tokenize import TokenizerSettings

    defaults = TokenizerSettings().to_dict()  # (as the manifest records them: lists, not tuples)
    shown = [f"{k}={v}" for k, v in recorded.items()
             if k not in ("name", "mixed", "bigrams", "kiwipiepy") and k in defaults and defaults[k] != v]
    return (" " + " ".join(shown)) if shown else ""


def _unread_plan(manifest: dict):
    """The recorded decision archives of the index's memory and what an add would read again
    (:func:`legalret.memory.sources.reread_plan`); ``([], None)`` for an index from before the record."""
    from legalret.memory.sources import SourceRecord, reread_plan

    memory = manifest.get("memory") if "memory" in manifest.get("parts", []) else None
    records = [SourceRecord.from_dict(d) for d in (memory or {}).get("sources") or []]
    return records, (reread_plan(records, manifest["laws"]) if records else None)


def _print_decision_sources(out, manifest: dict, index: Path) -> None:
    """Where the memory's decisions were read from (an index built before the record says nothing), whether each
    archive is still there unchanged, and the laws they were read without — with the command that reads them: the
    plain add when the archives can be read again, else one naming them (the plain add would refuse)."""
    from legalret.memory.update import reread_command

    records, plan = _unread_plan(manifest)
    if not records:
        return
    shown = []
    for r in records:
        problem = r.problem()
        shown.append(f"{escape(r.path)} ({r.kind}{'; ' + escape(problem) if problem else ''})")
    out.print("decisions read from: " + ", ".join(shown), highlight=False)
    if plan.laws:
        unread = sorted(plan.laws)
        more = f" and {len(unread) - 10} more" if len(unread) > 10 else ""
        out.print(f"[yellow]laws its decisions were not read for:[/] {', '.join(unread[:10])}{more} — "
                  f"`{escape(reread_command(records, plan, index))}` reads them", highlight=False)


def _generations_kept(index: Path, live_known: bool) -> dict:
    """The kept generations and, for each past ``keep`` (:func:`~legalret.index.store.beyond_keep`, the rule pruning
    removes by), why it is there — ``index info`` had listed four generations against keep 3 without a word. Nothing
    is removed here: ``index forget`` removes one, on purpose (a rolled-back one is kept on purpose). With
    ``CURRENT`` unreadable, or the keep setting, the account is left out (``beyond_keep`` []): the rest says that."""
    from legalret.config import keep_generations
    from legalret.index.store import beyond_keep, generations

    names = [g.name for g in generations(index)]
    try:
        keep = keep_generations()  # (what a write prunes to without --keep: an earlier --keep is not recorded)
        beyond = beyond_keep(index, keep) if live_known and len(names) > keep else []
    except LegalretError:
        return {"names": names, "keep": None, "beyond_keep": []}
    return {"names": names, "keep": keep, "beyond_keep": [_why_kept(index, b, keep) for b in beyond]}


def _why_kept(index: Path, beyond, keep: int) -> dict:
    """One generation past ``keep``: what it alone holds and the line that says so (``why``)."""
    from legalret.index.store import described_last_copies

    articles = beyond.articles_alone()
    items = len(beyond.holds_alone) - len(articles)
    number = int(beyond.name.split("-")[1])
    if not beyond.holds_alone:
        why = (f"{beyond.name} is past keep {keep} (kept by a larger --keep) and holds nothing a newer or the live "
               "generation lacks: the next add or remove prunes it")
    else:
        how = "a generation rolled back from" if beyond.rolled_back_from else "an earlier generation"
        why = (f"{beyond.name}, {how}, is kept as the last one holding {described_last_copies(articles, items)} that "
               "no newer or live generation holds — pruning never deletes a last copy; "
               f"`legalret index rollback --index {index} --to {number}` returns to it, "
               f"`legalret index forget {number} --index {index} --yes` removes it with them")
    return {"generation": beyond.name, "rolled_back_from": beyond.rolled_back_from, "articles_alone": articles,
            "memory_items_alone": items, "pruned_at_next_write": not beyond.holds_alone, "why": why}


def _megabytes(size: int) -> str:
    """``412.3 MB``; under 0.1 MB in kB (a small index's generation had read "0.0 MB freed")."""
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


def _print_temp_folders(out, temps) -> None:
    """The ``.tmp-*`` folders ``index info`` finds: a write killed midway (``kill -9`` during an add's write stage)
    leaves one, hundreds of MB, that nothing had said was there. Those of a write in progress are its work, not
    leftovers (as :func:`~legalret.index.store.clean_stale_temps` decides: by the index lock)."""
    if not temps.folders:
        return
    listed = ", ".join(f"{escape(name)} ({_megabytes(size)})" for name, size in temps.folders.items())
    if temps.writing:
        out.print(f"write in progress (pid {escape(temps.writer or '?')}): {listed} — the new generation being written",
                  highlight=False)
        return
    out.print(f"[yellow]leftover temp folders:[/] {listed} — left by a write that was interrupted (a killed build, add, "
              "remove or forget), part of no generation; the next `index build`, `index add` or `index remove` that "
              "writes a generation removes them, or the next search that opens this index (safe to delete by hand "
              "while no write runs)", highlight=False)


@index_app.command("info")
def info_command(
    index: Path = typer.Option(None, "--index", callback=_one_value, help="Index directory."),
    verify: bool = typer.Option(False, "--verify", help="Check every file's sha256 against the manifest."),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest as JSON on stdout, with `passage_runtime`: what embedded the passages, `memory_laws_not_read`: the laws its recorded decision archives were read without, and `leftover_temps`: the temp folders a killed write left."),
) -> None:
    """Show what an index holds: encoder, passage runtime, tokenizer, fusion, counts, laws, stage timings, the
    generations kept and the temp folders a killed write left (listed, never removed here)."""
    from legalret.index.store import live_generation, read_manifest, temp_folders, verify_files
    from legalret.index.vector_cache import recorded_fingerprint

    index = index or _default_index()
    check_is_index(index)
    gen, broken = live_generation(index)
    if broken:  # the generations themselves are still there: show the newest, say how to make it live
        console.print(f"[yellow]warning:[/] {escape(str(broken))}; showing the newest kept generation {gen.name} "
                      f"(`legalret index rollback --index {index}` makes it live)", highlight=False)
    manifest = read_manifest(index, gen)
    if verify:
        verify_files(gen, manifest, full=True)
    enc = manifest.get("encoder")
    # what `index add` compares its own runtime with (an index from before the record: torch at its precision)
    recorded = recorded_fingerprint(enc)
    runtime = {"runtime": recorded["runtime"], "assumed": bool(recorded.get("inferred"))} if recorded else None
    kept = _generations_kept(index, broken is None)
    temps = temp_folders(index)
    if as_json:
        _, plan = _unread_plan(manifest)  # (null: the index does not record where its decisions came from)
        sys.stdout.write(json.dumps({**manifest, "passage_runtime": runtime,
                                     "memory_laws_not_read": sorted(plan.laws) if plan else None,
                                     "generations_kept": kept,
                                     "leftover_temps": [] if temps.writing else [
                                         {"folder": name, "bytes": size} for name, size in temps.folders.items()],
                                     "write_in_progress": temps.writing}, ensure_ascii=False, indent=2) + "\n")
        return
    from rich.console import Console

    out = Console(soft_wrap=True, emoji=False)  # the report is the command's output: stdout, one line per fact at any width
    c = manifest["counts"]
    size = sum(f["bytes"] for f in manifest["files"].values())
    out.print(f"[bold]{escape(str(index))}[/] — {manifest['generation']}, schema v{manifest['schema_version']}, built {manifest['created']}, {size / 1e6:.1f} MB", highlight=False)
    out.print(f"articles {c['articles']} ({c['searchable']} searchable), laws {c['laws']}, BM25 vocabulary {c['vocab']}", highlight=False)
    if enc:
        qmap = enc.get("query_adapter") or {}
        out.print(f"encoder {enc['spec']} (dim {enc['dim']}, {enc.get('precision')}) fingerprint {enc['fingerprint']}"
                  + (f", adapter {enc['adapter']}" if enc.get("adapter") else "")
                  + (f", query adapter {qmap.get('name') or qmap.get('path')} ({qmap.get('fingerprint')})" if qmap else ""),
                  highlight=False)
    else:
        out.print("encoder: none (BM25 only)")
    if runtime and runtime["assumed"]:
        out.print(f"passages embedded by {runtime['runtime']} (assumed: the index predates the runtime record; "
                      "`index add` takes it for torch at the recorded precision)", highlight=False)
    elif runtime:
        out.print(f"passages embedded by {runtime['runtime']} on {recorded.get('device')} "
                      f"({recorded.get('library')}); `index add` must embed on the same runtime", highlight=False)
    if enc:
        from legalret.models.onnx import export_root, find_export

        export = find_export(enc["fingerprint"])
        out.print(f"queries embedded by the ONNX export at {export}" if export is not None else
                      f"queries embedded by torch: no ONNX export under {export_root()} "
                      f"(`legalret index export --index {index}` writes one)", highlight=False, soft_wrap=True)
    tok = manifest["tokenizer"]
    out.print(f"tokenizer kiwi {tok.get('kiwipiepy')} mixed={tok['mixed']} bigrams={tok['bigrams']}{_settings_set(tok)}; "
              f"BM25 {manifest['bm25']}", highlight=False)
    out.print(f"fusion {manifest['fusion']}", highlight=False)
    mem = manifest.get("memory") if "memory" in manifest.get("parts", []) else None
    if mem:
        out.print(f"precedent memory: {mem['items']} holdings of {mem['cases']} decisions "
                      f"({mem['case_numbers']} case numbers), decided {mem['decided_min']} … {mem['decided_max']}; "
                      f"BM25 {mem['bm25']}" + (", with vectors" if mem.get("dim") else ""), highlight=False)
        _print_decision_sources(out, manifest, index)
    else:
        out.print("precedent memory: none")
    facts = manifest.get("facts") if "facts" in manifest.get("parts", []) else None
    if facts:
        cut = facts.get("tokenizer_settings") or {"name": "kiwi"}  # (facts memories before n-grams: the index's Kiwi)
        cut = (f"character {cut.get('n')}-grams" + (f" + words ≤ {cut['words']} syllables" if cut.get("words") else "")
               if cut["name"] == "ngram" else cut["name"])
        out.print(f"facts memory: {facts['items']} decisions, decided {facts['decided_min']} … {facts['decided_max']}; "
                      f"{cut} tokens, BM25 {facts['bm25']}, first {facts.get('max_tokens') or 'all'} tokens", highlight=False)
    out.print("generations kept: " + ", ".join(kept["names"]), highlight=False)
    if kept["beyond_keep"]:
        out.print(f"more than keep {kept['keep']}: " + "; ".join(escape(b["why"]) for b in kept["beyond_keep"]),
                  highlight=False)
    _print_temp_folders(out, temps)
    laws = list(manifest["laws"].items())
    shown = ", ".join(f"{name} ({info['articles']})" for name, info in laws[:20])
    out.print(f"laws: {shown}" + (f", … {len(laws) - 20} more" if len(laws) > 20 else ""), highlight=False)
    from legalret.index.store import law_renames

    renames = law_renames(manifest)
    if renames:  # (index add --rename): what citations of the old names find
        out.print("renamed: " + ", ".join(f"{old} → {new}" for old, new in renames.items())
                  + "; citations of the old name read as the new one", highlight=False)
    from legalret.index.store import removed_laws

    gone = {name: law_id for name, law_id in removed_laws(manifest).items() if law_id}
    if gone:  # (index remove): a law of that 법령ID added under another name is its rename (index add --rename)
        out.print("removed: " + ", ".join(f"{name} (법령ID {law_id})" for name, law_id in gone.items())
                  + "; added under another name with its 법령ID, it is taken for renamed (index add --rename)",
                  highlight=False)
    later = _not_in_force(laws)
    if later:  # the mirror's latest version of a law may take effect later (Article.takes_effect)
        out.print(escape(_not_in_force_line(later, "held here")), highlight=False)
    if manifest.get("timings"):
        out.print("build stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in manifest["timings"].items()), highlight=False)
    if verify:
        out.print("[green]all files match their checksums[/]")
        # the kept generations a rollback would return to (only the live one was checked: a rollback to a corrupt
        # one then failed, advising the rollback that had just failed)
        from legalret.index.store import generations

        for kept in generations(index):
            if kept.name == gen.name:
                continue
            try:
                verify_files(kept, read_manifest(index, kept), full=True)
                out.print(f"kept {kept.name}: all files match (a rollback can return to it)", highlight=False)
            except LegalretError as e:
                out.print(f"[yellow]kept {kept.name}: damaged[/] — a rollback cannot return to it "
                          f"({escape(str(e).split(';')[0])})", highlight=False, soft_wrap=True)
