"""What else the inventory holds about one artifact: what goes with it when it is removed, and
what is kept (the confirmation the Library shows before Remove and Delete)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from slmdesk.inventory.orm import BenchmarkRun, Conversation, FitEstimate, LoadPlan, Measurement
from slmdesk.inventory.repository import Inventory


@dataclass(frozen=True)
class ArtifactDependents:
    """Counts of the rows that refer to one artifact.

    Forgotten with it (``ON DELETE CASCADE``, one transaction): ``load_plan`` (0 or 1),
    ``estimates``, ``measurements``. Kept (``ON DELETE SET NULL``): ``benchmark_runs`` (each
    keeps the model's name and SHA-256) and ``conversations`` (their messages stay).
    """

    load_plan: int = 0
    estimates: int = 0
    measurements: int = 0
    benchmark_runs: int = 0
    conversations: int = 0

    def describe(self) -> str:
        """Two sentences for a confirmation dialog: what is forgotten and what is kept."""
        forgotten = [text for count, text in (
            (self.load_plan, "its load settings"),
            (self.estimates, f"{self.estimates} fit estimate(s)"),
            (self.measurements, f"{self.measurements} memory measurement(s)"),
        ) if count]
        kept = [text for count, text in (
            (self.benchmark_runs, f"{self.benchmark_runs} benchmark run(s), with the model's name and SHA-256"),
            (self.conversations, f"{self.conversations} conversation(s)"),
        ) if count]
        lines = [f"Forgotten with it: {', '.join(forgotten)}." if forgotten else "Nothing else is forgotten with it."]
        if kept:
            lines.append(f"Kept: {', '.join(kept)}.")
        return " ".join(lines)


def artifact_dependents(inventory: Inventory, artifact_id: int) -> ArtifactDependents:
    """Count what refers to ``artifact_id`` (zeros for an unknown id)."""

    with inventory.session() as session:

        def count(column: InstrumentedAttribute[int] | InstrumentedAttribute[int | None]) -> int:
            return int(session.scalar(select(func.count()).where(column == artifact_id)) or 0)

        return ArtifactDependents(
            load_plan=count(LoadPlan.artifact_id),
            estimates=count(FitEstimate.artifact_id),
            measurements=count(Measurement.artifact_id),
            benchmark_runs=count(BenchmarkRun.artifact_id),
            conversations=count(Conversation.artifact_id),
        )
