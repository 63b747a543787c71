"""Writing to the archive: one page of captured data per transaction, idempotently.

``writer`` holds the ``Store`` (runs, coverage, pages), ``accounts``, ``posts``, ``statuses`` and
``media`` write their parts of a page, and ``retry`` decides when a lost race is run again.
"""

from archiver.store.results import PageResult
from archiver.store.sql import insert_ignoring_conflicts, json_text
from archiver.store.writer import Store

__all__ = ["Store", "PageResult", "json_text", "insert_ignoring_conflicts"]
