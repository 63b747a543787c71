"""Imports every module that defines tables, so ``SQLModel.metadata`` is complete.

Alembic's env and the schema test import this; a new table module must be listed here.
"""

from __future__ import annotations

import importlib

import archiver.models  # noqa: F401

# Optional table modules owned by later capabilities; each is listed once it exists.
_TABLE_MODULES = (
    "archiver.importers.models",
    "analysis.cascade_models",
    "analysis.tone_models",
    "archiver.ops_models",
    "archiver.resume_models",
)

for _name in _TABLE_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # pragma: no cover - only while a capability is absent
        if exc.name != _name:
            raise
