"""The ``archiver`` command. It parses arguments and calls functions; it holds no logic of its own.

Commands live in ``archiver/cli_parts/`` (one file per capability); each file's ``register`` adds
its commands to ``app``.
"""

from __future__ import annotations

import sys

import typer

from archiver import __version__, platforms
from archiver.errors import EXIT_INTERRUPTED, ArchiverError

app = typer.Typer(
    name="archiver",
    help=f"Collect, prove and study official statements on {platforms.labels()}.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_PARTS = ("core", "sandbox", "imports", "exports", "analysis", "tone", "report", "ops", "backup", "groups")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"archiver {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """statement-archiver: a hash-verified archive of official posts, their spread and tone."""


def _register_parts() -> None:
    import importlib

    for name in _PARTS:
        importlib.import_module(f"archiver.cli_parts.{name}").register(app)


_register_parts()


def main() -> None:
    """Entry point: an ArchiverError becomes one line on stderr and its exit code."""
    from archiver.interrupt import EXIT_SIGTERM, Terminated, sigterm_raises

    try:
        # Outside standalone mode Typer *returns* the code of typer.Exit (and 130 for ^C).
        with sigterm_raises():
            code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except ArchiverError as exc:
        from archiver.redact import redact
        from archiver.terminal import clean

        print(f"archiver: error: {clean(redact(str(exc)))}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("archiver: interrupted (SIGINT); the run is recorded as interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        print("archiver: interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except Terminated:
        print("archiver: terminated (SIGTERM); the run is recorded as interrupted", file=sys.stderr)
        sys.exit(EXIT_SIGTERM)
    except Exception as exc:  # usage errors: Typer may vendor its own click, so match by behaviour
        show = getattr(exc, "show", None)
        exit_code = getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        raise


if __name__ == "__main__":
    main()
