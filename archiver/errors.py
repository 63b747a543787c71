"""One error family whose messages are fit for a user, and the one mapping to exit codes.

The CLI prints an ``ArchiverError`` as a single line and exits with its ``exit_code``; commands that
finish return one of the ``EXIT_*`` codes below (docs/operations.md lists them for cron).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_PARTIAL = 3  # some sources were not collected completely
EXIT_LOCKED = 75  # another run holds the archive lock (EX_TEMPFAIL: cron may try again)
EXIT_INTERRUPTED = 130  # ^C, as a shell reports SIGINT


def exit_code_for_status(status: str) -> int:
    """A run's exit code from its status: complete, partial, or anything else (failed)."""
    return {"complete": EXIT_OK, "partial": EXIT_PARTIAL}.get(status, EXIT_FAILED)


class ArchiverError(Exception):
    """Base class: anything the CLI may print as one line and exit with ``exit_code``."""

    exit_code = EXIT_FAILED


class BadInputError(ArchiverError):
    """The user's file, argument or config is wrong; nothing was written."""

    exit_code = EXIT_BAD_INPUT


class ConfigError(BadInputError):
    """The TOML config is missing, malformed or names something unknown."""


class LockHeldError(ArchiverError):
    """Another run holds the archive lock (cron overlap)."""

    exit_code = EXIT_LOCKED


class HashMismatchError(ArchiverError):
    """A stored byte no longer matches its recorded hash."""

    exit_code = EXIT_FAILED
