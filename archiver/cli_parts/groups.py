"""Command groups that several capability files add commands to (``archiver import ...``,
``archiver export ...``, ``archiver sandbox ...``). Registered once, by ``archiver.cli``."""

from __future__ import annotations

import typer

from archiver import platforms

_FORMATS = ", ".join(i.label for p in platforms.platforms() for i in p.importers)
import_app = typer.Typer(help=f"Import files researchers already hold ({_FORMATS}).", no_args_is_help=True)
export_app = typer.Typer(help="Export the archive for pandas, R, DuckDB, twarc tools and Gephi.",
                         no_args_is_help=True)
sandbox_app = typer.Typer(help=f"The offline loopback sandbox of the {platforms.labels()} APIs.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")
    app.add_typer(sandbox_app, name="sandbox")
