"""Benchmark runs in the inventory database (table ``benchmark_run``, migration 0004).

Functions take the :class:`~slmdesk.inventory.repository.Inventory` and return frozen
records. A run keeps its results when its artifact is removed (``artifact_id`` becomes None),
so the history of a deleted model is still there. The JSON columns are opaque here:
``slmdesk.bench.results`` defines what they hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select

from slmdesk.core.errors import UserError
from slmdesk.inventory.orm import Artifact, BenchmarkRun, utcnow
from slmdesk.inventory.repository import Inventory

SERVING_BACKEND = "serving"
"""The ``backend`` of a serving-benchmark run (``slmdesk.bench.serving``): requests to an
OpenAI-compatible endpoint, not a model measured in an engine here. :func:`list_runs` keeps
these apart from local runs."""


@dataclass(frozen=True)
class BenchmarkRunRecord:
    """One stored benchmark run.

    Attributes:
        id: database id.
        artifact_id: the artifact measured; None when it was not in the inventory or has been
            removed since.
        settings: what was asked for and really used (sizes, threads, batch, context...).
        hardware: the hardware profile it ran on (``HardwareProfile.to_dict()``).
        backend, backend_version: "llama.cpp" / "onnxruntime-genai" and the package version.
        sha256: SHA-256 of the model file(s), when known.
        quantization: "Q4_1", "int4"..., when known.
        results: the measurements (tokens/s statistics, TTFT, load time, memory, energy...).
        created_at: UTC time of the run.
    """

    id: int
    artifact_id: int | None
    settings: Mapping[str, Any] = field(compare=False)
    hardware: Mapping[str, Any] = field(compare=False)
    backend: str = ""
    backend_version: str | None = None
    sha256: str | None = None
    quantization: str | None = None
    results: Mapping[str, Any] = field(default_factory=dict, compare=False)
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("settings", "hardware", "results"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name) or {})))


def _record(row: BenchmarkRun) -> BenchmarkRunRecord:
    return BenchmarkRunRecord(
        id=row.id,
        artifact_id=row.artifact_id,
        settings=row.settings or {},
        hardware=row.hardware or {},
        backend=row.backend,
        backend_version=row.backend_version,
        sha256=row.sha256,
        quantization=row.quantization,
        results=row.results or {},
        created_at=row.created_at,
    )


def _plain(value: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy with MappingProxyType and tuples turned into JSON-storable dicts and lists."""
    def convert(item: Any) -> Any:
        if isinstance(item, Mapping):
            return {str(k): convert(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [convert(v) for v in item]
        return item

    plain: dict[str, Any] = convert(value)
    return plain


def save_run(
    inventory: Inventory,
    *,
    artifact_id: int | None,
    settings: Mapping[str, Any],
    hardware: Mapping[str, Any],
    backend: str,
    backend_version: str | None,
    sha256: str | None,
    quantization: str | None,
    results: Mapping[str, Any],
    created_at: datetime | None = None,
) -> BenchmarkRunRecord:
    """Store a run and return it with its id. ``created_at`` defaults to now (UTC).

    Raises:
        UserError: ``artifact_id`` names no artifact (removed meanwhile).
    """
    with inventory.write_session() as session:
        if artifact_id is not None and session.get(Artifact, artifact_id) is None:
            raise UserError(
                f"Model {artifact_id} is no longer in the inventory; the benchmark was not saved.",
                "Add the model again and rerun the benchmark.",
            )
        row = BenchmarkRun(
            artifact_id=artifact_id,
            settings=_plain(settings),
            hardware=_plain(hardware),
            backend=backend,
            backend_version=backend_version,
            sha256=sha256,
            quantization=quantization,
            results=_plain(results),
            created_at=created_at or utcnow(),
        )
        session.add(row)
        session.flush()
        return _record(row)


def list_runs(inventory: Inventory, artifact_id: int | None = None, *, serving: bool = False
              ) -> list[BenchmarkRunRecord]:
    """Runs, oldest first (the order of a history chart); only ``artifact_id``'s when given.
    Local runs by default; with ``serving``, the serving-benchmark runs (backend
    :data:`SERVING_BACKEND`) instead: the two hold different results."""
    with inventory.session() as session:
        statement = select(BenchmarkRun).order_by(BenchmarkRun.created_at, BenchmarkRun.id)
        if serving:
            statement = statement.where(BenchmarkRun.backend == SERVING_BACKEND)
        else:
            statement = statement.where(BenchmarkRun.backend != SERVING_BACKEND)
        if artifact_id is not None:
            statement = statement.where(BenchmarkRun.artifact_id == artifact_id)
        return [_record(row) for row in session.scalars(statement)]


def get_run(inventory: Inventory, run_id: int) -> BenchmarkRunRecord | None:
    """The run with this id, or None."""
    with inventory.session() as session:
        row = session.get(BenchmarkRun, run_id)
        return _record(row) if row is not None else None


def delete_run(inventory: Inventory, run_id: int) -> bool:
    """Delete a run; True if it existed."""
    with inventory.write_session() as session:
        result = cast(CursorResult[Any], session.execute(delete(BenchmarkRun).where(BenchmarkRun.id == run_id)))
        return bool(result.rowcount)
