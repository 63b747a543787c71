"""Bookkeeping for file imports: one row per (format, file content), so that an interrupted
import resumes from its checkpoint and a completed one is never imported twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class ImportFile(SQLModel, table=True):
    """One imported file, identified by its SHA-256: ``checkpoint`` is the last position (line
    or record number) whose rows are committed, updated in the same transaction as those rows."""

    __tablename__ = "import_file"
    __table_args__ = (UniqueConstraint("format", "file_sha256", name="uq_import_file"),)
    id: int | None = Field(default=None, primary_key=True)
    format: str  # twarc | x-archive | bluesky-car
    file_name: str = Field(sa_column=Column(Text, nullable=False))
    file_sha256: str = Field(index=True)
    file_size: int
    capture_id: int | None = Field(default=None, foreign_key="capture.id")  # the file's own capture
    run_id: int | None = Field(default=None, foreign_key="run.id")  # the run that started it
    started_at: datetime
    finished_at: datetime | None = None
    status: str = "running"  # running | complete
    checkpoint: int = 0
    items: int = 0  # positions committed (lines, record groups)
    posts: int = 0
    skipped: int = 0
    report_path: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
