"""What the sandbox's injected faults look like on X API v2 (problem+json bodies, x-rate-limit-* headers)."""

from __future__ import annotations

from archiver.sandbox.server import SandboxResponse


class XFaults:
    malformed_body = b'{"data": [{"id": "18'

    def rate_limited(self, reset: int | None) -> SandboxResponse:
        headers = {"x-rate-limit-limit": "900", "x-rate-limit-remaining": "0"}
        if reset is not None:
            headers["x-rate-limit-reset"] = str(reset)
        return SandboxResponse.json({"title": "Too Many Requests", "detail": "Too Many Requests",
                                     "type": "about:blank", "status": 429}, 429, headers)

    def server_error(self) -> SandboxResponse:
        return SandboxResponse.json({"title": "Internal Server Error", "detail": "Internal Server Error",
                                     "type": "about:blank", "status": 500}, 500)


FAULTS = XFaults()
