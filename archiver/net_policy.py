"""Where a URL found in data may be fetched from: public addresses only, unless told otherwise.

Why: ``import twarc --fetch-media`` downloads the image URLs a file names, and the file comes from
a stranger. Without a policy, ``http://127.0.0.1:8080/admin`` or ``http://169.254.169.254/`` (a
cloud metadata service) would be fetched and the answer stored and published in the report. A
URL is allowed when its scheme is http(s) and every address its host resolves to is global; each
redirect is checked again before it is followed. Loopback is allowed only by an explicit switch
(the sandbox and the tests serve media from 127.0.0.1). A host that resolves to a public address
at check time and to a private one at connect time (DNS rebinding) is outside this check; see
docs/security.md.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class NetPolicy:
    allow_loopback: bool = False

    def refusal(self, url: str) -> str | None:
        """None when ``url`` may be fetched, else why not (one line, for the media row's error)."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
            port = parts.port
        except ValueError:
            return "not a valid URL"
        if parts.scheme not in ("http", "https") or not host:
            return f"scheme {parts.scheme or '(none)'!r} is not fetched (http and https only)"
        try:
            infos = socket.getaddrinfo(host, port or (443 if parts.scheme == "https" else 80),
                                       type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            return f"cannot resolve {host}: {exc}"
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if not self._allowed(address):
                return f"{host} resolves to {address}, which is not a public address (refused)"
        return None

    def _allowed(self, address: _Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address.is_loopback:
            return self.allow_loopback
        return address.is_global and not address.is_multicast


PUBLIC_ONLY = NetPolicy()

__all__ = ["PUBLIC_ONLY", "NetPolicy"]
