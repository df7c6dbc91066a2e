"""Hardware profiles, fit estimates and measured peaks in the inventory.

An estimate is stored per artifact x profile x (n_ctx, KV type, GPU layers); a measurement
is what the engine really used on a load. Storing both side by side keeps the estimator's
error visible (issue 4: "every real load stores its measured peak next to the estimate").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import select

from slmdesk.core.fit import FitEstimate
from slmdesk.core.profiles import HardwareProfile
from slmdesk.inventory.orm import FitEstimate as FitEstimateRow
from slmdesk.inventory.orm import HardwareProfile as HardwareProfileRow
from slmdesk.inventory.orm import Measurement, utcnow
from slmdesk.inventory.repository import Inventory


@dataclass(frozen=True)
class StoredEstimate:
    """A stored fit estimate (bytes; ``verdict`` is the :class:`~slmdesk.core.fit.Verdict` key)."""

    artifact_id: int
    profile_id: int
    n_ctx: int
    kv_type: str
    gpu_layers: int
    total_host_bytes: int
    total_device_bytes: int
    verdict: str
    max_ctx: int | None
    tg_bound_tps: float | None
    computed_at: datetime | None


@dataclass(frozen=True)
class MeasurementRecord:
    """What a real load used: the engine's peak resident memory (bytes) and speeds (tokens/s)."""

    id: int
    artifact_id: int
    profile_id: int | None
    load_settings: Mapping[str, Any] = field(default_factory=dict, compare=False)
    peak_rss_bytes: int | None = None
    load_s: float | None = None
    pp_tps: float | None = None
    tg_tps: float | None = None
    backend: str | None = None
    measured_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "load_settings", MappingProxyType(dict(self.load_settings or {})))


def save_hardware_profile(inventory: Inventory, profile: HardwareProfile) -> int:
    """Store (or update, keyed by :meth:`HardwareProfile.fingerprint`) a profile; return its id."""
    fingerprint = profile.fingerprint()
    gpu = profile.gpus[0] if profile.gpus else None
    with inventory.write_session() as session:
        row = session.scalar(select(HardwareProfileRow).where(HardwareProfileRow.fingerprint == fingerprint))
        if row is None:
            row = HardwareProfileRow(fingerprint=fingerprint)
            session.add(row)
        row.name = profile.name
        row.cpu_name = profile.cpu_model
        row.cpu_cores = profile.physical_cores
        row.ram_bytes = profile.ram_total_bytes
        row.gpu_name = gpu.name if gpu else None
        row.vram_bytes = gpu.vram_total_bytes if gpu else None
        row.data = profile.to_dict()
        session.commit()
        return row.id


def save_fit_estimate(inventory: Inventory, artifact_id: int, profile_id: int, estimate: FitEstimate) -> None:
    """Store an estimate, replacing the one with the same artifact, profile, n_ctx, KV type and
    GPU layers (recomputed when the profile changes)."""
    with inventory.write_session() as session:
        row = session.scalar(
            select(FitEstimateRow).where(
                FitEstimateRow.artifact_id == artifact_id,
                FitEstimateRow.profile_id == profile_id,
                FitEstimateRow.n_ctx == estimate.n_ctx,
                FitEstimateRow.kv_type == estimate.kv_type,
                FitEstimateRow.gpu_layers == estimate.gpu_layers,
            )
        )
        if row is None:
            row = FitEstimateRow(
                artifact_id=artifact_id, profile_id=profile_id, n_ctx=estimate.n_ctx,
                kv_type=estimate.kv_type, gpu_layers=estimate.gpu_layers,
            )
            session.add(row)
        row.weights_bytes = estimate.weights_bytes
        row.kv_cache_bytes = estimate.kv_cache_bytes
        row.compute_bytes = estimate.compute_bytes
        row.overhead_bytes = estimate.overhead_bytes + estimate.device_overhead_bytes
        row.total_host_bytes = estimate.total_host_bytes
        row.total_device_bytes = estimate.total_device_bytes
        row.verdict = estimate.verdict.value
        row.max_ctx = estimate.max_ctx
        row.tg_bound_tps = estimate.tg_tokens_per_s_bound
        row.computed_at = utcnow()
        session.commit()


def list_fit_estimates(inventory: Inventory, artifact_id: int) -> list[StoredEstimate]:
    """Every stored estimate of an artifact, newest first."""
    with inventory.session() as session:
        rows = session.scalars(
            select(FitEstimateRow)
            .where(FitEstimateRow.artifact_id == artifact_id)
            .order_by(FitEstimateRow.computed_at.desc())
        )
        return [
            StoredEstimate(
                artifact_id=r.artifact_id, profile_id=r.profile_id, n_ctx=r.n_ctx, kv_type=r.kv_type,
                gpu_layers=r.gpu_layers, total_host_bytes=r.total_host_bytes,
                total_device_bytes=r.total_device_bytes, verdict=r.verdict, max_ctx=r.max_ctx,
                tg_bound_tps=r.tg_bound_tps, computed_at=r.computed_at,
            )
            for r in rows
        ]


def add_measurement(
    inventory: Inventory,
    artifact_id: int,
    load_settings: Mapping[str, Any],
    peak_rss_bytes: int | None,
    load_s: float | None = None,
    pp_tps: float | None = None,
    tg_tps: float | None = None,
    backend: str | None = None,
    profile_id: int | None = None,
) -> MeasurementRecord:
    """Record what a real load used (the engine reports its own VmHWM)."""
    with inventory.write_session() as session:
        row = Measurement(
            artifact_id=artifact_id, profile_id=profile_id, load_settings=dict(load_settings),
            peak_rss_bytes=peak_rss_bytes, load_s=load_s, pp_tps=pp_tps, tg_tps=tg_tps, backend=backend,
        )
        session.add(row)
        session.commit()
        return _measurement(row)


def latest_measurement(inventory: Inventory, artifact_id: int) -> MeasurementRecord | None:
    """The newest measurement of an artifact, or None."""
    with inventory.session() as session:
        row = session.scalar(
            select(Measurement)
            .where(Measurement.artifact_id == artifact_id)
            .order_by(Measurement.measured_at.desc(), Measurement.id.desc())
            .limit(1)
        )
        return _measurement(row) if row is not None else None


def _measurement(row: Measurement) -> MeasurementRecord:
    return MeasurementRecord(
        id=row.id, artifact_id=row.artifact_id, profile_id=row.profile_id,
        load_settings=row.load_settings or {}, peak_rss_bytes=row.peak_rss_bytes, load_s=row.load_s,
        pp_tps=row.pp_tps, tg_tps=row.tg_tps, backend=row.backend, measured_at=row.measured_at,
    )
