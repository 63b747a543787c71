"""The Alembic migrations must build exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import archiver.schema  # noqa: F401  (all table modules)
from archiver.archive import Archive
from archiver.db import current_revision, head_revision, upgrade


def test_migrations_match_the_models(archive: Archive) -> None:
    with archive.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_upgrade_is_idempotent_and_reaches_head() -> None:
    engine = create_engine("sqlite://")
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
