"""Tone over an archive built through Store.ingest: caching, reposts, edits, coverage, migration."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

import analysis.tone_store as tone_store
from analysis.tone import ANALYZER_VERSION, score_text
from analysis.tone_store import T_TONE, coverage, post_tone, post_tones, run_tone
from archiver.archive import Archive
from archiver.collectors.records import PostRecord
from archiver.db import upgrade
from archiver.tables import T_POST
from tests.factories import T0, account, page, post


def _post(pid: str, text: str, lang: str | None = "en", **kw: object) -> PostRecord:
    record = post(pid=pid, text=text, **kw)  # type: ignore[arg-type]
    record.lang = lang
    return record


def _ids(archive: Archive) -> dict[str, int]:
    with archive.engine.connect() as conn:
        return {pid: int(i) for pid, i in conn.execute(select(T_POST.c.platform_id, T_POST.c.id))}


def _tone_rows(archive: Archive) -> list[tuple[str, str, float | None, str | None]]:
    with archive.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(  # type: ignore[misc]
            T_TONE.c.content_sha256, T_TONE.c.analyzer_version, T_TONE.c.score, T_TONE.c.abstain_reason))]


def test_each_content_is_scored_once_and_a_rerun_skips_it(archive: Archive) -> None:
    store = archive.store(fetch_media=False)
    store.ingest(page(_post("1", "A wonderful day for our nation"), _post("2", "A terrible, shameful decision"),
                      _post("3", "Un acuerdo vergonzoso", lang="es")))
    first = run_tone(archive.engine)
    assert (first.analysed, first.already) == (3, 0)
    assert first.reasons == {"low_confidence:es": 1}
    again = run_tone(archive.engine)
    assert (again.analysed, again.already) == (0, 3)
    # Seeing the same posts again (a new capture, no content change) adds no work either.
    store.ingest(page(_post("1", "A wonderful day for our nation"), at=T0 + timedelta(days=1)))
    assert run_tone(archive.engine).analysed == 0
    assert len(_tone_rows(archive)) == 3


def test_tone_rows_are_keyed_by_content_hash_and_analyzer_version(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = archive.store(fetch_media=False)
    store.ingest(page(_post("1", "A wonderful day"), _post("2", "A sad day")))
    run_tone(archive.engine)
    with archive.engine.connect() as conn:
        hashes = {r[0] for r in conn.execute(select(T_POST.c.current_content_sha256))}
    assert {r[0] for r in _tone_rows(archive)} == hashes
    # A new analyzer version scores everything again, beside the old rows (which stay).
    monkeypatch.setattr(tone_store, "ANALYZER_VERSION", "test-next-version")
    assert run_tone(archive.engine).analysed == 2
    rows = _tone_rows(archive)
    assert sorted(v for _, v, _, _ in rows) == sorted([ANALYZER_VERSION] * 2 + ["test-next-version"] * 2)
    assert run_tone(archive.engine).analysed == 0


def test_an_edit_is_scored_as_new_content_and_the_post_follows_it(archive: Archive) -> None:
    store = archive.store(fetch_media=False)
    store.ingest(page(_post("1", "What a wonderful decision")))
    run_tone(archive.engine)
    post_id = _ids(archive)["1"]
    before = post_tone(archive.engine, post_id)
    assert before is not None and before.label == "positive"
    store.ingest(page(_post("1", "What a terrible decision"), at=T0 + timedelta(hours=5)))
    assert post_tone(archive.engine, post_id).abstain_reason == "not_analyzed"  # type: ignore[union-attr]
    assert run_tone(archive.engine).analysed == 1
    after = post_tone(archive.engine, post_id)
    assert after is not None and after.label == "negative"
    assert after.content_sha256 != before.content_sha256
    assert len(_tone_rows(archive)) == 2  # the first version's tone is kept


def test_a_repost_is_read_as_its_original(archive: Archive) -> None:
    store = archive.store(fetch_media=False)
    author, fan = account(1, "president"), account(2, "minister")
    original = _post("10", "Oopsie... Too late 😂", author=author)
    retweet = _post("11", "RT @president: Oopsie... Too late 😂", author=fan, kind="repost", reposted_id="10")
    store.ingest(page(original, retweet))
    run_tone(archive.engine)
    ids = _ids(archive)
    tones = post_tones(archive.engine)
    assert tones[ids["11"]].scored_as == "original" and tones[ids["11"]].source_post_id == ids["10"]
    assert tones[ids["11"]].content_sha256 == tones[ids["10"]].content_sha256
    assert tones[ids["11"]].score == tones[ids["10"]].score == score_text("Oopsie... Too late 😂", "en").score
    assert tones[ids["10"]].possible_irony


def test_a_repost_of_a_post_not_in_the_archive(archive: Archive) -> None:
    store = archive.store(fetch_media=False)
    # Bluesky: a repost record has no text; X: the retweet's text is the original's words.
    empty = _post("at://did:plc:a/app.bsky.feed.repost/1", "", kind="repost", platform="bluesky",
                  reposted_id="at://did:plc:b/app.bsky.feed.post/9")
    worded = _post("21", "RT @gone: A shameful, disgraceful attack", kind="repost", reposted_id="20")
    store.ingest(page(empty, worded))
    run_tone(archive.engine)
    ids = _ids(archive)
    tones = post_tones(archive.engine)
    assert tones[ids[empty.platform_id]].abstain_reason == "original_not_archived"
    assert tones[ids[empty.platform_id]].score is None
    assert tones[ids["21"]].scored_as == "own" and tones[ids["21"]].label == "negative"


def test_coverage_counts_every_post_and_each_reason(archive: Archive) -> None:
    store = archive.store(fetch_media=False)
    store.ingest(page(_post("1", "A wonderful day"), _post("2", "Un acuerdo vergonzoso", lang="es"),
                      _post("3", "The meeting is on Tuesday"), _post("4", "🙏🙏", lang="zxx"),
                      _post("5", "Le ministre a salué la décision", lang=None)))
    assert coverage(archive.engine).reasons == {"not_analyzed": 5}
    run_tone(archive.engine)
    cover = coverage(archive.engine)
    assert (cover.total, cover.scored) == (5, 2)
    assert cover.reasons == {"low_confidence:es": 1, "unsupported_language:fr": 1, "no_signal": 1}
    assert cover.share == pytest.approx(0.4)
    assert "2 of 5 posts scored (40.0%)" in cover.summary()
    # An abstention is NULL in the table, never 0.0.
    with archive.engine.connect() as conn:
        scores = list(conn.execute(select(T_TONE.c.score).where(T_TONE.c.abstain_reason.is_not(None))))
    assert scores and all(s is None for (s,) in scores)


def test_force_rescores_this_version_only(archive: Archive) -> None:
    archive.store(fetch_media=False).ingest(page(_post("1", "A wonderful day")))
    run_tone(archive.engine)
    assert run_tone(archive.engine, force=True).analysed == 1
    with archive.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(T_TONE)).scalar_one() == 1


def test_migration_0004_creates_and_drops_the_tone_table(archive: Archive) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from archiver.db import alembic_config

    assert "tone" in inspect(archive.engine).get_table_names()
    cfg = alembic_config(archive.engine.url.render_as_string(hide_password=False))
    with archive.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0003")
    assert "tone" not in inspect(archive.engine).get_table_names()
    upgrade(archive.engine)
    assert "tone" in inspect(archive.engine).get_table_names()
