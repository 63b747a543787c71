"""Options shared by every command, and the one place errors become exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

ArchiveOpt = Annotated[
    Path | None,
    typer.Option("--archive", help="Archive directory (env ARCHIVER_HOME, default ./archive).", show_default=False),
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy database URL (env ARCHIVER_DB); default SQLite in the archive dir.",
                 show_default=False),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing unless something is wrong.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML config (env ARCHIVER_CONFIG, default ./archiver.toml).")
]


def interactive(quiet: bool) -> bool:
    """Progress bars only for a person at a terminal: never under cron or --quiet."""
    return not quiet and sys.stderr.isatty()
