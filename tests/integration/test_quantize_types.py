"""The per-tensor type choice and size prediction of slmdesk.quantize.types against llama.cpp
itself: small synthetic F16 GGUFs quantized to every type that needs no importance matrix."""

from __future__ import annotations

from pathlib import Path

import pytest

from slmdesk.core.quant_types import GGML_TYPES
from slmdesk.core.tasks import run_inline
from slmdesk.formats.gguf import read_header
from slmdesk.quantize.gguf_quantize import prepare, quantize_task
from slmdesk.quantize.types import QUANT_TYPES, tensor_types
from tests.gguf_factory import write_gguf

NO_IMATRIX = [t.name for t in QUANT_TYPES.values() if not t.needs_imatrix and not t.moe_only]


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 layers (so that use_more_bits picks some), GQA 4, untied output, n_embd 256 (K-quants fit)
    and n_ff 320 (no multiple of 256: ffn_down falls back)."""
    folder = tmp_path_factory.mktemp("toy")
    [path] = write_gguf(folder / "toy-F16.gguf", tensor_type="F16", file_type=1, n_layer=8, n_embd=256,
                        n_ff=320, n_head=8, n_head_kv=2, tied=False, n_vocab=64)
    return path


@pytest.mark.parametrize("type_name", NO_IMATRIX)
def test_predicted_types_and_size_match_llama_cpp(toy: Path, tmp_path: Path, type_name: str) -> None:
    plan = prepare(toy, type_name, tmp_path / f"toy-{type_name}.gguf", verify_load=False)
    result = run_inline(quantize_task(plan))
    written = read_header(result.path)
    actual = {t.name: GGML_TYPES[t.ggml_type].name for t in written.tensors}
    assert actual == tensor_types(read_header(toy), type_name)
    assert result.size_bytes == plan.predicted_bytes == result.path.stat().st_size
