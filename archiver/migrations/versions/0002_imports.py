"""import bookkeeping tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Owned by the importers (issue 3) capability; tables defined in archiver/importers/models.py.
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
