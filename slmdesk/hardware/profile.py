"""Probe this machine into a :class:`HardwareProfile`; find presets and user-defined profiles.

:class:`~slmdesk.core.profiles.HardwareProfile` itself is defined in ``core`` (the fit estimator
needs it and imports point down); it is re-exported here.

The probe reads the CPU (model, instruction-set features), RAM and swap (psutil; a cgroup
memory limit counts as the RAM total when lower), free disk space of the models directory,
GPUs (NVML, Apple Silicon, else llama.cpp's own devices), the engines' capabilities
(:mod:`slmdesk.hardware.backends`, a cached child process) and memory bandwidth
(:mod:`slmdesk.hardware.bandwidth`, measured once and cached, again when stale). It takes about 2 s the first time
and about 0.1 s afterwards. Nothing here imports llama_cpp.
"""

from __future__ import annotations

import json
import logging
import platform
import shutil
import sys
from collections.abc import Callable, Generator
from pathlib import Path

import psutil

from slmdesk.core import load_plan
from slmdesk.core.errors import UserError
from slmdesk.core.files import write_json_atomic
from slmdesk.core.profiles import PRESETS, GpuInfo, HardwareProfile, find_preset
from slmdesk.core.tasks import CancelToken, Progress, run_inline
from slmdesk.hardware import backends, bandwidth, cpu, gpu
from slmdesk.paths import AppPaths

__all__ = [
    "PRESETS",
    "THIS_MACHINE",
    "GpuInfo",
    "HardwareProfile",
    "load_user_profiles",
    "probe",
    "probe_task",
    "resolve_profile",
    "save_user_profile",
    "user_profiles_file",
]

log = logging.getLogger(__name__)

THIS_MACHINE = load_plan.THIS_MACHINE
"""The profile key of the machine slmdesk runs on (defined with the load plans that name it)."""
USER_PROFILES_FILE = "hardware_profiles.json"


def _cgroup_memory_limit() -> int | None:
    """The cgroup v2/v1 memory limit of this process (containers), or None when unlimited."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text(encoding="ascii").strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:
            return int(text)
    return None


def _disk_free(path: Path) -> int | None:
    """Free bytes on the file system holding ``path`` (or its nearest existing parent)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free
            except OSError:
                return None
    return None


def probe_task(
    paths: AppPaths, measure_bandwidth: bool = True, remeasure_bandwidth: bool = False
) -> Callable[[CancelToken], Generator[Progress, None, HardwareProfile]]:
    """A task (``task(token) -> Generator[Progress, None, HardwareProfile]``) probing this
    machine in four steps (memory and CPU, GPUs, engines, bandwidth), checking ``token`` between
    them. ``measure_bandwidth=False`` skips the bandwidth benchmark unless a cached value exists;
    ``remeasure_bandwidth=True`` runs it again and replaces the cached value (the first one may
    have been taken while the machine was busy).

    Raises:
        Cancelled: the token was cancelled.
    """

    def task(token: CancelToken) -> Generator[Progress, None, HardwareProfile]:
        yield Progress(0.0, "Reading CPU and memory")
        model, features = cpu.cpu_model_and_features()
        memory = psutil.virtual_memory()
        swap = psutil.swap_memory()
        ram_total = int(memory.total)
        ram_available = int(memory.available)
        limit = _cgroup_memory_limit()
        if limit is not None and limit < ram_total:
            used_in_group = _cgroup_usage() or 0
            ram_total = limit
            ram_available = max(0, min(ram_available, limit - used_in_group))
        token.raise_if_cancelled()

        yield Progress(0.25, "Looking for GPUs")
        gpus: tuple[GpuInfo, ...] = gpu.nvidia_gpus()
        unified = False
        if gpu.is_apple_silicon():
            unified = True
            ram_total = gpu.apple_ram_bytes() or ram_total
            gpus = (gpu.apple_gpu(model, ram_total, ram_available),)
        token.raise_if_cancelled()

        yield Progress(0.5, "Asking the engines what they can use")
        engines = backends.probe_backends(paths.cache / "hardware")
        if not gpus and engines.llama_gpu_memory:
            gpus = gpu.gpus_from_llama(engines.llama_gpu_memory)
        if not features and engines.llama_system_info:
            features = cpu.features_from_llama_system_info(engines.llama_system_info)
        token.raise_if_cancelled()

        yield Progress(0.75, "Measuring memory bandwidth")
        source = ""
        cache_dir = paths.cache / "hardware"
        rate = bandwidth.cached_bandwidth(cache_dir, model, ram_total, refresh=remeasure_bandwidth,
                                          measure=measure_bandwidth or remeasure_bandwidth)
        if rate is not None:
            source = (
                f"measured: every CPU reading {bandwidth.BUFFER_BYTES >> 20} MiB at once, best of"
                f" {bandwidth.RUNS} (cached in {cache_dir / bandwidth.CACHE_FILE})"
            )
        token.raise_if_cancelled()

        profile = HardwareProfile(
            name=THIS_MACHINE,
            source="probed",
            os=platform.system(),
            cpu_model=model,
            physical_cores=psutil.cpu_count(logical=False),
            logical_cores=psutil.cpu_count(logical=True),
            cpu_features=features,
            ram_total_bytes=ram_total,
            ram_available_bytes=ram_available,
            swap_total_bytes=int(swap.total),
            swap_free_bytes=int(swap.free),
            models_disk_free_bytes=_disk_free(paths.models),
            gpus=tuple(sorted(gpus, key=lambda g: -g.vram_free_bytes)),
            unified_memory=unified,
            memory_bandwidth_bytes_per_s=rate,
            bandwidth_source=source,
            llama_gpu_offload=engines.llama_gpu_offload,
            llama_devices=engines.llama_devices,
            llama_cpu_features=engines.llama_system_info,
            onnx_providers=engines.onnx_providers,
            description=f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
        )
        yield Progress(1.0, "Hardware probed")
        return profile

    return task


