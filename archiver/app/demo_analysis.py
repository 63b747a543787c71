"""The analysis part of ``archiver demo``: run every analysis step, then show what it found.

Kept apart from ``archiver.app.demo`` so the demo works when analysis is not installed. Each analyzer's
lines are printed after ``run_analysis``; the cascade lines name the scenario's largest cascades and
the amplification between its officials. Another analyzer adds its own lines below.
"""

from __future__ import annotations

from collections.abc import Callable

from analysis.analyze import run_analysis
from analysis.cascade_summary import describe
from analysis.results import StepSummary
from archiver.archive import Archive


def analyse_for_demo(handle: Archive, say: Callable[[str], None]) -> dict[str, StepSummary]:
    summaries = run_analysis(handle.engine)
    for name, summary in summaries.items():
        say("analyze: " + summary.line())
        if name == "cascades":
            for line in describe(handle.engine):
                say(line)
        elif name == "tone":
            from analysis.tone_show import key_statement_lines

            for line in key_statement_lines(handle.engine):
                say(line)
    return summaries
