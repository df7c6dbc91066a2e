"""The probe of this machine, for real: psutil, NVML, and ``slmdesk probe-engines`` in a child
process (llama.cpp and ONNX Runtime are imported there, never here)."""

from __future__ import annotations

import sys

from slmdesk import paths
from slmdesk.core.units import MIB
from slmdesk.hardware import backends
from slmdesk.hardware.profile import THIS_MACHINE, probe


def test_probe_this_machine(app_paths: paths.AppPaths) -> None:
    had_llama = "llama_cpp" in sys.modules
    profile = probe(app_paths, measure_bandwidth=False)
    assert profile.name == THIS_MACHINE and profile.source == "probed"
    assert profile.ram_total_bytes > 256 * MIB
    assert 0 < profile.ram_available_bytes <= profile.ram_total_bytes
    assert profile.logical_cores and profile.logical_cores >= 1
    assert profile.models_disk_free_bytes is not None and profile.models_disk_free_bytes > 0
    assert profile.memory_bandwidth_bytes_per_s is None  # not measured, nothing cached yet
    for device in profile.gpus:
        assert 0 <= device.vram_free_bytes <= device.vram_total_bytes
    # the engine probe ran in a child process and answered
    assert profile.llama_gpu_offload in (True, False)
    assert "CPUExecutionProvider" in profile.onnx_providers
    if sys.platform.startswith("linux"):
        assert profile.cpu_model
    assert ("llama_cpp" in sys.modules) == had_llama  # probed in a child, not imported here
    assert (app_paths.cache / "hardware" / backends.CACHE_FILE).is_file()
