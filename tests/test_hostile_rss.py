"""Peak memory of hostile imports: each file of the generated corpus is refused (exit 2) by a real
``archiver`` process whose peak resident set, validator child included, stays under 500 MB.

Not a timed test: it measures memory, which does not depend on how loaded the machine is."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures_gen import hostile

LIMIT_KB = 500 * 1024
GiB = 1 << 30


def _dag_bomb(tmp: Path) -> list[str]:
    path = tmp / "bomb.car"
    path.write_bytes(hostile.dag_bomb_car(40))
    return ["bluesky-car", str(path)]


def _nested(tmp: Path) -> list[str]:
    path = tmp / "nested.car"
    path.write_bytes(hostile.nested_record_car(1_000_000))
    return ["bluesky-car", str(path)]


def _image_bomb(tmp: Path) -> list[str]:
    return ["x-archive", str(hostile.zeros_member_zip(tmp / "image.zip", hostile.MEDIA_NAME, GiB))]


def _tweets_bomb(tmp: Path) -> list[str]:
    return ["x-archive", str(hostile.zeros_member_zip(tmp / "tweets.zip", "data/tweets.js", GiB))]


def _long_line(tmp: Path) -> list[str]:
    path = tmp / "line.jsonl"
    with path.open("wb") as fh:
        fh.write(b'{"data": [{"id": "1", "text": "')
        for _ in range(100):
            fh.write(b"a" * (1 << 20))
        fh.write(b'"}]}\n')
    return ["twarc", str(path)]


def _gzip_bomb(tmp: Path) -> list[str]:
    path = tmp / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=6) as fh:
        for _ in range(1024):
            fh.write(b" " * (1 << 20))
    return ["twarc", str(path)]


CORPUS: dict[str, Callable[[Path], list[str]]] = {
    "dag-bombed MST": _dag_bomb, "1M-deep record": _nested, "1 GiB image member": _image_bomb,
    "1 GiB tweets.js member": _tweets_bomb, "100 MB twarc line": _long_line, "1 GiB gzip bomb": _gzip_bomb,
}


# Linux carries a process's peak RSS across exec, so a child forked from this (large) test process
# would report the test's own size. A small launcher forks the import instead and reports the peak
# of its waited-for descendants: the import and its validator child.
LAUNCHER = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_hostile_import_peak_rss_under_500_mb(case: str, tmp_path: Path) -> None:
    args = CORPUS[case](tmp_path)
    argv = [sys.executable, "-m", "archiver.cli", "import", *args, "--archive", str(tmp_path / "archive")]
    env = dict(os.environ, NLTK_DATA=str(tmp_path / "no-nltk"))
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *argv], capture_output=True, text=True, env=env)
    peak_kb, code = (int(v) for v in done.stdout.split())
    err = done.stderr
    print(f"{case}: peak RSS {peak_kb / 1024:.0f} MB, exit {code}")
    assert code == 2, err
    assert err.startswith("archiver: error: ") and "Traceback" not in err
    assert peak_kb < LIMIT_KB, f"{case}: {peak_kb / 1024:.0f} MB"
