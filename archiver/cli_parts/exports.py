"""``archiver export posts | versions | twarc``: hand the archive back in the formats researchers use.
(``export graph`` belongs to the reshare-chain capability.)"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from archiver.cli_common import ArchiveOpt, DbOpt, QuietOpt
from archiver.cli_parts.groups import export_app
from archiver.platforms import names

OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Output file (default: standard output).")]
PlatformOpt = Annotated[str | None, typer.Option("--platform", help=f"Only this platform: {' or '.join(names())}.")]


def _out(out: Path | None) -> Path | None:
    from archiver.out_paths import out_file

    return None if out is None else out_file(out)


def _done(count: int, what: str, out: Path | None, quiet: bool) -> None:
    if not quiet and out is not None:
        typer.echo(f"wrote {count} {what} to {out}", err=True)


def _check_platform(platform: str | None) -> None:
    from archiver import platforms
    from archiver.errors import BadInputError

    if platform is not None and platform not in platforms.names():
        raise BadInputError(f"--platform must be one of {', '.join(platforms.names())}, not {platform!r}")


def register(app: typer.Typer) -> None:
    @export_app.command("posts")
    def export_posts(
        fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl, csv or parquet.")] = "jsonl",
        out: OutOpt = None,
        platform: PlatformOpt = None,
        archive: ArchiveOpt = None,
        db: DbOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """One row per post: its current version, hashes, status, every referenced id, last metrics."""
        from archiver.archive import open_archive
        from archiver.exports.rows import POST_COLUMNS, posts_query, stream
        from archiver.exports.writers import write_rows

        _check_platform(platform)
        _out(out)
        with open_archive(archive, db) as handle:
            rows = stream(handle.engine, posts_query(platform), POST_COLUMNS)
            _done(write_rows(rows, POST_COLUMNS, fmt, out, sys.stdout.buffer), "posts", out, quiet)

    @export_app.command("versions")
    def export_versions(
        fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl or csv.")] = "jsonl",
        out: OutOpt = None,
        platform: PlatformOpt = None,
        archive: ArchiveOpt = None,
        db: DbOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """Every snapshot (version) of every post, with its raw JSON and normalized content."""
        from archiver.archive import open_archive
        from archiver.errors import BadInputError
        from archiver.exports.rows import VERSION_COLUMNS, stream, versions_query
        from archiver.exports.writers import write_rows

        if fmt not in ("jsonl", "csv"):
            raise BadInputError(f"--format must be jsonl or csv for versions, not {fmt!r}")
        _check_platform(platform)
        _out(out)
        with open_archive(archive, db) as handle:
            rows = stream(handle.engine, versions_query(platform), VERSION_COLUMNS)
            _done(write_rows(rows, VERSION_COLUMNS, fmt, out, sys.stdout.buffer), "versions", out, quiet)

    @export_app.command("twarc")
    def export_twarc(
        out: OutOpt = None,
        all_versions: Annotated[bool, typer.Option("--all-versions", help="Every version, not just the current.")]
        = False,
        archive: ArchiveOpt = None,
        db: DbOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """X posts as twarc2 JSONL (one response page per tweet), readable by twarc tools."""
        from archiver.archive import open_archive
        from archiver.exports.twarc import write_twarc

        _out(out)
        with open_archive(archive, db) as handle:
            if out is None:
                write_twarc(handle.engine, sys.stdout.buffer, all_versions)
            else:
                with out.open("wb") as fh:
                    _done(write_twarc(handle.engine, fh, all_versions), "pages", out, quiet)
