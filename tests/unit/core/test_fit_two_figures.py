"""The fit estimate's two figures (at load / short prompt, with the context full) and its two
speed bounds, on hand-built ModelSpecs of the starter models.

Measured figures come from ``benchmarks/fit_accuracy.py --fill`` on the build machine (a fresh
engine process per row: peak after a short chat message, then after one that fills the context).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from slmdesk.core import fit
from slmdesk.core.fit import FitOptions, Verdict
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.profiles import cpu_only_profile
from slmdesk.core.units import GIB, MIB


def starter_spec(
    name: str, *, n_layer: int, n_head: int, n_head_kv: int, head_dim: int, n_embd: int, n_ff: int,
    n_vocab: int, layer_bytes: int, input_bytes: int, output_bytes: int, context_length: int,
    sliding_window: int | None = None,
) -> ModelSpec:  # fmt: skip
    """A GGUF header as the reader returns it (tied embeddings; every 6th layer global when
    there is a sliding window, as in Gemma 3)."""
    swa = tuple(il % 6 < 5 for il in range(n_layer)) if sliding_window else ()
    weights = n_layer * layer_bytes + input_bytes + output_bytes
    path = Path(f"/models/{name}.gguf")
    return ModelSpec(
        format="gguf", path=path, files=(path,), file_bytes=weights + 2 * MIB, architecture=name,
        weights_bytes=weights, n_layer=n_layer, context_length=context_length, n_embd=n_embd,
        n_ff=(n_ff,) * n_layer, n_head=(n_head,) * n_layer, n_head_kv=(n_head_kv,) * n_layer,
        head_dim_k=head_dim, head_dim_v=head_dim, sliding_window=sliding_window, swa_layers=swa,
        n_vocab=n_vocab, layer_weights_bytes=(layer_bytes,) * n_layer, input_weights_bytes=input_bytes,
        output_weights_bytes=output_bytes, tied_embeddings=True,
    )  # fmt: skip


# SmolLM2-135M-Instruct Q4_1 and Gemma 3 270M Q4_K_M (tensor bytes from the files).
SMOLLM2 = starter_spec(
    "llama", n_layer=30, n_head=9, n_head_kv=3, head_dim=64, n_embd=576, n_ff=1536, n_vocab=49152,
    layer_bytes=2_216_448, input_bytes=30_081_024, output_bytes=2304, context_length=8192,
)  # fmt: skip
GEMMA3 = starter_spec(
    "gemma3", n_layer=18, n_head=4, n_head_kv=1, head_dim=256, n_embd=640, n_ff=2048, n_vocab=262144,
    layer_bytes=(246_587_904 - 178_257_920 - 2560) // 18, input_bytes=178_257_920, output_bytes=2560,
    context_length=32768, sliding_window=512,
)  # fmt: skip
MACHINE = cpu_only_profile("build machine", 24 * GIB, 20 * GIB, bandwidth_bytes_per_s=50e9)


def test_the_figures_differ_only_by_the_compute_buffers_touched() -> None:
    result = fit.estimate(SMOLLM2, FitOptions(n_ctx=8192), MACHINE)
    # The KV cache is cleared (written) when llama.cpp creates the context, so it is in both.
    resident = result.weights_host_bytes + result.kv_cache_host_bytes + result.overhead_bytes
    assert result.kv_cache_host_bytes == 180 * MIB
    assert result.total_host_at_load_bytes == resident + result.compute_host_at_load_bytes
    assert result.total_host_context_full_bytes == resident + result.compute_host_context_full_bytes
    # Without flash attention the scores of a 512-token batch against 8192 cells dominate:
    # 512 x 8192 x (6 x 9 heads + 4) bytes = 232 MiB touched only once the context is full.
    assert result.compute_host_context_full_bytes - result.compute_host_at_load_bytes > 220 * MIB
    # With no scenario asked for, the verdict's total is the full context.
    assert result.total_host_bytes == result.total_host_context_full_bytes


@pytest.mark.parametrize(
    ("spec", "n_ctx", "kv", "measured_short_mib", "measured_full_mib"),
    [
        (SMOLLM2, 512, "f16", 178.8, 195.0),
        (SMOLLM2, 2048, "f16", 213.4, 268.0),
        (SMOLLM2, 2048, "q8_0", 192.4, 205.4),
    ],
)
def test_each_figure_is_within_10_percent_of_its_measurement(
    spec: ModelSpec, n_ctx: int, kv: str, measured_short_mib: float, measured_full_mib: float
) -> None:
    # benchmarks/fit_accuracy.py --fill (engine process, peak after a 45-token exchange, then
    # after filling the context), build machine, AVX2 + AVX-512 CPU features.
    profile = replace(MACHINE, cpu_features=("avx2", "avx512f"))
    result = fit.estimate(spec, FitOptions(n_ctx=n_ctx, kv_type=kv, flash_attn=kv != "f16"), profile)
    assert result.total_host_at_load_bytes / MIB == pytest.approx(measured_short_mib, rel=0.10)
    assert result.total_host_context_full_bytes / MIB == pytest.approx(measured_full_mib, rel=0.10)


def test_a_scenario_lies_between_the_two_figures() -> None:
    options = FitOptions(n_ctx=8192)
    result = fit.estimate(SMOLLM2, options, MACHINE)
    half = fit.estimate(SMOLLM2, replace(options, tokens_in_context=4096), MACHINE)
    assert result.total_host_at_load_bytes < half.total_host_bytes < result.total_host_context_full_bytes
    # The two figures do not depend on the scenario asked for.
    assert half.total_host_at_load_bytes == result.total_host_at_load_bytes
    assert half.total_host_context_full_bytes == result.total_host_context_full_bytes


def test_the_verdict_is_judged_with_the_context_full() -> None:
    result = fit.estimate(SMOLLM2, FitOptions(n_ctx=8192), MACHINE)
    between = (result.total_host_at_load_bytes + result.total_host_context_full_bytes) // 2
    squeezed = cpu_only_profile("squeezed", 4 * GIB, between)
    judged = fit.estimate(SMOLLM2, FitOptions(n_ctx=8192), squeezed)
    assert judged.total_host_at_load_bytes < squeezed.ram_available_bytes  # it loads...
    assert judged.verdict is Verdict.WILL_NOT_FIT  # ...but a long conversation would not fit
    assert judged.max_ctx is not None and judged.max_ctx < 8192


def test_sliding_window_models_and_flash_attention() -> None:
    flash = fit.estimate(GEMMA3, FitOptions(n_ctx=32768, kv_type="q8_0", flash_attn=True), MACHINE)
    plain = fit.estimate(GEMMA3, FitOptions(n_ctx=32768), MACHINE)
    # Flash attention touches a 2.5-byte mask per (cell, token), not 4-byte scores per head.
    grown_flash = flash.total_host_context_full_bytes - flash.total_host_at_load_bytes
    grown_plain = plain.total_host_context_full_bytes - plain.total_host_at_load_bytes
    assert 0 < grown_flash < grown_plain / 5


def test_memory_figures_rows_add_up() -> None:
    result = fit.estimate(GEMMA3, FitOptions(n_ctx=4096), MACHINE)
    rows = fit.memory_figures(result)
    assert [label for label, _, _ in rows] == ["RAM, at load / short prompt", "RAM, with the context full"]
    assert [sum(size for _, size in parts) for _, parts, _ in rows] == [
        result.total_host_at_load_bytes,
        result.total_host_context_full_bytes,
    ]
    assert {available for _, _, available in rows} == {20 * GIB}


def test_json_gives_both_figures_and_both_bounds() -> None:
    result = fit.estimate(SMOLLM2, FitOptions(n_ctx=4096), MACHINE)
    data = result.to_json_dict()
    assert data["total_host_at_load_bytes"] == result.total_host_at_load_bytes
    assert data["total_host_context_full_bytes"] == result.total_host_context_full_bytes == data["total_host_bytes"]
    assert data["short_prompt_tokens"] == fit.SHORT_PROMPT_TOKENS == 256
    assert data["compute_at_load_bytes"] < data["compute_context_full_bytes"] == data["compute_bytes"]
    assert data["tg_tokens_per_s_bound"] > data["tg_tokens_per_s_bound_context_full"] > 0


# --- speed bounds -----------------------------------------------------------------------------


def test_the_default_bound_is_an_empty_context_and_no_context_beats_it() -> None:
    result = fit.estimate(SMOLLM2, FitOptions(n_ctx=8192), MACHINE)
    # Every repeating layer and the tied embedding as the output matrix, no KV cache.
    weights_read = 30 * 2_216_448 + 30_081_024 + 2304
    assert result.bytes_per_token == weights_read
    assert result.tg_tokens_per_s_bound == pytest.approx(50e9 / weights_read)
    # With the context full each token also reads K and V of 8192 cells in 30 layers.
    assert result.bytes_per_token_context_full == weights_read + 8192 * 30 * 2 * 384
    assert result.tg_tokens_per_s_bound_context_full == pytest.approx(50e9 / result.bytes_per_token_context_full)
    for tokens in (1, 128, 1024, 8192):
        at = fit.estimate(SMOLLM2, FitOptions(n_ctx=8192, tokens_in_context=tokens), MACHINE)
        assert result.tg_tokens_per_s_bound_context_full <= at.tg_tokens_per_s_bound <= result.tg_tokens_per_s_bound


def test_a_sliding_window_layer_reads_only_its_window() -> None:
    result = fit.estimate(GEMMA3, FitOptions(n_ctx=32768), MACHINE)
    cells = fit.kv_cells_per_layer(GEMMA3, FitOptions(n_ctx=32768))
    per_cell = fit.kv_bytes_per_cell(GEMMA3, FitOptions(n_ctx=32768))
    kv_full = sum(c * b for c, b in zip(cells, per_cell, strict=True))
    assert result.bytes_per_token_context_full == result.bytes_per_token + kv_full
    assert max(cells) == 32768 and min(cells) == 1024  # 3 global layers, 15 windowed ones


def test_onnx_has_both_figures() -> None:
    spec = ModelSpec(
        format="onnx", path=Path("/models/smol-onnx"), files=(Path("/models/smol-onnx/model.onnx.data"),),
        file_bytes=86_513_245, architecture="llama", quantization="int4", weights_bytes=86_513_245,
        n_layer=30, context_length=8192, n_embd=576, n_head=(9,) * 30, n_head_kv=(3,) * 30,
        head_dim_k=64, head_dim_v=64, n_vocab=49152,
    )  # fmt: skip
    result = fit.estimate(spec, FitOptions(n_ctx=8192), MACHINE)
    assert result.total_host_context_full_bytes == result.total_host_bytes
    assert result.total_host_at_load_bytes < result.total_host_context_full_bytes
    # float32 past key/values sized to the reply: 256 tokens at load, 8192 with the context full
    assert result.total_host_context_full_bytes - result.total_host_at_load_bytes > (8192 - 256) * 46080
    assert result.bytes_per_token == 86_513_245
