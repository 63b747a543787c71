"""Status claims (deleted, withheld, suspended...) and posts observed live again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.engine import Connection

from archiver.bulk import Bulk
from archiver.collectors.records import Page
from archiver.store.post_state import select_posts
from archiver.store.results import PageResult
from archiver.tables import T_POST, T_SIGHTING, T_STATUS_EVENT


def apply_statuses(
    conn: Connection, page: Page, capture_id: int, run_id: int | None, seen_at: datetime, result: PageResult
) -> None:
    """Each claim that is newer than what the archive knows becomes a status event and a sighting."""
    existing = select_posts(Bulk(conn), [(c.platform, c.platform_id) for c in page.statuses])
    for claim in page.statuses:
        state = existing.get((claim.platform, claim.platform_id))
        if state is None or state.status == claim.status:
            continue
        if state.status_changed_at is not None and seen_at < state.status_changed_at:
            continue
        if state.last_seen_at is not None and seen_at < state.last_seen_at:
            continue  # a newer capture saw it live; an old claim cannot override that
        set_status(conn, state.id, state.status, claim.status, seen_at, run_id, capture_id, claim.reason, result)
        state.status = claim.status
        conn.execute(insert(T_SIGHTING), {
            "post_id": state.id, "snapshot_id": state.snapshot_id, "run_id": run_id,
            "capture_id": capture_id, "seen_at": seen_at, "status": claim.status, "metrics": "{}",
        })
        result.sightings += 1


def set_status(
    conn: Connection, post_id: int, previous: str, status: str, at: datetime, run_id: int | None,
    capture_id: int, reason: str, result: PageResult,
) -> None:
    """The post's new status and the event that records the change."""
    conn.execute(update(T_POST).where(T_POST.c.id == post_id).values(status=status, status_changed_at=at))
    conn.execute(insert(T_STATUS_EVENT), {
        "post_id": post_id, "status": status, "previous_status": previous, "observed_at": at,
        "run_id": run_id, "capture_id": capture_id, "reason": reason,
    })
    result.count_status(status)
