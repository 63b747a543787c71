"""The archive's tables. Users query them directly, so names and meanings are an interface:
every column is documented in docs/schema.md, and a change needs an Alembic migration.

All times are aware UTC (SQLModel UTCDateTime: timestamptz on PostgreSQL). JSON-valued columns
are TEXT holding UTF-8 JSON, so that both SQLite's and PostgreSQL's JSON functions can read them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class Run(SQLModel, table=True):
    """One collect, import or scheduled run: the unit that coverage is reported in."""

    __tablename__ = "run"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # collect | import | run
    started_at: datetime
    ended_at: datetime | None = None
    status: str = "running"  # running | complete | partial | failed
    sources: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    counts: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    errors: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    tool_version: str
    host: str | None = None
    pid: int | None = None  # the process that runs it: a later command tells a dead run from a live one


class Capture(SQLModel, table=True):
    """A response body (or imported file or line) exactly as received, with its SHA-256."""

    __tablename__ = "capture"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int | None = Field(default=None, foreign_key="run.id", index=True)
    kind: str  # http | file
    url: str = Field(sa_column=Column(Text, nullable=False))
    status: int
    fetched_at: datetime = Field(index=True)
    headers: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    compression: str | None = None  # None | zlib
    body_sha256: str = Field(index=True)
    body_size: int
    meta: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class Account(SQLModel, table=True):
    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("platform", "platform_id", name="uq_account_platform_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    platform_id: str
    handle: str | None = Field(default=None, index=True)
    display_name: str | None = None
    tracked: bool = False
    first_seen_at: datetime
    last_seen_at: datetime


class AccountHandle(SQLModel, table=True):
    """Every handle an account has been seen with, so renames can be followed."""

    __tablename__ = "account_handle"
    __table_args__ = (UniqueConstraint("account_id", "handle", name="uq_account_handle"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    handle: str
    first_seen_at: datetime
    last_seen_at: datetime


class Post(SQLModel, table=True):
    """One post's identity and current state. Its versions are in ``snapshot`` (append-only)."""

    __tablename__ = "post"
    __table_args__ = (
        UniqueConstraint("platform", "platform_id", name="uq_post_platform_id"),
        # partial: most posts reference nothing, and NULL entries only cost writes (migration 0007)
        *(Index(f"ix_post_{name}", "platform", f"{name}_id", sqlite_where=text(f"{name}_id IS NOT NULL"),
                postgresql_where=text(f"{name}_id IS NOT NULL")) for name in ("reposted", "quoted", "replied_to")),
    )
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    platform_id: str
    url: str = Field(sa_column=Column(Text, nullable=False))
    account_id: int = Field(foreign_key="account.id", index=True)
    kind: str
    reposted_id: str | None = None
    quoted_id: str | None = None
    replied_to_id: str | None = None
    thread_root_id: str | None = None
    via_id: str | None = None
    created_at: datetime = Field(index=True)
    status: str = "live"
    status_changed_at: datetime | None = None
    first_seen_at: datetime
    last_seen_at: datetime
    current_snapshot_id: int | None = None
    current_content_sha256: str | None = None
    version_count: int = 0


class Snapshot(SQLModel, table=True):
    """An append-only version of a post's content; a new row only when content_sha256 changes."""

    __tablename__ = "snapshot"
    __table_args__ = (UniqueConstraint("post_id", "version", name="uq_snapshot_post_version"),)
    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id")  # indexed by uq_snapshot_post_version
    version: int
    capture_id: int = Field(foreign_key="capture.id")
    run_id: int | None = Field(default=None, foreign_key="run.id")
    captured_at: datetime
    raw: str = Field(sa_column=Column(Text, nullable=False))
    raw_sha256: str
    content: str = Field(sa_column=Column(Text, nullable=False))
    content_sha256: str  # not indexed: a random key costs every insert (migration 0007)
    content_id: str | None = None
    text: str = Field(sa_column=Column(Text, nullable=False))
    lang: str | None = None
    platform_cid: str | None = None
    cid_verified: bool | None = None


class Sighting(SQLModel, table=True):
    """One observation of a post: when, by which run, in what state, with engagement counts."""

    __tablename__ = "sighting"
    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    snapshot_id: int | None = Field(default=None, foreign_key="snapshot.id")
    run_id: int | None = Field(default=None, foreign_key="run.id", index=True)
    capture_id: int | None = Field(default=None, foreign_key="capture.id")
    seen_at: datetime
    status: str
    like_count: int | None = None
    repost_count: int | None = None
    reply_count: int | None = None
    quote_count: int | None = None
    metrics: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class PostStatusEvent(SQLModel, table=True):
    """Append-only log of status changes, with the capture that justified each."""

    __tablename__ = "post_status_event"
    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    status: str
    previous_status: str | None = None
    observed_at: datetime
    run_id: int | None = Field(default=None, foreign_key="run.id")
    capture_id: int | None = Field(default=None, foreign_key="capture.id")
    reason: str


class Media(SQLModel, table=True):
    """A content-addressed file at <archive>/media/<sha256[:2]>/<sha256>."""

    __tablename__ = "media"
    sha256: str = Field(primary_key=True)
    mime: str | None = None
    size: int
    source_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    first_seen_at: datetime


class SnapshotMedia(SQLModel, table=True):
    """Which media a snapshot carries, in order; ``media_sha256`` is NULL when the download failed."""

    __tablename__ = "snapshot_media"
    snapshot_id: int = Field(foreign_key="snapshot.id", primary_key=True)
    position: int = Field(primary_key=True)
    media_ref: str = Field(index=True)
    source_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    media_sha256: str | None = Field(default=None, index=True)
    alt: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class MediaFailure(SQLModel, table=True):
    """A media download that failed; recorded, never fatal, retried on the next run."""

    __tablename__ = "media_failure"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int | None = Field(default=None, foreign_key="run.id")
    media_ref: str
    url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error: str
    at: datetime


class SourceCoverage(SQLModel, table=True):
    """Per run and source: what was attempted and whether coverage is complete."""

    __tablename__ = "source_coverage"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    source: str
    platform: str
    account: str
    started_at: datetime
    ended_at: datetime | None = None
    pages: int = 0
    posts: int = 0
    complete: bool = False
    reason: str | None = None
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class FollowEdge(SQLModel, table=True):
    """follower follows followed (platform ids); used to infer retweet parents."""

    __tablename__ = "follow"
    __table_args__ = (
        UniqueConstraint("platform", "follower_id", "followed_id", name="uq_follow"),
    )
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    follower_id: str = Field(index=True)
    followed_id: str
    first_seen_at: datetime


class Verification(SQLModel, table=True):
    """One ``archiver verify`` pass: what was re-hashed and what did not match (shown in the report)."""

    __tablename__ = "verification"
    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime
    ended_at: datetime
    ok: bool
    checked: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    mismatches: int = 0
    details: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))


class ArchiveMeta(SQLModel, table=True):
    """Facts about the archive as a whole, e.g. ``sample_data`` when it was filled from the sandbox."""

    __tablename__ = "archive_meta"
    key: str = Field(primary_key=True)
    value: str = Field(sa_column=Column(Text, nullable=False))
