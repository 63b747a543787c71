"""What the sandbox's injected faults look like on XRPC (``{"error", "message"}`` bodies, ratelimit-* headers)."""

from __future__ import annotations

from archiver.sandbox.server import SandboxResponse


class XrpcFaults:
    malformed_body = b'{"feed": [{"post": {"uri": "at://did:plc:'

    def rate_limited(self, reset: int | None) -> SandboxResponse:
        headers = {"ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-policy": "3000;w=300"}
        if reset is not None:
            headers["ratelimit-reset"] = str(reset)
        body = {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
        return SandboxResponse.json(body, 429, headers)

    def server_error(self) -> SandboxResponse:
        return SandboxResponse.json({"error": "InternalServerError", "message": "Internal Server Error"}, 500)


FAULTS = XrpcFaults()
