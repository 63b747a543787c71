"""Operations commands: ``archiver run`` (for cron and systemd timers) and ``archiver copy``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archiver.cli_common import ArchiveOpt, ConfigOpt, DbOpt, JsonOpt, QuietOpt, interactive

SourceOpt = Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")]
LogFileOpt = Annotated[Path | None, typer.Option("--log-file", help="Also append every log event (JSON lines) here.")]
LockNameOpt = Annotated[str | None, typer.Option(
    "--lock-name", help="Lock name (default: derived from the sources, so one job never overlaps itself).")]


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        config: ConfigOpt = None,
        source: SourceOpt = None,
        archive: ArchiveOpt = None,
        db: DbOpt = None,
        quiet: QuietOpt = False,
        log_file: LogFileOpt = None,
        lock_name: LockNameOpt = None,
        every: Annotated[str | None, typer.Option(
            "--every", help="The schedule's interval (e.g. 1h); missed runs are then reported as gaps.")] = None,
        site: Annotated[Path | None, typer.Option("--site", help="Report directory (default <archive>/site).")] = None,
        no_analyze: Annotated[bool, typer.Option("--no-analyze", help="Skip the analysis step.")] = False,
        no_report: Annotated[bool, typer.Option("--no-report", help="Skip building the report.")] = False,
    ) -> None:
        """Collect, analyze and report in one go. Exit 0 complete, 3 partial, 1 failed, 2 bad config,
        75 another run holds the lock. Logs are JSON lines on stderr (--quiet: only problems)."""
        import os

        from archiver.app.run import RunOptions, parse_every, run_scheduled
        from archiver.ops import logging as oplog
        from archiver.progress import progress_hook

        oplog.configure(quiet=quiet, log_file=log_file)
        options = RunOptions(
            config_path=config or Path(os.environ.get("ARCHIVER_CONFIG") or "archiver.toml"),
            archive=archive, db=db, sources=source, lock_name=lock_name,
            every=parse_every(every) if every else None,
            analyze=not no_analyze, report=not no_report, site_dir=site,
        )
        try:
            with progress_hook(interactive(quiet)) as hook:
                code = run_scheduled(options, progress=hook)
        finally:
            oplog.close()
        raise typer.Exit(code)

    @app.command("copy")
    def copy_cmd(
        to: Annotated[str, typer.Option("--to", help="Target: a database URL, or a directory for an SQLite archive.")],
        to_archive: Annotated[Path | None, typer.Option(
            "--to-archive", help="Media directory's archive dir for a URL target (default: the source's).")] = None,
        archive: ArchiveOpt = None,
        db: DbOpt = None,
        batch: Annotated[int, typer.Option("--batch", help="Rows per batch.", min=1)] = 1000,
        quiet: QuietOpt = False,
        json_out: JsonOpt = False,
    ) -> None:
        """Copy the archive into an empty database (SQLite <-> PostgreSQL), then verify every hash there."""
        import orjson

        from archiver.archive import open_archive
        from archiver.ops.copy import copy_archive

        with open_archive(archive, db) as source:
            report = copy_archive(source, to, to_archive=to_archive, batch=batch)
        if json_out:
            typer.echo(orjson.dumps(report.as_dict()).decode())
        elif not quiet:
            rows = sum(report.rows.values())
            typer.echo(f"copied {rows} rows in {len(report.rows)} tables and {report.media_files} media files "
                       f"to {report.target}; verified {report.verified.get('captures', 0)} captures, "
                       f"{report.verified.get('snapshots', 0)} snapshots, {report.verified.get('media', 0)} media")
