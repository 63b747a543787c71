"""The ``archiver`` command. It parses arguments and calls functions; it holds no logic of its own.

Commands live in ``archiver/cli_parts/`` (one file per capability); each file's ``register`` adds
its commands to ``app``.
"""

from __future__ import annotations

import sys

import typer

from archiver import __version__, platforms
from archiver.errors import ArchiverError

app = typer.Typer(
    name="archiver",
    help=f"Collect, prove and study official statements on {platforms.labels()}.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_PARTS = ("core", "sandbox", "imports", "exports", "analysis", "tone", "report", "ops", "groups")


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
        try:
            module = importlib.import_module(f"archiver.cli_parts.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"archiver.cli_parts.{name}":
                continue
            raise
        module.register(app)


_register_parts()


def main() -> None:
    """Entry point: an ArchiverError becomes one line on stderr and its exit code."""
    try:
        # Outside standalone mode Typer *returns* the code of typer.Exit (and 130 for ^C).
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except ArchiverError as exc:
        print(f"archiver: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("archiver: aborted", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print("archiver: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # usage errors: Typer may vendor its own click, so match by behaviour
        show = getattr(exc, "show", None)
        exit_code = getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        raise


if __name__ == "__main__":
    main()
