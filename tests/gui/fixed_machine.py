"""The machine the ``quick_machine_probe`` fixture (tests/gui/conftest.py) makes the hardware
probe see: what a test can expect of "This machine" on any computer."""

from __future__ import annotations

from slmdesk.core.units import GIB
from slmdesk.hardware.backends import BackendInfo

MACHINE_RAM_TOTAL = 16 * GIB
MACHINE_RAM_AVAILABLE = 6 * GIB
MEASURED_BANDWIDTHS = (20e9, 24e9)
"""What the stand-in bandwidth benchmark reports: first, then on every later measurement."""
CPU_ONLY_ENGINES = BackendInfo.from_dict({
    "llama_version": "0.3.36", "llama_gpu_offload": False, "llama_devices": ["CPU: test CPU"],
    "onnxruntime_version": "1.22.0", "onnx_providers": ["CPUExecutionProvider"],
})
"""The engine probe's answer: llama.cpp and ONNX Runtime without any GPU."""
