"""Honest interruption: a run that did not finish says so.

Why: Ctrl-C during ``collect`` used to leave its run ``running`` forever, and ``status`` then
reported no coverage gap, a false assurance. Three pieces close that hole:

- ``Terminated``: SIGTERM raises it (as SIGINT raises ``KeyboardInterrupt``), so the same
  ``finally`` and ``except BaseException`` blocks run for both, and the CLI exits 143 (130 for
  SIGINT) with one line.
- ``mark_interrupted``: the run becomes ``interrupted`` and its unfinished sources incomplete with
  reason ``interrupted``; coverage reports them as gaps.
- ``close_stale_runs``: a run still ``running`` whose process is gone (SIGKILL, power loss) is
  marked the same way by the next writing command on the same host, whichever it is.
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from archiver.db import writer
from archiver.timeutil import to_db, utcnow

EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class Terminated(BaseException):
    """SIGTERM arrived (systemd stop, ``kill``): unwinds like ``KeyboardInterrupt``."""


def exit_code(exc: BaseException) -> int:
    return EXIT_SIGTERM if isinstance(exc, Terminated) else EXIT_SIGINT


def is_interruption(exc: BaseException) -> bool:
    return isinstance(exc, (KeyboardInterrupt, Terminated))


_received: list[int] = []  # signals seen while ``sigterm_raises`` was active


def _raise_terminated(signum: int, _frame: Any) -> None:
    _received.append(signum)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated("terminated (SIGTERM)")


def interrupted() -> bool:
    return bool(_received)


def raise_if_interrupted() -> None:
    """Re-raise a signal that a library turned into an ordinary error on its way up (psycopg, for
    one, cancels the query and raises ``QueryCanceled`` for a Ctrl-C): code that catches
    ``Exception`` to go on with the next source calls this first."""
    if _received:
        raise Terminated("terminated (SIGTERM)") if _received[-1] == signal.SIGTERM else KeyboardInterrupt


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """While inside, SIGTERM raises ``Terminated`` and SIGINT ``KeyboardInterrupt`` in the main
    thread, and both are remembered for ``raise_if_interrupted`` (restored afterwards)."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    previous_int = signal.signal(signal.SIGINT, _raise_terminated)
    _received.clear()
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)


def mark_interrupted(engine: Engine, run_id: int, why: str) -> bool:
    """Close ``run_id`` as ``interrupted`` (only if still ``running``) and every source of it that
    did not finish as incomplete. Runs and coverage are bookkeeping: no evidence is touched."""
    from archiver.tables import T_COVERAGE, T_RUN

    now = to_db(utcnow())
    detail = f"interrupted: {why}"
    with writer(engine).begin() as conn:
        changed = conn.execute(
            update(T_RUN).where(T_RUN.c.id == run_id, T_RUN.c.status == "running")
            .values(status="interrupted", ended_at=now, errors=f'[{{"error": "{detail}"}}]')
        ).rowcount
        if changed:
            conn.execute(
                update(T_COVERAGE).where(T_COVERAGE.c.run_id == run_id, T_COVERAGE.c.ended_at.is_(None))
                .values(ended_at=now, complete=False, reason="interrupted", detail=detail)
            )
    return bool(changed)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def stale_runs(engine: Engine) -> list[tuple[int, int]]:
    """(run id, pid) of this host's runs still ``running`` whose process is gone: read-only, for
    ``status``, which must not call them covered before a writing command closes them."""
    from archiver.tables import T_RUN

    host = socket.gethostname()
    with engine.connect() as conn:
        rows = conn.execute(select(T_RUN.c.id, T_RUN.c.pid).where(
            T_RUN.c.status == "running", T_RUN.c.host == host, T_RUN.c.pid.is_not(None))).all()
    return [(int(r), int(p)) for r, p in rows if int(p) != os.getpid() and not pid_alive(int(p))]


def close_stale_runs(engine: Engine) -> list[int]:
    """Mark ``interrupted`` every run of this host still ``running`` whose process is gone.

    Only runs that recorded their pid and host are judged: a run of another machine, or one
    whose process is alive, may really be at work."""
    host = socket.gethostname()
    return [run_id for run_id, pid in stale_runs(engine)
            if mark_interrupted(engine, run_id, f"process {pid} on {host} ended before the run finished")]


__all__ = ["EXIT_SIGINT", "EXIT_SIGTERM", "Terminated", "close_stale_runs", "exit_code", "interrupted",
           "is_interruption",
           "mark_interrupted", "pid_alive", "raise_if_interrupted", "sigterm_raises", "stale_runs"]
