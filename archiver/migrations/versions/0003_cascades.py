"""reshare edge, cascade and amplification tables

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Owned by the reshare-chain capability; tables defined in analysis/cascade_models.py.
All four tables are derived (recomputable by ``archiver analyze``), so downgrade simply drops them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysis_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analyzer", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_analysis_run_analyzer", "analysis_run", ["analyzer"], unique=False)

    op.create_table(
        "reshare_edge",
        sa.Column("child_post_id", sa.Integer(), nullable=False),
        sa.Column("parent_post_id", sa.Integer(), nullable=False),
        sa.Column("root_post_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("provenance", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("analyzer_version", sa.String(), nullable=False),
        sa.Column("analysis_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["child_post_id"], ["post.id"]),
        sa.ForeignKeyConstraint(["parent_post_id"], ["post.id"]),
        sa.ForeignKeyConstraint(["root_post_id"], ["post.id"]),
        sa.ForeignKeyConstraint(["analysis_run_id"], ["analysis_run.id"]),
        sa.PrimaryKeyConstraint("child_post_id"),
    )
    op.create_index("ix_reshare_edge_parent", "reshare_edge", ["parent_post_id"], unique=False)
    op.create_index("ix_reshare_edge_root_post_id", "reshare_edge", ["root_post_id"], unique=False)

    op.create_table(
        "cascade",
        sa.Column("root_post_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("root_account_id", sa.Integer(), nullable=False),
        sa.Column("root_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("analyzer_version", sa.String(), nullable=False),
        sa.Column("analysis_run_id", sa.Integer(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("size_posts", sa.Integer(), nullable=False),
        sa.Column("size_accounts", sa.Integer(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("max_breadth", sa.Integer(), nullable=False),
        sa.Column("structural_virality", sa.Float(), nullable=False),
        sa.Column("time_to_first_reshare_s", sa.Float(), nullable=True),
        sa.Column("median_latency_s", sa.Float(), nullable=True),
        sa.Column("p90_latency_s", sa.Float(), nullable=True),
        sa.Column("time_to_depth", sa.Text(), nullable=False),
        sa.Column("time_to_size_10_s", sa.Float(), nullable=True),
        sa.Column("time_to_size_100_s", sa.Float(), nullable=True),
        sa.Column("time_to_size_1000_s", sa.Float(), nullable=True),
        sa.Column("reposts", sa.Integer(), nullable=False),
        sa.Column("quotes", sa.Integer(), nullable=False),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.Column("by_platform", sa.Text(), nullable=False),
        sa.Column("exact_edges", sa.Integer(), nullable=False),
        sa.Column("inferred_edges", sa.Integer(), nullable=False),
        sa.Column("root_default_edges", sa.Integer(), nullable=False),
        sa.Column("missing_parents", sa.Integer(), nullable=False),
        sa.Column("size_is_lower_bound", sa.Boolean(), nullable=False),
        sa.Column("depth_is_lower_bound", sa.Boolean(), nullable=False),
        sa.Column("virality_is_lower_bound", sa.Boolean(), nullable=False),
        sa.Column("breadth_is_estimate", sa.Boolean(), nullable=False),
        sa.Column("time_to_depth_is_estimate", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["root_post_id"], ["post.id"]),
        sa.ForeignKeyConstraint(["root_account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["analysis_run_id"], ["analysis_run.id"]),
        sa.PrimaryKeyConstraint("root_post_id"),
    )
    op.create_index("ix_cascade_root_account_id", "cascade", ["root_account_id"], unique=False)
    op.create_index("ix_cascade_size_posts", "cascade", ["size_posts"], unique=False)

    op.create_table(
        "amplification",
        sa.Column("source_account_id", sa.Integer(), nullable=False),
        sa.Column("target_account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("median_latency_s", sa.Float(), nullable=False),
        sa.Column("min_latency_s", sa.Float(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("analyzer_version", sa.String(), nullable=False),
        sa.Column("analysis_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["source_account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["target_account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["analysis_run_id"], ["analysis_run.id"]),
        sa.PrimaryKeyConstraint("source_account_id", "target_account_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("amplification")
    op.drop_index("ix_cascade_size_posts", table_name="cascade")
    op.drop_index("ix_cascade_root_account_id", table_name="cascade")
    op.drop_table("cascade")
    op.drop_index("ix_reshare_edge_root_post_id", table_name="reshare_edge")
    op.drop_index("ix_reshare_edge_parent", table_name="reshare_edge")
    op.drop_table("reshare_edge")
    op.drop_index("ix_analysis_run_analyzer", table_name="analysis_run")
    op.drop_table("analysis_run")
