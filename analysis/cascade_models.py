"""Tables for reshare chains: edges, one row per cascade, and amplification between tracked accounts.

Everything here is *derived*: it is recomputed from ``post``, ``account``
and ``follow`` by ``archiver analyze``, carries the analyzer version that produced it, and may be
deleted and rebuilt at any time. Nothing in these tables is evidence. Columns are documented in
docs/schema.md; the migration is archiver/migrations/versions/0003_cascades.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel


class AnalysisRun(SQLModel, table=True):
    """One run of one analyzer: which version ran, when, and what it changed (JSON ``counts``)."""

    __tablename__ = "analysis_run"
    id: int | None = Field(default=None, primary_key=True)
    analyzer: str = Field(index=True)
    version: str
    started_at: datetime
    ended_at: datetime | None = None
    counts: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class ReshareEdge(SQLModel, table=True):
    """The tree parent of one repost, quote or reply. One edge per child: the reference its kind
    names (a reply that also quotes is placed by its reply). ``provenance`` says how the parent is
    known: ``exact`` (quote, reply, Bluesky ``via``), ``inferred`` (the follows rule in
    docs/analysis.md) or ``root_default`` (attached to the post it reposts, nothing better known)."""

    __tablename__ = "reshare_edge"
    __table_args__ = (Index("ix_reshare_edge_parent", "parent_post_id"),)
    child_post_id: int = Field(foreign_key="post.id", primary_key=True)
    parent_post_id: int = Field(foreign_key="post.id")
    root_post_id: int = Field(foreign_key="post.id", index=True)
    kind: str  # repost | quote | reply
    provenance: str  # exact | inferred | root_default
    created_at: datetime  # the child's creation time
    analyzer_version: str
    analysis_run_id: int | None = Field(default=None, foreign_key="analysis_run.id")


class Cascade(SQLModel, table=True):
    """Measures of one cascade (Goel et al. 2016; Vosoughi, Roy & Aral 2018), one row per post that
    was reshared at least once and has no archived parent itself. Times are seconds after the root
    was posted. ``*_is_lower_bound`` / ``*_is_estimate`` flags mark metrics that depend on edges
    that are not ``exact``."""

    __tablename__ = "cascade"
    root_post_id: int = Field(foreign_key="post.id", primary_key=True)
    platform: str
    root_account_id: int = Field(foreign_key="account.id", index=True)
    root_created_at: datetime
    analyzer_version: str
    analysis_run_id: int | None = Field(default=None, foreign_key="analysis_run.id")
    computed_at: datetime
    fingerprint: str
    size_posts: int = Field(index=True)
    size_accounts: int
    depth: int
    max_breadth: int
    structural_virality: float
    time_to_first_reshare_s: float | None = None
    median_latency_s: float | None = None
    p90_latency_s: float | None = None
    time_to_depth: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    time_to_size_10_s: float | None = None
    time_to_size_100_s: float | None = None
    time_to_size_1000_s: float | None = None
    reposts: int = 0
    quotes: int = 0
    replies: int = 0
    by_platform: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    exact_edges: int = 0
    inferred_edges: int = 0
    root_default_edges: int = 0
    missing_parents: int = 0
    size_is_lower_bound: bool = False
    depth_is_lower_bound: bool = False
    virality_is_lower_bound: bool = False
    breadth_is_estimate: bool = False
    time_to_depth_is_estimate: bool = False


class Amplification(SQLModel, table=True):
    """How often tracked account ``source`` reposted, quoted or replied to tracked account
    ``target`` (by the reference the platform records, never by inference). Latencies in seconds
    from the target's post to the source's."""

    __tablename__ = "amplification"
    source_account_id: int = Field(foreign_key="account.id", primary_key=True)
    target_account_id: int = Field(foreign_key="account.id", primary_key=True)
    kind: str = Field(primary_key=True)  # repost | quote | reply
    count: int
    median_latency_s: float
    min_latency_s: float
    first_at: datetime
    last_at: datetime
    analyzer_version: str
    analysis_run_id: int | None = Field(default=None, foreign_key="analysis_run.id")

