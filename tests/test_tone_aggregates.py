"""Weekly per-account tone and per-cascade originals-against-responses, over a hand-made archive."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from analysis.tone_aggregates import cascade_tones, week_start, weekly_by_account
from analysis.tone_store import post_tones, run_tone
from archiver.archive import Archive
from archiver.collectors.records import PostRecord
from archiver.tables import T_POST
from tests.factories import T0, account, page, post

# T0 is Sunday 2025-03-16 08:00 UTC: its ISO week starts Monday 2025-03-10.
PRESIDENT, MINISTER, CRITIC = account(1, "president"), account(2, "minister"), account(3, "critic")


def _post(pid: str, text: str, author: object, days: float = 0, lang: str | None = "en",
          **kw: object) -> PostRecord:
    record = post(pid=pid, text=text, author=author, **kw)  # type: ignore[arg-type]
    record.created_at = T0 + timedelta(days=days)
    record.lang = lang
    return record


def _ids(archive: Archive) -> dict[str, int]:
    with archive.engine.connect() as conn:
        return {pid: int(i) for pid, i in conn.execute(select(T_POST.c.platform_id, T_POST.c.id))}


def test_week_start_is_the_utc_monday() -> None:
    assert week_start(T0) == date(2025, 3, 10)
    assert week_start(T0 + timedelta(hours=16)) == date(2025, 3, 17)  # Monday 00:00 UTC


def test_weekly_mean_spread_and_coverage_per_account(archive: Archive) -> None:
    archive.store(fetch_media=False).ingest(page(
        _post("1", "A wonderful, historic day", PRESIDENT),
        _post("2", "A terrible, shameful ruling", PRESIDENT, days=-1),
        _post("3", "Un acuerdo vergonzoso", PRESIDENT, days=-2, lang="es"),
        _post("4", "Great news for our farmers", PRESIDENT, days=1),  # the next week
        _post("5", "We are happy with the talks", MINISTER),
        _post("6", "RT @president: A wonderful, historic day", MINISTER, kind="repost", reposted_id="1"),
    ))
    run_tone(archive.engine)
    ids = _ids(archive)
    tones = post_tones(archive.engine)
    rows = {(r.handle, r.week_start): r for r in weekly_by_account(archive.engine)}
    assert set(rows) == {("president", date(2025, 3, 10)), ("president", date(2025, 3, 17)),
                         ("minister", date(2025, 3, 10))}
    week = rows[("president", date(2025, 3, 10))]
    scores = [s for s in (tones[ids["1"]].score, tones[ids["2"]].score) if s is not None]
    assert len(scores) == 2
    assert week.mean == pytest.approx(statistics.fmean(scores))
    assert week.stdev == pytest.approx(statistics.stdev(scores))
    assert (week.coverage.total, week.coverage.scored) == (3, 2)
    assert week.coverage.reasons == {"low_confidence:es": 1}
    single = rows[("president", date(2025, 3, 17))]
    assert single.stdev is None and single.coverage.total == 1
    # Reposts are the original author's words: left out unless asked for.
    assert rows[("minister", date(2025, 3, 10))].coverage.total == 1
    with_reposts = {(r.handle, r.week_start): r for r in weekly_by_account(archive.engine, include_reposts=True)}
    assert with_reposts[("minister", date(2025, 3, 10))].coverage.total == 2
    assert week.as_dict()["week_start"] == "2025-03-10"


def test_cascade_compares_an_original_with_its_quotes_and_replies(archive: Archive) -> None:
    archive.store(fetch_media=False).ingest(page(
        _post("1", "A wonderful, historic agreement", PRESIDENT),
        _post("2", "A shameful, disgraceful agreement", CRITIC, days=0.1, kind="quote", quoted_id="1"),
        _post("3", "This is terrible for our workers", CRITIC, days=0.2, kind="reply", replied_to_id="1"),
        _post("4", "Great work, we are proud", MINISTER, days=0.3, kind="reply", replied_to_id="1"),
        _post("5", "Un acuerdo vergonzoso", CRITIC, days=0.4, kind="reply", replied_to_id="1", lang="es"),
        # The author continuing the thread and a plain repost are not responses.
        _post("6", "Terrible weather today, sadly", PRESIDENT, days=0.5, kind="reply", replied_to_id="1"),
        _post("7", "", MINISTER, days=0.6, kind="repost", reposted_id="1"),
        _post("8", "Nothing references this calm note", PRESIDENT, days=1),
    ))
    run_tone(archive.engine)
    ids = _ids(archive)
    tones = post_tones(archive.engine)
    cascades = cascade_tones(archive.engine)
    assert [c.root_post_id for c in cascades] == [ids["1"]]
    cascade = cascades[0]
    responses = [tones[ids[p]].score for p in ("2", "3", "4")]
    assert cascade.responses.total == 4 and cascade.responses.scored == 3
    assert cascade.responses.reasons == {"low_confidence:es": 1}
    assert cascade.responses_mean == pytest.approx(statistics.fmean(responses))  # type: ignore[arg-type]
    assert cascade.quotes_mean == pytest.approx(tones[ids["2"]].score)
    assert cascade.replies_mean == pytest.approx(statistics.fmean(responses[1:]))  # type: ignore[arg-type]
    assert cascade.root.label == "positive"
    assert cascade.shift == pytest.approx(cascade.responses_mean - cascade.root.score)  # type: ignore[operator]
    assert cascade.shift is not None and cascade.shift < 0
    assert cascade_tones(archive.engine, [ids["8"]]) == []


def test_key_statement_lines_show_tone_and_abstentions(archive: Archive) -> None:
    from analysis.tone_show import key_statement_lines

    archive.store(fetch_media=False).ingest(page(
        _post("1", "Oopsie... Too late 😂", PRESIDENT),
        _post("2", "Un acuerdo vergonzoso", PRESIDENT, lang="es"),
        _post("3", "", MINISTER, kind="repost", reposted_id="1"),
        _post("4", "A disgraceful joke", CRITIC, kind="quote", quoted_id="1"),
        _post("5", "Gracias al secretario Rubio por su amistad. ¡Un gran día para El Salvador!", PRESIDENT,
              lang="es"),
    ))
    assert "tone: 0 of 5 posts scored (0.0%); not scored: not_analyzed 5" in key_statement_lines(archive.engine)[-2]
    run_tone(archive.engine)
    lines = key_statement_lines(archive.engine, limit=2)
    assert lines[1].startswith("  @president (2 responses/reposts): neutral")
    assert "POSSIBLE IRONY" in lines[1] and lines[2] == '      "Oopsie... Too late 😂"'
    assert lines[3] == ("  @president (0 responses/reposts): no score: low_confidence:es "
                        "(es by platform, confidence 0.41, bar 1.1)")
    # Coverage counts every post: the repost reads its original, the quote has its own words;
    # then one example of each abstention reason.
    # The tracked accounts' Spanish statements, most confident first: scored at or above the bar,
    # abstaining below it, each with its confidence.
    assert lines[5:] == [
        "  Spanish statements of tracked accounts: 1 of 2 scored (confidence >= 1.1), the rest abstain:",
        "    @president: positive +0.76 (evomsa-ha_es, es by platform, confidence 1.53, bar 1.1)",
        '        "Gracias al secretario Rubio por su amistad. ¡Un gran día para El Salv…"',
        "    @president: no score: low_confidence:es (es by platform, confidence 0.41, bar 1.1)",
        '        "Un acuerdo vergonzoso"',
        "  tone: 4 of 5 posts scored (80.0%); not scored: low_confidence:es 1",
        '  e.g. low_confidence:es: @president "Un acuerdo vergonzoso"']
