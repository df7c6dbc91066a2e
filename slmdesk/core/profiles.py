"""Hardware profiles: what a machine offers a model (memory, GPUs, bandwidth), and target presets.

:class:`HardwareProfile` lives in ``core`` (not ``hardware/``) because the pure fit estimator in
``core/fit.py`` consumes it and imports may only point down; ``slmdesk.hardware.profile``
re-exports it and fills it from the real machine (``probe``).

A profile is either probed ("this machine"), a built-in preset (a machine a user may want to
check fit for before buying or deploying; data in ``resources/profiles/presets.json``, read by
:func:`load_presets`) or user-defined (a JSON object, see :meth:`HardwareProfile.to_dict`).

"Available" memory is what a model may use: for a probed machine the operating system's own
figure (``psutil.virtual_memory().available``: free plus reclaimable cache); for a preset the
total minus :attr:`HardwareProfile.os_reserve_bytes`, the memory an idle system with a browser
open keeps for itself (rules in :func:`desktop_os_reserve` and :func:`headless_os_reserve`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from slmdesk.core import serial
from slmdesk.core.errors import UserError
from slmdesk.core.resources import resource_path
from slmdesk.core.units import GIB, MIB

ProfileSource = Literal["probed", "preset", "user"]

GB = 1000**3
"""Decimal gigabyte: memory bandwidth is quoted in GB/s by every vendor."""

STREAM_EFFICIENCY = 0.7
"""Sustained / theoretical DRAM bandwidth for CPU cores. STREAM Copy on desktop and laptop
DDR4/DDR5 and on the Raspberry Pi typically reaches 60-80 % of the bus peak (McCalpin's STREAM
results; Jeff Geerling's and Phoronix's Pi 5 and Ryzen runs); presets use 0.7 so that their
figure is comparable with the copy benchmark slmdesk runs on the real machine
(``slmdesk.hardware.bandwidth``)."""

GPU_STREAM_EFFICIENCY = 0.85
"""Sustained / theoretical bandwidth of GPU memory (GDDR6/HBM/Apple LPDDR seen from the GPU):
device-to-device copies reach 80-90 % of the datasheet figure (NVIDIA ``bandwidthTest``
results published for consumer and data-centre cards)."""

APPLE_WORKING_SET_FRACTION_SMALL = 2 / 3
APPLE_WORKING_SET_FRACTION_LARGE = 3 / 4
"""Share of unified memory that Metal lets one process keep resident
(``MTLDevice.recommendedMaxWorkingSetSize``, which llama.cpp prints at start-up as
"recommendedMaxWorkingSetSize"): about 2/3 of RAM up to 36 GB machines and 3/4 above,
as reported in llama.cpp's Metal logs by users of 8-192 GB Macs. Approximate."""


def apple_gpu_working_set(ram_total_bytes: int) -> int:
    """Bytes a Metal process may keep on the GPU of an Apple Silicon Mac with this much RAM.

    Source: :data:`APPLE_WORKING_SET_FRACTION_SMALL` / :data:`APPLE_WORKING_SET_FRACTION_LARGE`.
    """
    fraction = APPLE_WORKING_SET_FRACTION_SMALL if ram_total_bytes <= 36 * GIB else APPLE_WORKING_SET_FRACTION_LARGE
    return int(ram_total_bytes * fraction)


def desktop_os_reserve(ram_total_bytes: int) -> int:
    """Memory a desktop OS keeps for itself and a few open apps: 1.5 GiB + 1/8 of RAM.

    A rule of thumb, not a measurement: idle Windows 11 / macOS / GNOME sessions with a
    browser open use 2-4 GB on 8-16 GB machines. 8 GiB -> 2.5 GiB reserved (5.5 GiB left for
    a model), 16 GiB -> 3.5 GiB, 32 GiB -> 5.5 GiB.
    """
    return int(1.5 * GIB + ram_total_bytes / 8)


def headless_os_reserve(ram_total_bytes: int) -> int:
    """Memory a headless Linux (Raspberry Pi OS Lite) keeps for itself: 128 MiB + 1/20 of RAM.

    Rule of thumb: Pi OS Lite boots to about 100-150 MB used, plus page cache and the
    firmware's GPU carve-out on older boards.
    """
    return int(128 * MIB + ram_total_bytes / 20)


