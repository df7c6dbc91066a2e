"""Fixtures of the end-to-end tests: models built once per machine and cached in TEST_CACHE."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TEST_CACHE
from tests.e2e import onnx_model


@pytest.fixture(scope="session")
def smollm2_onnx(smollm2_gguf: Path) -> Path:
    """SmolLM2-135M-Instruct as an ONNX Runtime GenAI int4 CPU model, built from the starter GGUF.

    Built once (about 2.5 minutes on 2 busy cores: 110 s GGUF -> HF, 35 s builder) and cached
    under ``TEST_CACHE / "onnx"`` keyed by the GGUF's SHA-256. Skips only when the
    ``onnx-build`` extra (torch, transformers, accelerate, onnx, onnx_ir) is not installed.
    """
    try:
        return onnx_model.build_onnx_from_gguf(smollm2_gguf, TEST_CACHE / "onnx")
    except onnx_model.OnnxBuildUnavailable as reason:
        pytest.skip(str(reason))
