"""``archiver import twarc | x-archive | bluesky-car``: bring in files researchers already hold."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer

from archiver.cli_common import ArchiveOpt, DbOpt, JsonOpt, QuietOpt, interactive
from archiver.cli_parts.groups import import_app

if TYPE_CHECKING:
    from archiver.importers.runner import ImportOutcome, ImportSource

SkipBadOpt = Annotated[bool, typer.Option("--skip-bad", help="Import the good rows; list bad ones in a report.")]
ReportDirOpt = Annotated[
    Path | None,
    typer.Option("--report-dir", help="Where --skip-bad writes <file>.skipped.jsonl (default: current dir)."),
]
FetchMediaOpt = Annotated[
    bool, typer.Option("--fetch-media/--no-fetch-media", help="Download media the file links to.")
]


def _print(outcome: ImportOutcome, json_out: bool, quiet: bool) -> None:
    if json_out:
        sys.stdout.write(orjson.dumps(outcome.as_dict()).decode() + "\n")
        return
    if quiet:
        return
    r = outcome.result
    if outcome.status == "already imported":
        typer.echo(f"{outcome.file}: already imported (import {outcome.import_id}); nothing to do")
        return
    line = (f"{outcome.file}: {outcome.status}, {outcome.posts} posts ({r.new_posts} new posts, "
            f"{r.new_snapshots} new snapshots, {r.edits} edits)")
    if outcome.skipped:
        line += f"; {outcome.skipped} bad rows skipped, listed in {outcome.report_path}"
    typer.echo(line)


def _run(sources: list[ImportSource], archive: Path | None, db: str | None, skip_bad: bool,
         report_dir: Path | None, fetch_media: bool, json_out: bool, quiet: bool) -> None:
    from archiver.archive import open_archive
    from archiver.importers.runner import run_import
    from archiver.progress import progress_hook

    with open_archive(archive, db, create=True) as handle:
        store = handle.store(fetch_media)
        for source in sources:
            report = (report_dir or Path.cwd()) / f"{source.path.name}.skipped.jsonl"
            with progress_hook(interactive(quiet) and not json_out) as hook:
                outcome = run_import(store, source, skip_bad=skip_bad, report_path=report, progress=hook)
            _print(outcome, json_out, quiet)


def _existing(paths: list[Path]) -> list[Path]:
    from archiver.errors import BadInputError

    for path in paths:
        if not path.exists():
            raise BadInputError(f"{path}: no such file")
    return paths


def register(app: typer.Typer) -> None:
    @import_app.command("twarc")
    def import_twarc(
        files: Annotated[list[Path], typer.Argument(help="twarc2 JSONL files (raw pages or flattened; .gz ok).")],
        skip_bad: SkipBadOpt = False,
        report_dir: ReportDirOpt = None,
        fetch_media: FetchMediaOpt = False,
        archive: ArchiveOpt = None,
        db: DbOpt = None,
        json_out: JsonOpt = False,
        quiet: QuietOpt = False,
    ) -> None:
        """Import twarc2 JSONL: each file completely or not at all, resumable, never twice."""
        from archiver.importers.twarc import TwarcSource

        sources: list[ImportSource] = [TwarcSource(p) for p in _existing(files)]
        _run(sources, archive, db, skip_bad, report_dir, fetch_media, json_out, quiet)

    @import_app.command("x-archive")
    def import_x_archive(
        path: Annotated[Path, typer.Argument(help="The X 'download your archive' zip, or its unpacked folder.")],
        skip_bad: SkipBadOpt = False,
        report_dir: ReportDirOpt = None,
        archive: ArchiveOpt = None,
        db: DbOpt = None,
        json_out: JsonOpt = False,
        quiet: QuietOpt = False,
    ) -> None:
        """Import an X account archive: tweets, long posts, deleted tweets, the account, media."""
        from archiver.importers.x_archive import XArchiveSource

        sources: list[ImportSource] = [XArchiveSource(p) for p in _existing([path])]
        _run(sources, archive, db, skip_bad, report_dir, False, json_out, quiet)

    @import_app.command("bluesky-car")
    def import_bluesky_car(
        files: Annotated[list[Path], typer.Argument(help="Repo exports (com.atproto.sync.getRepo .car files).")],
        handle: Annotated[str | None, typer.Option("--handle", help="The account's handle, if known.")] = None,
        archive: ArchiveOpt = None,
        db: DbOpt = None,
        json_out: JsonOpt = False,
        quiet: QuietOpt = False,
    ) -> None:
        """Import Bluesky repo CARs: every block's hash checked, the whole tree walked."""
        from archiver.importers.bluesky_car import CarSource

        sources: list[ImportSource] = [CarSource(p, handle) for p in _existing(files)]
        _run(sources, archive, db, False, None, False, json_out, quiet)
