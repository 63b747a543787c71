"""An archive made by the first released schema (revision 0001) upgrades in place with
``archiver init``: every row survives unchanged and ``archiver verify`` passes afterwards.

SQLite: a copy of the committed fixture ``tests/fixtures/archive_v0001.db`` (real collected data,
made by ``tests/fixtures/make_archive_v0001.py``). PostgreSQL: the same collection, made at
revision 0001 in the test, since a PostgreSQL database cannot be kept as a file.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from archiver.archive import Archive, open_archive
from archiver.db import current_revision, head_revision
from tests.factories import T0, page, post
from tests.fixtures.make_archive_v0001 import build
from tests.fixtures_gen.run import run_cli

FIXTURE = Path(__file__).parent / "fixtures" / "archive_v0001.db"
# what 0001 stored, table by table, in a form that must not change across upgrades
SURVEY = {
    "post": "SELECT platform, platform_id, status, version_count, current_content_sha256 FROM post ORDER BY id",
    "snapshot": "SELECT id, post_id, version, raw_sha256, content_sha256, platform_cid FROM snapshot ORDER BY id",
    "capture": "SELECT id, url, body_sha256, body_size FROM capture ORDER BY id",
    "sighting": "SELECT id, post_id, snapshot_id, status, like_count FROM sighting ORDER BY id",
    "account_handle": "SELECT account_id, handle FROM account_handle ORDER BY id",
    "post_status_event": "SELECT post_id, status, reason FROM post_status_event ORDER BY id",
    "run": "SELECT id, kind, status FROM run ORDER BY id",
}


def _survey(archive: Archive) -> dict[str, list[Any]]:
    with archive.engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in SURVEY.items()}


@pytest.fixture
def old_archive(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Archive:
    directory = tmp_path / "archive"
    if db_backend == "sqlite":
        directory.mkdir()
        shutil.copyfile(FIXTURE, directory / "archive.db")
        return _unchecked(directory, None)
    return build(directory, request.getfixturevalue("pg_database"))


def _unchecked(directory: Path, db_url: str | None) -> Archive:
    from archiver.db import locate, make_engine

    location = locate(directory, db_url)
    return Archive(location=location, engine=make_engine(location))


def test_fixture_is_at_the_first_schema_with_real_data(tmp_path: Path) -> None:
    shutil.copyfile(FIXTURE, tmp_path / "archive.db")  # opening sets WAL mode: never touch the original
    archive = _unchecked(tmp_path, None)
    try:
        assert current_revision(archive.engine) == "0001"
        survey = _survey(archive)
        assert len(survey["post"]) > 100 and len(survey["snapshot"]) > len(survey["post"])
        assert {row[2] for row in survey["post"]} == {"live", "deleted"}
    finally:
        archive.close()


def test_init_upgrades_in_place_and_everything_survives(
    old_archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _survey(old_archive)
    assert current_revision(old_archive.engine) == "0001"
    code, _out, err = run_cli(capsys, old_archive, "status")
    assert code == 2 and "archiver init" in err  # an old archive is never upgraded behind one's back

    code, out, err = run_cli(capsys, old_archive, "init")
    assert code == 0, err
    assert current_revision(old_archive.engine) == head_revision() and f"schema {head_revision()}" in out
    assert _survey(old_archive) == before

    code, out, err = run_cli(capsys, old_archive, "verify")
    assert code == 0 and "verify OK" in out, out + err

    # and the upgraded archive takes new data and runs the later capabilities
    upgraded = open_archive(old_archive.location.directory, None if old_archive.location.is_sqlite
                            else old_archive.location.db_url)
    try:
        result = upgraded.store(fetch_media=False).ingest(page(post("42", "after the upgrade"), at=T0))
        assert result.new_posts == 1
    finally:
        upgraded.close()
    code, _out, err = run_cli(capsys, old_archive, "analyze")
    assert code == 0, err
    old_archive.close()
