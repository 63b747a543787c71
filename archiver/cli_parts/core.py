"""Core commands: init, collect, status, show, verify, demo."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from archiver.cli_common import ArchiveOpt, ConfigOpt, DbOpt, JsonOpt, QuietOpt, interactive
from archiver.errors import EXIT_FAILED, EXIT_OK


def _config_path(config: Path | None) -> Path:
    return config or Path(os.environ.get("ARCHIVER_CONFIG") or "archiver.toml")


def register(app: typer.Typer) -> None:
    @app.command()
    def init(archive: ArchiveOpt = None, db: DbOpt = None, quiet: QuietOpt = False) -> None:
        """Create an archive, or upgrade an existing one to the current schema."""
        from archiver.archive import open_archive
        from archiver.db import current_revision

        with open_archive(archive, db, create=True) as handle:
            if not quiet:
                typer.echo(f"archive ready at {handle.location.redacted_url()} "
                           f"(schema {current_revision(handle.engine)})")

    @app.command()
    def collect(
        config: ConfigOpt = None,
        source: Annotated[
            list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
        ] = None,
        backfill: Annotated[bool, typer.Option("--backfill", help="Bluesky: also import the full repo CAR.")] = False,
        init: Annotated[bool, typer.Option("--init", help="Create the archive if it does not exist yet.")] = False,
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
        with open_archive(archive, db, create=init) as handle:
            with progress_hook(interactive(quiet)) as hook:
                outcome = run_collect(handle.store(cfg.media), cfg, chosen, secrets_from_env(), progress=hook,
                                      backfill=backfill)
            if not quiet or outcome.status != "complete":
                print_run(outcome, quiet=quiet)
            raise typer.Exit(outcome.exit_code)

    @app.command()
    def verify(archive: ArchiveOpt = None, db: DbOpt = None, quiet: QuietOpt = False,
               json_out: JsonOpt = False) -> None:
        """Re-hash every capture, snapshot, Bluesky CID and media file; name each mismatch (exit 1)."""
        import orjson

        from archiver.archive import open_archive
        from archiver.verify import verify_archive

        with open_archive(archive, db) as handle:
            report = verify_archive(handle.engine, handle.media_dir)
            if json_out:
                typer.echo(orjson.dumps({"ok": report.ok, "checked": report.checked,
                                         "mismatches": [str(m) for m in report.mismatches]}).decode())
            else:
                for mismatch in report.mismatches:
                    typer.echo(f"MISMATCH {mismatch}", err=True)
                if not quiet or not report.ok:
                    c = report.checked
                    verdict = "OK" if report.ok else f"FAILED: {len(report.mismatches)} mismatches"
                    typer.echo(f"verify {verdict}: {c['captures']} captures, {c['snapshots']} snapshots, "
                               f"{c['cids']} Bluesky CIDs, {c['media']} media files checked")
            raise typer.Exit(EXIT_OK if report.ok else EXIT_FAILED)

    @app.command()
    def status(archive: ArchiveOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
        """What the archive holds, how the last run went, and the last verification."""
        import orjson

        from archiver.archive import open_archive
        from archiver.ops.coverage import coverage_gaps
        from archiver.queries import archive_summary
        from archiver.render_text import print_status

        with open_archive(archive, db) as handle:
            summary = archive_summary(handle.engine)
            summary["coverage_gaps"] = coverage_gaps(handle.engine)
            from archiver.interrupt import stale_runs

            dead = [f"run {run_id}: still marked running, but its process {pid} is gone (interrupted; the next "
                    "writing command records it)" for run_id, pid in stale_runs(handle.engine)]
            summary["coverage_gaps"] = [*summary["coverage_gaps"], *dead]
            if json_out:
                typer.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
            else:
                print_status(summary)

    @app.command()
    def show(
        post: Annotated[str, typer.Argument(help="Row id, platform id, edit id, post URL or at:// URI.")],
        archive: ArchiveOpt = None, db: DbOpt = None, json_out: JsonOpt = False,
    ) -> None:
        """Every archived version of one post, with its hashes and capture times."""
        import orjson

        from archiver.archive import open_archive
        from archiver.queries import post_history
        from archiver.render_text import print_history

        with open_archive(archive, db) as handle:
            history = post_history(handle.engine, post)
            if json_out:
                typer.echo(orjson.dumps(history, option=orjson.OPT_INDENT_2).decode())
            else:
                print_history(history)

    @app.command()
    def demo(
        out: Annotated[Path, typer.Option("--out", help="Directory for the demo archive and report.")] = Path("demo"),
        json_out: JsonOpt = False,
        quiet: QuietOpt = False,
    ) -> None:
        """Collect the illustrative sandbox scenario twice (an edit, deletions, a rename), analyse and report."""
        import orjson

        from archiver.app.demo import run_demo

        def say(line: str) -> None:
            if not json_out and not quiet:
                typer.echo(line)

        result = run_demo(out, say)
        if json_out:
            typer.echo(orjson.dumps(result.as_dict(), option=orjson.OPT_INDENT_2).decode())
        raise typer.Exit(EXIT_OK if result.verified else EXIT_FAILED)
