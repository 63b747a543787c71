"""The suite itself is offline: a connection to anything but this machine is refused."""

from __future__ import annotations

import socket

import httpx
import pytest


def test_a_connection_off_this_machine_is_refused() -> None:
    with pytest.raises(OSError, match="must not use the network"), socket.socket() as sock:
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed, refused before any packet
    with pytest.raises(httpx.ConnectError, match="must not use the network"):
        httpx.get("http://192.0.2.1/", timeout=1)


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())
