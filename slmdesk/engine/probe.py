"""What the installed engines can use on this machine, reported by a child process as JSON.

Importing ``llama_cpp`` loads libllama/libggml and, on GPU builds, the CUDA or Metal runtime;
a broken driver can hang or crash there. So the GUI never imports it:
:func:`slmdesk.hardware.backends.probe_backends` runs ``slmdesk probe-engines`` (this module's
:func:`probe_engines`, printed as one JSON line) and caches the answer.
"""

from __future__ import annotations

import ctypes
from dataclasses import asdict
from typing import Any

from slmdesk.hardware.versions import package_version

_DEVICE_TYPES = {0: "CPU", 1: "GPU", 2: "iGPU", 3: "accelerator", 4: "meta"}
"""``enum ggml_backend_dev_type`` (ggml/include/ggml-backend.h)."""


def _llama_devices() -> tuple[list[str], list[tuple[str, int, int]]]:
    """llama.cpp's devices through the ggml device API (``ggml/include/ggml-backend.h``; field
    notes section 2.5): ``(["NAME: description [type, free/total MiB]"], [(GPU description,
    free bytes, total bytes)])``. The CPU device reports total RAM as free: use psutil for RAM."""
    from slmdesk.engine import llama_runtime

    lib = llama_runtime.libggml()
    devices: list[str] = []
    gpus: list[tuple[str, int, int]] = []
    for index in range(lib.ggml_backend_dev_count()):
        dev = lib.ggml_backend_dev_get(index)
        free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
        lib.ggml_backend_dev_memory(dev, ctypes.byref(free), ctypes.byref(total))
        kind = lib.ggml_backend_dev_type(dev)
        name = (lib.ggml_backend_dev_name(dev) or b"").decode(errors="replace")
        description = (lib.ggml_backend_dev_description(dev) or b"").decode(errors="replace")
        devices.append(
            f"{name}: {description} [{_DEVICE_TYPES.get(kind, kind)}, {free.value >> 20}/{total.value >> 20} MiB]"
        )
        if kind in (1, 2):
            gpus.append((description or name, free.value, total.value))
    return devices, gpus


def probe_engines() -> dict[str, Any]:
    """Import the engines in this process and report what they can use; never raises (a part
    that fails is named in ``"error"``). Keys: those of
    :class:`slmdesk.hardware.backends.BackendInfo`."""
    result: dict[str, Any] = {
        "llama_version": package_version("llama-cpp-python"),
        "llama_gpu_offload": None,
        "llama_devices": [],
        "llama_gpu_memory": [],
        "llama_system_info": "",
        "llama_runtime": {},
        "onnxruntime_version": package_version("onnxruntime"),
        "onnx_providers": [],
        "error": "",
    }
    errors: list[str] = []
    if result["llama_version"]:
        try:
            import llama_cpp

            from slmdesk.engine import llama_runtime

            runtime = llama_runtime.ensure_backends()
            result["llama_runtime"] = asdict(runtime)
            result["llama_gpu_offload"] = bool(llama_cpp.llama_supports_gpu_offload())
            result["llama_system_info"] = llama_cpp.llama_print_system_info().decode(errors="replace").strip()
            result["llama_devices"], result["llama_gpu_memory"] = _llama_devices()
        except Exception as error:  # noqa: BLE001 - a broken build must not break the hardware profile
            errors.append(f"llama_cpp: {error}")
    if result["onnxruntime_version"]:
        try:
            import onnxruntime

            result["onnx_providers"] = list(onnxruntime.get_available_providers())
        except Exception as error:  # noqa: BLE001 - a broken install must not break the hardware profile
            errors.append(f"onnxruntime: {error}")
    result["error"] = "; ".join(errors)
    return result
