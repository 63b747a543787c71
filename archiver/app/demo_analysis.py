"""The analysis part of ``archiver demo``: run every analysis step, then show what it found.

Kept apart from ``archiver.app.demo`` so the demo works when analysis is not installed. Each analyzer's
lines are printed after ``run_analysis``; the cascade lines name the scenario's largest cascades and
the amplification between its officials. Another analyzer adds its own lines below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from analysis.analyze import run_analysis
from analysis.cascade_summary import cascade_line, describe
from archiver.archive import Archive


def analyse_for_demo(handle: Archive, say: Callable[[str], None]) -> dict[str, Any]:
    summaries = run_analysis(handle.engine)
    for name, summary in summaries.items():
        if name == "cascades":
            say("analyze: " + cascade_line(summary))
            for line in describe(handle.engine):
                say(line)
        elif name == "tone":
            from analysis.tone_show import key_statement_lines, step_line

            say("analyze: " + step_line(summary))
            for line in key_statement_lines(handle.engine):
                say(line)
        else:
            say(f"analyze {name}: {summary}")
    return summaries
