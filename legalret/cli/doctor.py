"""``legalret doctor``: installed libraries vs the tested set, devices, known-incompatible combinations.

The report is the command's output, on stdout (``legalret doctor > doctor.txt`` keeps it; it had gone to stderr and
left an empty file), as ``--json`` and ``--brief`` are. With ``--json`` the problems are in the JSON, and also said on
stderr, one line each.
"""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.markup import escape

from legalret.progress import console as err


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(
        brief: bool = typer.Option(False, "--brief", help="One summary line (what set-up prints)."),
        as_json: bool = typer.Option(False, "--json", help="The report as JSON on stdout."),
    ) -> None:
        """Check Python, torch (CUDA / bf16), transformers, peft, sentence-transformers, faiss, kiwipiepy,
        bm25s, onnxruntime … against requirements.lock (the report on stdout). Exit code 1 when a combination is
        known to break."""
        from legalret.doctor import diagnose, runtime

        report = diagnose()
        out = Console(soft_wrap=True, emoji=False)  # the report is the command's output: stdout, one line per fact at any width
        if as_json:
            typer.echo(json.dumps({**report.to_dict(), "runtime": runtime()}, ensure_ascii=False, indent=2))
        elif brief:
            out.print(report.summary(), highlight=False)
        else:
            rt = runtime()
            out.print(report.summary(), highlight=False)
            for p in report.packages:
                mark = {"ok": "[green]ok[/]", "differs": "[yellow]differs[/]", "missing": "[red]missing[/]"}[p.state]
                out.print(f"  {p.name:<22} {p.installed or '-':<14} tested {p.tested or '-':<14} {mark}",
                          highlight=False)
            device = f"CUDA {rt['cuda_device']} (bf16: {'yes' if rt['cuda_bf16'] else 'no'})" if rt["cuda"] else "no GPU"
            out.print(f"  device: CPU (native bf16: {'yes' if rt['cpu_bf16'] else 'no, fp32 is used'}), {device}",
                      highlight=False)
            if "torch_error" in rt:
                out.print(f"  [red]torch does not import:[/] {escape(str(rt['torch_error']))}", highlight=False)
        for problem in report.problems:  # (part of the report; with --json, in its "problems" and said on stderr)
            (err if as_json else out).print(f"[bold red]problem:[/] {escape(str(problem))}", highlight=False)
        if not report.ok:
            raise typer.Exit(1)
