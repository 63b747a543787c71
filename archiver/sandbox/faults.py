"""Fault injection for the sandbox: the bad nights a cron collector must survive, on demand.

``parse_faults("rate_limit=0.1,server_error=0.05,timeout=0.02,malformed=0.02,reset_header_missing=0.5,seed=7")``
gives a ``FaultPlan``; pass it as ``SandboxServer(fault_hook=plan)`` (``archiver sandbox serve
--faults ...`` does). For each API request (the paths a platform's sandbox part lists as
``api_prefixes``, such as X ``/2/...`` and XRPC ``/xrpc/...``; media downloads and the ``/_sandbox``
control endpoints are never faulted) the plan draws once from a seeded generator and either answers
with a fault or lets the request through. The platform's ``FaultShapes`` say what each fault
looks like on that platform:

- ``rate_limit``: 429 in the platform's shape, with its reset header (X ``x-rate-limit-reset``,
  XRPC ``ratelimit-reset``) a few seconds ahead, unless ``reset_header_missing`` (a second draw)
  drops the header;
- ``server_error``: 500 in the platform's error shape;
- ``timeout``: stalls ``stall`` seconds (default 35, longer than the collectors' 30 s timeout)
  and then closes the connection without answering, so the client times out;
- ``malformed``: status 200 with a truncated JSON body.

Why media is exempt: a failed media download is already recorded and retried by the store, and
its absence changes the snapshot's content hash; faults here are about the API paths.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from archiver import platforms
from archiver.errors import BadInputError
from archiver.sandbox.server import SandboxRequest, SandboxResponse

_RATES = ("rate_limit", "server_error", "timeout", "malformed")
_KNOWN = (*_RATES, "reset_header_missing", "seed", "stall", "reset_after")


class FaultShapes(Protocol):
    """What a fault looks like on one platform's API (each platform's ``sandbox/faults.py``)."""

    malformed_body: bytes  # the start of a plausible 200 body, cut off mid-JSON

    def rate_limited(self, reset: int | None) -> SandboxResponse: ...

    def server_error(self) -> SandboxResponse: ...


def shapes_for(path: str) -> FaultShapes | None:
    """The fault shapes of the platform whose API answers ``path``; None if no API path."""
    for platform in platforms.platforms():
        part = platform.sandbox
        if part is not None and part.api_prefixes and path.startswith(part.api_prefixes):
            return part.fault_shapes()
    return None


@dataclass
class FaultPlan:
    """A seeded, thread-safe fault schedule; call it with a request to get a fault or None."""

    rate_limit: float = 0.0
    server_error: float = 0.0
    timeout: float = 0.0
    malformed: float = 0.0
    reset_header_missing: float = 0.0
    seed: int = 0
    stall: float = 35.0  # seconds a timeout fault waits before answering
    reset_after: float = 2.0  # seconds ahead that a 429's reset header points to
    injected: Counter[str] = field(default_factory=Counter)
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @property
    def total_rate(self) -> float:
        return self.rate_limit + self.server_error + self.timeout + self.malformed

    def __call__(self, request: SandboxRequest) -> SandboxResponse | None:
        shapes = shapes_for(request.path)
        if shapes is None:
            return None
        with self._lock:
            draw = self._rng.random()
            header_draw = self._rng.random()
            kind = self._pick(draw)
            if kind is None:
                return None
            missing = kind == "rate_limit" and header_draw < self.reset_header_missing
            self.injected[kind + ("_no_reset" if missing else "")] += 1
        if kind == "rate_limit":
            return shapes.rate_limited(None if missing else int(time.time() + self.reset_after))
        if kind == "server_error":
            return shapes.server_error()
        if kind == "timeout":
            # stall, then hang up without a word: the client has given up by then, and writing to its
            # closed socket would only print a BrokenPipe traceback in the server
            return SandboxResponse(504, b"", delay=self.stall, drop=True)
        return SandboxResponse(200, shapes.malformed_body, {"content-type": "application/json"})

    def _pick(self, draw: float) -> str | None:
        edge = 0.0
        for name in _RATES:
            edge += getattr(self, name)
            if draw < edge:
                return name
        return None


def parse_faults(spec: str) -> FaultPlan:
    """Parse ``name=value,...``; a bad spec is a one-line ``BadInputError`` naming the field."""
    values: dict[str, float | int] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        name, sep, raw = part.partition("=")
        name = name.strip()
        if not sep or name not in _KNOWN:
            raise BadInputError(f"--faults: {part!r}: expected name=value, name one of {', '.join(_KNOWN)}")
        if name in values:
            raise BadInputError(f"--faults: {name} given twice")
        try:
            value: float | int = int(raw) if name == "seed" else float(raw)
        except ValueError:
            raise BadInputError(f"--faults: {name}={raw!r} is not a number") from None
        if name in (*_RATES, "reset_header_missing") and not 0.0 <= value <= 1.0:
            raise BadInputError(f"--faults: {name}={raw} must be a probability between 0 and 1")
        if name in ("stall", "reset_after") and value < 0:
            raise BadInputError(f"--faults: {name}={raw} must not be negative")
        values[name] = value
    plan = FaultPlan(**values)  # type: ignore[arg-type]
    if plan.total_rate > 1.0:
        raise BadInputError(f"--faults: rates add up to {plan.total_rate:g}, more than 1")
    return plan
