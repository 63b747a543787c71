"""Imports every module that defines tables, so ``SQLModel.metadata`` is complete.

Alembic's env, ``archiver.tables`` and the schema test import this; a new table module must be
listed here.
"""

from __future__ import annotations

import analysis.cascade_models  # noqa: F401
import analysis.tone_models  # noqa: F401
import archiver.importers.models  # noqa: F401
import archiver.models  # noqa: F401
import archiver.ops_models  # noqa: F401
import archiver.resume_models  # noqa: F401
