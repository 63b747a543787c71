"""What each analysis step reports: frozen records, printed by their own ``line`` and serialised by
``as_dict`` (the ``analyze --json`` output and the operations log), so no caller reads keys by name."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from analysis.tone_store import ToneCoverage


class StepSummary(Protocol):
    """What every step returns (see ``analysis.analyze.STEPS``)."""

    def as_dict(self) -> dict[str, Any]: ...

    def line(self) -> str: ...


@dataclass(frozen=True, slots=True)
class CascadeSummary:
    """One run of the reshare-chain step: what it measured, rewrote and could not place."""

    posts: int
    cascades: int
    recomputed: int
    unchanged: int
    removed: int
    edges: dict[str, int]  # edges by provenance: exact, inferred, root_default
    missing_parents: int
    unplaced: int
    cycles_cut: int
    amplification_rows: int
    follows_accounts: int
    seconds: float
    analysis_run_id: int
    version: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def run_counts(self) -> dict[str, Any]:
        """The counts stored in the step's ``analysis_run`` row (no id or version: the row has both)."""
        counts = self.as_dict()
        del counts["analysis_run_id"], counts["version"]
        return counts

    def line(self) -> str:
        edges = self.edges
        return (
            f"cascades: {self.cascades} ({self.recomputed} recomputed, {self.unchanged} unchanged, "
            f"{self.removed} removed); edges: {edges.get('exact', 0)} exact, {edges.get('inferred', 0)} "
            f"inferred, {edges.get('root_default', 0)} root_default; {self.missing_parents} missing parents, "
            f"{self.unplaced} unplaced reshares; {self.amplification_rows} amplification rows "
            f"(analyzer v{self.version}, analysis run {self.analysis_run_id}, {self.seconds} s)"
        )


@dataclass(frozen=True, slots=True)
class ToneStepSummary:
    """One run of the tone step: contents scored now, done before, and the archive's coverage after."""

    analysed: int
    already: int
    abstained: dict[str, int]
    seconds: float
    analysis_run_id: int
    version: str
    coverage: ToneCoverage

    def as_dict(self) -> dict[str, Any]:
        return {"analysed": self.analysed, "already": self.already, "abstained": dict(self.abstained),
                "seconds": self.seconds, "analysis_run_id": self.analysis_run_id, "version": self.version,
                "coverage": self.coverage.as_dict()}

    def line(self) -> str:
        cover = self.coverage
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(cover.reasons.items(), key=lambda kv: (-kv[1], kv[0])))
        return (f"tone: {self.analysed} contents scored or abstained, {self.already} already done; "
                f"{cover.scored} of {cover.total} posts scored ({100 * round(cover.share, 4):.1f}%)"
                + (f"; not scored: {reasons}" if reasons else "")
                + f" (analyzer {self.version}, analysis run {self.analysis_run_id}, {self.seconds} s)")
