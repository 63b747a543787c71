"""A non-editable install must carry templates, sandbox data, migrations and the example config."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_data_files(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("statement_archiver-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "archiver/sandbox/data/headline.png",
        "archiver/migrations/env.py",
        "archiver/migrations/script.py.mako",
        "archiver/migrations/versions/0001_core_schema.py",
        "archiver/example-config.toml",
        "templates/__init__.py",
        "analysis/data/tone_curves.json",
        "analysis/data/tone_names.txt",
    }
    assert expected <= names, expected - names
    assert any(n.startswith("templates/") and n.endswith(".html") for n in names)
    assert not any(n.startswith("tests/") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "archiver = archiver.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
