"""``archiver tone run | show | coverage | weekly``: tone of the archive's statements.

``archiver analyze`` runs tone as one of its steps; ``tone run`` runs tone alone. The logic lives in
``analysis.tone_store``, ``analysis.tone_aggregates`` and ``analysis.tone_show``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from archiver.cli_common import ArchiveOpt, DbOpt, JsonOpt, QuietOpt

tone_app = typer.Typer(help="Tone of statements: TextBlob + VADER + emoji (English), EvoMSA when confident (Spanish), "
                       "with honest abstentions.",
                       no_args_is_help=True)


def _echo_json(value: object) -> None:
    import orjson

    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())


def register(app: typer.Typer) -> None:
    app.add_typer(tone_app, name="tone")

    @tone_app.command("run")
    def run(
        force: Annotated[bool, typer.Option("--force", help="Score everything again for this version.")] = False,
        archive: ArchiveOpt = None, db: DbOpt = None, quiet: QuietOpt = False, json_out: JsonOpt = False,
    ) -> None:
        """Score every statement not yet scored by this analyzer version (incremental)."""
        from analysis.tone_store import coverage, run_tone
        from archiver.archive import open_archive

        with open_archive(archive, db) as handle:
            result = run_tone(handle.engine, force=force)
            cover = coverage(handle.engine)
        if json_out:
            _echo_json({**result.as_dict(), "coverage": cover.as_dict()})
        elif not quiet:
            typer.echo(f"tone {result.analyzer_version}: {result.analysed} contents analysed, "
                       f"{result.already} already done")
            typer.echo(cover.summary())

    @tone_app.command("show")
    def show(
        post: Annotated[str, typer.Argument(help="Row id, platform id, edit id, post URL or at:// URI.")],
        archive: ArchiveOpt = None, db: DbOpt = None, json_out: JsonOpt = False,
    ) -> None:
        """A post's tone with each reader's figure, or the reason it has none."""
        from dataclasses import asdict

        from analysis.tone_show import detail_lines, find_post
        from analysis.tone_store import post_tone
        from archiver.archive import open_archive

        with open_archive(archive, db) as handle:
            tone = post_tone(handle.engine, find_post(handle.engine, post))
        assert tone is not None  # find_post found it
        if json_out:
            _echo_json(asdict(tone))
        else:
            for line in detail_lines(tone):
                typer.echo(line)

    @tone_app.command("coverage")
    def coverage_cmd(archive: ArchiveOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
        """How many posts have a tone, and why the others have none."""
        from analysis.tone_store import coverage
        from archiver.archive import open_archive

        with open_archive(archive, db) as handle:
            cover = coverage(handle.engine)
        if json_out:
            _echo_json(cover.as_dict())
        else:
            typer.echo(cover.summary())

    @tone_app.command("weekly")
    def weekly(
        include_reposts: Annotated[bool, typer.Option("--include-reposts",
                                                      help="Count reposts as the account's tone.")] = False,
        archive: ArchiveOpt = None, db: DbOpt = None, json_out: JsonOpt = False,
    ) -> None:
        """Tone per account per week: mean, spread, posts scored of posts made."""
        from analysis.tone_aggregates import weekly_by_account
        from archiver.archive import open_archive

        with open_archive(archive, db) as handle:
            rows = weekly_by_account(handle.engine, include_reposts=include_reposts)
            if json_out:
                _echo_json([r.as_dict() for r in rows])
                return
            for r in rows:
                mean = "   -  " if r.mean is None else f"{r.mean:+.3f}"
                spread = "  -  " if r.stdev is None else f"{r.stdev:.3f}"
                typer.echo(f"{r.platform:8s} @{r.handle or r.account_id!s:24s} {r.week_start}  mean {mean}  "
                           f"sd {spread}  scored {r.coverage.scored}/{r.coverage.total}")