@dataclass(frozen=True)
class GpuInfo:
    """One GPU as llama.cpp or ONNX Runtime could use it.

    Attributes:
        name: marketing name ("NVIDIA GeForce RTX 4060", "Apple M2").
        vendor: "nvidia", "apple", "amd", "intel" or "other".
        vram_total_bytes: device memory; for unified memory the Metal working-set limit.
        vram_free_bytes: device memory free now (probed) or usable by a model (presets).
        driver: driver version, when known.
        unified: True when the GPU shares system RAM (Apple Silicon): its memory and the host's
            are one pool.
        bandwidth_bytes_per_s: sustained memory bandwidth, when known (bytes/s).
        compute_capability: CUDA compute capability ("8.9"), when known.
    """

    name: str
    vendor: str
    vram_total_bytes: int
    vram_free_bytes: int
    driver: str | None = None
    unified: bool = False
    bandwidth_bytes_per_s: float | None = None
    compute_capability: str | None = None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> GpuInfo:
        """Inverse of :meth:`HardwareProfile.to_dict` for one GPU; unknown keys are ignored.

        Raises:
            ValueError: a missing or mistyped field (the message names it).
        """
        return serial.from_builtins(cls, raw)


@dataclass(frozen=True)
class HardwareProfile:
    """What a machine offers: CPU, memory, GPUs, memory bandwidth, engine back-ends.

    Sizes are bytes, bandwidth bytes/s. Unknown values are None (or empty tuples).

    Attributes:
        name: "this machine", a preset's display name, or the user's name for it.
        source: "probed", "preset" or "user".
        os: ``platform.system()`` ("Linux", "Darwin", "Windows") or the preset's OS.
        cpu_model: CPU brand string.
        physical_cores / logical_cores: core counts.
        cpu_features: instruction-set extensions llama.cpp cares about, lower case
            ("avx", "avx2", "avx512f", "f16c", "fma", "neon", "dotprod", "sve", ...).
        ram_total_bytes: installed RAM (or the container's memory limit, if lower).
        ram_available_bytes: RAM a model may use now (see the module docstring).
        swap_total_bytes / swap_free_bytes: swap space (never counted as room for a model:
            decoding from swap is unusably slow).
        models_disk_free_bytes: free space on the models directory's file system.
        gpus: GPUs, largest first.
        unified_memory: True on Apple Silicon: GPU and CPU share ``ram_*``.
        memory_bandwidth_bytes_per_s: sustained CPU memory bandwidth (STREAM "copy"
            convention: bytes read + bytes written per second).
        bandwidth_source: where that figure comes from ("measured ...", "preset ...").
        llama_gpu_offload: whether the installed llama.cpp can offload to a GPU
            (``llama_supports_gpu_offload()``); None when unknown (presets assume a GPU build).
        llama_devices: llama.cpp's devices ("CPU: AMD EPYC", "CUDA0: ...").
        llama_cpu_features: llama.cpp's ``llama_print_system_info()`` CPU line.
        onnx_providers: ONNX Runtime execution providers available.
        os_reserve_bytes: for presets and user profiles, memory kept for the OS
            (``ram_available_bytes = ram_total_bytes - os_reserve_bytes``).
        description: one line for people ("Typical 2020-2024 ultrabook ...").
    """

    name: str
    source: ProfileSource
    os: str
    cpu_model: str
    physical_cores: int | None
    logical_cores: int | None
    cpu_features: tuple[str, ...]
    ram_total_bytes: int
    ram_available_bytes: int
    swap_total_bytes: int = 0
    swap_free_bytes: int = 0
    models_disk_free_bytes: int | None = None
    gpus: tuple[GpuInfo, ...] = ()
    unified_memory: bool = False
    memory_bandwidth_bytes_per_s: float | None = None
    bandwidth_source: str = ""
    llama_gpu_offload: bool | None = None
    llama_devices: tuple[str, ...] = ()
    llama_cpu_features: str = ""
    onnx_providers: tuple[str, ...] = ()
    os_reserve_bytes: int = 0
    description: str = ""

    @property
    def best_gpu(self) -> GpuInfo | None:
        """The GPU with the most free memory, or None."""
        return max(self.gpus, key=lambda gpu: gpu.vram_free_bytes, default=None)

    @property
    def can_offload(self) -> bool:
        """True when llama.cpp can put layers on a GPU here (a GPU exists and the build allows it)."""
        return bool(self.gpus) and self.llama_gpu_offload is not False

    def fingerprint(self) -> str:
        """A stable id of the hardware (not of the moment): SHA-256 of CPU, RAM, GPUs, source and
        name, 32 hex digits. Free memory and bandwidth do not enter it."""
        key = json.dumps(
            [
                self.source,
                self.name if self.source != "probed" else "",
                self.cpu_model,
                self.ram_total_bytes,
                [(g.name, g.vram_total_bytes) for g in self.gpus],
            ]
        )
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists, GPUs dicts); :meth:`from_dict` reads it back."""
        data: dict[str, Any] = serial.to_builtins(self)
        return data

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> HardwareProfile:
        """Build a profile from a decoded JSON object.

        Required: ``name``, ``ram_total_bytes``. ``ram_available_bytes`` defaults to
        ``ram_total_bytes - os_reserve_bytes`` (``os_reserve_bytes`` defaults to
        :func:`desktop_os_reserve`); ``source`` defaults to "user", ``os`` to "unknown",
        ``cpu_model`` to "", core counts to None, features to none.

        Unknown keys are ignored; every value is checked against its field's type (``source``
        must be one of "probed", "preset", "user").

        Raises:
            UserError: a field is missing or has the wrong type (the message names it).
        """
        if not isinstance(raw, Mapping):
            raise UserError("A hardware profile must be a JSON object.", "Check the profile file.")
        data = dict(raw)
        try:
            ram_total = int(data["ram_total_bytes"])
        except (KeyError, TypeError, ValueError) as error:
            raise UserError(
                f"Hardware profile {data.get('name', '?')!r} has no valid ram_total_bytes.",
                "Give the installed RAM in bytes, for example 8589934592 for 8 GiB.",
            ) from error
        data.setdefault("source", "user")
        data.setdefault("os", "unknown")
        data.setdefault("cpu_model", "")
        data.setdefault("physical_cores", None)
        data.setdefault("logical_cores", None)
        data.setdefault("cpu_features", [])
        if "ram_available_bytes" not in data:
            reserve = int(data.setdefault("os_reserve_bytes", desktop_os_reserve(ram_total)))
            data["ram_available_bytes"] = max(0, ram_total - reserve)
        try:
            return serial.from_builtins(cls, data)
        except ValueError as error:
            raise UserError(
                f"Hardware profile {data.get('name', '?')!r}: {error}.", "Check the profile file."
            ) from error

    def with_name(self, name: str, source: ProfileSource = "user") -> HardwareProfile:
        """A copy under another name and source (to save a probed machine as a user profile)."""
        return replace(self, name=name, source=source)


# --- presets -----------------------------------------------------------------------------------

PRESETS_RESOURCE = ("profiles", "presets.json")
"""Where the built-in presets live: ``resources/profiles/presets.json`` (the ``slmdesk.resources``
package). Each preset keeps its datasheet figures and their source there; the rules that turn
them into a profile (OS reserve, bandwidth efficiency, GPU reserve) stay here, with theirs."""

_DESKTOP_GPU_RESERVE = 512 * MIB
"""VRAM a desktop session keeps on a discrete GPU that also drives the display (compositor,
browser): 0.3-0.6 GiB on Windows/GNOME as nvidia-smi shows it. Rule of thumb."""

_OS_RESERVES: dict[str, Callable[[int], int]] = {"desktop": desktop_os_reserve, "headless": headless_os_reserve}
"""The presets file's ``os_reserve`` names and their rules."""

