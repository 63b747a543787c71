"""operations tables (coverage extensions, locks)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

Owned by the operations (issue 7) capability; tables defined in archiver/ops_models.py.
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
