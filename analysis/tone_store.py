"""Running tone over the archive incrementally, and reading a post's tone back.

Public surface (for ``archiver analyze``, the CLI, the report and exports):

- ``run_tone(engine, progress=None) -> ToneRunResult``: scores every snapshot content that has no
  ``tone`` row for the current ``ANALYZER_VERSION``; content already scored is skipped, so a rerun
  on an unchanged archive only runs one anti-join query. Safe beside another run (inserts ignore
  conflicts) and resumable (each chunk is its own transaction; the rows are derived, not evidence).
  ``analyze_step(engine, force)`` is the same, as a step of ``archiver analyze``.
- ``post_tone(engine, post_id) -> PostTone | None`` and ``post_tones(engine, post_ids=None)``:
  a post's tone *with its method and abstention reason*. A repost is read as the post it reposts
  (same platform, ``post.reposted_id``), using that post's current snapshot.
- ``coverage(engine, post_ids=None) -> ToneCoverage``: how many posts have a score, and a count for
  each reason the rest have none. Show it wherever tone is shown.

Reasons a post has no score, beyond the scorer's own (``analysis.tone``): ``not_analyzed`` (run
``archiver analyze``), ``original_not_archived`` (a repost whose original is not in the archive and
whose own text has nothing to score).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import and_, case, delete, exists, func, insert, select
from sqlalchemy.engine import Engine

from analysis.results import ToneStepSummary
from analysis.tone import ANALYZER, ANALYZER_VERSION, ToneResult, score_text
from archiver.chunks import chunked
from archiver.db import writer
from archiver.store import insert_ignoring_conflicts
from archiver.tables import T_POST, T_SNAPSHOT, T_TONE
from archiver.timeutil import utcnow

CHUNK = 5000


@dataclass
class ToneRunResult:
    """What one run did: ``analysed`` new contents (scored or abstained), ``already`` done before by
    this version, and the abstention reasons among the new ones."""

    analyzer_version: str
    analysed: int = 0
    already: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"analyzer_version": self.analyzer_version, "analysed": self.analysed, "already": self.already,
                "abstained": dict(sorted(self.reasons.items()))}


def _pending(engine: Engine, version: str) -> list[tuple[str, str, str | None]]:
    """Distinct (content_sha256, text, lang) of snapshots without a tone row for ``version``."""
    done = exists().where(and_(T_TONE.c.content_sha256 == T_SNAPSHOT.c.content_sha256,
                               T_TONE.c.analyzer_version == version))
    query = select(T_SNAPSHOT.c.content_sha256, T_SNAPSHOT.c.text, T_SNAPSHOT.c.lang).where(~done)
    seen: dict[str, tuple[str, str, str | None]] = {}
    with engine.connect() as conn:
        for sha, text, lang in conn.execute(query):
            seen.setdefault(sha, (sha, text, lang))
    return list(seen.values())


def run_tone(engine: Engine, progress: Callable[[int, int], None] | None = None,
             chunk: int = CHUNK, force: bool = False) -> ToneRunResult:
    """Score every content not yet scored by this analyzer version (see the module docstring).

    ``force`` first deletes this version's rows, so everything is scored again (rows of other
    versions are left alone: they are what an older report was built from)."""
    result = ToneRunResult(ANALYZER_VERSION)
    if force:
        with writer(engine).begin() as conn:
            conn.execute(delete(T_TONE).where(T_TONE.c.analyzer_version == ANALYZER_VERSION))
    pending = _pending(engine, ANALYZER_VERSION)
    with engine.connect() as conn:
        result.already = int(conn.execute(
            select(func.count()).select_from(T_TONE).where(T_TONE.c.analyzer_version == ANALYZER_VERSION)
        ).scalar_one())
    # The same words recur (an X retweet's "RT @a:" text is its original's): score each once.
    memo: dict[tuple[str, str | None], ToneResult] = {}
    reasons: Counter[str] = Counter()
    for part in chunked(pending, chunk):
        rows = []
        now = utcnow()
        for sha, text, lang in part:
            key = (text, lang)
            tone = memo.get(key)
            if tone is None:
                tone = memo[key] = score_text(text, lang)
            if tone.abstain_reason:
                reasons[tone.abstain_reason] += 1
            rows.append({"content_sha256": sha, "analyzer": ANALYZER, "analyzer_version": ANALYZER_VERSION,
                         "scored_at": now, **tone.as_row()})
        with writer(engine).begin() as conn:
            conn.execute(insert_ignoring_conflicts(conn, T_TONE, ["content_sha256", "analyzer_version"]), rows)
        result.analysed += len(rows)
        if progress is not None:
            progress(result.analysed, len(pending))
    result.reasons = dict(reasons)
    return result


def analyze_step(engine: Engine, force: bool = False) -> ToneStepSummary:
    """The ``tone`` step of ``archiver analyze`` (``analysis.analyze.STEPS``): runs ``run_tone`` and
    records it in ``analysis_run`` like every analysis step."""
    from archiver.tables import T_ANALYSIS_RUN

    started = utcnow()
    clock = time.perf_counter()
    result = run_tone(engine, force=force)
    counts = {**result.as_dict(), "seconds": round(time.perf_counter() - clock, 3)}
    counts.pop("analyzer_version")
    with writer(engine).begin() as conn:
        run_id = conn.execute(insert(T_ANALYSIS_RUN).returning(T_ANALYSIS_RUN.c.id), {
            "analyzer": ANALYZER, "version": ANALYZER_VERSION, "started_at": started, "ended_at": utcnow(),
            "counts": orjson.dumps(counts).decode()}).scalar_one()
    return ToneStepSummary(analysed=result.analysed, already=result.already, abstained=counts["abstained"],
                           seconds=counts["seconds"], analysis_run_id=run_id, version=ANALYZER_VERSION,
                           coverage=coverage(engine))


@dataclass(frozen=True, slots=True)
class PostTone:
    """A post's tone as a reader should see it. ``scored_as`` is ``own`` or ``original`` (a repost
    read as the post it reposts, whose id is ``source_post_id``). ``confidence`` is the Spanish
    model's margin (scored at or above ``analysis.tone_es.THRESHOLD``), None for English."""

    post_id: int
    source_post_id: int
    scored_as: str
    content_sha256: str | None
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
    confidence: float | None = None
    model_polarity: float | None = None