def _cgroup_usage() -> int | None:
    for path in ("/sys/fs/cgroup/memory.current", "/sys/fs/cgroup/memory/memory.usage_in_bytes"):
        try:
            return int(Path(path).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue
    return None


def probe(paths: AppPaths, measure_bandwidth: bool = True) -> HardwareProfile:
    """Probe this machine now (see :func:`probe_task`); never raises for missing hardware."""
    return run_inline(probe_task(paths, measure_bandwidth))


# --- user-defined profiles ----------------------------------------------------------------------


def user_profiles_file(paths: AppPaths) -> Path:
    """``<config>/hardware_profiles.json``: a JSON list of profile objects
    (:meth:`HardwareProfile.to_dict`; only ``name`` and ``ram_total_bytes`` are required)."""
    return paths.config / USER_PROFILES_FILE


def load_user_profiles(paths: AppPaths) -> list[HardwareProfile]:
    """The user's saved profiles, in file order; [] when there is no file.

    Raises:
        UserError: the file is not valid JSON, not a list, or holds an invalid profile.
    """
    path = user_profiles_file(paths)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as error:
        raise UserError(f"Cannot read {path}: {error}.", "Fix or delete the file.") from error
    if not isinstance(raw, list):
        raise UserError(f"{path} must hold a JSON list of hardware profiles.", "Fix or delete the file.")
    return [HardwareProfile.from_dict(item) for item in raw]


def save_user_profile(paths: AppPaths, profile: HardwareProfile) -> None:
    """Add ``profile`` to the user's profiles, replacing one with the same name (atomic write).

    Raises:
        UserError: the existing file is invalid, or the file cannot be written.
    """
    profiles = [p for p in load_user_profiles(paths) if p.name.casefold() != profile.name.casefold()]
    profiles.append(profile if profile.source == "user" else profile.with_name(profile.name))
    path = user_profiles_file(paths)
    try:
        write_json_atomic(path, [p.to_dict() for p in profiles], indent=2)
    except OSError as error:
        raise UserError(
            f"Cannot write {path}: {error.strerror}.", "Check the permissions of the config folder."
        ) from error


def resolve_profile(name: str | None, paths: AppPaths, measure_bandwidth: bool = True) -> HardwareProfile:
    """The profile called ``name``: "this machine" (the default, probed now), a preset key or
    display name (:data:`~slmdesk.core.profiles.PRESETS`), or a user-defined profile's name.

    Raises:
        UserError: no profile has that name (the message lists the choices).
    """
    if name is None or name.strip().casefold() == THIS_MACHINE:
        return probe(paths, measure_bandwidth)
    preset = find_preset(name)
    if preset is not None:
        return preset
    user_profiles = load_user_profiles(paths)
    for profile in user_profiles:
        if profile.name.casefold() == name.strip().casefold():
            return profile
    choices = [THIS_MACHINE, *PRESETS, *(p.name for p in user_profiles)]
    raise UserError(
        f"There is no hardware profile called {name!r}.",
        "Choose one of: " + ", ".join(repr(c) for c in choices) + " (slmdesk fit --list-profiles).",
    )


if __name__ == "__main__":  # pragma: no cover - a manual check: python -m slmdesk.hardware.profile
    from slmdesk import paths as app_paths

    print(json.dumps(probe(app_paths.resolve()).to_dict(), indent=2))  # noqa: T201 - this module as a command
    sys.exit(0)
