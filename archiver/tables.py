"""Every table handle of the archive, in one place and one idiom.

SQLModel classes declare the schema (``archiver/models.py`` and the few capability modules that
``archiver.schema`` lists); code that reads or writes in bulk needs their Core ``Table`` objects.
They are looked up here by table name in the one ``MetaData`` that every model registers in, so
callers import ``T_POST`` from this module instead of reaching into the writer or a model class.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import SQLModel

import archiver.schema  # noqa: F401  - registers every table module's models


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


T_RUN = _table("run")
T_CAPTURE = _table("capture")
T_ACCOUNT = _table("account")
T_HANDLE = _table("account_handle")
T_POST = _table("post")
T_SNAPSHOT = _table("snapshot")
T_SIGHTING = _table("sighting")
T_STATUS_EVENT = _table("post_status_event")
T_MEDIA = _table("media")
T_SNAPSHOT_MEDIA = _table("snapshot_media")
T_MEDIA_FAILURE = _table("media_failure")
T_COVERAGE = _table("source_coverage")
T_FOLLOW = _table("follow")
T_VERIFICATION = _table("verification")
T_META = _table("archive_meta")
T_RUN_LOCK = _table("run_lock")
T_IMPORT = _table("import_file")
T_ANALYSIS_RUN = _table("analysis_run")
T_EDGE = _table("reshare_edge")
T_CASCADE = _table("cascade")
T_AMPLIFICATION = _table("amplification")
T_TONE = _table("tone")
