"""Every post's tone, read through ``analysis.tone_store.post_tones`` and kept compactly.

Why not keep the ``PostTone`` objects: each carries its own copies of the analyzer version, method,
label and language strings, about 1 KB a post, so 100k posts cost over 100 MB. Reading in chunks and
sharing the repeated strings keeps the same fields (same attribute names) in about a third of that.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.engine import Engine

from archiver.store import T_POST

CHUNK = 20_000


class Tone(NamedTuple):
    score: float | None
    label: str | None
    method: str | None
    abstain_reason: str | None
    lang: str | None
    lang_method: str | None
    textblob_polarity: float | None
    vader_compound: float | None
    emoji_tone: float | None
    signal_words: int | None
    possible_irony: bool
    analyzer_version: str
    scored_as: str
    content_sha256: str | None
    source_post_id: int


def load_tones(engine: Engine) -> dict[int, Tone]:
    from analysis.tone_store import post_tones

    with engine.connect() as conn:
        ids = list(conn.execute(select(T_POST.c.id).order_by(T_POST.c.id)).scalars())
    shared: dict[Any, Any] = {}
    out: dict[int, Tone] = {}
    for start in range(0, len(ids), CHUNK):
        for post_id, tone in sorted(post_tones(engine, ids[start : start + CHUNK]).items()):
            values = [getattr(tone, name) for name in Tone._fields]
            out[post_id] = Tone(*(shared.setdefault(v, v) if isinstance(v, str) and len(v) < 64 else v
                                  for v in values))
    return out
