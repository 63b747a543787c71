"""tone: confidence and model_polarity, for readers that score only when confident (Spanish)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

The Spanish reader (analysis/tone_es.py) scores a post only when its margin clears a measured
threshold; the margin (``confidence``) and the model's signed reading (``model_polarity``) are kept
on every Spanish row, scored or abstaining, so a reader can see how far below the bar a post was.
Both are NULL for English rows and for rows written before this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tone") as batch:
        batch.add_column(sa.Column("confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("model_polarity", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tone") as batch:
        batch.drop_column("model_polarity")
        batch.drop_column("confidence")
