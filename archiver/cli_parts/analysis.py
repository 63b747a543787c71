"""Reshare-chain commands: ``analyze``, ``export graph``, ``export amplification``, ``import follows``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from archiver.cli_common import ArchiveOpt, DbOpt, JsonOpt, QuietOpt, interactive
from archiver.cli_parts.groups import export_app, import_app
from archiver.platforms import names


class GraphFormat(StrEnum):
    gexf = "gexf"
    graphml = "graphml"
    csv = "csv"


class GraphNodes(StrEnum):
    posts = "posts"
    accounts = "accounts"



def _known_platform(value: str) -> str:
    if value not in names():
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(map(repr, names()))}.")
    return value


def register(app: typer.Typer) -> None:
    @app.command()
    def analyze(
        force: Annotated[bool, typer.Option("--force", help="Recompute every cascade, not only changed ones.")]
        = False,
        only: Annotated[list[str] | None, typer.Option("--only", help="Run only this step (repeatable).")] = None,
        archive: ArchiveOpt = None,
        db: DbOpt = None,
        quiet: QuietOpt = False,
        json_out: JsonOpt = False,
    ) -> None:
        """Derive reshare edges, cascade metrics and amplification (and other analyses), incrementally."""
        import orjson

        from analysis.analyze import run_analysis
        from archiver.archive import open_archive

        with open_archive(archive, db) as handle:
            if interactive(quiet) and not json_out:  # a spinner for a person; nothing under cron
                from rich.console import Console

                with Console(stderr=True).status("analysing the archive..."):
                    summaries = run_analysis(handle.engine, force=force, only=only)
            else:
                summaries = run_analysis(handle.engine, force=force, only=only)
        if json_out:
            typer.echo(orjson.dumps({name: summary.as_dict() for name, summary in summaries.items()},
                                    option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())
        elif not quiet:
            for summary in summaries.values():
                typer.echo(summary.line())

    @export_app.command("graph")
    def export_graph(
        out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
        fmt: Annotated[GraphFormat, typer.Option("--format", "-f", help="gexf, graphml or csv edge list.")]
        = GraphFormat.gexf,
        nodes: Annotated[GraphNodes, typer.Option("--nodes", help="Nodes are posts or accounts.")]
        = GraphNodes.posts,
        cascade: Annotated[str | None, typer.Option("--cascade", help="Only the cascade holding this post "
                                                                      "(platform id or URL).")] = None,
        archive: ArchiveOpt = None,
        db: DbOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """Write reshare cascades as a graph for Gephi: edges parent -> child with kind and provenance."""
        from analysis.graph_export import export_graph as run_export
        from archiver.archive import open_archive

        with open_archive(archive, db) as handle:
            graph = run_export(handle.engine, out, fmt.value, nodes.value, cascade)
        if not quiet:
            typer.echo(f"wrote {out}: {graph.number_of_nodes()} nodes ({nodes.value}), "
                       f"{graph.number_of_edges()} edges ({fmt.value})")

    @export_app.command("amplification")
    def export_amplification(
        out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write.")],
        archive: ArchiveOpt = None,
        db: DbOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """Write amplification between tracked accounts (who reposted, quoted, replied to whom) as CSV."""
        from analysis.cascade_summary import write_amplification_csv
        from archiver.archive import open_archive

        with open_archive(archive, db) as handle:
            rows = write_amplification_csv(handle.engine, out)
        if not quiet:
            typer.echo(f"wrote {out}: {rows} amplification rows")

    @import_app.command("follows")
    def import_follows(
        file: Annotated[Path, typer.Argument(help="CSV 'follower,followed' of account ids or known handles.")],
        platform: Annotated[str, typer.Option("--platform", "-p", help=" or ".join(names()) + ".",
                                              callback=_known_platform)],
        archive: ArchiveOpt = None,
        db: DbOpt = None,
        quiet: QuietOpt = False,
    ) -> None:
        """Import a follows list, used to infer which earlier resharer an X retweet came through."""
        from analysis.follows_import import import_follows as run_import
        from archiver.archive import open_archive

        with open_archive(archive, db, create=True) as handle:
            result = run_import(handle, file, platform)
        if not quiet:
            typer.echo(f"import run {result.run_id}: {result.rows} follows read, {result.new_follows} new; "
                       "run `archiver analyze` to use them")
