"""Calling the atproto SDK with evidence and bounded patience.

Every XRPC response the SDK receives is copied, byte-exact, by an httpx response hook injected
through ``atproto_client.request.Request`` (the SDK passes its keyword arguments on to
``httpx.Client``), so the collector archives what the server sent, not the SDK's re-serialised
models. Each call runs through ``Caller.call``: rate limits wait for the server's reset time and
transient failures back off, all within one ``RetryBudget`` per source; when the budget says no,
``GiveUp`` tells the collector to report the source incomplete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from atproto import Client
from atproto_client.exceptions import (
    BadRequestError,
    ModelError,
    NetworkError,
    RateLimitExceededError,
    RequestException,
    UnauthorizedError,
)
from atproto_client.request import Request

from archiver.collectors.ratelimit import RetryBudget
from archiver.collectors.records import CaptureRecord
from archiver.timeutil import utcnow
from archiver.urls import strip_credentials

T = TypeVar("T")

# Response headers worth keeping with a capture. Request headers (Authorization) are never kept.
KEPT_HEADERS = (
    "content-type",
    "date",
    "etag",
    "last-modified",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "ratelimit-policy",
    "retry-after",
    "atproto-repo-rev",
)


class GiveUp(Exception):
    """The retry budget is spent: stop this source and report it incomplete (never a status change)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


class Recorder:
    """Collects the exact bytes of every response the SDK's httpx client receives."""

    def __init__(self) -> None:
        self.captures: list[CaptureRecord] = []

    def hook(self, response: httpx.Response) -> None:
        response.read()  # response hooks run before the body is read
        headers = {k: v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS}
        self.captures.append(
            CaptureRecord(
                kind="http",
                url=strip_credentials(str(response.request.url)),
                status=response.status_code,
                fetched_at=utcnow(),
                body=response.content,
                headers=headers,
                meta={"method": response.request.method},
            )
        )

    def client(self, base_url: str, timeout: float) -> Client:
        request = Request(timeout=timeout, event_hooks={"response": [self.hook]})
        return Client(base_url=base_url, request=request)


def xrpc_error(exc: Exception) -> str | None:
    """The XRPC ``error`` name of a failed call (``RecordNotFound``, ``InvalidRequest``...)."""
    response = getattr(exc, "response", None)
    content = getattr(response, "content", None)
    return getattr(content, "error", None)


def xrpc_message(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    content = getattr(response, "content", None)
    message = getattr(content, "message", None)
    return str(message) if message else str(exc)


class Caller:
    """Runs SDK calls for one source, returning each result with the capture it came from."""

    def __init__(self, recorder: Recorder, budget: RetryBudget) -> None:
        self.recorder = recorder
        self.budget = budget

    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, CaptureRecord]:
        """Call ``fn(*args, **kwargs)`` until it succeeds or the budget is spent.

        ``BadRequestError`` and ``UnauthorizedError`` are answers, not failures: they propagate
        (with their capture in ``last_capture``) for the caller to interpret. Everything
        transient (429, 5xx, timeouts, connection drops, bodies that are not the promised JSON)
        is retried within the budget.
        """
        while True:
            self.recorder.captures.clear()  # keep only this call's evidence in memory
            try:
                result = fn(*args, **kwargs)
            except (BadRequestError, UnauthorizedError):
                self.budget.reset_attempts()
                raise
            except RateLimitExceededError as exc:
                reset = exc.reset_at.timestamp() if exc.reset_at else None
                if not self.budget.wait_for(reset_at=reset, retry_after=exc.retry_after):
                    raise GiveUp("rate_limited", f"{what}: rate limit, retry budget spent") from exc
                continue
            except (NetworkError, RequestException, ModelError, ValueError, httpx.TransportError) as exc:
                # RequestException: 5xx and other statuses; ModelError/ValueError: malformed body;
                # httpx.TransportError: a dropped connection, which the SDK does not wrap.
                if not self.budget.wait_for():
                    raise GiveUp("server_error", f"{what}: {type(exc).__name__}: {exc}") from exc
                continue
            self.budget.reset_attempts()
            if not self.recorder.captures:
                raise GiveUp("server_error", f"{what}: no response was captured")
            return result, self.recorder.captures[-1]

    def last_capture(self) -> CaptureRecord | None:
        return self.recorder.captures[-1] if self.recorder.captures else None
