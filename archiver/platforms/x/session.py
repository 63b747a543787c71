"""The ``requests.Session`` that tweepy's ``Client`` talks through.

Two jobs, both needed because tweepy offers no hook for them:

* tweepy hard-codes ``https://api.twitter.com`` (``BaseClient.request``); this session rewrites
  that prefix to the configured base URL (the loopback sandbox, or a proxy), leaving every other
  tweepy code path real;
* with ``return_type=dict`` tweepy hands back parsed JSON only, but the archive must keep the
  exact bytes received; the session records each response's body, status, URL and a few headers,
  so the collector can store the capture the records were read from.

The ``Authorization`` header is never recorded, and the recorded URL has credentials stripped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from archiver.collectors.records import CaptureRecord
from archiver.timeutil import utcnow
from archiver.urls import strip_credentials

X_API_HOST = "https://api.twitter.com"
KEPT_HEADERS = ("content-type", "date", "x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset",
                "x-response-time", "x-transaction-id")


@dataclass(slots=True)
class RecordedResponse:
    url: str
    status: int
    fetched_at: datetime
    body: bytes
    headers: dict[str, str]

    def capture(self, **meta: Any) -> CaptureRecord:
        return CaptureRecord(kind="http", url=self.url, status=self.status, fetched_at=self.fetched_at,
                             body=self.body, headers=dict(self.headers), meta=dict(meta))


class XSession(requests.Session):
    """A session bound to one X API base URL, remembering the last response it received."""

    def __init__(self, base_url: str = X_API_HOST, timeout: float = 30.0) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.last: RecordedResponse | None = None
        self.request_count = 0

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        target = url.decode() if isinstance(url, bytes) else url
        if target.startswith(X_API_HOST):
            target = self.base_url + target[len(X_API_HOST):]
        kwargs.setdefault("timeout", self.timeout)
        self.last = None
        self.request_count += 1
        response = super().request(method, target, *args, **kwargs)
        # ``.content`` reads the whole body now, before tweepy's ``with`` closes the response.
        self.last = RecordedResponse(
            url=strip_credentials(response.url or target),
            status=response.status_code,
            fetched_at=utcnow(),
            body=response.content,
            headers={k: response.headers[k] for k in KEPT_HEADERS if k in response.headers},
        )
        return response

    def take(self) -> RecordedResponse:
        """The response the last tweepy call parsed; taken once so it cannot be stored twice."""
        last = self.last
        if last is None:
            raise RuntimeError("no recorded X response")
        self.last = None
        return last