_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "text": (lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string"),
    "count": (lambda v: type(v) is int and v > 0, "a positive integer"),
    "number": (lambda v: type(v) in (int, float) and 0 < v < float("inf"), "a positive number"),
    "texts": (lambda v: isinstance(v, list) and all(isinstance(s, str) and s for s in v), "a list of strings"),
    "flag": (lambda v: isinstance(v, bool), "true or false"),
    "list": (lambda v: isinstance(v, list), "a list"),
    "reserve": (lambda v: isinstance(v, str) and v in _OS_RESERVES, "one of 'desktop', 'headless'"),
    "gpu_kind": (lambda v: isinstance(v, str) and v in _GPU_FIELDS, "one of 'nvidia', 'apple'"),
}
_PRESET_FIELDS: dict[str, tuple[str, bool]] = {  # field: (check, required)
    "name": ("text", True), "description": ("text", True), "source": ("text", True),
    "os": ("text", True), "cpu_model": ("text", True), "physical_cores": ("count", True),
    "logical_cores": ("count", True), "cpu_features": ("texts", True), "ram_gib": ("number", True),
    "os_reserve": ("reserve", True), "cpu_peak_gbps": ("number", True), "cpu_bus": ("text", True),
    "gpus": ("list", False), "unified_memory": ("flag", False),
}
_GPU_FIELDS: dict[str, dict[str, tuple[str, bool]]] = {
    "nvidia": {"kind": ("gpu_kind", True), "name": ("text", True), "vram_gib": ("count", True),
               "peak_gbps": ("number", True), "compute_capability": ("text", True)},
    "apple": {"kind": ("gpu_kind", True), "name": ("text", True), "peak_gbps": ("number", True)},
}


