"""Credentials the process holds never leave it through an error message.

Why: servers put what they received into their error text. A login endpoint that echoes its
request puts the app password into ``xrpc_message``, and from there into ``source_coverage.detail``,
``run.errors``, the JSON log and ``archiver status``. Every secret the process holds (the
environment's tokens and passwords, and any the code registers) is replaced by ``[redacted]`` in
such text before it is stored, logged or printed, in its plain, JSON-escaped and URL-encoded forms.
"""

from __future__ import annotations

import os
from urllib.parse import quote, quote_plus

import orjson

ENV_SECRETS = ("X_BEARER_TOKEN", "BSKY_APP_PASSWORD", "ARCHIVER_DB", "ARCHIVER_TSA_PASSWORD")
MIN_SECRET = 4  # shorter values would redact ordinary words
MARK = "[redacted]"

_registered: set[str] = set()


def register(*secrets: str | None) -> None:
    """Add secrets the process learnt other than from ``ENV_SECRETS`` (or a config's password)."""
    _registered.update(s for s in secrets if s and len(s) >= MIN_SECRET)


def _password_of(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).password  # type: ignore[return-value]
    except Exception:
        return None


def held_secrets() -> list[str]:
    """Every secret to hide, longest first (so a secret containing another is hidden whole)."""
    found = set(_registered)
    for name in ENV_SECRETS:
        value = os.environ.get(name)
        if not value:
            continue
        if name == "ARCHIVER_DB":
            value = _password_of(value) or ""
        if len(value) >= MIN_SECRET:
            found.add(value)
    forms = set()
    for secret in found:
        forms.update({secret, orjson.dumps(secret).decode()[1:-1], quote(secret, safe=""), quote_plus(secret)})
    return sorted((f for f in forms if len(f) >= MIN_SECRET), key=len, reverse=True)


def redact(text: str | None) -> str | None:
    """``text`` with every held secret replaced by ``[redacted]``."""
    if not text:
        return text
    for secret in held_secrets():
        if secret in text:
            text = text.replace(secret, MARK)
    return text


__all__ = ["MARK", "held_secrets", "redact", "register"]
