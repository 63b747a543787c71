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
    """Tone of every post, keyed by post id, exactly as ``post_tones`` resolves it."""
    shared: dict[Any, Any] = {}
    out: dict[int, Tone] = {}

    def keep(tone: Any) -> None:
        values = [getattr(tone, name) for name in Tone._fields]
        out[tone.post_id] = Tone(*(shared.setdefault(v, v) if isinstance(v, str) and len(v) < 64 else v
                                   for v in values))

    try:
        # One streamed query through tone_store's own join and row conversion (1.4 s for 100k posts)...
        from analysis.tone_store import ANALYZER_VERSION, _post_tone_query, _to_post_tone
    except ImportError:  # pragma: no cover - only if tone_store's internals are renamed
        # ...or its public function in chunks of ids (2 s): same result, a little slower.
        from analysis.tone_store import post_tones

        with engine.connect() as conn:
            ids = list(conn.execute(select(T_POST.c.id).order_by(T_POST.c.id)).scalars())
        for start in range(0, len(ids), CHUNK):
            for _post_id, tone in sorted(post_tones(engine, ids[start : start + CHUNK]).items()):
                keep(tone)
        return out
    query, _resolved = _post_tone_query(ANALYZER_VERSION)
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=5000).execute(query):
            keep(_to_post_tone(row, ANALYZER_VERSION))
    return dict(sorted(out.items()))
