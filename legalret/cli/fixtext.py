"""CLI commands for this area (placeholder until its owner fills it in)."""

import typer


def register(app: typer.Typer) -> None:
    pass
