"""Bounds on the work one imported file may cause, and the flags that adjust them.

Why: an importer is handed files from strangers. Without a bound, a 9 KB CAR whose tree reuses
one subtree twice per level makes the walk visit 2^40 leaves, a 1 MB zip inflates to 1 GiB and a
single 100 MB line costs a gigabyte of parsed objects. Each limit below turns such a file into a
clean refusal (exit 2, the file and the limit named, nothing written). The defaults are far
above any real export we know of (docs/security.md lists them) and keep one import's memory under
about 500 MB; a larger genuine file is imported by raising the limit on the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

import typer

MiB = 1 << 20


@dataclass(frozen=True, slots=True)
class Limits:
    """Every bound an importer (or the Bluesky backfill) enforces."""

    line_bytes: int = 16 * MiB  # one twarc line
    member_bytes: int = 64 * MiB  # one zip member or file in an unpacked archive (a .js part, an image)
    total_bytes: int = 8 * 1024 * MiB  # everything a file inflates to (gzip, zip members read)
    part_media_bytes: int = 256 * MiB  # images held at once for one tweets.js part
    car_bytes: int = 256 * MiB  # one CAR, which is read and proved whole
    block_bytes: int = 2 * MiB  # one CAR block (the atproto spec caps records at 1 MiB)
    mst_nodes: int = 1_000_000  # tree nodes visited in one repo
    depth: int = 64  # tree depth (a real MST of a million records is about 10 deep)
    records: int = 2_000_000  # records in one repo

    def refuse(self, what: str, limit: int, flag: str) -> str:
        """The user-facing end of a limit message: which bound, and how to raise it."""
        return f"{what} exceeds the limit of {limit:,} ({flag} to raise it)"


DEFAULT = Limits()


def _opt(flag: str, text: str) -> object:
    return typer.Option(flag, help=text, min=1, show_default=True)


MaxLineOpt = Annotated[int, _opt("--max-line-bytes", "Largest twarc line, in bytes.")]
MaxMemberOpt = Annotated[int, _opt("--max-member-bytes", "Largest zip member or archive file, in bytes.")]
MaxPartMediaOpt = Annotated[int, _opt("--max-part-media-bytes", "Most image bytes held for one tweets.js part.")]
MaxTotalOpt = Annotated[int, _opt("--max-total-bytes", "Most bytes a file may inflate to, in bytes.")]
MaxCarOpt = Annotated[int, _opt("--max-car-bytes", "Largest CAR file, in bytes.")]
MaxBlockOpt = Annotated[int, _opt("--max-block-bytes", "Largest CAR block, in bytes.")]
MaxNodesOpt = Annotated[int, _opt("--max-mst-nodes", "Most tree nodes visited in one repo.")]
MaxDepthOpt = Annotated[int, _opt("--max-depth", "Deepest tree in one repo.")]
MaxRecordsOpt = Annotated[int, _opt("--max-records", "Most records in one repo.")]


LIMIT_OPTIONS: dict[str, object] = {
    "line_bytes": MaxLineOpt, "member_bytes": MaxMemberOpt, "part_media_bytes": MaxPartMediaOpt,
    "total_bytes": MaxTotalOpt, "car_bytes": MaxCarOpt, "block_bytes": MaxBlockOpt, "mst_nodes": MaxNodesOpt,
    "depth": MaxDepthOpt, "records": MaxRecordsOpt,
}


def limits(**changes: int) -> Limits:
    """``DEFAULT`` with the given fields changed (the CLI passes its flags' values)."""
    return replace(DEFAULT, **changes)


__all__ = ["DEFAULT", "LIMIT_OPTIONS", "Limits", "MiB", "limits"]
