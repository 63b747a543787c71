"""index snapshot_media.media_ref

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

The store looks media up by the platform's ref before downloading it again; without an index that
lookup scanned the whole table on every page.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("snapshot_media", schema=None) as batch_op:
        batch_op.create_index("ix_snapshot_media_media_ref", ["media_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("snapshot_media", schema=None) as batch_op:
        batch_op.drop_index("ix_snapshot_media_media_ref")
