"""The fit estimator on hand-built ModelSpecs: llama.cpp's KV sizes, padding, compute buffers,
verdicts, the largest context, GPU offload and the speed bound.

Expected numbers come from llama.cpp's own log lines on the starter models (``llama_kv_cache:
size = ...``, ``sched_reserve: CPU compute buffer size = ...``, measured with
``benchmarks/fit_accuracy.py --logs``) and from the worked examples in field notes §1.5.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from slmdesk.core import fit
from slmdesk.core.errors import UserError
from slmdesk.core.fit import FitOptions, Verdict
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.profiles import PRESETS, GpuInfo, HardwareProfile, cpu_only_profile
from slmdesk.core.units import GIB, MIB


def make_spec(
    *,
    n_layer: int,
    n_head: int,
    n_head_kv: int,
    head_dim: int,
    n_embd: int,
    n_ff: int,
    n_vocab: int,
    layer_bytes: int,
    input_bytes: int,
    output_bytes: int,
    tied: bool = True,
    context_length: int = 8192,
    sliding_window: int | None = None,
    swa_pattern: int | None = None,
    architecture: str = "llama",
) -> ModelSpec:
    swa = ()
    if sliding_window and swa_pattern:
        swa = tuple(il % swa_pattern < swa_pattern - 1 for il in range(n_layer))
    weights = n_layer * layer_bytes + input_bytes + output_bytes
    return ModelSpec(
        format="gguf",
        path=Path(f"/models/{architecture}.gguf"),
        files=(Path(f"/models/{architecture}.gguf"),),
        file_bytes=weights + 2 * MIB,
        architecture=architecture,
        weights_bytes=weights,
        n_layer=n_layer,
        context_length=context_length,
        n_embd=n_embd,
        n_ff=(n_ff,) * n_layer,
        n_head=(n_head,) * n_layer,
        n_head_kv=(n_head_kv,) * n_layer,
        head_dim_k=head_dim,
        head_dim_v=head_dim,
        sliding_window=sliding_window,
        swa_layers=swa,
        n_vocab=n_vocab,
        layer_weights_bytes=(layer_bytes,) * n_layer,
        input_weights_bytes=input_bytes,
        output_weights_bytes=output_bytes,
        tied_embeddings=tied,
    )


# SmolLM2-135M-Instruct Q4_1 as its header describes it (tensor bytes from the file).
SMOLLM2 = make_spec(
    n_layer=30, n_head=9, n_head_kv=3, head_dim=64, n_embd=576, n_ff=1536, n_vocab=49152,
    layer_bytes=2_216_448, input_bytes=30_081_024, output_bytes=2304, context_length=8192,
)  # fmt: skip
# Gemma 3 270M Q4_K_M (layer bytes averaged: the file mixes Q4_K and Q6_K ffn_down).
GEMMA3 = make_spec(
    n_layer=18, n_head=4, n_head_kv=1, head_dim=256, n_embd=640, n_ff=2048, n_vocab=262144,
    layer_bytes=(246_587_904 - 178_257_920 - 2560) // 18, input_bytes=178_257_920, output_bytes=2560,
    context_length=32768, sliding_window=512, swa_pattern=6, architecture="gemma3",
)  # fmt: skip
# Llama-3.1-8B-like (field notes §1.5): 32 layers, 8 KV heads of 128; Q4_K_M-sized weights.
LLAMA8B = make_spec(
    n_layer=32, n_head=32, n_head_kv=8, head_dim=128, n_embd=4096, n_ff=14336, n_vocab=128256,
    layer_bytes=4096 * 14336 * 3 * 9 // 16 + 4096 * 6144 * 9 // 16, input_bytes=128256 * 4096 * 9 // 16,
    output_bytes=128256 * 4096 * 13 // 16, tied=False, context_length=131072,
)  # fmt: skip

BIG_MACHINE = cpu_only_profile("big", 64 * GIB, 60 * GIB, bandwidth_bytes_per_s=50e9)


def kv(spec: ModelSpec, **options: object) -> int:
    return sum(fit.kv_cache_bytes_per_layer(spec, FitOptions(**options)))  # type: ignore[arg-type]


# --- KV cache --------------------------------------------------------------------------------


def test_kv_cache_matches_llama_cpp_log_for_smollm2() -> None:
    # llama_kv_cache: size = 45.00 MiB (2048 cells, 30 layers), K (f16) 22.50, V (f16) 22.50
    assert kv(SMOLLM2, n_ctx=2048) == 45 * MIB
    # q8_0: 23.91 MiB; 192 values per row = 6 blocks of 34 bytes
    assert kv(SMOLLM2, n_ctx=2048, kv_type="q8_0", flash_attn=True) == 2048 * 30 * 2 * 204
    # 32768 cells (beyond the trained 8192): 720.00 MiB
    assert kv(SMOLLM2, n_ctx=32768) == 720 * MIB


def test_sliding_window_layers_follow_swa_full() -> None:
    # Gemma 3 270M at 32768, measured: swa_full=True -> 96 MiB (3 global) + 480 MiB (15 SWA);
    # swa_full=False (slmdesk's engine) -> 96 MiB + 15 MiB (15 layers x 1024 cells).
    assert kv(GEMMA3, n_ctx=32768, swa_full=True) == 576 * MIB
    assert kv(GEMMA3, n_ctx=32768, swa_full=False) == 111 * MIB
    # at 512 the window cache is pad256(min(512, 512 + 512)) = 512 cells: 1.5 + 7.5 MiB
    assert kv(GEMMA3, n_ctx=512, swa_full=False) == 9 * MIB
    cells = fit.kv_cells_per_layer(GEMMA3, FitOptions(n_ctx=32768))
    assert [il for il, c in enumerate(cells) if c == 32768] == [5, 11, 17]


def test_field_notes_worked_examples() -> None:
    assert kv(LLAMA8B, n_ctx=8192) == 1 * GIB  # 128 KiB per token
    gemma1b = make_spec(
        n_layer=26, n_head=4, n_head_kv=1, head_dim=256, n_embd=1152, n_ff=6912, n_vocab=262144,
        layer_bytes=1, input_bytes=1, output_bytes=1, context_length=32768, sliding_window=512, swa_pattern=6,
    )  # fmt: skip
    assert kv(gemma1b, n_ctx=32768, swa_full=True) == 832 * MIB
    assert kv(gemma1b, n_ctx=32768, swa_full=False) == 4 * 32 * MIB + 22 * MIB


def test_n_ctx_is_padded_to_256() -> None:
    assert fit.pad_ctx(300) == 512
    assert fit.pad_ctx(512) == 512
    assert fit.pad_ctx(1) == 256
    result = fit.estimate(SMOLLM2, FitOptions(n_ctx=300), BIG_MACHINE)
    assert result.n_ctx == 512
    assert result.n_ctx_requested == 300
    assert result.kv_cache_bytes == kv(SMOLLM2, n_ctx=512)


def test_quantized_v_cache_needs_flash_attention() -> None:
    with pytest.raises(UserError, match="needs flash attention"):
        fit.estimate(SMOLLM2, FitOptions(kv_type="q8_0", flash_attn=False), BIG_MACHINE)
    # A quantized K cache alone is allowed without it.
    result = fit.estimate(SMOLLM2, FitOptions(n_ctx=2048, kv_type="q8_0", kv_type_v="f16"), BIG_MACHINE)
    assert result.kv_type == "q8_0/f16"
    assert result.kv_cache_bytes == 2048 * 30 * (204 + 384)


def test_unknown_kv_type_is_a_user_error() -> None:
    with pytest.raises(UserError, match="not a KV cache type"):
        fit.estimate(SMOLLM2, FitOptions(kv_type="q3_k"), BIG_MACHINE)


def test_header_without_layers_cannot_be_estimated() -> None:
    broken = replace(SMOLLM2, n_layer=None)
    with pytest.raises(UserError, match="block_count"):
        fit.estimate(broken, FitOptions(), BIG_MACHINE)


# --- compute buffers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "n_ctx", "flash_attn", "logged_mib"),
    [
        (SMOLLM2, 512, False, 98.25),
        (SMOLLM2, 8192, False, 166.38),
        (SMOLLM2, 32768, False, 646.38),
        (SMOLLM2, 32768, True, 98.25),
        (GEMMA3, 32768, False, 514.50),
        (GEMMA3, 8192, True, 514.50),
    ],
)
def test_reserved_compute_buffer_matches_llama_cpp(
    spec: ModelSpec, n_ctx: int, flash_attn: bool, logged_mib: float
) -> None:
    reserved = fit.compute_reserved_bytes(spec, FitOptions(n_ctx=n_ctx, flash_attn=flash_attn, swa_full=True))
    assert reserved / MIB == pytest.approx(logged_mib, abs=0.02)


def test_touched_compute_grows_with_the_used_context() -> None:
    short = FitOptions(n_ctx=2048, tokens_in_context=40, largest_batch=32)
    full = FitOptions(n_ctx=2048)
    # measured peak - resident after load: 3.3 MiB after a 32-token prompt, 64.4 MiB with the
    # context filled in 512-token batches (no flash attention)
    assert fit.compute_touched_bytes(SMOLLM2, short) / MIB == pytest.approx(3.3, abs=1.0)
    assert fit.compute_touched_bytes(SMOLLM2, full) / MIB == pytest.approx(64.4, rel=0.1)
    flash = replace(full, flash_attn=True)
    assert fit.compute_touched_bytes(SMOLLM2, flash) / MIB == pytest.approx(17.2, rel=0.1)


# --- totals and verdicts ------------------------------------------------------------------------


def test_cpu_only_total_is_the_sum_of_its_parts() -> None:
    result = fit.estimate(SMOLLM2, FitOptions(n_ctx=2048), BIG_MACHINE)
    assert result.gpu_layers == 0
    assert result.weights_host_bytes == SMOLLM2.weights_bytes
    assert result.total_device_bytes == 0
    assert result.total_host_bytes == (
        result.weights_host_bytes + result.kv_cache_host_bytes + result.compute_host_bytes + result.overhead_bytes
    )
    assert result.verdict is Verdict.CPU_ONLY
    assert result.max_ctx == 8192  # the trained length fits easily


def test_predicted_peak_for_the_benchmark_scenario() -> None:
    # benchmarks/fit_accuracy.py: SmolLM2, n_ctx 8192, f16, engine peak 345.5 MiB after a
    # 37-token prompt and 8 generated tokens.
    scenario = FitOptions(n_ctx=8192, tokens_in_context=45, largest_batch=37)
    result = fit.estimate(SMOLLM2, scenario, BIG_MACHINE)
    assert result.total_host_bytes / MIB == pytest.approx(345.5, rel=0.05)


def test_verdicts_against_available_memory() -> None:
    need = fit.estimate(SMOLLM2, FitOptions(n_ctx=2048), BIG_MACHINE).total_host_bytes
    roomy = cpu_only_profile("roomy", 4 * need, 2 * need)
    tight = cpu_only_profile("tight", 4 * need, int(need * 1.05))
    small = cpu_only_profile("small", 4 * need, int(need * 0.9))
    assert fit.estimate(SMOLLM2, FitOptions(n_ctx=2048), roomy).verdict is Verdict.CPU_ONLY
    assert fit.estimate(SMOLLM2, FitOptions(n_ctx=2048), tight).verdict is Verdict.TIGHT
    too_small = fit.estimate(SMOLLM2, FitOptions(n_ctx=2048), small)
    assert too_small.verdict is Verdict.WILL_NOT_FIT
    assert not too_small.fits
    assert too_small.verdict.label == "will not fit"
    # judged against available, not total, memory: total is 4x the need here
    assert small.ram_total_bytes > need


def test_max_ctx_is_the_largest_fitting_multiple_of_256() -> None:
    options = FitOptions(n_ctx=32768)
    limit = fit.estimate(GEMMA3, replace(options, n_ctx=8192), BIG_MACHINE).total_host_bytes
    profile = cpu_only_profile("limit", 2 * limit, limit)
    result = fit.estimate(GEMMA3, options, profile)
    assert result.max_ctx is not None and result.max_ctx % 256 == 0
    assert 8192 <= result.max_ctx < 32768
    assert fit.estimate(GEMMA3, replace(options, n_ctx=result.max_ctx), profile).fits
    assert not fit.estimate(GEMMA3, replace(options, n_ctx=result.max_ctx + 256), profile).fits
    assert fit.max_ctx_that_fits(GEMMA3, options, profile) == result.max_ctx


def test_nothing_fits_on_a_tiny_machine() -> None:
    tiny = cpu_only_profile("tiny", 64 * MIB, 32 * MIB)
    result = fit.estimate(GEMMA3, FitOptions(n_ctx=32768), tiny)
    assert result.verdict is Verdict.WILL_NOT_FIT
    assert result.max_ctx is None


def test_pi_zero_cannot_hold_gemma_at_32k_but_can_at_512() -> None:
    pi = PRESETS["rpi-zero2w"]
    assert fit.estimate(GEMMA3, FitOptions(n_ctx=32768), pi).verdict is Verdict.WILL_NOT_FIT
    assert fit.estimate(GEMMA3, FitOptions(n_ctx=512), pi).fits


def test_context_beyond_the_trained_length_is_noted() -> None:
    result = fit.estimate(SMOLLM2, FitOptions(n_ctx=32768), BIG_MACHINE)
    assert any("trained context (8192)" in note for note in result.notes)


# --- GPU offload --------------------------------------------------------------------------------


def gpu_profile(
    vram_free: int, *, offload: bool | None = True, unified: bool = False, ram: int = 64 * GIB
) -> HardwareProfile:
    gpu = GpuInfo(
        name="Test GPU", vendor="apple" if unified else "nvidia", vram_total_bytes=vram_free + GIB,
        vram_free_bytes=vram_free, unified=unified, bandwidth_bytes_per_s=500e9,
    )  # fmt: skip
    return replace(
        cpu_only_profile("gpu box", ram, ram - 4 * GIB, bandwidth_bytes_per_s=50e9),
        gpus=(gpu,),
        unified_memory=unified,
        llama_gpu_offload=offload,
    )


def test_small_model_goes_fully_on_a_big_gpu() -> None:
    result = fit.estimate(SMOLLM2, FitOptions(n_ctx=4096), gpu_profile(8 * GIB))
    assert result.gpu_layers == SMOLLM2.n_layer + 1
    assert result.verdict is Verdict.FITS_GPU
    assert result.kv_cache_host_bytes == 0
    # the tied embedding stays on the host for the input and is duplicated as the GPU's output
    assert result.weights_host_bytes == SMOLLM2.input_weights_bytes
    assert result.weights_device_bytes == sum(SMOLLM2.layer_weights_bytes) + 30_081_024 + 2304
    assert result.device_overhead_bytes == fit.GPU_RUNTIME_RESERVE_BYTES["nvidia"]


def test_auto_offload_walks_from_the_last_layer_and_fits_the_gpu() -> None:
    profile = gpu_profile(3 * GIB)
    options = FitOptions(n_ctx=8192)
    result = fit.estimate(LLAMA8B, options, profile)
    assert 1 < result.gpu_layers <= LLAMA8B.n_layer
    assert result.verdict is Verdict.PARTIAL_OFFLOAD
    assert result.total_device_bytes <= profile.gpus[0].vram_free_bytes
    # one more layer would eat into the 10 % margin the walk keeps free
    more = fit.estimate(LLAMA8B, replace(options, n_gpu_layers=result.gpu_layers + 1), profile)
    assert more.total_device_bytes > profile.gpus[0].vram_free_bytes * 0.9


def test_n_gpu_layers_counts_the_output_layer_first() -> None:
    profile = gpu_profile(16 * GIB)
    one = fit.estimate(LLAMA8B, FitOptions(n_ctx=2048, n_gpu_layers=1), profile)
    assert one.weights_device_bytes == LLAMA8B.output_weights_bytes  # untied: output.weight only
    three = fit.estimate(LLAMA8B, FitOptions(n_ctx=2048, n_gpu_layers=3), profile)
    layer = LLAMA8B.layer_weights_bytes[0]
    assert three.weights_device_bytes == LLAMA8B.output_weights_bytes + 2 * layer
    assert three.kv_cache_device_bytes == 2 * kv(LLAMA8B, n_ctx=2048) // 32
    everything = fit.estimate(LLAMA8B, FitOptions(n_ctx=2048, n_gpu_layers=-1), profile)
    assert everything.gpu_layers == 33


def test_a_cpu_build_of_llama_cpp_offloads_nothing() -> None:
    result = fit.estimate(SMOLLM2, FitOptions(n_ctx=2048, n_gpu_layers=-1), gpu_profile(8 * GIB, offload=False))
    assert result.gpu_layers == 0
    assert result.verdict is Verdict.CPU_ONLY
    assert any("No GPU offload" in note for note in result.notes)


def test_unified_memory_shares_one_pool() -> None:
    # A Mac whose Metal working set holds the model but whose RAM cannot hold host + device.
    profile = gpu_profile(6 * GIB, unified=True, ram=8 * GIB)
    profile = replace(profile, ram_available_bytes=5 * GIB)
    result = fit.estimate(LLAMA8B, FitOptions(n_ctx=2048, n_gpu_layers=-1), profile)
    assert result.total_device_bytes < 6 * GIB
    assert result.total_host_bytes + result.total_device_bytes > 5 * GIB
    assert result.verdict is Verdict.WILL_NOT_FIT


def test_breakdown_lists_each_device_and_adds_up() -> None:
    result = fit.estimate(LLAMA8B, FitOptions(n_ctx=8192), gpu_profile(3 * GIB))
    devices = fit.breakdown(result)
    assert [name for name, _ in devices] == ["Host RAM", "Test GPU"]
    assert [label for label, _ in devices[0][1]] == ["Weights", "KV cache", "Compute buffers", "Runtime overhead"]
    assert sum(size for _, size in devices[0][1]) == result.total_host_bytes
    assert sum(size for _, size in devices[1][1]) == result.total_device_bytes
    cpu_only = fit.breakdown(fit.estimate(SMOLLM2, FitOptions(), BIG_MACHINE))
    assert len(cpu_only) == 1


# --- speed bound ------------------------------------------------------------------------------


def test_generation_speed_bound_is_bandwidth_over_bytes_per_token() -> None:
    result = fit.estimate(SMOLLM2, FitOptions(n_ctx=2048, tokens_in_context=1024), BIG_MACHINE)
    # every layer, the tied embedding as the output matrix, the norm, the KV of 1024 tokens
    expected = sum(SMOLLM2.layer_weights_bytes) + 30_081_024 + 2304 + 1024 * 30 * 2 * 384
    assert result.bytes_per_token == expected
    assert result.tg_tokens_per_s_bound == pytest.approx(50e9 / expected)
    unknown = replace(BIG_MACHINE, memory_bandwidth_bytes_per_s=None)
    assert fit.estimate(SMOLLM2, FitOptions(), unknown).tg_tokens_per_s_bound is None


# --- repack, ONNX, rules ------------------------------------------------------------------------


def test_repack_types_follow_the_cpu() -> None:
    x86 = replace(BIG_MACHINE, cpu_features=("avx", "avx2", "fma"))
    arm = replace(BIG_MACHINE, cpu_features=("neon", "dotprod"))
    assert "Q4_K" in fit.repack_types(x86) and "Q6_K" not in fit.repack_types(x86)
    assert {"Q4_K", "Q6_K", "Q8_0"} <= fit.repack_types(arm)
    assert fit.repack_types(BIG_MACHINE) == frozenset()
    no_repack = replace(x86, llama_cpu_features="CPU : AVX2 = 1 | REPACK = 0 |")
    assert fit.repack_types(no_repack) == frozenset()


def onnx_spec(quantization: str) -> ModelSpec:
    return ModelSpec(
        format="onnx", path=Path("/models/smol-onnx"), files=(Path("/models/smol-onnx/model.onnx.data"),),
        file_bytes=86_513_245, architecture="llama", quantization=quantization, weights_bytes=86_513_245,
        n_layer=30, context_length=8192, n_embd=576, n_head=(9,) * 30, n_head_kv=(3,) * 30,
        head_dim_k=64, head_dim_v=64, n_vocab=49152,
    )  # fmt: skip


def test_onnx_kv_cache_and_prompt_memory() -> None:
    int4 = fit.estimate(onnx_spec("int4"), FitOptions(n_ctx=8192), BIG_MACHINE)
    assert int4.kv_cache_bytes == 2 * 30 * 3 * 64 * 8192 * 4  # float32 past key/values
    assert int4.weights_bytes == 86_513_245
    fp16 = fit.estimate(onnx_spec("fp16"), FitOptions(n_ctx=8192), BIG_MACHINE)
    assert fp16.kv_cache_bytes == int4.kv_cache_bytes // 2
    # measured through the engine: a 1938-token prompt peaked at 742.5 MiB
    options = FitOptions(n_ctx=8192, tokens_in_context=1946, largest_batch=1938)
    scenario = fit.estimate(onnx_spec("int4"), options, BIG_MACHINE)
    assert scenario.total_host_bytes / MIB == pytest.approx(742.5, rel=0.05)


def test_rules_of_thumb() -> None:
    assert fit.rule_file_size_times(SMOLLM2) == int(SMOLLM2.file_bytes * 1.2)
    assert fit.rule_weights_plus_f16_kv(SMOLLM2, 2048) == SMOLLM2.weights_bytes + 45 * MIB


def test_json_dict_has_the_cli_fields() -> None:
    data = fit.estimate(SMOLLM2, FitOptions(n_ctx=2048), BIG_MACHINE).to_json_dict()
    for key in (
        "n_ctx", "kv_type", "weights_bytes", "kv_cache_bytes", "compute_bytes", "overhead_bytes",
        "total_host_bytes", "total_device_bytes", "verdict", "max_ctx", "gpu_layers", "tg_tokens_per_s_bound",
    ):  # fmt: skip
        assert key in data
    assert data["verdict"] == "cpu_only"
    assert data["kv_cache_bytes"] == 45 * MIB
