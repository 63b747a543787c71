"""The loopback sandbox server: one HTTP server on 127.0.0.1 that speaks the subset of X API v2
of every registered platform (for X: API v2 under ``/2/``; for Bluesky: XRPC under ``/xrpc/``, AppView
and PDS) and the media hosts that the collectors use, serving the bundled scenario.

Why a hand-written server: the SDKs must run their real code paths, so the fakes must answer
real HTTP on a real socket; the standard library's ThreadingHTTPServer is enough for loopback
traffic and adds no dependency. Platform behaviour lives in each platform's
sandbox part (``archiver/platforms/<name>/sandbox/``), mounted through the registry by path prefix;
this module only routes, applies injected faults and controls the scenario step.

Control endpoints (for people and tests): ``GET /_sandbox`` (state as JSON),
``POST /_sandbox/step/<k>`` (advance the scenario).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import orjson

from archiver import platforms
from archiver.sandbox.scenario import MAX_STEP, Scenario, load


@dataclass
class SandboxRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """A repeated or comma-separated parameter (XRPC repeats, X API v2 joins with commas)."""
        out: list[str] = []
        for value in self.query.get(name, []):
            out.extend(v for v in value.split(",") if v)
        return out


@dataclass
class SandboxResponse:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to stall before answering (timeout faults)
    drop: bool = False  # close the connection without answering

    @classmethod
    def json(cls, value: object, status: int = 200, headers: dict[str, str] | None = None) -> SandboxResponse:
        return cls(status, orjson.dumps(value), {"content-type": "application/json; charset=utf-8",
                                                 **(headers or {})})


@dataclass
class World:
    """What every handler sees: the scenario, the current step, and where the sandbox is."""

    scenario: Scenario
    step: int = 1
    base_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


Handler = Callable[[SandboxRequest, World], SandboxResponse]
FaultHook = Callable[[SandboxRequest], SandboxResponse | None]


def _route(request: SandboxRequest, world: World) -> SandboxResponse:
    path = request.path
    if path == "/_sandbox":
        return SandboxResponse.json({"step": world.step, "max_step": MAX_STEP, "notice": world.scenario.notice})
    if path.startswith("/_sandbox/step/") and request.method == "POST":
        try:
            step = int(path.rsplit("/", 1)[1])
            if not 1 <= step <= MAX_STEP:
                raise ValueError
        except ValueError:
            return SandboxResponse.json({"error": f"step must be 1..{MAX_STEP}"}, 400)
        world.step = step
        return SandboxResponse.json({"step": step})
    for platform in platforms.platforms():
        if platform.sandbox is not None and path.startswith(platform.sandbox.prefixes):
            return platform.sandbox.handle(request, world)
    return SandboxResponse.json({"error": "NotFound", "message": f"no sandbox route for {path}"}, 404)


class _RequestHandler(BaseHTTPRequestHandler):
    server_version = "archiver-sandbox/1"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: without this, 40 ms each

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        request = SandboxRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        sandbox: SandboxServer = self.server.sandbox  # type: ignore[attr-defined]
        response = None
        if sandbox.fault_hook is not None and not request.path.startswith("/_sandbox"):
            response = sandbox.fault_hook(request)
        if response is None:
            try:
                response = _route(request, sandbox.world)
            except Exception as exc:  # a sandbox bug must look like a server error, not hang the client
                response = SandboxResponse.json({"error": "InternalServerError", "message": repr(exc)}, 500)
        sandbox.requests.append((request.method, request.path, response.status))
        if response.delay:
            sandbox.stop_event.wait(response.delay)
        if response.drop:
            self.close_connection = True
            return
        self.send_response(response.status)
        headers = {"content-type": "application/json", **response.headers}
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("content-length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = _serve
    do_POST = _serve
    do_HEAD = _serve


class SandboxServer:
    """Start with ``with SandboxServer() as sandbox:``; ``sandbox.base_url`` is where it listens."""

    def __init__(self, port: int = 0, step: int = 1, scenario: Scenario | None = None,
                 fault_hook: FaultHook | None = None, verbose: bool = False) -> None:
        self.world = World(scenario=scenario or load(), step=step)
        self.fault_hook = fault_hook
        self.requests: list[tuple[str, str, int]] = []
        self.stop_event = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _RequestHandler)
        self._httpd.daemon_threads = True
        self._httpd.sandbox = self  # type: ignore[attr-defined]
        self._httpd.verbose = verbose  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]
        self.world.base_url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return self.world.base_url

    def set_step(self, step: int) -> None:
        if not 1 <= step <= MAX_STEP:
            raise ValueError(f"step must be between 1 and {MAX_STEP}")
        self.world.step = step

    def start(self) -> SandboxServer:
        # A short poll interval: stop() waits for it, and tests start and stop many sandboxes.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self.stop_event.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
