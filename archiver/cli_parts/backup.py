"""``archiver backup FILE``: a consistent copy of the SQLite database (logic in ``archiver.backup``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archiver.cli_common import ArchiveOpt, DbOpt, QuietOpt


def register(app: typer.Typer) -> None:
    @app.command()
    def backup(
        file: Annotated[Path, typer.Argument(help="The new database file to write (must not exist).")],
        archive: ArchiveOpt = None,
        db: DbOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """Copy the archive's SQLite database with SQLite's online backup API (safe while it is in use)."""
        from archiver.archive import open_archive
        from archiver.backup import backup_sqlite

        with open_archive(archive, db) as handle:
            size = backup_sqlite(handle, file)
        if not quiet:
            typer.echo(f"backed up the database to {file} ({size:,} bytes); copy {handle.media_dir} beside it")
