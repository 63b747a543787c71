"""Core commands: init, collect, status, show, verify, demo."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from archiver.cli_common import ArchiveOpt, ConfigOpt, DbOpt, JsonOpt, QuietOpt, interactive


def _config_path(config: Path | None) -> Path:
    return config or Path(os.environ.get("ARCHIVER_CONFIG") or "archiver.toml")


def register(app: typer.Typer) -> None:
    @app.command()
    def init(archive: ArchiveOpt = None, db: DbOpt = None, quiet: QuietOpt = False) -> None:
        """Create an archive, or upgrade an existing one to the current schema."""
        from archiver.archive import open_archive
        from archiver.db import current_revision

        handle = open_archive(archive, db, create=True)
        if not quiet:
            typer.echo(f"archive ready at {handle.location.redacted_url()} "
                       f"(schema {current_revision(handle.engine)})")

    @app.command()
    def collect(
        config: ConfigOpt = None,
        source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")] = None,
        backfill: Annotated[bool, typer.Option("--backfill", help="Bluesky: also import the full repo CAR.")] = False,
        archive: ArchiveOpt = None,
        db: DbOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """Collect every configured source (or --source NAME) into the archive."""
        from archiver.archive import open_archive
        from archiver.collect import run_collect
        from archiver.config import load_config, secrets_from_env
        from archiver.progress import progress_hook
        from archiver.summary import print_run

        cfg = load_config(_config_path(config))
        chosen = cfg.select(source)
        handle = open_archive(archive, db, create=True)
        with progress_hook(interactive(quiet)) as hook:
            outcome = run_collect(handle.store(cfg.media), cfg, chosen, secrets_from_env(), progress=hook,
                                  backfill=backfill)
        if not quiet or outcome.status != "complete":
            print_run(outcome, quiet=quiet)
        raise typer.Exit(outcome.exit_code)
