"""``archiver report``: build the static HTML report site (logic in ``reports.build``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archiver.cli_common import ArchiveOpt, DbOpt, JsonOpt, QuietOpt, interactive


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        out: Annotated[Path, typer.Option("--out", "-o", help="Site directory (created if missing).")] =
        Path("report"),
        full: Annotated[bool, typer.Option("--full", help="Rewrite every page, not only changed ones.")] = False,
        archive: ArchiveOpt = None,
        db: DbOpt = None,
        quiet: QuietOpt = False,
        json_out: JsonOpt = False,
    ) -> None:
        """Build the static report site: overview, accounts, post evidence, cascades, method."""
        import orjson

        from archiver.archive import open_archive
        from archiver.out_paths import out_dir
        from archiver.progress import progress_hook
        from reports.build import build_site

        with open_archive(archive, db) as handle, progress_hook(interactive(quiet)) as hook:
            out_dir(out)
            built = build_site(handle.engine, handle.media_dir, out, incremental=not full, progress=hook)
        if json_out:
            typer.echo(orjson.dumps(built.as_dict()).decode())
        elif not quiet:
            typer.echo(f"report: {built.pages} pages; {built.written} files written, {built.skipped} unchanged, "
                       f"{built.removed} removed in {built.seconds:.1f} s")
            typer.echo(f"open {built.index_path.resolve()}")
