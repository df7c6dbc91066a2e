"""One benchmark result: what was measured, on what, with which settings; storage and comparison.

A :class:`BenchResult` is one configuration (one thread count) of one artifact. It is stored
as a ``benchmark_run`` row (:mod:`slmdesk.inventory.benchmarks`): the requested and effective
settings in ``settings``, the hardware profile in ``hardware``, and the measurements in
``results``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from slmdesk.bench.settings import BenchSettings
from slmdesk.bench.stats import Stat
from slmdesk.inventory import benchmarks
from slmdesk.inventory.benchmarks import BenchmarkRunRecord
from slmdesk.inventory.repository import Inventory

JSON_FIELDS = (
    "pp_tokens_per_s", "tg_tokens_per_s", "load_s", "ttft_s", "peak_rss_bytes", "energy_j_per_token",
    "backend", "backend_version", "n_threads", "n_ctx", "model_sha256", "quantization",
)
"""The fields ``slmdesk bench --json`` promises (issue 6); more follow them."""


@dataclass(frozen=True)
class BenchResult:
    """One measured configuration of one model.

    Attributes:
        model_path: the GGUF file or ONNX folder measured.
        model_name: a display name (``general.name``, else the file name).
        model_format: "gguf" or "onnx".
        model_sha256: SHA-256 of the file (or of an ONNX folder's weight files), when known.
        quantization: "Q4_1", "int4"..., when known.
        backend, backend_version: runtime and package version.
        n_threads, n_ctx, n_batch, n_ubatch, flash_attn: effective settings (``n_ctx`` of the
            benchmark context as allocated).
        settings: what was asked for.
        pp, tg: tokens/s statistics (llama-bench ``avg_ts``/``stdev_ts``); None when skipped.
        ttft: time to first token of the chat-shaped prompt, seconds; None when skipped.
        load_s: seconds to load the model (once per configuration, as the user waits for it).
        peak_rss_bytes: peak resident memory of the engine process (``VmHWM``; one fresh
            process per configuration).
        energy_j_per_token: package energy per generated token (tg), joules; None when RAPL
            is not readable (never 0 for "unknown").
        energy_pp_j_per_token: the same for prompt tokens.
        energy_source / energy_note: counters used, or why energy is not available.
        fit_tg_bound: the fit estimator's generation-speed bound (tokens/s) for these
            settings on this hardware, None without a bandwidth figure.
        hardware: the hardware profile (``HardwareProfile.to_dict()``).
        artifact_id: inventory id, None for a file not in the inventory.
        created_at: UTC time the run finished.
        id: ``benchmark_run`` id once stored.
        notes: remarks for people (why a figure is missing...).
        runtime: what the engine ran on (``RuntimeInfo`` as a plain mapping: CPU variant and
            features, repacking, buffer types, GPU backends, notes); empty for runs stored
            before slmdesk recorded it.
    """

    model_path: str
    model_name: str
    model_format: str
    model_sha256: str | None
    quantization: str | None
    backend: str
    backend_version: str
    n_threads: int
    n_ctx: int
    n_batch: int
    n_ubatch: int
    flash_attn: str
    settings: BenchSettings
    pp: Stat | None
    tg: Stat | None
    ttft: Stat | None
    load_s: float
    peak_rss_bytes: int
    energy_j_per_token: float | None = None
    energy_pp_j_per_token: float | None = None
    energy_source: str = ""
    energy_note: str = ""
    fit_tg_bound: float | None = None
    hardware: Mapping[str, Any] = field(default_factory=dict, compare=False)
    artifact_id: int | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: int | None = None
    notes: tuple[str, ...] = ()
    runtime: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hardware", MappingProxyType(dict(self.hardware or {})))
        # JSON form (lists, not tuples), so that a fresh result equals its stored copy.
        plain = {key: list(value) if isinstance(value, tuple) else value for key, value in (self.runtime or {}).items()}
        object.__setattr__(self, "runtime", MappingProxyType(plain))

    @property
    def runtime_summary(self) -> str:
        """``"CPU zen4 (AVX2, AVX512...) · repack on"``, "" when not recorded."""
        from slmdesk.engine.types import RuntimeInfo

        if not self.runtime:
            return ""
        info = RuntimeInfo.from_dict(dict(self.runtime))
        return RuntimeInfo(cpu_variant=info.cpu_variant, cpu_features=info.cpu_features, repack=info.repack,
                           engine=info.engine.split(" (")[0], buffer_types=info.buffer_types,
                           gpu_backends=info.gpu_backends).summary()

    @property
    def label(self) -> str:
        """``"SmolLM2 135M Instruct Q4_1 · llama.cpp · 2 t"`` for tables and chart categories."""
        quant = f" {self.quantization}" if self.quantization else ""
        return f"{self.model_name}{quant} · {self.backend} · {self.n_threads} t"

    @property
    def hardware_name(self) -> str:
        """The CPU (and GPU) it ran on, in words."""
        cpu = str(self.hardware.get("cpu_model") or "unknown CPU")
        gpus = [g.get("name", "") for g in self.hardware.get("gpus") or ()]
        return cpu + (f" + {', '.join(gpus)}" if gpus else "")

    def to_json(self) -> dict[str, Any]:
        """The ``slmdesk bench --json`` object: :data:`JSON_FIELDS` first, then details."""
        return {
            "pp_tokens_per_s": self.pp.to_json() if self.pp else None,
            "tg_tokens_per_s": self.tg.to_json() if self.tg else None,
            "load_s": self.load_s,
            "ttft_s": self.ttft.mean if self.ttft else None,
            "peak_rss_bytes": self.peak_rss_bytes,
            "energy_j_per_token": self.energy_j_per_token,
            "backend": self.backend,
            "backend_version": self.backend_version,
            "n_threads": self.n_threads,
            "n_ctx": self.n_ctx,
            "model_sha256": self.model_sha256,
            "quantization": self.quantization,
            "ttft": self.ttft.to_json() if self.ttft else None,
            "energy_pp_j_per_token": self.energy_pp_j_per_token,
            "energy_source": self.energy_source or None,
            "energy_note": self.energy_note or None,
            "fit_tg_tokens_per_s_bound": self.fit_tg_bound,
            "n_prompt": self.settings.n_prompt,
            "n_gen": self.settings.n_gen,
            "n_depth": self.settings.n_depth,
            "repetitions": self.settings.repetitions,
            "n_batch": self.n_batch,
            "n_ubatch": self.n_ubatch,
            "flash_attn": self.flash_attn,
            "kv_type": self.settings.kv_type,
            "n_gpu_layers": self.settings.n_gpu_layers,
            "model_path": self.model_path,
            "model_name": self.model_name,
            "model_format": self.model_format,
            "artifact_id": self.artifact_id,
            "run_id": self.id,
            "created_at": self.created_at.isoformat(),
            "hardware": dict(self.hardware),
            "runtime": dict(self.runtime),
            "notes": list(self.notes),
        }

    # -- storage ---------------------------------------------------------------------------

    def _settings_json(self) -> dict[str, Any]:
        return {
            "requested": self.settings.to_json(),
            "n_threads": self.n_threads,
            "n_ctx": self.n_ctx,
            "n_batch": self.n_batch,
            "n_ubatch": self.n_ubatch,
            "flash_attn": self.flash_attn,
        }

    def _results_json(self) -> dict[str, Any]:
        return {
            "pp": self.pp.to_json() if self.pp else None,
            "tg": self.tg.to_json() if self.tg else None,
            "ttft": self.ttft.to_json() if self.ttft else None,
            "load_s": self.load_s,
            "peak_rss_bytes": self.peak_rss_bytes,
            "energy_j_per_token": self.energy_j_per_token,
            "energy_pp_j_per_token": self.energy_pp_j_per_token,
            "energy_source": self.energy_source,
            "energy_note": self.energy_note,
            "fit_tg_bound": self.fit_tg_bound,
            "model_path": self.model_path,
            "model_name": self.model_name,
            "model_format": self.model_format,
            "notes": list(self.notes),
            "runtime": dict(self.runtime),
        }

    @classmethod
    def from_record(cls, record: BenchmarkRunRecord) -> BenchResult:
        """Rebuild a result from its inventory row."""
        settings = record.settings
        results = record.results
        return cls(
            model_path=str(results.get("model_path", "")),
            model_name=str(results.get("model_name", "")),
            model_format=str(results.get("model_format", "")),
            model_sha256=record.sha256,
            quantization=record.quantization,
            backend=record.backend,
            backend_version=record.backend_version or "",
            n_threads=int(settings.get("n_threads", 0)),
            n_ctx=int(settings.get("n_ctx", 0)),
            n_batch=int(settings.get("n_batch", 0)),
            n_ubatch=int(settings.get("n_ubatch", 0)),
            flash_attn=str(settings.get("flash_attn", "")),
            settings=BenchSettings.from_json(settings.get("requested") or {}),
            pp=Stat.from_json(results.get("pp")),
            tg=Stat.from_json(results.get("tg")),
            ttft=Stat.from_json(results.get("ttft")),
            load_s=float(results.get("load_s", 0.0)),
            peak_rss_bytes=int(results.get("peak_rss_bytes", 0)),
            energy_j_per_token=results.get("energy_j_per_token"),
            energy_pp_j_per_token=results.get("energy_pp_j_per_token"),
            energy_source=str(results.get("energy_source", "")),
            energy_note=str(results.get("energy_note", "")),
            fit_tg_bound=results.get("fit_tg_bound"),
            hardware=record.hardware,
            artifact_id=record.artifact_id,
            created_at=record.created_at or datetime.now(UTC),
            id=record.id,
            notes=tuple(results.get("notes") or ()),
            runtime=results.get("runtime") or {},
        )


def save_result(inventory: Inventory, result: BenchResult) -> BenchResult:
    """Store ``result`` as a ``benchmark_run`` row; returns it with its ``id``.

    Raises:
        UserError: its artifact was removed from the inventory meanwhile.
    """
    record = benchmarks.save_run(
        inventory,
        artifact_id=result.artifact_id,
        settings=result._settings_json(),
        hardware=result.hardware,
        backend=result.backend,
        backend_version=result.backend_version,
        sha256=result.model_sha256,
        quantization=result.quantization,
        results=result._results_json(),
        created_at=result.created_at,
    )
    return replace(result, id=record.id)


def load_results(inventory: Inventory, artifact_id: int | None = None) -> list[BenchResult]:
    """Stored results, oldest first (only ``artifact_id``'s when given)."""
    return [BenchResult.from_record(r) for r in benchmarks.list_runs(inventory, artifact_id)]


# -- comparison ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Delta:
    """One figure of two runs and the change from ``before`` to ``after``.

    Attributes:
        metric: "pp tokens/s", "tg tokens/s", "TTFT s", "load s", "peak memory bytes",
            "energy J/token".
        before, after: the values (None when a run lacks the figure).
        delta_pct: ``(after - before) / before * 100``; None when either is missing or
            ``before`` is 0.
        higher_is_better: True for speeds, False for times, memory and energy.
    """

    metric: str
    before: float | None
    after: float | None
    delta_pct: float | None
    higher_is_better: bool

    @property
    def improved(self) -> bool | None:
        """True when ``after`` is better than ``before``; None when unknown or equal."""
        if self.delta_pct is None or self.delta_pct == 0:
            return None
        return (self.delta_pct > 0) == self.higher_is_better


def _delta(metric: str, before: float | None, after: float | None, higher_is_better: bool) -> Delta:
    pct = None
    if before is not None and after is not None and before != 0:
        pct = (after - before) / before * 100.0
    return Delta(metric, before, after, pct, higher_is_better)


def compare(before: BenchResult, after: BenchResult) -> list[Delta]:
    """The change of every figure from ``before`` to ``after`` (delta in %)."""
    return [
        _delta("pp tokens/s", before.pp.mean if before.pp else None, after.pp.mean if after.pp else None, True),
        _delta("tg tokens/s", before.tg.mean if before.tg else None, after.tg.mean if after.tg else None, True),
        _delta("TTFT s", before.ttft.mean if before.ttft else None, after.ttft.mean if after.ttft else None, False),
        _delta("load s", before.load_s, after.load_s, False),
        _delta("peak memory bytes", float(before.peak_rss_bytes), float(after.peak_rss_bytes), False),
        _delta("energy J/token", before.energy_j_per_token, after.energy_j_per_token, False),
    ]


def latest_per_artifact(results: Sequence[BenchResult]) -> list[BenchResult]:
    """The newest result of each model (by artifact id, else path) and backend, in first-seen order."""
    latest: dict[tuple[object, str, int], BenchResult] = {}
    for result in results:
        key = (
            result.artifact_id if result.artifact_id is not None else result.model_path,
            result.backend,
            result.n_threads,
        )
        known = latest.get(key)
        if known is None or result.created_at >= known.created_at:
            latest[key] = result
    return list(latest.values())