def _checked(raw: object, where: str, schema: Mapping[str, tuple[str, bool]]) -> dict[str, Any]:
    """``raw`` when it is an object with the fields of ``schema`` and no others; else ValueError
    naming ``where`` and the field."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where} is a {type(raw).__name__}, not an object")
    unknown = sorted(set(raw) - set(schema))
    if unknown:
        raise ValueError(f"{where} has unknown field(s) {', '.join(map(repr, unknown))}")
    for key, (check, required) in schema.items():
        if key not in raw:
            if required:
                raise ValueError(f"{where} lacks the field {key!r}")
            continue
        ok, wanted = _CHECKS[check]
        if not ok(raw[key]):
            raise ValueError(f"{where}: {key!r} must be {wanted}, not {raw[key]!r}")
    return raw


def _nvidia(name: str, vram_gib: int, peak_gbps: float, cc: str) -> GpuInfo:
    total = vram_gib * GIB
    return GpuInfo(
        name=name,
        vendor="nvidia",
        vram_total_bytes=total,
        vram_free_bytes=total - _DESKTOP_GPU_RESERVE,
        bandwidth_bytes_per_s=peak_gbps * GB * GPU_STREAM_EFFICIENCY,
        compute_capability=cc,
    )


def _apple_gpu(name: str, ram_bytes: int, peak_gbps: float, reserve: int) -> GpuInfo:
    working_set = apple_gpu_working_set(ram_bytes)
    return GpuInfo(
        name=name,
        vendor="apple",
        vram_total_bytes=working_set,
        vram_free_bytes=min(working_set, ram_bytes - reserve),
        unified=True,
        bandwidth_bytes_per_s=peak_gbps * GB * GPU_STREAM_EFFICIENCY,
    )


def _preset(key: str, raw: object) -> HardwareProfile:
    """One preset of the presets file (its ``about`` text describes the fields)."""
    where = f"preset {key!r}"
    data = _checked(raw, where, _PRESET_FIELDS)
    ram = int(data["ram_gib"] * GIB)
    reserve = _OS_RESERVES[data["os_reserve"]](ram)
    if reserve >= ram:
        raise ValueError(f"{where}: {data['ram_gib']:g} GiB of RAM is no more than the OS reserve")
    gpus: list[GpuInfo] = []
    for index, item in enumerate(data.get("gpus", [])):
        kind = item.get("kind") if isinstance(item, dict) else None
        # An unknown kind is checked against the widest schema, which then names the bad "kind".
        schema = _GPU_FIELDS[kind] if isinstance(kind, str) and kind in _GPU_FIELDS else _GPU_FIELDS["nvidia"]
        gpu = _checked(item, f"{where}, GPU {index + 1}", schema)
        if kind == "nvidia":
            gpus.append(_nvidia(gpu["name"], gpu["vram_gib"], gpu["peak_gbps"], gpu["compute_capability"]))
        else:
            gpus.append(_apple_gpu(gpu["name"], ram, gpu["peak_gbps"], reserve))
    peak, bus = data["cpu_peak_gbps"], data["cpu_bus"]
    return HardwareProfile(
        name=data["name"],
        source="preset",
        os=data["os"],
        cpu_model=data["cpu_model"],
        physical_cores=data["physical_cores"],
        logical_cores=data["logical_cores"],
        cpu_features=tuple(data["cpu_features"]),
        ram_total_bytes=ram,
        ram_available_bytes=ram - reserve,
        gpus=tuple(gpus),
        unified_memory=data.get("unified_memory", False),
        memory_bandwidth_bytes_per_s=peak * GB * STREAM_EFFICIENCY,
        bandwidth_source=f"preset: {bus}, {peak:g} GB/s peak x {STREAM_EFFICIENCY}",
        llama_gpu_offload=True if gpus else None,
        os_reserve_bytes=reserve,
        description=data["description"],
    )


def load_presets(path: Path | None = None) -> dict[str, HardwareProfile]:
    """The built-in target profiles by key, in file order, from ``path`` (default: the installed
    ``resources/profiles/presets.json``, :data:`PRESETS_RESOURCE`).

    Bandwidth = datasheet peak x :data:`STREAM_EFFICIENCY` (:data:`GPU_STREAM_EFFICIENCY` for
    GPUs); available RAM = total - OS reserve (:func:`desktop_os_reserve` or
    :func:`headless_os_reserve`).

    Raises:
        UserError: the file is missing or not JSON, or a preset has a missing, unknown or
            mistyped field (the message names the file, the preset and the field).
    """
    path = resource_path(*PRESETS_RESOURCE) if path is None else path
    hint = "This file ships with slmdesk: reinstall slmdesk, or restore the file from its source."
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UserError(f"Cannot read the hardware presets {path}: {error.strerror or error}.", hint) from error
    except ValueError as error:
        raise UserError(f"The hardware presets file {path} is not valid JSON: {error}.", hint) from error
    try:
        if not isinstance(document, dict) or not isinstance(document.get("presets"), dict):
            raise ValueError('it needs a "presets" object (key -> preset)')
        presets = {key: _preset(key, raw) for key, raw in document["presets"].items()}
        names = [profile.name.casefold() for profile in presets.values()]
        if not presets or len(set(names)) != len(names):
            raise ValueError("it needs at least one preset, each with its own name")
    except ValueError as error:
        raise UserError(f"The hardware presets file {path} is broken: {error}.", hint) from error
    return presets


PRESETS: dict[str, HardwareProfile] = load_presets()
"""Built-in target profiles by key (:func:`load_presets`), loaded once at import."""


def find_preset(name: str) -> HardwareProfile | None:
    """The preset whose key or display name equals ``name`` (case-insensitive), or None."""
    wanted = name.strip().casefold()
    for key, profile in PRESETS.items():
        if wanted in (key.casefold(), profile.name.casefold()):
            return profile
    return None


def cpu_only_profile(
    name: str,
    ram_total_bytes: int,
    ram_available_bytes: int | None = None,
    bandwidth_bytes_per_s: float | None = None,
) -> HardwareProfile:
    """A minimal user profile: a CPU-only machine with this much RAM (bytes).

    ``ram_available_bytes`` defaults to total minus :func:`desktop_os_reserve`.
    """
    reserve = (
        desktop_os_reserve(ram_total_bytes) if ram_available_bytes is None else ram_total_bytes - ram_available_bytes
    )
    return HardwareProfile(
        name=name,
        source="user",
        os="unknown",
        cpu_model="",
        physical_cores=None,
        logical_cores=None,
        cpu_features=(),
        ram_total_bytes=ram_total_bytes,
        ram_available_bytes=max(0, ram_total_bytes - reserve),
        memory_bandwidth_bytes_per_s=bandwidth_bytes_per_s,
        bandwidth_source="user" if bandwidth_bytes_per_s else "",
        os_reserve_bytes=reserve,
    )
