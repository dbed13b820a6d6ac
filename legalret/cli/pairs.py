"""``legalret pairs``: training pairs and the standard dev/train query sets from court decisions.

    legalret pairs --out out/pairs                       # shared data, 민법+상법, templates plain,card
    legalret pairs --precedents ../shared/data/precedents/precedent-kr.zip \\
                   --statutes ../shared/data/statutes/legalize-kr.zip --corpus civil-commercial \\
                   --templates plain,card --negatives 3 --out out/pairs

Writes ``train.jsonl`` / ``dev.jsonl`` (pairs), ``train_queries.jsonl`` / ``dev_queries.jsonl`` (benchmark
format ``{"qid", "query", "gold": [keys]}`` — ``dev_queries.jsonl`` is the standard dev set for
``legalret bench quality``) and ``stats.json``.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape


from legalret.errors import LegalretError


def _default(sub: str) -> Path:
    from legalret.config import shared_data_dir

    data = shared_data_dir()
    if data is None:
        raise LegalretError(f"no --{sub.split('/')[0]} given and no shared data found (set LEGALRET_DATA)")
    return data / sub


def pairs_command(
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (created; files replaced atomically)."),
    precedents: Optional[List[Path]] = typer.Option(
        None, "--precedents", "-p", help="Decisions: precedent zip / folder / .md / law.go.kr .json (repeatable). "
        "Default: the shared precedent-kr.zip."),
    statutes: Optional[List[Path]] = typer.Option(
        None, "--statutes", "-s", help="Statutes for the corpus, as `index build` reads them: files, folders, zips, "
        "an articles JSONL (repeatable). Default: the shared legalize-kr.zip."),
    corpus: str = typer.Option("civil-commercial", "--corpus", help="Corpus manifest name (or 'all')."),
    templates: str = typer.Option("plain,card", "--templates",
                                  help="Comma-separated holding query templates (plain, card, issue, relevant); "
                                  "they rotate over holdings; the first is used for the *_queries.jsonl files."),
    negatives: int = typer.Option(0, "--negatives", min=0, help="BM25 hard negatives per pair (0 = none)."),
    skip: int = typer.Option(2, "--skip", min=0, help="Non-gold BM25 hits skipped before taking negatives."),
    synthetic: bool = typer.Option(True, "--synthetic/--no-synthetic",
                                   help="Add number/title-based synthetic pairs (train only)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Read at most N decisions (quick runs)."),
    as_json: bool = typer.Option(False, "--json", help="Print the full stats as JSON on stdout."),
    accept_uncertain: bool = typer.Option(False, "--accept-uncertain-repairs",
                                          help="Use statute files whose lossy mojibake repairs stayed uncertain (left "
                                          "out by default, as `index build` skips them: a wrong guess teaches wrong words)."),
) -> None:
    """Build (holding → article) pairs and benchmark query sets, split by decision date."""
    from legalret.ingest.output import check_output_path
    from legalret.pairs.build import build_from_sources, pairs_files
    from legalret.progress import console, report

    if out.exists() and not out.is_dir():
        raise LegalretError(f"--out {out}: is a file; give a folder for the pairs")
    for path in pairs_files(out).values():
        if path.is_dir():  # (the generic advice named a file inside that folder)
            raise LegalretError(f"--out {out}: {path} is a folder, where the pairs' {path.name} goes; choose another --out")
    check_output_path(out / "stats.json")  # the folder can be created and written, checked before any work

    stats = build_from_sources(
        precedents or [_default("precedents/precedent-kr.zip")],
        statutes or [_default("statutes/legalize-kr.zip")],
        out,
        corpus=corpus,
        templates=[t.strip() for t in templates.split(",") if t.strip()],
        negatives=negatives,
        skip=skip,
        synthetic=synthetic,
        limit=limit,
        accept_uncertain=accept_uncertain,
    )
    # one line per fact at any width (wrapped at 80 columns in a pipe, "unknown_article" and its count fell on two
    # lines and grep lost them)
    say = partial(console.print, highlight=False, soft_wrap=True)
    for message in stats["warnings"]:  # (stderr: said with --json too)
        say(f"[yellow]warning:[/] {escape(message)}")
    if as_json:
        print(json.dumps(stats, ensure_ascii=False, indent=2, default=str))
        return
    p, c = stats["precedents"], stats["precedents"]["citations"]["counts"]
    for message in stats["corpus"]["error_examples"][:10]:
        say(f"[yellow]skipped statutes[/] {escape(message)}")
    for message in p["error_examples"][:10]:
        say(f"[yellow]skipped[/] {escape(str(message))}")
    if p["errors"] > 10:
        say(f"[yellow]… {p['errors'] - 10} more skipped files (stats.json lists 50)[/]")
    # the report (what was built) on stdout, as ingest's and index add's: `legalret pairs … > pairs.log` keeps it
    tell = partial(report.print, highlight=False, soft_wrap=True)
    tell(f"precedents {p['precedents']:,} (errors {p['errors']}), holdings {p['holdings']:,}, "
         f"with corpus keys {p['holdings_with_keys']:,}")
    tell("citations " + ", ".join(f"{k} {v:,}" for k, v in c.items()))
    for split in ("train", "dev"):
        s = stats[split]
        tell(f"{split}: {s['pairs']:,} pairs {escape(str(s['pairs_by_source']))}, {s['queries']:,} queries")
    tell(f"wrote {escape(str(out))}/{{train,dev}}.jsonl, {{train,dev}}_queries.jsonl, stats.json")


def register(app: typer.Typer) -> None:
    app.command("pairs")(pairs_command)
