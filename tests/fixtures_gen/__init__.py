"""Generators for realistic import fixtures (twarc2 JSONL, X archive, Bluesky CAR). Tests build
their files from these at run time, so no binary fixture is checked in."""
