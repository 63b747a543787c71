"""Terminal rendering of status and post histories (rich; plain text when piped)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text as _RichText

from archiver.terminal import clean


def Text(text: str, style: str = "") -> _RichText:  # noqa: N802 (stands in for rich's Text)
    """rich ``Text`` of untrusted text, with terminal controls made visible (archiver.terminal)."""
    return _RichText(clean(text), style=style)


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def print_status(summary: dict[str, Any]) -> None:
    console = _console()
    if summary.get("sample_data"):
        console.print("[bold yellow]Illustrative sample archive (from the sandbox): not captured from X or "
                      "Bluesky.[/]")
    table = Table(title="archive", show_header=False)
    for key in ("accounts", "tracked_accounts", "posts", "snapshots", "sightings", "edited_posts", "deleted_posts",
                "unavailable_posts", "handle_renames", "media_files", "cids_verified", "cids_failed"):
        table.add_row(key.replace("_", " "), Text(str(summary[key])))
    console.print(table)
    run = summary.get("last_run")
    if run:
        console.print(Text(f"last run {run['id']} ({run['kind']}): {run['status']}, started {run['started_at']}, "
                           f"ended {run['ended_at']}"))
        for source in summary.get("last_run_sources", []):
            mark = "complete" if source["complete"] else "INCOMPLETE"
            problem = f" - {source['problem']}" if source["problem"] else ""
            console.print(Text(f"  {source['source']}: {mark}, {source['pages']} pages, {source['posts']} posts"
                               f"{problem}"))
    else:
        console.print("no run yet")
    check = summary.get("last_verify")
    if check:
        verdict = "OK" if check["ok"] else f"FAILED ({check['mismatches']} mismatches)"
        console.print(f"last verify {check['at']}: {verdict}")
    else:
        console.print("never verified: run `archiver verify`")
    gaps = summary.get("coverage_gaps")
    if gaps:
        console.print("coverage gaps:")
        for gap in gaps if isinstance(gaps, list) else [gaps]:
            console.print(Text(f"  {gap}"))


def print_history(history: dict[str, Any]) -> None:
    console = _console()
    post = history["post"]
    account = history["account"]
    console.print(Text(f"{post['platform']} {post['platform_id']}  by @{account['handle']} "
                       f"({account['platform_id']})"))
    console.print(Text(f"{post['url']}\nkind {post['kind']}, created {post['created_at']}, status {post['status']}"))
    for version in history["versions"]:
        console.print(Text(f"\nversion {version['version']}  captured {version['captured_at']}  "
                           f"capture #{version['capture_id']}", style="bold"))
        console.print(Text(f"  raw_sha256      {version['raw_sha256']}\n"
                           f"  content_sha256  {version['content_sha256']}\n"
                           f"  content_id      {version['content_id']}"))
        if version["platform_cid"]:
            ok = {True: "verified", False: "MISMATCH", None: "not checked"}[version["cid_verified"]]
            console.print(Text(f"  platform_cid    {version['platform_cid']} ({ok})"))
        console.print(Text(f"  text: {version['text']}"))
    for event in history["status_events"]:
        console.print(Text(f"\nstatus {event['previous_status']} -> {event['status']} at {event['observed_at']}: "
                           f"{event['reason']} (capture #{event['capture_id']})"))
    s = history["sightings"]
    console.print(Text(f"\nseen {s['count']} times, first {s['first']}, last {s['last']}"))
