"""Opening an archive: where it lives, its engine, and bringing its schema up to date.

SQLite is the default (``<archive dir>/archive.db`` in WAL mode); any SQLAlchemy URL works through
``--db`` / ``ARCHIVER_DB``. The schema is owned by Alembic: ``archiver init`` upgrades to head.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

from archiver.errors import BadInputError

DEFAULT_ARCHIVE_DIR = "archive"


@dataclass(frozen=True)
class ArchiveLocation:
    """Where the archive's database and media files live."""

    directory: Path
    db_url: str

    @property
    def media_dir(self) -> Path:
        return self.directory / "media"

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    def redacted_url(self) -> str:
        """The URL without its password, fit for logs and reports."""
        return make_url(self.db_url).render_as_string(hide_password=True)


def locate(archive: str | Path | None = None, db: str | None = None) -> ArchiveLocation:
    """Resolve --archive/--db against ARCHIVER_HOME/ARCHIVER_DB and the defaults."""
    directory = Path(archive or os.environ.get("ARCHIVER_HOME") or DEFAULT_ARCHIVE_DIR)
    url = db or os.environ.get("ARCHIVER_DB")
    if not url:
        url = f"sqlite:///{(directory / 'archive.db').resolve()}"
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    try:
        make_url(url)
    except Exception as exc:
        raise BadInputError(f"--db: not a database URL: {exc}") from None
    return ArchiveLocation(directory=directory, db_url=url)


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """The settings of every archive connection to SQLite (a ``connect`` event listener; the
    import benchmark's database floor applies them to a plain sqlite3 connection too)."""
    # WAL lets readers (report, status) run beside a collector; NORMAL sync in WAL mode survives a
    # killed process without corruption; busy_timeout makes overlapping writers wait, not fail.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # 64 MB page cache: the hash indexes (content_sha256, body_sha256) take random inserts, which
    # thrash SQLite's 2 MB default once an archive passes ~100k posts.
    cursor.execute("PRAGMA cache_size=-65536")
    # Checkpoints normally run in a background thread (archiver/checkpointer.py); the automatic one
    # inside COMMIT is the backstop, raised from 1,000 pages to 4,000 (16 MB of log) so that it
    # does not fire on a busy writer between two background checkpoints (+20% in bench/ingest.py).
    cursor.execute("PRAGMA wal_autocheckpoint=4000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # Writers ask for ``immediate`` (see ``writer``) so that they queue on busy_timeout instead of
    # failing when upgrading a read lock; readers begin deferred and never block a collector.
    immediate = conn.get_execution_options().get("immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The engine to open write transactions on (``with writer(engine).begin() as conn``)."""
    return engine.execution_options(immediate=True)


def make_engine(location: ArchiveLocation) -> Engine:
    if location.is_sqlite:
        location.directory.mkdir(parents=True, exist_ok=True)
        engine = create_engine(location.db_url, connect_args={"timeout": 30})
        event.listen(engine, "connect", sqlite_pragmas)
        # Let SQLAlchemy's transaction control BEGIN (pysqlite's own is off), so every write is atomic.
        event.listen(engine, "connect", lambda c, _r: setattr(c, "isolation_level", None))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(location.db_url, pool_pre_ping=True)


def alembic_config(engine_url: str) -> Any:
    from alembic.config import Config

    here = Path(__file__).parent / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(here))
    cfg.set_main_option("sqlalchemy.url", engine_url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema in place (idempotent)."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head
