"""The ``tone`` table: one row per distinct content and analyzer version.

Derived data: keyed by ``snapshot.content_sha256`` and ``analyzer_version``,
never written into a snapshot, and safe to delete and recompute. A post reaches its tone through its
current snapshot's content hash (a repost through the post it reposts); ``analysis.tone_store``
holds those joins. Columns are documented in docs/schema.md; the migrations are
archiver/migrations/versions/0004_tone.py and 0008_tone_confidence.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Tone(SQLModel, table=True):
    """The tone of one content, or the reason it has none (``score`` NULL, ``abstain_reason`` set)."""

    __tablename__ = "tone"
    __table_args__ = (UniqueConstraint("content_sha256", "analyzer_version", name="uq_tone_content_version"),)
    id: int | None = Field(default=None, primary_key=True)
    content_sha256: str
    analyzer: str
    analyzer_version: str = Field(index=True)
    lang: str | None = None
    lang_method: str  # platform | detector | undetermined | no_text
    lang_confidence: float | None = None
    textblob_polarity: float | None = None
    textblob_subjectivity: float | None = None
    vader_compound: float | None = None
    emoji_tone: float | None = None
    emoji_count: int = 0
    signal_words: int = 0
    score: float | None = None
    label: str | None = None  # negative | neutral | positive
    method: str | None = None  # which readers made the score, e.g. "textblob+vader+emoji"
    possible_irony: bool = False
    abstain_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    scored_at: datetime
    # Readers that score only when confident (Spanish): the margin and the signed reading, kept on
    # scored and abstaining rows alike (migration 0008). NULL for English.
    confidence: float | None = None
    model_polarity: float | None = None
