"""Hand-made pages for tests that exercise the store directly (no SDK involved)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from archiver.collectors.records import AccountRecord, CaptureRecord, MediaRef, Page, PostRecord

T0 = datetime(2025, 3, 16, 8, 0, tzinfo=UTC)


def account(n: int = 1, handle: str | None = None, platform: str = "x", tracked: bool = True) -> AccountRecord:
    return AccountRecord(platform, f"{1000 + n}", handle or f"user{n}", f"User {n}", tracked)  # type: ignore[arg-type]


def post(
    pid: str = "1900000000000000001",
    text: str = "Oopsie... Too late 😂",
    author: AccountRecord | None = None,
    kind: str = "post",
    metrics: dict[str, int] | None = None,
    media: list[MediaRef] | None = None,
    captured_at: datetime | None = None,
    platform: str = "x",
    **refs: str | None,
) -> PostRecord:
    author = author or account()
    raw = orjson.dumps({"id": pid, "text": text, "author_id": author.platform_id, "metrics": metrics or {}})
    return PostRecord(
        platform=platform,  # type: ignore[arg-type]
        platform_id=pid,
        url=f"https://x.com/{author.handle}/status/{pid}",
        author=author,
        created_at=T0,
        text=text,
        lang="en",
        kind=kind,  # type: ignore[arg-type]
        raw=raw,
        content_id=pid,
        media=media or [],
        metrics=metrics or {"like_count": 1},
        captured_at=captured_at,
        **refs,  # type: ignore[arg-type]
    )


def page(*posts: PostRecord, at: datetime | None = None, body: bytes | None = None, **extra: object) -> Page:
    fetched = at or T0 + timedelta(hours=1)
    capture = CaptureRecord("http", "http://127.0.0.1:1/2/users/1/tweets", 200, fetched,
                            body if body is not None else orjson.dumps({"data": [p.platform_id for p in posts]}))
    return Page(capture=capture, posts=list(posts), **extra)  # type: ignore[arg-type]
