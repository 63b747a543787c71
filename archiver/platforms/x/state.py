"""Where the next X timeline read starts (``since_id``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from archiver.tables import T_CAPTURE, T_POST, T_SIGHTING


def newest_timeline_id(conn: Connection, account_pk: int, platform_id: str) -> str | None:
    """The newest post seen in this account's own timeline captures. A post of the account that
    reached the archive another way (a quote lookup, an import) must not move it, or older
    timeline entries would be skipped."""
    ids = conn.execute(
        select(T_POST.c.platform_id).distinct()
        .join(T_SIGHTING, T_SIGHTING.c.post_id == T_POST.c.id)
        .join(T_CAPTURE, T_CAPTURE.c.id == T_SIGHTING.c.capture_id)
        .where(T_POST.c.account_id == account_pk, T_CAPTURE.c.url.contains(f"/2/users/{platform_id}/tweets"))
    ).scalars().all()
    return max(ids, key=lambda v: (len(v), v)) if ids else None
