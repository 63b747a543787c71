"""tone table

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

Owned by the tone capability; tables defined in analysis/tone_models.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tone",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("content_sha256", sa.String(), nullable=False),
        sa.Column("analyzer", sa.String(), nullable=False),
        sa.Column("analyzer_version", sa.String(), nullable=False),
        sa.Column("lang", sa.String(), nullable=True),
        sa.Column("lang_method", sa.String(), nullable=False),
        sa.Column("lang_confidence", sa.Float(), nullable=True),
        sa.Column("textblob_polarity", sa.Float(), nullable=True),
        sa.Column("textblob_subjectivity", sa.Float(), nullable=True),
        sa.Column("vader_compound", sa.Float(), nullable=True),
        sa.Column("emoji_tone", sa.Float(), nullable=True),
        sa.Column("emoji_count", sa.Integer(), nullable=False),
        sa.Column("signal_words", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("label", sa.String(), nullable=True),
        sa.Column("method", sa.String(), nullable=True),
        sa.Column("possible_irony", sa.Boolean(), nullable=False),
        sa.Column("abstain_reason", sa.Text(), nullable=True),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("content_sha256", "analyzer_version", name="uq_tone_content_version"),
    )
    op.create_index("ix_tone_analyzer_version", "tone", ["analyzer_version"])


def downgrade() -> None:
    op.drop_index("ix_tone_analyzer_version", table_name="tone")
    op.drop_table("tone")
