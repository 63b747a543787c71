"""One error family whose messages are fit for a user; the CLI prints them as a single line.

Exit codes follow docs/operations.md: 2 bad input or config, 1 failure, 75 another run holds the lock.
"""

from __future__ import annotations


class ArchiverError(Exception):
    """Base class: anything the CLI may print as one line and exit with ``exit_code``."""

    exit_code = 1


class BadInputError(ArchiverError):
    """The user's file, argument or config is wrong; nothing was written."""

    exit_code = 2


class ConfigError(BadInputError):
    """The TOML config is missing, malformed or names something unknown."""


class SourceError(ArchiverError):
    """One source could not be collected (unknown account, platform refused); others go on."""


class LockHeldError(ArchiverError):
    """Another run holds the archive lock (cron overlap)."""

    exit_code = 75


class IntegrityError(ArchiverError):
    """A stored byte no longer matches its recorded hash."""

    exit_code = 1
