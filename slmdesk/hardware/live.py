"""A cheap live summary of machine usage (RAM, CPU, NVIDIA GPU) for the status bar."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import psutil

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GpuUsage:
    """One GPU's name and memory in bytes, and utilisation in percent (None if unknown)."""

    name: str
    memory_used_bytes: int
    memory_total_bytes: int
    utilisation_percent: float | None


@dataclass(frozen=True)
class LiveUsage:
    """RAM in bytes, CPU in percent of all logical cores since the previous sample."""

    ram_used_bytes: int
    ram_total_bytes: int
    cpu_percent: float
    gpus: tuple[GpuUsage, ...]


class UsageSampler:
    """Samples :class:`LiveUsage`; each :meth:`sample` takes well under a millisecond on CPU-only
    machines (psutil reads /proc) and one NVML query per GPU where a driver is present."""

    def __init__(self) -> None:
        psutil.cpu_percent(interval=None)  # prime: the first non-blocking call returns 0.0
        self._nvml_handles: list[object] | None = None
        self._nvml: Any = None

    def _gpu_handles(self) -> list[object]:
        if self._nvml_handles is None:
            self._nvml_handles = []
            try:
                import pynvml  # nvidia-ml-py
            except ImportError:
                return self._nvml_handles
            try:
                pynvml.nvmlInit()
                self._nvml = pynvml
                self._nvml_handles = [
                    pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())
                ]
            except (pynvml.NVMLError, OSError) as error:  # no driver or library: no NVIDIA GPU to show
                log.debug("NVML unavailable: %s", error)
        return self._nvml_handles

    def sample(self) -> LiveUsage:
        """Return current usage. Never raises for a missing GPU driver."""
        memory = psutil.virtual_memory()
        gpus: list[GpuUsage] = []
        for handle in self._gpu_handles():
            try:
                nvml = self._nvml
                info = nvml.nvmlDeviceGetMemoryInfo(handle)
                name = nvml.nvmlDeviceGetName(handle)
                try:
                    util = float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
                except nvml.NVMLError:
                    util = None
                gpus.append(GpuUsage(str(name), int(info.used), int(info.total), util))
            except nvml.NVMLError as error:
                log.debug("NVML query failed: %s", error)
        return LiveUsage(
            ram_used_bytes=int(memory.total - memory.available),
            ram_total_bytes=int(memory.total),
            cpu_percent=float(psutil.cpu_percent(interval=None)),
            gpus=tuple(gpus),
        )
