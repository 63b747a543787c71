"""run.pid and source_progress: the process that started a run, so that any later writing command
can tell a run left ``running`` by a dead process from one still at work and mark it
``interrupted``; and each source's finished sub-fetches, so that an incomplete source resumes

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run") as batch:
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
    op.create_table(
        "source_progress",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("run.id"), nullable=False),
        sa.Column("step", sa.String(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("found", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_source_progress_source", "source_progress", ["source"])
    op.create_index("ix_source_progress_run_id", "source_progress", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_source_progress_run_id", table_name="source_progress")
    op.drop_index("ix_source_progress_source", table_name="source_progress")
    op.drop_table("source_progress")
    with op.batch_alter_table("run") as batch:
        batch.drop_column("pid")
