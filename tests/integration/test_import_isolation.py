"""What a fresh interpreter imports: the GUI side of the engine never loads an inference library,
and the ONNX backend turns telemetry off before onnxruntime_genai loads."""

from __future__ import annotations

import os
import subprocess
import sys

from slmdesk.engine.backend_onnx import TELEMETRY_ENV, import_genai


def test_the_client_side_never_loads_an_inference_library() -> None:
    """The GUI process imports slmdesk.engine; llama_cpp / onnxruntime_genai stay out of it."""
    code = (
        "import sys\n"
        "import slmdesk.engine, slmdesk.engine.client, slmdesk.engine.templates, slmdesk.engine.host\n"
        "import slmdesk.cli; slmdesk.cli.build_parser()\n"
        "print(sorted(m for m in ('llama_cpp', 'onnxruntime_genai', 'onnxruntime', 'torch') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_import_genai_sets_the_opt_out_variable_first() -> None:
    """In a fresh interpreter: the environment variable is set before onnxruntime_genai loads."""
    code = (
        "import os, sys\n"
        "from slmdesk.engine.backend_onnx import import_genai\n"
        "assert 'onnxruntime_genai' not in sys.modules\n"
        "og = import_genai()\n"
        f"print(os.environ['{TELEMETRY_ENV}'], og.__version__)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != TELEMETRY_ENV}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "0.18.0"]
    assert import_genai().__name__ == "onnxruntime_genai"
