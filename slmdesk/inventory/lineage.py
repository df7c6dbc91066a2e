"""Lineage in the inventory (table ``lineage``, migration 0010): which artifact a quantization,
conversion or ONNX build was made from, with its parameters and tool versions.

A row goes with its derived artifact (``ON DELETE CASCADE``) and outlives its source (the source
id becomes None; ``parameters["source_path"]`` still says what it was).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select

from slmdesk.core.errors import UserError
from slmdesk.inventory.orm import Artifact
from slmdesk.inventory.orm import Lineage as LineageRow
from slmdesk.inventory.records import _frozen_mapping
from slmdesk.inventory.repository import Inventory

LineageKind = Literal["quantize", "convert", "onnx-build"]
"""How a derived artifact was made."""

LINEAGE_KINDS: tuple[str, ...] = ("quantize", "convert", "onnx-build")


@dataclass(frozen=True)
class LineageRecord:
    """One derivation: ``artifact_id`` was made from ``source_artifact_id``.

    Attributes:
        id: the row id (never reused).
        artifact_id: the derived artifact.
        source_artifact_id: the artifact it was made from; None once that was removed.
        kind: "quantize", "convert" or "onnx-build".
        parameters: what was done, read-only. For "quantize": ``type``, ``ftype``,
            ``source_path``, ``source_type``, ``imatrix`` {path, sha256} or None,
            ``calibration_sha256``, ``allow_requantize``, ``predicted_bytes``, ``size_bytes``,
            ``tools`` {llama_cpp_python, llama_cpp}.
        seconds: how long it took (wall clock), when known.
        created_at: when it was recorded (UTC).
    """

    id: int
    artifact_id: int
    source_artifact_id: int | None
    kind: LineageKind
    parameters: Mapping[str, Any] = field(default_factory=dict)
    seconds: float | None = None
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", _frozen_mapping(self.parameters))


def _record(row: LineageRow) -> LineageRecord:
    return LineageRecord(row.id, row.artifact_id, row.source_artifact_id, row.kind,  # type: ignore[arg-type]
                         dict(row.parameters or {}), row.seconds, row.created_at)


def add_lineage(
    inventory: Inventory,
    artifact_id: int,
    source_artifact_id: int | None,
    kind: LineageKind,
    parameters: Mapping[str, Any],
    seconds: float | None = None,
) -> LineageRecord:
    """Record that ``artifact_id`` was made from ``source_artifact_id`` (None: a source that is
    not in the inventory) and return the new row. ``parameters`` must be JSON-serialisable.

    Raises:
        UserError: an artifact is not in the inventory, an unknown ``kind``, or the artifact
            is its own source.
    """
    if kind not in LINEAGE_KINDS:
        raise UserError(f"Unknown lineage kind {kind!r} (one of {', '.join(LINEAGE_KINDS)}).")
    if source_artifact_id == artifact_id:
        raise UserError(f"Artifact {artifact_id} cannot be made from itself.")
    with inventory.write_session() as session:
        for needed in (artifact_id, source_artifact_id):
            if needed is not None and session.get(Artifact, needed) is None:
                raise UserError(f"There is no artifact {needed} in the inventory.")
        row = LineageRow(artifact_id=artifact_id, source_artifact_id=source_artifact_id, kind=kind,
                         parameters=dict(parameters), seconds=seconds)
        session.add(row)
        session.flush()
        return _record(row)


def lineage_of(inventory: Inventory, artifact_id: int) -> list[LineageRecord]:
    """How ``artifact_id`` was made (usually one row; none for a downloaded or adopted file),
    oldest first."""
    with inventory.session() as session:
        rows = session.scalars(
            select(LineageRow).where(LineageRow.artifact_id == artifact_id).order_by(LineageRow.id)
        )
        return [_record(row) for row in rows]


def derived_from(inventory: Inventory, artifact_id: int) -> list[LineageRecord]:
    """Everything made from ``artifact_id`` (its quantizations, conversions, builds), oldest first."""
    with inventory.session() as session:
        rows = session.scalars(
            select(LineageRow).where(LineageRow.source_artifact_id == artifact_id).order_by(LineageRow.id)
        )
        return [_record(row) for row in rows]
