"""``legalret fix-text [FILE]``: repair Korean mojibake (cp1252/latin-1-decoded UTF-8), lossless or lossy.

The repaired text goes to stdout; a report of every repaired span, with its confidence, goes to stderr
(``--json``: the same report as one JSON object on stderr, so stdout stays the text)::

    $ echo 'ìƒë²• ì œ651ì¡°' | legalret fix-text
    상법 제651조
    1 span repaired (0 low-confidence, 0 unrepaired)
      [0:12] lossy-lm 0.998  'ìƒë²• ì\\xa0œ651ì¡°' → '상법 제651조'

Input is read by ``ingest``'s own decoder (:func:`legalret.ingest.sources.decode`, the same function, so both give the
same text): UTF-8, or — with a one-line warning — a legacy CP949 (EUC-KR) file, UTF-16 with its byte-order mark, or
CP949 text that was read as Latin-1/cp1252 and saved as UTF-8 ('Á¦1Á¶' for '제1조'), which is decoded back exactly as a
whole (span-by-span repair had made it worse: '°üÇÏ¿©' → '°üÇϿ©'); the output is UTF-8. At a terminal with no FILE
it says on stderr that it reads stdin.

A span is not made worse by default (a changed default): a guess in which some bytes decoded to nothing (confidence 0)
and the rest to characters Korean text does not hold (invented: '°üÇÏ¿©' → '°üÇϿ©') is left as it was and reported
``unrepaired``; it used to be applied, and ``--apply-undecoded`` applies it still. Other guesses with a confidence below
``--min-confidence`` (default 0.9) are applied and reported ``low-confidence``; ``--keep-broken`` leaves those as they
were too.

A character rebuilt from bytes the wrong decoding lost (cp1252's undefined 0x81 0x8D 0x8F 0x90 0x9D) where other real
syllables fit the same bytes is a guess however confident the model is (교각 → 교감 at 0.98): its span is reported
``guessed`` and each such character is listed with its other readings.

``--strict`` exits with status 3 when any span is low-confidence, guessed from lost bytes or unrepaired, or characters
were lost before the text came here (U+FFFD: no repair can know them) (for pipelines).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from legalret.errors import SourceError
from legalret.progress import console

#: Exit status of ``--strict`` when some span could not be repaired confidently.
EXIT_UNCERTAIN = 3


def register(app: typer.Typer) -> None:
    app.command("fix-text")(fix_text)


def fix_text(
    file: Optional[Path] = typer.Argument(None, help="Text file to repair: UTF-8, CP949/EUC-KR or UTF-16 (default: stdin)",
                                          show_default=False),
    json_report: bool = typer.Option(False, "--json", help="Write the report as JSON (on stderr)"),
    model: Optional[Path] = typer.Option(None, "--model", help="Character n-gram model (.npz); default: bundled"),
    min_confidence: float = typer.Option(0.9, "--min-confidence", min=0.0, max=1.0, help="Below this a repair is 'low-confidence'"),
    keep_broken: bool = typer.Option(
        False, "--keep-broken", help="Leave low-confidence spans broken instead of applying the best guess"
    ),
    apply_undecoded: bool = typer.Option(
        False, "--apply-undecoded",
        help="Also apply invented guesses: some bytes decoded to nothing (confidence 0), the rest to non-Korean "
             "characters (by default such a span is left as it was, reported unrepaired)",
    ),
    strict: bool = typer.Option(False, "--strict", help=f"Exit {EXIT_UNCERTAIN} if any span is low-confidence/guessed/unrepaired"),
) -> None:
    """Repair mojibake in FILE (or stdin): text to stdout, a report of every repaired span to stderr.

    Read as ingest reads it (CP949 read as Latin-1 and saved as UTF-8 is decoded back exactly, as a whole). By
    default no span is made worse: a guess in which some bytes decoded to nothing (confidence 0) and the rest to
    characters Korean text does not hold is left as it was and reported unrepaired (it used to be applied;
    --apply-undecoded applies it).
    """
    from legalret.ingest.mojibake import MojibakeRepairer

    if file is None and _stdin_is_terminal() and (not json_report or sys.stderr.isatty()):
        console.print("reading the text from stdin; end with Ctrl-D, or give a FILE", highlight=False)
    text, warnings = _read(file)
    if not json_report:  # (with --json the warning is in the report: stderr stays one JSON object)
        for w in warnings:
            console.print(f"[yellow]warning:[/] {escape(str(w))}", highlight=False, soft_wrap=True)
    repairer = MojibakeRepairer(model, min_confidence=min_confidence, keep_low_confidence=not keep_broken,
                                keep_undecoded=not apply_undecoded)
    result = repairer.repair(text)
    sys.stdout.write(result.text)
    sys.stdout.flush()
    low = [r for r in result.repairs if r.confidence < min_confidence and r.method != "unrepaired"]
    unrepaired = [r for r in result.repairs if r.method == "unrepaired"]
    # characters rebuilt from lost bytes where other real syllables fit are guesses however confident (교각 → 교감 at
    # 0.98 had been "0 low-confidence" and passed --strict): counted, flagged and refused by --strict like the rest
    guessed = [r for r in result.repairs if r.guessed and r.method != "unrepaired" and r not in low]
    # "no mojibake found" with --strict passing had said a text that lost characters was fine
    lost = result.lost
    if json_report:
        report = {
            "source": str(file) if file else "<stdin>",
            "chars": len(text),
            "spans": len(result.repairs),
            "low_confidence": len(low),
            "unrepaired": len(unrepaired),
            "guessed": len(guessed),
            "guessed_chars": sum(len(r.guessed) for r in guessed),
            "lost": lost,
            "min_confidence": min_confidence,
            "repairs": [r.to_dict() for r in result.repairs],
            "warnings": [str(w) for w in warnings],
        }
        sys.stderr.write(json.dumps(report, ensure_ascii=False) + "\n")
    else:
        _print_report(result.repairs, len(low), len(unrepaired), min_confidence, decoded=bool(warnings),
                      n_guessed=len(guessed))
        if lost:
            console.print(f"{lost} character(s) lost (U+FFFD) outside any repaired span: the text lost bytes before it "
                          "came here (UTF-8 read as CP949?); no repair can know them — get it again from its source",
                          highlight=False)
    if strict and (low or unrepaired or guessed or lost):
        raise typer.Exit(EXIT_UNCERTAIN)


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):  # replaced or closed stdin
        return False


def _read(file: Optional[Path]) -> tuple[str, list[SourceError]]:
    """The text of FILE (or stdin), decoded by ``ingest``'s own :func:`~legalret.ingest.sources.decode` (one code path:
    fix-text had decoded UTF-8 itself and so skipped ingest's exact whole-text decode of CP949 read as Latin-1 and
    saved as UTF-8, then "repaired" it span by span into worse text): UTF-8 as is (its mojibake is what fix-text
    repairs); CP949/EUC-KR, UTF-16 with its BOM and CP949-read-as-Latin-1 decoded, each with a warning."""
    from legalret.ingest.sources import decode

    if file is None:
        data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
        name = "<stdin>"
    else:
        try:
            data = file.read_bytes()
        except OSError as e:
            raise SourceError(str(file), f"cannot read: {e.strerror or e}") from e
        name = str(file)
    warnings: list[SourceError] = []
    return decode(data, name, warnings), warnings


def _print_report(repairs, n_low: int, n_unrepaired: int, min_confidence: float, decoded: bool = False,
                  n_guessed: int = 0) -> None:
    if not repairs:  # decoded: the whole text was (the warning above says how); nothing else was found in it
        console.print("no mojibake found after decoding" if decoded else "no mojibake found", highlight=False)
        return
    guesses = (f", {n_guessed} guessed from lost bytes" if n_guessed else "")
    console.print(f"{len(repairs)} span{'s' if len(repairs) != 1 else ''} repaired "
                  f"({n_low} low-confidence, {n_unrepaired} unrepaired{guesses})", highlight=False)
    for r in repairs:
        if r.status == "guessed" and r.confidence < min_confidence:
            flag = "  [low-confidence]"
        else:
            flag = "" if r.status == "repaired" and r.confidence >= min_confidence else f"  [{r.status}]"
        console.print(f"  [{r.start}:{r.end}] {r.method} {r.confidence:.3f}  {r.broken!r} → {r.fixed!r}{flag}",
                      highlight=False, markup=False, soft_wrap=True)
        guessed = set(r.guessed)
        for offset, char, p, alts in r.uncertain:
            why = "  rebuilt from lost bytes" if offset in guessed else ""
            console.print(f"      char {offset} {char!r} p={p:.3f} (or {', '.join(alts) or '—'}){why}",
                          highlight=False, markup=False, soft_wrap=True)
