"""Tone as text for a terminal: one post, coverage, and the demo's key statements.

Kept apart from the CLI (which only parses arguments) and from the report (HTML): the demo, the
``archiver tone`` commands and anyone at a Python prompt print the same lines.

- ``find_post(engine, ref) -> int``: a post id from anything ``archiver.resolve`` accepts.
- ``describe(tone) -> str``: "positive +0.62 (textblob+vader+emoji, en by platform)" or
  "no score: unsupported_language:es".
- ``key_statement_lines(engine, limit)``: the tracked accounts' most-responded-to originals with
  their tone, then the coverage with every abstention reason's count, and one example post of each
  reason (what ``archiver demo`` prints).
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Engine

from analysis.tone_es import THRESHOLD
from analysis.tone_store import PostTone, coverage_of, post_tones
from archiver.resolve import resolve_post
from archiver.tables import T_ACCOUNT, T_POST, T_SNAPSHOT


def find_post(engine: Engine, ref: str) -> int:
    """Resolve what a user typed to one post id (``archiver.resolve``), or say clearly that it
    names none (or several)."""
    with engine.connect() as conn:
        return resolve_post(conn, ref, label=f"POST {ref!r}")


def confidence_text(tone: PostTone) -> str:
    """"confidence 1.32 (bar 1.0)" for a thresholded reader (Spanish), else why there is none."""
    if tone.confidence is None:
        return "confidence: not thresholded" if tone.lang == "en" and tone.score is not None else "confidence: -"
    return f"confidence {tone.confidence:.2f}, bar {THRESHOLD}"


def describe(tone: PostTone) -> str:
    """One line: the label and score with how it was made, or the reason there is none."""
    source = "" if tone.scored_as == "own" else f", read from the reposted post {tone.source_post_id}"
    lang = f"{tone.lang or '?'} by {tone.lang_method}" if tone.lang_method else "language not decided"
    confidence = f", {confidence_text(tone)}" if tone.confidence is not None else ""
    if tone.score is None:
        return f"no score: {tone.abstain_reason} ({lang}{confidence}{source})"
    irony = "; POSSIBLE IRONY: words and emoji disagree" if tone.possible_irony else ""
    return f"{tone.label} {tone.score:+.2f} ({tone.method}, {lang}{confidence}{source}){irony}"


def detail_lines(tone: PostTone) -> list[str]:
    """Every reader's own figure, for ``archiver tone show``."""
    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:+.3f}"

    lang = f"{tone.lang or '?'} (by {tone.lang_method})" if tone.lang_method else "not decided"
    readings = (f"evomsa:    {fmt(tone.model_polarity)} (positive minus negative margin)   "
                f"emoji: {fmt(tone.emoji_tone)}" if tone.lang == "es" else
                f"textblob:  {fmt(tone.textblob_polarity)}   vader: {fmt(tone.vader_compound)}   "
                f"emoji: {fmt(tone.emoji_tone)}   sentiment-bearing words: {tone.signal_words or 0}")
    return [
        f"tone:      {describe(tone)}",
        f"method:    {tone.method or '-'}   language: {lang}   {confidence_text(tone)}",
        readings,
        f"content:   {tone.content_sha256 or '-'}",
        f"analyzer:  {tone.analyzer_version}",
    ]


def key_statement_lines(engine: Engine, limit: int = 8, width: int = 70) -> list[str]:
    """Tracked accounts' originals with the most responses and reposts, each with its tone; then
    the archive's tone coverage and every abstention reason."""
    child = T_POST.alias("child")
    root = T_POST.alias("root")
    counted = (
        select(root.c.id, func.count(child.c.id).label("n"))
        .select_from(root.join(T_ACCOUNT, T_ACCOUNT.c.id == root.c.account_id)
                     .outerjoin(child, (child.c.platform == root.c.platform) & or_(
                         child.c.reposted_id == root.c.platform_id, child.c.quoted_id == root.c.platform_id,
                         child.c.replied_to_id == root.c.platform_id)))
        .where(T_ACCOUNT.c.tracked.is_(True), root.c.kind != "repost")
        .group_by(root.c.id)
        .order_by(func.count(child.c.id).desc(), root.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        top = [(int(i), int(n)) for i, n in conn.execute(counted)]
    ids = [i for i, _ in top]
    tones = post_tones(engine)
    examples: dict[str, int] = {}
    for post_id in sorted(tones):
        reason = tones[post_id].abstain_reason
        if reason and tones[post_id].scored_as == "own":
            examples.setdefault(reason, post_id)
    info = _handles_and_texts(engine, ids + list(examples.values()))

    def snippet(post_id: int) -> str:
        text = " ".join((info.get(post_id, (None, None))[1] or "").split())
        return '"' + (text if len(text) <= width else text[: width - 1] + "…") + '"'

    lines = ["tone of key statements:"]
    for post_id, reshares in top:
        lines.append(f"  @{info.get(post_id, (None, None))[0]} ({reshares} responses/reposts): "
                     f"{describe(tones[post_id])}")
        lines.append(f"      {snippet(post_id)}")
    lines += _spanish_lines(engine, tones, snippet_width=width)
    lines.append("  " + coverage_of(tones.values()).summary())
    for reason, post_id in sorted(examples.items()):
        lines.append(f"  e.g. {reason}: @{info.get(post_id, (None, None))[0]} {snippet(post_id)}")
    return lines


def _handles_and_texts(engine: Engine, ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
    if not ids:
        return {}
    with engine.connect() as conn:
        return {int(r.id): (r.handle, r.text) for r in conn.execute(
            select(T_POST.c.id, T_ACCOUNT.c.handle, T_SNAPSHOT.c.text)
            .join(T_ACCOUNT, T_ACCOUNT.c.id == T_POST.c.account_id)
            .outerjoin(T_SNAPSHOT, T_SNAPSHOT.c.id == T_POST.c.current_snapshot_id)
            .where(T_POST.c.id.in_(ids)))}


def _spanish_lines(engine: Engine, tones: dict[int, PostTone], snippet_width: int, limit: int = 4) -> list[str]:
    """The tracked accounts' own Spanish statements: how many cleared the confidence bar, then the
    most confident few (one per distinct text), scored or not, each with its confidence."""
    own = {pid: t for pid, t in tones.items() if t.lang == "es" and t.scored_as == "own"}
    if not own:
        return []
    with engine.connect() as conn:
        tracked = {int(i) for i in conn.execute(
            select(T_POST.c.id).join(T_ACCOUNT, T_ACCOUNT.c.id == T_POST.c.account_id)
            .where(T_ACCOUNT.c.tracked.is_(True), T_POST.c.id.in_(sorted(own)), T_POST.c.kind != "repost")).scalars()}
    if not tracked:
        return []
    info = _handles_and_texts(engine, sorted(tracked))
    scored = sum(own[p].score is not None for p in tracked)
    lines = [f"  Spanish statements of tracked accounts: {scored} of {len(tracked)} scored "
             f"(confidence >= {THRESHOLD}), the rest abstain:"]
    seen: set[str] = set()
    for post_id in sorted(tracked, key=lambda p: (-(own[p].confidence or 0.0), p)):
        handle, text = info.get(post_id, (None, None))
        flat = " ".join((text or "").split())
        if flat in seen:
            continue
        seen.add(flat)
        shown = flat if len(flat) <= snippet_width else flat[: snippet_width - 1] + "…"
        lines.append(f"    @{handle}: {describe(own[post_id])}")
        lines.append(f'        "{shown}"')
        if len(seen) == limit:
            break
    return lines