_TONE_FIELDS = ("score", "label", "method", "abstain_reason", "lang", "lang_method", "textblob_polarity",
                "vader_compound", "emoji_tone", "signal_words", "possible_irony", "confidence", "model_polarity")


def _post_tone_query(version: str) -> Any:
    post = T_POST.alias("p")
    orig = T_POST.alias("o")
    use_orig = and_(post.c.kind == "repost", orig.c.current_content_sha256.is_not(None))
    sha = case((use_orig, orig.c.current_content_sha256), else_=post.c.current_content_sha256)
    source = case((use_orig, orig.c.id), else_=post.c.id)
    resolved = (
        select(post.c.id.label("post_id"), source.label("source_post_id"), sha.label("sha"),
               post.c.kind.label("kind"))
        .select_from(post.outerjoin(orig, and_(orig.c.platform == post.c.platform,
                                               orig.c.platform_id == post.c.reposted_id)))
        .subquery("resolved")
    )
    columns = [T_TONE.c[name] for name in _TONE_FIELDS]
    query = select(resolved.c.post_id, resolved.c.source_post_id, resolved.c.sha, resolved.c.kind,
                   T_TONE.c.id.label("tone_id"), *columns).select_from(
        resolved.outerjoin(T_TONE, and_(T_TONE.c.content_sha256 == resolved.c.sha,
                                        T_TONE.c.analyzer_version == version)))
    return query, resolved


def _to_post_tone(row: Any, version: str) -> PostTone:
    values = {name: getattr(row, name) for name in _TONE_FIELDS}
    scored_as = "own" if row.source_post_id == row.post_id else "original"
    if row.tone_id is None:
        values["abstain_reason"] = "not_analyzed"
    elif (row.kind == "repost" and scored_as == "own" and values["score"] is None
          and values["abstain_reason"] in ("no_text", "no_signal")):
        values["abstain_reason"] = "original_not_archived"
    values["possible_irony"] = bool(values["possible_irony"])
    return PostTone(post_id=row.post_id, source_post_id=row.source_post_id, scored_as=scored_as,
                    content_sha256=row.sha, analyzer_version=version, **values)


def post_tones(engine: Engine, post_ids: Iterable[int] | None = None,
               version: str = ANALYZER_VERSION) -> dict[int, PostTone]:
    """Tone of many posts (all when ``post_ids`` is None), keyed by post id."""
    query, resolved = _post_tone_query(version)
    found: dict[int, PostTone] = {}
    with engine.connect() as conn:
        if post_ids is None:
            batches: list[Any] = [query]
        else:
            ids = sorted(set(post_ids))
            batches = [query.where(resolved.c.post_id.in_(part)) for part in chunked(ids)]
        for batch in batches:
            for row in conn.execute(batch):
                found[row.post_id] = _to_post_tone(row, version)
    return found


def iter_post_tones(engine: Engine, version: str = ANALYZER_VERSION) -> Iterator[PostTone]:
    """Every post's tone, streamed in one query (the report reads 100k posts this way)."""
    query, _resolved = _post_tone_query(version)
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=5000).execute(query):
            yield _to_post_tone(row, version)


def post_tone(engine: Engine, post_id: int, version: str = ANALYZER_VERSION) -> PostTone | None:
    """One post's tone (None when there is no such post)."""
    return post_tones(engine, [post_id], version).get(post_id)


@dataclass(frozen=True, slots=True)
class ToneCoverage:
    """``scored`` of ``total`` posts have a score; ``reasons`` counts why the others have none."""

    total: int
    scored: int
    reasons: dict[str, int]

    @property
    def share(self) -> float:
        return self.scored / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "scored": self.scored, "share": round(self.share, 4),
                "reasons": dict(sorted(self.reasons.items()))}

    def summary(self) -> str:
        """One line for a report or a terminal: "tone: 41 of 50 posts scored (82.0%); ..." """
        line = f"tone: {self.scored} of {self.total} posts scored ({100 * self.share:.1f}%)"
        if self.reasons:
            line += "; not scored: " + ", ".join(f"{k} {v}" for k, v in sorted(self.reasons.items(),
                                                                                 key=lambda kv: (-kv[1], kv[0])))
        return line


def coverage_of(tones: Iterable[PostTone]) -> ToneCoverage:
    """Coverage of an already-read set of post tones (e.g. one account's, one week's)."""
    total = scored = 0
    reasons: Counter[str] = Counter()
    for tone in tones:
        total += 1
        if tone.score is not None:
            scored += 1
        else:
            reasons[tone.abstain_reason or "unknown"] += 1
    return ToneCoverage(total=total, scored=scored, reasons=dict(reasons))


def coverage(engine: Engine, post_ids: Iterable[int] | None = None,
             version: str = ANALYZER_VERSION) -> ToneCoverage:
    """Coverage over the whole archive, or over ``post_ids``."""
    return coverage_of(post_tones(engine, post_ids, version).values())
