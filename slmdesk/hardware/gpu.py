"""GPUs a model could use: NVIDIA through NVML, Apple Silicon's unified memory, others via llama.cpp.

Every probe degrades to "no GPU" quietly: no driver, no library, a virtual machine without a
device, or a driver error must never stop slmdesk from starting.
"""

from __future__ import annotations

import contextlib
import logging
import platform
import subprocess
import sys

from slmdesk.core.profiles import GPU_STREAM_EFFICIENCY, GpuInfo, apple_gpu_working_set

log = logging.getLogger(__name__)


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def nvml_bandwidth(memory_clock_mhz: int, bus_width_bits: int) -> float:
    """Sustained bandwidth estimate (bytes/s) of an NVIDIA GPU from NVML's maximum memory clock
    and bus width: ``2 (double data rate) * clock * width / 8 * GPU_STREAM_EFFICIENCY``.
    Approximate: GDDR6X/HBM transfer more bits per NVML clock on some cards."""
    return 2 * memory_clock_mhz * 1e6 * bus_width_bits / 8 * GPU_STREAM_EFFICIENCY


def nvidia_gpus() -> tuple[GpuInfo, ...]:
    """NVIDIA GPUs through NVML (``nvidia-ml-py``): name, VRAM total/free, driver, compute
    capability, bandwidth estimate. Empty without an NVIDIA driver. Never raises."""
    try:
        import pynvml
    except ImportError:
        return ()
    try:
        pynvml.nvmlInit()
    except (pynvml.NVMLError, OSError) as error:  # NVMLError_LibraryNotFound, DriverNotLoaded...
        log.debug("NVML unavailable: %s", error)
        return ()
    gpus: list[GpuInfo] = []
    try:
        driver = _text(pynvml.nvmlSystemGetDriverVersion())
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            bandwidth = None
            try:
                clock = pynvml.nvmlDeviceGetMaxClockInfo(handle, pynvml.NVML_CLOCK_MEM)
                width = pynvml.nvmlDeviceGetMemoryBusWidth(handle)
                bandwidth = nvml_bandwidth(int(clock), int(width)) if clock and width else None
            except pynvml.NVMLError:
                pass  # not reported by this GPU or driver: no bandwidth figure
            capability = None
            try:
                major, minor = pynvml.nvmlDeviceGetCudaComputeCapability(handle)
                capability = f"{major}.{minor}"
            except pynvml.NVMLError:
                pass  # older drivers: no compute capability
            gpus.append(
                GpuInfo(
                    name=_text(pynvml.nvmlDeviceGetName(handle)),
                    vendor="nvidia",
                    vram_total_bytes=int(memory.total),
                    vram_free_bytes=int(memory.free),
                    driver=driver,
                    bandwidth_bytes_per_s=bandwidth,
                    compute_capability=capability,
                )
            )
    except pynvml.NVMLError as error:
        log.warning("NVML query failed: %s", error)
    finally:
        with contextlib.suppress(pynvml.NVMLError):
            pynvml.nvmlShutdown()
    return tuple(gpus)


# Apple Silicon memory bandwidth by chip family (Apple's published figures, GB/s).
_APPLE_BANDWIDTH_GBPS: tuple[tuple[str, float], ...] = (
    ("M1 Ultra", 800.0),
    ("M1 Max", 400.0),
    ("M1 Pro", 200.0),
    ("M1", 68.25),
    ("M2 Ultra", 800.0),
    ("M2 Max", 400.0),
    ("M2 Pro", 200.0),
    ("M2", 100.0),
    ("M3 Ultra", 819.0),
    ("M3 Max", 400.0),
    ("M3 Pro", 150.0),
    ("M3", 100.0),
    ("M4 Max", 546.0),
    ("M4 Pro", 273.0),
    ("M4", 120.0),
)


def apple_bandwidth(brand: str) -> float | None:
    """Sustained GPU bandwidth (bytes/s) of an Apple chip from its brand string ("Apple M2 Pro"),
    Apple's published peak x GPU_STREAM_EFFICIENCY; None for unknown chips."""
    for family, gbps in _APPLE_BANDWIDTH_GBPS:
        if f"{family} " in f"{brand} " or brand.endswith(family):
            return gbps * 1e9 * GPU_STREAM_EFFICIENCY
    return None


def apple_gpu(brand: str, ram_total_bytes: int, ram_available_bytes: int) -> GpuInfo:
    """The integrated GPU of an Apple Silicon Mac: unified memory, limited to Metal's working set
    (:func:`~slmdesk.core.profiles.apple_gpu_working_set`)."""
    working_set = apple_gpu_working_set(ram_total_bytes)
    return GpuInfo(
        name=f"{brand or 'Apple Silicon'} GPU",
        vendor="apple",
        vram_total_bytes=working_set,
        vram_free_bytes=min(working_set, ram_available_bytes),
        unified=True,
        bandwidth_bytes_per_s=apple_bandwidth(brand),
    )


def is_apple_silicon() -> bool:
    """True on macOS on arm64."""
    return sys.platform == "darwin" and platform.machine() == "arm64"


def apple_ram_bytes() -> int | None:
    """``sysctl -n hw.memsize`` (bytes), None when unavailable."""
    try:
        done = subprocess.run(["sysctl", "-n", "hw.memsize"], capture_output=True, text=True, timeout=10)
        return int(done.stdout.strip())
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


def _vendor_from_name(name: str) -> str:
    lowered = name.lower()
    for vendor, tags in (
        ("nvidia", ("nvidia", "geforce", "rtx", "quadro", "tesla")),
        ("amd", ("amd", "radeon")),
        ("intel", ("intel", "arc")),
    ):
        if any(tag in lowered for tag in tags):
            return vendor
    return "other"


def gpus_from_llama(devices: tuple[tuple[str, int, int], ...]) -> tuple[GpuInfo, ...]:
    """GPUs as llama.cpp's back-ends see them (Vulkan, ROCm, SYCL...): ``(description, free,
    total)`` from :class:`~slmdesk.hardware.backends.BackendInfo`. Used when NVML finds none."""
    return tuple(
        GpuInfo(name=name, vendor=_vendor_from_name(name), vram_total_bytes=total, vram_free_bytes=free)
        for name, free, total in devices
        if total > 0
    )
