"""drop the three snapshot indexes that only cost writes

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
"""

from __future__ import annotations

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


def upgrade() -> None:
    for name in _DROPPED:
        op.drop_index(name, table_name="snapshot")


def downgrade() -> None:
    for name, columns in _DROPPED.items():
        op.create_index(name, "snapshot", columns, unique=False)
