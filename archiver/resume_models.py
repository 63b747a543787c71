"""Per-source progress of sub-fetches, so that an incomplete source resumes instead of restarting.

One row per sub-fetch a collector finished (the author feed, the quotes of one post, the reposters
of one post, one reposter's repo...). Rows of a source's runs after its last complete attempt form
its *streak*: the next run skips what the streak already did and goes on where it stopped. Rows are
bookkeeping like ``run`` and ``source_coverage``, never evidence.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class SourceProgress(SQLModel, table=True):
    """``found``: JSON list of what the sub-fetch discovered that later steps need (the quoting
    posts of a post, the accounts that reposted it), so that skipping it loses nothing."""

    __tablename__ = "source_progress"
    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    step: str
    unit: str = Field(sa_column=Column(Text, nullable=False))
    found: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    at: datetime
