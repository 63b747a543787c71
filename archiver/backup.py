"""``archiver backup FILE``: a consistent copy of an SQLite archive's database while it is in use.

Why not ``cp archive.db``: committed pages may still sit in ``archive.db-wal`` (a collector that
is running, or one that was killed), and a copy of the main file alone then misses them. SQLite's
online backup API copies the database as one consistent snapshot, log included, whatever other
connections are doing. The media folder is plain files named by their hash: copy it with any
tool (``rsync -a archive/media/ backup/media/``); docs/operations.md has the whole procedure.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from archiver.archive import Archive
from archiver.errors import BadInputError
from archiver.out_paths import out_file


def backup_sqlite(archive: Archive, target: Path) -> int:
    """Copy ``archive``'s database into the new file ``target``; returns its size in bytes."""
    if not archive.location.is_sqlite:
        raise BadInputError("backup: this archive is on PostgreSQL; use pg_dump (docs/operations.md)")
    if target.exists():
        raise BadInputError(f"backup {target}: exists; give a new file name (an old backup is never overwritten)")
    out_file(target, "backup")
    source = sqlite3.connect(archive.location.directory / "archive.db", timeout=30)
    partial = target.with_name(target.name + ".partial")
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            copy.close()
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    return target.stat().st_size


__all__ = ["backup_sqlite"]
