"""What the installed engines can use: llama.cpp's GPU offload, devices and CPU variant, ONNX Runtime's providers.

Importing ``llama_cpp`` loads libllama/libggml (about 20 MiB and, on GPU builds, the CUDA or
Metal runtime, where a broken driver can hang or crash), so the GUI process never does it:
:func:`probe_backends` runs ``slmdesk probe-engines`` as a child process
(:func:`slmdesk.core.process.self_command`, from source and frozen alike;
:func:`slmdesk.engine.probe.probe_engines` prints one JSON object) and caches the answer per
installed engine build and dispatch settings.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from slmdesk.core import serial
from slmdesk.core.files import write_json_atomic
from slmdesk.core.process import self_command
from slmdesk.hardware.versions import llama_build_recipe, package_version

DISPATCH_ENV = ("SLMDESK_LLAMA_AMX", "SLMDESK_LLAMA_CPU_VARIANT", "SLMDESK_LLAMA_REPACK")
"""The environment variables that change llama.cpp's CPU dispatch
(:data:`slmdesk.engine.cpu_dispatch.ENV_NAMES`; a test keeps the two lists equal)."""

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 60.0
CACHE_FILE = "backends.json"


@dataclass(frozen=True)
class BackendInfo:
    """Engine capabilities of this installation.

    Attributes:
        llama_version: llama-cpp-python's version, None when it is not installed.
        llama_gpu_offload: ``llama_supports_gpu_offload()``; None when unknown.
        llama_devices: llama.cpp's devices as ``"NAME: description [type, free/total MiB]"``
            (``ggml_backend_dev_*``; the CPU device reports total RAM as free, so ignore it).
        llama_gpu_memory: ``(description, free bytes, total bytes)`` of llama.cpp's GPU devices.
        llama_system_info: ``llama_print_system_info()`` ("CPU : SSE3 = 1 | AVX2 = 1 | ...").
        llama_runtime: what llama.cpp runs on, as a plain mapping of
            :class:`slmdesk.engine.types.RuntimeInfo` (CPU variant, features, notes).
        onnxruntime_version: onnxruntime's version, None when not installed.
        onnx_providers: ``onnxruntime.get_available_providers()``.
        error: why a part of the probe failed, if it did.
    """

    llama_version: str | None
    llama_gpu_offload: bool | None
    llama_devices: tuple[str, ...]
    llama_gpu_memory: tuple[tuple[str, int, int], ...]
    llama_system_info: str
    llama_runtime: Mapping[str, Any]
    onnxruntime_version: str | None
    onnx_providers: tuple[str, ...]
    error: str = ""

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> BackendInfo:
        """Read the JSON printed by ``slmdesk probe-engines`` or the cache; a missing key is
        unknown (None, empty); unknown keys are ignored.

        Raises:
            TypeError: ``raw`` is not an object.
            ValueError: a value has the wrong type (the message names the field).
        """
        if not isinstance(raw, Mapping):
            raise TypeError(f"the engine probe gave {type(raw).__name__}, not an object")
        info = serial.from_builtins(cls, {**_UNKNOWN, **raw})
        return replace(info, llama_runtime=MappingProxyType(dict(info.llama_runtime or {})))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the inverse of :meth:`from_dict`)."""
        data: dict[str, Any] = serial.to_builtins(self)
        return data


_UNKNOWN: dict[str, Any] = {
    "llama_version": None, "llama_gpu_offload": None, "llama_devices": [], "llama_gpu_memory": [],
    "llama_system_info": "", "llama_runtime": {}, "onnxruntime_version": None, "onnx_providers": [],
}
""":class:`BackendInfo` of a probe that found nothing (what a missing key means)."""


def _cache_key() -> str:
    dispatch = {name: os.environ.get(name, "") for name in DISPATCH_ENV}
    return json.dumps(
        [sys.executable, package_version("llama-cpp-python"), str((llama_build_recipe() or {}).get("key", "")),
         package_version("onnxruntime"), dispatch]
    )


def cached_backends(cache_dir: Path) -> BackendInfo | None:
    """The cached probe for the installed engines and dispatch settings, None when there is
    none (nothing is started: safe on the GUI thread)."""
    try:
        cached = json.loads((cache_dir / CACHE_FILE).read_text(encoding="utf-8"))
        if cached.get("key") == _cache_key():
            return BackendInfo.from_dict(cached["info"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def probe_backends(cache_dir: Path | None = None, refresh: bool = False) -> BackendInfo:
    """The engines' capabilities, from the cache when the installed versions are unchanged.

    Runs ``slmdesk probe-engines`` in a child process (at most :data:`PROBE_TIMEOUT_S` seconds;
    about 1 s on the build machine). Never raises: failures come back in
    :attr:`BackendInfo.error` with unknown values.
    """
    cache = cache_dir / CACHE_FILE if cache_dir is not None else None
    if cache_dir is not None and not refresh:
        known = cached_backends(cache_dir)
        if known is not None:
            return known
    key = _cache_key()
    try:
        done = subprocess.run(
            self_command("probe-engines"),
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
        )
        lines = done.stdout.strip().splitlines()
        raw = json.loads(lines[-1]) if done.returncode == 0 and lines else None
        if raw is None:
            raw = {"error": f"probe exited with {done.returncode}: {done.stderr.strip()[-300:]}"}
    except (OSError, subprocess.TimeoutExpired, ValueError) as error:
        raw = {"error": f"probe failed: {error}"}
    try:
        info = BackendInfo.from_dict(raw)
    except (TypeError, ValueError) as error:  # a probe of another slmdesk version: report, never raise
        info = BackendInfo.from_dict({"error": f"probe answered in an unknown form: {error}"})
    if cache is not None and not info.error:
        try:
            write_json_atomic(cache, {"key": key, "info": info.to_dict()})
        except OSError as error:
            log.warning("cannot cache the engine probe in %s: %s", cache, error)
    return info
