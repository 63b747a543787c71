"""Every post's tone, read through ``analysis.tone_store.iter_post_tones`` and kept compactly.

Why not keep the ``PostTone`` objects: each carries its own copies of the analyzer version, method,
label and language strings, about 1 KB a post, so 100k posts cost over 100 MB. A named tuple with the
same fields (same attribute names, minus ``post_id``, which becomes the key) and the repeated strings
shared keeps the same information in about a third of that.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import fields
from typing import Any

from sqlalchemy.engine import Engine

from analysis.tone_store import PostTone, iter_post_tones

_FIELDS: list[str] = [f.name for f in fields(PostTone) if f.name != "post_id"]
Tone: Any = namedtuple("Tone", _FIELDS)  # type: ignore[misc]  # fields follow PostTone, not a literal


def load_tones(engine: Engine) -> dict[int, Any]:
    """Tone of every post, keyed by post id, exactly as ``post_tones`` resolves it."""
    shared: dict[str, str] = {}
    out: dict[int, Any] = {}
    for tone in iter_post_tones(engine):
        values = (getattr(tone, name) for name in _FIELDS)
        out[tone.post_id] = Tone(*(shared.setdefault(v, v) if isinstance(v, str) and len(v) < 64 else v
                                   for v in values))
    return dict(sorted(out.items()))
