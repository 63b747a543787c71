"""import bookkeeping tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Owned by the importers capability; tables defined in archiver/importers/models.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_file",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), sa.ForeignKey("capture.id"), nullable=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("run.id"), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("checkpoint", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("report_path", sa.Text(), nullable=True),
        sa.UniqueConstraint("format", "file_sha256", name="uq_import_file"),
    )
    op.create_index("ix_import_file_file_sha256", "import_file", ["file_sha256"])


def downgrade() -> None:
    op.drop_index("ix_import_file_file_sha256", table_name="import_file")
    op.drop_table("import_file")
