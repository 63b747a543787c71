"""What one page changed in the archive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PageResult:
    """What one page changed; summed into the run's counts (so it is mutable, unlike the typed
    results callers receive)."""

    new_posts: int = 0
    new_snapshots: int = 0
    edits: int = 0
    sightings: int = 0
    status_changes: dict[str, int] = field(default_factory=dict)
    renames: int = 0
    media_stored: int = 0
    media_failed: int = 0

    def add(self, other: PageResult) -> None:
        self.new_posts += other.new_posts
        self.new_snapshots += other.new_snapshots
        self.edits += other.edits
        self.sightings += other.sightings
        self.renames += other.renames
        self.media_stored += other.media_stored
        self.media_failed += other.media_failed
        for key, value in other.status_changes.items():
            self.count_status(key, value)

    def count_status(self, status: str, count: int = 1) -> None:
        self.status_changes[status] = self.status_changes.get(status, 0) + count

    def as_dict(self) -> dict[str, Any]:
        return {
            "new_posts": self.new_posts,
            "new_snapshots": self.new_snapshots,
            "edits": self.edits,
            "sightings": self.sightings,
            "status_changes": dict(sorted(self.status_changes.items())),
            "renames": self.renames,
            "media_stored": self.media_stored,
            "media_failed": self.media_failed,
        }
