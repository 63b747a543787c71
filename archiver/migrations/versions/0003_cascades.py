"""reshare edge, cascade and amplification tables

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Owned by the reshare-chain (issue 4) capability; tables defined in analysis/cascade_models.py.
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
