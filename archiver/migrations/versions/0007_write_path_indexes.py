"""indexes that only cost writes: three on snapshot dropped, three on post made partial

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28

Measured with bench/ingest.py: these indexes were a third of the archive's insert cost and no
query of the tool uses them.

* ``ix_snapshot_content_sha256``: a random key, so each new snapshot dirtied a different index
  page and every page-sized transaction rewrote ~100 of them (half of the plain-SQLite floor's time).
  Snapshots are found through their post; a reader who looks many hashes up can add the index
  (see docs/schema.md).
* ``ix_snapshot_post_id``: the unique constraint on ``(post_id, version)`` already serves it.
* ``ix_snapshot_capture_id``: every join goes from a snapshot to its capture, never back.
* ``ix_post_reposted``, ``ix_post_quoted``, ``ix_post_replied_to`` become partial (``WHERE <column> IS
  NOT NULL``): most posts reference nothing, and every query that uses them compares the column
  with ``=`` or ``IN``, which implies NOT NULL on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_DROPPED = {
    "ix_snapshot_content_sha256": ["content_sha256"],
    "ix_snapshot_post_id": ["post_id"],
    "ix_snapshot_capture_id": ["capture_id"],
}


_REFERENCES = ("reposted", "quoted", "replied_to")


def _post_index(name: str, partial: bool) -> None:
    where = sa.text(f"{name}_id IS NOT NULL") if partial else None
    op.create_index(f"ix_post_{name}", "post", ["platform", f"{name}_id"], unique=False,
                    sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    for index in _DROPPED:
        op.drop_index(index, table_name="snapshot")
    for name in _REFERENCES:
        op.drop_index(f"ix_post_{name}", table_name="post")
        _post_index(name, partial=True)


def downgrade() -> None:
    for index, columns in _DROPPED.items():
        op.create_index(index, "snapshot", columns, unique=False)
    for name in _REFERENCES:
        op.drop_index(f"ix_post_{name}", table_name="post")
        _post_index(name, partial=False)
