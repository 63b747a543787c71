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
_ROW_FIELDS = ("score", "label", "method", "abstain_reason", "lang", "lang_method", "textblob_polarity",
               "vader_compound", "emoji_tone", "signal_words", "possible_irony")


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
        # One streamed query through tone_store's own join (0.8 s for 100k posts)...
        from analysis.tone_store import _TONE_FIELDS, ANALYZER_VERSION, _post_tone_query
        if tuple(_TONE_FIELDS) != _ROW_FIELDS:
            raise ImportError("tone_store's row layout changed")
    except ImportError:  # pragma: no cover - only if tone_store's internals change
        # ...or its public function in chunks of ids (2 s): same result, slower.
        from analysis.tone_store import post_tones

        with engine.connect() as conn:
            ids = list(conn.execute(select(T_POST.c.id).order_by(T_POST.c.id)).scalars())
        for start in range(0, len(ids), CHUNK):
            for _post_id, tone in sorted(post_tones(engine, ids[start : start + CHUNK]).items()):
                keep(tone)
        return out
    query, _resolved = _post_tone_query(ANALYZER_VERSION)
    s = shared.setdefault
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=5000).execute(query):
            (post_id, source, sha, kind, tone_id, score, label, method, reason, lang, lang_method, polarity,
             vader, emoji, words, irony) = row
            # The same two derived reasons as tone_store._to_post_tone (tests compare the results).
            scored_as = "own" if source == post_id else "original"
            if tone_id is None:
                reason = "not_analyzed"
            elif kind == "repost" and scored_as == "own" and score is None and reason in ("no_text", "no_signal"):
                reason = "original_not_archived"
            out[post_id] = Tone(score, s(label, label), s(method, method), s(reason, reason), s(lang, lang),
                                s(lang_method, lang_method), polarity, vader, emoji, words, bool(irony),
                                ANALYZER_VERSION, scored_as, sha, source)
    return dict(sorted(out.items()))
