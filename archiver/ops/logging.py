"""Structured logs for unattended runs: one JSON object per line, on stderr or in a file.

Why hand-written rather than structlog or python-json-logger: the whole job is a ~30-line
``logging.Formatter`` over the standard library, and the project already serialises with orjson;
another dependency would add nothing a cron user needs. Each line carries ``ts`` (UTC ISO 8601),
``level``, ``event`` and the event's own fields, so ``jq`` and log shippers read it directly.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import orjson

LOGGER_NAME = "archiver.ops"


class JsonLineFormatter(logging.Formatter):
    """Render a record made by ``log_event`` (or any plain logging call) as one JSON line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", None) or record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info).splitlines()[-1]
        from archiver.redact import redact

        return redact(orjson.dumps(entry, default=str).decode()) or ""


def configure(
    quiet: bool = False, log_file: Path | None = None, stream: TextIO | None = None
) -> logging.Logger:
    """Set up the ops logger: stderr gets info and above (warnings only under ``--quiet``, so cron
    mails nothing on a good night); ``log_file``, when given, gets every event, appended."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.INFO)
    logger.propagate = False
    console = logging.StreamHandler(stream or sys.stderr)
    console.setLevel(logging.WARNING if quiet else logging.INFO)
    console.setFormatter(JsonLineFormatter())
    logger.addHandler(console)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setLevel(logging.INFO)
        to_file.setFormatter(JsonLineFormatter())
        logger.addHandler(to_file)
    return logger


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one structured event, e.g. ``log_event("source.done", source="x:potus", pages=3)``."""
    logging.getLogger(LOGGER_NAME).log(level, event, extra={"event": event, "fields": fields})


def close() -> None:
    """Flush and detach the handlers (a test or a long-lived caller may configure again)."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
