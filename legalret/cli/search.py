"""``legalret search``: a table (or JSON lines) of the articles that govern a question.

Examples::

    legalret search "유치권 간접점유" --index idx/ -k 10 --law 민법,상법 --mode hybrid --explain
    legalret search "상법 651조의2" --json                          # JSON lines on stdout
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.text import Text
from rich.table import Table

from legalret.errors import LegalretError
from legalret.progress import console


def register(app: typer.Typer) -> None:
    app.command("search")(search_command)


def _default_index() -> Path:
    from legalret.config import default_index_dir

    return default_index_dir()


def search_command(
    query: str = typer.Argument(..., help="Question or keywords; an exact citation such as '민법 제750조' is ranked first."),
    index: Path = typer.Option(None, "--index", help="Index directory."),
    k: int = typer.Option(10, "-k", "--top-k", help="Number of hits."),
    law: Optional[str] = typer.Option(None, "--law", help="Only these laws, comma-separated (민법,상법)."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Only these kinds, comma-separated (법률,시행령)."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid | rrf | bm25 | dense | memory"),
    as_json: bool = typer.Option(False, "--json", help="JSON lines on stdout (one hit per line)."),
    explain: bool = typer.Option(False, "--explain", help="Show each retriever's rank and score per hit."),
) -> None:
    """Search the index: a table of rank, key, title, snippet (matched terms highlighted) and score."""
    from legalret.search.searcher import Searcher

    if not query.strip():
        raise LegalretError("empty query: type some words or an article citation such as '민법 제750조'")
    searcher = Searcher(index or _default_index())
    if mode in ("hybrid", "rrf") and not searcher.has_dense:
        mode = "bm25"  # a BM25-only index: hybrid is BM25
    results = searcher.search(query, k=k, mode=mode, laws=law, kinds=kind, explain=explain)
    for note in searcher.notices + results.notices:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    if as_json:
        for rank, hit in enumerate(results, 1):
            sys.stdout.write(json.dumps({"rank": rank, **hit.to_dict(with_text=True)}, ensure_ascii=False) + "\n")
        return
    if not results:
        console.print("no matching articles")
        return
    terms = _highlight_terms(searcher.tokenizer.tokenize(results.query))
    table = Table(show_lines=explain, title=f"{results.query}  [dim]({mode})[/]")
    table.add_column("#", justify="right")
    table.add_column("article", no_wrap=True)
    table.add_column("title")
    table.add_column("text", overflow="fold")
    table.add_column("score", justify="right")
    for rank, hit in enumerate(results, 1):
        text = snippet(hit.article.index_text(with_title=False), terms)
        if explain and hit.reasons:
            text.append("\n" + "\n".join(hit.reasons), style="dim")
        title = hit.article.title + (" [삭제]" if hit.article.deleted else "")
        table.add_row(str(rank), hit.key, title, text, f"{hit.score:.3f}")
    from rich.console import Console

    Console().print(table)


def _highlight_terms(tokens: list[str]) -> list[str]:
    # longest first so a compound is highlighted whole; single syllables would light up everywhere
    return sorted({t for t in tokens if len(t) >= 2}, key=len, reverse=True)


def snippet(text: str, terms: list[str], width: int = 110) -> Text:
    """A window of ``text`` around the first matched term, every matched term highlighted."""
    start = 0
    if terms:
        m = re.search("|".join(map(re.escape, terms)), text)
        if m:
            start = max(0, m.start() - width // 4)
    piece = text[start : start + width]
    out = Text(("…" if start > 0 else "") + piece + ("…" if start + width < len(text) else ""))
    if terms:
        out.highlight_words(terms, style="bold yellow")
    return out
