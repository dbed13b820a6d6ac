"""``legalret doctor``: installed libraries vs the tested set, devices, known-incompatible combinations."""

from __future__ import annotations

import json

import typer
from rich.markup import escape

from legalret.progress import console


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(
        brief: bool = typer.Option(False, "--brief", help="One summary line (what set-up prints)."),
        as_json: bool = typer.Option(False, "--json", help="The report as JSON on stdout."),
    ) -> None:
        """Check Python, torch (CUDA / bf16), transformers, peft, sentence-transformers, faiss, kiwipiepy,
        bm25s, onnxruntime … against requirements.lock. Exit code 1 when a combination is known to break."""
        from legalret.doctor import diagnose, runtime

        report = diagnose()
        if as_json:
            typer.echo(json.dumps({**report.to_dict(), "runtime": runtime()}, ensure_ascii=False, indent=2))
        elif brief:
            console.print(report.summary(), highlight=False, soft_wrap=True)
        else:
            rt = runtime()
            console.print(report.summary(), highlight=False, soft_wrap=True)
            for p in report.packages:
                mark = {"ok": "[green]ok[/]", "differs": "[yellow]differs[/]", "missing": "[red]missing[/]"}[p.state]
                console.print(f"  {p.name:<22} {p.installed or '-':<14} tested {p.tested or '-':<14} {mark}",
                              highlight=False)
            device = f"CUDA {rt['cuda_device']} (bf16: {'yes' if rt['cuda_bf16'] else 'no'})" if rt["cuda"] else "no GPU"
            console.print(f"  device: CPU (native bf16: {'yes' if rt['cpu_bf16'] else 'no, fp32 is used'}), {device}",
                          highlight=False)
            if "torch_error" in rt:
                console.print(f"  [red]torch does not import:[/] {escape(str(rt['torch_error']))}", highlight=False)
        for problem in report.problems:
            console.print(f"[bold red]problem:[/] {escape(str(problem))}", highlight=False, soft_wrap=True)
        if not report.ok:
            raise typer.Exit(1)
