"""What the installed engines can use: llama.cpp's GPU offload and devices, ONNX Runtime's providers.

Importing ``llama_cpp`` loads libllama/libggml (about 20 MiB and, on GPU builds, the CUDA or
Metal runtime), so the GUI process never does it: :func:`probe_backends` runs this module as a
child process (``python -m slmdesk.hardware.backends``, which prints one JSON object) and caches
the answer per installed engine versions. A frozen app (PyInstaller), which cannot run
``-m``, probes in-process instead, lazily, when a profile is first asked for.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from slmdesk.core.files import write_json_atomic
from slmdesk.hardware.versions import package_version

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
        onnxruntime_version: onnxruntime's version, None when not installed.
        onnx_providers: ``onnxruntime.get_available_providers()``.
        error: why a part of the probe failed, if it did.
    """

    llama_version: str | None
    llama_gpu_offload: bool | None
    llama_devices: tuple[str, ...]
    llama_gpu_memory: tuple[tuple[str, int, int], ...]
    llama_system_info: str
    onnxruntime_version: str | None
    onnx_providers: tuple[str, ...]
    error: str = ""

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> BackendInfo:
        """Read the JSON written by :func:`_probe_here` or the cache."""
        return cls(
            llama_version=raw.get("llama_version"),
            llama_gpu_offload=raw.get("llama_gpu_offload"),
            llama_devices=tuple(raw.get("llama_devices", ())),
            llama_gpu_memory=tuple((str(d), int(f), int(t)) for d, f, t in raw.get("llama_gpu_memory", ())),
            llama_system_info=str(raw.get("llama_system_info", "")),
            onnxruntime_version=raw.get("onnxruntime_version"),
            onnx_providers=tuple(raw.get("onnx_providers", ())),
            error=str(raw.get("error", "")),
        )


def _llama_devices() -> tuple[list[str], list[tuple[str, int, int]]]:
    """llama.cpp's device list through the ggml backend API (not wrapped by llama-cpp-python;
    declarations in ``ggml/include/ggml-backend.h``; field notes §2.5)."""
    import ctypes

    import llama_cpp
    from llama_cpp import _ggml

    lib = _ggml.libggml
    lib.ggml_backend_dev_count.restype = ctypes.c_size_t
    lib.ggml_backend_dev_get.argtypes = [ctypes.c_size_t]
    lib.ggml_backend_dev_get.restype = ctypes.c_void_p
    lib.ggml_backend_dev_name.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_dev_name.restype = ctypes.c_char_p
    lib.ggml_backend_dev_description.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_dev_description.restype = ctypes.c_char_p
    lib.ggml_backend_dev_type.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_dev_type.restype = ctypes.c_int
    lib.ggml_backend_dev_memory.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_size_t)]
    lib.ggml_backend_dev_memory.restype = None
    llama_cpp.llama_backend_init()
    names = {0: "CPU", 1: "GPU", 2: "iGPU", 3: "accelerator", 4: "meta"}
    devices: list[str] = []
    gpus: list[tuple[str, int, int]] = []
    for index in range(lib.ggml_backend_dev_count()):
        dev = lib.ggml_backend_dev_get(index)
        free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
        lib.ggml_backend_dev_memory(dev, ctypes.byref(free), ctypes.byref(total))
        kind = lib.ggml_backend_dev_type(dev)
        name = (lib.ggml_backend_dev_name(dev) or b"").decode(errors="replace")
        description = (lib.ggml_backend_dev_description(dev) or b"").decode(errors="replace")
        devices.append(f"{name}: {description} [{names.get(kind, kind)}, {free.value >> 20}/{total.value >> 20} MiB]")
        if kind in (1, 2):
            gpus.append((description or name, free.value, total.value))
    return devices, gpus


def _probe_here() -> dict[str, Any]:
    """Import the engines in this process and report; never raises."""
    result: dict[str, Any] = {
        "llama_version": package_version("llama-cpp-python"),
        "llama_gpu_offload": None,
        "llama_devices": [],
        "llama_gpu_memory": [],
        "llama_system_info": "",
        "onnxruntime_version": package_version("onnxruntime"),
        "onnx_providers": [],
        "error": "",
    }
    errors: list[str] = []
    if result["llama_version"]:
        try:
            import llama_cpp

            result["llama_gpu_offload"] = bool(llama_cpp.llama_supports_gpu_offload())
            result["llama_system_info"] = llama_cpp.llama_print_system_info().decode(errors="replace").strip()
        except Exception as error:  # a broken build must not break the hardware profile
            errors.append(f"llama_cpp: {error}")
        else:
            try:
                devices, gpus = _llama_devices()
                result["llama_devices"], result["llama_gpu_memory"] = devices, gpus
            except Exception as error:
                errors.append(f"ggml devices: {error}")
    if result["onnxruntime_version"]:
        try:
            import onnxruntime

            result["onnx_providers"] = list(onnxruntime.get_available_providers())
        except Exception as error:
            errors.append(f"onnxruntime: {error}")
    result["error"] = "; ".join(errors)
    return result


def _cache_key() -> str:
    return json.dumps(
        [sys.executable, package_version("llama-cpp-python"), package_version("onnxruntime")]
    )


def probe_backends(cache_dir: Path | None = None, refresh: bool = False) -> BackendInfo:
    """The engines' capabilities, from the cache when the installed versions are unchanged.

    Runs ``python -m slmdesk.hardware.backends`` (at most :data:`PROBE_TIMEOUT_S` seconds; about
    1 s on the build machine) unless the app is frozen, in which case the engines are imported
    here. Never raises: failures come back in :attr:`BackendInfo.error` with unknown values.
    """
    key = _cache_key()
    cache = cache_dir / CACHE_FILE if cache_dir is not None else None
    if cache is not None and not refresh:
        try:
            cached = json.loads(cache.read_text(encoding="utf-8"))
            if cached.get("key") == key:
                return BackendInfo.from_dict(cached["info"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    if getattr(sys, "frozen", False):
        raw = _probe_here()
    else:
        try:
            done = subprocess.run(
                [sys.executable, "-m", "slmdesk.hardware.backends"],
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
    info = BackendInfo.from_dict(raw)
    if cache is not None and not info.error:
        try:
            write_json_atomic(cache, {"key": key, "info": asdict(info)})
        except OSError as error:
            log.warning("cannot cache the engine probe in %s: %s", cache, error)
    return info


if __name__ == "__main__":
    import contextlib
    import io

    # llama.cpp may log to stdout on some builds; keep stdout for the JSON line only.
    with contextlib.redirect_stdout(io.StringIO()):
        report = _probe_here()
    print(json.dumps(report), flush=True)
