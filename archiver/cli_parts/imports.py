"""``archiver import <format>``: bring in files researchers already hold.

The formats come from the platform registry (X: ``twarc``, ``x-archive``; Bluesky:
``bluesky-car``); ``import follows`` lives with the reshare-chain commands."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from archiver import platforms
from archiver.cli_common import ArchiveOpt, DbOpt, JsonOpt, QuietOpt, interactive
from archiver.cli_parts.groups import import_app
from archiver.limits import DEFAULT, LIMIT_OPTIONS, limits
from archiver.platforms import Importer

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
HandleOpt = Annotated[str | None, typer.Option("--handle", help="The account's handle, if known.")]
AllowLoopbackOpt = Annotated[bool, typer.Option(
    "--allow-loopback-media", help="Let --fetch-media reach 127.0.0.1/::1 (the sandbox, tests); never private "
    "or link-local addresses.")]


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
         report_dir: Path | None, fetch_media: bool, json_out: bool, quiet: bool,
         allow_loopback: bool = False) -> None:
    from archiver.archive import open_archive
    from archiver.importers.runner import run_import
    from archiver.progress import progress_hook

    with open_archive(archive, db, create=True) as handle:
        store = handle.store(fetch_media, allow_loopback=allow_loopback)
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


def _command(importer: Importer) -> Callable[..., None]:
    """A Typer command for one platform importer, with exactly the options its format supports.

    Typer reads the parameters from ``__signature__``, so the command is built from the
    importer's description rather than written out once per format.
    """
    files_type = list[Path] if importer.many else Path
    params = [inspect.Parameter("files" if importer.many else "path", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=Annotated[files_type, typer.Argument(help=importer.files_help)])]

    def option(name: str, annotation: Any, default: Any) -> None:
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default))

    if importer.skip_bad:
        option("skip_bad", SkipBadOpt, False)
        option("report_dir", ReportDirOpt, None)
    if importer.fetch_media:
        option("fetch_media", FetchMediaOpt, False)
        option("allow_loopback_media", AllowLoopbackOpt, False)
    if importer.handle:
        option("handle", HandleOpt, None)
    option("archive", ArchiveOpt, None)
    option("db", DbOpt, None)
    option("json_out", JsonOpt, False)
    option("quiet", QuietOpt, False)
    for name, annotation in LIMIT_OPTIONS.items():  # the bounds on hostile files (docs/security.md)
        option(name, annotation, getattr(DEFAULT, name))

    def command(**given: Any) -> None:
        files = given["files"] if importer.many else [given["path"]]
        bounds = limits(**{name: given[name] for name in LIMIT_OPTIONS})
        sources = [importer.open(path, given.get("handle")) for path in _existing(files)]
        for source in sources:
            if hasattr(source, "limits"):
                source.limits = bounds
        _run(sources, given["archive"], given["db"], given.get("skip_bad", False), given.get("report_dir"),
             given.get("fetch_media", False), given["json_out"], given["quiet"],
             given.get("allow_loopback_media", False))

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__doc__ = importer.help
    command.__name__ = "import_" + importer.command.replace("-", "_")
    return command


def register(app: typer.Typer) -> None:
    """One ``archiver import <format>`` per importer of every registered platform."""
    for platform in platforms.platforms():
        for importer in platform.importers:
            import_app.command(importer.command)(_command(importer))
