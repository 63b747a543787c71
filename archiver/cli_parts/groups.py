"""Command groups that several capability files add commands to (``archiver import ...``,
``archiver export ...``, ``archiver sandbox ...``). Registered once, by ``archiver.cli``."""

from __future__ import annotations

import typer

import_app = typer.Typer(help="Import files researchers already hold (twarc2 JSONL, X archive, Bluesky CAR).",
                         no_args_is_help=True)
export_app = typer.Typer(help="Export the archive for pandas, R, DuckDB, twarc tools and Gephi.",
                         no_args_is_help=True)
sandbox_app = typer.Typer(help="The offline loopback sandbox of the X and Bluesky APIs.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")
    app.add_typer(sandbox_app, name="sandbox")
