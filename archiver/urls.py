"""URL hygiene: nothing stored or shown may carry a credential."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SECRET_PARAMS = {"access_token", "token", "bearer_token", "api_key", "apikey", "key", "password", "secret"}


def strip_credentials(url: str) -> str:
    """Drop userinfo and secret-looking query parameters from a URL before it is stored."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k.lower() not in _SECRET_PARAMS])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
